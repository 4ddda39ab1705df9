//! The error every command returns: what was wrong with the input, where
//! (a span in the text the user gave), what was expected, and the Win32
//! error Windows would report for the same input.
//!
//! This module owns the error values and their `miette::Diagnostic` view;
//! how they are written out (human or JSON) is [`crate::render`]'s job.

use std::fmt;
use std::io;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};
use winsec::binary::BinaryError;
use winsec::mask::MaskParseError;
use winsec::sddl::SddlError;
use winsec::sid::SidError;
use winsec::Win32Error;

use crate::ExitCode;

/// A byte range of an input text, always on character boundaries of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Byte offset of the start.
    pub offset: usize,
    /// Length in bytes (0 for a point, e.g. the end of the input).
    pub len: usize,
}

impl Span {
    /// The character of `text` that contains byte `offset`; when `offset`
    /// is at or past the end, the last character (a label needs something
    /// to underline), or an empty span for an empty text.
    pub fn at(text: &str, offset: usize) -> Span {
        let start = floor_char_boundary(text, offset);
        match text[start..].chars().next() {
            Some(c) => Span {
                offset: start,
                len: c.len_utf8(),
            },
            None => match text.char_indices().next_back() {
                Some((last, c)) => Span {
                    offset: last,
                    len: c.len_utf8(),
                },
                None => Span { offset: 0, len: 0 },
            },
        }
    }

    /// The bytes `offset..offset + len` of `text`, widened to character
    /// boundaries and clipped to the text.
    pub fn range(text: &str, offset: usize, len: usize) -> Span {
        let start = floor_char_boundary(text, offset);
        let mut end = offset.saturating_add(len).min(text.len()).max(start);
        while !text.is_char_boundary(end) {
            end += 1;
        }
        Span {
            offset: start,
            len: end - start,
        }
    }

    /// The whole of `text`.
    pub fn whole(text: &str) -> Span {
        Span {
            offset: 0,
            len: text.len(),
        }
    }
}

/// The largest character boundary of `text` at or before `offset`.
fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A text the user gave (an argument or a file), for diagnostics to point into.
#[derive(Debug)]
pub struct Input {
    // Boxed to keep `CliError`, and so every command's `Result`, small.
    source: Box<NamedSource<String>>,
    text_len: usize,
}

impl Input {
    /// An input called `name` (`SID`, `--sd`, a file path) with its text.
    pub fn new(name: impl AsRef<str>, text: impl Into<String>) -> Input {
        let text = text.into();
        Input {
            text_len: text.len(),
            source: Box::new(NamedSource::new(name, text)),
        }
    }

    /// The text.
    pub fn text(&self) -> &str {
        self.source.inner()
    }

    fn source_code(&self) -> &dyn SourceCode {
        &*self.source
    }

    fn label(&self, span: Span, text: String) -> LabeledSpan {
        // Spans are built against this text; clip again so a mismatch can
        // never make the renderer read out of bounds.
        let offset = span.offset.min(self.text_len);
        let len = span.len.min(self.text_len - offset);
        LabeledSpan::new_primary_with_span(Some(text), (offset, len))
    }
}

/// A YAML file a command reads besides a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A token file (`docs/token-file.md`).
    Token,
    /// A file of objects with their descriptors (`bitsim import icacls`).
    Objects,
}

impl FileKind {
    /// The kind named as runner's imports name it.
    pub fn from_name(name: &str) -> FileKind {
        if name == "objects file" {
            FileKind::Objects
        } else {
            FileKind::Token
        }
    }
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FileKind::Token => "token file",
            FileKind::Objects => "objects file",
        })
    }
}

/// Why a command could not produce its result.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A SID string `ConvertStringSidToSid` rejects.
    #[error("`{}` is not a valid SID: {reason}", input.text())]
    InvalidSid {
        /// The SID string.
        input: Input,
        /// What was wrong.
        reason: SidError,
        /// Byte offset of the problem.
        offset: usize,
        /// What to underline.
        span: Span,
    },
    /// An SDDL string `ConvertStringSecurityDescriptorToSecurityDescriptor` rejects.
    #[error("invalid SDDL at byte {}: {}", reason.offset, reason.message)]
    InvalidSddl {
        /// The SDDL string.
        input: Input,
        /// What was wrong, where, and the Win32 error.
        reason: SddlError,
    },
    /// `--from-hex` text that is not hexadecimal.
    #[error("`--from-hex` is not hexadecimal: {message} at offset {offset}")]
    InvalidHex {
        /// The hex text.
        input: Input,
        /// What was wrong.
        message: String,
        /// Byte offset into the text.
        offset: usize,
    },
    /// Bytes that are not a self-relative security descriptor.
    #[error("the bytes are not a self-relative security descriptor: {} at byte {}", reason.message, reason.offset)]
    InvalidBinary {
        /// The hex text the bytes came from.
        input: Input,
        /// What was wrong and at which byte.
        reason: BinaryError,
        /// Where that byte is written in the hex text, when known.
        span: Option<Span>,
    },
    /// A token file that cannot be read.
    #[error("cannot read {kind} `{path}`: {reason}")]
    ReadTokenFile {
        /// What the file should have been.
        kind: FileKind,
        /// The path as given.
        path: String,
        /// The I/O error.
        reason: io::Error,
    },
    /// A token file (or another YAML file a command reads besides a
    /// scenario) that is not valid YAML or not of the expected shape.
    #[error("{}: invalid {kind}: {message}", location_prefix(path, *line_column))]
    InvalidTokenFile {
        /// What the file should have been.
        kind: FileKind,
        /// The file's path and contents.
        input: Input,
        /// The path as given.
        path: String,
        /// 1-based line and column, when known.
        line_column: Option<(usize, usize)>,
        /// What was wrong and what was expected.
        message: String,
        /// Where, when known.
        span: Option<Span>,
    },
    /// An access mask expression that does not parse.
    #[error("invalid `{arg}`: {reason}")]
    InvalidMask {
        /// The option (`--desired`).
        arg: &'static str,
        /// The expression.
        input: Input,
        /// What was wrong.
        reason: MaskParseError,
        /// The offending part.
        span: Span,
    },
    /// A `--mapping` that is neither a known object type nor four masks.
    #[error("`{}` is not a generic mapping: {message}", input.text())]
    InvalidMapping {
        /// The mapping text.
        input: Input,
        /// What was wrong.
        message: String,
        /// The offending part.
        span: Span,
    },
    /// A scenario file or directory that cannot be read.
    #[error("cannot read `{path}`: {reason}")]
    ReadScenario {
        /// The path as given.
        path: String,
        /// The I/O error.
        reason: io::Error,
    },
    /// A scenario that does not load: the file, line and column, what is
    /// wrong and what was expected.
    #[error("{error}")]
    InvalidScenario {
        /// The file's path and contents.
        input: Input,
        /// The loader's error.
        error: Box<scenario::LoadError>,
    },
    /// Several problems: every load error of the scenarios given, each a
    /// diagnostic of its own.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Several(Vec<CliError>),
    /// A command-line value that is not one the command accepts.
    #[error("{0}")]
    InvalidArgument(String),
    /// Standard output could not be written.
    #[error("cannot write output: {0}")]
    Output(io::Error),
}

impl From<io::Error> for CliError {
    /// Output errors: the only I/O a command does besides reading its inputs,
    /// which have their own variants.
    fn from(err: io::Error) -> CliError {
        CliError::Output(err)
    }
}

fn location_prefix(path: &str, line_column: Option<(usize, usize)>) -> String {
    match line_column {
        Some((line, column)) => format!("{path}:{line}:{column}"),
        None => path.to_string(),
    }
}

impl CliError {
    /// The exit code this error ends the run with.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::BadInput
    }

    /// The Win32 error Windows reports for the same input, when the input
    /// is one a Windows API would have rejected.
    pub fn win32(&self) -> Option<Win32Error> {
        match self {
            CliError::InvalidSid { reason, .. } => Some(reason.win32()),
            CliError::InvalidSddl { reason, .. } => Some(reason.win32),
            _ => None,
        }
    }

    /// Byte offset of the problem in the command-line text it is about
    /// (the SID, the SDDL, the hex, the mask or the mapping).
    pub fn offset(&self) -> Option<usize> {
        match self {
            CliError::InvalidSid { offset, .. } => Some(*offset),
            CliError::InvalidMask { span, .. } | CliError::InvalidMapping { span, .. } => {
                Some(span.offset)
            }
            CliError::InvalidSddl { reason, .. } => Some(reason.offset),
            CliError::InvalidHex { offset, .. } => Some(*offset),
            CliError::InvalidBinary { reason, .. } => Some(reason.offset),
            CliError::InvalidScenario { error, .. } => Some(error.position.offset),
            CliError::Several(all) => all.first().and_then(CliError::offset),
            CliError::ReadTokenFile { .. }
            | CliError::InvalidTokenFile { .. }
            | CliError::ReadScenario { .. }
            | CliError::InvalidArgument(_)
            | CliError::Output(_) => None,
        }
    }

    fn input(&self) -> Option<&Input> {
        match self {
            CliError::InvalidSid { input, .. }
            | CliError::InvalidSddl { input, .. }
            | CliError::InvalidHex { input, .. }
            | CliError::InvalidBinary { input, .. }
            | CliError::InvalidTokenFile { input, .. }
            | CliError::InvalidMask { input, .. }
            | CliError::InvalidMapping { input, .. }
            | CliError::InvalidScenario { input, .. } => Some(input),
            CliError::ReadTokenFile { .. }
            | CliError::ReadScenario { .. }
            | CliError::Several(_)
            | CliError::InvalidArgument(_)
            | CliError::Output(_) => None,
        }
    }

    fn code_str(&self) -> &'static str {
        match self {
            CliError::InvalidSid { .. } => "bitsim::sid",
            CliError::InvalidSddl { .. } => "bitsim::sddl",
            CliError::InvalidHex { .. } => "bitsim::hex",
            CliError::InvalidBinary { .. } => "bitsim::binary",
            CliError::ReadTokenFile { .. } => "bitsim::token_file::read",
            CliError::InvalidTokenFile { .. } => "bitsim::token_file",
            CliError::InvalidMask { .. } => "bitsim::mask",
            CliError::InvalidMapping { .. } => "bitsim::mapping",
            CliError::ReadScenario { .. } => "bitsim::scenario::read",
            CliError::InvalidScenario { .. } | CliError::Several(_) => "bitsim::scenario",
            CliError::InvalidArgument(_) => "bitsim::argument",
            CliError::Output(_) => "bitsim::output",
        }
    }

    fn help_text(&self) -> Option<String> {
        let text = match self {
            CliError::InvalidSid { reason, .. } => format!(
                "expected `S-1-<authority>-<sub-authority>[-...]` with 1 to 15 sub-authorities (such as S-1-5-32-544) or a two-letter SDDL alias (such as BA)\nConvertStringSidToSid fails with {}",
                reason.win32()
            ),
            CliError::InvalidSddl { reason, .. } => format!(
                "expected `O:<sid>G:<sid>D:<flags>(<ace>)...S:<flags>(<ace>)...` with each ACE `(type;flags;rights;object;inherited object;sid)`\nConvertStringSecurityDescriptorToSecurityDescriptor fails with {}",
                reason.win32
            ),
            CliError::InvalidHex { .. } => {
                "expected pairs of hex digits (0-9, a-f, A-F), optionally separated by whitespace, such as `01000480...`".to_string()
            }
            CliError::InvalidBinary { .. } => {
                "expected a SECURITY_DESCRIPTOR_RELATIVE (MS-DTYP 2.4.6), as `bitsim sddl --hex` prints".to_string()
            }
            CliError::ReadTokenFile {
                kind: FileKind::Objects,
                ..
            } => {
                "name a readable UTF-8 YAML file as `bitsim import icacls` or `bitsim import get-acl` writes it, relative to the scenario's folder (see docs/import.md)".to_string()
            }
            CliError::ReadTokenFile { .. } => {
                "pass the path of a readable UTF-8 YAML token file (see docs/token-file.md)".to_string()
            }
            CliError::InvalidTokenFile {
                kind: FileKind::Objects,
                ..
            } => {
                "an objects file is a YAML mapping `objects:` listing `{path, sddl}` entries (with an optional `kind` and `machine`), as `bitsim import icacls` writes it (see docs/import.md)".to_string()
            }
            CliError::InvalidTokenFile { .. } => {
                "a token file is a YAML mapping with `user` and optionally groups, privileges, integrity, mandatory_policy, restricted_sids, type, level, owner, primary_group, session_id, logon_session, elevation (see docs/token-file.md)".to_string()
            }
            CliError::InvalidMask { .. } => {
                "write the mask as hex (0x120089), decimal, or rights such as GENERIC_READ, MAXIMUM_ALLOWED, ACCESS_SYSTEM_SECURITY joined with |".to_string()
            }
            CliError::InvalidMapping { .. } => {
                "use one of file, key, process, thread, mutant, event, token, generic, or four comma-separated masks GR,GW,GX,GA such as 0x120089,0x120116,0x1200a0,0x1f01ff".to_string()
            }
            CliError::ReadScenario { .. } => {
                "pass a readable UTF-8 YAML scenario file or a directory of them".to_string()
            }
            CliError::InvalidScenario { error, .. } => {
                let mut text = String::new();
                if let Some(hint) = &error.hint {
                    text.push_str(hint);
                    text.push('\n');
                }
                if let Some(expected) = &error.expected {
                    text.push_str(&format!("expected {expected}\n"));
                }
                text.push_str("the format is described in docs/scenarios.md and docs/scenario.schema.json");
                text
            }
            CliError::Several(_) | CliError::InvalidArgument(_) | CliError::Output(_) => {
                return None
            }
        };
        Some(text)
    }

    fn label(&self) -> Option<LabeledSpan> {
        match self {
            CliError::InvalidSid {
                input,
                reason,
                span,
                ..
            } => Some(input.label(*span, reason.to_string())),
            CliError::InvalidSddl { input, reason } => Some(input.label(
                Span::at(input.text(), reason.offset),
                reason.message.clone(),
            )),
            CliError::InvalidHex {
                input,
                message,
                offset,
            } => Some(input.label(Span::at(input.text(), *offset), message.clone())),
            CliError::InvalidBinary {
                input,
                reason,
                span,
            } => span.map(|span| input.label(span, reason.message.clone())),
            CliError::InvalidTokenFile {
                input,
                message,
                span,
                ..
            } => span.map(|span| input.label(span, message.clone())),
            CliError::InvalidMask {
                input,
                reason,
                span,
                ..
            } => Some(input.label(
                *span,
                format!("`{}` is not a number or a known right", reason.0),
            )),
            CliError::InvalidMapping {
                input,
                message,
                span,
            } => Some(input.label(*span, message.clone())),
            CliError::InvalidScenario { input, error } => Some(input.label(
                Span::range(input.text(), error.position.offset, error.position.len),
                error.message.clone(),
            )),
            CliError::ReadTokenFile { .. }
            | CliError::ReadScenario { .. }
            | CliError::Several(_)
            | CliError::InvalidArgument(_)
            | CliError::Output(_) => None,
        }
    }
}

impl Diagnostic for CliError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code_str()))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help_text()
            .map(|text| Box::new(text) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.input().map(Input::source_code)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.label()
            .map(|label| Box::new(std::iter::once(label)) as Box<dyn Iterator<Item = LabeledSpan>>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_stay_on_char_boundaries_and_inside_the_text() {
        let text = "aé b";
        assert_eq!(Span::at(text, 0), Span { offset: 0, len: 1 });
        assert_eq!(Span::at(text, 2), Span { offset: 1, len: 2 });
        assert_eq!(Span::at(text, 99), Span { offset: 4, len: 1 });
        assert_eq!(Span::at("", 7), Span { offset: 0, len: 0 });
        assert_eq!(Span::range(text, 2, 1), Span { offset: 1, len: 2 });
        assert_eq!(Span::range(text, 4, 100), Span { offset: 4, len: 1 });
        assert_eq!(Span::range("", 3, 3), Span { offset: 0, len: 0 });
        assert_eq!(Span::whole(text), Span { offset: 0, len: 5 });
    }
}
