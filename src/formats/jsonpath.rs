//! Report paths: `a.b.c`, with `[]` to range over an array (`detailed_goods[].cn_code`).
//! Parsed once when the rules load (a bad path is a load error), evaluated over JSON.

use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

/// What the rules read: a JSON-like tree. Implemented for `serde_json::Value` (reports read from
/// files) and for the pipeline's typed lines (no JSON built at all).
pub trait Node<'a>: Copy + Sized {
    /// A key of an object (`None` when missing or when this is not an object).
    fn child(self, key: &str) -> Option<Self>;
    /// The number of elements, when this is an array.
    fn array_len(self) -> Option<usize>;
    /// Element `i` of an array.
    fn element(self, i: usize) -> Option<Self>;
    /// A string value, borrowed (no copy); `None` for other kinds.
    fn as_str(self) -> Option<&'a str>;
    fn is_null(self) -> bool;
    /// Strings as they are, numbers as written, booleans as true/false.
    fn text(self) -> Option<String>;
    /// A number, or a string holding one, as an exact decimal.
    fn decimal(self) -> Option<Decimal> {
        let t = self.text()?;
        let t = t.trim();
        Decimal::from_str(t)
            .or_else(|_| Decimal::from_scientific(t))
            .ok()
    }
    /// A string that is empty or blank.
    fn is_blank(self) -> bool;
    /// The value as JSON text, for messages.
    fn raw(self) -> String;
}

impl<'a> Node<'a> for &'a Value {
    fn child(self, key: &str) -> Option<Self> {
        self.get(key)
    }
    fn array_len(self) -> Option<usize> {
        self.as_array().map(|a| a.len())
    }
    fn element(self, i: usize) -> Option<Self> {
        self.as_array().and_then(|a| a.get(i))
    }
    fn as_str(self) -> Option<&'a str> {
        Value::as_str(self)
    }
    fn is_null(self) -> bool {
        Value::is_null(self)
    }
    fn text(self) -> Option<String> {
        match self {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    fn decimal(self) -> Option<Decimal> {
        let t = match self {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.trim().to_string(),
            _ => return None,
        };
        Decimal::from_str(&t)
            .or_else(|_| Decimal::from_scientific(&t))
            .ok()
    }
    fn is_blank(self) -> bool {
        matches!(self, Value::String(s) if s.trim().is_empty())
    }
    fn raw(self) -> String {
        self.to_string()
    }
}

/// Why a text is not a report path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("empty path")]
    Empty,
    #[error("path {path:?}: segment {segment:?} is not a key (letters, digits, _ and -, optionally followed by [])")]
    NotAKey { path: String, segment: String },
    #[error("path {path:?}: more than {MAX_DEPTH} [] levels")]
    TooDeep { path: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub key: String,
    /// `key[]`: the value is an array; continue in each element.
    pub each: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    pub text: String,
    pub segments: Vec<Segment>,
}

impl Path {
    pub fn parse(text: &str) -> Result<Path, PathError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(PathError::Empty);
        }
        let mut segments = Vec::new();
        for part in text.split('.') {
            let (key, each) = match part.strip_suffix("[]") {
                Some(k) => (k, true),
                None => (part, false),
            };
            if key.is_empty()
                || !key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                return Err(PathError::NotAKey {
                    path: text.to_string(),
                    segment: part.to_string(),
                });
            }
            segments.push(Segment {
                key: key.to_string(),
                each,
            });
        }
        if segments.iter().filter(|s| s.each).count() > MAX_DEPTH {
            return Err(PathError::TooDeep {
                path: text.to_string(),
            });
        }
        Ok(Path {
            text: text.to_string(),
            segments,
        })
    }

    /// `a.b[].c.d` → (`a.b[]`, `c.d`): the path to the elements of its last array and the
    /// path inside each; `None` without an array or with nothing after it.
    pub fn split_at_last_each(&self) -> Option<(Path, Path)> {
        let k = self.segments.iter().rposition(|s| s.each)?;
        if k + 1 == self.segments.len() {
            return None;
        }
        let part = |segs: &[Segment]| {
            let text = segs
                .iter()
                .map(|s| format!("{}{}", s.key, if s.each { "[]" } else { "" }))
                .collect::<Vec<_>>()
                .join(".");
            Path {
                text,
                segments: segs.to_vec(),
            }
        };
        Some((part(&self.segments[..=k]), part(&self.segments[k + 1..])))
    }

    /// Whether the path ranges over an array.
    pub fn is_multi(&self) -> bool {
        self.segments.iter().any(|s| s.each)
    }

    /// Every place the path reaches: the concrete JSON path (`detailed_goods[3].cn_code`) and
    /// the value there, or `None` where a key is missing (so `required` can say where).
    #[cfg(test)]
    pub fn eval<'v, N: Node<'v>>(&self, root: N) -> Vec<(String, Option<N>)> {
        let mut out = Vec::new();
        self.visit(root, &mut |idx, v| out.push((self.render(idx), v)));
        out
    }

    /// Calls `f` for every place the path reaches with the array indices taken on the way
    /// (render them with `render` only when needed: a million lines, few findings).
    pub fn visit<'v, N: Node<'v>>(&self, root: N, f: &mut dyn FnMut(&[usize], Option<N>)) {
        let mut idx = Indices {
            buf: [0; MAX_DEPTH],
            len: 0,
        };
        visit(root, &self.segments, &mut idx, f);
    }

    /// The concrete path for the indices `visit` reported.
    pub fn render(&self, idx: &[usize]) -> String {
        let mut out = String::new();
        let mut k = 0;
        for (n, s) in self.segments.iter().enumerate() {
            if n > 0 {
                out.push('.');
            }
            out.push_str(&s.key);
            if s.each {
                match idx.get(k) {
                    Some(i) => out.push_str(&format!("[{i}]")),
                    None => break,
                }
                k += 1;
            }
        }
        out
    }

    /// The single value of a path without `[]` (None if missing).
    pub fn get<'v, N: Node<'v>>(&self, root: N) -> Option<N> {
        let mut v = root;
        for s in &self.segments {
            v = v.child(&s.key)?;
        }
        if v.is_null() {
            None
        } else {
            Some(v)
        }
    }
}

/// Array indices on the way down, without allocating (paths nest arrays only a few deep).
const MAX_DEPTH: usize = 16;
struct Indices {
    buf: [usize; MAX_DEPTH],
    len: usize,
}

impl Indices {
    fn get(&self) -> &[usize] {
        &self.buf[..self.len]
    }
}

fn visit<'v, N: Node<'v>>(
    v: N,
    segs: &[Segment],
    idx: &mut Indices,
    f: &mut dyn FnMut(&[usize], Option<N>),
) {
    let Some((s, rest)) = segs.split_first() else {
        f(idx.get(), if v.is_null() { None } else { Some(v) });
        return;
    };
    let Some(child) = v.child(&s.key) else {
        f(idx.get(), None);
        return;
    };
    if s.each {
        match child.array_len() {
            Some(n) if idx.len < MAX_DEPTH => {
                for i in 0..n {
                    if let Some(item) = child.element(i) {
                        idx.buf[idx.len] = i;
                        idx.len += 1;
                        visit(item, rest, idx, f);
                        idx.len -= 1;
                    }
                }
            }
            _ => f(idx.get(), None),
        }
    } else {
        visit(child, rest, idx, f);
    }
}

/// A JSON value as text for comparisons and messages: strings as they are, numbers as
/// written (exact, arbitrary precision), booleans as true/false.
pub fn text<'a, N: Node<'a>>(v: N) -> Option<String> {
    v.text()
}

/// A value as an exact decimal: a number, or a string holding one.
pub fn decimal<'a, N: Node<'a>>(v: N) -> Option<Decimal> {
    v.decimal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluates_arrays_and_reports_missing() {
        let v: Value =
            serde_json::from_str(r#"{"a": [{"b": 1}, {"c": 2}, {"b": null}], "d": {"e": "x"}}"#)
                .unwrap();
        let p = Path::parse("a[].b").unwrap();
        let got: Vec<(String, Option<String>)> = p
            .eval(&v)
            .into_iter()
            .map(|(k, v)| (k, v.and_then(|x| x.text())))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a[0].b".into(), Some("1".into())),
                ("a[1].b".into(), None),
                ("a[2].b".into(), None)
            ]
        );
        assert_eq!(
            Path::parse("d.e")
                .unwrap()
                .get(&v)
                .and_then(|x| x.text())
                .as_deref(),
            Some("x")
        );
        assert!(Path::parse("a..b").is_err());
        assert!(Path::parse("a[0]").is_err());
    }
}
