//! Database backups: reports straight from `pg_dump` output, `cbam export`, `cbam backup
//! verify`. The dumps in fixtures/pgdump were made by a real pg_dump (make_dumps.sh).

use super::*;

const FORMS: [&str; 4] = [
    "greenlang.sql",
    "greenlang.sql.gz",
    "greenlang_inserts.sql",
    "greenlang_column_inserts.sql",
];

fn export(backup: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut c = cbam();
    c.args(["export", "--database-backup"])
        .arg(backup)
        .arg("--output")
        .arg(out)
        .args(extra);
    run(c)
}

fn verify(backup: &Path, extra: &[&str]) -> Output {
    let mut c = cbam();
    c.args(["backup", "verify", "--backup"])
        .arg(backup)
        .args(extra);
    run(c)
}

#[test]
fn every_dump_form_reports_like_the_csv() {
    let d = tmp();
    let csv_out = d.path().join("csv.json");
    let suppliers = fixture("suppliers.yaml");
    let extra = ["--suppliers", suppliers.to_str().unwrap()];
    assert_eq!(
        code(&run(report_cmd(
            &fixture("shipments_2025q4.csv"),
            &csv_out,
            &extra
        ))),
        0
    );
    let expected = json(&csv_out);
    for form in FORMS {
        let out = d.path().join(format!("{form}.json"));
        let o = run(report_cmd(
            &fixture(&format!("pgdump/{form}")),
            &out,
            &extra,
        ));
        assert_eq!(code(&o), 0, "{form}: {}", stderr(&o));
        let r = json(&out);
        assert_eq!(
            r["emissions_summary"], expected["emissions_summary"],
            "{form}"
        );
        assert_eq!(r["goods_summary"], expected["goods_summary"], "{form}");
        assert_eq!(
            r["provenance"]["inputs"][0]["file_name"], form,
            "the report names the dump, not a temporary CSV"
        );
        // Findings point into the dump: a COPY row N sits at line 70 + N (COPY header on
        // line 70), an INSERT row on its own statement's line (one statement per row).
        let w = r["validation_results"]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "CA004")
            .expect("the supplier warning of row 3");
        assert_eq!(w["row"], 3);
        assert_eq!(w["file"], form);
        let line = w["line"].as_u64().unwrap();
        if form.contains("column_inserts") {
            // --rows-per-insert=3: rows 1-3 share the statement on line 70.
            assert_eq!(line, 70, "{form}");
        } else if form.contains("inserts") {
            assert_eq!(line, 72, "{form}");
        } else {
            assert_eq!(line, 73, "{form}");
        }
    }
}

#[test]
fn the_digest_is_of_the_dump_as_on_disk() {
    use sha2::Digest;
    let d = tmp();
    let out = d.path().join("r.json");
    let dump = fixture("pgdump/greenlang.sql.gz");
    assert_eq!(code(&run(report_cmd(&dump, &out, &[]))), 0);
    let input = &json(&out)["provenance"]["inputs"][0];
    let bytes = std::fs::read(&dump).unwrap();
    let sha: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(input["sha256"], sha.as_str());
    assert_eq!(input["size_bytes"], bytes.len() as u64);
}

#[test]
fn awkward_values_export_exactly_as_postgres_prints_them() {
    // awkward_expected.csv is what the server itself printed (COPY … TO STDOUT CSV).
    let expected =
        pg_csv(&std::fs::read_to_string(fixture("pgdump/awkward_expected.csv")).unwrap());
    assert_eq!(expected.len(), 6);
    let d = tmp();
    let mut first: Option<Vec<u8>> = None;
    for form in [
        "awkward.sql",
        "awkward_inserts.sql",
        "awkward_column_inserts.sql",
    ] {
        let out = d.path().join(format!("{form}.csv"));
        let o = export(&fixture(&format!("pgdump/{form}")), &out, &[]);
        assert_eq!(code(&o), 0, "{form}: {}", stderr(&o));
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            stdout.contains("exported 5 rows of table public.shipments (18 columns)"),
            "{stdout}"
        );
        let bytes = std::fs::read(&out).unwrap();
        let got = pg_csv(std::str::from_utf8(&bytes).unwrap());
        assert_eq!(
            got, expected,
            "{form}: every field, NULL and empty string kept apart"
        );
        match &first {
            None => first = Some(bytes),
            Some(f) => assert_eq!(&bytes, f, "{form}: same bytes whatever the dump form"),
        }
    }
    // Spot checks of what the escapes decode to.
    let row = |id: &str| {
        expected
            .iter()
            .find(|r| r[0].as_deref() == Some(id))
            .unwrap()
            .clone()
    };
    assert_eq!(row("AWK-01")[15].as_deref(), Some("tab\there\nnew line"));
    assert_eq!(row("AWK-02")[15].as_deref(), Some("\\."));
    assert_eq!(row("AWK-02")[8].as_deref(), Some(""));
    assert_eq!(row("AWK-03")[8], None);
    assert_eq!(row("AWK-03")[5].as_deref(), Some("\\N is text, not NULL"));
    assert_eq!(row("AWK-01")[3].as_deref(), Some("07208100"));
}

#[test]
fn export_json_lists_tables_and_rows() {
    let d = tmp();
    let out = d.path().join("s.csv");
    let o = export(
        &fixture("pgdump/greenlang.sql.gz"),
        &out,
        &["--table", "public.shipments", "--format", "json"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["rows"], 24);
    assert_eq!(v["table"], "public.shipments");
    assert_eq!(v["dump"]["gzip"], true);
    assert_eq!(v["dump"]["complete"], true);
    let tables: Vec<(String, u64)> = v["dump"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["table"].as_str().unwrap().to_string(),
                t["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tables,
        [
            ("public.shipments".to_string(), 24),
            ("public.suppliers".to_string(), 0)
        ]
    );
    // The export is a shipments file cbam reads like any other.
    let r = d.path().join("r.json");
    assert_eq!(code(&run(report_cmd(&out, &r, &[]))), 0);
    // 24 rows, one of them ferrous scrap (out of scope): as from the CSV fixture.
    assert_eq!(json(&r)["goods_summary"]["total_shipments"], 23);
}

/// A damaged copy of a fixture dump, written to `dir`.
fn damaged(dir: &Path, name: &str, from: &str, f: impl FnOnce(Vec<u8>) -> Vec<u8>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(
        &p,
        f(std::fs::read(fixture(&format!("pgdump/{from}"))).unwrap()),
    )
    .unwrap();
    p
}

fn first_lines(bytes: Vec<u8>, n: usize) -> Vec<u8> {
    let text = String::from_utf8(bytes).unwrap();
    text.split_inclusive('\n')
        .take(n)
        .collect::<String>()
        .into_bytes()
}

/// Each damage: export exits 2 naming the line (and table), leaves no file; report exits 2;
/// backup verify exits 1 with the same line.
#[test]
fn damaged_backups_fail_loudly_and_leave_nothing() {
    let src = tmp();
    let cases: Vec<(PathBuf, &str, u64)> = vec![
        (
            damaged(src.path(), "truncated.sql.gz", "greenlang.sql.gz", |b| b[..b.len() * 2 / 3].to_vec()),
            "gzip stream is damaged",
            0,
        ),
        (
            damaged(src.path(), "cut_in_copy.sql", "greenlang.sql", |b| first_lines(b, 80)),
            "ends inside the COPY block of table public.shipments started at line 70 (after 10 rows",
            80,
        ),
        (
            damaged(src.path(), "short_row.sql", "greenlang.sql", |b| {
                let text = String::from_utf8(b).unwrap();
                let mut lines: Vec<String> = text.split_inclusive('\n').map(String::from).collect();
                let l = &lines[74];
                let cut = l.rfind('\t').unwrap();
                lines[74] = format!("{}\n", &l[..cut]);
                lines.concat().into_bytes()
            }),
            "COPY row of table public.shipments has 17 fields, expected 18",
            75,
        ),
        (
            damaged(src.path(), "cut_between_inserts.sql", "greenlang_inserts.sql", |b| first_lines(b, 85)),
            "without pg_dump's completion line",
            85,
        ),
        (
            damaged(src.path(), "cut_in_insert.sql", "awkward_inserts.sql", |b| first_lines(b, 70)),
            "ends inside an SQL statement started at line 70",
            70,
        ),
    ];
    for (dump, needle, line) in &cases {
        let d = tmp();
        let out = d.path().join("out.csv");
        let o = export(dump, &out, &[]);
        let err = stderr(&o);
        assert_eq!(code(&o), 2, "{}: {err}", dump.display());
        assert!(
            err.contains(needle),
            "{}: expected {needle:?} in {err}",
            dump.display()
        );
        if *line > 0 {
            assert!(err.contains(&format!("line {line}")), "{err}");
        }
        assert!(!err.contains("panicked"));
        assert_eq!(
            std::fs::read_dir(d.path()).unwrap().count(),
            0,
            "nothing left behind"
        );

        let r = d.path().join("r.json");
        let o = run(report_cmd(dump, &r, &[]));
        assert_eq!(code(&o), 2, "report on {}: {}", dump.display(), stderr(&o));
        assert!(!r.exists());

        let o = verify(dump, &["--format", "json"]);
        assert_eq!(code(&o), 1, "verify {}: {}", dump.display(), stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["status"], "damaged");
        assert!(v["problem"].as_str().unwrap().contains(needle), "{v}");
        if *line > 0 {
            assert_eq!(v["problem_line"], *line);
        }
    }
    // A dump cut between statements still exports what it has when asked to.
    let d = tmp();
    let out = d.path().join("out.csv");
    let o = export(&cases[3].0, &out, &["--allow-incomplete"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        pg_csv(&std::fs::read_to_string(&out).unwrap()).len(),
        1 + 16,
        "lines 70-85 hold the first 16 INSERTs"
    );
}

#[test]
fn corrupt_gzip_is_damage_not_data() {
    let src = tmp();
    // Flip bits inside the deflate data: either the inflater or the CRC check catches it.
    for at in [200usize, 1000, 2000] {
        let p = damaged(
            src.path(),
            &format!("flip{at}.sql.gz"),
            "greenlang.sql.gz",
            |mut b| {
                b[at] ^= 0x55;
                b
            },
        );
        let o = verify(&p, &[]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(code(&o), 1, "{out}");
        assert!(
            out.contains("DAMAGED") && out.contains("the gzip stream is damaged"),
            "{out}"
        );
    }
}

#[test]
fn missing_table_and_other_formats_are_named() {
    let d = tmp();
    let out = d.path().join("out.csv");
    let o = export(
        &fixture("pgdump/greenlang.sql"),
        &out,
        &["--table", "invoices"],
    );
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("no data for table \"invoices\""), "{err}");
    assert!(
        err.contains("public.shipments (24 rows), public.suppliers (0 rows)"),
        "{err}"
    );
    assert!(!out.exists());

    let o = export(&fixture("pgdump/greenlang.dump"), &out, &[]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains("custom-format archive (-Fc)") && err.contains("pg_restore -f -"),
        "{err}"
    );
    let o = verify(&fixture("pgdump/greenlang.dump"), &[]);
    assert_eq!(code(&o), 2, "not a plain dump: unreadable, not damaged");
    let o = verify(&fixture("pgdump/does_not_exist.sql"), &[]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("cannot read"));

    // report --table picks another table; one without the shipment columns is refused.
    let r = d.path().join("r.json");
    let o = run(report_cmd(
        &fixture("pgdump/greenlang.sql"),
        &r,
        &["--table", "suppliers"],
    ));
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains("line 102")
            && err.contains("table public.suppliers has no column(s) shipment_id"),
        "{err}"
    );
}

#[test]
fn healthy_backups_verify() {
    for form in FORMS {
        let o = verify(&fixture(&format!("pgdump/{form}")), &[]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(code(&o), 0, "{form}: {out}{}", stderr(&o));
        assert!(out.contains("HEALTHY"), "{out}");
        assert!(
            out.contains("public.shipments") && out.contains("24 rows"),
            "{out}"
        );
    }
    let o = verify(&fixture("pgdump/greenlang.sql.gz"), &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], "healthy");
    assert_eq!(v["gzip"], true);
    assert_eq!(v["tables"][0]["rows"], 24);
    assert_eq!(v["tables"][0]["form"], "copy");
    assert!(v.get("problem").is_none());
}

/// SQL that pg_dump writes in corners: E'' strings, standard_conforming_strings off,
/// dollar-quoted bodies holding `;` and fake COPY text, quoted identifiers, several schemas,
/// multi-row VALUES, casts, psql meta-commands.
#[test]
fn sql_corners_parse() {
    let dump = r#"-- PostgreSQL database dump
\restrict abc
SET client_encoding = 'UTF8';
SET standard_conforming_strings = off;
CREATE FUNCTION public.f() RETURNS text
    LANGUAGE plpgsql
    AS $_$ BEGIN RETURN 'x; COPY fake (a) FROM stdin;'; END $_$;
CREATE TABLE "Sales"."Ship""ments" (
    id integer,
    "Note" text,
    CONSTRAINT c CHECK ((id > 0))
);
INSERT INTO "Sales"."Ship""ments" VALUES (1, 'it''s \\ a\ttab'), (-2, E'line\nbreak'),
  (3, NULL), (4, '42'::text), (5, 'semi;colon /* not a comment */ -- nor this');
/* a block comment; with a semicolon */
COPY public.other (a, b) FROM stdin;
x	\x41\101\\
\.
-- PostgreSQL database dump complete
\unrestrict abc
"#;
    let d = tmp();
    let p = d.path().join("corners.sql");
    std::fs::write(&p, dump).unwrap();
    let out = d.path().join("o.csv");
    let o = export(&p, &out, &["--table", "Sales.Ship\"ments"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let rows = pg_csv(&std::fs::read_to_string(&out).unwrap());
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        rows,
        vec![
            vec![s("id"), s("Note")],
            vec![s("1"), s("it's \\ a\ttab")],
            vec![s("-2"), s("line\nbreak")],
            vec![s("3"), None],
            vec![s("4"), s("42")],
            vec![s("5"), s("semi;colon /* not a comment */ -- nor this")],
        ]
    );
    let o = export(&p, &out, &["--table", "other"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        pg_csv(&std::fs::read_to_string(&out).unwrap())[1],
        vec![s("x"), s("AA\\")]
    );
    let o = verify(&p, &["--format", "json"]);
    assert_eq!(code(&o), 0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["tables"][0]["table"], "Sales.Ship\"ments");
    assert_eq!(v["tables"][0]["rows"], 5);
    assert_eq!(v["tables"][1]["rows"], 1);
}

/// A pg_dumpall file (made by the real pg_dumpall, `make_dumps.sh dumpall`) with two
/// databases that both have public.shipments: never silently concatenated.
#[test]
fn pg_dumpall_tables_are_told_apart_by_database() {
    let dump = fixture("pgdump/cluster_dumpall.sql");
    let d = tmp();
    let out = d.path().join("o.csv");
    let o = export(&dump, &out, &[]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains("table \"shipments\" is ambiguous: both greenlang.public.shipments (line 165) and greenlang_archive.public.shipments")
            && err.contains("--table greenlang.public.shipments"),
        "{err}"
    );
    assert!(!out.exists());
    let o = export(
        &dump,
        &out,
        &["--table", "greenlang_archive.public.shipments"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let rows = pg_csv(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0].as_deref(), Some("ARCH-1"));
    let o = export(&dump, &out, &["--table", "greenlang.public.shipments"]);
    assert_eq!(code(&o), 0);
    assert_eq!(pg_csv(&std::fs::read_to_string(&out).unwrap()).len(), 6);
    let o = verify(&dump, &["--format", "json"]);
    assert_eq!(code(&o), 0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = v["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["table"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "greenlang.public.shipments",
            "greenlang.public.suppliers",
            "greenlang_archive.public.shipments",
            "greenlang_archive.public.suppliers"
        ]
    );
}

#[test]
fn an_empty_backup_is_damaged_and_says_so() {
    let d = tmp();
    let p = d.path().join("cbam_db_20261123.sql.gz");
    std::fs::write(&p, b"").unwrap();
    let o = verify(&p, &[]);
    assert_eq!(code(&o), 1);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("status  DAMAGED: the file is empty"), "{out}");
    let o = export(&p, &d.path().join("o.csv"), &[]);
    assert_eq!(code(&o), 2);
}

/// A file that is not a dump at all is exit 2 naming what it is (never "DAMAGED … truncated",
/// exit 1, and never a flag `backup verify` does not have); a cut dump is still damage.
#[test]
fn a_file_that_is_not_a_dump_is_refused_for_what_it_is() {
    let d = tmp();
    let gz_text = d.path().join("notes.sql.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut e, b"shipment_id,import_date\nA,2025-10-01\n").unwrap();
    std::fs::write(&gz_text, e.finish().unwrap()).unwrap();
    let cases = [
        (
            fixture("shipments_2025q4.csv"),
            "not a plain-SQL dump: line 1 starts \"shipment_id,",
        ),
        (
            fixture("sheets/shipments_2025q4.xlsx"),
            "this is a spreadsheet workbook",
        ),
        (
            gz_text,
            "not a plain-SQL dump: line 1 starts \"shipment_id,",
        ),
    ];
    for (path, says) in cases {
        let mut c = cbam();
        c.args(["backup", "verify", "--backup"]).arg(&path);
        let o = run(c);
        assert_eq!(code(&o), 2, "{}: {}", path.display(), stderr(&o));
        assert!(stderr(&o).contains(says), "{}", stderr(&o));
        assert!(!stderr(&o).contains("--input-format"), "{}", stderr(&o));
        assert!(o.stdout.is_empty());
    }
    // A real dump cut short: damage, exit 1.
    let text = std::fs::read(fixture("pgdump/greenlang.sql")).unwrap();
    let cut = d.path().join("cut.sql");
    std::fs::write(&cut, &text[..text.len() * 2 / 3]).unwrap();
    let mut c = cbam();
    c.args(["backup", "verify", "--backup"]).arg(&cut);
    let o = run(c);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("DAMAGED"));
}

#[test]
fn generate_says_what_it_wrote() {
    let d = tmp();
    let out = d.path().join("gen.csv");
    let mut c = cbam();
    c.args(["generate", "--shipments", "10", "--output"])
        .arg(&out);
    let o = run(c);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let bytes = std::fs::metadata(&out).unwrap().len();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!(
            "wrote 10 shipments of 2025Q4 (seed 42) to {}: {bytes} bytes\n",
            out.display()
        )
    );
    let mut c = cbam();
    c.args(["generate", "-q", "--shipments", "10", "--output"])
        .arg(&out);
    assert!(run(c).stdout.is_empty());
}
