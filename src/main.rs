//! The `cbam` binary: parse flags, call the library, print, map errors to exit codes
//! (0 ok, 1 findings of severity error, 2 usage / I/O / unreadable input, 130 interrupted).

mod cli;

/// Counts what is allocated, for `CBAM_TRACE=1` and the benchmark (`cbam::alloc`).
#[global_allocator]
static ALLOCATOR: cbam::alloc::Counting = cbam::alloc::Counting;

use std::process::ExitCode;

fn main() -> ExitCode {
    if std::env::var_os("CBAM_TRACE").is_some() {
        cbam::alloc::enable();
    }
    // Ctrl-C or a SIGTERM mid-run removes the temporary output files and exits 130. Without
    // it (the pipe or thread cannot be made) a signal kills the process as usual.
    let _ = cbam::fsio::remove_temp_files_on_signal();
    let code = exit_code(cli::run());
    cbam::pipeline::trace_peak_memory();
    code
}

fn exit_code(outcome: anyhow::Result<u8>) -> ExitCode {
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // A closed pipe (`cbam … | head`) is not an error worth a message.
            if err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            // Every library message quotes its own cause and has no `source()` (the rule in
            // `cbam::error`), so the chain is printed as it stands: each context, then the
            // error under it.
            // One line, control characters escaped: a message may quote the input's bytes.
            let text = stdin_named(&format!("{err:#}"));
            eprintln!("cbam: error: {}", cbam::model::printable(&text));
            ExitCode::from(2)
        }
    }
}

/// Standard input is read from a temporary copy named `<stdin>`: an error names it so, not by
/// the copy's random directory.
fn stdin_named(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for (i, word) in message.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        match word.find("cbam-stdin-").zip(word.find("/<stdin>")) {
            Some((_, end)) if word.starts_with('/') => out.push_str(&word[end + 1..]),
            _ => out.push_str(word),
        }
    }
    out
}
