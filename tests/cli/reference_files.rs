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

/// `report` of the 2026 fixture with `flag` naming a file `name` holding `content`: refused
/// (exit 2, no report) with every one of `needles` in the message.
fn refused_reference(flag: &str, name: &str, content: &str, needles: &[&str]) {
    let d = tmp();
    let p = d.path().join(name);
    std::fs::write(&p, content).unwrap();
    let out = d.path().join("report.json");
    let o = run(report_cmd(
        &fixture("shipments_2026.csv"),
        &out,
        &[flag, p.to_str().unwrap()],
    ));
    let e = stderr(&o);
    assert_eq!(code(&o), 2, "{flag} {name}: {e}");
    for n in needles {
        assert!(e.contains(n), "{flag} {name}: {n:?} not in {e}");
    }
    assert!(!out.exists());
}

#[test]
fn supplier_profile_with_a_misspelt_key_is_refused_naming_line_and_key() {
    let src = std::fs::read_to_string(fixture("suppliers.yaml")).unwrap();
    let from = "        indirect_emissions_tco2_per_ton: 0.204\n";
    let line = 1 + src.lines().position(|l| format!("{l}\n") == from).unwrap();
    refused_reference(
        "--suppliers",
        "suppliers.yaml",
        &src.replacen(from, "        indirect_emissions_tco2_per_tonne: 0.204\n", 1),
        &[
            &format!("suppliers.yaml: not a supplier profile file: error: line {line} column 9: unknown field `indirect_emissions_tco2_per_tonne`, expected one of"),
        ],
    );
    refused_reference(
        "--suppliers",
        "suppliers.yaml",
        &src.replacen("    cn_codes_produced:\n", "    cn_codes_prodcued:\n", 1),
        &["unknown field `cn_codes_prodcued`"],
    );
}

#[test]
fn rules_file_with_an_unknown_top_level_key_is_refused() {
    let src = std::fs::read_to_string(root().join("rules/cbam_rules.yaml")).unwrap();
    assert!(src.contains("\npolicy:\n"));
    refused_reference(
        "--rules",
        "rules.yaml",
        &src.replacen("\npolicy:\n", "\npolcy:\n", 1),
        &["unknown field `polcy`"],
    );
}

#[test]
fn price_files_refuse_an_entry_twice_an_unknown_column_and_a_field_spanning_lines() {
    refused_reference(
        "--certificate-prices",
        "prices.csv",
        "quarter,price_eur,source\r\n2026Q3,80,a\r\n2026Q4,81,b\r\n2026-Q3,82,c\r\n",
        &["prices.csv: line 4: column quarter: expected each quarter once (it is on line 2 too)"],
    );
    refused_reference(
        "--certificate-prices",
        "prices.csv",
        "quarter,price_eur,sourse\n2026Q3,80,a\n",
        &["prices.csv: line 1: (header): column \"sourse\" is not a column of this file"],
    );
    refused_reference(
        "--certificate-prices",
        "prices.csv",
        "quarter,price_eur,source\n2026Q3,80,\"a\n2026Q4,81,b\"\n2027Q1,82,c\n",
        &["prices.csv: line 2: column source: a quoted field spans lines 2-3"],
    );
    refused_reference(
        "--carbon-prices",
        "carbon.csv",
        "origin_iso,cn_code,year,price_paid_eur_per_tco2e,evidence\nCN,*,2026,10,a\nCN,,2026,12,b\n",
        &["carbon.csv: line 3: column cn_code: expected one price per origin, good and year (CN, , 2026 is on line 2 too)"],
    );
}

#[test]
fn factor_files_in_cbam_formats_refuse_a_code_twice_and_an_unknown_column_or_key() {
    refused_reference(
        "--emission-factors",
        "factors.csv",
        "cn_code,direct,indirect,totl\n72081000,1.5,0.2,1.7\n",
        &["factors.csv: line 1: (header): column \"totl\" is not a column of this file (expected: cn_code, direct, indirect, total, description, source)"],
    );
    refused_reference(
        "--emission-factors",
        "factors.csv",
        "cn_code,direct,indirect\n72081000,1.5,0.2\n7208 10 00,1.6,0.2\n",
        &["factors.csv: line3: cn code 72081000 is given twice (line2 and line3)"],
    );
    refused_reference(
        "--emission-factors",
        "factors.json",
        "{\"steel\": {\"cn_code\": \"72081000\", \"direct\": 1.5, \"indirect_tco2\": 0.2}}",
        &["factors.json: steel: key \"indirect_tco2\": not a key of a factor entry"],
    );
    refused_reference(
        "--emission-factors",
        "factors.json",
        "{\"steel\": {\"cn_code\": \"72081000\", \"direct\": 1.5},\n \"steel\": {\"cn_code\": \"72081000\", \"direct\": 9}}",
        &["factors.json: line 2:", "duplicate key \"steel\""],
    );
    refused_reference(
        "--emission-factors",
        "factors.yaml",
        "factors:\n  - cn_code: '72081000'\n    direct: 1.5\n    indirct: 0.2\n",
        &["factors.yaml:", "line 4", "unknown field `indirct`"],
    );
}

#[test]
fn cn_code_list_with_a_code_twice_is_refused() {
    refused_reference(
        "--cn-codes",
        "cn_codes.json",
        "{\"72081000\": {\"product_group\": \"steel\"},\n \"72081000\": {\"product_group\": \"aluminum\"}}",
        &["cn_codes.json: line 2:", "duplicate key \"72081000\""],
    );
}

#[test]
fn benchmarks_and_template_map_refuse_an_entry_twice() {
    let head = "cn_code,sector,route,production_years,column_a,column_b,source\n";
    refused_reference(
        "--benchmarks",
        "benchmarks.csv",
        &format!("{head}72081000,iron_steel,C,,1.37,1.37,a\n72081000,iron_steel,E,,0.08,0.08,b\n72081000,iron_steel,C,,1.50,1.50,c\n"),
        &["benchmarks.csv: line 4: column cn_code: expected each code, route and production years once (line 2 has them too)"],
    );
    let d = tmp();
    let map = d.path().join("map.csv");
    std::fs::write(
        &map,
        "supplier_id,template\nSUP-A,anatolia_rolling_v2.1.1.xlsx\nSUP-B,anatolia_rolling_v2.1.1.xlsx\n",
    )
    .unwrap();
    let out = d.path().join("report.json");
    let o = run(report_cmd(
        &fixture("templates/shipments_2025q4_templates.csv"),
        &out,
        &[
            "--supplier-templates",
            fixture("templates/anatolia_rolling_v2.1.1.xlsx")
                .to_str()
                .unwrap(),
            "--supplier-template-map",
            map.to_str().unwrap(),
        ],
    ));
    let e = stderr(&o);
    assert_eq!(code(&o), 2, "{e}");
    assert!(e.contains("map.csv: line 3: column template: expected each template once (it is mapped to \"SUP-A\" on an earlier line)"), "{e}");
}
