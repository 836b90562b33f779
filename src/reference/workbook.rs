//! The Commission's own workbooks as reference data: the default-values workbook (one sheet
//! per country of origin, IR (EU) 2025/2621) for `--default-values`, and the CBAM benchmarks
//! workbook (IR (EU) 2025/2620) for `--benchmarks`. Read with calamine (XLSX, XLS, ODS).

use super::factors::{DefaultTables, TableRow};
use super::obligation::{Benchmark, BenchmarkTable};
use crate::error::{Error, Result};
use crate::intake::sheet::cell_text;
use crate::model::CnCode;
use calamine::{open_workbook_auto_from_rs, Data, Reader};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

/// Sheet names of the default-values workbook → ISO 3166-1 alpha-2 (names as the Commission
/// writes them, cut to Excel's 31 characters, plus common variants).
const COUNTRIES: &[(&str, &str)] = &[
    ("albania", "AL"),
    ("algeria", "DZ"),
    ("angola", "AO"),
    ("argentina", "AR"),
    ("armenia", "AM"),
    ("australia", "AU"),
    ("azerbaijan", "AZ"),
    ("bahrain", "BH"),
    ("bangladesh", "BD"),
    ("belarus", "BY"),
    ("benin", "BJ"),
    ("bolivia", "BO"),
    ("bosnia and herzegovina", "BA"),
    ("brazil", "BR"),
    ("brunei", "BN"),
    ("cambodia", "KH"),
    ("cameroon", "CM"),
    ("canada", "CA"),
    ("chile", "CL"),
    ("china", "CN"),
    ("colombia", "CO"),
    ("congo", "CG"),
    ("costa rica", "CR"),
    ("cote d'ivoire", "CI"),
    ("cuba", "CU"),
    ("curacao", "CW"),
    ("curaçao", "CW"),
    ("côte d'ivoire", "CI"),
    ("democratic republic of the cong", "CD"),
    ("democratic republic of the congo", "CD"),
    ("dominican republic", "DO"),
    ("ecuador", "EC"),
    ("egypt", "EG"),
    ("el salvador", "SV"),
    ("equatorial guinea", "GQ"),
    ("eritrea", "ER"),
    ("eswatini", "SZ"),
    ("ethiopia", "ET"),
    ("gabon", "GA"),
    ("georgia", "GE"),
    ("ghana", "GH"),
    ("guatemala", "GT"),
    ("haiti", "HT"),
    ("honduras", "HN"),
    ("hong kong", "HK"),
    ("india", "IN"),
    ("indonesia", "ID"),
    ("iran", "IR"),
    ("iraq", "IQ"),
    ("israel", "IL"),
    ("jamaica", "JM"),
    ("japan", "JP"),
    ("jordan", "JO"),
    ("kazakhstan", "KZ"),
    ("kenya", "KE"),
    ("kuwait", "KW"),
    ("kyrgyzstan", "KG"),
    ("laos", "LA"),
    ("lebanon", "LB"),
    ("libya", "LY"),
    ("madagascar", "MG"),
    ("malaysia", "MY"),
    ("mali", "ML"),
    ("mauritania", "MR"),
    ("mauritius", "MU"),
    ("mexico", "MX"),
    ("moldova", "MD"),
    ("mongolia", "MN"),
    ("montenegro", "ME"),
    ("morocco", "MA"),
    ("mozambique", "MZ"),
    ("myanmar", "MM"),
    ("myanmar_burma", "MM"),
    ("namibia", "NA"),
    ("nepal", "NP"),
    ("new zealand", "NZ"),
    ("nicaragua", "NI"),
    ("niger", "NE"),
    ("nigeria", "NG"),
    ("north korea", "KP"),
    ("north macedonia", "MK"),
    ("oman", "OM"),
    ("pakistan", "PK"),
    ("panama", "PA"),
    ("papua new guinea", "PG"),
    ("paraguay", "PY"),
    ("peru", "PE"),
    ("philippines", "PH"),
    ("qatar", "QA"),
    ("republic of korea", "KR"),
    ("russia", "RU"),
    ("russian federation", "RU"),
    ("rwanda", "RW"),
    ("saudi arabia", "SA"),
    ("senegal", "SN"),
    ("serbia", "RS"),
    ("sierra leone", "SL"),
    ("singapore", "SG"),
    ("south africa", "ZA"),
    ("south korea", "KR"),
    ("sri lanka", "LK"),
    ("sudan", "SD"),
    ("suriname", "SR"),
    ("syria", "SY"),
    ("taiwan", "TW"),
    ("tajikistan", "TJ"),
    ("tanzania", "TZ"),
    ("thailand", "TH"),
    ("togo", "TG"),
    ("trinidad and tobago", "TT"),
    ("tunisia", "TN"),
    ("turkey", "TR"),
    ("turkmenistan", "TM"),
    ("türkiye", "TR"),
    ("uganda", "UG"),
    ("ukraine", "UA"),
    ("united arab emirates", "AE"),
    ("united kingdom", "GB"),
    ("united states", "US"),
    ("uruguay", "UY"),
    ("uzbekistan", "UZ"),
    ("venezuela", "VE"),
    ("viet nam", "VN"),
    ("vietnam", "VN"),
    ("yemen", "YE"),
    ("zambia", "ZM"),
    ("zimbabwe", "ZW"),
];

/// The workbook and its file name (for sources and notes).
/// The workbook is parsed from `bytes`, the same bytes the caller takes the digest of.
fn open<'b>(
    path: &Path,
    bytes: &'b [u8],
) -> Result<(calamine::Sheets<std::io::Cursor<&'b [u8]>>, String)> {
    let wb = open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| data_err(path, format!("cannot open the workbook: {e}")))?;
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok((wb, file))
}

/// The ISO code of a sheet name; `*` for "Other countries and territories".
pub fn sheet_country(name: &str) -> Option<&'static str> {
    let n = name.trim().trim_start_matches('_').to_lowercase();
    if n.starts_with("other countries") {
        return Some("*");
    }
    COUNTRIES.iter().find(|(c, _)| *c == n).map(|(_, iso)| *iso)
}

fn data_err(path: &Path, message: String) -> Error {
    Error::Data {
        path: path.to_path_buf(),
        message,
    }
}

fn text(c: Option<&Data>) -> String {
    c.map(|c| cell_text(c, ""))
        .unwrap_or_default()
        .replace('\u{a0}', " ")
        .trim()
        .to_string()
}

/// A figure cell: `–`, `-`, `N/A`, `see below` and blank mean "no value".
fn figure(
    path: &Path,
    sheet: &str,
    row: usize,
    header: &str,
    c: Option<&Data>,
) -> Result<Option<Decimal>> {
    let t = text(c);
    // Letters only, lower-case: N/A, N.A., N/a and the workbook's one "N/(A" are all "na".
    let letters: String = t
        .chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect();
    if matches!(t.as_str(), "" | "–" | "-" | "—" | "_")
        || letters == "na"
        || letters.starts_with("see")
    {
        return Ok(None);
    }
    Decimal::from_str(&t)
        .or_else(|_| Decimal::from_scientific(&t))
        .map(Some)
        .map_err(|_| {
            data_err(
                path,
                format!(
                    "sheet {sheet:?}, row {}, column {header:?}: expected a number, \"–\" or \"N/A\", found {:?}",
                    row + 1,
                    crate::model::truncate_for_message(&t)
                ),
            )
        })
}

/// The code of a table row: 4, 6, 8 or 10 digits once spaces and dots are removed.
fn row_code(c: Option<&Data>) -> Option<String> {
    let t = text(c);
    let digits: String = t.chars().filter(|c| !matches!(c, ' ' | '.')).collect();
    (matches!(digits.len(), 4 | 6 | 8 | 10) && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some(digits)
}

/// The header row (within the first rows) and the column of each heading it holds.
fn find_header(rows: &[&[Data]], wanted: &[(&str, &[&str])]) -> Option<(usize, Vec<usize>)> {
    for (i, r) in rows.iter().enumerate().take(10) {
        let heads: Vec<String> = r
            .iter()
            .map(|c| text(Some(c)).to_lowercase().replace('\n', " "))
            .collect();
        let cols: Option<Vec<usize>> = wanted
            .iter()
            .map(|(must, not)| {
                heads.iter().position(|h| {
                    must.split('+').all(|m| h.contains(m)) && !not.iter().any(|x| h.contains(x))
                })
            })
            .collect();
        if let Some(cols) = cols {
            return Some((i, cols));
        }
    }
    None
}

/// Reads the Commission's default-values workbook into `t`, replacing its definitive table.
/// Sheets that are not a country table (Overview, Version History) are skipped; a country sheet
/// whose name is not recognised is skipped with a note. A code twice in one sheet (grey and white
/// clinker share 2523 10 00 before the TARIC split) keeps the higher total, with a note.
pub fn read_default_values(
    path: &Path,
    bytes: &[u8],
    t: &mut DefaultTables,
    notes: &mut Vec<String>,
) -> Result<()> {
    let (mut wb, file) = open(path, bytes)?;
    let mut sheets_read = 0;
    // Codes listed twice in a sheet: code → (the sheets, the rows' descriptions).
    let mut repeated: std::collections::BTreeMap<
        String,
        (std::collections::BTreeSet<String>, Vec<String>),
    > = Default::default();
    for name in wb.sheet_names().to_vec() {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| data_err(path, format!("sheet {name:?}: {e}")))?;
        let rows: Vec<&[Data]> = range.rows().collect();
        let wanted: [(&str, &[&str]); 6] = [
            ("cn code", &[]),
            ("description", &[]),
            ("direct", &["mark-up"]),
            ("indirect", &["mark-up"]),
            ("total", &["mark-up", "direct", "indirect"]),
            ("route", &[]),
        ];
        let Some((h, cols)) = find_header(&rows, &wanted) else {
            continue;
        };
        let Some(origin) = sheet_country(&name) else {
            notes.push(format!(
                "{file}: sheet {name:?} is not a country the tool knows; its values are not used"
            ));
            continue;
        };
        sheets_read += 1;
        let country = if origin == "*" {
            "Other countries and territories".to_string()
        } else {
            name.clone()
        };
        for (i, r) in rows.iter().enumerate().skip(h + 1) {
            let Some(code) = row_code(r.get(cols[0])) else {
                continue;
            };
            let heads = ["direct", "indirect", "total"];
            let direct = figure(path, &name, i, heads[0], r.get(cols[2]))?;
            let indirect = figure(path, &name, i, heads[1], r.get(cols[3]))?;
            let total = figure(path, &name, i, heads[2], r.get(cols[4]))?;
            let row = TableRow {
                code: code.clone(),
                description: text(r.get(cols[1])),
                direct,
                indirect,
                total,
                source: format!("{file}, sheet {name:?}, row {}", i + 1),
                transcription: String::new(),
                confidence: "official".into(),
                route: text(r.get(cols[5])),
                note: String::new(),
            };
            if !t.insert_definitive(origin, &country, row.clone()) {
                let keep_new = match (
                    t.definitive_row(origin, &code).and_then(|o| o.total),
                    row.total,
                ) {
                    (None, Some(_)) => true,
                    (Some(a), Some(b)) => b > a,
                    _ => false,
                };
                let e = repeated.entry(code.clone()).or_default();
                e.0.insert(name.clone());
                if let Some(first) = t.definitive_row(origin, &code) {
                    for d in [&first.description, &row.description] {
                        if !e.1.contains(d) {
                            e.1.push(d.clone());
                        }
                    }
                }
                if keep_new {
                    t.replace_definitive(origin, row);
                }
            }
        }
    }
    for (code, (sheets, descriptions)) in repeated {
        notes.push(format!(
            "{file}: {code} is listed more than once in {} sheet(s) ({}); the row with the higher total is used",
            sheets.len(),
            descriptions.join(" / ")
        ));
    }
    if sheets_read == 0 {
        return Err(data_err(
            path,
            "no sheet with the default-values columns (Product CN Code, Description, direct, indirect, total emissions, production route) was found".into(),
        ));
    }
    Ok(())
}

/// Reads the Commission's CBAM benchmarks workbook. A row without a CN code continues the code
/// above (another route or production-year value); a blank Column A takes the value given for
/// the same route letter of that code, else the code's first Column A value.
pub fn read_benchmarks(path: &Path) -> Result<BenchmarkTable> {
    let bytes = std::fs::read(path).map_err(|source| crate::error::Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    read_benchmarks_from(path, &bytes)
}

/// `read_benchmarks` on the file's bytes, already read (for its digest).
pub fn read_benchmarks_from(path: &Path, bytes: &[u8]) -> Result<BenchmarkTable> {
    let (mut wb, file) = open(path, bytes)?;
    let wanted: [(&str, &[&str]); 5] = [
        ("cn code", &[]),
        ("column a+bmg", &[]),
        ("column b+bmg", &[]),
        ("column a+route", &[]),
        ("column b+route", &[]),
    ];
    for name in wb.sheet_names().to_vec() {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| data_err(path, format!("sheet {name:?}: {e}")))?;
        let rows: Vec<&[Data]> = range.rows().collect();
        let Some((h, cols)) = find_header(&rows, &wanted) else {
            continue;
        };
        let mut t = BenchmarkTable::default();
        let mut current: Option<CnCode> = None;
        let mut a_by_letter: HashMap<String, Decimal> = HashMap::new();
        let mut first_a: Option<Decimal> = None;
        for (i, r) in rows.iter().enumerate().skip(h + 1) {
            let code_text = text(r.get(cols[0]));
            if !code_text.is_empty() {
                match row_code(r.get(cols[0])).and_then(|c| CnCode::normalise(&c)) {
                    Some(c) => {
                        current = Some(c);
                        a_by_letter.clear();
                        first_a = None;
                    }
                    None => {
                        // A sector heading (Cement, Hydrogen, …).
                        current = None;
                        continue;
                    }
                }
            }
            let Some(cn) = current else { continue };
            let Some(col_b) = figure(path, &name, i, "Column B", r.get(cols[2]))? else {
                continue;
            };
            let route_text = {
                let b = text(r.get(cols[4]));
                if b.is_empty() {
                    text(r.get(cols[3]))
                } else {
                    b
                }
            };
            let (letter, years) = super::obligation::split_route(&route_text).ok_or_else(|| {
                data_err(
                    path,
                    format!(
                        "sheet {name:?}, row {}, column \"Column B production route indicator\": expected a route like (C), (1) or (F)(2), found {route_text:?}",
                        i + 1
                    ),
                )
            })?;
            let col_a = match figure(path, &name, i, "Column A", r.get(cols[1]))? {
                Some(a) => {
                    a_by_letter.entry(letter.clone()).or_insert(a);
                    first_a.get_or_insert(a);
                    Some(a)
                }
                None => a_by_letter.get(&letter).copied().or(first_a),
            };
            t.insert(
                cn,
                Benchmark {
                    route: letter,
                    years,
                    column_a: col_a,
                    column_b: Some(col_b),
                    source: format!("{file}, sheet {name:?}, row {}", i + 1),
                },
            );
        }
        if t.is_empty() {
            return Err(data_err(
                path,
                format!("sheet {name:?} has the benchmark columns but no rows"),
            ));
        }
        return Ok(t);
    }
    Err(data_err(
        path,
        "no sheet with the benchmark columns (CN code, Column A BMg, Column B BMg, production route indicators) was found".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_map_to_iso_codes() {
        assert_eq!(sheet_country("China"), Some("CN"));
        assert_eq!(sheet_country("Türkiye"), Some("TR"));
        assert_eq!(sheet_country("Democratic Republic of the Cong"), Some("CD"));
        assert_eq!(sheet_country("_Other Countries and Territorie"), Some("*"));
        assert_eq!(sheet_country("Myanmar_Burma"), Some("MM"));
        assert_eq!(sheet_country("Overview"), None);
    }
}
