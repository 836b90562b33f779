//! Definitive-period lookups in the EU tables: the annex line of a CN code (and TARIC line),
//! the origin's table or "Other countries and territories", the mark-up; electricity by origin.

use super::{arcs, factor_from_row, low_confidence, DefaultChoice, DefaultTables};
use crate::model::{CnCode, Date, EmissionFactor, Sector};
use rust_decimal::Decimal;
use std::sync::Arc;

impl DefaultTables {
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
}
