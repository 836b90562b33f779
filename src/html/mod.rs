//! `--html` and `cbam html`: the report as one self-contained HTML page (inline CSS and SVG,
//! no script, no network), for people and for print. Built only from the report's summary
//! sections and its findings grouped by code — never a structure per shipment — so a
//! million-shipment report renders in well under a second; the same report gives the same
//! bytes. Every text from the report is HTML-escaped.
//!
//! Two sources give one [`Page`]: a report built in this run ([`Page::of_report`]) or a
//! report JSON on disk, ours or the production system's ([`read`]: `detailed_goods` is
//! skipped by a scan, not parsed).

mod render;
mod scan;
mod svg;

pub use render::{esc, frame, render};

use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// Findings shown per code.
pub const FIRST_ROWS: usize = 3;

/// What the page is made of.
#[derive(Debug, Clone)]
pub struct Page {
    /// The report without `detailed_goods` and without the per-row lists of
    /// `validation_results` (errors, warnings, infos, rejected_rows).
    pub head: Value,
    /// The findings by severity (errors, warnings, notes) and code.
    pub findings: Vec<Group>,
    /// The registry XML written with the report and what its checks found, when there was one.
    pub registry: Option<Registry>,
}

/// The findings of one code in one severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// `error`, `warning` or `info`.
    pub severity: &'static str,
    pub code: String,
    pub count: u64,
    /// The first findings (file order).
    pub first: Vec<FirstRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstRow {
    /// Where: `line FILE:N`, `line N`, or a JSON path for a finding about the report.
    pub place: Option<String>,
    pub shipment_id: Option<String>,
    pub field: Option<String>,
    pub message: String,
}

/// The registry's verdict on the QReport XML written with the report
/// (`validation_results.registry`); its findings are among the report's (XQ codes).
#[derive(Debug, Clone)]
pub struct Registry {
    pub file_name: String,
    pub schema: String,
    pub written: bool,
    pub valid_for_upload: bool,
    pub error_count: u64,
    pub warning_count: u64,
}

impl Registry {
    /// From the report's `validation_results.registry`, when it has one.
    pub fn of_report_head(head: &Value) -> Option<Registry> {
        let v = head
            .get("validation_results")?
            .get("registry")
            .filter(|v| v.is_object())?;
        let n = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
        let b = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
        Some(Registry {
            file_name: text(v.get("file")).unwrap_or_default(),
            schema: text(v.get("schema")).unwrap_or_default(),
            written: b("written"),
            valid_for_upload: b("valid_for_upload"),
            error_count: n("error_count"),
            warning_count: n("warning_count"),
        })
    }
}

/// The per-row lists of `validation_results`, in the page's order, with their severity.
const LISTS: [(&str, &str); 3] = [
    ("errors", "error"),
    ("warnings", "warning"),
    ("infos", "info"),
];

/// Findings of one list grouped by code as they come (any order; groups by code).
#[derive(Default)]
struct Grouper(BTreeMap<String, Group>);

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().filter_map(|x| text(Some(x))).collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
        x => Some(x.to_string()),
    }
}

/// A finding's code fields only, borrowed: all that is read of a finding once its code has
/// its first rows (serde skips the rest without building it).
#[derive(serde::Deserialize)]
struct Code<'a> {
    #[serde(borrow, default)]
    code: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    error_code: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    warning_code: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    info_code: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    rule_id: Option<std::borrow::Cow<'a, str>>,
}

impl Grouper {
    /// Counts the finding in `raw` when its code's first rows are full (true); false when it
    /// must be read whole (a first row, or a shape the quick read does not take).
    fn count_quickly(&mut self, raw: &[u8]) -> bool {
        let Ok(c) = serde_json::from_slice::<Code<'_>>(raw) else {
            return false;
        };
        let Some(code) = [c.code, c.error_code, c.warning_code, c.info_code, c.rule_id]
            .into_iter()
            .flatten()
            .next()
        else {
            return false;
        };
        match self.0.get_mut(code.as_ref()) {
            Some(g) if g.first.len() >= FIRST_ROWS => {
                g.count += 1;
                true
            }
            _ => false,
        }
    }

    /// One finding: ours (`code`) or the production system's (`error_code`, `warning_code`,
    /// `affected_shipments`).
    fn add(&mut self, severity: &'static str, f: &Value) {
        let code = ["code", "error_code", "warning_code", "info_code", "rule_id"]
            .iter()
            .find_map(|k| text(f.get(*k)))
            .unwrap_or_else(|| "(no code)".into());
        let g = self.0.entry(code.clone()).or_insert_with(|| Group {
            severity,
            code,
            count: 0,
            first: Vec::new(),
        });
        g.count += 1;
        if g.first.len() < FIRST_ROWS {
            let shipment = text(f.get("shipment_id")).or_else(|| {
                // The production system's list of shipments, the first few named.
                f.get("affected_shipments")
                    .and_then(Value::as_array)
                    .map(|a| {
                        let mut t: Vec<String> =
                            a.iter().take(5).filter_map(|x| text(Some(x))).collect();
                        if a.len() > 5 {
                            t.push(format!("… ({} shipments)", a.len()));
                        }
                        t.join(", ")
                    })
                    .filter(|s| !s.is_empty())
            });
            let line = text(f.get("line")).or_else(|| text(f.get("row")));
            g.first.push(FirstRow {
                place: match (text(f.get("file")), line) {
                    (Some(file), Some(l)) => Some(format!("line {file}:{l}")),
                    (None, Some(l)) => Some(format!("line {l}")),
                    (_, None) => text(f.get("path")),
                },
                shipment_id: shipment,
                field: text(f.get("field")),
                message: text(f.get("message")).unwrap_or_default(),
            });
        }
    }
}

impl Page {
    /// The page of a report built in this run (its findings read back from their lists).
    pub fn of_report(r: &crate::report::Report) -> std::io::Result<Page> {
        let vr = &r.validation_results;
        let mut head = Map::new();
        head.insert("report_metadata".into(), tree(&r.report_metadata)?);
        head.insert(
            "importer_declaration".into(),
            tree(&r.importer_declaration)?,
        );
        head.insert("goods_summary".into(), tree(&r.goods_summary)?);
        head.insert("emissions_summary".into(), tree(&r.emissions_summary)?);
        if let Some(o) = &r.certificate_obligation {
            head.insert("certificate_obligation".into(), tree(o)?);
        }
        head.insert(
            "validation_results".into(),
            serde_json::json!({
                "is_valid": vr.is_valid,
                "error_count": vr.error_count,
                "warning_count": vr.warning_count,
                "info_count": vr.info_count,
                "rows": tree(&vr.rows)?,
                "rules_checked": tree(&vr.rules_checked)?,
                "registry": tree(&vr.registry)?,
            }),
        );
        head.insert("provenance".into(), tree(&r.provenance)?);
        let mut findings = Vec::new();
        for ((_, severity), list) in LISTS.iter().zip([&vr.errors, &vr.warnings, &vr.infos]) {
            let mut g = Grouper::default();
            for f in list.iter() {
                g.add(
                    severity,
                    &serde_json::to_value(f?).map_err(std::io::Error::other)?,
                );
            }
            findings.extend(g.0.into_values());
        }
        let head = Value::Object(head);
        Ok(Page {
            registry: Registry::of_report_head(&head),
            head,
            findings,
        })
    }
}

/// A section as a tree (numbers keep their exact text: `arbitrary_precision`).
fn tree<T: serde::Serialize + ?Sized>(v: &T) -> std::io::Result<Value> {
    serde_json::to_value(v).map_err(std::io::Error::other)
}

fn data_error(path: &Path, message: String) -> Error {
    Error::Data {
        path: path.to_path_buf(),
        message,
    }
}

/// One member's value as a tree: bare `NaN` (the production system's empty cells) read as
/// null, a key twice in one object refused.
fn parse(path: &Path, what: &str, bytes: &[u8]) -> Result<Value> {
    let (clean, _) = crate::validate::replace_non_json_numbers(bytes);
    let bad =
        |e: serde_json::Error| data_error(path, format!("not a CBAM report JSON: {what}: {e}"));
    crate::formats::json_strict::check_slice(&clean).map_err(bad)?;
    serde_json::from_slice(&clean).map_err(bad)
}

/// A report JSON on disk (ours or the production system's), read for the page: the summary
/// sections parsed, the findings grouped as they are read one by one, `detailed_goods` and
/// `rejected_rows` skipped by a scan. A file that is not a report is an error naming it.
pub fn read(path: &Path) -> Result<Page> {
    let bytes = crate::fsio::FileBytes::open(path)?;
    let not_report = |m: String| data_error(path, format!("not a CBAM report JSON: {m}"));
    let members = scan::members(&bytes).map_err(|e| not_report(e.0))?;
    let mut head = Map::new();
    let mut findings = Vec::new();
    for (k, v) in members {
        let key: String =
            serde_json::from_slice(&bytes[k]).map_err(|e| not_report(e.to_string()))?;
        let value = match key.as_str() {
            "detailed_goods" => Value::Null,
            "validation_results" => validation_results(path, &bytes[v], &mut findings)?,
            _ => parse(path, &key, &bytes[v])?,
        };
        if head.insert(key.clone(), value).is_some() {
            return Err(not_report(format!("the key {key:?} is there twice")));
        }
    }
    head.remove("detailed_goods");
    for section in ["report_metadata", "emissions_summary"] {
        if !head.get(section).is_some_and(Value::is_object) {
            return Err(not_report(format!(
                "no {section} section (expected a report written by `cbam report` or the production system)"
            )));
        }
    }
    let head = Value::Object(head);
    Ok(Page {
        registry: Registry::of_report_head(&head),
        head,
        findings,
    })
}

/// `validation_results` without its per-row lists; the findings grouped into `findings`.
fn validation_results(path: &Path, b: &[u8], findings: &mut Vec<Group>) -> Result<Value> {
    let bad = |e: scan::NotAnObject| {
        data_error(
            path,
            format!("not a CBAM report JSON: validation_results: {}", e.0),
        )
    };
    let mut out = Map::new();
    let mut lists: BTreeMap<&str, Grouper> = BTreeMap::new();
    for (k, v) in scan::members(b).map_err(bad)? {
        let key: String = serde_json::from_slice(&b[k]).map_err(|e| {
            data_error(
                path,
                format!("not a CBAM report JSON: validation_results: {e}"),
            )
        })?;
        if let Some(&(name, severity)) = LISTS.iter().find(|(n, _)| *n == key) {
            let g = lists.entry(name).or_default();
            for (i, e) in scan::elements(&b[v.clone()])
                .map_err(bad)?
                .into_iter()
                .enumerate()
            {
                let raw = &b[v.start + e.start..v.start + e.end];
                if !g.count_quickly(raw) {
                    let what = format!("validation_results.{name}[{i}]");
                    g.add(severity, &parse(path, &what, raw)?);
                }
            }
            continue;
        }
        if key == "rejected_rows" {
            continue;
        }
        let value = parse(path, &format!("validation_results.{key}"), &b[v])?;
        if out.insert(key.clone(), value).is_some() {
            return Err(data_error(
                path,
                format!(
                    "not a CBAM report JSON: validation_results: the key {key:?} is there twice"
                ),
            ));
        }
    }
    for (name, _) in LISTS {
        if let Some(g) = lists.remove(name) {
            findings.extend(g.0.into_values());
        }
    }
    Ok(Value::Object(out))
}
