//! How values that are not text in their source (JSON booleans, spreadsheet booleans and
//! numbers) are spelt in the intake CSV, where a column's meaning asks for it.

/// `true`/`false` in the has_actual_emissions column are the YES/NO the intake expects.
pub fn bool_text(column: &str, b: bool) -> &'static str {
    match (column.eq_ignore_ascii_case("has_actual_emissions"), b) {
        (true, true) => "YES",
        (true, false) => "NO",
        (false, true) => "true",
        (false, false) => "false",
    }
}

/// Integers in the cn_code column get back the leading zero a spreadsheet drops.
pub fn number_text(digits: &str, column: &str) -> String {
    if column == "cn_code" && (digits.len() == 7 || digits.len() == 9) && !digits.starts_with('-') {
        format!("0{digits}")
    } else {
        digits.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_are_yes_no_only_in_has_actual_emissions() {
        assert_eq!(bool_text("HAS_ACTUAL_EMISSIONS", true), "YES");
        assert_eq!(bool_text("has_actual_emissions", false), "NO");
        assert_eq!(bool_text("other", true), "true");
    }

    #[test]
    fn cn_codes_of_seven_or_nine_digits_get_their_zero() {
        assert_eq!(number_text("7081000", "cn_code"), "07081000");
        assert_eq!(number_text("720810001", "cn_code"), "0720810001");
        assert_eq!(number_text("72081000", "cn_code"), "72081000");
        assert_eq!(number_text("-708100", "cn_code"), "-708100");
        assert_eq!(number_text("7081000", "net_mass_kg"), "7081000");
    }
}
