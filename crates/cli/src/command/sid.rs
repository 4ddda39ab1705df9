//! `bitsim sid <STRING>`: a SID string parsed as `ConvertStringSidToSid`
//! parses it, printed as `ConvertSidToStringSid` prints it, with its
//! well-known name.
//!
//! Output (text): the canonical SID on the first line and, when the SID has
//! a well-known name, the name on a second line. Output (`--json`):
//! `{"sid": "...", "name": "..." | null}`.

use std::io::Write;

use clap::Args;
use serde::Serialize;
use winsec::sid::SidError;
use winsec::well_known::{name_of, DomainContext};
use winsec::Sid;

use crate::command::write_json;
use crate::error::{Input, Span};
use crate::{CliError, ExitCode};

/// Arguments of `bitsim sid`.
#[derive(Debug, Clone, Args)]
pub struct SidArgs {
    /// The SID string (`S-1-5-32-544`, `s-1-0x5-18`) or SDDL alias (`BA`).
    #[arg(value_name = "STRING", allow_hyphen_values = true)]
    pub sid: String,

    /// Print `{"sid": ..., "name": ...}` instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct SidJson<'a> {
    sid: String,
    name: Option<&'a str>,
}

/// Parses the SID, prints it and its name.
pub fn run(args: &SidArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let ctx = DomainContext::default();
    let sid = Sid::parse_in(&args.sid, &ctx).map_err(|reason| invalid_sid(&args.sid, reason))?;
    let name = name_of(&sid, &ctx);
    if args.json {
        write_json(
            out,
            &SidJson {
                sid: sid.to_string(),
                name: name.as_deref(),
            },
        )?;
    } else {
        writeln!(out, "{sid}")?;
        if let Some(name) = name {
            writeln!(out, "{name}")?;
        }
    }
    Ok(ExitCode::Ok)
}

/// The diagnostic for a rejected SID string, pointing at the part at fault.
pub(crate) fn invalid_sid(text: &str, reason: SidError) -> CliError {
    let (offset, span) = match &reason {
        SidError::MissingComponent(offset) => (*offset, Span::at(text, *offset)),
        SidError::TrailingCharacters(rest) => {
            let start = text.len().saturating_sub(rest.len());
            (start, Span::range(text, start, rest.len()))
        }
        _ => (0, Span::whole(text)),
    };
    CliError::InvalidSid {
        input: Input::new("SID", text),
        reason,
        offset,
        span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_sid(sid: &str, json: bool) -> Result<String, CliError> {
        let mut out = Vec::new();
        run(
            &SidArgs {
                sid: sid.to_string(),
                json,
            },
            &mut out,
        )?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn prints_canonical_form_and_name() {
        assert_eq!(
            run_sid("S-1-5-32-544", false).unwrap(),
            "S-1-5-32-544\nBUILTIN\\Administrators\n"
        );
        assert_eq!(
            run_sid("S-1-5-21-1-2-3-1001", false).unwrap(),
            "S-1-5-21-1-2-3-1001\n"
        );
    }

    #[test]
    fn json_has_null_name_for_unknown_sids() {
        let value: serde_json::Value =
            serde_json::from_str(&run_sid("S-1-5-21-1-2-3-1001", true).unwrap()).unwrap();
        assert_eq!(value["sid"], "S-1-5-21-1-2-3-1001");
        assert!(value["name"].is_null());
    }

    #[test]
    fn rejected_sid_is_bad_input_with_win32() {
        let err = run_sid("S-1-5-", false).unwrap_err();
        assert_eq!(err.exit_code(), ExitCode::BadInput);
        assert_eq!(err.win32().map(|e| e.code()), Some(1337));
    }
}
