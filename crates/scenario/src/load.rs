//! Loading a scenario: YAML text to a checked [`Scenario`], or an error
//! that says where (file, line, column) and what was expected.
//!
//! This module owns the size limits, the one call into the YAML parser
//! (so a maintained fork of `serde_yaml` can replace it in one line), and
//! the checks the types cannot express: profile names, names bound with
//! `as` before they are used (and always to the same kind of thing), and
//! enumerated values (levels, logon types, interfaces, states) spelled as
//! the format spells them.

use std::collections::BTreeMap;

use crate::format::{Expected, Scenario, Step};
use crate::locate::Locator;

/// The largest scenario file accepted, in bytes.
pub const MAX_BYTES: usize = 1 << 20;
/// The most steps a scenario may have.
pub const MAX_STEPS: usize = 2_000;

/// Where in a file something is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
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

/// A scenario that could not be loaded.
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
}

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

/// The profile names a scenario may use.
pub const PROFILES: &[&str] = &["vista", "win7", "win10-1507", "win10-1607", "win11"];

/// What the format alone cannot check: names and values whose meaning
/// belongs to the model (mutant names, HRESULT names, flag constants,
/// accounts). The runner implements it; [`load`] checks the format only.
pub trait Semantics {
    /// Checks the scenario as a whole (for example its `mutant:`), after
    /// the format's own checks passed. Returns the problems found.
    fn check_scenario(&self, scenario: &Scenario) -> Vec<Finding>;
    /// Checks one step's values. Returns the problems found.
    fn check_step(&self, scenario: &Scenario, index: usize, step: &Step) -> Vec<Finding>;
}

/// A problem a [`Semantics`] check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Where it is.
    pub at: Site,
    /// The offending word, as written (used to point at it).
    pub word: String,
    /// What is wrong.
    pub message: String,
    /// What was expected instead.
    pub expected: Option<String>,
}

/// Which part of a scenario a [`Finding`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// A top-level key (`mutant`, `profile`, ...).
    Top(&'static str),
    /// The `host` section.
    Host,
    /// A step, by index.
    Step(usize),
}

/// No checks beyond the format's own.
#[derive(Debug, Clone, Copy, Default)]
pub struct FormatOnly;

impl Semantics for FormatOnly {
    fn check_scenario(&self, _: &Scenario) -> Vec<Finding> {
        Vec::new()
    }
    fn check_step(&self, _: &Scenario, _: usize, _: &Step) -> Vec<Finding> {
        Vec::new()
    }
}

/// Parses and checks a scenario's format. `file` is only used in error
/// messages. Names whose meaning belongs to the model (mutants, results,
/// accounts) are checked by [`load_with`] and a [`Semantics`].
pub fn load(file: &str, text: &str) -> Result<Scenario, LoadError> {
    load_with(file, text, &FormatOnly)
}

/// Parses and checks a scenario, the format's checks first and then
/// `semantics`'. `file` is only used in error messages.
pub fn load_with(file: &str, text: &str, semantics: &dyn Semantics) -> Result<Scenario, LoadError> {
    let loc = Locator::new(text);
    let err = |position: Position, message: String, expected: Option<String>| LoadError {
        file: file.to_string(),
        position,
        message,
        expected,
    };
    if text.len() > MAX_BYTES {
        return Err(err(
            loc.at_offset(0),
            format!(
                "the file is {} bytes; scenarios are limited to {MAX_BYTES} bytes",
                text.len()
            ),
            Some("a smaller scenario, or several files".to_string()),
        ));
    }
    let scenario: Scenario = serde_yaml::from_str(text).map_err(|e| {
        let position = match e.location() {
            Some(l) => loc.at_line_column(l.line(), l.column()),
            None => loc.at_offset(0),
        };
        let (message, expected) = split_serde_message(&e.to_string());
        err(position, message, expected)
    })?;
    if scenario.steps.len() > MAX_STEPS {
        return Err(err(
            loc.step(MAX_STEPS),
            format!(
                "the scenario has {} steps; the limit is {MAX_STEPS}",
                scenario.steps.len()
            ),
            Some("fewer steps, or several scenarios".to_string()),
        ));
    }
    for (key, profile) in scenario
        .profile
        .iter()
        .map(|p| ("profile", p))
        .chain(scenario.profiles.iter().map(|p| ("profiles", p)))
    {
        if !PROFILES.contains(&profile.as_str()) {
            return Err(err(
                loc.top_value(key, profile),
                format!("unknown profile `{profile}`"),
                Some(format!("one of {}", PROFILES.join(", "))),
            ));
        }
    }
    let located = |f: Finding| {
        let position = match f.at {
            Site::Top(key) => loc.top_value(key, &f.word),
            Site::Host => loc.top_value("host", "host"),
            Site::Step(i) => loc.in_step(i, &f.word),
        };
        err(position, f.message, f.expected)
    };
    if let Some(f) = semantics.check_scenario(&scenario).into_iter().next() {
        return Err(located(f));
    }
    check_names(&scenario, &loc).map_err(|(step, word, message, expected)| {
        err(loc.in_step(step, &word), message, expected)
    })?;
    for (i, step) in scenario.steps.iter().enumerate() {
        if let Some(f) = semantics.check_step(&scenario, i, step).into_iter().next() {
            return Err(located(f));
        }
    }
    check_expected_profiles(&scenario, &loc)
        .map_err(|(step, word, message)| err(loc.in_step(step, &word), message, None))?;
    Ok(scenario)
}

/// The profile names a scenario runs under, in the order given, without
/// repeats (`win11` when none is named).
pub fn profile_names(s: &Scenario) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for name in s.profile.iter().chain(s.profiles.iter()) {
        if PROFILES.contains(&name.as_str()) && !out.contains(&name.as_str()) {
            out.push(name);
        }
    }
    if out.is_empty() {
        out.push("win11");
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

type NameError = (usize, String, String, Option<String>);

/// Names bound with `as` (and by `logon`), checked in step order.
fn check_names(s: &Scenario, _loc: &Locator) -> Result<(), NameError> {
    let mut names: BTreeMap<String, NameKind> = BTreeMap::new();
    for (i, step) in s.steps.iter().enumerate() {
        let (uses, binds) = names_of(step);
        for (name, kind) in uses {
            match names.get(name) {
                Some(k) if *k == kind => {}
                Some(k) => {
                    return Err((
                        i,
                        name.to_string(),
                        format!(
                            "`{name}` is {}, not {}",
                            k.with_article(),
                            kind.with_article()
                        ),
                        Some(format!("the name of {}", kind.with_article())),
                    ))
                }
                None => {
                    let known: Vec<&str> = names
                        .iter()
                        .filter(|(_, k)| **k == kind)
                        .map(|(n, _)| n.as_str())
                        .collect();
                    return Err((
                        i,
                        name.to_string(),
                        format!(
                            "no {} is named `{name}` at this step (names are bound with `as` by an earlier step)",
                            kind.noun()
                        ),
                        Some(if known.is_empty() {
                            format!("{} bound by an earlier step", kind.with_article())
                        } else {
                            format!("one of: {}", known.join(", "))
                        }),
                    ));
                }
            }
        }
        for (name, kind) in binds {
            if let Some(k) = names.get(name) {
                if *k != kind {
                    return Err((
                        i,
                        name.to_string(),
                        format!(
                            "`{name}` already names {}; it cannot also name {}",
                            k.with_article(),
                            kind.with_article()
                        ),
                        Some("a new name".to_string()),
                    ));
                }
            }
            names.insert(name.to_string(), kind);
        }
    }
    Ok(())
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
            if let Some(b) = &c.bind {
                binds.push((b, Pointer));
            }
        }
        Step::GetJob(c) => {
            uses.push((&c.thread, Thread));
            uses.push((&c.job, Pointer));
            if let Some(b) = &c.bind {
                binds.push((b, Pointer));
            }
        }
        Step::EnumJobs(c) => {
            uses.push((&c.thread, Thread));
            if let Some(b) = &c.bind {
                binds.push((b, Pointer));
            }
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
        Step::StartSite(s) => binds.push((&s.bind, Thread)),
        Step::WebRequest(w) => uses.push((&w.worker, Thread)),
        Step::ImpersonateIntPtrZero(c) | Step::Undo(c) => uses.push((&c.worker, Thread)),
        Step::Expect(e) => uses.push((&e.job, Pointer)),
        Step::ExpectThread(e) => uses.push((&e.thread, Thread)),
        Step::ExpectToken(e) => uses.push((&e.token, Token)),
        Step::ExpectAccess(e) => uses.push((&e.job, Pointer)),
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
        | Step::ExpectAccess(_) => None,
    }
}

/// A per-profile `expect` may only name profiles the scenario runs under.
fn check_expected_profiles(s: &Scenario, _loc: &Locator) -> Result<(), (usize, String, String)> {
    let running = profile_names(s);
    for (i, step) in s.steps.iter().enumerate() {
        let only = match step {
            Step::Expect(e) => e.only.as_slice(),
            Step::ExpectThread(e) => e.only.as_slice(),
            Step::ExpectToken(e) => e.only.as_slice(),
            Step::ExpectAccess(e) => e.only.as_slice(),
            _ => &[],
        };
        for p in only {
            if !running.contains(&p.as_str()) {
                return Err((i, p.clone(), not_running(p, &running)));
            }
        }
        if let Some(Expected::PerProfile(map)) = expected_of(step) {
            for p in map.keys() {
                if !running.contains(&p.as_str()) {
                    return Err((i, p.clone(), not_running(p, &running)));
                }
            }
        }
    }
    Ok(())
}

fn not_running(p: &str, running: &[&str]) -> String {
    format!(
        "`{p}` is not a profile this scenario runs under ({})",
        running.join(", ")
    )
}
