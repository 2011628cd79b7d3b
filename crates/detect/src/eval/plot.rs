//! The error histogram as a standalone SVG: normal and anomalous scores in two
//! colours on shared bins, and the threshold as a vertical line. Scores that
//! span more than two decades are binned on a log₁₀ axis.

use std::fmt::Write as _;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 400.0;
const MARGIN: (f64, f64, f64, f64) = (60.0, 20.0, 40.0, 50.0); // left, right, top, bottom
const BINS: usize = 50;

/// Renders the histogram; returns the SVG document.
pub fn histogram_svg(
    title: &str,
    normal: &[f32],
    anomalous: &[f32],
    threshold: Option<f32>,
) -> String {
    let all = normal
        .iter()
        .chain(anomalous)
        .copied()
        .filter(|v| v.is_finite());
    let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v as f64), b.max(v as f64))
    });
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = write!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = write!(
        svg,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="15">{}</text>"#,
        WIDTH / 2.0,
        escape(title)
    );
    if !lo.is_finite() {
        svg.push_str("</svg>\n");
        return svg;
    }
    let log = lo > 0.0 && hi / lo > 100.0;
    let tf = |v: f64| if log { v.log10() } else { v };
    let (a, b) = (tf(lo), tf(hi).max(tf(lo) + 1e-12));
    let bin_of = |v: f32| (((tf(v as f64) - a) / (b - a) * BINS as f64) as usize).min(BINS - 1);
    let count = |xs: &[f32]| {
        let mut h = [0usize; BINS];
        xs.iter()
            .filter(|v| v.is_finite())
            .for_each(|v| h[bin_of(*v)] += 1);
        h
    };
    let (hn, ha) = (count(normal), count(anomalous));
    let top = hn.iter().chain(&ha).copied().max().unwrap_or(1).max(1) as f64;
    let (l, r, t, bm) = MARGIN;
    let (pw, ph) = (WIDTH - l - r, HEIGHT - t - bm);
    let x_of = |u: f64| l + (u - a) / (b - a) * pw;
    let bw = pw / BINS as f64;
    for (h, colour) in [(&hn, "#1f77b4"), (&ha, "#d62728")] {
        for (i, c) in h.iter().enumerate().filter(|(_, c)| **c > 0) {
            let bh = *c as f64 / top * ph;
            let _ = write!(
                svg,
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{colour}" fill-opacity="0.55"/>"#,
                l + i as f64 * bw,
                t + ph - bh,
                bw,
                bh
            );
        }
    }
    // axes and ticks
    let _ = write!(
        svg,
        r#"<line x1="{l}" y1="{}" x2="{}" y2="{}" stroke="black"/>"#,
        t + ph,
        l + pw,
        t + ph
    );
    let _ = write!(
        svg,
        r#"<line x1="{l}" y1="{t}" x2="{l}" y2="{}" stroke="black"/>"#,
        t + ph
    );
    for k in 0..=4 {
        let u = a + (b - a) * k as f64 / 4.0;
        let label = if log { 10f64.powf(u) } else { u };
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{label:.3}</text>"#,
            x_of(u),
            t + ph + 16.0
        );
        let y = t + ph - ph * k as f64 / 4.0;
        let _ = write!(
            svg,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{:.0}</text>"#,
            l - 6.0,
            y + 4.0,
            top * k as f64 / 4.0
        );
    }
    let axis = if log {
        "reconstruction error (log scale)"
    } else {
        "reconstruction error"
    };
    let _ = write!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">{axis}</text>"#,
        l + pw / 2.0,
        HEIGHT - 10.0
    );
    if let Some(th) = threshold.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
        let x = x_of(tf(th as f64).clamp(a, b));
        let _ = write!(
            svg,
            r#"<line x1="{x:.1}" y1="{t}" x2="{x:.1}" y2="{}" stroke="black" stroke-dasharray="6 4" stroke-width="2"/>"#,
            t + ph
        );
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{}" >threshold {th:.4}</text>"#,
            x + 4.0,
            t + 14.0
        );
    }
    let legend = [
        ("#1f77b4", format!("normal ({})", normal.len())),
        ("#d62728", format!("anomalous ({})", anomalous.len())),
    ];
    for (i, (colour, text)) in legend.iter().enumerate() {
        let y = t + 30.0 + 18.0 * i as f64;
        let _ = write!(
            svg,
            r#"<rect x="{}" y="{}" width="12" height="12" fill="{colour}" fill-opacity="0.55"/><text x="{}" y="{}">{text}</text>"#,
            l + pw - 160.0,
            y - 10.0,
            l + pw - 142.0,
            y
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Text made safe inside an SVG element.
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_bars_threshold_and_legend() {
        let svg = histogram_svg("a <b>", &[0.1, 0.2, 0.2], &[3.0, 5.0], Some(0.5));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("a &lt;b&gt;"));
        assert!(svg.contains("threshold 0.5000"));
        assert!(svg.contains("normal (3)") && svg.contains("anomalous (2)"));
        assert!(svg.matches("<rect").count() >= 1 + 3 + 2);
        assert!(histogram_svg("empty", &[], &[], None).ends_with("</svg>\n"));
    }
}
