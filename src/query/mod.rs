//! SQL over the lake with DataFusion: the lake tables as Hive-partitioned listing tables
//! and the views of INTERFACE.md, behind a read-only statement policy.

mod functions;
mod output;
mod views;

use std::path::Path;
use std::sync::Arc;

use convolens_sinks::Table;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::DataType;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext};

pub use output::{OutputFormat, write_batches};
pub use views::DRIVERS;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("no lake at {0} (run `convolens ingest` or `convolens run` first)")]
    NoLake(String),
    #[error("{0}")]
    ReadOnly(String),
    #[error("{0}")]
    Sql(DataFusionError),
    #[error("registering the lake: {0}")]
    Setup(DataFusionError),
}

/// Refuses a lake directory that does not exist, with the hint to fill one.
pub fn require_lake(lake: &Path) -> Result<(), QueryError> {
    if lake.is_dir() {
        Ok(())
    } else {
        Err(QueryError::NoLake(lake.display().to_string()))
    }
}

/// A SQL session over one lake.
pub struct LakeSession {
    ctx: SessionContext,
}

impl LakeSession {
    pub async fn open(lake: &Path) -> Result<Self, QueryError> {
        require_lake(lake)?;
        // Parquet filter pushdown was measured and left off: events of one type are spread
        // thinly through every file, and the row selections cost more than they save.
        let config = SessionConfig::new().with_information_schema(true);
        let ctx = SessionContext::new_with_config(config);
        ctx.register_udf(functions::correlation_p_value_udf());
        for table in Table::ALL {
            let dir = table.dir(lake);
            std::fs::create_dir_all(&dir).map_err(|e| QueryError::Setup(DataFusionError::External(Box::new(e))))?;
            let url = ListingTableUrl::parse(format!("{}/", dir.display())).map_err(QueryError::Setup)?;
            let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
                .with_file_extension(".parquet")
                .with_table_partition_cols(vec![("date".to_string(), DataType::Date32)]);
            let config = ListingTableConfig::new(url)
                .with_listing_options(options)
                .with_schema(table.schema());
            let listing = ListingTable::try_new(config).map_err(QueryError::Setup)?;
            // Streaming drift appends revisions of a window's rows; the `drift_metrics`
            // view shows the latest (views/drift.rs).
            let name = match table {
                Table::DriftMetrics => views::DRIFT_METRICS_REVISIONS,
                other => other.name(),
            };
            ctx.register_table(name, Arc::new(listing)).map_err(QueryError::Setup)?;
        }
        for (_, ddl) in views::all() {
            ctx.sql(&ddl)
                .await
                .map_err(QueryError::Setup)?
                .collect()
                .await
                .map_err(QueryError::Setup)?;
        }
        Ok(LakeSession { ctx })
    }

    /// Runs one read-only statement. DDL, DML (INSERT, COPY, …) and SET are refused.
    pub async fn query(&self, sql: &str) -> Result<Vec<RecordBatch>, QueryError> {
        self.frame(sql).await?.collect().await.map_err(QueryError::Sql)
    }

    async fn frame(&self, sql: &str) -> Result<DataFrame, QueryError> {
        let options = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        self.ctx.sql_with_options(sql, options).await.map_err(classify)
    }
}

fn classify(error: DataFusionError) -> QueryError {
    let text = error.to_string();
    let refused = ["DDL not supported", "DML not supported", "Statement not supported"];
    if refused.iter().any(|r| text.contains(r)) {
        QueryError::ReadOnly(format!(
            "queries are read-only: DDL, DML and COPY are refused ({})",
            text.lines().next().unwrap_or_default()
        ))
    } else {
        QueryError::Sql(error)
    }
}
