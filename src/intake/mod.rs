//! Intake: a shipments file → `ShipmentRow`s (text only) plus layout findings.
//! Nothing is interpreted here except the file's layout; field checks live in `enrich`.

mod content;
pub mod convert;
pub mod delimited;
pub mod json;
pub mod numbers;
pub mod sheet;
mod text;

use crate::error::{Error, Result};
use crate::formats::dialect::{self, DecimalMark};
use crate::fsio::{self, FileBytes};
use crate::model::{Finding, ShipmentRow};
use crate::provenance::FileDigest;
use std::path::Path;

pub use delimited::MAX_FIELD_BYTES;

/// Input formats `cbam report` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    Csv,
    Tsv,
    /// Plain-SQL `pg_dump` output, gzip or not.
    PgDump,
    Xlsx,
    Xls,
    Ods,
    Json,
}

impl InputFormat {
    pub const NAMES: &'static str = "csv, tsv, sql (pg_dump, gzip or not), xlsx, xls, ods, json";

    pub fn parse(s: &str) -> Option<InputFormat> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Some(InputFormat::Csv),
            "tsv" | "tab" => Some(InputFormat::Tsv),
            "sql" | "pgdump" | "pg_dump" => Some(InputFormat::PgDump),
            "xlsx" | "xlsm" => Some(InputFormat::Xlsx),
            "xls" => Some(InputFormat::Xls),
            "ods" => Some(InputFormat::Ods),
            "json" => Some(InputFormat::Json),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Csv => "csv",
            InputFormat::Tsv => "tsv",
            InputFormat::PgDump => "sql",
            InputFormat::Xlsx => "xlsx",
            InputFormat::Xls => "xls",
            InputFormat::Ods => "ods",
            InputFormat::Json => "json",
        }
    }

    /// Format from the file extension (`.csv`, `.tsv`, `.txt` as CSV, `.sql`, `.sql.gz`,
    /// `.xlsx`, `.xls`, `.ods`, `.json`).
    pub fn from_path(path: &Path) -> Result<InputFormat> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .unwrap_or_default();
        let inner = || {
            path.file_stem()
                .map(Path::new)
                .and_then(|s| s.extension())
                .and_then(|e| e.to_str())
                .map(|e| e.to_ascii_lowercase())
                .unwrap_or_default()
        };
        match ext.as_str() {
            "csv" | "txt" => Ok(InputFormat::Csv),
            "tsv" | "tab" => Ok(InputFormat::Tsv),
            "sql" | "dump" | "backup" => Ok(InputFormat::PgDump),
            "gz" if inner() == "sql" => Ok(InputFormat::PgDump),
            // A gzip-compressed export: decompressed on the way in (see `read_maybe_gzip`).
            "gz" if matches!(inner().as_str(), "csv" | "txt") => Ok(InputFormat::Csv),
            "gz" if matches!(inner().as_str(), "tsv" | "tab") => Ok(InputFormat::Tsv),
            "gz" if inner() == "json" => Ok(InputFormat::Json),
            "xlsx" | "xlsm" => Ok(InputFormat::Xlsx),
            "xls" => Ok(InputFormat::Xls),
            "ods" => Ok(InputFormat::Ods),
            "json" => Ok(InputFormat::Json),
            _ => Err(Error::UnsupportedFormat {
                path: path.to_path_buf(),
                found: if ext.is_empty() {
                    "(no extension)".into()
                } else if ext == "gz" {
                    format!(".{}.gz", inner())
                } else {
                    format!(".{ext}")
                },
                expected: "csv, tsv, sql, xlsx, xls, ods, json; csv, tsv, sql and json also gzip-compressed (.csv.gz …) (or pass --input-format)",
            }),
        }
    }

    /// Read through a conversion to CSV (everything but CSV and TSV).
    fn converted(self) -> bool {
        !matches!(self, InputFormat::Csv | InputFormat::Tsv)
    }
}

/// How to read a shipments input: its format (else from the extension), the sheet of a
/// workbook (else the first), the table of a database dump (else `shipments`), and for CSV
/// and TSV the delimiter (else detected from the header) and the decimal mark (else the
/// point, but for a `;`-separated file detected from its numbers: see `numbers`).
#[derive(Debug, Clone, Default)]
pub struct InputOptions {
    pub format: Option<InputFormat>,
    pub sheet: Option<String>,
    pub table: Option<String>,
    pub delimiter: Option<u8>,
    pub decimal_mark: Option<DecimalMark>,
}

/// A shipments file read into memory: the bytes the chunks are parsed from.
#[derive(Debug)]
pub struct Source {
    path: std::path::PathBuf,
    raw: FileBytes,
    /// The Latin-1 decoding, when the file is not UTF-8.
    latin1: Option<String>,
    /// 3 when the file starts with a UTF-8 byte-order mark.
    bom: usize,
    /// The file name (never the full path: reports must not depend on where files live).
    pub file_name: String,
    /// File-level findings (encoding fallback).
    pub findings: Vec<Finding>,
    pub format: InputFormat,
    /// How the file's header maps onto the shipment columns (and its delimiter).
    pub layout: Layout,
    /// How the numeric fields (`numbers::NUMERIC_COLUMNS`) write their decimal mark.
    pub decimal_mark: DecimalMark,
    /// The digest of the file as given, when the bytes parsed are not that file (a converted
    /// dump, workbook or JSON, or a decompressed CSV/TSV).
    digest_of_original: Option<FileDigest>,
    /// A converted input: per data row the dump line, sheet row or JSON line it came from
    /// (0: unknown), which findings then name instead of the intermediate CSV's line.
    origins: Option<Vec<u64>>,
    /// A workbook: its sheet and columns, for naming a finding's cell.
    sheet: Option<sheet::SheetColumns>,
}

/// One record of the file as intake hands it on.
#[derive(Debug)]
pub enum Record {
    /// Layout sound; row numbers are chunk-local (1-based) until the pipeline adds the offset.
    Row(ShipmentRow),
    /// Could not be laid out (wrong field count, oversize field), with its findings.
    Broken(ShipmentRow, Vec<Finding>),
}

pub use delimited::Layout;

/// Reads a shipments file, checks its encoding and maps its header. A database dump,
/// workbook or JSON file is first converted to CSV in a temporary file (deleted on drop);
/// findings still name the original file, and its line or sheet row.
pub fn open_shipments(path: &Path, opts: &InputOptions) -> Result<Source> {
    let format = content::format_of(path, opts.format)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if format.converted() {
        let conv = convert::to_csv(path, format, opts)?;
        let mut src = Source::converted(path, file_name, &conv.csv, conv.digest, conv.origins)?;
        src.sheet = conv.sheet;
        return Ok(src);
    }
    // CSV and TSV may come gzip-compressed: read from a decompressed temporary copy.
    let (raw, digest_of_original) = read_maybe_gzip(path)?;
    let bom = if raw.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let (latin1, findings) = match first_invalid_utf8(&raw[bom..]) {
        None => (None, Vec::new()),
        Some(at) => {
            let (text, f) = latin1_fallback(&file_name, &raw[bom..], at);
            (Some(text), f)
        }
    };
    let mut src = Source {
        path: path.to_path_buf(),
        raw,
        latin1,
        bom,
        file_name,
        findings,
        format,
        layout: Layout::default(),
        decimal_mark: DecimalMark::Point,
        digest_of_original,
        origins: None,
        sheet: None,
    };
    src.layout = delimited::layout(path, src.body(), format, false, opts.delimiter)?;
    src.read_dialect(opts)?;
    Ok(src)
}

impl Source {
    /// A source read from the intake CSV a conversion wrote to `csv`, standing for `path`.
    fn converted(
        path: &Path,
        file_name: String,
        csv: &std::fs::File,
        digest: FileDigest,
        origins: Vec<u64>,
    ) -> Result<Source> {
        let raw = FileBytes::from_temp_file(csv).map_err(|source| Error::Read {
            path: std::env::temp_dir(),
            source,
        })?;
        let layout = delimited::layout(path, &raw, InputFormat::Csv, true, None)?;
        Ok(Source {
            path: path.to_path_buf(),
            raw,
            latin1: None,
            bom: 0,
            file_name,
            findings: Vec::new(),
            format: InputFormat::Csv,
            layout,
            decimal_mark: DecimalMark::Point,
            digest_of_original: Some(digest),
            origins: Some(origins),
            sheet: None,
        })
    }

    /// The delimiter (IN020 when detected and not the format's) and the decimal mark: given,
    /// else for a `;`-separated file detected from its numbers (IN021), else the point.
    fn read_dialect(&mut self, opts: &InputOptions) -> Result<()> {
        if self.layout.detected {
            let mut f = Finding::new(
                "IN020",
                crate::model::Severity::Info,
                format!(
                    "delimiter detected from the header: {} (it splits the header into the \
                     shipment columns; pass --delimiter to say so)",
                    dialect::delimiter_name(self.layout.delimiter)
                ),
            )
            .file(&self.file_name)
            .expected(format!(
                "{}-separated columns, as the extension says",
                dialect::delimiter_name(delimited::format_delimiter(self.format))
            ))
            .found(&dialect::delimiter_name(self.layout.delimiter));
            f.line = Some(self.layout.header_line);
            self.findings.push(f);
        }
        self.decimal_mark = match opts.decimal_mark {
            Some(m) => m,
            None if self.layout.delimiter == b';' => {
                let (mark, note) =
                    numbers::decimal_mark(&self.path, &self.file_name, self.body(), &self.layout)?;
                self.findings.extend(note);
                mark
            }
            None => DecimalMark::Point,
        };
        Ok(())
    }

    /// The decoded file without its byte-order mark: always valid UTF-8.
    pub fn body(&self) -> &[u8] {
        match &self.latin1 {
            Some(s) => s.as_bytes(),
            None => &self.raw[self.bom..],
        }
    }

    /// SHA-256 and size of the file as it is on disk.
    pub fn digest(&self) -> FileDigest {
        let d = match &self.digest_of_original {
            Some(d) => d.clone(),
            None => FileDigest::of("shipments", &self.path, &self.raw),
        };
        // The dialect is recorded when it is not the comma and point of the intake format.
        if self.is_converted()
            || (self.layout.delimiter == b',' && self.decimal_mark == DecimalMark::Point)
        {
            return d;
        }
        d.with_dialect(
            dialect::delimiter_text(self.layout.delimiter),
            self.decimal_mark.as_str(),
        )
    }

    /// For a converted input, the dump line, sheet row or JSON line of data row `row`
    /// (1-based); `None` when the format has no line for it.
    pub fn origin_line(&self, row: u64) -> Option<u64> {
        let i = row.checked_sub(1)?;
        self.origins
            .as_ref()?
            .get(i as usize)
            .copied()
            .filter(|&l| l > 0)
    }

    /// For a workbook, the cell (`Shipments!K7`) of `field` on sheet row `row`.
    pub fn sheet_cell(&self, field: &str, row: u64) -> Option<String> {
        self.sheet.as_ref()?.cell(field, row)
    }

    /// Whether line numbers come from a conversion (see `origin_line`), not the CSV parsed.
    pub fn is_converted(&self) -> bool {
        self.origins.is_some()
    }

    /// Splits the body (after the header) into chunks of about `target` bytes that end on
    /// record boundaries. A newline ends a record only outside quotes; with RFC 4180 quoting
    /// ("" inside quotes) that is exactly where the count of quote characters so far is even.
    pub fn chunks(&self, target: usize) -> Vec<delimited::Chunk> {
        delimited::chunks(
            self.body(),
            self.layout.body_start,
            target,
            self.layout.delimiter,
        )
    }

    /// Parses one chunk, handing each record to `each`; returns the number of records.
    /// Row numbers start at 1 within the chunk.
    pub fn parse_chunk(&self, chunk: &delimited::Chunk, each: impl FnMut(Record)) -> u64 {
        delimited::parse_chunk(
            self.body(),
            chunk,
            &self.layout,
            &self.file_name,
            !self.is_converted(),
            each,
        )
    }
}

/// The file's bytes, read once. When they are gzip data (by their first bytes, whatever the
/// name): the decompressed content (an unnamed temporary file, mapped) and the digest of the
/// compressed file as given. Decompression is bounded while it runs (`fsio::GzipBound`): a
/// gzip bomb is refused before any of it is mapped or parsed.
fn read_maybe_gzip(path: &Path) -> Result<(FileBytes, Option<FileDigest>)> {
    let compressed = FileBytes::open(path)?;
    if !fsio::is_gzip(&compressed) {
        return Ok((compressed, None));
    }
    let digest = FileDigest::of("shipments", path, &compressed);
    let plain = fsio::gunzip_to_temp(path, &compressed)?;
    Ok((plain, Some(digest)))
}

/// Offset of the first byte that is not valid UTF-8, checked in parallel pieces cut at
/// newlines (ASCII, so never inside a character).
fn first_invalid_utf8(data: &[u8]) -> Option<usize> {
    use rayon::prelude::*;
    const PIECE: usize = 8 << 20;
    let mut cuts = vec![0];
    while *cuts.last().unwrap_or(&0) + PIECE < data.len() {
        let from = cuts[cuts.len() - 1] + PIECE;
        match memchr::memchr(b'\n', &data[from..]) {
            Some(i) => cuts.push(from + i + 1),
            None => break,
        }
    }
    cuts.push(data.len());
    cuts.par_windows(2)
        .map(|w| {
            std::str::from_utf8(&data[w[0]..w[1]])
                .err()
                .map(|e| w[0] + e.valid_up_to())
        })
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .next()
}

fn latin1_fallback(display: &str, body: &[u8], at: usize) -> (String, Vec<Finding>) {
    let line = crate::formats::lines::line_of(body, at);
    let text: String = body.iter().map(|&b| b as char).collect();
    let mut f = Finding::new(
        "IN015",
        crate::model::Severity::Warning,
        format!(
            "file is not valid UTF-8 (first invalid byte 0x{:02X} at byte offset {at}, line {line}); \
             read as Latin-1 (ISO-8859-1) instead — check non-ASCII names",
            body[at]
        ),
    )
    .file(display)
    .expected("UTF-8")
    .found("Latin-1 bytes");
    f.line = Some(line);
    (text, vec![f])
}
