//! The page itself: one HTML document with its stylesheet inline (screen and A4 print) and
//! its charts as inline SVG. Figures are the report's decimal text as written; every string
//! from the report goes through [`esc`].

use super::svg::{self, Bar, Kind, Marker};
use super::{Group, Page};
use rust_decimal::Decimal;
use serde_json::Value;
use std::fmt::Write as _;
use std::str::FromStr;

/// Goods shown in "Top goods".
pub const TOP_GOODS: usize = 15;
/// Rows of the annual declaration table shown (the report holds every one).
pub const DECLARATION_ROWS: usize = 200;

/// Text as HTML (element content and quoted attribute values alike): `& < > " '` as
/// references, control characters (but tab and newline) as U+FFFD.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

/// A value as the report writes it: a number's exact text, a string as is; `—` for none.
fn txt(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "—".into(),
        Some(Value::String(s)) => s.clone(),
        Some(x) => x.to_string(),
    }
}

/// `txt`, escaped.
fn t(v: Option<&Value>) -> String {
    esc(&txt(v))
}

/// A figure for drawing only (bar lengths).
fn f64_of(v: Option<&Value>) -> f64 {
    match v {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// A figure for ordering (exact).
fn dec_of(v: Option<&Value>) -> Decimal {
    let s = txt(v);
    Decimal::from_str(&s)
        .or_else(|_| Decimal::from_scientific(&s))
        .unwrap_or_default()
}

fn arr<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    at(v, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

const CSS: &str = r#"
:root{--ink:#14202b;--mute:#4a5865;--line:#b8c2cc;--band:#eef2f5;--accent:#1f3f5f}
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",Arial,sans-serif;color:var(--ink);background:#fff;font-size:14px;line-height:1.4}
table.frame{width:100%;border-collapse:collapse;table-layout:fixed}
table.frame>tbody>tr>td{padding:0 24px 24px}
thead.run th{position:sticky;top:0;z-index:2;background:var(--accent);color:#fff;font-weight:600;text-align:left;padding:6px 24px;font-size:12px}
thead.run span{margin-right:1.6em;white-space:nowrap}
h1{font-size:24px;margin:18px 0 4px}
h2{font-size:18px;margin:0 0 10px;padding-top:18px;border-bottom:2px solid var(--accent)}
h3{font-size:15px;margin:14px 0 6px}
.sub{color:var(--mute);margin:0 0 12px}
.kpis{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:8px;margin:10px 0 14px}
.kpi{border:1px solid var(--line);border-left:5px solid var(--accent);padding:6px 10px}
.kpi b{display:block;font-size:20px;font-variant-numeric:tabular-nums}
.kpi span{color:var(--mute);font-size:12px}
table.data{border-collapse:collapse;width:100%;margin:6px 0 12px;font-size:12.5px}
table.data th,table.data td{border:1px solid var(--line);padding:3px 6px;vertical-align:top;text-align:left;overflow-wrap:break-word}
table.data th{background:var(--band)}
table.data tbody tr:nth-child(even) td{background:#f7f9fb}
table.data td.n,table.data th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.h{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:11px;word-break:break-all}
tr.sum td{font-weight:700;border-top:2px solid var(--ink)}
svg.chart{display:block;max-width:100%;height:auto;margin:4px 0 8px}
svg .lbl{font-size:12px;fill:#14202b}
svg .val{font-size:12px;fill:#14202b;font-variant-numeric:tabular-nums}
svg .mark{font-size:11px;fill:#b00020;font-weight:700}
.ok{font-weight:700}
.bad{font-weight:700;text-decoration:underline}
.sev-error{font-weight:700}
ul.first{margin:0;padding-left:16px}
.note{color:var(--mute);font-size:12.5px}
@page{size:A4;margin:10mm 11mm 12mm}
@media print{
 body{font-size:11px}
 thead.run{display:table-header-group}
 thead.run th{position:static;background:#fff;color:#000;border-bottom:1.5px solid #000;padding:2px 0 4px}
 table.frame>tbody>tr>td{padding:0}
 section.sec{break-before:page}
 section.sec.first{break-before:auto}
 table.data tr,svg.chart,.kpi{break-inside:avoid}
 h2,h3{break-after:avoid}
 .kpis{grid-template-columns:repeat(4,1fr)}
}
"#;

/// The page around a body: doctype, the one stylesheet, the running header (repeated on every
/// printed page). `title` and `header` are text (escaped here); `body` is HTML.
pub fn frame(title: &str, header: &[String], body: &str) -> String {
    let mut s = String::with_capacity(body.len() + 8 * 1024);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"cbam html\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(title)
    );
    s.push_str("<table class=\"frame\">\n<thead class=\"run\"><tr><th>");
    let spans: Vec<String> = header
        .iter()
        .map(|h| format!("<span>{}</span>", esc(h)))
        .collect();
    s.push_str(&spans.join(" "));
    s.push_str("</th></tr></thead>\n<tbody><tr><td>\n");
    s.push_str(body);
    s.push_str("</td></tr></tbody>\n</table>\n</body>\n</html>\n");
    s
}

/// The page's HTML: deterministic (the same page gives the same bytes).
pub fn render(p: &Page) -> String {
    let h = &p.head;
    let mut s = String::with_capacity(64 * 1024);
    let id = txt(at(h, &["report_metadata", "report_id"]));
    let importer = txt(at(h, &["importer_declaration", "importer_name"]));
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"cbam html\">\n\
         <title>CBAM report {} — {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(&id),
        esc(&importer)
    );
    s.push_str("<table class=\"frame\">\n<thead class=\"run\"><tr><th>");
    running_header(&mut s, h);
    s.push_str("</th></tr></thead>\n<tbody><tr><td>\n");
    headline(&mut s, h);
    by_sector(&mut s, h);
    by_origin(&mut s, h);
    by_method(&mut s, p);
    top_goods(&mut s, h);
    if let Some(o) = h.get("certificate_obligation").filter(|o| o.is_object()) {
        obligation(&mut s, o);
    }
    findings(&mut s, p);
    registry(&mut s, p);
    provenance(&mut s, h);
    s.push_str("</td></tr></tbody>\n</table>\n</body>\n</html>\n");
    s
}

/// The period as the report names it: `2025Q4 (2025-10-01 … 2025-12-31)`.
fn period(h: &Value) -> String {
    let m = at(h, &["report_metadata"]);
    let q = txt(m.and_then(|m| m.get("quarter")));
    let (a, b) = (
        m.and_then(|m| m.get("reporting_period_start")),
        m.and_then(|m| m.get("reporting_period_end")),
    );
    if a.is_some() || b.is_some() {
        format!("{q} ({} … {})", txt(a), txt(b))
    } else {
        q
    }
}

fn running_header(s: &mut String, h: &Value) {
    let d = at(h, &["importer_declaration"]);
    let _ = write!(
        s,
        "<span>CBAM report {}</span> <span>Period {}</span> <span>Importer {} ({}), EORI {}</span>",
        t(at(h, &["report_metadata", "report_id"])),
        esc(&period(h)),
        t(d.and_then(|d| d.get("importer_name"))),
        t(d.and_then(|d| d.get("importer_country"))),
        t(d.and_then(|d| d.get("importer_eori"))),
    );
}

fn kpi(s: &mut String, value: &str, label: &str) {
    let _ = write!(
        s,
        "<div class=\"kpi\"><b>{}</b><span>{}</span></div>",
        esc(value),
        esc(label)
    );
}

fn headline(s: &mut String, h: &Value) {
    let (m, d, e, g) = (
        at(h, &["report_metadata"]).unwrap_or(&Value::Null),
        at(h, &["importer_declaration"]).unwrap_or(&Value::Null),
        at(h, &["emissions_summary"]).unwrap_or(&Value::Null),
        at(h, &["goods_summary"]).unwrap_or(&Value::Null),
    );
    let valid = at(h, &["validation_results", "is_valid"]).and_then(Value::as_bool);
    let _ = write!(
        s,
        "<section class=\"sec first\" id=\"headline\">\n<h1>CBAM emissions report {}</h1>\n\
         <p class=\"sub\">Period {} · {} · {}</p>\n",
        t(m.get("report_id")),
        esc(&period(h)),
        t(m.get("period_type")),
        match valid {
            Some(true) => "<span class=\"ok\">valid (no errors)</span>",
            Some(false) => "<span class=\"bad\">NOT valid: see the findings</span>",
            None => "validity not stated",
        }
    );
    s.push_str("<div class=\"kpis\">");
    kpi(
        s,
        &txt(e.get("total_embedded_emissions_tco2")),
        "total embedded emissions (tCO2e)",
    );
    kpi(
        s,
        &txt(e.get("total_direct_emissions_tco2")),
        "direct (tCO2e)",
    );
    kpi(
        s,
        &txt(e.get("total_indirect_emissions_tco2")),
        "indirect (tCO2e)",
    );
    kpi(s, &txt(g.get("total_shipments")), "shipments");
    let rows = g
        .get("rows")
        .or_else(|| at(h, &["validation_results", "rows"]));
    if let Some(r) = rows {
        kpi(s, &txt(r.get("read")), "rows read");
        kpi(s, &txt(r.get("calculated")), "rows calculated");
        kpi(s, &txt(r.get("rejected")), "rows rejected");
        kpi(s, &txt(r.get("out_of_scope")), "rows out of CBAM scope");
    }
    s.push_str("</div>\n");
    let direct = e.get("total_direct_emissions_tco2");
    let indirect = e.get("total_indirect_emissions_tco2");
    s.push_str(&svg::split_bar(
        "split-di",
        "Direct and indirect emissions",
        ("direct tCO2e", f64_of(direct), &txt(direct), Kind::Solid),
        (
            "indirect tCO2e",
            f64_of(indirect),
            &txt(indirect),
            Kind::Hatched,
        ),
        None,
    ));
    s.push_str("<table class=\"data\"><tbody>");
    let row = |s: &mut String, k: &str, v: String| {
        let _ = write!(s, "<tr><th>{}</th><td>{v}</td></tr>", esc(k));
    };
    row(
        s,
        "Importer",
        format!(
            "{} ({}), EORI {}",
            t(d.get("importer_name")),
            t(d.get("importer_country")),
            t(d.get("importer_eori"))
        ),
    );
    row(
        s,
        "Declarant",
        format!(
            "{}, {}",
            t(d.get("declarant_name")),
            t(d.get("declarant_position"))
        ),
    );
    row(s, "Total mass (t)", t(g.get("total_mass_tonnes")));
    row(
        s,
        "Intensity (tCO2e/t)",
        t(e.get("emissions_intensity_tco2_per_tonne")),
    );
    row(
        s,
        "Generated",
        format!(
            "{} by {}",
            t(m.get("generated_at")),
            t(m.get("generated_by"))
        ),
    );
    s.push_str("</tbody></table>\n</section>\n");
}

/// A share chart and table: `list` of `emissions_by_*`, joined with `counts` (the goods
/// summary's entries of the same key) for shipments and mass.
#[allow(clippy::too_many_arguments)]
fn shares(
    s: &mut String,
    sec: &str,
    title: &str,
    list: &[Value],
    counts: &[Value],
    key: &str,
    column: &str,
    label: &dyn Fn(&Value) -> String,
) {
    let _ = write!(
        s,
        "<section class=\"sec\" id=\"{sec}\">\n<h2>{}</h2>\n",
        esc(title)
    );
    if list.is_empty() {
        s.push_str("<p class=\"note\">The report lists no emissions here.</p>\n</section>\n");
        return;
    }
    let bars: Vec<Bar> = list
        .iter()
        .map(|x| Bar {
            label: label(x),
            value: f64_of(x.get("total_emissions_tco2")),
            text: format!(
                "{} tCO2e · {} %",
                txt(x.get("total_emissions_tco2")),
                txt(x.get("percentage_of_total"))
            ),
            kind: Kind::Solid,
        })
        .collect();
    s.push_str(&svg::hbars(&format!("c-{sec}"), title, &bars, None));
    let _ = write!(
        s,
        "<table class=\"data\"><thead><tr><th>{}</th><th class=\"n\">Shipments</th>\
         <th class=\"n\">Mass (t)</th><th class=\"n\">Emissions (tCO2e)</th><th class=\"n\">Share (%)</th></tr></thead><tbody>",
        esc(column)
    );
    for x in list {
        let c = counts
            .iter()
            .find(|c| c.get(key).is_some() && c.get(key) == x.get(key));
        let _ = write!(
            s,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&label(x)),
            t(c.and_then(|c| c.get("shipment_count"))),
            t(c.and_then(|c| c.get("total_mass_tonnes"))),
            t(x.get("total_emissions_tco2")),
            t(x.get("percentage_of_total")),
        );
    }
    s.push_str("</tbody></table>\n</section>\n");
}

fn by_sector(s: &mut String, h: &Value) {
    shares(
        s,
        "sector",
        "Emissions by sector",
        arr(h, &["emissions_summary", "emissions_by_product_group"]),
        arr(h, &["goods_summary", "product_groups"]),
        "product_group",
        "Product group (sector)",
        &|x| txt(x.get("product_group")),
    );
}

fn by_origin(s: &mut String, h: &Value) {
    shares(
        s,
        "origin",
        "Emissions by origin",
        arr(h, &["emissions_summary", "emissions_by_origin_country"]),
        arr(h, &["goods_summary", "origin_countries"]),
        "country_iso",
        "Origin",
        &|x| match x.get("country_name").and_then(Value::as_str) {
            Some(n) if !n.is_empty() => format!("{} {n}", txt(x.get("country_iso"))),
            _ => txt(x.get("country_iso")),
        },
    );
}

/// Whether the report is of the transitional period (before 2026), from its period start.
fn transitional(h: &Value) -> bool {
    let start = txt(at(h, &["report_metadata", "reporting_period_start"]));
    let q = txt(at(h, &["report_metadata", "quarter"]));
    let year = start
        .get(..4)
        .or_else(|| q.get(..4))
        .and_then(|y| y.parse::<u32>().ok());
    year.is_some_and(|y| y < 2026)
}

fn by_method(s: &mut String, p: &Page) {
    let h = &p.head;
    let c = at(h, &["emissions_summary", "calculation_methods_used"]).unwrap_or(&Value::Null);
    let (actual, default) = (c.get("actual_data_count"), c.get("default_values_count"));
    s.push_str("<section class=\"sec\" id=\"method\">\n<h2>By method</h2>\n");
    let trans = transitional(h);
    let marker = trans.then(|| Marker {
        at: 0.2,
        label: "20 % default values allowed (transitional period)".into(),
    });
    // Default values first: their share is what the 20 % limit is about.
    s.push_str(&svg::split_bar(
        "split-method",
        "Lines by calculation method",
        (
            "default values (lines)",
            f64_of(default),
            &txt(default),
            Kind::Hatched,
        ),
        (
            "supplier actual data (lines)",
            f64_of(actual),
            &txt(actual),
            Kind::Solid,
        ),
        marker.as_ref(),
    ));
    let _ = writeln!(
        s,
        "<table class=\"data\"><thead><tr><th>Method</th><th class=\"n\">Lines</th></tr></thead><tbody>\
         <tr><td>Supplier actual data</td><td class=\"n\">{}</td></tr>\
         <tr><td>Default values</td><td class=\"n\">{}</td></tr>\
         <tr><td>Complex goods</td><td class=\"n\">{}</td></tr>\
         <tr><td>Estimation</td><td class=\"n\">{}</td></tr></tbody></table>",
        t(actual),
        t(default),
        t(c.get("complex_goods_count")),
        t(c.get("estimation_count")),
    );
    if trans {
        s.push_str(
            "<p class=\"note\">The dashed line marks 20 %: in the transitional period, default values \
             may account for at most 20 % of the embedded emissions of complex goods (the bar shows the \
             share of lines).</p>\n",
        );
    }
    for g in p.findings.iter().filter(|g| g.code == "CBAM-070") {
        if let Some(f) = g.first.first() {
            let _ = writeln!(
                s,
                "<p><b>CBAM-070</b> ({}): {}</p>",
                esc(g.severity),
                esc(&f.message)
            );
        }
    }
    s.push_str("</section>\n");
}

fn top_goods(s: &mut String, h: &Value) {
    let goods = arr(h, &["goods_summary", "goods"]);
    s.push_str("<section class=\"sec\" id=\"goods\">\n<h2>Top goods (CN code × origin)</h2>\n");
    if goods.is_empty() {
        s.push_str("<p class=\"note\">The report lists no goods.</p>\n</section>\n");
        return;
    }
    let mut order: Vec<(Decimal, &Value)> = goods
        .iter()
        .map(|g| (dec_of(g.get("total_emissions_tco2")), g))
        .collect();
    // Largest first; ties in report order (a stable sort).
    order.sort_by_key(|g| std::cmp::Reverse(g.0));
    let top = &order[..order.len().min(TOP_GOODS)];
    let _ = writeln!(
        s,
        "<p class=\"sub\">The {} largest of {} goods by embedded emissions.</p>",
        top.len(),
        goods.len()
    );
    let label = |g: &Value| format!("{} · {}", txt(g.get("cn_code")), txt(g.get("origin_iso")));
    let bars: Vec<Bar> = top
        .iter()
        .map(|(_, g)| Bar {
            label: label(g),
            value: f64_of(g.get("total_emissions_tco2")),
            text: format!("{} tCO2e", txt(g.get("total_emissions_tco2"))),
            kind: Kind::Solid,
        })
        .collect();
    s.push_str(&svg::hbars(
        "c-goods",
        "Top goods by embedded emissions",
        &bars,
        None,
    ));
    s.push_str(
        "<table class=\"data\"><thead><tr><th>CN code</th><th>Origin</th><th>Sector</th>\
         <th class=\"n\">Shipments</th><th class=\"n\">Mass (t)</th><th class=\"n\">Direct</th>\
         <th class=\"n\">Indirect</th><th class=\"n\">Total (tCO2e)</th><th class=\"n\">Actual / default</th></tr></thead><tbody>",
    );
    for (_, g) in top {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{} / {}</td></tr>",
            t(g.get("cn_code")),
            t(g.get("origin_iso")),
            t(g.get("sector")),
            t(g.get("shipment_count")),
            t(g.get("total_mass_tonnes")),
            t(g.get("direct_emissions_tco2")),
            t(g.get("indirect_emissions_tco2")),
            t(g.get("total_emissions_tco2")),
            t(g.get("actual_data_count")),
            t(g.get("default_values_count")),
        );
    }
    s.push_str("</tbody></table>\n</section>\n");
}

fn obligation(s: &mut String, o: &Value) {
    s.push_str("<section class=\"sec\" id=\"obligation\">\n<h2>Certificate obligation</h2>\n");
    for y in arr(o, &["years"]) {
        let yr = txt(y.get("year"));
        let _ = write!(
            s,
            "<h3>{}: {} certificates</h3>\n<p class=\"sub\">Net {} tCO2e = gross {} − free-allocation adjustment {} − carbon price deduction {}; estimated cost EUR {}; CBAM factor {}; de minimis: {} t counted of {} t ({} %), {}.</p>\n",
            esc(&yr),
            t(y.get("certificates")),
            t(y.get("net_emissions_tco2")),
            t(y.get("gross_emissions_tco2")),
            t(y.get("free_allocation_adjustment_tco2")),
            t(y.get("carbon_price_deduction_tco2")),
            t(y.get("estimated_cost_eur")),
            t(y.get("cbam_factor")),
            t(at(y, &["de_minimis", "counted_mass_tonnes"])),
            t(at(y, &["de_minimis", "threshold_tonnes"])),
            t(at(y, &["de_minimis", "share_of_threshold_pct"])),
            t(at(y, &["de_minimis", "status"])),
        );
        let quarters = arr(y, &["quarters"]);
        let mut bars = Vec::new();
        for q in quarters {
            for (what, key, kind) in [
                ("gross", "gross_emissions_tco2", Kind::Hatched),
                ("net", "net_emissions_tco2", Kind::Solid),
            ] {
                bars.push(Bar {
                    label: format!("{} {what}", txt(q.get("quarter"))),
                    value: f64_of(q.get(key)),
                    text: format!("{} tCO2e", txt(q.get(key))),
                    kind,
                });
            }
        }
        if !bars.is_empty() {
            s.push_str(&svg::hbars(
                &format!(
                    "c-obl-{}",
                    yr.chars()
                        .filter(char::is_ascii_alphanumeric)
                        .collect::<String>()
                ),
                "Gross and net emissions per quarter",
                &bars,
                None,
            ));
        }
        s.push_str(
            "<table class=\"data\"><thead><tr><th>Quarter</th><th class=\"n\">Gross tCO2e</th>\
             <th class=\"n\">Free-allocation adjustment</th><th class=\"n\">Carbon price deduction</th>\
             <th class=\"n\">Net tCO2e</th><th class=\"n\">Price EUR</th><th class=\"n\">Cost EUR</th>\
             <th class=\"n\">Holding (certificates)</th></tr></thead><tbody>",
        );
        for q in quarters {
            let _ = write!(
                s,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                t(q.get("quarter")),
                t(q.get("gross_emissions_tco2")),
                t(q.get("free_allocation_adjustment_tco2")),
                t(q.get("carbon_price_deduction_tco2")),
                t(q.get("net_emissions_tco2")),
                t(q.get("certificate_price_eur")),
                t(q.get("estimated_cost_eur")),
                t(q.get("holding_requirement_certificates")),
            );
        }
        let _ = writeln!(
            s,
            "<tr class=\"sum\"><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\"></td><td class=\"n\">{}</td><td class=\"n\"></td></tr></tbody></table>",
            esc(&yr),
            t(y.get("gross_emissions_tco2")),
            t(y.get("free_allocation_adjustment_tco2")),
            t(y.get("carbon_price_deduction_tco2")),
            t(y.get("net_emissions_tco2")),
            t(y.get("estimated_cost_eur")),
        );
    }
    let decl = arr(o, &["declaration_summary"]);
    if !decl.is_empty() {
        s.push_str("<h3>Annual declaration summary</h3>\n");
        if decl.len() > DECLARATION_ROWS {
            let _ = writeln!(
                s,
                "<p class=\"note\">The first {DECLARATION_ROWS} of {} entries; the report holds every one.</p>",
                decl.len()
            );
        }
        s.push_str(
            "<table class=\"data\"><thead><tr><th>Year</th><th>CN code</th><th>Origin</th><th>Sector</th>\
             <th>Method</th><th class=\"n\">Mass t</th><th class=\"n\">Embedded tCO2e</th>\
             <th class=\"n\">Certificates tCO2e</th><th class=\"n\">Cost EUR</th></tr></thead><tbody>",
        );
        for e in decl.iter().take(DECLARATION_ROWS) {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                t(e.get("year")),
                t(e.get("cn_code")),
                t(e.get("origin_iso")),
                t(e.get("sector")),
                t(e.get("method")),
                t(e.get("mass_tonnes")),
                t(e.get("embedded_emissions_tco2")),
                t(e.get("certificates_tco2")),
                t(e.get("estimated_cost_eur")),
            );
        }
        s.push_str("</tbody></table>\n");
    }
    let notes = arr(o, &["notes"]);
    if !notes.is_empty() {
        s.push_str("<ul class=\"note\">");
        for n in notes {
            let _ = write!(s, "<li>{}</li>", t(Some(n)));
        }
        s.push_str("</ul>\n");
    }
    s.push_str("</section>\n");
}

fn first_rows(s: &mut String, g: &Group) {
    s.push_str("<ul class=\"first\">");
    for f in &g.first {
        let mut bits = Vec::new();
        if let Some(l) = &f.place {
            bits.push(esc(l));
        }
        if let Some(id) = &f.shipment_id {
            bits.push(esc(id));
        }
        if let Some(fl) = &f.field {
            bits.push(format!("({})", esc(fl)));
        }
        if bits.is_empty() {
            let _ = write!(s, "<li>{}</li>", esc(&f.message));
        } else {
            let _ = write!(s, "<li>{}: {}</li>", bits.join(" "), esc(&f.message));
        }
    }
    s.push_str("</ul>");
}

fn findings(s: &mut String, p: &Page) {
    let v = at(&p.head, &["validation_results"]).unwrap_or(&Value::Null);
    let count = |k: &str, sev: &str| match v.get(k) {
        Some(c) if !c.is_null() => txt(Some(c)),
        _ => p
            .findings
            .iter()
            .filter(|g| g.severity == sev)
            .map(|g| g.count)
            .sum::<u64>()
            .to_string(),
    };
    let _ = write!(
        s,
        "<section class=\"sec\" id=\"findings\">\n<h2>Findings</h2>\n<p class=\"sub\">{} errors, {} warnings, {} notes; grouped by code, with the first {} of each (the report holds every finding).</p>\n",
        esc(&count("error_count", "error")),
        esc(&count("warning_count", "warning")),
        esc(&count("info_count", "info")),
        super::FIRST_ROWS,
    );
    if !p.findings.is_empty() {
        s.push_str(
            "<table class=\"data\"><thead><tr><th>Severity</th><th>Code</th><th class=\"n\">Count</th>\
             <th>First findings</th></tr></thead><tbody>",
        );
        for g in &p.findings {
            let _ = write!(
                s,
                "<tr><td class=\"sev-{sev}\">{sev}</td><td>{}</td><td class=\"n\">{}</td><td>",
                esc(&g.code),
                g.count,
                sev = esc(g.severity),
            );
            first_rows(s, g);
            s.push_str("</td></tr>");
        }
        s.push_str("</tbody></table>\n");
    }
    let rules = arr(&p.head, &["validation_results", "rules_checked"]);
    if !rules.is_empty() {
        let mut by: std::collections::BTreeMap<String, u64> = Default::default();
        for r in rules {
            *by.entry(txt(r.get("status"))).or_default() += 1;
        }
        let parts: Vec<String> = by.iter().map(|(k, n)| format!("{n} {}", esc(k))).collect();
        let _ = write!(
            s,
            "<h3>Rules checked</h3>\n<p>{} rules: {}.</p>\n",
            rules.len(),
            parts.join(", ")
        );
        let failed: Vec<&Value> = rules
            .iter()
            .filter(|r| {
                matches!(
                    r.get("status").and_then(Value::as_str),
                    Some("failed" | "fail")
                )
            })
            .collect();
        if !failed.is_empty() {
            s.push_str("<table class=\"data\"><thead><tr><th>Rule</th><th>Name</th><th>Severity</th><th class=\"n\">Findings</th></tr></thead><tbody>");
            for r in failed {
                let _ = write!(
                    s,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                    t(r.get("id").or_else(|| r.get("rule_id"))),
                    t(r.get("name").or_else(|| r.get("rule_name"))),
                    t(r.get("severity")),
                    t(r.get("findings")),
                );
            }
            s.push_str("</tbody></table>\n");
        }
    }
    s.push_str("</section>\n");
}

fn registry(s: &mut String, p: &Page) {
    s.push_str("<section class=\"sec\" id=\"registry\">\n<h2>Registry XML</h2>\n");
    match &p.registry {
        None => s.push_str(
            "<p class=\"note\">The report does not record a registry XML validation (write the XML \
             with <code>cbam report --xml</code> or <code>cbam xml</code>, check it with \
             <code>cbam validate --report FILE.xml</code>).</p>\n",
        ),
        Some(r) => {
            let verdict = if r.valid_for_upload {
                format!(
                    "<span class=\"ok\">valid for upload: yes</span> ({} warnings)",
                    r.warning_count
                )
            } else {
                format!(
                    "<span class=\"bad\">valid for upload: no</span> — {} errors, {} warnings{}",
                    r.error_count,
                    r.warning_count,
                    if r.written { "" } else { "; NOT written" }
                )
            };
            let _ = writeln!(
                s,
                "<p>{} ({}): {verdict}. The registry's rules ran on the XML as written, as \
                 <code>cbam validate --report {}</code> runs them; their findings (XQ codes) \
                 are under Findings.</p>",
                esc(&r.file_name),
                esc(&r.schema),
                esc(&r.file_name)
            );
        }
    }
    s.push_str("</section>\n");
}

fn digest_rows(s: &mut String, list: &[Value]) {
    for fd in list {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"h\">{}</td></tr>",
            t(fd.get("role")),
            t(fd.get("origin")),
            t(fd.get("file_name").or_else(|| fd.get("file_path"))),
            t(fd.get("sha256").or_else(|| fd.get("file_hash_sha256"))),
        );
    }
}

fn provenance(s: &mut String, h: &Value) {
    let pv = at(h, &["provenance"]).unwrap_or(&Value::Null);
    s.push_str("<section class=\"sec\" id=\"provenance\">\n<h2>Provenance</h2>\n");
    if let Some(tool) = pv.get("tool") {
        let _ = writeln!(
            s,
            "<p class=\"sub\">Calculated by {} {}; every input and reference table with its SHA-256.</p>",
            t(tool.get("name")),
            t(tool.get("version"))
        );
    }
    s.push_str(
        "<table class=\"data\"><thead><tr><th>Role</th><th>Origin</th><th>File</th><th>SHA-256</th></tr></thead><tbody>",
    );
    digest_rows(s, arr(pv, &["inputs"]));
    digest_rows(s, arr(pv, &["input_files"]));
    digest_rows(s, arr(pv, &["reference_data"]));
    digest_rows(s, arr(h, &["certificate_obligation", "reference_data"]));
    s.push_str("</tbody></table>\n");
    let notes = arr(pv, &["notes"]);
    if !notes.is_empty() {
        s.push_str("<ul class=\"note\">");
        for n in notes {
            let _ = write!(s, "<li>{}</li>", t(Some(n)));
        }
        s.push_str("</ul>\n");
    }
    s.push_str("</section>\n");
}
