//! Security identifiers: the `Sid` value, its string form as Windows parses
//! and prints it, and its binary form.
//!
//! Parsing follows `ConvertStringSidToSid` as observed on Windows ([WT], [SMB-W]
//! in docs/sources.md): a lower-case `s-` prefix, `0x` components, the "hex
//! revision makes every component hex" quirk, saturation of oversized
//! sub-authorities, spaces after dashes, and SDDL aliases. Printing follows
//! `ConvertSidToStringSid` ([WT]). Alias tables live in [`crate::well_known`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Win32Error;
use crate::well_known::{self, DomainContext};

/// The most sub-authorities a SID may have (`SID_MAX_SUB_AUTHORITIES`).
pub const SID_MAX_SUB_AUTHORITIES: usize = 15;

/// The largest identifier authority (48 bits).
pub const MAX_AUTHORITY: u64 = 0xFFFF_FFFF_FFFF;

/// A security identifier (revision 1).
///
/// Ordering and hashing follow the binary form (authority, then
/// sub-authorities), so collections of SIDs iterate deterministically.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sid {
    authority: u64,
    sub_authorities: Vec<u32>,
}

/// Why a SID string or SID bytes were rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SidError {
    /// The text does not start with `S-` and is not a known alias.
    #[error("expected `S-1-...` or a two-letter SDDL alias")]
    NotASid,
    /// The revision is not 1.
    #[error("the SID revision must be 1")]
    BadRevision,
    /// A component is missing or is not a number.
    #[error("expected a number after `-` at byte {0}")]
    MissingComponent(usize),
    /// The identifier authority does not fit in 48 bits.
    #[error("the identifier authority is larger than 48 bits")]
    AuthorityTooLarge,
    /// No sub-authority (`S-1-5`): Windows prints such SIDs but never parses them.
    #[error("a SID needs at least one sub-authority")]
    NoSubAuthority,
    /// More than 15 sub-authorities.
    #[error("a SID has at most 15 sub-authorities")]
    TooManySubAuthorities,
    /// Characters follow a complete SID or alias.
    #[error("unexpected `{0}` after the SID")]
    TrailingCharacters(String),
    /// The binary form is truncated or malformed.
    #[error("malformed binary SID: {0}")]
    Binary(&'static str),
}

impl SidError {
    /// The Win32 error `ConvertStringSidToSid` reports for this failure.
    pub fn win32(&self) -> Win32Error {
        Win32Error::InvalidSid
    }
}

impl Sid {
    /// Builds a SID from an identifier authority and sub-authorities.
    ///
    /// Returns `None` when the authority exceeds 48 bits or there are more
    /// than 15 sub-authorities. Zero sub-authorities are allowed here
    /// (`S-1-5` exists as a value) even though no string parses to one.
    pub fn new(authority: u64, sub_authorities: &[u32]) -> Option<Sid> {
        if authority > MAX_AUTHORITY || sub_authorities.len() > SID_MAX_SUB_AUTHORITIES {
            return None;
        }
        Some(Sid {
            authority,
            sub_authorities: sub_authorities.to_vec(),
        })
    }

    /// Builds a SID from the six big-endian identifier-authority bytes.
    pub fn from_authority_bytes(bytes: [u8; 6], sub_authorities: &[u32]) -> Option<Sid> {
        let authority = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        Sid::new(authority, sub_authorities)
    }

    /// A constant-friendly constructor for SIDs known to be valid.
    pub(crate) fn known(authority: u64, sub_authorities: &[u32]) -> Sid {
        Sid {
            authority: authority & MAX_AUTHORITY,
            sub_authorities: sub_authorities
                .iter()
                .copied()
                .take(SID_MAX_SUB_AUTHORITIES)
                .collect(),
        }
    }

    /// The identifier authority (48 bits).
    pub fn authority(&self) -> u64 {
        self.authority
    }

    /// The sub-authorities, in order.
    pub fn sub_authorities(&self) -> &[u32] {
        &self.sub_authorities
    }

    /// The last sub-authority (the relative identifier), if any.
    pub fn rid(&self) -> Option<u32> {
        self.sub_authorities.last().copied()
    }

    /// A new SID with `rid` appended (for domain-relative SIDs).
    pub fn with_rid(&self, rid: u32) -> Option<Sid> {
        let mut subs = self.sub_authorities.clone();
        subs.push(rid);
        Sid::new(self.authority, &subs)
    }

    /// True when `self` is `prefix` followed by exactly one more sub-authority.
    pub fn is_in_domain(&self, domain: &Sid) -> bool {
        self.authority == domain.authority
            && self.sub_authorities.len() == domain.sub_authorities.len() + 1
            && self.sub_authorities.starts_with(&domain.sub_authorities)
    }

    /// Parses a SID string the way `ConvertStringSidToSid` does, resolving
    /// SDDL aliases (domain-relative ones against `ctx`).
    pub fn parse_in(text: &str, ctx: &DomainContext) -> Result<Sid, SidError> {
        if let Some(sid) = parse_alias_exact(text, ctx)? {
            return Ok(sid);
        }
        let (sid, used) = parse_sid_string_prefix(text)?;
        if used != text.len() {
            return Err(SidError::TrailingCharacters(text[used..].to_string()));
        }
        Ok(sid)
    }

    /// The length of the binary form in bytes.
    pub fn binary_len(&self) -> usize {
        8 + 4 * self.sub_authorities.len()
    }

    /// Appends the binary form (`Revision`, `SubAuthorityCount`, 6-byte
    /// big-endian authority, little-endian sub-authorities).
    pub fn write_bytes(&self, out: &mut Vec<u8>) {
        out.push(1);
        // At most 15 sub-authorities, enforced by every constructor.
        out.push(u8::try_from(self.sub_authorities.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(&self.authority.to_be_bytes()[2..]);
        for sub in &self.sub_authorities {
            out.extend_from_slice(&sub.to_le_bytes());
        }
    }

    /// The binary form as a new vector.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.binary_len());
        self.write_bytes(&mut out);
        out
    }

    /// Reads a binary SID from the start of `bytes`; returns it and the
    /// number of bytes it occupies.
    pub fn from_bytes(bytes: &[u8]) -> Result<(Sid, usize), SidError> {
        let header = bytes
            .get(..8)
            .ok_or(SidError::Binary("shorter than 8 bytes"))?;
        if header[0] != 1 {
            return Err(SidError::BadRevision);
        }
        let count = usize::from(header[1]);
        if count > SID_MAX_SUB_AUTHORITIES {
            return Err(SidError::TooManySubAuthorities);
        }
        let authority = header[2..8]
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let len = 8 + 4 * count;
        let body = bytes
            .get(8..len)
            .ok_or(SidError::Binary("sub-authorities run past the end"))?;
        let sub_authorities = body
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok((
            Sid {
                authority,
                sub_authorities,
            },
            len,
        ))
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.authority < (1u64 << 32) {
            write!(f, "S-1-{}", self.authority)?;
        } else {
            write!(f, "S-1-0x{:X}", self.authority)?;
        }
        for sub in &self.sub_authorities {
            write!(f, "-{sub}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sid({self})")
    }
}

impl FromStr for Sid {
    type Err = SidError;

    /// Parses with the default [`DomainContext`].
    fn from_str(s: &str) -> Result<Sid, SidError> {
        Sid::parse_in(s, &DomainContext::default())
    }
}

impl Serialize for Sid {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Sid {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Sid, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Resolves `text` as a whole alias (case-insensitive), if it is two letters.
///
/// Windows accepts aliases in `ConvertStringSidToSid`; anything after the two
/// letters (`WDandmore`) makes the string invalid, which the caller reports.
fn parse_alias_exact(text: &str, ctx: &DomainContext) -> Result<Option<Sid>, SidError> {
    if text.len() >= 2 && text.is_char_boundary(2) && !text[..2].eq_ignore_ascii_case("S-") {
        let (head, rest) = text.split_at(2);
        if let Some(sid) = well_known::sid_for_alias(head, ctx) {
            if rest.is_empty() {
                return Ok(Some(sid));
            }
            return Err(SidError::TrailingCharacters(rest.to_string()));
        }
        return Err(SidError::NotASid);
    }
    Ok(None)
}

/// Parses the longest `S-...` SID string at the start of `text` and returns
/// it with the number of bytes consumed. The caller decides what may follow.
pub(crate) fn parse_sid_string_prefix(text: &str) -> Result<(Sid, usize), SidError> {
    let bytes = text.as_bytes();
    if bytes.len() < 2 || !(bytes[0] == b'S' || bytes[0] == b's') || bytes[1] != b'-' {
        return Err(SidError::NotASid);
    }
    let mut pos = 2;
    // Revision: decimal `1`, or hex `0x1`, which switches every later
    // component to hex.
    let (revision, rev_hex, next) = read_component(bytes, pos, false)?;
    if revision != 1 {
        return Err(SidError::BadRevision);
    }
    pos = next;
    let all_hex = rev_hex;
    if bytes.get(pos) != Some(&b'-') {
        return Err(SidError::MissingComponent(pos));
    }
    let (authority, _, next) = read_component(bytes, pos + 1, all_hex)?;
    if authority > MAX_AUTHORITY {
        return Err(SidError::AuthorityTooLarge);
    }
    pos = next;
    let mut subs = Vec::new();
    while bytes.get(pos) == Some(&b'-') {
        let (value, _, next) = read_component(bytes, pos + 1, all_hex)?;
        if subs.len() == SID_MAX_SUB_AUTHORITIES {
            return Err(SidError::TooManySubAuthorities);
        }
        subs.push(u32::try_from(value).unwrap_or(u32::MAX));
        pos = next;
    }
    if subs.is_empty() {
        return Err(SidError::NoSubAuthority);
    }
    Ok((
        Sid {
            authority,
            sub_authorities: subs,
        },
        pos,
    ))
}

/// Reads one numeric component starting at `pos`, after optional spaces.
/// Returns the value (saturated at `u64::MAX`), whether it was written with
/// `0x`, and the position after it.
fn read_component(
    bytes: &[u8],
    mut pos: usize,
    hex_mode: bool,
) -> Result<(u64, bool, usize), SidError> {
    while bytes.get(pos) == Some(&b' ') {
        pos += 1;
    }
    let start = pos;
    let mut hex = hex_mode;
    let mut prefixed = false;
    if bytes.get(pos) == Some(&b'0') && matches!(bytes.get(pos + 1), Some(b'x' | b'X')) {
        hex = true;
        prefixed = true;
        pos += 2;
    }
    let radix = if hex { 16 } else { 10 };
    let digits_start = pos;
    let mut value: u64 = 0;
    while let Some(d) = bytes.get(pos).and_then(|b| char::from(*b).to_digit(radix)) {
        value = value
            .saturating_mul(u64::from(radix))
            .saturating_add(u64::from(d));
        pos += 1;
    }
    if pos == digits_start {
        return Err(SidError::MissingComponent(start));
    }
    Ok((value, prefixed, pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<String, SidError> {
        s.parse::<Sid>().map(|s| s.to_string())
    }

    #[test]
    fn windows_parsing_quirks() {
        assert_eq!(p("s-1-12-1").as_deref(), Ok("S-1-12-1"));
        assert_eq!(p("S-0x1-0XC-0x1a").as_deref(), Ok("S-1-12-26"));
        assert_eq!(p("S-0x1-0-0-579").as_deref(), Ok("S-1-0-0-1401"));
        assert_eq!(
            p("S-1-3-4294967296-3-4").as_deref(),
            Ok("S-1-3-4294967295-3-4")
        );
        assert_eq!(
            p("S-1-3-0x100000000-3-4").as_deref(),
            Ok("S-1-3-4294967295-3-4")
        );
        assert_eq!(p("S- 1- 2-3").as_deref(), Ok("S-1-2-3"));
        assert_eq!(
            p("S-1-5000000000-30-40").as_deref(),
            Ok("S-1-0x12A05F200-30-40")
        );
        assert_eq!(p("wD").as_deref(), Ok("S-1-1-0"));
    }

    #[test]
    fn windows_rejections() {
        assert_eq!(p("S-1-5"), Err(SidError::NoSubAuthority));
        assert!(p("S-0-5-1").is_err());
        assert!(p("S-").is_err());
        assert!(p("S-0x1-").is_err());
        assert!(p("WDandmorecharacters").is_err());
        assert!(p("WD)").is_err());
        assert!(p("S-1-5-1x").is_err());
        assert!(p("S-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1").is_err());
        assert!(
            p("S-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1").is_ok(),
            "15 sub-authorities is the maximum"
        );
        assert!(p("").is_err());
    }

    #[test]
    fn binary_layout_matches_windows_bytes() {
        let sid: Sid = "S-1-0x12A05F200-30-40".parse().unwrap();
        let hex: String = sid.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "01020001 2a05f200 1e000000 28000000".replace(' ', ""));
        let (back, used) = Sid::from_bytes(&sid.to_bytes()).unwrap();
        assert_eq!(back, sid);
        assert_eq!(used, 16);
    }

    #[test]
    fn zero_sub_authority_sid_prints() {
        assert_eq!(Sid::new(5, &[]).unwrap().to_string(), "S-1-5");
        assert_eq!(
            Sid::from_authority_bytes([0, 0, 1, 2, 3, 4], &[1])
                .unwrap()
                .to_string(),
            "S-1-16909060-1"
        );
    }
}
