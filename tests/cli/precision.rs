//! Regression: decimal text that f64 would corrupt stays exact end to end (rust-notes §3).

use super::*;

const HARD: [&str; 3] = ["1.0000000000000000001", "987.6543210987654321", "7.90"];

fn factor_texts(r: &serde_json::Value) -> Vec<String> {
    r["provenance"]["factors_used"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["direct_tco2_per_tonne"].to_string())
        .collect()
}

fn one_row_csv(dir: &Path, cn: &str, mass: &str) -> PathBuf {
    let header = std::fs::read_to_string(fixture("shipments_2025q4.csv"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let p = dir.join(format!("one-{cn}.csv"));
    std::fs::write(
        &p,
        format!(
            "{header}\nP-1,2025-10-02,2025Q4,{cn},steel,x,CN,China,Imp,NL,{mass},P,R,YES,SUP-P,\n"
        ),
    )
    .unwrap();
    p
}

#[test]
fn factor_file_csv_keeps_every_digit() {
    let d = tmp();
    let f = d.path().join("f.csv");
    std::fs::write(
        &f,
        format!(
            "cn_code,direct,indirect,source\n72081000,{},0,a\n72091500,{},0,b\n72101100,{},0,c\n",
            HARD[0], HARD[1], HARD[2]
        ),
    )
    .unwrap();
    for (cn, text) in [
        ("72081000", HARD[0]),
        ("72091500", HARD[1]),
        ("72101100", HARD[2]),
    ] {
        let out = d.path().join("r.json");
        let input = one_row_csv(d.path(), cn, "1000");
        let o = run(report_cmd(
            &input,
            &out,
            &["--emission-factors", f.to_str().unwrap()],
        ));
        assert!(code(&o) <= 1, "{}", stderr(&o));
        let raw = std::fs::read_to_string(&out).unwrap();
        let r: serde_json::Value = serde_json::from_str(&raw).unwrap();
        assert_eq!(factor_texts(&r), vec![text.to_string()]);
        assert!(
            raw.contains(&format!("\"emission_factor_direct_tco2_per_ton\":{text}")),
            "exact text in the JSON"
        );
    }
}

#[test]
fn supplier_yaml_numbers_are_read_as_text() {
    let d = tmp();
    let s = d.path().join("s.yaml");
    std::fs::write(
        &s,
        format!(
            "suppliers:\n  - supplier_id: SUP-P\n    cn_codes_produced: ['72081000']\n    actual_emissions_data:\n      direct_emissions_tco2_per_ton: {}\n      indirect_emissions_tco2_per_ton: {}\n      reporting_year: 2025\n",
            HARD[1], HARD[2]
        ),
    )
    .unwrap();
    let out = d.path().join("r.json");
    // 1 kg = 0.001 t: 987.6543210987654321 × 0.001 = 0.9876543210987654321 → 0.988 (3 dp)
    let o = run(report_cmd(
        &one_row_csv(d.path(), "72081000", "1"),
        &out,
        &["--suppliers", s.to_str().unwrap()],
    ));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let raw = std::fs::read_to_string(&out).unwrap();
    assert!(
        raw.contains("\"emission_factor_direct_tco2_per_ton\":987.6543210987654321"),
        "{raw}"
    );
    assert!(raw.contains("\"direct_emissions_tco2\":0.988"));
    assert!(
        raw.contains("\"emission_factor_indirect_tco2_per_ton\":7.90"),
        "scale kept"
    );
    assert!(raw.contains("\"indirect_emissions_tco2\":0.008"));
}

#[test]
fn python_factor_file_numbers_are_exact() {
    let d = tmp();
    let f = d.path().join("emission_factors.py");
    std::fs::write(
        &f,
        format!(
            "X = {{\n    'a': {{'cn_codes': ['72081000'], 'default_direct_tco2_per_ton': {}, 'default_indirect_tco2_per_ton': {}, 'source': 's'}},\n}}\n",
            HARD[0], HARD[2]
        ),
    )
    .unwrap();
    let out = d.path().join("r.json");
    let o = run(report_cmd(
        &one_row_csv(d.path(), "72081000", "1000"),
        &out,
        &["--emission-factors", f.to_str().unwrap()],
    ));
    assert!(code(&o) <= 1, "{}", stderr(&o));
    let r = json(&out);
    assert_eq!(factor_texts(&r), vec![HARD[0].to_string()]);
    assert_eq!(
        r["provenance"]["factors_used"][0]["total_tco2_per_tonne"].to_string(),
        "8.9000000000000000001"
    );
}

#[test]
fn mass_text_is_exact() {
    // 0.1 + 0.2 style: masses whose binary float sum is not exact.
    let d = tmp();
    let header = std::fs::read_to_string(fixture("shipments_2025q4.csv"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let p = d.path().join("m.csv");
    std::fs::write(
        &p,
        format!(
            "{header}\nM-1,2025-10-02,2025Q4,25232900,cement,x,CN,China,Imp,NL,100,P,R,NO,,\nM-2,2025-10-02,2025Q4,25232900,cement,x,CN,China,Imp,NL,200,P,R,NO,,\n"
        ),
    )
    .unwrap();
    let out = d.path().join("r.json");
    let _ = run(report_cmd(&p, &out, &[]));
    let raw = std::fs::read_to_string(&out).unwrap();
    assert!(
        raw.contains("\"total_mass_tonnes\": 0.300"),
        "0.1 t + 0.2 t = 0.300 t exactly"
    );
}
