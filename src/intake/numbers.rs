//! The decimal mark of a `;`-separated file given no `--decimal-comma`/`--decimal-point`:
//! decided from every numeric field of the file, so that no number is read differently
//! from what it says.

use super::delimited::{Layout, MAX_FIELD_BYTES};
use crate::error::{Error, Result};
use crate::formats::csvread::{BoundedRecords, Record as CsvRecord};
use crate::formats::dialect::DecimalMark;
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

/// The rule. A value holding a `,` cannot be a number with a decimal point (the intake has no
/// thousands separator there): it shows a decimal comma. A value holding a `.` and no `,`
/// (`1.5`, `1.234`) may be a decimal point, or a thousands separator with a decimal comma.
/// So: some values with a comma and none with only a point → decimal comma (IN021, naming
/// the first); otherwise decimal point — unless both kinds occur, which is refused (exit 2)
/// naming one of each: `1.234` would be 1.234 or 1234, and only the user knows which.
/// Values with neither (`24560`) read the same either way.
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
    let (mut comma, mut point): (Option<Witness>, Option<Witness>) = (None, None);
    while rdr.read(&mut record) {
        for &(i, column) in &cols {
            let Some(v) = record.get(i) else { continue };
            let slot = if v.contains(&b',') {
                &mut comma
            } else if v.contains(&b'.') {
                &mut point
            } else {
                continue;
            };
            if slot.is_none() {
                *slot = Some(Witness {
                    line: lines::line_of(data, lines::skip_blank(data, record.start)),
                    column,
                    value: String::from_utf8_lossy(v).into_owned(),
                });
            }
        }
        if comma.is_some() && point.is_some() {
            break;
        }
    }
    match (comma, point) {
        (Some(c), Some(p)) => Err(Error::Parse {
            path: path.to_path_buf(),
            line: c.line.max(p.line),
            message: format!(
                "the decimal mark is ambiguous: {} has a decimal comma, {} a '.' and no ',' \
                 (a decimal point, or a thousands separator with a decimal comma: 1.234 is \
                 1.234 or 1234); say which with --decimal-comma or --decimal-point",
                c.text(),
                p.text()
            ),
        }),
        (Some(c), None) => {
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
        _ => Ok((DecimalMark::Point, None)),
    }
}
