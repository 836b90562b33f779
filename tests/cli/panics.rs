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
