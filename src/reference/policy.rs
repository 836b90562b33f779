//! The calculation policy, read from the rules file: supplier matching, staleness, scope,
//! rounding. One place, data not code.

use crate::error::{Error, Result};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplierMatching {
    CnCode,
    ProductGroup,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutOfScope {
    Exclude,
    Calculate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOutsideQuarter {
    Error,
    Warning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    HalfEven,
    HalfUp,
    HalfDown,
    Down,
    Up,
}

impl RoundingMode {
    pub fn strategy(self) -> RoundingStrategy {
        match self {
            RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
            RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundingMode::HalfDown => RoundingStrategy::MidpointTowardZero,
            RoundingMode::Down => RoundingStrategy::ToZero,
            RoundingMode::Up => RoundingStrategy::AwayFromZero,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rounding {
    #[serde(default = "three")]
    pub line_decimals: u32,
    #[serde(default = "two_u32")]
    pub total_decimals: u32,
    #[serde(default = "half_even")]
    pub mode: RoundingMode,
}

fn three() -> u32 {
    3
}
fn two_u32() -> u32 {
    2
}
fn two_years() -> Option<u32> {
    Some(2)
}
fn half_even() -> RoundingMode {
    RoundingMode::HalfEven
}

impl Default for Rounding {
    fn default() -> Self {
        Rounding {
            line_decimals: 3,
            total_decimals: 2,
            mode: RoundingMode::HalfEven,
        }
    }
}

impl Rounding {
    /// A line value: rounded, and written with exactly `line_decimals` places.
    pub fn line(&self, v: Decimal) -> Decimal {
        fixed(v, self.line_decimals, self.mode)
    }
    /// A total (sum of rounded lines): rounded, exactly `total_decimals` places.
    pub fn total(&self, v: Decimal) -> Decimal {
        fixed(v, self.total_decimals, self.mode)
    }
}

/// Rounds with `mode` and pads to exactly `dp` places, so output text never depends on how a
/// value was reached (12.45 and 12.450 print alike).
pub fn fixed(v: Decimal, dp: u32, mode: RoundingMode) -> Decimal {
    let mut r = v.round_dp_with_strategy(dp, mode.strategy());
    r.rescale(dp);
    r
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default = "cn_code")]
    pub supplier_matching: SupplierMatching,
    #[serde(default = "two_years")]
    pub stale_after_years: Option<u32>,
    #[serde(default)]
    pub require_verified: bool,
    #[serde(default = "exclude")]
    pub out_of_scope: OutOfScope,
    #[serde(default = "error")]
    pub date_outside_quarter: DateOutsideQuarter,
    #[serde(default)]
    pub rounding: Rounding,
}

fn cn_code() -> SupplierMatching {
    SupplierMatching::CnCode
}
fn exclude() -> OutOfScope {
    OutOfScope::Exclude
}
fn error() -> DateOutsideQuarter {
    DateOutsideQuarter::Error
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            supplier_matching: SupplierMatching::CnCode,
            stale_after_years: Some(2),
            require_verified: false,
            out_of_scope: OutOfScope::Exclude,
            date_outside_quarter: DateOutsideQuarter::Error,
            rounding: Rounding::default(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct RulesFile {
    #[serde(default)]
    policy: Option<Policy>,
    #[serde(default)]
    constants: Option<Constants>,
}

#[derive(Debug, Deserialize)]
struct Constants {
    #[serde(default)]
    rounding_precision: Option<u32>,
}

impl Policy {
    /// Reads the `policy` section of a rules file (other sections are for the rules engine).
    /// The production system's file has none; its `constants.rounding_precision` is honoured.
    pub fn from_rules_yaml(path: &Path, text: &str) -> Result<Policy> {
        let f: RulesFile = serde_saphyr::from_str(text).map_err(|e| Error::Data {
            path: path.to_path_buf(),
            message: format!("rules file: {e}"),
        })?;
        let mut p = match f.policy {
            Some(p) => p,
            None => {
                let mut p = Policy::default();
                if let Some(dp) = f.constants.and_then(|c| c.rounding_precision) {
                    p.rounding.line_decimals = dp;
                }
                p
            }
        };
        if p.rounding.line_decimals > 10 || p.rounding.total_decimals > 10 {
            return Err(Error::Data {
                path: path.to_path_buf(),
                message: format!(
                    "policy.rounding: expected at most 10 decimals, found line_decimals {} total_decimals {}",
                    p.rounding.line_decimals, p.rounding.total_decimals
                ),
            });
        }
        if p.rounding.total_decimals > p.rounding.line_decimals {
            // Totals are sums of rounded lines; more places than the lines carry would be noise.
            p.rounding.total_decimals = p.rounding.line_decimals;
        }
        Ok(p)
    }
}
