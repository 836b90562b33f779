//! Same inputs → same bytes, with any thread count; shuffled input → same numbers.

use super::*;

fn report_bytes(input: &Path, dir: &Path, name: &str, extra: &[&str]) -> Vec<u8> {
    let out = dir.join(name);
    let s = fixture("suppliers.yaml");
    let mut args: Vec<&str> = vec!["--suppliers", s.to_str().unwrap()];
    args.extend(extra);
    let o = run(report_cmd(input, &out, &args));
    assert!(code(&o) <= 1, "{}", stderr(&o));
    std::fs::read(out).unwrap()
}

#[test]
fn two_runs_are_byte_identical() {
    let d = tmp();
    let a = report_bytes(&fixture("shipments_2025q4.csv"), d.path(), "a.json", &[]);
    let b = report_bytes(&fixture("shipments_2025q4.csv"), d.path(), "b.json", &[]);
    assert_eq!(a, b);
}

#[test]
fn thread_count_does_not_matter() {
    let d = tmp();
    let input = d.path().join("gen.csv");
    let o = run({
        let mut c = cbam();
        c.args([
            "generate",
            "--shipments",
            "20000",
            "--seed",
            "7",
            "--output",
        ])
        .arg(&input);
        c
    });
    assert_eq!(code(&o), 0);
    let one = report_bytes(&input, d.path(), "t1.json", &["--threads", "1"]);
    let two = report_bytes(&input, d.path(), "t2.json", &["--threads", "2"]);
    let four = report_bytes(&input, d.path(), "t4.json", &["--threads", "4"]);
    assert_eq!(one, two);
    assert_eq!(one, four);
}

#[test]
fn source_date_epoch_pins_the_time() {
    let d = tmp();
    let out = d.path().join("r.json");
    let mut c = cbam();
    c.args(["report", "--input"])
        .arg(fixture("shipments_2025q4.csv"))
        .arg("--output")
        .arg(&out);
    c.args([
        "--importer-name",
        "N",
        "--importer-country",
        "NL",
        "--importer-eori",
        "NL1",
        "--declarant-name",
        "D",
        "--declarant-position",
        "P",
    ]);
    c.env("SOURCE_DATE_EPOCH", "1767225600");
    assert_eq!(code(&run(c)), 0);
    let r = json(&out);
    assert_eq!(r["report_metadata"]["generated_at"], "2026-01-01T00:00:00Z");
    assert_eq!(r["importer_declaration"]["declaration_date"], "2026-01-01");
}

#[test]
fn shuffled_rows_give_the_same_numbers() {
    let d = tmp();
    let src = std::fs::read_to_string(fixture("shipments_2025q4.csv")).unwrap();
    let mut lines: Vec<&str> = src.lines().collect();
    let header = lines.remove(0);
    lines.reverse();
    lines.swap(3, 17);
    let p = d.path().join("shuffled.csv");
    std::fs::write(&p, format!("{header}\n{}\n", lines.join("\n"))).unwrap();
    let a: serde_json::Value = serde_json::from_slice(&report_bytes(
        &fixture("shipments_2025q4.csv"),
        d.path(),
        "a.json",
        &[],
    ))
    .unwrap();
    let b: serde_json::Value =
        serde_json::from_slice(&report_bytes(&p, d.path(), "b.json", &[])).unwrap();
    assert_eq!(a["emissions_summary"], b["emissions_summary"]);
    assert_eq!(a["goods_summary"]["goods"], b["goods_summary"]["goods"]);
    let strip = |v: &serde_json::Value| -> Vec<serde_json::Value> {
        v["detailed_goods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["emissions_calculation"].clone())
            .collect()
    };
    assert_eq!(
        strip(&a),
        strip(&b),
        "same lines in the same (shipment id) order"
    );
}
