//! The house's rules, checked: imports flow one way in the order the README's "Layout" gives
//! (a room names only rooms before it), and no source file grows past 900 lines.

use super::*;

/// The rooms, floor first, as the README's Layout section lists them.
fn rooms() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("follows the order ")
        .expect("the order sentence")
        + 18;
    let end = start + readme[start..].find(". No file").unwrap();
    readme[start..end]
        .split('→')
        .map(|r| r.split_whitespace().collect::<String>())
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The room a file lives in: its first path part under `src/`, without `.rs`.
fn room_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

#[test]
fn imports_flow_one_way_and_files_stay_short() {
    let rooms = rooms();
    let rank = |r: &str| rooms.iter().position(|x| x == r);
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let crate_path = regex::Regex::new(r"crate::([a-z_]+)").unwrap();
    let mut wrong = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        if text.lines().count() > 900 {
            wrong.push(format!("{}: {} lines", f.display(), text.lines().count()));
        }
        let room = room_of(&src, f);
        if ["lib", "main"].contains(&room.as_str()) {
            continue;
        }
        let Some(own) = rank(&room) else {
            wrong.push(format!(
                "{}: room {room:?} is not in the README's order",
                f.display()
            ));
            continue;
        };
        // Unit tests may reach anywhere.
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        for m in crate_path.captures_iter(code) {
            let to = &m[1];
            if let Some(r) = rank(to) {
                if r > own {
                    wrong.push(format!("{}: {room} uses crate::{to}", f.display()));
                }
            }
        }
    }
    assert!(rooms.len() > 20, "rooms: {rooms:?}");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every file the README's example commands (its `sh` blocks) write into the checkout is
/// ignored by `.gitignore` (an exact `/name` line), so running them leaves `git status` clean.
#[test]
fn readme_examples_write_only_ignored_files() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let ignore = std::fs::read_to_string(root().join(".gitignore")).unwrap();
    let ignored: Vec<&str> = ignore.lines().filter_map(|l| l.strip_prefix('/')).collect();
    let flag = regex::Regex::new(r"(?:--output|--summary|--lines|--xml|--html|-o|>)\s+([^\s;|&]+)")
        .unwrap();
    let mut missing = Vec::new();
    for block in readme.split("```sh\n").skip(1) {
        let block = block.split("```").next().unwrap().replace("\\\n", " ");
        for m in flag.captures_iter(&block) {
            let path = &m[1];
            // Files under a directory the example makes, or outside the checkout, stay there.
            if path.contains('/') || path.starts_with('$') || path == "/dev/null" {
                continue;
            }
            if !ignored.contains(&path) {
                missing.push(path.to_string());
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(missing.is_empty(), "add to .gitignore: {missing:?}");
}
