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

/// A JSON object as a map, refusing a key that appears twice (serde_json would keep the last
/// silently): the error names the key, and serde_json adds its line and column.
struct Object(Map<String, Value>);

impl<'de> serde::Deserialize<'de> for Object {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Object;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut access: A,
            ) -> std::result::Result<Object, A::Error> {
                let mut map = Map::new();
                while let Some(key) = access.next_key::<String>()? {
                    if map.contains_key(&key) {
                        return Err(serde::de::Error::custom(format_args!(
                            "duplicate key {key:?} in one object (refused: only one value can be the row's)"
                        )));
                    }
                    let value: Value = access.next_value()?;
                    map.insert(key, value);
                }
                Ok(Object(map))
            }
        }
        d.deserialize_map(V)
    }
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
        Some(Err(e)) => {
            // serde_json counts from `at`: the line and column in the file instead.
            let (line, column) = line_column(bytes, at);
            let column = if e.line() <= 1 {
                column + e.column().saturating_sub(1)
            } else {
                e.column()
            };
            let text = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let text = text.strip_suffix(&suffix).unwrap_or(&text);
            Err(Error::Parse {
                path: path.to_path_buf(),
                line: line + (e.line() as u64).max(1) - 1,
                message: format!("invalid JSON: {text} (column {column})"),
            })
        }
        None => Err(parse_err(
            path,
            bytes,
            at,
            "unexpected end of the JSON file".into(),
        )),
    }
}

/// `at`'s line and column (1-based, counted in characters) in `bytes`.
fn line_column(bytes: &[u8], at: usize) -> (u64, usize) {
    let before = &bytes[..at.min(bytes.len())];
    let line = 1 + memchr::memchr_iter(b'\n', before).count() as u64;
    let start = memchr::memrchr(b'\n', before).map_or(0, |n| n + 1);
    let column = 1 + before[start..]
        .iter()
        .filter(|&&b| b & 0xC0 != 0x80)
        .count();
    (line, column)
}

/// A key of the top-level object, read at `i`; a key seen before in it is refused.
fn member_key(
    path: &Path,
    bytes: &[u8],
    i: usize,
    seen: &mut Vec<String>,
) -> Result<(String, usize)> {
    let (key, next): (String, usize) = value_at(path, bytes, i)?;
    if seen.contains(&key) {
        let (_, column) = line_column(bytes, i);
        return Err(parse_err(
            path,
            bytes,
            i,
            format!(
                "column {column}: duplicate key {key:?} in one object (refused: only one value can be read)"
            ),
        ));
    }
    seen.push(key.clone());
    Ok((key, next))
}

/// At the `{` of a top-level object: the offset of its `shipments` array's `[`; other
/// members are skipped unread. `seen` gets the keys read so far.
fn shipments_member(
    path: &Path,
    bytes: &[u8],
    mut i: usize,
    seen: &mut Vec<String>,
) -> Result<usize> {
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
        let (key, next) = member_key(path, bytes, i, seen)?;
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
        match bytes.get(i) {
            Some(b',') => i = skip_ws(bytes, i + 1),
            Some(b'}') => {}
            _ => {
                return Err(parse_err(
                    path,
                    bytes,
                    i,
                    "expected ',' or '}' after a member of the object".into(),
                ))
            }
        }
    }
}

/// After the shipments array of a top-level object (at `i`): its other members, skipped
/// unread but each key once; the offset just after the closing `}`.
fn rest_of_object(
    path: &Path,
    bytes: &[u8],
    mut i: usize,
    seen: &mut Vec<String>,
) -> Result<usize> {
    loop {
        i = skip_ws(bytes, i);
        match bytes.get(i) {
            Some(b'}') => return Ok(i + 1),
            Some(b',') => i = skip_ws(bytes, i + 1),
            _ => {
                return Err(parse_err(
                    path,
                    bytes,
                    i,
                    "expected ',' or '}' after the \"shipments\" array".into(),
                ))
            }
        }
        let (_, next) = member_key(path, bytes, i, seen)?;
        i = skip_ws(bytes, next);
        if bytes.get(i) != Some(&b':') {
            return Err(parse_err(path, bytes, i, "expected ':' after a key".into()));
        }
        let (_, next): (serde::de::IgnoredAny, usize) = value_at(path, bytes, i + 1)?;
        i = next;
    }
}

/// The file is one JSON value ending at `end`: anything but whitespace after it is refused,
/// not ignored (a second array, `,{…}]` after the first `]`, trailing garbage).
fn nothing_after(path: &Path, bytes: &[u8], end: usize) -> Result<()> {
    let i = skip_ws(bytes, end);
    if i >= bytes.len() {
        return Ok(());
    }
    let (_, column) = line_column(bytes, i);
    let shown: String = String::from_utf8_lossy(&bytes[i..(i + 20).min(bytes.len())])
        .chars()
        .take(10)
        .collect();
    Err(parse_err(
        path,
        bytes,
        i,
        format!(
            "column {column}: unexpected {shown:?} after the end of the JSON value: the file must \
             hold one JSON value (an array of shipment objects, or {{\"shipments\": [...]}}), \
             nothing but whitespace after it"
        ),
    ))
}

/// Calls `each(line, object)` for every element of the shipments array.
fn for_each_object(
    path: &Path,
    bytes: &[u8],
    each: impl FnMut(u64, &Map<String, Value>) -> Result<()>,
) -> Result<()> {
    let start = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut i = skip_ws(bytes, start);
    let mut keys: Option<Vec<String>> = None;
    match bytes.get(i) {
        Some(b'[') => {}
        Some(b'{') => {
            let mut seen = Vec::new();
            i = shipments_member(path, bytes, i, &mut seen)?;
            keys = Some(seen);
        }
        _ => {
            return Err(parse_err(
                path,
                bytes,
                i,
                "expected a JSON array of shipment objects, or {\"shipments\": [...]}".into(),
            ))
        }
    }
    let end = shipments_array(path, bytes, i, each)?;
    let end = match keys.as_mut() {
        Some(seen) => rest_of_object(path, bytes, end, seen)?,
        None => end,
    };
    nothing_after(path, bytes, end)
}

/// At the `[` of the shipments array: calls `each(line, object)` per element; the offset
/// just after the closing `]`.
fn shipments_array(
    path: &Path,
    bytes: &[u8],
    mut i: usize,
    mut each: impl FnMut(u64, &Map<String, Value>) -> Result<()>,
) -> Result<usize> {
    // At '[': elements separated by commas.
    let mut line = 1 + memchr::memchr_iter(b'\n', &bytes[..i]).count() as u64;
    let mut counted = i;
    i = skip_ws(bytes, i + 1);
    if bytes.get(i) == Some(&b']') {
        return Ok(i + 1);
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
        let (Object(obj), next): (Object, usize) = value_at(path, bytes, i)?;
        each(line, &obj)?;
        index += 1;
        i = skip_ws(bytes, next);
        match bytes.get(i) {
            Some(b',') => i = skip_ws(bytes, i + 1),
            Some(b']') => return Ok(i + 1),
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
