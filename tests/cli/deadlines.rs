//! `cbam deadlines`: the official transitional calendar and the definitive-period dates.

use super::*;

fn events(today: &str, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut c = cbam();
    c.args(["deadlines", "--format", "json", "--today", today])
        .args(extra);
    let o = run(c);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["events"].as_array().unwrap().clone()
}

fn find<'a>(ev: &'a [serde_json::Value], kind: &str, period: &str) -> &'a serde_json::Value {
    ev.iter()
        .find(|e| e["kind"] == kind && e["period"] == period)
        .unwrap_or_else(|| panic!("{kind} {period}"))
}

#[test]
fn every_row_of_the_official_calendar() {
    let ev = events("2025-06-01", &["--all"]);
    // (imports, report due, modification possible until) — Commission Q&A calendar.
    let calendar = [
        ("2023Q4", "2024-01-31", "2024-07-31"),
        ("2024Q1", "2024-04-30", "2024-07-31"),
        ("2024Q2", "2024-07-31", "2024-08-30"),
        ("2024Q3", "2024-10-31", "2024-11-30"),
        ("2024Q4", "2025-01-31", "2025-02-28"),
        ("2025Q1", "2025-04-30", "2025-05-31"),
        ("2025Q2", "2025-07-31", "2025-08-31"),
        ("2025Q3", "2025-10-31", "2025-11-30"),
        ("2025Q4", "2026-01-31", "2026-02-28"),
    ];
    for (q, due, until) in calendar {
        assert_eq!(find(&ev, "report_due", q)["date"], due, "{q}");
        assert_eq!(find(&ev, "modification_until", q)["date"], until, "{q}");
    }
    assert_eq!(ev.iter().filter(|e| e["kind"] == "report_due").count(), 9);
}

#[test]
fn q3_2025_report_is_due_soon_on_15_october() {
    let ev = events("2025-10-15", &["--days-ahead", "30"]);
    let e = find(&ev, "report_due", "2025Q3");
    assert_eq!(
        (e["date"].as_str(), e["status"].as_str(), e["days"].as_i64()),
        (Some("2025-10-31"), Some("due_soon"), Some(16))
    );
    assert_eq!(find(&ev, "report_due", "2025Q2")["status"], "past");
    assert_eq!(find(&ev, "report_due", "2025Q4")["status"], "upcoming");
}

#[test]
fn definitive_period_dates_seen_from_november_2026() {
    let ev = events("2026-11-23", &[]);
    assert_eq!(find(&ev, "declaration_due", "2026")["date"], "2027-09-30");
    assert_eq!(find(&ev, "surrender_due", "2026")["date"], "2027-09-30");
    assert_eq!(
        find(&ev, "certificate_sales_start", "2026")["date"],
        "2027-02-01"
    );
    assert_eq!(find(&ev, "holding_check", "2027Q1")["date"], "2027-03-31");
    // No holding check in 2026 (it starts in 2027).
    assert!(
        !ev.iter()
            .any(|e| e["kind"] == "holding_check"
                && e["period"].as_str().unwrap().starts_with("2026"))
    );
    let table = {
        let mut c = cbam();
        c.args(["deadlines", "--today", "2026-11-23"]);
        String::from_utf8(run(c).stdout).unwrap()
    };
    assert!(
        table.contains("2027-09-30") && table.contains("declaration_due"),
        "{table}"
    );
}

#[test]
fn bad_today_is_a_usage_error() {
    let mut c = cbam();
    c.args(["deadlines", "--today", "2025-02-30"]);
    let o = run(c);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--today"));
}
