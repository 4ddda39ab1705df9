//! The spec matrix (`docs/spec-matrix.md`): one markdown table that ties
//! each behavioural sentence of the seed documents to the rule ids that
//! model it, the scenarios that check it, and a status saying whether the
//! model follows the sentence.
//!
//! This module owns the matrix's format and nothing else: [`parse`] turns
//! the markdown text into [`Row`]s or a [`SpecError`] naming the line that
//! is malformed. It is pure (text in, values out); whether the rule ids
//! exist and the scenarios hold is checked by the conformance test
//! `tests/spec_matrix.rs`, which can see every crate's tables.
//!
//! The table is recognised by its header,
//! `| id | seed | where | statement | rules | scenarios | status |`,
//! followed by a separator line; it ends at the first line that does not
//! start with `|`. A `|` inside a cell is written `\|`. Text outside the
//! table is ignored, and a second table with the same header is an error.

use std::fmt;

/// The column names of the matrix, in order.
pub const COLUMNS: [&str; 7] = [
    "id",
    "seed",
    "where",
    "statement",
    "rules",
    "scenarios",
    "status",
];

/// The seed documents a row may cite.
pub const SEEDS: [&str; 4] = ["000", "001", "002", "003"];

/// The most words a quotation in the `where` column may hold: quotes only
/// locate a sentence, they never copy it.
pub const MAX_QUOTED_WORDS: usize = 6;

/// What the cell of an empty list holds (`—`, or `-`).
const NONE_MARKS: [&str; 2] = ["—", "-"];

/// One row of the matrix: a behaviour stated by a seed document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The 1-based line of the row in the matrix text.
    pub line: usize,
    /// The row's id, `S` + seed number + `-` + a number (`S000-01`).
    pub id: String,
    /// The seed documents that state the behaviour (`000`, `001+002`, ...).
    pub seed: Vec<String>,
    /// Where in the seed: section or paragraph, with at most a few quoted
    /// words to find it.
    pub locator: String,
    /// The behaviour, in the matrix's own words.
    pub statement: String,
    /// Rule, switch or invariant ids that model the behaviour.
    pub rules: Vec<String>,
    /// Scenario files (relative to `scenarios/`, without `.yaml`) that
    /// check the behaviour.
    pub scenarios: Vec<String>,
    /// Whether the model follows the sentence.
    pub status: Status,
}

/// Whether the model follows a seed sentence, and why not when it does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// `ok`: the model does what the sentence says.
    Ok,
    /// `seed wrong: <reason>`: the sentence is wrong; the reason says what
    /// the model does instead and on what authority.
    SeedWrong(String),
    /// `editions disagree: <reason>`: editions of the seed say different
    /// things; the reason says which, what the model does and why.
    EditionsDisagree(String),
    /// `not modelled: <reason>`: the model does not represent the
    /// behaviour; the reason says why.
    NotModelled(String),
}

impl Status {
    /// The reason a status other than [`Status::Ok`] carries (`None` for
    /// `Ok`).
    pub fn reason(&self) -> Option<&str> {
        match self {
            Status::Ok => None,
            Status::SeedWrong(r) | Status::EditionsDisagree(r) | Status::NotModelled(r) => Some(r),
        }
    }

    /// The status's keyword as the matrix writes it (`ok`, `seed wrong`,
    /// `editions disagree`, `not modelled`).
    pub fn keyword(&self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::SeedWrong(_) => "seed wrong",
            Status::EditionsDisagree(_) => "editions disagree",
            Status::NotModelled(_) => "not modelled",
        }
    }
}

/// A malformed matrix: the 1-based line where it went wrong and what is
/// wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The 1-based line of the problem.
    pub line: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for SpecError {}

fn err(line: usize, message: impl Into<String>) -> SpecError {
    SpecError {
        line,
        message: message.into(),
    }
}

/// Parses the matrix out of a markdown document.
///
/// Returns the rows in document order, or the first problem found with
/// its line: no table with the matrix header, a missing separator, a row
/// with the wrong number of cells, or a cell that breaks its column's
/// format (see the module documentation and `docs/spec-matrix.md`).
pub fn parse(text: &str) -> Result<Vec<Row>, SpecError> {
    let lines: Vec<&str> = text.lines().collect();
    let header = |l: &str| split_cells(l).is_some_and(|cells| cells == COLUMNS);
    let Some(start) = lines.iter().position(|l| header(l)) else {
        return Err(err(
            1,
            format!(
                "no matrix table: expected a header line `| {} |`",
                COLUMNS.join(" | ")
            ),
        ));
    };
    let separator_line = start + 1;
    match lines.get(separator_line) {
        Some(l) if is_separator(l) => {}
        _ => {
            return Err(err(
                separator_line + 1,
                "expected the separator line `|---|---|---|---|---|---|---|` under the header",
            ))
        }
    }
    let mut rows = Vec::new();
    let mut index = separator_line + 1;
    while let Some(l) = lines.get(index) {
        if !l.trim_start().starts_with('|') {
            break;
        }
        rows.push(parse_row(l, index + 1)?);
        index += 1;
    }
    if let Some(again) = lines.iter().skip(index).position(|l| header(l)) {
        return Err(err(
            index + again + 1,
            "a second matrix table: the matrix is one table",
        ));
    }
    Ok(rows)
}

/// Splits a table line into trimmed cells, honouring `\|`. `None` when the
/// line is not a table line (it must start and end with `|`).
fn split_cells(line: &str) -> Option<Vec<String>> {
    let t = line.trim();
    let inner = t.strip_prefix('|')?;
    if !inner.ends_with('|') || inner.ends_with("\\|") {
        return None;
    }
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cell).trim().to_string()),
            _ => cell.push(c),
        }
    }
    // The closing `|` pushed the last cell; nothing may follow it.
    if !cell.trim().is_empty() {
        return None;
    }
    Some(cells)
}

fn is_separator(line: &str) -> bool {
    split_cells(line).is_some_and(|cells| {
        cells.len() == COLUMNS.len()
            && cells.iter().all(|c| {
                let d = c.trim_start_matches(':').trim_end_matches(':');
                !d.is_empty() && d.chars().all(|ch| ch == '-')
            })
    })
}

fn parse_row(line: &str, number: usize) -> Result<Row, SpecError> {
    let cells = split_cells(line).ok_or_else(|| {
        err(
            number,
            "a table row must start and end with `|` (write `\\|` for a bar inside a cell)",
        )
    })?;
    let [id, seed, locator, statement, rules, scenarios, status] = <[String; 7]>::try_from(cells)
        .map_err(|cells| {
        err(
            number,
            format!(
                "expected {} cells ({}), found {}",
                COLUMNS.len(),
                COLUMNS.join(", "),
                cells.len()
            ),
        )
    })?;
    let seed = parse_seed(&seed, number)?;
    check_id(&id, &seed, number)?;
    check_locator(&locator, number)?;
    if statement.is_empty() {
        return Err(err(number, "the statement is empty"));
    }
    Ok(Row {
        line: number,
        id,
        seed,
        locator,
        statement,
        rules: parse_rules(&rules, number)?,
        scenarios: parse_scenarios(&scenarios, number)?,
        status: parse_status(&status, number)?,
    })
}

fn parse_seed(cell: &str, line: usize) -> Result<Vec<String>, SpecError> {
    let seeds: Vec<String> = cell.split('+').map(|s| s.trim().to_string()).collect();
    for s in &seeds {
        if !SEEDS.contains(&s.as_str()) {
            return Err(err(
                line,
                format!(
                    "unknown seed `{s}`: expected {} (joined with `+`, as `001+002`)",
                    SEEDS.join(", ")
                ),
            ));
        }
    }
    Ok(seeds)
}

/// `S` + three digits naming one of the row's seeds + `-` + two or more
/// digits.
fn check_id(id: &str, seeds: &[String], line: usize) -> Result<(), SpecError> {
    let shape = id
        .strip_prefix('S')
        .and_then(|rest| rest.split_once('-'))
        .filter(|(seed, n)| {
            seed.len() == 3
                && seed.chars().all(|c| c.is_ascii_digit())
                && n.len() >= 2
                && n.chars().all(|c| c.is_ascii_digit())
        });
    let Some((seed, _)) = shape else {
        return Err(err(
            line,
            format!("bad id `{id}`: expected S, a seed number, a dash and a number (`S000-01`)"),
        ));
    };
    if !seeds.iter().any(|s| s == seed) {
        return Err(err(
            line,
            format!(
                "id `{id}` names seed {seed}, which the seed column ({}) does not list",
                seeds.join("+")
            ),
        ));
    }
    Ok(())
}

/// The locator must not be empty, and each quotation in it is short.
fn check_locator(cell: &str, line: usize) -> Result<(), SpecError> {
    if cell.is_empty() {
        return Err(err(line, "the `where` column is empty"));
    }
    let parts: Vec<&str> = cell.split('"').collect();
    if parts.len().is_multiple_of(2) {
        return Err(err(line, "unbalanced quotation mark in the `where` column"));
    }
    for quote in parts.iter().skip(1).step_by(2) {
        let words = quote.split_whitespace().count();
        if words > MAX_QUOTED_WORDS {
            return Err(err(
                line,
                format!(
                    "the quotation \"{quote}\" has {words} words: quote at most {MAX_QUOTED_WORDS} to locate the sentence, never the sentence"
                ),
            ));
        }
    }
    Ok(())
}

/// Splits a list cell on commas; `—` (or `-`) is the empty list.
fn list(cell: &str) -> Vec<&str> {
    if cell.is_empty() || NONE_MARKS.contains(&cell) {
        return Vec::new();
    }
    cell.split(',').map(str::trim).collect()
}

fn parse_rules(cell: &str, line: usize) -> Result<Vec<String>, SpecError> {
    list(cell)
        .into_iter()
        .map(|item| {
            let id = item
                .strip_prefix('`')
                .and_then(|s| s.strip_suffix('`'))
                .filter(|s| {
                    !s.is_empty()
                        && s.chars()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
                })
                .ok_or_else(|| {
                    err(
                        line,
                        format!(
                            "bad rule id `{item}`: expected an id in backticks, as `BITS-LOGOFF`, separated by commas"
                        ),
                    )
                })?;
            Ok(id.to_string())
        })
        .collect()
}

fn parse_scenarios(cell: &str, line: usize) -> Result<Vec<String>, SpecError> {
    list(cell)
        .into_iter()
        .map(|item| {
            let path = item
                .strip_prefix('`')
                .and_then(|s| s.strip_suffix('`'))
                .unwrap_or(item);
            let well_formed = !path.is_empty()
                && !path.starts_with('/')
                && !path.ends_with('/')
                && !path.split('/').any(|seg| seg.is_empty() || seg == "." || seg == "..")
                && path.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '/')
                });
            if !well_formed {
                return Err(err(
                    line,
                    format!(
                        "bad scenario `{item}`: expected a path under scenarios/ without `.yaml`, as `helper-tokens/owner-logoff-drops-helper`"
                    ),
                ));
            }
            Ok(path.to_string())
        })
        .collect()
}

/// Builds a [`Status`] from its reason.
type MakeStatus = fn(String) -> Status;

fn parse_status(cell: &str, line: usize) -> Result<Status, SpecError> {
    if cell == "ok" {
        return Ok(Status::Ok);
    }
    let kinds: [(&str, MakeStatus); 3] = [
        ("seed wrong:", Status::SeedWrong),
        ("editions disagree:", Status::EditionsDisagree),
        ("not modelled:", Status::NotModelled),
    ];
    for (prefix, make) in kinds {
        if let Some(reason) = cell.strip_prefix(prefix) {
            let reason = reason.trim();
            if reason.is_empty() {
                return Err(err(
                    line,
                    format!("status `{prefix}` needs a reason after the colon"),
                ));
            }
            return Ok(make(reason.to_string()));
        }
    }
    Err(err(
        line,
        format!(
            "unknown status `{cell}`: expected `ok`, `seed wrong: <reason>`, `editions disagree: <reason>` or `not modelled: <reason>`"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "| id | seed | where | statement | rules | scenarios | status |\n|---|---|---|---|---|---|---|\n";

    fn doc(rows: &str) -> String {
        format!("# Matrix\n\nSome intro.\n\n{HEADER}{rows}\nAfter the table.\n")
    }

    #[test]
    fn a_good_table_parses_into_rows() {
        let text = doc(concat!(
            "| S000-01 | 000 | ¶4 \"logs off\" | Logoff drops the helper token. | `BITS-LOGOFF`, `INV-LOGOFF-DROPS-HELPER` | helper-tokens/owner-logoff-drops-helper | ok |\n",
            "| S001-02 | 001+002 | ¶6 \"QueryInterface\" | The check moved to the job's QueryInterface. | `BITS-QI-CHECK` | `helper-tokens/access-check-at-query-interface`, jobs/access-check-at-queryinterface | editions disagree: 000 names the manager; the model follows 001/002 (D-34) |\n",
            "| S003-03 | 003 | Token Types | A bar \\| inside a cell. | `LSA-S4U-LEVEL` | — | seed wrong: DuplicateTokenEx is needed |\n",
        ));
        let rows = parse(&text);
        let Ok(rows) = rows else {
            panic!("{rows:?}");
        };
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].line, 7);
        assert_eq!(rows[0].id, "S000-01");
        assert_eq!(rows[0].seed, vec!["000"]);
        assert_eq!(rows[0].locator, "¶4 \"logs off\"");
        assert_eq!(
            rows[0].rules,
            vec!["BITS-LOGOFF", "INV-LOGOFF-DROPS-HELPER"]
        );
        assert_eq!(
            rows[0].scenarios,
            vec!["helper-tokens/owner-logoff-drops-helper"]
        );
        assert_eq!(rows[0].status, Status::Ok);
        assert_eq!(rows[1].seed, vec!["001", "002"]);
        assert_eq!(
            rows[1].scenarios,
            vec![
                "helper-tokens/access-check-at-query-interface",
                "jobs/access-check-at-queryinterface"
            ]
        );
        assert_eq!(
            rows[1].status.reason(),
            Some("000 names the manager; the model follows 001/002 (D-34)")
        );
        assert_eq!(rows[1].status.keyword(), "editions disagree");
        assert_eq!(rows[2].statement, "A bar | inside a cell.");
        assert!(rows[2].scenarios.is_empty());
        assert_eq!(
            rows[2].status,
            Status::SeedWrong("DuplicateTokenEx is needed".to_string())
        );
    }

    #[test]
    fn an_empty_table_has_no_rows() {
        assert_eq!(parse(&doc("")), Ok(Vec::new()));
    }

    fn line_of(text: &str) -> usize {
        match parse(text) {
            Ok(rows) => panic!("parsed {} rows", rows.len()),
            Err(e) => e.line,
        }
    }

    #[test]
    fn a_row_with_too_few_cells_gives_its_line() {
        let text = doc(concat!(
            "| S000-01 | 000 | ¶1 | One. | `BITS-CREATE` | tutorial/03-first-job | ok |\n",
            "| S000-02 | 000 | ¶2 | Two. | `BITS-CREATE` | ok |\n",
        ));
        assert_eq!(line_of(&text), 8);
        let Err(e) = parse(&text) else {
            panic!("parsed")
        };
        assert!(e.message.contains("expected 7 cells"), "{e}");
        assert!(e.to_string().starts_with("line 8: "), "{e}");
    }

    #[test]
    fn malformed_cells_give_their_line() {
        let row = |cells: &str| {
            doc(&format!("| S000-01 | 000 | ¶1 | One. | `BITS-CREATE` | tutorial/03-first-job | ok |\n{cells}\n"))
        };
        let bad = [
            "| S0-1 | 000 | ¶1 | x | `A` | a/b | ok |",
            "| S001-01 | 000 | ¶1 | x | `A` | a/b | ok |",
            "| S000-02 | 004 | ¶1 | x | `A` | a/b | ok |",
            "| S000-02 | 000 |  | x | `A` | a/b | ok |",
            "| S000-02 | 000 | ¶1 \"one two three four five six seven\" | x | `A` | a/b | ok |",
            "| S000-02 | 000 | ¶1 \"open | x | `A` | a/b | ok |",
            "| S000-02 | 000 | ¶1 |  | `A` | a/b | ok |",
            "| S000-02 | 000 | ¶1 | x | BITS-LOGOFF | a/b | ok |",
            "| S000-02 | 000 | ¶1 | x | `bits-logoff` | a/b | ok |",
            "| S000-02 | 000 | ¶1 | x | `A` | a/b.yaml | ok |",
            "| S000-02 | 000 | ¶1 | x | `A` | ../etc | ok |",
            "| S000-02 | 000 | ¶1 | x | `A` | a/b | fine |",
            "| S000-02 | 000 | ¶1 | x | `A` | a/b | seed wrong: |",
            "| S000-02 | 000 | ¶1 | x | `A` | a/b | ok | extra",
        ];
        for b in bad {
            assert_eq!(line_of(&row(b)), 8, "{b}");
        }
    }

    #[test]
    fn a_missing_header_or_separator_is_located() {
        assert_eq!(line_of("# Nothing here\n\n| a | b |\n|---|---|\n"), 1);
        let text = "intro\n| id | seed | where | statement | rules | scenarios | status |\n| S000-01 | 000 | ¶1 | x | `A` | a/b | ok |\n";
        assert_eq!(line_of(text), 3);
    }

    #[test]
    fn a_second_matrix_table_is_refused() {
        // doc("") ends on line 8 ("After the table."); a blank line follows.
        let text = format!("{}\n{HEADER}", doc(""));
        assert_eq!(line_of(&text), 10);
    }

    #[test]
    fn the_table_ends_at_the_first_line_that_is_not_a_row() {
        let text = doc("| S000-01 | 000 | ¶1 | x | `A` | a/b | ok |\n\n| not | a row |\n");
        let rows = parse(&text);
        assert_eq!(rows.map(|r| r.len()), Ok(1));
    }
}
