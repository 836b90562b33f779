//! The fuzz corpus replayed as a normal test (stable Rust, no fuzzer): the seeds
//! `fuzz/seeds.txt` names in `fixtures/`, every file in `fuzz/corpus/<target>/` (the seeds
//! cbam makes itself, and whatever local fuzz runs added) and `fuzz/regressions/<target>/`
//! (inputs that once crashed) go through the same entry point the fuzz target calls,
//! `cbam::fuzzing::run`. A refusal is fine; a panic fails.

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

/// The fixtures `fuzz/seeds.txt` names for `target` (`target folder extension` per line; a
/// folder ending in `/*` stands for each folder inside it), as `fuzz/seed.sh` reads them.
fn seeds(target: Target) -> Vec<PathBuf> {
    let list = std::fs::read_to_string(root().join("fuzz/seeds.txt")).unwrap();
    let mut out = Vec::new();
    for line in list
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [t, dir, ext] = f[..] else {
            panic!("fuzz/seeds.txt: expected `target folder extension`, found {line:?}")
        };
        if t != target.name() {
            continue;
        }
        let dirs = match dir.strip_suffix("/*") {
            Some(parent) => files_or_dirs(&root().join(parent), true),
            None => vec![root().join(dir)],
        };
        for d in dirs {
            let named = |p: &PathBuf| p.to_string_lossy().ends_with(ext);
            out.extend(files(&d).into_iter().filter(named));
        }
    }
    out
}

fn files_or_dirs(dir: &Path, want_dirs: bool) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    out.retain(|p| if want_dirs { p.is_dir() } else { p.is_file() });
    out.sort();
    out
}

/// Replays `target`'s seeds, corpus and regressions; returns how many inputs were read.
fn replay(target: Target) -> usize {
    let fuzz = root().join("fuzz");
    let mut inputs = seeds(target);
    inputs.extend(files(&fuzz.join("corpus").join(target.name())));
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
        assert!(n > 0, "no seed, corpus or regression for {}", t.name());
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
