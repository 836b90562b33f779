//! `cbam backup verify`: is a `pg_dump` backup whole? gzip integrity (every member's CRC and
//! length), the dump parsed to its end, pg_dump's completion line, tables with row counts,
//! and the file's SHA-256 to record beside it.

use crate::error::{Error, Result};
use crate::formats::pgdump::{self, CountOnly, DumpSummary};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackupStatus {
    Healthy,
    Damaged,
}

/// The verdict on one backup.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BackupCheck {
    pub status: BackupStatus,
    /// What is wrong, with the line (of the decompressed dump) where it was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem_line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem_table: Option<String>,
    #[serde(flatten)]
    pub dump: DumpSummary,
}

/// Reads the whole backup. `Err` only when it cannot be read at all or is not a plain-SQL
/// dump (exit 2); damage is a verdict, not an error.
pub fn verify_backup(path: &Path) -> Result<BackupCheck> {
    let outcome = pgdump::read_dump_outcome(path, &mut CountOnly)?;
    let (problem, problem_line, problem_table) = match outcome.damage {
        Some(Error::Damaged {
            line,
            table,
            message,
            ..
        }) => (Some(message), Some(line), table),
        Some(other) => (Some(other.to_string()), None, None),
        None if outcome.summary.bytes == 0 => {
            (Some("the file is empty: no dump at all".into()), None, None)
        }
        None if !outcome.summary.complete => (
            Some(
                "the dump ends without pg_dump's completion line \
                 (\"-- PostgreSQL database dump complete\"): it was cut short between statements"
                    .into(),
            ),
            Some(outcome.summary.lines),
            None,
        ),
        None => (None, None, None),
    };
    Ok(BackupCheck {
        status: if problem.is_some() {
            BackupStatus::Damaged
        } else {
            BackupStatus::Healthy
        },
        problem,
        problem_line,
        problem_table,
        dump: outcome.summary,
    })
}
