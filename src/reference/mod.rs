//! Reference data: Annex I scope, EU default values, supplier profiles, calculation policy.
//! The EU tables are compiled into the binary (`data/`); a file passed on the command line
//! replaces the embedded table, and provenance records which one was used.

pub mod benchmarks;
pub mod comm_template;
pub mod csv;
pub mod factors;
pub mod obligation;
pub mod policy;
pub mod rules;
pub mod scope;
pub mod suppliers;
pub mod template_import;
pub mod workbook;

use crate::embedded;
use crate::error::{Error, Result};
use crate::fsio::{has_ext, is_workbook, read_text, utf8_text};
use crate::provenance::FileDigest;
use csv::csv_records;
use std::path::{Path, PathBuf};

pub use factors::{DefaultTables, FactorTable};
pub use policy::{Policy, RoundingMode};
pub use scope::AnnexScope;
pub use suppliers::{SupplierActual, SupplierBook};

/// Everything the calculation reads besides the shipments.
#[derive(Debug)]
pub struct ReferenceData {
    pub scope: AnnexScope,
    pub factors: FactorTable,
    pub suppliers: SupplierBook,
    pub policy: Policy,
    /// The validation rules of the same rules file.
    pub rules: crate::reference::rules::RuleSet,
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
        self::csv::refuse_unknown_columns(m, &text, &["supplier_id", "template"])?;
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
            if let Some(other) = ids.insert(name.clone(), id.clone()) {
                return Err(rec.bad(
                    "template",
                    &format!("each template once (it is mapped to {other:?} on an earlier line)"),
                    &name,
                ));
            }
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
                .unwrap_or_else(|| template_import::default_supplier_id(&f));
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
    /// The embedded reference data, with the files of `paths` in place of their tables.
    /// Digests are recorded in a fixed order: scope, factors, suppliers, templates, rules.
    pub fn load(paths: &ReferencePaths) -> Result<ReferenceData> {
        let mut digests = Vec::new();
        let mut notes = Vec::new();
        let scope = load_scope(paths.cn_codes.as_deref(), &mut digests)?;
        let factors = match &paths.emission_factors {
            Some(p) => {
                let (text, bytes) = read_text(p)?;
                digests.push(FileDigest::of("emission_factors", p, &bytes));
                FactorTable::User(factors::UserFactors::load(p, &text, &mut notes)?)
            }
            None => FactorTable::Eu(Box::new(load_eu_tables(
                paths.default_values.as_deref(),
                &mut digests,
                &mut notes,
            )?)),
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
            let imported = template_import::import_each(&files, &scope)?;
            digests.extend(imported.iter().map(template_digest));
            findings.extend(template_import::findings(&imported));
            add_templates(&mut suppliers, &imported)?;
        }
        let (policy, rules) = load_rules(paths.rules.as_deref(), &mut digests)?;
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

/// The Annex I scope: `--cn-codes` (CSV, or the production system's JSON) or the embedded one.
fn load_scope(given: Option<&Path>, digests: &mut Vec<FileDigest>) -> Result<AnnexScope> {
    match given {
        Some(p) => {
            let (text, bytes) = read_text(p)?;
            digests.push(FileDigest::of("cn_codes", p, &bytes));
            if has_ext(p, "json") {
                AnnexScope::from_cn_codes_json(p, &text)
            } else {
                AnnexScope::from_csv(p, &text)
            }
        }
        None => {
            let (name, text) = embedded::ANNEX_I_SCOPE;
            digests.push(FileDigest::embedded("cn_codes", name, text.as_bytes()));
            AnnexScope::from_csv(Path::new(name), text)
        }
    }
}

/// The EU default values: the embedded tables, the definitive one replaced by
/// `--default-values` (the Commission's workbook or the project's CSV) when given.
fn load_eu_tables(
    default_values: Option<&Path>,
    digests: &mut Vec<FileDigest>,
    notes: &mut Vec<String>,
) -> Result<DefaultTables> {
    // `--default-values` replaces the definitive table: read once (its digest and its rows
    // from the same bytes); the embedded one is then not parsed.
    let (transitional, definitive, markups, electricity) = (
        embedded::TRANSITIONAL,
        embedded::DEFINITIVE,
        embedded::MARKUPS,
        embedded::ELECTRICITY,
    );
    let embedded_digest =
        |role, (name, text): (&str, &str)| FileDigest::embedded(role, name, text.as_bytes());
    digests.push(embedded_digest("default_values_transitional", transitional));
    let user = match default_values {
        Some(p) => {
            let bytes = std::fs::read(p).map_err(|source| Error::Read {
                path: p.to_path_buf(),
                source,
            })?;
            digests.push(FileDigest::of("default_values_definitive", p, &bytes));
            Some((p, bytes))
        }
        None => {
            digests.push(embedded_digest("default_values_definitive", definitive));
            None
        }
    };
    digests.push(embedded_digest("default_value_markups", markups));
    digests.push(embedded_digest("default_values_electricity", electricity));
    let mut tables = DefaultTables::load(
        transitional,
        user.is_none().then_some(definitive),
        markups,
        electricity,
    )?;
    if let Some((p, bytes)) = &user {
        if is_workbook(p) {
            workbook::read_default_values(p, bytes, &mut tables, notes)?;
        } else {
            tables.load_definitive_csv(p, utf8_text(p, bytes)?)?;
        }
        tables.set_definitive_file(
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
    }
    Ok(tables)
}

/// A Communication template's digest (its bytes were read by `comm_template`).
fn template_digest(i: &template_import::ImportedTemplate) -> FileDigest {
    FileDigest {
        role: "supplier_template",
        origin: "file",
        file_name: i.template.file_name.clone(),
        sha256: i.template.sha256.clone(),
        size_bytes: i.size_bytes,
        delimiter: None,
        decimal_mark: None,
    }
}

/// The templates' suppliers added to `suppliers` (their per-CN actuals replace a profile's own
/// for those codes).
fn add_templates(
    suppliers: &mut SupplierBook,
    imported: &[template_import::ImportedTemplate],
) -> Result<()> {
    let book = SupplierBook::from_templates(imported)?;
    let n = imported.len();
    suppliers.file_name = Some(match suppliers.file_name.take() {
        Some(f) => format!("{f} or the {n} supplier template(s)"),
        None => format!("the {n} supplier template(s)"),
    });
    suppliers.absorb(book);
    Ok(())
}

/// Calculation policy and validation rules, from one rules file (given or embedded).
fn load_rules(
    given: Option<&Path>,
    digests: &mut Vec<FileDigest>,
) -> Result<(Policy, crate::reference::rules::RuleSet)> {
    let (path, text) = match given {
        Some(p) => {
            let (text, bytes) = read_text(p)?;
            digests.push(FileDigest::of("rules", p, &bytes));
            (p, std::borrow::Cow::Owned(text))
        }
        None => {
            let (name, text) = embedded::RULES;
            digests.push(FileDigest::embedded("rules", name, text.as_bytes()));
            (Path::new(name), std::borrow::Cow::Borrowed(text))
        }
    };
    Ok((
        Policy::from_rules_yaml(path, &text)?,
        crate::reference::rules::RuleSet::from_yaml(path, &text)?,
    ))
}
