//! `cbam`: offline EU CBAM emission reports — exact, reproducible, validated.
//!
//! The pipeline runs one way: [`intake`] → [`enrich`] → [`calculate`] → [`assemble`] →
//! (validate) → [`write`]. Domain types live in [`model`]; reference data in [`reference`].
//! Row-level problems are [`model::Finding`]s (data); only unusable input is an [`Error`].

pub mod alloc;
pub mod assemble;
pub mod audit;
pub mod backup;
pub mod bench;
pub mod calculate;
pub mod cn;
pub mod codes;
pub mod compare;
pub mod deadlines;
pub mod declaration;
pub mod embedded;
pub mod enrich;
pub mod error;
pub mod explain;
pub mod formats;
pub mod fsio;
pub mod fuzzing;
pub mod html;
pub mod intake;
pub mod model;
pub mod obligation;
pub mod pipeline;
pub mod provenance;
pub mod qreport;
pub mod reference;
pub mod report;
pub mod suppliers_audit;
pub mod suppliers_import;
pub mod time;
pub mod validate;
pub mod verify;
pub mod write;

pub use error::{Error, Result};
