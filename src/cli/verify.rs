//! `cbam verify`: recomputed figures against expected ones, within a tolerance.

use super::reference::ReferenceArgs;
use super::Format;
use anyhow::Context;
use cbam::model::printable as shown;
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
    /// Absolute tolerance in tCO2e.
    #[arg(long, default_value = "0.001", value_name = "ABS")]
    pub tolerance: String,
    /// Relative tolerance (0.001 = 0.1 %); the larger of the two applies.
    #[arg(long, default_value = "0", value_name = "REL")]
    pub relative: String,
    #[command(flatten)]
    pub reference: ReferenceArgs,
    /// Show at most this many deviations.
    #[arg(long, default_value_t = 20)]
    pub max: usize,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(a: Args) -> anyhow::Result<u8> {
    let abs = Decimal::from_str(&a.tolerance)
        .with_context(|| format!("--tolerance: expected a number, found {:?}", a.tolerance))?;
    // Bounded (0 to 1000) so that `rel × figure` stays inside Decimal's range.
    let rel = Decimal::from_str(&a.relative)
        .ok()
        .filter(|r| *r >= Decimal::ZERO && *r <= Decimal::ONE_THOUSAND)
        .with_context(|| {
            format!(
                "--relative: expected a number from 0 to 1000, found {:?}",
                a.relative
            )
        })?;
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
    let c = verify::compare(&actual, &expected, abs, rel);
    let mut out = std::io::stdout().lock();
    match a.format {
        Format::Json => {
            let mut j = serde_json::to_value(&c)?;
            if let Some(d) = j.get_mut("deviations").and_then(|d| d.as_array_mut()) {
                d.truncate(a.max);
            }
            writeln!(out, "{}", serde_json::to_string_pretty(&j)?)?;
        }
        Format::Table => print_table(&mut out, &c, a.max, abs, rel)?,
    }
    Ok(if c.ok { 0 } else { 1 })
}

fn print_table(
    out: &mut impl Write,
    c: &verify::Comparison,
    max: usize,
    abs: Decimal,
    rel: Decimal,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<9}  {:<24}  {:>14}  {:>14}  {:>12}  ok",
        "level", "key", "actual", "expected", "difference"
    )?;
    for d in c.deviations.iter().take(max) {
        writeln!(
            out,
            "{:<9}  {:<24}  {:>14}  {:>14}  {:>12}  {}",
            d.level,
            shown(&d.key),
            d.actual,
            d.expected,
            d.difference,
            if d.within_tolerance { "yes" } else { "NO" }
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
    writeln!(
        out,
        "{}: {} shipments compared, {} figure(s) outside tolerance (abs {abs}, rel {rel}), {} missing, {} extra",
        if c.ok { "MATCH" } else { "MISMATCH" },
        c.shipments_compared,
        c.outside_tolerance,
        c.missing_in_actual.len(),
        c.extra_in_actual.len()
    )?;
    Ok(())
}
