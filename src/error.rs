//! Typed errors of the library. These stop a run (exit 2): unreadable or unusable input,
//! bad reference data, I/O. Problems with individual rows are `Finding`s, not errors.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: cannot write: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: the file is empty (expected a header line with the shipment columns)")]
    Empty { path: PathBuf },
    #[error("{path}: the file has a header but no shipment rows")]
    NoRows { path: PathBuf },
    #[error(
        "{path}: line 1 (header): missing required column(s) {missing}; found columns: {found}"
    )]
    MissingColumns {
        path: PathBuf,
        missing: String,
        found: String,
    },
    #[error("{path}: line 1 (header): column {column:?} appears more than once")]
    DuplicateColumn { path: PathBuf, column: String },
    #[error(
        "{path}: line 1 (header): expected {expected}-separated columns, found one column containing {found:?}; \
         wrong delimiter? (use --input-format {hint})"
    )]
    WrongDelimiter {
        path: PathBuf,
        expected: &'static str,
        found: &'static str,
        hint: &'static str,
    },
    #[error("{path}: unsupported input format {found:?} (expected one of: {expected})")]
    UnsupportedFormat {
        path: PathBuf,
        found: String,
        expected: &'static str,
    },
    #[error("{path}: line {line}: {message}")]
    Parse {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{path}: {message}")]
    Data { path: PathBuf, message: String },
    /// A backup or export whose content is broken (truncated archive, a COPY cut short, a row
    /// with the wrong number of fields): `backup verify` reports these as damage (exit 1).
    #[error("{path}: line {line}: {message}")]
    Damaged {
        path: PathBuf,
        line: u64,
        table: Option<String>,
        message: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
