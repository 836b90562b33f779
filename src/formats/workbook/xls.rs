//! XLS: the compound file and the BIFF records walked before calamine, which parses every
//! sheet when it opens the file. Checked: the compound file's sector chains (no loop, no sector
//! outside the file, the `Workbook` stream as long as its directory entry says), each sheet's
//! offset inside the stream, each sheet's DIMENSIONS (calamine reserves rows × columns cells)
//! and the bounding box of each sheet's cells (calamine fills it): at most [`MAX_AREA`] cells
//! for the workbook. What is not checked here (a record cut short, a string running past its
//! record) calamine reports as an error, or panics on, contained by `workbook::contained`.

use super::{refuse, MAX_AREA, MAX_TEXT_BYTES};
use crate::error::Result;
use std::path::Path;

const END: u32 = 0xFFFF_FFFA;

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    b.get(i..i + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    b.get(i..i + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// The compound file: sectors of the file, the FAT.
struct Cfb<'a> {
    b: &'a [u8],
    size: usize,
    fat: Vec<u32>,
}

impl<'a> Cfb<'a> {
    fn sector(&self, id: u32) -> Option<&'a [u8]> {
        let off = (id as usize).checked_add(1)?.checked_mul(self.size)?;
        let end = off.checked_add(self.size)?.min(self.b.len());
        self.b.get(off..end).filter(|s| !s.is_empty())
    }

    /// The sectors of the chain from `start` in `fat` (no loop: at most `fat.len()` steps).
    fn chain(&self, start: u32, fat: &[u32]) -> std::result::Result<Vec<u32>, String> {
        let mut out = Vec::new();
        let mut id = start;
        while id < END {
            if out.len() > fat.len() {
                return Err("a sector chain of the compound file loops".into());
            }
            out.push(id);
            id = *fat
                .get(id as usize)
                .ok_or_else(|| format!("sector {id} is outside the compound file's table"))?;
        }
        Ok(out)
    }

    fn read(&self, start: u32) -> std::result::Result<Vec<u8>, String> {
        let mut v = Vec::new();
        for id in self.chain(start, &self.fat)? {
            v.extend_from_slice(
                self.sector(id)
                    .ok_or_else(|| format!("sector {id} lies beyond the end of the file"))?,
            );
        }
        Ok(v)
    }
}

/// The `Workbook` (or BIFF5 `Book`) stream of the compound file `b`.
/// The FAT of the compound file `b` (sectors of `size` bytes): its sectors are the 109 the
/// header lists and those of the DIFAT chain from `difat`.
fn fat_of(b: &[u8], size: usize, mut difat: u32) -> std::result::Result<Vec<u32>, String> {
    let sectors = b.len() / size;
    // The FAT's sectors: 109 in the header, the rest in the DIFAT chain.
    let mut fat_ids: Vec<u32> = (0..109)
        .filter_map(|k| u32_at(b, 0x4C + 4 * k))
        .filter(|&id| id < END)
        .collect();
    let mut steps = 0;
    let probe = Cfb {
        b,
        size,
        fat: Vec::new(),
    };
    while difat < END {
        steps += 1;
        if steps > sectors {
            return Err("the compound file's DIFAT chain loops".into());
        }
        let s = probe
            .sector(difat)
            .ok_or("a DIFAT sector lies beyond the end of the file")?;
        let n = size / 4 - 1;
        fat_ids.extend(
            (0..n)
                .filter_map(|k| u32_at(s, 4 * k))
                .filter(|&id| id < END),
        );
        difat = u32_at(s, 4 * n).unwrap_or(u32::MAX);
    }
    if fat_ids.len() > sectors {
        return Err("the compound file's table lists more sectors than the file has".into());
    }
    let mut fat = Vec::new();
    for id in fat_ids {
        let s = probe
            .sector(id)
            .ok_or("a FAT sector lies beyond the end of the file")?;
        fat.extend((0..s.len() / 4).filter_map(|k| u32_at(s, 4 * k)));
    }
    Ok(fat)
}

fn workbook_stream(b: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let h = |i| u32_at(b, i).ok_or("the compound file's header is cut short");
    let shift = u16_at(b, 0x1E).ok_or("the compound file's header is cut short")?;
    if !matches!(shift, 9 | 12) {
        return Err(format!(
            "sector size 2^{shift} (a compound file has 512 or 4096)"
        ));
    }
    let size = 1usize << shift;
    let fat = fat_of(b, size, h(0x44)?)?;
    let cfb = Cfb { b, size, fat };
    let dir = cfb.read(h(0x30)?)?;
    let entry = |i: usize| dir.get(i * 128..i * 128 + 128);
    let root = entry(0).ok_or("the compound file has no directory")?;
    let name_of = |e: &[u8]| {
        let n = (u16_at(e, 64).unwrap_or(0) as usize).min(64) / 2;
        let units: Vec<u16> = (0..n)
            .filter_map(|k| u16_at(e, 2 * k))
            .take_while(|&u| u != 0)
            .collect();
        String::from_utf16_lossy(&units)
    };
    let found = (0..dir.len() / 128)
        .filter_map(entry)
        .find(|e| name_of(e).eq_ignore_ascii_case("Workbook"))
        .or_else(|| {
            (0..dir.len() / 128)
                .filter_map(entry)
                .find(|e| name_of(e).eq_ignore_ascii_case("Book"))
        })
        .ok_or("no Workbook stream (not an Excel 97-2003 workbook)")?;
    let start = u32_at(found, 116).unwrap_or(u32::MAX);
    let len = u32_at(found, 120).unwrap_or(0) as usize;
    if len > b.len() {
        return Err(format!(
            "the Workbook stream claims {len} bytes, more than the file's {}",
            b.len()
        ));
    }
    let mut data = if len < 4096 {
        // The mini stream: 64-byte sectors inside the root entry's stream.
        let mini = cfb.read(u32_at(root, 116).unwrap_or(u32::MAX))?;
        let minifat_bytes = cfb.read(h(0x3C)?)?;
        let minifat: Vec<u32> = (0..minifat_bytes.len() / 4)
            .filter_map(|k| u32_at(&minifat_bytes, 4 * k))
            .collect();
        let mut v = Vec::new();
        for id in cfb.chain(start, &minifat)? {
            let off = id as usize * 64;
            v.extend_from_slice(
                mini.get(off..off + 64)
                    .ok_or("a mini sector lies beyond the mini stream")?,
            );
        }
        v
    } else {
        cfb.read(start)?
    };
    if data.len() < len {
        return Err(format!(
            "the Workbook stream is cut short ({} of its {len} bytes)",
            data.len()
        ));
    }
    data.truncate(len);
    Ok(data)
}

/// The records from `pos` of the stream: (type, data), until the stream or a record ends.
fn records(s: &[u8], mut pos: usize) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let t = u16_at(s, pos)?;
        let n = u16_at(s, pos + 2)? as usize;
        let d = s.get(pos + 4..pos + 4 + n)?;
        pos += 4 + n;
        Some((t, d))
    })
}

/// The bytes (UTF-8, at most) of each string of the SST record `parts` (the record and its
/// CONTINUE records): calamine copies a string into every cell that refers to it.
fn sst_sizes(parts: &[&[u8]]) -> Vec<u64> {
    struct At<'p> {
        parts: &'p [&'p [u8]],
        k: usize,
        p: usize,
    }
    impl At<'_> {
        fn byte(&mut self) -> Option<u8> {
            while self.p >= self.parts.get(self.k)?.len() {
                self.k += 1;
                self.p = 0;
            }
            self.p += 1;
            Some(self.parts[self.k][self.p - 1])
        }
        fn u16(&mut self) -> Option<u16> {
            Some(u16::from_le_bytes([self.byte()?, self.byte()?]))
        }
        fn u32(&mut self) -> Option<u32> {
            Some(u32::from_le_bytes([
                self.byte()?,
                self.byte()?,
                self.byte()?,
                self.byte()?,
            ]))
        }
        fn skip(&mut self, mut n: u64) -> Option<()> {
            while n > 0 {
                let seg = self.parts.get(self.k)?;
                let here = ((seg.len() - self.p.min(seg.len())) as u64).min(n);
                self.p += here as usize;
                n -= here;
                if n > 0 {
                    self.k += 1;
                    self.p = 0;
                }
            }
            Some(())
        }
        /// `cch` characters, a fresh option byte at each CONTINUE they run into.
        fn chars(&mut self, mut cch: u64, mut wide: bool) -> Option<()> {
            while cch > 0 {
                let seg = self.parts.get(self.k)?;
                let w = if wide { 2 } else { 1 };
                let n = (((seg.len() - self.p.min(seg.len())) / w) as u64).min(cch);
                self.p += n as usize * w;
                cch -= n;
                if cch > 0 {
                    self.k += 1;
                    self.p = 0;
                    wide = self.byte()? & 1 == 1;
                }
            }
            Some(())
        }
    }
    let mut at = At { parts, k: 0, p: 8 };
    let mut out = Vec::new();
    let total: usize = parts.iter().map(|p| p.len()).sum();
    while out.len() < total {
        let Some(cch) = at.u16() else { break };
        let Some(flags) = at.byte() else { break };
        let runs = if flags & 0x8 != 0 {
            at.u16().unwrap_or(0) as u64
        } else {
            0
        };
        let ext = if flags & 0x4 != 0 {
            at.u32().unwrap_or(0) as u64
        } else {
            0
        };
        out.push(cch as u64 * 3);
        if at.chars(cch as u64, flags & 1 == 1).is_none()
            || at.skip(4 * runs).is_none()
            || at.skip(ext).is_none()
        {
            break;
        }
    }
    out
}

/// A sheet's cells' bounding box, the largest DIMENSIONS it declares and the text its cells
/// copy from the shared strings.
#[derive(Default)]
struct Sheet {
    bbox: Option<(u32, u32, u32, u32)>,
    dims: u64,
    text: u64,
}

impl Sheet {
    fn cell(&mut self, r: u32, c0: u32, c1: u32) {
        let (a, b, c, d) = self.bbox.unwrap_or((r, r, c0, c1));
        self.bbox = Some((a.min(r), b.max(r), c.min(c0), d.max(c1)));
    }

    fn area(&self) -> u64 {
        self.bbox
            .map(|(a, b, c, d)| (b - a + 1) as u64 * (d - c + 1) as u64)
            .unwrap_or(0)
    }
}

/// What calamine's `parse_dimensions` makes of a DIMENSIONS record: rows × columns reserved.
fn dimensions(d: &[u8]) -> u64 {
    let (rf, rl, mut cf, cl) = match d.len() {
        10 => (
            u16_at(d, 0).unwrap_or(0) as u32,
            u16_at(d, 2).unwrap_or(0) as u32,
            u16_at(d, 4).unwrap_or(0) as u32,
            u16_at(d, 6).unwrap_or(0) as u32,
        ),
        14 | 16 => (
            u32_at(d, 0).unwrap_or(0),
            u32_at(d, 4).unwrap_or(0),
            u16_at(d, 8).unwrap_or(0) as u32,
            u16_at(d, 10).unwrap_or(0) as u32,
        ),
        _ => return 0,
    };
    if 0xFF < cf || cl < cf {
        cf = 0;
    }
    if rl >= 1 && cl >= 1 {
        let rows = (rl - 1).wrapping_sub(rf).wrapping_add(1) as u64;
        let cols = (cl - 1).wrapping_sub(cf).wrapping_add(1) as u64;
        rows.saturating_mul(cols)
    } else {
        1
    }
}

/// One sheet's substream from `pos`, as calamine reads it (nested substreams skipped).
fn sheet_at(s: &[u8], pos: usize, sst: &[u64]) -> Sheet {
    let mut sh = Sheet::default();
    let (mut seen_bof, mut depth) = (false, 0usize);
    for (t, d) in records(s, pos) {
        if depth > 0 {
            match t {
                0x0809 => depth += 1,
                0x000A => depth -= 1,
                _ => {}
            }
            continue;
        }
        let rc = (
            u16_at(d, 0).unwrap_or(0) as u32,
            u16_at(d, 2).unwrap_or(0) as u32,
        );
        match t {
            0x0809 if seen_bof => depth += 1,
            0x0809 => seen_bof = true,
            0x0200 => sh.dims = sh.dims.max(dimensions(d)),
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 if d.len() >= 4 => {
                sh.cell(rc.0, rc.1, rc.1);
                if t == 0x00FD {
                    let i = u32_at(d, 6).unwrap_or(u32::MAX) as usize;
                    sh.text = sh.text.saturating_add(sst.get(i).copied().unwrap_or(0));
                }
            }
            0x00BD if d.len() >= 6 => {
                let last = u16_at(d, d.len() - 2).unwrap_or(0) as u32;
                sh.cell(rc.0, rc.1, last.max(rc.1))
            }
            0x000A => break,
            _ => {}
        }
    }
    sh
}

/// Checks the workbook `b` (see the module comment).
pub fn check(path: &Path, b: &[u8]) -> Result<()> {
    let bad = |m: String| {
        refuse(
            path,
            format!("cannot read the workbook as xls: {m} (a damaged or truncated file)"),
        )
    };
    let s = workbook_stream(b).map_err(bad)?;
    // The globals: BoundSheet8 records give each sheet's name and offset.
    let mut sheets: Vec<(usize, String)> = Vec::new();
    let mut sst_parts: Vec<&[u8]> = Vec::new();
    let mut in_sst = false;
    for (t, d) in records(&s, 0) {
        in_sst = (in_sst && t == 0x003C) || t == 0x00FC;
        if in_sst {
            sst_parts.push(d);
        }
        match t {
            0x0085 if d.len() >= 4 => {
                let pos = u32_at(d, 0).unwrap_or(0) as usize;
                let name = String::from_utf8_lossy(d.get(8..).unwrap_or_default())
                    .chars()
                    .filter(|c| !c.is_control())
                    .collect();
                sheets.push((pos, name));
            }
            0x000A => break,
            _ => {}
        }
    }
    let sst = sst_sizes(&sst_parts);
    let (mut area, mut text) = (0u64, 0u64);
    for (pos, name) in sheets {
        if pos >= s.len() {
            return Err(bad(format!(
                "sheet {name:?} is said to start at byte {pos} of the Workbook stream, which has {}",
                s.len()
            )));
        }
        let sh = sheet_at(&s, pos, &sst);
        area = area.saturating_add(sh.area());
        text = text.saturating_add(sh.text);
        if text > MAX_TEXT_BYTES {
            return Err(refuse(
                path,
                format!(
                    "sheet {name:?}: its cells, with the sheets before it, copy {} MiB of text from the shared strings; at most {} MiB are read",
                    text >> 20,
                    MAX_TEXT_BYTES >> 20
                ),
            ));
        }
        if sh.dims > MAX_AREA || area > MAX_AREA {
            let (what, n) = if sh.dims > MAX_AREA {
                ("its DIMENSIONS record declares", sh.dims)
            } else {
                ("its cells, with the sheets before it, span", area)
            };
            return Err(refuse(
                path,
                format!("sheet {name:?}: {what} {n} cells (rows × columns); at most {MAX_AREA} are read"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_string_sizes_follow_continue_records() {
        // Header (8 bytes), "abc" (compressed), then a 4-character string split after 2
        // characters: the CONTINUE starts with its own option byte (wide: 2 bytes a character).
        let mut first = vec![0u8; 8];
        first.extend([3, 0, 0, b'a', b'b', b'c']);
        first.extend([4, 0, 0, b'd', b'e']);
        let cont = [1u8, b'f', 0, b'g', 0];
        let sizes = sst_sizes(&[&first, &cont]);
        assert_eq!(sizes, vec![9, 12]);
    }

    #[test]
    fn dimensions_count_what_calamine_reserves() {
        let mut d = Vec::new();
        d.extend(0u32.to_le_bytes());
        d.extend(u32::MAX.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        d.extend(256u16.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        assert_eq!(dimensions(&d), (u32::MAX as u64 - 1 + 1) * 256);
        assert_eq!(dimensions(&[0; 3]), 0);
    }

    #[test]
    fn a_file_that_is_no_compound_file_is_refused() {
        let path = Path::new("x.xls");
        let mut b = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        b.resize(600, 0);
        assert!(check(path, &b).is_err());
        assert!(check(path, &b[..100]).is_err());
    }
}
