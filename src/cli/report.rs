//! `cbam report`: shipments → report JSON (+ `--summary` Markdown, `--lines` CSV).

use super::reference::ReferenceArgs;
use super::xml::XmlOutcome;
use super::Format;
use anyhow::{bail, Context};
use cbam::declaration::{self, Period};
use cbam::intake::{InputFormat, InputOptions};
use cbam::pipeline::ReportRequest;
use cbam::qreport::build::{Declaration, Goods, Header};
use cbam::reference::ReferenceData;
use cbam::report::{Importer, Report};
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
    #[arg(long, visible_alias = "shipments", value_name = "FILE", num_args = 1.., required = true, help_heading = "Input")]
    pub input: Vec<PathBuf>,
    /// Override the format the extension implies: csv, tsv, sql, xlsx, xls, ods, json.
    #[arg(long, value_name = "FORMAT", help_heading = "Input")]
    pub input_format: Option<String>,
    /// Workbook sheet holding the shipments (default: the first sheet).
    #[arg(long, value_name = "NAME", help_heading = "Input")]
    pub sheet: Option<String>,
    /// Table of a database backup holding the shipments (`name` or `schema.name`).
    #[arg(
        long,
        value_name = "NAME",
        default_value = "shipments",
        help_heading = "Input"
    )]
    pub table: String,
    #[command(flatten)]
    pub input_dialect: super::dialect::InputDialect,
    /// Report JSON to write (atomically).
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub output: PathBuf,
    /// Also write a Markdown summary.
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub summary: Option<PathBuf>,
    /// Also write the report as one self-contained HTML page (charts inline, prints on A4).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Also write one CSV row per calculated shipment.
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub lines: Option<PathBuf>,
    #[command(flatten)]
    pub lines_dialect: super::dialect::OutputDialect,
    /// Also write the EU registry's quarterly report XML (QReport 23.00); needs --declarant-city.
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub xml: Option<PathBuf>,
    #[command(flatten)]
    pub xml_flags: super::xml::XmlFlags,
    #[command(flatten)]
    pub reference: ReferenceArgs,
    /// The importer's name, as registered with its EORI.
    #[arg(long, value_name = "NAME", help_heading = "Declaration")]
    pub importer_name: String,
    /// EU member state of the importer (ISO 3166-1 alpha-2).
    #[arg(long, value_name = "CC", help_heading = "Declaration")]
    pub importer_country: String,
    /// Importer EORI number (two letters, then up to 15 letters or digits).
    #[arg(long, value_name = "EORI", help_heading = "Declaration")]
    pub importer_eori: String,
    /// Who makes the declaration (the XML's Signature).
    #[arg(long, value_name = "NAME", help_heading = "Declaration")]
    pub declarant_name: String,
    /// The declarant's position (e.g. "Customs Compliance Officer").
    #[arg(long, value_name = "TEXT", help_heading = "Declaration")]
    pub declarant_position: String,
    /// The report's quarter (YYYYQn), or a year from 2026 (YYYY: an annual report); rows of other
    /// periods are rejected. Default: the rows' quarter.
    #[arg(
        long,
        visible_alias = "period",
        value_name = "YYYYQn|YYYY",
        help_heading = "Declaration"
    )]
    pub quarter: Option<String>,
    /// Pin report_metadata.generated_at (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ, @EPOCH); else SOURCE_DATE_EPOCH, else now.
    #[arg(long, value_name = "TIME", help_heading = "Declaration")]
    pub generated_at: Option<String>,
    /// Per-shipment detail in the JSON.
    #[arg(long, value_enum, default_value_t = Details::Full, help_heading = "Outputs")]
    pub details: Details,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table, help_heading = "Outputs")]
    pub format: Format,
    /// Print nothing on success.
    #[arg(short, long, help_heading = "Outputs")]
    pub quiet: bool,
}

/// The flags the library does not check: the declaration's names must say something.
fn check_flags(a: &Args) -> anyhow::Result<()> {
    declaration::check_eori(a.importer_eori.trim())?;
    declaration::check_importer_country(&a.importer_country)?;
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

/// The XML's declaration: the report's own, or before there is a report (to check the XML
/// flags before any work is done) the importer's EORI.
fn declaration_of(a: &Args, report: Option<&Report>) -> Declaration {
    match report {
        Some(r) => Declaration::of_report(r),
        None => Declaration {
            importer_eori: a.importer_eori.trim().to_string(),
            ..Declaration::default()
        },
    }
}

/// The flags, checked, as the library's request.
fn request(a: &Args) -> anyhow::Result<ReportRequest> {
    check_flags(a)?;
    let Some((first_input, more_inputs)) = a.input.split_first() else {
        bail!("--input: expected at least one shipments file");
    };
    if a.xml.is_some() {
        Header::new(&declaration_of(a, None), &a.xml_flags.options())?;
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
    let period = a.quarter.as_deref().map(Period::parse).transpose()?;
    Ok(ReportRequest {
        input: first_input.clone(),
        more_inputs: more_inputs.to_vec(),
        input_options: InputOptions {
            format: input_format,
            sheet: a.sheet.clone(),
            table: Some(a.table.clone()),
            delimiter: a.input_dialect.delimiter,
            decimal_mark: a.input_dialect.decimal_mark(),
        },
        reference: a.reference.paths(),
        importer: Importer {
            name: a.importer_name.trim().to_string(),
            country: a.importer_country.trim().to_string(),
            eori: a.importer_eori.trim().to_string(),
            declarant_name: a.declarant_name.trim().to_string(),
            declarant_position: a.declarant_position.trim().to_string(),
        },
        quarter: period.and_then(Period::quarter),
        year: period.and_then(Period::year),
        generated_at: cbam::time::generated_at(a.generated_at.as_deref())?,
        details: a.details == Details::Full,
        keep_lines: a.lines.is_some() || a.xml.is_some(),
        chunk_bytes: None,
        spill_budget: None,
        registry_xml: a.xml.as_ref().map(|p| cbam::qreport::RegistryXml {
            file_name: cbam::provenance::file_name_of(p),
            options: a.xml_flags.options(),
        }),
    })
}

/// Whether one of the run's outputs is standard output (`-`).
fn written_to_stdout(a: &Args) -> bool {
    std::iter::once(Some(&a.output))
        .chain([&a.summary, &a.lines, &a.xml, &a.html].map(Option::as_ref))
        .flatten()
        .any(|p| cbam::fsio::is_stdio(p))
}

/// No output may overwrite an input or another output (checked before anything is read).
fn check_files(a: &Args) -> cbam::error::Result<()> {
    let mut inputs: Vec<(&'static str, &std::path::Path)> =
        a.input.iter().map(|p| ("--input", p.as_path())).collect();
    inputs.extend(a.reference.inputs());
    let mut outputs = vec![("--output", a.output.as_path())];
    for (flag, p) in [
        ("--summary", &a.summary),
        ("--html", &a.html),
        ("--lines", &a.lines),
        ("--xml", &a.xml),
    ] {
        if let Some(p) = p {
            outputs.push((flag, p.as_path()));
        }
    }
    cbam::fsio::check_outputs(&inputs, &outputs)
}

pub fn run(mut a: Args) -> anyhow::Result<u8> {
    check_files(&a)?;
    let mut stdin = super::Stdin::default();
    for p in &mut a.input {
        *p = stdin.resolve(p)?;
    }
    let req = request(&a)?;
    // The reference data is kept: the XML needs the same supplier book the report used
    // (profiles and imported templates), not a second reading of the profiles file.
    let refdata = ReferenceData::load(&req.reference)?;
    let report = cbam::pipeline::build_report_with(&req, &refdata)?;
    let trace = cbam::pipeline::Trace::new();
    let xml = write_outputs(&a, &report, &refdata)?;
    trace.mark("write");
    if !a.quiet {
        // With an output on stdout (`-`), what is said about the run goes to stderr.
        let mut out: Box<dyn Write> = if written_to_stdout(&a) {
            Box::new(std::io::stderr().lock())
        } else {
            Box::new(super::stdout())
        };
        match a.format {
            Format::Json => print_json(&mut out, &a, &report, xml.as_ref())?,
            Format::Table => print_table(&mut out, &a, &report, xml.as_ref())?,
        }
    }
    // The XML's verdict is part of the report's validation (`validation_results.registry`).
    Ok(if report.validation_results.is_valid {
        0
    } else {
        1
    })
}

/// Writes the summary, the lines, the XML (its findings returned) and the report JSON, all
/// or none: each to a temporary file, renamed into place only when every one was written
/// (`fsio::Outputs`); the report JSON is renamed last.
fn write_outputs(
    a: &Args,
    report: &Report,
    refdata: &ReferenceData,
) -> anyhow::Result<Option<XmlOutcome>> {
    let mut outputs = cbam::fsio::Outputs::new();
    if let Some(p) = &a.summary {
        let md = write::summary_markdown(report)?;
        outputs.write(p, |w| w.write_all(md.as_bytes()))?;
    }
    if let Some(p) = &a.lines {
        let dialect = a.lines_dialect.options();
        outputs.write(p, |w| write::write_lines_csv(report, w, &dialect))?;
    }
    let xml_findings = match &a.xml {
        Some(p) => {
            let goods = Goods::from_report(report)
                .context("the report's lines were not kept for the XML")??;
            let suppliers = Some(&refdata.suppliers).filter(|b| b.file_name.is_some());
            Some(super::xml::write(
                &mut outputs,
                p,
                &declaration_of(a, Some(report)),
                &a.xml_flags,
                &goods,
                (suppliers, &refdata.scope),
            )?)
        }
        None => None,
    };
    if let Some(p) = &a.html {
        // The XML's verdict is the report's (`validation_results.registry`): the page shows it.
        let html = cbam::html::render(&cbam::html::Page::of_report(report)?);
        outputs.write(p, |w| w.write_all(html.as_bytes()))?;
    }
    outputs.write(&a.output, |w| write::report_json(report, w))?;
    outputs.commit()?;
    Ok(xml_findings)
}

fn print_json(
    out: &mut impl Write,
    a: &Args,
    report: &Report,
    xml: Option<&XmlOutcome>,
) -> anyhow::Result<()> {
    let v = &report.validation_results;
    let e = &report.emissions_summary;
    let mut s = serde_json::json!({
        "report_id": report.report_metadata.report_id,
        "output": a.output,
        "quarter": report.report_metadata.quarter,
        "rows": report.goods_summary.rows,
        "total_direct_emissions_tco2": e.total_direct_emissions_tco2.to_string(),
        "total_indirect_emissions_tco2": e.total_indirect_emissions_tco2.to_string(),
        "total_embedded_emissions_tco2": e.total_embedded_emissions_tco2.to_string(),
        "actual_data_count": e.calculation_methods_used.actual_data_count,
        "default_values_count": e.calculation_methods_used.default_values_count,
        "is_valid": v.is_valid,
        "errors": v.error_count,
        "warnings": v.warning_count,
    });
    if let (Some(p), Some(x)) = (&a.xml, xml) {
        s["xml"] = serde_json::json!({
            "output": p,
            "written": x.written,
            "valid_for_upload": x.valid_for_upload(),
            "findings": x.findings,
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
    Ok(())
}

fn print_table(
    out: &mut impl Write,
    a: &Args,
    report: &Report,
    xml: Option<&XmlOutcome>,
) -> anyhow::Result<()> {
    let e = &report.emissions_summary;
    let g = &report.goods_summary;
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
    print_certificates(out, report)?;
    print_errors(out, a, report)?;
    if let (Some(p), Some(x)) = (&a.xml, xml) {
        super::xml::print_outcome(out, p, x)?;
    }
    Ok(())
}

fn print_certificates(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    let Some(o) = &report.certificate_obligation else {
        return Ok(());
    };
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
    Ok(())
}

/// The findings count, then the errors: each on its line (with its cell) when there are at
/// most `SHOWN`, else grouped by code with count, first lines and first message — a bounded
/// table either way; every finding is in the report.
fn print_errors(out: &mut impl Write, a: &Args, report: &Report) -> std::io::Result<()> {
    const SHOWN: u64 = 20;
    let v = &report.validation_results;
    writeln!(
        out,
        "findings    {} errors, {} warnings, {} notes",
        v.error_count, v.warning_count, v.info_count
    )?;
    if v.error_count <= SHOWN {
        for f in v.errors.iter() {
            let f = f?;
            let loc = match (f.line, &f.cell) {
                (Some(l), Some(c)) => format!("line {l} (cell {c})"),
                (Some(l), None) => format!("line {l}"),
                (None, _) => "report".to_string(),
            };
            writeln!(
                out,
                "  error {} {} {}: {}",
                f.code,
                loc,
                f.field.unwrap_or(""),
                cbam::model::printable(&f.message)
            )?;
        }
        return Ok(());
    }
    for g in write::finding_groups(&v.errors)? {
        writeln!(
            out,
            "  error {} ×{} at {}{}: {}",
            g.code,
            g.count,
            g.where_found(),
            g.field.map(|f| format!(" ({f})")).unwrap_or_default(),
            cbam::model::printable(&g.message)
        )?;
    }
    writeln!(out, "  every finding is in {}", a.output.display())?;
    Ok(())
}
