//! How far long work has got, for a front end to show. The library says what it is doing and
//! how much is done (`begin`, `Task::add`); the binary installs an `Observer` that draws it
//! (a bar on a terminal's stderr) or installs none, and then every call is a no-op. Progress
//! never changes an output and never goes to stdout.

use std::sync::OnceLock;

/// What a total counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Rows,
}

/// Draws tasks (the binary's).
pub trait Observer: Send + Sync {
    fn begin(&self, what: &str, total: Option<u64>, unit: Unit) -> Box<dyn Tick>;
}

/// One task being drawn.
pub trait Tick: Send + Sync {
    fn add(&self, n: u64);
    fn finish(&self);
}

static OBSERVER: OnceLock<Box<dyn Observer>> = OnceLock::new();

/// Installs the one observer of the process (a second is ignored).
pub fn install(o: Box<dyn Observer>) {
    let _ = OBSERVER.set(o);
}

/// A task whose progress is drawn if an observer is installed; finished when dropped.
pub struct Task(Option<Box<dyn Tick>>);

/// Starts a task: `what` as the user reads it ("reading shipments.csv"), its total if known.
pub fn begin(what: &str, total: Option<u64>, unit: Unit) -> Task {
    Task(OBSERVER.get().map(|o| o.begin(what, total, unit)))
}

impl Task {
    pub fn add(&self, n: u64) {
        if let Some(t) = &self.0 {
            t.add(n);
        }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        if let Some(t) = &self.0 {
            t.finish();
        }
    }
}
