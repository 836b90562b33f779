//! Reference CSV files read whole: records that name their file, line and column in errors.

use crate::error::{Error, Result};
use crate::formats::lines::breaks;
use std::path::{Path, PathBuf};

/// One record of a reference CSV, for error messages that name file, line and column.
#[derive(Debug)]
pub struct Rec {
    path: PathBuf,
    pub line: u64,
    headers: std::rc::Rc<Vec<String>>,
    values: Vec<String>,
}

impl Rec {
    pub fn get(&self, col: &str) -> &str {
        self.headers
            .iter()
            .position(|h| h == col)
            .and_then(|i| self.values.get(i))
            .map(|s| s.as_str())
            .unwrap_or("")
    }
    pub fn has(&self, col: &str) -> bool {
        self.headers.iter().any(|h| h == col)
    }
    pub fn bad(&self, col: &str, expected: &str, found: &str) -> Error {
        Error::Parse {
            path: self.path.clone(),
            line: self.line,
            message: format!(
                "column {col}: expected {expected}, found {:?}",
                crate::model::truncate_for_message(found)
            ),
        }
    }
}

/// The physical line (1-based) at byte `pos` of `text`, counting on from `(at, line)` (a
/// previous position and its line) so a whole file is counted once.
fn line_at(text: &[u8], (at, line): (usize, u64), pos: usize) -> u64 {
    line + breaks(text, at, pos)
}

/// Parses a reference CSV whose header must contain `required`, read whole or refused: a
/// header name given twice, a record the csv reader cannot read (field count, a quote left
/// open) or a quoted field spanning lines (a quote left open until a later line: no reference
/// file has a multi-line value) is an error naming the file and its physical line.
pub fn csv_records(path: &Path, text: &str, required: &[&str]) -> Result<Vec<Rec>> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            line: 1,
            message: e.to_string(),
        })?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    for (i, h) in headers.iter().enumerate() {
        if let Some(j) = headers[..i].iter().position(|g| g == h) {
            return Err(Error::DuplicateColumn {
                path: path.to_path_buf(),
                line: Some(1),
                column: h.clone(),
                cells: format!("header cells {} and {}", j + 1, i + 1),
            });
        }
    }
    for r in required {
        if !headers.iter().any(|h| h == r) {
            return Err(Error::MissingColumns {
                path: path.to_path_buf(),
                line: 1,
                missing: r.to_string(),
                found: headers.join(", "),
                delimiter: None,
            });
        }
    }
    let headers = std::rc::Rc::new(headers);
    let bytes = text.as_bytes();
    let mut counted = (0usize, 1u64);
    let mut out = Vec::new();
    let mut rec = csv::StringRecord::new();
    loop {
        let more = rdr.read_record(&mut rec).map_err(|e| {
            let at = e.position().map_or(bytes.len(), |p| p.byte() as usize);
            Error::Parse {
                path: path.to_path_buf(),
                line: line_at(bytes, counted, at),
                message: e.to_string(),
            }
        })?;
        if !more {
            break;
        }
        // The reader's position is where it began looking: before any blank line it skipped.
        let mut start = rec.position().map_or(0, |p| p.byte() as usize);
        while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let line = line_at(bytes, counted, start);
        counted = (start, line);
        if let Some((i, v)) = rec
            .iter()
            .enumerate()
            .find(|(_, v)| v.contains(['\n', '\r']))
        {
            return Err(Error::Parse {
                path: path.to_path_buf(),
                line,
                message: format!(
                    "column {}: a quoted field spans lines {line}-{} (a quote left open?); a reference file holds no multi-line value",
                    headers.get(i).map_or("?", |h| h.as_str()),
                    line + breaks(v.as_bytes(), 0, v.len())
                ),
            });
        }
        out.push(Rec {
            path: path.to_path_buf(),
            line,
            headers: headers.clone(),
            values: rec.iter().map(|v| v.trim().to_string()).collect(),
        });
    }
    Ok(out)
}

/// Refuses a column of `recs` not in `known` (a misspelt optional column is never passed
/// over): an error naming the file, line 1 and the column, with the columns expected.
pub fn refuse_unknown_columns(path: &Path, text: &str, known: &[&str]) -> Result<()> {
    let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let Ok(headers) = rdr.headers() else {
        return Ok(());
    };
    match headers
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .find(|h| !known.contains(&h.as_str()))
    {
        Some(h) => Err(Error::Parse {
            path: path.to_path_buf(),
            line: 1,
            message: format!(
                "(header): column {h:?} is not a column of this file (expected: {})",
                known.join(", ")
            ),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_physical_for_every_line_ending() {
        for nl in ["\n", "\r\n", "\r"] {
            let text = ["a,b", "1,2", "3,4", "", "5,6"].join(nl) + nl;
            let recs = csv_records(Path::new("x.csv"), &text, &["a"]).unwrap();
            let lines: Vec<u64> = recs.iter().map(|r| r.line).collect();
            assert_eq!(lines, [2, 3, 5], "{nl:?}");
        }
    }

    #[test]
    fn a_field_spanning_lines_and_a_header_twice_are_refused() {
        let e = csv_records(Path::new("x.csv"), "a,b\n1,\"2\n3\"\n", &["a"]).unwrap_err();
        assert!(
            e.to_string()
                .contains("line 2: column b: a quoted field spans lines 2-3"),
            "{e}"
        );
        let e = csv_records(Path::new("x.csv"), "a,b,A\n1,2,3\n", &["a"]).unwrap_err();
        assert!(
            e.to_string().contains("\"a\" appears more than once"),
            "{e}"
        );
    }
}
