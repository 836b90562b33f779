//! Obligation (definitive period, 2026 onward): from the calculated lines to CBAM
//! certificates. Per good (quarter × CN code × origin × method):
//!
//! ```text
//! gross     = Σ line totals (embedded emissions, default values with their mark-up)
//! FAA       = CBAM factor(year) × CSCF × benchmark × mass      (Column B for default values,
//!                                                               Column A for actual data; 0 for electricity)
//! deduction = gross × carbon price paid / certificate price     (Art. 9, only with --carbon-prices)
//! net       = max(0, gross − FAA − deduction)                   (0 for goods exempt under de minimis)
//! cost      = net × certificate price of the quarter of import
//! ```
//!
//! tCO2e figures are rounded like lines (policy `line_decimals`), euros to cents; the
//! certificates to surrender are the year's net emissions rounded **up** to a whole certificate.
//! The stage only sums per good, never per row, so chunks merge exactly.

use crate::model::{CnCode, Finding, Line, Method, Period, Quarter, Sector, Severity};
use crate::reference::obligation::{BenchmarkChoice, CarbonPrice, ObligationRef};
use crate::reference::policy::{fixed, Rounding};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap as HashMap;
use std::collections::BTreeMap;

use crate::report::obligation::*;

/// Art. 2a de minimis: net mass per importer and calendar year, in tonnes.
pub const DE_MINIMIS_TONNES: Decimal = Decimal::from_parts(50, 0, 0, false, 0);

/// Sectors whose mass counts towards the de minimis threshold (hydrogen and electricity do not).
pub fn counts_for_de_minimis(s: Sector) -> bool {
    matches!(
        s,
        Sector::IronSteel | Sector::Aluminium | Sector::Fertilisers | Sector::Cement
    )
}

/// A good. The route is not part of it: the default value, and so its route, follows from the
/// CN code (with its TARIC suffix, when given), origin and year (actual data and user factor
/// files carry none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Key {
    quarter: Quarter,
    cn: CnCode,
    taric: Option<[u8; 2]>,
    origin: [u8; 2],
    method: Method,
}

#[derive(Debug, Clone, Default)]
struct Agg {
    sector: Option<Sector>,
    /// The production route of the default-value table row, or empty.
    route: String,
    /// The default-value table's code, when it is a TARIC line the shipments did not name
    /// (the residual line was taken by rule).
    taric_assumed: Option<String>,
    /// Shipments of the good that named no TARIC code (those DV001 speaks of).
    assumed_count: u64,
    count: u64,
    mass: Decimal,
    gross: Decimal,
    /// Embedded emissions without the default-value mark-up, unrounded (for the quarterly
    /// holding, Art. 22(2)): mass × table value for default values, the line total otherwise.
    unmarked: Decimal,
}

/// Per-good sums of definitive-period lines (transitional lines are not counted).
#[derive(Debug, Default)]
pub struct Tally {
    goods: HashMap<Key, Agg>,
}

impl Tally {
    pub fn add(&mut self, l: &Line) {
        if Period::of(l.shipment.import_date) != Period::Definitive {
            return;
        }
        // The TARIC line of the default value used, not the one the shipment named: an
        // unknown TARIC code (DV004) takes the residual line and must not split the good.
        let line = l.factor.matched_code.as_bytes();
        let taric =
            (l.method == Method::DefaultValues && line.len() == 10).then(|| [line[8], line[9]]);
        let key = Key {
            quarter: l.shipment.quarter,
            cn: l.shipment.cn,
            origin: l.shipment.origin_bytes(),
            method: l.method,
            taric,
        };
        let a = self.goods.entry(key).or_insert_with(|| Agg {
            // One good, one CN code: its sector is set once.
            sector: l.shipment.sector(),
            route: l.factor.route.clone(),
            ..Agg::default()
        });
        a.count += 1;
        // The residual line (…90) taken because no TARIC code was given (a code with a single
        // TARIC line, 2507 00 80 80, involves no choice); the row's columns are searched only
        // for such lines.
        if taric == Some(*b"90") && l.shipment.taric_suffix().ok().flatten().is_none() {
            a.assumed_count += 1;
            if a.taric_assumed.is_none() {
                a.taric_assumed = Some(l.factor.matched_code.clone());
            }
        }
        a.mass += l.mass_tonnes;
        a.gross += l.total;
        a.unmarked += match l.markup {
            Some(_) => {
                l.mass_tonnes
                    * if l.shipment.annex_ii() {
                        l.factor.direct
                    } else {
                        l.factor.total
                    }
            }
            None => l.total,
        };
    }

    pub fn merge(&mut self, o: Tally) {
        for (k, v) in o.goods {
            let a = self.goods.entry(k).or_default();
            a.sector = a.sector.or(v.sector);
            if a.route.is_empty() {
                a.route = v.route;
            }
            if a.taric_assumed.is_none() {
                a.taric_assumed = v.taric_assumed;
            }
            a.count += v.count;
            a.assumed_count += v.assumed_count;
            a.mass += v.mass;
            a.gross += v.gross;
            a.unmarked += v.unmarked;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.goods.is_empty()
    }
}

fn ceil_whole(v: Decimal) -> u64 {
    use rust_decimal::prelude::ToPrimitive;
    v.max(Decimal::ZERO).ceil().to_u64().unwrap_or(u64::MAX)
}

fn eur(v: Decimal) -> Decimal {
    fixed(v, 2, crate::reference::RoundingMode::HalfUp)
}

/// De minimis status of one year's tally, with its finding.
pub fn de_minimis(counted: Decimal, year: i32, r: &Rounding) -> (DeMinimis, Finding) {
    let share = fixed(
        counted * Decimal::ONE_HUNDRED / DE_MINIMIS_TONNES,
        1,
        r.mode,
    );
    let exempt = counted <= DE_MINIMIS_TONNES;
    let near = counted * Decimal::TEN > DE_MINIMIS_TONNES * Decimal::from(9);
    let f = if !exempt {
        Finding::new(
            "CO003",
            Severity::Info,
            format!("{year}: {counted} t of iron and steel, aluminium, fertilisers and cement is above the {DE_MINIMIS_TONNES} t de minimis threshold ({share} %): the whole year's imports are liable and need an authorised CBAM declarant"),
        )
    } else if near {
        Finding::new(
            "CO002",
            Severity::Warning,
            format!("{year}: {counted} t of iron and steel, aluminium, fertilisers and cement is {share} % of the {DE_MINIMIS_TONNES} t de minimis threshold; more imports this year would make the whole year liable"),
        )
    } else {
        Finding::new(
            "CO001",
            Severity::Info,
            format!("{year}: {counted} t of iron and steel, aluminium, fertilisers and cement is at or below the {DE_MINIMIS_TONNES} t de minimis threshold ({share} %): those goods are exempt (hydrogen and electricity never are)"),
        )
    };
    (
        DeMinimis {
            threshold_tonnes: DE_MINIMIS_TONNES,
            counted_mass_tonnes: counted,
            share_of_threshold_pct: share,
            status: if exempt { "exempt" } else { "liable" },
            excluded_sectors: ["hydrogen", "electricity"],
        },
        f,
    )
}

/// De minimis per year first: it decides which goods are exempt.
fn de_minimis_by_year(
    goods: &[(Key, Agg)],
    r: &Rounding,
    findings: &mut Vec<Finding>,
) -> BTreeMap<i32, DeMinimis> {
    let mut counted: BTreeMap<i32, Decimal> = BTreeMap::new();
    for (k, a) in goods {
        let e = counted.entry(k.quarter.year).or_insert(Decimal::ZERO);
        if a.sector.is_some_and(counts_for_de_minimis) {
            *e += a.mass;
        }
    }
    let mut dm = BTreeMap::new();
    for (&year, &mass) in &counted {
        let (d, f) = de_minimis(mass, year, r);
        findings.push(f);
        dm.insert(year, d);
    }
    dm
}

/// The benchmark chosen and the free-allocation adjustment of a good (0 for electricity, and
/// with CO004 when no benchmark is known).
fn free_allocation(
    k: &Key,
    a: &Agg,
    refs: &ObligationRef,
    r: &Rounding,
    findings: &mut Vec<Finding>,
) -> (Option<BenchmarkChoice>, Decimal) {
    if a.sector == Some(Sector::Electricity) {
        return (None, r.line(Decimal::ZERO));
    }
    let (cbam_factor, _) = refs.cbam_factor(k.quarter.year);
    match refs
        .benchmarks
        .choose(&k.cn, k.quarter.year, k.method, &a.route)
    {
        Ok(c) => {
            if let Some(m) = &c.ambiguous {
                findings.push(Finding::new("CO005", Severity::Warning, m.clone()));
            }
            if let Some(m) = &c.rule {
                findings.push(Finding::new("CO008", Severity::Info, m.clone()));
            }
            let faa = r.line(cbam_factor * crate::reference::obligation::CSCF * c.value * a.mass);
            (Some(c), faa)
        }
        Err(m) => {
            findings.push(Finding::new(
                "CO004",
                Severity::Warning,
                format!("{m}: no free-allocation adjustment is deducted for it (the certificates are not understated)"),
            ));
            (None, r.line(Decimal::ZERO))
        }
    }
}

/// The carbon price paid that may be deducted. Art. 9(1)-(3): a carbon price effectively paid
/// is deducted for actual emissions; goods declared with default values may only use the
/// Commission's default carbon prices (Art. 9(4)), and none has been published (CO007).
fn deductible_carbon_price<'r>(
    k: &Key,
    origin: &str,
    refs: &'r ObligationRef,
    findings: &mut Vec<Finding>,
) -> Option<&'r CarbonPrice> {
    match refs.carbon_price(origin, &k.cn, k.quarter.year) {
        Some(c) if k.method == Method::DefaultValues => {
            findings.push(Finding::new(
                "CO007",
                Severity::Warning,
                format!(
                    "carbon price paid for CN {} from {origin} ({}): not deducted for goods declared with default values; only the Commission's default carbon prices apply to them (Art. 9(4)) and none is published",
                    k.cn.spaced(),
                    c.evidence
                ),
            ));
            None
        }
        other => other,
    }
}

fn benchmark_route(c: &BenchmarkChoice) -> String {
    [c.route.as_str(), c.years.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ")
}

/// The obligation of one good, and its base for the quarterly holding (max(0, unmarked − FAA),
/// 0 when exempt). Quarters without a price are collected in `missing_price`.
fn good_obligation(
    (k, a): &(Key, Agg),
    exempt: bool,
    refs: &ObligationRef,
    r: &Rounding,
    findings: &mut Vec<Finding>,
    missing_price: &mut std::collections::BTreeSet<Quarter>,
) -> (GoodObligation, Decimal) {
    let (bm, faa) = free_allocation(k, a, refs, r, findings);
    let origin = String::from_utf8_lossy(&k.origin).into_owned();
    if let Some(line) = &a.taric_assumed {
        findings.push(Finding::new(
            "DV001",
            Severity::Warning,
            format!(
                "{} shipment(s) of CN {} from {origin} in {}: the default values split the code into TARIC lines and no taric_code was given; the residual line {line} is used",
                a.assumed_count,
                k.cn.spaced(),
                k.quarter
            ),
        ));
    }
    let price = refs.prices.get(&k.quarter);
    let cp = deductible_carbon_price(k, &origin, refs, findings);
    let after_faa = (a.gross - faa).max(Decimal::ZERO);
    let deduction = match (cp, price) {
        // Checked: a tiny certificate price would overflow the quotient, which is then
        // certainly above `after_faa`.
        (Some(c), Some(p)) => r.line(
            a.gross
                .checked_mul(c.eur_per_tco2e)
                .and_then(|x| x.checked_div(p.eur))
                .map_or(after_faa, |d| d.min(after_faa)),
        ),
        (Some(_), None) => {
            missing_price.insert(k.quarter);
            r.line(Decimal::ZERO)
        }
        _ => r.line(Decimal::ZERO),
    };
    let net = if exempt {
        r.line(Decimal::ZERO)
    } else {
        r.line((after_faa - deduction).max(Decimal::ZERO))
    };
    let holding_base = if exempt {
        Decimal::ZERO
    } else {
        (r.line(a.unmarked) - faa).max(Decimal::ZERO)
    };
    let cost = match price {
        Some(p) => Some(eur(net * p.eur)),
        None if net.is_zero() => Some(eur(Decimal::ZERO)),
        None => {
            missing_price.insert(k.quarter);
            None
        }
    };
    let good = GoodObligation {
        quarter: k.quarter.to_string(),
        cn_code: k.cn.as_str().to_string(),
        taric_code: k
            .taric
            .map(|t| format!("{}{}", k.cn.as_str(), String::from_utf8_lossy(&t))),
        origin_iso: origin,
        sector: a.sector.map(|s| s.as_str()).unwrap_or("").to_string(),
        method: k.method,
        shipment_count: a.count,
        mass_tonnes: a.mass,
        gross_emissions_tco2: r.line(a.gross),
        benchmark_cn_code: bm.as_ref().map(|c| c.cn_code.clone()),
        benchmark_column: bm.as_ref().map(|c| c.column),
        benchmark_route: bm.as_ref().map(benchmark_route).unwrap_or_default(),
        benchmark_choice: bm
            .as_ref()
            .and_then(|c| c.rule.clone().or_else(|| c.ambiguous.clone())),
        benchmark_tco2_per_tonne: bm.as_ref().map(|c| c.value),
        free_allocation_adjustment_tco2: faa,
        carbon_price_paid_eur_per_tco2e: cp.map(|c| c.eur_per_tco2e),
        carbon_price_evidence: cp.map(|c| c.evidence.clone()),
        carbon_price_deduction_tco2: deduction,
        de_minimis_exempt: exempt,
        net_emissions_tco2: net,
        estimated_cost_eur: cost,
    };
    (good, holding_base)
}

/// CO006 for each quarter whose goods could not be priced. The quarters priced come from the
/// table actually loaded (embedded and --certificate-prices).
fn missing_price_findings(
    missing: &std::collections::BTreeSet<Quarter>,
    refs: &ObligationRef,
    findings: &mut Vec<Finding>,
) {
    let known: Vec<String> = refs.prices.keys().map(|q| q.to_string()).collect();
    for q in missing {
        findings.push(Finding::new(
            "CO006",
            Severity::Warning,
            format!(
                "no CBAM certificate price is known for {q} (known: {}); the cost {} is not estimated: pass --certificate-prices FILE once the price is published",
                if known.is_empty() { "none".to_string() } else { known.join(", ") },
                if q.year == 2026 { "of goods imported in that quarter" } else { "at that quarter's price" }
            ),
        ));
    }
}

/// The quarters of a year that have goods, each with its sums, price, cost and (from 2027)
/// the holding requirement on the cumulative base since 1 January.
fn quarter_obligations(
    year: i32,
    goods: &[GoodObligation],
    holding_base: &[Decimal],
    refs: &ObligationRef,
) -> Vec<QuarterObligation> {
    let mut quarters = Vec::new();
    let mut cumulative = Decimal::ZERO;
    for q in 1..=4u8 {
        let quarter = Quarter { year, q };
        let qs = quarter.to_string();
        let gs: Vec<&GoodObligation> = goods.iter().filter(|g| g.quarter == qs).collect();
        if gs.is_empty() {
            continue;
        }
        let sum = |f: fn(&GoodObligation) -> Decimal| -> Decimal { gs.iter().map(|g| f(g)).sum() };
        cumulative += goods
            .iter()
            .zip(holding_base)
            .filter(|(g, _)| g.quarter == qs)
            .map(|(_, b)| *b)
            .sum::<Decimal>();
        let price = refs.prices.get(&quarter);
        quarters.push(QuarterObligation {
            quarter: qs,
            gross_emissions_tco2: sum(|g| g.gross_emissions_tco2),
            free_allocation_adjustment_tco2: sum(|g| g.free_allocation_adjustment_tco2),
            carbon_price_deduction_tco2: sum(|g| g.carbon_price_deduction_tco2),
            net_emissions_tco2: sum(|g| g.net_emissions_tco2),
            certificate_price_eur: price.map(|p| p.eur),
            price_source: price.map(|p| p.source.clone()),
            estimated_cost_eur: gs
                .iter()
                .map(|g| g.estimated_cost_eur)
                .sum::<Option<Decimal>>(),
            holding_requirement_certificates: (year >= 2027)
                .then(|| ceil_whole(cumulative / Decimal::TWO)),
        });
    }
    quarters
}

fn year_obligations(
    dm: &BTreeMap<i32, DeMinimis>,
    goods: &[GoodObligation],
    holding_base: &[Decimal],
    refs: &ObligationRef,
) -> Vec<YearObligation> {
    let mut years = Vec::new();
    for (&year, d) in dm {
        let (cbam_factor, src) = refs.cbam_factor(year);
        let quarters = quarter_obligations(year, goods, holding_base, refs);
        let ysum =
            |f: fn(&QuarterObligation) -> Decimal| -> Decimal { quarters.iter().map(f).sum() };
        let net = ysum(|q| q.net_emissions_tco2);
        years.push(YearObligation {
            year,
            cbam_factor,
            cbam_factor_source: src.to_string(),
            de_minimis: DeMinimis {
                threshold_tonnes: d.threshold_tonnes,
                counted_mass_tonnes: d.counted_mass_tonnes,
                share_of_threshold_pct: d.share_of_threshold_pct,
                status: d.status,
                excluded_sectors: d.excluded_sectors,
            },
            mass_tonnes: goods
                .iter()
                .filter(|g| g.quarter.starts_with(&year.to_string()))
                .map(|g| g.mass_tonnes)
                .sum(),
            gross_emissions_tco2: ysum(|q| q.gross_emissions_tco2),
            free_allocation_adjustment_tco2: ysum(|q| q.free_allocation_adjustment_tco2),
            carbon_price_deduction_tco2: ysum(|q| q.carbon_price_deduction_tco2),
            net_emissions_tco2: net,
            certificates: ceil_whole(net),
            estimated_cost_eur: quarters.iter().map(|q| q.estimated_cost_eur).sum(),
            quarters,
        });
    }
    years
}

/// Annual declaration summary: per year × CN code × origin.
fn declaration_summary(goods: &[GoodObligation]) -> Vec<DeclarationEntry> {
    let mut decl: BTreeMap<(i32, String, String), DeclarationEntry> = BTreeMap::new();
    for g in goods {
        let year: i32 = g.quarter.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0);
        let m = g.method.as_str();
        let e = decl
            .entry((year, g.cn_code.clone(), g.origin_iso.clone()))
            .or_insert_with(|| DeclarationEntry {
                year,
                cn_code: g.cn_code.clone(),
                origin_iso: g.origin_iso.clone(),
                sector: g.sector.clone(),
                method: m,
                mass_tonnes: Decimal::ZERO,
                embedded_emissions_tco2: Decimal::ZERO,
                certificates_tco2: Decimal::ZERO,
                estimated_cost_eur: Some(Decimal::ZERO),
            });
        if e.method != m {
            e.method = "mixed";
        }
        e.mass_tonnes += g.mass_tonnes;
        e.embedded_emissions_tco2 += g.gross_emissions_tco2;
        e.certificates_tco2 += g.net_emissions_tco2;
        e.estimated_cost_eur = match (e.estimated_cost_eur, g.estimated_cost_eur) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
    }
    decl.into_values().collect()
}

fn section_notes(refs: &ObligationRef, years: &[YearObligation]) -> Vec<String> {
    let mut notes = vec![
        "CSCF (cross-sectoral correction factor) 2026-2030 taken as 1.00: a working assumption (reported for Implementing Decision (EU) 2026/1862, not read)".to_string(),
        "benchmarks are the provisional 2026 values (IR (EU) 2025/2620, workbook of 6 Feb 2026); revised benchmarks are due for imports from 2027".to_string(),
        "the import year stands for the production year when a benchmark depends on it".to_string(),
        "de minimis counts the shipments in this report only; the threshold applies to all of the importer's imports in the calendar year".to_string(),
    ];
    if refs.carbon_prices.is_empty() {
        notes.push("no carbon price paid in the country of origin was given (--carbon-prices): no deduction".into());
    }
    if years.iter().any(|y| y.year >= 2027) {
        notes.push("from 2027 the certificate price is weekly; the cost is estimated at the quarterly price given in --certificate-prices".into());
    }
    notes
}

fn formula() -> Formula {
    Formula {
        gross: "Σ line totals (default values: table total × (1 + mark-up); Annex II goods direct only)",
        free_allocation_adjustment: "round(CBAM factor of the year × CSCF × benchmark × mass_t, line decimals); benchmark Column B for default values (route of the default-value table), Column A for actual data; 0 for electricity",
        carbon_price_deduction: "round(min(gross × carbon price paid / certificate price of the quarter, gross − FAA), line decimals); only with --carbon-prices, only for actual data",
        net: "max(0, gross − FAA − deduction), rounded to line decimals; 0 for goods exempt under de minimis",
        certificates: "ceil(Σ net of the year): 1 certificate = 1 tCO2e, whole certificates, rounded up",
        cost: "round(net × certificate price of the quarter of import, 2) per good, summed (EUR, half-up); 2026: the quarterly price of the quarter of import",
        quarterly_holding: "from 2027: ceil(50 % × Σ max(0, embedded emissions without the default-value mark-up − FAA) since 1 January) at the end of each quarter (Art. 22(2))",
        cscf: crate::reference::obligation::CSCF,
    }
}

/// The section, or `None` when no line is in the definitive period.
pub fn compute(
    tally: Tally,
    refs: &ObligationRef,
    r: &Rounding,
    findings: &mut Vec<Finding>,
) -> Option<CertificateObligation> {
    if tally.is_empty() {
        return None;
    }
    let mut goods: Vec<(Key, Agg)> = tally.goods.into_iter().collect();
    goods.sort_by_key(|a| a.0);
    let dm = de_minimis_by_year(&goods, r, findings);
    let mut out_goods = Vec::with_capacity(goods.len());
    let mut holding_base: Vec<Decimal> = Vec::with_capacity(goods.len());
    let mut missing_price: std::collections::BTreeSet<Quarter> = Default::default();
    for good in &goods {
        let (k, a) = good;
        let exempt = a.sector.is_some_and(counts_for_de_minimis)
            && dm
                .get(&k.quarter.year)
                .is_some_and(|d| d.status == "exempt");
        let (g, base) = good_obligation(good, exempt, refs, r, findings, &mut missing_price);
        out_goods.push(g);
        holding_base.push(base);
    }
    missing_price_findings(&missing_price, refs, findings);
    let years = year_obligations(&dm, &out_goods, &holding_base, refs);
    Some(CertificateObligation {
        formula: formula(),
        notes: section_notes(refs, &years),
        declaration_summary: declaration_summary(&out_goods),
        years,
        goods: out_goods,
        reference_data: refs.digests.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::policy::Policy;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn de_minimis_edges() {
        let r = Policy::default().rounding;
        let st = |m: &str| {
            let (x, f) = de_minimis(d(m), 2026, &r);
            (x.status, f.code.to_string())
        };
        assert_eq!(st("49.999"), ("exempt", "CO002".to_string()));
        assert_eq!(st("50"), ("exempt", "CO002".to_string()));
        assert_eq!(st("50.001"), ("liable", "CO003".to_string()));
        assert_eq!(st("45"), ("exempt", "CO001".to_string()));
        assert_eq!(st("45.001"), ("exempt", "CO002".to_string()));
        assert!(!counts_for_de_minimis(Sector::Hydrogen));
        assert!(!counts_for_de_minimis(Sector::Electricity));
        assert!(counts_for_de_minimis(Sector::Fertilisers));
    }

    #[test]
    fn whole_certificates_round_up() {
        assert_eq!(ceil_whole(d("10.001")), 11);
        assert_eq!(ceil_whole(d("10")), 10);
        assert_eq!(ceil_whole(d("-1")), 0);
    }
}
