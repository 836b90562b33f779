//! The rule evaluator: one rule over one document — a whole report, or a one-line document
//! while streaming — with one function per check kind. What a check finds goes to `Out`.

use super::{Context, RuleFinding};
use crate::formats::jsonpath::{decimal, text, Node, Path};
use crate::model::{CnCode, Date, Quarter, ScopeStatus};
use crate::reference::rules::{Bounds, Check, Condition, NamedSet, Rule, SupplierMatch};
use crate::reference::SupplierBook;
use rust_decimal::Decimal;
use serde_json::Value;

/// What a rule needs and this input lacks: the rule is then listed as not run, with this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum Lacking {
    #[error("needs the supplier profiles (--suppliers)")]
    SupplierProfiles,
    #[error("the report states no reporting_period_start/end")]
    ReportingPeriod,
    #[error("the report has no detailed_goods (summary only, --details none)")]
    Lines,
}

/// Whether a condition holds for `v` (the report for `applies_when`, an element for `when`).
pub(super) fn holds<'a, N: Node<'a>>(c: &Condition, v: N) -> bool {
    let Some(x) = c.path.get(v) else {
        return c.if_missing;
    };
    let owned;
    let t: &str = match x.as_str() {
        Some(s) => s,
        None => {
            owned = text(x).unwrap_or_default();
            &owned
        }
    };
    if !c.one_of.is_empty() && !c.one_of.iter().any(|o| o == t) {
        return false;
    }
    if c.from.is_some() || c.to.is_some() {
        let Some(d) = Date::parse(t) else {
            return false;
        };
        if c.from.is_some_and(|f| d < f) || c.to.is_some_and(|e| d > e) {
            return false;
        }
    }
    true
}

/// `Some(n)` for the pattern `^\d{n}$`.
fn digits_only(pattern: &str) -> Option<usize> {
    pattern
        .strip_prefix("^\\d{")?
        .strip_suffix("}$")?
        .parse()
        .ok()
}

fn cn_of<'a, N: Node<'a>>(v: N) -> Option<CnCode> {
    CnCode::normalise(&text(v)?)
}

fn shown<'a, N: Node<'a>>(v: Option<N>) -> Option<String> {
    v.map(|v| v.text().unwrap_or_else(|| v.raw()))
}

/// The findings of one rule, as they are made.
pub(super) struct Out<'r> {
    rule: &'r Rule,
    pub(super) findings: Vec<RuleFinding>,
}

impl<'r> Out<'r> {
    pub(super) fn new(rule: &'r Rule) -> Out<'r> {
        Out {
            rule,
            findings: Vec::new(),
        }
    }

    /// `sum_equals`: a stated total against the sum of the lines (both whole-report and
    /// streaming evaluation decide here).
    pub(super) fn decide_sum(
        &mut self,
        path: &Path,
        sum_of: &Path,
        total: Decimal,
        sum: Decimal,
        tolerance: Decimal,
    ) {
        if (total - sum).abs() > tolerance {
            self.add(
                path.text.clone(),
                Some(total.to_string()),
                Some(format!("{sum} (sum of {}) ± {tolerance}", sum_of.text)),
                format!(
                    "{} is {total}, but the sum of {} is {sum} (difference {}, tolerance {tolerance})",
                    path.text,
                    sum_of.text,
                    (total - sum).abs()
                ),
            );
        }
    }

    /// `ratio_at_most`: the share `num / den` against `max` (nothing to decide without lines).
    pub(super) fn decide_ratio(&mut self, each: &Path, num: Decimal, den: Decimal, max: Decimal) {
        if den <= Decimal::ZERO || num / den <= max {
            return;
        }
        let pct = |d: Decimal| (d * Decimal::ONE_HUNDRED).round_dp(2).normalize();
        let name = self.rule.name.clone();
        self.add(
            each.text.clone(),
            Some(format!("{}%", pct(num / den))),
            Some(format!("at most {}%", pct(max))),
            format!(
                "{name}: {num} of {den} ({}%); at most {}% is allowed",
                pct(num / den),
                pct(max)
            ),
        );
    }

    /// `de_minimis`: the annual tally, always reported (it says which side of the threshold).
    pub(super) fn decide_de_minimis(&mut self, each: &Path, total: Decimal, threshold: Decimal) {
        let msg = if total <= threshold {
            format!("{total} t of CBAM goods (hydrogen and electricity excluded): at or below the {threshold} t annual de minimis threshold, so no CBAM obligation arises for them")
        } else {
            format!("{total} t of CBAM goods (hydrogen and electricity excluded): above the {threshold} t annual de minimis threshold: an authorised CBAM declarant must declare them and surrender certificates")
        };
        self.add(
            each.text.clone(),
            Some(total.to_string()),
            Some(format!("threshold {threshold} t")),
            msg,
        );
    }

    pub(super) fn add(
        &mut self,
        path: String,
        found: Option<String>,
        expected: Option<String>,
        message: String,
    ) {
        self.findings.push(RuleFinding {
            rule: self.rule.id.clone(),
            name: self.rule.name.clone(),
            severity: self.rule.severity,
            path,
            found: found.map(|f| crate::model::truncate_for_message(&f)),
            expected,
            message,
        });
    }
}

/// Runs one rule over `report` (`head`: the report outside its lines, for `within:
/// report_period`).
pub(super) fn run_rule<'a, N: Node<'a>>(
    rule: &Rule,
    report: N,
    head: &Value,
    ctx: &Context<'_>,
) -> Result<Vec<RuleFinding>, Lacking> {
    let mut out = Out::new(rule);
    let o = &mut out;
    match &rule.check {
        Check::Required { paths } => required(o, report, paths),
        Check::Pattern { path, re, pattern } => pattern_matches(o, report, path, re, pattern),
        Check::Range {
            path,
            bounds,
            unless,
            split,
        } => match split {
            None => range(o, report, path, bounds),
            Some((elements, inner)) => range_unless(o, report, (elements, inner), unless, bounds),
        },
        Check::OneOf { path, values } => one_of(o, report, path, values),
        Check::InSet { path, set, negate } => in_set(o, report, path, *set, *negate),
        Check::Unique { path } => unique(o, report, path),
        Check::SumEquals {
            path,
            sum_of,
            factor,
            tolerance,
        } => sum_equals(o, report, (path, sum_of), *factor, *tolerance),
        Check::LineSum {
            each,
            terms,
            equals,
            tolerance,
        } => line_sum(o, report, each, terms, equals, *tolerance),
        Check::RatioAtMost { each, max, .. } => {
            let (num, den) = ratio_parts(&rule.check, each, report);
            o.decide_ratio(each, num, den, *max);
        }
        Check::DateWithin {
            path,
            from,
            to,
            report_period,
        } => {
            let (lo, hi) = match report_period {
                true => reporting_period(head).ok_or(Lacking::ReportingPeriod)?,
                false => (*from, *to),
            };
            date_within(o, report, path, lo, hi);
        }
        Check::QuarterWithin { path, from, to } => quarter_within(o, report, path, *from, *to),
        Check::InScope { path } => in_scope(o, report, path, ctx),
        Check::SupplierMatches(m) => {
            let book = ctx.suppliers.ok_or(Lacking::SupplierProfiles)?;
            supplier_matches(o, report, m, book);
        }
        Check::DeMinimis {
            each, threshold, ..
        } => {
            let total = de_minimis_total(&rule.check, each, report);
            o.decide_de_minimis(each, total, *threshold);
        }
    }
    Ok(out.findings)
}

/// `required`: every place a path reaches holds a value that is not blank.
fn required<'a, N: Node<'a>>(out: &mut Out<'_>, report: N, paths: &[Path]) {
    for p in paths {
        p.visit(report, &mut |idx, v| {
            let missing = match v {
                None => true,
                Some(v) => v.is_blank(),
            };
            if missing {
                out.add(
                    p.render(idx),
                    shown(v),
                    Some("a value".into()),
                    format!("{} is missing or empty", p.render(idx)),
                );
            }
        });
    }
}

/// `pattern`: the value (as text) matches the regular expression.
fn pattern_matches<'a, N: Node<'a>>(
    out: &mut Out<'_>,
    report: N,
    path: &Path,
    re: &regex::Regex,
    pattern: &str,
) {
    let digits = digits_only(pattern);
    path.visit(report, &mut |idx, v| {
        let Some(v) = v else { return };
        if v.as_str().is_some_and(|s| match digits {
            // `^\d{N}$` (CN codes): the same test without the regex machinery.
            Some(n) => s.len() == n && s.bytes().all(|b| b.is_ascii_digit()),
            None => re.is_match(s),
        }) {
            return;
        }
        match text(v) {
            Some(t) if re.is_match(&t) => {}
            t => out.add(
                path.render(idx),
                t.or_else(|| Some(v.raw())),
                Some(format!("matching {pattern}")),
                format!("{} does not match {pattern}", path.render(idx)),
            ),
        }
    })
}

/// One value for `range`: a number within the bounds. `at` renders where it is, called only
/// for a finding (a million lines pass; their paths are never rendered).
fn check_bounds<'a, N: Node<'a>>(
    out: &mut Out<'_>,
    bounds: &Bounds,
    at: impl FnOnce() -> String,
    v: N,
) {
    match decimal(v) {
        None => {
            let at = at();
            out.add(
                at.clone(),
                shown(Some(v)),
                Some("a number".into()),
                format!("{at} is not a number"),
            )
        }
        Some(d) if bounds.excludes(d) => {
            let at = at();
            out.add(
                at.clone(),
                Some(d.to_string()),
                Some(bounds.expected()),
                format!("{at} is {d}, expected {}", bounds.expected()),
            )
        }
        Some(_) => {}
    }
}

/// `range` without `unless`: every value the path reaches.
fn range<'a, N: Node<'a>>(out: &mut Out<'_>, report: N, path: &Path, bounds: &Bounds) {
    path.visit(report, &mut |idx, v| {
        if let Some(v) = v {
            check_bounds(out, bounds, || path.render(idx), v)
        }
    })
}

/// `range` with `unless`: elements meeting an `unless` condition are not checked (electricity
/// has no mass: VAL-004 skips CN 2716 00 00).
fn range_unless<'a, N: Node<'a>>(
    out: &mut Out<'_>,
    report: N,
    (elements, inner): (&Path, &Path),
    unless: &[Condition],
    bounds: &Bounds,
) {
    elements.visit(report, &mut |idx, el| {
        let Some(el) = el else { return };
        if unless.iter().any(|c| holds(c, el)) {
            return;
        }
        inner.visit(el, &mut |idx2, v| {
            if let Some(v) = v {
                let at = || format!("{}.{}", elements.render(idx), inner.render(idx2));
                check_bounds(out, bounds, at, v)
            }
        })
    })
}

/// `one_of`: the value is one of the listed texts.
fn one_of<'a, N: Node<'a>>(out: &mut Out<'_>, report: N, path: &Path, values: &[String]) {
    path.visit(report, &mut |idx, v| {
        let Some(v) = v else { return };
        if v.as_str().is_some_and(|s| values.iter().any(|x| x == s)) {
            return;
        }
        let t = text(v).unwrap_or_default();
        if !values.contains(&t) {
            out.add(
                path.render(idx),
                Some(t.clone()),
                Some(format!("one of {}", values.join(", "))),
                format!("{} is {t:?}", path.render(idx)),
            );
        }
    })
}

/// `in_set` / `not_in_set`: the value is (not) in a named set of countries.
fn in_set<'a, N: Node<'a>>(out: &mut Out<'_>, report: N, path: &Path, set: NamedSet, negate: bool) {
    path.visit(report, &mut |idx, v| {
        let Some(v) = v else { return };
        if v.as_str().is_some_and(|s| set.contains(s) != negate) {
            return;
        }
        let t = text(v).unwrap_or_default();
        if set.contains(&t) == negate {
            let exp = if negate {
                format!("not {}", set.describe())
            } else {
                set.describe().to_string()
            };
            out.add(
                path.render(idx),
                Some(t.clone()),
                Some(exp.clone()),
                format!("{} is {t:?}: expected {exp}", path.render(idx)),
            );
        }
    })
}

/// `unique`: no value repeats one seen before at another place of the path.
fn unique<'a, N: Node<'a>>(out: &mut Out<'_>, report: N, path: &Path) {
    let mut first: rustc_hash::FxHashMap<String, String> = Default::default();
    path.visit(report, &mut |idx, v| {
        let Some(t) = v.and_then(text) else { return };
        let here = path.render(idx);
        match first.get(&t) {
            Some(at) => out.add(
                here.clone(),
                Some(t.clone()),
                Some("a unique value".into()),
                format!("{here} repeats {t:?} first seen at {at}"),
            ),
            None => {
                first.insert(t, here);
            }
        }
    });
}

/// `sum_equals`: the value at `path` against `factor` × the sum of the values at `sum_of`.
fn sum_equals<'a, N: Node<'a>>(
    out: &mut Out<'_>,
    report: N,
    (path, sum_of): (&Path, &Path),
    factor: Decimal,
    tolerance: Decimal,
) {
    let Some(total) = path.get(report).and_then(decimal) else {
        return; // presence is the job of `required`
    };
    let mut sum = Decimal::ZERO;
    sum_of.visit(report, &mut |_, v| {
        if let Some(d) = v.and_then(decimal) {
            sum += d;
        }
    });
    out.decide_sum(path, sum_of, total, sum * factor, tolerance);
}

/// `line_sum`: within each element, the terms add up to `equals`.
fn line_sum<'a, N: Node<'a>>(
    out: &mut Out<'_>,
    report: N,
    each: &Path,
    terms: &[Path],
    equals: &Path,
    tolerance: Decimal,
) {
    each.visit(report, &mut |idx, el| {
        let Some(el) = el else { return };
        let sum: Option<Decimal> = terms.iter().try_fold(Decimal::ZERO, |acc, t| {
            Some(acc + t.get(el).and_then(decimal)?)
        });
        let (Some(sum), Some(target)) = (sum, equals.get(el).and_then(decimal)) else {
            return;
        };
        if (sum - target).abs() > tolerance {
            let at = format!("{}.{}", each.render(idx), equals.text);
            out.add(
                at.clone(),
                Some(target.to_string()),
                Some(format!("{sum} ± {tolerance}")),
                format!(
                    "{at} is {target}, but {} = {sum}",
                    terms
                        .iter()
                        .map(|t| t.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" + ")
                ),
            );
        }
    })
}

/// `ratio_at_most`: the numerator and denominator summed over the elements of `each`.
fn ratio_parts<'a, N: Node<'a>>(check: &Check, each: &Path, report: N) -> (Decimal, Decimal) {
    let (mut num, mut den) = (Decimal::ZERO, Decimal::ZERO);
    each.visit(report, &mut |_, el| {
        if let Some(el) = el {
            add_ratio_parts(check, el, &mut num, &mut den);
        }
    });
    (num, den)
}

/// One element's part of a `ratio_at_most` (whole-report and streaming evaluation both add
/// here): elements outside `scope` count for neither side, those meeting `when` for both.
pub(super) fn add_ratio_parts<'a, N: Node<'a>>(
    check: &Check,
    el: N,
    num: &mut Decimal,
    den: &mut Decimal,
) {
    let Check::RatioAtMost {
        numerator,
        denominator,
        when,
        scope,
        ..
    } = check
    else {
        return;
    };
    if !scope.iter().all(|c| holds(c, el)) {
        return;
    }
    *den += denominator
        .get(el)
        .and_then(decimal)
        .unwrap_or(Decimal::ZERO);
    if when.iter().all(|c| holds(c, el)) {
        *num += numerator.get(el).and_then(decimal).unwrap_or(Decimal::ZERO);
    }
}

/// `de_minimis`: the mass over the elements of `each`.
fn de_minimis_total<'a, N: Node<'a>>(check: &Check, each: &Path, report: N) -> Decimal {
    let mut total = Decimal::ZERO;
    each.visit(report, &mut |_, el| {
        if let Some(el) = el {
            total += de_minimis_mass(check, el);
        }
    });
    total
}

/// One element's mass for `de_minimis` (whole-report and streaming evaluation both add here):
/// zero for the excluded CN prefixes.
pub(super) fn de_minimis_mass<'a, N: Node<'a>>(check: &Check, el: N) -> Decimal {
    let Check::DeMinimis {
        mass,
        cn,
        exclude_prefixes,
        ..
    } = check
    else {
        return Decimal::ZERO;
    };
    let owned;
    let code = match cn.get(el) {
        Some(v) => match v.as_str() {
            Some(s) => s,
            None => {
                owned = text(v).unwrap_or_default();
                owned.as_str()
            }
        },
        None => "",
    };
    if exclude_prefixes
        .iter()
        .any(|p| code.starts_with(p.as_str()))
    {
        return Decimal::ZERO;
    }
    mass.get(el).and_then(decimal).unwrap_or(Decimal::ZERO)
}

/// The report's own period (`within: report_period`), if it states both ends.
fn reporting_period(head: &Value) -> Option<(Option<Date>, Option<Date>)> {
    let get = |k: &str| {
        head.get("report_metadata")
            .and_then(|m| m.get(k))
            .and_then(|v| v.as_str())
            .and_then(Date::parse)
    };
    Some((
        Some(get("reporting_period_start")?),
        Some(get("reporting_period_end")?),
    ))
}

/// `date_within`: a date, between `lo` and `hi` (either may be open).
fn date_within<'a, N: Node<'a>>(
    out: &mut Out<'_>,
    report: N,
    path: &Path,
    lo: Option<Date>,
    hi: Option<Date>,
) {
    let outside = |d: Date| lo.is_some_and(|l| d < l) || hi.is_some_and(|h| d > h);
    path.visit(report, &mut |idx, v| {
        let Some(v) = v else { return };
        // A date within the bounds, read without copying it (the case of every line).
        if v.as_str()
            .and_then(Date::parse)
            .is_some_and(|d| !outside(d))
        {
            return;
        }
        let t = text(v).unwrap_or_default();
        let exp = format!(
            "{} … {}",
            lo.map(|d| d.to_string()).unwrap_or_default(),
            hi.map(|d| d.to_string()).unwrap_or_default()
        );
        match Date::parse(&t) {
            None => out.add(
                path.render(idx),
                Some(t),
                Some("a date YYYY-MM-DD".into()),
                format!("{} is not a date", path.render(idx)),
            ),
            Some(d) if outside(d) => out.add(
                path.render(idx),
                Some(t),
                Some(exp.clone()),
                format!("{} {d} is outside {exp}", path.render(idx)),
            ),
            _ => {}
        }
    });
}

/// `quarter_within`: a quarter `YYYYQn`, between `from` and `to`.
fn quarter_within<'a, N: Node<'a>>(
    out: &mut Out<'_>,
    report: N,
    path: &Path,
    from: Quarter,
    to: Quarter,
) {
    path.visit(report, &mut |idx, v| {
        let Some(v) = v else { return };
        let t = text(v).unwrap_or_default();
        let exp = format!("{from} … {to}");
        match Quarter::parse(&t) {
            None => out.add(
                path.render(idx),
                Some(t),
                Some("YYYYQn".into()),
                format!("{} is not a quarter of the form YYYYQn", path.render(idx)),
            ),
            Some(q) if q < from || q > to => out.add(
                path.render(idx),
                Some(t),
                Some(exp.clone()),
                format!("{} {q} is outside {exp}", path.render(idx)),
            ),
            _ => {}
        }
    })
}

/// `in_scope`: an 8-digit CN code of a CBAM good (Annex I, not excepted).
fn in_scope<'a, N: Node<'a>>(out: &mut Out<'_>, report: N, path: &Path, ctx: &Context<'_>) {
    path.visit(report, &mut |idx, v| {
        let Some(v) = v else { return };
        if let Some(cn) = v.as_str().and_then(CnCode::normalise) {
            if matches!(ctx.scope.classify(&cn), ScopeStatus::InScope(_)) {
                return;
            }
        }
        let t = text(v).unwrap_or_default();
        let here = path.render(idx);
        let Some(cn) = CnCode::normalise(&t) else {
            out.add(
                here.clone(),
                Some(t),
                Some("an 8-digit CN code".into()),
                format!("{here} is not an 8-digit CN code"),
            );
            return;
        };
        let why = match ctx.scope.classify(&cn) {
            ScopeStatus::InScope(_) => return,
            ScopeStatus::Excluded(e) => format!(
                "CN {} is excluded from Annex I by the exception {} ({})",
                cn.spaced(),
                e.code,
                e.description
            ),
            ScopeStatus::NotListed => format!("CN {} is not covered by Annex I", cn.spaced()),
        };
        out.add(here, Some(t), Some("a CBAM good (Annex I)".into()), why);
    })
}

/// `supplier_matches`: each line on actual data names a supplier of the profiles that produces
/// its CN code, with data recent enough.
fn supplier_matches<'a, N: Node<'a>>(
    out: &mut Out<'_>,
    report: N,
    m: &SupplierMatch,
    book: &SupplierBook,
) {
    m.each.visit(report, &mut |idx, el| {
        let Some(el) = el else { return };
        let method = m.method.get(el);
        let actual = match method.and_then(|v| v.as_str()) {
            Some(s) => s == "actual_data",
            None => method.and_then(text).as_deref() == Some("actual_data"),
        };
        if actual {
            supplier_line(out, &m.each.render(idx), el, m, book);
        }
    });
}

/// `supplier_matches` for one line at `at` that uses actual data.
fn supplier_line<'a, N: Node<'a>>(
    out: &mut Out<'_>,
    at: &str,
    el: N,
    m: &SupplierMatch,
    book: &SupplierBook,
) {
    let sid = m.supplier.get(el).and_then(text).unwrap_or_default();
    let Some(sup) = book.get(&sid) else {
        out.add(
            format!("{at}.{}", m.supplier.text),
            Some(sid.clone()),
            Some("a supplier in the profiles".into()),
            format!(
                "{at}: actual data from supplier {sid:?}, which is not in the supplier profiles"
            ),
        );
        return;
    };
    let Some(code) = m.cn.get(el).and_then(cn_of) else {
        return;
    };
    let produced = sup
        .by_cn
        .get(&code)
        .or(if sup.cn_codes_produced.contains(&code) {
            sup.general.as_ref()
        } else {
            None
        });
    let actual = if m.vintage_only {
        produced.or(sup.general.as_ref())
    } else {
        produced
    };
    let Some(actual) = actual else {
        if !m.vintage_only {
            out.add(
                format!("{at}.{}", m.cn.text),
                Some(code.to_string()),
                Some(format!("a CN code {sid} produces")),
                format!(
                    "{at}: supplier {sid} actuals used for CN {}, which it does not produce",
                    code.spaced()
                ),
            );
        }
        return;
    };
    let imported = m.date.get(el).and_then(text).and_then(|t| Date::parse(&t));
    if let (Some(max), Some(d)) = (m.max_age_years, imported) {
        match actual.reporting_year {
            Some(y) if y >= d.year - max as i32 => {}
            y => out.add(
                format!("{at}.{}", m.supplier.text),
                Some(y.map(|y| y.to_string()).unwrap_or_else(|| "none".into())),
                Some(format!("reporting year ≥ {}", d.year - max as i32)),
                format!(
                    "{at}: supplier {sid} data is older than {max} years before the import ({})",
                    d.year
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_patterns_are_recognised() {
        assert_eq!(digits_only(r"^\d{8}$"), Some(8));
        assert_eq!(digits_only(r"^\d{8}"), None);
        assert_eq!(digits_only(r"^[0-9]{8}$"), None);
    }
}
