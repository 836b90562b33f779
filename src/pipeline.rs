//! The whole `cbam report` pipeline as one library call: the CLI only parses flags into a
//! `ReportRequest`, calls `build_report`, and writes what comes back.

use crate::assemble::{self, AssembleInput, Importer, Report};
use crate::calculate;
use crate::enrich;
use crate::error::Result;
use crate::intake::{self, InputFormat};
use crate::model::Quarter;
use crate::reference::{ReferenceData, ReferencePaths};
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct ReportRequest {
    pub input: PathBuf,
    pub input_format: Option<InputFormat>,
    pub reference: ReferencePaths,
    pub importer: Importer,
    pub quarter: Option<Quarter>,
    /// RFC 3339 UTC (already resolved from --generated-at / SOURCE_DATE_EPOCH / clock).
    pub generated_at: String,
    /// Include `detailed_goods` (one entry per shipment) in the JSON.
    pub details: bool,
}

pub fn build_report(req: &ReportRequest) -> Result<Report> {
    let refdata = ReferenceData::load(&req.reference)?;
    build_report_with(req, &refdata)
}

/// Same, with reference data already loaded (the benchmark reuses it across runs).
pub fn build_report_with(req: &ReportRequest, refdata: &ReferenceData) -> Result<Report> {
    let intake = intake::read_shipments(&req.input, req.input_format)?;
    let file = intake.digest.file_name.clone();
    let rows_read = intake.rows_read;
    let mut findings = intake.findings;
    let enriched = enrich::enrich(intake.rows, intake.broken, refdata, req.quarter, &file);
    findings.extend(enriched.findings);
    let calculated = calculate::calculate(enriched.shipments, refdata, &file);
    findings.extend(calculated.findings);
    let mut rejected = enriched.rejected;
    rejected.extend(calculated.rejected);
    let report = assemble::assemble(AssembleInput {
        lines: calculated.lines,
        rejected,
        findings,
        rows_read,
        importer: req.importer.clone(),
        quarter: req.quarter,
        generated_at: req.generated_at.clone(),
        inputs: vec![intake.digest],
        reference: refdata.digests.clone(),
        policy: &refdata.policy,
        notes: refdata.notes.clone(),
        details: req.details,
    });
    Ok(report)
}
