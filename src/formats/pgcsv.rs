//! CSV the way PostgreSQL writes it (`COPY … TO … CSV`): an unquoted empty field is NULL, a
//! quoted empty field (`""`) is an empty string, so a NULL and an empty text survive the
//! trip through CSV as what they were.

use std::io::Write;

/// Writes CSV records, counting rows and remembering where each came from.
pub struct CsvSink<'w> {
    out: &'w mut dyn Write,
    pub rows: u64,
    /// For each data row, the line (dump) or sheet row it came from; 0 when unknown.
    pub origins: Option<Vec<u64>>,
    /// The field delimiter (`,` unless `with_delimiter`).
    delimiter: u8,
}

impl<'w> CsvSink<'w> {
    pub fn new(out: &'w mut dyn Write, keep_origins: bool) -> CsvSink<'w> {
        CsvSink {
            out,
            rows: 0,
            origins: keep_origins.then(Vec::new),
            delimiter: b',',
        }
    }

    /// Fields separated by `d` (`;`, a tab, `|`) instead of a comma; a field holding it is quoted.
    pub fn with_delimiter(mut self, d: u8) -> CsvSink<'w> {
        self.delimiter = d;
        self
    }

    pub fn header<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) -> std::io::Result<()> {
        self.record(names.into_iter().map(Some))
    }

    pub fn row<'a>(
        &mut self,
        fields: impl IntoIterator<Item = Option<&'a str>>,
        origin: u64,
    ) -> std::io::Result<()> {
        self.rows += 1;
        if let Some(o) = self.origins.as_mut() {
            o.push(origin);
        }
        self.record(fields)
    }

    fn record<'a>(
        &mut self,
        fields: impl IntoIterator<Item = Option<&'a str>>,
    ) -> std::io::Result<()> {
        for (i, f) in fields.into_iter().enumerate() {
            if i > 0 {
                self.out.write_all(&[self.delimiter])?;
            }
            if let Some(v) = f {
                write_field(self.out, v, self.delimiter)?;
            }
        }
        self.out.write_all(b"\n")
    }
}

/// One CSV field: quoted when empty (so it is not NULL), when it holds the delimiter, a quote
/// or a line break, or when it starts or ends with whitespace (so no reader trims it).
fn write_field(out: &mut dyn Write, v: &str, delimiter: u8) -> std::io::Result<()> {
    let b = v.as_bytes();
    let needs = b.is_empty()
        || b.iter()
            .any(|&c| matches!(c, b'"' | b'\n' | b'\r') || c == delimiter)
        || b[0].is_ascii_whitespace()
        || b[b.len() - 1].is_ascii_whitespace();
    if !needs {
        return out.write_all(b);
    }
    out.write_all(b"\"")?;
    let mut start = 0;
    for i in memchr::memchr_iter(b'"', b) {
        out.write_all(&b[start..=i])?;
        out.write_all(b"\"")?;
        start = i + 1;
    }
    out.write_all(&b[start..])?;
    out.write_all(b"\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(rows: &[&[Option<&str>]]) -> std::io::Result<(String, Option<Vec<u64>>)> {
        let mut out = Vec::new();
        let mut sink = CsvSink::new(&mut out, true);
        sink.header(["a", "b"])?;
        for (k, r) in rows.iter().enumerate() {
            sink.row(r.iter().copied(), 10 + k as u64)?;
        }
        assert_eq!(sink.rows, rows.len() as u64);
        let origins = sink.origins.take();
        Ok((String::from_utf8_lossy(&out).into_owned(), origins))
    }

    #[test]
    fn null_is_an_empty_field_and_an_empty_string_is_quoted() -> std::io::Result<()> {
        let (text, origins) = csv(&[&[None, Some("")], &[Some("x"), None]])?;
        assert_eq!(text, "a,b\n,\"\"\nx,\n");
        assert_eq!(origins, Some(vec![10, 11]));
        Ok(())
    }

    #[test]
    fn delimiters_quotes_breaks_and_edge_spaces_are_quoted() -> std::io::Result<()> {
        let (text, _) = csv(&[
            &[Some("1,5"), Some("say \"hi\"")],
            &[Some("two\nlines"), Some(" padded")],
            &[Some("trail "), Some("in side")],
        ])?;
        assert_eq!(
            text,
            "a,b\n\"1,5\",\"say \"\"hi\"\"\"\n\"two\nlines\",\" padded\"\n\"trail \",in side\n"
        );
        Ok(())
    }

    #[test]
    fn another_delimiter_separates_and_is_quoted() -> std::io::Result<()> {
        let mut out = Vec::new();
        let mut sink = CsvSink::new(&mut out, false).with_delimiter(b';');
        sink.header(["a", "b"])?;
        sink.row([Some("x;y"), None], 1)?;
        assert_eq!(String::from_utf8_lossy(&out), "a;b\n\"x;y\";\n");
        Ok(())
    }

    #[test]
    fn origins_are_kept_only_when_asked() -> std::io::Result<()> {
        let mut out = Vec::new();
        let mut sink = CsvSink::new(&mut out, false);
        sink.row([Some("v")], 7)?;
        assert_eq!(sink.origins, None);
        Ok(())
    }
}
