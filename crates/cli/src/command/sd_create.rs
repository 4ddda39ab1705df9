//! `bitsim sd-create`: the security descriptor of a new object, as
//! `CreatePrivateObjectSecurityEx` computes it from a parent descriptor, a
//! creator descriptor and the creator's token (winsec's
//! [`winsec::inherit::create_security_descriptor`]).
//!
//! Prints the new descriptor as SDDL (`--format text`, the default) or as
//! JSON with the SDDL, how each part was decided and the rules cited.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use winsec::inherit::{create_security_descriptor, CreateOptions};
use winsec::{DomainContext, Guid};

use crate::command::access::{parse_mapping, read_token_file, OutputFormat};
use crate::command::{parse_sddl, write_json};
use crate::{CliError, ExitCode};

/// Arguments of `bitsim sd-create`.
#[derive(Debug, Clone, Args)]
pub struct SdCreateArgs {
    /// The parent's security descriptor in SDDL (none: no parent).
    #[arg(long, value_name = "SDDL", allow_hyphen_values = true)]
    pub parent: Option<String>,

    /// The creator's security descriptor in SDDL (none: nothing explicit).
    #[arg(long, value_name = "SDDL", allow_hyphen_values = true)]
    pub creator: Option<String>,

    /// The creator's token: a YAML token file (see docs/token-file.md).
    #[arg(long, value_name = "FILE")]
    pub token: PathBuf,

    /// The new object's generic mapping (as for `bitsim access`).
    #[arg(long, value_name = "MAPPING", default_value = "file")]
    pub mapping: String,

    /// The new object is a container (a directory, a key).
    #[arg(long)]
    pub container: bool,

    /// SEF_DACL_AUTO_INHERIT.
    #[arg(long)]
    pub auto_inherit_dacl: bool,

    /// SEF_SACL_AUTO_INHERIT.
    #[arg(long)]
    pub auto_inherit_sacl: bool,

    /// The new object's type GUID, for object ACEs with an inherited object type.
    #[arg(long, value_name = "GUID")]
    pub object_type: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Serialize)]
struct CreatedJson<'a> {
    sddl: String,
    #[serde(flatten)]
    created: &'a winsec::inherit::Created,
}

/// Computes and prints the new descriptor.
pub fn run(args: &SdCreateArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let ctx = DomainContext::default();
    let mapping = parse_mapping(&args.mapping)?;
    let token = read_token_file(&args.token)?;
    let parent = args
        .parent
        .as_deref()
        .map(|t| parse_sddl("--parent", t, &ctx))
        .transpose()?;
    let creator = args
        .creator
        .as_deref()
        .map(|t| parse_sddl("--creator", t, &ctx))
        .transpose()?;
    let object_type = args
        .object_type
        .as_deref()
        .map(|t| {
            Guid::parse(t.trim()).ok_or_else(|| {
                CliError::InvalidArgument(format!(
                    "--object-type `{t}` is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
                ))
            })
        })
        .transpose()?;
    let created = create_security_descriptor(
        parent.as_ref(),
        creator.as_ref(),
        &token,
        &mapping,
        &CreateOptions {
            is_container: args.container,
            auto_inherit_dacl: args.auto_inherit_dacl,
            auto_inherit_sacl: args.auto_inherit_sacl,
            object_type,
        },
    );
    let sddl = winsec::sddl::print(&created.sd, &ctx);
    match args.format {
        OutputFormat::Text => writeln!(out, "{sddl}")?,
        OutputFormat::Json => write_json(
            out,
            &CreatedJson {
                sddl,
                created: &created,
            },
        )?,
    }
    Ok(ExitCode::Ok)
}
