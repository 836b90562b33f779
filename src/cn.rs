//! CN codes against Annex I (`cbam cn`): one code's classification with its default values, a
//! CN code list checked for scope and sector errors, and how a shipments file's codes classify.

use crate::model::{CnCode, Date, ScopeStatus, Sector};
use crate::reference::{AnnexScope, FactorTable};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct DefaultValue {
    pub table: &'static str,
    pub matched_code: String,
    pub direct: String,
    pub indirect: String,
    pub total: String,
    /// `tCO2e/t`, or `tCO2e/MWh` for electricity.
    pub unit: &'static str,
    pub confidence: String,
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Lookup {
    pub input: String,
    pub cn_code: Option<String>,
    /// in_scope, excluded, not_listed, malformed
    pub status: &'static str,
    pub sector: Option<&'static str>,
    pub annex_i_entry: Option<String>,
    pub description: Option<String>,
    pub gases: Option<String>,
    /// Whether indirect emissions count in the definitive period (not an Annex II good).
    pub indirect_counted_definitive: Option<bool>,
    pub default_values: Vec<DefaultValue>,
}

pub fn lookup(input: &str, scope: &AnnexScope, factors: &FactorTable) -> Lookup {
    let mut l = Lookup {
        input: input.to_string(),
        cn_code: None,
        status: "malformed",
        sector: None,
        annex_i_entry: None,
        description: None,
        gases: None,
        indirect_counted_definitive: None,
        default_values: Vec::new(),
    };
    let Some(cn) = CnCode::normalise(input) else {
        return l;
    };
    l.cn_code = Some(cn.as_str().to_string());
    let (status, entry) = match scope.classify(&cn) {
        ScopeStatus::InScope(e) => ("in_scope", Some(e)),
        ScopeStatus::Excluded(e) => ("excluded", Some(e)),
        ScopeStatus::NotListed => ("not_listed", None),
    };
    l.status = status;
    if let Some(e) = &entry {
        l.sector = Some(e.sector.as_str());
        l.annex_i_entry = Some(e.code.clone());
        l.description = Some(e.description.clone());
        if status == "in_scope" {
            l.gases = Some(e.gases.clone());
            l.indirect_counted_definitive = Some(!e.annex_ii);
        }
    }
    if status != "in_scope" {
        return l;
    }
    let dv = |table: &'static str, c: crate::reference::factors::DefaultChoice| DefaultValue {
        table,
        matched_code: c.factor.matched_code.clone(),
        direct: c.factor.direct.to_string(),
        indirect: c.factor.indirect.to_string(),
        total: c.factor.total.to_string(),
        unit: if cn.is_electricity() {
            "tCO2e/MWh"
        } else {
            "tCO2e/t"
        },
        confidence: c.factor.confidence.clone(),
        source: c.factor.source.clone(),
    };
    match factors {
        FactorTable::Eu(t) => {
            if let Some(c) = t.transitional(&cn) {
                l.default_values
                    .push(dv("transitional (2023-10 … 2025-12)", c));
            }
            if let Some(sector) = entry.map(|e| e.sector) {
                if let Some(c) = t.definitive(
                    &cn,
                    "*",
                    Date {
                        year: 2026,
                        month: 1,
                        day: 1,
                    },
                    sector,
                ) {
                    let table = if cn.is_electricity() {
                        "definitive, a third country without its own Annex III value (the Union's factor; no mark-up)"
                    } else {
                        "definitive, Other countries and territories (without mark-up)"
                    };
                    l.default_values.push(dv(table, c));
                }
            }
        }
        FactorTable::User(u) => {
            if let Some(c) = u.lookup(&cn) {
                l.default_values.push(dv("user factor file", c));
            }
        }
    }
    l
}

/// One problem in a CN code list.
#[derive(Debug, Clone, Serialize)]
pub struct CodeProblem {
    pub code: String,
    /// malformed, not_in_annex_i, excluded, wrong_sector
    pub problem: &'static str,
    pub message: String,
}

/// Checks a CN code list: `(code, claimed sector or product group)` pairs.
pub fn validate_list(codes: &[(String, Option<String>)], scope: &AnnexScope) -> Vec<CodeProblem> {
    let mut out = Vec::new();
    for (raw, claimed) in codes {
        let Some(cn) = CnCode::normalise(raw) else {
            out.push(CodeProblem {
                code: raw.clone(),
                problem: "malformed",
                message: format!("{raw:?} is not an 8-digit CN code"),
            });
            continue;
        };
        match scope.classify(&cn) {
            ScopeStatus::NotListed => out.push(CodeProblem {
                code: raw.clone(),
                problem: "not_in_annex_i",
                message: format!(
                    "CN {} is not covered by Annex I of Regulation (EU) 2023/956",
                    cn.spaced()
                ),
            }),
            ScopeStatus::Excluded(e) => out.push(CodeProblem {
                code: raw.clone(),
                problem: "excluded",
                message: format!(
                    "CN {} is excluded from Annex I by the exception {} ({})",
                    cn.spaced(),
                    e.code,
                    e.description
                ),
            }),
            ScopeStatus::InScope(e) => {
                if let Some(c) = claimed {
                    if Sector::parse_ignore_case(c) != Some(e.sector) {
                        out.push(CodeProblem {
                            code: raw.clone(),
                            problem: "wrong_sector",
                            message: format!(
                                "CN {} is {} under Annex I ({}), not {c:?}",
                                cn.spaced(),
                                e.sector.as_str(),
                                e.description
                            ),
                        });
                    }
                }
            }
        }
    }
    out
}

/// Reads a CN code list: the production system's `cn_codes.json` (keys; `cbam_category` or
/// `product_group` as the claimed sector), a CSV with a `cn_code` column (and optional
/// `product_group`/`sector`), or plain text with one code per line.
pub fn read_list(path: &std::path::Path) -> crate::Result<Vec<(String, Option<String>)>> {
    use crate::error::Error;
    let (text, _) = crate::fsio::read_text(path)?;
    if crate::fsio::has_ext(path, "json") {
        let v: serde_json::Value =
            crate::formats::json_strict::from_str(&text).map_err(|e| Error::Parse {
                path: path.to_path_buf(),
                line: e.line() as u64,
                message: format!("not valid JSON: {e}"),
            })?;
        let obj = v.as_object().ok_or_else(|| Error::Data {
            path: path.to_path_buf(),
            message: "expected an object keyed by CN code".into(),
        })?;
        return Ok(obj
            .iter()
            .filter(|(k, _)| !k.starts_with('_'))
            .map(|(k, e)| {
                let claimed = e
                    .get("product_group")
                    .or_else(|| e.get("cbam_category"))
                    .and_then(|s| s.as_str())
                    .map(String::from);
                (k.clone(), claimed)
            })
            .collect());
    }
    if crate::fsio::has_ext(path, "csv") {
        let recs = crate::reference::csv::csv_records(path, &text, &["cn_code"])?;
        return Ok(recs
            .iter()
            .map(|r| {
                let claimed = [r.get("sector"), r.get("product_group")]
                    .into_iter()
                    .find(|s| !s.is_empty())
                    .map(String::from);
                (r.get("cn_code").to_string(), claimed)
            })
            .collect());
    }
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| (l.to_string(), None))
        .collect())
}

/// One shipment's code and how it classifies (`cn enrich --each`).
#[derive(Debug, Clone, Serialize)]
pub struct ShipmentClass {
    pub shipment_id: String,
    pub cn_code: String,
    pub status: String,
    pub sector: String,
}

/// How the CN codes of a shipments file classify.
#[derive(Debug, Clone, Default)]
pub struct Classification {
    pub rows: u64,
    /// Rows per (status, sector, code), in that order.
    pub by_code: std::collections::BTreeMap<(String, String, String), u64>,
    /// Every shipment, in file order, when asked for.
    pub shipments: Vec<ShipmentClass>,
}

impl Classification {
    /// Rows per status.
    pub fn by_status(&self) -> std::collections::BTreeMap<&str, u64> {
        let mut status = std::collections::BTreeMap::new();
        for ((s, _, _), n) in &self.by_code {
            *status.entry(s.as_str()).or_insert(0) += n;
        }
        status
    }
}

/// Classifies the CN code of every row of a shipments file against `scope` (rows with
/// problems too: only their code matters here); `each` keeps every shipment's line.
pub fn classify_shipments(
    path: &std::path::Path,
    scope: &AnnexScope,
    each: bool,
) -> crate::Result<Classification> {
    use crate::intake::Record;
    use crate::model::Col;
    let src = crate::intake::open_shipments(path, &Default::default())?;
    // No factors: the classification does not depend on them.
    let no_factors = FactorTable::User(Default::default());
    let mut c = Classification::default();
    let (by_code, shipments) = (&mut c.by_code, &mut c.shipments);
    for chunk in src.chunks(usize::MAX) {
        c.rows += src.parse_chunk(&chunk, |r| {
            let (Record::Row(row) | Record::Broken(row, _)) = &r;
            let l = lookup(row.get(Col::CnCode), scope, &no_factors);
            let code = l.cn_code.clone().unwrap_or_else(|| l.input.clone());
            let sector = l.sector.unwrap_or("").to_string();
            if each {
                shipments.push(ShipmentClass {
                    shipment_id: row.get(Col::ShipmentId).to_string(),
                    cn_code: code.clone(),
                    status: l.status.to_string(),
                    sector: sector.clone(),
                });
            }
            *by_code
                .entry((l.status.to_string(), sector, code))
                .or_insert(0) += 1;
        });
    }
    Ok(c)
}
