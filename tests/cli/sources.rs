//! What the outputs cite as a factor's source: the legal act or official publication, never a
//! code-hosting site or a copy of the table on another site; low-confidence default values are
//! said once per CN code (DV003) and on each line's trail.

use super::*;
use serde_json::Value;

/// The flags the XML needs on top of `report_cmd`'s.
const XML_FLAGS: [&str; 3] = ["--declarant-city", "Rotterdam", "--confirm"];

/// The addresses an output may contain: the EU's official domain (`europa.eu` and its
/// subdomains, e.g. `eur-lex.europa.eu`, `taxation-customs.ec.europa.eu`), and the QReport
/// namespace name `http://xmlns.ec.eu/…` that the Commission's XSD defines (an XML namespace,
/// not a link to a page). Everything else with `http://` or `https://`, and any mention of
/// GitHub or GitLab, is refused.
fn allowed_host(host: &str) -> bool {
    host == "europa.eu" || host.ends_with(".europa.eu") || host == "xmlns.ec.eu"
}

/// Every place in `text` that cites a code host or a non-EU site, with some context.
fn bad_citations(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut bad = Vec::new();
    let context = |i: usize| {
        let start = lower[..i]
            .char_indices()
            .rev()
            .nth(60)
            .map_or(0, |(j, _)| j);
        lower[start..].chars().take(160).collect::<String>()
    };
    for word in ["github", "gitlab"] {
        for (i, _) in lower.match_indices(word) {
            bad.push(context(i));
        }
    }
    for scheme in ["http://", "https://"] {
        for (i, _) in lower.match_indices(scheme) {
            let rest = &lower[i + scheme.len()..];
            let host: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
                .collect();
            if !allowed_host(&host) {
                bad.push(context(i));
            }
        }
    }
    bad
}

fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    assert!(!text.trim().is_empty(), "{what} is empty");
    let bad = bad_citations(&text);
    assert!(bad.is_empty(), "{what} cites: {bad:#?}");
}

#[test]
fn the_filter_refuses_what_it_should() {
    assert_eq!(
        bad_citations(
            "see https://eur-lex.europa.eu/eli/reg_impl/2023/1773/oj and https://europa.eu/x"
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        bad_citations("<QReport xmlns=\"http://xmlns.ec.eu/BusinessObjects/CBAM/Types/V1\">").len(),
        0
    );
    assert_eq!(bad_citations("GitHub RomanHaak/streamlit-example").len(), 1);
    assert_eq!(
        bad_citations("copy at https://www.sme.gov.tw/caas/article").len(),
        1
    );
    assert_eq!(bad_citations("http://europa.eu.example.com/").len(), 1);
    assert_eq!(bad_citations("https://gitlab.com/x").len(), 2);
}

/// The README's report commands (2025Q4 with `--xml`, the 2026 annual report) and `cbam cn
/// lookup`/`cbam explain`: no file written and nothing printed cites a repository or a copy site.
#[test]
fn no_output_cites_a_code_host_or_a_non_eu_site() {
    let d = tmp();
    let p = |n: &str| d.path().join(n);
    let suppliers = fixture("suppliers.yaml");
    let suppliers = suppliers.to_str().unwrap();

    // 2025Q4 (transitional): JSON, Markdown, lines CSV, registry XML, stdout/stderr.
    let mut c = report_cmd(
        &fixture("shipments_2025q4.csv"),
        &p("q4.json"),
        &["--suppliers", suppliers],
    );
    c.arg("--summary")
        .arg(p("q4.md"))
        .arg("--lines")
        .arg(p("q4.csv"))
        .arg("--xml")
        .arg(p("q4.xml"))
        .args(XML_FLAGS);
    let o = run(c);
    assert_registry_refuses_only_default_values(&o);
    for f in ["q4.json", "q4.md", "q4.csv", "q4.xml"] {
        assert_clean(f, &std::fs::read(p(f)).unwrap());
    }
    assert_clean(
        "2025Q4 stdout+stderr",
        format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o)).as_bytes(),
    );
    // The transitional factors cite the Commission's document.
    let r = json(&p("q4.json"));
    let used = r["provenance"]["factors_used"].as_array().unwrap();
    let tdv: Vec<&Value> = used
        .iter()
        .filter(|f| f["id"].as_str().unwrap().starts_with("EU-TDV:"))
        .collect();
    assert!(tdv.len() > 10);
    for f in tdv {
        let s = f["source"].as_str().unwrap();
        assert!(
            s.starts_with("European Commission (DG TAXUD), \"Default values for the transitional period of the CBAM between 1 October 2023 and 31 December 2025\", 22 December 2023"),
            "{s}"
        );
    }

    // 2026 (definitive), the README's annual report: no XML exists for it.
    let mut c = report_cmd(
        &fixture("shipments_2026.csv"),
        &p("y.json"),
        &["--suppliers", suppliers, "--period", "2026"],
    );
    c.arg("--summary")
        .arg(p("y.md"))
        .arg("--lines")
        .arg(p("y.csv"));
    let o = run(c);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    for f in ["y.json", "y.md", "y.csv"] {
        assert_clean(f, &std::fs::read(p(f)).unwrap());
    }
    assert_clean("2026 stdout", &o.stdout);

    // cn lookup, text and JSON: official lines, the single-source ones, a heading-level
    // transitional row (7208), aluminium and a TARIC-split definitive code.
    let codes = [
        "25231000", "28041000", "31029000", "31051000", "72031000", "72081000", "72021100",
        "76011000", "76041010", "73084000",
    ];
    for json_format in [false, true] {
        let mut c = cbam();
        c.arg("cn");
        if json_format {
            c.args(["--format", "json"]);
        }
        c.arg("lookup").args(codes);
        let o = run(c);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert_clean("cn lookup", &o.stdout);
    }

    // explain prints a factor's full source.
    for id in ["FX-2025Q4-0001", "FX-2025Q4-0020"] {
        let mut c = cbam();
        c.arg("explain")
            .arg("--input")
            .arg(fixture("shipments_2025q4.csv"))
            .args(["--suppliers", suppliers, id]);
        let o = run(c);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert_clean("explain", &o.stdout);
    }
}

/// A definitive factor's source is exactly what `data/default_values_definitive.csv` says in
/// its `source` column for that row (nothing added to it, whatever the column holds).
#[test]
fn definitive_factor_source_is_the_table_source_column() {
    let d = tmp();
    let out = d.path().join("y.json");
    let o = run(report_cmd(
        &fixture("shipments_2026.csv"),
        &out,
        &["--period", "2026"],
    ));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let table = std::fs::read_to_string(root().join("data/default_values_definitive.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(table.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let (origin, cn, source) = (col("origin_iso"), col("cn_code"), col("source"));
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let r = json(&out);
    let mut checked = 0;
    for f in r["provenance"]["factors_used"].as_array().unwrap() {
        let id = f["id"].as_str().unwrap();
        let Some(rest) = id.strip_prefix("EU-DDV:") else {
            continue;
        };
        let (sheet, code) = rest.split_once(':').unwrap();
        let row = rows
            .iter()
            .find(|r| &r[origin] == sheet && &r[cn] == code)
            .unwrap_or_else(|| panic!("{id} not in the table"));
        assert_eq!(f["source"].as_str().unwrap(), &row[source], "{id}");
        checked += 1;
    }
    assert!(checked >= 4, "{checked} definitive factors checked");
}

fn dv003(r: &Value) -> Vec<String> {
    r["validation_results"]["infos"]
        .as_array()
        .unwrap()
        .iter()
        .chain(r["validation_results"]["warnings"].as_array().unwrap())
        .filter(|f| f["code"] == "DV003")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

fn trail(r: &Value, id: &str) -> Vec<String> {
    let line = r["detailed_goods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["shipment_id"] == id)
        .unwrap_or_else(|| panic!("{id}"));
    line["emissions_calculation"]["trail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect()
}

/// The fixture's one hydrogen shipment (2804 10 00: official total, single-source split) gets
/// DV003 once; its trail says why; no row-level CA007 any more.
#[test]
fn fixture_low_confidence_line_is_noted_once() {
    let d = tmp();
    let out = d.path().join("q4.json");
    let o = run(report_cmd(&fixture("shipments_2025q4.csv"), &out, &[]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json(&out);
    let notes = dv003(&r);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with("1 shipment(s) of CN 2804 10 00 use a default value of low confidence (single-source, table row 28041000)"),
        "{}",
        notes[0]
    );
    let t = trail(&r, "FX-2025Q4-0020");
    assert_eq!(
        t.iter().filter(|l| l.contains("(DV003)")).count(),
        1,
        "{t:?}"
    );
    assert!(t.iter().any(|l| l.starts_with("low confidence: ")), "{t:?}");
    // An official line has neither.
    assert!(!trail(&r, "FX-2025Q4-0001")
        .iter()
        .any(|l| l.contains("DV003")));
    assert!(!all_codes_text(&r).contains("CA007"));
}

fn all_codes_text(r: &Value) -> String {
    r["validation_results"].to_string()
}

/// Several shipments of the same low-confidence line: one DV003 per CN code, with the count;
/// every such line's trail carries the reason; an official line gets nothing.
#[test]
fn low_confidence_note_once_per_cn_code() {
    let d = tmp();
    let input = d.path().join("s.csv");
    let head = "shipment_id,import_date,quarter,cn_code,product_group,product_description,origin_iso,origin_country,importer_name,importer_country,net_mass_kg,port_of_entry,importer_reference,has_actual_emissions,supplier_id,notes";
    let row = |id: &str, cn: &str, group: &str| {
        format!("{id},2025-11-03,2025Q4,{cn},{group},x,MA,Morocco,Noordzee Staal Import BV,NL,10000,Rotterdam,R-{id},NO,,")
    };
    let text = [
        head.to_string(),
        row("LC-1", "31029000", "fertilisers"),
        row("LC-2", "31029000", "fertilisers"),
        row("LC-3", "31051000", "fertilisers"),
        row("LC-4", "25231000", "cement"),
    ]
    .join("\n");
    std::fs::write(&input, text + "\n").unwrap();
    let out = d.path().join("r.json");
    let o = run(report_cmd(&input, &out, &[]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json(&out);
    let notes = dv003(&r);
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes.iter().any(|n| n.starts_with("2 shipment(s) of CN 3102 90 00 use a default value of low confidence (single-source, table row 31029000)")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("1 shipment(s) of CN 3105 10 00 ")),
        "{notes:?}"
    );
    let severities: Vec<&str> = r["validation_results"]["infos"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "DV003")
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    assert_eq!(severities, ["info", "info"]);
    for id in ["LC-1", "LC-2", "LC-3"] {
        let t = trail(&r, id);
        assert_eq!(
            t.iter()
                .filter(|l| l.starts_with("low confidence: "))
                .count(),
            1,
            "{id}: {t:?}"
        );
    }
    assert!(!trail(&r, "LC-4")
        .iter()
        .any(|l| l.contains("low confidence")));
}

/// The registry remark (AdditionalInformation, an..512) keeps the whole citation: a long goods
/// description is shortened instead (7308 and 7612 have descriptions long enough to need it).
#[test]
fn xml_remark_keeps_the_whole_citation() {
    let d = tmp();
    let input = d.path().join("s.csv");
    let head = "shipment_id,import_date,quarter,cn_code,product_group,product_description,origin_iso,origin_country,importer_name,importer_country,net_mass_kg,port_of_entry,importer_reference,has_actual_emissions,supplier_id,notes";
    let text = [
        head.to_string(),
        "L-1,2025-11-03,2025Q4,73084000,steel,props,MA,Morocco,Noordzee Staal Import BV,NL,10000,Rotterdam,R-1,NO,,".into(),
        "L-2,2025-11-04,2025Q4,76129020,aluminium,cans,MA,Morocco,Noordzee Staal Import BV,NL,2000,Rotterdam,R-2,NO,,".into(),
        "L-3,2025-11-05,2025Q4,25231000,cement,clinker,MA,Morocco,Noordzee Staal Import BV,NL,2000,Rotterdam,R-3,NO,,".into(),
    ]
    .join("\n");
    std::fs::write(&input, text + "\n").unwrap();
    let xml = d.path().join("r.xml");
    let mut c = report_cmd(&input, &d.path().join("r.json"), &XML_FLAGS);
    c.arg("--xml").arg(&xml);
    let o = run(c);
    assert_registry_refuses_only_default_values(&o);
    let text = std::fs::read_to_string(&xml).unwrap();
    let open = "<AdditionalInformation>Default value ";
    let remarks: Vec<&str> = text
        .match_indices(open)
        .map(|(i, _)| {
            let rest = &text[i + "<AdditionalInformation>".len()..];
            &rest[..rest.find("</AdditionalInformation>").unwrap()]
        })
        .collect();
    assert_eq!(remarks.len(), 3, "{remarks:#?}");
    let mut shortened = 0;
    for r in remarks {
        assert!(r.chars().count() <= 512, "{r}");
        assert!(
            r.ends_with("published for Implementing Regulation (EU) 2023/1773")
                || r.ends_with("not a line of the document"),
            "{r}"
        );
        if r.contains("…): ") {
            shortened += 1;
        }
    }
    assert_eq!(shortened, 2, "7308 and 7612");
}
