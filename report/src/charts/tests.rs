use super::*;
use crate::Svg;
use crate::xml_check::{Element, parse};

fn elements(svg: &Svg) -> Vec<Element> {
    parse(svg.as_str()).unwrap_or_else(|e| panic!("not well-formed: {e}\n{svg}"))
}

fn with_class<'a>(els: &'a [Element], class: &str) -> Vec<&'a Element> {
    els.iter().filter(|e| e.attr("class") == Some(class)).collect()
}

fn rel(lower: f64, count: u64, mean_confidence: f64, accuracy: f64) -> ReliabilityBin {
    ReliabilityBin {
        lower,
        upper: lower + 0.1,
        count,
        mean_confidence,
        accuracy,
    }
}

fn ov(label: &str, reference_share: f64, current_share: f64) -> OverlayBin {
    OverlayBin {
        label: label.to_string(),
        reference_share,
        current_share,
    }
}

fn pt(label: &str, value: Option<f64>) -> SeriesPoint {
    SeriesPoint {
        label: label.to_string(),
        value,
    }
}

fn iv(label: &str, value: f64, low: Option<f64>, high: Option<f64>) -> IntervalBar {
    IntervalBar {
        label: label.to_string(),
        value,
        low,
        high,
    }
}

/// Every chart kind on the given text, so properties can be checked across all of them.
fn all_charts(text: &str) -> Vec<Svg> {
    vec![
        reliability_diagram(&[rel(0.5, 10, 0.55, 0.5)], text),
        histogram_overlay(&[ov(text, 0.5, 0.4), ov("b", 0.5, 0.6)], text),
        horizontal_bars_with_intervals(&[iv(text, 0.3, Some(0.1), Some(0.5))], text, None),
        timeline(&[pt(text, Some(1.0)), pt("b", Some(2.0))], &[1], text),
        bar_list(&[(text, 1.0)], text),
    ]
}

#[test]
fn user_text_is_escaped_everywhere() {
    let evil = r#"<script>alert("x&y")</script>"#;
    for svg in all_charts(evil) {
        let s = svg.as_str();
        assert!(!s.contains("<script"), "{s}");
        assert!(s.contains("&lt;script&gt;"), "{s}");
        assert!(s.contains("&quot;x&amp;y&quot;"), "{s}");
        elements(&svg);
    }
}

#[test]
fn empty_inputs_render_no_data() {
    let none: [(&str, f64); 0] = [];
    let charts = [
        reliability_diagram(&[], "Calibration"),
        histogram_overlay(&[], "Overlay"),
        horizontal_bars_with_intervals(&[], "Drivers", None),
        timeline(&[], &[0, 3], "Timeline"),
        bar_list(&none, "Tokens"),
    ];
    for svg in &charts {
        let els = elements(svg);
        assert_eq!(els[0].name, "svg");
        assert!(svg.as_str().contains("No data"), "{svg}");
    }
}

#[test]
fn non_finite_values_are_skipped() {
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    assert!(
        reliability_diagram(&[rel(0.1, 3, nan, 0.5), rel(0.2, 3, 0.2, inf)], "t")
            .as_str()
            .contains("No data")
    );
    assert!(
        histogram_overlay(&[ov("a", nan, inf)], "t")
            .as_str()
            .contains("No data")
    );
    assert!(
        timeline(&[pt("a", Some(nan)), pt("b", None)], &[], "t")
            .as_str()
            .contains("No data")
    );
    assert!(bar_list(&[("a", inf)], "t").as_str().contains("No data"));
    assert!(
        horizontal_bars_with_intervals(&[iv("a", nan, None, None)], "t", None)
            .as_str()
            .contains("No data")
    );

    let svg = bar_list(&[("a", inf), ("b", 2.0), ("c", nan)], "t");
    let els = elements(&svg);
    assert_eq!(with_class(&els, "bar").len(), 1);
    assert!(!svg.as_str().contains("NaN") && !svg.as_str().contains("inf"));

    let svg = horizontal_bars_with_intervals(&[iv("a", 0.2, Some(nan), Some(0.4))], "t", Some((nan, 1.0)));
    let els = elements(&svg);
    assert_eq!(with_class(&els, "bar").len(), 1);
    assert!(!svg.as_str().contains("NaN"));
}

#[test]
fn degenerate_series_render() {
    for series in [
        vec![pt("only", Some(3.0))],
        vec![pt("a", Some(0.0)), pt("b", Some(0.0)), pt("c", Some(0.0))],
        vec![pt("a", Some(5.0)), pt("b", None), pt("c", Some(5.0))],
        vec![pt("a", Some(-1e-12)), pt("b", Some(1e12))],
    ] {
        let svg = timeline(&series, &[0, 0, 99], "t");
        let els = elements(&svg);
        assert_eq!(
            with_class(&els, "alarm").len(),
            1,
            "alarms deduplicated, out of range dropped"
        );
        assert!(!svg.as_str().contains("NaN"));
    }
    let svg = bar_list(&[("a", 0.0), ("b", 0.0)], "all zero");
    elements(&svg);
    let svg = histogram_overlay(&[ov("a", 0.0, 0.0)], "all zero");
    elements(&svg);
    let svg = reliability_diagram(&[rel(0.0, 0, 0.0, 0.0)], "empty bin");
    assert!(with_class(&elements(&svg), "acc").is_empty());
}

#[test]
fn extreme_magnitudes_render_readably() {
    for (a, b) in [
        (f64::MAX, -f64::MAX),
        (1e300, 1e300),
        (f64::MIN_POSITIVE, 0.0),
        (1e-9, 2e-9),
        (4e12, 5e12),
    ] {
        let svgs = [
            horizontal_bars_with_intervals(&[iv("a", a, Some(b), Some(a)), iv("b", b, None, None)], "t", None),
            timeline(&[pt("a", Some(a)), pt("b", Some(b))], &[0, 1], "t"),
            bar_list(&[("a", a), ("b", b)], "t"),
            histogram_overlay(&[ov("a", a, b), ov("b", b, a)], "t"),
            reliability_diagram(&[rel(0.0, u64::MAX, a, b)], "t"),
        ];
        for svg in &svgs {
            let els = elements(svg);
            let s = svg.as_str();
            assert!(!s.contains("NaN") && !s.contains("inf"), "{a} {b}: {s}");
            for e in els.iter().filter(|e| e.name == "text") {
                assert!(e.text.chars().count() <= 100, "{a} {b}: long label {}", e.text);
            }
        }
    }
}

#[test]
fn output_is_deterministic() {
    let a = all_charts("x");
    let b = all_charts("x");
    assert_eq!(a, b);
}

#[test]
fn reliability_bar_heights_follow_accuracy() {
    use super::reliability::{LEFT, PLOT_H, PLOT_W, TOP};
    let svg = reliability_diagram(&[rel(0.4, 100, 0.45, 0.5), rel(0.9, 50, 0.95, 1.0)], "t");
    let els = elements(&svg);
    let bars = with_class(&els, "acc");
    assert_eq!(bars.len(), 2);
    assert_eq!(bars[0].num("height"), PLOT_H / 2.0);
    assert_eq!(bars[0].num("y") + bars[0].num("height"), TOP + PLOT_H);
    assert_eq!(bars[1].num("height"), PLOT_H);
    // The bar spans its bin on the x axis, less a pixel of spacing on each side.
    assert_eq!(bars[0].num("x"), LEFT + 0.4 * PLOT_W + 1.0);
    // The marker sits at (mean confidence, accuracy).
    let dots = with_class(&els, "conf");
    assert_eq!(dots[0].num("cx"), LEFT + 0.45 * PLOT_W);
    assert_eq!(dots[0].num("cy"), TOP + PLOT_H / 2.0);
    // The bigger bin has the taller count bar.
    let counts = with_class(&els, "count");
    assert!(counts[0].num("height") > counts[1].num("height"));
}

#[test]
fn overlay_bars_are_proportional_and_capped() {
    let svg = histogram_overlay(&[ov("(0.3, 0.4]", 0.2, 0.4), ov("(0.4, 0.5]", 0.1, 0.0)], "t");
    let els = elements(&svg);
    let refs = with_class(&els, "ref");
    let curs = with_class(&els, "cur");
    assert_eq!((refs.len(), curs.len()), (2, 2));
    let h = |e: &Element| e.num("height");
    assert!((h(curs[0]) - 2.0 * h(refs[0])).abs() < 0.02);
    assert!((h(refs[0]) - 2.0 * h(refs[1])).abs() < 0.02);
    assert_eq!(h(curs[1]), 0.0);

    let many: Vec<OverlayBin> = (0..100)
        .map(|i| {
            ov(
                &format!("intent_{i:03}_with_a_rather_long_name"),
                i as f64 / 5050.0,
                0.01,
            )
        })
        .collect();
    let svg = histogram_overlay(&many, "t");
    let els = elements(&svg);
    assert_eq!(with_class(&els, "ref").len(), MAX_OVERLAY_BINS);
    assert!(svg.as_str().contains("other (71)"));
    // The largest bins are kept, in input order.
    assert!(svg.as_str().contains("intent_099"));
    assert!(!svg.as_str().contains("intent_000"));
    // Long labels are rotated.
    assert!(svg.as_str().contains("rotate(-45"));
}

#[test]
fn interval_bars_start_at_zero() {
    let svg = horizontal_bars_with_intervals(
        &[
            iv("first_response_s", -0.5, Some(-0.6), Some(-0.4)),
            iv("resolved", 0.5, Some(0.4), Some(0.6)),
        ],
        "t",
        None,
    );
    let els = elements(&svg);
    let bars = with_class(&els, "bar");
    let (neg, pos) = (bars[0], bars[1]);
    // Domain [-1, 1]: zero is mid-plot, so both bars have the same width, on either side of it.
    assert!((neg.num("width") - pos.num("width")).abs() < 0.02);
    assert!((neg.num("x") + neg.num("width") - pos.num("x")).abs() < 0.02);
    assert!(svg.as_str().contains("\u{2212}0.500 [\u{2212}0.600, \u{2212}0.400]"));

    // A value outside the domain widens it instead of overflowing the plot.
    let svg = horizontal_bars_with_intervals(&[iv("x", 3.0, None, None)], "t", Some((-1.0, 1.0)));
    let els = elements(&svg);
    let bar = with_class(&els, "bar")[0];
    assert!(bar.num("x") + bar.num("width") <= crate::svg::WIDTH);
}

#[test]
fn bar_list_caps_rows() {
    let items: Vec<(String, f64)> = (0..(MAX_ROWS + 5)).map(|i| (format!("tok{i}"), i as f64)).collect();
    let svg = bar_list(&items, "t");
    let els = elements(&svg);
    assert_eq!(with_class(&els, "bar").len(), MAX_ROWS);
    assert!(svg.as_str().contains("and 5 more not shown"));
}

#[test]
fn timeline_breaks_the_line_at_gaps() {
    let series = [
        pt("a", Some(1.0)),
        pt("b", Some(2.0)),
        pt("c", None),
        pt("d", Some(3.0)),
        pt("e", Some(4.0)),
    ];
    let svg = timeline(&series, &[2], "t");
    let els = elements(&svg);
    let path = with_class(&els, "series")[0].attr("d").unwrap();
    assert_eq!(path.matches('M').count(), 2, "{path}");
    assert_eq!(path.matches('L').count(), 2, "{path}");
    // An alarm on a gap still shows, at the top of the plot.
    assert_eq!(with_class(&els, "alarm").len(), 1);
    // Values map linearly: 1 and 4 lie on the tick range [1, 4] → bottom and top of the plot.
    let dots = with_class(&els, "dot");
    let ys: Vec<f64> = dots.iter().map(|d| d.num("cy")).collect();
    assert!(ys[0] > ys[1] && ys[1] > ys[2] && ys[2] > ys[3]);
    let step = (ys[0] - ys[3]) / 3.0;
    assert!((ys[0] - ys[1] - step).abs() < 0.02);
}

/// A fixed-seed xorshift generator: enough randomness for a smoke fuzz without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn float(&mut self) -> f64 {
        const SPECIAL: [f64; 9] = [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            1e-300,
            1e300,
            1.0,
            -1.0,
        ];
        if self.below(4) == 0 {
            SPECIAL[self.below(SPECIAL.len())]
        } else {
            (self.next() % 4_000_001) as f64 / 1_000_000.0 - 2.0
        }
    }

    fn text(&mut self) -> String {
        const CHARS: [char; 12] = ['a', 'Z', '<', '>', '&', '"', '\'', '\u{0}', 'é', '中', ' ', '…'];
        (0..self.below(40)).map(|_| CHARS[self.below(CHARS.len())]).collect()
    }
}

#[test]
fn random_inputs_always_render_well_formed_charts() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..300 {
        let n = rng.below(45);
        let title = rng.text();
        let rel: Vec<ReliabilityBin> = (0..n)
            .map(|_| ReliabilityBin {
                lower: rng.float(),
                upper: rng.float(),
                count: rng.next() % 1000,
                mean_confidence: rng.float(),
                accuracy: rng.float(),
            })
            .collect();
        let over: Vec<OverlayBin> = (0..n).map(|_| ov(&rng.text(), rng.float(), rng.float())).collect();
        let bars: Vec<IntervalBar> = (0..n)
            .map(|_| {
                let label = rng.text();
                let value = rng.float();
                let low = (rng.below(3) > 0).then(|| rng.float());
                let high = (rng.below(3) > 0).then(|| rng.float());
                iv(&label, value, low, high)
            })
            .collect();
        let series: Vec<SeriesPoint> = (0..n)
            .map(|_| {
                let label = rng.text();
                let value = (rng.below(5) > 0).then(|| rng.float());
                pt(&label, value)
            })
            .collect();
        let alarms: Vec<usize> = (0..rng.below(5)).map(|_| rng.below(n + 3)).collect();
        let list: Vec<(String, f64)> = (0..n).map(|_| (rng.text(), rng.float())).collect();
        let domain = (rng.below(2) == 0).then(|| (rng.float(), rng.float()));
        for svg in [
            reliability_diagram(&rel, &title),
            histogram_overlay(&over, &title),
            horizontal_bars_with_intervals(&bars, &title, domain),
            timeline(&series, &alarms, &title),
            bar_list(&list, &title),
        ] {
            elements(&svg);
            assert!(!svg.as_str().contains("NaN") && !svg.as_str().contains("inf"), "{svg}");
        }
    }
}
