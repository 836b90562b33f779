//! The one way a workbook (XLSX/XLSM, XLS, ODS) is opened: every reader of shipments,
//! default values, benchmarks and Communication templates goes through [`Workbook`]. calamine
//! does the parsing; this module makes sure it never sees a file that would make it allocate
//! without bound, and contains what it can still do wrong on a damaged file:
//!
//! - XLSX: every XML part is streamed once before calamine opens the file: at most
//!   [`MAX_XML_BYTES`] of XML in all, no single tag or text longer than [`MAX_XML_RUN`]; the
//!   shared-strings table at most [`MAX_SHARED_STRINGS_BYTES`], its `uniqueCount` no larger than
//!   the strings it holds (calamine reserves that many). Sheets are read cell by cell (calamine's
//!   streaming cell reader) into a [`Grid`], never as the dense bounding box: a cell at XFD1048576
//!   costs one cell, and a declared `<dimension>` is ignored.
//! - XLS: the compound file and its BIFF records are walked before calamine (which parses every
//!   sheet when it opens the file): a sheet's DIMENSIONS and the bounding box of its cells are
//!   checked against [`MAX_AREA`].
//! - ODS: `content.xml` is streamed before calamine expands `number-rows-repeated` and
//!   `number-columns-repeated`: the area calamine would fill is checked against [`MAX_AREA`],
//!   with trailing empty rows left out as calamine leaves them out.
//! - Whatever calamine (or the zip reader under it) still does wrong on a damaged file — a
//!   panic on a truncated `.xls` — is contained at this boundary ([`contained`]) and reported as
//!   a damaged file, exit 2, naming the file.
//!
//! Every refusal is an [`Error::Data`] naming the file, and the sheet and cell where there is one.

mod ods;
mod xls;
mod xlsx;

use crate::error::{Error, Result};
use crate::formats::cells::column_letters;
use calamine::{open_workbook_from_rs, Data, Ods, Range, Reader, Xls, Xlsx};
use std::io::Cursor;
use std::path::Path;

/// Cells with a value in one sheet (XLSX), and cells of all sheets' areas (XLS, ODS).
pub const MAX_CELLS: usize = 4_000_000;
/// Rows × columns calamine may fill for a workbook's sheets (XLS, ODS: every sheet at once).
pub const MAX_AREA: u64 = 4_000_000;
/// Cells a [`Grid`] holds, each used row from the sheet's first used column to its last value.
pub const MAX_SPAN: u64 = 8_000_000;
/// Text held in the cells of one sheet.
pub const MAX_TEXT_BYTES: u64 = 64 << 20;
/// XML in all parts of an XLSX/ODS file, uncompressed.
pub const MAX_XML_BYTES: u64 = 1 << 30;
/// One tag or one text between tags.
pub const MAX_XML_RUN: u64 = 4 << 20;
/// The shared-strings part of an XLSX file, uncompressed.
pub const MAX_SHARED_STRINGS_BYTES: u64 = 64 << 20;
/// Excel's sheet: 1,048,576 rows, 16,384 columns (XFD).
pub const MAX_ROWS: u32 = 1_048_576;
pub const MAX_COLUMNS: u32 = 16_384;

/// What kind of workbook a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Xlsx,
    Xls,
    Ods,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Xlsx => "xlsx",
            Kind::Xls => "xls",
            Kind::Ods => "ods",
        }
    }

    /// The kind by the file's first bytes: a compound file is XLS, a zip with an ODF
    /// `mimetype` first is ODS, another zip XLSX.
    pub fn sniff(bytes: &[u8]) -> Option<Kind> {
        if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            Some(Kind::Xls)
        } else if bytes.starts_with(b"PK\x03\x04") {
            let ods = bytes.len() > 38
                && &bytes[30..38] == b"mimetype"
                && bytes[38..bytes.len().min(120)]
                    .windows(11)
                    .any(|w| w == b"opendocumen");
            Some(if ods { Kind::Ods } else { Kind::Xlsx })
        } else {
            None
        }
    }
}

/// A refusal of the workbook at `path`.
pub(crate) fn refuse(path: &Path, message: String) -> Error {
    Error::Data {
        path: path.to_path_buf(),
        message,
    }
}

/// A cell's name as the spreadsheet shows it (`B7`), from 0-based row and column.
pub fn cell_ref(row: u32, col: u32) -> String {
    format!("{}{}", column_letters(col as usize), row as u64 + 1)
}

/// Runs `f` (a call into calamine or the zip reader) with a panic turned into an error naming
/// the file, and the default panic message silenced for the call: the user sees one error.
pub fn contained<T>(path: &Path, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    out.unwrap_or_else(|p| {
        let why = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(refuse(
            path,
            format!(
                "cannot read the workbook ({what}): the file is damaged or truncated (the reader failed: {})",
                why.chars().take(200).collect::<String>()
            ),
        ))
    })
}

enum Inner<'b> {
    Xlsx(Box<Xlsx<Cursor<&'b [u8]>>>),
    Xls(Box<Xls<Cursor<&'b [u8]>>>),
    Ods(Box<Ods<Cursor<&'b [u8]>>>),
}

/// An open workbook, checked (see the module comment).
pub struct Workbook<'b> {
    path: &'b Path,
    kind: Kind,
    inner: Inner<'b>,
    names: Vec<String>,
}

impl<'b> Workbook<'b> {
    /// Opens `bytes` (read from `path`) as the kind its content says.
    pub fn open(path: &'b Path, bytes: &'b [u8]) -> Result<Workbook<'b>> {
        let kind = Kind::sniff(bytes).ok_or_else(|| {
            refuse(
                path,
                "cannot read the workbook: not an XLSX, XLS or ODS file (neither a zip archive nor a compound file)".into(),
            )
        })?;
        Self::open_as(path, bytes, kind)
    }

    /// Opens `bytes` as `kind` (the format the user named).
    pub fn open_as(path: &'b Path, bytes: &'b [u8], kind: Kind) -> Result<Workbook<'b>> {
        let open_err = |e: String| {
            refuse(
                path,
                format!(
                    "cannot read the workbook as {}: {e} (a damaged or truncated file, or another format)",
                    kind.name()
                ),
            )
        };
        let inner = contained(path, kind.name(), || {
            Ok(match kind {
                Kind::Xlsx => {
                    xlsx::check(path, bytes)?;
                    let wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
                        .map_err(|e: calamine::XlsxError| open_err(e.to_string()))?;
                    Inner::Xlsx(Box::new(wb))
                }
                Kind::Xls => {
                    xls::check(path, bytes)?;
                    let wb: Xls<_> = open_workbook_from_rs(Cursor::new(bytes))
                        .map_err(|e: calamine::XlsError| open_err(e.to_string()))?;
                    Inner::Xls(Box::new(wb))
                }
                Kind::Ods => {
                    ods::check(path, bytes)?;
                    let wb: Ods<_> = open_workbook_from_rs(Cursor::new(bytes))
                        .map_err(|e: calamine::OdsError| open_err(e.to_string()))?;
                    Inner::Ods(Box::new(wb))
                }
            })
        })?;
        let names = match &inner {
            Inner::Xlsx(w) => w.sheet_names(),
            Inner::Xls(w) => w.sheet_names(),
            Inner::Ods(w) => w.sheet_names(),
        };
        Ok(Workbook {
            path,
            kind,
            inner,
            names,
        })
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The sheets' names, in the workbook's order.
    pub fn sheet_names(&self) -> &[String] {
        &self.names
    }

    /// The cells of sheet `name`.
    pub fn sheet(&mut self, name: &str) -> Result<Grid> {
        let path = self.path;
        let err = |e: String| refuse(path, format!("sheet {name:?}: cannot read it: {e}"));
        match &mut self.inner {
            Inner::Xlsx(w) => contained(path, "xlsx", || xlsx::read_sheet(path, w, name)),
            Inner::Xls(w) => contained(path, "xls", || {
                w.worksheet_range(name)
                    .map(Grid::Dense)
                    .map_err(|e| err(e.to_string()))
            }),
            Inner::Ods(w) => contained(path, "ods", || {
                w.worksheet_range(name)
                    .map(Grid::Dense)
                    .map_err(|e| err(e.to_string()))
            }),
        }
    }
}

/// A sheet's cells. Rows are numbered from the first used row, cells from the first used
/// column (`start`); `rows()` gives each row from that column to its last cell.
pub enum Grid {
    /// calamine's range (XLS, ODS: already bounded by the checks at opening).
    Dense(Range<Data>),
    /// XLSX, read cell by cell: each row as long as its last value.
    Ragged {
        start: (u32, u32),
        rows: Vec<Vec<Data>>,
    },
}

impl Grid {
    /// The sheet row and column (0-based) of the first used row and column.
    pub fn start(&self) -> (u32, u32) {
        match self {
            Grid::Dense(r) => r.start().unwrap_or((0, 0)),
            Grid::Ragged { start, .. } => *start,
        }
    }

    /// The rows, from the first used one.
    pub fn rows(&self) -> Vec<&[Data]> {
        match self {
            Grid::Dense(r) => r.rows().collect(),
            Grid::Ragged { rows, .. } => rows.iter().map(Vec::as_slice).collect(),
        }
    }

    /// The cell at sheet row and column (0-based, from A1), if it holds anything.
    pub fn get_value(&self, (row, col): (u32, u32)) -> Option<&Data> {
        match self {
            Grid::Dense(r) => r.get_value((row, col)),
            Grid::Ragged { start, rows } => {
                let r = row.checked_sub(start.0)? as usize;
                let c = col.checked_sub(start.1)? as usize;
                rows.get(r)?.get(c)
            }
        }
    }
}

/// A reader that counts what passes and refuses more than `max_total` bytes in all, or a
/// stretch of more than [`MAX_XML_RUN`] bytes without a `<` (one tag and the text after it):
/// what an XML parser would have to hold at once.
pub(crate) struct Guard<R> {
    inner: R,
    pub total: u64,
    max_total: u64,
    run: u64,
    /// The bound that was passed, for the message.
    pub tripped: Option<&'static str>,
}

impl<R: std::io::Read> Guard<R> {
    pub fn new(inner: R, max_total: u64) -> Self {
        Guard {
            inner,
            total: 0,
            max_total,
            run: 0,
            tripped: None,
        }
    }
}

impl<R: std::io::Read> std::io::Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total += n as u64;
        let mut from = 0;
        for j in memchr::memchr_iter(b'<', &buf[..n]) {
            if self.run + (j - from) as u64 > MAX_XML_RUN {
                self.tripped = Some("run");
            }
            self.run = 0;
            from = j + 1;
        }
        self.run += (n - from) as u64;
        if self.run > MAX_XML_RUN {
            self.tripped = Some("run");
        }
        if self.total > self.max_total {
            self.tripped = Some("total");
        }
        if self.tripped.is_some() {
            return Err(std::io::Error::other("bound passed"));
        }
        Ok(n)
    }
}

/// The message for a tripped [`Guard`] on part `part`.
pub(crate) fn guard_message(part: &str, tripped: &str, max_total: u64) -> String {
    if tripped == "run" {
        format!(
            "{part}: a tag or text longer than {} MiB (no '<' in that many bytes); a workbook's cells are far shorter",
            MAX_XML_RUN >> 20
        )
    } else {
        format!(
            "{part}: more than {} MiB of XML once uncompressed (at most {} MiB are read)",
            max_total >> 20,
            max_total >> 20
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_is_one_error_naming_the_file() {
        let r: Result<u8> = contained(Path::new("w.xls"), "xls", || {
            let v: Vec<u8> = Vec::new();
            let i = v.len() + 3;
            Ok(v[i])
        });
        let e = r.unwrap_err().to_string();
        assert!(
            e.starts_with("w.xls: cannot read the workbook (xls): the file is damaged"),
            "{e}"
        );
        assert!(e.contains("index out of bounds"), "{e}");
        // The hook is back: a later panic would be reported as usual.
        assert!(std::panic::catch_unwind(|| ()).is_ok());
    }

    #[test]
    fn kinds_are_told_by_content() {
        assert_eq!(Kind::sniff(b"PK\x03\x04rest"), Some(Kind::Xlsx));
        assert_eq!(
            Kind::sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]),
            Some(Kind::Xls)
        );
        assert_eq!(Kind::sniff(b"shipment_id,"), None);
        let mut ods = b"PK\x03\x04".to_vec();
        ods.resize(30, 0);
        ods.extend(b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet");
        assert_eq!(Kind::sniff(&ods), Some(Kind::Ods));
    }

    #[test]
    fn the_guard_stops_a_long_run_without_a_tag() {
        use std::io::Read;
        let long = vec![b'a'; (MAX_XML_RUN + 10) as usize];
        let mut g = Guard::new(&long[..], MAX_XML_BYTES);
        let mut sink = Vec::new();
        assert!(g.read_to_end(&mut sink).is_err());
        assert_eq!(g.tripped, Some("run"));
        let ok = b"<a>x</a><b/>".repeat(1000);
        let mut g = Guard::new(&ok[..], MAX_XML_BYTES);
        assert!(g.read_to_end(&mut sink).is_ok());
        let mut g = Guard::new(&ok[..], 100);
        assert!(g.read_to_end(&mut sink).is_err());
        assert_eq!(g.tripped, Some("total"));
    }
}
