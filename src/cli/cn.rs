//! `cbam cn lookup|validate|enrich`: CN codes against Annex I.

use super::Format;
use cbam::cn::Lookup;
use cbam::reference::{ReferenceData, ReferencePaths};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
    /// CN scope table replacing the embedded Annex I scope.
    #[arg(long, global = true, value_name = "FILE")]
    pub cn_codes: Option<PathBuf>,
    /// What stdout shows: `table` for people, `json` for scripts.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Classify codes: scope, sector, gases, indirect counted, default values with sources.
    Lookup {
        /// CN codes, 8 digits (spaces and dots allowed: 7208 10 00, 7208.10.00).
        #[arg(required = true, value_name = "CODE")]
        codes: Vec<String>,
    },
    /// Check a CN code list (the production system's cn_codes.json, a CSV with cn_code, or one code per line).
    Validate {
        /// The code list: cn_codes.json, a CSV with a cn_code column, or one code per line.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// How the CN codes of a shipments file classify (per code with counts; --each: per shipment).
    Enrich {
        /// Shipments file (any input format of `report`).
        #[arg(long, visible_alias = "input", value_name = "FILE")]
        shipments: PathBuf,
        /// List every shipment with its code's classification.
        #[arg(long)]
        each: bool,
    },
}

pub fn run(a: Args) -> anyhow::Result<u8> {
    let refdata = ReferenceData::load(&ReferencePaths {
        cn_codes: a.cn_codes.clone(),
        ..Default::default()
    })?;
    let mut out = super::stdout();
    match &a.command {
        Sub::Lookup { codes } => lookup(&mut out, a.format, codes, &refdata),
        Sub::Validate { file } => validate(&mut out, a.format, file, &refdata),
        Sub::Enrich { shipments, each } => {
            let mut stdin = super::Stdin::default();
            let shipments = stdin.resolve(shipments)?;
            enrich(&mut out, a.format, &shipments, *each, &refdata)
        }
    }
}

fn lookup(
    out: &mut impl Write,
    format: Format,
    codes: &[String],
    refdata: &ReferenceData,
) -> anyhow::Result<u8> {
    let found: Vec<_> = codes
        .iter()
        .map(|c| cbam::cn::lookup(c, &refdata.scope, &refdata.factors))
        .collect();
    if format == Format::Json {
        writeln!(out, "{}", serde_json::to_string_pretty(&found)?)?;
    } else {
        for l in &found {
            print_lookup(out, l)?;
        }
    }
    let malformed: Vec<&str> = found
        .iter()
        .filter(|l| l.status == "malformed")
        .map(|l| l.input.as_str())
        .collect();
    anyhow::ensure!(
        malformed.is_empty(),
        "not an 8-digit CN code: {}",
        malformed.join(", ")
    );
    Ok(0)
}

fn print_lookup(out: &mut impl Write, l: &Lookup) -> std::io::Result<()> {
    writeln!(
        out,
        "{}  {}",
        cbam::model::printable(l.cn_code.as_deref().unwrap_or(&l.input)),
        l.status
    )?;
    if let (Some(s), Some(e), Some(d)) = (l.sector, &l.annex_i_entry, &l.description) {
        writeln!(out, "  sector {s}, Annex I entry {e}: {d}")?;
    }
    if l.gases.is_some() {
        writeln!(
            out,
            "  gases {}; indirect emissions counted in the definitive period: {}",
            l.gases.as_deref().unwrap_or(""),
            if l.indirect_counted_definitive == Some(true) {
                "yes"
            } else {
                "no (Annex II)"
            }
        )?;
    }
    for dv in &l.default_values {
        writeln!(
            out,
            "  default, {}: {} → {} direct / {} indirect / {} total {} ({})",
            dv.table, dv.matched_code, dv.direct, dv.indirect, dv.total, dv.unit, dv.confidence
        )?;
        writeln!(out, "    source: {}", dv.source)?;
    }
    Ok(())
}

fn validate(
    out: &mut impl Write,
    format: Format,
    file: &Path,
    refdata: &ReferenceData,
) -> anyhow::Result<u8> {
    let list = cbam::cn::read_list(file)?;
    let problems = cbam::cn::validate_list(&list, &refdata.scope);
    if format == Format::Json {
        let j = serde_json::json!({"file": file.file_name().map(|n| n.to_string_lossy().into_owned()), "codes": list.len(), "problems": problems});
        writeln!(out, "{}", serde_json::to_string_pretty(&j)?)?;
    } else {
        for p in &problems {
            writeln!(
                out,
                "{:<10}  {:<14}  {}",
                cbam::model::printable(&p.code),
                p.problem,
                cbam::model::printable(&p.message)
            )?;
        }
        writeln!(
            out,
            "{} codes checked, {} problem(s)",
            list.len(),
            problems.len()
        )?;
    }
    Ok(if problems.is_empty() { 0 } else { 1 })
}

fn enrich(
    out: &mut impl Write,
    format: Format,
    shipments: &Path,
    each: bool,
    refdata: &ReferenceData,
) -> anyhow::Result<u8> {
    let c = cbam::cn::classify_shipments(shipments, &refdata.scope, each)?;
    let status = c.by_status();
    if format == Format::Json {
        let codes: Vec<_> = c.by_code.iter().map(|((s, sec, code), n)| serde_json::json!({"cn_code": code, "status": s, "sector": sec, "rows": n})).collect();
        let mut j = serde_json::json!({"rows": c.rows, "by_status": status, "codes": codes});
        if each {
            j["shipments"] = c.shipments.iter().map(|x| serde_json::json!({"shipment_id": x.shipment_id, "cn_code": x.cn_code, "status": x.status, "sector": x.sector})).collect();
        }
        writeln!(out, "{}", serde_json::to_string_pretty(&j)?)?;
        return Ok(0);
    }
    if each {
        writeln!(
            out,
            "{:<24}  {:<10}  {:<11}  sector",
            "shipment_id", "cn_code", "status"
        )?;
        for x in &c.shipments {
            writeln!(
                out,
                "{:<24}  {:<10}  {:<11}  {}",
                x.shipment_id, x.cn_code, x.status, x.sector
            )?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "{:<10}  {:<11}  {:<12}  rows",
        "cn_code", "status", "sector"
    )?;
    for ((s, sec, code), n) in &c.by_code {
        writeln!(out, "{code:<10}  {s:<11}  {sec:<12}  {n}")?;
    }
    writeln!(
        out,
        "{} rows: {}",
        c.rows,
        status
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    Ok(0)
}
