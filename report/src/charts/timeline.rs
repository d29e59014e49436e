//! A KPI or drift statistic per window, with the windows where a change detector alarmed.

use crate::escape::truncate;
use crate::num::value;
use crate::svg::{
    Anchor, Canvas, LEGEND_Y, LegendMark, Scale, Svg, TextStyle, WIDTH, nice_ticks, no_data, palette, text_width,
};

/// One window of a series: its x label (a date, an hour, a window number) and its value,
/// `None` where the window has no value (drawn as a gap).
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPoint {
    pub label: String,
    pub value: Option<f64>,
}

const LINE: &str = palette::BLUE;
const ALARM: &str = palette::VERMILLION;
const GAP: &str = "#eef1f5";
const TOP: f64 = 62.0;
pub(crate) const PLOT_H: f64 = 220.0;
const RIGHT: f64 = 24.0;
const PAD: f64 = 12.0;
const LABEL_CHARS: usize = 20;
/// Up to this many points each get a dot with a tooltip; denser series are drawn as a line only.
const MAX_DOTS: usize = 80;

/// Renders the series as a line with a gap wherever a value is missing or non-finite, and a
/// red triangle above each point listed in `alarms` (indices into `series`; out-of-range and
/// repeated indices are ignored). Windows are evenly spaced; x labels are thinned so they do
/// not overlap. A series with no finite value renders a "No data" chart.
pub fn timeline(series: &[SeriesPoint], alarms: &[usize], title: &str) -> Svg {
    let finite = |p: &SeriesPoint| p.value.filter(|v| v.is_finite());
    let values: Vec<Option<f64>> = series.iter().map(finite).collect();
    let (lo, hi) = values
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return no_data(title, "no window has a value");
    }
    // Headroom above the highest value, so an alarm triangle there does not cover its point.
    let ticks = nice_ticks(lo, hi + (hi - lo) * 0.08, 5);
    let tick_w = ticks
        .values
        .iter()
        .map(|&t| text_width(&ticks.label(t)))
        .fold(0.0, f64::max);
    let left = (36.0 + tick_w + 8.0).max(56.0);
    let plot_w = WIDTH - left - RIGHT;
    let n = series.len();
    let x_at = |i: usize| {
        if n == 1 {
            left + plot_w / 2.0
        } else {
            left + PAD + i as f64 * (plot_w - 2.0 * PAD) / (n - 1) as f64
        }
    };
    let y = Scale::new((ticks.lo(), ticks.hi()), (TOP + PLOT_H, TOP));
    let height = TOP + PLOT_H + 48.0;

    let mut alarms: Vec<usize> = alarms.iter().copied().filter(|&i| i < n).collect();
    alarms.sort_unstable();
    alarms.dedup();

    let mut c = Canvas::new(height, title);
    let mut legend = vec![(LegendMark::Line(LINE, None), "value")];
    if !alarms.is_empty() {
        legend.push((LegendMark::Triangle(ALARM), "alarm"));
    }
    if values.iter().any(Option::is_none) {
        legend.push((LegendMark::Swatch(GAP), "no value"));
    }
    c.legend(16.0, LEGEND_Y, &legend);

    // Shade each run of windows without a value, so a gap reads as missing data, not a drop.
    let half_step = if n > 1 {
        (plot_w - 2.0 * PAD) / (n - 1) as f64 / 2.0
    } else {
        plot_w / 2.0
    };
    let mut i = 0;
    while i < n {
        if values[i].is_some() {
            i += 1;
            continue;
        }
        let start = i;
        while i < n && values[i].is_none() {
            i += 1;
        }
        let x0 = (x_at(start) - half_step).max(left);
        let x1 = (x_at(i - 1) + half_step).min(left + plot_w);
        c.rect(x0, TOP, x1 - x0, PLOT_H, GAP, "gap");
    }

    for &t in &ticks.values {
        let py = y.map(t);
        c.line(left, py, left + plot_w, py, palette::GRID, 1.0, None);
        c.text(left - 8.0, py + 4.0, &ticks.label(t), TextStyle::label(Anchor::End));
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

    // Alarm rules first, under the line.
    for &i in &alarms {
        c.line(x_at(i), TOP, x_at(i), TOP + PLOT_H, ALARM, 1.0, Some("3 3"));
    }

    // The line, broken at gaps; a point alone between gaps becomes a dot so it stays visible.
    let mut d = String::new();
    let mut run = 0usize;
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                let cmd = if run == 0 { 'M' } else { 'L' };
                d.push_str(&format!(
                    "{cmd}{},{} ",
                    crate::num::coord(x_at(i)),
                    crate::num::coord(y.map(*v))
                ));
                run += 1;
            }
            None => run = 0,
        }
    }
    c.path(d.trim_end(), LINE, 2.0, "series");
    for (i, v) in values.iter().enumerate() {
        let Some(v) = v else { continue };
        let alone = (i == 0 || values[i - 1].is_none()) && values.get(i + 1).is_none_or(Option::is_none);
        if n <= MAX_DOTS || alone {
            c.open_group("point", &format!("{}: {}", series[i].label, value(*v)));
            c.circle(
                x_at(i),
                y.map(*v),
                if alone { 3.5 } else { 2.5 },
                LINE,
                "#ffffff",
                "dot",
            );
            c.close_group();
        }
    }

    for &i in &alarms {
        let tip_y = values[i].map_or(TOP + 12.0, |v| y.map(v) - 6.0).max(TOP + 12.0);
        let what = values[i].map_or_else(|| "no value".to_string(), value);
        c.open_group("alarm", &format!("alarm at {}: {}", series[i].label, what));
        c.triangle_down(x_at(i), tip_y, 12.0, ALARM, "alarm-mark");
        c.close_group();
    }

    // x labels, thinned to every k-th so they do not overlap, kept inside the chart.
    let labels: Vec<String> = series.iter().map(|p| truncate(&p.label, LABEL_CHARS)).collect();
    let label_w = labels.iter().map(|l| text_width(l)).fold(0.0, f64::max) + 14.0;
    let spacing = if n > 1 {
        (plot_w - 2.0 * PAD) / (n - 1) as f64
    } else {
        plot_w
    };
    let every = ((label_w / spacing).ceil() as usize).max(1);
    for (i, label) in labels.iter().enumerate().step_by(every) {
        let half = text_width(label) / 2.0 + 4.0;
        let px = x_at(i).clamp(half, WIDTH - half);
        c.line(
            x_at(i),
            TOP + PLOT_H,
            x_at(i),
            TOP + PLOT_H + 4.0,
            palette::AXIS,
            1.0,
            None,
        );
        c.text(px, TOP + PLOT_H + 18.0, label, TextStyle::small(Anchor::Middle));
    }
    c.finish()
}
