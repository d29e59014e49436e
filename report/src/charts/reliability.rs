//! Reliability diagram: accuracy per confidence bin against the diagonal, with the bins'
//! sizes in a panel beneath.

use crate::num::{compact, count, fixed, value};
use crate::svg::{Anchor, Canvas, LegendMark, Scale, Svg, TextStyle, nice_ticks, no_data, palette};

/// One reliability bin: predictions with confidence in (`lower`, `upper`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReliabilityBin {
    pub lower: f64,
    pub upper: f64,
    pub count: u64,
    pub mean_confidence: f64,
    pub accuracy: f64,
}

pub(crate) const LEFT: f64 = 64.0;
pub(crate) const PLOT_W: f64 = 460.0;
pub(crate) const TOP: f64 = 44.0;
pub(crate) const PLOT_H: f64 = 320.0;
const HIST_GAP: f64 = 24.0;
const HIST_H: f64 = 64.0;
const HEIGHT: f64 = TOP + PLOT_H + HIST_GAP + HIST_H + 54.0;
const BAR_FILL: &str = palette::SKY;
const COUNT_FILL: &str = palette::AXIS;

/// Renders a reliability diagram: one bar per bin whose height is the bin's accuracy, a dot at
/// (mean confidence, accuracy) joined to the diagonal (its distance is the bin's calibration
/// gap), the dashed perfect-calibration diagonal, and the bin counts beneath.
///
/// Bins with non-finite fields or an empty (`lower` ≥ `upper`) interval are skipped; values
/// outside [0, 1] are clamped. With no usable bin it renders a "No data" chart.
pub fn reliability_diagram(bins: &[ReliabilityBin], title: &str) -> Svg {
    let bins: Vec<ReliabilityBin> = bins
        .iter()
        .filter(|b| {
            [b.lower, b.upper, b.mean_confidence, b.accuracy]
                .iter()
                .all(|v| v.is_finite())
        })
        .map(|b| ReliabilityBin {
            lower: b.lower.clamp(0.0, 1.0),
            upper: b.upper.clamp(0.0, 1.0),
            count: b.count,
            mean_confidence: b.mean_confidence.clamp(0.0, 1.0),
            accuracy: b.accuracy.clamp(0.0, 1.0),
        })
        .filter(|b| b.lower < b.upper)
        .collect();
    if bins.is_empty() {
        return no_data(title, "no reliability bins with predictions");
    }

    let mut c = Canvas::new(HEIGHT, title);
    let x = Scale::new((0.0, 1.0), (LEFT, LEFT + PLOT_W));
    let y = Scale::new((0.0, 1.0), (TOP + PLOT_H, TOP));
    let hist_top = TOP + PLOT_H + HIST_GAP;
    let hist_bottom = hist_top + HIST_H;
    let max_count = bins.iter().map(|b| b.count).max().unwrap_or(0);
    let count_ticks = nice_ticks(0.0, (max_count as f64).max(1.0), 2);
    let hy = Scale::new((0.0, count_ticks.hi()), (hist_bottom, hist_top));

    // Grid and axes of the main panel.
    for i in 0..=5 {
        let v = i as f64 / 5.0;
        let py = y.map(v);
        c.line(LEFT, py, LEFT + PLOT_W, py, palette::GRID, 1.0, None);
        c.text(LEFT - 8.0, py + 4.0, &fixed(v, 1), TextStyle::label(Anchor::End));
    }
    for i in 0..=10 {
        let px = x.map(i as f64 / 10.0);
        c.line(px, TOP, px, TOP + PLOT_H, palette::GRID, 1.0, None);
    }
    c.text_rotated(
        18.0,
        TOP + PLOT_H / 2.0,
        -90.0,
        "accuracy",
        TextStyle::label(Anchor::Middle),
    );

    // Accuracy bars.
    for b in bins.iter().filter(|b| b.count > 0) {
        let (x0, x1) = bar_span(&x, b);
        let top = y.map(b.accuracy);
        c.open_group("bin", &tooltip(b));
        c.rect(x0, top, x1 - x0, TOP + PLOT_H - top, BAR_FILL, "acc");
        c.close_group();
    }

    // The diagonal over the bars, then each bin's gap and dot over the diagonal.
    c.line(
        x.map(0.0),
        y.map(0.0),
        x.map(1.0),
        y.map(1.0),
        palette::INK,
        1.5,
        Some("6 4"),
    );
    for b in bins.iter().filter(|b| b.count > 0) {
        let px = x.map(b.mean_confidence);
        c.open_group("bin", &tooltip(b));
        c.line(
            px,
            y.map(b.accuracy),
            px,
            y.map(b.mean_confidence),
            palette::VERMILLION,
            2.0,
            None,
        );
        c.circle(px, y.map(b.accuracy), 4.5, palette::VERMILLION, "#ffffff", "conf");
        c.close_group();
    }
    c.line(LEFT, TOP, LEFT, TOP + PLOT_H, palette::AXIS, 1.0, None);
    c.line(
        LEFT,
        TOP + PLOT_H,
        LEFT + PLOT_W,
        TOP + PLOT_H,
        palette::AXIS,
        1.0,
        None,
    );

    // Count panel.
    for &t in &count_ticks.values {
        let py = hy.map(t);
        c.line(LEFT, py, LEFT + PLOT_W, py, palette::GRID, 1.0, None);
        c.text(LEFT - 8.0, py + 4.0, &compact(t), TextStyle::small(Anchor::End));
    }
    for b in &bins {
        let (x0, x1) = bar_span(&x, b);
        let top = hy.map(b.count as f64);
        c.open_group("bin", &tooltip(b));
        c.rect(x0, top, x1 - x0, hist_bottom - top, COUNT_FILL, "count");
        c.close_group();
    }
    c.line(LEFT, hist_top, LEFT, hist_bottom, palette::AXIS, 1.0, None);
    c.line(LEFT, hist_bottom, LEFT + PLOT_W, hist_bottom, palette::AXIS, 1.0, None);
    c.text_rotated(
        18.0,
        hist_top + HIST_H / 2.0,
        -90.0,
        "count",
        TextStyle::small(Anchor::Middle),
    );
    for i in 0..=10 {
        let v = i as f64 / 10.0;
        let px = x.map(v);
        c.line(px, hist_bottom, px, hist_bottom + 4.0, palette::AXIS, 1.0, None);
        c.text(px, hist_bottom + 18.0, &fixed(v, 1), TextStyle::label(Anchor::Middle));
    }
    c.text(
        LEFT + PLOT_W / 2.0,
        hist_bottom + 40.0,
        "confidence",
        TextStyle::label(Anchor::Middle),
    );

    // Legend beside the plot.
    let lx = LEFT + PLOT_W + 48.0;
    let entries = [
        (LegendMark::Swatch(BAR_FILL), "accuracy per bin"),
        (LegendMark::Dot(palette::VERMILLION), "mean confidence, accuracy"),
        (LegendMark::Line(palette::INK, Some("6 4")), "perfect calibration"),
        (LegendMark::Swatch(COUNT_FILL), "predictions per bin"),
    ];
    for (i, entry) in entries.iter().enumerate() {
        c.legend(lx, TOP + 14.0 + i as f64 * 24.0, std::slice::from_ref(entry));
    }
    let total: u64 = bins.iter().map(|b| b.count).sum();
    c.text(
        lx,
        TOP + 14.0 + entries.len() as f64 * 24.0 + 12.0,
        &format!("{} predictions in {} bins", count(total), bins.len()),
        TextStyle::small(Anchor::Start),
    );
    c.text(
        lx,
        TOP + 14.0 + entries.len() as f64 * 24.0 + 30.0,
        "dot below the diagonal: overconfident",
        TextStyle::small(Anchor::Start),
    );
    c.finish()
}

/// The bar's pixel span, inset by a pixel on each side so neighbouring bars stay apart.
fn bar_span(x: &Scale, b: &ReliabilityBin) -> (f64, f64) {
    let (x0, x1) = (x.map(b.lower), x.map(b.upper));
    if x1 - x0 > 3.0 { (x0 + 1.0, x1 - 1.0) } else { (x0, x1) }
}

fn tooltip(b: &ReliabilityBin) -> String {
    format!(
        "({}, {}]: accuracy {}, mean confidence {}, n = {}",
        fixed(b.lower, 2),
        fixed(b.upper, 2),
        value(b.accuracy),
        value(b.mean_confidence),
        count(b.count)
    )
}
