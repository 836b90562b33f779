//! The dialect flags: how a CSV/TSV input is split and its numbers written (`report`), and how
//! a CSV output is (`--lines` of `report`, `export`).

use cbam::formats::dialect::{self, DecimalMark};

/// A delimiter flag's value: `,` `;` `|` or a tab (`tab`, `\t`).
pub fn parse_delimiter(s: &str) -> Result<u8, String> {
    dialect::parse_delimiter(s)
        .ok_or_else(|| format!("expected ',', ';', tab (or \\t) or '|', found {s:?}"))
}

/// How CSV/TSV shipments are read (`report`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct InputDialect {
    /// Field delimiter of CSV/TSV inputs: ',', ';', tab (or \t) or '|' (default: detected
    /// from the header).
    #[arg(long, value_name = "D", value_parser = parse_delimiter, help_heading = "Input")]
    pub delimiter: Option<u8>,
    /// Numbers of CSV/TSV inputs have a decimal comma: 12450,5, 12.450,5 or 12 450,5
    /// (default: a decimal point; detected for ';'-separated files).
    #[arg(long, conflicts_with = "decimal_point", help_heading = "Input")]
    pub decimal_comma: bool,
    /// Numbers of CSV/TSV inputs have a decimal point (12450.5), also in a ';'-separated file.
    #[arg(long, help_heading = "Input")]
    pub decimal_point: bool,
}

impl InputDialect {
    pub fn decimal_mark(&self) -> Option<DecimalMark> {
        if self.decimal_comma {
            Some(DecimalMark::Comma)
        } else if self.decimal_point {
            Some(DecimalMark::Point)
        } else {
            None
        }
    }
}

/// How a CSV output is written.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct OutputDialect {
    /// Field delimiter of the CSV written: ',' (default), ';', tab (or \t) or '|'.
    #[arg(long, value_name = "D", value_parser = parse_delimiter, help_heading = "Outputs")]
    pub output_delimiter: Option<u8>,
    /// Write the CSV's numbers with a decimal comma (12450,5), as European spreadsheets do;
    /// with a ',' delimiter such fields are quoted.
    #[arg(long, help_heading = "Outputs")]
    pub output_decimal_comma: bool,
}

impl OutputDialect {
    pub fn options(&self) -> dialect::CsvDialect {
        dialect::CsvDialect {
            delimiter: self.output_delimiter.unwrap_or(b','),
            decimal_mark: if self.output_decimal_comma {
                DecimalMark::Comma
            } else {
                DecimalMark::Point
            },
        }
    }
}
