//! `cbam cn lookup|validate|enrich`: CN codes against Annex I.

use super::Format;
use cbam::reference::{ReferenceData, ReferencePaths};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
    /// CN scope table replacing the embedded Annex I scope.
    #[arg(long, global = true, value_name = "FILE")]
    pub cn_codes: Option<PathBuf>,
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Classify codes: scope, sector, gases, indirect counted, default values with sources.
    Lookup {
        #[arg(required = true, value_name = "CODE")]
        codes: Vec<String>,
    },
    /// Check a CN code list (the production system's cn_codes.json, a CSV with cn_code, or one code per line).
    Validate {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// How the CN codes of a shipments file classify (per code with counts; --each: per shipment).
    Enrich {
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
    let mut out = std::io::stdout().lock();
    match a.command {
        Sub::Lookup { codes } => {
            let found: Vec<_> = codes
                .iter()
                .map(|c| cbam::cn::lookup(c, &refdata.scope, &refdata.factors))
                .collect();
            if a.format == Format::Json {
                writeln!(out, "{}", serde_json::to_string_pretty(&found)?)?;
            } else {
                for l in &found {
                    writeln!(
                        out,
                        "{}  {}",
                        l.cn_code.as_deref().unwrap_or(&l.input),
                        l.status
                    )?;
                    if let (Some(s), Some(e), Some(d)) =
                        (l.sector, &l.annex_i_entry, &l.description)
                    {
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
                            "  default, {}: {} → {} direct / {} indirect / {} total tCO2e/t ({})",
                            dv.table,
                            dv.matched_code,
                            dv.direct,
                            dv.indirect,
                            dv.total,
                            dv.confidence
                        )?;
                        writeln!(out, "    source: {}", dv.source)?;
                    }
                }
            }
            anyhow::ensure!(
                found.iter().all(|l| l.status != "malformed"),
                "not an 8-digit CN code: {}",
                found
                    .iter()
                    .filter(|l| l.status == "malformed")
                    .map(|l| l.input.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(0)
        }
        Sub::Validate { file } => {
            let list = cbam::cn::read_list(&file)?;
            let problems = cbam::cn::validate_list(&list, &refdata.scope);
            if a.format == Format::Json {
                let j = serde_json::json!({"file": file.file_name().map(|n| n.to_string_lossy().into_owned()), "codes": list.len(), "problems": problems});
                writeln!(out, "{}", serde_json::to_string_pretty(&j)?)?;
            } else {
                for p in &problems {
                    writeln!(out, "{:<10}  {:<14}  {}", p.code, p.problem, p.message)?;
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
        Sub::Enrich { shipments, each } => {
            let src = cbam::intake::open_shipments(&shipments, &Default::default())?;
            let mut by: BTreeMap<(String, String, String), u64> = BTreeMap::new();
            let mut per_row: Vec<(String, String, String, String)> = Vec::new();
            let mut rows = 0u64;
            for c in src.chunks(usize::MAX) {
                rows += src.parse_chunk(&c, |r| {
                    let (cbam::intake::Record::Row(row) | cbam::intake::Record::Broken(row, _)) =
                        &r;
                    let l = cbam::cn::lookup(
                        row.get(cbam::model::Col::CnCode),
                        &refdata.scope,
                        &cbam::reference::FactorTable::User(Default::default()),
                    );
                    let code = l.cn_code.clone().unwrap_or_else(|| l.input.clone());
                    if each {
                        per_row.push((
                            row.get(cbam::model::Col::ShipmentId).to_string(),
                            code.clone(),
                            l.status.to_string(),
                            l.sector.unwrap_or("").to_string(),
                        ));
                    }
                    *by.entry((
                        l.status.to_string(),
                        l.sector.unwrap_or("").to_string(),
                        code,
                    ))
                    .or_insert(0) += 1;
                });
            }
            let mut status: BTreeMap<&str, u64> = BTreeMap::new();
            for ((s, _, _), n) in &by {
                *status.entry(s.as_str()).or_insert(0) += n;
            }
            if a.format == Format::Json {
                let codes: Vec<_> = by.iter().map(|((s, sec, c), n)| serde_json::json!({"cn_code": c, "status": s, "sector": sec, "rows": n})).collect();
                let mut j = serde_json::json!({"rows": rows, "by_status": status, "codes": codes});
                if each {
                    j["shipments"] = per_row.iter().map(|(id, c, s, sec)| serde_json::json!({"shipment_id": id, "cn_code": c, "status": s, "sector": sec})).collect();
                }
                writeln!(out, "{}", serde_json::to_string_pretty(&j)?)?;
            } else {
                if each {
                    writeln!(
                        out,
                        "{:<24}  {:<10}  {:<11}  sector",
                        "shipment_id", "cn_code", "status"
                    )?;
                    for (id, c, s, sec) in &per_row {
                        writeln!(out, "{id:<24}  {c:<10}  {s:<11}  {sec}")?;
                    }
                    writeln!(out)?;
                }
                writeln!(
                    out,
                    "{:<10}  {:<11}  {:<12}  rows",
                    "cn_code", "status", "sector"
                )?;
                for ((s, sec, c), n) in &by {
                    writeln!(out, "{c:<10}  {s:<11}  {sec:<12}  {n}")?;
                }
                writeln!(
                    out,
                    "{rows} rows: {}",
                    status
                        .iter()
                        .map(|(s, n)| format!("{n} {s}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )?;
            }
            Ok(0)
        }
    }
}
