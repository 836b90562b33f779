//! `--default-values` with the default-values workbook in the corrected layout (IR (EU)
//! 2026/1740: six columns, TARIC lines, no mark-up): `fixtures/workbooks/default_values_corrected.xlsx`,
//! built by `make_default_values_corrected.py` from the all-origins CSV, and the damaged
//! workbooks in `fixtures/workbooks/bad/` that must be refused. Expected figures are computed by
//! hand from `../shared/reference/default_values_definitive_all_origins.csv` (the comments show
//! the arithmetic): annex value × mass, total × (1 + the 2026 mark-up: 10 % iron and steel,
//! aluminium, cement, hydrogen; 1 % fertilisers), three decimals.

use super::report::line;
use super::*;

const HEADER: &str = "shipment_id,import_date,quarter,cn_code,product_group,product_description,origin_iso,origin_country,importer_name,importer_country,net_mass_kg,port_of_entry,importer_reference,has_actual_emissions,supplier_id,notes,taric_code";

fn workbook() -> PathBuf {
    fixture("workbooks/default_values_corrected.xlsx")
}

/// Shipments of 2026Q1 from `(id, cn, origin, kg, taric)`.
fn shipments(dir: &Path, rows: &[(&str, &str, &str, &str, &str)]) -> PathBuf {
    let mut s = format!("{HEADER}\n");
    for (id, cn, origin, kg, taric) in rows {
        s.push_str(&format!(
            "{id},2026-02-10,2026Q1,{cn},,goods,{origin},,Imp BV,NL,{kg},Rotterdam,R,NO,,,{taric}\n"
        ));
    }
    let p = dir.join("origins.csv");
    std::fs::write(&p, s).unwrap();
    p
}

/// Per shipment: factor id, annex total, mark-up, direct, indirect and total emissions.
fn figures(r: &serde_json::Value, id: &str) -> [String; 6] {
    let c = &line(r, id)["emissions_calculation"];
    [
        c["factor_id"].as_str().unwrap_or("").to_string(),
        c["emission_factor_total_tco2_per_ton"].to_string(),
        c["default_markup"].to_string(),
        c["direct_emissions_tco2"].to_string(),
        c["indirect_emissions_tco2"].to_string(),
        c["total_emissions_tco2"].to_string(),
    ]
}

#[test]
fn corrected_workbook_gives_the_annex_figures_for_origins_beyond_cn_in_tr() {
    let d = tmp();
    let p = shipments(
        d.path(),
        &[
            ("OM-1", "76011000", "OM", "5000", ""),
            ("KZ-1", "72051000", "KZ", "2000", ""),
            ("TH-1", "31021019", "TH", "10000", ""),
            ("NA-1", "25232900", "NA", "3000", ""),
            ("ML-1", "31021012", "ML", "4000", ""),
            ("OM-2", "25231000", "OM", "1000", "2523100010"),
            ("OM-3", "25231000", "OM", "1000", ""),
        ],
    );
    let expected: [(&str, [&str; 6]); 7] = [
        // Oman 7601 (the 4-digit heading): 1.7 / – / 1.7 (K); 5 t × 1.7 = 8.500,
        // 5 × 1.7 × 1.10 = 9.350.
        (
            "OM-1",
            ["EU-DDV:OM:7601", "1.7", "0.10", "8.500", "0.000", "9.350"],
        ),
        // Kazakhstan 7205: 4.99 (C/F); 2 × 4.99 = 9.980, 2 × 4.99 × 1.10 = 10.978.
        (
            "KZ-1",
            ["EU-DDV:KZ:7205", "4.99", "0.10", "9.980", "0.000", "10.978"],
        ),
        // Thailand urea 31021019: 1.4 / 0.14 / 1.54; 10 × 1.54 × 1.01 = 15.554.
        (
            "TH-1",
            [
                "EU-DDV:TH:31021019",
                "1.54",
                "0.01",
                "14.000",
                "1.400",
                "15.554",
            ],
        ),
        // Namibia (ISO code NA) grey Portland cement 25232900: 0.88 / 0.01 / 0.89;
        // 3 × 0.89 × 1.10 = 2.937.
        (
            "NA-1",
            [
                "EU-DDV:NA:25232900",
                "0.89",
                "0.10",
                "2.640",
                "0.030",
                "2.937",
            ],
        ),
        // Mali 31021012: 0.5 / 0.04 / 0.54; 4 × 0.54 × 1.01 = 2.1816 → 2.182.
        (
            "ML-1",
            [
                "EU-DDV:ML:31021012",
                "0.54",
                "0.01",
                "2.000",
                "0.160",
                "2.182",
            ],
        ),
        // TARIC 2523 10 00 10 (white clinker): Oman's line is "–", so the fallback's line
        // 1.32 / 0.06 / 1.37 applies; 1 × 1.37 × 1.10 = 1.507.
        (
            "OM-2",
            [
                "EU-DDV:*:2523100010",
                "1.37",
                "0.10",
                "1.320",
                "0.060",
                "1.507",
            ],
        ),
        // No TARIC code: the residual line 2523 10 00 90, Oman 0.83 / 0.03 / 0.86 (A);
        // 1 × 0.86 × 1.10 = 0.946.
        (
            "OM-3",
            [
                "EU-DDV:OM:2523100090",
                "0.86",
                "0.10",
                "0.830",
                "0.030",
                "0.946",
            ],
        ),
    ];
    let wb = workbook();
    for (extra, out) in [
        (vec!["--default-values", wb.to_str().unwrap()], "wb.json"),
        (vec![], "embedded.json"),
    ] {
        let out = d.path().join(out);
        let o = run(report_cmd(&p, &out, &extra));
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let r = json(&out);
        for (id, want) in &expected {
            assert_eq!(figures(&r, id), want.map(String::from), "{id} {extra:?}");
        }
        if !extra.is_empty() {
            let c = &line(&r, "NA-1")["emissions_calculation"];
            assert_eq!(
                c["emission_factor_source"],
                "EU default values from default_values_corrected.xlsx (--default-values), Namibia, 25232900"
            );
            // Overview, Version History and Annex IV are skipped by name, without a note;
            // each code is once per sheet, so no note on repeated codes either.
            assert_eq!(r["provenance"]["notes"], serde_json::json!([]));
        }
    }
}

#[test]
fn damaged_corrected_workbooks_are_refused_naming_sheet_and_cell() {
    let d = tmp();
    let p = shipments(d.path(), &[("OM-1", "76011000", "OM", "5000", "")]);
    let cases = [
        (
            "heading_renamed.xlsx",
            r#"sheet "Oman", cell C2: expected a heading "Default Value (direct emissions)", found "Default Value\n(scope 1)""#,
        ),
        (
            "heading_shifted.xlsx",
            r#"sheet "Oman", cell C2: expected a heading "Default Value (direct emissions)", found "Unit""#,
        ),
        (
            "no_heading.xlsx",
            r#"sheet "Oman", cell A2: expected a heading "Product CN Code" (no row among the sheet's first 10 has it), found "2507 00 80 80""#,
        ),
        (
            "unknown_country.xlsx",
            r#"sheet "Atlantis" (heading row at cell A2) is a country table, but its name is not a country the tool knows"#,
        ),
        (
            "text_in_figure.xlsx",
            r#"sheet "Oman", cell C5: expected a number, "–" or "N/A" under "Default Value (direct emissions)", found "0,87""#,
        ),
        (
            "duplicate_code.xlsx",
            r#"sheet "Oman", cells A4 and A41: code 2523 10 00 10 is listed twice"#,
        ),
        (
            "two_sheets_one_origin.xlsx",
            r#"sheets "Russia" and "Russian Federation" are both the table of RU"#,
        ),
        (
            "mixed_layout.xlsx",
            r#"sheet "Mali", cell F2: this sheet has the version 1 layout"#,
        ),
    ];
    for (file, message) in cases {
        let wb = fixture("workbooks/bad").join(file);
        let o = run(report_cmd(
            &p,
            &d.path().join("out.json"),
            &["--default-values", wb.to_str().unwrap()],
        ));
        assert_eq!(code(&o), 2, "{file}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains(&format!("{file}: {message}")), "{file}: {e}");
        assert!(!d.path().join("out.json").exists(), "{file}: no report");
    }
}
