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

/// A baseline object {shipment_id: {direct, indirect, total}} of a report's lines, each line
/// passed through `edit` first.
fn baseline_of(v: &Value, edit: impl Fn(&str, &mut Value)) -> Value {
    let mut baseline = serde_json::Map::new();
    for g in v["detailed_goods"].as_array().unwrap() {
        let e = &g["emissions_calculation"];
        let id = g["shipment_id"].as_str().unwrap();
        let mut b = serde_json::json!({"direct": e["direct_emissions_tco2"], "indirect": e["indirect_emissions_tco2"], "total": e["total_emissions_tco2"]});
        edit(id, &mut b);
        baseline.insert(id.into(), b);
    }
    Value::Object(baseline)
}

fn shifted(v: &Value, by: rust_decimal::Decimal) -> Value {
    let t: rust_decimal::Decimal = v.to_string().parse().unwrap();
    Value::Number((t + by).to_string().parse().unwrap())
}

#[test]
fn tolerance_decides() {
    let d = tmp();
    let (b, v) = base(d.path());
    let first = v["detailed_goods"][0]["shipment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let a = write(
        d.path(),
        "a.json",
        &baseline_of(&v, |id, b| {
            if id == first {
                b["total"] = shifted(&b["total"], rust_decimal::Decimal::new(5, 4));
            }
        }),
    );
    let args = |extra: &[&str]| {
        let mut x = vec![
            "--actual",
            a.to_str().unwrap(),
            "--expected",
            b.to_str().unwrap(),
        ];
        x.extend(extra);
        verify(
            &x.iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )
    };
    // 0.0005 apart, one side at 4 decimals and one at 3: what rounding explains (0.00055).
    let (c, out) = args(&[]);
    assert_eq!(c, 0, "{out}");
    assert_eq!(
        out["classes"]["rounding"], 5,
        "shipment, cn_code, sector, origin, total: {out}"
    );
    // Outside 0.0001: the shipment, its sector, its origin and the total are named.
    let (c, out) = args(&["--tolerance", "0.0001"]);
    assert_eq!(c, 1);
    let bad: Vec<String> = out["deviations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["within_tolerance"] == false)
        .map(|d| {
            format!(
                "{} {}",
                d["level"].as_str().unwrap(),
                d["field"].as_str().unwrap()
            )
        })
        .collect();
    for level in ["shipment", "cn_code", "sector", "origin", "total"] {
        assert!(bad.contains(&format!("{level} total")), "{bad:?}");
    }
    // A relative tolerance of 1 % covers it; exact (0) does not.
    assert_eq!(args(&["--tolerance", "0", "--relative", "0.01"]).0, 0);
    assert_eq!(args(&["--tolerance", "0"]).0, 1);
    // Not a tolerance: exit 2 naming the flag.
    let mut c = cbam();
    c.args([
        "verify",
        "--actual",
        a.to_str().unwrap(),
        "--expected",
        b.to_str().unwrap(),
        "--tolerance",
        "loose",
    ]);
    let o = run(c);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--tolerance"), "{}", stderr(&o));
}

#[test]
fn a_tampered_stated_total_fails_naming_the_field() {
    let d = tmp();
    let (b, mut v) = base(d.path());
    let t = &mut v["emissions_summary"]["total_embedded_emissions_tco2"];
    *t = shifted(t, rust_decimal::Decimal::ONE);
    let tampered = write(d.path(), "tampered.json", &v);
    for (actual, expected, side) in [(&tampered, &b, "actual"), (&b, &tampered, "expected")] {
        let (c, out) = verify(&[
            "--actual",
            actual.to_str().unwrap(),
            "--expected",
            expected.to_str().unwrap(),
        ]);
        assert_eq!((c, out["ok"].as_bool()), (1, Some(false)), "{out}");
        let bad = out["consistency"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["class"] == "real")
            .unwrap_or_else(|| panic!("{out}"));
        assert_eq!(
            (
                bad["side"].as_str(),
                bad["stated_at"].as_str(),
                bad["class"].as_str()
            ),
            (
                Some(side),
                Some("emissions_summary.total_embedded_emissions_tco2"),
                Some("real")
            ),
            "{out}"
        );
        assert_eq!(out["classes"]["inconsistent"], 1);
        // ... and the two stated totals differ from each other by the tonne.
        let stated = out["deviations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["level"] == "stated")
            .unwrap();
        assert_eq!(
            (
                stated["field"].as_str(),
                stated["within_tolerance"].as_bool()
            ),
            (Some("total"), Some(false))
        );
    }
    // The table says it in words.
    let mut c = cbam();
    c.args([
        "verify",
        "--actual",
        tampered.to_str().unwrap(),
        "--expected",
        b.to_str().unwrap(),
    ]);
    let o = run(c);
    assert_eq!(code(&o), 1);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains(
            "INCONSISTENT actual: emissions_summary.total_embedded_emissions_tco2 states"
        ),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn direct_or_indirect_changes_are_caught_with_the_total_unchanged() {
    let d = tmp();
    let (b, v) = base(d.path());
    let first = v["detailed_goods"][0]["shipment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let half = rust_decimal::Decimal::new(5, 1);
    let moved = baseline_of(&v, |id, b| {
        if id == first {
            b["direct"] = shifted(&b["direct"], -half);
            b["indirect"] = shifted(&b["indirect"], half);
        }
    });
    let a = write(d.path(), "moved.json", &moved);
    let (c, out) = verify(&[
        "--actual",
        a.to_str().unwrap(),
        "--expected",
        b.to_str().unwrap(),
    ]);
    assert_eq!(c, 1, "{out}");
    let named: Vec<String> = out["deviations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["level"] == "shipment")
        .map(|d| {
            format!(
                "{} {}",
                d["key"].as_str().unwrap(),
                d["field"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        named,
        [format!("{first} direct"), format!("{first} indirect")],
        "{out}"
    );
}

#[test]
fn a_sample_of_a_large_report_and_a_change_inside_it() {
    let d = tmp();
    let input = d.path().join("100k.csv");
    let mut g = cbam();
    g.args(["generate", "--shipments", "100000", "--output"])
        .arg(&input);
    assert_eq!(code(&run(g)), 0);
    let full = d.path().join("full.json");
    let lines = d.path().join("lines.csv");
    let o = run(report_cmd(
        &input,
        &full,
        &["--lines", lines.to_str().unwrap()],
    ));
    assert!(code(&o) <= 1, "{}", stderr(&o));
    let sample = |actual: &Path, seed: &str| {
        verify(&[
            "--actual",
            actual.to_str().unwrap(),
            "--expected",
            full.to_str().unwrap(),
            "--sample",
            "1000",
            "--seed",
            seed,
        ])
    };
    let (c, out) = sample(&lines, "7");
    assert_eq!(
        (c, out["shipments_compared"].as_u64()),
        (0, Some(1000)),
        "{}",
        out["classes"]
    );
    let drawn = out["sampled_shipments"].as_array().unwrap().clone();
    assert_eq!(drawn.len(), 1000);
    // The same seed draws the same shipments; another seed others.
    assert_eq!(
        sample(&lines, "7").1["sampled_shipments"]
            .as_array()
            .unwrap(),
        &drawn
    );
    assert_ne!(
        sample(&lines, "8").1["sampled_shipments"]
            .as_array()
            .unwrap(),
        &drawn
    );
    // One shipment inside the sample changed: caught. One outside: not compared.
    let change = |id: &str, name: &str| {
        let mut r = csv::Reader::from_path(&lines).unwrap();
        let head = r.headers().unwrap().clone();
        let col = head
            .iter()
            .position(|h| h == "total_emissions_tco2")
            .unwrap();
        let mut w = csv::Writer::from_path(d.path().join(name)).unwrap();
        w.write_record(&head).unwrap();
        for rec in r.records() {
            let rec = rec.unwrap();
            let mut f: Vec<String> = rec.iter().map(String::from).collect();
            if f[0] == id {
                f[col] = "99999.999".into();
            }
            w.write_record(&f).unwrap();
        }
        w.flush().unwrap();
        d.path().join(name)
    };
    let inside = drawn[500].as_str().unwrap();
    let (c, out) = sample(&change(inside, "inside.csv"), "7");
    assert_eq!(c, 1);
    assert_eq!(out["deviations"][0]["key"], inside, "{out}");
    let sampled: std::collections::HashSet<&str> = drawn.iter().filter_map(Value::as_str).collect();
    let outside = csv::Reader::from_path(&lines)
        .unwrap()
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .find(|id| !sampled.contains(id.as_str()))
        .unwrap();
    let changed = change(&outside, "outside.csv");
    assert!(std::fs::read_to_string(&changed)
        .unwrap()
        .contains("99999.999"));
    assert_eq!(sample(&changed, "7").0, 0);
}

#[test]
fn dates_and_quarters_narrow_both_sides() {
    let d = tmp();
    let (b, v) = base(d.path());
    let day = v["detailed_goods"][0]["import_date"]
        .as_str()
        .unwrap()
        .to_string();
    // The actual has only that day's shipments: whole, it misses the others; on that day, not.
    let mut t = v.clone();
    t["detailed_goods"]
        .as_array_mut()
        .unwrap()
        .retain(|g| g["import_date"] == day.as_str());
    let n = t["detailed_goods"].as_array().unwrap().len() as u64;
    let lines = baseline_of(&t, |_, _| {});
    let mut dated = lines.clone();
    for (id, e) in dated.as_object_mut().unwrap() {
        let g = t["detailed_goods"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["shipment_id"] == id.as_str())
            .unwrap();
        e["import_date"] = g["import_date"].clone();
    }
    let a = write(d.path(), "day.json", &dated);
    let args = |extra: &[&str]| {
        let mut x = vec![
            "--actual",
            a.to_str().unwrap(),
            "--expected",
            b.to_str().unwrap(),
        ];
        x.extend(extra);
        verify(&x)
    };
    assert_eq!(args(&[]).0, 1);
    let (c, out) = args(&["--date", &day]);
    assert_eq!(
        (c, out["shipments_compared"].as_u64()),
        (0, Some(n)),
        "{out}"
    );
    assert_eq!(args(&["--from", &day, "--to", &day]).0, 0);
    // The whole quarter (both spellings): the other days' shipments are missing.
    for q in ["2025Q4", "Q4-2025"] {
        let (c, out) = args(&["--quarter", q]);
        assert_eq!(
            (c, out["classes"]["missing"].as_u64()),
            (1, Some(23 - n)),
            "{out}"
        );
    }
    // A side without dates cannot be filtered: exit 2 naming it.
    let undated = write(d.path(), "undated.json", &lines);
    let mut c = cbam();
    c.args([
        "verify",
        "--actual",
        undated.to_str().unwrap(),
        "--expected",
        b.to_str().unwrap(),
        "--date",
        &day,
    ]);
    let o = run(c);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("actual side") && stderr(&o).contains("import_date"),
        "{}",
        stderr(&o)
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

/// The production system's report of its own demo file — its documented float arithmetic
/// (`fixtures/greenlang/production_arithmetic.py`) over the factor choices that cbam's
/// compatible policy reproduces — against cbam's compatible recomputation: every difference is
/// line rounding (255.213 vs 255.211 indirect), so the rounding-aware default passes and
/// `--tolerance 0` does not.
#[cfg(feature = "shared-reference")]
#[test]
fn the_production_demo_report_differs_from_the_recomputation_only_by_rounding() {
    let d = tmp();
    let demo = root().join("../shared/reference/greenlang");
    let compat = d.path().join("compat.json");
    let flags = [
        "--suppliers".to_string(),
        demo.join("demo_suppliers.yaml")
            .to_str()
            .unwrap()
            .to_string(),
        "--rules".into(),
        root()
            .join("rules/greenlang_compat.yaml")
            .to_str()
            .unwrap()
            .into(),
        "--emission-factors".into(),
        fixture("greenlang/emission_factors.py")
            .to_str()
            .unwrap()
            .into(),
    ];
    let flag_refs: Vec<&str> = flags.iter().map(String::as_str).collect();
    let o = run(report_cmd(
        &demo.join("demo_shipments.csv"),
        &compat,
        &flag_refs,
    ));
    // Exit 1: the production policy's own findings (suppliers' data used as it is).
    assert!(code(&o) <= 1, "{}", stderr(&o));
    let production = d.path().join("production.json");
    let py = std::process::Command::new("python3")
        .arg(fixture("greenlang/production_arithmetic.py"))
        .args([&compat, &production])
        .status()
        .expect("python3 (installed by .ci/run) runs the production system's arithmetic");
    assert!(py.success());
    let demo_csv = demo.join("demo_shipments.csv");
    let mut args = vec!["--sample-shipments", demo_csv.to_str().unwrap()];
    args.extend(&flag_refs);
    args.extend(["--expected", production.to_str().unwrap()]);
    let (c, out) = verify(&args);
    assert_eq!(c, 0, "{out}");
    assert_eq!(out["classes"]["real"], 0);
    assert!(out["classes"]["rounding"].as_u64().unwrap() >= 5, "{out}");
    let indirect = out["deviations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["level"] == "total" && d["field"] == "indirect")
        .expect("the indirect total differs");
    assert_eq!(
        (
            indirect["actual"].to_string(),
            indirect["expected"].to_string(),
            indirect["class"].as_str()
        ),
        (
            "\"255.213\"".to_string(),
            "\"255.211\"".to_string(),
            Some("rounding")
        )
    );
    args.extend(["--tolerance", "0"]);
    let (c, out) = verify(&args);
    assert_eq!((c, out["classes"]["real"].as_u64()), (1, Some(0)), "{out}");
}
