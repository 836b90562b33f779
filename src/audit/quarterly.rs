//! `cbam audit quarterly --quarter Q`: every stored report of the quarter recomputed from its
//! shipments and compared (total, validation status, determinism); shipments of the quarter
//! that no stored report holds; the quarter's deadlines against each report's submission; the
//! supplier audit of the quarter's shipments; a sample of shipments recomputed alone.

use super::recompute::recompute;
use super::tables::{self, GroupCsv, Selection, ShipmentKeys, StoredReport};
use super::{AuditFinding, AuditResult, Check, GroupResult, Sample};
use crate::error::{Error, Result};
use crate::model::{Date, Quarter, Severity};
use crate::reference::ReferenceData;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub struct QuarterlyOptions {
    pub threads: usize,
    /// The day deadlines are judged from.
    pub today: Date,
    /// `--sample N --seed S`.
    pub sample: Option<(usize, u64)>,
}

/// The stored reports' shipments by report, and the quarter's shipments in none of them.
struct OfQuarter {
    quarter: Quarter,
    reports: BTreeSet<String>,
    all_reports: BTreeSet<String>,
}

impl Selection for OfQuarter {
    fn groups(&self, k: &ShipmentKeys<'_>, out: &mut Vec<String>) {
        match k.report_id {
            Some(id) if self.reports.contains(id) => out.push(format!("report:{id}")),
            Some(id) if self.all_reports.contains(id) => {}
            _ => {
                if k.quarter.and_then(Quarter::parse_flag) == Some(self.quarter) {
                    out.push("unreported".into());
                }
            }
        }
    }
}

/// Nothing: the first pass of the quarterly audit reads the small tables only.
struct NoShipments;

impl Selection for NoShipments {
    fn groups(&self, _: &ShipmentKeys<'_>, _: &mut Vec<String>) {}
}

pub fn quarterly(
    backup: &Path,
    quarter: Quarter,
    refdata: &ReferenceData,
    o: &QuarterlyOptions,
) -> Result<AuditResult> {
    let small = tables::small_tables(backup, &NoShipments)?;
    // Each report once (a second row of one id is a finding, not a second recomputation).
    let mut ids = BTreeSet::new();
    let of_q: Vec<&StoredReport> = small
        .reports
        .iter()
        .filter(|r| Quarter::parse_flag(&r.quarter) == Some(quarter))
        .filter(|r| ids.insert(r.report_id.as_str()))
        .collect();
    let select = OfQuarter {
        quarter,
        reports: of_q.iter().map(|r| r.report_id.clone()).collect(),
        all_reports: small.reports.iter().map(|r| r.report_id.clone()).collect(),
    };
    let groups = tables::shipment_groups(backup, &select)?;
    let mut findings = super::reports_table_findings(&small.reports);
    let mut out = Vec::new();
    let mut draw = Draw::new(o.sample);
    for r in &of_q {
        let csv = groups.get(&format!("report:{}", r.report_id));
        let g = report_group_keeping(&r.report_id, Some(r), csv, (refdata, o.threads), &mut draw)?;
        out.push(g);
    }
    if let Some(csv) = groups.get("unreported") {
        let mut g = report_group(&format!("{quarter}"), None, Some(csv), refdata, o.threads)?;
        g.kind = "unreported";
        g.group = format!("shipments of {quarter} in no stored report");
        // Not a stored report at all: only that they are in none counts.
        g.checks.retain(|c| c.check != "stored");
        g.checks.push(Check::new(
            "reported",
            false,
            format!(
                "{} shipment(s) of {quarter} are in no stored report",
                csv.rows
            ),
        ));
        out.push(g);
    }
    if of_q.is_empty() {
        findings.push(AuditFinding {
            severity: Severity::Error,
            check: "reports",
            message: format!("the backup stores no report for {quarter}"),
        });
    }
    let deadlines = deadline_checks(quarter, &of_q, o.today);
    let suppliers = supplier_audit(&groups, quarter, refdata, o.today, &mut findings)?;
    let sample = match o.sample {
        Some((n, seed)) => Some(sample(&groups, draw, (n, seed), quarter, refdata)?),
        None => None,
    };
    let summary = small.summary.as_ref().ok_or_else(|| Error::Data {
        path: backup.to_path_buf(),
        message: "the dump was not summarised".into(),
    })?;
    Ok(super::conclude(AuditResult {
        audit: "quarterly",
        period: quarter.to_string(),
        backup: super::backup_info(summary),
        consistent: false,
        inconsistencies: 0,
        groups: out,
        pipeline_runs: Vec::new(),
        schema_migrations: super::migrations(&small.schema_migrations),
        deadlines,
        suppliers,
        sample,
        findings,
    }))
}

/// A stored report recomputed from its shipments (all of them in the backup) and compared.
pub fn report_group(
    id: &str,
    stored: Option<&StoredReport>,
    csv: Option<&GroupCsv>,
    refdata: &ReferenceData,
    threads: usize,
) -> Result<GroupResult> {
    report_group_keeping(id, stored, csv, (refdata, threads), &mut Draw::new(None))
}

/// As `report_group`, keeping each line's (direct, indirect, total) for the sample.
fn report_group_keeping(
    id: &str,
    stored: Option<&StoredReport>,
    csv: Option<&GroupCsv>,
    (refdata, threads): (&ReferenceData, usize),
    draw: &mut Draw,
) -> Result<GroupResult> {
    let mut g = GroupResult {
        kind: "stored_report",
        group: id.to_string(),
        shipments: csv.map_or(0, |c| c.rows),
        stored: stored.cloned(),
        recomputed: None,
        checks: Vec::new(),
    };
    if stored.is_none() {
        g.checks.push(Check::new(
            "stored",
            false,
            format!("shipments name report {id:?}, which the reports table does not hold"),
        ));
    }
    let Some(csv) = csv else {
        g.checks.push(Check::new(
            "shipments",
            false,
            format!("report {id:?} is stored, but no shipment in the backup names it"),
        ));
        return Ok(g);
    };
    let quarter = stored.and_then(|s| Quarter::parse_flag(&s.quarter));
    let (r, report) = match recompute(csv.file.path(), quarter, refdata, threads) {
        Ok(x) => x,
        Err(e) => {
            g.checks.push(Check::new(
                "recomputed",
                false,
                format!("cannot be recomputed: {e}"),
            ));
            return Ok(g);
        }
    };
    each_line(&report, |id, figures| draw.offer(id, figures))?;
    if let Some(s) = stored {
        g.checks
            .push(super::total_check(s.total_emissions_tco2.as_deref(), &r));
        g.checks
            .push(super::status_check(s.validation_status.as_deref(), &r));
    }
    g.checks.push(super::determinism_check(&r));
    g.recomputed = Some(r);
    Ok(g)
}

/// The quarter's report deadline (transitional) or the year's declaration (definitive), and
/// each stored report's `submitted_at` against it.
fn deadline_checks(quarter: Quarter, reports: &[&StoredReport], today: Date) -> Vec<Check> {
    let events = crate::deadlines::events(today, 0);
    let period = quarter.to_string();
    let year = quarter.year.to_string();
    let due = events
        .iter()
        .find(|e| e.kind == "report_due" && e.period == period)
        .or_else(|| {
            events
                .iter()
                .find(|e| e.kind == "declaration_due" && e.period == year)
        });
    let Some(due) = due else {
        return vec![Check {
            status: "not_comparable",
            ..Check::new(
                "deadline",
                false,
                format!("no deadline known for {quarter}"),
            )
        }];
    };
    let mut out = vec![Check {
        status: "consistent",
        ..Check::new(
            "deadline",
            true,
            format!("{}: {} ({})", due.date, due.description, due.source),
        )
    }];
    for r in reports {
        let submitted = r.submitted_at.as_deref().and_then(|s| s.get(..10));
        let (ok, message) = match submitted {
            Some(d) if d <= due.date.as_str() => (
                true,
                format!("{}: submitted {d}, by {}", r.report_id, due.date),
            ),
            Some(d) => (
                false,
                format!(
                    "{}: submitted {d}, after the deadline {}",
                    r.report_id, due.date
                ),
            ),
            None if today.to_string() > due.date => (
                false,
                format!(
                    "{}: not submitted, and the deadline {} has passed",
                    r.report_id, due.date
                ),
            ),
            None => (
                true,
                format!("{}: not submitted yet; due {}", r.report_id, due.date),
            ),
        };
        out.push(Check::new("submitted_by_deadline", ok, message));
    }
    out
}

/// The supplier audit over the quarter's shipments, when supplier profiles were given.
fn supplier_audit(
    groups: &BTreeMap<String, GroupCsv>,
    quarter: Quarter,
    refdata: &ReferenceData,
    today: Date,
    findings: &mut Vec<AuditFinding>,
) -> Result<Option<serde_json::Value>> {
    if refdata.suppliers.file_name.is_none() {
        return Ok(None);
    }
    let mut rows = Vec::new();
    for csv in groups.values() {
        rows.extend(crate::suppliers_audit::shipped_rows(
            csv.file.path(),
            Some(quarter),
        )?);
    }
    let (summary, found) = crate::suppliers_audit::audit(&refdata.suppliers, &rows, today.year, 2);
    // Listed, not counted: they are about the supplier data, which the recomputation already
    // handles (actuals it cannot use are CA findings and default values), not a difference
    // between the backup and the recomputation.
    let errors = found
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    if errors > 0 {
        findings.push(AuditFinding {
            severity: Severity::Warning,
            check: "suppliers",
            message: format!("the supplier audit of {quarter}'s shipments has {errors} error(s); see suppliers.findings"),
        });
    }
    Ok(Some(
        serde_json::json!({"suppliers": summary, "findings": found}),
    ))
}

type Figures = [rust_decimal::Decimal; 3];

/// The `n` shipments of smallest seeded rank (as `verify --sample` draws them) with their
/// (direct, indirect, total), drawn while the recomputed lines stream past: at most `n` held.
struct Draw {
    n: usize,
    seed: u64,
    kept: std::collections::BinaryHeap<([u8; 32], String, Figures)>,
}

impl Draw {
    fn new(sample: Option<(usize, u64)>) -> Draw {
        let (n, seed) = sample.unwrap_or((0, 0));
        Draw {
            n,
            seed,
            kept: std::collections::BinaryHeap::new(),
        }
    }

    fn offer(&mut self, id: &str, figures: Figures) {
        if self.n == 0 {
            return;
        }
        let rank = crate::verify::sample_rank(self.seed, id);
        if self.kept.len() < self.n {
            self.kept.push((rank, id.to_string(), figures));
        } else if self.kept.peek().is_some_and(|top| rank < top.0) {
            self.kept.pop();
            self.kept.push((rank, id.to_string(), figures));
        }
    }
}

/// Each line of a recomputed report: its shipment id and (direct, indirect, total).
fn each_line(r: &crate::report::Report, mut each: impl FnMut(&str, Figures)) -> Result<()> {
    let Some(lines) = r.lines() else {
        return Ok(());
    };
    lines
        .for_each(|l| {
            let id = l.shipment.row.get(crate::model::Col::ShipmentId);
            each(id, [l.direct, l.indirect, l.total]);
            Ok(())
        })
        .map_err(crate::report::spill)
}

/// N shipments drawn (seeded, as `verify --sample`) from the stored reports' recomputed lines,
/// recomputed alone — one report of just them — and compared with their lines in the full
/// recomputation: a shipment's figures must not depend on the shipments around it.
fn sample(
    groups: &BTreeMap<String, GroupCsv>,
    draw: Draw,
    (n, seed): (usize, u64),
    quarter: Quarter,
    refdata: &ReferenceData,
) -> Result<Sample> {
    let full: BTreeMap<String, Figures> = draw
        .kept
        .into_iter()
        .map(|(_, id, figures)| (id, figures))
        .collect();
    let chosen: BTreeSet<&str> = full.keys().map(String::as_str).collect();
    let csv = sample_csv(groups, &chosen)?;
    let mut result = Sample {
        requested: n,
        seed,
        shipments: chosen.iter().map(|s| s.to_string()).collect(),
        equal: 0,
        different: Vec::new(),
    };
    if chosen.is_empty() {
        return Ok(result);
    }
    let (_, alone) = recompute(csv.path(), Some(quarter), refdata, 1)?;
    let mut seen = BTreeMap::new();
    each_line(&alone, |id, figures| {
        seen.insert(id.to_string(), figures);
    })?;
    for id in &chosen {
        if seen.contains_key(*id) && seen.get(*id) == full.get(*id) {
            result.equal += 1;
        } else {
            result.different.push(id.to_string());
        }
    }
    Ok(result)
}

/// The chosen shipments' rows, from the groups' CSVs, as one CSV.
fn sample_csv(
    groups: &BTreeMap<String, GroupCsv>,
    chosen: &BTreeSet<&str>,
) -> Result<tempfile::NamedTempFile> {
    let io = |e: std::io::Error| Error::Write {
        path: std::env::temp_dir(),
        source: e,
    };
    let file = tempfile::Builder::new()
        .prefix("cbam-sample-")
        .suffix(".csv")
        .tempfile()
        .map_err(io)?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let mut header_written = false;
    for g in groups.values() {
        let mut r = csv::Reader::from_path(g.file.path()).map_err(|e| io(e.into()))?;
        let header = r.headers().map_err(|e| io(e.into()))?.clone();
        let id_col = header.iter().position(|h| h == "shipment_id").unwrap_or(0);
        if !header_written {
            w.write_record(&header).map_err(|e| io(e.into()))?;
            header_written = true;
        }
        for rec in r.records() {
            let rec = rec.map_err(|e| io(e.into()))?;
            if rec.get(id_col).is_some_and(|id| chosen.contains(id)) {
                w.write_record(&rec).map_err(|e| io(e.into()))?;
            }
        }
    }
    w.into_inner()
        .map_err(|e| io(std::io::Error::other(e.to_string())))?
        .into_inner()
        .map_err(|e| io(e.into_error()))
}
