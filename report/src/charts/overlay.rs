//! Reference against current distribution of one feature, as grouped bars per bin.

use crate::escape::truncate;
use crate::num::percent;
use crate::svg::{Anchor, Canvas, LegendMark, Scale, Svg, TextStyle, WIDTH, nice_ticks, no_data, palette, text_width};

/// One bin (numeric, e.g. `(0.3, 0.4]`) or category of a feature, with the share of the
/// reference and of the current window that fall in it.
#[derive(Debug, Clone, PartialEq)]
pub struct OverlayBin {
    pub label: String,
    pub reference_share: f64,
    pub current_share: f64,
}

/// At most this many bars groups are drawn; beyond it the smallest bins merge into "other".
pub const MAX_OVERLAY_BINS: usize = 30;

const REFERENCE: &str = palette::BLUE;
const CURRENT: &str = palette::ORANGE;
const TOP: f64 = 62.0;
pub(crate) const PLOT_H: f64 = 220.0;
const RIGHT: f64 = 16.0;
const MIN_LEFT: f64 = 64.0;
const LABEL_CHARS: usize = 22;

/// Renders grouped bars, reference (blue) beside current (orange), per bin, with a legend.
///
/// Bins keep their order. More than [`MAX_OVERLAY_BINS`] bins keep the ones with the largest
/// share on either side and sum the others into a final "other (N)" bin. Long labels are
/// rotated and truncated (the full label is in each bar's tooltip). Shares above 1 are drawn
/// as 1; a non-finite or negative share draws no bar; with no usable share at all it renders
/// a "No data" chart.
pub fn histogram_overlay(bins: &[OverlayBin], title: &str) -> Svg {
    let sane = |v: f64| {
        if v.is_finite() && v >= 0.0 {
            v.min(1.0)
        } else {
            f64::NAN
        }
    };
    let bins: Vec<OverlayBin> = bins
        .iter()
        .map(|b| OverlayBin {
            label: b.label.clone(),
            reference_share: sane(b.reference_share),
            current_share: sane(b.current_share),
        })
        .collect();
    let bins = cap_bins(&bins);
    let max_share = bins
        .iter()
        .flat_map(|b| [b.reference_share, b.current_share])
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    if bins.is_empty() || !max_share.is_finite() {
        return no_data(title, "no bins with a finite share");
    }
    let ticks = nice_ticks(0.0, if max_share > 0.0 { max_share } else { 1.0 }, 5);
    let n = bins.len() as f64;

    // Labels: horizontal if every one fits its slot, else rotated 45° and truncated.
    let full_w: f64 = bins
        .iter()
        .map(|b| text_width(&truncate(&b.label, LABEL_CHARS)))
        .fold(0.0, f64::max);
    let slot_guess = (WIDTH - MIN_LEFT - RIGHT) / n;
    let rotate = full_w + 8.0 > slot_guess;
    let labels: Vec<String> = bins
        .iter()
        .map(|b| truncate(&b.label, if rotate { 18 } else { LABEL_CHARS }))
        .collect();
    let label_w = labels.iter().map(|l| text_width(l)).fold(0.0, f64::max);
    let diag = std::f64::consts::FRAC_1_SQRT_2;
    let left = if rotate {
        MIN_LEFT.max(label_w * diag + 12.0 - slot_guess / 2.0)
    } else {
        MIN_LEFT
    };
    let plot_w = WIDTH - left - RIGHT;
    let slot = plot_w / n;
    let bottom_margin = if rotate { label_w * diag + 24.0 } else { 32.0 };
    let height = TOP + PLOT_H + bottom_margin + 8.0;

    let mut c = Canvas::new(height, title);
    c.legend(
        16.0,
        crate::svg::LEGEND_Y,
        &[
            (LegendMark::Swatch(REFERENCE), "reference"),
            (LegendMark::Swatch(CURRENT), "current"),
        ],
    );
    let y = Scale::new((0.0, ticks.hi()), (TOP + PLOT_H, TOP));
    for &t in &ticks.values {
        let py = y.map(t);
        c.line(left, py, left + plot_w, py, palette::GRID, 1.0, None);
        c.text(
            left - 8.0,
            py + 4.0,
            &ticks.percent_label(t),
            TextStyle::label(Anchor::End),
        );
    }
    let tick_w = ticks
        .values
        .iter()
        .map(|&t| text_width(&ticks.percent_label(t)))
        .fold(0.0, f64::max);
    c.text_rotated(
        (left - 8.0 - tick_w - 14.0).max(18.0),
        TOP + PLOT_H / 2.0,
        -90.0,
        "share",
        TextStyle::label(Anchor::Middle),
    );

    let bar_w = (slot * 0.4).min(28.0);
    for (i, (b, label)) in bins.iter().zip(&labels).enumerate() {
        let centre = left + slot * (i as f64 + 0.5);
        c.open_group(
            "bin",
            &format!(
                "{}: reference {}, current {}",
                b.label,
                share_text(b.reference_share),
                share_text(b.current_share)
            ),
        );
        for (share, x0, fill, class) in [
            (b.reference_share, centre - bar_w, REFERENCE, "ref"),
            (b.current_share, centre, CURRENT, "cur"),
        ] {
            if share.is_finite() && share >= 0.0 {
                let top = y.map(share);
                c.rect(x0, top, bar_w, TOP + PLOT_H - top, fill, class);
            }
        }
        c.close_group();
        let ly = TOP + PLOT_H + 16.0;
        if rotate {
            c.text_rotated(centre + 4.0, ly - 4.0, -45.0, label, TextStyle::label(Anchor::End));
        } else {
            c.text(centre, ly, label, TextStyle::label(Anchor::Middle));
        }
    }
    c.line(
        left,
        TOP + PLOT_H,
        left + plot_w,
        TOP + PLOT_H,
        palette::AXIS,
        1.0,
        None,
    );
    c.finish()
}

fn share_text(v: f64) -> String {
    if v.is_finite() { percent(v) } else { "n/a".to_string() }
}

/// The bins to draw: all of them when few, else the largest `MAX - 1` in their order plus "other".
fn cap_bins(bins: &[OverlayBin]) -> Vec<OverlayBin> {
    if bins.len() <= MAX_OVERLAY_BINS {
        return bins.to_vec();
    }
    let size = |b: &OverlayBin| {
        [b.reference_share, b.current_share]
            .into_iter()
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max)
    };
    let mut order: Vec<usize> = (0..bins.len()).collect();
    // Stable sort: ties keep their input order, so the choice is deterministic.
    order.sort_by(|&a, &b| size(&bins[b]).total_cmp(&size(&bins[a])));
    let mut keep = order[..MAX_OVERLAY_BINS - 1].to_vec();
    keep.sort_unstable();
    let rest = &order[MAX_OVERLAY_BINS - 1..];
    let sum = |f: fn(&OverlayBin) -> f64| -> f64 { rest.iter().map(|&i| f(&bins[i])).filter(|v| v.is_finite()).sum() };
    let mut out: Vec<OverlayBin> = keep.iter().map(|&i| bins[i].clone()).collect();
    out.push(OverlayBin {
        label: format!("other ({})", rest.len()),
        reference_share: sum(|b| b.reference_share),
        current_share: sum(|b| b.current_share),
    });
    out
}
