//! `bitsim schema`: the JSON Schema of the scenario format (the file
//! committed as `docs/scenario.schema.json`).

use std::io::Write;

use clap::Args;

use crate::{CliError, ExitCode};

/// Arguments of `bitsim schema` (none).
#[derive(Debug, Args)]
pub struct SchemaArgs {}

/// Runs `bitsim schema`.
pub fn run(_args: &SchemaArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    out.write_all(scenario::format::schema_json().as_bytes())?;
    Ok(ExitCode::Ok)
}
