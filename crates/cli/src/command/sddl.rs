//! `bitsim sddl`: security descriptor strings as Windows parses and prints
//! them, their parsed structure, and their self-relative binary form.
//!
//! `bitsim sddl <STRING>` prints `print(parse(STRING))`, the SDDL
//! `ConvertSecurityDescriptorToStringSecurityDescriptor` would give back;
//! `--json` prints the parsed descriptor instead and `--hex` its
//! self-relative binary form as lower-case hex. `bitsim sddl --from-hex
//! <HEX>` decodes binary and prints it the same ways.

use std::io::Write;

use clap::Args;
use serde::Serialize;
use winsec::binary::{from_hex, from_self_relative, to_hex, try_to_self_relative};
use winsec::{DomainContext, SecurityDescriptor};

use crate::command::{parse_sddl, write_json};
use crate::error::{Input, Span};
use crate::{CliError, ExitCode};

/// Arguments of `bitsim sddl`.
#[derive(Debug, Clone, Args)]
pub struct SddlArgs {
    /// The SDDL string, e.g. `O:BAG:SYD:(A;;FA;;;BA)(A;;FR;;;WD)`.
    #[arg(
        value_name = "STRING",
        allow_hyphen_values = true,
        required_unless_present = "from_hex",
        conflicts_with = "from_hex"
    )]
    pub sddl: Option<String>,

    /// Decode a self-relative security descriptor given as hex (whitespace
    /// between bytes is ignored) instead of parsing SDDL.
    #[arg(long, value_name = "HEX")]
    pub from_hex: Option<String>,

    /// Print the parsed descriptor as JSON: `sddl`, `control` (hex) and the
    /// descriptor's fields.
    #[arg(long, conflicts_with = "hex")]
    pub json: bool,

    /// Print the self-relative binary form as lower-case hex.
    #[arg(long)]
    pub hex: bool,
}

/// The `--json` shape: the canonical SDDL, the control word, then the
/// descriptor's own fields.
#[derive(Serialize)]
struct DescriptorJson<'a> {
    sddl: String,
    control: String,
    #[serde(flatten)]
    descriptor: &'a SecurityDescriptor,
}

/// Parses or decodes the descriptor and prints it as asked.
pub fn run(args: &SddlArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let ctx = DomainContext::default();
    let sd = match (&args.from_hex, &args.sddl) {
        (Some(hex), _) => decode(hex)?,
        (None, Some(sddl)) => parse_sddl("SDDL", sddl, &ctx)?,
        // clap requires one of the two; an empty string is what Windows
        // would be given if neither were.
        (None, None) => parse_sddl("SDDL", "", &ctx)?,
    };
    if args.json {
        write_json(
            out,
            &DescriptorJson {
                sddl: winsec::sddl::print(&sd, &ctx),
                control: format!("0x{:04x}", sd.control()),
                descriptor: &sd,
            },
        )?;
    } else if args.hex {
        let bytes = try_to_self_relative(&sd).map_err(|e| {
            CliError::InvalidArgument(format!("the descriptor has no binary form: {}", e.message))
        })?;
        writeln!(out, "{}", to_hex(&bytes))?;
    } else {
        writeln!(out, "{}", winsec::sddl::print(&sd, &ctx))?;
    }
    Ok(ExitCode::Ok)
}

/// Hex text to a descriptor, with errors pointing into the hex text.
fn decode(text: &str) -> Result<SecurityDescriptor, CliError> {
    let bytes = from_hex(text).map_err(|reason| CliError::InvalidHex {
        input: Input::new("--from-hex", text),
        message: reason.message,
        offset: reason.offset,
    })?;
    from_self_relative(&bytes).map_err(|reason| {
        let span = byte_span(text, reason.offset);
        CliError::InvalidBinary {
            input: Input::new("--from-hex", text),
            reason,
            span: Some(span),
        }
    })
}

/// Where decoded byte `index` is written in hex `text`: its two digits, or
/// the end of the text for a byte past the end (a truncated descriptor).
fn byte_span(text: &str, index: usize) -> Span {
    let mut digits = text
        .char_indices()
        .filter(|(_, c)| c.is_ascii_hexdigit())
        .map(|(at, _)| at)
        .skip(index.saturating_mul(2));
    match (digits.next(), digits.next()) {
        (Some(high), Some(low)) => Span::range(text, high, low + 1 - high),
        _ => Span::at(text, text.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_spans_cover_both_digits() {
        assert_eq!(byte_span("0100 0480", 0), Span { offset: 0, len: 2 });
        assert_eq!(byte_span("0100 0480", 2), Span { offset: 5, len: 2 });
        assert_eq!(byte_span("01 0", 1), Span { offset: 3, len: 1 });
        assert_eq!(byte_span("", 4), Span { offset: 0, len: 0 });
    }

    #[test]
    fn bad_hex_is_bad_input_with_offset() {
        let err = decode("01zz").unwrap_err();
        assert_eq!(err.offset(), Some(2));
        assert_eq!(err.exit_code(), ExitCode::BadInput);
    }
}
