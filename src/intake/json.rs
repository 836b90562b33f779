//! JSON shipments: an array of objects, or an object whose `shipments` member is one. Each
//! object is one row; keys are columns (matched by name like a CSV header), values are
//! strings, numbers (kept as written: no float on the way), booleans or null. Elements are
//! read one at a time from the memory-mapped file, so only one object is in memory.

use super::delimited::{normalised, MAX_COLUMNS, MAX_FIELD_BYTES, MAX_NAME_BYTES};
use crate::error::{Error, Result};
use crate::formats::lines;
use crate::formats::pgcsv::CsvSink;
use serde_json::value::RawValue;
use std::io::Write;
use std::path::Path;

/// A nested value or an unknown shape gets this many bytes of context in the message.
const SHOWN: usize = 60;

/// Converts `bytes` (the file) to CSV; returns the line each row's object starts on.
///
/// Pass 1 collects the columns (keys in order of first appearance, at most `MAX_COLUMNS`,
/// two spellings of one column refused); pass 2 writes each object as one row. A row holds
/// every column, so the CSV is objects × columns: bounding the columns keeps that linear in
/// the file (unbounded, one new key per object made it grow with the square of the keys).
/// Values are taken from the file as written (`RawValue`, borrowed), so nothing is
/// allocated for a value before its length is checked.
pub fn to_csv(path: &Path, bytes: &[u8], out: &mut dyn Write) -> Result<Vec<u64>> {
    let mut columns = Columns::default();
    let mut n = 0u64;
    for_each_object(path, bytes, |line, obj| {
        n += 1;
        obj.0
            .iter()
            .try_for_each(|(k, _)| columns.add(path, line, k))
    })?;
    if n == 0 {
        return Err(Error::Data {
            path: path.to_path_buf(),
            message: "the shipments array is empty: no shipment to report".into(),
        });
    }
    let missing: Vec<&str> = crate::model::REQUIRED_COLUMNS
        .iter()
        .filter(|r| !columns.by_name.contains_key(**r))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(Error::Data {
            path: path.to_path_buf(),
            message: format!(
                "no shipment object has the required key(s) {}; keys found: {}",
                missing.join(", "),
                columns.names.join(", ")
            ),
        });
    }
    let werr = |source| Error::Write {
        path: "(converted input)".into(),
        source,
    };
    let mut sink = CsvSink::new(out, true);
    sink.header(columns.names.iter().map(String::as_str))
        .map_err(werr)?;
    let mut cells: Vec<Option<String>> = vec![None; columns.names.len()];
    for_each_object(path, bytes, |line, obj| {
        cells.iter_mut().for_each(|c| *c = None);
        for (k, v) in &obj.0 {
            let i = columns.index(k);
            cells[i] = cell(path, bytes, &columns.names[i], v)?;
        }
        sink.row(cells.iter().map(|c| c.as_deref()), line)
            .map_err(werr)
    })?;
    Ok(sink.origins.take().unwrap_or_default())
}

/// The columns of the JSON file: keys as first written, and by normalised name (trimmed,
/// lower case, as a CSV header is matched) their index and the line that brought them.
#[derive(Default)]
struct Columns {
    names: Vec<String>,
    by_name: rustc_hash::FxHashMap<String, (usize, u64)>,
}

impl Columns {
    /// Key `k` of the object on `line`: a new column, or the one it already is when spelt
    /// alike; another spelling of a column (`Net_Mass_Kg`, `net_mass_kg `) is refused, like
    /// two header cells naming one column; past `MAX_COLUMNS` the file is refused.
    fn add(&mut self, path: &Path, line: u64, k: &str) -> Result<()> {
        let norm = normalised(k);
        if let Some(&(i, first)) = self.by_name.get(&norm) {
            if self.names[i] == k {
                return Ok(());
            }
            return Err(Error::Parse {
                path: path.to_path_buf(),
                line,
                message: format!(
                    "key {k:?} and key {:?} (line {first}) name one column {norm:?} (keys are \
                     matched ignoring case and surrounding spaces; only one can be the row's \
                     value)",
                    self.names[i]
                ),
            });
        }
        if self.names.len() >= MAX_COLUMNS {
            return Err(Error::Parse {
                path: path.to_path_buf(),
                line,
                message: format!(
                    "key {k:?} is distinct key number {}: at most {MAX_COLUMNS} distinct keys \
                     (columns) are read across the shipment objects",
                    self.names.len() + 1
                ),
            });
        }
        self.by_name.insert(norm, (self.names.len(), line));
        self.names.push(k.to_string());
        Ok(())
    }

    /// The column of a key pass 1 has seen.
    fn index(&self, k: &str) -> usize {
        self.by_name.get(&normalised(k)).map_or(0, |&(i, _)| i)
    }
}

/// One object member as CSV text: `None` for null; a nested value is refused, and so is a
/// string longer than `MAX_FIELD_BYTES` (checked on the text as written before it is
/// decoded: decoding never makes a string longer).
fn cell(path: &Path, bytes: &[u8], c: &str, raw: &RawValue) -> Result<Option<String>> {
    let text = raw.get();
    let refuse = |message: String| {
        let at = (text.as_ptr() as usize).saturating_sub(bytes.as_ptr() as usize);
        Err(parse_err(
            path,
            bytes,
            at,
            format!("field {c:?}: {message}"),
        ))
    };
    match text.as_bytes().first() {
        Some(b'"') => {
            // Escapes take at most 6 bytes per character: longer as written is too long.
            if text.len() > 6 * MAX_FIELD_BYTES + 2 {
                return refuse(too_long(text.len(), "as written"));
            }
            let s: String = match serde_json::from_str(text) {
                Ok(s) => s,
                Err(e) => return refuse(format!("invalid string: {e}")),
            };
            if s.len() > MAX_FIELD_BYTES {
                return refuse(too_long(s.len(), "decoded"));
            }
            Ok(Some(s))
        }
        Some(b'n') => Ok(None),
        Some(b't') => Ok(Some(super::text::bool_text(c, true).to_string())),
        Some(b'f') => Ok(Some(super::text::bool_text(c, false).to_string())),
        Some(b'[' | b'{') | None => {
            let mut shown: String = text.chars().take(SHOWN).collect();
            if shown.len() < text.len() {
                shown.push('…');
            }
            refuse(format!(
                "expected a string, number, boolean or null, found {shown}"
            ))
        }
        // A number, digit for digit as written.
        Some(_) if text.len() > MAX_FIELD_BYTES => refuse(too_long(text.len(), "as written")),
        Some(_) => Ok(Some(text.to_string())),
    }
}

fn too_long(n: usize, how: &str) -> String {
    format!("the value is {n} bytes long {how} (limit {MAX_FIELD_BYTES} bytes)")
}

/// A key as read: at most `MAX_NAME_BYTES` long (refused while read, before it is kept).
struct Key(String);

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Key, E> {
                if v.len() > MAX_NAME_BYTES {
                    let shown: String = v.chars().take(40).collect();
                    return Err(E::custom(format_args!(
                        "key {shown:?}… is {} bytes long (limit {MAX_NAME_BYTES})",
                        v.len()
                    )));
                }
                Ok(Key(v.to_string()))
            }
        }
        d.deserialize_str(V)
    }
}

/// A JSON object's members, values as written, refusing a key that appears twice
/// (serde_json would keep the last silently) and more than `MAX_COLUMNS` members: the
/// error names the key, and serde_json adds its line and column.
struct Object<'a>(Vec<(String, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for Object<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Object<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut access: A,
            ) -> std::result::Result<Object<'de>, A::Error> {
                let mut members: Vec<(String, &'de RawValue)> = Vec::new();
                while let Some(Key(key)) = access.next_key::<Key>()? {
                    // At most MAX_COLUMNS members, so this search stays short.
                    if members.iter().any(|(k, _)| *k == key) {
                        return Err(serde::de::Error::custom(format_args!(
                            "duplicate key {key:?} in one object (refused: only one value can be the row's)"
                        )));
                    }
                    if members.len() >= MAX_COLUMNS {
                        return Err(serde::de::Error::custom(format_args!(
                            "an object with more than {MAX_COLUMNS} keys (at most {MAX_COLUMNS} columns are read)"
                        )));
                    }
                    let value: &'de RawValue = access.next_value()?;
                    members.push((key, value));
                }
                Ok(Object(members))
            }
        }
        d.deserialize_map(V)
    }
}

fn parse_err(path: &Path, bytes: &[u8], at: usize, message: String) -> Error {
    Error::Parse {
        path: path.to_path_buf(),
        line: lines::line_of(bytes, at),
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
fn value_at<'a, T: serde::Deserialize<'a>>(
    path: &Path,
    bytes: &'a [u8],
    at: usize,
) -> Result<(T, usize)> {
    let mut stream = serde_json::Deserializer::from_slice(&bytes[at..]).into_iter::<T>();
    match stream.next() {
        Some(Ok(v)) => Ok((v, at + stream.byte_offset())),
        Some(Err(e)) => {
            // serde_json counts `\n` lines from `at`: back to an offset, then the file's
            // physical line and column (a CR-only file is one line to serde_json).
            let rest = &bytes[at..];
            let line_start = match e.line() {
                0 | 1 => 0,
                n => memchr::memchr_iter(b'\n', rest)
                    .nth(n - 2)
                    .map_or(rest.len(), |i| i + 1),
            };
            let offset = at + (line_start + e.column().saturating_sub(1)).min(rest.len());
            let (line, column) = lines::line_column(bytes, offset);
            let text = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let text = text.strip_suffix(&suffix).unwrap_or(&text);
            Err(Error::Parse {
                path: path.to_path_buf(),
                line,
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

type Seen = rustc_hash::FxHashSet<String>;

/// A key of the top-level object, read at `i`; a key seen before in it is refused.
fn member_key(path: &Path, bytes: &[u8], i: usize, seen: &mut Seen) -> Result<(String, usize)> {
    let (Key(key), next): (Key, usize) = value_at(path, bytes, i)?;
    if seen.contains(&key) {
        let (_, column) = lines::line_column(bytes, i);
        return Err(parse_err(
            path,
            bytes,
            i,
            format!(
                "column {column}: duplicate key {key:?} in one object (refused: only one value can be read)"
            ),
        ));
    }
    seen.insert(key.clone());
    Ok((key, next))
}

/// At the `{` of a top-level object: the offset of its `shipments` array's `[`; other
/// members are skipped unread. `seen` gets the keys read so far.
fn shipments_member(path: &Path, bytes: &[u8], mut i: usize, seen: &mut Seen) -> Result<usize> {
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
fn rest_of_object(path: &Path, bytes: &[u8], mut i: usize, seen: &mut Seen) -> Result<usize> {
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
    let (_, column) = lines::line_column(bytes, i);
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
    each: impl FnMut(u64, &Object<'_>) -> Result<()>,
) -> Result<()> {
    let start = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut i = skip_ws(bytes, start);
    let mut keys: Option<Seen> = None;
    match bytes.get(i) {
        Some(b'[') => {}
        Some(b'{') => {
            let mut seen = Seen::default();
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
    mut each: impl FnMut(u64, &Object<'_>) -> Result<()>,
) -> Result<usize> {
    // At '[': elements separated by commas.
    let mut line = lines::line_of(bytes, i);
    let mut counted = i;
    i = skip_ws(bytes, i + 1);
    if bytes.get(i) == Some(&b']') {
        return Ok(i + 1);
    }
    let mut index = 0u64;
    loop {
        line += lines::breaks(bytes, counted, i);
        counted = i;
        if bytes.get(i) != Some(&b'{') {
            return Err(parse_err(
                path,
                bytes,
                i,
                format!("element {index} of the shipments array is not an object"),
            ));
        }
        let (obj, next): (Object, usize) = value_at(path, bytes, i)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_with_any_bytes_stay_data_through_the_intake_csv() {
        let json = br#"[{"shipment_id":"A","import_date":"2025-10-01","quarter":"2025Q4","cn_code":"25231000","origin_iso":"TR","net_mass_kg":"1","x\":\"injected\",\"y":"v1","a\nb\r":"v2","c\u0001d,":"v3"}]"#;
        let mut csv = Vec::new();
        let p = Path::new("t.json");
        to_csv(p, json, &mut csv).unwrap();
        let l =
            super::super::delimited::layout(p, &csv, super::super::InputFormat::Csv, true, None)
                .unwrap();
        let names: Vec<&str> = l.extra.iter().map(|(_, n)| &**n).collect();
        // Surrounding spaces and line ends are trimmed, as for a CSV header; the rest is kept.
        assert_eq!(names, vec!["x\":\"injected\",\"y", "a\nb", "c\u{1}d,"]);
    }

    #[test]
    fn numbers_stay_as_written_and_nesting_is_refused_on_its_line() {
        let p = Path::new("t.json");
        let mut csv = Vec::new();
        let json = b"[{\"shipment_id\":\"A\",\"import_date\":\"2025-10-01\",\"quarter\":\"2025Q4\",\"cn_code\":\"25231000\",\"origin_iso\":\"TR\",\"net_mass_kg\":1.50e0}]";
        to_csv(p, json, &mut csv).unwrap();
        assert!(String::from_utf8(csv).unwrap().ends_with(",1.50e0\n"));
        let json = b"[{\"shipment_id\":\"A\",\"import_date\":\"2025-10-01\",\"quarter\":\"2025Q4\",\"cn_code\":\"25231000\",\"origin_iso\":\"TR\",\r\"net_mass_kg\":[1]}]";
        let e = to_csv(p, json, &mut Vec::new()).unwrap_err().to_string();
        assert!(
            e.contains("line 2: field \"net_mass_kg\": expected a string"),
            "{e}"
        );
    }
}
