//! Enrich: interpret and check every field of every row; classify the CN code against
//! Annex I. A row comes out as a `Shipment` or as a rejection listing *every* reason.

use crate::formats::dialect::{self, DecimalMark};
use crate::model::{
    is_eu27, CnCode, Col, Date, Finding, Quarter, RejectedRow, ScopeStatus, Sector, Severity,
    Shipment, ShipmentRow, ANNEX_III,
};
use crate::reference::policy::{DateOutsideQuarter, OutOfScope};
use crate::reference::ReferenceData;
use rust_decimal::Decimal;
use rustc_hash::FxHashSet as HashSet;
use std::str::FromStr;

/// The required columns (see `REQUIRED_COLUMNS`), as indices.
const REQUIRED: [Col; 6] = [
    Col::ShipmentId,
    Col::ImportDate,
    Col::Quarter,
    Col::CnCode,
    Col::OriginIso,
    Col::NetMassKg,
];

/// The largest mass accepted for one shipment: 10^9 kg (a million tonnes).
pub const MAX_MASS_KG: u64 = 1_000_000_000;

/// The first day the CBAM reporting obligation covered (Art. 32 of Reg. 2023/956).
pub const CBAM_START: Date = Date {
    year: 2023,
    month: 10,
    day: 1,
};

/// What the checks found; a valid row's parsed values are moved into the `Shipment` with the row.
struct Parsed {
    cn: CnCode,
    import_date: Date,
    quarter: Quarter,
    net_mass_kg: Decimal,
    quantity_mwh: Option<Decimal>,
    scope: ScopeStatus,
    wants_actuals: bool,
}

enum Outcome {
    Ok(Parsed, Vec<Finding>),
    OutOfScope(Vec<Finding>),
    Rejected(Vec<Finding>),
}

/// Ids that appear on more than one row of the whole input. Every row sharing such an id is
/// rejected, so the result does not depend on which copy came first.
pub type DuplicateIds = HashSet<String>;

/// A 64-bit fingerprint of a shipment id (for finding duplicates without keeping the ids).
pub fn id_fingerprint(id: &str) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = rustc_hash::FxBuildHasher.build_hasher();
    h.write(id.as_bytes());
    h.write_u8(0xff);
    h.finish()
}

/// Checks rows one at a time (a chunk's rows stream through it; chunks run in parallel).
pub struct Checker<'a> {
    refdata: &'a ReferenceData,
    /// The quarter given with `--quarter`, if any.
    report_quarter: Option<Quarter>,
    /// The calendar year of an annual report (`--period YYYY`), if any.
    report_year: Option<i32>,
    file: &'a str,
    dups: &'a DuplicateIds,
    /// Annex I classification per CN code: a file has few distinct codes.
    scope_memo: rustc_hash::FxHashMap<CnCode, ScopeStatus>,
    /// How the file writes the decimal mark of `net_mass_kg` and `quantity_mwh`.
    decimal: DecimalMark,
}

impl<'a> Checker<'a> {
    /// An annual report: rows of another calendar year are rejected (IN007).
    pub fn for_year(mut self, year: Option<i32>) -> Self {
        self.report_year = year;
        self
    }

    /// Numbers of a file written with a decimal comma (`--decimal-comma`, or detected).
    pub fn with_decimal_mark(mut self, mark: DecimalMark) -> Self {
        self.decimal = mark;
        self
    }

    pub fn new(
        refdata: &'a ReferenceData,
        report_quarter: Option<Quarter>,
        file: &'a str,
        dups: &'a DuplicateIds,
    ) -> Self {
        Checker {
            refdata,
            report_quarter,
            report_year: None,
            file,
            dups,
            scope_memo: Default::default(),
            decimal: DecimalMark::Point,
        }
    }

    fn is_dup(&self, row: &ShipmentRow) -> bool {
        !self.dups.is_empty() && self.dups.contains(row.get(Col::ShipmentId))
    }

    /// A row intake could not lay out: rejected with its findings (and the duplicate finding).
    pub fn broken(
        &self,
        row: ShipmentRow,
        mut findings: Vec<Finding>,
        out: &mut Vec<Finding>,
    ) -> RejectedRow {
        if self.is_dup(&row) {
            findings.push(dup_finding(&row, self.file));
        }
        let r = rejected(&row, "rejected", &findings);
        out.extend(findings);
        r
    }

    /// Checks every field; findings go to `out`. A valid row becomes a `Shipment`.
    pub fn check(
        &mut self,
        row: ShipmentRow,
        out: &mut Vec<Finding>,
    ) -> Result<Shipment, RejectedRow> {
        let is_dup = self.is_dup(&row);
        match check_row(&row, self, is_dup) {
            Outcome::Ok(p, f) => {
                out.extend(f);
                let supplier = row.get(Col::SupplierId);
                let supplier_id = (!supplier.is_empty()).then(|| supplier.to_string());
                Ok(Shipment {
                    row,
                    cn: p.cn,
                    import_date: p.import_date,
                    quarter: p.quarter,
                    net_mass_kg: p.net_mass_kg,
                    quantity_mwh: p.quantity_mwh,
                    scope: p.scope,
                    wants_actuals: p.wants_actuals,
                    supplier_id,
                })
            }
            Outcome::OutOfScope(f) => {
                let r = rejected(&row, "out_of_scope", &f);
                out.extend(f);
                Err(r)
            }
            Outcome::Rejected(f) => {
                let r = rejected(&row, "rejected", &f);
                out.extend(f);
                Err(r)
            }
        }
    }

    fn classify(&mut self, cn: CnCode) -> ScopeStatus {
        if let Some(s) = self.scope_memo.get(&cn) {
            return s.clone();
        }
        // A chunk-local copy of the entry: cloning one shared Arc from every thread would make
        // its reference count a contended cache line (measured: 6 % of a run).
        let s = match self.refdata.scope.classify(&cn) {
            ScopeStatus::InScope(e) => ScopeStatus::InScope(std::sync::Arc::new((*e).clone())),
            ScopeStatus::Excluded(e) => ScopeStatus::Excluded(std::sync::Arc::new((*e).clone())),
            ScopeStatus::NotListed => ScopeStatus::NotListed,
        };
        self.scope_memo.insert(cn, s.clone());
        s
    }
}

fn rejected(row: &ShipmentRow, status: &'static str, f: &[Finding]) -> RejectedRow {
    let mut codes: Vec<&'static str> = f
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .filter_map(|f| crate::codes::info(&f.code).map(|c| c.code))
        .collect();
    codes.dedup();
    let id = row.get(Col::ShipmentId);
    RejectedRow {
        file: None,
        row: row.row,
        line: row.line,
        shipment_id: (!id.is_empty()).then(|| crate::model::truncate_for_message(id)),
        status,
        codes,
    }
}

fn dup_finding(row: &ShipmentRow, file: &str) -> Finding {
    Finding::new(
        "IN010",
        Severity::Error,
        "shipment_id appears on more than one row; every row with this id is rejected",
    )
    .file(file)
    .at_row(row)
    .field("shipment_id")
    .expected("a unique shipment_id")
    .found(row.get(Col::ShipmentId))
}

/// The findings of one row, each naming the file, row and field.
struct RowFindings<'r> {
    row: &'r ShipmentRow,
    file: &'r str,
    found: Vec<Finding>,
}

impl RowFindings<'_> {
    fn push(&mut self, code: &'static str, sev: Severity, col: Col, msg: String, expected: &str) {
        self.found.push(
            Finding::new(code, sev, msg)
                .file(self.file)
                .at_row(self.row)
                .field(col.name())
                .expected(expected)
                .found(self.row.get(col)),
        );
    }

    /// IN001 for each empty required field (electricity needs no mass).
    fn required(&mut self, electricity: bool) {
        for col in REQUIRED {
            let skip = electricity && col == Col::NetMassKg;
            let (col, name) = (col as usize, col.name());
            if !skip && self.row.field(col).is_empty() {
                self.found.push(
                    Finding::new(
                        "IN001",
                        Severity::Error,
                        format!("required field {name} is empty"),
                    )
                    .file(self.file)
                    .at_row(self.row)
                    .field(crate::model::SHIPMENT_COLUMNS[col])
                    .expected("a value"),
                );
            }
        }
    }

    /// IN002 when the row's CN code text (`parsed` is its normalised form) is not 8 digits.
    fn cn(&mut self, parsed: Option<CnCode>) -> Option<CnCode> {
        let cn_text = self.row.get(Col::CnCode);
        if cn_text.is_empty() {
            return None;
        }
        let c = parsed;
        if c.is_none() {
            self.push(
                "IN002",
                Severity::Error,
                Col::CnCode,
                format!("CN code {cn_text:?} is not 8 digits"),
                "8 digits (spaces or dots allowed: 7208 10 00)",
            );
        }
        c
    }

    fn date(&mut self) -> Option<Date> {
        let date_text = self.row.get(Col::ImportDate);
        if date_text.is_empty() {
            return None;
        }
        let d = Date::parse(date_text);
        match d {
            None => self.push(
                "IN004",
                Severity::Error,
                Col::ImportDate,
                format!("import_date {date_text:?} is not a valid date"),
                "YYYY-MM-DD",
            ),
            Some(d) if d < CBAM_START => self.push(
                "IN017",
                Severity::Error,
                Col::ImportDate,
                format!(
                    "import_date {d} is before the CBAM reporting obligation began ({CBAM_START})"
                ),
                "2023-10-01 or later",
            ),
            _ => {}
        }
        d
    }

    fn quarter(&mut self) -> Option<Quarter> {
        let q_text = self.row.get(Col::Quarter);
        if q_text.is_empty() {
            return None;
        }
        let q = Quarter::parse(q_text);
        if q.is_none() {
            self.push(
                "IN006",
                Severity::Error,
                Col::Quarter,
                format!("quarter {q_text:?} is not of the form YYYYQn"),
                "YYYYQn, e.g. 2025Q4",
            );
        }
        q
    }

    /// The date inside the row's quarter (IN005), the row inside the report's quarter or year
    /// (IN007).
    fn period(&mut self, date: Option<Date>, quarter: Option<Quarter>, checker: &Checker<'_>) {
        if let (Some(d), Some(q)) = (date, quarter) {
            if Quarter::of_date(d) != q {
                let sev = match checker.refdata.policy.date_outside_quarter {
                    DateOutsideQuarter::Error => Severity::Error,
                    DateOutsideQuarter::Warning => Severity::Warning,
                };
                self.push(
                    "IN005",
                    sev,
                    Col::ImportDate,
                    format!(
                        "import_date {d} lies outside the stated quarter {q} ({} … {})",
                        q.start(),
                        q.end()
                    ),
                    &format!("a date in {q}"),
                );
            }
        }
        if let (Some(rq), Some(q)) = (checker.report_quarter, quarter) {
            if rq != q {
                self.push(
                    "IN007",
                    Severity::Error,
                    Col::Quarter,
                    format!("row is for {q}, the report is for {rq} (--quarter)"),
                    &rq.to_string(),
                );
            }
        }
        if let (Some(y), Some(q)) = (checker.report_year, quarter) {
            if q.year != y {
                self.push(
                    "IN007",
                    Severity::Error,
                    Col::Quarter,
                    format!("row is for {q}, the report is for the year {y} (--period)"),
                    &format!("a quarter of {y}"),
                );
            }
        }
    }

    fn mass(&mut self, mark: DecimalMark) -> Option<Decimal> {
        let mass_text = self.row.get(Col::NetMassKg);
        if mass_text.is_empty() {
            return None;
        }
        let (msg, expected) = match parse_number(mass_text, mark) {
            // A single shipment above a million tonnes is a typo or an attack; bounding it keeps
            // every sum far inside Decimal's range (no overflow, no panic, on any number of rows).
            Ok(m) if m > Decimal::from(MAX_MASS_KG) => (
                format!("net_mass_kg {mass_text} is more than {MAX_MASS_KG} kg (a million tonnes) for one shipment"),
                "a realistic mass in kilograms",
            ),
            Ok(m) if m > Decimal::ZERO => return Some(m),
            Ok(_) => (
                format!("net_mass_kg {mass_text} is not positive"),
                "a positive number of kilograms",
            ),
            Err(why) => (
                format!("net_mass_kg {mass_text:?} is not a number{why}"),
                match mark {
                    DecimalMark::Point => "a decimal number of kilograms, e.g. 12450.5",
                    DecimalMark::Comma => {
                        "a decimal number of kilograms with a decimal comma, e.g. 12450,5 or 12.450,5"
                    }
                },
            ),
        };
        self.push("IN008", Severity::Error, Col::NetMassKg, msg, expected);
        None
    }

    /// IN009 for an origin that is not a country; the reason the goods are not a CBAM import
    /// (EU member state, Annex III), if one applies.
    fn origin(&mut self) -> Option<&'static str> {
        let origin = self.row.get(Col::OriginIso);
        let iso2 = origin.len() == 2 && origin.bytes().all(|b| b.is_ascii_uppercase());
        if !origin.is_empty() && !iso2 {
            self.push(
                "IN009",
                Severity::Error,
                Col::OriginIso,
                format!("origin_iso {origin:?} is not an ISO 3166-1 alpha-2 code"),
                "two upper-case letters, e.g. CN",
            );
        } else if iso2 && !crate::model::is_country_code(origin) {
            // XX, EU, QZ …: no country's default values can be chosen, and falling back to
            // "Other countries and territories" would hide the error.
            self.push(
                "IN009",
                Severity::Error,
                Col::OriginIso,
                format!("origin_iso {origin:?} is not an ISO 3166-1 country (the country of origin must be named)"),
                "the ISO 3166-1 alpha-2 code of the country of origin, e.g. CN",
            );
        }
        if is_eu27(origin) {
            Some("an EU member state: the goods are not an import from a third country")
        } else if ANNEX_III.contains(&origin) {
            Some("exempt from CBAM under Annex III of Regulation (EU) 2023/956 (IS, LI, NO, CH)")
        } else {
            None
        }
    }

    fn importer_country(&mut self) {
        let importer_country = self.row.get(Col::ImporterCountry);
        if !importer_country.is_empty() && !is_eu27(importer_country) {
            self.push(
                "IN012",
                Severity::Warning,
                Col::ImporterCountry,
                format!("importer_country {importer_country:?} is not an EU member state"),
                "an EU27 ISO code",
            );
        }
    }

    fn wants_actuals(&mut self) -> bool {
        let actual_text = self.row.get(Col::HasActualEmissions);
        let is = |w: &str| actual_text.eq_ignore_ascii_case(w);
        match () {
            _ if is("YES") || is("Y") || is("TRUE") || is("1") => true,
            _ if actual_text.is_empty() || is("NO") || is("N") || is("FALSE") || is("0") => false,
            _ if is("PARTIAL") => {
                self.push(
                    "CA011",
                    Severity::Warning,
                    Col::HasActualEmissions,
                    "has_actual_emissions PARTIAL: partial actuals are not supported; EU default values are used".into(),
                    "YES or NO",
                );
                false
            }
            _ => {
                self.push(
                    "IN011",
                    Severity::Warning,
                    Col::HasActualEmissions,
                    format!("has_actual_emissions {actual_text:?} is not YES or NO; treated as NO"),
                    "YES or NO",
                );
                false
            }
        }
    }

    /// Why a classified code is not a CBAM good (None: it is), with IN016 when the row's
    /// product group disagrees with the code's sector.
    fn out_of_scope_reason(
        &mut self,
        c: CnCode,
        s: &ScopeStatus,
        exact_list: bool,
    ) -> Option<String> {
        match s {
            ScopeStatus::InScope(entry) => {
                let given = self.row.get(Col::ProductGroup);
                if !given.is_empty() && Sector::parse_ignore_case(given) != Some(entry.sector) {
                    self.push(
                        "IN016",
                        Severity::Warning,
                        Col::ProductGroup,
                        format!(
                            "product_group {given:?} disagrees with CN {} (Annex I: {}); the CN code's sector is used",
                            c.spaced(),
                            entry.sector.product_group()
                        ),
                        entry.sector.product_group(),
                    );
                }
                None
            }
            ScopeStatus::Excluded(entry) => Some(format!(
                "CN {} is excluded from Annex I by the exception {} ({})",
                c.spaced(),
                entry.code,
                entry.description
            )),
            ScopeStatus::NotListed if exact_list => Some(format!(
                "CN {} is not in the CN code list given with --cn-codes",
                c.spaced()
            )),
            ScopeStatus::NotListed => Some(format!(
                "CN {} is not covered by Annex I of Regulation (EU) 2023/956",
                c.spaced()
            )),
        }
    }

    /// Scope: `true` when the row is excluded (IN003); CA009 when the policy calculates it anyway.
    fn scope(&mut self, c: CnCode, s: &ScopeStatus, refdata: &ReferenceData) -> bool {
        let Some(why) = self.out_of_scope_reason(c, s, refdata.scope.exact_list) else {
            return false;
        };
        match refdata.policy.out_of_scope {
            OutOfScope::Exclude => {
                self.push(
                    "IN003",
                    Severity::Warning,
                    Col::CnCode,
                    format!("{why}: not a CBAM good, row excluded from the report"),
                    "a CBAM good (Annex I)",
                );
                true
            }
            OutOfScope::Calculate => {
                self.push(
                    "CA009",
                    Severity::Warning,
                    Col::CnCode,
                    format!("{why}: not a CBAM good, calculated anyway (policy.out_of_scope: calculate)"),
                    "a CBAM good (Annex I)",
                );
                false
            }
        }
    }
}

fn check_row(row: &ShipmentRow, checker: &mut Checker<'_>, is_dup: bool) -> Outcome {
    let file = checker.file;
    let mut f = RowFindings {
        row,
        file,
        found: Vec::new(),
    };
    // Electricity has no mass: its quantity is energy (extra column quantity_mwh).
    // The code is normalised once: it decides the required fields before it is checked.
    let parsed_cn = CnCode::normalise(row.get(Col::CnCode));
    let electricity = parsed_cn.is_some_and(|c| c.is_electricity());
    f.required(electricity);
    if is_dup {
        f.found.push(dup_finding(row, file));
    }
    let cn = f.cn(parsed_cn);
    let date = f.date();
    let quarter = f.quarter();
    f.period(date, quarter, checker);
    let (quantity_mwh, mass) = if electricity {
        // Never calculated from kilograms: the quantity is quantity_mwh (DV006 without it).
        (
            electricity_mwh(row, &mut f.found, file, checker.decimal),
            Some(Decimal::ZERO),
        )
    } else {
        (None, f.mass(checker.decimal))
    };
    let origin_exempt = f.origin();
    f.importer_country();
    let wants_actuals = f.wants_actuals();
    let scope = cn.map(|c| checker.classify(c));
    let mut out_of_scope = match (cn, &scope) {
        (Some(c), Some(s)) => f.scope(c, s, checker.refdata),
        _ => false,
    };
    if let Some(why) = origin_exempt {
        out_of_scope = true;
        let origin = row.get(Col::OriginIso);
        f.push(
            "IN018",
            Severity::Warning,
            Col::OriginIso,
            format!("origin {origin} is {why}; row excluded from the report"),
            "a third country not in Annex III",
        );
    }
    let f = f.found;
    if crate::model::any_error(&f) {
        return Outcome::Rejected(f);
    }
    if out_of_scope {
        return Outcome::OutOfScope(f);
    }
    // No error: every required value parsed.
    let (Some(cn), Some(date), Some(quarter), Some(mass), Some(scope)) =
        (cn, date, quarter, mass, scope)
    else {
        return Outcome::Rejected(f);
    };
    Outcome::Ok(
        Parsed {
            cn,
            import_date: date,
            quarter,
            net_mass_kg: mass,
            quantity_mwh,
            scope,
            wants_actuals,
        },
        f,
    )
}

/// The largest quantity of electricity accepted for one row, in MWh (a year of a large power
/// plant is ~10^7 MWh): beyond it the figure is a typo or an attack.
pub const MAX_MWH: u64 = 1_000_000_000;

/// The energy of an electricity row (extra column `quantity_mwh`), or DV006 when it is missing
/// or not a positive number of MWh: electricity is declared in MWh, never from kilograms.
fn electricity_mwh(
    row: &ShipmentRow,
    f: &mut Vec<Finding>,
    file: &str,
    mark: DecimalMark,
) -> Option<Decimal> {
    let text = row.extra_value("quantity_mwh").unwrap_or("");
    let finding = |msg: String| {
        Finding::new("DV006", Severity::Error, msg)
            .file(file)
            .at_row(row)
            .field("quantity_mwh")
            .expected("the energy imported in MWh, a positive decimal, e.g. 1250.5")
            .found(text)
    };
    if text.trim().is_empty() {
        let kg = row.get(Col::NetMassKg);
        f.push(finding(format!(
            "electricity (CN 2716 00 00) is declared in MWh: add a column quantity_mwh with the energy imported{}",
            if kg.is_empty() {
                String::new()
            } else {
                format!(" (net_mass_kg {:?} is not used: electricity has no mass)", crate::model::truncate_for_message(kg))
            }
        )));
        return None;
    }
    match parse_number(text, mark) {
        Ok(m) if m > Decimal::ZERO && m <= Decimal::from(MAX_MWH) => Some(m),
        parsed => {
            f.push(finding(format!(
                "quantity_mwh {:?} is not a positive number of MWh (at most {MAX_MWH}){}",
                crate::model::truncate_for_message(text),
                parsed.err().unwrap_or_default()
            )));
            None
        }
    }
}

/// A mass in kilograms: plain decimal text (`12450`, `12450.5`, `1.2e3` is refused: exports
/// never write it and it hides typos). Never through f64.
pub fn parse_mass(s: &str) -> Option<Decimal> {
    let t = s.trim();
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+')
    {
        return None;
    }
    Decimal::from_str(t).ok()
}

/// A number of a numeric field as the file writes it: `parse_mass` of the text, or with a
/// decimal comma of its rewriting with a point (`dialect::comma_to_point`: `12.450,5` is
/// 12450.5, `1,2,3` is refused with its reason). The error is the reason, as a message tail.
pub fn parse_number(s: &str, mark: DecimalMark) -> Result<Decimal, String> {
    let text = match mark {
        DecimalMark::Point => std::borrow::Cow::Borrowed(s),
        DecimalMark::Comma => std::borrow::Cow::Owned(
            dialect::comma_to_point(s)
                .map_err(|why| format!(" (read with a decimal comma: {why})"))?,
        ),
    };
    parse_mass(&text).ok_or_else(|| match mark {
        DecimalMark::Point if s.contains(',') => {
            " (a ',' in a number: pass --decimal-comma if the file writes decimal commas)".into()
        }
        _ => String::new(),
    })
}
