//! Communication templates as supplier profiles: each template read (`comm_template`), paired
//! with the supplier it stands for, and the rows that become its per-CN actuals chosen once,
//! here. `--supplier-templates` takes these profiles directly
//! (`SupplierBook::from_templates`); `cbam suppliers import` writes the same profiles as
//! YAML, so a template used directly and a template imported first give the same numbers.

use super::comm_template::{self, TemplateFile, TemplateProduct, SHEET};
use super::scope::AnnexScope;
use crate::error::{Error, Result};
use crate::model::{CnCode, Finding, Sector, Severity};
use std::path::{Path, PathBuf};

/// The data quality of every actual read from a template.
pub const TEMPLATE_DATA_QUALITY: &str = "actual (EU Communication template)";

/// One template and the supplier it becomes.
#[derive(Debug)]
pub struct ImportedTemplate {
    pub supplier_id: String,
    pub template: TemplateFile,
    /// The supplier profile; `None` when the template holds no product rows.
    pub profile: Option<TemplateProfile>,
    /// CN codes imported (rows with errors and ambiguous codes are left out).
    pub cn_codes: Vec<String>,
    pub size_bytes: u64,
}

/// What a template says about its supplier, as indices into the template's product rows.
#[derive(Debug, Clone, Default)]
pub struct TemplateProfile {
    /// Sectors of the imported codes (Annex I), first seen first.
    pub sectors: Vec<Sector>,
    /// The imported rows: the first usable row of each CN code that is not ambiguous.
    pub rows: Vec<usize>,
    /// CN codes listed under two processes with different SEE, sorted.
    pub ambiguous: Vec<CnCode>,
    /// Every row of an ambiguous code, kept for the record apart from the usable actuals.
    pub ambiguous_rows: Vec<usize>,
    /// The year the reporting period ends in.
    pub reporting_year: Option<i32>,
}

impl ImportedTemplate {
    /// The imported product rows, in order.
    pub fn imported_rows(&self) -> impl Iterator<Item = &TemplateProduct> {
        let rows = self.profile.as_ref().map(|p| p.rows.as_slice());
        rows.unwrap_or_default()
            .iter()
            .filter_map(|&i| self.template.products.get(i))
    }

    /// The rows of ambiguous codes, in order.
    pub fn ambiguous_rows(&self) -> impl Iterator<Item = &TemplateProduct> {
        let rows = self.profile.as_ref().map(|p| p.ambiguous_rows.as_slice());
        rows.unwrap_or_default()
            .iter()
            .filter_map(|&i| self.template.products.get(i))
    }

    /// What a product row's figures cite: `EU Communication template v2.1.1 file (sha256 …),
    /// Summary_Communication!I26/J26/K26`.
    pub fn row_source(&self, p: &TemplateProduct) -> String {
        let t = &self.template;
        format!(
            "EU Communication template v{} {} (sha256 {}), {SHEET}!{}/{}/{}",
            t.version.as_str(),
            t.file_name,
            t.sha256.get(..16).unwrap_or(&t.sha256),
            cell_name(&p.direct.cell),
            cell_name(&p.indirect.cell),
            cell_name(&p.total.cell)
        )
    }
}

/// A cell reference without the summary sheet's name (`Summary_Communication!I26` → `I26`).
pub fn cell_name(cell: &str) -> String {
    cell.strip_prefix(&format!("{SHEET}!"))
        .unwrap_or(cell)
        .to_string()
}

/// The file name without extension: how `--supplier-templates` matches shipments.
pub fn default_supplier_id(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().trim().to_string())
        .unwrap_or_default()
}

/// Reads each template as the supplier it is paired with. Two templates for one supplier id
/// are refused: which one's figures apply would depend on their order.
pub fn import_each(
    files: &[(PathBuf, String)],
    scope: &AnnexScope,
) -> Result<Vec<ImportedTemplate>> {
    let mut out: Vec<ImportedTemplate> = Vec::new();
    for (path, id) in files {
        if let Some(other) = out.iter().find(|i| i.supplier_id == *id) {
            return Err(Error::Data {
                path: path.clone(),
                message: format!(
                    "supplier id {id:?} is also given by {}; one template per supplier (name them apart, or map them with --supplier-template-map)",
                    other.template.file_name
                ),
            });
        }
        let template = comm_template::read_template(path)?;
        let size_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let profile = profile_of(&template, scope);
        let cn_codes = profile
            .iter()
            .flat_map(|p| &p.rows)
            .filter_map(|&i| template.products.get(i))
            .map(|p| p.cn.as_str().to_string())
            .collect();
        out.push(ImportedTemplate {
            supplier_id: id.clone(),
            template,
            profile,
            cn_codes,
            size_bytes,
        });
    }
    Ok(out)
}

/// The rows a template's supplier profile imports; `None` for a template without products.
fn profile_of(t: &TemplateFile, scope: &AnnexScope) -> Option<TemplateProfile> {
    if t.products.is_empty() {
        return None;
    }
    let mut ambiguous = t.ambiguous.clone();
    ambiguous.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    let mut profile = TemplateProfile {
        reporting_year: t.period_end.as_ref().map(|c| c.value.year),
        ..Default::default()
    };
    // Rows with an error of their own, and every row of an ambiguous code, are left out.
    let mut seen: Vec<CnCode> = Vec::new();
    for (i, p) in t.products.iter().enumerate() {
        if !p.usable || t.ambiguous.contains(&p.cn) || seen.contains(&p.cn) {
            // Listed again with the same SEE (a different product name): one entry.
            continue;
        }
        seen.push(p.cn);
        if let Some(s) = comm_template::sector_of(scope, &p.cn) {
            if !profile.sectors.contains(&s) {
                profile.sectors.push(s);
            }
        }
        profile.rows.push(i);
    }
    profile.ambiguous_rows = t
        .products
        .iter()
        .enumerate()
        .filter(|(_, p)| ambiguous.contains(&p.cn))
        .map(|(i, _)| i)
        .collect();
    profile.ambiguous = ambiguous;
    Some(profile)
}

/// Findings of an import run: the templates' own, plus one per template with nothing to import.
pub fn findings(imported: &[ImportedTemplate]) -> Vec<Finding> {
    let mut out = Vec::new();
    for i in imported {
        out.extend(i.template.findings.iter().cloned());
        let Some(profile) = &i.profile else {
            continue;
        };
        if i.cn_codes.is_empty() && profile.ambiguous.is_empty() {
            out.push(
                Finding::new(
                    "TP001",
                    Severity::Error,
                    format!(
                        "{}: every product row has an error; nothing imported for supplier {}",
                        i.template.file_name, i.supplier_id
                    ),
                )
                .file(i.template.file_name.clone()),
            );
        }
    }
    out
}
