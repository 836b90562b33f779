//! `cbam verify`: one side's figures (the actual) against another's (the expected), per
//! shipment, per CN code, sector, origin and in total, each of direct, indirect and total; each
//! side's stated summary against its own lines; differences classified (equal, rounding, real,
//! missing, extra) under a tolerance that knows rounding.

mod compare;
mod consistency;
mod read;
mod select;

pub use compare::{
    compare, Classes, Comparison, Consistency, Deviation, DeviationClass, Tolerance, ToleranceMode,
};
pub use read::{from_csv, from_json, from_report, read, MAX_FIGURE_TCO2E};
pub use select::{rank as sample_rank, Selection, SelectionError};

use crate::model::Date;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

/// The three figures of a shipment or an aggregate; direct and indirect only when stated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Emissions {
    pub direct: Option<Decimal>,
    pub indirect: Option<Decimal>,
    pub total: Decimal,
}

/// The figures compared, in the order they are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Direct,
    Indirect,
    Total,
}

impl Field {
    pub const ALL: [Field; 3] = [Field::Direct, Field::Indirect, Field::Total];
    pub fn name(self) -> &'static str {
        match self {
            Field::Direct => "direct",
            Field::Indirect => "indirect",
            Field::Total => "total",
        }
    }
}

impl Emissions {
    pub fn get(&self, f: Field) -> Option<Decimal> {
        match f {
            Field::Direct => self.direct,
            Field::Indirect => self.indirect,
            Field::Total => Some(self.total),
        }
    }
}

/// One shipment's figures and what it is grouped by, when its source states it (names are
/// indices into [`Figures::names`]: a million shipments share a few hundred of them).
#[derive(Debug, Clone, Default)]
pub struct Shipment {
    pub emissions: Emissions,
    pub cn_code: Option<u32>,
    pub sector: Option<u32>,
    pub origin: Option<u32>,
    pub date: Option<Date>,
}

/// Group names (CN codes, sectors, origins) stored once.
#[derive(Debug, Default)]
pub struct Names {
    list: Vec<String>,
    index: HashMap<String, u32>,
}

impl Names {
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.list.len() as u32;
        self.list.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }
    pub fn get(&self, i: u32) -> &str {
        self.list.get(i as usize).map_or("", String::as_str)
    }
}

/// What a report states about itself in its summaries (the figures `verify` checks against
/// its own lines and against the other side).
#[derive(Debug, Clone, Default)]
pub struct Stated {
    /// `emissions_summary.total_{direct,indirect,embedded}_emissions_tco2`.
    pub totals: Emissions,
    /// The finest number of decimals of the stated figures (what they were rounded to).
    pub decimals: u32,
    /// `emissions_summary.exact_sums` (cbam's reports): the unrounded sums of the lines.
    pub exact_sums: Option<Emissions>,
    /// `emissions_by_product_group[].total_emissions_tco2` by product group.
    pub by_sector: BTreeMap<String, Decimal>,
    /// `emissions_by_origin_country[].total_emissions_tco2` by ISO code.
    pub by_origin: BTreeMap<String, Decimal>,
    /// `goods_summary.total_shipments`.
    pub shipments: Option<u64>,
}

/// One side of a verification: per-shipment figures, and a report's own statements.
#[derive(Debug, Default)]
pub struct Figures {
    pub lines: BTreeMap<String, Shipment>,
    pub names: Names,
    /// The finest number of decimals among the line figures: the precision its lines were
    /// rounded to (trailing zeros may be left out of single figures, never of all).
    pub decimals: u32,
    /// A report's stated summaries.
    pub stated: Option<Stated>,
    /// Shipments the report rejected (`validation_results.rejected_rows`), with their codes:
    /// a shipment missing from this side for a stated reason.
    pub rejected: BTreeMap<String, Vec<String>>,
}

impl Figures {
    /// Adds a shipment; `false` when its id is already there.
    pub(crate) fn insert(&mut self, id: String, s: Shipment) -> bool {
        for f in Field::ALL {
            if let Some(v) = s.emissions.get(f) {
                self.decimals = self.decimals.max(v.scale());
            }
        }
        self.lines.insert(id, s).is_none()
    }
    pub(crate) fn name(&mut self, s: Option<String>) -> Option<u32> {
        s.filter(|s| !s.is_empty()).map(|s| self.names.intern(&s))
    }
}
