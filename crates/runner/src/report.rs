//! Showing runs: the text trace (with `--explain`, the decision behind
//! each step), JSON, a Mermaid sequence diagram, JUnit XML, and the
//! one-line event descriptions the trace is made of.
//!
//! Everything here turns data into strings; nothing is printed and no
//! rule is decided. Rule statements and sources come from the rule tables
//! of `winsec`, `simos` and `bits`.

use std::fmt::Write as _;

use serde::Serialize;
use simos::Host;
use winsec::Sid;

use crate::properties::{PropertyOutcome, Verdict};
use crate::run::{Check, ResultText, Run, StepRecord};
use crate::trace;

/// A step's events and decisions as lines, each name shown as the
/// scenario knew it at that point of the run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lines {
    /// One line per event.
    pub events: Vec<String>,
    /// The decision lines (`--explain`).
    pub details: Vec<String>,
}

/// Every step's lines, in order.
pub fn lines(run: &Run) -> Vec<Lines> {
    let mut cursor = run.names.cursor();
    run.steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let events = s
                .events
                .iter()
                .enumerate()
                .map(|(j, e)| {
                    cursor.seek(i, j);
                    trace::event_line(&cursor, e)
                })
                .collect();
            cursor.seek(i, usize::MAX);
            Lines {
                events,
                details: s.details.iter().flat_map(trace::detail_lines).collect(),
            }
        })
        .collect()
}

/// `DOMAIN\name` for a SID: a domain or local account, or a well-known name;
/// the SID string when nothing knows it.
pub fn account_name(host: &Host, machine: &str, sid: &Sid) -> String {
    if let Some(d) = &*host.domain {
        if let Some(a) = d.accounts.values().find(|a| a.sid == *sid) {
            return format!("{}\\{}", d.name, a.name);
        }
    }
    for m in host.machines.values() {
        if let Some(a) = m.accounts.values().find(|a| a.sid == *sid) {
            return format!("{}\\{}", m.name, a.name);
        }
    }
    winsec::well_known::name_of(sid, &host.domain_context(machine))
        .unwrap_or_else(|| sid.to_string())
}

/// A JSON value in compact YAML flow style: `{thread: alice, job: j}`.
pub fn compact(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "null".to_string(),
        serde_json::Value::String(s) => {
            if s.is_empty()
                || s.contains([':', ',', '{', '}', '[', ']', '#', '"'])
                || s.starts_with(' ')
            {
                format!("'{}'", s.replace('\'', "''"))
            } else {
                s.clone()
            }
        }
        serde_json::Value::Array(a) => {
            format!("[{}]", a.iter().map(compact).collect::<Vec<_>>().join(", "))
        }
        serde_json::Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .filter(|(_, v)| !v.is_null() && *v != &serde_json::Value::Array(Vec::new()))
                .map(|(k, v)| format!("{k}: {}", compact(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// Every rule id a decision can cite, with the table it belongs to
/// (`winsec`, `simos`, `bits`, `webhost`), in table order.
pub fn all_rule_ids() -> Vec<(&'static str, &'static str)> {
    winsec::rules::ACCESS_RULES
        .iter()
        .map(|r| (r.id, "winsec"))
        .chain(simos::rules::all().map(|r| (r.id, "simos")))
        .chain(bits::rules::RULES.iter().map(|r| (r.id, "bits")))
        .chain(webhost::rules::RULES.iter().map(|r| (r.id, "webhost")))
        .collect()
}

/// A rule's statement and source, from whichever table has it.
pub fn rule_text(id: &str) -> Option<(&'static str, &'static str)> {
    if let Some(r) = winsec::rules::rule(id) {
        return Some((r.statement, r.source));
    }
    if let Some(r) = simos::rules::rule(id) {
        return Some((r.statement, r.source));
    }
    if let Some(r) = bits::rules::RULES.iter().find(|r| r.id == id) {
        return Some((r.statement, r.source));
    }
    if let Some(r) = webhost::rules::RULES.iter().find(|r| r.id == id) {
        return Some((r.statement, r.source));
    }
    bits::profile::SWITCHES
        .iter()
        .find(|s| s.id == id)
        .map(|s| (s.statement(), s.source()))
}

fn result_text(s: &StepRecord) -> String {
    s.result.as_ref().map_or_else(String::new, |r| {
        if r.hex.is_empty() {
            format!(" -> {}", r.name)
        } else {
            format!(" -> {} ({})", r.name, r.hex)
        }
    })
}

/// The trace of a run as text; with `explain`, each step's rules with
/// their statements and sources, and access-check trails.
pub fn text(run: &Run, explain: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "scenario {} [{}] ({})",
        run.scenario, run.profile, run.file
    );
    for (what, rule) in &run.setup {
        let _ = writeln!(out, "  host: {what} [{rule}]");
    }
    for (s, lines) in run.steps.iter().zip(lines(run)) {
        let actor = s
            .actor
            .as_ref()
            .map_or_else(String::new, |a| format!("{a}: "));
        let _ = writeln!(
            out,
            "{:>3}. line {:<4} {actor}{} {}{}",
            s.number,
            s.line,
            s.kind,
            s.args,
            result_text(s)
        );
        for e in &lines.events {
            let _ = writeln!(out, "       | {e}");
        }
        for c in &s.checks {
            let mark = if c.ok { "ok" } else { "FAILED" };
            let _ = writeln!(
                out,
                "       {mark}: {} expected {}, got {}",
                c.what, c.expected, c.actual
            );
        }
        for v in &s.violations {
            let _ = writeln!(
                out,
                "       INVARIANT {} broken: {}",
                v.invariant, v.message
            );
        }
        for (id, message) in &s.property_failures {
            let _ = writeln!(out, "       PROPERTY {id} broken: {message}");
        }
        if let Some(e) = &s.error {
            let _ = writeln!(out, "       ERROR: {e}");
        }
        if explain {
            for r in &s.rules {
                match rule_text(r) {
                    Some((statement, source)) => {
                        let _ = writeln!(out, "       why {r}: {statement} (sources: {source})");
                    }
                    None => {
                        let _ = writeln!(out, "       why {r}");
                    }
                }
            }
            for d in &lines.details {
                let _ = writeln!(out, "       {d}");
            }
        }
    }
    for p in &run.properties {
        let _ = writeln!(
            out,
            "  property {} ({}): {}",
            p.id,
            trace::snake(&p.temporal),
            verdict_text(&p.verdict)
        );
    }
    let _ = writeln!(
        out,
        "{}",
        if run.passed() {
            "held".to_string()
        } else {
            match run.failure() {
                Some(s) => format!("FAILED at step {}", s.number),
                None => format!(
                    "FAILED: {}",
                    run.properties
                        .iter()
                        .filter(|p| !p.passed())
                        .map(|p| format!("property {} {}", p.id, verdict_text(&p.verdict)))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            }
        }
    );
    out
}

/// A property's verdict in words.
pub fn verdict_text(v: &Verdict) -> String {
    match v {
        Verdict::Held => "held".to_string(),
        Verdict::Met { step } => format!("met at step {step}"),
        Verdict::Violated { step, message } => format!("violated at step {step}: {message}"),
        Verdict::Unmet => "never met".to_string(),
    }
}

/// Why a run failed, in one line: the first failing step, or a property
/// that never held; `None` when it held.
pub fn failure_summary(run: &Run) -> Option<String> {
    if let Some(step) = run.failure() {
        return Some(failure_line(step));
    }
    run.properties
        .iter()
        .find(|p| !p.passed())
        .map(|p| format!("property {} {}", p.id, verdict_text(&p.verdict)))
}

/// A run as the JSON report shows it.
#[derive(Serialize)]
struct JsonRun<'a> {
    scenario: &'a str,
    file: &'a str,
    profile: &'a str,
    steps: Vec<JsonStep<'a>>,
    participants: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    properties: &'a [PropertyOutcome],
}

/// A step as the JSON report shows it: events and decisions as lines.
#[derive(Serialize)]
struct JsonStep<'a> {
    number: usize,
    line: usize,
    actor: &'a Option<String>,
    kind: &'a str,
    args: &'a str,
    result: &'a Option<ResultText>,
    events: Vec<String>,
    rules: &'a [&'static str],
    details: Vec<String>,
    trail_rules: &'a [&'static str],
    checks: &'a [Check],
    violations: &'a [oracle::Violation],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    property_failures: &'a [(String, String)],
    error: &'a Option<String>,
}

/// The runs as JSON.
pub fn json(runs: &[Run]) -> String {
    let view: Vec<JsonRun<'_>> = runs
        .iter()
        .map(|r| JsonRun {
            scenario: &r.scenario,
            file: &r.file,
            profile: r.profile,
            steps: r
                .steps
                .iter()
                .zip(lines(r))
                .map(|(s, l)| JsonStep {
                    number: s.number,
                    line: s.line,
                    actor: &s.actor,
                    kind: &s.kind,
                    args: &s.args,
                    result: &s.result,
                    events: l.events,
                    rules: &s.rules,
                    details: l.details,
                    trail_rules: &s.trail_rules,
                    checks: &s.checks,
                    violations: &s.violations,
                    property_failures: &s.property_failures,
                    error: &s.error,
                })
                .collect(),
            participants: &r.participants,
            properties: &r.properties,
        })
        .collect();
    serde_json::to_string_pretty(&view).unwrap_or_default() + "\n"
}

fn mermaid_id(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn mermaid_text(text: &str) -> String {
    text.replace(';', ",")
        .replace('#', "")
        .replace(['\n', '\r'], " ")
}

/// A Mermaid sequence diagram of a run: the scenario's threads, the host
/// and BITS, and the servers reached. Host API calls go to `Host`, BITS
/// calls to `BITS`; notes show the job state changes, helper tokens
/// captured and discarded, logoffs, what servers saw, errors and failed
/// checks, drawn from the trace's events (the same items as the HTML
/// report's diagram).
pub fn mermaid(run: &Run) -> String {
    use crate::html::Item;
    let (cols, items) = crate::html::layout(run);
    let id = |c: usize| {
        cols.names
            .get(c)
            .map_or_else(String::new, |n| mermaid_id(n))
    };
    let mut out = String::from("sequenceDiagram\n");
    for n in &cols.names {
        let m = mermaid_id(n);
        if m == *n {
            let _ = writeln!(out, "    participant {m}");
        } else {
            let _ = writeln!(out, "    participant {m} as {}", mermaid_text(n));
        }
    }
    let (first, last) = (id(0), id(cols.names.len().saturating_sub(1)));
    for item in &items {
        match item {
            Item::Step(n) => {
                let _ = writeln!(out, "    %% step {n}");
            }
            Item::Arrow {
                from,
                to,
                text,
                reply,
                ..
            } => {
                let _ = writeln!(
                    out,
                    "    {}{}{}: {}",
                    id(*from),
                    if *reply { "-->>" } else { "->>" },
                    id(*to),
                    mermaid_text(text)
                );
            }
            Item::Note { at, text, .. } => {
                let _ = writeln!(out, "    Note over {}: {}", id(*at), mermaid_text(text));
            }
            Item::Band { text, .. } => {
                let _ = writeln!(out, "    Note over {first},{last}: {}", mermaid_text(text));
            }
        }
    }
    out
}

/// One test case of a check report, as JUnit, the text summary and the
/// JSON summary count it: a run of a scenario under one profile, or a
/// scenario file that did not load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The scenario file, as given.
    pub file: String,
    /// The 1-based line the case points at: the scenario's `name:` for a
    /// run, the first problem for a file that did not load.
    pub line: usize,
    /// The case's name: `scenario [profile]`, or the file's name for a
    /// file that did not load.
    pub name: String,
    /// How long the case took, when it was measured (the caller's clock:
    /// nothing here reads one).
    pub time: Option<std::time::Duration>,
    /// How it ended.
    pub status: CaseStatus,
}

/// How a [`Case`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseStatus {
    /// Every step, expectation, invariant and property held.
    Passed,
    /// An expectation, invariant or property did not hold.
    Failed {
        /// Why, in one line.
        message: String,
        /// The whole trace, or more detail.
        details: String,
    },
    /// The file did not load: nothing of it ran.
    Error {
        /// The first problem, in one line (`file:line:column: message`).
        message: String,
        /// Every problem, one a line.
        details: String,
    },
}

impl Case {
    /// The case of a run whose scenario starts at `line` of its file.
    pub fn of_run(run: &Run, line: usize, time: Option<std::time::Duration>) -> Case {
        Case {
            file: run.file.clone(),
            line,
            name: format!("{} [{}]", run.scenario, run.profile),
            time,
            status: match failure_summary(run) {
                None => CaseStatus::Passed,
                Some(message) => CaseStatus::Failed {
                    message,
                    details: text(run, false),
                },
            },
        }
    }
}

/// JUnit XML for check cases grouped by file: one test suite per file, one
/// test case per scenario and profile (`failure` when it did not hold), or
/// one `error` case for a file that did not load. Each test case carries
/// `file` and `line` attributes, and `time` when it was measured.
pub fn junit(cases: &[Case]) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("bitsim check");
    let mut files: Vec<&str> = Vec::new();
    for c in cases {
        if !files.contains(&c.file.as_str()) {
            files.push(&c.file);
        }
    }
    for file in files {
        let mut suite = TestSuite::new(file);
        let mut suite_time = Some(std::time::Duration::ZERO);
        for c in cases.iter().filter(|c| c.file == file) {
            let status = match &c.status {
                CaseStatus::Passed => TestCaseStatus::success(),
                CaseStatus::Failed { message, details } => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(message.as_str());
                    s.set_description(details.as_str());
                    s
                }
                CaseStatus::Error { message, details } => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                    s.set_message(message.as_str());
                    s.set_type("load error");
                    s.set_description(details.as_str());
                    s
                }
            };
            let mut case = TestCase::new(c.name.as_str(), status);
            case.set_classname(file);
            case.extra.insert("file".into(), file.into());
            case.extra.insert("line".into(), c.line.to_string().into());
            if let Some(t) = c.time {
                case.set_time(t);
            }
            suite_time = suite_time.zip(c.time).map(|(a, b)| a + b);
            suite.add_test_case(case);
        }
        if let Some(t) = suite_time {
            suite.set_time(t);
        }
        report.add_test_suite(suite);
    }
    report.to_string().unwrap_or_default()
}

/// One line saying why a step failed.
pub fn failure_line(s: &StepRecord) -> String {
    if let Some(e) = &s.error {
        return format!("step {} (line {}): {e}", s.number, s.line);
    }
    if let Some(v) = s.violations.first() {
        return format!(
            "step {} (line {}): invariant {} broken: {}",
            s.number, s.line, v.invariant, v.message
        );
    }
    if let Some((id, message)) = s.property_failures.first() {
        return format!(
            "step {} (line {}): property {id} broken: {message}",
            s.number, s.line
        );
    }
    match s.checks.iter().find(|c| !c.ok) {
        Some(c) => format!(
            "step {} (line {}): {} {}: expected {}, got {}",
            s.number, s.line, s.kind, c.what, c.expected, c.actual
        ),
        None => format!("step {} (line {})", s.number, s.line),
    }
}
