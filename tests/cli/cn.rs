//! `cbam cn`: lookup, code-list validation, shipments classification.

use super::*;
use serde_json::Value;

fn cn_json(args: &[&str]) -> (i32, Value) {
    let mut c = cbam();
    c.args(["cn", "--format", "json"]).args(args);
    let o = run(c);
    (
        code(&o),
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o))),
    )
}

#[test]
fn lookup_classifies_and_gives_default_values() {
    let (c, v) = cn_json(&[
        "lookup",
        "7208 10 00",
        "72044900",
        "2716.00.00",
        "31056000",
        "85011000",
    ]);
    assert_eq!(c, 0);
    let st: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        st,
        ["in_scope", "excluded", "in_scope", "excluded", "not_listed"]
    );
    let steel = &v[0];
    assert_eq!(
        (steel["cn_code"].as_str(), steel["sector"].as_str()),
        (Some("72081000"), Some("iron_steel"))
    );
    assert_eq!(steel["indirect_counted_definitive"], false, "Annex II");
    assert_eq!(steel["default_values"][0]["total"], "2.28");
    assert_eq!(v[2]["sector"], "electricity");
    let (c, _) = cn_json(&["lookup", "7208100"]);
    assert_eq!(c, 2, "a malformed code is a usage error");
}

#[test]
fn validate_a_code_list() {
    let d = tmp();
    let p = d.path().join("codes.csv");
    std::fs::write(&p, "cn_code,product_group\n72081000,steel\n72044900,steel\n76020000,aluminum\n25231000,steel\n7208,steel\n").unwrap();
    let (c, v) = cn_json(&["validate", p.to_str().unwrap()]);
    assert_eq!(c, 1);
    let got: Vec<(String, String)> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["code"].as_str().unwrap().into(),
                p["problem"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("72044900", "excluded"),
            ("76020000", "excluded"),
            ("25231000", "wrong_sector"),
            ("7208", "malformed")
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect::<Vec<_>>()
    );
}

#[test]
fn enrich_counts_a_shipments_file() {
    let (c, v) = cn_json(&[
        "enrich",
        "--shipments",
        fixture("shipments_2025q4.csv").to_str().unwrap(),
    ]);
    assert_eq!(c, 0);
    assert_eq!(v["rows"], 24);
    assert_eq!(v["by_status"]["in_scope"], 23);
    assert_eq!(v["by_status"]["excluded"], 1);
    let (_, v) = cn_json(&[
        "enrich",
        "--each",
        "--shipments",
        fixture("shipments_2025q4.csv").to_str().unwrap(),
    ]);
    let s = v["shipments"].as_array().unwrap();
    assert_eq!(s.len(), 24);
    let scrap = s
        .iter()
        .find(|x| x["shipment_id"] == "FX-2025Q4-0021")
        .unwrap();
    assert_eq!(
        (scrap["cn_code"].as_str(), scrap["status"].as_str()),
        (Some("72044900"), Some("excluded"))
    );
}

#[cfg(feature = "shared-reference")]
#[test]
fn the_production_cn_table_has_scope_errors() {
    let p = root().join("../shared/reference/greenlang/cn_codes.json");
    let (c, v) = cn_json(&["validate", p.to_str().unwrap()]);
    assert_eq!(c, 1);
    let got: Vec<(String, String)> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["code"].as_str().unwrap().into(),
                p["problem"].as_str().unwrap().into(),
            )
        })
        .collect();
    for (code, problem) in [
        ("72044100", "excluded"),
        ("72044900", "excluded"),
        ("76020000", "excluded"),
        ("27160000", "wrong_sector"),
    ] {
        assert!(
            got.contains(&(code.to_string(), problem.to_string())),
            "{code} {problem}: {got:?}"
        );
    }
    let m = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "27160000")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(m.contains("electricity") && m.contains("hydrogen"), "{m}");
}
