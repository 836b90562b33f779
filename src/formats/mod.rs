//! Foreign formats, knowing nothing of CBAM: PostgreSQL dumps and CSV, spreadsheet cells, Python literals.
//! They may use only `crate::error` and `crate::fsio`; the stages give their content meaning.

pub mod cells;
pub mod csvread;
pub mod dialect;
pub mod json_strict;
pub mod jsonpath;
pub mod lines;
pub mod pgcsv;
pub mod pgdump;
pub mod pydict;
pub mod workbook;
