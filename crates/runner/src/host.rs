//! Building the world a scenario runs in from its `host` section, and
//! resolving the account names scenarios write to SIDs.
//!
//! The `corp` base is itself a host section in the scenario format
//! ([`CORP`]), built by the same code as any scenario's additions.

use std::collections::BTreeSet;

use bits::{Op, Rules, World};
use simos::network::{AuthScheme, NetworkOp, Server};
use simos::objects::ObjectOp;
use simos::policy::{LogonRight, UserRight};
use simos::{Domain, Host, Machine, PrincipalKind};
use winsec::well_known::{self, sids};
use winsec::{Privilege, Sid};

use scenario::format::{AccountKind, Base, HostSpec};
use scenario::names::{self, Named};

use crate::vocab;

/// The `corp` base host, written in the scenario format.
pub const CORP: &str = r#"
base: empty
domain: { name: CORP, dns: corp.example, sid: S-1-5-21-10-20-30 }
users:
  - { name: alice }
  - { name: bob }
  - { name: carol }
  - { name: admin }
  - { name: svc-web, kind: service, spns: [HTTP/web.corp.example] }
  - { name: WS01$, kind: computer }
  - { name: WEB$, kind: computer }
  - { name: FS$, kind: computer, spns: [cifs/fs.corp.example] }
machines:
  - { name: WS01, uac: true, administrators: [admin] }
  - { name: WEB, grant: { SeServiceLogonRight: [svc-web] } }
  - { name: FS }
files:
  - { path: 'C:\', kind: directory, sddl: 'O:BAG:SYD:(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)' }
  - { path: 'C:\Public', kind: directory, sddl: 'O:BAG:SYD:(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;AU)' }
  - { path: 'C:\Program Files\App', kind: directory, sddl: 'O:BAG:SYD:(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)' }
servers:
  - { name: web, kind: http, machine: WEB, spn: HTTP/web.corp.example, sddl: 'D:(A;;FA;;;DU)(A;;FA;;;DC)' }
  - { name: fs, kind: smb_share, machine: FS, spn: cifs/fs.corp.example, sddl: 'D:(A;;FA;;;DU)(A;;FA;;;DC)' }
content:
  'http://web/file.bin': 3000
  '\\fs\share\file.bin': 3000
bits: { machine: WS01, bytes_per_tick: 1000 }
"#;

/// Something in a `host` section that cannot be built: the offending text
/// (to find its position) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostError {
    /// The word to point at.
    pub word: String,
    /// What is wrong.
    pub message: String,
    /// What was expected.
    pub expected: Option<String>,
}

fn host_err(word: &str, message: String, expected: &str) -> HostError {
    HostError {
        word: word.to_string(),
        message,
        expected: Some(expected.to_string()),
    }
}

/// The default password of an account: its name followed by `-pw`.
pub fn default_password(name: &str) -> String {
    let bare = name.rsplit('\\').next().unwrap_or(name);
    let bare = bare.split('@').next().unwrap_or(bare);
    format!("{bare}-pw")
}

/// The SID of an account or group as a scenario names it: a domain
/// account (`alice`, `alice@corp.example`, `CORP\alice`), a domain group
/// (`Domain Users`), a local account of `machine` (or `MACHINE\name`), a
/// well-known name (`SYSTEM`, `Administrators`), an SDDL alias or a SID
/// string.
pub fn resolve(host: &Host, machine: &str, name: &str) -> Option<Sid> {
    if let Some((prefix, rest)) = name.split_once('\\') {
        if let Some(d) = &*host.domain {
            if d.name.eq_ignore_ascii_case(prefix) {
                return domain_sid_of(d, rest);
            }
        }
        if let Some(m) = host.machine(prefix) {
            return local_sid_of(m, rest);
        }
    }
    if let Some(sid) = host.domain.as_ref().and_then(|d| domain_sid_of(d, name)) {
        return Some(sid);
    }
    if let Some(sid) = host.machine(machine).and_then(|m| local_sid_of(m, name)) {
        return Some(sid);
    }
    if let Some(sid) = service_identity(name) {
        return Some(sid);
    }
    well_known::resolve(name, &host.domain_context(machine))
}

/// The built-in service identities as `start_service` and app pools name
/// them (`LocalSystem`, `LocalService`, `NetworkService`), so checks can
/// use the same words (Windows shows them as SYSTEM, LOCAL SERVICE and
/// NETWORK SERVICE, which resolve too).
fn service_identity(name: &str) -> Option<Sid> {
    match name.to_ascii_lowercase().as_str() {
        "localsystem" => Some(sids::local_system()),
        "localservice" => Some(sids::local_service()),
        "networkservice" => Some(sids::network_service()),
        _ => None,
    }
}

fn domain_sid_of(d: &Domain, name: &str) -> Option<Sid> {
    d.account(name)
        .map(|a| a.sid.clone())
        .or_else(|| d.groups.get(&name.to_ascii_lowercase()).cloned())
}

fn local_sid_of(m: &Machine, name: &str) -> Option<Sid> {
    m.account(name).map(|a| a.sid.clone()).or_else(|| {
        m.groups
            .get(&name.to_ascii_lowercase())
            .map(|g| g.sid.clone())
    })
}

/// Builds the world of a host section under `rules`.
pub fn build(spec: &HostSpec, rules: Rules) -> Result<World, HostError> {
    let mut host = Host::new();
    host.rules.logon_user_requires_tcb = spec.logon_user_requires_tcb;
    let mut bits_machine = None;
    let mut content = Vec::new();
    let mut policy = bits::world::Policy::default();
    if spec.base == Base::Corp {
        let corp: HostSpec = serde_yaml::from_str(CORP).map_err(|e| HostError {
            word: String::new(),
            message: format!("the built-in corp host does not load: {e}"),
            expected: None,
        })?;
        apply(
            &corp,
            &mut host,
            &mut bits_machine,
            &mut content,
            &mut policy,
        )?;
    }
    apply(
        spec,
        &mut host,
        &mut bits_machine,
        &mut content,
        &mut policy,
    )?;
    let machine = bits_machine
        .or_else(|| host.machines.values().next().map(|m| m.name.clone()))
        .ok_or_else(|| HostError {
            word: "machines".to_string(),
            message: "the host has no machine for BITS to run on".to_string(),
            expected: Some("at least one machine".to_string()),
        })?;
    let mut world = World::new(host, &machine, rules)
        .map_err(|e| host_err(&machine, e.to_string(), "the name of a declared machine"))?;
    world.bits.policy = policy;
    for (name, bytes) in content {
        world.apply(&Op::Publish { name, bytes });
    }
    Ok(world)
}

/// Puts `files` on the host, each on its machine or on `default_machine`.
fn define_objects(
    host: &mut Host,
    files: &[scenario::format::ObjectSpec],
    default_machine: &str,
) -> Result<(), HostError> {
    for f in files {
        let machine = f
            .machine
            .clone()
            .unwrap_or_else(|| default_machine.to_string());
        let kind = vocab::object_kind(f.kind.as_ref().map_or(names::ObjectKind::File, Named::get));
        let out = host.apply(&simos::Op::Object(ObjectOp::Define {
            machine: machine.clone(),
            path: f.path.clone(),
            kind,
            sddl: f.sddl.clone(),
        }));
        if let Some(e) = out.result.error() {
            return Err(host_err(
                &f.sddl,
                format!("`{}` on {machine} cannot be defined: {}", f.path, e.name()),
                "a valid SDDL security descriptor on a declared machine",
            ));
        }
    }
    Ok(())
}

fn imports_unread(import: &scenario::format::ImportSpec) -> HostError {
    let first = import
        .tokens
        .values()
        .chain(&import.objects)
        .next()
        .cloned()
        .unwrap_or_default();
    host_err(
        &first,
        "the files `import` names were not read: imported files are read by the bitsim command line, next to the scenario file".to_string(),
        "a scenario run with `bitsim run` or `bitsim check`",
    )
}

/// Puts the imported tokens of `spec` on the world's host
/// (`LSA-IMPORTED-TOKEN`) and returns the name each is bound to.
pub fn import_tokens(
    world: &mut World,
    spec: &HostSpec,
) -> Result<Vec<(String, simos::ids::TokenId)>, HostError> {
    let Some(import) = &spec.import else {
        return Ok(Vec::new());
    };
    if !spec.imported.read {
        return Err(imports_unread(import));
    }
    let machine = import
        .machine
        .clone()
        .unwrap_or_else(|| world.bits.machine.clone());
    let mut bound = Vec::new();
    for (name, file) in &import.tokens {
        let text = spec
            .imported
            .tokens
            .get(name)
            .ok_or_else(|| imports_unread(import))?;
        let token_spec: winsec::TokenSpec = serde_yaml::from_str(text).map_err(|e| {
            host_err(
                file,
                format!("token file `{file}` does not load: {e}"),
                "a token file as `bitsim import whoami` writes it",
            )
        })?;
        let id = world
            .host
            .define_token(&machine, token_spec.build())
            .map_err(|e| {
                host_err(
                    file,
                    format!("token `{name}` cannot be put on `{machine}`: {}", e.name()),
                    "the name of a declared machine",
                )
            })?;
        bound.push((name.clone(), id));
    }
    Ok(bound)
}

fn apply(
    spec: &HostSpec,
    host: &mut Host,
    bits_machine: &mut Option<String>,
    content: &mut Vec<(String, u64)>,
    policy: &mut bits::world::Policy,
) -> Result<(), HostError> {
    if let Some(d) = &spec.domain {
        let sid: Sid = d.sid.parse().map_err(|_| {
            host_err(
                &d.sid,
                format!("`{}` is not a SID", d.sid),
                "a domain SID such as S-1-5-21-10-20-30",
            )
        })?;
        host.domain = Some(Domain::new(&d.name, &d.dns, sid)).into();
    }
    for g in &spec.groups {
        let Some(domain) = host.domain.as_mut() else {
            return Err(host_err(
                g,
                format!("`{g}` is a domain group but the host has no domain"),
                "a `domain:` entry",
            ));
        };
        if !domain.groups.contains_key(&g.to_ascii_lowercase()) {
            let rid = domain.next_rid;
            domain.next_rid += 1;
            if let Some(sid) = domain.sid.with_rid(rid) {
                domain.groups.insert(g.to_ascii_lowercase(), sid);
            }
        }
    }
    for u in &spec.users {
        let Some(domain) = host.domain.as_mut() else {
            return Err(host_err(
                &u.name,
                format!(
                    "`{}` is a domain account but the host has no domain",
                    u.name
                ),
                "a `domain:` entry",
            ));
        };
        let mut groups = Vec::new();
        for g in &u.groups {
            let sid = domain.groups.get(&g.to_ascii_lowercase()).cloned();
            groups.push(sid.ok_or_else(|| {
                host_err(
                    g,
                    format!("the domain has no group `{g}`"),
                    "Domain Users, Domain Admins, Protected Users or a group listed under `groups:`",
                )
            })?);
        }
        if domain.account(&u.name).is_none() {
            let kind = match u.kind {
                AccountKind::User => PrincipalKind::User,
                AccountKind::Service => PrincipalKind::Service,
                AccountKind::Computer => PrincipalKind::Computer,
            };
            let password = u
                .password
                .clone()
                .unwrap_or_else(|| default_password(&u.name));
            domain.add_account(&u.name, &password, kind, &groups);
        }
        let Some(a) = domain.account_mut(&u.name) else {
            continue;
        };
        if let Some(p) = &u.password {
            a.password = p.clone();
        }
        a.groups.extend(groups);
        a.spns.extend(u.spns.iter().cloned());
        let d = &mut a.delegation;
        d.trusted_for_delegation |= u.trusted_for_delegation;
        d.trusted_to_auth_for_delegation |= u.trusted_to_auth_for_delegation;
        d.allowed_to_delegate_to
            .extend(u.allowed_to_delegate_to.iter().cloned());
        d.allowed_to_act_on_behalf
            .extend(u.allowed_to_act_on_behalf.iter().cloned());
        d.not_delegated |= u.sensitive;
        let ctx = winsec::DomainContext::default();
        let mut claims = Vec::new();
        for c in &u.claims {
            claims.push(claim_of(c, &ctx).map_err(|message| {
                host_err(
                    &c.name,
                    message,
                    "a claim Windows accepts (values of its type, no duplicates)",
                )
            })?);
        }
        if !claims.is_empty() {
            a.claims = claims;
        }
    }
    for m in &spec.machines {
        if host.machine(&m.name).is_none() {
            let rid = 100 + host.machines.len();
            let sid: Sid = format!("S-1-5-21-{rid}-1-1")
                .parse()
                .map_err(|_| host_err(&m.name, "no machine SID".to_string(), "a machine"))?;
            let mut machine = Machine::new(&m.name, sid);
            machine.domain_joined = host.domain.is_some();
            host.add_machine(machine);
        }
        let domain_present = host.domain.is_some();
        if let Some(machine) = host.machine_mut(&m.name) {
            for u in &m.local_users {
                if machine.account(&u.name).is_none() {
                    let password = u
                        .password
                        .clone()
                        .unwrap_or_else(|| default_password(&u.name));
                    machine.add_user(&u.name, &password, &[]);
                }
            }
        }
        if let Some(machine) = host.machine_mut(&m.name) {
            for g in m.local_groups.keys() {
                if !machine.groups.contains_key(&g.to_ascii_lowercase()) {
                    machine.add_group(g);
                }
            }
        }
        let mut members = Vec::new();
        for (g, names) in &m.local_groups {
            let group = principal(host, &m.name, &format!("{}\\{g}", m.name))?;
            for n in names {
                members.push((group.clone(), principal(host, &m.name, n)?));
            }
        }
        let mut admins = Vec::new();
        for a in &m.administrators {
            admins.push(principal(host, &m.name, a)?);
        }
        let mut grants = Vec::new();
        for (right, who) in m
            .grant
            .iter()
            .map(|e| (e, true))
            .chain(m.revoke.iter().map(|e| (e, false)))
        {
            let r = user_right(right.0)?;
            for name in right.1 {
                grants.push((r, principal(host, &m.name, name)?, who));
            }
        }
        let Some(machine) = host.machine_mut(&m.name) else {
            continue;
        };
        if let Some(uac) = m.uac {
            machine.uac = uac;
        }
        machine.domain_joined = m.domain_joined.unwrap_or(domain_present);
        for sid in admins {
            machine.add_alias_member(sids::builtin_administrators(), sid);
        }
        for (group, member) in members {
            machine.add_alias_member(group, member);
        }
        for (right, sid, grant) in grants {
            if grant {
                machine.policy.grant(right, sid);
            } else {
                machine.policy.revoke(right, &sid);
            }
        }
    }
    if let Some(b) = &spec.bits.machine {
        if host.machine(b).is_none() {
            return Err(host_err(
                b,
                format!("BITS cannot run on `{b}`: no such machine"),
                "the name of a declared machine",
            ));
        }
        *bits_machine = Some(b.clone());
    }
    let default_machine = bits_machine
        .clone()
        .or_else(|| host.machines.values().next().map(|m| m.name.clone()))
        .unwrap_or_default();
    define_objects(host, &spec.files, &default_machine)?;
    if let Some(import) = &spec.import {
        if !spec.imported.read {
            return Err(imports_unread(import));
        }
        let machine = import.machine.clone().unwrap_or(default_machine);
        if host.machine(&machine).is_none() {
            return Err(host_err(
                &machine,
                format!("imports cannot go on `{machine}`: no such machine"),
                "the name of a declared machine",
            ));
        }
        define_objects(host, &spec.imported.objects, &machine)?;
    }
    for s in &spec.servers {
        let kind = vocab::server_kind(s.kind.get());
        let mut schemes: BTreeSet<AuthScheme> =
            s.auth.iter().map(|a| vocab::auth_scheme(a.get())).collect();
        if schemes.is_empty() {
            schemes.insert(AuthScheme::Negotiate);
        }
        let out = host.apply(&simos::Op::Network(NetworkOp::DefineServer {
            name: s.name.clone(),
            server: Server {
                kind,
                machine: s.machine.clone(),
                spn: s.spn.clone(),
                resource: String::new(),
                schemes,
                sddl: s.sddl.clone(),
                proxy: s.proxy.clone(),
            },
        }));
        if let Some(e) = out.result.error() {
            return Err(host_err(
                &s.name,
                format!("server `{}` cannot be defined: {}", s.name, e.name()),
                "a declared machine and a valid SDDL security descriptor",
            ));
        }
    }
    for (name, bytes) in &spec.content {
        content.push((name.clone(), *bytes));
    }
    let b = &spec.bits;
    if let Some(v) = b.bytes_per_tick {
        policy.bytes_per_tick = v;
    }
    if let Some(v) = b.lm_compatibility_level {
        policy.lm_compatibility_level = v;
    }
    if let Some(v) = b.max_jobs_per_user {
        policy.max_jobs_per_user = v;
    }
    if let Some(v) = b.max_files_per_job {
        policy.max_files_per_job = v;
    }
    if let Some(v) = b.job_inactivity_timeout {
        policy.job_inactivity_timeout = v;
    }
    if let Some(v) = b.time_slice {
        policy.time_slice = v;
    }
    Ok(())
}

fn principal(host: &Host, machine: &str, name: &str) -> Result<Sid, HostError> {
    resolve(host, machine, name).ok_or_else(|| {
        host_err(
            name,
            format!("no account or group is named `{name}`"),
            "a domain or local account, a group, a well-known name or a SID",
        )
    })
}

fn user_right(name: &str) -> Result<UserRight, HostError> {
    if let Some(r) = LogonRight::from_name(name) {
        return Ok(UserRight::Logon(r));
    }
    Privilege::from_name(name)
        .map(UserRight::Privilege)
        .ok_or_else(|| {
            host_err(
                name,
                format!("`{name}` is not a privilege or logon right"),
                "a name such as SeImpersonatePrivilege or SeDenyInteractiveLogonRight",
            )
        })
}

/// The names a scenario may use for accounts and groups on `machine`
/// (for hints when a name resolves to nothing): domain accounts and
/// groups, the machine's local accounts and groups, and well-known names.
pub fn account_names(host: &Host, machine: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(d) = &*host.domain {
        out.extend(d.accounts.values().map(|a| a.name.clone()));
        out.extend(d.groups.keys().cloned());
    }
    if let Some(m) = host.machine(machine) {
        out.extend(m.accounts.values().map(|a| a.name.clone()));
        out.extend(m.groups.values().map(|g| g.name.clone()));
    }
    out.extend(
        well_known::WELL_KNOWN_SIDS
            .iter()
            .map(|w| w.name.rsplit('\\').next().unwrap_or(w.name).to_string()),
    );
    out
}

/// A claim of the host section as the token carries it; the checks
/// Windows makes (values of the claim's type, no duplicate values) are
/// winsec's.
pub fn claim_of(
    spec: &scenario::format::ClaimSpec,
    ctx: &winsec::DomainContext,
) -> Result<winsec::claims::Claim, String> {
    use winsec::claims::{claim_flags, Claim, ClaimType, ClaimValue};
    let value_type = match spec.claim_type.get() {
        names::ClaimType::Int64 => ClaimType::Int64,
        names::ClaimType::Uint64 => ClaimType::Uint64,
        names::ClaimType::String => ClaimType::String,
        names::ClaimType::Sid => ClaimType::Sid,
        names::ClaimType::Boolean => ClaimType::Boolean,
        names::ClaimType::OctetString => ClaimType::OctetString,
    };
    let bad = |v: &str| {
        format!(
            "claim `{}`: `{v}` is not a {} value",
            spec.name, spec.claim_type
        )
    };
    let mut values = Vec::new();
    for v in &spec.values {
        let text = v.0.as_str();
        values.push(match value_type {
            ClaimType::Int64 => ClaimValue::Int64(text.parse().map_err(|_| bad(text))?),
            ClaimType::Uint64 => ClaimValue::Uint64(text.parse().map_err(|_| bad(text))?),
            ClaimType::String => ClaimValue::String(text.to_string()),
            ClaimType::Sid => {
                ClaimValue::Sid(well_known::resolve(text, ctx).ok_or_else(|| bad(text))?)
            }
            ClaimType::Boolean => ClaimValue::Boolean(match text {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => return Err(bad(text)),
            }),
            ClaimType::OctetString => ClaimValue::OctetString(
                winsec::binary::from_hex(text.trim_start_matches('#')).map_err(|_| bad(text))?,
            ),
        });
    }
    let claim = Claim {
        name: spec.name.clone(),
        value_type,
        flags: if spec.case_sensitive {
            claim_flags::CASE_SENSITIVE
        } else {
            0
        },
        values,
    };
    claim
        .validate()
        .map_err(|e| format!("claim `{}`: {e}", spec.name))?;
    Ok(claim)
}
