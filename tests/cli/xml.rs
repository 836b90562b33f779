//! The EU registry XML (QReport 23.00): `cbam report --xml`, `cbam xml`, `cbam validate` on XML.

use super::*;
use cbam::qreport::Node;
use rust_decimal::Decimal;
use std::str::FromStr;

/// The flags the XML needs on top of `report_cmd`'s.
const XML_FLAGS: [&str; 3] = ["--declarant-city", "Rotterdam", "--confirm"];

/// `cbam report --xml` on the fixture shipments (with `extra` flags): (exit, JSON, XML bytes).
fn fixture_xml(dir: &Path, extra: &[&str]) -> (Output, serde_json::Value, Vec<u8>) {
    fixture_xml_from(dir, &fixture("shipments_2025q4.csv"), extra)
}

fn fixture_xml_from(
    dir: &Path,
    input: &Path,
    extra: &[&str],
) -> (Output, serde_json::Value, Vec<u8>) {
    let out = dir.join("r.json");
    let xml = dir.join("r.xml");
    let mut c = report_cmd(input, &out, &XML_FLAGS);
    c.arg("--xml").arg(&xml).args(extra);
    let o = run(c);
    assert!(out.exists(), "{}", stderr(&o));
    let bytes = std::fs::read(&xml).unwrap_or_default();
    (o, json(&out), bytes)
}

/// A representative (an indirect customs representative declaring for the importer).
const REPRESENTATIVE: [&str; 10] = [
    "--representative-name",
    "Douane Expeditie BV",
    "--representative-eori",
    "NL987654321",
    "--representative-country",
    "NL",
    "--representative-city",
    "Rotterdam",
    "--declarant-role",
    "02",
];

/// `cbam xml --report REPORT --output XML` with the XML flags.
fn xml_cmd(report: &Path, xml: &Path) -> Command {
    let mut c = cbam();
    c.arg("xml")
        .arg("--report")
        .arg(report)
        .arg("--output")
        .arg(xml)
        .args(XML_FLAGS);
    c
}

fn with_suppliers() -> Vec<String> {
    vec![
        "--suppliers".into(),
        fixture("suppliers.yaml").to_str().unwrap().to_string(),
    ]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(|s| s.as_str()).collect()
}

fn parse(bytes: &[u8]) -> Node {
    cbam::qreport::parse(Path::new("r.xml"), bytes).expect("the XML parses")
}

fn dec(n: &Node, path: &str) -> Decimal {
    Decimal::from_str(n.text_at(path).unwrap_or_else(|| panic!("{path}"))).unwrap()
}

fn json_dec(v: &serde_json::Value) -> Decimal {
    Decimal::from_str(&v.to_string()).unwrap()
}

#[test]
fn fixture_xml_snapshot() {
    let d = tmp();
    let (o, _, xml) = fixture_xml(d.path(), &strs(&with_suppliers()));
    assert_registry_refuses_only_default_values(&o);
    let text = String::from_utf8(xml).unwrap();
    insta::with_settings!({snapshot_path => "../../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("fixture_qreport_2025q4", text);
    });
}

#[test]
fn fixture_xml_without_suppliers_snapshot() {
    let d = tmp();
    let (o, _, xml) = fixture_xml(d.path(), &[]);
    assert_registry_refuses_only_default_values(&o);
    insta::with_settings!({snapshot_path => "../../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("fixture_qreport_2025q4_no_suppliers", String::from_utf8(xml).unwrap());
    });
}

/// Per good: the XML's quantities equal the JSON report's, and its emissions are the JSON's.
#[test]
fn xml_totals_equal_the_json_report() {
    let d = tmp();
    let (o, r, xml) = fixture_xml(d.path(), &strs(&with_suppliers()));
    assert_registry_refuses_only_default_values(&o);
    let root = parse(&xml);
    let goods: Vec<&Node> = root.all("ImportedGood").collect();
    let json_goods = r["goods_summary"]["goods"].as_array().unwrap();
    assert_eq!(
        goods.len(),
        json_goods.len(),
        "one ImportedGood per CN × origin"
    );
    let (mut sum_d, mut sum_i) = (Decimal::ZERO, Decimal::ZERO);
    for (g, j) in goods.iter().zip(json_goods) {
        let cn = g.text_at("CommodityCode/CnCode").unwrap();
        assert_eq!(cn, j["cn_code"].as_str().unwrap());
        assert_eq!(g.text_at("CommodityCode/HsCode").unwrap(), &cn[..6]);
        assert_eq!(g.text_at("OriginCountry/Country"), j["origin_iso"].as_str());
        // The XML states the exact mass (dec16-6); the JSON summary rounds it to 3 decimals
        // (half-even), and its lines carry it exactly.
        let mass = dec(g, "MeasureImported/NetMass");
        assert_eq!(mass.round_dp(3), json_dec(&j["total_mass_tonnes"]), "{cn}");
        let exact: Decimal = r["detailed_goods"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["cn_code"] == j["cn_code"] && l["origin_iso"] == j["origin_iso"])
            .map(|l| json_dec(&l["emissions_calculation"]["mass_tonnes"]))
            .sum();
        assert_eq!(mass, exact, "{cn}");
        assert_eq!(
            dec(g, "ImportedQuantity/MeasureProcedureImported/NetMass"),
            mass
        );
        let (mut produced, mut direct, mut indirect) =
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        let (mut reg_d, mut reg_i) = (Decimal::ZERO, Decimal::ZERO);
        for e in g.all("GoodsEmissions") {
            let m = dec(e, "ProducedMeasure/NetMass");
            produced += m;
            // What the registry computes: produced measure × specific embedded emissions.
            reg_d += m * dec(e, "DirectEmissions/SpecificEmbeddedEmissions");
            reg_i += m * dec(e, "IndirectEmissions/SpecificEmbeddedEmissions");
            // What cbam calculated (per shipment, rounded per line), stated in the remarks.
            let remark = e
                .all("RemarksEmissions")
                .find(|x| x.text_at("SequenceNumber") == Some("2"))
                .and_then(|x| x.text_at("AdditionalInformation"))
                .unwrap();
            let num = |key: &str| {
                let at = remark.find(key).unwrap() + key.len();
                Decimal::from_str(remark[at..].split(' ').next().unwrap()).unwrap()
            };
            direct += num("direct ");
            indirect += num("indirect ");
        }
        assert_eq!(produced, mass, "{cn}: produced = imported");
        assert_eq!(direct, json_dec(&j["direct_emissions_tco2"]), "{cn}");
        assert_eq!(indirect, json_dec(&j["indirect_emissions_tco2"]), "{cn}");
        // The registry's product differs from the sum of rounded lines by at most half a unit
        // of the line rounding (0.0005 t) per shipment.
        let n = Decimal::from(j["shipment_count"].as_u64().unwrap());
        let tol = Decimal::new(5, 4) * n;
        assert!((reg_d - direct).abs() <= tol, "{cn}: {reg_d} vs {direct}");
        assert!(
            (reg_i - indirect).abs() <= tol,
            "{cn}: {reg_i} vs {indirect}"
        );
        sum_d += direct;
        sum_i += indirect;
    }
    assert_eq!(
        sum_d.round_dp(2),
        json_dec(&r["emissions_summary"]["total_direct_emissions_tco2"])
    );
    assert_eq!(
        sum_i.round_dp(2),
        json_dec(&r["emissions_summary"]["total_indirect_emissions_tco2"])
    );
}

/// `cbam xml` from the report JSON writes the same bytes as `cbam report --xml`; so does a
/// second run, and a run on one thread.
#[test]
fn xml_from_json_and_reruns_give_identical_bytes() {
    let d = tmp();
    let sup = with_suppliers();
    let (_, _, first) = fixture_xml(d.path(), &strs(&sup));
    let mut c = xml_cmd(&d.path().join("r.json"), &d.path().join("from_json.xml"));
    c.args(&sup);
    let o = run(c);
    // Written, and refused by the registry's rules as the report's run said (XQ013).
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        std::fs::read(d.path().join("from_json.xml")).unwrap(),
        first
    );
    let d2 = tmp();
    let mut extra = strs(&sup);
    extra.extend(["--threads", "1"]);
    let (_, _, again) = fixture_xml(d2.path(), &extra);
    assert_eq!(again, first);
}

/// A value that does not fit its format is a finding naming the element and the value; no
/// file is written.
#[test]
fn format_violations_are_findings_and_nothing_is_written() {
    let d = tmp();
    fixture_xml(d.path(), &[]);
    let long = "N".repeat(71);
    let bad = d.path().join("bad.xml");
    let mut c = xml_cmd(&d.path().join("r.json"), &bad);
    c.args(["--importer-name", &long, "--declarant-role", "ROLE-01"]);
    let o = run(c);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(!bad.exists(), "no XML written");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("xml         NOT written: 2 finding(s)"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "error XQ003 QReport/Importer/Name: \"{long}\" has 71 characters; expected an..70"
        )),
        "{out}"
    );
    assert!(
        out.contains(
            "error XQ003 QReport/Declarant/Role: \"ROLE-01\" has 7 characters; expected an..5"
        ),
        "{out}"
    );
}

/// A customs procedure column splits goods by procedure and sets RequestedProc.
#[test]
fn customs_procedure_column_splits_goods() {
    let d = tmp();
    let csv = std::fs::read_to_string(fixture("shipments_2025q4.csv")).unwrap();
    let mut lines = csv.lines();
    let mut text = format!("{},customs_procedure\n", lines.next().unwrap());
    for (i, l) in lines.enumerate() {
        text.push_str(&format!("{l},{}\n", if i % 2 == 0 { "42" } else { "40" }));
    }
    let input = d.path().join("with_proc.csv");
    std::fs::write(&input, text).unwrap();
    let (o, r, xml) = fixture_xml_from(d.path(), &input, &[]);
    assert_registry_refuses_only_default_values(&o);
    let root = parse(&xml);
    let goods: std::collections::BTreeSet<(String, String, String)> = root
        .all("ImportedGood")
        .map(|g| {
            let t = |p: &str| g.text_at(p).unwrap().to_string();
            (
                t("CommodityCode/CnCode"),
                t("OriginCountry/Country"),
                t("ImportedQuantity/Procedure/RequestedProc"),
            )
        })
        .collect();
    let expected: std::collections::BTreeSet<(String, String, String)> = r["detailed_goods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let t = |k: &str| l[k].as_str().unwrap().to_string();
            (t("cn_code"), t("origin_iso"), t("customs_procedure"))
        })
        .collect();
    assert_eq!(
        goods, expected,
        "one ImportedGood per CN × origin × procedure"
    );
    assert_eq!(root.all("ImportedGood").count(), expected.len());
    assert!(expected.len() > r["goods_summary"]["goods"].as_array().unwrap().len());
}

#[test]
fn representative_is_written() {
    let d = tmp();
    let mut extra = REPRESENTATIVE.to_vec();
    extra.extend([
        "--declarant-eori",
        "NL987654321",
        "--importer-city",
        "Amsterdam",
    ]);
    let (o, _, xml) = fixture_xml(d.path(), &extra);
    assert_registry_refuses_only_default_values(&o);
    let root = parse(&xml);
    assert_eq!(
        root.text_at("Representative/IdentificationNumber"),
        Some("NL987654321")
    );
    assert_eq!(root.text_at("Declarant/Role"), Some("02"));
    assert_eq!(
        root.text_at("Importer/ImporterAddress/City"),
        Some("Amsterdam")
    );
}

#[test]
fn declarant_city_is_required_and_importer_city_when_declarant_differs() {
    let d = tmp();
    let out = d.path().join("r.json");
    let mut c = report_cmd(&fixture("shipments_2025q4.csv"), &out, &[]);
    c.arg("--xml").arg(d.path().join("r.xml"));
    let o = run(c);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--declarant-city"), "{}", stderr(&o));
    assert!(!out.exists(), "nothing written on a usage error");
    let mut c = report_cmd(&fixture("shipments_2025q4.csv"), &out, &XML_FLAGS);
    c.arg("--xml")
        .arg(d.path().join("r.xml"))
        .args(["--declarant-eori", "NL987654321"]);
    let o = run(c);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--importer-city"), "{}", stderr(&o));
}

/// The definitive period (2026+) has no QReport: a finding, no file.
#[test]
fn definitive_period_has_no_qreport() {
    let d = tmp();
    let csv = std::fs::read_to_string(fixture("shipments_2025q4.csv")).unwrap();
    let text: String = csv
        .lines()
        .take(4)
        .map(|l| {
            l.replace("2025Q4", "2026Q1")
                .replace("2025-10-", "2026-01-")
                + "\n"
        })
        .collect();
    let input = d.path().join("q1_2026.csv");
    std::fs::write(&input, text).unwrap();
    let (o, _, xml) = fixture_xml_from(d.path(), &input, &[]);
    assert_eq!(code(&o), 1);
    assert!(xml.is_empty());
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("error XQ020 QReport/ReportingPeriod: report quarter 2026Q1"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn xml_needs_detailed_goods() {
    let d = tmp();
    let out = d.path().join("r.json");
    let o = run(report_cmd(
        &fixture("shipments_2025q4.csv"),
        &out,
        &["--details", "none"],
    ));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run(xml_cmd(&out, &d.path().join("x.xml")));
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("detailed_goods: missing; the XML needs the per-shipment lines"),
        "{}",
        stderr(&o)
    );
    assert!(!d.path().join("x.xml").exists());
}

fn validate_xml(path: &Path) -> (Output, serde_json::Value) {
    let o = run({
        let mut c = cbam();
        c.arg("validate")
            .arg("--report")
            .arg(path)
            .args(["--format", "json"]);
        c
    });
    let v = serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null);
    (o, v)
}

fn findings(v: &serde_json::Value) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Our own XML passes the schema checks; what the registry's rules say about a Q4 2025
/// report on default values is listed (DeterminationType 02 after Q2 2024).
#[test]
fn validate_reads_our_xml() {
    let d = tmp();
    let (_, _, xml) = fixture_xml(d.path(), &strs(&with_suppliers()));
    let p = d.path().join("r.xml");
    std::fs::write(&p, &xml).unwrap();
    let (o, v) = validate_xml(&p);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let f = findings(&v);
    assert!(f.iter().all(|(c, _)| c == "XQ013"), "{f:?}");
    assert!(
        f.iter().all(|(_, p)| p.ends_with("/DeterminationType")),
        "{f:?}"
    );
    // 20 default-value groups × direct and indirect.
    assert_eq!(f.len(), 40, "{f:?}");
    assert_eq!(v["format"], "qreport-xml");
    let failed: Vec<&str> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "failed")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["XQ013"]);
    assert_eq!(v["rules"].as_array().unwrap().len(), 10);
}

/// A damaged QReport: missing Declarant, a 3-letter country, a 9-digit CN code — each a
/// finding naming the element path (and the line).
#[test]
fn validate_names_the_element_path_of_damage() {
    let d = tmp();
    let (_, _, xml) = fixture_xml(d.path(), &strs(&with_suppliers()));
    let text = String::from_utf8(xml).unwrap();
    let start = text.find("  <Declarant>").unwrap();
    let end = text.find("</Declarant>\n").unwrap() + "</Declarant>\n".len();
    let mut damaged = format!("{}{}", &text[..start], &text[end..]);
    damaged = damaged.replacen("<Country>TR</Country>", "<Country>TUR</Country>", 1);
    damaged = damaged.replacen("<CnCode>25231000</CnCode>", "<CnCode>252310000</CnCode>", 1);
    let p = d.path().join("damaged.xml");
    std::fs::write(&p, &damaged).unwrap();
    let (o, v) = validate_xml(&p);
    assert_eq!(code(&o), 1);
    let f = findings(&v);
    for want in [
        ("XQ001", "QReport/Declarant"),
        ("XQ003", "QReport/ImportedGood[1]/OriginCountry/Country"),
        ("XQ003", "QReport/ImportedGood[1]/CommodityCode/CnCode"),
    ] {
        assert!(
            f.contains(&(want.0.to_string(), want.1.to_string())),
            "{want:?} in {f:?}"
        );
    }
    let country = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["path"] == "QReport/ImportedGood[1]/OriginCountry/Country")
        .unwrap();
    assert_eq!(country["found"], "TUR");
    assert!(country["line"].as_u64().unwrap() > 1);
    // The table names them too.
    let o = run({
        let mut c = cbam();
        c.arg("validate").arg("--report").arg(&p);
        c
    });
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("error XQ001 line 2: QReport/Declarant: required element missing"),
        "{out}"
    );
    assert!(out.contains("QReport/ImportedGood[1]/CommodityCode/CnCode: \"252310000\" has 9 characters; expected an8"), "{out}");
}

#[test]
fn validate_not_well_formed_xml_is_unreadable_input() {
    let d = tmp();
    let p = d.path().join("broken.xml");
    std::fs::write(
        &p,
        "<?xml version=\"1.0\"?>\n<QReport xmlns=\"http://xmlns.ec.eu/BusinessObjects/CBAM/Types/V1\">\n  <Year>2025</Yr>\n</QReport>\n",
    )
    .unwrap();
    let (o, _) = validate_xml(&p);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("broken.xml: line 3: not well-formed XML"),
        "{}",
        stderr(&o)
    );
    std::fs::write(&p, "<Report xmlns=\"urn:other\"/>").unwrap();
    let (o, _) = validate_xml(&p);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("the root element is \"Report\", expected QReport"),
        "{}",
        stderr(&o)
    );
}

/// The Commission's sample is a 17.03 file: a clear version finding, not a flood.
#[cfg(feature = "shared-reference")]
#[test]
fn official_sample_gives_a_clear_version_error() {
    let p = root().join("../shared/reference/qreport/Sample_CBAM_Quarterly_Report_v17.xml");
    let (o, v) = validate_xml(&p);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let f = findings(&v);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "XQ004");
    assert!(v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == "not_run"));
    let msg = v["findings"][0]["message"].as_str().unwrap();
    assert!(msg.contains("older schema (17.03 or earlier)"), "{msg}");
    assert!(msg.contains("version 23.00 only"), "{msg}");
}

/// xmllint (libxml2-utils) validates every XML the fixtures produce against the official
/// XSD in ../shared. Needs xmllint: .ci/run installs it; without it this test fails, it
/// does not skip.
#[cfg(feature = "shared-reference")]
#[test]
fn xmllint_validates_every_fixture_xml_against_the_official_xsd() {
    let xsd = root().join("../shared/reference/qreport/QReport_ver23.00.xsd");
    let shared = |p: &str| root().join("../shared/reference").join(p);
    let d = tmp();
    let demo_sup = shared("greenlang/demo_suppliers.yaml");
    let cases: Vec<(&str, PathBuf, Vec<String>)> = vec![
        ("fixture", fixture("shipments_2025q4.csv"), with_suppliers()),
        (
            "fixture-no-suppliers",
            fixture("shipments_2025q4.csv"),
            vec![],
        ),
        (
            "fixture-installation",
            fixture("shipments_2025q4.csv"),
            vec![
                "--suppliers".into(),
                suppliers_with_installation(d.path())
                    .to_str()
                    .unwrap()
                    .into(),
            ],
        ),
        (
            "fixture-representative",
            fixture("shipments_2025q4.csv"),
            REPRESENTATIVE.map(String::from).to_vec(),
        ),
        (
            "fixture-xlsx",
            fixture("sheets/shipments_2025q4.xlsx"),
            with_suppliers(),
        ),
        (
            "fixture-json",
            fixture("sheets/shipments_2025q4.json"),
            with_suppliers(),
        ),
        ("fixture-pgdump", fixture("pgdump/greenlang.sql.gz"), vec![]),
        (
            "demo",
            shared("greenlang/demo_shipments.csv"),
            vec!["--suppliers".into(), demo_sup.to_str().unwrap().into()],
        ),
        (
            "demo-production-factors",
            shared("greenlang/demo_shipments.csv"),
            vec![
                "--suppliers".into(),
                demo_sup.to_str().unwrap().into(),
                "--rules".into(),
                root()
                    .join("rules/greenlang_compat.yaml")
                    .to_str()
                    .unwrap()
                    .into(),
                "--emission-factors".into(),
                fixture("greenlang/emission_factors.py")
                    .to_str()
                    .unwrap()
                    .into(),
            ],
        ),
    ];
    for (name, input, extra) in cases {
        let dir = d.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let (o, _, xml) = fixture_xml_from(&dir, &input, &strs(&extra));
        assert!(
            !xml.is_empty(),
            "{name}: no XML: {}",
            String::from_utf8_lossy(&o.stdout)
        );
        let lint = Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(&xsd)
            .arg(dir.join("r.xml"))
            .output()
            .expect("xmllint runs (Debian: apt-get install libxml2-utils; .ci/run installs it)");
        assert!(
            lint.status.success(),
            "{name}: xmllint: {}",
            String::from_utf8_lossy(&lint.stderr)
        );
        assert!(String::from_utf8_lossy(&lint.stderr).contains("validates"));
    }
}

/// The production system's report has no factor ids or sources: a clear refusal.
#[test]
fn xml_refuses_a_report_cbam_did_not_write() {
    let d = tmp();
    let o = run(xml_cmd(
        &fixture("greenlang/report_v1_2025q4.json"),
        &d.path().join("x.xml"),
    ));
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains(
            "provenance.factors_used: missing; `cbam xml` reads a report written by `cbam report`"
        ),
        "{}",
        stderr(&o)
    );
}

/// The fixture's supplier profiles with an `installation` for SUP-FX-01 (and its postal code
/// as a bare number), written into `dir`.
fn suppliers_with_installation(dir: &Path) -> PathBuf {
    let yaml = std::fs::read_to_string(fixture("suppliers.yaml"))
        .unwrap()
        .replace("postal_code: '37859'", "postal_code: 37859")
        .replacen(
            "    contact:\n",
            "    installation:\n      id: KR-PHG-HSM2\n      name: Pohang hot strip mill 2\n      city: Pohang\n      unlocode: KRKPO\n    contact:\n",
            1,
        );
    assert!(yaml.contains("postal_code: 37859") && yaml.contains("id: KR-PHG-HSM2"));
    let sup = dir.join("suppliers.yaml");
    std::fs::write(&sup, yaml).unwrap();
    sup
}

/// The operator and installation come from the supplier profile; a bare-number postal code reads.
#[test]
fn operator_and_installation_from_supplier_profile() {
    let d = tmp();
    let sup = suppliers_with_installation(d.path());
    let (o, _, xml) = fixture_xml(d.path(), &["--suppliers", sup.to_str().unwrap()]);
    assert_registry_refuses_only_default_values(&o);
    let root = parse(&xml);
    let op = root
        .all("ImportedGood")
        .flat_map(|g| g.all("GoodsEmissions"))
        .filter_map(|e| e.child("InstallationOperator"))
        .find(|op| op.text_at("OperatorId") == Some("SUP-FX-01"))
        .expect("SUP-FX-01's actual data has its operator");
    assert_eq!(op.text_at("OperatorAddress/Country"), Some("KR"));
    assert_eq!(op.text_at("OperatorAddress/City"), Some("Pohang"));
    assert_eq!(op.text_at("OperatorAddress/Postcode"), Some("37859"));
    assert_eq!(op.text_at("ContactDetails/Name"), Some("Kim Seo-yeon"));
    let em = root
        .all("ImportedGood")
        .flat_map(|g| g.all("GoodsEmissions"))
        .find(|e| e.text_at("InstallationOperator/OperatorId") == Some("SUP-FX-01"))
        .unwrap();
    assert_eq!(
        em.text_at("Installation/InstallationId"),
        Some("KR-PHG-HSM2")
    );
    assert_eq!(
        em.text_at("Installation/Address/EstablishmentCountry"),
        Some("KR")
    );
    assert_eq!(em.text_at("Installation/Address/UNLOCODE"), Some("KRKPO"));
    assert_eq!(em.text_at("ProductionCountry"), Some("KR"));
    // Other operators have no installation in their profile: none is written.
    assert_eq!(
        root.all("ImportedGood")
            .flat_map(|g| g.all("GoodsEmissions"))
            .filter(|e| e.child("Installation").is_some())
            .count(),
        1
    );
}

/// The declarant's role against the parties, and the installation against its operator and
/// the production country.
#[test]
fn validate_checks_role_and_installation() {
    let d = tmp();
    let sup = suppliers_with_installation(d.path());
    let (_, _, xml) = fixture_xml(d.path(), &["--suppliers", sup.to_str().unwrap()]);
    let mut text = String::from_utf8(xml).unwrap();
    text = text.replacen("<Role>01</Role>", "<Role>02</Role>", 1);
    text = text.replacen(
        "<EstablishmentCountry>KR</EstablishmentCountry>",
        "<EstablishmentCountry>JP</EstablishmentCountry>",
        1,
    );
    let inst = text.find("<Installation>").unwrap();
    let start = text[..inst].rfind("      <InstallationOperator>").unwrap();
    let end = text[..inst].rfind("</InstallationOperator>\n").unwrap()
        + "</InstallationOperator>\n".len();
    text.replace_range(start..end, "");
    let p = d.path().join("roles.xml");
    std::fs::write(&p, text).unwrap();
    let (o, v) = validate_xml(&p);
    assert_eq!(code(&o), 1);
    let f: Vec<(String, String)> = findings(&v)
        .into_iter()
        .filter(|(c, _)| c == "XQ018" || c == "XQ019")
        .collect();
    let ge = "QReport/ImportedGood[13]/GoodsEmissions[1]";
    assert_eq!(
        f,
        [
            ("XQ018".to_string(), "QReport/Declarant/Role".to_string()),
            ("XQ019".to_string(), format!("{ge}/ProductionCountry")),
            ("XQ019".to_string(), format!("{ge}/InstallationOperator")),
        ]
    );
}

/// `--xml` gives one verdict: the registry's rules run on the XML written, and their findings
/// are the report's (JSON, Markdown, stdout, exit code) — the same that `cbam validate` of the
/// XML gives afterwards.
#[test]
fn the_report_and_its_xml_have_one_verdict() {
    let d = tmp();
    let out = d.path().join("r.json");
    let xml = d.path().join("r.xml");
    let md = d.path().join("r.md");
    let mut c = report_cmd(&fixture("shipments_2025q4.csv"), &out, &XML_FLAGS);
    c.args(with_suppliers())
        .arg("--xml")
        .arg(&xml)
        .arg("--summary")
        .arg(&md);
    let o = run(c);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("valid for upload: no, 40 error(s), 0 warning(s)"),
        "{stdout}"
    );
    assert!(stdout.contains("… 35 more XQ013"), "{stdout}");
    let r = json(&out);
    let v = &r["validation_results"];
    assert_eq!(v["is_valid"], false);
    assert_eq!(v["error_count"], 40);
    assert_eq!(
        v["registry"],
        serde_json::json!({"file": "r.xml", "schema": "QReport 23.00", "written": true,
            "valid_for_upload": false, "error_count": 40, "warning_count": 0, "info_count": 0})
    );
    let in_report: std::collections::BTreeSet<(String, u64)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["file"], "r.xml");
            (
                f["code"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert!(
        markdown.contains(
            "| Registry XML | r.xml (QReport 23.00): valid for upload: no, 40 errors, 0 warnings |"
        ),
        "{markdown}"
    );
    // `cbam validate` of the written XML: the same findings, at the same lines.
    let (o, x) = validate_xml(&xml);
    assert_eq!(code(&o), 1);
    let by_validate: std::collections::BTreeSet<(String, u64)> = x["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(in_report, by_validate);

    // Q2 2024, when default values were still accepted: valid for upload, exit 0.
    let csv = std::fs::read_to_string(fixture("shipments_2025q4.csv")).unwrap();
    let q2 = csv
        .replace("2025-12-31", "2024-06-30")
        .replace("2025Q4", "2024Q2")
        .replace("2025-10-", "2024-04-")
        .replace("2025-11-", "2024-05-")
        .replace("2025-12-", "2024-06-");
    let input = d.path().join("q2_2024.csv");
    std::fs::write(&input, q2).unwrap();
    let mut c = report_cmd(&input, &out, &XML_FLAGS);
    c.args(with_suppliers()).arg("--xml").arg(&xml);
    let o = run(c);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stdout));
    assert!(String::from_utf8_lossy(&o.stdout).contains("valid for upload: yes"));
    assert_eq!(
        json(&out)["validation_results"]["registry"]["valid_for_upload"],
        true
    );
}
