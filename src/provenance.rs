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
    pub file_name: String,
    pub sha256: String,
    pub size_bytes: u64,
}

impl FileDigest {
    pub fn of(role: &'static str, path: &Path, bytes: &[u8]) -> FileDigest {
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.to_string_lossy().into_owned());
        FileDigest {
            role,
            origin: "file",
            file_name,
            sha256: sha256_hex(bytes),
            size_bytes: bytes.len() as u64,
        }
    }
    pub fn embedded(role: &'static str, name: &str, bytes: &[u8]) -> FileDigest {
        FileDigest {
            role,
            origin: "embedded",
            file_name: name.to_string(),
            sha256: sha256_hex(bytes),
            size_bytes: bytes.len() as u64,
        }
    }
    pub fn placeholder() -> FileDigest {
        FileDigest {
            role: "",
            origin: "",
            file_name: String::new(),
            sha256: String::new(),
            size_bytes: 0,
        }
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
