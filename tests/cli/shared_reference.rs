//! Against the production system's own demo data in ../shared/reference (feature
//! `shared-reference`, turned on by .ci/run).

use super::*;

fn shared(p: &str) -> PathBuf {
    root().join("../shared/reference").join(p)
}

fn demo_report(dir: &Path, extra: &[&str]) -> (Output, serde_json::Value) {
    let out = dir.join("demo.json");
    let sup = shared("greenlang/demo_suppliers.yaml");
    let mut args = vec!["--suppliers", sup.to_str().unwrap()];
    args.extend(extra);
    let mut c = cbam();
    c.arg("report")
        .arg("--input")
        .arg(shared("greenlang/demo_shipments.csv"))
        .arg("--output")
        .arg(&out);
    c.args([
        "--importer-name",
        "Acme Steel EU BV",
        "--importer-country",
        "NL",
        "--importer-eori",
        "NL123456789012",
    ]);
    c.args([
        "--declarant-name",
        "John Smith",
        "--declarant-position",
        "Compliance Officer",
        "--generated-at",
        "2026-01-15",
    ]);
    c.args(&args);
    let o = run(c);
    (o, json(&out))
}

#[test]
fn reproduces_production_totals_with_its_factors_and_policy() {
    let d = tmp();
    let (o, r) = demo_report(
        d.path(),
        &[
            "--rules",
            root().join("rules/greenlang_compat.yaml").to_str().unwrap(),
            "--emission-factors",
            fixture("greenlang/emission_factors.py").to_str().unwrap(),
        ],
    );
    // The numbers are the production system's; the rules still say where it goes wrong:
    // ferrous scrap calculated as a CBAM good, supplier actuals on codes they do not produce.
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let errors: std::collections::BTreeSet<String> = r["validation_results"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        errors,
        ["VAL-002.annex-i", "VAL-032"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    let e = &r["emissions_summary"];
    assert_eq!(e["total_embedded_emissions_tco2"].to_string(), "663.91");
    assert_eq!(e["total_direct_emissions_tco2"].to_string(), "408.70");
    assert_eq!(e["total_indirect_emissions_tco2"].to_string(), "255.21");
    assert_eq!(e["calculation_methods_used"]["actual_data_count"], 6);
    assert_eq!(e["calculation_methods_used"]["default_values_count"], 14);
    assert_eq!(
        r["goods_summary"]["total_mass_tonnes"].to_string(),
        "258.340"
    );
    // Row 00002 is the production system's W002 case: d 35.897 + i 2.930 = 38.827, not 38.828.
    let row2 = r["detailed_goods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["shipment_id"] == "DEMO-2025Q4-00002")
        .unwrap();
    assert_eq!(
        row2["emissions_calculation"]["total_emissions_tco2"].to_string(),
        "38.827"
    );
}

#[test]
fn default_policy_accounts_for_all_rows_and_says_where_it_departs() {
    let d = tmp();
    let (o, r) = demo_report(d.path(), &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let rows = &r["goods_summary"]["rows"];
    assert_eq!(rows["read"], 20);
    assert_eq!(
        rows["calculated"].as_u64().unwrap()
            + rows["rejected"].as_u64().unwrap()
            + rows["out_of_scope"].as_u64().unwrap(),
        20
    );
    assert_eq!(
        rows["out_of_scope"], 2,
        "72044900 ferrous scrap is not a CBAM good"
    );
    let goods = r["detailed_goods"].as_array().unwrap();
    let by = |id: &str| {
        goods.iter().find(|g| g["shipment_id"] == id).unwrap()["emissions_calculation"].clone()
    };
    // Steel actuals are not applied to cement.
    let c = by("DEMO-2025Q4-00002");
    assert_eq!(c["calculation_method"], "default_values");
    assert!(c["departures_from_production_system"][0]
        .as_str()
        .unwrap()
        .contains("SUP-0001"));
    // Every default line says it uses EU values instead of the demo factors.
    for g in goods {
        let e = &g["emissions_calculation"];
        if e["calculation_method"] == "default_values" {
            assert!(e["departures_from_production_system"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x
                    .as_str()
                    .unwrap()
                    .contains("not the production system's demo factor table")));
        }
    }
    // Two lines on supplier actuals: SUP-0007 (2023) and SUP-0010 (2023); SUP-0013's 2022 data is stale.
    assert_eq!(
        r["emissions_summary"]["calculation_methods_used"]["actual_data_count"],
        2
    );
}

#[test]
fn production_rules_file_and_cn_codes_load() {
    let d = tmp();
    let (o, r) = demo_report(
        d.path(),
        &[
            "--rules",
            shared("greenlang/cbam_rules.yaml").to_str().unwrap(),
            "--cn-codes",
            shared("greenlang/cn_codes.json").to_str().unwrap(),
        ],
    );
    assert!(code(&o) <= 1, "{}", stderr(&o));
    assert_eq!(r["provenance"]["policy"]["rounding"]["line_decimals"], 3);
    let roles: Vec<&str> = r["provenance"]["reference_data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["role"].as_str().unwrap())
        .collect();
    assert!(roles.contains(&"cn_codes") && roles.contains(&"rules"));
}
