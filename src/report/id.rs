//! The report id (a digest of its non-volatile content) and the report without its lines.

use super::Report;

/// `CBAM-<quarter>-<16 hex>`: a digest of the report's non-volatile content (summaries,
/// findings, provenance with the digests of every input), so the same inputs give the same id.
/// File names are left out (`without_file_names`): a renamed copy of an input is the same
/// input, and an auditor re-running a report from it must get the same id.
/// Each section's compact JSON is hashed as it is written, never held whole: the findings of a
/// large file are read back from their temporary files (the one way this can fail).
pub fn report_id(r: &Report) -> std::io::Result<String> {
    crate::provenance::without_file_names(|| content_id(r))
}

fn content_id(r: &Report) -> std::io::Result<String> {
    let mut h = Hashing::new();
    let mut feed = |v: &dyn erased::Ser| v.json_into(&mut h);
    feed(&r.report_metadata.quarter)?;
    feed(&r.importer_declaration.importer_eori)?;
    feed(&r.importer_declaration.importer_name)?;
    feed(&r.importer_declaration.declarant_name)?;
    feed(&r.importer_declaration.declarant_position)?;
    feed(&r.importer_declaration.importer_country)?;
    feed(&r.goods_summary)?;
    feed(&r.emissions_summary)?;
    if let Some(o) = &r.certificate_obligation {
        feed(o)?;
    }
    feed(&r.validation_results)?;
    feed(&r.provenance)?;
    let d = h.finish();
    Ok(format!(
        "CBAM-{}-{}",
        if r.report_metadata.quarter.is_empty() {
            "NA"
        } else {
            &r.report_metadata.quarter
        },
        &crate::provenance::hex(&d)[..16]
    ))
}

use crate::provenance::Sha256Writer as Hashing;

mod erased {
    /// `Serialize` as a trait object (one `feed` closure for every section's type).
    pub trait Ser {
        fn json_into(&self, w: &mut super::Hashing) -> std::io::Result<()>;
    }
    impl<T: serde::Serialize> Ser for T {
        fn json_into(&self, w: &mut super::Hashing) -> std::io::Result<()> {
            serde_json::to_writer(w, self).map_err(std::io::Error::other)
        }
    }
}

/// The report without `detailed_goods` (the JSON writer renders those itself; the rules read
/// the lines one by one). `lists: false` leaves out the per-row lists of `validation_results`
/// too (written as `[]`): what the rules see, which never read them (the rules file may not
/// name them), so they are not read back from disk for it.
pub struct ReportHead<'a> {
    pub report: &'a Report,
    pub lists: bool,
}

impl serde::Serialize for ReportHead<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let r = self.report;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("report_metadata", &r.report_metadata)?;
        m.serialize_entry("importer_declaration", &r.importer_declaration)?;
        m.serialize_entry("goods_summary", &r.goods_summary)?;
        m.serialize_entry("emissions_summary", &r.emissions_summary)?;
        if let Some(o) = &r.certificate_obligation {
            m.serialize_entry("certificate_obligation", o)?;
        }
        if self.lists {
            m.serialize_entry("validation_results", &r.validation_results)?;
        } else {
            m.serialize_entry("validation_results", &WithoutLists(&r.validation_results))?;
        }
        m.serialize_entry("provenance", &r.provenance)?;
        m.end()
    }
}

/// `validation_results` with its four lists empty, its keys in the same order.
struct WithoutLists<'a>(&'a super::ValidationResults);

impl serde::Serialize for WithoutLists<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let v = self.0;
        let none: [(); 0] = [];
        let mut m = s.serialize_struct("ValidationResults", 11)?;
        m.serialize_field("is_valid", &v.is_valid)?;
        m.serialize_field("error_count", &v.error_count)?;
        m.serialize_field("warning_count", &v.warning_count)?;
        m.serialize_field("info_count", &v.info_count)?;
        m.serialize_field("rows", &v.rows)?;
        m.serialize_field("rules_checked", &v.rules_checked)?;
        match &v.registry {
            Some(r) => m.serialize_field("registry", r)?,
            None => m.skip_field("registry")?,
        }
        for list in super::LIST_KEYS {
            m.serialize_field(list, &none)?;
        }
        m.end()
    }
}
