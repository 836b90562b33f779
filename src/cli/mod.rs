//! Command-line surface: one file per subcommand, each a flags struct and a `run`.

mod backup;
mod bench;
mod cn;
mod deadlines;
mod diff;
mod explain;
mod export;
mod html;
mod reference;
mod report;
mod suppliers;
mod validate;
mod verify;
mod xml;

use clap::{Parser, Subcommand};

/// `--threads` above this is refused (exit 2): far more threads than cores only slows a run
/// down, and a hundred thousand of them exhaust the machine.
pub const MAX_THREADS: u64 = 1024;

#[derive(Debug, Parser)]
#[command(
    name = "cbam",
    version,
    about = "Offline EU CBAM emission reports: exact, reproducible, validated"
)]
pub struct Cli {
    /// Worker threads, 1 to 1024 (default: all cores). Results do not depend on it.
    #[arg(long, global = true, value_parser = clap::value_parser!(u64).range(1..=MAX_THREADS))]
    pub threads: Option<u64>,
    /// Most that gzip input (.csv.gz, .json.gz, .sql.gz) may decompress to, e.g. 512M, 4G
    /// (default: 64 times the compressed file, at least 16 MiB); past it the file is refused.
    #[arg(long, global = true, value_name = "SIZE", value_parser = parse_size)]
    pub max_decompressed: Option<u64>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Shipments file → CBAM report JSON (+ Markdown summary, per-line CSV).
    Report(Box<report::Args>),
    /// Report JSON → the EU registry's quarterly report XML (QReport 23.00).
    Xml(Box<xml::Args>),
    /// Report JSON (ours or the production system's) → one self-contained HTML page.
    Html(html::Args),
    /// One table of a pg_dump backup (.sql, .sql.gz) → CSV in the intake format.
    Export(export::Args),
    /// Database backups: `backup verify`.
    Backup(backup::Args),
    /// Check any CBAM report (ours or the production system's) against the rules.
    Validate(validate::Args),
    /// Compare two reports canonically, ignoring only the declared volatile fields.
    Diff(diff::Args),
    /// CN codes against Annex I: lookup, validate a code list, classify a shipments file.
    Cn(cn::Args),
    /// Recomputed figures against expected ones (report, baseline or CSV), within a tolerance.
    Verify(verify::Args),
    /// The calculation trail of one shipment: inputs, scope, factor and why, arithmetic, rounding.
    Explain(explain::Args),
    /// Supplier profiles: `suppliers audit`.
    Suppliers(suppliers::Args),
    /// Reporting, modification, declaration and surrender dates around a day.
    Deadlines(deadlines::Args),
    /// Write N generated shipments (seeded) as CSV, for benchmarks and load tests.
    Generate(bench::GenerateArgs),
    /// Generate N shipments and time whole `report` runs (full and summary-only).
    Bench(bench::BenchArgs),
}

/// Returns the process exit code.
pub fn run() -> anyhow::Result<u8> {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => 2,
            };
            let _ = e.print();
            return Ok(code);
        }
    };
    if let Some(n) = cli.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(usize::try_from(n)?)
            .build_global()?;
    }
    if let Some(n) = cli.max_decompressed {
        cbam::fsio::set_max_decompressed(n);
    }
    match cli.command {
        Command::Report(a) => report::run(*a),
        Command::Export(a) => export::run(a),
        Command::Backup(a) => backup::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Xml(a) => xml::run(*a),
        Command::Html(a) => html::run(a),
        Command::Cn(a) => cn::run(a),
        Command::Deadlines(a) => deadlines::run(a),
        Command::Suppliers(a) => suppliers::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Generate(a) => bench::generate(a),
        Command::Bench(a) => bench::bench(a),
    }
}

/// A `--max-decompressed` size: bytes, or K, M, G, T (powers of 1024).
fn parse_size(s: &str) -> Result<u64, String> {
    cbam::fsio::parse_byte_size(s).ok_or_else(|| {
        format!("expected a size such as 512M or 4G (bytes, or K, M, G, T: powers of 1024), found {s:?}")
    })
}

/// Output format for what a command prints on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
}
