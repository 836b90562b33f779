//! The registry's verdict on the QReport a report becomes (`--xml`): built from the report as
//! the XML writer builds it and checked as `cbam validate` checks an XML, so a run that writes
//! both has one verdict — its findings join the report's validation.

use crate::error::{Error, Result};
use crate::model::{Finding, Severity};
use crate::qreport::build::{Declaration, Goods, Header};
use crate::qreport::{RegistryXml, Submission};
use crate::reference::ReferenceData;
use crate::report::{RegistryVerdict, Report};

/// The verdict and the findings (each naming the XML as its file).
pub fn check(
    report: &Report,
    xml: &RegistryXml,
    refdata: &ReferenceData,
) -> Result<(RegistryVerdict, Vec<Finding>)> {
    let data = |message: String| Error::Data {
        path: xml.file_name.clone().into(),
        message,
    };
    let header = Header::new(&Declaration::of_report(report), &xml.options)
        .map_err(|e| data(e.to_string()))?;
    let goods = Goods::from_report(report)
        .ok_or_else(|| data("the report's lines were not kept for the XML".into()))?
        .map_err(crate::report::spill)?;
    let suppliers = Some(&refdata.suppliers).filter(|b| b.file_name.is_some());
    let submission = Submission::of(&header, &goods, suppliers, &refdata.scope)?;
    let count = |s: Severity| {
        submission
            .findings
            .iter()
            .filter(|f| f.severity == s)
            .count() as u64
    };
    let verdict = RegistryVerdict {
        file: xml.file_name.clone(),
        schema: format!("QReport {}", crate::qreport::SCHEMA_VERSION),
        written: submission.bytes.is_some(),
        valid_for_upload: submission.valid_for_upload(),
        error_count: count(Severity::Error),
        warning_count: count(Severity::Warning),
        info_count: count(Severity::Info),
    };
    let mut findings = submission.findings;
    for f in &mut findings {
        f.file = Some(xml.file_name.clone());
    }
    Ok((verdict, findings))
}
