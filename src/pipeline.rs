//! The whole `cbam report` pipeline as one library call: the CLI only parses flags into a
//! `ReportRequest`, calls `build_report`, and writes what comes back.
//!
//! The file is cut into chunks of whole records; each chunk runs intake → enrich → calculate
//! on its own core and keeps only sums (and its lines when they are written). Chunks are cut by
//! size, not by thread count, and merged in file order with exact decimal sums, so the result
//! is the same with any number of threads.

use crate::assemble::{self, AssembleInput, Totals};
use crate::calculate;
use crate::enrich::{self, DuplicateIds};
use crate::error::{Error, Result};
use crate::intake::{self, delimited::Chunk, InputOptions, Source};
use crate::model::{Col, Finding, Line, Quarter, RejectedRow};
use crate::reference::{ReferenceData, ReferencePaths};
use crate::report::{Batch, Importer, Lines, Listed, Report, RowBatches, RowFixes, RowLists};
use rayon::prelude::*;
use std::path::PathBuf;

mod stored;
use crate::validate::inline::{ChunkChecks, LineChecks, LinePass};
use stored::{LocalIndex, SharedTables, StoredLine, StoredLines};

/// Bytes per chunk: big enough that per-chunk overhead vanishes, small enough to balance.
pub const CHUNK_BYTES: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct ReportRequest {
    pub input: PathBuf,
    /// Further shipments files read as one input with `input` (each keeps its own row and
    /// line numbers; findings, rejected rows and `detailed_goods` name the file).
    pub more_inputs: Vec<PathBuf>,
    pub input_options: InputOptions,
    pub reference: ReferencePaths,
    pub importer: Importer,
    pub quarter: Option<Quarter>,
    /// An annual report (`--period YYYY`, definitive period): every quarter of that year.
    pub year: Option<i32>,
    /// RFC 3339 UTC (already resolved from --generated-at / SOURCE_DATE_EPOCH / clock).
    pub generated_at: String,
    /// Include `detailed_goods` (one entry per shipment) in the JSON.
    pub details: bool,
    /// Keep the lines even without details (for `--lines`).
    pub keep_lines: bool,
    /// Chunk size in bytes (`None`: `CHUNK_BYTES`). Results never depend on it; tests vary it.
    pub chunk_bytes: Option<usize>,
    /// Bytes each list of findings, rejected rows or lines holds in memory before it spills to
    /// temporary files (`None`: `fsio::spill::budget()`). Results never depend on it; tests vary it.
    pub spill_budget: Option<usize>,
    /// `--xml`: the registry checks run on the QReport this report becomes, their verdict
    /// part of the report's validation (the lines must be kept: `keep_lines`).
    pub registry_xml: Option<crate::qreport::RegistryXml>,
}

impl ReportRequest {
    /// A request that only calculates (for `verify --sample-shipments` and `explain --input`):
    /// no declaration, a fixed time, the lines kept.
    pub fn calculation_only(
        input: PathBuf,
        reference: ReferencePaths,
        details: bool,
    ) -> ReportRequest {
        ReportRequest {
            input,
            more_inputs: Vec::new(),
            input_options: InputOptions::default(),
            reference,
            importer: Importer::default(),
            quarter: None,
            year: None,
            generated_at: "1970-01-01T00:00:00Z".into(),
            details,
            keep_lines: true,
            chunk_bytes: None,
            spill_budget: None,
            registry_xml: None,
        }
    }
}

pub fn build_report(req: &ReportRequest) -> Result<Report> {
    let trace = Trace::new();
    let refdata = ReferenceData::load(&req.reference)?;
    trace.mark("reference data");
    build_report_with(req, &refdata)
}

/// What one chunk produced, its row numbers counted from the chunk's start until `run_pass`
/// shifts them into place.
#[derive(Default)]
struct ChunkResult {
    rows_read: u64,
    /// The calculated lines, encoded, when they are kept.
    kept: Batch<StoredLine>,
    totals: Totals,
    /// Findings and rejected rows, encoded as found (bounded memory: they spill past a budget).
    rows: RowBatches,
    fingerprints: Vec<u64>,
    /// What the lines gave the rules (when the rules run in the chunk pass).
    checks: Option<ChunkChecks>,
    /// The first failure to hold the findings (a temporary file that could not be written).
    error: Option<std::io::Error>,
}

impl ChunkResult {
    /// Moves the findings the checks just pushed into the batches.
    fn keep_findings(&mut self, found: &mut Vec<Finding>) {
        for f in found.drain(..) {
            if self.error.is_none() {
                self.error = self.rows.finding(&f).err();
            }
        }
    }

    fn keep_rejected(&mut self, r: RejectedRow) {
        if self.error.is_none() {
            self.error = self.rows.rejected(&r).err();
        }
    }

    fn keep_line(&mut self, line: &Line, file: u32, shared: &SharedTables, local: &mut LocalIndex) {
        if self.error.is_none() {
            let stored = StoredLine::new(line, file, shared, local);
            self.error = self.kept.push(&stored).err();
        }
    }
}

/// What every chunk of a pass reads besides its rows.
struct PassContext<'a> {
    refdata: &'a ReferenceData,
    req: &'a ReportRequest,
    dups: &'a DuplicateIds,
    /// Several input files: each row carries its file.
    tag_file: bool,
    /// The factors, scope entries and trails the kept lines name by index.
    shared: &'a SharedTables,
    /// The rules run on each line as it is calculated (`detailed_goods` only), and what
    /// they consult.
    checks: Option<(&'a LineChecks<'a>, &'a crate::validate::Context<'a>)>,
}

/// What the passes over every input produced, merged in file order.
#[derive(Default)]
struct Pass<'a> {
    rows_read: u64,
    lines: Listed<StoredLine>,
    totals: Totals,
    lists: RowLists,
    /// Every row's id fingerprint (bounded memory: they spill past the budget).
    fingerprints: crate::fsio::repeats::Repeats,
    checks: Option<LinePass<'a>>,
}

fn process_chunk(
    (src, file_index): (&Source, u32),
    chunk: &Chunk,
    cx: &PassContext,
) -> ChunkResult {
    let PassContext {
        refdata,
        req,
        dups,
        tag_file,
        shared,
        checks,
    } = *cx;
    let file = src.file_name.as_str();
    // With several input files each row carries its file, as the extra column `_file`.
    let file_tag: Option<(std::sync::Arc<str>, String)> =
        tag_file.then(|| (std::sync::Arc::from("_file"), file.to_string()));
    let keep = req.details || req.keep_lines;
    let mut checker = enrich::Checker::new(refdata, req.quarter, file, dups)
        .for_year(req.year)
        .with_decimal_mark(src.decimal_mark);
    let mut calculator = calculate::Calculator::new(refdata, file);
    let budget = req.spill_budget.unwrap_or_else(crate::fsio::spill::budget);
    let mut r = ChunkResult {
        rows: RowBatches::for_lists_of(budget),
        kept: Batch::for_lists_of(budget),
        checks: checks.map(|(c, _)| c.chunk()),
        ..ChunkResult::default()
    };
    let mut local = LocalIndex::default();
    let mut found = Vec::new();
    let rejected = |mut rej: RejectedRow| {
        if tag_file {
            rej.file = Some(src.file_name.clone());
        }
        rej
    };
    // Each record flows intake → enrich → calculate → totals before the next is read.
    r.rows_read = src.parse_chunk(chunk, |mut record| {
        if let Some(tag) = &file_tag {
            let (intake::Record::Row(row) | intake::Record::Broken(row, _)) = &mut record;
            row.extra.push(tag.clone());
        }
        let row = match &record {
            intake::Record::Row(row) | intake::Record::Broken(row, _) => row,
        };
        let id = row.get(Col::ShipmentId);
        if !id.is_empty() {
            r.fingerprints.push(enrich::id_fingerprint(id));
        }
        let outcome = match record {
            intake::Record::Broken(row, findings) => Err(checker.broken(row, findings, &mut found)),
            intake::Record::Row(row) => checker
                .check(row, &mut found)
                .and_then(|shipment| calculator.line(shipment, &mut found)),
        };
        r.keep_findings(&mut found);
        match outcome {
            Ok(line) => {
                r.totals.add(&line);
                if let (Some(c), Some((checks, ctx))) = (&mut r.checks, checks) {
                    c.line(checks, ctx, &line, file_index);
                }
                if keep {
                    r.keep_line(&line, file_index, shared, &mut local);
                }
            }
            Err(rej) => r.keep_rejected(rejected(rej)),
        }
    });
    r
}

/// One input file's chunks: calculated in parallel a window at a time (so what the chunks
/// found is never held for the whole file), merged in file order.
fn run_pass(
    (src, file_index): (&Source, u32),
    chunks: &[Chunk],
    cx: &PassContext,
    pass: &mut Pass,
) -> Result<()> {
    // Rows of a dump or workbook name the dump line or sheet row (and a workbook finding its
    // cell), not the line of the intermediate CSV.
    let at = |row: u64| src.origin_line(row);
    let fix_finding = |f: &mut Finding| {
        if let Some(row) = f.row {
            f.line = at(row);
        }
        if let (Some(line), Some(field), None) = (f.line, f.field, &f.cell) {
            f.cell = src.sheet_cell(field, line);
        }
        Ok(())
    };
    let fix_rejected = |r: &mut RejectedRow| {
        r.line = at(r.row).unwrap_or(0);
        Ok(())
    };
    let fixes = RowFixes {
        finding: &fix_finding,
        rejected: &fix_rejected,
    };
    let fix_stored = |s: &mut StoredLine| s.set_line(at);
    let converted = src.is_converted();
    let fixes = converted.then_some(&fixes);
    let fix_stored =
        converted.then_some(&fix_stored as &dyn Fn(&mut StoredLine) -> std::io::Result<()>);
    let window = 2 * rayon::current_num_threads().max(1);
    let mut file_rows = 0u64;
    let total: usize = chunks.iter().map(|c| c.end - c.start).sum();
    let progress = crate::fsio::progress::begin(
        &format!("calculating {}", src.file_name),
        Some(total as u64),
        crate::fsio::progress::Unit::Bytes,
    );
    for group in chunks.chunks(window) {
        let results: Vec<ChunkResult> = group
            .par_iter()
            .map(|c| process_chunk((src, file_index), c, cx))
            .collect();
        progress.add(group.iter().map(|c| (c.end - c.start) as u64).sum());
        for r in results {
            if let Some(source) = r.error {
                return Err(crate::report::spill(source));
            }
            pass.lists.append(r.rows, file_rows, fixes)?;
            pass.lines
                .append(r.kept, file_rows, fix_stored)
                .map_err(crate::report::spill)?;
            if let (Some(p), Some(c)) = (&mut pass.checks, r.checks) {
                p.append(c, file_rows).map_err(crate::report::spill)?;
            }
            file_rows += r.rows_read;
            pass.rows_read += r.rows_read;
            pass.totals.merge(r.totals);
            pass.fingerprints
                .extend(&r.fingerprints)
                .map_err(crate::report::spill)?;
        }
    }
    Ok(())
}

/// One pass over every input file, merged in the order given (row numbers stay per file),
/// after the findings that came before any row: the inputs' own and the reference data's.
fn run_passes<'a>(
    inputs: &[(Source, Vec<Chunk>)],
    refdata: &ReferenceData,
    req: &ReportRequest,
    dups: &DuplicateIds,
    (shared, checks): (
        &SharedTables,
        Option<(&'a LineChecks<'a>, &'a crate::validate::Context<'a>)>,
    ),
) -> Result<Pass<'a>> {
    let cx = PassContext {
        refdata,
        req,
        dups,
        tag_file: inputs.len() > 1,
        shared,
        checks,
    };
    let budget = req.spill_budget.unwrap_or_else(crate::fsio::spill::budget);
    let mut pass = Pass {
        lists: RowLists::with_budget(budget),
        lines: Listed::with_budget(budget),
        checks: checks.map(|(c, _)| LinePass::new(c)),
        ..Pass::default()
    };
    let early = inputs.iter().flat_map(|(s, _)| &s.findings);
    for f in early.chain(&refdata.findings) {
        pass.lists.finding(f)?;
    }
    for (i, (src, chunks)) in inputs.iter().enumerate() {
        let index = u32::try_from(i).map_err(|_| Error::Data {
            path: src.file_name.clone().into(),
            message: "more than 2^32 input files".into(),
        })?;
        run_pass((src, index), chunks, &cx, &mut pass)?;
    }
    Ok(pass)
}

/// Ids on more than one row. Fingerprints find candidates without keeping every id; only
/// when two fingerprints collide are the ids themselves compared.
fn duplicate_ids(
    inputs: &[(Source, Vec<Chunk>)],
    fingerprints: crate::fsio::repeats::Repeats,
) -> Result<DuplicateIds> {
    let repeated = fingerprints.repeated().map_err(crate::report::spill)?;
    if repeated.is_empty() {
        return Ok(DuplicateIds::default());
    }
    let candidates: rustc_hash::FxHashSet<u64> = repeated.into_iter().collect();
    let mut counts: rustc_hash::FxHashMap<String, u32> = rustc_hash::FxHashMap::default();
    let found: Vec<Vec<String>> = inputs
        .iter()
        .flat_map(|(src, chunks)| chunks.iter().map(move |c| (src, c)))
        .collect::<Vec<_>>()
        .par_iter()
        .map(|(src, c)| {
            let mut ids = Vec::new();
            src.parse_chunk(c, |record| {
                let (intake::Record::Row(row) | intake::Record::Broken(row, _)) = &record;
                let id = row.get(Col::ShipmentId);
                if !id.is_empty() && candidates.contains(&enrich::id_fingerprint(id)) {
                    ids.push(id.to_string());
                }
            });
            ids
        })
        .collect();
    for id in found.into_iter().flatten() {
        *counts.entry(id).or_insert(0) += 1;
    }
    Ok(counts
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(id, _)| id)
        .collect())
}

/// Same as `build_report`, with reference data already loaded (the benchmark reuses it).
pub fn build_report_with(req: &ReportRequest, refdata: &ReferenceData) -> Result<Report> {
    let trace = Trace::new();
    let mut inputs = Vec::with_capacity(1 + req.more_inputs.len());
    for path in std::iter::once(&req.input).chain(&req.more_inputs) {
        let src = intake::open_shipments(path, &req.input_options)?;
        let chunks = src.chunks(req.chunk_bytes.unwrap_or(CHUNK_BYTES).max(1));
        inputs.push((src, chunks));
    }
    trace.mark("open (read, UTF-8 check, header) + chunk");
    let no_dups = DuplicateIds::default();
    let shared = SharedTables::default();
    let schema = crate::validate::schema::ReportSchema::embedded()?;
    let ctx = crate::validate::Context {
        scope: &refdata.scope,
        suppliers: refdata
            .suppliers
            .file_name
            .is_some()
            .then_some(&refdata.suppliers),
        schema: Some(&schema),
    };
    // The line rules run where each line is calculated, unless a rule needs what only the
    // whole file knows (`LineChecks::new` says): then they read the stored lines afterwards.
    let line_checks = req
        .details
        .then(|| LineChecks::new(&refdata.rules, req.quarter, req.year))
        .flatten();
    let checks = line_checks.as_ref().map(|c| (c, &ctx));
    // The inputs' SHA-256 run beside the first pass.
    let (digests, pass) = rayon::join(
        || {
            // Sorted by content, so neither the order the files are named in nor their names
            // change the order (and the report id, which leaves the names out).
            let mut d: Vec<_> = inputs.iter().map(|(s, _)| s.digest()).collect();
            d.sort_by(|a, b| (&a.sha256, &a.file_name).cmp(&(&b.sha256, &b.file_name)));
            d
        },
        || run_passes(&inputs, refdata, req, &no_dups, (&shared, checks)),
    );
    let mut pass = pass?;
    trace.mark("parse + check + calculate (+ SHA-256)");
    if pass.rows_read == 0 {
        return Err(Error::NoRows {
            path: req.input.clone(),
        });
    }
    let dups = duplicate_ids(&inputs, std::mem::take(&mut pass.fingerprints))?;
    if !dups.is_empty() {
        // Rare: some ids repeat. Every row with such an id is rejected, so run again knowing them.
        pass = run_passes(&inputs, refdata, req, &dups, (&shared, checks))?;
    }
    trace.mark("duplicates");
    let mut stored = pass.lines;
    stored.seal().map_err(crate::report::spill)?;
    let checked = match pass.checks {
        Some(c) => Some(
            c.resolve(|keys| stored::ranks(&stored, keys))
                .map_err(crate::report::spill)?,
        ),
        None => None,
    };
    let lines = StoredLines {
        lines: stored,
        tables: shared.into_tables(),
    };
    let report = assemble::assemble(AssembleInput {
        totals: pass.totals,
        lines: (req.details || req.keep_lines).then(|| Lines(Box::new(lines))),
        lists: pass.lists,
        rows_read: pass.rows_read,
        importer: req.importer.clone(),
        quarter: req.quarter,
        year: req.year,
        generated_at: req.generated_at.clone(),
        inputs: digests,
        reference: refdata.digests.clone(),
        policy: &refdata.policy,
        notes: refdata.notes.clone(),
        details: req.details,
        obligation: Some(&refdata.obligation),
    })?;
    trace.mark("assemble");
    let mut report = report;
    let v = match checked {
        Some(lines) => {
            crate::validate::validate_report_checked(&report, &refdata.rules, &ctx, lines)?
        }
        None => crate::validate::validate_report(&report, &refdata.rules, &ctx)?,
    };
    let mut findings = crate::validate::rule_findings(v.findings);
    if let Some(xml) = &req.registry_xml {
        let (verdict, on_xml) = crate::validate::registry::check(&report, xml, refdata)?;
        report.validation_results.registry = Some(verdict);
        findings.extend(on_xml);
    }
    report.finish(findings, v.rules)?;
    trace.mark("rules");
    Ok(report)
}

/// With `CBAM_TRACE` set, the process's peak resident memory on stderr as it ends (Linux
/// `VmHWM`: this program image alone — a parent's `wait4` would count the memory of the process
/// it was forked from). The hostile-input tests read it.
pub fn trace_peak_memory() {
    if std::env::var_os("CBAM_TRACE").is_none() {
        return;
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status.lines().find_map(|l| l.strip_prefix("VmHWM:"));
    if let Some(kb) = hwm.and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok()) {
        eprintln!("cbam: trace: peak RSS {kb} kB");
    }
    eprintln!(
        "cbam: trace: peak allocated {} kB",
        crate::alloc::peak_allocated() / 1024
    );
}

/// Stage timings on stderr when `CBAM_TRACE` is set (for the benchmark; never in the report).
pub struct Trace(Option<std::cell::Cell<std::time::Instant>>);

impl Trace {
    pub fn new() -> Trace {
        Trace(
            std::env::var_os("CBAM_TRACE").map(|_| std::cell::Cell::new(std::time::Instant::now())),
        )
    }
    pub fn mark(&self, stage: &str) {
        if let Some(t) = &self.0 {
            eprintln!(
                "cbam-trace {:>8.3} s  {stage}",
                t.get().elapsed().as_secs_f64()
            );
            t.set(std::time::Instant::now());
        }
    }
}

impl Default for Trace {
    fn default() -> Self {
        Trace::new()
    }
}
