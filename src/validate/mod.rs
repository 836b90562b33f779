//! Validate: run the rules file over a report — ours or the production system's — as JSON.
//! Findings are data: each names the rule, the JSON path, the value found and what was expected.

pub mod path;
pub mod rules;

use crate::error::{Error, Result};
use crate::model::{CnCode, Date, Quarter, ScopeStatus, Severity};
use crate::reference::{AnnexScope, SupplierBook};
use path::{decimal, text, Path};
use rayon::prelude::*;
use rules::{Check, Condition, Rule, RuleSet};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

/// One violation of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleFinding {
    pub rule: String,
    pub name: String,
    pub severity: Severity,
    /// Concrete JSON path, e.g. `detailed_goods[3].cn_code`.
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    pub message: String,
}

/// What happened to one rule.
#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    pub id: String,
    pub name: String,
    pub severity: Severity,
    pub check: &'static str,
    pub regulation: String,
    /// passed, failed, not_applicable, not_run
    pub status: &'static str,
    pub findings: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Validation {
    pub valid: bool,
    pub error_count: u64,
    pub warning_count: u64,
    pub info_count: u64,
    pub rules: Vec<RuleResult>,
    pub findings: Vec<RuleFinding>,
}

/// What the checks may consult besides the report.
pub struct Context<'a> {
    pub scope: &'a AnnexScope,
    pub suppliers: Option<&'a SupplierBook>,
}

/// Reads a report file as JSON. The production system writes bare `NaN` for empty cells
/// (not JSON); those tokens are read as null, and the count is returned for a warning.
pub fn read_report(path: &std::path::Path) -> Result<(Value, u64)> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    let (clean, replaced) = replace_non_json_numbers(&bytes);
    let v: Value = serde_json::from_slice(&clean).map_err(|e| Error::Parse {
        path: path.to_path_buf(),
        line: e.line() as u64,
        message: format!("not a JSON report: {e}"),
    })?;
    if !v.is_object() {
        return Err(Error::Data { path: path.to_path_buf(), message: "expected a JSON object (a CBAM report)".into() });
    }
    Ok((v, replaced))
}

/// `NaN`, `Infinity`, `-Infinity` outside strings → `null` (same length is not needed).
fn replace_non_json_numbers(b: &[u8]) -> (std::borrow::Cow<'_, [u8]>, u64) {
    if memchr::memmem::find(b, b"NaN").is_none() && memchr::memmem::find(b, b"Infinity").is_none() {
        return (std::borrow::Cow::Borrowed(b), 0);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut in_str = false;
    let mut i = 0;
    let mut n = 0;
    while i < b.len() {
        let c = b[i];
        if in_str {
            out.push(c);
            if c == b'\\' && i + 1 < b.len() {
                out.push(b[i + 1]);
                i += 2;
                continue;
            }
            if c == b'"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        if c == b'"' {
            in_str = true;
        }
        let rest = &b[i..];
        let tok: Option<usize> = [&b"-Infinity"[..], b"Infinity", b"NaN"].iter().find(|t| rest.starts_with(t)).map(|t| t.len());
        if let Some(len) = tok {
            out.extend_from_slice(b"null");
            n += 1;
            i += len;
            continue;
        }
        out.push(c);
        i += 1;
    }
    (std::borrow::Cow::Owned(out), n)
}

fn holds(c: &Condition, v: &Value) -> bool {
    let Some(x) = c.path.get(v) else { return c.if_missing };
    let t = text(x).unwrap_or_default();
    if !c.one_of.is_empty() && !c.one_of.iter().any(|o| *o == t) {
        return false;
    }
    if c.from.is_some() || c.to.is_some() {
        let Some(d) = Date::parse(&t) else { return false };
        if c.from.is_some_and(|f| d < f) || c.to.is_some_and(|e| d > e) {
            return false;
        }
    }
    true
}

fn cn_of(v: &Value) -> Option<CnCode> {
    CnCode::normalise(&text(v)?)
}

struct Out<'r> {
    rule: &'r Rule,
    findings: Vec<RuleFinding>,
}

impl Out<'_> {
    fn add(&mut self, path: String, found: Option<String>, expected: Option<String>, message: String) {
        self.add_sev(self.rule.severity, path, found, expected, message);
    }
    fn add_sev(&mut self, severity: Severity, path: String, found: Option<String>, expected: Option<String>, message: String) {
        self.findings.push(RuleFinding {
            rule: self.rule.id.clone(),
            name: self.rule.name.clone(),
            severity,
            path,
            found: found.map(|f| crate::model::truncate_for_message(&f)),
            expected,
            message,
        });
    }
}

fn shown(v: Option<&Value>) -> Option<String> {
    v.map(|v| text(v).unwrap_or_else(|| v.to_string()))
}

/// Runs one rule. `Err(reason)`: the rule cannot run on this input (e.g. needs supplier profiles).
fn run_rule(rule: &Rule, report: &Value, ctx: &Context<'_>) -> std::result::Result<Vec<RuleFinding>, String> {
    let mut out = Out { rule, findings: Vec::new() };
    match &rule.check {
        Check::Required { paths } => {
            for p in paths {
                p.visit(report, &mut |idx, v| {
                    let missing = match v {
                        None => true,
                        Some(Value::String(s)) => s.trim().is_empty(),
                        Some(_) => false,
                    };
                    if missing {
                        out.add(p.render(idx), shown(v), Some("a value".into()), format!("{} is missing or empty", p.render(idx)));
                    }
                });
            }
        }
        Check::Pattern { path, re, pattern } => path.visit(report, &mut |idx, v| {
            let Some(v) = v else { return };
            match text(v) {
                Some(t) if re.is_match(&t) => {}
                t => out.add(
                    path.render(idx),
                    t.or_else(|| Some(v.to_string())),
                    Some(format!("matching {pattern}")),
                    format!("{} does not match {pattern}", path.render(idx)),
                ),
            }
        }),
        Check::Range { path, min, max, exclusive_min, exclusive_max } => path.visit(report, &mut |idx, v| {
            let Some(v) = v else { return };
            let expected = || {
                let lo = min.map(|m| format!("{} {m}", if *exclusive_min { ">" } else { "≥" }));
                let hi = max.map(|m| format!("{} {m}", if *exclusive_max { "<" } else { "≤" }));
                [lo, hi].into_iter().flatten().collect::<Vec<_>>().join(" and ")
            };
            match decimal(v) {
                None => out.add(path.render(idx), shown(Some(v)), Some("a number".into()), format!("{} is not a number", path.render(idx))),
                Some(d) => {
                    let low = min.is_some_and(|m| if *exclusive_min { d <= m } else { d < m });
                    let high = max.is_some_and(|m| if *exclusive_max { d >= m } else { d > m });
                    if low || high {
                        out.add(path.render(idx), Some(d.to_string()), Some(expected()), format!("{} is {d}, expected {}", path.render(idx), expected()));
                    }
                }
            }
        }),
        Check::OneOf { path, values } => path.visit(report, &mut |idx, v| {
            let Some(v) = v else { return };
            let t = text(v).unwrap_or_default();
            if !values.contains(&t) {
                out.add(path.render(idx), Some(t.clone()), Some(format!("one of {}", values.join(", "))), format!("{} is {t:?}", path.render(idx)));
            }
        }),
        Check::InSet { path, set, negate } => path.visit(report, &mut |idx, v| {
            let Some(v) = v else { return };
            let t = text(v).unwrap_or_default();
            let inside = set.contains(&t);
            if inside == *negate {
                let exp = if *negate { format!("not {}", set.describe()) } else { set.describe().to_string() };
                out.add(path.render(idx), Some(t.clone()), Some(exp.clone()), format!("{} is {t:?}: expected {exp}", path.render(idx)));
            }
        }),
        Check::Unique { path } => {
            let mut first: rustc_hash::FxHashMap<String, String> = Default::default();
            path.visit(report, &mut |idx, v| {
                let Some(t) = v.and_then(text) else { return };
                let here = path.render(idx);
                match first.get(&t) {
                    Some(at) => out.add(here.clone(), Some(t.clone()), Some("a unique value".into()), format!("{here} repeats {t:?} first seen at {at}")),
                    None => {
                        first.insert(t, here);
                    }
                }
            });
        }
        Check::SumEquals { path, sum_of, factor, tolerance } => {
            let Some(total) = path.get(report).and_then(decimal) else {
                return Ok(out.findings); // presence is the job of `required`
            };
            let mut sum = Decimal::ZERO;
            sum_of.visit(report, &mut |_, v| {
                if let Some(d) = v.and_then(decimal) {
                    sum += d;
                }
            });
            let sum = sum * factor;
            if (total - sum).abs() > *tolerance {
                out.add(
                    path.text.clone(),
                    Some(total.to_string()),
                    Some(format!("{sum} (sum of {}) ± {tolerance}", sum_of.text)),
                    format!("{} is {total}, but the sum of {} is {sum} (difference {}, tolerance {tolerance})", path.text, sum_of.text, (total - sum).abs()),
                );
            }
        }
        Check::LineSum { each, terms, equals, tolerance } => each.visit(report, &mut |idx, el| {
            let Some(el) = el else { return };
            let vals: Option<Vec<Decimal>> = terms.iter().map(|t| t.get(el).and_then(decimal)).collect();
            let (Some(vals), Some(target)) = (vals, equals.get(el).and_then(decimal)) else { return };
            let sum: Decimal = vals.iter().sum();
            if (sum - target).abs() > *tolerance {
                let at = format!("{}.{}", each.render(idx), equals.text);
                out.add(
                    at.clone(),
                    Some(target.to_string()),
                    Some(format!("{sum} ± {tolerance}")),
                    format!("{at} is {target}, but {} = {sum}", terms.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" + ")),
                );
            }
        }),
        Check::RatioAtMost { each, numerator, denominator, when, scope, max } => {
            let (mut num, mut den) = (Decimal::ZERO, Decimal::ZERO);
            each.visit(report, &mut |_, el| {
                let Some(el) = el else { return };
                if !scope.iter().all(|c| holds(c, el)) {
                    return;
                }
                den += denominator.get(el).and_then(decimal).unwrap_or(Decimal::ZERO);
                if when.iter().all(|c| holds(c, el)) {
                    num += numerator.get(el).and_then(decimal).unwrap_or(Decimal::ZERO);
                }
            });
            if den > Decimal::ZERO {
                let ratio = num / den;
                if ratio > *max {
                    let pct = |d: Decimal| (d * Decimal::ONE_HUNDRED).round_dp(2).normalize();
                    out.add(
                        each.text.clone(),
                        Some(format!("{}%", pct(ratio))),
                        Some(format!("at most {}%", pct(*max))),
                        format!("{}: {num} of {den} ({}%); at most {}% is allowed", rule.name, pct(ratio), pct(*max)),
                    );
                }
            }
        }
        Check::DateWithin { path, from, to, report_period } => {
            let (mut lo, mut hi) = (*from, *to);
            if *report_period {
                let get = |p: &str| Path::parse(p).ok().and_then(|p| p.get(report).and_then(text)).and_then(|t| Date::parse(&t));
                match (get("report_metadata.reporting_period_start"), get("report_metadata.reporting_period_end")) {
                    (Some(a), Some(b)) => {
                        lo = Some(a);
                        hi = Some(b);
                    }
                    _ => return Err("the report states no reporting_period_start/end".into()),
                }
            }
            path.visit(report, &mut |idx, v| {
                let Some(v) = v else { return };
                let t = text(v).unwrap_or_default();
                let exp = format!("{} … {}", lo.map(|d| d.to_string()).unwrap_or_default(), hi.map(|d| d.to_string()).unwrap_or_default());
                match Date::parse(&t) {
                    None => out.add(path.render(idx), Some(t), Some("a date YYYY-MM-DD".into()), format!("{} is not a date", path.render(idx))),
                    Some(d) if lo.is_some_and(|l| d < l) || hi.is_some_and(|h| d > h) => {
                        out.add(path.render(idx), Some(t), Some(exp.clone()), format!("{} {d} is outside {exp}", path.render(idx)))
                    }
                    _ => {}
                }
            });
        }
        Check::QuarterWithin { path, from, to } => path.visit(report, &mut |idx, v| {
            let Some(v) = v else { return };
            let t = text(v).unwrap_or_default();
            let exp = format!("{from} … {to}");
            match Quarter::parse(&t) {
                None => out.add(path.render(idx), Some(t), Some("YYYYQn".into()), format!("{} is not a quarter of the form YYYYQn", path.render(idx))),
                Some(q) if q < *from || q > *to => out.add(path.render(idx), Some(t), Some(exp.clone()), format!("{} {q} is outside {exp}", path.render(idx))),
                _ => {}
            }
        }),
        Check::InScope { path } => path.visit(report, &mut |idx, v| {
            let Some(v) = v else { return };
            let t = text(v).unwrap_or_default();
            let here = path.render(idx);
            match CnCode::normalise(&t) {
                None => out.add(here.clone(), Some(t), Some("an 8-digit CN code".into()), format!("{here} is not an 8-digit CN code")),
                Some(cn) => match ctx.scope.classify(&cn) {
                    ScopeStatus::InScope(_) => {}
                    ScopeStatus::Excluded(e) => out.add(
                        here.clone(),
                        Some(t),
                        Some("a CBAM good (Annex I)".into()),
                        format!("CN {} is excluded from Annex I by the exception {} ({})", cn.spaced(), e.code, e.description),
                    ),
                    ScopeStatus::NotListed => out.add(
                        here.clone(),
                        Some(t),
                        Some("a CBAM good (Annex I)".into()),
                        format!("CN {} is not covered by Annex I", cn.spaced()),
                    ),
                },
            }
        }),
        Check::SupplierMatches { each, supplier, cn, date, method, max_age_years, vintage_only } => {
            let Some(book) = ctx.suppliers else {
                return Err("needs the supplier profiles (--suppliers)".into());
            };
            each.visit(report, &mut |idx, el| {
                let Some(el) = el else { return };
                if method.get(el).and_then(text).as_deref() != Some("actual_data") {
                    return;
                }
                let at = each.render(idx);
                let sid = supplier.get(el).and_then(text).unwrap_or_default();
                let Some(sup) = book.get(&sid) else {
                    out.add(format!("{at}.{}", supplier.text), Some(sid.clone()), Some("a supplier in the profiles".into()), format!("{at}: actual data from supplier {sid:?}, which is not in the supplier profiles"));
                    return;
                };
                let Some(code) = cn.get(el).and_then(cn_of) else { return };
                let produced = sup.by_cn.get(&code).or(if sup.cn_codes_produced.contains(&code) { sup.general.as_ref() } else { None });
                let actual = if *vintage_only { produced.or(sup.general.as_ref()) } else { produced };
                let Some(actual) = actual else {
                    if *vintage_only {
                        return;
                    }
                    out.add(
                        format!("{at}.{}", cn.text),
                        Some(code.to_string()),
                        Some(format!("a CN code {sid} produces")),
                        format!("{at}: supplier {sid} actuals used for CN {}, which it does not produce", code.spaced()),
                    );
                    return;
                };
                if let (Some(max), Some(d)) = (max_age_years, date.get(el).and_then(text).and_then(|t| Date::parse(&t))) {
                    match actual.reporting_year {
                        Some(y) if y >= d.year - *max as i32 => {}
                        y => out.add(
                            format!("{at}.{}", supplier.text),
                            Some(y.map(|y| y.to_string()).unwrap_or_else(|| "none".into())),
                            Some(format!("reporting year ≥ {}", d.year - *max as i32)),
                            format!("{at}: supplier {sid} data is older than {max} years before the import ({})", d.year),
                        ),
                    }
                }
            });
        }
        Check::DeMinimis { each, mass, cn, threshold, exclude_prefixes } => {
            let mut total = Decimal::ZERO;
            each.visit(report, &mut |_, el| {
                let Some(el) = el else { return };
                let code = cn.get(el).and_then(text).unwrap_or_default();
                if exclude_prefixes.iter().any(|p| code.starts_with(p.as_str())) {
                    return;
                }
                total += mass.get(el).and_then(decimal).unwrap_or(Decimal::ZERO);
            });
            let msg = if total <= *threshold {
                format!("{total} t of CBAM goods (hydrogen and electricity excluded): at or below the {threshold} t annual de minimis threshold, so no CBAM obligation arises for them")
            } else {
                format!("{total} t of CBAM goods (hydrogen and electricity excluded): above the {threshold} t annual de minimis threshold: an authorised CBAM declarant must declare them and surrender certificates")
            };
            out.add(each.text.clone(), Some(total.to_string()), Some(format!("threshold {threshold} t")), msg);
        }
    }
    Ok(out.findings)
}

/// Runs every rule (in parallel; results in rule order) and tallies them.
pub fn validate(set: &RuleSet, report: &Value, ctx: &Context<'_>, only: &[String], skip: &[String]) -> Validation {
    let selected: Vec<&Rule> = set
        .rules
        .iter()
        .filter(|r| (only.is_empty() || only.iter().any(|o| *o == r.id)) && !skip.iter().any(|s| *s == r.id))
        .collect();
    let results: Vec<(RuleResult, Vec<RuleFinding>)> = selected
        .par_iter()
        .map(|rule| {
            let mut res = RuleResult {
                id: rule.id.clone(),
                name: rule.name.clone(),
                severity: rule.severity,
                check: rule.check.name(),
                regulation: rule.regulation.clone(),
                status: "passed",
                findings: 0,
                reason: None,
            };
            if !rule.applies_when.iter().all(|c| holds(c, report)) {
                res.status = "not_applicable";
                return (res, Vec::new());
            }
            match run_rule(rule, report, ctx) {
                Ok(f) => {
                    res.findings = f.len() as u64;
                    if f.iter().any(|f| f.severity != Severity::Info) {
                        res.status = "failed";
                    }
                    (res, f)
                }
                Err(reason) => {
                    res.status = "not_run";
                    res.reason = Some(reason);
                    (res, Vec::new())
                }
            }
        })
        .collect();
    let mut rules = Vec::new();
    let mut findings = Vec::new();
    for (r, f) in results {
        rules.push(r);
        findings.extend(f);
    }
    for n in &set.not_run {
        if (only.is_empty() || only.contains(&n.id)) && !skip.contains(&n.id) {
            rules.push(RuleResult {
                id: n.id.clone(),
                name: n.name.clone(),
                severity: Severity::Info,
                check: "none",
                regulation: String::new(),
                status: "not_run",
                findings: 0,
                reason: Some(n.reason.clone()),
            });
        }
    }
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count() as u64;
    Validation {
        valid: count(Severity::Error) == 0,
        error_count: count(Severity::Error),
        warning_count: count(Severity::Warning),
        info_count: count(Severity::Info),
        rules,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_tokens_outside_strings_become_null() {
        let (b, n) = replace_non_json_numbers(br#"{"a": NaN, "b": "NaN", "c": [Infinity, -Infinity], "d": "x\"NaN"}"#);
        assert_eq!(n, 3);
        let v: Value = serde_json::from_slice(&b).unwrap();
        assert!(v["a"].is_null() && v["c"][0].is_null() && v["c"][1].is_null());
        assert_eq!(v["b"], "NaN");
    }
}
