//! The HTML document: [`Page`] → [`Section`]s → [`Block`]s.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::escape::{escape, slug};
use crate::svg::Svg;

const STYLE: &str = include_str!("style.css");

/// How a table cell's verdict reads: coloured, and marked with a glyph so the colour is never
/// the only cue (✓ ok, ● warn, ▲ alert).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    Ok,
    Warn,
    Alert,
    Muted,
}

impl Severity {
    fn class(self) -> &'static str {
        match self {
            Severity::Ok => "sev-ok",
            Severity::Warn => "sev-warn",
            Severity::Alert => "sev-alert",
            Severity::Muted => "sev-muted",
        }
    }
}

/// One table cell: text, optionally right-aligned as a number and coloured by a severity.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cell {
    pub text: String,
    pub severity: Option<Severity>,
    /// Right-aligned with tabular digits.
    pub numeric: bool,
}

impl Cell {
    /// A text cell.
    pub fn new(text: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            severity: None,
            numeric: false,
        }
    }

    /// A number cell (right-aligned); the caller formats the number.
    pub fn num(text: impl Into<String>) -> Self {
        Cell {
            numeric: true,
            ..Cell::new(text)
        }
    }

    /// The same cell coloured as `severity`.
    pub fn severity(self, severity: Severity) -> Self {
        Cell {
            severity: Some(severity),
            ..self
        }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::new(text)
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::new(text)
    }
}

/// One piece of a section, rendered in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// Running text.
    Paragraph(String),
    /// Headline figures as labelled tiles (e.g. ECE, Brier, n).
    KeyValues(Vec<(String, String)>),
    /// A table; rows shorter than `columns` are padded with empty cells.
    Table { columns: Vec<String>, rows: Vec<Vec<Cell>> },
    /// A chart from one of this crate's chart functions.
    Chart(Svg),
    /// A small aside: method, caveats, thresholds.
    Note(String),
}

impl Block {
    /// A [`Block::KeyValues`] from any pairs of strings.
    pub fn key_values<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        Block::KeyValues(pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }

    /// A [`Block::Table`] from column names and rows of cells.
    pub fn table<C: Into<String>>(columns: impl IntoIterator<Item = C>, rows: Vec<Vec<Cell>>) -> Self {
        Block::Table {
            columns: columns.into_iter().map(Into::into).collect(),
            rows,
        }
    }
}

/// A titled part of the page with an anchor for the table of contents. `id` is reduced to
/// `[A-Za-z0-9_-]` (and made unique within the page) when rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub id: String,
    pub title: String,
    pub blocks: Vec<Block>,
}

impl Section {
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        Section {
            id: id.into(),
            title: title.into(),
            blocks: Vec::new(),
        }
    }

    /// The same section with `block` appended.
    pub fn block(mut self, block: Block) -> Self {
        self.blocks.push(block);
        self
    }
}

/// A self-contained HTML5 report: inline CSS and SVG, no script, no external resource.
///
/// ```
/// use convolens_report::{Block, Page, Section};
/// let html = Page::new("Drift report")
///     .subtitle("intent model v7, last 24 h")
///     .generated_at("2026-03-01 12:00 UTC")
///     .section(Section::new("drift", "Drift").block(Block::Paragraph("No drift.".into())))
///     .render();
/// assert!(html.starts_with("<!DOCTYPE html>"));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    title: String,
    subtitle: Option<String>,
    generated_at: Option<String>,
    sections: Vec<Section>,
}

impl Page {
    pub fn new(title: impl Into<String>) -> Self {
        Page {
            title: title.into(),
            ..Page::default()
        }
    }

    /// A line under the title (data window, model, environment).
    pub fn subtitle(mut self, subtitle: impl Into<String>) -> Self {
        self.subtitle = Some(subtitle.into());
        self
    }

    /// When the report was generated, as the caller formats it; the crate reads no clock, so
    /// the same inputs render the same bytes.
    pub fn generated_at(mut self, when: impl Into<String>) -> Self {
        self.generated_at = Some(when.into());
        self
    }

    pub fn section(mut self, section: Section) -> Self {
        self.sections.push(section);
        self
    }

    /// The whole document. Every tag is closed (void elements as `<meta …/>`), so the output
    /// is also well-formed XML after its doctype.
    pub fn render(&self) -> String {
        let ids = unique_ids(&self.sections);
        let mut out = String::with_capacity(64 * 1024);
        let title = escape(&self.title);
        out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
        out.push_str("<meta name=\"generator\" content=\"convolens-report\"/>\n");
        // An empty inline icon, so browsers do not ask a server for /favicon.ico.
        out.push_str("<link rel=\"icon\" href=\"data:,\"/>\n");
        let _ = writeln!(out, "<title>{title}</title>");
        let _ = writeln!(out, "<style>\n{STYLE}</style>\n</head>\n<body>\n<div class=\"page\">");

        out.push_str("<header class=\"page-header\">\n");
        let _ = writeln!(out, "<h1>{title}</h1>");
        if let Some(subtitle) = &self.subtitle {
            let _ = writeln!(out, "<p class=\"subtitle\">{}</p>", escape(subtitle));
        }
        if let Some(when) = &self.generated_at {
            let _ = writeln!(out, "<p class=\"generated\">Generated {}</p>", escape(when));
        }
        out.push_str("</header>\n");

        if self.sections.is_empty() {
            out.push_str("<main>\n<p class=\"empty\">This report has no sections.</p>\n</main>\n");
        } else {
            out.push_str("<nav class=\"toc\" aria-label=\"Contents\">\n<h2>Contents</h2>\n<ol>\n");
            for (section, id) in self.sections.iter().zip(&ids) {
                let _ = writeln!(out, "<li><a href=\"#{id}\">{}</a></li>", escape(&section.title));
            }
            out.push_str("</ol>\n</nav>\n<main>\n");
            for (section, id) in self.sections.iter().zip(&ids) {
                render_section(&mut out, section, id);
            }
            out.push_str("</main>\n");
        }
        out.push_str("<footer>convolens report · self-contained: no scripts, no external resources</footer>\n");
        out.push_str("</div>\n</body>\n</html>\n");
        out
    }
}

/// Slugged section ids, with `-2`, `-3`… appended to repeats.
fn unique_ids(sections: &[Section]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    sections
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let base = slug(&s.id, &format!("section-{}", i + 1));
            let mut id = base.clone();
            let mut k = 2;
            while !seen.insert(id.clone()) {
                id = format!("{base}-{k}");
                k += 1;
            }
            id
        })
        .collect()
}

fn render_section(out: &mut String, section: &Section, id: &str) {
    let _ = writeln!(out, "<section class=\"report-section\" id=\"{id}\">");
    let _ = writeln!(out, "<h2>{}</h2>", escape(&section.title));
    if section.blocks.is_empty() {
        out.push_str("<p class=\"empty\">Nothing to report.</p>\n");
    }
    for block in &section.blocks {
        render_block(out, block);
    }
    out.push_str("</section>\n");
}

fn render_block(out: &mut String, block: &Block) {
    match block {
        Block::Paragraph(text) => {
            let _ = writeln!(out, "<p>{}</p>", escape(text));
        }
        Block::Note(text) => {
            let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(text));
        }
        Block::KeyValues(pairs) if pairs.is_empty() => {}
        Block::KeyValues(pairs) => {
            out.push_str("<dl class=\"kv\">\n");
            for (k, v) in pairs {
                let _ = writeln!(out, "<div><dt>{}</dt><dd>{}</dd></div>", escape(k), escape(v));
            }
            out.push_str("</dl>\n");
        }
        Block::Table { columns, rows } => render_table(out, columns, rows),
        Block::Chart(svg) => {
            let _ = writeln!(out, "<figure class=\"chart\">\n{svg}\n</figure>");
        }
    }
}

fn render_table(out: &mut String, columns: &[String], rows: &[Vec<Cell>]) {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0).max(columns.len());
    if width == 0 {
        return;
    }
    // A column is numeric (header right-aligned too) when all its non-empty cells are.
    let numeric: Vec<bool> = (0..width)
        .map(|c| {
            let mut cells = rows
                .iter()
                .filter_map(|r| r.get(c))
                .filter(|cell| !cell.text.is_empty());
            let mut any = false;
            let all = cells.all(|cell| {
                any = true;
                cell.numeric
            });
            any && all
        })
        .collect();
    out.push_str("<div class=\"table-wrap\">\n<table>\n");
    if !columns.is_empty() {
        out.push_str("<thead><tr>");
        for (c, is_numeric) in numeric.iter().enumerate().take(width) {
            let name = columns.get(c).map(String::as_str).unwrap_or("");
            let class = if *is_numeric { " class=\"num\"" } else { "" };
            let _ = write!(out, "<th scope=\"col\"{class}>{}</th>", escape(name));
        }
        out.push_str("</tr></thead>\n");
    }
    out.push_str("<tbody>\n");
    if rows.is_empty() {
        let _ = writeln!(
            out,
            "<tr><td class=\"sev-muted\" colspan=\"{width}\">No rows.</td></tr>"
        );
    }
    let empty = Cell::default();
    for row in rows {
        out.push_str("<tr>");
        for c in 0..width {
            let cell = row.get(c).unwrap_or(&empty);
            let mut classes = Vec::new();
            if cell.numeric {
                classes.push("num");
            }
            if let Some(s) = cell.severity {
                classes.push(s.class());
            }
            if classes.is_empty() {
                let _ = write!(out, "<td>{}</td>", escape(&cell.text));
            } else {
                let _ = write!(out, "<td class=\"{}\">{}</td>", classes.join(" "), escape(&cell.text));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml_check::parse;
    use crate::{IntervalBar, bar_list, horizontal_bars_with_intervals};

    fn sample() -> Page {
        Page::new("Drift <report> & more")
            .subtitle("model \"v7\"")
            .generated_at("2026-03-01 12:00 UTC")
            .section(
                Section::new("drift", "Drift")
                    .block(Block::Paragraph("Two features drifted.".into()))
                    .block(Block::key_values([("PSI", "0.31"), ("features", "12")]))
                    .block(Block::table(
                        ["feature", "psi", "verdict"],
                        vec![
                            vec![
                                Cell::new("<script>alert(1)</script>"),
                                Cell::num("0.310"),
                                Cell::new("alert").severity(Severity::Alert),
                            ],
                            vec![Cell::new("intent"), Cell::num("0.020")],
                        ],
                    ))
                    .block(Block::Chart(bar_list(&[("<b>", 1.0)], "Tokens")))
                    .block(Block::Note("PSI over 10 reference quantile bins.".into())),
            )
            .section(Section::new("drift", "Drift again"))
            .section(
                Section::new("", "CSAT drivers").block(Block::Chart(horizontal_bars_with_intervals(
                    &[IntervalBar {
                        label: "handle_time".into(),
                        value: -0.2,
                        low: Some(-0.3),
                        high: Some(-0.1),
                    }],
                    "Drivers",
                    None,
                ))),
            )
    }

    #[test]
    fn page_is_well_formed_and_escaped() {
        let html = sample().render();
        let els = parse(&html).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(els[0].name, "html");
        assert!(!html.contains("<script"), "caller text must be escaped");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("<h1>Drift &lt;report&gt; &amp; more</h1>"));
        assert!(html.contains("model &quot;v7&quot;"));
        assert!(html.contains("Generated 2026-03-01 12:00 UTC"));
        assert_eq!(els.iter().filter(|e| e.name == "svg").count(), 2);
    }

    #[test]
    fn toc_links_every_section_by_a_unique_id() {
        let html = sample().render();
        let els = parse(&html).unwrap();
        let ids: Vec<&str> = els
            .iter()
            .filter(|e| e.name == "section")
            .filter_map(|e| e.attr("id"))
            .collect();
        assert_eq!(ids, ["drift", "drift-2", "section-3"]);
        let links: Vec<&str> = els
            .iter()
            .filter(|e| e.name == "a")
            .filter_map(|e| e.attr("href"))
            .collect();
        assert_eq!(links, ["#drift", "#drift-2", "#section-3"]);
        assert!(html.contains("Nothing to report."), "an empty section says so");
    }

    #[test]
    fn tables_align_numbers_pad_rows_and_mark_severity() {
        let html = sample().render();
        assert!(html.contains("<th scope=\"col\" class=\"num\">psi</th>"));
        assert!(html.contains("<td class=\"sev-alert\">alert</td>"));
        assert!(
            html.contains("<td class=\"num\">0.020</td><td></td></tr>"),
            "short rows are padded"
        );
        let empty = Page::new("t")
            .section(Section::new("a", "A").block(Block::table(["x"], vec![])))
            .render();
        assert!(empty.contains("No rows."));
        parse(&empty).unwrap();
    }

    #[test]
    fn empty_page_renders() {
        let html = Page::new("").render();
        parse(&html).unwrap();
        assert!(html.contains("This report has no sections."));
        assert!(!html.contains("<nav"));
    }

    #[test]
    fn render_is_deterministic_and_self_contained() {
        let a = sample().render();
        assert_eq!(a, sample().render());
        for forbidden in [
            "<script",
            "<link rel=\"stylesheet\"",
            "@import",
            "url(",
            "src=",
            "https:",
        ] {
            assert!(!a.contains(forbidden), "{forbidden}");
        }
        // The only URL is the SVG namespace, which is a name, not a request.
        assert_eq!(
            a.matches("http:").count(),
            a.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
        );
    }
}
