//! `cbam suppliers import`: Communication templates → supplier profiles in the YAML format
//! `--suppliers` reads (the production system's, extended compatibly with per-CN actuals).
//! Every imported value records where it came from: file, SHA-256, sheet and cell.
//!
//! `cbam report --supplier-templates` goes through the same YAML, so a template used directly
//! and a template imported first give the same numbers.

use crate::error::{Error, Result};
use crate::model::{Finding, Severity};
use crate::reference::comm_template::{self, Cell, TemplateFile, TemplateProduct, SHEET};
use crate::reference::scope::AnnexScope;
use crate::reference::SupplierBook;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// One template and the supplier it becomes.
#[derive(Debug)]
pub struct Imported {
    pub supplier_id: String,
    pub template: TemplateFile,
    /// The profile as YAML-ready data; `None` when the template holds nothing to import.
    pub profile: Option<Value>,
    /// CN codes imported (rows with errors and ambiguous codes are left out).
    pub cn_codes: Vec<String>,
    pub size_bytes: u64,
}

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

fn cell_name(cell: &str) -> String {
    cell.strip_prefix(&format!("{SHEET}!"))
        .unwrap_or(cell)
        .to_string()
}

/// Reads each template and builds its supplier profile. `supplier_id` names the supplier of
/// a single template; else each takes its file name without extension.
pub fn import(
    paths: &[PathBuf],
    supplier_id: Option<&str>,
    scope: &AnnexScope,
) -> Result<Vec<Imported>> {
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
    import_each(&files, scope)
}

/// Reads each template as the supplier it is paired with. Two templates for one supplier id
/// are refused: which one's figures apply would depend on their order.
pub fn import_each(files: &[(PathBuf, String)], scope: &AnnexScope) -> Result<Vec<Imported>> {
    let mut out: Vec<Imported> = Vec::new();
    for (path, id) in files {
        if let Some(other) = out.iter().find(|i| i.supplier_id == *id) {
            return Err(Error::Data {
                path: path.clone(),
                message: format!(
                    "supplier id {id:?} is also given by {}; one template per supplier (name them apart, or map them with --supplier-template-map)",
                    other.template.file_name
                ),
            });
        }
        let template = comm_template::read_template(path)?;
        let size_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let mut i = build(id.clone(), template, scope);
        i.size_bytes = size_bytes;
        out.push(i);
    }
    Ok(out)
}

/// The file name without extension: how `--supplier-templates` matches shipments.
pub fn default_supplier_id(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().trim().to_string())
        .unwrap_or_default()
}

/// One product row as a per-CN actual, with the cell of every value.
fn entry(t: &TemplateFile, p: &TemplateProduct, year: Option<i32>) -> Value {
    let cn = p.cn.as_str().to_string();
    let mut cells = Map::new();
    let mut put = |k: &str, c: &str| {
        cells.insert(k.into(), Value::String(cell_name(c)));
    };
    put("cn_code", &format!("{SHEET}!F{}", p.row));
    put("direct_emissions_tco2_per_ton", &p.direct.cell);
    put("indirect_emissions_tco2_per_ton", &p.indirect.cell);
    put("total_emissions_tco2_per_ton", &p.total.cell);
    let mut e = Map::new();
    e.insert("cn_code".into(), Value::String(cn));
    e.insert("direct_emissions_tco2_per_ton".into(), num(p.direct.value));
    e.insert(
        "indirect_emissions_tco2_per_ton".into(),
        num(p.indirect.value),
    );
    e.insert("total_emissions_tco2_per_ton".into(), num(p.total.value));
    if let Some(u) = &p.unit {
        e.insert("unit".into(), Value::String(u.value.clone()));
        put("unit", &u.cell);
    }
    if let Some(y) = year {
        e.insert("reporting_year".into(), json!(y));
    }
    e.insert(
        "data_quality".into(),
        Value::String("actual (EU Communication template)".into()),
    );
    for (key, c) in [
        ("production_process", &p.process),
        ("goods_category", &p.category),
        ("cn_name", &p.cn_name),
        ("product_name", &p.product_name),
        ("production_route", &p.route),
        ("electricity_ef_source", &p.ef_source),
    ] {
        if let Some(c) = c {
            e.insert(key.into(), Value::String(c.value.clone()));
            put(key, &c.cell);
        }
    }
    for (key, c) in [
        ("default_value_share", &p.default_share),
        ("embedded_electricity_mwh_per_t", &p.embedded_electricity),
        ("electricity_ef_tco2_per_mwh", &p.electricity_ef),
    ] {
        if let Some(c) = c {
            e.insert(key.into(), num(c.value));
            put(key, &c.cell);
        }
    }
    let cp = &p.carbon_price;
    if !cp.is_empty() {
        let mut m = Map::new();
        for (key, c) in [
            ("instrument", &cp.instrument),
            ("currency", &cp.currency),
            ("rebate_type", &cp.rebate_type),
        ] {
            if let Some(c) = c {
                m.insert(key.into(), Value::String(c.value.clone()));
                put(&format!("carbon_price.{key}"), &c.cell);
            }
        }
        for (key, c) in [
            ("share_covered", &cp.share_covered),
            ("amount_per_t", &cp.amount_per_t),
            ("rebate_share", &cp.rebate_share),
            ("rebate_per_t", &cp.rebate_per_t),
            ("effective_per_t", &cp.effective_per_t),
        ] {
            if let Some(c) = c {
                m.insert(key.into(), num(c.value));
                put(&format!("carbon_price.{key}"), &c.cell);
            }
        }
        e.insert("carbon_price".into(), Value::Object(m));
    }
    e.insert(
        "source".into(),
        Value::String(format!(
            "EU Communication template v{} {} (sha256 {}), {SHEET}!{}/{}/{}",
            t.version.as_str(),
            t.file_name,
            &t.sha256[..16],
            cell_name(&p.direct.cell),
            cell_name(&p.indirect.cell),
            cell_name(&p.total.cell)
        )),
    );
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

fn build(supplier_id: String, t: TemplateFile, scope: &AnnexScope) -> Imported {
    // Rows with an error of their own, and every row of an ambiguous code, are left out.
    let usable: Vec<&TemplateProduct> = t
        .products
        .iter()
        .filter(|p| p.usable && !t.ambiguous.contains(&p.cn))
        .collect();
    let ambiguous: Vec<String> = {
        let mut v: Vec<String> = t.ambiguous.iter().map(|c| c.as_str().to_string()).collect();
        v.sort();
        v
    };
    if t.products.is_empty() {
        return Imported {
            supplier_id,
            template: t,
            profile: None,
            cn_codes: Vec::new(),
            size_bytes: 0,
        };
    }
    let year = t.period_end.as_ref().map(|c| c.value.year);
    let mut seen: Vec<String> = Vec::new();
    let mut by_cn = Vec::new();
    let mut sectors: Vec<&'static str> = Vec::new();
    for p in &usable {
        let cn = p.cn.as_str().to_string();
        if seen.contains(&cn) {
            // Listed again with the same SEE (a different product name): one entry.
            continue;
        }
        seen.push(cn);
        if let Some(s) = comm_template::sector_of(scope, &p.cn) {
            if !sectors.contains(&s.product_group()) {
                sectors.push(s.product_group());
            }
        }
        by_cn.push(entry(&t, p, year));
    }
    // Rows of an ambiguous code are kept for the record, apart from the usable actuals.
    let ambiguous_entries: Vec<Value> = t
        .products
        .iter()
        .filter(|p| ambiguous.iter().any(|a| a == p.cn.as_str()))
        .map(|p| entry(&t, p, year))
        .collect();
    let inst = &t.installation;
    let mut installation = Map::new();
    let mut inst_cells = Map::new();
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
        if let Some(c) = c {
            installation.insert(key.into(), Value::String(c.value.clone()));
            inst_cells.insert(key.into(), Value::String(cell_name(&c.cell)));
        }
    }
    if let Some(l) = &inst.unlocode {
        installation.insert(
            "unlocode_normalised".into(),
            Value::String(comm_template::unlocode_normalised(&l.value)),
        );
    }
    let mut profile = Map::new();
    profile.insert("supplier_id".into(), Value::String(supplier_id.clone()));
    profile.insert("company_name".into(), text(&inst.name));
    profile.insert("country_iso".into(), text(&inst.country_iso));
    profile.insert("installation".into(), Value::Object(installation));
    let mut period = Map::new();
    if let Some(s) = &t.period_start {
        period.insert("start".into(), Value::String(s.value.to_string()));
        inst_cells.insert(
            "reporting_period.start".into(),
            Value::String(cell_name(&s.cell)),
        );
    }
    if let Some(e) = &t.period_end {
        period.insert("end".into(), Value::String(e.value.to_string()));
        inst_cells.insert(
            "reporting_period.end".into(),
            Value::String(cell_name(&e.cell)),
        );
    }
    profile.insert("reporting_period".into(), Value::Object(period));
    profile.insert(
        "product_groups".into(),
        Value::Array(
            sectors
                .iter()
                .map(|s| Value::String(s.to_string()))
                .collect(),
        ),
    );
    profile.insert(
        "cn_codes_produced".into(),
        Value::Array(seen.iter().cloned().map(Value::String).collect()),
    );
    profile.insert(
        "actual_emissions_available".into(),
        Value::Bool(!by_cn.is_empty()),
    );
    profile.insert("actual_emissions_by_cn".into(), Value::Array(by_cn));
    if !ambiguous.is_empty() {
        profile.insert(
            "ambiguous_cn_codes".into(),
            Value::Array(ambiguous.iter().cloned().map(Value::String).collect()),
        );
        profile.insert("ambiguous_entries".into(), Value::Array(ambiguous_entries));
    }
    profile.insert(
        "communication_template".into(),
        json!({
            "file": t.file_name,
            "sha256": t.sha256,
            "version": t.version.as_str(),
            "sheet": SHEET,
            "cells": Value::Object(inst_cells),
        }),
    );
    Imported {
        supplier_id,
        template: t,
        profile: Some(Value::Object(profile)),
        cn_codes: seen,
        size_bytes: 0,
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

/// Single-quoted (`''` for a quote) unless the text holds control characters, then
/// double-quoted with JSON escapes (valid YAML).
fn quote(s: &str) -> String {
    if s.chars().any(|c| c.is_control()) {
        serde_json::to_string(s).unwrap_or_default()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// The YAML for the imported suppliers, merged into `existing` (a supplier YAML) when given:
/// a supplier with the same id is replaced, others are appended. The merge is checked: every
/// supplier that was in the file reads back with the same figures, else it is refused.
pub fn render(imported: &[Imported], existing: Option<(&Path, &str)>) -> Result<String> {
    let new: Vec<Value> = imported.iter().filter_map(|i| i.profile.clone()).collect();
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

/// Findings of an import run: the templates' own, plus one per template with nothing to import.
pub fn findings(imported: &[Imported]) -> Vec<Finding> {
    let mut out = Vec::new();
    for i in imported {
        out.extend(i.template.findings.iter().cloned());
        let ambiguous = i
            .profile
            .as_ref()
            .is_some_and(|p| p.get("ambiguous_cn_codes").is_some());
        if i.profile.is_some() && i.cn_codes.is_empty() && !ambiguous {
            out.push(
                Finding::new(
                    "TP001",
                    Severity::Error,
                    format!(
                        "{}: every product row has an error; nothing imported for supplier {}",
                        i.template.file_name, i.supplier_id
                    ),
                )
                .file(i.template.file_name.clone()),
            );
        }
    }
    out
}
