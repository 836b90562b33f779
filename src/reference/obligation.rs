//! Reference data of the definitive-period certificate obligation: CBAM benchmarks (embedded
//! or `--benchmarks`), the CBAM factor by year, certificate prices (embedded or
//! `--certificate-prices`) and carbon prices paid in the country of origin (`--carbon-prices`).

use super::csv::{csv_records, refuse_unknown_columns, Rec};
use crate::error::{Error, Result};
use crate::fsio::read_text;
use crate::model::{CnCode, Quarter};
use crate::provenance::FileDigest;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::benchmarks::dec_col;
pub use super::benchmarks::{split_route, Benchmark, BenchmarkChoice, BenchmarkTable, NoBenchmark};
pub use crate::embedded::{BENCHMARKS, CBAM_FACTORS, CERTIFICATE_PRICES};

/// Cross-sectoral correction factor 2026-2030: 1.00 is a working assumption (reported for
/// Implementing Decision (EU) 2026/1862, whose text was not read).
pub const CSCF: Decimal = Decimal::ONE;

/// The largest certificate price or carbon price paid a file may give, EUR per tCO2e (ETS
/// prices are below 200): a larger one is a typing error, refused when read, and the bound
/// keeps cost and deduction far inside `Decimal`'s range.
pub const MAX_PRICE_EUR: u32 = 1_000_000;

/// A certificate price per quarter of import, with its source.
#[derive(Debug, Clone)]
pub struct Price {
    pub eur: Decimal,
    pub source: String,
}

/// A carbon price effectively paid in the country of origin (Art. 9), net of rebates.
#[derive(Debug, Clone)]
pub struct CarbonPrice {
    pub origin: String,
    /// `None`: every good from that origin.
    pub cn: Option<CnCode>,
    pub year: i32,
    pub eur_per_tco2e: Decimal,
    pub evidence: String,
}

#[derive(Debug, Default)]
pub struct ObligationRef {
    pub benchmarks: BenchmarkTable,
    /// Year → (CBAM factor, source); years after the last row take the last row.
    pub cbam_factors: BTreeMap<i32, (Decimal, String)>,
    pub prices: BTreeMap<Quarter, Price>,
    pub carbon_prices: Vec<CarbonPrice>,
    /// Digests of the tables used (listed in the `certificate_obligation` section only, so
    /// transitional reports do not change).
    pub digests: Vec<FileDigest>,
}

/// Which files override the embedded obligation data.
#[derive(Debug, Clone, Default)]
pub struct ObligationPaths {
    pub benchmarks: Option<PathBuf>,
    pub certificate_prices: Option<PathBuf>,
    pub carbon_prices: Option<PathBuf>,
}

fn parse_quarter(rec: &Rec, col: &str) -> Result<Quarter> {
    let v = rec.get(col);
    Quarter::parse(&v.replace('-', ""))
        .ok_or_else(|| rec.bad(col, "a quarter like 2026Q3 or 2026-Q3", v))
}

fn prices_from_csv(path: &Path, text: &str, out: &mut BTreeMap<Quarter, Price>) -> Result<()> {
    let head = text.lines().next().unwrap_or("");
    let qcol = if head.contains("quarter") {
        "quarter"
    } else {
        "period"
    };
    refuse_unknown_columns(
        path,
        text,
        &[
            "quarter",
            "period",
            "price_eur",
            "published",
            "status",
            "source",
        ],
    )?;
    let mut first_line: BTreeMap<Quarter, u64> = BTreeMap::new();
    for rec in csv_records(path, text, &[qcol, "price_eur"])? {
        let q = parse_quarter(&rec, qcol)?;
        if let Some(first) = first_line.insert(q, rec.line) {
            return Err(rec.bad(
                qcol,
                &format!("each quarter once (it is on line {first} too)"),
                rec.get(qcol),
            ));
        }
        let eur = dec_col(&rec, "price_eur")?
            .filter(|p| *p > Decimal::ZERO && *p <= Decimal::from(MAX_PRICE_EUR))
            .ok_or_else(|| {
                rec.bad(
                    "price_eur",
                    &format!("a positive price in EUR of at most {MAX_PRICE_EUR}"),
                    rec.get("price_eur"),
                )
            })?;
        let source = match rec.get("source") {
            "" => format!("{} line {}", file_name(path), rec.line),
            s => s.to_string(),
        };
        out.insert(q, Price { eur, source });
    }
    Ok(())
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `--carbon-prices`: `origin_iso,cn_code,year,price_paid_eur_per_tco2e,evidence`; `cn_code`
/// empty or `*` means every good from that origin. Evidence is required.
pub fn carbon_prices_from_csv(path: &Path, text: &str) -> Result<Vec<CarbonPrice>> {
    const COLUMNS: &[&str] = &[
        "origin_iso",
        "cn_code",
        "year",
        "price_paid_eur_per_tco2e",
        "evidence",
        "note",
    ];
    refuse_unknown_columns(path, text, COLUMNS)?;
    let mut out = Vec::new();
    let mut first_line: BTreeMap<(String, Option<CnCode>, i32), u64> = BTreeMap::new();
    for rec in csv_records(
        path,
        text,
        &[
            "origin_iso",
            "cn_code",
            "year",
            "price_paid_eur_per_tco2e",
            "evidence",
        ],
    )? {
        let origin = rec.get("origin_iso");
        if origin.len() != 2 || !origin.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(rec.bad("origin_iso", "an ISO 3166-1 alpha-2 code", origin));
        }
        let cn = match rec.get("cn_code") {
            "" | "*" => None,
            c => Some(
                CnCode::normalise(c)
                    .ok_or_else(|| rec.bad("cn_code", "an 8-digit CN code or *", c))?,
            ),
        };
        let year: i32 = rec
            .get("year")
            .parse()
            .ok()
            .filter(|y| (2026..=2100).contains(y))
            .ok_or_else(|| rec.bad("year", "a year from 2026", rec.get("year")))?;
        let eur_per_tco2e = dec_col(&rec, "price_paid_eur_per_tco2e")?
            .filter(|p| *p >= Decimal::ZERO && *p <= Decimal::from(MAX_PRICE_EUR))
            .ok_or_else(|| {
                rec.bad(
                    "price_paid_eur_per_tco2e",
                    &format!("a price in EUR per tCO2e, 0 to {MAX_PRICE_EUR}"),
                    rec.get("price_paid_eur_per_tco2e"),
                )
            })?;
        let evidence = rec.get("evidence");
        if evidence.is_empty() {
            return Err(rec.bad(
                "evidence",
                "a reference to the evidence of payment (Art. 9 requires it)",
                "",
            ));
        }
        if let Some(first) = first_line.insert((origin.to_string(), cn, year), rec.line) {
            return Err(rec.bad(
                "cn_code",
                &format!("one price per origin, good and year ({origin}, {}, {year} is on line {first} too)", rec.get("cn_code")),
                rec.get("cn_code"),
            ));
        }
        out.push(CarbonPrice {
            origin: origin.to_string(),
            cn,
            year,
            eur_per_tco2e,
            evidence: evidence.to_string(),
        });
    }
    Ok(out)
}

impl ObligationRef {
    pub fn load(paths: &ObligationPaths) -> Result<ObligationRef> {
        let mut r = ObligationRef::default();
        r.benchmarks = match &paths.benchmarks {
            Some(p) => {
                let (bytes, table) = load_benchmarks_file(p)?;
                r.digests.push(FileDigest::of("benchmarks", p, &bytes));
                table
            }
            None => {
                let (name, text) = BENCHMARKS;
                r.digests
                    .push(FileDigest::embedded("benchmarks", name, text.as_bytes()));
                BenchmarkTable::from_csv(Path::new(name), text)?
            }
        };
        let (name, text) = CBAM_FACTORS;
        r.digests
            .push(FileDigest::embedded("cbam_factors", name, text.as_bytes()));
        for rec in csv_records(Path::new(name), text, &["year", "cbam_factor", "source"])? {
            let year: i32 = rec
                .get("year")
                .parse()
                .map_err(|_| rec.bad("year", "a year", rec.get("year")))?;
            let f = dec_col(&rec, "cbam_factor")?
                .ok_or_else(|| rec.bad("cbam_factor", "a fraction", ""))?;
            r.cbam_factors
                .insert(year, (f, rec.get("source").to_string()));
        }
        let (name, text) = CERTIFICATE_PRICES;
        r.digests.push(FileDigest::embedded(
            "certificate_prices",
            name,
            text.as_bytes(),
        ));
        prices_from_csv(Path::new(name), text, &mut r.prices)?;
        if let Some(p) = &paths.certificate_prices {
            let (text, bytes) = read_text(p)?;
            r.digests
                .push(FileDigest::of("certificate_prices", p, &bytes));
            prices_from_csv(p, &text, &mut r.prices)?;
        }
        if let Some(p) = &paths.carbon_prices {
            let (text, bytes) = read_text(p)?;
            r.digests.push(FileDigest::of("carbon_prices", p, &bytes));
            r.carbon_prices = carbon_prices_from_csv(p, &text)?;
        }
        Ok(r)
    }

    /// The CBAM factor of `year` (the share of free allocation kept) and its source.
    pub fn cbam_factor(&self, year: i32) -> (Decimal, &str) {
        match self.cbam_factors.range(..=year).next_back() {
            Some((_, (f, s))) => (*f, s.as_str()),
            // Before the first row (not a definitive-period year): all free allocation kept.
            None => (Decimal::ONE, "no CBAM factor before 2026 (100 %)"),
        }
    }

    /// The carbon price paid for a good: a row for its CN code beats one for every good.
    pub fn carbon_price(&self, origin: &str, cn: &CnCode, year: i32) -> Option<&CarbonPrice> {
        let rows = || {
            self.carbon_prices
                .iter()
                .filter(move |c| c.origin == origin && c.year == year)
        };
        rows()
            .find(|c| c.cn.as_ref() == Some(cn))
            .or_else(|| rows().find(|c| c.cn.is_none()))
    }
}

fn load_benchmarks_file(p: &Path) -> Result<(Vec<u8>, BenchmarkTable)> {
    if crate::fsio::is_workbook(p) {
        let bytes = std::fs::read(p).map_err(|source| Error::Read {
            path: p.to_path_buf(),
            source,
        })?;
        let table = super::workbook::read_benchmarks_from(p, &bytes)?;
        return Ok((bytes, table));
    }
    let (text, bytes) = read_text(p).map_err(|e| match e {
        Error::Data { path, message } => Error::Data {
            path,
            message: format!("{message}; expected a benchmarks CSV"),
        },
        other => other,
    })?;
    Ok((bytes, BenchmarkTable::from_csv(p, &text)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Method;

    fn cn(s: &str) -> CnCode {
        CnCode::normalise(s).unwrap()
    }

    #[test]
    fn routes_split() {
        assert_eq!(
            split_route("(F)(1)"),
            Some(("F".into(), "2026-2027".into()))
        );
        assert_eq!(split_route("(2)"), Some(("".into(), "2028-2030".into())));
        assert_eq!(split_route(""), Some(("".into(), "".into())));
        assert_eq!(split_route("(FF)"), None);
    }

    #[test]
    fn embedded_benchmarks_choose_by_route_and_column() {
        let r = ObligationRef::load(&ObligationPaths::default()).unwrap();
        assert_eq!(r.benchmarks.len(), 1804);
        // 7208 10 00 default values, route (C) from the default-value table: Column B 1.37.
        let c = r
            .benchmarks
            .choose(&cn("72081000"), 2026, Method::DefaultValues, "(C)")
            .unwrap();
        assert_eq!(
            (c.value.to_string(), c.column, c.ambiguous.is_some()),
            ("1.37".into(), "B", false)
        );
        // No route known: three Column B values; the lowest (scrap/EAF 0.072) with a note.
        let c = r
            .benchmarks
            .choose(&cn("72081000"), 2026, Method::DefaultValues, "")
            .unwrap();
        assert_eq!(c.value.to_string(), "0.072");
        assert!(c.ambiguous.is_some());
        // Actual data: Column A, one value for every route.
        let c = r
            .benchmarks
            .choose(&cn("72081000"), 2026, Method::ActualData, "")
            .unwrap();
        assert_eq!(
            (c.value.to_string(), c.column, c.ambiguous.is_some()),
            ("0.044".into(), "A", false)
        );
        // Hydrogen 5.089 (A and B).
        let c = r
            .benchmarks
            .choose(&cn("28041000"), 2026, Method::DefaultValues, "")
            .unwrap();
        assert_eq!(c.value.to_string(), "5.089");
        // Production years: 7224 10 10 grade (F) 1.807 for 2026-27, 1.64 from 2028.
        let f = |y| {
            r.benchmarks
                .choose(&cn("72241010"), y, Method::DefaultValues, "(F)")
                .unwrap()
                .value
                .to_string()
        };
        assert_eq!(
            (f(2027), f(2028)),
            ("1.807".to_string(), "1.64".to_string())
        );
        assert!(r
            .benchmarks
            .choose(&cn("27160000"), 2026, Method::DefaultValues, "")
            .is_err());
    }

    #[test]
    fn alloy_grades_take_the_highest_benchmark_of_the_production_year() {
        let r = ObligationRef::load(&ObligationPaths::default()).unwrap();
        let b = |y, route: &str| {
            r.benchmarks
                .choose(&cn("72052100"), y, Method::DefaultValues, route)
                .unwrap()
        };
        // 7205 21 00, Column B, 2026-27: (F) 1.46, (G) 0.659, (H) 0.328, (J) 0.852 → F 1.46.
        let c = b(2026, "");
        assert_eq!(
            (c.value.to_string(), c.route.as_str()),
            ("1.46".into(), "F")
        );
        assert!(c.ambiguous.is_none());
        assert!(c.rule.as_deref().unwrap().contains("point 5.1"));
        // 2028-30: (F) 1.298, (G) 0.647, (H) 0.315, (J) 0.82 → 1.298.
        assert_eq!(b(2028, "").value.to_string(), "1.298");
        // The default-value table's route narrows first: (E)/(H) leaves only grade H.
        let c = b(2026, "(E)/(H)");
        assert_eq!(c.value.to_string(), "0.328");
        assert!(c.rule.is_none() && c.ambiguous.is_none());
        // Carbon-steel routes left open still take the lowest (7205 10 00: C 1.288, D 0.424,
        // E 0.027).
        let c = r
            .benchmarks
            .choose(&cn("72051000"), 2026, Method::DefaultValues, "")
            .unwrap();
        assert_eq!(c.value.to_string(), "0.027");
        assert!(c.ambiguous.is_some() && c.rule.is_none());
    }

    #[test]
    fn cbam_factor_by_year() {
        let r = ObligationRef::load(&ObligationPaths::default()).unwrap();
        let f = |y| r.cbam_factor(y).0.to_string();
        assert_eq!(f(2026), "0.975");
        assert_eq!(f(2027), "0.95");
        assert_eq!(f(2030), "0.515");
        assert_eq!(f(2040), "0");
        assert_eq!(
            r.prices[&Quarter { year: 2026, q: 1 }].eur.to_string(),
            "75.36"
        );
        assert_eq!(
            r.prices[&Quarter { year: 2026, q: 2 }].eur.to_string(),
            "75.28"
        );
        assert!(!r.prices.contains_key(&Quarter { year: 2026, q: 3 }));
    }
}
