//! Writing errors out: a miette diagnostic for people, one line of JSON for
//! tools (`--error-format`).
//!
//! Human output is deterministic: a fixed width of 100 columns, messages
//! and help not re-wrapped (so SIDs are never split at a hyphen), no
//! hyperlinks, and colour only when standard error is a terminal and
//! `NO_COLOR` is unset. This module does not decide what an error says;
//! that is [`crate::error`]'s job.

use std::io::{IsTerminal, Write};

use miette::{GraphicalReportHandler, GraphicalTheme};
use serde::Serialize;
use winsec::Win32Error;

use crate::{CliError, ErrorFormat, ExitCode};

/// The width human diagnostics are wrapped at, whatever the terminal's.
const WIDTH: usize = 100;

#[derive(Serialize)]
struct JsonReport<'a> {
    error: JsonError<'a>,
}

#[derive(Serialize)]
struct JsonError<'a> {
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    win32: Option<Win32Error>,
}

/// Writes `err` to `stderr` in `format` and returns the exit code it ends
/// the run with. A broken pipe on standard output is not reported. Failing to write the error changes nothing: there is
/// nowhere left to report that.
pub fn render_error(err: &CliError, format: ErrorFormat, stderr: &mut dyn Write) -> ExitCode {
    if matches!(err, CliError::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe) {
        // The reader went away (`bitsim rules | head`): nothing to tell it.
        return err.exit_code();
    }
    let one = |e: &CliError| match format {
        ErrorFormat::Human => human(e, use_color()),
        ErrorFormat::Json => json_line(&crate::escape::clip(&e.to_string()), e.offset(), e.win32()),
    };
    let text = match err {
        CliError::Several(all) => all.iter().map(one).collect::<String>(),
        single => one(single),
    };
    // Nothing useful can be done if standard error is gone.
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
    err.exit_code()
}

/// Reports a command line clap rejected (or a `--help`/`--version`
/// request, which clap also returns as an error) and returns the exit code:
/// 0 for help and version, 2 for usage errors, as clap does.
pub fn render_usage_error(
    err: &clap::Error,
    format: ErrorFormat,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> ExitCode {
    let code = if err.exit_code() == 0 {
        ExitCode::Ok
    } else {
        ExitCode::BadInput
    };
    let rendered = err.render();
    let (text, to_stdout) = if !err.use_stderr() {
        (rendered.to_string(), true)
    } else if format == ErrorFormat::Json {
        // The message is the first paragraph, before the usage line.
        let plain = rendered.to_string();
        let message = plain
            .lines()
            .take_while(|line| !line.trim().is_empty())
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ");
        let message = message.trim_start_matches("error: ").to_string();
        (json_line(&message, None, None), false)
    } else if use_color() {
        (rendered.ansi().to_string(), false)
    } else {
        (rendered.to_string(), false)
    };
    let to: &mut dyn Write = if to_stdout {
        &mut *stdout
    } else {
        &mut *stderr
    };
    // As above: nowhere left to report a failed write.
    let _ = to.write_all(text.as_bytes());
    let _ = to.flush();
    code
}

/// The diagnostic as people see it, optionally coloured.
/// Input echoed in a diagnostic (a value, a line of the file) may hold
/// control characters or be very long: then the plain rendering is shown
/// with those characters escaped and long lines cut (`crate::escape::clip`),
/// without colour, whose own escapes could not be told apart.
pub(crate) fn human(err: &CliError, color: bool) -> String {
    let plain = render_human(err, false);
    if crate::escape::needs_clip(&plain) {
        return crate::escape::clip(&plain);
    }
    if color {
        render_human(err, true)
    } else {
        plain
    }
}

fn render_human(err: &CliError, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_wrap_lines(false)
        .with_links(false);
    let mut text = String::new();
    if handler.render_report(&mut text, err).is_err() {
        // Rendering only fails on a formatter error; fall back to the message.
        text = format!("error: {err}\n");
    }
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

fn json_line(message: &str, offset: Option<usize>, win32: Option<Win32Error>) -> String {
    let report = JsonReport {
        error: JsonError {
            message,
            offset,
            win32,
        },
    };
    match serde_json::to_string(&report) {
        Ok(mut line) => {
            line.push('\n');
            line
        }
        // Serializing strings and numbers cannot fail; keep a valid line anyway.
        Err(_) => "{\"error\":{\"message\":\"error\"}}\n".to_string(),
    }
}

fn use_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Input, Span};
    use winsec::mask::MaskParseError;

    fn mask_error() -> CliError {
        let text = "GENERIC_READ|NOPE";
        CliError::InvalidMask {
            arg: "--desired",
            input: Input::new("--desired", text),
            reason: MaskParseError("NOPE".into()),
            span: Span::range(text, 13, 4),
        }
    }

    #[test]
    fn json_error_has_message_and_offset() {
        let mut buf = Vec::new();
        let code = render_error(&mask_error(), ErrorFormat::Json, &mut buf);
        assert_eq!(code, ExitCode::BadInput);
        let value: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(value["error"]["offset"], 13);
        assert!(value["error"]["message"].as_str().unwrap().contains("NOPE"));
        assert!(value["error"].get("win32").is_none());
    }

    #[test]
    fn human_error_is_plain_and_labelled() {
        let text = human(&mask_error(), false);
        assert!(!text.contains('\u{1b}'), "no colour codes: {text}");
        assert!(text.contains("GENERIC_READ|NOPE"), "{text}");
        assert!(text.contains("is not a number or a known right"), "{text}");
        assert!(text.contains("bitsim::mask"), "{text}");
    }
}
