//! The rules inside `cbam report`: over the pipeline's report as built (its summary sections and
//! its typed lines, no JSON built), exactly as `cbam validate` would over the written file.
//!
//! `record_rule_outcomes` is the part that finishes the report (counts, `report_id`): it belongs
//! with the report's single finishing step and is kept apart here so it can move there whole.

use super::rules::RuleSet;
use super::stream::{validate_stream, BATCH, LINES};
use super::{Context, Validation};
use crate::assemble::{Report, ReportHead};
use crate::model::{Finding, Line, Severity};
use serde_json::Value;

/// Runs the rules over the pipeline's report and records their outcome in it.
pub fn check_report(report: &mut Report, set: &RuleSet, ctx: &Context<'_>) {
    let v = validate_report(report, set, ctx);
    record_rule_outcomes(report, v);
}

/// The rules over the report as built: the head as JSON, the lines as typed nodes in batches.
pub fn validate_report(report: &Report, set: &RuleSet, ctx: &Context<'_>) -> Validation {
    let mut head = serde_json::to_value(ReportHead(report)).unwrap_or(Value::Null);
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

/// Finishes the report with the rules' outcome: rule findings join `validation_results` (code =
/// rule id, with the JSON path), every rule's outcome goes to `rules_checked`, and the counts
/// and the report id are brought up to date.
pub fn record_rule_outcomes(report: &mut Report, v: Validation) {
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
