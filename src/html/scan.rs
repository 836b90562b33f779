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
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut at = i;
            loop {
                // The stretch up to the next quote holds no string: count its brackets.
                let stop = memchr::memchr(b'"', &b[at..]).map_or(b.len(), |q| at + q);
                for (k, &c) in b[at..stop].iter().enumerate() {
                    match c {
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                return Ok(at + k + 1);
                            }
                        }
                        _ => {}
                    }
                }
                if stop == b.len() {
                    return Err(NotAnObject(format!("byte {i}: a value is not closed")));
                }
                at = string_end(b, stop)?;
            }
        }
        Some(_) => {
            let n = b[i..]
                .iter()
                .position(|c| matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(b.len() - i);
            Ok(i + n)
        }
    }
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
}
