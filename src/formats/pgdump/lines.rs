//! The dump's lines, each bounded while it is read: a line longer than [`MAX_LINE_BYTES`]
//! (one COPY row, or one line of SQL) is refused once that many bytes have gone by without a
//! newline, never gathered whole first, so a hostile line costs at most the bound in memory.

use super::statement::{Current, Parser};
use super::GZIP_DAMAGED;
use crate::error::{Error, Result};
use std::io::BufRead;

/// The longest line (COPY row or line of SQL) read. pg_dump writes one row per line: a
/// shipment is a few hundred bytes, and a 10 MB document in a `bytea` column of another table
/// is about 20 MB of hex.
pub(super) const MAX_LINE_BYTES: usize = 32 << 20;

/// What one read of a line gave.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Line {
    /// The end of the input: nothing was read.
    End,
    /// A line (with its `\n`, unless it is the input's last and has none) is in the buffer.
    Read,
    /// More than the bound went by without a newline; the buffer holds the first bytes.
    TooLong,
}

/// Reads the next line into `buf` (cleared first), up to and including its `\n`, stopping at
/// `max` bytes without one. The buffer never grows past `max + 1` bytes.
pub(super) fn read_line(
    input: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Line> {
    buf.clear();
    loop {
        let avail = match input.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(if buf.is_empty() {
                Line::End
            } else {
                Line::Read
            });
        }
        let (take, done) = match memchr::memchr(b'\n', avail) {
            Some(i) => (i + 1, true),
            None => (avail.len(), false),
        };
        let content = buf.len() + take - usize::from(done);
        if content > max {
            let keep = max.saturating_sub(buf.len()).min(take);
            grow_within(buf, keep, max + 1);
            buf.extend_from_slice(&avail[..keep]);
            input.consume(keep);
            return Ok(Line::TooLong);
        }
        grow_within(buf, take, max + 1);
        buf.extend_from_slice(&avail[..take]);
        input.consume(take);
        if done {
            return Ok(Line::Read);
        }
    }
}

/// Makes room for `more` bytes, doubling as a `Vec` does but never past `cap`.
fn grow_within(buf: &mut Vec<u8>, more: usize, cap: usize) {
    let need = buf.len() + more;
    if need <= buf.capacity() {
        return;
    }
    let target = buf
        .capacity()
        .saturating_mul(2)
        .max(need)
        .min(cap.max(need));
    buf.reserve_exact(target - buf.len());
}

impl Parser {
    /// Reads the next line into `buf`; `false` at the end of the input. A line past
    /// [`MAX_LINE_BYTES`] is refused while it is read (naming the line, and the COPY block it is
    /// in), and so is gzip data past its bound.
    pub(super) fn read_line(
        &self,
        input: &mut dyn BufRead,
        buf: &mut Vec<u8>,
        copy: Option<&Current>,
    ) -> Result<bool> {
        match read_line(input, buf, MAX_LINE_BYTES) {
            Ok(Line::End) => Ok(false),
            Ok(Line::Read) => Ok(true),
            Ok(Line::TooLong) => Err(self.line_too_long(copy)),
            Err(e) => Err(self.read_error(e)),
        }
    }

    fn read_error(&self, e: std::io::Error) -> Error {
        if let Some(bound) = self
            .gzip_bound
            .filter(|_| crate::fsio::is_bound_exceeded(&e))
        {
            return bound.refusal(&self.path);
        }
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
    }

    /// A line longer than [`MAX_LINE_BYTES`]: refused as unreadable (exit 2), not damage.
    fn line_too_long(&self, copy: Option<&Current>) -> Error {
        let what = match copy {
            Some(cur) => format!(
                "a COPY row of table {} (COPY started at line {})",
                cur.table.qualified(),
                cur.table.line
            ),
            None => "a line of SQL".to_string(),
        };
        Error::Parse {
            path: self.path.clone(),
            line: self.line + 1,
            message: format!(
                "{what} longer than {} MiB, the bound on one line of a dump (pg_dump writes a \
                 row per line: a shipment is a few hundred bytes); refused without reading on",
                MAX_LINE_BYTES >> 20
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<(Line, Vec<u8>)> {
        // A tiny buffer: lines arrive in many pieces.
        let mut r = std::io::BufReader::with_capacity(3, input);
        let mut out = Vec::new();
        let mut buf = Vec::new();
        loop {
            let l = read_line(&mut r, &mut buf, max).unwrap_or(Line::End);
            let stop = matches!(l, Line::End | Line::TooLong);
            out.push((l, buf.clone()));
            if stop {
                return out;
            }
        }
    }

    #[test]
    fn lines_up_to_the_bound_are_read_whole() {
        let got = lines(b"ab\ncdef\ng", 4);
        assert_eq!(
            got,
            [
                (Line::Read, b"ab\n".to_vec()),
                (Line::Read, b"cdef\n".to_vec()),
                (Line::Read, b"g".to_vec()),
                (Line::End, Vec::new()),
            ]
        );
    }

    #[test]
    fn a_line_past_the_bound_stops_at_it() {
        let long = [b'x'; 100];
        let got = lines(&long, 10);
        assert_eq!(got, [(Line::TooLong, vec![b'x'; 10])]);
        let got = lines(b"ab\nabcdefghijk\n", 10);
        assert_eq!(got[1].0, Line::TooLong);
        let mut buf = Vec::new();
        let mut r = std::io::BufReader::with_capacity(1 << 16, &[b'y'; 5000][..]);
        assert_eq!(read_line(&mut r, &mut buf, 1000).ok(), Some(Line::TooLong));
        assert!(buf.capacity() <= 1001, "{}", buf.capacity());
    }
}
