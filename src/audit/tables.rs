//! What the audits read from a backup, in two streamed passes over the dump: first the small
//! tables (`reports`, `pipeline_runs`, `schema_migrations`) and which stored reports the
//! selected shipments touch, then the shipments themselves, each selected row written to the
//! CSV of its group (a stored report, or a quarter of the day's shipments) in an unlinked
//! temporary file. Nothing per shipment is held in memory.

use crate::error::{Error, Result};
use crate::formats::pgdump::{self, DumpSummary, DumpVisitor, Fields, Table};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Columns of the production database's `shipments` table that are not shipment data: the
/// report a row went into and when it was created. Left out of the recomputation's input.
const AUDIT_COLUMNS: [&str; 2] = ["report_id", "created_at"];
/// The extra column each recomputed row carries: the line of the backup it was read from.
pub const BACKUP_LINE: &str = "backup_line";
/// Stored reports (or runs) past this many are refused: the audit holds these tables, and
/// recomputes every report of a quarter (an importer has one per quarter, and amendments).
pub const MAX_SMALL_ROWS: usize = 100_000;

/// A row of the `reports` table (every column as the dump holds it; `None`: NULL).
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredReport {
    pub report_id: String,
    pub quarter: String,
    pub submitted_at: Option<String>,
    pub total_emissions_tco2: Option<String>,
    pub validation_status: Option<String>,
    pub submitted_to_eu: Option<String>,
    pub created_at: Option<String>,
    /// Where the row is in the backup.
    pub line: u64,
}

/// A row of `pipeline_runs` or `schema_migrations`: its columns by name, and its line.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredRow {
    pub line: u64,
    pub values: BTreeMap<String, Option<String>>,
}

/// Which shipment rows an audit recomputes, and in which group each goes.
pub trait Selection {
    /// The groups of a shipment (none: not selected), from its `created_at` date, import
    /// date, quarter and report id. A row may be in several (the day's, and its report's).
    fn groups(&self, s: &ShipmentKeys<'_>, out: &mut Vec<String>);
}

/// The fields of a shipment row the selection looks at.
pub struct ShipmentKeys<'a> {
    pub created_on: Option<&'a str>,
    pub import_date: Option<&'a str>,
    pub quarter: Option<&'a str>,
    pub report_id: Option<&'a str>,
}

/// The first pass: the small tables, and the report ids of the shipments `touched` selects.
#[derive(Debug, Default)]
pub struct SmallTables {
    pub reports: Vec<StoredReport>,
    pub pipeline_runs: Vec<StoredRow>,
    pub schema_migrations: Vec<StoredRow>,
    pub touched_reports: BTreeSet<String>,
    /// Shipments whose `created_at` is not a timestamp (NULL, empty, garbage): how many, and
    /// the backup line of the first. A day's selection by creation date cannot see them.
    pub unreadable_created: (u64, Option<u64>),
    pub summary: Option<DumpSummary>,
}

/// One group's shipments: a CSV in a temporary file (removed when dropped), and how many
/// rows it holds.
pub struct GroupCsv {
    pub file: tempfile::NamedTempFile,
    pub rows: u64,
}

fn column(t: &Table, name: &str) -> Option<usize> {
    t.columns.iter().position(|c| c == name)
}

fn value(f: &Fields, i: Option<usize>) -> Option<&str> {
    i.and_then(|i| f.get(i))
}

fn keys<'a>(t: &Table, f: &'a Fields) -> ShipmentKeys<'a> {
    ShipmentKeys {
        created_on: value(f, column(t, "created_at")).and_then(|v| v.get(..10)),
        import_date: value(f, column(t, "import_date")),
        quarter: value(f, column(t, "quarter")),
        report_id: value(f, column(t, "report_id")),
    }
}

struct FirstPass<'a> {
    path: &'a Path,
    out: SmallTables,
    touched: &'a dyn Selection,
    scratch: Vec<String>,
}

impl DumpVisitor for FirstPass<'_> {
    fn table(&mut self, t: &Table) -> Result<bool> {
        Ok(
            ["reports", "pipeline_runs", "schema_migrations", "shipments"]
                .iter()
                .any(|n| t.matches(n)),
        )
    }

    fn row(&mut self, t: &Table, f: &Fields, line: u64) -> Result<()> {
        if t.matches("shipments") {
            let k = keys(t, f);
            let readable = k.created_on.and_then(crate::model::Date::parse).is_some();
            if column(t, "created_at").is_some() && !readable {
                let u = &mut self.out.unreadable_created;
                u.0 += 1;
                u.1.get_or_insert(line);
            }
            self.scratch.clear();
            self.touched.groups(&k, &mut self.scratch);
            if let (false, Some(id)) = (self.scratch.is_empty(), k.report_id) {
                if !self.out.touched_reports.contains(id) {
                    self.out.touched_reports.insert(id.to_string());
                }
            }
            return Ok(());
        }
        let held = self.out.reports.len()
            + self.out.pipeline_runs.len()
            + self.out.schema_migrations.len();
        if held >= MAX_SMALL_ROWS {
            return Err(Error::Data {
                path: self.path.to_path_buf(),
                message: format!(
                    "line {line}: more than {MAX_SMALL_ROWS} rows in reports, pipeline_runs and schema_migrations; the audit holds these tables"
                ),
            });
        }
        if t.matches("reports") {
            let get = |n: &str| value(f, column(t, n)).map(str::to_string);
            let (Some(report_id), Some(quarter)) = (get("report_id"), get("quarter")) else {
                return Err(Error::Data {
                    path: self.path.to_path_buf(),
                    message: format!(
                        "line {line}: table {}: a row without report_id or quarter (columns: {})",
                        t.qualified(),
                        t.columns.join(", ")
                    ),
                });
            };
            self.out.reports.push(StoredReport {
                report_id,
                quarter,
                submitted_at: get("submitted_at"),
                total_emissions_tco2: get("total_emissions_tco2"),
                validation_status: get("validation_status"),
                submitted_to_eu: get("submitted_to_eu"),
                created_at: get("created_at"),
                line,
            });
        } else {
            let values = t
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| (c.clone(), f.get(i).map(str::to_string)))
                .collect();
            let row = StoredRow { line, values };
            if t.matches("pipeline_runs") {
                self.out.pipeline_runs.push(row);
            } else {
                self.out.schema_migrations.push(row);
            }
        }
        Ok(())
    }
}

/// The first pass. The dump must be whole (pg_dump's completion line) and hold `shipments`
/// and `reports`.
pub fn small_tables(backup: &Path, touched: &dyn Selection) -> Result<SmallTables> {
    let mut v = FirstPass {
        path: backup,
        out: SmallTables::default(),
        touched,
        scratch: Vec::new(),
    };
    let summary = pgdump::read_dump(backup, &mut v)?;
    if !summary.complete {
        return Err(Error::Damaged {
            path: backup.to_path_buf(),
            line: summary.lines,
            table: None,
            message: "the dump ends without pg_dump's completion line: it was cut short, and an \
                      audit of part of a database would report rows as missing"
                .into(),
        });
    }
    for needed in ["shipments", "reports"] {
        if !summary
            .tables
            .iter()
            .any(|t| t.table == needed || t.table.ends_with(&format!(".{needed}")))
        {
            return Err(Error::Data {
                path: backup.to_path_buf(),
                message: format!(
                    "the dump has no data for table {needed:?} (an audit needs shipments and reports); tables with data: {}",
                    summary.tables.iter().map(|t| t.table.as_str()).collect::<Vec<_>>().join(", ")
                ),
            });
        }
    }
    v.out.summary = Some(summary);
    Ok(v.out)
}

struct SecondPass<'a> {
    path: PathBuf,
    select: &'a dyn Selection,
    groups: BTreeMap<
        String,
        (
            csv::Writer<std::io::BufWriter<tempfile::NamedTempFile>>,
            u64,
        ),
    >,
    /// Indices of the columns written (all but the audit columns), and the header.
    kept: Vec<usize>,
    header: Vec<String>,
    scratch: Vec<String>,
}

impl DumpVisitor for SecondPass<'_> {
    fn table(&mut self, t: &Table) -> Result<bool> {
        if !t.matches("shipments") {
            return Ok(false);
        }
        self.kept = (0..t.columns.len())
            .filter(|&i| !AUDIT_COLUMNS.contains(&t.columns[i].as_str()))
            .collect();
        self.header = self.kept.iter().map(|&i| t.columns[i].clone()).collect();
        self.header.push(BACKUP_LINE.into());
        Ok(true)
    }

    fn row(&mut self, t: &Table, f: &Fields, line: u64) -> Result<()> {
        let mut groups = std::mem::take(&mut self.scratch);
        groups.clear();
        self.select.groups(&keys(t, f), &mut groups);
        for group in &groups {
            self.write(group, f, line)?;
        }
        self.scratch = groups;
        Ok(())
    }
}

impl SecondPass<'_> {
    fn write(&mut self, group: &str, f: &Fields, line: u64) -> Result<()> {
        let io = |e: std::io::Error| Error::Write {
            path: std::env::temp_dir(),
            source: e,
        };
        if !self.groups.contains_key(group) {
            let file = tempfile::Builder::new()
                .prefix("cbam-audit-")
                .suffix(".csv")
                .tempfile()
                .map_err(io)?;
            let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
            w.write_record(&self.header).map_err(|e| io(e.into()))?;
            self.groups.insert(group.to_string(), (w, 0));
        }
        let (w, n) = self.groups.get_mut(group).ok_or_else(|| Error::Data {
            path: self.path.clone(),
            message: "an audit group vanished".into(),
        })?;
        let line_text = line.to_string();
        let fields = self
            .kept
            .iter()
            .map(|&i| f.get(i).unwrap_or(""))
            .chain(std::iter::once(line_text.as_str()));
        w.write_record(fields).map_err(|e| io(e.into()))?;
        *n += 1;
        Ok(())
    }
}

/// The second pass: the selected shipments, one CSV per group.
pub fn shipment_groups(
    backup: &Path,
    select: &dyn Selection,
) -> Result<BTreeMap<String, GroupCsv>> {
    let mut v = SecondPass {
        path: backup.to_path_buf(),
        select,
        groups: BTreeMap::new(),
        kept: Vec::new(),
        header: Vec::new(),
        scratch: Vec::new(),
    };
    pgdump::read_dump(backup, &mut v)?;
    let mut out = BTreeMap::new();
    for (group, (w, rows)) in v.groups {
        let io = |e: std::io::Error| Error::Write {
            path: std::env::temp_dir(),
            source: e,
        };
        let mut file = w
            .into_inner()
            .map_err(|e| io(std::io::Error::other(e.to_string())))?
            .into_inner()
            .map_err(|e| io(e.into_error()))?;
        file.flush().map_err(io)?;
        out.insert(group, GroupCsv { file, rows });
    }
    Ok(out)
}
