//! The built-in bounded models: `helper-tokens` and `impersonation`;
//! models declared by a scenario file's `explore` section
//! ([`from_universe_file`]); and models seeded by a scenario file with a
//! default universe (`--from`). The `impersonation` model is its library
//! file, `scenarios/explore/impersonation.yaml`.
//!
//! Each built-in model is a setup written in the scenario format (so a
//! counterexample can repeat it verbatim) plus a [`Universe`] over the
//! names the setup binds, plus the `sometimes` properties that prove the
//! search reached the situations the invariants are about.

use bits::job::token_flags;
use bits::mutants::Mutant;
use bits::{BitsEvent, Call, HResult, JobState, Method, Op, Profile, Rules};
use oracle::Transition;
use runner::run::Bound;
use simos::network::NetworkOp;

use crate::model::{JobAction, ModelError, Sometimes, Universe, WorldModel};

/// The setup of the `helper-tokens` model: an administrator (UAC, run as
/// administrator) in terminal session 1 and bob in session 2, each with a
/// token of the other's at hand, and a download job per owner that only
/// bob's identity can complete.
pub const HELPER_TOKENS_SETUP: &str = r#"name: model-helper-tokens
about: Bounded model of the helper-token rules (seed 000-002).
host:
  files:
    - { path: 'C:\Drop', kind: directory, sddl: 'O:BAG:SYD:(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;S-1-5-21-10-20-30-1101)' }
  servers:
    - { name: intranet, kind: http, machine: WEB, spn: HTTP/web.corp.example, sddl: 'D:(A;;FA;;;S-1-5-21-10-20-30-1101)' }
  content:
    'http://intranet/report.bin': 2000
steps:
  - logon: { user: admin, session: 1 }
  - run_as_admin: { thread: admin, as: elevated }
  - CoInitializeSecurity: { thread: elevated, level: impersonation, cloaking: dynamic }
  - logon: { user: bob, session: 2 }
  - CoInitializeSecurity: { thread: bob, level: impersonation, cloaking: dynamic }
  - LogonUser: { thread: elevated, user: bob, type: interactive, as: bob_token }
  - LogonUser: { thread: bob, user: admin, type: batch, as: admin_token }
  - CreateJob: { thread: bob, as: bob_job }
  - AddFile: { thread: bob, job: bob_job, remote: 'http://intranet/report.bin', local: 'C:\Drop\bob.bin' }
  - QueryInterface: { thread: bob, job: bob_job, interface: IBackgroundCopyJob2, as: bob_job2 }
  - SetCredentials: { thread: bob, job: bob_job2, target: BG_AUTH_TARGET_SERVER, scheme: BG_AUTH_SCHEME_NEGOTIATE, user: null, password: null }
"#;

/// The second job of the `helper-tokens` model (with `jobs: 2`): the
/// administrator's, which reaches the server only as bob's helper token.
const HELPER_TOKENS_SECOND_JOB: &str = r#"  - CreateJob: { thread: elevated, as: admin_job }
  - AddFile: { thread: elevated, job: admin_job, remote: 'http://intranet/report.bin', local: 'C:\Drop\admin.bin' }
  - QueryInterface: { thread: elevated, job: admin_job, interface: IBackgroundCopyJob2, as: admin_job2 }
  - SetCredentials: { thread: elevated, job: admin_job2, target: BG_AUTH_TARGET_SERVER, scheme: BG_AUTH_SCHEME_NEGOTIATE, user: null, password: null }
"#;

/// Where IBitsTokenOptions exists, the administrator's job starts with a
/// token-options pointer and BG_TOKEN_NETWORK set (the seed's order:
/// flags, then a helper token), so that a helper-token transfer is five
/// operations away.
const HELPER_TOKENS_SECOND_JOB_FLAGS: &str = r#"  - QueryInterface: { thread: elevated, job: admin_job, interface: IBitsTokenOptions, as: admin_options }
  - SetHelperTokenFlags: { thread: elevated, job: admin_options, value: BG_TOKEN_NETWORK }
"#;

/// The `impersonation` universe (`scenarios/explore/impersonation.yaml`):
/// a web application on WEB running as NetworkService, which may log
/// alice on with each logon type, impersonate the result and reach the
/// file server (the second hop of [WCF-DI]).
pub const IMPERSONATION_SETUP: &str = include_str!("../../../scenarios/explore/impersonation.yaml");

/// The size of the `helper-tokens` model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelperTokens {
    /// 1 (bob's job) or 2 (bob's and the administrator's).
    pub jobs: usize,
    /// Let the administrator retrieve bob's job with GetJob.
    pub get_job: bool,
}

impl Default for HelperTokens {
    fn default() -> HelperTokens {
        HelperTokens {
            jobs: 2,
            get_job: false,
        }
    }
}

fn load(text: &str, file: &str) -> Result<scenario::Scenario, ModelError> {
    runner::load(file, text).map_err(|e| ModelError(e.to_string()))
}

/// The `helper-tokens` model under `profile` (and `mutant`).
pub fn helper_tokens(
    profile: Profile,
    mutant: Option<&'static Mutant>,
    size: HelperTokens,
) -> Result<WorldModel, ModelError> {
    let mut text = HELPER_TOKENS_SETUP.to_string();
    if size.jobs >= 2 {
        text.push_str(HELPER_TOKENS_SECOND_JOB);
        if profile.rules().token_options {
            text.push_str(HELPER_TOKENS_SECOND_JOB_FLAGS);
        }
    }
    let setup = load(&text, "model-helper-tokens.yaml")?;
    let universe = Universe {
        actors: vec!["elevated".into(), "bob".into()],
        tokens: vec!["bob_token".into(), "admin_token".into()],
        job_actions: vec![JobAction::Resume, JobAction::Complete],
        token_options: true,
        get_job: size.get_job,
        set_helper: true,
        helper_flags: vec![token_flags::NETWORK],
        clear_helper: true,
        logoff: vec!["bob".into(), "admin".into()],
        end_sessions: vec![1, 2],
        advance: Some(2),
        advance_to_deadline: false,
        logon_users: Vec::new(),
        servers: Vec::new(),
        impersonate_logons: false,
        network: false,
        symmetric: Vec::new(),
    };
    let sometimes = helper_token_properties(profile.rules(), size);
    WorldModel::new(
        "helper-tokens",
        setup,
        &text,
        profile,
        mutant,
        universe,
        sometimes,
    )
}

fn helper_token_properties(rules: Rules, size: HelperTokens) -> Vec<Sometimes> {
    let mut out = Vec::new();
    if !rules.token_options {
        out.push(Sometimes::new(
            "no-token-options",
            "QueryInterface for IBitsTokenOptions answers E_NOINTERFACE",
            |t| {
                matches!(
                    t.op,
                    Op::Bits {
                        call: Call::QueryInterface { .. },
                        ..
                    }
                ) && t.outcome.hr == HResult::ENoInterface
            },
        ));
        return out;
    }
    out.push(Sometimes::new(
        "helper-set",
        "SetHelperToken stores a helper token on a job",
        |t| {
            t.outcome
                .events
                .iter()
                .any(|e| matches!(e, BitsEvent::HelperTokenSet { .. }))
        },
    ));
    out.push(Sometimes::new(
        "helper-refused",
        "a SetHelperToken is refused with E_ACCESSDENIED",
        |t| {
            matches!(
                t.op,
                Op::Bits {
                    call: Call::Method {
                        method: Method::SetHelperToken,
                        ..
                    },
                    ..
                }
            ) && t.outcome.hr == HResult::EAccessDenied
        },
    ));
    out.push(Sometimes::new(
        "token-required",
        "a job loses its helper token and goes to ERROR with BG_E_TOKEN_REQUIRED",
        |t| {
            t.outcome.events.iter().any(|e| {
                matches!(
                    e,
                    BitsEvent::StateChanged {
                        to: JobState::Error,
                        code: Some(HResult::BgETokenRequired),
                        ..
                    }
                )
            })
        },
    ));
    if size.jobs >= 2 || rules.non_admin_helper_token {
        out.push(Sometimes::new(
            "helper-transfer",
            "a job reaches TRANSFERRED after the server was reached as its helper token",
            transferred_as_helper,
        ));
    }
    if rules.non_admin_helper_token {
        out.push(Sometimes::new(
            "non-admin-helper",
            "a helper token is stored on a job whose owner is not an administrator (the 1607 rule)",
            |t| {
                t.outcome.events.iter().any(|e| match e {
                    BitsEvent::HelperTokenSet { job, .. } => {
                        t.after.job(*job).is_some_and(|j| !j.owner.admin)
                    }
                    _ => false,
                })
            },
        ));
    }
    out
}

fn transferred_as_helper(t: &Transition<'_>) -> bool {
    t.outcome.events.iter().any(|e| match e {
        BitsEvent::StateChanged {
            job,
            to: JobState::Transferred,
            ..
        } => t
            .after
            .job(*job)
            .is_some_and(|j| j.helper.is_some() && j.helper_flags & token_flags::NETWORK != 0),
        _ => false,
    })
}

/// The `impersonation` model under `profile` (and `mutant`).
pub fn impersonation(
    profile: Profile,
    mutant: Option<&'static Mutant>,
) -> Result<WorldModel, ModelError> {
    let setup = load(IMPERSONATION_SETUP, "scenarios/explore/impersonation.yaml")?;
    let universe = match &setup.explore {
        Some(spec) => Universe::from_spec(spec)?,
        None => {
            return Err(ModelError(
                "the impersonation universe has no explore section".into(),
            ))
        }
    };
    let sometimes = vec![
        Sometimes::new(
            "remote-sees-user",
            "the file server sees alice and grants the access",
            |t| remote_saw(t, |account| account.ends_with("\\alice")),
        ),
        Sometimes::new(
            "remote-sees-anonymous",
            "the file server sees ANONYMOUS LOGON (a token without network credentials)",
            |t| remote_saw(t, |account| account.ends_with("ANONYMOUS LOGON")),
        ),
    ];
    WorldModel::new(
        "impersonation",
        setup,
        IMPERSONATION_SETUP,
        profile,
        mutant,
        universe,
        sometimes,
    )
}

fn remote_saw(t: &Transition<'_>, who: fn(&str) -> bool) -> bool {
    if !matches!(
        t.op,
        Op::Host {
            op: simos::Op::Network(NetworkOp::Access { .. })
        }
    ) {
        return false;
    }
    match t.outcome.host_result.as_ref().and_then(|r| r.value()) {
        Some(simos::Value::Remote(r)) => r.identity.as_ref().is_some_and(|i| who(&i.account)),
        _ => false,
    }
}

/// A model seeded by a scenario file: its host and steps are the setup;
/// every thread it binds acts, every token it binds may be impersonated,
/// every job pointer it holds is used.
pub fn from_scenario(
    text: &str,
    file: &str,
    profile: Profile,
    mutant: Option<&'static Mutant>,
) -> Result<WorldModel, ModelError> {
    let setup = load(text, file)?;
    let prepared = runner::run::prepare(&setup, text, profile, mutant).map_err(ModelError)?;
    let mut actors = Vec::new();
    let mut tokens = Vec::new();
    for (name, b) in &prepared.names {
        match b {
            Bound::Thread(t) if *t != prepared.world.bits.thread => actors.push(name.clone()),
            Bound::Token(_) => tokens.push(name.clone()),
            _ => {}
        }
    }
    let universe = Universe {
        logoff: actors.clone(),
        actors,
        tokens,
        job_actions: vec![JobAction::Resume, JobAction::Complete],
        token_options: true,
        set_helper: true,
        helper_flags: vec![token_flags::NETWORK],
        clear_helper: true,
        advance: Some(2),
        ..Universe::default()
    };
    let name = format!("from {file}");
    WorldModel::new(&name, setup, text, profile, mutant, universe, Vec::new())
}

/// A model declared by a scenario file: its host and steps are the
/// setup, its `explore` section the universe. `name` names the model in
/// reports (the file's path, for a file given on the command line).
pub fn from_universe_file(
    text: &str,
    file: &str,
    profile: Profile,
    mutant: Option<&'static Mutant>,
) -> Result<WorldModel, ModelError> {
    let setup = load(text, file)?;
    let Some(spec) = &setup.explore else {
        return Err(ModelError(format!(
            "{file}: the scenario has no `explore` section saying what may happen after its steps (docs/scenarios.md, \"Exploration universes\"); `--from {file}` explores a default universe over every name it binds"
        )));
    };
    let universe = Universe::from_spec(spec)?;
    WorldModel::new(file, setup, text, profile, mutant, universe, Vec::new()).map_err(|e| {
        // A refused symmetry points at the `symmetric` key.
        if e.0.starts_with("explore.symmetric") {
            let at = scenario::locate::Locator::new(text).in_section("explore", "symmetric");
            ModelError(format!("{file}:{}:{}: {}", at.line, at.column, e.0))
        } else {
            e
        }
    })
}

/// The built-in model names.
pub const NAMES: &[&str] = &["helper-tokens", "impersonation"];

/// A built-in model by name.
pub fn by_name(
    name: &str,
    profile: Profile,
    mutant: Option<&'static Mutant>,
    jobs: usize,
) -> Result<WorldModel, ModelError> {
    match name {
        "helper-tokens" => helper_tokens(
            profile,
            mutant,
            HelperTokens {
                jobs,
                ..HelperTokens::default()
            },
        ),
        "impersonation" => impersonation(profile, mutant),
        other => Err(ModelError(format!(
            "unknown model `{other}`; expected one of {}",
            NAMES.join(", ")
        ))),
    }
}
