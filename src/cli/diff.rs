//! `cbam diff`: are two reports the same, ignoring only the declared volatile fields?

use super::Format;
use cbam::compare::diff_reports;
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
    // Each file is mapped, never read whole, and neither becomes one JSON tree: heads are
    // compared whole, `detailed_goods` and the findings element by element. Byte-identical
    // files (the usual result of a determinism check with a pinned time) need no parsing;
    // only a JSON object can be a report, so anything else goes on to the parser and its error.
    let (ba, bb) = (
        cbam::fsio::FileBytes::open(&pa)?,
        cbam::fsio::FileBytes::open(&pb)?,
    );
    let starts_as_object = ba.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'{');
    if *ba == *bb && starts_as_object {
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
    let d = diff_reports((&pa, &ba), (&pb, &bb), &a.ignore, a.max)?;
    let (ignored, diffs, count) = (d.ignored, d.shown, d.count);
    let mut out = std::io::stdout().lock();
    match a.format {
        Format::Json => {
            let j = serde_json::json!({
                "identical": count == 0,
                "ignored": ignored,
                "difference_count": count,
                "differences": diffs,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&j)?)?;
        }
        Format::Table => {
            if count == 0 {
                writeln!(out, "identical (ignoring {})", ignored.join(", "))?;
            } else {
                for d in &diffs {
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
                if count > diffs.len() as u64 {
                    writeln!(out, "… {} more", count - diffs.len() as u64)?;
                }
                writeln!(
                    out,
                    "{count} difference(s) (ignoring {})",
                    ignored.join(", ")
                )?;
            }
        }
    }
    Ok(if count == 0 { 0 } else { 1 })
}
