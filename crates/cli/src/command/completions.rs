//! `bitsim completions SHELL` and `bitsim man`: a shell completion script
//! and the man page, both generated from the clap definition of
//! [`crate::Cli`], so they never disagree with the commands.

use std::io::Write;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::{Cli, CliError, ExitCode};

/// Arguments of `bitsim completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Arguments of `bitsim man`.
#[derive(Debug, Args)]
pub struct ManArgs {}

/// Runs `bitsim completions`: the script on standard output (for bash,
/// `bitsim completions bash > ~/.local/share/bash-completion/completions/bitsim`).
pub fn completions(args: &CompletionsArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "bitsim", &mut buf);
    out.write_all(&buf)?;
    Ok(ExitCode::Ok)
}

/// Runs `bitsim man`: the man page bitsim(1) in roff on standard output,
/// with its options and a line per subcommand (`bitsim man > bitsim.1;
/// man ./bitsim.1`).
pub fn man(_args: &ManArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut buf)?;
    out.write_all(&buf)?;
    Ok(ExitCode::Ok)
}
