//! A group of shipments recomputed twice, on one thread and on several, the two report
//! JSONs compared by their SHA-256 (determinism), and what the recomputation says.

use crate::error::{Error, Result};
use crate::model::Quarter;
use crate::pipeline::ReportRequest;
use crate::reference::ReferenceData;
use crate::report::{Report, RowCounts};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The recomputation of one group, as the audit result shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Recomputed {
    /// cbam's id of the recomputed report (content-derived).
    pub report_id: String,
    pub quarter: String,
    pub rows: RowCounts,
    pub total_direct_emissions_tco2: Decimal,
    pub total_indirect_emissions_tco2: Decimal,
    pub total_embedded_emissions_tco2: Decimal,
    /// No error about the data. The backup holds no declaration (importer EORI, declarant),
    /// so the errors of the declaration's own fields (`importer_declaration.*`, empty in a
    /// recomputation) are counted apart, not here.
    pub is_valid: bool,
    pub error_count: u64,
    pub declaration_errors: u64,
    pub warning_count: u64,
    /// Errors about the data by code, with their counts.
    pub errors_by_code: BTreeMap<String, u64>,
    /// Warnings and notes by code, with their counts.
    pub others_by_code: BTreeMap<String, u64>,
    /// The report JSON's SHA-256 (file names left out) on each thread count; deterministic
    /// when they agree.
    pub threads: [usize; 2],
    pub sha256: [String; 2],
    pub deterministic: bool,
    /// The finest decimals of a line figure and the number of lines (for the tolerance).
    #[serde(skip)]
    pub line_decimals: u32,
    #[serde(skip)]
    pub lines: u64,
}

/// Recomputes `csv` (a group's shipments) for `quarter` on one thread and on `threads`.
/// Returns the result and the report of the first run (its lines kept, for the sample).
pub fn recompute(
    csv: &Path,
    quarter: Option<Quarter>,
    refdata: &ReferenceData,
    threads: usize,
) -> Result<(Recomputed, Report)> {
    let mut req = ReportRequest::calculation_only(csv.to_path_buf(), Default::default(), true);
    req.quarter = quarter;
    let counts = [1, threads.max(2)];
    let mut reports = Vec::with_capacity(2);
    for n in counts {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| Error::Data {
                path: csv.to_path_buf(),
                message: format!("cannot start {n} threads: {e}"),
            })?;
        let report = pool.install(|| crate::pipeline::build_report_with(&req, refdata))?;
        let digest = digest(&report).map_err(crate::report::spill)?;
        reports.push((report, digest));
    }
    let (second, d2) = reports.pop().ok_or_else(|| lost(csv))?;
    let (first, d1) = reports.pop().ok_or_else(|| lost(csv))?;
    drop(second);
    let (lines, line_decimals) = line_precision(&first).map_err(crate::report::spill)?;
    let e = &first.emissions_summary;
    let v = &first.validation_results;
    let (errors_by_code, declaration_errors) =
        errors_by_code(&first).map_err(crate::report::spill)?;
    let error_count = errors_by_code.values().sum();
    let r = Recomputed {
        report_id: first.report_metadata.report_id.clone(),
        quarter: first.report_metadata.quarter.clone(),
        rows: first.goods_summary.rows.clone(),
        total_direct_emissions_tco2: e.total_direct_emissions_tco2,
        total_indirect_emissions_tco2: e.total_indirect_emissions_tco2,
        total_embedded_emissions_tco2: e.total_embedded_emissions_tco2,
        is_valid: error_count == 0,
        error_count,
        declaration_errors,
        warning_count: v.warning_count,
        errors_by_code,
        others_by_code: others_by_code(&first).map_err(crate::report::spill)?,
        threads: counts,
        deterministic: d1 == d2,
        sha256: [d1, d2],
        line_decimals,
        lines,
    };
    Ok((r, first))
}

fn lost(csv: &Path) -> Error {
    Error::Data {
        path: csv.to_path_buf(),
        message: "a recomputation was lost".into(),
    }
}

/// The SHA-256 of the report JSON as `cbam report` writes it, file names left out as in the
/// report id (the group's CSV is a temporary file with a name of its own each run).
fn digest(r: &Report) -> std::io::Result<String> {
    crate::provenance::without_file_names(|| json_digest(r))
}

fn json_digest(r: &Report) -> std::io::Result<String> {
    let mut h = crate::provenance::Sha256Writer::new();
    crate::write::report_json(r, &mut h)?;
    Ok(crate::provenance::hex(&h.finish()))
}

/// How many lines, and the finest decimals among their direct, indirect and total figures.
fn line_precision(r: &Report) -> std::io::Result<(u64, u32)> {
    let (mut n, mut d) = (0u64, 0u32);
    if let Some(lines) = r.lines() {
        lines.for_each(|l| {
            n += 1;
            d = d
                .max(l.direct.scale())
                .max(l.indirect.scale())
                .max(l.total.scale());
            Ok(())
        })?;
    }
    Ok((n, d))
}

/// Errors by code, and how many were about the declaration's own fields.
fn errors_by_code(r: &Report) -> std::io::Result<(BTreeMap<String, u64>, u64)> {
    let mut out = BTreeMap::new();
    let mut declaration = 0;
    for f in r.validation_results.errors.iter() {
        let f = f?;
        if f.path
            .as_deref()
            .is_some_and(|p| p.starts_with("importer_declaration."))
        {
            declaration += 1;
        } else {
            *out.entry(f.code.to_string()).or_insert(0) += 1;
        }
    }
    Ok((out, declaration))
}

fn others_by_code(r: &Report) -> std::io::Result<BTreeMap<String, u64>> {
    let v = &r.validation_results;
    let mut out = BTreeMap::new();
    for list in [&v.warnings, &v.infos] {
        for f in list.iter() {
            *out.entry(f?.code.to_string()).or_insert(0) += 1;
        }
    }
    Ok(out)
}
