//! Bad input: exit 2 with file/line/field for unusable files, findings for bad rows; never a
//! panic, never a partial output file.

use super::*;

/// Exit 2, the message names the file, and no output file appears.
fn unusable(input: &Path, needle: &str) {
    let d = tmp();
    let out = d.path().join("r.json");
    let o = run(report_cmd(input, &out, &[]));
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    assert!(
        err.contains(input.file_name().unwrap().to_str().unwrap()),
        "names the file: {err}"
    );
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!out.exists(), "no output written on failure");
    assert_eq!(
        std::fs::read_dir(d.path()).unwrap().count(),
        0,
        "no temp files left behind"
    );
}

#[test]
fn missing_file() {
    unusable(&fixture("bad/does_not_exist.csv"), "cannot read");
}

#[test]
fn empty_file() {
    unusable(&fixture("bad/empty.csv"), "empty");
}

#[test]
fn header_only() {
    unusable(&fixture("bad/header_only.csv"), "no shipment rows");
}

/// A `;`-separated file is read with the delimiter its header shows (IN020 says so); a
/// `--delimiter` that does not split the header into the required columns is refused.
#[test]
fn wrong_delimiter() {
    let d = tmp();
    let out = d.path().join("r.json");
    let input = fixture("bad/semicolon_delimited.csv");
    let o = run(report_cmd(&input, &out, &[]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json(&out);
    assert_eq!(r["goods_summary"]["rows"]["calculated"], 3);
    assert_eq!(r["validation_results"]["infos"][0]["code"], "IN020");
    let o = run(report_cmd(&input, &out, &["--delimiter", ","]));
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    assert!(err.contains("semicolon_delimited.csv: line 1"), "{err}");
    assert!(
        err.contains("--delimiter ','") && err.contains("split by ';'"),
        "{err}"
    );
}

#[test]
fn missing_required_column() {
    unusable(&fixture("bad/missing_required_column.csv"), "net_mass_kg");
}

#[test]
fn unknown_extension() {
    let d = tmp();
    let p = d.path().join("shipments.dat");
    std::fs::copy(fixture("shipments_2025q4.csv"), &p).unwrap();
    unusable(&p, "unsupported input format");
    // … unless the format is given.
    let out = d.path().join("r.json");
    let o = run(report_cmd(&p, &out, &["--input-format", "csv"]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn bad_flags_are_usage_errors() {
    let d = tmp();
    let out = d.path().join("r.json");
    for (flag, value, needle) in [
        ("--importer-eori", "not an eori", "--importer-eori"),
        ("--importer-country", "US", "--importer-country"),
        ("--quarter", "2025-Q4", "--quarter"),
        ("--generated-at", "yesterday", "--generated-at"),
    ] {
        let o = run(report_cmd(
            &fixture("shipments_2025q4.csv"),
            &out,
            &[flag, value],
        ));
        assert_eq!(code(&o), 2, "{flag}");
        assert!(stderr(&o).contains(needle), "{}", stderr(&o));
        assert!(!out.exists());
    }
    let o = run({
        let mut c = cbam();
        c.args(["report", "--input", "x.csv"]);
        c
    });
    assert_eq!(code(&o), 2, "missing required flags");
}

#[test]
fn too_many_fields_is_a_row_finding() {
    let d = tmp();
    let out = d.path().join("r.json");
    let o = run(report_cmd(&fixture("bad/too_many_fields.csv"), &out, &[]));
    assert_eq!(code(&o), 1);
    let r = json(&out);
    assert_eq!(finding_codes(&r), vec![("IN013".to_string(), 2)]);
    let e = &r["validation_results"]["errors"][0];
    assert_eq!(e["line"], 3);
    assert_eq!(e["found"], "18 fields");
    assert_eq!(r["goods_summary"]["rows"]["calculated"], 2);
}

#[test]
fn one_megabyte_field_is_rejected_not_carried() {
    let d = tmp();
    let src = std::fs::read_to_string(fixture("shipments_2025q4.csv")).unwrap();
    let mut lines: Vec<String> = src.lines().map(String::from).collect();
    // Replace the notes (last column) of the first unquoted row with 1 MB.
    let idx = (1..lines.len()).find(|&i| !lines[i].contains('"')).unwrap();
    let row = &mut lines[idx];
    let cut = row.rfind(',').unwrap();
    row.truncate(cut + 1);
    row.push_str(&"x".repeat(1 << 20));
    let p = d.path().join("huge.csv");
    std::fs::write(&p, lines.join("\n")).unwrap();
    let out = d.path().join("r.json");
    let o = run(report_cmd(&p, &out, &[]));
    assert_eq!(code(&o), 1);
    let r = json(&out);
    let e = &r["validation_results"]["errors"][0];
    assert_eq!(e["code"], "IN014");
    assert_eq!(e["field"], "notes");
    assert_eq!(e["row"], idx as u64);
    assert!(
        std::fs::metadata(&out).unwrap().len() < 200_000,
        "the 1 MB value is not copied into the report"
    );
}

#[test]
fn latin1_falls_back_with_a_warning() {
    let d = tmp();
    let out = d.path().join("r.json");
    let o = run(report_cmd(&fixture("bad/latin1.csv"), &out, &[]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json(&out);
    let w = r["validation_results"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "IN015")
        .unwrap();
    assert_eq!(w["file"], "latin1.csv");
    assert!(r["detailed_goods"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["importer_name"] == "Baltic Metals OÜ"));
}

#[test]
fn utf8_bom_is_accepted() {
    let d = tmp();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read(fixture("shipments_2025q4.csv")).unwrap());
    let p = d.path().join("bom.csv");
    std::fs::write(&p, bytes).unwrap();
    let out = d.path().join("r.json");
    let o = run(report_cmd(&p, &out, &[]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&out)["goods_summary"]["rows"]["read"], 24);
}

/// One test per row-check code: each row of bad/row_checks.csv gives exactly its finding.
#[test]
fn row_checks_give_one_finding_each() {
    let d = tmp();
    let out = d.path().join("r.json");
    let o = run(report_cmd(&fixture("bad/row_checks.csv"), &out, &[]));
    assert_eq!(code(&o), 1);
    let r = json(&out);
    let expected: Vec<(&str, u64)> = vec![
        ("IN001", 2),  // origin_iso empty
        ("IN002", 3),  // 7 digits
        ("IN002", 4),  // letter O
        ("IN004", 5),  // 2025-13-45
        ("IN005", 6),  // date outside quarter
        ("IN006", 7),  // 2025-Q4
        ("IN008", 8),  // zero mass
        ("IN008", 9),  // negative mass
        ("IN008", 10), // 12,5t
        ("IN009", 11), // China
        ("IN009", 12), // cn
        ("IN010", 13), // duplicate id, first
        ("IN010", 14), // duplicate id, second
    ];
    let mut expected: Vec<(String, u64)> = expected
        .into_iter()
        .map(|(c, r)| (c.to_string(), r))
        .collect();
    expected.sort();
    assert_eq!(finding_codes(&r), expected);
    let rows = &r["goods_summary"]["rows"];
    assert_eq!(
        (
            rows["read"].as_u64(),
            rows["calculated"].as_u64(),
            rows["rejected"].as_u64()
        ),
        (Some(15), Some(2), Some(13))
    );
    // Each finding names the field, what was expected and what was found.
    for f in r["validation_results"]["errors"].as_array().unwrap() {
        assert!(
            f["field"].is_string() && f["expected"].is_string() && f["line"].is_u64(),
            "{f}"
        );
    }
}

#[test]
fn date_outside_quarter_can_be_a_warning() {
    let d = tmp();
    let rules = d.path().join("r.yaml");
    std::fs::write(&rules, "policy:\n  date_outside_quarter: warning\n").unwrap();
    let out = d.path().join("r.json");
    let _ = run(report_cmd(
        &fixture("bad/row_checks.csv"),
        &out,
        &["--rules", rules.to_str().unwrap()],
    ));
    let r = json(&out);
    let w = r["validation_results"]["warnings"].as_array().unwrap();
    assert!(w.iter().any(|f| f["code"] == "IN005" && f["row"] == 6));
}

#[test]
fn other_row_checks() {
    let d = tmp();
    let head = crate::root().join("fixtures/shipments_2025q4.csv");
    let header = std::fs::read_to_string(head)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let rows = [
        // IN003: out of scope (7602 aluminium scrap), IN011: odd has_actual flag, IN012: importer outside EU
        "X-1,2025-10-02,2025Q4,76020000,aluminum,scrap,CN,China,Imp,NL,100,P,R,NO,,",
        "X-2,2025-10-02,2025Q4,72081000,steel,coil,CN,China,Imp,US,100,P,R,MAYBE,,",
        // IN016: product group disagrees with CN; IN017: before CBAM started; IN007 via --quarter
        "X-3,2025-10-02,2025Q4,72081000,cement,coil,CN,China,Imp,NL,100,P,R,NO,,",
        "X-4,2023-09-30,2023Q3,72081000,steel,coil,CN,China,Imp,NL,100,P,R,NO,,",
        "X-5,2025-07-02,2025Q3,72081000,steel,coil,CN,China,Imp,NL,100,P,R,NO,,",
        // CA011: PARTIAL
        "X-6,2025-10-02,2025Q4,72081000,steel,coil,CN,China,Imp,NL,100,P,R,PARTIAL,,",
        // IN008: absurd masses are refused before they reach any sum
        "X-9,2025-10-02,2025Q4,72081000,steel,coil,CN,China,Imp,NL,9999999999999999999999999999,P,R,NO,,",
        // IN018: origin exempt (Annex III) or inside the Union
        "X-7,2025-10-02,2025Q4,72081000,steel,coil,CH,Switzerland,Imp,NL,100,P,R,NO,,",
        "X-8,2025-10-02,2025Q4,72081000,steel,coil,DE,Germany,Imp,NL,100,P,R,NO,,",
    ];
    let p = d.path().join("x.csv");
    std::fs::write(&p, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
    let out = d.path().join("r.json");
    let _ = run(report_cmd(&p, &out, &["--quarter", "2025Q4"]));
    let r = json(&out);
    let codes = finding_codes(&r);
    for (c, row) in [
        ("IN003", 1),
        ("IN011", 2),
        ("IN012", 2),
        ("IN016", 3),
        ("IN017", 4),
        ("IN007", 4),
        ("IN007", 5),
        ("CA011", 6),
        ("IN008", 7),
        ("IN018", 8),
        ("IN018", 9),
    ] {
        assert!(
            codes.contains(&(c.to_string(), row)),
            "{c} on row {row}: {codes:?}"
        );
    }
}

/// Writing to a device (e.g. /dev/null) writes through it; it must never be replaced by a
/// renamed temp file.
#[cfg(unix)]
#[test]
fn output_to_a_device_is_written_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let o = run(report_cmd(
        &fixture("shipments_2025q4.csv"),
        Path::new("/dev/null"),
        &["--summary", "/dev/null"],
    ));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(std::fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
}

/// Hostile reference files: exit 2 with a message, bounded time and memory, never a panic.
#[test]
fn hostile_yaml_and_json_are_refused() {
    let d = tmp();
    let mut laughs =
        vec![r#"a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]"#.to_string()];
    for i in 1..10 {
        laughs.push(format!(
            "a{i}: &a{i} [{}]",
            vec![format!("*a{}", i - 1); 9].join(",")
        ));
    }
    laughs.push("suppliers: *a9".into());
    let billion = d.path().join("laughs.yaml");
    std::fs::write(&billion, laughs.join("\n")).unwrap();
    // The same under `metadata:`, a key a supplier profile may hold (any other key is refused
    // before an alias is expanded).
    let mut nested = vec!["metadata:".to_string()];
    nested.extend(laughs[..laughs.len() - 1].iter().map(|l| format!("  {l}")));
    nested.push("suppliers: *a9".into());
    let billion_profile = d.path().join("laughs_profile.yaml");
    std::fs::write(&billion_profile, nested.join("\n")).unwrap();
    let deep_yaml = d.path().join("deep.yaml");
    std::fs::write(
        &deep_yaml,
        format!("suppliers: {}{}\n", "[".repeat(50_000), "]".repeat(50_000)),
    )
    .unwrap();
    let deep_json = d.path().join("deep.json");
    std::fs::write(
        &deep_json,
        format!("{{\"a\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000)),
    )
    .unwrap();
    let out = d.path().join("r.json");
    for (flag, file, needle) in [
        ("--suppliers", &billion_profile, "budget"),
        ("--suppliers", &billion, "unknown field `a0`"),
        ("--suppliers", &deep_yaml, "recursion"),
        ("--rules", &billion, "budget"),
    ] {
        let o = run(report_cmd(
            &fixture("shipments_2025q4.csv"),
            &out,
            &[flag, file.to_str().unwrap()],
        ));
        assert_eq!(code(&o), 2, "{flag} {file:?}");
        assert!(stderr(&o).contains(needle), "{}", stderr(&o));
        assert!(!out.exists());
    }
    let other = fixture("greenlang/report_v1_2025q4.json");
    for cmd in [
        vec!["validate", "--report"],
        vec!["diff", other.to_str().unwrap()],
    ] {
        let mut c = cbam();
        c.args(&cmd).arg(&deep_json);
        let o = run(c);
        assert_eq!(code(&o), 2, "{cmd:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("deep.json"), "{}", stderr(&o));
    }
}

/// Absurd factors are load errors (they would be unit mistakes, and could overflow sums).
#[test]
fn absurd_factors_are_refused() {
    let d = tmp();
    let f = d.path().join("f.csv");
    std::fs::write(
        &f,
        "cn_code,direct,indirect\n72081000,100000000000000000000,0\n",
    )
    .unwrap();
    let s = d.path().join("s.yaml");
    std::fs::write(&s, "suppliers:\n  - supplier_id: S\n    actual_emissions_data:\n      direct_emissions_tco2_per_ton: 2000\n").unwrap();
    let out = d.path().join("r.json");
    for (flag, file) in [("--emission-factors", &f), ("--suppliers", &s)] {
        let o = run(report_cmd(
            &fixture("shipments_2025q4.csv"),
            &out,
            &[flag, file.to_str().unwrap()],
        ));
        assert_eq!(code(&o), 2, "{flag}");
        assert!(stderr(&o).contains("outside ±1000"), "{}", stderr(&o));
        assert!(!out.exists());
    }
}
