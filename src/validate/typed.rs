//! The pipeline's calculated lines as rule-readable nodes, without building JSON: each key
//! answers exactly what the written `detailed_goods` entry holds (`write::json_line`), so a
//! rule sees the same values in `cbam report` as `cbam validate` sees in the file.

use super::LineItem;
use crate::formats::jsonpath::Node;
use crate::model::{Col, Line, Period, ScopeStatus, SHIPMENT_COLUMNS};
use rust_decimal::Decimal;
use std::sync::Arc;

#[derive(Clone, Copy)]
pub enum LineNode<'a> {
    /// `{"detailed_goods": [line]}`
    Doc(&'a Line),
    /// `[line]`
    One(&'a Line),
    Good(&'a Line),
    Enrichment(&'a Line),
    Calc(&'a Line),
    Str(&'a str),
    Dec(Decimal),
    Int(u64),
    Bool(bool),
    Strings(&'a [Arc<str>]),
}

/// `SHIPMENT_COLUMNS` position of a key, by a `match` (rules ask per line, per rule).
fn column_index(key: &str) -> Option<usize> {
    let i = match key {
        "shipment_id" => Col::ShipmentId,
        "import_date" => Col::ImportDate,
        "quarter" => Col::Quarter,
        "cn_code" => Col::CnCode,
        "product_group" => Col::ProductGroup,
        "product_description" => Col::ProductDescription,
        "origin_iso" => Col::OriginIso,
        "origin_country" => Col::OriginCountry,
        "importer_name" => Col::ImporterName,
        "importer_country" => Col::ImporterCountry,
        "net_mass_kg" => Col::NetMassKg,
        "port_of_entry" => Col::PortOfEntry,
        "importer_reference" => Col::ImporterReference,
        "has_actual_emissions" => Col::HasActualEmissions,
        "supplier_id" => Col::SupplierId,
        "notes" => Col::Notes,
        _ => return None,
    };
    debug_assert_eq!(SHIPMENT_COLUMNS[i as usize], key);
    Some(i as usize)
}

impl<'a> Node<'a> for LineNode<'a> {
    fn child(self, key: &str) -> Option<Self> {
        use LineNode::*;
        match self {
            Doc(l) => (key == "detailed_goods").then_some(One(l)),
            Good(l) => {
                let row = &l.shipment.row;
                if let Some(i) = column_index(key) {
                    return Some(match i {
                        x if x == Col::CnCode as usize => Str(l.shipment.cn.as_str()),
                        x if x == Col::NetMassKg as usize => Dec(l.shipment.net_mass_kg),
                        _ => Str(row.field(i)),
                    });
                }
                match key {
                    "cn_code_original" => (row.get(Col::CnCode) != l.shipment.cn.as_str())
                        .then(|| Str(row.get(Col::CnCode))),
                    "_row" => Some(Int(row.row)),
                    "_enrichment" => Some(Enrichment(l)),
                    "emissions_calculation" => Some(Calc(l)),
                    _ => row
                        .extra
                        .iter()
                        .find(|(k, _)| &**k == key)
                        .map(|(_, v)| Str(v.as_str())),
                }
            }
            Enrichment(l) => {
                let entry = match &l.shipment.scope {
                    ScopeStatus::InScope(e) | ScopeStatus::Excluded(e) => Some(e),
                    ScopeStatus::NotListed => None,
                };
                match key {
                    "product_group" => {
                        Some(Str(entry.map(|e| e.sector.product_group()).unwrap_or("")))
                    }
                    "sector" => entry.map(|e| Str(e.sector.as_str())),
                    "annex_i_entry" => entry.map(|e| Str(e.code.as_str())),
                    "in_cbam_scope" => {
                        Some(Bool(matches!(l.shipment.scope, ScopeStatus::InScope(_))))
                    }
                    "period" => Some(Str(match Period::of(l.shipment.import_date) {
                        Period::Transitional => "transitional",
                        Period::Definitive => "definitive",
                    })),
                    _ => None,
                }
            }
            Calc(l) => Some(match key {
                "calculation_method" => Str(l.method.as_str()),
                "factor_id" => Str(&l.factor.id),
                "emission_factor_source" => Str(&l.factor.label),
                "data_quality" => Str(&l.factor.data_quality),
                "emission_factor_direct_tco2_per_ton" => Dec(l.factor.direct),
                "emission_factor_indirect_tco2_per_ton" => Dec(l.factor.indirect),
                "emission_factor_total_tco2_per_ton" => Dec(l.factor.total),
                "default_markup" => Dec(l.markup?),
                "mass_tonnes" => Dec(l.mass_tonnes),
                "direct_emissions_tco2" => Dec(l.direct),
                "indirect_emissions_tco2" => Dec(l.indirect),
                "total_emissions_tco2" => Dec(l.total),
                "trail" => Strings(&l.reasons),
                "departures_from_production_system" if !l.departures.is_empty() => {
                    Strings(&l.departures)
                }
                _ => return None,
            }),
            One(_) | Str(_) | Dec(_) | Int(_) | Bool(_) | Strings(_) => None,
        }
    }

    fn array_len(self) -> Option<usize> {
        match self {
            LineNode::One(_) => Some(1),
            LineNode::Strings(s) => Some(s.len()),
            _ => None,
        }
    }

    fn element(self, i: usize) -> Option<Self> {
        match self {
            LineNode::One(l) => (i == 0).then_some(LineNode::Good(l)),
            LineNode::Strings(s) => s.get(i).map(|x| LineNode::Str(x)),
            _ => None,
        }
    }

    fn as_str(self) -> Option<&'a str> {
        match self {
            LineNode::Str(s) => Some(s),
            _ => None,
        }
    }

    fn is_null(self) -> bool {
        false
    }

    fn text(self) -> Option<String> {
        match self {
            LineNode::Str(s) => Some(s.to_string()),
            LineNode::Dec(d) => Some(d.to_string()),
            LineNode::Int(i) => Some(i.to_string()),
            LineNode::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    fn decimal(self) -> Option<Decimal> {
        match self {
            LineNode::Dec(d) => Some(d),
            LineNode::Int(i) => Some(Decimal::from(i)),
            LineNode::Str(s) => {
                let t = s.trim();
                t.parse::<Decimal>()
                    .ok()
                    .or_else(|| Decimal::from_scientific(t).ok())
            }
            _ => None,
        }
    }

    fn is_blank(self) -> bool {
        matches!(self, LineNode::Str(s) if s.trim().is_empty())
    }

    fn raw(self) -> String {
        match self {
            LineNode::Str(s) => serde_json::to_string(s).unwrap_or_default(),
            other => other.text().unwrap_or_else(|| "{…}".into()),
        }
    }
}

impl LineItem for Line {
    type N<'a>
        = LineNode<'a>
    where
        Self: 'a;
    fn doc(&self) -> LineNode<'_> {
        LineNode::Doc(self)
    }
    fn line(&self) -> LineNode<'_> {
        LineNode::Good(self)
    }
}
