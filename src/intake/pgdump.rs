//! Plain-SQL `pg_dump` output, gzip-compressed or not, read as a stream: `COPY … FROM stdin;`
//! blocks in PostgreSQL's text format, and `INSERT INTO … VALUES …` statements as written by
//! `--inserts`, `--column-inserts` and `--rows-per-insert`. Only one statement (or one COPY
//! row) is held in memory at a time, so a dump of any size reads in bounded memory.
//!
//! Values come out as PostgreSQL's text representation (what `COPY … TO` would print), `None`
//! for SQL NULL, so an export is the same whatever form the dump was made in.

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// pg_dump's last line: without it the dump was cut (an `--inserts` dump cut between two
/// statements parses cleanly, so this is the only sign rows are missing).
const TRAILER: &[u8] = b"-- PostgreSQL database dump complete";

/// A statement longer than this is not something pg_dump writes for a table of shipments;
/// refusing it keeps memory bounded on a damaged or hostile file.
const MAX_STATEMENT_BYTES: usize = 256 << 20;

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

fn qualified(schema: &Option<String>, name: &str) -> String {
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
    fn clear(&mut self) {
        self.buf.clear();
        self.ends.clear();
    }
    fn push_null(&mut self) {
        self.ends.push((self.buf.len(), true));
    }
    fn push(&mut self, s: &str) {
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

/// Reads the SHA-256 and byte count of everything read through it.
struct Hashing<R> {
    inner: R,
    hasher: std::rc::Rc<std::cell::RefCell<Sha256>>,
    bytes: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.borrow_mut().update(&buf[..n]);
        self.bytes.set(self.bytes.get() + n as u64);
        Ok(n)
    }
}

/// Progress on stderr, only when stderr is a terminal, at most a few times a second.
struct Progress {
    on: bool,
    total: u64,
    last: std::time::Instant,
    name: String,
    shown: bool,
}

impl Progress {
    fn new(name: &str, total: u64) -> Progress {
        use std::io::IsTerminal;
        Progress {
            on: total >= 16 << 20 && std::io::stderr().is_terminal(),
            total,
            last: std::time::Instant::now(),
            name: name.to_string(),
            shown: false,
        }
    }
    fn tick(&mut self, read: u64, lines: u64) {
        if !self.on || self.last.elapsed().as_millis() < 250 {
            return;
        }
        self.last = std::time::Instant::now();
        self.shown = true;
        let pct = read as f64 * 100.0 / self.total.max(1) as f64;
        eprint!(
            "\rcbam: reading {}: {} of {} MiB ({pct:.0}%), line {lines}   ",
            self.name,
            read >> 20,
            self.total >> 20
        );
    }
    fn done(&self) {
        if self.shown {
            eprint!("\r{:width$}\r", "", width = self.name.len() + 64);
        }
    }
}

/// What kind of file this is, from its first bytes.
enum Sniff {
    Plain,
    Gzip,
}

fn not_plain_sql(path: &Path, what: &str) -> Error {
    Error::Data {
        path: path.to_path_buf(),
        message: format!(
            "this is a {what}, not a plain-SQL dump; convert it first with \
             `pg_restore -f - {name} > {stem}.sql` (or pipe that through gzip)",
            name = path.display(),
            stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "dump".into()),
        ),
    }
}

fn sniff(path: &Path, head: &[u8]) -> Result<Sniff> {
    if head.starts_with(b"PGDMP") {
        return Err(not_plain_sql(path, "pg_dump custom-format archive (-Fc)"));
    }
    if head.len() >= 262 && &head[257..262] == b"ustar" {
        return Err(not_plain_sql(path, "pg_dump tar-format archive (-Ft)"));
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Ok(Sniff::Gzip);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(Error::Data {
            path: path.to_path_buf(),
            message: "this is a spreadsheet (zip or OLE file), not an SQL dump; \
                      use --input-format xlsx, xls or ods"
                .into(),
        });
    }
    if head.starts_with(b"BZh")
        || head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0])
        || head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
    {
        return Err(Error::Data {
            path: path.to_path_buf(),
            message: "compressed with bzip2, xz or zstd; only gzip is read: decompress it first"
                .into(),
        });
    }
    Ok(Sniff::Plain)
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
    let rerr = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(rerr)?;
    if meta.is_dir() {
        if path.join("toc.dat").exists() {
            return Err(not_plain_sql(
                path,
                "pg_dump directory-format archive (-Fd)",
            ));
        }
        return Err(Error::Data {
            path: path.to_path_buf(),
            message: "is a directory, expected a plain-SQL dump file".into(),
        });
    }
    let file = std::fs::File::open(path).map_err(rerr)?;
    let bytes_read = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let hasher = std::rc::Rc::new(std::cell::RefCell::new(Sha256::new()));
    let mut raw = BufReader::with_capacity(
        1 << 16,
        Hashing {
            inner: file,
            hasher: hasher.clone(),
            bytes: bytes_read.clone(),
        },
    );
    let head = raw.fill_buf().map_err(rerr)?.to_vec();
    let kind = sniff(path, &head)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut progress = Progress::new(&file_name, meta.len());
    let gzip = matches!(kind, Sniff::Gzip);
    let input: Box<dyn BufRead> = match kind {
        Sniff::Gzip => Box::new(BufReader::with_capacity(
            1 << 18,
            flate2::bufread::MultiGzDecoder::new(raw),
        )),
        Sniff::Plain => Box::new(raw),
    };
    let mut parser = Parser {
        path: path.to_path_buf(),
        gzip,
        line: 0,
        utf8: true,
        standard_strings: true,
        database: None,
        create_columns: rustc_hash::FxHashMap::default(),
        insert_wanted: rustc_hash::FxHashMap::default(),
        counts: Vec::new(),
        complete: false,
    };
    let mut input = input;
    let result = parser.run(&mut *input, visitor, &mut |lines| {
        progress.tick(bytes_read.get(), lines)
    });
    progress.done();
    let damage = match result {
        Ok(()) => None,
        Err(e @ Error::Damaged { .. }) => Some(gzip_behind(e, gzip, &mut *input)),
        Err(e) => return Err(e),
    };
    let (sha256, bytes) = if damage.is_none() {
        let digest = hasher.replace(Sha256::new()).finalize();
        (crate::provenance::hex(&digest), bytes_read.get())
    } else {
        // Reading stopped at the damage: the digest must still be of the whole file.
        whole_file_sha256(path)?
    };
    Ok(DumpOutcome {
        summary: DumpSummary {
            file: file_name,
            sha256,
            bytes,
            gzip,
            lines: parser.line,
            complete: parser.complete,
            tables: parser.counts,
        },
        damage,
    })
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

fn whole_file_sha256(path: &Path) -> Result<(String, u64)> {
    let rerr = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(rerr)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(rerr)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((crate::provenance::hex(&hasher.finalize()), total))
}

/// Where a table's data is being read from.
struct Current {
    table: Table,
    wanted: bool,
    count: usize,
}

struct Parser {
    path: PathBuf,
    gzip: bool,
    line: u64,
    /// `SET client_encoding`: UTF-8 unless the dump says LATIN1 / SQL_ASCII.
    utf8: bool,
    /// `SET standard_conforming_strings`: when off, backslashes escape in '' strings too.
    standard_strings: bool,
    /// The database a pg_dumpall file is in (its last `\connect`).
    database: Option<String>,
    /// Columns of each `CREATE TABLE`, for INSERTs that do not name them.
    create_columns: rustc_hash::FxHashMap<(Option<String>, String), Vec<String>>,
    /// Whether the visitor wants each INSERT-filled table's rows (asked once per table).
    insert_wanted: rustc_hash::FxHashMap<String, bool>,
    counts: Vec<TableCount>,
    complete: bool,
}

impl Parser {
    fn damaged(&self, line: u64, table: Option<String>, message: String) -> Error {
        Error::Damaged {
            path: self.path.clone(),
            line,
            table,
            message,
        }
    }

    fn read_line(&self, input: &mut dyn BufRead, buf: &mut Vec<u8>) -> Result<usize> {
        buf.clear();
        input.read_until(b'\n', buf).map_err(|e| {
            if self.gzip {
                self.damaged(
                    self.line + 1,
                    None,
                    format!("{GZIP_DAMAGED} ({e}); the archive is truncated or corrupt"),
                )
            } else {
                Error::Read {
                    path: self.path.clone(),
                    source: e,
                }
            }
        })
    }

    fn text<'b>(&self, bytes: &'b [u8], line: u64) -> Result<std::borrow::Cow<'b, str>> {
        if self.utf8 {
            std::str::from_utf8(bytes)
                .map(std::borrow::Cow::Borrowed)
                .map_err(|e| {
                    self.damaged(
                        line,
                        None,
                        format!(
                            "invalid UTF-8 in a value at byte {} (the dump declares UTF8)",
                            e.valid_up_to() + 1
                        ),
                    )
                })
        } else {
            Ok(bytes.iter().map(|&b| b as char).collect())
        }
    }

    fn run(
        &mut self,
        input: &mut dyn BufRead,
        visitor: &mut dyn DumpVisitor,
        tick: &mut dyn FnMut(u64),
    ) -> Result<()> {
        let mut buf = Vec::with_capacity(4096);
        let mut stmt: Vec<u8> = Vec::new();
        let mut lex = Lexer::default();
        let mut stmt_line = 0u64;
        let mut copy: Option<Current> = None;
        let mut fields = Fields::default();
        let mut decoded: Vec<u8> = Vec::new();
        loop {
            let n = self.read_line(input, &mut buf)?;
            if n == 0 {
                break;
            }
            self.line += 1;
            if self.line & 0x3fff == 0 {
                tick(self.line);
            }
            if let Some(cur) = copy.as_mut() {
                let mut data = &buf[..];
                if !data.ends_with(b"\n") {
                    return Err(self.damaged(
                        self.line,
                        Some(cur.table.qualified()),
                        format!(
                            "the dump ends in the middle of a COPY row of table {} \
                             (COPY started at line {}, {} rows before this one): the file is truncated",
                            cur.table.qualified(),
                            cur.table.line,
                            cur.count
                        ),
                    ));
                }
                data = &data[..data.len() - 1];
                if data.ends_with(b"\r") {
                    data = &data[..data.len() - 1];
                }
                if data == b"\\." {
                    if let Some(done) = copy.take() {
                        self.count(&done, DataForm::Copy);
                    }
                    continue;
                }
                cur.count += 1;
                // Every row is decoded, wanted or not: that is what proves the dump sound.
                self.copy_row(data, &cur.table, &mut fields, &mut decoded)?;
                if cur.wanted {
                    visitor.row(&cur.table, &fields, self.line)?;
                }
                continue;
            }
            // Outside COPY: accumulate one SQL statement.
            if stmt.is_empty() {
                let t = buf.trim_ascii();
                if t.is_empty() {
                    continue;
                }
                if t.starts_with(b"--") {
                    if t == TRAILER {
                        self.complete = true;
                    }
                    continue;
                }
                // psql meta-commands (`\restrict KEY` in pg_dump since 2025, `\connect`)
                // take the rest of their line and no semicolon.
                if t.starts_with(b"\\") {
                    if let Some(db) = connect_target(t) {
                        // Another database: its tables are not the previous one's.
                        self.create_columns.clear();
                        self.database = Some(db);
                    }
                    continue;
                }
                stmt_line = self.line;
            }
            if stmt.len() + buf.len() > MAX_STATEMENT_BYTES {
                return Err(self.damaged(
                    stmt_line,
                    None,
                    format!(
                        "an SQL statement longer than {} MiB (not something pg_dump writes)",
                        MAX_STATEMENT_BYTES >> 20
                    ),
                ));
            }
            stmt.extend_from_slice(&buf);
            if let Some(end) = lex.scan(&stmt, self.standard_strings) {
                let rest = stmt.split_off(end + 1);
                let statement = std::mem::take(&mut stmt);
                lex = Lexer::default();
                copy = self.statement(&statement, stmt_line, visitor, &mut fields)?;
                let rest_trim = rest.trim_ascii();
                if !rest_trim.is_empty() && !rest_trim.starts_with(b"--") {
                    if copy.is_some() {
                        return Err(self.damaged(
                            stmt_line,
                            None,
                            "text after `COPY … FROM stdin;` on the same line".into(),
                        ));
                    }
                    stmt = rest;
                    stmt_line = self.line;
                    if let Some(end) = lex.scan(&stmt, self.standard_strings) {
                        return Err(self.damaged(
                            stmt_line,
                            None,
                            format!(
                                "two statements on one line (at byte {}), not pg_dump's layout",
                                end + 1
                            ),
                        ));
                    }
                }
            }
        }
        tick(self.line);
        if let Some(cur) = copy {
            return Err(self.damaged(
                self.line,
                Some(cur.table.qualified()),
                format!(
                    "the dump ends inside the COPY block of table {} started at line {} \
                     (after {} rows, no `\\.` end marker): the file is truncated",
                    cur.table.qualified(),
                    cur.table.line,
                    cur.count
                ),
            ));
        }
        if !stmt.trim_ascii().is_empty() {
            return Err(self.damaged(
                stmt_line,
                None,
                format!(
                    "the dump ends inside an SQL statement started at line {stmt_line}: the file is truncated"
                ),
            ));
        }
        Ok(())
    }

    fn field_count(&self, table: &Table, got: usize) -> Error {
        self.damaged(
            self.line,
            Some(table.qualified()),
            format!(
                "COPY row of table {} has {got} fields, expected {} ({})",
                table.qualified(),
                table.columns.len(),
                table.columns.join(", ")
            ),
        )
    }

    fn count(&mut self, cur: &Current, form: DataForm) {
        let name = cur.table.qualified();
        match self
            .counts
            .iter_mut()
            .find(|c| c.table == name && c.form == form)
        {
            Some(c) => c.rows += cur.count as u64,
            None => self.counts.push(TableCount {
                table: name,
                form,
                columns: cur.table.columns.len(),
                rows: cur.count as u64,
                first_line: cur.table.line,
            }),
        }
    }

    /// Decodes one COPY text-format row into `fields`.
    fn copy_row(
        &self,
        data: &[u8],
        table: &Table,
        fields: &mut Fields,
        decoded: &mut Vec<u8>,
    ) -> Result<()> {
        fields.clear();
        for raw in data.split(|&b| b == b'\t') {
            if raw == b"\\N" {
                fields.push_null();
                continue;
            }
            if memchr::memchr(b'\\', raw).is_none() {
                fields.push(&self.text(raw, self.line)?);
                continue;
            }
            decoded.clear();
            let mut i = 0;
            while i < raw.len() {
                let b = raw[i];
                if b != b'\\' || i + 1 == raw.len() {
                    decoded.push(b);
                    i += 1;
                    continue;
                }
                let c = raw[i + 1];
                i += 2;
                match c {
                    b'b' => decoded.push(8),
                    b'f' => decoded.push(12),
                    b'n' => decoded.push(b'\n'),
                    b'r' => decoded.push(b'\r'),
                    b't' => decoded.push(b'\t'),
                    b'v' => decoded.push(11),
                    b'0'..=b'7' => {
                        let mut v = (c - b'0') as u32;
                        let mut k = 0;
                        while k < 2 && i < raw.len() && (b'0'..=b'7').contains(&raw[i]) {
                            v = v * 8 + (raw[i] - b'0') as u32;
                            i += 1;
                            k += 1;
                        }
                        decoded.push((v & 0xff) as u8);
                    }
                    b'x' if i < raw.len() && raw[i].is_ascii_hexdigit() => {
                        let mut v = hex_val(raw[i]);
                        i += 1;
                        if i < raw.len() && raw[i].is_ascii_hexdigit() {
                            v = v * 16 + hex_val(raw[i]);
                            i += 1;
                        }
                        decoded.push(v);
                    }
                    other => decoded.push(other),
                }
            }
            fields.push(&self.text(decoded, self.line)?);
        }
        if fields.len() != table.columns.len() {
            return Err(self.field_count(table, fields.len()));
        }
        Ok(())
    }

    /// Acts on one complete statement; returns the COPY block it opens, if any.
    fn statement(
        &mut self,
        stmt: &[u8],
        line: u64,
        visitor: &mut dyn DumpVisitor,
        fields: &mut Fields,
    ) -> Result<Option<Current>> {
        let mut tok = Tokens::new(stmt, self.standard_strings);
        let first = match tok.next_keyword() {
            Some(k) => k,
            None => return Ok(None),
        };
        match first.as_str() {
            "set" => {
                self.set(&mut tok, line)?;
                Ok(None)
            }
            "create" => {
                self.create(&mut tok);
                Ok(None)
            }
            "copy" => self.copy_header(&mut tok, line, visitor),
            "insert" => {
                self.insert(&mut tok, line, visitor, fields)?;
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    fn set(&mut self, tok: &mut Tokens, line: u64) -> Result<()> {
        let Some(name) = tok.next_keyword() else {
            return Ok(());
        };
        let _ = tok.eat_punct(b'=') || tok.eat_keyword("to");
        let value = match tok.next() {
            Some(Tok::Str(s)) | Some(Tok::Ident(s, _)) => s.to_ascii_lowercase(),
            _ => return Ok(()),
        };
        match name.as_str() {
            "client_encoding" => {
                self.utf8 = match value.replace(['-', '_'], "").as_str() {
                    "utf8" | "unicode" => true,
                    "latin1" | "sqlascii" | "iso88591" => false,
                    _ => {
                        return Err(Error::Data {
                            path: self.path.clone(),
                            message: format!(
                                "line {line}: client_encoding {value:?} is not supported \
                                 (UTF8, LATIN1 or SQL_ASCII); re-dump with `pg_dump -E UTF8`"
                            ),
                        })
                    }
                }
            }
            "standard_conforming_strings" => {
                self.standard_strings = matches!(value.as_str(), "on" | "true" | "1")
            }
            _ => {}
        }
        Ok(())
    }

    /// `CREATE TABLE name (col type …, CONSTRAINT …)`: remembers the column names.
    fn create(&mut self, tok: &mut Tokens) {
        loop {
            match tok.next_keyword().as_deref() {
                Some("table") => break,
                Some("unlogged" | "temporary" | "temp" | "global" | "local") => continue,
                _ => return,
            }
        }
        if tok.eat_keyword("if") {
            tok.eat_keyword("not");
            tok.eat_keyword("exists");
        }
        let Some((schema, name)) = tok.qualified_name() else {
            return;
        };
        if !tok.eat_punct(b'(') {
            return;
        }
        let mut columns = Vec::new();
        loop {
            // One item: a column definition or a table constraint, up to a top-level ',' or ')'.
            let first = tok.next();
            match first {
                Some(Tok::Ident(name, quoted)) => {
                    let lower = name.to_ascii_lowercase();
                    let constraint = !quoted
                        && matches!(
                            lower.as_str(),
                            "constraint"
                                | "primary"
                                | "unique"
                                | "check"
                                | "foreign"
                                | "exclude"
                                | "like"
                        );
                    if !constraint {
                        columns.push(name);
                    }
                }
                Some(Tok::Punct(b')')) => break,
                _ => return,
            }
            match tok.skip_to_item_end() {
                Some(b',') => continue,
                Some(b')') => break,
                _ => return,
            }
        }
        self.create_columns.insert((schema, name), columns);
    }

    fn copy_header(
        &mut self,
        tok: &mut Tokens,
        line: u64,
        visitor: &mut dyn DumpVisitor,
    ) -> Result<Option<Current>> {
        tok.eat_keyword("only");
        let Some((schema, name)) = tok.qualified_name() else {
            return Err(self.damaged(line, None, "COPY without a table name".into()));
        };
        let columns = if tok.eat_punct(b'(') {
            tok.ident_list()
                .ok_or_else(|| self.damaged(line, None, "COPY: unreadable column list".into()))?
        } else {
            self.create_columns
                .get(&(schema.clone(), name.clone()))
                .cloned()
                .ok_or_else(|| {
                    self.damaged(
                        line,
                        Some(qualified(&schema, &name)),
                        "COPY without a column list for a table the dump never created".into(),
                    )
                })?
        };
        if !(tok.eat_keyword("from") && tok.eat_keyword("stdin")) {
            // `COPY … TO …` or `FROM 'file'`: no data follows in the dump.
            return Ok(None);
        }
        let rest = tok.rest_keywords();
        if rest
            .iter()
            .any(|k| k == "csv" || k == "binary" || k == "format")
        {
            return Err(self.damaged(
                line,
                Some(qualified(&schema, &name)),
                "COPY in CSV or binary format: pg_dump writes text format; not supported".into(),
            ));
        }
        let table = Table {
            database: self.database.clone(),
            schema,
            name,
            columns,
            line,
        };
        let wanted = visitor.table(&table)?;
        Ok(Some(Current {
            table,
            wanted,
            count: 0,
        }))
    }

    fn insert(
        &mut self,
        tok: &mut Tokens,
        line: u64,
        visitor: &mut dyn DumpVisitor,
        fields: &mut Fields,
    ) -> Result<()> {
        if !tok.eat_keyword("into") {
            return Ok(());
        }
        let Some((schema, name)) = tok.qualified_name() else {
            return Err(self.damaged(line, None, "INSERT without a table name".into()));
        };
        let bad = |p: &Parser, what: &str| {
            p.damaged(
                line,
                Some(qualified(&schema, &name)),
                format!("INSERT into {}: {what}", qualified(&schema, &name)),
            )
        };
        let columns = if tok.peek_punct(b'(') {
            tok.eat_punct(b'(');
            tok.ident_list()
                .ok_or_else(|| bad(self, "unreadable column list"))?
        } else {
            self.create_columns
                .get(&(schema.clone(), name.clone()))
                .cloned()
                .ok_or_else(|| {
                    bad(
                        self,
                        "no column list and no CREATE TABLE before it (dump with --column-inserts)",
                    )
                })?
        };
        if tok.eat_keyword("overriding") {
            tok.next_keyword();
            tok.eat_keyword("value");
        }
        if !tok.eat_keyword("values") {
            // INSERT … SELECT or DEFAULT VALUES: not data pg_dump writes.
            return Ok(());
        }
        // Each INSERT continues (or starts) the table's run of rows.
        let table = Table {
            database: self.database.clone(),
            schema: schema.clone(),
            name: name.clone(),
            columns,
            line,
        };
        let key = table.qualified();
        let wanted = if let Some(w) = self.insert_wanted.get(&key) {
            *w
        } else {
            let w = visitor.table(&table)?;
            self.counts.push(TableCount {
                table: key.clone(),
                form: DataForm::Insert,
                columns: table.columns.len(),
                rows: 0,
                first_line: line,
            });
            self.insert_wanted.insert(key.clone(), w);
            w
        };
        let mut rows = 0u64;
        loop {
            if !tok.eat_punct(b'(') {
                return Err(bad(self, "expected `(` starting a row of VALUES"));
            }
            fields.clear();
            loop {
                match tok.value() {
                    Some(Value::Null) => fields.push_null(),
                    Some(Value::Text(s)) => fields.push(&s),
                    None => return Err(bad(self, "unreadable value in VALUES")),
                }
                if tok.eat_punct(b',') {
                    continue;
                }
                if tok.eat_punct(b')') {
                    break;
                }
                return Err(bad(self, "expected `,` or `)` after a value"));
            }
            if fields.len() != table.columns.len() {
                return Err(bad(
                    self,
                    &format!(
                        "a row has {} values, expected {} ({})",
                        fields.len(),
                        table.columns.len(),
                        table.columns.join(", ")
                    ),
                ));
            }
            rows += 1;
            if wanted {
                visitor.row(&table, fields, line)?;
            }
            if !tok.eat_punct(b',') {
                break;
            }
        }
        if let Some(c) = self
            .counts
            .iter_mut()
            .find(|c| c.table == key && c.form == DataForm::Insert)
        {
            c.rows += rows;
        }
        Ok(())
    }
}

/// The database of a psql `\connect` line, as pg_dumpall writes it
/// (`\connect greenlang`, `\connect -reuse-previous=on "dbname='greenlang'"`).
fn connect_target(line: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(line).ok()?;
    let rest = text
        .strip_prefix("\\connect")
        .or_else(|| text.strip_prefix("\\c "))?;
    if let Some(i) = rest.find("dbname='") {
        let after = &rest[i + 8..];
        return Some(after[..after.find('\'')?].to_string());
    }
    rest.split_whitespace()
        .find(|w| !w.starts_with('-'))
        .map(|w| w.trim_matches('"').to_string())
}

fn hex_val(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum LexState {
    #[default]
    Normal,
    /// In '…'; `true` when backslash escapes (E'…', or standard_conforming_strings off).
    Quote(bool),
    DoubleQuote,
    /// In $tag$…$tag$.
    Dollar(Vec<u8>),
    LineComment,
    BlockComment(u32),
}

/// Finds where a statement ends (`;` outside quotes and comments), resuming across lines.
#[derive(Debug, Default)]
struct Lexer {
    state: LexState,
    pos: usize,
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

impl Lexer {
    /// Scans `s` from where it stopped; returns the index of the terminating `;`.
    fn scan(&mut self, s: &[u8], standard_strings: bool) -> Option<usize> {
        let mut i = self.pos;
        while i < s.len() {
            let b = s[i];
            match &mut self.state {
                LexState::Normal => match b {
                    b';' => {
                        self.pos = i + 1;
                        return Some(i);
                    }
                    b'\'' => {
                        let e_prefix = i > 0
                            && (s[i - 1] == b'E' || s[i - 1] == b'e')
                            && (i < 2 || !is_ident_byte(s[i - 2]));
                        self.state = LexState::Quote(e_prefix || !standard_strings);
                    }
                    b'"' => self.state = LexState::DoubleQuote,
                    b'-' if s.get(i + 1) == Some(&b'-') => {
                        self.state = LexState::LineComment;
                        i += 1;
                    }
                    b'/' if s.get(i + 1) == Some(&b'*') => {
                        self.state = LexState::BlockComment(1);
                        i += 1;
                    }
                    b'$' if i == 0 || !is_ident_byte(s[i - 1]) => {
                        let mut j = i + 1;
                        while j < s.len() && (is_ident_byte(s[j])) {
                            j += 1;
                        }
                        let tag_ok = j < s.len()
                            && s[j] == b'$'
                            && (j == i + 1 || !s[i + 1].is_ascii_digit());
                        if tag_ok {
                            self.state = LexState::Dollar(s[i..=j].to_vec());
                            i = j;
                        }
                    }
                    _ => {}
                },
                LexState::Quote(backslash) => {
                    if *backslash && b == b'\\' {
                        i += 1;
                    } else if b == b'\'' {
                        if s.get(i + 1) == Some(&b'\'') {
                            i += 1;
                        } else {
                            self.state = LexState::Normal;
                        }
                    }
                }
                LexState::DoubleQuote => {
                    if b == b'"' {
                        if s.get(i + 1) == Some(&b'"') {
                            i += 1;
                        } else {
                            self.state = LexState::Normal;
                        }
                    }
                }
                LexState::Dollar(tag) => {
                    if b == b'$' && s[i..].starts_with(tag) {
                        i += tag.len() - 1;
                        self.state = LexState::Normal;
                    }
                }
                LexState::LineComment => {
                    if b == b'\n' {
                        self.state = LexState::Normal;
                    }
                }
                LexState::BlockComment(depth) => {
                    if b == b'*' && s.get(i + 1) == Some(&b'/') {
                        *depth -= 1;
                        i += 1;
                        if *depth == 0 {
                            self.state = LexState::Normal;
                        }
                    } else if b == b'/' && s.get(i + 1) == Some(&b'*') {
                        *depth += 1;
                        i += 1;
                    }
                }
            }
            i += 1;
        }
        // A quote or comment may be cut at the end of the buffer; resume a little before it
        // only in Normal state, where every byte has been classified.
        self.pos = i;
        None
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// An identifier or keyword; `true` when it was double-quoted.
    Ident(String, bool),
    Str(String),
    Number(String),
    Punct(u8),
}

enum Value {
    Null,
    Text(String),
}

/// Tokens of one complete statement.
struct Tokens<'a> {
    s: &'a [u8],
    i: usize,
    standard_strings: bool,
}

impl<'a> Tokens<'a> {
    fn new(s: &'a [u8], standard_strings: bool) -> Tokens<'a> {
        Tokens {
            s,
            i: 0,
            standard_strings,
        }
    }

    fn skip_space(&mut self) {
        loop {
            while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
                self.i += 1;
            }
            if self.s[self.i..].starts_with(b"--") {
                while self.i < self.s.len() && self.s[self.i] != b'\n' {
                    self.i += 1;
                }
            } else if self.s[self.i..].starts_with(b"/*") {
                let mut depth = 0;
                while self.i < self.s.len() {
                    if self.s[self.i..].starts_with(b"/*") {
                        depth += 1;
                        self.i += 2;
                    } else if self.s[self.i..].starts_with(b"*/") {
                        depth -= 1;
                        self.i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        self.i += 1;
                    }
                }
            } else {
                return;
            }
        }
    }

    fn peek_punct(&mut self, p: u8) -> bool {
        self.skip_space();
        self.s.get(self.i) == Some(&p)
    }

    fn eat_punct(&mut self, p: u8) -> bool {
        if self.peek_punct(p) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn eat_keyword(&mut self, k: &str) -> bool {
        let save = self.i;
        match self.next() {
            Some(Tok::Ident(s, false)) if s.eq_ignore_ascii_case(k) => true,
            _ => {
                self.i = save;
                false
            }
        }
    }

    /// The next token if it is an unquoted word, lower-cased.
    fn next_keyword(&mut self) -> Option<String> {
        let save = self.i;
        match self.next() {
            Some(Tok::Ident(s, false)) => Some(s.to_ascii_lowercase()),
            _ => {
                self.i = save;
                None
            }
        }
    }

    fn rest_keywords(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(t) = self.next() {
            if let Tok::Ident(s, false) = t {
                out.push(s.to_ascii_lowercase());
            }
        }
        out
    }

    /// `name`, `schema.name`, either part possibly "quoted".
    fn qualified_name(&mut self) -> Option<(Option<String>, String)> {
        let first = match self.next()? {
            Tok::Ident(s, quoted) => fold(s, quoted),
            _ => return None,
        };
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            let second = match self.next()? {
                Tok::Ident(s, quoted) => fold(s, quoted),
                _ => return None,
            };
            return Some((Some(first), second));
        }
        Some((None, first))
    }

    /// `a, "B", c)` after an opening parenthesis.
    fn ident_list(&mut self) -> Option<Vec<String>> {
        let mut out = Vec::new();
        loop {
            match self.next()? {
                Tok::Ident(s, quoted) => out.push(fold(s, quoted)),
                _ => return None,
            }
            if self.eat_punct(b',') {
                continue;
            }
            if self.eat_punct(b')') {
                return Some(out);
            }
            return None;
        }
    }

    /// Skips the rest of a CREATE TABLE item; returns the `,` or `)` that ends it.
    fn skip_to_item_end(&mut self) -> Option<u8> {
        let mut depth = 0u32;
        loop {
            match self.next()? {
                Tok::Punct(b'(') => depth += 1,
                Tok::Punct(b')') if depth == 0 => return Some(b')'),
                Tok::Punct(b')') => depth -= 1,
                Tok::Punct(b',') if depth == 0 => return Some(b','),
                _ => {}
            }
        }
    }

    /// One value of a VALUES row, with any `::type` cast skipped.
    fn value(&mut self) -> Option<Value> {
        let negative = self.eat_punct(b'-');
        let v = match self.next()? {
            Tok::Str(s) => Value::Text(s),
            Tok::Number(n) => Value::Text(if negative { format!("-{n}") } else { n }),
            Tok::Ident(w, false) if w.eq_ignore_ascii_case("null") => Value::Null,
            Tok::Ident(w, false) if w.eq_ignore_ascii_case("true") => Value::Text("t".into()),
            Tok::Ident(w, false) if w.eq_ignore_ascii_case("false") => Value::Text("f".into()),
            _ => return None,
        };
        if negative && !matches!(v, Value::Text(ref s) if s.starts_with('-')) {
            return None;
        }
        // `'…'::type`, with types like `numeric(12,3)`, `character varying`, `date[]`.
        while self.peek_punct(b':') && self.s.get(self.i + 1) == Some(&b':') {
            self.i += 2;
            loop {
                self.skip_space();
                match self.s.get(self.i) {
                    Some(b) if is_ident_byte(*b) || *b == b'"' || *b == b'.' => {
                        if *b == b'.' {
                            self.i += 1;
                        } else {
                            self.next()?;
                        }
                    }
                    Some(b'(') => {
                        self.i += 1;
                        self.skip_to_item_end()?;
                    }
                    Some(b'[') => {
                        while self.i < self.s.len() && self.s[self.i] != b']' {
                            self.i += 1;
                        }
                        self.i += 1;
                    }
                    _ => break,
                }
            }
        }
        Some(v)
    }

    fn next(&mut self) -> Option<Tok> {
        self.skip_space();
        let s = self.s;
        let b = *s.get(self.i)?;
        // E'…' / e'…' escape strings; B'…' / X'…' bit strings (kept as written).
        if matches!(b, b'E' | b'e' | b'B' | b'b' | b'X' | b'x') && s.get(self.i + 1) == Some(&b'\'')
        {
            self.i += 1;
            let escape = matches!(b, b'E' | b'e');
            return self.string(escape || !self.standard_strings).map(Tok::Str);
        }
        if b == b'\'' {
            return self.string(!self.standard_strings).map(Tok::Str);
        }
        if b == b'"' {
            let mut out = Vec::new();
            self.i += 1;
            loop {
                let c = *s.get(self.i)?;
                self.i += 1;
                if c == b'"' {
                    if s.get(self.i) == Some(&b'"') {
                        out.push(b'"');
                        self.i += 1;
                        continue;
                    }
                    break;
                }
                out.push(c);
            }
            return Some(Tok::Ident(String::from_utf8_lossy(&out).into_owned(), true));
        }
        if is_ident_byte(b) && !b.is_ascii_digit() {
            let start = self.i;
            while self.i < s.len() && (is_ident_byte(s[self.i]) || s[self.i] == b'$') {
                self.i += 1;
            }
            return Some(Tok::Ident(
                String::from_utf8_lossy(&s[start..self.i]).into_owned(),
                false,
            ));
        }
        if b.is_ascii_digit() || (b == b'.' && s.get(self.i + 1).is_some_and(u8::is_ascii_digit)) {
            let start = self.i;
            while self.i < s.len() {
                let c = s[self.i];
                let exp_sign = (c == b'+' || c == b'-')
                    && self.i > start
                    && matches!(s[self.i - 1], b'e' | b'E');
                if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || exp_sign {
                    self.i += 1;
                } else {
                    break;
                }
            }
            return Some(Tok::Number(
                String::from_utf8_lossy(&s[start..self.i]).into_owned(),
            ));
        }
        self.i += 1;
        Some(Tok::Punct(b))
    }

    /// A '…' literal starting at the quote; `''` is a quote; with `escape`, backslash
    /// sequences as in E'…' strings.
    fn string(&mut self, escape: bool) -> Option<String> {
        let s = self.s;
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = *s.get(self.i)?;
            self.i += 1;
            match c {
                b'\'' => {
                    if s.get(self.i) == Some(&b'\'') {
                        out.push(b'\'');
                        self.i += 1;
                        continue;
                    }
                    break;
                }
                b'\\' if escape => {
                    let e = *s.get(self.i)?;
                    self.i += 1;
                    match e {
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'0'..=b'7' => {
                            let mut v = (e - b'0') as u32;
                            let mut k = 0;
                            while k < 2 && s.get(self.i).is_some_and(|d| (b'0'..=b'7').contains(d))
                            {
                                v = v * 8 + (s[self.i] - b'0') as u32;
                                self.i += 1;
                                k += 1;
                            }
                            out.push((v & 0xff) as u8);
                        }
                        b'x' if s.get(self.i).is_some_and(u8::is_ascii_hexdigit) => {
                            let mut v = hex_val(s[self.i]);
                            self.i += 1;
                            if s.get(self.i).is_some_and(u8::is_ascii_hexdigit) {
                                v = v * 16 + hex_val(s[self.i]);
                                self.i += 1;
                            }
                            out.push(v);
                        }
                        b'u' | b'U' => {
                            let n = if e == b'u' { 4 } else { 8 };
                            let hex = s.get(self.i..self.i + n)?;
                            let cp =
                                u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                            self.i += n;
                            let ch = char::from_u32(cp)?;
                            let mut tmp = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(c),
            }
        }
        String::from_utf8(out).ok()
    }
}

/// PostgreSQL folds unquoted identifiers to lower case.
fn fold(s: String, quoted: bool) -> String {
    if quoted {
        s
    } else {
        s.to_ascii_lowercase()
    }
}
