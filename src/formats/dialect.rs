//! Delimited-text dialects as spreadsheets write them: the field delimiter (`,` `;` tab `|`)
//! and the decimal mark of numbers (`12450.5`, or `12.450,5` with a decimal comma, as a
//! German or French spreadsheet exports it). Numbers are rewritten as text, digit for digit:
//! never through a float.

/// The delimiters a header is tried with, in the order a tie is settled after the format's own.
pub const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// The delimiter a flag names: `,` `;` `|`, a tab (`\t` as typed, a real tab, or the word
/// `tab`); also the words `comma`, `semicolon`, `pipe`.
pub fn parse_delimiter(s: &str) -> Option<u8> {
    match s {
        "," | "comma" => Some(b','),
        ";" | "semicolon" => Some(b';'),
        "\t" | "\\t" | "tab" | "TAB" | "Tab" => Some(b'\t'),
        "|" | "pipe" => Some(b'|'),
        _ => None,
    }
}

/// The delimiter as messages name it: `','`, `';'`, `tab`, `'|'`.
pub fn delimiter_name(d: u8) -> String {
    match d {
        b'\t' => "tab".to_string(),
        d => format!("'{}'", d as char),
    }
}

/// The delimiter as the report's provenance records it: the character itself.
pub fn delimiter_text(d: u8) -> &'static str {
    match d {
        b',' => ",",
        b';' => ";",
        b'\t' => "\t",
        b'|' => "|",
        _ => "?",
    }
}

/// The mark between the whole and the fractional part of a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalMark {
    /// `12450.5`: the intake's own form; no thousands separators.
    #[default]
    Point,
    /// `12.450,5`, `12 450,5`, `12450,5`: `.`, a space or a no-break space group thousands.
    Comma,
}

impl DecimalMark {
    pub fn as_str(self) -> &'static str {
        match self {
            DecimalMark::Point => ".",
            DecimalMark::Comma => ",",
        }
    }
}

/// How a CSV is written: its delimiter and the decimal mark of its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvDialect {
    pub delimiter: u8,
    pub decimal_mark: DecimalMark,
}

impl Default for CsvDialect {
    fn default() -> Self {
        CsvDialect {
            delimiter: b',',
            decimal_mark: DecimalMark::Point,
        }
    }
}

/// The thousands separators a decimal-comma number may hold: `.`, a space, a no-break space
/// (U+00A0) and a narrow no-break space (U+202F, what French locales write).
const GROUPING: [char; 4] = ['.', ' ', '\u{a0}', '\u{202f}'];

/// A number written with a decimal comma, as the same number with a decimal point (`12.345,678`
/// → `12345.678`, `-1 234` → `-1234`), or why it is not one. Strict, so no number changes
/// silently: at most one comma, with digits on both sides; thousands separators only between
/// digits of the whole part, one kind in a number, every group after the first of exactly three
/// digits (`1.234` is 1234; `1.23`, `1.2345` and `1.234.5` are refused, not guessed); a sign
/// only in front. The result is plain decimal text for the caller's own number parser.
pub fn comma_to_point(text: &str) -> Result<String, String> {
    let t = text.trim();
    let (sign, body) = match t.strip_prefix(['-', '+']) {
        Some(rest) => (&t[..1], rest),
        None => ("", t),
    };
    let mut parts = body.split(',');
    let whole = parts.next().unwrap_or("");
    let frac = parts.next();
    if parts.next().is_some() {
        return Err("more than one comma: a decimal comma appears once".into());
    }
    if whole.is_empty() {
        return Err("no digit before the decimal comma".into());
    }
    let mut out = String::with_capacity(t.len());
    out.push_str(sign);
    out.push_str(&whole_digits(whole)?);
    if let Some(f) = frac {
        if f.is_empty() {
            return Err("no digit after the decimal comma".into());
        }
        if !f.bytes().all(|b| b.is_ascii_digit()) {
            return Err(if f.contains(GROUPING) {
                "a separator after the decimal comma: thousands separators belong before it".into()
            } else {
                "not a number".into()
            });
        }
        out.push('.');
        out.push_str(f);
    }
    Ok(out)
}

/// The digits of a whole part, its thousands separators checked and dropped.
fn whole_digits(whole: &str) -> Result<String, String> {
    let seps: Vec<char> = whole.chars().filter(|c| GROUPING.contains(c)).collect();
    if whole
        .chars()
        .any(|c| !c.is_ascii_digit() && !GROUPING.contains(&c))
    {
        return Err("not a number".into());
    }
    let Some(&sep) = seps.first() else {
        return Ok(whole.to_string());
    };
    if seps.iter().any(|&c| c != sep) {
        return Err("two kinds of thousands separator in one number".into());
    }
    let groups: Vec<&str> = whole.split(sep).collect();
    let first_ok = (1..=3).contains(&groups[0].len());
    if !first_ok || groups[1..].iter().any(|g| g.len() != 3) {
        let shown = if sep == '.' {
            "'.'".to_string()
        } else {
            format!("{:?}", sep)
        };
        return Err(format!(
            "{shown} is read as a thousands separator with a decimal comma, and the groups \
             it separates are not of three digits (1.234 is 1234; 1.23 is neither 123 nor 1,23)"
        ));
    }
    Ok(groups.concat())
}

/// A plain decimal (`-12450.5`, what `Decimal` prints) written with a decimal comma
/// (`-12450,5`); `None` when `text` is not plain decimal text (digits, one optional point,
/// a sign in front), which a writer must not rewrite.
pub fn point_to_comma(text: &str) -> Option<String> {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let mut parts = body.split('.');
    let whole = parts.next().unwrap_or("");
    let frac = parts.next();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if parts.next().is_some() || !digits(whole) || frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    Some(text.replacen('.', ",", 1))
}

/// A value as `mark` writes it: unchanged with a point; with a comma, `point_to_comma`.
pub fn write_decimal(text: &str, mark: DecimalMark) -> Option<String> {
    match mark {
        DecimalMark::Point => Some(text.to_string()),
        DecimalMark::Comma => point_to_comma(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_comma_numbers() {
        for (text, want) in [
            ("12450,5", "12450.5"),
            ("12.345,678", "12345.678"),
            ("12 345,678", "12345.678"),
            ("12\u{a0}345,678", "12345.678"),
            ("1\u{202f}234\u{202f}567", "1234567"),
            ("1.234", "1234"),
            ("1.234.567,5", "1234567.5"),
            ("-12,5", "-12.5"),
            (" 24560 ", "24560"),
            ("0,001", "0.001"),
        ] {
            assert_eq!(comma_to_point(text).as_deref(), Ok(want), "{text:?}");
        }
        for text in [
            "1,2,3",
            "1.23",
            "1.2345",
            "1.234.5",
            "12,",
            ",5",
            "",
            "1.234 567",
            "12,3.4",
            "1e3",
            "12,5-",
            "1..234",
            ".234",
        ] {
            assert!(comma_to_point(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn writing_a_decimal_comma() {
        assert_eq!(point_to_comma("12450.5").as_deref(), Some("12450,5"));
        assert_eq!(point_to_comma("-0.001").as_deref(), Some("-0,001"));
        assert_eq!(point_to_comma("24560").as_deref(), Some("24560"));
        for t in ["1,5", "abc", "", "1.2.3", "1e3"] {
            assert_eq!(point_to_comma(t), None, "{t:?}");
        }
        for t in ["12450.5", "7", "-3.25"] {
            let c = point_to_comma(t).unwrap();
            assert_eq!(comma_to_point(&c).unwrap(), t);
        }
    }

    #[test]
    fn delimiters_by_name() {
        assert_eq!(parse_delimiter("tab"), Some(b'\t'));
        assert_eq!(parse_delimiter("\t"), Some(b'\t'));
        assert_eq!(parse_delimiter(";"), Some(b';'));
        assert_eq!(parse_delimiter(":"), None);
        assert_eq!(delimiter_name(b';'), "';'");
        assert_eq!(delimiter_name(b'\t'), "tab");
    }
}
