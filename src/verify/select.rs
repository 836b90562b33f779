//! Which shipments are compared: all, those imported in a date range, a seeded sample of the
//! expected side, or a sample within a date range.

use super::{Figures, Shipment};
use crate::model::Date;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::rc::Rc;

/// What `--sample`, `--seed`, `--date`, `--quarter`, `--from` and `--to` ask for.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Draw this many shipments of the expected side, with this seed.
    pub sample: Option<(usize, u64)>,
    /// Only shipments imported on these days (inclusive).
    pub dates: Option<(Date, Date)>,
}

#[derive(Debug, thiserror::Error)]
pub enum SelectionError {
    #[error(
        "the {side} side's shipment {id} has no import_date: a date filter needs one on every shipment"
    )]
    Undated { side: &'static str, id: String },
}

/// The shipments of one side that take part.
pub(super) struct Chosen {
    dates: Option<(Date, Date)>,
    sample: Option<Rc<HashSet<String>>>,
}

impl Chosen {
    fn admits(&self, id: &str, s: &Shipment) -> bool {
        let dated = match (self.dates, s.date) {
            (None, _) => true,
            (Some((from, to)), Some(d)) => from <= d && d <= to,
            (Some(_), None) => false,
        };
        dated && self.sample.as_ref().is_none_or(|set| set.contains(id))
    }
    pub(super) fn iter<'a>(
        &'a self,
        f: &'a Figures,
    ) -> impl Iterator<Item = (&'a str, &'a Shipment)> {
        f.lines
            .iter()
            .map(|(id, s)| (id.as_str(), s))
            .filter(|(id, s)| self.admits(id, s))
    }
    /// The sample's shipments, sorted (empty without a sample).
    pub(super) fn sampled(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.sample.iter().flat_map(|s| s.iter().cloned()).collect();
        ids.sort();
        ids
    }
    pub(super) fn get<'a>(&self, f: &'a Figures, id: &str) -> Option<&'a Shipment> {
        f.lines.get(id).filter(|s| self.admits(id, s))
    }
}

/// The sample's order: a hash of the seed and the id, so the draw depends on neither the
/// file's order nor its size, and the same seed draws the same shipments on every machine.
pub fn rank(seed: u64, id: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(seed.to_be_bytes());
    h.update(id.as_bytes());
    h.finalize().into()
}

impl Selection {
    pub fn is_whole(&self) -> bool {
        self.sample.is_none() && self.dates.is_none()
    }

    /// What was compared, in words (`None` when everything).
    pub fn describe(&self) -> Option<String> {
        let dates = self.dates.map(|(a, b)| {
            if a == b {
                format!("shipments imported on {a}")
            } else {
                format!("shipments imported {a} to {b}")
            }
        });
        let sample = self
            .sample
            .map(|(n, seed)| format!("a sample of {n} expected shipments (seed {seed})"));
        match (sample, dates) {
            (None, None) => None,
            (Some(s), None) => Some(s),
            (None, Some(d)) => Some(d),
            (Some(s), Some(d)) => Some(format!("{s} among {d}")),
        }
    }

    fn dated(&self, side: &'static str, f: &Figures) -> Result<(), SelectionError> {
        if self.dates.is_none() {
            return Ok(());
        }
        match f.lines.iter().find(|(_, s)| s.date.is_none()) {
            Some((id, _)) => Err(SelectionError::Undated {
                side,
                id: id.clone(),
            }),
            None => Ok(()),
        }
    }

    /// The expected side's shipments that take part (the sample is drawn from them).
    pub(super) fn choose(&self, side: &'static str, f: &Figures) -> Result<Chosen, SelectionError> {
        self.dated(side, f)?;
        let mut chosen = Chosen {
            dates: self.dates,
            sample: None,
        };
        if let Some((n, seed)) = self.sample {
            let mut ranked: Vec<([u8; 32], &str)> =
                chosen.iter(f).map(|(id, _)| (rank(seed, id), id)).collect();
            ranked.sort_unstable();
            let set = ranked.into_iter().take(n).map(|(_, id)| id.to_string());
            chosen.sample = Some(Rc::new(set.collect()));
        }
        Ok(chosen)
    }

    /// The other side's shipments that take part: the same dates and the same sample.
    pub(super) fn restrict(
        &self,
        side: &'static str,
        f: &Figures,
        expected: &Chosen,
    ) -> Result<Chosen, SelectionError> {
        self.dated(side, f)?;
        Ok(Chosen {
            dates: expected.dates,
            sample: expected.sample.clone(),
        })
    }
}
