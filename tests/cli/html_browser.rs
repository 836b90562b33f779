//! Issue 18: the fixture pages in a real headless Chromium — it loads them without a console
//! message, the rendered DOM holds the report's totals, the screenshot is not blank and the
//! print is a PDF. Behind `shared-reference` (CI installs chromium); with the feature on, a
//! missing chromium FAILS the test rather than skipping it.

use super::*;
use std::io::Read as _;

/// The browser on PATH (`chromium`, as Debian names it, or the other usual names).
fn chromium() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!(
        "chromium is not installed (apt-get install chromium): the browser test needs it \
         whenever the shared-reference feature is on (.ci/run installs it)"
    );
}

/// One headless run on `page` with `args`; stdout and stderr (Chromium's log) returned.
fn headless(page: &Path, profile: &Path, args: &[String]) -> (String, String) {
    let o = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    assert!(
        o.status.success(),
        "chromium failed on {}: {err}",
        page.display()
    );
    (out, err)
}

/// Console messages and load failures in Chromium's log (its own dbus/GPU noise is not the page's).
fn page_errors(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| {
            l.contains("CONSOLE")
                || l.contains("Uncaught")
                || l.contains("Failed to load resource")
                || l.contains("net::ERR_")
        })
        .collect()
}

/// Width, height and whether the PNG's pixels vary: the IDAT stream inflated (flate2) and
/// its distinct byte values counted — a blank page has a handful.
fn png_facts(bytes: &[u8]) -> (u32, u32, usize) {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let (mut at, mut idat, mut size) = (8usize, Vec::new(), (0, 0));
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let kind = &bytes[at + 4..at + 8];
        let data = &bytes[at + 8..at + 8 + len];
        if kind == b"IHDR" {
            size = (
                u32::from_be_bytes(data[0..4].try_into().unwrap()),
                u32::from_be_bytes(data[4..8].try_into().unwrap()),
            );
        }
        if kind == b"IDAT" {
            idat.extend_from_slice(data);
        }
        at += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut raw)
        .expect("PNG pixel data inflates");
    let mut seen = [false; 256];
    raw.iter().for_each(|&b| seen[b as usize] = true);
    (size.0, size.1, seen.iter().filter(|s| **s).count())
}

#[test]
fn fixture_pages_load_render_and_print_in_headless_chromium() {
    let d = tmp();
    let reports = super::html::fixture_reports(d.path());
    for (json_path, page) in &reports {
        let r = json(json_path);
        let name = page.file_stem().unwrap().to_string_lossy().into_owned();
        let profile = d.path().join(format!("profile-{name}"));

        // The DOM after load: the report's totals as text.
        let (dom, log) = headless(page, &profile, &["--dump-dom".into()]);
        assert!(
            page_errors(&log).is_empty(),
            "{name}: {:?}",
            page_errors(&log)
        );
        let es = &r["emissions_summary"];
        for k in [
            "total_embedded_emissions_tco2",
            "total_direct_emissions_tco2",
            "total_indirect_emissions_tco2",
        ] {
            assert!(
                dom.contains(&es[k].to_string()),
                "{name}: {k} not in the DOM"
            );
        }
        assert!(dom.contains(r["report_metadata"]["report_id"].as_str().unwrap()));
        if let Some(y) = r["certificate_obligation"]["years"].get(0) {
            assert!(
                dom.contains(&format!("{} certificates", y["certificates"])),
                "{name}: certificates"
            );
        }

        // The screenshot: full size, not one colour.
        let png = d.path().join(format!("{name}.png"));
        let (_, log) = headless(page, &profile, &[format!("--screenshot={}", png.display())]);
        assert!(
            page_errors(&log).is_empty(),
            "{name}: {:?}",
            page_errors(&log)
        );
        let (w, h, distinct) = png_facts(&std::fs::read(&png).expect("screenshot written"));
        assert_eq!((w, h), (1280, 2000), "{name}: screenshot size");
        assert!(
            distinct > 32,
            "{name}: screenshot looks blank ({distinct} byte values)"
        );

        // The print: a PDF of more than one A4 page (a page break between sections).
        let pdf = d.path().join(format!("{name}.pdf"));
        headless(
            page,
            &profile,
            &[
                format!("--print-to-pdf={}", pdf.display()),
                "--no-pdf-header-footer".into(),
            ],
        );
        let bytes = std::fs::read(&pdf).expect("PDF written");
        assert!(bytes.starts_with(b"%PDF"), "{name}: not a PDF");
        let pages = bytes
            .windows(12)
            .filter(|w| &w[..11] == b"/Type /Page" && w[11] != b's')
            .count();
        assert!(pages >= 3, "{name}: {pages} pages");
    }
}

/// The quarterly audit of the production-shaped backup (its Q3 report 1 t off) as a page: it
/// loads without a console message and the DOM says the verdict and the difference.
#[test]
fn the_audit_page_loads_in_headless_chromium() {
    let d = tmp();
    let page = d.path().join("audit.html");
    let mut c = cbam();
    c.args([
        "audit",
        "quarterly",
        "--quarter",
        "2025Q3",
        "--today",
        "2026-12-04",
        "-q",
    ])
    .arg("--backup")
    .arg(fixture("pgdump/production_audit.sql.gz"))
    .arg("--html")
    .arg(&page);
    let o = run(c);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let (dom, log) = headless(&page, &d.path().join("profile"), &["--dump-dom".into()]);
    assert!(page_errors(&log).is_empty(), "{:?}", page_errors(&log));
    for s in [
        "INCONSISTENT",
        "CBAM-2025Q3-NOORDZEE S-20251010080000",
        "-1.000",
        "103.290",
    ] {
        assert!(dom.contains(s), "{s} in the audit page");
    }
}
