//! Reference data: Annex I scope, EU default values, supplier profiles, calculation policy.
//! The EU tables are compiled into the binary (`data/`); a file passed on the command line
//! replaces the embedded table, and provenance records which one was used.

pub mod comm_template;
pub mod factors;
pub mod obligation;
pub mod policy;
pub mod pydict;
pub mod scope;
pub mod suppliers;
pub mod workbook;

use crate::error::{Error, Result};
use crate::fsio::{has_ext, is_workbook, read_text, utf8_text};
use crate::provenance::FileDigest;
use std::path::{Path, PathBuf};

pub use factors::{DefaultTables, FactorTable};
pub use policy::{Policy, RoundingMode};
pub use scope::AnnexScope;
pub use suppliers::{SupplierActual, SupplierBook};

/// The embedded data files, each with the name it carries in provenance.
pub mod embedded {
    pub const ANNEX_I_SCOPE: (&str, &str) = (
        "data/annex_i_scope.csv",
        include_str!("../../data/annex_i_scope.csv"),
    );
    pub const TRANSITIONAL: (&str, &str) = (
        "data/default_values_transitional.csv",
        include_str!("../../data/default_values_transitional.csv"),
    );
    pub const DEFINITIVE: (&str, &str) = (
        "data/default_values_definitive.csv",
        include_str!("../../data/default_values_definitive.csv"),
    );
    pub const MARKUPS: (&str, &str) = (
        "data/default_value_markups.csv",
        include_str!("../../data/default_value_markups.csv"),
    );
    pub const ELECTRICITY: (&str, &str) = (
        "data/default_values_electricity.csv",
        include_str!("../../data/default_values_electricity.csv"),
    );
    pub const RULES: (&str, &str) = (
        "rules/cbam_rules.yaml",
        include_str!("../../rules/cbam_rules.yaml"),
    );
}

/// Everything the calculation reads besides the shipments.
#[derive(Debug)]
pub struct ReferenceData {
    pub scope: AnnexScope,
    pub factors: FactorTable,
    pub suppliers: SupplierBook,
    pub policy: Policy,
    /// The validation rules of the same rules file.
    pub rules: crate::validate::rules::RuleSet,
    /// Digests of the reference data actually used, in a fixed order.
    pub digests: Vec<FileDigest>,
    /// Remarks from loading (e.g. skipped Python assignments, duplicate factor entries).
    pub notes: Vec<String>,
    /// Findings about the reference data itself (a Communication template's own checks).
    pub findings: Vec<crate::model::Finding>,
    /// Benchmarks, CBAM factors and prices for the certificate obligation (definitive period).
    pub obligation: obligation::ObligationRef,
}

/// Which files override the embedded data.
#[derive(Debug, Clone, Default)]
pub struct ReferencePaths {
    pub cn_codes: Option<PathBuf>,
    pub emission_factors: Option<PathBuf>,
    pub suppliers: Option<PathBuf>,
    pub rules: Option<PathBuf>,
    /// EU Communication templates (files, or directories of them) used as supplier actuals.
    pub supplier_templates: Vec<PathBuf>,
    /// CSV `supplier_id,template` naming which supplier each template is for (default: the
    /// template's file name without extension).
    pub supplier_template_map: Option<PathBuf>,
    /// `--default-values`: the definitive-period default values (the Commission's workbook or the
    /// project's CSV), replacing the embedded table; transitional values and mark-ups stay.
    pub default_values: Option<PathBuf>,
    /// Definitive-period certificate data: `--benchmarks`, `--certificate-prices`, `--carbon-prices`.
    pub obligation: obligation::ObligationPaths,
}

/// The templates to read, each with the supplier id it stands for: files as given, the
/// spreadsheets in a directory (sorted by name), ids from the map file or the file name.
fn template_files(given: &[PathBuf], map: Option<&Path>) -> Result<Vec<(PathBuf, String)>> {
    let mut files = Vec::new();
    for p in given {
        if p.is_dir() {
            let rd = std::fs::read_dir(p).map_err(|source| Error::Read {
                path: p.clone(),
                source,
            })?;
            let mut in_dir: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.is_file()
                        && ["xlsx", "xlsm", "xls"].iter().any(|x| has_ext(f, x))
                        && !f
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with("~$"))
                })
                .collect();
            in_dir.sort();
            if in_dir.is_empty() {
                return Err(Error::Data {
                    path: p.clone(),
                    message:
                        "--supplier-templates: the directory holds no .xlsx, .xlsm or .xls file"
                            .into(),
                });
            }
            files.extend(in_dir);
        } else {
            files.push(p.clone());
        }
    }
    let mut ids: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    if let Some(m) = map {
        let (text, _) = read_text(m)?;
        for rec in csv_records(m, &text, &["supplier_id", "template"])? {
            let id = rec.get("supplier_id").to_string();
            let file = rec.get("template").to_string();
            if id.is_empty() || file.is_empty() {
                return Err(rec.bad("supplier_id", "a supplier id and a template file name", ""));
            }
            let name = Path::new(&file)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or(file);
            ids.insert(name, id);
        }
        for name in ids.keys() {
            if !files
                .iter()
                .any(|f| f.file_name().is_some_and(|n| n.to_string_lossy() == *name))
            {
                return Err(Error::Data {
                    path: m.to_path_buf(),
                    message: format!(
                        "template {name:?} is not among the --supplier-templates given"
                    ),
                });
            }
        }
    }
    Ok(files
        .into_iter()
        .map(|f| {
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let id = ids
                .get(&name)
                .cloned()
                .unwrap_or_else(|| crate::suppliers_import::default_supplier_id(&f));
            (f, id)
        })
        .collect())
}

/// The embedded Annex I scope (CN code → sector), for readers that need it without the rest.
pub fn embedded_scope() -> Result<AnnexScope> {
    let (name, text) = embedded::ANNEX_I_SCOPE;
    AnnexScope::from_csv(Path::new(name), text)
}

/// Supplier profiles from `path`, when one is given.
pub fn load_suppliers(path: Option<&Path>) -> Result<Option<SupplierBook>> {
    match path {
        Some(p) => {
            let (text, _) = read_text(p)?;
            Ok(Some(SupplierBook::from_yaml(p, &text)?))
        }
        None => Ok(None),
    }
}

impl ReferenceData {
    pub fn load(paths: &ReferencePaths) -> Result<ReferenceData> {
        let mut digests = Vec::new();
        let mut notes = Vec::new();

        let scope = match &paths.cn_codes {
            Some(p) => {
                let (text, bytes) = read_text(p)?;
                digests.push(FileDigest::of("cn_codes", p, &bytes));
                if has_ext(p, "json") {
                    AnnexScope::from_cn_codes_json(p, &text)?
                } else {
                    AnnexScope::from_csv(p, &text)?
                }
            }
            None => {
                let (name, text) = embedded::ANNEX_I_SCOPE;
                digests.push(FileDigest::embedded("cn_codes", name, text.as_bytes()));
                AnnexScope::from_csv(Path::new(name), text)?
            }
        };

        let factors = match &paths.emission_factors {
            Some(p) => {
                let (text, bytes) = read_text(p)?;
                digests.push(FileDigest::of("emission_factors", p, &bytes));
                FactorTable::User(factors::UserFactors::load(p, &text, &mut notes)?)
            }
            None => {
                // `--default-values` replaces the definitive table: read once (its digest
                // and its rows from the same bytes); the embedded one is then not parsed.
                let (transitional, definitive, markups) = (
                    embedded::TRANSITIONAL,
                    embedded::DEFINITIVE,
                    embedded::MARKUPS,
                );
                digests.push(FileDigest::embedded(
                    "default_values_transitional",
                    transitional.0,
                    transitional.1.as_bytes(),
                ));
                let user = match &paths.default_values {
                    Some(p) => {
                        let bytes = std::fs::read(p).map_err(|source| Error::Read {
                            path: p.clone(),
                            source,
                        })?;
                        digests.push(FileDigest::of("default_values_definitive", p, &bytes));
                        Some((p, bytes))
                    }
                    None => {
                        digests.push(FileDigest::embedded(
                            "default_values_definitive",
                            definitive.0,
                            definitive.1.as_bytes(),
                        ));
                        None
                    }
                };
                digests.push(FileDigest::embedded(
                    "default_value_markups",
                    markups.0,
                    markups.1.as_bytes(),
                ));
                let electricity = embedded::ELECTRICITY;
                digests.push(FileDigest::embedded(
                    "default_values_electricity",
                    electricity.0,
                    electricity.1.as_bytes(),
                ));
                let mut tables = DefaultTables::load(
                    transitional,
                    user.is_none().then_some(definitive),
                    markups,
                    electricity,
                )?;
                if let Some((p, bytes)) = &user {
                    if is_workbook(p) {
                        workbook::read_default_values(p, bytes, &mut tables, &mut notes)?;
                    } else {
                        tables.load_definitive_csv(p, utf8_text(p, bytes)?)?;
                    }
                    tables.set_definitive_file(
                        p.file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default(),
                    );
                }
                FactorTable::Eu(Box::new(tables))
            }
        };

        let mut suppliers = match &paths.suppliers {
            Some(p) => {
                let (text, bytes) = read_text(p)?;
                digests.push(FileDigest::of("suppliers", p, &bytes));
                SupplierBook::from_yaml(p, &text)?
            }
            None => SupplierBook::default(),
        };
        let mut findings = Vec::new();
        if !paths.supplier_templates.is_empty() {
            let files = template_files(
                &paths.supplier_templates,
                paths.supplier_template_map.as_deref(),
            )?;
            let imported = crate::suppliers_import::import_each(&files, &scope)?;
            for i in &imported {
                digests.push(FileDigest {
                    role: "supplier_template",
                    origin: "file",
                    file_name: i.template.file_name.clone(),
                    sha256: i.template.sha256.clone(),
                    size_bytes: i.size_bytes,
                });
            }
            findings.extend(crate::suppliers_import::findings(&imported));
            let yaml = crate::suppliers_import::render(&imported, None)?;
            let book = SupplierBook::from_yaml(Path::new("(supplier templates)"), &yaml)?;
            let n = imported.len();
            suppliers.file_name = Some(match suppliers.file_name.take() {
                Some(f) => format!("{f} or the {n} supplier template(s)"),
                None => format!("the {n} supplier template(s)"),
            });
            suppliers.absorb(book);
        }

        let (policy, rules) = match &paths.rules {
            Some(p) => {
                let (text, bytes) = read_text(p)?;
                digests.push(FileDigest::of("rules", p, &bytes));
                (
                    Policy::from_rules_yaml(p, &text)?,
                    crate::validate::rules::RuleSet::from_yaml(p, &text)?,
                )
            }
            None => {
                let (name, text) = embedded::RULES;
                digests.push(FileDigest::embedded("rules", name, text.as_bytes()));
                (
                    Policy::from_rules_yaml(Path::new(name), text)?,
                    crate::validate::rules::RuleSet::from_yaml(Path::new(name), text)?,
                )
            }
        };

        let obligation = obligation::ObligationRef::load(&paths.obligation)?;
        Ok(ReferenceData {
            obligation,
            scope,
            factors,
            suppliers,
            policy,
            rules,
            digests,
            notes,
            findings,
        })
    }
}

/// One record of a reference CSV, for error messages that name file, line and column.
pub struct Rec {
    path: PathBuf,
    pub line: u64,
    headers: std::rc::Rc<Vec<String>>,
    values: Vec<String>,
}

impl Rec {
    pub fn get(&self, col: &str) -> &str {
        self.headers
            .iter()
            .position(|h| h == col)
            .and_then(|i| self.values.get(i))
            .map(|s| s.as_str())
            .unwrap_or("")
    }
    pub fn has(&self, col: &str) -> bool {
        self.headers.iter().any(|h| h == col)
    }
    pub fn bad(&self, col: &str, expected: &str, found: &str) -> Error {
        Error::Parse {
            path: self.path.clone(),
            line: self.line,
            message: format!(
                "column {col}: expected {expected}, found {:?}",
                crate::model::truncate_for_message(found)
            ),
        }
    }
}

/// Parses a reference CSV whose header must contain `required`.
pub fn csv_records(path: &Path, text: &str, required: &[&str]) -> Result<Vec<Rec>> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            line: 1,
            message: e.to_string(),
        })?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    for r in required {
        if !headers.iter().any(|h| h == r) {
            return Err(Error::MissingColumns {
                path: path.to_path_buf(),
                missing: r.to_string(),
                found: headers.join(", "),
            });
        }
    }
    let headers = std::rc::Rc::new(headers);
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            line: e.position().map(|p| p.line()).unwrap_or(0),
            message: e.to_string(),
        })?;
        out.push(Rec {
            path: path.to_path_buf(),
            line: rec.position().map(|p| p.line()).unwrap_or(0),
            headers: headers.clone(),
            values: rec.iter().map(|v| v.trim().to_string()).collect(),
        });
    }
    Ok(out)
}
