//! `cbam verify`: recomputed figures against expected ones, within a tolerance.

use super::reference::ReferenceArgs;
use super::Format;
use anyhow::Context;
use cbam::model::printable as shown;
use cbam::model::{Date, Quarter};
use cbam::verify;
use rust_decimal::Decimal;
use std::io::Write;
use std::path::PathBuf;
use std::str::FromStr;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The figures to check: a report (ours or the production system's), a baseline JSON
    /// {shipment_id: {direct, indirect, total}}, or a CSV (shipment_id, total[, direct, indirect]).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "sample_shipments"
    )]
    pub actual: Option<PathBuf>,
    /// A shipments file to calculate first (embedded defaults, or the reference flags below) and use as the actual figures.
    #[arg(long, value_name = "FILE", conflicts_with = "actual")]
    pub sample_shipments: Option<PathBuf>,
    /// The expected figures (same forms as --actual).
    #[arg(long, visible_aliases = ["expected-results", "baseline"], value_name = "FILE")]
    pub expected: PathBuf,
    /// `rounding` (the default): a figure may differ by what the two sides' rounding
    /// explains (an aggregate of n lines rounded to d decimals: n × ½·10^-d per side); or an
    /// absolute tolerance in tCO2e (`0` = exact).
    #[arg(long, default_value = "rounding", value_name = "rounding|ABS")]
    pub tolerance: String,
    /// Relative tolerance (0.001 = 0.1 % of the expected figure); the larger of it and
    /// --tolerance applies.
    #[arg(long, default_value = "0", value_name = "REL")]
    pub relative: String,
    /// Compare only N shipments of the expected side, drawn by --seed (the others are neither
    /// missing nor extra); the stated summaries are then not compared across sides.
    #[arg(long, value_name = "N")]
    pub sample: Option<usize>,
    /// The sample's seed: the same seed draws the same shipments, whatever the file's order.
    #[arg(long, default_value_t = 1, value_name = "S", requires = "sample")]
    pub seed: u64,
    /// Compare only shipments imported on this day (YYYY-MM-DD), on both sides.
    #[arg(long, value_name = "DATE", conflicts_with_all = ["quarter", "from", "to"])]
    pub date: Option<String>,
    /// Compare only shipments imported in this quarter (2025Q4 or Q4-2025), on both sides.
    #[arg(long, value_name = "QUARTER", conflicts_with_all = ["from", "to"])]
    pub quarter: Option<String>,
    /// Compare only shipments imported on or after this day (with or without --to).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Compare only shipments imported on or before this day (with or without --from).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    #[command(flatten)]
    pub reference: ReferenceArgs,
    /// Show at most this many deviations.
    #[arg(long, default_value_t = 20)]
    pub max: usize,
    /// What stdout shows: `table` for people, `json` for scripts.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(mut a: Args) -> anyhow::Result<u8> {
    let tolerance = tolerance(&a)?;
    let selection = selection(&a)?;
    let mut stdin = super::Stdin::default();
    a.expected = stdin.resolve(&a.expected)?;
    if let Some(p) = &a.actual {
        a.actual = Some(stdin.resolve(p)?);
    }
    let actual = match (&a.actual, &a.sample_shipments) {
        (Some(p), _) => verify::read(p)?,
        (None, Some(s)) => {
            let req = cbam::pipeline::ReportRequest::calculation_only(
                s.clone(),
                a.reference.paths(),
                false,
            );
            verify::from_report(&cbam::pipeline::build_report(&req)?)?
        }
        (None, None) => anyhow::bail!("give --actual FILE or --sample-shipments FILE"),
    };
    let expected = verify::read(&a.expected)?;
    let c = verify::compare(&actual, &expected, tolerance, &selection, a.max)?;
    let mut out = super::stdout();
    match a.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&c)?)?,
        Format::Table => print_table(&mut out, &c)?,
    }
    Ok(if c.ok { 0 } else { 1 })
}

fn tolerance(a: &Args) -> anyhow::Result<verify::Tolerance> {
    let mode = match a.tolerance.as_str() {
        "rounding" => verify::ToleranceMode::Rounding,
        t => verify::ToleranceMode::Absolute(
            Decimal::from_str(t)
                .ok()
                .filter(|d| *d >= Decimal::ZERO && *d <= Decimal::from(verify::MAX_FIGURE_TCO2E))
                .with_context(|| {
                    format!("--tolerance: expected `rounding` or a number of tCO2e (0 or more), found {t:?}")
                })?,
        ),
    };
    // Bounded (0 to 1000) so that `rel × figure` stays inside Decimal's range.
    let relative = Decimal::from_str(&a.relative)
        .ok()
        .filter(|r| *r >= Decimal::ZERO && *r <= Decimal::ONE_THOUSAND)
        .with_context(|| {
            format!(
                "--relative: expected a number from 0 to 1000, found {:?}",
                a.relative
            )
        })?;
    Ok(verify::Tolerance { mode, relative })
}

fn date(flag: &str, text: &str) -> anyhow::Result<Date> {
    Date::parse(text).with_context(|| {
        format!(
            "{flag}: expected a date YYYY-MM-DD, found {:?}",
            shown(text)
        )
    })
}

fn selection(a: &Args) -> anyhow::Result<verify::Selection> {
    let dates = match (&a.date, &a.quarter, &a.from, &a.to) {
        (Some(d), ..) => {
            let d = date("--date", d)?;
            Some((d, d))
        }
        (None, Some(q), ..) => {
            let q = Quarter::parse_flag(q).with_context(|| {
                format!(
                    "--quarter: expected 2025Q4 or Q4-2025, found {:?}",
                    shown(q)
                )
            })?;
            Some((q.start(), q.end()))
        }
        (None, None, None, None) => None,
        (None, None, from, to) => {
            let from = from.as_deref().map(|d| date("--from", d)).transpose()?;
            let to = to.as_deref().map(|d| date("--to", d)).transpose()?;
            let (lo, hi) = (
                Date {
                    year: 0,
                    month: 1,
                    day: 1,
                },
                Date {
                    year: 9999,
                    month: 12,
                    day: 31,
                },
            );
            let range = (from.unwrap_or(lo), to.unwrap_or(hi));
            if range.0 > range.1 {
                anyhow::bail!("--from {} is after --to {}", range.0, range.1);
            }
            Some(range)
        }
    };
    Ok(verify::Selection {
        sample: a.sample.map(|n| (n, a.seed)),
        dates,
    })
}

fn print_table(out: &mut impl Write, c: &verify::Comparison) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<9}  {:<24}  {:<8}  {:>14}  {:>14}  {:>12}  {:<8}  ok",
        "level", "key", "field", "actual", "expected", "difference", "class"
    )?;
    for d in &c.deviations {
        writeln!(
            out,
            "{:<9}  {:<24}  {:<8}  {:>14}  {:>14}  {:>12}  {:<8}  {}",
            d.level,
            shown(&d.key),
            d.field.name(),
            d.actual,
            d.expected,
            d.difference,
            class_name(d.class),
            if d.within_tolerance { "yes" } else { "NO" }
        )?;
    }
    for i in c
        .consistency
        .iter()
        .filter(|i| i.class == verify::DeviationClass::Real)
    {
        writeln!(
            out,
            "INCONSISTENT {}: {} states {}, its own lines add up to {} (difference {}, rounding explains {})",
            i.side, i.stated_at, i.stated, i.from_lines, i.difference, i.rounding_allowance
        )?;
    }
    for (what, ids) in [
        ("missing in actual", &c.missing_in_actual),
        ("extra in actual", &c.extra_in_actual),
    ] {
        if !ids.is_empty() {
            let first: Vec<_> = ids.iter().take(20).map(|x| shown(x)).collect();
            writeln!(out, "{what} ({}): {}", ids.len(), first.join(", "))?;
        }
    }
    if !c.missing_rejected_by_actual.is_empty() {
        let codes: Vec<String> = c
            .missing_rejected_by_actual
            .iter()
            .map(|(code, n)| format!("{} × {n}", shown(code)))
            .collect();
        writeln!(
            out,
            "  of the missing, rejected by the actual report: {} (see its validation_results.rejected_rows)",
            codes.join(", ")
        )?;
    }
    if let Some(s) = &c.selection {
        writeln!(out, "compared: {s}")?;
    }
    let k = &c.classes;
    writeln!(
        out,
        "{}: {} shipments compared, {} figures: {} equal, {} rounding, {} real; {} outside tolerance ({}{}); {} missing, {} extra; {} stated figure(s) inconsistent with their own lines",
        if c.ok { "MATCH" } else { "MISMATCH" },
        c.shipments_compared,
        c.figures_compared,
        k.equal,
        k.rounding,
        k.real,
        c.outside_tolerance,
        if c.tolerance == "rounding" { "rounding-aware".to_string() } else { format!("abs {}", c.tolerance) },
        if c.relative_tolerance.is_zero() { String::new() } else { format!(", rel {}", c.relative_tolerance) },
        k.missing,
        k.extra,
        k.inconsistent,
    )?;
    Ok(())
}

fn class_name(c: verify::DeviationClass) -> &'static str {
    match c {
        verify::DeviationClass::Equal => "equal",
        verify::DeviationClass::Rounding => "rounding",
        verify::DeviationClass::Real => "real",
    }
}
