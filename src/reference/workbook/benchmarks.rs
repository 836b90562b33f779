//! The Commission's CBAM benchmarks workbook (IR (EU) 2025/2620), for `--benchmarks`.

use super::{data_err, figure_value, open, row_code, text};
use crate::error::Result;
use crate::model::CnCode;
use crate::reference::benchmarks::{split_route, Benchmark, BenchmarkTable};
use calamine::Data;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::path::Path;

/// Reads the Commission's CBAM benchmarks workbook. A row without a CN code continues the code
/// above (another route or production-year value); a blank Column A takes the value given for
/// the same route letter of that code, else the code's first Column A value.
pub fn read_benchmarks(path: &Path) -> Result<BenchmarkTable> {
    let bytes = std::fs::read(path).map_err(|source| crate::error::Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    read_benchmarks_from(path, &bytes)
}

/// `read_benchmarks` on the file's bytes, already read (for its digest).
pub fn read_benchmarks_from(path: &Path, bytes: &[u8]) -> Result<BenchmarkTable> {
    let (mut wb, file) = open(path, bytes)?;
    let wanted: [(&str, &[&str]); 5] = [
        ("cn code", &[]),
        ("column a+bmg", &[]),
        ("column b+bmg", &[]),
        ("column a+route", &[]),
        ("column b+route", &[]),
    ];
    for name in wb.sheet_names().to_vec() {
        let grid = wb.sheet(&name)?;
        let rows: Vec<&[Data]> = grid.rows();
        let (top, left) = grid.start();
        // The cell as the spreadsheet names it (the grid starts at the first used cell).
        let at = |i: usize, col: usize| {
            format!(
                "cell {}{}",
                crate::formats::cells::column_letters(left as usize + col),
                top as usize + i + 1
            )
        };
        let Some((h, cols)) = find_header(&rows, &wanted) else {
            continue;
        };
        let mut t = BenchmarkTable::default();
        let mut current: Option<CnCode> = None;
        let mut a_by_letter: HashMap<String, Decimal> = HashMap::new();
        let mut first_a: Option<Decimal> = None;
        for (i, r) in rows.iter().enumerate().skip(h + 1) {
            let code_text = text(r.get(cols[0]));
            if !code_text.is_empty() {
                match row_code(r.get(cols[0])).and_then(|c| CnCode::normalise(&c)) {
                    Some(c) => {
                        current = Some(c);
                        a_by_letter.clear();
                        first_a = None;
                    }
                    None => {
                        // A sector heading (Cement, Hydrogen, …).
                        current = None;
                        continue;
                    }
                }
            }
            let Some(cn) = current else { continue };
            let Some(col_b) = figure(path, &name, &at(i, cols[2]), "Column B", r.get(cols[2]))?
            else {
                continue;
            };
            let route_text = {
                let b = text(r.get(cols[4]));
                if b.is_empty() {
                    text(r.get(cols[3]))
                } else {
                    b
                }
            };
            let (letter, years) = split_route(&route_text).ok_or_else(|| {
                data_err(
                    path,
                    format!(
                        "sheet {name:?}, {}, column \"Column B production route indicator\": expected a route like (C), (1) or (F)(2), found {route_text:?}",
                        at(i, if text(r.get(cols[4])).is_empty() { cols[3] } else { cols[4] })
                    ),
                )
            })?;
            let col_a = match figure(path, &name, &at(i, cols[1]), "Column A", r.get(cols[1]))? {
                Some(a) => {
                    a_by_letter.entry(letter.clone()).or_insert(a);
                    first_a.get_or_insert(a);
                    Some(a)
                }
                None => a_by_letter.get(&letter).copied().or(first_a),
            };
            t.insert(
                cn,
                Benchmark {
                    route: letter,
                    years,
                    column_a: col_a,
                    column_b: Some(col_b),
                    source: format!("{file}, sheet {name:?}, row {}", top as usize + i + 1),
                },
            );
        }
        if t.is_empty() {
            return Err(data_err(
                path,
                format!("sheet {name:?} has the benchmark columns but no rows"),
            ));
        }
        return Ok(t);
    }
    Err(data_err(
        path,
        "no sheet with the benchmark columns (CN code, Column A BMg, Column B BMg, production route indicators) was found".into(),
    ))
}

/// A figure cell of the benchmarks workbook (messages name the row and the column).
fn figure(
    path: &Path,
    sheet: &str,
    at: &str,
    header: &str,
    c: Option<&Data>,
) -> Result<Option<Decimal>> {
    let v = figure_value(c).map_err(|found| {
        data_err(
            path,
            format!(
                "sheet {sheet:?}, {at}, column {header:?}: expected a number, \"–\" or \"N/A\", found {found}",
            ),
        )
    })?;
    match v {
        Some(v) if !crate::reference::benchmarks::benchmark_in_bounds(v) => Err(data_err(
            path,
            format!(
                "sheet {sheet:?}, {at}, column {header:?}: expected a benchmark of at most {} tCO2e/t, found {v}",
                crate::reference::benchmarks::MAX_BENCHMARK,
            ),
        )),
        v => Ok(v),
    }
}

/// The header row (within the first rows) and the column of each heading it holds.
fn find_header(rows: &[&[Data]], wanted: &[(&str, &[&str])]) -> Option<(usize, Vec<usize>)> {
    for (i, r) in rows.iter().enumerate().take(10) {
        let heads: Vec<String> = r
            .iter()
            .map(|c| text(Some(c)).to_lowercase().replace('\n', " "))
            .collect();
        let cols: Option<Vec<usize>> = wanted
            .iter()
            .map(|(must, not)| {
                heads.iter().position(|h| {
                    must.split('+').all(|m| h.contains(m)) && !not.iter().any(|x| h.contains(x))
                })
            })
            .collect();
        if let Some(cols) = cols {
            return Some((i, cols));
        }
    }
    None
}
