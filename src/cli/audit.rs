//! `cbam audit daily|quarterly`: the runbook's audits over a database backup.

use super::reference::ReferenceArgs;
use super::Format;
use anyhow::Context;
use cbam::audit::{AuditResult, QuarterlyOptions};
use cbam::model::{printable, Date, Quarter};
use cbam::reference::ReferenceData;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

/// What both audits take: the backup, the reference data, the outputs.
#[derive(Debug, clap::Args)]
pub struct Common {
    /// The production database's plain-SQL pg_dump (.sql, .sql.gz) with shipments and reports.
    #[arg(long, value_name = "FILE")]
    pub backup: PathBuf,
    #[command(flatten)]
    pub reference: ReferenceArgs,
    /// Write the result JSON here (atomically).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write the result as Markdown here (atomically).
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Write the result as a self-contained HTML page here (the report page's layout).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// What is printed on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Print nothing; the exit code tells.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// The shipments created or imported on a day, recomputed twice (1 and N threads) and
    /// validated; the stored reports they went into recomputed and compared; the day's runs.
    Daily {
        /// The day (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        date: String,
        #[command(flatten)]
        common: Common,
    },
    /// Every stored report of a quarter recomputed and compared (total, status,
    /// determinism); unreported shipments; deadlines; the supplier audit (with --suppliers);
    /// a sample of shipments recomputed alone (--sample).
    Quarterly {
        /// The quarter: 2025Q4, Q4-2025 or 2025-Q4.
        #[arg(long, value_name = "QUARTER")]
        quarter: String,
        /// Recompute N shipments of the quarter alone (drawn by --seed) and compare them with
        /// the full recomputation.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        sample: Option<u64>,
        /// The sample's seed.
        #[arg(long, default_value_t = 1, value_name = "S", requires = "sample")]
        seed: u64,
        /// The day deadlines are judged from (default: today).
        #[arg(long, value_name = "DATE")]
        today: Option<String>,
        #[command(flatten)]
        common: Common,
    },
}

impl Args {
    pub fn quiet(&self) -> bool {
        match &self.command {
            Sub::Daily { common, .. } | Sub::Quarterly { common, .. } => common.quiet,
        }
    }
}

pub fn run(mut a: Args) -> anyhow::Result<u8> {
    let threads = rayon::current_num_threads().max(2);
    let mut stdin = super::Stdin::default();
    let common = match &mut a.command {
        Sub::Daily { common, .. } | Sub::Quarterly { common, .. } => common,
    };
    common.backup = stdin.resolve(&common.backup)?;
    let (result, common) = match a.command {
        Sub::Daily { date, common } => {
            let day = Some(date.trim())
                .filter(|d| d.len() == 10)
                .and_then(Date::parse)
                .with_context(|| format!("--date: expected YYYY-MM-DD, found {date:?}"))?;
            let refdata = load(&common)?;
            (
                cbam::audit::daily(&common.backup, day, &refdata, threads)?,
                common,
            )
        }
        Sub::Quarterly {
            quarter,
            sample,
            seed,
            today,
            common,
        } => {
            let q = Quarter::parse_flag(&quarter).with_context(|| {
                format!(
                    "--quarter: expected a quarter such as 2025Q4 or Q4-2025, found {quarter:?}"
                )
            })?;
            let today = match &today {
                Some(t) => Date::parse(t.trim())
                    .with_context(|| format!("--today: expected YYYY-MM-DD, found {t:?}"))?,
                None => cbam::time::today()?,
            };
            let refdata = load(&common)?;
            let o = QuarterlyOptions {
                threads,
                today,
                sample: sample.map(|n| (usize::try_from(n).unwrap_or(usize::MAX), seed)),
            };
            (
                cbam::audit::quarterly(&common.backup, q, &refdata, &o)?,
                common,
            )
        }
    };
    write_outputs(&common, &result)?;
    if !common.quiet {
        let outputs: Vec<&std::path::Path> = [&common.output, &common.summary, &common.html]
            .into_iter()
            .flatten()
            .map(PathBuf::as_path)
            .collect();
        let mut out = super::status_out(&outputs);
        match common.format {
            Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&result)?)?,
            Format::Table => print_table(&mut out, &result)?,
        }
    }
    Ok(if result.consistent { 0 } else { 1 })
}

fn load(c: &Common) -> anyhow::Result<ReferenceData> {
    let mut outputs = Vec::new();
    for (flag, p) in [
        ("--output", &c.output),
        ("--summary", &c.summary),
        ("--html", &c.html),
    ] {
        if let Some(p) = p {
            outputs.push((flag, p.as_path()));
        }
    }
    let mut inputs = c.reference.inputs();
    inputs.push(("--backup", c.backup.as_path()));
    cbam::fsio::check_outputs(&inputs, &outputs)?;
    Ok(ReferenceData::load(&c.reference.paths())?)
}

fn write_outputs(c: &Common, r: &AuditResult) -> anyhow::Result<()> {
    let mut outputs = cbam::fsio::Outputs::new();
    if let Some(p) = &c.summary {
        let md = cbam::audit::markdown::render(r);
        outputs.write(p, |w| w.write_all(md.as_bytes()))?;
    }
    if let Some(p) = &c.html {
        let page = cbam::audit::html::render(r);
        outputs.write(p, |w| w.write_all(page.as_bytes()))?;
    }
    if let Some(p) = &c.output {
        let json = serde_json::to_vec_pretty(r)?;
        outputs.write(p, |w| w.write_all(&json))?;
    }
    outputs.commit()?;
    Ok(())
}

fn print_table(out: &mut impl Write, r: &AuditResult) -> std::io::Result<()> {
    writeln!(
        out,
        "{} audit {}: {} ({})",
        r.audit,
        r.period,
        r.verdict(),
        r.inconsistencies_text()
    )?;
    writeln!(
        out,
        "backup      {} (sha256 {}…)",
        printable(&r.backup.file),
        &r.backup.sha256[..16.min(r.backup.sha256.len())]
    )?;
    for g in &r.groups {
        let total = g
            .recomputed
            .as_ref()
            .map(|x| format!(", recomputed {} tCO2e", x.total_embedded_emissions_tco2))
            .unwrap_or_default();
        writeln!(
            out,
            "{}  ({} shipments{total})",
            printable(&g.group),
            g.shipments
        )?;
        print_checks(out, &g.checks)?;
    }
    print_checks(out, &r.deadlines)?;
    if let Some(s) = &r.sample {
        writeln!(
            out,
            "sample      {} shipments (seed {}) recomputed alone: {} equal, {} different",
            s.shipments.len(),
            s.seed,
            s.equal,
            s.different.len()
        )?;
    }
    for f in &r.findings {
        writeln!(
            out,
            "  {:<13} {:<22} {}",
            f.severity.as_str(),
            f.check,
            printable(&f.message)
        )?;
    }
    Ok(())
}

fn print_checks(out: &mut impl Write, checks: &[cbam::audit::Check]) -> std::io::Result<()> {
    for c in checks {
        writeln!(
            out,
            "  {:<13} {:<22} {}",
            c.status,
            c.check,
            printable(&c.message)
        )?;
    }
    Ok(())
}
