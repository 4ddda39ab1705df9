//! Conformance vectors for `bits`, loaded from `tests/conformance/bits/vectors.yaml`.
//!
//! Every vector is replayed in a fresh world of its own, under every OS
//! profile the file names: the host the file's `context` describes, the
//! test process (a console user of the machine BITS runs on), its
//! fixture's process and per-test steps, the gates it requires, then its
//! own steps, each a call through `bits::World::apply`. The HRESULTs and
//! values are compared with the vector's own expectations (names and hex
//! from the source); a file test fails with every failing vector. A
//! further test pins which vectors are carried and which are skipped, so
//! that none can disappear silently. The format is described in
//! `tests/conformance/README.md`; the schema below is its definition, and
//! every struct denies unknown fields so that a misspelt key fails loudly.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::path::PathBuf;

use bits::{
    Call, HResult, Interface, JobId, JobState, Method, Op, Outcome, PointerId, Profile, Value,
    World,
};
use bitsim_conformance::{
    conformance_dir, load_yaml, parse_hex_u32, vector_headers, yaml_files, ConformanceFailure,
    Report, VectorCheck,
};
use serde::Deserialize;
use simos::network::{AuthScheme, NetworkOp, Server, ServerKind};
use simos::objects::{ObjectKind, ObjectOp};
use simos::{Cloaking, Domain, Host, Machine, PrincipalKind, ThreadId};
use winsec::{AccessMask, ImpersonationLevel, Sid};

type TestResult = Result<(), Box<dyn Error>>;

/// `tests/conformance/bits/`.
fn bits_dir() -> PathBuf {
    conformance_dir().join("bits")
}

const FIXTURE_FILE: &str = "vectors.yaml";

fn load() -> Result<BitsFile, Box<dyn Error>> {
    Ok(load_yaml(&bits_dir().join(FIXTURE_FILE))?)
}

// ---------------------------------------------------------------------------
// Schema.

/// The fixture file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BitsFile {
    context: Context,
    gates: BTreeMap<String, Gate>,
    fixtures: BTreeMap<String, Fixture>,
    sequences: BTreeMap<String, Sequence>,
    vectors: Vec<Vector>,
}

/// The environment every vector starts from.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Context {
    /// The OS profiles every vector runs under.
    profiles: Vec<Profile>,
    /// The domain user whose console shell is the test process.
    user: String,
    /// Directories the user owns with full control.
    directories: Vec<String>,
    /// HTTP servers that take anonymous requests and serve one page.
    http_servers: Vec<HttpServer>,
    /// `<name>` placeholders.
    placeholders: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpServer {
    url: String,
    bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum GateCheck {
    /// By its own `steps`, run before the fixture's per-test steps.
    Steps,
    /// By `gate:` steps of the fixture's `process`.
    Fixture,
    /// A property of the host.
    Environment,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Gate {
    checked_by: GateCheck,
    #[serde(rename = "where")]
    location: String,
    rule: String,
    #[serde(default)]
    steps: Vec<Step>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    source: Source,
    process: Vec<Step>,
    per_test: Vec<Step>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sequence {
    source: Source,
    steps: Vec<Step>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Source {
    repo: String,
    path: String,
    function: String,
    line: Line,
}

/// A line, or a range written `a-b`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Line {
    One(u32),
    Range(String),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let line = match &self.line {
            Line::One(n) => n.to_string(),
            Line::Range(r) => r.clone(),
        };
        write!(f, "{} {} {}:{line}", self.repo, self.path, self.function)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Vector {
    id: String,
    kind: String,
    source: Source,
    fixture: Option<String>,
    #[serde(default)]
    requires: Vec<String>,
    note: Option<String>,
    /// Why the vector is outside the model; it is then not run.
    skip: Option<String>,
    #[serde(default)]
    steps: Vec<Step>,
}

/// One step: exactly one of `call`, `host`, `co_initialize_security`,
/// `poll`, `include`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    call: Option<String>,
    on: Option<String>,
    args: Option<serde_yaml::Value>,
    save: Option<String>,
    repeat: Option<Count>,
    gate: Option<String>,
    must: Option<HrCheck>,
    expect: Option<HrCheck>,
    #[serde(default)]
    values: Vec<ValueCheck>,
    host: Option<HostStep>,
    co_initialize_security: Option<BlanketSpec>,
    poll: Option<Poll>,
    include: Option<String>,
}

/// An HRESULT by name and hex, and the line of the ok() that asserts it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HrCheck {
    hr: String,
    hex: String,
    line: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ValueCheck {
    /// The source's name for what is checked.
    what: String,
    is: Is,
    line: u32,
}

/// What a call must have returned: exactly one key of [`IsSpec`].
#[derive(Debug, Deserialize)]
#[serde(try_from = "IsSpec")]
enum Is {
    /// A number (a count, flags).
    Number(Count),
    /// `*pceltFetched`: how many pointers `Next` returned.
    Fetched(Count),
    /// Exactly this many pointers were returned, none NULL.
    NonNull(Count),
    /// The GUID `CreateJob` returned with the job saved under this name.
    JobIdOf(String),
    /// A job state, by name and value.
    State(StateRef),
    /// One field of `BG_JOB_PROGRESS`.
    Progress(ProgressCheck),
    /// A string, compared exactly.
    Text(String),
    /// A NULL string.
    TextNull,
}

/// The YAML form of [`Is`]: a mapping with one key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IsSpec {
    number: Option<Count>,
    fetched: Option<Count>,
    non_null: Option<Count>,
    job_id_of: Option<String>,
    state: Option<StateRef>,
    progress: Option<ProgressCheck>,
    text: Option<String>,
    text_null: Option<bool>,
}

impl TryFrom<IsSpec> for Is {
    type Error = String;

    fn try_from(spec: IsSpec) -> Result<Is, String> {
        let mut found = Vec::new();
        found.extend(spec.number.map(Is::Number));
        found.extend(spec.fetched.map(Is::Fetched));
        found.extend(spec.non_null.map(Is::NonNull));
        found.extend(spec.job_id_of.map(Is::JobIdOf));
        found.extend(spec.state.map(Is::State));
        found.extend(spec.progress.map(Is::Progress));
        found.extend(spec.text.map(Is::Text));
        found.extend(spec.text_null.filter(|n| *n).map(|_| Is::TextNull));
        match found.len() {
            1 => Ok(found.remove(0)),
            n => Err(format!("`is` needs exactly one comparison, found {n}")),
        }
    }
}

/// A count, or a `<name>` of a count read earlier.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Count {
    Literal(u64),
    Var(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateRef {
    state: String,
    value: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProgressCheck {
    field: ProgressField,
    equals: u64,
}

#[derive(Debug, Clone, Copy, Deserialize)]
enum ProgressField {
    BytesTotal,
    BytesTransferred,
    FilesTotal,
    FilesTransferred,
}

/// A file-system action of the test process: exactly one key of
/// [`HostSpec`].
#[derive(Debug, Deserialize)]
#[serde(try_from = "HostSpec")]
#[allow(
    clippy::enum_variant_names,
    reason = "named after the fixture keys, which name file actions"
)]
enum HostStep {
    /// `GetTempFileNameW`: creates an empty file.
    TempFile(String),
    /// `makeFile`: DeleteFile, CreateFile(CREATE_ALWAYS), WriteFile.
    MakeFile(MakeFile),
    /// `DeleteFileW`, result not checked.
    DeleteFile(String),
}

/// The YAML form of [`HostStep`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostSpec {
    temp_file: Option<String>,
    make_file: Option<MakeFile>,
    delete_file: Option<String>,
}

impl TryFrom<HostSpec> for HostStep {
    type Error = String;

    fn try_from(spec: HostSpec) -> Result<HostStep, String> {
        let mut found = Vec::new();
        found.extend(spec.temp_file.map(HostStep::TempFile));
        found.extend(spec.make_file.map(HostStep::MakeFile));
        found.extend(spec.delete_file.map(HostStep::DeleteFile));
        match found.len() {
            1 => Ok(found.remove(0)),
            n => Err(format!("`host` needs exactly one action, found {n}")),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MakeFile {
    path: String,
    content: String,
    bytes: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BlanketSpec {
    level: ImpersonationLevel,
    cloaking: Cloaking,
}

/// Wine's polling loop.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Poll {
    on: String,
    until: String,
    max: u32,
    sleep_ticks: u64,
    /// Resume is called whenever this state is read.
    resume_in: Option<String>,
    /// Constructed: the network drops just before this poll (0-based) and
    /// comes back after it, so the job meets TRANSIENT_ERROR as it did on
    /// the metered Windows 10 test machines and a conditional Resume
    /// assertion is really made.
    network_drop_at_poll: Option<u32>,
    expect: Option<PollChecks>,
    must: Option<PollChecks>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PollChecks {
    /// Every GetState.
    get_state: Option<HrCheck>,
    /// Every state read.
    states_one_of: Option<StateSet>,
    /// Every Resume the loop makes.
    resume: Option<HrCheck>,
    /// `until` was read before `max` polls.
    reached: Option<LineOnly>,
    /// The last state read.
    final_state_none_of: Option<StateSet>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateSet {
    line: u32,
    ok_at: Option<String>,
    states: Vec<StateRef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LineOnly {
    line: u32,
}

// ---------------------------------------------------------------------------
// Fixture values resolved against the model's names.

/// The HRESULT a check names, after checking that its name and hex agree.
fn resolve_hr(check: &HrCheck) -> Result<(HResult, u32), String> {
    let hr = HResult::from_name(&check.hr)
        .ok_or_else(|| format!("fixture HRESULT `{}` is not one bits knows", check.hr))?;
    let hex = parse_hex_u32(&check.hex)?;
    if hr.code() != hex {
        return Err(format!(
            "fixture HRESULT `{}` is given as {}, but bits says 0x{:08X}",
            check.hr,
            check.hex,
            hr.code()
        ));
    }
    Ok((hr, hex))
}

/// The state a fixture names, after checking its numeric value.
fn resolve_state(state: &StateRef) -> Result<JobState, String> {
    let s = JobState::from_name(&state.state)
        .ok_or_else(|| format!("fixture state `{}` is not a BG_JOB_STATE", state.state))?;
    if s.name() != state.state || s.value() != state.value {
        return Err(format!(
            "fixture state `{}` = {} disagrees with bits ({} = {})",
            state.state,
            state.value,
            s.name(),
            s.value()
        ));
    }
    Ok(s)
}

fn state_name(state: &str) -> Result<JobState, String> {
    JobState::from_name(state)
        .filter(|s| s.name() == state)
        .ok_or_else(|| format!("fixture state `{state}` is not a BG_JOB_STATE"))
}

// ---------------------------------------------------------------------------
// The world.

const DOMAIN: &str = "CORP";
const MACHINE: &str = "WS01";
const WEB_MACHINE: &str = "WEB";

fn password(user: &str) -> String {
    format!("{user}-pw")
}

/// The host: domain CORP with the user, WS01 (domain-joined, UAC on) with
/// the user's directories, and a machine serving the HTTP servers.
fn host(ctx: &Context) -> Result<Host, String> {
    let sid = |s: &str| s.parse::<Sid>().map_err(|e| format!("{s}: {e}"));
    let mut h = Host::new();
    let mut d = Domain::new(DOMAIN, "corp.example", sid("S-1-5-21-10-20-30")?);
    let user = d.add_account(&ctx.user, &password(&ctx.user), PrincipalKind::User, &[]);
    d.add_account("WS01$", "machine-pw", PrincipalKind::Computer, &[]);
    h.domain = Some(d).into();
    let mut ws = Machine::new(MACHINE, sid("S-1-5-21-100-1-1")?);
    ws.domain_joined = true;
    ws.uac = true;
    h.add_machine(ws);
    h.add_machine(Machine::new(WEB_MACHINE, sid("S-1-5-21-101-1-1")?));
    for path in &ctx.directories {
        let out = h.apply(&simos::Op::Object(ObjectOp::Define {
            machine: MACHINE.to_string(),
            path: path.clone(),
            kind: ObjectKind::Directory,
            sddl: format!("O:{user}G:SYD:(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;{user})"),
        }));
        if !out.result.is_ok() {
            return Err(format!("directory {path}: {:?}", out.result));
        }
    }
    for server in &ctx.http_servers {
        let name = server
            .url
            .split_once("://")
            .and_then(|(_, rest)| rest.split('/').next())
            .ok_or_else(|| format!("http server URL `{}` has no host", server.url))?;
        let out = h.apply(&simos::Op::Network(NetworkOp::DefineServer {
            name: name.to_string(),
            server: Server {
                kind: ServerKind::Http,
                machine: WEB_MACHINE.to_string(),
                spn: format!("HTTP/{name}"),
                resource: "GET /".to_string(),
                schemes: BTreeSet::from([AuthScheme::Anonymous]),
                sddl: "D:(A;;FR;;;WD)(A;;FR;;;AN)".to_string(),
                proxy: None,
            },
        }));
        if !out.result.is_ok() {
            return Err(format!("server {name}: {:?}", out.result));
        }
    }
    Ok(h)
}

/// The world under `profile` and the test process's thread.
fn world(ctx: &Context, profile: Profile) -> Result<(World, ThreadId), String> {
    let mut w = World::new(host(ctx)?, MACHINE, profile.rules()).map_err(|e| e.to_string())?;
    for server in &ctx.http_servers {
        let out = w.apply(&Op::Publish {
            name: server.url.clone(),
            bytes: server.bytes,
        });
        if !out.hr.succeeded() {
            return Err(format!("publish {}: {}", server.url, out.hr));
        }
    }
    let out = w.apply(&Op::Host {
        op: simos::Op::InteractiveLogon {
            machine: MACHINE.to_string(),
            user: ctx.user.clone(),
            domain: Some(DOMAIN.to_string()),
            password: password(&ctx.user),
            ts_session: 1,
            remote: false,
        },
    });
    match out.host_result {
        Some(simos::ApiResult::Ok {
            value: simos::Value::Process { thread, .. },
        }) => Ok((w, thread)),
        other => Err(format!("console logon of {} failed: {other:?}", ctx.user)),
    }
}

// ---------------------------------------------------------------------------
// Running a vector.

/// What a saved variable holds.
#[derive(Debug, Clone)]
enum Var {
    Job { job: JobId, pointer: PointerId },
    Pointer(PointerId),
    Number(u64),
    Text(String),
}

/// Where a step comes from, for messages and for how its checks count.
#[derive(Debug, Clone)]
enum Role {
    /// The vector's own step: `expect` and `values` are its assertions.
    Own,
    /// Setup (fixture, sequence, included vector): every check is a
    /// precondition.
    Setup(String),
    /// A gate's step: a failure means the source would have skipped.
    Gate(String),
}

impl Role {
    fn of_step(&self, step: &Step) -> Role {
        match (&step.gate, self) {
            (Some(g), _) => Role::Gate(g.clone()),
            (None, r) => r.clone(),
        }
    }

    fn describe(&self, own: bool) -> String {
        match (self, own) {
            (Role::Own, true) => String::new(),
            (Role::Own, false) => "precondition: ".to_string(),
            (Role::Setup(from), _) => format!("precondition ({from}): "),
            (Role::Gate(g), _) => {
                format!("gate {g} closed (the source would skip the test here): ")
            }
        }
    }
}

/// The vector stops: a precondition failed or the fixture is broken.
struct Stop;

struct Run<'a> {
    file: &'a BitsFile,
    world: World,
    thread: ThreadId,
    vars: BTreeMap<String, Var>,
    check: VectorCheck,
    /// `id[profile]`, for notes.
    label: String,
    /// Conditional assertions that the run never reached.
    unreached: Vec<String>,
}

impl Run<'_> {
    fn broken(&mut self, problem: impl std::fmt::Display) -> Stop {
        self.check.fail(format!("fixture: {problem}"));
        Stop
    }

    /// Replaces every `<name>` (placeholder or saved text or number).
    fn text(&self, s: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find('<') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let end = after
                .find('>')
                .ok_or_else(|| format!("unclosed `<` in `{s}`"))?;
            let name = &after[..end];
            let value = match (
                self.file.context.placeholders.get(name),
                self.vars.get(name),
            ) {
                (Some(p), _) => p.clone(),
                (None, Some(Var::Text(t))) => t.clone(),
                (None, Some(Var::Number(n))) => n.to_string(),
                _ => {
                    return Err(format!(
                        "`<{name}>` in `{s}` is not a placeholder or a saved text"
                    ))
                }
            };
            out.push_str(&value);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Substitutes placeholders in call arguments; a string that is one
    /// `<name>` of a saved number becomes that number.
    fn args(&self, value: &serde_yaml::Value) -> Result<serde_yaml::Value, String> {
        use serde_yaml::Value as Y;
        Ok(match value {
            Y::String(s) => {
                let whole = s
                    .strip_prefix('<')
                    .and_then(|r| r.strip_suffix('>'))
                    .filter(|n| !n.contains(['<', '>']));
                match whole.and_then(|n| self.vars.get(n)) {
                    Some(Var::Number(n)) => Y::Number((*n).into()),
                    _ => Y::String(self.text(s)?),
                }
            }
            Y::Sequence(items) => Y::Sequence(
                items
                    .iter()
                    .map(|v| self.args(v))
                    .collect::<Result<_, _>>()?,
            ),
            Y::Mapping(map) => {
                let mut out = serde_yaml::Mapping::new();
                for (k, v) in map {
                    out.insert(k.clone(), self.args(v)?);
                }
                Y::Mapping(out)
            }
            other => other.clone(),
        })
    }

    fn count(&self, count: &Count) -> Result<u64, String> {
        match count {
            Count::Literal(n) => Ok(*n),
            Count::Var(s) => {
                let name = s
                    .strip_prefix('<')
                    .and_then(|r| r.strip_suffix('>'))
                    .ok_or_else(|| format!("count `{s}` is neither a number nor `<name>`"))?;
                match self.vars.get(name) {
                    Some(Var::Number(n)) => Ok(*n),
                    _ => Err(format!("`{s}` is not a saved count")),
                }
            }
        }
    }

    fn pointer(&self, name: &str) -> Result<PointerId, String> {
        match self.vars.get(name) {
            Some(Var::Job { pointer, .. } | Var::Pointer(pointer)) => Ok(*pointer),
            _ => Err(format!("`{name}` is not a saved pointer")),
        }
    }

    /// The `bits::Call` a step names.
    fn resolve_call(&self, step: &Step, name: &str) -> Result<Call, String> {
        let args = match &step.args {
            Some(a) => self.args(a)?,
            None => serde_yaml::Value::Mapping(serde_yaml::Mapping::new()),
        };
        let serde_yaml::Value::Mapping(mut args) = args else {
            return Err(format!("{name}: `args` is not a mapping"));
        };
        if name == "CoCreateInstance" {
            if !args.is_empty() || step.on.is_some() {
                return Err("CoCreateInstance takes no `args` or `on`".to_string());
            }
            return Ok(Call::CoCreateInstance);
        }
        let (interface, method) = name
            .split_once("::")
            .ok_or_else(|| format!("call `{name}` is not Interface::Method"))?;
        if interface == "IBackgroundCopyManager" {
            if step.on.is_some() {
                return Err(format!("{name} is a manager call: no `on`"));
            }
            args.insert("call".into(), snake_case(method).into());
            return serde_yaml::from_value(serde_yaml::Value::Mapping(args))
                .map_err(|e| format!("{name}: {e}"));
        }
        let on = step
            .on
            .as_deref()
            .ok_or_else(|| format!("{name} needs `on`"))?;
        let pointer = self.pointer(on)?;
        let held = self
            .world
            .bits
            .pointers
            .get(&pointer)
            .map(|p| p.interface.name());
        if held.is_some_and(|h| h != interface) {
            return Err(format!(
                "{name} on `{on}`, which is an {}",
                held.unwrap_or("?")
            ));
        }
        match method {
            "QueryInterface" => {
                let wanted = args
                    .remove("interface")
                    .ok_or_else(|| format!("{name} needs `args.interface`"))?;
                if !args.is_empty() {
                    return Err(format!("{name}: only `interface` is an argument"));
                }
                let interface: Interface =
                    serde_yaml::from_value(wanted).map_err(|e| format!("{name}: {e}"))?;
                Ok(Call::QueryInterface { pointer, interface })
            }
            "Release" => Ok(Call::Release { pointer }),
            _ => {
                let model_name = match (interface, method) {
                    ("IBackgroundCopyFile", "GetProgress") => "GetFileProgress",
                    _ => method,
                };
                args.insert("method".into(), model_name.into());
                let method: Method = serde_yaml::from_value(serde_yaml::Value::Mapping(args))
                    .map_err(|e| format!("{name}: {e}"))?;
                Ok(Call::Method { pointer, method })
            }
        }
    }

    fn run_steps(&mut self, steps: &[Step], role: &Role) -> Result<(), Stop> {
        for step in steps {
            self.run_step(step, &role.of_step(step))?;
        }
        Ok(())
    }

    fn run_step(&mut self, step: &Step, role: &Role) -> Result<(), Stop> {
        let actions = [
            step.call.is_some(),
            step.host.is_some(),
            step.co_initialize_security.is_some(),
            step.poll.is_some(),
            step.include.is_some(),
        ];
        if actions.iter().filter(|a| **a).count() != 1 {
            return Err(self.broken(
                "a step needs exactly one of `call`, `host`, `co_initialize_security`, `poll`, `include`",
            ));
        }
        if step.call.is_none()
            && (step.on.is_some()
                || step.args.is_some()
                || step.save.is_some()
                || step.repeat.is_some()
                || step.must.is_some()
                || step.expect.is_some()
                || !step.values.is_empty())
        {
            return Err(self.broken(
                "`on`, `args`, `save`, `repeat`, `must`, `expect` and `values` go with `call`",
            ));
        }
        if let Some(name) = &step.call {
            return self.run_call(step, name, role);
        }
        if let Some(host) = &step.host {
            return self.run_host(host, role);
        }
        if let Some(blanket) = &step.co_initialize_security {
            let out = self.world.apply(&Op::SetBlanket {
                thread: self.thread,
                level: blanket.level,
                cloaking: blanket.cloaking,
            });
            if !out.hr.succeeded() {
                return Err(self.broken(format!("CoInitializeSecurity: {}", out.hr)));
            }
            return Ok(());
        }
        if let Some(poll) = &step.poll {
            return self.run_poll(poll, role);
        }
        if let Some(name) = &step.include {
            let file = self.file;
            let from = Role::Setup(format!("included {name}"));
            if let Some(v) = file.vectors.iter().find(|v| &v.id == name) {
                return self.run_steps(&v.steps, &from);
            }
            if let Some(s) = file.sequences.get(name) {
                return self.run_steps(&s.steps, &from);
            }
            return Err(self.broken(format!("include `{name}` is not a vector or a sequence")));
        }
        Ok(())
    }

    fn run_call(&mut self, step: &Step, name: &str, role: &Role) -> Result<(), Stop> {
        if step.must.is_some() && step.expect.is_some() {
            return Err(self.broken(format!("{name}: a step has `must` or `expect`, not both")));
        }
        let times = match &step.repeat {
            Some(c) => self.count(c).map_err(|e| self.broken(e))?,
            None => 1,
        };
        for round in 0..times {
            let call = self.resolve_call(step, name).map_err(|e| self.broken(e))?;
            let out = self.world.apply(&Op::Bits {
                thread: self.thread,
                call,
            });
            let label = if times > 1 {
                format!("{name} (#{})", round + 1)
            } else {
                name.to_string()
            };
            if let Some(check) = &step.must {
                self.check_hr(&label, check, &out, role, false)?;
            }
            if let Some(check) = &step.expect {
                self.check_hr(&label, check, &out, role, true)?;
            }
            for v in &step.values {
                self.check_value(&label, v, &out.value, role)?;
            }
            if let Some(var) = &step.save {
                let saved = match out.value.clone() {
                    Value::Job { job, pointer } => Var::Job { job, pointer },
                    Value::Pointer { pointer } => Var::Pointer(pointer),
                    Value::Pointers { pointers } if pointers.len() == 1 => {
                        Var::Pointer(pointers[0])
                    }
                    Value::Number { number } => Var::Number(number),
                    Value::Text { text: Some(t) } => Var::Text(t),
                    other => {
                        self.check.fail(format!(
                            "{}{label}: nothing to save as `{var}`: returned {} with {other:?}",
                            role.describe(false),
                            out.hr
                        ));
                        return Err(Stop);
                    }
                };
                self.vars.insert(var.clone(), saved);
            }
        }
        Ok(())
    }

    /// Records a failed check. Own assertions let the vector go on, as a
    /// failed ok() does; preconditions and gates stop it.
    fn failed(&mut self, role: &Role, own: bool, text: String) -> Result<(), Stop> {
        let own = own && matches!(role, Role::Own);
        self.check.fail(format!("{}{text}", role.describe(own)));
        if own {
            Ok(())
        } else {
            Err(Stop)
        }
    }

    fn check_hr(
        &mut self,
        label: &str,
        check: &HrCheck,
        out: &Outcome,
        role: &Role,
        own: bool,
    ) -> Result<(), Stop> {
        let (hr, hex) = resolve_hr(check).map_err(|e| self.broken(e))?;
        if out.hr.name() == hr.name() && out.hr.code() == hex {
            return Ok(());
        }
        let at = check
            .line
            .map(|l| format!(" [line {l}]"))
            .unwrap_or_default();
        self.failed(
            role,
            own,
            format!(
                "{label}: expected {} (0x{hex:08X}){at}, got {} (rules: {})",
                check.hr,
                out.hr,
                out.rules.join(", ")
            ),
        )
    }

    fn check_value(
        &mut self,
        label: &str,
        check: &ValueCheck,
        value: &Value,
        role: &Role,
    ) -> Result<(), Stop> {
        let problem = self
            .value_problem(&check.is, value)
            .map_err(|e| self.broken(e))?;
        match problem {
            None => Ok(()),
            Some(p) => self.failed(
                role,
                true,
                format!("{label}: {} [line {}]: {p}", check.what, check.line),
            ),
        }
    }

    /// `Ok(None)` when the value is as the check says, `Ok(Some(why))`
    /// when not, `Err` when the check itself is broken.
    fn value_problem(&self, is: &Is, value: &Value) -> Result<Option<String>, String> {
        let mismatch = |expected: String| Some(format!("expected {expected}, got {value:?}"));
        Ok(match is {
            Is::Number(c) => {
                let n = self.count(c)?;
                match value {
                    Value::Number { number } if *number == n => None,
                    _ => mismatch(n.to_string()),
                }
            }
            Is::Fetched(c) => {
                let n = self.count(c)?;
                let fetched = match value {
                    Value::Pointers { pointers } => Some(pointers.len() as u64),
                    Value::None => Some(0),
                    _ => None,
                };
                if fetched == Some(n) {
                    None
                } else {
                    mismatch(format!("{n} fetched"))
                }
            }
            Is::NonNull(c) => {
                let n = self.count(c)?;
                match value {
                    Value::Pointers { pointers }
                        if pointers.len() as u64 == n
                            && pointers
                                .iter()
                                .all(|p| self.world.bits.pointers.contains_key(p)) =>
                    {
                        None
                    }
                    _ => mismatch(format!("{n} live pointers")),
                }
            }
            Is::JobIdOf(var) => {
                let Some(Var::Job { job, .. }) = self.vars.get(var) else {
                    return Err(format!("`{var}` is not a job saved from CreateJob"));
                };
                match value {
                    Value::Id { job: got } if got == job => None,
                    _ => mismatch(format!("the GUID {job} of `{var}`")),
                }
            }
            Is::State(s) => {
                let state = resolve_state(s)?;
                match value {
                    Value::State { state: got } if *got == state => None,
                    _ => mismatch(format!("{} ({})", state.name(), state.value())),
                }
            }
            Is::Progress(p) => match value {
                Value::Progress(progress) => {
                    let got = match p.field {
                        ProgressField::BytesTotal => progress.bytes_total,
                        ProgressField::BytesTransferred => progress.bytes_transferred,
                        ProgressField::FilesTotal => u64::from(progress.files_total),
                        ProgressField::FilesTransferred => u64::from(progress.files_transferred),
                    };
                    if got == p.equals {
                        None
                    } else {
                        Some(format!("expected {:?} = {}, got {got}", p.field, p.equals))
                    }
                }
                _ => mismatch(format!(
                    "a BG_JOB_PROGRESS with {:?} = {}",
                    p.field, p.equals
                )),
            },
            Is::Text(t) => {
                let expected = self.text(t)?;
                match value {
                    Value::Text { text: Some(got) } if *got == expected => None,
                    _ => mismatch(format!("{expected:?}")),
                }
            }
            Is::TextNull => match value {
                Value::Text { text: None } => None,
                _ => mismatch("NULL".to_string()),
            },
        })
    }

    fn run_host(&mut self, host: &HostStep, role: &Role) -> Result<(), Stop> {
        let thread = self.thread;
        let create = |run: &mut Run<'_>, path: &str, bytes: u64| -> Result<(), Stop> {
            let out = run.world.apply(&Op::Host {
                op: simos::Op::Object(ObjectOp::Create {
                    thread,
                    path: path.to_string(),
                    kind: ObjectKind::File,
                    sddl: None,
                    desired: AccessMask::GENERIC_WRITE,
                }),
            });
            if !out.hr.succeeded() {
                run.check.fail(format!(
                    "{}host: creating {path} failed: {}",
                    role.describe(false),
                    out.hr
                ));
                return Err(Stop);
            }
            let out = run.world.apply(&Op::Publish {
                name: path.to_string(),
                bytes,
            });
            if !out.hr.succeeded() {
                return Err(run.broken(format!("publishing {path}: {}", out.hr)));
            }
            Ok(())
        };
        let delete = |run: &mut Run<'_>, path: &str| {
            run.world.apply(&Op::Host {
                op: simos::Op::Object(ObjectOp::Delete {
                    thread,
                    path: path.to_string(),
                }),
            });
        };
        match host {
            HostStep::TempFile(path) => {
                let path = self.text(path).map_err(|e| self.broken(e))?;
                create(self, &path, 0)
            }
            HostStep::MakeFile(f) => {
                if f.content.len() as u64 != f.bytes {
                    return Err(self.broken(format!(
                        "make_file {}: content is {} bytes, not {}",
                        f.path,
                        f.content.len(),
                        f.bytes
                    )));
                }
                let path = self.text(&f.path).map_err(|e| self.broken(e))?;
                delete(self, &path);
                create(self, &path, f.bytes)
            }
            HostStep::DeleteFile(path) => {
                let path = self.text(path).map_err(|e| self.broken(e))?;
                delete(self, &path);
                Ok(())
            }
        }
    }

    fn run_poll(&mut self, poll: &Poll, role: &Role) -> Result<(), Stop> {
        let pointer = self.pointer(&poll.on).map_err(|e| self.broken(e))?;
        let until = state_name(&poll.until).map_err(|e| self.broken(e))?;
        let resume_in = match &poll.resume_in {
            Some(s) => Some(state_name(s).map_err(|e| self.broken(e))?),
            None => None,
        };
        let sets = [poll.expect.as_ref(), poll.must.as_ref()];
        let mut allowed: Vec<(Vec<JobState>, u32, bool)> = Vec::new();
        let mut forbidden_last: Vec<(Vec<JobState>, u32, Option<String>, bool)> = Vec::new();
        for (index, checks) in sets.iter().enumerate() {
            let own = index == 0;
            let Some(checks) = checks else { continue };
            if let Some(set) = &checks.states_one_of {
                let states = set
                    .states
                    .iter()
                    .map(resolve_state)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| self.broken(e))?;
                allowed.push((states, set.line, own));
            }
            if let Some(set) = &checks.final_state_none_of {
                let states = set
                    .states
                    .iter()
                    .map(resolve_state)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| self.broken(e))?;
                forbidden_last.push((states, set.line, set.ok_at.clone(), own));
            }
        }
        let mut polls = 0;
        let mut last = None;
        let mut resumes = 0;
        while polls < poll.max {
            let drop_now = poll.network_drop_at_poll == Some(polls);
            if drop_now {
                self.world.apply(&Op::Network { up: false });
            }
            let out = self.world.apply(&Op::Bits {
                thread: self.thread,
                call: Call::Method {
                    pointer,
                    method: Method::GetState,
                },
            });
            let label = format!("IBackgroundCopyJob::GetState (poll {})", polls + 1);
            for (index, checks) in sets.iter().enumerate() {
                if let Some(check) = checks.and_then(|c| c.get_state.as_ref()) {
                    self.check_hr(&label, check, &out, role, index == 0)?;
                }
            }
            let Value::State { state } = out.value else {
                self.check.fail(format!(
                    "{}{label}: no state returned ({})",
                    role.describe(false),
                    out.hr
                ));
                return Err(Stop);
            };
            last = Some(state);
            for (states, line, own) in &allowed {
                if !states.contains(&state) {
                    self.failed(
                        role,
                        *own,
                        format!("{label}: state {state} [line {line}] is not one of {states:?}"),
                    )?;
                }
            }
            if Some(state) == resume_in {
                let out = self.world.apply(&Op::Bits {
                    thread: self.thread,
                    call: Call::Method {
                        pointer,
                        method: Method::Resume,
                    },
                });
                resumes += 1;
                for (index, checks) in sets.iter().enumerate() {
                    if let Some(check) = checks.and_then(|c| c.resume.as_ref()) {
                        self.check_hr(
                            &format!("IBackgroundCopyJob::Resume in {state}"),
                            check,
                            &out,
                            role,
                            index == 0,
                        )?;
                    }
                }
            }
            if drop_now {
                self.world.apply(&Op::Network { up: true });
            }
            if state == until {
                break;
            }
            let out = self.world.apply(&Op::Advance {
                ticks: poll.sleep_ticks,
            });
            if !out.hr.succeeded() {
                return Err(self.broken(format!("Advance: {}", out.hr)));
            }
            polls += 1;
        }
        for (index, checks) in sets.iter().enumerate() {
            let own = index == 0;
            let Some(checks) = checks else { continue };
            if let Some(reached) = &checks.reached {
                if polls >= poll.max {
                    self.failed(
                        role,
                        own,
                        format!(
                            "poll: {until} not reached in {} polls [line {}]; last state {last:?}",
                            poll.max, reached.line
                        ),
                    )?;
                }
            }
            if checks.resume.is_some() && resumes == 0 && poll.network_drop_at_poll.is_some() {
                self.failed(
                    role,
                    own,
                    format!(
                        "poll: the network was dropped but the job never read {}",
                        poll.resume_in.as_deref().unwrap_or("?")
                    ),
                )?;
            }
            if checks.resume.is_some() && resumes == 0 && own && matches!(role, Role::Own) {
                self.unreached.push(format!(
                    "{}: the poll never read {}, so the conditional Resume assertion was not made",
                    self.label,
                    poll.resume_in.as_deref().unwrap_or("?")
                ));
            }
        }
        for (states, line, ok_at, own) in &forbidden_last {
            if let Some(state) = last.filter(|s| states.contains(s)) {
                let at = ok_at
                    .as_deref()
                    .map(|a| format!(", {a}"))
                    .unwrap_or_default();
                self.failed(
                    role,
                    *own,
                    format!("poll: final state {state} [line {line}{at}]"),
                )?;
            }
        }
        Ok(())
    }
}

/// `CreateJob` → `create_job`.
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Replays one vector under one profile.
fn run_vector(file: &BitsFile, v: &Vector, profile: Profile) -> (VectorCheck, Vec<String>) {
    let mut check = VectorCheck::new(&v.id, Some(profile.name())).citing(
        &v.source.to_string(),
        "wine (an ok() outside todo_wine/broken, which passes on real Windows)",
        None,
        v.note.as_deref(),
    );
    let (world, thread) = match world(&file.context, profile) {
        Ok(w) => w,
        Err(e) => {
            check.fail(format!("environment: {e}"));
            return (check, Vec::new());
        }
    };
    let mut run = Run {
        file,
        world,
        thread,
        vars: BTreeMap::new(),
        check,
        label: format!("{}[{}]", v.id, profile.name()),
        unreached: Vec::new(),
    };
    let _ = replay(&mut run, file, v);
    (run.check, run.unreached)
}

fn replay(run: &mut Run<'_>, file: &BitsFile, v: &Vector) -> Result<(), Stop> {
    let fixture = match &v.fixture {
        Some(name) => Some(
            file.fixtures
                .get(name)
                .ok_or_else(|| run.broken(format!("no fixture `{name}`")))?,
        ),
        None => None,
    };
    if let Some(f) = fixture {
        run.run_steps(
            &f.process,
            &Role::Setup(format!("fixture {} process", f.source.path)),
        )?;
    }
    for name in &v.requires {
        let gate = file
            .gates
            .get(name)
            .ok_or_else(|| run.broken(format!("no gate `{name}`")))?;
        match gate.checked_by {
            GateCheck::Steps => run.run_steps(&gate.steps, &Role::Gate(name.clone()))?,
            GateCheck::Fixture => {
                let labelled = fixture
                    .is_some_and(|f| f.process.iter().any(|s| s.gate.as_ref() == Some(name)));
                if !labelled {
                    return Err(run.broken(format!(
                        "gate `{name}` is checked by the fixture, but the fixture has no step of it"
                    )));
                }
            }
            GateCheck::Environment => {}
        }
    }
    if let Some(f) = fixture {
        run.run_steps(
            &f.per_test,
            &Role::Setup(format!("fixture {} setup", f.source.path)),
        )?;
    }
    run.run_steps(&v.steps, &Role::Own)
}

// ---------------------------------------------------------------------------
// Tests.

#[test]
fn bits_vectors() -> TestResult {
    let file = load()?;
    let mut report = Report::new(FIXTURE_FILE);
    let mut unreached = Vec::new();
    for v in file.vectors.iter().filter(|v| v.skip.is_none()) {
        for profile in &file.context.profiles {
            let (check, notes) = run_vector(&file, v, *profile);
            report.record(check);
            unreached.extend(notes);
        }
    }
    for note in &unreached {
        println!("note: {note}");
    }
    Ok(report.finish()?)
}

/// Every vector of the BITS vector set (Wine's qmgr tests), by id.
const CARRIED: &[&str] = &[
    "enumfiles.getcount-two",
    "enumfiles.next1-fetched-walk",
    "enumfiles.next2-null-fetched-e_invalidarg",
    "enumfiles.skip-all-after-reset-ok",
    "enumfiles.skip1-past-end-s_false",
    "enumjobs.next-all-at-once",
    "enumjobs.next1-nullfetched-past-end-s_false",
    "enumjobs.reset-ok",
    "enumjobs.skip-all-ok",
    "enumjobs.skip1-walk-ok",
    "file.getremotename.verbatim",
    "job.addfileset.two-entries",
    "job.cancel.suspended-empty-job-ok",
    "job.completelocal.addfile-two",
    "job.completelocal.poll-states-allowed",
    "job.completelocal.transferred-within-30s",
    "job.completelocalurl.complete-ok",
    "job.completelocalurl.resume-from-transient-error",
    "job.enumfiles.create-after-addfile",
    "job.getid.equals-createjob-guid",
    "job.getprogress.fresh-job-all-zero",
    "job.http.acknowledged-after-complete",
    "job.http.complete-twice-invalid-state",
    "job.http.getcustomheaders-after-transfer-s_false-null",
    "job.http.geterror-after-transferred-unavailable",
    "job.http.getsecurityflags-default-zero",
    "job.http.resume-from-transient-error",
    "job.http.setcustomheaders-null-in-transferred-ok",
    "job.http.setnotifyinterface-callback-ok",
    "job.http.setsecurityflags-zero-ok",
    "job.resume.empty-job-state-stays-suspended",
    "qmgr.cocreateinstance-local-server-ok",
    "qmgr.enumjobs-ok",
];

/// The carried vectors marked `skip` (outside the model).
const SKIPPED: &[&str] = &[];

/// Vectors per source file.
const PER_SOURCE: &[(&str, usize)] = &[
    ("dlls/qmgr/tests/enum_files.c", 5),
    ("dlls/qmgr/tests/enum_jobs.c", 5),
    ("dlls/qmgr/tests/file.c", 1),
    ("dlls/qmgr/tests/job.c", 20),
    ("dlls/qmgr/tests/qmgr.c", 2),
];

#[test]
fn every_bits_vector_is_present_once() -> TestResult {
    let mut problems = Vec::new();
    let files = yaml_files(&bits_dir())?;
    let names: Vec<String> = files
        .iter()
        .filter_map(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    if names != [FIXTURE_FILE] {
        problems.push(format!(
            "fixture files are {names:?}, but the test runs only {FIXTURE_FILE}"
        ));
    }

    let headers = vector_headers(&bits_dir().join(FIXTURE_FILE))?;
    let mut seen = BTreeSet::new();
    for h in &headers {
        if !seen.insert(h.id.as_str()) {
            problems.push(format!("{h} appears more than once"));
        }
    }
    let expected: BTreeSet<&str> = CARRIED.iter().copied().collect();
    for missing in expected.difference(&seen) {
        problems.push(format!("{missing} is missing"));
    }
    for extra in seen.difference(&expected) {
        problems.push(format!("{extra} is not in the pinned list"));
    }
    if headers.len() != CARRIED.len() {
        problems.push(format!(
            "{} vectors, expected {}",
            headers.len(),
            CARRIED.len()
        ));
    }

    let file = load()?;
    let skipped: BTreeSet<&str> = file
        .vectors
        .iter()
        .filter(|v| v.skip.as_deref().is_some_and(|r| !r.trim().is_empty()))
        .map(|v| v.id.as_str())
        .collect();
    let pinned_skips: BTreeSet<&str> = SKIPPED.iter().copied().collect();
    if skipped != pinned_skips {
        problems.push(format!(
            "skipped vectors are {skipped:?}, but {pinned_skips:?} are pinned"
        ));
    }
    if file.vectors.iter().any(|v| v.skip.as_deref() == Some("")) {
        problems.push("a `skip` needs a reason".to_string());
    }

    let mut per_source: BTreeMap<&str, usize> = BTreeMap::new();
    for v in &file.vectors {
        if v.kind != "bits_calls" {
            problems.push(format!("{}: kind {}, not bits_calls", v.id, v.kind));
        }
        if v.source.repo != "wine-mirror/wine" {
            problems.push(format!("{}: source repo is {}", v.id, v.source.repo));
        }
        if v.source.function.is_empty() || matches!(v.source.line, Line::Range(_)) {
            problems.push(format!("{}: source needs a function and one line", v.id));
        }
        *per_source.entry(v.source.path.as_str()).or_default() += 1;
        if v.steps.is_empty() && v.skip.is_none() {
            problems.push(format!("{}: no steps", v.id));
        }
        for gate in &v.requires {
            if !file.gates.contains_key(gate) {
                problems.push(format!("{}: requires unknown gate {gate}", v.id));
            }
        }
    }
    let pinned: BTreeMap<&str, usize> = PER_SOURCE.iter().copied().collect();
    if per_source != pinned {
        problems.push(format!(
            "vectors per source file are {per_source:?}, pinned {pinned:?}"
        ));
    }
    for (name, gate) in &file.gates {
        if gate.location.is_empty() || gate.rule.is_empty() {
            problems.push(format!("gate {name} needs `where` and `rule`"));
        }
        if (gate.checked_by == GateCheck::Steps) == gate.steps.is_empty() {
            problems.push(format!(
                "gate {name}: `steps` go with `checked_by: steps`, and only there"
            ));
        }
    }
    if file.context.profiles.is_empty() {
        problems.push("context.profiles is empty".to_string());
    }
    for (name, s) in &file.sequences {
        if s.steps.is_empty() || s.source.repo != "wine-mirror/wine" {
            problems.push(format!("sequence {name} needs steps and a wine source"));
        }
        if file.vectors.iter().any(|v| &v.id == name) {
            problems.push(format!("sequence {name} has the id of a vector"));
        }
    }

    if problems.is_empty() {
        return Ok(());
    }
    Err(Box::new(ConformanceFailure(format!(
        "BITS vector inventory:\n  {}\n",
        problems.join("\n  ")
    ))))
}
