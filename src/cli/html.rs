//! `cbam html`: a report JSON (ours or the production system's) → one self-contained HTML page.

use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The report JSON (written by `cbam report`, or the production system's report).
    #[arg(value_name = "REPORT.json")]
    pub report: PathBuf,
    /// HTML page to write (atomically).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Print nothing on success.
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(mut a: Args) -> anyhow::Result<u8> {
    cbam::fsio::check_outputs(
        &[("REPORT", a.report.as_path())],
        &[("--output", a.output.as_path())],
    )?;
    let mut stdin = super::Stdin::default();
    a.report = stdin.resolve(&a.report)?;
    let page = cbam::html::read(&a.report)?;
    let html = cbam::html::render(&page);
    cbam::fsio::atomic_write(&a.output, |w| w.write_all(html.as_bytes()))?;
    if !a.quiet {
        writeln!(
            super::status_out(&[&a.output]),
            "html        {} ({} bytes) from {}",
            a.output.display(),
            html.len(),
            a.report.display()
        )?;
    }
    Ok(0)
}
