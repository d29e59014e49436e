//! The statistics of METRICS §5 as plain functions: PSI and Jensen–Shannon over bin shares,
//! Kolmogorov–Smirnov and Wasserstein over the empirical CDFs, Kolmogorov's distribution, and
//! the normal tail of the out-of-scope z-test.

mod ecdf;
mod kolmogorov;
mod normal;
mod shares;

pub(crate) use ecdf::ks_and_wasserstein;
pub use ecdf::{KsTest, STD_FLOOR, ks, ks_weighted, std_pop, wasserstein, wasserstein_norm, wasserstein_weighted};
pub use kolmogorov::kolmogorov_sf;
pub use normal::{erfc, normal_two_sided_p};
pub use shares::{PSI_ZERO_SHARE, js_distance_base2, psi};
