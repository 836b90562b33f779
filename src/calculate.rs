//! Calculate: choose a factor for each shipment (supplier actuals → EU default → rejected),
//! then multiply, in exact decimals, rounding once per value as the policy says.

use crate::model::{
    Col, EmissionFactor, Finding, Line, Method, Period, RejectedRow, Sector, Severity, Shipment,
};
use crate::reference::factors::DefaultChoice;
use crate::reference::policy::SupplierMatching;
use crate::reference::suppliers::{Supplier, SupplierActual};
use crate::reference::{FactorTable, ReferenceData};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

/// What decides a default value: the same key always gives the same choice, so each is
/// looked up once per run, not once per shipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct DefaultKey {
    cn: crate::model::CnCode,
    period: Period,
    /// Origin, year and TARIC suffix matter only in the definitive period.
    origin: [u8; 2],
    taric: Option<[u8; 2]>,
    year: i32,
    sector: Option<Sector>,
}

fn default_key(s: &Shipment) -> DefaultKey {
    let period = Period::of(s.import_date);
    match period {
        Period::Transitional => DefaultKey {
            cn: s.cn,
            period,
            origin: [0, 0],
            taric: None,
            year: 0,
            sector: None,
        },
        Period::Definitive => DefaultKey {
            cn: s.cn,
            period,
            origin: s.origin_bytes(),
            taric: s.taric_suffix().ok().flatten(),
            year: s.import_date.year,
            sector: s.sector(),
        },
    }
}

type Cache = HashMap<DefaultKey, Option<DefaultChoice>>;

/// Calculates shipments one at a time (a chunk's shipments stream through it; chunks run in
/// parallel). Default-value choices are memoised per key.
pub struct Calculator<'a> {
    refdata: &'a ReferenceData,
    file: &'a str,
    cache: Cache,
    eu_departure: Arc<[Arc<str>]>,
}

impl<'a> Calculator<'a> {
    pub fn new(refdata: &'a ReferenceData, file: &'a str) -> Self {
        let eu_departure: Arc<[Arc<str>]> = Arc::from(vec![Arc::<str>::from(
            "EU default value, not the production system's demo factor table (IEA/WSA/IAI/IPCC figures)",
        )]);
        Calculator {
            refdata,
            file,
            cache: Cache::default(),
            eu_departure,
        }
    }

    /// The line for a shipment, or its rejection; findings go to `out`.
    pub fn line(&mut self, s: Shipment, out: &mut Vec<Finding>) -> Result<Line, RejectedRow> {
        let k = default_key(&s);
        if !self.cache.contains_key(&k) {
            let choice = default_factor(&k, self.refdata);
            self.cache.insert(k, choice);
        }
        let (result, findings) = calculate_one(s, self);
        out.extend(findings);
        result
    }
}

/// The outcome of trying supplier actuals.
struct ActualChoice {
    actual: SupplierActual,
    supplier: String,
    reasons: Vec<Arc<str>>,
}

fn try_actuals(
    s: &Shipment,
    refdata: &ReferenceData,
    findings: &mut Vec<Finding>,
    reasons: &mut Vec<Arc<str>>,
    departures: &mut Vec<Arc<str>>,
    file: &str,
) -> Option<ActualChoice> {
    let policy = &refdata.policy;
    let warn = |code: &'static str, msg: String| {
        Finding::new(code, Severity::Warning, msg)
            .file(file)
            .at_row(&s.row)
            .field("supplier_id")
    };
    let Some(id) = s.supplier_id.as_deref() else {
        let m = "has_actual_emissions is YES but supplier_id is empty; EU default value used"
            .to_string();
        reasons.push(m.as_str().into());
        findings.push(warn("CA001", m).expected("a supplier_id"));
        return None;
    };
    let Some(sup) = refdata.suppliers.get(id) else {
        let m = match &refdata.suppliers.file_name {
            Some(f) => format!("supplier {id} is not in {f}; EU default value used"),
            None => format!("supplier {id}: no supplier profiles were given (--suppliers); EU default value used"),
        };
        reasons.push(m.as_str().into());
        findings.push(warn("CA002", m).found(id));
        return None;
    };
    if !sup.by_cn.contains_key(&s.cn) && sup.ambiguous_cn.contains(&s.cn) {
        let m = format!(
            "supplier {id}'s Communication template lists CN {} under two production processes with different SEE; which one made this shipment is unknown, so neither is used; EU default value used",
            s.cn.spaced()
        );
        reasons.push(m.as_str().into());
        findings.push(warn("CA012", m).found(id));
        return None;
    }
    let candidate = match_actual((s, id), sup, policy.supplier_matching, reasons);
    let actual = match candidate {
        Ok(a) => a,
        Err((code, msg)) => {
            if code == "CA004" {
                if let Some(g) = &sup.general {
                    departures.push(Arc::from(format!(
                        "the production system would have applied supplier {id}'s actuals ({} direct / {} indirect tCO2e/t) to this good without checking what the supplier produces",
                        g.direct, g.indirect
                    )));
                }
            }
            reasons.push(msg.as_str().into());
            findings.push(warn(code, msg).found(id));
            return None;
        }
    };
    if let Some(m) = policy
        .stale_after_years
        .and_then(|max_age| stale_reason(s, actual, id, max_age))
    {
        departures.push(Arc::from(format!("the production system does not check data age and would have used supplier {id}'s actuals")));
        reasons.push(m.as_str().into());
        findings.push(
            warn("CA005", m).found(
                &actual
                    .reporting_year
                    .map(|y| y.to_string())
                    .unwrap_or_default(),
            ),
        );
        return None;
    }
    if policy.require_verified && actual.verified != Some(true) {
        let m = format!("supplier {id}'s actual data is not marked verified; not used (policy require_verified: true)");
        reasons.push(m.as_str().into());
        findings.push(warn("CA010", m));
        return None;
    }
    if let Some((m, expected, found)) = inconsistent_total(actual, id) {
        reasons.push(m.as_str().into());
        findings.push(warn("CA013", m).expected(expected).found(&found));
    }
    let r = actual_trail(sup, actual, id);
    Some(ActualChoice {
        actual: actual.clone(),
        supplier: id.to_string(),
        reasons: r,
    })
}

/// CA013: the message, expected and found when the supplier's direct + indirect is not its
/// stated total (the line uses direct and indirect, its total their sum).
fn inconsistent_total(actual: &SupplierActual, id: &str) -> Option<(String, String, String)> {
    let stated = actual.total_mismatch()?;
    let sum = actual.direct + actual.indirect; // both within ±MAX_FACTOR: no overflow
    let m = format!(
        "supplier {id}'s actuals{} are inconsistent: direct {} + indirect {} = {sum}, but the stated total is {stated}; direct and indirect are used (the line's total is their sum), check the figures with the supplier",
        actual.cn.map(|c| format!(" for CN {}", c.spaced())).unwrap_or_default(),
        actual.direct,
        actual.indirect,
    );
    Some((m, format!("a total of {sum}"), stated.to_string()))
}

/// The supplier's actuals that fit the shipment under the matching policy, or why none do
/// (CA003 no data, CA004 not produced).
fn match_actual<'s>(
    (s, id): (&Shipment, &str),
    sup: &'s Supplier,
    matching: SupplierMatching,
    reasons: &mut Vec<Arc<str>>,
) -> Result<&'s SupplierActual, (&'static str, String)> {
    let sector = s.sector();
    let produced = sup.cn_codes_produced.contains(&s.cn);
    match matching {
        SupplierMatching::CnCode => match (sup.by_cn.get(&s.cn), &sup.general) {
            (Some(a), _) => Ok(a),
            (None, Some(g)) if produced => Ok(g),
            (None, None) if sup.by_cn.is_empty() => Err(("CA003", no_data(sup))),
            _ => Err((
                "CA004",
                format!(
                    "supplier {id} ({}) does not produce CN {} (cn_codes_produced: {}); its actuals are not used (policy supplier_matching: cn_code)",
                    sup.name,
                    s.cn.spaced(),
                    list_codes(sup)
                ),
            )),
        },
        SupplierMatching::ProductGroup => match (sup.by_cn.get(&s.cn), &sup.general) {
            (Some(a), _) => Ok(a),
            (None, Some(g)) if sector.is_some_and(|x| sup.sectors.contains(&x)) => Ok(g),
            (None, None) if sup.by_cn.is_empty() => Err(("CA003", no_data(sup))),
            _ => Err((
                "CA004",
                format!(
                    "supplier {id} ({}) produces {} but the shipment is {}; its actuals are not used (policy supplier_matching: product_group)",
                    sup.name,
                    sup.sectors.iter().map(|x| x.product_group()).collect::<Vec<_>>().join(", "),
                    sector.map(|x| x.product_group()).unwrap_or("not a CBAM good")
                ),
            )),
        },
        SupplierMatching::None => match (sup.by_cn.get(&s.cn), &sup.general) {
            (Some(a), _) => Ok(a),
            (None, Some(g)) => {
                if !produced {
                    reasons.push(Arc::from(format!(
                        "supplier {id} does not list CN {} among the codes it produces; its actuals are used anyway (policy supplier_matching: none)",
                        s.cn.spaced()
                    )));
                }
                Ok(g)
            }
            (None, None) => Err(("CA003", no_data(sup))),
        },
    }
}

/// Why the actuals are too old (or of unknown age) for `stale_after_years`, if they are.
fn stale_reason(s: &Shipment, actual: &SupplierActual, id: &str, max_age: u32) -> Option<String> {
    let oldest = s.import_date.year - max_age as i32;
    match actual.reporting_year {
        Some(y) => (y < oldest).then(|| format!(
            "supplier {id}'s actual data is for {y}, more than {max_age} years before {}; not used (policy stale_after_years: {max_age})",
            s.import_date.year
        )),
        None => Some(format!(
            "supplier {id}'s actual data has no reporting_year, so its age cannot be checked; not used (policy stale_after_years: {max_age})"
        )),
    }
}

/// The trail of supplier actuals used: where they were read and what they are.
fn actual_trail(sup: &Supplier, actual: &SupplierActual, id: &str) -> Vec<Arc<str>> {
    let mut r: Vec<Arc<str>> = Vec::new();
    if let Some(o) = &actual.origin {
        r.push(Arc::from(format!("supplier actuals read from {o}")));
    }
    r.push(Arc::from(format!(
        "supplier actuals: {id} ({}){}, reporting year {}, data quality {}, {}",
        sup.name,
        match actual.cn {
            Some(c) => format!(", per-CN entry for {}", c.spaced()),
            None => String::new(),
        },
        actual
            .reporting_year
            .map(|y| y.to_string())
            .unwrap_or_else(|| "not stated".into()),
        actual.data_quality,
        match actual.verified {
            Some(true) => "verified",
            Some(false) => "NOT verified",
            None => "verification not stated",
        }
    )));
    r
}

fn no_data(sup: &Supplier) -> String {
    format!(
        "supplier {} ({}) has no actual emissions data; EU default value used",
        sup.id, sup.name
    )
}

fn list_codes(sup: &Supplier) -> String {
    if sup.cn_codes_produced.is_empty() {
        "none listed".into()
    } else {
        sup.cn_codes_produced
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn default_factor(k: &DefaultKey, refdata: &ReferenceData) -> Option<DefaultChoice> {
    match &refdata.factors {
        FactorTable::User(u) => u.lookup(&k.cn),
        FactorTable::Eu(t) => match k.period {
            Period::Transitional => t.transitional(&k.cn),
            Period::Definitive => {
                let origin = std::str::from_utf8(&k.origin).unwrap_or("");
                let date = crate::model::Date {
                    year: k.year,
                    month: 1,
                    day: 1,
                };
                let taric = k.taric.as_ref().and_then(|t| std::str::from_utf8(t).ok());
                t.definitive_taric(&k.cn, taric, origin, date, k.sector?)
            }
        },
    }
}

/// DV002: a `taric_code` that is not 10 digits starting with the CN code (definitive period).
fn taric_warning(s: &Shipment, file: &str) -> Option<Finding> {
    let Err(v) = s.taric_suffix() else {
        return None;
    };
    Some(
        Finding::new(
            "DV002",
            Severity::Warning,
            format!(
                "taric_code {:?} is not 10 digits starting with CN {}; it is ignored",
                crate::model::truncate_for_message(v),
                s.cn.as_str()
            ),
        )
        .file(file)
        .at_row(&s.row)
        .field("taric_code")
        .expected("10 digits starting with the CN code")
        .found(v),
    )
}

fn actual_factor(a: &ActualChoice) -> EmissionFactor {
    EmissionFactor {
        id: match a.actual.cn {
            Some(c) => format!("SUP:{}:{}", a.supplier, c),
            None => format!("SUP:{}", a.supplier),
        },
        direct: a.actual.direct,
        indirect: a.actual.indirect,
        total: a.actual.total,
        matched_code: a
            .actual
            .cn
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
        description: String::new(),
        source: a.actual.source.clone(),
        label: format!(
            "Supplier {} actual data ({} quality)",
            a.supplier, a.actual.data_quality
        ),
        confidence: "supplier".into(),
        data_quality: a.actual.data_quality.clone(),
        route: String::new(),
    }
}

/// The warnings a default value carries to each row it serves (DV004/DV005, CA008).
fn default_value_findings(
    choice: &DefaultChoice,
    s: &Shipment,
    file: &str,
    out: &mut Vec<Finding>,
) {
    for (code, message) in choice.notes.iter() {
        let field = if *code == "DV004" {
            "taric_code"
        } else {
            "cn_code"
        };
        out.push(
            Finding::new(code, Severity::Warning, message.to_string())
                .file(file)
                .at_row(&s.row)
                .field(field),
        );
    }
    if choice.total_only {
        out.push(
            Finding::new(
                "CA008",
                Severity::Warning,
                format!(
                    "the default value for CN {} ({}) gives only a total ({}); it is reported as direct emissions with indirect 0",
                    s.cn.spaced(),
                    choice.factor.matched_code,
                    choice.factor.total
                ),
            )
            .file(file)
            .at_row(&s.row)
            .field("cn_code"),
        );
    }
}

fn rejection(s: &Shipment, code: &'static str) -> RejectedRow {
    RejectedRow {
        file: None,
        row: s.row.row,
        line: s.row.line,
        shipment_id: Some(s.row.get(Col::ShipmentId).to_string()),
        status: "rejected",
        codes: vec![code],
    }
}

/// CA006: no factor for the code in the table that applies.
fn no_factor(s: &Shipment, refdata: &ReferenceData, period: Period, file: &str) -> Finding {
    let table = match (&refdata.factors, period) {
        (FactorTable::User(u), _) => format!("the factor file {}", u.file_name),
        (FactorTable::Eu(_), Period::Transitional) => {
            "the EU transitional default values".to_string()
        }
        (FactorTable::Eu(_), Period::Definitive) => {
            "the EU default values (definitive period)".to_string()
        }
    };
    Finding::new(
        "CA006",
        Severity::Error,
        format!(
            "no emission factor for CN {} in {table}; the row is not calculated",
            s.cn.spaced()
        ),
    )
    .file(file)
    .at_row(&s.row)
    .field("cn_code")
    .expected("a CN code with a default value or usable supplier actuals")
    .found(s.row.get(Col::CnCode))
}

/// IN008: the figures overflow (a hostile mass must not panic).
fn overflow(s: &Shipment, file: &str) -> Finding {
    Finding::new(
        "IN008",
        Severity::Error,
        "net_mass_kg is too large to calculate with".to_string(),
    )
    .file(file)
    .at_row(&s.row)
    .field("net_mass_kg")
    .expected("a realistic mass in kilograms")
    .found(s.row.get(Col::NetMassKg))
}

/// A shared list of trail texts.
type Texts = Arc<[Arc<str>]>;

/// A line's trail: the cached default-value trail is shared, not copied, in the common case.
#[derive(Default)]
struct Trail {
    reasons: Vec<Arc<str>>,
    departures: Vec<Arc<str>>,
    shared_reasons: Option<Texts>,
    shared_departures: Option<Texts>,
}

impl Trail {
    fn share(&mut self, choice: &DefaultChoice, eu_departure: Option<&Texts>) {
        if self.reasons.is_empty() {
            self.shared_reasons = Some(choice.reasons.clone());
        } else {
            self.reasons.extend(choice.reasons.iter().cloned());
        }
        if let Some(d) = eu_departure {
            if self.departures.is_empty() {
                self.shared_departures = Some(d.clone());
            } else {
                self.departures.extend(d.iter().cloned());
            }
        }
    }

    fn finish(self) -> (Texts, Texts) {
        let reasons = match self.shared_reasons {
            Some(r) if self.reasons.is_empty() => r,
            Some(r) => r.iter().cloned().chain(self.reasons).collect(),
            None => self.reasons.into(),
        };
        let departures = self
            .shared_departures
            .unwrap_or_else(|| self.departures.into());
        (reasons, departures)
    }
}

/// Direct, indirect and total of a line, rounded once each; `None` on overflow. Annex II goods
/// (iron and steel, aluminium, hydrogen, electricity) carry no indirect emissions in the
/// definitive period, whatever the factor states; definitive default values count the
/// table's total times (1 + mark-up).
fn figures(
    quantity: Decimal,
    (factor, method, markup): (&EmissionFactor, Method, Option<Decimal>),
    (period, annex_ii_definitive): (Period, bool),
    rounding: &crate::reference::policy::Rounding,
    reasons: &mut Vec<Arc<str>>,
) -> Option<(Decimal, Decimal, Decimal)> {
    let d_raw = quantity.checked_mul(factor.direct)?;
    let i_raw = quantity.checked_mul(factor.indirect)?;
    let t_raw = quantity.checked_mul(factor.total)?;
    let direct = rounding.line(d_raw);
    let indirect = if annex_ii_definitive && !i_raw.is_zero() {
        reasons.push(
            "Annex II good: indirect emissions do not count in the definitive period (indirect set to 0)".into(),
        );
        rounding.line(Decimal::ZERO)
    } else {
        rounding.line(i_raw)
    };
    let total = if period == Period::Definitive && method == Method::DefaultValues {
        let m = Decimal::ONE + markup.unwrap_or(Decimal::ZERO);
        let base = if annex_ii_definitive { d_raw } else { t_raw };
        rounding.line(base.checked_mul(m)?)
    } else if annex_ii_definitive {
        direct
    } else {
        direct + indirect
    };
    Some((direct, indirect, total))
}

fn calculate_one(s: Shipment, ctx: &Calculator<'_>) -> (Result<Line, RejectedRow>, Vec<Finding>) {
    let (refdata, file) = (ctx.refdata, ctx.file);
    let mut findings = Vec::new();
    let mut trail = Trail::default();
    let period = Period::of(s.import_date);
    if period == Period::Definitive {
        findings.extend(taric_warning(&s, file));
    }
    let actual = if s.wants_actuals {
        let (f, r, d) = (&mut findings, &mut trail.reasons, &mut trail.departures);
        try_actuals(&s, refdata, f, r, d, file)
    } else {
        None
    };
    let (method, factor, markup) = match actual {
        Some(a) => {
            let f = actual_factor(&a);
            trail.reasons.extend(a.reasons);
            (Method::ActualData, Arc::new(f), None)
        }
        None => match ctx.cache.get(&default_key(&s)).and_then(|c| c.as_ref()) {
            Some(choice) => {
                trail.share(
                    choice,
                    matches!(refdata.factors, FactorTable::Eu(_)).then_some(&ctx.eu_departure),
                );
                default_value_findings(choice, &s, file, &mut findings);
                (Method::DefaultValues, choice.factor.clone(), choice.markup)
            }
            None => {
                findings.push(no_factor(&s, refdata, period, file));
                return (Err(rejection(&s, "CA006")), findings);
            }
        },
    };
    let mass_t = s.net_mass_kg / Decimal::ONE_THOUSAND;
    // Electricity's factor is per MWh and its quantity energy (mass 0): never kilograms.
    let quantity = match s.quantity_mwh {
        Some(mwh) => {
            trail
                .reasons
                .push(format!("electricity: {mwh} MWh (quantity_mwh) × the factor per MWh").into());
            mwh
        }
        None => mass_t,
    };
    let annex_ii_definitive = period == Period::Definitive && s.annex_ii();
    let rounding = &refdata.policy.rounding;
    let Some((direct, indirect, total)) = figures(
        quantity,
        (&factor, method, markup),
        (period, annex_ii_definitive),
        rounding,
        &mut trail.reasons,
    ) else {
        findings.push(overflow(&s, file));
        return (Err(rejection(&s, "IN008")), findings);
    };
    let (reasons, departures) = trail.finish();
    let line = Line {
        mass_tonnes: mass_t,
        method,
        factor,
        markup,
        direct,
        indirect,
        total,
        reasons,
        departures,
        shipment: s,
    };
    (Ok(line), findings)
}
