//! Command-line arguments: the input, split at NUL bytes, is the argument
//! list of one of the commands that only read (never write files or read
//! standard input); parsing and running it must not panic.
#![no_main]

use clap::Parser;
use libfuzzer_sys::fuzz_target;

/// Commands that read their arguments (and at most files they name) and
/// print; `explore` and `fuzz` can write files, `-` reads stdin, and
/// `graph` walks the whole engine (a fixed cost, not an input's).
const COMMANDS: &[&str] = &[
    "sddl",
    "sid",
    "access",
    "rules",
    "profiles",
    "invariants",
    "table",
];

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let command = COMMANDS[usize::from(first) % COMMANDS.len()];
    let Ok(rest) = std::str::from_utf8(rest) else {
        return;
    };
    let mut args = vec!["bitsim".to_string(), command.to_string()];
    args.extend(
        rest.split('\0')
            .filter(|a| !a.is_empty())
            .map(str::to_string),
    );
    if args.iter().any(|a| a == "-") {
        return;
    }
    let Ok(cli) = bitsim_cli::Cli::try_parse_from(&args) else {
        return;
    };
    let mut out = Vec::new();
    let _ = cli.command.run(&mut out);
});
