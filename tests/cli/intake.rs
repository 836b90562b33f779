//! CSV/TSV/JSON intake (issue 14): physical line numbers for every line ending, duplicate
//! header names and JSON keys refused alike, a bounded number of columns, fields and names
//! bounded while read, records that swallowed lines named.

use super::corpus::{run_measured, MAX_RSS_KB};
use super::*;

const HEADER: &str = "shipment_id,import_date,quarter,cn_code,product_group,product_description,origin_iso,origin_country,importer_name,importer_country,net_mass_kg,port_of_entry,importer_reference,has_actual_emissions,supplier_id,notes";

fn row(id: &str, date: &str) -> String {
    format!("{id},{date},2025Q4,25231000,cement,Clinker,TR,Turkey,Noordzee Staal Import BV,NL,100,Rotterdam,R,NO,,")
}

/// The findings of a report as (code, line).
fn finding_lines(r: &serde_json::Value) -> Vec<(String, u64)> {
    ["errors", "warnings"]
        .iter()
        .flat_map(|k| {
            r["validation_results"][k]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|f| Some((f["code"].as_str()?.to_string(), f["line"].as_u64()?)))
        .collect()
}

fn report_of(p: &Path) -> (i32, serde_json::Value) {
    let out = p.with_extension("report.json");
    let o = run(report_cmd(p, &out, &[]));
    assert!(matches!(code(&o), 0 | 1), "{}", stderr(&o));
    (code(&o), json(&out))
}

/// Exit 2, no report, and every needle in the message.
fn refused(p: &Path, needles: &[&str]) -> String {
    let out = p.with_extension("report.json");
    let o = run(report_cmd(p, &out, &[]));
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    assert!(!out.exists(), "nothing written");
    let name = p.file_name().unwrap().to_str().unwrap();
    assert!(err.contains(name), "names the file: {err}");
    for n in needles {
        assert!(err.contains(n), "expected {n:?} in: {err}");
    }
    err
}

#[test]
fn line_numbers_are_physical_for_lf_crlf_cr_and_blank_lines() {
    let d = tmp();
    // Header, blank, good row, blank, blank, bad date: the bad row is on physical line 6.
    let lines = [
        HEADER.to_string(),
        String::new(),
        row("A", "2025-10-01"),
        String::new(),
        String::new(),
        row("B", "2025-10-0X"),
        row("C", "2025-10-02"),
    ];
    for (name, eol) in [("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")] {
        let p = d.path().join(format!("{name}.csv"));
        std::fs::write(&p, lines.join(eol) + eol).unwrap();
        let (_, r) = report_of(&p);
        assert_eq!(
            finding_lines(&r)
                .into_iter()
                .filter(|(c, _)| c == "IN004")
                .collect::<Vec<_>>(),
            vec![("IN004".to_string(), 6)],
            "{name}"
        );
        assert_eq!(r["goods_summary"]["rows"]["read"], 3, "{name}");
        // An error (exit 2) names the physical line too: a quote opened on line 6.
        let bad = d.path().join(format!("{name}_quote.csv"));
        let mut broken = lines.to_vec();
        broken[5] = broken[5].replacen(",Clinker,", ",\"Clinker,", 1);
        std::fs::write(&bad, broken.join(eol) + eol).unwrap();
        refused(
            &bad,
            &["line 6: a quoted field opens here and is never closed"],
        );
        // Blank lines before the header: the header's own line.
        let p = d.path().join(format!("{name}_header.csv"));
        let header = HEADER.replace("net_mass_kg", "mass");
        std::fs::write(&p, [eol, eol, &header, eol].concat()).unwrap();
        refused(
            &p,
            &["line 3 (header): missing required column(s) net_mass_kg"],
        );
    }
}

#[test]
fn json_line_numbers_are_physical_for_crlf_and_cr() {
    let d = tmp();
    let obj = |id: &str, date: &str| {
        format!(
            r#"{{"shipment_id":"{id}","import_date":"{date}","quarter":"2025Q4","cn_code":"25231000","origin_iso":"TR","net_mass_kg":"100"}}"#
        )
    };
    for (name, eol) in [("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")] {
        let text = [
            "[".to_string(),
            obj("A", "2025-10-01") + ",",
            String::new(),
            obj("B", "2025-10-0X"),
            "]".into(),
        ]
        .join(eol);
        let p = d.path().join(format!("{name}.json"));
        std::fs::write(&p, &text).unwrap();
        let (_, r) = report_of(&p);
        assert!(
            finding_lines(&r).contains(&("IN004".to_string(), 4)),
            "{name}: {:?}",
            finding_lines(&r)
        );
        // A syntax error names the physical line and column.
        let p = d.path().join(format!("{name}_bad.json"));
        std::fs::write(&p, text.replacen("\"B\",", "\"B\" ", 1)).unwrap();
        refused(&p, &["line 4: invalid JSON"]);
    }
}

#[test]
fn duplicate_header_names_are_refused_naming_both_columns() {
    let d = tmp();
    // A known column twice after normalisation (case, surrounding spaces).
    let p = d.path().join("known.csv");
    let header = HEADER.replace(",notes", ", Net_Mass_KG ");
    std::fs::write(&p, format!("{header}\n{}\n", row("A", "2025-10-01"))).unwrap();
    refused(
        &p,
        &[
            "line 1 (header): column \"net_mass_kg\" appears more than once",
            "column 11 (K) \"net_mass_kg\" and column 16 (P) \"Net_Mass_KG\"",
        ],
    );
    // An extra column twice.
    let p = d.path().join("extra.csv");
    std::fs::write(
        &p,
        format!("\n{HEADER},Batch,BATCH\n{},1,2\n", row("A", "2025-10-01")),
    )
    .unwrap();
    refused(
        &p,
        &[
            "line 2 (header)",
            "column 17 (Q) \"Batch\" and column 18 (R) \"BATCH\"",
        ],
    );
    // JSON keys naming one column, in two objects.
    let p = d.path().join("keys.json");
    std::fs::write(
        &p,
        "[{\"shipment_id\":\"A\",\"import_date\":\"2025-10-01\",\"quarter\":\"2025Q4\",\"cn_code\":\"25231000\",\"origin_iso\":\"TR\",\"net_mass_kg\":\"1\"},\n{\"shipment_id\":\"B\",\"Net_Mass_Kg\":\"2\"}]",
    )
    .unwrap();
    refused(
        &p,
        &["line 2: key \"Net_Mass_Kg\" and key \"net_mass_kg\" (line 1) name one column"],
    );
}

#[test]
fn two_hundred_thousand_columns_are_refused_at_once() {
    let d = tmp();
    let p = d.path().join("wide.csv");
    let mut header = HEADER.to_string();
    for i in 0..200_000 {
        header.push_str(&format!(",x{i}"));
    }
    std::fs::write(&p, format!("{header}\n{}\n", row("A", "2025-10-01"))).unwrap();
    let started = std::time::Instant::now();
    let m = run_measured(report_cmd(&p, &d.path().join("r.json"), &[]));
    assert_eq!(m.status.code(), Some(2), "{}", m.stderr);
    assert!(
        m.stderr
            .contains("line 1: the header has 200016 columns; at most 256 are read"),
        "{}",
        m.stderr
    );
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    assert!(m.max_rss_kb < MAX_RSS_KB, "{} kB", m.max_rss_kb);
}

#[test]
fn json_distinct_keys_are_bounded_and_linear() {
    let d = tmp();
    let first = r#"{"shipment_id":"A","import_date":"2025-10-01","quarter":"2025Q4","cn_code":"25231000","origin_iso":"TR","net_mass_kg":"1"}"#;
    // 3 MB of objects that each bring a new key: grew with the square of the keys (20 GB).
    let mut text = format!("[{first}");
    let mut i = 0;
    while text.len() < 3_000_000 {
        text.push_str(&format!(",\n{{\"k{i}\":1}}"));
        i += 1;
    }
    text.push(']');
    let p = d.path().join("keys.json");
    std::fs::write(&p, &text).unwrap();
    let m = run_measured(report_cmd(&p, &d.path().join("r.json"), &[]));
    assert_eq!(m.status.code(), Some(2), "{}", m.stderr);
    assert!(
        m.stderr
            .contains("line 252: key \"k250\" is distinct key number 257: at most 256"),
        "{}",
        m.stderr
    );
    assert!(m.max_rss_kb < MAX_RSS_KB, "{} kB", m.max_rss_kb);
    // Within the bound, many sparse objects cost what their rows cost.
    let mut text = format!("[{first}");
    let mut n = 0;
    while text.len() < 3_000_000 {
        text.push_str(&format!(
            ",\n{}",
            first.replacen("\"A\"", &format!("\"A{n}\",\"k{}\":1", n % 240), 1)
        ));
        n += 1;
    }
    text.push(']');
    std::fs::write(&p, &text).unwrap();
    let m = run_measured(report_cmd(&p, &d.path().join("r.json"), &[]));
    assert_eq!(m.status.code(), Some(0), "{}", m.stderr);
    // (Peak RSS from wait4 includes the test process's pages the child shares until it
    // execs, so the bound here is the corpus's; alone this run peaks near 80 MB.)
    assert!(m.max_rss_kb < MAX_RSS_KB, "{} kB", m.max_rss_kb);
}

#[test]
fn a_json_string_over_the_field_bound_is_refused_while_read() {
    let d = tmp();
    let p = d.path().join("long.json");
    let long = "a".repeat(10 << 20);
    std::fs::write(
        &p,
        format!("[\n{{\"shipment_id\":\"A\",\"import_date\":\"2025-10-01\",\"quarter\":\"2025Q4\",\"cn_code\":\"25231000\",\"origin_iso\":\"TR\",\"net_mass_kg\":\"1\",\n\"notes\":\"{long}\"}}]"),
    )
    .unwrap();
    let m = run_measured(report_cmd(&p, &d.path().join("r.json"), &[]));
    assert_eq!(m.status.code(), Some(2), "{}", m.stderr);
    assert!(
        m.stderr.contains("line 3: field \"notes\": the value is 10485762 bytes long as written (limit 65536 bytes)"),
        "{}",
        m.stderr
    );
    // Serde_json held the whole string, then the CSV and the row again: now only the mapped
    // file is (alone this run peaks near 46 MB; see above for the bound).
    assert!(m.max_rss_kb < MAX_RSS_KB, "{} kB", m.max_rss_kb);
    // Escapes decode shorter: judged on the decoded length.
    let escaped = "\\n".repeat(40_000);
    std::fs::write(
        &p,
        format!("[{{\"shipment_id\":\"A\",\"import_date\":\"2025-10-01\",\"quarter\":\"2025Q4\",\"cn_code\":\"25231000\",\"origin_iso\":\"TR\",\"net_mass_kg\":\"1\",\"notes\":\"{escaped}\"}}]"),
    )
    .unwrap();
    let out = d.path().join("r.json");
    let o = run(report_cmd(&p, &out, &[]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn header_names_and_keys_are_bounded_in_length() {
    let d = tmp();
    let p = d.path().join("name.csv");
    let long = "n".repeat(300);
    std::fs::write(
        &p,
        format!("{HEADER},{long}\n{},1\n", row("A", "2025-10-01")),
    )
    .unwrap();
    refused(
        &p,
        &[
            "line 1: header column 17 (Q)",
            "the name is 300 bytes long (limit 256)",
        ],
    );
    let p = d.path().join("key.json");
    std::fs::write(&p, format!("[\n{{\"{long}\":1}}]")).unwrap();
    refused(
        &p,
        &[
            "line 2: invalid JSON: key \"nnnn",
            "is 300 bytes long (limit 256)",
        ],
    );
}

#[test]
fn a_stray_quote_names_the_lines_it_swallowed() {
    let d = tmp();
    let stray = |close: &str| {
        [
            HEADER.to_string(),
            row("A", "2025-10-01"),
            row("B", "2025-10-02").replacen(",Clinker,", ",\"Clinker,", 1),
            row("C", "2025-10-03"),
            row("D", "2025-10-04").replacen(&format!(",{close},"), &format!(",{close}\","), 1),
            row("E", "2025-10-05"),
        ]
        .join("\r\n")
            + "\r\n"
    };
    // Closed in another column: the field count is wrong (IN013).
    let p = d.path().join("stray.csv");
    std::fs::write(&p, stray("Turkey")).unwrap();
    let (exit, r) = report_of(&p);
    assert_eq!(exit, 1);
    let e = &r["validation_results"]["errors"][0];
    assert_eq!(e["code"], "IN013");
    assert_eq!(e["line"], 3);
    let msg = e["message"].as_str().unwrap();
    assert!(
        msg.contains("the record runs over lines 3-5")
            && msg.contains("the record(s) on lines 4-5 may have been swallowed"),
        "{msg}"
    );
    assert_eq!(e["found"], "14 fields over lines 3-5");
    // The rows after it keep their physical lines.
    assert_eq!(r["goods_summary"]["rows"]["read"], 3);
    // Closed in the same free-text column: 16 fields, rows C and D inside the description.
    std::fs::write(&p, stray("Clinker")).unwrap();
    let (exit, r) = report_of(&p);
    assert_eq!(exit, 1);
    let e = &r["validation_results"]["errors"][0];
    assert_eq!(
        (&e["code"], &e["line"]),
        (&"IN019".into(), &3.into()),
        "{e}"
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("covers lines 3-5, and the record(s) on those lines look swallowed"),
        "{e}"
    );
    // A legitimate multi-line description stays readable.
    let ok = [
        HEADER.to_string(),
        row("A", "2025-10-01").replacen(",Clinker,", ",\"Clinker\nin bulk, dry\",", 1),
    ]
    .join("\n");
    std::fs::write(&p, ok + "\n").unwrap();
    assert_eq!(report_of(&p).0, 0);
}

/// Formats are told by content before by name: a workbook, a dump or a JSON file under a
/// `.csv` name is refused saying what it is (never its ZIP bytes quoted as a header), and read
/// when named for what it is; a name without an extension is read by its content.
#[test]
fn the_content_says_what_a_file_is_before_its_name() {
    let d = tmp();
    let cases = [
        (
            "sheets/shipments_2025q4.xlsx",
            "x.csv",
            "this is an xlsx workbook",
            "xlsx",
        ),
        (
            "sheets/shipments_2025q4.ods",
            "x.xlsx",
            "this is an ods workbook",
            "ods",
        ),
        (
            "sheets/shipments_2025q4.xls",
            "x.csv",
            "this is an xls workbook",
            "xls",
        ),
        (
            "pgdump/greenlang.sql.gz",
            "x.csv",
            "this is a plain-SQL database dump",
            "sql",
        ),
        (
            "sheets/shipments_2025q4.json",
            "x.tsv",
            "this is a JSON file",
            "json",
        ),
    ];
    for (from, name, says, format) in cases {
        let p = d.path().join(name);
        std::fs::copy(fixture(from), &p).unwrap();
        let out = d.path().join("r.json");
        let o = run(report_cmd(&p, &out, &[]));
        assert_eq!(code(&o), 2, "{from}");
        let e = stderr(&o);
        assert!(e.contains(says), "{from}: {e}");
        assert!(e.contains(&format!("--input-format {format}")), "{e}");
        assert!(
            e.bytes().all(|b| b >= 0x20 || b == b'\n'),
            "{from}: control bytes on the terminal: {e:?}"
        );
        assert!(!out.exists());
        let mut flags = vec!["--input-format", format];
        if format == "ods" {
            flags.extend(["--sheet", "Shipments"]); // its first sheet is a cover page
        }
        let o = run(report_cmd(&p, &out, &flags));
        assert!(
            out.exists(),
            "{from} read with --input-format {format}: {}",
            stderr(&o)
        );
        std::fs::remove_file(&out).unwrap();
    }
    let bare = d.path().join("shipments");
    std::fs::copy(fixture("sheets/shipments_2025q4.xlsx"), &bare).unwrap();
    let out = d.path().join("r.json");
    let o = run(report_cmd(&bare, &out, &[]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

/// Text from a file that reaches an error message is printed with its control characters
/// escaped, on one line.
#[test]
fn an_error_quoting_the_input_escapes_control_characters() {
    let d = tmp();
    let p = d.path().join("ctl.csv");
    std::fs::write(&p, b"a\x1b[31m,b\x07\rc\n1,2\n").unwrap();
    let o = run(report_cmd(&p, &d.path().join("r.json"), &[]));
    assert_eq!(code(&o), 2);
    let e = stderr(&o);
    assert!(e.contains("\\u{1b}"), "{e:?}");
    assert!(e.bytes().all(|b| b >= 0x20 || b == b'\n'), "{e:?}");
    assert_eq!(e.lines().count(), 1, "{e:?}");
}

/// A CSV whose first cell starts with `{` is JSON to the content check, but `--input-format
/// csv` says otherwise and decides (text is text); a workbook's bytes never pass as text.
#[test]
fn the_flag_decides_between_text_formats() {
    let d = tmp();
    let csv = std::fs::read_to_string(fixture("shipments_2025q4.csv")).unwrap();
    let p = d.path().join("brace.csv");
    std::fs::write(&p, format!("{{note}}\n{csv}")).unwrap();
    let out = d.path().join("r.json");
    let o = run(report_cmd(&p, &out, &[]));
    assert_eq!(code(&o), 2, "the name alone: refused as JSON");
    assert!(stderr(&o).contains("this is a JSON file"), "{}", stderr(&o));
    // With the flag the CSV reader reads it (and finds the title line where the header goes).
    let o = run(report_cmd(&p, &out, &["--input-format", "csv"]));
    assert!(
        !stderr(&o).contains("this is a JSON file"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("line 1 (header)"), "{}", stderr(&o));
}
