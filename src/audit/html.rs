//! The audit result as the report's HTML page (the same stylesheet, running header and print
//! layout): the verdict, each group with its checks, deadlines, the sample, the findings and
//! the backup with its SHA-256. Every string from the backup is escaped.

use super::{AuditResult, Check};
use crate::html::esc;
use std::fmt::Write;

pub fn render(r: &AuditResult) -> String {
    let mut s = String::with_capacity(16 * 1024);
    let verdict = if r.consistent {
        format!("<span class=\"ok\">{}</span>", r.verdict())
    } else {
        format!(
            "<span class=\"bad\">{}</span>: {}",
            r.verdict(),
            r.inconsistencies_text()
        )
    };
    let _ = write!(
        s,
        "<section class=\"sec first\" id=\"verdict\">\n<h1>CBAM {} audit {}</h1>\n<p class=\"sub\">{verdict}</p>\n\
         <div class=\"kpis\">",
        esc(r.audit),
        esc(&r.period)
    );
    let shipments: u64 = r.groups.iter().map(|g| g.shipments).sum();
    for (value, label) in [
        (r.groups.len().to_string(), "groups recomputed"),
        (shipments.to_string(), "shipments recomputed"),
        (r.inconsistencies.to_string(), "inconsistencies"),
        (r.findings.len().to_string(), "findings"),
    ] {
        let _ = write!(
            s,
            "<div class=\"kpi\"><b>{}</b><span>{}</span></div>",
            esc(&value),
            esc(label)
        );
    }
    s.push_str("</div>\n</section>\n");
    for g in &r.groups {
        let _ = writeln!(
            s,
            "<section class=\"sec\">\n<h2>{} ({} shipments)</h2>",
            esc(&g.group),
            g.shipments
        );
        if let Some(x) = &g.recomputed {
            let _ = writeln!(
                s,
                "<p>Recomputed: <b>{}</b> tCO2e ({} direct, {} indirect); rows {} read, {} calculated, \
                 {} rejected; {} errors, {} warnings; on {} and {} threads: {}. cbam report id {}.</p>",
                esc(&x.total_embedded_emissions_tco2.to_string()),
                esc(&x.total_direct_emissions_tco2.to_string()),
                esc(&x.total_indirect_emissions_tco2.to_string()),
                x.rows.read,
                x.rows.calculated,
                x.rows.rejected,
                x.error_count,
                x.warning_count,
                x.threads[0],
                x.threads[1],
                if x.deterministic { "identical" } else { "<span class=\"bad\">DIFFERENT</span>" },
                esc(&x.report_id)
            );
        }
        checks(&mut s, &g.checks);
        s.push_str("</section>\n");
    }
    if !r.deadlines.is_empty() {
        s.push_str("<section class=\"sec\">\n<h2>Deadlines</h2>\n");
        checks(&mut s, &r.deadlines);
        s.push_str("</section>\n");
    }
    if let Some(x) = &r.sample {
        let _ = writeln!(
            s,
            "<section class=\"sec\">\n<h2>Sample</h2>\n<p>{}{}.</p>\n</section>",
            esc(&x.summary()),
            if x.different.is_empty() {
                String::new()
            } else {
                format!(
                    ", <span class=\"bad\">different</span>: {}",
                    esc(&x.different.join(", "))
                )
            }
        );
    }
    if !r.findings.is_empty() {
        s.push_str("<section class=\"sec\">\n<h2>Findings</h2>\n<table class=\"data\"><thead><tr><th>Severity</th><th>Check</th><th>Message</th></tr></thead><tbody>");
        for f in &r.findings {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(f.severity.as_str()),
                esc(f.check),
                esc(&f.message)
            );
        }
        s.push_str("</tbody></table>\n</section>\n");
    }
    backup(&mut s, r);
    crate::html::frame(
        &format!("CBAM {} audit {}", r.audit, r.period),
        &[
            format!("CBAM {} audit {}", r.audit, r.period),
            format!("backup {}", r.backup.file),
            r.verdict().to_string(),
        ],
        &s,
    )
}

fn checks(s: &mut String, checks: &[Check]) {
    s.push_str("<table class=\"data\"><thead><tr><th>Check</th><th>Status</th><th class=\"n\">Stored</th>\
                <th class=\"n\">Recomputed</th><th class=\"n\">Difference</th><th>Message</th></tr></thead><tbody>");
    for c in checks {
        let o = |v: &Option<String>| esc(v.as_deref().unwrap_or(""));
        let status = if c.status == "inconsistent" {
            format!("<span class=\"bad\">{}</span>", esc(c.status))
        } else {
            esc(c.status)
        };
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{status}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(c.check),
            o(&c.stored),
            o(&c.recomputed),
            o(&c.difference),
            esc(&c.message)
        );
    }
    s.push_str("</tbody></table>\n");
}

fn backup(s: &mut String, r: &AuditResult) {
    let b = &r.backup;
    let _ = write!(
        s,
        "<section class=\"sec\">\n<h2>Backup</h2>\n<p>{} · {} bytes · SHA-256 <code>{}</code> · schema migrations: {}{}</p>\n\
         <table class=\"data\"><thead><tr><th>Table</th><th class=\"n\">Rows</th></tr></thead><tbody>",
        esc(&b.file),
        b.size_bytes,
        esc(&b.sha256),
        r.schema_migrations.count,
        r.schema_migrations
            .latest
            .as_deref()
            .map(|v| format!(", latest {}", esc(v)))
            .unwrap_or_default()
    );
    for (t, n) in &b.tables {
        let _ = write!(s, "<tr><td>{}</td><td class=\"n\">{n}</td></tr>", esc(t));
    }
    s.push_str("</tbody></table>\n</section>\n");
}
