//! Supplier actuals from the EU Communication template: `cbam suppliers import` and
//! `cbam report --supplier-templates`. The workbooks in fixtures/templates are synthetic
//! (make_templates.py, openpyxl) in the v2.1.1 layout; the Commission's own seven examples are
//! tested in `official` below (feature `shared-reference`).

use super::*;

fn tpl(p: &str) -> PathBuf {
    fixture(&format!("templates/{p}"))
}

fn import(files: &[PathBuf], out: &Path, extra: &[&str]) -> Output {
    let mut c = cbam();
    c.args(["suppliers", "import"])
        .args(files)
        .arg("--output")
        .arg(out)
        .args(extra);
    run(c)
}

fn report_with_templates(input: &Path, out: &Path, extra: &[&str]) -> Output {
    let templates = tpl("anatolia_rolling_v2.1.1.xlsx");
    let map = tpl("template_map.csv");
    let mut args = vec![
        "--supplier-templates",
        templates.to_str().unwrap(),
        "--supplier-template-map",
        map.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(report_cmd(input, out, &args))
}

#[test]
fn import_writes_every_value_with_its_cell() {
    let d = tmp();
    let out = d.path().join("s.yaml");
    let o = import(
        &[tpl("anatolia_rolling_v2.1.1.xlsx")],
        &out,
        &["--supplier-id", "SUP-ANATOLIA"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let yaml = std::fs::read_to_string(&out).unwrap();
    for needle in [
        "supplier_id: 'SUP-ANATOLIA'",
        "company_name: 'Anatolia Rolling Mill A.S.'",
        "unlocode_normalised: 'TRISK'",
        "start: '2024-01-01'",
        "- cn_code: '72081000'",
        // Exactly as the cell holds them: no float on the way.
        "direct_emissions_tco2_per_ton: 1.8123456789",
        "indirect_emissions_tco2_per_ton: 0.2345678901",
        "total_emissions_tco2_per_ton: 2.046913569",
        "electricity_ef_tco2_per_mwh: 0.670194",
        "direct_emissions_tco2_per_ton: 'I26'",
        "total_emissions_tco2_per_ton: 'K27'",
        "version: '2.1.1'",
    ] {
        assert!(yaml.contains(needle), "{needle:?} missing in:\n{yaml}");
    }
    insta::with_settings!({snapshot_path => "../../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("template_import_synthetic", yaml);
    });
    // The written profiles are what --suppliers reads.
    let r = d.path().join("r.json");
    let o = run(report_cmd(
        &tpl("shipments_2025q4_templates.csv"),
        &r,
        &["--suppliers", out.to_str().unwrap()],
    ));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let via_yaml = json(&r);
    let r2 = d.path().join("r2.json");
    assert_eq!(
        code(&report_with_templates(
            &tpl("shipments_2025q4_templates.csv"),
            &r2,
            &[]
        )),
        0
    );
    let direct = json(&r2);
    assert_eq!(
        via_yaml["emissions_summary"], direct["emissions_summary"],
        "import then report = report from the template"
    );
}

#[test]
fn report_uses_template_actuals_and_names_the_cells() {
    let d = tmp();
    let out = d.path().join("r.json");
    let o = report_with_templates(&tpl("shipments_2025q4_templates.csv"), &out, &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json(&out);
    let g = &r["detailed_goods"];
    let calc = |i: usize| &g[i]["emissions_calculation"];
    assert_eq!(calc(0)["calculation_method"], "actual_data");
    assert_eq!(calc(0)["factor_id"], "SUP:SUP-ANATOLIA:72081000");
    // 21.5 t × 1.8123456789 = 38.96543209635 → 38.965; × 0.2345678901 = 5.04320963715 → 5.043.
    assert_eq!(calc(0)["direct_emissions_tco2"].to_string(), "38.965");
    assert_eq!(calc(0)["indirect_emissions_tco2"].to_string(), "5.043");
    let trail = calc(0)["trail"][0].as_str().unwrap();
    assert!(
        trail.starts_with("supplier actuals read from anatolia_rolling_v2.1.1.xlsx (sha256 ")
            && trail.ends_with("Summary_Communication!I26 (direct), J26 (indirect), K26 (total)"),
        "{trail}"
    );
    assert!(calc(1)["trail"][0]
        .as_str()
        .unwrap()
        .contains("!I27 (direct)"));
    // A code the template does not list: a finding, and the EU default.
    assert_eq!(calc(2)["calculation_method"], "default_values");
    let w = &r["validation_results"]["warnings"][0];
    assert_eq!(w["code"], "CA004");
    assert_eq!(w["shipment_id"], "TPL-2025Q4-0003");
    // The template is in the provenance with its digest.
    let refs = r["provenance"]["reference_data"].as_array().unwrap();
    let t = refs
        .iter()
        .find(|x| x["role"] == "supplier_template")
        .unwrap();
    assert_eq!(t["file_name"], "anatolia_rolling_v2.1.1.xlsx");
    assert_eq!(t["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn stale_template_data_is_refused() {
    // Template data for 2024; a shipment of 2027 is more than two years later (the default
    // policy's stale_after_years): the EU default value applies, with CA005.
    let d = tmp();
    let input = d.path().join("s.csv");
    std::fs::write(
        &input,
        "shipment_id,import_date,quarter,cn_code,origin_iso,net_mass_kg,has_actual_emissions,supplier_id\n\
         T-1,2027-01-15,2027Q1,72081000,TR,1000,YES,SUP-ANATOLIA\n",
    )
    .unwrap();
    let out = d.path().join("r.json");
    let o = report_with_templates(&input, &out, &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json(&out);
    assert_eq!(
        r["detailed_goods"][0]["emissions_calculation"]["calculation_method"],
        "default_values"
    );
    let codes: Vec<&str> = r["validation_results"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"CA005"), "{codes:?}");
}

#[test]
fn damaged_templates_name_sheet_and_cell() {
    let d = tmp();
    let cut = d.path().join("cut.xlsx");
    let bytes = std::fs::read(tpl("anatolia_rolling_v2.1.1.xlsx")).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    for (file, needle) in [
        (tpl("bad/renamed_sheet.xlsx"), "no sheet named \"Summary_Communication\""),
        (
            tpl("bad/shifted_header.xlsx"),
            "Summary_Communication!I25: the layout of the Communication template v2.1.1 does not match: expected a header starting \"SEE (direct)\", found \"SEE (indirect)\"",
        ),
        (
            tpl("bad/text_in_number.xlsx"),
            "Summary_Communication!J27: SEE (indirect): expected a number, found the text \"0,2345678901\"",
        ),
        (
            tpl("bad/uncached.xlsx"),
            "Summary_Communication!I26: row 26 names CN 7208 10 00 but its SEE cells (I26:K26) hold no value: the workbook was saved without its formulas' cached values",
        ),
        (cut.clone(), "cannot read the workbook"),
        (fixture("shipments_2025q4.csv"), "cannot read the workbook"),
    ] {
        let out = d.path().join("s.yaml");
        let o = import(std::slice::from_ref(&file), &out, &[]);
        assert_eq!(code(&o), 2, "{}: {}", file.display(), stderr(&o));
        assert!(stderr(&o).contains(needle), "{}: expected {needle:?} in {}", file.display(), stderr(&o));
        assert!(!out.exists());
        // The same refusal when a report is asked to use it.
        let r = d.path().join("r.json");
        let mut c = report_cmd(&fixture("shipments_2025q4.csv"), &r, &[]);
        c.arg("--supplier-templates").arg(&file);
        let o = run(c);
        assert_eq!(code(&o), 2);
        assert!(!r.exists());
    }
}

#[test]
fn blank_template_is_no_data_not_zeros() {
    let d = tmp();
    let out = d.path().join("s.yaml");
    let o = import(&[tpl("bad/blank_v2.1.1.xlsx")], &out, &[]);
    assert_eq!(code(&o), 1);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("TP001") && text.contains("the template holds no product data"),
        "{text}"
    );
    assert!(text.contains("nothing imported"), "{text}");
    assert!(!out.exists(), "no profile of zeros written");
}

#[test]
fn template_checks_are_findings() {
    let d = tmp();
    let out = d.path().join("s.yaml");
    let o = import(
        &[tpl("bad/checks_inconsistent.xlsx")],
        &out,
        &["--format", "json"],
    );
    assert_eq!(code(&o), 1, "a TP002 error: {}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["cell"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert!(
        f.contains(&("TP002".into(), "Summary_Communication!K27".into())),
        "{f:?}"
    );
    assert!(
        f.contains(&("TP005".into(), "Summary_Communication!M26".into())),
        "{f:?}"
    );
    assert!(
        f.contains(&("TP008".into(), "Summary_Communication!G17".into())),
        "{f:?}"
    );
    assert!(
        f.contains(&("TP010".into(), "Summary_Communication!I28".into())),
        "{f:?}"
    );
    // Row 27 (inconsistent) is left out, row 26 imported.
    assert_eq!(
        v["templates"][0]["cn_codes"],
        serde_json::json!(["72081000"])
    );
    let yaml = std::fs::read_to_string(&out).unwrap();
    assert!(!yaml.contains("'72085100'"));
}

#[test]
fn merge_keeps_the_other_suppliers_exactly() {
    let d = tmp();
    let out = d.path().join("suppliers.yaml");
    std::fs::copy(fixture("suppliers.yaml"), &out).unwrap();
    let o = import(
        &[tpl("anatolia_rolling_v2.1.1.xlsx")],
        &out,
        &["--supplier-id", "SUP-ANATOLIA", "--merge"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let yaml = std::fs::read_to_string(&out).unwrap();
    assert!(
        yaml.contains("supplier_id: 'SUP-ANATOLIA'") && yaml.contains("supplier_id: 'SUP-FX-06'")
    );
    // The fixture's report is unchanged with the merged file.
    let (a, b) = (d.path().join("a.json"), d.path().join("b.json"));
    let orig = fixture("suppliers.yaml");
    assert_eq!(
        code(&run(report_cmd(
            &fixture("shipments_2025q4.csv"),
            &a,
            &["--suppliers", orig.to_str().unwrap()]
        ))),
        0
    );
    assert_eq!(
        code(&run(report_cmd(
            &fixture("shipments_2025q4.csv"),
            &b,
            &["--suppliers", out.to_str().unwrap()]
        ))),
        0
    );
    assert_eq!(json(&a)["emissions_summary"], json(&b)["emissions_summary"]);
    assert_eq!(json(&a)["detailed_goods"], json(&b)["detailed_goods"]);
    // Importing again replaces the supplier, not duplicates it.
    let o = import(
        &[tpl("anatolia_rolling_v2.1.1.xlsx")],
        &out,
        &["--supplier-id", "SUP-ANATOLIA", "--merge"],
    );
    assert_eq!(code(&o), 0);
    assert_eq!(
        std::fs::read_to_string(&out)
            .unwrap()
            .matches("supplier_id: 'SUP-ANATOLIA'")
            .count(),
        1
    );
}

#[test]
fn supplier_id_names_one_template_only() {
    let d = tmp();
    let out = d.path().join("s.yaml");
    let a = tpl("anatolia_rolling_v2.1.1.xlsx");
    let o = import(&[a.clone(), a], &out, &["--supplier-id", "X"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("--supplier-id: names the supplier of one template"),
        "{}",
        stderr(&o)
    );
}

#[cfg(feature = "shared-reference")]
mod official {
    use super::*;

    fn example(n: usize) -> PathBuf {
        let dir = root().join("../shared/reference/official/communication_template_examples");
        let prefix = format!("{n} CBAM");
        std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&prefix)
            })
            .unwrap()
    }

    /// SEE per CN code as openpyxl (data_only=True) read the cached values of
    /// Summary_Communication, independently of calamine: (example, CN, direct, indirect, total).
    const GOLDEN: &[(usize, &str, &str, &str, &str)] = &[
        (
            1,
            "25232900",
            "0.7852147410358565",
            "0.12224275",
            "0.9074574910358565",
        ),
        (
            2,
            "72081000",
            "1.5389760645578654",
            "0.20355398249999998",
            "1.7425300470578653",
        ),
        (
            2,
            "73021028",
            "1.5389760645578654",
            "0.20355398249999998",
            "1.7425300470578653",
        ),
        (
            3,
            "72189911",
            "1.001490412107485",
            "1.3784244289950602",
            "2.3799148411025453",
        ),
        (
            3,
            "73041100",
            "1.4396064877810097",
            "1.7314815131305727",
            "3.1710880009115825",
        ),
        (
            4,
            "73181542",
            "2.0069382352941174",
            "0.4066",
            "2.4135382352941175",
        ),
        (
            4,
            "73181535",
            "1.9524475609756098",
            "2.2787951219512195",
            "4.23124268292683",
        ),
        (
            5,
            "31052010",
            "0.309635112356",
            "0.0538767",
            "0.363511812356",
        ),
        (6, "76011010", "1.555", "6.15", "7.705"),
        (
            6,
            "76051900",
            "1.698079646017699",
            "6.9119469026548686",
            "8.610026548672568",
        ),
    ];

    #[test]
    fn the_seven_official_examples_import() {
        let d = tmp();
        let out = d.path().join("s.yaml");
        let files: Vec<PathBuf> = (1..=7).map(example).collect();
        let o = import(&files, &out, &["--format", "json"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let templates = v["templates"].as_array().unwrap();
        assert_eq!(templates.len(), 7);
        for (n, cn, direct, indirect, total) in GOLDEN {
            let t = &templates[n - 1];
            assert_eq!(t["version"], "2.1");
            let e = t["profile"]["actual_emissions_by_cn"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["cn_code"] == *cn)
                .unwrap_or_else(|| panic!("example {n}: CN {cn} not imported"));
            assert_eq!(
                e["direct_emissions_tco2_per_ton"].to_string(),
                *direct,
                "example {n} CN {cn}"
            );
            assert_eq!(
                e["indirect_emissions_tco2_per_ton"].to_string(),
                *indirect,
                "example {n} CN {cn}"
            );
            assert_eq!(
                e["total_emissions_tco2_per_ton"].to_string(),
                *total,
                "example {n} CN {cn}"
            );
        }
        // Example 4, the figures rounded: 2.00694 / 0.40660 / 2.41354.
        let e4 = &templates[3]["profile"];
        assert_eq!(e4["installation"]["name"], "Example Screw Production Plant");
        assert_eq!(e4["installation"]["unlocode_normalised"], "USABC");
        assert_eq!(e4["reporting_period"]["end"], "2023-12-31");
        // Example 3: a carbon price paid, per tonne of product.
        let cp = &templates[2]["profile"]["actual_emissions_by_cn"][0]["carbon_price"];
        assert_eq!(cp["instrument"], "Carbon Tax");
        assert_eq!(cp["currency"], "USD");
        assert_eq!(cp["amount_per_t"].to_string(), "14.38090967062668");
        // Example 7: hydrogen under two processes with different SEE: kept apart, not guessed.
        let e7 = &templates[6]["profile"];
        assert_eq!(e7["ambiguous_cn_codes"], serde_json::json!(["28041000"]));
        assert_eq!(e7["actual_emissions_by_cn"], serde_json::json!([]));
        let findings: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        assert_eq!(findings, ["TP009"]);
        let yaml = std::fs::read_to_string(&out).unwrap();
        insta::with_settings!({snapshot_path => "../../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!("template_import_official_examples", yaml);
        });
    }

    #[test]
    fn the_blank_official_template_is_no_data() {
        let d = tmp();
        let out = d.path().join("s.yaml");
        let blank =
            root().join("../shared/reference/official/communication_template_v2.1.1_blank.xlsx");
        let o = import(&[blank], &out, &[]);
        assert_eq!(code(&o), 1);
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains("template v2.1.1") && text.contains("TP001"),
            "{text}"
        );
        assert!(!out.exists());
    }

    #[test]
    fn a_report_uses_example_4_and_names_file_and_cell() {
        let d = tmp();
        let input = d.path().join("s.csv");
        std::fs::write(
            &input,
            "shipment_id,import_date,quarter,cn_code,origin_iso,net_mass_kg,has_actual_emissions,supplier_id\n\
             S-1,2024-11-05,2024Q4,73181542,US,10000,YES,SUP-SCREWS\n\
             S-2,2024-11-06,2024Q4,28041000,JP,1000,YES,SUP-H2\n",
        )
        .unwrap();
        let map = d.path().join("map.csv");
        let e4 = example(4);
        let e7 = example(7);
        std::fs::write(
            &map,
            format!(
                "supplier_id,template\nSUP-SCREWS,{}\nSUP-H2,{}\n",
                e4.file_name().unwrap().to_string_lossy(),
                e7.file_name().unwrap().to_string_lossy()
            ),
        )
        .unwrap();
        let out = d.path().join("r.json");
        let mut c = report_cmd(
            &input,
            &out,
            &["--supplier-template-map", map.to_str().unwrap()],
        );
        c.arg("--supplier-templates").arg(&e4).arg(&e7);
        let o = run(c);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let r = json(&out);
        let c0 = &r["detailed_goods"][0]["emissions_calculation"];
        assert_eq!(c0["calculation_method"], "actual_data");
        assert_eq!(
            c0["emission_factor_direct_tco2_per_ton"].to_string(),
            "2.0069382352941174"
        );
        // 10 t × 2.0069382352941174 = 20.069 t; × 0.4066 = 4.066 t.
        assert_eq!(c0["direct_emissions_tco2"].to_string(), "20.069");
        assert_eq!(c0["indirect_emissions_tco2"].to_string(), "4.066");
        let trail = c0["trail"][0].as_str().unwrap();
        assert!(trail.contains("4 CBAM SEE V2.1_Example Steel 3 Screws and nuts_final.xlsx (sha256 47512690d157640b) Summary_Communication!I26 (direct), J26 (indirect), K26 (total)"), "{trail}");
        // Hydrogen from example 7: two processes, so the default value, with CA012.
        assert_eq!(
            r["detailed_goods"][1]["emissions_calculation"]["calculation_method"],
            "default_values"
        );
        let codes: Vec<&str> = r["validation_results"]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        assert!(
            codes.contains(&"CA012") && codes.contains(&"TP009"),
            "{codes:?}"
        );
    }
}

/// `--xml` describes the goods with the same suppliers the report used, templates included:
/// the production country is the template installation's, not the shipment's origin.
#[test]
fn xml_uses_the_template_suppliers_the_report_used() {
    let d = tmp();
    let input = d.path().join("s.csv");
    std::fs::write(
        &input,
        "shipment_id,import_date,quarter,cn_code,origin_iso,net_mass_kg,has_actual_emissions,supplier_id\n\
         T-1,2025-10-15,2025Q4,72081000,CN,1000,YES,SUP-ANATOLIA\n",
    )
    .unwrap();
    let out = d.path().join("r.json");
    let xml = d.path().join("r.xml");
    let o = report_with_templates(
        &input,
        &out,
        &[
            "--xml",
            xml.to_str().unwrap(),
            "--declarant-city",
            "Rotterdam",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(&xml).unwrap();
    assert!(
        text.contains("<ProductionCountry>TR</ProductionCountry>"),
        "{text}"
    );
    // The template's 1.8123456789 in the registry's dec16-7.
    assert!(
        text.contains("<SpecificEmbeddedEmissions>1.8123457</SpecificEmbeddedEmissions>"),
        "{text}"
    );
}
