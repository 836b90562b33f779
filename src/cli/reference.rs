//! The reference-data flags, one group flattened into every command that loads reference
//! data (`report`, `explain`, `verify`): the same names, help and meaning everywhere, so a
//! recomputation can use exactly the reference data the report was made with.

use cbam::reference::obligation::ObligationPaths;
use cbam::reference::ReferencePaths;
use std::path::PathBuf;

#[derive(Debug, Default, Clone, clap::Args)]
pub struct ReferenceArgs {
    /// Supplier profiles (the production system's YAML).
    #[arg(long, value_name = "FILE", help_heading = "Reference data")]
    pub suppliers: Option<PathBuf>,
    /// EU Communication templates (xlsx, or directories of them) whose actuals apply to the
    /// supplier named by each file (its name without extension, or --supplier-template-map).
    #[arg(long, value_name = "PATH", num_args = 1.., help_heading = "Reference data")]
    pub supplier_templates: Vec<PathBuf>,
    /// CSV `supplier_id,template`: which supplier each template is for.
    #[arg(
        long,
        value_name = "FILE",
        requires = "supplier_templates",
        help_heading = "Reference data"
    )]
    pub supplier_template_map: Option<PathBuf>,
    /// CN scope table replacing the embedded Annex I scope (cn_codes.json or scope CSV).
    #[arg(long, value_name = "FILE", help_heading = "Reference data")]
    pub cn_codes: Option<PathBuf>,
    /// Default factors replacing the embedded EU default values (.py, .csv, .json, .yaml).
    #[arg(long, value_name = "FILE", help_heading = "Reference data")]
    pub emission_factors: Option<PathBuf>,
    /// Rules file with the calculation policy (default: the embedded rules/cbam_rules.yaml).
    #[arg(long, value_name = "FILE", help_heading = "Reference data")]
    pub rules: Option<PathBuf>,
    /// Definitive-period default values replacing the embedded table: the Commission's workbook
    /// (one sheet per country) or the project's CSV (data/default_values_definitive.csv layout).
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "emission_factors",
        help_heading = "Definitive period (2026 on)"
    )]
    pub default_values: Option<PathBuf>,
    /// CBAM benchmarks replacing the embedded table: the Commission's workbook or a CSV (project or reference layout).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Definitive period (2026 on)"
    )]
    pub benchmarks: Option<PathBuf>,
    /// Certificate prices per quarter of import (`quarter,price_eur,source`), added to the embedded 2026Q1/Q2.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Definitive period (2026 on)"
    )]
    pub certificate_prices: Option<PathBuf>,
    /// Carbon prices paid in the country of origin (`origin_iso,cn_code,year,price_paid_eur_per_tco2e,evidence`).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Definitive period (2026 on)"
    )]
    pub carbon_prices: Option<PathBuf>,
}

impl ReferenceArgs {
    /// The files these flags read, each with its flag (for `cbam::fsio::check_outputs`).
    pub fn inputs(&self) -> Vec<(&'static str, &std::path::Path)> {
        let mut v: Vec<(&'static str, &std::path::Path)> = self
            .supplier_templates
            .iter()
            .map(|p| ("--supplier-templates", p.as_path()))
            .collect();
        for (flag, p) in [
            ("--suppliers", &self.suppliers),
            ("--supplier-template-map", &self.supplier_template_map),
            ("--cn-codes", &self.cn_codes),
            ("--emission-factors", &self.emission_factors),
            ("--rules", &self.rules),
            ("--default-values", &self.default_values),
            ("--benchmarks", &self.benchmarks),
            ("--certificate-prices", &self.certificate_prices),
            ("--carbon-prices", &self.carbon_prices),
        ] {
            if let Some(p) = p {
                v.push((flag, p.as_path()));
            }
        }
        v
    }

    /// The files to load, as the library names them.
    pub fn paths(&self) -> ReferencePaths {
        ReferencePaths {
            cn_codes: self.cn_codes.clone(),
            emission_factors: self.emission_factors.clone(),
            suppliers: self.suppliers.clone(),
            rules: self.rules.clone(),
            supplier_templates: self.supplier_templates.clone(),
            supplier_template_map: self.supplier_template_map.clone(),
            default_values: self.default_values.clone(),
            obligation: ObligationPaths {
                benchmarks: self.benchmarks.clone(),
                certificate_prices: self.certificate_prices.clone(),
                carbon_prices: self.carbon_prices.clone(),
            },
        }
    }
}
