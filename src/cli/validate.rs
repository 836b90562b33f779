//! `cbam validate`: any CBAM report (ours or the production system's) against the rules.

use super::Format;
use anyhow::Context;
use cbam::reference::rules::RuleSet;
use cbam::reference::{AnnexScope, SupplierBook};
use cbam::validate;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The report JSON to check.
    #[arg(long, value_name = "FILE")]
    pub report: PathBuf,
    /// Rules file (default: the embedded rules/cbam_rules.yaml). The production system's
    /// cbam_rules.yaml loads too: its rules run through cbam's rules with the same id.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Supplier profiles, for the supplier rules (VAL-031, VAL-032); without them those rules do not run, and say so.
    #[arg(long, value_name = "FILE")]
    pub suppliers: Option<PathBuf>,
    /// CN scope table replacing the embedded Annex I scope.
    #[arg(long, value_name = "FILE")]
    pub cn_codes: Option<PathBuf>,
    /// Run only these rules (ids, comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub only: Vec<String>,
    /// Skip these rules.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub skip: Vec<String>,
    /// What stdout shows: `table` for people, `json` for scripts.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Print nothing; the exit code tells.
    #[arg(short, long)]
    pub quiet: bool,
}

fn load_scope(a: &Args) -> anyhow::Result<AnnexScope> {
    Ok(match &a.cn_codes {
        Some(p) => {
            let (text, _) = cbam::fsio::read_text(p)?;
            if cbam::fsio::has_ext(p, "json") {
                AnnexScope::from_cn_codes_json(p, &text)?
            } else {
                AnnexScope::from_csv(p, &text)?
            }
        }
        None => cbam::reference::embedded_scope()?,
    })
}

/// A QReport XML: schema version, structure and formats, then the registry's rules.
fn run_xml(a: &Args, bytes: &[u8]) -> anyhow::Result<u8> {
    use cbam::model::Severity;
    for (flag, given) in [
        ("--rules", a.rules.is_some()),
        ("--suppliers", a.suppliers.is_some()),
    ] {
        anyhow::ensure!(
            !given,
            "{flag}: applies to a report JSON; {} is a QReport XML, whose checks are built in (XQ codes)",
            a.report.display()
        );
    }
    for id in a.only.iter().chain(&a.skip) {
        anyhow::ensure!(
            id.starts_with("XQ") && cbam::codes::info(id).is_some(),
            "--only/--skip: {id:?} is not a QReport check (XQ001 … XQ019) — the report is XML"
        );
    }
    let root = cbam::qreport::parse(&a.report, bytes)?;
    let scope = load_scope(a)?;
    let findings: Vec<_> = cbam::qreport::validate(&root, &scope)
        .into_iter()
        .filter(|f| a.only.is_empty() || a.only.iter().any(|o| *o == f.code))
        .filter(|f| !a.skip.iter().any(|s| *s == f.code))
        .collect();
    let rules = cbam::qreport::rules::rule_statuses(&findings, &a.only, &a.skip);
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let (errors, warnings, infos) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    if !a.quiet {
        let mut out = super::stdout();
        match a.format {
            Format::Json => {
                let j = serde_json::json!({
                    "report": a.report.file_name().map(|n| n.to_string_lossy().into_owned()),
                    "format": "qreport-xml",
                    "schema_version": cbam::qreport::SCHEMA_VERSION,
                    "valid": errors == 0,
                    "error_count": errors,
                    "warning_count": warnings,
                    "info_count": infos,
                    "rules": rules,
                    "findings": findings,
                });
                writeln!(out, "{}", serde_json::to_string_pretty(&j).context("json")?)?;
            }
            Format::Table => {
                print_xml_table(&mut out, &findings, &rules, [errors, warnings, infos])?
            }
        }
    }
    Ok(if errors == 0 { 0 } else { 1 })
}

/// `cbam validate` of a QReport as a table: the findings, the registry rules' outcome, the counts.
fn print_xml_table(
    out: &mut impl Write,
    findings: &[cbam::model::Finding],
    rules: &[cbam::qreport::rules::RuleStatus],
    [errors, warnings, infos]: [usize; 3],
) -> anyhow::Result<()> {
    let older = cbam::qreport::rules::older_schema_version(findings);
    writeln!(
        out,
        "QReport XML, checked against schema {} and the registry's rules",
        cbam::qreport::SCHEMA_VERSION
    )?;
    super::xml::print_findings(out, findings)?;
    let status = |st: &str| rules.iter().filter(|r| r.status == st).count();
    writeln!(
        out,
        "registry rules: {} — {} passed, {} failed, {} skipped, {} not run{}",
        rules.len(),
        status("passed"),
        status("failed"),
        status("skipped"),
        status("not_run"),
        if older { " (older schema version)" } else { "" }
    )?;
    for r in rules.iter().filter(|r| r.status == "failed") {
        writeln!(
            out,
            "  {} failed: {} finding(s); {}",
            r.id, r.findings, r.check
        )?;
    }
    writeln!(
        out,
        "{}: {errors} errors, {warnings} warnings, {infos} notes",
        if errors == 0 { "valid" } else { "NOT valid" }
    )?;
    Ok(())
}

pub fn run(mut a: Args) -> anyhow::Result<u8> {
    let mut stdin = super::Stdin::default();
    a.report = stdin.resolve(&a.report)?;
    let read_err = |source| cbam::Error::Read {
        path: a.report.clone(),
        source,
    };
    // The first bytes tell a QReport XML from a report JSON (which may be large: not read twice).
    let mut head = Vec::with_capacity(4096);
    std::io::Read::read_to_end(
        &mut std::io::Read::take(std::fs::File::open(&a.report).map_err(read_err)?, 4096),
        &mut head,
    )
    .map_err(read_err)?;
    if cbam::qreport::looks_like_xml(&head) {
        let bytes = std::fs::read(&a.report).map_err(read_err)?;
        return run_xml(&a, &bytes);
    }
    let rules = match &a.rules {
        Some(p) => {
            let (text, _) = cbam::fsio::read_text(p)?;
            RuleSet::from_yaml(p, &text)?
        }
        None => RuleSet::embedded()?,
    };
    for id in a.only.iter().chain(&a.skip) {
        anyhow::ensure!(
            rules.can_select(id),
            "--only/--skip: no rule {id:?} in the rules file"
        );
    }
    let scope = load_scope(&a)?;
    let suppliers = match &a.suppliers {
        Some(p) => {
            let (text, _) = cbam::fsio::read_text(p)?;
            Some(SupplierBook::from_yaml(p, &text)?)
        }
        None => None,
    };
    let schema = validate::schema::ReportSchema::embedded()?;
    let ctx = validate::Context {
        scope: &scope,
        suppliers: suppliers.as_ref(),
        schema: Some(&schema),
    };
    let (v, nan) = validate::validate_file(&a.report, &rules, &ctx, &a.only, &a.skip)?;
    if !a.quiet {
        let mut out = super::stdout();
        match a.format {
            Format::Json => print_json(&mut out, &a, &rules, &v, nan)?,
            Format::Table => print_table(&mut out, &v, nan)?,
        }
    }
    Ok(if v.valid { 0 } else { 1 })
}

fn print_json(
    out: &mut impl Write,
    a: &Args,
    rules: &RuleSet,
    v: &validate::Validation,
    nan: u64,
) -> anyhow::Result<()> {
    let j = serde_json::json!({
        "report": a.report.file_name().map(|n| n.to_string_lossy().into_owned()),
        "rules_format": rules.format,
        "non_json_numbers_read_as_null": nan,
        "valid": v.valid,
        "error_count": v.error_count,
        "warning_count": v.warning_count,
        "info_count": v.info_count,
        "rules": v.rules,
        "findings": v.findings,
    });
    writeln!(out, "{}", serde_json::to_string_pretty(&j).context("json")?)?;
    Ok(())
}

fn print_table(out: &mut impl Write, v: &validate::Validation, nan: u64) -> anyhow::Result<()> {
    if nan > 0 {
        writeln!(
            out,
            "note: {nan} NaN/Infinity token(s) in the report (not JSON) were read as null"
        )?;
    }
    if !v.findings.is_empty() {
        print_findings(out, &v.findings)?;
        writeln!(out)?;
    }
    let count = |s: &str| v.rules.iter().filter(|r| r.status == s).count();
    writeln!(
        out,
        "rules: {} — {} passed, {} failed, {} not applicable, {} not run",
        v.rules.len(),
        count("passed"),
        count("failed"),
        count("not_applicable"),
        count("not_run")
    )?;
    for r in &v.rules {
        if r.findings > 0 || r.status == "not_run" {
            let why = r
                .reason
                .as_deref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default();
            writeln!(
                out,
                "  {:<24} {:<14} {:>7} finding(s){why}",
                r.id, r.status, r.findings
            )?;
        }
    }
    writeln!(
        out,
        "{}: {} errors, {} warnings, {} notes",
        if v.valid { "valid" } else { "NOT valid" },
        v.error_count,
        v.warning_count,
        v.info_count
    )?;
    Ok(())
}

/// The findings as a table: rule, severity, where, message.
fn print_findings(out: &mut impl Write, findings: &[validate::RuleFinding]) -> anyhow::Result<()> {
    let w_rule = findings
        .iter()
        .map(|f| f.rule.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let w_path = findings
        .iter()
        .map(|f| f.path.len())
        .max()
        .unwrap_or(5)
        .clamp(5, 60);
    writeln!(
        out,
        "{:<w_rule$}  {:<8}  {:<w_path$}  message",
        "rule", "severity", "where"
    )?;
    for f in findings {
        writeln!(
            out,
            "{:<w_rule$}  {:<8}  {:<w_path$}  {}",
            f.rule,
            f.severity.as_str(),
            cbam::model::printable(&f.path),
            cbam::model::printable(&f.message)
        )?;
    }
    Ok(())
}
