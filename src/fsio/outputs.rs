//! Writing: one output atomically, a run's outputs all or none, and the clean-up of their
//! temporary files on SIGINT/SIGTERM.

use crate::error::{Error, Result};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes through `f` into `path` atomically (temp file in the same directory, then rename).
/// A target that exists and is not a regular file (`/dev/null`, `/dev/stdout`, a FIFO) is
/// written directly: renaming over a device node would replace it. One output of a run; a
/// run with several uses [`Outputs`].
pub fn atomic_write(
    path: &Path,
    f: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<()>,
) -> Result<()> {
    let mut outputs = Outputs::new();
    outputs.write(path, f)?;
    outputs.commit()
}

/// The outputs of one run, published together or not at all. Each is written to a
/// temporary file beside its target (`.NAME.tmp-PID`, synced); [`Outputs::commit`] renames them
/// into place, in the order written, only once every one has been written. If one fails, or
/// the set is dropped without a commit (an error on the way), no target is touched and every
/// temporary file is removed; on SIGINT/SIGTERM too, once [`remove_temp_files_on_signal`] is
/// set up. A target that exists and is not a regular file (`/dev/null`, a FIFO) is written
/// directly when its turn comes: renaming over a device node would replace it.
#[derive(Debug, Default)]
pub struct Outputs {
    /// Temporary file and target, in the order written.
    staged: Vec<(PathBuf, PathBuf)>,
    /// The output that goes to standard output (`-`): written to an unlinked temporary file
    /// and copied to stdout after the files are in place, so stdout too gets all or nothing.
    to_stdout: Option<std::fs::File>,
}

impl Outputs {
    pub fn new() -> Outputs {
        Outputs::default()
    }

    /// Writes `path`'s content through `f` to its temporary file. On an error the set is
    /// spent: this file's and every earlier temporary file are removed.
    pub fn write(
        &mut self,
        path: &Path,
        f: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<()>,
    ) -> Result<()> {
        let werr = |source| Error::Write {
            path: path.to_path_buf(),
            source,
        };
        if super::is_stdio(path) {
            let staged = tempfile::tempfile().and_then(|file| {
                let mut w = BufWriter::new(file);
                f(&mut w)?;
                w.into_inner().map_err(|e| e.into_error())
            });
            return match staged {
                Ok(file) => {
                    self.to_stdout = Some(file);
                    Ok(())
                }
                Err(e) => {
                    self.discard();
                    Err(werr(e))
                }
            };
        }
        if let Ok(meta) = std::fs::metadata(path) {
            if !meta.is_file() && !meta.is_dir() {
                return write_in_place(path, f).map_err(|e| {
                    self.discard();
                    werr(e)
                });
            }
        }
        let tmp = temp_path(path);
        pending().push(tmp.clone());
        self.staged.push((tmp.clone(), path.to_path_buf()));
        write_synced(&tmp, f).map_err(|e| {
            self.discard();
            werr(e)
        })
    }

    /// Renames every temporary file onto its target. A rename that fails (rare: the
    /// directory was writable a moment ago) stops there; the files not yet renamed are
    /// removed, and the error names the target.
    pub fn commit(mut self) -> Result<()> {
        let staged = std::mem::take(&mut self.staged);
        let mut pending = pending();
        let mut result = Ok(());
        for (tmp, target) in &staged {
            if result.is_ok() {
                result = std::fs::rename(tmp, target).map_err(|source| Error::Write {
                    path: target.clone(),
                    source,
                });
            }
            if result.is_err() {
                let _ = std::fs::remove_file(tmp);
            }
            pending.retain(|p| p != tmp);
        }
        drop(pending);
        result?;
        if let Some(mut file) = self.to_stdout.take() {
            use std::io::Seek;
            let werr = |source| Error::Write {
                path: PathBuf::from("-"),
                source,
            };
            file.rewind().map_err(werr)?;
            let mut out = std::io::stdout().lock();
            let copied = std::io::copy(&mut file, &mut out).and_then(|_| out.flush());
            match copied {
                // The reader closed the pipe (`cbam … --output - | head`): its choice.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other.map_err(werr)?,
            }
        }
        Ok(())
    }

    /// Removes every temporary file written so far.
    fn discard(&mut self) {
        let mut pending = pending();
        for (tmp, _) in self.staged.drain(..) {
            let _ = std::fs::remove_file(&tmp);
            pending.retain(|p| *p != tmp);
        }
    }
}

impl Drop for Outputs {
    fn drop(&mut self) {
        self.discard();
    }
}

/// `.NAME.tmp-PID` beside `path`.
fn temp_path(path: &Path) -> PathBuf {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    dir.join(format!(".{name}.tmp-{}", std::process::id()))
}

/// The temporary files of this process not yet renamed or removed. `Outputs` holds the lock
/// while it renames, so a signal's clean-up never runs between two renames of one commit.
static PENDING: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

pub(super) fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Exit status after SIGINT or SIGTERM (128 + SIGINT, what shells report for Ctrl-C).
pub const INTERRUPTED_EXIT: i32 = 130;

/// From now on SIGINT and SIGTERM remove this process's temporary output files and exit
/// with [`INTERRUPTED_EXIT`]. The handler only writes a byte to a pipe (async-signal-safe);
/// a thread waiting on the pipe does the clean-up. Elsewhere than on Unix, nothing is set up.
pub fn remove_temp_files_on_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        signals::install(|| {
            let pending = pending();
            for tmp in pending.iter() {
                let _ = std::fs::remove_file(tmp);
            }
            eprintln!("cbam: interrupted; no output written");
            std::process::exit(INTERRUPTED_EXIT)
        })
    }
    #[cfg(not(unix))]
    Ok(())
}

/// SIGINT/SIGTERM through a self-pipe (the only `unsafe` is the libc calls).
#[cfg(unix)]
mod signals {
    use std::io::Read;
    use std::os::fd::FromRawFd;
    use std::sync::atomic::{AtomicI32, Ordering};

    /// The pipe's write end, for the handler.
    static WAKE: AtomicI32 = AtomicI32::new(-1);

    extern "C" fn on_signal(_: libc::c_int) {
        let fd = WAKE.load(Ordering::Relaxed);
        if fd >= 0 {
            let byte = 1u8;
            // SAFETY: write(2) is async-signal-safe; the buffer is a live local byte.
            unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) };
        }
    }

    pub fn install(on_wake: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
        let mut fds = [-1 as libc::c_int; 2];
        // SAFETY: `fds` has room for the two descriptors pipe2 returns.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: the read end was just opened and is owned by this File alone.
        let mut read = unsafe { std::fs::File::from_raw_fd(fds[0]) };
        WAKE.store(fds[1], Ordering::Relaxed);
        std::thread::Builder::new()
            .name("cbam-signals".into())
            .spawn(move || {
                let mut byte = [0u8; 1];
                if read.read(&mut byte).is_ok_and(|n| n == 1) {
                    on_wake();
                }
            })?;
        for sig in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: a zeroed sigaction is a valid start; the handler is an extern "C" fn
            // that only calls write(2).
            let rc = unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
                sa.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(sig, &sa, std::ptr::null_mut())
            };
            if rc != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    }
}

/// A device node or FIFO: opened for writing as it is.
fn write_in_place(
    path: &Path,
    f: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let file = std::fs::OpenOptions::new().write(true).open(path)?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    f(&mut w)?;
    w.flush()
}

/// A new file written through `f` and synced to disk, so the rename that follows publishes
/// the whole content.
fn write_synced(
    path: &Path,
    f: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    f(&mut w)?;
    let file = w.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
}
