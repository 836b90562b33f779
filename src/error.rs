//! Typed errors of the library. These stop a run (exit 2): unreadable or unusable input,
//! bad reference data, I/O. Problems with individual rows are `Finding`s, not errors.
//!
//! **One rule for causes**, for this type and every error type of the library: the message
//! quotes its cause (`r.csv: cannot read: No such file or directory (os error 2)`) and
//! `source()` is `None`. A message is then whole wherever it is shown (`backup verify` puts
//! one in its verdict), and the binary prints the chain of messages (`anyhow` contexts over
//! a library error) as it stands, nothing repeated. A library error type therefore quotes a
//! wrapped error in its message and never marks it `#[source]` or `#[from]`.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
pub enum Error {
    /// The io error is quoted by the message, not returned by `source()` (the rule above).
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    Empty {
        path: PathBuf,
    },
    NoRows {
        path: PathBuf,
    },
    /// `line`: the header's (1 unless blank lines come before it).
    MissingColumns {
        path: PathBuf,
        line: u64,
        missing: String,
        found: String,
        /// A CSV/TSV file: the delimiter the header was split by (no delimiter among
        /// `, ; tab |` gave the required columns).
        delimiter: Option<String>,
    },
    /// Two header cells name one column (after trimming, ignoring case); `line` is `None`
    /// for a converted input (workbook), whose header line is not the file's.
    DuplicateColumn {
        path: PathBuf,
        line: Option<u64>,
        column: String,
        /// Both cells: position, letter and name as written.
        cells: String,
    },
    /// An extra column named like a key the report adds to each `detailed_goods` entry.
    ReservedColumn {
        path: PathBuf,
        column: String,
        /// The keys the report adds to every entry (from the model, which this floor is below).
        reserved: String,
    },
    /// `--delimiter` does not split the header into the required columns.
    WrongDelimiter {
        path: PathBuf,
        line: u64,
        /// The delimiter given, as messages name it (`';'`, `tab`).
        given: String,
        missing: String,
        /// The delimiter that gives the required columns, if one does.
        works: Option<String>,
    },
    UnsupportedFormat {
        path: PathBuf,
        found: String,
        expected: &'static str,
    },
    Parse {
        path: PathBuf,
        line: u64,
        message: String,
    },
    Data {
        path: PathBuf,
        message: String,
    },
    /// A backup or export whose content is broken (truncated archive, a COPY cut short, a row
    /// with the wrong number of fields): `backup verify` reports these as damage (exit 1).
    Damaged {
        path: PathBuf,
        line: u64,
        table: Option<String>,
        message: String,
    },
    /// An output of a run that is the same file as one of its inputs (the same path, or a
    /// symlink or hard link to it): refused before anything is written.
    OutputIsInput {
        output_flag: &'static str,
        output: PathBuf,
        input_flag: &'static str,
        input: PathBuf,
    },
    /// The temporary files that hold a report's findings and rejected rows past the memory
    /// budget could not be written or read back (a full or unwritable temporary directory).
    Spill {
        source: std::io::Error,
    },
    /// Rows of several quarters and no `--quarter`/`--period`: which quarter the report is
    /// for is the user's to say, never guessed (a guess would drop or mix whole quarters).
    SeveralQuarters {
        /// Each quarter with its number of calculated rows, in order.
        quarters: Vec<(String, u64)>,
    },
    /// Two outputs of a run that are the same file: refused before anything is written.
    OutputTwice {
        flag: &'static str,
        path: PathBuf,
        other_flag: &'static str,
        other: PathBuf,
    },
}

fn several_quarters(f: &mut fmt::Formatter<'_>, quarters: &[(String, u64)]) -> fmt::Result {
    let counts: Vec<String> = quarters
        .iter()
        .map(|(q, n)| format!("{q}: {n} rows"))
        .collect();
    let flags: Vec<String> = quarters
        .iter()
        .map(|(q, _)| format!("--quarter {q}"))
        .collect();
    write!(
        f,
        "the shipments belong to {} quarters ({}) and a report covers one: pass {} (the rows of \
         the other quarters are then rejected, IN007), or --period YYYY for an annual report \
         (2026 on); nothing was written",
        quarters.len(),
        counts.join(", "),
        flags.join(" or ")
    )
}

// Written by hand rather than derived: `thiserror` makes a field named `source` the error's
// `source()`, and the rule above wants the io error quoted, not chained.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Read { path, source } => {
                write!(f, "{}: cannot read: {source}", path.display())
            }
            Error::Write { path, source } => {
                write!(f, "{}: cannot write: {source}", path.display())
            }
            Error::Empty { path } => write!(
                f,
                "{}: the file is empty (expected a header line with the shipment columns)",
                path.display()
            ),
            Error::NoRows { path } => {
                write!(f, "{}: the file has a header but no shipment rows", path.display())
            }
            Error::MissingColumns {
                path,
                line,
                missing,
                found,
                delimiter,
            } => {
                write!(
                    f,
                    "{}: line {line} (header): missing required column(s) {missing}; found columns: {found}",
                    path.display()
                )?;
                match delimiter {
                    Some(d) => write!(
                        f,
                        " (split by {d}; no delimiter among ',' ';' tab '|' splits the header \
                         into the required columns)"
                    ),
                    None => Ok(()),
                }
            }
            Error::DuplicateColumn {
                path,
                line,
                column,
                cells,
            } => write!(
                f,
                "{}: {}column {column:?} appears more than once: {cells} (names are \
                 matched ignoring case and surrounding spaces; only one can be the row's value)",
                path.display(),
                line.map(|l| format!("line {l} (header): "))
                    .unwrap_or_else(|| "header: ".into())
            ),
            Error::ReservedColumn {
                path,
                column,
                reserved,
            } => write!(
                f,
                "{}: line 1 (header): expected a column name the report does not use itself, found {column:?} (a key of every detailed_goods entry: {}); rename the column",
                path.display(),
                reserved
            ),
            Error::WrongDelimiter {
                path,
                line,
                given,
                missing,
                works,
            } => {
                write!(
                    f,
                    "{}: line {line} (header): split by --delimiter {given} the header lacks the \
                     required column(s) {missing}",
                    path.display()
                )?;
                match works {
                    Some(w) => write!(
                        f,
                        "; split by {w} it has them: pass --delimiter {w} or leave --delimiter out \
                         to detect it"
                    ),
                    None => write!(
                        f,
                        "; no delimiter among ',' ';' tab '|' gives them"
                    ),
                }
            }
            Error::UnsupportedFormat {
                path,
                found,
                expected,
            } => write!(
                f,
                "{}: unsupported input format {found:?} (expected one of: {expected})",
                path.display()
            ),
            Error::Parse {
                path,
                line,
                message,
            }
            | Error::Damaged {
                path,
                line,
                message,
                ..
            } => write!(f, "{}: line {line}: {message}", path.display()),
            Error::Data { path, message } => write!(f, "{}: {message}", path.display()),
            Error::SeveralQuarters { quarters } => several_quarters(f, quarters),
            Error::Spill { source } => write!(
                f,
                "{}: cannot hold the report's findings in temporary files: {source} \
                 (set TMPDIR to a directory with free space)",
                std::env::temp_dir().display()
            ),
            Error::OutputIsInput {
                output_flag,
                output,
                input_flag,
                input,
            } => write!(
                f,
                "{output_flag} {} is also an input ({input_flag}{}); refusing to overwrite an input",
                output.display(),
                same_file(output, input)
            ),
            Error::OutputTwice {
                flag,
                path,
                other_flag,
                other,
            } => write!(
                f,
                "{flag} {} is also an output ({other_flag}{}); refusing to write two outputs to one file",
                path.display(),
                same_file(path, other)
            ),
        }
    }
}

impl std::error::Error for Error {}

/// The other flag's path when it is written differently (a symlink, a hard link, `./x`):
/// `" b.sql, the same file"`; nothing when both flags spell the path alike.
fn same_file(shown: &std::path::Path, other: &std::path::Path) -> String {
    if shown == other {
        String::new()
    } else {
        format!(" {}, the same file", other.display())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
