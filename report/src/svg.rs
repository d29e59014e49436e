//! The [`Svg`] newtype and the small drawing kit the charts share: a canvas that writes
//! escaped elements, linear scales, "nice" ticks and the palette.

use std::fmt;

use crate::escape::{escape, truncate};
use crate::num::{coord, fixed, scientific};

/// One finished chart: a standalone `<svg>` element (it carries its own `xmlns`, fonts and
/// colours, so it can also be saved as a `.svg` file).
///
/// Only this crate's chart functions make one, so a [`crate::Block::Chart`] never carries
/// unescaped caller text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Svg(String);

impl Svg {
    /// The markup.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The markup, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Svg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Svg {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Width of every chart's viewBox; pages show charts at this size or smaller.
pub(crate) const WIDTH: f64 = 900.0;

/// Font size of tick and category labels, and the estimated width of one character of it.
/// The estimate is on the wide side of system sans-serif fonts, so that labels laid out with
/// it do not collide.
pub(crate) const FONT: f64 = 12.0;
pub(crate) const CHAR_W: f64 = 6.8;

/// Baseline of the chart title and of the legend row beneath it.
pub(crate) const TITLE_Y: f64 = 22.0;
pub(crate) const LEGEND_Y: f64 = 44.0;

const FONT_STACK: &str =
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Noto Sans', 'Liberation Sans', sans-serif";

/// Okabe–Ito colours (distinguishable with the common colour-vision deficiencies) and greys.
pub(crate) mod palette {
    pub const BLUE: &str = "#0072B2";
    pub const ORANGE: &str = "#E69F00";
    pub const SKY: &str = "#56B4E9";
    pub const VERMILLION: &str = "#D55E00";
    pub const INK: &str = "#1f2933";
    pub const TEXT: &str = "#3e4c59";
    pub const MUTED: &str = "#7b8794";
    pub const GRID: &str = "#e4e7eb";
    pub const AXIS: &str = "#9aa5b1";
}

/// Estimated rendered width of `text` in tick-label font.
pub(crate) fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_W
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn as_str(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// Text styling that differs between elements.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextStyle {
    pub anchor: Anchor,
    pub size: f64,
    pub fill: &'static str,
    pub bold: bool,
}

impl TextStyle {
    pub(crate) const fn label(anchor: Anchor) -> Self {
        TextStyle {
            anchor,
            size: FONT,
            fill: palette::TEXT,
            bold: false,
        }
    }

    pub(crate) const fn small(anchor: Anchor) -> Self {
        TextStyle {
            anchor,
            size: 11.0,
            fill: palette::MUTED,
            bold: false,
        }
    }
}

/// Writes one `<svg>` element. Every piece of caller text goes through [`escape`].
pub(crate) struct Canvas {
    buf: String,
}

impl Canvas {
    /// Opens the element and draws the title; `title` is also the accessible name.
    pub(crate) fn new(height: f64, title: &str) -> Self {
        let mut buf = String::with_capacity(8 * 1024);
        let t = escape(title);
        buf.push_str(&format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{t}\" font-family=\"{FONT_STACK}\" \
             font-size=\"{FONT}\">\n<title>{t}</title>\n",
            w = coord(WIDTH),
            h = coord(height),
        ));
        buf.push_str(&format!(
            "<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n",
            coord(WIDTH),
            coord(height)
        ));
        let mut canvas = Canvas { buf };
        let title = truncate(title, 90);
        canvas.text(
            16.0,
            TITLE_Y,
            &title,
            TextStyle {
                anchor: Anchor::Start,
                size: 15.0,
                fill: palette::INK,
                bold: true,
            },
        );
        canvas
    }

    pub(crate) fn finish(mut self) -> Svg {
        self.buf.push_str("</svg>");
        Svg(self.buf)
    }

    /// Opens a group with a tooltip (`<title>`), so hovering a mark explains it without script.
    pub(crate) fn open_group(&mut self, class: &str, tooltip: &str) {
        self.buf.push_str(&format!(
            "<g class=\"{}\"><title>{}</title>",
            escape(class),
            escape(tooltip)
        ));
    }

    pub(crate) fn close_group(&mut self) {
        self.buf.push_str("</g>\n");
    }

    pub(crate) fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, class: &str) {
        self.buf.push_str(&format!(
            "<rect class=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>",
            escape(class),
            coord(x),
            coord(y),
            coord(w.max(0.0)),
            coord(h.max(0.0)),
            fill
        ));
    }

    // The SVG attributes of one <line>, in the element's own order.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, width: f64, dash: Option<&str>) {
        let dash = dash.map(|d| format!(" stroke-dasharray=\"{d}\"")).unwrap_or_default();
        self.buf.push_str(&format!(
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"{}\"{}/>",
            coord(x1),
            coord(y1),
            coord(x2),
            coord(y2),
            stroke,
            coord(width),
            dash
        ));
    }

    pub(crate) fn path(&mut self, d: &str, stroke: &str, width: f64, class: &str) {
        self.buf.push_str(&format!(
            "<path class=\"{}\" d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" \
             stroke-linejoin=\"round\" stroke-linecap=\"round\"/>\n",
            escape(class),
            d,
            stroke,
            coord(width)
        ));
    }

    pub(crate) fn circle(&mut self, cx: f64, cy: f64, r: f64, fill: &str, stroke: &str, class: &str) {
        self.buf.push_str(&format!(
            "<circle class=\"{}\" cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\" stroke=\"{}\" stroke-width=\"1.5\"/>",
            escape(class),
            coord(cx),
            coord(cy),
            coord(r),
            fill,
            stroke
        ));
    }

    pub(crate) fn polygon(&mut self, points: &[(f64, f64)], fill: &str, class: &str) {
        let pts: Vec<String> = points
            .iter()
            .map(|&(x, y)| format!("{},{}", coord(x), coord(y)))
            .collect();
        self.buf.push_str(&format!(
            "<polygon class=\"{}\" points=\"{}\" fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"1\"/>",
            escape(class),
            pts.join(" "),
            fill
        ));
    }

    /// A downward triangle whose tip is at (`x`, `y`).
    pub(crate) fn triangle_down(&mut self, x: f64, y: f64, size: f64, fill: &str, class: &str) {
        let h = size * 0.87;
        self.polygon(&[(x - size / 2.0, y - h), (x + size / 2.0, y - h), (x, y)], fill, class);
    }

    pub(crate) fn text(&mut self, x: f64, y: f64, content: &str, style: TextStyle) {
        self.text_inner(x, y, content, style, None);
    }

    /// Text rotated by `degrees` around its anchor point.
    pub(crate) fn text_rotated(&mut self, x: f64, y: f64, degrees: f64, content: &str, style: TextStyle) {
        self.text_inner(x, y, content, style, Some(degrees));
    }

    fn text_inner(&mut self, x: f64, y: f64, content: &str, style: TextStyle, rotate: Option<f64>) {
        let rotate = rotate
            .map(|d| format!(" transform=\"rotate({} {} {})\"", coord(d), coord(x), coord(y)))
            .unwrap_or_default();
        let size = if style.size == FONT {
            String::new()
        } else {
            format!(" font-size=\"{}\"", coord(style.size))
        };
        let weight = if style.bold { " font-weight=\"600\"" } else { "" };
        self.buf.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" fill=\"{}\"{}{}{}>{}</text>\n",
            coord(x),
            coord(y),
            style.anchor.as_str(),
            style.fill,
            size,
            weight,
            rotate,
            escape(content)
        ));
    }

    /// A horizontal legend row starting at (`x`, `y` baseline); returns the x after it.
    pub(crate) fn legend(&mut self, x: f64, y: f64, entries: &[(LegendMark, &str)]) -> f64 {
        let mut x = x;
        self.buf.push_str("<g class=\"legend\">");
        for (mark, label) in entries {
            match *mark {
                LegendMark::Swatch(fill) => self.rect(x, y - 10.0, 12.0, 12.0, fill, "legend-mark"),
                LegendMark::Line(stroke, dash) => self.line(x, y - 4.0, x + 16.0, y - 4.0, stroke, 2.0, dash),
                LegendMark::Dot(fill) => self.circle(x + 6.0, y - 4.0, 4.0, fill, "#ffffff", "legend-mark"),
                LegendMark::Triangle(fill) => self.triangle_down(x + 6.0, y + 1.0, 11.0, fill, "legend-mark"),
                LegendMark::Whisker(stroke) => {
                    self.line(x, y - 4.0, x + 16.0, y - 4.0, stroke, 1.5, None);
                    self.line(x, y - 8.0, x, y, stroke, 1.5, None);
                    self.line(x + 16.0, y - 8.0, x + 16.0, y, stroke, 1.5, None);
                }
            }
            let label_x = x + 22.0;
            self.text(label_x, y, label, TextStyle::label(Anchor::Start));
            x = label_x + text_width(label) + 18.0;
        }
        self.buf.push_str("</g>\n");
        x
    }
}

/// What a legend entry shows before its label.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LegendMark {
    Swatch(&'static str),
    Line(&'static str, Option<&'static str>),
    Dot(&'static str),
    Triangle(&'static str),
    Whisker(&'static str),
}

/// The chart shown for an input with nothing to plot: the title and a "No data" line.
pub(crate) fn no_data(title: &str, detail: &str) -> Svg {
    let mut c = Canvas::new(92.0, title);
    c.rect(16.0, 36.0, WIDTH - 32.0, 44.0, "#f5f7fa", "no-data");
    c.text(
        WIDTH / 2.0,
        63.0,
        &format!("No data — {detail}"),
        TextStyle::label(Anchor::Middle),
    );
    c.finish()
}

/// Maps a domain linearly onto a pixel range (which may be reversed, as y is).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    pub d0: f64,
    pub d1: f64,
    pub r0: f64,
    pub r1: f64,
}

impl Scale {
    pub(crate) fn new(domain: (f64, f64), range: (f64, f64)) -> Self {
        Scale {
            d0: domain.0,
            d1: domain.1,
            r0: range.0,
            r1: range.1,
        }
    }

    /// The pixel position of `v`, clamped to the range.
    pub(crate) fn map(&self, v: f64) -> f64 {
        // Halved so that a domain as wide as ±f64::MAX does not overflow to infinity.
        let span = self.d1 / 2.0 - self.d0 / 2.0;
        let t = (v / 2.0 - self.d0 / 2.0) / span;
        let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.5 };
        self.r0 + t * (self.r1 - self.r0)
    }
}

/// Ticks at 1, 2, 2.5 or 5 × 10ᵏ covering `[lo, hi]`, and the decimals their labels need.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ticks {
    pub values: Vec<f64>,
    pub decimals: usize,
}

impl Ticks {
    pub(crate) fn lo(&self) -> f64 {
        self.values[0]
    }

    pub(crate) fn hi(&self) -> f64 {
        self.values[self.values.len() - 1]
    }

    /// The tick's label, with a real minus sign.
    pub(crate) fn label(&self, v: f64) -> String {
        let big = self.lo().abs().max(self.hi().abs()) >= 1e9;
        if big || self.decimals > 6 {
            if v == 0.0 {
                "0".to_string()
            } else {
                minus(scientific(v))
            }
        } else {
            minus(fixed(v, self.decimals))
        }
    }

    /// Labels as percentages of a share in [0, 1].
    pub(crate) fn percent_label(&self, v: f64) -> String {
        let decimals = self.decimals.saturating_sub(2);
        if decimals <= 4 {
            format!("{}%", fixed(v * 100.0, decimals))
        } else if v == 0.0 {
            "0%".to_string()
        } else {
            format!("{}%", scientific(v * 100.0))
        }
    }
}

/// `text` with a leading hyphen-minus replaced by U+2212, which lines up with `+` and digits.
pub(crate) fn minus(text: String) -> String {
    match text.strip_prefix('-') {
        Some(rest) => format!("\u{2212}{rest}"),
        None => text,
    }
}

/// About `target` nice ticks spanning `[lo, hi]` (extended outwards to the ticks). Equal or
/// non-finite bounds are widened first, so the result always has at least two ticks.
pub(crate) fn nice_ticks(lo: f64, hi: f64, target: usize) -> Ticks {
    let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() {
        (lo.min(hi), lo.max(hi))
    } else {
        (0.0, 1.0)
    };
    if hi - lo < f64::EPSILON * lo.abs().max(hi.abs()).max(1e-300) * 16.0 {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        lo -= pad;
        hi += pad;
    }
    if !(hi - lo).is_finite() {
        // Beyond f64's range as a span (e.g. ±1e308): no step fits, the bounds themselves do.
        return Ticks {
            values: vec![lo, hi],
            decimals: 0,
        };
    }
    let target = target.max(2) as f64;
    let raw = (hi - lo) / target;
    let magnitude = 10f64.powf(raw.log10().floor());
    let mut step = magnitude * 10.0;
    let mut step_mantissa_decimals = 0;
    for (m, extra) in [(1.0, 0), (2.0, 0), (2.5, 1), (5.0, 0), (10.0, 0)] {
        if magnitude * m >= raw {
            step = magnitude * m;
            step_mantissa_decimals = extra;
            break;
        }
    }
    let first = (lo / step).floor() as i64;
    let last = (hi / step).ceil() as i64;
    // Bounded by construction (about `target` steps), but guard against pathological floats.
    let last = last.min(first + 200);
    let values = (first..=last)
        .map(|k| {
            let v = k as f64 * step;
            if v == 0.0 { 0.0 } else { v }
        })
        .collect();
    let decimals = (-(step.log10().floor()) as i64 + step_mantissa_decimals).max(0) as usize;
    Ticks { values, decimals }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_cover_the_domain() {
        let t = nice_ticks(0.0, 1.0, 5);
        assert_eq!(t.values, vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]);
        assert_eq!(t.decimals, 1);
        assert_eq!(t.label(t.values[3]), "0.6");
        assert_eq!(t.label(-0.4), "\u{2212}0.4");

        let t = nice_ticks(3.0, 97.0, 5);
        assert_eq!((t.lo(), t.hi()), (0.0, 100.0));
        assert_eq!(t.decimals, 0);

        let t = nice_ticks(-0.37, 0.81, 6);
        assert!(t.lo() <= -0.37 && t.hi() >= 0.81);
    }

    #[test]
    fn nice_ticks_survive_degenerate_domains() {
        for (lo, hi) in [
            (5.0, 5.0),
            (0.0, 0.0),
            (f64::NAN, 1.0),
            (1e-12, 1e-12),
            (-3.0, -3.0),
            (-f64::MAX, f64::MAX),
            (f64::MIN_POSITIVE, f64::MIN_POSITIVE),
            (1e300, 1e300),
        ] {
            let t = nice_ticks(lo, hi, 5);
            assert!(t.values.len() >= 2, "{lo} {hi}: {t:?}");
            assert!(t.lo() < t.hi());
        }
    }

    #[test]
    fn scale_maps_and_clamps() {
        let s = Scale::new((0.0, 1.0), (300.0, 0.0));
        assert_eq!(s.map(0.5), 150.0);
        assert_eq!(s.map(2.0), 0.0);
        assert_eq!(Scale::new((1.0, 1.0), (0.0, 10.0)).map(1.0), 5.0);
    }
}
