//! The audit result as Markdown: the verdict, each group with its checks, the findings.

use super::{AuditResult, Check};
use std::fmt::Write;

/// Text from the backup, escaped as the report's Markdown escapes it.
use crate::write::markdown::cell;

pub fn render(r: &AuditResult) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# CBAM {} audit: {}\n", r.audit, cell(&r.period));
    let _ = writeln!(s, "**{}** — {}.\n", r.verdict(), r.inconsistencies_text());
    let b = &r.backup;
    let _ = writeln!(
        s,
        "Backup `{}` ({} bytes, SHA-256 `{}`); tables: {}. Schema migrations: {}{}.\n",
        cell(&b.file),
        b.size_bytes,
        b.sha256,
        b.tables
            .iter()
            .map(|(t, n)| format!("{} ({n})", cell(t)))
            .collect::<Vec<_>>()
            .join(", "),
        r.schema_migrations.count,
        r.schema_migrations
            .latest
            .as_deref()
            .map(|v| format!(", latest {}", cell(v)))
            .unwrap_or_default()
    );
    for g in &r.groups {
        let _ = writeln!(s, "## {} ({} shipments)\n", cell(&g.group), g.shipments);
        if let Some(x) = &g.recomputed {
            let _ = writeln!(
                s,
                "Recomputed: {} tCO2e ({} direct, {} indirect); rows {} read, {} calculated, {} rejected; {} errors, {} warnings; cbam report id `{}`.\n",
                x.total_embedded_emissions_tco2,
                x.total_direct_emissions_tco2,
                x.total_indirect_emissions_tco2,
                x.rows.read,
                x.rows.calculated,
                x.rows.rejected,
                x.error_count,
                x.warning_count,
                x.report_id
            );
        }
        checks(&mut s, &g.checks);
    }
    if !r.deadlines.is_empty() {
        let _ = writeln!(s, "## Deadlines\n");
        checks(&mut s, &r.deadlines);
    }
    if let Some(x) = &r.sample {
        let _ = writeln!(
            s,
            "## Sample\n\n{}{}.\n",
            x.summary(),
            if x.different.is_empty() {
                String::new()
            } else {
                format!(", different: {}", cell(&x.different.join(", ")))
            }
        );
    }
    if !r.pipeline_runs.is_empty() {
        let _ = writeln!(s, "## Pipeline runs\n");
        for run in &r.pipeline_runs {
            let values: Vec<String> = run
                .values
                .iter()
                .map(|(k, v)| format!("{}={}", cell(k), cell(v.as_deref().unwrap_or("NULL"))))
                .collect();
            let _ = writeln!(s, "- line {}: {}", run.line, values.join(", "));
        }
        s.push('\n');
    }
    if !r.findings.is_empty() {
        let _ = writeln!(
            s,
            "## Findings\n\n| severity | check | message |\n|---|---|---|"
        );
        for f in &r.findings {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                f.severity.as_str(),
                f.check,
                cell(&f.message)
            );
        }
    }
    s
}

fn checks(s: &mut String, checks: &[Check]) {
    let _ = writeln!(s, "| check | status | stored | recomputed | difference | message |\n|---|---|---:|---:|---:|---|");
    for c in checks {
        let o = |v: &Option<String>| v.as_deref().map(cell).unwrap_or_default();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            c.check,
            c.status,
            o(&c.stored),
            o(&c.recomputed),
            o(&c.difference),
            cell(&c.message)
        );
    }
    s.push('\n');
}
