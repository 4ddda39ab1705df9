//! The one error every parser returns: where in the input (byte offset,
//! 1-based line and column), what was wrong, and what was expected.
//!
//! Messages quote the input only through [`crate::text::quote`], which
//! cuts long text and escapes control characters, so a hostile capture
//! cannot flood or corrupt a terminal.

/// Why a capture was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}; expected {expected}")]
pub struct ImportError {
    /// Byte offset of the problem in the text given to the parser.
    pub offset: usize,
    /// Length in bytes of the offending part (0 for a point).
    pub len: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// What was wrong.
    pub message: String,
    /// What was expected instead.
    pub expected: String,
}

impl ImportError {
    /// An error at byte `offset` of `text` (clamped to the text).
    pub fn at(
        text: &str,
        offset: usize,
        message: impl Into<String>,
        expected: impl Into<String>,
    ) -> ImportError {
        ImportError::span(text, offset, 0, message, expected)
    }

    /// An error covering `len` bytes from `offset` of `text`.
    pub fn span(
        text: &str,
        offset: usize,
        len: usize,
        message: impl Into<String>,
        expected: impl Into<String>,
    ) -> ImportError {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let (line, column) = line_column(text, offset);
        ImportError {
            offset,
            len: len.min(text.len() - offset),
            line,
            column,
            message: message.into(),
            expected: expected.into(),
        }
    }
}

/// The 1-based line and character column of byte `offset` (a char boundary).
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_lines_and_character_columns() {
        let text = "ab\ncé d\n";
        let e = ImportError::at(text, 7, "x", "y");
        assert_eq!((e.line, e.column), (2, 4));
        let e = ImportError::at(text, 0, "x", "y");
        assert_eq!((e.line, e.column), (1, 1));
        // Inside a multi-byte character: moved back to its start.
        let e = ImportError::at(text, 5, "x", "y");
        assert_eq!((e.offset, e.line, e.column), (4, 2, 2));
        let e = ImportError::at(text, 999, "x", "y");
        assert_eq!((e.offset, e.line, e.column), (text.len(), 3, 1));
    }
}
