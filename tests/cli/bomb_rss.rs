//! Bombs: hostile inputs under 10 MB that once made `cbam` allocate gigabytes, generated here
//! (too big to commit). Each must end by itself, refused (exit 2) or with findings, within peak
//! RSS 300 MB (`wait4`, that child alone) — the bound of issue 14. The small hostile files that
//! can be committed are in the corpus (`fixtures/bad/`, `corpus.rs`), which checks the same bound.
//! `cargo test --test cli bomb_rss -- --nocapture` prints each bomb's size, exit code and peak RSS.

use super::bombs::{bomb, gz};
use super::corpus::{run_measured_within, MAX_RSS_KB};
use super::*;

const HEADER: &str = "shipment_id,import_date,quarter,cn_code,product_group,product_description,origin_iso,origin_country,importer_name,importer_country,net_mass_kg,port_of_entry,importer_reference,has_actual_emissions,supplier_id,notes\n";
const ROW: &str = "B-1,2025-10-01,2025Q4,25231000,cement,Clinker,TR,Turkey,Noordzee Staal Import BV,NL,24560,Rotterdam,R-1,NO,,x\n";
const JSON_ROW: &str = r#""import_date":"2025-10-01","quarter":"2025Q4","cn_code":"25231000","origin_iso":"TR","net_mass_kg":"1""#;
const COPY_HEAD: &str = "COPY public.shipments (shipment_id, import_date, quarter, cn_code, origin_iso, net_mass_kg) FROM stdin;\n";

/// `prefix`, then `members` gzip members of `block` ([`bombs::bomb`]: deflate's ~1000:1 on a
/// repeated block; concatenated members are one gzip stream, RFC 1952 §2.2).
fn gzip_members(prefix: &[u8], block: &[u8], members: usize) -> Vec<u8> {
    let size = gz(prefix).len() + members * gz(block).len();
    bomb(prefix, block, size)
}

fn repeat(s: &str, bytes: usize) -> String {
    s.repeat(bytes / s.len() + 1)
}

/// The bombs: file name and bytes (each under 10 MB).
fn bombs() -> Vec<(&'static str, Vec<u8>)> {
    let mb = 1 << 20;
    let rows = repeat(ROW, mb);
    let mut many_keys = String::from("[");
    for i in 0..50_000 {
        many_keys.push_str(&format!(
            "{{{JSON_ROW},\"shipment_id\":\"K{i}\",\"extra_{i}\":\"v\"}},"
        ));
    }
    many_keys.push_str(&format!("{{{JSON_ROW},\"shipment_id\":\"K\"}}]"));
    let columns: String = (0..200_000).map(|i| format!(",c{i}")).collect();
    vec![
        // 2 GB of zeros, 2 MB compressed.
        (
            "zeros.csv.gz",
            gzip_members(HEADER.as_bytes(), &vec![0; mb], 2048),
        ),
        // 2 GB of valid rows: a ratio bound, not the content, must stop it.
        (
            "rows.csv.gz",
            gzip_members(HEADER.as_bytes(), rows.as_bytes(), 2048),
        ),
        // One JSON string of 1 GB.
        (
            "string.json.gz",
            gzip_members(b"[{\"shipment_id\":\"", &vec![b'a'; mb], 1024),
        ),
        // A COPY block of 2 GB of rows.
        (
            "copy.sql.gz",
            gzip_members(
                COPY_HEAD.as_bytes(),
                repeat("C-1\t2025-10-01\t2025Q4\t25231000\tTR\t1\n", mb).as_bytes(),
                2048,
            ),
        ),
        // A 9 MB SQL line that never ends.
        (
            "line.sql",
            format!(
                "INSERT INTO public.shipments VALUES ('{}",
                "a".repeat(9 * mb)
            )
            .into_bytes(),
        ),
        // A 9 MB COPY row with no line end.
        (
            "row.sql",
            format!("{COPY_HEAD}{}", "b".repeat(9 * mb)).into_bytes(),
        ),
        // 200,000 columns.
        (
            "columns.csv",
            format!("{}{columns}\n{}", HEADER.trim_end(), ROW).into_bytes(),
        ),
        // 50,000 objects, each with a key of its own (6 MB).
        ("keys.json", many_keys.into_bytes()),
        // One 9 MB JSON string, one 9 MB quoted CSV field, one 9 MB header line.
        (
            "string.json",
            format!(
                "[{{{JSON_ROW},\"shipment_id\":\"{}\"}}]",
                "s".repeat(9 * mb)
            )
            .into_bytes(),
        ),
        (
            "field.csv",
            format!("{HEADER}B-1,\"{}\"\n", "f".repeat(9 * mb)).into_bytes(),
        ),
        ("header.csv", "h".repeat(9 * mb).into_bytes()),
        // 250,000 empty rows: six findings each, 1.5 million findings and 250,000 rejected
        // rows (a 420 MB report) from 4 MB — they spill to temporary files, not memory.
        (
            "empty_rows.csv",
            format!(
                "{HEADER}{}",
                repeat(&format!("{}\n", ",".repeat(15)), 4 * mb)
            )
            .into_bytes(),
        ),
        // JSON nested a million deep.
        ("deep.json", "[".repeat(mb).into_bytes()),
    ]
}

/// Caps the child's address space at 4 GiB, so a bomb that still goes off fails this test
/// (an allocation failure) instead of taking the machine's memory with it.
fn address_space_capped(mut c: Command) -> Command {
    use std::os::unix::process::CommandExt;
    let cap = libc::rlimit {
        rlim_cur: 4 << 30,
        rlim_max: 4 << 30,
    };
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        c.pre_exec(move || {
            if libc::setrlimit(libc::RLIMIT_AS, &cap) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    c
}

#[test]
fn bombs_end_by_themselves_within_300_mb() {
    let d = tmp();
    let mut failed = Vec::new();
    for (name, bytes) in bombs() {
        assert!(bytes.len() < 10 << 20, "{name} is under 10 MB");
        let input = d.path().join(name);
        std::fs::write(&input, &bytes).unwrap();
        let out = d.path().join(format!("{name}.report.json"));
        let started = std::time::Instant::now();
        let cmd = address_space_capped(report_cmd(&input, &out, &[]));
        let m = run_measured_within(cmd, std::time::Duration::from_secs(120));
        let secs = started.elapsed().as_secs_f64();
        let _ = std::fs::remove_file(&input);
        let exit = m.status.code();
        println!(
            "{name:16} {:>9} bytes  exit {exit:?}  peak RSS {:>7} kB  {secs:.1} s  {}",
            bytes.len(),
            m.max_rss_kb,
            m.stderr
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(140)
                .collect::<String>()
        );
        if !matches!(exit, Some(1 | 2)) || m.stderr.contains("panicked") {
            failed.push(format!("{name}: exit {exit:?}: {}", m.stderr.trim_end()));
        }
        if exit == Some(2) && out.exists() {
            failed.push(format!("{name}: exit 2 wrote a report"));
        }
        let _ = std::fs::remove_file(&out);
        if m.max_rss_kb > MAX_RSS_KB {
            failed.push(format!("{name}: peak RSS {} kB", m.max_rss_kb));
        }
        if secs > 120.0 {
            failed.push(format!("{name}: took {secs:.0} s"));
        }
    }
    let left: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
