//! The fuzz corpus replayed as a normal test (stable Rust, no fuzzer): every file in
//! `fuzz/corpus/<target>/` (seeded from `fixtures/` by `fuzz/seed.sh`, grown and minimised by
//! fuzz runs) and `fuzz/regressions/<target>/` (inputs that once crashed) goes through the same
//! entry point the fuzz target calls, `cbam::fuzzing::run`. A refusal is fine; a panic fails.

use super::*;
use cbam::fuzzing::{run as read_as, Target};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Replays `target`'s corpus and regressions; returns how many inputs were read.
fn replay(target: Target) -> usize {
    let fuzz = root().join("fuzz");
    let mut inputs = files(&fuzz.join("corpus").join(target.name()));
    inputs.extend(files(&fuzz.join("regressions").join(target.name())));
    let mut panicked = Vec::new();
    for p in &inputs {
        let bytes = std::fs::read(p).unwrap();
        if std::panic::catch_unwind(|| read_as(target, &bytes)).is_err() {
            panicked.push(p.display().to_string());
        }
    }
    assert!(panicked.is_empty(), "panicked on: {panicked:#?}");
    inputs.len()
}

#[test]
fn every_target_has_a_corpus_and_none_of_it_panics() {
    for t in Target::ALL {
        let n = replay(t);
        assert!(n > 0, "fuzz/corpus/{} is empty: run fuzz/seed.sh", t.name());
    }
}

/// The entry point reads what `cbam` reads: a fixture is accepted, a broken one refused.
#[test]
fn the_entry_point_accepts_and_refuses_as_cbam_does() {
    let good = std::fs::read(fixture("shipments_2025q4.csv")).unwrap();
    assert_eq!(read_as(Target::Csv, &good), Ok(()));
    let err = read_as(Target::Csv, b"").unwrap_err();
    assert!(err.contains("empty"), "{err}");
    let rules = std::fs::read(root().join("rules/cbam_rules.yaml")).unwrap();
    assert_eq!(read_as(Target::Rules, &rules), Ok(()));
    assert!(read_as(Target::Rules, b"rules: [").is_err());
    assert!(read_as(Target::QReport, b"<QReport>").is_err());
}
