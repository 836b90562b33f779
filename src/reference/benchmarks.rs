//! The CBAM benchmarks (IR (EU) 2025/2620 Annex point 5): the table, embedded or read from a
//! file, and the choice of the benchmark for a good (route, production years, alloy grades).

use super::csv::{csv_records, Rec};
use crate::error::Result;
use crate::model::{CnCode, Method};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::path::Path;

/// Why no benchmark applies to a CN code (the certificates are then not reduced for it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoBenchmark {
    #[error("no CBAM benchmark for CN {cn}")]
    ForCode { cn: String },
    #[error("no Column {column} CBAM benchmark for CN {cn} (production years {years})")]
    InColumn {
        column: &'static str,
        cn: String,
        years: &'static str,
    },
}

/// One row of the benchmark table.
#[derive(Debug, Clone)]
pub struct Benchmark {
    /// Production-route letter(s) as the Commission's table prints them (`C`, `K`, …), or empty.
    pub route: String,
    /// `2026-2027`, `2028-2030`, or empty (all years).
    pub years: String,
    pub column_a: Option<Decimal>,
    pub column_b: Option<Decimal>,
    pub source: String,
}

/// The benchmark used for a good, and why.
#[derive(Debug, Clone)]
pub struct BenchmarkChoice {
    pub value: Decimal,
    /// The table's code the value comes from (a sibling under the same 6-digit subheading when
    /// the code itself has no row).
    pub cn_code: String,
    /// `A` (actual data) or `B` (default values).
    pub column: &'static str,
    pub route: String,
    pub years: String,
    pub source: String,
    /// Set when several routes fitted with different values (the lowest is used).
    pub ambiguous: Option<String>,
    /// Set when several alloy grades fitted (the highest is used, IR 2025/2620 point 5.1).
    pub rule: Option<String>,
}

#[derive(Debug, Default)]
pub struct BenchmarkTable {
    by_cn: HashMap<String, Vec<Benchmark>>,
}

/// `(C)(1)` → (`C`, `2026-2027`); also the project's split columns.
pub fn split_route(route: &str) -> Option<(String, String)> {
    let mut letter = String::new();
    let mut years = String::new();
    for part in route
        .split(')')
        .map(|p| p.trim_matches(|c: char| c.is_whitespace()))
        .filter(|p| !p.is_empty())
    {
        let p = part.strip_prefix('(')?;
        match p {
            "1" => years = "2026-2027".into(),
            "2" => years = "2028-2030".into(),
            l if l.len() == 1 && l.as_bytes()[0].is_ascii_uppercase() => letter = l.into(),
            _ => return None,
        }
    }
    Some((letter, years))
}

pub(super) fn dec_col(rec: &Rec, col: &str) -> Result<Option<Decimal>> {
    super::factors::dec(rec.get(col))
        .map_err(|_| rec.bad(col, "a decimal number (tCO2e/t) or empty", rec.get(col)))
}

/// A benchmark above this (tCO2e per t, either sign) is a typing error, refused when read:
/// the largest EU benchmark is about 5 (hydrogen), and the bound keeps every product of a
/// benchmark with a mass far inside `Decimal`'s range.
pub const MAX_BENCHMARK: u32 = 1000;

/// Whether a benchmark read from a file is within ±[`MAX_BENCHMARK`].
pub fn benchmark_in_bounds(v: Decimal) -> bool {
    v.abs() <= Decimal::from(MAX_BENCHMARK)
}

/// A benchmark column: a decimal or empty, within ±[`MAX_BENCHMARK`].
fn benchmark_col(rec: &Rec, col: &str) -> Result<Option<Decimal>> {
    match dec_col(rec, col)? {
        Some(v) if !benchmark_in_bounds(v) => Err(rec.bad(
            col,
            &format!("a benchmark of at most {MAX_BENCHMARK} tCO2e/t"),
            rec.get(col),
        )),
        v => Ok(v),
    }
}

impl BenchmarkTable {
    /// The project's CSV (`cn_code,sector,route,production_years,column_a,column_b,source`) or
    /// the reference layout (`cn_code,…,route,benchmark_col_a,benchmark_col_b,source`, route
    /// written `(C)(1)`).
    pub fn from_csv(path: &Path, text: &str) -> Result<BenchmarkTable> {
        let reference_layout = text
            .lines()
            .next()
            .is_some_and(|h| h.contains("benchmark_col_b"));
        let (a, b) = if reference_layout {
            ("benchmark_col_a", "benchmark_col_b")
        } else {
            ("column_a", "column_b")
        };
        let mut t = BenchmarkTable::default();
        let mut lines = std::collections::HashMap::new();
        for rec in csv_records(path, text, &["cn_code", a, b])? {
            let cn = CnCode::normalise(rec.get("cn_code"))
                .ok_or_else(|| rec.bad("cn_code", "an 8-digit CN code", rec.get("cn_code")))?;
            let (route, years) = if reference_layout {
                split_route(rec.get("route")).ok_or_else(|| {
                    rec.bad(
                        "route",
                        "a route like (C), (1) or (F)(2), or empty",
                        rec.get("route"),
                    )
                })?
            } else {
                (
                    rec.get("route").to_string(),
                    rec.get("production_years").to_string(),
                )
            };
            if let Some(first) = lines.get(&(cn, route.clone(), years.clone())).copied() {
                return Err(rec.bad(
                    "cn_code",
                    &format!(
                        "each code, route and production years once (line {first} has them too)"
                    ),
                    rec.get("cn_code"),
                ));
            }
            lines.insert((cn, route.clone(), years.clone()), rec.line);
            let row = Benchmark {
                route,
                years,
                column_a: benchmark_col(&rec, a)?,
                column_b: benchmark_col(&rec, b)?,
                source: rec.get("source").to_string(),
            };
            t.insert(cn, row);
        }
        Ok(t)
    }

    pub fn insert(&mut self, cn: CnCode, row: Benchmark) {
        self.by_cn
            .entry(cn.as_str().to_string())
            .or_default()
            .push(row);
    }

    /// The CN codes with rows, sorted.
    pub fn codes(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.by_cn.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// The rows of one CN code (empty when it has none).
    pub fn rows(&self, cn: &str) -> &[Benchmark] {
        self.by_cn.get(cn).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn len(&self) -> usize {
        self.by_cn.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_cn.is_empty()
    }

    /// Column B (default values) or A (actual data) for `cn` imported in `year`. Rows are
    /// narrowed by production years (the import year stands for the production year) and, for
    /// default values, by the route the default-value table gives (`(C)`, `(C)/(F)`, …). When
    /// several alloy grades remain the highest is used (point 5.1); when several other
    /// routes remain, the lowest: it never understates the certificates.
    pub fn choose(
        &self,
        cn: &CnCode,
        year: i32,
        method: Method,
        dv_route: &str,
    ) -> Result<BenchmarkChoice, NoBenchmark> {
        // The code's own rows, else those of the codes under its 6-digit subheading (e.g. a
        // declared 7601 10 00 takes 7601 10 10 and 7601 10 90), ambiguity noted as usual.
        let rows: Vec<(&String, &Benchmark)> = match self.by_cn.get_key_value(cn.as_str()) {
            Some((k, rows)) => rows.iter().map(|b| (k, b)).collect(),
            None => {
                let sub = &cn.as_str()[..6];
                let mut v: Vec<(&String, &Benchmark)> = self
                    .by_cn
                    .iter()
                    .filter(|(k, _)| k.starts_with(sub))
                    .flat_map(|(k, rows)| rows.iter().map(move |b| (k, b)))
                    .collect();
                v.sort_by(|a, b| a.0.cmp(b.0));
                v
            }
        };
        if rows.is_empty() {
            return Err(NoBenchmark::ForCode { cn: cn.spaced() });
        }
        let (column, pick): (&'static str, fn(&Benchmark) -> Option<Decimal>) = match method {
            Method::DefaultValues => ("B", |b| b.column_b),
            Method::ActualData => ("A", |b| b.column_a),
        };
        let years = if year <= 2027 {
            "2026-2027"
        } else {
            "2028-2030"
        };
        let mut fit: Vec<(&String, &Benchmark)> = rows
            .iter()
            .copied()
            .filter(|(_, b)| (b.years.is_empty() || b.years == years) && pick(b).is_some())
            .collect();
        let letters: Vec<char> = dv_route
            .chars()
            .filter(|c| c.is_ascii_uppercase())
            .collect();
        if method == Method::DefaultValues && !letters.is_empty() {
            let by_route: Vec<(&String, &Benchmark)> = fit
                .iter()
                .copied()
                .filter(|(_, b)| b.route.chars().any(|c| letters.contains(&c)))
                .collect();
            if !by_route.is_empty() {
                fit = by_route;
            }
        }
        let mut distinct: Vec<(String, Decimal)> = fit
            .iter()
            .map(|(_, b)| (b.route.clone(), pick(b).unwrap_or_default()))
            .collect();
        distinct.sort();
        distinct.dedup();
        let listed = || {
            distinct
                .iter()
                .map(|(r, v)| {
                    format!(
                        "{}{v}",
                        if r.is_empty() {
                            String::new()
                        } else {
                            format!("({r}) ")
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        // Point 5.1 of the Annex to IR (EU) 2025/2620: where several alloy grades (F, G, H, J)
        // are given for one CN code, the highest benchmark of the production year is used.
        // Any other choice left open (carbon-steel routes C/D/E, aluminium K/L, cement A/B,
        // when the route is not known) takes the lowest: no provision chooses, and the lowest
        // never understates the certificates.
        let alloy_grades = fit.len() > 1
            && fit
                .iter()
                .all(|(_, b)| !b.route.is_empty() && b.route.chars().all(|c| "FGHJ".contains(c)));
        let chosen = if alloy_grades {
            fit.iter().copied().max_by_key(|(_, b)| pick(b))
        } else {
            fit.iter().copied().min_by_key(|(_, b)| pick(b))
        };
        let Some((chosen_cn, row)) = chosen else {
            return Err(NoBenchmark::InColumn {
                column,
                cn: cn.spaced(),
                years,
            });
        };
        let value = pick(row).unwrap_or_default();
        let several = distinct.iter().any(|(_, v)| *v != value);
        let (ambiguous, rule) = match (several, alloy_grades) {
            (false, _) => (None, None),
            (true, true) => (None, Some(format!(
                "CN {}: Column {column} gives several alloy grades{} ({}); the highest, {value} (grade {}), is used (IR (EU) 2025/2620 Annex point 5.1)",
                cn.spaced(),
                if dv_route.is_empty() { String::new() } else { format!(" for route {dv_route}") },
                listed(),
                row.route
            ))),
            (true, false) => (Some(format!(
                "CN {}: the route is not known{}; Column {column} benchmarks {}; the lowest, {value}, is used (it does not understate the certificates)",
                cn.spaced(),
                if dv_route.is_empty() { String::new() } else { format!(" beyond {dv_route}") },
                listed()
            )), None),
        };
        Ok(BenchmarkChoice {
            value,
            cn_code: chosen_cn.clone(),
            column,
            route: row.route.clone(),
            years: row.years.clone(),
            source: row.source.clone(),
            ambiguous,
            rule,
        })
    }
}
