//! The report id (a digest of its non-volatile content) and the report without its lines.

use super::Report;

/// `CBAM-<quarter>-<16 hex>`: a digest of the report's non-volatile content (summaries,
/// findings, provenance with the digests of every input), so the same inputs give the same id.
pub fn report_id(r: &Report) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut feed = |v: &dyn erased::Ser| h.update(v.json());
    feed(&r.report_metadata.quarter);
    feed(&r.importer_declaration.importer_eori);
    feed(&r.importer_declaration.importer_name);
    feed(&r.importer_declaration.declarant_name);
    feed(&r.importer_declaration.declarant_position);
    feed(&r.importer_declaration.importer_country);
    feed(&r.goods_summary);
    feed(&r.emissions_summary);
    if let Some(o) = &r.certificate_obligation {
        feed(o);
    }
    feed(&r.validation_results);
    feed(&r.provenance);
    let d = h.finalize();
    format!(
        "CBAM-{}-{}",
        if r.report_metadata.quarter.is_empty() {
            "NA"
        } else {
            &r.report_metadata.quarter
        },
        &crate::provenance::hex(&d)[..16]
    )
}

mod erased {
    pub trait Ser {
        fn json(&self) -> Vec<u8>;
    }
    impl<T: serde::Serialize> Ser for T {
        fn json(&self) -> Vec<u8> {
            serde_json::to_vec(self).unwrap_or_default()
        }
    }
}

/// The report without `detailed_goods` (the JSON writer renders those itself; the rules read
/// the lines one by one).
pub struct ReportHead<'a>(pub &'a Report);

impl serde::Serialize for ReportHead<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let r = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("report_metadata", &r.report_metadata)?;
        m.serialize_entry("importer_declaration", &r.importer_declaration)?;
        m.serialize_entry("goods_summary", &r.goods_summary)?;
        m.serialize_entry("emissions_summary", &r.emissions_summary)?;
        if let Some(o) = &r.certificate_obligation {
            m.serialize_entry("certificate_obligation", o)?;
        }
        m.serialize_entry("validation_results", &r.validation_results)?;
        m.serialize_entry("provenance", &r.provenance)?;
        m.end()
    }
}
