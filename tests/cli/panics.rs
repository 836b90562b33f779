//! Issue 14, "Panics (exit 101)": hostile dates, extreme figures and flags end in a finding
//! (exit 1) or a usage error (exit 2) that names its cause, never in a panic.

use super::*;

const HEADER: &str = "shipment_id,import_date,quarter,cn_code,product_group,product_description,origin_iso,origin_country,importer_name,importer_country,net_mass_kg,port_of_entry,importer_reference,has_actual_emissions,supplier_id,notes";

fn no_panic(o: &Output) {
    let e = stderr(o);
    assert!(!e.contains("panicked"), "{e}");
    assert_ne!(code(o), 101, "{e}");
}

/// Exit 2 and every needle in the message.
fn refused(o: &Output, needles: &[&str]) {
    no_panic(o);
    let e = stderr(o);
    assert_eq!(code(o), 2, "{e}");
    for n in needles {
        assert!(e.contains(n), "expected {n:?} in: {e}");
    }
}

/// 60 t of hot-rolled coil from China dated `date`, declared in `quarter`.
fn steel(dir: &Path, date: &str, quarter: &str) -> PathBuf {
    let p = dir.join("steel.csv");
    std::fs::write(
        &p,
        format!(
            "{HEADER}\nC-1,{date},{quarter},72081000,,goods,CN,,Imp BV,NL,60000,Rotterdam,R,NO,,\n"
        ),
    )
    .unwrap();
    p
}

#[test]
fn a_multibyte_character_in_a_date_is_a_finding_naming_the_line() {
    for date in [
        "2025-10-0é",
        "２０２５-10-01",
        "2025-10-01é",
        "2025-1é-01T00:00:00",
    ] {
        let d = tmp();
        let p = steel(d.path(), date, "2025Q4");
        let out = d.path().join("r.json");
        let o = run(report_cmd(&p, &out, &[]));
        no_panic(&o);
        assert_eq!(code(&o), 1, "{date}: {}", stderr(&o));
        let r = json(&out);
        assert!(
            finding_codes(&r).contains(&("IN004".to_string(), 1)),
            "{date}: {:?}",
            finding_codes(&r)
        );
        let e = r["validation_results"]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["code"] == "IN004")
            .unwrap();
        assert_eq!(e["line"], 2, "{date}");
    }
}

#[test]
fn deadlines_with_a_multibyte_date_is_a_usage_error() {
    for date in ["2025-10-0é", "２０２５-10-01"] {
        let o = run({
            let mut c = cbam();
            c.args(["deadlines", "--today", date]);
            c
        });
        refused(&o, &["--today"]);
    }
}

/// `cbam report` on 60 t of steel in 2026Q1 with `extra` flags.
fn steel_report(d: &Path, extra: &[&str]) -> Output {
    let p = steel(d, "2026-02-16", "2026Q1");
    let out = d.join("r.json");
    let o = run(report_cmd(&p, &out, extra));
    assert!(!out.exists() || code(&o) != 2);
    o
}

const HUGE: &str = "79228162514264337593543950335";

#[test]
fn an_extreme_certificate_price_is_refused_naming_file_line_and_column() {
    for price in [HUGE, "1000000.01"] {
        let d = tmp();
        let f = d.path().join("prices.csv");
        std::fs::write(&f, format!("quarter,price_eur,source\n2026Q1,{price},x\n")).unwrap();
        let o = steel_report(d.path(), &["--certificate-prices", f.to_str().unwrap()]);
        refused(&o, &["prices.csv", "line 2", "price_eur", "1000000"]);
    }
    // The bound itself is a price.
    let d = tmp();
    let f = d.path().join("prices.csv");
    std::fs::write(&f, "quarter,price_eur,source\n2026Q1,1000000,x\n").unwrap();
    let o = steel_report(d.path(), &["--certificate-prices", f.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn a_tiny_certificate_price_with_a_carbon_price_does_not_overflow() {
    let d = tmp();
    let f = d.path().join("prices.csv");
    std::fs::write(
        &f,
        "quarter,price_eur,source\n2026Q1,0.0000000000000000000000000001,x\n",
    )
    .unwrap();
    let cp = d.path().join("carbon.csv");
    std::fs::write(
        &cp,
        "origin_iso,cn_code,year,price_paid_eur_per_tco2e,evidence\nKR,*,2026,1000000,e\n",
    )
    .unwrap();
    let sup = d.path().join("sup.yaml");
    std::fs::write(
        &sup,
        "suppliers:\n  - supplier_id: SUP-K\n    cn_codes_produced: ['72081000']\n    actual_emissions_data:\n      direct_emissions_tco2_per_ton: 1.9\n      indirect_emissions_tco2_per_ton: 0.2\n      reporting_year: 2025\n",
    )
    .unwrap();
    let p = d.path().join("actual.csv");
    std::fs::write(
        &p,
        format!("{HEADER}\nA-1,2026-02-16,2026Q1,72081000,,goods,KR,,Imp BV,NL,60000,Rotterdam,R,YES,SUP-K,\n"),
    )
    .unwrap();
    let out = d.path().join("r.json");
    let o = run(report_cmd(
        &p,
        &out,
        &[
            "--suppliers",
            sup.to_str().unwrap(),
            "--certificate-prices",
            f.to_str().unwrap(),
            "--carbon-prices",
            cp.to_str().unwrap(),
        ],
    ));
    no_panic(&o);
    let r = json(&out);
    assert_eq!(code(&o), 0, "{}", r["validation_results"]["errors"]);
    // 114 × 10^6 / 10^-28 overflows: the deduction is all of gross − FAA (114 − 2.574).
    let g = &r["certificate_obligation"]["goods"][0];
    assert_eq!(g["carbon_price_deduction_tco2"].to_string(), "111.426");
    assert_eq!(g["net_emissions_tco2"].to_string(), "0.000");
}

#[test]
fn an_extreme_carbon_price_is_refused_naming_file_line_and_column() {
    let d = tmp();
    let cp = d.path().join("carbon.csv");
    std::fs::write(
        &cp,
        format!("origin_iso,cn_code,year,price_paid_eur_per_tco2e,evidence\nCN,*,2026,{HUGE},e\n"),
    )
    .unwrap();
    let o = steel_report(d.path(), &["--carbon-prices", cp.to_str().unwrap()]);
    refused(
        &o,
        &[
            "carbon.csv",
            "line 2",
            "price_paid_eur_per_tco2e",
            "1000000",
        ],
    );
}

#[test]
fn an_extreme_benchmark_is_refused_naming_file_line_and_column() {
    for (col, a, b) in [("column_b", "1", HUGE), ("column_a", "-1000.5", "1")] {
        let d = tmp();
        let f = d.path().join("bench.csv");
        std::fs::write(
            &f,
            format!(
                "cn_code,sector,route,production_years,column_a,column_b,source\n72081000,iron_steel,,,{a},{b},x\n"
            ),
        )
        .unwrap();
        let o = steel_report(d.path(), &["--benchmarks", f.to_str().unwrap()]);
        refused(&o, &["bench.csv", "line 2", col, "1000 tCO2e/t"]);
    }
}

fn verify(d: &Path, actual: &str, expected: &str, extra: &[&str]) -> Output {
    let a = d.join("actual.csv");
    let e = d.join("expected.csv");
    std::fs::write(&a, actual).unwrap();
    std::fs::write(&e, expected).unwrap();
    run({
        let mut c = cbam();
        c.arg("verify")
            .arg("--actual")
            .arg(&a)
            .arg("--expected")
            .arg(&e)
            .args(extra);
        c
    })
}

#[test]
fn verify_with_extreme_figures_or_relative_tolerance_is_refused() {
    let ok = "shipment_id,total\nA,1\nB,2\n";
    let d = tmp();
    // Two figures whose sum would overflow.
    let huge = format!("shipment_id,total\nA,{HUGE}\nB,{HUGE}\n");
    let o = verify(d.path(), ok, &huge, &[]);
    refused(&o, &["expected.csv", "line 2", "total"]);
    let o = verify(d.path(), &huge, ok, &[]);
    refused(&o, &["actual.csv", "line 2", "total"]);
    // A JSON baseline: named by shipment.
    let e = d.path().join("baseline.json");
    std::fs::write(
        &e,
        format!(r#"{{"A": {{"total": {HUGE}}}, "B": {{"total": "-{HUGE}"}}}}"#),
    )
    .unwrap();
    let a = d.path().join("a.csv");
    std::fs::write(&a, ok).unwrap();
    let o = run({
        let mut c = cbam();
        c.arg("verify")
            .arg("--actual")
            .arg(&a)
            .arg("--expected")
            .arg(&e);
        c
    });
    refused(&o, &["baseline.json", "total"]);
    for rel in [HUGE, "-0.5"] {
        let o = verify(d.path(), ok, ok, &[&format!("--relative={rel}")]);
        refused(&o, &["--relative", "0 to 1000"]);
    }
    // Within the bounds: compared as before.
    let o = verify(d.path(), ok, ok, &["--relative", "1000"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn a_generated_at_outside_2000_to_9999_is_refused() {
    for t in [
        "@9223372036854775807",
        "@-9223372036854775808",
        "@0",
        "@253402300800",
        "1999-12-31",
    ] {
        let d = tmp();
        let out = d.path().join("r.json");
        // `report_cmd` pins --generated-at, which cannot be given twice: the same run without.
        let mut c = cbam();
        c.arg("report")
            .arg("--input")
            .arg(steel(d.path(), "2026-02-16", "2026Q1"));
        c.arg("--output").arg(&out);
        c.args(["--importer-name", "I", "--importer-country", "NL"]);
        c.args(["--importer-eori", "NL123456789012", "--declarant-name", "J"]);
        c.args(["--declarant-position", "P", &format!("--generated-at={t}")]);
        let o = run(c);
        refused(&o, &["--generated-at", "2000-01-01", t]);
        assert!(!out.exists());
    }
    let o = run({
        let mut c = cbam();
        c.args(["deadlines"])
            .env("SOURCE_DATE_EPOCH", "9223372036854775807");
        c
    });
    refused(&o, &["SOURCE_DATE_EPOCH"]);
}

#[test]
fn threads_outside_1_to_1024_is_a_usage_error() {
    for n in ["0", "1025", "100000"] {
        let o = run({
            let mut c = cbam();
            c.args(["--threads", n, "deadlines", "--today", "2026-01-15"]);
            c
        });
        refused(&o, &["--threads"]);
    }
    let o = run({
        let mut c = cbam();
        c.args(["--threads", "1024", "deadlines", "--today", "2026-01-15"]);
        c
    });
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}
