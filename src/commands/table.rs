//! Text tables for the evaluator commands' `--format table`.

use comfy_table::presets::ASCII_MARKDOWN;
use comfy_table::{CellAlignment, Table};

/// A number as the tables show it (4 decimals, `null` for a missing value).
pub fn number(value: Option<f64>) -> String {
    value.map_or_else(|| "null".to_string(), |v| format!("{v:.4}"))
}

/// Prints a table whose first `text_columns` columns are text and the rest numbers
/// (right-aligned).
pub fn print(headers: &[&str], rows: Vec<Vec<String>>, text_columns: usize) {
    let mut table = Table::new();
    table.load_preset(ASCII_MARKDOWN).set_header(headers.to_vec());
    for row in rows {
        table.add_row(row);
    }
    for index in text_columns..headers.len() {
        if let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    println!("{table}");
}
