//! The model's side of loading: what a scenario may only name when the
//! model knows it. Policy mutants, the host section (built as the run
//! would build it), result names (HRESULTs, Win32 errors, HTTP statuses),
//! privileges, access masks, SDDL strings, and every account or group an
//! expectation or call names, resolved on the host the scenario describes.
//!
//! The checks call the same functions the run calls (`host::build`,
//! `host::resolve`, `HResult::from_name`, `Privilege::from_name`,
//! `AccessMask::parse_expr`, the SDDL parser), so what loads is what
//! runs; every problem is reported with its step and word.

use bits::HResult;
use scenario::format::{Scenario, Step, TokenFacts};
use scenario::load::{expected_of, Finding, Indices, Semantics, Site};
use winsec::{AccessMask, Privilege, Win32Error};

use crate::host;

/// The model's checks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Model;

impl Semantics for Model {
    fn check(&self, scenario: &Scenario, at: &Indices) -> Vec<Finding> {
        let mut out = Vec::new();
        if let Some(name) = &scenario.mutant {
            if bits::mutants::mutant(name).is_none() {
                let names: Vec<&str> = bits::mutants::MUTANTS
                    .iter()
                    .chain(bits::mutants::PLANTED)
                    .map(|m| m.name)
                    .collect();
                out.push(
                    Finding::new(
                        Site::Top("mutant"),
                        name,
                        format!("unknown mutant `{name}`"),
                    )
                    .expected(format!("one of {}", names.join(", ")))
                    .near(names.iter().copied()),
                );
            }
        }
        let profile = crate::run::profiles_of(scenario)
            .first()
            .copied()
            .unwrap_or(bits::Profile::Win11);
        // Imported files are read after loading, by the command line; the
        // checks here do not depend on what they hold.
        let unread;
        let spec = if scenario.host.import.is_some() && !scenario.host.imported.read {
            unread = scenario::format::HostSpec {
                import: None,
                ..scenario.host.clone()
            };
            &unread
        } else {
            &scenario.host
        };
        let world = match host::build(spec, profile.rules()) {
            Ok(world) => Some(world),
            Err(e) => {
                let mut f = Finding::new(Site::Host, &e.word, e.message);
                f.expected = e.expected;
                out.push(f);
                None
            }
        };
        for (step, &i) in scenario.steps.iter().zip(&at.steps) {
            let mut check = StepCheck {
                at: Site::Step(i),
                out: &mut out,
                world: world.as_ref(),
            };
            check.step(step);
        }
        if let (Some(world), Some(e)) = (world.as_ref(), scenario.explore.as_ref()) {
            for name in e.symmetric.iter().flatten() {
                let sid = host::resolve(&world.host, &world.bits.machine, name);
                let user = sid.as_ref().is_some_and(|sid| {
                    world.host.domain.as_ref().is_some_and(|d| {
                        d.accounts
                            .values()
                            .any(|u| &u.sid == sid && u.kind == simos::PrincipalKind::User)
                    }) || world
                        .host
                        .machines
                        .values()
                        .any(|m| m.accounts.values().any(|u| &u.sid == sid))
                });
                if !user {
                    let candidates = host::account_names(&world.host, &world.bits.machine);
                    out.push(
                        Finding::new(
                            Site::Top("explore"),
                            name,
                            format!("explore.symmetric: no user account is named `{name}`"),
                        )
                        .key("symmetric")
                        .expected("a domain or local user account")
                        .near(candidates.iter().map(String::as_str)),
                    );
                }
            }
        }
        for (p, &i) in scenario.properties.iter().zip(&at.properties) {
            if let Some((_, observation)) = p.body() {
                let mut check = StepCheck {
                    at: Site::Property(i),
                    out: &mut out,
                    world: world.as_ref(),
                };
                check.step(&observation.as_step());
            }
        }
        out
    }
}

/// The checks of one step.
struct StepCheck<'a> {
    at: Site,
    out: &'a mut Vec<Finding>,
    world: Option<&'a bits::World>,
}

impl StepCheck<'_> {
    fn step(&mut self, step: &Step) {
        if let Some(expected) = expected_of(step) {
            for name in expected.names() {
                self.result("expect", name, false);
            }
        }
        match step {
            Step::Expect(e) => {
                if let Some(err) = &e.error {
                    for name in err.values() {
                        self.result("error", name, true);
                    }
                }
                if let Some(o) = &e.owner {
                    self.account("owner", o);
                }
                if let Some(h) = e.helper_token.as_deref().filter(|h| *h != "none") {
                    self.account("helper_token", h);
                }
            }
            Step::ExpectThread(e) => self.token_facts(&e.facts()),
            Step::ExpectToken(e) => self.token_facts(&e.facts()),
            Step::ExpectAccess(e) => {
                if let Some(u) = &e.user {
                    self.account("user", u);
                }
            }
            Step::AccessServer(c) => {
                if let Some(saw) = &c.saw {
                    self.account("saw", saw);
                }
                if let Some(d) = &c.desired {
                    self.mask("desired", d);
                }
            }
            Step::CreateFile(c)
            | Step::OpenFile(c)
            | Step::SetFileSecurity(c)
            | Step::DeleteFile(c) => {
                if let Some(who) = &c.checked_as {
                    self.account("checked_as", who);
                }
                if let Some(d) = &c.desired {
                    self.mask("desired", d);
                }
                if let Some(g) = &c.granted {
                    self.mask("granted", g);
                }
                if let Some(sddl) = &c.sddl {
                    self.sddl("sddl", sddl);
                }
            }
            Step::CreatePrivateObjectSecurity(c) => {
                for (key, text) in [
                    ("parent", &c.parent),
                    ("creator", &c.creator),
                    ("sddl", &c.sddl),
                ] {
                    if let Some(text) = text {
                        self.sddl(key, text);
                    }
                }
            }
            Step::AccessCheck(c) => {
                if let Some(who) = &c.principal_self {
                    self.account("principal_self", who);
                }
                for t in &c.object_types {
                    if let Err(message) = crate::run::object_type(t) {
                        self.push(Finding::new(self.at, t, message).key("object_types"));
                    }
                }
                for r in c.results.iter().filter(|r| *r != "denied") {
                    self.mask("results", r);
                }
                if !c.results.is_empty() && !c.result_list {
                    self.push(
                        Finding::new(
                            self.at,
                            "results",
                            "`results` needs `result_list: true`".to_string(),
                        )
                        .key("results"),
                    );
                }
                self.mask("desired", &c.desired);
                if let Some(g) = &c.granted {
                    self.mask("granted", g);
                }
                if let Some(sddl) = &c.sddl {
                    self.sddl("sddl", sddl);
                }
            }
            // A logon expected to succeed names an account that exists;
            // one expected to fail may name any (ERROR_LOGON_FAILURE for
            // an unknown user is Windows behaviour a scenario can check).
            Step::Logon(l) if l.expect.is_none() => self.logon_account(&l.user),
            Step::LogonUser(l) if l.expect.is_none() => self.logon_account(&l.user),
            Step::SetAcl(a) => self.sddl("sddl", &a.sddl),
            Step::CreateRestrictedToken(c) => {
                self.accounts(&c.disable);
                self.accounts(&c.restrict);
                for p in &c.delete_privileges {
                    self.privilege(p);
                }
            }
            Step::AdjustTokenPrivileges(c) => {
                for p in c.enable.iter().chain(&c.disable) {
                    self.privilege(p);
                }
            }
            Step::ExpectServer(e) => {
                if let Some(saw) = e.saw.as_deref().filter(|s| *s != "nobody") {
                    self.account("saw", saw);
                }
            }
            Step::SetProperty(c) => {
                if let Err(message) = crate::run::property_value(c.property.get(), &c.value) {
                    self.push(Finding::new(self.at, &c.value.0, message).key("value"));
                }
            }
            Step::GetProperty(c) => {
                if let Some(r) = &c.returns {
                    if let Err(message) = crate::run::property_value(c.property.get(), r) {
                        self.push(Finding::new(self.at, &r.0, message).key("returns"));
                    }
                }
            }
            Step::WebRequest(w) => {
                if let Some(status) = &w.status {
                    self.status(status);
                }
            }
            _ => {}
        }
    }

    fn token_facts(&mut self, f: &TokenFacts<'_>) {
        if let Some(u) = f.user {
            self.account("user", u);
        }
        self.accounts(f.enabled);
        self.accounts(f.not_enabled);
        for g in f.groups {
            self.account("group", &g.group);
        }
        if let Some(p) = f.privileges {
            for name in p
                .held
                .iter()
                .chain(&p.enabled)
                .chain(&p.disabled)
                .chain(&p.absent)
            {
                self.privilege(name);
            }
        }
    }

    fn push(&mut self, f: Finding) {
        self.out.push(f);
    }

    /// A result name: an HRESULT, a Win32 error, hex, `success`, `any`
    /// (and `none` for a job's error).
    fn result(&mut self, key: &'static str, name: &str, none_allowed: bool) {
        let known = matches!(name, "success" | "any")
            || (none_allowed && name == "none")
            || HResult::from_name(name).is_some()
            || Win32Error::from_name(name).is_some()
            || name
                .strip_prefix("0x")
                .or_else(|| name.strip_prefix("0X"))
                .is_some_and(|h| u32::from_str_radix(h, 16).is_ok());
        if !known {
            self.push(
                Finding::new(self.at, name, format!("unknown result `{name}`"))
                    .key(key)
                    .expected("an HRESULT (S_OK, E_ACCESSDENIED, BG_E_TOKEN_REQUIRED, BG_E_HTTP_ERROR_401), a Win32 error (ERROR_ACCESS_DENIED), 0x hex, success or any")
                    .near(result_names().iter().map(String::as_str)),
            );
        }
    }

    /// An HTTP status (`200`, `500.24`) or a Win32 error name.
    fn status(&mut self, status: &str) {
        let numeric = status.split_once('.').map_or(status, |(s, sub)| {
            if sub.chars().all(|c| c.is_ascii_digit()) {
                s
            } else {
                ""
            }
        });
        let http = numeric.len() == 3 && numeric.chars().all(|c| c.is_ascii_digit());
        if !http && Win32Error::from_name(status).is_none() {
            self.push(
                Finding::new(self.at, status, format!("unknown status `{status}`"))
                    .key("status")
                    .expected("an HTTP status (200, 401, 500.24) or a Win32 error name")
                    .near(Win32Error::ALL.iter().map(|e| e.name())),
            );
        }
    }

    /// An account or group, resolved on the BITS machine as the run does.
    fn account(&mut self, key: &'static str, name: &str) {
        let Some(world) = self.world else {
            return;
        };
        if host::resolve(&world.host, &world.bits.machine, name).is_some() {
            return;
        }
        let candidates = host::account_names(&world.host, &world.bits.machine);
        self.push(
            Finding::new(
                self.at,
                name,
                format!("no account or group is named `{name}`"),
            )
            .key(key)
            .expected("a domain or local account, a group, a well-known name or a SID")
            .near(candidates.iter().map(String::as_str)),
        );
    }

    /// The account of a logon expected to succeed: a domain account or a
    /// local account of any machine of the host.
    fn logon_account(&mut self, name: &str) {
        let Some(world) = self.world else {
            return;
        };
        let machines: Vec<String> = world.host.machines.keys().cloned().collect();
        if machines
            .iter()
            .any(|m| host::resolve(&world.host, m, name).is_some())
        {
            return;
        }
        let candidates: Vec<String> = machines
            .iter()
            .flat_map(|m| host::account_names(&world.host, m))
            .collect();
        self.push(
            Finding::new(
                self.at,
                name,
                format!("no account is named `{name}`, and the logon is expected to succeed"),
            )
            .key("user")
            .expected("a domain account or a local account of one of the host's machines (or an `expect:` naming the failure)")
            .near(candidates.iter().map(String::as_str)),
        );
    }

    fn accounts(&mut self, names: &[String]) {
        for n in names {
            self.account("enabled", n);
        }
    }

    fn privilege(&mut self, name: &str) {
        if Privilege::from_name(name).is_none() {
            self.push(
                Finding::new(self.at, name, format!("unknown privilege `{name}`"))
                    .expected("a privilege name such as SeShutdownPrivilege or SeBackupPrivilege")
                    .near(Privilege::ALL.iter().map(|p| p.name())),
            );
        }
    }

    fn mask(&mut self, key: &'static str, text: &str) {
        if AccessMask::parse_expr(text).is_err() {
            self.push(
                Finding::new(self.at, text, format!("`{text}` is not an access mask"))
                    .key(key)
                    .expected("GENERIC_READ, FILE_ALL_ACCESS|WRITE_DAC, 0x120089, ..."),
            );
        }
    }

    fn sddl(&mut self, key: &'static str, text: &str) {
        let ctx = match self.world {
            Some(w) => w.host.domain_context(&w.bits.machine),
            None => winsec::DomainContext::default(),
        };
        if let Err(e) = winsec::sddl::parse(text, &ctx) {
            self.push(
                Finding::new(
                    self.at,
                    text,
                    format!("`{text}` is not a security descriptor: {e}"),
                )
                .key(key)
                .expected("a security descriptor in SDDL (O:BAG:SYD:(A;;FA;;;BA))"),
            );
        }
    }
}

/// Every result name the model knows, for hints.
fn result_names() -> Vec<String> {
    let mut out: Vec<String> = HResult::NAMED.iter().map(|h| h.name()).collect();
    out.extend(Win32Error::ALL.iter().map(|e| e.name().to_string()));
    out.extend(["success".to_string(), "any".to_string()]);
    out
}
