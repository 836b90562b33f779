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
    /// First report, as the production system's verify_determinism.py names it (instead of A).
    #[arg(long, value_name = "FILE", conflicts_with = "a")]
    pub report1: Option<PathBuf>,
    /// Second report (instead of B).
    #[arg(long, value_name = "FILE", conflicts_with = "b")]
    pub report2: Option<PathBuf>,
    /// Also ignore these paths (dotted; `[]` for any index), on top of the declared volatile fields.
    #[arg(long, value_name = "PATH")]
    pub ignore: Vec<String>,
    /// Count differences of provenance only (an input's file name, in `provenance` and in
    /// findings) as differences; without it they are listed apart and do not make the reports
    /// differ (a renamed copy of the same input gives the same report).
    #[arg(long)]
    pub strict: bool,
    /// Show at most this many differences.
    #[arg(long, default_value_t = 20)]
    pub max: usize,
    /// What stdout shows: `table` for people, `json` for scripts.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(a: Args) -> anyhow::Result<u8> {
    let (pa, pb) = match (a.a.or(a.report1), a.b.or(a.report2)) {
        (Some(x), Some(y)) => (x, y),
        _ => anyhow::bail!("expected two reports: cbam diff A B (or --report1 A --report2 B)"),
    };
    let mut stdin = super::Stdin::default();
    let (pa, pb) = (stdin.resolve(&pa)?, stdin.resolve(&pb)?);
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
        let mut out = super::stdout();
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
    let d = diff_reports((&pa, &ba), (&pb, &bb), &a.ignore, a.max, a.strict)?;
    let mut out = super::stdout();
    match a.format {
        Format::Json => {
            let j = serde_json::json!({
                "identical": d.count == 0,
                "ignored": d.ignored,
                "difference_count": d.count,
                "differences": d.shown,
                "provenance_only_count": d.provenance_count,
                "provenance_only": d.provenance_shown,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&j)?)?;
        }
        Format::Table => print_table(&mut out, &d)?,
    }
    Ok(if d.count == 0 { 0 } else { 1 })
}

fn print_differences(
    out: &mut impl Write,
    diffs: &[cbam::compare::Difference],
    count: u64,
) -> std::io::Result<()> {
    let show = |v: &Option<String>| {
        v.as_deref()
            .map(|v| cbam::model::printable(&cbam::model::truncate_for_message(v)).into_owned())
            .unwrap_or_else(|| "(missing)".into())
    };
    for d in diffs {
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
    Ok(())
}

fn print_table(out: &mut impl Write, d: &cbam::compare::FileDiff) -> std::io::Result<()> {
    let ignoring = d.ignored.join(", ");
    if d.provenance_count > 0 {
        writeln!(out, "provenance only (not counted; --strict counts them):")?;
        print_differences(out, &d.provenance_shown, d.provenance_count)?;
    }
    if d.count == 0 {
        let renamed = if d.provenance_count > 0 {
            format!(", {} provenance-only difference(s)", d.provenance_count)
        } else {
            String::new()
        };
        return writeln!(out, "identical (ignoring {ignoring}{renamed})");
    }
    print_differences(out, &d.shown, d.count)?;
    writeln!(out, "{} difference(s) (ignoring {ignoring})", d.count)
}
