//! A user's factor file (`--emission-factors`): the production system's `emission_factors.py`,
//! or CSV, JSON, YAML; one global factor per CN code or prefix.

use super::{arcs, check_factor_values, dec, row_decimal, total_of, DefaultChoice};
use crate::error::{Error, Result};
use crate::formats::pydict::{self, PyValue};
use crate::fsio::has_ext;
use crate::model::{CnCode, EmissionFactor};
use crate::reference::csv::csv_records;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// A user file's factor is labelled by its own source text (as the production system does),
/// or by the file when it states none.
fn label_of(source: &str, file: &str) -> String {
    if source.is_empty() {
        format!("factor file {file}")
    } else {
        source.to_string()
    }
}

/// A user's factor file: one global factor per CN code (or prefix). The first entry for a
/// code wins, as in the production system's list lookup; later ones are noted.
#[derive(Debug, Default)]
pub struct UserFactors {
    pub file_name: String,
    by_code: HashMap<String, EmissionFactor>,
    /// Codes in insertion order (for listing).
    pub codes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlFactorFile {
    factors: Vec<YamlFactor>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlFactor {
    #[serde(default)]
    cn_code: Option<String>,
    #[serde(default)]
    cn_codes: Option<Vec<String>>,
    #[serde(
        alias = "default_direct_tco2_per_ton",
        with = "rust_decimal::serde::str"
    )]
    direct: Decimal,
    #[serde(
        alias = "default_indirect_tco2_per_ton",
        with = "rust_decimal::serde::str"
    )]
    indirect: Decimal,
    #[serde(
        default,
        alias = "default_total_tco2_per_ton",
        with = "rust_decimal::serde::str_option"
    )]
    total: Option<Decimal>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default, alias = "product_name")]
    description: Option<String>,
}

impl UserFactors {
    pub fn lookup(&self, cn: &CnCode) -> Option<DefaultChoice> {
        let s = cn.as_str();
        for n in [8usize, 6, 4] {
            if let Some(f) = self.by_code.get(&s[..n]) {
                let reasons = vec![format!(
                    "user factor file {}: entry {} \"{}\" for code {} (source: {})",
                    self.file_name,
                    f.id.trim_start_matches("USER:"),
                    f.description,
                    f.matched_code,
                    if f.source.is_empty() {
                        "not stated"
                    } else {
                        &f.source
                    }
                )];
                return Some(DefaultChoice {
                    factor: Arc::new(f.clone()),
                    markup: None,
                    reasons: arcs(reasons),
                    total_only: false,
                    notes: Arc::from([]),
                });
            }
        }
        None
    }

    fn add(&mut self, code: &str, f: EmissionFactor, notes: &mut Vec<String>) {
        if let Some(first) = self.by_code.get(code) {
            notes.push(format!(
                "{}: code {code} is listed by {} and {}; the first is used (the production system's lookup takes the first match)",
                self.file_name,
                first.id.trim_start_matches("USER:"),
                f.id.trim_start_matches("USER:")
            ));
            return;
        }
        self.codes.push(code.to_string());
        self.by_code.insert(code.to_string(), f);
    }

    /// Reads a factor file by its extension: `.py` (the production system's module), `.csv`,
    /// `.json`, `.yaml`/`.yml`. Codes listed twice are noted in `notes` (the first is used).
    pub fn load(path: &Path, text: &str, notes: &mut Vec<String>) -> Result<UserFactors> {
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut reader = FactorFileReader {
            path,
            factors: UserFactors {
                file_name,
                ..Default::default()
            },
            notes,
        };
        if has_ext(path, "py") {
            reader.read_py(text)?;
        } else if has_ext(path, "csv") {
            reader.read_csv(text)?;
        } else if has_ext(path, "json") {
            reader.read_json(text)?;
        } else if has_ext(path, "yaml") || has_ext(path, "yml") {
            reader.read_yaml(text)?;
        } else {
            return Err(Error::UnsupportedFormat {
                path: path.to_path_buf(),
                found: path
                    .extension()
                    .map(|e| e.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                expected: "py, csv, json, yaml",
            });
        }
        Ok(reader.factors)
    }
}

/// A factor file being read into `factors`.
struct FactorFileReader<'a> {
    path: &'a Path,
    factors: UserFactors,
    notes: &'a mut Vec<String>,
}

impl FactorFileReader<'_> {
    fn data_err(&self, message: String) -> Error {
        Error::Data {
            path: self.path.to_path_buf(),
            message,
        }
    }

    /// A CN code or prefix as written (spaces and dots dropped): 4 to 8 digits.
    fn code_of(&self, raw: &str, ctx: &str) -> Result<String> {
        let c: String = raw.chars().filter(|c| !matches!(c, ' ' | '.')).collect();
        if !(4..=8).contains(&c.len()) || !c.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.data_err(format!("{ctx}: cn code {raw:?}: expected 4 to 8 digits")));
        }
        Ok(c)
    }

    /// One factor of the file, for `code`: `[direct, indirect, total]` in tCO2e per tonne.
    fn add_entry(
        &mut self,
        id: String,
        code: String,
        values: [Decimal; 3],
        description: String,
        source: String,
    ) -> Result<()> {
        check_factor_values(&values)
            .map_err(|m| self.data_err(format!("{}: {m}", id.trim_start_matches("USER:"))))?;
        // The production module's lookup takes the first entry listing a code (noted); in
        // cbam's own formats a code given twice is a duplicate entry, refused.
        if !has_ext(self.path, "py") {
            if let Some(first) = self.factors.by_code.get(&code) {
                return Err(self.data_err(format!(
                    "{}: cn code {code} is given twice ({} and {}); which factor applies is unknown",
                    id.trim_start_matches("USER:"),
                    first.id.trim_start_matches("USER:"),
                    id.trim_start_matches("USER:")
                )));
            }
        }
        let label = label_of(&source, &self.factors.file_name);
        let f = EmissionFactor {
            id,
            direct: values[0],
            indirect: values[1],
            total: values[2],
            matched_code: code.clone(),
            description,
            source,
            label,
            confidence: "user-file".into(),
            data_quality: "medium".into(),
            route: String::new(),
        };
        self.factors.add(&code, f, &mut *self.notes);
        Ok(())
    }

    /// The production system's `emission_factors.py`: top-level dicts of
    /// `"key": {"cn_codes": [...], "default_direct_tco2_per_ton": ...}`, read whole or
    /// refused: a literal that does not parse, an entry key not in [`PY_ENTRY_KEYS`], a key
    /// or entry given twice, a `**NAME` that names no dict are errors naming line and key.
    fn read_py(&mut self, text: &str) -> Result<()> {
        let (assigns, skipped) = pydict::parse_module(text);
        if let Some((name, e)) = skipped.first() {
            return Err(self.parse_err(
                e.line,
                format!(
                    "column {}: {name} = ...: {}; the assignment is not a Python literal the loader can read (a syntax error?), so the file is refused rather than read without it",
                    e.column, e.message
                ),
            ));
        }
        for (i, a) in assigns.iter().enumerate() {
            if let Some(first) = assigns[..i].iter().find(|b| b.name == a.name) {
                return Err(self.parse_err(
                    a.line,
                    format!(
                        "{} is assigned twice (lines {} and {}); Python would keep the last silently",
                        a.name, first.line, a.line
                    ),
                ));
            }
        }
        for (dict, item) in self.py_entries(&assigns)? {
            self.read_py_entry(dict, item)?;
        }
        if self.factors.by_code.is_empty() {
            return Err(self.data_err(
                "no factor entries found (expected top-level NAME = { \"key\": {\"cn_codes\": [...], \"default_direct_tco2_per_ton\": ...} })"
                    .to_string(),
            ));
        }
        Ok(())
    }

    fn parse_err(&self, line: u64, message: String) -> Error {
        Error::Parse {
            path: self.path.to_path_buf(),
            line,
            message,
        }
    }

    /// The factor entries of the module, in the production system's lookup order, each with
    /// the name of the dict that holds it: the last dict with `**NAME` items (the merged
    /// database) gives the order; without one, every dict of dicts that holds a factor key.
    fn py_entries<'a>(
        &self,
        assigns: &'a [pydict::Assignment],
    ) -> Result<Vec<(&'a str, &'a pydict::DictItem)>> {
        let is_merge = |a: &&pydict::Assignment| {
            matches!(&a.value, PyValue::Dict(items)
                if items.iter().any(|i| matches!(i.key, PyValue::Spread(_))))
        };
        let mut out = Vec::new();
        match assigns.iter().rev().find(is_merge) {
            Some(db) => self.spread_entries(assigns, db, 0, &mut out)?,
            None => {
                for a in assigns.iter().filter(|a| is_factor_dict(&a.value)) {
                    self.spread_entries(assigns, a, 0, &mut out)?;
                }
            }
        }
        let mut seen: HashMap<&str, u64> = HashMap::new();
        for (_, item) in &out {
            if let PyValue::Str(k) = &item.key {
                if let Some(first) = seen.insert(k.as_str(), item.line) {
                    return Err(self.parse_err(
                        item.line,
                        format!("factor entry {k:?} is given twice (lines {first} and {}); Python would keep the last silently", item.line),
                    ));
                }
            }
        }
        Ok(out)
    }

    /// The items of the dict assigned in `a`, `**NAME` replaced by the items of `NAME`.
    fn spread_entries<'a>(
        &self,
        assigns: &'a [pydict::Assignment],
        a: &'a pydict::Assignment,
        depth: u32,
        out: &mut Vec<(&'a str, &'a pydict::DictItem)>,
    ) -> Result<()> {
        let PyValue::Dict(items) = &a.value else {
            return Err(self.parse_err(
                a.line,
                format!("{}: expected a dict of factor entries", a.name),
            ));
        };
        for item in items {
            match &item.key {
                PyValue::Spread(n) => {
                    let Some(inner) = assigns.iter().find(|b| b.name == *n) else {
                        return Err(self.parse_err(
                            item.line,
                            format!(
                                "{}: **{n}: no dict named {n} is assigned in the file",
                                a.name
                            ),
                        ));
                    };
                    if depth > 8 || inner.name == a.name {
                        return Err(self.parse_err(
                            item.line,
                            format!("{}: **{n}: spreads nested too deep (or circular)", a.name),
                        ));
                    }
                    self.spread_entries(assigns, inner, depth + 1, out)?;
                }
                PyValue::Str(_) => out.push((a.name.as_str(), item)),
                other => {
                    return Err(self.parse_err(
                        item.line,
                        format!("{}: expected a string key, found {other:?}", a.name),
                    ))
                }
            }
        }
        Ok(())
    }

    /// Every key of a factor entry is one of [`PY_ENTRY_KEYS`], and given once.
    fn check_entry_keys(&self, ctx: &str, fields: &[pydict::DictItem]) -> Result<()> {
        for (j, f) in fields.iter().enumerate() {
            let name = match &f.key {
                PyValue::Str(n) if PY_ENTRY_KEYS.contains(&n.as_str()) => n,
                k => {
                    return Err(self.parse_err(
                        f.line,
                        format!(
                            "{ctx}: key {}: not a key of a factor entry (expected one of: {})",
                            py_key_text(k),
                            PY_ENTRY_KEYS.join(", ")
                        ),
                    ))
                }
            };
            if let Some(first) = fields[..j].iter().find(|g| g.key == f.key) {
                return Err(self.parse_err(
                    f.line,
                    format!("{ctx}: key {name:?} is given twice (lines {} and {}); Python would keep the last silently", first.line, f.line),
                ));
            }
        }
        Ok(())
    }

    /// One `"key": {...}` entry of `dict`, for each of its `cn_codes`.
    fn read_py_entry(&mut self, dict: &str, item: &pydict::DictItem) -> Result<()> {
        let line = item.line;
        let key = item.key.as_text().unwrap_or("");
        let ctx = format!("{dict}[{key:?}]");
        let PyValue::Dict(fields) = &item.value else {
            return Err(self.parse_err(
                line,
                format!("{ctx}: expected a factor entry {{\"cn_codes\": [...], ...}}"),
            ));
        };
        self.check_entry_keys(&ctx, fields)?;
        let field_line = |n: &str| {
            fields
                .iter()
                .find(|f| f.key.as_text() == Some(n))
                .map_or(line, |f| f.line)
        };
        let num = |field: &str| -> Result<Option<Decimal>> {
            match item.value.get(field) {
                None | Some(PyValue::None) => Ok(None),
                Some(v) => {
                    let bad = |m: String| {
                        self.parse_err(field_line(field), format!("{ctx}: key {field}: {m}"))
                    };
                    let t = v
                        .as_text()
                        .ok_or_else(|| bad(format!("expected a number, found {v:?}")))?;
                    dec(t).map_err(|m| bad(m.to_string()))
                }
            }
        };
        let direct = num("default_direct_tco2_per_ton")?.ok_or_else(|| {
            self.parse_err(
                line,
                format!("{ctx}: key default_direct_tco2_per_ton: expected a number, found nothing"),
            )
        })?;
        let indirect = num("default_indirect_tco2_per_ton")?.unwrap_or(Decimal::ZERO);
        let total = num("default_total_tco2_per_ton")?.unwrap_or(total_of(direct, indirect));
        let text_of = |field: &str| {
            item.value
                .get(field)
                .and_then(|v| v.as_text())
                .unwrap_or("")
                .to_string()
        };
        let codes = match item.value.get("cn_codes") {
            Some(PyValue::List(c)) if !c.is_empty() => c,
            other => {
                return Err(self.parse_err(
                    field_line("cn_codes"),
                    format!(
                        "{ctx}: key cn_codes: expected a non-empty list of CN codes, found {}",
                        other.map_or("nothing".to_string(), |v| format!("{v:?}"))
                    ),
                ))
            }
        };
        let ctx = format!("line {}: {ctx}", field_line("cn_codes"));
        for c in codes {
            let raw = c.as_text().ok_or_else(|| {
                self.data_err(format!("{ctx}: cn_codes: expected strings, found {c:?}"))
            })?;
            let code = self.code_of(raw, &ctx)?;
            self.add_entry(
                format!("USER:{key}"),
                code,
                [direct, indirect, total],
                text_of("product_name"),
                text_of("source"),
            )?;
        }
        Ok(())
    }

    /// `cn_code,direct,indirect[,total,description,source]`.
    fn read_csv(&mut self, text: &str) -> Result<()> {
        crate::reference::csv::refuse_unknown_columns(
            self.path,
            text,
            &[
                "cn_code",
                "direct",
                "indirect",
                "total",
                "description",
                "source",
            ],
        )?;
        for rec in csv_records(self.path, text, &["cn_code", "direct", "indirect"])? {
            let code = self.code_of(rec.get("cn_code"), &format!("line {}", rec.line))?;
            let direct =
                row_decimal(&rec, "direct")?.ok_or_else(|| rec.bad("direct", "a number", ""))?;
            let indirect = row_decimal(&rec, "indirect")?
                .ok_or_else(|| rec.bad("indirect", "a number", ""))?;
            let total = if rec.has("total") {
                row_decimal(&rec, "total")?
            } else {
                None
            }
            .unwrap_or(total_of(direct, indirect));
            self.add_entry(
                format!("USER:line{}", rec.line),
                code,
                [direct, indirect, total],
                rec.get("description").to_string(),
                rec.get("source").to_string(),
            )?;
        }
        Ok(())
    }

    /// A list of factors, `{"factors": [...]}`, or an object keyed by name (keys starting
    /// `_` skipped).
    fn read_json(&mut self, text: &str) -> Result<()> {
        let v: serde_json::Value =
            crate::formats::json_strict::from_str(text).map_err(|e| Error::Parse {
                path: self.path.to_path_buf(),
                line: e.line() as u64,
                message: format!("not valid JSON: {e}"),
            })?;
        let entries: Vec<(String, &serde_json::Value)> =
            match &v {
                serde_json::Value::Array(a) => a
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (format!("[{i}]"), e))
                    .collect(),
                serde_json::Value::Object(o) if o.get("factors").is_some_and(|f| f.is_array()) => o
                    ["factors"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .enumerate()
                            .map(|(i, e)| (format!("factors[{i}]"), e))
                            .collect()
                    })
                    .unwrap_or_default(),
                serde_json::Value::Object(o) => o
                    .iter()
                    .filter(|(k, _)| !k.starts_with('_'))
                    .map(|(k, e)| (k.clone(), e))
                    .collect(),
                _ => return Err(self.data_err(
                    "expected a list of factors, {\"factors\": [...]}, or an object keyed by name"
                        .into(),
                )),
            };
        for (key, e) in entries {
            self.read_json_entry(&key, e)?;
        }
        Ok(())
    }

    /// The first of `names` that `e` holds (not null), as a decimal.
    fn json_number(
        &self,
        key: &str,
        e: &serde_json::Value,
        names: &[&str],
    ) -> Result<Option<Decimal>> {
        for n in names {
            match e.get(*n) {
                Some(serde_json::Value::Number(x)) => {
                    return dec(&x.to_string())
                        .map_err(|m| self.data_err(format!("{key}.{n}: {m}")))
                }
                Some(serde_json::Value::String(s)) => {
                    return dec(s).map_err(|m| self.data_err(format!("{key}.{n}: {m}")))
                }
                Some(serde_json::Value::Null) | None => continue,
                Some(other) => {
                    return Err(
                        self.data_err(format!("{key}.{n}: expected a number, found {other}"))
                    )
                }
            }
        }
        Ok(None)
    }

    fn read_json_entry(&mut self, key: &str, e: &serde_json::Value) -> Result<()> {
        let obj = e
            .as_object()
            .ok_or_else(|| self.data_err(format!("{key}: expected an object, found {e}")))?;
        let known = |k: &str| JSON_ENTRY_KEYS.contains(&k) || PY_ENTRY_KEYS.contains(&k);
        if let Some(k) = obj.keys().find(|k| !known(k)) {
            return Err(self.data_err(format!(
                "{key}: key {k:?}: not a key of a factor entry (expected one of: {}, {})",
                JSON_ENTRY_KEYS.join(", "),
                PY_ENTRY_KEYS.join(", ")
            )));
        }
        let direct = self
            .json_number(key, e, &["direct", "default_direct_tco2_per_ton"])?
            .ok_or_else(|| {
                self.data_err(format!(
                    "{key}: field direct: expected a number, found nothing"
                ))
            })?;
        let indirect = self
            .json_number(key, e, &["indirect", "default_indirect_tco2_per_ton"])?
            .unwrap_or(Decimal::ZERO);
        let total = self
            .json_number(key, e, &["total", "default_total_tco2_per_ton"])?
            .unwrap_or(total_of(direct, indirect));
        let mut codes = Vec::new();
        if let Some(c) = e.get("cn_code").and_then(|c| c.as_str()) {
            codes.push(c.to_string());
        }
        if let Some(cs) = e.get("cn_codes").and_then(|c| c.as_array()) {
            codes.extend(cs.iter().filter_map(|c| c.as_str().map(String::from)));
        }
        if codes.is_empty() {
            return Err(self.data_err(format!("{key}: expected cn_code or cn_codes")));
        }
        let s = |n: &str| e.get(n).and_then(|v| v.as_str()).unwrap_or("").to_string();
        for c in codes {
            let code = self.code_of(&c, key)?;
            self.add_entry(
                format!("USER:{key}"),
                code,
                [direct, indirect, total],
                if s("description").is_empty() {
                    s("product_name")
                } else {
                    s("description")
                },
                s("source"),
            )?;
        }
        Ok(())
    }

    /// `factors: [ {cn_code, direct, indirect, total, source} ]`, or the bare list.
    fn read_yaml(&mut self, text: &str) -> Result<()> {
        let parsed: std::result::Result<YamlFactorFile, _> = serde_saphyr::from_str(text);
        let list = match parsed {
            Ok(f) => f.factors,
            Err(e1) => match serde_saphyr::from_str::<Vec<YamlFactor>>(text) {
                Ok(l) => l,
                Err(e2) => {
                    // The error of the shape the file has: a bare list, or `factors: [...]`.
                    let bare = text
                        .lines()
                        .map(str::trim_start)
                        .find(|l| !l.is_empty() && !l.starts_with('#') && l != &"---")
                        .is_some_and(|l| l.starts_with('-'));
                    let e = if bare { e2 } else { e1 };
                    return Err(self.data_err(format!(
                        "expected `factors: [ {{cn_code, direct, indirect, total, source, description}} ]`: {e}"
                    )));
                }
            },
        };
        for (i, e) in list.into_iter().enumerate() {
            let mut codes: Vec<String> = e.cn_codes.clone().unwrap_or_default();
            if let Some(c) = &e.cn_code {
                codes.insert(0, c.clone());
            }
            if codes.is_empty() {
                return Err(self.data_err(format!("factors[{i}]: expected cn_code or cn_codes")));
            }
            for c in codes {
                let code = self.code_of(&c, &format!("factors[{i}]"))?;
                self.add_entry(
                    format!("USER:factors[{i}]"),
                    code,
                    [
                        e.direct,
                        e.indirect,
                        e.total.unwrap_or(total_of(e.direct, e.indirect)),
                    ],
                    e.description.clone().unwrap_or_default(),
                    e.source.clone().unwrap_or_default(),
                )?;
            }
        }
        Ok(())
    }
}

/// The keys a factor entry of the production system's `emission_factors.py` holds
/// (`domain/production-system.md` §3c); any other key is refused, so a misspelt one is
/// never passed over.
pub const PY_ENTRY_KEYS: &[&str] = &[
    "product_name",
    "cbam_product_group",
    "cn_codes",
    "default_direct_tco2_per_ton",
    "default_indirect_tco2_per_ton",
    "default_total_tco2_per_ton",
    "source",
    "source_url",
    "vintage",
    "uncertainty_pct",
    "scope",
    "notes",
];

/// The keys of a factor entry in a JSON factor file besides [`PY_ENTRY_KEYS`].
const JSON_ENTRY_KEYS: &[&str] = &["cn_code", "direct", "indirect", "total", "description"];

/// A dict of dicts with at least one entry holding a factor key: a sector's factor table.
fn is_factor_dict(v: &PyValue) -> bool {
    let PyValue::Dict(items) = v else {
        return false;
    };
    let has_factor_key = |e: &PyValue| {
        matches!(e, PyValue::Dict(fields) if fields.iter().any(|f| matches!(
            &f.key, PyValue::Str(k) if k == "cn_codes" || k.starts_with("default_")
        )))
    };
    !items.is_empty()
        && items.iter().all(|i| matches!(i.value, PyValue::Dict(_)))
        && items.iter().any(|i| has_factor_key(&i.value))
}

/// A dict key as the file spells it, for a message.
fn py_key_text(k: &PyValue) -> String {
    match k {
        PyValue::Str(s) => format!("{s:?}"),
        PyValue::Num(n) | PyValue::Name(n) => n.clone(),
        other => format!("{other:?}"),
    }
}
