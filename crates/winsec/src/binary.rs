//! The self-relative binary form of security descriptors, ACLs and ACEs
//! (MS-DTYP 2.4.4-2.4.6; [MS-DTYP] 2.4.4–2.4.6), in both directions,
//! and hex helpers for moving the bytes around as text.
//!
//! Encoding follows the layout `ConvertStringSecurityDescriptorToSecurityDescriptor`
//! produces on Windows: the 20-byte header, then the SACL, the DACL, the
//! owner and the group, each directly after the previous one.
//!
//! Decoding checks everything it reads and never panics. It accepts what
//! the structures allow even where the encoder would not produce it (parts
//! in another order or overlapping, bytes after the last part, an `AclSize`
//! larger than its ACEs, padding at the end of an ACE, non-zero `Sbz1`/`Sbz2`
//! in an ACL header, offsets that are not 4-byte aligned), and rejects: a header shorter than 20 bytes, revision other
//! than 1, a missing `SE_SELF_RELATIVE` bit, offsets into the header or past
//! the end, an offset for a DACL or SACL whose `*_PRESENT` bit is clear, ACL
//! revisions outside 2..=4, object ACEs in an ACL below revision 4, ACEs
//! that overrun their ACL, ACE sizes that are not a multiple of 4 or too
//! small for their contents, unknown object-ACE flags, malformed SIDs,
//! callback application data that is not a well-formed conditional
//! expression, malformed resource attributes, and ACE types the model does
//! not support (compound, and the callback types without an SDDL token),
//! naming the type.

use crate::ace::{Ace, AceData, AceFlags, AceType, Guid};
use crate::condition::Condition;
use crate::descriptor::{control, Acl, AclSlot, SecurityDescriptor, ACL_REVISION_DS};
use crate::mask::AccessMask;
use crate::sid::Sid;

/// The self-relative header size.
pub const HEADER_LEN: usize = 20;

/// `SECURITY_DESCRIPTOR_REVISION`.
pub const SD_REVISION: u8 = 1;

/// `ACE_OBJECT_TYPE_PRESENT`: an object ACE carries `ObjectType`.
pub const ACE_OBJECT_TYPE_PRESENT: u32 = 0x1;

/// `ACE_INHERITED_OBJECT_TYPE_PRESENT`: an object ACE carries `InheritedObjectType`.
pub const ACE_INHERITED_OBJECT_TYPE_PRESENT: u32 = 0x2;

/// Why bytes are not a valid self-relative security descriptor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at byte {offset}")]
pub struct BinaryError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// What was wrong.
    pub message: String,
}

fn error(offset: usize, message: impl Into<String>) -> BinaryError {
    BinaryError {
        offset,
        message: message.into(),
    }
}

/// Encodes a descriptor in the layout `ConvertStringSecurityDescriptorToSecurityDescriptor`
/// produces: header, SACL, DACL, owner, group.
///
/// A NULL DACL or SACL sets its `*_PRESENT` bit with offset 0; an absent one
/// clears the bit. An ACL whose binary form exceeds 65535 bytes (or
/// 65535 ACEs) cannot be represented; its `AclSize` and `AceCount` saturate,
/// which the decoder rejects. Use [`try_to_self_relative`] to catch that.
pub fn to_self_relative(sd: &SecurityDescriptor) -> Vec<u8> {
    let mut body = Vec::new();
    let place = |body: &Vec<u8>| u32::try_from(HEADER_LEN + body.len()).unwrap_or(u32::MAX);
    let sacl = match &sd.sacl {
        AclSlot::Present(acl) => {
            let at = place(&body);
            write_acl(&mut body, acl);
            at
        }
        _ => 0,
    };
    let dacl = match &sd.dacl {
        AclSlot::Present(acl) => {
            let at = place(&body);
            write_acl(&mut body, acl);
            at
        }
        _ => 0,
    };
    let owner = match &sd.owner {
        Some(sid) => {
            let at = place(&body);
            sid.write_bytes(&mut body);
            at
        }
        None => 0,
    };
    let group = match &sd.group {
        Some(sid) => {
            let at = place(&body);
            sid.write_bytes(&mut body);
            at
        }
        None => 0,
    };
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.push(SD_REVISION);
    out.push(sd.rm_control);
    out.extend_from_slice(&sd.control().to_le_bytes());
    for offset in [owner, group, sacl, dacl] {
        out.extend_from_slice(&offset.to_le_bytes());
    }
    out.extend_from_slice(&body);
    out
}

/// [`to_self_relative`], failing when an ACL is too large for the 16-bit
/// `AclSize` or `AceCount` fields.
pub fn try_to_self_relative(sd: &SecurityDescriptor) -> Result<Vec<u8>, BinaryError> {
    for (name, slot) in [("SACL", &sd.sacl), ("DACL", &sd.dacl)] {
        if let AclSlot::Present(acl) = slot {
            if let Some(ace) = acl
                .aces
                .iter()
                .find(|a| a.binary_len() > usize::from(u16::MAX))
            {
                return Err(error(
                    0,
                    format!(
                        "an ACE of the {name} needs {} bytes; an ACE holds at most 65535 bytes",
                        ace.binary_len()
                    ),
                ));
            }
            if acl.binary_len() > usize::from(u16::MAX) || acl.aces.len() > usize::from(u16::MAX) {
                return Err(error(
                    0,
                    format!(
                        "the {name} needs {} bytes for {} ACEs; an ACL holds at most 65535 bytes",
                        acl.binary_len(),
                        acl.aces.len()
                    ),
                ));
            }
        }
    }
    Ok(to_self_relative(sd))
}

fn u16_saturating(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

fn write_acl(out: &mut Vec<u8>, acl: &Acl) {
    out.push(acl.revision);
    out.push(0);
    out.extend_from_slice(&u16_saturating(acl.binary_len()).to_le_bytes());
    out.extend_from_slice(&u16_saturating(acl.aces.len()).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    for ace in &acl.aces {
        write_ace(out, ace);
    }
}

fn write_ace(out: &mut Vec<u8>, ace: &Ace) {
    out.push(ace.ace_type.code());
    out.push(ace.flags.0);
    out.extend_from_slice(&u16_saturating(ace.binary_len()).to_le_bytes());
    out.extend_from_slice(&ace.mask.bits().to_le_bytes());
    if ace.ace_type.is_object() {
        let mut flags = 0u32;
        if ace.object_type.is_some() {
            flags |= ACE_OBJECT_TYPE_PRESENT;
        }
        if ace.inherited_object_type.is_some() {
            flags |= ACE_INHERITED_OBJECT_TYPE_PRESENT;
        }
        out.extend_from_slice(&flags.to_le_bytes());
        for guid in [&ace.object_type, &ace.inherited_object_type]
            .into_iter()
            .flatten()
        {
            out.extend_from_slice(&guid.to_bytes());
        }
    }
    ace.sid.write_bytes(out);
    if let Some(data) = &ace.data {
        out.extend_from_slice(&data.to_bytes());
    }
}

/// Bounds-checked little-endian reads.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn slice(&self, at: usize, len: usize, what: &str) -> Result<&'a [u8], BinaryError> {
        at.checked_add(len)
            .and_then(|end| self.bytes.get(at..end))
            .ok_or_else(|| {
                error(
                    at,
                    format!(
                        "{what} ({len} bytes) runs past the end of the {} bytes",
                        self.bytes.len()
                    ),
                )
            })
    }

    fn u8(&self, at: usize, what: &str) -> Result<u8, BinaryError> {
        let b = self.slice(at, 1, what)?;
        b.first()
            .copied()
            .ok_or_else(|| error(at, format!("{what} is missing")))
    }

    fn u16(&self, at: usize, what: &str) -> Result<u16, BinaryError> {
        let b = self.slice(at, 2, what)?;
        let arr: [u8; 2] = b
            .try_into()
            .map_err(|_| error(at, format!("{what} is truncated")))?;
        Ok(u16::from_le_bytes(arr))
    }

    fn u32(&self, at: usize, what: &str) -> Result<u32, BinaryError> {
        let b = self.slice(at, 4, what)?;
        let arr: [u8; 4] = b
            .try_into()
            .map_err(|_| error(at, format!("{what} is truncated")))?;
        Ok(u32::from_le_bytes(arr))
    }

    fn guid(&self, at: usize, what: &str) -> Result<Guid, BinaryError> {
        let b = self.slice(at, 16, what)?;
        let arr: [u8; 16] = b
            .try_into()
            .map_err(|_| error(at, format!("{what} is truncated")))?;
        Ok(Guid::from_bytes(&arr))
    }

    /// A SID that must lie inside `bytes[at..limit]`.
    fn sid(&self, at: usize, limit: usize, what: &str) -> Result<(Sid, usize), BinaryError> {
        let window = self
            .bytes
            .get(at..limit.min(self.bytes.len()))
            .ok_or_else(|| error(at, format!("{what} starts past the end")))?;
        Sid::from_bytes(window).map_err(|e| error(at, format!("{what}: {e}")))
    }
}

/// Decodes a self-relative descriptor, validating every structure (see the
/// module documentation for what is accepted).
pub fn from_self_relative(bytes: &[u8]) -> Result<SecurityDescriptor, BinaryError> {
    let r = Reader { bytes };
    if bytes.len() < HEADER_LEN {
        return Err(error(
            0,
            format!(
                "a self-relative security descriptor needs a 20-byte header; got {} bytes",
                bytes.len()
            ),
        ));
    }
    let revision = r.u8(0, "Revision")?;
    if revision != SD_REVISION {
        return Err(error(
            0,
            format!("security descriptor revision {revision}; expected 1"),
        ));
    }
    let rm_control = r.u8(1, "Sbz1")?;
    let ctl = r.u16(2, "Control")?;
    if ctl & control::SELF_RELATIVE == 0 {
        return Err(error(
            2,
            format!("control {ctl:#06x} lacks SE_SELF_RELATIVE (0x8000): not a self-relative descriptor"),
        ));
    }
    let owner_at = offset(&r, 4, "OffsetOwner")?;
    let group_at = offset(&r, 8, "OffsetGroup")?;
    let sacl_at = offset(&r, 12, "OffsetSacl")?;
    let dacl_at = offset(&r, 16, "OffsetDacl")?;

    let owner = match owner_at {
        0 => None,
        at => Some(r.sid(at, bytes.len(), "owner SID")?.0),
    };
    let group = match group_at {
        0 => None,
        at => Some(r.sid(at, bytes.len(), "group SID")?.0),
    };
    let sacl = acl_slot(&r, sacl_at, ctl & control::SACL_PRESENT != 0, "SACL", 12)?;
    let dacl = acl_slot(&r, dacl_at, ctl & control::DACL_PRESENT != 0, "DACL", 16)?;
    Ok(SecurityDescriptor {
        flags: ctl & !control::DERIVED,
        rm_control,
        owner,
        group,
        dacl,
        sacl,
    })
}

/// Reads a header offset; 0 means absent, anything else must point past
/// the header and inside the buffer.
fn offset(r: &Reader<'_>, at: usize, what: &str) -> Result<usize, BinaryError> {
    let raw = r.u32(at, what)?;
    let value =
        usize::try_from(raw).map_err(|_| error(at, format!("{what} {raw:#x} is too large")))?;
    if value == 0 {
        return Ok(0);
    }
    if value < HEADER_LEN {
        return Err(error(
            at,
            format!("{what} {value} points into the 20-byte header"),
        ));
    }
    if value >= r.bytes.len() {
        return Err(error(
            at,
            format!(
                "{what} {value} points past the end of the {} bytes",
                r.bytes.len()
            ),
        ));
    }
    Ok(value)
}

fn acl_slot(
    r: &Reader<'_>,
    at: usize,
    present: bool,
    what: &str,
    field: usize,
) -> Result<AclSlot, BinaryError> {
    match (present, at) {
        (false, 0) => Ok(AclSlot::Absent),
        (false, _) => Err(error(
            field,
            format!("the {what} offset is {at} but SE_{what}_PRESENT is clear"),
        )),
        (true, 0) => Ok(AclSlot::Null),
        (true, _) => read_acl(r, at, what).map(AclSlot::Present),
    }
}

fn read_acl(r: &Reader<'_>, at: usize, what: &str) -> Result<Acl, BinaryError> {
    let revision = r.u8(at, &format!("{what} AclRevision"))?;
    if !(2..=4).contains(&revision) {
        return Err(error(
            at,
            format!("{what} revision {revision}; expected 2, 3 or 4"),
        ));
    }
    let size = usize::from(r.u16(at + 2, &format!("{what} AclSize"))?);
    let count = r.u16(at + 4, &format!("{what} AceCount"))?;
    if size < 8 {
        return Err(error(
            at + 2,
            format!("{what} AclSize {size} is smaller than the 8-byte ACL header"),
        ));
    }
    let end = at + size;
    if end > r.bytes.len() {
        return Err(error(
            at + 2,
            format!(
                "{what} AclSize {size} runs past the end of the {} bytes",
                r.bytes.len()
            ),
        ));
    }
    let mut aces = Vec::with_capacity(usize::from(count).min(size / 8));
    let mut pos = at + 8;
    for index in 0..count {
        let (ace, next) = read_ace(r, pos, end, revision, &format!("{what} ACE {index}"))?;
        aces.push(ace);
        pos = next;
    }
    Ok(Acl { revision, aces })
}

/// The `AceType` names Windows defines, for messages about types the model
/// does not support.
fn ace_type_name(code: u8) -> &'static str {
    match code {
        0x04 => "ACCESS_ALLOWED_COMPOUND_ACE_TYPE",
        0x09 => "ACCESS_ALLOWED_CALLBACK_ACE_TYPE",
        0x0A => "ACCESS_DENIED_CALLBACK_ACE_TYPE",
        0x0B => "ACCESS_ALLOWED_CALLBACK_OBJECT_ACE_TYPE",
        0x0C => "ACCESS_DENIED_CALLBACK_OBJECT_ACE_TYPE",
        0x0D => "SYSTEM_AUDIT_CALLBACK_ACE_TYPE",
        0x0E => "SYSTEM_ALARM_CALLBACK_ACE_TYPE",
        0x0F => "SYSTEM_AUDIT_CALLBACK_OBJECT_ACE_TYPE",
        0x10 => "SYSTEM_ALARM_CALLBACK_OBJECT_ACE_TYPE",
        0x12 => "SYSTEM_RESOURCE_ATTRIBUTE_ACE_TYPE",
        _ => "an unknown ACE type",
    }
}

fn read_ace(
    r: &Reader<'_>,
    at: usize,
    acl_end: usize,
    acl_revision: u8,
    label: &str,
) -> Result<(Ace, usize), BinaryError> {
    if at + 4 > acl_end {
        return Err(error(
            at,
            format!(
                "{label} header runs past the end of the ACL (AceCount too large for AclSize?)"
            ),
        ));
    }
    let code = r.u8(at, label)?;
    let flags = r.u8(at + 1, label)?;
    let size = usize::from(r.u16(at + 2, label)?);
    let ace_type = AceType::from_code(code).ok_or_else(|| {
        error(
            at,
            format!(
                "{label} has type {code:#04x} ({}), which the model does not support",
                ace_type_name(code)
            ),
        )
    })?;
    if ace_type.is_object() && acl_revision < ACL_REVISION_DS {
        return Err(error(
            at,
            format!(
                "{label} is an object ACE ({}) but the ACL revision is {acl_revision}; object ACEs need revision 4",
                ace_type.sddl()
            ),
        ));
    }
    if size % 4 != 0 {
        return Err(error(
            at + 2,
            format!("{label} AceSize {size} is not a multiple of 4"),
        ));
    }
    let end = at + size;
    if end > acl_end {
        return Err(error(
            at + 2,
            format!("{label} AceSize {size} runs past the end of the ACL"),
        ));
    }
    if size < 8 {
        return Err(error(
            at + 2,
            format!("{label} AceSize {size} is too small"),
        ));
    }
    let mask = r.u32(at + 4, label)?;
    let mut pos = at + 8;
    let mut object_type = None;
    let mut inherited_object_type = None;
    if ace_type.is_object() {
        if pos + 4 > end {
            return Err(error(
                at + 2,
                format!("{label} AceSize {size} has no room for the object flags"),
            ));
        }
        let object_flags = r.u32(pos, label)?;
        if object_flags & !(ACE_OBJECT_TYPE_PRESENT | ACE_INHERITED_OBJECT_TYPE_PRESENT) != 0 {
            return Err(error(
                pos,
                format!("{label} has unknown object flags {object_flags:#x}"),
            ));
        }
        pos += 4;
        if object_flags & ACE_OBJECT_TYPE_PRESENT != 0 {
            if pos + 16 > end {
                return Err(error(pos, format!("{label} ObjectType runs past AceSize")));
            }
            object_type = Some(r.guid(pos, label)?);
            pos += 16;
        }
        if object_flags & ACE_INHERITED_OBJECT_TYPE_PRESENT != 0 {
            if pos + 16 > end {
                return Err(error(
                    pos,
                    format!("{label} InheritedObjectType runs past AceSize"),
                ));
            }
            inherited_object_type = Some(r.guid(pos, label)?);
            pos += 16;
        }
    }
    let (sid, used) = r.sid(pos, end, &format!("{label} SID (must fit in AceSize)"))?;
    let rest_at = pos + used;
    let rest = r.bytes.get(rest_at..end).unwrap_or(&[]);
    let data = if ace_type.is_callback() {
        if rest.iter().all(|b| *b == 0) {
            None
        } else {
            Some(AceData::Condition(Condition::from_bytes(rest).map_err(
                |e| {
                    error(
                        rest_at + e.offset,
                        format!("{label} application data: {}", e.message),
                    )
                },
            )?))
        }
    } else if ace_type == AceType::SystemResourceAttribute {
        Some(AceData::Attribute(
            crate::claims::resource::from_relative(rest)
                .map_err(|m| error(rest_at, format!("{label} resource attribute: {m}")))?,
        ))
    } else {
        None
    };
    Ok((
        Ace {
            ace_type,
            flags: AceFlags(flags),
            mask: AccessMask(mask),
            sid,
            object_type,
            inherited_object_type,
            data,
        },
        end,
    ))
}

/// Lower-case hex, no separators.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Parses hex of either case; ASCII white space between digits is ignored.
pub fn from_hex(text: &str) -> Result<Vec<u8>, BinaryError> {
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut high: Option<u8> = None;
    for (i, c) in text.char_indices() {
        if c.is_ascii_whitespace() {
            continue;
        }
        let digit = c
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
            .ok_or_else(|| error(i, format!("`{}` is not a hex digit", c.escape_debug())))?;
        match high.take() {
            Some(h) => out.push((h << 4) | digit),
            None => high = Some(digit),
        }
    }
    if high.is_some() {
        return Err(error(text.len(), "odd number of hex digits"));
    }
    Ok(out)
}

impl SecurityDescriptor {
    /// The self-relative binary form (see [`to_self_relative`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        to_self_relative(self)
    }

    /// Decodes the self-relative binary form (see [`from_self_relative`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<SecurityDescriptor, BinaryError> {
        from_self_relative(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sddl;
    use crate::well_known::DomainContext;

    fn encode(text: &str) -> String {
        to_hex(&to_self_relative(
            &sddl::parse(text, &DomainContext::default()).unwrap(),
        ))
    }

    /// Every `sddl_to_binary` vector with Windows-captured bytes.
    #[test]
    fn sddl_to_binary_vectors() {
        let cases = [
            ("", "0100008000000000000000000000000000000000"),
            ("S:P", "010010a0000000000000000014000000000000000200080000000000"),
            ("D:S:", "010014800000000000000000140000001c00000002000800000000000200080000000000"),
            ("D:PARAI", "01000495000000000000000000000000140000000200080000000000"),
            ("O:S-1-2-512D:", "010004801c0000000000000000000000140000000200080000000000010100000000000200020000"),
            ("D:(A;;GA;;;OW)", "010004800000000000000000000000001400000002001c00010000000000140000000010010100000000000304000000"),
            ("O:WDD:(A;;CRGA;;;CO)", "010004803000000000000000000000001400000002001c00010000000000140000010010010100000000000300000000010100000000000100000000"),
            ("D:AI(A;OI;DCLOSD;;;BA)", "01000484000000000000000000000000140000000200200001000000000118008200010001020000000000052000000020020000"),
            ("D:(A;CIIO;DC;;;CO)(A;;FA;;;WD)", "01000480000000000000000000000000140000000200300002000000000a14000200000001010000000000030000000000001400ff011f00010100000000000100000000"),
            ("D:(A;;;;;BO)(A;;;;;AO)(A;;;;;SY)", "010004800000000000000000000000001400000002004c00030000000000180000000000010200000000000520000000270200000000180000000000010200000000000520000000240200000000140000000000010100000000000512000000"),
            ("D:(A;;CC;;;S-1-0x500000000-32-579)", "01000480000000000000000000000000140000000200200001000000000018000100000001020005000000002000000043020000"),
            ("O:S-1-0-1-0", "010000801400000000000000000000000000000001020000000000000100000000000000"),
            ("D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BO)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)(A;;LCRPLORC;;;AU)S:(AU;SA;WPCR;;;WD)", "010014800000000000000000140000003000000002001c00010000000240140020010000010100000000000100000000020048000300000000001800ff010f000102000000000005200000002702000000001400ff010f00010100000000000512000000000014009400020001010000000000050b000000"),
            ("O:BAG:S-1-5-21-3053536995-1722761085-98153284-513D:(A;;FW;;;BA)", "0100048034000000440000000000000014000000020020000100000000001800160112000102000000000005200000002002000001020000000000052000000020020000010500000000000515000000e34601b67d3faf6644b3d90501020000"),
            ("O:BAG:SYD:(A;;KR;;;WD)(A;;KA;;;BA)(A;;KA;;;SY)", "010004805c0000006c000000000000001400000002004800030000000000140019000200010100000000000100000000000018003f000f0001020000000000052000000020020000000014003f000f0001010000000000051200000001020000000000052000000020020000010100000000000512000000"),
        ];
        for (text, hex) in cases {
            assert_eq!(encode(text), hex, "{text:?}");
            let bytes = from_hex(hex).unwrap();
            let sd = from_self_relative(&bytes).unwrap();
            assert_eq!(
                sd,
                sddl::parse(text, &DomainContext::default()).unwrap(),
                "{text:?}"
            );
            assert_eq!(to_self_relative(&sd), bytes);
        }
    }

    /// bin-msdoc-001: decoded fields of the MS-SDDL example (group `DA` is
    /// relative to the context's domain).
    #[test]
    fn msdoc_example() {
        let ctx = DomainContext::default();
        let sd = sddl::parse("O:AOG:DAD:(A;;RPWPCCDCLCSWRCWDWOGA;;;S-1-0-0)", &ctx).unwrap();
        let bytes = to_self_relative(&sd);
        assert_eq!(u16::from_le_bytes([bytes[2], bytes[3]]), 0x8004);
        let dacl_at = 20;
        assert_eq!(
            u32::from_le_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]),
            dacl_at
        );
        assert_eq!(bytes[20], 2, "ACL revision");
        assert_eq!(u16::from_le_bytes([bytes[22], bytes[23]]), 0x1c, "AclSize");
        assert_eq!(&bytes[28..32], &[0, 0, 0x14, 0], "ACE type, flags, size");
        assert_eq!(&bytes[32..36], &0x100e_003fu32.to_le_bytes());
        let back = from_self_relative(&bytes).unwrap();
        assert_eq!(back.owner.unwrap().to_string(), "S-1-5-32-548");
        assert_eq!(back.group, ctx.domain.with_rid(512));
        assert_eq!(back.sacl, AclSlot::Absent);
    }

    #[test]
    fn layout_is_sacl_dacl_owner_group() {
        let bytes =
            to_self_relative(&sddl::parse("O:ISD:ARAIS:PAR", &DomainContext::default()).unwrap());
        let off =
            |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        assert_eq!((off(12), off(16), off(4), off(8)), (20, 28, 36, 0));
    }

    #[test]
    fn null_acls_and_object_aces() {
        let ctx = DomainContext::default();
        let sd = sddl::parse(
            "D:NO_ACCESS_CONTROLS:(OU;CISA;WP;f30e3bbe-9ff0-11d1-b603-0000f80367c1;bf967aa5-0de6-11d0-a285-00aa003049e2;WD)(OU;;WP;;bf967aa5-0de6-11d0-a285-00aa003049e2;WD)",
            &ctx,
        )
        .unwrap();
        let bytes = to_self_relative(&sd);
        assert_eq!(&bytes[16..20], &[0, 0, 0, 0], "NULL DACL has offset 0");
        assert_eq!(u16::from_le_bytes([bytes[2], bytes[3]]), 0x8014);
        assert_eq!(bytes[20], 4, "object ACEs need ACL revision 4");
        assert_eq!(from_self_relative(&bytes).unwrap(), sd);
        assert_eq!(bytes[28], 7, "SYSTEM_AUDIT_OBJECT_ACE_TYPE");
        assert_eq!(&bytes[36..40], &[3, 0, 0, 0], "both GUIDs present");
        assert_eq!(
            &bytes[40..44],
            &[0xbe, 0x3b, 0x0e, 0xf3],
            "GUID data1 little-endian"
        );
    }

    #[test]
    fn rejects_bad_input_with_reasons() {
        let good = from_hex("010004800000000000000000000000001400000002001c00010000000000140000000010010100000000000304000000").unwrap();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![], "20-byte header"),
            (good[..19].to_vec(), "20-byte header"),
            (
                {
                    let mut b = good.clone();
                    b[0] = 2;
                    b
                },
                "revision 2",
            ),
            (
                {
                    let mut b = good.clone();
                    b[3] = 0;
                    b
                },
                "SE_SELF_RELATIVE",
            ),
            (
                {
                    let mut b = good.clone();
                    b[16] = 4;
                    b
                },
                "points into the 20-byte header",
            ),
            (
                {
                    let mut b = good.clone();
                    b[16] = 200;
                    b
                },
                "past the end",
            ),
            (
                {
                    let mut b = good.clone();
                    b[2] = 0;
                    b
                },
                "SE_DACL_PRESENT is clear",
            ),
            (
                {
                    let mut b = good.clone();
                    b[20] = 1;
                    b
                },
                "revision 1; expected 2",
            ),
            (
                {
                    let mut b = good.clone();
                    b[22] = 0xff;
                    b
                },
                "runs past the end",
            ),
            (
                {
                    let mut b = good.clone();
                    b[24] = 2;
                    b
                },
                "ACE 1 header runs past",
            ),
            (
                {
                    let mut b = good.clone();
                    b[28] = 0x0C;
                    b
                },
                "ACCESS_DENIED_CALLBACK_OBJECT_ACE_TYPE",
            ),
            (
                {
                    let mut b = good.clone();
                    b[28] = 0x12;
                    b
                },
                "resource attribute",
            ),
            (
                {
                    let mut b = good.clone();
                    b[28] = 5;
                    b
                },
                "object ACE",
            ),
            (
                {
                    let mut b = good.clone();
                    b[30] = 0x13;
                    b
                },
                "multiple of 4",
            ),
            (
                {
                    let mut b = good.clone();
                    b[30] = 0x18;
                    b
                },
                "runs past the end of the ACL",
            ),
            (
                {
                    let mut b = good.clone();
                    b[36] = 2;
                    b
                },
                "SID",
            ),
            (
                {
                    let mut b = good.clone();
                    b[37] = 2;
                    b
                },
                "SID",
            ),
        ];
        for (bytes, want) in cases {
            let e = from_self_relative(&bytes).unwrap_err();
            assert!(e.to_string().contains(want), "{want}: got {e}");
        }
    }

    #[test]
    fn hex_helpers() {
        assert_eq!(to_hex(&[0x01, 0xab, 0xff]), "01abff");
        assert_eq!(from_hex("01AB ff\n").unwrap(), vec![0x01, 0xab, 0xff]);
        assert_eq!(from_hex("0").unwrap_err().offset, 1);
        assert_eq!(from_hex("0g").unwrap_err().offset, 1);
        assert_eq!(from_hex("\u{e9}").unwrap_err().offset, 0);
    }

    #[test]
    fn oversized_acl_is_reported() {
        let ace = Ace::allow(AccessMask(1), Sid::new(5, &[1; 15]).unwrap());
        let sd = SecurityDescriptor {
            dacl: AclSlot::Present(Acl::new(vec![ace; 1000])),
            ..SecurityDescriptor::default()
        };
        assert!(try_to_self_relative(&sd).is_err());
        assert!(from_self_relative(&to_self_relative(&sd)).is_err());
        assert!(try_to_self_relative(&SecurityDescriptor::default()).is_ok());
    }
}
