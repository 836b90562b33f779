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

/// The report, Markdown summary and exit code of one run with the findings' memory budget
/// (`CBAM_SPILL_BUDGET`) and thread count given.
fn spilled_run(
    inputs: &[PathBuf],
    dir: &Path,
    budget: Option<&str>,
    threads: &str,
) -> (i32, Vec<u8>, String, String) {
    let out = dir.join(format!("r-{}-{threads}.json", budget.unwrap_or("default")));
    let md = out.with_extension("md");
    let mut c = report_cmd(&inputs[0], &out, &["--threads", threads]);
    for more in &inputs[1..] {
        c.arg("--input").arg(more);
    }
    c.arg("--summary").arg(&md);
    if let Some(b) = budget {
        c.env("CBAM_SPILL_BUDGET", b);
    }
    let o = run(c);
    assert!(code(&o) <= 1, "{}", stderr(&o));
    (
        code(&o),
        std::fs::read(&out).unwrap(),
        std::fs::read_to_string(&md).unwrap(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

/// Findings and rejected rows past the memory budget go to temporary files and come back in
/// the same order: a budget of a few bytes (every list and every chunk's batch spilled, runs
/// merged many times over) writes the same report and summary as the default, with one thread
/// or two, for CSV, for workbooks and dumps (whose findings are renamed to the original line
/// or cell as they join), and for two files read as one.
#[test]
fn spilling_findings_to_disk_does_not_change_the_report() {
    let d = tmp();
    let bad = d.path().join("bad_rows.csv");
    let clean = std::fs::read_to_string(fixture("shipments_2025q4.csv")).unwrap();
    let mut text = clean.clone();
    for i in 0..3000 {
        // Empty rows, a bad mass, an unknown CN code, duplicates: several findings per row.
        text.push_str(&",".repeat(15));
        text.push('\n');
        let row = clean.lines().nth(1 + i % 20).unwrap();
        text.push_str(
            &row.replacen(",", &format!("-{i},"), 1)
                .replace(",NL,", ",XX,"),
        );
        text.push('\n');
    }
    std::fs::write(&bad, text).unwrap();
    let cases: Vec<Vec<PathBuf>> = vec![
        vec![bad.clone()],
        vec![fixture("bad/row_checks.csv")],
        vec![fixture("sheets/shipments_2025q4.xlsx")],
        vec![fixture("pgdump/greenlang.sql")],
        vec![bad, fixture("bad/row_checks.csv")],
    ];
    for (k, inputs) in cases.iter().enumerate() {
        let dir = d.path().join(k.to_string());
        std::fs::create_dir(&dir).unwrap();
        let (code0, json0, md0, out0) = spilled_run(inputs, &dir, None, "2");
        if k == 0 {
            // Thousands of findings: the summary has one line per code, with its count.
            let section = md0
                .split("## Findings")
                .nth(1)
                .unwrap()
                .split("## Provenance")
                .next()
                .unwrap();
            assert!(section.lines().count() < 30, "{section}");
            let in001 = section
                .lines()
                .find(|l| l.starts_with("| error | IN001 |"))
                .unwrap();
            assert!(in001.contains("(3000 lines)"), "{in001}");
            // And so does the table on stdout: one line per code, not per finding.
            assert!(out0.lines().count() < 30, "{out0}");
            assert!(out0.contains("  error IN001 ×"), "{out0}");
        }
        for (budget, threads) in [(Some("64"), "1"), (Some("64"), "2"), (Some("5000"), "2")] {
            let (c, json, md, _) = spilled_run(inputs, &dir, budget, threads);
            assert_eq!(c, code0, "{inputs:?}: exit code");
            assert!(
                json == json0,
                "{inputs:?}: report differs with budget {budget:?}, {threads} threads"
            );
            assert_eq!(md, md0, "{inputs:?}: summary");
        }
    }
}
