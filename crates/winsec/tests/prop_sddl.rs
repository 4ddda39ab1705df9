//! Property tests for SDDL and the self-relative binary form.
//!
//! (a) Printing is a fixed point: for strings generated from a grammar of
//!     valid SDDL (any section order, ACL flags, ACEs with random types,
//!     flags, rights, GUIDs and SIDs, random case and the white space
//!     Windows allows), `p1 = print(parse(s))` re-parses to the same value
//!     and prints as itself.
//! (b) Neither the parser nor the binary decoder panics, on arbitrary or
//!     mutated input.
//! (c) The binary form round-trips: decode(encode(sd)) == sd for generated
//!     descriptors, and encode(decode(b)) == b for encoder output.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use proptest::prelude::*;
use proptest::sample::select;

use winsec::ace::{Ace, AceFlags, AceType, Guid};
use winsec::binary::{from_self_relative, to_self_relative};
use winsec::descriptor::{control, Acl, AclSlot, SecurityDescriptor};
use winsec::mask::AccessMask;
use winsec::sddl::{self, parser::RIGHTS_TOKENS};
use winsec::sid::{Sid, MAX_AUTHORITY};
use winsec::well_known::{DomainContext, DOMAIN_ALIASES, WELL_KNOWN_SIDS};

// ---------------------------------------------------------------------------
// Grammar of valid SDDL.

/// Applies a random case to the ASCII letters of `s`.
fn recase(s: &str, bits: u64) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if (bits >> (i % 64)) & 1 == 1 {
                c.to_ascii_lowercase()
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect()
}

fn spaces() -> impl Strategy<Value = String> {
    select(vec!["", "", "", " ", "  "]).prop_map(str::to_string)
}

fn aliases() -> Vec<&'static str> {
    WELL_KNOWN_SIDS
        .iter()
        .filter_map(|w| w.alias)
        .chain(DOMAIN_ALIASES.iter().map(|d| d.alias))
        .collect()
}

/// A SID written as an alias; the flag says whether trailing spaces are allowed after it.
fn alias_text() -> impl Strategy<Value = (String, bool)> {
    (select(aliases()), any::<u64>()).prop_map(|(a, bits)| (recase(a, bits), true))
}

fn authority() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..=18, Just(5), 0u64..=MAX_AUTHORITY]
}

/// One numeric SID component written in decimal or `0x` hex (or plain hex
/// in all-hex mode), with optional spaces after the dash.
fn component(value: u64, style: u8, all_hex: bool, pad: &str) -> String {
    let body = if all_hex {
        match style % 3 {
            0 => format!("{value:x}"),
            1 => format!("0x{value:X}"),
            _ => format!("0X{value:x}"),
        }
    } else {
        match style % 3 {
            0 | 1 => format!("{value}"),
            _ => format!("0x{value:x}"),
        }
    };
    format!("{pad}{body}")
}

/// A SID written as an `S-` string with Windows' accepted variations.
fn sid_string() -> impl Strategy<Value = (String, bool)> {
    (
        authority(),
        prop::collection::vec(
            prop_oneof![
                any::<u32>().prop_map(u64::from),
                0u64..600,
                Just(1u64 << 33)
            ],
            1..=15,
        ),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec((any::<u8>(), any::<bool>()), 16),
    )
        .prop_map(|(auth, subs, lower_s, all_hex, styles)| {
            let mut s = String::from(if lower_s { "s-" } else { "S-" });
            s.push_str(if all_hex { "0x1" } else { "1" });
            let mut values = vec![auth];
            values.extend(subs);
            for (v, (style, space)) in values.iter().zip(styles) {
                s.push('-');
                s.push_str(&component(*v, style, all_hex, if space { " " } else { "" }));
            }
            (s, false)
        })
}

fn sid_text() -> impl Strategy<Value = (String, bool)> {
    prop_oneof![alias_text(), sid_string()]
}

/// A rights field: tokens and numbers, spaces before and between, none after.
fn rights() -> impl Strategy<Value = String> {
    let token = (
        select(RIGHTS_TOKENS.iter().map(|(t, _)| *t).collect::<Vec<_>>()),
        any::<u64>(),
    )
        .prop_map(|(t, bits)| (recase(t, bits), false));
    let number = prop_oneof![
        any::<u32>().prop_map(|n| format!("{n}")),
        (any::<u32>(), any::<u64>()).prop_map(|(n, bits)| recase(&format!("0x{n:x}"), bits)),
        any::<u32>().prop_map(|n| format!("0{n:o}")),
        any::<u32>().prop_map(|n| format!("-{n}")),
        Just("100000000000000000000000".to_string()),
    ]
    .prop_map(|n| (n, true));
    let item = prop_oneof![3 => token, 1 => number];
    (spaces(), prop::collection::vec((item, spaces()), 0..5)).prop_map(|(lead, items)| {
        let mut out = String::new();
        let count = items.len();
        for (i, ((text, is_number), gap)) in items.into_iter().enumerate() {
            out.push_str(&text);
            if i + 1 < count {
                // A number must be separated from what follows, or the next
                // token could be read as more digits.
                out.push_str(if is_number && gap.is_empty() {
                    " "
                } else {
                    &gap
                });
            }
        }
        if out.is_empty() {
            out
        } else {
            format!("{lead}{out}")
        }
    })
}

fn ace_flags() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            select(AceFlags::SDDL.iter().map(|(t, _)| *t).collect::<Vec<_>>()),
            any::<u64>(),
            spaces(),
        ),
        0..5,
    )
    .prop_map(|items| {
        items
            .into_iter()
            .map(|(t, bits, gap)| format!("{gap}{}", recase(t, bits)))
            .collect()
    })
}

fn guid_text() -> impl Strategy<Value = String> {
    (any::<[u8; 16]>(), any::<u64>())
        .prop_map(|(b, bits)| recase(&Guid::from_bytes(&b).to_string(), bits))
}

fn ace_text(dacl: bool) -> impl Strategy<Value = String> {
    let types: Vec<AceType> = AceType::ALL
        .iter()
        .copied()
        .filter(|t| t.is_discretionary() == dacl)
        // RA needs its attribute field; conditions have their own tests.
        .filter(|t| *t != AceType::SystemResourceAttribute)
        .collect();
    (
        select(types),
        any::<u64>(),
        ace_flags(),
        rights(),
        prop::option::of(guid_text()),
        prop::option::of(guid_text()),
        sid_text(),
        prop::collection::vec(spaces(), 6),
    )
        .prop_map(
            move |(t, bits, flags, rights, g1, g2, (sid, trailing_ok), sp)| {
                let (g1, g2) = if t.is_object() {
                    (g1, g2)
                } else {
                    (None, None)
                };
                let g1 = g1.unwrap_or_else(|| sp[3].clone());
                let g2 = g2.unwrap_or_else(|| sp[4].clone());
                let tail = if trailing_ok {
                    sp[5].clone()
                } else {
                    String::new()
                };
                format!(
                    "({}{};{flags};{rights};{g1};{g2};{}{sid}{tail})",
                    sp[0],
                    recase(t.sddl(), bits),
                    sp[1]
                )
            },
        )
}

fn acl_text(dacl: bool) -> impl Strategy<Value = String> {
    let flags =
        prop::collection::vec((select(vec!["P", "AR", "AI"]), spaces()), 0..4).prop_map(|f| {
            f.into_iter()
                .map(|(t, gap)| format!("{gap}{t}"))
                .collect::<String>()
        });
    let body = prop_oneof![
        1 => spaces().prop_map(|gap| format!("{gap}NO_ACCESS_CONTROL")),
        4 => prop::collection::vec((spaces(), ace_text(dacl)), 0..4)
            .prop_map(|aces| aces.into_iter().map(|(gap, a)| format!("{gap}{a}")).collect::<String>()),
    ];
    (spaces(), flags, body, spaces())
        .prop_map(|(lead, flags, body, tail)| format!("{lead}{flags}{body}{tail}"))
}

/// A section's text, and whether white space may follow it.
fn section(letter: char) -> BoxedStrategy<(String, bool)> {
    match letter {
        'O' | 'G' => (spaces(), sid_text(), spaces())
            .prop_map(move |(lead, (sid, trailing_ok), tail)| {
                let tail = if trailing_ok { tail } else { String::new() };
                (format!("{letter}:{lead}{sid}{tail}"), trailing_ok)
            })
            .boxed(),
        'D' => acl_text(true)
            .prop_map(|t| (format!("D:{t}"), true))
            .boxed(),
        _ => acl_text(false)
            .prop_map(|t| (format!("S:{t}"), true))
            .boxed(),
    }
}

fn sddl_text() -> impl Strategy<Value = String> {
    (
        Just(vec!['O', 'G', 'D', 'S']).prop_shuffle(),
        0usize..=4,
        spaces(),
        section('O'),
        section('G'),
        section('D'),
        section('S'),
        prop::collection::vec(spaces(), 4),
    )
        .prop_map(|(order, count, lead, o, g, d, s, gaps)| {
            let mut out = lead;
            let mut trailing_ok = true;
            for (letter, gap) in order.into_iter().take(count).zip(gaps) {
                if trailing_ok {
                    out.push_str(&gap);
                }
                let (text, ok) = match letter {
                    'O' => o.clone(),
                    'G' => g.clone(),
                    'D' => d.clone(),
                    _ => s.clone(),
                };
                out.push_str(&text);
                trailing_ok = ok;
            }
            out
        })
}

// ---------------------------------------------------------------------------
// Generated descriptor values.

fn sid_value() -> impl Strategy<Value = Sid> {
    (authority(), prop::collection::vec(any::<u32>(), 0..=15))
        .prop_map(|(a, subs)| Sid::new(a, &subs).unwrap())
}

fn guid_value() -> impl Strategy<Value = Guid> {
    any::<[u8; 16]>().prop_map(|b| Guid::from_bytes(&b))
}

fn ace_value() -> impl Strategy<Value = Ace> {
    (
        select(AceType::ALL.to_vec()),
        any::<u8>(),
        any::<u32>(),
        sid_value(),
        prop::option::of(guid_value()),
        prop::option::of(guid_value()),
    )
        .prop_map(|(t, flags, mask, sid, g1, g2)| {
            let mut ace = Ace::new(t, flags, AccessMask(mask), sid);
            if t.is_object() {
                ace.object_type = g1;
                ace.inherited_object_type = g2;
            }
            if t == AceType::SystemResourceAttribute {
                ace.data = Some(winsec::AceData::Attribute(winsec::claims::Claim {
                    name: "n".into(),
                    value_type: winsec::claims::ClaimType::Int64,
                    flags: mask,
                    values: vec![winsec::claims::ClaimValue::Int64(i64::from(flags))],
                }));
            }
            ace
        })
}

fn acl_slot() -> impl Strategy<Value = AclSlot> {
    prop_oneof![
        Just(AclSlot::Absent),
        Just(AclSlot::Null),
        (prop::collection::vec(ace_value(), 0..6), any::<bool>()).prop_map(|(aces, upgrade)| {
            let mut acl = Acl::new(aces);
            if upgrade {
                acl.revision = 4;
            }
            AclSlot::Present(acl)
        }),
    ]
}

fn sd_value() -> impl Strategy<Value = SecurityDescriptor> {
    (
        any::<u16>(),
        any::<u8>(),
        prop::option::of(sid_value()),
        prop::option::of(sid_value()),
        acl_slot(),
        acl_slot(),
    )
        .prop_map(
            |(flags, rm_control, owner, group, dacl, sacl)| SecurityDescriptor {
                flags: flags & !control::DERIVED,
                rm_control,
                owner,
                group,
                dacl,
                sacl,
            },
        )
}

/// Applies byte edits to a buffer: overwrite, truncate or insert.
fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    for (at, value, kind) in edits {
        if bytes.is_empty() {
            bytes.push(*value);
            continue;
        }
        let i = at % bytes.len();
        match kind % 4 {
            0 | 1 => bytes[i] = *value,
            2 => bytes.truncate(i),
            _ => bytes.insert(i, *value),
        }
    }
    bytes
}

// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn print_of_parse_is_a_fixed_point(text in sddl_text()) {
        let ctx = DomainContext::default();
        let sd = sddl::parse(&text, &ctx);
        prop_assert!(sd.is_ok(), "generated SDDL rejected: {:?}\n{:?}", text, sd);
        let sd = sd.unwrap();
        let p1 = sddl::print(&sd, &ctx);
        let again = sddl::parse(&p1, &ctx);
        prop_assert!(again.is_ok(), "printed SDDL rejected: {:?} from {:?}\n{:?}", p1, text, again);
        let again = again.unwrap();
        prop_assert_eq!(&again, &sd, "{:?} -> {:?}", text, p1);
        prop_assert_eq!(sddl::print(&again, &ctx), p1);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_text(text in any::<String>()) {
        let _ = sddl::parse(&text, &DomainContext::default());
    }

    #[test]
    fn parse_never_panics_on_sddl_like_text(text in "[OGDS:();A-Za-z0-9 \\-_x\u{e9}\u{100}\t]{0,80}") {
        let _ = sddl::parse(&text, &DomainContext::default());
    }

    #[test]
    fn parse_never_panics_on_mutated_sddl(
        text in sddl_text(),
        edits in prop::collection::vec((any::<usize>(), select(b":;() -SODGx0Aa\xc3\xa9".to_vec()), any::<u8>()), 1..4),
    ) {
        let bytes = mutate(text.into_bytes(), &edits);
        let text = String::from_utf8_lossy(&bytes);
        let _ = sddl::parse(&text, &DomainContext::default());
    }

    #[test]
    fn decoder_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = from_self_relative(&bytes);
    }

    #[test]
    fn decoder_never_panics_on_mutated_encodings(
        sd in sd_value(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..6),
    ) {
        let bytes = mutate(to_self_relative(&sd), &edits);
        if let Ok(decoded) = from_self_relative(&bytes) {
            // Whatever decodes must encode and decode to itself.
            prop_assert_eq!(from_self_relative(&to_self_relative(&decoded)).ok(), Some(decoded));
        }
    }

    #[test]
    fn binary_round_trip_is_identity(sd in sd_value()) {
        let bytes = to_self_relative(&sd);
        let back = from_self_relative(&bytes);
        prop_assert_eq!(back.as_ref().ok(), Some(&sd), "{:?}", back);
        prop_assert_eq!(to_self_relative(&back.unwrap()), bytes);
    }

    #[test]
    fn parsed_sddl_round_trips_through_binary(text in sddl_text()) {
        let sd = sddl::parse(&text, &DomainContext::default()).unwrap();
        let bytes = sd.to_bytes();
        prop_assert_eq!(SecurityDescriptor::from_bytes(&bytes).ok(), Some(sd));
    }
}
