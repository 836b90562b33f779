//! The report's per-row lists — findings and rejected rows — kept as sorted records that cost
//! bytes on disk past a budget, not memory (`fsio::spill`): a file of a million bad rows has
//! millions of findings, and each is written out as it was found, in the report's order.
//!
//! A list is open while the pipeline pushes to it and sealed once (`seal`), after which it is
//! read in order as often as needed: by the report id, the JSON writer, the Markdown summary.
//! The order is the one a stable sort by the record's sort key would give: the key ends with
//! the push sequence number, so records that tie keep the order they were pushed in.

use crate::fsio::codec::{
    corrupt, key_str, put_opt_str, put_opt_u64, put_row, put_str, put_u64, Decoder,
};
use crate::fsio::spill::{Sorted, SpillSorter};
use crate::model::{Finding, RejectedRow, Severity};
use std::io;

/// What a list holds: how it sorts and how it is written to bytes and read back.
pub trait Record: Sized {
    /// The sort key, without the sequence number (`Listed` appends it).
    fn key(&self, out: &mut Vec<u8>);
    fn encode(&self, out: &mut Vec<u8>);
    fn decode(bytes: &[u8]) -> io::Result<Self>;
    /// Where the row (eight bytes, big-endian) starts in a key of `key_len` bytes, for
    /// `Listed::append` to shift it: first, unless the key says otherwise.
    fn row_in_key(_key_len: usize) -> usize {
        0
    }
}

/// A change made to each record as it joins a list (`Listed::append`).
pub type Fix<'a, T> = &'a dyn Fn(&mut T) -> io::Result<()>;

enum State {
    Open(SpillSorter),
    Sealed(Sorted),
}

/// Records in their report order, spilled to unlinked temporary files past a memory budget.
pub struct Listed<T> {
    state: State,
    len: u64,
    key: Vec<u8>,
    payload: Vec<u8>,
    _record: std::marker::PhantomData<fn() -> T>,
}

impl<T: Record> Listed<T> {
    pub fn new() -> Listed<T> {
        Listed::with_budget(crate::fsio::spill::budget())
    }

    /// A list that holds `budget` bytes of records in memory before it spills (tests use
    /// tiny budgets: the result never depends on it).
    pub fn with_budget(budget: usize) -> Listed<T> {
        Listed {
            state: State::Open(SpillSorter::with_budget(budget)),
            len: 0,
            key: Vec::new(),
            payload: Vec::new(),
            _record: std::marker::PhantomData,
        }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a record. Pushing to a sealed list is a bug of the caller, said as an error.
    pub fn push(&mut self, r: &T) -> io::Result<()> {
        let State::Open(sorter) = &mut self.state else {
            return Err(io::Error::other("a sealed list was pushed to"));
        };
        self.key.clear();
        r.key(&mut self.key);
        self.key.extend_from_slice(&self.len.to_be_bytes());
        self.payload.clear();
        r.encode(&mut self.payload);
        sorter.push(&self.key, &self.payload)?;
        self.len += 1;
        Ok(())
    }

    /// Appends a batch's records in the order they were pushed to it, their rows shifted by
    /// `offset`; with `fix`, each is decoded, shifted, passed through it and encoded again
    /// (a converted input names the line of its original file).
    pub fn append(
        &mut self,
        batch: Batch<T>,
        offset: u64,
        fix: Option<Fix<'_, T>>,
    ) -> io::Result<()> {
        batch.drain(|key, payload| {
            let at = T::row_in_key(key.len());
            shift_row(key.get_mut(at..).ok_or_else(corrupt)?, payload, offset)?;
            if let Some(fix) = fix {
                let mut r = T::decode(payload)?;
                fix(&mut r)?;
                return self.push(&r);
            }
            let State::Open(sorter) = &mut self.state else {
                return Err(io::Error::other("a sealed list was pushed to"));
            };
            self.key.clear();
            self.key.extend_from_slice(key);
            self.key.extend_from_slice(&self.len.to_be_bytes());
            sorter.push(&self.key, payload)?;
            self.len += 1;
            Ok(())
        })
    }

    /// Ends the pushing: from now on the list reads in order. Sealing twice does nothing.
    pub fn seal(&mut self) -> io::Result<()> {
        if let State::Open(sorter) = &mut self.state {
            let sorter = std::mem::take(sorter);
            self.state = State::Sealed(sorter.finish()?);
            self.key = Vec::new();
            self.payload = Vec::new();
        }
        Ok(())
    }

    /// The records' encoded bytes in order, for a reader that decodes them itself (in
    /// parallel); an open list reads as one error.
    pub fn iter_encoded(&self) -> Box<dyn Iterator<Item = io::Result<Box<[u8]>>> + '_> {
        match &self.state {
            State::Sealed(s) => Box::new(s.iter()),
            State::Open(_) => Box::new(std::iter::once(Err(io::Error::other(
                "a list was read before it was sealed",
            )))),
        }
    }

    /// The records in order; an open list reads as one error.
    pub fn iter(&self) -> Box<dyn Iterator<Item = io::Result<T>> + '_> {
        Box::new(self.iter_encoded().map(|p| p.and_then(|b| T::decode(&b))))
    }
}

/// Records encoded where they are found (a chunk's worker), their rows counted from the
/// chunk's start, to be appended to a list in order once the chunk's place in the file is
/// known. Past its budget they go to an unlinked temporary file, so one chunk of
/// bad rows — or one file that cannot be split into chunks — never holds its findings whole.
pub struct Batch<T> {
    buf: Vec<u8>,
    file: Option<std::io::BufWriter<std::fs::File>>,
    len: u64,
    budget: usize,
    _record: std::marker::PhantomData<fn() -> T>,
}

impl<T: Record> Batch<T> {
    pub fn new() -> Batch<T> {
        Batch::for_lists_of(crate::fsio::spill::budget())
    }

    /// A batch for lists of `budget` bytes: it holds a quarter of that, at most 4 MiB.
    pub fn for_lists_of(budget: usize) -> Batch<T> {
        Batch {
            buf: Vec::new(),
            file: None,
            len: 0,
            budget: (budget / 4).clamp(1, 4 << 20),
            _record: std::marker::PhantomData,
        }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push(&mut self, r: &T) -> io::Result<()> {
        // [key length][payload length][key][payload], lengths u32 little-endian.
        let at = self.buf.len();
        self.buf.extend_from_slice(&[0; 8]);
        r.key(&mut self.buf);
        let klen = self.buf.len() - at - 8;
        r.encode(&mut self.buf);
        let plen = self.buf.len() - at - 8 - klen;
        let (Ok(k), Ok(p)) = (u32::try_from(klen), u32::try_from(plen)) else {
            return Err(io::Error::other("a record too long to hold"));
        };
        self.buf[at..at + 4].copy_from_slice(&k.to_le_bytes());
        self.buf[at + 4..at + 8].copy_from_slice(&p.to_le_bytes());
        self.len += 1;
        if self.buf.len() >= self.budget {
            use std::io::Write;
            let file = match &mut self.file {
                Some(f) => f,
                None => self
                    .file
                    .insert(std::io::BufWriter::new(tempfile::tempfile()?)),
            };
            file.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Every (key, payload) in push order: the file's first, then the buffer's.
    fn drain(
        mut self,
        mut each: impl FnMut(&mut [u8], &mut [u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        if let Some(w) = self.file {
            use std::io::{Seek, SeekFrom};
            let mut f = w.into_inner().map_err(|e| e.into_error())?;
            f.seek(SeekFrom::Start(0))?;
            let mut r = std::io::BufReader::new(f);
            while let Some((mut k, mut p)) = crate::fsio::spill::read_record(&mut r)? {
                each(&mut k, &mut p)?;
            }
        }
        let mut rest = &mut self.buf[..];
        while !rest.is_empty() {
            let (lens, tail) = rest.split_at_mut_checked(8).ok_or_else(corrupt)?;
            let klen = u32::from_le_bytes([lens[0], lens[1], lens[2], lens[3]]) as usize;
            let plen = u32::from_le_bytes([lens[4], lens[5], lens[6], lens[7]]) as usize;
            let (k, tail) = tail.split_at_mut_checked(klen).ok_or_else(corrupt)?;
            let (p, tail) = tail.split_at_mut_checked(plen).ok_or_else(corrupt)?;
            each(k, p)?;
            rest = tail;
        }
        Ok(())
    }
}

impl<T: Record> Default for Batch<T> {
    fn default() -> Self {
        Batch::new()
    }
}

impl<T> std::fmt::Debug for Batch<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Batch({} records)", self.len)
    }
}

impl<T: Record> Default for Listed<T> {
    fn default() -> Self {
        Listed::new()
    }
}

impl<T> std::fmt::Debug for Listed<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Listed({} records)", self.len)
    }
}

impl<T: Record + serde::Serialize> serde::Serialize for Listed<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = s.serialize_seq(usize::try_from(self.len).ok())?;
        for r in self.iter() {
            seq.serialize_element(&r.map_err(S::Error::custom)?)?;
        }
        seq.end()
    }
}

impl Record for Finding {
    fn key(&self, out: &mut Vec<u8>) {
        let (row, code, field, path, message, file) = self.sort_key();
        out.extend_from_slice(&row.to_be_bytes());
        for s in [code, field, path, message, file] {
            key_str(out, s);
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_row(out, self.row);
        put_str(out, &self.code);
        out.push(self.severity as u8);
        put_opt_str(out, self.file.as_deref());
        put_opt_u64(out, self.line);
        put_opt_str(out, self.shipment_id.as_deref());
        put_opt_u64(out, self.field.map(|f| u64::from(statics::index(f))));
        for s in [&self.path, &self.cell, &self.expected, &self.found] {
            put_opt_str(out, s.as_deref());
        }
        put_str(out, &self.message);
    }

    fn decode(bytes: &[u8]) -> io::Result<Finding> {
        let mut d = Decoder(bytes);
        let row = d.row()?;
        let code = d.string()?;
        let severity = match d.byte()? {
            0 => Severity::Error,
            1 => Severity::Warning,
            2 => Severity::Info,
            _ => return Err(corrupt()),
        };
        let mut f = Finding::new("", severity, String::new());
        f.code = std::borrow::Cow::Owned(code);
        f.file = d.opt_string()?;
        f.row = row;
        f.line = d.opt_u64()?;
        f.shipment_id = d.opt_string()?;
        f.field = d.opt_u64()?.map(statics::get).transpose()?;
        f.path = d.opt_string()?;
        f.cell = d.opt_string()?;
        f.expected = d.opt_string()?;
        f.found = d.opt_string()?;
        f.message = d.string()?;
        d.end()?;
        Ok(f)
    }
}

impl Record for RejectedRow {
    fn key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.row.to_be_bytes());
        key_str(out, self.file.as_deref().unwrap_or(""));
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_row(out, Some(self.row));
        put_opt_str(out, self.file.as_deref());
        put_u64(out, self.line);
        put_opt_str(out, self.shipment_id.as_deref());
        put_u64(out, u64::from(statics::index(self.status)));
        put_u64(out, self.codes.len() as u64);
        for c in &self.codes {
            put_u64(out, u64::from(statics::index(c)));
        }
    }

    fn decode(bytes: &[u8]) -> io::Result<RejectedRow> {
        let mut d = Decoder(bytes);
        let row = d.row()?.ok_or_else(corrupt)?;
        let file = d.opt_string()?;
        let line = d.u64()?;
        let shipment_id = d.opt_string()?;
        let status = statics::get(d.u64()?)?;
        let n = d.u64()?;
        let codes = (0..n)
            .map(|_| d.u64().and_then(statics::get))
            .collect::<io::Result<Vec<_>>>()?;
        d.end()?;
        Ok(RejectedRow {
            file,
            row,
            line,
            shipment_id,
            status,
            codes,
        })
    }
}

/// Adds `offset` to the row of an encoded record, in its key (`key` starts at the row: eight
/// bytes, big-endian) and its payload (`put_row`). A record without a row keeps none.
fn shift_row(key: &mut [u8], payload: &mut [u8], offset: u64) -> io::Result<()> {
    if offset == 0 || payload.first() == Some(&0) {
        return Ok(());
    }
    let (Some(k), Some(p)) = (key.get_mut(..8), payload.get_mut(1..9)) else {
        return Err(corrupt());
    };
    let row = u64::from_le_bytes(p.try_into().map_err(|_| corrupt())?)
        .checked_add(offset)
        .ok_or_else(corrupt)?;
    p.copy_from_slice(&row.to_le_bytes());
    k.copy_from_slice(&row.to_be_bytes());
    Ok(())
}

/// The `&'static str`s a record holds (field names, codes, statuses) as small numbers: each is
/// registered the first time it is written and read back as the same static string. They are
/// the program's own words, a few hundred at most, so the table stays small.
mod statics {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};

    #[derive(Default)]
    struct Table {
        words: Vec<&'static str>,
        index: HashMap<&'static str, u32>,
    }

    fn table() -> &'static Mutex<Table> {
        static TABLE: OnceLock<Mutex<Table>> = OnceLock::new();
        TABLE.get_or_init(Default::default)
    }

    pub fn index(word: &'static str) -> u32 {
        let mut t = table().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&i) = t.index.get(word) {
            return i;
        }
        let i = t.words.len() as u32;
        t.words.push(word);
        t.index.insert(word, i);
        i
    }

    pub fn get(i: u64) -> std::io::Result<&'static str> {
        let t = table().lock().unwrap_or_else(|e| e.into_inner());
        usize::try_from(i)
            .ok()
            .and_then(|i| t.words.get(i).copied())
            .ok_or_else(crate::fsio::codec::corrupt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(row: u64, code: &'static str, message: &str) -> Finding {
        let mut f = Finding::new(code, Severity::Warning, message);
        f.row = Some(row);
        f
    }

    #[test]
    fn a_finding_reads_back_as_it_was_written() {
        let mut f = finding(7, "IN001", "bad\0message é");
        f.file = Some("a.csv".into());
        f.line = Some(9);
        f.shipment_id = Some("S-1".into());
        f.field = Some("net_mass_kg");
        f.path = Some("detailed_goods[3].x".into());
        f.cell = Some("Sheet!B9".into());
        f.expected = Some(String::new());
        f.found = Some("x\ny".into());
        let mut b = Vec::new();
        f.encode(&mut b);
        assert_eq!(Finding::decode(&b).unwrap(), f);
        assert!(Finding::decode(&b[..b.len() - 1]).is_err());
        b.push(0);
        assert!(Finding::decode(&b).is_err(), "trailing bytes are refused");
    }

    #[test]
    fn the_order_is_a_stable_sort_by_sort_key_whatever_the_budget() {
        let mut all = Vec::new();
        for i in 0..3000u64 {
            let code = ["IN001", "CA006", "IN010"][(i % 3) as usize];
            let msg = ["a", "a\0", "", "ab", "b"][(i * 7 % 5) as usize];
            let mut f = finding(i * 7919 % 101, code, msg);
            f.line = Some(i); // ties on the key differ here: their order must be kept
            if i % 4 == 0 {
                f.file = Some(["x.csv", "w.csv"][(i % 8 / 4) as usize].into());
            }
            all.push(f);
        }
        let mut want = all.clone();
        want.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        for budget in [1 << 30, 5000, 1] {
            let mut l = Listed::<Finding>::with_budget(budget);
            for f in &all {
                l.push(f).unwrap();
            }
            l.seal().unwrap();
            let got: Vec<Finding> = l.iter().collect::<io::Result<_>>().unwrap();
            assert_eq!(got, want, "budget {budget}");
            assert_eq!(
                serde_json::to_value(&l).unwrap(),
                serde_json::to_value(&want).unwrap()
            );
        }
    }

    #[test]
    fn rejected_rows_sort_by_row_then_file() {
        let rows: Vec<RejectedRow> = [(3, Some("b")), (1, None), (3, Some("a")), (1, None)]
            .iter()
            .enumerate()
            .map(|(i, &(row, file))| RejectedRow {
                file: file.map(String::from),
                row,
                line: i as u64,
                shipment_id: None,
                status: "rejected",
                codes: vec!["IN001", "CA006"],
            })
            .collect();
        let mut l = Listed::with_budget(1);
        for r in &rows {
            l.push(r).unwrap();
        }
        assert!(
            l.iter().next().unwrap().is_err(),
            "an open list does not read"
        );
        l.seal().unwrap();
        let got: Vec<(u64, u64)> = l
            .iter()
            .map(|r| r.map(|r| (r.row, r.line)))
            .collect::<io::Result<_>>()
            .unwrap();
        assert_eq!(got, [(1, 1), (1, 3), (3, 2), (3, 0)]);
        assert!(l.push(&rows[0]).is_err());
    }
}
