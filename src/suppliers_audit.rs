//! `cbam suppliers audit`: supplier profiles checked for what the calculation relies on —
//! actual data present and consistent, its age, verification, completeness, the CN codes
//! produced against the codes shipped under the supplier.

use crate::model::{CnCode, Severity};
use crate::reference::SupplierBook;
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

pub fn audit(
    book: &SupplierBook,
    shipments: &[ShippedRow],
    this_year: i32,
    stale_after_years: u32,
) -> (Vec<SupplierSummary>, Vec<AuditFinding>) {
    let mut findings = Vec::new();
    let mut summaries = Vec::new();
    let mut ids: Vec<&String> = book.by_id.keys().collect();
    ids.sort();
    let f = |findings: &mut Vec<AuditFinding>,
             id: &str,
             sev,
             check,
             ship: Option<&str>,
             msg: String| {
        findings.push(AuditFinding {
            supplier_id: id.to_string(),
            severity: sev,
            check,
            shipment_id: ship.map(String::from),
            message: msg,
        });
    };
    for id in ids {
        let s = &book.by_id[id];
        let actuals: Vec<&crate::reference::SupplierActual> =
            s.general.iter().chain(s.by_cn.values()).collect();
        let main = s.general.as_ref().or_else(|| s.by_cn.values().next());
        for (field, missing) in [
            ("company_name", s.name.is_empty()),
            ("country_iso", s.country_iso.is_empty()),
            ("cn_codes_produced", s.cn_codes_produced.is_empty()),
        ] {
            if missing {
                f(
                    &mut findings,
                    id,
                    Severity::Warning,
                    "missing_field",
                    None,
                    format!("{id}: {field} is missing or empty"),
                );
            }
        }
        if actuals.is_empty() {
            f(
                &mut findings,
                id,
                Severity::Info,
                "no_actual_data",
                None,
                format!("{id}: no actual emissions data (EU default values apply to its goods)"),
            );
        }
        for a in &actuals {
            let what =
                a.cn.map(|c| format!("actuals for {}", c.spaced()))
                    .unwrap_or_else(|| "actual_emissions_data".into());
            if let Some(t) = a.stated_total {
                if (a.direct + a.indirect - t).abs() > Decimal::new(1, 3) {
                    f(
                        &mut findings,
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
            }
            match a.reporting_year {
                None => f(
                    &mut findings,
                    id,
                    Severity::Warning,
                    "missing_field",
                    None,
                    format!("{id} {what}: no reporting_year, so its age cannot be checked"),
                ),
                Some(y) if this_year - y > stale_after_years as i32 => f(
                    &mut findings,
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
                f(
                    &mut findings,
                    id,
                    Severity::Info,
                    "unverified",
                    None,
                    format!("{id} {what}: not marked verified"),
                );
            }
            if a.completeness_pct.is_some_and(|c| c < Decimal::from(80)) {
                f(
                    &mut findings,
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
        let mine: Vec<&ShippedRow> = shipments.iter().filter(|r| r.supplier_id == *id).collect();
        let mut shipped: Vec<String> = mine
            .iter()
            .filter_map(|r| r.cn.map(|c| c.as_str().to_string()))
            .collect();
        shipped.sort();
        shipped.dedup();
        for r in mine.iter().filter(|r| r.claims_actuals) {
            let Some(cn) = r.cn else { continue };
            let produced = s.cn_codes_produced.contains(&cn) || s.by_cn.contains_key(&cn);
            if !produced {
                f(
                    &mut findings,
                    id,
                    Severity::Error,
                    "not_produced",
                    Some(&r.shipment_id),
                    format!("shipment {} claims {id}'s actual data for CN {}, which {id} does not produce ({})", r.shipment_id, cn.spaced(), s.cn_codes_produced.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")),
                );
            } else if actuals.is_empty() {
                f(
                    &mut findings,
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
        summaries.push(SupplierSummary {
            supplier_id: id.clone(),
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
        });
    }
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
        f(
            &mut findings,
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
    (summaries, findings)
}
