//! `cbam xml` (report JSON → QReport XML) and the XML flags `cbam report --xml` shares.

use super::Format;
use cbam::model::Finding;
use cbam::qreport::build::{Declaration, Goods, Header, Party, XmlOptions};
use cbam::reference::SupplierBook;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What the registry XML needs beyond the report JSON.
#[derive(Debug, Clone, clap::Args)]
pub struct XmlFlags {
    /// Declarant EORI (default: the importer's).
    #[arg(
        long,
        value_name = "EORI",
        help_heading = "Registry XML (--xml, cbam xml)"
    )]
    pub declarant_eori: Option<String>,
    /// Declarant's city (required for the XML).
    #[arg(
        long,
        value_name = "CITY",
        help_heading = "Registry XML (--xml, cbam xml)"
    )]
    pub declarant_city: Option<String>,
    /// Declarant role: 01 importer, 02 indirect customs representative, 03 both (some goods).
    #[arg(
        long,
        value_name = "CODE",
        default_value = "01",
        help_heading = "Registry XML (--xml, cbam xml)"
    )]
    pub declarant_role: String,
    /// Importer's city (default: the declarant's city when the declarant is the importer).
    #[arg(
        long,
        value_name = "CITY",
        help_heading = "Registry XML (--xml, cbam xml)"
    )]
    pub importer_city: Option<String>,
    /// A representative's name (with its EORI, country and city).
    #[arg(long, value_name = "NAME", requires_all = ["representative_eori", "representative_country", "representative_city"], help_heading = "Registry XML (--xml, cbam xml)")]
    pub representative_name: Option<String>,
    /// The representative's EORI.
    #[arg(
        long,
        value_name = "EORI",
        requires = "representative_name",
        help_heading = "Registry XML (--xml, cbam xml)"
    )]
    pub representative_eori: Option<String>,
    /// The representative's country (ISO 3166-1 alpha-2).
    #[arg(
        long,
        value_name = "CC",
        requires = "representative_name",
        help_heading = "Registry XML (--xml, cbam xml)"
    )]
    pub representative_country: Option<String>,
    /// The representative's city.
    #[arg(
        long,
        value_name = "CITY",
        requires = "representative_name",
        help_heading = "Registry XML (--xml, cbam xml)"
    )]
    pub representative_city: Option<String>,
    /// Place of signature (default: the declarant's city).
    #[arg(
        long,
        value_name = "PLACE",
        help_heading = "Registry XML (--xml, cbam xml)"
    )]
    pub signature_place: Option<String>,
    /// The declarant confirms the report's data and its use (written as true; else false).
    #[arg(long, help_heading = "Registry XML (--xml, cbam xml)")]
    pub confirm: bool,
    /// Requested customs procedure for goods without a `customs_procedure` column value.
    #[arg(
        long,
        value_name = "CODE",
        default_value = "40",
        help_heading = "Registry XML (--xml, cbam xml)"
    )]
    pub customs_procedure: String,
    /// Import area: EU (customs import declaration) or EUOTH.
    #[arg(
        long,
        value_name = "AREA",
        default_value = "EU",
        help_heading = "Registry XML (--xml, cbam xml)"
    )]
    pub import_area: String,
}

impl Default for XmlFlags {
    /// The flags' defaults as clap applies them.
    fn default() -> XmlFlags {
        XmlFlags {
            declarant_eori: None,
            declarant_city: None,
            declarant_role: "01".into(),
            importer_city: None,
            representative_name: None,
            representative_eori: None,
            representative_country: None,
            representative_city: None,
            signature_place: None,
            confirm: false,
            customs_procedure: "40".into(),
            import_area: "EU".into(),
        }
    }
}

impl XmlFlags {
    pub fn options(&self) -> XmlOptions {
        let t = |s: &String| s.trim().to_string();
        XmlOptions {
            declarant_eori: self.declarant_eori.as_ref().map(t),
            declarant_city: self.declarant_city.as_ref().map(t).unwrap_or_default(),
            declarant_role: t(&self.declarant_role),
            importer_city: self.importer_city.as_ref().map(t),
            representative: self.representative_name.as_ref().map(|name| Party {
                eori: self.representative_eori.as_ref().map(t).unwrap_or_default(),
                name: t(name),
                country: self
                    .representative_country
                    .as_ref()
                    .map(t)
                    .unwrap_or_default(),
                city: self.representative_city.as_ref().map(t).unwrap_or_default(),
            }),
            signature_place: self.signature_place.as_ref().map(t),
            confirm: self.confirm,
            procedure: t(&self.customs_procedure),
            import_area: t(&self.import_area),
        }
    }
}

/// What became of a QReport: written or not, and every finding on it (`Submission`).
pub struct XmlOutcome {
    pub written: bool,
    pub findings: Vec<Finding>,
}

impl XmlOutcome {
    pub fn valid_for_upload(&self) -> bool {
        self.written && !cbam::model::any_error(&self.findings)
    }
}

/// Builds the QReport, checks it as the registry would, and writes it with the run's other
/// `outputs` unless a finding of the builder (severity error) stands in the way. A QReport
/// the registry's rules refuse is still written (it is valid XML, to look at and fix), but
/// never said to be valid for upload.
pub fn write(
    outputs: &mut cbam::fsio::Outputs,
    path: &Path,
    decl: &Declaration,
    flags: &XmlFlags,
    goods: &Goods,
    (suppliers, scope): (Option<&SupplierBook>, &cbam::reference::AnnexScope),
) -> anyhow::Result<XmlOutcome> {
    let header = Header::new(decl, &flags.options())?;
    let s = cbam::qreport::Submission::of(&header, goods, suppliers, scope)?;
    if let Some(bytes) = &s.bytes {
        outputs.write(path, |w| w.write_all(bytes))?;
    }
    Ok(XmlOutcome {
        written: s.bytes.is_some(),
        findings: s.findings,
    })
}

/// The `xml` lines of a run's output: where the file went (or why it was not written), the
/// one verdict ("valid for upload: yes" or "no, N errors"), then the findings by code.
pub fn print_outcome(out: &mut impl Write, path: &Path, x: &XmlOutcome) -> std::io::Result<()> {
    let count = |s: cbam::model::Severity| x.findings.iter().filter(|f| f.severity == s).count();
    let (errors, warnings) = (
        count(cbam::model::Severity::Error),
        count(cbam::model::Severity::Warning),
    );
    if x.written {
        writeln!(
            out,
            "xml         {} (QReport {})",
            cbam::model::printable(&path.display().to_string()),
            cbam::qreport::SCHEMA_VERSION
        )?;
    } else {
        writeln!(
            out,
            "xml         NOT written: {} finding(s)",
            x.findings.len()
        )?;
    }
    if x.valid_for_upload() {
        writeln!(
            out,
            "            valid for upload: yes ({warnings} warning(s))"
        )?;
    } else {
        writeln!(
            out,
            "            valid for upload: no, {errors} error(s), {warnings} warning(s)"
        )?;
    }
    print_by_code(out, &x.findings)
}

/// Findings by code, in their order: the first few of each code on a line each, then how
/// many more (never one line per finding of a large file; every one is in the report).
pub fn print_by_code(out: &mut impl Write, f: &[Finding]) -> std::io::Result<()> {
    const SHOWN: usize = 5;
    let mut codes: Vec<(&str, Vec<&Finding>)> = Vec::new();
    for x in f {
        match codes.iter_mut().find(|c| c.0 == x.code) {
            Some(c) => c.1.push(x),
            None => codes.push((&x.code, vec![x])),
        }
    }
    for (code, all) in codes {
        print_findings(out, all.iter().copied().take(SHOWN))?;
        if all.len() > SHOWN {
            writeln!(out, "  … {} more {code}", all.len() - SHOWN)?;
        }
    }
    Ok(())
}

/// One line per finding: `  error XQ003 line 12: QReport/…/Country: message` (the message
/// starts with the element path).
pub fn print_findings<'a>(
    out: &mut impl Write,
    f: impl IntoIterator<Item = &'a Finding>,
) -> std::io::Result<()> {
    for x in f {
        let line = x.line.map(|l| format!(" line {l}:")).unwrap_or_default();
        writeln!(
            out,
            "  {} {}{line} {}",
            x.severity.as_str(),
            x.code,
            cbam::model::printable(&x.message)
        )?;
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A report JSON written by `cbam report` (with detailed_goods).
    #[arg(long, value_name = "FILE")]
    pub report: PathBuf,
    /// QReport XML to write (atomically).
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
    /// Supplier profiles: their address and contact become the installation operator.
    #[arg(long, value_name = "FILE")]
    pub suppliers: Option<PathBuf>,
    /// Instead of the report's importer_declaration.importer_name.
    #[arg(long)]
    pub importer_name: Option<String>,
    /// Instead of the report's importer_declaration.importer_country.
    #[arg(long)]
    pub importer_country: Option<String>,
    /// Instead of the report's importer_declaration.importer_eori.
    #[arg(long)]
    pub importer_eori: Option<String>,
    /// Instead of the report's importer_declaration.declarant_name (also the Signature).
    #[arg(long)]
    pub declarant_name: Option<String>,
    /// Instead of the report's importer_declaration.declarant_position.
    #[arg(long)]
    pub declarant_position: Option<String>,
    #[command(flatten)]
    pub xml: XmlFlags,
    /// What stdout shows: `table` for people, `json` for scripts.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Print nothing; the exit code tells.
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(mut a: Args) -> anyhow::Result<u8> {
    let mut stdin = super::Stdin::default();
    let report = stdin.resolve(&a.report)?;
    let mut inputs = vec![("--report", a.report.as_path())];
    if let Some(s) = &a.suppliers {
        inputs.push(("--suppliers", s.as_path()));
    }
    cbam::fsio::check_outputs(&inputs, &[("--output", a.output.as_path())])?;
    a.report = report;
    let (v, _) = cbam::validate::read_report(&a.report)?;
    let mut decl = Declaration::of_json(&v);
    for (slot, flag) in [
        (&mut decl.importer_name, &a.importer_name),
        (&mut decl.importer_country, &a.importer_country),
        (&mut decl.importer_eori, &a.importer_eori),
        (&mut decl.declarant_name, &a.declarant_name),
        (&mut decl.declarant_position, &a.declarant_position),
    ] {
        if let Some(f) = flag {
            *slot = f.trim().to_string();
        }
    }
    let goods = Goods::from_json(&a.report, &v)?;
    let suppliers = cbam::reference::load_suppliers(a.suppliers.as_deref())?;
    let scope = cbam::reference::embedded_scope()?;
    let mut outputs = cbam::fsio::Outputs::new();
    let x = write(
        &mut outputs,
        &a.output,
        &decl,
        &a.xml,
        &goods,
        (suppliers.as_ref(), &scope),
    )?;
    outputs.commit()?;
    if !a.quiet {
        let mut out = super::status_out(&[&a.output]);
        match a.format {
            Format::Json => {
                let j = serde_json::json!({
                    "output": a.output,
                    "written": x.written,
                    "valid_for_upload": x.valid_for_upload(),
                    "schema_version": cbam::qreport::SCHEMA_VERSION,
                    "findings": x.findings,
                });
                writeln!(out, "{}", serde_json::to_string_pretty(&j)?)?;
            }
            Format::Table => print_outcome(&mut out, &a.output, &x)?,
        }
    }
    Ok(if x.valid_for_upload() { 0 } else { 1 })
}
