//! `cbam suppliers import`: Communication templates → supplier profiles in the YAML format
//! `--suppliers` reads (the production system's, extended compatibly with per-CN actuals).
//! Every imported value records where it came from: file, SHA-256, sheet and cell.
//!
//! The profiles are the ones `cbam report --supplier-templates` takes directly
//! (`reference::template_import`), so a template used directly and a template imported first
//! give the same numbers.

use crate::error::{Error, Result};
use crate::reference::comm_template::{
    self, CarbonPrice, Cell, Installation, TemplateProduct, SHEET,
};
use crate::reference::scope::AnnexScope;
use crate::reference::template_import::{
    self, cell_name, default_supplier_id, ImportedTemplate, TEMPLATE_DATA_QUALITY,
};
use crate::reference::SupplierBook;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

fn num(d: Decimal) -> Value {
    // Decimal text into a JSON number as written (arbitrary_precision): never a float.
    Value::Number(
        d.normalize()
            .to_string()
            .parse()
            .unwrap_or_else(|_| serde_json::Number::from(0)),
    )
}

fn text(c: &Option<Cell<String>>) -> Value {
    c.as_ref()
        .map(|c| Value::String(c.value.clone()))
        .unwrap_or(Value::Null)
}

/// Reads each template and builds its supplier profile. `supplier_id` names the supplier of
/// a single template; else each takes its file name without extension.
pub fn import(
    paths: &[PathBuf],
    supplier_id: Option<&str>,
    scope: &AnnexScope,
) -> Result<Vec<ImportedTemplate>> {
    let files: Vec<(PathBuf, String)> = paths
        .iter()
        .map(|p| {
            let id = match supplier_id {
                Some(id) => id.to_string(),
                None => default_supplier_id(p),
            };
            (p.clone(), id)
        })
        .collect();
    template_import::import_each(&files, scope)
}

/// The profile `cbam suppliers import` writes for a template, as YAML-ready data: every
/// value with the cell it was read from. `None` when the template holds nothing to import.
pub fn profile_value(imp: &ImportedTemplate) -> Option<Value> {
    let profile = imp.profile.as_ref()?;
    let t = &imp.template;
    let inst = &t.installation;
    let (installation, mut template_cells) = installation_value(inst);
    let mut out = Map::new();
    out.insert("supplier_id".into(), Value::String(imp.supplier_id.clone()));
    out.insert("company_name".into(), text(&inst.name));
    out.insert("country_iso".into(), text(&inst.country_iso));
    out.insert("installation".into(), Value::Object(installation));
    let mut period = Map::new();
    for (key, date) in [("start", &t.period_start), ("end", &t.period_end)] {
        if let Some(d) = date {
            period.insert(key.into(), Value::String(d.value.to_string()));
            put_cell(
                &mut template_cells,
                &format!("reporting_period.{key}"),
                &d.cell,
            );
        }
    }
    out.insert("reporting_period".into(), Value::Object(period));
    let groups = profile.sectors.iter();
    let groups = groups.map(|s| Value::String(s.product_group().to_string()));
    out.insert("product_groups".into(), Value::Array(groups.collect()));
    let codes = imp.cn_codes.iter().cloned().map(Value::String);
    out.insert("cn_codes_produced".into(), Value::Array(codes.collect()));
    out.insert(
        "actual_emissions_available".into(),
        Value::Bool(!profile.rows.is_empty()),
    );
    let by_cn = imp.imported_rows().map(|p| entry(imp, p)).collect();
    out.insert("actual_emissions_by_cn".into(), Value::Array(by_cn));
    if !profile.ambiguous.is_empty() {
        let codes = profile.ambiguous.iter();
        let codes = codes.map(|c| Value::String(c.as_str().to_string()));
        out.insert("ambiguous_cn_codes".into(), Value::Array(codes.collect()));
        let rows = imp.ambiguous_rows().map(|p| entry(imp, p)).collect();
        out.insert("ambiguous_entries".into(), Value::Array(rows));
    }
    out.insert(
        "communication_template".into(),
        json!({
            "file": t.file_name,
            "sha256": t.sha256,
            "version": t.version.as_str(),
            "sheet": SHEET,
            "cells": Value::Object(template_cells),
        }),
    );
    Some(Value::Object(out))
}

/// The installation's fields, and the cells they were read from.
fn installation_value(inst: &Installation) -> (Map<String, Value>, Map<String, Value>) {
    let mut values = Map::new();
    let mut cells = Map::new();
    for (key, c) in [
        ("name", &inst.name),
        ("street", &inst.street),
        ("economic_activity", &inst.economic_activity),
        ("city", &inst.city),
        ("country_iso", &inst.country_iso),
        ("unlocode", &inst.unlocode),
        ("latitude", &inst.latitude),
        ("longitude", &inst.longitude),
    ] {
        put_text(&mut values, &mut cells, key, key, c);
    }
    if let Some(l) = &inst.unlocode {
        values.insert(
            "unlocode_normalised".into(),
            Value::String(comm_template::unlocode_normalised(&l.value)),
        );
    }
    (values, cells)
}

/// One product row as a per-CN actual, with the cell of every value.
fn entry(imp: &ImportedTemplate, p: &TemplateProduct) -> Value {
    let t = &imp.template;
    let mut cells = Map::new();
    put_cell(&mut cells, "cn_code", &format!("{SHEET}!F{}", p.row));
    let mut e = Map::new();
    e.insert("cn_code".into(), Value::String(p.cn.as_str().to_string()));
    for (key, c) in [
        ("direct_emissions_tco2_per_ton", &p.direct),
        ("indirect_emissions_tco2_per_ton", &p.indirect),
        ("total_emissions_tco2_per_ton", &p.total),
    ] {
        e.insert(key.into(), num(c.value));
        put_cell(&mut cells, key, &c.cell);
    }
    put_text(&mut e, &mut cells, "unit", "unit", &p.unit);
    if let Some(y) = imp.profile.as_ref().and_then(|p| p.reporting_year) {
        e.insert("reporting_year".into(), json!(y));
    }
    e.insert(
        "data_quality".into(),
        Value::String(TEMPLATE_DATA_QUALITY.into()),
    );
    for (key, c) in [
        ("production_process", &p.process),
        ("goods_category", &p.category),
        ("cn_name", &p.cn_name),
        ("product_name", &p.product_name),
        ("production_route", &p.route),
        ("electricity_ef_source", &p.ef_source),
    ] {
        put_text(&mut e, &mut cells, key, key, c);
    }
    for (key, c) in [
        ("default_value_share", &p.default_share),
        ("embedded_electricity_mwh_per_t", &p.embedded_electricity),
        ("electricity_ef_tco2_per_mwh", &p.electricity_ef),
    ] {
        put_number(&mut e, &mut cells, key, key, c);
    }
    if !p.carbon_price.is_empty() {
        let price = carbon_price_value(&p.carbon_price, &mut cells);
        e.insert("carbon_price".into(), price);
    }
    e.insert("source".into(), Value::String(imp.row_source(p)));
    e.insert(
        "origin".into(),
        json!({
            "file": t.file_name,
            "sha256": t.sha256,
            "sheet": SHEET,
            "cells": Value::Object(cells),
        }),
    );
    Value::Object(e)
}

/// The carbon price paid in the country of production; its cells go into `cells` as
/// `carbon_price.<field>`.
fn carbon_price_value(cp: &CarbonPrice, cells: &mut Map<String, Value>) -> Value {
    let mut m = Map::new();
    for (key, c) in [
        ("instrument", &cp.instrument),
        ("currency", &cp.currency),
        ("rebate_type", &cp.rebate_type),
    ] {
        put_text(&mut m, cells, key, &format!("carbon_price.{key}"), c);
    }
    for (key, c) in [
        ("share_covered", &cp.share_covered),
        ("amount_per_t", &cp.amount_per_t),
        ("rebate_share", &cp.rebate_share),
        ("rebate_per_t", &cp.rebate_per_t),
        ("effective_per_t", &cp.effective_per_t),
    ] {
        put_number(&mut m, cells, key, &format!("carbon_price.{key}"), c);
    }
    Value::Object(m)
}

fn put_cell(cells: &mut Map<String, Value>, key: &str, cell: &str) {
    cells.insert(key.into(), Value::String(cell_name(cell)));
}

/// A text value under `key`, its cell under `cell_key`, when the template gives it.
fn put_text(
    values: &mut Map<String, Value>,
    cells: &mut Map<String, Value>,
    key: &str,
    cell_key: &str,
    c: &Option<Cell<String>>,
) {
    if let Some(c) = c {
        values.insert(key.into(), Value::String(c.value.clone()));
        put_cell(cells, cell_key, &c.cell);
    }
}

/// A number under `key`, its cell under `cell_key`, when the template gives it.
fn put_number(
    values: &mut Map<String, Value>,
    cells: &mut Map<String, Value>,
    key: &str,
    cell_key: &str,
    c: &Option<Cell<Decimal>>,
) {
    if let Some(c) = c {
        values.insert(key.into(), num(c.value));
        put_cell(cells, cell_key, &c.cell);
    }
}

/// The profiles as a supplier YAML document (deterministic: keys in a fixed order).
pub fn to_yaml(header: &str, suppliers: &[Value], extra_top: &[(String, Value)]) -> String {
    let mut out = String::new();
    for l in header.lines() {
        out.push_str("# ");
        out.push_str(l);
        out.push('\n');
    }
    for (k, v) in extra_top {
        emit_entry(&mut out, 0, k, v);
    }
    emit_entry(&mut out, 0, "suppliers", &Value::Array(suppliers.to_vec()));
    out
}

fn emit_entry(out: &mut String, indent: usize, key: &str, v: &Value) {
    out.push_str(&" ".repeat(indent));
    out.push_str(&yaml_key(key));
    out.push(':');
    emit_value_after_key(out, indent, v);
}

fn emit_value_after_key(out: &mut String, indent: usize, v: &Value) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            for (k, x) in m {
                emit_entry(out, indent + 2, k, x);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            emit_seq(out, indent + 2, a);
        }
        _ => {
            out.push(' ');
            out.push_str(&scalar(v));
            out.push('\n');
        }
    }
}

fn emit_seq(out: &mut String, indent: usize, a: &[Value]) {
    for x in a {
        out.push_str(&" ".repeat(indent));
        out.push_str("- ");
        match x {
            Value::Object(m) if !m.is_empty() => {
                // First key on the dash line, the rest aligned under it.
                for (i, (k, y)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push_str(&" ".repeat(indent + 2));
                    }
                    out.push_str(&yaml_key(k));
                    out.push(':');
                    emit_value_after_key(out, indent + 2, y);
                }
            }
            Value::Array(b) if !b.is_empty() => {
                out.push('\n');
                emit_seq(out, indent + 2, b);
            }
            _ => {
                out.push_str(&scalar(x));
                out.push('\n');
            }
        }
    }
}

fn yaml_key(k: &str) -> String {
    if !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
    {
        k.to_string()
    } else {
        quote(k)
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// Single-quoted (`''` for a quote) unless the text holds a character a single-quoted YAML
/// scalar cannot keep as it is (a control character, a line or paragraph separator, a byte
/// order mark, a non-character), then double-quoted with `\uXXXX` escapes: any text reads
/// back as written.
fn quote(s: &str) -> String {
    let plain = |c: char| {
        !c.is_control()
            && !matches!(
                c,
                '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
            )
    };
    if s.chars().all(plain) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    let mut out = String::with_capacity(s.len() + 8);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if !plain(c) => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The YAML for the imported suppliers, merged into `existing` (a supplier YAML) when given:
/// a supplier with the same id is replaced, others are appended. The merge is checked: every
/// supplier that was in the file reads back with the same figures, else it is refused.
pub fn render(imported: &[ImportedTemplate], existing: Option<(&Path, &str)>) -> Result<String> {
    let new: Vec<Value> = imported.iter().filter_map(profile_value).collect();
    let header = "Supplier profiles imported by `cbam suppliers import` from the EU Communication\n\
                  template for installations. Every actual names its file, SHA-256, sheet and cell.";
    let Some((path, text)) = existing else {
        return Ok(to_yaml(header, &new, &[]));
    };
    let mut doc: Value = serde_saphyr::from_str(text).map_err(|e| Error::Data {
        path: path.to_path_buf(),
        message: format!("--merge: not a supplier profile file: {e}"),
    })?;
    let Some(top) = doc.as_object_mut() else {
        return Err(Error::Data {
            path: path.to_path_buf(),
            message: "--merge: expected a mapping with a `suppliers` list".into(),
        });
    };
    let mut list = match top.remove("suppliers") {
        Some(Value::Array(a)) => a,
        None | Some(Value::Null) => Vec::new(),
        Some(_) => {
            return Err(Error::Data {
                path: path.to_path_buf(),
                message: "--merge: `suppliers` is not a list".into(),
            })
        }
    };
    for p in new {
        let id = p["supplier_id"].clone();
        match list.iter_mut().find(|s| s["supplier_id"] == id) {
            Some(slot) => *slot = p,
            None => list.push(p),
        }
    }
    let extra: Vec<(String, Value)> = top.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let merged = to_yaml(header, &list, &extra);
    // YAML numbers pass through the merge as floats; prove no figure of a kept supplier moved.
    let before = SupplierBook::from_yaml(path, text)?;
    let after = SupplierBook::from_yaml(path, &merged)?;
    let replaced: Vec<&str> = imported.iter().map(|i| i.supplier_id.as_str()).collect();
    for (id, s) in &before.by_id {
        if replaced.contains(&id.as_str()) {
            continue;
        }
        let a = after.by_id.get(id);
        let same = a.is_some_and(|a| {
            a.general == s.general
                && a.by_cn == s.by_cn
                && a.cn_codes_produced == s.cn_codes_produced
        });
        if !same {
            return Err(Error::Data {
                path: path.to_path_buf(),
                message: format!(
                    "--merge: supplier {id}'s figures would not survive the merge unchanged (a number written \
                     with more digits than a float holds?); import into a new file and merge by hand"
                ),
            });
        }
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    #[test]
    fn any_text_reads_back_from_the_yaml_as_written() {
        for s in [
            "plain",
            "it's",
            "a\nb\r\tc",
            "\u{0}\u{1b}\u{7f}\u{85}",
            "\"q\" \\ back",
            "line\u{2028}sep\u{2029}\u{feff}\u{fffe}",
            "x\":\"injected\",\"y",
            ": - # & * ! | > % @ `",
            "",
        ] {
            let yaml = format!("k: {}\n", super::quote(s));
            let back: std::collections::BTreeMap<String, String> =
                serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("{yaml:?}: {e}"));
            assert_eq!(back["k"], s, "{yaml:?}");
        }
    }
}
