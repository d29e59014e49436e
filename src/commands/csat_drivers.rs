//! `convolens csat-drivers`: what moves customer satisfaction, per driver of METRICS §3.

use anyhow::Context;

use super::table;
use crate::analysis::driver_rows;
use crate::analysis::drivers::{self, DriverCorrelation};
use crate::cli::{CsatDriversArgs, ReportFormat};
use crate::query::require_lake;
use crate::reports;

pub fn csat_drivers(args: CsatDriversArgs) -> anyhow::Result<()> {
    require_lake(&args.lake)?;
    let rows = driver_rows::load(&args.lake, &args.window)?;
    // The report always shows all answered conversations; the printout per intent on request.
    let overall = drivers::correlations(&rows);
    let by_intent = args.by_intent.then(|| drivers::correlations_by_intent(&rows));
    let shown = by_intent.as_deref().unwrap_or(&overall);
    let multivariate = if args.multivariate || args.report.is_some() {
        drivers::multivariate(&rows)?
    } else {
        None
    };
    if let Some(path) = &args.report {
        let html = reports::drivers_page(&args.window.to_string(), &overall, multivariate.as_ref());
        std::fs::write(path, html).with_context(|| format!("writing the report to {}", path.display()))?;
    }
    match args.format {
        ReportFormat::Json if args.multivariate => println!(
            "{}",
            serde_json::json!({ "window": args.window.to_string(), "drivers": shown, "multivariate": multivariate })
        ),
        ReportFormat::Json => println!("{}", serde_json::to_string(&shown)?),
        ReportFormat::Table => {
            println!(
                "CSAT drivers over {} ({} answered conversations)",
                args.window,
                rows.csat_5.len()
            );
            print_correlations(shown, args.by_intent);
            if let Some(m) = &multivariate {
                println!(
                    "multivariate OLS on standardised drivers: n = {}, R² = {:.4}",
                    m.n, m.r2
                );
                let rows = m
                    .coefficients
                    .iter()
                    .map(|(name, beta)| vec![name.to_string(), table::number(*beta)])
                    .collect();
                table::print(&["driver", "std_coefficient"], rows, 1);
                for note in &m.notes {
                    println!("note: {note}");
                }
            } else if args.multivariate {
                println!(
                    "multivariate OLS: too few answered conversations with every driver present (drivers of agent \
                     segments, such as handle_time_s, are null without one)"
                );
            }
        }
    }
    Ok(())
}

fn print_correlations(results: &[DriverCorrelation], by_intent: bool) {
    let rows = results
        .iter()
        .map(|d| {
            let c = &d.correlation;
            let mut row = Vec::new();
            if by_intent {
                row.push(d.first_intent.clone().flatten().unwrap_or_else(|| "(none)".into()));
            }
            row.extend([
                d.driver.to_string(),
                c.n.to_string(),
                table::number(c.r),
                table::number(c.p),
                table::number(c.ci_low),
                table::number(c.ci_high),
                table::number(c.rho),
                table::number(c.p_rho),
            ]);
            row
        })
        .collect();
    let mut headers = vec!["driver", "n", "r", "p", "ci_low", "ci_high", "rho", "p_rho"];
    if by_intent {
        headers.insert(0, "first_intent");
    }
    table::print(&headers, rows, if by_intent { 2 } else { 1 });
}
