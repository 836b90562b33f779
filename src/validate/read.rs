//! Reading a report file as JSON: whole (`read_report`), or in two passes over its bytes — the
//! report without its lines, then the lines a batch at a time — so that a million-line report
//! never sits in memory as a JSON tree.

use super::stream::{validate_stream, JsonLine, BATCH, LINES};
use super::{Context, Validation};
use crate::error::{Error, Result};
use crate::reference::rules::RuleSet;
use rayon::prelude::*;
use serde_json::Value;
use std::borrow::Cow;
use std::path::Path;

/// Reads a report file as JSON. The production system writes bare `NaN` for empty cells
/// (not JSON); those tokens are read as null, and the count is returned for a warning.
pub fn read_report(path: &Path) -> Result<(Value, u64)> {
    parse_report(path, &read_bytes(path)?)
}

/// `read_report` for bytes already read (`path` names them in errors).
pub fn parse_report(path: &Path, bytes: &[u8]) -> Result<(Value, u64)> {
    let (clean, replaced) = replace_non_json_numbers(bytes);
    // A key twice (a shipment id in a baseline, a figure in a line) is refused, not collapsed.
    crate::formats::json_strict::check_slice(&clean).map_err(|e| not_json(path, e))?;
    let v: Value = serde_json::from_slice(&clean).map_err(|e| not_json(path, e))?;
    if !v.is_object() {
        return Err(Error::Data {
            path: path.to_path_buf(),
            message: "expected a JSON object (a CBAM report or baseline)".into(),
        });
    }
    Ok((v, replaced))
}

/// Reads a report from a file in two passes over its bytes — the report without its lines,
/// then the lines one batch at a time — and validates it. Returns the validation and the count
/// of NaN tokens read as null.
pub fn validate_file(
    path: &Path,
    set: &RuleSet,
    ctx: &Context<'_>,
    only: &[String],
    skip: &[String],
) -> Result<(Validation, u64)> {
    // Mapped, not read: the file's pages are the kernel's to keep or drop, not memory this
    // process allocates (a 1.26 GB report used to cost 1.3 GB allocated).
    let bytes = crate::fsio::FileBytes::open(path)?;
    let (clean, replaced) = replace_non_json_numbers(&bytes);
    let head = read_head(&clean).map_err(|e| not_json(path, e))?;
    let mut failure = None;
    let progress = crate::fsio::progress::begin(
        &format!("validating {}", crate::provenance::file_name_of(path)),
        None,
        crate::fsio::progress::Unit::Rows,
    );
    let v = validate_stream(set, &head, ctx, only, skip, |feed| {
        let mut counted = |batch: Vec<(usize, JsonLine)>| {
            progress.add(batch.len() as u64);
            feed(batch)
        };
        if let Err(e) = read_lines(&clean, &mut counted) {
            failure = Some(e);
        }
    });
    match failure {
        Some(e) => Err(not_json(path, e)),
        None => Ok((v, replaced)),
    }
}

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn not_json(path: &Path, e: serde_json::Error) -> Error {
    Error::Parse {
        path: path.to_path_buf(),
        line: e.line() as u64,
        message: format!("not a JSON report: {e}"),
    }
}

/// `NaN`, `Infinity`, `-Infinity` outside strings → `null` (same length is not needed).
pub(crate) fn replace_non_json_numbers(b: &[u8]) -> (Cow<'_, [u8]>, u64) {
    if memchr::memmem::find(b, b"NaN").is_none() && memchr::memmem::find(b, b"Infinity").is_none() {
        return (Cow::Borrowed(b), 0);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut in_str = false;
    let mut i = 0;
    let mut n = 0;
    while i < b.len() {
        let c = b[i];
        if in_str {
            out.push(c);
            if c == b'\\' && i + 1 < b.len() {
                out.push(b[i + 1]);
                i += 2;
                continue;
            }
            if c == b'"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        if c == b'"' {
            in_str = true;
        }
        let rest = &b[i..];
        let tok: Option<usize> = [&b"-Infinity"[..], b"Infinity", b"NaN"]
            .iter()
            .find(|t| rest.starts_with(t))
            .map(|t| t.len());
        if let Some(len) = tok {
            out.extend_from_slice(b"null");
            n += 1;
            i += len;
            continue;
        }
        out.push(c);
        i += 1;
    }
    (Cow::Owned(out), n)
}

/// The first pass: every key of the report but the lines, as a JSON object (with
/// `detailed_goods` as an empty array when present).
fn read_head(clean: &[u8]) -> std::result::Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(clean);
    let head = serde::de::DeserializeSeed::deserialize(Top { feed: None }, &mut de)?;
    de.end()?;
    Ok(head)
}

/// The second pass: only the lines, handed to `feed` in batches of (index, line).
fn read_lines(clean: &[u8], feed: Feed<'_>) -> std::result::Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(clean);
    serde::de::DeserializeSeed::deserialize(Top { feed: Some(feed) }, &mut de).map(|_| ())
}

/// Where streamed lines go, a batch at a time.
type Feed<'f> = &'f mut dyn FnMut(Vec<(usize, JsonLine)>);

/// The report's top-level object. Without `feed`: every key but the lines, as a JSON object
/// (with `detailed_goods` as an empty array when present). With `feed`: only the lines, handed
/// over in batches.
struct Top<'f> {
    feed: Option<Feed<'f>>,
}

impl<'de> serde::de::DeserializeSeed<'de> for Top<'_> {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Top<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object (a CBAM report)")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        mut self,
        mut map: A,
    ) -> std::result::Result<Value, A::Error> {
        let mut head = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match (&mut self.feed, key == LINES) {
                (None, true) => {
                    // Lines are skipped on this pass; note what was there.
                    let kind = map.next_value_seed(Lines { feed: None })?;
                    head.insert(key, kind);
                }
                (None, false) if key == "validation_results" => {
                    let v = map.next_value_seed(WithoutLists)?;
                    head.insert(key, v);
                }
                (None, false) => {
                    let v: Value = map.next_value()?;
                    head.insert(key, v);
                }
                (Some(feed), true) => {
                    map.next_value_seed(Lines {
                        feed: Some(&mut **feed),
                    })?;
                }
                (Some(_), false) => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(head))
    }
}

/// `validation_results` without its per-row lists (each an empty array in the head, the way
/// `detailed_goods` is): no rule reads them (a rules file naming them is refused), and a report
/// of a million bad rows holds millions of findings there.
struct WithoutLists;

/// The key serde_json (feature `arbitrary_precision`) hands a number over as.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

impl<'de> serde::de::DeserializeSeed<'de> for WithoutLists {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for WithoutLists {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the validation_results object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == NUMBER_TOKEN {
                // Not an object but a number (serde_json's arbitrary-precision form of one).
                let text: String = map.next_value()?;
                return serde_json::from_str(&text).map_err(serde::de::Error::custom);
            }
            let v = if crate::model::LIST_KEYS.contains(&key.as_str()) {
                map.next_value_seed(Lines { feed: None })?
            } else {
                map.next_value()?
            };
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
    // Anything but an object is kept as it is, for the schema to judge.
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        seq: A,
    ) -> std::result::Result<Value, A::Error> {
        serde::Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
    }
    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
}

/// `detailed_goods`: streamed in batches (with `feed`) or skipped. Returns what stands in the
/// head for it: an empty array for an array, the value itself otherwise.
struct Lines<'f> {
    feed: Option<Feed<'f>>,
}

impl<'de> serde::de::DeserializeSeed<'de> for Lines<'_> {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Lines<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the detailed_goods array")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Value, A::Error> {
        match self.feed {
            None => while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {},
            Some(feed) => {
                // Each line is taken as raw JSON text (a scan, no tree), and a batch of them is
                // parsed into trees in parallel: the tree-building is the costly part.
                let mut raw: Vec<&'de serde_json::value::RawValue> = Vec::with_capacity(BATCH);
                let mut first = 0usize;
                let mut flush = |raw: &mut Vec<&'de serde_json::value::RawValue>,
                                 first: &mut usize|
                 -> std::result::Result<(), A::Error> {
                    let parsed: std::result::Result<Vec<(usize, JsonLine)>, serde_json::Error> =
                        raw.par_iter()
                            .enumerate()
                            .map(|(k, r)| {
                                serde_json::from_str::<Value>(r.get())
                                    .map(|v| (*first + k, JsonLine::new(v)))
                            })
                            .collect();
                    let batch = parsed.map_err(serde::de::Error::custom)?;
                    *first += raw.len();
                    raw.clear();
                    feed(batch);
                    Ok(())
                };
                while let Some(r) = seq.next_element::<&'de serde_json::value::RawValue>()? {
                    raw.push(r);
                    if raw.len() == BATCH {
                        flush(&mut raw, &mut first)?;
                    }
                }
                if !raw.is_empty() {
                    flush(&mut raw, &mut first)?;
                }
            }
        }
        Ok(Value::Array(Vec::new()))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        map: A,
    ) -> std::result::Result<Value, A::Error> {
        serde::Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))
    }
    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_tokens_outside_strings_become_null() {
        let (b, n) = replace_non_json_numbers(
            br#"{"a": NaN, "b": "NaN", "c": [Infinity, -Infinity], "d": "x\"NaN"}"#,
        );
        assert_eq!(n, 3);
        let v: Value = serde_json::from_slice(&b).unwrap();
        assert!(v["a"].is_null() && v["c"][0].is_null() && v["c"][1].is_null());
        assert_eq!(v["b"], "NaN");
    }
}

/// The arrays of a report that are streamed rather than held: `detailed_goods`, and the
/// per-row lists of `validation_results`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportArray {
    Lines,
    /// `validation_results.<name>`, one of `model::LIST_KEYS`.
    List(&'static str),
}

/// The report as `validate_file` reads it first: everything but the streamed arrays, which
/// stand as empty arrays. `bytes` may hold bare `NaN` (read as null).
pub fn report_head(path: &Path, bytes: &[u8]) -> Result<Value> {
    let (clean, _) = replace_non_json_numbers(bytes);
    read_head(&clean).map_err(|e| not_json(path, e))
}

/// Refuses a report with a key twice in one object (as `parse_report` does), by a scan of
/// the bytes, no tree built.
pub fn check_keys(path: &Path, bytes: &[u8]) -> Result<()> {
    let (clean, _) = replace_non_json_numbers(bytes);
    crate::formats::json_strict::check_slice(&clean).map_err(|e| not_json(path, e))
}

/// Hands each element of one streamed array to `each`, as raw JSON text borrowed from
/// `bytes`, in order; nothing else of the report is kept. A value that is not an array has no
/// elements (the head shows it as it is).
pub fn stream_array(
    path: &Path,
    bytes: &[u8],
    which: ReportArray,
    each: &mut dyn FnMut(&str),
) -> Result<()> {
    let (clean, _) = replace_non_json_numbers(bytes);
    let mut de = serde_json::Deserializer::from_slice(&clean);
    let progress = crate::fsio::progress::begin(
        &format!("reading {}", crate::provenance::file_name_of(path)),
        None,
        crate::fsio::progress::Unit::Bytes,
    );
    let each = &mut |e: &str| {
        progress.add(e.len() as u64);
        each(e)
    };
    let seed = Elements {
        outer: match which {
            ReportArray::Lines => LINES,
            ReportArray::List(_) => "validation_results",
        },
        inner: match which {
            ReportArray::Lines => None,
            ReportArray::List(name) => Some(name),
        },
        each,
    };
    serde::de::DeserializeSeed::deserialize(seed, &mut de).map_err(|e| not_json(path, e))
}

/// Walks the top-level object to `outer` (and inside it to `inner`), then over that array.
struct Elements<'f> {
    outer: &'static str,
    inner: Option<&'static str>,
    each: &'f mut dyn FnMut(&str),
}

impl<'de> serde::de::DeserializeSeed<'de> for Elements<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Elements<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object (a CBAM report)")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<(), A::Error> {
        let Elements { outer, inner, each } = self;
        while let Some(key) = map.next_key::<String>()? {
            if key != outer {
                map.next_value::<serde::de::IgnoredAny>()?;
                continue;
            }
            match inner {
                Some(name) => map.next_value_seed(Elements {
                    outer: name,
                    inner: None,
                    each: &mut *each,
                })?,
                None => map.next_value_seed(Each(&mut *each))?,
            }
        }
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<(), A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_unit<E>(self) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<(), E> {
        Ok(())
    }
}

/// The elements of the array reached, each as raw text.
struct Each<'f>(&'f mut dyn FnMut(&str));

impl<'de> serde::de::DeserializeSeed<'de> for Each<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Each<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<(), A::Error> {
        while let Some(r) = seq.next_element::<&'de serde_json::value::RawValue>()? {
            (self.0)(r.get());
        }
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<(), A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(())
    }
    fn visit_unit<E>(self) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<(), E> {
        Ok(())
    }
}
