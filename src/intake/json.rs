//! JSON shipments: an array of objects, or an object whose `shipments` member is one. Each
//! object is one row; keys are columns (matched by name like a CSV header), values are
//! strings, numbers (kept as written: no float on the way), booleans or null. Elements are
//! read one at a time from the memory-mapped file, so only one object is in memory.

use crate::error::{Error, Result};
use crate::formats::pgcsv::CsvSink;
use serde_json::{Map, Value};
use std::io::Write;
use std::path::Path;

/// A nested value or an unknown shape gets this many bytes of context in the message.
const SHOWN: usize = 60;

/// Converts `bytes` (the file) to CSV; returns the line each row's object starts on.
pub fn to_csv(path: &Path, bytes: &[u8], out: &mut dyn Write) -> Result<Vec<u64>> {
    // Pass 1: the columns, in order of first appearance. Pass 2: the rows.
    let mut columns: Vec<String> = Vec::new();
    let mut seen = rustc_hash::FxHashSet::default();
    let mut n = 0u64;
    for_each_object(path, bytes, |_, obj| {
        n += 1;
        for k in obj.keys() {
            if seen.insert(k.clone()) {
                columns.push(k.clone());
            }
        }
        Ok(())
    })?;
    if n == 0 {
        return Err(Error::Data {
            path: path.to_path_buf(),
            message: "the shipments array is empty: no shipment to report".into(),
        });
    }
    let missing: Vec<&str> = crate::model::REQUIRED_COLUMNS
        .iter()
        .filter(|r| !columns.iter().any(|c| c.eq_ignore_ascii_case(r)))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(Error::Data {
            path: path.to_path_buf(),
            message: format!(
                "no shipment object has the required key(s) {}; keys found: {}",
                missing.join(", "),
                columns.join(", ")
            ),
        });
    }
    let werr = |source| Error::Write {
        path: "(converted input)".into(),
        source,
    };
    let mut sink = CsvSink::new(out, true);
    sink.header(columns.iter().map(String::as_str))
        .map_err(werr)?;
    let mut cells: Vec<Option<String>> = Vec::with_capacity(columns.len());
    for_each_object(path, bytes, |line, obj| {
        cells.clear();
        for c in &columns {
            cells.push(cell(path, line, c, obj.get(c))?);
        }
        sink.row(cells.iter().map(|c| c.as_deref()), line)
            .map_err(werr)
    })?;
    Ok(sink.origins.take().unwrap_or_default())
}

/// One object member as CSV text: `None` for a missing member or null; a nested value is
/// refused.
fn cell(path: &Path, line: u64, c: &str, value: Option<&Value>) -> Result<Option<String>> {
    Ok(match value {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(x)) => Some(x.to_string()),
        Some(Value::Bool(b)) => Some(super::text::bool_text(c, *b).to_string()),
        Some(v @ (Value::Array(_) | Value::Object(_))) => {
            let mut shown = v.to_string();
            if shown.len() > SHOWN {
                let mut cut = SHOWN;
                while !shown.is_char_boundary(cut) {
                    cut -= 1;
                }
                shown.truncate(cut);
                shown.push('…');
            }
            return Err(Error::Parse {
                path: path.to_path_buf(),
                line,
                message: format!(
                    "field {c:?}: expected a string, number, boolean or null, found {shown}"
                ),
            });
        }
    })
}

fn parse_err(path: &Path, bytes: &[u8], at: usize, message: String) -> Error {
    Error::Parse {
        path: path.to_path_buf(),
        line: 1 + memchr::memchr_iter(b'\n', &bytes[..at.min(bytes.len())]).count() as u64,
        message,
    }
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// One JSON value starting at `at`: the value and the offset just after it.
fn value_at<T: serde::de::DeserializeOwned>(
    path: &Path,
    bytes: &[u8],
    at: usize,
) -> Result<(T, usize)> {
    let mut stream = serde_json::Deserializer::from_slice(&bytes[at..]).into_iter::<T>();
    match stream.next() {
        Some(Ok(v)) => Ok((v, at + stream.byte_offset())),
        Some(Err(e)) => Err(Error::Parse {
            path: path.to_path_buf(),
            line: 1 + memchr::memchr_iter(b'\n', &bytes[..at]).count() as u64 + e.line() as u64 - 1,
            message: format!("invalid JSON: {e}"),
        }),
        None => Err(parse_err(
            path,
            bytes,
            at,
            "unexpected end of the JSON file".into(),
        )),
    }
}

/// At the `{` of a top-level object: the offset of its `shipments` array's `[`; other
/// members are skipped unread.
fn shipments_member(path: &Path, bytes: &[u8], mut i: usize) -> Result<usize> {
    i = skip_ws(bytes, i + 1);
    loop {
        if bytes.get(i) == Some(&b'}') || i >= bytes.len() {
            return Err(parse_err(
                path,
                bytes,
                i,
                "expected an array of shipment objects, or an object with a \"shipments\" array; found an object without \"shipments\"".into(),
            ));
        }
        let (key, next): (String, usize) = value_at(path, bytes, i)?;
        i = skip_ws(bytes, next);
        if bytes.get(i) != Some(&b':') {
            return Err(parse_err(path, bytes, i, "expected ':' after a key".into()));
        }
        i = skip_ws(bytes, i + 1);
        if key == "shipments" {
            if bytes.get(i) != Some(&b'[') {
                return Err(parse_err(
                    path,
                    bytes,
                    i,
                    "\"shipments\" must be an array of objects".into(),
                ));
            }
            return Ok(i);
        }
        let (_, next): (serde::de::IgnoredAny, usize) = value_at(path, bytes, i)?;
        i = skip_ws(bytes, next);
        if bytes.get(i) == Some(&b',') {
            i = skip_ws(bytes, i + 1);
        }
    }
}

/// Calls `each(line, object)` for every element of the shipments array.
fn for_each_object(
    path: &Path,
    bytes: &[u8],
    mut each: impl FnMut(u64, &Map<String, Value>) -> Result<()>,
) -> Result<()> {
    let start = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut i = skip_ws(bytes, start);
    match bytes.get(i) {
        Some(b'[') => {}
        Some(b'{') => i = shipments_member(path, bytes, i)?,
        _ => {
            return Err(parse_err(
                path,
                bytes,
                i,
                "expected a JSON array of shipment objects, or {\"shipments\": [...]}".into(),
            ))
        }
    }
    // At '[': elements separated by commas.
    let mut line = 1 + memchr::memchr_iter(b'\n', &bytes[..i]).count() as u64;
    let mut counted = i;
    i = skip_ws(bytes, i + 1);
    if bytes.get(i) == Some(&b']') {
        return Ok(());
    }
    let mut index = 0u64;
    loop {
        line += memchr::memchr_iter(b'\n', &bytes[counted..i]).count() as u64;
        counted = i;
        if bytes.get(i) != Some(&b'{') {
            return Err(parse_err(
                path,
                bytes,
                i,
                format!("element {index} of the shipments array is not an object"),
            ));
        }
        let (obj, next): (Map<String, Value>, usize) = value_at(path, bytes, i)?;
        each(line, &obj)?;
        index += 1;
        i = skip_ws(bytes, next);
        match bytes.get(i) {
            Some(b',') => i = skip_ws(bytes, i + 1),
            Some(b']') => return Ok(()),
            _ => {
                return Err(parse_err(
                    path,
                    bytes,
                    i,
                    format!("expected ',' or ']' after element {index} of the shipments array"),
                ))
            }
        }
    }
}
