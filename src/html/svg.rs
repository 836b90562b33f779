//! Horizontal bar charts as inline SVG, written as text: labels and figures are `<text>`
//! (selectable, searchable), every string escaped. The bars' lengths are the only use of
//! floating point; the figures beside them are the report's own decimal text. Two kinds of
//! bar tell apart in greyscale print: solid dark, and light with a hatch.

use super::render::esc;
use std::fmt::Write as _;

/// How a bar is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Solid dark fill.
    Solid,
    /// Light fill with a diagonal hatch.
    Hatched,
}

/// One bar: its label, its length (f64, for drawing only) and the exact text beside it.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub text: String,
    pub kind: Kind,
}

/// A marker line across the bars, at a fraction of the scale (the 20 % limit).
pub struct Marker {
    pub at: f64,
    pub label: String,
}

const WIDTH: f64 = 760.0;
const LABEL_W: f64 = 210.0;
const BAR_W: f64 = 370.0;
const ROW_H: f64 = 22.0;
const TOP: f64 = 8.0;

/// The hatch pattern and solid colours (ids made unique per chart with `id`).
fn defs(s: &mut String, id: &str) {
    let _ = write!(
        s,
        "<defs><pattern id=\"{id}-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#d4dde6\"/>\
         <line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#3b4f63\" stroke-width=\"2\"/></pattern></defs>"
    );
}

fn fill(id: &str, k: Kind) -> String {
    match k {
        Kind::Solid => "#1f3f5f".to_string(),
        Kind::Hatched => format!("url(#{id}-hatch)"),
    }
}

/// A chart of `bars` scaled to the largest (or to `scale` when given), titled `title`
/// (an accessible name, also shown as a tooltip).
pub fn hbars(id: &str, title: &str, bars: &[Bar], scale: Option<f64>) -> String {
    let max = scale.unwrap_or_else(|| bars.iter().map(|b| b.value).fold(0.0, f64::max));
    let h = TOP * 2.0 + ROW_H * bars.len() as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {h}\" \
         width=\"{WIDTH}\" height=\"{h}\" role=\"img\" aria-labelledby=\"{id}-t\">\
         <title id=\"{id}-t\">{}</title>",
        esc(title)
    );
    defs(&mut s, id);
    for (i, b) in bars.iter().enumerate() {
        let y = TOP + ROW_H * i as f64;
        let w = if max > 0.0 && b.value.is_finite() && b.value > 0.0 {
            (b.value / max * BAR_W).clamp(1.0, BAR_W)
        } else {
            0.0
        };
        let _ = write!(
            s,
            "<g><text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" class=\"lbl\">{label}</text>\
             <rect x=\"{LABEL_W}\" y=\"{by}\" width=\"{w:.1}\" height=\"{bh}\" fill=\"{f}\" stroke=\"#1f3f5f\" stroke-width=\"0.6\"/>\
             <text x=\"{vx:.1}\" y=\"{ty}\" class=\"val\">{text}</text></g>",
            lx = LABEL_W - 8.0,
            ty = y + 15.0,
            label = esc(&b.label),
            by = y + 3.0,
            bh = ROW_H - 6.0,
            f = fill(id, b.kind),
            vx = LABEL_W + w + 6.0,
            text = esc(&b.text),
        );
    }
    s.push_str("</svg>");
    s
}

/// One part of a split bar: label, length (drawing only), exact text, how it is drawn.
pub type Part<'a> = (&'a str, f64, &'a str, Kind);

/// One bar split in two (`a` from the left, then `b`) over the full width, with an optional
/// marker line; the legend and figures are written below the bar.
pub fn split_bar(
    id: &str,
    title: &str,
    a: Part<'_>,
    b: Part<'_>,
    marker: Option<&Marker>,
) -> String {
    let total = a.1 + b.1;
    let full = WIDTH - 20.0;
    let wa = if total > 0.0 { a.1 / total * full } else { 0.0 };
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} 96\" \
         width=\"{WIDTH}\" height=\"96\" role=\"img\" aria-labelledby=\"{id}-t\">\
         <title id=\"{id}-t\">{}</title>",
        esc(title)
    );
    defs(&mut s, id);
    let _ = write!(
        s,
        "<rect x=\"10\" y=\"20\" width=\"{wa:.1}\" height=\"30\" fill=\"{}\"/>\
         <rect x=\"{:.1}\" y=\"20\" width=\"{:.1}\" height=\"30\" fill=\"{}\"/>\
         <rect x=\"10\" y=\"20\" width=\"{full}\" height=\"30\" fill=\"none\" stroke=\"#1f3f5f\"/>",
        fill(id, a.3),
        10.0 + wa,
        full - wa,
        fill(id, b.3),
    );
    if let Some(m) = marker {
        let x = 10.0 + m.at.clamp(0.0, 1.0) * full;
        let _ = write!(
            s,
            "<line x1=\"{x:.1}\" y1=\"8\" x2=\"{x:.1}\" y2=\"60\" stroke=\"#b00020\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>\
             <text x=\"{tx:.1}\" y=\"14\" class=\"mark\">{}</text>",
            esc(&m.label),
            tx = x + 4.0,
        );
    }
    let _ = write!(
        s,
        "<rect x=\"10\" y=\"70\" width=\"14\" height=\"14\" fill=\"{}\" stroke=\"#1f3f5f\"/>\
         <text x=\"30\" y=\"82\" class=\"lbl\">{}: {}</text>\
         <rect x=\"380\" y=\"70\" width=\"14\" height=\"14\" fill=\"{}\" stroke=\"#1f3f5f\"/>\
         <text x=\"400\" y=\"82\" class=\"lbl\">{}: {}</text></svg>",
        fill(id, a.3),
        esc(a.0),
        esc(a.2),
        fill(id, b.3),
        esc(b.0),
        esc(b.2),
    );
    s
}
