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

/// The walk's state between bytes.
struct State {
    depth: i64,
    min: i64,
    in_str: bool,
    /// The previous byte was a backslash inside a string.
    esc: bool,
}

/// Byte by byte (a block with a backslash, and the last bytes).
fn bytes(b: &[u8], lo: usize, hi: usize, st: &mut State, stop: bool) -> Option<usize> {
    for (k, &c) in b[lo..hi].iter().enumerate() {
        if st.in_str {
            if st.esc {
                st.esc = false;
            } else if c == b'\\' {
                st.esc = true;
            } else if c == b'"' {
                st.in_str = false;
            }
            continue;
        }
        match c {
            b'"' => st.in_str = true,
            b'{' | b'[' => st.depth += 1,
            b'}' | b']' => {
                st.depth -= 1;
                st.min = st.min.min(st.depth);
                if stop && st.depth == 0 {
                    return Some(lo + k + 1);
                }
            }
            // A backslash outside a string is not JSON; the parse of the member says so.
            _ => {}
        }
    }
    None
}

/// 64 bytes as bit masks (bit j = byte j): quotes, backslashes, `{`/`[` and `}`/`]`.
#[derive(Default)]
struct Masks {
    quote: u64,
    backslash: u64,
    open: u64,
    close: u64,
}

impl Masks {
    /// SSE2 (every x86_64): sixteen bytes compared at a time, `movemask` to bits.
    #[cfg(target_arch = "x86_64")]
    fn of(blk: &[u8; 64]) -> Masks {
        use std::arch::x86_64::*;
        let mut m = Masks::default();
        for (k, part) in blk.chunks_exact(16).enumerate() {
            // SAFETY: `part` is 16 readable bytes (chunks_exact); the load is unaligned; SSE2
            // is part of the x86_64 baseline.
            let (q, bs, open, close) = unsafe {
                let v = _mm_loadu_si128(part.as_ptr().cast::<__m128i>());
                let folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
                let bits = |x: __m128i| u64::from(_mm_movemask_epi8(x) as u16);
                (
                    bits(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8))),
                    bits(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8))),
                    bits(_mm_cmpeq_epi8(folded, _mm_set1_epi8(b'{' as i8))),
                    bits(_mm_cmpeq_epi8(folded, _mm_set1_epi8(b'}' as i8))),
                )
            };
            let at = 16 * k;
            m.quote |= q << at;
            m.backslash |= bs << at;
            m.open |= open << at;
            m.close |= close << at;
        }
        m
    }

    /// Elsewhere: byte by byte.
    #[cfg(not(target_arch = "x86_64"))]
    fn of(blk: &[u8; 64]) -> Masks {
        let mut m = Masks::default();
        for (j, &c) in blk.iter().enumerate() {
            m.quote |= u64::from(c == b'"') << j;
            m.backslash |= u64::from(c == b'\\') << j;
            // `[` 0x5B and `{` 0x7B differ only in 0x20; so do `]` and `}`.
            m.open |= u64::from(c | 0x20 == b'{') << j;
            m.close |= u64::from(c | 0x20 == b'}') << j;
        }
        m
    }
}

/// Bit j set when an odd number of bits at or below j are set: inside a string, from the
/// opening quote up to (not including) the closing one.
fn prefix_xor(mut x: u64) -> u64 {
    for k in [1, 2, 4, 8, 16, 32] {
        x ^= x << k;
    }
    x
}

/// A block of 64 bytes without a backslash, from its masks: brackets outside strings counted
/// by popcount, one by one only where the depth may reach a new low (or 0, with `stop`).
fn block(m: &Masks, pos: usize, st: &mut State, stop: bool) -> Option<usize> {
    let inside = prefix_xor(m.quote) ^ if st.in_str { u64::MAX } else { 0 };
    st.in_str = inside >> 63 == 1;
    let (open, close) = (m.open & !inside, m.close & !inside);
    let low = st.depth - i64::from(close.count_ones());
    if low >= st.min && (!stop || low > 0) {
        st.depth = low + i64::from(open.count_ones());
        return None;
    }
    let mut bits = open | close;
    while bits != 0 {
        let j = bits.trailing_zeros();
        bits &= bits - 1;
        if open >> j & 1 == 1 {
            st.depth += 1;
        } else {
            st.depth -= 1;
            st.min = st.min.min(st.depth);
            if stop && st.depth == 0 {
                return Some(pos + j as usize + 1);
            }
        }
    }
    None
}

/// Walks `b[from..to]` from outside any string at `depth`, 64 bytes at a time (bit masks;
/// a block with a backslash byte by byte). With `stop`, returns where the depth first comes
/// back to 0.
fn walk(b: &[u8], from: usize, to: usize, depth: i64, stop: bool) -> Walk {
    let mut st = State {
        depth,
        min: depth,
        in_str: false,
        esc: false,
    };
    let to = to.min(b.len());
    let mut pos = from;
    while pos + 64 <= to {
        // Always 64 bytes (`to` is within `b`): taken without a panic path all the same.
        let Some(blk) = b
            .get(pos..pos + 64)
            .and_then(|s| <&[u8; 64]>::try_from(s).ok())
        else {
            break;
        };
        let m = Masks::of(blk);
        let closed = if m.backslash != 0 || st.esc {
            bytes(b, pos, pos + 64, &mut st, stop)
        } else {
            block(&m, pos, &mut st, stop)
        };
        if let Some(end) = closed {
            return Walk::Closed(end);
        }
        pos += 64;
    }
    if let Some(end) = bytes(b, pos, to, &mut st, stop) {
        return Walk::Closed(end);
    }
    Walk::Open {
        min: st.min,
        end: st.depth,
        in_str: st.in_str,
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

/// One member of an object: its key (as JSON text, quotes included) and its value, as byte
/// ranges.
pub type Member = (Range<usize>, Range<usize>);

/// The top-level object's members in order: each key (as JSON text, quotes included) and the
/// byte range of its value.
pub fn members(b: &[u8]) -> Result<Vec<Member>, NotAnObject> {
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
    fn random_documents_split_as_serde_reads_them() {
        // A seeded generator of nested values with strings full of quotes, backslashes and
        // brackets, long enough to cross 64-byte blocks at every offset.
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        fn value(next: &mut dyn FnMut(u64) -> u64, depth: u32) -> serde_json::Value {
            let pieces = ["a", "\\", "\"", "[", "]", "{", "}", "\\\"", " ", "é"];
            match if depth > 4 { next(3) } else { next(6) } {
                0 => serde_json::Value::from(next(1000)),
                1 | 2 => {
                    let n = next(12);
                    serde_json::Value::from(
                        (0..n)
                            .map(|_| pieces[next(10) as usize])
                            .collect::<String>(),
                    )
                }
                3 | 4 => (0..next(5)).map(|_| value(next, depth + 1)).collect(),
                _ => (0..next(5))
                    .map(|i| {
                        (
                            format!("k{i}{}", pieces[next(10) as usize]),
                            value(next, depth + 1),
                        )
                    })
                    .collect::<serde_json::Map<_, _>>()
                    .into(),
            }
        }
        for _ in 0..300 {
            let members: serde_json::Map<String, serde_json::Value> = (0..4)
                .map(|i| (format!("m{i}"), value(&mut next, 0)))
                .collect();
            let doc = serde_json::Value::Object(members.clone());
            for text in [doc.to_string(), serde_json::to_string_pretty(&doc).unwrap()] {
                let got = keys(&text);
                assert_eq!(got.len(), members.len());
                for ((k, v), (mk, mv)) in got.iter().zip(&members) {
                    assert_eq!(serde_json::from_str::<String>(k).unwrap(), *mk);
                    assert_eq!(serde_json::from_str::<serde_json::Value>(v).unwrap(), *mv);
                }
            }
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
