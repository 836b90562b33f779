//! The template's own checks (TP codes): a row's SEE add up, are not negative, are plausible
//! for the sector, a sensible share of default values; the file has products, a reporting
//! period, an installation name and matching UN/LOCODE, no CN code under two different SEE.

use super::{unlocode_normalised, Cell, Installation, TemplateProduct, FIRST_ROW, LAST_ROW, SHEET};
use crate::model::{CnCode, Date, Finding, Severity};
use rust_decimal::Decimal;
use std::str::FromStr;

/// |total − (direct + indirect)| above this is an inconsistent row (the Commission's
/// workbook rounds nothing, so only float noise is tolerated).
const SUM_TOLERANCE: &str = "0.0001";
/// The transitional rules allow default values for up to 20 % of a complex good's embedded
/// emissions (IR 2023/1773 Art. 5); a supplier's own share above that is flagged.
const DEFAULT_SHARE_LIMIT: &str = "0.2";

/// Makes a finding of the template: code, severity, field, cell, message.
pub(super) type MakeFinding<'a> =
    dyn Fn(&'static str, Severity, &'static str, &str, String) -> Finding + 'a;

/// The row's own checks; `false` when an error (TP002, TP003) makes it unusable.
pub(super) fn check_product(
    p: &TemplateProduct,
    findings: &mut Vec<Finding>,
    finding: &MakeFinding,
) -> bool {
    let row = p.row;
    let mut usable = true;
    let tol = Decimal::from_str(SUM_TOLERANCE).unwrap_or_default();
    // Checked: a cell may hold any figure (1e28 overflows a sum).
    let sum = p.direct.value.checked_add(p.indirect.value);
    let off = sum.and_then(|s| p.total.value.checked_sub(s));
    if off.is_none_or(|d| d.abs() > tol) {
        usable = false;
        findings.push(finding(
            "TP002",
            Severity::Error,
            "see_total",
            &p.total.cell,
            format!(
                "row {row} (CN {}): SEE direct {} + indirect {} = {}, but the total says {}; the row is not used",
                p.cn.spaced(),
                p.direct.value,
                p.indirect.value,
                sum.map_or("beyond range".to_string(), |s| s.to_string()),
                p.total.value
            ),
        ));
    }
    for (v, what) in [
        (&p.direct, "direct"),
        (&p.indirect, "indirect"),
        (&p.total, "total"),
    ] {
        if v.value.is_sign_negative() && !v.value.is_zero() {
            usable = false;
            findings.push(finding(
                "TP003",
                Severity::Error,
                "see",
                &v.cell,
                format!(
                    "row {row} (CN {}): SEE {what} {} is negative; the row is not used",
                    p.cn.spaced(),
                    v.value
                ),
            ));
        }
    }
    if let Some(bound) = plausible_upper_bound(&p.cn) {
        if p.total.value > bound {
            findings.push(finding(
                "TP004",
                Severity::Warning,
                "see_total",
                &p.total.cell,
                format!(
                    "row {row} (CN {}): SEE total {} tCO2e/t is above the plausible range for the sector (at most {bound}); check the unit and the figure",
                    p.cn.spaced(),
                    p.total.value
                ),
            ));
        }
    }
    if let Some(share) = &p.default_share {
        let limit = Decimal::from_str(DEFAULT_SHARE_LIMIT).unwrap_or_default();
        if share.value > limit {
            findings.push(finding(
                "TP005",
                Severity::Warning,
                "default_share",
                &share.cell,
                format!(
                    "row {row} (CN {}): {}% of the emissions come from default values (more than {}%)",
                    p.cn.spaced(),
                    share
                        .value
                        .checked_mul(Decimal::from(100))
                        .map_or(share.value, |v| v.round_dp(2)),
                    (limit * Decimal::from(100)).normalize()
                ),
            ));
        }
        if share.value.is_sign_negative() || share.value > Decimal::ONE {
            findings.push(finding(
                "TP005",
                Severity::Warning,
                "default_share",
                &share.cell,
                format!(
                    "row {row}: share of default values {} is not a fraction between 0 and 1",
                    share.value
                ),
            ));
        }
    }
    usable
}

/// Upper bounds of a plausible SEE total (tCO2e per t; per MWh for electricity), well above
/// every EU default value of the sector including its mark-ups, so that only unit or typing
/// errors (kg for t, a missing decimal point) trip them.
fn plausible_upper_bound(cn: &CnCode) -> Option<Decimal> {
    let c = cn.as_str();
    let v = match &c[..2] {
        "25" => 5,                           // cement, clinker, kaolinic clay: defaults ≤ 1.3
        "26" | "72" | "73" => 25, // iron ore, iron and steel: defaults ≤ 8 (ferro-alloys)
        "76" => 40,               // aluminium incl. indirect: primary ≤ 20
        "28" if c.starts_with("2804") => 40, // hydrogen: defaults ≤ 24
        "28" | "31" => 20,        // fertilisers: defaults ≤ 6
        "27" => 3,                // electricity, tCO2e/MWh: grid factors ≤ 1.3
        _ => return None,
    };
    Some(Decimal::from(v))
}

pub(super) fn check_file(
    inst: &Installation,
    start: &Option<Cell<Date>>,
    end: &Option<Cell<Date>>,
    products: &[TemplateProduct],
    findings: &mut Vec<Finding>,
    finding: &MakeFinding,
) -> Vec<CnCode> {
    let mut ambiguous = Vec::new();
    if products.is_empty() {
        findings.push(finding(
            "TP001",
            Severity::Error,
            "cn_code",
            &format!("{SHEET}!F{FIRST_ROW}:F{LAST_ROW}"),
            format!(
                "the template holds no product data: no CN code in {SHEET}!F{FIRST_ROW}:F{LAST_ROW}{} — nothing to import (a blank template?)",
                if inst.name.is_none() { " and no installation name in G12" } else { "" }
            ),
        ));
        return ambiguous;
    }
    match (start, end) {
        (None, _) | (_, None) => findings.push(finding(
            "TP007",
            Severity::Warning,
            "reporting_period",
            &format!("{SHEET}!G20:G21"),
            "the reporting period (G20 start, G21 end) is missing: the data's age cannot be checked".into(),
        )),
        (Some(s), Some(e)) if s.value > e.value => findings.push(finding(
            "TP007",
            Severity::Warning,
            "reporting_period",
            &format!("{SHEET}!G20:G21"),
            format!("the reporting period starts {} after it ends {}", s.value, e.value),
        )),
        _ => {}
    }
    if inst.name.is_none() {
        findings.push(finding(
            "TP008",
            Severity::Warning,
            "installation_name",
            &format!("{SHEET}!G12"),
            "the installation name (G12) is missing".into(),
        ));
    }
    if let (Some(loc), Some(cc)) = (&inst.unlocode, &inst.country_iso) {
        let norm = unlocode_normalised(&loc.value);
        if !norm.starts_with(&cc.value) {
            findings.push(finding(
                "TP008",
                Severity::Warning,
                "unlocode",
                &loc.cell,
                format!(
                    "UN/LOCODE {:?} does not start with the installation's country {}",
                    loc.value, cc.value
                ),
            ));
        }
    }
    // The same CN code under two processes: which SEE applies depends on how the imported
    // goods were made, which the template cannot say.
    for (i, p) in products.iter().enumerate() {
        if let Some(q) = products[..i].iter().find(|q| q.cn == p.cn) {
            if q.total.value != p.total.value {
                if !ambiguous.contains(&p.cn) {
                    ambiguous.push(p.cn);
                }
                findings.push(finding(
                    "TP009",
                    Severity::Warning,
                    "cn_code",
                    &format!("{SHEET}!F{}", p.row),
                    format!(
                        "CN {} appears in rows {} ({}) and {} ({}) with different SEE ({} and {} tCO2e/t): \
                         a shipment of it cannot be matched to one of them, so neither is used for it",
                        p.cn.spaced(),
                        q.row,
                        q.process.as_ref().map(|c| c.value.as_str()).unwrap_or("?"),
                        p.row,
                        p.process.as_ref().map(|c| c.value.as_str()).unwrap_or("?"),
                        q.total.value,
                        p.total.value
                    ),
                ));
            }
        }
    }
    ambiguous
}
