//! Help worth reading: headings, examples, completions and the man page (every flag having a
//! description is checked on the clap definitions, in `src/cli/mod.rs`).

use super::*;

fn stdout_of(args: &[&str]) -> String {
    let mut c = cbam();
    c.args(args);
    let o = run(c);
    assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn report_help_groups_its_flags_and_shows_examples() {
    let h = stdout_of(&["report", "--help"]);
    let headings: Vec<&str> = h
        .lines()
        .filter(|l| !l.starts_with(' ') && l.ends_with(':'))
        .collect();
    for want in [
        "Input:",
        "Outputs:",
        "Declaration:",
        "Reference data:",
        "Definitive period (2026 on):",
        "Registry XML (--xml, cbam xml):",
        "Performance and limits:",
        "Examples:",
    ] {
        assert!(headings.contains(&want), "{want} in {headings:?}");
    }
    assert!(h.contains("--importer-eori <EORI>"), "{h}");
    // Every command has examples; the top level names every command, suppliers import too.
    let top = stdout_of(&["--help"]);
    assert!(top.contains("suppliers import"), "{top}");
    for cmd in [
        "report",
        "xml",
        "export",
        "backup",
        "audit",
        "validate",
        "diff",
        "cn",
        "verify",
        "explain",
        "suppliers",
        "deadlines",
        "generate",
        "bench",
        "completions",
    ] {
        assert!(
            stdout_of(&[cmd, "--help"]).contains("Examples:\n  cbam "),
            "{cmd} --help has examples"
        );
    }
}

#[test]
fn completions_for_every_shell_and_a_man_page() {
    for (shell, marker) in [
        ("bash", "complete -F _cbam"),
        ("zsh", "#compdef cbam"),
        ("fish", "complete -c cbam"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let s = stdout_of(&["completions", shell]);
        assert!(s.contains(marker), "{shell}: {marker}");
        assert!(
            s.contains("audit") && s.contains("importer-eori"),
            "{shell}"
        );
    }
    let man = stdout_of(&["man"]);
    assert!(man.contains(".TH cbam 1"), "{man}");
    assert!(man.contains("report") && man.contains("audit"));
    // A closed pipe is not an error and not a panic.
    let mut c = cbam();
    c.args(["completions", "bash"])
        .stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert!(
        status.code().is_some_and(|c| c == 0 || c == 2),
        "{status:?}"
    );
}

#[test]
fn man_dir_writes_a_page_for_every_command() {
    let d = tmp();
    let mut c = cbam();
    c.args(["man", "--dir"]).arg(d.path());
    assert_eq!(code(&run(c)), 0);
    for page in [
        "cbam.1",
        "cbam-report.1",
        "cbam-audit-daily.1",
        "cbam-suppliers-import.1",
    ] {
        let text = std::fs::read_to_string(d.path().join(page)).unwrap_or_default();
        assert!(text.contains(".TH"), "{page}");
    }
    let report = std::fs::read_to_string(d.path().join("cbam-report.1")).unwrap();
    assert!(
        report.contains("importer\\-eori"),
        "the flags are in the page"
    );
}

/// Standard input is named `<stdin>` in an error, not by its temporary copy's path.
#[test]
fn an_error_about_standard_input_names_it_stdin() {
    use std::io::Write as _;
    let mut child = cbam()
        .args(["report", "--input", "-", "--output"])
        .arg(tmp().path().join("r.json"))
        .args([
            "--importer-name",
            "N",
            "--importer-country",
            "NL",
            "--importer-eori",
            "NL123456789012",
        ])
        .args(["--declarant-name", "D", "--declarant-position", "P"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"").unwrap();
    let o = child.wait_with_output().unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.starts_with("cbam: error: <stdin>: the file is empty"),
        "{e}"
    );
}
