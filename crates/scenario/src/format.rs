//! The scenario format: what a YAML scenario file may contain, as serde
//! types with a JSON Schema.
//!
//! This module owns the shape of the file only. Whether names resolve and
//! values make sense is checked by [`crate::load`]; what a step does is
//! [`crate::run`]'s job. Every struct rejects unknown keys, so a typo is an
//! error with its position, never a silently ignored line.
//!
//! A step is a one-key map: the key names the step (`CreateJob`, `logon`,
//! `expect`, ...), the value carries its arguments. API calls use the
//! Windows name of the call; environment events and expectations use
//! lower-case names.

use std::collections::BTreeMap;
use std::fmt;

use schemars::gen::SchemaGenerator;
use schemars::schema::{InstanceType, Schema, SchemaObject, SingleOrVec};
use schemars::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::names::{self, Named};

/// A scenario file. `S` is the type of a step: [`Step`], or a raw YAML
/// value while the loader checks each step on its own.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    bound(deserialize = "S: StepItem<'de>, P: Deserialize<'de>")
)]
#[schemars(rename = "Scenario")]
pub struct Scenario<S = Step, P = Property> {
    /// A short identifier (kebab-case).
    pub name: String,
    /// What the scenario shows and which source sentence it checks.
    pub about: String,
    /// The OS profile to run under (`vista`, `win7`, `win10-1507`,
    /// `win10-1607`, `win11`); the default is `win11`.
    #[serde(default)]
    pub profile: Option<Named<names::Profile>>,
    /// Several profiles: the scenario runs once under each.
    #[serde(default)]
    pub profiles: Vec<Named<names::Profile>>,
    /// Run the world under a policy mutant's rules (`bitsim mutants`
    /// lists them): expectations and invariants still judge by the
    /// profile's rules. Counterexamples found against a mutant carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutant: Option<String>,
    /// The simulated host. Omitted: the `corp` host (see `docs/scenarios.md`).
    #[serde(default)]
    pub host: HostSpec,
    /// What happens, in order.
    #[serde(deserialize_with = "StepItem::list")]
    pub steps: Vec<S>,
    /// What must hold of the run, checked after every step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<P>,
    /// What may happen after the steps, for `bitsim explore FILE` and
    /// `bitsim fuzz FILE`: the universe of operations explored from the
    /// state the steps reach. `bitsim run` ignores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explore: Option<ExploreSpec>,
}

impl<S, P> Scenario<S, P> {
    /// The same scenario with other steps and properties.
    pub fn with_parts<T, Q>(self, steps: Vec<T>, properties: Vec<Q>) -> Scenario<T, Q> {
        Scenario {
            name: self.name,
            about: self.about,
            profile: self.profile,
            profiles: self.profiles,
            mutant: self.mutant,
            host: self.host,
            steps,
            properties,
            explore: self.explore,
        }
    }
}

/// What a scenario's steps are read as.
pub trait StepItem<'de>: Sized {
    /// Reads the `steps` list.
    fn list<D: Deserializer<'de>>(d: D) -> Result<Vec<Self>, D::Error>;
}

/// Steps are written as one-key maps (`- CreateJob: {...}`), not as YAML
/// tags (`- !CreateJob {...}`), which is what the YAML crate expects of an
/// enum by default.
impl<'de> StepItem<'de> for Step {
    fn list<D: Deserializer<'de>>(d: D) -> Result<Vec<Step>, D::Error> {
        serde_yaml::with::singleton_map_recursive::deserialize(d)
    }
}

/// Raw values, each read as a [`Step`] later on its own.
impl<'de> StepItem<'de> for serde_yaml::Value {
    fn list<D: Deserializer<'de>>(d: D) -> Result<Vec<serde_yaml::Value>, D::Error> {
        Vec::<serde_yaml::Value>::deserialize(d)
    }
}

/// Reads one step from its raw value.
pub fn step_from_value(value: serde_yaml::Value) -> Result<Step, serde_yaml::Error> {
    serde_yaml::with::singleton_map_recursive::deserialize(value)
}

/// Which host the `host` section starts from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Base {
    /// The CORP domain with WS01 (BITS, UAC), WEB and FS, users alice, bob,
    /// carol and admin, servers `web` and `fs`, and published content.
    #[default]
    Corp,
    /// Nothing: the section declares the domain and every machine.
    Empty,
}

/// The `host` section: the machines, the domain, accounts, files, servers
/// and BITS settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostSpec {
    /// The host this section adds to.
    #[serde(default)]
    pub base: Base,
    /// The Active Directory domain (required with `base: empty` when
    /// `users` is used).
    #[serde(default)]
    pub domain: Option<DomainSpec>,
    /// Domain groups to add (besides Domain Users, Domain Admins and
    /// Protected Users, which every domain has).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Domain accounts to add, or to change when the base has them.
    #[serde(default)]
    pub users: Vec<UserSpec>,
    /// Machines to add, or to change when the base has them.
    #[serde(default)]
    pub machines: Vec<MachineSpec>,
    /// Files, directories and other securable objects.
    #[serde(default)]
    pub files: Vec<ObjectSpec>,
    /// Remote servers: SMB shares, HTTP sites, SQL servers, proxies.
    #[serde(default)]
    pub servers: Vec<ServerSpec>,
    /// Sizes of remote files (by URL or UNC path) that jobs can transfer.
    #[serde(default)]
    pub content: BTreeMap<String, u64>,
    /// The BITS service.
    #[serde(default)]
    pub bits: BitsSpec,
    /// IIS sites with ASP.NET.
    #[serde(default)]
    pub sites: Vec<SiteSpec>,
    /// Windows 2000's `LogonUser`: the caller's process must hold
    /// SeTcbPrivilege, otherwise ERROR_PRIVILEGE_NOT_HELD (XP / Server 2003
    /// and later need no privilege; default false).
    #[serde(default)]
    pub logon_user_requires_tcb: bool,
    /// Tokens and objects captured on a real machine, from the files
    /// `bitsim import` wrote.
    #[serde(default)]
    pub import: Option<ImportSpec>,
    /// The contents of the files `import` names, read by whoever reads the
    /// scenario from disk (the command line); never written in YAML.
    #[serde(skip)]
    #[schemars(skip)]
    pub imported: Imported,
}

/// Files written by `bitsim import`, put on the host before the first
/// step. Paths are relative to the scenario file's folder.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportSpec {
    /// The machine the tokens and objects are put on (default: the BITS
    /// machine).
    #[serde(default)]
    pub machine: Option<String>,
    /// Token files (`bitsim import whoami`), by the name steps use for the
    /// token (as if an earlier step had bound it).
    #[serde(default)]
    pub tokens: BTreeMap<String, String>,
    /// Files of objects with their descriptors (`bitsim import icacls`,
    /// `bitsim import get-acl`): `objects: [{path, sddl, kind?}]`.
    #[serde(default)]
    pub objects: Vec<String>,
}

/// The contents of imported files, once read.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    /// Token-file text by token name.
    pub tokens: BTreeMap<String, String>,
    /// The objects read from the object files, in order.
    pub objects: Vec<ObjectSpec>,
    /// Whether the files were read at all.
    pub read: bool,
}

/// The shape of an object file `bitsim import icacls` or `get-acl` writes.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectsFile {
    /// The objects.
    pub objects: Vec<ObjectSpec>,
}

/// The domain.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainSpec {
    /// NetBIOS name (`CORP`).
    pub name: String,
    /// DNS name (`corp.example`).
    pub dns: String,
    /// The domain SID (`S-1-5-21-x-y-z`).
    pub sid: String,
}

/// What kind of domain account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// A person.
    #[default]
    User,
    /// A service account.
    Service,
    /// A computer account (`NAME$`).
    Computer,
}

/// A domain account.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    /// sAMAccountName.
    pub name: String,
    /// The password (default: the name followed by `-pw`).
    #[serde(default)]
    pub password: Option<String>,
    /// The kind of account.
    #[serde(default)]
    pub kind: AccountKind,
    /// Domain groups (by name) besides Domain Users.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Service principal names registered on the account.
    #[serde(default)]
    pub spns: Vec<String>,
    /// `TRUSTED_FOR_DELEGATION`: unconstrained delegation.
    #[serde(default)]
    pub trusted_for_delegation: bool,
    /// `TRUSTED_TO_AUTH_FOR_DELEGATION`: protocol transition.
    #[serde(default)]
    pub trusted_to_auth_for_delegation: bool,
    /// `msDS-AllowedToDelegateTo`: SPNs for constrained delegation.
    #[serde(default)]
    pub allowed_to_delegate_to: Vec<String>,
    /// Resource-based delegation: accounts allowed to delegate to this one.
    #[serde(default)]
    pub allowed_to_act_on_behalf: Vec<String>,
    /// `NOT_DELEGATED`: "account is sensitive and cannot be delegated".
    #[serde(default)]
    pub sensitive: bool,
    /// Claims its Kerberos tickets carry (Dynamic Access Control): a
    /// user's become the `@User.` attributes of its logons' tokens, a
    /// computer account's (`WS01$`) the `@Device.` attributes of logons
    /// made at that machine.
    #[serde(default)]
    pub claims: Vec<ClaimSpec>,
}

/// A claim: `{name, type, values, case_sensitive}`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimSpec {
    /// The claim's name (`dept`, `clearance`).
    pub name: String,
    /// Its values' type.
    #[serde(rename = "type")]
    pub claim_type: Named<names::ClaimType>,
    /// Its values, each of that type (a SID as `S-1-...` or a name, an
    /// octet string as hex).
    pub values: Vec<Scalar>,
    /// String values compare with case (default false).
    #[serde(default)]
    pub case_sensitive: bool,
}

/// A local account of a machine.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalUserSpec {
    /// The account name.
    pub name: String,
    /// The password (default: the name followed by `-pw`).
    #[serde(default)]
    pub password: Option<String>,
}

/// A machine.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MachineSpec {
    /// The computer name.
    pub name: String,
    /// User Account Control is on (default: true for a new machine).
    #[serde(default)]
    pub uac: Option<bool>,
    /// Joined to the domain (default: true when there is a domain).
    #[serde(default)]
    pub domain_joined: Option<bool>,
    /// Local accounts.
    #[serde(default)]
    pub local_users: Vec<LocalUserSpec>,
    /// Local groups and their members (account or group names).
    #[serde(default)]
    pub local_groups: BTreeMap<String, Vec<String>>,
    /// Members added to BUILTIN\Administrators (account names).
    #[serde(default)]
    pub administrators: Vec<String>,
    /// User rights granted: right name (`SeImpersonatePrivilege`,
    /// `SeDenyInteractiveLogonRight`, ...) to account names.
    #[serde(default)]
    pub grant: BTreeMap<String, Vec<String>>,
    /// User rights revoked, the same way.
    #[serde(default)]
    pub revoke: BTreeMap<String, Vec<String>>,
}

/// A securable object on a machine.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectSpec {
    /// The machine (default: the BITS machine).
    #[serde(default)]
    pub machine: Option<String>,
    /// The path (`C:\Data`, a certificate store path, ...).
    pub path: String,
    /// What it is: `file` (default), `directory`, `certificate_private_key`,
    /// `registry_key`, `event`, `mutant`.
    #[serde(default)]
    pub kind: Option<Named<names::ObjectKind>>,
    /// Its security descriptor in SDDL.
    pub sddl: String,
}

/// An IIS site with ASP.NET ([IDM], [ASP-IMP], [LT]).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteSpec {
    /// The site's name: steps name it, and browsers reach it as an HTTP
    /// server of that name.
    pub name: String,
    /// The web server machine (default `WEB`).
    #[serde(default)]
    pub machine: Option<String>,
    /// Its SPN (default `HTTP/web.corp.example`).
    #[serde(default)]
    pub spn: Option<String>,
    /// The app pool identity: `NetworkService` (default), `LocalSystem`,
    /// or an account (`svc-web`, `WEB\apppool`; password `<name>-pw`).
    #[serde(default)]
    pub pool: Option<String>,
    /// IIS authentication: `anonymous` (default), `basic`, `digest`,
    /// `iwa_ntlm`, `iwa_kerberos`, `client_certificate_iis`,
    /// `client_certificate_ad`.
    #[serde(default)]
    pub authentication: Option<Named<names::SiteAuthentication>>,
    /// For `anonymous`: the anonymous account (default the machine's
    /// `IUSR`; `pool` for `username=""`). For client certificates: the
    /// mapped account (`client_certificate_iis`) or UPN
    /// (`client_certificate_ad`).
    #[serde(default)]
    pub account: Option<String>,
    /// `<identity impersonate="true"/>`.
    #[serde(default)]
    pub impersonate: bool,
    /// `<authentication mode="Forms"/>`: ASP.NET knows the user by name
    /// only; Windows sees the IIS anonymous logon.
    #[serde(default)]
    pub forms: bool,
    /// The managed pipeline: `classic` (default), `integrated`,
    /// `integrated_no_validation`.
    #[serde(default)]
    pub pipeline: Option<Named<names::Pipeline>>,
    /// The worker's aspnet.config flow settings: `aspnet` (default),
    /// `clr`, `always_flow`.
    #[serde(default)]
    pub flow: Option<Named<names::Flow>>,
}

/// A remote server.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    /// The name requests use (`web` in `http://web/...`, `fs` in `\\fs\...`).
    pub name: String,
    /// `smb_share`, `http`, `sql` or `proxy`.
    pub kind: Named<names::ServerKind>,
    /// The machine it runs on.
    pub machine: String,
    /// Its service principal name.
    pub spn: String,
    /// Accepted authentication: `anonymous`, `basic`, `digest`, `ntlm`,
    /// `kerberos`, `negotiate` (default: negotiate).
    #[serde(default)]
    pub auth: Vec<Named<names::AuthScheme>>,
    /// The resource's security descriptor in SDDL.
    pub sddl: String,
    /// A proxy (another server's name) requests go through.
    #[serde(default)]
    pub proxy: Option<String>,
}

/// Settings of the BITS service.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BitsSpec {
    /// The machine BITS runs on (default: WS01 on the corp host, else the
    /// first machine in alphabetical order).
    #[serde(default)]
    pub machine: Option<String>,
    /// Bytes a job moves per second of simulated time.
    #[serde(default)]
    pub bytes_per_tick: Option<u64>,
    /// `LMCompatibilityLevel`.
    #[serde(default)]
    pub lm_compatibility_level: Option<u32>,
    /// MaxJobsPerUser.
    #[serde(default)]
    pub max_jobs_per_user: Option<usize>,
    /// MaxFilesPerJob.
    #[serde(default)]
    pub max_files_per_job: Option<usize>,
    /// JobInactivityTimeout in seconds.
    #[serde(default)]
    pub job_inactivity_timeout: Option<u64>,
    /// The time slice of background jobs, in seconds.
    #[serde(default)]
    pub time_slice: Option<u64>,
}

/// A scalar written as text, number or boolean, kept as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar(pub String);

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

struct ScalarVisitor;

impl Visitor<'_> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a name, a number or a boolean")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar("null".to_string()))
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

/// An optional scalar that, when the key is written, is always `Some`:
/// a bare `null` is the text `null` (NULL), not a missing value. A left
/// out key is `None` through `#[serde(default)]`.
fn written<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Scalar>, D::Error> {
    Scalar::deserialize(d).map(Some)
}

fn scalar_schema() -> SchemaObject {
    SchemaObject {
        instance_type: Some(SingleOrVec::Vec(vec![
            InstanceType::String,
            InstanceType::Integer,
            InstanceType::Boolean,
            InstanceType::Null,
        ])),
        ..SchemaObject::default()
    }
}

impl JsonSchema for Scalar {
    fn schema_name() -> String {
        "Scalar".to_string()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        Schema::Object(scalar_schema())
    }
}

/// One value, one of several, or none of several: how an expectation
/// names what it accepts (`S_OK`, `{one_of: [S_OK, S_FALSE]}`,
/// `{not: S_OK}`, `{not: [QUEUED, SUSPENDED]}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice<T> {
    /// Exactly this.
    Is(T),
    /// Any of these.
    OneOf(Vec<T>),
    /// None of these.
    Not(Vec<T>),
}

impl<T> Choice<T> {
    /// Whether `accepts` holds as this choice says: for `Is`, of the
    /// value; for `OneOf`, of at least one; for `Not`, of none.
    pub fn holds(&self, mut accepts: impl FnMut(&T) -> bool) -> bool {
        match self {
            Choice::Is(v) => accepts(v),
            Choice::OneOf(vs) => vs.iter().any(accepts),
            Choice::Not(vs) => !vs.iter().any(accepts),
        }
    }

    /// Every value the choice names.
    pub fn values(&self) -> &[T] {
        match self {
            Choice::Is(v) => std::slice::from_ref(v),
            Choice::OneOf(vs) | Choice::Not(vs) => vs,
        }
    }
}

impl<T: fmt::Display> fmt::Display for Choice<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |vs: &[T]| {
            vs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Choice::Is(v) => write!(f, "{v}"),
            Choice::OneOf(vs) => write!(f, "one of {}", list(vs)),
            Choice::Not(vs) => write!(f, "not {}", list(vs)),
        }
    }
}

/// One or several values (`x` or `[x, y]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> From<OneOrMany<T>> for Vec<T> {
    fn from(v: OneOrMany<T>) -> Vec<T> {
        match v {
            OneOrMany::One(x) => vec![x],
            OneOrMany::Many(xs) => xs,
        }
    }
}

/// Reads the one-key map `{one_of: [...]}` or `{not: ...}` whose key
/// has been read already.
fn choice_body<'de, T: Deserialize<'de>, A: MapAccess<'de>>(
    key: &str,
    mut map: A,
) -> Result<Choice<T>, A::Error> {
    let choice = match key {
        "one_of" => Choice::OneOf(map.next_value::<Vec<T>>()?),
        "not" => Choice::Not(map.next_value::<OneOrMany<T>>()?.into()),
        other => {
            return Err(de::Error::custom(format!(
                "unknown variant `{other}`, expected one of `one_of`, `not`"
            )))
        }
    };
    if let Some(extra) = map.next_key::<String>()? {
        return Err(de::Error::custom(format!(
            "`{extra}` cannot stand beside `{key}`: write one of `one_of` or `not`"
        )));
    }
    if choice.values().is_empty() {
        return Err(de::Error::custom(format!(
            "`{key}` needs at least one value"
        )));
    }
    Ok(choice)
}

struct ChoiceVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ChoiceVisitor<T> {
    type Value = Choice<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value, a list of values (any of them), `{one_of: [...]}` or `{not: ...}`")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Choice<T>, E> {
        T::deserialize(de::value::StrDeserializer::new(v)).map(Choice::Is)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Choice<T>, A::Error> {
        let mut values = Vec::new();
        while let Some(v) = seq.next_element::<T>()? {
            values.push(v);
        }
        if values.is_empty() {
            return Err(de::Error::custom("an empty list: name at least one value"));
        }
        Ok(Choice::OneOf(values))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Choice<T>, A::Error> {
        match map.next_key::<String>()? {
            Some(key) => choice_body(&key, map),
            None => Err(de::Error::custom(
                "an empty map: write a value, `{one_of: [...]}` or `{not: ...}`",
            )),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Choice<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Choice<T>, D::Error> {
        d.deserialize_any(ChoiceVisitor(std::marker::PhantomData))
    }
}

impl<T: Serialize> Serialize for Choice<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Choice::Is(v) => v.serialize(s),
            Choice::OneOf(vs) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("one_of", vs)?;
                m.end()
            }
            Choice::Not(vs) => {
                let mut m = s.serialize_map(Some(1))?;
                match vs.as_slice() {
                    [one] => m.serialize_entry("not", one)?,
                    many => m.serialize_entry("not", many)?,
                }
                m.end()
            }
        }
    }
}

impl<T: JsonSchema> JsonSchema for Choice<T> {
    fn schema_name() -> String {
        format!("Choice_of_{}", T::schema_name())
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        let one = gen.subschema_for::<T>();
        let many = gen.subschema_for::<Vec<T>>();
        let keyed = |key: &str, value: Schema| {
            let mut obj = schemars::schema::ObjectValidation::default();
            obj.properties.insert(key.to_string(), value);
            obj.required.insert(key.to_string());
            obj.additional_properties = Some(Box::new(Schema::Bool(false)));
            Schema::Object(SchemaObject {
                instance_type: Some(InstanceType::Object.into()),
                object: Some(Box::new(obj)),
                ..SchemaObject::default()
            })
        };
        let not_value = Schema::Object(SchemaObject {
            subschemas: Some(Box::new(schemars::schema::SubschemaValidation {
                any_of: Some(vec![one.clone(), many.clone()]),
                ..Default::default()
            })),
            ..SchemaObject::default()
        });
        Schema::Object(SchemaObject {
            subschemas: Some(Box::new(schemars::schema::SubschemaValidation {
                one_of: Some(vec![
                    one,
                    many.clone(),
                    keyed("one_of", many),
                    keyed("not", not_value),
                ]),
                ..Default::default()
            })),
            ..SchemaObject::default()
        })
    }
}

/// The result a call must return: the same for every profile (a result
/// name: an HRESULT such as `E_ACCESSDENIED` or `S_OK`, a Win32 error
/// name, hex, `success`, or `any` for no check; or a [`Choice`] of them),
/// or a map from profile to that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// The same result under every profile.
    One(Choice<String>),
    /// A result per profile; profiles not listed must succeed.
    PerProfile(BTreeMap<String, Choice<String>>),
}

impl Expected {
    /// The result expected under `profile`, if one is named.
    pub fn for_profile(&self, profile: &str) -> Option<&Choice<String>> {
        match self {
            Expected::One(choice) => Some(choice),
            Expected::PerProfile(map) => map.get(profile),
        }
    }

    /// Every result name written, in order.
    pub fn names(&self) -> Vec<&String> {
        match self {
            Expected::One(c) => c.values().iter().collect(),
            Expected::PerProfile(map) => map.values().flat_map(|c| c.values()).collect(),
        }
    }
}

struct ExpectedVisitor;

impl<'de> Visitor<'de> for ExpectedVisitor {
    type Value = Expected;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a result name (E_ACCESSDENIED, S_OK, ...), `{one_of: [...]}`, `{not: ...}` or a map from profile to result")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Expected, E> {
        Ok(Expected::One(Choice::Is(v.to_string())))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Expected, A::Error> {
        let Some(first) = map.next_key::<String>()? else {
            return Ok(Expected::PerProfile(BTreeMap::new()));
        };
        if first == "one_of" || first == "not" {
            return choice_body(&first, map).map(Expected::One);
        }
        let mut out = BTreeMap::new();
        out.insert(first, map.next_value::<Choice<String>>()?);
        while let Some((k, v)) = map.next_entry::<String, Choice<String>>()? {
            out.insert(k, v);
        }
        Ok(Expected::PerProfile(out))
    }
}

impl<'de> Deserialize<'de> for Expected {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Expected, D::Error> {
        d.deserialize_any(ExpectedVisitor)
    }
}

impl JsonSchema for Expected {
    fn schema_name() -> String {
        "Expected".to_string()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        let one = gen.subschema_for::<Choice<String>>();
        let map = gen.subschema_for::<BTreeMap<String, Choice<String>>>();
        Schema::Object(SchemaObject {
            subschemas: Some(Box::new(schemars::schema::SubschemaValidation {
                any_of: Some(vec![one, map]),
                ..Default::default()
            })),
            ..SchemaObject::default()
        })
    }
}

/// A call through a job (or file, or enumerator) pointer without arguments.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobCall {
    /// The calling thread.
    pub thread: String,
    /// The pointer (a name bound with `as`).
    pub job: String,
    /// The result (default: any success).
    #[serde(default)]
    pub expect: Option<Expected>,
    /// The value returned (a state, a number, a SID or account, text;
    /// `null` for NULL). Left out, the value is not checked.
    #[serde(default, deserialize_with = "written")]
    pub returns: Option<Scalar>,
    /// A name for the pointer returned (EnumFiles).
    #[serde(default, rename = "as")]
    pub bind: Option<String>,
}

/// A call through a job pointer with one argument.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobSet {
    /// The calling thread.
    pub thread: String,
    /// The pointer.
    pub job: String,
    /// The argument: a number, flag names joined with `|`, text, or null.
    pub value: Scalar,
    /// The result (default: any success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// `IBackgroundCopyJob::AddFile`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddFile {
    /// The calling thread.
    pub thread: String,
    /// The pointer.
    pub job: String,
    /// The remote name (URL or UNC path).
    pub remote: String,
    /// The local name.
    pub local: String,
    /// The result (default: any success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// One file of `AddFileSet`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilePair {
    /// The remote name.
    pub remote: String,
    /// The local name.
    pub local: String,
}

/// `IBackgroundCopyJob::AddFileSet`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddFileSet {
    /// The calling thread.
    pub thread: String,
    /// The pointer.
    pub job: String,
    /// The files.
    pub files: Vec<FilePair>,
    /// The result (default: any success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// `IBackgroundCopyJob::SetProxySettings`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetProxySettings {
    /// The calling thread.
    pub thread: String,
    /// The pointer.
    pub job: String,
    /// `BG_JOB_PROXY_USAGE` (name or number).
    pub usage: Scalar,
    /// The proxy list.
    #[serde(default)]
    pub list: Option<String>,
    /// The bypass list.
    #[serde(default)]
    pub bypass: Option<String>,
    /// The result (default: any success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// `IBackgroundCopyJob2::SetNotifyCmdLine`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetNotifyCmdLine {
    /// The calling thread.
    pub thread: String,
    /// The pointer.
    pub job: String,
    /// The program (null clears).
    #[serde(default)]
    pub program: Option<String>,
    /// Its parameters.
    #[serde(default)]
    pub parameters: Option<String>,
    /// The result (default: any success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// `IBackgroundCopyJob2::SetCredentials` / `RemoveCredentials`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// The calling thread.
    pub thread: String,
    /// The pointer.
    pub job: String,
    /// `BG_AUTH_TARGET_SERVER` or `BG_AUTH_TARGET_PROXY` (or a number).
    pub target: Scalar,
    /// `BG_AUTH_SCHEME_BASIC`, `_DIGEST`, `_NTLM`, `_NEGOTIATE`, `_PASSPORT`.
    pub scheme: Scalar,
    /// The user name (null: the implicit credentials).
    #[serde(default)]
    pub user: Option<String>,
    /// The password.
    #[serde(default)]
    pub password: Option<String>,
    /// The result (default: any success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// `IEnumBackgroundCopyJobs::Next` / `IEnumBackgroundCopyFiles::Next`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Next {
    /// The calling thread.
    pub thread: String,
    /// The enumerator pointer.
    pub job: String,
    /// How many to fetch.
    pub count: u32,
    /// Whether `pceltFetched` is passed (default: true).
    #[serde(default = "yes")]
    pub fetched: bool,
    /// Names for the pointers returned, in order.
    #[serde(default, rename = "as")]
    pub bind: Vec<String>,
    /// How many it must have fetched (`*pceltFetched`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returns: Option<u32>,
    /// The result (default: any success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

const fn yes() -> bool {
    true
}

/// `CoInitializeSecurity` of the thread's process.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Blanket {
    /// A thread of the process.
    pub thread: String,
    /// The impersonation level the service may use: `identification`
    /// (COM's default), `impersonation`, `delegation`.
    pub level: Named<names::Level>,
    /// `none`, `static` or `dynamic` cloaking (default: none).
    #[serde(default)]
    pub cloaking: Option<Named<names::Cloaking>>,
}

/// `IBackgroundCopyManager::CreateJob`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateJob {
    /// The calling thread.
    pub thread: String,
    /// The display name (default: the `as` name).
    #[serde(default)]
    pub name: Option<String>,
    /// `download` (default), `upload` or `upload_reply`.
    #[serde(default, rename = "type")]
    pub job_type: Option<Named<names::JobType>>,
    /// The name of the job pointer returned.
    #[serde(rename = "as")]
    pub bind: Option<String>,
    /// A manager pointer from `CoCreateInstance` to call through (default:
    /// the process's own manager).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// The result (default: any success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// `IBackgroundCopyManager::GetJob`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetJob {
    /// The calling thread.
    pub thread: String,
    /// The job: the name of any pointer to it.
    pub job: String,
    /// The name of the pointer returned.
    #[serde(default, rename = "as")]
    pub bind: Option<String>,
    /// A manager pointer from `CoCreateInstance` to call through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// The result (default: any success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// `IBackgroundCopyManager::EnumJobs`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnumJobs {
    /// The calling thread.
    pub thread: String,
    /// `BG_JOB_ENUM_ALL_USERS`.
    #[serde(default)]
    pub all_users: bool,
    /// The name of the enumerator returned.
    #[serde(default, rename = "as")]
    pub bind: Option<String>,
    /// How many jobs it must list.
    #[serde(default)]
    pub count: Option<usize>,
    /// A manager pointer from `CoCreateInstance` to call through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// The result (default: any success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// `IUnknown::QueryInterface` on a job pointer.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryInterface {
    /// The calling thread.
    pub thread: String,
    /// The pointer.
    pub job: String,
    /// The interface (`IBitsTokenOptions`, `IBackgroundCopyJob2`, ...).
    pub interface: Named<names::Interface>,
    /// The name of the pointer returned.
    #[serde(default, rename = "as")]
    pub bind: Option<String>,
    /// The result (default: any success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// An interactive logon through Winlogon (console or Remote Desktop): a
/// logon session, a terminal session and the user's shell.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Logon {
    /// The account (`alice`, `WS01\localuser`).
    pub user: String,
    /// Its password (default: the name followed by `-pw`).
    #[serde(default)]
    pub password: Option<String>,
    /// The machine (default: the BITS machine).
    #[serde(default)]
    pub machine: Option<String>,
    /// The terminal-services session (default 1).
    #[serde(default)]
    pub session: Option<u32>,
    /// A Remote Desktop logon.
    #[serde(default)]
    pub remote: bool,
    /// The name of the shell's thread (default: the user name).
    #[serde(default, rename = "as")]
    pub bind: Option<String>,
    /// The result (default: success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// A service process.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartService {
    /// `LocalSystem`, `LocalService`, `NetworkService`, or an account name
    /// (its password defaults to the name followed by `-pw`).
    pub account: String,
    /// Its password, for an account.
    #[serde(default)]
    pub password: Option<String>,
    /// The machine (default: the BITS machine).
    #[serde(default)]
    pub machine: Option<String>,
    /// The image name.
    #[serde(default)]
    pub image: Option<String>,
    /// The .NET flow policy: `aspnet` (legacy on), `clr` (neither),
    /// `always_flow`.
    #[serde(default)]
    pub flow: Option<Named<names::Flow>>,
    /// The name of its main thread.
    #[serde(rename = "as")]
    pub bind: String,
    /// The result (default: success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// A thread makes a host API call with an optional token argument.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreadCall {
    /// The calling thread.
    pub thread: String,
    /// The token argument, by name, when the call takes one.
    #[serde(default)]
    pub token: Option<String>,
    /// An impersonation level, when the call takes one.
    #[serde(default)]
    pub level: Option<Named<names::Level>>,
    /// The name of what it returns (a token, a thread).
    #[serde(default, rename = "as")]
    pub bind: Option<String>,
    /// The result (default: success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// `LogonUser`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogonUser {
    /// The calling thread.
    pub thread: String,
    /// The account.
    pub user: String,
    /// The password (default: the name followed by `-pw`).
    #[serde(default)]
    pub password: Option<String>,
    /// `interactive`, `network`, `batch`, `service`, `unlock`,
    /// `network_cleartext`, `new_credentials`.
    #[serde(rename = "type")]
    pub logon_type: Named<names::LogonType>,
    /// The name of the token returned.
    #[serde(default, rename = "as")]
    pub bind: Option<String>,
    /// The result (default: success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// `LsaLogonUser` with `KERB_S4U_LOGON` (`new WindowsIdentity(upn)`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S4uLogon {
    /// The calling thread.
    pub thread: String,
    /// The user principal name (`alice@corp.example`).
    pub upn: String,
    /// The name of the token returned.
    #[serde(default, rename = "as")]
    pub bind: Option<String>,
    /// The result (default: success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// `CreateRestrictedToken`: a restricted copy of a token.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRestrictedToken {
    /// The calling thread.
    pub thread: String,
    /// The source token, by name.
    pub token: String,
    /// Accounts or groups (names or SIDs) that become deny-only in the
    /// copy (`SidsToDisable`); ones the token lacks are ignored.
    #[serde(default)]
    pub disable: Vec<String>,
    /// The restricting SIDs, as account or group names or SIDs
    /// (`SidsToRestrict`).
    #[serde(default)]
    pub restrict: Vec<String>,
    /// Privileges removed from the copy (`SeShutdownPrivilege`,
    /// `Shutdown`); ones the token lacks are ignored.
    #[serde(default)]
    pub delete_privileges: Vec<String>,
    /// The name of the token returned.
    #[serde(default, rename = "as")]
    pub bind: Option<String>,
    /// The result (default: success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// `ImpersonateNamedPipeClient`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipeClient {
    /// The server thread.
    pub thread: String,
    /// The client thread.
    pub client: String,
    /// The level the client allows (`SECURITY_SQOS`).
    pub level: Named<names::Level>,
    /// The result (default: success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// A COM call from a client thread to an object served by `thread`, which
/// impersonates the caller (`CoImpersonateClient`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComCall {
    /// The server thread.
    pub thread: String,
    /// The client thread.
    pub client: String,
    /// The impersonation level the client set (`anonymous`, `identify`,
    /// `impersonate`, `delegate`).
    pub level: Named<names::Level>,
    /// The client's cloaking: `none` (default), `static`, `dynamic`.
    #[serde(default)]
    pub cloaking: Option<Named<names::Cloaking>>,
    /// The result (default: success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// `AdjustTokenPrivileges`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustTokenPrivileges {
    /// The calling thread.
    pub thread: String,
    /// The token, by name (default: the thread's effective token).
    #[serde(default)]
    pub token: Option<String>,
    /// Privileges to enable (`SeBackupPrivilege`, `Backup`).
    #[serde(default)]
    pub enable: Vec<String>,
    /// Privileges to disable.
    #[serde(default)]
    pub disable: Vec<String>,
    /// The result (default: success; `ERROR_NOT_ALL_ASSIGNED` when the
    /// token lacks one of them).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// `CreateProcess` / `CreateProcessAsUser`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProcess {
    /// The calling thread.
    pub thread: String,
    /// The primary token (`CreateProcessAsUser` only).
    #[serde(default)]
    pub token: Option<String>,
    /// The image.
    #[serde(default)]
    pub image: Option<String>,
    /// The name of the new process's main thread.
    #[serde(default, rename = "as")]
    pub bind: Option<String>,
    /// The result (default: success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// `CreateThread` and its managed relatives.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateThread {
    /// The calling thread.
    pub thread: String,
    /// `native`, `managed_thread`, `queue_user_work_item`,
    /// `unsafe_queue_user_work_item`, `async_delegate`, `sta_com_call`.
    pub how: Named<names::ThreadStart>,
    /// The name of the new thread.
    #[serde(rename = "as")]
    pub bind: String,
    /// The result (default: success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// A thread creates or opens a securable object.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileCall {
    /// The calling thread.
    pub thread: String,
    /// The path.
    pub path: String,
    /// The access wanted (`GENERIC_READ`, `FILE_ALL_ACCESS|WRITE_DAC`,
    /// `0x120089`).
    #[serde(default)]
    pub desired: Option<String>,
    /// For CreateFile: `file` (default) or `directory`.
    #[serde(default)]
    pub kind: Option<Named<names::ObjectKind>>,
    /// For CreateFile: an explicit security descriptor; for
    /// SetFileSecurity: the new one.
    #[serde(default)]
    pub sddl: Option<String>,
    /// `FILE_FLAG_BACKUP_SEMANTICS` (OpenFile).
    #[serde(default)]
    pub backup_intent: bool,
    /// Whose token the access check used (an account name).
    #[serde(default)]
    pub checked_as: Option<String>,
    /// The access the handle got (`FILE_GENERIC_READ`, `0x1f01ff`), checked
    /// exactly.
    #[serde(default)]
    pub granted: Option<String>,
    /// The result (default: success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// The app pool of a site starts.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartSite {
    /// The site.
    pub site: String,
    /// The name of the worker thread that runs its pages.
    #[serde(rename = "as")]
    pub bind: String,
    /// The result (default: success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// A browser's request to a site, served on the site's worker thread.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebRequest {
    /// The site.
    pub site: String,
    /// The worker thread (from `start_site`).
    pub worker: String,
    /// The browsing user (an account name; password `<name>-pw`).
    pub client: String,
    /// The client machine (default `WS01`).
    #[serde(default)]
    pub machine: Option<String>,
    /// What IIS answers: `200` (default), `401` when Windows
    /// authentication fails, `500.24`, or the Win32 error of a failed logon.
    #[serde(default)]
    pub status: Option<String>,
}

/// A call the page makes on its worker thread.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PageCall {
    /// The worker thread serving the request.
    pub worker: String,
    /// The result (default: success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// A thread calls Win32 `AccessCheck` (`AccessCheckByType` with
/// `principal_self`) for a client token, as a server does for a client.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessCheckCall {
    /// The calling thread.
    pub thread: String,
    /// The client token (a name bound by an earlier step).
    pub token: String,
    /// The security descriptor in SDDL (owner and group may be left out,
    /// to see the call refuse it).
    #[serde(default)]
    pub sddl: Option<String>,
    /// Or the path of an object whose descriptor is checked.
    #[serde(default)]
    pub path: Option<String>,
    /// The object type whose generic mapping is passed (default `file`).
    #[serde(default)]
    pub kind: Option<Named<names::ObjectKind>>,
    /// The desired access, passed as given (generic bits are refused).
    pub desired: String,
    /// The PrincipalSelfSid: an account name.
    #[serde(default)]
    pub principal_self: Option<String>,
    /// The object type list, `LEVEL:GUID` in order (level 0 to 4): the
    /// call is then `AccessCheckByType`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub object_types: Vec<String>,
    /// `AccessCheckByTypeResultList`: one result per list element.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub result_list: bool,
    /// With `result_list`, each element's result in order: the mask it
    /// was granted, or `denied`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<String>,
    /// The granted access expected, checked exactly.
    #[serde(default)]
    pub granted: Option<String>,
    /// The result (default: access granted); a denial is the last error
    /// the call leaves, `ERROR_ACCESS_DENIED`.
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// A thread calls `CreatePrivateObjectSecurityEx`, as a server that keeps
/// its own private objects does to compute a new object's descriptor from
/// its parent's and the creator's.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivateSecurityCall {
    /// The calling thread.
    pub thread: String,
    /// The client token on whose behalf the object is created (a name
    /// bound by an earlier step; default: the thread's effective token).
    #[serde(default)]
    pub token: Option<String>,
    /// The parent's descriptor in SDDL (`ParentDescriptor`; none: no
    /// parent).
    #[serde(default)]
    pub parent: Option<String>,
    /// The creator's descriptor in SDDL (`CreatorDescriptor`; none: the
    /// caller passes none).
    #[serde(default)]
    pub creator: Option<String>,
    /// The new object is a container (`IsDirectoryObject`).
    #[serde(default)]
    pub container: bool,
    /// The object type whose generic mapping is passed (default `file`).
    #[serde(default)]
    pub kind: Option<Named<names::ObjectKind>>,
    /// `AutoInheritFlags`: `dacl` for `SEF_DACL_AUTO_INHERIT`, `sacl` for
    /// `SEF_SACL_AUTO_INHERIT`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auto_inherit: Vec<Named<names::AclPart>>,
    /// The new descriptor expected, in SDDL; compared after parsing both
    /// and printing them as Windows would.
    #[serde(default)]
    pub sddl: Option<String>,
    /// The result (default: success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// A thread reaches a remote server as its effective token.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessServer {
    /// The calling thread.
    pub thread: String,
    /// The server's name.
    pub server: String,
    /// The access wanted (default `GENERIC_READ`).
    #[serde(default)]
    pub desired: Option<String>,
    /// Who the server saw: an account name, or `ANONYMOUS LOGON`.
    #[serde(default)]
    pub saw: Option<String>,
    /// Whether the server granted the access (its ACL, or its refusal of
    /// an anonymous or unauthenticated caller).
    #[serde(default)]
    pub granted: Option<bool>,
    /// The authentication package that logged the caller on
    /// (`kerberos`, `ntlm`, `digest`, `basic`, `anonymous`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<Named<names::AuthScheme>>,
    /// The HTTP status a web server or proxy answered (`200`, `401`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// How the identity got there: `credentials`, `new_credentials`,
    /// `machine_account`, `unconstrained`, `constrained`, `resource_based`,
    /// `anonymous`.
    #[serde(default)]
    pub via: Option<Named<names::Via>>,
    /// A name for the token the server got for the caller (the far side's
    /// network logon), so that a thread on that machine can impersonate it
    /// and go a further hop.
    #[serde(default, rename = "as")]
    pub bind: Option<String>,
    /// The result (default: success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// An administrator changes an object's security descriptor outside the
/// scenario's threads (or defines a new object).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAcl {
    /// The machine (default: the BITS machine).
    #[serde(default)]
    pub machine: Option<String>,
    /// The path.
    pub path: String,
    /// The kind (default `file`).
    #[serde(default)]
    pub kind: Option<Named<names::ObjectKind>>,
    /// The new security descriptor.
    pub sddl: String,
}

/// Content appears on a server (or a local source file).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Publish {
    /// URL, UNC path or local path.
    pub name: String,
    /// Its size (its content is then a stand-in derived from the name and
    /// the size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// Its content, as text (instead of `bytes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Checks of a job's state.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectJob {
    /// Check only under these profiles (default: every profile the
    /// scenario runs under).
    #[serde(default)]
    pub only: Vec<Named<names::Profile>>,
    /// The job (any pointer name bound to it).
    pub job: String,
    /// Its state (`QUEUED`, `TRANSFERRING`, `ERROR`, ...).
    #[serde(default)]
    pub state: Option<Choice<Named<names::JobState>>>,
    /// Its error code (`BG_E_TOKEN_REQUIRED`, ...), or `none`; or a
    /// choice of them (`{one_of: [...]}`, `{not: ...}`).
    #[serde(default)]
    pub error: Option<Choice<String>>,
    /// Its error context (`BG_ERROR_CONTEXT_REMOTE_FILE`, ...).
    #[serde(default)]
    pub context: Option<Named<names::ErrorContext>>,
    /// The account whose helper token the job holds, or `none`.
    #[serde(default)]
    pub helper_token: Option<String>,
    /// The helper-token flags (number or names).
    #[serde(default)]
    pub helper_flags: Option<Scalar>,
    /// The owner's account.
    #[serde(default)]
    pub owner: Option<String>,
    /// Bytes transferred, all files together.
    #[serde(default)]
    pub bytes_transferred: Option<u64>,
    /// Files completed.
    #[serde(default)]
    pub files_transferred: Option<usize>,
}

/// Declares an expectation struct with the checks every token
/// expectation takes (a thread's effective token, or a named token).
macro_rules! token_checks {
    ($(#[$meta:meta])* pub struct $name:ident { $($body:tt)* }) => {
        $(#[$meta])*
        pub struct $name {
            $($body)*
            /// Its user (an account name).
            #[serde(default)]
            pub user: Option<String>,
            /// Whether its logon session holds network credentials.
            #[serde(default)]
            pub network_credentials: Option<bool>,
            /// Groups that must be enabled (names or SIDs).
            #[serde(default)]
            pub enabled: Vec<String>,
            /// Groups that must not be enabled.
            #[serde(default)]
            pub not_enabled: Vec<String>,
            /// Its mandatory integrity level.
            #[serde(default)]
            pub integrity: Option<Named<names::Integrity>>,
            /// Privileges by state.
            #[serde(default)]
            pub privileges: Option<PrivilegeChecks>,
            /// Groups with the attributes they must (or must not) have.
            #[serde(default)]
            pub groups: Vec<GroupCheck>,
            /// Its elevation type (`default`, `full`, `limited`).
            #[serde(default)]
            pub elevation: Option<Named<names::Elevation>>,
            /// Whether it has a linked token (the other half of a UAC split).
            #[serde(default)]
            pub linked_token: Option<bool>,
            /// Whether it holds a logon SID (a group marked `SE_GROUP_LOGON_ID`).
            #[serde(default)]
            pub logon_sid: Option<bool>,
            /// Its terminal-services session id.
            #[serde(default)]
            pub session: Option<u32>,
        }

        impl $name {
            /// The token checks, borrowed.
            pub fn facts(&self) -> TokenFacts<'_> {
                TokenFacts {
                    user: self.user.as_deref(),
                    network_credentials: self.network_credentials,
                    enabled: &self.enabled,
                    not_enabled: &self.not_enabled,
                    integrity: self.integrity.as_ref(),
                    privileges: self.privileges.as_ref(),
                    groups: &self.groups,
                    elevation: self.elevation.as_ref(),
                    linked_token: self.linked_token,
                    logon_sid: self.logon_sid,
                    session: self.session,
                }
            }
        }
    };
}

/// The checks a token expectation makes, borrowed from `expect_thread`
/// or `expect_token`.
#[derive(Debug, Clone, Copy)]
pub struct TokenFacts<'a> {
    /// Its user.
    pub user: Option<&'a str>,
    /// Whether its logon session holds network credentials.
    pub network_credentials: Option<bool>,
    /// Groups that must be enabled.
    pub enabled: &'a [String],
    /// Groups that must not be enabled.
    pub not_enabled: &'a [String],
    /// Its integrity level.
    pub integrity: Option<&'a Named<names::Integrity>>,
    /// Privileges by state.
    pub privileges: Option<&'a PrivilegeChecks>,
    /// Groups with attributes.
    pub groups: &'a [GroupCheck],
    /// Its elevation type.
    pub elevation: Option<&'a Named<names::Elevation>>,
    /// Whether it has a linked token.
    pub linked_token: Option<bool>,
    /// Whether it holds a logon SID.
    pub logon_sid: Option<bool>,
    /// Its session id.
    pub session: Option<u32>,
}

/// A token's privileges by state: each list names privileges that must
/// be in that state.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivilegeChecks {
    /// Held, whatever their state.
    #[serde(default)]
    pub held: Vec<String>,
    /// Held and enabled.
    #[serde(default)]
    pub enabled: Vec<String>,
    /// Held and disabled.
    #[serde(default)]
    pub disabled: Vec<String>,
    /// Not held at all.
    #[serde(default)]
    pub absent: Vec<String>,
}

/// A group of a token and the `SE_GROUP_*` attributes it must or must
/// not have; attributes left out are not checked.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupCheck {
    /// The group (a name or a SID).
    pub group: String,
    /// Whether the token has it at all (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub present: Option<bool>,
    /// `SE_GROUP_MANDATORY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandatory: Option<bool>,
    /// `SE_GROUP_ENABLED_BY_DEFAULT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled_by_default: Option<bool>,
    /// `SE_GROUP_ENABLED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// `SE_GROUP_OWNER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<bool>,
    /// `SE_GROUP_USE_FOR_DENY_ONLY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny_only: Option<bool>,
    /// `SE_GROUP_LOGON_ID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logon_id: Option<bool>,
    /// `SE_GROUP_RESOURCE` (a domain-local group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<bool>,
}

token_checks! {
    /// Checks of a thread's identity: its effective token (the
    /// impersonation token when it impersonates, else its process's).
    #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ExpectThread {
        /// Check only under these profiles (default: every profile the
        /// scenario runs under).
        #[serde(default)]
        pub only: Vec<Named<names::Profile>>,
        /// The thread.
        pub thread: String,
        /// Whether it is impersonating.
        #[serde(default)]
        pub impersonating: Option<bool>,
        /// The type of its effective token: `primary` when it does not
        /// impersonate, else the impersonation level.
        #[serde(default)]
        pub level: Option<Named<names::TokenKind>>,
    }
}

token_checks! {
    /// Checks of a token's properties.
    #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ExpectToken {
        /// Check only under these profiles (default: every profile the
        /// scenario runs under).
        #[serde(default)]
        pub only: Vec<Named<names::Profile>>,
        /// The token.
        pub token: String,
        /// `primary`, or the impersonation level.
        #[serde(default, rename = "type")]
        pub token_type: Option<Named<names::TokenKind>>,
    }
}

/// A resource the transfer engine reached for a job, since the previous
/// `expect_access` step.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectAccess {
    /// Check only under these profiles (default: every profile the
    /// scenario runs under).
    #[serde(default)]
    pub only: Vec<Named<names::Profile>>,
    /// The job.
    pub job: String,
    /// `local_file`, `remote` or `client_certificate`.
    pub resource: Named<names::Resource>,
    /// Whose identity was used: `owner`, `helper`, `explicit`, `anonymous`.
    #[serde(default)]
    pub acting: Option<Named<names::Acting>>,
    /// The account of the token used.
    #[serde(default)]
    pub user: Option<String>,
    /// Whether it was granted.
    #[serde(default)]
    pub granted: Option<bool>,
    /// `false`: no such access may have happened.
    #[serde(default = "yes")]
    pub happened: bool,
}

/// A property of a run: an observation written like an expectation
/// (`{job: j, state: ERROR}`, `{thread: t, user: bob}`,
/// `{token: t, integrity: high}`, `{job: j, resource: remote, acting:
/// helper}`) and how it must hold over the steps. Exactly one of
/// `always`, `never`, `sometimes` and `eventually` is given.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Property {
    /// A stable id (`P-...`), shown when the property fails.
    pub id: String,
    /// What the property says and why it should hold.
    pub about: String,
    /// Holds after every step where its names are bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub always: Option<Observation>,
    /// Holds after no step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub never: Option<Observation>,
    /// Holds after at least one step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sometimes: Option<Observation>,
    /// Holds after some step, within `within` when it is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eventually: Option<Observation>,
    /// For `eventually`: a number of steps (`5`) or of seconds of virtual
    /// time (`30s`) from the start of the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<Within>,
}

/// The `explore` section: the universe of operations `bitsim explore`
/// and `bitsim fuzz` may apply, in any order, after the steps. Every name
/// in it is one the steps bound with `as` (threads, tokens) or the host
/// declares (servers, accounts); an unknown name is a load error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExploreSpec {
    /// The threads that make calls (thread names bound by the steps).
    #[serde(default)]
    pub actors: Vec<String>,
    /// Tokens an actor may impersonate (`ImpersonateLoggedOnUser`; an
    /// impersonating actor may `RevertToSelf`).
    #[serde(default)]
    pub impersonate: Vec<String>,
    /// Job methods an actor may call through every job pointer its
    /// process holds: `Resume`, `Suspend`, `Cancel`, `Complete`.
    #[serde(default)]
    pub job_methods: Vec<ExploreJobMethod>,
    /// An actor may ask a job pointer for `IBitsTokenOptions`
    /// (`QueryInterface`, once per process and job).
    #[serde(default)]
    pub token_options: bool,
    /// An actor may `GetJob` a job its process holds no pointer to.
    #[serde(default)]
    pub get_job: bool,
    /// An actor may call `SetHelperToken` (its thread token) through a
    /// token-options pointer.
    #[serde(default)]
    pub set_helper_token: bool,
    /// The values `SetHelperTokenFlags` may set, each a number or
    /// constant names joined with `|` (`BG_TOKEN_LOCAL_FILE`,
    /// `BG_TOKEN_NETWORK`, `BG_TOKEN_LOCAL_FILE|BG_TOKEN_NETWORK`, `0`).
    #[serde(default)]
    pub helper_token_flags: Vec<Scalar>,
    /// An actor may call `ClearHelperToken`.
    #[serde(default)]
    pub clear_helper_token: bool,
    /// Threads whose logon session may end (the logon of the thread's
    /// process token is logged off while it is active).
    #[serde(default)]
    pub logoff: Vec<String>,
    /// Terminal-services sessions of the BITS machine that may end while
    /// they are active.
    #[serde(default)]
    pub end_sessions: Vec<u32>,
    /// The network may go down, and come back when it is down.
    #[serde(default)]
    pub network: bool,
    /// The clock may advance by this many seconds (and BITS runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advance: Option<u64>,
    /// The clock may jump to the next moment any timer of the service
    /// has (a retry delay, the no-progress timeout, a job's inactivity
    /// limit, the end of a transfer or of a time slice), and BITS runs.
    #[serde(default)]
    pub advance_to_deadline: bool,
    /// `LogonUser` calls an actor may make, each while no logon of that
    /// account and type exists; the password is the account's default.
    #[serde(default)]
    pub logon_users: Vec<ExploreLogon>,
    /// An actor may impersonate the first token of each active logon
    /// that `logon_users` made.
    #[serde(default)]
    pub impersonate_logons: bool,
    /// Servers (declared by the host) an actor may reach, as its
    /// effective token, asking for `GENERIC_READ`.
    #[serde(default)]
    pub servers: Vec<String>,
    /// Groups of interchangeable users (account names, `[[alice, bob,
    /// carol]]`): states that differ only by a permutation of the users
    /// of a group, with everything that belongs to them, count once. The
    /// users must be interchangeable in the world the steps reach and
    /// under the universe's operations; the model refuses them otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub symmetric: Vec<Vec<String>>,
}

/// A job method an `explore` universe may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ExploreJobMethod {
    /// `IBackgroundCopyJob::Resume`.
    Resume,
    /// `IBackgroundCopyJob::Suspend`.
    Suspend,
    /// `IBackgroundCopyJob::Cancel`.
    Cancel,
    /// `IBackgroundCopyJob::Complete`.
    Complete,
}

/// A `LogonUser` an `explore` universe may make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExploreLogon {
    /// The account (`bob`, `CORP\alice`).
    pub user: String,
    /// `interactive`, `network`, `batch`, `service`, `unlock`,
    /// `network_cleartext`, `new_credentials`.
    #[serde(rename = "type")]
    pub logon_type: Named<names::LogonType>,
}

/// How a property must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Temporal {
    /// After every step.
    Always,
    /// After no step.
    Never,
    /// After at least one step.
    Sometimes,
    /// After some step, within a bound.
    Eventually,
}

impl Property {
    /// The observation and how it must hold, when exactly one is given.
    pub fn body(&self) -> Option<(Temporal, &Observation)> {
        let given: Vec<(Temporal, &Observation)> = [
            (Temporal::Always, self.always.as_ref()),
            (Temporal::Never, self.never.as_ref()),
            (Temporal::Sometimes, self.sometimes.as_ref()),
            (Temporal::Eventually, self.eventually.as_ref()),
        ]
        .into_iter()
        .filter_map(|(t, o)| o.map(|o| (t, o)))
        .collect();
        match given.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }
}

/// A bound on `eventually`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Within {
    /// This many steps from the start of the run.
    Steps(u64),
    /// This many seconds of virtual time from the start of the run.
    Seconds(u64),
}

impl fmt::Display for Within {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Within::Steps(n) => write!(f, "{n} steps"),
            Within::Seconds(n) => write!(f, "{n}s"),
        }
    }
}

struct WithinVisitor;

impl Visitor<'_> for WithinVisitor {
    type Value = Within;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number of steps (`5`) or of seconds (`30s`)")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Within, E> {
        Ok(Within::Steps(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Within, E> {
        u64::try_from(v)
            .map(Within::Steps)
            .map_err(|_| E::custom("a bound cannot be negative"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Within, E> {
        v.strip_suffix('s')
            .and_then(|n| n.trim().parse::<u64>().ok())
            .map(Within::Seconds)
            .ok_or_else(|| {
                E::custom(format!(
                    "`{v}` is not a bound: write a number of steps (`5`) or of seconds (`30s`)"
                ))
            })
    }
}

impl<'de> Deserialize<'de> for Within {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Within, D::Error> {
        d.deserialize_any(WithinVisitor)
    }
}

impl Serialize for Within {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Within::Steps(n) => s.serialize_u64(*n),
            Within::Seconds(n) => s.serialize_str(&format!("{n}s")),
        }
    }
}

impl JsonSchema for Within {
    fn schema_name() -> String {
        "Within".to_string()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        Schema::Object(SchemaObject {
            subschemas: Some(Box::new(schemars::schema::SubschemaValidation {
                one_of: Some(vec![
                    Schema::Object(SchemaObject {
                        instance_type: Some(InstanceType::Integer.into()),
                        ..SchemaObject::default()
                    }),
                    Schema::Object(SchemaObject {
                        instance_type: Some(InstanceType::String.into()),
                        string: Some(Box::new(schemars::schema::StringValidation {
                            pattern: Some("^[0-9]+s$".to_string()),
                            ..Default::default()
                        })),
                        ..SchemaObject::default()
                    }),
                ]),
                ..Default::default()
            })),
            ..SchemaObject::default()
        })
    }
}

/// What a property observes, written exactly like an expectation: the
/// keys say which (`resource` with `job`: an access; `job`: a job;
/// `thread`: a thread's identity; `token`: a token).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Observation {
    /// As `expect_access`, over the accesses of the step just made.
    Access(ExpectAccess),
    /// As `expect`.
    Job(ExpectJob),
    /// As `expect_thread`.
    Thread(ExpectThread),
    /// As `expect_token`.
    Token(ExpectToken),
}

impl Observation {
    /// The profiles it is checked under (empty: all).
    pub fn only(&self) -> &[Named<names::Profile>] {
        match self {
            Observation::Access(e) => &e.only,
            Observation::Job(e) => &e.only,
            Observation::Thread(e) => &e.only,
            Observation::Token(e) => &e.only,
        }
    }

    /// The expectation step that checks the same.
    pub fn as_step(&self) -> Step {
        match self {
            Observation::Access(e) => Step::ExpectAccess(e.clone()),
            Observation::Job(e) => Step::Expect(e.clone()),
            Observation::Thread(e) => Step::ExpectThread(e.clone()),
            Observation::Token(e) => Step::ExpectToken(e.clone()),
        }
    }
}

impl<'de> Deserialize<'de> for Observation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Observation, D::Error> {
        let value = serde_yaml::Value::deserialize(d)?;
        let has = |key: &str| value.as_mapping().is_some_and(|m| m.contains_key(key));
        let out = if has("resource") && has("job") {
            serde_yaml::from_value(value).map(Observation::Access)
        } else if has("job") {
            serde_yaml::from_value(value).map(Observation::Job)
        } else if has("thread") {
            serde_yaml::from_value(value).map(Observation::Thread)
        } else if has("token") {
            serde_yaml::from_value(value).map(Observation::Token)
        } else {
            return Err(de::Error::custom(
                "an observation names a `job`, a `thread` or a `token`, like an expectation",
            ));
        };
        out.map_err(de::Error::custom)
    }
}

/// `CoCreateInstance(CLSID_BackgroundCopyManager)`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CoCreateInstance {
    /// The calling thread.
    pub thread: String,
    /// The name of the `IBackgroundCopyManager` pointer returned.
    #[serde(default, rename = "as")]
    pub bind: Option<String>,
    /// The result (default: success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// `IBackgroundCopyJob5::SetProperty`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetProperty {
    /// The calling thread.
    pub thread: String,
    /// An `IBackgroundCopyJob5` pointer.
    pub job: String,
    /// The property (`BITS_JOB_PROPERTY_ID_COST_FLAGS`, ...).
    pub property: Named<names::JobProperty>,
    /// The value, as the property takes it: a number or constant names
    /// (DWORD, UINT64), `true`/`false` (Enable), a CLSID or `null`
    /// (ClsID), `BG_AUTH_TARGET_PROXY` (Target).
    pub value: Scalar,
    /// The result (default: success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// `IBackgroundCopyJob5::GetProperty`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetProperty {
    /// The calling thread.
    pub thread: String,
    /// An `IBackgroundCopyJob5` pointer.
    pub job: String,
    /// The property.
    pub property: Named<names::JobProperty>,
    /// The value it must return, written as for `SetProperty`.
    #[serde(default, deserialize_with = "written")]
    pub returns: Option<Scalar>,
    /// The result (default: success).
    #[serde(default)]
    pub expect: Option<Expected>,
}

/// What servers and proxies saw: the remote accesses since the previous
/// `expect_server` step for the same server (and job).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectServer {
    /// Check only under these profiles (default: every profile the
    /// scenario runs under).
    #[serde(default)]
    pub only: Vec<Named<names::Profile>>,
    /// The server or proxy (its name in the host section).
    pub server: String,
    /// Only the accesses of this job's transfers (a pointer name).
    #[serde(default)]
    pub job: Option<String>,
    /// Who it saw: an account, `ANONYMOUS LOGON`, or `nobody` (no logon).
    #[serde(default)]
    pub saw: Option<String>,
    /// The package that logged the caller on.
    #[serde(default)]
    pub package: Option<Named<names::AuthScheme>>,
    /// The HTTP status it answered.
    #[serde(default)]
    pub status: Option<u16>,
    /// Whether it granted the access.
    #[serde(default)]
    pub granted: Option<bool>,
    /// `false`: no such access may have happened.
    #[serde(default = "yes")]
    pub happened: bool,
}

/// What a file holds.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectFile {
    /// Check only under these profiles (default: every profile the
    /// scenario runs under).
    #[serde(default)]
    pub only: Vec<Named<names::Profile>>,
    /// The machine (default: the BITS machine).
    #[serde(default)]
    pub machine: Option<String>,
    /// The file.
    pub path: String,
    /// Whether it exists.
    #[serde(default)]
    pub exists: Option<bool>,
    /// Its size in bytes.
    #[serde(default)]
    pub bytes: Option<u64>,
    /// It holds the same bytes as this other file on the same machine.
    #[serde(default)]
    pub same_as: Option<String>,
    /// It holds the content published under this name (a URL or UNC path).
    #[serde(default)]
    pub content_of: Option<String>,
    /// It holds exactly this text.
    #[serde(default)]
    pub text: Option<String>,
}

/// One step.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub enum Step {
    // ----- environment -----
    /// A Winlogon logon (console or Remote Desktop).
    #[serde(rename = "logon")]
    Logon(Logon),
    /// The logon session of a thread's process ends.
    #[serde(rename = "logoff")]
    Logoff(String),
    /// A terminal-services session on the BITS machine ends.
    #[serde(rename = "end_session")]
    EndSession(u32),
    /// A service process starts.
    #[serde(rename = "start_service")]
    StartService(StartService),
    /// "Run as administrator": a new process with the elevated twin of the
    /// thread's filtered token, in the same session.
    #[serde(rename = "run_as_admin")]
    RunAsAdmin(ThreadCall),
    /// The network goes `down` or comes back `up`.
    #[serde(rename = "network")]
    Network(Named<names::NetworkState>),
    /// `MaxInternetBandwidth` is 0 (`true`) or the interval ends (`false`).
    #[serde(rename = "bandwidth_blocked")]
    BandwidthBlocked(bool),
    /// Content appears.
    #[serde(rename = "publish")]
    Publish(Publish),
    /// The clock advances (seconds) and BITS runs.
    #[serde(rename = "advance")]
    Advance(u64),
    /// An object's security descriptor is set outside the scenario.
    #[serde(rename = "set_acl")]
    SetAcl(SetAcl),

    // ----- BITS -----
    /// `CoInitializeSecurity`.
    CoInitializeSecurity(Blanket),
    /// `CoCreateInstance` of the manager.
    CoCreateInstance(CoCreateInstance),
    /// `IBackgroundCopyJob5::SetProperty`.
    SetProperty(SetProperty),
    /// `IBackgroundCopyJob5::GetProperty`.
    GetProperty(GetProperty),
    /// `IBackgroundCopyManager::CreateJob`.
    CreateJob(CreateJob),
    /// `IBackgroundCopyManager::GetJob`.
    GetJob(GetJob),
    /// `IBackgroundCopyManager::EnumJobs`.
    EnumJobs(EnumJobs),
    /// `QueryInterface`.
    QueryInterface(QueryInterface),
    /// `Release`.
    Release(JobCall),
    /// `Resume`.
    Resume(JobCall),
    /// `Suspend`.
    Suspend(JobCall),
    /// `Cancel`.
    Cancel(JobCall),
    /// `Complete`.
    Complete(JobCall),
    /// `AddFile`.
    AddFile(AddFile),
    /// `AddFileSet`.
    AddFileSet(AddFileSet),
    /// `GetState`.
    GetState(JobCall),
    /// `GetProgress` (returns `bytes/total`).
    GetProgress(JobCall),
    /// `GetError` (returns the error code's name).
    GetError(JobCall),
    /// `GetErrorCount`.
    GetErrorCount(JobCall),
    /// `GetOwner` (returns the SID).
    GetOwner(JobCall),
    /// `GetId`.
    GetId(JobCall),
    /// `GetType`.
    GetType(JobCall),
    /// `GetTimes`.
    GetTimes(JobCall),
    /// `GetDisplayName`.
    GetDisplayName(JobCall),
    /// `SetDisplayName`.
    SetDisplayName(JobSet),
    /// `GetDescription`.
    GetDescription(JobCall),
    /// `SetDescription`.
    SetDescription(JobSet),
    /// `SetPriority`.
    SetPriority(JobSet),
    /// `GetPriority`.
    GetPriority(JobCall),
    /// `SetNotifyFlags`.
    SetNotifyFlags(JobSet),
    /// `GetNotifyFlags`.
    GetNotifyFlags(JobCall),
    /// `SetNotifyInterface` (value: true to set one, false for NULL).
    SetNotifyInterface(JobSet),
    /// `GetNotifyInterface`.
    GetNotifyInterface(JobCall),
    /// `SetMinimumRetryDelay`.
    SetMinimumRetryDelay(JobSet),
    /// `GetMinimumRetryDelay`.
    GetMinimumRetryDelay(JobCall),
    /// `SetNoProgressTimeout`.
    SetNoProgressTimeout(JobSet),
    /// `GetNoProgressTimeout`.
    GetNoProgressTimeout(JobCall),
    /// `SetProxySettings`.
    SetProxySettings(SetProxySettings),
    /// `TakeOwnership`.
    TakeOwnership(JobCall),
    /// `EnumFiles`.
    EnumFiles(JobCall),
    /// `SetNotifyCmdLine`.
    SetNotifyCmdLine(SetNotifyCmdLine),
    /// `SetCredentials`.
    SetCredentials(Credentials),
    /// `RemoveCredentials`.
    RemoveCredentials(Credentials),
    /// `GetOwnerElevationState`.
    GetOwnerElevationState(JobCall),
    /// `GetOwnerIntegrityLevel`.
    GetOwnerIntegrityLevel(JobCall),
    /// `SetClientCertificateByName` (value: the certificate's path).
    SetClientCertificate(JobSet),
    /// `RemoveClientCertificate`.
    RemoveClientCertificate(JobCall),
    /// `SetCustomHeaders`.
    SetCustomHeaders(JobSet),
    /// `GetCustomHeaders`.
    GetCustomHeaders(JobCall),
    /// `SetSecurityFlags`.
    SetSecurityFlags(JobSet),
    /// `GetSecurityFlags`.
    GetSecurityFlags(JobCall),
    /// `IBitsTokenOptions::SetHelperToken`: the caller's thread token.
    SetHelperToken(JobCall),
    /// `IBitsTokenOptions::SetHelperTokenFlags`.
    SetHelperTokenFlags(JobSet),
    /// `IBitsTokenOptions::GetHelperTokenFlags`.
    GetHelperTokenFlags(JobCall),
    /// `IBitsTokenOptions::ClearHelperToken`.
    ClearHelperToken(JobCall),
    /// `IBitsTokenOptions::GetHelperTokenSid`.
    GetHelperTokenSid(JobCall),
    /// `IBackgroundCopyFile::GetRemoteName`.
    GetRemoteName(JobCall),
    /// `IBackgroundCopyFile::GetLocalName`.
    GetLocalName(JobCall),
    /// `IBackgroundCopyFile::GetProgress`.
    GetFileProgress(JobCall),
    /// Enumerator `Next`.
    Next(Next),
    /// Enumerator `Skip` (value: count).
    Skip(JobSet),
    /// Enumerator `Reset`.
    Reset(JobCall),
    /// Enumerator `GetCount`.
    GetCount(JobCall),

    // ----- host API -----
    /// `LogonUser`.
    LogonUser(LogonUser),
    /// `LsaLogonUser(KERB_S4U_LOGON)`.
    S4uLogon(S4uLogon),
    /// `ImpersonateLoggedOnUser`.
    ImpersonateLoggedOnUser(ThreadCall),
    /// `WindowsIdentity.Impersonate` (managed impersonation).
    WindowsIdentityImpersonate(ThreadCall),
    /// `ImpersonateNamedPipeClient`.
    ImpersonateNamedPipeClient(PipeClient),
    /// `ImpersonateSelf`.
    ImpersonateSelf(ThreadCall),
    /// `SetThreadToken` (no token: remove the thread's token).
    SetThreadToken(ThreadCall),
    /// `RevertToSelf`.
    RevertToSelf(ThreadCall),
    /// `OpenThreadToken`.
    OpenThreadToken(ThreadCall),
    /// `DuplicateToken` (always an impersonation token).
    DuplicateToken(ThreadCall),
    /// `DuplicateTokenEx` with `TokenPrimary`.
    DuplicateTokenExPrimary(ThreadCall),
    /// `DuplicateTokenEx` with `TokenImpersonation`.
    DuplicateTokenEx(ThreadCall),
    /// `CreateRestrictedToken`.
    CreateRestrictedToken(CreateRestrictedToken),
    /// `AdjustTokenPrivileges`.
    AdjustTokenPrivileges(AdjustTokenPrivileges),
    /// A COM call the server thread impersonates.
    ComCall(ComCall),
    /// `CreateProcess`.
    CreateProcess(CreateProcess),
    /// `CreateProcessAsUser`.
    CreateProcessAsUser(CreateProcess),
    /// `CreateThread` or a managed equivalent.
    CreateThread(CreateThread),
    /// `ExecutionContext.SuppressFlow` (`RestoreFlow` with `false`).
    SuppressFlow(ThreadCall),
    /// `RestoreFlow`.
    RestoreFlow(ThreadCall),
    /// `CreateFile` (a new object).
    CreateFile(FileCall),
    /// `CreateFile` on an existing object.
    OpenFile(FileCall),
    /// `SetFileSecurity`.
    SetFileSecurity(FileCall),
    /// `DeleteFile`.
    DeleteFile(FileCall),
    /// `AccessCheck` / `AccessCheckByType`.
    AccessCheck(AccessCheckCall),
    /// `CreatePrivateObjectSecurityEx`.
    CreatePrivateObjectSecurity(PrivateSecurityCall),

    // ----- the web host -----
    /// A site's app pool starts.
    #[serde(rename = "start_site")]
    StartSite(StartSite),
    /// A browser's request, served on the site's worker thread.
    WebRequest(WebRequest),
    /// `WindowsIdentity.Impersonate(IntPtr.Zero)` in the page.
    ImpersonateIntPtrZero(PageCall),
    /// `WindowsImpersonationContext.Undo()` in the page.
    Undo(PageCall),
    /// A connection to a remote server as the thread's effective token.
    AccessServer(AccessServer),

    // ----- expectations -----
    /// Checks a job.
    #[serde(rename = "expect")]
    Expect(ExpectJob),
    /// Checks a thread.
    #[serde(rename = "expect_thread")]
    ExpectThread(ExpectThread),
    /// Checks a token.
    #[serde(rename = "expect_token")]
    ExpectToken(ExpectToken),
    /// Checks what the transfer engine reached.
    #[serde(rename = "expect_access")]
    ExpectAccess(ExpectAccess),
    /// Checks what servers and proxies saw.
    #[serde(rename = "expect_server")]
    ExpectServer(ExpectServer),
    /// Checks what a file holds.
    #[serde(rename = "expect_file")]
    ExpectFile(ExpectFile),
}

/// The JSON Schema of the format, pretty-printed.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(Scenario);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

impl Serialize for Scalar {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl Serialize for Expected {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Expected::One(choice) => choice.serialize(s),
            Expected::PerProfile(map) => map.serialize(s),
        }
    }
}
