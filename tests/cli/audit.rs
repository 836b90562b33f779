//! `cbam audit daily|quarterly` over a real pg_dump of a production-shaped database
//! (`fixtures/pgdump/production_audit.sql.gz`, made by `make_dumps.sh audit`): the 2025Q4
//! report's stored total is what cbam recomputes; the 2025Q3 report's is 1 t too high.

use super::*;
use serde_json::Value;

fn backup() -> PathBuf {
    fixture("pgdump/production_audit.sql.gz")
}

fn audit(args: &[&str]) -> (Output, Value) {
    let mut c = cbam();
    c.arg("audit")
        .args(args)
        .arg("--backup")
        .arg(backup())
        .arg("--suppliers")
        .arg(fixture("suppliers.yaml"))
        .args(["--format", "json"]);
    let o = run(c);
    let v = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o, v)
}

fn checks(group: &Value) -> Vec<(&str, &str)> {
    group["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["check"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect()
}

#[test]
fn daily_audit_recomputes_the_days_shipments_and_the_reports_they_went_into() {
    let (o, v) = audit(&["daily", "--date", "2025-12-01"]);
    assert_eq!(
        code(&o),
        0,
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(&o)
    );
    assert_eq!(v["consistent"], true);
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{v}");
    // The 12 shipments created on 1 Dec, recomputed on 1 and 2 threads: identical.
    assert_eq!(groups[0]["kind"], "day");
    assert_eq!(groups[0]["shipments"], 12);
    assert_eq!(checks(&groups[0]), [("determinism", "consistent")]);
    let r = &groups[0]["recomputed"];
    assert_eq!(r["threads"], serde_json::json!([1, 2]));
    assert_eq!(r["sha256"][0], r["sha256"][1]);
    // Their report, recomputed from all its 24 shipments: the stored total exactly.
    assert_eq!(groups[1]["kind"], "stored_report");
    assert_eq!(groups[1]["group"], "CBAM-2025Q4-NOORDZEE S-20260110091500");
    assert_eq!(groups[1]["shipments"], 24);
    assert_eq!(
        checks(&groups[1]),
        [
            ("total_emissions_tco2", "equal"),
            ("validation_status", "consistent"),
            ("determinism", "consistent")
        ]
    );
    assert_eq!(
        groups[1]["recomputed"]["total_embedded_emissions_tco2"],
        "978.62"
    );
    // The day's pipeline runs, as the backup holds them.
    let runs = v["pipeline_runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["values"]["rows_processed"], "12");
    assert_eq!(v["schema_migrations"]["latest"], "20250601_report_id");
}

#[test]
fn a_stored_total_that_its_shipments_do_not_give_fails_both_audits() {
    // Daily: the Q3 shipments were created on 30 Sep; their report's stored total is 1 t high.
    let (o, v) = audit(&["daily", "--date", "2025-09-30"]);
    assert_eq!(code(&o), 1, "{v}");
    assert_eq!(v["consistent"], false);
    let report = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["kind"] == "stored_report")
        .unwrap();
    let total = &report["checks"][0];
    assert_eq!(total["check"], "total_emissions_tco2");
    assert_eq!(total["status"], "inconsistent");
    assert_eq!(total["stored"], "103.290");
    assert_eq!(total["recomputed"], "102.29");
    assert_eq!(total["difference"], "-1.000");
    // Quarterly, as the runbook writes the quarter, and as cbam does: the same result.
    let (o, q) = audit(&["quarterly", "--quarter", "Q3-2025", "--today", "2026-12-04"]);
    assert_eq!(code(&o), 1);
    let (_, q2) = audit(&["quarterly", "--quarter", "2025Q3", "--today", "2026-12-04"]);
    assert_eq!(q, q2);
    assert_eq!(q["period"], "2025Q3");
    assert_eq!(q["inconsistencies"], 1);
    assert_eq!(q["groups"][0]["checks"][0]["status"], "inconsistent");
}

#[test]
fn quarterly_audit_checks_reports_deadlines_suppliers_and_a_sample() {
    let d = tmp();
    let (json_out, md) = (d.path().join("audit.json"), d.path().join("audit.md"));
    let (o, v) = audit(&[
        "quarterly",
        "--quarter",
        "Q4-2025",
        "--sample",
        "5",
        "--seed",
        "7",
        "--today",
        "2026-12-04",
        "--output",
        json_out.to_str().unwrap(),
        "--summary",
        md.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{v}");
    assert_eq!(v["consistent"], true);
    assert_eq!(v["groups"].as_array().unwrap().len(), 1);
    let deadlines: Vec<(&str, &str)> = v["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["check"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        deadlines,
        [
            ("deadline", "consistent"),
            ("submitted_by_deadline", "consistent")
        ]
    );
    assert!(v["deadlines"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("2026-01-31"));
    // Five shipments recomputed alone give their lines of the full recomputation.
    assert_eq!(v["sample"]["shipments"].as_array().unwrap().len(), 5);
    assert_eq!(v["sample"]["equal"], 5);
    // The supplier audit of the quarter's shipments is part of the result.
    assert!(!v["suppliers"]["suppliers"].as_array().unwrap().is_empty());
    // The files: the JSON is what stdout showed, the Markdown says the verdict.
    let written: Value = serde_json::from_slice(&std::fs::read(&json_out).unwrap()).unwrap();
    assert_eq!(written, v);
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(
        text.starts_with("# CBAM quarterly audit: 2025Q4\n\n**CONSISTENT** — 0 inconsistencies."),
        "{text}"
    );
    assert!(
        text.contains("| total_emissions_tco2 | equal | 978.620 | 978.62 | 0.000 |"),
        "{text}"
    );
}

#[test]
fn an_audit_needs_a_whole_dump_with_shipments_and_reports() {
    let (o, _) = {
        let mut c = cbam();
        c.args(["audit", "daily", "--date", "2025-12-01", "--backup"])
            .arg(fixture("pgdump/greenlang.sql"));
        (run(c), ())
    };
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("no data for table \"reports\""),
        "{}",
        stderr(&o)
    );
    let mut c = cbam();
    c.args(["audit", "quarterly", "--quarter", "2025Q5", "--backup"])
        .arg(backup());
    let o = run(c);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("--quarter: expected a quarter"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn suppliers_audit_of_one_quarter_counts_only_its_shipments() {
    let run_for = |quarter: &str| {
        let mut c = cbam();
        c.args(["suppliers", "audit", "--suppliers"])
            .arg(fixture("suppliers.yaml"))
            .arg("--shipments")
            .arg(fixture("shipments_2025q4.csv"))
            .args([
                "--today",
                "2026-01-15",
                "--format",
                "json",
                "--quarter",
                quarter,
            ]);
        let o = run(c);
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        v["suppliers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["shipments"].as_u64().unwrap())
            .sum::<u64>()
    };
    assert!(run_for("Q4-2025") > 0);
    assert_eq!(run_for("2025Q3"), 0);
}

/// The audit as an HTML page: the report page's frame, the verdict, every check, escaped.
#[test]
fn the_audit_renders_as_a_page() {
    let d = tmp();
    let page = d.path().join("audit.html");
    let (o, _) = audit(&[
        "quarterly",
        "--quarter",
        "2025Q3",
        "--today",
        "2026-12-04",
        "--html",
        page.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        html.contains("<h1>CBAM quarterly audit 2025Q3</h1>"),
        "{html}"
    );
    assert!(html.contains("<span class=\"bad\">INCONSISTENT</span>: 1 inconsistency"));
    assert!(html.contains("<td>total_emissions_tco2</td><td><span class=\"bad\">inconsistent</span></td><td class=\"n\">103.290</td><td class=\"n\">102.29</td><td class=\"n\">-1.000</td>"), "{html}");
    assert!(!html.contains("<script"), "no script");
    // The same audit gives the same page.
    let again = d.path().join("again.html");
    audit(&[
        "quarterly",
        "--quarter",
        "2025Q3",
        "--today",
        "2026-12-04",
        "--html",
        again.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read(&again).unwrap(), html.as_bytes());
}

/// The fixture backup as text, changed by `edit`, written plain into `dir`.
fn edited_backup(dir: &Path, name: &str, edit: impl Fn(String) -> String) -> PathBuf {
    use std::io::Read as _;
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(backup()).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let p = dir.join(name);
    std::fs::write(&p, edit(text)).unwrap();
    p
}

fn audit_of(path: &Path, args: &[&str]) -> (Output, Value) {
    let mut c = cbam();
    c.arg("audit")
        .args(args)
        .arg("--backup")
        .arg(path)
        .args(["--format", "json"]);
    let o = run(c);
    let v = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o, v)
}

/// What hostile backups taught: a report id stored twice, a lost (NULL) total, a quarter that
/// is not one, an unreadable created_at, markup in a report id — each an inconsistency or
/// escaped, never CONSISTENT by omission.
#[test]
fn a_damaged_reports_table_is_never_consistent() {
    let d = tmp();
    let q4 = "CBAM-2025Q4-NOORDZEE S-20260110091500\t2025Q4\t";
    let twice = edited_backup(d.path(), "twice.sql", |t| {
        let row = t.lines().find(|l| l.starts_with(q4)).unwrap().to_string();
        t.replacen(&format!("{row}\n"), &format!("{row}\n{row}\n"), 1)
    });
    let (o, v) = audit_of(
        &twice,
        &["quarterly", "--quarter", "2025Q4", "--today", "2026-12-04"],
    );
    assert_eq!(code(&o), 1, "{v}");
    assert_eq!(v["groups"].as_array().unwrap().len(), 1, "recomputed once");
    assert!(
        v["findings"]
            .to_string()
            .contains("is stored twice (backup lines"),
        "{v}"
    );

    let null_total = edited_backup(d.path(), "null.sql", |t| {
        t.replace(
            "2026-01-12 14:02:00+00\t978.620",
            "2026-01-12 14:02:00+00\t\\N",
        )
    });
    let (o, v) = audit_of(
        &null_total,
        &["quarterly", "--quarter", "2025Q4", "--today", "2026-12-04"],
    );
    assert_eq!(code(&o), 1, "{v}");
    assert_eq!(v["groups"][0]["checks"][0]["status"], "inconsistent");

    let bad_quarter = edited_backup(d.path(), "q9.sql", |t| {
        t.replace(q4, &q4.replace("\t2025Q4\t", "\t2025Q9\t"))
    });
    let (o, v) = audit_of(
        &bad_quarter,
        &["quarterly", "--quarter", "2025Q4", "--today", "2026-12-04"],
    );
    assert_eq!(code(&o), 1);
    assert!(
        v["findings"]
            .to_string()
            .contains("quarter \\\"2025Q9\\\" is not a quarter"),
        "{v}"
    );

    let garbage_time = edited_backup(d.path(), "created.sql", |t| {
        t.replacen("\t2025-12-01 09:15:00+00\n", "\tgarbage\n", 1)
    });
    let (o, v) = audit_of(&garbage_time, &["daily", "--date", "2025-12-01"]);
    assert_eq!(code(&o), 1, "{v}");
    assert!(
        v["findings"].to_string().contains("no readable created_at"),
        "{v}"
    );

    let markup = edited_backup(d.path(), "markup.sql", |t| {
        t.replace(
            "CBAM-2025Q3-NOORDZEE S-20251010080000",
            "Q3 <script>alert(1)</script> `x` **b**",
        )
    });
    let md = d.path().join("markup.md");
    let mut c = cbam();
    c.args([
        "audit",
        "quarterly",
        "--quarter",
        "2025Q3",
        "--today",
        "2026-12-04",
        "-q",
        "--backup",
    ])
    .arg(&markup)
    .arg("--summary")
    .arg(&md);
    assert_eq!(code(&run(c)), 1);
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(!text.contains("<script>"), "{text}");
    assert!(!text.contains("**b**"), "{text}");
}

#[test]
fn audit_flags_are_checked_and_a_closed_pipe_keeps_the_verdict() {
    let (o, _) = audit(&["quarterly", "--quarter", "2025Q4", "--sample", "0"]);
    assert_eq!(code(&o), 2);
    let (o, _) = audit(&["daily", "--date", "2025-12-01T00:00:00Z"]);
    assert_eq!(code(&o), 2);
    // An INCONSISTENT audit read by `head`: still exit 1.
    let mut c = cbam();
    c.args([
        "audit",
        "quarterly",
        "--quarter",
        "2025Q3",
        "--today",
        "2026-12-04",
        "--backup",
    ])
    .arg(backup())
    .stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    drop(child.stdout.take());
    assert_eq!(child.wait().unwrap().code(), Some(1));
}
