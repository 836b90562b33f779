//! Properties of the arithmetic over generated shipment files (in-process, many cases).

use cbam::pipeline::{build_report, ReportRequest};
use cbam::reference::ReferencePaths;
use cbam::report::Importer;
use proptest::prelude::*;
use rust_decimal::Decimal;

const CODES: [&str; 8] = [
    "72081000", "25232900", "76011000", "28141000", "31021000", "73181500", "28041000", "72044900",
];

fn request(input: std::path::PathBuf) -> ReportRequest {
    ReportRequest {
        input,
        more_inputs: Vec::new(),
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
        spill_budget: None,
        registry_xml: None,
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
        for l in &ra.lines().unwrap().read_all().unwrap() {
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
            prop_assert!(whole.validation_results.errors.iter().filter(|f| f.as_ref().unwrap().code == "IN010").count() >= 2);
        }
    }

    /// Spilling the findings, rejected rows and lines to disk at any budget, with any chunk
    /// size and thread count, writes the same report and summary bytes as holding them all.
    #[test]
    fn spill_budget_chunks_and_threads_do_not_change_the_bytes(
        rows in proptest::collection::vec((0usize..CODES.len(), 0u64..5_000_000, 0u32..1000), 1..60),
        bad in proptest::collection::vec((0usize..60, 0usize..4), 0..30),
        chunk in 1usize..3000,
        budget in 1usize..6000,
        threads in 1usize..4,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut lines: Vec<String> = csv(&rows).lines().map(String::from).collect();
        for (at, kind) in &bad {
            // An empty row, a bad date, a bad mass, a repeated id: findings and rejected rows.
            let row = match kind {
                0 => ",".repeat(15),
                1 => format!("B-{at},2025-13-40,2025Q4,72081000,,,CN,,,NL,5,,,NO,,"),
                2 => format!("B-{at},2025-11-01,2025Q4,72081000,,,CN,,,NL,five,,,NO,,"),
                _ => lines[1].clone(),
            };
            let pos = 1 + at % lines.len();
            lines.insert(pos.min(lines.len()), row);
        }
        let p = dir.path().join("s.csv");
        std::fs::write(&p, lines.join("\n") + "\n").unwrap();
        let render = |r: &cbam::report::Report| {
            let mut json = Vec::new();
            cbam::write::report_json(r, &mut json).unwrap();
            (json, cbam::write::summary_markdown(r).unwrap())
        };
        let held = render(&build_report(&request(p.clone())).unwrap());
        let mut req = request(p);
        req.chunk_bytes = Some(chunk);
        req.spill_budget = Some(budget);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let spilled = pool.install(|| render(&build_report(&req).unwrap()));
        prop_assert!(held.0 == spilled.0, "report JSON differs");
        prop_assert_eq!(held.1, spilled.1);
    }

    /// The line rules run inside the chunk pass give exactly what they give run afterwards
    /// over the stored lines (`validate_report`, the path taken when a rule reads `_row`):
    /// the same findings at the same `detailed_goods[i]`, the same per-rule verdicts — with
    /// rules that fire on many lines (a range, a pattern, `unique` values repeated across
    /// chunks and files, a sum that does not hold), lines of several quarters, two input
    /// files, any chunk size, spill budget and thread count.
    #[test]
    fn line_rules_in_the_chunk_pass_equal_the_rules_over_the_stored_lines(
        rows in proptest::collection::vec(
            (0usize..CODES.len(), 0u64..5_000_000, 0u32..1000, 0usize..3, 0usize..4), 1..50),
        second in proptest::option::of(1usize..30),
        year in any::<bool>(),
        chunk in 1usize..3000,
        budget in 1usize..4000,
        threads in 1usize..4,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let origins = ["CN", "IN", "TR"];
        let dates = ["2025-11-03", "2025-10-01", "2025-12-31", "2025-11-20"];
        let file = |rows: &[(usize, u64, u32, usize, usize)], tag: &str| {
            let mut s = cbam::model::SHIPMENT_COLUMNS.join(",");
            s.push('\n');
            for (i, (code, kg, grams, o, d)) in rows.iter().enumerate() {
                // (With `--year` a report holds lines of several quarters.)
                let (date, quarter) = match *d {
                    3 if year && i % 2 == 0 => ("2025-07-15", "2025Q3"),
                    _ => (dates[*d], "2025Q4"),
                };
                s.push_str(&format!(
                    "{tag}-{i:05},{date},{quarter},{},,,{},,,NL,{kg}.{grams:03},,,NO,,\n",
                    CODES[*code], origins[*o]
                ));
            }
            s
        };
        let rules = dir.path().join("rules.yaml");
        let mut text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/cbam_rules.yaml"),
        ).unwrap();
        text.push_str(r#"
  - {id: T-mass, name: t, severity: warning, regulation: t, check: range, path: "detailed_goods[].net_mass_kg", max: 2000000}
  - {id: T-cn, name: t, severity: info, regulation: t, check: pattern, path: "detailed_goods[].cn_code", pattern: "^72"}
  - {id: T-cn-once, name: t, severity: warning, regulation: t, check: unique, path: "detailed_goods[].cn_code"}
  - {id: T-origin-once, name: t, severity: error, regulation: t, check: unique, path: "detailed_goods[].origin_iso"}
  - {id: T-sum, name: t, severity: error, regulation: t, check: sum_equals, path: goods_summary.total_mass_tonnes, sum_of: "detailed_goods[].net_mass_kg", tolerance: 0}
"#);
        std::fs::write(&rules, text).unwrap();
        let a = dir.path().join("a.csv");
        std::fs::write(&a, file(&rows, "A")).unwrap();
        let mut req = request(a);
        if let Some(n) = second {
            let b = dir.path().join("b.csv");
            std::fs::write(&b, file(&rows[..n.min(rows.len())], "B")).unwrap();
            req.more_inputs.push(b);
        }
        req.reference.rules = Some(rules);
        req.chunk_bytes = Some(chunk);
        req.spill_budget = Some(budget);
        req.year = year.then_some(2025);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let report = pool.install(|| build_report(&req).unwrap());

        let refdata = cbam::reference::ReferenceData::load(&req.reference).unwrap();
        let schema = cbam::validate::schema::ReportSchema::embedded().unwrap();
        let ctx = cbam::validate::Context { scope: &refdata.scope, suppliers: None, schema: Some(&schema) };
        let after = cbam::validate::validate_report(&report, &refdata.rules, &ctx).unwrap();
        let vr = &report.validation_results;
        prop_assert_eq!(
            serde_json::to_string(&vr.rules_checked).unwrap(),
            serde_json::to_string(&after.rules).unwrap()
        );
        let ids: std::collections::BTreeSet<&str> = after.rules.iter().map(|r| r.id.as_str()).collect();
        let mut inline: Vec<String> = Vec::new();
        for list in [&vr.errors, &vr.warnings, &vr.infos] {
            for f in list.iter() {
                let f = f.unwrap();
                if ids.contains(f.code.as_ref()) {
                    inline.push(serde_json::to_string(&f).unwrap());
                }
            }
        }
        let mut stored: Vec<String> = cbam::validate::rule_findings(after.findings)
            .iter()
            .map(|f| serde_json::to_string(f).unwrap())
            .collect();
        inline.sort();
        stored.sort();
        if rows.len() > 8 {
            // (Not a vacuous equality: with more lines than CN codes some code repeats.)
            prop_assert!(stored.iter().any(|f| f.contains("T-cn-once")));
        }
        prop_assert_eq!(inline, stored);
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

/// A value as PostgreSQL's COPY text format writes it (`\N` for NULL), with some characters
/// written as octal or hex escapes the way other writers may (`pick` decides which).
fn copy_text(v: &Option<String>, pick: u8) -> String {
    let Some(v) = v else {
        return "\\N".into();
    };
    let mut out = String::new();
    for (i, c) in v.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_ascii_alphanumeric() && (pick as usize + i).is_multiple_of(7) => {
                out.push_str(&format!("\\{:o}", c as u32))
            }
            c if c.is_ascii_alphanumeric() && (pick as usize + i) % 7 == 1 => {
                out.push_str(&format!("\\x{:x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// The same value as an SQL literal for `INSERT … VALUES` (standard_conforming_strings on).
fn sql_literal(v: &Option<String>) -> String {
    match v {
        None => "NULL".into(),
        Some(s) => format!("'{}'", s.replace('\'', "''")),
    }
}

fn dump_text(rows: &[Vec<Option<String>>], inserts: bool, pick: u8) -> String {
    let mut d = String::from(
        "-- PostgreSQL database dump\n\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n\n\
         CREATE TABLE public.t (\n    a text,\n    b text,\n    c text\n);\n\n",
    );
    if inserts {
        for r in rows {
            let vals: Vec<String> = r.iter().map(sql_literal).collect();
            d.push_str(&format!(
                "INSERT INTO public.t VALUES ({});\n",
                vals.join(", ")
            ));
        }
    } else {
        d.push_str("COPY public.t (a, b, c) FROM stdin;\n");
        for r in rows {
            let vals: Vec<String> = r.iter().map(|v| copy_text(v, pick)).collect();
            d.push_str(&vals.join("\t"));
            d.push('\n');
        }
        d.push_str("\\.\n");
    }
    d.push_str("\n--\n-- PostgreSQL database dump complete\n--\n\n");
    d
}

fn value() -> impl Strategy<Value = Option<String>> {
    proptest::option::weighted(
        0.85,
        proptest::string::string_regex(
            "([a-zA-Z0-9 ,;'\"|.]|\\\\|\\t|\\n|\\r|é|中|🏭|\\\\N|\\\\\\.){0,12}",
        )
        .unwrap(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Whatever the values — quotes, delimiters, tabs, newlines, backslashes, COPY's own
    /// markers as data, unicode, NULL beside empty text — the export holds them exactly, and
    /// COPY and INSERT dumps of the same rows export to the same bytes.
    #[test]
    fn dump_values_export_exactly(
        rows in proptest::collection::vec(proptest::collection::vec(value(), 3), 1..20),
        pick in 0u8..7,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut exported = Vec::new();
        for inserts in [false, true] {
            let dump = dir.path().join(format!("d{inserts}.sql"));
            std::fs::write(&dump, dump_text(&rows, inserts, pick)).unwrap();
            let out = dir.path().join(format!("d{inserts}.csv"));
            let e = cbam::intake::convert::export_database_backup(&dump, "t", &out, false, Default::default())
                .unwrap();
            prop_assert_eq!(e.rows, rows.len() as u64);
            let text = std::fs::read_to_string(&out).unwrap();
            let got = crate::pg_csv(&text);
            prop_assert_eq!(&got[1..], &rows[..]);
            exported.push(text);
        }
        prop_assert_eq!(&exported[0], &exported[1]);
    }

    /// A dump cut anywhere, or with any byte changed, is read to a verdict — a summary or a
    /// typed error — and never a panic.
    #[test]
    fn damaged_dumps_never_panic(
        rows in proptest::collection::vec(proptest::collection::vec(value(), 3), 1..8),
        inserts in any::<bool>(),
        cut in any::<proptest::sample::Index>(),
        flip in any::<proptest::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut d = dump_text(&rows, inserts, 0).into_bytes();
        let at = flip.index(d.len());
        d[at] = byte;
        d.truncate(cut.index(d.len() + 1));
        for gz in [false, true] {
            let p = dir.path().join(if gz { "d.sql.gz" } else { "d.sql" });
            let bytes = if gz {
                let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                std::io::Write::write_all(&mut enc, &d).unwrap();
                let mut z = enc.finish().unwrap();
                let n = cut.index(z.len() + 1);
                z.truncate(n.max(2));
                z
            } else {
                d.clone()
            };
            std::fs::write(&p, bytes).unwrap();
            let _ = cbam::formats::pgdump::read_dump(&p, &mut cbam::formats::pgdump::CountOnly);
            let _ = cbam::backup::verify_backup(&p);
        }
    }
}

/// Whether the rule view of a line (`validate::typed`) answers every key of its JSON entry
/// with the value the entry holds (`path` names the place for the failure message).
fn view_agrees<'a, N: cbam::formats::jsonpath::Node<'a>>(
    node: Option<N>,
    json: &serde_json::Value,
    path: &str,
) -> Result<(), String> {
    use serde_json::Value;
    let missing = || format!("{path}: the rule view has no value, the JSON has {json}");
    match json {
        Value::Null => match node {
            None => Ok(()),
            Some(n) if n.is_null() => Ok(()),
            Some(n) => Err(format!("{path}: JSON null, rule view {:?}", n.text())),
        },
        Value::Object(m) => {
            let n = node.ok_or_else(missing)?;
            for (k, v) in m {
                view_agrees(n.child(k), v, &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        Value::Array(items) => {
            let n = node.ok_or_else(missing)?;
            if n.array_len() != Some(items.len()) {
                return Err(format!(
                    "{path}: {} elements, rule view {:?}",
                    items.len(),
                    n.array_len()
                ));
            }
            for (i, v) in items.iter().enumerate() {
                view_agrees(n.element(i), v, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        Value::String(s) => match node.and_then(|n| n.as_str()) {
            Some(t) if t == s => Ok(()),
            other => Err(format!("{path}: JSON {s:?}, rule view {other:?}")),
        },
        Value::Number(x) => {
            let want = Decimal::from_str_exact(&x.to_string()).ok();
            match node.and_then(|n| n.decimal()) {
                Some(d) if Some(d) == want => Ok(()),
                other => Err(format!("{path}: JSON {x}, rule view {other:?}")),
            }
        }
        Value::Bool(b) => match node.and_then(|n| n.text()) {
            Some(t) if t == b.to_string() => Ok(()),
            other => Err(format!("{path}: JSON {b}, rule view {other:?}")),
        },
    }
}

/// Generated shipments (both periods, any origin of a few, masses with grams, extra columns
/// with awkward values) through the pipeline; each line's three encodings must agree.
fn encodings_csv(rows: &[(usize, u64, u32, u8, String)]) -> String {
    let mut s = cbam::model::SHIPMENT_COLUMNS.join(",");
    s.push_str(",taric_code,remark\n");
    let origins = ["CN", "IN", "TR", "KZ", "FJ", "OM"];
    for (i, (code, kg, grams, pick, remark)) in rows.iter().enumerate() {
        let (date, q) = if pick % 2 == 0 {
            ("2025-11-03", "2025Q4")
        } else {
            ("2026-02-03", "2026Q1")
        };
        let origin = origins[*pick as usize % origins.len()];
        let taric = if CODES[*code] == "25232900" && pick % 3 == 0 {
            "2523290000"
        } else {
            ""
        };
        let quoted = format!("\"{}\"", remark.replace('"', "\"\""));
        s.push_str(&format!(
            "S-{i:05},{date},{q},{},,,{origin},,,NL,{kg}.{grams:03},,,NO,,,{taric},{quoted}\n",
            CODES[*code]
        ));
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// The shape of one `detailed_goods` entry is written by serde (`report::DetailedGood`),
    /// by the direct writer (`write::json_line`) and read by the rules (`validate::typed`):
    /// the writer's bytes equal serde's, and every key of the entry reads the same in the
    /// rule view.
    #[test]
    fn the_three_encodings_of_a_line_agree(
        rows in prop::collection::vec(
            (0usize..8, 1u64..5_000_000, 0u32..1000, any::<u8>(), "[ -~é€\"\\\\,;]{0,12}"),
            1..40,
        ),
    ) {
        let d = crate::tmp();
        let p = d.path().join("s.csv");
        std::fs::write(&p, encodings_csv(&rows)).unwrap();
        let mut req = request(p);
        // Rows of 2025Q4 and 2026Q1 (a report covers one quarter: the other's rows are
        // rejected, IN007): the first row's quarter is the report's, so both are drawn.
        let q = if rows[0].3 % 2 == 0 { "2025Q4" } else { "2026Q1" };
        req.quarter = cbam::model::Quarter::parse(q);
        let report = build_report(&req).unwrap();
        // Rows without a default value (e.g. 3102 10 00 in 2026) are rejected and have no line.
        for l in &report.lines().unwrap().read_all().unwrap() {
            let serde_bytes = serde_json::to_vec(&cbam::report::DetailedGood(l)).unwrap();
            let mut direct = Vec::new();
            cbam::write::json_line::detailed_good(&mut direct, l);
            prop_assert_eq!(String::from_utf8_lossy(&direct), String::from_utf8_lossy(&serde_bytes));
            let json: serde_json::Value = serde_json::from_slice(&serde_bytes).unwrap();
            let view = cbam::validate::typed::LineNode::Good(l);
            if let Err(e) = view_agrees(Some(view), &json, "detailed_goods[]") {
                return Err(TestCaseError::fail(e));
            }
        }
    }
}
