//! What kind of file a dump is, from its first bytes: plain SQL or gzip is read; pg_dump's
//! custom, tar and directory archives, spreadsheets and other compressions are refused with
//! the command that makes them readable.

use crate::error::{Error, Result};
use std::path::Path;

/// What kind of file this is, from its first bytes.
pub(super) enum Sniff {
    Plain,
    Gzip,
}

fn not_plain_sql(path: &Path, what: &str) -> Error {
    Error::Data {
        path: path.to_path_buf(),
        message: format!(
            "this is a {what}, not a plain-SQL dump; convert it first with \
             `pg_restore -f {plain} {name}` (or `pg_restore -f - {name} | gzip > {plain}.gz`)",
            name = path.display(),
            plain = plain_sql_name(path).display(),
        ),
    }
}

/// A gzip file whose content is a pg_dump archive (`pg_dump -Fc … | gzip`): named for what
/// it is, with the command that reads it, writing to a new file.
fn gzipped_archive(path: &Path, what: &str) -> Error {
    let plain = plain_sql_name(&without_gz(path));
    Error::Data {
        path: path.to_path_buf(),
        message: format!(
            "this is a gzip-compressed {what}, not a plain-SQL dump (the gzip data is sound: \
             it is not truncated); convert it first with \
             `gzip -dc {name} | pg_restore -f {plain}` \
             (or `gzip -dc {name} | pg_restore -f - | gzip > {plain}.gz`)",
            name = path.display(),
            plain = plain.display(),
        ),
    }
}

/// `X.sql.gz` → `X.sql` (any case of `.gz`); other names as they are.
fn without_gz(path: &Path) -> std::path::PathBuf {
    match path.extension() {
        Some(e) if e.eq_ignore_ascii_case("gz") => path.with_extension(""),
        _ => path.to_path_buf(),
    }
}

/// The content of a gzip file, from its first compressed bytes `head`: a custom or tar
/// archive inside is refused for what it is (rather than read as SQL and called truncated);
/// anything else is left to the SQL reader, which also reports gzip damage.
pub(super) fn sniff_gzipped(path: &Path, head: &[u8]) -> Result<()> {
    use std::io::Read;
    let mut inner = Vec::with_capacity(512);
    let mut dec = flate2::bufread::MultiGzDecoder::new(head).take(512);
    let mut piece = [0u8; 512];
    // The first 512 bytes, as far as this much compressed data goes; errors are the reader's.
    while let Ok(n) = dec.read(&mut piece) {
        if n == 0 {
            break;
        }
        inner.extend_from_slice(&piece[..n]);
    }
    if inner.starts_with(b"PGDMP") {
        return Err(gzipped_archive(path, "pg_dump custom-format archive (-Fc)"));
    }
    if inner.len() >= 262 && &inner[257..262] == b"ustar" {
        return Err(gzipped_archive(path, "pg_dump tar-format archive (-Ft)"));
    }
    if crate::fsio::is_gzip(&inner) {
        return Err(Error::Data {
            path: path.to_path_buf(),
            message: format!(
                "gzip-compressed twice (the gzip data holds gzip data); decompress it once \
                 first: `gzip -dc {} > {}`",
                path.display(),
                plain_sql_name(&without_gz(path))
                    .with_extension("sql.gz")
                    .display()
            ),
        });
    }
    refuse_non_sql(path, &inner)
}

/// Where the advised `pg_restore` writes: a new name beside the archive (`X.dump` →
/// `X.plain.sql`, `X.sql` → `X.plain.sql`), never the archive's own name, so following the
/// advice cannot truncate the only backup.
fn plain_sql_name(path: &Path) -> std::path::PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dump".into());
    path.with_file_name(format!("{stem}.plain.sql"))
}

pub(super) fn sniff(path: &Path, head: &[u8]) -> Result<Sniff> {
    if head.starts_with(b"PGDMP") {
        return Err(not_plain_sql(path, "pg_dump custom-format archive (-Fc)"));
    }
    if head.len() >= 262 && &head[257..262] == b"ustar" {
        return Err(not_plain_sql(path, "pg_dump tar-format archive (-Ft)"));
    }
    if crate::fsio::is_gzip(head) {
        return Ok(Sniff::Gzip);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(Error::Data {
            path: path.to_path_buf(),
            message: "this is a spreadsheet workbook (zip or OLE file), not an SQL dump; a \
                      workbook of shipments is read by `cbam report` under its own name \
                      (.xlsx, .xls, .ods)"
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
    refuse_non_sql(path, head)?;
    Ok(Sniff::Plain)
}

/// SQL words a plain-SQL dump's first statement can start with (pg_dump, pg_dumpall, and
/// hand-written loads), compared without case; `\` starts a psql meta-command.
const SQL_STARTS: [&str; 18] = [
    "SET", "SELECT", "CREATE", "COPY", "INSERT", "ALTER", "BEGIN", "START", "COMMENT", "DROP",
    "GRANT", "REVOKE", "RESET", "DO", "UPDATE", "DELETE", "COMMIT", "TRUNCATE",
];

/// A file whose first line that is not blank or a `--` comment does not start an SQL
/// statement is not a dump at all (a CSV export, a JSON file, text): refused for what it is,
/// naming that line, rather than read to its end and called truncated.
fn refuse_non_sql(path: &Path, head: &[u8]) -> Result<()> {
    let text = String::from_utf8_lossy(head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head));
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        let t = line.trim();
        if t.is_empty() || t.starts_with("--") {
            continue;
        }
        // The last line of the head may be cut: too little to judge.
        if lines.peek().is_none() && head.len() >= 512 {
            return Ok(());
        }
        let word: String = t
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect::<String>()
            .to_ascii_uppercase();
        if t.starts_with('\\') || SQL_STARTS.contains(&word.as_str()) {
            return Ok(());
        }
        // Shown with `{:?}`: quoted, control characters escaped.
        let shown: String = t.chars().take(60).collect();
        return Err(Error::Data {
            path: path.to_path_buf(),
            message: format!(
                "not a plain-SQL dump: line {} starts {shown:?}, not an SQL statement \
                 (a pg_dump file starts with \"-- PostgreSQL database dump\" and SET \
                 statements)",
                i + 1
            ),
        });
    }
    Ok(())
}

/// A directory is a `pg_dump -Fd` archive (it has a `toc.dat`) or simply not a dump.
pub(super) fn refuse_directory(path: &Path) -> Error {
    if path.join("toc.dat").exists() {
        return not_plain_sql(path, "pg_dump directory-format archive (-Fd)");
    }
    Error::Data {
        path: path.to_path_buf(),
        message: "is a directory, expected a plain-SQL dump file".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(head: &[u8]) -> std::result::Result<&'static str, String> {
        match sniff(Path::new("cbam_db.dump"), head) {
            Ok(Sniff::Plain) => Ok("plain"),
            Ok(Sniff::Gzip) => Ok("gzip"),
            Err(e) => Err(e.to_string()),
        }
    }

    #[test]
    fn plain_sql_and_gzip_are_read() {
        assert_eq!(kind(b"--\n-- PostgreSQL database dump\n"), Ok("plain"));
        assert_eq!(kind(b""), Ok("plain"));
        assert_eq!(kind(&[0x1f, 0x8b, 8, 0]), Ok("gzip"));
    }

    #[test]
    fn custom_and_tar_archives_are_refused_with_the_pg_restore_command() {
        let custom = kind(b"PGDMP\x01\x0e").unwrap_err();
        assert_eq!(
            custom,
            "cbam_db.dump: this is a pg_dump custom-format archive (-Fc), not a plain-SQL dump; \
             convert it first with `pg_restore -f cbam_db.plain.sql cbam_db.dump` \
             (or `pg_restore -f - cbam_db.dump | gzip > cbam_db.plain.sql.gz`)"
        );
        // A custom-format archive named like a plain dump: the advice writes elsewhere.
        let named_sql = sniff(Path::new("backups/x.sql"), b"PGDMP\x01")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            named_sql.contains("`pg_restore -f backups/x.plain.sql backups/x.sql`")
                && !named_sql.contains("> backups/x.sql`"),
            "{named_sql}"
        );
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert!(kind(&tar).unwrap_err().contains("tar-format archive (-Ft)"));
    }

    #[test]
    fn a_gzipped_custom_archive_is_named_and_the_advice_writes_a_new_file() {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = e.write_all(b"PGDMP\x01\x0e\x00\x04\x08\x01\x01\x01");
        let gz = e.finish().unwrap_or_default();
        for (name, plain) in [
            ("b/x.sql.gz", "b/x.plain.sql"),
            ("b/x.dump.GZ", "b/x.plain.sql"),
            ("b/x.sql", "b/x.plain.sql"),
        ] {
            let msg = sniff_gzipped(Path::new(name), &gz)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                msg.contains("gzip-compressed pg_dump custom-format archive (-Fc)")
                    && !msg.contains("truncated;")
                    && msg.contains(&format!("`gzip -dc {name} | pg_restore -f {plain}`"))
                    && !msg.contains(&format!("> {name}`")),
                "{msg}"
            );
        }
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = e.write_all(b"--\n-- PostgreSQL database dump\n");
        let plain = e.finish().unwrap_or_default();
        assert!(sniff_gzipped(Path::new("x.sql.gz"), &plain).is_ok());
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = e.write_all(&plain);
        let twice = sniff_gzipped(Path::new("b/x.sql.gz"), &e.finish().unwrap_or_default())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            twice.contains("gzip-compressed twice")
                && twice.contains("`gzip -dc b/x.sql.gz > b/x.plain.sql.gz`"),
            "{twice}"
        );
    }

    #[test]
    fn spreadsheets_and_other_compressions_are_refused() {
        assert!(kind(b"PK\x03\x04").unwrap_err().contains("spreadsheet"));
        assert!(kind(b"\xD0\xCF\x11\xE0")
            .unwrap_err()
            .contains("spreadsheet"));
        for head in [
            &b"BZh9"[..],
            &[0xfd, b'7', b'z', b'X', b'Z', 0],
            &[0x28, 0xb5, 0x2f, 0xfd],
        ] {
            assert!(kind(head).unwrap_err().contains("only gzip is read"));
        }
    }

    #[test]
    fn a_directory_without_toc_is_not_a_dump() {
        let dir = std::env::temp_dir();
        let e = refuse_directory(&dir.join("no-such-cbam-dir")).to_string();
        assert!(
            e.ends_with("is a directory, expected a plain-SQL dump file"),
            "{e}"
        );
    }
}
