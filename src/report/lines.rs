//! The calculated lines of a report, in report order (shipment id, then row), read back in
//! batches as often as needed — never all in memory. Where they come from (the pipeline keeps
//! the rows compactly, spilled to disk past a budget, and recalculates each batch) is behind
//! `LineSource`; the writers, the rules, `verify` and the XML only read batches.

use crate::model::Line;
use std::io;

/// A source of the report's lines.
pub trait LineSource: Send + Sync {
    fn line_count(&self) -> u64;
    /// Hands over the lines in report order, in batches of at most `n`.
    fn batches(
        &self,
        n: usize,
        each: &mut dyn FnMut(Vec<Line>) -> io::Result<()>,
    ) -> io::Result<()>;
}

/// The report's lines.
pub struct Lines(pub Box<dyn LineSource>);

/// A line's place in report order, the key the stored lines are sorted by: its shipment id,
/// then its row, then its input file's index (ids are unique, so row and file only order
/// the rejected duplicates' kin, and make every key distinct).
pub fn line_key(out: &mut Vec<u8>, shipment_id: &str, row: u64, file: u32) {
    crate::fsio::codec::key_str(out, shipment_id);
    out.extend_from_slice(&row.to_be_bytes());
    out.extend_from_slice(&file.to_be_bytes());
}

/// Lines per batch when a reader does not need another size.
pub const LINE_BATCH: usize = 8192;

impl Lines {
    pub fn len(&self) -> u64 {
        self.0.line_count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.line_count() == 0
    }

    pub fn batches(
        &self,
        n: usize,
        mut each: impl FnMut(Vec<Line>) -> io::Result<()>,
    ) -> io::Result<()> {
        self.0.batches(n, &mut each)
    }

    /// Every line in report order.
    pub fn for_each(&self, mut each: impl FnMut(&Line) -> io::Result<()>) -> io::Result<()> {
        self.batches(LINE_BATCH, |batch| batch.iter().try_for_each(&mut each))
    }
}

impl Lines {
    /// Every line at once — for tests and callers that know the report is small; everything
    /// else reads batches.
    pub fn read_all(&self) -> io::Result<Vec<Line>> {
        let mut all = Vec::new();
        self.batches(LINE_BATCH, |mut b| {
            all.append(&mut b);
            Ok(())
        })?;
        Ok(all)
    }
}

impl std::fmt::Debug for Lines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lines({})", self.len())
    }
}
