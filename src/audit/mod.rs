//! The runbook's audits over a database backup (`cbam audit daily|quarterly`): the shipments
//! the backup holds are recomputed — twice, on one thread and on several, and the two reports
//! must be identical — and compared with what the backup stored for them (each stored report's
//! total and validation status), with the deadlines, the supplier data and a sample of
//! shipments recomputed alone. One result document; any inconsistency makes it fail.

pub mod html;
pub mod markdown;
mod quarterly;
pub mod recompute;
pub mod tables;

use crate::error::Result;
use crate::model::{Date, Quarter, Severity};
use crate::reference::ReferenceData;
use recompute::Recomputed;
use rust_decimal::Decimal;
use serde::Serialize;
use std::path::Path;
use tables::{Selection, ShipmentKeys, StoredReport, StoredRow};

pub use quarterly::{quarterly, QuarterlyOptions};

/// One audit's result: what was read, every group recomputed with its checks, and the
/// findings; `consistent` when nothing is inconsistent.
#[derive(Debug, Serialize)]
pub struct AuditResult {
    /// `daily` or `quarterly`.
    pub audit: &'static str,
    /// The day (`2025-12-01`) or the quarter (`2025Q4`).
    pub period: String,
    pub backup: BackupInfo,
    pub consistent: bool,
    pub inconsistencies: u64,
    pub groups: Vec<GroupResult>,
    /// Daily: the pipeline's runs started that day.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pipeline_runs: Vec<StoredRow>,
    /// The newest schema migration, and how many there are.
    pub schema_migrations: Migrations,
    /// Quarterly: the quarter's deadlines and each stored report's submission against them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deadlines: Vec<Check>,
    /// Quarterly with supplier profiles: the supplier audit of the quarter's shipments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppliers: Option<serde_json::Value>,
    /// Quarterly with `--sample`: shipments recomputed alone against the full recomputation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample: Option<Sample>,
    pub findings: Vec<AuditFinding>,
}

impl AuditResult {
    /// `CONSISTENT` or `INCONSISTENT`.
    pub fn verdict(&self) -> &'static str {
        if self.consistent {
            "CONSISTENT"
        } else {
            "INCONSISTENT"
        }
    }

    /// `1 inconsistency`, `0 inconsistencies`.
    pub fn inconsistencies_text(&self) -> String {
        let n = self.inconsistencies;
        format!("{n} inconsistenc{}", if n == 1 { "y" } else { "ies" })
    }
}

#[derive(Debug, Serialize)]
pub struct BackupInfo {
    pub file: String,
    pub sha256: String,
    pub size_bytes: u64,
    /// Each table with data: its name and rows.
    pub tables: Vec<(String, u64)>,
}

#[derive(Debug, Default, Serialize)]
pub struct Migrations {
    pub count: u64,
    pub latest: Option<String>,
}

/// One group recomputed: a stored report's shipments, or the day's shipments of a quarter.
#[derive(Debug, Serialize)]
pub struct GroupResult {
    /// `stored_report`, `day` or `unreported` (shipments of the quarter in no stored report).
    pub kind: &'static str,
    pub group: String,
    pub shipments: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored: Option<StoredReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recomputed: Option<Recomputed>,
    pub checks: Vec<Check>,
}

/// One comparison: `status` is `equal`, `rounding` (within the tolerance), `consistent`,
/// `inconsistent` or `not_comparable`.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub check: &'static str,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recomputed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub difference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<String>,
    pub message: String,
}

impl Check {
    fn new(check: &'static str, ok: bool, message: String) -> Check {
        Check {
            check,
            status: if ok { "consistent" } else { "inconsistent" },
            stored: None,
            recomputed: None,
            difference: None,
            allowed: None,
            message,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Sample {
    pub requested: usize,
    pub seed: u64,
    pub shipments: Vec<String>,
    pub equal: u64,
    pub different: Vec<String>,
}

impl Sample {
    /// `5 of 5 shipments (seed 7) recomputed alone: 5 equal to the full recomputation` (the
    /// shipments that differ are the caller's to list, escaped for its format).
    pub fn summary(&self) -> String {
        format!(
            "{} of {} shipments (seed {}) recomputed alone: {} equal to the full recomputation",
            self.shipments.len(),
            self.requested,
            self.seed,
            self.equal
        )
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditFinding {
    pub severity: Severity,
    pub check: &'static str,
    pub message: String,
}

/// The recomputed total against the stored one. Tolerance: each of the n lines may have been
/// rounded differently (n × ½·10^-d, d the lines' decimals), and each total once
/// (½·10^-d of its own decimals): within it, `rounding`; beyond, `inconsistent`.
pub fn total_check(stored: Option<&str>, r: &Recomputed) -> Check {
    let ours = r.total_embedded_emissions_tco2;
    let Some(text) = stored else {
        let mut c = Check::new(
            "total_emissions_tco2",
            false,
            "the report has no stored total (NULL): lost, or never stored".into(),
        );
        c.recomputed = Some(ours.to_string());
        return c;
    };
    let Ok(theirs) = text.trim().parse::<Decimal>() else {
        let mut c = Check::new(
            "total_emissions_tco2",
            false,
            format!("the stored total {text:?} is not a decimal number"),
        );
        c.stored = Some(text.to_string());
        return c;
    };
    let half = |d: u32| Decimal::new(5, d.saturating_add(1).min(28));
    let allowed = Decimal::from(r.lines)
        .checked_mul(half(r.line_decimals))
        .and_then(|x| x.checked_add(half(ours.scale())))
        .and_then(|x| x.checked_add(half(theirs.scale())))
        .unwrap_or(Decimal::MAX);
    let diff = ours.checked_sub(theirs).unwrap_or(Decimal::MAX);
    let status = if diff.is_zero() {
        "equal"
    } else if diff.abs() <= allowed {
        "rounding"
    } else {
        "inconsistent"
    };
    Check {
        check: "total_emissions_tco2",
        status,
        stored: Some(theirs.to_string()),
        recomputed: Some(ours.to_string()),
        difference: Some(diff.to_string()),
        allowed: Some(allowed.normalize().to_string()),
        message: match status {
            "equal" => "the stored total is the recomputed one".into(),
            "rounding" => format!("within line rounding (±{})", allowed.normalize()),
            _ => format!(
                "the stored total differs from the recomputation of its shipments by {diff} tCO2e (rounding allows ±{})",
                allowed.normalize()
            ),
        },
    }
}

/// The stored validation status (`valid`/`passed`/`ok`, `invalid`/`failed`/`error`) against
/// the recomputation's verdict.
pub fn status_check(stored: Option<&str>, r: &Recomputed) -> Check {
    let ours = if r.is_valid { "valid" } else { "invalid" };
    let word = stored.map(|s| s.trim().to_ascii_lowercase());
    let theirs = match word.as_deref() {
        Some("valid" | "passed" | "pass" | "ok" | "success") => Some(true),
        Some("invalid" | "failed" | "fail" | "error" | "rejected") => Some(false),
        _ => None,
    };
    let mut c = match theirs {
        Some(v) => Check::new(
            "validation_status",
            v == r.is_valid,
            if v == r.is_valid {
                format!("stored {:?}, recomputed {ours}", stored.unwrap_or(""))
            } else {
                format!(
                    "stored {:?} but the recomputation is {ours} ({} errors: {})",
                    stored.unwrap_or(""),
                    r.error_count,
                    error_codes(r)
                )
            },
        ),
        None => {
            let mut c = Check::new(
                "validation_status",
                false,
                format!("stored status {stored:?} is not one cbam knows (valid, invalid, passed, failed)"),
            );
            c.status = "not_comparable";
            c
        }
    };
    c.stored = stored.map(str::to_string);
    c.recomputed = Some(ours.into());
    c
}

fn error_codes(r: &Recomputed) -> String {
    r.errors_by_code
        .iter()
        .map(|(c, n)| format!("{c} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn determinism_check(r: &Recomputed) -> Check {
    Check::new(
        "determinism",
        r.deterministic,
        format!(
            "report JSON on {} and {} threads: {}",
            r.threads[0],
            r.threads[1],
            if r.deterministic {
                "identical"
            } else {
                "DIFFERENT"
            }
        ),
    )
}

/// What is wrong with the stored reports themselves: an id stored twice, a quarter that is
/// not one. Both are inconsistencies (a second row for one report, a report no quarterly
/// audit can select).
fn reports_table_findings(reports: &[StoredReport]) -> Vec<AuditFinding> {
    let mut out = Vec::new();
    let mut seen: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
    for r in reports {
        if let Some(first) = seen.insert(&r.report_id, r.line) {
            out.push(AuditFinding {
                severity: Severity::Error,
                check: "reports",
                message: format!(
                    "report id {:?} is stored twice (backup lines {first} and {})",
                    r.report_id, r.line
                ),
            });
        }
        if Quarter::parse_flag(&r.quarter).is_none() {
            out.push(AuditFinding {
                severity: Severity::Error,
                check: "reports",
                message: format!(
                    "report {:?} (backup line {}): quarter {:?} is not a quarter (2025Q4, Q4-2025)",
                    r.report_id, r.line, r.quarter
                ),
            });
        }
    }
    out
}

/// Counts the inconsistent checks and the error findings, and sets `consistent`.
fn conclude(mut r: AuditResult) -> AuditResult {
    let checks = r
        .groups
        .iter()
        .flat_map(|g| &g.checks)
        .chain(&r.deadlines)
        .filter(|c| c.status == "inconsistent")
        .count() as u64;
    let errors = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count() as u64;
    let sample = r.sample.as_ref().map_or(0, |s| s.different.len() as u64);
    r.inconsistencies = checks + errors + sample;
    r.consistent = r.inconsistencies == 0;
    r
}

fn backup_info(s: &crate::formats::pgdump::DumpSummary) -> BackupInfo {
    BackupInfo {
        file: s.file.clone(),
        sha256: s.sha256.clone(),
        size_bytes: s.bytes,
        tables: s.tables.iter().map(|t| (t.table.clone(), t.rows)).collect(),
    }
}

fn migrations(rows: &[StoredRow]) -> Migrations {
    Migrations {
        count: rows.len() as u64,
        latest: rows
            .iter()
            .filter_map(|r| r.values.get("version").cloned().flatten())
            .max(),
    }
}

/// The shipments created or imported on one day, by their quarter.
struct Day(String);

impl Selection for Day {
    fn groups(&self, k: &ShipmentKeys<'_>, out: &mut Vec<String>) {
        if k.created_on == Some(self.0.as_str()) || k.import_date == Some(self.0.as_str()) {
            out.push(format!("day:{}", k.quarter.unwrap_or("")));
        }
    }
}

/// The day's shipments, and every shipment of the stored reports they went into.
struct DayAndReports<'a>(Day, &'a std::collections::BTreeSet<String>);

impl Selection for DayAndReports<'_> {
    fn groups(&self, k: &ShipmentKeys<'_>, out: &mut Vec<String>) {
        self.0.groups(k, out);
        if let Some(id) = k.report_id.filter(|id| self.1.contains(*id)) {
            out.push(format!("report:{id}"));
        }
    }
}

/// `cbam audit daily --date D`: every shipment created or imported on D recomputed (by
/// quarter, twice) and validated; every stored report they went into recomputed from all
/// its shipments and compared with its stored total and status; the day's pipeline runs.
pub fn daily(
    backup: &Path,
    date: Date,
    refdata: &ReferenceData,
    threads: usize,
) -> Result<AuditResult> {
    let day = date.to_string();
    let small = tables::small_tables(backup, &Day(day.clone()))?;
    let select = DayAndReports(Day(day.clone()), &small.touched_reports);
    let groups = tables::shipment_groups(backup, &select)?;
    let mut out = Vec::new();
    let mut findings = reports_table_findings(&small.reports);
    if let (n @ 1.., Some(line)) = small.unreadable_created {
        findings.push(AuditFinding {
            severity: Severity::Error,
            check: "shipments",
            message: format!(
                "{n} shipment(s) have no readable created_at (the first at backup line {line}): \
                 the day's shipments cannot be told from them"
            ),
        });
    }
    for (key, csv) in &groups {
        if let Some(q) = key.strip_prefix("day:") {
            out.push(day_group(q, csv, refdata, threads, &mut findings)?);
        }
    }
    for id in &small.touched_reports {
        let stored = small.reports.iter().find(|r| &r.report_id == id);
        let csv = groups.get(&format!("report:{id}"));
        out.push(quarterly::report_group(id, stored, csv, refdata, threads)?);
    }
    if out.is_empty() {
        findings.push(AuditFinding {
            severity: Severity::Warning,
            check: "shipments",
            message: format!("no shipment was created or imported on {day}"),
        });
    }
    let runs: Vec<StoredRow> = small
        .pipeline_runs
        .iter()
        .filter(|r| {
            r.values
                .get("started_at")
                .and_then(|v| v.as_deref())
                .is_some_and(|v| v.starts_with(&day))
        })
        .cloned()
        .collect();
    for r in &runs {
        let status = r
            .values
            .get("status")
            .cloned()
            .flatten()
            .unwrap_or_default();
        if !matches!(
            status.as_str(),
            "success" | "succeeded" | "completed" | "ok"
        ) {
            findings.push(AuditFinding {
                severity: Severity::Error,
                check: "pipeline_runs",
                message: format!(
                    "backup line {}: a pipeline run of {day} has status {status:?}",
                    r.line
                ),
            });
        }
    }
    let summary = small
        .summary
        .as_ref()
        .ok_or_else(|| crate::error::Error::Data {
            path: backup.to_path_buf(),
            message: "the dump was not summarised".into(),
        })?;
    Ok(conclude(AuditResult {
        audit: "daily",
        period: day,
        backup: backup_info(summary),
        consistent: false,
        inconsistencies: 0,
        groups: out,
        pipeline_runs: runs,
        schema_migrations: migrations(&small.schema_migrations),
        deadlines: Vec::new(),
        suppliers: None,
        sample: None,
        findings,
    }))
}

/// The day's shipments of one quarter: recomputed twice and validated (rows the
/// recomputation rejects are findings; they are not the backup's inconsistency).
fn day_group(
    quarter: &str,
    csv: &tables::GroupCsv,
    refdata: &ReferenceData,
    threads: usize,
    findings: &mut Vec<AuditFinding>,
) -> Result<GroupResult> {
    let q = Quarter::parse_flag(quarter);
    let (r, _) = recompute::recompute(csv.file.path(), q, refdata, threads)?;
    if !r.is_valid {
        findings.push(AuditFinding {
            severity: Severity::Warning,
            check: "validation",
            message: format!(
                "shipments of {quarter}: {} of {} rows rejected by the recomputation ({})",
                r.rows.rejected,
                r.rows.read,
                error_codes(&r)
            ),
        });
    }
    let checks = vec![determinism_check(&r)];
    Ok(GroupResult {
        kind: "day",
        group: format!("shipments of {quarter} created or imported that day"),
        shipments: csv.rows,
        stored: None,
        recomputed: Some(r),
        checks,
    })
}
