//! `cbam diff`: are two reports the same, ignoring only the declared volatile fields?

use super::Format;
use anyhow::Context;
use cbam::compare::{declared_volatile, differences, Ignore};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// First report (or --report1).
    #[arg(value_name = "A", required_unless_present = "report1")]
    pub a: Option<PathBuf>,
    /// Second report (or --report2).
    #[arg(value_name = "B", required_unless_present = "report2")]
    pub b: Option<PathBuf>,
    #[arg(long, value_name = "FILE", conflicts_with = "a")]
    pub report1: Option<PathBuf>,
    #[arg(long, value_name = "FILE", conflicts_with = "b")]
    pub report2: Option<PathBuf>,
    /// Also ignore these paths (dotted; `[]` for any index), on top of the declared volatile fields.
    #[arg(long, value_name = "PATH")]
    pub ignore: Vec<String>,
    /// Show at most this many differences.
    #[arg(long, default_value_t = 20)]
    pub max: usize,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(a: Args) -> anyhow::Result<u8> {
    let (pa, pb) = match (a.a.or(a.report1), a.b.or(a.report2)) {
        (Some(x), Some(y)) => (x, y),
        _ => anyhow::bail!("expected two reports: cbam diff A B (or --report1 A --report2 B)"),
    };
    // Each file is read once. Byte-identical files (the usual result of a determinism check
    // with a pinned time) need no parsing; only a JSON object can be a report, so anything
    // else goes on to the parser and its error.
    let read = |p: &PathBuf| {
        std::fs::read(p).map_err(|source| cbam::Error::Read {
            path: p.clone(),
            source,
        })
    };
    let (ba, bb) = (read(&pa)?, read(&pb)?);
    let starts_as_object = ba.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'{');
    if ba == bb && starts_as_object {
        let mut out = std::io::stdout().lock();
        match a.format {
            Format::Json => writeln!(
                out,
                "{}",
                serde_json::json!({"identical": true, "byte_identical": true, "difference_count": 0, "differences": []})
            )?,
            Format::Table => writeln!(out, "identical (byte for byte)")?,
        }
        return Ok(0);
    }
    let (va, _) = cbam::validate::parse_report(&pa, &ba)?;
    let (vb, _) = cbam::validate::parse_report(&pb, &bb)?;
    drop((ba, bb));
    let mut ignored = declared_volatile(&va);
    for p in declared_volatile(&vb)
        .into_iter()
        .chain(a.ignore.iter().cloned())
    {
        if !ignored.contains(&p) {
            ignored.push(p);
        }
    }
    let ignore = Ignore::new(&ignored).context("--ignore")?;
    let diffs = differences(&va, &vb, &ignore);
    let mut out = std::io::stdout().lock();
    match a.format {
        Format::Json => {
            let j = serde_json::json!({
                "identical": diffs.is_empty(),
                "ignored": ignored,
                "difference_count": diffs.len(),
                "differences": diffs.iter().take(a.max).collect::<Vec<_>>(),
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&j)?)?;
        }
        Format::Table => {
            if diffs.is_empty() {
                writeln!(out, "identical (ignoring {})", ignored.join(", "))?;
            } else {
                for d in diffs.iter().take(a.max) {
                    let show = |v: &Option<String>| {
                        v.as_deref()
                            .map(|v| {
                                cbam::model::printable(&cbam::model::truncate_for_message(v))
                                    .into_owned()
                            })
                            .unwrap_or_else(|| "(missing)".into())
                    };
                    writeln!(
                        out,
                        "{}\n  A: {}\n  B: {}",
                        cbam::model::printable(&d.path),
                        show(&d.a),
                        show(&d.b)
                    )?;
                }
                if diffs.len() > a.max {
                    writeln!(out, "… {} more", diffs.len() - a.max)?;
                }
                writeln!(
                    out,
                    "{} difference(s) (ignoring {})",
                    diffs.len(),
                    ignored.join(", ")
                )?;
            }
        }
    }
    Ok(if diffs.is_empty() { 0 } else { 1 })
}
