//! The declaration a report is made under: who declares (importer EORI, EU member state)
//! and for which period (a quarter, or a year of the definitive period). The rules live here;
//! `cbam report` only hands over its flags, so the messages name those flags.

use crate::model::Quarter;

/// A declaration value the regulation does not allow, named by the flag that gave it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeclarationError {
    #[error("--importer-eori: expected two upper-case letters then 1 to 15 letters or digits (e.g. NL123456789012), found {0:?}")]
    Eori(String),
    #[error("--importer-country: expected an EU member state code (e.g. NL), found {0:?}")]
    NotEuCountry(String),
    #[error("--period: an annual report is for a year of the definitive period (2026 or later); the transitional period is reported by quarter (YYYYQn), found {0}")]
    TransitionalYear(i32),
    #[error("--quarter: expected YYYYQn (e.g. 2025Q4) or a year from 2026 (YYYY), found {0:?}")]
    Period(String),
}

/// The first year of the definitive period, the first with annual reports.
pub const FIRST_ANNUAL_YEAR: i32 = 2026;

/// An EORI number: the member state's two upper-case letters, then 1 to 15 upper-case
/// letters or digits. `eori` is checked as given (trim it first).
pub fn check_eori(eori: &str) -> Result<(), DeclarationError> {
    let b = eori.as_bytes();
    let ok = (3..=17).contains(&b.len())
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(DeclarationError::Eori(eori.to_string()))
    }
}

/// The importer's country must be an EU member state; `country` is the flag's value (its
/// surrounding spaces ignored, quoted as given).
pub fn check_importer_country(country: &str) -> Result<(), DeclarationError> {
    if crate::model::is_eu27(country.trim()) {
        Ok(())
    } else {
        Err(DeclarationError::NotEuCountry(country.to_string()))
    }
}

/// The period a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Quarter(Quarter),
    /// An annual report (definitive period).
    Year(i32),
}

impl Period {
    /// `YYYYQn`, or `YYYY` from [`FIRST_ANNUAL_YEAR`]: the transitional period is reported by
    /// quarter only.
    pub fn parse(text: &str) -> Result<Period, DeclarationError> {
        let text = text.trim();
        if text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()) {
            let year = text
                .parse::<i32>()
                .map_err(|_| DeclarationError::Period(text.to_string()))?;
            if year < FIRST_ANNUAL_YEAR {
                return Err(DeclarationError::TransitionalYear(year));
            }
            return Ok(Period::Year(year));
        }
        Quarter::parse(text)
            .map(Period::Quarter)
            .ok_or_else(|| DeclarationError::Period(text.to_string()))
    }

    pub fn quarter(self) -> Option<Quarter> {
        match self {
            Period::Quarter(q) => Some(q),
            Period::Year(_) => None,
        }
    }

    pub fn year(self) -> Option<i32> {
        match self {
            Period::Year(y) => Some(y),
            Period::Quarter(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eori_is_two_letters_then_up_to_fifteen_letters_or_digits() {
        assert_eq!(check_eori("NL123456789012"), Ok(()));
        assert_eq!(check_eori("DEX"), Ok(()));
        for bad in ["NL", "nl123", "N1234", "NL12345678901234567", "NL-123"] {
            assert_eq!(check_eori(bad), Err(DeclarationError::Eori(bad.into())));
        }
    }

    #[test]
    fn importer_country_is_a_member_state() {
        assert_eq!(check_importer_country(" NL "), Ok(()));
        assert!(check_importer_country("CH").is_err());
        assert!(check_importer_country("nl").is_err());
    }

    #[test]
    fn a_year_is_annual_from_2026_and_a_quarter_any_time() {
        assert_eq!(Period::parse("2026"), Ok(Period::Year(2026)));
        assert_eq!(
            Period::parse("2025"),
            Err(DeclarationError::TransitionalYear(2025))
        );
        assert_eq!(
            Period::parse(" 2025Q4 "),
            Ok(Period::Quarter(Quarter { year: 2025, q: 4 }))
        );
        assert_eq!(
            Period::parse("2025-Q4"),
            Err(DeclarationError::Period("2025-Q4".into()))
        );
    }
}
