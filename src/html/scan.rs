//! The top-level members of a report JSON found by a scan of its bytes, no tree built: the
//! page reads the summary sections and skips `detailed_goods` (a million lines) without
//! parsing it. The scan jumps from quote to quote (`memchr`), counting brackets only in the
//! short stretches between strings, so skipping a gigabyte of lines costs a fraction of a
//! second; what it does not check (the skipped lines' own syntax) `cbam validate` does.

use std::ops::Range;

/// Why the bytes are not a JSON object the scan can split (a byte offset in the message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAnObject(pub String);

fn ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// The end (exclusive) of the string whose opening quote is at `i`.
fn string_end(b: &[u8], i: usize) -> Result<usize, NotAnObject> {
    let mut at = i + 1;
    loop {
        let Some(q) = memchr::memchr2(b'"', b'\\', &b[at..]) else {
            return Err(NotAnObject(format!("byte {i}: a string is not closed")));
        };
        let p = at + q;
        if b[p] == b'\\' {
            at = p + 2;
            if at > b.len() {
                return Err(NotAnObject(format!("byte {i}: a string is not closed")));
            }
            continue;
        }
        return Ok(p + 1);
    }
}

/// The end (exclusive) of the value starting at `i` (no leading blanks): a container by its
/// brackets (strings jumped over), a scalar up to the next `,` `}` `]` or blank.
fn value_end(b: &[u8], i: usize) -> Result<usize, NotAnObject> {
    match b.get(i) {
        None => Err(NotAnObject(format!("byte {i}: a value is missing"))),
        Some(b'"') => string_end(b, i),
        Some(b'{' | b'[') => container_end(b, i),
        Some(_) => {
            let n = b[i..]
                .iter()
                .position(|c| matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(b.len() - i);
            Ok(i + n)
        }
    }
}

/// How far a walk over a stretch of bytes got.
enum Walk {
    /// The depth came back to 0 just before this offset.
    Closed(usize),
    /// Not closed: the lowest depth reached, the depth at the end, and whether the stretch
    /// ends inside a string.
    Open { min: i64, end: i64, in_str: bool },
}

/// Walks `b[from..to]` from outside any string at `depth`: one pass over the positions of
/// quotes and backslashes (`memchr2_iter`, no call per string), brackets counted only in the
/// stretches between strings. With `stop`, returns where the depth first comes back to 0.
fn walk(b: &[u8], from: usize, to: usize, mut depth: i64, stop: bool) -> Walk {
    let mut min = depth;
    let mut in_str = false;
    // Where the current stretch outside strings starts, and the byte an escape covers.
    let (mut outside, mut escaped) = (from, usize::MAX);
    let count = |lo: usize, hi: usize, depth: &mut i64, min: &mut i64| -> Option<usize> {
        for (k, &c) in b[lo..hi].iter().enumerate() {
            match c {
                b'{' | b'[' => *depth += 1,
                b'}' | b']' => {
                    *depth -= 1;
                    *min = (*min).min(*depth);
                    if stop && *depth == 0 {
                        return Some(lo + k + 1);
                    }
                }
                _ => {}
            }
        }
        None
    };
    for p in memchr::memchr2_iter(b'"', b'\\', &b[from..to]) {
        let p = from + p;
        if p == escaped {
            continue;
        }
        match (in_str, b[p]) {
            (true, b'\\') => escaped = p + 1,
            (true, _) => {
                in_str = false;
                outside = p + 1;
            }
            (false, b'"') => {
                if let Some(end) = count(outside, p, &mut depth, &mut min) {
                    return Walk::Closed(end);
                }
                in_str = true;
            }
            // A backslash outside a string is not JSON; the parse of the member says so.
            (false, _) => {}
        }
    }
    if !in_str {
        if let Some(end) = count(outside, to, &mut depth, &mut min) {
            return Walk::Closed(end);
        }
    }
    Walk::Open {
        min,
        end: depth,
        in_str,
    }
}

/// Just after the first line break at or after `at` (or the end).
fn after_line(b: &[u8], at: usize) -> usize {
    let at = at.min(b.len());
    memchr::memchr(b'\n', &b[at..]).map_or(b.len(), |k| at + k + 1)
}

/// Bytes walked in one go before a container is walked in parallel chunks.
const FIRST: usize = 4 << 20;
/// The parallel chunks' size: each starts at a line start, which is outside any string (JSON
/// strings hold no raw line break), so the chunks are walked independently and joined by
/// their depths.
const CHUNK: usize = 8 << 20;

/// The end (exclusive) of the object or array at `i`. A small one is walked in one go; a
/// large one (`detailed_goods`: a gigabyte) in waves of chunks on every thread.
fn container_end(b: &[u8], i: usize) -> Result<usize, NotAnObject> {
    use rayon::prelude::*;
    let not_closed = || NotAnObject(format!("byte {i}: a value is not closed"));
    let line_break = || {
        NotAnObject(format!(
            "byte {i}: a string in this value holds a raw line break"
        ))
    };
    let first = after_line(b, i + FIRST);
    let mut depth = match walk(b, i, first, 0, true) {
        Walk::Closed(end) => return Ok(end),
        Walk::Open { in_str: true, .. } => return Err(not_closed()),
        Walk::Open { end, .. } => end,
    };
    let mut at = first;
    while at < b.len() {
        let mut chunks = Vec::new();
        for _ in 0..rayon::current_num_threads().max(1) * 2 {
            if at >= b.len() {
                break;
            }
            let end = after_line(b, at + CHUNK);
            chunks.push(at..end);
            at = end;
        }
        let walks: Vec<Walk> = chunks
            .par_iter()
            .map(|c| walk(b, c.start, c.end, 0, false))
            .collect();
        for (c, w) in chunks.into_iter().zip(walks) {
            let Walk::Open { min, end, in_str } = w else {
                return Err(not_closed());
            };
            if depth + min <= 0 {
                // It closes in this chunk: find where.
                return match walk(b, c.start, c.end, depth, true) {
                    Walk::Closed(end) => Ok(end),
                    Walk::Open { .. } => Err(not_closed()),
                };
            }
            if in_str {
                return Err(if c.end < b.len() {
                    line_break()
                } else {
                    not_closed()
                });
            }
            depth += end;
        }
    }
    Err(not_closed())
}

/// The top-level object's members in order: each key (as JSON text, quotes included) and the
/// byte range of its value.
pub fn members(b: &[u8]) -> Result<Vec<(Range<usize>, Range<usize>)>, NotAnObject> {
    let mut i = ws(b, 0);
    // A UTF-8 byte-order mark, as some editors write.
    if b[i..].starts_with(b"\xEF\xBB\xBF") {
        i = ws(b, i + 3);
    }
    if b.get(i) != Some(&b'{') {
        return Err(NotAnObject("expected a JSON object".into()));
    }
    i = ws(b, i + 1);
    let mut out = Vec::new();
    if b.get(i) == Some(&b'}') {
        return trailing(b, i + 1).map(|()| out);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return Err(NotAnObject(format!("byte {i}: expected a key")));
        }
        let key_end = string_end(b, i)?;
        let key = i..key_end;
        i = ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return Err(NotAnObject(format!("byte {i}: expected ':' after a key")));
        }
        i = ws(b, i + 1);
        let end = value_end(b, i)?;
        out.push((key, i..end));
        i = ws(b, end);
        match b.get(i) {
            Some(b',') => i = ws(b, i + 1),
            Some(b'}') => return trailing(b, i + 1).map(|()| out),
            _ => return Err(NotAnObject(format!("byte {i}: expected ',' or '}}'"))),
        }
    }
}

/// The byte ranges of the elements of the array `b` (a whole value, `[...]`); a value that is
/// not an array has none.
pub fn elements(b: &[u8]) -> Result<Vec<Range<usize>>, NotAnObject> {
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'[') {
        return Ok(Vec::new());
    }
    i = ws(b, i + 1);
    let mut out = Vec::new();
    if b.get(i) == Some(&b']') {
        return Ok(out);
    }
    loop {
        let end = value_end(b, i)?;
        out.push(i..end);
        i = ws(b, end);
        match b.get(i) {
            Some(b',') => i = ws(b, i + 1),
            Some(b']') => return Ok(out),
            _ => return Err(NotAnObject(format!("byte {i}: expected ',' or ']'"))),
        }
    }
}

fn trailing(b: &[u8], i: usize) -> Result<(), NotAnObject> {
    let j = ws(b, i);
    if j < b.len() {
        return Err(NotAnObject(format!(
            "byte {j}: text after the report's object"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(s: &str) -> Vec<(String, String)> {
        members(s.as_bytes())
            .unwrap()
            .into_iter()
            .map(|(k, v)| (s[k].to_string(), s[v].to_string()))
            .collect()
    }

    #[test]
    fn splits_members_jumping_strings_with_brackets_and_escapes() {
        let s = r#" {"a": [1, "x]\"}", {"b": "}"}], "c" : 2.50 , "d":"q\\", "e":{}}"#;
        assert_eq!(
            keys(s),
            [
                ("\"a\"".into(), r#"[1, "x]\"}", {"b": "}"}]"#.into()),
                ("\"c\"".into(), "2.50".into()),
                ("\"d\"".into(), r#""q\\""#.into()),
                ("\"e\"".into(), "{}".into()),
            ]
        );
    }

    #[test]
    fn container_ends_agree_with_serde_on_escapes() {
        // Backslashes before quotes, escaped quotes, brackets and braces inside strings.
        for v in [
            r#"["q\\", "]"]"#,
            r#"{"k\"}": ["\\\"]", {"x": "\\"}], "z": "}"}"#,
            r#"[[], {}, [[["]]]"]]], "\u005d"]"#,
        ] {
            serde_json::from_str::<serde_json::Value>(v).expect("valid JSON");
            let doc = format!("{{\"a\": {v}, \"b\": 1}}");
            assert_eq!(keys(&doc)[0].1, v, "{v}");
        }
    }

    #[test]
    fn refuses_what_is_not_one_object() {
        for bad in [
            "",
            "[1]",
            "{\"a\": [1}",
            "{\"a\": \"x}",
            "{\"a\" 1}",
            "{\"a\": 1} x",
            "{\"a\": 1",
        ] {
            assert!(members(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert!(keys("{}").is_empty());
        let a = br#"[ {"a": "]"}, 2 ,"x" ]"#;
        let e: Vec<&[u8]> = elements(a).unwrap().into_iter().map(|r| &a[r]).collect();
        assert_eq!(e, [&br#"{"a": "]"}"#[..], b"2", b"\"x\""]);
        assert!(elements(b"[]").unwrap().is_empty() && elements(b"null").unwrap().is_empty());
    }

    #[test]
    fn a_large_container_is_walked_in_chunks_to_the_same_end() {
        // Lines of strings with brackets, escapes and braces, past FIRST and several CHUNKs.
        let line = r#"{"id": "S-]}", "e": {"t": 1.5, "n": "a\\\"[{"}, "l": [1, [2], {"x": "}"}]},"#;
        let mut doc = String::from("{\"head\": 1, \"detailed_goods\": [\n");
        while doc.len() < FIRST + 3 * CHUNK + 12345 {
            doc.push_str("    ");
            doc.push_str(line);
            doc.push('\n');
        }
        doc.push_str("    {}\n  ],\n  \"tail\": {\"k\": [\"]\"]}\n}\n");
        let k = keys(&doc);
        assert_eq!(k.len(), 3);
        assert!(k[1].1.starts_with("[\n") && k[1].1.ends_with("{}\n  ]"));
        assert_eq!(k[2].1, r#"{"k": ["]"]}"#);
        // A raw line break inside a string of a large value is refused, not mis-split.
        let bad = doc.replacen("S-]}", "S-\n]}", 200_000);
        assert!(members(bad.as_bytes()).is_err());
    }
}
