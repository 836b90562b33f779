//! Spreadsheet shipments (XLSX, XLS, ODS, via calamine): the first sheet or a named one, the
//! header row found by name (title rows above it are skipped), cells turned into the text a
//! CSV export would hold.
//!
//! - Dates stored as Excel serial numbers become ISO dates (`2025-10-01`).
//! - Numbers stored as numeric cells are floats in the file; they are written as the shortest
//!   decimal that reads back as the same float, which is what the spreadsheet shows for
//!   quantities of up to 15 significant digits.
//! - CN codes stored as numbers lose their leading zero in a spreadsheet: a 7-digit (or
//!   9-digit TARIC) number in the cn_code column gets it back, so `7081000` reads `07081000`.

use super::{text, InputFormat};
use crate::error::{Error, Result};
use crate::formats::cells::{self, column_letters};
use crate::formats::pgcsv::CsvSink;
use crate::formats::workbook::{Grid, Kind, Workbook};
use crate::model::REQUIRED_COLUMNS;
use calamine::Data;
use std::io::Write;
use std::path::Path;

/// The header must be within this many rows of the top of the sheet.
const HEADER_SEARCH_ROWS: usize = 50;

/// The chosen sheet of the workbook `bytes` (through the one checked opener), with its name
/// and the names of all sheets.
fn read_sheet(
    path: &Path,
    bytes: &[u8],
    format: InputFormat,
    sheet: Option<&str>,
) -> Result<(String, Grid, Vec<String>)> {
    let kind = match format {
        InputFormat::Xlsx => Kind::Xlsx,
        InputFormat::Xls => Kind::Xls,
        _ => Kind::Ods,
    };
    let mut wb = Workbook::open_as(path, bytes, kind)?;
    let names = wb.sheet_names().to_vec();
    let name = match sheet {
        Some(s) => names
            .iter()
            .find(|n| n.as_str() == s)
            .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(s)))
            .cloned()
            .ok_or_else(|| Error::Data {
                path: path.to_path_buf(),
                message: format!(
                    "no sheet named {s:?}; the workbook's sheets: {}",
                    names.join(", ")
                ),
            })?,
        None => names.first().cloned().ok_or_else(|| Error::Data {
            path: path.to_path_buf(),
            message: "the workbook has no sheets".into(),
        })?,
    };
    let grid = wb.sheet(&name)?;
    Ok((name, grid, names))
}

/// Where a shipments sheet's columns are: the sheet's name and, per column written, its
/// header (lower-case) and letter, so a finding on a field can name its cell.
#[derive(Debug, Clone, Default)]
pub struct SheetColumns {
    pub sheet: String,
    pub columns: Vec<(String, String)>,
}

impl SheetColumns {
    /// The cell of `field` on sheet row `row` (1-based), as a spreadsheet writes it:
    /// `Shipments!K7`, `'Q4 2025'!K7`.
    pub fn cell(&self, field: &str, row: u64) -> Option<String> {
        let (_, letter) = self.columns.iter().find(|(h, _)| h == field)?;
        let plain = self
            .sheet
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
        Some(if plain {
            format!("{}!{letter}{row}", self.sheet)
        } else {
            format!("'{}'!{letter}{row}", self.sheet.replace('\'', "''"))
        })
    }
}

/// Converts the sheet of the workbook `bytes` (read from `path`) to CSV; returns each row's
/// 1-based sheet row number, and where the columns are.
pub fn to_csv(
    path: &Path,
    bytes: &[u8],
    format: InputFormat,
    sheet: Option<&str>,
    out: &mut dyn Write,
) -> Result<(Vec<u64>, SheetColumns)> {
    let (name, grid, sheets) = read_sheet(path, bytes, format, sheet)?;
    let (top, left) = grid.start();
    let rows: Vec<&[Data]> = grid.rows();
    let place = SheetPlace {
        path,
        name: &name,
        sheets: &sheets,
        chosen: sheet.is_some(),
        top: top as usize,
    };
    let h = place.header_row(&rows)?;
    // Rows are as long as their last cell: the widest row gives the columns, so a value
    // right of the header's last cell is still a `column_<letter>`.
    let width = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    let header: Vec<String> = (0..width)
        .map(|j| (j, rows[h].get(j).unwrap_or(&Data::Empty)))
        .map(|(j, c)| {
            let n = cell_text(c, "");
            if n.trim().is_empty() {
                format!("column_{}", column_letters(left as usize + j))
            } else {
                n.trim().to_string()
            }
        })
        .collect();
    let lower: Vec<String> = header.iter().map(|n| n.to_ascii_lowercase()).collect();
    let werr = |source| Error::Write {
        path: "(converted input)".into(),
        source,
    };
    let mut sink = CsvSink::new(out, true);
    // Columns with an empty header and no data anywhere are layout, not data: left out.
    let used: Vec<usize> = (0..header.len())
        .filter(|&j| {
            !header[j].starts_with("column_")
                || rows[h + 1..]
                    .iter()
                    .any(|r| r.get(j).is_some_and(|c| !matches!(c, Data::Empty)))
        })
        .collect();
    sink.header(used.iter().map(|&j| header[j].as_str()))
        .map_err(werr)?;
    let mut cells: Vec<Option<String>> = Vec::with_capacity(used.len());
    for (k, row) in rows[h + 1..].iter().enumerate() {
        if row.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        cells.clear();
        for &j in &used {
            cells.push(match row.get(j) {
                None | Some(Data::Empty) => None,
                Some(c) => Some(cell_text(c, &lower[j])),
            });
        }
        let sheet_row = top as u64 + (h + 1 + k) as u64 + 1;
        sink.row(cells.iter().map(|c| c.as_deref()), sheet_row)
            .map_err(werr)?;
    }
    if sink.rows == 0 {
        return Err(Error::NoRows {
            path: path.to_path_buf(),
        });
    }
    let columns = SheetColumns {
        sheet: name.clone(),
        columns: used
            .iter()
            .map(|&j| (lower[j].clone(), column_letters(left as usize + j)))
            .collect(),
    };
    Ok((sink.origins.take().unwrap_or_default(), columns))
}

/// Where a sheet is, for finding its header and naming it in messages.
struct SheetPlace<'a> {
    path: &'a Path,
    name: &'a str,
    sheets: &'a [String],
    /// `--sheet` was given.
    chosen: bool,
    /// The sheet row (0-based) the used range starts on.
    top: usize,
}

impl SheetPlace<'_> {
    /// The header: the first row (within the first rows) naming every required column.
    fn header_row(&self, rows: &[&[Data]]) -> Result<usize> {
        let mut best: (usize, usize) = (0, 0);
        for (i, row) in rows.iter().take(HEADER_SEARCH_ROWS).enumerate() {
            let names: Vec<String> = row.iter().map(cell_name).collect();
            let have = REQUIRED_COLUMNS
                .iter()
                .filter(|r| names.iter().any(|n| n == *r))
                .count();
            if have == REQUIRED_COLUMNS.len() {
                return Ok(i);
            }
            if have > best.1 {
                best = (i, have);
            }
        }
        Err(self.no_header(rows, best))
    }

    /// No header: the closest row (`best`: its index and how many columns it names).
    fn no_header(&self, rows: &[&[Data]], best: (usize, usize)) -> Error {
        let detail = if best.1 == 0 {
            format!("none of them in the first {HEADER_SEARCH_ROWS} rows")
        } else {
            let names: Vec<String> = rows[best.0].iter().map(cell_name).collect();
            let missing: Vec<&str> = REQUIRED_COLUMNS
                .iter()
                .filter(|r| !names.iter().any(|n| n == *r))
                .copied()
                .collect();
            format!(
                "the closest is row {} with {} of them; missing: {}",
                self.top + best.0 + 1,
                best.1,
                missing.join(", ")
            )
        };
        let hint = if !self.chosen && self.sheets.len() > 1 {
            format!(
                " (the workbook's sheets: {}; choose one with --sheet)",
                self.sheets.join(", ")
            )
        } else {
            String::new()
        };
        Error::Data {
            path: self.path.to_path_buf(),
            message: format!(
                "sheet {:?}: no header row with the required columns ({}); {detail}{hint}",
                self.name,
                REQUIRED_COLUMNS.join(", ")
            ),
        }
    }
}

fn cell_name(c: &Data) -> String {
    cell_text(c, "").trim().to_ascii_lowercase()
}

/// The text of a cell as a CSV export would hold it; `column` is the lower-case header, for
/// the columns whose values intake spells its own way (see `super::text`).
pub fn cell_text(c: &Data, column: &str) -> String {
    match c {
        Data::Bool(b) => text::bool_text(column, *b).to_string(),
        _ => match cells::whole_number(c) {
            Some(digits) => text::number_text(&digits, column),
            None => cells::cell_text(c),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{ExcelDateTime, ExcelDateTimeType};

    #[test]
    fn cn_codes_get_their_leading_zero_back() {
        assert_eq!(cell_text(&Data::Float(7081000.0), "cn_code"), "07081000");
        assert_eq!(cell_text(&Data::Int(7081000), "cn_code"), "07081000");
        assert_eq!(cell_text(&Data::Float(72081000.0), "cn_code"), "72081000");
        assert_eq!(
            cell_text(&Data::Float(720810001.0), "cn_code"),
            "0720810001"
        );
        // Only in the cn_code column.
        assert_eq!(cell_text(&Data::Float(7081000.0), "net_mass_kg"), "7081000");
    }

    #[test]
    fn booleans_and_whole_numbers_take_the_intake_spelling() {
        assert_eq!(cell_text(&Data::Bool(true), "has_actual_emissions"), "YES");
        assert_eq!(cell_text(&Data::Bool(false), "note"), "false");
        assert_eq!(cell_text(&Data::Float(12450.5), "cn_code"), "12450.5");
        let d = ExcelDateTime::new(45931.0, ExcelDateTimeType::DateTime, false);
        assert_eq!(cell_text(&Data::DateTime(d), "import_date"), "2025-10-01");
    }
}
