//! Write: report JSON, Markdown summary, per-line CSV. Every file is written to a temporary
//! file beside its target and renamed into place (`fsio::Outputs`: the outputs of one run are
//! renamed only once all were written), so a reader never sees half a report, and a failed or
//! interrupted run leaves every earlier file untouched. Every key and value from the data is
//! escaped for the format it goes into (JSON strings, Markdown cells, CSV fields).

pub mod json_line;
mod lines;
mod markdown;

use crate::error::Result;
use crate::fsio::atomic_write;
use crate::report::Report;
use std::io::Write;
use std::path::Path;

pub use lines::write_lines_csv;
pub use markdown::summary_markdown;

/// Lines rendered per parallel batch (bounded memory: two batches of text at a time).
const BATCH_LINES: usize = 32_768;

/// The report as JSON, newline-terminated: the summary sections pretty-printed (2-space
/// indent, like the production system), and `detailed_goods` with **one shipment per line**
/// (compact JSON), so a million-shipment report stays readable, greppable and diffable line by
/// line, and about 40 % smaller.
///
/// `detailed_goods` is rendered in parallel batches while the previous batch is written; the
/// rest of the report is serialised without it and the entries are spliced in before
/// `emissions_summary` (top-level keys are the only lines indented by exactly two spaces).
pub fn report_json(report: &Report, w: &mut (dyn Write + Send)) -> std::io::Result<()> {
    use rayon::prelude::*;
    let Some(goods) = &report.detailed_goods else {
        serde_json::to_writer_pretty(&mut *w, report).map_err(std::io::Error::other)?;
        return w.write_all(b"\n");
    };
    let head = serde_json::to_vec_pretty(&crate::report::ReportHead(report))
        .map_err(std::io::Error::other)?;
    const MARK: &[u8] = b"\n  \"emissions_summary\": ";
    let at = memchr::memmem::find(&head, MARK)
        .ok_or_else(|| std::io::Error::other("report layout: emissions_summary not found"))?;
    w.write_all(&head[..at + 1])?;
    let set = &goods.0;
    let n = set.len();
    if n == 0 {
        w.write_all(b"  \"detailed_goods\": [],")?;
    } else {
        w.write_all(b"  \"detailed_goods\": [")?;
        let render = |start: usize| -> std::io::Result<Vec<Vec<u8>>> {
            let end = (start + BATCH_LINES).min(n);
            (start..end)
                .into_par_iter()
                .with_min_len(2048)
                .fold(
                    || Ok(Vec::with_capacity(4 << 20)),
                    |acc: std::io::Result<Vec<u8>>, k| {
                        let mut buf = acc?;
                        if k > 0 {
                            buf.push(b',');
                        }
                        buf.extend_from_slice(b"\n    ");
                        json_line::detailed_good(&mut buf, set.get(k));
                        Ok(buf)
                    },
                )
                .collect()
        };
        let mut pending = render(0)?;
        let mut next = BATCH_LINES;
        loop {
            let more = next < n;
            // Write this batch while the next one renders.
            let (written, rendered) = rayon::join(
                || -> std::io::Result<()> {
                    for p in &pending {
                        w.write_all(p)?;
                    }
                    Ok(())
                },
                || {
                    if more {
                        render(next).map(Some)
                    } else {
                        Ok(None)
                    }
                },
            );
            written?;
            match rendered? {
                Some(r) => {
                    pending = r;
                    next += BATCH_LINES;
                }
                None => break,
            }
        }
        w.write_all(b"\n  ],")?;
    }
    w.write_all(&head[at..])?;
    w.write_all(b"\n")
}

pub fn write_report(path: &Path, report: &Report) -> Result<()> {
    atomic_write(path, |w| report_json(report, w))
}
