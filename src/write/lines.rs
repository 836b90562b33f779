//! `--lines`: one CSV row per calculated shipment with its numbers and factor source.

use crate::model::Col;
use crate::report::Report;
use std::io::Write;

pub const LINE_COLUMNS: [&str; 17] = [
    "shipment_id",
    "row",
    "import_date",
    "quarter",
    "cn_code",
    "origin_iso",
    "supplier_id",
    "net_mass_kg",
    "mass_tonnes",
    "calculation_method",
    "factor_id",
    "factor_direct",
    "factor_indirect",
    "factor_total",
    "direct_emissions_tco2",
    "indirect_emissions_tco2",
    "total_emissions_tco2",
];

pub fn write_lines_csv(report: &Report, w: &mut dyn Write) -> std::io::Result<()> {
    let mut c = csv::Writer::from_writer(w);
    c.write_record(LINE_COLUMNS)?;
    let Some(lines) = report.lines() else {
        return c.flush();
    };
    lines.for_each(|l| {
        let s = &l.shipment;
        c.write_record([
            s.row.get(Col::ShipmentId),
            &s.row.row.to_string(),
            &s.import_date.to_string(),
            &s.quarter.to_string(),
            s.cn.as_str(),
            s.origin_iso(),
            s.supplier_id.as_deref().unwrap_or(""),
            &s.net_mass_kg.to_string(),
            &l.mass_tonnes.to_string(),
            l.method.as_str(),
            &l.factor.id,
            &l.factor.direct.to_string(),
            &l.factor.indirect.to_string(),
            &l.factor.total.to_string(),
            &l.direct.to_string(),
            &l.indirect.to_string(),
            &l.total.to_string(),
        ])?;
        Ok(())
    })?;
    c.flush()
}
