//! A compact byte encoding for records the tool writes to its own temporary files and reads
//! back (`spill`): LEB128 integers, length-prefixed strings, options as a tag byte, and
//! order-preserving key strings. Anything that does not decode is `corrupt()`, an I/O error —
//! these bytes are never user input.

use std::io;

/// A string in a key, ordered as the string is: NUL written as NUL 0xFF, the end as NUL NUL,
/// so a prefix sorts before what extends it and the next field never bleeds into this one.
pub fn key_str(out: &mut Vec<u8>, s: &str) {
    for &b in s.as_bytes() {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 0]);
}

/// The row, first in every payload and fixed in width, so a batch's rows can be shifted in
/// place (`shift_row`): `0`, or `1` and eight bytes little-endian.
pub fn put_row(out: &mut Vec<u8>, row: Option<u64>) {
    match row {
        None => out.push(0),
        Some(r) => {
            out.push(1);
            out.extend_from_slice(&r.to_le_bytes());
        }
    }
}

pub fn put_u64(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u64(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

pub fn put_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
    }
}

pub fn put_opt_u64(out: &mut Vec<u8>, v: Option<u64>) {
    match v {
        None => out.push(0),
        Some(v) => {
            out.push(1);
            put_u64(out, v);
        }
    }
}

pub fn corrupt() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "a spilled record does not decode",
    )
}

/// Reads what the `put_*` functions wrote; anything else is `corrupt()`.
pub struct Decoder<'a>(pub &'a [u8]);

impl<'a> Decoder<'a> {
    pub fn byte(&mut self) -> io::Result<u8> {
        let (&b, rest) = self.0.split_first().ok_or_else(corrupt)?;
        self.0 = rest;
        Ok(b)
    }

    pub fn u64(&mut self) -> io::Result<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7F) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(corrupt())
    }

    pub fn string(&mut self) -> io::Result<String> {
        self.str().map(String::from)
    }

    /// A string without copying it (the bytes decoded from live as long as it does).
    pub fn str(&mut self) -> io::Result<&'a str> {
        let n = usize::try_from(self.u64()?).map_err(|_| corrupt())?;
        if n > self.0.len() {
            return Err(corrupt());
        }
        let (s, rest) = self.0.split_at(n);
        self.0 = rest;
        std::str::from_utf8(s).map_err(|_| corrupt())
    }

    pub fn opt_string(&mut self) -> io::Result<Option<String>> {
        match self.byte()? {
            0 => Ok(None),
            1 => self.string().map(Some),
            _ => Err(corrupt()),
        }
    }

    pub fn row(&mut self) -> io::Result<Option<u64>> {
        match self.byte()? {
            0 => Ok(None),
            1 => {
                let (r, rest) = self.0.split_at_checked(8).ok_or_else(corrupt)?;
                self.0 = rest;
                Ok(Some(u64::from_le_bytes(
                    r.try_into().map_err(|_| corrupt())?,
                )))
            }
            _ => Err(corrupt()),
        }
    }

    pub fn opt_u64(&mut self) -> io::Result<Option<u64>> {
        match self.byte()? {
            0 => Ok(None),
            1 => self.u64().map(Some),
            _ => Err(corrupt()),
        }
    }

    pub fn end(&self) -> io::Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(corrupt())
        }
    }
}
