//! Content digests for provenance: every input and every reference table actually used.
//! Only the file *name* is recorded — never an absolute path or a hostname — so the report
//! is byte-identical wherever it is produced.

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileDigest {
    /// What the file was used as: shipments, suppliers, emission_factors, rules, cn_codes, …
    pub role: &'static str,
    /// `embedded` (compiled into the binary) or `file`.
    pub origin: &'static str,
    #[serde(skip_serializing_if = "hidden_in_identity")]
    pub file_name: String,
    pub sha256: String,
    pub size_bytes: u64,
    /// A CSV/TSV input read with another delimiter than `,` or another decimal mark than
    /// `.`: the delimiter (`;`, a tab, `|`) and the decimal mark (`.` or `,`) it was read with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decimal_mark: Option<&'static str>,
}

impl FileDigest {
    pub fn of(role: &'static str, path: &Path, bytes: &[u8]) -> FileDigest {
        FileDigest {
            role,
            origin: "file",
            file_name: file_name_of(path),
            sha256: sha256_hex(bytes),
            size_bytes: bytes.len() as u64,
            delimiter: None,
            decimal_mark: None,
        }
    }
    pub fn embedded(role: &'static str, name: &str, bytes: &[u8]) -> FileDigest {
        FileDigest {
            role,
            origin: "embedded",
            file_name: name.to_string(),
            sha256: sha256_hex(bytes),
            size_bytes: bytes.len() as u64,
            delimiter: None,
            decimal_mark: None,
        }
    }
    pub fn placeholder() -> FileDigest {
        FileDigest {
            role: "",
            origin: "",
            file_name: String::new(),
            sha256: String::new(),
            size_bytes: 0,
            delimiter: None,
            decimal_mark: None,
        }
    }

    /// The digest of a delimited input, with the delimiter and decimal mark it was read with.
    pub fn with_dialect(self, delimiter: &'static str, decimal_mark: &'static str) -> FileDigest {
        FileDigest {
            delimiter: Some(delimiter),
            decimal_mark: Some(decimal_mark),
            ..self
        }
    }
}

/// The name a report records for a file: its last component, never the directories.
pub fn file_name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string_lossy().into_owned())
}

thread_local! {
    static IDENTITY_PASS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` (a serialization hashed for the report id) with every file name left out, so
/// the same bytes under another name or path give the same `report_id`: identity is content.
pub fn without_file_names<R>(f: impl FnOnce() -> R) -> R {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            IDENTITY_PASS.with(|c| c.set(self.0));
        }
    }
    let _reset = Reset(IDENTITY_PASS.with(|c| c.replace(true)));
    f()
}

/// `skip_serializing_if` for a file name: left out while the report id is hashed.
pub fn hidden_in_identity<T>(_: &T) -> bool {
    IDENTITY_PASS.with(|c| c.get())
}

/// `skip_serializing_if` for an optional file name: left out when absent, and while the
/// report id is hashed.
pub fn absent_or_hidden_in_identity(name: &Option<String>) -> bool {
    name.is_none() || hidden_in_identity(name)
}

/// A `Write` that only hashes: the SHA-256 of what a writer would have written, without
/// holding it (the report id, the audit's determinism check).
pub struct Sha256Writer(Sha256);

impl Sha256Writer {
    pub fn new() -> Sha256Writer {
        Sha256Writer(Sha256::new())
    }
    pub fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

impl Default for Sha256Writer {
    fn default() -> Self {
        Sha256Writer::new()
    }
}

impl std::io::Write for Sha256Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}
