//! Issue 18: the report as one self-contained HTML page (`--html`, `cbam html`): its content,
//! determinism, escaping and the refusal of what is not a report. The page in a real browser:
//! `html_browser.rs`.

use super::*;

/// The two fixture reports: the transitional quarter and the 2026 annual (definitive) one,
/// each with `--html` beside it.
pub fn fixture_reports(dir: &Path) -> [(PathBuf, PathBuf); 2] {
    let sup = fixture("suppliers.yaml");
    let mut out = Vec::new();
    for (name, input, extra) in [
        ("q", "shipments_2025q4.csv", &[][..]),
        ("y", "shipments_2026.csv", &["--period", "2026"][..]),
    ] {
        let json = dir.join(format!("{name}.json"));
        let html = dir.join(format!("{name}.html"));
        let mut args = vec![
            "--suppliers",
            sup.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
        ];
        args.extend(extra);
        let o = run(report_cmd(&fixture(input), &json, &args));
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        out.push((json, html));
    }
    out.try_into().unwrap()
}

fn html_cmd(report: &Path, out: &Path) -> Output {
    let mut c = cbam();
    c.arg("html").arg(report).arg("-o").arg(out);
    run(c)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).expect("page written")
}

#[test]
fn fixture_page_snapshot() {
    let d = tmp();
    let [(_, q), _] = fixture_reports(d.path());
    insta::with_settings!({snapshot_path => "../../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("html_report_2025q4", read(&q));
    });
}

#[test]
fn report_flag_and_html_command_give_the_same_bytes_every_time() {
    let d = tmp();
    let [(qj, qh), (yj, yh)] = fixture_reports(d.path());
    for (json, html) in [(&qj, &qh), (&yj, &yh)] {
        let a = d.path().join("a.html");
        let b = d.path().join("b.html");
        for p in [&a, &b] {
            let o = html_cmd(json, p);
            assert_eq!(code(&o), 0, "{}", stderr(&o));
        }
        let (a, b, h) = (read(&a), read(&b), read(html));
        assert_eq!(a, b, "rendering twice differs");
        assert_eq!(a, h, "cbam html differs from cbam report --html");
    }
}

#[test]
fn page_holds_the_figures_as_written_and_is_self_contained() {
    let d = tmp();
    let [(qj, qh), (yj, yh)] = fixture_reports(d.path());
    let q = read(&qh);
    let r = json(&qj);
    let es = &r["emissions_summary"];
    for k in [
        "total_embedded_emissions_tco2",
        "total_direct_emissions_tco2",
        "total_indirect_emissions_tco2",
    ] {
        // The decimal text of the JSON (978.62, not 978.6200000001).
        let v = es[k].to_string();
        assert!(q.contains(&format!("<b>{v}</b>")), "{k} = {v}");
    }
    for id in [
        "headline",
        "sector",
        "origin",
        "method",
        "goods",
        "findings",
        "registry",
        "provenance",
    ] {
        assert!(q.contains(&format!("id=\"{id}\"")), "section {id}");
    }
    assert!(!q.contains("id=\"obligation\""), "no obligation in 2025");
    assert!(q.contains("20 % default values allowed"), "20 % line");
    assert!(q.contains("@page{size:A4"), "print stylesheet");
    // Findings grouped: one row per code with its count (the 20 % rule's warning once).
    let row = "<td class=\"sev-warning\">warning</td><td>CBAM-070</td><td class=\"n\">1</td>";
    assert_eq!(q.matches(row).count(), 1);
    // Every digest of the provenance is shown.
    for fd in r["provenance"]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .chain(r["provenance"]["reference_data"].as_array().unwrap())
    {
        assert!(q.contains(fd["sha256"].as_str().unwrap()), "{fd}");
    }
    // Self-contained: no script, no external resource, no link.
    for bad in [
        "<script", "<link", "src=", "http://", "https://", "@import", "url(http",
    ] {
        let n = q.matches(bad).count();
        // The SVG namespace is the one URL (an identifier, never fetched).
        let allowed = if bad == "http://" {
            q.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
        } else {
            0
        };
        assert_eq!(n, allowed, "{bad}");
    }

    let y = read(&yh);
    let r = json(&yj);
    let year = &r["certificate_obligation"]["years"][0];
    assert!(y.contains("id=\"obligation\""));
    assert!(
        !y.contains("20 % default values allowed"),
        "no 20 % line in 2026"
    );
    assert!(y.contains(&format!("{} certificates", year["certificates"])));
    for q in year["quarters"].as_array().unwrap() {
        assert!(y.contains(&format!("<td>{}</td>", q["quarter"].as_str().unwrap())));
        assert!(y.contains(&q["net_emissions_tco2"].to_string()));
    }
    assert!(y.contains("Annual declaration summary"));
    for e in r["certificate_obligation"]["declaration_summary"]
        .as_array()
        .unwrap()
    {
        assert!(y.contains(&e["embedded_emissions_tco2"].to_string()), "{e}");
    }
}

const HOSTILE: [&str; 5] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "</style><b>x</b>",
    "]]><!--",
    "' onmouseover='alert(1)",
];

/// Every string of `v` with the hostile strings around it.
fn poison(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => *s = format!("{}{s}{}", HOSTILE.join(""), HOSTILE.join("")),
        serde_json::Value::Array(a) => a.iter_mut().for_each(poison),
        serde_json::Value::Object(o) => o.values_mut().for_each(poison),
        _ => {}
    }
}

fn assert_inert(page: &str) {
    for raw in [
        "<script",
        "<img",
        "<b>x</b>",
        "]]>",
        "<!--",
        "onerror=alert(1)>",
        "' onmouseover",
    ] {
        assert!(!page.contains(raw), "{raw:?} is in the page raw");
    }
    assert_eq!(page.matches("</style>").count(), 1, "only our own </style>");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[test]
fn hostile_strings_everywhere_are_escaped() {
    let d = tmp();
    let [(qj, _), (yj, _)] = fixture_reports(d.path());
    for j in [qj, yj] {
        let mut r = json(&j);
        poison(&mut r);
        let bad = d.path().join("bad.json");
        std::fs::write(&bad, serde_json::to_vec_pretty(&r).unwrap()).unwrap();
        let out = d.path().join("bad.html");
        let o = html_cmd(&bad, &out);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert_inert(&read(&out));
    }
}

#[test]
fn hostile_importer_and_shipment_ids_through_report_html() {
    let d = tmp();
    let input = d.path().join("s.csv");
    let mut csv = std::fs::read_to_string(fixture("shipments_2025q4.csv")).unwrap();
    // A shipment whose id and CN code are hostile: rejected, its finding quotes them.
    csv.push_str("\"<script>alert(1)</script>\",2025-11-03,2025Q4,\"\"\"><img src=x onerror=alert(1)>\",,,CN,,,NL,1000,,,NO,,\"</style>]]>\"\n");
    std::fs::write(&input, csv).unwrap();
    let json = d.path().join("r.json");
    let html = d.path().join("r.html");
    let mut c = cbam();
    c.arg("report")
        .arg("--input")
        .arg(&input)
        .arg("--output")
        .arg(&json)
        .arg("--html")
        .arg(&html)
        .args(["--importer-name", "<script>alert(1)</script> BV"])
        .args([
            "--importer-country",
            "NL",
            "--importer-eori",
            "NL123456789012",
        ])
        .args(["--declarant-name", "\"><img src=x onerror=alert(1)>"])
        .args(["--declarant-position", "</style>]]>"])
        .args(["--generated-at", "2026-01-15T09:00:00Z"]);
    let o = run(c);
    assert!(code(&o) <= 1, "{}", stderr(&o));
    let page = read(&html);
    assert_inert(&page);
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; BV"));
}

#[test]
fn what_is_not_a_report_is_refused_naming_the_file() {
    let d = tmp();
    let cases: [(&str, &[u8]); 4] = [
        ("notes.txt", b"hello, not JSON\n"),
        ("array.json", b"[1, 2, 3]\n"),
        ("object.json", b"{\"shipments\": []}\n"),
        (
            "cut.json",
            b"{\"report_metadata\": {\"quarter\": \"2025Q4\"",
        ),
    ];
    for (name, bytes) in cases {
        let p = d.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let out = d.path().join("x.html");
        let o = html_cmd(&p, &out);
        assert_eq!(code(&o), 2, "{name}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains(name) && e.contains("not a CBAM report"),
            "{name}: {e}"
        );
        assert!(!out.exists(), "{name}: nothing written");
    }
    let o = html_cmd(&d.path().join("missing.json"), &d.path().join("x.html"));
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("missing.json"), "{}", stderr(&o));
}

#[test]
fn the_page_never_overwrites_its_report() {
    let d = tmp();
    let [(qj, _), _] = fixture_reports(d.path());
    let before = std::fs::read(&qj).unwrap();
    let o = html_cmd(&qj, &qj);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert_eq!(std::fs::read(&qj).unwrap(), before);
    // Nor does `--html` overwrite an input of `cbam report`.
    let input = d.path().join("s.csv");
    std::fs::copy(fixture("shipments_2025q4.csv"), &input).unwrap();
    let o = run(report_cmd(
        &input,
        &d.path().join("r.json"),
        &["--html", input.to_str().unwrap()],
    ));
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("--html"), "{}", stderr(&o));
}

#[test]
fn production_shaped_report_renders() {
    // The production system's report shape: findings with error_code / warning_code and
    // affected_shipments, provenance input_files, numbers as floats, bare NaN.
    let d = tmp();
    let p = d.path().join("prod.json");
    std::fs::write(
        &p,
        r#"{
  "report_metadata": {"report_id": "CBAM-2025Q4-REPORT-001", "quarter": "2025Q4",
    "reporting_period_start": "2025-10-01", "reporting_period_end": "2025-12-31",
    "generated_at": "2025-12-01T10:00:00Z", "generated_by": "GreenLang CBAM Importer Copilot v1.0.0"},
  "importer_declaration": {"importer_name": "Demo Importer GmbH", "importer_country": "DE", "importer_eori": "DE123456789"},
  "goods_summary": {"total_shipments": 20, "total_mass_tonnes": 100.5, "product_groups": [
    {"product_group": "steel", "shipment_count": 12, "total_mass_tonnes": 80.25}]},
  "detailed_goods": [
    {"shipment_id": "S-1", "emissions_calculation": {"total_emissions_tco2": 1.5}},
    {"shipment_id": "S-2", "emissions_calculation": {"total_emissions_tco2": NaN}}
  ],
  "emissions_summary": {"total_direct_emissions_tco2": 408.70, "total_indirect_emissions_tco2": 255.21,
    "total_embedded_emissions_tco2": 663.91,
    "emissions_by_product_group": [{"product_group": "steel", "total_emissions_tco2": 500.1, "percentage_of_total": 75.3}],
    "emissions_by_origin_country": [{"country_iso": "CN", "country_name": "China", "total_emissions_tco2": 663.91, "percentage_of_total": 100.0}],
    "calculation_methods_used": {"default_values_count": 14, "actual_data_count": 6}},
  "validation_results": {"is_valid": true, "validation_timestamp": "2025-12-01T10:00:00Z",
    "errors": [],
    "warnings": [{"warning_code": "W002", "message": "Supplier data stale", "affected_shipments": ["S-1", "S-2"]},
                 {"warning_code": "W002", "message": "Supplier data stale", "affected_shipments": ["S-3"]},
                 {"warning_code": "W002", "message": "Supplier data stale", "affected_shipments": ["S-4"]},
                 {"warning_code": "W002", "message": "past the first rows", "affected_shipments": ["S-5"]},
                 {"warning_code": "W002", "message": "with NaN", "x": NaN},
                 {"message": "W002 again", "warning_code": "W002"}]},
  "provenance": {"input_files": [{"file_path": "demo_shipments.csv", "file_hash_sha256": "ab12cd34"}]}
}
"#,
    )
    .unwrap();
    let out = d.path().join("prod.html");
    let o = html_cmd(&p, &out);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let page = read(&out);
    assert!(page.contains("S-4") && !page.contains("S-5") && !page.contains("W002 again"));
    for s in [
        "<b>663.91</b>",
        "<b>408.70</b>",
        "<b>255.21</b>",
        "Demo Importer GmbH",
        // Six findings of one code: one row, counted, the first three shown.
        "<td>W002</td><td class=\"n\">6</td>",
        "S-1, S-2",
        "demo_shipments.csv",
        "ab12cd34",
        "75.3 %",
    ] {
        assert!(page.contains(s), "{s}");
    }
}

#[test]
fn with_xml_the_page_shows_the_registry_verdict() {
    let d = tmp();
    let json = d.path().join("r.json");
    let xml = d.path().join("r.xml");
    let html = d.path().join("r.html");
    let mut c = report_cmd(
        &fixture("shipments_2025q4.csv"),
        &json,
        &["--declarant-city", "Rotterdam", "--confirm"],
    );
    c.arg("--xml").arg(&xml).arg("--html").arg(&html);
    let o = run(c);
    // Q4 2025 on default values: the registry refuses it (XQ013), and so does the run.
    assert_registry_refuses_only_default_values(&o);
    let page = read(&html);
    // Without supplier profiles: 22 goods on default values, direct and indirect each.
    let verdict = "<p>r.xml (QReport 23.00): <span class=\"bad\">valid for upload: no</span> — 44 errors, 0 warnings.";
    assert!(page.contains(verdict), "{page}");
    assert!(
        page.contains("XQ013"),
        "the registry's findings are among the page's findings"
    );
    // The report JSON records the verdict: `cbam html` of it shows the same.
    let again = d.path().join("again.html");
    assert_eq!(code(&html_cmd(&json, &again)), 0);
    assert!(read(&again).contains(verdict));
    // Without --xml there is none to show.
    let plain = d.path().join("plain.json");
    let o = run(report_cmd(&fixture("shipments_2025q4.csv"), &plain, &[]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let page = d.path().join("plain.html");
    assert_eq!(code(&html_cmd(&plain, &page)), 0);
    assert!(read(&page).contains("does not record a registry XML validation"));
}
