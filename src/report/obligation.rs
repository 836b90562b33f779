//! The `certificate_obligation` section (definitive period): per good, per quarter and per
//! year, as `obligation` computes it.

use crate::model::Method;
use crate::provenance::FileDigest;
use rust_decimal::Decimal;
use serde::Serialize;

mod num {
    pub use rust_decimal::serde::arbitrary_precision::serialize as exact;
    pub use rust_decimal::serde::arbitrary_precision_option::serialize as exact_opt;
}

/// The `certificate_obligation` section of a definitive-period report.
#[derive(Debug, Serialize)]
pub struct CertificateObligation {
    pub formula: Formula,
    pub years: Vec<YearObligation>,
    /// One entry per quarter × CN code × origin × method × route.
    pub goods: Vec<GoodObligation>,
    /// The annual declaration summary: per CN code and origin over the year.
    pub declaration_summary: Vec<DeclarationEntry>,
    pub reference_data: Vec<FileDigest>,
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Formula {
    pub gross: &'static str,
    pub free_allocation_adjustment: &'static str,
    pub carbon_price_deduction: &'static str,
    pub net: &'static str,
    pub certificates: &'static str,
    pub cost: &'static str,
    pub quarterly_holding: &'static str,
    #[serde(serialize_with = "num::exact")]
    pub cscf: Decimal,
}

#[derive(Debug, Serialize)]
pub struct DeMinimis {
    #[serde(serialize_with = "num::exact")]
    pub threshold_tonnes: Decimal,
    /// Net mass of iron and steel, aluminium, fertilisers and cement in this report.
    #[serde(serialize_with = "num::exact")]
    pub counted_mass_tonnes: Decimal,
    #[serde(serialize_with = "num::exact")]
    pub share_of_threshold_pct: Decimal,
    /// `exempt` (at or below the threshold) or `liable` (above: the whole year is liable).
    pub status: &'static str,
    pub excluded_sectors: [&'static str; 2],
}

#[derive(Debug, Serialize)]
pub struct YearObligation {
    pub year: i32,
    #[serde(serialize_with = "num::exact")]
    pub cbam_factor: Decimal,
    pub cbam_factor_source: String,
    pub de_minimis: DeMinimis,
    pub quarters: Vec<QuarterObligation>,
    #[serde(serialize_with = "num::exact")]
    pub mass_tonnes: Decimal,
    #[serde(serialize_with = "num::exact")]
    pub gross_emissions_tco2: Decimal,
    #[serde(serialize_with = "num::exact")]
    pub free_allocation_adjustment_tco2: Decimal,
    #[serde(serialize_with = "num::exact")]
    pub carbon_price_deduction_tco2: Decimal,
    #[serde(serialize_with = "num::exact")]
    pub net_emissions_tco2: Decimal,
    /// Whole certificates: the net emissions rounded up.
    pub certificates: u64,
    /// Σ quarterly costs; null when a needed price is not known.
    #[serde(serialize_with = "num::exact_opt")]
    pub estimated_cost_eur: Option<Decimal>,
}

#[derive(Debug, Serialize)]
pub struct QuarterObligation {
    pub quarter: String,
    #[serde(serialize_with = "num::exact")]
    pub gross_emissions_tco2: Decimal,
    #[serde(serialize_with = "num::exact")]
    pub free_allocation_adjustment_tco2: Decimal,
    #[serde(serialize_with = "num::exact")]
    pub carbon_price_deduction_tco2: Decimal,
    #[serde(serialize_with = "num::exact")]
    pub net_emissions_tco2: Decimal,
    #[serde(serialize_with = "num::exact_opt")]
    pub certificate_price_eur: Option<Decimal>,
    pub price_source: Option<String>,
    #[serde(serialize_with = "num::exact_opt")]
    pub estimated_cost_eur: Option<Decimal>,
    /// From 2027: certificates to hold at the end of the quarter: 50 % of the embedded emissions
    /// imported since 1 January (default values without mark-up) less the free-allocation
    /// adjustment, rounded up; null for 2026.
    pub holding_requirement_certificates: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct GoodObligation {
    pub quarter: String,
    pub cn_code: String,
    /// The TARIC line of the default values used (a code the annex splits into TARIC lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taric_code: Option<String>,
    pub origin_iso: String,
    pub sector: String,
    pub method: Method,
    pub shipment_count: u64,
    #[serde(serialize_with = "num::exact")]
    pub mass_tonnes: Decimal,
    #[serde(serialize_with = "num::exact")]
    pub gross_emissions_tco2: Decimal,
    /// The benchmark table's code used (a sibling code when the declared one has no row).
    pub benchmark_cn_code: Option<String>,
    /// `A` or `B`; null when no benchmark applies (electricity) or none was found.
    pub benchmark_column: Option<&'static str>,
    pub benchmark_route: String,
    /// Why this benchmark of several (alloy grades: the highest, IR 2025/2620 point 5.1; other
    /// routes left open: the lowest), when the table offered several values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub benchmark_choice: Option<String>,
    #[serde(serialize_with = "num::exact_opt")]
    pub benchmark_tco2_per_tonne: Option<Decimal>,
    #[serde(serialize_with = "num::exact")]
    pub free_allocation_adjustment_tco2: Decimal,
    #[serde(serialize_with = "num::exact_opt")]
    pub carbon_price_paid_eur_per_tco2e: Option<Decimal>,
    pub carbon_price_evidence: Option<String>,
    #[serde(serialize_with = "num::exact")]
    pub carbon_price_deduction_tco2: Decimal,
    pub de_minimis_exempt: bool,
    #[serde(serialize_with = "num::exact")]
    pub net_emissions_tco2: Decimal,
    #[serde(serialize_with = "num::exact_opt")]
    pub estimated_cost_eur: Option<Decimal>,
}

#[derive(Debug, Serialize)]
pub struct DeclarationEntry {
    pub year: i32,
    pub cn_code: String,
    pub origin_iso: String,
    pub sector: String,
    /// `actual_data`, `default_values` or `mixed`.
    pub method: &'static str,
    #[serde(serialize_with = "num::exact")]
    pub mass_tonnes: Decimal,
    #[serde(serialize_with = "num::exact")]
    pub embedded_emissions_tco2: Decimal,
    /// Net emissions to be covered (certificates before the year's rounding up).
    #[serde(serialize_with = "num::exact")]
    pub certificates_tco2: Decimal,
    #[serde(serialize_with = "num::exact_opt")]
    pub estimated_cost_eur: Option<Decimal>,
}
