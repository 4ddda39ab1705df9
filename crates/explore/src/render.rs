//! Counterexamples as runnable scenarios.
//!
//! This module owns the translation of a sequence of `bits::Op`s back into
//! scenario steps: the model's setup is repeated verbatim, each operation
//! becomes the step a person would write (threads, tokens and pointers by
//! name; new pointers and tokens get names `p1`, `t1`, …), and every call
//! that failed carries its result as `expect:`, so that `bitsim run`
//! replays the same path and stops at the same broken invariant.

use std::collections::BTreeMap;

use bits::{Call, Method, Op, PointerId, Value, World};
use runner::run::Bound;
use serde_json::{json, Map, Value as Json};
use simos::network::NetworkOp;
use simos::{ThreadId, TokenId};

use crate::model::{Model, WorldModel};
use crate::search::Counterexample;

/// Names of things, both ways.
struct Names {
    threads: BTreeMap<ThreadId, String>,
    tokens: BTreeMap<TokenId, String>,
    pointers: BTreeMap<PointerId, String>,
    next_pointer: usize,
    next_token: usize,
}

impl Names {
    fn new(bound: &BTreeMap<String, Bound>) -> Names {
        let mut n = Names {
            threads: BTreeMap::new(),
            tokens: BTreeMap::new(),
            pointers: BTreeMap::new(),
            next_pointer: 0,
            next_token: 0,
        };
        for (name, b) in bound {
            match b {
                Bound::Thread(t) => {
                    n.threads.entry(*t).or_insert_with(|| name.clone());
                }
                Bound::Token(t) => {
                    n.tokens.entry(*t).or_insert_with(|| name.clone());
                }
                Bound::Pointer(p) => {
                    n.pointers.entry(*p).or_insert_with(|| name.clone());
                }
            }
        }
        n
    }

    fn thread(&self, t: ThreadId) -> String {
        self.threads
            .get(&t)
            .cloned()
            .unwrap_or_else(|| format!("thread#{}", t.0))
    }

    fn token(&self, t: TokenId) -> String {
        self.tokens
            .get(&t)
            .cloned()
            .unwrap_or_else(|| format!("token#{}", t.0))
    }

    fn pointer(&self, p: PointerId) -> String {
        self.pointers
            .get(&p)
            .cloned()
            .unwrap_or_else(|| format!("pointer#{}", p.0))
    }

    fn new_pointer(&mut self, p: PointerId) -> String {
        self.next_pointer += 1;
        let name = format!("p{}", self.next_pointer);
        self.pointers.insert(p, name.clone());
        name
    }

    fn new_token(&mut self, t: TokenId) -> String {
        self.next_token += 1;
        let name = format!("t{}", self.next_token);
        self.tokens.insert(t, name.clone());
        name
    }
}

/// The step for `op` in `world` (before it is applied): its key and
/// arguments, and what the outcome binds (`pointer` or `token`).
fn step_of(world: &World, names: &Names, op: &Op) -> Option<(String, Map<String, Json>, Binds)> {
    let mut args = Map::new();
    let (key, binds) = match op {
        Op::Bits { thread, call } => {
            args.insert("thread".into(), json!(names.thread(*thread)));
            match call {
                Call::QueryInterface { pointer, interface } => {
                    args.insert("job".into(), json!(names.pointer(*pointer)));
                    args.insert("interface".into(), json!(interface.name()));
                    ("QueryInterface", Binds::Pointer)
                }
                Call::GetJob { job } => {
                    let any = world
                        .bits
                        .pointers
                        .values()
                        .find(|p| world.job_of(p.id).map(|j| j.id) == Some(*job))?;
                    args.insert("job".into(), json!(names.pointer(any.id)));
                    ("GetJob", Binds::Pointer)
                }
                Call::Method { pointer, method } => {
                    args.insert("job".into(), json!(names.pointer(*pointer)));
                    let key = match method {
                        Method::Resume => "Resume",
                        Method::Suspend => "Suspend",
                        Method::Cancel => "Cancel",
                        Method::Complete => "Complete",
                        Method::SetHelperToken => "SetHelperToken",
                        Method::ClearHelperToken => "ClearHelperToken",
                        Method::SetHelperTokenFlags { flags } => {
                            args.insert("value".into(), json!(flags.to_string()));
                            "SetHelperTokenFlags"
                        }
                        _ => return None,
                    };
                    (key, Binds::Nothing)
                }
                _ => return None,
            }
        }
        Op::Host { op } => match op {
            simos::Op::ImpersonateLoggedOnUser { thread, token } => {
                args.insert("thread".into(), json!(names.thread(*thread)));
                args.insert("token".into(), json!(names.token(*token)));
                ("ImpersonateLoggedOnUser", Binds::Nothing)
            }
            simos::Op::RevertToSelf { thread } => {
                args.insert("thread".into(), json!(names.thread(*thread)));
                ("RevertToSelf", Binds::Nothing)
            }
            simos::Op::LogonUser {
                thread,
                user,
                domain,
                password,
                logon_type,
            } => {
                let account = match domain {
                    Some(d) => format!("{d}\\{user}"),
                    None => user.clone(),
                };
                args.insert("thread".into(), json!(names.thread(*thread)));
                if *password != runner::host::default_password(&account) {
                    args.insert("password".into(), json!(password));
                }
                args.insert("user".into(), json!(account));
                args.insert("type".into(), json!(logon_type_word(*logon_type)?));
                ("LogonUser", Binds::Token)
            }
            simos::Op::Logoff { logon } => {
                let thread = names.threads.iter().find(|(t, _)| {
                    world
                        .host
                        .process_of(**t)
                        .and_then(|p| world.host.token(p.primary_token))
                        .is_some_and(|tok| tok.logon == *logon)
                })?;
                return Some(("logoff".into(), one(thread.1), Binds::Nothing));
            }
            simos::Op::EndTerminalSession { session, .. } => {
                return Some((
                    "end_session".into(),
                    one(&session.to_string()),
                    Binds::Nothing,
                ));
            }
            simos::Op::Network(NetworkOp::Access { thread, server, .. }) => {
                args.insert("thread".into(), json!(names.thread(*thread)));
                args.insert("server".into(), json!(server));
                ("AccessServer", Binds::Nothing)
            }
            _ => return None,
        },
        Op::Advance { ticks } => {
            return Some(("advance".into(), one(&ticks.to_string()), Binds::Nothing));
        }
        _ => return None,
    };
    Some((key.to_string(), args, binds))
}

/// A scalar step value, kept in the `_` slot of the map.
fn one(text: &str) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("_".into(), json!(text));
    m
}

fn logon_type_word(t: simos::LogonType) -> Option<&'static str> {
    use simos::LogonType as L;
    Some(match t {
        L::Interactive => "interactive",
        L::Network => "network",
        L::Batch => "batch",
        L::Service => "service",
        L::Unlock => "unlock",
        L::NetworkCleartext => "network_cleartext",
        L::NewCredentials => "new_credentials",
        _ => return None,
    })
}

/// What a step's outcome binds.
#[derive(Debug, Clone, Copy)]
enum Binds {
    Nothing,
    Pointer,
    Token,
}

/// One line of the `steps:` list.
fn line(key: &str, args: &Map<String, Json>) -> String {
    match args.get("_") {
        Some(Json::String(s)) if args.len() == 1 => format!("  - {key}: {s}"),
        _ => format!(
            "  - {key}: {}",
            runner::report::compact(&Json::Object(args.clone()))
        ),
    }
}

/// A YAML value with nulls, empty lists and empty maps removed.
fn prune(v: Json) -> Option<Json> {
    match v {
        Json::Null => None,
        Json::Array(a) if a.is_empty() => None,
        Json::Array(a) => Some(Json::Array(a.into_iter().filter_map(prune).collect())),
        Json::Object(m) => {
            let m: Map<String, Json> = m
                .into_iter()
                .filter_map(|(k, v)| prune(v).map(|v| (k, v)))
                .collect();
            (!m.is_empty()).then_some(Json::Object(m))
        }
        other => Some(other),
    }
}

/// Replays a counterexample from the model's initial world and hands
/// `each` operation's scenario step (with the names it binds and its
/// expected error when it failed; `None` when no step expresses it), its
/// outcome and the world after it.
fn walk(
    model: &WorldModel,
    ce: &Counterexample,
    mut each: impl FnMut(Option<(&str, &Map<String, Json>)>, &bits::Outcome, &World),
) {
    let mut names = Names::new(model.names());
    let mut world = model.initial();
    for op in &ce.ops {
        let step = step_of(&world, &names, op);
        let outcome = model.apply(&mut world, op);
        let Some((key, mut args, binds)) = step else {
            each(None, &outcome, &world);
            continue;
        };
        let value = outcome
            .host_result
            .as_ref()
            .and_then(|r| r.value())
            .cloned();
        match (binds, &outcome.value, value) {
            (Binds::Pointer, Value::Pointer { pointer } | Value::Job { pointer, .. }, _) => {
                let name = names.new_pointer(*pointer);
                args.insert("as".into(), json!(name));
            }
            (Binds::Token, _, Some(simos::Value::Token { token })) => {
                let name = names.new_token(token);
                args.insert("as".into(), json!(name));
            }
            _ => {}
        }
        if !outcome.hr.succeeded() {
            let name = outcome
                .host_result
                .as_ref()
                .and_then(|r| r.error())
                .map_or_else(|| outcome.hr.name(), |e| e.name().to_string());
            args.insert("expect".into(), json!(name));
        }
        each(Some((&key, &args)), &outcome, &world);
    }
}

/// What can be observed of a world: the clock, the network, every job
/// (owner, state, error, helper token and flags, each file's bytes),
/// every thread the setup named (and what it impersonates), the active
/// logon sessions and terminal-services sessions.
fn observable(world: &World, threads: &BTreeMap<ThreadId, String>) -> Json {
    let jobs: Vec<Json> = world
        .bits
        .jobs
        .values()
        .map(|j| {
            json!({
                "job": format!("job#{}", j.id.0),
                "owner": j.owner.account,
                "state": j.state,
                "error": j.error.as_ref().map(|e| json!({"code": e.code.name(), "context": e.context})),
                "helper_token": j.helper.as_ref().map(|h| json!({
                    "token": format!("token#{}", h.token.0),
                    "sid": h.sid.to_string(),
                    "session": h.ts_session,
                    "administrators_enabled": h.admin_enabled,
                })),
                "helper_flags": j.helper_flags,
                "files": j.files.iter().map(|f| json!({
                    "bytes_transferred": f.bytes_transferred,
                    // BG_SIZE_UNKNOWN until the size is known.
                    "bytes_total": (f.bytes_total != u64::MAX).then_some(f.bytes_total),
                    "completed": f.completed,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let named: Vec<Json> = threads
        .iter()
        .filter_map(|(id, name)| {
            let t = world.host.thread(*id)?;
            Some(json!({
                "thread": name,
                "impersonating": t.impersonation.map(|k| format!("token#{}", k.0)),
            }))
        })
        .collect();
    let logons: Vec<Json> = world
        .host
        .logons
        .values()
        .filter(|l| l.active)
        .map(|l| json!({"account": l.account, "type": l.logon_type, "session": l.ts_session}))
        .collect();
    let sessions: Vec<Json> = world
        .host
        .terminal_sessions
        .values()
        .filter(|s| s.active)
        .map(|s| json!({"machine": s.machine, "session": s.id}))
        .collect();
    json!({
        "now": world.host.now,
        "network_up": world.bits.network_up,
        "jobs": jobs,
        "threads": named,
        "logons": logons,
        "terminal_sessions": sessions,
    })
}

/// A counterexample as a JSON trace: the state the setup reached, then
/// for every operation the scenario step that repeats it, its result, the
/// events it caused and the observable state after it; the last step
/// carries what broke.
pub fn counterexample_json(model: &WorldModel, ce: &Counterexample) -> Json {
    let threads = Names::new(model.names()).threads;
    let initial = observable(&model.initial(), &threads);
    let mut steps = Vec::new();
    walk(model, ce, |step, outcome, world| {
        let number = steps.len() + 1;
        steps.push(json!({
            "number": number,
            "step": step.map(|(key, args)| line(key, args).trim_start().trim_start_matches("- ").to_string()),
            "result": outcome.hr.name(),
            "events": outcome.events,
            "host_events": outcome.host_events,
            "state": observable(world, &threads),
            "broken": if number == ce.ops.len() { json!(ce.violations) } else { json!([]) },
        }));
    });
    json!({
        "model": model.name(),
        "profile": model.profile().name(),
        "mutant": model.mutant().map(|m| m.name),
        "setup_end": initial,
        "steps": steps,
    })
}

/// The scenario text that replays `ce` on `model`: the setup, then the
/// counterexample's operations. `header` lines become comments at the top.
pub fn counterexample_yaml(model: &WorldModel, ce: &Counterexample, header: &[String]) -> String {
    let mut out = String::new();
    for h in header {
        out.push_str(&format!("# {h}\n"));
    }
    out.push_str("name: counterexample\n");
    let broken: Vec<&str> = ce.violations.iter().map(|v| &*v.invariant).collect();
    out.push_str(&format!(
        "about: >\n  Shortest counterexample in the {} model under {}{}: after the setup,\n  {} operation(s) lead to a step that breaks {}.\n",
        model.name(),
        model.profile(),
        model
            .mutant()
            .map(|m| format!(" with mutant {}", m.name))
            .unwrap_or_default(),
        ce.ops.len(),
        broken.join(", ")
    ));
    out.push_str(&format!("profile: {}\n", model.profile()));
    if let Some(m) = model.mutant() {
        out.push_str(&format!("mutant: {}\n", m.name));
    }
    let setup = model.setup();
    if let Some(host) = serde_json::to_value(&setup.host).ok().and_then(prune) {
        let text = serde_yaml::to_string(&host).unwrap_or_default();
        out.push_str("host:\n");
        for l in text.lines() {
            out.push_str(&format!("  {l}\n"));
        }
    }
    out.push_str("steps:\n");
    for step in &setup.steps {
        if let Ok(Json::Object(m)) = serde_json::to_value(step) {
            if let Some((k, v)) = m.into_iter().next() {
                match v {
                    Json::Object(args) => out.push_str(&line(&k, &args)),
                    other => out.push_str(&format!("  - {k}: {}", runner::report::compact(&other))),
                }
                out.push('\n');
            }
        }
    }
    out.push_str("  # --- the counterexample ---\n");
    walk(model, ce, |step, _, _| {
        match step {
            Some((key, args)) => out.push_str(&line(key, args)),
            None => out.push_str("  # (no scenario step for this operation)"),
        }
        out.push('\n');
    });
    // The setup's `always` and `never` properties travel with the steps,
    // so that the replay judges a broken property as the search did
    // (`sometimes` ones are about the universe, not this one path).
    let kept: Vec<&scenario::format::Property> = setup
        .properties
        .iter()
        .filter(|p| p.always.is_some() || p.never.is_some())
        .collect();
    if let Some(Json::Array(list)) = serde_json::to_value(&kept).ok().and_then(prune) {
        out.push_str("properties:\n");
        for p in list {
            let text = serde_yaml::to_string(&p).unwrap_or_default();
            for (i, l) in text.lines().enumerate() {
                let lead = if i == 0 { "  - " } else { "    " };
                out.push_str(&format!("{lead}{l}\n"));
            }
        }
    }
    out
}
