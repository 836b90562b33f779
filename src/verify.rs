//! `cbam verify`: recomputed figures against expected ones (a report, a per-shipment baseline
//! or a CSV), per shipment, per sector, per origin and in total, within a tolerance.

use crate::error::{Error, Result};
use crate::formats::jsonpath::Node;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Triple {
    pub direct: Decimal,
    pub indirect: Decimal,
    pub total: Decimal,
}

impl std::ops::AddAssign for Triple {
    fn add_assign(&mut self, o: Triple) {
        self.direct += o.direct;
        self.indirect += o.indirect;
        self.total += o.total;
    }
}

/// Per-shipment figures, with the sector and origin when the source states them.
#[derive(Debug, Default)]
pub struct Figures {
    pub lines: BTreeMap<String, (Triple, Option<String>, Option<String>)>,
    /// A report's own stated totals (when the source is a report).
    pub stated_total: Option<Triple>,
}

fn dec(v: Option<&Value>) -> Option<Decimal> {
    v.and_then(|x| x.decimal())
}

/// A figure (tCO2e) above this in magnitude is refused when read: no shipment comes near it,
/// and the bound keeps the sums and differences of any number of them inside `Decimal`'s
/// range (no overflow, no panic).
pub const MAX_FIGURE_TCO2E: u64 = 1_000_000_000_000_000_000;

fn in_bounds(v: Decimal) -> bool {
    v.abs() <= Decimal::from(MAX_FIGURE_TCO2E)
}

/// The first figure of `f` out of bounds, as `shipment: field value`.
fn out_of_bounds(f: &Figures) -> Option<String> {
    let named = |t: &Triple| {
        [
            ("direct", t.direct),
            ("indirect", t.indirect),
            ("total", t.total),
        ]
        .into_iter()
        .find(|(_, v)| !in_bounds(*v))
    };
    f.lines
        .iter()
        .find_map(|(id, (t, _, _))| named(t).map(|(n, v)| format!("{id}: {n} {v}")))
        .or_else(|| {
            f.stated_total
                .as_ref()
                .and_then(named)
                .map(|(n, v)| format!("emissions_summary: {n} {v}"))
        })
}

/// `from_json`, refusing a figure out of bounds.
fn bounded(path: &Path, f: Figures) -> Result<Figures> {
    match out_of_bounds(&f) {
        None => Ok(f),
        Some(m) => Err(Error::Data {
            path: path.to_path_buf(),
            message: format!("{m} is more than {MAX_FIGURE_TCO2E} tCO2e in magnitude"),
        }),
    }
}

/// A report (ours or the production system's), or a baseline `{shipment_id: {direct, indirect, total}}`;
/// every figure within ±[`MAX_FIGURE_TCO2E`].
pub fn from_json(path: &Path, v: &Value) -> Result<Figures> {
    bounded(path, from_json_unbounded(path, v)?)
}

/// One `detailed_goods` entry's figures (the `i`th), added to `f`; an id twice is refused.
fn add_line(path: &Path, f: &mut Figures, i: usize, g: &Value) -> Result<()> {
    let bad = |m: String| Error::Data {
        path: path.to_path_buf(),
        message: m,
    };
    let id = g
        .get("shipment_id")
        .and_then(|x| x.text())
        .ok_or_else(|| bad(format!("detailed_goods[{i}]: no shipment_id")))?;
    let e = g.get("emissions_calculation").ok_or_else(|| {
        bad(format!(
            "detailed_goods[{i}] ({id}): no emissions_calculation"
        ))
    })?;
    let t = Triple {
        direct: dec(e.get("direct_emissions_tco2")).unwrap_or_default(),
        indirect: dec(e.get("indirect_emissions_tco2")).unwrap_or_default(),
        total: dec(e.get("total_emissions_tco2")).ok_or_else(|| {
            bad(format!(
                "detailed_goods[{i}] ({id}): no total_emissions_tco2"
            ))
        })?,
    };
    let sector = g
        .get("_enrichment")
        .and_then(|x| x.get("product_group"))
        .or_else(|| g.get("product_group"))
        .and_then(|x| x.text());
    let origin = g.get("origin_iso").and_then(|x| x.text());
    if f.lines.insert(id.clone(), (t, sector, origin)).is_some() {
        return Err(bad(format!("shipment {id} appears twice")));
    }
    Ok(())
}

/// The report's stated totals (`emissions_summary`), when it states them.
fn stated_total(v: &Value) -> Option<Triple> {
    let es = v.get("emissions_summary");
    let total = dec(es.and_then(|e| e.get("total_embedded_emissions_tco2")))?;
    Some(Triple {
        direct: dec(es.and_then(|e| e.get("total_direct_emissions_tco2"))).unwrap_or_default(),
        indirect: dec(es.and_then(|e| e.get("total_indirect_emissions_tco2"))).unwrap_or_default(),
        total,
    })
}

/// A report's figures read line by line from its mapped bytes (`head`: the report without
/// its lines), never as one tree.
fn from_report_stream(path: &Path, bytes: &[u8], head: &Value) -> Result<Figures> {
    let mut f = Figures::default();
    let mut failed = None;
    let mut i = 0usize;
    crate::validate::stream_array(
        path,
        bytes,
        crate::validate::ReportArray::Lines,
        &mut |raw| {
            if failed.is_some() {
                return;
            }
            let r = serde_json::from_str::<Value>(raw)
                .map_err(|e| Error::Data {
                    path: path.to_path_buf(),
                    message: format!("detailed_goods[{i}]: {e}"),
                })
                .and_then(|g| add_line(path, &mut f, i, &g));
            failed = r.err();
            i += 1;
        },
    )?;
    if let Some(e) = failed {
        return Err(e);
    }
    f.stated_total = stated_total(head);
    Ok(f)
}

fn from_json_unbounded(path: &Path, v: &Value) -> Result<Figures> {
    let bad = |m: String| Error::Data {
        path: path.to_path_buf(),
        message: m,
    };
    let mut f = Figures::default();
    if let Some(goods) = v.get("detailed_goods").and_then(|g| g.as_array()) {
        for (i, g) in goods.iter().enumerate() {
            add_line(path, &mut f, i, g)?;
        }
        f.stated_total = stated_total(v);
        return Ok(f);
    }
    let obj = v.as_object().ok_or_else(|| {
        bad(
            "expected a report or a baseline object {shipment_id: {direct, indirect, total}}"
                .into(),
        )
    })?;
    if obj.contains_key("report_metadata") {
        return Err(bad(
            "the report has no detailed_goods (summary only): per-shipment figures are needed"
                .into(),
        ));
    }
    for (id, e) in obj {
        let get = |k: &[&str]| k.iter().find_map(|k| dec(e.get(*k)));
        let total = get(&["total", "total_emissions_tco2"])
            .ok_or_else(|| bad(format!("{id}: no total")))?;
        let t = Triple {
            direct: get(&["direct", "direct_emissions_tco2"]).unwrap_or_default(),
            indirect: get(&["indirect", "indirect_emissions_tco2"]).unwrap_or_default(),
            total,
        };
        f.lines.insert(id.clone(), (t, None, None));
    }
    Ok(f)
}

/// A CSV with `shipment_id` and `total` (or `total_emissions_tco2`, as `--lines` writes), optionally direct/indirect.
pub fn from_csv(path: &Path) -> Result<Figures> {
    let (text, _) = crate::fsio::read_text(path)?;
    let recs = crate::reference::csv::csv_records(path, &text, &["shipment_id"])?;
    let mut f = Figures::default();
    let mut first_line: std::collections::HashMap<String, u64> = Default::default();
    for r in recs {
        let id = r.get("shipment_id");
        if id.is_empty() {
            return Err(r.bad("shipment_id", "a shipment id", id));
        }
        if let Some(first) = first_line.insert(id.to_string(), r.line) {
            return Err(Error::Parse {
                path: path.to_path_buf(),
                line: r.line,
                message: format!(
                    "column shipment_id: {id:?} is on lines {first} and {}; a baseline gives one figure per shipment, so which one is expected is unknown (refused, not collapsed)",
                    r.line
                ),
            });
        }
        let pick = |names: &[&str]| {
            names
                .iter()
                .find(|n| r.has(n))
                .map(|n| (n.to_string(), r.get(n).to_string()))
        };
        let num = |names: &[&str]| -> Result<Decimal> {
            match pick(names) {
                None => Ok(Decimal::ZERO),
                Some((n, t)) => match crate::reference::factors::dec(&t) {
                    Ok(d) if in_bounds(d.unwrap_or_default()) => Ok(d.unwrap_or_default()),
                    Ok(_) => Err(r.bad(
                        &n,
                        &format!("a figure of at most {MAX_FIGURE_TCO2E} tCO2e"),
                        &t,
                    )),
                    Err(_) => Err(r.bad(&n, "a number", &t)),
                },
            }
        };
        if pick(&["total", "total_emissions_tco2"]).is_none() {
            return Err(r.bad("total", "a total or total_emissions_tco2 column", ""));
        }
        let t = Triple {
            direct: num(&["direct", "direct_emissions_tco2"])?,
            indirect: num(&["indirect", "indirect_emissions_tco2"])?,
            total: num(&["total", "total_emissions_tco2"])?,
        };
        let origin = r.has("origin_iso").then(|| r.get("origin_iso").to_string());
        f.lines
            .insert(r.get("shipment_id").to_string(), (t, None, origin));
    }
    Ok(f)
}

#[derive(Debug, Clone, Serialize)]
pub struct Deviation {
    /// shipment, sector, origin or total
    pub level: &'static str,
    pub key: String,
    pub actual: Decimal,
    pub expected: Decimal,
    pub difference: Decimal,
    pub within_tolerance: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub shipments_compared: u64,
    pub missing_in_actual: Vec<String>,
    pub extra_in_actual: Vec<String>,
    pub outside_tolerance: u64,
    /// Largest absolute differences first.
    pub deviations: Vec<Deviation>,
    pub ok: bool,
}

pub fn compare(actual: &Figures, expected: &Figures, abs: Decimal, rel: Decimal) -> Comparison {
    let within = |a: Decimal, e: Decimal| (a - e).abs() <= abs.max(rel * e.abs());
    let mut dev = Vec::new();
    let mut missing = Vec::new();
    let mut extra = Vec::new();
    let mut groups: BTreeMap<(&'static str, String), (Decimal, Decimal)> = BTreeMap::new();
    let (mut ta, mut te) = (Triple::default(), Triple::default());
    for (id, (e, sector, origin)) in &expected.lines {
        te += *e;
        match actual.lines.get(id) {
            None => missing.push(id.clone()),
            Some((a, asec, aorig)) => {
                dev.push(Deviation {
                    level: "shipment",
                    key: id.clone(),
                    actual: a.total,
                    expected: e.total,
                    difference: a.total - e.total,
                    within_tolerance: within(a.total, e.total),
                });
                for (level, k) in [
                    ("sector", sector.clone().or(asec.clone())),
                    ("origin", origin.clone().or(aorig.clone())),
                ] {
                    if let Some(k) = k {
                        let g = groups.entry((level, k)).or_default();
                        g.0 += a.total;
                        g.1 += e.total;
                    }
                }
            }
        }
    }
    for (id, (a, _, _)) in &actual.lines {
        ta += *a;
        if !expected.lines.contains_key(id) {
            extra.push(id.clone());
        }
    }
    for ((level, k), (a, e)) in groups {
        dev.push(Deviation {
            level,
            key: k,
            actual: a,
            expected: e,
            difference: a - e,
            within_tolerance: within(a, e),
        });
    }
    for (key, a, e) in [
        ("direct", ta.direct, te.direct),
        ("indirect", ta.indirect, te.indirect),
        ("total", ta.total, te.total),
    ] {
        dev.push(Deviation {
            level: "total",
            key: key.into(),
            actual: a,
            expected: e,
            difference: a - e,
            within_tolerance: within(a, e),
        });
    }
    let outside = dev.iter().filter(|d| !d.within_tolerance).count() as u64;
    dev.sort_by(|x, y| {
        y.difference
            .abs()
            .cmp(&x.difference.abs())
            .then(x.level.cmp(y.level))
            .then(x.key.cmp(&y.key))
    });
    let compared = expected.lines.len() as u64 - missing.len() as u64;
    let ok = outside == 0 && missing.is_empty() && extra.is_empty();
    Comparison {
        shipments_compared: compared,
        missing_in_actual: missing,
        extra_in_actual: extra,
        outside_tolerance: outside,
        deviations: dev,
        ok,
    }
}

/// Figures of a report built in this run (`--sample-shipments`).
pub fn from_report(r: &crate::report::Report) -> std::io::Result<Figures> {
    let mut f = Figures::default();
    let Some(lines) = r.lines() else {
        return Ok(f);
    };
    lines.for_each(|l| {
        let sector = match &l.shipment.scope {
            crate::model::ScopeStatus::InScope(e) | crate::model::ScopeStatus::Excluded(e) => {
                Some(e.sector.product_group().to_string())
            }
            crate::model::ScopeStatus::NotListed => None,
        };
        f.lines.insert(
            l.shipment
                .row
                .get(crate::model::Col::ShipmentId)
                .to_string(),
            (
                Triple {
                    direct: l.direct,
                    indirect: l.indirect,
                    total: l.total,
                },
                sector,
                Some(l.shipment.origin_iso().to_string()),
            ),
        );
        Ok(())
    })?;
    Ok(f)
}

/// Reads figures from a report, a baseline JSON or a CSV (by extension).
pub fn read(path: &Path) -> Result<Figures> {
    if crate::fsio::has_ext(path, "csv") {
        return from_csv(path);
    }
    // A report is read line by line from the mapped file; a baseline object is read whole.
    let bytes = crate::fsio::FileBytes::open(path)?;
    crate::validate::check_keys(path, &bytes)?;
    let head = crate::validate::report_head(path, &bytes)?;
    if head.get("detailed_goods").is_some_and(Value::is_array) {
        return bounded(path, from_report_stream(path, &bytes, &head)?);
    }
    let (v, _) = crate::validate::parse_report(path, &bytes)?;
    from_json(path, &v)
}
