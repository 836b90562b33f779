//! Validate: run the rules file over a report — ours or the production system's — as JSON.
//! Findings are data: each names the rule, the JSON path, the value found and what was expected.
//!
//! The jobs, a file each: `read` reads a report file (whole, or streamed in two passes),
//! `rules` loads the rules file, `eval` runs one rule over one document, `stream` orchestrates
//! the rules over a report whose lines arrive in batches, and `finish` runs them inside
//! `cbam report` over the pipeline's own report.

mod eval;
mod finish;
pub mod inline;
mod read;
pub mod registry;
pub mod schema;
mod stream;
pub mod typed;

pub use crate::report::RuleResult;
pub use finish::{rule_findings, validate_report, validate_report_checked};
pub(crate) use read::replace_non_json_numbers;
pub use read::{
    check_keys, parse_report, read_report, report_head, stream_array, validate_file, ReportArray,
};
pub use stream::{validate_stream, JsonLine, LineItem, BATCH};

use crate::model::Severity;
use crate::reference::{AnnexScope, SupplierBook};
use serde::Serialize;

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
