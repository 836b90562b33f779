//! A counting allocator: the system allocator, plus the bytes currently allocated and the
//! peak, so `CBAM_TRACE=1` and the benchmark can report the memory the program *allocated* —
//! not its resident set, which also counts the pages of a memory-mapped input. The binary
//! installs it (`#[global_allocator]`). Counting is off until `enable` is called (with
//! `CBAM_TRACE` set, or by the benchmark): shared counters updated by every thread on every
//! allocation cost a third of the time of allocation-heavy stages on two cores, so a normal run
//! pays one relaxed load per allocation and nothing else.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

pub struct Counting;

static ON: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// Starts counting (what was allocated before is not counted: call it first thing).
pub fn enable() {
    ON.store(true, Relaxed);
}

/// Runs `f` with counting on from zero and returns its result with the peak bytes allocated
/// while it ran (the benchmark's memory column; timed runs are made with counting off).
/// Memory allocated before and freed during `f` is not subtracted below zero.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let was_on = ON.load(Relaxed);
    CURRENT.store(0, Relaxed);
    PEAK.store(0, Relaxed);
    ON.store(true, Relaxed);
    let r = f();
    let peak = PEAK.load(Relaxed);
    ON.store(was_on, Relaxed);
    (r, peak)
}

fn grew(by: usize) {
    if !ON.load(Relaxed) {
        return;
    }
    let now = CURRENT.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(now, Relaxed);
}

/// `saturating`: memory allocated before counting began may be freed after.
fn shrank(by: usize) {
    if !ON.load(Relaxed) {
        return;
    }
    let _ = CURRENT.fetch_update(Relaxed, Relaxed, |c| Some(c.saturating_sub(by)));
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                shrank(layout.size() - new_size);
            }
        }
        p
    }
}

/// The most bytes allocated at once since `enable` (0 when the counting allocator is not
/// installed or counting is off).
pub fn peak_allocated() -> usize {
    PEAK.load(Relaxed)
}

/// Bytes allocated now.
pub fn allocated() -> usize {
    CURRENT.load(Relaxed)
}

/// Starts a new peak from what is allocated now (the benchmark measures runs one by one).
pub fn reset_peak() {
    PEAK.store(CURRENT.load(Relaxed), Relaxed);
}
