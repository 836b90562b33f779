//! Default emission factors: the EU tables (embedded) or a user's factor file.

use super::csv_records;
use super::pydict::{self, PyValue};
use crate::error::{Error, Result};
use crate::fsio::has_ext;
use crate::model::{CnCode, Date, EmissionFactor, Sector};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

/// Where default values come from for a run.
#[derive(Debug)]
pub enum FactorTable {
    /// The EU default values (transitional + definitive tables, mark-ups).
    Eu(Box<DefaultTables>),
    /// A user's file; it replaces the EU tables entirely, so what it lacks has no default.
    User(UserFactors),
}

/// A default factor found for a shipment, with the reasoning that chose it.
#[derive(Debug, Clone)]
pub struct DefaultChoice {
    pub factor: Arc<EmissionFactor>,
    /// Definitive-period mark-up (fraction), if one applies.
    pub markup: Option<Decimal>,
    pub reasons: Arc<[Arc<str>]>,
    /// The factor gives only a total; it is reported as direct emissions.
    pub total_only: bool,
    /// Warnings the choice carries to every row it serves: (finding code, message).
    pub notes: Arc<[(&'static str, Arc<str>)]>,
}

/// Parses a decimal from its text, exactly. `""` → None.
pub fn dec(text: &str) -> std::result::Result<Option<Decimal>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    Decimal::from_str(t)
        .or_else(|_| Decimal::from_scientific(t))
        .map(Some)
        .map_err(|_| format!("expected a decimal number, found {t:?}"))
}

#[derive(Debug, Clone)]
pub struct TableRow {
    pub code: String,
    pub description: String,
    pub direct: Option<Decimal>,
    pub indirect: Option<Decimal>,
    pub total: Option<Decimal>,
    /// The citation of the official publication the value belongs to: what the trail, the
    /// report's `factors_used`, `cbam cn lookup` and the registry XML print.
    pub source: String,
    /// How the row was transcribed (repositories, commits, copies, merge notes), from the
    /// optional `transcription` column; empty when a file has none. Never printed into a report
    /// (the provenance names the table file and its SHA-256 instead).
    pub transcription: String,
    pub confidence: String,
    pub route: String,
    /// The table's note on the row (a disagreement between sources, a correction), or empty.
    pub note: String,
}

/// Why a transitional row's `confidence` makes it a low-confidence value (finding DV003 and a
/// trail line), or `None` for the other levels (`official`, `gov-copy`, `agrees-with-verified`,
/// a user file's or the definitive table's rows).
pub fn low_confidence(confidence: &str) -> Option<&'static str> {
    match confidence {
        "single-source" => Some(
            "the value (or its direct/indirect split) rests on a single transcription of the Commission's table",
        ),
        "heading-representative" => Some(
            "a heading-level representative value from a single transcription, not a line of the Commission's table",
        ),
        "single-transcription" => Some(
            "a value of the corrected definitive annex (IR 2026/1740) with one transcription: it differs from the Commission's v1 workbook and no second transcription covers it",
        ),
        _ => None,
    }
}

#[derive(Debug, Default)]
pub struct DefaultTables {
    transitional: HashMap<String, TableRow>,
    /// (origin ISO or `*`, code) → row.
    definitive: HashMap<(String, String), TableRow>,
    /// 10-digit TARIC lines under an 8-digit code (definitive table), for codes split that way.
    taric_children: HashMap<String, Vec<String>>,
    /// Electricity (IR 2025/2621 Annex III): origin ISO or `*` (the Union's factor) →
    /// (country, tCO2e per MWh, source).
    electricity: HashMap<String, (String, Decimal, String)>,
    /// Every code of the definitive table, in any origin's table: the annex's lines.
    annex_codes: std::collections::HashSet<String>,
    origins: HashMap<String, String>,
    markups: HashMap<(i32, Sector), Decimal>,
    last_markup_year: HashMap<Sector, i32>,
    /// Where the definitive table came from, as the trail names it (`None`: the embedded table).
    definitive_file: Option<String>,
}

fn row_decimal(rec: &super::Rec, col: &str) -> Result<Option<Decimal>> {
    dec(rec.get(col)).map_err(|_| rec.bad(col, "a decimal number or empty", rec.get(col)))
}

impl DefaultTables {
    /// The embedded tables; `definitive: None` when `--default-values` replaces that table
    /// (then it is not parsed only to be thrown away).
    pub fn load(
        transitional: (&str, &str),
        definitive: Option<(&str, &str)>,
        markups: (&str, &str),
        electricity: (&str, &str),
    ) -> Result<DefaultTables> {
        let mut t = DefaultTables::default();
        let p = Path::new(transitional.0);
        for rec in csv_records(
            p,
            transitional.1,
            &[
                "cn_code",
                "direct",
                "indirect",
                "total",
                "source",
                "confidence",
            ],
        )? {
            let row = TableRow {
                code: rec.get("cn_code").to_string(),
                description: rec.get("description").to_string(),
                direct: row_decimal(&rec, "direct")?,
                indirect: row_decimal(&rec, "indirect")?,
                total: row_decimal(&rec, "total")?,
                source: rec.get("source").to_string(),
                transcription: rec.get("transcription").to_string(),
                confidence: rec.get("confidence").to_string(),
                route: String::new(),
                note: String::new(),
            };
            if t.transitional.insert(row.code.clone(), row).is_some() {
                return Err(rec.bad("cn_code", "each code once", rec.get("cn_code")));
            }
        }
        if let Some((name, text)) = definitive {
            t.load_definitive_csv(Path::new(name), text)?;
        }
        let p = Path::new(electricity.0);
        for rec in csv_records(
            p,
            electricity.1,
            &["origin_iso", "country", "tco2e_per_mwh", "source"],
        )? {
            let value = row_decimal(&rec, "tco2e_per_mwh")?
                .ok_or_else(|| rec.bad("tco2e_per_mwh", "a number", ""))?;
            let row = (
                rec.get("country").to_string(),
                value,
                rec.get("source").to_string(),
            );
            if t.electricity
                .insert(rec.get("origin_iso").to_string(), row)
                .is_some()
            {
                return Err(rec.bad("origin_iso", "each origin once", rec.get("origin_iso")));
            }
        }
        let p = Path::new(markups.0);
        for rec in csv_records(p, markups.1, &["year", "sector", "markup_pct"])? {
            let year: i32 = rec
                .get("year")
                .parse()
                .map_err(|_| rec.bad("year", "a year", rec.get("year")))?;
            let sector = Sector::parse(rec.get("sector"))
                .ok_or_else(|| rec.bad("sector", "a CBAM sector", rec.get("sector")))?;
            let pct = row_decimal(&rec, "markup_pct")?
                .ok_or_else(|| rec.bad("markup_pct", "a percentage", ""))?;
            t.markups.insert((year, sector), pct / Decimal::ONE_HUNDRED);
            let last = t.last_markup_year.entry(sector).or_insert(year);
            *last = (*last).max(year);
        }
        Ok(t)
    }

    /// The definitive table now comes from `file` (`--default-values`).
    pub fn set_definitive_file(&mut self, file: String) {
        self.definitive_file = Some(file);
    }

    fn definitive_label(&self) -> String {
        match &self.definitive_file {
            None => "EU default values (IR 2025/2621 as corrected by IR 2026/1740)".into(),
            Some(f) => format!("EU default values from {f} (--default-values)"),
        }
    }

    /// Adds one definitive-period row; `false` when (origin, code) is already there (the row
    /// is not added).
    pub fn insert_definitive(&mut self, origin: &str, country: &str, row: TableRow) -> bool {
        let key = (origin.to_string(), row.code.clone());
        if self.definitive.contains_key(&key) {
            return false;
        }
        self.origins.insert(origin.to_string(), country.to_string());
        if self.annex_codes.insert(row.code.clone()) && row.code.len() == 10 {
            let children = self
                .taric_children
                .entry(row.code[..8].to_string())
                .or_default();
            children.push(row.code.clone());
            children.sort();
        }
        self.definitive.insert(key, row);
        true
    }

    /// The definitive row for (origin, code), if any.
    pub fn definitive_row(&self, origin: &str, code: &str) -> Option<&TableRow> {
        self.definitive.get(&(origin.to_string(), code.to_string()))
    }

    /// How many definitive rows the table holds, and its origins (ISO codes, `*`), sorted.
    pub fn definitive_size(&self) -> (usize, Vec<&str>) {
        let mut o: Vec<&str> = self.origins.keys().map(String::as_str).collect();
        o.sort_unstable();
        (self.definitive.len(), o)
    }

    /// Replaces a definitive row (same origin and code).
    pub fn replace_definitive(&mut self, origin: &str, row: TableRow) {
        self.definitive
            .insert((origin.to_string(), row.code.clone()), row);
    }

    /// The definitive-period table in the project's CSV layout
    /// (`origin_iso,origin_country,cn_code,…,route_code,direct,indirect,total,source`, and
    /// optionally `confidence`, `note`). `origin_iso` is an ISO 3166 code or `*` (the
    /// fallback table); `cn_code` 4, 6, 8 or 10 digits.
    pub fn load_definitive_csv(&mut self, p: &Path, text: &str) -> Result<()> {
        for rec in csv_records(
            p,
            text,
            &[
                "origin_iso",
                "origin_country",
                "cn_code",
                "direct",
                "indirect",
                "total",
            ],
        )? {
            let origin = rec.get("origin_iso").to_string();
            if origin != "*" && !crate::model::is_country_code(&origin) {
                return Err(rec.bad(
                    "origin_iso",
                    "an ISO 3166-1 alpha-2 country code, or * for \"Other countries and territories\"",
                    &origin,
                ));
            }
            let code = rec.get("cn_code").to_string();
            if !(matches!(code.len(), 4 | 6 | 8 | 10) && code.bytes().all(|b| b.is_ascii_digit())) {
                return Err(rec.bad("cn_code", "4, 6, 8 or 10 digits", &code));
            }
            let confidence = match rec.get("confidence") {
                "" => "official",
                c => c,
            };
            let row = TableRow {
                code: code.clone(),
                description: rec.get("product_name").to_string(),
                direct: row_decimal(&rec, "direct")?,
                indirect: row_decimal(&rec, "indirect")?,
                total: row_decimal(&rec, "total")?,
                source: rec.get("source").to_string(),
                confidence: confidence.to_string(),
                transcription: rec.get("transcription").to_string(),
                route: rec.get("route_code").to_string(),
                note: rec.get("note").to_string(),
            };
            if !self.insert_definitive(&origin, rec.get("origin_country"), row) {
                return Err(rec.bad("cn_code", "each (origin_iso, cn_code) once", &code));
            }
        }
        Ok(())
    }

    /// Transitional period: the most specific row (8 → 6 → 4 digits) that carries a figure.
    pub fn transitional(&self, cn: &CnCode) -> Option<DefaultChoice> {
        let s = cn.as_str();
        let mut reasons = Vec::new();
        for n in [8usize, 6, 4] {
            let Some(row) = self.transitional.get(&s[..n]) else {
                continue;
            };
            if row.total.is_none() && row.direct.is_none() {
                reasons.push(format!(
                    "table row {} has no figure in any source; trying a less specific row",
                    row.code
                ));
                continue;
            }
            let level = match n {
                8 => "CN line",
                6 => "subheading",
                _ => "heading",
            };
            reasons.push(format!(
                "EU transitional default value for {level} {} (confidence {})",
                row.code, row.confidence
            ));
            if let Some(why) = low_confidence(&row.confidence) {
                reasons.push(format!(
                    "low confidence: {why}; check it against the Commission's document before relying on it (DV003)"
                ));
            }
            let label = format!(
                "EU transitional default values (EC, 22 Dec 2023), {} {}",
                level, row.code
            );
            let (factor, total_only) =
                factor_from_row(format!("EU-TDV:{}", row.code), label, row, "medium");
            if total_only {
                reasons.push("the source gives only a total for this line; it is reported as direct emissions, indirect 0".into());
            }
            return Some(DefaultChoice {
                factor: Arc::new(factor),
                markup: None,
                reasons: arcs(reasons),
                total_only,
                notes: Arc::from([]),
            });
        }
        None
    }

    /// Definitive period: the annex line of the code (with the shipment's TARIC line when
    /// given) in the origin's table, else in "Other countries and territories", times
    /// (1 + the year's mark-up for the sector).
    pub fn definitive(
        &self,
        cn: &CnCode,
        origin: &str,
        date: Date,
        sector: Sector,
    ) -> Option<DefaultChoice> {
        self.definitive_taric(cn, None, origin, date, sector)
    }

    /// The annex line a CN code (and the shipment's TARIC suffix, when given) falls under:
    /// the given TARIC line when the annex lists it; the only TARIC line, or the residual
    /// line (…90), of a code the annex splits into TARIC lines; else the most specific code
    /// (8, 6, 4 digits) the annex lists. The same line in every table: the annex lays the
    /// goods out alike for every origin.
    fn annex_line(
        &self,
        s: &str,
        taric: Option<&str>,
        reasons: &mut Vec<String>,
        notes: &mut Vec<(&'static str, String)>,
    ) -> Option<String> {
        let given = taric.map(|t| format!("{s}{t}"));
        if let Some(code) = given.as_ref().filter(|c| self.annex_codes.contains(*c)) {
            reasons.push(format!("TARIC code {code} given with the shipment"));
            return Some(code.clone());
        }
        if let Some(children) = self.taric_children.get(s) {
            let line = match children.as_slice() {
                [only] => only.clone(),
                _ => children
                    .iter()
                    .find(|c| c.ends_with("90"))
                    .or(children.last())?
                    .clone(),
            };
            match &given {
                Some(code) => notes.push((
                    "DV004",
                    format!(
                        "taric_code {code} is not a TARIC line of the definitive default values (CN {s} has {}); line {line} is used",
                        children.join(", ")
                    ),
                )),
                None if children.len() == 1 => reasons.push(format!(
                    "the annex lists CN {s} only as TARIC line {line}; that line applies"
                )),
                None => reasons.push(format!(
                    "CN {s} is split into TARIC lines {}; without a TARIC code the residual line {line} applies",
                    children.join(", ")
                )),
            }
            return Some(line);
        }
        let line = [8usize, 6, 4]
            .into_iter()
            .map(|n| &s[..n])
            .find(|c| self.annex_codes.contains(*c))?
            .to_string();
        // A TARIC code ending 00 is the CN line itself; any other is a line the annex does
        // not distinguish.
        if let Some(code) = given.filter(|c| !c.ends_with("00")) {
            notes.push((
                "DV004",
                format!("taric_code {code} is not a TARIC line of the definitive default values; the annex line {line} is used"),
            ));
        }
        Some(line)
    }

    /// `definitive`, with the shipment's TARIC suffix (the last two of its 10 digits) when it
    /// gave one. The annex's fallback rule: "Other countries and territories" only where the
    /// origin has no table, or its table does not list the line or gives no value ("–") for
    /// it; every figure then comes from the fallback row (never a row assembled from two).
    pub fn definitive_taric(
        &self,
        cn: &CnCode,
        taric: Option<&str>,
        origin: &str,
        date: Date,
        sector: Sector,
    ) -> Option<DefaultChoice> {
        if cn.is_electricity() {
            return self.electricity(origin);
        }
        let s = cn.as_str();
        let mut reasons = Vec::new();
        let mut notes = Vec::new();
        let line = self.annex_line(s, taric, &mut reasons, &mut notes)?;
        let key = |sheet: &str| (sheet.to_string(), line.clone());
        let own = self.definitive.get(&key(origin));
        let (row, sheet) = match own.filter(|r| r.total.is_some()) {
            Some(row) => (row, origin),
            None => {
                reasons.push(match (self.origins.contains_key(origin), own) {
                    (false, _) => format!("the annex has no table for origin {origin}; \"Other countries and territories\" applies"),
                    (true, None) => format!("the {origin} table does not list {line}; \"Other countries and territories\" applies"),
                    (true, Some(_)) => format!("the {origin} table gives no value (\"–\") for {line}; \"Other countries and territories\" applies"),
                });
                let row = self
                    .definitive
                    .get(&key("*"))
                    .filter(|r| r.total.is_some())?;
                (row, "*")
            }
        };
        let sheet_name = self
            .origins
            .get(sheet)
            .cloned()
            .unwrap_or_else(|| sheet.to_string());
        reasons.push(format!(
            "{}: table \"{sheet_name}\", code {} \"{}\"{}",
            self.definitive_label(),
            row.code,
            row.description,
            if row.route.is_empty() {
                String::new()
            } else {
                format!(", route {}", row.route)
            }
        ));
        if row.total.is_some_and(|t| t.is_zero()) {
            notes.push((
                "DV005",
                format!(
                    "the annex gives a default value of 0 for {} in the table \"{sheet_name}\"; it is used as published (check it)",
                    row.code
                ),
            ));
        }
        if !row.note.is_empty() {
            reasons.push(format!("table note: {}", row.note));
        }
        if let Some(why) = low_confidence(&row.confidence) {
            reasons.push(format!(
                "low confidence: {why}; check it against the Commission's document before relying on it (DV003)"
            ));
        }
        let year = date.year;
        let markup = self.markup(year, sector);
        let id = format!("EU-DDV:{}:{}", sheet, row.code);
        let label = format!("{}, {sheet_name}, {}", self.definitive_label(), row.code);
        let (factor, total_only) = factor_from_row(id, label, row, "medium");
        if let (Some(d), Some(i), Some(t)) = (row.direct, row.indirect, row.total) {
            if d + i != t {
                reasons.push(format!(
                    "the table's total {t} differs from direct {d} + indirect {i} = {} (the published table rounds each column); the total is used",
                    d + i
                ));
            }
        }
        match markup {
            Some(m) => reasons.push(format!(
                "mark-up for {} in {year}: {}%",
                sector.as_str(),
                (m * Decimal::ONE_HUNDRED).normalize()
            )),
            None => reasons.push(format!("no mark-up for {} in {year}", sector.as_str())),
        }
        Some(DefaultChoice {
            factor: Arc::new(factor),
            markup,
            reasons: arcs(reasons),
            total_only,
            notes: notes.into_iter().map(|(c, m)| (c, Arc::from(m))).collect(),
        })
    }

    /// Electricity (CN 2716 00 00): the origin's Annex III factor in tCO2e per MWh, else the
    /// Union's (Reg 2023/956 Annex IV point 4.2.2). No mark-up applies.
    fn electricity(&self, origin: &str) -> Option<DefaultChoice> {
        let mut reasons = Vec::new();
        let (key, (country, value, source)) = match self.electricity.get_key_value(origin) {
            Some(found) => found,
            None => {
                reasons.push(format!(
                    "Annex III gives no specific value for origin {origin}: the alternative default value, the CO2 emission factor of the Union, applies (Reg (EU) 2023/956 Annex IV point 4.2.2)"
                ));
                self.electricity.get_key_value("*")?
            }
        };
        reasons.push(format!(
            "EU default value for electricity (IR 2025/2621 Annex III), {country}: {value} tCO2e/MWh, times the quantity in MWh; no mark-up"
        ));
        let mut notes = Vec::new();
        if value.is_zero() {
            notes.push((
                "DV005",
                Arc::from(format!("the annex gives a default value of 0 tCO2e/MWh for electricity from {country}; it is used as published")),
            ));
        }
        let factor = EmissionFactor {
            id: format!("EU-DDV-EL:{key}"),
            direct: *value,
            indirect: Decimal::ZERO,
            total: *value,
            matched_code: "27160000".into(),
            description: format!("Electrical energy, {country} (tCO2e per MWh)"),
            source: source.clone(),
            label: format!("IR (EU) 2025/2621 Annex III, {country}"),
            confidence: "official".into(),
            data_quality: "medium".into(),
            route: String::new(),
        };
        Some(DefaultChoice {
            factor: Arc::new(factor),
            markup: None,
            reasons: arcs(reasons),
            total_only: false,
            notes: notes.into(),
        })
    }

    /// The year's mark-up for a sector; years after the last listed year take the last one.
    fn markup(&self, year: i32, sector: Sector) -> Option<Decimal> {
        self.markups
            .get(&(year, sector))
            .or_else(|| {
                let last = *self.last_markup_year.get(&sector)?;
                if year > last {
                    self.markups.get(&(last, sector))
                } else {
                    None
                }
            })
            .copied()
    }
}

/// A user file's factor is labelled by its own source text (as the production system does),
/// or by the file when it states none.
fn label_of(source: &str, file: &str) -> String {
    if source.is_empty() {
        format!("factor file {file}")
    } else {
        source.to_string()
    }
}

fn arcs(v: Vec<String>) -> Arc<[Arc<str>]> {
    v.into_iter().map(Arc::from).collect()
}

fn factor_from_row(
    id: String,
    label: String,
    row: &TableRow,
    quality: &str,
) -> (EmissionFactor, bool) {
    let (direct, indirect, total, total_only) = match (row.direct, row.indirect, row.total) {
        (Some(d), Some(i), Some(t)) => (d, i, t, false),
        (Some(d), Some(i), None) => (d, i, d + i, false),
        (Some(d), None, t) => (d, Decimal::ZERO, t.unwrap_or(d), false),
        (None, _, Some(t)) => (t, Decimal::ZERO, t, true),
        (None, _, None) => (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, true),
    };
    (
        EmissionFactor {
            id,
            direct,
            indirect,
            total,
            matched_code: row.code.clone(),
            description: row.description.clone(),
            source: row.source.clone(),
            label,
            confidence: row.confidence.clone(),
            data_quality: quality.to_string(),
            route: row.route.clone(),
        },
        total_only,
    )
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
struct YamlFactorFile {
    factors: Vec<YamlFactor>,
}

#[derive(Debug, Deserialize)]
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

    /// One factor of the file, for `code`: `[direct, indirect, total]` in tCO2e per tonne.
    fn add_entry(
        &mut self,
        id: String,
        code: String,
        values: [Decimal; 3],
        description: String,
        source: String,
        notes: &mut Vec<String>,
    ) -> std::result::Result<(), String> {
        check_factor_values(&values)
            .map_err(|m| format!("{}: {m}", id.trim_start_matches("USER:")))?;
        let label = label_of(&source, &self.file_name);
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
        self.add(&code, f, notes);
        Ok(())
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

    pub fn load(path: &Path, text: &str, notes: &mut Vec<String>) -> Result<UserFactors> {
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut u = UserFactors {
            file_name,
            ..Default::default()
        };
        let data_err = |message: String| Error::Data {
            path: path.to_path_buf(),
            message,
        };
        let code_of = |raw: &str, ctx: &str| -> Result<String> {
            let c: String = raw.chars().filter(|c| !matches!(c, ' ' | '.')).collect();
            if !(4..=8).contains(&c.len()) || !c.bytes().all(|b| b.is_ascii_digit()) {
                return Err(data_err(format!(
                    "{ctx}: cn code {raw:?}: expected 4 to 8 digits"
                )));
            }
            Ok(c)
        };
        if has_ext(path, "py") {
            let (assigns, skipped) = pydict::parse_module(text);
            let mut order: Vec<&pydict::Assignment> = assigns.iter().collect();
            // `DB = {**A, **B}` fixes the merge order the production system looks factors up in.
            if let Some(merged) = assigns.iter().rev().find(|a| {
                matches!(&a.value, PyValue::Dict(items) if !items.is_empty() && items.iter().all(|(k, _)| matches!(k, PyValue::Spread(_))))
            }) {
                if let PyValue::Dict(items) = &merged.value {
                    let names: Vec<&str> =
                        items.iter().filter_map(|(k, _)| if let PyValue::Spread(n) = k { Some(n.as_str()) } else { None }).collect();
                    order = names.iter().filter_map(|n| assigns.iter().find(|a| a.name == *n)).collect();
                }
            }
            for a in order {
                let PyValue::Dict(items) = &a.value else {
                    continue;
                };
                for (k, entry) in items {
                    let (PyValue::Str(key), PyValue::Dict(_)) = (k, entry) else {
                        continue;
                    };
                    let Some(PyValue::List(codes)) = entry.get("cn_codes") else {
                        continue;
                    };
                    let ctx = format!("{} line {}: {}[{key:?}]", u.file_name, a.line, a.name);
                    let num = |field: &str| -> Result<Option<Decimal>> {
                        match entry.get(field) {
                            None | Some(PyValue::None) => Ok(None),
                            Some(v) => {
                                let t = v.as_text().ok_or_else(|| {
                                    data_err(format!("{ctx}: field {field}: expected a number"))
                                })?;
                                dec(t).map_err(|m| data_err(format!("{ctx}: field {field}: {m}")))
                            }
                        }
                    };
                    let direct = num("default_direct_tco2_per_ton")?
                        .ok_or_else(|| data_err(format!("{ctx}: field default_direct_tco2_per_ton: expected a number, found nothing")))?;
                    let indirect = num("default_indirect_tco2_per_ton")?.unwrap_or(Decimal::ZERO);
                    let total = num("default_total_tco2_per_ton")?.unwrap_or(direct + indirect);
                    let text_of = |field: &str| {
                        entry
                            .get(field)
                            .and_then(|v| v.as_text())
                            .unwrap_or("")
                            .to_string()
                    };
                    for c in codes {
                        let raw = c.as_text().ok_or_else(|| {
                            data_err(format!("{ctx}: cn_codes: expected strings"))
                        })?;
                        let code = code_of(raw, &ctx)?;
                        u.add_entry(
                            format!("USER:{key}"),
                            code,
                            [direct, indirect, total],
                            text_of("product_name"),
                            text_of("source"),
                            notes,
                        )
                        .map_err(&data_err)?;
                    }
                }
            }
            if u.by_code.is_empty() {
                let why = skipped
                    .first()
                    .map(|(n, e)| {
                        format!(
                            "; {n} at line {} column {}: {}",
                            e.line, e.column, e.message
                        )
                    })
                    .unwrap_or_default();
                return Err(data_err(format!(
                    "no factor entries found (expected top-level NAME = {{ \"key\": {{\"cn_codes\": [...], \"default_direct_tco2_per_ton\": ...}} }}){why}"
                )));
            }
        } else if has_ext(path, "csv") {
            for rec in csv_records(path, text, &["cn_code", "direct", "indirect"])? {
                let code = code_of(rec.get("cn_code"), &format!("line {}", rec.line))?;
                let direct = row_decimal(&rec, "direct")?
                    .ok_or_else(|| rec.bad("direct", "a number", ""))?;
                let indirect = row_decimal(&rec, "indirect")?
                    .ok_or_else(|| rec.bad("indirect", "a number", ""))?;
                let total = if rec.has("total") {
                    row_decimal(&rec, "total")?
                } else {
                    None
                }
                .unwrap_or(direct + indirect);
                u.add_entry(
                    format!("USER:line{}", rec.line),
                    code,
                    [direct, indirect, total],
                    rec.get("description").to_string(),
                    rec.get("source").to_string(),
                    notes,
                )
                .map_err(&data_err)?;
            }
        } else if has_ext(path, "json") {
            let v: serde_json::Value = serde_json::from_str(text).map_err(|e| Error::Parse {
                path: path.to_path_buf(),
                line: e.line() as u64,
                message: format!("not valid JSON: {e}"),
            })?;
            let entries: Vec<(String, &serde_json::Value)> = match &v {
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
                _ => return Err(data_err(
                    "expected a list of factors, {\"factors\": [...]}, or an object keyed by name"
                        .into(),
                )),
            };
            for (key, e) in entries {
                let num = |names: &[&str]| -> Result<Option<Decimal>> {
                    for n in names {
                        match e.get(*n) {
                            Some(serde_json::Value::Number(x)) => {
                                return dec(&x.to_string())
                                    .map_err(|m| data_err(format!("{key}.{n}: {m}")))
                            }
                            Some(serde_json::Value::String(s)) => {
                                return dec(s).map_err(|m| data_err(format!("{key}.{n}: {m}")))
                            }
                            Some(serde_json::Value::Null) | None => continue,
                            Some(other) => {
                                return Err(data_err(format!(
                                    "{key}.{n}: expected a number, found {other}"
                                )))
                            }
                        }
                    }
                    Ok(None)
                };
                let direct = num(&["direct", "default_direct_tco2_per_ton"])?.ok_or_else(|| {
                    data_err(format!(
                        "{key}: field direct: expected a number, found nothing"
                    ))
                })?;
                let indirect =
                    num(&["indirect", "default_indirect_tco2_per_ton"])?.unwrap_or(Decimal::ZERO);
                let total =
                    num(&["total", "default_total_tco2_per_ton"])?.unwrap_or(direct + indirect);
                let mut codes = Vec::new();
                if let Some(c) = e.get("cn_code").and_then(|c| c.as_str()) {
                    codes.push(c.to_string());
                }
                if let Some(cs) = e.get("cn_codes").and_then(|c| c.as_array()) {
                    codes.extend(cs.iter().filter_map(|c| c.as_str().map(String::from)));
                }
                if codes.is_empty() {
                    return Err(data_err(format!("{key}: expected cn_code or cn_codes")));
                }
                let s = |n: &str| e.get(n).and_then(|v| v.as_str()).unwrap_or("").to_string();
                for c in codes {
                    let code = code_of(&c, &key)?;
                    u.add_entry(
                        format!("USER:{key}"),
                        code,
                        [direct, indirect, total],
                        if s("description").is_empty() {
                            s("product_name")
                        } else {
                            s("description")
                        },
                        s("source"),
                        notes,
                    )
                    .map_err(&data_err)?;
                }
            }
        } else if has_ext(path, "yaml") || has_ext(path, "yml") {
            let parsed: std::result::Result<YamlFactorFile, _> = serde_saphyr::from_str(text);
            let list = match parsed {
                Ok(f) => f.factors,
                Err(e1) => match serde_saphyr::from_str::<Vec<YamlFactor>>(text) {
                    Ok(l) => l,
                    Err(_) => return Err(data_err(format!("expected `factors: [ {{cn_code, direct, indirect, total, source}} ]`: {e1}"))),
                },
            };
            for (i, e) in list.into_iter().enumerate() {
                let mut codes: Vec<String> = e.cn_codes.clone().unwrap_or_default();
                if let Some(c) = &e.cn_code {
                    codes.insert(0, c.clone());
                }
                if codes.is_empty() {
                    return Err(data_err(format!(
                        "factors[{i}]: expected cn_code or cn_codes"
                    )));
                }
                for c in codes {
                    let code = code_of(&c, &format!("factors[{i}]"))?;
                    u.add_entry(
                        format!("USER:factors[{i}]"),
                        code,
                        [
                            e.direct,
                            e.indirect,
                            e.total.unwrap_or(e.direct + e.indirect),
                        ],
                        e.description.clone().unwrap_or_default(),
                        e.source.clone().unwrap_or_default(),
                        notes,
                    )
                    .map_err(&data_err)?;
                }
            }
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
        Ok(u)
    }
}

/// Specific embedded emissions are a few tCO2e per tonne (hydrogen, the highest, about 20);
/// a value beyond ±1000 is a unit or typing error, and bounding it keeps every sum exact.
pub const MAX_FACTOR: i64 = 1000;

pub fn check_factor_values(values: &[Decimal]) -> std::result::Result<(), String> {
    match values.iter().find(|v| v.abs() > Decimal::from(MAX_FACTOR)) {
        Some(v) => Err(format!(
            "factor {v} tCO2e/t is outside ±{MAX_FACTOR} (a unit or typing error?)"
        )),
        None => Ok(()),
    }
}
