//! Canonical comparison of two reports (`cbam diff`): key order and number spelling do not
//! matter (numbers compare as exact decimals), declared volatile fields are ignored, and every
//! difference is reported by JSON path with both values.

use crate::formats::jsonpath::Path;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub path: String,
    /// JSON text of the value in the first report (None: missing there).
    pub a: Option<String>,
    pub b: Option<String>,
    /// The path as steps, for document order (keys sorted, indices ascending).
    #[serde(skip)]
    pub steps: Vec<(String, Option<usize>)>,
}

impl Difference {
    /// A difference of provenance only: where an input was read from (its file name in
    /// `provenance`, or in a finding's `file`), not what it held (its SHA-256 and size are
    /// compared as content). A renamed copy of the input differs only in these.
    pub fn provenance_only(&self) -> bool {
        let first = self.steps.first().map(|s| s.0.as_str());
        let last = self.steps.last().map(|s| s.0.as_str());
        matches!(
            (first, last),
            (Some("provenance"), Some("file_name"))
                | (Some("validation_results"), Some("file"))
                | (Some("detailed_goods"), Some("_file"))
        )
    }
}

/// Paths to ignore: `report_metadata.generated_at`, or with `[]` for any index.
pub struct Ignore(Vec<Path>);

/// A path to ignore that is not a JSON path; the message says where it goes wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadIgnorePath(pub String);

impl Ignore {
    pub fn new(paths: &[String]) -> Result<Ignore, BadIgnorePath> {
        paths
            .iter()
            .map(|p| Path::parse(p).map_err(|e| BadIgnorePath(e.to_string())))
            .collect::<Result<Vec<_>, _>>()
            .map(Ignore)
    }
    /// `segs` is the concrete path as (key, index-if-array-element) steps.
    fn matches(&self, segs: &[(String, Option<usize>)]) -> bool {
        self.0.iter().any(|p| {
            if p.segments.len() != segs.len() {
                return false;
            }
            p.segments
                .iter()
                .zip(segs)
                .all(|(s, (k, i))| s.key == *k && s.each == i.is_some())
        })
    }
}

/// The volatile fields a report declares (`report_metadata.volatile_fields`).
pub fn declared_volatile(v: &Value) -> Vec<String> {
    v.get("report_metadata")
        .and_then(|m| m.get("volatile_fields"))
        .and_then(|f| f.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn render(segs: &[(String, Option<usize>)]) -> String {
    let mut s = String::new();
    for (k, i) in segs {
        if !k.is_empty() {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(k);
        }
        if let Some(i) = i {
            s.push_str(&format!("[{i}]"));
        }
    }
    if s.is_empty() {
        "(report)".into()
    } else {
        s
    }
}

fn same_scalar(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.to_string(), y.to_string());
            x == y
                || matches!((x.parse::<rust_decimal::Decimal>(), y.parse::<rust_decimal::Decimal>()), (Ok(p), Ok(q)) if p == q)
        }
        _ => a == b,
    }
}

/// All differences between `a` and `b` outside the ignored paths, in document order.
pub fn differences(a: &Value, b: &Value, ignore: &Ignore) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut segs: Vec<(String, Option<usize>)> = Vec::new();
    walk(a, b, &mut segs, ignore, &mut out);
    out
}

fn walk(
    a: &Value,
    b: &Value,
    segs: &mut Vec<(String, Option<usize>)>,
    ignore: &Ignore,
    out: &mut Vec<Difference>,
) {
    if !segs.is_empty() && ignore.matches(segs) {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                segs.push((k.clone(), None));
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => walk(p, q, segs, ignore, out),
                    (p, q) => {
                        if !ignore.matches(segs) {
                            out.push(Difference {
                                path: render(segs),
                                a: p.map(|v| v.to_string()),
                                b: q.map(|v| v.to_string()),
                                steps: segs.clone(),
                            });
                        }
                    }
                }
                segs.pop();
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            let had = segs.pop();
            let key = had.as_ref().map(|h| h.0.clone()).unwrap_or_default();
            for i in 0..x.len().max(y.len()) {
                segs.push((key.clone(), Some(i)));
                match (x.get(i), y.get(i)) {
                    (Some(p), Some(q)) => walk(p, q, segs, ignore, out),
                    (p, q) => {
                        if !ignore.matches(segs) {
                            out.push(Difference {
                                path: render(segs),
                                a: p.map(|v| v.to_string()),
                                b: q.map(|v| v.to_string()),
                                steps: segs.clone(),
                            });
                        }
                    }
                }
                segs.pop();
            }
            if let Some(h) = had {
                segs.push(h);
            }
        }
        _ => {
            if !same_scalar(a, b) {
                out.push(Difference {
                    path: render(segs),
                    a: Some(a.to_string()),
                    b: Some(b.to_string()),
                    steps: segs.clone(),
                });
            }
        }
    }
}

/// Two report files compared: the paths ignored, how many differences, the first ones.
#[derive(Debug)]
pub struct FileDiff {
    pub ignored: Vec<String>,
    /// Differences of content (with `strict`, provenance-only ones too).
    pub count: u64,
    /// The first differences of content (at most the `max` asked for), in document order.
    pub shown: Vec<Difference>,
    /// Differences of provenance only (file names), not counted above unless `strict`.
    pub provenance_count: u64,
    pub provenance_shown: Vec<Difference>,
}

/// Differences counted and the first `max` of each kind kept, as they are found.
#[derive(Default)]
struct Found {
    content: u64,
    provenance: u64,
    first_content: Vec<Difference>,
    first_provenance: Vec<Difference>,
}

impl Found {
    fn add(&mut self, found: Vec<Difference>, max: usize, strict: bool) {
        for d in found {
            let (n, first) = if !strict && d.provenance_only() {
                (&mut self.provenance, &mut self.first_provenance)
            } else {
                (&mut self.content, &mut self.first_content)
            };
            *n += 1;
            first.push(d);
            // The first `max` in document order are kept, whichever array they come from:
            // trimmed now and then, so memory stays at 2 × max differences.
            if first.len() >= 2 * max.max(1) {
                in_document_order(first, max);
            }
        }
    }
}

fn in_document_order(v: &mut Vec<Difference>, max: usize) {
    v.sort_by(|x, y| x.steps.cmp(&y.steps));
    v.truncate(max);
}

/// Why two reports could not be compared.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error(transparent)]
    Report(#[from] crate::error::Error),
    #[error("--ignore: {0}")]
    Ignore(#[from] BadIgnorePath),
}

/// Elements per batch handed from a file's reader to the comparison.
const DIFF_BATCH: usize = 4096;

/// Compares two reports' bytes without holding either as one tree: everything but the
/// streamed arrays (`detailed_goods`, the per-row lists of `validation_results`) is compared
/// whole, then each streamed array element by element, the two files read side by side (a
/// thread each, a bounded queue of batches between). The first `max` differences are kept,
/// in document order; all are counted. Ignored: the volatile fields either report declares,
/// and `extra_ignore`.
pub fn diff_reports(
    (pa, ba): (&std::path::Path, &[u8]),
    (pb, bb): (&std::path::Path, &[u8]),
    extra_ignore: &[String],
    max: usize,
    strict: bool,
) -> Result<FileDiff, DiffError> {
    use crate::validate::{report_head, ReportArray};
    let (ha, hb) = (report_head(pa, ba)?, report_head(pb, bb)?);
    let mut ignored = declared_volatile(&ha);
    for p in declared_volatile(&hb)
        .into_iter()
        .chain(extra_ignore.iter().cloned())
    {
        if !ignored.contains(&p) {
            ignored.push(p);
        }
    }
    let ignore = Ignore::new(&ignored)?;
    let mut found = Found::default();
    found.add(differences(&ha, &hb, &ignore), max, strict);
    let arrays = std::iter::once(ReportArray::Lines)
        .chain(crate::model::LIST_KEYS.iter().map(|k| ReportArray::List(k)));
    for which in arrays {
        diff_array(
            which,
            (pa, ba),
            (pb, bb),
            &ignore,
            (max, strict),
            &mut found,
        )?;
    }
    let in_order = |mut v: Vec<Difference>| {
        in_document_order(&mut v, max);
        v
    };
    Ok(FileDiff {
        ignored,
        count: found.content,
        shown: in_order(found.first_content),
        provenance_count: found.provenance,
        provenance_shown: in_order(found.first_provenance),
    })
}

/// One streamed array of both reports, element by element, its differences added to `found`.
fn diff_array(
    which: crate::validate::ReportArray,
    (pa, ba): (&std::path::Path, &[u8]),
    (pb, bb): (&std::path::Path, &[u8]),
    ignore: &Ignore,
    (max, strict): (usize, bool),
    found: &mut Found,
) -> Result<(), DiffError> {
    use crate::validate::ReportArray;
    let (mut steps, key) = match which {
        ReportArray::Lines => (Vec::new(), "detailed_goods"),
        ReportArray::List(name) => (vec![("validation_results".to_string(), None)], name),
    };
    let read =
        |path: &std::path::Path, bytes: &[u8], tx: std::sync::mpsc::SyncSender<Vec<String>>| {
            let mut batch = Vec::with_capacity(DIFF_BATCH);
            let r = crate::validate::stream_array(path, bytes, which, &mut |e| {
                batch.push(e.to_string());
                if batch.len() == DIFF_BATCH {
                    // A closed queue: the other side failed; read on to the end, unheard.
                    let _ = tx.send(std::mem::take(&mut batch));
                }
            });
            if !batch.is_empty() {
                let _ = tx.send(batch);
            }
            r
        };
    let (ra, rb) = std::thread::scope(|s| {
        let (ta, qa) = std::sync::mpsc::sync_channel(2);
        let (tb, qb) = std::sync::mpsc::sync_channel(2);
        let a = s.spawn(move || read(pa, ba, ta));
        let b = s.spawn(move || read(pb, bb, tb));
        let (mut ia, mut ib) = (qa.into_iter().flatten(), qb.into_iter().flatten());
        for i in 0.. {
            let (x, y) = (ia.next(), ib.next());
            if x.is_none() && y.is_none() {
                break;
            }
            if x == y {
                continue;
            }
            steps.push((key.to_string(), Some(i)));
            let mut these = Vec::new();
            element_differences(x.as_deref(), y.as_deref(), &mut steps, ignore, &mut these);
            steps.pop();
            found.add(these, max, strict);
        }
        drop((ia, ib));
        (a.join(), b.join())
    });
    for r in [ra, rb] {
        r.unwrap_or_else(|_| {
            Err(crate::error::Error::Data {
                path: pa.to_path_buf(),
                message: "the report reader stopped unexpectedly".into(),
            })
        })?;
    }
    Ok(())
}

/// One element of a streamed array in each report (raw JSON; `None`: missing there).
fn element_differences(
    x: Option<&str>,
    y: Option<&str>,
    steps: &mut Vec<(String, Option<usize>)>,
    ignore: &Ignore,
    out: &mut Vec<Difference>,
) {
    let parse = |t: &str| serde_json::from_str::<Value>(t).unwrap_or(Value::Null);
    match (x, y) {
        (Some(x), Some(y)) => walk(&parse(x), &parse(y), steps, ignore, out),
        (x, y) => {
            if !ignore.matches(steps) {
                out.push(Difference {
                    path: render(steps),
                    a: x.map(|t| parse(t).to_string()),
                    b: y.map(|t| parse(t).to_string()),
                    steps: steps.clone(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn key_order_and_number_spelling_do_not_matter() {
        let none = Ignore::new(&[]).unwrap();
        assert!(differences(
            &v(r#"{"a": 1.50, "b": [1, 2]}"#),
            &v(r#"{"b": [1, 2], "a": 1.5}"#),
            &none
        )
        .is_empty());
    }

    #[test]
    fn differences_name_the_path_and_both_values() {
        let none = Ignore::new(&[]).unwrap();
        let d = differences(
            &v(r#"{"a": {"x": [1, 2, 3]}, "c": 1}"#),
            &v(r#"{"a": {"x": [1, 5]}, "d": 2}"#),
            &none,
        );
        let got: Vec<(String, Option<String>, Option<String>)> =
            d.into_iter().map(|d| (d.path, d.a, d.b)).collect();
        assert_eq!(
            got,
            vec![
                ("a.x[1]".into(), Some("2".into()), Some("5".into())),
                ("a.x[2]".into(), Some("3".into()), None),
                ("c".into(), Some("1".into()), None),
                ("d".into(), None, Some("2".into())),
            ]
        );
    }

    #[test]
    fn ignored_paths_and_wildcards() {
        let ig = Ignore::new(&["m.t".into(), "g[].ts".into()]).unwrap();
        let d = differences(
            &v(r#"{"m": {"t": 1}, "g": [{"ts": 1, "k": 1}]}"#),
            &v(r#"{"m": {"t": 2}, "g": [{"ts": 2, "k": 1}]}"#),
            &ig,
        );
        assert!(d.is_empty(), "{d:?}");
    }
}
