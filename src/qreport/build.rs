//! Report → QReport tree. The goods are the report's calculated lines grouped by CN code ×
//! origin (× customs procedure when the shipments file has a `customs_procedure` column); inside
//! each good, one `GoodsEmissions` per supplier with actual data and one per default value.
//! Lines come from a report in memory ([`Goods::from_report`]) or from a report JSON
//! ([`Goods::from_json`]); both give the same goods, so both give the same bytes.

use super::rules::{UNIT_EMISSIONS, UNIT_TONNES};
use super::{finding, schema, Node};
use crate::error::{Error, Result};
use crate::model::{CnCode, Finding, Method, Quarter, Severity};
use crate::reference::suppliers::Supplier;
use crate::reference::SupplierBook;
use crate::report::Report;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

/// The optional shipments column naming the requested customs procedure (2 characters, e.g.
/// `40` release for free circulation). Without it every good uses [`XmlOptions::procedure`].
pub const PROCEDURE_COLUMN: &str = "customs_procedure";

/// A party of the report (declarant, importer, representative).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    pub eori: String,
    pub name: String,
    /// ISO alpha-2; not written for the declarant (its address has no country in 23.00).
    pub country: String,
    pub city: String,
}

/// What the XML needs beyond the report: addresses, role, signature, procedure.
#[derive(Debug, Clone, Default)]
pub struct XmlOptions {
    /// Declarant EORI; default: the importer's.
    pub declarant_eori: Option<String>,
    pub declarant_city: String,
    /// `01` importer for all goods, `02` indirect customs representative, `03` some goods.
    pub declarant_role: String,
    /// Importer city; default: the declarant's city when the declarant is the importer.
    pub importer_city: Option<String>,
    pub representative: Option<Party>,
    /// Default: the declarant's city.
    pub signature_place: Option<String>,
    /// The declarant confirms the report (GlobalDataConfirmation, UseOfDataConfirmation and,
    /// where other methodologies are used, OtherApplicableReportingMethodology).
    pub confirm: bool,
    /// Requested customs procedure for goods without a `customs_procedure` value.
    pub procedure: String,
    /// `EU` (customs import declaration) or `EUOTH`.
    pub import_area: String,
}

/// The report header as the XML states it.
#[derive(Debug, Clone)]
pub struct Header {
    pub quarter: Option<Quarter>,
    pub report_id: String,
    pub declarant: Party,
    pub declarant_role: String,
    pub declarant_position: String,
    pub importer: Party,
    pub representative: Option<Party>,
    pub signature_place: String,
    pub confirm: bool,
    pub procedure: String,
    pub import_area: String,
}

/// The report's own declaration fields (`importer_declaration`, `report_metadata`).
#[derive(Debug, Clone, Default)]
pub struct Declaration {
    pub quarter: String,
    pub report_id: String,
    pub importer_name: String,
    pub importer_country: String,
    pub importer_eori: String,
    pub declarant_name: String,
    pub declarant_position: String,
}

impl Declaration {
    pub fn of_report(r: &Report) -> Declaration {
        let d = &r.importer_declaration;
        Declaration {
            quarter: r.report_metadata.quarter.clone(),
            report_id: r.report_metadata.report_id.clone(),
            importer_name: d.importer_name.clone(),
            importer_country: d.importer_country.clone(),
            importer_eori: d.importer_eori.clone(),
            declarant_name: d.declarant_name.clone(),
            declarant_position: d.declarant_position.clone(),
        }
    }
    pub fn of_json(v: &Value) -> Declaration {
        let s = |a: &str, b: &str| v[a][b].as_str().unwrap_or("").trim().to_string();
        Declaration {
            quarter: s("report_metadata", "quarter"),
            report_id: s("report_metadata", "report_id"),
            importer_name: s("importer_declaration", "importer_name"),
            importer_country: s("importer_declaration", "importer_country"),
            importer_eori: s("importer_declaration", "importer_eori"),
            declarant_name: s("importer_declaration", "declarant_name"),
            declarant_position: s("importer_declaration", "declarant_position"),
        }
    }
}

/// A value the XML needs and nothing provides: a usage error, named by flag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("--importer-city: required when the declarant is not the importer (--declarant-eori differs from the importer's EORI)")]
    ImporterCityRequired,
    #[error("--declarant-city: expected the declarant's city (the registry requires it)")]
    DeclarantCityMissing,
}

impl Header {
    /// Combines the report's declaration with the XML options.
    pub fn new(d: &Declaration, o: &XmlOptions) -> Result<Header, HeaderError> {
        let declarant_eori = o
            .declarant_eori
            .clone()
            .unwrap_or_else(|| d.importer_eori.clone());
        let importer_city = match &o.importer_city {
            Some(c) => c.clone(),
            None if declarant_eori == d.importer_eori => o.declarant_city.clone(),
            None => return Err(HeaderError::ImporterCityRequired),
        };
        if o.declarant_city.trim().is_empty() {
            return Err(HeaderError::DeclarantCityMissing);
        }
        Ok(Header {
            quarter: Quarter::parse(&d.quarter),
            report_id: d.report_id.clone(),
            declarant: Party {
                eori: declarant_eori,
                name: d.declarant_name.clone(),
                country: String::new(),
                city: o.declarant_city.clone(),
            },
            declarant_role: o.declarant_role.clone(),
            declarant_position: d.declarant_position.clone(),
            importer: Party {
                eori: d.importer_eori.clone(),
                name: d.importer_name.clone(),
                country: d.importer_country.clone(),
                city: importer_city,
            },
            representative: o.representative.clone(),
            signature_place: o
                .signature_place
                .clone()
                .unwrap_or_else(|| o.declarant_city.clone()),
            confirm: o.confirm,
            procedure: o.procedure.clone(),
            import_area: o.import_area.clone(),
        })
    }
}

/// Where a default value or supplier figure came from (from `provenance.factors_used`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactorInfo {
    pub matched_code: String,
    pub description: String,
    pub source: String,
}

/// One good: CN code × origin × procedure (`None`: the default procedure).
type GoodKey = (CnCode, String, Option<String>);
/// One emissions group inside a good: actual data first (per supplier), then default values;
/// the factor's id and values keep groups with different figures apart.
type EmissionKey = (u8, String, String, Decimal, Decimal);

#[derive(Debug, Clone, Default)]
struct EmissionAgg {
    mass: Decimal,
    direct: Decimal,
    indirect: Decimal,
    lines: u64,
}

/// The calculated lines, grouped the way the XML reports them.
#[derive(Debug, Default)]
pub struct Goods {
    goods: BTreeMap<GoodKey, BTreeMap<EmissionKey, EmissionAgg>>,
    factors: BTreeMap<String, FactorInfo>,
}

/// One calculated line, as either source gives it.
pub struct LineView<'a> {
    pub cn: CnCode,
    pub origin: &'a str,
    pub procedure: Option<&'a str>,
    pub method: Method,
    pub supplier_id: &'a str,
    pub factor_id: &'a str,
    pub see_direct: Decimal,
    pub see_indirect: Decimal,
    pub mass_tonnes: Decimal,
    pub direct: Decimal,
    pub indirect: Decimal,
}

impl Goods {
    pub fn add(&mut self, l: &LineView<'_>) {
        let key = (
            l.cn,
            l.origin.to_string(),
            l.procedure.filter(|p| !p.is_empty()).map(str::to_string),
        );
        let actual = l.method == Method::ActualData;
        let ekey = (
            if actual { 0 } else { 1 },
            if actual {
                l.supplier_id.to_string()
            } else {
                String::new()
            },
            l.factor_id.to_string(),
            l.see_direct,
            l.see_indirect,
        );
        let e = self.goods.entry(key).or_default().entry(ekey).or_default();
        e.mass += l.mass_tonnes;
        e.direct += l.direct;
        e.indirect += l.indirect;
        e.lines += 1;
    }

    /// From a report in memory: its lines must have been kept (`detailed_goods`, or
    /// `keep_lines`). `None` when they were not; an error when they cannot be read back.
    pub fn from_report(r: &Report) -> Option<std::io::Result<Goods>> {
        let lines = r.lines()?;
        let mut g = Goods::default();
        let read = lines.for_each(|l| {
            let row = &l.shipment.row;
            g.add(&LineView {
                cn: l.shipment.cn,
                origin: l.shipment.origin_iso(),
                procedure: row
                    .extra
                    .iter()
                    .find(|(k, _)| &**k == PROCEDURE_COLUMN)
                    .map(|(_, v)| v.as_str()),
                method: l.method,
                supplier_id: row.get(crate::model::Col::SupplierId),
                factor_id: &l.factor.id,
                see_direct: l.factor.direct,
                see_indirect: l.factor.indirect,
                mass_tonnes: l.mass_tonnes,
                direct: l.direct,
                indirect: l.indirect,
            });
            if !g.factors.contains_key(&l.factor.id) {
                g.factors.insert(
                    l.factor.id.clone(),
                    FactorInfo {
                        matched_code: l.factor.matched_code.clone(),
                        description: l.factor.description.clone(),
                        source: l.factor.source.clone(),
                    },
                );
            }
            Ok(())
        });
        Some(read.map(|()| g))
    }

    /// From a report JSON (`cbam report` output) read from `path`: `detailed_goods` gives the
    /// lines, `provenance.factors_used` the sources. An error names the file and the JSON path.
    pub fn from_json(path: &Path, v: &Value) -> Result<Goods> {
        let bad = |message: String| Error::Data {
            path: path.to_path_buf(),
            message,
        };
        if !v["provenance"]["factors_used"].is_array() {
            return Err(bad("provenance.factors_used: missing; `cbam xml` reads a report written by `cbam report` \
                 (the XML names each factor's id and source), e.g. not the production system's report: \
                 run `cbam report` on the shipments instead"
                .into()));
        }
        let lines = v["detailed_goods"].as_array().ok_or_else(|| {
            bad("detailed_goods: missing; the XML needs the per-shipment lines (write the report without --details none)".into())
        })?;
        let mut g = Goods::default();
        for (i, d) in lines.iter().enumerate() {
            let line = JsonLine::read(path, i, d)?;
            g.add(&line.view());
        }
        if let Some(fs) = v["provenance"]["factors_used"].as_array() {
            for f in fs {
                let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
                g.factors.insert(
                    s("id"),
                    FactorInfo {
                        matched_code: s("matched_code"),
                        description: s("description"),
                        source: s("source"),
                    },
                );
            }
        }
        Ok(g)
    }

    pub fn is_empty(&self) -> bool {
        self.goods.is_empty()
    }
}

/// One `detailed_goods` entry of a report JSON, its fields read and checked; a problem is an
/// [`Error::Data`] whose message starts with the entry's JSON path.
struct JsonLine {
    cn: CnCode,
    origin: String,
    procedure: Option<String>,
    method: Method,
    supplier_id: String,
    factor_id: String,
    see_direct: Decimal,
    see_indirect: Decimal,
    mass_tonnes: Decimal,
    direct: Decimal,
    indirect: Decimal,
}

impl JsonLine {
    fn read(path: &Path, i: usize, d: &Value) -> Result<JsonLine> {
        let bad = |message: String| Error::Data {
            path: path.to_path_buf(),
            message,
        };
        let at = |f: &str| format!("detailed_goods[{i}].{f}");
        let calc = &d["emissions_calculation"];
        let text = |v: &Value, f: &str| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| bad(format!("{}: expected a string", at(f))))
        };
        let num = |f: &str| {
            let v = &calc[f];
            let s = match v {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.clone(),
                _ => String::new(),
            };
            Decimal::from_str(&s).map_err(|_| {
                bad(format!(
                    "{}: expected a decimal number, found {v}",
                    at(&format!("emissions_calculation.{f}"))
                ))
            })
        };
        let cn_text = text(&d["cn_code"], "cn_code")?;
        let cn = CnCode::normalise(&cn_text).ok_or_else(|| {
            bad(format!(
                "{}: expected an 8-digit CN code, found {cn_text:?}",
                at("cn_code")
            ))
        })?;
        let method = match calc["calculation_method"].as_str() {
            Some("actual_data") => Method::ActualData,
            Some("default_values") => Method::DefaultValues,
            other => {
                return Err(bad(format!(
                    "{}: expected actual_data or default_values, found {other:?}",
                    at("emissions_calculation.calculation_method")
                )))
            }
        };
        Ok(JsonLine {
            cn,
            method,
            origin: text(&d["origin_iso"], "origin_iso")?,
            procedure: d[PROCEDURE_COLUMN].as_str().map(str::to_string),
            supplier_id: d["supplier_id"].as_str().unwrap_or("").to_string(),
            factor_id: text(&calc["factor_id"], "emissions_calculation.factor_id")?,
            see_direct: num("emission_factor_direct_tco2_per_ton")?,
            see_indirect: num("emission_factor_indirect_tco2_per_ton")?,
            mass_tonnes: num("mass_tonnes")?,
            direct: num("direct_emissions_tco2")?,
            indirect: num("indirect_emissions_tco2")?,
        })
    }

    fn view(&self) -> LineView<'_> {
        LineView {
            cn: self.cn,
            origin: &self.origin,
            procedure: self.procedure.as_deref(),
            method: self.method,
            supplier_id: &self.supplier_id,
            factor_id: &self.factor_id,
            see_direct: self.see_direct,
            see_indirect: self.see_indirect,
            mass_tonnes: self.mass_tonnes,
            direct: self.direct,
            indirect: self.indirect,
        }
    }
}

/// Decimal text without trailing zeros (`24.560` → `24.56`): the same value, one spelling.
fn num(d: Decimal) -> String {
    d.normalize().to_string()
}

/// A specific embedded emission in the registry's format dec16-7: factors read from suppliers'
/// Communication templates carry up to 16 decimals, so they are rounded (half-even) here, at
/// the one place the format asks for it.
fn see(d: Decimal) -> String {
    num(d.round_dp_with_strategy(7, rust_decimal::RoundingStrategy::MidpointNearestEven))
}

/// Cuts `s` to at most `max` characters, marking the cut with `…`.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

fn address(tag: &str, p: &Party) -> Node {
    Node::new(tag)
        .with(Node::leaf("Country", &p.country))
        .with(Node::leaf("City", &p.city))
}

fn party(tag: &str, address_tag: &str, p: &Party) -> Node {
    Node::new(tag)
        .with(Node::leaf("IdentificationNumber", &p.eori))
        .with(Node::leaf("Name", &p.name))
        .with(address(address_tag, p))
}

/// The QReport tree for `goods`, and what stops it from being written: findings of
/// severity error (a period without quarterly reports, electricity, no goods, and every value
/// that does not fit its schema format or multiplicity, checked on the tree itself).
pub fn build(h: &Header, goods: &Goods, suppliers: Option<&SupplierBook>) -> (Node, Vec<Finding>) {
    let mut findings: Vec<Finding> = period_finding(h).into_iter().collect();
    let mut root = report_head(h, goods);
    if goods.is_empty() {
        findings.push(finding(
            "XQ001",
            Severity::Error,
            "QReport/ImportedGood",
            0,
            "QReport/ImportedGood: the report has no calculated goods; a QReport needs at least one",
        ));
    }
    for (gi, (key, groups)) in goods.goods.iter().enumerate() {
        let item = gi + 1;
        findings.extend(electricity_finding(item, key.0));
        let mut good = imported_good(h, item, key, groups);
        for (ei, (ekey, agg)) in groups.iter().enumerate() {
            good = good.with(goods_emissions(ei + 1, &key.1, ekey, agg, goods, suppliers));
        }
        root = root.with(good);
    }
    findings.extend(schema::check(&root));
    (root, findings)
}

/// XQ020: the QReport exists only for the transitional period's quarters.
fn period_finding(h: &Header) -> Option<Finding> {
    match h.quarter {
        Some(q) if super::is_transitional_quarter(q) => None,
        other => Some(finding(
            "XQ020",
            Severity::Error,
            "QReport/ReportingPeriod",
            0,
            format!(
                "QReport/ReportingPeriod: report quarter {}: the QReport is the transitional period's quarterly report (2023Q4–2025Q4); from 2026 there is no official XML schema",
                other.map(|q| q.to_string()).unwrap_or_else(|| "(none)".into())
            ),
        )),
    }
}

/// XQ021: electricity is reported with fields `cbam` does not write.
fn electricity_finding(item: usize, cn: CnCode) -> Option<Finding> {
    let cn_s = cn.as_str();
    cn_s.starts_with("2716").then(|| {
        finding(
            "XQ021",
            Severity::Error,
            &format!("QReport/ImportedGood[{item}]/CommodityCode/CnCode"),
            0,
            format!("QReport/ImportedGood[{item}]: electricity ({cn_s}) is reported in MWh with electricity-only fields; cbam does not write those"),
        )
        .found(cn_s)
    })
}

/// Everything before the goods: period, declarant, representative, importer, signatures,
/// remarks.
fn report_head(h: &Header, goods: &Goods) -> Node {
    let mut root = Node::new("QReport")
        .with(Node::leaf(
            "ReportingPeriod",
            h.quarter.map(|q| format!("Q{}", q.q)).unwrap_or_default(),
        ))
        .with(Node::leaf(
            "Year",
            h.quarter.map(|q| q.year.to_string()).unwrap_or_default(),
        ))
        .with(
            Node::new("Declarant")
                .with(Node::leaf("IdentificationNumber", &h.declarant.eori))
                .with(Node::leaf("Name", &h.declarant.name))
                .with(Node::leaf("Role", &h.declarant_role))
                .with(Node::new("ActorAddress").with(Node::leaf("City", &h.declarant.city))),
        );
    if let Some(r) = &h.representative {
        root = root.with(party("Representative", "RepresentativeAddress", r));
    }
    let uses_other_methods = goods.goods.values().any(|em| em.keys().any(|k| k.0 != 0));
    root.with(party("Importer", "ImporterAddress", &h.importer))
        .with(signatures(h, uses_other_methods))
        .with(Node::new("Remarks").with(Node::leaf(
            "AdditionalInformation",
            clip(
                &format!(
                    "Prepared offline by {} {} from report {}.",
                    crate::report::TOOL_NAME,
                    crate::report::TOOL_VERSION,
                    h.report_id
                ),
                512,
            ),
        )))
}

fn signatures(h: &Header, uses_other_methods: bool) -> Node {
    let signatures = Node::new("Signatures").with(
        Node::new("ReportConfirmation")
            .with(Node::leaf("GlobalDataConfirmation", h.confirm.to_string()))
            .with(Node::leaf("UseOfDataConfirmation", h.confirm.to_string()))
            .with(Node::leaf("SignaturePlace", &h.signature_place))
            .with(Node::leaf("Signature", &h.declarant.name))
            .with(Node::leaf("PositionOfPersonSending", &h.declarant_position)),
    );
    if !uses_other_methods {
        return signatures;
    }
    signatures.with(
        Node::new("ApplicableMethodologyConfirmation").with(Node::leaf(
            "OtherApplicableReportingMethodology",
            h.confirm.to_string(),
        )),
    )
}

fn measure(tag: &str, m: Decimal) -> Node {
    Node::new(tag)
        .with(Node::leaf("NetMass", num(m)))
        .with(Node::leaf("MeasurementUnit", UNIT_TONNES))
}

/// One `ImportedGood` without its `GoodsEmissions`: code, origin, quantity.
fn imported_good(
    h: &Header,
    item: usize,
    (cn, origin, procedure): &GoodKey,
    groups: &BTreeMap<EmissionKey, EmissionAgg>,
) -> Node {
    let cn_s = cn.as_str();
    let mass: Decimal = groups.values().map(|e| e.mass).sum();
    Node::new("ImportedGood")
        .with(Node::leaf("ItemNumber", item.to_string()))
        .with(
            Node::new("CommodityCode")
                .with(Node::leaf("HsCode", &cn_s[..6]))
                .with(Node::leaf("CnCode", cn_s))
                .with(Node::new("CommodityDetails")),
        )
        .with(Node::new("OriginCountry").with(Node::leaf("Country", origin)))
        .with(
            Node::new("ImportedQuantity")
                .with(Node::leaf("SequenceNumber", "1"))
                .with(Node::new("Procedure").with(Node::leaf(
                    "RequestedProc",
                    procedure.as_deref().unwrap_or(&h.procedure),
                )))
                .with(Node::new("ImportArea").with(Node::leaf("ImportArea", &h.import_area)))
                .with(
                    Node::new("MeasureProcedureImported")
                        .with(Node::leaf("Indicator", "0"))
                        .with(Node::leaf("NetMass", num(mass)))
                        .with(Node::leaf("MeasurementUnit", UNIT_TONNES)),
                ),
        )
        .with(measure("MeasureImported", mass))
}

/// One `GoodsEmissions` of a good: where it was produced, by whom (supplier actuals), how
/// it was determined, its specific embedded emissions and remarks.
fn goods_emissions(
    sequence: usize,
    origin: &str,
    (kind, supplier_id, factor_id, see_d, see_i): &EmissionKey,
    agg: &EmissionAgg,
    goods: &Goods,
    suppliers: Option<&SupplierBook>,
) -> Node {
    let actual = *kind == 0;
    let info = goods.factors.get(factor_id).cloned().unwrap_or_default();
    let supplier = suppliers
        .filter(|_| actual)
        .and_then(|b| b.get(supplier_id));
    let mut em = Node::new("GoodsEmissions")
        .with(Node::leaf("SequenceNumber", sequence.to_string()))
        .with(Node::leaf(
            "ProductionCountry",
            production_country(supplier, origin),
        ));
    if let Some(s) = supplier {
        for node in operator_and_installation(s) {
            em = em.with(node);
        }
    }
    let determination = if actual { "01" } else { "02" };
    let (methodology, remark) = methodology_and_remark(actual, supplier_id, factor_id, &info);
    em.with(measure("ProducedMeasure", agg.mass))
        .with(
            Node::new("DirectEmissions")
                .with(Node::leaf("DeterminationType", determination))
                .with(Node::leaf(
                    "ApplicableReportingTypeMethodology",
                    if actual { "TOM01" } else { "TOM03" },
                ))
                .with(Node::leaf(
                    "ApplicableReportingMethodology",
                    clip(&methodology, 4000),
                ))
                .with(Node::leaf("SpecificEmbeddedEmissions", see(*see_d)))
                .with(Node::leaf("MeasurementUnit", UNIT_EMISSIONS)),
        )
        .with(
            Node::new("IndirectEmissions")
                .with(Node::leaf("DeterminationType", determination))
                .with(Node::leaf("SpecificEmbeddedEmissions", see(*see_i)))
                .with(Node::leaf("MeasurementUnit", UNIT_EMISSIONS))
                .with(Node::leaf("ElectricitySource", "SOE03")),
        )
        .with(
            Node::new("RemarksEmissions")
                .with(Node::leaf("SequenceNumber", "1"))
                .with(Node::leaf("AdditionalInformation", remark)),
        )
        .with(
            Node::new("RemarksEmissions")
                .with(Node::leaf("SequenceNumber", "2"))
                .with(Node::leaf(
                    "AdditionalInformation",
                    format!(
                        "{} shipment(s); calculated per shipment and rounded per line: direct {} tCO2e, indirect {} tCO2e",
                        agg.lines, agg.direct, agg.indirect
                    ),
                )),
        )
}

/// Where the goods were produced: the installation's country, else the supplier's, else the
/// origin.
fn production_country<'a>(supplier: Option<&'a Supplier>, origin: &'a str) -> &'a str {
    supplier
        .and_then(|s| s.installation.as_ref())
        .map(|i| i.country_iso.as_str())
        .filter(|c| !c.is_empty())
        .or_else(|| supplier.map(|s| s.country_iso.as_str()))
        .filter(|c| !c.is_empty())
        .unwrap_or(origin)
}

/// The supplier as `InstallationOperator` (when its profile has name, city and contact), and
/// then its `Installation`: written only with its operator (the registry links every
/// installation to one), and only when the profile names it.
fn operator_and_installation(s: &Supplier) -> Vec<Node> {
    let a = &s.address;
    if s.name.is_empty()
        || a.city.is_empty()
        || a.contact_person.is_empty()
        || a.contact_phone.is_empty()
        || a.contact_email.is_empty()
    {
        return Vec::new();
    }
    let opt = |v: &str| (!v.is_empty()).then(|| v.to_string());
    let operator = Node::new("InstallationOperator")
        .with(Node::leaf("OperatorId", &s.id))
        .with(Node::leaf("OperatorName", &s.name))
        .with(
            Node::new("OperatorAddress")
                .with(Node::leaf("Country", &s.country_iso))
                .with(Node::leaf("City", &a.city))
                .with_opt("Street", opt(&a.street).as_deref())
                .with_opt("Postcode", opt(&a.postal_code).as_deref()),
        )
        .with(
            Node::new("ContactDetails")
                .with(Node::leaf("Name", &a.contact_person))
                .with(Node::leaf("Phone", &a.contact_phone))
                .with(Node::leaf("Email", &a.contact_email)),
        );
    let installation = s
        .installation
        .as_ref()
        .filter(|i| !i.id.is_empty() && !i.name.is_empty() && !i.city.is_empty())
        .map(|i| {
            Node::new("Installation")
                .with(Node::leaf("InstallationId", &i.id))
                .with(Node::leaf("InstallationName", &i.name))
                .with(
                    Node::new("Address")
                        .with(Node::leaf("EstablishmentCountry", &i.country_iso))
                        .with(Node::leaf("City", &i.city))
                        .with_opt("Street", opt(&i.street).as_deref())
                        .with_opt("Postcode", opt(&i.postal_code).as_deref())
                        .with_opt("UNLOCODE", opt(&i.unlocode).as_deref()),
                )
        });
    std::iter::once(operator).chain(installation).collect()
}

/// The methodology text (an..4000 once clipped) and the remark (an..512) of one emissions
/// group: the supplier's data and its source, or the default value and its citation.
fn methodology_and_remark(
    actual: bool,
    supplier_id: &str,
    factor_id: &str,
    info: &FactorInfo,
) -> (String, String) {
    if actual {
        let m = format!(
            "Actual data of supplier {supplier_id} ({factor_id}): {}",
            info.source
        );
        let r = clip(&m, 512);
        return (m, r);
    }
    let with = |description: &str| {
        format!(
            "Default value {factor_id} for CN {} ({description}): {}",
            info.matched_code, info.source
        )
    };
    // The remark keeps the whole citation: a long description is shortened first.
    let m = with(&info.description);
    let over = m.chars().count().saturating_sub(512);
    let r = if over == 0 {
        m.clone()
    } else if over + 1 < info.description.chars().count() {
        with(&clip(
            &info.description,
            info.description.chars().count() - over,
        ))
    } else {
        clip(&m, 512)
    };
    (m, r)
}
