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
