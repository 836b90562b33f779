//! The Commission's own workbooks as reference data: the default-values workbook (one sheet
//! per country of origin, IR (EU) 2025/2621) for `--default-values`, and the CBAM benchmarks
//! workbook (IR (EU) 2025/2620) for `--benchmarks` (`benchmarks`). Read with calamine (XLSX,
//! XLS, ODS).

mod benchmarks;

pub use benchmarks::{read_benchmarks, read_benchmarks_from};

use super::factors::{DefaultTables, TableRow};
use crate::error::{Error, Result};
use crate::formats::cells::cell_text;
use crate::formats::workbook::Workbook;
use calamine::Data;
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
    ("congo, democratic republic of", "CD"),
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
    ("iran, islamic republic of", "IR"),
    ("iraq", "IQ"),
    ("israel", "IL"),
    ("ivory coast", "CI"),
    ("jamaica", "JM"),
    ("japan", "JP"),
    ("jordan", "JO"),
    ("kazakhstan", "KZ"),
    ("kenya", "KE"),
    ("korea, republic of", "KR"),
    ("korea, republic of (south korea", "KR"),
    ("korea, republic of (south korea)", "KR"),
    ("kuwait", "KW"),
    ("kyrgyzstan", "KG"),
    ("laos", "LA"),
    ("lebanon", "LB"),
    ("liberia", "LR"),
    ("libya", "LY"),
    ("madagascar", "MG"),
    ("malaysia", "MY"),
    ("mali", "ML"),
    ("mauritania", "MR"),
    ("mauritius", "MU"),
    ("mexico", "MX"),
    ("moldova", "MD"),
    ("moldova, republic of", "MD"),
    ("mongolia", "MN"),
    ("montenegro", "ME"),
    ("morocco", "MA"),
    ("mozambique", "MZ"),
    ("myanmar", "MM"),
    ("myanmar_burma", "MM"),
    ("namibia", "NA"),
    ("nepal", "NP"),
    ("new caledonia", "NC"),
    ("new caledonia and dependencies", "NC"),
    ("new zealand", "NZ"),
    ("nicaragua", "NI"),
    ("niger", "NE"),
    ("nigeria", "NG"),
    ("north korea", "KP"),
    ("north korea (democratic people'", "KP"),
    ("north korea (democratic people’", "KP"),
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
    ("tanzania, united republic of", "TZ"),
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

/// The workbook (through the one checked opener) and its file name (for sources and notes).
/// The workbook is parsed from `bytes`, the same bytes the caller takes the digest of.
fn open<'b>(path: &'b Path, bytes: &'b [u8]) -> Result<(Workbook<'b>, String)> {
    let wb = Workbook::open(path, bytes)?;
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
    c.map(cell_text)
        .unwrap_or_default()
        .replace('\u{a0}', " ")
        .trim()
        .to_string()
}

/// A figure cell that holds something else than a number: what it holds, as a message says
/// it (`the spreadsheet error #N/A`, the text quoted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
struct NotAFigure(String);

/// A figure cell's value: `–`, `-`, `N/A`, `see below` and blank mean "no value".
fn figure_value(c: Option<&Data>) -> std::result::Result<Option<Decimal>, NotAFigure> {
    if let Some(Data::Error(e)) = c {
        return Err(NotAFigure(format!("the spreadsheet error {e}")));
    }
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
        .map_err(|_| NotAFigure(format!("{:?}", crate::model::truncate_for_message(&t))))
}

/// The code of a table row: 4, 6, 8 or 10 digits once spaces and dots are removed.
fn row_code(c: Option<&Data>) -> Option<String> {
    let t = text(c);
    let digits: String = t.chars().filter(|c| !matches!(c, ' ' | '.')).collect();
    (matches!(digits.len(), 4 | 6 | 8 | 10) && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some(digits)
}

/// Sheets of the default-values workbook that are not country tables, skipped by name.
const NOT_COUNTRY_SHEETS: &[&str] = &["overview", "version history", "annex iv"];

/// The two layouts of the default-values workbook's country sheets.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Layout {
    /// Version 1 (4 Feb 2026): nine columns, three of them the value with each year's mark-up.
    V1,
    /// As corrected by IR (EU) 2026/1740: six columns, no mark-up, TARIC lines.
    Corrected,
}

impl Layout {
    fn name(self) -> &'static str {
        match self {
            Layout::V1 => "version 1 layout (nine columns, three with the mark-up)",
            Layout::Corrected => "corrected layout (six columns, no mark-up)",
        }
    }

    fn headings(self) -> &'static [Heading] {
        use Heading::*;
        match self {
            Layout::V1 => &[
                Code,
                Description,
                Direct,
                Indirect,
                Total,
                Markup("2026"),
                Markup("2027"),
                Markup("2028"),
                Route,
            ],
            Layout::Corrected => &[Code, Description, Direct, Indirect, Total, Route],
        }
    }
}

/// A column heading of a country sheet, recognised by its text.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Heading {
    Code,
    Description,
    Direct,
    Indirect,
    Total,
    Markup(&'static str),
    Route,
}

impl Heading {
    /// The Commission's text, for messages.
    fn label(self) -> &'static str {
        match self {
            Heading::Code => "Product CN Code",
            Heading::Description => "Description",
            Heading::Direct => "Default Value (direct emissions)",
            Heading::Indirect => "Default Value (indirect emissions)",
            Heading::Total => "Default Value (total emissions)",
            Heading::Markup("2026") => "2026 Default Value (including mark-up)",
            Heading::Markup("2027") => "2027 Default Value (including mark-up)",
            Heading::Markup(_) => "2028 and onwards Default Value (including mark-up)",
            Heading::Route => "Underlying production route determining CBAM BM",
        }
    }

    /// Whether a heading cell's text (lower-case, spaces collapsed) is this heading.
    fn matches(self, h: &str) -> bool {
        let markup = h.contains("mark-up") || h.contains("markup");
        match self {
            Heading::Code => h.contains("cn code"),
            Heading::Description => h.starts_with("description"),
            Heading::Direct => h.contains("direct") && !h.contains("indirect") && !markup,
            Heading::Indirect => h.contains("indirect") && !markup,
            Heading::Total => {
                h.contains("total") && !h.contains("direct") && !h.contains("indirect") && !markup
            }
            Heading::Markup(year) => markup && h.starts_with(year),
            Heading::Route => h.contains("route"),
        }
    }
}

/// A heading cell's text, lower-case, line breaks and runs of spaces as one space.
fn heading_text(c: Option<&Data>) -> String {
    text(c)
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `found …` for a message: the cell's text quoted, or "an empty cell".
fn found(c: Option<&Data>) -> String {
    let t = text(c);
    if t.is_empty() {
        "an empty cell".into()
    } else {
        format!("{:?}", crate::model::truncate_for_message(&t))
    }
}

/// A country sheet's grid: cells by their position in the range, named as the spreadsheet
/// names them (the range may start below or right of A1).
struct Grid<'a> {
    rows: Vec<&'a [Data]>,
    start: (usize, usize),
}

impl Grid<'_> {
    fn get(&self, r: usize, c: usize) -> Option<&Data> {
        self.rows.get(r).and_then(|row| row.get(c))
    }

    fn cell(&self, r: usize, c: usize) -> String {
        format!(
            "{}{}",
            crate::formats::cells::column_letters(self.start.1 + c),
            self.start.0 + r + 1
        )
    }

    fn row_number(&self, r: usize) -> usize {
        self.start.0 + r + 1
    }
}

/// The heading row of a country sheet (within its first 10 rows: the row with the CN code
/// heading), its first column and the layout its headings spell.
fn sheet_layout(path: &Path, sheet: &str, g: &Grid) -> Result<(usize, usize, Layout)> {
    let head = g.rows.iter().take(10).enumerate().find_map(|(i, r)| {
        r.iter()
            .position(|c| Heading::Code.matches(&heading_text(Some(c))))
            .map(|j| (i, j))
    });
    let Some((h, c0)) = head else {
        // Both layouts put a title in row 1 and the headings in row 2.
        return Err(data_err(path, format!(
            "sheet {sheet:?}, cell {}: expected a heading {:?} (no row among the sheet's first 10 has it), found {}",
            g.cell(1, 0),
            Heading::Code.label(),
            found(g.get(1, 0))
        )));
    };
    let after_total = heading_text(g.get(h, c0 + 5));
    let layout = if Heading::Markup("2026").matches(&after_total) {
        Layout::V1
    } else {
        Layout::Corrected
    };
    let heads = layout.headings();
    for (k, want) in heads.iter().enumerate() {
        if !want.matches(&heading_text(g.get(h, c0 + k))) {
            return Err(data_err(
                path,
                format!(
                    "sheet {sheet:?}, cell {}: expected a heading {:?}, found {} (in the {})",
                    g.cell(h, c0 + k),
                    want.label(),
                    found(g.get(h, c0 + k)),
                    layout.name()
                ),
            ));
        }
    }
    let extra = c0 + heads.len();
    if !text(g.get(h, extra)).is_empty() {
        return Err(data_err(path, format!(
            "sheet {sheet:?}, cell {}: expected no heading after {:?} (the {} ends there), found {}",
            g.cell(h, extra),
            heads[heads.len() - 1].label(),
            layout.name(),
            found(g.get(h, extra))
        )));
    }
    Ok((h, c0, layout))
}

/// Reads the Commission's default-values workbook into `t`, replacing its definitive table.
/// Both layouts are read, found by their heading texts: version 1 (mark-up columns, 8-digit
/// codes) and the corrected one of IR (EU) 2026/1740 (six columns, 10-digit TARIC lines). The
/// sheets `Overview`, `Version History` and `Annex IV` are skipped by name; every other sheet
/// must be a country table in one of the layouts (all in the same one), under a sheet name that
/// maps to an ISO code, else the file is refused with the sheet and cell. A code twice in one
/// version-1 sheet (grey and white clinker share 2523 10 00 before the TARIC split) keeps the
/// higher total, with a note; in the corrected layout a code twice is refused.
pub fn read_default_values(
    path: &Path,
    bytes: &[u8],
    t: &mut DefaultTables,
    notes: &mut Vec<String>,
) -> Result<()> {
    let (mut wb, file) = open(path, bytes)?;
    let mut sheets = CountrySheets {
        path,
        file: &file,
        first: None,
        origin_sheets: HashMap::new(),
        repeated: Default::default(),
        sheets_read: 0,
    };
    for name in wb.sheet_names().to_vec() {
        if NOT_COUNTRY_SHEETS.contains(&name.trim().to_lowercase().as_str()) {
            continue;
        }
        let cells = wb.sheet(&name)?;
        let (r, c) = cells.start();
        let g = Grid {
            rows: cells.rows(),
            start: (r as usize, c as usize),
        };
        sheets.read(&name, &g, t)?;
    }
    sheets.finish(notes)
}

/// The country sheets of a default-values workbook, read one after the other into the table.
struct CountrySheets<'a> {
    path: &'a Path,
    file: &'a str,
    /// The first country sheet: its name and layout (a workbook has one layout).
    first: Option<(String, Layout)>,
    /// Origin → the sheet that gave it.
    origin_sheets: HashMap<&'static str, String>,
    /// Codes listed twice in a version-1 sheet: code → (the sheets, the rows' descriptions).
    repeated: std::collections::BTreeMap<String, (std::collections::BTreeSet<String>, Vec<String>)>,
    sheets_read: usize,
}

impl CountrySheets<'_> {
    /// One country sheet: its layout and origin checked, its rows added to `t`.
    fn read(&mut self, name: &str, g: &Grid, t: &mut DefaultTables) -> Result<()> {
        let path = self.path;
        let (h, c0, layout) = sheet_layout(path, name, g)?;
        match &self.first {
            None => self.first = Some((name.to_string(), layout)),
            Some((other, l)) if *l != layout => {
                return Err(data_err(
                    path,
                    format!(
                        "sheet {name:?}, cell {}: this sheet has the {}, sheet {other:?} the {}; a workbook has one layout",
                        g.cell(h, c0 + 5),
                        layout.name(),
                        l.name()
                    ),
                ))
            }
            Some(_) => {}
        }
        let origin = self.origin(name, g.cell(h, c0))?;
        self.sheets_read += 1;
        let country = if origin == "*" {
            "Other countries and territories".to_string()
        } else {
            name.to_string()
        };
        // Codes of this sheet → the row they were read from (corrected layout: each once).
        let mut seen: HashMap<String, usize> = HashMap::new();
        for i in h + 1..g.rows.len() {
            let Some(row) = self.table_row(name, g, i, c0, layout)? else {
                continue;
            };
            if let Some(before) = seen.insert(row.code.clone(), i) {
                if layout == Layout::Corrected {
                    return Err(data_err(
                        path,
                        format!(
                            "sheet {name:?}, cells {} and {}: code {} is listed twice (in the {} each code appears once per sheet)",
                            g.cell(before, c0),
                            g.cell(i, c0),
                            text(g.get(i, c0)),
                            layout.name()
                        ),
                    ));
                }
            }
            self.insert(t, origin, &country, name, row);
        }
        Ok(())
    }

    /// The origin a sheet's name stands for; each origin has one sheet.
    fn origin(&mut self, name: &str, heading_cell: String) -> Result<&'static str> {
        let Some(origin) = sheet_country(name) else {
            return Err(data_err(
                self.path,
                format!(
                    "sheet {name:?} (heading row at cell {heading_cell}) is a country table, but its name is not a country the tool knows (no ISO 3166 code for it)"
                ),
            ));
        };
        if let Some(other) = self.origin_sheets.insert(origin, name.to_string()) {
            return Err(data_err(
                self.path,
                format!(
                    "sheets {other:?} and {name:?} are both the table of {origin}; each origin has one sheet"
                ),
            ));
        }
        Ok(origin)
    }

    /// Row `i` of a sheet as a table row; `None` for a sector heading or a blank row.
    fn table_row(
        &self,
        name: &str,
        g: &Grid,
        i: usize,
        c0: usize,
        layout: Layout,
    ) -> Result<Option<TableRow>> {
        let path = self.path;
        let code_cell = g.get(i, c0);
        let figures = [2, 3, 4].map(|k| g.get(i, c0 + k));
        let Some(code) = row_code(code_cell) else {
            // Sector headings (Cement, Hydrogen, …) and blank rows: nothing to read; a code
            // that is not one, or figures without a code, are refused.
            let t = text(code_cell);
            if t.chars().any(|c| c.is_ascii_digit()) {
                return Err(data_err(
                    path,
                    format!(
                        "sheet {name:?}, cell {}: expected a CN code of 4, 6, 8 or 10 digits, found {}",
                        g.cell(i, c0),
                        found(code_cell)
                    ),
                ));
            }
            if let Some(k) = figures.iter().position(|c| !text(*c).is_empty()) {
                return Err(data_err(
                    path,
                    format!(
                        "sheet {name:?}, cell {}: a figure in a row without a CN code (cell {} holds {})",
                        g.cell(i, c0 + 2 + k),
                        g.cell(i, c0),
                        found(code_cell)
                    ),
                ));
            }
            return Ok(None);
        };
        let heads = [Heading::Direct, Heading::Indirect, Heading::Total];
        let mut values = [None; 3];
        for (k, c) in figures.iter().enumerate() {
            values[k] = figure_value(*c).map_err(|found| {
                data_err(
                    path,
                    format!(
                        "sheet {name:?}, cell {}: expected a number, \"–\" or \"N/A\" under {:?}, found {found}",
                        g.cell(i, c0 + 2 + k),
                        heads[k].label()
                    ),
                )
            })?;
        }
        let route_col = c0 + layout.headings().len() - 1;
        Ok(Some(TableRow {
            code,
            description: text(g.get(i, c0 + 1)),
            direct: values[0],
            indirect: values[1],
            total: values[2],
            source: format!("{}, sheet {name:?}, row {}", self.file, g.row_number(i)),
            transcription: String::new(),
            confidence: "official".into(),
            route: text(g.get(i, route_col)),
            note: String::new(),
        }))
    }

    /// Adds a row; a code already in the origin's table (a version-1 sheet lists it twice)
    /// keeps the higher total and is noted.
    fn insert(
        &mut self,
        t: &mut DefaultTables,
        origin: &str,
        country: &str,
        name: &str,
        row: TableRow,
    ) {
        if t.insert_definitive(origin, country, row.clone()) {
            return;
        }
        let code = &row.code;
        let keep_new = match (
            t.definitive_row(origin, code).and_then(|o| o.total),
            row.total,
        ) {
            (None, Some(_)) => true,
            (Some(a), Some(b)) => b > a,
            _ => false,
        };
        let e = self.repeated.entry(code.clone()).or_default();
        e.0.insert(name.to_string());
        if let Some(first) = t.definitive_row(origin, code) {
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

    /// Notes on the codes listed twice; a workbook without a country sheet is refused.
    fn finish(self, notes: &mut Vec<String>) -> Result<()> {
        let file = self.file;
        for (code, (sheets, descriptions)) in self.repeated {
            notes.push(format!(
                "{file}: {code} is listed more than once in {} sheet(s) ({}); the row with the higher total is used",
                sheets.len(),
                descriptions.join(" / ")
            ));
        }
        if self.sheets_read == 0 {
            return Err(data_err(
                self.path,
                "no sheet with the default-values columns (Product CN Code, Description, direct, indirect, total emissions, production route) was found".into(),
            ));
        }
        Ok(())
    }
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
        // The corrected workbook's names, two of them cut at 31 characters.
        assert_eq!(sheet_country("Korea, Republic of (South Korea"), Some("KR"));
        assert_eq!(sheet_country("North Korea (Democratic People’"), Some("KP"));
        assert_eq!(sheet_country("Congo, Democratic Republic of"), Some("CD"));
        assert_eq!(sheet_country("Ivory Coast"), Some("CI"));
        assert_eq!(sheet_country("Namibia"), Some("NA"));
        assert_eq!(sheet_country("New Caledonia and dependencies"), Some("NC"));
        assert_eq!(sheet_country("Annex IV"), None);
    }

    #[test]
    fn both_layouts_headings_are_recognised_by_their_texts() {
        let v1 = [
            "Product CN Code",
            "Description",
            "Default Value\n(direct emissions)",
            "Default Value\n(indirect emissions)",
            "Default Value\n(total emissions)",
            "2026\nDefault Value\n(including mark-up)",
            "2027\nDefault Value\n(including mark-up)",
            "2028 and onwards\nDefault Value\n(including mark-up)",
            "Underlying production route determining CBAM BM",
        ];
        let short = [
            "CN code",
            "Description",
            "Direct emissions",
            "Indirect emissions",
            "Total emissions",
            "Production route",
        ];
        for (layout, texts) in [(Layout::V1, &v1[..]), (Layout::Corrected, &short[..])] {
            let heads = layout.headings();
            assert_eq!(heads.len(), texts.len());
            for (h, t) in heads.iter().zip(texts) {
                let cell = Data::String(t.to_string());
                assert!(h.matches(&heading_text(Some(&cell))), "{h:?} {t:?}");
                // No other heading of the layout takes the text.
                for other in heads.iter().filter(|o| *o != h) {
                    assert!(
                        !other.matches(&heading_text(Some(&cell))),
                        "{other:?} {t:?}"
                    );
                }
            }
        }
    }
}

/// The default-values workbooks against `../shared/reference`: the corrected-layout fixture
/// (built from the all-origins CSV) gives exactly that CSV's rows; the Commission's version-1
/// workbook still reads whole, every sheet named.
#[cfg(all(test, feature = "shared-reference"))]
mod shared_reference_tests {
    use super::*;
    use crate::reference::factors::dec;

    fn root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    fn read(path: &Path) -> (DefaultTables, Vec<String>) {
        let bytes = std::fs::read(path).unwrap();
        let mut t = DefaultTables::default();
        let mut notes = Vec::new();
        read_default_values(path, &bytes, &mut t, &mut notes).unwrap();
        (t, notes)
    }

    #[test]
    fn corrected_fixture_gives_exactly_the_rows_of_the_all_origins_csv() {
        let (t, notes) = read(&root().join("fixtures/workbooks/default_values_corrected.xlsx"));
        assert!(notes.is_empty(), "{notes:?}");
        let csv_path = root().join("../shared/reference/default_values_definitive_all_origins.csv");
        // The csv crate keeps every field as text: Namibia's `NA` stays `NA`.
        let mut rdr = csv::Reader::from_path(&csv_path).unwrap();
        assert_eq!(
            rdr.headers().unwrap(),
            vec![
                "origin_iso2",
                "origin_name",
                "cn_code",
                "description_key",
                "direct",
                "indirect",
                "total",
                "route"
            ]
        );
        let mut origins = std::collections::BTreeSet::new();
        let mut n = 0;
        let mut differ = Vec::new();
        for rec in rdr.records() {
            let rec = rec.unwrap();
            let iso = if rec[0].is_empty() { "*" } else { &rec[0] };
            origins.insert(iso.to_string());
            let Some(row) = t.definitive_row(iso, &rec[2]) else {
                differ.push(format!("{iso} {} ({}): not read", &rec[2], &rec[1]));
                continue;
            };
            let want = (
                dec(&rec[4]).unwrap(),
                dec(&rec[5]).unwrap(),
                dec(&rec[6]).unwrap(),
                if rec[7].is_empty() {
                    String::new()
                } else {
                    format!("({})", &rec[7])
                },
            );
            let got = (row.direct, row.indirect, row.total, row.route.clone());
            if got != want {
                differ.push(format!("{iso} {}: {got:?} != {want:?}", &rec[2]));
            }
            n += 1;
        }
        assert!(
            differ.is_empty(),
            "{} rows differ: {:?}",
            differ.len(),
            &differ[..differ.len().min(10)]
        );
        assert_eq!(n, 12_540);
        assert_eq!(origins.len(), 122);
        assert!(origins.contains("NA"));
        // Nothing more than the CSV: as many rows and the same origins.
        let (rows, read_origins) = t.definitive_size();
        assert_eq!(rows, n);
        assert_eq!(
            read_origins,
            origins.iter().map(String::as_str).collect::<Vec<_>>()
        );
        // A TARIC row, a 4-digit row and the fallback, with their source cells.
        let clinker = t.definitive_row("OM", "2523100010").unwrap();
        assert!(
            clinker.source.contains("sheet \"Oman\", row 4"),
            "{}",
            clinker.source
        );
        assert!(t.definitive_row("*", "7205").is_some());
    }

    #[test]
    fn version_1_workbook_reads_whole_and_every_sheet_is_named() {
        let (t, notes) =
            read(&root().join("../shared/reference/official/cbam_default_values.xlsx"));
        let (rows, origins) = t.definitive_size();
        // 122 sheets: Overview, Version History, 119 countries and the fallback.
        assert_eq!(origins.len(), 120, "{origins:?}");
        assert!(origins.contains(&"*") && origins.contains(&"NA") && origins.contains(&"KP"));
        // 12,532 code rows, 12,330 codes once per sheet (openpyxl's count): 2523 10 00 and
        // 2523 90 00 are listed twice in the sheets, the higher total kept, one note each.
        assert_eq!(rows, 12_330);
        assert_eq!(notes.len(), 2, "{notes:?}");
        // The all-origins CSV names the same countries, plus Liberia and New Caledonia (new in the
        // correction).
        let all: std::collections::BTreeSet<String> = csv::Reader::from_path(
            root().join("../shared/reference/default_values_definitive_all_origins.csv"),
        )
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            if r[0].is_empty() {
                "*".to_string()
            } else {
                r[0].to_string()
            }
        })
        .collect();
        let v1: std::collections::BTreeSet<String> =
            origins.iter().map(|o| o.to_string()).collect();
        let new: Vec<&String> = all.difference(&v1).collect();
        assert_eq!(new, ["LR", "NC"]);
        assert!(v1.is_subset(&all));
    }
}
