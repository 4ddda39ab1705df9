//! `bitsim access`: Win32 `AccessCheck` for a token file against a
//! security descriptor, a desired mask and a generic mapping.
//!
//! Prints the `AccessCheckResult` as pretty JSON (`--format json`, the
//! default) or as a verdict and one line per trail step (`--format text`).
//! A denial and an API-level failure such as `ERROR_GENERIC_NOT_MAPPED` are
//! results (exit 0); only input that cannot be read or parsed is an error
//! (exit 2). The desired mask is passed as given: like Win32, generic bits
//! in it are a failure of the call, not something this command maps.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use winsec::access::{AccessCheckResult, AccessRequest, ObjectTypeEntry, TrailStep};
use winsec::Guid;
use winsec::{AccessMask, DomainContext, GenericMapping, Token, TokenSpec};

use crate::command::{parse_sddl, write_json};
use crate::error::{FileKind, Input, Span};
use crate::{CliError, ExitCode};

/// How `bitsim access` prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    /// The `AccessCheckResult` as pretty-printed JSON.
    #[default]
    Json,
    /// The verdict, the out-parameters and one line per trail step.
    Text,
}

/// Arguments of `bitsim access`.
#[derive(Debug, Clone, Args)]
pub struct AccessArgs {
    /// The object's security descriptor in SDDL.
    #[arg(long, value_name = "SDDL", allow_hyphen_values = true)]
    pub sd: String,

    /// The client token: a YAML token file (see docs/token-file.md).
    #[arg(long, value_name = "FILE")]
    pub token: PathBuf,

    /// The desired access: hex (0x120089), decimal, or rights such as
    /// FILE_READ_DATA, GENERIC_READ, MAXIMUM_ALLOWED joined with `|`.
    #[arg(long, value_name = "MASK", allow_hyphen_values = true)]
    pub desired: String,

    /// The object type's generic mapping: file, key, process, thread,
    /// mutant, event, token, generic, or four comma-separated masks
    /// GR,GW,GX,GA (each hex, decimal or a right's name).
    #[arg(long, value_name = "MAPPING", default_value = "file")]
    pub mapping: String,

    /// The open carries backup intent (FILE_FLAG_BACKUP_SEMANTICS,
    /// REG_OPTION_BACKUP_RESTORE): enabled SeBackupPrivilege and
    /// SeRestorePrivilege then grant their rights before the DACL.
    #[arg(long)]
    pub backup_intent: bool,

    /// A PrincipalSelfSid (as AccessCheckByType takes) that PRINCIPAL SELF
    /// (PS) ACEs stand for.
    #[arg(long, value_name = "SID")]
    pub principal_self: Option<String>,

    /// An element of an object type list, `LEVEL:GUID` (level 0 to 4),
    /// repeatable, in order: runs AccessCheckByType.
    #[arg(long = "object-type", value_name = "LEVEL:GUID")]
    pub object_types: Vec<String>,

    /// With --object-type: AccessCheckByTypeResultList, one result per element.
    #[arg(long, requires = "object_types")]
    pub result_list: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Json)]
    pub format: OutputFormat,
}

/// Parses `LEVEL:GUID`.
pub fn parse_object_type(text: &str) -> Result<ObjectTypeEntry, CliError> {
    let bad = |why: &str| {
        CliError::InvalidArgument(format!(
            "--object-type `{text}`: {why}; expected LEVEL:GUID, e.g. 0:bf967aba-0de6-11d0-a285-00aa003049e2"
        ))
    };
    let (level, guid) = text.split_once(':').ok_or_else(|| bad("no `:`"))?;
    let level: u16 = level
        .trim()
        .parse()
        .map_err(|_| bad("the level is not a number"))?;
    let guid = Guid::parse(guid.trim()).ok_or_else(|| bad("not a GUID"))?;
    Ok(ObjectTypeEntry { level, guid })
}

/// Reads the inputs, runs the check and prints the result.
pub fn run(args: &AccessArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let ctx = DomainContext::default();
    let desired = parse_mask("--desired", &args.desired)?;
    let mapping = parse_mapping(&args.mapping)?;
    let token = read_token_file(&args.token)?;
    let sd = parse_sddl("--sd", &args.sd, &ctx)?;
    let principal_self = args
        .principal_self
        .as_deref()
        .map(|text| winsec::Sid::parse_in(text, &ctx).map_err(|e| super::sid::invalid_sid(text, e)))
        .transpose()?;
    let list = args
        .object_types
        .iter()
        .map(|t| parse_object_type(t))
        .collect::<Result<Vec<_>, _>>()?;
    let request = AccessRequest {
        sd: &sd,
        token: &token,
        desired,
        mapping: &mapping,
        principal_self: principal_self.as_ref(),
        backup_intent: args.backup_intent,
    };
    if list.is_empty() {
        let result = request.check();
        match args.format {
            OutputFormat::Json => write_json(out, &result)?,
            OutputFormat::Text => write_text(out, &result)?,
        }
    } else {
        let result = request.check_by_type(&list, args.result_list);
        match args.format {
            OutputFormat::Json => write_json(out, &result)?,
            OutputFormat::Text => {
                write_text(out, &result.result)?;
                if let Some(results) = &result.results {
                    writeln!(out, "results:")?;
                    for (i, r) in results.iter().enumerate() {
                        writeln!(
                            out,
                            "  {i}. {} granted {} access_status {} error {}",
                            list[i].guid,
                            r.granted,
                            if r.access_status { "TRUE" } else { "FALSE" },
                            r.error.map_or_else(|| "-".to_string(), |e| e.to_string())
                        )?;
                    }
                }
            }
        }
    }
    Ok(ExitCode::Ok)
}

/// Reads and builds a token file.
pub fn read_token_file(path: &std::path::Path) -> Result<Token, CliError> {
    let shown = path.display().to_string();
    let text = crate::command::scenario_files::read_limited(path).map_err(|reason| {
        CliError::ReadTokenFile {
            kind: FileKind::Token,
            path: shown.clone(),
            reason,
        }
    })?;
    let spec = parse_token_spec(&shown, &text)?;
    Ok(spec.build())
}

/// Parses token-file text; errors carry `path:line:column` and a label.
pub fn parse_token_spec(path: &str, text: &str) -> Result<TokenSpec, CliError> {
    parse_yaml_file(FileKind::Token, path, text)
}

/// Parses a YAML file a command reads besides scenarios (a token file, an
/// objects file); errors carry `path:line:column`, a label and `kind`.
pub fn parse_yaml_file<T: serde::de::DeserializeOwned>(
    kind: FileKind,
    path: &str,
    text: &str,
) -> Result<T, CliError> {
    if let Some((offset, message, expected)) = scenario::load::shape(text) {
        let (line, column) = line_column_of(text, offset);
        return Err(yaml_file_error(
            kind,
            path,
            text,
            format!("{message}; expected {expected}"),
            Some((line, column)),
        ));
    }
    serde_yaml::from_str::<T>(text).map_err(|err| {
        let mut message = err.to_string();
        let location = err.location().map(|l| (l.line(), l.column()));
        if let Some((line, column)) = location {
            // The position is shown as `path:line:column`; drop serde_yaml's copy.
            message = message.replacen(&format!(" at line {line} column {column}"), "", 1);
        }
        yaml_file_error(kind, path, text, message, location)
    })
}

/// The diagnostic for a YAML file of `kind` that does not load: `message`
/// at 1-based `location` of `text`, labelled in the source.
pub fn yaml_file_error(
    kind: FileKind,
    path: &str,
    text: &str,
    message: String,
    location: Option<(usize, usize)>,
) -> CliError {
    let span = location.map(|(line, column)| {
        let offset = offset_of(text, line, column);
        let word = text[offset..]
            .find(|c: char| c.is_whitespace() || c == ',' || c == ']' || c == '}')
            .unwrap_or(text.len() - offset);
        Span::range(text, offset, word)
    });
    CliError::InvalidTokenFile {
        kind,
        input: Input::new(path, text),
        path: path.to_string(),
        line_column: location,
        message,
        span,
    }
}

/// The byte offset of 1-based `line` and `column` (in characters) in `text`,
/// clipped to the text.
/// The 1-based line and column (in characters) of byte `offset` of `text`.
fn line_column_of(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for _ in 1..line {
        match text[offset..].find('\n') {
            Some(newline) => offset += newline + 1,
            None => return text.len(),
        }
    }
    let rest = &text[offset..];
    let line_end = rest.find('\n').unwrap_or(rest.len());
    rest[..line_end]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(offset + line_end, |(at, _)| offset + at)
}

/// Parses an access-mask expression given to option `arg`.
pub fn parse_mask(arg: &'static str, text: &str) -> Result<AccessMask, CliError> {
    AccessMask::parse_expr(text).map_err(|reason| {
        let span = part_span(text, &reason.0);
        CliError::InvalidMask {
            arg,
            input: Input::new(arg, text),
            reason,
            span,
        }
    })
}

/// Parses `--mapping`: a known object type or `GR,GW,GX,GA`.
pub fn parse_mapping(text: &str) -> Result<GenericMapping, CliError> {
    if let Some(mapping) = GenericMapping::by_name(text.trim()) {
        return Ok(mapping);
    }
    let invalid = |message: String, span: Span| CliError::InvalidMapping {
        input: Input::new("--mapping", text),
        message,
        span,
    };
    if !text.contains(',') {
        return Err(invalid(
            "not a known object type".to_string(),
            Span::whole(text),
        ));
    }
    let parts: Vec<&str> = text.split(',').collect();
    if parts.len() != 4 {
        return Err(invalid(
            format!(
                "{} comma-separated masks, expected 4 (GR,GW,GX,GA)",
                parts.len()
            ),
            Span::whole(text),
        ));
    }
    let mut masks = [0u32; 4];
    let mut start = 0;
    for (slot, part) in masks.iter_mut().zip(&parts) {
        match AccessMask::parse_expr(part) {
            Ok(mask) => *slot = mask.bits(),
            Err(reason) => {
                let inner = part_span(part, &reason.0);
                return Err(invalid(
                    format!("`{}` is not a number or a known right", reason.0),
                    Span::range(text, start + inner.offset, inner.len),
                ));
            }
        }
        start += part.len() + 1;
    }
    let [read, write, execute, all] = masks;
    Ok(GenericMapping::new(read, write, execute, all))
}

/// Where `part` (as reported by the mask parser) sits in `text`.
fn part_span(text: &str, part: &str) -> Span {
    match text.find(part) {
        Some(at) if !part.is_empty() => Span::range(text, at, part.len()),
        _ => Span::whole(text),
    }
}

/// The verdict and the trail, one line per step.
fn write_text(out: &mut dyn Write, result: &AccessCheckResult) -> Result<(), CliError> {
    let verdict = match (result.api_return, result.access_status) {
        (false, _) => "AccessCheck failed",
        (true, Some(true)) => "granted",
        (true, _) => "denied",
    };
    let bool_text = |b: bool| if b { "TRUE" } else { "FALSE" };
    writeln!(out, "verdict: {verdict}")?;
    writeln!(out, "api_return: {}", bool_text(result.api_return))?;
    writeln!(
        out,
        "access_status: {}",
        result.access_status.map_or("-", bool_text)
    )?;
    writeln!(
        out,
        "granted: {}",
        result
            .granted
            .map_or_else(|| "-".to_string(), |m| m.to_string())
    )?;
    writeln!(
        out,
        "error: {}",
        result
            .error
            .map_or_else(|| "-".to_string(), |e| e.to_string())
    )?;
    let privileges: Vec<&str> = result.privileges_used.iter().map(|p| p.name()).collect();
    writeln!(
        out,
        "privileges_used: {}",
        if privileges.is_empty() {
            "none".to_string()
        } else {
            privileges.join(", ")
        }
    )?;
    writeln!(out, "trail:")?;
    for (n, step) in result.trail.iter().enumerate() {
        writeln!(out, "  {:>2}. {}", n + 1, trail_line(step))?;
        if let Some(c) = &step.condition {
            writeln!(
                out,
                "      condition {} is {}",
                c.expression,
                c.value.name()
            )?;
            for e in &c.steps {
                writeln!(out, "        {} => {} [{}]", e.expr, e.value, e.rule)?;
            }
        }
    }
    Ok(())
}

/// `RULE: note; ace #i (sddl); granted 0x...; denied 0x...; privilege P; pass restricted`.
fn trail_line(step: &TrailStep) -> String {
    let mut line = format!("{}: {}", step.rule, step.note);
    match (step.ace_index, &step.ace) {
        (Some(index), Some(ace)) => line.push_str(&format!("; ace #{index} {ace}")),
        (Some(index), None) => line.push_str(&format!("; ace #{index}")),
        (None, Some(ace)) => line.push_str(&format!("; ace {ace}")),
        (None, None) => {}
    }
    if let Some(granted) = step.granted {
        line.push_str(&format!("; granted {granted}"));
    }
    if let Some(denied) = step.denied {
        line.push_str(&format!("; denied {denied}"));
    }
    if let Some(privilege) = step.privilege {
        line.push_str(&format!("; privilege {privilege}"));
    }
    if let Some(element) = step.element {
        line.push_str(&format!("; element {element}"));
    }
    if let Some(pass) = step.pass {
        line.push_str(&format!("; pass {pass}"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_and_custom_mappings() {
        assert_eq!(parse_mapping("file").unwrap(), GenericMapping::FILE);
        assert_eq!(parse_mapping("KEY").unwrap(), GenericMapping::KEY);
        assert_eq!(
            parse_mapping("0x120089,0x120116,0x1200a0,0x1f01ff").unwrap(),
            GenericMapping::FILE
        );
        assert_eq!(
            parse_mapping("READ_CONTROL, 1, 0x2|DELETE ,2031616").unwrap(),
            GenericMapping::new(0x2_0000, 1, 0x1_0002, 0x1f_0000)
        );
    }

    #[test]
    fn bad_mappings_point_at_the_part() {
        match parse_mapping("1,2,NOPE,4").unwrap_err() {
            CliError::InvalidMapping { span, .. } => assert_eq!(span, Span { offset: 4, len: 4 }),
            other => panic!("unexpected {other:?}"),
        }
        assert!(parse_mapping("1,2,3").is_err());
        assert!(parse_mapping("files").is_err());
        assert!(parse_mapping("").is_err());
    }

    #[test]
    fn bad_mask_points_at_the_part() {
        match parse_mask("--desired", "0x1 | BOGUS").unwrap_err() {
            CliError::InvalidMask { span, .. } => assert_eq!(span, Span { offset: 6, len: 5 }),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn offsets_from_line_and_column() {
        let text = "a: 1\nbé: x\n";
        assert_eq!(offset_of(text, 1, 1), 0);
        assert_eq!(offset_of(text, 2, 1), 5);
        assert_eq!(offset_of(text, 2, 4), 9);
        assert_eq!(offset_of(text, 2, 99), 11);
        assert_eq!(offset_of(text, 9, 1), text.len());
    }

    #[test]
    fn token_yaml_errors_have_line_and_column() {
        let text = "user: S-1-5-21-1-2-3-1001\nprivileges:\n  - SeNothingPrivilege\n";
        match parse_token_spec("t.yaml", text).unwrap_err() {
            CliError::InvalidTokenFile {
                line_column,
                message,
                ..
            } => {
                assert_eq!(line_column.map(|(l, _)| l), Some(3), "{message}");
                assert!(message.contains("SeNothingPrivilege"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
