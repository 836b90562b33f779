//! The report's JSON Schema (`rules/report.schema.json`, embedded), checked before the rules:
//! structure and types. The report outside its lines is checked whole; each line against the
//! schema's `good` definition as it streams past.

use super::RuleFinding;
use crate::error::{Error, Result};
use crate::model::Severity;
use serde_json::Value;

pub use crate::embedded::REPORT_SCHEMA as SCHEMA;
pub use crate::reference::rules::SCHEMA_RULE_ID as RULE_ID;

pub struct ReportSchema {
    head: jsonschema::Validator,
    good: jsonschema::Validator,
}

impl ReportSchema {
    pub fn embedded() -> Result<ReportSchema> {
        let broken = |message: String| Error::Data {
            path: SCHEMA.0.into(),
            message,
        };
        let schema: Value = serde_json::from_str(SCHEMA.1).map_err(|e| broken(e.to_string()))?;
        let head = jsonschema::validator_for(&schema).map_err(|e| broken(e.to_string()))?;
        // The line schema: the same definitions, rooted at `good`.
        let mut good_schema = schema.clone();
        if let Some(o) = good_schema.as_object_mut() {
            o.retain(|k, _| k.starts_with('$'));
            o.insert("$ref".into(), Value::String("#/$defs/good".into()));
        }
        let good = jsonschema::validator_for(&good_schema).map_err(|e| broken(e.to_string()))?;
        Ok(ReportSchema { head, good })
    }

    pub fn check_head(&self, head: &Value) -> Vec<RuleFinding> {
        self.head
            .iter_errors(head)
            .map(|e| {
                finding(
                    String::new(),
                    &e.instance_path().to_string(),
                    &e.to_string(),
                    e.instance(),
                )
            })
            .collect()
    }

    pub fn check_line(&self, index: usize, line: &Value) -> Vec<RuleFinding> {
        if self.good.is_valid(line) {
            return Vec::new();
        }
        self.good
            .iter_errors(line)
            .map(|e| {
                finding(
                    format!("detailed_goods[{index}]"),
                    &e.instance_path().to_string(),
                    &e.to_string(),
                    e.instance(),
                )
            })
            .collect()
    }
}

/// `/a/3/b` (JSON pointer) under `prefix` → `prefix.a[3].b`.
fn dotted(prefix: String, pointer: &str) -> String {
    let mut out = prefix;
    for part in pointer.split('/').skip(1) {
        let part = part.replace("~1", "/").replace("~0", "~");
        if part.bytes().all(|b| b.is_ascii_digit()) && !part.is_empty() {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&part);
        }
    }
    if out.is_empty() {
        "(report)".into()
    } else {
        out
    }
}

fn finding(prefix: String, pointer: &str, message: &str, instance: &Value) -> RuleFinding {
    let path = dotted(prefix, pointer);
    RuleFinding {
        rule: RULE_ID.into(),
        name: "Report structure (JSON Schema)".into(),
        severity: Severity::Error,
        found: Some(crate::model::truncate_for_message(&instance.to_string())),
        expected: None,
        message: format!("{path}: {message}"),
        path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_become_paths() {
        assert_eq!(
            dotted(String::new(), "/goods_summary/total_shipments"),
            "goods_summary.total_shipments"
        );
        assert_eq!(
            dotted(
                "detailed_goods[4]".into(),
                "/emissions_calculation/total_emissions_tco2"
            ),
            "detailed_goods[4].emissions_calculation.total_emissions_tco2"
        );
        assert_eq!(dotted(String::new(), ""), "(report)");
    }

    #[test]
    fn schema_compiles_and_checks_types() {
        let s = ReportSchema::embedded().unwrap();
        let bad: Value = serde_json::from_str(r#"{"shipment_id": 5, "import_date": "2025-10-01", "cn_code": "72081000", "origin_iso": "CN", "net_mass_kg": "heavy", "emissions_calculation": {"calculation_method": "guess", "direct_emissions_tco2": 1, "indirect_emissions_tco2": 0, "total_emissions_tco2": 1}}"#).unwrap();
        let f = s.check_line(7, &bad);
        let paths: Vec<&str> = f.iter().map(|f| f.path.as_str()).collect();
        assert!(
            paths.contains(&"detailed_goods[7].shipment_id"),
            "{paths:?}"
        );
        assert!(
            paths.contains(&"detailed_goods[7].net_mass_kg"),
            "{paths:?}"
        );
        assert!(
            paths.contains(&"detailed_goods[7].emissions_calculation.calculation_method"),
            "{paths:?}"
        );
    }
}
