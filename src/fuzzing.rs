//! One entry point per file kind `cbam` reads, shared by the fuzz targets (`fuzz/`) and the
//! corpus replay test (`tests/cli/fuzz_replay.rs`), so both run the very code a user's file
//! meets. Each takes the bytes of one file, writes them to a private temporary file named with
//! the extension its reader expects, and reads it as `cbam` does: the shipments readers through
//! the whole report pipeline, the reference files through the loaders [`ReferenceData::load`] calls, the registry
//! XML through the QReport parser and checks. A returned error is a refusal, which is fine; a
//! panic, an abort or memory that grows without bound is a bug.

use crate::pipeline::{build_report_with, ReportRequest};
use crate::reference::{ReferenceData, ReferencePaths};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The file kinds, each named as its fuzz target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Shipments, comma-separated.
    Csv,
    /// Shipments, tab-separated.
    Tsv,
    /// Shipments, a JSON array or `{"shipments": [...]}`.
    Json,
    /// Shipments from a PostgreSQL dump (plain, `--inserts`, gzip or not).
    PgDump,
    /// Shipments from a spreadsheet (`.xlsx`; calamine picks the reader by content too).
    Workbook,
    /// `--suppliers` profiles (YAML).
    SuppliersYaml,
    /// `--rules` (YAML).
    Rules,
    /// `--emission-factors` (the production system's Python dict file).
    FactorFile,
    /// `--supplier-templates` (the Commission's Communication template, a workbook).
    Template,
    /// `cbam validate --report FILE.xml` (the registry's QReport XML).
    QReport,
}

impl Target {
    pub const ALL: [Target; 10] = [
        Target::Csv,
        Target::Tsv,
        Target::Json,
        Target::PgDump,
        Target::Workbook,
        Target::SuppliersYaml,
        Target::Rules,
        Target::FactorFile,
        Target::Template,
        Target::QReport,
    ];

    /// The fuzz target's name (`fuzz/fuzz_targets/<name>.rs`, `fuzz/corpus/<name>/`).
    pub fn name(self) -> &'static str {
        match self {
            Target::Csv => "csv",
            Target::Tsv => "tsv",
            Target::Json => "json",
            Target::PgDump => "pgdump",
            Target::Workbook => "workbook",
            Target::SuppliersYaml => "suppliers_yaml",
            Target::Rules => "rules",
            Target::FactorFile => "factor_file",
            Target::Template => "template",
            Target::QReport => "qreport",
        }
    }

    /// The file name the bytes are written under: readers choose by extension.
    fn file_name(self) -> &'static str {
        match self {
            Target::Csv => "shipments.csv",
            Target::Tsv => "shipments.tsv",
            Target::Json => "shipments.json",
            Target::PgDump => "shipments.sql",
            Target::Workbook => "shipments.xlsx",
            Target::SuppliersYaml => "suppliers.yaml",
            Target::Rules => "rules.yaml",
            Target::FactorFile => "emission_factors.py",
            Target::Template => "template.xlsx",
            Target::QReport => "report.xml",
        }
    }
}

/// Reads `bytes` as a file of kind `target`. `Ok` when `cbam` accepted it, `Err` with the
/// message `cbam` would print when it refused it.
pub fn run(target: Target, bytes: &[u8]) -> Result<(), String> {
    // A folder per call: the replay test runs cases on several threads at once.
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let dir = scratch_dir().join(CALLS.fetch_add(1, Ordering::Relaxed).to_string());
    let path = dir.join(target.file_name());
    std::fs::create_dir(&dir)
        .and_then(|()| std::fs::write(&path, bytes))
        .map_err(|e| format!("scratch file {}: {e}", path.display()))?;
    let outcome = read(target, &path, bytes);
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

fn read(target: Target, path: &Path, bytes: &[u8]) -> Result<(), String> {
    let text = |e: crate::Error| e.to_string();
    match target {
        Target::Csv | Target::Tsv | Target::Json | Target::PgDump | Target::Workbook => {
            let req = ReportRequest::calculation_only(
                path.to_path_buf(),
                ReferencePaths::default(),
                true,
            );
            build_report_with(&req, embedded_reference()?)
                .map(drop)
                .map_err(text)
        }
        // The reference files through their own loaders, as `ReferenceData::load` calls them
        // (loading all the embedded tables on every input would leave a few runs a second).
        Target::SuppliersYaml => crate::reference::load_suppliers(Some(path))
            .map(drop)
            .map_err(text),
        Target::Rules => {
            let (yaml, _) = crate::fsio::read_text(path).map_err(text)?;
            crate::reference::rules::RuleSet::from_yaml(path, &yaml)
                .map(drop)
                .map_err(text)
        }
        Target::FactorFile => {
            let (py, _) = crate::fsio::read_text(path).map_err(text)?;
            crate::reference::factors::UserFactors::load(path, &py, &mut Vec::new())
                .map(drop)
                .map_err(text)
        }
        Target::Template => {
            let files = [(path.to_path_buf(), "fuzz".to_string())];
            let scope = &embedded_reference()?.scope;
            crate::reference::template_import::import_each(&files, scope)
                .map(drop)
                .map_err(text)
        }
        Target::QReport => {
            let root = crate::qreport::parse(path, bytes).map_err(text)?;
            crate::qreport::validate(&root, &embedded_reference()?.scope);
            Ok(())
        }
    }
}

/// The embedded reference data, loaded once: the shipments targets only vary the shipments.
fn embedded_reference() -> Result<&'static ReferenceData, String> {
    static DATA: OnceLock<Result<ReferenceData, String>> = OnceLock::new();
    DATA.get_or_init(|| ReferenceData::load(&ReferencePaths::default()).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| format!("embedded reference data: {e}"))
}

/// A private folder for the scratch files, removed with the process's temp dir handle.
fn scratch_dir() -> &'static PathBuf {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let d = tempfile::Builder::new()
            .prefix("cbam-fuzz-")
            .tempdir()
            .expect("a temp dir for fuzzing scratch files");
        let p = d.path().to_path_buf();
        (d, p)
    })
    .1
}
