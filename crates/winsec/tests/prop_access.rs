//! Properties of the access check that hold for every descriptor, token and
//! request: adding a deny ACE never grants more, a specific request never
//! gets more than it asked for, deny-only groups never grant, and
//! MAXIMUM_ALLOWED agrees with specific requests bit by bit.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use proptest::prelude::*;
use winsec::ace::{label_policy, AceFlags};
use winsec::token::{group_attrs, privilege_attrs};
use winsec::well_known::sids;
use winsec::{
    access_check, AccessMask, Ace, AceType, Acl, AclSlot, GenericMapping, Group,
    ImpersonationLevel, IntegrityLevel, Privilege, PrivilegeEntry, SecurityDescriptor, Sid, Token,
    TokenType,
};

fn user() -> Sid {
    "S-1-5-21-1-2-3-1001"
        .parse()
        .unwrap_or_else(|_| sids::everyone())
}

fn pool() -> Vec<Sid> {
    vec![
        user(),
        "S-1-5-21-1-2-3-2001"
            .parse()
            .unwrap_or_else(|_| sids::everyone()),
        "S-1-5-21-1-2-3-2002"
            .parse()
            .unwrap_or_else(|_| sids::everyone()),
        sids::everyone(),
        sids::builtin_administrators(),
        sids::owner_rights(),
        sids::principal_self(),
        sids::local_system(),
    ]
}

/// SIDs for ACEs and owners, weighted towards the ones the token holds.
fn sid_strategy() -> impl Strategy<Value = Sid> {
    prop_oneof![
        4 => Just(user()),
        2 => Just(sids::everyone()),
        3 => (1..pool().len()).prop_map(|i| pool()[i].clone()),
    ]
}

/// A few bits, including the ones privileges and owner rights grant, so
/// that ACEs overlap often enough for order to matter.
const BITS: &[u32] = &[0x1, 0x2, 0x4, 0x2_0000, 0x4_0000, 0x8_0000];

fn mask_strategy() -> impl Strategy<Value = AccessMask> {
    (proptest::collection::vec(0..BITS.len(), 0..5), any::<u8>()).prop_map(|(idx, generic)| {
        let mut m = idx.iter().fold(0u32, |acc, i| acc | BITS[*i]);
        // Now and then a generic bit, which the check maps at evaluation time.
        if generic % 5 == 0 {
            m |= 0x1000_0000 << (generic % 4);
        }
        AccessMask(m)
    })
}

fn ace_strategy() -> impl Strategy<Value = Ace> {
    (any::<bool>(), any::<u8>(), mask_strategy(), sid_strategy()).prop_map(
        |(allow, f, mask, sid)| {
            let ty = if allow {
                AceType::AccessAllowed
            } else {
                AceType::AccessDenied
            };
            let flags = if f % 7 == 0 {
                AceFlags::INHERIT_ONLY
            } else {
                0
            };
            Ace::new(ty, flags, mask, sid)
        },
    )
}

fn sd_strategy() -> impl Strategy<Value = SecurityDescriptor> {
    (
        sid_strategy(),
        0u8..10,
        proptest::collection::vec(ace_strategy(), 0..6),
        0u8..4,
    )
        .prop_map(|(owner, dacl_kind, aces, label)| {
            let dacl = match dacl_kind {
                0 => AclSlot::Absent,
                1 => AclSlot::Null,
                _ => AclSlot::Present(Acl::new(aces)),
            };
            let sacl = match label {
                0 => AclSlot::Absent,
                n => AclSlot::Present(Acl::new(vec![Ace::new(
                    AceType::SystemMandatoryLabel,
                    0,
                    AccessMask(
                        label_policy::NO_WRITE_UP
                            | if n == 3 { label_policy::NO_READ_UP } else { 0 },
                    ),
                    IntegrityLevel(0x1000 * u32::from(n)).sid(),
                )])),
            };
            SecurityDescriptor {
                owner: Some(owner),
                group: Some(sids::local_system()),
                dacl,
                sacl,
                ..SecurityDescriptor::default()
            }
        })
}

fn token_strategy() -> impl Strategy<Value = Token> {
    (
        proptest::collection::vec((1..pool().len(), 0u8..3), 0..5),
        proptest::collection::vec(0u8..4, 0..3),
        0u32..5,
        proptest::collection::vec(sid_strategy(), 0..2),
    )
        .prop_map(|(groups, privs, il, restricted)| {
            let mut t = Token::new(user());
            for (i, kind) in groups {
                let sid = pool()[i].clone();
                if t.groups.iter().any(|g| g.sid == sid) {
                    continue;
                }
                let attributes = match kind {
                    0 => group_attrs::DEFAULT,
                    1 => group_attrs::USE_FOR_DENY_ONLY,
                    _ => group_attrs::MANDATORY,
                };
                t.groups.push(Group { sid, attributes });
            }
            for p in privs {
                let privilege = [
                    Privilege::Security,
                    Privilege::TakeOwnership,
                    Privilege::Relabel,
                    Privilege::Backup,
                ][usize::from(p)];
                if !t.has_privilege(privilege) {
                    t.privileges.push(PrivilegeEntry {
                        privilege,
                        attributes: privilege_attrs::ENABLED,
                    });
                }
            }
            t.integrity = IntegrityLevel(0x1000 * il);
            t.restricted_sids = restricted.into_iter().map(Group::enabled).collect();
            t.restricted_sids.dedup();
            t.token_type = TokenType::Impersonation(ImpersonationLevel::Impersonation);
            t
        })
}

fn desired_strategy() -> impl Strategy<Value = AccessMask> {
    (
        proptest::collection::vec(0..BITS.len(), 1..4),
        any::<bool>(),
        0u8..8,
    )
        .prop_map(|(idx, max, extra)| {
            let mut m = idx.iter().fold(0u32, |acc, i| acc | BITS[*i]);
            if max {
                m |= AccessMask::MAXIMUM_ALLOWED.bits();
            }
            if extra == 0 {
                m |= AccessMask::ACCESS_SYSTEM_SECURITY.bits();
            }
            AccessMask(m)
        })
}

/// The granted mask, 0 on denial (the Win32 out-parameter).
fn granted(sd: &SecurityDescriptor, token: &Token, desired: AccessMask) -> AccessMask {
    let r = access_check(sd, token, desired, &GenericMapping::FILE);
    assert!(r.api_return, "valid inputs never make the call fail: {r:?}");
    r.granted.unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn adding_a_deny_ace_never_grants_more(
        sd in sd_strategy(),
        token in token_strategy(),
        desired in desired_strategy(),
        deny in ace_strategy(),
        at in 0usize..8,
    ) {
        let before = granted(&sd, &token, desired);
        let mut more = sd.clone();
        let mut aces = more.dacl.acl().map(|a| a.aces.clone()).unwrap_or_default();
        let deny = Ace { ace_type: AceType::AccessDenied, ..deny };
        aces.insert(at.min(aces.len()), deny);
        more.dacl = AclSlot::Present(Acl::new(aces));
        let after = granted(&more, &token, desired);
        // An absent/NULL DACL grants all; turning it into a one-deny DACL
        // is not "adding" to it, so only compare present DACLs.
        if sd.dacl.is_present() && sd.dacl != AclSlot::Null {
            prop_assert!(before.contains(after), "before {before}, after {after}");
        }
    }

    #[test]
    fn a_specific_request_gets_exactly_what_it_asked(
        sd in sd_strategy(),
        token in token_strategy(),
        desired in desired_strategy(),
    ) {
        let desired = desired.without(AccessMask::MAXIMUM_ALLOWED);
        let r = access_check(&sd, &token, desired, &GenericMapping::FILE);
        if r.access_status == Some(true) {
            prop_assert_eq!(r.granted, Some(desired));
        } else {
            prop_assert_eq!(r.granted, Some(AccessMask::NONE));
        }
    }

    #[test]
    fn deny_only_groups_never_grant(
        sd in sd_strategy(),
        token in token_strategy(),
        desired in desired_strategy(),
        which in 1usize..5,
    ) {
        let sid = pool()[which].clone();
        let mut without = token.clone();
        without.groups.retain(|g| g.sid != sid);
        let mut deny_only = without.clone();
        deny_only.groups.push(Group::deny_only(sid));
        let a = granted(&sd, &deny_only, desired);
        let b = granted(&sd, &without, desired);
        prop_assert!(b.contains(a), "deny-only {a} vs absent {b}");
    }

    #[test]
    fn deny_only_groups_deny_like_enabled_ones(
        sd in sd_strategy(),
        token in token_strategy(),
        desired in desired_strategy(),
        which in 1usize..5,
    ) {
        let sid = pool()[which].clone();
        let mut enabled = token.clone();
        enabled.groups.retain(|g| g.sid != sid);
        let mut deny_only = enabled.clone();
        enabled.groups.push(Group::enabled(sid.clone()));
        deny_only.groups.push(Group::deny_only(sid));
        let a = granted(&sd, &deny_only, desired);
        let b = granted(&sd, &enabled, desired);
        prop_assert!(b.contains(a), "deny-only {a} vs enabled {b}");
    }

    #[test]
    fn maximum_allowed_agrees_with_specific_requests(
        sd in sd_strategy(),
        token in token_strategy(),
        bit in 0usize..BITS.len(),
    ) {
        let max = granted(&sd, &token, AccessMask::MAXIMUM_ALLOWED);
        let b = AccessMask(BITS[bit]);
        let single = granted(&sd, &token, b);
        prop_assert_eq!(max.contains(b), single == b, "max {} vs single {}", max, single);
    }
}

#[test]
fn deny_only_administrators_match_deny_aces_only() {
    let mut t = Token::new(user());
    t.groups
        .push(Group::deny_only(sids::builtin_administrators()));
    let allow = SecurityDescriptor {
        owner: Some(sids::local_system()),
        group: Some(sids::local_system()),
        dacl: AclSlot::Present(Acl::new(vec![Ace::allow(
            AccessMask(0x1),
            sids::builtin_administrators(),
        )])),
        ..SecurityDescriptor::default()
    };
    assert_eq!(
        access_check(&allow, &t, AccessMask(0x1), &GenericMapping::FILE).access_status,
        Some(false)
    );
    let deny_then_allow = SecurityDescriptor {
        dacl: AclSlot::Present(Acl::new(vec![
            Ace::deny(AccessMask(0x1), sids::builtin_administrators()),
            Ace::allow(AccessMask(0x1), user()),
        ])),
        ..allow.clone()
    };
    assert_eq!(
        access_check(&deny_then_allow, &t, AccessMask(0x1), &GenericMapping::FILE).access_status,
        Some(false)
    );
    t.groups.clear();
    assert_eq!(
        access_check(&deny_then_allow, &t, AccessMask(0x1), &GenericMapping::FILE).access_status,
        Some(true)
    );
    let _ = AceFlags::default();
}
