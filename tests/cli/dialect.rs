//! Dialects: `;`-separated shipments with decimal commas (the LibreOffice export in
//! fixtures/sheets), the delimiter detected or given, the decimal mark detected or given, and
//! the `--lines` and `export` CSV written in the same dialect and read back.

use super::*;

fn report_of(
    input: &Path,
    extra: &[&str],
) -> (Output, Option<serde_json::Value>, tempfile::TempDir) {
    let d = tmp();
    let out = d.path().join("r.json");
    let o = run(report_cmd(input, &out, extra));
    let r = out.exists().then(|| json(&out));
    (o, r, d)
}

fn with_suppliers<'a>(extra: &[&'a str], suppliers: &'a str) -> Vec<&'a str> {
    let mut v = vec!["--suppliers", suppliers];
    v.extend_from_slice(extra);
    v
}

/// Per shipment: id, mass, direct, indirect and total emissions.
fn figures(r: &serde_json::Value) -> Vec<[String; 5]> {
    r["detailed_goods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let c = &g["emissions_calculation"];
            [
                g["shipment_id"].to_string(),
                g["net_mass_kg"].to_string(),
                c["direct_emissions_tco2"].to_string(),
                c["indirect_emissions_tco2"].to_string(),
                c["total_emissions_tco2"].to_string(),
            ]
        })
        .collect()
}

fn info_codes(r: &serde_json::Value) -> Vec<String> {
    r["validation_results"]["infos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn assert_same_numbers(a: &serde_json::Value, b: &serde_json::Value, what: &str) {
    assert_eq!(a["emissions_summary"], b["emissions_summary"], "{what}");
    assert_eq!(a["goods_summary"], b["goods_summary"], "{what}");
    assert_eq!(figures(a), figures(b), "{what}");
}

const SEMICOLON: &str = "sheets/shipments_2025q4_semicolon.csv";

#[test]
fn the_libreoffice_semicolon_export_reports_like_the_csv() {
    let suppliers = fixture("suppliers.yaml");
    let suppliers = suppliers.to_str().unwrap();
    let (o, expected, _d) = report_of(
        &fixture("shipments_2025q4.csv"),
        &with_suppliers(&[], suppliers),
    );
    let expected = expected.unwrap();
    let (o2, r, _d2) = report_of(&fixture(SEMICOLON), &with_suppliers(&[], suppliers));
    assert_eq!(code(&o2), code(&o), "{}", stderr(&o2));
    let r = r.unwrap();
    assert_same_numbers(&r, &expected, "detected");
    // Both detections are said, with the line and value that showed them.
    let infos = r["validation_results"]["infos"].as_array().unwrap();
    let note = |c: &str| infos.iter().find(|f| f["code"] == c).cloned().unwrap();
    assert!(note("IN020")["message"].as_str().unwrap().contains("';'"));
    assert_eq!(note("IN020")["line"], 1);
    let comma = note("IN021");
    assert_eq!(comma["field"], "net_mass_kg");
    assert_eq!(comma["found"], "12450,5");
    assert_eq!(comma["line"], 3);
    assert!(!info_codes(&expected)
        .iter()
        .any(|c| c == "IN020" || c == "IN021"));
    // The provenance records the dialect; the comma/point default records none (as before).
    let input = &r["provenance"]["inputs"][0];
    assert_eq!(input["delimiter"], ";");
    assert_eq!(input["decimal_mark"], ",");
    let plain = expected["provenance"]["inputs"].as_array().unwrap();
    assert!(plain
        .iter()
        .all(|i| i.get("delimiter").is_none() && i.get("decimal_mark").is_none()));

    // The summary's provenance says it too.
    let d = tmp();
    let md = d.path().join("s.md");
    let o = run(report_cmd(
        &fixture(SEMICOLON),
        &d.path().join("r.json"),
        &["--summary", md.to_str().unwrap()],
    ));
    assert!(code(&o) < 2, "{}", stderr(&o));
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(
        text.contains("shipments_2025q4_semicolon.csv (delimiter ';', decimal mark ',')"),
        "{text}"
    );

    // Given explicitly: the same numbers, nothing detected, so nothing noted.
    let (o3, r3, _d3) = report_of(
        &fixture(SEMICOLON),
        &with_suppliers(&["--delimiter", ";", "--decimal-comma"], suppliers),
    );
    assert_eq!(code(&o3), code(&o), "{}", stderr(&o3));
    let r3 = r3.unwrap();
    assert_same_numbers(&r3, &expected, "given");
    assert!(!info_codes(&r3).iter().any(|c| c == "IN020" || c == "IN021"));
    assert_eq!(r3["provenance"]["inputs"][0]["decimal_mark"], ",");
}

#[test]
fn a_delimiter_that_does_not_split_the_header_is_refused_naming_the_one_that_does() {
    for given in [",", "tab", "|"] {
        let (o, r, d) = report_of(&fixture(SEMICOLON), &["--delimiter", given]);
        let err = stderr(&o);
        assert_eq!(code(&o), 2, "{err}");
        assert!(r.is_none());
        assert_eq!(
            std::fs::read_dir(d.path()).unwrap().count(),
            0,
            "nothing written"
        );
        let shown = if given == "tab" {
            "tab".to_string()
        } else {
            format!("'{given}'")
        };
        for needle in [
            "shipments_2025q4_semicolon.csv",
            "line 1",
            &format!("--delimiter {shown}"),
            "split by ';' it has them",
        ] {
            assert!(err.contains(needle), "{needle:?} in {err}");
        }
    }
    // Not a delimiter at all: clap's exit 2, naming what is accepted.
    let (o, _, _d) = report_of(&fixture(SEMICOLON), &["--delimiter", ":"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("expected ',', ';', tab"),
        "{}",
        stderr(&o)
    );
    // A header no delimiter splits into the required columns: still the missing columns.
    let d = tmp();
    let p = d.path().join("s.csv");
    std::fs::write(&p, "shipment_id:import_date:quarter\nA:B:C\n").unwrap();
    let (o, _, _d) = report_of(&p, &[]);
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    assert!(err.contains("missing required column"), "{err}");
    assert!(err.contains("no delimiter among"), "{err}");
}

const HEADER: &str = "shipment_id;import_date;quarter;cn_code;origin_iso;net_mass_kg";

fn semicolon_file(d: &Path, masses: &[&str]) -> PathBuf {
    let mut text = format!("{HEADER}\n");
    for (i, m) in masses.iter().enumerate() {
        text.push_str(&format!("S{i};2025-10-15;2025Q4;72081000;CN;{m}\n"));
    }
    let p = d.join("s.csv");
    std::fs::write(&p, text).unwrap();
    p
}

fn mass_of(r: &serde_json::Value, id: &str) -> Option<String> {
    r["detailed_goods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["shipment_id"] == id)
        .map(|g| g["net_mass_kg"].to_string())
}

fn rejection(r: &serde_json::Value, id: &str) -> String {
    r["validation_results"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["shipment_id"] == id)
        .map(|f| format!("{} {}", f["code"], f["message"]))
        .unwrap_or_default()
}

#[test]
fn decimal_comma_numbers_are_read_exactly_or_rejected_with_the_reason() {
    let d = tmp();
    let p = semicolon_file(
        d.path(),
        &[
            "12.345,678",     // S0 dot thousands
            "1 234,5",        // S1 space thousands
            "1\u{a0}234,5",   // S2 no-break space
            "1.234",          // S3 a thousands separator: 1234
            "1,2,3",          // S4 two commas
            "-12,5",          // S5 negative
            "1.23",           // S6 groups not of three
            "0,000000000001", // S7 exact, no float
            "12.345.678,9",   // S8
        ],
    );
    let (o, r, _d) = report_of(&p, &["--decimal-comma"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = r.unwrap();
    assert_eq!(mass_of(&r, "S0").as_deref(), Some("12345.678"));
    assert_eq!(mass_of(&r, "S1").as_deref(), Some("1234.5"));
    assert_eq!(mass_of(&r, "S2").as_deref(), Some("1234.5"));
    assert_eq!(mass_of(&r, "S3").as_deref(), Some("1234"));
    assert_eq!(mass_of(&r, "S7").as_deref(), Some("0.000000000001"));
    assert_eq!(mass_of(&r, "S8").as_deref(), Some("12345678.9"));
    let s4 = rejection(&r, "S4");
    assert!(
        s4.contains("IN008") && s4.contains("more than one comma"),
        "{s4}"
    );
    let s5 = rejection(&r, "S5");
    assert!(s5.contains("IN008") && s5.contains("not positive"), "{s5}");
    let s6 = rejection(&r, "S6");
    assert!(s6.contains("IN008") && s6.contains("three digits"), "{s6}");
    assert_eq!(r["goods_summary"]["rows"]["rejected"], 3);
    assert_eq!(r["goods_summary"]["rows"]["read"], 9);
}

#[test]
fn an_ambiguous_decimal_mark_is_refused_unless_given() {
    let d = tmp();
    let p = semicolon_file(d.path(), &["100", "2,5", "1.234"]);
    let (o, r, _d) = report_of(&p, &[]);
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    assert!(r.is_none());
    for needle in [
        "s.csv",
        "line 4",
        "net_mass_kg \"1.234\"",
        "line 3",
        "--decimal-comma",
        "--decimal-point",
    ] {
        assert!(err.contains(needle), "{needle:?} in {err}");
    }
    // Said: with a decimal point the comma is rejected (with the way out), the point read.
    let (o, r, _d) = report_of(&p, &["--decimal-point"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = r.unwrap();
    assert_eq!(mass_of(&r, "S2").as_deref(), Some("1.234"));
    assert!(
        rejection(&r, "S1").contains("--decimal-comma"),
        "{}",
        rejection(&r, "S1")
    );
    // With a decimal comma, 1.234 is 1234.
    let (_, r, _d) = report_of(&p, &["--decimal-comma"]);
    let r = r.unwrap();
    assert_eq!(mass_of(&r, "S2").as_deref(), Some("1234"));
    assert_eq!(mass_of(&r, "S1").as_deref(), Some("2.5"));
    // A comma and a point that a decimal comma would reject: refused too.
    let p = semicolon_file(d.path(), &["2,5", "1.5"]);
    let (o, _, _d) = report_of(&p, &[]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    // Only a value with groups of three: 1.234 or 1234, nothing shows which: refused.
    let p = semicolon_file(d.path(), &["100", "1.234"]);
    let (o, _, _d) = report_of(&p, &[]);
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    assert!(
        err.contains("line 3 net_mass_kg \"1.234\" is 1.234 with a decimal point and 1234"),
        "{err}"
    );
    // … unless a value proves the point (a decimal comma would reject 12450.75).
    let p = semicolon_file(d.path(), &["1.234", "12450.75"]);
    let (o, r, _d) = report_of(&p, &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(mass_of(&r.unwrap(), "S0").as_deref(), Some("1.234"));
    // Only points (or only whole numbers): a decimal point, nothing noted.
    let p = semicolon_file(d.path(), &["100", "2.5"]);
    let (o, r, _d) = report_of(&p, &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = r.unwrap();
    assert_eq!(mass_of(&r, "S1").as_deref(), Some("2.5"));
    assert_eq!(info_codes(&r), vec!["IN020"]);
    assert_eq!(r["provenance"]["inputs"][0]["decimal_mark"], ".");
}

/// The CSV's records, numbers with a point.
fn records(p: &Path, delimiter: u8) -> Vec<Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_path(p)
        .unwrap();
    rdr.records()
        .map(|r| r.unwrap().iter().map(|f| f.replace(',', ".")).collect())
        .collect()
}

#[test]
fn lines_written_in_the_eu_dialect_read_back_to_the_same_numbers() {
    let d = tmp();
    let input = fixture("shipments_2025q4.csv");
    let plain = d.path().join("plain.csv");
    let eu = d.path().join("eu.csv");
    for (lines, extra) in [
        (&plain, &[][..]),
        (
            &eu,
            &["--output-delimiter", ";", "--output-decimal-comma"][..],
        ),
    ] {
        let out = d.path().join("r.json");
        let mut args = vec!["--lines", lines.to_str().unwrap()];
        args.extend_from_slice(extra);
        let o = run(report_cmd(&input, &out, &args));
        assert!(code(&o) < 2, "{}", stderr(&o));
    }
    let eu_text = std::fs::read_to_string(&eu).unwrap();
    assert!(eu_text.starts_with("shipment_id;row;"), "{eu_text}");
    assert!(eu_text.contains(";12450,5;"), "{eu_text}");
    assert_eq!(records(&eu, b';'), records(&plain, b','));
    // Read back by the tool (the lines carry every required column): the same report.
    let (_, a, _da) = report_of(&plain, &[]);
    let (_, b, _db) = report_of(&eu, &[]);
    let b = b.unwrap();
    assert_same_numbers(&a.unwrap(), &b, "lines");
    assert!(info_codes(&b).contains(&"IN021".to_string()));
}

#[test]
fn export_in_the_eu_dialect_reads_back_to_the_same_numbers() {
    let d = tmp();
    let backup = fixture("pgdump/greenlang.sql.gz");
    let export = |out: &Path, extra: &[&str]| {
        let o = run({
            let mut c = cbam();
            c.args(["export", "--database-backup"])
                .arg(&backup)
                .arg("--output")
                .arg(out)
                .args(extra);
            c
        });
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    };
    let plain = d.path().join("plain.csv");
    let eu = d.path().join("eu.csv");
    export(&plain, &[]);
    export(&eu, &["--output-delimiter", ";", "--output-decimal-comma"]);
    let eu_text = std::fs::read_to_string(&eu).unwrap();
    assert!(eu_text.contains(";12450,500;"), "{eu_text}");
    let (o, a, _da) = report_of(&plain, &[]);
    let (o2, b, _db) = report_of(&eu, &[]);
    assert_eq!(code(&o), code(&o2), "{}", stderr(&o2));
    assert_same_numbers(&a.unwrap(), &b.unwrap(), "export");
    // A value that is not a plain decimal would change meaning: refused, nothing written.
    let dump = d.path().join("bad.sql");
    std::fs::write(
        &dump,
        "CREATE TABLE public.shipments (\n    shipment_id text,\n    net_mass_kg text\n);\n\
         COPY public.shipments (shipment_id, net_mass_kg) FROM stdin;\nA\t12.5\nB\t1,234\n\\.\n\
         -- PostgreSQL database dump complete\n",
    )
    .unwrap();
    let out = d.path().join("bad.csv");
    let o = run({
        let mut c = cbam();
        c.args(["export", "--output-decimal-comma", "--database-backup"])
            .arg(&dump)
            .arg("--output")
            .arg(&out);
        c
    });
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    assert!(
        err.contains("net_mass_kg") && err.contains("\"1,234\""),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn quantity_mwh_is_read_with_the_decimal_comma_too() {
    let d = tmp();
    let total = |text: &str, name: &str| {
        let p = d.path().join(name);
        std::fs::write(&p, text).unwrap();
        let (o, r, _d) = report_of(&p, &[]);
        let r = r.unwrap();
        (code(&o), r)
    };
    let (c, eu) = total(
        "shipment_id;import_date;quarter;cn_code;origin_iso;net_mass_kg;quantity_mwh\n\
         E1;2026-01-15;2026Q1;27160000;RS;;1.250,5\nE2;2026-01-15;2026Q1;27160000;RS;;1,2,3\n",
        "eu.csv",
    );
    assert_eq!(c, 1);
    let (c, plain) = total(
        "shipment_id,import_date,quarter,cn_code,origin_iso,net_mass_kg,quantity_mwh\n\
         E1,2026-01-15,2026Q1,27160000,RS,,1250.5\n",
        "plain.csv",
    );
    assert_eq!(c, 0);
    let t = |r: &serde_json::Value| r["detailed_goods"][0]["emissions_calculation"].clone();
    assert_eq!(t(&eu), t(&plain));
    let e2 = rejection(&eu, "E2");
    assert!(
        e2.contains("DV006") && e2.contains("more than one comma"),
        "{e2}"
    );
}
