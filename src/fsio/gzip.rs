//! gzip, decompressed with a bound checked while it streams (a small file must not expand
//! without limit).

use super::{FileBytes, ReadDigest};
use crate::error::{Error, Result};
use std::io::{BufWriter, Read, Write};
use std::path::Path;

/// gzip data starts with these two bytes, whatever the file is called.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// By default gzip data may decompress to at most this many times the compressed file's size
/// (measured: a generated CSV export 7.5 times, a real pg_dump 7.8, `--inserts` 11,
/// `--column-inserts` and indented JSON about 19; a gzip bomb about 1000 times) ...
pub const GZIP_MAX_RATIO: u64 = 64;
/// ... or to this many bytes, whichever is more (small files compress unevenly).
pub const GZIP_MIN_ALLOWANCE: u64 = 16 << 20;
/// The flag that replaces the default bound with an absolute one.
pub const MAX_DECOMPRESSED_FLAG: &str = "--max-decompressed";

/// `--max-decompressed`, once set for the process (0: the default rule). Process-wide like
/// `--threads`: every command that reads gzip honours it without each passing it down.
static MAX_DECOMPRESSED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Sets the absolute bound on decompressed bytes (`--max-decompressed`) for this process.
pub fn set_max_decompressed(bytes: u64) {
    MAX_DECOMPRESSED.store(bytes, std::sync::atomic::Ordering::Relaxed);
}

/// How much a gzip file may decompress to, and why (for the refusal's message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GzipBound {
    pub max_bytes: u64,
    /// The compressed size the default ratio was applied to; `None` for `--max-decompressed`
    /// or when the size is not known (then the ratio applies to the bytes read so far).
    pub(super) ratio_of: Option<u64>,
    pub(super) explicit: bool,
}

impl GzipBound {
    /// The bound for a compressed file of `compressed` bytes (`None`: a pipe, size unknown).
    pub fn for_size(compressed: Option<u64>) -> GzipBound {
        let set = MAX_DECOMPRESSED.load(std::sync::atomic::Ordering::Relaxed);
        if set > 0 {
            return GzipBound {
                max_bytes: set,
                ratio_of: None,
                explicit: true,
            };
        }
        let by_ratio = compressed.map_or(u64::MAX, |c| c.saturating_mul(GZIP_MAX_RATIO));
        GzipBound {
            max_bytes: by_ratio.max(GZIP_MIN_ALLOWANCE),
            ratio_of: compressed,
            explicit: false,
        }
    }

    /// The bound in words, e.g. `128 MiB (64 times the 2 MiB compressed file, at least 16 MiB)`.
    pub fn describe(&self) -> String {
        if self.explicit {
            return format!("{} ({MAX_DECOMPRESSED_FLAG})", human_bytes(self.max_bytes));
        }
        match self.ratio_of {
            Some(c) => format!(
                "{} ({GZIP_MAX_RATIO} times the {} compressed file, at least {})",
                human_bytes(self.max_bytes),
                human_bytes(c),
                human_bytes(GZIP_MIN_ALLOWANCE)
            ),
            None => format!(
                "{GZIP_MAX_RATIO} times the compressed bytes read (at least {})",
                human_bytes(GZIP_MIN_ALLOWANCE)
            ),
        }
    }

    /// The refusal of `path`, whose content went past this bound.
    pub fn refusal(&self, path: &Path) -> Error {
        Error::Data {
            path: path.to_path_buf(),
            message: format!(
                "the gzip data decompresses to more than {}: refused as a possible gzip bomb; \
                 if the file is genuine, raise the bound with \
                 {MAX_DECOMPRESSED_FLAG} SIZE (e.g. {MAX_DECOMPRESSED_FLAG} 8G)",
                self.describe()
            ),
        }
    }
}

/// What a [`BoundedRead`] fails with when its bound is passed (inside an `io::Error`, so it
/// travels through decoders and `BufRead`; see [`is_bound_exceeded`]).
#[derive(Debug)]
pub struct BoundExceeded;

impl std::fmt::Display for BoundExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("decompressed size bound exceeded")
    }
}

impl std::error::Error for BoundExceeded {}

/// Whether an io error is a [`BoundedRead`] refusing to go past its bound.
pub fn is_bound_exceeded(e: &std::io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<BoundExceeded>())
}

/// A decoder's output, counted while it is read: one byte past the bound is an error
/// ([`BoundExceeded`]), so a bomb is stopped at the bound, never after it was inflated.
/// With `compressed_read` (size of the compressed file unknown), the ratio is checked
/// against the compressed bytes read so far.
pub struct BoundedRead<R> {
    inner: R,
    produced: u64,
    bound: GzipBound,
    compressed_read: Option<ReadDigest>,
}

impl<R: Read> BoundedRead<R> {
    pub fn new(inner: R, bound: GzipBound, compressed_read: Option<ReadDigest>) -> Self {
        BoundedRead {
            inner,
            produced: 0,
            bound,
            compressed_read,
        }
    }

    fn allowed(&self) -> u64 {
        match (
            &self.compressed_read,
            self.bound.ratio_of,
            self.bound.explicit,
        ) {
            (Some(read), None, false) => read
                .bytes()
                .saturating_mul(GZIP_MAX_RATIO)
                .max(GZIP_MIN_ALLOWANCE),
            _ => self.bound.max_bytes,
        }
    }
}

impl<R: Read> Read for BoundedRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let room = self.allowed().saturating_sub(self.produced);
        // One byte more than the room: reading it proves the bound passed.
        let take = usize::try_from(room.saturating_add(1))
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(&mut buf[..take])?;
        self.produced += n as u64;
        if self.produced > self.allowed() {
            return Err(std::io::Error::other(BoundExceeded));
        }
        Ok(n)
    }
}

/// A byte count for people: `512 B`, `16 MiB`, `2.0 GiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut unit = 0;
    let mut scale = 1024u64;
    while unit + 1 < UNITS.len() && n >= scale.saturating_mul(1024) {
        scale = scale.saturating_mul(1024);
        unit += 1;
    }
    if n.is_multiple_of(scale) {
        format!("{} {}", n / scale, UNITS[unit])
    } else {
        // Tenths, rounded half up, in integers (no float in a figure the user reads).
        let tenths = (u128::from(n) * 10 + u128::from(scale) / 2) / u128::from(scale);
        format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
    }
}

/// A size as a flag gives it: bytes, or with a binary suffix `K`, `M`, `G`, `T` (also
/// `KB`/`KiB` …, any case): `512M`, `4G`. `None` for anything else, 0 or an overflow.
pub fn parse_byte_size(s: &str) -> Option<u64> {
    let t = s.trim();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let (num, unit) = t.split_at(digits);
    let n: u64 = num.parse().ok()?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return None,
    };
    n.checked_mul(1u64 << shift).filter(|&b| b > 0)
}

/// The decompressed content of `compressed` (gzip, read from `path`), in an unnamed
/// temporary file mapped into memory: a large export never sits in memory twice. The content
/// is bounded while it is inflated ([`GzipBound`]): past the bound, the refusal comes before
/// anything is mapped, and the unnamed temporary file vanishes with its handle.
pub fn gunzip_to_temp(path: &Path, compressed: &[u8]) -> Result<FileBytes> {
    let bound = GzipBound::for_size(Some(compressed.len() as u64));
    let werr = |source| Error::Write {
        path: std::env::temp_dir(),
        source,
    };
    let file = tempfile::tempfile().map_err(werr)?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let mut dec = BoundedRead::new(
        flate2::bufread::MultiGzDecoder::new(compressed),
        bound,
        None,
    );
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match dec.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if is_bound_exceeded(&e) => return Err(bound.refusal(path)),
            Err(e) => {
                return Err(Error::Data {
                    path: path.to_path_buf(),
                    message: format!(
                        "the gzip stream is damaged ({e}); the file is truncated or corrupt"
                    ),
                })
            }
        };
        w.write_all(&buf[..n]).map_err(werr)?;
    }
    let file = w.into_inner().map_err(|e| werr(e.into_error()))?;
    FileBytes::from_temp_file(&file).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}
