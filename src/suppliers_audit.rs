//! `cbam suppliers audit`: supplier profiles checked for what the calculation relies on —
//! actual data present and consistent, its age, verification, completeness, the CN codes
//! produced against the codes shipped under the supplier.

use crate::model::{CnCode, Severity};
use crate::reference::suppliers::Supplier;
use crate::reference::{SupplierActual, SupplierBook};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct AuditFinding {
    pub supplier_id: String,
    pub severity: Severity,
    /// no_actual_data, total_mismatch, stale, unverified, incomplete, missing_field, not_produced, unknown_supplier
    pub check: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipment_id: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SupplierSummary {
    pub supplier_id: String,
    pub name: String,
    pub country_iso: String,
    pub actual_data: bool,
    pub data_quality: Option<String>,
    pub completeness_pct: Option<String>,
    pub reporting_year: Option<i32>,
    pub age_years: Option<i32>,
    pub verified: Option<bool>,
    pub cn_codes_produced: Vec<String>,
    pub cn_codes_shipped: Vec<String>,
    pub shipments: u64,
    pub shipments_claiming_actuals: u64,
}

/// A shipment as the audit needs it.
pub struct ShippedRow {
    pub shipment_id: String,
    pub supplier_id: String,
    pub cn: Option<CnCode>,
    pub claims_actuals: bool,
}

/// The shipments of a file as the audit needs them; with `quarter`, only that quarter's
/// (by the row's quarter column, or its import date when the column is empty).
pub fn shipped_rows(
    path: &std::path::Path,
    quarter: Option<crate::model::Quarter>,
) -> crate::error::Result<Vec<ShippedRow>> {
    use crate::model::{Col, Date, Quarter};
    let src = crate::intake::open_shipments(path, &Default::default())?;
    let mut rows = Vec::new();
    for c in src.chunks(usize::MAX) {
        src.parse_chunk(&c, |r| {
            let (crate::intake::Record::Row(row) | crate::intake::Record::Broken(row, _)) = &r;
            let of_row = Quarter::parse(row.get(Col::Quarter))
                .or_else(|| Date::parse(row.get(Col::ImportDate)).map(Quarter::of_date));
            if quarter.is_some_and(|q| of_row != Some(q)) {
                return;
            }
            let yes = row.get(Col::HasActualEmissions);
            rows.push(ShippedRow {
                shipment_id: row.get(Col::ShipmentId).to_string(),
                supplier_id: row.get(Col::SupplierId).to_string(),
                cn: CnCode::normalise(row.get(Col::CnCode)),
                claims_actuals: ["YES", "Y", "TRUE", "1"]
                    .iter()
                    .any(|w| yes.eq_ignore_ascii_case(w)),
            });
        });
    }
    Ok(rows)
}

/// Each supplier's summary, sorted by id, and the findings about the profiles and the
/// shipments that name them.
pub fn audit(
    book: &SupplierBook,
    shipments: &[ShippedRow],
    this_year: i32,
    stale_after_years: u32,
) -> (Vec<SupplierSummary>, Vec<AuditFinding>) {
    let mut findings = Findings::default();
    let mut summaries = Vec::new();
    let mut ids: Vec<&String> = book.by_id.keys().collect();
    ids.sort();
    for id in ids {
        let s = &book.by_id[id];
        let actuals: Vec<&SupplierActual> = s.general.iter().chain(s.by_cn.values()).collect();
        check_fields(id, s, &mut findings);
        if actuals.is_empty() {
            findings.add(
                id,
                Severity::Info,
                "no_actual_data",
                None,
                format!("{id}: no actual emissions data (EU default values apply to its goods)"),
            );
        }
        for a in &actuals {
            check_actual(id, a, this_year, stale_after_years, &mut findings);
        }
        let mine: Vec<&ShippedRow> = shipments.iter().filter(|r| r.supplier_id == *id).collect();
        check_claims(id, s, &mine, !actuals.is_empty(), &mut findings);
        summaries.push(summary(id, s, &actuals, &mine, this_year));
    }
    unknown_suppliers(book, shipments, &mut findings);
    (summaries, findings.0)
}

/// The findings of an audit, in the order they are found.
#[derive(Default)]
struct Findings(Vec<AuditFinding>);

impl Findings {
    fn add(
        &mut self,
        id: &str,
        severity: Severity,
        check: &'static str,
        shipment: Option<&str>,
        message: String,
    ) {
        self.0.push(AuditFinding {
            supplier_id: id.to_string(),
            severity,
            check,
            shipment_id: shipment.map(String::from),
            message,
        });
    }
}

/// The profile fields the report needs.
fn check_fields(id: &str, s: &Supplier, findings: &mut Findings) {
    for (field, missing) in [
        ("company_name", s.name.is_empty()),
        ("country_iso", s.country_iso.is_empty()),
        ("cn_codes_produced", s.cn_codes_produced.is_empty()),
    ] {
        if missing {
            findings.add(
                id,
                Severity::Warning,
                "missing_field",
                None,
                format!("{id}: {field} is missing or empty"),
            );
        }
    }
}

/// One actual: its total, age, verification and completeness.
fn check_actual(
    id: &str,
    a: &SupplierActual,
    this_year: i32,
    stale_after_years: u32,
    findings: &mut Findings,
) {
    let what =
        a.cn.map(|c| format!("actuals for {}", c.spaced()))
            .unwrap_or_else(|| "actual_emissions_data".into());
    if let Some(t) = a.total_mismatch() {
        findings.add(
            id,
            Severity::Error,
            "total_mismatch",
            None,
            format!(
                "{id} {what}: direct {} + indirect {} = {}, but total says {t}",
                a.direct,
                a.indirect,
                a.direct + a.indirect
            ),
        );
    }
    match a.reporting_year {
        None => findings.add(
            id,
            Severity::Warning,
            "missing_field",
            None,
            format!("{id} {what}: no reporting_year, so its age cannot be checked"),
        ),
        Some(y) if this_year - y > stale_after_years as i32 => findings.add(
            id,
            Severity::Warning,
            "stale",
            None,
            format!(
                "{id} {what}: data for {y} is {} years old (limit {stale_after_years})",
                this_year - y
            ),
        ),
        _ => {}
    }
    if a.verified != Some(true) {
        findings.add(
            id,
            Severity::Info,
            "unverified",
            None,
            format!("{id} {what}: not marked verified"),
        );
    }
    if a.completeness_pct.is_some_and(|c| c < Decimal::from(80)) {
        findings.add(
            id,
            Severity::Warning,
            "incomplete",
            None,
            format!(
                "{id} {what}: data completeness {}% (below 80%)",
                a.completeness_pct.unwrap_or_default()
            ),
        );
    }
}

/// The supplier's shipments that claim its actual data: for a code it produces, and with
/// actual data to claim.
fn check_claims(
    id: &str,
    s: &Supplier,
    mine: &[&ShippedRow],
    has_actuals: bool,
    findings: &mut Findings,
) {
    for r in mine.iter().filter(|r| r.claims_actuals) {
        let Some(cn) = r.cn else { continue };
        let produced = s.cn_codes_produced.contains(&cn) || s.by_cn.contains_key(&cn);
        if !produced {
            findings.add(
                id,
                Severity::Error,
                "not_produced",
                Some(&r.shipment_id),
                format!("shipment {} claims {id}'s actual data for CN {}, which {id} does not produce ({})", r.shipment_id, cn.spaced(), s.cn_codes_produced.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")),
            );
        } else if !has_actuals {
            findings.add(
                id,
                Severity::Warning,
                "no_actual_data",
                Some(&r.shipment_id),
                format!(
                    "shipment {} claims actual data, but {id} has none",
                    r.shipment_id
                ),
            );
        }
    }
}

/// The supplier's summary: its main actual (the general figures, else a per-CN one) and the
/// codes shipped under it.
fn summary(
    id: &str,
    s: &Supplier,
    actuals: &[&SupplierActual],
    mine: &[&ShippedRow],
    this_year: i32,
) -> SupplierSummary {
    let main = s.general.as_ref().or_else(|| s.by_cn.values().next());
    let mut shipped: Vec<String> = mine
        .iter()
        .filter_map(|r| r.cn.map(|c| c.as_str().to_string()))
        .collect();
    shipped.sort();
    shipped.dedup();
    SupplierSummary {
        supplier_id: id.to_string(),
        name: s.name.clone(),
        country_iso: s.country_iso.clone(),
        actual_data: !actuals.is_empty(),
        data_quality: main.map(|a| a.data_quality.clone()),
        completeness_pct: main.and_then(|a| a.completeness_pct).map(|c| c.to_string()),
        reporting_year: main.and_then(|a| a.reporting_year),
        age_years: main.and_then(|a| a.reporting_year).map(|y| this_year - y),
        verified: main.and_then(|a| a.verified),
        cn_codes_produced: s
            .cn_codes_produced
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
        cn_codes_shipped: shipped,
        shipments: mine.len() as u64,
        shipments_claiming_actuals: mine.iter().filter(|r| r.claims_actuals).count() as u64,
    }
}

/// Suppliers named by shipments but missing from the profiles, each once with its shipments.
fn unknown_suppliers(book: &SupplierBook, shipments: &[ShippedRow], findings: &mut Findings) {
    let mut unknown: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in shipments {
        if !r.supplier_id.is_empty() && !book.by_id.contains_key(&r.supplier_id) {
            unknown
                .entry(&r.supplier_id)
                .or_default()
                .push(&r.shipment_id);
        }
    }
    for (id, ships) in unknown {
        findings.add(
            id,
            Severity::Warning,
            "unknown_supplier",
            None,
            format!(
                "{id} is named by {} shipment(s) ({}) but is not in the supplier profiles",
                ships.len(),
                ships.join(", ")
            ),
        );
    }
}
