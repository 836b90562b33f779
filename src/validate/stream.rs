//! The streaming orchestrator: the rules over a report whose lines (`detailed_goods`) arrive
//! in batches. Each rule is planned once — on the report outside its lines, on each line, or
//! across the lines — and memory holds one batch of lines plus per-rule sums.

use super::eval::{add_ratio_parts, de_minimis_mass, holds, run_rule, Lacking, Out};
use super::schema::{self, ReportSchema};
use super::{Context, RuleFinding, RuleResult, Validation};
use crate::formats::jsonpath::{decimal, text, Node, Path};
use crate::model::Severity;
use crate::reference::rules::{Check, Rule, RuleSet};
use rayon::prelude::*;
use rust_decimal::Decimal;
use serde_json::Value;

pub(super) const LINES: &str = "detailed_goods";

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

/// How a rule meets a report whose lines (`detailed_goods`) arrive in batches.
pub(super) enum Plan {
    /// Reads only the report outside the lines.
    Head,
    /// Reads each line on its own (the rule's line paths, evaluated per line).
    Line,
    /// Accumulates over the lines, decides at the end.
    Across,
}

pub(super) fn is_line_path(p: &Path) -> bool {
    p.segments.first().is_some_and(|s| s.key == LINES && s.each)
}

pub(super) fn plan(rule: &Rule) -> Plan {
    let on_lines = |p: &Path, plan: Plan| if is_line_path(p) { plan } else { Plan::Head };
    match &rule.check {
        Check::Required { paths } => {
            if paths.iter().any(is_line_path) {
                Plan::Line
            } else {
                Plan::Head
            }
        }
        Check::SumEquals { sum_of: p, .. }
        | Check::Unique { path: p }
        | Check::RatioAtMost { each: p, .. }
        | Check::DeMinimis { each: p, .. } => on_lines(p, Plan::Across),
        Check::Pattern { path: p, .. }
        | Check::Range { path: p, .. }
        | Check::OneOf { path: p, .. }
        | Check::InSet { path: p, .. }
        | Check::DateWithin { path: p, .. }
        | Check::QuarterWithin { path: p, .. }
        | Check::InScope { path: p }
        | Check::LineSum { each: p, .. } => on_lines(p, Plan::Line),
        Check::SupplierMatches(m) => on_lines(&m.each, Plan::Line),
    }
}

/// Whether `--only`/`--skip` leave the rule `id` in.
fn chosen(id: &str, only: &[String], skip: &[String]) -> bool {
    (only.is_empty() || only.iter().any(|o| o == id)) && !skip.iter().any(|s| s == id)
}

/// The selected rules and what has become of each so far.
struct Selected<'s> {
    rules: Vec<&'s Rule>,
    plans: Vec<Plan>,
    /// Whether the rule applies to this report (its `applies_when`, the report's kind).
    applies: Vec<bool>,
    not_run: Vec<Option<Lacking>>,
    findings: Vec<Vec<RuleFinding>>,
}

impl<'s> Selected<'s> {
    fn new(set: &'s RuleSet, head: &Value, only: &[String], skip: &[String]) -> Selected<'s> {
        let rules: Vec<&Rule> = set
            .rules
            .iter()
            .filter(|r| chosen(&r.id, only, skip))
            .collect();
        let plans: Vec<Plan> = rules.iter().map(|r| plan(r)).collect();
        let mut s = Selected {
            applies: vec![false; rules.len()],
            not_run: vec![None; rules.len()],
            findings: vec![Vec::new(); rules.len()],
            rules,
            plans,
        };
        s.decide_applies(head);
        s
    }

    /// Which rules apply: their `applies_when` holds, and a summary-only report (no lines)
    /// says so for every rule that reads them.
    fn decide_applies(&mut self, head: &Value) {
        // An annual report (`--period YYYY`) names its year in `report_metadata.quarter`: a
        // quarter-format pattern on that field does not apply to it.
        let annual = head
            .child("report_metadata")
            .and_then(|m| m.child("period_length"))
            .and_then(|v| v.as_str())
            == Some("year");
        let quarter_format = |r: &Rule| matches!(&r.check, Check::Pattern { path, .. } if path.text == "report_metadata.quarter");
        let has_lines = head.get(LINES).is_some();
        for (k, rule) in self.rules.iter().enumerate() {
            let applies = rule.applies_when.iter().all(|c| holds(c, head))
                && !(annual && quarter_format(rule));
            // `required` with paths outside the lines still checks those.
            let reads_only_lines = match &rule.check {
                Check::Required { paths } => paths.iter().all(is_line_path),
                _ => true,
            };
            if applies && !has_lines && !matches!(self.plans[k], Plan::Head) && reads_only_lines {
                self.not_run[k] = Some(Lacking::Lines);
                continue;
            }
            self.applies[k] = applies;
        }
    }

    fn record(&mut self, k: usize, res: Result<Vec<RuleFinding>, Lacking>) {
        match res {
            Ok(f) => self.findings[k].extend(f),
            Err(why) => self.not_run[k] = Some(why),
        }
    }

    /// Head rules, and the head part of `required`.
    fn run_head_rules(&mut self, head: &Value, ctx: &Context<'_>) {
        let runs: Vec<(usize, Result<Vec<RuleFinding>, Lacking>)> = self
            .rules
            .par_iter()
            .enumerate()
            .filter(|(k, _)| self.applies[*k])
            .filter_map(|(k, rule)| match (&self.plans[k], &rule.check) {
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
        for (k, res) in runs {
            self.record(k, res);
        }
    }

    /// The rules read line by line (`required` narrowed to its line paths). Rules that cannot
    /// run on this input at all are decided here, once, not per line.
    fn line_rules(&mut self, ctx: &Context<'_>) -> Vec<(usize, Rule)> {
        let mut out = Vec::new();
        for (k, rule) in self.rules.iter().enumerate() {
            if !self.applies[k] || !matches!(self.plans[k], Plan::Line) {
                continue;
            }
            if matches!(rule.check, Check::SupplierMatches(_)) && ctx.suppliers.is_none() {
                self.not_run[k] = Some(Lacking::SupplierProfiles);
                continue;
            }
            let mut r = (*rule).clone();
            if let Check::Required { paths } = &mut r.check {
                paths.retain(is_line_path);
            }
            out.push((k, r));
        }
        out
    }

    /// Every selected rule's outcome, in file order, and the findings in the same order.
    fn outcomes(mut self) -> (Vec<RuleResult>, Vec<RuleFinding>) {
        let mut results = Vec::with_capacity(self.rules.len());
        let mut all = Vec::new();
        for (k, rule) in self.rules.iter().enumerate() {
            let mut r = RuleResult {
                id: rule.id.clone(),
                name: rule.name.clone(),
                severity: rule.severity,
                check: rule.check.name(),
                regulation: rule.regulation.clone(),
                status: "passed",
                findings: 0,
                reason: None,
            };
            if let Some(why) = self.not_run[k].take() {
                r.status = "not_run";
                r.reason = Some(why.to_string());
            } else if !self.applies[k] {
                r.status = "not_applicable";
            } else {
                let f = std::mem::take(&mut self.findings[k]);
                r.findings = f.len() as u64;
                if f.iter().any(|f| f.severity != Severity::Info) {
                    r.status = "failed";
                }
                all.extend(f);
            }
            results.push(r);
        }
        (results, all)
    }
}

/// Running state of an `Across` rule.
pub(super) enum Acc {
    Sum(Decimal),
    Ratio(Decimal, Decimal),
    Unique(Box<UniqueAcc>),
    Total(Decimal),
    /// A `unique` rule's findings, found where the lines were made (`inline`).
    Found(Vec<RuleFinding>),
}

/// The rules that accumulate over the lines: their running state, and the relative paths they
/// read in a line (made once, not per line).
struct Across {
    accs: Vec<Option<Acc>>,
    rel_paths: Vec<Option<Path>>,
    /// A relative path without `[]`, rendered once (it is the same at every line).
    plain: Vec<Option<String>>,
}

impl Across {
    fn new(sel: &Selected<'_>) -> Across {
        let accs = sel
            .rules
            .iter()
            .enumerate()
            .map(|(k, r)| {
                if !sel.applies[k] || !matches!(sel.plans[k], Plan::Across) {
                    return None;
                }
                Some(match &r.check {
                    Check::SumEquals { .. } => Acc::Sum(Decimal::ZERO),
                    Check::RatioAtMost { .. } => Acc::Ratio(Decimal::ZERO, Decimal::ZERO),
                    Check::Unique { .. } => Acc::Unique(Box::default()),
                    _ => Acc::Total(Decimal::ZERO),
                })
            })
            .collect();
        let rel_paths: Vec<Option<Path>> = sel
            .rules
            .iter()
            .map(|r| match &r.check {
                Check::SumEquals { sum_of: p, .. } | Check::Unique { path: p }
                    if is_line_path(p) =>
                {
                    Some(rel(p))
                }
                _ => None,
            })
            .collect();
        let plain = rel_paths
            .iter()
            .map(|p: &Option<Path>| {
                let p = p.as_ref()?;
                (!p.segments.iter().any(|s| s.each)).then(|| p.render(&[]))
            })
            .collect();
        Across {
            accs,
            rel_paths,
            plain,
        }
    }

    /// A batch of lines, in order; each rule's sum on its own core.
    fn add<T: LineItem>(&mut self, rules: &[&Rule], docs: &[(usize, T)]) {
        let (rel_paths, plain) = (&self.rel_paths, &self.plain);
        self.accs.par_iter_mut().enumerate().for_each(|(k, acc)| {
            let Some(acc) = acc else { return };
            for (i, doc) in docs {
                let rel = (rel_paths[k].as_ref(), plain[k].as_deref());
                add_line(rules[k], acc, rel, *i, doc.line());
            }
        });
    }

    /// Decides every `Across` rule once the lines are through.
    fn decide(self, sel: &mut Selected<'_>, head: &Value) {
        for (k, acc) in self.accs.into_iter().enumerate() {
            let Some(acc) = acc else { continue };
            let rule = sel.rules[k];
            let mut out = Out::new(rule);
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
                (Check::Unique { .. }, Acc::Unique(u)) => out.findings = u.findings(rule),
                (Check::Unique { .. }, Acc::Found(f)) => out.findings = f,
                (
                    Check::DeMinimis {
                        each, threshold, ..
                    },
                    Acc::Total(total),
                ) => out.decide_de_minimis(each, total, *threshold),
                _ => {}
            }
            sel.findings[k].extend(out.findings);
        }
    }
}

/// Line `i` (`el`) into the running state of an `Across` rule (`rel`: its path in a line).
pub(super) fn add_line<'a, N: Node<'a>>(
    rule: &Rule,
    acc: &mut Acc,
    (rel, plain): (Option<&Path>, Option<&str>),
    i: usize,
    el: N,
) {
    match (&rule.check, acc) {
        (Check::SumEquals { .. }, Acc::Sum(sum)) => {
            let Some(r) = rel else { return };
            r.visit(el, &mut |_, v| {
                if let Some(d) = v.and_then(decimal) {
                    *sum += d;
                }
            });
        }
        (Check::RatioAtMost { .. }, Acc::Ratio(num, den)) => {
            add_ratio_parts(&rule.check, el, num, den)
        }
        (Check::Unique { .. }, Acc::Unique(u)) => {
            let Some(r) = rel else { return };
            r.visit(el, &mut |idx, v| {
                let Some(v) = v else { return };
                let owned;
                let t = match v.as_str() {
                    Some(s) => s,
                    None => match text(v) {
                        Some(t) => {
                            owned = t;
                            owned.as_str()
                        }
                        None => return,
                    },
                };
                match plain {
                    Some(p) => u.add(t, i, p),
                    None => u.add(t, i, &r.render(idx)),
                }
            });
        }
        (Check::DeMinimis { .. }, Acc::Total(total)) => *total += de_minimis_mass(&rule.check, el),
        _ => {}
    }
}

/// A `unique` rule's values: every (value, line, path) sorted by value into a spilling sorter
/// (bounded memory whatever the number of lines), read once at the end: a value's first line
/// is the smallest, every later one a finding, in the order the lines came.
#[derive(Default)]
pub(super) struct UniqueAcc {
    sorter: crate::fsio::spill::SpillSorter,
    seen: u64,
    key: Vec<u8>,
    payload: Vec<u8>,
    error: Option<std::io::Error>,
}

impl UniqueAcc {
    fn add(&mut self, value: &str, line: usize, path: &str) {
        use crate::fsio::codec::{key_str, put_str, put_u64};
        if self.error.is_some() {
            return;
        }
        self.key.clear();
        key_str(&mut self.key, value);
        self.key.extend_from_slice(&self.seen.to_be_bytes());
        self.payload.clear();
        put_u64(&mut self.payload, self.seen);
        put_u64(&mut self.payload, line as u64);
        put_str(&mut self.payload, value);
        put_str(&mut self.payload, path);
        self.seen += 1;
        self.error = self.sorter.push(&self.key, &self.payload).err();
    }

    fn findings(self, rule: &Rule) -> Vec<RuleFinding> {
        let result = self.error.map_or_else(|| repeats(self.sorter, rule), Err);
        result.unwrap_or_else(|e| {
            vec![RuleFinding {
                rule: rule.id.clone(),
                name: rule.name.clone(),
                severity: rule.severity,
                message: format!("the values could not be compared: temporary file: {e}"),
                path: LINES.to_string(),
                found: None,
                expected: Some("a unique value".into()),
            }]
        })
    }
}

/// The repeated values of a sorted `UniqueAcc`, in the order they were seen.
fn repeats(
    sorter: crate::fsio::spill::SpillSorter,
    rule: &Rule,
) -> std::io::Result<Vec<RuleFinding>> {
    use crate::fsio::codec::Decoder;
    let sorted = sorter.finish()?;
    let mut found: Vec<(u64, RuleFinding)> = Vec::new();
    let mut first: Option<(String, u64)> = None;
    for p in sorted.iter() {
        let p = p?;
        let mut d = Decoder(&p);
        let (seq, line, value, path) = (d.u64()?, d.u64()?, d.string()?, d.str()?);
        match &first {
            Some((v, at)) if *v == value => {
                let here = format!("{LINES}[{line}].{path}");
                found.push((seq, repeated(rule, here, value, *at as usize)));
            }
            _ => first = Some((value, line)),
        }
    }
    found.sort_by_key(|(seq, _)| *seq);
    Ok(found.into_iter().map(|(_, f)| f).collect())
}

/// A `unique` finding across the lines: the value `t` at `here` was first seen on line `at`.
pub(super) fn repeated(rule: &Rule, here: String, t: String, at: usize) -> RuleFinding {
    RuleFinding {
        rule: rule.id.clone(),
        name: rule.name.clone(),
        severity: rule.severity,
        message: format!("{here} repeats {t:?} first seen at {LINES}[{at}]"),
        path: here,
        found: Some(t),
        expected: Some("a unique value".into()),
    }
}

/// `detailed_goods[0]…` as rendered on a one-line document → the line's real index.
pub(super) fn reindex(mut f: RuleFinding, i: usize) -> RuleFinding {
    let from = format!("{LINES}[0]");
    let to = format!("{LINES}[{i}]");
    if f.path.starts_with(&from) {
        f.path = f.path.replacen(&from, &to, 1);
    }
    f.message = f.message.replacen(&from, &to, 1);
    f
}

/// The relative path of a line path (`detailed_goods[].a.b` → `a.b`).
pub(super) fn rel(p: &Path) -> Path {
    Path {
        text: p.segments[1..]
            .iter()
            .map(|s| s.key.as_str())
            .collect::<Vec<_>>()
            .join("."),
        segments: p.segments[1..].to_vec(),
    }
}

/// The line rules over a batch: each line a one-line document, so the rules' `detailed_goods[]`
/// paths reach exactly this line. Only what a rule found (or why it could not run) is kept:
/// nothing per clean line.
fn run_line_rules<T: LineItem>(
    line_rules: &[(usize, Rule)],
    docs: &[(usize, T)],
    head: &Value,
    ctx: &Context<'_>,
) -> Vec<(usize, Result<RuleFinding, Lacking>)> {
    docs.par_iter()
        .with_min_len(256)
        .flat_map_iter(|(i, doc)| {
            let mut got = Vec::new();
            for (k, r) in line_rules {
                match run_rule(r, doc.doc(), head, ctx) {
                    Ok(f) => got.extend(f.into_iter().map(|f| (*k, Ok(reindex(f, *i))))),
                    Err(why) => got.push((*k, Err(why))),
                }
            }
            got
        })
        .collect()
}

/// The JSON Schema over a batch of lines read as JSON.
fn schema_check_lines<T: LineItem>(s: &ReportSchema, docs: &[(usize, T)]) -> Vec<RuleFinding> {
    docs.par_iter()
        .with_min_len(256)
        .flat_map_iter(|(i, d)| d.json().map(|j| s.check_line(*i, j)).unwrap_or_default())
        .collect()
}

/// The outcome of the JSON Schema check, listed before the rules.
fn schema_result(findings: usize) -> RuleResult {
    RuleResult {
        id: schema::RULE_ID.into(),
        name: "Report structure (JSON Schema)".into(),
        severity: Severity::Error,
        check: "json_schema",
        regulation: schema::SCHEMA.0.into(),
        status: if findings == 0 { "passed" } else { "failed" },
        findings: findings as u64,
        reason: None,
    }
}

/// A production rule the file names but that does not run.
fn not_run_result(n: &crate::reference::rules::NotRun) -> RuleResult {
    RuleResult {
        id: n.id.clone(),
        name: n.name.clone(),
        severity: Severity::Info,
        check: "none",
        regulation: String::new(),
        status: "not_run",
        findings: 0,
        reason: Some(n.reason.clone()),
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
    let mut sel = Selected::new(set, head, only, skip);
    sel.run_head_rules(head, ctx);
    let line_rules = sel.line_rules(ctx);
    let mut across = Across::new(&sel);
    // The JSON Schema first: structure and types.
    let schema = ctx.schema.filter(|_| chosen(schema::RULE_ID, only, skip));
    let mut schema_findings: Vec<RuleFinding> =
        schema.map(|s| s.check_head(head)).unwrap_or_default();
    let mut feed = |docs: Vec<(usize, T)>| {
        if let Some(s) = schema {
            schema_findings.extend(schema_check_lines(s, &docs));
        }
        for (k, res) in run_line_rules(&line_rules, &docs, head, ctx) {
            sel.record(k, res.map(|f| vec![f]));
        }
        across.add(&sel.rules, &docs);
    };
    produce(&mut feed);
    across.decide(&mut sel, head);
    let schema_findings = schema.is_some().then_some(schema_findings);
    validation(set, sel, schema_findings, only, skip)
}

/// The rules over a report whose line rules and sums already ran where its lines were made
/// (`inline`): the head rules run here, the lines' outcomes join them, and the sums are
/// decided against the head. The result is what `validate_stream` gives over the same lines.
pub(super) fn validate_precomputed(
    set: &RuleSet,
    head: &Value,
    ctx: &Context<'_>,
    mut lines: Precomputed,
) -> Validation {
    let mut sel = Selected::new(set, head, &[], &[]);
    sel.run_head_rules(head, ctx);
    for (k, _) in sel.line_rules(ctx) {
        let found = std::mem::replace(&mut lines.line_findings[k], Ok(Vec::new()));
        sel.record(k, found);
    }
    let mut across = Across::new(&sel);
    for (k, acc) in across.accs.iter_mut().enumerate() {
        if acc.is_some() {
            *acc = lines.accs[k].take();
        }
    }
    across.decide(&mut sel, head);
    // Typed lines are well-formed by construction: the schema checks the head.
    let schema = ctx.schema.map(|s| s.check_head(head));
    validation(set, sel, schema, &[], &[])
}

/// What the lines gave each rule (indexed as `set.rules`) when they were checked as made.
pub(super) struct Precomputed {
    /// A line rule's findings, in line order (or why it could not run).
    pub line_findings: Vec<Result<Vec<RuleFinding>, Lacking>>,
    /// An `Across` rule's state after every line.
    pub accs: Vec<Option<Acc>>,
}

/// The outcome of every rule and the findings, the JSON Schema's first (`None`: not checked).
fn validation(
    set: &RuleSet,
    sel: Selected<'_>,
    schema_findings: Option<Vec<RuleFinding>>,
    only: &[String],
    skip: &[String],
) -> Validation {
    let mut results = Vec::new();
    let mut all = Vec::new();
    if let Some(mut found) = schema_findings {
        results.push(schema_result(found.len()));
        all.append(&mut found);
    }
    let (rule_results, rule_findings) = sel.outcomes();
    results.extend(rule_results);
    all.extend(rule_findings);
    results.extend(
        set.not_run
            .iter()
            .filter(|n| chosen(&n.id, only, skip))
            .map(not_run_result),
    );
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
