//! The definitive default values as the annex lays them out (IR (EU) 2025/2621 Annex I as
//! corrected by IR (EU) 2026/1740, Annex III): the fallback rule, TARIC lines, origins that are
//! not countries, the annex's zero, alloy-grade benchmarks and electricity in MWh. Every
//! expected figure is computed by hand from `data/` (the comments show the arithmetic).

use super::report::line;
use super::*;

/// The export's 16 columns plus `quantity_mwh` and `taric_code`.
const HEADER: &str = "shipment_id,import_date,quarter,cn_code,product_group,product_description,origin_iso,origin_country,importer_name,importer_country,net_mass_kg,port_of_entry,importer_reference,has_actual_emissions,supplier_id,notes,quantity_mwh,taric_code";

/// One row: (id, date, cn, origin, kg, supplier, MWh, TARIC code).
type Row<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
);

fn shipments(dir: &Path, rows: &[Row<'_>]) -> PathBuf {
    let mut s = format!("{HEADER}\n");
    for (id, date, cn, origin, kg, sup, mwh, taric) in rows {
        let q = (date[5..7].parse::<u8>().unwrap() - 1) / 3 + 1;
        let yes = if sup.is_empty() { "NO" } else { "YES" };
        s.push_str(&format!(
            "{id},{date},{}Q{q},{cn},,goods,{origin},,Imp BV,NL,{kg},Rotterdam,R,{yes},{sup},,{mwh},{taric}\n",
            &date[..4]
        ));
    }
    let p = dir.join("annex.csv");
    std::fs::write(&p, s).unwrap();
    p
}

fn report(dir: &Path, rows: &[Row<'_>], extra: &[&str]) -> (Output, serde_json::Value) {
    let input = shipments(dir, rows);
    let out = dir.join("annex.json");
    let o = run(report_cmd(&input, &out, extra));
    assert!(matches!(code(&o), 0 | 1), "{}", stderr(&o));
    (o, json(&out))
}

fn calc<'a>(r: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    &line(r, id)["emissions_calculation"]
}

fn total(r: &serde_json::Value, id: &str) -> String {
    calc(r, id)["total_emissions_tco2"].to_string()
}

/// Findings of one code: (message, line).
fn found(r: &serde_json::Value, code: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for k in ["errors", "warnings", "infos"] {
        for f in r["validation_results"][k].as_array().unwrap() {
            if f["code"] == code {
                out.push((
                    f["message"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap_or(0),
                ));
            }
        }
    }
    out
}

fn goods(r: &serde_json::Value) -> &Vec<serde_json::Value> {
    r["certificate_obligation"]["goods"].as_array().unwrap()
}

#[test]
fn the_fallback_applies_only_where_the_origin_has_no_value_for_the_line() {
    let d = tmp();
    let (_, r) = report(
        d.path(),
        &[
            // Kazakhstan's own table: 7318 11 00 direct 5.18 (Annex II: direct only) × 1.10.
            ("K-1", "2026-03-02", "73181100", "KZ", "1000", "", "", ""),
            // Oman's own hydrogen value, 10.82 (the fallback would give 17.74): 2 t × 10.82 × 1.1.
            ("O-1", "2026-03-02", "28041000", "OM", "2000", "", "", ""),
            // Taiwan lists 7218 10 00 with "–": the fallback row, 5.006 × 1.10 = 5.5066.
            ("T-1", "2026-03-02", "72181000", "TW", "1000", "", "", ""),
            // Egypt's table does not list 7208: the fallback row, 4.049 × 1.10 = 4.4539.
            ("E-1", "2026-03-02", "72081000", "EG", "1000", "", "", ""),
            // Fiji has no table at all: the fallback row again.
            ("F-1", "2026-03-02", "72081000", "FJ", "1000", "", "", ""),
        ],
        &[],
    );
    assert_eq!(calc(&r, "K-1")["factor_id"], "EU-DDV:KZ:73181100");
    assert_eq!(total(&r, "K-1"), "5.698");
    assert_eq!(calc(&r, "O-1")["factor_id"], "EU-DDV:OM:28041000");
    assert_eq!(total(&r, "O-1"), "23.804");
    assert_eq!(calc(&r, "T-1")["factor_id"], "EU-DDV:*:72181000");
    assert_eq!(total(&r, "T-1"), "5.507");
    let trail = |id: &str| calc(&r, id)["trail"].to_string();
    assert!(
        trail("T-1").contains(r#"the TW table gives no value (\"–\") for 72181000"#),
        "{}",
        trail("T-1")
    );
    assert_eq!(calc(&r, "E-1")["factor_id"], "EU-DDV:*:7208");
    assert_eq!(total(&r, "E-1"), "4.454");
    assert!(trail("E-1").contains("the EG table does not list 7208"));
    assert_eq!(calc(&r, "F-1")["factor_id"], "EU-DDV:*:7208");
    assert!(trail("F-1").contains("the annex has no table for origin FJ"));
    // Every figure of a fallback line comes from the fallback row: its route too.
    assert_eq!(
        calc(&r, "E-1")["emission_factor_total_tco2_per_ton"].to_string(),
        "4.049"
    );
}

#[test]
fn an_origin_that_is_not_a_country_is_rejected_not_given_the_fallback() {
    let d = tmp();
    let (o, r) = report(
        d.path(),
        &[
            ("X-1", "2026-03-02", "72081000", "XX", "1000", "", "", ""),
            ("X-2", "2026-03-02", "72081000", "EU", "1000", "", "", ""),
            ("X-3", "2026-03-02", "72081000", "OTHER", "1000", "", "", ""),
            ("K-1", "2026-03-02", "72081000", "XK", "1000", "", "", ""),
        ],
        &[],
    );
    assert_eq!(code(&o), 1);
    let rejected: Vec<u64> = r["validation_results"]["rejected_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["line"].as_u64().unwrap())
        .collect();
    assert_eq!(rejected, [2, 3, 4]);
    let f = found(&r, "IN009");
    assert_eq!(f.iter().map(|x| x.1).collect::<Vec<_>>(), [2, 3, 4]);
    assert!(
        f[0].0.contains("\"XX\" is not an ISO 3166-1 country"),
        "{f:?}"
    );
    // Kosovo (XK, as EU customs write it) has no table: the fallback, 4.049 × 1.1.
    assert_eq!(calc(&r, "K-1")["factor_id"], "EU-DDV:*:7208");
}

#[test]
fn the_annexs_zero_for_malian_hydrogen_is_used_with_a_warning() {
    let d = tmp();
    let (_, r) = report(
        d.path(),
        &[("M-1", "2027-05-02", "28041000", "ML", "3000", "", "", "")],
        &[],
    );
    assert_eq!(calc(&r, "M-1")["factor_id"], "EU-DDV:ML:28041000");
    assert_eq!(total(&r, "M-1"), "0.000");
    let f = found(&r, "DV005");
    assert_eq!(f.len(), 1);
    assert!(f[0].0.contains("0 for 28041000") && f[0].1 == 2, "{f:?}");
}

#[test]
fn calcined_clay_without_taric_code_takes_the_only_taric_line() {
    let d = tmp();
    // 2507 00 80 has only the line 2507 00 80 80 (calcined clay): China 0.32 total (cement:
    // direct + indirect) × 1.10 × 5 t = 1.760. No DV001: there was nothing to choose.
    let (o, r) = report(
        d.path(),
        &[("C-1", "2026-02-02", "25070080", "CN", "5000", "", "", "")],
        &[],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(calc(&r, "C-1")["factor_id"], "EU-DDV:CN:2507008080");
    assert_eq!(total(&r, "C-1"), "1.760");
    assert!(calc(&r, "C-1")["trail"]
        .to_string()
        .contains("only as TARIC line 2507008080"));
    assert!(found(&r, "DV001").is_empty() && found(&r, "CA006").is_empty());
}

#[test]
fn an_unknown_taric_code_warns_and_joins_the_residual_good() {
    let d = tmp();
    let (_, r) = report(
        d.path(),
        &[
            // Egypt 2523 10 00: white clinker …10 1.33, other clinker …90 1.27 (× 1.10).
            (
                "W-1",
                "2026-02-02",
                "25231000",
                "EG",
                "1000",
                "",
                "",
                "2523100010",
            ),
            (
                "U-1",
                "2026-02-02",
                "25231000",
                "EG",
                "1000",
                "",
                "",
                "2523100050",
            ),
            ("N-1", "2026-02-02", "25231000", "EG", "1000", "", "", ""),
        ],
        &[],
    );
    assert_eq!(calc(&r, "W-1")["factor_id"], "EU-DDV:EG:2523100010");
    assert_eq!(total(&r, "W-1"), "1.463");
    assert_eq!(calc(&r, "U-1")["factor_id"], "EU-DDV:EG:2523100090");
    assert_eq!(total(&r, "U-1"), "1.397");
    assert_eq!(total(&r, "N-1"), "1.397");
    let f = found(&r, "DV004");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].1, 3);
    assert!(f[0].0.contains("2523100050") && f[0].0.contains("line 2523100090 is used"));
    // One good for the residual line (the unknown code does not split it), one for white.
    let g: Vec<(String, u64)> = goods(&r)
        .iter()
        .map(|g| {
            (
                g["taric_code"].as_str().unwrap().to_string(),
                g["shipment_count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        g,
        [("2523100010".to_string(), 1), ("2523100090".to_string(), 2)]
    );
    // DV001 speaks of the one shipment that named no TARIC code.
    let dv001 = found(&r, "DV001");
    assert!(
        dv001.len() == 1 && dv001[0].0.starts_with("1 shipment(s)"),
        "{dv001:?}"
    );
}

#[test]
fn several_alloy_grades_take_the_highest_benchmark() {
    let d = tmp();
    // A default-value file whose 7205 21 00 row names no route: every alloy grade of the
    // benchmark table remains. Column B 2026-27: F 1.46, G 0.659, H 0.328, J 0.852 → 1.46.
    let dv = d.path().join("dv.csv");
    std::fs::write(
        &dv,
        "origin_iso,origin_country,cn_code,product_name,route_code,direct,indirect,total,source\n\
         CN,China,72052100,Alloy steel powders,,2.0,,2.0,test table\n",
    )
    .unwrap();
    let sup = d.path().join("sup.yaml");
    std::fs::write(
        &sup,
        "suppliers:\n  - supplier_id: SUP-A\n    cn_codes_produced: ['72241010']\n    actual_emissions_data:\n      direct_emissions_tco2_per_ton: 1.9\n      indirect_emissions_tco2_per_ton: 0.1\n      reporting_year: 2025\n",
    )
    .unwrap();
    let (_, r) = report(
        d.path(),
        &[
            ("P-1", "2026-02-02", "72052100", "CN", "60000", "", "", ""),
            (
                "A-1",
                "2026-02-02",
                "72241010",
                "CN",
                "40000",
                "SUP-A",
                "",
                "",
            ),
        ],
        &[
            "--default-values",
            dv.to_str().unwrap(),
            "--suppliers",
            sup.to_str().unwrap(),
        ],
    );
    let good = |cn: &str| {
        goods(&r)
            .iter()
            .find(|g| g["cn_code"] == cn)
            .unwrap()
            .clone()
    };
    // 60 t × 2.0 × 1.10 = 132.000; FAA 0.975 × 1.46 × 60 = 85.410; net 46.590.
    let p = good("72052100");
    assert_eq!(p["benchmark_tco2_per_tonne"].to_string(), "1.46");
    assert_eq!(p["free_allocation_adjustment_tco2"].to_string(), "85.410");
    assert_eq!(p["net_emissions_tco2"].to_string(), "46.590");
    assert!(p["benchmark_choice"]
        .as_str()
        .unwrap()
        .contains("point 5.1"));
    // Actual data, Column A of 7224 10 10: F 0.453, G 0.33, H 0.33, J 0.358 → 0.453.
    // 40 t × 1.9 = 76.000 (Annex II: direct only); FAA 0.975 × 0.453 × 40 = 17.667; net 58.333.
    let a = good("72241010");
    assert_eq!(a["benchmark_column"], "A");
    assert_eq!(a["benchmark_tco2_per_tonne"].to_string(), "0.453");
    assert_eq!(a["net_emissions_tco2"].to_string(), "58.333");
    assert_eq!(found(&r, "CO008").len(), 2);
    assert!(found(&r, "CO005").is_empty());
}

#[test]
fn electricity_is_calculated_from_mwh_and_refused_without_them() {
    let d = tmp();
    let (o, r) = report(
        d.path(),
        &[
            // Serbia, Annex III: 1.041 tCO2e/MWh × 1250 MWh = 1301.250 (no mark-up).
            ("E-1", "2026-02-02", "27160000", "RS", "", "", "1250", ""),
            // China has no Annex III value: the Union's 0.612 × 100 MWh = 61.200.
            ("E-2", "2026-02-02", "27160000", "CN", "", "", "100", ""),
            // Kilograms only: rejected, never converted.
            ("E-3", "2026-02-02", "27160000", "RS", "5000", "", "", ""),
            ("E-4", "2026-02-02", "27160000", "RS", "", "", "-3", ""),
        ],
        &[],
    );
    assert_eq!(code(&o), 1);
    assert_eq!(calc(&r, "E-1")["factor_id"], "EU-DDV-EL:RS");
    assert_eq!(total(&r, "E-1"), "1301.250");
    assert_eq!(calc(&r, "E-1")["mass_tonnes"].to_string(), "0");
    assert_eq!(calc(&r, "E-2")["factor_id"], "EU-DDV-EL:*");
    assert_eq!(total(&r, "E-2"), "61.200");
    let f = found(&r, "DV006");
    assert_eq!(f.iter().map(|x| x.1).collect::<Vec<_>>(), [4, 5]);
    assert!(f[0].0.contains("add a column quantity_mwh"), "{f:?}");
    // No free allocation for electricity; the report validates (VAL-004 skips it).
    for g in goods(&r) {
        assert_eq!(g["free_allocation_adjustment_tco2"].to_string(), "0.000");
    }
    let out = d.path().join("annex.json");
    let v = run({
        let mut c = cbam();
        c.args(["validate", "--report"]).arg(&out);
        c
    });
    assert_eq!(code(&v), 0, "{}", String::from_utf8_lossy(&v.stdout));
}
