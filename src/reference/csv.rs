//! Reference CSV files read whole: records that name their file, line and column in errors.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// One record of a reference CSV, for error messages that name file, line and column.
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

/// Parses a reference CSV whose header must contain `required`.
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
    for r in required {
        if !headers.iter().any(|h| h == r) {
            return Err(Error::MissingColumns {
                path: path.to_path_buf(),
                line: 1,
                missing: r.to_string(),
                found: headers.join(", "),
            });
        }
    }
    let headers = std::rc::Rc::new(headers);
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            line: e.position().map(|p| p.line()).unwrap_or(0),
            message: e.to_string(),
        })?;
        out.push(Rec {
            path: path.to_path_buf(),
            line: rec.position().map(|p| p.line()).unwrap_or(0),
            headers: headers.clone(),
            values: rec.iter().map(|v| v.trim().to_string()).collect(),
        });
    }
    Ok(out)
}
