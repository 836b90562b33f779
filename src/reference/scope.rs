//! Annex I scope: which CN codes are CBAM goods. Longest-prefix rules (chapter, heading,
//! subheading, 8-digit line), with explicit exceptions, so any 8-digit code is classified even
//! when no table lists it.

use super::csv::csv_records;
use crate::error::{Error, Result};
use crate::model::{CnCode, ScopeEntryRef, ScopeStatus, Sector};
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Clone)]
pub struct ScopeRule {
    pub code: String,
    pub include: bool,
    pub entry: std::sync::Arc<ScopeEntryRef>,
}

#[derive(Debug, Clone, Default)]
pub struct AnnexScope {
    /// Rules by prefix; classification tries prefixes from 8 digits down to 2.
    by_code: HashMap<String, ScopeRule>,
    /// `true` when built from a plain code list (the production system's cn_codes.json):
    /// then only listed 8-digit codes are in scope.
    pub exact_list: bool,
}

impl AnnexScope {
    pub fn len(&self) -> usize {
        self.by_code.len()
    }
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    pub fn classify(&self, cn: &CnCode) -> ScopeStatus {
        let s = cn.as_str();
        for n in (2..=8).rev() {
            if let Some(rule) = self.by_code.get(&s[..n]) {
                return if rule.include {
                    ScopeStatus::InScope(rule.entry.clone())
                } else {
                    ScopeStatus::Excluded(rule.entry.clone())
                };
            }
        }
        ScopeStatus::NotListed
    }

    /// `code,kind,sector,gases,annex_ii,description,source` (data/annex_i_scope.csv).
    pub fn from_csv(path: &Path, text: &str) -> Result<AnnexScope> {
        let mut by_code = HashMap::new();
        for rec in csv_records(
            path,
            text,
            &["code", "kind", "sector", "gases", "annex_ii", "description"],
        )? {
            let code = rec.get("code");
            if code.is_empty() || code.len() > 8 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(rec.bad("code", "2 to 8 digits", code));
            }
            let include = match rec.get("kind") {
                "include" => true,
                "exclude" => false,
                other => return Err(rec.bad("kind", "include or exclude", other)),
            };
            let sector = Sector::parse(rec.get("sector"))
                .ok_or_else(|| rec.bad("sector", "a CBAM sector", rec.get("sector")))?;
            let annex_ii = match rec.get("annex_ii") {
                "true" => true,
                "false" => false,
                other => return Err(rec.bad("annex_ii", "true or false", other)),
            };
            let rule = ScopeRule {
                code: code.to_string(),
                include,
                entry: std::sync::Arc::new(ScopeEntryRef {
                    code: code.to_string(),
                    sector,
                    gases: rec.get("gases").to_string(),
                    annex_ii,
                    description: rec.get("description").to_string(),
                }),
            };
            if by_code.insert(code.to_string(), rule).is_some() {
                return Err(rec.bad("code", "each code once", code));
            }
        }
        Ok(AnnexScope {
            by_code,
            exact_list: false,
        })
    }

    /// The production system's `cn_codes.json`: `{ "_metadata": {...}, "25231000": {product_group, description, ...} }`.
    /// Only the listed codes are in scope; sectors come from `product_group`/`cbam_category`.
    pub fn from_cn_codes_json(path: &Path, text: &str) -> Result<AnnexScope> {
        let v: serde_json::Value =
            crate::formats::json_strict::from_str(text).map_err(|e| Error::Parse {
                path: path.to_path_buf(),
                line: e.line() as u64,
                message: format!("not valid JSON: {e}"),
            })?;
        let obj = v.as_object().ok_or_else(|| Error::Data {
            path: path.to_path_buf(),
            message: "expected a JSON object keyed by 8-digit CN code".into(),
        })?;
        let mut by_code = HashMap::new();
        for (k, entry) in obj {
            if k.starts_with('_') {
                continue;
            }
            let cn = CnCode::normalise(k).ok_or_else(|| Error::Data {
                path: path.to_path_buf(),
                message: format!("key {k:?}: expected an 8-digit CN code"),
            })?;
            let group = entry
                .get("cbam_category")
                .and_then(|g| g.as_str())
                .and_then(Sector::parse)
                .or_else(|| {
                    entry
                        .get("product_group")
                        .and_then(|g| g.as_str())
                        .and_then(Sector::parse)
                })
                .ok_or_else(|| Error::Data {
                    path: path.to_path_buf(),
                    message: format!("code {k}: field product_group: expected a CBAM sector"),
                })?;
            let description = entry
                .get("description")
                .and_then(|d| d.as_str())
                .unwrap_or("")
                .to_string();
            let rule = ScopeRule {
                code: cn.as_str().to_string(),
                include: true,
                entry: std::sync::Arc::new(ScopeEntryRef {
                    code: cn.as_str().to_string(),
                    sector: group,
                    gases: "CO2".into(),
                    annex_ii: matches!(
                        group,
                        Sector::IronSteel
                            | Sector::Aluminium
                            | Sector::Hydrogen
                            | Sector::Electricity
                    ),
                    description,
                }),
            };
            by_code.insert(cn.as_str().to_string(), rule);
        }
        Ok(AnnexScope {
            by_code,
            exact_list: true,
        })
    }
}
