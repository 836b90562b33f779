//! The EU registry's business rules that apply to a QReport on its own (the schema cannot say
//! them): `docs/domain/registry-rules.md` §2, rule numbers in brackets. Each finding names the
//! element path and the value.

use super::{finding, Node};
use crate::model::Finding;
use crate::model::{CnCode, Quarter, ScopeStatus, Severity};
use crate::reference::AnnexScope;
use rust_decimal::Decimal;
use std::str::FromStr;

/// The registry's codes seen for goods measured in tonnes and for emissions in tCO2e.
pub const UNIT_TONNES: &str = "01";
pub const UNIT_EMISSIONS: &str = "EMU1";
/// Electricity (HS 2716 00) is measured in MWh and has no indirect emissions.
const HS_ELECTRICITY: &str = "271600";

/// What each rule is, for `cbam validate`'s per-rule listing: (code, what it checks).
pub const RULES: &[(&str, &str)] = &[
    ("XQ010", "HsCode is the first 6 digits of CnCode, and the CN code is a CBAM good (Annex I) [21]"),
    ("XQ011", "ReportingPeriod Q1–Q4 and Year form a quarter of the transitional period, 2023Q4–2025Q4 [5]"),
    ("XQ012", "goods measured in tonnes (MeasurementUnit 01) from Q2 2024; emissions in EMU1 [22, 46]"),
    ("XQ013", "DeterminationType is 01, 02 or 03; 02 (default values) only up to Q2 2024 [35, 36]"),
    ("XQ014", "goods other than electricity state direct and indirect specific embedded emissions [9, 38]"),
    ("XQ015", "every GoodsEmissions names its ProductionCountry [32]"),
    ("XQ016", "quantities add up: procedures and produced measures sum to the imported measure [25, 29]"),
    ("XQ017", "the report confirmations (GlobalDataConfirmation, UseOfDataConfirmation) are true [18]"),
    ("XQ018", "Declarant/Role 01 has a header Importer, 02 a header Representative; 03 neither, but every good its own [13, 16]"),
    ("XQ019", "an Installation comes with its InstallationOperator, in the ProductionCountry [32, 34]"),
];

/// What happened to one registry rule in `cbam validate` of a QReport (its JSON `rules`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuleStatus {
    pub id: &'static str,
    pub check: &'static str,
    /// passed, failed, skipped (by --only/--skip), not_run (older schema version)
    pub status: &'static str,
    pub findings: usize,
}

/// Whether the findings say the report is of an older schema version (XQ004): the registry's
/// rules are then not run.
pub fn older_schema_version(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.code == "XQ004")
}

/// Each registry rule's outcome, given the findings kept after `--only`/`--skip` (the schema
/// checks XQ001–XQ004 always run, and are not listed).
pub fn rule_statuses(findings: &[Finding], only: &[String], skip: &[String]) -> Vec<RuleStatus> {
    let older = older_schema_version(findings);
    RULES
        .iter()
        .map(|&(id, check)| {
            let n = findings.iter().filter(|f| f.code == id).count();
            let status = if (!only.is_empty() && !only.iter().any(|o| o == id))
                || skip.iter().any(|s| s == id)
            {
                "skipped"
            } else if older {
                "not_run"
            } else if n > 0 {
                "failed"
            } else {
                "passed"
            };
            RuleStatus {
                id,
                check,
                status,
                findings: n,
            }
        })
        .collect()
}

fn dec(s: &str) -> Option<Decimal> {
    Decimal::from_str(s.trim()).ok()
}

/// What the report's quarter changes in the rules.
#[derive(Clone, Copy)]
struct Era {
    /// Goods in tonnes from Q2 2024 [22].
    from_q2_2024: bool,
    /// Default values (02) no longer accepted from Q3 2024 [35, 36].
    from_q3_2024: bool,
}

pub fn check(root: &Node, scope: &AnnexScope) -> Vec<Finding> {
    let mut out = Vec::new();
    let quarter = check_quarter(&mut out, root);
    let era = Era {
        from_q2_2024: quarter.is_some_and(|q| q >= Quarter { year: 2024, q: 2 }),
        from_q3_2024: quarter.is_some_and(|q| q >= Quarter { year: 2024, q: 3 }),
    };
    check_confirmations(&mut out, root);
    check_declarant_role(&mut out, root);
    for (gi, good) in root.all("ImportedGood").enumerate() {
        check_good(
            &mut out,
            good,
            &format!("QReport/ImportedGood[{}]", gi + 1),
            scope,
            era,
        );
    }
    out
}

/// [5] the quarter: ReportingPeriod and Year, within the transitional period.
fn check_quarter(out: &mut Vec<Finding>, root: &Node) -> Option<Quarter> {
    let period = root.text_at("ReportingPeriod").unwrap_or("");
    let year = root.text_at("Year").unwrap_or("");
    let quarter = Quarter::parse(&format!("{year}{period}"));
    match quarter {
        None => {
            let line = root.child("ReportingPeriod").map_or(root.line, |n| n.line);
            out.push(
                finding(
                    "XQ011",
                    Severity::Error,
                    "QReport/ReportingPeriod",
                    line,
                    format!("QReport/ReportingPeriod, Year: {period:?} {year:?} is not a quarter (expected Q1–Q4 and a 4-digit year)"),
                )
                .found(&format!("{period} {year}")),
            );
        }
        Some(q) if !super::is_transitional_quarter(q) => {
            out.push(
                finding(
                    "XQ011",
                    Severity::Error,
                    "QReport/Year",
                    root.child("Year").map_or(root.line, |n| n.line),
                    format!("QReport/Year, ReportingPeriod: {q} is outside the transitional period (2023Q4–2025Q4), the only one with quarterly reports"),
                )
                .found(&q.to_string()),
            );
        }
        Some(_) => {}
    }
    quarter
}

/// [18] the declarant's confirmations.
fn check_confirmations(out: &mut Vec<Finding>, root: &Node) {
    let Some(rc) = root
        .child("Signatures")
        .and_then(|s| s.child("ReportConfirmation"))
    else {
        return;
    };
    for name in ["GlobalDataConfirmation", "UseOfDataConfirmation"] {
        if let Some(n) = rc.child(name) {
            if !matches!(n.text.trim(), "true" | "1") {
                let p = format!("QReport/Signatures/ReportConfirmation/{name}");
                out.push(
                    finding("XQ017", Severity::Warning, &p, n.line, format!("{p}: {:?}; the registry requires the declarant's confirmation (true) before submission", n.text.trim()))
                        .found(n.text.trim())
                        .expected("true"),
                );
            }
        }
    }
}

/// [13, 16] the declarant's role and the parties it implies.
fn check_declarant_role(out: &mut Vec<Finding>, root: &Node) {
    let Some(role) = root.child("Declarant").and_then(|d| d.child("Role")) else {
        return;
    };
    let r = role.text.trim();
    let p = "QReport/Declarant/Role";
    let has = |n: &str| root.child(n).is_some();
    let every_good_has_party = root
        .all("ImportedGood")
        .all(|g| g.child("Importer").is_some() || g.child("Representative").is_some());
    let problem = match r {
        "01" if !has("Importer") => Some("role 01 (importer for all goods) needs the header Importer"),
        "02" if !has("Representative") => Some("role 02 (indirect customs representative for all goods) needs the header Representative"),
        "03" if has("Importer") || has("Representative") => Some("role 03 (some goods) has no header Importer or Representative: each good names its own"),
        "03" if !every_good_has_party => Some("role 03 (some goods): every ImportedGood needs its Importer or Representative"),
        "01" | "02" | "03" => None,
        _ => Some("not a declarant role (01 importer, 02 indirect customs representative, 03 both, for some goods)"),
    };
    if let Some(why) = problem {
        out.push(
            finding(
                "XQ018",
                Severity::Error,
                p,
                role.line,
                format!("{p}: {r:?}: {why}"),
            )
            .found(r),
        );
    }
}

/// One ImportedGood at `gp`: its commodity code, units, quantities and emissions.
fn check_good(out: &mut Vec<Finding>, good: &Node, gp: &str, scope: &AnnexScope, era: Era) {
    let hs = good.text_at("CommodityCode/HsCode");
    check_commodity_code(out, good, gp, scope);
    let electricity = hs == Some(HS_ELECTRICITY);
    let units = Units { era, electricity };
    if let Some(m) = good.child("MeasureImported") {
        units.check(out, m, &format!("{gp}/MeasureImported"));
    }
    let imported = good.text_at("MeasureImported/NetMass").and_then(dec);
    let procedures = procedures_mass(out, good, gp, units);
    // [25] procedures add up to the imported measure (electricity is not measured in mass).
    if let (Some(imp), Some(sum), false) = (imported, procedures, electricity) {
        let what = "the procedures' NetMass";
        adds_up(out, good, (gp, "ImportedQuantity"), (what, sum), imp);
    }
    let mut produced = Some(Decimal::ZERO);
    for (ei, e) in good.all("GoodsEmissions").enumerate() {
        let ep = format!("{gp}/GoodsEmissions[{}]", ei + 1);
        let mass = check_goods_emissions(out, e, &ep, units);
        produced = match (produced, mass) {
            (Some(sum), Produced::Mass(m)) => Some(sum + m),
            (sum, Produced::NotStated) => sum,
            (_, Produced::Unreadable) | (None, _) => None,
        };
    }
    // [29] the produced measures add up to the imported measure.
    if let (Some(imp), Some(sum), false) = (imported, produced, electricity) {
        let what = "ProducedMeasure/NetMass over the GoodsEmissions";
        adds_up(out, good, (gp, "GoodsEmissions"), (what, sum), imp);
    }
}

/// XQ016: `what` (summing to `sum`) against the MeasureImported/NetMass `imp` of the good at
/// `gp`; the finding sits at its `section`.
fn adds_up(
    out: &mut Vec<Finding>,
    good: &Node,
    (gp, section): (&str, &str),
    (what, sum): (&str, Decimal),
    imp: Decimal,
) {
    if sum != imp {
        out.push(
            finding(
                "XQ016",
                Severity::Warning,
                &format!("{gp}/{section}"),
                good.line,
                format!("{gp}: {what} add up to {sum}, MeasureImported/NetMass is {imp}"),
            )
            .found(&sum.to_string())
            .expected(imp.to_string()),
        );
    }
}

/// [21] the commodity code: HsCode is the start of CnCode, a CBAM good.
fn check_commodity_code(out: &mut Vec<Finding>, good: &Node, gp: &str, scope: &AnnexScope) {
    let hs = good.text_at("CommodityCode/HsCode");
    let cn = good.text_at("CommodityCode/CnCode");
    let (Some(hs), Some(cn)) = (hs, cn) else {
        return;
    };
    let line = good.child("CommodityCode").map_or(good.line, |n| n.line);
    if cn.len() == 8 && !cn.starts_with(hs) {
        out.push(
            finding(
                "XQ010",
                Severity::Error,
                &format!("{gp}/CommodityCode/HsCode"),
                line,
                format!(
                    "{gp}/CommodityCode: HsCode {hs:?} is not the first 6 digits of CnCode {cn:?}"
                ),
            )
            .found(hs)
            .expected(cn.get(..6).unwrap_or(cn)),
        );
    }
    if let Some(code) = CnCode::normalise(cn).filter(|_| cn.len() == 8) {
        if !matches!(scope.classify(&code), ScopeStatus::InScope(_)) {
            out.push(
                finding("XQ010", Severity::Error, &format!("{gp}/CommodityCode/CnCode"), line, format!("{gp}/CommodityCode/CnCode: {cn} is not a CBAM good (outside Annex I or an explicit exception)"))
                    .found(cn),
            );
        }
    }
}

/// [22] the units of a good's measures.
#[derive(Clone, Copy)]
struct Units {
    era: Era,
    electricity: bool,
}

impl Units {
    fn check(self, out: &mut Vec<Finding>, n: &Node, p: &str) {
        let Some(u) = n.child("MeasurementUnit") else {
            return;
        };
        let u_text = u.text.trim();
        if self.era.from_q2_2024 && !self.electricity && u_text != UNIT_TONNES {
            out.push(
                finding("XQ012", Severity::Error, &format!("{p}/MeasurementUnit"), u.line, format!("{p}/MeasurementUnit: {u_text:?}; from Q2 2024 goods are reported in tonnes ({UNIT_TONNES})"))
                    .found(u_text)
                    .expected(UNIT_TONNES),
            );
        }
    }
}

/// The customs procedures' NetMass summed (their units checked on the way); `None` when one
/// of them states none that reads as a number.
fn procedures_mass(out: &mut Vec<Finding>, good: &Node, gp: &str, units: Units) -> Option<Decimal> {
    let mut sum = Decimal::ZERO;
    let mut all = true;
    for (qi, q) in good.all("ImportedQuantity").enumerate() {
        for (mi, m) in q.all("MeasureProcedureImported").enumerate() {
            let p = format!(
                "{gp}/ImportedQuantity[{}]/MeasureProcedureImported[{}]",
                qi + 1,
                mi + 1
            );
            units.check(out, m, &p);
            match m.text_at("NetMass").and_then(dec) {
                Some(v) => sum += v,
                None => all = false,
            }
        }
    }
    all.then_some(sum)
}

/// A GoodsEmissions' ProducedMeasure NetMass, as far as [29] is concerned.
enum Produced {
    /// No ProducedMeasure: adds nothing.
    NotStated,
    Mass(Decimal),
    /// A ProducedMeasure whose NetMass is not a number: the sum is not checked.
    Unreadable,
}

/// One GoodsEmissions at `ep`: its measure, installation, production country and emissions.
fn check_goods_emissions(out: &mut Vec<Finding>, e: &Node, ep: &str, units: Units) -> Produced {
    let produced = match e.child("ProducedMeasure") {
        None => Produced::NotStated,
        Some(m) => {
            units.check(out, m, &format!("{ep}/ProducedMeasure"));
            match m.text_at("NetMass").and_then(dec) {
                Some(v) => Produced::Mass(v),
                None => Produced::Unreadable,
            }
        }
    };
    check_installation(out, e, ep);
    // [32]
    if e.child("ProductionCountry").is_none() {
        out.push(finding(
            "XQ015",
            Severity::Error,
            &format!("{ep}/ProductionCountry"),
            e.line,
            format!(
                "{ep}/ProductionCountry: missing; the registry requires the country of production"
            ),
        ));
    }
    for kind in ["DirectEmissions", "IndirectEmissions"] {
        if let Some(em) = e.child(kind) {
            check_emissions(out, em, &format!("{ep}/{kind}"), units.era);
        }
    }
    // [9, 38]
    if !units.electricity {
        if e.child("IndirectEmissions").is_none() {
            out.push(finding("XQ014", Severity::Error, &format!("{ep}/IndirectEmissions"), e.line, format!("{ep}/IndirectEmissions: missing; goods other than electricity report indirect emissions")));
        }
        if let Some(d) = e.child("DirectEmissions") {
            if d.child("SpecificEmbeddedEmissions").is_none() {
                out.push(finding("XQ014", Severity::Error, &format!("{ep}/DirectEmissions/SpecificEmbeddedEmissions"), d.line, format!("{ep}/DirectEmissions/SpecificEmbeddedEmissions: missing; goods other than electricity report specific direct embedded emissions")));
            }
        }
    }
    produced
}

/// [32, 34] the installation: with its operator, in the production country.
fn check_installation(out: &mut Vec<Finding>, e: &Node, ep: &str) {
    let Some(inst) = e.child("Installation") else {
        return;
    };
    if e.child("InstallationOperator").is_none() {
        out.push(finding("XQ019", Severity::Warning, &format!("{ep}/InstallationOperator"), inst.line, format!("{ep}: an Installation without its InstallationOperator; the registry links every installation to an operator")));
    }
    let est = inst.text_at("Address/EstablishmentCountry");
    let prod = e.text_at("ProductionCountry");
    if let (Some(est), Some(prod)) = (est, prod) {
        if est != prod {
            out.push(
                finding("XQ019", Severity::Warning, &format!("{ep}/ProductionCountry"), e.line, format!("{ep}/ProductionCountry: {prod:?}, but the installation is established in {est:?}"))
                    .found(prod)
                    .expected(est),
            );
        }
    }
}

/// Direct or indirect emissions at `kp`: [46] their unit, [35, 36] their determination type.
fn check_emissions(out: &mut Vec<Finding>, em: &Node, kp: &str, era: Era) {
    if let Some(u) = em.child("MeasurementUnit") {
        if u.text.trim() != UNIT_EMISSIONS {
            out.push(
                finding("XQ012", Severity::Error, &format!("{kp}/MeasurementUnit"), u.line, format!("{kp}/MeasurementUnit: {:?}; emissions are reported in {UNIT_EMISSIONS} (tCO2e per tonne)", u.text.trim()))
                    .found(u.text.trim())
                    .expected(UNIT_EMISSIONS),
            );
        }
    }
    let Some(d) = em.child("DeterminationType") else {
        return;
    };
    let t = d.text.trim();
    let dp = format!("{kp}/DeterminationType");
    if !matches!(t, "01" | "02" | "03") {
        out.push(
            finding("XQ013", Severity::Error, &dp, d.line, format!("{dp}: {t:?} is not a determination type (01 actual data, 02 default values, 03 actual data not available)"))
                .found(t)
                .expected("01, 02 or 03"),
        );
    } else if t == "02" && era.from_q3_2024 {
        out.push(
            finding("XQ013", Severity::Error, &dp, d.line, format!("{dp}: 02 (default values) is accepted only for Q4 2023 – Q2 2024; from Q3 2024 actual data is required (estimates only within the 20 % of complex goods' inputs)"))
                .found(t)
                .expected("01 or 03"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_statuses_serialise_as_the_validate_json_lists_them() {
        let skipped = ["XQ011".to_string()];
        let got = rule_statuses(&[], &[], &skipped);
        assert_eq!(got.len(), RULES.len());
        assert_eq!(got[1].status, "skipped");
        assert_eq!(got[0].status, "passed");
        let (id, check) = RULES[0];
        let by_hand =
            serde_json::json!({"id": id, "check": check, "status": "passed", "findings": 0usize});
        assert_eq!(
            serde_json::to_string_pretty(&got[0]).unwrap(),
            serde_json::to_string_pretty(&by_hand).unwrap()
        );
    }
}
