//! `cbam report`: shipments → report JSON (+ `--summary` Markdown, `--lines` CSV).

use super::Format;
use anyhow::{bail, Context};
use cbam::assemble::Importer;
use cbam::intake::{InputFormat, InputOptions};
use cbam::model::Quarter;
use cbam::pipeline::ReportRequest;
use cbam::qreport::build::{Declaration, Goods, Header};
use cbam::reference::ReferencePaths;
use cbam::write;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Details {
    /// One `detailed_goods` entry per shipment, with its calculation trail (the production shape).
    Full,
    /// Summaries only; per-shipment lines go to `--lines` if given.
    None,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Shipments: CSV or TSV in the production export format, a plain-SQL pg_dump backup
    /// (.sql, .sql.gz), a workbook (.xlsx, .xls, .ods) or JSON. Several files (`--input a b`
    /// or `--input a --input b`) are read as one set of shipments.
    #[arg(long, visible_alias = "shipments", value_name = "FILE", num_args = 1.., required = true)]
    pub input: Vec<PathBuf>,
    /// Override the format the extension implies: csv, tsv, sql, xlsx, xls, ods, json.
    #[arg(long, value_name = "FORMAT")]
    pub input_format: Option<String>,
    /// Workbook sheet holding the shipments (default: the first sheet).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Table of a database backup holding the shipments (`name` or `schema.name`).
    #[arg(long, value_name = "NAME", default_value = "shipments")]
    pub table: String,
    /// Report JSON to write (atomically).
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
    /// Also write a Markdown summary.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Also write one CSV row per calculated shipment.
    #[arg(long, value_name = "FILE")]
    pub lines: Option<PathBuf>,
    /// Also write the EU registry's quarterly report XML (QReport 23.00); needs --declarant-city.
    #[arg(long, value_name = "FILE")]
    pub xml: Option<PathBuf>,
    #[command(flatten)]
    pub xml_flags: super::xml::XmlFlags,
    /// Supplier profiles (the production system's YAML).
    #[arg(long, value_name = "FILE")]
    pub suppliers: Option<PathBuf>,
    /// EU Communication templates (xlsx, or directories of them) whose actuals apply to the
    /// supplier named by each file (its name without extension, or --supplier-template-map).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub supplier_templates: Vec<PathBuf>,
    /// CSV `supplier_id,template`: which supplier each template is for.
    #[arg(long, value_name = "FILE", requires = "supplier_templates")]
    pub supplier_template_map: Option<PathBuf>,
    /// CN scope table replacing the embedded Annex I scope (cn_codes.json or scope CSV).
    #[arg(long, value_name = "FILE")]
    pub cn_codes: Option<PathBuf>,
    /// Default factors replacing the embedded EU default values (.py, .csv, .json, .yaml).
    #[arg(long, value_name = "FILE")]
    pub emission_factors: Option<PathBuf>,
    /// Rules file with the calculation policy (default: the embedded rules/cbam_rules.yaml).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    #[arg(long)]
    pub importer_name: String,
    /// EU member state of the importer (ISO 3166-1 alpha-2).
    #[arg(long)]
    pub importer_country: String,
    /// Importer EORI number (two letters, then up to 15 letters or digits).
    #[arg(long)]
    pub importer_eori: String,
    #[arg(long)]
    pub declarant_name: String,
    #[arg(long)]
    pub declarant_position: String,
    /// The report's quarter (YYYYQn), or a year from 2026 (YYYY: an annual report); rows of other
    /// periods are rejected. Default: the rows' quarter.
    #[arg(long, visible_alias = "period", value_name = "YYYYQn|YYYY")]
    pub quarter: Option<String>,
    /// Definitive-period certificate data.
    #[command(flatten)]
    pub obligation: ObligationArgs,
    /// Pin report_metadata.generated_at (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ, @EPOCH); else SOURCE_DATE_EPOCH, else now.
    #[arg(long, value_name = "TIME")]
    pub generated_at: Option<String>,
    /// Per-shipment detail in the JSON.
    #[arg(long, value_enum, default_value_t = Details::Full)]
    pub details: Details,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Print nothing on success.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `--benchmarks`, `--certificate-prices`, `--carbon-prices` (definitive period).
#[derive(Debug, Default, clap::Args)]
pub struct ObligationArgs {
    /// Definitive-period default values replacing the embedded table: the Commission's workbook
    /// (one sheet per country) or the project's CSV (data/default_values_definitive.csv layout).
    #[arg(long, value_name = "FILE", conflicts_with = "emission_factors")]
    pub default_values: Option<PathBuf>,
    /// CBAM benchmarks replacing the embedded table: the Commission's workbook or a CSV (project or reference layout).
    #[arg(long, value_name = "FILE")]
    pub benchmarks: Option<PathBuf>,
    /// Certificate prices per quarter of import (`quarter,price_eur,source`), added to the embedded 2026Q1/Q2.
    #[arg(long, value_name = "FILE")]
    pub certificate_prices: Option<PathBuf>,
    /// Carbon prices paid in the country of origin (`origin_iso,cn_code,year,price_paid_eur_per_tco2e,evidence`).
    #[arg(long, value_name = "FILE")]
    pub carbon_prices: Option<PathBuf>,
}

fn check_flags(a: &Args) -> anyhow::Result<()> {
    let eori = a.importer_eori.trim();
    let ok = eori.len() >= 3
        && eori.len() <= 17
        && eori.as_bytes()[..2].iter().all(u8::is_ascii_uppercase)
        && eori.as_bytes()[2..]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !ok {
        bail!("--importer-eori: expected two upper-case letters then 1 to 15 letters or digits (e.g. NL123456789012), found {eori:?}");
    }
    if !cbam::enrich::EU27.contains(&a.importer_country.trim()) {
        bail!(
            "--importer-country: expected an EU member state code (e.g. NL), found {:?}",
            a.importer_country
        );
    }
    for (flag, v) in [
        ("--importer-name", &a.importer_name),
        ("--declarant-name", &a.declarant_name),
        ("--declarant-position", &a.declarant_position),
    ] {
        if v.trim().is_empty() {
            bail!("{flag}: expected a non-empty value");
        }
    }
    Ok(())
}

pub fn run(a: Args) -> anyhow::Result<u8> {
    check_flags(&a)?;
    let Some((first_input, more_inputs)) = a.input.split_first() else {
        bail!("--input: expected at least one shipments file");
    };
    let declaration = |r: Option<&cbam::assemble::Report>| match r {
        Some(r) => Declaration::of_report(r),
        None => Declaration {
            importer_eori: a.importer_eori.trim().to_string(),
            ..Declaration::default()
        },
    };
    if a.xml.is_some() {
        // The XML's own flags are checked before any work is done.
        Header::new(&declaration(None), &a.xml_flags.options()).map_err(anyhow::Error::msg)?;
    }
    let input_format = match &a.input_format {
        Some(f) => Some(InputFormat::parse(f).with_context(|| {
            format!(
                "--input-format: expected one of {}, found {f:?}",
                InputFormat::NAMES
            )
        })?),
        None => None,
    };
    let (quarter, year) = match a.quarter.as_deref().map(str::trim) {
        Some(y) if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()) => {
            let y: i32 = y.parse()?;
            if y < 2026 {
                bail!("--period: an annual report is for a year of the definitive period (2026 or later); the transitional period is reported by quarter (YYYYQn), found {y}");
            }
            (None, Some(y))
        }
        Some(q) => (
            Some(Quarter::parse(q).with_context(|| {
                format!("--quarter: expected YYYYQn (e.g. 2025Q4) or a year from 2026 (YYYY), found {q:?}")
            })?),
            None,
        ),
        None => (None, None),
    };
    let generated_at =
        cbam::time::generated_at(a.generated_at.as_deref()).map_err(anyhow::Error::msg)?;
    let req = ReportRequest {
        input: first_input.clone(),
        more_inputs: more_inputs.to_vec(),
        input_options: InputOptions {
            format: input_format,
            sheet: a.sheet.clone(),
            table: Some(a.table.clone()),
        },
        reference: ReferencePaths {
            cn_codes: a.cn_codes.clone(),
            emission_factors: a.emission_factors.clone(),
            suppliers: a.suppliers.clone(),
            rules: a.rules.clone(),
            supplier_templates: a.supplier_templates.clone(),
            supplier_template_map: a.supplier_template_map.clone(),
            default_values: a.obligation.default_values.clone(),
            obligation: cbam::reference::obligation::ObligationPaths {
                benchmarks: a.obligation.benchmarks.clone(),
                certificate_prices: a.obligation.certificate_prices.clone(),
                carbon_prices: a.obligation.carbon_prices.clone(),
            },
        },
        importer: Importer {
            name: a.importer_name.trim().to_string(),
            country: a.importer_country.trim().to_string(),
            eori: a.importer_eori.trim().to_string(),
            declarant_name: a.declarant_name.trim().to_string(),
            declarant_position: a.declarant_position.trim().to_string(),
        },
        quarter,
        year,
        generated_at,
        details: a.details == Details::Full,
        keep_lines: a.lines.is_some() || a.xml.is_some(),
        chunk_bytes: None,
    };
    // The reference data is kept: the XML needs the same supplier book the report used
    // (profiles and imported templates), not a second reading of the profiles file.
    let refdata = cbam::reference::ReferenceData::load(&req.reference)?;
    let report = cbam::pipeline::build_report_with(&req, &refdata)?;
    let trace = cbam::pipeline::Trace::new();
    // All outputs are produced before any is renamed into place is not possible across files;
    // each is atomic on its own, and the report JSON is written last so its presence means
    // the run completed.
    if let Some(p) = &a.summary {
        let md = write::summary_markdown(&report);
        cbam::fsio::atomic_write(p, |w| w.write_all(md.as_bytes()))?;
    }
    if let Some(p) = &a.lines {
        cbam::fsio::atomic_write(p, |w| write::write_lines_csv(&report, w))?;
    }
    let xml_findings = match &a.xml {
        Some(p) => {
            let goods = Goods::from_report(&report)
                .context("the report's lines were not kept for the XML")?;
            let suppliers = Some(&refdata.suppliers).filter(|b| b.file_name.is_some());
            Some(super::xml::write(
                p,
                &declaration(Some(&report)),
                &a.xml_flags,
                &goods,
                suppliers,
            )?)
        }
        None => None,
    };
    let xml_ok = xml_findings
        .as_deref()
        .is_none_or(|f| !cbam::model::any_error(f));
    write::write_report(&a.output, &report)?;
    trace.mark("write");

    let v = &report.validation_results;
    let e = &report.emissions_summary;
    let g = &report.goods_summary;
    if !a.quiet {
        let mut out = std::io::stdout().lock();
        match a.format {
            Format::Json => {
                let mut s = serde_json::json!({
                    "report_id": report.report_metadata.report_id,
                    "output": a.output,
                    "quarter": report.report_metadata.quarter,
                    "rows": g.rows,
                    "total_direct_emissions_tco2": e.total_direct_emissions_tco2.to_string(),
                    "total_indirect_emissions_tco2": e.total_indirect_emissions_tco2.to_string(),
                    "total_embedded_emissions_tco2": e.total_embedded_emissions_tco2.to_string(),
                    "actual_data_count": e.calculation_methods_used.actual_data_count,
                    "default_values_count": e.calculation_methods_used.default_values_count,
                    "is_valid": v.is_valid,
                    "errors": v.error_count,
                    "warnings": v.warning_count,
                });
                if let Some(p) = &a.xml {
                    s["xml"] = serde_json::json!({
                        "output": p,
                        "written": xml_ok,
                        "findings": xml_findings,
                    });
                }
                if let Some(o) = &report.certificate_obligation {
                    s["certificates"] = o
                        .years
                        .iter()
                        .map(|y| {
                            serde_json::json!({
                                "year": y.year,
                                "certificates": y.certificates,
                                "net_emissions_tco2": y.net_emissions_tco2.to_string(),
                                "estimated_cost_eur": y.estimated_cost_eur.map(|c| c.to_string()),
                            })
                        })
                        .collect();
                }
                writeln!(out, "{}", serde_json::to_string_pretty(&s)?)?;
            }
            Format::Table => {
                writeln!(
                    out,
                    "report      {}  ({})",
                    report.report_metadata.report_id,
                    a.output.display()
                )?;
                writeln!(out, "quarter     {}", report.report_metadata.quarter)?;
                writeln!(
                    out,
                    "rows        {} read = {} calculated + {} rejected + {} out of scope",
                    g.rows.read, g.rows.calculated, g.rows.rejected, g.rows.out_of_scope
                )?;
                writeln!(
                    out,
                    "emissions   {} tCO2e total  ({} direct, {} indirect)",
                    e.total_embedded_emissions_tco2,
                    e.total_direct_emissions_tco2,
                    e.total_indirect_emissions_tco2
                )?;
                writeln!(
                    out,
                    "methods     {} actual data, {} default values",
                    e.calculation_methods_used.actual_data_count,
                    e.calculation_methods_used.default_values_count
                )?;
                if let Some(o) = &report.certificate_obligation {
                    for y in &o.years {
                        writeln!(
                            out,
                            "certificates {}: {} (net {} tCO2e = gross {} - free allocation {} - carbon price {}), cost {}",
                            y.year,
                            y.certificates,
                            y.net_emissions_tco2,
                            y.gross_emissions_tco2,
                            y.free_allocation_adjustment_tco2,
                            y.carbon_price_deduction_tco2,
                            y.estimated_cost_eur
                                .map(|c| format!("EUR {c}"))
                                .unwrap_or_else(|| "not known (a quarter's price is missing)".into())
                        )?;
                    }
                }
                writeln!(
                    out,
                    "findings    {} errors, {} warnings, {} notes",
                    v.error_count, v.warning_count, v.info_count
                )?;
                for f in v.errors.iter().take(20) {
                    let loc = match f.line {
                        Some(l) => format!("line {l}"),
                        None => "report".to_string(),
                    };
                    writeln!(
                        out,
                        "  error {} {} {}: {}",
                        f.code,
                        loc,
                        f.field.unwrap_or(""),
                        f.message
                    )?;
                }
                if v.errors.len() > 20 {
                    writeln!(
                        out,
                        "  … {} more errors in {}",
                        v.errors.len() - 20,
                        a.output.display()
                    )?;
                }
                if let (Some(p), Some(f)) = (&a.xml, &xml_findings) {
                    super::xml::print_outcome(&mut out, p, f)?;
                }
            }
        }
    }
    Ok(if v.is_valid && xml_ok { 0 } else { 1 })
}
