//! `--summary`: a readable Markdown summary of the report (totals, by sector, by origin, by
//! method, findings). Built only from the report, so it can never disagree with it.

use crate::report::Report;
use std::fmt::Write as _;

/// Text from the data (a name, an id, a message quoting a header) as one Markdown table cell
/// that keeps the table's shape and reads back as written: a character Markdown (GFM) gives a
/// meaning inside a cell (`\\ | ` * _ [ ] < > & ~ $`) is backslash-escaped (an `_` inside a
/// word means nothing and stays), and a control character (a newline would end the row) or
/// a blank at either end (a table trims those) is written as a numeric character reference
/// (`&#10;`).
/// A Markdown table cell (or inline text) that cannot break the table or inject markup:
/// pipes, backticks, emphasis, links and HTML escaped, control characters shown.
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev: Option<char> = None;
    let inner = s.trim();
    let (lead, trail) = (s.len() - s.trim_start().len(), s.trim_end().len());
    let mut it = s.char_indices().peekable();
    while let Some((at, c)) = it.next() {
        let next = it.peek().map(|&(_, n)| n);
        match c {
            c if c.is_whitespace() && (at < lead || at >= trail || inner.is_empty()) => {
                let _ = write!(out, "&#{};", u32::from(c));
            }
            '_' if prev.is_some_and(char::is_alphanumeric)
                && next.is_some_and(char::is_alphanumeric) =>
            {
                out.push('_')
            }
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '~' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "&#{};", u32::from(c));
            }
            c => out.push(c),
        }
        prev = Some(c);
    }
    out
}

/// The title and the report's identity: period, importer, declarant, status.
fn head(s: &mut String, r: &Report) {
    let (m, d, v) = (
        &r.report_metadata,
        &r.importer_declaration,
        &r.validation_results,
    );
    let _ = writeln!(s, "# CBAM report {}\n", m.report_id);
    let _ = writeln!(s, "| | |\n|---|---|");
    let _ = writeln!(
        s,
        "| Quarter | {} ({} … {}) |",
        m.quarter, m.reporting_period_start, m.reporting_period_end
    );
    let _ = writeln!(s, "| Period | {:?} |", m.period_type);
    let _ = writeln!(
        s,
        "| Importer | {} ({}), EORI {} |",
        cell(&d.importer_name),
        cell(&d.importer_country),
        cell(&d.importer_eori)
    );
    let _ = writeln!(
        s,
        "| Declarant | {}, {} |",
        cell(&d.declarant_name),
        cell(&d.declarant_position)
    );
    let _ = writeln!(
        s,
        "| Generated | {} by {} |",
        m.generated_at, m.generated_by
    );
    let _ = writeln!(
        s,
        "| Status | {} |",
        if v.is_valid {
            "valid (no errors)"
        } else {
            "NOT valid: errors below"
        }
    );
    if let Some(x) = &v.registry {
        let _ = writeln!(s, "| Registry XML | {} |", registry_verdict(x));
    }
    s.push('\n');
}

/// `report.xml (QReport 23.00): valid for upload: no, 40 errors, 0 warnings`.
pub fn registry_verdict(x: &crate::report::RegistryVerdict) -> String {
    let written = if x.written { "" } else { " NOT written," };
    let verdict = if x.valid_for_upload {
        format!("yes ({} warnings)", x.warning_count)
    } else {
        format!("no, {} errors, {} warnings", x.error_count, x.warning_count)
    };
    format!(
        "{} ({}):{written} valid for upload: {verdict}",
        cell(&x.file),
        x.schema
    )
}

/// Rows and emissions in total.
fn totals(s: &mut String, r: &Report) {
    let (g, e) = (&r.goods_summary, &r.emissions_summary);
    let _ = writeln!(s, "## Totals\n");
    let _ = writeln!(s, "| | value |\n|---|---:|");
    let _ = writeln!(s, "| Rows read | {} |", g.rows.read);
    let _ = writeln!(s, "| Rows calculated | {} |", g.rows.calculated);
    let _ = writeln!(s, "| Rows rejected | {} |", g.rows.rejected);
    let _ = writeln!(s, "| Rows out of CBAM scope | {} |", g.rows.out_of_scope);
    let _ = writeln!(s, "| Total mass (t) | {} |", g.total_mass_tonnes);
    let _ = writeln!(
        s,
        "| Direct emissions (tCO2e) | {} |",
        e.total_direct_emissions_tco2
    );
    let _ = writeln!(
        s,
        "| Indirect emissions (tCO2e) | {} |",
        e.total_indirect_emissions_tco2
    );
    let _ = writeln!(
        s,
        "| **Total embedded emissions (tCO2e)** | **{}** |",
        e.total_embedded_emissions_tco2
    );
    if let Some(i) = e.emissions_intensity_tco2_per_tonne {
        let _ = writeln!(s, "| Intensity (tCO2e/t) | {i} |");
    }
    let _ = writeln!(s);
}

/// Per product group, with its share of the emissions.
fn by_sector(s: &mut String, r: &Report) {
    let (g, e) = (&r.goods_summary, &r.emissions_summary);
    let _ = writeln!(s, "## By sector\n");
    let _ = writeln!(s, "| Product group | Shipments | Mass (t) | Emissions (tCO2e) | Share |\n|---|---:|---:|---:|---:|");
    for pg in &g.product_groups {
        let em = e
            .emissions_by_product_group
            .iter()
            .find(|x| x.product_group.as_deref() == Some(pg.product_group.as_str()));
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {}% |",
            cell(&pg.product_group),
            pg.shipment_count,
            pg.total_mass_tonnes,
            em.map(|x| x.total_emissions_tco2.to_string())
                .unwrap_or_default(),
            em.map(|x| x.percentage_of_total.to_string())
                .unwrap_or_default()
        );
    }
    let _ = writeln!(s);
}

/// Per origin, with its share of the emissions.
fn by_origin(s: &mut String, r: &Report) {
    let (g, e) = (&r.goods_summary, &r.emissions_summary);
    let _ = writeln!(s, "## By origin\n");
    let _ = writeln!(
        s,
        "| Origin | Shipments | Mass (t) | Emissions (tCO2e) | Share |\n|---|---:|---:|---:|---:|"
    );
    for o in &g.origin_countries {
        let em = e
            .emissions_by_origin_country
            .iter()
            .find(|x| x.country_iso.as_deref() == Some(o.country_iso.as_str()));
        let _ = writeln!(
            s,
            "| {} {} | {} | {} | {} | {}% |",
            cell(&o.country_iso),
            cell(&o.country_name),
            o.shipment_count,
            o.total_mass_tonnes,
            em.map(|x| x.total_emissions_tco2.to_string())
                .unwrap_or_default(),
            em.map(|x| x.percentage_of_total.to_string())
                .unwrap_or_default()
        );
    }
    let _ = writeln!(s);
}

/// Lines per calculation method.
fn by_method(s: &mut String, r: &Report) {
    let e = &r.emissions_summary;
    let c = &e.calculation_methods_used;
    let _ = writeln!(s, "## By method\n");
    let _ = writeln!(s, "| Method | Lines |\n|---|---:|");
    let _ = writeln!(s, "| Supplier actual data | {} |", c.actual_data_count);
    let _ = writeln!(s, "| Default values | {} |\n", c.default_values_count);
}

/// The findings grouped by severity and code (errors first, codes in order), each with its
/// count, first lines and first message — never one line per finding: a file of a million bad
/// rows gives a summary of a few lines, the report holds every finding.
fn findings(s: &mut String, r: &Report) -> std::io::Result<()> {
    let v = &r.validation_results;
    let _ = writeln!(s, "## Findings\n");
    let _ = writeln!(
        s,
        "{} errors, {} warnings, {} notes.\n",
        v.error_count, v.warning_count, v.info_count
    );
    if v.error_count + v.warning_count + v.info_count == 0 {
        return Ok(());
    }
    let _ = writeln!(
        s,
        "| Severity | Code | Count | First lines | Field | First message |\n|---|---|---:|---|---|---|"
    );
    for (severity, list) in [
        ("error", &v.errors),
        ("warning", &v.warnings),
        ("info", &v.infos),
    ] {
        for g in super::groups::finding_groups(list)? {
            let _ = writeln!(
                s,
                "| {severity} | {} | {} | {} | {} | {} |",
                cell(&g.code),
                g.count,
                g.where_found(),
                cell(g.field.unwrap_or("")),
                cell(&g.message)
            );
        }
    }
    let _ = writeln!(s);
    Ok(())
}

/// Every input and reference file with its digest.
fn provenance(s: &mut String, r: &Report) {
    let _ = writeln!(s, "## Provenance\n");
    let _ = writeln!(s, "| Role | Origin | File | SHA-256 |\n|---|---|---|---|");
    for fd in r
        .provenance
        .inputs
        .iter()
        .chain(&r.provenance.reference_data)
    {
        // A CSV/TSV read in another dialect than `,` and `.` says which.
        let dialect = match (fd.delimiter, fd.decimal_mark) {
            (Some(d), Some(m)) => {
                let d = if d == "\t" {
                    "tab".to_string()
                } else {
                    format!("'{d}'")
                };
                format!(" (delimiter {d}, decimal mark '{m}')")
            }
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | `{}` |",
            cell(fd.role),
            cell(fd.origin),
            cell(&format!("{}{dialect}", fd.file_name)),
            fd.sha256
        );
    }
}

/// The summary; it fails only when the findings cannot be read back from their temporary files.
pub fn summary_markdown(r: &Report) -> std::io::Result<String> {
    let mut s = String::new();
    head(&mut s, r);
    totals(&mut s, r);
    by_sector(&mut s, r);
    by_origin(&mut s, r);
    by_method(&mut s, r);
    if let Some(o) = &r.certificate_obligation {
        obligation_markdown(&mut s, o);
    }
    findings(&mut s, r)?;
    provenance(&mut s, r);
    Ok(s)
}

fn opt(v: Option<rust_decimal::Decimal>) -> String {
    v.map(|d| d.to_string())
        .unwrap_or_else(|| "not known".to_string())
}

/// The certificate obligation and the annual declaration summary (definitive period).
fn obligation_markdown(s: &mut String, o: &crate::report::CertificateObligation) {
    let _ = writeln!(s, "## Certificate obligation\n");
    let _ = writeln!(
        s,
        "| Period | Gross tCO2e | Free-allocation adjustment | Carbon price deduction | Net tCO2e | Price EUR | Cost EUR | Holding (certificates) |\n|---|---:|---:|---:|---:|---:|---:|---:|"
    );
    for y in &o.years {
        for q in &y.quarters {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                q.quarter,
                q.gross_emissions_tco2,
                q.free_allocation_adjustment_tco2,
                q.carbon_price_deduction_tco2,
                q.net_emissions_tco2,
                opt(q.certificate_price_eur),
                opt(q.estimated_cost_eur),
                q.holding_requirement_certificates
                    .map(|h| h.to_string())
                    .unwrap_or_else(|| "-".into())
            );
        }
        let _ = writeln!(
            s,
            "| **{}** | **{}** | **{}** | **{}** | **{}** | | **{}** | |",
            y.year,
            y.gross_emissions_tco2,
            y.free_allocation_adjustment_tco2,
            y.carbon_price_deduction_tco2,
            y.net_emissions_tco2,
            opt(y.estimated_cost_eur)
        );
    }
    let _ = writeln!(s);
    for y in &o.years {
        let d = &y.de_minimis;
        let _ = writeln!(
            s,
            "- {}: **{} certificates** (net {} tCO2e rounded up); CBAM factor {}; de minimis: {} t counted of {} t ({} %): {}",
            y.year,
            y.certificates,
            y.net_emissions_tco2,
            y.cbam_factor,
            d.counted_mass_tonnes,
            d.threshold_tonnes,
            d.share_of_threshold_pct,
            d.status
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "## Annual declaration summary\n");
    let _ = writeln!(
        s,
        "| Year | CN code | Origin | Method | Mass t | Embedded tCO2e | Certificates tCO2e | Cost EUR |\n|---|---|---|---|---:|---:|---:|---:|"
    );
    for e in &o.declaration_summary {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            e.year,
            cell(&e.cn_code),
            cell(&e.origin_iso),
            e.method,
            e.mass_tonnes,
            e.embedded_emissions_tco2,
            e.certificates_tco2,
            opt(e.estimated_cost_eur)
        );
    }
    let _ = writeln!(s);
}
