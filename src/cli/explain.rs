//! `cbam explain`: the calculation trail of one shipment, from a report or from the inputs.

use super::Format;
use anyhow::{bail, Context};
use cbam::validate::path::Node;
use rust_decimal::Decimal;
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shipment to explain.
    #[arg(value_name = "SHIPMENT_ID")]
    pub shipment_id: String,
    /// A report written by `cbam report` (or the production system).
    #[arg(long, value_name = "FILE", required_unless_present = "input")]
    pub report: Option<PathBuf>,
    /// Or calculate from the inputs: a shipments file …
    #[arg(long, value_name = "FILE", conflicts_with = "report")]
    pub input: Option<PathBuf>,
    #[arg(long, value_name = "FILE")]
    pub suppliers: Option<PathBuf>,
    /// EU Communication templates (xlsx, or directories of them) whose actuals apply to the
    /// supplier named by each file (its name without extension, or --supplier-template-map).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub supplier_templates: Vec<PathBuf>,
    /// CSV `supplier_id,template`: which supplier each template is for.
    #[arg(long, value_name = "FILE", requires = "supplier_templates")]
    pub supplier_template_map: Option<PathBuf>,
    #[arg(long, value_name = "FILE")]
    pub emission_factors: Option<PathBuf>,
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    #[arg(long, value_name = "FILE")]
    pub cn_codes: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

fn d(v: &Value) -> Option<Decimal> {
    v.decimal()
}

fn s(v: &Value) -> String {
    v.text().unwrap_or_default()
}

pub fn run(a: Args) -> anyhow::Result<u8> {
    let report: Value = match (&a.report, &a.input) {
        (Some(p), _) => cbam::validate::read_report(p)?.0,
        (None, Some(input)) => {
            let req = cbam::pipeline::ReportRequest::calculation_only(
                input.clone(),
                cbam::reference::ReferencePaths {
                    cn_codes: a.cn_codes.clone(),
                    emission_factors: a.emission_factors.clone(),
                    suppliers: a.suppliers.clone(),
                    rules: a.rules.clone(),
                    supplier_templates: a.supplier_templates.clone(),
                    supplier_template_map: a.supplier_template_map.clone(),
                    ..Default::default()
                },
                true,
            );
            let r = cbam::pipeline::build_report(&req)?;
            let mut buf = Vec::new();
            cbam::write::report_json(&r, &mut buf)?;
            serde_json::from_slice(&buf).context("report")?
        }
        (None, None) => bail!("give --report FILE or --input FILE"),
    };
    let id = a.shipment_id.as_str();
    let line = report
        .get("detailed_goods")
        .and_then(|g| g.as_array())
        .and_then(|g| g.iter().find(|l| s(&l["shipment_id"]) == id));
    let vr = &report["validation_results"];
    let findings: Vec<&Value> = ["errors", "warnings", "infos"]
        .iter()
        .flat_map(|k| vr[*k].as_array().into_iter().flatten())
        .filter(|f| {
            f["shipment_id"].as_str() == Some(id)
                || f["path"].as_str().is_some_and(|p| {
                    line.is_some()
                        && p.starts_with(&format!("detailed_goods[{}]", index_of(&report, id)))
                })
        })
        .collect();
    let rejected = vr["rejected_rows"]
        .as_array()
        .and_then(|r| r.iter().find(|x| x["shipment_id"].as_str() == Some(id)));
    if line.is_none() && rejected.is_none() {
        bail!("shipment {id:?} is in neither detailed_goods nor rejected_rows of the report");
    }
    let mut out = std::io::stdout().lock();
    if a.format == Format::Json {
        let j = serde_json::json!({"shipment_id": id, "line": line, "rejected": rejected, "findings": findings});
        writeln!(out, "{}", serde_json::to_string_pretty(&j)?)?;
        return Ok(0);
    }
    match line {
        None => {
            let r = rejected.cloned().unwrap_or_default();
            writeln!(
                out,
                "shipment {id}: NOT calculated ({}, row {}, line {}): {}",
                s(&r["status"]),
                s(&r["row"]),
                s(&r["line"]),
                r["codes"]
            )?;
        }
        Some(l) => {
            let e = &l["emissions_calculation"];
            writeln!(out, "shipment {id} (row {})", s(&l["_row"]))?;
            writeln!(out, "input")?;
            for k in [
                "import_date",
                "quarter",
                "cn_code",
                "cn_code_original",
                "origin_iso",
                "origin_country",
                "net_mass_kg",
                "has_actual_emissions",
                "supplier_id",
            ] {
                if let Some(v) = l.get(k).filter(|v| !v.is_null()) {
                    writeln!(out, "  {k:<22} {}", s(v))?;
                }
            }
            let en = &l["_enrichment"];
            if en.is_object() {
                writeln!(
                    out,
                    "scope\n  Annex I entry {} ({}), in CBAM scope: {}, period {}",
                    s(&en["annex_i_entry"]),
                    s(&en["sector"]),
                    s(&en["in_cbam_scope"]),
                    s(&en["period"])
                )?;
            }
            writeln!(
                out,
                "factor\n  {} ({}): {} direct / {} indirect / {} total tCO2e per tonne",
                s(&e["factor_id"]),
                s(&e["calculation_method"]),
                s(&e["emission_factor_direct_tco2_per_ton"]),
                s(&e["emission_factor_indirect_tco2_per_ton"]),
                s(&e["emission_factor_total_tco2_per_ton"])
            )?;
            let fid = s(&e["factor_id"]);
            if let Some(f) = report["provenance"]["factors_used"]
                .as_array()
                .and_then(|f| f.iter().find(|f| s(&f["id"]) == fid))
            {
                writeln!(out, "  source: {}", s(&f["source"]))?;
                writeln!(
                    out,
                    "  confidence: {}; {} line(s) in this report use it",
                    s(&f["confidence"]),
                    s(&f["lines"])
                )?;
            } else {
                writeln!(out, "  source: {}", s(&e["emission_factor_source"]))?;
            }
            if let Some(t) = e["trail"].as_array() {
                writeln!(out, "why this factor")?;
                for r in t {
                    writeln!(out, "  - {}", s(r))?;
                }
            }
            if let Some(t) = e["departures_from_production_system"].as_array() {
                writeln!(out, "where the production system would differ")?;
                for r in t {
                    writeln!(out, "  - {}", s(r))?;
                }
            }
            let pol = &report["provenance"]["policy"]["rounding"];
            let dp = pol["line_decimals"].as_u64().unwrap_or(3);
            let mode = pol["mode"].as_str().unwrap_or("half_even");
            writeln!(
                out,
                "arithmetic (exact, then rounded to {dp} decimals, {mode})"
            )?;
            if let (Some(kg), Some(fd), Some(fi), Some(ft)) = (
                d(&l["net_mass_kg"]),
                d(&e["emission_factor_direct_tco2_per_ton"]),
                d(&e["emission_factor_indirect_tco2_per_ton"]),
                d(&e["emission_factor_total_tco2_per_ton"]),
            ) {
                let mt = kg / Decimal::ONE_THOUSAND;
                writeln!(out, "  mass_t   = {kg} kg / 1000 = {mt} t")?;
                writeln!(
                    out,
                    "  direct   = {mt} × {fd} = {} → {}",
                    mt * fd,
                    s(&e["direct_emissions_tco2"])
                )?;
                writeln!(
                    out,
                    "  indirect = {mt} × {fi} = {} → {}",
                    mt * fi,
                    s(&e["indirect_emissions_tco2"])
                )?;
                match d(&e["default_markup"]) {
                    Some(m) => writeln!(
                        out,
                        "  total    = {mt} × {ft} × (1 + {m}) = {} → {}",
                        mt * ft * (Decimal::ONE + m),
                        s(&e["total_emissions_tco2"])
                    )?,
                    None => writeln!(
                        out,
                        "  total    = direct + indirect = {}",
                        s(&e["total_emissions_tco2"])
                    )?,
                }
            }
        }
    }
    if !findings.is_empty() {
        writeln!(out, "findings")?;
        for f in findings {
            writeln!(
                out,
                "  {} {} {}",
                s(&f["severity"]),
                s(&f["code"]),
                s(&f["message"])
            )?;
        }
    }
    Ok(0)
}

fn index_of(report: &Value, id: &str) -> usize {
    report["detailed_goods"]
        .as_array()
        .and_then(|g| g.iter().position(|l| l["shipment_id"].as_str() == Some(id)))
        .unwrap_or(usize::MAX)
}
