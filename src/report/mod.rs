//! The report's shape: every section of the report JSON, as the pipeline builds it and the
//! writers, `validate`, `diff` and `verify` read it. Below the stages: it names domain types
//! (`model`, `provenance`) and the policy it was made under (`reference`), never a stage.

mod detailed;
mod id;
mod lines;
mod listed;
pub mod obligation;

pub use crate::model::LIST_KEYS;
pub use detailed::{DetailedGood, DetailedGoods};
pub use id::{report_id, ReportHead};
pub use lines::{line_key, LineSource, Lines, LINE_BATCH};
pub use listed::{Batch, Listed, Record};
pub use obligation::*;

use crate::model::{Finding, Period, RejectedRow, Severity};
use crate::provenance::FileDigest;
use crate::reference::Policy;
use rust_decimal::Decimal;
use serde::Serialize;

pub const TOOL_NAME: &str = "cbam";
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Fields whose value may differ between two runs on the same inputs; `cbam diff` ignores only these.
pub const VOLATILE_FIELDS: [&str; 2] = [
    "report_metadata.generated_at",
    "importer_declaration.declaration_date",
];

mod num {
    pub use rust_decimal::serde::arbitrary_precision::serialize as exact;
    pub use rust_decimal::serde::arbitrary_precision_option::serialize as exact_opt;
}

#[derive(Debug, Clone, Default)]
pub struct Importer {
    pub name: String,
    pub country: String,
    pub eori: String,
    pub declarant_name: String,
    pub declarant_position: String,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub report_metadata: ReportMetadata,
    pub importer_declaration: ImporterDeclaration,
    pub goods_summary: GoodsSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detailed_goods: Option<DetailedGoods>,
    pub emissions_summary: EmissionsSummary,
    /// Definitive period only: certificates, free-allocation adjustment, cost, de minimis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_obligation: Option<obligation::CertificateObligation>,
    pub validation_results: ValidationResults,
    pub provenance: Provenance,
    /// The lines when they are not part of the JSON (`--details none`): still written by `--lines`.
    #[serde(skip)]
    pub undetailed_lines: Option<Lines>,
}

impl Report {
    /// The calculated lines in report order, when they were kept.
    pub fn lines(&self) -> Option<&Lines> {
        match (&self.detailed_goods, &self.undetailed_lines) {
            (Some(d), _) => Some(&d.0),
            (None, l) => l.as_ref(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ReportMetadata {
    pub report_id: String,
    pub quarter: String,
    pub reporting_period_start: String,
    pub reporting_period_end: String,
    pub period_type: Period,
    /// `year` for an annual report (`--period YYYY`); absent for a quarterly one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_length: Option<&'static str>,
    pub generated_at: String,
    pub generated_by: String,
    pub version: String,
    /// `full` (one `detailed_goods` entry per shipment) or `summary` (`--details none`).
    pub details: &'static str,
    pub volatile_fields: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct ImporterDeclaration {
    pub importer_name: String,
    pub importer_country: String,
    pub importer_eori: String,
    pub declaration_date: String,
    pub declarant_name: String,
    pub declarant_position: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RowCounts {
    pub read: u64,
    pub calculated: u64,
    pub rejected: u64,
    pub out_of_scope: u64,
}

#[derive(Debug, Serialize)]
pub struct GoodsSummary {
    pub total_shipments: u64,
    #[serde(serialize_with = "num::exact")]
    pub total_mass_tonnes: Decimal,
    pub rows: RowCounts,
    pub product_groups: Vec<ProductGroupSummary>,
    pub origin_countries: Vec<OriginSummary>,
    /// One entry per CN code × origin (what the registry reports as a good).
    pub goods: Vec<GoodSummary>,
}

#[derive(Debug, Serialize)]
pub struct ProductGroupSummary {
    pub product_group: String,
    pub sector: String,
    pub shipment_count: u64,
    #[serde(serialize_with = "num::exact")]
    pub total_mass_tonnes: Decimal,
    pub cn_codes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct OriginSummary {
    pub country_iso: String,
    pub country_name: String,
    pub shipment_count: u64,
    #[serde(serialize_with = "num::exact")]
    pub total_mass_tonnes: Decimal,
}

#[derive(Debug, Serialize)]
pub struct GoodSummary {
    pub cn_code: String,
    pub origin_iso: String,
    pub sector: String,
    pub shipment_count: u64,
    #[serde(serialize_with = "num::exact")]
    pub total_mass_tonnes: Decimal,
    #[serde(serialize_with = "num::exact")]
    pub direct_emissions_tco2: Decimal,
    #[serde(serialize_with = "num::exact")]
    pub indirect_emissions_tco2: Decimal,
    #[serde(serialize_with = "num::exact")]
    pub total_emissions_tco2: Decimal,
    pub actual_data_count: u64,
    pub default_values_count: u64,
}

#[derive(Debug, Serialize)]
pub struct EmissionsSummary {
    #[serde(serialize_with = "num::exact")]
    pub total_direct_emissions_tco2: Decimal,
    #[serde(serialize_with = "num::exact")]
    pub total_indirect_emissions_tco2: Decimal,
    #[serde(serialize_with = "num::exact")]
    pub total_embedded_emissions_tco2: Decimal,
    /// The same sums before the total's rounding (line precision): what the totals round from.
    pub exact_sums: ExactSums,
    pub emissions_by_product_group: Vec<ShareEntry>,
    pub emissions_by_origin_country: Vec<ShareEntry>,
    #[serde(serialize_with = "num::exact_opt")]
    pub emissions_intensity_tco2_per_tonne: Option<Decimal>,
    pub calculation_methods_used: MethodCounts,
}

#[derive(Debug, Serialize)]
pub struct ExactSums {
    #[serde(serialize_with = "num::exact")]
    pub direct_emissions_tco2: Decimal,
    #[serde(serialize_with = "num::exact")]
    pub indirect_emissions_tco2: Decimal,
    #[serde(serialize_with = "num::exact")]
    pub total_emissions_tco2: Decimal,
}

#[derive(Debug, Serialize)]
pub struct ShareEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_iso: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_name: Option<String>,
    #[serde(serialize_with = "num::exact")]
    pub total_emissions_tco2: Decimal,
    #[serde(serialize_with = "num::exact")]
    pub percentage_of_total: Decimal,
}

#[derive(Debug, Serialize)]
pub struct MethodCounts {
    pub default_values_count: u64,
    pub actual_data_count: u64,
    pub complex_goods_count: u64,
    pub estimation_count: u64,
}

#[derive(Debug, Serialize)]
pub struct ValidationResults {
    pub is_valid: bool,
    pub error_count: u64,
    pub warning_count: u64,
    pub info_count: u64,
    pub rows: RowCounts,
    /// Every rule of the rules file: passed, failed, not applicable or not run (with why).
    pub rules_checked: Vec<RuleResult>,
    /// With `--xml`: the registry's verdict on the QReport written beside the report (its
    /// findings are among `errors`, `warnings` and `infos`, naming the XML as their file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<RegistryVerdict>,
    pub errors: Listed<Finding>,
    pub warnings: Listed<Finding>,
    pub infos: Listed<Finding>,
    pub rejected_rows: Listed<RejectedRow>,
}

/// The verdict on a report's QReport XML: what `cbam validate` of that file says.
#[derive(Debug, Clone, Serialize)]
pub struct RegistryVerdict {
    #[serde(skip_serializing_if = "crate::provenance::hidden_in_identity")]
    pub file: String,
    /// `QReport 23.00`.
    pub schema: String,
    /// False when a finding of severity error stopped it from being written.
    pub written: bool,
    /// Written, and no finding of severity error: the registry would accept the upload.
    pub valid_for_upload: bool,
    pub error_count: u64,
    pub warning_count: u64,
    pub info_count: u64,
}

/// The four per-row lists of `validation_results` while the pipeline fills them: findings by
/// severity, rejected rows, and how many of those are out of scope.
#[derive(Debug, Default)]
pub struct RowLists {
    pub errors: Listed<Finding>,
    pub warnings: Listed<Finding>,
    pub infos: Listed<Finding>,
    pub rejected: Listed<RejectedRow>,
    pub out_of_scope: u64,
}

impl RowLists {
    /// Lists that hold `budget` bytes each in memory before they spill.
    pub fn with_budget(budget: usize) -> RowLists {
        RowLists {
            errors: Listed::with_budget(budget),
            warnings: Listed::with_budget(budget),
            infos: Listed::with_budget(budget),
            rejected: Listed::with_budget(budget),
            out_of_scope: 0,
        }
    }

    pub fn finding(&mut self, f: &Finding) -> crate::error::Result<()> {
        let list = match f.severity {
            Severity::Error => &mut self.errors,
            Severity::Warning => &mut self.warnings,
            Severity::Info => &mut self.infos,
        };
        list.push(f).map_err(spill)
    }

    pub fn rejected(&mut self, r: &RejectedRow) -> crate::error::Result<()> {
        if r.status == "out_of_scope" {
            self.out_of_scope += 1;
        }
        self.rejected.push(r).map_err(spill)
    }
}

/// What one chunk of rows found, encoded as it was found (rows counted from the chunk's
/// start): appended to the `RowLists` in file order by `RowLists::append`.
#[derive(Debug, Default)]
pub struct RowBatches {
    pub errors: Batch<Finding>,
    pub warnings: Batch<Finding>,
    pub infos: Batch<Finding>,
    pub rejected: Batch<RejectedRow>,
    pub out_of_scope: u64,
}

impl RowBatches {
    /// Batches for lists of `budget` bytes (`Batch::for_lists_of`).
    pub fn for_lists_of(budget: usize) -> RowBatches {
        RowBatches {
            errors: Batch::for_lists_of(budget),
            warnings: Batch::for_lists_of(budget),
            infos: Batch::for_lists_of(budget),
            rejected: Batch::for_lists_of(budget),
            out_of_scope: 0,
        }
    }

    pub fn finding(&mut self, f: &Finding) -> std::io::Result<()> {
        match f.severity {
            Severity::Error => self.errors.push(f),
            Severity::Warning => self.warnings.push(f),
            Severity::Info => self.infos.push(f),
        }
    }

    pub fn rejected(&mut self, r: &RejectedRow) -> std::io::Result<()> {
        if r.status == "out_of_scope" {
            self.out_of_scope += 1;
        }
        self.rejected.push(r)
    }
}

/// How a converted input's rows are renamed as they join the lists (see `RowLists::append`).
pub struct RowFixes<'a> {
    pub finding: &'a dyn Fn(&mut Finding) -> std::io::Result<()>,
    pub rejected: &'a dyn Fn(&mut RejectedRow) -> std::io::Result<()>,
}

impl RowLists {
    /// A chunk's batches, rows shifted by `offset` (the rows of the file before the chunk).
    pub fn append(
        &mut self,
        b: RowBatches,
        offset: u64,
        fixes: Option<&RowFixes<'_>>,
    ) -> crate::error::Result<()> {
        let ff = fixes.map(|f| f.finding);
        self.errors.append(b.errors, offset, ff).map_err(spill)?;
        self.warnings
            .append(b.warnings, offset, ff)
            .map_err(spill)?;
        self.infos.append(b.infos, offset, ff).map_err(spill)?;
        let fr = fixes.map(|f| f.rejected);
        self.rejected
            .append(b.rejected, offset, fr)
            .map_err(spill)?;
        self.out_of_scope += b.out_of_scope;
        Ok(())
    }
}

pub fn spill(source: std::io::Error) -> crate::error::Error {
    crate::error::Error::Spill { source }
}

#[derive(Debug, Serialize)]
pub struct Provenance {
    pub tool: ToolInfo,
    pub inputs: Vec<FileDigest>,
    pub reference_data: Vec<FileDigest>,
    pub policy: Policy,
    pub calculation: CalculationInfo,
    pub factors_used: Vec<FactorUsed>,
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ToolInfo {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Serialize)]
pub struct CalculationInfo {
    pub mass: &'static str,
    pub line: String,
    pub totals: String,
    pub factor_order: &'static str,
}

#[derive(Debug, Serialize)]
pub struct FactorUsed {
    pub id: String,
    pub matched_code: String,
    pub description: String,
    #[serde(serialize_with = "num::exact")]
    pub direct_tco2_per_tonne: Decimal,
    #[serde(serialize_with = "num::exact")]
    pub indirect_tco2_per_tonne: Decimal,
    #[serde(serialize_with = "num::exact")]
    pub total_tco2_per_tonne: Decimal,
    pub source: String,
    pub confidence: String,
    pub lines: u64,
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

impl Report {
    /// The report's one finishing step, after the rules ran over it: their findings join the
    /// report's own, every list is sorted, the counts and validity follow, and the report id
    /// is the digest of the result.
    pub fn finish(
        &mut self,
        rule_findings: Vec<Finding>,
        rules_checked: Vec<RuleResult>,
    ) -> crate::error::Result<()> {
        let vr = &mut self.validation_results;
        for f in &rule_findings {
            match f.severity {
                Severity::Error => vr.errors.push(f),
                Severity::Warning => vr.warnings.push(f),
                Severity::Info => vr.infos.push(f),
            }
            .map_err(spill)?;
        }
        drop(rule_findings);
        for list in [&mut vr.errors, &mut vr.warnings, &mut vr.infos] {
            list.seal().map_err(spill)?;
        }
        vr.rejected_rows.seal().map_err(spill)?;
        vr.error_count = vr.errors.len();
        vr.warning_count = vr.warnings.len();
        vr.info_count = vr.infos.len();
        vr.is_valid = vr.errors.is_empty();
        vr.rules_checked = rules_checked;
        self.report_metadata.report_id = report_id(self).map_err(spill)?;
        Ok(())
    }
}
