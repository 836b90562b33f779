//! `cbam validate`: every rule violated and satisfied, damaged reports, the production
//! system's report and rules file, broken rules files.

use super::*;
use serde_json::Value;

/// A clean report of ours (the fixture, pinned time), as JSON.
fn clean_report(dir: &Path) -> Value {
    let out = dir.join("clean.json");
    let o = run(report_cmd(
        &fixture("shipments_2025q4.csv"),
        &out,
        &["--suppliers", fixture("suppliers.yaml").to_str().unwrap()],
    ));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    json(&out)
}

fn validate_value(dir: &Path, name: &str, report: &Value, extra: &[&str]) -> (i32, Value) {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(report).unwrap()).unwrap();
    let mut c = cbam();
    c.args(["validate", "--format", "json", "--report"])
        .arg(&p)
        .args(extra);
    let o = run(c);
    let v: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("json output: {}", stderr(&o)));
    (code(&o), v)
}

fn errors(v: &Value) -> Vec<(String, String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            (
                f["rule"].as_str().unwrap().into(),
                f["path"].as_str().unwrap().into(),
                f["found"].as_str().unwrap_or("").into(),
            )
        })
        .collect()
}

/// A change made to a clean report so that one rule fires.
type Mutation = Box<dyn Fn(&mut Value)>;

fn rule_findings(v: &Value, rule: &str) -> usize {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .count()
}

#[test]
fn clean_report_is_valid() {
    let d = tmp();
    let r = clean_report(d.path());
    let (c, v) = validate_value(
        d.path(),
        "r.json",
        &r,
        &["--suppliers", fixture("suppliers.yaml").to_str().unwrap()],
    );
    assert_eq!(c, 0, "{v}");
    assert_eq!(errors(&v), vec![]);
    // Every rule ran (or said why not): per-rule counts are in the output.
    let statuses: Vec<&str> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses
            .iter()
            .all(|s| ["passed", "failed", "not_applicable"].contains(s)),
        "{statuses:?}"
    );
}

/// Damaged in one way each: exit 1 and exactly the one matching error, naming rule, path and value.
#[test]
fn damaged_reports_give_the_one_matching_finding() {
    let d = tmp();
    let clean = clean_report(d.path());
    type Damage = fn(&mut Value);
    let cases: Vec<(&str, Damage, &str, &str, &str)> = vec![
        (
            "bad EORI",
            |r| r["importer_declaration"]["importer_eori"] = "nl-123".into(),
            "VAL-050",
            "importer_declaration.importer_eori",
            "nl-123",
        ),
        (
            "negative emissions",
            |r| {
                // Keep every sum consistent so only the sign is wrong: a line whose indirect part
                // exceeds the direct one (aluminium) keeps a positive total.
                let k = r["detailed_goods"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .position(|g| g["shipment_id"] == "FX-2025Q4-0012")
                    .unwrap();
                let e = &mut r["detailed_goods"][k]["emissions_calculation"];
                let d: rust_decimal::Decimal =
                    e["direct_emissions_tco2"].to_string().parse().unwrap();
                let t: rust_decimal::Decimal =
                    e["total_emissions_tco2"].to_string().parse().unwrap();
                e["direct_emissions_tco2"] =
                    serde_json::Value::Number((-d).to_string().parse().unwrap());
                e["total_emissions_tco2"] =
                    serde_json::Value::Number((t - d - d).to_string().parse().unwrap());
                for k in [
                    "total_direct_emissions_tco2",
                    "total_embedded_emissions_tco2",
                ] {
                    let s: rust_decimal::Decimal =
                        r["emissions_summary"][k].to_string().parse().unwrap();
                    r["emissions_summary"][k] =
                        serde_json::Value::Number((s - d - d).to_string().parse().unwrap());
                }
            },
            "VAL-010.direct",
            "detailed_goods[11].emissions_calculation.direct_emissions_tco2",
            "-12.791",
        ),
        (
            "mismatched totals",
            |r| {
                r["emissions_summary"]["total_embedded_emissions_tco2"] =
                    serde_json::Value::Number("979.62".parse().unwrap())
            },
            "VAL-042",
            "emissions_summary.total_embedded_emissions_tco2",
            "979.62",
        ),
        (
            "duplicate shipment",
            |r| {
                let id = r["detailed_goods"][0]["shipment_id"].clone();
                r["detailed_goods"][1]["shipment_id"] = id;
            },
            "CBAM-061",
            "detailed_goods[1].shipment_id",
            "FX-2025Q4-0001",
        ),
        (
            "excluded CN code (scrap 7204)",
            |r| r["detailed_goods"][0]["cn_code"] = "72044900".into(),
            "VAL-002.annex-i",
            "detailed_goods[0].cn_code",
            "72044900",
        ),
        (
            "exempt origin (CH)",
            |r| r["detailed_goods"][0]["origin_iso"] = "CH".into(),
            "CBAM-060",
            "detailed_goods[0].origin_iso",
            "CH",
        ),
    ];
    for (what, damage, rule, path, found) in cases {
        let mut r = clean.clone();
        damage(&mut r);
        let (c, v) = validate_value(d.path(), "damaged.json", &r, &[]);
        assert_eq!(c, 1, "{what}");
        assert_eq!(
            errors(&v),
            vec![(rule.to_string(), path.to_string(), found.to_string())],
            "{what}"
        );
    }
}

/// Each rule: a report that violates it and one that does not.
#[test]
fn every_rule_has_a_violation_and_a_pass() {
    let d = tmp();
    let clean = clean_report(d.path());
    type Damage = fn(&mut Value);
    let set = |p: &str, v: Value| -> Mutation {
        let p = p.to_string();
        Box::new(move |r: &mut Value| *r.pointer_mut(&p).unwrap() = v.clone())
    };
    let num = |s: &str| Value::Number(s.parse().unwrap());
    let cases: Vec<(&str, Mutation)> = vec![
        // The JSON Schema (structure and types), checked before the rules.
        (
            "SCHEMA",
            set("/detailed_goods/0/net_mass_kg", "heavy".into()),
        ),
        (
            "VAL-040",
            Box::new(|r: &mut Value| {
                r.as_object_mut().unwrap().remove("emissions_summary");
            }),
        ),
        (
            "VAL-040.lines",
            Box::new(|r: &mut Value| {
                r.as_object_mut().unwrap().remove("detailed_goods");
            }),
        ),
        (
            "VAL-001",
            Box::new(|r: &mut Value| {
                r["importer_declaration"]
                    .as_object_mut()
                    .unwrap()
                    .remove("declarant_name");
            }),
        ),
        (
            "VAL-002",
            set("/detailed_goods/0/cn_code", "7208100".into()),
        ),
        (
            "VAL-002.annex-i",
            set("/detailed_goods/0/cn_code", "76020000".into()),
        ),
        ("VAL-003", set("/report_metadata/quarter", "2025-Q4".into())),
        (
            "VAL-003.transitional",
            set("/report_metadata/quarter", "2026Q1".into()),
        ),
        ("VAL-004", set("/detailed_goods/0/net_mass_kg", num("0"))),
        (
            "VAL-005",
            set("/detailed_goods/0/import_date", "2025-07-01".into()),
        ),
        (
            "VAL-010.direct",
            set(
                "/detailed_goods/0/emissions_calculation/direct_emissions_tco2",
                num("-1"),
            ),
        ),
        (
            "VAL-010.indirect",
            set(
                "/detailed_goods/0/emissions_calculation/indirect_emissions_tco2",
                num("-1"),
            ),
        ),
        (
            "VAL-010.total",
            set(
                "/detailed_goods/0/emissions_calculation/total_emissions_tco2",
                num("-1"),
            ),
        ),
        (
            "VAL-011",
            set(
                "/detailed_goods/0/emissions_calculation/total_emissions_tco2",
                num("1000"),
            ),
        ),
        ("VAL-041", set("/goods_summary/total_mass_tonnes", num("1"))),
        (
            "VAL-042",
            set("/emissions_summary/total_embedded_emissions_tco2", num("1")),
        ),
        (
            "VAL-042.direct",
            set("/emissions_summary/total_direct_emissions_tco2", num("1")),
        ),
        (
            "VAL-042.indirect",
            set("/emissions_summary/total_indirect_emissions_tco2", num("1")),
        ),
        (
            "VAL-050",
            set("/importer_declaration/importer_eori", "123".into()),
        ),
        (
            "VAL-051",
            set("/importer_declaration/importer_country", "US".into()),
        ),
        ("CBAM-060", set("/detailed_goods/0/origin_iso", "NL".into())),
        (
            "CBAM-061",
            Box::new(|r: &mut Value| {
                r["detailed_goods"][2]["shipment_id"] =
                    r["detailed_goods"][1]["shipment_id"].clone()
            }),
        ),
        // FX-2025Q4-0004 is on SUP-FX-01's per-CN actuals; make the code one it does not produce.
        (
            "VAL-032",
            Box::new(|r: &mut Value| {
                for g in r["detailed_goods"].as_array_mut().unwrap() {
                    if g["shipment_id"] == "FX-2025Q4-0004" {
                        g["cn_code"] = "25232900".into();
                    }
                }
            }),
        ),
        // Same line, imported as if in 2027: its 2024 data is then more than two years old.
        (
            "VAL-031",
            Box::new(|r: &mut Value| {
                for g in r["detailed_goods"].as_array_mut().unwrap() {
                    if g["shipment_id"] == "FX-2025Q4-0004" {
                        g["import_date"] = "2027-01-05".into();
                    }
                }
            }),
        ),
    ];
    let sup = fixture("suppliers.yaml");
    let sup = sup.to_str().unwrap();
    for (rule, damage) in cases {
        let (c0, v0) = validate_value(
            d.path(),
            "ok.json",
            &clean,
            &["--suppliers", sup, "--only", rule],
        );
        assert_eq!(
            (c0, rule_findings(&v0, rule)),
            (0, 0),
            "{rule} passes on the clean report"
        );
        let mut r = clean.clone();
        damage(&mut r);
        let (_, v) = validate_value(
            d.path(),
            "bad.json",
            &r,
            &["--suppliers", sup, "--only", rule],
        );
        assert!(rule_findings(&v, rule) >= 1, "{rule} fires: {v}");
        let f = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule)
            .unwrap();
        assert!(
            f["path"].as_str().is_some_and(|p| !p.is_empty()) && f["message"].is_string(),
            "{f}"
        );
    }
    let _: Option<Damage> = None;

    // CBAM-070 (default values ≤ 20 % of emissions, by emissions): the fixture is 87 % defaults.
    let (_, v) = validate_value(d.path(), "r.json", &clean, &["--only", "CBAM-070"]);
    let f = &v["findings"][0];
    assert_eq!(
        (
            f["rule"].as_str(),
            f["severity"].as_str(),
            f["found"].as_str()
        ),
        (Some("CBAM-070"), Some("warning"), Some("87.43%"))
    );
    let mut all_actual = clean.clone();
    for g in all_actual["detailed_goods"].as_array_mut().unwrap() {
        g["emissions_calculation"]["calculation_method"] = "actual_data".into();
    }
    let (_, v) = validate_value(d.path(), "r.json", &all_actual, &["--only", "CBAM-070"]);
    assert_eq!(rule_findings(&v, "CBAM-070"), 0);

    // CBAM-080 (de minimis) applies to definitive-period reports only.
    let (_, v) = validate_value(d.path(), "r.json", &clean, &["--only", "CBAM-080"]);
    assert_eq!(v["rules"][0]["status"], "not_applicable");
    let mut def = clean.clone();
    def["report_metadata"]["period_type"] = "definitive".into();
    let (_, v) = validate_value(d.path(), "r.json", &def, &["--only", "CBAM-080"]);
    let f = &v["findings"][0];
    assert_eq!(f["severity"], "info");
    assert!(
        f["message"].as_str().unwrap().contains("above the 50 t"),
        "{f}"
    );
}

#[test]
fn production_report_reads_with_nan_and_shows_its_defects() {
    let p = fixture("greenlang/report_v1_2025q4.json");
    let mut c = cbam();
    c.args(["validate", "--format", "json", "--report"])
        .arg(&p)
        .args(["--suppliers", fixture("suppliers.yaml").to_str().unwrap()]);
    let o = run(c);
    assert_eq!(code(&o), 1);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["non_json_numbers_read_as_null"], 11);
    // It calculated ferrous scrap, and applied SUP-FX-03's actuals to a code it does not make.
    assert_eq!(
        errors(&v),
        vec![
            (
                "VAL-002.annex-i".into(),
                "detailed_goods[14].cn_code".into(),
                "72044900".into()
            ),
            (
                "VAL-032".into(),
                "detailed_goods[2].cn_code".into(),
                "25232100".into()
            ),
        ]
    );
}

#[test]
fn table_output_and_only_skip() {
    let p = fixture("greenlang/report_v1_2025q4.json");
    let mut c = cbam();
    c.args(["validate", "--report"]).arg(&p);
    let o = run(c);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(code(&o), 1);
    assert!(
        out.contains("VAL-002.annex-i")
            && out.contains("detailed_goods[14].cn_code")
            && out.contains("NOT valid"),
        "{out}"
    );
    let mut c = cbam();
    c.args(["validate", "--skip", "VAL-002.annex-i", "--report"])
        .arg(&p);
    assert_eq!(code(&run(c)), 0);
    let mut c = cbam();
    c.args(["validate", "--only", "NO-SUCH-RULE", "--report"])
        .arg(&p);
    let o = run(c);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("NO-SUCH-RULE"));
}

#[cfg(feature = "shared-reference")]
#[test]
fn production_rules_file_loads_and_says_what_it_cannot_run() {
    let mut c = cbam();
    c.args(["validate", "--format", "json", "--report"])
        .arg(fixture("greenlang/report_v1_2025q4.json"))
        .arg("--rules")
        .arg(root().join("../shared/reference/greenlang/cbam_rules.yaml"));
    let o = run(c);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    assert_eq!(v["rules_format"], "production");
    let not_run: Vec<&str> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "not_run")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for id in ["VAL-012", "VAL-020", "VAL-021", "VAL-022", "VAL-030"] {
        assert!(not_run.contains(&id), "{id} listed as not run: {not_run:?}");
    }
    // Its VAL-041 tolerance (0.001) and VAL-031 severity (info) are used.
    assert!(v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == "VAL-031" && r["severity"] == "info"));
    assert_eq!(code(&o), 1, "the scrap line is still an error");
}

#[test]
fn broken_rules_files_name_the_rule_and_line() {
    let d = tmp();
    let report = fixture("greenlang/report_v1_2025q4.json");
    let base = "rules:\n  - id: OK-1\n    name: fine\n    severity: error\n    regulation: x\n    check: required\n    path: report_metadata\n";
    for (what, rule, needle) in [
        ("unknown check", "  - id: BAD-1\n    name: n\n    severity: error\n    regulation: x\n    check: looks_fine\n    path: a.b\n", "unknown check"),
        ("bad regex", "  - id: BAD-1\n    name: n\n    severity: error\n    regulation: x\n    check: pattern\n    path: a.b\n    pattern: '^[A-Z'\n", "not a valid regular expression"),
        ("missing parameter", "  - id: BAD-1\n    name: n\n    severity: error\n    regulation: x\n    check: pattern\n    path: a.b\n", "needs `pattern`"),
        ("bad path", "  - id: BAD-1\n    name: n\n    severity: error\n    regulation: x\n    check: required\n    path: a..b\n", "path"),
    ] {
        let p = d.path().join("rules.yaml");
        std::fs::write(&p, format!("{base}{rule}")).unwrap();
        let mut c = cbam();
        c.args(["validate", "--report"]).arg(&report).arg("--rules").arg(&p);
        let o = run(c);
        let err = stderr(&o);
        assert_eq!(code(&o), 2, "{what}: {err}");
        assert!(err.contains("rule BAD-1") && err.contains("line 8") && err.contains(needle), "{what}: {err}");
    }
    // A missing required field is a load error too (serde names it, with its position).
    let p = d.path().join("rules.yaml");
    std::fs::write(
        &p,
        "rules:\n  - id: BAD-2\n    name: n\n    check: required\n    path: a\n",
    )
    .unwrap();
    let mut c = cbam();
    c.args(["validate", "--report"])
        .arg(&report)
        .arg("--rules")
        .arg(&p);
    let o = run(c);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains("rule BAD-2") && err.contains("line 5") && err.contains("severity"),
        "{err}"
    );
}

/// The per-row lists of `validation_results` are skipped, not built into the head: a report
/// with 300,000 findings validates in little memory (peak allocated, `CBAM_TRACE`), and says
/// what the same report without them says.
#[test]
fn findings_lists_are_not_held_when_validating() {
    let d = tmp();
    let clean = clean_report(d.path());
    let (code0, v0) = validate_value(d.path(), "clean.json", &clean, &[]);
    let mut heavy = clean.clone();
    let finding = serde_json::json!({"code": "IN001", "severity": "error", "row": 1, "line": 2,
        "field": "cn_code", "message": "required field cn_code is empty"});
    heavy["validation_results"]["errors"] = Value::Array(vec![finding; 300_000]);
    let p = d.path().join("heavy.json");
    std::fs::write(&p, serde_json::to_vec(&heavy).unwrap()).unwrap();
    let mut c = cbam();
    c.env("CBAM_TRACE", "1")
        .args(["validate", "--format", "json", "--report"])
        .arg(&p);
    let o = run(c);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(code(&o), code0);
    assert!(v["findings"].is_array() && v["rules"].is_array());
    assert_eq!(v["findings"], v0["findings"]);
    assert_eq!(v["rules"], v0["rules"]);
    let kb: u64 = stderr(&o)
        .lines()
        .find_map(|l| l.strip_prefix("cbam: trace: peak allocated "))
        .and_then(|v| v.trim_end_matches(" kB").parse().ok())
        .expect("peak allocated in the trace");
    let size_kb = std::fs::metadata(&p).unwrap().len() / 1024;
    assert!(
        kb < size_kb / 2,
        "peak allocated {kb} kB for a {size_kb} kB report"
    );
}
