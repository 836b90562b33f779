//! Properties of the arithmetic over generated shipment files (in-process, many cases).

use cbam::assemble::Importer;
use cbam::pipeline::{build_report, ReportRequest};
use cbam::reference::ReferencePaths;
use proptest::prelude::*;
use rust_decimal::Decimal;

const CODES: [&str; 8] = [
    "72081000", "25232900", "76011000", "28141000", "31021000", "73181500", "28041000", "72044900",
];

fn request(input: std::path::PathBuf) -> ReportRequest {
    ReportRequest {
        input,
        input_options: Default::default(),
        reference: ReferencePaths::default(),
        importer: Importer {
            name: "I".into(),
            country: "NL".into(),
            eori: "NL1".into(),
            declarant_name: "D".into(),
            declarant_position: "P".into(),
        },
        quarter: None,
        year: None,
        generated_at: "2026-01-01T00:00:00Z".into(),
        details: true,
        keep_lines: true,
        chunk_bytes: None,
    }
}

fn csv(rows: &[(usize, u64, u32)]) -> String {
    let mut s = cbam::model::SHIPMENT_COLUMNS.join(",");
    s.push('\n');
    for (i, (code, kg, grams)) in rows.iter().enumerate() {
        s.push_str(&format!(
            "S-{i:05},2025-11-0{},2025Q4,{},,,CN,,,NL,{kg}.{grams:03},,,NO,,\n",
            1 + i % 9,
            CODES[*code]
        ));
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn totals_equal_sums_of_lines_and_order_does_not_matter(
        rows in proptest::collection::vec((0usize..CODES.len(), 0u64..5_000_000, 0u32..1000), 1..60),
        rotate in 0usize..60,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        std::fs::write(&a, csv(&rows)).unwrap();
        let ra = build_report(&request(a)).unwrap();

        let mut sd = Decimal::ZERO; let mut si = Decimal::ZERO; let mut st = Decimal::ZERO;
        for l in ra.lines() {
            prop_assert_eq!(l.direct + l.indirect, l.total);
            prop_assert!(l.direct.scale() == 3 && l.indirect.scale() == 3);
            sd += l.direct; si += l.indirect; st += l.total;
        }
        let es = &ra.emissions_summary;
        prop_assert_eq!(es.exact_sums.total_emissions_tco2, st);
        prop_assert_eq!(es.total_embedded_emissions_tco2, st.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointNearestEven));
        prop_assert_eq!(es.total_direct_emissions_tco2, sd.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointNearestEven));
        prop_assert_eq!(es.total_indirect_emissions_tco2, si.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointNearestEven));
        let g = &ra.goods_summary.rows;
        prop_assert_eq!(g.read, rows.len() as u64);
        prop_assert_eq!(g.read, g.calculated + g.rejected + g.out_of_scope);

        // The same rows in another order: identical summaries.
        let mut rotated = rows.clone();
        let k = rotate % rotated.len();
        rotated.rotate_left(k);
        // Keep ids with their rows: regenerate ids from the original positions.
        let mut text = cbam::model::SHIPMENT_COLUMNS.join(",");
        text.push('\n');
        let original = csv(&rows);
        let mut body: Vec<&str> = original.lines().skip(1).collect();
        body.rotate_left(k);
        text.push_str(&body.join("\n"));
        text.push('\n');
        let b = dir.path().join("b.csv");
        std::fs::write(&b, text).unwrap();
        let rb = build_report(&request(b)).unwrap();
        prop_assert_eq!(serde_json::to_value(&ra.emissions_summary).unwrap(), serde_json::to_value(&rb.emissions_summary).unwrap());
        prop_assert_eq!(serde_json::to_value(&ra.goods_summary.goods).unwrap(), serde_json::to_value(&rb.goods_summary.goods).unwrap());
    }

    /// Cutting the file into chunks of any size (even one record each) gives the same bytes.
    #[test]
    fn chunking_does_not_change_the_report(
        rows in proptest::collection::vec((0usize..CODES.len(), 0u64..5_000_000, 0u32..1000), 1..80),
        dup in proptest::option::of(0usize..80),
        chunk in 1usize..2000,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut text = csv(&rows);
        if let Some(d) = dup {
            // Repeat one row (same id) at the end: both copies must be rejected however chunked.
            let line = text.lines().nth(1 + d % rows.len()).unwrap().to_string();
            text.push_str(&line);
            text.push('\n');
        }
        let p = dir.path().join("c.csv");
        std::fs::write(&p, text).unwrap();
        let whole = build_report(&request(p.clone())).unwrap();
        let mut req = request(p);
        req.chunk_bytes = Some(chunk);
        let cut = build_report(&req).unwrap();
        let a = serde_json::to_string(&whole).unwrap();
        let b = serde_json::to_string(&cut).unwrap();
        prop_assert_eq!(a, b);
        if dup.is_some() {
            prop_assert!(whole.validation_results.errors.iter().filter(|f| f.code == "IN010").count() >= 2);
        }
    }

    #[test]
    fn rounding_half_even_never_moves_more_than_half_a_unit(kg in 0u64..10_000_000, g in 0u32..1000, f in 1u32..20000) {
        let mass = Decimal::new(kg as i64 * 1000 + g as i64, 3) / Decimal::ONE_THOUSAND;
        let factor = Decimal::new(f as i64, 3);
        let exact = mass * factor;
        let r = cbam::reference::policy::fixed(exact, 3, cbam::reference::RoundingMode::HalfEven);
        prop_assert!((r - exact).abs() <= Decimal::new(5, 4));
        prop_assert_eq!(r.scale(), 3);
    }
}

/// The parallel JSON writer: the same JSON as serde_json's, summary sections pretty-printed,
/// one `detailed_goods` entry per line.
#[test]
fn parallel_json_writer_matches_serde_json() {
    for details in [true, false] {
        let mut req = request(crate::fixture("shipments_2025q4.csv"));
        req.details = details;
        req.reference.suppliers = Some(crate::fixture("suppliers.yaml"));
        let report = build_report(&req).unwrap();
        let mut ours = Vec::new();
        cbam::write::report_json(&report, &mut ours).unwrap();
        let text = String::from_utf8(ours).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, serde_json::to_value(&report).unwrap());
        let entry_lines = text
            .lines()
            .filter(|l| l.starts_with("    {\"shipment_id\":"))
            .count();
        assert_eq!(entry_lines, if details { 23 } else { 0 });
        if !details {
            let mut expected = serde_json::to_vec_pretty(&report).unwrap();
            expected.push(b'\n');
            assert_eq!(text.as_bytes(), &expected[..]);
        } else {
            // Everything outside detailed_goods is serde_json's pretty form.
            assert!(text.starts_with("{\n  \"report_metadata\": {\n"));
            assert!(text.contains("\n  ],\n  \"emissions_summary\": {\n"));
        }
    }
}
