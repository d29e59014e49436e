//! SQL functions convolens adds to every session, so views can say what METRICS says
//! without engine-specific numerics.

use std::sync::Arc;

use convolens_evaluators::special::correlation_p_value;
use datafusion::arrow::array::{Array, AsArray, Float64Array};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

/// `correlation_p_value(r DOUBLE, n BIGINT) -> DOUBLE`: the two-sided p-value of a
/// correlation coefficient from Student's t with n − 2 degrees of freedom (METRICS §3);
/// null where r or n is null or n < 3.
pub fn correlation_p_value_udf() -> ScalarUDF {
    create_udf(
        "correlation_p_value",
        vec![DataType::Float64, DataType::Int64],
        DataType::Float64,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let r = arrays[0].as_primitive::<Float64Type>();
            let n = arrays[1].as_primitive::<Int64Type>();
            let p: Float64Array = (0..r.len())
                .map(|i| {
                    if r.is_null(i) || n.is_null(i) || n.value(i) < 3 {
                        None
                    } else {
                        Some(correlation_p_value(r.value(i), n.value(i) as usize))
                    }
                })
                .collect();
            Ok(ColumnarValue::Array(Arc::new(p)))
        }),
    )
}
