//! One integration-test binary (links once): runs the built `cbam` on fixtures in temp dirs.

mod annex;
mod audit;
mod backups;
mod bad_input;
mod bomb_rss;
mod bombs;
mod cn;
mod corpus;
mod deadlines;
mod default_values_workbook;
mod definitive;
mod determinism;
mod dialect;
mod diff;
mod escaping;
mod explain;
mod fuzz_replay;
mod help;
mod html;
#[cfg(feature = "shared-reference")]
mod html_browser;
mod intake;
mod layout;
mod lost_rows;
mod outputs;
mod panics;
mod precision;
mod properties;
mod reference_files;
mod report;
#[cfg(feature = "shared-reference")]
mod shared_annex;
#[cfg(feature = "shared-reference")]
mod shared_reference;
mod sheets;
mod sources;
mod suppliers;
mod templates;
mod validate;
mod verify;
mod workbook_bombs;
mod xml;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(p: &str) -> PathBuf {
    root().join("fixtures").join(p)
}

pub fn cbam() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cbam"));
    c.env_remove("SOURCE_DATE_EPOCH");
    c
}

/// `cbam report` with the importer flags every run needs, a pinned time, and `extra` flags.
pub fn report_cmd(input: &Path, output: &Path, extra: &[&str]) -> Command {
    let mut c = cbam();
    c.arg("report")
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(output)
        .args([
            "--importer-name",
            "Noordzee Staal Import BV",
            "--importer-country",
            "NL",
            "--importer-eori",
            "NL123456789012",
        ])
        .args([
            "--declarant-name",
            "Jan de Vries",
            "--declarant-position",
            "Customs Compliance Officer",
        ])
        .args(["--generated-at", "2026-01-15T09:00:00Z"])
        .args(extra);
    c
}

/// A `--xml` run on Q4 2025 shipments declared with default values: the XML is written and
/// the run's verdict is the registry's — refused only for the default values after Q2 2024
/// (XQ013), exit 1.
pub fn assert_registry_refuses_only_default_values(o: &Output) {
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(code(o), 1, "{out}{}", stderr(o));
    assert!(out.contains("valid for upload: no"), "{out}");
    let errors: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_start().starts_with("error "))
        .collect();
    assert!(!errors.is_empty(), "{out}");
    assert!(errors.iter().all(|l| l.contains("XQ013")), "{out}");
}

pub fn run(mut c: Command) -> Output {
    c.output().expect("cbam runs")
}

pub fn code(o: &Output) -> i32 {
    o.status
        .code()
        .expect("exit code, not a signal (no panic/abort)")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).expect("report written")).expect("report is JSON")
}

pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Pipeline findings (intake, calculation, report: IN/CA/RP codes) of every severity, as
/// (code, row) pairs. Rule findings (code = rule id) are checked by `rule_codes`.
pub fn finding_codes(r: &serde_json::Value) -> Vec<(String, u64)> {
    all_codes(r)
        .into_iter()
        .filter(|(c, _)| ["IN", "CA", "RP"].iter().any(|p| c.starts_with(p)))
        .collect()
}

/// Rule findings in a report's validation_results, as (rule id, severity).
pub fn rule_codes(r: &serde_json::Value) -> Vec<(String, String)> {
    let v = &r["validation_results"];
    let mut out = Vec::new();
    for k in ["errors", "warnings", "infos"] {
        for f in v[k].as_array().unwrap() {
            if f.get("path").is_some() {
                out.push((
                    f["code"].as_str().unwrap().to_string(),
                    f["severity"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    out.sort();
    out
}

fn all_codes(r: &serde_json::Value) -> Vec<(String, u64)> {
    let v = &r["validation_results"];
    let mut out = Vec::new();
    for k in ["errors", "warnings", "infos"] {
        for f in v[k].as_array().unwrap() {
            out.push((
                f["code"].as_str().unwrap().to_string(),
                f["row"].as_u64().unwrap_or(0),
            ));
        }
    }
    out.sort();
    out
}

/// A CSV in PostgreSQL's convention: unquoted empty = NULL (None), `""` = empty string.
pub fn pg_csv(text: &str) -> Vec<Vec<Option<String>>> {
    let b = text.as_bytes();
    let (mut i, mut out, mut rec) = (0usize, Vec::new(), Vec::new());
    while i < b.len() {
        if b[i] == b'"' {
            let mut v = Vec::new();
            i += 1;
            loop {
                if b[i] == b'"' {
                    if b.get(i + 1) == Some(&b'"') {
                        v.push(b'"');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                v.push(b[i]);
                i += 1;
            }
            rec.push(Some(String::from_utf8(v).unwrap()));
        } else {
            let j = i + b[i..]
                .iter()
                .position(|&c| c == b',' || c == b'\n')
                .unwrap_or(b.len() - i);
            rec.push((j > i).then(|| String::from_utf8(b[i..j].to_vec()).unwrap()));
            i = j;
        }
        match b.get(i) {
            Some(b',') => {
                i += 1;
                if matches!(b.get(i), None | Some(b'\n')) {
                    rec.push(None);
                    i += 1;
                    out.push(std::mem::take(&mut rec));
                }
            }
            _ => {
                i += 1;
                out.push(std::mem::take(&mut rec));
            }
        }
    }
    out
}
