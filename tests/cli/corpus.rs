//! The hostile corpus: every `fixtures/bad/**/*.expect` file is one case, run here with the
//! outcome it states. The format (also in `fixtures/bad/README.md`):
//!
//! ```text
//! # what is wrong, and why this outcome (comment lines are free text)
//! args: report --input {dir}/case.csv {importer} --output {out}/report.json
//! exit: 2
//! stderr: line 3          (a substring the standard error must contain; repeatable)
//! stdout: …               (the same for standard output)
//! finding: IN013 line=3   (a finding in {out}/report.json: code, and optionally line=/row=)
//! no-finding: CA006       (a code the report must not hold)
//! unchanged: {dir}/case.csv  (a file the run must leave byte for byte as it was)
//! ```
//!
//! `{dir}` is the folder of the `.expect` file, `{out}` a fresh empty temp folder, `{importer}`
//! the importer, declarant and `--generated-at` flags every `report` run needs. Arguments are
//! split on spaces. Every case also checks, whatever it states: the process exited (no signal,
//! no panic message), its peak resident memory stayed under [`MAX_RSS_KB`], and a run that
//! exits 2 left `{out}` empty (no half-written output, no temporary file).

use super::*;

/// The memory bound for every hostile input under 10 MB (issue 14): 300 MB peak RSS.
pub const MAX_RSS_KB: i64 = 300 * 1024;

const IMPORTER: &[&str] = &[
    "--importer-name",
    "Noordzee Staal Import BV",
    "--importer-country",
    "NL",
    "--importer-eori",
    "NL123456789012",
    "--declarant-name",
    "Jan de Vries",
    "--declarant-position",
    "Customs Compliance Officer",
    "--generated-at",
    "2026-01-15T09:00:00Z",
];

/// A child's exit status, output and peak RSS (kB): `cbam`'s own `VmHWM`, printed with
/// `CBAM_TRACE` as it ends; when it could not print it (killed), `wait4`'s figure for that one
/// child, which over-counts (it includes the test process the child was forked from).
pub struct Measured {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub max_rss_kb: i64,
}

pub fn run_measured(c: Command) -> Measured {
    run_measured_within(c, std::time::Duration::from_secs(300))
}

/// As [`run_measured`], killing the child (SIGKILL) if it runs longer than `limit`.
// The child is reaped by `wait4` below, not by `Child::wait` (which would lose its rusage).
#[allow(clippy::zombie_processes)]
pub fn run_measured_within(mut c: Command, limit: std::time::Duration) -> Measured {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    let mut child = c
        .env("CBAM_TRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cbam starts");
    let pid = child.id() as libc::pid_t;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watchdog = {
        let done = done.clone();
        std::thread::spawn(move || {
            let start = std::time::Instant::now();
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                if start.elapsed() > limit {
                    // SAFETY: kill(2) on our own child, not yet reaped (`done` is still false).
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        })
    };
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        out.read_to_end(&mut s).unwrap();
        s
    });
    let mut e = Vec::new();
    err.read_to_end(&mut e).unwrap();
    let stdout = reader.join().unwrap();
    let mut status: libc::c_int = 0;
    // SAFETY: `usage` is a plain C struct the kernel fills; the pid is our own unwaited child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    watchdog.join().unwrap();
    assert_eq!(got, pid, "wait4 on the cbam child");
    let traced = String::from_utf8_lossy(&e).into_owned();
    // What the user sees: the trace lines CBAM_TRACE adds are read here and taken out.
    let stderr: String = traced
        .lines()
        .filter(|l| !l.starts_with("cbam: trace: ") && !l.starts_with("cbam-trace "))
        .map(|l| format!("{l}\n"))
        .collect();
    Measured {
        status: std::process::ExitStatus::from_raw(status),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        // cbam's own count when it got to print it (CBAM_TRACE); else wait4's, an upper bound
        // that also counts the test process the child was forked from.
        max_rss_kb: traced_peak_rss(&traced).unwrap_or(usage.ru_maxrss),
        stderr,
    }
}

fn traced_peak_rss(stderr: &str) -> Option<i64> {
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("cbam: trace: peak RSS "))?;
    line.trim_end_matches(" kB").parse().ok()
}

struct Case {
    path: PathBuf,
    args: Vec<String>,
    exit: i32,
    stderr: Vec<String>,
    stdout: Vec<String>,
    findings: Vec<(String, Option<(String, u64)>)>,
    no_findings: Vec<String>,
    unchanged: Vec<String>,
}

fn parse_case(path: &Path) -> Case {
    let text = std::fs::read_to_string(path).unwrap();
    let mut case = Case {
        path: path.to_path_buf(),
        args: Vec::new(),
        exit: -1,
        stderr: Vec::new(),
        stdout: Vec::new(),
        findings: Vec::new(),
        no_findings: Vec::new(),
        unchanged: Vec::new(),
    };
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("{}:{}: expected `key: value`", path.display(), n + 1));
        let value = value.trim().to_string();
        match key {
            "args" => case.args = value.split(' ').map(str::to_string).collect(),
            "exit" => case.exit = value.parse().expect("exit code"),
            "stderr" => case.stderr.push(value),
            "stdout" => case.stdout.push(value),
            "finding" => case.findings.push(parse_finding(&value)),
            "no-finding" => case.no_findings.push(value),
            "unchanged" => case.unchanged.push(value),
            _ => panic!("{}:{}: unknown key {key:?}", path.display(), n + 1),
        }
    }
    assert!(!case.args.is_empty(), "{}: no `args:`", path.display());
    assert!(case.exit >= 0, "{}: no `exit:`", path.display());
    case
}

fn parse_finding(value: &str) -> (String, Option<(String, u64)>) {
    let mut parts = value.split(' ');
    let code = parts.next().unwrap().to_string();
    let at = parts.next().map(|p| {
        let (k, v) = p.split_once('=').expect("line=N or row=N");
        (k.to_string(), v.parse().expect("a number"))
    });
    (code, at)
}

fn expand(arg: &str, dir: &Path, out: &Path) -> String {
    arg.replace("{dir}", dir.to_str().unwrap())
        .replace("{out}", out.to_str().unwrap())
}

fn findings(report: &serde_json::Value) -> Vec<&serde_json::Value> {
    let v = &report["validation_results"];
    ["errors", "warnings", "infos"]
        .iter()
        .flat_map(|k| v[*k].as_array().into_iter().flatten())
        .collect()
}

fn check_findings(case: &Case, out: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    if case.findings.is_empty() && case.no_findings.is_empty() {
        return problems;
    }
    let Ok(bytes) = std::fs::read(out.join("report.json")) else {
        return vec!["no {out}/report.json to look for findings in".into()];
    };
    let report: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => return vec![format!("report.json is not JSON: {e}")],
    };
    let all = findings(&report);
    for (code, at) in &case.findings {
        let hit = all.iter().any(|f| {
            f["code"] == code.as_str()
                && at
                    .as_ref()
                    .is_none_or(|(k, n)| f[k.as_str()].as_u64() == Some(*n))
        });
        if !hit {
            problems.push(format!("no finding {code} {at:?}"));
        }
    }
    for code in &case.no_findings {
        if all.iter().any(|f| f["code"] == code.as_str()) {
            problems.push(format!("unexpected finding {code}"));
        }
    }
    problems
}

fn run_case(case: &Case) -> Vec<String> {
    let dir = case.path.parent().unwrap();
    let out = tmp();
    let before: Vec<(String, Vec<u8>)> = case
        .unchanged
        .iter()
        .map(|p| {
            let p = expand(p, dir, out.path());
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
            (p, bytes)
        })
        .collect();
    let mut c = cbam();
    for a in &case.args {
        if a == "{importer}" {
            c.args(IMPORTER);
        } else {
            c.arg(expand(a, dir, out.path()));
        }
    }
    let m = run_measured(c);
    let mut problems = Vec::new();
    match m.status.code() {
        Some(code) if code == case.exit => {}
        got => problems.push(format!("exit {got:?}, expected {}", case.exit)),
    }
    if m.stderr.contains("panicked") || m.stderr.contains("RUST_BACKTRACE") {
        problems.push("panicked".into());
    }
    if m.max_rss_kb > MAX_RSS_KB {
        problems.push(format!("peak RSS {} kB > {MAX_RSS_KB} kB", m.max_rss_kb));
    }
    for s in &case.stderr {
        if !m.stderr.contains(s.as_str()) {
            problems.push(format!("stderr lacks {s:?}"));
        }
    }
    for s in &case.stdout {
        if !m.stdout.contains(s.as_str()) {
            problems.push(format!("stdout lacks {s:?}"));
        }
    }
    if case.exit == 2 {
        let left: Vec<_> = std::fs::read_dir(out.path()).unwrap().flatten().collect();
        if !left.is_empty() {
            problems.push(format!("exit 2 left {} file(s) in {{out}}", left.len()));
        }
    }
    problems.extend(check_findings(case, out.path()));
    for (p, bytes) in before {
        if std::fs::read(&p).ok().as_deref() != Some(bytes.as_slice()) {
            problems.push(format!("{p} was changed"));
        }
    }
    if !problems.is_empty() {
        problems.push(format!("stderr was: {}", m.stderr.trim_end()));
    }
    problems
}

fn expect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            expect_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "expect") {
            out.push(p);
        }
    }
}

/// Every case of the corpus gives exactly the outcome its `.expect` file states.
#[test]
fn hostile_corpus() {
    let mut files = Vec::new();
    expect_files(&fixture("bad"), &mut files);
    assert!(
        files.len() >= 8,
        "the corpus is there: {} cases",
        files.len()
    );
    let mut failed = Vec::new();
    for f in &files {
        let problems = run_case(&parse_case(f));
        if !problems.is_empty() {
            failed.push(format!("{}:\n  {}", f.display(), problems.join("\n  ")));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
