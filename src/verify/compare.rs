//! The comparison: every figure of the selected shipments and of their aggregates, each side's
//! stated summaries against its own lines and against the other side's, classified.

use super::{Emissions, Field, Figures, Selection, SelectionError, Shipment};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// What a difference within tolerance is allowed to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToleranceMode {
    /// Up to what rounding explains: an aggregate of n lines each rounded to d decimals may
    /// be n × ½·10^-d from the exact sum, on each side.
    Rounding,
    /// Up to a fixed amount (tCO2e), whatever the rounding.
    Absolute(Decimal),
}

#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    pub mode: ToleranceMode,
    /// A share of the expected figure; the larger of this and the mode's allowance applies.
    pub relative: Decimal,
}

/// What a difference is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviationClass {
    Equal,
    /// Within what the two sides' rounding explains.
    Rounding,
    /// More than rounding explains.
    Real,
}

#[derive(Debug, Clone, Serialize)]
pub struct Deviation {
    /// shipment, cn_code, sector, origin, total (sums of the lines), or stated (the sides'
    /// stated summaries against each other).
    pub level: &'static str,
    pub key: String,
    pub field: Field,
    pub actual: Decimal,
    pub expected: Decimal,
    pub difference: Decimal,
    /// What rounding explains for this figure.
    pub rounding_allowance: Decimal,
    pub class: DeviationClass,
    pub within_tolerance: bool,
}

/// A side's stated summary figure against the sum of its own lines.
#[derive(Debug, Clone, Serialize)]
pub struct Consistency {
    /// actual or expected
    pub side: &'static str,
    /// The stated figure, as a path into the report.
    pub stated_at: String,
    pub stated: Decimal,
    pub from_lines: Decimal,
    pub difference: Decimal,
    pub rounding_allowance: Decimal,
    pub class: DeviationClass,
}

/// Counts of the figures compared, by class, and of the shipments on one side only.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Classes {
    pub equal: u64,
    pub rounding: u64,
    pub real: u64,
    pub missing: u64,
    pub extra: u64,
    /// Stated summaries that their own lines do not add up to (beyond rounding).
    pub inconsistent: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub ok: bool,
    /// `rounding`, or the absolute tolerance in tCO2e.
    pub tolerance: String,
    pub relative_tolerance: Decimal,
    /// What was compared when not everything: the sample and the dates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selection: Option<String>,
    /// The shipments the sample drew (sorted), so that an audit can say what it checked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sampled_shipments: Vec<String>,
    pub shipments_compared: u64,
    pub figures_compared: u64,
    pub classes: Classes,
    pub outside_tolerance: u64,
    pub missing_in_actual: Vec<String>,
    /// Of the missing shipments, those the actual report rejected, by rejection code.
    pub missing_rejected_by_actual: BTreeMap<String, u64>,
    pub extra_in_actual: Vec<String>,
    /// Whether the two sides' stated summaries were compared with each other (both state
    /// them, and no sample or date filter narrowed the lines).
    pub stated_summaries_compared: bool,
    /// Each stated summary figure that differs from its own lines (rounding or not).
    pub consistency: Vec<Consistency>,
    /// The largest differences, those outside tolerance first (at most `--max`).
    pub deviations: Vec<Deviation>,
}

/// ½·10^-d: how far a figure rounded to `d` decimals is from the exact one.
pub(super) fn half_unit(d: u32) -> Decimal {
    Decimal::new(5, d.min(27) + 1)
}

/// Sums of one side's lines in a group: per field, and whether every line stated it.
#[derive(Debug, Clone, Copy)]
struct Sum {
    value: [Decimal; 3],
    complete: [bool; 3],
    lines: u64,
}

impl Default for Sum {
    fn default() -> Self {
        Sum {
            value: [Decimal::ZERO; 3],
            complete: [true; 3],
            lines: 0,
        }
    }
}

impl Sum {
    fn add(&mut self, e: &Emissions) {
        for (i, f) in Field::ALL.into_iter().enumerate() {
            match e.get(f) {
                Some(v) => self.value[i] += v,
                None => self.complete[i] = false,
            }
        }
        self.lines += 1;
    }
    fn get(&self, f: Field) -> Option<Decimal> {
        let i = f as usize;
        self.complete[i].then_some(self.value[i])
    }
}

/// Both sides of one aggregate.
#[derive(Debug, Default, Clone, Copy)]
struct Pair {
    actual: Sum,
    expected: Sum,
}

/// What the comparison collects as it goes.
pub(super) struct Tally {
    tolerance: Tolerance,
    max: usize,
    classes: Classes,
    figures: u64,
    outside: u64,
    deviations: Vec<Deviation>,
}

impl Tally {
    pub(super) fn class(difference: Decimal, allowance: Decimal) -> DeviationClass {
        if difference.is_zero() {
            DeviationClass::Equal
        } else if difference.abs() <= allowance {
            DeviationClass::Rounding
        } else {
            DeviationClass::Real
        }
    }
    fn within(&self, difference: Decimal, expected: Decimal, allowance: Decimal) -> bool {
        let by_mode = match self.tolerance.mode {
            ToleranceMode::Rounding => allowance,
            ToleranceMode::Absolute(a) => a,
        };
        difference.abs() <= by_mode.max(self.tolerance.relative * expected.abs())
    }
    #[allow(clippy::too_many_arguments)]
    fn figure(
        &mut self,
        level: &'static str,
        key: &str,
        field: Field,
        actual: Decimal,
        expected: Decimal,
        allowance: Decimal,
    ) {
        let difference = actual - expected;
        let class = Self::class(difference, allowance);
        let within = self.within(difference, expected, allowance);
        self.figures += 1;
        match class {
            DeviationClass::Equal => self.classes.equal += 1,
            DeviationClass::Rounding => self.classes.rounding += 1,
            DeviationClass::Real => self.classes.real += 1,
        }
        if !within {
            self.outside += 1;
        }
        if class == DeviationClass::Equal {
            return;
        }
        self.deviations.push(Deviation {
            level,
            key: key.to_string(),
            field,
            actual,
            expected,
            difference,
            rounding_allowance: allowance,
            class,
            within_tolerance: within,
        });
        if self.deviations.len() > 2 * self.max.max(16) {
            self.keep_largest();
        }
    }
    /// The `max` deviations that matter most: outside tolerance, real, then largest.
    fn keep_largest(&mut self) {
        self.deviations.sort_by(|x, y| {
            (x.within_tolerance, std::cmp::Reverse(x.class))
                .cmp(&(y.within_tolerance, std::cmp::Reverse(y.class)))
                .then(y.difference.abs().cmp(&x.difference.abs()))
                .then(level_rank(x.level).cmp(&level_rank(y.level)))
                .then(x.key.cmp(&y.key))
                .then(x.field.cmp(&y.field))
        });
        self.deviations.truncate(self.max);
    }
    fn sums(&mut self, level: &'static str, key: &str, p: &Pair, digits: (u32, u32)) {
        let allowance = Decimal::from(p.actual.lines) * half_unit(digits.0)
            + Decimal::from(p.expected.lines) * half_unit(digits.1);
        for f in Field::ALL {
            if let (Some(a), Some(e)) = (p.actual.get(f), p.expected.get(f)) {
                self.figure(level, key, f, a, e, allowance);
            }
        }
    }
}

/// Levels from the most specific (a shipment) to the most general, for the listing.
fn level_rank(level: &str) -> usize {
    ["shipment", "cn_code", "sector", "origin", "total", "stated"]
        .iter()
        .position(|l| *l == level)
        .unwrap_or(usize::MAX)
}

/// Group keys of a shipment: (level, name) for its CN code, sector and origin; for a shipment
/// on both sides, what the expected side says, else the actual's.
fn group_keys<'a>(
    e: Option<(&'a Shipment, &'a Figures)>,
    a: Option<(&'a Shipment, &'a Figures)>,
) -> [(&'static str, Option<&'a str>); 3] {
    let pick = |get: fn(&Shipment) -> Option<u32>| {
        e.and_then(|(s, f)| get(s).map(|i| f.names.get(i)))
            .or_else(|| a.and_then(|(s, f)| get(s).map(|i| f.names.get(i))))
    };
    [
        ("cn_code", pick(|s| s.cn_code)),
        ("sector", pick(|s| s.sector)),
        ("origin", pick(|s| s.origin)),
    ]
}

type Groups = BTreeMap<(&'static str, String), Pair>;

fn add_to_groups(
    groups: &mut Groups,
    keys: [(&'static str, Option<&str>); 3],
    side: impl Fn(&mut Pair) -> &mut Sum,
    e: &Emissions,
) {
    side(groups.entry(("total", String::new())).or_default()).add(e);
    for (level, k) in keys {
        if let Some(k) = k {
            side(groups.entry((level, k.to_string())).or_default()).add(e);
        }
    }
}

/// Compares the selected shipments of `actual` with those of `expected`: every figure, the
/// sums by CN code, sector, origin and in total, the stated summaries; keeps the `max` largest
/// differences.
pub fn compare(
    actual: &Figures,
    expected: &Figures,
    tolerance: Tolerance,
    selection: &Selection,
    max: usize,
) -> Result<Comparison, SelectionError> {
    let chosen_e = selection.choose("expected", expected)?;
    let chosen_a = selection.restrict("actual", actual, &chosen_e)?;
    let mut t = Tally {
        tolerance,
        max,
        classes: Classes::default(),
        figures: 0,
        outside: 0,
        deviations: Vec::new(),
    };
    let digits = (actual.decimals, expected.decimals);
    let per_line = half_unit(digits.0) + half_unit(digits.1);
    let mut groups = Groups::new();
    let (mut missing, mut extra) = (Vec::new(), Vec::new());
    let mut rejected = BTreeMap::new();
    let mut compared = 0u64;
    for (id, es) in chosen_e.iter(expected) {
        let a = chosen_a.get(actual, id);
        let keys = group_keys(Some((es, expected)), a.map(|s| (s, actual)));
        add_to_groups(&mut groups, keys, |p| &mut p.expected, &es.emissions);
        let Some(a) = a else {
            for code in actual.rejected.get(id).into_iter().flatten() {
                *rejected.entry(code.clone()).or_insert(0u64) += 1;
            }
            missing.push(id.to_string());
            continue;
        };
        compared += 1;
        add_to_groups(&mut groups, keys, |p| &mut p.actual, &a.emissions);
        for f in Field::ALL {
            if let (Some(x), Some(y)) = (a.emissions.get(f), es.emissions.get(f)) {
                t.figure("shipment", id, f, x, y, per_line);
            }
        }
    }
    for (id, a) in chosen_a.iter(actual) {
        if chosen_e.get(expected, id).is_none() {
            let keys = group_keys(None, Some((a, actual)));
            add_to_groups(&mut groups, keys, |p| &mut p.actual, &a.emissions);
            extra.push(id.to_string());
        }
    }
    for ((level, key), p) in &groups {
        t.sums(level, key, p, digits);
    }
    let whole = selection.is_whole();
    let stated_compared = whole && actual.stated.is_some() && expected.stated.is_some();
    if stated_compared {
        compare_stated(&mut t, actual, expected);
    }
    let mut consistency = super::consistency::check("actual", actual);
    consistency.extend(super::consistency::check("expected", expected));
    t.classes.inconsistent = consistency
        .iter()
        .filter(|c| c.class == DeviationClass::Real)
        .count() as u64;
    t.classes.missing = missing.len() as u64;
    t.classes.extra = extra.len() as u64;
    t.keep_largest();
    let ok =
        t.outside == 0 && missing.is_empty() && extra.is_empty() && t.classes.inconsistent == 0;
    Ok(Comparison {
        ok,
        tolerance: match tolerance.mode {
            ToleranceMode::Rounding => "rounding".into(),
            ToleranceMode::Absolute(a) => a.to_string(),
        },
        relative_tolerance: tolerance.relative,
        selection: selection.describe(),
        sampled_shipments: chosen_e.sampled(),
        shipments_compared: compared,
        figures_compared: t.figures,
        classes: t.classes,
        outside_tolerance: t.outside,
        missing_in_actual: missing,
        missing_rejected_by_actual: rejected,
        extra_in_actual: extra,
        stated_summaries_compared: stated_compared,
        consistency,
        deviations: t.deviations,
    })
}

/// The two sides' stated summaries against each other; each may be n × ½·10^-d (its lines'
/// rounding) + ½·10^-d' (its own) from the exact sum.
fn compare_stated(t: &mut Tally, actual: &Figures, expected: &Figures) {
    let (Some(sa), Some(se)) = (&actual.stated, &expected.stated) else {
        return;
    };
    let slack = |f: &Figures, stated_decimals: u32| {
        Decimal::from(f.lines.len() as u64) * half_unit(f.decimals) + half_unit(stated_decimals)
    };
    let allowance = slack(actual, sa.decimals) + slack(expected, se.decimals);
    for f in Field::ALL {
        if let (Some(a), Some(e)) = (sa.totals.get(f), se.totals.get(f)) {
            t.figure("stated", "emissions_summary", f, a, e, allowance);
        }
    }
    for (what, ma, me) in [
        ("emissions_by_product_group", &sa.by_sector, &se.by_sector),
        ("emissions_by_origin_country", &sa.by_origin, &se.by_origin),
    ] {
        let keys: std::collections::BTreeSet<&String> = ma.keys().chain(me.keys()).collect();
        for k in keys {
            let a = ma.get(k).copied().unwrap_or_default();
            let e = me.get(k).copied().unwrap_or_default();
            t.figure(
                "stated",
                &format!("{what}[{k}]"),
                Field::Total,
                a,
                e,
                allowance,
            );
        }
    }
}
