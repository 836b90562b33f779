//! Command-line surface: one file per subcommand, each a flags struct and a `run`.

mod audit;
mod backup;
mod bench;
mod cn;
mod deadlines;
mod dialect;
mod diff;
mod explain;
mod export;
mod html;
mod progress;
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
    #[arg(long, global = true, value_parser = clap::value_parser!(u64).range(1..=MAX_THREADS), help_heading = "Performance and limits")]
    pub threads: Option<u64>,
    /// Most that gzip input (.csv.gz, .json.gz, .sql.gz) may decompress to, e.g. 512M, 4G
    /// (default: 64 times the compressed file, at least 16 MiB); past it the file is refused.
    #[arg(long, global = true, value_name = "SIZE", value_parser = parse_size, help_heading = "Performance and limits")]
    pub max_decompressed: Option<u64>,
    /// No progress bars (they are drawn on stderr only when it is a terminal, and never with -q).
    #[arg(long, global = true, help_heading = "Performance and limits")]
    pub no_progress: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Shipments file → CBAM report JSON (+ Markdown summary, per-line CSV).
    #[command(after_help = EXAMPLES_REPORT)]
    Report(Box<report::Args>),
    /// Report JSON → the EU registry's quarterly report XML (QReport 23.00).
    #[command(after_help = EXAMPLES_XML)]
    Xml(Box<xml::Args>),
    /// Report JSON (ours or the production system's) → one self-contained HTML page.
    Html(html::Args),
    /// One table of a pg_dump backup (.sql, .sql.gz) → CSV in the intake format.
    #[command(after_help = EXAMPLES_EXPORT)]
    Export(export::Args),
    /// Database backups: `backup verify`.
    #[command(after_help = EXAMPLES_BACKUP)]
    Backup(backup::Args),
    /// The runbook's audits over a database backup: `audit daily`, `audit quarterly`.
    #[command(after_help = EXAMPLES_AUDIT)]
    Audit(Box<audit::Args>),
    /// Check any CBAM report (ours or the production system's) against the rules.
    #[command(after_help = EXAMPLES_VALIDATE)]
    Validate(validate::Args),
    /// Compare two reports canonically, ignoring only the declared volatile fields.
    #[command(after_help = EXAMPLES_DIFF)]
    Diff(diff::Args),
    /// CN codes against Annex I: lookup, validate a code list, classify a shipments file.
    #[command(after_help = EXAMPLES_CN)]
    Cn(cn::Args),
    /// Recomputed figures against expected ones (report, baseline or CSV), within a tolerance.
    #[command(after_help = EXAMPLES_VERIFY)]
    Verify(verify::Args),
    /// The calculation trail of one shipment: inputs, scope, factor and why, arithmetic, rounding.
    #[command(after_help = EXAMPLES_EXPLAIN)]
    Explain(explain::Args),
    /// Supplier profiles: `suppliers audit` (data quality, against shipments) and
    /// `suppliers import` (EU Communication templates → profiles).
    #[command(after_help = EXAMPLES_SUPPLIERS)]
    Suppliers(suppliers::Args),
    /// Reporting, modification, declaration and surrender dates around a day.
    #[command(after_help = EXAMPLES_DEADLINES)]
    Deadlines(deadlines::Args),
    /// Write N generated shipments (seeded) as CSV, for benchmarks and load tests.
    #[command(after_help = EXAMPLES_GENERATE)]
    Generate(bench::GenerateArgs),
    /// Shell completions for bash, zsh, fish or PowerShell, on stdout.
    #[command(
        after_help = "Examples:\n  cbam completions bash > /etc/bash_completion.d/cbam\n  cbam completions zsh > \"${fpath[1]}/_cbam\"\n  cbam completions fish > ~/.config/fish/completions/cbam.fish"
    )]
    Completions {
        /// bash, zsh, fish or powershell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// The manual page (roff): cbam(1) on stdout, or with --dir one page per command.
    #[command(
        after_help = "Examples:\n  cbam man > cbam.1 && man ./cbam.1\n  cbam man --dir /usr/local/share/man/man1   (cbam.1, cbam-report.1, …)"
    )]
    Man {
        /// Write cbam.1 and a page for every command (cbam-report.1, cbam-audit-daily.1, …) here.
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
    /// Generate N shipments and time whole `report` runs (full and summary-only).
    #[command(after_help = EXAMPLES_BENCH)]
    Bench(bench::BenchArgs),
}

const EXAMPLES_REPORT: &str = "Examples:\n  cbam report --input fixtures/shipments_2025q4.csv --suppliers fixtures/suppliers.yaml \\\n      --output report.json --summary report.md --lines lines.csv \\\n      --importer-name \"Noordzee Staal Import BV\" --importer-country NL --importer-eori NL123456789012 \\\n      --declarant-name \"Jan de Vries\" --declarant-position \"Customs Compliance Officer\"\n  cbam report --input fixtures/shipments_2026.csv --period 2026 --output annual.json …   (annual, definitive period)\n  cbam report --input backup.sql.gz --output r.json --xml r.xml --declarant-city Rotterdam --confirm …";
const EXAMPLES_XML: &str = "Examples:\n  cbam xml --report report.json --output report.xml --declarant-city Rotterdam --confirm";
const EXAMPLES_EXPORT: &str = "Examples:\n  cbam export --database-backup fixtures/pgdump/greenlang.sql.gz --output shipments.csv";
const EXAMPLES_BACKUP: &str =
    "Examples:\n  cbam backup verify --backup fixtures/pgdump/greenlang.sql.gz";
const EXAMPLES_AUDIT: &str = "Examples:\n  cbam audit daily --backup fixtures/pgdump/production_audit.sql.gz --date 2025-12-01\n  cbam audit quarterly --backup fixtures/pgdump/production_audit.sql.gz --quarter Q4-2025 --sample 5 --summary audit.md";
const EXAMPLES_VALIDATE: &str = "Examples:\n  cbam validate --report report.json\n  cbam validate --report report.xml --format json";
const EXAMPLES_DIFF: &str = "Examples:\n  cbam diff a.json b.json\n  cbam diff a.json b.json --strict --max 5 --format json";
const EXAMPLES_CN: &str = "Examples:\n  cbam cn lookup 7208 10 00\n  cbam cn validate cn_codes.json\n  cbam cn enrich --shipments fixtures/shipments_2025q4.csv";
const EXAMPLES_VERIFY: &str = "Examples:\n  cbam verify --actual new.json --expected baseline.json\n  cbam verify --actual new.json --expected old.json --sample 1000 --seed 7 --quarter Q4-2025";
const EXAMPLES_EXPLAIN: &str = "Examples:\n  cbam explain --input fixtures/shipments_2025q4.csv --shipment FX-2025Q4-0003 --suppliers fixtures/suppliers.yaml";
const EXAMPLES_SUPPLIERS: &str = "Examples:\n  cbam suppliers audit --suppliers fixtures/suppliers.yaml --shipments fixtures/shipments_2025q4.csv --quarter Q4-2025\n  cbam suppliers import template.xlsx --output suppliers_imported.yaml";
const EXAMPLES_DEADLINES: &str = "Examples:\n  cbam deadlines --today 2026-12-04 --days-ahead 60";
const EXAMPLES_GENERATE: &str =
    "Examples:\n  cbam generate --shipments 1000000 --seed 42 --output gen.csv";
const EXAMPLES_BENCH: &str = "Examples:\n  cbam bench --shipments 100000,1000000 --production";
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
    progress::install(cli.no_progress || cli.command.quiet());
    match cli.command {
        Command::Report(a) => report::run(*a),
        Command::Export(a) => export::run(a),
        Command::Backup(a) => backup::run(a),
        Command::Audit(a) => audit::run(*a),
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
        Command::Completions { shell } => {
            use clap::CommandFactory;
            // Rendered whole first: the generator panics on a failed write (a closed pipe).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "cbam", &mut script);
            std::io::Write::write_all(&mut stdout(), &script)?;
            Ok(0)
        }
        Command::Man { dir } => {
            use clap::CommandFactory;
            let cmd = Cli::command();
            match dir {
                None => {
                    let mut page = Vec::new();
                    clap_mangen::Man::new(cmd).render(&mut page)?;
                    std::io::Write::write_all(&mut stdout(), &page)?;
                }
                Some(dir) => man_pages(cmd, "cbam", &dir)?,
            }
            Ok(0)
        }
    }
}

/// `NAME.1` for `cmd` and, recursively, `NAME-SUB.1` for each subcommand (as cargo's pages).
fn man_pages(cmd: clap::Command, name: &str, dir: &std::path::Path) -> anyhow::Result<()> {
    // clap names are `&'static str`: a page name lives for the rest of this short command.
    let cmd = cmd.name(&*Box::leak(name.to_string().into_boxed_str()));
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    cbam::fsio::atomic_write(&dir.join(format!("{name}.1")), |w| {
        std::io::Write::write_all(w, &page)
    })?;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        man_pages(sub.clone(), &format!("{name}-{}", sub.get_name()), dir)?;
    }
    Ok(())
}

/// `-` as an input: standard input, copied once to a temporary file named `<stdin>` (kept
/// while this lives), so readers that map or reread their input can take it and a report
/// names it `<stdin>`. Standard input can be read once: one `-` input per run.
#[derive(Default)]
pub struct Stdin(Option<cbam::fsio::StdinCopy>);

impl Stdin {
    pub fn resolve(&mut self, p: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
        if !cbam::fsio::is_stdio(p) {
            return Ok(p.to_path_buf());
        }
        anyhow::ensure!(
            self.0.is_none(),
            "-: standard input can be read once; name at most one input `-`"
        );
        let copy = cbam::fsio::copy_stdin()?;
        let path = copy.path.clone();
        self.0 = Some(copy);
        Ok(path)
    }
}

/// Standard output for what a command prints. A reader that closes the pipe early (`| head`)
/// ends the printing, not the verdict: writes after that are dropped and the command still
/// returns its exit code (an INCONSISTENT audit is 1 whether or not all of it was read).
pub fn stdout() -> QuietPipe<std::io::StdoutLock<'static>> {
    QuietPipe(std::io::stdout().lock())
}

pub struct QuietPipe<W>(W);

impl<W: std::io::Write> std::io::Write for QuietPipe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(buf.len()),
            other => other,
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self.0.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
}

/// Where a command says what it did: stdout, unless one of its outputs went there (`-`);
/// then stderr, so the output stays what it is.
pub fn status_out(outputs: &[&std::path::Path]) -> Box<dyn std::io::Write> {
    if outputs.iter().any(|p| cbam::fsio::is_stdio(p)) {
        Box::new(std::io::stderr().lock())
    } else {
        Box::new(stdout())
    }
}

impl Command {
    /// `-q`: the exit code tells, nothing is printed — progress neither.
    fn quiet(&self) -> bool {
        match self {
            Command::Report(a) => a.quiet,
            Command::Xml(a) => a.quiet,
            Command::Validate(a) => a.quiet,
            Command::Audit(a) => a.quiet(),
            Command::Html(a) => a.quiet,
            Command::Generate(a) => a.quiet,
            Command::Export(a) => a.quiet,
            _ => false,
        }
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

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Every subcommand and every flag of every command says what it is for.
    #[test]
    fn every_flag_has_help_text() {
        let mut missing = Vec::new();
        fn walk(cmd: &clap::Command, path: String, missing: &mut Vec<String>) {
            for a in cmd.get_arguments() {
                let id = a.get_id().as_str();
                if ["help", "version"].contains(&id) {
                    continue;
                }
                if a.get_help().is_none() && a.get_long_help().is_none() {
                    missing.push(format!("{path} --{}", a.get_long().unwrap_or(id)));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_about().is_none() && sub.get_name() != "help" {
                    missing.push(format!("{path} {} (no about)", sub.get_name()));
                }
                walk(sub, format!("{path} {}", sub.get_name()), missing);
            }
        }
        walk(&Cli::command(), "cbam".into(), &mut missing);
        assert!(
            missing.is_empty(),
            "flags without help:\n{}",
            missing.join("\n")
        );
    }
}
