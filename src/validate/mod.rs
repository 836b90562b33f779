//! Validate: run the rules file over a report — ours or the production system's — as JSON.
//! Findings are data: each names the rule, the JSON path, the value found and what was expected.

pub mod path;
pub mod rules;
pub mod schema;
pub mod typed;

use crate::error::{Error, Result};
use crate::model::{CnCode, Date, Quarter, ScopeStatus, Severity};
use crate::reference::{AnnexScope, SupplierBook};
use path::{decimal, text, Node, Path};
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
    /// The report's JSON Schema, checked before the rules (None: not checked).
    pub schema: Option<&'a schema::ReportSchema>,
}

/// Reads a report file as JSON. The production system writes bare `NaN` for empty cells
/// (not JSON); those tokens are read as null, and the count is returned for a warning.
pub fn read_report(path: &std::path::Path) -> Result<(Value, u64)> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_report(path, &bytes)
}

/// `read_report` for bytes already read (`path` names them in errors).
pub fn parse_report(path: &std::path::Path, bytes: &[u8]) -> Result<(Value, u64)> {
    let (clean, replaced) = replace_non_json_numbers(bytes);
    let v: Value = serde_json::from_slice(&clean).map_err(|e| Error::Parse {
        path: path.to_path_buf(),
        line: e.line() as u64,
        message: format!("not a JSON report: {e}"),
    })?;
    if !v.is_object() {
        return Err(Error::Data {
            path: path.to_path_buf(),
            message: "expected a JSON object (a CBAM report or baseline)".into(),
        });
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
        let tok: Option<usize> = [&b"-Infinity"[..], b"Infinity", b"NaN"]
            .iter()
            .find(|t| rest.starts_with(t))
            .map(|t| t.len());
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

/// Runs the rules inside `cbam report`: over the report's summary sections and its lines (the
/// typed lines, no JSON built), exactly as `cbam validate` would over the written file. Rule
/// findings join `validation_results` (code = rule id, with the JSON path), every rule's outcome
/// goes to `rules_checked`, and the counts and report id are brought up to date.
pub fn check_report(report: &mut crate::assemble::Report, set: &RuleSet, ctx: &Context<'_>) {
    use crate::model::Finding;
    let mut head = serde_json::to_value(crate::assemble::ReportHead(report)).unwrap_or(Value::Null);
    if report.detailed_goods.is_some() {
        if let Some(o) = head.as_object_mut() {
            o.insert(LINES.to_string(), Value::Array(Vec::new()));
        }
    }
    let v = match &report.detailed_goods {
        Some(goods) => validate_stream(set, &head, ctx, &[], &[], |feed| {
            let mut batch: Vec<(usize, &crate::model::Line)> = Vec::with_capacity(BATCH);
            for (i, l) in goods.0.iter().enumerate() {
                batch.push((i, l));
                if batch.len() == BATCH {
                    feed(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
                }
            }
            if !batch.is_empty() {
                feed(batch);
            }
        }),
        None => validate_stream::<&crate::model::Line>(set, &head, ctx, &[], &[], |_| {}),
    };
    let vr = &mut report.validation_results;
    for f in v.findings {
        let mut g = Finding::new("", f.severity, f.message);
        g.code = std::borrow::Cow::Owned(f.rule);
        g.path = Some(f.path);
        g.found = f.found;
        g.expected = f.expected;
        match g.severity {
            Severity::Error => vr.errors.push(g),
            Severity::Warning => vr.warnings.push(g),
            Severity::Info => vr.infos.push(g),
        }
    }
    for list in [&mut vr.errors, &mut vr.warnings, &mut vr.infos] {
        list.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }
    vr.error_count = vr.errors.len() as u64;
    vr.warning_count = vr.warnings.len() as u64;
    vr.info_count = vr.infos.len() as u64;
    vr.is_valid = vr.errors.is_empty();
    vr.rules_checked = v.rules;
    report.report_metadata.report_id = crate::assemble::report_id(report);
}

/// Reads a report from a file in two passes over its bytes — the report without its lines,
/// then the lines one batch at a time — and validates it; a million-line report never sits in
/// memory as a JSON tree. Returns the validation and the count of NaN tokens read as null.
pub fn validate_file(
    path: &std::path::Path,
    set: &RuleSet,
    ctx: &Context<'_>,
    only: &[String],
    skip: &[String],
) -> Result<(Validation, u64)> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let (clean, replaced) = replace_non_json_numbers(&bytes);
    let parse_err = |e: serde_json::Error| Error::Parse {
        path: path.to_path_buf(),
        line: e.line() as u64,
        message: format!("not a JSON report: {e}"),
    };
    let head = {
        let mut de = serde_json::Deserializer::from_slice(&clean);
        let head = serde::de::DeserializeSeed::deserialize(Top { feed: None }, &mut de)
            .map_err(parse_err)?;
        de.end().map_err(parse_err)?;
        head
    };
    let mut failure = None;
    let v = validate_stream(set, &head, ctx, only, skip, |feed| {
        let mut de = serde_json::Deserializer::from_slice(&clean);
        if let Err(e) = serde::de::DeserializeSeed::deserialize(Top { feed: Some(feed) }, &mut de) {
            failure = Some(e);
        }
    });
    if let Some(e) = failure {
        return Err(parse_err(e));
    }
    Ok((v, replaced))
}

/// Where streamed lines go, a batch at a time.
type Feed<'f> = &'f mut dyn FnMut(Vec<(usize, JsonLine)>);

/// The report's top-level object. Without `feed`: every key but the lines, as a JSON object
/// (with `detailed_goods` as an empty array when present). With `feed`: only the lines, handed
/// over in batches.
struct Top<'f> {
    feed: Option<Feed<'f>>,
}

impl<'de> serde::de::DeserializeSeed<'de> for Top<'_> {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Top<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object (a CBAM report)")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        mut self,
        mut map: A,
    ) -> std::result::Result<Value, A::Error> {
        let mut head = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match (&mut self.feed, key == LINES) {
                (None, true) => {
                    // Lines are skipped on this pass; note what was there.
                    let kind = map.next_value_seed(Lines { feed: None })?;
                    head.insert(key, kind);
                }
                (None, false) => {
                    let v: Value = map.next_value()?;
                    head.insert(key, v);
                }
                (Some(feed), true) => {
                    map.next_value_seed(Lines {
                        feed: Some(&mut **feed),
                    })?;
                }
                (Some(_), false) => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(head))
    }
}

/// `detailed_goods`: streamed in batches (with `feed`) or skipped. Returns what stands in the
/// head for it: an empty array for an array, the value itself otherwise.
struct Lines<'f> {
    feed: Option<Feed<'f>>,
}

impl<'de> serde::de::DeserializeSeed<'de> for Lines<'_> {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Lines<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the detailed_goods array")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Value, A::Error> {
        match self.feed {
            None => while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {},
            Some(feed) => {
                // Each line is taken as raw JSON text (a scan, no tree), and a batch of them is
                // parsed into trees in parallel: the tree-building is the costly part.
                let mut raw: Vec<&'de serde_json::value::RawValue> = Vec::with_capacity(BATCH);
                let mut first = 0usize;
                let mut flush = |raw: &mut Vec<&'de serde_json::value::RawValue>,
                                 first: &mut usize|
                 -> std::result::Result<(), A::Error> {
                    let parsed: std::result::Result<Vec<(usize, JsonLine)>, serde_json::Error> =
                        raw.par_iter()
                            .enumerate()
                            .map(|(k, r)| {
                                serde_json::from_str::<Value>(r.get())
                                    .map(|v| (*first + k, JsonLine::new(v)))
                            })
                            .collect();
                    let batch = parsed.map_err(serde::de::Error::custom)?;
                    *first += raw.len();
                    raw.clear();
                    feed(batch);
                    Ok(())
                };
                while let Some(r) = seq.next_element::<&'de serde_json::value::RawValue>()? {
                    raw.push(r);
                    if raw.len() == BATCH {
                        flush(&mut raw, &mut first)?;
                    }
                }
                if !raw.is_empty() {
                    flush(&mut raw, &mut first)?;
                }
            }
        }
        Ok(Value::Array(Vec::new()))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        map: A,
    ) -> std::result::Result<Value, A::Error> {
        serde::Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))
    }
    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
}

fn holds<'a, N: Node<'a>>(c: &Condition, v: N) -> bool {
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

struct Out<'r> {
    rule: &'r Rule,
    findings: Vec<RuleFinding>,
}

impl Out<'_> {
    /// `sum_equals`: a stated total against the sum of the lines (both whole-report and
    /// streaming evaluation decide here).
    fn decide_sum(
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
    fn decide_ratio(&mut self, each: &Path, num: Decimal, den: Decimal, max: Decimal) {
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
    fn decide_de_minimis(&mut self, each: &Path, total: Decimal, threshold: Decimal) {
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

    fn add(
        &mut self,
        path: String,
        found: Option<String>,
        expected: Option<String>,
        message: String,
    ) {
        self.add_sev(self.rule.severity, path, found, expected, message);
    }
    fn add_sev(
        &mut self,
        severity: Severity,
        path: String,
        found: Option<String>,
        expected: Option<String>,
        message: String,
    ) {
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

fn shown<'a, N: Node<'a>>(v: Option<N>) -> Option<String> {
    v.map(|v| v.text().unwrap_or_else(|| v.raw()))
}

/// Runs one rule. `Err(reason)`: the rule cannot run on this input (e.g. needs supplier profiles).
fn run_rule<'a, N: Node<'a>>(
    rule: &Rule,
    report: N,
    head: &Value,
    ctx: &Context<'_>,
) -> std::result::Result<Vec<RuleFinding>, String> {
    let mut out = Out {
        rule,
        findings: Vec::new(),
    };
    match &rule.check {
        Check::Required { paths } => {
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
        Check::Pattern { path, re, pattern } => path.visit(report, &mut |idx, v| {
            let Some(v) = v else { return };
            if v.as_str().is_some_and(|s| match digits_only(pattern) {
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
        }),
        Check::Range {
            path,
            min,
            max,
            exclusive_min,
            exclusive_max,
            unless,
            split,
        } => {
            let mut check = |at: String, v: N| {
                let expected = || {
                    let lo = min.map(|m| format!("{} {m}", if *exclusive_min { ">" } else { "≥" }));
                    let hi = max.map(|m| format!("{} {m}", if *exclusive_max { "<" } else { "≤" }));
                    [lo, hi]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" and ")
                };
                match decimal(v) {
                    None => out.add(
                        at.clone(),
                        shown(Some(v)),
                        Some("a number".into()),
                        format!("{at} is not a number"),
                    ),
                    Some(d) => {
                        let low = min.is_some_and(|m| if *exclusive_min { d <= m } else { d < m });
                        let high = max.is_some_and(|m| if *exclusive_max { d >= m } else { d > m });
                        if low || high {
                            out.add(
                                at.clone(),
                                Some(d.to_string()),
                                Some(expected()),
                                format!("{at} is {d}, expected {}", expected()),
                            );
                        }
                    }
                }
            };
            match split {
                None => path.visit(report, &mut |idx, v| {
                    if let Some(v) = v {
                        check(path.render(idx), v)
                    }
                }),
                // Elements meeting an `unless` condition are not checked (electricity has no
                // mass: VAL-004 skips CN 2716 00 00).
                Some((elements, inner)) => elements.visit(report, &mut |idx, el| {
                    let Some(el) = el else { return };
                    if unless.iter().any(|c| holds(c, el)) {
                        return;
                    }
                    inner.visit(el, &mut |idx2, v| {
                        if let Some(v) = v {
                            check(
                                format!("{}.{}", elements.render(idx), inner.render(idx2)),
                                v,
                            )
                        }
                    })
                }),
            }
        }
        Check::OneOf { path, values } => path.visit(report, &mut |idx, v| {
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
        }),
        Check::InSet { path, set, negate } => path.visit(report, &mut |idx, v| {
            let Some(v) = v else { return };
            if v.as_str().is_some_and(|s| set.contains(s) != *negate) {
                return;
            }
            let t = text(v).unwrap_or_default();
            let inside = set.contains(&t);
            if inside == *negate {
                let exp = if *negate {
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
        }),
        Check::Unique { path } => {
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
        Check::SumEquals {
            path,
            sum_of,
            factor,
            tolerance,
        } => {
            let Some(total) = path.get(report).and_then(decimal) else {
                return Ok(out.findings); // presence is the job of `required`
            };
            let mut sum = Decimal::ZERO;
            sum_of.visit(report, &mut |_, v| {
                if let Some(d) = v.and_then(decimal) {
                    sum += d;
                }
            });
            out.decide_sum(path, sum_of, total, sum * factor, *tolerance);
        }
        Check::LineSum {
            each,
            terms,
            equals,
            tolerance,
        } => each.visit(report, &mut |idx, el| {
            let Some(el) = el else { return };
            let vals: Option<Vec<Decimal>> =
                terms.iter().map(|t| t.get(el).and_then(decimal)).collect();
            let (Some(vals), Some(target)) = (vals, equals.get(el).and_then(decimal)) else {
                return;
            };
            let sum: Decimal = vals.iter().sum();
            if (sum - target).abs() > *tolerance {
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
        }),
        Check::RatioAtMost {
            each,
            numerator,
            denominator,
            when,
            scope,
            max,
        } => {
            let (mut num, mut den) = (Decimal::ZERO, Decimal::ZERO);
            each.visit(report, &mut |_, el| {
                let Some(el) = el else { return };
                if !scope.iter().all(|c| holds(c, el)) {
                    return;
                }
                den += denominator
                    .get(el)
                    .and_then(decimal)
                    .unwrap_or(Decimal::ZERO);
                if when.iter().all(|c| holds(c, el)) {
                    num += numerator.get(el).and_then(decimal).unwrap_or(Decimal::ZERO);
                }
            });
            out.decide_ratio(each, num, den, *max);
        }
        Check::DateWithin {
            path,
            from,
            to,
            report_period,
        } => {
            let (mut lo, mut hi) = (*from, *to);
            if *report_period {
                let get = |k: &str| {
                    head.get("report_metadata")
                        .and_then(|m| m.get(k))
                        .and_then(|v| v.as_str())
                        .and_then(Date::parse)
                };
                match (get("reporting_period_start"), get("reporting_period_end")) {
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
                    Some(d) if lo.is_some_and(|l| d < l) || hi.is_some_and(|h| d > h) => out.add(
                        path.render(idx),
                        Some(t),
                        Some(exp.clone()),
                        format!("{} {d} is outside {exp}", path.render(idx)),
                    ),
                    _ => {}
                }
            });
        }
        Check::QuarterWithin { path, from, to } => path.visit(report, &mut |idx, v| {
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
                Some(q) if q < *from || q > *to => out.add(
                    path.render(idx),
                    Some(t),
                    Some(exp.clone()),
                    format!("{} {q} is outside {exp}", path.render(idx)),
                ),
                _ => {}
            }
        }),
        Check::InScope { path } => path.visit(report, &mut |idx, v| {
            let Some(v) = v else { return };
            if let Some(cn) = v.as_str().and_then(CnCode::normalise) {
                if matches!(ctx.scope.classify(&cn), ScopeStatus::InScope(_)) {
                    return;
                }
            }
            let t = text(v).unwrap_or_default();
            let here = path.render(idx);
            match CnCode::normalise(&t) {
                None => out.add(
                    here.clone(),
                    Some(t),
                    Some("an 8-digit CN code".into()),
                    format!("{here} is not an 8-digit CN code"),
                ),
                Some(cn) => match ctx.scope.classify(&cn) {
                    ScopeStatus::InScope(_) => {}
                    ScopeStatus::Excluded(e) => out.add(
                        here.clone(),
                        Some(t),
                        Some("a CBAM good (Annex I)".into()),
                        format!(
                            "CN {} is excluded from Annex I by the exception {} ({})",
                            cn.spaced(),
                            e.code,
                            e.description
                        ),
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
        Check::SupplierMatches {
            each,
            supplier,
            cn,
            date,
            method,
            max_age_years,
            vintage_only,
        } => {
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
        Check::DeMinimis {
            each,
            mass,
            cn,
            threshold,
            exclude_prefixes,
        } => {
            let mut total = Decimal::ZERO;
            each.visit(report, &mut |_, el| {
                let Some(el) = el else { return };
                let code = cn.get(el).and_then(text).unwrap_or_default();
                if exclude_prefixes
                    .iter()
                    .any(|p| code.starts_with(p.as_str()))
                {
                    return;
                }
                total += mass.get(el).and_then(decimal).unwrap_or(Decimal::ZERO);
            });
            out.decide_de_minimis(each, total, *threshold);
        }
    }
    Ok(out.findings)
}

/// How a rule meets a report whose lines (`detailed_goods`) arrive in batches.
enum Plan {
    /// Reads only the report outside the lines.
    Head,
    /// Reads each line on its own (the rule's line paths, evaluated per line).
    Line,
    /// Accumulates over the lines, decides at the end.
    Across,
}

const LINES: &str = "detailed_goods";

fn is_line_path(p: &Path) -> bool {
    p.segments.first().is_some_and(|s| s.key == LINES && s.each)
}

fn plan(rule: &Rule) -> Plan {
    match &rule.check {
        Check::Required { paths } => {
            if paths.iter().any(is_line_path) {
                Plan::Line
            } else {
                Plan::Head
            }
        }
        Check::SumEquals { sum_of: p, .. } | Check::Unique { path: p } => {
            if is_line_path(p) {
                Plan::Across
            } else {
                Plan::Head
            }
        }
        Check::RatioAtMost { each: p, .. } | Check::DeMinimis { each: p, .. } => {
            if is_line_path(p) {
                Plan::Across
            } else {
                Plan::Head
            }
        }
        Check::Pattern { path: p, .. }
        | Check::Range { path: p, .. }
        | Check::OneOf { path: p, .. }
        | Check::InSet { path: p, .. }
        | Check::DateWithin { path: p, .. }
        | Check::QuarterWithin { path: p, .. }
        | Check::InScope { path: p }
        | Check::LineSum { each: p, .. }
        | Check::SupplierMatches { each: p, .. } => {
            if is_line_path(p) {
                Plan::Line
            } else {
                Plan::Head
            }
        }
    }
}

/// Running state of an `Across` rule.
enum Acc {
    Sum(Decimal),
    Ratio(Decimal, Decimal),
    Unique(rustc_hash::FxHashMap<String, usize>, Vec<RuleFinding>),
    Total(Decimal),
}

/// `detailed_goods[0]…` as rendered on a one-line document → the line's real index.
fn reindex(mut f: RuleFinding, i: usize) -> RuleFinding {
    let from = format!("{LINES}[0]");
    let to = format!("{LINES}[{i}]");
    if f.path.starts_with(&from) {
        f.path = f.path.replacen(&from, &to, 1);
    }
    f.message = f.message.replacen(&from, &to, 1);
    f
}

/// The relative path of a line path (`detailed_goods[].a.b` → `a.b`).
fn rel(p: &Path) -> Path {
    Path {
        text: p.segments[1..]
            .iter()
            .map(|s| s.key.as_str())
            .collect::<Vec<_>>()
            .join("."),
        segments: p.segments[1..].to_vec(),
    }
}

/// Lines per batch when streaming.
pub const BATCH: usize = 8192;

/// One line of a report as the rules see it: the line, and the one-line document
/// `{"detailed_goods": [line]}` that the rules' `detailed_goods[]` paths reach it through.
pub trait LineItem: Send + Sync {
    type N<'a>: Node<'a>
    where
        Self: 'a;
    fn doc(&self) -> Self::N<'_>;
    fn line(&self) -> Self::N<'_>;
    /// The line as JSON, when it was read as JSON (the schema checks those; typed lines are
    /// well-formed by construction).
    fn json(&self) -> Option<&Value> {
        None
    }
}

/// A line read from a report file (held as its one-line document).
pub struct JsonLine(Value);

impl JsonLine {
    pub fn new(line: Value) -> JsonLine {
        // (Built by hand: `json!` would re-serialise the line.)
        let mut m = serde_json::Map::with_capacity(1);
        m.insert(LINES.to_string(), Value::Array(vec![line]));
        JsonLine(Value::Object(m))
    }
}

impl LineItem for JsonLine {
    type N<'a> = &'a Value;
    fn doc(&self) -> &Value {
        &self.0
    }
    fn line(&self) -> &Value {
        &self.0[LINES][0]
    }
    fn json(&self) -> Option<&Value> {
        Some(&self.0[LINES][0])
    }
}

/// Validates a report given as its `head` (everything but the lines; `detailed_goods` present
/// as an empty array if the report has it) and its lines, which `produce` hands over in
/// batches of (index, line). Memory: one batch of lines plus per-rule sums.
pub fn validate_stream<T: LineItem>(
    set: &RuleSet,
    head: &Value,
    ctx: &Context<'_>,
    only: &[String],
    skip: &[String],
    produce: impl FnOnce(&mut dyn FnMut(Vec<(usize, T)>)),
) -> Validation {
    let selected: Vec<&Rule> = set
        .rules
        .iter()
        .filter(|r| (only.is_empty() || only.contains(&r.id)) && !skip.contains(&r.id))
        .collect();
    let mut results: Vec<RuleResult> = selected
        .iter()
        .map(|rule| RuleResult {
            id: rule.id.clone(),
            name: rule.name.clone(),
            severity: rule.severity,
            check: rule.check.name(),
            regulation: rule.regulation.clone(),
            status: "passed",
            findings: 0,
            reason: None,
        })
        .collect();
    // An annual report (`--period YYYY`) names its year in `report_metadata.quarter`: a
    // quarter-format pattern on that field does not apply to it.
    let annual = head
        .child("report_metadata")
        .and_then(|m| m.child("period_length"))
        .and_then(|v| v.as_str())
        == Some("year");
    let quarter_format = |r: &Rule| matches!(&r.check, Check::Pattern { path, .. } if path.text == "report_metadata.quarter");
    let applies: Vec<bool> = selected
        .iter()
        .map(|r| r.applies_when.iter().all(|c| holds(c, head)) && !(annual && quarter_format(r)))
        .collect();
    let plans: Vec<Plan> = selected.iter().map(|r| plan(r)).collect();
    let mut findings: Vec<Vec<RuleFinding>> = vec![Vec::new(); selected.len()];
    let mut not_run: Vec<Option<String>> = vec![None; selected.len()];
    // A summary-only report has no lines: say so for every rule that reads them.
    let has_lines = head.get(LINES).is_some();
    let applies: Vec<bool> = applies
        .into_iter()
        .enumerate()
        .map(|(k, a)| {
            if a && !has_lines && !matches!(plans[k], Plan::Head) {
                let reads_only_lines = match &selected[k].check {
                    Check::Required { paths } => paths.iter().all(is_line_path),
                    _ => true,
                };
                if reads_only_lines || !matches!(selected[k].check, Check::Required { .. }) {
                    not_run[k] = Some(
                        "the report has no detailed_goods (summary only, --details none)".into(),
                    );
                    return false;
                }
            }
            a
        })
        .collect();

    // Head rules, and the head part of `required`.
    let head_runs: Vec<(usize, std::result::Result<Vec<RuleFinding>, String>)> = selected
        .par_iter()
        .enumerate()
        .filter(|(k, _)| applies[*k])
        .filter_map(|(k, rule)| match (&plans[k], &rule.check) {
            (Plan::Head, _) => Some((k, run_rule(rule, head, head, ctx))),
            (Plan::Line, Check::Required { paths }) => {
                let head_paths: Vec<Path> =
                    paths.iter().filter(|p| !is_line_path(p)).cloned().collect();
                if head_paths.is_empty() {
                    return None;
                }
                let mut r = (*rule).clone();
                r.check = Check::Required { paths: head_paths };
                Some((k, run_rule(&r, head, head, ctx)))
            }
            _ => None,
        })
        .collect();
    for (k, res) in head_runs {
        match res {
            Ok(f) => findings[k].extend(f),
            Err(why) => not_run[k] = Some(why),
        }
    }

    // Line rules: each line on its own (a one-line document), in parallel within a batch.
    let line_rules: Vec<(usize, Rule)> = selected
        .iter()
        .enumerate()
        .filter(|(k, _)| applies[*k] && matches!(plans[*k], Plan::Line))
        .map(|(k, r)| {
            let mut r = (*r).clone();
            if let Check::Required { paths } = &mut r.check {
                paths.retain(is_line_path);
            }
            (k, r)
        })
        .collect();
    let mut accs: Vec<Option<Acc>> = selected
        .iter()
        .enumerate()
        .map(|(k, r)| {
            if !applies[k] || !matches!(plans[k], Plan::Across) {
                return None;
            }
            Some(match &r.check {
                Check::SumEquals { .. } => Acc::Sum(Decimal::ZERO),
                Check::RatioAtMost { .. } => Acc::Ratio(Decimal::ZERO, Decimal::ZERO),
                Check::Unique { .. } => Acc::Unique(Default::default(), Vec::new()),
                _ => Acc::Total(Decimal::ZERO),
            })
        })
        .collect();

    // Relative paths of the Across rules, made once (not per line).
    let rel_paths: Vec<Option<Path>> = selected
        .iter()
        .map(|r| match &r.check {
            Check::SumEquals { sum_of: p, .. } | Check::Unique { path: p } if is_line_path(p) => {
                Some(rel(p))
            }
            _ => None,
        })
        .collect();
    // Rules that cannot run on this input at all are decided once, not per line.
    let line_rules: Vec<(usize, Rule)> = line_rules
        .into_iter()
        .filter(|(k, r)| {
            if matches!(r.check, Check::SupplierMatches { .. }) && ctx.suppliers.is_none() {
                not_run[*k] = Some("needs the supplier profiles (--suppliers)".into());
                return false;
            }
            true
        })
        .collect();
    // The JSON Schema first: structure and types.
    let schema = ctx.schema.filter(|_| {
        (only.is_empty() || only.iter().any(|o| o == schema::RULE_ID))
            && !skip.iter().any(|s| s == schema::RULE_ID)
    });
    let mut schema_findings: Vec<RuleFinding> =
        schema.map(|s| s.check_head(head)).unwrap_or_default();
    let mut feed = |docs: Vec<(usize, T)>| {
        if let Some(s) = schema {
            let found: Vec<RuleFinding> = docs
                .par_iter()
                .with_min_len(256)
                .flat_map_iter(|(i, d)| d.json().map(|j| s.check_line(*i, j)).unwrap_or_default())
                .collect();
            schema_findings.extend(found);
        }
        // One-line documents: the rules' `detailed_goods[]` paths then reach exactly this line.
        // Only what a rule found (or why it could not run) is kept: nothing per clean line.
        let per_line: Vec<(usize, std::result::Result<RuleFinding, String>)> = docs
            .par_iter()
            .with_min_len(256)
            .flat_map_iter(|(i, doc)| {
                let mut got = Vec::new();
                for (k, r) in &line_rules {
                    match run_rule(r, doc.doc(), head, ctx) {
                        Ok(f) => got.extend(f.into_iter().map(|f| (*k, Ok(reindex(f, *i))))),
                        Err(why) => got.push((*k, Err(why))),
                    }
                }
                got
            })
            .collect();
        for (k, res) in per_line {
            match res {
                Ok(f) => findings[k].push(f),
                Err(why) => not_run[k] = Some(why),
            }
        }
        // Across rules: sums over the lines, in order; each rule's sum on its own core.
        accs.par_iter_mut().enumerate().for_each(|(k, acc)| {
            let Some(acc) = acc else { return };
            let rule = selected[k];
            for (i, doc) in &docs {
                let el = doc.line();
                match (&rule.check, &mut *acc) {
                    (Check::SumEquals { .. }, Acc::Sum(sum)) => {
                        let Some(r) = &rel_paths[k] else { return };
                        r.visit(el, &mut |_, v| {
                            if let Some(d) = v.and_then(decimal) {
                                *sum += d;
                            }
                        });
                    }
                    (
                        Check::RatioAtMost {
                            numerator,
                            denominator,
                            when,
                            scope,
                            ..
                        },
                        Acc::Ratio(num, den),
                    ) if scope.iter().all(|c| holds(c, el)) => {
                        *den += denominator
                            .get(el)
                            .and_then(decimal)
                            .unwrap_or(Decimal::ZERO);
                        if when.iter().all(|c| holds(c, el)) {
                            *num += numerator.get(el).and_then(decimal).unwrap_or(Decimal::ZERO);
                        }
                    }
                    (Check::Unique { .. }, Acc::Unique(first, out)) => {
                        let Some(r) = &rel_paths[k] else { return };
                        r.visit(el, &mut |idx, v| {
                            let Some(t) = v.and_then(text) else { return };
                            match first.get(&t) {
                                Some(at) => {
                                    let here = format!("{LINES}[{i}].{}", r.render(idx));
                                    out.push(RuleFinding {
                                        rule: rule.id.clone(),
                                        name: rule.name.clone(),
                                        severity: rule.severity,
                                        path: here.clone(),
                                        found: Some(t.clone()),
                                        expected: Some("a unique value".into()),
                                        message: format!(
                                            "{here} repeats {t:?} first seen at {LINES}[{at}]"
                                        ),
                                    })
                                }
                                None => {
                                    first.insert(t, *i);
                                }
                            }
                        });
                    }
                    (
                        Check::DeMinimis {
                            mass,
                            cn,
                            exclude_prefixes,
                            ..
                        },
                        Acc::Total(total),
                    ) => {
                        let code = cn.get(el).and_then(text).unwrap_or_default();
                        if !exclude_prefixes
                            .iter()
                            .any(|p| code.starts_with(p.as_str()))
                        {
                            *total += mass.get(el).and_then(decimal).unwrap_or(Decimal::ZERO);
                        }
                    }
                    _ => {}
                }
            }
        });
    };
    produce(&mut feed);

    // Decide the Across rules.
    for (k, acc) in accs.into_iter().enumerate() {
        let Some(acc) = acc else { continue };
        let rule = selected[k];
        let mut out = Out {
            rule,
            findings: Vec::new(),
        };
        match (&rule.check, acc) {
            (
                Check::SumEquals {
                    path,
                    sum_of,
                    factor,
                    tolerance,
                },
                Acc::Sum(sum),
            ) => {
                if let Some(total) = path.get(head).and_then(decimal) {
                    out.decide_sum(path, sum_of, total, sum * factor, *tolerance);
                }
            }
            (Check::RatioAtMost { each, max, .. }, Acc::Ratio(num, den)) => {
                out.decide_ratio(each, num, den, *max)
            }
            (Check::Unique { .. }, Acc::Unique(_, f)) => out.findings = f,
            (
                Check::DeMinimis {
                    each, threshold, ..
                },
                Acc::Total(total),
            ) => {
                out.decide_de_minimis(each, total, *threshold);
            }
            _ => {}
        }
        findings[k].extend(out.findings);
    }

    let mut all = Vec::new();
    if schema.is_some() {
        results.insert(
            0,
            RuleResult {
                id: schema::RULE_ID.into(),
                name: "Report structure (JSON Schema)".into(),
                severity: Severity::Error,
                check: "json_schema",
                regulation: schema::SCHEMA.0.into(),
                status: if schema_findings.is_empty() {
                    "passed"
                } else {
                    "failed"
                },
                findings: schema_findings.len() as u64,
                reason: None,
            },
        );
        all.append(&mut schema_findings);
    }
    let offset = usize::from(schema.is_some());
    for (k, r) in results.iter_mut().skip(offset).enumerate() {
        if let Some(why) = not_run[k].take() {
            r.status = "not_run";
            r.reason = Some(why);
            continue;
        }
        if !applies[k] {
            r.status = "not_applicable";
            continue;
        }
        if let Some(why) = None::<String> {
            r.status = "not_run";
            r.reason = Some(why);
            continue;
        }
        let f = std::mem::take(&mut findings[k]);
        r.findings = f.len() as u64;
        if f.iter().any(|f| f.severity != Severity::Info) {
            r.status = "failed";
        }
        all.extend(f);
    }
    for n in &set.not_run {
        if (only.is_empty() || only.contains(&n.id)) && !skip.contains(&n.id) {
            results.push(RuleResult {
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
    let count = |s: Severity| all.iter().filter(|f| f.severity == s).count() as u64;
    Validation {
        valid: count(Severity::Error) == 0,
        error_count: count(Severity::Error),
        warning_count: count(Severity::Warning),
        info_count: count(Severity::Info),
        rules: results,
        findings: all,
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

    #[test]
    fn nan_tokens_outside_strings_become_null() {
        let (b, n) = replace_non_json_numbers(
            br#"{"a": NaN, "b": "NaN", "c": [Infinity, -Infinity], "d": "x\"NaN"}"#,
        );
        assert_eq!(n, 3);
        let v: Value = serde_json::from_slice(&b).unwrap();
        assert!(v["a"].is_null() && v["c"][0].is_null() && v["c"][1].is_null());
        assert_eq!(v["b"], "NaN");
    }
}
