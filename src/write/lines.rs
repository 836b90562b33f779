//! `--lines`: one CSV row per calculated shipment with its numbers and factor source.

use crate::formats::dialect::{write_decimal, CsvDialect};
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

/// The lines, in `dialect`: its delimiter, and its decimal mark in every number but `row`
/// (`Decimal` prints plain decimal text, which `write_decimal` rewrites digit for digit).
pub fn write_lines_csv(
    report: &Report,
    w: &mut dyn Write,
    dialect: &CsvDialect,
) -> std::io::Result<()> {
    let mut c = csv::WriterBuilder::new()
        .delimiter(dialect.delimiter)
        .from_writer(w);
    c.write_record(LINE_COLUMNS)?;
    let Some(lines) = report.lines() else {
        return c.flush();
    };
    let number = |d: &rust_decimal::Decimal| {
        let text = d.to_string();
        write_decimal(&text, dialect.decimal_mark).unwrap_or(text)
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
            &number(&s.net_mass_kg),
            &number(&l.mass_tonnes),
            l.method.as_str(),
            &l.factor.id,
            &number(&l.factor.direct),
            &number(&l.factor.indirect),
            &number(&l.factor.total),
            &number(&l.direct),
            &number(&l.indirect),
            &number(&l.total),
        ])?;
        Ok(())
    })?;
    c.flush()
}
