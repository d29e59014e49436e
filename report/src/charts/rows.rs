//! Horizontal bars, one labelled row per item: CSAT driver correlations with their
//! confidence intervals, and ranked lists such as the tokens that drifted most.

use crate::escape::truncate;
use crate::num::{signed, value};
use crate::svg::{
    Anchor, Canvas, LEGEND_Y, LegendMark, Scale, Svg, TextStyle, WIDTH, nice_ticks, no_data, palette, text_width,
};

/// One bar with an optional interval, e.g. a driver's correlation with CSAT and its Fisher
/// confidence interval.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalBar {
    pub label: String,
    pub value: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// At most this many rows are drawn; the chart says how many more there were.
pub const MAX_ROWS: usize = 60;

const POSITIVE: &str = palette::BLUE;
const NEGATIVE: &str = palette::ORANGE;
const ROW_H: f64 = 26.0;
const BAR_H: f64 = 14.0;
const LABEL_CHARS: usize = 32;

/// Renders one row per item: a bar from zero to `value` (blue when positive, orange when
/// negative), a whisker from `low` to `high`, the zero line, and the value and interval as
/// text on the right.
///
/// `domain` is the x range, [-1, 1] when `None` (correlations); it widens to take in any
/// value or interval end outside it. Items with a non-finite value are skipped, as are
/// non-finite interval ends. At most [`MAX_ROWS`] rows are drawn, in input order.
pub fn horizontal_bars_with_intervals(items: &[IntervalBar], title: &str, domain: Option<(f64, f64)>) -> Svg {
    let rows: Vec<Row> = items
        .iter()
        .filter(|i| i.value.is_finite())
        .map(|i| {
            let low = i.low.filter(|v| v.is_finite());
            let high = i.high.filter(|v| v.is_finite());
            let text = match (low, high) {
                (Some(l), Some(h)) => format!("{} [{}, {}]", signed(i.value), signed(l), signed(h)),
                _ => signed(i.value),
            };
            Row {
                label: i.label.clone(),
                value: i.value,
                low,
                high,
                text,
            }
        })
        .collect();
    let domain = match domain {
        Some((lo, hi)) if lo.is_finite() && hi.is_finite() && lo < hi => (lo, hi),
        _ => (-1.0, 1.0),
    };
    draw(rows, title, domain, true, "no items with a finite value")
}

/// Renders a ranked list of labelled values as horizontal bars with the value beside each,
/// e.g. the tokens whose share changed most. Items with a non-finite value are skipped; the
/// axis starts at zero (or below it for negative values). At most [`MAX_ROWS`] rows.
pub fn bar_list<S: AsRef<str>>(items: &[(S, f64)], title: &str) -> Svg {
    let any_negative = items.iter().any(|(_, v)| v.is_finite() && *v < 0.0);
    let rows: Vec<Row> = items
        .iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(label, v)| Row {
            label: label.as_ref().to_string(),
            value: *v,
            low: None,
            high: None,
            // Signs on every value only when some are negative, so a ranked list of counts stays plain.
            text: if any_negative { signed(*v) } else { value(*v) },
        })
        .collect();
    draw(rows, title, (0.0, 0.0), false, "no items with a finite value")
}

struct Row {
    label: String,
    value: f64,
    low: Option<f64>,
    high: Option<f64>,
    text: String,
}

fn draw(mut rows: Vec<Row>, title: &str, domain: (f64, f64), intervals: bool, empty: &str) -> Svg {
    if rows.is_empty() {
        return no_data(title, empty);
    }
    let hidden = rows.len().saturating_sub(MAX_ROWS);
    rows.truncate(MAX_ROWS);

    let (mut lo, mut hi) = domain;
    for r in &rows {
        for v in [Some(r.value), r.low, r.high].into_iter().flatten() {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    let labels: Vec<String> = rows.iter().map(|r| truncate(&r.label, LABEL_CHARS)).collect();
    let label_w = labels.iter().map(|l| text_width(l)).fold(40.0, f64::max);
    let text_w = rows.iter().map(|r| text_width(&r.text)).fold(0.0, f64::max);
    let left = 16.0 + label_w + 12.0;
    let plot_w = (WIDTH - left - text_w - 16.0 - 16.0).max(120.0);
    // About one tick per 80 px, so tick labels never crowd.
    let ticks = nice_ticks(lo, hi, ((plot_w / 80.0) as usize).clamp(2, 10));
    let top = if intervals { 62.0 } else { 40.0 };
    let plot_h = rows.len() as f64 * ROW_H;
    let axis_y = top + plot_h;
    let height = axis_y + 34.0 + if hidden > 0 { 20.0 } else { 0.0 };

    let mut c = Canvas::new(height, title);
    if intervals {
        c.legend(
            16.0,
            LEGEND_Y,
            &[
                (LegendMark::Swatch(POSITIVE), "positive"),
                (LegendMark::Swatch(NEGATIVE), "negative"),
                (LegendMark::Whisker(palette::INK), "confidence interval"),
            ],
        );
    }
    let x = Scale::new((ticks.lo(), ticks.hi()), (left, left + plot_w));
    for &t in &ticks.values {
        let px = x.map(t);
        c.line(px, top, px, axis_y, palette::GRID, 1.0, None);
        c.line(px, axis_y, px, axis_y + 4.0, palette::AXIS, 1.0, None);
        c.text(px, axis_y + 18.0, &ticks.label(t), TextStyle::small(Anchor::Middle));
    }
    c.line(left, axis_y, left + plot_w, axis_y, palette::AXIS, 1.0, None);

    let zero = x.map(0.0);
    for (i, (r, label)) in rows.iter().zip(&labels).enumerate() {
        let cy = top + ROW_H * (i as f64 + 0.5);
        let tooltip = format!("{}: {}", r.label, r.text);
        c.open_group("row", &tooltip);
        let end = x.map(r.value);
        let fill = if r.value < 0.0 { NEGATIVE } else { POSITIVE };
        c.rect(end.min(zero), cy - BAR_H / 2.0, (end - zero).abs(), BAR_H, fill, "bar");
        if let (Some(l), Some(h)) = (r.low, r.high) {
            let (x0, x1) = (x.map(l.min(h)), x.map(l.max(h)));
            c.line(x0, cy, x1, cy, palette::INK, 1.5, None);
            c.line(x0, cy - 6.0, x0, cy + 6.0, palette::INK, 1.5, None);
            c.line(x1, cy - 6.0, x1, cy + 6.0, palette::INK, 1.5, None);
        }
        c.close_group();
        c.text(left - 12.0, cy + 4.0, label, TextStyle::label(Anchor::End));
        c.text(left + plot_w + 16.0, cy + 4.0, &r.text, TextStyle::label(Anchor::Start));
    }
    // The zero line goes over the bars so short bars still read as starting at zero.
    if ticks.lo() < 0.0 && ticks.hi() > 0.0 {
        c.line(zero, top - 4.0, zero, axis_y, palette::INK, 1.5, None);
    }
    if hidden > 0 {
        c.text(
            16.0,
            height - 10.0,
            &format!("… and {hidden} more not shown"),
            TextStyle::small(Anchor::Start),
        );
    }
    c.finish()
}
