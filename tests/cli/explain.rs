//! `cbam explain`: one shipment's trail, from a report or from the inputs.

use super::*;

fn explain(args: &[&str]) -> (i32, String) {
    let mut c = cbam();
    c.arg("explain").args(args);
    let o = run(c);
    (
        code(&o),
        format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o)),
    )
}

#[test]
fn a_calculated_line_shows_inputs_choice_and_arithmetic() {
    let input = fixture("shipments_2025q4.csv");
    let sup = fixture("suppliers.yaml");
    let (c, out) = explain(&[
        "--input",
        input.to_str().unwrap(),
        "--suppliers",
        sup.to_str().unwrap(),
        "FX-2025Q4-0004",
    ]);
    assert_eq!(c, 0, "{out}");
    for needle in [
        "net_mass_kg            18750",
        "SUP:SUP-FX-01:72081000 (actual_data)",
        "per-CN entry for 7208 10 00",
        "direct   = 18.75 × 1.912 = 35.85000 → 35.850",
        "total    = direct + indirect = 39.675",
    ] {
        assert!(out.contains(needle), "{needle:?} in\n{out}");
    }
}

#[test]
fn from_a_written_report_and_for_a_rejected_row() {
    let d = tmp();
    let r = d.path().join("r.json");
    assert_eq!(
        code(&run(report_cmd(&fixture("bad/row_checks.csv"), &r, &[]))),
        1
    );
    let (c, out) = explain(&["--report", r.to_str().unwrap(), "BAD-2025Q4-0008"]);
    assert_eq!(c, 0, "{out}");
    assert!(
        out.contains("NOT calculated") && out.contains("IN008") && out.contains("not positive"),
        "{out}"
    );
    let (c, out) = explain(&["--report", r.to_str().unwrap(), "NO-SUCH"]);
    assert_eq!(c, 2);
    assert!(out.contains("NO-SUCH"));
}

#[test]
fn from_the_inputs_with_every_reference_flag_of_report() {
    let d = tmp();
    let (input, dv) = super::verify::hydrogen_2026_with_own_default_values(d.path());
    let bench = root().join("data").join("cbam_benchmarks.csv");
    let (c, out) = explain(&[
        "--input",
        input.to_str().unwrap(),
        "--default-values",
        dv.to_str().unwrap(),
        "--benchmarks",
        bench.to_str().unwrap(),
        "V-1",
    ]);
    assert_eq!(c, 0, "{out}");
    // 1 t × 20.00 × 1.10: the given table, not the embedded one.
    assert!(
        out.contains("total    = 1 × 20.00 × (1 + 0.10) = 22.0000 → 22.000"),
        "{out}"
    );
    let bad = d.path().join("bad_benchmarks.csv");
    std::fs::write(&bad, "nothing,useful\n1,2\n").unwrap();
    let (c, out) = explain(&[
        "--input",
        input.to_str().unwrap(),
        "--benchmarks",
        bad.to_str().unwrap(),
        "V-1",
    ]);
    assert_eq!(c, 2, "{out}");
    assert!(out.contains("bad_benchmarks.csv"), "{out}");
}
