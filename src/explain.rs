//! `cbam explain`: the calculation trail of one shipment, read from a report JSON (ours or the
//! production system's): its inputs, its Annex I scope, the factor and why it was chosen, where
//! the production system would differ, and the arithmetic at full precision with the rounding.
//! [`explain`] gathers it as data; the command prints it.

use crate::formats::jsonpath::Node;
use rust_decimal::Decimal;
use serde_json::Value;

/// The shipment is in neither list of the report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("shipment {0:?} is in neither detailed_goods nor rejected_rows of the report")]
pub struct NotInReport(pub String);

/// Everything the report says about one shipment.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub shipment_id: String,
    /// Its `detailed_goods` entry, when it was calculated.
    pub line: Option<Value>,
    /// Its `validation_results.rejected_rows` entry, when it was not.
    pub rejected: Option<Value>,
    /// The findings about it (by shipment id, or by a JSON path into its entry).
    pub findings: Vec<Value>,
    pub outcome: Outcome,
}

#[derive(Debug, Clone)]
pub enum Outcome {
    Calculated(Box<Trail>),
    NotCalculated(Rejection),
}

/// Why a row was not calculated.
#[derive(Debug, Clone, Default)]
pub struct Rejection {
    pub status: String,
    pub row: String,
    pub line: String,
    /// The codes as JSON text (`["IN008"]`).
    pub codes: String,
}

/// The trail of a calculated line, each value as the report writes it.
#[derive(Debug, Clone)]
pub struct Trail {
    pub row: String,
    /// The input fields the line has, in a fixed order.
    pub inputs: Vec<(&'static str, String)>,
    pub scope: Option<Scope>,
    pub factor: Factor,
    /// The factor's trail: each candidate and why it was taken or refused.
    pub why: Option<Vec<String>>,
    pub departures: Option<Vec<String>>,
    pub line_decimals: u64,
    pub rounding_mode: String,
    /// `None` when a figure the arithmetic needs is missing.
    pub arithmetic: Option<Arithmetic>,
}

#[derive(Debug, Clone)]
pub struct Scope {
    pub annex_i_entry: String,
    pub sector: String,
    pub in_cbam_scope: String,
    pub period: String,
}

#[derive(Debug, Clone)]
pub struct Factor {
    pub id: String,
    pub method: String,
    pub direct: String,
    pub indirect: String,
    pub total: String,
    pub source: String,
    /// From `provenance.factors_used`, when the report lists the factor there.
    pub usage: Option<FactorUsage>,
}

#[derive(Debug, Clone)]
pub struct FactorUsage {
    pub confidence: String,
    pub lines: String,
}

/// Mass × factor, exact, beside the rounded figures of the report.
#[derive(Debug, Clone)]
pub struct Arithmetic {
    pub mass_kg: Decimal,
    pub mass_t: Decimal,
    pub factor_direct: Decimal,
    pub factor_indirect: Decimal,
    pub factor_total: Decimal,
    pub direct_exact: Decimal,
    pub direct: String,
    pub indirect_exact: Decimal,
    pub indirect: String,
    pub total: Total,
}

#[derive(Debug, Clone)]
pub enum Total {
    /// A default value with its mark-up: mass × total factor × (1 + mark-up).
    MarkedUp {
        markup: Decimal,
        exact: Decimal,
        rounded: String,
    },
    /// Direct plus indirect.
    Sum { rounded: String },
}

/// One finding, as the trail lists it.
#[derive(Debug, Clone)]
pub struct FindingLine {
    pub severity: String,
    pub code: String,
    pub message: String,
}

/// The input fields the trail shows, in this order, when the line has them.
const INPUT_FIELDS: [&str; 9] = [
    "import_date",
    "quarter",
    "cn_code",
    "cn_code_original",
    "origin_iso",
    "origin_country",
    "net_mass_kg",
    "has_actual_emissions",
    "supplier_id",
];

fn text(v: &Value) -> String {
    v.text().unwrap_or_default()
}

fn texts(v: &Value) -> Option<Vec<String>> {
    v.as_array().map(|a| a.iter().map(text).collect())
}

/// What `report` says about shipment `id`.
pub fn explain(report: &Value, id: &str) -> Result<Explanation, NotInReport> {
    let index = report["detailed_goods"]
        .as_array()
        .and_then(|g| g.iter().position(|l| text(&l["shipment_id"]) == id));
    let line = index.map(|i| &report["detailed_goods"][i]);
    let vr = &report["validation_results"];
    // A path names the line by its index (`detailed_goods[3]…`).
    let path_prefix = index.map(|_| format!("detailed_goods[{}]", position_by_id(report, id)));
    let findings: Vec<Value> = ["errors", "warnings", "infos"]
        .iter()
        .flat_map(|k| vr[*k].as_array().into_iter().flatten())
        .filter(|f| {
            f["shipment_id"].as_str() == Some(id)
                || f["path"]
                    .as_str()
                    .zip(path_prefix.as_deref())
                    .is_some_and(|(p, prefix)| p.starts_with(prefix))
        })
        .cloned()
        .collect();
    let rejected = vr["rejected_rows"]
        .as_array()
        .and_then(|r| r.iter().find(|x| x["shipment_id"].as_str() == Some(id)));
    let outcome = match (line, rejected) {
        (Some(l), _) => Outcome::Calculated(Box::new(trail(report, l))),
        (None, Some(r)) => Outcome::NotCalculated(Rejection {
            status: text(&r["status"]),
            row: text(&r["row"]),
            line: text(&r["line"]),
            codes: r["codes"].to_string(),
        }),
        (None, None) => return Err(NotInReport(id.to_string())),
    };
    Ok(Explanation {
        shipment_id: id.to_string(),
        line: line.cloned(),
        rejected: rejected.cloned(),
        findings,
        outcome,
    })
}

/// The index the findings' paths use for the line: found by the id as a JSON string (a
/// numeric `shipment_id` finds the line by its text, but no path), as it always was.
fn position_by_id(report: &Value, id: &str) -> usize {
    report["detailed_goods"]
        .as_array()
        .and_then(|g| g.iter().position(|l| l["shipment_id"].as_str() == Some(id)))
        .unwrap_or(usize::MAX)
}

impl Explanation {
    /// The findings as the trail lists them.
    pub fn finding_lines(&self) -> Vec<FindingLine> {
        self.findings
            .iter()
            .map(|f| FindingLine {
                severity: text(&f["severity"]),
                code: text(&f["code"]),
                message: text(&f["message"]),
            })
            .collect()
    }
}

fn trail(report: &Value, l: &Value) -> Trail {
    let e = &l["emissions_calculation"];
    let en = &l["_enrichment"];
    let rounding = &report["provenance"]["policy"]["rounding"];
    Trail {
        row: text(&l["_row"]),
        inputs: INPUT_FIELDS
            .iter()
            .filter_map(|k| l.get(*k).filter(|v| !v.is_null()).map(|v| (*k, text(v))))
            .collect(),
        scope: en.is_object().then(|| Scope {
            annex_i_entry: text(&en["annex_i_entry"]),
            sector: text(&en["sector"]),
            in_cbam_scope: text(&en["in_cbam_scope"]),
            period: text(&en["period"]),
        }),
        factor: factor(report, e),
        why: texts(&e["trail"]),
        departures: texts(&e["departures_from_production_system"]),
        line_decimals: rounding["line_decimals"].as_u64().unwrap_or(3),
        rounding_mode: rounding["mode"].as_str().unwrap_or("half_even").to_string(),
        arithmetic: arithmetic(l, e),
    }
}

fn factor(report: &Value, e: &Value) -> Factor {
    let id = text(&e["factor_id"]);
    let used = report["provenance"]["factors_used"]
        .as_array()
        .and_then(|f| f.iter().find(|f| text(&f["id"]) == id));
    Factor {
        method: text(&e["calculation_method"]),
        direct: text(&e["emission_factor_direct_tco2_per_ton"]),
        indirect: text(&e["emission_factor_indirect_tco2_per_ton"]),
        total: text(&e["emission_factor_total_tco2_per_ton"]),
        source: match used {
            Some(f) => text(&f["source"]),
            None => text(&e["emission_factor_source"]),
        },
        usage: used.map(|f| FactorUsage {
            confidence: text(&f["confidence"]),
            lines: text(&f["lines"]),
        }),
        id,
    }
}

fn arithmetic(l: &Value, e: &Value) -> Option<Arithmetic> {
    let mass_kg = l["net_mass_kg"].decimal()?;
    let factor_direct = e["emission_factor_direct_tco2_per_ton"].decimal()?;
    let factor_indirect = e["emission_factor_indirect_tco2_per_ton"].decimal()?;
    let factor_total = e["emission_factor_total_tco2_per_ton"].decimal()?;
    let mass_t = mass_kg / Decimal::ONE_THOUSAND;
    let rounded_total = text(&e["total_emissions_tco2"]);
    Some(Arithmetic {
        mass_kg,
        mass_t,
        factor_direct,
        factor_indirect,
        factor_total,
        direct_exact: mass_t * factor_direct,
        direct: text(&e["direct_emissions_tco2"]),
        indirect_exact: mass_t * factor_indirect,
        indirect: text(&e["indirect_emissions_tco2"]),
        total: match e["default_markup"].decimal() {
            Some(markup) => Total::MarkedUp {
                markup,
                exact: mass_t * factor_total * (Decimal::ONE + markup),
                rounded: rounded_total,
            },
            None => Total::Sum {
                rounded: rounded_total,
            },
        },
    })
}
