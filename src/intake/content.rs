//! What an input is by its first bytes, before what its name says: a workbook (zip: xlsx or
//! ods; OLE: xls), a plain-SQL dump (SQL text, also gzip-compressed), JSON (`{` or `[`), or
//! text whose kind the content cannot tell (CSV or TSV, as named). A name that says otherwise
//! is refused plainly ("this is an xlsx workbook; pass it as .xlsx or --input-format xlsx")
//! instead of reading a workbook's ZIP bytes as a CSV header.

use super::InputFormat;
use crate::error::{Error, Result};
use std::io::Read;
use std::path::Path;

/// How much of the file (and of its gzip content) is looked at.
const HEAD: usize = 4096;

/// The format `path` must be read as: the content's when it is certain (refusing a name or
/// `--input-format` that says otherwise), else the one named.
pub fn format_of(path: &Path, given: Option<InputFormat>) -> Result<InputFormat> {
    let named = match given {
        Some(f) => Ok(f),
        None => InputFormat::from_path(path),
    };
    let Some(found) = sniff(path)? else {
        // Standard input has no name to go by: text is read as CSV.
        if named.is_err() && path.file_name() == Some(crate::fsio::STDIN_NAME.as_ref()) {
            return Ok(InputFormat::Csv);
        }
        return named;
    };
    let text = |f| !matches!(f, InputFormat::Xlsx | InputFormat::Xls | InputFormat::Ods);
    match named {
        Ok(n) if same_kind(n, found) => Ok(n),
        // Text that looks like JSON or SQL but is said to be another text format by the flag:
        // the flag decides (a CSV may start with `{`); a workbook's bytes are never text.
        Ok(n) if given.is_some() && text(n) && text(found) => Ok(n),
        Ok(n) => Err(mismatch(path, found, n, given.is_some())),
        // A name without a known extension: the content decides.
        Err(Error::UnsupportedFormat { .. }) => Ok(found),
        Err(e) => Err(e),
    }
}

/// CSV and TSV are one kind here (the delimiter decides); the rest must match.
fn same_kind(a: InputFormat, b: InputFormat) -> bool {
    let text = |f| matches!(f, InputFormat::Csv | InputFormat::Tsv);
    a == b || (text(a) && text(b))
}

fn mismatch(path: &Path, found: InputFormat, named: InputFormat, flag: bool) -> Error {
    let (what, ext) = match found {
        InputFormat::Xlsx => ("an xlsx workbook", ".xlsx"),
        InputFormat::Xls => ("an xls workbook", ".xls"),
        InputFormat::Ods => ("an ods workbook", ".ods"),
        InputFormat::PgDump => ("a plain-SQL database dump", ".sql (or .sql.gz)"),
        InputFormat::Json => ("a JSON file", ".json"),
        InputFormat::Csv | InputFormat::Tsv => ("a CSV file", ".csv"),
    };
    let said = if flag {
        format!("--input-format {}", named.name())
    } else {
        format!("its name ({})", named.name())
    };
    Error::Data {
        path: path.to_path_buf(),
        message: format!(
            "this is {what}, not what {said} says; pass it as {ext} or --input-format {}",
            found.name()
        ),
    }
}

/// The format the first bytes prove, if they prove one.
fn sniff(path: &Path) -> Result<Option<InputFormat>> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(None); // the reader says why it cannot be read
    };
    if !meta.is_file() {
        return Ok(None);
    }
    let mut head = Vec::with_capacity(HEAD);
    let file = std::fs::File::open(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    file.take(HEAD as u64)
        .read_to_end(&mut head)
        .map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if head.starts_with(b"PK\x03\x04") {
        // An OpenDocument file stores its `mimetype` first, uncompressed.
        let ods = head
            .windows(46)
            .any(|w| w == b"application/vnd.oasis.opendocument.spreadsheet");
        return Ok(Some(if ods {
            InputFormat::Ods
        } else {
            InputFormat::Xlsx
        }));
    }
    if head.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        return Ok(Some(InputFormat::Xls));
    }
    if crate::fsio::is_gzip(&head) {
        let mut inner = Vec::with_capacity(HEAD);
        // The first bytes of the content, as far as they inflate; damage is the reader's to say.
        let _ = flate2::read::MultiGzDecoder::new(&head[..])
            .take(HEAD as u64)
            .read_to_end(&mut inner);
        return Ok(text_kind(&inner));
    }
    Ok(text_kind(&head))
}

/// JSON or SQL from text's first meaningful characters; `None` for anything else.
fn text_kind(head: &[u8]) -> Option<InputFormat> {
    let text = String::from_utf8_lossy(head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head));
    let t = text.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        return Some(InputFormat::Json);
    }
    // pg_dump's header comment; a CSV never starts with `--` and this line.
    let first = t.lines().next().unwrap_or("");
    if first.starts_with("--") && t.lines().take(4).any(|l| l.contains("PostgreSQL database")) {
        return Some(InputFormat::PgDump);
    }
    None
}
