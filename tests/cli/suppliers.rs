//! `cbam suppliers audit`.

use super::*;
use serde_json::Value;

fn audit(args: &[&str]) -> (i32, Value) {
    let mut c = cbam();
    c.args([
        "suppliers",
        "audit",
        "--format",
        "json",
        "--today",
        "2025-12-31",
    ])
    .args(args);
    let o = run(c);
    (
        code(&o),
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o))),
    )
}

fn checks(v: &Value) -> Vec<(String, String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["supplier_id"].as_str().unwrap().into(),
                f["check"].as_str().unwrap().into(),
                f["shipment_id"].as_str().unwrap_or("").into(),
            )
        })
        .collect()
}

#[test]
fn fixture_suppliers_against_their_shipments() {
    let (c, v) = audit(&[
        "--suppliers",
        fixture("suppliers.yaml").to_str().unwrap(),
        "--shipments",
        fixture("shipments_2025q4.csv").to_str().unwrap(),
    ]);
    assert_eq!(
        c, 1,
        "a shipment relies on a supplier for a code it does not produce"
    );
    let got = checks(&v);
    assert!(
        got.contains(&(
            "SUP-FX-03".into(),
            "not_produced".into(),
            "FX-2025Q4-0003".into()
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&("SUP-FX-04".into(), "stale".into(), "".into())),
        "{got:?}"
    );
    assert!(
        got.contains(&("SUP-FX-99".into(), "unknown_supplier".into(), "".into())),
        "{got:?}"
    );
    let s = v["suppliers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["supplier_id"] == "SUP-FX-01")
        .unwrap();
    assert_eq!(
        s["cn_codes_shipped"],
        serde_json::json!(["72081000", "72104900"])
    );
    // Without shipments: profile checks only, no error.
    let (c, _) = audit(&["--suppliers", fixture("suppliers.yaml").to_str().unwrap()]);
    assert_eq!(c, 0);
}

#[test]
fn inconsistent_totals_are_errors() {
    let d = tmp();
    let p = d.path().join("s.yaml");
    std::fs::write(
        &p,
        "suppliers:\n  - supplier_id: S-1\n    company_name: X\n    country_iso: CN\n    cn_codes_produced: ['72081000']\n    actual_emissions_data:\n      direct_emissions_tco2_per_ton: 1.5\n      indirect_emissions_tco2_per_ton: 0.2\n      total_emissions_tco2_per_ton: 1.9\n      reporting_year: 2025\n      verified: true\n",
    )
    .unwrap();
    let (c, v) = audit(&["--suppliers", p.to_str().unwrap()]);
    assert_eq!(c, 1);
    assert_eq!(
        checks(&v),
        vec![(
            "S-1".to_string(),
            "total_mismatch".to_string(),
            String::new()
        )]
    );
}

#[cfg(feature = "shared-reference")]
#[test]
fn demo_suppliers_flag_shipments_on_codes_they_do_not_make() {
    let r = root().join("../shared/reference/greenlang");
    let (c, v) = audit(&[
        "--suppliers",
        r.join("demo_suppliers.yaml").to_str().unwrap(),
        "--shipments",
        r.join("demo_shipments.csv").to_str().unwrap(),
    ]);
    assert_eq!(c, 1);
    let got = checks(&v);
    for (sup, ship) in [
        ("SUP-0001", "DEMO-2025Q4-00002"),
        ("SUP-0011", "DEMO-2025Q4-00010"),
        ("SUP-0011", "DEMO-2025Q4-00020"),
    ] {
        assert!(
            got.contains(&(sup.into(), "not_produced".into(), ship.into())),
            "{sup} {ship}: {got:?}"
        );
    }
}
