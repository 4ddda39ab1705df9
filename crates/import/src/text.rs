//! Text helpers every parser shares: lines with their byte offsets, the
//! display width of text as a console lays it out (a CJK character takes
//! two cells), rule rows (`==== ===`) and their columns, and quoting input
//! into messages safely.

use unicode_width::UnicodeWidthChar;

/// One line of the input, without its line ending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// Byte offset of the line's first character in the whole text.
    pub start: usize,
    /// The line, without `\n` or `\r\n`.
    pub text: &'a str,
}

impl Line<'_> {
    /// True when the line holds only whitespace.
    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }
}

/// The lines of `text` with their offsets; `\r\n` and `\n` both end a line.
pub fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    for piece in text.split_inclusive('\n') {
        let body = piece.strip_suffix('\n').unwrap_or(piece);
        let body = body.strip_suffix('\r').unwrap_or(body);
        out.push(Line { start, text: body });
        start += piece.len();
    }
    out
}

/// The number of console cells `text` takes: 2 for wide (CJK) characters,
/// 0 for combining marks and control characters, 1 otherwise.
pub fn width(text: &str) -> usize {
    text.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// The byte index in `text` where display cell `cell` starts (the end of
/// the text when it is narrower). A wide character that straddles `cell`
/// is kept whole on the left.
pub fn byte_at_cell(text: &str, cell: usize) -> usize {
    let mut cells = 0;
    for (i, c) in text.char_indices() {
        if cells >= cell {
            return i;
        }
        cells += c.width().unwrap_or(0);
    }
    text.len()
}

/// The columns of a rule row (`===== ===== ==`) as `[start, end)` display
/// cells, or `None` when the line is not a rule row: only `=` runs
/// separated by spaces, at least one run of three or more.
pub fn rule_columns(line: &str) -> Option<Vec<(usize, usize)>> {
    let trimmed = line.trim_end();
    if trimmed.is_empty() || !trimmed.chars().all(|c| c == '=' || c == ' ') {
        return None;
    }
    let mut columns = Vec::new();
    let mut run_start = None;
    for (i, c) in trimmed.chars().enumerate() {
        match (c, run_start) {
            ('=', None) => run_start = Some(i),
            (' ', Some(s)) => {
                columns.push((s, i));
                run_start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = run_start {
        columns.push((s, trimmed.chars().count()));
    }
    columns.iter().any(|(s, e)| e - s >= 3).then_some(columns)
}

/// True for a section underline (`-----`, three or more dashes and nothing else).
pub fn is_underline(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 3 && t.chars().all(|c| c == '-')
}

/// `text` quoted for a message: at most 60 characters (an ellipsis marks
/// the cut) with control characters escaped, inside backquotes.
pub fn quote(text: &str) -> String {
    const MAX: usize = 60;
    let mut out = String::from("`");
    for (n, c) in text.chars().enumerate() {
        if n == MAX {
            out.push('…');
            break;
        }
        if c.is_control() || c == '\u{2028}' || c == '\u{2029}' || c == '\u{feff}' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('`');
    out
}

/// The byte offset of `part` inside `whole`, when `part` is a subslice of it.
pub fn offset_in(whole: &str, part: &str) -> usize {
    let w = whole.as_ptr() as usize;
    let p = part.as_ptr() as usize;
    if p >= w && p <= w + whole.len() {
        p - w
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_offsets_and_drop_crlf() {
        let l = lines("a\r\nbc\n\nd");
        let got: Vec<_> = l.iter().map(|l| (l.start, l.text)).collect();
        assert_eq!(got, vec![(0, "a"), (3, "bc"), (6, ""), (7, "d")]);
    }

    #[test]
    fn cjk_characters_take_two_cells() {
        assert_eq!(width("用户"), 4);
        assert_eq!(width("ab"), 2);
        assert_eq!(byte_at_cell("用户 SID", 5), "用户 ".len());
        // A wide character straddling the cell stays on the left.
        assert_eq!(byte_at_cell("用户", 1), "用".len());
        assert_eq!(byte_at_cell("ab", 9), 2);
    }

    #[test]
    fn rule_rows_give_their_columns() {
        assert_eq!(
            rule_columns("====== === =="),
            Some(vec![(0, 6), (7, 10), (11, 13)])
        );
        assert_eq!(rule_columns("== =="), None);
        assert_eq!(rule_columns("---- ----"), None);
        assert_eq!(rule_columns("==== x"), None);
    }

    #[test]
    fn quoting_cuts_and_escapes() {
        assert_eq!(quote("a\u{1b}[31mb"), "`a\\u{1b}[31mb`");
        let long = "x".repeat(200);
        let q = quote(&long);
        assert!(q.chars().count() < 70, "{q}");
        assert!(q.ends_with("…`"));
    }
}
