//! The decimal mark of a `;`-separated file given no `--decimal-comma`/`--decimal-point`:
//! decided from every numeric field of the file, so that no number is read differently
//! from what it says.

use super::delimited::{Layout, MAX_FIELD_BYTES};
use crate::error::{Error, Result};
use crate::formats::csvread::{BoundedRecords, Record as CsvRecord};
use crate::formats::dialect::{self, DecimalMark};
use crate::formats::lines;
use crate::model::{Col, Finding, Severity};
use std::path::Path;

/// The columns whose values the intake reads as numbers.
pub const NUMERIC_COLUMNS: [&str; 2] = ["net_mass_kg", "quantity_mwh"];

/// A value that shows a decimal mark: its line, column and text.
#[derive(Debug, Clone)]
struct Witness {
    line: u64,
    column: &'static str,
    value: String,
}

impl Witness {
    fn text(&self) -> String {
        format!(
            "line {} {} {:?}",
            self.line,
            self.column,
            crate::model::truncate_for_message(&self.value)
        )
    }
}

/// The file positions of the numeric columns in `layout`.
fn numeric_columns(layout: &Layout) -> Vec<(usize, &'static str)> {
    let mut cols = Vec::new();
    if let Some(i) = layout.known[Col::NetMassKg as usize] {
        cols.push((i, NUMERIC_COLUMNS[0]));
    }
    for (i, name) in &layout.extra {
        if super::delimited::normalised(name) == NUMERIC_COLUMNS[1] {
            cols.push((*i, NUMERIC_COLUMNS[1]));
        }
    }
    cols
}

/// The rule. A value holding a `,` cannot be a number with a decimal point (that mode has no
/// thousands separator): it shows a decimal comma (C). A value holding a `.` and no `,` that a
/// decimal comma would reject (`1.5`, `12450.75`) shows a decimal point (P). One whose dots
/// group three digits (`1.234`, `0.125`) is either (A): 1.234, or 1234 with a decimal comma.
/// C alone → decimal comma (IN021, naming the first); P (with or without A) → decimal point;
/// no value with a mark → decimal point (whole numbers read the same either way); C with P or
/// A, or A alone → refused (exit 2) naming the values, for `--decimal-comma` or
/// `--decimal-point` to say. A mark is chosen only when the other would reject a value of the
/// file or read every value the same: never a silent reading of an ambiguous number.
pub fn decimal_mark(
    path: &Path,
    display: &str,
    data: &[u8],
    layout: &Layout,
) -> Result<(DecimalMark, Option<Finding>)> {
    let cols = numeric_columns(layout);
    if cols.is_empty() {
        return Ok((DecimalMark::Point, None));
    }
    let max_fields = layout.ncols.max(1) + 1;
    let mut rdr = BoundedRecords::new(
        data,
        layout.body_start,
        data.len(),
        layout.delimiter,
        MAX_FIELD_BYTES,
        max_fields,
    );
    let mut record = CsvRecord::default();
    let mut seen: [Option<Witness>; 3] = [None, None, None];
    const C: usize = 0;
    const P: usize = 1;
    const A: usize = 2;
    while rdr.read(&mut record) {
        for &(i, column) in &cols {
            let Some(v) = record.get(i) else { continue };
            let kind = if v.contains(&b',') {
                C
            } else if !v.contains(&b'.') {
                continue;
            } else if dialect::comma_to_point(&String::from_utf8_lossy(v)).is_ok() {
                A
            } else {
                P
            };
            if seen[kind].is_none() {
                seen[kind] = Some(Witness {
                    line: lines::line_of(data, lines::skip_blank(data, record.start)),
                    column,
                    value: String::from_utf8_lossy(v).into_owned(),
                });
            }
        }
        if seen[C].is_some() && (seen[P].is_some() || seen[A].is_some()) {
            break;
        }
    }
    let [comma, point, grouped] = seen;
    let refuse = |line: u64, what: String| Error::Parse {
        path: path.to_path_buf(),
        line,
        message: format!(
            "the decimal mark is ambiguous: {what}; say which with --decimal-comma or \
             --decimal-point"
        ),
    };
    let proven_point = point.is_some();
    match (comma, point.or(grouped.clone()), grouped) {
        (Some(c), Some(p), _) => Err(refuse(
            c.line.max(p.line),
            format!(
                "{} has a decimal comma, {} a '.' and no ',' (a decimal point, or with a \
                 decimal comma a thousands separator)",
                c.text(),
                p.text()
            ),
        )),
        (Some(c), None, _) => {
            let mut f = Finding::new(
                "IN021",
                Severity::Info,
                format!(
                    "decimal comma detected: {} is written with a decimal comma and no numeric \
                     field has a '.' without a ','; numbers read as with --decimal-comma",
                    c.text()
                ),
            )
            .file(display)
            .field(c.column)
            .expected("numbers with a decimal point, or --decimal-comma")
            .found(&c.value);
            f.line = Some(c.line);
            Ok((DecimalMark::Comma, Some(f)))
        }
        (None, Some(_), Some(a)) if !proven_point => Err(refuse(
            a.line,
            format!(
                "{} is {} with a decimal point and {} with a decimal comma (a thousands \
                 separator), and no value of the file shows which mark it uses",
                a.text(),
                a.value.trim(),
                dialect::comma_to_point(&a.value).unwrap_or_default()
            ),
        )),
        _ => Ok((DecimalMark::Point, None)),
    }
}
