//! Keeping what bitsim prints readable whatever its input held: control
//! characters are shown as escapes, never sent raw to a terminal, and
//! diagnostics cut lines too long to read.
//!
//! Two tools: [`EscapingWriter`] wraps standard output (every report
//! format: text, JSON, JUnit, HTML; JSON and XML writers never emit raw
//! control characters themselves, so only input echoed verbatim is
//! touched), and [`clip`] cleans a rendered diagnostic before it is
//! written to standard error.

use std::io::{self, Write};

/// The longest line, in characters, a diagnostic keeps whole; longer lines
/// keep their first [`KEPT_CHARS`] characters and say how many were cut.
pub const MAX_LINE_CHARS: usize = 400;

/// What a cut line keeps.
pub const KEPT_CHARS: usize = 300;

/// The escape shown for a control character: `\e` for ESC, `\0`, `\a`,
/// `\b`, `\v`, `\f`, `\r` as C writes them, `\u{..}` for the rest.
fn escape_char(c: char, out: &mut String) {
    match c {
        '\u{1b}' => out.push_str("\\e"),
        '\0' => out.push_str("\\0"),
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{b}' => out.push_str("\\v"),
        '\u{c}' => out.push_str("\\f"),
        '\r' => out.push_str("\\r"),
        other => out.push_str(&format!("\\u{{{:x}}}", u32::from(other))),
    }
}

/// Whether a character is shown as an escape: every control character
/// but the newline and the tab.
fn is_escaped(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// `text` with control characters escaped and each line longer than
/// [`MAX_LINE_CHARS`] cut to [`KEPT_CHARS`] characters and a note of how
/// many more it had.
pub fn clip(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(1 << 16));
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let count = line.chars().count();
        let keep = if count > MAX_LINE_CHARS {
            KEPT_CHARS
        } else {
            count
        };
        for c in line.chars().take(keep) {
            if is_escaped(c) {
                escape_char(c, &mut out);
            } else {
                out.push(c);
            }
        }
        if keep < count {
            out.push_str(&format!("… ({} more characters)", count - keep));
        }
    }
    out
}

/// Whether [`clip`] would change `text`.
pub fn needs_clip(text: &str) -> bool {
    text.split('\n')
        .any(|line| line.chars().count() > MAX_LINE_CHARS || line.chars().any(is_escaped))
}

/// A writer that passes text through and replaces each C0 control byte
/// (other than newline, tab and carriage return) and DEL with its escape.
/// Those bytes never occur inside a multi-byte UTF-8 character, so writes
/// may split the text anywhere.
pub struct EscapingWriter<W: Write> {
    inner: W,
}

impl<W: Write> EscapingWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> EscapingWriter<W> {
        EscapingWriter { inner }
    }
}

fn is_raw_control(b: u8) -> bool {
    (b < 0x20 && !matches!(b, b'\n' | b'\t' | b'\r')) || b == 0x7f
}

impl<W: Write> Write for EscapingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut start = 0;
        for (i, &b) in buf.iter().enumerate() {
            if is_raw_control(b) {
                self.inner.write_all(&buf[start..i])?;
                let mut escaped = String::new();
                escape_char(char::from(b), &mut escaped);
                self.inner.write_all(escaped.as_bytes())?;
                start = i + 1;
            }
        }
        self.inner.write_all(&buf[start..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_escapes_controls_and_cuts_long_lines() {
        let long = "x".repeat(1000);
        let text = format!("a\u{1b}[2Jb\tc\n{long}\nend\u{7}");
        let out = clip(&text);
        assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out}");
        assert!(out.starts_with("a\\e[2Jb\tc\n"), "{out}");
        assert!(
            out.contains(&format!("{}… (700 more characters)\n", "x".repeat(300))),
            "{out}"
        );
        assert!(out.ends_with("end\\a"), "{out}");
        assert!(needs_clip(&text));
        assert!(!needs_clip("plain\ntext\twith tab"));
    }

    #[test]
    fn the_writer_escapes_control_bytes_and_keeps_utf8() {
        let mut out = EscapingWriter::new(Vec::new());
        out.write_all("é\u{1b}[31m\0→\r\n".as_bytes()).unwrap();
        out.write_all(b"\x7f").unwrap();
        let text = String::from_utf8(out.inner).unwrap();
        assert_eq!(text, "é\\e[31m\\0→\r\n\\u{7f}");
    }
}
