//! Rows lost without a word: an unclosed CSV quote swallowing later records, JSON read only
//! up to its first array, duplicate JSON keys.

use super::*;

const FIXTURE: &str = "shipments_2025q4.csv";

/// The fixture with `edit` applied to its text (line by line: `(line number, line) -> line`).
fn edited(dir: &Path, name: &str, edit: impl Fn(usize, &str) -> String) -> PathBuf {
    let text = std::fs::read_to_string(fixture(FIXTURE)).unwrap();
    let out: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| edit(i + 1, l))
        .collect();
    let p = dir.join(name);
    std::fs::write(&p, out.join("\n") + "\n").unwrap();
    p
}

/// Exit 2 naming the file and `needle`, and no report written.
fn refused(input: &Path, needle: &str) {
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
    assert!(!out.exists(), "nothing written");
}

#[test]
fn csv_quote_never_closed_is_refused_naming_its_line() {
    let d = tmp();
    // Line 23's notes open a quote nothing closes: lines 24 and 25 vanished into it (exit 0).
    let p = edited(d.path(), "s.csv", |n, l| {
        if n == 23 {
            l.replacen(",,Actuals", ",,\"Actuals", 1)
        } else {
            l.to_string()
        }
    });
    refused(&p, "line 23: a quoted field opens here and is never closed");
}

#[test]
fn tsv_quote_never_closed_is_refused() {
    let d = tmp();
    let text = std::fs::read_to_string(fixture(FIXTURE)).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let mut tsv = rdr.headers().unwrap().iter().collect::<Vec<_>>().join("\t") + "\n";
    for (i, r) in rdr.records().enumerate() {
        let r = r.unwrap();
        let mut fields: Vec<String> = r.iter().map(|f| f.replace('"', "")).collect();
        if i == 2 {
            fields[11] = format!("\"{}", fields[11]);
        }
        tsv += &(fields.join("\t") + "\n");
    }
    let p = d.path().join("s.tsv");
    std::fs::write(&p, tsv).unwrap();
    refused(&p, "line 4: a quoted field opens here and is never closed");
}

#[test]
fn csv_field_spanning_lines_outside_free_text_is_a_finding() {
    let d = tmp();
    // A quote opened in line 5's cn_code and closed in line 6's: one record of 16 fields.
    let p = edited(d.path(), "s.csv", |n, l| match n {
        5 => l.replacen(",72081000,", ",\"72081000,", 1),
        6 => l.replacen(",7208 10 00,", ",7208 10 00\",", 1),
        _ => l.to_string(),
    });
    let out = d.path().join("r.json");
    let o = run(report_cmd(&p, &out, &[]));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&out);
    let errors = r["validation_results"]["errors"].as_array().unwrap();
    let f = errors
        .iter()
        .find(|f| f["code"] == "IN019")
        .expect("IN019 finding");
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains("lines 5-6"), "{msg}");
    assert!(msg.contains("cn_code"), "{msg}");
}

#[test]
fn csv_line_breaks_in_description_and_notes_stay_legitimate() {
    let d = tmp();
    let p = edited(d.path(), "s.csv", |n, l| match n {
        5 => l.replacen(
            ",Hot-rolled coils with patterns in relief,",
            ",\"Hot-rolled coils\nwith patterns in relief\",",
            1,
        ),
        7 => format!("{}\"", l.replacen(",,", ",,\"first line\nsecond line ", 1)),
        _ => l.to_string(),
    });
    let out = d.path().join("r.json");
    let o = run(report_cmd(&p, &out, &[]));
    assert!(code(&o) < 2, "{}", stderr(&o));
    assert!(!stderr(&o).contains("IN019"), "{}", stderr(&o));
    let codes = finding_codes(&json(&out));
    assert!(!codes.iter().any(|(c, _)| c == "IN019"), "{codes:?}");
}

fn shipment(id: &str) -> String {
    format!(
        r#"{{"shipment_id":"{id}","import_date":"2025-10-01","quarter":"2025Q4","cn_code":"25231000","origin_iso":"TR","net_mass_kg":"100"}}"#
    )
}

fn json_file(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("s.json");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn json_elements_after_the_array_closes_are_refused() {
    let d = tmp();
    let (a, b) = (shipment("A"), shipment("B"));
    // `[…] ,{…}]`: B was dropped and the run exited 0.
    let p = json_file(d.path(), &format!("[\n{a}\n] ,{b}]\n"));
    refused(&p, "line 3: column 3: unexpected \",{");
    refused(&p, "the file must hold one JSON value");
}

#[test]
fn json_two_arrays_back_to_back_are_refused() {
    let d = tmp();
    let (a, b) = (shipment("A"), shipment("B"));
    let p = json_file(d.path(), &format!("[{a}]\n[{b}]\n"));
    refused(&p, "line 2: column 1: unexpected \"[{");
}

#[test]
fn json_trailing_garbage_is_refused() {
    let d = tmp();
    let a = shipment("A");
    let p = json_file(d.path(), &format!("[{a}]\n\n  xyz\n"));
    refused(&p, "line 3: column 3: unexpected \"xyz");
    // After the object form too.
    let p = json_file(d.path(), &format!("{{\"shipments\": [{a}]}} {{}}"));
    refused(&p, "line 1: column ");
    refused(&p, "unexpected \"{}\"");
}

#[test]
fn json_object_form_keeps_members_after_the_array() {
    let d = tmp();
    let a = shipment("A");
    let p = json_file(
        d.path(),
        &format!("{{\"a\": 1, \"shipments\": [{a}], \"b\": [1, {{\"x\": 2}}]}}\n\n"),
    );
    let out = d.path().join("r.json");
    let o = run(report_cmd(&p, &out, &[]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn json_duplicate_key_in_a_shipment_is_refused() {
    let d = tmp();
    let a = shipment("A").replacen('{', r#"{"shipment_id":"Z","#, 1);
    let p = json_file(d.path(), &format!("[\n{}\n,\n{a}]\n", shipment("B")));
    refused(&p, "line 4: invalid JSON: duplicate key \"shipment_id\"");
}

#[test]
fn json_duplicate_key_in_the_wrapper_object_is_refused() {
    let d = tmp();
    let (a, b) = (shipment("A"), shipment("B"));
    let p = json_file(
        d.path(),
        &format!("{{\"shipments\": [{a}],\n \"shipments\": [{b}]}}"),
    );
    refused(&p, "line 2: column 2: duplicate key \"shipments\"");
}
