//! The rules inside `cbam report`: over the pipeline's report as built (its summary sections and
//! its typed lines, no JSON built), exactly as `cbam validate` would over the written file.
//!
//! The outcome is data: `Report::finish` (the report's single finishing step) records it.

use super::stream::{validate_stream, BATCH, LINES};
use super::{Context, Validation};
use crate::model::{Finding, Line};
use crate::reference::rules::RuleSet;
use crate::report::{Report, ReportHead};
use serde_json::Value;

/// The rules over the report as built: the head as JSON (without the per-row lists, which
/// no rule reads), the lines as typed nodes in batches.
pub fn validate_report(report: &Report, set: &RuleSet, ctx: &Context<'_>) -> Validation {
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
    match &report.detailed_goods {
        Some(goods) => validate_stream(set, &head, ctx, &[], &[], |feed| {
            let mut batch: Vec<(usize, &Line)> = Vec::with_capacity(BATCH);
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
        None => validate_stream::<&Line>(set, &head, ctx, &[], &[], |_| {}),
    }
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
