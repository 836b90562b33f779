//! Reading one side of a verification: a report (ours or the production system's, streamed
//! line by line), a baseline JSON `{shipment_id: {direct, indirect, total}}`, a CSV, or a
//! report built in this run.

use super::{Emissions, Figures, Shipment, Stated};
use crate::error::{Error, Result};
use crate::formats::jsonpath::Node;
use crate::model::Date;
use rust_decimal::Decimal;
use serde_json::Value;
use std::path::Path;

/// A figure (tCO2e) above this in magnitude is refused when read: no shipment comes near it,
/// and the bound keeps the sums and differences of any number of them inside `Decimal`'s
/// range (no overflow, no panic).
pub const MAX_FIGURE_TCO2E: u64 = 1_000_000_000_000_000_000;

fn in_bounds(v: Decimal) -> bool {
    v.abs() <= Decimal::from(MAX_FIGURE_TCO2E)
}

fn data_error(path: &Path, message: String) -> Error {
    Error::Data {
        path: path.to_path_buf(),
        message,
    }
}

/// `v` as a figure within bounds (`what` names it in the error).
fn figure(path: &Path, what: &dyn Fn() -> String, v: Option<&Value>) -> Result<Option<Decimal>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(x) => match x.decimal() {
            Some(d) if in_bounds(d) => Ok(Some(d)),
            Some(d) => Err(data_error(
                path,
                format!(
                    "{}: {d} is more than {MAX_FIGURE_TCO2E} tCO2e in magnitude",
                    what()
                ),
            )),
            None => Err(data_error(
                path,
                format!("{}: expected a number, found {x}", what()),
            )),
        },
    }
}

/// One `detailed_goods` entry (the `i`th), added to `f`; an id twice is refused.
fn add_line(path: &Path, f: &mut Figures, i: usize, g: &Value) -> Result<()> {
    let id = g
        .get("shipment_id")
        .and_then(|x| x.text())
        .ok_or_else(|| data_error(path, format!("detailed_goods[{i}]: no shipment_id")))?;
    let e = g.get("emissions_calculation").ok_or_else(|| {
        data_error(
            path,
            format!("detailed_goods[{i}] ({id}): no emissions_calculation"),
        )
    })?;
    let at = |k: &'static str| {
        let id = id.clone();
        move || format!("detailed_goods[{i}] ({id}): emissions_calculation.{k}")
    };
    let emissions = Emissions {
        direct: figure(
            path,
            &at("direct_emissions_tco2"),
            e.get("direct_emissions_tco2"),
        )?,
        indirect: figure(
            path,
            &at("indirect_emissions_tco2"),
            e.get("indirect_emissions_tco2"),
        )?,
        total: figure(
            path,
            &at("total_emissions_tco2"),
            e.get("total_emissions_tco2"),
        )?
        .ok_or_else(|| data_error(path, format!("{}: missing", at("total_emissions_tco2")())))?,
    };
    let sector = g
        .get("_enrichment")
        .and_then(|x| x.get("product_group"))
        .or_else(|| g.get("product_group"))
        .and_then(|x| x.text());
    let s = Shipment {
        emissions,
        cn_code: f.name(g.get("cn_code").and_then(|x| x.text())),
        sector: f.name(sector),
        origin: f.name(g.get("origin_iso").and_then(|x| x.text())),
        date: g
            .get("import_date")
            .and_then(|x| x.as_str())
            .and_then(Date::parse),
    };
    if !f.insert(id.clone(), s) {
        return Err(data_error(path, format!("shipment {id} appears twice")));
    }
    Ok(())
}

/// The finest decimals among `values`.
fn finest(values: impl IntoIterator<Item = Decimal>) -> u32 {
    values.into_iter().map(|d| d.scale()).max().unwrap_or(0)
}

/// `[{key: name, total_emissions_tco2: x}]` as a map.
fn stated_list(
    path: &Path,
    list: Option<&Value>,
    key: &str,
    at: &str,
) -> Result<Vec<(String, Decimal)>> {
    let mut out = Vec::new();
    for (i, e) in list
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let what = || format!("emissions_summary.{at}[{i}].total_emissions_tco2");
        if let (Some(k), Some(v)) = (
            e.get(key).and_then(|x| x.text()),
            figure(path, &what, e.get("total_emissions_tco2"))?,
        ) {
            out.push((k, v));
        }
    }
    Ok(out)
}

/// The report's stated summaries (`emissions_summary`, `goods_summary.total_shipments`), when
/// it states a total.
pub(crate) fn stated(path: &Path, head: &Value) -> Result<Option<Stated>> {
    let Some(es) = head.get("emissions_summary") else {
        return Ok(None);
    };
    let num = |k: &'static str| figure(path, &|| format!("emissions_summary.{k}"), es.get(k));
    let Some(total) = num("total_embedded_emissions_tco2")? else {
        return Ok(None);
    };
    let totals = Emissions {
        direct: num("total_direct_emissions_tco2")?,
        indirect: num("total_indirect_emissions_tco2")?,
        total,
    };
    let exact_sums = match es.get("exact_sums") {
        None => None,
        Some(x) => {
            let n = |k: &'static str| {
                figure(
                    path,
                    &|| format!("emissions_summary.exact_sums.{k}"),
                    x.get(k),
                )
            };
            n("total_emissions_tco2")?
                .map(|total| -> Result<Emissions> {
                    Ok(Emissions {
                        direct: n("direct_emissions_tco2")?,
                        indirect: n("indirect_emissions_tco2")?,
                        total,
                    })
                })
                .transpose()?
        }
    };
    let by_sector = stated_list(
        path,
        es.get("emissions_by_product_group"),
        "product_group",
        "emissions_by_product_group",
    )?;
    let by_origin = stated_list(
        path,
        es.get("emissions_by_origin_country"),
        "country_iso",
        "emissions_by_origin_country",
    )?;
    let decimals = finest(
        [totals.direct, totals.indirect, Some(total)]
            .into_iter()
            .flatten()
            .chain(by_sector.iter().chain(&by_origin).map(|(_, v)| *v)),
    );
    Ok(Some(Stated {
        totals,
        decimals,
        exact_sums,
        by_sector: by_sector.into_iter().collect(),
        by_origin: by_origin.into_iter().collect(),
        shipments: head
            .get("goods_summary")
            .and_then(|g| g.get("total_shipments"))
            .and_then(Value::as_u64),
    }))
}

/// A report's lines read one by one from its mapped bytes (`head`: the report without its
/// lines), never as one tree; its rejected rows likewise.
fn from_report_stream(path: &Path, bytes: &[u8], head: &Value) -> Result<Figures> {
    let mut f = Figures::default();
    each_element(
        path,
        bytes,
        crate::validate::ReportArray::Lines,
        &mut |i, g| add_line(path, &mut f, i, g),
    )?;
    let lists_rejected = head
        .get("validation_results")
        .and_then(|v| v.get("rejected_rows"))
        .is_some_and(Value::is_array);
    if lists_rejected {
        let which = crate::validate::ReportArray::List("rejected_rows");
        each_element(path, bytes, which, &mut |_, r| {
            if let Some(id) = r.get("shipment_id").and_then(|x| x.text()) {
                let codes = r
                    .get("codes")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten();
                f.rejected
                    .insert(id, codes.filter_map(|c| c.text()).collect());
            }
            Ok(())
        })?;
    }
    f.stated = stated(path, head)?;
    Ok(f)
}

/// Each element of one of the report's arrays, parsed, to `each` (the first error stops it).
fn each_element(
    path: &Path,
    bytes: &[u8],
    which: crate::validate::ReportArray,
    each: &mut dyn FnMut(usize, &Value) -> Result<()>,
) -> Result<()> {
    let mut failed = None;
    let mut i = 0usize;
    crate::validate::stream_array(path, bytes, which, &mut |raw| {
        if failed.is_some() {
            return;
        }
        let r = serde_json::from_str::<Value>(raw)
            .map_err(|e| data_error(path, format!("element {i}: {e}")))
            .and_then(|v| each(i, &v));
        failed = r.err();
        i += 1;
    })?;
    failed.map_or(Ok(()), Err)
}

/// A report held whole (small), or a baseline `{shipment_id: {direct, indirect, total}}`.
pub fn from_json(path: &Path, v: &Value) -> Result<Figures> {
    let mut f = Figures::default();
    if let Some(goods) = v.get("detailed_goods").and_then(|g| g.as_array()) {
        for (i, g) in goods.iter().enumerate() {
            add_line(path, &mut f, i, g)?;
        }
        f.stated = stated(path, v)?;
        return Ok(f);
    }
    let obj = v.as_object().ok_or_else(|| {
        data_error(
            path,
            "expected a report or a baseline object {shipment_id: {direct, indirect, total}}"
                .into(),
        )
    })?;
    if obj.contains_key("report_metadata") {
        return Err(data_error(
            path,
            "the report has no detailed_goods (summary only): per-shipment figures are needed"
                .into(),
        ));
    }
    for (id, e) in obj {
        let get = |keys: [&'static str; 2]| -> Result<Option<Decimal>> {
            let k = keys
                .into_iter()
                .find(|k| e.get(*k).is_some())
                .unwrap_or(keys[0]);
            figure(path, &|| format!("{id}: {k}"), e.get(k))
        };
        let emissions = Emissions {
            direct: get(["direct", "direct_emissions_tco2"])?,
            indirect: get(["indirect", "indirect_emissions_tco2"])?,
            total: get(["total", "total_emissions_tco2"])?
                .ok_or_else(|| data_error(path, format!("{id}: no total")))?,
        };
        let date = e
            .get("import_date")
            .and_then(|x| x.as_str())
            .and_then(Date::parse);
        let s = Shipment {
            emissions,
            date,
            ..Shipment::default()
        };
        f.insert(id.clone(), s);
    }
    Ok(f)
}

/// A CSV with `shipment_id` and `total` (or `total_emissions_tco2`, as `--lines` writes),
/// optionally direct/indirect, `origin_iso`, `cn_code`, `product_group`, `import_date`.
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
        let num = |names: [&str; 2]| -> Result<Option<Decimal>> {
            let Some(n) = names.into_iter().find(|n| r.has(n)) else {
                return Ok(None);
            };
            let t = r.get(n);
            match crate::reference::factors::dec(t) {
                Ok(d) if d.is_none_or(in_bounds) => Ok(d),
                Ok(_) => Err(r.bad(
                    n,
                    &format!("a figure of at most {MAX_FIGURE_TCO2E} tCO2e"),
                    t,
                )),
                Err(_) => Err(r.bad(n, "a number", t)),
            }
        };
        let total = num(["total", "total_emissions_tco2"])?.ok_or_else(|| {
            r.bad(
                "total",
                "a total or total_emissions_tco2 column with a figure",
                "",
            )
        })?;
        let text = |c: &str| r.has(c).then(|| r.get(c).to_string());
        let s = Shipment {
            emissions: Emissions {
                direct: num(["direct", "direct_emissions_tco2"])?,
                indirect: num(["indirect", "indirect_emissions_tco2"])?,
                total,
            },
            cn_code: f.name(text("cn_code")),
            sector: f.name(text("product_group")),
            origin: f.name(text("origin_iso")),
            date: text("import_date").as_deref().and_then(Date::parse),
        };
        f.insert(id.to_string(), s);
    }
    Ok(f)
}

/// Figures of a report built in this run (`--sample-shipments`), with its stated summaries.
pub fn from_report(r: &crate::report::Report) -> Result<Figures> {
    let mut f = Figures::default();
    if let Some(lines) = r.lines() {
        lines
            .for_each(|l| {
                let sector = match &l.shipment.scope {
                    crate::model::ScopeStatus::InScope(e)
                    | crate::model::ScopeStatus::Excluded(e) => {
                        Some(e.sector.product_group().to_string())
                    }
                    crate::model::ScopeStatus::NotListed => None,
                };
                let row = &l.shipment.row;
                let s = Shipment {
                    emissions: Emissions {
                        direct: Some(l.direct),
                        indirect: Some(l.indirect),
                        total: l.total,
                    },
                    cn_code: f.name(Some(row.get(crate::model::Col::CnCode).to_string())),
                    sector: f.name(sector),
                    origin: f.name(Some(l.shipment.origin_iso().to_string())),
                    date: Date::parse(row.get(crate::model::Col::ImportDate)),
                };
                f.insert(row.get(crate::model::Col::ShipmentId).to_string(), s);
                Ok(())
            })
            .map_err(|e| Error::Read {
                path: "<the report's temporary lines>".into(),
                source: e,
            })?;
    }
    let head = serde_json::json!({
        "emissions_summary": serde_json::to_value(&r.emissions_summary).unwrap_or_default(),
        "goods_summary": {"total_shipments": r.goods_summary.total_shipments},
    });
    f.stated = stated(Path::new("<recomputation>"), &head)?;
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
        return from_report_stream(path, &bytes, &head);
    }
    let (v, _) = crate::validate::parse_report(path, &bytes)?;
    from_json(path, &v)
}
