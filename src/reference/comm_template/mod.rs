//! The Commission's "CBAM Communication template for installations" (v2.1 and v2.1.1): the
//! workbook a non-EU producer sends its importer with the actual specific embedded emissions
//! (SEE) of its goods. Read from the sheet `Summary_Communication` (always in English), using
//! the values Excel cached when the file was saved — the SEE are results of array formulas no
//! reader should re-evaluate. Every value keeps the cell it came from.
//!
//! Cell map, version differences and pitfalls: `docs/domain/communication-template.md`.
//! The version is taken from the workbook itself and every column the map relies on is
//! checked against its header first: a layout that does not match is an error naming the
//! sheet and cell, never a silent misread.

mod checks;

use crate::error::{Error, Result};
use crate::formats::workbook::{Grid, Workbook};
use crate::model::{CnCode, Date, Finding, Sector, Severity};
use calamine::Data;
use checks::{check_file, check_product, MakeFinding};
use rust_decimal::Decimal;
use std::path::Path;
use std::str::FromStr;

pub const SHEET: &str = "Summary_Communication";
const VERSION_SHEET: &str = "VersionDocumentation";
const VERSIONS_SHEET: &str = "0_Versions";
const TEMPLATE_TYPE: &str = "CBAM communication SEE Version 2";
/// Product rows of the summary table.
const FIRST_ROW: u32 = 26;
const LAST_ROW: u32 = 125;

/// Layout versions read exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum TemplateVersion {
    #[serde(rename = "2.1")]
    V2_1,
    #[serde(rename = "2.1.1")]
    V2_1_1,
}

impl TemplateVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateVersion::V2_1 => "2.1",
            TemplateVersion::V2_1_1 => "2.1.1",
        }
    }
    /// v2.1.1 inserted column P (electricity EF): every column from P on moves right by one.
    fn shift(self) -> u32 {
        match self {
            TemplateVersion::V2_1 => 0,
            TemplateVersion::V2_1_1 => 1,
        }
    }
}

/// A text value and the cell it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell<T> {
    pub value: T,
    pub cell: String,
}

#[derive(Debug, Clone, Default)]
pub struct Installation {
    pub name: Option<Cell<String>>,
    pub street: Option<Cell<String>>,
    pub economic_activity: Option<Cell<String>>,
    pub city: Option<Cell<String>>,
    pub country_iso: Option<Cell<String>>,
    /// As typed (`US ABC`) and normalised (`USABC`) in `unlocode_normalised`.
    pub unlocode: Option<Cell<String>>,
    pub latitude: Option<Cell<String>>,
    pub longitude: Option<Cell<String>>,
}

/// The carbon price paid in the country of production, per tonne of product.
#[derive(Debug, Clone, Default)]
pub struct CarbonPrice {
    pub instrument: Option<Cell<String>>,
    pub share_covered: Option<Cell<Decimal>>,
    pub currency: Option<Cell<String>>,
    pub amount_per_t: Option<Cell<Decimal>>,
    pub rebate_type: Option<Cell<String>>,
    pub rebate_share: Option<Cell<Decimal>>,
    pub rebate_per_t: Option<Cell<Decimal>>,
    pub effective_per_t: Option<Cell<Decimal>>,
}

impl CarbonPrice {
    pub fn is_empty(&self) -> bool {
        self.instrument.is_none() && self.amount_per_t.is_none() && self.currency.is_none()
    }
}

/// One used row of the product table.
#[derive(Debug, Clone)]
pub struct TemplateProduct {
    /// Sheet row (26…125).
    pub row: u32,
    pub cn: CnCode,
    pub process: Option<Cell<String>>,
    pub category: Option<Cell<String>>,
    pub cn_name: Option<Cell<String>>,
    pub product_name: Option<Cell<String>>,
    pub direct: Cell<Decimal>,
    pub indirect: Cell<Decimal>,
    pub total: Cell<Decimal>,
    /// `tCO2e/t`, or `tCO2e/MWh` for electricity.
    pub unit: Option<Cell<String>>,
    /// Fraction 0–1 of the emissions taken from default values.
    pub default_share: Option<Cell<Decimal>>,
    pub ef_source: Option<Cell<String>>,
    /// MWh per tonne, precursors included.
    pub embedded_electricity: Option<Cell<Decimal>>,
    /// tCO2/MWh: the v2.1.1 column, or indirect ÷ embedded electricity for v2.1 (then `cell`
    /// names both cells).
    pub electricity_ef: Option<Cell<Decimal>>,
    /// Production route of the process (from `D_Processes`), else of its goods category.
    pub route: Option<Cell<String>>,
    pub carbon_price: CarbonPrice,
    /// `false` when the row's own checks found an error (TP002, TP003): not imported.
    pub usable: bool,
}

/// What one workbook holds.
#[derive(Debug, Clone)]
pub struct TemplateFile {
    pub file_name: String,
    pub sha256: String,
    pub version: TemplateVersion,
    pub installation: Installation,
    pub period_start: Option<Cell<Date>>,
    pub period_end: Option<Cell<Date>>,
    pub products: Vec<TemplateProduct>,
    /// CN codes listed under two processes with different SEE (TP009): none of their rows
    /// can be chosen for a shipment.
    pub ambiguous: Vec<CnCode>,
    /// Checks of the template's own content (TP codes).
    pub findings: Vec<Finding>,
}

/// `A1` → (row, column), both 0-based.
fn addr(a: &str) -> (u32, u32) {
    let split = a.find(|c: char| c.is_ascii_digit()).unwrap_or(a.len());
    let (letters, digits) = a.split_at(split);
    let mut col = 0u32;
    for b in letters.bytes() {
        col = col * 26 + (b.to_ascii_uppercase().saturating_sub(b'A') as u32 + 1);
    }
    (
        digits.parse::<u32>().unwrap_or(1).saturating_sub(1),
        col.saturating_sub(1),
    )
}

/// A column letter moved right by `n`.
fn col_plus(c: &str, n: u32) -> String {
    crate::formats::cells::column_letters((addr(&format!("{c}1")).1 + n) as usize)
}

struct Sheet<'a> {
    name: &'static str,
    range: &'a Grid,
    path: &'a Path,
}

impl Sheet<'_> {
    fn get(&self, a: &str) -> &Data {
        self.range.get_value(addr(a)).unwrap_or(&Data::Empty)
    }

    fn err(&self, cell: &str, message: String) -> Error {
        Error::Data {
            path: self.path.to_path_buf(),
            message: format!("{}!{cell}: {message}", self.name),
        }
    }

    /// The cell as text (trimmed); `None` when empty, `""`, `n.a.` or a "Please select" prompt.
    fn text(&self, a: &str) -> Option<Cell<String>> {
        let v = crate::formats::cells::cell_text(self.get(a))
            .trim()
            .to_string();
        // Unused rows cache "" (their formulas return empty text).
        if v.is_empty() || is_placeholder(&v) {
            return None;
        }
        Some(Cell {
            value: v,
            cell: format!("{}!{a}", self.name),
        })
    }

    /// A number cell: numeric, or text holding a decimal. Text that is not a number is an
    /// error naming the cell (a damaged or hand-edited workbook), never a zero.
    fn number(&self, a: &str, what: &str) -> Result<Option<Cell<Decimal>>> {
        let value = match self.get(a) {
            Data::Empty => return Ok(None),
            Data::Float(f) => decimal_of(*f).ok_or_else(|| {
                self.err(a, format!("{what}: the number {f} cannot be held exactly"))
            })?,
            Data::Int(i) => Decimal::from(*i),
            Data::String(s) => {
                let t = s.trim();
                if t.is_empty() || is_placeholder(t) {
                    return Ok(None);
                }
                Decimal::from_str(t)
                    .or_else(|_| Decimal::from_scientific(t))
                    .map_err(|_| {
                        self.err(
                            a,
                            format!("{what}: expected a number, found the text {t:?}"),
                        )
                    })?
            }
            Data::Error(e) => {
                return Err(self.err(
                    a,
                    format!("{what}: expected a number, found the spreadsheet error {e}"),
                ))
            }
            other => return Err(self.err(a, format!("{what}: expected a number, found {other:?}"))),
        };
        Ok(Some(Cell {
            value,
            cell: format!("{}!{a}", self.name),
        }))
    }

    fn date(&self, a: &str) -> Result<Option<Cell<Date>>> {
        let d = match self.get(a) {
            Data::Empty => return Ok(None),
            Data::DateTime(d) => {
                let (y, m, day, ..) = d.to_ymd_hms_milli();
                Date::parse(&format!("{y:04}-{m:02}-{day:02}"))
            }
            Data::Float(f) => excel_serial_date(*f),
            Data::Int(i) => excel_serial_date(*i as f64),
            Data::DateTimeIso(s) | Data::String(s) => {
                let t = s.trim();
                if t.is_empty() || is_placeholder(t) {
                    return Ok(None);
                }
                Date::parse(t.get(..10).unwrap_or(t))
            }
            _ => None,
        };
        match d {
            Some(value) => Ok(Some(Cell {
                value,
                cell: format!("{}!{a}", self.name),
            })),
            None => Err(self.err(a, format!("expected a date, found {:?}", self.get(a)))),
        }
    }

    fn text_raw(&self, a: &str) -> String {
        match self.get(a) {
            Data::String(s) => s.clone(),
            other => format!("{other:?}"),
        }
    }

    /// The header guard: the cell's cached text must start with `expected`.
    fn expect(&self, a: &str, expected: &str, version: Option<TemplateVersion>) -> Result<()> {
        let found = match self.get(a) {
            Data::String(s) => s.trim().to_string(),
            Data::Empty => String::new(),
            other => format!("{other:?}"),
        };
        if found.starts_with(expected) {
            return Ok(());
        }
        let hint = if found.is_empty() {
            " (empty: a workbook saved without its formulas' cached values — written by a \
             tool and never opened in Excel or LibreOffice — or not the template's layout)"
        } else {
            ""
        };
        Err(self.err(
            a,
            format!(
                "the layout of the Communication template{} does not match: expected a header \
                 starting {expected:?}, found {found:?}{hint}",
                version
                    .map(|v| format!(" v{}", v.as_str()))
                    .unwrap_or_default()
            ),
        ))
    }
}

fn is_placeholder(s: &str) -> bool {
    let l = s.trim().to_ascii_lowercase();
    l == "n.a." || l == "n.a" || l.starts_with("please select")
}

/// The shortest decimal that reads back as `f`: what Excel shows and stored as text.
fn decimal_of(f: f64) -> Option<Decimal> {
    if !f.is_finite() {
        return None;
    }
    let s = format!("{f}");
    Decimal::from_str(&s).ok().map(|d| d.normalize())
}

/// Excel 1900-system serial → date (serial 60 is Excel's fictitious 1900-02-29).
fn excel_serial_date(f: f64) -> Option<Date> {
    if !(61.0..2_958_466.0).contains(&f) {
        return None;
    }
    // 1899-12-30 is serial 0 for every serial after the fictitious leap day.
    let base = Date {
        year: 1899,
        month: 12,
        day: 30,
    }
    .to_days();
    Some(Date::from_days(base + f.floor() as i64))
}

/// Reads one template. `Err` for what cannot be read as the Commission's template (not a
/// workbook, a missing or renamed sheet, a header that does not match, uncached formulas, a
/// text in a number cell); content problems are `findings`.
pub fn read_template(path: &Path) -> Result<TemplateFile> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let sha256 = crate::provenance::sha256_hex(&bytes);
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The workbook is parsed from the bytes the digest was taken of: one read, one version.
    let mut wb = TemplateWorkbook::open(path, &bytes)?;
    let vd_range = wb.range(VERSION_SHEET)?;
    let vd = wb.sheet(VERSION_SHEET, &vd_range);
    vd.expect("B2", TEMPLATE_TYPE, None)?;
    let sc_range = wb.range(SHEET)?;
    let sc = wb.sheet(SHEET, &sc_range);
    let versions_range = wb.range(VERSIONS_SHEET)?;
    let version = template_version(&wb.sheet(VERSIONS_SHEET, &versions_range))?;
    check_headers(&sc, version)?;
    let installation = read_installation(&sc);
    let period_start = sc.date("G20")?;
    let period_end = sc.date("G21")?;
    // Routes: per process from D_Processes (authoritative), else per goods category.
    let dp_range = wb.range("D_Processes").ok();
    let routes = Routes {
        by_process: dp_range
            .as_ref()
            .map(|r| process_routes(&wb.sheet("D_Processes", r)))
            .unwrap_or_default(),
        by_category: category_routes(&sc),
    };
    let finding =
        |code: &'static str, sev: Severity, field: &'static str, cell: &str, msg: String| {
            let mut f = Finding::new(code, sev, msg)
                .file(file_name.clone())
                .field(field);
            f.cell = Some(cell.to_string());
            f
        };
    let mut findings = Vec::new();
    let mut products = Vec::new();
    for row in FIRST_ROW..=LAST_ROW {
        let rows = ProductRows {
            sc: &sc,
            version,
            routes: &routes,
            finding: &finding,
        };
        if let Some(p) = rows.read(row, &mut findings)? {
            products.push(p);
        }
    }
    let ambiguous = check_file(
        &installation,
        &period_start,
        &period_end,
        &products,
        &mut findings,
        &finding,
    );
    Ok(TemplateFile {
        file_name,
        sha256,
        version,
        installation,
        period_start,
        period_end,
        products,
        ambiguous,
        findings,
    })
}

/// The workbook, its sheets read by name.
struct TemplateWorkbook<'a> {
    wb: Workbook<'a>,
    names: Vec<String>,
    path: &'a Path,
}

impl<'a> TemplateWorkbook<'a> {
    fn open(path: &'a Path, bytes: &'a [u8]) -> Result<TemplateWorkbook<'a>> {
        let wb = Workbook::open(path, bytes)?;
        let names = wb.sheet_names().to_vec();
        Ok(TemplateWorkbook { wb, names, path })
    }

    fn range(&mut self, name: &'static str) -> Result<Grid> {
        if !self.names.iter().any(|n| n == name) {
            return Err(Error::Data {
                path: self.path.to_path_buf(),
                message: format!(
                    "no sheet named {name:?}: not the Commission's Communication template, or a \
                     sheet was renamed (the workbook's sheets: {})",
                    self.names.join(", ")
                ),
            });
        }
        self.wb.sheet(name)
    }

    fn sheet<'r>(&self, name: &'static str, range: &'r Grid) -> Sheet<'r>
    where
        'a: 'r,
    {
        Sheet {
            name,
            range,
            path: self.path,
        }
    }
}

/// The version: the last entry of the version list (`0_Versions`), cross-checked by the one
/// header that differs (P25, in `check_headers`).
fn template_version(versions: &Sheet) -> Result<TemplateVersion> {
    let mut listed = None;
    for r in 9..=60 {
        if let Some(c) = versions.text(&format!("E{r}")) {
            if c.value.chars().next().is_some_and(|ch| ch.is_ascii_digit()) {
                listed = Some(c);
            }
        }
    }
    match listed.as_ref().map(|c| c.value.as_str()) {
        Some("2.1") => Ok(TemplateVersion::V2_1),
        Some("2.1.1") => Ok(TemplateVersion::V2_1_1),
        other => Err(versions.err(
            listed
                .as_ref()
                .map(|c| &c.cell[c.cell.find('!').map_or(0, |i| i + 1)..])
                .unwrap_or("E9:E60"),
            format!(
                "template version {}: only versions 2.1 and 2.1.1 are read (their cell maps are checked); \
                 re-enter the data in the current template v2.1.1",
                other.unwrap_or("not found")
            ),
        )),
    }
}

/// Every header the cell map relies on, for the version's layout.
fn check_headers(sc: &Sheet, version: TemplateVersion) -> Result<()> {
    let v = Some(version);
    sc.expect("D12", "Name of the installation", v)?;
    sc.expect("F25", "CN Code", v)?;
    sc.expect("I25", "SEE (direct)", v)?;
    sc.expect("J25", "SEE (indirect)", v)?;
    sc.expect("K25", "SEE (total)", v)?;
    sc.expect("M25", "Share of emissions by default value", v)?;
    sc.expect("N25", "Source for electricity EF", v)?;
    sc.expect("O25", "Embedded electricity", v)?;
    match version {
        TemplateVersion::V2_1 => sc.expect("P25", "The main reducing agent", v)?,
        TemplateVersion::V2_1_1 => sc.expect("P25", "Electricity EF", v)?,
    }
    let total_direct = format!("{}15", col_plus("Z", version.shift()));
    sc.expect(&total_direct, "Total direct emissions", v)
}

fn read_installation(sc: &Sheet) -> Installation {
    Installation {
        name: sc.text("G12"),
        street: sc.text("G13"),
        economic_activity: sc.text("G14"),
        // The template labels G15 "Country:" by mistake; it holds the city.
        city: sc.text("G15"),
        country_iso: sc.text("G16"),
        unlocode: sc.text("G17"),
        latitude: sc.text("G18"),
        longitude: sc.text("G19"),
    }
}

/// A name (process or goods category) and its production routes.
type NamedRoutes = Vec<(String, Vec<Cell<String>>)>;

/// Production routes per process (`D_Processes`) and per goods category (summary I12:O21).
struct Routes {
    by_process: NamedRoutes,
    by_category: NamedRoutes,
}

impl Routes {
    /// The process's only route, else the only route of its goods category's only entry.
    fn of(
        &self,
        process: Option<&Cell<String>>,
        category: Option<&Cell<String>>,
    ) -> Option<Cell<String>> {
        process
            .and_then(|p| self.by_process.iter().find(|(name, _)| *name == p.value))
            .and_then(|(_, routes)| (routes.len() == 1).then(|| routes[0].clone()))
            .or_else(|| {
                let cat = category?;
                let matching: Vec<&(String, Vec<Cell<String>>)> = self
                    .by_category
                    .iter()
                    .filter(|(c, _)| *c == cat.value)
                    .collect();
                match matching.as_slice() {
                    [(_, routes)] if routes.len() == 1 => Some(routes[0].clone()),
                    _ => None,
                }
            })
    }
}

/// The goods categories of the summary (I12:I21) with the routes beside them (J:O).
fn category_routes(sc: &Sheet) -> NamedRoutes {
    let mut out = Vec::new();
    for r in 12..=21 {
        if let Some(cat) = sc.text(&format!("I{r}")) {
            let routes: Vec<Cell<String>> = ["J", "K", "L", "M", "N", "O"]
                .iter()
                .filter_map(|c| sc.text(&format!("{c}{r}")))
                .collect();
            out.push((cat.value, routes));
        }
    }
    out
}

/// The product table of the summary sheet, read row by row.
struct ProductRows<'a> {
    sc: &'a Sheet<'a>,
    version: TemplateVersion,
    routes: &'a Routes,
    finding: &'a MakeFinding<'a>,
}

impl ProductRows<'_> {
    /// The row's product; `None` for an unused row, or one whose CN code or SEE cannot be
    /// imported (a finding says why).
    fn read(&self, row: u32, findings: &mut Vec<Finding>) -> Result<Option<TemplateProduct>> {
        let sc = self.sc;
        let Some(cn_cell) = sc.text(&format!("F{row}")) else {
            return Ok(None);
        };
        let raw = cn_cell.value.replace([' ', '.'], "");
        let Some(cn) = CnCode::normalise(&raw) else {
            findings.push((self.finding)(
                "TP006",
                Severity::Warning,
                "cn_code",
                &cn_cell.cell,
                format!(
                    "row {row}: CN code {:?} is not an 8-digit code; shipments are matched by 8-digit code, so this row is not imported",
                    cn_cell.value
                ),
            ));
            return Ok(None);
        };
        if let Some(f) = self.see_placeholder(row, &cn) {
            findings.push(f);
            return Ok(None);
        }
        let a = |c: &str| format!("{c}{row}");
        let (direct, indirect, total) = self.see(row, &cn)?;
        let process = sc.text(&a("D"));
        let category = sc.text(&a("E"));
        let embedded_electricity = sc.number(&a("O"), "embedded electricity")?;
        let electricity_ef = self.electricity_ef(row, &indirect, &embedded_electricity)?;
        let route = self.routes.of(process.as_ref(), category.as_ref());
        let carbon_price = self.carbon_price(row)?;
        let mut p = TemplateProduct {
            row,
            cn,
            process,
            category,
            cn_name: sc.text(&a("G")),
            product_name: sc.text(&a("H")),
            direct,
            indirect,
            total,
            unit: sc.text(&a("L")),
            default_share: sc.number(&a("M"), "share of default values")?,
            ef_source: sc.text(&a("N")),
            embedded_electricity,
            electricity_ef,
            route,
            carbon_price,
            usable: true,
        };
        p.usable = check_product(&p, findings, self.finding);
        Ok(Some(p))
    }

    /// "n.a." where a figure belongs: the supplier says there is none — a finding, not zero.
    fn see_placeholder(&self, row: u32, cn: &CnCode) -> Option<Finding> {
        let a = |c: &str| format!("{c}{row}");
        let col = ["I", "J", "K"]
            .iter()
            .find(|c| matches!(self.sc.get(&a(c)), Data::String(s) if is_placeholder(s)))?;
        Some((self.finding)(
            "TP010",
            Severity::Warning,
            "see",
            &format!("{SHEET}!{}", a(col)),
            format!(
                "row {row} (CN {}): the SEE cell holds the placeholder {:?} instead of a figure; the row is not imported",
                cn.spaced(),
                self.sc.text_raw(&a(col))
            ),
        ))
    }

    /// SEE direct, indirect, total (I:K); a row naming a CN code must hold all three.
    fn see(&self, row: u32, cn: &CnCode) -> Result<(Cell<Decimal>, Cell<Decimal>, Cell<Decimal>)> {
        let sc = self.sc;
        let a = |c: &str| format!("{c}{row}");
        let (direct, indirect, total) = (
            sc.number(&a("I"), "SEE (direct)")?,
            sc.number(&a("J"), "SEE (indirect)")?,
            sc.number(&a("K"), "SEE (total)")?,
        );
        let (Some(direct), Some(indirect), Some(total)) = (direct, indirect, total) else {
            return Err(sc.err(
                &a("I"),
                format!(
                    "row {row} names CN {} but its SEE cells (I{row}:K{row}) hold no value: the workbook \
                     was saved without its formulas' cached values (written by a tool and never \
                     recalculated). Open and save it in Excel, or run \
                     `soffice --headless --convert-to xlsx` on it, then import again",
                    cn.spaced()
                ),
            ));
        };
        Ok((direct, indirect, total))
    }

    fn electricity_ef(
        &self,
        row: u32,
        indirect: &Cell<Decimal>,
        embedded_electricity: &Option<Cell<Decimal>>,
    ) -> Result<Option<Cell<Decimal>>> {
        Ok(match self.version {
            TemplateVersion::V2_1_1 => self.sc.number(&format!("P{row}"), "electricity EF")?,
            // v2.1 has no EF column: the effective EF is indirect ÷ embedded electricity.
            TemplateVersion::V2_1 => match embedded_electricity {
                Some(o) if !o.value.is_zero() => Some(Cell {
                    value: (indirect.value / o.value).round_dp(6),
                    cell: format!("{}÷O{row}", indirect.cell),
                }),
                _ => None,
            },
        })
    }

    /// The carbon price columns (AL…AY in v2.1, one to the right in v2.1.1).
    fn carbon_price(&self, row: u32) -> Result<CarbonPrice> {
        let sc = self.sc;
        let a = |c: &str| format!("{}{row}", col_plus(c, self.version.shift()));
        Ok(CarbonPrice {
            instrument: sc.text(&a("AL")),
            share_covered: sc.number(&a("AM"), "carbon price share")?,
            currency: sc.text(&a("AP")),
            amount_per_t: sc.number(&a("AQ"), "carbon price due per t")?,
            rebate_type: sc.text(&a("AS")),
            rebate_share: sc.number(&a("AT"), "rebate share")?,
            rebate_per_t: sc.number(&a("AW"), "rebate per t")?,
            effective_per_t: sc.number(&a("AY"), "effective carbon price per t")?,
        })
    }
}

/// Per process block of `D_Processes` (header row 11 + 65·k): its name and the routes with
/// production above zero.
fn process_routes(dp: &Sheet) -> NamedRoutes {
    let mut out = Vec::new();
    for k in 0..10u32 {
        let h = 11 + 65 * k;
        let Some(name) = dp.text(&format!("G{h}")) else {
            continue;
        };
        let mut routes = Vec::new();
        for r in h + 5..=h + 12 {
            let produced = match dp.get(&format!("L{r}")) {
                Data::Float(f) => *f > 0.0,
                Data::Int(i) => *i > 0,
                _ => false,
            };
            if produced {
                if let Some(route) = dp.text(&format!("H{r}")) {
                    routes.push(route);
                }
            }
        }
        out.push((name.value, routes));
    }
    out
}

/// `US ABC` → `USABC`.
pub fn unlocode_normalised(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// The sector of a template's CN code, from the embedded Annex I scope.
pub fn sector_of(scope: &super::scope::AnnexScope, cn: &CnCode) -> Option<Sector> {
    match scope.classify(cn) {
        crate::model::ScopeStatus::InScope(e) => Some(e.sector),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(addr("A1"), (0, 0));
        assert_eq!(addr("G12"), (11, 6));
        assert_eq!(addr("AH15"), (14, 33));
        assert_eq!(col_plus("AQ", 1), "AR");
        assert_eq!(col_plus("Z", 1), "AA");
        assert_eq!(col_plus("AY", 1), "AZ");
    }

    #[test]
    fn serials_and_decimals() {
        assert_eq!(
            excel_serial_date(44927.0).unwrap().to_string(),
            "2023-01-01"
        );
        assert_eq!(
            excel_serial_date(45291.0).unwrap().to_string(),
            "2023-12-31"
        );
        assert_eq!(
            decimal_of(2.0069382352941174).unwrap().to_string(),
            "2.0069382352941174"
        );
        assert_eq!(decimal_of(0.4066).unwrap().to_string(), "0.4066");
        assert_eq!(decimal_of(1e-7).unwrap().to_string(), "0.0000001");
        assert!(decimal_of(f64::NAN).is_none());
        assert_eq!(unlocode_normalised("us abc"), "USABC");
    }
}
