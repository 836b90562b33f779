//! The SQL lexer: where a statement ends (`;` outside quotes, comments and dollar
//! quoting, resumable line by line) and the tokens of one complete statement (identifiers,
//! '' / E'' strings, numbers, punctuation), as PostgreSQL reads them.

pub(super) fn hex_val(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum LexState {
    #[default]
    Normal,
    /// In '…'; `true` when backslash escapes (E'…', or standard_conforming_strings off).
    Quote(bool),
    DoubleQuote,
    /// In $tag$…$tag$.
    Dollar(Vec<u8>),
    LineComment,
    BlockComment(u32),
}

/// Finds where a statement ends (`;` outside quotes and comments), resuming across lines.
#[derive(Debug, Default)]
pub(super) struct Lexer {
    state: LexState,
    pos: usize,
}

pub(super) fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

impl Lexer {
    /// Scans `s` from where it stopped; returns the index of the terminating `;`.
    pub(super) fn scan(&mut self, s: &[u8], standard_strings: bool) -> Option<usize> {
        let mut i = self.pos;
        while i < s.len() {
            if matches!(self.state, LexState::Normal) && s[i] == b';' {
                self.pos = i + 1;
                return Some(i);
            }
            i = self.step(s, i, standard_strings) + 1;
        }
        // A quote or comment may be cut at the end of the buffer; resume a little before it
        // only in Normal state, where every byte has been classified.
        self.pos = i;
        None
    }

    /// Classifies the byte at `i` (and any that belong with it, like the second `-` of
    /// `--`); returns the index of the last byte taken.
    fn step(&mut self, s: &[u8], i: usize, standard_strings: bool) -> usize {
        let b = s[i];
        let next_is = |c: u8| s.get(i + 1) == Some(&c);
        match &mut self.state {
            LexState::Normal => return self.normal(s, i, standard_strings),
            LexState::Quote(backslash) => {
                if *backslash && b == b'\\' {
                    return i + 1;
                }
                if b == b'\'' {
                    if next_is(b'\'') {
                        return i + 1;
                    }
                    self.state = LexState::Normal;
                }
            }
            LexState::DoubleQuote => {
                if b == b'"' {
                    if next_is(b'"') {
                        return i + 1;
                    }
                    self.state = LexState::Normal;
                }
            }
            LexState::Dollar(tag) => {
                if b == b'$' && s[i..].starts_with(tag) {
                    let last = i + tag.len() - 1;
                    self.state = LexState::Normal;
                    return last;
                }
            }
            LexState::LineComment => {
                if b == b'\n' {
                    self.state = LexState::Normal;
                }
            }
            LexState::BlockComment(depth) => {
                if b == b'*' && next_is(b'/') {
                    *depth -= 1;
                    if *depth == 0 {
                        self.state = LexState::Normal;
                    }
                    return i + 1;
                }
                if b == b'/' && next_is(b'*') {
                    *depth += 1;
                    return i + 1;
                }
            }
        }
        i
    }

    /// A byte outside quotes and comments (not the `;`): what it opens, if anything.
    fn normal(&mut self, s: &[u8], i: usize, standard_strings: bool) -> usize {
        match s[i] {
            b'\'' => {
                let e_prefix = i > 0
                    && (s[i - 1] == b'E' || s[i - 1] == b'e')
                    && (i < 2 || !is_ident_byte(s[i - 2]));
                self.state = LexState::Quote(e_prefix || !standard_strings);
            }
            b'"' => self.state = LexState::DoubleQuote,
            b'-' if s.get(i + 1) == Some(&b'-') => {
                self.state = LexState::LineComment;
                return i + 1;
            }
            b'/' if s.get(i + 1) == Some(&b'*') => {
                self.state = LexState::BlockComment(1);
                return i + 1;
            }
            b'$' if i == 0 || !is_ident_byte(s[i - 1]) => {
                let mut j = i + 1;
                while j < s.len() && is_ident_byte(s[j]) {
                    j += 1;
                }
                let tag_ok =
                    j < s.len() && s[j] == b'$' && (j == i + 1 || !s[i + 1].is_ascii_digit());
                if tag_ok {
                    self.state = LexState::Dollar(s[i..=j].to_vec());
                    return j;
                }
            }
            _ => {}
        }
        i
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// An identifier or keyword; `true` when it was double-quoted.
    Ident(String, bool),
    Str(String),
    Number(String),
    Punct(u8),
}

pub(super) enum Value {
    Null,
    Text(String),
}

/// Tokens of one complete statement.
pub(super) struct Tokens<'a> {
    s: &'a [u8],
    i: usize,
    standard_strings: bool,
}

impl<'a> Tokens<'a> {
    pub(super) fn new(s: &'a [u8], standard_strings: bool) -> Tokens<'a> {
        Tokens {
            s,
            i: 0,
            standard_strings,
        }
    }

    fn skip_space(&mut self) {
        loop {
            while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
                self.i += 1;
            }
            if self.s[self.i..].starts_with(b"--") {
                while self.i < self.s.len() && self.s[self.i] != b'\n' {
                    self.i += 1;
                }
            } else if self.s[self.i..].starts_with(b"/*") {
                let mut depth = 0;
                while self.i < self.s.len() {
                    if self.s[self.i..].starts_with(b"/*") {
                        depth += 1;
                        self.i += 2;
                    } else if self.s[self.i..].starts_with(b"*/") {
                        depth -= 1;
                        self.i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        self.i += 1;
                    }
                }
            } else {
                return;
            }
        }
    }

    pub(super) fn peek_punct(&mut self, p: u8) -> bool {
        self.skip_space();
        self.s.get(self.i) == Some(&p)
    }

    pub(super) fn eat_punct(&mut self, p: u8) -> bool {
        if self.peek_punct(p) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    pub(super) fn eat_keyword(&mut self, k: &str) -> bool {
        let save = self.i;
        match self.next() {
            Some(Tok::Ident(s, false)) if s.eq_ignore_ascii_case(k) => true,
            _ => {
                self.i = save;
                false
            }
        }
    }

    /// The next token if it is an unquoted word, lower-cased.
    pub(super) fn next_keyword(&mut self) -> Option<String> {
        let save = self.i;
        match self.next() {
            Some(Tok::Ident(s, false)) => Some(s.to_ascii_lowercase()),
            _ => {
                self.i = save;
                None
            }
        }
    }

    pub(super) fn rest_keywords(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(t) = self.next() {
            if let Tok::Ident(s, false) = t {
                out.push(s.to_ascii_lowercase());
            }
        }
        out
    }

    /// `name`, `schema.name`, either part possibly "quoted".
    pub(super) fn qualified_name(&mut self) -> Option<(Option<String>, String)> {
        let first = match self.next()? {
            Tok::Ident(s, quoted) => fold(s, quoted),
            _ => return None,
        };
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            let second = match self.next()? {
                Tok::Ident(s, quoted) => fold(s, quoted),
                _ => return None,
            };
            return Some((Some(first), second));
        }
        Some((None, first))
    }

    /// `a, "B", c)` after an opening parenthesis.
    pub(super) fn ident_list(&mut self) -> Option<Vec<String>> {
        let mut out = Vec::new();
        loop {
            match self.next()? {
                Tok::Ident(s, quoted) => out.push(fold(s, quoted)),
                _ => return None,
            }
            if self.eat_punct(b',') {
                continue;
            }
            if self.eat_punct(b')') {
                return Some(out);
            }
            return None;
        }
    }

    /// Skips the rest of a CREATE TABLE item; returns the `,` or `)` that ends it.
    pub(super) fn skip_to_item_end(&mut self) -> Option<u8> {
        let mut depth = 0u32;
        loop {
            match self.next()? {
                Tok::Punct(b'(') => depth += 1,
                Tok::Punct(b')') if depth == 0 => return Some(b')'),
                Tok::Punct(b')') => depth -= 1,
                Tok::Punct(b',') if depth == 0 => return Some(b','),
                _ => {}
            }
        }
    }

    /// One value of a VALUES row, with any `::type` cast skipped.
    pub(super) fn value(&mut self) -> Option<Value> {
        let negative = self.eat_punct(b'-');
        let v = match self.next()? {
            Tok::Str(s) => Value::Text(s),
            Tok::Number(n) => Value::Text(if negative { format!("-{n}") } else { n }),
            Tok::Ident(w, false) if w.eq_ignore_ascii_case("null") => Value::Null,
            Tok::Ident(w, false) if w.eq_ignore_ascii_case("true") => Value::Text("t".into()),
            Tok::Ident(w, false) if w.eq_ignore_ascii_case("false") => Value::Text("f".into()),
            _ => return None,
        };
        if negative && !matches!(v, Value::Text(ref s) if s.starts_with('-')) {
            return None;
        }
        // `'…'::type`, with types like `numeric(12,3)`, `character varying`, `date[]`.
        while self.peek_punct(b':') && self.s.get(self.i + 1) == Some(&b':') {
            self.i += 2;
            loop {
                self.skip_space();
                match self.s.get(self.i) {
                    Some(b) if is_ident_byte(*b) || *b == b'"' || *b == b'.' => {
                        if *b == b'.' {
                            self.i += 1;
                        } else {
                            self.next()?;
                        }
                    }
                    Some(b'(') => {
                        self.i += 1;
                        self.skip_to_item_end()?;
                    }
                    Some(b'[') => {
                        while self.i < self.s.len() && self.s[self.i] != b']' {
                            self.i += 1;
                        }
                        self.i += 1;
                    }
                    _ => break,
                }
            }
        }
        Some(v)
    }

    pub(super) fn next(&mut self) -> Option<Tok> {
        self.skip_space();
        let s = self.s;
        let b = *s.get(self.i)?;
        // E'…' / e'…' escape strings; B'…' / X'…' bit strings (kept as written).
        if matches!(b, b'E' | b'e' | b'B' | b'b' | b'X' | b'x') && s.get(self.i + 1) == Some(&b'\'')
        {
            self.i += 1;
            let escape = matches!(b, b'E' | b'e');
            return self.string(escape || !self.standard_strings).map(Tok::Str);
        }
        if b == b'\'' {
            return self.string(!self.standard_strings).map(Tok::Str);
        }
        if b == b'"' {
            let mut out = Vec::new();
            self.i += 1;
            loop {
                let c = *s.get(self.i)?;
                self.i += 1;
                if c == b'"' {
                    if s.get(self.i) == Some(&b'"') {
                        out.push(b'"');
                        self.i += 1;
                        continue;
                    }
                    break;
                }
                out.push(c);
            }
            return Some(Tok::Ident(String::from_utf8_lossy(&out).into_owned(), true));
        }
        if is_ident_byte(b) && !b.is_ascii_digit() {
            let start = self.i;
            while self.i < s.len() && (is_ident_byte(s[self.i]) || s[self.i] == b'$') {
                self.i += 1;
            }
            return Some(Tok::Ident(
                String::from_utf8_lossy(&s[start..self.i]).into_owned(),
                false,
            ));
        }
        if b.is_ascii_digit() || (b == b'.' && s.get(self.i + 1).is_some_and(u8::is_ascii_digit)) {
            let start = self.i;
            while self.i < s.len() {
                let c = s[self.i];
                let exp_sign = (c == b'+' || c == b'-')
                    && self.i > start
                    && matches!(s[self.i - 1], b'e' | b'E');
                if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || exp_sign {
                    self.i += 1;
                } else {
                    break;
                }
            }
            return Some(Tok::Number(
                String::from_utf8_lossy(&s[start..self.i]).into_owned(),
            ));
        }
        self.i += 1;
        Some(Tok::Punct(b))
    }

    /// A '…' literal starting at the quote; `''` is a quote; with `escape`, backslash
    /// sequences as in E'…' strings.
    fn string(&mut self, escape: bool) -> Option<String> {
        let s = self.s;
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = *s.get(self.i)?;
            self.i += 1;
            match c {
                b'\'' => {
                    if s.get(self.i) == Some(&b'\'') {
                        out.push(b'\'');
                        self.i += 1;
                        continue;
                    }
                    break;
                }
                b'\\' if escape => self.escape(&mut out)?,
                _ => out.push(c),
            }
        }
        String::from_utf8(out).ok()
    }

    /// One backslash sequence of an E'…' string (after the backslash) onto `out`; `None`
    /// when it is cut off or names no character.
    fn escape(&mut self, out: &mut Vec<u8>) -> Option<()> {
        let s = self.s;
        let e = *s.get(self.i)?;
        self.i += 1;
        match e {
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'0'..=b'7' => {
                let mut v = (e - b'0') as u32;
                let mut k = 0;
                while k < 2 && s.get(self.i).is_some_and(|d| (b'0'..=b'7').contains(d)) {
                    v = v * 8 + (s[self.i] - b'0') as u32;
                    self.i += 1;
                    k += 1;
                }
                out.push((v & 0xff) as u8);
            }
            b'x' if s.get(self.i).is_some_and(u8::is_ascii_hexdigit) => {
                let mut v = hex_val(s[self.i]);
                self.i += 1;
                if s.get(self.i).is_some_and(u8::is_ascii_hexdigit) {
                    v = v * 16 + hex_val(s[self.i]);
                    self.i += 1;
                }
                out.push(v);
            }
            b'u' | b'U' => {
                let n = if e == b'u' { 4 } else { 8 };
                let hex = s.get(self.i..self.i + n)?;
                let cp = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                self.i += n;
                let ch = char::from_u32(cp)?;
                let mut tmp = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
            }
            other => out.push(other),
        }
        Some(())
    }
}

/// PostgreSQL folds unquoted identifiers to lower case.
fn fold(s: String, quoted: bool) -> String {
    if quoted {
        s
    } else {
        s.to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where the first statement of `sql` ends, scanned in one piece.
    fn end(sql: &str, standard_strings: bool) -> Option<usize> {
        Lexer::default().scan(sql.as_bytes(), standard_strings)
    }

    fn tokens(sql: &str) -> Vec<Tok> {
        let mut t = Tokens::new(sql.as_bytes(), true);
        std::iter::from_fn(|| t.next()).collect()
    }

    #[test]
    fn semicolons_inside_quotes_do_not_end_a_statement() {
        assert_eq!(end("SELECT 'a;b';", true), Some(12));
        assert_eq!(end("SELECT 'it''s;';", true), Some(15));
        assert_eq!(end("SELECT \"a;\"\"b\";", true), Some(14));
        assert_eq!(end("SELECT 'open;", true), None);
    }

    #[test]
    fn backslashes_escape_in_e_strings_and_without_standard_strings() {
        // E'\'' is one quote inside the string: the `;` after it is still quoted.
        assert_eq!(end(r"SELECT E'\';';", true), Some(13));
        assert_eq!(end(r"SELECT '\';';", false), Some(12));
        // With standard strings a backslash is a plain byte: the quote closes.
        assert_eq!(end(r"SELECT '\';", true), Some(10));
        // `E` as the end of a word is no prefix.
        assert_eq!(end(r"SELECT TYPE'\';", true), Some(14));
    }

    #[test]
    fn dollar_quoting_holds_semicolons_until_its_own_tag() {
        assert_eq!(end("DO $$ a; b $$;", true), Some(13));
        assert_eq!(end("DO $fn$ $$; $fn$;", true), Some(16));
        // `$1` is a parameter, not a tag; `a$b$` is an identifier.
        assert_eq!(end("SELECT $1;", true), Some(9));
        assert_eq!(end("SELECT a$b$;", true), Some(11));
    }

    #[test]
    fn comments_hide_semicolons() {
        assert_eq!(end("SELECT 1 -- no;\n;", true), Some(16));
        assert_eq!(end("SELECT /* a; /* nested; */ b; */ 1;", true), Some(34));
        assert_eq!(end("SELECT 1 - -1;", true), Some(13));
    }

    #[test]
    fn scanning_resumes_across_lines() {
        let mut lex = Lexer::default();
        let mut stmt = b"INSERT INTO t VALUES ('a;\n".to_vec();
        assert_eq!(lex.scan(&stmt, true), None);
        stmt.extend_from_slice(b"b');\n");
        assert_eq!(lex.scan(&stmt, true), Some(29));
    }

    #[test]
    fn strings_decode_their_escapes() {
        assert_eq!(
            tokens(r"E'a\tb\n\101\x41\u00e9' 'x''y'"),
            vec![Tok::Str("a\tb\nAAé".into()), Tok::Str("x'y".into())]
        );
        let mut t = Tokens::new(br"'a\n'", false);
        assert_eq!(t.next(), Some(Tok::Str("a\n".into())));
    }

    #[test]
    fn identifiers_numbers_and_punctuation() {
        assert_eq!(
            tokens("Public.\"My \"\"T\"\" \" (-1.5e-3, x)"),
            vec![
                Tok::Ident("Public".into(), false),
                Tok::Punct(b'.'),
                Tok::Ident("My \"T\" ".into(), true),
                Tok::Punct(b'('),
                Tok::Punct(b'-'),
                Tok::Number("1.5e-3".into()),
                Tok::Punct(b','),
                Tok::Ident("x".into(), false),
                Tok::Punct(b')'),
            ]
        );
    }

    #[test]
    fn values_skip_casts_and_fold_booleans() {
        let sql = b"'12.5'::numeric(12), NULL, true, -4, 'x'::character varying[]";
        let mut t = Tokens::new(sql, true);
        let mut got = Vec::new();
        loop {
            match t.value() {
                Some(Value::Text(s)) => got.push(Some(s)),
                Some(Value::Null) => got.push(None),
                None => break,
            }
            if !t.eat_punct(b',') {
                break;
            }
        }
        let want = [Some("12.5"), None, Some("t"), Some("-4"), Some("x")];
        assert_eq!(got, want.map(|w| w.map(String::from)));
    }

    #[test]
    fn names_fold_unless_quoted() {
        let mut t = Tokens::new(b"Sales.\"Shipments\" (A, \"B\")", true);
        assert_eq!(
            t.qualified_name(),
            Some((Some("sales".into()), "Shipments".into()))
        );
        assert!(t.eat_punct(b'('));
        assert_eq!(t.ident_list(), Some(vec!["a".into(), "B".into()]));
    }
}
