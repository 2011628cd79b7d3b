//! A scored series as a standalone SVG, two panels sharing the time axis:
//!
//! * above, the series' first value column, with its alarms marked;
//! * below, the smoothed score (on a log₁₀ axis when it spans more than two
//!   decades) and the threshold as a dashed line.
//!
//! Both shade the normal stretch the model trained on (grey) and the
//! labelled anomaly windows (red). A series of 20,000 rows does not need
//! 20,000 points: each pixel column draws the smallest and the largest
//! value of the rows that fall in it, which keeps every spike visible.

use super::plot::escape;
use std::fmt::Write as _;

const WIDTH: f64 = 960.0;
const PANEL: f64 = 200.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const GAP: f64 = 40.0;
const BOTTOM: f64 = 50.0;

/// What the plot shows; every per-row slice has one entry per row.
pub struct SeriesPlot<'a> {
    pub title: &'a str,
    /// The first value column.
    pub values: &'a [f32],
    /// The smoothed score (NaN before the first full window).
    pub smoothed: &'a [f32],
    pub threshold: Option<f32>,
    /// Rows the model trained on, from the first.
    pub stretch: usize,
    /// Labelled anomaly windows, inclusive row ranges.
    pub windows: &'a [(usize, usize)],
    /// Rows that raised an alarm.
    pub alarms: &'a [usize],
    /// Each row's timestamp as written, for the axis' ticks (may be empty).
    pub stamps: &'a [String],
}

/// Renders the plot; returns the SVG document.
pub fn series_svg(p: &SeriesPlot) -> String {
    let n = p.values.len().max(1);
    let height = TOP + 2.0 * PANEL + GAP + BOTTOM;
    let pw = WIDTH - LEFT - RIGHT;
    let x_of = |row: f64| LEFT + row / n as f64 * pw;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/>"#
    );
    let _ = write!(
        svg,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="15">{}</text>"#,
        WIDTH / 2.0,
        escape(p.title)
    );
    let tops = [TOP, TOP + PANEL + GAP];
    for top in tops {
        if p.stretch > 0 {
            let _ = write!(
                svg,
                r##"<rect x="{LEFT}" y="{top}" width="{:.1}" height="{PANEL}" fill="#888" fill-opacity="0.15"/>"##,
                x_of(p.stretch.min(n) as f64) - LEFT
            );
        }
        for &(a, b) in p.windows {
            let _ = write!(
                svg,
                r##"<rect x="{:.1}" y="{top}" width="{:.1}" height="{PANEL}" fill="#d62728" fill-opacity="0.15"/>"##,
                x_of(a as f64),
                (x_of(b as f64 + 1.0) - x_of(a as f64)).max(1.0)
            );
        }
        let _ = write!(
            svg,
            r#"<rect x="{LEFT}" y="{top}" width="{pw}" height="{PANEL}" fill="none" stroke="black"/>"#
        );
    }

    // The values, and the alarms on them.
    let values: Vec<f64> = p.values.iter().map(|&v| f64::from(v)).collect();
    let (y_value, ticks) = axis(&values, false, tops[0]);
    draw_line(&mut svg, &values, n, pw, &y_value, "#1f77b4");
    write_ticks(&mut svg, &ticks);
    for &row in p.alarms.iter().filter(|&&r| r < p.values.len()) {
        let v = values[row];
        if v.is_finite() {
            let (x, y) = (x_of(row as f64 + 0.5), y_value(v));
            let _ = write!(
                svg,
                r##"<path d="M{x:.1} {:.1} l-5 -9 h10 z" fill="#d62728"/>"##,
                y - 3.0
            );
        }
    }

    // The smoothed score and the threshold.
    let scores: Vec<f64> = p.smoothed.iter().map(|&v| f64::from(v)).collect();
    let finite = scores.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let log = lo > 0.0 && hi / lo > 100.0;
    let with_threshold: Vec<f64> = scores
        .iter()
        .copied()
        .chain(p.threshold.map(f64::from))
        .collect();
    let (y_score, ticks) = axis(&with_threshold, log, tops[1]);
    draw_line(&mut svg, &scores, n, pw, &y_score, "#2ca02c");
    write_ticks(&mut svg, &ticks);
    if let Some(t) = p.threshold.map(f64::from).filter(|t| t.is_finite()) {
        let y = y_score(t);
        let _ = write!(
            svg,
            r#"<line x1="{LEFT}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="black" stroke-dasharray="6 4"/><text x="{}" y="{:.1}" text-anchor="end">threshold {t:.4}</text>"#,
            LEFT + pw,
            LEFT + pw - 4.0,
            y - 4.0
        );
    }
    for &row in p.alarms.iter().filter(|&&r| r < n) {
        let x = x_of(row as f64 + 0.5);
        let _ = write!(
            svg,
            r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="#d62728"/>"##,
            tops[1] + PANEL - 8.0,
            tops[1] + PANEL
        );
    }
    let score_label = if log {
        "smoothed score (log scale)"
    } else {
        "smoothed score"
    };
    for (top, label) in [(tops[0], "value"), (tops[1], score_label)] {
        let (x, y) = (16.0, top + PANEL / 2.0);
        let _ = write!(
            svg,
            r#"<text x="{x}" y="{y}" text-anchor="middle" transform="rotate(-90 {x} {y})">{label}</text>"#
        );
    }

    // The time axis: six ticks, by timestamp where there are timestamps
    // (their dates alone when the series spans more than one).
    let bottom = tops[1] + PANEL;
    let date = |s: &str| s.split([' ', 'T']).next().unwrap_or(s).to_string();
    let dates_only = match (p.stamps.first(), p.stamps.last()) {
        (Some(a), Some(b)) => date(a) != date(b),
        _ => false,
    };
    for k in 0..=5 {
        let row = ((n - 1) as f64 * k as f64 / 5.0).round() as usize;
        let label = match p.stamps.get(row) {
            Some(s) if dates_only => escape(&date(s)),
            Some(s) => escape(s),
            None => format!("row {}", row + 1),
        };
        let anchor = match k {
            0 => "start",
            5 => "end",
            _ => "middle",
        };
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{}" text-anchor="{anchor}">{label}</text>"#,
            x_of(row as f64 + 0.5),
            bottom + 18.0
        );
    }
    let legend = [
        ("#888", "normal stretch (trained on)"),
        ("#d62728", "labelled anomaly window"),
    ];
    let mut x = LEFT;
    for (colour, text) in legend.iter().filter(|(c, _)| {
        (*c == "#888" && p.stretch > 0) || (*c == "#d62728" && !p.windows.is_empty())
    }) {
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="{}" width="12" height="12" fill="{colour}" fill-opacity="0.3"/><text x="{}" y="{}">{text}</text>"#,
            bottom + 28.0,
            x + 16.0,
            bottom + 38.0
        );
        x += 230.0;
    }
    let _ = write!(
        svg,
        r##"<path d="M{:.1} {} l-5 -9 h10 z" fill="#d62728"/><text x="{}" y="{}">alarm ({})</text>"##,
        x + 6.0,
        bottom + 40.0,
        x + 16.0,
        bottom + 38.0,
        p.alarms.len()
    );
    svg.push_str("</svg>\n");
    svg
}

/// The y of a value in a panel whose top is at `top`, over the finite
/// values' range (log₁₀ when `log`), and five tick labels.
fn axis(values: &[f64], log: bool, top: f64) -> (impl Fn(f64) -> f64, Vec<(f64, String)>) {
    let tf = move |v: f64| {
        if log {
            v.max(f64::MIN_POSITIVE).log10()
        } else {
            v
        }
    };
    let (lo, hi) = values
        .iter()
        .copied()
        .filter(|v| v.is_finite() && (!log || *v > 0.0))
        .map(tf)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    let (lo, hi) = if lo.is_finite() {
        let pad = ((hi - lo) * 0.05).max(1e-9);
        (lo - pad, hi + pad)
    } else {
        (0.0, 1.0)
    };
    let y = move |v: f64| top + PANEL - (tf(v) - lo) / (hi - lo) * PANEL;
    let ticks = (0..=4)
        .map(|k| {
            let u = lo + (hi - lo) * k as f64 / 4.0;
            let label = if log { 10f64.powf(u) } else { u };
            (top + PANEL - PANEL * k as f64 / 4.0, format_tick(label))
        })
        .collect();
    (y, ticks)
}

fn format_tick(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-2..1e5).contains(&a) {
        format!("{v:.1e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

fn write_ticks(svg: &mut String, ticks: &[(f64, String)]) {
    for (y, label) in ticks {
        let _ = write!(
            svg,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{label}</text>"#,
            LEFT - 6.0,
            y + 4.0
        );
    }
}

/// The line through the rows' values: per pixel column, its smallest then
/// its largest finite value; a gap where a column has none.
fn draw_line(
    svg: &mut String,
    values: &[f64],
    n: usize,
    pw: f64,
    y: &impl Fn(f64) -> f64,
    colour: &str,
) {
    let columns = (pw as usize).max(1);
    let mut path = String::new();
    let mut pen_down = false;
    for c in 0..columns {
        let (a, b) = (
            c * n / columns,
            ((c + 1) * n / columns).max(c * n / columns + 1),
        );
        let (lo, hi) = values[a.min(values.len())..b.min(values.len())]
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                (l.min(v), h.max(v))
            });
        if !lo.is_finite() {
            pen_down = false;
            continue;
        }
        let x = LEFT + (c as f64 + 0.5) / columns as f64 * pw;
        let _ = write!(
            path,
            "{}{x:.1} {:.1}L{x:.1} {:.1}",
            if pen_down { "L" } else { "M" },
            y(lo),
            y(hi)
        );
        pen_down = true;
    }
    let _ = write!(
        svg,
        r#"<path d="{path}" fill="none" stroke="{colour}" stroke-width="1"/>"#
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_both_panels_the_windows_the_threshold_and_the_alarms() {
        let n = 5000;
        let values: Vec<f32> = (0..n).map(|i| (i as f32 / 50.0).sin()).collect();
        let mut smoothed: Vec<f32> = (0..n).map(|i| 0.01 + (i % 7) as f32 * 1e-3).collect();
        smoothed[..31].fill(f32::NAN);
        smoothed[3000] = 5.0;
        let stamps: Vec<String> = (0..n).map(|i| format!("t{i}")).collect();
        let svg = series_svg(&SeriesPlot {
            title: "a <series>",
            values: &values,
            smoothed: &smoothed,
            threshold: Some(0.5),
            stretch: 750,
            windows: &[(2900, 3100)],
            alarms: &[3000, 4000],
            stamps: &stamps,
        });
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("a &lt;series&gt;"));
        assert!(svg.contains("threshold 0.5000"));
        assert!(svg.contains("(log scale)"), "the score spans 3 decades");
        assert!(svg.contains("alarm (2)"));
        assert!(svg.contains(">t0<") && svg.contains(">t4999<"));
        let days: Vec<String> = (0..n)
            .map(|i| format!("2014-01-{:02} 10:00:00", 1 + i / 200))
            .collect();
        let by_date = series_svg(&SeriesPlot {
            stamps: &days,
            title: "",
            values: &values,
            smoothed: &smoothed,
            threshold: None,
            stretch: 0,
            windows: &[],
            alarms: &[],
        });
        assert!(by_date.contains(">2014-01-25<") && !by_date.contains("10:00:00"));
        // Two window shades, two stretch shades, two frames, two legend boxes.
        assert_eq!(svg.matches("fill-opacity").count(), 2 + 2 + 2);
        // Downsampled: at most two points per pixel column per line.
        assert!(svg.matches('L').count() < 4 * WIDTH as usize);
        // A flat, scoreless series still makes a document.
        let empty = series_svg(&SeriesPlot {
            title: "",
            values: &[1.0; 3],
            smoothed: &[f32::NAN; 3],
            threshold: None,
            stretch: 0,
            windows: &[],
            alarms: &[],
            stamps: &[],
        });
        assert!(empty.ends_with("</svg>\n") && empty.contains("row 1"));
    }
}
