//! Domain types shared by every pipeline stage. Stages pass these one way:
//! intake → enrich → calculate → assemble → validate → write.

use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt;

/// The 27 member states of the Union (ISO 3166-1 alpha-2).
pub const EU27: [&str; 27] = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
];

pub fn is_eu27(cc: &str) -> bool {
    cc.len() == 2 && EU27.contains(&cc)
}

/// Annex III of Reg (EU) 2023/956: countries whose goods are outside CBAM (IS, LI, NO, CH).
pub const ANNEX_III: [&str; 4] = ["IS", "LI", "NO", "CH"];

/// ISO 3166-1 alpha-2 country codes (and XK, Kosovo, as EU customs use it): `data/iso3166_countries.csv`.
static COUNTRY_CODES: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
    std::sync::LazyLock::new(|| {
        crate::embedded::COUNTRIES
            .1
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').next())
            .collect()
    });

/// Whether `code` is a country code of ISO 3166-1 (or XK, Kosovo): `OTHER`, `XX`, `EU` are not.
pub fn is_country_code(code: &str) -> bool {
    COUNTRY_CODES.contains(code)
}

/// The 16 columns of the production system's shipments export, in its order.
pub const SHIPMENT_COLUMNS: [&str; 16] = [
    "shipment_id",
    "import_date",
    "quarter",
    "cn_code",
    "product_group",
    "product_description",
    "origin_iso",
    "origin_country",
    "importer_name",
    "importer_country",
    "net_mass_kg",
    "port_of_entry",
    "importer_reference",
    "has_actual_emissions",
    "supplier_id",
    "notes",
];

/// Keys the report gives each `detailed_goods` entry beside the shipment's columns: an extra
/// column of the input named like one (in any case) is refused, so an entry never holds a key
/// twice.
pub const RESERVED_KEYS: [&str; 5] = [
    "cn_code_original",
    "_file",
    "_row",
    "_enrichment",
    "emissions_calculation",
];

/// Columns without which a row cannot be calculated (the production system's E001 set).
pub const REQUIRED_COLUMNS: [&str; 6] = [
    "shipment_id",
    "import_date",
    "quarter",
    "cn_code",
    "origin_iso",
    "net_mass_kg",
];

/// Index of each known column inside `ShipmentRow::fields`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Col {
    ShipmentId = 0,
    ImportDate,
    Quarter,
    CnCode,
    ProductGroup,
    ProductDescription,
    OriginIso,
    OriginCountry,
    ImporterName,
    ImporterCountry,
    NetMassKg,
    PortOfEntry,
    ImporterReference,
    HasActualEmissions,
    SupplierId,
    Notes,
}

impl Col {
    pub fn name(self) -> &'static str {
        SHIPMENT_COLUMNS[self as usize]
    }
}

/// One input row as read, text only: nothing is interpreted at intake except the layout.
/// The 16 known fields live in one buffer (one allocation per row, not sixteen: a million-row
/// file is the normal case); `get` returns the value of a column, empty when it is absent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShipmentRow {
    /// 1-based data row number (the header is row 0).
    pub row: u64,
    /// 1-based physical line where the record starts.
    pub line: u64,
    buf: String,
    ends: [u32; 16],
    /// Columns outside the 16 known ones, kept in input column order.
    pub extra: Vec<(std::sync::Arc<str>, String)>,
}

impl ShipmentRow {
    /// `fields[i]` is the (already trimmed) value of `SHIPMENT_COLUMNS[i]`.
    pub fn new(row: u64, line: u64, fields: [&str; 16]) -> ShipmentRow {
        let mut buf = String::with_capacity(fields.iter().map(|f| f.len()).sum());
        let mut ends = [0u32; 16];
        for (i, f) in fields.iter().enumerate() {
            buf.push_str(f);
            ends[i] = buf.len() as u32;
        }
        ShipmentRow {
            row,
            line,
            buf,
            ends,
            extra: Vec::new(),
        }
    }
    /// From raw field bytes: each is trimmed of ASCII whitespace; the row is validated as
    /// UTF-8 once (not per field). Invalid UTF-8 is replaced (U+FFFD), never a panic.
    pub fn from_bytes(row: u64, line: u64, fields: [&[u8]; 16]) -> ShipmentRow {
        Self::from_bytes_checked(row, line, fields)
    }

    /// `from_bytes` for fields cut from text already validated as UTF-8 (the intake body is
    /// checked whole, or decoded from Latin-1): the per-row check is skipped in release builds.
    pub fn from_valid_utf8_fields(row: u64, line: u64, fields: [&[u8]; 16]) -> ShipmentRow {
        let mut buf: Vec<u8> = Vec::with_capacity(fields.iter().map(|f| f.len()).sum());
        let mut ends = [0u32; 16];
        for (i, f) in fields.iter().enumerate() {
            buf.extend_from_slice(f.trim_ascii());
            ends[i] = buf.len() as u32;
        }
        debug_assert!(std::str::from_utf8(&buf).is_ok());
        // SAFETY: every field is a piece of valid UTF-8 text cut at ASCII bytes (delimiters,
        // quotes, line ends) and trimmed of ASCII whitespace; csv only unescapes `""` to `"`.
        // Pieces of valid UTF-8 cut at ASCII boundaries, and their concatenation, are valid.
        let buf = unsafe { String::from_utf8_unchecked(buf) };
        ShipmentRow {
            row,
            line,
            buf,
            ends,
            extra: Vec::new(),
        }
    }

    fn from_bytes_checked(row: u64, line: u64, fields: [&[u8]; 16]) -> ShipmentRow {
        let mut buf: Vec<u8> = Vec::with_capacity(fields.iter().map(|f| f.len()).sum());
        let mut ends = [0u32; 16];
        for (i, f) in fields.iter().enumerate() {
            buf.extend_from_slice(f.trim_ascii());
            ends[i] = buf.len() as u32;
        }
        match String::from_utf8(buf) {
            Ok(buf) => ShipmentRow {
                row,
                line,
                buf,
                ends,
                extra: Vec::new(),
            },
            Err(e) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|f| String::from_utf8_lossy(f.trim_ascii()).into_owned())
                    .collect();
                let _ = e;
                let refs: [&str; 16] = std::array::from_fn(|i| fields[i].as_str());
                ShipmentRow::new(row, line, refs)
            }
        }
    }
    pub fn get(&self, c: Col) -> &str {
        self.field(c as usize)
    }

    /// The row as bytes for the tool's own temporary files (`fsio::codec`), the row number
    /// first (`put_row`, so a batch of rows can be renumbered in place).
    pub fn encode(&self, out: &mut Vec<u8>) {
        use crate::fsio::codec::{put_row, put_str, put_u64};
        put_row(out, Some(self.row));
        put_u64(out, self.line);
        for i in 0..SHIPMENT_COLUMNS.len() {
            put_str(out, self.field(i));
        }
        put_u64(out, self.extra.len() as u64);
        for (k, v) in &self.extra {
            put_str(out, k);
            put_str(out, v);
        }
    }

    /// What `encode` wrote (rebuilt field by field, so no offset is taken on trust).
    pub fn decode(d: &mut crate::fsio::codec::Decoder) -> std::io::Result<ShipmentRow> {
        let row = d.row()?.ok_or_else(crate::fsio::codec::corrupt)?;
        let line = d.u64()?;
        let mut fields: [&str; 16] = [""; 16];
        for f in &mut fields {
            *f = d.str()?;
        }
        let mut r = ShipmentRow::new(row, line, fields);
        let n = d.u64()?;
        for _ in 0..n {
            let k = d.str()?;
            r.extra.push((std::sync::Arc::from(k), d.string()?));
        }
        Ok(r)
    }
    /// The value of an extra column (one beyond the 16 of the export), by name, any case.
    pub fn extra_value(&self, name: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn field(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.buf[start..self.ends[i] as usize]
    }
}

/// A calendar quarter, e.g. 2025Q4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Quarter {
    pub year: i32,
    pub q: u8,
}

impl Quarter {
    /// Parses the export's `YYYYQn` form (also accepts `YYYY-Qn` and lower-case `q`? No:
    /// the production system's regex is `^(\d{4})Q([1-4])$`, and a report must name one quarter
    /// unambiguously, so only that form is accepted).
    pub fn parse(s: &str) -> Option<Quarter> {
        let b = s.as_bytes();
        if b.len() != 6 || b[4] != b'Q' || !b[..4].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let q = b[5].wrapping_sub(b'0');
        if !(1..=4).contains(&q) {
            return None;
        }
        let year = s[..4].parse().ok()?;
        Some(Quarter { year, q })
    }
    /// A quarter as people write it on a command line: `2025Q4`, `Q4-2025` (the runbook's
    /// form) or `2025-Q4`.
    pub fn parse_flag(s: &str) -> Option<Quarter> {
        let s = s.trim();
        if let Some(q) = Quarter::parse(s) {
            return Some(q);
        }
        let (year, q) = match s.split_once('-')? {
            (q, y) if q.starts_with('Q') => (y, q),
            (y, q) => (y, q),
        };
        Quarter::parse(&format!("{year}{q}"))
    }
    pub fn of_date(d: Date) -> Quarter {
        Quarter {
            year: d.year,
            q: (d.month - 1) / 3 + 1,
        }
    }
    pub fn start(self) -> Date {
        Date {
            year: self.year,
            month: (self.q - 1) * 3 + 1,
            day: 1,
        }
    }
    pub fn end(self) -> Date {
        let month = self.q * 3;
        Date {
            year: self.year,
            month,
            day: days_in_month(self.year, month),
        }
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Q{}", self.year, self.q)
    }
}

/// A calendar date (proleptic Gregorian), parsed strictly from `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

pub fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub fn days_in_month(y: i32, m: u8) -> u8 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

impl Date {
    /// Strict ISO date. A trailing time part (`2025-10-15T00:00:00`, `2025-10-15 00:00:00`)
    /// is accepted only when it is midnight, because spreadsheets and pandas exports add it.
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        // `get`, not slicing: byte 10 of user text may fall inside a multi-byte character
        // (`2025-10-0é`, full-width digits), which is simply not a date.
        let (date, rest) = (s.get(..10)?, s.get(10..)?);
        if !rest.is_empty() {
            let rest = rest.trim_start_matches(['T', ' ']);
            let rest = rest.trim_end_matches('Z');
            if !(rest == "00:00:00" || rest == "00:00" || rest == "00:00:00.000") {
                return None;
            }
        }
        let b = date.as_bytes();
        if b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |r: std::ops::Range<usize>| -> Option<u32> {
            let mut v = 0u32;
            for &c in &b[r] {
                if !c.is_ascii_digit() {
                    return None;
                }
                v = v * 10 + (c - b'0') as u32;
            }
            Some(v)
        };
        let year = digits(0..4)? as i32;
        let month = digits(5..7)? as u8;
        let day = digits(8..10)? as u8;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Days since 1970-01-01 (for deadline arithmetic and epoch conversions).
    pub fn to_days(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = if self.month <= 2 {
            self.year - 1
        } else {
            self.year
        } as i64;
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let m = self.month as i64;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + self.day as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146097 + doe - 719468
    }

    pub fn from_days(z: i64) -> Date {
        let z = z + 719468;
        let era = if z >= 0 { z } else { z - 146096 } / 146097;
        let doe = z - era * 146097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        Date {
            year: (if m <= 2 { y + 1 } else { y }) as i32,
            month: m,
            day: d,
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// An 8-digit CN code, normalised (spaces and dots removed, leading zeros kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CnCode(pub [u8; 8]);

impl CnCode {
    /// Normalises `7208 10 00`, `7208.10.00` and `72081000` to `72081000`.
    /// Returns `None` unless exactly 8 ASCII digits remain.
    pub fn normalise(s: &str) -> Option<CnCode> {
        let mut out = [0u8; 8];
        let mut n = 0;
        for &c in s.trim().as_bytes() {
            match c {
                b'0'..=b'9' => {
                    if n == 8 {
                        return None;
                    }
                    out[n] = c;
                    n += 1;
                }
                b' ' | b'.' => {}
                _ => return None,
            }
        }
        (n == 8).then_some(CnCode(out))
    }
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("00000000")
    }
    /// Electrical energy, CN 2716 00 00: declared in MWh, not in tonnes.
    pub fn is_electricity(&self) -> bool {
        &self.0 == b"27160000"
    }
    /// `7208 10 00`, the way the Combined Nomenclature prints codes.
    pub fn spaced(&self) -> String {
        let s = self.as_str();
        format!("{} {} {}", &s[..4], &s[4..6], &s[6..])
    }
}

impl fmt::Display for CnCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// CBAM sectors of Annex I.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sector {
    Cement,
    Electricity,
    Fertilisers,
    IronSteel,
    Aluminium,
    Hydrogen,
}

impl Sector {
    pub fn parse(s: &str) -> Option<Sector> {
        Some(match s.trim() {
            "cement" => Sector::Cement,
            "electricity" => Sector::Electricity,
            "fertilisers" | "fertilizers" | "fertiliser" | "fertilizer" => Sector::Fertilisers,
            "iron_steel" | "iron and steel" | "steel" | "iron" => Sector::IronSteel,
            "aluminium" | "aluminum" => Sector::Aluminium,
            "hydrogen" | "chemicals" => Sector::Hydrogen,
            _ => return None,
        })
    }
    /// `parse`, ignoring ASCII case, without allocating (it runs once per row).
    pub fn parse_ignore_case(s: &str) -> Option<Sector> {
        let t = s.trim();
        if t.len() > 16 {
            return None;
        }
        let mut buf = [0u8; 16];
        for (i, b) in t.bytes().enumerate() {
            buf[i] = b.to_ascii_lowercase();
        }
        std::str::from_utf8(&buf[..t.len()])
            .ok()
            .and_then(Sector::parse)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Sector::Cement => "cement",
            Sector::Electricity => "electricity",
            Sector::Fertilisers => "fertilisers",
            Sector::IronSteel => "iron_steel",
            Sector::Aluminium => "aluminium",
            Sector::Hydrogen => "hydrogen",
        }
    }
    /// The production system's product_group vocabulary (used in its reports and supplier files).
    pub fn product_group(self) -> &'static str {
        match self {
            Sector::Cement => "cement",
            Sector::Electricity => "electricity",
            Sector::Fertilisers => "fertilizers",
            Sector::IronSteel => "steel",
            Sector::Aluminium => "aluminum",
            Sector::Hydrogen => "hydrogen",
        }
    }
}

/// How the Annex I scope classifies a CN code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeStatus {
    /// In scope; the matching Annex I entry.
    InScope(std::sync::Arc<ScopeEntryRef>),
    /// Named by an explicit exception (e.g. 7204 ferrous scrap).
    Excluded(std::sync::Arc<ScopeEntryRef>),
    /// No Annex I entry covers it.
    NotListed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeEntryRef {
    pub code: String,
    pub sector: Sector,
    pub gases: String,
    /// Annex II: only direct emissions count in the definitive period.
    pub annex_ii: bool,
    pub description: String,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A problem or remark about the data. Findings are data, never errors: every one ends up in
/// `validation_results`, with enough context to find the cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// A pipeline code (IN0xx, CA0xx, RP0xx) or the id of the rule that found it.
    pub code: std::borrow::Cow<'static, str>,
    pub severity: Severity,
    #[serde(skip_serializing_if = "crate::provenance::absent_or_hidden_in_identity")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    /// For rule findings: the JSON path in the report (e.g. `detailed_goods[3].cn_code`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// For findings in a workbook: `Sheet!A1` (a Communication template's cell).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    pub message: String,
}

/// The keys of the report's `validation_results` that hold one entry per finding or rejected
/// row: bytes on disk past a budget, never read by the rules.
pub const LIST_KEYS: [&str; 4] = ["errors", "warnings", "infos", "rejected_rows"];

/// Whether any of `findings` has severity error.
pub fn any_error(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

impl Finding {
    pub fn new(code: &'static str, severity: Severity, message: impl Into<String>) -> Finding {
        Finding {
            code: std::borrow::Cow::Borrowed(code),
            severity,
            file: None,
            row: None,
            line: None,
            shipment_id: None,
            field: None,
            path: None,
            cell: None,
            expected: None,
            found: None,
            message: message.into(),
        }
    }
    pub fn at_row(mut self, row: &ShipmentRow) -> Finding {
        self.row = Some(row.row);
        self.line = Some(row.line);
        let id = row.get(Col::ShipmentId);
        if !id.is_empty() {
            self.shipment_id = Some(truncate_for_message(id));
        }
        self
    }
    pub fn field(mut self, f: &'static str) -> Finding {
        self.field = Some(f);
        self
    }
    pub fn expected(mut self, e: impl Into<String>) -> Finding {
        self.expected = Some(e.into());
        self
    }
    pub fn found(mut self, v: &str) -> Finding {
        self.found = Some(truncate_for_message(v));
        self
    }
    pub fn file(mut self, f: impl Into<String>) -> Finding {
        self.file = Some(f.into());
        self
    }
    /// Order used everywhere findings are listed: by row, then code, then field, then message.
    /// Order of findings in a report; the file comes last, so it only decides between the
    /// same finding on the same row of two input files.
    pub fn sort_key(&self) -> (u64, &str, &str, &str, &str, &str) {
        (
            self.row.unwrap_or(0),
            &self.code,
            self.field.unwrap_or(""),
            self.path.as_deref().unwrap_or(""),
            &self.message,
            self.file.as_deref().unwrap_or(""),
        )
    }
}

/// Text from the data as it may be printed on a terminal, one line: a control character (a
/// newline would forge a line of output, an ESC would drive the terminal) and a bidirectional
/// override (which would reorder what is shown) written as a Rust-style escape (`\u{1b}`);
/// everything else as it is.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    let odd =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !s.chars().any(odd) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if odd(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Quoting a 1 MB field in a message helps nobody; cut it, saying so.
pub fn truncate_for_message(s: &str) -> String {
    const MAX: usize = 80;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}

/// Which calculation period a shipment falls in (by import date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// 2023-10-01 … 2025-12-31: quarterly reports, global default values per CN code.
    Transitional,
    /// From 2026-01-01: annual declaration, default values per origin with mark-ups.
    Definitive,
}

impl Period {
    pub fn of(d: Date) -> Period {
        if d.year >= 2026 {
            Period::Definitive
        } else {
            Period::Transitional
        }
    }
}

/// A shipment that passed intake checks and was enriched: every field interpreted.
#[derive(Debug, Clone)]
pub struct Shipment {
    pub row: ShipmentRow,
    pub cn: CnCode,
    pub import_date: Date,
    pub quarter: Quarter,
    /// 0 for electricity, which has no mass (its quantity is `quantity_mwh`).
    pub net_mass_kg: Decimal,
    /// Electricity (CN 2716 00 00): the energy imported, from the extra column `quantity_mwh`.
    pub quantity_mwh: Option<Decimal>,
    pub scope: ScopeStatus,
    /// Whether the row asks for supplier actuals (`has_actual_emissions` = YES).
    pub wants_actuals: bool,
    pub supplier_id: Option<String>,
}

impl Shipment {
    pub fn origin_iso(&self) -> &str {
        self.row.get(Col::OriginIso)
    }

    /// The origin as two bytes, for table keys (checked to be two letters before any
    /// calculation; `?` stands in otherwise).
    pub fn origin_bytes(&self) -> [u8; 2] {
        let o = self.origin_iso().as_bytes();
        [
            o.first().copied().unwrap_or(b'?'),
            o.get(1).copied().unwrap_or(b'?'),
        ]
    }

    /// The Annex I sector of the CN code (also for excluded codes), when listed.
    pub fn sector(&self) -> Option<Sector> {
        match &self.scope {
            ScopeStatus::InScope(e) | ScopeStatus::Excluded(e) => Some(e.sector),
            ScopeStatus::NotListed => None,
        }
    }

    /// Annex II goods (iron and steel, aluminium, hydrogen, electricity): from 2026 only
    /// their direct emissions count.
    pub fn annex_ii(&self) -> bool {
        matches!(&self.scope, ScopeStatus::InScope(e) if e.annex_ii)
    }

    /// The optional extra column `taric_code`: `Ok(None)` when absent or empty, `Ok(Some(last
    /// two digits))` for 10 digits starting with the CN code, `Err(text)` otherwise.
    pub fn taric_suffix(&self) -> Result<Option<[u8; 2]>, &str> {
        let Some((_, v)) = self
            .row
            .extra
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("taric_code"))
        else {
            return Ok(None);
        };
        let digits: Vec<u8> = v.bytes().filter(|b| !matches!(b, b' ' | b'.')).collect();
        if digits.is_empty() {
            return Ok(None);
        }
        if digits.len() == 10 && digits.iter().all(u8::is_ascii_digit) && digits[..8] == self.cn.0 {
            Ok(Some([digits[8], digits[9]]))
        } else {
            Err(v.as_str())
        }
    }
}

/// Calculation method, in the production system's vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    ActualData,
    DefaultValues,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::ActualData => "actual_data",
            Method::DefaultValues => "default_values",
        }
    }
}

/// A specific-embedded-emissions factor (tCO2e per tonne of good) with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmissionFactor {
    /// Stable id, listed once in the report's provenance and referenced by each line.
    pub id: String,
    pub direct: Decimal,
    pub indirect: Decimal,
    /// The total the source states; may differ from direct + indirect by the source's rounding.
    pub total: Decimal,
    /// The code (or prefix) of the table row that matched.
    pub matched_code: String,
    pub description: String,
    /// The full source text (listed once, in provenance.factors_used).
    pub source: String,
    /// A short name of the source, repeated on each line (`emission_factor_source`).
    pub label: String,
    /// official, gov-copy, agrees-with-verified, heading-representative, supplier, user-file …
    pub confidence: String,
    pub data_quality: String,
    /// The production route the default-value table gives (`(C)`, `(C)/(F)`, …), else empty.
    pub route: String,
}

/// The result for one calculated shipment.
#[derive(Debug, Clone)]
pub struct Line {
    pub shipment: Shipment,
    pub method: Method,
    /// Shared: a million lines on one default value point at one factor.
    pub factor: std::sync::Arc<EmissionFactor>,
    pub mass_tonnes: Decimal,
    /// Definitive-period default-value mark-up as a fraction (0.10 = 10 %), if applied.
    pub markup: Option<Decimal>,
    pub direct: Decimal,
    pub indirect: Decimal,
    pub total: Decimal,
    /// Why this factor: the decision trail, one sentence per step (shared where lines agree).
    pub reasons: std::sync::Arc<[std::sync::Arc<str>]>,
    /// Where this line departs from what the production system would have done.
    pub departures: std::sync::Arc<[std::sync::Arc<str>]>,
}

/// A row that was read but not calculated, with every reason.
#[derive(Debug, Clone, Serialize)]
pub struct RejectedRow {
    /// The input file, when a report reads several.
    #[serde(skip_serializing_if = "crate::provenance::absent_or_hidden_in_identity")]
    pub file: Option<String>,
    pub row: u64,
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipment_id: Option<String>,
    /// `rejected` (errors) or `out_of_scope` (not a CBAM good).
    pub status: &'static str,
    pub codes: Vec<&'static str>,
}
