//! Files in and out, knowing nothing of what they hold: atomic writes, text and byte reading,
//! gzip decompression, SHA-256 while streaming. Every stage and format reads and writes
//! through these, so a file is handled the same way (and fails with the same message)
//! wherever it comes in.

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Refuses a run whose outputs would overwrite one of its inputs or each other, before
/// anything is read or written. `inputs` and `outputs` are the files of one run, each with the
/// flag that names it. Two paths are the same file when they are, for files that exist, the
/// same device and inode (a symlink or a hard link to an input is caught too), and otherwise
/// the same canonical path. Devices, FIFOs and directories are never "the same file": writing
/// to `/dev/null` twice, or reading `/dev/stdin` while writing `/dev/stdout`, destroys nothing.
pub fn check_outputs(
    inputs: &[(&'static str, &Path)],
    outputs: &[(&'static str, &Path)],
) -> Result<()> {
    // `-`: standard input or output, never a file of the run; stdout can take one output.
    let mut stdout = outputs.iter().filter(|(_, p)| is_stdio(p));
    if let (Some(first), Some(second)) = (stdout.next(), stdout.next()) {
        return Err(Error::OutputTwice {
            flag: second.0,
            path: second.1.to_path_buf(),
            other_flag: first.0,
            other: first.1.to_path_buf(),
        });
    }
    let inputs: Vec<_> = inputs
        .iter()
        .filter(|(_, p)| !is_stdio(p))
        .filter_map(|&(flag, path)| Some((flag, path, file_id(path)?)))
        .collect();
    let outputs: Vec<_> = outputs
        .iter()
        .filter(|(_, p)| !is_stdio(p))
        .copied()
        .collect();
    let outputs = &outputs[..];
    let outputs: Vec<_> = outputs
        .iter()
        .filter_map(|&(flag, path)| Some((flag, path, file_id(path)?)))
        .collect();
    for (i, (flag, path, id)) in outputs.iter().enumerate() {
        if let Some((input_flag, input, _)) = inputs.iter().find(|(_, _, other)| other == id) {
            return Err(Error::OutputIsInput {
                output_flag: flag,
                output: path.to_path_buf(),
                input_flag,
                input: input.to_path_buf(),
            });
        }
        if let Some((other_flag, other, _)) = outputs[..i].iter().find(|(_, _, other)| other == id)
        {
            return Err(Error::OutputTwice {
                flag,
                path: path.to_path_buf(),
                other_flag,
                other: other.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// `-` on the command line: standard input (for an input) or standard output (an output).
pub fn is_stdio(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// The name a report gives standard input (`provenance.inputs[].file_name`, findings).
pub const STDIN_NAME: &str = "<stdin>";

/// Standard input copied to a temporary file named `<stdin>` (removed when dropped), for the
/// readers that map or reread their input: the report then names it `<stdin>`.
pub struct StdinCopy {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

pub fn copy_stdin() -> Result<StdinCopy> {
    let io = |source| Error::Read {
        path: PathBuf::from(STDIN_NAME),
        source,
    };
    let dir = tempfile::Builder::new()
        .prefix("cbam-stdin-")
        .tempdir()
        .map_err(io)?;
    let path = dir.path().join(STDIN_NAME);
    let mut file = std::fs::File::create(&path).map_err(io)?;
    std::io::copy(&mut std::io::stdin().lock(), &mut file).map_err(io)?;
    Ok(StdinCopy { _dir: dir, path })
}

/// What makes two paths the same file (see `check_outputs`).
#[derive(Debug, PartialEq, Eq)]
enum FileId {
    /// An existing regular file: device and inode.
    #[cfg_attr(not(unix), allow(dead_code))]
    Existing(u64, u64),
    /// An existing regular file where inodes are not available.
    #[cfg_attr(unix, allow(dead_code))]
    Canonical(PathBuf),
    /// A file not there yet: the canonical directory joined with the name.
    New(PathBuf),
}

/// The file a path names; `None` for devices, FIFOs and directories.
fn file_id(path: &Path) -> Option<FileId> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Some(existing_id(path, &meta)),
        Ok(_) => None,
        Err(_) => Some(FileId::New(new_path(path))),
    }
}

#[cfg(unix)]
fn existing_id(_path: &Path, meta: &std::fs::Metadata) -> FileId {
    use std::os::unix::fs::MetadataExt;
    FileId::Existing(meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn existing_id(path: &Path, _meta: &std::fs::Metadata) -> FileId {
    FileId::Canonical(std::fs::canonicalize(path).unwrap_or_else(|_| new_path(path)))
}

/// A path not (yet) there, made comparable: its directory canonicalised (symlinks and `..`
/// resolved), then the name; as an absolute path when the directory cannot be resolved.
fn new_path(path: &Path) -> PathBuf {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match (std::fs::canonicalize(dir), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
    }
}

pub mod codec;
mod gzip;
mod outputs;
pub mod progress;
pub mod repeats;
pub mod spill;
pub use gzip::*;
pub use outputs::*;

/// A text file: its content as UTF-8 (without byte-order mark) and its bytes as read.
pub fn read_text(path: &Path) -> Result<(String, Vec<u8>)> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = utf8_text(path, &bytes)?.to_string();
    Ok((text, bytes))
}

/// A text file's bytes as UTF-8 without its byte-order mark.
pub fn utf8_text<'b>(path: &Path, bytes: &'b [u8]) -> Result<&'b str> {
    let body = bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(bytes);
    std::str::from_utf8(body).map_err(|e| Error::Data {
        path: path.to_path_buf(),
        message: format!("not valid UTF-8 (byte offset {})", e.valid_up_to()),
    })
}

/// A spreadsheet by its extension (read with calamine).
pub fn is_workbook(p: &Path) -> bool {
    ["xlsx", "xlsm", "xls", "ods"].iter().any(|e| has_ext(p, e))
}

/// Whether the file name ends in `.ext`, in any letter case.
pub fn has_ext(p: &Path, ext: &str) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// A file's bytes: memory-mapped when it is a regular, non-empty file (no copy of a 100 MB
/// export), read into memory otherwise.
#[derive(Debug)]
pub enum FileBytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m) => m,
            FileBytes::Owned(v) => v,
        }
    }
}

impl FileBytes {
    /// Maps a file this process has just written to an unnamed temporary file; an empty one
    /// is empty bytes.
    pub fn from_temp_file(file: &std::fs::File) -> std::io::Result<FileBytes> {
        if file.metadata()?.len() == 0 {
            return Ok(FileBytes::Owned(Vec::new()));
        }
        // SAFETY: the file is this process's own unnamed temporary file: nobody else can
        // change it while the map lives.
        unsafe { memmap2::Mmap::map(file) }.map(FileBytes::Mapped)
    }

    pub fn open(path: &Path) -> Result<FileBytes> {
        let err = |source| Error::Read {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(err)?;
        let meta = file.metadata().map_err(err)?;
        if meta.is_file() && meta.len() > 0 {
            // SAFETY: the map is read-only and lives as long as its reader. If another
            // process truncates or rewrites the file while `cbam` runs, the report may not
            // match the digest; that is the same hazard as reading a file being written,
            // which an operator avoids by not editing an input during a run.
            if let Ok(m) = unsafe { memmap2::Mmap::map(&file) } {
                return Ok(FileBytes::Mapped(m));
            }
        }
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut &file, &mut v).map_err(err)?;
        Ok(FileBytes::Owned(v))
    }
}

/// The SHA-256 (hex) and byte count of everything read through a [`HashingReader`], kept
/// apart from the reader so it can still be asked once the reader sits inside a decoder.
#[derive(Debug, Clone, Default)]
pub struct ReadDigest {
    hasher: std::rc::Rc<std::cell::RefCell<Sha256>>,
    bytes: std::rc::Rc<std::cell::Cell<u64>>,
}

impl ReadDigest {
    /// Bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.get()
    }

    /// The hex SHA-256 of what was read so far (and a fresh start).
    pub fn take_sha256(&self) -> String {
        let digest = self.hasher.replace(Sha256::new()).finalize();
        crate::provenance::hex(&digest)
    }
}

/// Passes reads through, feeding every byte into its [`ReadDigest`].
pub struct HashingReader<R> {
    inner: R,
    digest: ReadDigest,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> (HashingReader<R>, ReadDigest) {
        let digest = ReadDigest::default();
        (
            HashingReader {
                inner,
                digest: digest.clone(),
            },
            digest,
        )
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.digest.hasher.borrow_mut().update(&buf[..n]);
        self.digest.bytes.set(self.digest.bytes.get() + n as u64);
        Ok(n)
    }
}

/// The hex SHA-256 and size of the whole file, read in pieces.
pub fn file_sha256(path: &Path) -> Result<(String, u64)> {
    let rerr = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(rerr)?;
    let (mut reader, digest) = HashingReader::new(file);
    std::io::copy(&mut reader, &mut std::io::sink()).map_err(rerr)?;
    Ok((digest.take_sha256(), digest.bytes()))
}

#[cfg(test)]
mod tests {
    use super::outputs::pending;
    use super::*;
    use std::io::Write;

    #[cfg(unix)]
    #[test]
    fn outputs_naming_an_input_or_each_other_are_refused() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|source| Error::Read {
            path: PathBuf::from("tempdir"),
            source,
        })?;
        let input = dir.path().join("in.csv");
        let io = |source| Error::Write {
            path: input.clone(),
            source,
        };
        std::fs::write(&input, b"x").map_err(io)?;
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&input, &link).map_err(io)?;
        let hard = dir.path().join("hard.csv");
        std::fs::hard_link(&input, &hard).map_err(io)?;
        let dotted = dir.path().join(".").join("in.csv");
        let msg = |ins: &[(&'static str, &Path)], outs: &[(&'static str, &Path)]| {
            check_outputs(ins, outs).err().map(|e| e.to_string())
        };
        let ins = [("--input", input.as_path())];
        for same in [&input, &link, &hard, &dotted] {
            let m = msg(&ins, &[("--output", same)]);
            assert!(
                m.as_deref()
                    .is_some_and(|m| m.contains("is also an input (--input")),
                "{same:?}: {m:?}"
            );
        }
        assert_eq!(
            msg(&ins, &[("--output", &input)]).as_deref(),
            Some(&*format!(
                "--output {} is also an input (--input); refusing to overwrite an input",
                input.display()
            ))
        );
        let new = dir.path().join("new.md");
        std::fs::create_dir(dir.path().join("sub")).map_err(io)?;
        let new2 = dir.path().join("sub").join("..").join("new.md");
        assert!(msg(&ins, &[("--output", &new)]).is_none());
        let twice = msg(&ins, &[("--summary", &new), ("--lines", &new2)]);
        assert!(
            twice.as_deref().is_some_and(
                |m| m.starts_with("--lines ") && m.contains("is also an output (--summary ")
            ),
            "{twice:?}"
        );
        let null = Path::new("/dev/null");
        assert!(msg(
            &[("--input", null)],
            &[("--output", null), ("--summary", null)]
        )
        .is_none());
        Ok(())
    }

    #[test]
    fn extensions_match_in_any_case() {
        assert!(has_ext(Path::new("a/B.CSV"), "csv"));
        assert!(!has_ext(Path::new("a/b.csv.gz"), "csv"));
        assert!(is_workbook(Path::new("x.Xlsm")));
        assert!(!is_workbook(Path::new("x.csv")));
    }

    #[test]
    fn utf8_text_drops_the_byte_order_mark_and_refuses_latin1() {
        let p = Path::new("t.csv");
        assert_eq!(utf8_text(p, b"\xEF\xBB\xBFa,b").ok(), Some("a,b"));
        let e = utf8_text(p, b"ab\xE9").err().map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("t.csv: not valid UTF-8 (byte offset 2)"));
    }

    #[test]
    fn hashing_reader_digests_what_passes() -> std::io::Result<()> {
        let (mut r, digest) = HashingReader::new(&b"abc"[..]);
        let mut out = Vec::new();
        r.read_to_end(&mut out)?;
        assert_eq!(digest.bytes(), 3);
        assert_eq!(
            digest.take_sha256(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        Ok(())
    }

    #[test]
    fn atomic_write_replaces_the_file_whole_or_not_at_all() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|source| Error::Write {
            path: std::env::temp_dir(),
            source,
        })?;
        let target = dir.path().join("out.txt");
        atomic_write(&target, |w| w.write_all(b"first"))?;
        let failed = atomic_write(&target, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("stop"))
        });
        assert!(failed.is_err());
        let (text, _) = read_text(&target)?;
        assert_eq!(text, "first");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .map_err(|source| Error::Read {
                path: dir.path().to_path_buf(),
                source,
            })?
            .collect();
        assert_eq!(left.len(), 1, "no temporary file left behind");
        Ok(())
    }

    #[test]
    fn outputs_land_together_or_not_at_all() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|source| Error::Write {
            path: std::env::temp_dir(),
            source,
        })?;
        let (a, b) = (dir.path().join("a.md"), dir.path().join("b.csv"));
        let listing = || -> Result<Vec<String>> {
            let mut names: Vec<String> = std::fs::read_dir(dir.path())
                .map_err(|source| Error::Read {
                    path: dir.path().to_path_buf(),
                    source,
                })?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            Ok(names)
        };
        // The last one fails: the first is not created.
        let mut o = Outputs::new();
        o.write(&a, |w| w.write_all(b"a"))?;
        assert_eq!(listing()?.len(), 1, "a's temporary file");
        let failed = o.write(&b, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(failed.is_err_and(|e| e.to_string().contains("b.csv")));
        drop(o);
        assert_eq!(listing()?, Vec::<String>::new());
        // Dropped before the commit (an error between two writes): nothing either.
        let mut o = Outputs::new();
        o.write(&a, |w| w.write_all(b"a"))?;
        drop(o);
        assert_eq!(listing()?, Vec::<String>::new());
        assert!(!pending().iter().any(|p| p.starts_with(dir.path())));
        // All written: both land.
        let mut o = Outputs::new();
        o.write(&a, |w| w.write_all(b"a"))?;
        o.write(&b, |w| w.write_all(b"b"))?;
        o.commit()?;
        assert_eq!(listing()?, ["a.md", "b.csv"]);
        assert!(!pending().iter().any(|p| p.starts_with(dir.path())));
        Ok(())
    }

    #[test]
    fn gunzip_to_temp_decompresses_concatenated_members() -> Result<()> {
        use flate2::write::GzEncoder;
        let gz = |s: &[u8]| -> std::io::Result<Vec<u8>> {
            let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(s)?;
            e.finish()
        };
        let io = |source| Error::Write {
            path: PathBuf::from("(test)"),
            source,
        };
        let mut both = gz(b"one,").map_err(io)?;
        both.extend(gz(b"two").map_err(io)?);
        assert!(is_gzip(&both));
        let plain = gunzip_to_temp(Path::new("t.csv.gz"), &both)?;
        assert_eq!(&plain[..], b"one,two");
        let cut = gunzip_to_temp(Path::new("t.csv.gz"), &both[..both.len() - 4]);
        assert!(cut.is_err_and(|e| e.to_string().contains("the gzip stream is damaged")));
        Ok(())
    }

    #[test]
    fn decompression_stops_one_byte_past_the_bound() {
        let bound = GzipBound {
            max_bytes: 10,
            ratio_of: Some(1),
            explicit: false,
        };
        let mut out = Vec::new();
        let mut r = BoundedRead::new(&[7u8; 10][..], bound, None);
        assert_eq!(
            r.read_to_end(&mut out).ok(),
            Some(10),
            "exactly the bound is read"
        );
        let mut r = BoundedRead::new(&[7u8; 11][..], bound, None);
        let e = r.read_to_end(&mut Vec::new()).err();
        assert!(e.as_ref().is_some_and(is_bound_exceeded), "{e:?}");
        // A pipe: the ratio applies to the compressed bytes read so far.
        let (_, digest) = HashingReader::new(&b""[..]);
        let open = GzipBound::for_size(None);
        let mut r = BoundedRead::new(&[0u8; 1 << 20][..], open, Some(digest));
        assert!(
            r.read_to_end(&mut Vec::new()).is_ok(),
            "within the minimum allowance"
        );
    }

    #[test]
    fn a_bomb_is_refused_before_anything_is_mapped() {
        use flate2::write::GzEncoder;
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..24 {
            let _ = e.write_all(&zeros);
        }
        let bomb = e.finish().unwrap_or_default();
        let got = gunzip_to_temp(Path::new("b.csv.gz"), &bomb).map(|b| b.len());
        let msg = got.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.starts_with(
                "b.csv.gz: the gzip data decompresses to more than 16 MiB (64 times the "
            ) && msg.contains("--max-decompressed SIZE"),
            "{msg}"
        );
    }

    #[test]
    fn sizes_read_and_shown() {
        assert_eq!(parse_byte_size("512M"), Some(512 << 20));
        assert_eq!(parse_byte_size("4g"), Some(4 << 30));
        assert_eq!(parse_byte_size("10 KiB"), Some(10 << 10));
        assert_eq!(parse_byte_size("123"), Some(123));
        for bad in ["", "0", "-1", "1.5G", "4X", "99999999999T"] {
            assert_eq!(parse_byte_size(bad), None, "{bad}");
        }
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(16 << 20), "16 MiB");
        assert_eq!(human_bytes(71896), "70.2 KiB");
        assert_eq!(human_bytes(3 << 30), "3 GiB");
    }
}
