//! `cbam diff`: canonical comparison ignoring only the declared volatile fields.

use super::*;
use serde_json::Value;

fn diff(a: &Path, b: &Path, extra: &[&str]) -> (i32, Value) {
    let mut c = cbam();
    c.arg("diff")
        .arg(a)
        .arg(b)
        .args(["--format", "json"])
        .args(extra);
    let o = run(c);
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    (code(&o), v)
}

fn report(dir: &Path, name: &str, time: &str) -> PathBuf {
    report_from(&fixture("shipments_2025q4.csv"), dir, name, time)
}

fn report_from(input: &Path, dir: &Path, name: &str, time: &str) -> PathBuf {
    let out = dir.join(name);
    let mut c = cbam();
    c.args(["report", "--input"])
        .arg(input)
        .args(["--suppliers"])
        .arg(fixture("suppliers.yaml"))
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
    c.args(["--generated-at", time]);
    let o = run(c);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    out
}

fn write(dir: &Path, name: &str, v: &Value, pretty: bool) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(
        &p,
        if pretty {
            serde_json::to_vec_pretty(v).unwrap()
        } else {
            serde_json::to_vec(v).unwrap()
        },
    )
    .unwrap();
    p
}

#[test]
fn same_inputs_at_another_time_are_identical() {
    let d = tmp();
    let a = report(d.path(), "a.json", "2026-01-01");
    let b = report(d.path(), "b.json", "2026-03-01T12:00:00Z");
    assert_ne!(
        std::fs::read(&a).unwrap(),
        std::fs::read(&b).unwrap(),
        "the bytes differ in the volatile fields"
    );
    let (c, v) = diff(&a, &b, &[]);
    assert_eq!(c, 0, "{v}");
    assert_eq!(
        v["ignored"],
        serde_json::json!([
            "report_metadata.generated_at",
            "importer_declaration.declaration_date"
        ])
    );
}

#[test]
fn a_renamed_input_gives_the_same_report_id_and_only_provenance_differences() {
    let d = tmp();
    let renamed = d.path().join("copy of the export (2).csv");
    std::fs::copy(fixture("shipments_2025q4.csv"), &renamed).unwrap();
    let a = report(d.path(), "a.json", "2026-01-01");
    let b = report_from(&renamed, d.path(), "b.json", "2026-01-01");
    let id = |p: &Path| {
        let v: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        v["report_metadata"]["report_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        id(&a),
        id(&b),
        "the id depends on content, not on file names"
    );
    let (c, v) = diff(&a, &b, &[]);
    assert_eq!(c, 0, "{v}");
    assert_eq!(v["identical"], true);
    assert_eq!(v["difference_count"], 0);
    // The input's name in the provenance, and in each finding that names its file.
    let listed = v["provenance_only"].as_array().unwrap();
    assert!(v["provenance_only_count"].as_u64().unwrap() >= 2, "{v}");
    assert_eq!(listed[0]["path"], "provenance.inputs[0].file_name");
    assert_eq!(listed[0]["b"], "\"copy of the export (2).csv\"");
    assert!(
        listed[1..]
            .iter()
            .all(|d| d["path"].as_str().unwrap().ends_with("].file")),
        "{v}"
    );
    let renamed = v["provenance_only_count"].clone();
    let (c, v) = diff(&a, &b, &["--strict"]);
    assert_eq!(c, 1, "--strict counts the renamed file: {v}");
    assert_eq!(v["difference_count"], renamed);
    assert_eq!(v["provenance_only_count"], 0);
    assert_eq!(v["identical"], false);
}

#[test]
fn reordered_keys_and_compact_formatting_are_identical() {
    let d = tmp();
    let a = report(d.path(), "a.json", "2026-01-01");
    let v = json(&a);
    // Re-serialised compactly, keys in another order (serde_json sorts when reparsing as a BTreeMap-free Value).
    let mut m: Vec<(String, Value)> = v.as_object().unwrap().clone().into_iter().collect();
    m.reverse();
    let reordered: serde_json::Map<String, Value> = m.into_iter().collect();
    let b = write(d.path(), "b.json", &Value::Object(reordered), false);
    assert_eq!(diff(&a, &b, &[]).0, 0);
}

#[test]
fn a_changed_number_is_reported_with_path_and_both_values() {
    let d = tmp();
    let a = report(d.path(), "a.json", "2026-01-01");
    let mut v = json(&a);
    let before =
        v["detailed_goods"][3]["emissions_calculation"]["total_emissions_tco2"].to_string();
    v["detailed_goods"][3]["emissions_calculation"]["total_emissions_tco2"] =
        Value::Number("39.676".parse().unwrap());
    let b = write(d.path(), "b.json", &v, true);
    let (c, out) = diff(&a, &b, &[]);
    assert_eq!(c, 1);
    assert_eq!(out["difference_count"], 1);
    let f = &out["differences"][0];
    assert_eq!(
        f["path"],
        "detailed_goods[3].emissions_calculation.total_emissions_tco2"
    );
    assert_eq!(
        (f["a"].as_str(), f["b"].as_str()),
        (Some(before.as_str()), Some("39.676"))
    );
    // --ignore takes it out.
    assert_eq!(
        diff(
            &a,
            &b,
            &[
                "--ignore",
                "detailed_goods[].emissions_calculation.total_emissions_tco2"
            ]
        )
        .0,
        0
    );
}

#[test]
fn a_truncated_report_is_different() {
    let d = tmp();
    let a = report(d.path(), "a.json", "2026-01-01");
    let mut v = json(&a);
    v["detailed_goods"].as_array_mut().unwrap().pop();
    let b = write(d.path(), "b.json", &v, true);
    let (c, out) = diff(&a, &b, &[]);
    assert_eq!(c, 1);
    let f = &out["differences"][0];
    assert_eq!(f["path"], "detailed_goods[22]");
    assert!(f["b"].is_null());
}

#[test]
fn production_layout_with_nan_is_accepted() {
    let p = fixture("greenlang/report_v1_2025q4.json");
    let (c, out) = diff(&p, &p, &[]);
    assert_eq!((c, out["byte_identical"].as_bool()), (0, Some(true)));
    // Not byte-identical (re-indented), so both are parsed, NaN cells included.
    let d = tmp();
    let q = d.path().join("reindented.json");
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replace("\n  ", "\n    ");
    std::fs::write(&q, text).unwrap();
    let (c, out) = diff(&p, &q, &[]);
    assert_eq!(
        (c, out["identical"].as_bool(), out.get("byte_identical")),
        (0, Some(true), None)
    );
    let mut c = cbam();
    c.args(["diff", "--report1"])
        .arg(&p)
        .arg("--report2")
        .arg(fixture("shipments_2025q4.csv"));
    assert_eq!(code(&run(c)), 2, "a CSV is not a report");
}

/// Differences in the head, the lines and the findings come in document order (keys sorted,
/// indices ascending), all counted, the first `--max` shown — the same whether they sit in
/// the streamed arrays or not.
#[test]
fn differences_in_lines_findings_and_head_in_document_order() {
    let d = tmp();
    let a = report(d.path(), "a.json", "2026-01-01");
    let mut v = json(&a);
    v["emissions_summary"]["total_embedded_emissions_tco2"] = Value::Number("1".parse().unwrap());
    v["detailed_goods"][5]["origin_iso"] = Value::String("XX".into());
    v["detailed_goods"][1]["origin_iso"] = Value::String("YY".into());
    let warnings = v["validation_results"]["warnings"].as_array_mut().unwrap();
    assert!(!warnings.is_empty());
    let removed = warnings.remove(0);
    let n = warnings.len();
    let b = write(d.path(), "b.json", &v, false);
    let (c, out) = diff(&a, &b, &["--max", "100"]);
    assert_eq!(c, 1);
    let paths: Vec<&str> = out["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    // Removing the first warning shifts every later one: each index differs, the last is missing.
    assert_eq!(paths[0], "detailed_goods[1].origin_iso");
    assert_eq!(paths[1], "detailed_goods[5].origin_iso");
    assert_eq!(paths[2], "emissions_summary.total_embedded_emissions_tco2");
    assert!(paths[3..]
        .iter()
        .all(|p| p.starts_with("validation_results.warnings[")));
    assert_eq!(
        paths.last().copied(),
        Some(format!("validation_results.warnings[{n}]").as_str())
    );
    assert_eq!(out["difference_count"].as_u64(), Some(paths.len() as u64));
    let last = out["differences"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(last["b"].is_null() && last["a"].is_string(), "{last}");
    let _ = removed;
    // --max 2 shows the first two and counts them all.
    let (_, out2) = diff(&a, &b, &["--max", "2"]);
    assert_eq!(out2["difference_count"], out["difference_count"]);
    assert_eq!(out2["differences"].as_array().unwrap().len(), 2);
    assert_eq!(
        out2["differences"][1]["path"],
        "detailed_goods[5].origin_iso"
    );
}

/// Several inputs renamed (and so in another order of names): the same report id, and the
/// only differences — each line's `_file` — are provenance, not counted.
#[test]
fn renamed_inputs_of_a_multi_file_report_differ_only_in_provenance() {
    let d = tmp();
    let text = std::fs::read_to_string(fixture("shipments_2025q4.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let write = |name: &str, rows: &[&str]| {
        let p = d.path().join(name);
        std::fs::write(&p, format!("{}\n{}\n", lines[0], rows.join("\n"))).unwrap();
        p
    };
    let (a, b) = (write("a.csv", &lines[1..13]), write("b.csv", &lines[13..]));
    let (z, y) = (
        write("zz.csv", &lines[1..13]),
        write("aa.csv", &lines[13..]),
    );
    let run_two = |x: &Path, y: &Path, out: &str| {
        let out = d.path().join(out);
        let mut c = report_cmd(x, &out, &[]);
        c.arg("--input").arg(y);
        assert!(code(&run(c)) <= 1);
        out
    };
    let (first, renamed) = (run_two(&a, &b, "ab.json"), run_two(&z, &y, "zy.json"));
    let (c, v) = diff(&first, &renamed, &[]);
    assert_eq!(c, 0, "{v}");
    assert!(v["provenance_only_count"].as_u64().unwrap() >= 23, "{v}");
}
