//! The token file: a YAML/JSON description of an access token, as written
//! by people (`bitsim access --token FILE`, conformance fixtures,
//! scenarios), and its conversion into a [`Token`].
//!
//! This module only defines the serde shape and the defaults; reading the
//! file is the caller's business. The format is documented in
//! `docs/token-file.md`.

use serde::{Deserialize, Deserializer};

use crate::claims::{claim_flags, Claim, ClaimType, ClaimValue};
use crate::descriptor::Acl;
use crate::sid::Sid;
use crate::token::{
    group_attrs, mandatory_policy, privilege_attrs, ElevationType, Group, ImpersonationLevel,
    IntegrityLevel, Privilege, PrivilegeEntry, Token, TokenType,
};
use crate::well_known::{self, DomainContext};

/// A SID written as a SID string, an SDDL alias or a well-known name
/// (`Everyone`, `BUILTIN\Administrators`, `SYSTEM`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SidRef(pub Sid);

impl<'de> Deserialize<'de> for SidRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<SidRef, D::Error> {
        let text = String::deserialize(deserializer)?;
        sid_from_text(&text)
            .map(SidRef)
            .map_err(serde::de::Error::custom)
    }
}

/// A group entry: a bare SID (default attributes: mandatory, enabled by
/// default, enabled) or `{sid, attrs: [...]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSpec {
    /// The group SID.
    pub sid: Sid,
    /// `SE_GROUP_*` bits.
    pub attributes: u32,
}

impl<'de> Deserialize<'de> for GroupSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<GroupSpec, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Full {
            sid: SidRef,
            attrs: Vec<GroupAttr>,
        }
        deserializer.deserialize_any(StringOrMap::new(
            "a SID or {sid, attrs}",
            |text: &str| {
                sid_from_text(text).map(|sid| GroupSpec {
                    sid,
                    attributes: group_attrs::DEFAULT,
                })
            },
            |full: Full| GroupSpec {
                sid: full.sid.0,
                attributes: full.attrs.iter().fold(0, |acc, a| acc | a.0),
            },
        ))
    }
}

/// A visitor for entries written either as a string or as a map: keeps the
/// inner error messages (an untagged enum would hide them).
struct StringOrMap<T, M, S, G> {
    expecting: &'static str,
    from_str: S,
    from_map: G,
    _marker: std::marker::PhantomData<(T, M)>,
}

impl<T, M, S, G> StringOrMap<T, M, S, G> {
    fn new(expecting: &'static str, from_str: S, from_map: G) -> Self {
        StringOrMap {
            expecting,
            from_str,
            from_map,
            _marker: std::marker::PhantomData,
        }
    }
}

impl<'de, T, M, S, G> serde::de::Visitor<'de> for StringOrMap<T, M, S, G>
where
    M: Deserialize<'de>,
    S: FnOnce(&str) -> Result<T, String>,
    G: FnOnce(M) -> T,
{
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        (self.from_str)(v).map_err(E::custom)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        let inner = M::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        Ok((self.from_map)(inner))
    }
}

fn sid_from_text(text: &str) -> Result<Sid, String> {
    well_known::resolve(text, &DomainContext::default()).ok_or_else(|| {
        format!(
            "`{text}` is not a SID: expected a SID string (S-1-5-32-544), an SDDL alias (BA) or a well-known name (BUILTIN\\Administrators)"
        )
    })
}

/// One `SE_GROUP_*` attribute by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupAttr(pub u32);

impl<'de> Deserialize<'de> for GroupAttr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<GroupAttr, D::Error> {
        let name = String::deserialize(deserializer)?;
        group_attrs::NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&name))
            .map(|(_, bits)| GroupAttr(*bits))
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "unknown group attribute `{name}`: expected one of enabled, enabled_by_default, mandatory, deny_only, owner, logon_id, integrity, integrity_enabled, resource"
                ))
            })
    }
}

/// A privilege entry: a bare name (present and enabled) or
/// `{name, enabled: false}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivilegeSpec {
    /// The privilege.
    pub privilege: Privilege,
    /// Whether it is enabled.
    pub enabled: bool,
}

impl<'de> Deserialize<'de> for PrivilegeSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PrivilegeSpec, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Full {
            name: Privilege,
            #[serde(default = "yes")]
            enabled: bool,
        }
        fn yes() -> bool {
            true
        }
        deserializer.deserialize_any(StringOrMap::new(
            "a privilege name or {name, enabled}",
            |text: &str| {
                Privilege::from_name(text)
                    .map(|privilege| PrivilegeSpec {
                        privilege,
                        enabled: true,
                    })
                    .ok_or_else(|| {
                        format!("unknown privilege `{text}`: expected a name such as SeBackupPrivilege or SeImpersonatePrivilege")
                    })
            },
            |full: Full| PrivilegeSpec {
                privilege: full.name,
                enabled: full.enabled,
            },
        ))
    }
}

/// An integrity level by name (`low`, `medium`, ...) or `S-1-16-x` SID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntegritySpec(pub IntegrityLevel);

impl<'de> Deserialize<'de> for IntegritySpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<IntegritySpec, D::Error> {
        let text = String::deserialize(deserializer)?;
        IntegrityLevel::parse(&text).map(IntegritySpec).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not an integrity level: expected untrusted, low, medium, medium_plus, high, system or an S-1-16-x SID"
            ))
        })
    }
}

/// Token type as written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenTypeSpec {
    /// A primary (process) token.
    Primary,
    /// An impersonation token.
    Impersonation,
}

/// Token mandatory-policy flags by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicySpec {
    /// `TOKEN_MANDATORY_POLICY_NO_WRITE_UP`.
    NoWriteUp,
    /// `TOKEN_MANDATORY_POLICY_NEW_PROCESS_MIN`.
    NewProcessMin,
}

/// The whole token file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSpec {
    /// The user SID.
    pub user: SidRef,
    /// Groups (default: none).
    #[serde(default)]
    pub groups: Vec<GroupSpec>,
    /// Privileges (default: none).
    #[serde(default)]
    pub privileges: Vec<PrivilegeSpec>,
    /// Integrity level (default: medium).
    #[serde(default)]
    pub integrity: Option<IntegritySpec>,
    /// Mandatory policy (default: `[no_write_up, new_process_min]`).
    #[serde(default)]
    pub mandatory_policy: Option<Vec<PolicySpec>>,
    /// Restricting SIDs (default: none; bare SIDs get attributes 0x7).
    #[serde(default)]
    pub restricted_sids: Vec<GroupSpec>,
    /// `primary` or `impersonation` (default: impersonation, which is
    /// what `AccessCheck` requires).
    #[serde(default, rename = "type")]
    pub token_type: Option<TokenTypeSpec>,
    /// Impersonation level (default: impersonation). Ignored for primary tokens.
    #[serde(default)]
    pub level: Option<ImpersonationLevel>,
    /// Default owner for new objects (default: the user).
    #[serde(default)]
    pub owner: Option<SidRef>,
    /// Primary group (default: the user).
    #[serde(default)]
    pub primary_group: Option<SidRef>,
    /// Terminal-services session id (default 0).
    #[serde(default)]
    pub session_id: u32,
    /// Logon session LUID (default 0).
    #[serde(default)]
    pub logon_session: u64,
    /// Elevation type (default: `default`).
    #[serde(default)]
    pub elevation: Option<ElevationType>,
    /// Device groups (compound identity) for `Device_Member_of`.
    #[serde(default)]
    pub device_groups: Vec<GroupSpec>,
    /// User claims, the `@User.` attributes of conditional ACEs.
    #[serde(default)]
    pub user_claims: Vec<ClaimSpec>,
    /// Device claims, the `@Device.` attributes.
    #[serde(default)]
    pub device_claims: Vec<ClaimSpec>,
}

/// A claim entry: `{name, type, values, case_sensitive}`. Windows' checks
/// (no duplicate values, values of the claim's type) run while the file is
/// read, so a bad claim is an error at its position in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimSpec(pub Claim);

impl<'de> Deserialize<'de> for ClaimSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ClaimSpec, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            name: String,
            #[serde(rename = "type")]
            value_type: String,
            values: Vec<serde_yaml_value::Value>,
            #[serde(default)]
            case_sensitive: bool,
        }
        let raw = Raw::deserialize(deserializer)?;
        let value_type = ClaimType::from_name(&raw.value_type).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown claim type `{}`: expected int64, uint64, string, sid, boolean or octet_string",
                raw.value_type
            ))
        })?;
        let mut values = Vec::new();
        for v in &raw.values {
            values.push(claim_value(value_type, v).map_err(serde::de::Error::custom)?);
        }
        let claim = Claim {
            name: raw.name,
            value_type,
            flags: if raw.case_sensitive {
                claim_flags::CASE_SENSITIVE
            } else {
                0
            },
            values,
        };
        claim.validate().map_err(serde::de::Error::custom)?;
        Ok(ClaimSpec(claim))
    }
}

/// A scalar as the file writes it.
mod serde_yaml_value {
    use serde::Deserialize;

    /// An integer, a boolean or a string.
    #[derive(Debug, Clone, Deserialize)]
    #[serde(untagged)]
    pub enum Value {
        /// A non-negative integer.
        U(u64),
        /// A negative integer.
        I(i64),
        /// A boolean.
        B(bool),
        /// A string.
        S(String),
    }
}

fn claim_value(ty: ClaimType, v: &serde_yaml_value::Value) -> Result<ClaimValue, String> {
    use serde_yaml_value::Value as V;
    let shown = match v {
        V::U(n) => n.to_string(),
        V::I(n) => n.to_string(),
        V::B(b) => b.to_string(),
        V::S(s) => format!("{s:?}"),
    };
    let bad = || format!("claim value {shown} is not a valid {} value", ty.name());
    Ok(match (ty, v) {
        (ClaimType::Int64, V::I(n)) => ClaimValue::Int64(*n),
        (ClaimType::Int64, V::U(n)) => ClaimValue::Int64(i64::try_from(*n).map_err(|_| bad())?),
        (ClaimType::Uint64, V::U(n)) => ClaimValue::Uint64(*n),
        (ClaimType::Boolean, V::B(b)) => ClaimValue::Boolean(*b),
        (ClaimType::Boolean, V::U(0)) => ClaimValue::Boolean(false),
        (ClaimType::Boolean, V::U(1)) => ClaimValue::Boolean(true),
        (ClaimType::String, V::S(s)) => ClaimValue::String(s.clone()),
        (ClaimType::Sid, V::S(s)) => ClaimValue::Sid(sid_from_text(s)?),
        (ClaimType::OctetString, V::S(s)) => ClaimValue::OctetString(
            crate::binary::from_hex(s.trim_start_matches('#')).map_err(|_| bad())?,
        ),
        _ => return Err(bad()),
    })
}

impl TokenSpec {
    /// Builds the token the file describes.
    pub fn build(&self) -> Token {
        let mut token = Token::new(self.user.0.clone());
        token.groups = self
            .groups
            .iter()
            .map(|g| Group {
                sid: g.sid.clone(),
                attributes: g.attributes,
            })
            .collect();
        token.privileges = self
            .privileges
            .iter()
            .map(|p| PrivilegeEntry {
                privilege: p.privilege,
                attributes: if p.enabled {
                    privilege_attrs::ENABLED | privilege_attrs::ENABLED_BY_DEFAULT
                } else {
                    0
                },
            })
            .collect();
        token.integrity = self.integrity.map_or(IntegrityLevel::MEDIUM, |i| i.0);
        if let Some(policy) = &self.mandatory_policy {
            token.mandatory_policy = policy.iter().fold(mandatory_policy::OFF, |acc, p| {
                acc | match p {
                    PolicySpec::NoWriteUp => mandatory_policy::NO_WRITE_UP,
                    PolicySpec::NewProcessMin => mandatory_policy::NEW_PROCESS_MIN,
                }
            });
        }
        token.restricted_sids = self
            .restricted_sids
            .iter()
            .map(|g| Group {
                sid: g.sid.clone(),
                attributes: g.attributes,
            })
            .collect();
        token.token_type = match self.token_type.unwrap_or(TokenTypeSpec::Impersonation) {
            TokenTypeSpec::Primary => TokenType::Primary,
            TokenTypeSpec::Impersonation => {
                TokenType::Impersonation(self.level.unwrap_or(ImpersonationLevel::Impersonation))
            }
        };
        if let Some(owner) = &self.owner {
            token.owner = owner.0.clone();
        }
        if let Some(group) = &self.primary_group {
            token.primary_group = group.0.clone();
        }
        token.session_id = self.session_id;
        token.logon_session = self.logon_session;
        token.elevation_type = self.elevation.unwrap_or(ElevationType::Default);
        token.device_groups = self
            .device_groups
            .iter()
            .map(|g| Group {
                sid: g.sid.clone(),
                attributes: g.attributes,
            })
            .collect();
        token.user_claims = self.user_claims.iter().map(|c| c.0.clone()).collect();
        token.device_claims = self.device_claims.iter().map(|c| c.0.clone()).collect();
        token.default_dacl = None::<Acl>;
        token
    }
}
