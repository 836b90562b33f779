//! Assemble: lines + findings → the report (the production system's sections, plus the
//! calculation trail and provenance). Everything here is sorted by explicit keys so the
//! result does not depend on thread count or input order.

use crate::model::{Col, Finding, Line, Method, Period, Quarter, ScopeStatus, Sector, Severity};
use crate::provenance::FileDigest;
use crate::reference::policy::Rounding;
use crate::reference::Policy;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap as HashMap;
use std::collections::{BTreeMap, BTreeSet};

use crate::report::*;

/// Everything `assemble` needs besides the lines.
pub struct AssembleInput<'a> {
    /// Sums over every calculated line (merged from the chunks).
    pub totals: Totals,
    /// The lines in report order, when they are written (`detailed_goods` or `--lines`).
    pub lines: Option<Lines>,
    /// Findings and rejected rows so far (the inputs', the reference data's, every row's);
    /// assemble adds its own findings after them.
    pub lists: RowLists,
    pub rows_read: u64,
    pub importer: Importer,
    pub quarter: Option<Quarter>,
    /// An annual report (`--period YYYY`): the year replaces the quarter.
    pub year: Option<i32>,
    /// RFC 3339 UTC, e.g. 2026-01-15T09:30:00Z.
    pub generated_at: String,
    pub inputs: Vec<FileDigest>,
    pub reference: Vec<FileDigest>,
    pub policy: &'a Policy,
    pub notes: Vec<String>,
    /// Put the lines into `detailed_goods` (else they are only available to `--lines`).
    pub details: bool,
    /// Benchmarks and prices for the definitive-period `certificate_obligation` section.
    pub obligation: Option<&'a crate::reference::obligation::ObligationRef>,
}

fn origin_key(origin: &str) -> [u8; 2] {
    let b = origin.as_bytes();
    [
        b.first().copied().unwrap_or(b'?'),
        b.get(1).copied().unwrap_or(b'?'),
    ]
}

/// Sums over calculated lines, kept per chunk and merged: state per good (CN code × origin)
/// and per factor — never per row — so the summary does not need the lines. Every other
/// total (sector, origin, report) is derived from the per-good sums at the end.
#[derive(Debug, Default)]
pub struct Totals {
    quarters: BTreeMap<Quarter, u64>,
    by_good: HashMap<(crate::model::CnCode, [u8; 2]), GoodAgg>,
    factors: HashMap<String, FactorUsed>,
    /// Lines on a low-confidence default value (`reference::factors::low_confidence`), per
    /// (CN code, factor id): one DV003 finding each.
    low_confidence: BTreeMap<(crate::model::CnCode, String), u64>,
    /// Definitive-period sums for the certificate obligation.
    obligation: crate::obligation::Tally,
}

#[derive(Debug, Clone)]
struct GoodAgg {
    sector: Option<Sector>,
    /// The smallest non-empty origin_country text seen (any choice would do; this one is stable).
    country_name: String,
    count: u64,
    actual: u64,
    mass: Decimal,
    direct: Decimal,
    indirect: Decimal,
    total: Decimal,
}

impl Totals {
    pub fn lines(&self) -> u64 {
        self.by_good.values().map(|g| g.count).sum()
    }

    pub fn add(&mut self, l: &Line) {
        self.obligation.add(l);
        match self.quarters.get_mut(&l.shipment.quarter) {
            Some(n) => *n += 1,
            None => {
                self.quarters.insert(l.shipment.quarter, 1);
            }
        }
        let origin = l.shipment.origin_iso();
        let g = self
            .by_good
            .entry((l.shipment.cn, origin_key(origin)))
            .or_insert_with(|| GoodAgg {
                sector: match &l.shipment.scope {
                    ScopeStatus::InScope(e) | ScopeStatus::Excluded(e) => Some(e.sector),
                    ScopeStatus::NotListed => None,
                },
                country_name: String::new(),
                count: 0,
                actual: 0,
                mass: Decimal::ZERO,
                direct: Decimal::ZERO,
                indirect: Decimal::ZERO,
                total: Decimal::ZERO,
            });
        g.count += 1;
        g.mass += l.mass_tonnes;
        g.direct += l.direct;
        g.indirect += l.indirect;
        g.total += l.total;
        if l.method == Method::ActualData {
            g.actual += 1;
        }
        let name = l.shipment.row.get(Col::OriginCountry);
        if !name.is_empty() && (g.country_name.is_empty() || name < g.country_name.as_str()) {
            g.country_name = name.to_string();
        }
        if l.method == Method::DefaultValues
            && crate::reference::factors::low_confidence(&l.factor.confidence).is_some()
        {
            *self
                .low_confidence
                .entry((l.shipment.cn, l.factor.id.clone()))
                .or_insert(0) += 1;
        }
        match self.factors.get_mut(l.factor.id.as_str()) {
            Some(f) => f.lines += 1,
            None => {
                self.factors.insert(
                    l.factor.id.clone(),
                    FactorUsed {
                        id: l.factor.id.clone(),
                        matched_code: l.factor.matched_code.clone(),
                        description: l.factor.description.clone(),
                        direct_tco2_per_tonne: l.factor.direct,
                        indirect_tco2_per_tonne: l.factor.indirect,
                        total_tco2_per_tonne: l.factor.total,
                        source: l.factor.source.clone(),
                        confidence: l.factor.confidence.clone(),
                        lines: 1,
                    },
                );
            }
        }
    }

    /// Adds another chunk's sums. Decimal addition is exact, so the order of merging cannot
    /// change a digit.
    pub fn merge(&mut self, o: Totals) {
        self.obligation.merge(o.obligation);
        for (q, n) in o.quarters {
            *self.quarters.entry(q).or_insert(0) += n;
        }
        for (k, v) in o.by_good {
            match self.by_good.get_mut(&k) {
                Some(g) => {
                    g.count += v.count;
                    g.actual += v.actual;
                    g.mass += v.mass;
                    g.direct += v.direct;
                    g.indirect += v.indirect;
                    g.total += v.total;
                    if !v.country_name.is_empty()
                        && (g.country_name.is_empty() || v.country_name < g.country_name)
                    {
                        g.country_name = v.country_name;
                    }
                }
                None => {
                    self.by_good.insert(k, v);
                }
            }
        }
        for (k, n) in o.low_confidence {
            *self.low_confidence.entry(k).or_insert(0) += n;
        }
        for (k, v) in o.factors {
            match self.factors.get_mut(&k) {
                Some(f) => f.lines += v.lines,
                None => {
                    self.factors.insert(k, v);
                }
            }
        }
    }
}

fn pct(part: Decimal, whole: Decimal, r: &Rounding) -> Decimal {
    if whole.is_zero() {
        return crate::reference::policy::fixed(Decimal::ZERO, 1, r.mode);
    }
    crate::reference::policy::fixed(part * Decimal::ONE_HUNDRED / whole, 1, r.mode)
}

/// The report's quarter: `--quarter`, else the rows' one. Rows of several quarters without
/// `--quarter` (a quarterly report) are refused: one quarter's totals never hold another's.
fn report_quarter(
    given: Option<Quarter>,
    annual: bool,
    quarters: &BTreeMap<Quarter, u64>,
) -> crate::error::Result<Option<Quarter>> {
    if given.is_some() {
        return Ok(given);
    }
    if quarters.len() > 1 && !annual {
        return Err(crate::error::Error::SeveralQuarters {
            quarters: quarters.iter().map(|(q, n)| (q.to_string(), *n)).collect(),
        });
    }
    // One quarter (or an annual report, whose period is its year): the one with most rows.
    Ok(quarters
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(q, _)| *q))
}

/// Per sector: (shipments, mass, total emissions, CN codes).
type GroupSums = BTreeMap<Sector, (u64, Decimal, Decimal, BTreeSet<crate::model::CnCode>)>;
/// Per origin: (shipments, mass, total emissions, country name).
type OriginSums = BTreeMap<String, (u64, Decimal, Decimal, String)>;

/// Everything the summaries derive from the per-good sums, in a fixed (sorted) order.
#[derive(Default)]
struct GoodsSums {
    direct: Decimal,
    indirect: Decimal,
    total: Decimal,
    mass: Decimal,
    lines: u64,
    actual: u64,
    by_group: GroupSums,
    by_origin: OriginSums,
    /// Unrounded per-good summaries.
    goods: Vec<GoodSummary>,
}

fn sum_goods(by_good: HashMap<(crate::model::CnCode, [u8; 2]), GoodAgg>) -> GoodsSums {
    let mut goods_agg: Vec<((crate::model::CnCode, [u8; 2]), GoodAgg)> =
        by_good.into_iter().collect();
    goods_agg.sort_by_key(|a| a.0);
    let mut s = GoodsSums {
        goods: Vec::with_capacity(goods_agg.len()),
        ..GoodsSums::default()
    };
    for ((cn, okey), g) in &goods_agg {
        s.direct += g.direct;
        s.indirect += g.indirect;
        s.total += g.total;
        s.mass += g.mass;
        s.actual += g.actual;
        s.lines += g.count;
        if let Some(sec) = g.sector {
            let e =
                s.by_group
                    .entry(sec)
                    .or_insert((0, Decimal::ZERO, Decimal::ZERO, BTreeSet::new()));
            e.0 += g.count;
            e.1 += g.mass;
            e.2 += g.total;
            e.3.insert(*cn);
        }
        let origin = String::from_utf8_lossy(okey).into_owned();
        let o = s.by_origin.entry(origin.clone()).or_insert((
            0,
            Decimal::ZERO,
            Decimal::ZERO,
            String::new(),
        ));
        o.0 += g.count;
        o.1 += g.mass;
        o.2 += g.total;
        if !g.country_name.is_empty() && (o.3.is_empty() || g.country_name < o.3) {
            o.3 = g.country_name.clone();
        }
        s.goods.push(GoodSummary {
            cn_code: cn.as_str().to_string(),
            origin_iso: origin,
            sector: g.sector.map(|s| s.as_str()).unwrap_or("").to_string(),
            shipment_count: g.count,
            total_mass_tonnes: g.mass,
            direct_emissions_tco2: g.direct,
            indirect_emissions_tco2: g.indirect,
            total_emissions_tco2: g.total,
            actual_data_count: g.actual,
            default_values_count: g.count - g.actual,
        });
    }
    s
}

/// DV003: once per CN code (and factor), not per row.
fn low_confidence_findings(
    low_confidence: &BTreeMap<(crate::model::CnCode, String), u64>,
    factors: &HashMap<String, FactorUsed>,
    findings: &mut Vec<Finding>,
) {
    for ((cn, id), n) in low_confidence {
        let Some(f) = factors.get(id) else {
            continue;
        };
        let Some(why) = crate::reference::factors::low_confidence(&f.confidence) else {
            continue;
        };
        findings.push(Finding::new(
            "DV003",
            Severity::Info,
            format!(
                "{n} shipment(s) of CN {} use a default value of low confidence ({}, table row {}): {why}; check it against the Commission's document before relying on it",
                cn.spaced(),
                f.confidence,
                f.matched_code
            ),
        ));
    }
}

fn mass3(m: Decimal, r: &Rounding) -> Decimal {
    crate::reference::policy::fixed(m, 3, r.mode)
}

fn goods_summary(
    s: &GoodsSums,
    goods: Vec<GoodSummary>,
    rows: RowCounts,
    r: &Rounding,
) -> GoodsSummary {
    let mut product_groups: Vec<ProductGroupSummary> = s
        .by_group
        .iter()
        .map(|(sec, (n, mass, _, codes))| ProductGroupSummary {
            product_group: sec.product_group().to_string(),
            sector: sec.as_str().to_string(),
            shipment_count: *n,
            total_mass_tonnes: mass3(*mass, r),
            cn_codes: codes.iter().map(|c| c.as_str().to_string()).collect(),
        })
        .collect();
    product_groups.sort_by(|a, b| a.product_group.cmp(&b.product_group));
    let mut origin_countries: Vec<OriginSummary> = s
        .by_origin
        .iter()
        .map(|(iso, (n, mass, _, name))| OriginSummary {
            country_iso: iso.clone(),
            country_name: name.clone(),
            shipment_count: *n,
            total_mass_tonnes: mass3(*mass, r),
        })
        .collect();
    origin_countries.sort_by(|a, b| {
        b.total_mass_tonnes
            .cmp(&a.total_mass_tonnes)
            .then(a.country_iso.cmp(&b.country_iso))
    });
    let goods: Vec<GoodSummary> = goods
        .into_iter()
        .map(|g| GoodSummary {
            total_mass_tonnes: mass3(g.total_mass_tonnes, r),
            direct_emissions_tco2: r.line(g.direct_emissions_tco2),
            indirect_emissions_tco2: r.line(g.indirect_emissions_tco2),
            total_emissions_tco2: r.line(g.total_emissions_tco2),
            ..g
        })
        .collect();
    GoodsSummary {
        total_shipments: s.lines,
        total_mass_tonnes: mass3(s.mass, r),
        rows,
        product_groups,
        origin_countries,
        goods,
    }
}

/// Emissions per product group and per origin, largest first, with their share of the total.
fn emission_shares(s: &GoodsSums, r: &Rounding) -> (Vec<ShareEntry>, Vec<ShareEntry>) {
    let mut by_group: Vec<ShareEntry> = s
        .by_group
        .iter()
        .map(|(sec, (_, _, t, _))| ShareEntry {
            product_group: Some(sec.product_group().to_string()),
            country_iso: None,
            country_name: None,
            total_emissions_tco2: r.total(*t),
            percentage_of_total: pct(*t, s.total, r),
        })
        .collect();
    by_group.sort_by(|a, b| {
        b.total_emissions_tco2
            .cmp(&a.total_emissions_tco2)
            .then(a.product_group.cmp(&b.product_group))
    });
    let mut by_origin: Vec<ShareEntry> = s
        .by_origin
        .iter()
        .map(|(iso, (_, _, t, name))| ShareEntry {
            product_group: None,
            country_iso: Some(iso.clone()),
            country_name: Some(name.clone()),
            total_emissions_tco2: r.total(*t),
            percentage_of_total: pct(*t, s.total, r),
        })
        .collect();
    by_origin.sort_by(|a, b| {
        b.total_emissions_tco2
            .cmp(&a.total_emissions_tco2)
            .then(a.country_iso.cmp(&b.country_iso))
    });
    (by_group, by_origin)
}

fn emissions_summary(s: &GoodsSums, r: &Rounding) -> EmissionsSummary {
    let (emissions_by_product_group, emissions_by_origin_country) = emission_shares(s, r);
    EmissionsSummary {
        total_direct_emissions_tco2: r.total(s.direct),
        total_indirect_emissions_tco2: r.total(s.indirect),
        total_embedded_emissions_tco2: r.total(s.total),
        exact_sums: ExactSums {
            direct_emissions_tco2: r.line(s.direct),
            indirect_emissions_tco2: r.line(s.indirect),
            total_emissions_tco2: r.line(s.total),
        },
        emissions_by_product_group,
        emissions_by_origin_country,
        emissions_intensity_tco2_per_tonne: (!s.mass.is_zero())
            .then(|| crate::reference::policy::fixed(s.total / s.mass, 3, r.mode)),
        calculation_methods_used: MethodCounts {
            default_values_count: s.lines - s.actual,
            actual_data_count: s.actual,
            complex_goods_count: 0,
            estimation_count: 0,
        },
    }
}

fn row_counts(lists: &RowLists, read: u64, calculated: u64) -> RowCounts {
    RowCounts {
        read,
        calculated,
        rejected: lists.rejected.len() - lists.out_of_scope,
        out_of_scope: lists.out_of_scope,
    }
}

/// The period the report names: (name, start, end, period type). An annual report names its
/// year where a quarterly one names its quarter.
fn report_period(quarter: Option<Quarter>, year: Option<i32>) -> (String, String, String, Period) {
    match year {
        Some(y) => (
            y.to_string(),
            Quarter { year: y, q: 1 }.start().to_string(),
            Quarter { year: y, q: 4 }.end().to_string(),
            Period::of(Quarter { year: y, q: 1 }.start()),
        ),
        None => (
            quarter.map(|q| q.to_string()).unwrap_or_default(),
            quarter.map(|q| q.start().to_string()).unwrap_or_default(),
            quarter.map(|q| q.end().to_string()).unwrap_or_default(),
            quarter
                .map(|q| Period::of(q.start()))
                .unwrap_or(Period::Transitional),
        ),
    }
}

fn report_metadata(inp: &AssembleInput<'_>, quarter: Option<Quarter>) -> ReportMetadata {
    let (quarter, reporting_period_start, reporting_period_end, period_type) =
        report_period(quarter, inp.year);
    ReportMetadata {
        report_id: String::new(),
        quarter,
        reporting_period_start,
        reporting_period_end,
        period_type,
        period_length: inp.year.map(|_| "year"),
        generated_at: inp.generated_at.clone(),
        generated_by: format!("{TOOL_NAME} {TOOL_VERSION}"),
        version: TOOL_VERSION.to_string(),
        details: if inp.details { "full" } else { "summary" },
        volatile_fields: VOLATILE_FIELDS.to_vec(),
    }
}

fn importer_declaration(inp: &AssembleInput<'_>) -> ImporterDeclaration {
    ImporterDeclaration {
        importer_name: inp.importer.name.clone(),
        importer_country: inp.importer.country.clone(),
        importer_eori: inp.importer.eori.clone(),
        declaration_date: inp.generated_at.get(..10).unwrap_or("").to_string(),
        declarant_name: inp.importer.declarant_name.clone(),
        declarant_position: inp.importer.declarant_position.clone(),
    }
}

/// The lists with assemble's own findings after the rows' ones. Sorting, counts and validity
/// are left to `Report::finish`, once the rules' findings have joined.
fn validation_results(
    mut lists: RowLists,
    own: &[Finding],
    rows: RowCounts,
) -> crate::error::Result<ValidationResults> {
    for f in own {
        lists.finding(f)?;
    }
    Ok(ValidationResults {
        is_valid: false,
        error_count: 0,
        warning_count: 0,
        info_count: 0,
        rows,
        rules_checked: Vec::new(),
        registry: None,
        errors: lists.errors,
        warnings: lists.warnings,
        infos: lists.infos,
        rejected_rows: lists.rejected,
    })
}

fn provenance(
    inputs: Vec<FileDigest>,
    reference: Vec<FileDigest>,
    policy: &Policy,
    factors_used: Vec<FactorUsed>,
    notes: Vec<String>,
) -> Provenance {
    let r = policy.rounding;
    Provenance {
        tool: ToolInfo { name: TOOL_NAME, version: TOOL_VERSION },
        inputs,
        reference_data: reference,
        policy: policy.clone(),
        calculation: CalculationInfo {
            mass: "mass_t = net_mass_kg / 1000 (exact)",
            line: format!(
                "direct = round(mass_t × SEE_direct, {dp}), indirect = round(mass_t × SEE_indirect, {dp}), total = direct + indirect; \
                 definitive-period default values: total = round(mass_t × table total × (1 + mark-up), {dp}); rounding {mode:?}",
                dp = r.line_decimals,
                mode = r.mode
            ),
            totals: format!("sum of rounded lines, rounded to {} decimals ({:?})", r.total_decimals, r.mode),
            factor_order: "supplier actuals (policy permitting) → EU default value (most specific CN match; definitive: origin table, fallback Other countries, × mark-up) → row rejected",
        },
        factors_used,
        notes,
    }
}

/// The report from the sums, findings and lines; `Report::finish` completes it once the rules
/// have run (sorted findings, counts, report id).
pub fn assemble(mut inp: AssembleInput<'_>) -> crate::error::Result<Report> {
    let r = inp.policy.rounding;
    let mut findings = Vec::new();
    let t = std::mem::take(&mut inp.totals);
    let lines = inp.lines.take();
    let quarter = report_quarter(inp.quarter, inp.year.is_some(), &t.quarters)?;
    if t.lines() == 0 {
        findings.push(Finding::new(
            "RP002",
            Severity::Error,
            "no row could be calculated: the report has no goods",
        ));
    }
    let mut sums = sum_goods(t.by_good);
    let goods = std::mem::take(&mut sums.goods);
    low_confidence_findings(&t.low_confidence, &t.factors, &mut findings);
    let mut factors: Vec<FactorUsed> = t.factors.into_values().collect();
    factors.sort_by(|a, b| a.id.cmp(&b.id));
    let rows = row_counts(&inp.lists, inp.rows_read, sums.lines);
    let certificate_obligation = inp
        .obligation
        .and_then(|refs| crate::obligation::compute(t.obligation, refs, &r, &mut findings));
    let mut report = Report {
        report_metadata: report_metadata(&inp, quarter),
        importer_declaration: importer_declaration(&inp),
        goods_summary: goods_summary(&sums, goods, rows.clone(), &r),
        detailed_goods: None,
        undetailed_lines: None,
        certificate_obligation,
        emissions_summary: emissions_summary(&sums, &r),
        validation_results: validation_results(std::mem::take(&mut inp.lists), &findings, rows)?,
        provenance: provenance(inp.inputs, inp.reference, inp.policy, factors, inp.notes),
    };
    match (inp.details, lines) {
        (true, Some(l)) => report.detailed_goods = Some(DetailedGoods(l)),
        (_, l) => report.undetailed_lines = l,
    }
    Ok(report)
}
