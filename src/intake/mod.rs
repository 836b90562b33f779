//! Intake: a shipments file → `ShipmentRow`s (text only) plus layout findings.
//! Nothing is interpreted here except the file's layout; field checks live in `enrich`.

mod delimited;

use crate::error::{Error, Result};
use crate::model::{Finding, ShipmentRow};
use crate::provenance::FileDigest;
use std::path::Path;

pub use delimited::MAX_FIELD_BYTES;

/// Input formats `cbam report` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    Csv,
    Tsv,
}

impl InputFormat {
    pub const NAMES: &'static str = "csv, tsv";

    pub fn parse(s: &str) -> Option<InputFormat> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Some(InputFormat::Csv),
            "tsv" | "tab" => Some(InputFormat::Tsv),
            _ => None,
        }
    }

    /// Format from the file extension (`.csv`, `.tsv`, `.txt` as CSV).
    pub fn from_path(path: &Path) -> Result<InputFormat> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "csv" | "txt" => Ok(InputFormat::Csv),
            "tsv" | "tab" => Ok(InputFormat::Tsv),
            _ => Err(Error::UnsupportedFormat {
                path: path.to_path_buf(),
                found: if ext.is_empty() { "(no extension)".into() } else { format!(".{ext}") },
                expected: "csv, tsv (or pass --input-format)",
            }),
        }
    }
}

/// What intake produced from one file.
#[derive(Debug)]
pub struct Intake {
    /// Rows whose layout is sound, in file order.
    pub rows: Vec<ShipmentRow>,
    /// Rows that could not be laid out (wrong field count, oversize field), with their findings.
    pub broken: Vec<(ShipmentRow, Vec<Finding>)>,
    /// File-level findings (encoding fallback, …).
    pub findings: Vec<Finding>,
    pub rows_read: u64,
    pub digest: FileDigest,
    /// Columns beyond the 16 known ones, in input order.
    pub extra_columns: Vec<String>,
}

/// Reads a shipments file. `format` overrides the extension.
pub fn read_shipments(path: &Path, format: Option<InputFormat>) -> Result<Intake> {
    let format = match format {
        Some(f) => f,
        None => InputFormat::from_path(path)?,
    };
    let bytes = std::fs::read(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    let digest = FileDigest::of("shipments", path, &bytes);
    let display = digest.file_name.clone();
    let (text, mut findings) = decode_text(&display, bytes);
    let mut intake = delimited::parse(path, &display, text.as_bytes(), format)?;
    findings.append(&mut intake.findings);
    intake.findings = findings;
    intake.digest = digest;
    Ok(intake)
}

/// UTF-8 (a BOM is dropped) or, failing that, Latin-1 with a warning that says where the first
/// invalid byte was, so the operator can check the file was not mis-exported.
pub fn decode_text(display: &str, mut bytes: Vec<u8>) -> (String, Vec<Finding>) {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    // Valid UTF-8 (the normal case) is taken over without a copy.
    let bytes = match String::from_utf8(bytes) {
        Ok(s) => return (s, Vec::new()),
        Err(e) => e.into_bytes(),
    };
    let body = &bytes[..];
    match std::str::from_utf8(body) {
        Ok(s) => (s.to_string(), Vec::new()),
        Err(e) => {
            let at = e.valid_up_to();
            let line = 1 + memchr::memchr_iter(b'\n', &body[..at]).count() as u64;
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
    }
}
