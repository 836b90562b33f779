//! The statements of a plain-SQL dump, line by line: `SET` (encoding, string syntax),
//! `CREATE TABLE` (column names for INSERTs that do not name them), `COPY … FROM stdin`
//! headers and their text-format rows, `INSERT … VALUES` rows, psql meta-commands
//! (`\\connect`, `\\restrict`) and pg_dump's completion line.

use super::copy_text;
use super::lexer::{Lexer, Tok, Tokens, Value};
use super::{qualified, DataForm, DumpVisitor, Fields, Table, TableCount};
use crate::error::{Error, Result};
use std::io::BufRead;
use std::path::PathBuf;

/// pg_dump's last line: without it the dump was cut (an `--inserts` dump cut between two
/// statements parses cleanly, so this is the only sign rows are missing).
const TRAILER: &[u8] = b"-- PostgreSQL database dump complete";

/// A statement longer than this is not something pg_dump writes for a table of shipments;
/// refusing it (checked line by line, each line bounded while it is read) keeps memory
/// bounded on a damaged or hostile file.
const MAX_STATEMENT_BYTES: usize = 32 << 20;

/// Where a table's data is being read from.
pub(super) struct Current {
    pub(super) table: Table,
    wanted: bool,
    count: usize,
}

pub(super) struct Parser {
    pub(super) path: PathBuf,
    pub(super) gzip: bool,
    /// The bound on the decompressed dump, when it is gzip (what a refusal names).
    pub(super) gzip_bound: Option<crate::fsio::GzipBound>,
    pub(super) line: u64,
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
    pub(super) counts: Vec<TableCount>,
    pub(super) complete: bool,
}

/// A statement being gathered over its lines.
#[derive(Default)]
struct Pending {
    text: Vec<u8>,
    lex: Lexer,
    /// The line it starts on.
    line: u64,
}

/// The buffers a row is decoded into, reused from row to row.
#[derive(Default)]
struct RowBuffers {
    fields: Fields,
    decoded: Vec<u8>,
}

impl Parser {
    pub(super) fn new(path: PathBuf, gzip: bool) -> Parser {
        Parser {
            path,
            gzip,
            gzip_bound: None,
            line: 0,
            utf8: true,
            standard_strings: true,
            database: None,
            create_columns: rustc_hash::FxHashMap::default(),
            insert_wanted: rustc_hash::FxHashMap::default(),
            counts: Vec::new(),
            complete: false,
        }
    }

    pub(super) fn damaged(&self, line: u64, table: Option<String>, message: String) -> Error {
        Error::Damaged {
            path: self.path.clone(),
            line,
            table,
            message,
        }
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

    /// Reads `input` to its end, handing tables and rows to `visitor`; `tick` hears the line
    /// count now and then.
    pub(super) fn run(
        &mut self,
        input: &mut dyn BufRead,
        visitor: &mut dyn DumpVisitor,
        tick: &mut dyn FnMut(u64),
    ) -> Result<()> {
        let mut buf = Vec::with_capacity(4096);
        let mut pending = Pending::default();
        let mut copy: Option<Current> = None;
        let mut row = RowBuffers::default();
        loop {
            if !self.read_line(input, &mut buf, copy.as_ref())? {
                break;
            }
            self.line += 1;
            if self.line & 0x3fff == 0 {
                tick(self.line);
            }
            if let Some(cur) = copy.as_mut() {
                if !self.copy_line(&buf, cur, visitor, &mut row)? {
                    if let Some(done) = copy.take() {
                        self.count(&done, DataForm::Copy);
                    }
                }
                continue;
            }
            copy = self.sql_line(&buf, &mut pending, visitor, &mut row.fields)?;
        }
        tick(self.line);
        self.at_end(copy, &pending)
    }

    /// One line of a COPY block: a row (decoded, and handed on when wanted), or the `\.`
    /// that ends the block (`false`).
    fn copy_line(
        &self,
        line: &[u8],
        cur: &mut Current,
        visitor: &mut dyn DumpVisitor,
        row: &mut RowBuffers,
    ) -> Result<bool> {
        let Some(mut data) = line.strip_suffix(b"\n") else {
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
        };
        if let Some(d) = data.strip_suffix(b"\r") {
            data = d;
        }
        if data == b"\\." {
            return Ok(false);
        }
        cur.count += 1;
        // Every row is decoded, wanted or not: that is what proves the dump sound.
        self.copy_row(data, &cur.table, &mut row.fields, &mut row.decoded)?;
        if cur.wanted {
            visitor.row(&cur.table, &row.fields, self.line)?;
        }
        Ok(true)
    }

    /// One line outside COPY: gathered into the pending statement, which is acted on once
    /// complete; returns the COPY block a statement opens.
    fn sql_line(
        &mut self,
        line: &[u8],
        pending: &mut Pending,
        visitor: &mut dyn DumpVisitor,
        fields: &mut Fields,
    ) -> Result<Option<Current>> {
        if pending.text.is_empty() {
            if self.between_statements(line.trim_ascii()) {
                return Ok(None);
            }
            pending.line = self.line;
        }
        if pending.text.len() + line.len() > MAX_STATEMENT_BYTES {
            // Refused as unreadable (exit 2), like a line past its bound: not damage.
            return Err(Error::Parse {
                path: self.path.clone(),
                line: self.line,
                message: format!(
                    "the SQL statement started at line {} is longer than {} MiB here \
                     (not something pg_dump writes); refused",
                    pending.line,
                    MAX_STATEMENT_BYTES >> 20
                ),
            });
        }
        pending.text.extend_from_slice(line);
        let Some(end) = pending.lex.scan(&pending.text, self.standard_strings) else {
            return Ok(None);
        };
        let rest = pending.text.split_off(end + 1);
        let statement = std::mem::take(&mut pending.text);
        pending.lex = Lexer::default();
        let copy = self.statement(&statement, pending.line, visitor, fields)?;
        self.after_statement(rest, copy.is_some(), pending)?;
        Ok(copy)
    }

    /// A line before any statement text: blank, a comment (perhaps the completion line) or
    /// a psql meta-command (`\restrict KEY` in pg_dump since 2025, `\connect`), which takes
    /// the rest of its line and no semicolon. `false`: a statement starts here.
    fn between_statements(&mut self, trimmed: &[u8]) -> bool {
        if trimmed.is_empty() {
            return true;
        }
        if trimmed.starts_with(b"--") {
            if trimmed == TRAILER {
                self.complete = true;
            }
            return true;
        }
        if trimmed.starts_with(b"\\") {
            if let Some(db) = connect_target(trimmed) {
                // Another database: its tables are not the previous one's.
                self.create_columns.clear();
                self.database = Some(db);
            }
            return true;
        }
        false
    }

    /// What follows a statement's `;` on its line: nothing, a comment, or the start of the
    /// next statement — never data after a COPY header, nor a whole second statement.
    fn after_statement(
        &self,
        rest: Vec<u8>,
        opened_copy: bool,
        pending: &mut Pending,
    ) -> Result<()> {
        let rest_trim = rest.trim_ascii();
        if rest_trim.is_empty() || rest_trim.starts_with(b"--") {
            return Ok(());
        }
        if opened_copy {
            return Err(self.damaged(
                pending.line,
                None,
                "text after `COPY … FROM stdin;` on the same line".into(),
            ));
        }
        pending.text = rest;
        pending.line = self.line;
        if let Some(end) = pending.lex.scan(&pending.text, self.standard_strings) {
            return Err(self.damaged(
                pending.line,
                None,
                format!(
                    "two statements on one line (at byte {}), not pg_dump's layout",
                    end + 1
                ),
            ));
        }
        Ok(())
    }

    /// The end of the input: inside a COPY block or a statement, the file was cut.
    fn at_end(&self, copy: Option<Current>, pending: &Pending) -> Result<()> {
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
        if !pending.text.trim_ascii().is_empty() {
            let stmt_line = pending.line;
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
            copy_text::unescape(raw, decoded);
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
            self.created_columns(&schema, &name).ok_or_else(|| {
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
        let Some(table) = self.insert_target(tok, line)? else {
            return Ok(());
        };
        let key = table.qualified();
        let wanted = self.insert_wanted(&key, &table, visitor)?;
        let mut rows = 0u64;
        loop {
            self.values_row(tok, &table, fields)?;
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

    /// `INSERT INTO name [(columns)] [OVERRIDING … VALUE] VALUES`: the table its rows go to
    /// (each INSERT continues or starts the table's run of rows); `None` for an INSERT that
    /// holds no rows pg_dump writes (`… SELECT`, `DEFAULT VALUES`).
    fn insert_target(&self, tok: &mut Tokens, line: u64) -> Result<Option<Table>> {
        if !tok.eat_keyword("into") {
            return Ok(None);
        }
        let Some((schema, name)) = tok.qualified_name() else {
            return Err(self.damaged(line, None, "INSERT without a table name".into()));
        };
        let columns = if tok.peek_punct(b'(') {
            tok.eat_punct(b'(');
            tok.ident_list()
                .ok_or_else(|| self.insert_damage(line, &schema, &name, "unreadable column list"))?
        } else {
            self.created_columns(&schema, &name).ok_or_else(|| {
                self.insert_damage(
                    line,
                    &schema,
                    &name,
                    "no column list and no CREATE TABLE before it (dump with --column-inserts)",
                )
            })?
        };
        if tok.eat_keyword("overriding") {
            tok.next_keyword();
            tok.eat_keyword("value");
        }
        if !tok.eat_keyword("values") {
            return Ok(None);
        }
        Ok(Some(Table {
            database: self.database.clone(),
            schema,
            name,
            columns,
            line,
        }))
    }

    /// Whether the visitor wants the rows of an INSERT-filled table: asked at its first
    /// INSERT, which also starts its count.
    fn insert_wanted(
        &mut self,
        key: &str,
        table: &Table,
        visitor: &mut dyn DumpVisitor,
    ) -> Result<bool> {
        if let Some(w) = self.insert_wanted.get(key) {
            return Ok(*w);
        }
        let w = visitor.table(table)?;
        self.counts.push(TableCount {
            table: key.to_string(),
            form: DataForm::Insert,
            columns: table.columns.len(),
            rows: 0,
            first_line: table.line,
        });
        self.insert_wanted.insert(key.to_string(), w);
        Ok(w)
    }

    /// One `( value, … )` of VALUES into `fields`, as many values as the table has columns.
    fn values_row(&self, tok: &mut Tokens, table: &Table, fields: &mut Fields) -> Result<()> {
        let bad = |what: &str| self.insert_damage(table.line, &table.schema, &table.name, what);
        if !tok.eat_punct(b'(') {
            return Err(bad("expected `(` starting a row of VALUES"));
        }
        fields.clear();
        loop {
            match tok.value() {
                Some(Value::Null) => fields.push_null(),
                Some(Value::Text(s)) => fields.push(&s),
                None => return Err(bad("unreadable value in VALUES")),
            }
            if tok.eat_punct(b',') {
                continue;
            }
            if tok.eat_punct(b')') {
                break;
            }
            return Err(bad("expected `,` or `)` after a value"));
        }
        if fields.len() != table.columns.len() {
            return Err(bad(&format!(
                "a row has {} values, expected {} ({})",
                fields.len(),
                table.columns.len(),
                table.columns.join(", ")
            )));
        }
        Ok(())
    }

    /// The columns of the dump's `CREATE TABLE schema.name`, for data that does not name them.
    fn created_columns(&self, schema: &Option<String>, name: &str) -> Option<Vec<String>> {
        self.create_columns
            .get(&(schema.clone(), name.to_string()))
            .cloned()
    }

    fn insert_damage(&self, line: u64, schema: &Option<String>, name: &str, what: &str) -> Error {
        self.damaged(
            line,
            Some(qualified(schema, name)),
            format!("INSERT into {}: {what}", qualified(schema, name)),
        )
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every table and row a dump hands on.
    #[derive(Default)]
    struct Collect {
        tables: Vec<String>,
        rows: Vec<(String, Vec<Option<String>>, u64)>,
    }

    impl DumpVisitor for Collect {
        fn table(&mut self, table: &Table) -> Result<bool> {
            self.tables.push(format!(
                "{} ({})",
                table.qualified(),
                table.columns.join(",")
            ));
            Ok(true)
        }
        fn row(&mut self, table: &Table, fields: &Fields, line: u64) -> Result<()> {
            let values = (0..fields.len())
                .map(|i| fields.get(i).map(String::from))
                .collect();
            self.rows.push((table.name.clone(), values, line));
            Ok(())
        }
    }

    fn parse(sql: &str) -> (Parser, Collect, Result<()>) {
        let mut parser = Parser::new(PathBuf::from("t.sql"), false);
        let mut seen = Collect::default();
        let result = parser.run(&mut sql.as_bytes(), &mut seen, &mut |_| {});
        (parser, seen, result)
    }

    /// The message of the error reading `sql` stops with.
    fn damage(sql: &str) -> String {
        let (_, _, result) = parse(sql);
        result.err().map(|e| e.to_string()).unwrap_or_default()
    }

    fn text(values: &[Option<&str>]) -> Vec<Option<String>> {
        values.iter().map(|v| v.map(String::from)).collect()
    }

    #[test]
    fn copy_header_and_text_format_rows() {
        let sql = "COPY public.t (a, \"B\", c) FROM stdin;\n\
                   x\t\\N\tone\\ttab\n\
                   \\101\\x42\t\t\\\\\r\n\
                   \\.\n";
        let (parser, seen, result) = parse(sql);
        assert!(result.is_ok());
        assert_eq!(seen.tables, ["public.t (a,B,c)"]);
        assert_eq!(
            seen.rows[0],
            ("t".into(), text(&[Some("x"), None, Some("one\ttab")]), 2)
        );
        assert_eq!(seen.rows[1].1, text(&[Some("AB"), Some(""), Some("\\")]));
        assert_eq!(parser.counts.len(), 1);
        assert_eq!(
            (parser.counts[0].rows, parser.counts[0].form),
            (2, DataForm::Copy)
        );
        assert!(!parser.complete);
    }

    #[test]
    fn copy_without_a_column_list_takes_the_created_columns() {
        let sql =
            "CREATE TABLE s.t (id integer NOT NULL, name text, CONSTRAINT k PRIMARY KEY (id));\n\
                   COPY s.t FROM stdin;\n1\tn\n\\.\n";
        let (_, seen, result) = parse(sql);
        assert!(result.is_ok());
        assert_eq!(seen.tables, ["s.t (id,name)"]);
    }

    #[test]
    fn copy_rows_with_the_wrong_field_count_or_cut_short_are_damage() {
        assert_eq!(
            damage("COPY t (a, b) FROM stdin;\n1\n\\.\n"),
            "t.sql: line 2: COPY row of table t has 1 fields, expected 2 (a, b)"
        );
        let (_, _, result) = parse("COPY t (a) FROM stdin;\n1\n");
        assert!(matches!(result, Err(Error::Damaged { line: 2, .. })));
        let (_, _, result) = parse("COPY t (a) FROM stdin;\n1");
        assert!(matches!(result, Err(Error::Damaged { line: 2, .. })));
    }

    #[test]
    fn insert_values_rows() {
        let sql = "INSERT INTO public.t (a, b) VALUES ('x', NULL), (-1.5, 'it''s');\n\
                   INSERT INTO public.t (a, b) VALUES (E'a\\nb', true);\n";
        let (parser, seen, result) = parse(sql);
        assert!(result.is_ok());
        assert_eq!(seen.tables, ["public.t (a,b)"], "asked once per table");
        let rows: Vec<_> = seen.rows.iter().map(|r| (r.1.clone(), r.2)).collect();
        assert_eq!(
            rows,
            [
                (text(&[Some("x"), None]), 1),
                (text(&[Some("-1.5"), Some("it's")]), 1),
                (text(&[Some("a\nb"), Some("t")]), 2),
            ]
        );
        assert_eq!(
            (parser.counts[0].rows, parser.counts[0].form),
            (3, DataForm::Insert)
        );
    }

    #[test]
    fn insert_rows_with_the_wrong_value_count_are_damage() {
        assert_eq!(
            damage("INSERT INTO t (a, b) VALUES ('x');\n"),
            "t.sql: line 1: INSERT into t: a row has 1 values, expected 2 (a, b)"
        );
    }

    #[test]
    fn completion_line_and_meta_commands() {
        let sql = "\\restrict abc\n\\connect -reuse-previous=on \"dbname='greenlang'\"\n\
                   INSERT INTO s.t (a) VALUES (1);\n\
                   -- PostgreSQL database dump complete\n";
        let (parser, seen, result) = parse(sql);
        assert!(result.is_ok());
        assert!(parser.complete);
        assert_eq!(seen.tables, ["greenlang.s.t (a)"]);
    }

    #[test]
    fn a_dump_cut_inside_a_statement_is_damage() {
        assert_eq!(
            damage("SET x = 1;\nINSERT INTO t (a) VALUES ('1\n"),
            "t.sql: line 2: the dump ends inside an SQL statement started at line 2: the file is truncated"
        );
    }

    #[test]
    fn connect_targets() {
        assert_eq!(
            connect_target(b"\\connect greenlang").as_deref(),
            Some("greenlang")
        );
        assert_eq!(connect_target(b"\\c \"other\"").as_deref(), Some("other"));
        assert_eq!(connect_target(b"\\restrict key"), None);
    }
}
