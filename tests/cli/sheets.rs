//! Spreadsheets (XLSX, XLS, ODS) and JSON shipments: the fixtures in fixtures/sheets were
//! written by openpyxl, xlwt, odfpy and Python's json (make_sheets.py) from the CSV fixture,
//! so each must give the CSV's report.

use super::*;

fn report_of(
    input: &Path,
    extra: &[&str],
) -> (Output, Option<serde_json::Value>, tempfile::TempDir) {
    let d = tmp();
    let out = d.path().join("r.json");
    let suppliers = fixture("suppliers.yaml");
    let mut args = vec!["--suppliers", suppliers.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = run(report_cmd(input, &out, &args));
    let r = out.exists().then(|| json(&out));
    (o, r, d)
}

#[test]
fn every_format_reports_like_the_csv() {
    let (_, expected, _) = report_of(&fixture("shipments_2025q4.csv"), &[]);
    let expected = expected.unwrap();
    for (file, extra) in [
        ("sheets/shipments_2025q4.xlsx", &[][..]),
        ("sheets/shipments_2025q4.xls", &[][..]),
        ("sheets/shipments_2025q4.ods", &["--sheet", "Shipments"][..]),
        ("sheets/shipments_2025q4.json", &[][..]),
    ] {
        let (o, r, _d) = report_of(&fixture(file), extra);
        assert_eq!(code(&o), 0, "{file}: {}", stderr(&o));
        let r = r.unwrap();
        assert_eq!(
            r["emissions_summary"], expected["emissions_summary"],
            "{file}"
        );
        assert_eq!(r["goods_summary"], expected["goods_summary"], "{file}");
        // Same shipments, same values: dates from serial numbers, CN codes from numeric
        // cells, masses from numeric cells.
        let pick = |r: &serde_json::Value| -> Vec<(String, String, String, String)> {
            r["detailed_goods"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| {
                    (
                        g["shipment_id"].as_str().unwrap().to_string(),
                        g["import_date"].to_string(),
                        g["cn_code"].to_string(),
                        g["emissions_calculation"]["total_emissions_tco2"].to_string(),
                    )
                })
                .collect()
        };
        assert_eq!(pick(&r), pick(&expected), "{file}");
    }
}

#[test]
fn findings_name_the_sheet_row() {
    // The XLSX has a title and a blank row above the header (row 3): data row N is sheet row
    // N + 3. The JSON names the line where the shipment's object starts.
    for (file, line) in [
        ("sheets/shipments_2025q4.xlsx", 6),
        ("sheets/shipments_2025q4.xls", 4),
        ("sheets/shipments_2025q4.json", 40),
    ] {
        let (_, r, _d) = report_of(&fixture(file), &[]);
        let r = r.unwrap();
        let w = r["validation_results"]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "CA004")
            .cloned()
            .unwrap();
        assert_eq!(w["row"], 3, "{file}");
        assert_eq!(w["line"], line, "{file}");
        assert_eq!(w["file"], file.rsplit('/').next().unwrap());
    }
}

#[test]
fn sheet_choice_and_damage_are_named() {
    let (o, _, _d) = report_of(&fixture("sheets/shipments_2025q4.ods"), &[]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains("sheet \"Cover\": no header row")
            && err.contains("sheets: Cover, Shipments; choose one with --sheet"),
        "{err}"
    );
    let (o, _, _d) = report_of(&fixture("sheets/shipments_2025q4.xlsx"), &["--sheet", "Q4"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("no sheet named \"Q4\"; the workbook's sheets: Shipments, Cover"),
        "{}",
        stderr(&o)
    );

    let d = tmp();
    let bytes = std::fs::read(fixture("sheets/shipments_2025q4.xlsx")).unwrap();
    let cut = d.path().join("cut.xlsx");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let out = d.path().join("r.json");
    let o = run(report_cmd(&cut, &out, &[]));
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("cut.xlsx: cannot read the workbook as xlsx"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
    // A CSV renamed .xlsx is not a workbook either.
    let fake = d.path().join("fake.xlsx");
    std::fs::copy(fixture("shipments_2025q4.csv"), &fake).unwrap();
    let o = run(report_cmd(&fake, &out, &[]));
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("cannot read the workbook"),
        "{}",
        stderr(&o)
    );
    // ... but read as CSV on request.
    let o = run(report_cmd(&fake, &out, &["--input-format", "csv"]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn json_arrays_keep_numbers_exact_and_refuse_nesting() {
    let d = tmp();
    let p = d.path().join("s.json");
    std::fs::write(
        &p,
        r#"[
  {"shipment_id": "J-1", "import_date": "2025-10-01", "quarter": "2025Q4", "cn_code": "72081000",
   "origin_iso": "TR", "net_mass_kg": 12345.678901234567890123, "has_actual_emissions": false},
  {"shipment_id": "J-2", "import_date": "2025-10-02", "quarter": "2025Q4", "cn_code": "25231000",
   "origin_iso": "EG", "net_mass_kg": "1000", "extra_field": true}
]"#,
    )
    .unwrap();
    let out = d.path().join("r.json");
    let o = run(report_cmd(&p, &out, &[]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json(&out);
    let g = &r["detailed_goods"][0];
    assert_eq!(g["shipment_id"], "J-1");
    // 12345.678901234567890123 kg: more digits than an f64 holds, carried as written.
    let mass = g["net_mass_kg"].to_string();
    assert!(mass.starts_with("12345.678901234567890123"), "{mass}");
    std::fs::remove_file(&out).unwrap();

    std::fs::write(&p, "[{\"shipment_id\": \"J-1\", \"import_date\": \"2025-10-01\", \"quarter\": \"2025Q4\",\n \"cn_code\": \"72081000\", \"origin_iso\": \"TR\",\n \"net_mass_kg\": {\"value\": 1}}]").unwrap();
    let o = run(report_cmd(&p, &out, &[]));
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains(
            "s.json: line 3: field \"net_mass_kg\": expected a string, number, boolean or null"
        ),
        "{err}"
    );

    std::fs::write(&p, "{\"rows\": []}").unwrap();
    let o = run(report_cmd(&p, &out, &[]));
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("without \"shipments\""),
        "{}",
        stderr(&o)
    );

    std::fs::write(&p, "[{\"shipment_id\": \"J-1\",\n \"import_date\": ").unwrap();
    let o = run(report_cmd(&p, &out, &[]));
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("s.json: line 2: invalid JSON"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
}

#[test]
fn gzip_compressed_exports_read_like_the_plain_ones() {
    use std::io::Write;
    let d = tmp();
    let (_, expected, _d) = report_of(&fixture("shipments_2025q4.csv"), &[]);
    let expected = expected.unwrap();
    for (src, name) in [
        ("shipments_2025q4.csv", "s.csv.gz"),
        ("sheets/shipments_2025q4.json", "s.json.gz"),
    ] {
        let gz = d.path().join(name);
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&std::fs::read(fixture(src)).unwrap())
            .unwrap();
        let bytes = enc.finish().unwrap();
        std::fs::write(&gz, &bytes).unwrap();
        let (o, r, _d2) = report_of(&gz, &[]);
        assert_eq!(code(&o), 0, "{name}: {}", stderr(&o));
        let r = r.unwrap();
        assert_eq!(
            r["emissions_summary"], expected["emissions_summary"],
            "{name}"
        );
        // Findings keep the lines of the decompressed text; the digest is of the file given.
        let w = r["validation_results"]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "CA004")
            .cloned()
            .unwrap();
        assert_eq!(w["line"], if name.contains("json") { 40 } else { 4 });
        assert_eq!(w["file"], name);
        use sha2::Digest;
        let sha: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(r["provenance"]["inputs"][0]["sha256"], sha.as_str());
        // Cut short: refused, naming the damage.
        let cut = d.path().join(format!("cut_{name}"));
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let (o, r, _d3) = report_of(&cut, &[]);
        assert_eq!(code(&o), 2);
        assert!(r.is_none());
        assert!(
            stderr(&o).contains("the gzip stream is damaged"),
            "{}",
            stderr(&o)
        );
    }
}
