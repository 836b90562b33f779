//! CSV / TSV shipments: header-mapped (any column order, extra columns kept).

use super::{InputFormat, Intake};
use crate::error::{Error, Result};
use crate::model::{Col, Finding, Severity, ShipmentRow, REQUIRED_COLUMNS, SHIPMENT_COLUMNS};
use crate::provenance::FileDigest;
use std::path::Path;

/// A field longer than this is not a shipment value; the row is rejected rather than carried.
pub const MAX_FIELD_BYTES: usize = 64 * 1024;

pub(super) fn parse(path: &Path, display: &str, data: &[u8], format: InputFormat) -> Result<Intake> {
    if data.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::Empty { path: path.to_path_buf() });
    }
    let delim = match format {
        InputFormat::Csv => b',',
        InputFormat::Tsv => b'\t',
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(true)
        .flexible(true)
        .from_reader(data);
    let header = rdr
        .byte_headers()
        .map_err(|e| Error::Parse { path: path.to_path_buf(), line: 1, message: e.to_string() })?
        .clone();
    let names: Vec<String> =
        header.iter().map(|h| String::from_utf8_lossy(h).trim().to_ascii_lowercase()).collect();

    // Index of each known column in the file, and the extra columns.
    let mut known: [Option<usize>; 16] = [None; 16];
    let mut extra: Vec<(usize, std::sync::Arc<str>)> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        match SHIPMENT_COLUMNS.iter().position(|c| c == name) {
            Some(k) => {
                if known[k].is_some() {
                    return Err(Error::DuplicateColumn { path: path.to_path_buf(), column: name.clone() });
                }
                known[k] = Some(i);
            }
            None => {
                if extra.iter().any(|(_, n)| n.to_ascii_lowercase() == *name) {
                    return Err(Error::DuplicateColumn { path: path.to_path_buf(), column: name.clone() });
                }
                extra.push((i, String::from_utf8_lossy(&header[i]).trim().into()))
            }
        }
    }
    let missing: Vec<&str> = REQUIRED_COLUMNS
        .iter()
        .filter(|c| known[SHIPMENT_COLUMNS.iter().position(|k| k == *c).unwrap_or(0)].is_none())
        .copied()
        .collect();
    if !missing.is_empty() {
        if names.len() == 1 {
            let h = &names[0];
            let (found, hint) = if h.contains(';') {
                (Some("';'"), "csv after converting, or re-export with commas")
            } else if h.contains('\t') {
                (Some("tab"), "tsv")
            } else if h.contains(',') {
                (Some("','"), "csv")
            } else if h.contains('|') {
                (Some("'|'"), "csv after converting, or re-export with commas")
            } else {
                (None, "")
            };
            if let Some(found) = found {
                return Err(Error::WrongDelimiter {
                    path: path.to_path_buf(),
                    expected: if delim == b',' { "comma" } else { "tab" },
                    found,
                    hint,
                });
            }
        }
        return Err(Error::MissingColumns {
            path: path.to_path_buf(),
            missing: missing.join(", "),
            found: names.join(", "),
        });
    }

    let ncols = names.len();
    let mut rows = Vec::new();
    let mut broken = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut row_no: u64 = 0;
    loop {
        let more = match rdr.read_byte_record(&mut record) {
            Ok(m) => m,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(Error::Parse { path: path.to_path_buf(), line, message: e.to_string() });
            }
        };
        if !more {
            break;
        }
        // A blank line is not a row (csv already skips truly empty lines); a line of only
        // delimiters is an empty row and is reported below as missing fields.
        row_no += 1;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let mut problems = Vec::new();
        let mut values: [&str; 16] = [""; 16];
        let field = |i: usize| -> &[u8] { record.get(i).unwrap_or(b"") };
        for (k, idx) in known.iter().enumerate() {
            if let Some(i) = *idx {
                let v = field(i);
                if v.len() > MAX_FIELD_BYTES {
                    problems.push(
                        Finding::new(
                            "IN014",
                            Severity::Error,
                            format!("field {} is {} bytes long (limit {MAX_FIELD_BYTES})", SHIPMENT_COLUMNS[k], v.len()),
                        )
                        .field(SHIPMENT_COLUMNS[k])
                        .expected(format!("at most {MAX_FIELD_BYTES} bytes"))
                        .found(&format!("{} bytes", v.len())),
                    );
                    continue;
                }
                // Input was decoded to valid UTF-8 before parsing, and csv splits on ASCII bytes,
                // so every field is valid UTF-8.
                values[k] = std::str::from_utf8(v).unwrap_or("").trim();
            }
        }
        let mut row = ShipmentRow::new(row_no, line, values);
        for (i, name) in &extra {
            let v = field(*i);
            if v.len() > MAX_FIELD_BYTES {
                problems.push(
                    Finding::new("IN014", Severity::Error, format!("extra column {name} is {} bytes long", v.len()))
                        .expected(format!("at most {MAX_FIELD_BYTES} bytes"))
                        .found(&format!("{} bytes", v.len())),
                );
                continue;
            }
            row.extra.push((name.clone(), String::from_utf8_lossy(v).to_string()));
        }
        if record.len() != ncols {
            problems.push(
                Finding::new(
                    "IN013",
                    Severity::Error,
                    format!("row has {} fields, the header has {ncols}", record.len()),
                )
                .expected(format!("{ncols} fields"))
                .found(&format!("{} fields", record.len())),
            );
        }
        if problems.is_empty() {
            rows.push(row);
        } else {
            let problems = problems.into_iter().map(|f| f.file(display).at_row(&row)).collect();
            broken.push((row, problems));
        }
    }
    if row_no == 0 {
        return Err(Error::NoRows { path: path.to_path_buf() });
    }
    let _ = Col::ShipmentId;
    Ok(Intake {
        rows,
        broken,
        findings: Vec::new(),
        rows_read: row_no,
        digest: FileDigest::placeholder(),
        extra_columns: extra.into_iter().map(|(_, n)| n.to_string()).collect(),
    })
}
