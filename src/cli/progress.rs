//! The progress bars: drawn by `indicatif` on stderr when stderr is a terminal, with rows or
//! bytes, rate and ETA; nothing when stderr is not a terminal, with `-q`, or with
//! `--no-progress`. The library reports through `cbam::fsio::progress`.

use cbam::fsio::progress::{Observer, Tick, Unit};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// Every bar of the run in one group, so bars of parallel work (`diff` reads two files at
/// once) are drawn one under the other instead of over each other.
struct Bars(MultiProgress);

struct Bar(ProgressBar);

impl Observer for Bars {
    fn begin(&self, what: &str, total: Option<u64>, unit: Unit) -> Box<dyn Tick> {
        let bar = self.0.add(match total {
            Some(n) => ProgressBar::new(n),
            None => ProgressBar::no_length(),
        });
        let template = match (total.is_some(), unit) {
            (true, Unit::Bytes) => {
                "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec}, ETA {eta}"
            }
            (true, Unit::Rows) => {
                "{msg} [{bar:30}] {human_pos}/{human_len} rows, {rate}, ETA {eta}"
            }
            (false, Unit::Bytes) => "{msg} {bytes} {binary_bytes_per_sec} {spinner}",
            (false, Unit::Rows) => "{msg} {human_pos} rows {rate} {spinner}",
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            let rate = |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0} rows/s", s.per_sec());
            };
            bar.set_style(style.with_key("rate", rate).progress_chars("=> "));
        }
        bar.set_message(format!("cbam: {}", cbam::model::printable(what)));
        Box::new(Bar(bar))
    }
}

impl Tick for Bar {
    fn add(&self, n: u64) {
        self.0.inc(n);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// Installs the bars unless stderr is not a terminal or progress was turned off.
pub fn install(off: bool) {
    if off || !std::io::stderr().is_terminal() {
        return;
    }
    let bars = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
    cbam::fsio::progress::install(Box::new(Bars(bars)));
}
