//! The EU default values: the transitional table (most specific CN row), the definitive
//! table by origin (with TARIC lines), electricity by origin, and the definitive mark-ups.

use super::{arcs, factor_from_row, low_confidence, row_decimal, DefaultChoice, TableRow};
use crate::error::Result;
use crate::model::{CnCode, Sector};
use crate::reference::csv::csv_records;
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct DefaultTables {
    pub(super) transitional: HashMap<String, TableRow>,
    /// (origin ISO or `*`, code) → row.
    pub(super) definitive: HashMap<(String, String), TableRow>,
    /// 10-digit TARIC lines under an 8-digit code (definitive table), for codes split that way.
    pub(super) taric_children: HashMap<String, Vec<String>>,
    /// Electricity (IR 2025/2621 Annex III): origin ISO or `*` (the Union's factor) →
    /// (country, tCO2e per MWh, source).
    pub(super) electricity: HashMap<String, (String, Decimal, String)>,
    /// Every code of the definitive table, in any origin's table: the annex's lines.
    pub(super) annex_codes: HashSet<String>,
    pub(super) origins: HashMap<String, String>,
    pub(super) markups: HashMap<(i32, Sector), Decimal>,
    pub(super) last_markup_year: HashMap<Sector, i32>,
    /// Where the definitive table came from, as the trail names it (`None`: the embedded table).
    pub(super) definitive_file: Option<String>,
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

    pub(super) fn definitive_label(&self) -> String {
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

    /// The year's mark-up for a sector; years after the last listed year take the last one.
    pub(super) fn markup(&self, year: i32, sector: Sector) -> Option<Decimal> {
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
