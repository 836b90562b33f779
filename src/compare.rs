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
