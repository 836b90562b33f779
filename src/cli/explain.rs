//! `cbam explain`: the calculation trail of one shipment, from a report or from the inputs.

use super::reference::ReferenceArgs;
use super::Format;
use anyhow::{bail, Context};
use cbam::explain::{Arithmetic, Explanation, Outcome, Rejection, Total, Trail};
use cbam::model::printable as shown;
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
    /// … with the reference data the report was made with.
    #[command(flatten)]
    pub reference: ReferenceArgs,
    /// What stdout shows: `table` for people, `json` for scripts.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// The report JSON to explain from: the one given, or one calculated from the inputs.
fn report_json(a: &Args) -> anyhow::Result<Value> {
    match (&a.report, &a.input) {
        (Some(p), _) => Ok(cbam::validate::read_report(p)?.0),
        (None, Some(input)) => {
            let req = cbam::pipeline::ReportRequest::calculation_only(
                input.clone(),
                a.reference.paths(),
                true,
            );
            let r = cbam::pipeline::build_report(&req)?;
            let mut buf = Vec::new();
            cbam::write::report_json(&r, &mut buf)?;
            Ok(serde_json::from_slice(&buf).context("report")?)
        }
        (None, None) => bail!("give --report FILE or --input FILE"),
    }
}

pub fn run(a: Args) -> anyhow::Result<u8> {
    let report = report_json(&a)?;
    let x = cbam::explain::explain(&report, &a.shipment_id)?;
    let mut out = super::stdout();
    if a.format == Format::Json {
        let j = serde_json::json!({"shipment_id": x.shipment_id, "line": x.line, "rejected": x.rejected, "findings": x.findings});
        writeln!(out, "{}", serde_json::to_string_pretty(&j)?)?;
        return Ok(0);
    }
    match &x.outcome {
        Outcome::NotCalculated(r) => print_rejection(&mut out, &x.shipment_id, r)?,
        Outcome::Calculated(t) => print_trail(&mut out, &x.shipment_id, t)?,
    }
    print_findings(&mut out, &x)?;
    Ok(0)
}

fn print_rejection(out: &mut impl Write, id: &str, r: &Rejection) -> std::io::Result<()> {
    writeln!(
        out,
        "shipment {}: NOT calculated ({}, row {}, line {}): {}",
        shown(id),
        r.status,
        r.row,
        r.line,
        shown(&r.codes)
    )
}

fn print_trail(out: &mut impl Write, id: &str, t: &Trail) -> std::io::Result<()> {
    writeln!(out, "shipment {} (row {})", shown(id), t.row)?;
    writeln!(out, "input")?;
    for (k, v) in &t.inputs {
        writeln!(out, "  {k:<22} {}", shown(v))?;
    }
    if let Some(s) = &t.scope {
        writeln!(
            out,
            "scope\n  Annex I entry {} ({}), in CBAM scope: {}, period {}",
            s.annex_i_entry, s.sector, s.in_cbam_scope, s.period
        )?;
    }
    let f = &t.factor;
    writeln!(
        out,
        "factor\n  {} ({}): {} direct / {} indirect / {} total tCO2e per tonne",
        shown(&f.id),
        f.method,
        f.direct,
        f.indirect,
        f.total
    )?;
    writeln!(out, "  source: {}", shown(&f.source))?;
    if let Some(u) = &f.usage {
        writeln!(
            out,
            "  confidence: {}; {} line(s) in this report use it",
            u.confidence, u.lines
        )?;
    }
    for (heading, items) in [
        ("why this factor", &t.why),
        ("where the production system would differ", &t.departures),
    ] {
        if let Some(items) = items {
            writeln!(out, "{heading}")?;
            for r in items {
                writeln!(out, "  - {}", shown(r))?;
            }
        }
    }
    writeln!(
        out,
        "arithmetic (exact, then rounded to {} decimals, {})",
        t.line_decimals, t.rounding_mode
    )?;
    match &t.arithmetic {
        Some(m) => print_arithmetic(out, m),
        None => Ok(()),
    }
}

fn print_arithmetic(out: &mut impl Write, m: &Arithmetic) -> std::io::Result<()> {
    let mt = m.mass_t;
    writeln!(out, "  mass_t   = {} kg / 1000 = {mt} t", m.mass_kg)?;
    writeln!(
        out,
        "  direct   = {mt} × {} = {} → {}",
        m.factor_direct, m.direct_exact, m.direct
    )?;
    writeln!(
        out,
        "  indirect = {mt} × {} = {} → {}",
        m.factor_indirect, m.indirect_exact, m.indirect
    )?;
    match &m.total {
        Total::MarkedUp {
            markup,
            exact,
            rounded,
        } => writeln!(
            out,
            "  total    = {mt} × {} × (1 + {markup}) = {exact} → {rounded}",
            m.factor_total
        ),
        Total::Sum { rounded } => writeln!(out, "  total    = direct + indirect = {rounded}"),
    }
}

fn print_findings(out: &mut impl Write, x: &Explanation) -> std::io::Result<()> {
    let findings = x.finding_lines();
    if findings.is_empty() {
        return Ok(());
    }
    writeln!(out, "findings")?;
    for f in findings {
        writeln!(out, "  {} {} {}", f.severity, f.code, shown(&f.message))?;
    }
    Ok(())
}
