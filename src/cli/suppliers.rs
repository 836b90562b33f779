//! `cbam suppliers audit`: supplier profiles against what the shipments rely on.
//! `cbam suppliers import`: EU Communication templates → supplier profiles.

use super::Format;
use anyhow::Context;
use cbam::model::printable as shown;
use cbam::suppliers_audit::{audit, shipped_rows};
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
        /// Supplier profiles (the production system's YAML, or `suppliers import` output).
        #[arg(long, value_name = "FILE")]
        suppliers: PathBuf,
        /// Shipments (any input format): which suppliers they name and what they claim.
        #[arg(long, value_name = "FILE")]
        shipments: Option<PathBuf>,
        /// Only the shipments of this quarter (2025Q4, Q4-2025): the supplier data a quarter's
        /// report relies on.
        #[arg(long, value_name = "QUARTER")]
        quarter: Option<String>,
        /// The day ages are counted from (default: today).
        #[arg(long, value_name = "DATE")]
        today: Option<String>,
        /// Data older than this many years is stale.
        #[arg(long, default_value_t = 2)]
        stale_after_years: u32,
        /// What stdout shows: `table` for people, `json` for scripts.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// EU Communication templates (xlsx, v2.1 / v2.1.1) → supplier profiles YAML, every value with its file, sheet and cell.
    Import {
        /// Filled templates, one per installation.
        #[arg(required = true, value_name = "TEMPLATE")]
        templates: Vec<PathBuf>,
        /// Supplier id for the profile (one template only; default: the file name without extension).
        #[arg(long, value_name = "ID")]
        supplier_id: Option<String>,
        /// Supplier profiles YAML to write (atomically).
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
        /// Merge into the existing --output file: suppliers with the same id are replaced, others kept.
        #[arg(long)]
        merge: bool,
        /// What stdout shows: `table` for people, `json` for scripts.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

pub fn run(a: Args) -> anyhow::Result<u8> {
    match a.command {
        Sub::Import {
            templates,
            supplier_id,
            output,
            merge,
            format,
        } => import(templates, supplier_id, output, merge, format),
        Sub::Audit {
            suppliers,
            shipments,
            quarter,
            today,
            stale_after_years,
            format,
        } => run_audit(
            suppliers,
            (shipments, quarter),
            today,
            stale_after_years,
            format,
        ),
    }
}

fn import(
    templates: Vec<PathBuf>,
    supplier_id: Option<String>,
    output: PathBuf,
    merge: bool,
    format: Format,
) -> anyhow::Result<u8> {
    use cbam::suppliers_import as si;
    if supplier_id.is_some() && templates.len() > 1 {
        anyhow::bail!(
            "--supplier-id: names the supplier of one template, found {} templates (without it each takes its file name)",
            templates.len()
        );
    }
    // With --merge the output is read too, on purpose: it is rewritten, not destroyed.
    let inputs: Vec<(&'static str, &std::path::Path)> = templates
        .iter()
        .map(|p| ("template", p.as_path()))
        .collect();
    cbam::fsio::check_outputs(&inputs, &[("--output", output.as_path())])?;
    let refdata_scope = cbam::reference::embedded_scope()?;
    let imported = si::import(&templates, supplier_id.as_deref(), &refdata_scope)?;
    let mut ids = std::collections::HashSet::new();
    for i in &imported {
        if !ids.insert(i.supplier_id.as_str()) {
            anyhow::bail!(
                "two templates give supplier id {:?}; rename one file or import them separately with --supplier-id",
                i.supplier_id
            );
        }
    }
    let findings = cbam::reference::template_import::findings(&imported);
    let any = imported.iter().any(|i| i.profile.is_some());
    if any {
        let existing = if merge && output.exists() {
            let (text, _) = cbam::fsio::read_text(&output)?;
            Some(text)
        } else {
            None
        };
        let yaml = si::render(
            &imported,
            existing.as_deref().map(|t| (output.as_path(), t)),
        )?;
        cbam::fsio::atomic_write(&output, |w| w.write_all(yaml.as_bytes()))?;
    }
    let errors = findings
        .iter()
        .filter(|f| f.severity == cbam::model::Severity::Error)
        .count();
    let mut out = super::stdout();
    match format {
        Format::Json => {
            let files: Vec<serde_json::Value> = imported
                .iter()
                .map(|i| {
                    serde_json::json!({
                        "file": i.template.file_name,
                        "sha256": i.template.sha256,
                        "version": i.template.version.as_str(),
                        "supplier_id": i.supplier_id,
                        "cn_codes": i.cn_codes,
                        "profile": si::profile_value(i),
                    })
                })
                .collect();
            let j = serde_json::json!({"output": any.then(|| output.display().to_string()), "templates": files, "findings": findings, "errors": errors});
            writeln!(out, "{}", serde_json::to_string_pretty(&j)?)?;
        }
        Format::Table => {
            for i in &imported {
                let t = &i.template;
                writeln!(
                    out,
                    "{}  (template v{}, sha256 {}…)",
                    t.file_name,
                    t.version.as_str(),
                    &t.sha256[..16]
                )?;
                let name = t
                    .installation
                    .name
                    .as_ref()
                    .map(|c| c.value.as_str())
                    .unwrap_or("-");
                let cc = t
                    .installation
                    .country_iso
                    .as_ref()
                    .map(|c| c.value.as_str())
                    .unwrap_or("-");
                let period = match (&t.period_start, &t.period_end) {
                    (Some(s), Some(e)) => format!("{} … {}", s.value, e.value),
                    _ => "-".into(),
                };
                writeln!(
                    out,
                    "  supplier {}: {} ({}), period {}",
                    shown(&i.supplier_id),
                    shown(name),
                    shown(cc),
                    shown(&period)
                )?;
                for p in &t.products {
                    let used = i.cn_codes.iter().any(|c| c == p.cn.as_str());
                    writeln!(
                        out,
                        "  row {:>3}  CN {}  SEE {} + {} = {} {}{}",
                        p.row,
                        p.cn.spaced(),
                        p.direct.value.round_dp(5),
                        p.indirect.value.round_dp(5),
                        p.total.value.round_dp(5),
                        shown(p.unit.as_ref().map(|u| u.value.as_str()).unwrap_or("")),
                        if used { "" } else { "  (not imported)" }
                    )?;
                }
            }
            for f in &findings {
                writeln!(
                    out,
                    "{:<8} {}  {}{}",
                    f.severity.as_str(),
                    f.code,
                    f.cell
                        .as_deref()
                        .map(|p| format!("{p}: "))
                        .unwrap_or_default(),
                    shown(&f.message)
                )?;
            }
            if any {
                writeln!(
                    out,
                    "{} supplier profile(s) written to {}{}",
                    imported.iter().filter(|i| i.profile.is_some()).count(),
                    output.display(),
                    if merge { " (merged)" } else { "" }
                )?;
            } else {
                writeln!(out, "nothing imported; {} not written", output.display())?;
            }
        }
    }
    Ok(if errors > 0 { 1 } else { 0 })
}

fn run_audit(
    suppliers: PathBuf,
    (shipments, quarter): (Option<PathBuf>, Option<String>),
    today: Option<String>,
    stale_after_years: u32,
    format: Format,
) -> anyhow::Result<u8> {
    let (text, _) = cbam::fsio::read_text(&suppliers)?;
    let book = cbam::reference::SupplierBook::from_yaml(&suppliers, &text)?;
    let today = match &today {
        Some(t) => cbam::model::Date::parse(t)
            .with_context(|| format!("--today: expected YYYY-MM-DD, found {t:?}"))?,
        None => cbam::time::generated_at(None)
            .map_err(anyhow::Error::msg)?
            .get(..10)
            .and_then(cbam::model::Date::parse)
            .context("clock")?,
    };
    let quarter = match &quarter {
        Some(q) => Some(cbam::model::Quarter::parse_flag(q).with_context(|| {
            format!("--quarter: expected a quarter such as 2025Q4 or Q4-2025, found {q:?}")
        })?),
        None => None,
    };
    let mut stdin = super::Stdin::default();
    let rows = match &shipments {
        Some(p) => shipped_rows(&stdin.resolve(p)?, quarter)?,
        None if quarter.is_some() => {
            anyhow::bail!(
                "--quarter: selects the shipments of a quarter; give them with --shipments"
            )
        }
        None => Vec::new(),
    };
    let (summary, findings) = audit(&book, &rows, today.year, stale_after_years);
    let errors = findings
        .iter()
        .filter(|f| f.severity == cbam::model::Severity::Error)
        .count();
    let mut out = super::stdout();
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
                    shown(&s.supplier_id),
                    shown(&cbam::model::truncate_for_message(&s.name))
                        .chars()
                        .take(28)
                        .collect::<String>(),
                    shown(&s.country_iso),
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
                        shown(&f.message)
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
