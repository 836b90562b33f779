//! Supplier profiles: the production system's YAML (`suppliers: [...]`), extended compatibly
//! with `verified` and per-CN-code actuals (`actual_emissions_by_cn`). Numbers are read from
//! their YAML text (never through f64).

use super::comm_template::{Cell, TemplateProduct, SHEET};
use super::factors::check_factor_values;
use super::template_import::{cell_name, ImportedTemplate, TEMPLATE_DATA_QUALITY};
use crate::error::{Error, Result};
use crate::model::{CnCode, Sector};
use rust_decimal::Decimal;
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

// Every key the production system's profiles (`domain/production-system.md` §3a, its
// `supplier.schema.json`) and `suppliers import` write is a field here, those cbam does not use
// as `IgnoredAny`; any other key is refused with its line (`deny_unknown_fields`), so a
// misspelt `indirect_emissions_tco2_per_tonne` or `cn_codes_prodcued` is never passed over.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // the IgnoredAny fields: keys accepted, not used
struct SupplierFile {
    #[serde(default)]
    suppliers: Vec<SupplierYaml>,
    #[serde(default)]
    metadata: Option<IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // the IgnoredAny fields: keys accepted, not used
struct SupplierYaml {
    supplier_id: String,
    #[serde(default)]
    company_name: Option<String>,
    #[serde(default)]
    country_iso: Option<String>,
    #[serde(default)]
    product_groups: Vec<String>,
    #[serde(default)]
    cn_codes_produced: Vec<String>,
    #[serde(default)]
    actual_emissions_available: Option<bool>,
    #[serde(default)]
    actual_emissions_data: Option<ActualYaml>,
    #[serde(default)]
    actual_emissions_by_cn: Vec<ActualYaml>,
    #[serde(default)]
    verified: Option<bool>,
    /// Written by `suppliers import`: CN codes a Communication template lists under two
    /// processes with different SEE.
    #[serde(default)]
    ambiguous_cn_codes: Vec<String>,
    #[serde(default)]
    address: Option<AddressYaml>,
    #[serde(default)]
    contact: Option<ContactYaml>,
    #[serde(default)]
    installation: Option<InstallationYaml>,
    #[serde(default)]
    country_name: Option<IgnoredAny>,
    #[serde(default)]
    production_capacity_tons_per_year: Option<IgnoredAny>,
    #[serde(default)]
    certifications: Option<IgnoredAny>,
    #[serde(default)]
    eori_number: Option<IgnoredAny>,
    #[serde(default)]
    tax_id: Option<IgnoredAny>,
    #[serde(default)]
    facility_ids: Option<IgnoredAny>,
    #[serde(default)]
    notes: Option<IgnoredAny>,
    #[serde(default)]
    last_updated: Option<IgnoredAny>,
    #[serde(default)]
    data_source: Option<IgnoredAny>,
    #[serde(default)]
    communication_template: Option<IgnoredAny>,
    #[serde(default)]
    reporting_period: Option<IgnoredAny>,
    #[serde(default)]
    ambiguous_entries: Option<IgnoredAny>,
}

/// Compatible extension: the installation the supplier's actual data is for.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // the IgnoredAny fields: keys accepted, not used
struct InstallationYaml {
    #[serde(default)]
    id: Option<Text>,
    #[serde(default)]
    name: Option<Text>,
    #[serde(default)]
    country_iso: Option<Text>,
    #[serde(default)]
    city: Option<Text>,
    #[serde(default)]
    street: Option<Text>,
    #[serde(default)]
    postal_code: Option<Text>,
    #[serde(default)]
    unlocode: Option<Text>,
    #[serde(default)]
    economic_activity: Option<IgnoredAny>,
    #[serde(default)]
    latitude: Option<IgnoredAny>,
    #[serde(default)]
    longitude: Option<IgnoredAny>,
    #[serde(default)]
    unlocode_normalised: Option<IgnoredAny>,
}

/// A text field that a hand-written profile may give as a bare number (`postal_code: 37859`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Text {
    S(String),
    I(i64),
}

impl Text {
    fn get(v: &Option<Text>) -> String {
        match v {
            Some(Text::S(s)) => s.trim().to_string(),
            Some(Text::I(i)) => i.to_string(),
            None => String::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // the IgnoredAny fields: keys accepted, not used
struct AddressYaml {
    #[serde(default)]
    street: Option<Text>,
    #[serde(default)]
    city: Option<Text>,
    #[serde(default)]
    postal_code: Option<Text>,
    #[serde(default)]
    region: Option<IgnoredAny>,
    #[serde(default)]
    country: Option<IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // the IgnoredAny fields: keys accepted, not used
struct ContactYaml {
    #[serde(default)]
    person: Option<Text>,
    #[serde(default)]
    email: Option<Text>,
    #[serde(default)]
    phone: Option<Text>,
    #[serde(default)]
    website: Option<IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // the IgnoredAny fields: keys accepted, not used
struct ActualYaml {
    #[serde(default)]
    cn_code: Option<String>,
    #[serde(with = "rust_decimal::serde::str")]
    direct_emissions_tco2_per_ton: Decimal,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    indirect_emissions_tco2_per_ton: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    total_emissions_tco2_per_ton: Option<Decimal>,
    #[serde(default)]
    data_quality: Option<String>,
    #[serde(default)]
    reporting_year: Option<i32>,
    #[serde(default)]
    verified: Option<bool>,
    #[serde(default)]
    methodology: Option<String>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    data_completeness_pct: Option<Decimal>,
    #[serde(default)]
    source: Option<String>,
    /// Written by `suppliers import`: the workbook and cells the figures were read from.
    #[serde(default)]
    origin: Option<OriginYaml>,
    #[serde(default)]
    certifications: Option<IgnoredAny>,
    #[serde(default)]
    boundary: Option<IgnoredAny>,
    #[serde(default)]
    scope_1_included: Option<IgnoredAny>,
    #[serde(default)]
    scope_2_included: Option<IgnoredAny>,
    #[serde(default)]
    scope_3_included: Option<IgnoredAny>,
    #[serde(default)]
    precursor_materials: Option<IgnoredAny>,
    #[serde(default)]
    notes: Option<IgnoredAny>,
    #[serde(default)]
    unit: Option<IgnoredAny>,
    #[serde(default)]
    production_process: Option<IgnoredAny>,
    #[serde(default)]
    goods_category: Option<IgnoredAny>,
    #[serde(default)]
    cn_name: Option<IgnoredAny>,
    #[serde(default)]
    product_name: Option<IgnoredAny>,
    #[serde(default)]
    production_route: Option<IgnoredAny>,
    #[serde(default)]
    electricity_ef_source: Option<IgnoredAny>,
    #[serde(default)]
    default_value_share: Option<IgnoredAny>,
    #[serde(default)]
    embedded_electricity_mwh_per_t: Option<IgnoredAny>,
    #[serde(default)]
    electricity_ef_tco2_per_mwh: Option<IgnoredAny>,
    #[serde(default)]
    carbon_price: Option<IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OriginYaml {
    file: String,
    #[serde(default)]
    sha256: Option<String>,
    #[serde(default)]
    sheet: Option<String>,
    #[serde(default)]
    cells: std::collections::BTreeMap<String, String>,
}

impl OriginYaml {
    fn describe(&self) -> String {
        let cell = |k: &str| self.cells.get(k).map(String::as_str).unwrap_or("?");
        describe_origin(
            &self.file,
            self.sha256.as_deref(),
            self.sheet.as_deref().unwrap_or("?"),
            [
                cell("direct_emissions_tco2_per_ton"),
                cell("indirect_emissions_tco2_per_ton"),
                cell("total_emissions_tco2_per_ton"),
            ],
        )
    }
}

/// `file (sha256 …) Sheet!I26 (direct), J26 (indirect), K26 (total)`: where an actual's
/// figures were read, cells `[direct, indirect, total]`.
fn describe_origin(file: &str, sha256: Option<&str>, sheet: &str, cells: [&str; 3]) -> String {
    format!(
        "{file} (sha256 {}) {sheet}!{} (direct), {} (indirect), {} (total)",
        sha256
            .map(|s| s.get(..16).unwrap_or(s))
            .unwrap_or("not recorded"),
        cells[0],
        cells[1],
        cells[2],
    )
}

/// Actual specific embedded emissions a supplier reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierActual {
    pub direct: Decimal,
    pub indirect: Decimal,
    pub total: Decimal,
    pub data_quality: String,
    pub reporting_year: Option<i32>,
    pub verified: Option<bool>,
    pub completeness_pct: Option<Decimal>,
    /// The total as the supplier stated it (None: not stated, computed as direct + indirect).
    pub stated_total: Option<Decimal>,
    pub source: String,
    /// `Some(cn)` for a per-CN-code entry, `None` for the supplier's general figures.
    pub cn: Option<CnCode>,
    /// The workbook and cells the figures were read from (imported templates).
    pub origin: Option<String>,
}

impl SupplierActual {
    /// The stated total when it differs from direct + indirect by more than 0.001 tCO2e/t
    /// (the figures are inconsistent: `suppliers audit` error, `report` warning CA013).
    pub fn total_mismatch(&self) -> Option<Decimal> {
        let t = self.stated_total?;
        let sum = self.direct.checked_add(self.indirect)?;
        ((sum - t).abs() > Decimal::new(1, 3)).then_some(t)
    }
}

#[derive(Debug, Clone)]
pub struct Supplier {
    pub id: String,
    pub name: String,
    pub country_iso: String,
    /// Product groups as sectors (the production system writes `steel`, `aluminum`, …).
    pub sectors: Vec<Sector>,
    pub cn_codes_produced: Vec<CnCode>,
    /// `actual_emissions_data`, when present and `actual_emissions_available` is not false.
    pub general: Option<SupplierActual>,
    pub by_cn: HashMap<CnCode, SupplierActual>,
    /// CN codes whose actuals cannot be chosen (a template lists them under two processes).
    pub ambiguous_cn: Vec<CnCode>,
    /// `address` and `contact` of the profile (what the registry calls the installation operator).
    pub address: SupplierAddress,
    /// The `installation` entry (an extension), when the profile has one.
    pub installation: Option<SupplierInstallation>,
}

/// The installation of production (the registry's `Installation`); empty strings where the
/// profile leaves a field out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SupplierInstallation {
    pub id: String,
    pub name: String,
    /// Default: the supplier's country_iso.
    pub country_iso: String,
    pub city: String,
    pub street: String,
    pub postal_code: String,
    pub unlocode: String,
}

/// The profile's address and contact person; empty strings where the profile has none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SupplierAddress {
    pub street: String,
    pub city: String,
    pub postal_code: String,
    pub contact_person: String,
    pub contact_email: String,
    pub contact_phone: String,
}

#[derive(Debug, Default)]
pub struct SupplierBook {
    pub by_id: HashMap<String, Supplier>,
    pub file_name: Option<String>,
}

impl SupplierBook {
    pub fn get(&self, id: &str) -> Option<&Supplier> {
        self.by_id.get(id)
    }

    /// Adds the suppliers of `other` (imported templates). A supplier already here keeps its
    /// general figures and gets the template's per-CN actuals, which replace its own for
    /// those codes.
    pub fn absorb(&mut self, other: SupplierBook) {
        for (id, s) in other.by_id {
            match self.by_id.get_mut(&id) {
                None => {
                    self.by_id.insert(id, s);
                }
                Some(have) => {
                    for c in &s.cn_codes_produced {
                        if !have.cn_codes_produced.contains(c) {
                            have.cn_codes_produced.push(*c);
                        }
                    }
                    for sec in &s.sectors {
                        if !have.sectors.contains(sec) {
                            have.sectors.push(*sec);
                        }
                    }
                    have.by_cn.extend(s.by_cn);
                    have.ambiguous_cn.extend(s.ambiguous_cn);
                    if have.installation.is_none() {
                        have.installation = s.installation;
                    }
                }
            }
        }
    }

    pub fn from_yaml(path: &Path, text: &str) -> Result<SupplierBook> {
        let file: SupplierFile = serde_saphyr::from_str(text).map_err(|e| Error::Data {
            path: path.to_path_buf(),
            message: format!("not a supplier profile file: {e}"),
        })?;
        let err = |i: usize, id: &str, msg: String| Error::Data {
            path: path.to_path_buf(),
            message: format!("suppliers[{i}] ({id}): {msg}"),
        };
        let mut by_id = HashMap::new();
        for (i, s) in file.suppliers.into_iter().enumerate() {
            let id = s.supplier_id.trim().to_string();
            if id.is_empty() {
                return Err(err(i, "?", "supplier_id: expected a non-empty id".into()));
            }
            let mut sectors = Vec::new();
            for g in &s.product_groups {
                let sec = Sector::parse(&g.to_ascii_lowercase()).ok_or_else(|| {
                    err(
                        i,
                        &id,
                        format!("product_groups: expected a CBAM product group, found {g:?}"),
                    )
                })?;
                sectors.push(sec);
            }
            let mut produced = Vec::new();
            for c in &s.cn_codes_produced {
                produced.push(CnCode::normalise(c).ok_or_else(|| {
                    err(
                        i,
                        &id,
                        format!("cn_codes_produced: expected 8-digit CN codes, found {c:?}"),
                    )
                })?);
            }
            let convert = |a: &ActualYaml, cn: Option<CnCode>| -> SupplierActual {
                let indirect = a.indirect_emissions_tco2_per_ton.unwrap_or(Decimal::ZERO);
                SupplierActual {
                    direct: a.direct_emissions_tco2_per_ton,
                    indirect,
                    total: a
                        .total_emissions_tco2_per_ton
                        .unwrap_or(a.direct_emissions_tco2_per_ton + indirect),
                    data_quality: a.data_quality.clone().unwrap_or_else(|| "unknown".into()),
                    reporting_year: a.reporting_year,
                    verified: a.verified.or(s.verified),
                    completeness_pct: a.data_completeness_pct,
                    stated_total: a.total_emissions_tco2_per_ton,
                    source: a
                        .source
                        .clone()
                        .or_else(|| a.methodology.clone())
                        .unwrap_or_else(|| "supplier profile".into()),
                    cn,
                    origin: a.origin.as_ref().map(OriginYaml::describe),
                }
            };
            for (j, a) in s
                .actual_emissions_data
                .iter()
                .chain(s.actual_emissions_by_cn.iter())
                .enumerate()
            {
                let vals = [
                    a.direct_emissions_tco2_per_ton,
                    a.indirect_emissions_tco2_per_ton.unwrap_or_default(),
                    a.total_emissions_tco2_per_ton.unwrap_or_default(),
                ];
                check_factor_values(&vals)
                    .map_err(|m| err(i, &id, format!("actual emissions entry {j}: {m}")))?;
            }
            let general = match (&s.actual_emissions_data, s.actual_emissions_available) {
                (Some(_), Some(false)) => None,
                (Some(a), _) => Some(convert(a, None)),
                (None, _) => None,
            };
            let mut by_cn = HashMap::new();
            for (j, a) in s.actual_emissions_by_cn.iter().enumerate() {
                let raw = a.cn_code.as_deref().unwrap_or("");
                let cn = CnCode::normalise(raw).ok_or_else(|| {
                    err(i, &id, format!("actual_emissions_by_cn[{j}].cn_code: expected an 8-digit CN code, found {raw:?}"))
                })?;
                if by_cn.insert(cn, convert(a, Some(cn))).is_some() {
                    return Err(err(
                        i,
                        &id,
                        format!("actual_emissions_by_cn[{j}]: CN code {cn} listed twice"),
                    ));
                }
            }
            let ambiguous_cn = s
                .ambiguous_cn_codes
                .iter()
                .filter_map(|c| CnCode::normalise(c))
                .collect();
            let sup = Supplier {
                ambiguous_cn,
                id: id.clone(),
                name: s.company_name.unwrap_or_default(),
                country_iso: s.country_iso.clone().unwrap_or_default(),
                sectors,
                cn_codes_produced: produced,
                general,
                by_cn,
                address: {
                    let t = Text::get;
                    let (a, c) = (s.address.as_ref(), s.contact.as_ref());
                    SupplierAddress {
                        street: a.map(|a| t(&a.street)).unwrap_or_default(),
                        city: a.map(|a| t(&a.city)).unwrap_or_default(),
                        postal_code: a.map(|a| t(&a.postal_code)).unwrap_or_default(),
                        contact_person: c.map(|c| t(&c.person)).unwrap_or_default(),
                        contact_email: c.map(|c| t(&c.email)).unwrap_or_default(),
                        contact_phone: c.map(|c| t(&c.phone)).unwrap_or_default(),
                    }
                },
                installation: s.installation.as_ref().map(|i| SupplierInstallation {
                    id: Text::get(&i.id),
                    name: Text::get(&i.name),
                    country_iso: match Text::get(&i.country_iso) {
                        c if c.is_empty() => s.country_iso.clone().unwrap_or_default(),
                        c => c,
                    },
                    city: Text::get(&i.city),
                    street: Text::get(&i.street),
                    postal_code: Text::get(&i.postal_code),
                    unlocode: Text::get(&i.unlocode),
                }),
            };
            if by_id.insert(id.clone(), sup).is_some() {
                return Err(err(i, &id, "supplier_id appears more than once".into()));
            }
        }
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        Ok(SupplierBook { by_id, file_name })
    }
}

/// What errors about the suppliers of `--supplier-templates` name as their file.
const TEMPLATES: &str = "(supplier templates)";

impl SupplierBook {
    /// The suppliers of imported Communication templates: the profiles `cbam suppliers import`
    /// writes, read as `from_yaml` reads that file (figures normalised, as written there).
    pub fn from_templates(imported: &[ImportedTemplate]) -> Result<SupplierBook> {
        let err = |i: usize, id: &str, msg: String| Error::Data {
            path: TEMPLATES.into(),
            message: format!("suppliers[{i}] ({id}): {msg}"),
        };
        let mut by_id = HashMap::new();
        for (i, t) in imported.iter().filter(|t| t.profile.is_some()).enumerate() {
            let id = t.supplier_id.trim().to_string();
            if id.is_empty() {
                return Err(err(i, "?", "supplier_id: expected a non-empty id".into()));
            }
            let actuals: Vec<SupplierActual> =
                t.imported_rows().map(|p| template_actual(t, p)).collect();
            for (j, a) in actuals.iter().enumerate() {
                check_factor_values(&[a.direct, a.indirect, a.total])
                    .map_err(|m| err(i, &id, format!("actual emissions entry {j}: {m}")))?;
            }
            if by_id
                .insert(id.clone(), template_supplier(t, id.clone(), actuals))
                .is_some()
            {
                return Err(err(i, &id, "supplier_id appears more than once".into()));
            }
        }
        Ok(SupplierBook {
            by_id,
            file_name: Some(TEMPLATES.into()),
        })
    }
}

/// A template's installation as its supplier, with the imported rows' `actuals`.
fn template_supplier(t: &ImportedTemplate, id: String, actuals: Vec<SupplierActual>) -> Supplier {
    let text = |c: &Option<Cell<String>>| c.as_ref().map(|c| c.value.clone()).unwrap_or_default();
    let inst = &t.template.installation;
    let profile = t.profile.as_ref();
    Supplier {
        id,
        name: text(&inst.name),
        country_iso: text(&inst.country_iso),
        sectors: profile.map(|p| p.sectors.clone()).unwrap_or_default(),
        cn_codes_produced: t.imported_rows().map(|p| p.cn).collect(),
        general: None,
        by_cn: actuals
            .into_iter()
            .filter_map(|a| Some((a.cn?, a)))
            .collect(),
        ambiguous_cn: profile.map(|p| p.ambiguous.clone()).unwrap_or_default(),
        address: SupplierAddress::default(),
        installation: Some(SupplierInstallation {
            id: String::new(),
            name: text(&inst.name),
            country_iso: text(&inst.country_iso),
            city: text(&inst.city),
            street: text(&inst.street),
            postal_code: String::new(),
            unlocode: text(&inst.unlocode),
        }),
    }
}

/// One imported product row as a per-CN actual.
fn template_actual(t: &ImportedTemplate, p: &TemplateProduct) -> SupplierActual {
    let total = p.total.value.normalize();
    let cells = [&p.direct.cell, &p.indirect.cell, &p.total.cell].map(|c| cell_name(c));
    SupplierActual {
        direct: p.direct.value.normalize(),
        indirect: p.indirect.value.normalize(),
        total,
        data_quality: TEMPLATE_DATA_QUALITY.into(),
        reporting_year: t.profile.as_ref().and_then(|p| p.reporting_year),
        verified: None,
        completeness_pct: None,
        stated_total: Some(total),
        source: t.row_source(p),
        cn: Some(p.cn),
        origin: Some(describe_origin(
            &t.template.file_name,
            Some(&t.template.sha256),
            SHEET,
            [&cells[0], &cells[1], &cells[2]],
        )),
    }
}
