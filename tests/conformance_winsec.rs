//! Conformance vectors for `winsec`, loaded from `tests/conformance/winsec/`.
//!
//! One test per fixture file runs every vector of that file through the
//! `winsec` API and fails with the list of all failing vectors, each with
//! what was expected and what happened. A further test pins the number of
//! vectors of each kind and the uniqueness of their ids, so that vectors
//! cannot disappear silently. The fixture format is described in
//! `tests/conformance/README.md`; the schema below is its definition, and
//! every struct denies unknown fields so that a misspelt key fails loudly.

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;

use bitsim_conformance::{
    load_winsec, parse_hex_u32, vector_headers, winsec_dir, yaml_files, ConformanceFailure, Report,
    VectorCheck,
};
use serde::{Deserialize, Deserializer};
use winsec::binary::{from_hex, from_self_relative, to_hex, to_self_relative};
use winsec::sddl::{self, convert_string_sd_to_sd};
use winsec::well_known::{sid_for_alias, sid_for_wks_index};
use winsec::{
    AccessCheckResult, AccessMask, Ace, AceType, Acl, AclSlot, DomainContext, GenericMapping,
    SecurityDescriptor, Sid, TokenSpec, Win32Error,
};

type TestResult = Result<(), Box<dyn Error>>;

// ---------------------------------------------------------------------------
// Pieces shared by several files.

/// A fixture file: an optional domain context and the vectors.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture<V> {
    #[serde(default)]
    context: ContextSpec,
    vectors: Vec<V>,
}

/// The domains domain-relative aliases resolve against. Unset parts fall
/// back to the enclosing context (file, then `DomainContext::default()`).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextSpec {
    machine: Option<String>,
    domain: Option<String>,
}

impl ContextSpec {
    fn over(&self, base: &DomainContext) -> Result<DomainContext, String> {
        let sid = |text: &Option<String>, fallback: &Sid| match text {
            Some(t) => t
                .parse::<Sid>()
                .map_err(|e| format!("context SID `{t}` does not parse: {e}")),
            None => Ok(fallback.clone()),
        };
        Ok(DomainContext {
            machine: sid(&self.machine, &base.machine)?,
            domain: sid(&self.domain, &base.domain)?,
        })
    }
}

/// The file context, overridden by a vector's own `context`, if any.
fn vector_context(
    file: &DomainContext,
    own: Option<&ContextSpec>,
    check: &mut VectorCheck,
) -> Option<DomainContext> {
    match own {
        Some(spec) => check.ok("fixture context", spec.over(file)),
        None => Some(file.clone()),
    }
}

/// A Win32 error as `{name, code}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrorRef {
    name: String,
    code: u32,
}

impl ErrorRef {
    /// The error, when the name is known and the code agrees with it.
    fn resolve(&self) -> Result<Win32Error, String> {
        let error = Win32Error::from_name(&self.name)
            .ok_or_else(|| format!("fixture error `{}` is not a known Win32 error", self.name))?;
        if error.code() != self.code {
            return Err(format!(
                "fixture error `{}` has code {}, but winsec says {}",
                self.name,
                self.code,
                error.code()
            ));
        }
        Ok(error)
    }
}

/// A mask written as `0x` + hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hex(u32);

impl<'de> Deserialize<'de> for Hex {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Hex, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_hex_u32(&text)
            .map(Hex)
            .map_err(serde::de::Error::custom)
    }
}

/// A mask in a vector's input: hex, decimal, or right names joined by `|`.
fn desired_mask(text: &str) -> Result<AccessMask, String> {
    AccessMask::parse_expr(text).map_err(|e| e.to_string())
}

/// A SID in a fixture, resolved as SDDL does (SID string or alias).
fn fixture_sid(text: &str, ctx: &DomainContext) -> Result<Sid, String> {
    Sid::parse_in(text, ctx).map_err(|e| format!("fixture SID `{text}` does not parse: {e}"))
}

/// `ERROR_NAME (code)` or `none`, for messages.
fn error_text(error: Option<Win32Error>) -> String {
    error.map_or_else(|| "none".to_string(), |e| e.to_string())
}

// ---------------------------------------------------------------------------
// sid.yaml: sid_parse, sid_format, well_known_sid.

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum SidVector {
    SidParse(SidParse),
    SidFormat(SidFormat),
    WellKnownSid(WellKnownSid),
}

/// Either one `input` string, or an `aliases` table checked both ways.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SidParse {
    id: String,
    source: String,
    verification: String,
    api: Option<String>,
    note: Option<String>,
    input: Option<String>,
    aliases: Option<BTreeMap<String, String>>,
    expect: SidParseExpect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SidParseExpect {
    accepted: Option<bool>,
    canonical: Option<String>,
    error: Option<ErrorRef>,
    /// For `aliases`: the control word of the SD parsed from `O:<alias>`.
    control: Option<Hex>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SidFormat {
    id: String,
    source: String,
    verification: String,
    api: Option<String>,
    note: Option<String>,
    /// The six identifier-authority bytes, big-endian, as hex pairs.
    authority_bytes: String,
    sub_authorities: Vec<u32>,
    expect: SidFormatExpect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SidFormatExpect {
    string: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WellKnownSid {
    id: String,
    source: String,
    verification: String,
    api: Option<String>,
    note: Option<String>,
    /// The DomainSid passed for the domain-relative types.
    domain: String,
    index_to_sid: BTreeMap<u32, String>,
    /// Domain-relative types, checked through the alias of the same account.
    domain_relative_aliases: BTreeMap<u32, String>,
    /// Types `CreateWellKnownSid` cannot build.
    not_creatable: Vec<u32>,
}

fn run_sid_parse(v: &SidParse, ctx: &DomainContext) -> VectorCheck {
    let mut check = VectorCheck::new(&v.id, None).citing(
        &v.source,
        &v.verification,
        v.api.as_deref(),
        v.note.as_deref(),
    );
    match (&v.input, &v.aliases) {
        (Some(input), None) => sid_parse_one(input, &v.expect, &mut check),
        (None, Some(aliases)) => sid_parse_aliases(aliases, &v.expect, ctx, &mut check),
        _ => check.fail("fixture: a sid_parse vector needs exactly one of `input` and `aliases`"),
    }
    check
}

fn sid_parse_one(input: &str, expect: &SidParseExpect, check: &mut VectorCheck) {
    let Some(accepted) = expect.accepted else {
        check.fail("fixture: `expect.accepted` is required with `input`");
        return;
    };
    match (accepted, input.parse::<Sid>()) {
        (true, Ok(sid)) => {
            if let Some(canonical) = &expect.canonical {
                check.expect_eq(
                    "canonical string",
                    canonical.as_str(),
                    sid.to_string().as_str(),
                );
            }
        }
        (true, Err(e)) => check.fail(format!(
            "expected {input:?} to be accepted, but it was rejected: {e} ({})",
            e.win32()
        )),
        (false, Ok(sid)) => check.fail(format!(
            "expected {input:?} to be rejected, but it was accepted as {sid}"
        )),
        (false, Err(e)) => {
            if let Some(expected) = &expect.error {
                if let Some(expected) = check.ok("fixture", expected.resolve()) {
                    check.expect_eq("error", &expected.to_string(), &e.win32().to_string());
                }
            }
        }
    }
}

fn sid_parse_aliases(
    aliases: &BTreeMap<String, String>,
    expect: &SidParseExpect,
    ctx: &DomainContext,
    check: &mut VectorCheck,
) {
    for (alias, expected_sid) in aliases {
        // ConvertStringSidToSid accepts aliases.
        match alias.parse::<Sid>() {
            Ok(sid) => check.expect_eq(
                &format!("{alias}: SID string parser"),
                expected_sid.as_str(),
                sid.to_string().as_str(),
            ),
            Err(e) => check.fail(format!("{alias}: SID string parser rejected it: {e}")),
        }
        // ConvertStringSecurityDescriptorToSecurityDescriptor("O:<alias>").
        let text = format!("O:{alias}");
        match sddl::parse(&text, ctx) {
            Ok(sd) => {
                let owner = sd.owner.as_ref().map(Sid::to_string);
                check.expect_eq(
                    &format!("{text}: owner"),
                    &Some(expected_sid.clone()),
                    &owner,
                );
                if let Some(Hex(control)) = expect.control {
                    check.expect_eq(
                        &format!("{text}: control"),
                        &format!("{control:#06x}"),
                        &format!("{:#06x}", sd.control()),
                    );
                }
            }
            Err(e) => check.fail(format!("{text}: rejected: {e} ({})", e.win32)),
        }
        // Printing `O:<SID>` gives the alias back.
        let text = format!("O:{expected_sid}");
        match sddl::parse(&text, ctx) {
            Ok(sd) => check.expect_eq(
                &format!("{text}: printed"),
                format!("O:{alias}").as_str(),
                sddl::print(&sd, ctx).as_str(),
            ),
            Err(e) => check.fail(format!("{text}: rejected: {e} ({})", e.win32)),
        }
    }
}

fn run_sid_format(v: &SidFormat) -> VectorCheck {
    let mut check = VectorCheck::new(&v.id, None).citing(
        &v.source,
        &v.verification,
        v.api.as_deref(),
        v.note.as_deref(),
    );
    let Some(bytes) = check.ok("fixture authority_bytes", from_hex(&v.authority_bytes)) else {
        return check;
    };
    let Ok(bytes) = <[u8; 6]>::try_from(bytes.as_slice()) else {
        check.fail(format!(
            "fixture: authority_bytes {:?} is not six bytes",
            v.authority_bytes
        ));
        return check;
    };
    match Sid::from_authority_bytes(bytes, &v.sub_authorities) {
        Some(sid) => {
            check.expect_eq("string", v.expect.string.as_str(), sid.to_string().as_str());
            // "... and back": the string parses to the same SID.
            match v.expect.string.parse::<Sid>() {
                Ok(back) => check.expect_eq(
                    "the string parsed back",
                    sid.to_string().as_str(),
                    back.to_string().as_str(),
                ),
                Err(e) => check.fail(format!("{:?} does not parse back: {e}", v.expect.string)),
            }
        }
        None => check.fail("Sid::from_authority_bytes refused the authority and sub-authorities"),
    }
    check
}

fn run_well_known(v: &WellKnownSid) -> VectorCheck {
    let mut check = VectorCheck::new(&v.id, None).citing(
        &v.source,
        &v.verification,
        v.api.as_deref(),
        v.note.as_deref(),
    );
    let Some(domain) = check.ok("fixture domain", v.domain.parse::<Sid>()) else {
        return check;
    };
    let ctx = DomainContext {
        machine: domain.clone(),
        domain,
    };
    for (index, expected) in &v.index_to_sid {
        let actual = match v.domain_relative_aliases.get(index) {
            Some(alias) => sid_for_alias(alias, &ctx),
            None => sid_for_wks_index(*index),
        };
        check.expect_eq(
            &format!("index {index}"),
            &Some(expected.clone()),
            &actual.as_ref().map(Sid::to_string),
        );
    }
    for index in v.domain_relative_aliases.keys() {
        if !v.index_to_sid.contains_key(index) {
            check.fail(format!(
                "fixture: domain_relative_aliases names index {index}, which index_to_sid lacks"
            ));
        }
    }
    for index in &v.not_creatable {
        check.expect_eq(
            &format!("index {index} (not creatable)"),
            &None,
            &sid_for_wks_index(*index).as_ref().map(Sid::to_string),
        );
    }
    check
}

#[test]
fn sid_vectors() -> TestResult {
    let fixture: Fixture<SidVector> = load_winsec("sid.yaml")?;
    let ctx = fixture.context.over(&DomainContext::default())?;
    let mut report = Report::new("sid.yaml");
    for vector in &fixture.vectors {
        report.record(match vector {
            SidVector::SidParse(v) => run_sid_parse(v, &ctx),
            SidVector::SidFormat(v) => run_sid_format(v),
            SidVector::WellKnownSid(v) => run_well_known(v),
        });
    }
    Ok(report.finish()?)
}

// ---------------------------------------------------------------------------
// sddl.yaml: sddl_parse, sddl_reject, sddl_roundtrip, sd_to_sddl.

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum SddlVector {
    SddlParse(SddlCase),
    SddlReject(SddlCase),
    SddlRoundtrip(SddlCase),
    SdToSddl(SdToSddl),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SddlCase {
    id: String,
    source: String,
    verification: String,
    api: Option<String>,
    note: Option<String>,
    /// The SDDL string; `null` is the NULL pointer.
    input: Option<String>,
    /// The revision argument of the Win32 call, when the source names one.
    revision: Option<u32>,
    context: Option<ContextSpec>,
    expect: SddlExpect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SddlExpect {
    accepted: bool,
    /// What Windows printed for the parsed descriptor.
    canonical: Option<String>,
    first_dacl_ace: Option<FirstAce>,
    error: Option<ErrorRef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FirstAce {
    acl_revision: u8,
    mask: Hex,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SdToSddl {
    id: String,
    source: String,
    verification: String,
    api: Option<String>,
    note: Option<String>,
    security_information: String,
    context: Option<ContextSpec>,
    sd: SdSpec,
    expect: SdToSddlExpect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SdToSddlExpect {
    sddl: String,
}

/// A descriptor built field by field. A missing ACL is absent; `null_acl`
/// is a NULL ACL; a list (possibly empty) is a present ACL.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SdSpec {
    owner: Option<String>,
    group: Option<String>,
    dacl: Option<AclSpec>,
    sacl: Option<AclSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum AclSpec {
    Aces(Vec<AceSpec>),
    Word(AclWord),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum AclWord {
    NullAcl,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AceSpec {
    /// The SDDL ACE type token (`A`, `D`, `AU`, `ML`, ...).
    #[serde(rename = "type")]
    ace_type: String,
    #[serde(default)]
    flags: Option<Hex>,
    mask: Hex,
    sid: String,
}

impl SdSpec {
    fn build(&self, ctx: &DomainContext) -> Result<SecurityDescriptor, String> {
        let sid = |text: &Option<String>| text.as_deref().map(|t| fixture_sid(t, ctx)).transpose();
        Ok(SecurityDescriptor {
            owner: sid(&self.owner)?,
            group: sid(&self.group)?,
            dacl: acl_slot(self.dacl.as_ref(), ctx)?,
            sacl: acl_slot(self.sacl.as_ref(), ctx)?,
            ..SecurityDescriptor::default()
        })
    }
}

fn acl_slot(spec: Option<&AclSpec>, ctx: &DomainContext) -> Result<AclSlot, String> {
    Ok(match spec {
        None => AclSlot::Absent,
        Some(AclSpec::Word(AclWord::NullAcl)) => AclSlot::Null,
        Some(AclSpec::Aces(aces)) => {
            let aces = aces
                .iter()
                .map(|a| {
                    let ace_type = AceType::from_sddl(&a.ace_type)
                        .ok_or_else(|| format!("fixture ACE type `{}` is unknown", a.ace_type))?;
                    let flags = a.flags.map_or(Ok(0), |Hex(f)| {
                        u8::try_from(f)
                            .map_err(|_| format!("fixture ACE flags {f:#x} exceed a byte"))
                    })?;
                    Ok(Ace::new(
                        ace_type,
                        flags,
                        AccessMask(a.mask.0),
                        fixture_sid(&a.sid, ctx)?,
                    ))
                })
                .collect::<Result<Vec<Ace>, String>>()?;
            AclSlot::Present(Acl::new(aces))
        }
    })
}

/// Which of the three string-input kinds an [`SddlCase`] is.
#[derive(Debug, Clone, Copy)]
enum SddlKind {
    Parse,
    Reject,
    Roundtrip,
}

fn run_sddl_case(kind: SddlKind, v: &SddlCase, file_ctx: &DomainContext) -> VectorCheck {
    let mut check = VectorCheck::new(&v.id, None).citing(
        &v.source,
        &v.verification,
        v.api.as_deref(),
        v.note.as_deref(),
    );
    let expect = &v.expect;
    let shape_ok = match kind {
        SddlKind::Parse => expect.accepted,
        SddlKind::Reject => !expect.accepted && expect.canonical.is_none(),
        SddlKind::Roundtrip => expect.accepted && expect.canonical.is_some(),
    };
    if !shape_ok {
        check.fail(format!("fixture: `expect` does not fit kind {kind:?}"));
        return check;
    }
    let Some(ctx) = vector_context(file_ctx, v.context.as_ref(), &mut check) else {
        return check;
    };
    let expected_error = match &expect.error {
        Some(e) => match check.ok("fixture", e.resolve()) {
            Some(e) => Some(e),
            None => return check,
        },
        None => None,
    };

    // The parser.
    if let Some(input) = &v.input {
        match (expect.accepted, sddl::parse(input, &ctx)) {
            (true, Ok(sd)) => {
                if let Some(canonical) = &expect.canonical {
                    check.expect_eq(
                        "printed",
                        canonical.as_str(),
                        sddl::print(&sd, &ctx).as_str(),
                    );
                }
                if let Some(first) = &expect.first_dacl_ace {
                    check_first_dacl_ace(&sd, first, &mut check);
                }
            }
            (true, Err(e)) => check.fail(format!(
                "expected {input:?} to be accepted, but it was rejected: {e} ({})",
                e.win32
            )),
            (false, Ok(sd)) => check.fail(format!(
                "expected {input:?} to be rejected, but it was accepted and prints {:?}",
                sddl::print(&sd, &ctx)
            )),
            (false, Err(e)) => {
                if let Some(expected) = expected_error {
                    check.expect_eq(
                        &format!("error ({e})"),
                        &expected.to_string(),
                        &e.win32.to_string(),
                    );
                }
            }
        }
    }

    // The Win32 call, when the source made one with a revision or a NULL string.
    if v.revision.is_some() || v.input.is_none() {
        let revision = v.revision.unwrap_or(sddl::SDDL_REVISION_1);
        match (expect.accepted, convert_string_sd_to_sd(v.input.as_deref(), revision, &ctx)) {
            (true, Ok(_)) => {}
            (true, Err(e)) => check.fail(format!(
                "ConvertStringSecurityDescriptorToSecurityDescriptor(revision {revision}) failed with {e}"
            )),
            (false, Ok(sd)) => check.fail(format!(
                "ConvertStringSecurityDescriptorToSecurityDescriptor(revision {revision}) succeeded, printing {:?}",
                sddl::print(&sd, &ctx)
            )),
            (false, Err(e)) => {
                if let Some(expected) = expected_error {
                    check.expect_eq(
                        "ConvertStringSecurityDescriptorToSecurityDescriptor error",
                        &expected.to_string(),
                        &e.to_string(),
                    );
                }
            }
        }
    }
    check
}

fn check_first_dacl_ace(sd: &SecurityDescriptor, first: &FirstAce, check: &mut VectorCheck) {
    match &sd.dacl {
        AclSlot::Present(acl) => {
            check.expect_eq("DACL revision", &first.acl_revision, &acl.revision);
            match acl.aces.first() {
                Some(ace) => {
                    check.expect_eq("first ACE mask", &AccessMask(first.mask.0), &ace.mask)
                }
                None => check.fail("the DACL has no ACE"),
            }
        }
        other => check.fail(format!("expected a present DACL, got {other:?}")),
    }
}

fn run_sd_to_sddl(v: &SdToSddl, file_ctx: &DomainContext) -> VectorCheck {
    let mut check = VectorCheck::new(&v.id, None).citing(
        &v.source,
        &v.verification,
        v.api.as_deref(),
        v.note.as_deref(),
    );
    if v.security_information != "OWNER|GROUP|DACL|SACL_SECURITY_INFORMATION" {
        check.fail(format!(
            "fixture: security_information {:?} is not supported (sddl::print prints every part)",
            v.security_information
        ));
        return check;
    }
    let Some(ctx) = vector_context(file_ctx, v.context.as_ref(), &mut check) else {
        return check;
    };
    if let Some(sd) = check.ok("fixture sd", v.sd.build(&ctx)) {
        check.expect_eq(
            "printed",
            v.expect.sddl.as_str(),
            sddl::print(&sd, &ctx).as_str(),
        );
    }
    check
}

#[test]
fn sddl_vectors() -> TestResult {
    let fixture: Fixture<SddlVector> = load_winsec("sddl.yaml")?;
    let ctx = fixture.context.over(&DomainContext::default())?;
    let mut report = Report::new("sddl.yaml");
    for vector in &fixture.vectors {
        report.record(match vector {
            SddlVector::SddlParse(v) => run_sddl_case(SddlKind::Parse, v, &ctx),
            SddlVector::SddlReject(v) => run_sddl_case(SddlKind::Reject, v, &ctx),
            SddlVector::SddlRoundtrip(v) => run_sddl_case(SddlKind::Roundtrip, v, &ctx),
            SddlVector::SdToSddl(v) => run_sd_to_sddl(v, &ctx),
        });
    }
    Ok(report.finish()?)
}

// ---------------------------------------------------------------------------
// binary.yaml: sddl_to_binary.

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum BinaryVector {
    SddlToBinary(SddlToBinary),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SddlToBinary {
    id: String,
    source: String,
    verification: String,
    api: Option<String>,
    note: Option<String>,
    input: String,
    context: Option<ContextSpec>,
    expect: BinaryExpect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BinaryExpect {
    /// The self-relative bytes Windows produced, when captured.
    raw_hex: Option<String>,
    decoded: DecodedSd,
}

/// The decoded bytes. A missing owner, group or ACL is absent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecodedSd {
    control: Hex,
    owner: Option<String>,
    group: Option<String>,
    dacl: Option<DecodedAcl>,
    sacl: Option<DecodedAcl>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecodedAcl {
    revision: u8,
    size: usize,
    count: usize,
    aces: Vec<DecodedAce>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecodedAce {
    /// The `AceType` byte.
    #[serde(rename = "type")]
    ace_type: u8,
    flags: Hex,
    mask: Hex,
    sid: String,
    size: usize,
}

/// Compares the decoded expectation with a descriptor; `side` names where
/// the descriptor came from.
fn check_decoded(
    side: &str,
    expected: &DecodedSd,
    sd: &SecurityDescriptor,
    check: &mut VectorCheck,
) {
    check.expect_eq(
        &format!("{side}: control"),
        &format!("{:#06x}", expected.control.0),
        &format!("{:#06x}", sd.control()),
    );
    check.expect_eq(
        &format!("{side}: owner"),
        &expected.owner,
        &sd.owner.as_ref().map(Sid::to_string),
    );
    check.expect_eq(
        &format!("{side}: group"),
        &expected.group,
        &sd.group.as_ref().map(Sid::to_string),
    );
    check_decoded_acl(
        &format!("{side}: DACL"),
        expected.dacl.as_ref(),
        &sd.dacl,
        check,
    );
    check_decoded_acl(
        &format!("{side}: SACL"),
        expected.sacl.as_ref(),
        &sd.sacl,
        check,
    );
}

fn check_decoded_acl(
    what: &str,
    expected: Option<&DecodedAcl>,
    slot: &AclSlot,
    check: &mut VectorCheck,
) {
    let (expected, acl) = match (expected, slot) {
        (None, AclSlot::Absent) => return,
        (Some(expected), AclSlot::Present(acl)) => (expected, acl),
        (None, other) => {
            check.fail(format!("{what}: expected absent, got {other:?}"));
            return;
        }
        (Some(_), other) => {
            check.fail(format!("{what}: expected a present ACL, got {other:?}"));
            return;
        }
    };
    if expected.count != expected.aces.len() {
        check.fail(format!(
            "{what}: fixture count {} disagrees with its ACE list",
            expected.count
        ));
    }
    check.expect_eq(
        &format!("{what} revision"),
        &expected.revision,
        &acl.revision,
    );
    check.expect_eq(&format!("{what} size"), &expected.size, &acl.binary_len());
    check.expect_eq(
        &format!("{what} ACE count"),
        &expected.count,
        &acl.aces.len(),
    );
    for (index, (want, ace)) in expected.aces.iter().zip(&acl.aces).enumerate() {
        let what = format!("{what} ACE {index}");
        check.expect_eq(
            &format!("{what} type"),
            &want.ace_type,
            &ace.ace_type.code(),
        );
        check.expect_eq(
            &format!("{what} flags"),
            &format!("{:#04x}", want.flags.0),
            &format!("{:#04x}", ace.flags.0),
        );
        check.expect_eq(&format!("{what} mask"), &AccessMask(want.mask.0), &ace.mask);
        check.expect_eq(
            &format!("{what} SID"),
            want.sid.as_str(),
            ace.sid.to_string().as_str(),
        );
        check.expect_eq(&format!("{what} size"), &want.size, &ace.binary_len());
    }
}

fn run_sddl_to_binary(v: &SddlToBinary, file_ctx: &DomainContext) -> VectorCheck {
    let mut check = VectorCheck::new(&v.id, None).citing(
        &v.source,
        &v.verification,
        v.api.as_deref(),
        v.note.as_deref(),
    );
    let Some(ctx) = vector_context(file_ctx, v.context.as_ref(), &mut check) else {
        return check;
    };
    let expect = &v.expect;
    let raw = match &expect.raw_hex {
        Some(hex) => match check.ok("fixture raw_hex", from_hex(hex)) {
            Some(bytes) => Some(bytes),
            None => return check,
        },
        None => None,
    };
    // The fixture's decoded control must be the control word of its bytes.
    if let Some(raw) = &raw {
        let header = raw
            .get(2..4)
            .map(|c| u32::from(u16::from_le_bytes([c[0], c[1]])));
        if header != Some(expect.decoded.control.0) {
            check.fail(format!(
                "fixture: decoded control {:#06x} is not the control word of raw_hex ({header:?})",
                expect.decoded.control.0
            ));
            return check;
        }
    }

    // SDDL -> descriptor -> bytes.
    let parsed = match sddl::parse(&v.input, &ctx) {
        Ok(sd) => Some(sd),
        Err(e) => {
            check.fail(format!("{:?} was rejected: {e} ({})", v.input, e.win32));
            None
        }
    };
    if let Some(sd) = &parsed {
        check_decoded("parsed SDDL", &expect.decoded, sd, &mut check);
        let bytes = to_self_relative(sd);
        match &raw {
            Some(raw) => check.expect_eq(
                "SDDL -> bytes",
                to_hex(raw).as_str(),
                to_hex(&bytes).as_str(),
            ),
            // No captured bytes: decode our own and compare their layout.
            None => match from_self_relative(&bytes) {
                Ok(back) => {
                    check_decoded("SDDL -> bytes -> SD", &expect.decoded, &back, &mut check)
                }
                Err(e) => check.fail(format!(
                    "our own bytes {} do not decode: {e}",
                    to_hex(&bytes)
                )),
            },
        }
    }

    // Windows' bytes -> descriptor, printed like the parsed input.
    if let Some(raw) = &raw {
        match from_self_relative(raw) {
            Ok(decoded) => {
                check_decoded("raw_hex", &expect.decoded, &decoded, &mut check);
                if let Some(sd) = &parsed {
                    check.expect_eq(
                        "bytes -> SD printed like the parsed input",
                        sddl::print(sd, &ctx).as_str(),
                        sddl::print(&decoded, &ctx).as_str(),
                    );
                }
            }
            Err(e) => check.fail(format!("raw_hex does not decode: {e}")),
        }
    }
    check
}

#[test]
fn binary_vectors() -> TestResult {
    let fixture: Fixture<BinaryVector> = load_winsec("binary.yaml")?;
    let ctx = fixture.context.over(&DomainContext::default())?;
    let mut report = Report::new("binary.yaml");
    for vector in &fixture.vectors {
        report.record(match vector {
            BinaryVector::SddlToBinary(v) => run_sddl_to_binary(v, &ctx),
        });
    }
    Ok(report.finish()?)
}

// ---------------------------------------------------------------------------
// generic_map.yaml: generic_map.

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum MapVector {
    GenericMap(GenericMap),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericMap {
    id: String,
    source: String,
    verification: String,
    api: Option<String>,
    note: Option<String>,
    object_type: String,
    /// A `GenericMapping::by_name` name.
    mapping: String,
    cases: Vec<MapCase>,
    /// Observations of the same source that GenericMapping does not model.
    #[serde(default)]
    not_checked_here: Vec<MapCase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MapCase {
    label: Option<String>,
    desired: String,
    granted: Hex,
    note: Option<String>,
}

impl MapCase {
    /// How messages name the case: its label, else its desired mask.
    fn name(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.desired)
    }
}

fn run_generic_map(v: &GenericMap) -> VectorCheck {
    let mut check = VectorCheck::new(&v.id, None).citing(
        &v.source,
        &v.verification,
        v.api.as_deref(),
        v.note.as_deref(),
    );
    let Some(mapping) = GenericMapping::by_name(&v.mapping) else {
        check.fail(format!(
            "winsec has no GenericMapping named {:?} (object type {})",
            v.mapping, v.object_type
        ));
        return check;
    };
    for case in &v.cases {
        if let Some(desired) = check.ok(
            &format!("fixture desired {:?}", case.desired),
            desired_mask(&case.desired),
        ) {
            check.expect_eq(
                &format!("{}: {}.map({})", case.name(), v.mapping, case.desired),
                &AccessMask(case.granted.0),
                &mapping.map(desired),
            );
        }
    }
    // Validated, not compared: the note says which layer models them.
    for case in &v.not_checked_here {
        let what = format!(
            "fixture desired {:?} ({})",
            case.desired,
            case.note.as_deref().unwrap_or("")
        );
        check.ok(&what, desired_mask(&case.desired));
    }
    check
}

#[test]
fn generic_map_vectors() -> TestResult {
    let fixture: Fixture<MapVector> = load_winsec("generic_map.yaml")?;
    let mut report = Report::new("generic_map.yaml");
    for vector in &fixture.vectors {
        report.record(match vector {
            MapVector::GenericMap(v) => run_generic_map(v),
        });
    }
    Ok(report.finish()?)
}

// ---------------------------------------------------------------------------
// access_check.yaml: access_check.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessFixture {
    #[serde(default)]
    context: ContextSpec,
    /// Named tokens in token-file form.
    tokens: BTreeMap<String, TokenSpec>,
    vectors: Vec<AccessVector>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum AccessVector {
    AccessCheck(AccessCase),
    AccessCheckByType(AccessCase),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessCase {
    id: String,
    case: Option<String>,
    source: String,
    verification: String,
    api: Option<String>,
    note: Option<String>,
    /// The security descriptor in SDDL.
    sd: String,
    token: TokenRef,
    desired: String,
    mapping: MappingRef,
    /// AccessCheckByType's PrincipalSelfSid (absent: none given).
    principal_self: Option<String>,
    /// The open carries backup intent.
    #[serde(default)]
    backup_intent: bool,
    expect: AccessExpect,
}

/// A token: the name of an entry of `tokens`, or a token file inline.
#[derive(Debug)]
enum TokenRef {
    Named(String),
    Inline(Box<TokenSpec>),
}

impl<'de> Deserialize<'de> for TokenRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TokenRef, D::Error> {
        // Through a YAML value, so that errors inside an inline token keep
        // their message.
        match serde_yaml::Value::deserialize(deserializer)? {
            serde_yaml::Value::String(name) => Ok(TokenRef::Named(name)),
            other => serde_yaml::from_value::<TokenSpec>(other)
                .map(|spec| TokenRef::Inline(Box::new(spec)))
                .map_err(serde::de::Error::custom),
        }
    }
}

/// A generic mapping: a `GenericMapping::by_name` name or the four values.
#[derive(Debug)]
enum MappingRef {
    Named(String),
    Values(MappingValues),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingValues {
    generic_read: Hex,
    generic_write: Hex,
    generic_execute: Hex,
    generic_all: Hex,
}

impl<'de> Deserialize<'de> for MappingRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<MappingRef, D::Error> {
        match serde_yaml::Value::deserialize(deserializer)? {
            serde_yaml::Value::String(name) => Ok(MappingRef::Named(name)),
            other => serde_yaml::from_value::<MappingValues>(other)
                .map(MappingRef::Values)
                .map_err(serde::de::Error::custom),
        }
    }
}

impl MappingRef {
    fn resolve(&self) -> Result<GenericMapping, String> {
        match self {
            MappingRef::Named(name) => GenericMapping::by_name(name)
                .ok_or_else(|| format!("winsec has no GenericMapping named {name:?}")),
            MappingRef::Values(v) => Ok(GenericMapping::new(
                v.generic_read.0,
                v.generic_write.0,
                v.generic_execute.0,
                v.generic_all.0,
            )),
        }
    }
}

/// The AccessCheck out-parameters. A missing `access_status` or `granted`
/// means the call failed (no value); a missing `error` means no last error.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessExpect {
    api_return: bool,
    access_status: Option<bool>,
    granted: Option<Hex>,
    error: Option<ErrorRef>,
    #[serde(default)]
    privileges_used: Vec<String>,
}

fn run_access_check(
    v: &AccessCase,
    tokens: &BTreeMap<String, TokenSpec>,
    ctx: &DomainContext,
) -> VectorCheck {
    let mut check = VectorCheck::new(&v.id, v.case.as_deref()).citing(
        &v.source,
        &v.verification,
        v.api.as_deref(),
        v.note.as_deref(),
    );
    let token = match &v.token {
        TokenRef::Named(name) => match tokens.get(name) {
            Some(spec) => spec.build(),
            None => {
                check.fail(format!("fixture: no token named {name:?} in `tokens`"));
                return check;
            }
        },
        TokenRef::Inline(spec) => spec.build(),
    };
    let Some(desired) = check.ok("fixture desired", desired_mask(&v.desired)) else {
        return check;
    };
    let Some(mapping) = check.ok("fixture mapping", v.mapping.resolve()) else {
        return check;
    };
    let expected_error = match &v.expect.error {
        Some(e) => match check.ok("fixture", e.resolve()) {
            Some(e) => Some(e),
            None => return check,
        },
        None => None,
    };
    let sd = match sddl::parse(&v.sd, ctx) {
        Ok(sd) => sd,
        Err(e) => {
            check.fail(format!(
                "the SD {:?} does not parse: {e} ({})",
                v.sd, e.win32
            ));
            return check;
        }
    };

    let principal_self = match &v.principal_self {
        Some(text) => match check.ok("fixture principal_self", text.parse::<winsec::Sid>()) {
            Some(sid) => Some(sid),
            None => return check,
        },
        None => None,
    };
    let result = winsec::AccessRequest {
        sd: &sd,
        token: &token,
        desired,
        mapping: &mapping,
        principal_self: principal_self.as_ref(),
        backup_intent: v.backup_intent,
    }
    .check();
    let expect = &v.expect;
    check.expect_eq("api_return", &expect.api_return, &result.api_return);
    check.expect_eq(
        "access_status",
        &expect.access_status,
        &result.access_status,
    );
    check.expect_eq(
        "granted",
        &expect.granted.map(|Hex(g)| AccessMask(g)),
        &result.granted,
    );
    check.expect_eq(
        "error",
        &error_text(expected_error),
        &error_text(result.error),
    );
    let used: Vec<&str> = result.privileges_used.iter().map(|p| p.name()).collect();
    let expected_used: Vec<&str> = expect.privileges_used.iter().map(String::as_str).collect();
    check.expect_eq("privileges_used", &expected_used, &used);
    if !check.passed() {
        check.explain(trail_text(&result));
    }
    check
}

/// The decision trail, one step a line, to explain a failure.
fn trail_text(result: &AccessCheckResult) -> String {
    if result.trail.is_empty() {
        return "trail: (empty)".to_string();
    }
    let steps: Vec<String> = result
        .trail
        .iter()
        .map(|step| format!("  {}: {}", step.rule, step.note))
        .collect();
    format!("trail:\n      {}", steps.join("\n      "))
}

#[test]
fn access_check_vectors() -> TestResult {
    let fixture: AccessFixture = load_winsec("access_check.yaml")?;
    let ctx = fixture.context.over(&DomainContext::default())?;
    let mut report = Report::new("access_check.yaml");
    for vector in &fixture.vectors {
        report.record(match vector {
            AccessVector::AccessCheck(v) | AccessVector::AccessCheckByType(v) => {
                run_access_check(v, &fixture.tokens, &ctx)
            }
        });
    }
    Ok(report.finish()?)
}

// ---------------------------------------------------------------------------
// conditional.yaml: sddl_bytes (conditional and resource attribute ACEs).

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum BytesVector {
    SddlBytes(SddlBytes),
}

/// An SDDL string and the self-relative bytes Windows produced for it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SddlBytes {
    id: String,
    source: String,
    verification: String,
    api: Option<String>,
    note: Option<String>,
    input: String,
    raw_hex: String,
    /// What Windows printed for the descriptor, when the source has it.
    canonical: Option<String>,
}

fn run_sddl_bytes(v: &SddlBytes, ctx: &DomainContext) -> VectorCheck {
    let mut check = VectorCheck::new(&v.id, None).citing(
        &v.source,
        &v.verification,
        v.api.as_deref(),
        v.note.as_deref(),
    );
    let Some(raw) = check.ok("fixture raw_hex", from_hex(&v.raw_hex)) else {
        return check;
    };
    let parsed = match sddl::parse(&v.input, ctx) {
        Ok(sd) => sd,
        Err(e) => {
            check.fail(format!("{:?} was rejected: {e} ({})", v.input, e.win32));
            return check;
        }
    };
    match winsec::binary::try_to_self_relative(&parsed) {
        Ok(bytes) => check.expect_eq("SDDL -> bytes", v.raw_hex.as_str(), to_hex(&bytes).as_str()),
        Err(e) => check.fail(format!("the descriptor cannot be encoded: {e}")),
    }
    match from_self_relative(&raw) {
        Ok(decoded) => {
            check.expect_eq(
                "Windows' bytes -> SD printed like the parsed input",
                sddl::print(&parsed, ctx).as_str(),
                sddl::print(&decoded, ctx).as_str(),
            );
            check.expect_eq(
                "Windows' bytes -> SD -> bytes",
                v.raw_hex.as_str(),
                to_hex(&to_self_relative(&decoded)).as_str(),
            );
            if let Some(canonical) = &v.canonical {
                check.expect_eq(
                    "printed",
                    canonical.as_str(),
                    sddl::print(&decoded, ctx).as_str(),
                );
            }
        }
        Err(e) => check.fail(format!("Windows' bytes do not decode: {e}")),
    }
    check
}

#[test]
fn conditional_vectors() -> TestResult {
    let fixture: Fixture<BytesVector> = load_winsec("conditional.yaml")?;
    let ctx = fixture.context.over(&DomainContext::default())?;
    let mut report = Report::new("conditional.yaml");
    for vector in &fixture.vectors {
        report.record(match vector {
            BytesVector::SddlBytes(v) => run_sddl_bytes(v, &ctx),
        });
    }
    Ok(report.finish()?)
}

// ---------------------------------------------------------------------------
// Inventory: no vector may disappear silently.

/// The fixture files and the test that runs each.
const FIXTURE_FILES: &[&str] = &[
    "access_check.yaml",
    "binary.yaml",
    "conditional.yaml",
    "generic_map.yaml",
    "sddl.yaml",
    "sid.yaml",
];

/// At least this many distinct vector ids of each kind must be present.
const MINIMUM_PER_KIND: &[(&str, usize)] = &[
    ("sid_parse", 12),
    ("sid_format", 2),
    ("well_known_sid", 1),
    ("sddl_parse", 10),
    ("sddl_reject", 19),
    ("sddl_roundtrip", 32),
    ("sd_to_sddl", 4),
    ("sddl_to_binary", 16),
    ("generic_map", 4),
    ("access_check", 10),
    ("access_check_by_type", 1),
    ("sddl_bytes", 40),
];

#[test]
fn every_vector_is_present_once() -> TestResult {
    let mut problems = Vec::new();
    let files = yaml_files(&winsec_dir())?;
    let names: BTreeSet<String> = files
        .iter()
        .filter_map(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    let expected_names: BTreeSet<String> = FIXTURE_FILES.iter().map(|n| n.to_string()).collect();
    if names != expected_names {
        problems.push(format!(
            "fixture files are {names:?}, but the tests run {expected_names:?}: add a test for a new file"
        ));
    }

    let mut headers = Vec::new();
    for file in &files {
        headers.extend(vector_headers(file)?);
    }

    // (id, case) is unique; an id has one kind; an id that appears more than
    // once has a case on every entry.
    let mut seen = BTreeSet::new();
    let mut kind_of: BTreeMap<&str, &str> = BTreeMap::new();
    let mut entries: BTreeMap<&str, usize> = BTreeMap::new();
    for h in &headers {
        if !seen.insert((h.id.as_str(), h.case.as_deref())) {
            problems.push(format!("{h} appears more than once"));
        }
        if let Some(kind) = kind_of.insert(h.id.as_str(), h.kind.as_str()) {
            if kind != h.kind {
                problems.push(format!("{} has kinds {kind} and {}", h.id, h.kind));
            }
        }
        *entries.entry(h.id.as_str()).or_default() += 1;
    }
    let caseless: BTreeSet<&str> = headers
        .iter()
        .filter(|h| h.case.is_none() && entries.get(h.id.as_str()).copied().unwrap_or(0) > 1)
        .map(|h| h.id.as_str())
        .collect();
    for id in caseless {
        problems.push(format!("{id} has several entries, so each needs a `case`"));
    }

    let mut per_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for kind in kind_of.values() {
        *per_kind.entry(kind).or_default() += 1;
    }
    for (kind, minimum) in MINIMUM_PER_KIND {
        let count = per_kind.get(kind).copied().unwrap_or(0);
        if count < *minimum {
            problems.push(format!(
                "kind {kind}: {count} vectors, expected at least {minimum}"
            ));
        }
    }
    for kind in per_kind.keys() {
        if !MINIMUM_PER_KIND.iter().any(|(k, _)| k == kind) {
            problems.push(format!("kind {kind} is not one the tests know"));
        }
    }

    if problems.is_empty() {
        return Ok(());
    }
    Err(Box::new(ConformanceFailure(format!(
        "vector inventory:\n  {}\n",
        problems.join("\n  ")
    ))))
}
