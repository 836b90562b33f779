//! Issue 14, bounded reading of compressed and streamed input: gzip bombs (`.csv.gz`,
//! `.json.gz`, `.sql.gz`) are refused while they are decompressed, long pg_dump lines,
//! statements and COPY rows while they are read, each in bounded memory; a gzip-compressed
//! custom-format archive is named for what it is. The bombs are made here (many gzip members
//! of one compressed piece: megabytes that inflate to gigabytes in no time).

use super::corpus::{run_measured, Measured, MAX_RSS_KB};
use super::*;
use std::io::Write;

pub fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// `head` as one gzip member, then `piece` compressed once and repeated until the file is
/// about `size` bytes.
pub fn bomb(head: &[u8], piece: &[u8], size: usize) -> Vec<u8> {
    let member = gz(piece);
    let mut out = gz(head);
    while out.len() < size {
        out.extend_from_slice(&member);
    }
    out
}

fn csv_header() -> Vec<u8> {
    let text = std::fs::read_to_string(fixture("shipments_2025q4.csv")).unwrap();
    format!("{}\n", text.lines().next().unwrap()).into_bytes()
}

const ROW: &[u8] = b"BOMB-2025Q4-0001,2025-10-20,2025Q4,72081000,steel,Hot-rolled,CN,China,X,NL,1000,Rotterdam,R,NO,,bomb\n";

/// The dump fixture up to and including its `COPY public.shipments … FROM stdin;` line.
fn dump_head() -> Vec<u8> {
    let dump = std::fs::read(fixture("pgdump/greenlang.sql")).unwrap();
    let copy = dump
        .windows(21)
        .position(|w| w == b"COPY public.shipments")
        .unwrap();
    let end = copy + dump[copy..].iter().position(|&b| b == b'\n').unwrap() + 1;
    dump[..end].to_vec()
}

/// Runs `args` (with the importer flags for `report`), checking what every hostile run must
/// give: exit 2, no panic, peak RSS under the bound, nothing left in `out`.
fn refused(args: &[&std::ffi::OsStr], out: &Path, what: &str) -> Measured {
    let mut c = cbam();
    c.args(args);
    let started = std::time::Instant::now();
    let m = run_measured(c);
    eprintln!(
        "{what}: exit {:?}, peak RSS {} kB, {:.2} s",
        m.status.code(),
        m.max_rss_kb,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(m.status.code(), Some(2), "{what}: {}", m.stderr);
    assert!(m.max_rss_kb < MAX_RSS_KB, "{what}: {} kB", m.max_rss_kb);
    assert!(!m.stderr.contains("panicked"), "{what}: {}", m.stderr);
    let left: Vec<_> = std::fs::read_dir(out).unwrap().flatten().collect();
    assert!(left.is_empty(), "{what}: left {left:?}");
    m
}

fn report_args<'a>(input: &'a Path, output: &'a Path) -> Vec<&'a std::ffi::OsStr> {
    let mut v: Vec<&std::ffi::OsStr> = vec!["report".as_ref(), "--input".as_ref()];
    v.push(input.as_os_str());
    v.extend(
        [
            "--importer-name",
            "N",
            "--importer-country",
            "NL",
            "--importer-eori",
            "NL123456789012",
            "--declarant-name",
            "J",
            "--declarant-position",
            "P",
            "--output",
        ]
        .map(std::ffi::OsStr::new),
    );
    v.push(output.as_os_str());
    v
}

/// A 2 MB `.csv.gz` of one repeated row (2 GB inflated) and a 1 MB `.json.gz` holding one
/// long string: each refused at the bound, naming the file, the bound and the flag.
#[test]
fn csv_and_json_gzip_bombs_are_refused_while_decompressing() {
    let d = tmp();
    let out = tmp();
    let csv = d.path().join("bomb.csv.gz");
    std::fs::write(&csv, bomb(&csv_header(), &ROW.repeat(80_000), 2 << 20)).unwrap();
    let json = d.path().join("bomb.json.gz");
    std::fs::write(
        &json,
        bomb(b"[{\"shipment_id\": \"", &[b'A'; 8 << 20], 1 << 20),
    )
    .unwrap();
    let report = out.path().join("report.json");
    for (input, what) in [(&csv, "2 MB .csv.gz bomb"), (&json, "1 MB .json.gz bomb")] {
        let m = refused(&report_args(input, &report), out.path(), what);
        let name = input.file_name().unwrap().to_str().unwrap();
        assert!(
            m.stderr
                .contains(&format!("{name}: the gzip data decompresses to more than "))
                && m.stderr.contains("64 times the ")
                && m.stderr.contains("--max-decompressed SIZE"),
            "{}",
            m.stderr
        );
    }
}

/// A 1 MB `.sql.gz` whose COPY block inflates to gigabytes: `export`, `backup verify` and
/// `report` stop at the bound (exit 2, not a damage verdict), and export leaves no CSV.
#[test]
fn a_sql_gz_bomb_is_refused_while_streaming() {
    let d = tmp();
    let out = tmp();
    let dump = d.path().join("bomb.sql.gz");
    let head = dump_head();
    let all = std::fs::read(fixture("pgdump/greenlang.sql")).unwrap();
    let rest = &all[head.len()..];
    let row = &rest[..rest.iter().position(|&b| b == b'\n').unwrap() + 1];
    std::fs::write(&dump, bomb(&head, &row.repeat(100_000), 1 << 20)).unwrap();
    let csv = out.path().join("shipments.csv");
    let report = out.path().join("report.json");
    let runs: [(Vec<&std::ffi::OsStr>, &str); 3] = [
        (
            vec![
                "export".as_ref(),
                "--database-backup".as_ref(),
                dump.as_os_str(),
                "--output".as_ref(),
                csv.as_os_str(),
            ],
            "export of a 1 MB .sql.gz bomb",
        ),
        (
            vec![
                "backup".as_ref(),
                "verify".as_ref(),
                "--backup".as_ref(),
                dump.as_os_str(),
            ],
            "backup verify of a 1 MB .sql.gz bomb",
        ),
        (report_args(&dump, &report), "report of a 1 MB .sql.gz bomb"),
    ];
    for (args, what) in runs {
        let m = refused(&args, out.path(), what);
        assert!(
            m.stderr
                .contains("bomb.sql.gz: the gzip data decompresses to more than ")
                && m.stderr
                    .contains("(64 times the 1.0 MiB compressed file, at least 16 MiB)")
                && m.stderr.contains("--max-decompressed"),
            "{what}: {}",
            m.stderr
        );
    }
}

/// `--max-decompressed` sets the bound outright (any command), and a size it cannot read is a
/// usage error.
#[test]
fn max_decompressed_sets_the_bound() {
    let d = tmp();
    let out = tmp();
    let gzfile = d.path().join("s.csv.gz");
    std::fs::write(
        &gzfile,
        gz(&std::fs::read(fixture("shipments_2025q4.csv")).unwrap()),
    )
    .unwrap();
    let report = out.path().join("report.json");
    let mut args = vec!["--max-decompressed".as_ref(), "2K".as_ref()];
    args.extend(report_args(&gzfile, &report));
    let m = refused(&args, out.path(), "--max-decompressed 2K");
    assert!(
        m.stderr.contains(
            "s.csv.gz: the gzip data decompresses to more than 2 KiB (--max-decompressed)"
        ),
        "{}",
        m.stderr
    );
    let mut args = report_args(&gzfile, &report);
    args.extend(["--max-decompressed", "1M"].map(std::ffi::OsStr::new));
    let mut c = cbam();
    c.args(&args);
    let o = run(c);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut c = cbam();
    c.args(["export", "--max-decompressed", "lots"]);
    let o = run(c);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("expected a size such as 512M or 4G"),
        "{}",
        stderr(&o)
    );
}

/// A plain dump with one 40 MB COPY row, one 40 MB line of SQL, and a 40 MB statement of
/// short lines: each refused once its bound is passed, naming the file and line, in bounded
/// memory (the row and the line used to be read whole; the statement bound was 256 MiB).
#[test]
fn long_dump_lines_statements_and_copy_rows_are_refused_while_read() {
    let d = tmp();
    let out = tmp();
    let head = dump_head();
    let head_lines = head.iter().filter(|&&b| b == b'\n').count();
    let mut row = head.clone();
    row.extend(std::iter::repeat_n(b'x', 40 << 20));
    row.push(b'\n');
    let mut sql = head[..head.len() - 1].to_vec();
    sql.truncate(sql.iter().rposition(|&b| b == b'\n').unwrap() + 1);
    let sql_head = sql.clone();
    sql.extend_from_slice(b"INSERT INTO public.shipments VALUES ('");
    sql.extend(std::iter::repeat_n(b'y', 40 << 20));
    let mut stmt = sql_head.clone();
    stmt.extend_from_slice(b"INSERT INTO public.shipments VALUES ('\n");
    for _ in 0..(40 << 10) {
        stmt.extend(std::iter::repeat_n(b'z', 1023));
        stmt.push(b'\n');
    }
    let cases = [
        (
            "row.sql",
            row,
            format!(
                "row.sql: line {}: a COPY row of table public.shipments (COPY started at line {head_lines}) longer than 32 MiB",
                head_lines + 1
            ),
        ),
        (
            "line.sql",
            sql,
            format!("line.sql: line {head_lines}: a line of SQL longer than 32 MiB"),
        ),
        (
            "stmt.sql",
            stmt,
            format!("the SQL statement started at line {head_lines} is longer than 32 MiB"),
        ),
    ];
    let csv = out.path().join("shipments.csv");
    for (name, bytes, message) in cases {
        let p = d.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        for args in [
            vec![
                "export".as_ref(),
                "--database-backup".as_ref(),
                p.as_os_str(),
                "--output".as_ref(),
                csv.as_os_str(),
            ],
            vec![
                "backup".as_ref(),
                "verify".as_ref(),
                "--backup".as_ref(),
                p.as_os_str(),
            ],
        ] {
            let m = refused(
                &args,
                out.path(),
                &format!("{} {name}", args[0].to_str().unwrap()),
            );
            assert!(m.stderr.contains(&message), "{name}: {}", m.stderr);
        }
        std::fs::remove_file(&p).unwrap();
    }
}

/// `pg_dump -Fc … | gzip` is named for what it is, not "truncated", and the way out writes a
/// new file: never a redirection into the input's name.
#[test]
fn a_gzipped_custom_archive_is_named_with_advice_that_writes_a_new_file() {
    let d = tmp();
    let out = tmp();
    let archive = d.path().join("nightly.sql.gz");
    let bytes = gz(&std::fs::read(fixture("pgdump/greenlang.dump")).unwrap());
    std::fs::write(&archive, &bytes).unwrap();
    let csv = out.path().join("shipments.csv");
    let a = archive.display().to_string();
    let plain = d.path().join("nightly.plain.sql").display().to_string();
    for args in [
        vec![
            "export".as_ref(),
            "--database-backup".as_ref(),
            archive.as_os_str(),
            "--output".as_ref(),
            csv.as_os_str(),
        ],
        vec![
            "backup".as_ref(),
            "verify".as_ref(),
            "--backup".as_ref(),
            archive.as_os_str(),
        ],
    ] {
        let m = refused(&args, out.path(), "gzipped custom archive");
        assert!(
            m.stderr
                .contains("gzip-compressed pg_dump custom-format archive (-Fc)")
                && !m.stderr.contains("is truncated")
                && m.stderr
                    .contains(&format!("`gzip -dc {a} | pg_restore -f {plain}`"))
                && !m.stderr.contains(&format!("> {a}")),
            "{}",
            m.stderr
        );
    }
    assert_eq!(std::fs::read(&archive).unwrap(), bytes);
}
