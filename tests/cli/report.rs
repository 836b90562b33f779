//! `cbam report` on the shipped fixtures: snapshot, accounting, factor choice, outputs.

use super::*;

fn fixture_report(dir: &Path, extra: &[&str]) -> (Output, serde_json::Value) {
    let out = dir.join("r.json");
    let mut args = vec!["--suppliers", fixture("suppliers.yaml").to_str().unwrap()]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    args.extend(extra.iter().map(|s| s.to_string()));
    let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let o = run(report_cmd(&fixture("shipments_2025q4.csv"), &out, &a));
    let r = json(&out);
    (o, r)
}

#[test]
fn fixture_report_snapshot() {
    let d = tmp();
    let (o, mut r) = fixture_report(d.path(), &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // Redact exactly the fields the report declares volatile (numbers stay exact text).
    let declared: Vec<String> = r["report_metadata"]["volatile_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        declared,
        [
            "report_metadata.generated_at",
            "importer_declaration.declaration_date"
        ]
    );
    for path in declared {
        let (section, field) = path.split_once('.').unwrap();
        r[section][field] = serde_json::Value::String("[volatile]".into());
    }
    insta::with_settings!({snapshot_path => "../../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("fixture_report_2025q4", serde_json::to_string_pretty(&r).unwrap());
    });
}

#[test]
fn rules_run_in_the_pipeline() {
    let d = tmp();
    let (_, r) = fixture_report(d.path(), &[]);
    // The fixture is 87 % default values for Q4 2025: the 20 % rule warns (and the report is still valid).
    assert_eq!(
        rule_codes(&r),
        vec![("CBAM-070".to_string(), "warning".to_string())]
    );
    assert_eq!(r["validation_results"]["is_valid"], true);
    let checked = r["validation_results"]["rules_checked"].as_array().unwrap();
    assert_eq!(checked.len(), 26, "the JSON Schema check and 25 rules");
    assert_eq!(
        (checked[0]["id"].as_str(), checked[0]["status"].as_str()),
        (Some("SCHEMA"), Some("passed"))
    );
    // The same as `cbam validate` says of the written file.
    let out = d.path().join("r.json");
    let mut c = cbam();
    c.args(["validate", "--format", "json", "--suppliers"])
        .arg(fixture("suppliers.yaml"))
        .arg("--report")
        .arg(&out);
    let o = run(c);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(&v["rules"], &r["validation_results"]["rules_checked"]);
}

#[test]
fn every_row_is_accounted_for() {
    let d = tmp();
    let (_, r) = fixture_report(d.path(), &[]);
    let rows = &r["goods_summary"]["rows"];
    assert_eq!(rows["read"], 24);
    assert_eq!(rows["calculated"], 23);
    assert_eq!(rows["out_of_scope"], 1);
    assert_eq!(rows["rejected"], 0);
    assert_eq!(r["detailed_goods"].as_array().unwrap().len(), 23);
    let rej = r["validation_results"]["rejected_rows"].as_array().unwrap();
    assert_eq!(rej.len(), 1);
    assert_eq!(rej[0]["status"], "out_of_scope");
    assert_eq!(rej[0]["codes"][0], "IN003");
}

pub(crate) fn line<'a>(r: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    r["detailed_goods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["shipment_id"] == id)
        .unwrap_or_else(|| panic!("{id} not calculated"))
}

#[test]
fn factor_choice_follows_policy_and_says_why() {
    let d = tmp();
    let (_, r) = fixture_report(d.path(), &[]);
    // (a) per-CN supplier actual beats the supplier's general figure.
    let a = &line(&r, "FX-2025Q4-0004")["emissions_calculation"];
    assert_eq!(a["calculation_method"], "actual_data");
    assert_eq!(a["factor_id"], "SUP:SUP-FX-01:72081000");
    assert_eq!(a["direct_emissions_tco2"].to_string(), "35.850");
    // (c) supplier does not produce the code → EU default, with the reason and the departure.
    let c = &line(&r, "FX-2025Q4-0003")["emissions_calculation"];
    assert_eq!(c["calculation_method"], "default_values");
    assert_eq!(c["factor_id"], "EU-TDV:25232100");
    assert!(c["trail"][0]
        .as_str()
        .unwrap()
        .contains("does not produce CN 2523 21 00"));
    assert!(c["departures_from_production_system"][0]
        .as_str()
        .unwrap()
        .contains("would have applied supplier SUP-FX-03"));
    // (d) stale supplier data.
    let s = &line(&r, "FX-2025Q4-0017")["emissions_calculation"];
    assert_eq!(s["calculation_method"], "default_values");
    assert!(s["trail"][0].as_str().unwrap().contains("2021"));
    // Normalised CN codes keep the original in the trail.
    let n = line(&r, "FX-2025Q4-0005");
    assert_eq!(n["cn_code"], "72081000");
    assert_eq!(n["cn_code_original"], "7208 10 00");
    // Supplier warnings are findings too.
    let codes = finding_codes(&r);
    for c in ["CA001", "CA002", "CA003", "CA004", "CA005", "IN003"] {
        assert!(
            codes.iter().any(|(x, _)| x == c),
            "missing finding {c}: {codes:?}"
        );
    }
}

#[test]
fn strict_matching_rejects_what_product_group_matching_accepts() {
    let d = tmp();
    let rules = d.path().join("pg.yaml");
    std::fs::write(&rules, "policy:\n  supplier_matching: product_group\n").unwrap();
    let (_, r) = fixture_report(d.path(), &["--rules", rules.to_str().unwrap()]);
    let c = &line(&r, "FX-2025Q4-0003")["emissions_calculation"];
    assert_eq!(c["calculation_method"], "actual_data", "{c}");
    assert_eq!(
        r["provenance"]["policy"]["supplier_matching"],
        "product_group"
    );
}

#[test]
fn totals_are_sums_of_rounded_lines() {
    let d = tmp();
    let (_, r) = fixture_report(d.path(), &[]);
    let dec = |v: &serde_json::Value| v.to_string().parse::<rust_decimal::Decimal>().unwrap();
    let mut sd = rust_decimal::Decimal::ZERO;
    let mut si = rust_decimal::Decimal::ZERO;
    let mut st = rust_decimal::Decimal::ZERO;
    for g in r["detailed_goods"].as_array().unwrap() {
        let e = &g["emissions_calculation"];
        let (d_, i_, t_) = (
            dec(&e["direct_emissions_tco2"]),
            dec(&e["indirect_emissions_tco2"]),
            dec(&e["total_emissions_tco2"]),
        );
        assert_eq!(d_ + i_, t_, "total is direct + indirect");
        sd += d_;
        si += i_;
        st += t_;
    }
    let es = &r["emissions_summary"];
    assert_eq!(dec(&es["exact_sums"]["total_emissions_tco2"]), st);
    assert_eq!(
        dec(&es["total_embedded_emissions_tco2"]),
        st.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointNearestEven)
    );
    assert_eq!(
        dec(&es["total_direct_emissions_tco2"]),
        sd.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointNearestEven)
    );
    assert_eq!(
        dec(&es["total_indirect_emissions_tco2"]),
        si.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointNearestEven)
    );
}

#[test]
fn summary_and_lines_outputs() {
    let d = tmp();
    let md = d.path().join("s.md");
    let lines = d.path().join("l.csv");
    let (o, r) = fixture_report(
        d.path(),
        &[
            "--summary",
            md.to_str().unwrap(),
            "--lines",
            lines.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 0);
    let md = std::fs::read_to_string(md).unwrap();
    let total = r["emissions_summary"]["total_embedded_emissions_tco2"].to_string();
    assert!(
        md.contains(&format!("**{total}**")),
        "summary states the total"
    );
    assert!(
        md.contains("## By sector") && md.contains("## By origin") && md.contains("## Findings")
    );
    let csv = std::fs::read_to_string(lines).unwrap();
    assert_eq!(csv.lines().count(), 1 + 23);
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .starts_with("shipment_id,row,import_date"));
}

#[test]
fn details_none_keeps_summaries_identical() {
    let d = tmp();
    let (_, full) = fixture_report(d.path(), &[]);
    let (_, none) = fixture_report(d.path(), &["--details", "none"]);
    assert!(none.get("detailed_goods").is_none());
    assert_eq!(full["emissions_summary"], none["emissions_summary"]);
    assert_eq!(full["goods_summary"], none["goods_summary"]);
    assert_eq!(none["report_metadata"]["details"], "summary");
    assert_eq!(
        none["validation_results"]["is_valid"], true,
        "a summary-only report is not invalid for lacking lines"
    );
    // Rules that read the lines say why they did not run on a summary-only report.
    let not_run = none["validation_results"]["rules_checked"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "not_run")
        .count();
    assert!(not_run > 10, "{not_run}");
}

#[test]
fn compat_policy_with_demo_factor_file_uses_first_match_and_calculates_scrap() {
    let d = tmp();
    let (o, r) = fixture_report(
        d.path(),
        &[
            "--rules",
            root().join("rules/greenlang_compat.yaml").to_str().unwrap(),
            "--emission-factors",
            fixture("greenlang/emission_factors.py").to_str().unwrap(),
        ],
    );
    // Codes the demo factor table lacks are rejected with CA006, never silently zero.
    assert_eq!(code(&o), 1);
    let codes = finding_codes(&r);
    assert!(codes.iter().any(|(c, _)| c == "CA006"));
    // 72031000: the first entry listing it (BOF 2.000), as the production system's [0] lookup.
    let dri = &line(&r, "FX-2025Q4-0006")["emissions_calculation"];
    assert_eq!(dri["factor_id"], "USER:steel_basic_oxygen_furnace");
    assert!(r["provenance"]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains("72031000")));
}

#[test]
fn stdout_json_format() {
    let d = tmp();
    let out = d.path().join("r.json");
    let o = run(report_cmd(
        &fixture("shipments_2025q4.csv"),
        &out,
        &["--format", "json"],
    ));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["rows"]["read"], 24);
    let q = run(report_cmd(&fixture("shipments_2025q4.csv"), &out, &["-q"]));
    assert!(q.stdout.is_empty());
}

#[test]
fn tsv_input_gives_the_same_numbers() {
    let d = tmp();
    let src = std::fs::read_to_string(fixture("shipments_2025q4.csv")).unwrap();
    // Re-write as TSV with the csv crate (quoted fields stay intact).
    let mut rdr = csv::ReaderBuilder::new().from_reader(src.as_bytes());
    let p = d.path().join("s.tsv");
    let mut w = csv::WriterBuilder::new()
        .delimiter(b'\t')
        .from_path(&p)
        .unwrap();
    w.write_record(rdr.headers().unwrap()).unwrap();
    for r in rdr.records() {
        w.write_record(&r.unwrap()).unwrap();
    }
    w.flush().unwrap();
    let (_, csv_r) = fixture_report(d.path(), &[]);
    let out = d.path().join("t.json");
    let o = run(report_cmd(
        &p,
        &out,
        &["--suppliers", fixture("suppliers.yaml").to_str().unwrap()],
    ));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let tsv_r = json(&out);
    assert_eq!(csv_r["emissions_summary"], tsv_r["emissions_summary"]);
    assert_eq!(csv_r["goods_summary"], tsv_r["goods_summary"]);
}

#[test]
fn definitive_period_uses_origin_tables_fallback_and_markup() {
    let d = tmp();
    let header = std::fs::read_to_string(fixture("shipments_2025q4.csv"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let p = d.path().join("def.csv");
    std::fs::write(
        &p,
        format!(
            "{header}\n\
             D-1,2026-02-10,2026Q1,72081000,steel,coil,CN,China,Imp,NL,1000,P,R,NO,,\n\
             D-2,2026-02-10,2026Q1,25231000,cement,clinker,EG,Egypt,Imp,NL,1000,P,R,NO,,\n\
             D-3,2026-02-10,2026Q1,72081000,steel,coil,FJ,Fiji,Imp,NL,1000,P,R,NO,,\n\
             D-4,2026-02-10,2026Q1,72081000,steel,coil,MX,Mexico,Imp,NL,1000,P,R,NO,,\n"
        ),
    )
    .unwrap();
    let out = d.path().join("r.json");
    let o = run(report_cmd(&p, &out, &[]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json(&out);
    assert_eq!(r["report_metadata"]["period_type"], "definitive");
    let e = |id: &str| line(&r, id)["emissions_calculation"].clone();
    // China table, heading 7208: 3.187 (Annex II: direct only) × 1.10 for 2026.
    assert_eq!(e("D-1")["factor_id"], "EU-DDV:CN:7208");
    assert_eq!(e("D-1")["total_emissions_tco2"].to_string(), "3.506");
    // Clinker without a TARIC code: the residual "other (grey) clinker" line; cement counts
    // direct + indirect: (1.24 + 0.03 = 1.27) × 1.10.
    assert_eq!(e("D-2")["factor_id"], "EU-DDV:EG:2523100090");
    assert_eq!(e("D-2")["total_emissions_tco2"].to_string(), "1.397");
    // No table for Fiji in the annex: "Other countries and territories".
    assert_eq!(e("D-3")["factor_id"], "EU-DDV:*:7208");
    assert_eq!(e("D-3")["total_emissions_tco2"].to_string(), "4.454");
    assert!(e("D-3")["trail"][0]
        .as_str()
        .unwrap()
        .contains("the annex has no table for origin FJ"));
    // Mexico has its own table: 7208 2.75 (route C) × 1.10.
    assert_eq!(e("D-4")["factor_id"], "EU-DDV:MX:7208");
    assert_eq!(e("D-4")["total_emissions_tco2"].to_string(), "3.025");
}

#[test]
fn columns_in_any_order_and_extra_columns_are_kept() {
    let d = tmp();
    let src = std::fs::read_to_string(fixture("shipments_2025q4.csv")).unwrap();
    let mut rdr = csv::ReaderBuilder::new().from_reader(src.as_bytes());
    let headers: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    // Reverse the column order and add a column the production export does not have.
    let p = d.path().join("reordered.csv");
    let mut w = csv::Writer::from_path(&p).unwrap();
    let mut h: Vec<&str> = headers.iter().rev().map(|s| s.as_str()).collect();
    h.push("customs_declaration_number");
    w.write_record(&h).unwrap();
    for (i, r) in rdr.records().enumerate() {
        let r = r.unwrap();
        let mut row: Vec<String> = r.iter().rev().map(String::from).collect();
        row.push(format!("25NL{i:014}"));
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
    let out = d.path().join("r.json");
    let o = run(report_cmd(
        &p,
        &out,
        &["--suppliers", fixture("suppliers.yaml").to_str().unwrap()],
    ));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json(&out);
    let (_, base) = fixture_report(d.path(), &[]);
    assert_eq!(r["emissions_summary"], base["emissions_summary"]);
    let g = line(&r, "FX-2025Q4-0001");
    assert_eq!(g["customs_declaration_number"], "25NL00000000000000");
}

/// Every pipeline finding code is in the README's table with its severity, and vice versa.
#[test]
fn readme_lists_every_finding_code() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for c in cbam::codes::CODES {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| {} |", c.code)))
            .unwrap_or_else(|| panic!("{} missing from README", c.code));
        assert!(row.contains(c.severity.as_str()), "{row}");
    }
    let listed = readme
        .lines()
        .filter(|l| {
            [
                "| IN0", "| CA0", "| DV0", "| RP0", "| CO0", "| TP0", "| XQ0",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        })
        .count();
    assert_eq!(listed, cbam::codes::CODES.len());
}

/// Several input files are one set of shipments: the same totals as the file they were cut
/// from, each row keeping its own file, row and line; duplicates found across files.
#[test]
fn several_inputs_are_one_set_of_shipments() {
    let d = tmp();
    let text = std::fs::read_to_string(fixture("shipments_2025q4.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let (a, b) = (d.path().join("oct_nov.csv"), d.path().join("dec.csv"));
    std::fs::write(&a, format!("{header}\n{}\n", rows[..12].join("\n"))).unwrap();
    std::fs::write(&b, format!("{header}\n{}\n", rows[12..].join("\n"))).unwrap();
    let sup = fixture("suppliers.yaml");
    let whole = d.path().join("whole.json");
    assert_eq!(
        code(&run(report_cmd(
            &fixture("shipments_2025q4.csv"),
            &whole,
            &["--suppliers", sup.to_str().unwrap()]
        ))),
        0
    );
    let both = d.path().join("both.json");
    let o = run(report_cmd(
        &a,
        &both,
        &[
            "--suppliers",
            sup.to_str().unwrap(),
            "--input",
            b.to_str().unwrap(),
        ],
    ));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let (w, r) = (json(&whole), json(&both));
    assert_eq!(r["emissions_summary"], w["emissions_summary"]);
    assert_eq!(r["goods_summary"], w["goods_summary"]);
    let inputs: Vec<&str> = r["provenance"]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["file_name"].as_str().unwrap())
        .collect();
    // In the order of their content's SHA-256, whatever their names and the order given.
    let mut by_digest = [("dec.csv", sha256_of(&b)), ("oct_nov.csv", sha256_of(&a))];
    by_digest.sort_by(|x, y| x.1.cmp(&y.1));
    assert_eq!(inputs, [by_digest[0].0, by_digest[1].0]);
    // Named the other way round: the same bytes.
    let swapped = d.path().join("swapped.json");
    let o = run(report_cmd(
        &b,
        &swapped,
        &[
            "--suppliers",
            sup.to_str().unwrap(),
            "--input",
            a.to_str().unwrap(),
        ],
    ));
    assert_eq!(code(&o), 0);
    assert_eq!(
        std::fs::read(&both).unwrap(),
        std::fs::read(&swapped).unwrap()
    );
    // Row 13 of the whole file is row 1 of dec.csv.
    let g = r["detailed_goods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["shipment_id"] == "FX-2025Q4-0013")
        .unwrap();
    assert_eq!(
        (g["_file"].as_str(), g["_row"].as_u64()),
        (Some("dec.csv"), Some(1))
    );
    let f = r["validation_results"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "CA005")
        .unwrap()
        .clone();
    assert_eq!(
        (f["file"].as_str(), f["row"].as_u64(), f["line"].as_u64()),
        (Some("dec.csv"), Some(5), Some(6))
    );
    // The same shipment in both files: both rows rejected (IN010), each naming its file.
    let c = d.path().join("again.csv");
    std::fs::write(&c, format!("{header}\n{}\n", rows[0])).unwrap();
    let dup = d.path().join("dup.json");
    let o = run(report_cmd(&a, &dup, &["--input", c.to_str().unwrap()]));
    assert_eq!(code(&o), 1);
    let r = json(&dup);
    let rej: Vec<(String, u64)> = r["validation_results"]["rejected_rows"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    (
                        x["file"].as_str().unwrap_or("").to_string(),
                        x["row"].as_u64().unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        rej,
        [("again.csv".to_string(), 1), ("oct_nov.csv".to_string(), 1)],
        "{}",
        r["validation_results"]
    );
}

#[test]
fn rows_of_two_quarters_without_quarter_are_refused_naming_both() {
    let d = tmp();
    let q3 = d.path().join("q3.csv");
    let header = "shipment_id,import_date,quarter,cn_code,origin_iso,net_mass_kg\n";
    std::fs::write(
        &q3,
        format!("{header}Q3-1,2025-08-01,2025Q3,72081000,CN,1000\nQ3-2,2025-09-30,2025Q3,72081000,IN,2000\n"),
    )
    .unwrap();
    let out = d.path().join("r.json");
    let mut c = report_cmd(&fixture("shipments_2025q4.csv"), &out, &[]);
    c.arg("--input").arg(&q3);
    let o = run(c);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let e = stderr(&o);
    for part in [
        "2025Q3: 2 rows",
        "2025Q4: 23 rows",
        "--quarter 2025Q3",
        "--quarter 2025Q4",
        "--period",
    ] {
        assert!(e.contains(part), "{part:?} in {e}");
    }
    assert!(!out.exists(), "nothing is written");
    // Naming the quarter: the other quarter's rows are rejected (IN007), never in the totals.
    let mut c = report_cmd(
        &fixture("shipments_2025q4.csv"),
        &out,
        &["--quarter", "2025Q4"],
    );
    c.arg("--input").arg(&q3);
    let o = run(c);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&out);
    assert_eq!(r["report_metadata"]["quarter"], "2025Q4");
    let rejected = r["validation_results"]["rejected_rows"].as_array().unwrap();
    let ids: Vec<&str> = rejected
        .iter()
        .filter(|x| x["status"] == "rejected")
        .filter_map(|x| x["shipment_id"].as_str())
        .collect();
    assert_eq!(ids, ["Q3-1", "Q3-2"]);
    assert!(
        rejected
            .iter()
            .filter(|x| x["status"] == "rejected")
            .all(|x| x["codes"] == serde_json::json!(["IN007"])),
        "{rejected:?}"
    );
}

fn sha256_of(p: &Path) -> String {
    cbam::provenance::sha256_hex(&std::fs::read(p).unwrap())
}
