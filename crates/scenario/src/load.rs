//! Loading a scenario: YAML text to a checked [`Scenario`], or every
//! error found in it, each saying where (file, line, column), what is
//! wrong, what was expected and, for a near miss, the nearest spelling.
//!
//! This module owns the size and shape limits, the one call into the
//! YAML parser (so a maintained fork of `serde_yaml` can replace it in
//! one line), and the checks the types cannot express: names bound with
//! `as` before they are used (and always to the same kind of thing),
//! numbers written with constant names, per-profile expectations naming
//! profiles that run. What only the model knows (accounts, results,
//! privileges, mutants) is checked through [`Semantics`].
//!
//! Each step is read on its own, so one bad step does not hide the
//! others: a file's errors are all reported in one pass.

use std::collections::BTreeMap;

use crate::format::{self, Expected, Scenario, Step};
use crate::locate::Locator;
use crate::names::{self, ClosedSet};

/// The largest scenario file accepted, in bytes.
pub const MAX_BYTES: usize = 1 << 20;
/// The most steps a scenario may have.
pub const MAX_STEPS: usize = 2_000;
/// The deepest nesting of YAML collections accepted.
pub const MAX_DEPTH: usize = 32;
/// The most errors reported for one file.
pub const MAX_ERRORS: usize = 100;

/// Where in a file something is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// Byte offset.
    pub offset: usize,
    /// Length in bytes of the thing pointed at (at least 1 unless the file
    /// is empty).
    pub len: usize,
}

/// One problem that keeps a scenario from loading.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}", line = position.line, column = position.column)]
pub struct LoadError {
    /// The file name as given.
    pub file: String,
    /// Where.
    pub position: Position,
    /// What is wrong.
    pub message: String,
    /// What was expected instead.
    pub expected: Option<String>,
    /// The nearest accepted spelling, for a near miss.
    pub hint: Option<String>,
}

/// Every problem found in one file, in the order they appear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadErrors {
    /// The problems, at least one, sorted by position.
    pub errors: Vec<LoadError>,
}

impl LoadErrors {
    /// The first problem.
    pub fn first(&self) -> Option<&LoadError> {
        self.errors.first()
    }
}

impl From<LoadError> for LoadErrors {
    fn from(e: LoadError) -> LoadErrors {
        LoadErrors { errors: vec![e] }
    }
}

impl std::fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

/// What kind of thing a name stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NameKind {
    /// A thread.
    Thread,
    /// A token.
    Token,
    /// An interface pointer.
    Pointer,
}

impl NameKind {
    fn noun(self) -> &'static str {
        match self {
            NameKind::Thread => "thread",
            NameKind::Token => "token",
            NameKind::Pointer => "interface pointer",
        }
    }

    fn with_article(self) -> String {
        match self {
            NameKind::Pointer => "an interface pointer".to_string(),
            other => format!("a {}", other.noun()),
        }
    }
}

/// What the format alone cannot check: names and values whose meaning
/// belongs to the model (mutant names, result names, privileges,
/// accounts, the host section). The runner implements it; [`load`]
/// checks the format only.
pub trait Semantics {
    /// Checks a scenario whose format is sound. Steps and properties
    /// that could not be read are left out of `scenario`; `at` gives the
    /// position in the file of each one kept. Returns every problem found.
    fn check(&self, scenario: &Scenario, at: &Indices) -> Vec<Finding>;
}

/// Where in the file each step and property of a partly read scenario is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Indices {
    /// `steps[k]` is the file's step number `steps[k]` (0-based).
    pub steps: Vec<usize>,
    /// `properties[k]` is the file's property number `properties[k]`.
    pub properties: Vec<usize>,
}

/// A problem a [`Semantics`] check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Where it is.
    pub at: Site,
    /// The key the word is the value of, when known (to point at the
    /// right one of several equal words).
    pub key: Option<&'static str>,
    /// The offending word, as written (used to point at it).
    pub word: String,
    /// What is wrong.
    pub message: String,
    /// What was expected instead.
    pub expected: Option<String>,
    /// The nearest accepted spelling, for a near miss.
    pub hint: Option<String>,
}

impl Finding {
    /// A problem with `word` at `at`.
    pub fn new(at: Site, word: &str, message: String) -> Finding {
        Finding {
            at,
            key: None,
            word: word.to_string(),
            message,
            expected: None,
            hint: None,
        }
    }

    /// The same, pointing at the value of `key`.
    pub fn key(mut self, key: &'static str) -> Finding {
        self.key = Some(key);
        self
    }

    /// The same, saying what was expected.
    pub fn expected(mut self, expected: impl Into<String>) -> Finding {
        self.expected = Some(expected.into());
        self
    }

    /// The same, with the nearest of `candidates` as a hint.
    pub fn near<'a>(mut self, candidates: impl IntoIterator<Item = &'a str>) -> Finding {
        self.hint = nearest(&self.word, candidates).map(|n| format!("did you mean `{n}`?"));
        self
    }
}

/// Which part of a scenario a [`Finding`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// A top-level key (`mutant`, `profile`, ...).
    Top(&'static str),
    /// The `host` section.
    Host,
    /// A step, by its index in the file.
    Step(usize),
    /// A property, by its index in `properties`.
    Property(usize),
}

/// No checks beyond the format's own.
#[derive(Debug, Clone, Copy, Default)]
pub struct FormatOnly;

impl Semantics for FormatOnly {
    fn check(&self, _: &Scenario, _: &Indices) -> Vec<Finding> {
        Vec::new()
    }
}

/// The spelling among `candidates` nearest to `word`, when it is near
/// enough to be a slip (letters in the wrong case, one or two typed
/// wrong, a missing or extra separator).
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let folded = |s: &str| -> Vec<char> {
        s.chars()
            .filter(|c| !matches!(c, '_' | '-' | ' '))
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let w = folded(word);
    if w.is_empty() || w.len() > 64 {
        return None;
    }
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == word {
            continue;
        }
        let f = folded(c);
        if f.len() > 64 {
            continue;
        }
        let d = edit_distance(&w, &f);
        let limit = (w.len().max(f.len()) / 4).clamp(1, 3);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// The optimal-string-alignment distance: insertions, deletions,
/// substitutions and swaps of two neighbours each count one.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// Parses and checks a scenario's format. `file` is only used in error
/// messages. Names whose meaning belongs to the model (mutants, results,
/// accounts) are checked by [`load_with`] and a [`Semantics`].
pub fn load(file: &str, text: &str) -> Result<Scenario, LoadErrors> {
    load_with(file, text, &FormatOnly)
}

/// Parses and checks a scenario: the format's checks, then
/// `semantics`'. Every problem is reported, not only the first.
pub fn load_with(
    file: &str,
    text: &str,
    semantics: &dyn Semantics,
) -> Result<Scenario, LoadErrors> {
    let loc = Locator::new(text);
    let err = |position: Position, message: String, expected: Option<String>| LoadError {
        file: file.to_string(),
        position,
        message,
        expected,
        hint: None,
    };
    if text.len() > MAX_BYTES {
        return Err(err(
            loc.at_offset(0),
            format!(
                "the file is {} bytes; scenarios are limited to {MAX_BYTES} bytes",
                text.len()
            ),
            Some("a smaller scenario, or several files".to_string()),
        )
        .into());
    }
    if let Some((offset, message, expected)) = shape(text) {
        return Err(err(loc.at_offset(offset), message, Some(expected)).into());
    }
    let skeleton: Scenario<serde_yaml::Value, serde_yaml::Value> = serde_yaml::from_str(text)
        .map_err(|e| {
            let position = match e.location() {
                Some(l) => loc.at_line_column(l.line(), l.column()),
                None => loc.at_offset(0),
            };
            let full = e.to_string();
            let (message, expected) = split_serde_message(&full);
            let hint = hint_of(&full);
            LoadErrors::from(LoadError {
                hint,
                ..err(position, message, expected)
            })
        })?;
    if skeleton.steps.len() > MAX_STEPS {
        return Err(err(
            loc.step(MAX_STEPS),
            format!(
                "the scenario has {} steps; the limit is {MAX_STEPS}",
                skeleton.steps.len()
            ),
            Some("fewer steps, or several scenarios".to_string()),
        )
        .into());
    }
    let mut errors: Vec<LoadError> = Vec::new();
    let raw = skeleton.steps.clone();
    let mut steps: Vec<Step> = Vec::new();
    let mut indices: Vec<usize> = Vec::new();
    let mut failed: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (i, value) in raw.into_iter().enumerate() {
        let binds = raw_binds(&value);
        let raw_value = value.clone();
        match format::step_from_value(value) {
            Ok(step) => {
                steps.push(step);
                indices.push(i);
            }
            Err(e) => {
                let full = e.to_string();
                let (message, expected) = split_serde_message(&full);
                let message = format!("steps[{i}]{}: {message}", step_kind(&raw_value));
                let position = match quoted_word(&message) {
                    Some(word) => loc.in_step(i, word),
                    None => loc.step(i),
                };
                errors.push(LoadError {
                    hint: hint_of(&full),
                    ..err(position, message, expected)
                });
                failed.insert(i, binds);
            }
        }
    }
    let mut properties = Vec::new();
    let mut property_indices = Vec::new();
    for (i, value) in skeleton.properties.clone().into_iter().enumerate() {
        match serde_yaml::from_value::<format::Property>(value) {
            Ok(p) => {
                properties.push(p);
                property_indices.push(i);
            }
            Err(e) => {
                let full = e.to_string();
                let (message, expected) = split_serde_message(&full);
                let message = format!("properties[{i}]: {message}");
                let position = match quoted_word(&message) {
                    Some(word) => loc.in_item("properties", i, word),
                    None => loc.in_item("properties", i, ""),
                };
                errors.push(LoadError {
                    hint: hint_of(&full),
                    ..err(position, message, expected)
                });
            }
        }
    }
    let scenario = skeleton.with_parts(steps, properties);
    let located = |f: Finding| {
        let position = match (f.at, f.key) {
            (Site::Top(section), Some(key)) => loc.in_section_key(section, key, &f.word),
            (Site::Top(key), None) => loc.top_value(key, &f.word),
            (Site::Host, _) => loc.in_section("host", &f.word),
            (Site::Step(i), Some(key)) => loc.in_step_key(i, key, &f.word),
            (Site::Step(i), None) => loc.in_step(i, &f.word),
            (Site::Property(i), _) => loc.in_item("properties", i, &f.word),
        };
        LoadError {
            file: file.to_string(),
            position,
            message: f.message,
            expected: f.expected,
            hint: f.hint,
        }
    };
    let at = Indices {
        steps: indices,
        properties: property_indices,
    };
    let mut findings = check_names(&scenario, &at.steps, &failed);
    findings.extend(check_values(&scenario, &at.steps));
    findings.extend(check_expected_profiles(&scenario, &at.steps));
    findings.extend(check_properties(&scenario, &at.properties));
    findings.extend(check_explore(&scenario));
    findings.extend(semantics.check(&scenario, &at));
    errors.extend(findings.into_iter().map(located));
    if errors.is_empty() {
        return Ok(scenario);
    }
    errors.sort_by_key(|e| (e.position.offset, e.message.clone()));
    errors.dedup();
    errors.truncate(MAX_ERRORS);
    Err(LoadErrors { errors })
}

/// A cheap pass over the text before the parser runs: collections nested
/// deeper than [`MAX_DEPTH`] (block indentation and flow brackets
/// together) and YAML anchors and aliases (which can expand a small file
/// into a huge document) are refused. Linear in the text. Returns the
/// offset, the message and what was expected. Every YAML file bitsim reads
/// (scenarios, token files, object files) passes through it.
pub fn shape(text: &str) -> Option<(usize, String, String)> {
    let too_deep = |at: usize| {
        Some((
            at,
            format!("the YAML is nested more than {MAX_DEPTH} levels deep"),
            format!("at most {MAX_DEPTH} levels of nesting"),
        ))
    };
    let mut flow = 0usize;
    let mut quote: Option<char> = None;
    let mut indents: Vec<usize> = Vec::new();
    // Inside a block scalar (`about: >`): the key's indentation.
    let mut block: Option<usize> = None;
    let mut offset = 0usize;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let content = body.trim_start_matches(' ');
        let indent = body.len() - content.len();
        if let Some(key_indent) = block {
            if content.is_empty() || indent > key_indent {
                continue;
            }
            block = None;
        }
        if quote.is_none() && flow == 0 && starts_block_scalar(content) {
            block = Some(indent);
        }
        if quote.is_none() && flow == 0 && !content.is_empty() && !content.starts_with('#') {
            // Sequence dashes open a level each, like indentation.
            let mut column = body.len() - content.len();
            let mut rest = content;
            loop {
                while indents.last().is_some_and(|&d| d > column) {
                    indents.pop();
                }
                if indents.last() != Some(&column) {
                    indents.push(column);
                }
                match rest.strip_prefix("- ") {
                    Some(after) => {
                        let trimmed = after.trim_start_matches(' ');
                        column += 2 + (after.len() - trimmed.len());
                        rest = trimmed;
                    }
                    None => break,
                }
            }
            if indents.len() > MAX_DEPTH {
                return too_deep(start);
            }
        }
        let mut node_start = quote.is_none();
        let mut prev = ' ';
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let next = chars.peek().map_or(' ', |(_, n)| *n);
            if let Some(q) = quote {
                if c == q {
                    if q == '\'' && next == '\'' {
                        chars.next();
                    } else {
                        quote = None;
                    }
                } else if q == '"' && c == '\\' {
                    chars.next();
                }
                prev = c;
                continue;
            }
            if c == '#' && (prev == ' ' || prev == '\t' || i == 0) {
                break;
            }
            match c {
                '\'' | '"' if node_start => quote = Some(c),
                '&' | '*' if node_start && !next.is_whitespace() => {
                    return Some((
                        start + i,
                        "YAML anchors and aliases are not accepted".to_string(),
                        "each value written out where it is used".to_string(),
                    ));
                }
                '[' | '{' if node_start => {
                    flow += 1;
                    if flow + indents.len() > MAX_DEPTH {
                        return too_deep(start + i);
                    }
                }
                ']' | '}' if flow > 0 => flow -= 1,
                _ => {}
            }
            node_start = match c {
                ' ' | '\t' => node_start,
                '[' | '{' | ',' => flow > 0 || node_start,
                '-' | ':' | '?' => {
                    next.is_whitespace() || (flow > 0 && matches!(next, ',' | ']' | '}'))
                }
                _ => false,
            } && quote.is_none();
            prev = c;
        }
    }
    None
}

/// Whether a line's value is a block scalar (`key: |`, `- >-`), whose
/// following, more indented lines are text.
fn starts_block_scalar(content: &str) -> bool {
    let code = match content.find(" #") {
        Some(i) => &content[..i],
        None => content,
    };
    let Some(last) = code.trim_end().rsplit(' ').next() else {
        return false;
    };
    let mut chars = last.chars();
    matches!(chars.next(), Some('|' | '>'))
        && chars.all(|c| matches!(c, '-' | '+' | '1'..='9'))
        && (code.trim_end().len() == last.len()
            || code.trim_end().ends_with(&format!(": {last}"))
            || code.trim_end().ends_with(&format!("- {last}")))
}

/// The first word in backticks of a message, which serde's messages use
/// for the offending value.
fn quoted_word(message: &str) -> Option<&str> {
    let between = |open: char| {
        let start = message.find(open)? + 1;
        let len = message[start..].find(open)?;
        Some(&message[start..start + len]).filter(|w| !w.is_empty())
    };
    between('`').or_else(|| between('"'))
}

/// For `unknown …, expected one of …` messages, the nearest spelling.
fn hint_of(message: &str) -> Option<String> {
    let word = quoted_word(message)?;
    let (_, list) = message.split_once("one of ")?;
    let candidates: Vec<&str> = list
        .split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, w)| w)
        .collect();
    nearest(word, candidates).map(|n| format!("did you mean `{n}`?"))
}

/// `.Kind` for a step written as a one-key map, as serde's paths show it.
fn step_kind(value: &serde_yaml::Value) -> String {
    match value.as_mapping().map(|m| m.iter().collect::<Vec<_>>()) {
        Some(entries) if entries.len() == 1 => entries[0]
            .0
            .as_str()
            .map_or_else(String::new, |k| format!(".{k}")),
        _ => String::new(),
    }
}

/// The names a step that could not be read would have bound (its `as:`),
/// so later steps using them are not reported as well.
fn raw_binds(value: &serde_yaml::Value) -> Vec<String> {
    let Some(map) = value.as_mapping() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (_, body) in map {
        let Some(args) = body.as_mapping() else {
            continue;
        };
        for (k, v) in args {
            if k.as_str() == Some("as") {
                match v {
                    serde_yaml::Value::String(s) => out.push(s.clone()),
                    serde_yaml::Value::Sequence(items) => {
                        out.extend(items.iter().filter_map(|i| i.as_str().map(str::to_string)));
                    }
                    _ => {}
                }
            }
        }
        if let Some(user) = args.get("user").and_then(|u| u.as_str()) {
            out.push(user.to_string());
        }
    }
    out
}

/// serde's message without its position suffix, split into what was wrong
/// and what was expected.
fn split_serde_message(text: &str) -> (String, Option<String>) {
    let text = match text.rfind(" at line ") {
        Some(i) => &text[..i],
        None => text,
    };
    match text.split_once(", expected ") {
        Some((what, expected)) => {
            let expected = match expected {
                "u64" | "u32" | "usize" => "a whole number (0 or more)",
                "a boolean" => "true or false",
                other => other,
            };
            (what.to_string(), Some(expected.to_string()))
        }
        None => (text.to_string(), None),
    }
}

/// Names bound with `as` (and by `logon`), checked in step order. A step
/// that could not be read binds its `as` names to anything.
fn check_names(
    s: &Scenario,
    indices: &[usize],
    failed: &BTreeMap<usize, Vec<String>>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut names: BTreeMap<String, Option<NameKind>> = BTreeMap::new();
    // Imported tokens are bound before the first step.
    for name in s.host.import.iter().flat_map(|i| i.tokens.keys()) {
        names.insert(name.clone(), Some(NameKind::Token));
    }
    let mut parsed = s.steps.iter().zip(indices).peekable();
    let last = indices
        .last()
        .copied()
        .max(failed.keys().next_back().copied())
        .map_or(0, |l| l + 1);
    for i in 0..last {
        if let Some(binds) = failed.get(&i) {
            for b in binds {
                names.insert(b.clone(), None);
            }
            continue;
        }
        let Some((step, _)) = parsed.next_if(|(_, &at)| at == i) else {
            continue;
        };
        let (uses, binds) = names_of(step);
        for (name, kind) in uses {
            match names.get(name) {
                Some(None) => {}
                Some(Some(k)) if *k == kind => {}
                Some(Some(k)) => out.push(
                    Finding::new(
                        Site::Step(i),
                        name,
                        format!(
                            "`{name}` is {}, not {}",
                            k.with_article(),
                            kind.with_article()
                        ),
                    )
                    .expected(format!("the name of {}", kind.with_article())),
                ),
                None => {
                    let known: Vec<&str> = names
                        .iter()
                        .filter(|(_, k)| **k == Some(kind))
                        .map(|(n, _)| n.as_str())
                        .collect();
                    out.push(
                        Finding::new(
                            Site::Step(i),
                            name,
                            format!(
                                "no {} is named `{name}` at this step (names are bound with `as` by an earlier step)",
                                kind.noun()
                            ),
                        )
                        .expected(if known.is_empty() {
                            format!("{} bound by an earlier step", kind.with_article())
                        } else {
                            format!("one of: {}", known.join(", "))
                        })
                        .near(known.iter().copied()),
                    );
                }
            }
        }
        for (name, kind) in binds {
            if let Some(Some(k)) = names.get(name) {
                if *k != kind {
                    out.push(
                        Finding::new(
                            Site::Step(i),
                            name,
                            format!(
                                "`{name}` already names {}; it cannot also name {}",
                                k.with_article(),
                                kind.with_article()
                            ),
                        )
                        .expected("a new name"),
                    );
                    continue;
                }
            }
            names.insert(name.to_string(), Some(kind));
        }
    }
    out
}

/// Numbers written with constant names, and the other values whose
/// spelling the format owns, in steps that take them.
fn check_values(s: &Scenario, indices: &[usize]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (step, &i) in s.steps.iter().zip(indices) {
        let mut number = |key: &'static str, v: &format::Scalar| {
            if names::parse_flags(&v.0).is_some() {
                return;
            }
            let bad =
                v.0.split('|')
                    .map(str::trim)
                    .find(|part| names::parse_flags(part).is_none())
                    .unwrap_or(&v.0);
            out.push(
                Finding::new(
                    Site::Step(i),
                    bad,
                    format!("`{bad}` is not a number or a known constant"),
                )
                .key(key)
                .expected("a number (decimal or 0x hex), or constant names joined with `|` (BG_TOKEN_LOCAL_FILE|BG_TOKEN_NETWORK)")
                .near(names::CONSTANTS.iter().map(|(n, _)| *n)),
            );
        };
        match step {
            Step::SetPriority(c)
            | Step::SetNotifyFlags(c)
            | Step::SetMinimumRetryDelay(c)
            | Step::SetNoProgressTimeout(c)
            | Step::SetSecurityFlags(c)
            | Step::SetHelperTokenFlags(c)
            | Step::Skip(c) => number("value", &c.value),
            Step::SetProxySettings(c) => number("usage", &c.usage),
            Step::SetCredentials(c) | Step::RemoveCredentials(c) => {
                number("target", &c.target);
                number("scheme", &c.scheme);
            }
            Step::Expect(e) => {
                if let Some(f) = &e.helper_flags {
                    number("helper_flags", f);
                }
            }
            Step::Publish(p) if p.bytes.is_some() == p.text.is_some() => out.push(
                Finding::new(
                    Site::Step(i),
                    &p.name,
                    "`publish` takes one of `bytes` and `text`".to_string(),
                )
                .expected("`bytes: N` (content derived from the name and size) or `text: ...`"),
            ),
            Step::SetNotifyInterface(c) if !matches!(c.value.0.as_str(), "true" | "false") => {
                out.push(
                    Finding::new(
                        Site::Step(i),
                        &c.value.0,
                        format!("`{}` is not true or false", c.value.0),
                    )
                    .key("value")
                    .expected("true (an interface) or false (NULL)"),
                );
            }
            _ => {}
        }
    }
    out
}

/// Each property has one body (and `within` only with `eventually`), a
/// unique id, and observes names some step binds.
/// The `explore` section: every thread and token it names is bound by a
/// step, and every flags value is a number or known constants.
fn check_explore(s: &Scenario) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(e) = &s.explore else {
        return out;
    };
    let mut bound: BTreeMap<&str, NameKind> = BTreeMap::new();
    for name in s.host.import.iter().flat_map(|i| i.tokens.keys()) {
        bound.insert(name, NameKind::Token);
    }
    for step in &s.steps {
        for (name, kind) in names_of(step).1 {
            bound.insert(name, kind);
        }
    }
    let mut need = |name: &str, kind: NameKind, key: &str| {
        if bound.get(name) == Some(&kind) {
            return;
        }
        let known: Vec<&str> = bound
            .iter()
            .filter(|(_, k)| **k == kind)
            .map(|(n, _)| *n)
            .collect();
        let message = match bound.get(name) {
            Some(k) => format!(
                "explore.{key}: `{name}` is {}, not {}",
                k.with_article(),
                kind.with_article()
            ),
            None => format!(
                "explore.{key}: no step binds a {} named `{name}`",
                kind.noun()
            ),
        };
        out.push(
            Finding::new(Site::Top("explore"), name, message)
                .expected(if known.is_empty() {
                    format!("{} bound by a step with `as`", kind.with_article())
                } else {
                    format!("one of: {}", known.join(", "))
                })
                .near(known.iter().copied()),
        );
    };
    for a in &e.actors {
        need(a, NameKind::Thread, "actors");
    }
    for t in &e.logoff {
        need(t, NameKind::Thread, "logoff");
    }
    for t in &e.impersonate {
        need(t, NameKind::Token, "impersonate");
    }
    let mut declared: Vec<&str> = Vec::new();
    for group in &e.symmetric {
        if group.len() < 2 || group.len() > 6 {
            let word = group.first().map_or("symmetric", String::as_str);
            out.push(
                Finding::new(
                    Site::Top("explore"),
                    word,
                    format!(
                        "explore.symmetric: a group of {} user(s); a group names 2 to 6 interchangeable users",
                        group.len()
                    ),
                )
                .key("symmetric")
                .expected("a list of 2 to 6 account names, e.g. [alice, bob, carol]"),
            );
        }
        for name in group {
            let bare = |n: &str| n.rsplit('\\').next().unwrap_or(n).to_ascii_lowercase();
            if declared.iter().any(|d| bare(d) == bare(name)) {
                out.push(
                    Finding::new(
                        Site::Top("explore"),
                        name,
                        format!("explore.symmetric: `{name}` is declared twice"),
                    )
                    .key("symmetric")
                    .expected("each user in one group, once"),
                );
            }
            declared.push(name);
        }
    }
    for v in &e.helper_token_flags {
        if names::parse_flags(&v.0).is_none() {
            out.push(
                Finding::new(
                    Site::Top("explore"),
                    &v.0,
                    format!("explore.helper_token_flags: `{}` is not a number or a known constant", v.0),
                )
                .expected("a number, or constant names joined with `|` (BG_TOKEN_LOCAL_FILE|BG_TOKEN_NETWORK)")
                .near(names::CONSTANTS.iter().map(|(n, _)| *n)),
            );
        }
    }
    out
}

fn check_properties(s: &Scenario, indices: &[usize]) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut bound: BTreeMap<&str, NameKind> = BTreeMap::new();
    for name in s.host.import.iter().flat_map(|i| i.tokens.keys()) {
        bound.insert(name, NameKind::Token);
    }
    for step in &s.steps {
        for (name, kind) in names_of(step).1 {
            bound.insert(name, kind);
        }
    }
    let running = profile_names(s);
    let mut ids: Vec<&str> = Vec::new();
    for (p, &i) in s.properties.iter().zip(indices) {
        let at = Site::Property(i);
        if ids.contains(&p.id.as_str()) {
            out.push(
                Finding::new(at, &p.id, format!("two properties are named `{}`", p.id))
                    .expected("a unique id"),
            );
        }
        ids.push(&p.id);
        let Some((temporal, observation)) = p.body() else {
            out.push(
                Finding::new(at, &p.id, format!("property `{}` needs exactly one of `always`, `never`, `sometimes`, `eventually`", p.id))
                    .expected("one of always, never, sometimes, eventually"),
            );
            continue;
        };
        if p.within.is_some() && temporal != format::Temporal::Eventually {
            out.push(
                Finding::new(
                    at,
                    "within",
                    format!("property `{}`: `within` bounds `eventually` only", p.id),
                )
                .expected("`eventually` with `within`, or no `within`"),
            );
        }
        for prof in observation.only() {
            if !running.contains(&prof.value) {
                out.push(Finding::new(
                    at,
                    &prof.text,
                    format!("`{}` is not a profile this scenario runs under", prof.text),
                ));
            }
        }
        let step = observation.as_step();
        let (uses, _) = names_of(&step);
        for (name, kind) in uses {
            match bound.get(name) {
                Some(k) if *k == kind => {}
                Some(k) => out.push(Finding::new(
                    at,
                    name,
                    format!(
                        "`{name}` is {}, not {}",
                        k.with_article(),
                        kind.with_article()
                    ),
                )),
                None => out.push(
                    Finding::new(
                        at,
                        name,
                        format!("no step binds {} named `{name}`", kind.with_article()),
                    )
                    .expected(format!("{} bound by a step", kind.with_article()))
                    .near(bound.iter().filter(|(_, k)| **k == kind).map(|(n, _)| *n)),
                ),
            }
        }
    }
    out
}

/// A closed set's spellings, for hints.
pub fn spellings_of<T: ClosedSet>() -> Vec<&'static str> {
    T::spellings()
}

/// Names a step uses or binds, with what they stand for.
pub type Names<'a> = Vec<(&'a str, NameKind)>;

/// The names a step uses and the names it binds.
pub fn names_of(step: &Step) -> (Names<'_>, Names<'_>) {
    use NameKind::{Pointer, Thread, Token};
    let mut uses: Names<'_> = Vec::new();
    let mut binds: Names<'_> = Vec::new();
    match step {
        Step::Logon(l) => binds.push((l.bind.as_deref().unwrap_or(&l.user), Thread)),
        Step::Logoff(name) => uses.push((name, Thread)),
        Step::EndSession(_)
        | Step::Network(_)
        | Step::BandwidthBlocked(_)
        | Step::Publish(_)
        | Step::Advance(_)
        | Step::SetAcl(_) => {}
        Step::StartService(s) => binds.push((&s.bind, Thread)),
        Step::CoInitializeSecurity(b) => uses.push((&b.thread, Thread)),
        Step::RunAsAdmin(c) => {
            uses.push((&c.thread, Thread));
            if let Some(b) = &c.bind {
                binds.push((b, Thread));
            }
        }
        Step::CreateJob(c) => {
            uses.push((&c.thread, Thread));
            uses.extend(c.manager.iter().map(|m| (m.as_str(), Pointer)));
            if let Some(b) = &c.bind {
                binds.push((b, Pointer));
            }
        }
        Step::GetJob(c) => {
            uses.push((&c.thread, Thread));
            uses.push((&c.job, Pointer));
            uses.extend(c.manager.iter().map(|m| (m.as_str(), Pointer)));
            if let Some(b) = &c.bind {
                binds.push((b, Pointer));
            }
        }
        Step::EnumJobs(c) => {
            uses.push((&c.thread, Thread));
            uses.extend(c.manager.iter().map(|m| (m.as_str(), Pointer)));
            if let Some(b) = &c.bind {
                binds.push((b, Pointer));
            }
        }
        Step::CoCreateInstance(c) => {
            uses.push((&c.thread, Thread));
            if let Some(b) = &c.bind {
                binds.push((b, Pointer));
            }
        }
        Step::SetProperty(c) => {
            uses.push((&c.thread, Thread));
            uses.push((&c.job, Pointer));
        }
        Step::GetProperty(c) => {
            uses.push((&c.thread, Thread));
            uses.push((&c.job, Pointer));
        }
        Step::QueryInterface(c) => {
            uses.push((&c.thread, Thread));
            uses.push((&c.job, Pointer));
            if let Some(b) = &c.bind {
                binds.push((b, Pointer));
            }
        }
        Step::AddFile(c) => {
            uses.push((&c.thread, Thread));
            uses.push((&c.job, Pointer));
        }
        Step::AddFileSet(c) => {
            uses.push((&c.thread, Thread));
            uses.push((&c.job, Pointer));
        }
        Step::SetProxySettings(c) => {
            uses.push((&c.thread, Thread));
            uses.push((&c.job, Pointer));
        }
        Step::SetNotifyCmdLine(c) => {
            uses.push((&c.thread, Thread));
            uses.push((&c.job, Pointer));
        }
        Step::SetCredentials(c) | Step::RemoveCredentials(c) => {
            uses.push((&c.thread, Thread));
            uses.push((&c.job, Pointer));
        }
        Step::Next(c) => {
            uses.push((&c.thread, Thread));
            uses.push((&c.job, Pointer));
            binds.extend(c.bind.iter().map(|b| (b.as_str(), Pointer)));
        }
        Step::SetDisplayName(c)
        | Step::SetDescription(c)
        | Step::SetPriority(c)
        | Step::SetNotifyFlags(c)
        | Step::SetNotifyInterface(c)
        | Step::SetMinimumRetryDelay(c)
        | Step::SetNoProgressTimeout(c)
        | Step::SetClientCertificate(c)
        | Step::SetCustomHeaders(c)
        | Step::SetSecurityFlags(c)
        | Step::SetHelperTokenFlags(c)
        | Step::Skip(c) => {
            uses.push((&c.thread, Thread));
            uses.push((&c.job, Pointer));
        }
        Step::Release(c)
        | Step::Resume(c)
        | Step::Suspend(c)
        | Step::Cancel(c)
        | Step::Complete(c)
        | Step::GetState(c)
        | Step::GetProgress(c)
        | Step::GetError(c)
        | Step::GetErrorCount(c)
        | Step::GetOwner(c)
        | Step::GetId(c)
        | Step::GetType(c)
        | Step::GetTimes(c)
        | Step::GetDisplayName(c)
        | Step::GetDescription(c)
        | Step::GetPriority(c)
        | Step::GetNotifyFlags(c)
        | Step::GetNotifyInterface(c)
        | Step::GetMinimumRetryDelay(c)
        | Step::GetNoProgressTimeout(c)
        | Step::TakeOwnership(c)
        | Step::EnumFiles(c)
        | Step::GetOwnerElevationState(c)
        | Step::GetOwnerIntegrityLevel(c)
        | Step::RemoveClientCertificate(c)
        | Step::GetCustomHeaders(c)
        | Step::GetSecurityFlags(c)
        | Step::SetHelperToken(c)
        | Step::GetHelperTokenFlags(c)
        | Step::ClearHelperToken(c)
        | Step::GetHelperTokenSid(c)
        | Step::GetRemoteName(c)
        | Step::GetLocalName(c)
        | Step::GetFileProgress(c)
        | Step::Reset(c)
        | Step::GetCount(c) => {
            uses.push((&c.thread, Thread));
            uses.push((&c.job, Pointer));
            if let Some(b) = &c.bind {
                binds.push((b, Pointer));
            }
        }
        Step::LogonUser(c) => {
            uses.push((&c.thread, Thread));
            if let Some(b) = &c.bind {
                binds.push((b, Token));
            }
        }
        Step::S4uLogon(c) => {
            uses.push((&c.thread, Thread));
            if let Some(b) = &c.bind {
                binds.push((b, Token));
            }
        }
        Step::ImpersonateNamedPipeClient(c) => {
            uses.push((&c.thread, Thread));
            uses.push((&c.client, Thread));
        }
        Step::ImpersonateLoggedOnUser(c)
        | Step::WindowsIdentityImpersonate(c)
        | Step::ImpersonateSelf(c)
        | Step::SetThreadToken(c)
        | Step::RevertToSelf(c)
        | Step::OpenThreadToken(c)
        | Step::DuplicateToken(c)
        | Step::DuplicateTokenExPrimary(c)
        | Step::DuplicateTokenEx(c)
        | Step::SuppressFlow(c)
        | Step::RestoreFlow(c) => {
            uses.push((&c.thread, Thread));
            if let Some(t) = &c.token {
                uses.push((t, Token));
            }
            if let Some(b) = &c.bind {
                binds.push((b, Token));
            }
        }
        Step::CreateRestrictedToken(c) => {
            uses.push((&c.thread, Thread));
            uses.push((&c.token, Token));
            if let Some(b) = &c.bind {
                binds.push((b, Token));
            }
        }
        Step::AdjustTokenPrivileges(c) => {
            uses.push((&c.thread, Thread));
            if let Some(t) = &c.token {
                uses.push((t, Token));
            }
        }
        Step::ComCall(c) => {
            uses.push((&c.thread, Thread));
            uses.push((&c.client, Thread));
        }
        Step::CreateProcess(c) | Step::CreateProcessAsUser(c) => {
            uses.push((&c.thread, Thread));
            if let Some(t) = &c.token {
                uses.push((t, Token));
            }
            if let Some(b) = &c.bind {
                binds.push((b, Thread));
            }
        }
        Step::CreateThread(c) => {
            uses.push((&c.thread, Thread));
            binds.push((&c.bind, Thread));
        }
        Step::CreateFile(c)
        | Step::OpenFile(c)
        | Step::SetFileSecurity(c)
        | Step::DeleteFile(c) => uses.push((&c.thread, Thread)),
        Step::AccessServer(c) => {
            uses.push((&c.thread, Thread));
            if let Some(b) = &c.bind {
                binds.push((b, Token));
            }
        }
        Step::AccessCheck(c) => {
            uses.push((&c.thread, Thread));
            uses.push((&c.token, Token));
        }
        Step::CreatePrivateObjectSecurity(c) => {
            uses.push((&c.thread, Thread));
            if let Some(t) = &c.token {
                uses.push((t, Token));
            }
        }
        Step::StartSite(s) => binds.push((&s.bind, Thread)),
        Step::WebRequest(w) => uses.push((&w.worker, Thread)),
        Step::ImpersonateIntPtrZero(c) | Step::Undo(c) => uses.push((&c.worker, Thread)),
        Step::Expect(e) => uses.push((&e.job, Pointer)),
        Step::ExpectThread(e) => uses.push((&e.thread, Thread)),
        Step::ExpectToken(e) => uses.push((&e.token, Token)),
        Step::ExpectAccess(e) => uses.push((&e.job, Pointer)),
        Step::ExpectServer(e) => uses.extend(e.job.iter().map(|j| (j.as_str(), Pointer))),
        Step::ExpectFile(_) => {}
    }
    (uses, binds)
}

/// The `expect` of a step, if it has one.
pub fn expected_of(step: &Step) -> Option<&Expected> {
    match step {
        Step::Logon(s) => s.expect.as_ref(),
        Step::StartService(s) => s.expect.as_ref(),
        Step::RunAsAdmin(c)
        | Step::ImpersonateLoggedOnUser(c)
        | Step::WindowsIdentityImpersonate(c)
        | Step::ImpersonateSelf(c)
        | Step::SetThreadToken(c)
        | Step::RevertToSelf(c)
        | Step::OpenThreadToken(c)
        | Step::DuplicateToken(c)
        | Step::DuplicateTokenExPrimary(c)
        | Step::DuplicateTokenEx(c)
        | Step::SuppressFlow(c)
        | Step::RestoreFlow(c) => c.expect.as_ref(),
        Step::CreateJob(c) => c.expect.as_ref(),
        Step::CoCreateInstance(c) => c.expect.as_ref(),
        Step::SetProperty(c) => c.expect.as_ref(),
        Step::GetProperty(c) => c.expect.as_ref(),
        Step::GetJob(c) => c.expect.as_ref(),
        Step::EnumJobs(c) => c.expect.as_ref(),
        Step::QueryInterface(c) => c.expect.as_ref(),
        Step::AddFile(c) => c.expect.as_ref(),
        Step::AddFileSet(c) => c.expect.as_ref(),
        Step::SetProxySettings(c) => c.expect.as_ref(),
        Step::SetNotifyCmdLine(c) => c.expect.as_ref(),
        Step::SetCredentials(c) | Step::RemoveCredentials(c) => c.expect.as_ref(),
        Step::Next(c) => c.expect.as_ref(),
        Step::SetDisplayName(c)
        | Step::SetDescription(c)
        | Step::SetPriority(c)
        | Step::SetNotifyFlags(c)
        | Step::SetNotifyInterface(c)
        | Step::SetMinimumRetryDelay(c)
        | Step::SetNoProgressTimeout(c)
        | Step::SetClientCertificate(c)
        | Step::SetCustomHeaders(c)
        | Step::SetSecurityFlags(c)
        | Step::SetHelperTokenFlags(c)
        | Step::Skip(c) => c.expect.as_ref(),
        Step::Release(c)
        | Step::Resume(c)
        | Step::Suspend(c)
        | Step::Cancel(c)
        | Step::Complete(c)
        | Step::GetState(c)
        | Step::GetProgress(c)
        | Step::GetError(c)
        | Step::GetErrorCount(c)
        | Step::GetOwner(c)
        | Step::GetId(c)
        | Step::GetType(c)
        | Step::GetTimes(c)
        | Step::GetDisplayName(c)
        | Step::GetDescription(c)
        | Step::GetPriority(c)
        | Step::GetNotifyFlags(c)
        | Step::GetNotifyInterface(c)
        | Step::GetMinimumRetryDelay(c)
        | Step::GetNoProgressTimeout(c)
        | Step::TakeOwnership(c)
        | Step::EnumFiles(c)
        | Step::GetOwnerElevationState(c)
        | Step::GetOwnerIntegrityLevel(c)
        | Step::RemoveClientCertificate(c)
        | Step::GetCustomHeaders(c)
        | Step::GetSecurityFlags(c)
        | Step::SetHelperToken(c)
        | Step::GetHelperTokenFlags(c)
        | Step::ClearHelperToken(c)
        | Step::GetHelperTokenSid(c)
        | Step::GetRemoteName(c)
        | Step::GetLocalName(c)
        | Step::GetFileProgress(c)
        | Step::Reset(c)
        | Step::GetCount(c) => c.expect.as_ref(),
        Step::LogonUser(c) => c.expect.as_ref(),
        Step::S4uLogon(c) => c.expect.as_ref(),
        Step::CreateRestrictedToken(c) => c.expect.as_ref(),
        Step::AdjustTokenPrivileges(c) => c.expect.as_ref(),
        Step::ComCall(c) => c.expect.as_ref(),
        Step::ImpersonateNamedPipeClient(c) => c.expect.as_ref(),
        Step::CreateProcess(c) | Step::CreateProcessAsUser(c) => c.expect.as_ref(),
        Step::CreateThread(c) => c.expect.as_ref(),
        Step::CreateFile(c)
        | Step::OpenFile(c)
        | Step::SetFileSecurity(c)
        | Step::DeleteFile(c) => c.expect.as_ref(),
        Step::AccessServer(c) => c.expect.as_ref(),
        Step::AccessCheck(c) => c.expect.as_ref(),
        Step::CreatePrivateObjectSecurity(c) => c.expect.as_ref(),
        Step::StartSite(s) => s.expect.as_ref(),
        Step::ImpersonateIntPtrZero(c) | Step::Undo(c) => c.expect.as_ref(),
        Step::WebRequest(_) => None,
        Step::Logoff(_)
        | Step::CoInitializeSecurity(_)
        | Step::EndSession(_)
        | Step::Network(_)
        | Step::BandwidthBlocked(_)
        | Step::Publish(_)
        | Step::Advance(_)
        | Step::SetAcl(_)
        | Step::Expect(_)
        | Step::ExpectThread(_)
        | Step::ExpectToken(_)
        | Step::ExpectAccess(_)
        | Step::ExpectServer(_)
        | Step::ExpectFile(_) => None,
    }
}

/// A per-profile `expect` (and an expectation's `only`) may only name
/// profiles the scenario runs under.
fn check_expected_profiles(s: &Scenario, indices: &[usize]) -> Vec<Finding> {
    let running = profile_names(s);
    let mut out = Vec::new();
    for (step, &i) in s.steps.iter().zip(indices) {
        let only = match step {
            Step::Expect(e) => e.only.as_slice(),
            Step::ExpectThread(e) => e.only.as_slice(),
            Step::ExpectToken(e) => e.only.as_slice(),
            Step::ExpectAccess(e) => e.only.as_slice(),
            Step::ExpectServer(e) => e.only.as_slice(),
            Step::ExpectFile(e) => e.only.as_slice(),
            _ => &[],
        };
        let named = only
            .iter()
            .map(|p| p.text.clone())
            .chain(match expected_of(step) {
                Some(Expected::PerProfile(map)) => map.keys().cloned().collect(),
                _ => Vec::new(),
            });
        for p in named {
            if !running.iter().any(|r| r.name() == p) {
                out.push(
                    Finding::new(
                        Site::Step(i),
                        &p,
                        format!(
                            "`{p}` is not a profile this scenario runs under ({})",
                            running
                                .iter()
                                .map(|r| r.name())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                    .near(running.iter().map(|r| r.name())),
                );
            }
        }
    }
    out
}

/// The profiles a scenario runs under, in the order given, without
/// repeats (`win11` when none is named).
pub fn profile_names(s: &Scenario) -> Vec<names::Profile> {
    let mut out: Vec<names::Profile> = Vec::new();
    for p in s.profile.iter().chain(s.profiles.iter()) {
        if !out.contains(&p.value) {
            out.push(p.value);
        }
    }
    if out.is_empty() {
        out.push(names::Profile::Win11);
    }
    out
}
