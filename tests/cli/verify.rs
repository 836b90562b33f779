//! `cbam verify`: identical, within and outside tolerance, reordered, truncated, other layouts.

use super::*;
use serde_json::Value;

fn verify(args: &[&str]) -> (i32, Value) {
    let mut c = cbam();
    c.args(["verify", "--format", "json"]).args(args);
    let o = run(c);
    (
        code(&o),
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o))),
    )
}

fn base(dir: &Path) -> (PathBuf, Value) {
    let out = dir.join("base.json");
    assert_eq!(
        code(&run(report_cmd(
            &fixture("shipments_2025q4.csv"),
            &out,
            &[]
        ))),
        0
    );
    let v = json(&out);
    (out, v)
}

fn write(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec(v).unwrap()).unwrap();
    p
}

#[test]
fn identical_and_recomputed_match() {
    let d = tmp();
    let (b, _) = base(d.path());
    let (c, v) = verify(&[
        "--actual",
        b.to_str().unwrap(),
        "--expected",
        b.to_str().unwrap(),
    ]);
    assert_eq!(
        (c, v["ok"].as_bool(), v["shipments_compared"].as_u64()),
        (0, Some(true), Some(23))
    );
    // The runbook's form: calculate the sample shipments, compare with the expected results.
    let (c, _) = verify(&[
        "--sample-shipments",
        fixture("shipments_2025q4.csv").to_str().unwrap(),
        "--expected-results",
        b.to_str().unwrap(),
    ]);
    assert_eq!(c, 0);
}

#[test]
fn tolerance_decides() {
    let d = tmp();
    let (b, mut v) = base(d.path());
    let e = &mut v["detailed_goods"][0]["emissions_calculation"]["total_emissions_tco2"];
    let t: rust_decimal::Decimal = e.to_string().parse().unwrap();
    *e = Value::Number(
        (t + rust_decimal::Decimal::new(5, 4))
            .to_string()
            .parse()
            .unwrap(),
    );
    let a = write(d.path(), "a.json", &v);
    // 0.0005 apart: inside the default 0.001.
    assert_eq!(
        verify(&[
            "--actual",
            a.to_str().unwrap(),
            "--expected",
            b.to_str().unwrap()
        ])
        .0,
        0
    );
    // Outside 0.0001: the shipment, its sector, its origin and the total are named.
    let (c, out) = verify(&[
        "--actual",
        a.to_str().unwrap(),
        "--expected",
        b.to_str().unwrap(),
        "--tolerance",
        "0.0001",
    ]);
    assert_eq!(c, 1);
    let bad: Vec<String> = out["deviations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["within_tolerance"] == false)
        .map(|d| d["level"].as_str().unwrap().to_string())
        .collect();
    assert!(
        bad.contains(&"shipment".to_string()) && bad.contains(&"total".to_string()),
        "{bad:?}"
    );
    // A relative tolerance of 1 % covers it.
    assert_eq!(
        verify(&[
            "--actual",
            a.to_str().unwrap(),
            "--expected",
            b.to_str().unwrap(),
            "--tolerance",
            "0",
            "--relative",
            "0.01"
        ])
        .0,
        0
    );
}

#[test]
fn reordered_and_truncated() {
    let d = tmp();
    let (b, v) = base(d.path());
    let mut r = v.clone();
    r["detailed_goods"].as_array_mut().unwrap().reverse();
    let a = write(d.path(), "rev.json", &r);
    assert_eq!(
        verify(&[
            "--actual",
            a.to_str().unwrap(),
            "--expected",
            b.to_str().unwrap()
        ])
        .0,
        0,
        "order does not matter"
    );
    let mut t = v.clone();
    let gone = t["detailed_goods"].as_array_mut().unwrap().pop().unwrap();
    let a = write(d.path(), "trunc.json", &t);
    let (c, out) = verify(&[
        "--actual",
        a.to_str().unwrap(),
        "--expected",
        b.to_str().unwrap(),
    ]);
    assert_eq!(c, 1);
    assert_eq!(out["missing_in_actual"][0], gone["shipment_id"]);
    let (c, out) = verify(&[
        "--actual",
        b.to_str().unwrap(),
        "--expected",
        a.to_str().unwrap(),
    ]);
    assert_eq!(c, 1);
    assert_eq!(out["extra_in_actual"][0], gone["shipment_id"]);
}

#[test]
fn baselines_csv_and_production_layout() {
    let d = tmp();
    let (b, v) = base(d.path());
    // Baseline JSON {shipment_id: {direct, indirect, total}}.
    let mut baseline = serde_json::Map::new();
    for g in v["detailed_goods"].as_array().unwrap() {
        let e = &g["emissions_calculation"];
        baseline.insert(
            g["shipment_id"].as_str().unwrap().into(),
            serde_json::json!({"direct": e["direct_emissions_tco2"], "indirect": e["indirect_emissions_tco2"], "total": e["total_emissions_tco2"]}),
        );
    }
    let bl = write(d.path(), "baseline.json", &Value::Object(baseline));
    assert_eq!(
        verify(&[
            "--actual",
            b.to_str().unwrap(),
            "--expected",
            bl.to_str().unwrap()
        ])
        .0,
        0
    );
    // The --lines CSV of the same run.
    let lines = d.path().join("lines.csv");
    let out = d.path().join("r.json");
    assert_eq!(
        code(&run(report_cmd(
            &fixture("shipments_2025q4.csv"),
            &out,
            &["--lines", lines.to_str().unwrap()]
        ))),
        0
    );
    assert_eq!(
        verify(&[
            "--actual",
            lines.to_str().unwrap(),
            "--expected",
            b.to_str().unwrap()
        ])
        .0,
        0
    );
    // The production system's report of the same shipments, recomputed with its policy and factors.
    let (c, out) = verify(&[
        "--sample-shipments",
        fixture("shipments_2025q4.csv").to_str().unwrap(),
        "--suppliers",
        fixture("suppliers.yaml").to_str().unwrap(),
        "--rules",
        root().join("rules/greenlang_compat.yaml").to_str().unwrap(),
        "--emission-factors",
        fixture("greenlang/emission_factors.py").to_str().unwrap(),
        "--expected",
        fixture("greenlang/report_v1_2025q4.json").to_str().unwrap(),
    ]);
    assert_eq!(c, 0, "{out}");
}

/// A 2026 shipment of hydrogen from Japan and the project-CSV default values that replace
/// the embedded table for it (total 20.00 for every origin, × 1.10 in 2026).
pub fn hydrogen_2026_with_own_default_values(dir: &Path) -> (PathBuf, PathBuf) {
    let input = dir.join("h2_2026.csv");
    std::fs::write(
        &input,
        "shipment_id,import_date,quarter,cn_code,product_group,product_description,origin_iso,origin_country,importer_name,importer_country,net_mass_kg,port_of_entry,importer_reference,has_actual_emissions,supplier_id,notes\n\
         V-1,2026-02-10,2026Q1,28041000,,hydrogen,JP,,Imp BV,NL,1000,Rotterdam,R,NO,,\n",
    )
    .unwrap();
    let dv = dir.join("dv.csv");
    std::fs::write(
        &dv,
        "origin_iso,origin_country,cn_code,code_type,sector,product_name,route_code,direct,indirect,total,source\n*,Other countries and territories,28041000,CN,hydrogen,Hydrogen,,20.00,,20.00,test table\n",
    )
    .unwrap();
    (input, dv)
}

#[test]
fn sample_shipments_take_every_reference_flag_of_report() {
    let d = tmp();
    let (input, dv) = hydrogen_2026_with_own_default_values(d.path());
    let expected = d.path().join("expected.json");
    let o = run(report_cmd(
        &input,
        &expected,
        &["--default-values", dv.to_str().unwrap()],
    ));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let args = |extra: &[&str]| {
        let mut a = vec![
            "--sample-shipments".to_string(),
            input.to_str().unwrap().to_string(),
            "--expected".to_string(),
            expected.to_str().unwrap().to_string(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    // The same reference data: the same figures.
    let with = args(&["--default-values", dv.to_str().unwrap()]);
    let (c, v) = verify(&with.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!((c, v["ok"].as_bool()), (0, Some(true)), "{v}");
    // Without it the embedded table applies (Japan's own hydrogen value): a difference.
    let without = args(&[]);
    let (c, v) = verify(&without.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!((c, v["ok"].as_bool()), (1, Some(false)), "{v}");
    // The definitive-period flags are read too: a broken benchmarks file stops the run.
    let bad = d.path().join("bad_benchmarks.csv");
    std::fs::write(&bad, "nothing,useful\n1,2\n").unwrap();
    let mut c = cbam();
    c.arg("verify")
        .args(args(&["--benchmarks", bad.to_str().unwrap()]));
    let o = run(c);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("bad_benchmarks.csv"), "{}", stderr(&o));
}
