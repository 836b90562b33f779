//! Write: report JSON, Markdown summary, per-line CSV. Every file is written to a temporary
//! file beside its target and renamed into place (`fsio::Outputs`: the outputs of one run are
//! renamed only once all were written), so a reader never sees half a report, and a failed or
//! interrupted run leaves every earlier file untouched. Every key and value from the data is
//! escaped for the format it goes into (JSON strings, Markdown cells, CSV fields).

mod groups;
pub mod json_line;
mod lines;
pub mod markdown;

use crate::error::Result;
use crate::fsio::atomic_write;
use crate::report::Report;
use std::io::Write;
use std::path::Path;

pub use groups::{finding_groups, FindingGroup};
pub use lines::write_lines_csv;
pub use markdown::summary_markdown;

/// Lines rendered per parallel batch (bounded memory: two batches of text at a time).
const BATCH_LINES: usize = 8192;

/// The report as JSON, newline-terminated: the summary sections pretty-printed (2-space
/// indent, like the production system), and `detailed_goods` with **one shipment per line**
/// (compact JSON), so a million-shipment report stays readable, greppable and diffable line by
/// line, and about 40 % smaller.
///
/// Written section by section as it is serialised, nothing held whole: the findings and
/// rejected rows stream from their lists, and `detailed_goods` is rendered in parallel batches
/// while the previous batch is written. The bytes are those of `serde_json::to_writer_pretty`
/// over the whole report (a section pretty-printed on its own and indented by two spaces is
/// what it is nested).
pub fn report_json(report: &Report, w: &mut (dyn Write + Send)) -> std::io::Result<()> {
    let r = report;
    w.write_all(b"{")?;
    section(w, "report_metadata", &r.report_metadata, true)?;
    section(w, "importer_declaration", &r.importer_declaration, false)?;
    section(w, "goods_summary", &r.goods_summary, false)?;
    if let Some(goods) = &r.detailed_goods {
        w.write_all(b",\n  \"detailed_goods\": ")?;
        detailed_goods(&goods.0, w)?;
    }
    section(w, "emissions_summary", &r.emissions_summary, false)?;
    if let Some(o) = &r.certificate_obligation {
        section(w, "certificate_obligation", o, false)?;
    }
    section(w, "validation_results", &r.validation_results, false)?;
    section(w, "provenance", &r.provenance, false)?;
    w.write_all(b"\n}\n")
}

/// One top-level `"key": value` of the report (keys are our own ASCII names).
fn section(
    w: &mut (dyn Write + Send),
    key: &str,
    value: &impl serde::Serialize,
    first: bool,
) -> std::io::Result<()> {
    w.write_all(if first { b"\n  \"" } else { b",\n  \"" })?;
    w.write_all(key.as_bytes())?;
    w.write_all(b"\": ")?;
    serde_json::to_writer_pretty(Indented(w), value).map_err(std::io::Error::other)
}

/// Indents what passes through by two spaces after every newline (pretty JSON has newlines
/// only between tokens: a newline in a string is written `\n`).
struct Indented<'a>(&'a mut (dyn Write + Send));

impl Write for Indented<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut rest = buf;
        while let Some(at) = memchr::memchr(b'\n', rest) {
            self.0.write_all(&rest[..=at])?;
            self.0.write_all(b"  ")?;
            rest = &rest[at + 1..];
        }
        self.0.write_all(rest)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// The `detailed_goods` array, one entry per line: each batch of lines is rendered in
/// parallel while the previous one is written.
fn detailed_goods(lines: &crate::report::Lines, w: &mut (dyn Write + Send)) -> std::io::Result<()> {
    if lines.is_empty() {
        return w.write_all(b"[]");
    }
    w.write_all(b"[")?;
    let mut pending: Vec<Vec<u8>> = Vec::new();
    let mut first = 0usize;
    let write = |w: &mut (dyn Write + Send), parts: &[Vec<u8>]| -> std::io::Result<()> {
        parts.iter().try_for_each(|p| w.write_all(p))
    };
    let progress = crate::fsio::progress::begin(
        "writing detailed_goods",
        Some(lines.len()),
        crate::fsio::progress::Unit::Rows,
    );
    lines.batches(BATCH_LINES, |batch| {
        let start = first;
        first += batch.len();
        progress.add(batch.len() as u64);
        let (written, rendered) =
            rayon::join(|| write(&mut *w, &pending), || render_lines(&batch, start));
        written?;
        pending = rendered;
        Ok(())
    })?;
    write(w, &pending)?;
    w.write_all(b"\n  ]")
}

/// One batch of `detailed_goods` entries, `start` the index of its first line.
fn render_lines(batch: &[crate::model::Line], start: usize) -> Vec<Vec<u8>> {
    use rayon::prelude::*;
    batch
        .par_iter()
        .enumerate()
        .with_min_len(2048)
        .fold(
            || Vec::with_capacity(1 << 20),
            |mut buf, (i, l)| {
                if start + i > 0 {
                    buf.push(b',');
                }
                buf.extend_from_slice(b"\n    ");
                json_line::detailed_good(&mut buf, l);
                buf
            },
        )
        .collect()
}

pub fn write_report(path: &Path, report: &Report) -> Result<()> {
    atomic_write(path, |w| report_json(report, w))
}
