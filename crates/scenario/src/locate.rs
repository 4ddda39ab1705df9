//! Positions in a scenario's text: line and column from a byte offset or
//! from the parser's line and column, where the n-th step starts, and
//! where a word appears inside a step.
//!
//! The YAML parser reports positions for syntax and type errors; checks
//! made after parsing (a name used before it is bound, an unknown
//! profile) find their position here, from the block-style layout every
//! scenario in the library uses. A layout this module does not recognise
//! (flow-style `steps: [...]`) falls back to the start of the file or of
//! the step.

use crate::load::Position;

/// Finds positions in one text.
#[derive(Debug)]
pub struct Locator<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
    steps: Vec<(usize, usize)>,
}

impl<'a> Locator<'a> {
    /// Indexes `text`.
    pub fn new(text: &'a str) -> Locator<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let mut l = Locator {
            text,
            line_starts,
            steps: Vec::new(),
        };
        l.steps = l.find_items("steps");
        l
    }

    fn line_text(&self, line: usize) -> &'a str {
        let start = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(self.text.len(), |e| e.saturating_sub(1));
        self.text.get(start..end.max(start)).unwrap_or("")
    }

    /// Byte ranges of the items of the top-level block sequence `key:`.
    fn find_items(&self, key: &str) -> Vec<(usize, usize)> {
        let lines = self.line_starts.len();
        let head_key = format!("{key}:");
        let Some(head) = (0..lines).find(|&l| {
            let t = self.line_text(l);
            t.starts_with(&head_key) && t[head_key.len()..].trim().is_empty()
        }) else {
            return Vec::new();
        };
        let mut items = Vec::new();
        let mut indent: Option<usize> = None;
        let mut start: Option<usize> = None;
        let mut end = self.text.len();
        for l in head + 1..lines {
            let t = self.line_text(l);
            let body = t.trim_start();
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            let ind = t.len() - body.len();
            let dash = body == "-" || body.starts_with("- ");
            let item_indent = *indent.get_or_insert(ind);
            if ind < item_indent || (ind == item_indent && !dash) {
                end = self.line_starts[l];
                break;
            }
            if ind == item_indent && dash {
                if let Some(s) = start {
                    items.push((s, self.line_starts[l]));
                }
                start = Some(self.line_starts[l] + ind);
            }
        }
        if let Some(s) = start {
            items.push((s, end));
        }
        items
    }

    /// The position of a byte offset, pointing at one character.
    pub fn at_offset(&self, offset: usize) -> Position {
        self.span(offset, 1)
    }

    fn span(&self, offset: usize, len: usize) -> Position {
        let offset = floor_boundary(self.text, offset.min(self.text.len()));
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        let mut end = offset.saturating_add(len).min(self.text.len());
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        Position {
            line: line + 1,
            column,
            offset,
            len: end - offset,
        }
    }

    /// The position of a 1-based line and column (in characters), spanning
    /// the word found there.
    pub fn at_line_column(&self, line: usize, column: usize) -> Position {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.at_offset(self.text.len());
        };
        let text = self.line_text(line.saturating_sub(1));
        let offset = start
            + text
                .char_indices()
                .nth(column.saturating_sub(1))
                .map_or(text.len(), |(i, _)| i);
        let word = self.text[offset..]
            .find(|c: char| c.is_whitespace() || matches!(c, ',' | '}' | ']' | ':'))
            .unwrap_or(self.text.len() - offset)
            .max(1);
        self.span(offset, word)
    }

    /// Where step `index` (0-based) starts; the end of the file when there
    /// is no such step.
    pub fn step(&self, index: usize) -> Position {
        match self.steps.get(index) {
            Some(&(start, _)) => self.span(start, 1),
            None => self.at_offset(self.text.len()),
        }
    }

    /// The line (1-based) of step `index`.
    pub fn step_line(&self, index: usize) -> usize {
        self.step(index).line
    }

    /// Where `word` first appears as a whole token inside step `index`;
    /// the step's start when it does not.
    pub fn in_step(&self, index: usize, word: &str) -> Position {
        let Some(&(start, end)) = self.steps.get(index) else {
            return self.step(index);
        };
        match find_token(&self.text[start..end], word) {
            Some(at) => self.span(start + at, word.len().max(1)),
            None => self.step(index),
        }
    }

    /// Where `word` appears as the value of `key` inside step `index`
    /// (after `key:`); where it first appears in the step when the key is
    /// not found.
    pub fn in_step_key(&self, index: usize, key: &str, word: &str) -> Position {
        let Some(&(start, end)) = self.steps.get(index) else {
            return self.step(index);
        };
        let step = &self.text[start..end];
        let head = format!("{key}:");
        let mut from = 0;
        while let Some(at) = find_token(&step[from..], key).map(|a| a + from) {
            if step[at..].starts_with(&head) {
                if let Some(w) = find_token(&step[at + head.len()..], word) {
                    return self.span(start + at + head.len() + w, word.len().max(1));
                }
            }
            from = at + key.len();
        }
        self.in_step(index, word)
    }

    /// Where `word` first appears in item `index` of the top-level block
    /// sequence `key` (`properties`); in the section when the item is not
    /// found.
    pub fn in_item(&self, key: &str, index: usize, word: &str) -> Position {
        let items = self.find_items(key);
        let Some(&(start, end)) = items.get(index) else {
            return self.in_section(key, word);
        };
        match find_token(&self.text[start..end], word) {
            Some(at) => self.span(start + at, word.len().max(1)),
            None => self.span(start, 1),
        }
    }

    /// Where `word` first appears as a whole token after the top-level
    /// key `key` (in its section); the key when it does not.
    pub fn in_section(&self, key: &str, word: &str) -> Position {
        let head = format!("{key}:");
        let Some(line) =
            (0..self.line_starts.len()).find(|&l| self.line_text(l).starts_with(&head))
        else {
            return self.at_offset(0);
        };
        let from = self.line_starts[line];
        let to = (line + 1..self.line_starts.len())
            .find(|&l| {
                let t = self.line_text(l);
                t.chars()
                    .next()
                    .is_some_and(|c| !c.is_whitespace() && c != '#')
            })
            .map_or(self.text.len(), |l| self.line_starts[l]);
        match find_token(&self.text[from..to], word) {
            Some(at) => self.span(from + at, word.len().max(1)),
            None => self.span(from, key.len()),
        }
    }

    /// Where `word` first appears as a whole token from the line of the
    /// key `key` inside the top-level section `section` (block style);
    /// the key itself when the word is not there, and as
    /// [`Locator::top_value`] when the key is not found.
    pub fn in_section_key(&self, section: &str, key: &str, word: &str) -> Position {
        let head = format!("{section}:");
        let lines = self.line_starts.len();
        let Some(line) = (0..lines).find(|&l| self.line_text(l).starts_with(&head)) else {
            return self.at_offset(0);
        };
        let sub = format!("{key}:");
        let end = (line + 1..lines)
            .find(|&l| {
                self.line_text(l)
                    .chars()
                    .next()
                    .is_some_and(|c| !c.is_whitespace() && c != '#')
            })
            .unwrap_or(lines);
        let Some(at) = (line + 1..end).find(|&l| self.line_text(l).trim_start().starts_with(&sub))
        else {
            return self.top_value(section, word);
        };
        let from = self.line_starts[at];
        let to = self
            .line_starts
            .get(end)
            .copied()
            .unwrap_or(self.text.len());
        match find_token(&self.text[from..to], word) {
            Some(i) => self.span(from + i, word.len().max(1)),
            None => {
                let text = self.line_text(at);
                let indent = text.len() - text.trim_start().len();
                self.span(from + indent, key.len())
            }
        }
    }

    /// Where `value` appears after the top-level key `key`.
    pub fn top_value(&self, key: &str, value: &str) -> Position {
        let head = format!("{key}:");
        let Some(line) =
            (0..self.line_starts.len()).find(|&l| self.line_text(l).starts_with(&head))
        else {
            return self.at_offset(0);
        };
        let from = self.line_starts[line];
        match find_token(&self.text[from..], value) {
            Some(at) => self.span(from + at, value.len().max(1)),
            None => self.span(from, key.len()),
        }
    }
}

/// The first occurrence of `word` in `hay` not inside a longer name.
fn find_token(hay: &str, word: &str) -> Option<usize> {
    if word.is_empty() {
        return None;
    }
    let is_name = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '$');
    let mut from = 0;
    while let Some(i) = hay[from..].find(word) {
        let at = from + i;
        let before = hay[..at].chars().next_back();
        let after = hay[at + word.len()..].chars().next();
        if !before.is_some_and(is_name) && !after.is_some_and(is_name) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "name: x\nsteps:\n  - logon: { user: alice }\n  # note\n  - CreateJob:\n      thread: alice\n      as: job\nother: 1\n";

    #[test]
    fn steps_are_found_by_their_dashes() {
        let l = Locator::new(TEXT);
        assert_eq!(l.step(0).line, 3);
        assert_eq!(l.step(0).column, 3);
        assert_eq!(l.step(1).line, 5);
        assert_eq!(l.in_step(1, "alice").line, 6);
        assert_eq!(l.in_step(1, "alice").column, 15);
        // A word only as part of a longer name is not a match.
        assert_eq!(l.in_step(1, "jo").line, 5);
    }

    #[test]
    fn line_and_column_round_trip() {
        let l = Locator::new(TEXT);
        let p = l.at_line_column(6, 15);
        assert_eq!((p.line, p.column, p.len), (6, 15, 5));
        assert_eq!(&TEXT[p.offset..p.offset + p.len], "alice");
    }
}
