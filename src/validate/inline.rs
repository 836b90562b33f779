//! The line rules inside `cbam report`'s chunk pass: each line is checked where it is
//! calculated, on that chunk's core, so the lines are not read back from disk a second time
//! for the rules. What a line gives a rule (a finding, a value of a `unique` rule, its part of
//! a sum) is kept with the line's place in report order — its sort key — and once every line
//! is sorted the places become the indices `detailed_goods[i]`. The outcome is exactly what
//! `validate_stream` gives over the written lines; where that cannot be known in the chunk
//! pass (a rule reads the row number, which a chunk counts from its own start), `LineChecks::new`
//! says so and the rules run over the lines afterwards, as before.

use super::eval::{run_rule, Lacking};
use super::stream::{
    add_line, is_line_path, plan, reindex, rel, repeated, Acc, Plan, Precomputed, LINES,
};
use super::typed::LineNode;
use super::{Context, RuleFinding};
use crate::formats::jsonpath::{text, Path};
use crate::fsio::codec::{key_str, put_str, put_u64, Decoder};
use crate::fsio::spill::SpillSorter;
use crate::model::{Col, Date, Line, Quarter};
use crate::reference::rules::{Check, Rule, RuleSet};
use serde_json::Value;
use std::io;

/// The rules as they run per line, planned once before the pass. Whether a rule applies to
/// the report is decided at the end, against its head: the findings of one that does not are
/// dropped then.
pub struct LineChecks<'s> {
    rules: &'s [Rule],
    /// (index in the rule set, the rule narrowed to its line paths).
    line_rules: Vec<(usize, Rule)>,
    /// (index, relative path in a line, that path rendered when it has no `[]`).
    across: Vec<(usize, Option<Path>, Option<String>)>,
    /// The reporting period the request names (`--quarter`, `--period`); without it a report
    /// has the one quarter of its lines, so each line's own quarter is that period.
    period: Option<(Date, Date)>,
}

/// Where a line sits in report order (`report::line_key`): its shipment id, row (counted
/// from its chunk's start until the chunk is placed) and file.
#[derive(Clone)]
struct Place {
    id: std::sync::Arc<str>,
    row: u64,
    file: u32,
}

impl Place {
    fn key(&self, rows_before: u64) -> Vec<u8> {
        let mut k = Vec::with_capacity(self.id.len() + 14);
        crate::report::line_key(&mut k, &self.id, self.row + rows_before, self.file);
        k
    }
}

impl<'s> LineChecks<'s> {
    /// `None` when a rule reads `_row` (a chunk's row numbers are not yet the file's).
    pub fn new(set: &'s RuleSet, quarter: Option<Quarter>, year: Option<i32>) -> Option<Self> {
        let mut checks = LineChecks {
            rules: &set.rules,
            line_rules: Vec::new(),
            across: Vec::new(),
            period: match (year, quarter) {
                (Some(y), _) => Some((
                    Quarter { year: y, q: 1 }.start(),
                    Quarter { year: y, q: 4 }.end(),
                )),
                (None, Some(q)) => Some((q.start(), q.end())),
                (None, None) => None,
            },
        };
        for (k, rule) in set.rules.iter().enumerate() {
            // (The check's every path and condition, as text: conservative by design.)
            if format!("{:?}", rule.check).contains("\"_row\"") {
                return None;
            }
            match plan(rule) {
                Plan::Head => {}
                Plan::Line => {
                    let mut r = rule.clone();
                    if let Check::Required { paths } = &mut r.check {
                        paths.retain(is_line_path);
                    }
                    checks.line_rules.push((k, r));
                }
                Plan::Across => {
                    let rel_path = match &rule.check {
                        Check::SumEquals { sum_of: p, .. } | Check::Unique { path: p } => {
                            Some(rel(p))
                        }
                        _ => None,
                    };
                    let plain = rel_path
                        .as_ref()
                        .filter(|p| !p.segments.iter().any(|s| s.each))
                        .map(|p| p.render(&[]));
                    checks.across.push((k, rel_path, plain));
                }
            }
        }
        Some(checks)
    }

    /// A chunk's empty state.
    pub fn chunk(&self) -> ChunkChecks {
        ChunkChecks {
            accs: self
                .across
                .iter()
                .map(|(k, _, _)| match &self.rules[*k].check {
                    Check::SumEquals { .. } => Acc::Sum(Default::default()),
                    Check::RatioAtMost { .. } => Acc::Ratio(Default::default(), Default::default()),
                    Check::Unique { .. } => Acc::Found(Vec::new()),
                    _ => Acc::Total(Default::default()),
                })
                .collect(),
            ..ChunkChecks::default()
        }
    }
}

/// What one chunk's lines gave the rules.
#[derive(Default)]
pub struct ChunkChecks {
    /// (place, rule index, finding on the one-line document `detailed_goods[0]`).
    found: Vec<(Place, usize, RuleFinding)>,
    lacking: Vec<(usize, Lacking)>,
    /// Per `across` rule, in the order of `LineChecks::across`.
    accs: Vec<Acc>,
    /// (across position, value, path in the line, place) for the `unique` rules.
    values: Vec<(usize, String, String, Place)>,
    /// The periods a line's own quarter gave (one, unless the report is refused anyway).
    periods: Vec<(Date, Date)>,
    heads: Vec<((Date, Date), Value)>,
}

impl ChunkChecks {
    /// The rules on one calculated line (`file`: its input's index).
    pub fn line(&mut self, checks: &LineChecks<'_>, ctx: &Context<'_>, l: &Line, file: u32) {
        let mut place: Option<Place> = None;
        let mut place_of = |l: &Line| {
            place
                .get_or_insert_with(|| Place {
                    id: l.shipment.row.get(Col::ShipmentId).into(),
                    row: l.shipment.row.row,
                    file,
                })
                .clone()
        };
        let at = self.head_for(checks, l);
        let head = &self.heads[at].1;
        for (k, r) in &checks.line_rules {
            match run_rule(r, LineNode::Doc(l), head, ctx) {
                Ok(found) => {
                    for f in found {
                        self.found.push((place_of(l), *k, f));
                    }
                }
                Err(why) => {
                    if !self.lacking.iter().any(|(j, _)| j == k) {
                        self.lacking.push((*k, why));
                    }
                }
            }
        }
        for (a, (k, rel_path, plain)) in checks.across.iter().enumerate() {
            let rule = &checks.rules[*k];
            if let (Check::Unique { .. }, Some(p)) = (&rule.check, rel_path) {
                p.visit(LineNode::Good(l), &mut |idx, v| {
                    let Some(t) = v.and_then(text) else { return };
                    let path = plain.clone().unwrap_or_else(|| p.render(idx));
                    self.values.push((a, t, path, place_of(l)));
                });
            } else {
                let rel = (rel_path.as_ref(), plain.as_deref());
                add_line(rule, &mut self.accs[a], rel, 0, LineNode::Good(l));
            }
        }
    }

    /// The head a `within: report_period` rule reads for this line: the request's period, or
    /// the line's own quarter (noted, to be compared with the report's at the end). Its index
    /// in `heads`.
    fn head_for(&mut self, checks: &LineChecks<'_>, l: &Line) -> usize {
        let period = checks
            .period
            .unwrap_or_else(|| (l.shipment.quarter.start(), l.shipment.quarter.end()));
        if checks.period.is_none() && !self.periods.contains(&period) {
            self.periods.push(period);
        }
        match self.heads.iter().position(|(p, _)| *p == period) {
            Some(i) => i,
            None => {
                let head = serde_json::json!({"report_metadata": {
                    "reporting_period_start": period.0.to_string(),
                    "reporting_period_end": period.1.to_string(),
                }});
                self.heads.push((period, head));
                self.heads.len() - 1
            }
        }
    }
}

/// The chunks' checks merged in file order.
pub struct LinePass<'s> {
    checks: &'s LineChecks<'s>,
    found: Vec<(Vec<u8>, usize, RuleFinding)>,
    lacking: Vec<(usize, Lacking)>,
    accs: Vec<Acc>,
    /// Per `unique` rule: its values sorted by (value, place), spilling past a budget.
    values: Vec<Option<SpillSorter>>,
    periods: Vec<(Date, Date)>,
}

impl<'s> LinePass<'s> {
    pub fn new(checks: &'s LineChecks<'s>) -> LinePass<'s> {
        let first = checks.chunk();
        let values = checks
            .across
            .iter()
            .map(|(k, _, _)| matches!(checks.rules[*k].check, Check::Unique { .. }))
            .map(|u| u.then(SpillSorter::new))
            .collect();
        LinePass {
            accs: first.accs,
            checks,
            found: Vec::new(),
            lacking: Vec::new(),
            values,
            periods: Vec::new(),
        }
    }

    /// A chunk's checks, its rows placed after `rows_before` rows of its file.
    pub fn append(&mut self, c: ChunkChecks, rows_before: u64) -> io::Result<()> {
        for (place, k, f) in c.found {
            self.found.push((place.key(rows_before), k, f));
        }
        for (k, why) in c.lacking {
            if !self.lacking.iter().any(|(j, _)| *j == k) {
                self.lacking.push((k, why));
            }
        }
        for (mine, theirs) in self.accs.iter_mut().zip(c.accs) {
            merge(mine, theirs);
        }
        let (mut key, mut payload) = (Vec::new(), Vec::new());
        for (a, value, path, place) in c.values {
            let Some(sorter) = self.values[a].as_mut() else {
                continue;
            };
            let at = place.key(rows_before);
            key.clear();
            key_str(&mut key, &value);
            key.extend_from_slice(&at);
            payload.clear();
            put_str(&mut payload, &value);
            put_str(&mut payload, &path);
            put_u64(&mut payload, at.len() as u64);
            payload.extend_from_slice(&at);
            sorter.push(&key, &payload)?;
        }
        for p in c.periods {
            if !self.periods.contains(&p) {
                self.periods.push(p);
            }
        }
        Ok(())
    }

    /// What every rule got from the lines, their places made indices by `ranks` (given keys
    /// in ascending order, each key's index among the sorted lines).
    pub fn resolve(
        self,
        ranks: impl FnOnce(&[Vec<u8>]) -> io::Result<Vec<u64>>,
    ) -> io::Result<CheckedLines> {
        let rules = &self.checks.rules;
        let mut repeats = Vec::new();
        for (a, sorter) in self.values.into_iter().enumerate() {
            if let Some(sorter) = sorter {
                repeats.extend(repeated_values(sorter, a)?);
            }
        }
        let mut keys: Vec<Vec<u8>> = self.found.iter().map(|(k, _, _)| k.clone()).collect();
        for r in &repeats {
            keys.push(r.here.clone());
            keys.push(r.first.clone());
        }
        keys.sort_unstable();
        keys.dedup();
        let at = ranks(&keys)?;
        let rank = |k: &[u8]| {
            let i = keys.binary_search_by(|x| x.as_slice().cmp(k));
            i.map(|i| at[i]).map_err(|_| crate::fsio::codec::corrupt())
        };

        let mut line_findings: Vec<Result<Vec<RuleFinding>, Lacking>> =
            (0..rules.len()).map(|_| Ok(Vec::new())).collect();
        let mut found = Vec::with_capacity(self.found.len());
        for (seq, (key, k, f)) in self.found.into_iter().enumerate() {
            found.push((k, rank(&key)?, seq, f));
        }
        found.sort_by_key(|(k, r, seq, _)| (*k, *r, *seq));
        for (k, r, _, f) in found {
            if let Ok(v) = &mut line_findings[k] {
                v.push(reindex(f, r as usize));
            }
        }
        for (k, why) in self.lacking {
            line_findings[k] = Err(why);
        }

        let mut accs: Vec<Option<Acc>> = (0..rules.len()).map(|_| None).collect();
        for ((k, _, _), acc) in self.checks.across.iter().zip(self.accs) {
            accs[*k] = Some(acc);
        }
        let mut by_rule: Vec<Vec<(u64, u64, RuleFinding)>> = vec![Vec::new(); rules.len()];
        for (seq, r) in repeats.into_iter().enumerate() {
            let k = self.checks.across[r.across].0;
            let (here, first) = (rank(&r.here)?, rank(&r.first)?);
            let at = format!("{LINES}[{here}].{}", r.path);
            let f = repeated(&rules[k], at, r.value, first as usize);
            by_rule[k].push((here, seq as u64, f));
        }
        for (k, mut list) in by_rule.into_iter().enumerate() {
            if let Some(Acc::Found(v)) = &mut accs[k] {
                list.sort_by_key(|(here, seq, _)| (*here, *seq));
                v.extend(list.into_iter().map(|(_, _, f)| f));
            }
        }
        Ok(CheckedLines {
            pre: Precomputed {
                line_findings,
                accs,
            },
            periods: self.periods,
        })
    }
}

/// The lines' outcome for every rule, indexed; the report's head decides whether it holds.
pub struct CheckedLines {
    pre: Precomputed,
    periods: Vec<(Date, Date)>,
}

impl CheckedLines {
    /// `None`: the report's period is not the one its lines were checked against (check them
    /// over again).
    pub(super) fn for_head(self, head: &Value) -> Option<Precomputed> {
        (self.periods.is_empty() || same_period(head, &self.periods)).then_some(self.pre)
    }
}

fn merge(mine: &mut Acc, theirs: Acc) {
    match (mine, theirs) {
        (Acc::Sum(a), Acc::Sum(b)) | (Acc::Total(a), Acc::Total(b)) => *a += b,
        (Acc::Ratio(n, d), Acc::Ratio(m, e)) => {
            *n += m;
            *d += e;
        }
        (Acc::Found(a), Acc::Found(mut b)) => a.append(&mut b),
        _ => {}
    }
}

/// Whether the report's own period is the one period its lines were checked against.
fn same_period(head: &Value, used: &[(Date, Date)]) -> bool {
    let get = |k: &str| {
        head.get("report_metadata")
            .and_then(|m| m.get(k))
            .and_then(|v| v.as_str())
            .and_then(Date::parse)
    };
    match (
        used,
        get("reporting_period_start"),
        get("reporting_period_end"),
    ) {
        ([(s, e)], Some(start), Some(end)) => *s == start && *e == end,
        _ => false,
    }
}

/// A value of a `unique` rule seen again: where (`here`), and where first (`first`).
struct Repeat {
    across: usize,
    value: String,
    path: String,
    here: Vec<u8>,
    first: Vec<u8>,
}

/// The repeated values of one `unique` rule's sorted values: a value's first place is its
/// smallest, every later one a repeat.
fn repeated_values(sorter: SpillSorter, across: usize) -> io::Result<Vec<Repeat>> {
    let sorted = sorter.finish()?;
    let mut out = Vec::new();
    let mut first: Option<(String, Vec<u8>)> = None;
    for p in sorted.iter() {
        let p = p?;
        let mut d = Decoder(&p);
        let (value, path) = (d.string()?, d.string()?);
        let n = usize::try_from(d.u64()?).map_err(|_| crate::fsio::codec::corrupt())?;
        let at =
            d.0.get(..n)
                .ok_or_else(crate::fsio::codec::corrupt)?
                .to_vec();
        match &first {
            Some((v, f)) if *v == value => out.push(Repeat {
                across,
                value,
                path,
                here: at,
                first: f.clone(),
            }),
            _ => first = Some((value, at)),
        }
    }
    Ok(out)
}
