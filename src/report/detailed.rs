//! One `detailed_goods` entry per calculated line, serialised straight from the line.

use super::{num, Lines};
use crate::model::{Col, Line, Period, ScopeStatus};
use rust_decimal::Decimal;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// The per-shipment lines, serialised in the production system's `detailed_goods` shape.
#[derive(Debug)]
pub struct DetailedGoods(pub Lines);

impl Serialize for DetailedGoods {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = s.serialize_seq(usize::try_from(self.0.len()).ok())?;
        // The serializer's error is kept aside: the lines' reader speaks io::Error.
        let mut failed = None;
        let read = self.0.for_each(|l| {
            seq.serialize_element(&DetailedGood(l)).map_err(|e| {
                failed = Some(e);
                std::io::Error::other("serialising a line")
            })
        });
        if let Some(e) = failed {
            return Err(e);
        }
        read.map_err(S::Error::custom)?;
        seq.end()
    }
}

/// One `detailed_goods` entry.
pub struct DetailedGood<'a>(pub &'a Line);

struct Enrichment<'a>(&'a Line);
struct Calc<'a>(&'a Line);

struct Exact(Decimal);
impl Serialize for Exact {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        num::exact(&self.0, s)
    }
}

impl Serialize for DetailedGood<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let l = self.0;
        let row = &l.shipment.row;
        let mut m = s.serialize_map(None)?;
        for (i, name) in crate::model::SHIPMENT_COLUMNS.iter().enumerate() {
            match i {
                x if x == Col::CnCode as usize => {
                    m.serialize_entry(name, l.shipment.cn.as_str())?
                }
                x if x == Col::NetMassKg as usize => {
                    m.serialize_entry(name, &Exact(l.shipment.net_mass_kg))?
                }
                _ => m.serialize_entry(name, row.field(i))?,
            }
        }
        if row.get(Col::CnCode) != l.shipment.cn.as_str() {
            m.serialize_entry("cn_code_original", row.get(Col::CnCode))?;
        }
        for (k, v) in &row.extra {
            m.serialize_entry(&**k, v)?;
        }
        m.serialize_entry("_row", &row.row)?;
        m.serialize_entry("_enrichment", &Enrichment(l))?;
        m.serialize_entry("emissions_calculation", &Calc(l))?;
        m.end()
    }
}

impl Serialize for Enrichment<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let l = self.0;
        let mut m = s.serialize_map(None)?;
        match &l.shipment.scope {
            ScopeStatus::InScope(e) | ScopeStatus::Excluded(e) => {
                m.serialize_entry("product_group", e.sector.product_group())?;
                m.serialize_entry("sector", e.sector.as_str())?;
                m.serialize_entry("annex_i_entry", &e.code)?;
                m.serialize_entry(
                    "in_cbam_scope",
                    &matches!(l.shipment.scope, ScopeStatus::InScope(_)),
                )?;
            }
            ScopeStatus::NotListed => {
                m.serialize_entry("product_group", "")?;
                m.serialize_entry("in_cbam_scope", &false)?;
            }
        }
        m.serialize_entry("period", &Period::of(l.shipment.import_date))?;
        m.end()
    }
}

impl Serialize for Calc<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let l = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("calculation_method", l.method.as_str())?;
        m.serialize_entry("factor_id", &l.factor.id)?;
        m.serialize_entry("emission_factor_source", &l.factor.label)?;
        m.serialize_entry("data_quality", &l.factor.data_quality)?;
        m.serialize_entry(
            "emission_factor_direct_tco2_per_ton",
            &Exact(l.factor.direct),
        )?;
        m.serialize_entry(
            "emission_factor_indirect_tco2_per_ton",
            &Exact(l.factor.indirect),
        )?;
        m.serialize_entry("emission_factor_total_tco2_per_ton", &Exact(l.factor.total))?;
        if let Some(mk) = l.markup {
            m.serialize_entry("default_markup", &Exact(mk))?;
        }
        m.serialize_entry("mass_tonnes", &Exact(l.mass_tonnes))?;
        m.serialize_entry("direct_emissions_tco2", &Exact(l.direct))?;
        m.serialize_entry("indirect_emissions_tco2", &Exact(l.indirect))?;
        m.serialize_entry("total_emissions_tco2", &Exact(l.total))?;
        m.serialize_entry("trail", &*l.reasons)?;
        if !l.departures.is_empty() {
            m.serialize_entry("departures_from_production_system", &*l.departures)?;
        }
        m.end()
    }
}
