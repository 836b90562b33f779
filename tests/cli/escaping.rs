//! Issue 14, "Corrupt or injected output": every key and value from the data is escaped by
//! every writer. Header cells and JSON keys may hold any text (quotes, backslashes, control
//! characters, newlines, `|`, `<`, `&`, `]]>`, Latin-1 bytes); the report JSON, the Markdown
//! summary, the lines CSV and the registry XML parse back and hold the text as written.

use super::*;
use cbam::pipeline::{build_report, ReportRequest};
use cbam::qreport::build::{self as qb, Declaration, Goods, Header, XmlOptions};
use cbam::report::Importer;
use proptest::prelude::*;

const HEADER: &str = "shipment_id,import_date,quarter,cn_code,product_group,product_description,origin_iso,origin_country,importer_name,importer_country,net_mass_kg,port_of_entry,importer_reference,has_actual_emissions,supplier_id,notes";

/// `bytes` as one CSV field, quoted (a quote doubled).
fn quoted(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![b'"'];
    for &b in bytes {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
    out
}

/// One valid shipment with an extra column named `name` holding `value`.
fn shipments(name: &[u8], id: &str, value: &str) -> Vec<u8> {
    let mut s = HEADER.as_bytes().to_vec();
    s.push(b',');
    s.extend(quoted(name));
    s.push(b'\n');
    s.extend(quoted(id.as_bytes()));
    s.extend_from_slice(b",2025-11-03,2025Q4,72081000,,,CN,,,NL,1000,,,NO,,,");
    s.extend(quoted(value.as_bytes()));
    s.push(b'\n');
    s
}

#[test]
fn a_header_cell_with_quotes_or_a_newline_stays_one_key() {
    let d = tmp();
    let input = d.path().join("h.csv");
    let injected = "x\":\"injected\",\"y";
    let mut csv = HEADER.as_bytes().to_vec();
    csv.push(b',');
    csv.extend(quoted(injected.as_bytes()));
    csv.push(b',');
    csv.extend(quoted(b"two\nlines"));
    csv.extend_from_slice(b"\nS-1,2025-11-03,2025Q4,72081000,,,CN,,,NL,1000,,,NO,,,v1,v2\n");
    std::fs::write(&input, csv).unwrap();
    let out = d.path().join("r.json");
    let o = run(report_cmd(&input, &out, &[]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json(&out);
    let good = r["detailed_goods"][0].as_object().unwrap();
    assert_eq!(good[injected], "v1");
    assert_eq!(good["two\nlines"], "v2");
    assert!(!good.contains_key("injected") && !good.contains_key("y"));
    assert_eq!(
        good.len(),
        16 + 2 + 3,
        "16 columns, 2 extra, _row, _enrichment, calculation"
    );
    // The report reads back whole in `cbam validate`.
    let v = run({
        let mut c = cbam();
        c.args(["validate", "--report"]).arg(&out);
        c
    });
    assert_eq!(
        code(&v),
        0,
        "{}{}",
        stderr(&v),
        String::from_utf8_lossy(&v.stdout)
    );
}

#[test]
fn a_column_named_like_a_key_of_the_entry_is_refused() {
    let d = tmp();
    for name in ["_row", "Emissions_Calculation", "_file", "cn_code_original"] {
        let input = d.path().join("k.csv");
        std::fs::write(&input, shipments(name.as_bytes(), "S-1", "v")).unwrap();
        let out = d.path().join("r.json");
        let o = run(report_cmd(&input, &out, &[]));
        assert_eq!(code(&o), 2, "{name}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!("line 1 (header): expected a column name the report does not use itself, found {name:?}")),
            "{}",
            stderr(&o)
        );
        assert!(!out.exists());
    }
}

#[test]
fn printed_text_from_the_data_cannot_forge_lines_or_drive_the_terminal() {
    let d = tmp();
    let input = d.path().join("p.csv");
    std::fs::write(&input, shipments(b"x", "S\u{1b}[2J-1", "v")).unwrap();
    let out = d.path().join("r.json");
    assert_eq!(code(&run(report_cmd(&input, &out, &[]))), 0);
    let o = run({
        let mut c = cbam();
        c.args(["explain", "--report"])
            .arg(&out)
            .arg("S\u{1b}[2J-1");
        c
    });
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(code(&o), 0, "{}{text}", stderr(&o));
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(text.contains("shipment S\\u{1b}[2J-1"), "{text}");
}

/// Markdown (GFM) table rows of `md`, each split into cells and decoded as GFM reads them:
/// a row is split at each `|` not escaped, a cell trimmed of its blanks, then `\x` is `x` and
/// `&#N;` is the character N; any other character Markdown would read (`` ` ``, `*`, `<`,
/// `[`, `&`, …) unescaped is an error, as is `_` other than inside a word.
fn markdown_rows(md: &str) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    for line in md.lines().filter(|l| l.starts_with('|')) {
        let chars: Vec<char> = line.chars().collect();
        let (mut raw, mut cell, mut i) = (Vec::new(), Vec::new(), 1);
        while i < chars.len() {
            match chars[i] {
                '\\' if i + 1 < chars.len() => {
                    cell.extend([chars[i], chars[i + 1]]);
                    i += 1;
                }
                '|' => raw.push(std::mem::take(&mut cell)),
                c => cell.push(c),
            }
            i += 1;
        }
        if cell.iter().any(|c| *c != ' ') {
            return Err(format!("row does not end with |: {line:?}"));
        }
        let mut cells = Vec::new();
        for c in raw {
            let (mut a, mut b) = (0, c.len());
            while a < b && c[a] == ' ' {
                a += 1;
            }
            while b > a && c[b - 1] == ' ' {
                b -= 1;
            }
            cells.push(decode_cell(&c[a..b], line)?);
        }
        rows.push(cells);
    }
    Ok(rows)
}

/// One trimmed cell's characters decoded (see `markdown_rows`).
fn decode_cell(chars: &[char], line: &str) -> Result<String, String> {
    let mut cell = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() && chars[i + 1].is_ascii_punctuation() => {
                cell.push(chars[i + 1]);
                i += 1;
            }
            '&' if chars.get(i + 1) == Some(&'#') => {
                let end = (i..chars.len())
                    .find(|&k| chars[k] == ';')
                    .ok_or(format!("unterminated reference in {line:?}"))?;
                let n: String = chars[i + 2..end].iter().collect();
                let n: u32 = n
                    .parse()
                    .map_err(|_| format!("bad reference in {line:?}"))?;
                cell.push(char::from_u32(n).ok_or(format!("bad reference {n}"))?);
                i = end;
            }
            // The writer's own code span: a digest, hex digits only.
            '`' if chars[i + 1..]
                .iter()
                .position(|&c| c == '`')
                .is_some_and(|n| {
                    n > 0
                        && chars[i + 1..i + 1 + n]
                            .iter()
                            .all(|c| c.is_ascii_hexdigit())
                }) =>
            {
                let n = chars[i + 1..].iter().position(|&c| c == '`').unwrap_or(0);
                cell.extend(&chars[i + 1..i + 1 + n]);
                i += n + 1;
            }
            '_' if i > 0
                && chars[i - 1].is_alphanumeric()
                && chars.get(i + 1).is_some_and(|c| c.is_alphanumeric()) =>
            {
                cell.push('_')
            }
            // `**total**` is the writer's own emphasis, never data's.
            '*' if chars.get(i + 1) == Some(&'*') || (i > 0 && chars[i - 1] == '*') => cell.push(c),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '~' | '$' => {
                return Err(format!("unescaped {c:?} at {i} in {line:?}"));
            }
            c if c.is_control() => return Err(format!("control character in {line:?}")),
            c => cell.push(c),
        }
        i += 1;
    }
    Ok(cell)
}

/// Every table of `md` keeps its header's column count on each row.
fn tables_keep_their_shape(md: &str) -> Result<(), String> {
    let mut width: Option<usize> = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            width = None;
            continue;
        }
        let rows = markdown_rows(line)?;
        let n = rows[0].len();
        match width {
            None => width = Some(n),
            Some(w) if w != n => return Err(format!("{n} cells, the table has {w}: {line:?}")),
            _ => {}
        }
    }
    Ok(())
}

/// What XML 1.0 can hold of `s` (U+FFFD for a character it cannot), as the writer promises.
fn xml_expected(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
            c => c,
        })
        .collect()
}

fn texts_named<'a>(n: &'a cbam::qreport::Node, name: &str, out: &mut Vec<&'a str>) {
    if n.name == name {
        out.push(&n.text);
    }
    for c in &n.children {
        texts_named(c, name, out);
    }
}

/// A string of awkward pieces: JSON, CSV, Markdown and XML syntax, control characters,
/// newlines, and any character at all.
fn awkward() -> impl Strategy<Value = String> {
    const PIECES: &[&str] = &[
        "\"",
        "\\",
        "\\\"",
        "\n",
        "\r\n",
        "\r",
        "\t",
        "\u{0}",
        "\u{1}",
        "\u{1b}",
        "\u{7f}",
        "\u{85}",
        "\u{202e}",
        "|",
        "\\|",
        "<",
        ">",
        "&",
        "&amp;",
        "&#10;",
        "]]>",
        "<![CDATA[",
        "`",
        "*",
        "_",
        "[x](y)",
        "~~",
        "$",
        "x\":\"injected\",\"y",
        ",",
        ";",
        " ",
        "a",
        "é",
        "€",
        "\u{fffe}",
        "_a_",
        "a_b",
    ];
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(PIECES).prop_map(String::from),
            1 => any::<char>().prop_map(String::from),
        ],
        0..8,
    )
    .prop_map(|v| v.concat())
}

/// Header bytes: awkward UTF-8, or (the Latin-1 path) bytes that are not UTF-8.
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        awkward().prop_map(String::into_bytes),
        (
            awkward(),
            prop::collection::vec(0x80u8..=0xff, 1..4),
            awkward()
        )
            .prop_map(|(a, bad, b)| {
                let mut v = a.into_bytes();
                v.extend(bad);
                v.extend(b.into_bytes());
                v
            }),
    ]
}

fn request(input: std::path::PathBuf, importer: &str, position: &str) -> ReportRequest {
    let mut req = ReportRequest::calculation_only(input, Default::default(), true);
    req.importer = Importer {
        name: importer.into(),
        country: "NL".into(),
        eori: "NL123456789012".into(),
        declarant_name: "D".into(),
        declarant_position: position.into(),
    };
    req
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn every_writer_reads_back_what_it_was_given(
        name in header_bytes(),
        id in "[A-Za-z0-9\"\\\\|<>&`*_\\[\\]~$;, é€-]{1,10}",
        value in awkward(),
        importer in awkward(),
        position in awkward(),
        city in awkward(),
    ) {
        // Rows are checked elsewhere: here a value keeps to one line (a field spanning lines
        // is IN019), and an id has no surrounding blanks.
        let value: String = value.chars().filter(|c| *c != '\n' && *c != '\r').collect();
        let id = id.trim().to_string();
        prop_assume!(!id.is_empty() && !city.trim().is_empty());
        prop_assume!(!importer.is_empty() && !position.is_empty());
        let utf8 = std::str::from_utf8(&name).is_ok();
        let decode = |b: &[u8]| -> String {
            match std::str::from_utf8(b) {
                Ok(s) if utf8 => s.to_string(),
                _ => b.iter().map(|&b| b as char).collect(),
            }
        };
        let key = decode(&name).trim().to_string();
        let lower = key.to_lowercase();
        prop_assume!(!cbam::model::SHIPMENT_COLUMNS.contains(&lower.as_str()));
        prop_assume!(!cbam::model::RESERVED_KEYS.contains(&lower.as_str()));
        let (id_read, value_read) = (decode(id.as_bytes()), decode(value.as_bytes()));

        let d = crate::tmp();
        let input = d.path().join("s.csv");
        std::fs::write(&input, shipments(&name, &id, &value)).unwrap();
        let report = build_report(&request(input, &importer, &position)).unwrap();
        prop_assert_eq!(report.lines().unwrap().len(), 1);

        // JSON: the key and value as written, no key added.
        let mut buf = Vec::new();
        cbam::write::report_json(&report, &mut buf).unwrap();
        let r: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        let good = r["detailed_goods"][0].as_object().unwrap();
        // An empty extra value is left out of the entry (intake keeps no slot for it).
        let kept = !value_read.is_empty();
        prop_assert_eq!(good.len(), 16 + usize::from(kept) + 3);
        prop_assert_eq!(
            good.get(&key).and_then(|v| v.as_str()),
            kept.then_some(value_read.as_str())
        );
        prop_assert_eq!(good["shipment_id"].as_str(), Some(id_read.as_str()));
        prop_assert_eq!(r["importer_declaration"]["importer_name"].as_str(), Some(importer.as_str()));

        // Markdown: every table keeps its shape; the importer and declarant read back.
        let md = cbam::write::summary_markdown(&report).unwrap();
        if let Err(e) = tables_keep_their_shape(&md) {
            return Err(TestCaseError::fail(e));
        }
        let rows = markdown_rows(&md).map_err(TestCaseError::fail)?;
        let cell = |label: &str| rows.iter().find(|r| r[0] == label).map(|r| r[1].clone());
        prop_assert_eq!(cell("Importer"), Some(format!("{importer} (NL), EORI NL123456789012")));
        prop_assert_eq!(cell("Declarant"), Some(format!("D, {position}")));

        // Lines CSV: the id as written.
        let mut csv_out = Vec::new();
        cbam::write::write_lines_csv(&report, &mut csv_out, &Default::default()).unwrap();
        let mut rd = csv::Reader::from_reader(&csv_out[..]);
        let recs: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
        prop_assert_eq!(recs.len(), 1);
        prop_assert_eq!(&recs[0][0], id_read.as_str());

        // XML: well-formed XML 1.0, the importer's name and the city as XML can hold them.
        let opts = XmlOptions { declarant_city: city.clone(), ..XmlOptions::default() };
        let header = Header::new(&Declaration::of_report(&report), &opts).unwrap();
        let goods = Goods::from_report(&report).unwrap().unwrap();
        let (tree, _) = qb::build(&header, &goods, None);
        let xml = cbam::qreport::to_xml(&tree);
        let text = std::str::from_utf8(&xml).unwrap();
        prop_assert!(
            !text.chars().any(|c| (c < ' ' && !matches!(c, '\t' | '\n')) || c == '\u{fffe}' || c == '\u{ffff}'),
            "a character XML 1.0 cannot hold, or a bare CR"
        );
        let parsed = cbam::qreport::parse(std::path::Path::new("q.xml"), &xml).unwrap();
        let (mut names, mut cities) = (Vec::new(), Vec::new());
        texts_named(&parsed, "Name", &mut names);
        texts_named(&parsed, "City", &mut cities);
        let (want_name, want_city) = (xml_expected(&importer), xml_expected(&city));
        prop_assert!(names.contains(&want_name.as_str()), "{:?} not in {:?}", want_name, names);
        prop_assert!(cities.contains(&want_city.as_str()), "{:?} not in {:?}", want_city, cities);
    }
}
