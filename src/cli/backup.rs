//! `cbam backup verify`: exit 0 healthy, 1 damaged, 2 unreadable.

use super::Format;
use cbam::backup::{verify_backup, BackupCheck, BackupStatus};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// gzip integrity, the dump parsed to its end, tables and row counts, SHA-256.
    Verify {
        /// Plain-SQL pg_dump output, gzip or not.
        #[arg(long, value_name = "FILE")]
        backup: PathBuf,
        /// What stdout shows: `table` for people, `json` for scripts.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

pub fn run(a: Args) -> anyhow::Result<u8> {
    let Sub::Verify { backup, format } = a.command;
    let mut stdin = super::Stdin::default();
    let backup = stdin.resolve(&backup)?;
    let check = verify_backup(&backup)?;
    let mut out = super::stdout();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &check)?;
            writeln!(out)?;
        }
        Format::Table => print_table(&mut out, &check)?,
    }
    Ok(match check.status {
        BackupStatus::Healthy => 0,
        BackupStatus::Damaged => 1,
    })
}

/// The verdict as the operator reads it: file, digest, status, tables with row counts.
fn print_table(out: &mut impl Write, check: &BackupCheck) -> std::io::Result<()> {
    let d = &check.dump;
    writeln!(
        out,
        "backup  {} ({}{} bytes, {} lines read)",
        d.file,
        if d.gzip { "gzip, " } else { "" },
        d.bytes,
        d.lines
    )?;
    writeln!(out, "sha256  {}", d.sha256)?;
    match (&check.status, &check.problem) {
        (BackupStatus::Healthy, _) => writeln!(
            out,
            "status  HEALTHY: {}parsed to the end; pg_dump's completion line present",
            if d.gzip {
                "gzip CRC and length sound; "
            } else {
                ""
            }
        )?,
        (BackupStatus::Damaged, p) => writeln!(
            out,
            "status  DAMAGED{}: {}",
            check
                .problem_line
                .filter(|l| *l > 0)
                .map(|l| format!(" at line {l}"))
                .unwrap_or_default(),
            p.as_deref().unwrap_or("")
        )?,
    }
    writeln!(
        out,
        "tables{}",
        if check.status == BackupStatus::Damaged {
            " (read before the damage)"
        } else {
            ""
        }
    )?;
    for t in &d.tables {
        writeln!(
            out,
            "  {:<36} {:>10} rows  {:>3} columns  ({}, from line {})",
            t.table,
            t.rows,
            t.columns,
            t.form.statement(),
            t.first_line
        )?;
    }
    Ok(())
}
