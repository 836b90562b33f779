//! CSV / TSV shipments: header-mapped (any column order, extra columns kept), parsed in
//! independent chunks so a large file uses every core.

use super::{InputFormat, Record};
use crate::error::{Error, Result};
use crate::model::{Finding, Severity, ShipmentRow, REQUIRED_COLUMNS, SHIPMENT_COLUMNS};
use std::path::Path;
use std::sync::Arc;

/// A field longer than this is not a shipment value; the row is rejected rather than carried.
pub const MAX_FIELD_BYTES: usize = 64 * 1024;

/// How a file's header maps onto the shipment columns.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Index in the file of each of the 16 known columns.
    pub known: [Option<usize>; 16],
    /// Extra columns: (index in the file, name as written).
    pub extra: Vec<(usize, Arc<str>)>,
    pub ncols: usize,
    /// Byte offset where the first data record starts.
    pub body_start: usize,
    /// Line number (1-based) of that first data record.
    pub first_data_line: u64,
}

fn delimiter(format: InputFormat) -> u8 {
    match format {
        InputFormat::Tsv => b'\t',
        // Everything else reaches the parser converted to CSV.
        _ => b',',
    }
}

pub fn layout(path: &Path, data: &[u8], format: InputFormat) -> Result<Layout> {
    if data.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    }
    let delim = delimiter(format);
    if let Some(open) = unterminated_quote(data, delim) {
        return Err(Error::Parse {
            path: path.to_path_buf(),
            line: 1 + memchr::memchr_iter(b'\n', &data[..open]).count() as u64,
            message: "a quoted field opens here and is never closed: it would run to the end \
                      of the file and swallow every record after it"
                .into(),
        });
    }
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .from_reader(data);
    let mut header = csv::ByteRecord::new();
    match rdr.read_byte_record(&mut header) {
        Ok(true) => {}
        Ok(false) => {
            return Err(Error::Empty {
                path: path.to_path_buf(),
            })
        }
        Err(e) => {
            return Err(Error::Parse {
                path: path.to_path_buf(),
                line: 1,
                message: e.to_string(),
            })
        }
    }
    let body_start = rdr.position().byte() as usize;
    let first_data_line = rdr.position().line();
    let names: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_ascii_lowercase())
        .collect();
    let columns = map_columns(path, &header, &names)?;
    let missing: Vec<&str> = REQUIRED_COLUMNS
        .iter()
        .filter(|c| {
            columns.known[SHIPMENT_COLUMNS.iter().position(|k| k == *c).unwrap_or(0)].is_none()
        })
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(missing_columns(path, &names, &missing, delim));
    }
    Ok(Layout {
        body_start,
        first_data_line,
        ..columns
    })
}

/// Known and extra columns of the header (`names`: trimmed, lower case), each at most once;
/// where the body starts is the caller's to fill in.
fn map_columns(path: &Path, header: &csv::ByteRecord, names: &[String]) -> Result<Layout> {
    let mut known: [Option<usize>; 16] = [None; 16];
    let mut extra: Vec<(usize, Arc<str>)> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        match SHIPMENT_COLUMNS.iter().position(|c| c == name) {
            Some(k) => {
                if known[k].is_some() {
                    return Err(Error::DuplicateColumn {
                        path: path.to_path_buf(),
                        column: name.clone(),
                    });
                }
                known[k] = Some(i);
            }
            None => {
                if crate::model::RESERVED_KEYS.contains(&name.as_str()) {
                    return Err(Error::ReservedColumn {
                        path: path.to_path_buf(),
                        column: String::from_utf8_lossy(&header[i]).trim().to_string(),
                        reserved: crate::model::RESERVED_KEYS.join(", "),
                    });
                }
                if extra.iter().any(|(_, n)| n.to_ascii_lowercase() == *name) {
                    return Err(Error::DuplicateColumn {
                        path: path.to_path_buf(),
                        column: name.clone(),
                    });
                }
                extra.push((i, String::from_utf8_lossy(&header[i]).trim().into()))
            }
        }
    }
    Ok(Layout {
        known,
        extra,
        ncols: names.len(),
        ..Layout::default()
    })
}

/// Required columns are missing: most often because the file is split by another delimiter,
/// which the one column the header then is shows.
fn missing_columns(path: &Path, names: &[String], missing: &[&str], delim: u8) -> Error {
    if names.len() == 1 {
        let h = &names[0];
        let (found, hint) = if h.contains(';') {
            (
                Some("';'"),
                "csv after converting, or re-export with commas",
            )
        } else if h.contains('\t') {
            (Some("tab"), "tsv")
        } else if h.contains(',') {
            (Some("','"), "csv")
        } else if h.contains('|') {
            (
                Some("'|'"),
                "csv after converting, or re-export with commas",
            )
        } else {
            (None, "")
        };
        if let Some(found) = found {
            return Error::WrongDelimiter {
                path: path.to_path_buf(),
                expected: if delim == b',' { "comma" } else { "tab" },
                found,
                hint,
            };
        }
    }
    Error::MissingColumns {
        path: path.to_path_buf(),
        missing: missing.join(", "),
        found: names.join(", "),
    }
}

/// The offset of a quote that opens a field and is never closed, read as the `csv` reader
/// reads: a quote opens a quoted field only at the start of a field (after a delimiter or a
/// line break, or at the start of the file), `""` inside is one quote, and any other quote
/// inside closes it; elsewhere a quote is a literal character.
fn unterminated_quote(data: &[u8], delim: u8) -> Option<usize> {
    let mut it = memchr::memchr_iter(b'"', data);
    while let Some(open) = it.next() {
        if open > 0 && !matches!(data[open - 1], b'\n' | b'\r') && data[open - 1] != delim {
            continue;
        }
        loop {
            let Some(q) = it.next() else {
                return Some(open);
            };
            if data.get(q + 1) == Some(&b'"') {
                it.next();
                continue;
            }
            break;
        }
    }
    None
}

/// Columns whose values may hold a line break (free text); in any other column a quoted
/// field spanning lines is most likely a quote left open until a later record.
const MULTILINE_COLUMNS: [&str; 2] = ["product_description", "notes"];

/// A byte range of whole records, and the line its first record starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    pub start: usize,
    pub end: usize,
    pub first_line: u64,
}

/// Quoted spans `(open, close)` of the data, or `None` if a quote appears where RFC 4180 does
/// not allow one (inside an unquoted field): then only a sequential parse is safe.
fn quoted_spans(data: &[u8], from: usize) -> Option<Vec<(usize, usize)>> {
    let mut spans = Vec::new();
    let mut it = memchr::memchr_iter(b'"', &data[from..]).map(|i| i + from);
    while let Some(open) = it.next() {
        let prev = if open == from { b'\n' } else { data[open - 1] };
        if !matches!(prev, b'\n' | b'\r' | b',' | b'\t') {
            return None;
        }
        // Find the closing quote, skipping doubled quotes.
        let close = loop {
            let q = it.next()?;
            if data.get(q + 1) == Some(&b'"') {
                it.next();
                continue;
            }
            break q;
        };
        if !matches!(
            data.get(close + 1),
            None | Some(b'\n') | Some(b'\r') | Some(b',') | Some(b'\t')
        ) {
            return None;
        }
        spans.push((open, close));
    }
    Some(spans)
}

pub fn chunks(data: &[u8], body_start: usize, target: usize) -> Vec<Chunk> {
    let whole = |first_line| {
        vec![Chunk {
            start: body_start,
            end: data.len(),
            first_line,
        }]
    };
    let first_line = 1 + memchr::memchr_iter(b'\n', &data[..body_start]).count() as u64;
    if data.len() - body_start <= target {
        return whole(first_line);
    }
    let Some(spans) = quoted_spans(data, body_start) else {
        return whole(first_line);
    };
    let mut out = Vec::new();
    let mut start = body_start;
    let mut line = first_line;
    while start < data.len() {
        let mut cut = (start + target).min(data.len());
        // Advance to a newline outside every quoted span.
        let end = loop {
            if cut >= data.len() {
                break data.len();
            }
            let Some(nl) = memchr::memchr(b'\n', &data[cut..]).map(|i| i + cut) else {
                break data.len();
            };
            // The span that opens at or before nl, if it closes after it, contains it.
            let k = spans.partition_point(|&(open, _)| open <= nl);
            if k > 0 && spans[k - 1].1 > nl {
                cut = spans[k - 1].1 + 1;
                continue;
            }
            break nl + 1;
        };
        out.push(Chunk {
            start,
            end,
            first_line: line,
        });
        line += memchr::memchr_iter(b'\n', &data[start..end]).count() as u64;
        start = end;
    }
    out
}

pub(super) fn parse_chunk(
    data: &[u8],
    chunk: &Chunk,
    layout: &Layout,
    format: InputFormat,
    display: &str,
    check_line_breaks: bool,
    mut each: impl FnMut(Record),
) -> u64 {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter(format))
        .has_headers(false)
        .flexible(true)
        .from_reader(&data[chunk.start..chunk.end]);
    let mut record = csv::ByteRecord::new();
    let mut row_no: u64 = 0;
    loop {
        let more = match rdr.read_byte_record(&mut record) {
            Ok(m) => m,
            Err(e) => {
                // Only I/O can fail on an in-memory slice with `flexible`; report, never panic.
                row_no += 1;
                let line = chunk.first_line + e.position().map(|p| p.line()).unwrap_or(1) - 1;
                let row = ShipmentRow::new(row_no, line, [""; 16]);
                let f = Finding::new("IN013", Severity::Error, format!("unreadable record: {e}"))
                    .file(display)
                    .at_row(&row);
                each(Record::Broken(row, vec![f]));
                break;
            }
        };
        if !more {
            break;
        }
        row_no += 1;
        let line = chunk.first_line + record.position().map(|p| p.line()).unwrap_or(1) - 1;
        let (row, mut problems) = lay_out(&record, layout, row_no, line);
        if check_line_breaks {
            problems.extend(line_breaks(&record, layout, line));
        }
        if problems.is_empty() {
            each(Record::Row(row));
        } else {
            let problems = problems
                .into_iter()
                .map(|f| f.file(display).at_row(&row))
                .collect();
            each(Record::Broken(row, problems));
        }
    }
    row_no
}

/// A finding for a record with a line break inside a field of a column where none belongs
/// (see `MULTILINE_COLUMNS`): naming the physical lines the record covers.
fn line_breaks(record: &csv::ByteRecord, layout: &Layout, line: u64) -> Option<Finding> {
    let broken: Vec<&str> = layout
        .known
        .iter()
        .enumerate()
        .filter(|(k, _)| !MULTILINE_COLUMNS.contains(&SHIPMENT_COLUMNS[*k]))
        .filter_map(|(k, idx)| {
            let v = record.get((*idx)?)?;
            memchr::memchr2(b'\n', b'\r', v).map(|_| SHIPMENT_COLUMNS[k])
        })
        .collect();
    let first = *broken.first()?;
    let breaks: usize = record
        .iter()
        .map(|v| memchr::memchr_iter(b'\n', v).count())
        .sum();
    let last = line + breaks as u64;
    let lines = if last > line {
        format!("lines {line}-{last}")
    } else {
        format!("line {line}")
    };
    Some(
        Finding::new(
            "IN019",
            Severity::Error,
            format!(
                "a quoted field holds a line break in column(s) {}: the record covers {lines} \
                 (a quote left open until a later line?); row rejected",
                broken.join(", ")
            ),
        )
        .field(first)
        .expected("a value on one line (only product_description and notes may span lines)")
        .found(&lines),
    )
}

/// One record as a shipment row by the header's layout, with the problems of its layout
/// (oversize fields, wrong field count); the findings get file and row from the caller.
fn lay_out(
    record: &csv::ByteRecord,
    layout: &Layout,
    row_no: u64,
    line: u64,
) -> (ShipmentRow, Vec<Finding>) {
    let mut problems = Vec::new();
    let mut values: [&[u8]; 16] = [b""; 16];
    for (k, idx) in layout.known.iter().enumerate() {
        let Some(i) = *idx else { continue };
        let v = record.get(i).unwrap_or(b"");
        if v.len() > MAX_FIELD_BYTES {
            problems.push(
                Finding::new(
                    "IN014",
                    Severity::Error,
                    format!(
                        "field {} is {} bytes long (limit {MAX_FIELD_BYTES})",
                        SHIPMENT_COLUMNS[k],
                        v.len()
                    ),
                )
                .field(SHIPMENT_COLUMNS[k])
                .expected(format!("at most {MAX_FIELD_BYTES} bytes"))
                .found(&format!("{} bytes", v.len())),
            );
            continue;
        }
        values[k] = v;
    }
    // `data` is the validated (or Latin-1-decoded) body: see `Source::body`.
    let mut row = ShipmentRow::from_valid_utf8_fields(row_no, line, values);
    for (i, name) in &layout.extra {
        let v = record.get(*i).unwrap_or(b"");
        if v.len() > MAX_FIELD_BYTES {
            problems.push(
                Finding::new(
                    "IN014",
                    Severity::Error,
                    format!("extra column {name} is {} bytes long", v.len()),
                )
                .expected(format!("at most {MAX_FIELD_BYTES} bytes"))
                .found(&format!("{} bytes", v.len())),
            );
            continue;
        }
        row.extra
            .push((name.clone(), String::from_utf8_lossy(v).into_owned()));
    }
    if record.len() != layout.ncols {
        problems.push(
            Finding::new(
                "IN013",
                Severity::Error,
                format!(
                    "row has {} fields, the header has {}",
                    record.len(),
                    layout.ncols
                ),
            )
            .expected(format!("{} fields", layout.ncols))
            .found(&format!("{} fields", record.len())),
        );
    }
    (row, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(data: &[u8], target: usize) -> Vec<Vec<String>> {
        let layout_start = memchr::memchr(b'\n', data).unwrap() + 1;
        let mut out = Vec::new();
        for c in chunks(data, layout_start, target) {
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(&data[c.start..c.end]);
            for r in rdr.records() {
                out.push(r.unwrap().iter().map(String::from).collect());
            }
        }
        out
    }

    #[test]
    fn chunks_never_split_a_quoted_newline() {
        let mut data = b"a,b\n".to_vec();
        for i in 0..200 {
            data.extend_from_slice(format!("{i},\"line one\nline \"\"two\"\"\n{i}\"\n").as_bytes());
        }
        let sequential = records(&data, usize::MAX);
        for target in [1, 7, 13, 64, 1000] {
            assert_eq!(records(&data, target), sequential, "target {target}");
        }
        assert_eq!(sequential.len(), 200);
    }

    #[test]
    fn stray_quote_falls_back_to_one_chunk() {
        let mut data = b"a,b\n".to_vec();
        for i in 0..100 {
            data.extend_from_slice(format!("{i},12\" pipe\n").as_bytes());
        }
        assert_eq!(chunks(&data, 4, 10).len(), 1);
    }

    #[test]
    fn unterminated_quote_as_the_reader_reads() {
        assert_eq!(unterminated_quote(b"a,b\n1,\"x\n2,y\n", b','), Some(6));
        assert_eq!(unterminated_quote(b"a,b\n1,\"x\"\"\n2,y\n", b','), Some(6));
        // Closed, escaped, literal inside an unquoted field, closed then more text.
        assert_eq!(unterminated_quote(b"a,b\n1,\"x\ny\"\n", b','), None);
        assert_eq!(unterminated_quote(b"a,b\n1,\"x\"\"y\"\n", b','), None);
        assert_eq!(unterminated_quote(b"a,b\n1,12\" pipe\n", b','), None);
        assert_eq!(unterminated_quote(b"a,b\n1,\"x\"y\" z\n", b','), None);
        // A quote after a comma opens nothing in a TSV file.
        assert_eq!(unterminated_quote(b"a\tb\n1\tx,\"y\n", b'\t'), None);
        assert_eq!(unterminated_quote(b"\"a\tb\n", b'\t'), Some(0));
    }

    #[test]
    fn chunk_lines_are_global() {
        let data = b"h\nr1\nr2\n\"q\nq\"\nr4\n";
        let cs = chunks(data, 2, 1);
        let lines: Vec<u64> = cs.iter().map(|c| c.first_line).collect();
        assert_eq!(lines, vec![2, 3, 4, 6]);
    }
}
