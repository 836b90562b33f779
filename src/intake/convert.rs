//! Shipments held in something other than CSV — a `pg_dump` backup, a spreadsheet, a JSON
//! file — turned into CSV in the intake format, so every source then flows through the one
//! intake parser. The CSV is written the way PostgreSQL writes it: an unquoted empty field
//! is NULL (an empty cell), a quoted empty field (`""`) is an empty string, so nothing a
//! backup holds is lost in the export.

use super::InputFormat;
use crate::error::{Error, Result};
use crate::formats::dialect::{self, CsvDialect, DecimalMark};
use crate::formats::pgcsv::CsvSink;
use crate::formats::pgdump::{self, DumpSummary, DumpVisitor, Fields, Table};
use crate::model::REQUIRED_COLUMNS;
use std::io::Write;
use std::path::Path;

/// What an export wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Export {
    pub table: String,
    pub columns: Vec<String>,
    pub rows: u64,
    pub dump: DumpSummary,
}

/// Streams the rows of one table of a dump into a `CsvSink`.
struct TableToCsv<'a, 'w> {
    wanted: &'a str,
    sink: CsvSink<'w>,
    found: Option<Table>,
    /// For `report`: the table must carry the required shipment columns.
    require_shipment_columns: bool,
    path: &'a Path,
    io_error: Option<std::io::Error>,
    /// `export --output-decimal-comma`: the columns whose numbers are rewritten (see
    /// `super::numbers::NUMERIC_COLUMNS`), by position.
    decimal_comma: Option<Vec<usize>>,
}

impl DumpVisitor for TableToCsv<'_, '_> {
    fn table(&mut self, table: &Table) -> Result<bool> {
        if !table.matches(self.wanted) {
            return Ok(false);
        }
        if let Some(first) = &self.found {
            self.same_table(first, table)?;
            return Ok(true);
        }
        if self.require_shipment_columns {
            self.has_shipment_columns(table)?;
        }
        if let Some(cols) = self.decimal_comma.as_mut() {
            *cols = numeric_positions(&table.columns);
        }
        self.sink
            .header(table.columns.iter().map(String::as_str))
            .map_err(|e| self.io(e))?;
        self.found = Some(table.clone());
        Ok(true)
    }

    fn row(&mut self, table: &Table, fields: &Fields, line: u64) -> Result<()> {
        let Some(cols) = self.decimal_comma.as_ref().filter(|c| !c.is_empty()) else {
            return self
                .sink
                .row((0..fields.len()).map(|i| fields.get(i)), line)
                .map_err(|e| self.io(e));
        };
        let mut rewritten: Vec<Option<String>> = Vec::with_capacity(cols.len());
        for &i in cols {
            rewritten.push(match fields.get(i) {
                Some(v) if !v.is_empty() => Some(dialect::point_to_comma(v.trim()).ok_or_else(
                    || Error::Parse {
                        path: self.path.to_path_buf(),
                        line,
                        message: format!(
                            "table {} column {} holds {:?}, not a number with a decimal point: \
                             written with a decimal comma it would read as another number \
                             (export it without --output-decimal-comma)",
                            table.qualified(),
                            table.columns[i],
                            crate::model::truncate_for_message(v)
                        ),
                    },
                )?),
                _ => None,
            });
        }
        let field = |i: usize| match cols.iter().position(|&c| c == i) {
            Some(k) if rewritten[k].is_some() => rewritten[k].as_deref(),
            _ => fields.get(i),
        };
        let out: Vec<Option<&str>> = (0..fields.len()).map(field).collect();
        self.sink.row(out, line).map_err(|e| self.io(e))
    }
}

impl TableToCsv<'_, '_> {
    /// A later run of rows for the table already found: the same table, the same columns.
    fn same_table(&self, first: &Table, table: &Table) -> Result<()> {
        if first.qualified() != table.qualified() {
            return Err(Error::Data {
                path: self.path.to_path_buf(),
                message: format!(
                    "line {}: table {:?} is ambiguous: both {} (line {}) and {} hold data; \
                     name it fully, e.g. --table {}",
                    table.line,
                    self.wanted,
                    first.qualified(),
                    first.line,
                    table.qualified(),
                    first.qualified()
                ),
            });
        }
        if first.columns != table.columns {
            return Err(Error::Damaged {
                path: self.path.to_path_buf(),
                line: table.line,
                table: Some(table.qualified()),
                message: format!(
                    "rows of table {} with columns ({}) after rows with columns ({})",
                    table.qualified(),
                    table.columns.join(", "),
                    first.columns.join(", ")
                ),
            });
        }
        Ok(())
    }

    /// For `report`: the table carries every required shipment column.
    fn has_shipment_columns(&self, table: &Table) -> Result<()> {
        let missing: Vec<&str> = REQUIRED_COLUMNS
            .iter()
            .filter(|c| !table.columns.iter().any(|t| t.eq_ignore_ascii_case(c)))
            .copied()
            .collect();
        if !missing.is_empty() {
            return Err(Error::Parse {
                path: self.path.to_path_buf(),
                line: table.line,
                message: format!(
                    "table {} has no column(s) {} (its columns: {})",
                    table.qualified(),
                    missing.join(", "),
                    table.columns.join(", ")
                ),
            });
        }
        Ok(())
    }

    /// A write failure: kept so the caller reports it against the output, not the dump.
    fn io(&mut self, e: std::io::Error) -> Error {
        let message = e.to_string();
        self.io_error = Some(e);
        Error::Data {
            path: self.path.to_path_buf(),
            message: format!("writing the export failed: {message}"),
        }
    }
}

/// The positions of the numeric shipment columns among a table's columns (any case).
fn numeric_positions(columns: &[String]) -> Vec<usize> {
    columns
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            super::numbers::NUMERIC_COLUMNS
                .iter()
                .any(|n| c.trim().eq_ignore_ascii_case(n))
        })
        .map(|(i, _)| i)
        .collect()
}

/// Reads `table` from a dump into `out` as CSV (in `dialect`: the intake's own for `report`).
/// Fails when the dump is damaged, when the table
/// is not in it, and — unless `allow_incomplete` — when pg_dump's completion line is missing
/// (an `--inserts` dump cut between statements would otherwise lose rows silently).
pub fn dump_table_to_csv(
    path: &Path,
    table: &str,
    out: &mut dyn Write,
    allow_incomplete: bool,
    require_shipment_columns: bool,
    dialect: CsvDialect,
) -> Result<(Export, Option<Vec<u64>>)> {
    let mut v = TableToCsv {
        wanted: table,
        sink: CsvSink::new(out, require_shipment_columns).with_delimiter(dialect.delimiter),
        found: None,
        require_shipment_columns,
        path,
        io_error: None,
        decimal_comma: (dialect.decimal_mark == DecimalMark::Comma).then(Vec::new),
    };
    let summary = match pgdump::read_dump(path, &mut v) {
        Ok(s) => s,
        Err(e) => {
            if let Some(io) = v.io_error.take() {
                return Err(Error::Write {
                    path: "(export output)".into(),
                    source: io,
                });
            }
            return Err(e);
        }
    };
    let Some(found) = v.found else {
        return Err(no_such_table(path, table, &summary));
    };
    if !summary.complete && !allow_incomplete {
        return Err(Error::Damaged {
            path: path.to_path_buf(),
            line: summary.lines,
            table: None,
            message: "the dump ends without pg_dump's completion line \
                      (\"-- PostgreSQL database dump complete\"): it was cut short, and rows \
                      after the cut would be missing (pass --allow-incomplete to export what is there)"
                .into(),
        });
    }
    let rows = v.sink.rows;
    let origins = v.sink.origins.take();
    Ok((
        Export {
            table: found.qualified(),
            columns: found.columns,
            rows,
            dump: summary,
        },
        origins,
    ))
}

/// The table is not among those the dump holds data for: say which it does hold.
fn no_such_table(path: &Path, table: &str, summary: &DumpSummary) -> Error {
    let have: Vec<String> = summary
        .tables
        .iter()
        .map(|t| format!("{} ({} rows)", t.table, t.rows))
        .collect();
    Error::Data {
        path: path.to_path_buf(),
        message: format!(
            "the dump has no data for table {table:?}; tables with data: {}",
            if have.is_empty() {
                "none".to_string()
            } else {
                have.join(", ")
            }
        ),
    }
}

/// `cbam export`: one table of a dump written atomically as CSV in `dialect` (no file on
/// failure).
pub fn export_database_backup(
    backup: &Path,
    table: &str,
    output: &Path,
    allow_incomplete: bool,
    dialect: CsvDialect,
) -> Result<Export> {
    let mut result = None;
    let mut failure = None;
    let written = crate::fsio::atomic_write(output, |w| {
        match dump_table_to_csv(backup, table, w, allow_incomplete, false, dialect) {
            Ok((e, _)) => {
                result = Some(e);
                Ok(())
            }
            Err(e) => {
                failure = Some(e);
                Err(std::io::Error::other("export abandoned"))
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    written?;
    result.ok_or_else(|| Error::Data {
        path: output.to_path_buf(),
        message: "the export wrote nothing".into(),
    })
}

/// A converted input: CSV text in a temporary file, and where each row came from.
pub struct Converted {
    pub csv: std::fs::File,
    /// Per data row: dump line or sheet row (1-based); 0 when the format has none (JSON).
    pub origins: Vec<u64>,
    /// A workbook: the sheet and its columns' letters.
    pub sheet: Option<super::sheet::SheetColumns>,
    /// The digest of the file as given (compressed, when it was).
    pub digest: crate::provenance::FileDigest,
}

/// Converts a non-CSV shipments input into a temporary CSV file.
pub fn to_csv(path: &Path, format: InputFormat, opts: &super::InputOptions) -> Result<Converted> {
    let werr = |source| Error::Write {
        path: std::env::temp_dir(),
        source,
    };
    let file = tempfile::tempfile().map_err(werr)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut sheet = None;
    let (origins, digest) = match format {
        InputFormat::PgDump => {
            let table = opts.table.as_deref().unwrap_or("shipments");
            let (export, origins) =
                dump_table_to_csv(path, table, &mut w, false, true, CsvDialect::default())?;
            let digest = crate::provenance::FileDigest {
                role: "shipments",
                origin: "file",
                file_name: export.dump.file,
                sha256: export.dump.sha256,
                size_bytes: export.dump.bytes,
                delimiter: None,
                decimal_mark: None,
            };
            (origins.unwrap_or_default(), digest)
        }
        InputFormat::Xlsx | InputFormat::Xls | InputFormat::Ods => {
            // One read: calamine parses the same bytes the digest is taken of.
            let bytes = crate::fsio::FileBytes::open(path)?;
            let (origins, columns) =
                super::sheet::to_csv(path, &bytes, format, opts.sheet.as_deref(), &mut w)?;
            sheet = Some(columns);
            (
                origins,
                crate::provenance::FileDigest::of("shipments", path, &bytes),
            )
        }
        InputFormat::Json => {
            // Gzip-compressed JSON too: parsed decompressed, digest of the file as given.
            let (bytes, gz) = super::read_maybe_gzip(path)?;
            let digest =
                gz.unwrap_or_else(|| crate::provenance::FileDigest::of("shipments", path, &bytes));
            (super::json::to_csv(path, &bytes, &mut w)?, digest)
        }
        InputFormat::Csv | InputFormat::Tsv => {
            return Err(Error::Data {
                path: path.to_path_buf(),
                message: "CSV and TSV are read directly, not converted".into(),
            })
        }
    };
    let csv = w.into_inner().map_err(|e| werr(e.into_error()))?;
    Ok(Converted {
        csv,
        origins,
        sheet,
        digest,
    })
}
