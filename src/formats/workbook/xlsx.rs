//! XLSX: the parts checked before calamine opens the file, and sheets read cell by cell.

use super::{
    cell_ref, guard_message, refuse, Grid, Guard, MAX_CELLS, MAX_COLUMNS, MAX_ROWS,
    MAX_SHARED_STRINGS_BYTES, MAX_SPAN, MAX_TEXT_BYTES, MAX_XML_BYTES,
};
use crate::error::Result;
use calamine::{Data, DataRef, Xlsx, XlsxError};
use std::io::{Cursor, Read};
use std::path::Path;

/// Parts that are not XML (pictures, embedded binaries): not scanned.
const BINARY: &[&str] = &[
    ".png", ".jpg", ".jpeg", ".gif", ".emf", ".wmf", ".bin", ".tif", ".tiff", ".bmp", ".svg",
];

/// Streams every XML part once (see the module comment of `workbook`).
pub fn check(path: &Path, bytes: &[u8]) -> Result<()> {
    let zerr = |e: zip::result::ZipError| {
        refuse(
            path,
            format!("cannot read the workbook as xlsx: {e} (a damaged or truncated file, or another format)"),
        )
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zerr)?;
    let mut total = 0u64;
    for i in 0..zip.len() {
        let f = zip.by_index(i).map_err(zerr)?;
        let name = f
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| format!("part {i}"));
        let lower = name.to_ascii_lowercase();
        if f.is_dir() || BINARY.iter().any(|b| lower.ends_with(b)) {
            continue;
        }
        let shared = lower.ends_with("sharedstrings.xml");
        let max = if shared {
            MAX_SHARED_STRINGS_BYTES
        } else {
            MAX_XML_BYTES - total
        };
        let mut g = Guard::new(f, max);
        let read = if shared {
            shared_strings(path, &name, &mut g)
        } else {
            std::io::copy(&mut g, &mut std::io::sink())
                .map(|_| ())
                .map_err(|e| refuse(path, format!("{name}: cannot read it: {e}")))
        };
        if let Some(t) = g.tripped {
            let whole = if t == "total" && !shared {
                format!("{name} (with the parts before it)")
            } else {
                name.clone()
            };
            return Err(refuse(path, guard_message(&whole, t, max)));
        }
        read?;
        total += g.total;
    }
    Ok(())
}

/// The shared strings: `uniqueCount` (calamine reserves that many strings) must not exceed
/// the strings the part holds (with slack for writers that count loosely).
fn shared_strings(path: &Path, name: &str, r: &mut impl Read) -> Result<()> {
    use quick_xml::events::Event;
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(r));
    let mut buf = Vec::new();
    let mut declared: Option<u64> = None;
    let mut held = 0u64;
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                "sst" => {
                    for a in e.attributes().flatten() {
                        if a.key.local_name().as_ref() == "uniqueCount" {
                            let v = a.value.trim().to_string();
                            declared = Some(v.parse().map_err(|_| {
                                refuse(path, format!("{name}: uniqueCount {v:?} is not a count"))
                            })?);
                        }
                    }
                }
                "si" => held += 1,
                _ => {}
            },
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(refuse(path, format!("{name}: not well-formed XML: {e}"))),
        }
    }
    if let Some(n) = declared {
        if n > held.saturating_mul(2).saturating_add(1024) {
            return Err(refuse(
                path,
                format!(
                    "{name}: the shared-strings table declares uniqueCount=\"{n}\" but holds {held} strings; a damaged or forged file"
                ),
            ));
        }
    }
    Ok(())
}

/// Sheet `name`, cell by cell, into a [`Grid`]: cells beyond XFD1048576, more than
/// [`MAX_CELLS`] values, [`MAX_TEXT_BYTES`] of text or [`MAX_SPAN`] cells held are refused.
pub fn read_sheet(path: &Path, wb: &mut Xlsx<Cursor<&[u8]>>, name: &str) -> Result<Grid> {
    let err = |e: XlsxError| refuse(path, format!("sheet {name:?}: cannot read it: {e}"));
    let mut reader = match wb.worksheet_cells_reader(name) {
        Ok(r) => r,
        // A chart sheet: no cells (as calamine's own range reader has it).
        Err(XlsxError::NotAWorksheet(_)) => {
            return Ok(Grid::Ragged {
                start: (0, 0),
                rows: Vec::new(),
            })
        }
        Err(e) => return Err(err(e)),
    };
    let mut cells: Vec<(u32, u32, Data)> = Vec::new();
    let mut text = 0u64;
    while let Some(c) = reader.next_cell().map_err(err)? {
        let (r, col) = c.get_position();
        let v = c.get_value();
        if matches!(v, DataRef::Empty) {
            continue;
        }
        if r >= MAX_ROWS || col >= MAX_COLUMNS {
            return Err(refuse(
                path,
                format!(
                    "sheet {name:?}, cell {}: beyond the last cell of a sheet (XFD1048576: {MAX_ROWS} rows, {MAX_COLUMNS} columns)",
                    cell_ref(r, col)
                ),
            ));
        }
        text += match v {
            DataRef::SharedString(s) => s.len() as u64,
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
                s.len() as u64
            }
            _ => 0,
        };
        if cells.len() >= MAX_CELLS || text > MAX_TEXT_BYTES {
            return Err(refuse(
                path,
                format!(
                    "sheet {name:?}, cell {}: more than {MAX_CELLS} cells with a value or {} MiB of text in one sheet (at most that is read)",
                    cell_ref(r, col),
                    MAX_TEXT_BYTES >> 20
                ),
            ));
        }
        cells.push((r, col, Data::from(v.clone())));
    }
    drop(reader);
    ragged(path, name, cells)
}

/// The cells (in any order; a cell given twice keeps the later) as rows from the first used
/// row and column.
fn ragged(path: &Path, name: &str, mut cells: Vec<(u32, u32, Data)>) -> Result<Grid> {
    cells.sort_by_key(|c| (c.0, c.1));
    let (Some(first), Some(last)) = (cells.first(), cells.last()) else {
        return Ok(Grid::Ragged {
            start: (0, 0),
            rows: Vec::new(),
        });
    };
    let (top, bottom) = (first.0, last.0);
    let left = cells.iter().map(|c| c.1).min().unwrap_or(0);
    // Each row from `left` to its last cell.
    let mut span = 0u64;
    let mut right = left;
    for (i, c) in cells.iter().enumerate() {
        right = right.max(c.1);
        if cells.get(i + 1).is_none_or(|n| n.0 != c.0) {
            span += (c.1 - left) as u64 + 1;
        }
    }
    if span > MAX_SPAN {
        return Err(refuse(
            path,
            format!(
                "sheet {name:?}: the used area {}:{} would take {span} cells to hold (each used row from column {} to its last value); at most {MAX_SPAN} are read",
                cell_ref(top, left),
                cell_ref(bottom, right),
                crate::formats::cells::column_letters(left as usize)
            ),
        ));
    }
    let mut rows: Vec<Vec<Data>> = vec![Vec::new(); (bottom - top) as usize + 1];
    for (r, c, v) in cells {
        let row = &mut rows[(r - top) as usize];
        let j = (c - left) as usize;
        if row.len() <= j {
            row.resize(j + 1, Data::Empty);
        }
        row[j] = v;
    }
    Ok(Grid::Ragged {
        start: (top, left),
        rows,
    })
}
