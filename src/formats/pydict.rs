//! A reader for the Python literals in the production system's `emission_factors.py`:
//! top-level `NAME = { ... }` assignments holding dicts, lists, tuples, strings, numbers,
//! True/False/None. Numbers are kept as their source text so no value passes through f64.
//! Everything else in the module (imports, functions) is skipped, never executed.

#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    Str(String),
    /// A numeric literal exactly as written (underscores removed).
    Num(String),
    Bool(bool),
    None,
    List(Vec<PyValue>),
    Dict(Vec<DictItem>),
    /// A bare name (a reference to another constant); kept as text, never resolved.
    Name(String),
    /// `**OTHER` inside a dict display.
    Spread(String),
}

/// One `key: value` of a dict display (or `**NAME`, key and value both `Spread`), with the
/// physical line its key starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct DictItem {
    pub key: PyValue,
    pub value: PyValue,
    pub line: u64,
}

impl PyValue {
    /// The value of the first `key` of a dict.
    pub fn get(&self, key: &str) -> Option<&PyValue> {
        match self {
            PyValue::Dict(items) => items.iter().find_map(|i| match &i.key {
                PyValue::Str(s) if s == key => Some(&i.value),
                _ => None,
            }),
            _ => None,
        }
    }
    pub fn as_text(&self) -> Option<&str> {
        match self {
            PyValue::Str(s) | PyValue::Num(s) => Some(s),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub name: String,
    pub line: u64,
    pub value: PyValue,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PyError {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

/// Parses every top-level `NAME = <literal>` whose literal starts with `{`, `[` or `(`.
/// Assignments whose right-hand side is not a pure literal are reported in the second list
/// (name and the error), so a caller can say what it skipped.
pub fn parse_module(src: &str) -> (Vec<Assignment>, Vec<(String, PyError)>) {
    let mut scan = ModuleScan {
        src,
        pos: 0,
        line_no: 1,
        assignments: Vec::new(),
        skipped: Vec::new(),
    };
    while scan.pos < src.len() {
        scan.statement();
    }
    (scan.assignments, scan.skipped)
}

/// The module read line by line from `pos` (line `line_no`).
struct ModuleScan<'a> {
    src: &'a str,
    pos: usize,
    line_no: u64,
    assignments: Vec<Assignment>,
    skipped: Vec<(String, PyError)>,
}

impl<'a> ModuleScan<'a> {
    /// The line at `pos`: a top-level triple-quoted string is stepped over whole (its lines
    /// are not statements), a literal assignment is parsed to the end of its literal's line,
    /// anything else is skipped.
    fn statement(&mut self) {
        let src = self.src;
        let line_end = self.line_end(self.pos);
        let line = &src[self.pos..line_end];
        if self.skip_triple_quoted(line) || self.literal_assignment(line) {
            return;
        }
        self.pos = line_end + 1;
        self.line_no += 1;
    }

    /// The offset of the newline ending the line that holds `from` (or the end of the text).
    fn line_end(&self, from: usize) -> usize {
        memchr::memchr(b'\n', &self.src.as_bytes()[from..])
            .map(|i| from + i)
            .unwrap_or(self.src.len())
    }

    /// Steps over a top-level triple-quoted string starting on `line`; `false` when the line
    /// starts none (or it is never closed).
    fn skip_triple_quoted(&mut self, line: &str) -> bool {
        let Some(q) = triple_quote_start(line) else {
            return false;
        };
        let after = self.pos + line.find(q).unwrap_or(0) + 3;
        let Some(end) = self.src[after..].find(q) else {
            return false;
        };
        let stop = after + end + 3;
        self.line_no += self.src[self.pos..stop].matches('\n').count() as u64;
        self.pos = stop;
        true
    }

    /// Parses `NAME = {…}` (or `[…]`, `(…)`) on `line`; `false` when the line is no such
    /// assignment or its literal does not parse (then it is recorded as skipped).
    fn literal_assignment(&mut self, line: &'a str) -> bool {
        let Some((name, rhs_off)) = assignment_head(line) else {
            return false;
        };
        let start = self.pos + rhs_off;
        if !matches!(self.src.as_bytes().get(start), Some(b'{' | b'[' | b'(')) {
            return false;
        }
        let mut p = Parser {
            src: self.src.as_bytes(),
            pos: start,
            line: self.line_no,
            line_start: self.pos,
            depth: 0,
        };
        match p.value() {
            Ok(value) => {
                self.assignments.push(Assignment {
                    name: name.to_string(),
                    line: self.line_no,
                    value,
                });
                // Continue from the end of the literal's line.
                self.pos = self.line_end(p.pos) + 1;
                self.line_no = p.line + 1;
                true
            }
            Err(e) => {
                self.skipped.push((name.to_string(), e));
                false
            }
        }
    }
}

fn triple_quote_start(line: &str) -> Option<&'static str> {
    let t = line.trim_start();
    let t = t.trim_start_matches(['r', 'R', 'u', 'U', 'b', 'B', 'f', 'F']);
    if line.starts_with(' ') || line.starts_with('\t') {
        return None;
    }
    if t.starts_with("\"\"\"") {
        Some("\"\"\"")
    } else if t.starts_with("'''") {
        Some("'''")
    } else {
        None
    }
}

/// `NAME = ` or `NAME: Type = ` at column 0 → (name, offset of the right-hand side).
fn assignment_head(line: &str) -> Option<(&str, usize)> {
    let b = line.as_bytes();
    if b.is_empty() || !(b[0].is_ascii_alphabetic() || b[0] == b'_') {
        return None;
    }
    let mut i = 0;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
        i += 1;
    }
    let name = &line[..i];
    if matches!(
        name,
        "def" | "class" | "import" | "from" | "if" | "for" | "while" | "return" | "with" | "try"
    ) {
        return None;
    }
    let mut j = i;
    while j < b.len() && b[j] == b' ' {
        j += 1;
    }
    if j < b.len() && b[j] == b':' {
        // annotation: skip to '='
        while j < b.len() && b[j] != b'=' {
            j += 1;
        }
    }
    if j >= b.len() || b[j] != b'=' || b.get(j + 1) == Some(&b'=') {
        return None;
    }
    j += 1;
    while j < b.len() && b[j] == b' ' {
        j += 1;
    }
    Some((name, j))
}

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
    line: u64,
    line_start: usize,
    depth: u32,
}

const MAX_DEPTH: u32 = 64;

impl Parser<'_> {
    fn err(&self, message: impl Into<String>) -> PyError {
        PyError {
            line: self.line,
            column: (self.pos - self.line_start + 1) as u64,
            message: message.into(),
        }
    }

    fn skip_ws(&mut self) {
        while self.pos < self.src.len() {
            match self.src[self.pos] {
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    self.line_start = self.pos;
                }
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\\' if self.src.get(self.pos + 1) == Some(&b'\n') => {
                    self.pos += 2;
                    self.line += 1;
                    self.line_start = self.pos;
                }
                b'#' => {
                    while self.pos < self.src.len() && self.src[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn value(&mut self) -> Result<PyValue, PyError> {
        self.skip_ws();
        let c = self
            .peek()
            .ok_or_else(|| self.err("unexpected end of file"))?;
        match c {
            b'{' => self.container(b'}', true),
            b'[' => self.container(b']', false),
            b'(' => self.container(b')', false),
            b'"' | b'\'' => self.strings(),
            b'-' | b'+' | b'0'..=b'9' | b'.' => self.number(),
            c if c.is_ascii_alphabetic() || c == b'_' => {
                // String prefixes: r"..", u"..", b"..", f"..", rb"..".
                let mut j = self.pos;
                while j < self.src.len() && self.src[j].is_ascii_alphabetic() && j - self.pos < 2 {
                    j += 1;
                }
                if j < self.src.len()
                    && matches!(self.src[j], b'"' | b'\'')
                    && self.src[self.pos..j]
                        .iter()
                        .all(|c| b"rRuUbBfF".contains(c))
                {
                    return self.strings();
                }
                let name = self.ident();
                match name.as_str() {
                    "True" => Ok(PyValue::Bool(true)),
                    "False" => Ok(PyValue::Bool(false)),
                    "None" => Ok(PyValue::None),
                    _ => {
                        self.skip_ws();
                        if matches!(self.peek(), Some(b'(') | Some(b'.') | Some(b'[')) {
                            return Err(
                                self.err(format!("`{name}…` is an expression, not a literal"))
                            );
                        }
                        Ok(PyValue::Name(name))
                    }
                }
            }
            _ => Err(self.err(format!("unexpected character {:?}", c as char))),
        }
    }

    fn ident(&mut self) -> String {
        let s = self.pos;
        while self.pos < self.src.len()
            && (self.src[self.pos].is_ascii_alphanumeric() || self.src[self.pos] == b'_')
        {
            self.pos += 1;
        }
        String::from_utf8_lossy(&self.src[s..self.pos]).into_owned()
    }

    fn container(&mut self, close: u8, is_dict: bool) -> Result<PyValue, PyError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        self.pos += 1; // opening bracket
        let mut items = Vec::new();
        let mut pairs = Vec::new();
        let mut is_set_or_tuple_paren = false;
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Err(self.err(format!("missing closing {:?}", close as char))),
                Some(c) if c == close => {
                    self.pos += 1;
                    break;
                }
                _ => {}
            }
            if is_dict {
                let line = self.line;
                if self.src[self.pos..].starts_with(b"**") {
                    self.pos += 2;
                    self.skip_ws();
                    let name = self.ident();
                    if name.is_empty() {
                        return Err(self.err("expected a name after '**'"));
                    }
                    pairs.push(DictItem {
                        key: PyValue::Spread(name.clone()),
                        value: PyValue::Spread(name),
                        line,
                    });
                } else {
                    let k = self.value()?;
                    self.skip_ws();
                    if self.peek() != Some(b':') {
                        return Err(self.err("expected ':' after a dict key"));
                    }
                    self.pos += 1;
                    let value = self.value()?;
                    pairs.push(DictItem {
                        key: k,
                        value,
                        line,
                    });
                }
            } else {
                items.push(self.value()?);
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    is_set_or_tuple_paren = true;
                }
                Some(c) if c == close => {}
                Some(c) => {
                    return Err(self.err(format!(
                        "expected ',' or {:?}, found {:?}",
                        close as char, c as char
                    )))
                }
                None => return Err(self.err(format!("missing closing {:?}", close as char))),
            }
        }
        let _ = is_set_or_tuple_paren;
        self.depth -= 1;
        Ok(if is_dict {
            PyValue::Dict(pairs)
        } else {
            PyValue::List(items)
        })
    }

    /// One or more adjacent string literals (implicit concatenation).
    fn strings(&mut self) -> Result<PyValue, PyError> {
        let mut out = String::new();
        loop {
            self.skip_ws();
            let start = self.pos;
            let mut raw = false;
            while let Some(c) = self.peek() {
                if b"rRuUbBfF".contains(&c) {
                    raw |= c == b'r' || c == b'R';
                    self.pos += 1;
                } else {
                    break;
                }
            }
            match self.peek() {
                Some(q @ (b'"' | b'\'')) => self.string_body(q, raw, &mut out)?,
                _ => {
                    self.pos = start;
                    break;
                }
            }
        }
        Ok(PyValue::Str(out))
    }

    fn string_body(&mut self, q: u8, raw: bool, out: &mut String) -> Result<(), PyError> {
        let triple = self.src[self.pos..].starts_with(&[q, q, q]);
        self.pos += if triple { 3 } else { 1 };
        let mut buf: Vec<u8> = Vec::new();
        loop {
            let c = self.peek().ok_or_else(|| self.err("unterminated string"))?;
            if c == q && (!triple || self.src[self.pos..].starts_with(&[q, q, q])) {
                self.pos += if triple { 3 } else { 1 };
                break;
            }
            if c == b'\n' {
                if !triple {
                    return Err(self.err("end of line inside a string"));
                }
                self.line += 1;
                self.line_start = self.pos + 1;
            }
            if c == b'\\' && !raw {
                let e = self
                    .src
                    .get(self.pos + 1)
                    .copied()
                    .ok_or_else(|| self.err("unterminated string"))?;
                self.pos += 2;
                match e {
                    b'n' => buf.push(b'\n'),
                    b't' => buf.push(b'\t'),
                    b'r' => buf.push(b'\r'),
                    b'0' => buf.push(0),
                    b'\\' | b'\'' | b'"' => buf.push(e),
                    b'\n' => {
                        self.line += 1;
                        self.line_start = self.pos;
                    }
                    b'x' | b'u' | b'U' => {
                        let n = match e {
                            b'x' => 2,
                            b'u' => 4,
                            _ => 8,
                        };
                        let hex = self
                            .src
                            .get(self.pos..self.pos + n)
                            .ok_or_else(|| self.err("bad escape"))?;
                        let cp = u32::from_str_radix(std::str::from_utf8(hex).unwrap_or("zz"), 16)
                            .map_err(|_| self.err("bad escape"))?;
                        let ch = char::from_u32(cp).ok_or_else(|| self.err("bad escape"))?;
                        let mut tmp = [0u8; 4];
                        buf.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                        self.pos += n;
                    }
                    other => {
                        buf.push(b'\\');
                        buf.push(other);
                    }
                }
                continue;
            }
            buf.push(c);
            self.pos += 1;
        }
        out.push_str(&String::from_utf8_lossy(&buf));
        Ok(())
    }

    fn number(&mut self) -> Result<PyValue, PyError> {
        let s = self.pos;
        if matches!(self.peek(), Some(b'-') | Some(b'+')) {
            self.pos += 1;
        }
        while let Some(c) = self.peek() {
            if c.is_ascii_digit() || c == b'.' || c == b'_' || c == b'e' || c == b'E' {
                self.pos += 1;
                if (c == b'e' || c == b'E') && matches!(self.peek(), Some(b'-') | Some(b'+')) {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
        let text: String = String::from_utf8_lossy(&self.src[s..self.pos]).replace('_', "");
        if text.is_empty() || text == "-" || text == "+" || text == "." {
            return Err(self.err("malformed number"));
        }
        Ok(PyValue::Num(text.trim_start_matches('+').to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_dicts_with_comments_and_concatenation() {
        let src = r#"""" doc
NOT = {"x": 1}
"""
import os
A = {  # comment
    "k": {'cn_codes': ["72031000", '72044100',], "v": 1.850, "n": None, "t": True,
          "s": "a" 'b'
               "c"},
}
def f(x):
    return A[x]
B: dict = {**A, "z": (1, -2.5e3)}
"#;
        let (a, skipped) = parse_module(src);
        assert!(skipped.is_empty(), "{skipped:?}");
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].name, "A");
        let k = a[0].value.get("k").unwrap();
        assert_eq!(k.get("v"), Some(&PyValue::Num("1.850".into())));
        assert_eq!(k.get("s"), Some(&PyValue::Str("abc".into())));
        assert_eq!(
            k.get("cn_codes"),
            Some(&PyValue::List(vec![
                PyValue::Str("72031000".into()),
                PyValue::Str("72044100".into())
            ]))
        );
        assert_eq!(a[1].name, "B");
    }

    #[test]
    fn reports_position_of_errors() {
        let (a, skipped) = parse_module("X = {\n  'a': 1,\n  'b' 2,\n}\n");
        assert!(a.is_empty());
        assert_eq!(skipped[0].1.line, 3);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let src = format!("X = {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
        let (a, skipped) = parse_module(&src);
        assert!(a.is_empty());
        assert!(skipped[0].1.message.contains("nesting"));
    }
}
