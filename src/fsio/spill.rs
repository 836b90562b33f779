//! An external sort for records that may not fit in memory: (key, payload) byte strings kept in
//! memory up to a budget, past it sorted into runs in temporary files that are unlinked as they
//! are created (nothing is left behind, whatever ends the process), and read back in key order
//! as often as needed by merging the runs as they are read. A run whose keys all follow the
//! last run's is written on at that run's end (input already in key order — ids ascending in
//! file order — stays one run, whatever its size); otherwise runs are merged `FAN` at a time
//! when that many of one level pile up (each record is rewritten about log_FAN(runs) times,
//! not once per `MAX_RUNS` runs), and past `MAX_RUNS` all into one.
//!
//! Keys must be unique (callers end them with a sequence number), so the order is total and the
//! result does not depend on where the budget cut the runs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::sync::Arc;

/// Bytes of records held in memory before a run is written (each record also costs its
/// two boxes' bookkeeping, counted as `RECORD_OVERHEAD`).
pub const DEFAULT_BUDGET: usize = 16 << 20;

/// The budget in use: `DEFAULT_BUDGET`, or `CBAM_SPILL_BUDGET` bytes when that is set (the
/// tests set it tiny to prove that what is written does not depend on it).
pub fn budget() -> usize {
    static BUDGET: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *BUDGET.get_or_init(|| {
        std::env::var("CBAM_SPILL_BUDGET")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(DEFAULT_BUDGET)
    })
}
const RECORD_OVERHEAD: usize = 40;
/// Read buffer per run while merging, and per reader.
const READ_BUFFER: usize = 64 << 10;
/// Runs open at once: past this many, they are merged into one before the next is written,
/// so a tiny budget or a huge input never runs out of file descriptors.
const MAX_RUNS: usize = 64;
/// Runs of one level merged into one of the next (16 MiB runs: 16 of them are 256 MiB, 256
/// are 4 GiB, so a 1 TB spill keeps under 64 runs open).
const FAN: usize = 16;
/// A record's key or payload longer than this is refused (the length is a u32 on disk).
const MAX_PART: usize = u32::MAX as usize;

type Record = (Box<[u8]>, Box<[u8]>);
/// A run's next record in a merge: key, run index, payload.
type Head = (Box<[u8]>, usize, Box<[u8]>);

pub struct SpillSorter {
    budget: usize,
    held: usize,
    buf: Vec<Record>,
    runs: Vec<Run>,
    len: u64,
}

/// A sorted temporary file: how many merges made it (`level`), and its last key (a spill
/// whose first key comes after it is written on at its end).
struct Run {
    file: File,
    level: u32,
    last: Box<[u8]>,
}

impl SpillSorter {
    pub fn new() -> SpillSorter {
        SpillSorter::with_budget(budget())
    }

    pub fn with_budget(budget: usize) -> SpillSorter {
        SpillSorter {
            budget: budget.max(1),
            held: 0,
            buf: Vec::new(),
            runs: Vec::new(),
            len: 0,
        }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push(&mut self, key: &[u8], payload: &[u8]) -> io::Result<()> {
        if key.len() > MAX_PART || payload.len() > MAX_PART {
            return Err(io::Error::other("record too long to sort"));
        }
        self.held += key.len() + payload.len() + RECORD_OVERHEAD;
        self.buf.push((key.into(), payload.into()));
        self.len += 1;
        if self.held >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        self.buf.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let (Some(first), Some(last)) = (self.buf.first(), self.buf.last()) else {
            return Ok(());
        };
        let last = last.0.clone();
        let follows = self.runs.last().is_some_and(|r| r.last < first.0);
        let file = match self.runs.pop() {
            Some(mut run) if follows => {
                use std::io::Seek;
                run.file.seek(io::SeekFrom::End(0))?;
                run.last = last.clone();
                self.runs.push(run);
                None
            }
            run => {
                self.runs.extend(run);
                Some(tempfile::tempfile()?)
            }
        };
        let target = match &file {
            Some(f) => f,
            None => &self.runs[self.runs.len() - 1].file,
        };
        let mut w = BufWriter::new(target);
        for (k, v) in self.buf.drain(..) {
            write_record(&mut w, &k, &v)?;
        }
        w.flush()?;
        drop(w);
        if let Some(file) = file {
            self.runs.push(Run {
                file,
                level: 0,
                last,
            });
            self.compact()?;
        }
        self.buf.shrink_to(0);
        self.held = 0;
        Ok(())
    }

    /// Merges the last `FAN` runs while they are of one level, and every run into one past
    /// `MAX_RUNS`.
    fn compact(&mut self) -> io::Result<()> {
        loop {
            let n = self.runs.len();
            let level = match self.runs.last() {
                Some(r) if n >= FAN => r.level,
                _ => break,
            };
            if !self.runs[n - FAN..].iter().all(|r| r.level == level) {
                break;
            }
            let group = self.runs.split_off(n - FAN);
            self.runs.push(merge_runs(group, level + 1)?);
        }
        if self.runs.len() >= MAX_RUNS {
            let level = self.runs.iter().map(|r| r.level).max().unwrap_or(0);
            let all = std::mem::take(&mut self.runs);
            self.runs.push(merge_runs(all, level + 1)?);
        }
        Ok(())
    }

    /// Everything pushed, in key order.
    pub fn finish(mut self) -> io::Result<Sorted> {
        if self.runs.is_empty() {
            self.buf.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            return Ok(Sorted {
                len: self.len,
                store: Store::Memory(Arc::new(self.buf)),
            });
        }
        if !self.buf.is_empty() {
            self.spill()?;
        }
        Ok(Sorted {
            len: self.len,
            store: Store::Runs(self.runs.into_iter().map(|r| Arc::new(r.file)).collect()),
        })
    }
}

impl Default for SpillSorter {
    fn default() -> Self {
        SpillSorter::new()
    }
}

fn write_record(w: &mut impl Write, key: &[u8], payload: &[u8]) -> io::Result<()> {
    w.write_all(&(key.len() as u32).to_le_bytes())?;
    w.write_all(&(payload.len() as u32).to_le_bytes())?;
    w.write_all(key)?;
    w.write_all(payload)
}

/// The next record of a run (or of any file written in this format: `report::Batch` spills
/// the same way), or `None` at its end. A run is our own file: a short read in the middle of a
/// record is an I/O error, not data.
pub fn read_record(r: &mut impl Read) -> io::Result<Option<Record>> {
    let mut lens = [0u8; 8];
    if !read_or_end(r, &mut lens)? {
        return Ok(None);
    }
    let klen = u32::from_le_bytes([lens[0], lens[1], lens[2], lens[3]]) as usize;
    let vlen = u32::from_le_bytes([lens[4], lens[5], lens[6], lens[7]]) as usize;
    let mut key = vec![0u8; klen];
    r.read_exact(&mut key)?;
    let mut val = vec![0u8; vlen];
    r.read_exact(&mut val)?;
    Ok(Some((key.into(), val.into())))
}

/// Fills `buf`, or says `false` at the very end of the file; an end inside `buf` is an I/O
/// error (our own files end only between records).
pub fn read_or_end(r: &mut impl Read, buf: &mut [u8]) -> io::Result<bool> {
    let Some((first, rest)) = buf.split_first_mut() else {
        return Ok(true);
    };
    match r.read_exact(std::slice::from_mut(first)) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
        Err(e) => return Err(e),
    }
    r.read_exact(rest)?;
    Ok(true)
}

/// Runs merged into one of `level` (its last key: the greatest of theirs).
fn merge_runs(runs: Vec<Run>, level: u32) -> io::Result<Run> {
    let last = runs
        .iter()
        .map(|r| r.last.clone())
        .max()
        .unwrap_or_default();
    let file = merge(runs.into_iter().map(|r| r.file).collect())?;
    Ok(Run { file, level, last })
}

/// The runs merged into one sorted file (a k-way merge; each run is already sorted).
fn merge(runs: Vec<File>) -> io::Result<File> {
    let mut readers = Vec::with_capacity(runs.len());
    for mut f in runs {
        use std::io::Seek;
        f.seek(io::SeekFrom::Start(0))?;
        readers.push(BufReader::with_capacity(READ_BUFFER, f));
    }
    let mut heap = BinaryHeap::with_capacity(readers.len());
    for (i, r) in readers.iter_mut().enumerate() {
        if let Some((k, v)) = read_record(r)? {
            heap.push(Reverse((k, i, v)));
        }
    }
    let mut out = BufWriter::new(tempfile::tempfile()?);
    while let Some(Reverse((k, i, v))) = heap.pop() {
        write_record(&mut out, &k, &v)?;
        if let Some((k, v)) = read_record(&mut readers[i])? {
            heap.push(Reverse((k, i, v)));
        }
    }
    out.into_inner().map_err(|e| e.into_error())
}

enum Store {
    Memory(Arc<Vec<Record>>),
    /// Sorted runs, merged as they are read.
    Runs(Vec<Arc<File>>),
}

/// Sorted records, readable any number of times (each `iter` starts at the first).
pub struct Sorted {
    len: u64,
    store: Store,
}

impl Sorted {
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the records are in a file (they outgrew the budget).
    pub fn spilled(&self) -> bool {
        matches!(self.store, Store::Runs(_))
    }

    /// The payloads in key order.
    pub fn iter(&self) -> SortedIter {
        match &self.store {
            Store::Memory(v) => SortedIter::Memory(v.clone(), 0),
            Store::Runs(runs) => SortedIter::Runs(Merging {
                readers: runs
                    .iter()
                    .map(|f| {
                        BufReader::with_capacity(
                            READ_BUFFER,
                            AtReader {
                                file: f.clone(),
                                pos: 0,
                            },
                        )
                    })
                    .collect(),
                heap: BinaryHeap::new(),
                started: false,
            }),
        }
    }
}

impl std::fmt::Debug for Sorted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Sorted({} records, spilled: {})",
            self.len,
            self.spilled()
        )
    }
}

pub enum SortedIter {
    Memory(Arc<Vec<Record>>, usize),
    Runs(Merging),
}

/// A k-way merge of sorted runs, one record of each run in the heap at a time.
pub struct Merging {
    readers: Vec<BufReader<AtReader>>,
    /// (key, run, payload) of each run's next record, smallest key first.
    heap: BinaryHeap<Reverse<Head>>,
    started: bool,
}

impl Merging {
    fn next_record(&mut self) -> io::Result<Option<Box<[u8]>>> {
        if !self.started {
            self.started = true;
            for (i, r) in self.readers.iter_mut().enumerate() {
                if let Some((k, v)) = read_record(r)? {
                    self.heap.push(Reverse((k, i, v)));
                }
            }
        }
        let Some(Reverse((_, i, v))) = self.heap.pop() else {
            return Ok(None);
        };
        if let Some((k, v2)) = read_record(&mut self.readers[i])? {
            self.heap.push(Reverse((k, i, v2)));
        }
        Ok(Some(v))
    }
}

impl Iterator for SortedIter {
    type Item = io::Result<Box<[u8]>>;
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            SortedIter::Memory(v, i) => {
                let r = v.get(*i)?;
                *i += 1;
                Some(Ok(r.1.clone()))
            }
            SortedIter::Runs(m) => m.next_record().transpose(),
        }
    }
}

/// Reads a shared file from its own position (`pread`), so several readers of one file do
/// not move each other's offset.
pub struct AtReader {
    file: Arc<File>,
    pos: u64,
}

impl Read for AtReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(&*self.file, buf, self.pos)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(&*self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted_payloads(budget: usize, keys: &[u32]) -> Vec<u32> {
        let mut s = SpillSorter::with_budget(budget);
        for (seq, k) in keys.iter().enumerate() {
            let mut key = k.to_be_bytes().to_vec();
            key.extend_from_slice(&(seq as u64).to_be_bytes());
            s.push(&key, &k.to_le_bytes()).unwrap();
        }
        let sorted = s.finish().unwrap();
        assert_eq!(sorted.len(), keys.len() as u64);
        let read = |s: &Sorted| -> Vec<u32> {
            s.iter()
                .map(|p| u32::from_le_bytes(p.unwrap()[..4].try_into().unwrap()))
                .collect()
        };
        let once = read(&sorted);
        assert_eq!(once, read(&sorted), "a second reading gives the same");
        once
    }

    #[test]
    fn the_order_does_not_depend_on_the_budget() {
        let keys: Vec<u32> = (0..5000u32)
            .map(|i| i.wrapping_mul(2654435761) % 977)
            .collect();
        let mut want = keys.clone();
        want.sort();
        assert_eq!(sorted_payloads(1 << 30, &keys), want);
        // 60 bytes per record: a run every few records, hundreds of runs.
        assert_eq!(sorted_payloads(600, &keys), want);
        assert_eq!(sorted_payloads(1, &keys), want);
    }

    #[test]
    fn keys_in_order_stay_one_run_and_any_order_stays_under_max_runs() {
        // Ascending keys (ids ascending in file order): every spill is written on at the end
        // of the one run, however many there are.
        let mut s = SpillSorter::with_budget(100);
        for k in 0..20_000u32 {
            s.push(&k.to_be_bytes(), &k.to_le_bytes()).unwrap();
        }
        assert_eq!(s.runs.len(), 1);
        let sorted = s.finish().unwrap();
        let got: Vec<u32> = sorted
            .iter()
            .map(|p| u32::from_le_bytes(p.unwrap()[..4].try_into().unwrap()))
            .collect();
        assert_eq!(got, (0..20_000).collect::<Vec<_>>());

        // Scattered keys, a run every two records: merged by levels, never MAX_RUNS open.
        let mut s = SpillSorter::with_budget(100);
        let mut most = 0;
        for i in 0..20_000u32 {
            let k = i.wrapping_mul(2654435761);
            s.push(&k.to_be_bytes(), &k.to_le_bytes()).unwrap();
            most = most.max(s.runs.len());
        }
        assert!(most < MAX_RUNS, "{most} runs open");
        assert!(s.runs.iter().any(|r| r.level >= 2));
        let got: Vec<u32> = s
            .finish()
            .unwrap()
            .iter()
            .map(|p| u32::from_le_bytes(p.unwrap()[..4].try_into().unwrap()))
            .collect();
        let mut want: Vec<u32> = (0..20_000u32).map(|i| i.wrapping_mul(2654435761)).collect();
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn empty_and_spilled_state() {
        assert!(SpillSorter::new().finish().unwrap().iter().next().is_none());
        let mut s = SpillSorter::with_budget(1);
        s.push(b"k", b"v").unwrap();
        let s = s.finish().unwrap();
        assert!(s.spilled());
        assert_eq!(&*s.iter().next().unwrap().unwrap(), b"v");
    }
}
