//! `cbam suppliers audit`: supplier profiles against what the shipments rely on.

use super::Format;
use anyhow::Context;
use cbam::suppliers_audit::{audit, ShippedRow};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Data quality, vintage, verification, CN coverage; with --shipments, the shipments that rely on each supplier.
    Audit {
        #[arg(long, value_name = "FILE")]
        suppliers: PathBuf,
        #[arg(long, value_name = "FILE")]
        shipments: Option<PathBuf>,
        /// The day ages are counted from (default: today).
        #[arg(long, value_name = "DATE")]
        today: Option<String>,
        /// Data older than this many years is stale.
        #[arg(long, default_value_t = 2)]
        stale_after_years: u32,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

pub fn run(a: Args) -> anyhow::Result<u8> {
    let Sub::Audit {
        suppliers,
        shipments,
        today,
        stale_after_years,
        format,
    } = a.command;
    let (text, _) = cbam::reference::read_text(&suppliers)?;
    let book = cbam::reference::SupplierBook::from_yaml(&suppliers, &text)?;
    let today = match &today {
        Some(t) => cbam::model::Date::parse(t)
            .with_context(|| format!("--today: expected YYYY-MM-DD, found {t:?}"))?,
        None => cbam::model::Date::parse(
            &cbam::time::generated_at(None).map_err(anyhow::Error::msg)?[..10],
        )
        .context("clock")?,
    };
    let mut rows = Vec::new();
    if let Some(p) = &shipments {
        let src = cbam::intake::open_shipments(p, &Default::default())?;
        for c in src.chunks(usize::MAX) {
            src.parse_chunk(&c, |r| {
                use cbam::model::Col;
                let (cbam::intake::Record::Row(row) | cbam::intake::Record::Broken(row, _)) = &r;
                let yes = row.get(Col::HasActualEmissions);
                rows.push(ShippedRow {
                    shipment_id: row.get(Col::ShipmentId).to_string(),
                    supplier_id: row.get(Col::SupplierId).to_string(),
                    cn: cbam::model::CnCode::normalise(row.get(Col::CnCode)),
                    claims_actuals: ["YES", "Y", "TRUE", "1"]
                        .iter()
                        .any(|w| yes.eq_ignore_ascii_case(w)),
                });
            });
        }
    }
    let (summary, findings) = audit(&book, &rows, today.year, stale_after_years);
    let errors = findings
        .iter()
        .filter(|f| f.severity == cbam::model::Severity::Error)
        .count();
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            let j = serde_json::json!({"today": today.to_string(), "suppliers": summary, "findings": findings, "errors": errors});
            writeln!(out, "{}", serde_json::to_string_pretty(&j)?)?;
        }
        Format::Table => {
            writeln!(out, "{:<10}  {:<28}  {:<2}  {:<6}  {:<6}  {:>4}  {:>3}  {:<8}  shipments (claiming actuals)", "supplier", "name", "cc", "actual", "qual.", "year", "age", "verified")?;
            for s in &summary {
                writeln!(
                    out,
                    "{:<10}  {:<28}  {:<2}  {:<6}  {:<6}  {:>4}  {:>3}  {:<8}  {} ({})",
                    s.supplier_id,
                    cbam::model::truncate_for_message(&s.name)
                        .chars()
                        .take(28)
                        .collect::<String>(),
                    s.country_iso,
                    if s.actual_data { "yes" } else { "no" },
                    s.data_quality.as_deref().unwrap_or("-"),
                    s.reporting_year
                        .map(|y| y.to_string())
                        .unwrap_or_else(|| "-".into()),
                    s.age_years
                        .map(|y| y.to_string())
                        .unwrap_or_else(|| "-".into()),
                    match s.verified {
                        Some(true) => "yes",
                        Some(false) => "no",
                        None => "-",
                    },
                    s.shipments,
                    s.shipments_claiming_actuals
                )?;
            }
            if !findings.is_empty() {
                writeln!(out)?;
                for f in &findings {
                    writeln!(
                        out,
                        "{:<8}  {:<16}  {}",
                        f.severity.as_str(),
                        f.check,
                        f.message
                    )?;
                }
            }
            writeln!(
                out,
                "{} suppliers, {} finding(s), {errors} error(s)",
                summary.len(),
                findings.len()
            )?;
        }
    }
    Ok(if errors > 0 { 1 } else { 0 })
}
