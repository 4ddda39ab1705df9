//! The subcommands, one module each: its clap `Args` struct and one `run`
//! function that calls `winsec`, writes the result to the writer it is
//! given and returns an [`ExitCode`](crate::ExitCode).
//!
//! Also the few helpers more than one command needs: writing JSON and
//! parsing an SDDL argument into a diagnostic-ready error.

use std::io::Write;

use serde::Serialize;
use winsec::{DomainContext, SecurityDescriptor};

use crate::error::Input;
use crate::CliError;

pub mod access;
pub mod check;
mod checked;
pub mod completions;
pub mod coverage;
pub mod diff;
pub mod explore;
pub mod fuzz;
pub mod graph;
pub mod import;
pub mod invariants;
pub mod merge;
pub mod model_args;
pub mod mutants;
pub mod profiles;
pub mod rules;
pub mod run;
mod scenario_files;
pub mod schema;
pub mod sd_create;
pub mod sddl;
pub mod sid;
pub mod table;
mod tokens;
pub mod validate;

/// Writes `value` as pretty-printed JSON followed by a newline.
pub(crate) fn write_json<T: Serialize + ?Sized>(
    out: &mut dyn Write,
    value: &T,
) -> Result<(), CliError> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

/// Parses `text` (the argument called `name`) as SDDL.
pub(crate) fn parse_sddl(
    name: &str,
    text: &str,
    ctx: &DomainContext,
) -> Result<SecurityDescriptor, CliError> {
    winsec::sddl::parse(text, ctx).map_err(|reason| CliError::InvalidSddl {
        input: Input::new(name, text),
        reason,
    })
}
