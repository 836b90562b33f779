//! CSV / TSV shipments: header-mapped (any column order, extra columns kept), parsed in
//! independent chunks so a large file uses every core.

use super::{InputFormat, Record};
use crate::error::{Error, Result};
use crate::formats::csvread::{BoundedRecords, Record as CsvRecord};
use crate::formats::{dialect, lines};
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
    /// The field delimiter the file is read with (given, or detected from the header).
    pub delimiter: u8,
    /// The delimiter was detected from the header and is not the one the format implies
    /// (`,` for CSV, tab for TSV): the intake says so in a note (IN020).
    pub detected: bool,
    /// The line of the header.
    pub header_line: u64,
}

/// The delimiter a format implies: tab for TSV, else comma.
pub fn format_delimiter(format: InputFormat) -> u8 {
    match format {
        InputFormat::Tsv => b'\t',
        // Everything else reaches the parser converted to CSV.
        _ => b',',
    }
}

/// How a delimiter splits the first line of a header: how many distinct shipment columns it
/// names, and whether they include every required one.
fn split_score(line: &[u8], delim: u8) -> (usize, bool) {
    let mut rdr = BoundedRecords::new(line, 0, line.len(), delim, MAX_FIELD_BYTES, MAX_COLUMNS + 1);
    let mut header = CsvRecord::default();
    if !rdr.read(&mut header) {
        return (0, false);
    }
    let names: Vec<String> = header
        .iter()
        .map(|h| normalised(&String::from_utf8_lossy(h)))
        .collect();
    let known = SHIPMENT_COLUMNS
        .iter()
        .filter(|c| names.iter().any(|n| n == *c))
        .count();
    let required = REQUIRED_COLUMNS
        .iter()
        .all(|c| names.iter().any(|n| n == c));
    (known, required)
}

/// The delimiter to read a file with: among `, ; tab |`, the one whose split of the header's
/// first line names the most shipment columns, all required ones among them; a tie goes to
/// the format's own delimiter, then to the order above. `None`: no delimiter gives the
/// required columns.
fn detect_delimiter(line: &[u8], default: u8) -> Option<u8> {
    let mut order = vec![default];
    order.extend(dialect::DELIMITERS.iter().filter(|&&d| d != default));
    let mut best: Option<(u8, usize)> = None;
    for d in order {
        let (known, required) = split_score(line, d);
        if required && best.is_none_or(|(_, k)| known > k) {
            best = Some((d, known));
        }
    }
    best.map(|(d, _)| d)
}

/// The first physical line of the header (from `start`): what the delimiters are tried on.
fn first_line(data: &[u8], start: usize) -> &[u8] {
    let end = memchr::memchr2(b'\n', b'\r', &data[start..]).map_or(data.len(), |i| start + i);
    &data[start..end]
}

/// The delimiter to read with: the one given (`--delimiter`), refused when its split of the
/// header lacks a required column (naming the one that would work), or the one detected.
fn choose_delimiter(
    path: &Path,
    data: &[u8],
    format: InputFormat,
    given: Option<u8>,
    header_line: u64,
) -> Result<(u8, bool)> {
    let default = format_delimiter(format);
    let line = first_line(data, lines::skip_blank(data, 0));
    let detected = detect_delimiter(line, default);
    match given {
        Some(d) => {
            if split_score(line, d).1 {
                return Ok((d, false));
            }
            let missing: Vec<&str> = {
                let mut rdr =
                    BoundedRecords::new(line, 0, line.len(), d, MAX_FIELD_BYTES, MAX_COLUMNS + 1);
                let mut header = CsvRecord::default();
                rdr.read(&mut header);
                let names: Vec<String> = header
                    .iter()
                    .map(|h| normalised(&String::from_utf8_lossy(h)))
                    .collect();
                REQUIRED_COLUMNS
                    .iter()
                    .filter(|c| !names.iter().any(|n| n == *c))
                    .copied()
                    .collect()
            };
            Err(Error::WrongDelimiter {
                path: path.to_path_buf(),
                line: header_line,
                given: dialect::delimiter_name(d),
                missing: missing.join(", "),
                works: detected.map(dialect::delimiter_name),
            })
        }
        None => Ok(match detected {
            Some(d) => (d, d != default),
            None => (default, false),
        }),
    }
}

/// At most this many columns in a header (the 16 known ones and extras): a wider header is
/// refused before any record is read (a 200,000-column line is not a shipments export).
pub const MAX_COLUMNS: usize = 256;

/// A header name (or JSON key) longer than this is refused: it is carried into every line
/// of `detailed_goods`.
pub const MAX_NAME_BYTES: usize = 256;

/// A header cell as messages name it: 1-based position, spreadsheet letter, name as written.
pub fn cell_name(i: usize, name: &str) -> String {
    format!(
        "column {} ({}) {name:?}",
        i + 1,
        crate::formats::cells::column_letters(i)
    )
}

/// How a header name is matched: trimmed, ASCII lower case.
pub fn normalised(name: &str) -> String {
    name.trim().to_ascii_lowercase()
}

/// The header of `data` mapped onto the shipment columns. `converted`: the CSV a workbook,
/// dump or JSON file was turned into (its line numbers are not the file's).
/// `given`: the delimiter of `--delimiter` (else detected, see `detect_delimiter`; a
/// converted input is always comma-separated).
pub fn layout(
    path: &Path,
    data: &[u8],
    format: InputFormat,
    converted: bool,
    given: Option<u8>,
) -> Result<Layout> {
    if data.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    }
    // Blank lines before the header are stepped over (and counted).
    let header_line = lines::line_of(data, lines::skip_blank(data, 0));
    let (delim, detected) = if converted {
        (b',', false)
    } else {
        choose_delimiter(path, data, format, given, header_line)?
    };
    if let Some(open) = unterminated_quote(data, delim) {
        return Err(Error::Parse {
            path: path.to_path_buf(),
            line: lines::line_of(data, open),
            message: "a quoted field opens here and is never closed: it would run to the end \
                      of the file and swallow every record after it"
                .into(),
        });
    }
    let mut rdr = BoundedRecords::new(data, 0, data.len(), delim, MAX_FIELD_BYTES, MAX_COLUMNS + 1);
    let mut header = CsvRecord::default();
    if !rdr.read(&mut header) {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    }
    let body_start = header.end;
    let names = header_names(path, &header, header_line)?;
    let line = (!converted).then_some(header_line);
    let columns = map_columns(path, &header, &names, line)?;
    let missing: Vec<&str> = REQUIRED_COLUMNS
        .iter()
        .filter(|c| {
            columns.known[SHIPMENT_COLUMNS.iter().position(|k| k == *c).unwrap_or(0)].is_none()
        })
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(Error::MissingColumns {
            path: path.to_path_buf(),
            line: header_line,
            missing: missing.join(", "),
            found: names.join(", "),
            delimiter: (!converted).then(|| dialect::delimiter_name(delim)),
        });
    }
    Ok(Layout {
        body_start,
        first_data_line: lines::line_of(data, body_start),
        delimiter: delim,
        detected,
        header_line,
        ..columns
    })
}

/// The header's names, normalised (see `normalised`), within the bounds on their number
/// and length.
fn header_names(path: &Path, header: &CsvRecord, line: u64) -> Result<Vec<String>> {
    if header.len() > MAX_COLUMNS {
        return Err(Error::Parse {
            path: path.to_path_buf(),
            line,
            message: format!(
                "the header has {} columns; at most {MAX_COLUMNS} are read (the 16 shipment \
                 columns and extra ones): not a shipments export, or the wrong delimiter",
                header.len()
            ),
        });
    }
    let mut names = Vec::with_capacity(header.len());
    for (i, h) in header.iter().enumerate() {
        let text = String::from_utf8_lossy(h);
        let size = header.oversize(i).map_or(text.trim().len(), |n| n as usize);
        if size > MAX_NAME_BYTES {
            let shown: String = text.trim().chars().take(40).collect();
            return Err(Error::Parse {
                path: path.to_path_buf(),
                line,
                message: format!(
                    "header {}: the name is {} bytes long (limit {MAX_NAME_BYTES})",
                    cell_name(i, &format!("{shown}…")),
                    size
                ),
            });
        }
        names.push(normalised(&text));
    }
    Ok(names)
}

/// Known and extra columns of the header (`names`: normalised), each at most once — two
/// cells naming one column are refused, naming both; where the body starts is the caller's.
fn map_columns(
    path: &Path,
    header: &CsvRecord,
    names: &[String],
    line: Option<u64>,
) -> Result<Layout> {
    let mut known: [Option<usize>; 16] = [None; 16];
    let mut extra: Vec<(usize, Arc<str>)> = Vec::new();
    let mut first: rustc_hash::FxHashMap<&str, usize> = Default::default();
    let written = |i: usize| {
        String::from_utf8_lossy(header.get(i).unwrap_or_default())
            .trim()
            .to_string()
    };
    // A converted header (workbook, dump) is not the file's: its cells are counted, not
    // lettered (a workbook's empty columns are left out of it).
    let named = |i: usize| match line {
        Some(_) => cell_name(i, &written(i)),
        None => format!("header cell {} {:?}", i + 1, written(i)),
    };
    for (i, name) in names.iter().enumerate() {
        if let Some(&j) = first.get(name.as_str()) {
            return Err(Error::DuplicateColumn {
                path: path.to_path_buf(),
                line,
                column: name.clone(),
                cells: format!("{} and {}", named(j), named(i)),
            });
        }
        first.insert(name, i);
        match SHIPMENT_COLUMNS.iter().position(|c| c == name) {
            Some(k) => known[k] = Some(i),
            None => {
                if crate::model::RESERVED_KEYS.contains(&name.as_str()) {
                    return Err(Error::ReservedColumn {
                        path: path.to_path_buf(),
                        column: written(i),
                        reserved: crate::model::RESERVED_KEYS.join(", "),
                    });
                }
                extra.push((i, written(i).into()))
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
fn quoted_spans(data: &[u8], from: usize, delim: u8) -> Option<Vec<(usize, usize)>> {
    let mut spans = Vec::new();
    let mut it = memchr::memchr_iter(b'"', &data[from..]).map(|i| i + from);
    while let Some(open) = it.next() {
        let prev = if open == from { b'\n' } else { data[open - 1] };
        if !matches!(prev, b'\n' | b'\r') && prev != delim {
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
        if !matches!(data.get(close + 1), None | Some(b'\n') | Some(b'\r'))
            && data.get(close + 1) != Some(&delim)
        {
            return None;
        }
        spans.push((open, close));
    }
    Some(spans)
}

pub fn chunks(data: &[u8], body_start: usize, target: usize, delim: u8) -> Vec<Chunk> {
    let whole = |first_line| {
        vec![Chunk {
            start: body_start,
            end: data.len(),
            first_line,
        }]
    };
    let first_line = lines::line_of(data, body_start);
    if data.len() - body_start <= target {
        return whole(first_line);
    }
    let Some(spans) = quoted_spans(data, body_start, delim) else {
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
        line += lines::breaks(data, start, end);
        start = end;
    }
    out
}

/// Physical lines of the records of a chunk, for every line ending and with blank lines
/// counted: a running count from the chunk's start, so the whole chunk is scanned once.
struct LineCounter<'a> {
    data: &'a [u8],
    end: usize,
    at: usize,
    line: u64,
}

impl LineCounter<'_> {
    /// The lines (first, last) of the record read from `start` to `end`: reading starts
    /// before the blank lines it steps over.
    fn span(&mut self, start: usize, end: usize) -> (u64, u64) {
        let from = lines::skip_blank(self.data, start).min(self.end);
        self.line += lines::breaks(self.data, self.at, from);
        self.at = from;
        let to = lines::trim_end(self.data, from, end.min(self.end));
        (self.line, self.line + lines::breaks(self.data, from, to))
    }
}

pub(super) fn parse_chunk(
    data: &[u8],
    chunk: &Chunk,
    layout: &Layout,
    display: &str,
    check_line_breaks: bool,
    mut each: impl FnMut(Record),
) -> u64 {
    let max_fields = layout.ncols.max(1) + 1;
    let mut rdr = BoundedRecords::new(
        data,
        chunk.start,
        chunk.end,
        layout.delimiter,
        MAX_FIELD_BYTES,
        max_fields,
    );
    let mut record = CsvRecord::default();
    let mut row_no: u64 = 0;
    let mut lines = LineCounter {
        data,
        end: chunk.end,
        at: chunk.start,
        line: chunk.first_line,
    };
    while rdr.read(&mut record) {
        row_no += 1;
        let span = lines.span(record.start, record.end);
        let (row, mut problems) = lay_out(&record, layout, row_no, span);
        if check_line_breaks {
            problems.extend(line_breaks(&record, layout, layout.delimiter, span));
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

/// `line 3` or `lines 3-4`.
fn lines_text((first, last): (u64, u64)) -> String {
    if last > first {
        format!("lines {first}-{last}")
    } else {
        format!("line {first}")
    }
}

/// A finding for a record with a line break inside a field of a column where none belongs
/// (see `MULTILINE_COLUMNS`), or a multi-line free-text field holding as many delimiters as
/// a whole record has (a stray quote that closed in the same column of a later record: the
/// field count is right, the records between are inside the field): naming the physical
/// lines the record covers.
fn line_breaks(
    record: &CsvRecord,
    layout: &Layout,
    delim: u8,
    span: (u64, u64),
) -> Option<Finding> {
    let multiline = |v: &[u8]| memchr::memchr2(b'\n', b'\r', v).is_some();
    let mut broken: Vec<&str> = Vec::new();
    let mut swallowed: Vec<&str> = Vec::new();
    for (k, idx) in layout.known.iter().enumerate() {
        let Some(v) = idx.and_then(|i| record.get(i)) else {
            continue;
        };
        if !multiline(v) {
            continue;
        }
        let name = SHIPMENT_COLUMNS[k];
        if !MULTILINE_COLUMNS.contains(&name) {
            broken.push(name);
        } else if memchr::memchr_iter(delim, v).count() + 1 >= layout.ncols {
            swallowed.push(name);
        }
    }
    let lines = lines_text(span);
    let (first, message, expected) = if let Some(&first) = broken.first() {
        (
            first,
            format!(
                "a quoted field holds a line break in column(s) {}: the record covers {lines} \
                 (a quote left open until a later line?); row rejected",
                broken.join(", ")
            ),
            "a value on one line (only product_description and notes may span lines)",
        )
    } else {
        let &first = swallowed.first()?;
        (
            first,
            format!(
                "the quoted field {first} spans line breaks and holds as many delimiters as a \
                 whole record: the record covers {lines}, and the record(s) on those lines look \
                 swallowed into it by a stray quote; row rejected"
            ),
            "free text, not whole records",
        )
    };
    Some(
        Finding::new("IN019", Severity::Error, message)
            .field(first)
            .expected(expected)
            .found(&lines),
    )
}

/// IN013: a record with the wrong number of fields. One that runs over several lines holds a
/// quoted field with line breaks: most likely a stray quote that ran to a quote lines later,
/// taking the records between into one field — those lines are named, as records it may
/// have swallowed.
fn field_count(found: usize, expected: usize, span: (u64, u64)) -> Finding {
    let mut message = format!("row has {found} fields, the header has {expected}");
    let mut found = format!("{found} fields");
    if span.1 > span.0 {
        found.push_str(&format!(" over {}", lines_text(span)));
        message.push_str(&format!(
            "; the record runs over {}: a quoted field spans line breaks (a stray quote \
             closed lines later?), so the record(s) on {} may have been swallowed into it; \
             row rejected",
            lines_text(span),
            lines_text((span.0 + 1, span.1))
        ));
    }
    Finding::new("IN013", Severity::Error, message)
        .expected(format!("{expected} fields"))
        .found(&found)
}

/// One record as a shipment row by the header's layout, with the problems of its layout
/// (oversize fields, wrong field count); the findings get file and row from the caller.
fn lay_out(
    record: &CsvRecord,
    layout: &Layout,
    row_no: u64,
    span: (u64, u64),
) -> (ShipmentRow, Vec<Finding>) {
    let line = span.0;
    let mut problems = Vec::new();
    let mut values: [&[u8]; 16] = [b""; 16];
    for (k, idx) in layout.known.iter().enumerate() {
        let Some(i) = *idx else { continue };
        let v = record.get(i).unwrap_or(b"");
        if let Some(n) = record.oversize(i) {
            problems.push(
                Finding::new(
                    "IN014",
                    Severity::Error,
                    format!(
                        "field {} is {n} bytes long (limit {MAX_FIELD_BYTES})",
                        SHIPMENT_COLUMNS[k],
                    ),
                )
                .field(SHIPMENT_COLUMNS[k])
                .expected(format!("at most {MAX_FIELD_BYTES} bytes"))
                .found(&format!("{n} bytes")),
            );
            continue;
        }
        values[k] = v;
    }
    // `data` is the validated (or Latin-1-decoded) body: see `Source::body`.
    let mut row = ShipmentRow::from_valid_utf8_fields(row_no, line, values);
    for (i, name) in &layout.extra {
        let v = record.get(*i).unwrap_or(b"");
        if let Some(n) = record.oversize(*i) {
            problems.push(
                Finding::new(
                    "IN014",
                    Severity::Error,
                    format!("extra column {name} is {n} bytes long (limit {MAX_FIELD_BYTES})"),
                )
                .expected(format!("at most {MAX_FIELD_BYTES} bytes"))
                .found(&format!("{n} bytes")),
            );
            continue;
        }
        // An empty value is left out: it carries nothing, and kept it cost every row of a
        // wide, sparse file (JSON objects with many distinct keys) a slot per column.
        if !v.is_empty() {
            row.extra
                .push((name.clone(), String::from_utf8_lossy(v).into_owned()));
        }
    }
    if record.len() != layout.ncols {
        problems.push(field_count(record.len(), layout.ncols, span));
    }
    (row, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(data: &[u8], target: usize) -> Vec<Vec<String>> {
        let layout_start = memchr::memchr(b'\n', data).unwrap() + 1;
        let mut out = Vec::new();
        for c in chunks(data, layout_start, target, b',') {
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
    fn semicolon_files_are_detected_and_chunked_outside_quotes() {
        let header = SHIPMENT_COLUMNS.join(";");
        let mut data = format!("{header}\n").into_bytes();
        for i in 0..50 {
            let row = format!("S{i};;;;;\"a;b\nc\";;;;;;;;;;\"x, y\"\n");
            data.extend_from_slice(row.as_bytes());
        }
        let l = layout(Path::new("t.csv"), &data, InputFormat::Csv, false, None).unwrap();
        assert_eq!((l.delimiter, l.detected), (b';', true));
        let one = chunks(&data, l.body_start, usize::MAX, b';');
        let many = chunks(&data, l.body_start, 64, b';');
        assert!(many.len() > 1, "{many:?}");
        let rows = |cs: &[Chunk]| {
            let mut ids = Vec::new();
            for c in cs {
                parse_chunk(&data, c, &l, "t.csv", true, |r| {
                    let Record::Row(row) = r else {
                        panic!("broken row")
                    };
                    ids.push((row.get(crate::model::Col::ShipmentId).to_string(), row.line));
                });
            }
            ids
        };
        assert_eq!(rows(&one), rows(&many));
        assert_eq!(rows(&one).len(), 50);
        // Given: a delimiter that does not split the header is refused, naming the one that does.
        let e = layout(
            Path::new("t.csv"),
            &data,
            InputFormat::Csv,
            false,
            Some(b'|'),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("--delimiter '|'") && e.contains("split by ';'"),
            "{e}"
        );
    }

    #[test]
    fn stray_quote_falls_back_to_one_chunk() {
        let mut data = b"a,b\n".to_vec();
        for i in 0..100 {
            data.extend_from_slice(format!("{i},12\" pipe\n").as_bytes());
        }
        assert_eq!(chunks(&data, 4, 10, b',').len(), 1);
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
        let cs = chunks(data, 2, 1, b',');
        let lines: Vec<u64> = cs.iter().map(|c| c.first_line).collect();
        assert_eq!(lines, vec![2, 3, 4, 6]);
    }

    /// Row lines from every chunking of `data`, each list the same as the one-chunk parse.
    fn row_lines(data: &[u8]) -> Vec<u64> {
        let l = layout(Path::new("t.csv"), data, InputFormat::Csv, false, None).unwrap();
        let mut per_target = Vec::new();
        for target in [usize::MAX, 1, 5, 17, 40] {
            let mut lines = Vec::new();
            for c in chunks(data, l.body_start, target, l.delimiter) {
                parse_chunk(data, &c, &l, "t.csv", true, |r| {
                    let (Record::Row(row) | Record::Broken(row, _)) = r;
                    lines.push(row.line);
                });
            }
            per_target.push(lines);
        }
        assert!(
            per_target.windows(2).all(|w| w[0] == w[1]),
            "{per_target:?}"
        );
        per_target.swap_remove(0)
    }

    #[test]
    fn row_lines_are_physical_in_every_chunking() {
        let header = SHIPMENT_COLUMNS.join(",");
        let rows = [
            "a,,,,,,,,,,,,,,,",
            "b,,,,,\"x\ny\",,,,,,,,,,",
            "c,,,,,,,,,,,,,,,",
        ];
        for eol in ["\n", "\r\n", "\r"] {
            let text = [header.as_str(), "", rows[0], rows[1], "", "", rows[2], ""].join(eol);
            assert_eq!(row_lines(text.as_bytes()), vec![3, 4, 8], "{eol:?}");
            let text = ["", header.as_str(), rows[2]].join(eol);
            assert_eq!(row_lines(text.as_bytes()), vec![3], "{eol:?}");
        }
    }

    #[test]
    fn header_names_keep_any_bytes_as_data() {
        let header = format!(
            "{},\"x\"\":\"\"injected\"\",\"\"y\",\"a\nb\",\"c\u{1}d\"\n",
            SHIPMENT_COLUMNS.join(",")
        );
        let l = layout(
            Path::new("t.csv"),
            header.as_bytes(),
            InputFormat::Csv,
            false,
            None,
        )
        .unwrap();
        let names: Vec<&str> = l.extra.iter().map(|(_, n)| &**n).collect();
        assert_eq!(names, vec!["x\":\"injected\",\"y", "a\nb", "c\u{1}d"]);
    }
}
