//! The `bitsim` binary: parses the command line, dispatches to the
//! subcommand in `bitsim_cli::command`, reports an error if there is one,
//! and exits with the command's exit code.

use std::io::Write;

use bitsim_cli::{render_error, render_usage_error, Cli, ErrorFormat};
use clap::Parser;

/// The allocator: exploring and fuzzing clone and drop a world per
/// transition, and mimalloc's thread-local free lists make that about a
/// fifth cheaper than the system allocator (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(err) => {
            let code = render_usage_error(
                &err,
                ErrorFormat::sniff(&args),
                &mut std::io::stdout(),
                &mut std::io::stderr(),
            );
            return code.into();
        }
    };
    // Reports echo names and values from the input; control characters in
    // them are printed as escapes, never raw.
    let mut stdout = bitsim_cli::escape::EscapingWriter::new(std::io::stdout().lock());
    // What a command wrote before it failed (a report with the files
    // that did not load) is flushed before the diagnostics follow.
    let result = cli
        .command
        .run(&mut stdout)
        .and_then(|code| stdout.flush().map(|()| code).map_err(Into::into))
        .inspect_err(|_| {
            let _ = stdout.flush();
        });
    match result {
        Ok(code) => code.into(),
        Err(err) => render_error(&err, cli.error_format, &mut std::io::stderr()).into(),
    }
}
