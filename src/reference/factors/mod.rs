//! Default emission factors: the EU tables (embedded, `eu` and `definitive`) or a user's
//! factor file (`user`).

mod definitive;
mod eu;
mod user;

pub use eu::DefaultTables;
pub use user::UserFactors;

use crate::error::Result;
use crate::model::EmissionFactor;
use rust_decimal::Decimal;
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

/// A text that is not a decimal number (the text, trimmed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a decimal number, found {0:?}")]
pub struct NotADecimal(pub String);

/// Parses a decimal from its text, exactly. `""` → None.
pub fn dec(text: &str) -> Result<Option<Decimal>, NotADecimal> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    Decimal::from_str(t)
        .or_else(|_| Decimal::from_scientific(t))
        .map(Some)
        .map_err(|_| NotADecimal(t.to_string()))
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

pub(super) fn row_decimal(rec: &super::csv::Rec, col: &str) -> Result<Option<Decimal>> {
    dec(rec.get(col)).map_err(|_| rec.bad(col, "a decimal number or empty", rec.get(col)))
}

pub(super) fn arcs(v: Vec<String>) -> Arc<[Arc<str>]> {
    v.into_iter().map(Arc::from).collect()
}

pub(super) fn factor_from_row(
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

/// Specific embedded emissions are a few tCO2e per tonne (hydrogen, the highest, about 20);
/// a value beyond ±1000 is a unit or typing error, and bounding it keeps every sum exact.
pub const MAX_FACTOR: i64 = 1000;

/// A factor beyond ±`MAX_FACTOR` tCO2e/t (the value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("factor {0} tCO2e/t is outside ±{MAX_FACTOR} (a unit or typing error?)")]
pub struct FactorOutOfRange(pub Decimal);

/// `direct + indirect` as a stated total's stand-in; `Decimal::MAX` on overflow, which
/// [`check_factor_values`] then refuses (the operands are refused first, being out of range).
pub fn total_of(direct: Decimal, indirect: Decimal) -> Decimal {
    direct.checked_add(indirect).unwrap_or(Decimal::MAX)
}

/// `Err` with the first value beyond ±`MAX_FACTOR`.
pub fn check_factor_values(values: &[Decimal]) -> Result<(), FactorOutOfRange> {
    match values.iter().find(|v| v.abs() > Decimal::from(MAX_FACTOR)) {
        Some(v) => Err(FactorOutOfRange(*v)),
        None => Ok(()),
    }
}
