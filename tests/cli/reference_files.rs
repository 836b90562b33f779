//! Issue 14, "every reference file parses whole or is refused": factor files, rules, supplier
//! profiles, price files, baselines. Each test breaks a file that loads today and checks the
//! run refuses it (exit 2) naming file, line and key, where it used to read it in part.

use super::*;

/// `greenlang/emission_factors.py` with `from` replaced by `to` (once), written to `dir`.
fn mutated_factor_file(dir: &Path, from: &str, to: &str) -> PathBuf {
    let src = std::fs::read_to_string(fixture("greenlang/emission_factors.py")).unwrap();
    assert!(src.contains(from), "{from}");
    let p = dir.join("emission_factors.py");
    std::fs::write(&p, src.replacen(from, to, 1)).unwrap();
    p
}

fn report_with(dir: &Path, extra: &[&str]) -> Output {
    run(report_cmd(
        &fixture("shipments_2025q4.csv"),
        &dir.join("report.json"),
        extra,
    ))
}

fn line_of(file: &Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(file).unwrap();
    1 + text.lines().position(|l| l.contains(needle)).expect(needle)
}

#[test]
fn factor_file_with_a_syntax_error_is_refused_not_read_without_the_dict() {
    let d = tmp();
    // The comma after STEEL_FACTORS' first entry's product group: the whole dict used to be
    // dropped, its goods getting CA006 only.
    let p = mutated_factor_file(
        d.path(),
        "\"cbam_product_group\": \"steel\",",
        "\"cbam_product_group\": \"steel\"",
    );
    let o = report_with(d.path(), &["--emission-factors", p.to_str().unwrap()]);
    let e = stderr(&o);
    assert_eq!(code(&o), 2, "{e}");
    let line = line_of(&p, "\"cbam_product_group\": \"steel\"") + 1;
    assert!(
        e.contains(&format!("emission_factors.py: line {line}: column ")),
        "{e}"
    );
    assert!(e.contains("STEEL_FACTORS"), "{e}");
    assert!(!d.path().join("report.json").exists());
}

#[test]
fn factor_entry_with_a_misspelt_key_is_refused_naming_line_key_and_the_keys_expected() {
    let d = tmp();
    for (from, to, key) in [
        // Indirect used to be read as 0.
        (
            "\"default_indirect_tco2_per_ton\": 0.134,",
            "\"default_indirect_tco2_per_tonne\": 0.134,",
            "default_indirect_tco2_per_tonne",
        ),
        // The entry used to be skipped whole.
        (
            "\"cn_codes\": [\"25231000\"],",
            "\"cn_code\": [\"25231000\"],",
            "cn_code",
        ),
    ] {
        let p = mutated_factor_file(d.path(), from, to);
        let o = report_with(d.path(), &["--emission-factors", p.to_str().unwrap()]);
        let e = stderr(&o);
        assert_eq!(code(&o), 2, "{e}");
        let line = line_of(&p, &format!("\"{key}\""));
        assert!(
            e.contains(&format!("emission_factors.py: line {line}: CEMENT_FACTORS[\"cement_portland_grey\"]: key \"{key}\": not a key of a factor entry (expected one of: product_name, cbam_product_group, cn_codes,")),
            "{e}"
        );
    }
}

#[test]
fn factor_file_spreading_an_unknown_dict_or_repeating_a_key_is_refused() {
    let d = tmp();
    for (from, to, says) in [
        (
            "    **HYDROGEN_FACTORS,\n",
            "    **HYDROGEN_FACTOR,\n",
            "**HYDROGEN_FACTOR: no dict named HYDROGEN_FACTOR",
        ),
        (
            "\"default_total_tco2_per_ton\": 0.900,",
            "\"default_total_tco2_per_ton\": 0.900, \"source\": \"x\",",
            "key \"source\" is given twice",
        ),
    ] {
        let p = mutated_factor_file(d.path(), from, to);
        let o = report_with(d.path(), &["--emission-factors", p.to_str().unwrap()]);
        let e = stderr(&o);
        assert_eq!(code(&o), 2, "{e}");
        assert!(e.contains(says), "{e}");
    }
}

/// The report's findings with `code`, as JSON objects.
fn findings_of(r: &serde_json::Value, code: &str) -> Vec<serde_json::Value> {
    ["errors", "warnings", "infos"]
        .iter()
        .flat_map(|k| {
            r["validation_results"][k]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|f| f["code"] == code)
        .collect()
}

#[test]
fn report_warns_on_supplier_actuals_whose_total_is_not_direct_plus_indirect() {
    let d = tmp();
    let src = std::fs::read_to_string(fixture("suppliers.yaml")).unwrap();
    let p = d.path().join("suppliers.yaml");
    let from = "        total_emissions_tco2_per_ton: 2.116\n";
    assert!(src.contains(from));
    std::fs::write(
        &p,
        src.replacen(from, "        total_emissions_tco2_per_ton: 2.416\n", 1),
    )
    .unwrap();
    let out = d.path().join("report.json");
    let o = run(report_cmd(
        &fixture("shipments_2025q4.csv"),
        &out,
        &["--suppliers", p.to_str().unwrap()],
    ));
    // A warning: the line's figures are the supplier's direct and indirect, summed (SPEC §5).
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json(&out);
    let f = findings_of(&r, "CA013");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["severity"], "warning");
    assert_eq!(f[0]["shipment_id"], "FX-2025Q4-0004", "{}", f[0]);
    let m = f[0]["message"].as_str().unwrap();
    assert!(
        m.contains("supplier SUP-FX-01's actuals for CN 7208 10 00 are inconsistent: direct 1.912 + indirect 0.204 = 2.116, but the stated total is 2.416"),
        "{m}"
    );
    let g = r["detailed_goods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["shipment_id"] == "FX-2025Q4-0004")
        .unwrap();
    assert_eq!(g["emissions_calculation"]["total_emissions_tco2"], 39.675);
    // `suppliers audit` calls the same profile an error.
    let a = run({
        let mut c = cbam();
        c.args(["suppliers", "audit", "--suppliers", p.to_str().unwrap()]);
        c
    });
    assert!(String::from_utf8_lossy(&a.stdout).contains("total_mismatch"));
}

#[test]
fn verify_refuses_a_baseline_with_a_shipment_id_twice() {
    let d = tmp();
    let b = d.path().join("baseline.csv");
    std::fs::write(
        &b,
        "shipment_id,total\r\nFX-2025Q4-0001,1.5\r\nFX-2025Q4-0002,2\r\nFX-2025Q4-0001,1.5\r\n",
    )
    .unwrap();
    let mut c = cbam();
    c.args(["verify", "--sample-shipments"])
        .arg(fixture("shipments_2025q4.csv"))
        .arg("--expected")
        .arg(&b);
    let o = run(c);
    let e = stderr(&o);
    // Even with equal figures: the file is not one figure per shipment.
    assert_eq!(code(&o), 2, "{e}");
    assert!(
        e.contains(
            "baseline.csv: line 4: column shipment_id: \"FX-2025Q4-0001\" is on lines 2 and 4"
        ),
        "{e}"
    );
}
