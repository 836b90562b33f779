//! ODS: `content.xml` streamed before calamine expands repeated rows and columns.
//!
//! calamine keeps each `table:table-row` element once (its cells up to the last one with a
//! value, repeated columns expanded), then fills the area from the first to the last row with
//! a value, every repeat of a row in between expanded: that area is what is checked. Empty rows
//! after the last value (LibreOffice ends a sheet with `number-rows-repeated="1048000"` of
//! them) and empty columns after the last value are not expanded, and not counted.

use super::{
    guard_message, refuse, Guard, MAX_AREA, MAX_CELLS, MAX_COLUMNS, MAX_ROWS, MAX_TEXT_BYTES,
    MAX_XML_BYTES,
};
use crate::error::Result;
use quick_xml::events::{BytesStart, Event};
use std::io::{Cursor, Read};
use std::path::Path;

/// One `table:table-row` element as calamine keeps it.
#[derive(Default)]
struct Row {
    repeats: u64,
    /// Cells kept (up to the last with a value).
    kept: u64,
    /// Where the first value is, and the column after the last.
    first: Option<u64>,
    end: u64,
    text: u64,
    /// Pending empty columns (kept only if a value follows).
    empty: u64,
}

impl Row {
    fn cell(&mut self, repeats: u64, value: bool, text: u64) {
        let room = MAX_COLUMNS as u64 - self.kept.min(MAX_COLUMNS as u64);
        self.kept += self.empty.min(room);
        self.empty = 0;
        let room = MAX_COLUMNS as u64 - self.kept.min(MAX_COLUMNS as u64);
        let n = repeats.min(room);
        if value {
            self.first.get_or_insert(self.kept);
            self.kept += n;
            self.end = self.kept;
            self.text += text.saturating_mul(n);
        } else {
            self.empty = n;
        }
    }
}

/// What one table (sheet) would make calamine hold.
#[derive(Default)]
struct Table {
    name: String,
    rows: Vec<Row>,
    total_rows: u64,
}

impl Table {
    /// (cells kept, cells of the filled area, text bytes), and the row (1-based, as the
    /// spreadsheet numbers it) of the largest repeat inside the area.
    fn cost(&self) -> (u64, u64, u64, Option<(u64, u64)>) {
        let kept = self.rows.iter().map(|r| r.kept).sum();
        let used: Vec<usize> = (0..self.rows.len())
            .filter(|&i| self.rows[i].first.is_some())
            .collect();
        let (Some(&a), Some(&b)) = (used.first(), used.last()) else {
            return (kept, 0, 0, None);
        };
        let left = used
            .iter()
            .filter_map(|&i| self.rows[i].first)
            .min()
            .unwrap_or(0);
        let right = used.iter().map(|&i| self.rows[i].end).max().unwrap_or(0);
        let width = right.saturating_sub(left);
        let mut height = 0u64;
        let mut text = 0u64;
        let mut biggest: Option<(u64, u64)> = None;
        let mut sheet_row: u64 = self.rows[..a].iter().map(|r| r.repeats).sum::<u64>() + 1;
        for r in &self.rows[a..=b] {
            height += r.repeats;
            text = text.saturating_add(r.text.saturating_mul(r.repeats));
            if biggest.is_none_or(|(_, n)| r.repeats > n) {
                biggest = Some((sheet_row, r.repeats));
            }
            sheet_row += r.repeats;
        }
        (kept, height.saturating_mul(width), text, biggest)
    }
}

/// What the tables so far would make calamine hold (it holds every sheet at once).
#[derive(Default)]
struct Totals {
    kept: u64,
    area: u64,
    text: u64,
}

impl Totals {
    /// Adds table `t`; refused past the bounds.
    fn add(&mut self, path: &Path, t: &Table) -> Result<()> {
        let (k, a, x, biggest) = t.cost();
        self.kept = self.kept.saturating_add(k);
        self.area = self.area.saturating_add(a);
        self.text = self.text.saturating_add(x);
        if self.kept <= MAX_CELLS as u64 && self.area <= MAX_AREA && self.text <= MAX_TEXT_BYTES {
            return Ok(());
        }
        let at = biggest
            .map(|(row, n)| {
                format!(" (the largest repeat: row {row}, table:number-rows-repeated=\"{n}\")")
            })
            .unwrap_or_default();
        Err(refuse(
            path,
            format!(
                "sheet {:?}: its repeated rows and columns (table:number-rows-repeated, table:number-columns-repeated) would fill {} cells ({} MiB of text) with the sheets before it{at}; at most {MAX_AREA} cells and {} MiB are read",
                t.name,
                self.area.max(self.kept),
                self.text >> 20,
                MAX_TEXT_BYTES >> 20
            ),
        ))
    }
}

fn attr(e: &BytesStart, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == key)
        .map(|a| a.value.into_owned())
}

fn repeats(path: &Path, e: &BytesStart, key: &str) -> Result<u64> {
    match attr(e, key) {
        None => Ok(1),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map_err(|_| refuse(path, format!("content.xml: {key}=\"{v}\" is not a count"))),
    }
}

/// Walks `content.xml` (see the module comment).
pub fn check(path: &Path, bytes: &[u8]) -> Result<()> {
    let zerr = |e: zip::result::ZipError| {
        refuse(path, format!("cannot read the workbook as ods: {e} (a damaged or truncated file, or another format)"))
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zerr)?;
    let f = match zip.by_name("content.xml") {
        Ok(f) => f,
        // calamine says what is missing.
        Err(_) => return Ok(()),
    };
    let mut g = Guard::new(f, MAX_XML_BYTES);
    let walked = walk(path, &mut g);
    if let Some(t) = g.tripped {
        return Err(refuse(path, guard_message("content.xml", t, MAX_XML_BYTES)));
    }
    walked
}

fn walk(path: &Path, r: &mut impl Read) -> Result<()> {
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(r));
    let mut buf = Vec::new();
    let mut table: Option<Table> = None;
    // The open cell: its repeats, whether it has a value, its text bytes.
    let mut cell: Option<(u64, bool, u64)> = None;
    let mut totals = Totals::default();
    loop {
        buf.clear();
        let ev = xml
            .read_event_into(&mut buf)
            .map_err(|e| refuse(path, format!("content.xml: not well-formed XML: {e}")))?;
        let empty_el = matches!(ev, Event::Empty(_));
        match ev {
            Event::Start(e) | Event::Empty(e)
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                let n = repeats(path, &e, "table:number-columns-repeated")?;
                let value =
                    attr(&e, "office:value-type").is_some() || attr(&e, "table:formula").is_some();
                if empty_el {
                    if let Some(row) = table.as_mut().and_then(|t| t.rows.last_mut()) {
                        row.cell(n, value, 0);
                    }
                } else {
                    cell = Some((n, value, 0));
                }
            }
            Event::End(e)
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                if let (Some((n, value, t)), Some(row)) =
                    (cell.take(), table.as_mut().and_then(|t| t.rows.last_mut()))
                {
                    row.cell(n, value || t > 0, t);
                }
            }
            Event::Text(t) => {
                if let Some(c) = cell.as_mut() {
                    if t.bytes().any(|b| !b.is_ascii_whitespace()) {
                        c.2 += t.len() as u64;
                    }
                }
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "table:table-row" => {
                let n = repeats(path, &e, "table:number-rows-repeated")?;
                if let Some(t) = table.as_mut() {
                    let n = n.min(MAX_ROWS as u64 - t.total_rows.min(MAX_ROWS as u64));
                    t.total_rows += n;
                    t.rows.push(Row {
                        repeats: n,
                        ..Row::default()
                    });
                }
            }
            Event::Start(e) if e.name().as_ref() == "table:table" => {
                table = Some(Table {
                    name: attr(&e, "table:name").unwrap_or_default(),
                    ..Table::default()
                });
            }
            Event::End(e) if e.name().as_ref() == "table:table" => {
                if let Some(t) = table.take() {
                    totals.add(path, &t)?;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(())
}
