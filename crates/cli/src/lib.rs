//! `bitsim-cli`: the `bitsim` command-line tool as a library.
//!
//! Owns the argument grammar ([`Cli`], [`Command`]), the exit codes
//! ([`ExitCode`]), the error type every command returns ([`CliError`]) and
//! how errors are shown (`--error-format human|json`). Each subcommand lives
//! in [`command`] with its clap `Args` struct and one `run` function that
//! calls `winsec`, writes to the `&mut dyn Write` it is given and returns an
//! [`ExitCode`]; `main.rs` only parses and dispatches, so tests can call the
//! commands directly.
//!
//! Architecture invariant: only this crate knows about files, terminals and
//! output formats; it never decides anything about Windows security itself.

use std::ffi::OsString;
use std::io::Write;

use clap::{Parser, Subcommand, ValueEnum};

pub mod command;
mod error;
pub mod escape;
mod render;

pub use error::{CliError, Input, Span};
pub use render::{render_error, render_usage_error};

/// The process exit status of a `bitsim` run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExitCode {
    /// 0: the command ran and printed its result (an access denial
    /// included: that is a result, not a failure).
    Ok,
    /// 1: an expectation or invariant the command checked did not hold.
    Failed,
    /// 2: the input was rejected (bad argument, unreadable or malformed
    /// file, a string Windows rejects, nothing to check) or the output
    /// could not be written.
    BadInput,
    /// 3: a bounded search (`explore`, `fuzz`, or their merged shards)
    /// broke no invariant but never reached a `sometimes` property: the
    /// bound was too small to show what should be reachable.
    Unreached,
}

impl ExitCode {
    /// The numeric status.
    pub const fn code(self) -> u8 {
        match self {
            ExitCode::Ok => 0,
            ExitCode::Failed => 1,
            ExitCode::BadInput => 2,
            ExitCode::Unreached => 3,
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> std::process::ExitCode {
        std::process::ExitCode::from(code.code())
    }
}

/// How errors are written to standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ErrorFormat {
    /// A diagnostic for people: the input, a label where it went wrong,
    /// what was expected, the Win32 error.
    #[default]
    Human,
    /// One line of JSON:
    /// `{"error": {"message", "offset"?, "win32"?: {"name", "code"}}}`.
    Json,
}

impl ErrorFormat {
    /// The error format requested on a command line that clap could not
    /// parse: the last `--error-format json`/`--error-format=json` wins,
    /// anything else is human.
    pub fn sniff(args: &[OsString]) -> ErrorFormat {
        let mut format = ErrorFormat::Human;
        let mut iter = args.iter().map(|a| a.to_string_lossy());
        while let Some(arg) = iter.next() {
            let value = if arg == "--error-format" {
                iter.next().map(|v| v.into_owned())
            } else {
                arg.strip_prefix("--error-format=").map(str::to_string)
            };
            match value.as_deref() {
                Some("json") => format = ErrorFormat::Json,
                Some(_) => format = ErrorFormat::Human,
                None => {}
            }
        }
        format
    }
}

/// bitsim: a deterministic, cross-platform simulator of Windows security.
#[derive(Debug, Parser)]
#[command(name = "bitsim", version, propagate_version = true)]
pub struct Cli {
    /// How errors are reported on standard error.
    #[arg(long, global = true, value_enum, default_value_t = ErrorFormat::Human)]
    pub error_format: ErrorFormat,

    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse a SID string as ConvertStringSidToSid does and print it
    /// canonically, with its well-known name.
    Sid(command::sid::SidArgs),
    /// Parse an SDDL string and print it as Windows would, as JSON, or as
    /// self-relative binary; or decode binary back to SDDL.
    Sddl(command::sddl::SddlArgs),
    /// Run Win32 AccessCheck for a token file against a security
    /// descriptor and print the result with its decision trail.
    Access(command::access::AccessArgs),
    /// Compute a new object's security descriptor from a parent, a
    /// creator descriptor and a token (CreatePrivateObjectSecurityEx).
    SdCreate(command::sd_create::SdCreateArgs),
    /// Print the access-check rule table that decision trails cite.
    Rules(command::rules::RulesArgs),
    /// Print the BITS rule table: one row per rule, one column per OS
    /// profile, with each rule's source.
    Profiles(command::profiles::ProfilesArgs),
    /// Run one scenario and print its trace (text, JSON or Mermaid).
    Run(command::run::RunArgs),
    /// Run every scenario under the given paths and report which held
    /// (text, JSON, JUnit, SARIF or HTML).
    Check(command::check::CheckArgs),
    /// Load scenario files without running them and report every problem
    /// of every file in one pass (for pre-commit hooks and editors).
    Validate(command::validate::ValidateArgs),
    /// Run one scenario under several OS profiles and show the steps whose
    /// outcomes diverge.
    Diff(command::diff::DiffArgs),
    /// Print the JSON Schema of the scenario format.
    Schema(command::schema::SchemaArgs),
    /// Print the invariant catalog checked after every step.
    Invariants(command::invariants::InvariantsArgs),
    /// Explore a bounded model breadth-first to a depth, checking every
    /// invariant on every transition.
    Explore(command::explore::ExploreArgs),
    /// Fuzz a bounded model with seeded random walks, shrinking a failure
    /// to a minimal scenario.
    Fuzz(command::fuzz::FuzzArgs),
    /// Run the scenario library and the bounded models against every
    /// policy mutant and report which were killed.
    Mutants(command::mutants::MutantsArgs),
    /// Draw the job state machine or a small explored state graph.
    Graph(command::graph::GraphArgs),
    /// Merge the JSON reports of shards into one report.
    Merge(command::merge::MergeArgs),
    /// Print a table computed by running the model (`iis`: local
    /// impersonation and delegation per IIS authentication type).
    Table(command::table::TableArgs),
    /// Report which rule ids and spec-matrix rows the scenario library
    /// exercises, and which it never reaches.
    Coverage(command::coverage::CoverageArgs),
    /// Read what Windows printed on a real machine (whoami /all, icacls,
    /// Get-Acl, bitsadmin, Get-BitsTransfer) and print the equivalent
    /// bitsim YAML: a token file, objects with SDDL, or BITS jobs.
    Import(command::import::ImportArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish,
    /// powershell) generated from the command definitions.
    Completions(command::completions::CompletionsArgs),
    /// Print the man page bitsim(1) in roff.
    Man(command::completions::ManArgs),
}

impl Command {
    /// Runs the subcommand, writing its result to `out`.
    pub fn run(&self, out: &mut dyn Write) -> Result<ExitCode, CliError> {
        match self {
            Command::Sid(args) => command::sid::run(args, out),
            Command::Sddl(args) => command::sddl::run(args, out),
            Command::Access(args) => command::access::run(args, out),
            Command::SdCreate(args) => command::sd_create::run(args, out),
            Command::Rules(args) => command::rules::run(args, out),
            Command::Profiles(args) => command::profiles::run(args, out),
            Command::Run(args) => command::run::run(args, out),
            Command::Check(args) => command::check::run(args, out),
            Command::Diff(args) => command::diff::run(args, out),
            Command::Schema(args) => command::schema::run(args, out),
            Command::Invariants(args) => command::invariants::run(args, out),
            Command::Explore(args) => command::explore::run(args, out),
            Command::Fuzz(args) => command::fuzz::run(args, out),
            Command::Mutants(args) => command::mutants::run(args, out),
            Command::Graph(args) => command::graph::run(args, out),
            Command::Merge(args) => command::merge::run(args, out),
            Command::Table(args) => command::table::run(args, out),
            Command::Coverage(args) => command::coverage::run(args, out),
            Command::Import(args) => command::import::run(args, out),
            Command::Validate(args) => command::validate::run(args, out),
            Command::Completions(args) => command::completions::completions(args, out),
            Command::Man(args) => command::completions::man(args, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn sniff_finds_json_in_both_spellings() {
        assert_eq!(
            ErrorFormat::sniff(&os(&["bitsim", "sid"])),
            ErrorFormat::Human
        );
        assert_eq!(
            ErrorFormat::sniff(&os(&["bitsim", "--error-format", "json", "x"])),
            ErrorFormat::Json
        );
        assert_eq!(
            ErrorFormat::sniff(&os(&["bitsim", "x", "--error-format=json"])),
            ErrorFormat::Json
        );
        assert_eq!(
            ErrorFormat::sniff(&os(&[
                "bitsim",
                "--error-format=json",
                "--error-format=human"
            ])),
            ErrorFormat::Human
        );
    }

    #[test]
    fn exit_codes_are_the_documented_numbers() {
        assert_eq!(ExitCode::Ok.code(), 0);
        assert_eq!(ExitCode::Failed.code(), 1);
        assert_eq!(ExitCode::BadInput.code(), 2);
        assert_eq!(ExitCode::Unreached.code(), 3);
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
