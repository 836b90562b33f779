//! The embedded definitive default values against the all-origins transcription of the
//! corrected annex in ../shared/reference (feature `shared-reference`): the table row for row,
//! and shipments from origins beyond the 15 the table once had, every sector, 2026–2028,
//! calculated by `cbam` and by hand (annex value × mark-up) in this test.

use super::report::line;
use super::*;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

/// (origin, code) → (direct, indirect, total, route) as the transcription writes them.
type Annex = BTreeMap<(String, String), [String; 4]>;

fn all_origins() -> Annex {
    let p = root().join("../shared/reference/default_values_definitive_all_origins.csv");
    let mut rdr = csv::Reader::from_path(p).unwrap();
    let mut out = Annex::new();
    for rec in rdr.records() {
        let r = rec.unwrap();
        // Namibia is "NA": a string here, never a missing value.
        let origin = match &r[0] {
            "" => "*".to_string(),
            o => o.to_string(),
        };
        let v = [
            r[4].to_string(),
            r[5].to_string(),
            r[6].to_string(),
            r[7].to_string(),
        ];
        assert!(out.insert((origin, r[2].to_string()), v).is_none());
    }
    out
}

#[test]
fn the_embedded_table_is_the_corrected_annex_for_every_origin() {
    let annex = all_origins();
    let mut rdr =
        csv::Reader::from_path(root().join("data/default_values_definitive.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (o, c, d, i, t, route, src) = (
        col("origin_iso"),
        col("cn_code"),
        col("direct"),
        col("indirect"),
        col("total"),
        col("route_code"),
        col("source"),
    );
    let mut embedded = Annex::new();
    for rec in rdr.records() {
        let r = rec.unwrap();
        assert!(r[src].starts_with("IR (EU) 2025/2621"), "{:?}", &r[src]);
        let route: String = r[route]
            .chars()
            .filter(|c| *c != '(' && *c != ')')
            .collect();
        embedded.insert(
            (r[o].to_string(), r[c].to_string()),
            [r[d].to_string(), r[i].to_string(), r[t].to_string(), route],
        );
    }
    assert_eq!(embedded.len(), 12_540);
    let origins: BTreeSet<&str> = embedded.keys().map(|k| k.0.as_str()).collect();
    assert_eq!(origins.len(), 122, "121 countries and the fallback");
    assert!(origins.contains("NA"));
    assert_eq!(embedded, annex);
}

fn sector(code: &str) -> &'static str {
    match &code[..4] {
        "2507" | "2523" => "cement",
        "2804" => "hydrogen",
        "2808" | "2814" | "2834" | "3102" | "3105" => "fertilisers",
        c if c.starts_with("76") => "aluminium",
        _ => "iron_steel",
    }
}

fn markup(sector: &str, year: i32) -> Decimal {
    let pct = match (sector, year) {
        ("fertilisers", _) => 1,
        (_, 2026) => 10,
        (_, 2027) => 20,
        _ => 30,
    };
    Decimal::new(pct, 2)
}

/// An 8-digit CN code for an annex line: the line itself, or a 4/6-digit line padded with
/// zeros when no longer line of the annex starts the padded code (it then falls under it).
fn cn_for(line: &str, codes: &BTreeSet<&str>) -> Option<String> {
    if line.len() == 10 {
        return None;
    }
    let cn = format!("{line:0<8}");
    let longer = codes
        .iter()
        .any(|c| c.len() > line.len() && cn.starts_with(*c));
    (!longer).then_some(cn)
}

#[test]
fn shipments_from_origins_beyond_the_first_15_agree_with_annex_times_markup() {
    let annex = all_origins();
    let old: BTreeSet<&str> = [
        "*", "CN", "IN", "TR", "RU", "UA", "KR", "TW", "VN", "BR", "US", "GB", "EG", "ID", "ZA",
    ]
    .into();
    let codes: BTreeSet<&str> = annex.keys().map(|k| k.1.as_str()).collect();
    let origins: BTreeSet<&str> = annex
        .keys()
        .map(|k| k.0.as_str())
        .filter(|o| !old.contains(o))
        .collect();
    let fallback = |code: &str| annex.get(&("*".to_string(), code.to_string()));
    let sectors = [
        "cement",
        "fertilisers",
        "iron_steel",
        "aluminium",
        "hydrogen",
    ];
    // Per origin and sector: one line of the origin's table (rotating through them), else a
    // fallback line (the origin does not list the sector).
    let mut picks: Vec<(String, String, String)> = Vec::new(); // (origin, line, cn)
    for (k, o) in origins.iter().take(40).enumerate() {
        for s in sectors {
            let own: Vec<&str> = annex
                .keys()
                .filter(|(oo, c)| oo == o && sector(c) == s && cn_for(c, &codes).is_some())
                // A line with a value in the origin's table or in the fallback (headings such
                // as 7218 have none anywhere: no default value, CA006).
                .filter(|k| {
                    !annex[*k][2].is_empty() || fallback(&k.1).is_some_and(|v| !v[2].is_empty())
                })
                .map(|(_, c)| c.as_str())
                .collect();
            let pool: Vec<&str> = if own.is_empty() {
                codes
                    .iter()
                    .copied()
                    .filter(|c| sector(c) == s && cn_for(c, &codes).is_some())
                    .filter(|c| fallback(c).is_some_and(|v| !v[2].is_empty()))
                    .collect()
            } else {
                own
            };
            let line = pool[(k * 7) % pool.len()];
            picks.push((
                o.to_string(),
                line.to_string(),
                cn_for(line, &codes).unwrap(),
            ));
        }
    }
    assert!(picks.len() >= 30 * 5);
    let (mut own_value, mut empty_cell, mut not_listed) = (0, 0, 0);
    for year in [2026, 2027, 2028] {
        let d = tmp();
        let mut csv = String::from("shipment_id,import_date,quarter,cn_code,product_group,product_description,origin_iso,origin_country,importer_name,importer_country,net_mass_kg,port_of_entry,importer_reference,has_actual_emissions,supplier_id,notes\n");
        for (n, (o, _, cn)) in picks.iter().enumerate() {
            // Masses with three decimals of tonnes, different per row.
            let kg = 1000 + 137 * n;
            csv.push_str(&format!(
                "S{n},{year}-05-06,{year}Q2,{cn},,goods,{o},,Imp BV,NL,{kg},Rotterdam,R,NO,,\n"
            ));
        }
        let input = d.path().join("s.csv");
        std::fs::write(&input, csv).unwrap();
        let out = d.path().join("r.json");
        let o = run(report_cmd(&input, &out, &["--period", &year.to_string()]));
        assert!(matches!(code(&o), 0 | 1), "{}", stderr(&o));
        let r = json(&out);
        for (n, (o, l, _)) in picks.iter().enumerate() {
            let own = annex
                .get(&(o.clone(), l.clone()))
                .filter(|v| !v[2].is_empty());
            let (sheet, v) = match own {
                Some(v) => {
                    own_value += 1;
                    (o.as_str(), v)
                }
                None => {
                    if annex.contains_key(&(o.clone(), l.clone())) {
                        empty_cell += 1;
                    } else {
                        not_listed += 1;
                    }
                    ("*", fallback(l).unwrap())
                }
            };
            let s = sector(l);
            // Annex II goods count direct emissions only (2601 12 00 is not in Annex II).
            let annex_ii =
                matches!(s, "iron_steel" | "aluminium" | "hydrogen") && !l.starts_with("2601");
            let base = Decimal::from_str(if annex_ii { &v[0] } else { &v[2] }).unwrap();
            let mass = Decimal::new((1000 + 137 * n) as i64, 3);
            let want = (mass * base * (Decimal::ONE + markup(s, year)))
                .round_dp_with_strategy(3, RoundingStrategy::MidpointNearestEven);
            let c = &line(&r, &format!("S{n}"))["emissions_calculation"];
            assert_eq!(
                c["factor_id"],
                format!("EU-DDV:{sheet}:{l}"),
                "S{n} {o} {l} {year}"
            );
            assert_eq!(
                Decimal::from_str(&c["total_emissions_tco2"].to_string()).unwrap(),
                want,
                "S{n} {o} {l} {year}: {c}"
            );
        }
    }
    // Each case of the fallback rule occurs.
    assert!(
        own_value > 0 && empty_cell > 0 && not_listed > 0,
        "{own_value} {empty_cell} {not_listed}"
    );
}
