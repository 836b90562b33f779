//! The rules inside `cbam report`: over the pipeline's report as built (its summary sections and
//! its typed lines, no JSON built), exactly as `cbam validate` would over the written file.
//!
//! The outcome is data: `Report::finish` (the report's single finishing step) records it.

use super::inline::CheckedLines;
use super::stream::{validate_precomputed, validate_stream, BATCH, LINES};
use super::{Context, Validation};
use crate::model::{Finding, Line};
use crate::reference::rules::RuleSet;
use crate::report::{Report, ReportHead};
use serde_json::Value;

/// The rules over the report as built: the head as JSON (without the per-row lists, which
/// no rule reads), the lines as typed nodes in batches.
pub fn validate_report(
    report: &Report,
    set: &RuleSet,
    ctx: &Context<'_>,
) -> crate::error::Result<Validation> {
    validate_lines(report, set, ctx, &head_of(report))
}

/// The rules over the report as built, its lines already checked where they were made
/// (`inline`): the lines are not read again — unless their outcome does not hold for this
/// report's head, then as `validate_report`.
pub fn validate_report_checked(
    report: &Report,
    set: &RuleSet,
    ctx: &Context<'_>,
    lines: CheckedLines,
) -> crate::error::Result<Validation> {
    let head = head_of(report);
    match lines.for_head(&head) {
        Some(pre) => Ok(validate_precomputed(set, &head, ctx, pre)),
        None => validate_lines(report, set, ctx, &head),
    }
}

/// The head as the rules see it: without the per-row lists, and with an empty
/// `detailed_goods` when the report has lines.
fn head_of(report: &Report) -> Value {
    let head = ReportHead {
        report,
        lists: false,
    };
    let mut head = serde_json::to_value(head).unwrap_or(Value::Null);
    if report.detailed_goods.is_some() {
        if let Some(o) = head.as_object_mut() {
            o.insert(LINES.to_string(), Value::Array(Vec::new()));
        }
    }
    head
}

fn validate_lines(
    report: &Report,
    set: &RuleSet,
    ctx: &Context<'_>,
    head: &Value,
) -> crate::error::Result<Validation> {
    let Some(goods) = &report.detailed_goods else {
        return Ok(validate_stream::<Line>(set, head, ctx, &[], &[], |_| {}));
    };
    let mut read = Ok(());
    let v = validate_stream(set, head, ctx, &[], &[], |feed| {
        let mut first = 0usize;
        read = goods.0.batches(BATCH, |batch| {
            let n = batch.len();
            feed(
                batch
                    .into_iter()
                    .enumerate()
                    .map(|(i, l)| (first + i, l))
                    .collect(),
            );
            first += n;
            Ok(())
        });
    });
    read.map_err(crate::report::spill)?;
    Ok(v)
}

/// The rules' findings as report findings: code = rule id, with the JSON path, the value
/// found and what was expected (`Report::finish` adds them).
pub fn rule_findings(findings: Vec<super::RuleFinding>) -> Vec<Finding> {
    findings
        .into_iter()
        .map(|f| {
            let mut g = Finding::new("", f.severity, f.message);
            g.code = std::borrow::Cow::Owned(f.rule);
            g.path = Some(f.path);
            g.found = f.found;
            g.expected = f.expected;
            g
        })
        .collect()
}
