//! Which of any number of `u64`s occur more than once, in bounded memory: the values are held
//! up to the spill budget, past it sorted into runs of raw little-endian `u64`s in unlinked
//! temporary files, and the runs merged as they are read at the end. The duplicate-id check
//! keeps one fingerprint per row this way, so its memory does not grow with the rows.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};

/// Runs open at once: past this many they are merged into one (a file descriptor each).
const MAX_RUNS: usize = 64;

#[derive(Default)]
pub struct Repeats {
    held: Vec<u64>,
    runs: Vec<File>,
    /// Values held before a run is written (0 until first use: the budget's).
    cap: usize,
}

impl Repeats {
    /// Adds values (in any order). Never more than `cap` are held: a `Vec` grown past it
    /// would double its capacity (and hold both while it moves).
    pub fn extend(&mut self, mut values: &[u64]) -> io::Result<()> {
        if self.cap == 0 {
            // A quarter of the budget: 512Ki fingerprints (4 MiB) at the default.
            self.cap = (super::spill::budget() / 32).max(1);
        }
        while !values.is_empty() {
            let room = self.cap - self.held.len();
            let (now, later) = values.split_at(room.min(values.len()));
            self.held.extend_from_slice(now);
            values = later;
            if self.held.len() >= self.cap {
                self.spill()?;
            }
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        self.held.sort_unstable();
        let mut w = BufWriter::new(tempfile::tempfile()?);
        for v in self.held.drain(..) {
            w.write_all(&v.to_le_bytes())?;
        }
        self.runs.push(w.into_inner().map_err(|e| e.into_error())?);
        if self.runs.len() >= MAX_RUNS {
            let mut out = BufWriter::new(tempfile::tempfile()?);
            merge(std::mem::take(&mut self.runs), |v| {
                out.write_all(&v.to_le_bytes())
            })?;
            self.runs
                .push(out.into_inner().map_err(|e| e.into_error())?);
        }
        Ok(())
    }

    /// The values that occur more than once, each once, ascending.
    pub fn repeated(mut self) -> io::Result<Vec<u64>> {
        let mut out = Vec::new();
        let mut last: Option<u64> = None;
        let mut see = |v: u64| -> io::Result<()> {
            if last == Some(v) && out.last() != Some(&v) {
                out.push(v);
            }
            last = Some(v);
            Ok(())
        };
        if self.runs.is_empty() {
            self.held.sort_unstable();
            self.held.iter().try_for_each(|v| see(*v))?;
        } else {
            if !self.held.is_empty() {
                self.spill()?;
            }
            merge(self.runs, see)?;
        }
        Ok(out)
    }
}

/// The runs' values in ascending order, each handed to `each` (a k-way merge).
fn merge(runs: Vec<File>, mut each: impl FnMut(u64) -> io::Result<()>) -> io::Result<()> {
    let mut readers = Vec::with_capacity(runs.len());
    for mut f in runs {
        f.seek(io::SeekFrom::Start(0))?;
        readers.push(BufReader::with_capacity(64 << 10, f));
    }
    let mut heap = BinaryHeap::with_capacity(readers.len());
    for (i, r) in readers.iter_mut().enumerate() {
        if let Some(v) = next(r)? {
            heap.push(Reverse((v, i)));
        }
    }
    while let Some(Reverse((v, i))) = heap.pop() {
        each(v)?;
        if let Some(v) = next(&mut readers[i])? {
            heap.push(Reverse((v, i)));
        }
    }
    Ok(())
}

/// A run's next value; a run ends only between values (it is our own file).
fn next(r: &mut impl Read) -> io::Result<Option<u64>> {
    let mut b = [0u8; 8];
    Ok(super::spill::read_or_end(r, &mut b)?.then(|| u64::from_le_bytes(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repeated(cap: usize, values: &[u64]) -> Vec<u64> {
        let mut r = Repeats {
            cap,
            ..Repeats::default()
        };
        for part in values.chunks(7) {
            r.extend(part).unwrap();
        }
        r.repeated().unwrap()
    }

    #[test]
    fn the_repeats_do_not_depend_on_the_budget() {
        let values: Vec<u64> = (0..20_000u64)
            .map(|i| i.wrapping_mul(2654435761) % 15_000)
            .collect();
        let mut want: Vec<u64> = values.clone();
        want.sort_unstable();
        let mut twice: Vec<u64> = want
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0])
            .collect();
        twice.dedup();
        assert!(!twice.is_empty());
        assert_eq!(repeated(1 << 20, &values), twice);
        // A run every 3 values: thousands of runs, merged past MAX_RUNS.
        assert_eq!(repeated(3, &values), twice);
        assert_eq!(repeated(1, &values), twice);
        assert!(repeated(2, &[5, 4, 3, 2, 1]).is_empty());
        assert_eq!(repeated(2, &[9, 9, 9, 1]), vec![9]);
    }
}
