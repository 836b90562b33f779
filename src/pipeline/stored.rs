//! The report's lines as the pipeline keeps them: each calculated row stored compactly (its
//! 16 fields, extra columns, row and line, and which input it came from) in a sorted list that
//! spills to disk past a budget, in report order (shipment id, then row). Reading the lines
//! back recalculates each batch of rows in parallel — the same checks and arithmetic on the
//! same row and reference data give the same line — so no line is ever held for the whole
//! file, and a million lines cost their rows' bytes on disk, not 800 bytes each in memory.

use crate::calculate::Calculator;
use crate::enrich::{Checker, DuplicateIds};
use crate::fsio::codec::{corrupt, key_str, put_u64, Decoder};
use crate::model::{Col, Line, Quarter, ShipmentRow};
use crate::reference::ReferenceData;
use crate::report::{LineSource, Listed, Record};
use rayon::prelude::*;
use std::io;
use std::sync::Arc;

/// A calculated row, and the index of its input file.
pub(super) struct StoredRow {
    pub row: ShipmentRow,
    pub file: u32,
}

impl Record for StoredRow {
    fn key(&self, out: &mut Vec<u8>) {
        key_str(out, self.row.get(Col::ShipmentId));
        out.extend_from_slice(&self.row.row.to_be_bytes());
        out.extend_from_slice(&self.file.to_be_bytes());
    }

    fn row_in_key(key_len: usize) -> usize {
        key_len.saturating_sub(12)
    }

    fn encode(&self, out: &mut Vec<u8>) {
        self.row.encode(out);
        put_u64(out, u64::from(self.file));
    }

    fn decode(bytes: &[u8]) -> io::Result<StoredRow> {
        let mut d = Decoder(bytes);
        let row = ShipmentRow::decode(&mut d)?;
        let file = u32::try_from(d.u64()?).map_err(|_| corrupt())?;
        d.end()?;
        Ok(StoredRow { row, file })
    }
}

/// What recalculating a stored row needs besides the row: the same as the first pass had.
pub(super) struct StoredLines {
    pub rows: Listed<StoredRow>,
    pub refdata: Arc<ReferenceData>,
    /// File names by input index (findings of the recalculation are dropped: the first pass
    /// recorded them).
    pub files: Vec<String>,
    pub quarter: Option<Quarter>,
    pub year: Option<i32>,
}

impl LineSource for StoredLines {
    fn line_count(&self) -> u64 {
        self.rows.len()
    }

    fn batches(
        &self,
        n: usize,
        each: &mut dyn FnMut(Vec<Line>) -> io::Result<()>,
    ) -> io::Result<()> {
        let n = n.max(1);
        // The next batch is read back and recalculated while `each` works on this one.
        let mut raw = self.rows.iter_encoded();
        let mut next_raw = || -> io::Result<Vec<Box<[u8]>>> {
            let mut rows = Vec::with_capacity(n.min(1 << 16));
            for r in raw.by_ref() {
                rows.push(r?);
                if rows.len() == n {
                    break;
                }
            }
            Ok(rows)
        };
        let mut current = self.recalculate(next_raw()?)?;
        while !current.is_empty() {
            let rows = next_raw()?;
            let mut next = Ok(Vec::new());
            // (`in_place_scope`: `each` stays on this thread, it need not be `Send`.)
            let done = rayon::in_place_scope(|s| {
                s.spawn(|_| next = self.recalculate(rows));
                each(current)
            });
            done?;
            current = next?;
        }
        Ok(())
    }
}

impl StoredLines {
    /// The lines of a batch of encoded rows, decoded and recalculated in parallel.
    fn recalculate(&self, rows: Vec<Box<[u8]>>) -> io::Result<Vec<Line>> {
        // Ids repeated in the file were rejected in the first pass: no stored row has one.
        let no_dups = DuplicateIds::default();
        let tools = || -> Vec<Option<(Checker<'_>, Calculator<'_>)>> {
            (0..self.files.len()).map(|_| None).collect()
        };
        rows.into_par_iter()
            .with_min_len(512)
            .map_init(tools, |tools, bytes| {
                let s = StoredRow::decode(&bytes)?;
                let file = self.files.get(s.file as usize).ok_or_else(corrupt)?;
                let (checker, calculator) = tools
                    .get_mut(s.file as usize)
                    .ok_or_else(corrupt)?
                    .get_or_insert_with(|| {
                        (
                            Checker::new(&self.refdata, self.quarter, file, &no_dups)
                                .for_year(self.year),
                            Calculator::new(&self.refdata, file),
                        )
                    });
                let (row, line) = (s.row.row, s.row.line);
                let mut dropped = Vec::new();
                checker
                    .check(s.row, &mut dropped)
                    .and_then(|shipment| calculator.line(shipment, &mut dropped))
                    .map_err(|_| {
                        io::Error::other(format!(
                            "{file}: row {row} (line {line}) was calculated and is rejected when read back"
                        ))
                    })
            })
            .collect()
    }
}
