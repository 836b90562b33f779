//! Spreadsheet cells (calamine's `Data`) as the text a CSV export of the sheet would hold:
//! dates as ISO dates, whole numbers without a fraction, other numbers as the shortest
//! decimal that reads back as the same float, booleans as `true`/`false`.

use calamine::Data;

/// `A`, `B`, … `Z`, `AA` for a 0-based column index.
pub fn column_letters(mut j: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (j % 26) as u8);
        if j < 26 {
            break;
        }
        j = j / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// The digits of a whole-number cell: an integer, or a float without fraction below 10^15
/// (where a float still holds every digit exactly).
pub fn whole_number(c: &Data) -> Option<String> {
    match c {
        Data::Int(i) => Some(i.to_string()),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{}", *f as i64)),
        _ => None,
    }
}

/// The text of a cell as a CSV export would hold it.
pub fn cell_text(c: &Data) -> String {
    if let Some(digits) = whole_number(c) {
        return digits;
    }
    match c {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Bool(b) => b.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => format!("{f}"),
        Data::DateTime(d) => {
            let (y, m, day, hh, mm, ss, ms) = d.to_ymd_hms_milli();
            if d.is_duration() {
                format!("{}", d.as_f64())
            } else if (hh, mm, ss, ms) == (0, 0, 0, 0) {
                format!("{y:04}-{m:02}-{day:02}")
            } else {
                format!("{y:04}-{m:02}-{day:02}T{hh:02}:{mm:02}:{ss:02}")
            }
        }
        Data::Error(e) => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{ExcelDateTime, ExcelDateTimeType};

    #[test]
    fn numbers_and_dates_read_as_shown() {
        assert_eq!(cell_text(&Data::Float(12450.5)), "12450.5");
        assert_eq!(cell_text(&Data::Float(0.1)), "0.1");
        assert_eq!(cell_text(&Data::Float(24560.0)), "24560");
        assert_eq!(cell_text(&Data::Float(1e15)), "1000000000000000");
        assert_eq!(cell_text(&Data::Int(-7)), "-7");
        let d = ExcelDateTime::new(45931.0, ExcelDateTimeType::DateTime, false);
        assert_eq!(cell_text(&Data::DateTime(d)), "2025-10-01");
        let d = ExcelDateTime::new(45931.5, ExcelDateTimeType::DateTime, false);
        assert_eq!(cell_text(&Data::DateTime(d)), "2025-10-01T12:00:00");
        // The 1904 date system (old Mac workbooks) counts from 1904-01-01.
        let d = ExcelDateTime::new(44469.0, ExcelDateTimeType::DateTime, true);
        assert_eq!(cell_text(&Data::DateTime(d)), "2025-10-01");
        assert_eq!(cell_text(&Data::Bool(true)), "true");
        assert_eq!(cell_text(&Data::Error(calamine::CellErrorType::NA)), "#N/A");
        assert_eq!(cell_text(&Data::Empty), "");
    }

    #[test]
    fn whole_numbers_are_integers_and_exact_floats() {
        assert_eq!(
            whole_number(&Data::Float(7081000.0)).as_deref(),
            Some("7081000")
        );
        assert_eq!(whole_number(&Data::Int(42)).as_deref(), Some("42"));
        assert_eq!(whole_number(&Data::Float(0.5)), None);
        assert_eq!(whole_number(&Data::Float(1e15)), None);
        assert_eq!(whole_number(&Data::String("7".into())), None);
    }

    #[test]
    fn column_letters_count_like_a_spreadsheet() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }
}
