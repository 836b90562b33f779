//! Write: report JSON, Markdown summary, per-line CSV. Every file is written to a temporary
//! file beside its target and renamed into place, so a reader never sees half a report, and a
//! failed run leaves any earlier file untouched.

mod lines;
mod markdown;

use crate::assemble::Report;
use crate::error::{Error, Result};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

pub use lines::write_lines_csv;
pub use markdown::summary_markdown;

/// Writes through `f` into `path` atomically (temp file in the same directory, then rename).
pub fn atomic_write(path: &Path, f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let werr = |source| Error::Write { path: path.to_path_buf(), source };
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let file = std::fs::File::create(&tmp)?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        f(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(werr(e));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        werr(e)
    })
}

/// The report as pretty JSON (2-space indent, like the production system), newline-terminated.
pub fn report_json(report: &Report, w: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, report).map_err(std::io::Error::other)?;
    w.write_all(b"\n")
}

pub fn write_report(path: &Path, report: &Report) -> Result<()> {
    atomic_write(path, |w| report_json(report, w))
}
