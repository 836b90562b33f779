//! The QReport v23.00 schema (`QReport_ver23.00.xsd` + `stypes.xsd`) as a table, and the
//! structural check that walks an element tree against it: element order, multiplicities and
//! the simple-type formats (an..N, aN, n..5, nN, decN-M, boolean, dates). The same check runs
//! on the tree `cbam` is about to write (so a value that does not fit is a finding, never an
//! invalid file) and on a QReport read from disk.

use super::{finding, Node};
use crate::model::Finding;
use crate::model::Severity;

/// A simple type of `stypes.xsd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmt {
    /// `an..N`: a string of 1 to N characters.
    An(u32),
    /// `anN`: exactly N characters.
    AnExact(u32),
    /// `a2` / `a3` (country, currency): exactly N characters; cbam also requires upper-case
    /// letters, as ISO 3166-1 alpha-2 and ISO 4217 codes are.
    Alpha(u32),
    /// `nN`: an xs:int of at most N digits.
    Int(u32),
    /// `n..N`: an xs:integer matching `\d{1,N}`.
    Digits(u32),
    /// `decT-F`: an xs:decimal with at most T digits, F of them after the point.
    Dec(u32, u32),
    /// xs:decimal without facets.
    Decimal,
    Bool,
    /// `DateTimeContentType`: `YYYY-MM-DDTHH:MM:SSZ`.
    DateTime,
    /// `DateContentType`: `YYYY-MM-DD`.
    Date,
    Base64,
}

impl Fmt {
    /// The format as the registry's documentation writes it.
    pub fn describe(self) -> String {
        match self {
            Fmt::An(n) => format!("an..{n} (1 to {n} characters)"),
            Fmt::AnExact(n) => format!("an{n} (exactly {n} characters)"),
            Fmt::Alpha(n) => format!("a{n} ({n} upper-case letters)"),
            Fmt::Int(n) => format!("n{n} (an integer of at most {n} digits)"),
            Fmt::Digits(n) => format!("n..{n} (1 to {n} digits)"),
            Fmt::Dec(t, f) => {
                format!("dec{t}-{f} (a decimal number, at most {t} digits, {f} after the point)")
            }
            Fmt::Decimal => "a decimal number".into(),
            Fmt::Bool => "true or false".into(),
            Fmt::DateTime => "YYYY-MM-DDTHH:MM:SSZ".into(),
            Fmt::Date => "YYYY-MM-DD".into(),
            Fmt::Base64 => "base64".into(),
        }
    }

    /// `None` when `text` fits; else why not.
    pub fn check(self, text: &str) -> Option<String> {
        if let Some(c) = text.chars().find(|&c| !xml_char(c)) {
            return Some(format!(
                "contains the character U+{:04X}, which XML 1.0 does not allow",
                c as u32
            ));
        }
        let t = text.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\r'));
        match self {
            Fmt::An(n) => {
                let len = text.chars().count();
                if len == 0 {
                    Some("is empty".into())
                } else if len > n as usize {
                    Some(format!("has {len} characters"))
                } else {
                    None
                }
            }
            Fmt::AnExact(n) => {
                let len = text.chars().count();
                (len != n as usize).then(|| format!("has {len} characters"))
            }
            Fmt::Alpha(n) => {
                let len = text.chars().count();
                if len != n as usize {
                    Some(format!("has {len} characters"))
                } else if !text.bytes().all(|b| b.is_ascii_uppercase()) {
                    Some("is not upper-case letters".into())
                } else {
                    None
                }
            }
            Fmt::Int(n) => {
                let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    Some("is not an integer".into())
                } else if digits.trim_start_matches('0').len() > n as usize {
                    Some(format!(
                        "has {} digits",
                        digits.trim_start_matches('0').len()
                    ))
                } else {
                    None
                }
            }
            Fmt::Digits(n) => {
                if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                    Some("is not a number of digits only".into())
                } else if t.len() > n as usize {
                    Some(format!("has {} digits", t.len()))
                } else {
                    None
                }
            }
            Fmt::Dec(total, frac) => match decimal_digits(t) {
                None => Some("is not a decimal number (digits, one optional '.')".into()),
                Some((_, fr)) if fr > frac => Some(format!("has {fr} digits after the point")),
                Some((int, fr)) if int + fr > total => Some(format!("has {} digits", int + fr)),
                Some(_) => None,
            },
            Fmt::Decimal => decimal_digits(t)
                .is_none()
                .then(|| "is not a decimal number (digits, one optional '.')".into()),
            Fmt::Bool => {
                (!matches!(t, "true" | "false" | "1" | "0")).then(|| "is not a boolean".into())
            }
            Fmt::DateTime => {
                let ok = t.len() == 20
                    && t.is_ascii()
                    && t.as_bytes()[10] == b'T'
                    && t.ends_with('Z')
                    && crate::model::Date::parse(&t[..10]).is_some()
                    && time_ok(&t[11..19]);
                (!ok).then(|| "is not a UTC date-time YYYY-MM-DDTHH:MM:SSZ".into())
            }
            Fmt::Date => (t.len() != 10 || crate::model::Date::parse(t).is_none())
                .then(|| "is not a date YYYY-MM-DD".into()),
            Fmt::Base64 => (!t.bytes().all(|b| {
                b.is_ascii_alphanumeric()
                    || matches!(b, b'+' | b'/' | b'=' | b' ' | b'\n' | b'\r' | b'\t')
            }))
            .then(|| "is not base64".into()),
        }
    }
}

fn time_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |i: usize| -> Option<u32> {
        let (x, y) = (b[i], b[i + 1]);
        (x.is_ascii_digit() && y.is_ascii_digit()).then(|| ((x - b'0') * 10 + (y - b'0')) as u32)
    };
    b.len() == 8
        && b[2] == b':'
        && b[5] == b':'
        && matches!((num(0), num(3), num(6)), (Some(h), Some(m), Some(s)) if h < 24 && m < 60 && s < 60)
}

/// XML 1.0 `Char`.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Significant digits before and after the point of an xs:decimal lexical value (leading
/// zeros of the integer part and trailing zeros of the fraction do not count, as in XSD's
/// value space); `None` when it is not one.
pub fn decimal_digits(t: &str) -> Option<(u32, u32)> {
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, f),
        None => (t, ""),
    };
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some((
        int.trim_start_matches('0').len() as u32,
        frac.trim_end_matches('0').len() as u32,
    ))
}

#[derive(Debug, Clone, Copy)]
pub enum Ty {
    Complex(&'static [El]),
    Simple(Fmt),
}

/// One element of a sequence: name, type, minOccurs, maxOccurs.
#[derive(Debug, Clone, Copy)]
pub struct El {
    pub name: &'static str,
    pub ty: Ty,
    pub min: u32,
    pub max: u32,
}

const fn s(name: &'static str, f: Fmt) -> El {
    El {
        name,
        ty: Ty::Simple(f),
        min: 1,
        max: 1,
    }
}
const fn so(name: &'static str, f: Fmt) -> El {
    El {
        name,
        ty: Ty::Simple(f),
        min: 0,
        max: 1,
    }
}
const fn c(name: &'static str, seq: &'static [El], min: u32, max: u32) -> El {
    El {
        name,
        ty: Ty::Complex(seq),
        min,
        max,
    }
}

use Fmt::*;

const ADDRESS: &[El] = &[
    s("Country", Alpha(2)),
    so("SubDivision", An(35)),
    s("City", An(35)),
    so("Street", An(70)),
    so("StreetAdditionalLine", An(70)),
    so("Number", An(35)),
    so("Postcode", An(17)),
    so("POBox", An(70)),
];
const DECLARANT_ADDRESS: &[El] = &[
    so("SubDivision", An(35)),
    s("City", An(35)),
    so("Street", An(70)),
    so("StreetAdditionalLine", An(70)),
    so("Number", An(35)),
    so("Postcode", An(17)),
    so("POBox", An(70)),
];
const DECLARANT: &[El] = &[
    s("IdentificationNumber", An(17)),
    s("Name", An(70)),
    s("Role", An(5)),
    c("ActorAddress", DECLARANT_ADDRESS, 1, 1),
];
const IMPORTER: &[El] = &[
    s("IdentificationNumber", An(17)),
    s("Name", An(70)),
    c("ImporterAddress", ADDRESS, 1, 1),
];
const REPRESENTATIVE: &[El] = &[
    s("IdentificationNumber", An(17)),
    s("Name", An(70)),
    c("RepresentativeAddress", ADDRESS, 1, 1),
];
const REPORT_CONFIRMATION: &[El] = &[
    s("GlobalDataConfirmation", Bool),
    s("UseOfDataConfirmation", Bool),
    s("SignaturePlace", An(128)),
    s("Signature", An(128)),
    s("PositionOfPersonSending", An(128)),
];
const METHODOLOGY_CONFIRMATION: &[El] = &[s("OtherApplicableReportingMethodology", Bool)];
const SIGNATURES: &[El] = &[
    c("ReportConfirmation", REPORT_CONFIRMATION, 1, 1),
    c(
        "ApplicableMethodologyConfirmation",
        METHODOLOGY_CONFIRMATION,
        0,
        1,
    ),
];
const REMARKS: &[El] = &[s("AdditionalInformation", An(512))];
const COMMODITY_DETAILS: &[El] = &[so("Description", An(512))];
const COMMODITY_CODE: &[El] = &[
    s("HsCode", AnExact(6)),
    s("CnCode", AnExact(8)),
    c("CommodityDetails", COMMODITY_DETAILS, 1, 1),
];
const ORIGIN_COUNTRY: &[El] = &[s("Country", Alpha(2))];
const INWARD_PROCESSING: &[El] = &[
    s("MemberStateAuth", Alpha(2)),
    s("DischargeBillWaiver", Int(1)),
    s("Authorisation", An(512)),
    s("StartTime", Int(8)),
    s("EndTime", Int(8)),
    s("Deadline", Int(8)),
];
const PROCEDURE: &[El] = &[
    s("RequestedProc", AnExact(2)),
    so("PreviousProc", AnExact(2)),
    c("InwardProcessingInfo", INWARD_PROCESSING, 0, 999),
];
const IMPORT_AREA: &[El] = &[s("ImportArea", An(5))];
const MEASURE: &[El] = &[
    so("NetMass", Dec(16, 6)),
    so("SupplementaryUnits", Dec(16, 6)),
    s("MeasurementUnit", An(5)),
];
const MEASURE_PROCEDURE: &[El] = &[
    s("Indicator", Int(1)),
    so("NetMass", Dec(16, 6)),
    so("SupplementaryUnits", Dec(16, 6)),
    s("MeasurementUnit", An(5)),
];
const IMPORTED_QUANTITY: &[El] = &[
    s("SequenceNumber", Digits(5)),
    c("Procedure", PROCEDURE, 1, 1),
    c("ImportArea", IMPORT_AREA, 1, 1),
    c("MeasureProcedureImported", MEASURE_PROCEDURE, 1, 2),
    c("SpecialReferences", REMARKS, 0, 1),
];
const ATTACHMENT: &[El] = &[
    s("Filename", An(256)),
    so("URI", An(2048)),
    s("MIME", An(71)),
    so("Binary", Base64),
];
const SUPPORTING_DOCUMENTS: &[El] = &[
    s("SequenceNumber", Digits(5)),
    s("Type", AnExact(4)),
    so("Country", Alpha(2)),
    so("ReferenceNumber", An(70)),
    so("LineItemNumber", Digits(5)),
    so("IssuingAuthName", An(70)),
    so("ValidityStartDate", Date),
    so("ValidityEndDate", Date),
    so("Description", An(256)),
    c("Attachment", ATTACHMENT, 0, 1),
];
const QUALIFYING_PARAMETERS: &[El] = &[
    s("SequenceNumber", Digits(5)),
    s("ParameterId", An(5)),
    s("ParameterValue", An(256)),
    so("AdditionalInformation", An(512)),
];
const INSTALLATION_ADDRESS: &[El] = &[
    s("EstablishmentCountry", Alpha(2)),
    so("SubDivision", An(35)),
    s("City", An(35)),
    so("Street", An(70)),
    so("StreetAdditionalLine", An(70)),
    so("Number", An(35)),
    so("Postcode", An(17)),
    so("POBox", An(70)),
    so("PlotParcelNumber", An(15)),
    so("UNLOCODE", An(17)),
    so("Latitude", An(17)),
    so("Longitude", An(17)),
    so("CoordinatesType", An(5)),
];
const INSTALLATION: &[El] = &[
    s("InstallationId", An(20)),
    s("InstallationName", An(256)),
    so("EconomicActivity", An(256)),
    c("Address", INSTALLATION_ADDRESS, 1, 1),
];
const CONTACT_DETAILS: &[El] = &[s("Name", An(70)), s("Phone", An(35)), s("Email", An(256))];
const INSTALLATION_OPERATOR: &[El] = &[
    s("OperatorId", An(25)),
    s("OperatorName", An(70)),
    c("OperatorAddress", ADDRESS, 1, 1),
    c("ContactDetails", CONTACT_DETAILS, 1, 9),
];
const PROD_METHOD: &[El] = &[
    s("SequenceNumber", Digits(5)),
    s("MethodId", An(5)),
    so("SteelMillNumber", An(256)),
    so("AdditionalInformation", An(512)),
    c("DirectQualifyingParameters", QUALIFYING_PARAMETERS, 0, 99),
    c("IndirectQualifyingParameters", QUALIFYING_PARAMETERS, 0, 99),
];
const DIRECT_EMISSIONS: &[El] = &[
    so("DeterminationType", An(5)),
    so("DeterminationTypeElectricity", An(5)),
    s("ApplicableReportingTypeMethodology", An(5)),
    so("ApplicableReportingMethodology", An(4000)),
    so("SpecificEmbeddedEmissions", Dec(16, 7)),
    so("OtherSourceIndication", An(4000)),
    so("EmissionFactorSourceElectricity", An(5)),
    so("EmissionFactor", Dec(16, 7)),
    so("ElectricityImported", Decimal),
    so("TotalEmbeddedElectricityImported", Dec(16, 7)),
    s("MeasurementUnit", An(5)),
    so("EmissionFactorSourceValue", An(5000)),
    so("ConditionalityFulfillment", An(5000)),
];
const INDIRECT_EMISSIONS: &[El] = &[
    s("DeterminationType", An(5)),
    so("EmissionFactorSource", An(5)),
    so("EmissionFactor", Dec(16, 5)),
    s("SpecificEmbeddedEmissions", Dec(16, 7)),
    s("MeasurementUnit", An(5)),
    so("ElectricityConsumed", Dec(10, 5)),
    s("ElectricitySource", An(5)),
    so("OtherSourceIndication", An(4000)),
    so("EmissionFactorSourceValue", An(512)),
];
const PRODUCTS_COVERED: &[El] = &[
    s("SequenceNumber", Digits(5)),
    s("Type", An(5)),
    so("CN", An(8)),
    s("QuantityCovered", Dec(16, 5)),
    s("QuantityCoveredFreeAloc", Dec(16, 5)),
    so("SupplementaryInformation", An(256)),
    so("AdditionalInformation", An(512)),
    c("Measure", MEASURE, 1, 1),
];
const CARBON_PRICE_DUE: &[El] = &[
    s("SequenceNumber", Digits(5)),
    s("InstrumentType", An(5)),
    s("LegalActDescription", An(512)),
    s("Amount", Decimal),
    s("Currency", Alpha(3)),
    s("Country", Alpha(2)),
    c("ProductsCovered", PRODUCTS_COVERED, 0, 9),
];
const REMARKS_EMISSIONS: &[El] = &[
    s("SequenceNumber", Digits(5)),
    s("AdditionalInformation", An(512)),
];
const GOODS_EMISSIONS: &[El] = &[
    s("SequenceNumber", Digits(5)),
    so("ProductionCountry", Alpha(2)),
    c("InstallationOperator", INSTALLATION_OPERATOR, 0, 1),
    c("Installation", INSTALLATION, 0, 1),
    c("ProducedMeasure", MEASURE, 1, 1),
    c("DirectEmissions", DIRECT_EMISSIONS, 1, 1),
    c("IndirectEmissions", INDIRECT_EMISSIONS, 0, 1),
    c("ProdMethodQualifyingParams", PROD_METHOD, 0, 1),
    c("SupportingDocuments", SUPPORTING_DOCUMENTS, 0, 99),
    c("CarbonPriceDue", CARBON_PRICE_DUE, 0, 99),
    c("RemarksEmissions", REMARKS_EMISSIONS, 0, 9),
];
const IMPORTED_GOOD: &[El] = &[
    s("ItemNumber", Digits(5)),
    c("Representative", REPRESENTATIVE, 0, 1),
    c("Importer", IMPORTER, 0, 1),
    c("CommodityCode", COMMODITY_CODE, 0, 1),
    c("OriginCountry", ORIGIN_COUNTRY, 1, 1),
    c("ImportedQuantity", IMPORTED_QUANTITY, 1, 9),
    c("MeasureImported", MEASURE, 1, 1),
    c("SupportingDocuments", SUPPORTING_DOCUMENTS, 0, 99),
    c("Remarks", REMARKS, 0, 1),
    c("GoodsEmissions", GOODS_EMISSIONS, 1, 999),
];
/// `QReportType`.
pub const QREPORT: &[El] = &[
    so("SubmissionDate", DateTime),
    so("ReportId", An(22)),
    s("ReportingPeriod", AnExact(2)),
    s("Year", Int(4)),
    c("Declarant", DECLARANT, 1, 1),
    c("Representative", REPRESENTATIVE, 0, 1),
    c("Importer", IMPORTER, 0, 1),
    c("Signatures", SIGNATURES, 1, 1),
    c("Remarks", REMARKS, 0, 1),
    c("ImportedGood", IMPORTED_GOOD, 1, 99999),
];

/// Checks `node` (a `QReport` element) against the v23.00 schema. Findings name the element
/// path (`QReport/ImportedGood[2]/OriginCountry/Country`), the value and the format.
pub fn check(root: &Node) -> Vec<Finding> {
    let mut out = Vec::new();
    check_complex(root, "QReport", QREPORT, &mut out);
    out
}

fn check_complex(node: &Node, path: &str, seq: &'static [El], out: &mut Vec<Finding>) {
    if !node.text.trim().is_empty() {
        out.push(
            finding(
                "XQ002",
                Severity::Error,
                path,
                node.line,
                format!(
                    "{path}: text {:?} where only child elements are allowed",
                    crate::model::truncate_for_message(node.text.trim())
                ),
            )
            .found(node.text.trim()),
        );
    }
    let mut i = 0usize;
    let mut count = 0u32;
    // Occurrence number per name, for paths like ImportedGood[3] (only where max > 1).
    let mut seen: Vec<(&str, u32)> = Vec::new();
    for kid in &node.children {
        let Some(j) = seq[i..]
            .iter()
            .position(|e| e.name == kid.name)
            .map(|j| j + i)
        else {
            let where_ = if seq.iter().any(|e| e.name == kid.name) {
                format!(
                    "is out of order: {} must come {}",
                    kid.name,
                    order_hint(seq, &kid.name)
                )
            } else {
                format!(
                    "is not an element of {} in QReport 23.00 (expected: {})",
                    path.rsplit('/').next().unwrap_or(path),
                    seq.iter().map(|e| e.name).collect::<Vec<_>>().join(", ")
                )
            };
            out.push(finding(
                "XQ002",
                Severity::Error,
                &format!("{path}/{}", kid.name),
                kid.line,
                format!("{path}/{} {where_}", kid.name),
            ));
            continue;
        };
        for (k, e) in seq.iter().enumerate().take(j).skip(i) {
            let n = if k == i { count } else { 0 };
            // An element that comes later, out of order, is reported as such, not as missing.
            if n < e.min && !node.children.iter().any(|c| c.name == e.name) {
                missing(path, e, node.line, out);
            }
        }
        if j != i {
            i = j;
            count = 0;
        }
        count += 1;
        let el = &seq[j];
        let occurrence = match seen.iter_mut().find(|(n, _)| *n == el.name) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                seen.push((el.name, 1));
                1
            }
        };
        let kid_path = if el.max > 1 {
            format!("{path}/{}[{occurrence}]", el.name)
        } else {
            format!("{path}/{}", el.name)
        };
        if count == el.max + 1 {
            out.push(finding(
                "XQ001",
                Severity::Error,
                &kid_path,
                kid.line,
                format!(
                    "{kid_path}: {} may occur at most {} time(s) here",
                    el.name, el.max
                ),
            ));
        }
        match el.ty {
            Ty::Complex(sub) => check_complex(kid, &kid_path, sub, out),
            Ty::Simple(f) => {
                if !kid.children.is_empty() {
                    out.push(finding(
                        "XQ002",
                        Severity::Error,
                        &kid_path,
                        kid.line,
                        format!(
                            "{kid_path}: expected a value ({}), found child elements",
                            f.describe()
                        ),
                    ));
                } else if let Some(why) = f.check(&kid.text) {
                    out.push(
                        finding(
                            "XQ003",
                            Severity::Error,
                            &kid_path,
                            kid.line,
                            format!(
                                "{kid_path}: {:?} {why}; expected {}",
                                crate::model::truncate_for_message(&kid.text),
                                f.describe()
                            ),
                        )
                        .found(&kid.text)
                        .expected(f.describe()),
                    );
                }
            }
        }
    }
    for (k, e) in seq.iter().enumerate().skip(i) {
        let n = if k == i { count } else { 0 };
        if n < e.min && !node.children.iter().any(|c| c.name == e.name) {
            missing(path, e, node.line, out);
        }
    }
}

fn missing(path: &str, e: &El, line: u64, out: &mut Vec<Finding>) {
    let p = format!("{path}/{}", e.name);
    out.push(
        finding(
            "XQ001",
            Severity::Error,
            &p,
            line,
            format!("{p}: required element missing"),
        )
        .expected(e.name),
    );
}

fn order_hint(seq: &[El], name: &str) -> String {
    let at = seq.iter().position(|e| e.name == name).unwrap_or(0);
    match (at.checked_sub(1).map(|k| seq[k].name), seq.get(at + 1)) {
        (Some(before), Some(after)) => format!("after {before} and before {}", after.name),
        (Some(before), None) => format!("after {before}"),
        (None, Some(after)) => format!("before {}", after.name),
        (None, None) => "alone".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(Fmt::An(5).check("01"), None);
        assert_eq!(Fmt::An(5).check(""), Some("is empty".into()));
        assert_eq!(Fmt::An(2).check("äöü"), Some("has 3 characters".into()));
        assert_eq!(Fmt::An(3).check("äöü"), None, "characters, not bytes");
        assert!(Fmt::An(9).check("a\u{1}b").unwrap().contains("U+0001"));
        assert_eq!(Fmt::Alpha(2).check("TR"), None);
        assert_eq!(Fmt::Alpha(2).check("TUR"), Some("has 3 characters".into()));
        assert_eq!(
            Fmt::Alpha(2).check("tr"),
            Some("is not upper-case letters".into())
        );
        assert_eq!(Fmt::AnExact(8).check("72081000"), None);
        assert!(Fmt::AnExact(8).check("720810000").is_some());
        assert_eq!(Fmt::Int(4).check("2025"), None);
        assert_eq!(Fmt::Int(4).check("20229"), Some("has 5 digits".into()));
        assert_eq!(Fmt::Digits(5).check("99999"), None);
        assert_eq!(Fmt::Digits(5).check("100000"), Some("has 6 digits".into()));
        assert!(Fmt::Digits(5).check("-1").is_some());
        assert_eq!(
            Fmt::Dec(16, 6).check("24.560000"),
            None,
            "trailing zeros do not count"
        );
        assert_eq!(
            Fmt::Dec(16, 6).check("0.0000001"),
            Some("has 7 digits after the point".into())
        );
        assert_eq!(Fmt::Dec(16, 7).check("1.2345678"), None);
        assert_eq!(Fmt::Dec(5, 2).check("12345.6"), Some("has 6 digits".into()));
        assert!(Fmt::Dec(16, 6).check("1,5").is_some());
        assert!(Fmt::Dec(16, 6).check(".").is_some());
        assert_eq!(Fmt::Bool.check("true"), None);
        assert!(Fmt::Bool.check("yes").is_some());
        assert_eq!(Fmt::DateTime.check("2023-08-08T08:21:14Z"), None);
        assert!(Fmt::DateTime.check("2023-08-08T25:21:14Z").is_some());
        assert_eq!(Fmt::Date.check("2024-02-29"), None);
        assert!(Fmt::Date.check("2023-02-29").is_some());
    }

    fn tree(names: &[&str]) -> Node {
        let mut n = Node::new("Signatures");
        for name in names {
            n = n.with(
                Node::new(name)
                    .with(Node::leaf("GlobalDataConfirmation", "true"))
                    .with(Node::leaf("UseOfDataConfirmation", "true"))
                    .with(Node::leaf("SignaturePlace", "X"))
                    .with(Node::leaf("Signature", "X"))
                    .with(Node::leaf("PositionOfPersonSending", "X")),
            );
        }
        n
    }

    fn codes(n: &Node) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        check_complex(n, "QReport/Signatures", SIGNATURES, &mut out);
        out.into_iter()
            .map(|f| {
                (
                    match f.code {
                        std::borrow::Cow::Borrowed(c) => c,
                        std::borrow::Cow::Owned(_) => "?",
                    },
                    f.path.unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn multiplicities_and_order() {
        assert!(codes(&tree(&["ReportConfirmation"])).is_empty());
        assert_eq!(
            codes(&tree(&[])),
            [("XQ001", "QReport/Signatures/ReportConfirmation".to_string())]
        );
        assert_eq!(
            codes(&tree(&["ReportConfirmation", "ReportConfirmation"])),
            [("XQ001", "QReport/Signatures/ReportConfirmation".to_string())],
            "at most once"
        );
        assert_eq!(
            codes(&tree(&["Other"])),
            [
                ("XQ002", "QReport/Signatures/Other".to_string()),
                ("XQ001", "QReport/Signatures/ReportConfirmation".to_string())
            ]
        );
        let mut n = tree(&["ReportConfirmation"]);
        n.children.insert(
            0,
            Node::new("ApplicableMethodologyConfirmation")
                .with(Node::leaf("OtherApplicableReportingMethodology", "true")),
        );
        assert_eq!(
            codes(&n),
            [("XQ002", "QReport/Signatures/ReportConfirmation".to_string())],
            "out of order, not missing"
        );
    }
}
