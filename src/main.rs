//! The `cbam` binary: parse flags, call the library, print, map errors to exit codes
//! (0 ok, 1 findings of severity error, 2 usage / I/O / unreadable input).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // A closed pipe (`cbam … | head`) is not an error worth a message.
            if err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            // The library's messages already quote their cause (`cannot read: No such file`);
            // a cause is added only when the message does not already say it.
            let mut message = err.to_string();
            for cause in err.chain().skip(1) {
                let c = cause.to_string();
                if !message.contains(&c) {
                    message.push_str(": ");
                    message.push_str(&c);
                }
            }
            eprintln!("cbam: error: {message}");
            ExitCode::from(2)
        }
    }
}
