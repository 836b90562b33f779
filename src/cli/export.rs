//! `cbam export`: one table of a `pg_dump` backup → CSV in the intake format.

use super::Format;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Plain-SQL pg_dump output (`pg_dump greenlang | gzip > cbam_db_YYYYMMDD.sql.gz`), gzip or not.
    #[arg(long, value_name = "FILE")]
    pub database_backup: PathBuf,
    /// CSV to write (atomically: nothing is left behind when the backup is damaged).
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
    /// Table to export: `name`, `schema.name`, or `database.schema.name` in a pg_dumpall file.
    #[arg(long, value_name = "NAME", default_value = "shipments")]
    pub table: String,
    /// Export even when pg_dump's completion line is missing (the dump was cut short after
    /// the table; a dump cut inside the table's data still fails).
    #[arg(long)]
    pub allow_incomplete: bool,
    #[command(flatten)]
    pub dialect: super::dialect::OutputDialect,
    /// What stdout shows: `table` for people, `json` for scripts.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Print nothing; the exit code tells.
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(mut a: Args) -> anyhow::Result<u8> {
    cbam::fsio::check_outputs(
        &[("--database-backup", a.database_backup.as_path())],
        &[("--output", a.output.as_path())],
    )?;
    let mut stdin = super::Stdin::default();
    a.database_backup = stdin.resolve(&a.database_backup)?;
    let started = std::time::Instant::now();
    let export = cbam::intake::convert::export_database_backup(
        &a.database_backup,
        &a.table,
        &a.output,
        a.allow_incomplete,
        a.dialect.options(),
    )?;
    let secs = started.elapsed().as_secs_f64();
    if a.quiet {
        return Ok(0);
    }
    let mut out = super::status_out(&[&a.output]);
    match a.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &export)?;
            writeln!(out)?;
        }
        Format::Table => {
            writeln!(
                out,
                "exported {} rows of table {} ({} columns) to {} in {secs:.2} s",
                export.rows,
                export.table,
                export.columns.len(),
                a.output.display()
            )?;
            writeln!(
                out,
                "backup {} ({}{} bytes, {} lines, sha256 {})",
                export.dump.file,
                if export.dump.gzip { "gzip, " } else { "" },
                export.dump.bytes,
                export.dump.lines,
                export.dump.sha256
            )?;
            writeln!(out, "rows per table in the backup:")?;
            for t in &export.dump.tables {
                writeln!(
                    out,
                    "  {:<36} {:>10} rows  ({}, from line {})",
                    t.table,
                    t.rows,
                    t.form.statement(),
                    t.first_line
                )?;
            }
            if !export.dump.complete {
                writeln!(
                    out,
                    "warning: the backup has no pg_dump completion line (--allow-incomplete)"
                )?;
            }
        }
    }
    Ok(0)
}
