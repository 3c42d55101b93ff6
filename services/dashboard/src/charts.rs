//! Charts as inline SVG, drawn on the server: no script, no external service, readable without colour
//! (every chart has a title and a text summary beside it). Sizes are in viewBox units; the SVG scales to
//! its container.

use std::fmt::Write;

const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 170.0;
/// Room for the axis labels on the left and at the bottom.
const LEFT: f64 = 58.0;
const BOTTOM: f64 = 20.0;
const TOP: f64 = 8.0;

/// Escapes text for SVG/HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn open(title: &str) -> String {
    format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = escape(title)
    )
}

/// A round maximum for an axis at or above `max`.
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * magnitude >= max {
            return m * magnitude;
        }
    }
    10.0 * magnitude
}

fn number(v: f64) -> String {
    if v >= 1000.0 {
        format!("{}k", (v / 100.0).round() / 10.0)
    } else if v.fract() == 0.0 {
        format!("{v}")
    } else {
        format!("{v:.1}")
    }
}

fn axes(svg: &mut String, max: f64, unit: &str, labels: &[(usize, String)], steps: usize) {
    let plot_h = HEIGHT - BOTTOM - TOP;
    for (frac, value) in [(0.0, 0.0), (0.5, max / 2.0), (1.0, max)] {
        let y = TOP + plot_h * (1.0 - frac);
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{LEFT}" x2="{WIDTH}" y1="{y}" y2="{y}"/><text class="axis" x="{x}" y="{ty}" text-anchor="end">{v}{unit}</text>"#,
            x = LEFT - 4.0,
            ty = y + 4.0,
            v = number(value),
        );
    }
    let step_w = (WIDTH - LEFT) / steps.max(1) as f64;
    for (i, label) in labels {
        let x = LEFT + step_w * (*i as f64 + 0.5);
        let _ = write!(
            svg,
            r#"<text class="axis" x="{x}" y="{y}" text-anchor="middle">{l}</text>"#,
            y = HEIGHT - 5.0,
            l = escape(label)
        );
    }
}

/// Stacked bars: calls per step, the failed part in the error colour.
pub fn calls(title: &str, calls: &[u64], errors: &[u64], labels: &[(usize, String)]) -> String {
    let mut svg = open(title);
    // Counts are whole: an axis up to at least 4 keeps its middle label whole too.
    let max = nice_max(calls.iter().copied().max().unwrap_or(0).max(4) as f64);
    axes(&mut svg, max, "", labels, calls.len());
    let plot_h = HEIGHT - BOTTOM - TOP;
    let step_w = (WIDTH - LEFT) / calls.len().max(1) as f64;
    let bar_w = (step_w * 0.8).max(0.5);
    for (i, (&c, &e)) in calls.iter().zip(errors).enumerate() {
        if c == 0 {
            continue;
        }
        let x = LEFT + step_w * i as f64 + (step_w - bar_w) / 2.0;
        let h = plot_h * c as f64 / max;
        let eh = plot_h * e as f64 / max;
        let _ = write!(
            svg,
            r#"<rect class="bar" x="{x:.1}" y="{y:.1}" width="{bar_w:.1}" height="{h:.1}"><title>{c} calls, {e} failed</title></rect>"#,
            y = TOP + plot_h - h,
        );
        if e > 0 {
            let _ = write!(
                svg,
                r#"<rect class="bar-error" x="{x:.1}" y="{y:.1}" width="{bar_w:.1}" height="{eh:.1}"/>"#,
                y = TOP + plot_h - eh,
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Two latency lines (p50 and p95, milliseconds); steps without calls leave gaps.
pub fn latency(
    title: &str,
    p50: &[Option<f64>],
    p95: &[Option<f64>],
    labels: &[(usize, String)],
) -> String {
    let mut svg = open(title);
    let max = nice_max(p95.iter().chain(p50).flatten().copied().fold(0.0, f64::max));
    axes(&mut svg, max, "ms", labels, p50.len());
    let plot_h = HEIGHT - BOTTOM - TOP;
    let step_w = (WIDTH - LEFT) / p50.len().max(1) as f64;
    for (class, series) in [("line-p95", p95), ("line-p50", p50)] {
        let mut path = String::new();
        let mut pen_down = false;
        for (i, v) in series.iter().enumerate() {
            match v {
                Some(v) => {
                    let x = LEFT + step_w * (i as f64 + 0.5);
                    let y = TOP + plot_h * (1.0 - v / max);
                    let _ = write!(path, "{}{x:.1},{y:.1} ", if pen_down { "L" } else { "M" });
                    let _ = write!(
                        svg,
                        r#"<circle class="{class}" cx="{x:.1}" cy="{y:.1}" r="2.5"><title>{v} ms</title></circle>"#
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        if !path.is_empty() {
            let _ = write!(svg, r#"<path class="{class}" d="{}"/>"#, path.trim_end());
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_escaped_svg_with_one_bar_per_busy_step() {
        let svg = calls(
            "Calls <hour>",
            &[0, 3, 1],
            &[0, 1, 0],
            &[(0, "12:00".into())],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("Calls &lt;hour&gt;"));
        assert_eq!(svg.matches(r#"class="bar""#).count(), 2);
        assert_eq!(svg.matches(r#"class="bar-error""#).count(), 1);
        assert!(svg.contains("3 calls, 1 failed"));
    }

    #[test]
    fn latency_lines_break_at_empty_steps() {
        let svg = latency(
            "Latency",
            &[Some(1.0), None, Some(2.5)],
            &[Some(5.0), None, Some(10.0)],
            &[],
        );
        assert_eq!(svg.matches("<path").count(), 2);
        assert_eq!(svg.matches('M').count(), 4, "two strokes per line: {svg}");
    }

    #[test]
    fn axis_maxima_are_round() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(120.0), 200.0);
        assert_eq!(nice_max(2.5), 2.5);
    }
}
