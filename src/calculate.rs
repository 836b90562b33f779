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
    let sector = s.sector();
    let produced = sup.cn_codes_produced.contains(&s.cn);
    let candidate: Result<&SupplierActual, (&'static str, String)> = match policy.supplier_matching {
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
    };
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
    if let Some(max_age) = policy.stale_after_years {
        let oldest = s.import_date.year - max_age as i32;
        let stale = match actual.reporting_year {
            Some(y) => (y < oldest).then(|| format!(
                "supplier {id}'s actual data is for {y}, more than {max_age} years before {}; not used (policy stale_after_years: {max_age})",
                s.import_date.year
            )),
            None => Some(format!(
                "supplier {id}'s actual data has no reporting_year, so its age cannot be checked; not used (policy stale_after_years: {max_age})"
            )),
        };
        if let Some(m) = stale {
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
    }
    if policy.require_verified && actual.verified != Some(true) {
        let m = format!("supplier {id}'s actual data is not marked verified; not used (policy require_verified: true)");
        reasons.push(m.as_str().into());
        findings.push(warn("CA010", m));
        return None;
    }
    let mut r = Vec::new();
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
    Some(ActualChoice {
        actual: actual.clone(),
        supplier: id.to_string(),
        reasons: r,
    })
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

fn calculate_one(s: Shipment, ctx: &Calculator<'_>) -> (Result<Line, RejectedRow>, Vec<Finding>) {
    let (refdata, file) = (ctx.refdata, ctx.file);
    let mut findings = Vec::new();
    let mut reasons: Vec<Arc<str>> = Vec::new();
    let mut departures: Vec<Arc<str>> = Vec::new();
    // The common case (no supplier step): the cached trail is shared, not copied.
    let mut shared_reasons: Option<Arc<[Arc<str>]>> = None;
    let mut shared_departures: Option<Arc<[Arc<str>]>> = None;
    let rounding = refdata.policy.rounding;
    let period = Period::of(s.import_date);

    if let (Period::Definitive, Err(v)) = (period, s.taric_suffix()) {
        findings.push(
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
        );
    }
    let actual = if s.wants_actuals {
        try_actuals(
            &s,
            refdata,
            &mut findings,
            &mut reasons,
            &mut departures,
            file,
        )
    } else {
        None
    };

    let (method, factor, markup) = match actual {
        Some(a) => {
            reasons.extend(a.reasons);
            let f = EmissionFactor {
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
            };
            (Method::ActualData, Arc::new(f), None)
        }
        None => match ctx.cache.get(&default_key(&s)).and_then(|c| c.as_ref()) {
            Some(choice) => {
                if reasons.is_empty() {
                    shared_reasons = Some(choice.reasons.clone());
                } else {
                    reasons.extend(choice.reasons.iter().cloned());
                }
                for (code, message) in choice.notes.iter() {
                    findings.push(
                        Finding::new(code, Severity::Warning, message.to_string())
                            .file(file)
                            .at_row(&s.row)
                            .field(if *code == "DV004" {
                                "taric_code"
                            } else {
                                "cn_code"
                            }),
                    );
                }
                if choice.total_only {
                    findings.push(
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
                if let FactorTable::Eu(_) = refdata.factors {
                    if departures.is_empty() {
                        shared_departures = Some(ctx.eu_departure.clone());
                    } else {
                        departures.extend(ctx.eu_departure.iter().cloned());
                    }
                }
                (Method::DefaultValues, choice.factor.clone(), choice.markup)
            }
            None => {
                let table = match (&refdata.factors, period) {
                    (FactorTable::User(u), _) => format!("the factor file {}", u.file_name),
                    (FactorTable::Eu(_), Period::Transitional) => {
                        "the EU transitional default values".to_string()
                    }
                    (FactorTable::Eu(_), Period::Definitive) => {
                        "the EU default values (definitive period)".to_string()
                    }
                };
                let f = Finding::new(
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
                .found(s.row.get(Col::CnCode));
                let rej = RejectedRow {
                    file: None,
                    row: s.row.row,
                    line: s.row.line,
                    shipment_id: Some(s.row.get(Col::ShipmentId).to_string()),
                    status: "rejected",
                    codes: vec!["CA006"],
                };
                findings.push(f);
                return (Err(rej), findings);
            }
        },
    };

    // Arithmetic. Checked: a hostile mass must not overflow into a panic.
    let overflow = |findings: &mut Vec<Finding>| {
        findings.push(
            Finding::new(
                "IN008",
                Severity::Error,
                "net_mass_kg is too large to calculate with".to_string(),
            )
            .file(file)
            .at_row(&s.row)
            .field("net_mass_kg")
            .expected("a realistic mass in kilograms")
            .found(s.row.get(Col::NetMassKg)),
        );
        RejectedRow {
            file: None,
            row: s.row.row,
            line: s.row.line,
            shipment_id: Some(s.row.get(Col::ShipmentId).to_string()),
            status: "rejected",
            codes: vec!["IN008"],
        }
    };
    let mass_t = s.net_mass_kg / Decimal::ONE_THOUSAND;
    // Electricity's factor is per MWh and its quantity energy (mass 0): never kilograms.
    let quantity = match s.quantity_mwh {
        Some(mwh) => {
            reasons
                .push(format!("electricity: {mwh} MWh (quantity_mwh) × the factor per MWh").into());
            mwh
        }
        None => mass_t,
    };
    let (Some(d_raw), Some(i_raw), Some(t_raw)) = (
        quantity.checked_mul(factor.direct),
        quantity.checked_mul(factor.indirect),
        quantity.checked_mul(factor.total),
    ) else {
        let r = overflow(&mut findings);
        return (Err(r), findings);
    };
    let direct = rounding.line(d_raw);
    // Annex II goods (iron and steel, aluminium, hydrogen, electricity) carry no indirect
    // emissions in the definitive period, whatever the factor states.
    let annex_ii_definitive = period == Period::Definitive && s.annex_ii();
    let indirect = if annex_ii_definitive && !i_raw.is_zero() {
        reasons.push(
            "Annex II good: indirect emissions do not count in the definitive period (indirect set to 0)".into(),
        );
        rounding.line(Decimal::ZERO)
    } else {
        rounding.line(i_raw)
    };
    let total = if period == Period::Definitive && method == Method::DefaultValues {
        // Definitive defaults: the table's total times (1 + mark-up) is what counts.
        let m = Decimal::ONE + markup.unwrap_or(Decimal::ZERO);
        let base = if annex_ii_definitive { d_raw } else { t_raw };
        match base.checked_mul(m) {
            Some(v) => rounding.line(v),
            None => {
                let r = overflow(&mut findings);
                return (Err(r), findings);
            }
        }
    } else if annex_ii_definitive {
        direct
    } else {
        direct + indirect
    };
    let line = Line {
        mass_tonnes: mass_t,
        method,
        factor,
        markup,
        direct,
        indirect,
        total,
        reasons: match shared_reasons {
            Some(r) if reasons.is_empty() => r,
            Some(r) => r.iter().cloned().chain(reasons).collect(),
            None => reasons.into(),
        },
        departures: shared_departures.unwrap_or_else(|| departures.into()),
        shipment: s,
    };
    (Ok(line), findings)
}
