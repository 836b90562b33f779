//! Every data file compiled into the binary (`data/`, `rules/`), each as (the name it carries
//! in provenance, its text). A file given on the command line replaces the embedded one;
//! provenance records which was used.

/// ISO 3166-1 alpha-2 country codes (and XK): which origins are countries.
pub const COUNTRIES: (&str, &str) = (
    "data/iso3166_countries.csv",
    include_str!("../data/iso3166_countries.csv"),
);
/// Annex I of Reg. (EU) 2023/956: CN codes in scope and their sectors.
pub const ANNEX_I_SCOPE: (&str, &str) = (
    "data/annex_i_scope.csv",
    include_str!("../data/annex_i_scope.csv"),
);
/// Transitional-period default values (EC, 22 Dec 2023).
pub const TRANSITIONAL: (&str, &str) = (
    "data/default_values_transitional.csv",
    include_str!("../data/default_values_transitional.csv"),
);
/// Definitive-period default values (IR 2025/2621 as corrected by IR 2026/1740).
pub const DEFINITIVE: (&str, &str) = (
    "data/default_values_definitive.csv",
    include_str!("../data/default_values_definitive.csv"),
);
/// Definitive-period mark-ups by year and sector.
pub const MARKUPS: (&str, &str) = (
    "data/default_value_markups.csv",
    include_str!("../data/default_value_markups.csv"),
);
/// Electricity default values (IR 2025/2621 Annex III).
pub const ELECTRICITY: (&str, &str) = (
    "data/default_values_electricity.csv",
    include_str!("../data/default_values_electricity.csv"),
);
/// Calculation policy and validation rules.
pub const RULES: (&str, &str) = (
    "rules/cbam_rules.yaml",
    include_str!("../rules/cbam_rules.yaml"),
);
/// The report's JSON Schema.
pub const REPORT_SCHEMA: (&str, &str) = (
    "rules/report.schema.json",
    include_str!("../rules/report.schema.json"),
);
/// CBAM benchmarks (definitive period).
pub const BENCHMARKS: (&str, &str) = (
    "data/cbam_benchmarks.csv",
    include_str!("../data/cbam_benchmarks.csv"),
);
/// The CBAM factor by year (phase-out of free allocation).
pub const CBAM_FACTORS: (&str, &str) = (
    "data/cbam_factors.csv",
    include_str!("../data/cbam_factors.csv"),
);
/// Certificate prices by quarter.
pub const CERTIFICATE_PRICES: (&str, &str) = (
    "data/certificate_prices.csv",
    include_str!("../data/certificate_prices.csv"),
);
/// The official calendar of transitional reports and modification windows.
pub const CALENDAR: (&str, &str) = (
    "data/cbam_calendar.csv",
    include_str!("../data/cbam_calendar.csv"),
);
