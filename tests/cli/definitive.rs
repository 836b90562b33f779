//! The definitive period (2026 onward): default values per origin with mark-ups, Annex II goods
//! direct only, the certificate obligation and de minimis. Every expectation is computed by
//! hand from the embedded tables (the comments show the arithmetic).

use super::report::line;
use super::*;

const HEADER: &str = "shipment_id,import_date,quarter,cn_code,product_group,product_description,origin_iso,origin_country,importer_name,importer_country,net_mass_kg,port_of_entry,importer_reference,has_actual_emissions,supplier_id,notes";

/// A shipments file from `(id, date, cn, origin, kg, actuals supplier)` rows.
fn shipments(dir: &Path, name: &str, rows: &[(&str, &str, &str, &str, &str, &str)]) -> PathBuf {
    let mut s = format!("{HEADER}\n");
    for (id, date, cn, origin, kg, sup) in rows {
        let q = format!(
            "{}Q{}",
            &date[..4],
            (date[5..7].parse::<u8>().unwrap() - 1) / 3 + 1
        );
        let yes = if sup.is_empty() { "NO" } else { "YES" };
        s.push_str(&format!(
            "{id},{date},{q},{cn},,goods,{origin},,Imp BV,NL,{kg},Rotterdam,R,{yes},{sup},\n"
        ));
    }
    let p = dir.join(name);
    std::fs::write(&p, s).unwrap();
    p
}

fn report(dir: &Path, input: &Path, extra: &[&str]) -> (Output, serde_json::Value) {
    let out = dir.join(format!(
        "{}.json",
        input.file_stem().unwrap().to_string_lossy()
    ));
    let o = run(report_cmd(input, &out, extra));
    assert!(matches!(code(&o), 0 | 1), "{}", stderr(&o));
    let r = json(&out);
    (o, r)
}

fn calc(r: &serde_json::Value, id: &str, field: &str) -> String {
    line(r, id)["emissions_calculation"][field].to_string()
}

fn codes(r: &serde_json::Value) -> Vec<String> {
    let v = &r["validation_results"];
    let mut out = Vec::new();
    for k in ["errors", "warnings", "infos"] {
        for f in v[k].as_array().unwrap() {
            out.push(f["code"].as_str().unwrap().to_string());
        }
    }
    out
}

#[test]
fn hydrogen_without_own_value_uses_other_countries_with_2026_markup() {
    let d = tmp();
    // Fiji has no table in the annex: "Other countries and territories" 28041000 total 17.74;
    // 2.5 t × 17.74 × 1.10 = 48.785.
    let p = shipments(
        d.path(),
        "h2.csv",
        &[("H-1", "2026-02-10", "28041000", "FJ", "2500", "")],
    );
    let (_, r) = report(d.path(), &p, &[]);
    let c = &line(&r, "H-1")["emissions_calculation"];
    assert_eq!(c["factor_id"], "EU-DDV:*:28041000");
    assert_eq!(c["emission_factor_total_tco2_per_ton"].to_string(), "17.74");
    assert_eq!(c["default_markup"].to_string(), "0.10");
    assert_eq!(c["total_emissions_tco2"].to_string(), "48.785");
    assert_eq!(c["indirect_emissions_tco2"].to_string(), "0.000");
    assert_eq!(r["report_metadata"]["period_type"], "definitive");
}

#[test]
fn urea_from_china_uses_chinas_row_plus_one_percent() {
    let d = tmp();
    // China 31021019: direct 2.7, indirect 0.14, total 2.85; 10 t × 2.85 × 1.01 = 28.785.
    let p = shipments(
        d.path(),
        "urea.csv",
        &[("U-1", "2026-05-04", "31021019", "CN", "10000", "")],
    );
    let (_, r) = report(d.path(), &p, &[]);
    assert_eq!(
        line(&r, "U-1")["emissions_calculation"]["factor_id"],
        "EU-DDV:CN:31021019"
    );
    assert_eq!(calc(&r, "U-1", "default_markup"), "0.01");
    assert_eq!(calc(&r, "U-1", "direct_emissions_tco2"), "27.000");
    assert_eq!(calc(&r, "U-1", "indirect_emissions_tco2"), "1.400");
    assert_eq!(calc(&r, "U-1", "total_emissions_tco2"), "28.785");
}

#[test]
fn the_same_urea_dated_2025_uses_the_transitional_table() {
    let d = tmp();
    // Transitional 3102 10: 1.78 direct + 0.12 indirect = 1.90; 10 t → 17.8 + 1.2 = 19.000.
    let p = shipments(
        d.path(),
        "urea25.csv",
        &[("U-1", "2025-12-04", "31021019", "CN", "10000", "")],
    );
    let (_, r) = report(d.path(), &p, &[]);
    assert_eq!(
        line(&r, "U-1")["emissions_calculation"]["factor_id"],
        "EU-TDV:310210"
    );
    assert_eq!(calc(&r, "U-1", "direct_emissions_tco2"), "17.800");
    assert_eq!(calc(&r, "U-1", "indirect_emissions_tco2"), "1.200");
    assert_eq!(calc(&r, "U-1", "total_emissions_tco2"), "19.000");
    assert_eq!(r["report_metadata"]["period_type"], "transitional");
    // No certificate section for transitional data.
    assert!(r.get("certificate_obligation").is_none());
}

#[test]
fn annex_ii_good_has_no_indirect_emissions_in_2026() {
    let d = tmp();
    let sup = d.path().join("sup.yaml");
    std::fs::write(
        &sup,
        "suppliers:\n  - supplier_id: SUP-K\n    cn_codes_produced: ['72081000']\n    actual_emissions_data:\n      direct_emissions_tco2_per_ton: 1.9\n      indirect_emissions_tco2_per_ton: 0.2\n      reporting_year: 2025\n",
    )
    .unwrap();
    let s = sup.to_str().unwrap();
    // 10 t × 1.9 = 19.000 direct; the supplier's 0.2 indirect does not count from 2026.
    let p26 = shipments(
        d.path(),
        "s26.csv",
        &[("S-1", "2026-03-02", "72081000", "KR", "10000", "SUP-K")],
    );
    let (_, r) = report(d.path(), &p26, &["--suppliers", s]);
    assert_eq!(calc(&r, "S-1", "calculation_method"), "\"actual_data\"");
    assert_eq!(calc(&r, "S-1", "direct_emissions_tco2"), "19.000");
    assert_eq!(calc(&r, "S-1", "indirect_emissions_tco2"), "0.000");
    assert_eq!(calc(&r, "S-1", "total_emissions_tco2"), "19.000");
    assert_eq!(
        r["emissions_summary"]["total_indirect_emissions_tco2"].to_string(),
        "0.00"
    );
    // The same shipment in 2025 (transitional): indirect 10 × 0.2 = 2.000 counts.
    let p25 = shipments(
        d.path(),
        "s25.csv",
        &[("S-1", "2025-12-02", "72081000", "KR", "10000", "SUP-K")],
    );
    let (_, r) = report(d.path(), &p25, &["--suppliers", s]);
    assert_eq!(calc(&r, "S-1", "indirect_emissions_tco2"), "2.000");
    assert_eq!(calc(&r, "S-1", "total_emissions_tco2"), "21.000");
    // Default values for an Annex II good: the table has no indirect value either.
    let pd = shipments(
        d.path(),
        "al.csv",
        &[("A-1", "2026-03-02", "76011000", "CN", "1000", "")],
    );
    let (_, r) = report(d.path(), &pd, &[]);
    assert_eq!(calc(&r, "A-1", "indirect_emissions_tco2"), "0.000");
}

/// 60 t of hot-rolled coil 7208 10 00 from China, Q1 2026, default values (above de minimis).
fn steel_60t(d: &Path, date: &str) -> PathBuf {
    shipments(
        d,
        &format!("steel-{date}.csv"),
        &[("C-1", date, "72081000", "CN", "60000", "")],
    )
}

fn obligation(r: &serde_json::Value) -> &serde_json::Value {
    &r["certificate_obligation"]
}

#[test]
fn certificate_obligation_step_by_step() {
    let d = tmp();
    let p = steel_60t(d.path(), "2026-02-16");
    let (o, r) = report(d.path(), &p, &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let g = &obligation(&r)["goods"][0];
    // gross: China 7208 route (C) total 3.187 × 1.10 mark-up × 60 t = 210.342
    assert_eq!(g["gross_emissions_tco2"].to_string(), "210.342");
    // FAA: CBAM factor 0.975 × CSCF 1 × Column B (C) 1.37 × 60 t = 80.145
    assert_eq!(g["benchmark_column"], "B");
    assert_eq!(g["benchmark_route"], "C");
    assert_eq!(g["benchmark_tco2_per_tonne"].to_string(), "1.37");
    assert_eq!(g["free_allocation_adjustment_tco2"].to_string(), "80.145");
    // deduction: none without --carbon-prices
    assert_eq!(g["carbon_price_deduction_tco2"].to_string(), "0.000");
    // net: 210.342 − 80.145 = 130.197
    assert_eq!(g["net_emissions_tco2"].to_string(), "130.197");
    // cost: 130.197 × 75.36 (Q1 2026) = 9811.64592 → 9811.65
    assert_eq!(g["estimated_cost_eur"].to_string(), "9811.65");
    let y = &obligation(&r)["years"][0];
    assert_eq!(y["cbam_factor"].to_string(), "0.975");
    assert_eq!(y["de_minimis"]["status"], "liable");
    // whole certificates: ceil(130.197) = 131
    assert_eq!(y["certificates"], 131);
    assert_eq!(
        y["quarters"][0]["certificate_price_eur"].to_string(),
        "75.36"
    );
    assert_eq!(
        y["quarters"][0]["holding_requirement_certificates"],
        serde_json::Value::Null
    );
    assert_eq!(y["estimated_cost_eur"].to_string(), "9811.65");
    let decl = &obligation(&r)["declaration_summary"][0];
    assert_eq!(
        (decl["cn_code"].as_str(), decl["method"].as_str()),
        (Some("72081000"), Some("default_values"))
    );
    assert_eq!(decl["certificates_tco2"].to_string(), "130.197");
    assert!(codes(&r).contains(&"CO003".to_string()));

    // Q2: the Q2 price 75.28: 130.197 × 75.28 = 9801.23016 → 9801.23.
    let p = steel_60t(d.path(), "2026-05-16");
    let (_, r) = report(d.path(), &p, &[]);
    let g = &obligation(&r)["goods"][0];
    assert_eq!(g["estimated_cost_eur"].to_string(), "9801.23");
}

fn carbon_prices(d: &Path) -> PathBuf {
    let cp = d.join("carbon.csv");
    std::fs::write(
        &cp,
        "origin_iso,cn_code,year,price_paid_eur_per_tco2e,evidence\n\
         KR,72081000,2026,15.072,Verified statement K-ETS-2026-001\n\
         CN,*,2026,15.072,Verified statement CN-ETS-2026-001\n",
    )
    .unwrap();
    cp
}

#[test]
fn carbon_price_paid_is_deducted_for_actual_data_only() {
    let d = tmp();
    let sup = d.path().join("sup.yaml");
    std::fs::write(
        &sup,
        "suppliers:\n  - supplier_id: SUP-K\n    cn_codes_produced: ['72081000']\n    actual_emissions_data:\n      direct_emissions_tco2_per_ton: 1.9\n      indirect_emissions_tco2_per_ton: 0.2\n      reporting_year: 2025\n",
    )
    .unwrap();
    let cp = carbon_prices(d.path());
    let p = shipments(
        d.path(),
        "kr.csv",
        &[("A-1", "2026-02-16", "72081000", "KR", "60000", "SUP-K")],
    );
    let (o, r) = report(
        d.path(),
        &p,
        &[
            "--suppliers",
            sup.to_str().unwrap(),
            "--carbon-prices",
            cp.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let g = &obligation(&r)["goods"][0];
    // gross: 60 t × 1.9 (direct only, Annex II) = 114.000
    assert_eq!(g["gross_emissions_tco2"].to_string(), "114.000");
    // FAA: 0.975 × Column A 0.044 × 60 = 2.574
    assert_eq!(g["benchmark_column"], "A");
    assert_eq!(g["free_allocation_adjustment_tco2"].to_string(), "2.574");
    // deduction: 114 × 15.072 / 75.36 = 114 × 0.2 = 22.800
    assert_eq!(g["carbon_price_deduction_tco2"].to_string(), "22.800");
    assert_eq!(
        g["carbon_price_evidence"],
        "Verified statement K-ETS-2026-001"
    );
    // net: 114 − 2.574 − 22.8 = 88.626; cost 88.626 × 75.36 = 6678.85536 → 6678.86
    assert_eq!(g["net_emissions_tco2"].to_string(), "88.626");
    assert_eq!(g["estimated_cost_eur"].to_string(), "6678.86");
    assert_eq!(obligation(&r)["years"][0]["certificates"], 89);

    // The same price for default-value goods from China: not deducted, CO007.
    let p = steel_60t(d.path(), "2026-02-16");
    let (_, r) = report(d.path(), &p, &["--carbon-prices", cp.to_str().unwrap()]);
    let g = &obligation(&r)["goods"][0];
    assert_eq!(g["carbon_price_deduction_tco2"].to_string(), "0.000");
    assert_eq!(g["carbon_price_evidence"], serde_json::Value::Null);
    assert_eq!(g["net_emissions_tco2"].to_string(), "130.197");
    assert!(codes(&r).contains(&"CO007".to_string()));
}

#[test]
fn unknown_certificate_price_is_a_finding_and_a_price_file_fills_it() {
    let d = tmp();
    let p = steel_60t(d.path(), "2026-08-03");
    let (_, r) = report(d.path(), &p, &[]);
    let q = &obligation(&r)["years"][0]["quarters"][0];
    assert_eq!(q["quarter"], "2026Q3");
    assert_eq!(q["estimated_cost_eur"], serde_json::Value::Null);
    assert_eq!(q["certificate_price_eur"], serde_json::Value::Null);
    assert_eq!(
        obligation(&r)["years"][0]["estimated_cost_eur"],
        serde_json::Value::Null
    );
    assert!(codes(&r).contains(&"CO006".to_string()));
    // The certificates do not need the price: ceil(130.197) = 131.
    assert_eq!(obligation(&r)["years"][0]["certificates"], 131);

    let prices = d.path().join("prices.csv");
    std::fs::write(
        &prices,
        "quarter,price_eur,source\n2026Q3,80.00,test price\n",
    )
    .unwrap();
    let (_, r) = report(
        d.path(),
        &p,
        &["--certificate-prices", prices.to_str().unwrap()],
    );
    // 130.197 × 80 = 10415.76
    let q = &obligation(&r)["years"][0]["quarters"][0];
    assert_eq!(q["estimated_cost_eur"].to_string(), "10415.76");
    assert_eq!(q["price_source"], "test price");
    assert!(!codes(&r).contains(&"CO006".to_string()));
}

#[test]
fn from_2027_markup_factor_and_quarterly_holding() {
    let d = tmp();
    let prices = d.path().join("prices.csv");
    std::fs::write(&prices, "quarter,price_eur,source\n2027Q1,90,test\n").unwrap();
    let p = steel_60t(d.path(), "2027-01-20");
    let (_, r) = report(
        d.path(),
        &p,
        &["--certificate-prices", prices.to_str().unwrap()],
    );
    let y = &obligation(&r)["years"][0];
    // gross 3.187 × 1.20 × 60 = 229.464; FAA 0.95 × 1.37 × 60 = 78.090; net 151.374
    assert_eq!(y["cbam_factor"].to_string(), "0.95");
    assert_eq!(y["gross_emissions_tco2"].to_string(), "229.464");
    assert_eq!(y["free_allocation_adjustment_tco2"].to_string(), "78.090");
    assert_eq!(y["net_emissions_tco2"].to_string(), "151.374");
    // holding at the end of Q1, on default values without the mark-up (Art. 22(2)):
    // 60 × 3.187 = 191.220; − FAA 78.090 = 113.130; × 50 % = 56.565 → 57 certificates
    assert_eq!(y["quarters"][0]["holding_requirement_certificates"], 57);
    // cost 151.374 × 90 = 13623.66
    assert_eq!(y["estimated_cost_eur"].to_string(), "13623.66");
}

fn de_minimis_run(kg: &str) -> serde_json::Value {
    let d = tmp();
    let p = shipments(
        d.path(),
        "dm.csv",
        &[
            ("M-1", "2026-01-10", "72081000", "CN", "25000", ""),
            ("M-2", "2026-02-10", "72081000", "CN", kg, ""),
        ],
    );
    report(d.path(), &p, &[]).1
}

#[test]
fn de_minimis_at_49_999_50_and_50_001_tonnes() {
    for (kg, status, exempt, code) in [
        ("24999", "exempt", true, "CO002"),
        ("25000", "exempt", true, "CO002"),
        ("25001", "liable", false, "CO003"),
    ] {
        let r = de_minimis_run(kg);
        let y = &obligation(&r)["years"][0];
        let counted = y["de_minimis"]["counted_mass_tonnes"].to_string();
        assert_eq!(y["de_minimis"]["status"], status, "{counted} t");
        assert_eq!(obligation(&r)["goods"][0]["de_minimis_exempt"], exempt);
        assert!(codes(&r).contains(&code.to_string()), "{counted} t: {code}");
        if exempt {
            assert_eq!(y["certificates"], 0, "{counted} t");
            assert_eq!(y["net_emissions_tco2"].to_string(), "0.000");
        } else {
            // lines: 25 × 3.187 × 1.1 = 87.6425 → 87.642 (half-even), 25.001 × 3.187 × 1.1 =
            // 87.6460057 → 87.646; gross 175.288. FAA 0.975 × 1.37 × 50.001 = 66.78883575 →
            // 66.789; net 175.288 − 66.789 = 108.499 → 109 certificates.
            assert_eq!(y["net_emissions_tco2"].to_string(), "108.499");
            assert_eq!(y["certificates"], 109);
        }
    }
    assert_eq!(
        obligation(&de_minimis_run("24999"))["years"][0]["de_minimis"]["counted_mass_tonnes"]
            .to_string(),
        "49.999"
    );
}

#[test]
fn de_minimis_leaves_out_hydrogen_which_stays_liable() {
    let d = tmp();
    // 49 t of steel + 5 t of hydrogen: 49 t counted (exempt), the hydrogen still needs certificates.
    let p = shipments(
        d.path(),
        "dmh.csv",
        &[
            ("M-1", "2026-01-10", "72081000", "CN", "49000", ""),
            ("M-2", "2026-01-11", "28041000", "FJ", "5000", ""),
        ],
    );
    let (_, r) = report(d.path(), &p, &[]);
    let o = obligation(&r);
    assert_eq!(
        o["years"][0]["de_minimis"]["counted_mass_tonnes"].to_string(),
        "49"
    );
    assert_eq!(o["years"][0]["de_minimis"]["status"], "exempt");
    let h2 = o["goods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["cn_code"] == "28041000")
        .unwrap();
    assert_eq!(h2["de_minimis_exempt"], false);
    // 5 × 17.74 × 1.1 = 97.570; FAA 0.975 × 5.089 × 5 = 24.808875 → 24.809; net 72.761
    assert_eq!(h2["net_emissions_tco2"].to_string(), "72.761");
    assert_eq!(o["years"][0]["certificates"], 73);
}

#[test]
fn definitive_report_passes_its_schema_and_validate() {
    let d = tmp();
    let p = steel_60t(d.path(), "2026-02-16");
    let (_, r) = report(d.path(), &p, &[]);
    let checked = r["validation_results"]["rules_checked"].as_array().unwrap();
    assert_eq!(checked[0]["id"], "SCHEMA");
    assert_eq!(checked[0]["status"], "passed");
    let out = d.path().join("steel-2026-02-16.json");
    let o = run({
        let mut c = cbam();
        c.args(["validate", "--report"]).arg(&out);
        c
    });
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn bad_carbon_price_file_names_line_and_column() {
    let d = tmp();
    let cp = d.path().join("carbon.csv");
    std::fs::write(
        &cp,
        "origin_iso,cn_code,year,price_paid_eur_per_tco2e,evidence\nCN,*,2026,12.5,\n",
    )
    .unwrap();
    let p = steel_60t(d.path(), "2026-02-16");
    let out = d.path().join("x.json");
    let o = run(report_cmd(
        &p,
        &out,
        &["--carbon-prices", cp.to_str().unwrap()],
    ));
    assert_eq!(code(&o), 2);
    let e = stderr(&o);
    assert!(
        e.contains("carbon.csv") && e.contains("line 2") && e.contains("evidence"),
        "{e}"
    );
    assert!(!out.exists());
}

#[test]
fn annual_period_covers_every_quarter_and_writes_the_declaration_summary() {
    let d = tmp();
    let out = d.path().join("y.json");
    let md = d.path().join("y.md");
    let o = run(report_cmd(
        &fixture("shipments_2026.csv"),
        &out,
        &[
            "--suppliers",
            fixture("suppliers.yaml").to_str().unwrap(),
            "--period",
            "2026",
            "--summary",
            md.to_str().unwrap(),
        ],
    ));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json(&out);
    let m = &r["report_metadata"];
    assert_eq!(m["quarter"], "2026");
    assert_eq!(m["period_length"], "year");
    assert_eq!(
        (
            m["reporting_period_start"].as_str(),
            m["reporting_period_end"].as_str()
        ),
        (Some("2026-01-01"), Some("2026-12-31"))
    );
    // No mixed-quarter error, and the quarter-format rule does not apply to a year.
    assert!(!codes(&r).contains(&"RP001".to_string()));
    let val003 = r["validation_results"]["rules_checked"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "VAL-003")
        .unwrap();
    assert_eq!(val003["status"], "not_applicable");
    let y = &obligation(&r)["years"][0];
    let quarters: Vec<&str> = y["quarters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["quarter"].as_str().unwrap())
        .collect();
    assert_eq!(quarters, ["2026Q1", "2026Q2", "2026Q3"]);
    // Q3 has no published price: the year's cost is unknown, the certificates are not.
    assert_eq!(y["estimated_cost_eur"], serde_json::Value::Null);
    // Σ net 349.430 (Japanese hydrogen: 1 t × 14.03 × 1.1 = 15.433 − FAA 4.962 = 10.471) → 350.
    assert_eq!(y["certificates"], 350);
    let decl = obligation(&r)["declaration_summary"].as_array().unwrap();
    assert_eq!(decl.len(), 6);
    // Aluminium 7601 10 90 from India: 25 t × 1.87 × 1.1 = 51.425; FAA 0.975 × 1.423 (K) × 25
    // = 34.685625 → 34.686; net 16.739; cost 16.739 × 75.28 = 1260.11192 → 1260.11.
    let al = decl.iter().find(|e| e["cn_code"] == "76011090").unwrap();
    assert_eq!(al["embedded_emissions_tco2"].to_string(), "51.425");
    assert_eq!(al["certificates_tco2"].to_string(), "16.739");
    assert_eq!(al["estimated_cost_eur"].to_string(), "1260.11");
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.contains("## Certificate obligation"), "{text}");
    assert!(text.contains("## Annual declaration summary"));
    assert!(
        text.contains("| 2026 | 76011090 | IN | default_values | 25 | 51.425 | 16.739 | 1260.11 |")
    );

    // A row of another year is rejected in an annual report.
    let p = shipments(
        d.path(),
        "mixed.csv",
        &[
            ("Y-1", "2026-03-02", "72081000", "CN", "1000", ""),
            ("Y-2", "2027-01-05", "72081000", "CN", "1000", ""),
        ],
    );
    let (o, r) = report(d.path(), &p, &["--period", "2026"]);
    assert_eq!(code(&o), 1);
    assert!(codes(&r).contains(&"IN007".to_string()));
    // A transitional year cannot be reported annually.
    let o = run(report_cmd(
        &p,
        &d.path().join("t.json"),
        &["--period", "2025"],
    ));
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--period"), "{}", stderr(&o));
}

#[test]
fn a_code_without_its_own_benchmark_takes_its_subheading() {
    let d = tmp();
    // 7601 10 00 is not in the benchmark table; 7601 10 10 and 7601 10 90 are, route (K) 1.423.
    // 1 t from India: FAA 0.975 × 1.423 = 1.387425 → 1.387 (half-even).
    let p = shipments(
        d.path(),
        "al.csv",
        &[("A-1", "2026-02-02", "76011000", "IN", "1000", "")],
    );
    let (_, r) = report(d.path(), &p, &[]);
    let g = &obligation(&r)["goods"][0];
    assert_eq!(g["benchmark_cn_code"], "76011010");
    assert_eq!(g["benchmark_tco2_per_tonne"].to_string(), "1.423");
    assert_eq!(g["free_allocation_adjustment_tco2"].to_string(), "1.387");
    // Hydrogen's benchmark applies; electricity would have none (FAA 0 by law).
    assert!(!codes(&r).contains(&"CO004".to_string()));
}

/// The Commission's own workbooks (`../shared/reference/official/`), read with `--benchmarks`
/// and `--default-values`.
#[cfg(feature = "shared-reference")]
mod official_workbooks {
    use super::*;
    use cbam::reference::obligation::{BenchmarkTable, BENCHMARKS};

    fn official(name: &str) -> PathBuf {
        root().join("../shared/reference/official").join(name)
    }

    #[test]
    fn benchmarks_workbook_equals_the_embedded_table() {
        let wb = cbam::reference::workbook::read_benchmarks(&official("cbam_benchmarks.xlsx"))
            .expect("workbook reads");
        let emb = BenchmarkTable::from_csv(Path::new(BENCHMARKS.0), BENCHMARKS.1).unwrap();
        assert_eq!(wb.codes(), emb.codes());
        let key = |t: &BenchmarkTable, c: &str| {
            let mut v: Vec<String> = t
                .rows(c)
                .iter()
                .map(|b| format!("{}|{}|{:?}|{:?}", b.route, b.years, b.column_a, b.column_b))
                .collect();
            v.sort();
            v
        };
        let differ: Vec<&str> = emb
            .codes()
            .into_iter()
            .filter(|c| key(&wb, c) != key(&emb, c))
            .collect();
        assert!(
            differ.is_empty(),
            "{} codes differ: {:?}",
            differ.len(),
            &differ[..differ.len().min(10)]
        );
        assert_eq!(wb.len(), emb.len());
    }

    #[test]
    fn default_values_workbook_is_read_sheet_by_sheet() {
        let d = tmp();
        // Japan has its own sheet in the Commission's workbook: hydrogen 14.03;
        // 1 t × 14.03 × 1.10 = 15.433. China urea is 2.85 there too: 10 t × 2.85 × 1.01 = 28.785.
        let p = shipments(
            d.path(),
            "wb.csv",
            &[
                ("W-1", "2026-02-10", "28041000", "JP", "1000", ""),
                ("W-2", "2026-02-11", "31021019", "CN", "10000", ""),
            ],
        );
        let dv = official("cbam_default_values.xlsx");
        let bm = official("cbam_benchmarks.xlsx");
        let (o, r) = report(
            d.path(),
            &p,
            &[
                "--default-values",
                dv.to_str().unwrap(),
                "--benchmarks",
                bm.to_str().unwrap(),
            ],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let c = &line(&r, "W-1")["emissions_calculation"];
        assert_eq!(c["factor_id"], "EU-DDV:JP:28041000");
        assert_eq!(c["total_emissions_tco2"].to_string(), "15.433");
        assert!(c["emission_factor_source"]
            .as_str()
            .unwrap()
            .contains("cbam_default_values.xlsx"));
        assert_eq!(calc(&r, "W-2", "total_emissions_tco2"), "28.785");
        let roles: Vec<(String, String)> = r["provenance"]["reference_data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["role"].as_str().unwrap().into(),
                    d["file_name"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert!(roles.contains(&(
            "default_values_definitive".into(),
            "cbam_default_values.xlsx".into()
        )));
        let bench_file = obligation(&r)["reference_data"][0]["file_name"].clone();
        assert_eq!(bench_file, "cbam_benchmarks.xlsx");
        // Grey and white clinker share 2523 10 00 in this version: said once, in the notes.
        let notes = r["provenance"]["notes"].to_string();
        assert!(
            notes.contains("25231000 is listed more than once"),
            "{notes}"
        );
    }
}

#[test]
fn default_values_in_the_project_csv_layout_replace_the_definitive_table() {
    let d = tmp();
    let dv = d.path().join("dv.csv");
    std::fs::write(
        &dv,
        "origin_iso,origin_country,cn_code,code_type,sector,product_name,route_code,direct,indirect,total,source\n*,Other countries and territories,28041000,CN,hydrogen,Hydrogen,,20.00,,20.00,test table\n",
    )
    .unwrap();
    let p = shipments(
        d.path(),
        "dvcsv.csv",
        &[
            ("V-1", "2026-02-10", "28041000", "JP", "1000", ""),
            ("V-2", "2026-02-11", "31021019", "CN", "10000", ""),
        ],
    );
    let (o, r) = report(d.path(), &p, &["--default-values", dv.to_str().unwrap()]);
    // 1 t × 20.00 × 1.10 = 22.000; urea is not in the file: no factor (CA006), exit 1.
    assert_eq!(code(&o), 1);
    assert_eq!(calc(&r, "V-1", "total_emissions_tco2"), "22.000");
    assert!(codes(&r).contains(&"CA006".to_string()));
    // The transitional table is untouched by --default-values.
    let p25 = shipments(
        d.path(),
        "dv25.csv",
        &[("V-3", "2025-12-04", "31021019", "CN", "10000", "")],
    );
    let (_, r) = report(d.path(), &p25, &["--default-values", dv.to_str().unwrap()]);
    assert_eq!(calc(&r, "V-3", "total_emissions_tco2"), "19.000");
    // A bad figure names the file, the line and the column.
    std::fs::write(
        &dv,
        "origin_iso,origin_country,cn_code,direct,indirect,total\n*,Other,28041000,abc,,1\n",
    )
    .unwrap();
    let o = run(report_cmd(
        &p,
        &d.path().join("bad.json"),
        &["--default-values", dv.to_str().unwrap()],
    ));
    assert_eq!(code(&o), 2);
    let e = stderr(&o);
    assert!(
        e.contains("dv.csv") && e.contains("line 2") && e.contains("direct"),
        "{e}"
    );
}

#[test]
fn taric_split_takes_the_residual_line_with_a_warning_and_its_route() {
    let d = tmp();
    // Türkiye's clinker lines are empty → "Other countries": 2523 10 00 is split into TARIC
    // 2523100010 (white, B) and 2523100090 (grey, A); without the TARIC code the residual 90
    // line applies: total 1.41 × 1.10 = 1.551, with DV001. Its route (A) picks Column B 0.666:
    // FAA 0.975 × 0.666 × 1 = 0.64935 → 0.649.
    let p = shipments(
        d.path(),
        "clinker.csv",
        &[("K-1", "2026-02-10", "25231000", "TR", "1000", "")],
    );
    let (o, r) = report(d.path(), &p, &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        line(&r, "K-1")["emissions_calculation"]["factor_id"],
        "EU-DDV:*:2523100090"
    );
    assert_eq!(calc(&r, "K-1", "total_emissions_tco2"), "1.551");
    assert!(codes(&r).contains(&"DV001".to_string()));
    let g = &obligation(&r)["goods"][0];
    assert_eq!(g["benchmark_route"], "A");
    assert_eq!(g["free_allocation_adjustment_tco2"].to_string(), "0.649");
    // 1 t of cement: under de minimis, so nothing to surrender.
    assert_eq!(g["de_minimis_exempt"], true);
    assert_eq!(g["net_emissions_tco2"].to_string(), "0.000");
}

#[test]
fn a_taric_code_given_with_the_shipment_chooses_the_line() {
    let d = tmp();
    let p = d.path().join("taric.csv");
    std::fs::write(
        &p,
        format!(
            "{HEADER},taric_code\n\
             T-1,2026-02-10,2026Q1,25231000,,white clinker,CN,,Imp BV,NL,1000,Rotterdam,R,NO,,,2523100010\n\
             T-2,2026-02-10,2026Q1,25231000,,grey clinker,CN,,Imp BV,NL,1000,Rotterdam,R,NO,,,\n\
             T-3,2026-02-10,2026Q1,25231000,,clinker,CN,,Imp BV,NL,1000,Rotterdam,R,NO,,,2523\n"
        ),
    )
    .unwrap();
    let (_, r) = report(d.path(), &p, &[]);
    // China white clinker 2523100010: total 1.3 × 1.10 = 1.430, no DV001 for it.
    assert_eq!(
        line(&r, "T-1")["emissions_calculation"]["factor_id"],
        "EU-DDV:CN:2523100010"
    );
    assert_eq!(calc(&r, "T-1", "total_emissions_tco2"), "1.430");
    // Without the TARIC code: the residual grey line 2523100090, 1.39 × 1.10 = 1.529, DV001.
    assert_eq!(calc(&r, "T-2", "total_emissions_tco2"), "1.529");
    // A malformed TARIC code is ignored with DV002 (and the residual rule applies).
    assert_eq!(calc(&r, "T-3", "total_emissions_tco2"), "1.529");
    // DV002 names the row; DV001 is said once for the good (rows 2 and 3), with its count.
    let warnings = r["validation_results"]["warnings"].as_array().unwrap();
    let dv: Vec<(&str, Option<u64>)> = warnings
        .iter()
        .filter(|f| f["code"].as_str().unwrap().starts_with("DV"))
        .map(|f| (f["code"].as_str().unwrap(), f["row"].as_u64()))
        .collect();
    assert_eq!(dv, [("DV001", None), ("DV002", Some(3))]);
    let dv001 = warnings.iter().find(|f| f["code"] == "DV001").unwrap();
    assert!(
        dv001["message"]
            .as_str()
            .unwrap()
            .starts_with("2 shipment(s) of CN 2523 10 00 from CN in 2026Q1"),
        "{dv001}"
    );
    // Two goods in the obligation: white clinker (route B, Column B 0.859) and grey (A, 0.666).
    let goods = obligation(&r)["goods"].as_array().unwrap();
    let white = goods
        .iter()
        .find(|g| g["taric_code"] == "2523100010")
        .unwrap();
    assert_eq!(white["benchmark_route"], "B");
    assert_eq!(white["benchmark_tco2_per_tonne"].to_string(), "0.859");
    // The grey good is keyed by the residual line it was calculated with.
    let grey = goods
        .iter()
        .find(|g| g["taric_code"] == "2523100090")
        .unwrap();
    assert_eq!(grey["benchmark_tco2_per_tonne"].to_string(), "0.666");
    assert_eq!(grey["mass_tonnes"].to_string(), "2");
}

#[test]
fn electricity_has_no_free_allocation_adjustment_and_no_de_minimis() {
    let d = tmp();
    let sup = d.path().join("sup.yaml");
    std::fs::write(
        &sup,
        "suppliers:\n  - supplier_id: SUP-E\n    cn_codes_produced: ['27160000']\n    actual_emissions_data:\n      direct_emissions_tco2_per_ton: 0.5\n      indirect_emissions_tco2_per_ton: 0\n      reporting_year: 2025\n",
    )
    .unwrap();
    // Electricity's quantity is energy: 10 MWh in the extra column quantity_mwh.
    let p = d.path().join("el.csv");
    std::fs::write(
        &p,
        format!("{HEADER},quantity_mwh\nE-1,2026-03-01,2026Q1,27160000,,power,RS,,Imp BV,NL,,Rotterdam,R,YES,SUP-E,,10\n"),
    )
    .unwrap();
    let (o, r) = report(d.path(), &p, &["--suppliers", sup.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = obligation(&r);
    let g = &o["goods"][0];
    // gross 10 MWh × 0.5 = 5.000; FAA 0 by law (no benchmark, no CO004); no de minimis.
    assert_eq!(g["gross_emissions_tco2"].to_string(), "5.000");
    assert_eq!(g["free_allocation_adjustment_tco2"].to_string(), "0.000");
    assert_eq!(g["benchmark_column"], serde_json::Value::Null);
    assert_eq!(g["de_minimis_exempt"], false);
    assert_eq!(
        o["years"][0]["de_minimis"]["counted_mass_tonnes"].to_string(),
        "0"
    );
    assert_eq!(g["net_emissions_tco2"].to_string(), "5.000");
    assert_eq!(o["years"][0]["certificates"], 5);
    assert!(!codes(&r).contains(&"CO004".to_string()));
}
