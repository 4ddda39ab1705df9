//! Showing runs: the text trace (with `--explain`, the decision behind
//! each step), JSON, a Mermaid sequence diagram, JUnit XML, and the
//! one-line event descriptions the trace is made of.
//!
//! Everything here turns data into strings; nothing is printed and no
//! rule is decided. Rule statements and sources come from the rule tables
//! of `winsec`, `simos` and `bits`.

use std::fmt::Write as _;

use bits::{BitsEvent, JobId, Outcome, World};
use serde::Serialize;
use simos::{Host, ThreadId, TokenId};
use winsec::Sid;

use crate::run::{Run, StepRecord};

/// How the trace names threads, tokens, jobs and accounts.
pub trait Names {
    /// A thread's scenario name.
    fn thread_name(&self, t: ThreadId) -> String;
    /// A token's scenario name.
    fn token_name(&self, t: TokenId) -> String;
    /// A job's scenario name (the first pointer name bound to it).
    fn job_name(&self, j: JobId) -> String;
    /// An account's display name.
    fn account(&self, sid: &Sid) -> String;
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

/// A serde enum's snake-case name (`helper`, `local_file`).
pub fn snake<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
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

/// One line for a host event worth showing in a trace (ticks are not).
pub fn host_event(n: &dyn Names, e: &simos::Event) -> Option<String> {
    use simos::Event;
    Some(match e {
        Event::Logon {
            account,
            logon_type,
            token,
            ..
        } => format!(
            "logon of {account} ({}) gives {}",
            logon_type.name(),
            n.token_name(*token)
        ),
        Event::Logoff { account, .. } => format!("{account} logs off"),
        Event::TerminalSessionEnded { session } => {
            format!("terminal-services session {session} ends")
        }
        Event::Impersonation {
            thread,
            token,
            level,
        } => match (token, level) {
            (Some(t), Some(l)) => format!(
                "{} impersonates {} at {}",
                n.thread_name(*thread),
                n.token_name(*t),
                l.name()
            ),
            _ => format!("{} reverts to its process token", n.thread_name(*thread)),
        },
        Event::ImpersonationDowngraded {
            thread,
            requested,
            granted,
        } => format!(
            "{}: {} asked, {} granted",
            n.thread_name(*thread),
            requested.name(),
            granted.name()
        ),
        Event::TokenCreated {
            token,
            user,
            token_type,
        } => format!(
            "new token {} for {} ({})",
            n.token_name(*token),
            n.account(user),
            token_type_name(*token_type)
        ),
        Event::ProcessCreated { token, user, .. } => format!(
            "new process as {} with {}",
            n.account(user),
            n.token_name(*token)
        ),
        Event::ThreadCreated { thread, token } => match token {
            Some(t) => format!(
                "new thread {} impersonating {}",
                n.thread_name(*thread),
                n.token_name(*t)
            ),
            None => format!("new thread {} with no thread token", n.thread_name(*thread)),
        },
        Event::Access {
            thread,
            object,
            user,
            granted,
        } => format!(
            "{} opens {object} as {}: {}",
            n.thread_name(*thread),
            n.account(user),
            if *granted { "granted" } else { "denied" }
        ),
        Event::Tick { .. } => return None,
    })
}

fn token_type_name(t: winsec::TokenType) -> String {
    match t {
        winsec::TokenType::Primary => "primary".to_string(),
        winsec::TokenType::Impersonation(l) => format!("impersonation, {}", l.name()),
    }
}

/// One line for a BITS event.
pub fn bits_event(n: &dyn Names, e: &BitsEvent) -> String {
    match e {
        BitsEvent::JobCreated { job, owner } => {
            format!(
                "job {} created, owner {}",
                n.job_name(*job),
                n.account(owner)
            )
        }
        BitsEvent::StateChanged {
            job,
            from,
            to,
            code,
        } => {
            let short =
                |s: bits::JobState| s.name().trim_start_matches("BG_JOB_STATE_").to_string();
            match code {
                Some(c) => format!(
                    "job {}: {} -> {} ({})",
                    n.job_name(*job),
                    short(*from),
                    short(*to),
                    c.name()
                ),
                None => format!(
                    "job {}: {} -> {}",
                    n.job_name(*job),
                    short(*from),
                    short(*to)
                ),
            }
        }
        BitsEvent::PointerIssued {
            interface,
            caller,
            grant,
            ..
        } => format!(
            "{} handed to {} (read: {}, modify: {}, owner's SID: {}, administrator: {}{})",
            interface.name(),
            n.account(caller),
            yes(grant.read),
            yes(grant.modify),
            yes(grant.owner_match),
            yes(grant.admin),
            grant
                .denied_by
                .map_or_else(String::new, |r| format!("; refused by {r}"))
        ),
        BitsEvent::HelperTokenSet { job, sid, .. } => format!(
            "job {} now holds a helper token for {}",
            n.job_name(*job),
            n.account(sid)
        ),
        BitsEvent::HelperTokenDiscarded { job, reason } => format!(
            "job {} discards its helper token ({reason})",
            n.job_name(*job)
        ),
        BitsEvent::HelperFlagsSet { job, flags } => {
            format!(
                "job {} helper-token flags = {}",
                n.job_name(*job),
                flag_names(*flags)
            )
        }
        BitsEvent::OwnerChanged { job, owner } => {
            format!("job {} now owned by {}", n.job_name(*job), n.account(owner))
        }
        BitsEvent::ResourceAccess {
            job,
            resource,
            name,
            acting,
            user,
            granted,
        } => format!(
            "BITS reaches {} {name} for job {} as {}{}: {}",
            snake(resource).replace('_', " "),
            n.job_name(*job),
            snake(acting),
            user.as_ref()
                .map_or_else(String::new, |u| format!(" ({})", n.account(u))),
            if *granted { "granted" } else { "denied" }
        ),
        BitsEvent::FileProgress { job, file, bytes } => {
            format!("job {} file {file}: {bytes} bytes", n.job_name(*job))
        }
    }
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn flag_names(flags: u32) -> String {
    let mut parts = Vec::new();
    if flags & 1 != 0 {
        parts.push("BG_TOKEN_LOCAL_FILE".to_string());
    }
    if flags & 2 != 0 {
        parts.push("BG_TOKEN_NETWORK".to_string());
    }
    if flags & !3 != 0 {
        parts.push(format!("0x{:x}", flags & !3));
    }
    if parts.is_empty() {
        "0".to_string()
    } else {
        parts.join("|")
    }
}

/// The access-check rule ids (`winsec`) of the trails an outcome carries:
/// object opens and the server-side checks of remote accesses.
pub fn trail_rules(outcome: &Outcome) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    let mut add = |r: &winsec::AccessCheckResult| {
        for step in &r.trail {
            if !out.contains(&step.rule) {
                out.push(step.rule);
            }
        }
    };
    for check in &outcome.host_checks {
        add(&check.result);
    }
    if let Some(simos::Value::Remote(remote)) = outcome.host_result.as_ref().and_then(|r| r.value())
    {
        let mut r = Some(remote.as_ref());
        while let Some(access) = r {
            if let Some(check) = &access.access_check {
                add(check);
            }
            r = access.proxy.as_deref();
        }
    }
    out
}

/// The decision details of an outcome: access-check trails of objects
/// and remote resources the operation itself opened.
pub fn details(_world: &World, outcome: &Outcome) -> Vec<String> {
    let mut out = Vec::new();
    for check in &outcome.host_checks {
        trail(&mut out, &check.object, &check.result);
    }
    if let Some(simos::Value::Remote(remote)) = outcome.host_result.as_ref().and_then(|r| r.value())
    {
        let mut r = Some(remote.as_ref());
        while let Some(access) = r {
            out.push(format!(
                "{} saw {} (by {}{})",
                access.server,
                access
                    .identity
                    .as_ref()
                    .map_or_else(|| "nobody".to_string(), |i| i.account.clone()),
                snake(&access.how),
                access
                    .scheme
                    .map_or_else(String::new, |s| format!(", {}", snake(&s)))
            ));
            if let Some(check) = &access.access_check {
                trail(&mut out, &access.server, check);
            }
            r = access.proxy.as_deref();
        }
    }
    out
}

fn trail(out: &mut Vec<String>, object: &str, result: &winsec::AccessCheckResult) {
    out.push(format!(
        "access check on {object}: {}",
        match (result.access_status, result.granted) {
            (Some(true), Some(g)) => format!("granted {g}"),
            _ => format!(
                "denied{}",
                result
                    .error
                    .map_or_else(String::new, |e| format!(" ({})", e.name()))
            ),
        }
    ));
    for step in &result.trail {
        let mut line = format!("  [{}] {}", step.rule, step.note);
        if let Some(ace) = &step.ace {
            let _ = write!(line, " — ACE {}", ace);
        }
        out.push(line);
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
        .map(|s| (s.statement, s.source))
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
    for s in &run.steps {
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
        for e in &s.events {
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
        if let Some(e) = &s.error {
            let _ = writeln!(out, "       ERROR: {e}");
        }
        if explain {
            for r in &s.rules {
                match rule_text(r) {
                    Some((statement, source)) => {
                        let _ = writeln!(out, "       why {r}: {statement} [{source}]");
                    }
                    None => {
                        let _ = writeln!(out, "       why {r}");
                    }
                }
            }
            for d in &s.details {
                let _ = writeln!(out, "       {d}");
            }
        }
    }
    let _ = writeln!(
        out,
        "{}",
        if run.passed() {
            "held".to_string()
        } else {
            let step = run.failure().map_or(0, |s| s.number);
            format!("FAILED at step {step}")
        }
    );
    out
}

/// The run as JSON.
pub fn json(runs: &[Run]) -> String {
    serde_json::to_string_pretty(runs).unwrap_or_default() + "\n"
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

/// A Mermaid sequence diagram of a run: the scenario's threads, BITS and
/// the servers and files it reached.
pub fn mermaid(run: &Run) -> String {
    let mut out = String::from("sequenceDiagram\n");
    let _ = writeln!(out, "    participant BITS");
    for p in &run.participants {
        let _ = writeln!(out, "    participant {} as {}", mermaid_id(p), p);
    }
    for s in &run.steps {
        let call = mermaid_text(&format!("{} {}", s.kind, s.args));
        match &s.actor {
            Some(a) => {
                let target = if s.kind.starts_with(char::is_uppercase)
                    && !matches!(
                        s.kind.as_str(),
                        "LogonUser"
                            | "S4uLogon"
                            | "ImpersonateLoggedOnUser"
                            | "WindowsIdentityImpersonate"
                            | "ImpersonateNamedPipeClient"
                            | "ImpersonateSelf"
                            | "SetThreadToken"
                            | "RevertToSelf"
                            | "OpenThreadToken"
                            | "DuplicateToken"
                            | "DuplicateTokenEx"
                            | "DuplicateTokenExPrimary"
                            | "CreateRestrictedToken"
                            | "CreateProcess"
                            | "CreateProcessAsUser"
                            | "CreateThread"
                            | "SuppressFlow"
                            | "RestoreFlow"
                            | "CreateFile"
                            | "OpenFile"
                            | "SetFileSecurity"
                            | "DeleteFile"
                            | "AccessServer"
                    ) {
                    "BITS".to_string()
                } else {
                    mermaid_id(a)
                };
                let a = mermaid_id(a);
                let _ = writeln!(out, "    {a}->>{target}: {call}");
                if let Some(r) = &s.result {
                    let _ = writeln!(out, "    {target}-->>{a}: {}", r.name);
                }
            }
            None => {
                let _ = writeln!(out, "    Note over BITS: {call}");
            }
        }
        for e in &s.events {
            if e.starts_with("BITS reaches") {
                let _ = writeln!(out, "    Note right of BITS: {}", mermaid_text(e));
            }
        }
        for c in s.checks.iter().filter(|c| !c.ok) {
            let _ = writeln!(
                out,
                "    Note over BITS: FAILED {} expected {} got {}",
                mermaid_text(&c.what),
                mermaid_text(&c.expected),
                mermaid_text(&c.actual)
            );
        }
    }
    out
}

/// JUnit XML for runs grouped by file: one test suite per file, one test
/// case per scenario and profile.
pub fn junit(runs: &[Run]) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("bitsim check");
    let mut files: Vec<&str> = Vec::new();
    for r in runs {
        if !files.contains(&r.file.as_str()) {
            files.push(&r.file);
        }
    }
    for file in files {
        let mut suite = TestSuite::new(file);
        for r in runs.iter().filter(|r| r.file == file) {
            let status = match r.failure() {
                None => TestCaseStatus::success(),
                Some(step) => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(failure_line(step));
                    s.set_description(text(r, false));
                    s
                }
            };
            let mut case = TestCase::new(format!("{} [{}]", r.scenario, r.profile), status);
            case.set_classname(file);
            suite.add_test_case(case);
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
    match s.checks.iter().find(|c| !c.ok) {
        Some(c) => format!(
            "step {} (line {}): {} {}: expected {}, got {}",
            s.number, s.line, s.kind, c.what, c.expected, c.actual
        ),
        None => format!("step {} (line {})", s.number, s.line),
    }
}
