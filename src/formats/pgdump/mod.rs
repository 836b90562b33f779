//! Plain-SQL `pg_dump` output, gzip-compressed or not, read as a stream: `COPY … FROM stdin;`
//! blocks in PostgreSQL's text format, and `INSERT INTO … VALUES …` statements as written by
//! `--inserts`, `--column-inserts` and `--rows-per-insert`. Only one statement (or one COPY
//! row) is held in memory at a time, so a dump of any size reads in bounded memory.
//!
//! Values come out as PostgreSQL's text representation (what `COPY … TO` would print), `None`
//! for SQL NULL, so an export is the same whatever form the dump was made in.
//!
//! Kept apart from CBAM: the reader knows tables, columns and rows, never shipments. Layers:
//! `sniff` (what the file is), `statement` (the dump's statements and rows),
//! `copy_text` (COPY's field escapes), `lexer` (SQL quoting and tokens).

mod copy_text;
mod lexer;
mod lines;
mod sniff;
mod statement;

use crate::error::{Error, Result};
use crate::fsio::{BoundedRead, GzipBound, HashingReader, ReadDigest};
use sniff::Sniff;
use statement::Parser;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// How every message about a broken gzip layer starts.
const GZIP_DAMAGED: &str = "the gzip stream is damaged";

/// A table whose data the dump holds, with the columns its rows carry.
#[derive(Debug, Clone)]
pub struct Table {
    /// The database, in a `pg_dumpall` file (after its `\connect`); `None` in a pg_dump.
    pub database: Option<String>,
    pub schema: Option<String>,
    pub name: String,
    pub columns: Vec<String>,
    /// Line of the COPY header or of the first INSERT into the table.
    pub line: u64,
}

impl Table {
    /// `schema.name` (`database.schema.name` in a pg_dumpall file), or `name` alone when the
    /// dump does not qualify it.
    pub fn qualified(&self) -> String {
        let q = qualified(&self.schema, &self.name);
        match &self.database {
            Some(d) => format!("{d}.{q}"),
            None => q,
        }
    }

    /// Whether `--table wanted` names this table: `name`, `schema.name` or
    /// `database.schema.name`, as PostgreSQL spells the identifiers (unquoted names are lower
    /// case in a dump).
    pub fn matches(&self, wanted: &str) -> bool {
        let parts: Vec<&str> = wanted.splitn(3, '.').collect();
        match parts.as_slice() {
            [n] => self.name == *n,
            [s, n] => self.schema.as_deref() == Some(*s) && self.name == *n,
            [d, s, n] => {
                self.database.as_deref() == Some(*d)
                    && self.schema.as_deref() == Some(*s)
                    && self.name == *n
            }
            _ => false,
        }
    }
}

pub(super) fn qualified(schema: &Option<String>, name: &str) -> String {
    match schema {
        Some(s) => format!("{s}.{name}"),
        None => name.to_string(),
    }
}

/// One row's values: decoded text in one buffer, `None` for NULL.
#[derive(Debug, Default, Clone)]
pub struct Fields {
    buf: String,
    /// (end offset in `buf`, is NULL) per field.
    ends: Vec<(usize, bool)>,
}

impl Fields {
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
    pub fn get(&self, i: usize) -> Option<&str> {
        let (end, null) = *self.ends.get(i)?;
        if null {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1].0 };
        Some(&self.buf[start..end])
    }
    pub(super) fn clear(&mut self) {
        self.buf.clear();
        self.ends.clear();
    }
    pub(super) fn push_null(&mut self) {
        self.ends.push((self.buf.len(), true));
    }
    pub(super) fn push(&mut self, s: &str) {
        self.buf.push_str(s);
        self.ends.push((self.buf.len(), false));
    }
}

/// How a table's rows were written in the dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DataForm {
    Copy,
    Insert,
}

impl DataForm {
    /// The SQL statement the rows came in.
    pub fn statement(self) -> &'static str {
        match self {
            DataForm::Copy => "COPY",
            DataForm::Insert => "INSERT",
        }
    }
}

/// Rows found per table, in the order the tables' data appears.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableCount {
    pub table: String,
    pub form: DataForm,
    pub columns: usize,
    pub rows: u64,
    pub first_line: u64,
}

/// What reading a whole dump found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DumpSummary {
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
    pub gzip: bool,
    pub lines: u64,
    /// pg_dump's completion line was seen.
    pub complete: bool,
    pub tables: Vec<TableCount>,
}

/// Receives the dump's tables and rows as they stream past.
pub trait DumpVisitor {
    /// A table's data starts (a COPY block, or the first INSERT into it). Return `true` to
    /// receive its rows.
    fn table(&mut self, table: &Table) -> Result<bool>;
    /// One row of a table `table` returned `true` for; `line` is where it starts in the dump.
    fn row(&mut self, table: &Table, fields: &Fields, line: u64) -> Result<()>;
}

/// Counts rows and wants none of them: what `backup verify` needs.
pub struct CountOnly;

impl DumpVisitor for CountOnly {
    fn table(&mut self, _: &Table) -> Result<bool> {
        Ok(false)
    }
    fn row(&mut self, _: &Table, _: &Fields, _: u64) -> Result<()> {
        Ok(())
    }
}

/// Progress of a dump's reading, in compressed bytes of the file (`fsio::progress`: drawn
/// by the binary on a terminal only).
struct Progress {
    task: crate::fsio::progress::Task,
    done: u64,
}

impl Progress {
    fn new(name: &str, total: u64) -> Progress {
        Progress {
            task: crate::fsio::progress::begin(
                &format!("reading {name}"),
                Some(total),
                crate::fsio::progress::Unit::Bytes,
            ),
            done: 0,
        }
    }
    /// `read`: the file's bytes read so far (the task counts the increments).
    fn tick(&mut self, read: u64) {
        if read > self.done {
            self.task.add(read - self.done);
            self.done = read;
        }
    }
}

/// Reads a whole dump, handing tables and rows to `visitor`. Errors: `Error::Read` when the
/// file cannot be opened or read, `Error::Damaged` when its content is broken (gzip damage,
/// a COPY cut short, a row with the wrong number of fields, an unterminated statement), and
/// `Error::Data` when it is not a plain-SQL dump at all.
pub fn read_dump(path: &Path, visitor: &mut dyn DumpVisitor) -> Result<DumpSummary> {
    let outcome = read_dump_outcome(path, visitor)?;
    match outcome.damage {
        Some(e) => Err(e),
        None => Ok(outcome.summary),
    }
}

/// A dump read as far as it goes: what was found, and the damage that stopped it, if any.
#[derive(Debug)]
pub struct DumpOutcome {
    /// Tables and rows up to the damage; `sha256` and `bytes` always cover the whole file.
    pub summary: DumpSummary,
    /// `Error::Damaged` when the content is broken.
    pub damage: Option<Error>,
}

/// Like `read_dump`, but damage is returned beside what was read before it rather than as an
/// error; errors are left for files that cannot be read or are not plain-SQL dumps.
pub fn read_dump_outcome(path: &Path, visitor: &mut dyn DumpVisitor) -> Result<DumpOutcome> {
    let mut dump = OpenDump::open(path)?;
    let mut parser = Parser::new(path.to_path_buf(), dump.gzip);
    parser.gzip_bound = dump.bound;
    let mut progress = Progress::new(&dump.file_name, dump.size);
    let read = &dump.digest;
    let result = parser.run(&mut *dump.input, visitor, &mut |_lines| {
        progress.tick(read.bytes())
    });
    drop(progress);
    let damage = match result {
        Ok(()) => None,
        Err(e @ Error::Damaged { .. }) => Some(gzip_behind(e, dump.gzip, &mut *dump.input)),
        Err(e) => return Err(e),
    };
    let (sha256, bytes) = if damage.is_none() {
        (dump.digest.take_sha256(), dump.digest.bytes())
    } else {
        // Reading stopped at the damage: the digest must still be of the whole file.
        crate::fsio::file_sha256(path)?
    };
    Ok(DumpOutcome {
        summary: DumpSummary {
            file: dump.file_name,
            sha256,
            bytes,
            gzip: dump.gzip,
            lines: parser.line,
            complete: parser.complete,
            tables: parser.counts,
        },
        damage,
    })
}

/// A dump file opened for reading: decompressed when gzip, hashed as it is read.
struct OpenDump {
    input: Box<dyn BufRead>,
    digest: ReadDigest,
    gzip: bool,
    /// The bound on the decompressed dump, when it is gzip.
    bound: Option<GzipBound>,
    file_name: String,
    size: u64,
}

impl OpenDump {
    fn open(path: &Path) -> Result<OpenDump> {
        let rerr = |source| Error::Read {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(rerr)?;
        if meta.is_dir() {
            return Err(sniff::refuse_directory(path));
        }
        let file = std::fs::File::open(path).map_err(rerr)?;
        let (hashing, digest) = HashingReader::new(file);
        let mut raw = BufReader::with_capacity(1 << 16, hashing);
        let head = raw.fill_buf().map_err(rerr)?.to_vec();
        let kind = sniff::sniff(path, &head)?;
        let gzip = matches!(kind, Sniff::Gzip);
        // A pipe has no size: the ratio then applies to the compressed bytes read so far.
        let bound = GzipBound::for_size(meta.is_file().then_some(meta.len()));
        let input: Box<dyn BufRead> = match kind {
            Sniff::Gzip => {
                sniff::sniff_gzipped(path, &head)?;
                Box::new(BufReader::with_capacity(
                    1 << 18,
                    BoundedRead::new(
                        flate2::bufread::MultiGzDecoder::new(raw),
                        bound,
                        Some(digest.clone()),
                    ),
                ))
            }
            Sniff::Plain => Box::new(raw),
        };
        Ok(OpenDump {
            input,
            digest,
            gzip,
            bound: gzip.then_some(bound),
            file_name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            size: meta.len(),
        })
    }
}

/// Content damage in a gzip archive is often corruption of the archive itself: the inflater
/// turns a flipped bit into garbage rows long before the member's CRC is checked at its end.
/// Reading on to the end tells which it is, so the message names the real damage.
fn gzip_behind(content: Error, gzip: bool, rest: &mut dyn BufRead) -> Error {
    let already =
        matches!(&content, Error::Damaged { message, .. } if message.starts_with(GZIP_DAMAGED));
    if !gzip || already {
        return content;
    }
    let mut sink = [0u8; 1 << 16];
    let gz_error = loop {
        match rest.read(&mut sink) {
            Ok(0) => break None,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // Past the bound on the decompressed size: the damage found is what is known.
            Err(e) if crate::fsio::is_bound_exceeded(&e) => break None,
            Err(e) => break Some(e),
        }
    };
    match (gz_error, content) {
        (
            Some(e),
            Error::Damaged {
                path,
                line,
                table,
                message,
            },
        ) => Error::Damaged {
            path,
            line,
            table,
            message: format!(
                "{GZIP_DAMAGED} ({e}): the archive is corrupt, and what it decompresses to is garbage from line {line} on ({message})"
            ),
        },
        (_, content) => content,
    }
}
