//! Hostile workbooks (issue 14): each class through every flag that reads a workbook
//! (`--input`, `--supplier-templates`, `--default-values`, `--benchmarks`) exits 2 naming the
//! file, within the memory bound, never by a signal or a panic. The files are the tiny ones in
//! `fixtures/bad/workbooks/` (`make.py`); before the shared opener these aborted (SIGABRT),
//! panicked (exit 101) or grew to gigabytes.

use super::corpus::{run_measured, MAX_RSS_KB};
use super::*;
use std::os::unix::process::ExitStatusExt;

fn bomb(name: &str) -> PathBuf {
    fixture("bad/workbooks").join(name)
}

/// `report` with the workbook `wb` given to `flag` (the shipments from the CSV fixture when
/// the flag is not `--input`).
fn with_flag(flag: &str, wb: &Path, out: &Path) -> Command {
    if flag == "--input" {
        return report_cmd(wb, out, &[]);
    }
    let mut c = report_cmd(&fixture("shipments_2025q4.csv"), out, &[]);
    c.arg(flag).arg(wb);
    c
}

const FLAGS: [&str; 4] = [
    "--input",
    "--supplier-templates",
    "--default-values",
    "--benchmarks",
];

/// Every flag: exit 2 by itself, the file named on standard error, one error line, no panic,
/// peak RSS under the bound, no report left behind. Returns the standard errors, by flag.
fn refused_everywhere(name: &str) -> Vec<String> {
    let wb = bomb(name);
    let mut errs = Vec::new();
    for flag in FLAGS {
        let d = tmp();
        let out = d.path().join("report.json");
        let m = run_measured(with_flag(flag, &wb, &out));
        assert_eq!(m.status.signal(), None, "{name} {flag}: killed by a signal");
        assert_eq!(m.status.code(), Some(2), "{name} {flag}: {}", m.stderr);
        assert!(
            m.stderr.contains(name) && !m.stderr.contains("panicked"),
            "{name} {flag}: {}",
            m.stderr
        );
        // One message (the runner's CBAM_TRACE line of peak RSS aside).
        let messages = m
            .stderr
            .lines()
            .filter(|l| !l.starts_with("cbam: trace:"))
            .count();
        assert_eq!(messages, 1, "{name} {flag}: {}", m.stderr);
        assert!(
            m.max_rss_kb < MAX_RSS_KB,
            "{name} {flag}: peak RSS {} kB",
            m.max_rss_kb
        );
        assert!(!out.exists(), "{name} {flag}: a report was written");
        errs.push(m.stderr);
    }
    errs
}

#[test]
fn xlsx_cells_far_apart_are_read_sparsely() {
    // A1 and XFD1048576: a dense range of 17 G cells before; two cells now.
    refused_everywhere("far_cell.xlsx");
    let errs = refused_everywhere("row_4294967295.xlsx");
    assert!(
        errs[0].contains("sheet \"Shipments\", cell A4294967295: beyond the last cell of a sheet"),
        "{}",
        errs[0]
    );
}

#[test]
fn xlsx_declared_dimension_is_not_trusted() {
    // `<dimension ref="A1:XFD1048576">` over two real rows: read as the two rows they are.
    let d = tmp();
    let out = d.path().join("r.json");
    let m = run_measured(report_cmd(&bomb("giant_dimension.xlsx"), &out, &[]));
    assert_eq!(m.status.code(), Some(0), "{}", m.stderr);
    assert!(m.max_rss_kb < MAX_RSS_KB);
    let r = json(&out);
    assert_eq!(r["detailed_goods"].as_array().unwrap().len(), 1);
}

#[test]
fn xlsx_shared_strings_count_is_checked_before_calamine() {
    for e in refused_everywhere("unique_count.xlsx") {
        assert!(
            e.contains("xl/sharedStrings.xml: the shared-strings table declares uniqueCount=\"4294967295\" but holds 2 strings"),
            "{e}"
        );
    }
}

#[test]
fn xlsx_part_with_a_giant_text_is_refused_before_parsing() {
    for e in refused_everywhere("long_text.xlsx") {
        assert!(
            e.contains("xl/worksheets/sheet1.xml: a tag or text longer than 4 MiB"),
            "{e}"
        );
    }
}

#[test]
fn xls_damage_is_checked_or_contained() {
    // DIMENSIONS of 2^32 rows (an abort before), a sheet offset past the stream (a panic
    // before), a cut file, and a record calamine itself trips over (contained).
    for e in refused_everywhere("dimensions.xls") {
        assert!(
            e.contains("its DIMENSIONS record declares 1099511627520 cells"),
            "{e}"
        );
    }
    for e in refused_everywhere("sheet_offset.xls") {
        assert!(e.contains("is said to start at byte 2147483632"), "{e}");
    }
    refused_everywhere("truncated.xls");
    for e in refused_everywhere("mulrk_backwards.xls") {
        assert!(e.contains("cannot read the workbook"), "{e}");
    }
}

#[test]
fn ods_repeats_are_bounded_and_trailing_empty_rows_accepted() {
    for name in ["rows_repeated.ods", "columns_repeated.ods"] {
        for e in refused_everywhere(name) {
            assert!(
                e.contains("sheet \"Shipments\": its repeated rows and columns"),
                "{e}"
            );
        }
    }
    // LibreOffice's 1,048,000 empty rows after the data are not expanded: accepted.
    let d = tmp();
    let out = d.path().join("r.json");
    let m = run_measured(report_cmd(&bomb("trailing_empty_rows.ods"), &out, &[]));
    assert_eq!(m.status.code(), Some(0), "{}", m.stderr);
    assert!(m.max_rss_kb < MAX_RSS_KB, "{} kB", m.max_rss_kb);
    assert_eq!(json(&out)["detailed_goods"].as_array().unwrap().len(), 1);
}

#[test]
fn a_cell_that_fails_to_parse_names_sheet_column_and_row() {
    let d = tmp();
    let out = d.path().join("r.json");
    let o = run(report_cmd(&bomb("mass_text.xlsx"), &out, &[]));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&out);
    let errors = r["validation_results"]["errors"].as_array().unwrap();
    let cell_of = |code: &str| {
        errors
            .iter()
            .find(|f| f["code"] == code)
            .map(|f| (f["cell"].clone(), f["line"].clone()))
    };
    assert_eq!(
        cell_of("IN008"),
        Some((serde_json::json!("Shipments!F3"), serde_json::json!(3)))
    );
    assert_eq!(
        cell_of("IN004"),
        Some((serde_json::json!("Shipments!B4"), serde_json::json!(4)))
    );
    let summary = String::from_utf8_lossy(&o.stdout);
    assert!(
        summary.contains("error IN008 line 3 (cell Shipments!F3) net_mass_kg"),
        "{summary}"
    );
}

#[test]
fn suppliers_import_refuses_every_bomb_alike() {
    for name in [
        "far_cell.xlsx",
        "row_4294967295.xlsx",
        "unique_count.xlsx",
        "long_text.xlsx",
        "dimensions.xls",
        "sheet_offset.xls",
        "truncated.xls",
        "mulrk_backwards.xls",
        "rows_repeated.ods",
        "columns_repeated.ods",
    ] {
        let d = tmp();
        let out = d.path().join("suppliers.yaml");
        let mut c = cbam();
        c.args(["suppliers", "import", "--output"])
            .arg(&out)
            .arg(bomb(name));
        let m = run_measured(c);
        assert_eq!(m.status.code(), Some(2), "{name}: {}", m.stderr);
        assert!(
            m.stderr.contains(name) && !m.stderr.contains("panicked"),
            "{name}: {}",
            m.stderr
        );
        assert!(m.max_rss_kb < MAX_RSS_KB, "{name}: {} kB", m.max_rss_kb);
        assert!(!out.exists(), "{name}");
    }
}
