//! Issue 14, "Input destroyed": an output naming an input of the run (the same path, a symlink
//! or a hard link to it) or another output is refused with exit 2 before anything is written,
//! and the input's bytes stay as they were.

use super::*;

/// A copy of a fixture in `d`, so a run that overwrote it would not touch the fixtures.
fn copy(d: &Path, fixture_name: &str, name: &str) -> (PathBuf, Vec<u8>) {
    let p = d.join(name);
    std::fs::copy(fixture(fixture_name), &p).expect("fixture copied");
    let bytes = std::fs::read(&p).expect("copy read");
    (p, bytes)
}

/// Exit 2, the message naming both flags and the path, nothing written over `input`.
fn refused(o: &Output, message: &str, input: &Path, bytes: &[u8]) {
    assert_eq!(code(o), 2, "{}", stderr(o));
    let err = stderr(o);
    assert!(err.contains(message), "expected {message:?} in {err}");
    assert_eq!(
        std::fs::read(input).expect("input still there"),
        bytes,
        "{} changed",
        input.display()
    );
}

#[test]
fn report_outputs_equal_to_the_input_are_refused() {
    let d = tmp();
    let (input, bytes) = copy(d.path(), "shipments_2025q4.csv", "shipments.csv");
    let shown = input.display();
    let o = run(report_cmd(&input, &input, &[]));
    refused(
        &o,
        &format!(
            "cbam: error: --output {shown} is also an input (--input); refusing to overwrite an input"
        ),
        &input,
        &bytes,
    );
    let out = d.path().join("r.json");
    for flag in ["--lines", "--summary", "--xml"] {
        let o = run(report_cmd(
            &input,
            &out,
            &[
                flag,
                input.to_str().unwrap(),
                "--declarant-city",
                "Rotterdam",
            ],
        ));
        refused(
            &o,
            &format!("{flag} {shown} is also an input (--input)"),
            &input,
            &bytes,
        );
        assert!(!out.exists(), "{flag}: nothing written");
    }
    // A reference file is an input too.
    let (suppliers, sbytes) = copy(d.path(), "suppliers.yaml", "suppliers.yaml");
    let o = run(report_cmd(
        &input,
        &out,
        &[
            "--suppliers",
            suppliers.to_str().unwrap(),
            "--summary",
            suppliers.to_str().unwrap(),
        ],
    ));
    refused(
        &o,
        &format!(
            "--summary {} is also an input (--suppliers)",
            suppliers.display()
        ),
        &suppliers,
        &sbytes,
    );
}

#[test]
fn report_outputs_equal_to_each_other_are_refused() {
    let d = tmp();
    let (input, bytes) = copy(d.path(), "shipments_2025q4.csv", "shipments.csv");
    let out = d.path().join("r.json");
    let lines = d.path().join("lines.csv");
    let o = run(report_cmd(
        &input,
        &out,
        &[
            "--lines",
            lines.to_str().unwrap(),
            "--summary",
            lines.to_str().unwrap(),
        ],
    ));
    refused(
        &o,
        &format!(
            "--lines {} is also an output (--summary); refusing to write two outputs to one file",
            lines.display()
        ),
        &input,
        &bytes,
    );
    let o = run(report_cmd(
        &input,
        &out,
        &["--lines", out.to_str().unwrap()],
    ));
    refused(
        &o,
        &format!("--lines {} is also an output (--output)", out.display()),
        &input,
        &bytes,
    );
    assert!(!out.exists() && !lines.exists(), "nothing written");
}

#[test]
fn export_over_the_backup_is_refused_also_through_a_symlink_or_hard_link() {
    let d = tmp();
    let (backup, bytes) = copy(d.path(), "pgdump/greenlang.sql.gz", "cbam_db.sql.gz");
    let export = |out: &Path| {
        let mut c = cbam();
        c.args(["export", "--database-backup"])
            .arg(&backup)
            .arg("--output")
            .arg(out);
        run(c)
    };
    let o = export(&backup);
    refused(
        &o,
        &format!(
            "--output {} is also an input (--database-backup); refusing to overwrite an input",
            backup.display()
        ),
        &backup,
        &bytes,
    );
    let hard = d.path().join("hard.sql.gz");
    std::fs::hard_link(&backup, &hard).unwrap();
    let mut links = vec![hard];
    #[cfg(unix)]
    {
        let soft = d.path().join("soft.sql.gz");
        std::os::unix::fs::symlink(&backup, &soft).unwrap();
        links.push(soft);
    }
    for link in &links {
        let o = export(link);
        refused(
            &o,
            &format!(
                "--output {} is also an input (--database-backup {}, the same file)",
                link.display(),
                backup.display()
            ),
            &backup,
            &bytes,
        );
        assert_eq!(
            std::fs::read(link).unwrap(),
            bytes,
            "the link still names the backup"
        );
    }
    // A new name is written as before.
    let o = export(&d.path().join("s.csv"));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn suppliers_import_over_a_template_is_refused() {
    let d = tmp();
    let (template, bytes) = copy(
        d.path(),
        "templates/anatolia_rolling_v2.1.1.xlsx",
        "anatolia.xlsx",
    );
    let mut c = cbam();
    c.args(["suppliers", "import"])
        .arg(&template)
        .arg("--output")
        .arg(&template);
    let o = run(c);
    refused(
        &o,
        &format!(
            "--output {} is also an input (template); refusing to overwrite an input",
            template.display()
        ),
        &template,
        &bytes,
    );
}

#[test]
fn xml_over_its_report_is_refused() {
    let d = tmp();
    let report = d.path().join("report.json");
    let o = run(report_cmd(&fixture("shipments_2025q4.csv"), &report, &[]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let bytes = std::fs::read(&report).unwrap();
    let mut c = cbam();
    c.arg("xml")
        .arg("--report")
        .arg(&report)
        .arg("--output")
        .arg(&report)
        .args(["--declarant-city", "Rotterdam"]);
    let o = run(c);
    refused(
        &o,
        &format!(
            "--output {} is also an input (--report); refusing to overwrite an input",
            report.display()
        ),
        &report,
        &bytes,
    );
}

/// The advice for a custom-format archive named like a plain dump (`X.sql`) writes to a new
/// name: following it must not truncate the backup before pg_restore reads it.
#[test]
fn pg_restore_advice_never_writes_over_the_archive() {
    let d = tmp();
    let (archive, bytes) = copy(d.path(), "pgdump/greenlang.dump", "cbam_db.sql");
    let mut c = cbam();
    c.args(["export", "--database-backup"])
        .arg(&archive)
        .arg("--output")
        .arg(d.path().join("s.csv"));
    let o = run(c);
    refused(&o, "custom-format archive (-Fc)", &archive, &bytes);
    let err = stderr(&o);
    let shown = archive.display().to_string();
    let plain = d.path().join("cbam_db.plain.sql").display().to_string();
    assert!(
        err.contains(&format!("`pg_restore -f {plain} {shown}`")),
        "{err}"
    );
    // Every file the advice writes (`-f F`, `> F`) is another name than the archive's.
    for advised in err
        .split(['`', ' '])
        .collect::<Vec<_>>()
        .windows(2)
        .filter(|w| w[0] == "-f" || w[0] == ">")
        .map(|w| w[1])
    {
        assert!(
            advised == "-" || !Path::new(advised).ends_with("cbam_db.sql"),
            "advice writes to {advised}: {err}"
        );
    }
    assert!(!err.contains(&format!("> {shown}")), "{err}");
}

/// Hidden temporary files (`.NAME.tmp-PID`) left in `dir`.
fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect()
}

/// Issue 14: the outputs of one run land together or not at all. The last output to be
/// written (the report JSON) cannot be: the summary, the lines and the XML are not created,
/// an older summary keeps its bytes, and no temporary file stays behind.
#[test]
fn when_the_last_output_fails_none_is_written() {
    let d = tmp();
    let (md, lines, xml) = (
        d.path().join("s.md"),
        d.path().join("l.csv"),
        d.path().join("q.xml"),
    );
    std::fs::write(&md, b"an older summary").unwrap();
    let out = d.path().join("no such dir").join("r.json");
    let o = run(report_cmd(
        &fixture("shipments_2025q4.csv"),
        &out,
        &[
            "--summary",
            md.to_str().unwrap(),
            "--lines",
            lines.to_str().unwrap(),
            "--xml",
            xml.to_str().unwrap(),
            "--declarant-city",
            "Rotterdam",
        ],
    ));
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("r.json"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&md).unwrap(), b"an older summary");
    assert!(!lines.exists() && !xml.exists() && !out.exists());
    assert_eq!(temp_files(d.path()), Vec::<String>::new());
}

/// Issue 14: SIGINT or SIGTERM while a run writes its outputs removes the temporary files
/// and exits 130; no output is renamed into place.
#[test]
fn an_interrupted_run_exits_130_and_leaves_no_temporary_file() {
    let d = tmp();
    let input = d.path().join("big.csv");
    let g = run({
        let mut c = cbam();
        c.args(["generate", "--shipments", "40000", "--output"])
            .arg(&input);
        c
    });
    assert_eq!(code(&g), 0, "{}", stderr(&g));
    for sig in [libc::SIGINT, libc::SIGTERM] {
        let dir = tmp();
        let (out, md, lines) = (
            dir.path().join("r.json"),
            dir.path().join("s.md"),
            dir.path().join("l.csv"),
        );
        let mut c = report_cmd(
            &input,
            &out,
            &[
                "--summary",
                md.to_str().unwrap(),
                "--lines",
                lines.to_str().unwrap(),
                "-q",
            ],
        );
        let mut child = c
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until the run writes (its first temporary file is there), then signal it.
        let started = std::time::Instant::now();
        while temp_files(dir.path()).is_empty() {
            assert!(
                child.try_wait().unwrap().is_none(),
                "the run ended before it was signalled"
            );
            assert!(started.elapsed().as_secs() < 120, "no temporary file seen");
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        // SAFETY: kill(2) on our own child's pid.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, sig) }, 0);
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(130), "signal {sig}: {}", stderr(&o));
        assert!(stderr(&o).contains("interrupted"), "{}", stderr(&o));
        assert_eq!(temp_files(dir.path()), Vec::<String>::new(), "signal {sig}");
        assert!(
            !out.exists() && !md.exists() && !lines.exists(),
            "signal {sig}"
        );
    }
}

/// Progress bars: drawn on stderr when it is a terminal (a pseudo-terminal made by `script`),
/// never when it is a pipe, never with `-q`; and they never change an output file.
#[test]
fn progress_is_drawn_on_a_terminal_only() {
    let d = tmp();
    let input = d.path().join("big.csv");
    let mut c = cbam();
    c.args(["generate", "-q", "--shipments", "200000", "--output"])
        .arg(&input);
    assert_eq!(code(&run(c)), 0);
    let cmd = |out: &Path, quiet: bool| {
        format!(
            "{} report --input {} --output {} --importer-name N --importer-country NL \
             --importer-eori NL123456789012 --declarant-name D --declarant-position P \
             --generated-at 2026-01-01{}",
            env!("CARGO_BIN_EXE_cbam"),
            input.display(),
            out.display(),
            if quiet { " -q" } else { "" }
        )
    };
    let on_tty = |out: &Path, quiet: bool| {
        let o = Command::new("script")
            .args(["-qec", &cmd(out, quiet), "/dev/null"])
            .output()
            .expect("script (util-linux) runs");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let (tty_json, piped_json, quiet_json) = (
        d.path().join("tty.json"),
        d.path().join("piped.json"),
        d.path().join("quiet.json"),
    );
    let seen = on_tty(&tty_json, false);
    assert!(seen.contains("cbam: calculating big.csv"), "{seen}");
    assert!(seen.contains("rows/s") || seen.contains("/s"), "{seen}");
    let quiet = on_tty(&quiet_json, true);
    assert!(!quiet.contains("cbam: "), "-q draws nothing: {quiet}");
    let piped = std::process::Command::new("sh")
        .args(["-c", &cmd(&piped_json, false)])
        .output()
        .unwrap();
    assert!(
        piped.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );
    let bytes = std::fs::read(&tty_json).unwrap();
    assert_eq!(bytes, std::fs::read(&piped_json).unwrap());
    assert_eq!(bytes, std::fs::read(&quiet_json).unwrap());
}

fn piped(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write as _;
    let mut child = cbam()
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

const IMPORTER: [&str; 12] = [
    "--importer-name",
    "N",
    "--importer-country",
    "NL",
    "--importer-eori",
    "NL123456789012",
    "--declarant-name",
    "D",
    "--declarant-position",
    "P",
    "--generated-at",
    "2026-01-01",
];

/// `-` is standard input for an input and standard output for an output: a report from a
/// pipe into a pipe is the report of the file (its input named `<stdin>`, the same id), the
/// run's own lines go to stderr then, and stdin/stdout are each taken once.
#[test]
fn dash_is_standard_input_and_output() {
    let d = tmp();
    let csv = std::fs::read(fixture("shipments_2025q4.csv")).unwrap();
    let mut args = vec!["report", "--input", "-", "--output", "-"];
    args.extend(IMPORTER);
    let o = piped(&args, &csv);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("report      CBAM-2025Q4-"),
        "{}",
        stderr(&o)
    );
    let from_pipe: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let file = d.path().join("r.json");
    let mut c = cbam();
    c.args(["report", "--input"])
        .arg(fixture("shipments_2025q4.csv"))
        .arg("--output")
        .arg(&file)
        .args(IMPORTER);
    assert_eq!(code(&run(c)), 0);
    let from_file = json(&file);
    assert_eq!(from_pipe["provenance"]["inputs"][0]["file_name"], "<stdin>");
    assert_eq!(
        from_pipe["report_metadata"]["report_id"],
        from_file["report_metadata"]["report_id"]
    );
    assert_eq!(
        from_pipe["emissions_summary"],
        from_file["emissions_summary"]
    );
    // A workbook on stdin is told by its content.
    let xlsx = std::fs::read(fixture("sheets/shipments_2025q4.xlsx")).unwrap();
    let o = piped(&args, &xlsx);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // export to stdout, that into report, and validate from stdin.
    let mut c = cbam();
    c.args(["export", "--database-backup"])
        .arg(fixture("pgdump/greenlang.sql.gz"))
        .args(["--output", "-"]);
    let exported = run(c);
    assert_eq!(code(&exported), 0, "{}", stderr(&exported));
    let o = piped(&args, &exported.stdout);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = piped(&["validate", "--report", "-"], &o.stdout);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // Once each.
    let mut two_out = vec!["report", "--input", "-", "--output", "-", "--summary", "-"];
    two_out.extend(IMPORTER);
    assert_eq!(code(&piped(&two_out, &csv)), 2);
    let o = piped(&["diff", "-", "-"], &csv);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("standard input can be read once"),
        "{}",
        stderr(&o)
    );
}
