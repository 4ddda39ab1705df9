//! Conditional expressions of callback ACEs (`XA`, `XD`, `XU`, `ZA`):
//! their SDDL form, their binary form and their evaluation.
//!
//! An expression is kept as Windows stores it, a postfix token stream
//! (MS-DTYP 2.4.4.17.4-2.4.4.17.9): literals, attributes and operators.
//! [`parse`] compiles the SDDL text (MS-DTYP 2.5.1.1) into that stream,
//! [`Condition::to_sddl`] prints it in the canonical form, the `artx`
//! application data is written and read by [`Condition::to_bytes`] and
//! [`Condition::from_bytes`], and [`Condition::evaluate`] runs it against
//! a token and the resource attributes of a descriptor with Windows'
//! three-valued logic, recording the value of every sub-expression.
//!
//! Hostile input is bounded: an expression nests at most [`MAX_DEPTH`]
//! operators deep and holds at most [`MAX_TOKENS`] tokens; deeper or longer
//! ones are refused with a typed error, so no recursion here can overflow.

use std::cmp::Ordering;
use std::fmt::Write as _;

use serde::Serialize;

use crate::claims::{Claim, ClaimValue};
use crate::sid::Sid;
use crate::token::Token;
use crate::well_known::{self, DomainContext};

/// The deepest operator nesting accepted.
pub const MAX_DEPTH: usize = 256;
/// The most tokens an expression may hold.
pub const MAX_TOKENS: usize = 16 * 1024;
/// The signature that starts conditional application data.
pub const SIGNATURE: &[u8; 4] = b"artx";

/// Where an attribute's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttrScope {
    /// A local attribute (a bare name), token `0xf8`.
    Local,
    /// `@User.`, token `0xf9`.
    User,
    /// `@Resource.`, token `0xfa`.
    Resource,
    /// `@Device.`, token `0xfb`.
    Device,
}

impl AttrScope {
    const fn code(self) -> u8 {
        match self {
            AttrScope::Local => 0xf8,
            AttrScope::User => 0xf9,
            AttrScope::Resource => 0xfa,
            AttrScope::Device => 0xfb,
        }
    }

    fn from_code(code: u8) -> Option<AttrScope> {
        match code {
            0xf8 => Some(AttrScope::Local),
            0xf9 => Some(AttrScope::User),
            0xfa => Some(AttrScope::Resource),
            0xfb => Some(AttrScope::Device),
            _ => None,
        }
    }

    /// The prefix the canonical SDDL prints (Windows prints it upper-case).
    pub const fn prefix(self) -> &'static str {
        match self {
            AttrScope::Local => "",
            AttrScope::User => "@USER.",
            AttrScope::Resource => "@RESOURCE.",
            AttrScope::Device => "@DEVICE.",
        }
    }
}

/// A literal operand.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "literal", rename_all = "snake_case")]
pub enum Literal {
    /// An integer: token code (`0x01`..`0x04` for 8..64 bits, SDDL always
    /// writes `0x04`), the value, the sign byte (1 `+`, 2 `-`, 3 none) and
    /// the base byte (1 octal, 2 decimal, 3 hex) that printing honours.
    Int {
        /// Token code.
        code: u8,
        /// The value.
        value: i64,
        /// Sign byte.
        sign: u8,
        /// Base byte.
        base: u8,
    },
    /// A Unicode string (`0x10`).
    String {
        /// The text.
        value: String,
    },
    /// An octet string (`0x18`).
    Octets {
        /// The bytes.
        #[serde(serialize_with = "hex_bytes")]
        value: Vec<u8>,
    },
    /// A SID (`0x51`).
    Sid {
        /// The SID.
        value: Sid,
    },
    /// A composite (`0x50`) of literals.
    Composite {
        /// The elements.
        items: Vec<Literal>,
    },
}

fn hex_bytes<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&crate::binary::to_hex(b))
}

macro_rules! ops {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $name:literal, $kind:ident; )+) => {
        /// An operator.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum Op { $( $(#[$doc])* $variant ),+ }

        impl Op {
            /// Every operator.
            pub const ALL: &'static [Op] = &[$(Op::$variant),+];
            /// The token byte.
            pub const fn code(self) -> u8 { match self { $(Op::$variant => $code),+ } }
            /// The SDDL spelling printed.
            pub const fn sddl(self) -> &'static str { match self { $(Op::$variant => $name),+ } }
            /// The kind of operator.
            pub const fn kind(self) -> OpKind { match self { $(Op::$variant => OpKind::$kind),+ } }
        }
    };
}

ops! {
    /// `==`.
    Eq = 0x80, "==", Relational;
    /// `!=`.
    Ne = 0x81, "!=", Relational;
    /// `<`.
    Lt = 0x82, "<", Relational;
    /// `<=`.
    Le = 0x83, "<=", Relational;
    /// `>`.
    Gt = 0x84, ">", Relational;
    /// `>=`.
    Ge = 0x85, ">=", Relational;
    /// `Contains`.
    Contains = 0x86, "Contains", Relational;
    /// `Any_of`.
    AnyOf = 0x88, "Any_of", Relational;
    /// `Not_Contains`.
    NotContains = 0x8e, "Not_Contains", Relational;
    /// `Not_Any_of`.
    NotAnyOf = 0x8f, "Not_Any_of", Relational;
    /// `Member_of`.
    MemberOf = 0x89, "Member_of", Member;
    /// `Device_Member_of`.
    DeviceMemberOf = 0x8a, "Device_Member_of", Member;
    /// `Member_of_Any` (printed `Member_of_any`, as Windows prints it).
    MemberOfAny = 0x8b, "Member_of_any", Member;
    /// `Device_Member_of_Any`.
    DeviceMemberOfAny = 0x8c, "Device_Member_of_Any", Member;
    /// `Not_Member_of`.
    NotMemberOf = 0x90, "Not_Member_of", Member;
    /// `Not_Device_Member_of`.
    NotDeviceMemberOf = 0x91, "Not_Device_Member_of", Member;
    /// `Not_Member_of_Any`.
    NotMemberOfAny = 0x92, "Not_Member_of_Any", Member;
    /// `Not_Device_Member_of_Any`.
    NotDeviceMemberOfAny = 0x93, "Not_Device_Member_of_Any", Member;
    /// `Exists`.
    Exists = 0x87, "Exists", Exists;
    /// `Not_Exists`.
    NotExists = 0x8d, "Not_Exists", Exists;
    /// `!`.
    Not = 0xa2, "!", Not;
    /// `&&`.
    And = 0xa0, "&&", Logical;
    /// `||`.
    Or = 0xa1, "||", Logical;
}

/// What an operator takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// Binary: attribute, then attribute or literal.
    Relational,
    /// Unary: SIDs.
    Member,
    /// Unary: an attribute.
    Exists,
    /// Unary logical negation.
    Not,
    /// Binary logical.
    Logical,
}

impl Op {
    /// Operands taken.
    pub const fn arity(self) -> usize {
        match self.kind() {
            OpKind::Relational | OpKind::Logical => 2,
            _ => 1,
        }
    }

    fn from_code(code: u8) -> Option<Op> {
        Op::ALL.iter().copied().find(|o| o.code() == code)
    }

    /// The operator a word names (case-insensitive), for the word-named
    /// unary operators and the word relational operators.
    fn from_word(word: &str) -> Option<Op> {
        Op::ALL
            .iter()
            .copied()
            .filter(|o| {
                o.sddl()
                    .bytes()
                    .all(|b| b.is_ascii_alphabetic() || b == b'_')
            })
            .find(|o| o.sddl().eq_ignore_ascii_case(word))
    }
}

/// One token of the postfix stream.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "token", rename_all = "snake_case")]
pub enum CondToken {
    /// A literal.
    Literal {
        /// The literal.
        literal: Literal,
    },
    /// An attribute reference.
    Attribute {
        /// Its scope.
        scope: AttrScope,
        /// Its name.
        name: String,
    },
    /// An operator.
    Op {
        /// The operator.
        op: Op,
    },
}

/// A conditional expression: the postfix token stream Windows stores.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Condition {
    /// The tokens, in postfix order.
    pub tokens: Vec<CondToken>,
}

/// Why an expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at offset {offset}")]
pub struct ConditionError {
    /// Byte offset in the SDDL text or the application data.
    pub offset: usize,
    /// What was wrong and what was expected.
    pub message: String,
}

fn cerr(offset: usize, message: impl Into<String>) -> ConditionError {
    ConditionError {
        offset,
        message: message.into(),
    }
}

/// A node of the expression tree built from the postfix stream.
#[derive(Debug, Clone)]
struct Node {
    token: usize,
    children: Vec<Node>,
}

impl Condition {
    /// The tree of the stream; fails unless the stream is exactly one
    /// well-formed expression no deeper than [`MAX_DEPTH`].
    fn tree(&self) -> Result<Node, ConditionError> {
        if self.tokens.len() > MAX_TOKENS {
            return Err(cerr(0, format!("more than {MAX_TOKENS} tokens")));
        }
        let mut stack: Vec<(Node, usize)> = Vec::new();
        for (i, t) in self.tokens.iter().enumerate() {
            match t {
                CondToken::Op { op } => {
                    let n = op.arity();
                    if stack.len() < n {
                        return Err(cerr(
                            i,
                            format!("operator `{}` lacks an operand", op.sddl()),
                        ));
                    }
                    let args = stack.split_off(stack.len() - n);
                    let depth = args.iter().map(|(_, d)| *d).max().unwrap_or(0) + 1;
                    if depth > MAX_DEPTH {
                        return Err(cerr(
                            i,
                            format!("the expression nests deeper than {MAX_DEPTH} operators"),
                        ));
                    }
                    stack.push((
                        Node {
                            token: i,
                            children: args.into_iter().map(|(n, _)| n).collect(),
                        },
                        depth,
                    ));
                }
                _ => stack.push((
                    Node {
                        token: i,
                        children: Vec::new(),
                    },
                    0,
                )),
            }
        }
        match (stack.pop(), stack.is_empty()) {
            (Some((root, _)), true) => Ok(root),
            (None, _) => Err(cerr(0, "the expression is empty")),
            (Some(_), false) => Err(cerr(0, "the expression leaves more than one value")),
        }
    }

    /// Checks that the stream is one well-formed expression.
    pub fn validate(&self) -> Result<(), ConditionError> {
        self.tree().map(|_| ())
    }

    /// The canonical SDDL text, in parentheses: operands of `&&`, `||` and
    /// `!` are parenthesised, attribute prefixes are upper-case, composites
    /// print as `{a, b}`, SIDs as `SID(alias)`.
    pub fn to_sddl(&self, ctx: &DomainContext) -> String {
        match self.tree() {
            Ok(root) => format!("({})", self.node_text(&root, ctx)),
            Err(_) => "()".to_string(),
        }
    }

    fn node_text(&self, node: &Node, ctx: &DomainContext) -> String {
        match &self.tokens[node.token] {
            CondToken::Literal { literal } => literal_text(literal, ctx),
            CondToken::Attribute { scope, name } => attr_text(*scope, name),
            CondToken::Op { op } => {
                let arg = |i: usize| {
                    node.children
                        .get(i)
                        .map_or_else(String::new, |c| self.node_text(c, ctx))
                };
                match op.kind() {
                    OpKind::Relational => format!("{} {} {}", arg(0), op.sddl(), arg(1)),
                    OpKind::Logical => format!("({}) {} ({})", arg(0), op.sddl(), arg(1)),
                    OpKind::Not => format!("!({})", arg(0)),
                    OpKind::Member | OpKind::Exists => format!("{} {}", op.sddl(), arg(0)),
                }
            }
        }
    }

    /// The application data of a conditional ACE: `artx`, the tokens, and
    /// zero padding to a multiple of 4 bytes, as Windows writes it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        for t in &self.tokens {
            write_token(&mut out, t);
        }
        while !out.len().is_multiple_of(4) {
            out.push(0);
        }
        out
    }

    /// Reads application data that starts with `artx`; trailing zero
    /// bytes are padding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Condition, ConditionError> {
        if bytes.get(..4) != Some(SIGNATURE.as_slice()) {
            return Err(cerr(0, "conditional application data starts with `artx`"));
        }
        let mut pos = 4;
        let mut tokens = Vec::new();
        while pos < bytes.len() {
            if bytes[pos] == 0 {
                if let Some(at) = bytes[pos..].iter().position(|b| *b != 0) {
                    return Err(cerr(pos + at, "a token follows the zero padding"));
                }
                break;
            }
            if tokens.len() >= MAX_TOKENS {
                return Err(cerr(pos, format!("more than {MAX_TOKENS} tokens")));
            }
            let (t, next) = read_token(bytes, pos, false)?;
            tokens.push(t);
            pos = next;
        }
        let c = Condition { tokens };
        c.validate()?;
        Ok(c)
    }
}

fn attr_text(scope: AttrScope, name: &str) -> String {
    let mut out = String::from(scope.prefix());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '/' | '_') {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                let _ = write!(out, "%{unit:04x}");
            }
        }
    }
    out
}

fn literal_text(l: &Literal, ctx: &DomainContext) -> String {
    match l {
        Literal::Int {
            value, sign, base, ..
        } => {
            let neg = *value < 0;
            let mag = value.unsigned_abs();
            let digits = match base {
                1 => format!("0{mag:o}"),
                3 => format!("0x{mag:x}"),
                _ => mag.to_string(),
            };
            let digits = if *base == 1 && mag == 0 {
                "0".to_string()
            } else {
                digits
            };
            match (neg, sign) {
                (true, _) => format!("-{digits}"),
                (false, 1) => format!("+{digits}"),
                _ => digits,
            }
        }
        Literal::String { value } => format!("\"{value}\""),
        Literal::Octets { value } => format!("#{}", crate::binary::to_hex(value)),
        Literal::Sid { value } => format!("SID({})", crate::sddl::sid_to_sddl(value, ctx)),
        Literal::Composite { items } => {
            let parts: Vec<String> = items.iter().map(|i| literal_text(i, ctx)).collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

fn push_len(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn write_literal(out: &mut Vec<u8>, l: &Literal) {
    match l {
        Literal::Int {
            code,
            value,
            sign,
            base,
        } => {
            out.push(*code);
            out.extend_from_slice(&value.to_le_bytes());
            out.push(*sign);
            out.push(*base);
        }
        Literal::String { value } => {
            out.push(0x10);
            let b = utf16(value);
            push_len(out, b.len());
            out.extend_from_slice(&b);
        }
        Literal::Octets { value } => {
            out.push(0x18);
            push_len(out, value.len());
            out.extend_from_slice(value);
        }
        Literal::Sid { value } => {
            out.push(0x51);
            let b = value.to_bytes();
            push_len(out, b.len());
            out.extend_from_slice(&b);
        }
        Literal::Composite { items } => {
            out.push(0x50);
            let mut inner = Vec::new();
            for i in items {
                write_literal(&mut inner, i);
            }
            push_len(out, inner.len());
            out.extend_from_slice(&inner);
        }
    }
}

fn write_token(out: &mut Vec<u8>, t: &CondToken) {
    match t {
        CondToken::Literal { literal } => write_literal(out, literal),
        CondToken::Attribute { scope, name } => {
            out.push(scope.code());
            let b = utf16(name);
            push_len(out, b.len());
            out.extend_from_slice(&b);
        }
        CondToken::Op { op } => out.push(op.code()),
    }
}

fn counted(bytes: &[u8], pos: usize) -> Result<(&[u8], usize), ConditionError> {
    let len = bytes
        .get(pos + 1..pos + 5)
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| cerr(pos, "a length runs past the end of the data"))?;
    let len = usize::try_from(len).map_err(|_| cerr(pos, "length too large"))?;
    let start = pos + 5;
    let body = bytes.get(start..start.saturating_add(len)).ok_or_else(|| {
        cerr(
            pos,
            format!("a {len}-byte operand runs past the end of the data"),
        )
    })?;
    Ok((body, start + len))
}

fn from_utf16(b: &[u8], pos: usize) -> Result<String, ConditionError> {
    if !b.len().is_multiple_of(2) {
        return Err(cerr(pos, "a UTF-16 string has an odd byte length"));
    }
    let units: Vec<u16> = b
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).map_err(|_| cerr(pos, "a string is not valid UTF-16"))
}

fn read_literal(
    bytes: &[u8],
    pos: usize,
    depth: usize,
) -> Result<(Literal, usize), ConditionError> {
    let code = bytes[pos];
    match code {
        0x01..=0x04 => {
            let body = bytes
                .get(pos + 1..pos + 11)
                .ok_or_else(|| cerr(pos, "an integer runs past the end of the data"))?;
            let mut v = [0u8; 8];
            v.copy_from_slice(&body[..8]);
            let (sign, base) = (body[8], body[9]);
            if !(1..=3).contains(&sign) || !(1..=3).contains(&base) {
                return Err(cerr(pos, "an integer has a bad sign or base byte"));
            }
            Ok((
                Literal::Int {
                    code,
                    value: i64::from_le_bytes(v),
                    sign,
                    base,
                },
                pos + 11,
            ))
        }
        0x10 => {
            let (b, next) = counted(bytes, pos)?;
            Ok((
                Literal::String {
                    value: from_utf16(b, pos)?,
                },
                next,
            ))
        }
        0x18 => {
            let (b, next) = counted(bytes, pos)?;
            Ok((Literal::Octets { value: b.to_vec() }, next))
        }
        0x51 => {
            let (b, next) = counted(bytes, pos)?;
            let (sid, used) = Sid::from_bytes(b).map_err(|e| cerr(pos, format!("bad SID: {e}")))?;
            if used != b.len() {
                return Err(cerr(pos, "bytes follow the SID inside its token"));
            }
            Ok((Literal::Sid { value: sid }, next))
        }
        0x50 => {
            if depth > 8 {
                return Err(cerr(pos, "composites nest too deeply"));
            }
            let (b, next) = counted(bytes, pos)?;
            let mut items = Vec::new();
            let mut p = 0;
            while p < b.len() {
                let (item, n) = read_literal(b, p, depth + 1)?;
                items.push(item);
                p = n;
            }
            Ok((Literal::Composite { items }, next))
        }
        other => Err(cerr(pos, format!("{other:#04x} is not a literal token"))),
    }
}

fn read_token(bytes: &[u8], pos: usize, _: bool) -> Result<(CondToken, usize), ConditionError> {
    let code = bytes[pos];
    if let Some(scope) = AttrScope::from_code(code) {
        let (b, next) = counted(bytes, pos)?;
        return Ok((
            CondToken::Attribute {
                scope,
                name: from_utf16(b, pos)?,
            },
            next,
        ));
    }
    if let Some(op) = Op::from_code(code) {
        return Ok((CondToken::Op { op }, pos + 1));
    }
    let (literal, next) = read_literal(bytes, pos, 0)?;
    Ok((CondToken::Literal { literal }, next))
}

// ---------------------------------------------------------------------------
// SDDL text -> postfix.

/// Compiles the SDDL text of a condition (with its outer parentheses)
/// into the postfix stream. SIDs in `SID(...)` resolve against `ctx`.
pub fn parse(text: &str, ctx: &DomainContext) -> Result<Condition, ConditionError> {
    let mut p = CondParser {
        s: text.as_bytes(),
        text,
        pos: 0,
        ctx,
        out: Vec::new(),
        depth: 0,
    };
    p.ws();
    p.or_expr()?;
    p.ws();
    if p.pos != p.s.len() {
        return Err(cerr(
            p.pos,
            format!("unexpected `{}` after the expression", p.rest_char()),
        ));
    }
    let c = Condition { tokens: p.out };
    c.validate()?;
    Ok(c)
}

struct CondParser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    ctx: &'a DomainContext,
    out: Vec<CondToken>,
    depth: usize,
}

impl CondParser<'_> {
    fn ws(&mut self) {
        while self
            .s
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_whitespace())
        {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn rest_char(&self) -> String {
        self.text
            .get(self.pos..)
            .and_then(|r| r.chars().next())
            .map_or("end of text".into(), |c| c.to_string())
    }

    fn eat(&mut self, tok: &str) -> bool {
        if self.s[self.pos.min(self.s.len())..].starts_with(tok.as_bytes()) {
            self.pos += tok.len();
            true
        } else {
            false
        }
    }

    fn enter(&mut self) -> Result<(), ConditionError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(cerr(
                self.pos,
                format!("the expression nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        if self.out.len() > MAX_TOKENS {
            return Err(cerr(self.pos, format!("more than {MAX_TOKENS} tokens")));
        }
        Ok(())
    }

    fn op(&mut self, op: Op) {
        self.out.push(CondToken::Op { op });
    }

    fn or_expr(&mut self) -> Result<(), ConditionError> {
        self.enter()?;
        self.and_expr()?;
        loop {
            self.ws();
            if self.eat("||") {
                self.ws();
                self.and_expr()?;
                self.op(Op::Or);
            } else {
                break;
            }
        }
        self.depth -= 1;
        Ok(())
    }

    fn and_expr(&mut self) -> Result<(), ConditionError> {
        self.unary()?;
        loop {
            self.ws();
            if self.eat("&&") {
                self.ws();
                self.unary()?;
                self.op(Op::And);
            } else {
                break;
            }
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<(), ConditionError> {
        self.enter()?;
        self.ws();
        if self.peek() == Some(b'!') && self.s.get(self.pos + 1) != Some(&b'=') {
            self.pos += 1;
            self.ws();
            self.unary()?;
            self.op(Op::Not);
        } else if self.peek() == Some(b'(') {
            self.pos += 1;
            self.ws();
            self.or_expr()?;
            self.ws();
            if !self.eat(")") {
                return Err(cerr(
                    self.pos,
                    format!("expected `)`, found `{}`", self.rest_char()),
                ));
            }
        } else {
            self.simple()?;
        }
        self.depth -= 1;
        Ok(())
    }

    /// A word: letters, digits and `_ : . / % @`.
    fn word(&mut self) -> &str {
        let start = self.pos;
        while self.peek().is_some_and(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'.' | b'/' | b'%' | b'@')
        }) {
            self.pos += 1;
        }
        self.text.get(start..self.pos).unwrap_or("")
    }

    fn simple(&mut self) -> Result<(), ConditionError> {
        let start = self.pos;
        let word = self.word().to_string();
        if word.is_empty() {
            return Err(cerr(start, format!("expected an attribute, `Member_of`-style operator, `Exists`, `!` or `(`, found `{}`", self.rest_char())));
        }
        if let Some(op) =
            Op::from_word(&word).filter(|o| matches!(o.kind(), OpKind::Member | OpKind::Exists))
        {
            self.ws();
            if op.kind() == OpKind::Member {
                let lit = self.operand_literal_parens()?;
                self.out.push(CondToken::Literal { literal: lit });
            } else {
                let at = self.pos;
                let w = self.word().to_string();
                let (scope, name) = attribute(&w, at)?;
                self.out.push(CondToken::Attribute { scope, name });
            }
            self.op(op);
            return Ok(());
        }
        let (scope, name) = attribute(&word, start)?;
        self.out.push(CondToken::Attribute { scope, name });
        self.ws();
        let save = self.pos;
        let rel = if self.eat("==") {
            Some(Op::Eq)
        } else if self.eat("!=") {
            Some(Op::Ne)
        } else if self.eat("<=") {
            Some(Op::Le)
        } else if self.eat(">=") {
            Some(Op::Ge)
        } else if self.eat("<") {
            Some(Op::Lt)
        } else if self.eat(">") {
            Some(Op::Gt)
        } else {
            let w = self.word().to_string();
            match Op::from_word(&w).filter(|o| o.kind() == OpKind::Relational) {
                Some(op) => Some(op),
                None => {
                    self.pos = save;
                    None
                }
            }
        };
        if let Some(op) = rel {
            self.ws();
            self.rhs()?;
            self.op(op);
        }
        Ok(())
    }

    /// The right operand of a relational operator: an attribute or a literal.
    fn rhs(&mut self) -> Result<(), ConditionError> {
        let c = self.peek();
        if c == Some(b'@') || c.is_some_and(|b| b.is_ascii_alphabetic()) && !self.at_sid() {
            let at = self.pos;
            let w = self.word().to_string();
            let (scope, name) = attribute(&w, at)?;
            self.out.push(CondToken::Attribute { scope, name });
            return Ok(());
        }
        let lit = self.literal(true)?;
        self.out.push(CondToken::Literal { literal: lit });
        Ok(())
    }

    fn at_sid(&self) -> bool {
        self.s
            .get(self.pos..self.pos + 4)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"SID("))
    }

    /// A member operator's operand, which may sit in extra parentheses.
    fn operand_literal_parens(&mut self) -> Result<Literal, ConditionError> {
        if self.peek() == Some(b'(') {
            self.enter()?;
            self.pos += 1;
            self.ws();
            let l = self.operand_literal_parens()?;
            self.ws();
            if !self.eat(")") {
                return Err(cerr(self.pos, "expected `)` after the SIDs"));
            }
            self.depth -= 1;
            return Ok(l);
        }
        self.literal(true)
    }

    fn literal(&mut self, composite_ok: bool) -> Result<Literal, ConditionError> {
        let start = self.pos;
        match self.peek() {
            Some(b'"') => {
                let end = self.s[start + 1..]
                    .iter()
                    .position(|b| *b == b'"')
                    .ok_or_else(|| cerr(start, "unterminated string literal"))?;
                let value = self.text.get(start + 1..start + 1 + end).unwrap_or("").to_string();
                self.pos = start + end + 2;
                Ok(Literal::String { value })
            }
            Some(b'#') => {
                self.pos += 1;
                let from = self.pos;
                while self.peek().is_some_and(|b| b.is_ascii_hexdigit() || b == b'#') {
                    self.pos += 1;
                }
                let digits: Vec<u8> = self.s[from..self.pos]
                    .iter()
                    .map(|b| if *b == b'#' { b'0' } else { *b })
                    .collect();
                if !digits.len().is_multiple_of(2) {
                    return Err(cerr(start, "an octet string needs an even number of hex digits"));
                }
                let text = String::from_utf8_lossy(&digits).to_string();
                let value = crate::binary::from_hex(&text).map_err(|e| cerr(start, e.message))?;
                Ok(Literal::Octets { value })
            }
            Some(b'{') if composite_ok => {
                self.pos += 1;
                let mut items = Vec::new();
                self.ws();
                if !self.eat("}") {
                    loop {
                        self.ws();
                        items.push(self.literal(false)?);
                        if items.len() > MAX_TOKENS {
                            return Err(cerr(self.pos, "too many composite elements"));
                        }
                        self.ws();
                        if self.eat(",") {
                            continue;
                        }
                        if self.eat("}") {
                            break;
                        }
                        return Err(cerr(self.pos, format!("expected `,` or `}}` in a composite, found `{}`", self.rest_char())));
                    }
                }
                Ok(Literal::Composite { items })
            }
            _ if self.at_sid() => {
                self.pos += 4;
                let from = self.pos;
                let end = self.s[from..]
                    .iter()
                    .position(|b| *b == b')')
                    .ok_or_else(|| cerr(start, "unterminated SID(...)"))?;
                let inner = self.text.get(from..from + end).unwrap_or("").trim();
                let sid = well_known::sid_for_alias(&inner.to_ascii_uppercase(), self.ctx)
                    .filter(|_| inner.len() == 2)
                    .or_else(|| inner.parse::<Sid>().ok())
                    .or_else(|| {
                        let upper = inner.to_ascii_uppercase();
                        upper.parse::<Sid>().ok()
                    })
                    .ok_or_else(|| cerr(from, format!("`{inner}` is not a SID or SDDL alias")))?;
                self.pos = from + end + 1;
                Ok(Literal::Sid { value: sid })
            }
            Some(b'+' | b'-' | b'0'..=b'9') => self.integer(),
            _ => Err(cerr(start, format!("expected a literal (number, \"string\", #octets, SID(...), {{...}}), found `{}`", self.rest_char()))),
        }
    }

    fn integer(&mut self) -> Result<Literal, ConditionError> {
        let start = self.pos;
        let sign = match self.peek() {
            Some(b'+') => {
                self.pos += 1;
                1
            }
            Some(b'-') => {
                self.pos += 1;
                2
            }
            _ => 3,
        };
        let (base, radix) = if self.eat("0x") || self.eat("0X") {
            (3u8, 16u32)
        } else if self.peek() == Some(b'0')
            && self.s.get(self.pos + 1).is_some_and(u8::is_ascii_digit)
        {
            self.pos += 1;
            (1, 8)
        } else {
            (2, 10)
        };
        let from = self.pos;
        while self.peek().is_some_and(|b| char::from(b).is_digit(radix)) {
            self.pos += 1;
        }
        let digits = self.text.get(from..self.pos).unwrap_or("");
        if digits.is_empty() {
            return Err(cerr(start, "expected digits"));
        }
        let mag = u64::from_str_radix(digits, radix)
            .map_err(|_| cerr(start, "the integer does not fit in 64 bits"))?;
        let value = if sign == 2 {
            0i64.checked_sub_unsigned(mag)
        } else {
            i64::try_from(mag).ok()
        }
        .ok_or_else(|| cerr(start, "the integer does not fit in a signed 64-bit value"))?;
        Ok(Literal::Int {
            code: 0x04,
            value,
            sign,
            base,
        })
    }
}

/// An attribute word: `@User.x`, `@Device.x`, `@Resource.x` (prefixes
/// case-insensitive) or a bare local name; `%xxxx` escapes a UTF-16 unit.
fn attribute(word: &str, at: usize) -> Result<(AttrScope, String), ConditionError> {
    let lower = word.to_ascii_lowercase();
    let (scope, raw) = if let Some(rest) = lower.strip_prefix("@user.") {
        (AttrScope::User, &word[word.len() - rest.len()..])
    } else if let Some(rest) = lower.strip_prefix("@device.") {
        (AttrScope::Device, &word[word.len() - rest.len()..])
    } else if let Some(rest) = lower.strip_prefix("@resource.") {
        (AttrScope::Resource, &word[word.len() - rest.len()..])
    } else if word.starts_with('@') {
        return Err(cerr(
            at,
            format!(
                "`{word}`: an attribute starting with `@` needs @User., @Device. or @Resource."
            ),
        ));
    } else {
        (AttrScope::Local, word)
    };
    if raw.is_empty() {
        return Err(cerr(at, "an attribute needs a name"));
    }
    let mut units = Vec::new();
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = raw
                .get(i + 1..i + 5)
                .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
                .ok_or_else(|| cerr(at + i, "`%` must be followed by four hex digits"))?;
            units.push(u16::from_str_radix(hex, 16).map_err(|_| cerr(at + i, "bad escape"))?);
            i += 5;
        } else if b[i] == b'@' {
            return Err(cerr(at + i, "`@` may only start an attribute"));
        } else {
            units.push(u16::from(b[i]));
            i += 1;
        }
    }
    let name =
        String::from_utf16(&units).map_err(|_| cerr(at, "the escapes are not valid UTF-16"))?;
    Ok((scope, name))
}

// ---------------------------------------------------------------------------
// Evaluation.

/// A three-valued result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Tri {
    /// TRUE.
    True,
    /// FALSE.
    False,
    /// UNKNOWN.
    Unknown,
}

impl Tri {
    fn from_bool(b: bool) -> Tri {
        if b {
            Tri::True
        } else {
            Tri::False
        }
    }

    fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }

    /// `TRUE`, `FALSE` or `UNKNOWN`.
    pub const fn name(self) -> &'static str {
        match self {
            Tri::True => "TRUE",
            Tri::False => "FALSE",
            Tri::Unknown => "UNKNOWN",
        }
    }
}

/// One sub-expression and its value, for the decision trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvalStep {
    /// The sub-expression in SDDL.
    pub expr: String,
    /// Its value: `TRUE`, `FALSE`, `UNKNOWN`, an attribute's values, `null`
    /// or `error: ...`.
    pub value: String,
    /// The rule that produced the value.
    pub rule: &'static str,
}

/// The result of evaluating a condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// The expression's value (an error counts as UNKNOWN).
    pub result: Tri,
    /// Every sub-expression's value, innermost first.
    pub steps: Vec<EvalStep>,
}

/// What an expression is evaluated against.
#[derive(Debug, Clone, Copy)]
pub struct EvalContext<'a> {
    /// The client token (SIDs, device groups, claims).
    pub token: &'a Token,
    /// True for a deny ACE: deny-only groups then count for `Member_of`.
    pub for_deny: bool,
    /// The descriptor's resource attributes (valid `RA` ACEs).
    pub resource: &'a [Claim],
    /// For printing SIDs.
    pub ctx: &'a DomainContext,
}

/// A value on the evaluation stack.
#[derive(Debug, Clone)]
enum Val {
    /// A literal of the expression.
    Lit(Literal),
    /// A looked-up attribute: `None` when it does not exist or has no values.
    Attr(Option<Values>),
    /// A logical result.
    Bool(Tri),
    /// An invalid operation: the whole expression is UNKNOWN.
    Error(String),
}

#[derive(Debug, Clone)]
struct Values {
    vals: Vec<ClaimValue>,
    case_sensitive: bool,
}

impl Condition {
    /// Evaluates the expression (MS-DTYP 2.4.4.17, with the Windows
    /// behaviour recorded in the decision log where it departs from the
    /// documentation). An invalid expression is UNKNOWN.
    pub fn evaluate(&self, ec: &EvalContext<'_>) -> Evaluation {
        use crate::rules::ids;
        let mut steps = Vec::new();
        let Ok(root) = self.tree() else {
            return Evaluation {
                result: Tri::Unknown,
                steps: vec![EvalStep {
                    expr: "(invalid expression)".into(),
                    value: "error: not a well-formed expression".into(),
                    rule: ids::COND_EVAL,
                }],
            };
        };
        // Texts of every node, so that stack values carry their sub-expression.
        let mut texts: Vec<String> = vec![String::new(); self.tokens.len()];
        fill_texts(self, &root, ec.ctx, &mut texts);
        let mut stack: Vec<(Val, bool)> = Vec::new(); // (value, is a bare attribute)
        for (i, t) in self.tokens.iter().enumerate() {
            match t {
                CondToken::Literal { literal } => stack.push((Val::Lit(literal.clone()), false)),
                CondToken::Attribute { scope, name } => {
                    let v = lookup(ec, *scope, name);
                    steps.push(EvalStep {
                        expr: texts[i].clone(),
                        value: match &v {
                            Some(vals) => values_text(vals, ec.ctx),
                            None => "null".into(),
                        },
                        // A resource attribute comes from the object's RA ACEs.
                        rule: if *scope == AttrScope::Resource {
                            ids::RESOURCE_ATTRIBUTE
                        } else {
                            ids::COND_ATTRIBUTE
                        },
                    });
                    stack.push((Val::Attr(v), true));
                }
                CondToken::Op { op } => {
                    let n = op.arity();
                    if stack.len() < n {
                        break;
                    }
                    let args = stack.split_off(stack.len() - n);
                    let mut rule = ids::COND_EVAL;
                    let result = match op.kind() {
                        OpKind::Relational => {
                            rule = ids::COND_COMPARE;
                            relational(*op, &args[0].0, &args[1].0)
                        }
                        OpKind::Member => {
                            rule = ids::COND_MEMBER;
                            member(*op, &args[0].0, ec)
                        }
                        OpKind::Exists => exists(*op, &args[0].0, &self.tokens, i),
                        OpKind::Not => {
                            let operand_bare = args[0].1;
                            // Windows: `!` applied to a bare attribute makes a
                            // bare attribute directly beneath it UNKNOWN.
                            if operand_bare {
                                if let Some(below) = stack.last_mut() {
                                    if below.1 && !matches!(below.0, Val::Error(_)) {
                                        below.0 = Val::Bool(Tri::Unknown);
                                        below.1 = false;
                                        rule = ids::COND_NOT_QUIRK;
                                    }
                                }
                            }
                            match truth(&args[0].0) {
                                Ok(t) => Val::Bool(t.not()),
                                Err(e) => Val::Error(e),
                            }
                        }
                        OpKind::Logical => match (truth(&args[0].0), truth(&args[1].0)) {
                            (Err(e), _) | (_, Err(e)) => Val::Error(e),
                            (Ok(a), Ok(b)) => Val::Bool(if *op == Op::And {
                                match (a, b) {
                                    (Tri::False, _) | (_, Tri::False) => Tri::False,
                                    (Tri::True, Tri::True) => Tri::True,
                                    _ => Tri::Unknown,
                                }
                            } else {
                                match (a, b) {
                                    (Tri::True, _) | (_, Tri::True) => Tri::True,
                                    (Tri::False, Tri::False) => Tri::False,
                                    _ => Tri::Unknown,
                                }
                            }),
                        },
                    };
                    steps.push(EvalStep {
                        expr: texts[i].clone(),
                        value: match &result {
                            Val::Bool(t) => t.name().to_string(),
                            Val::Error(e) => format!("error: {e}"),
                            _ => String::new(),
                        },
                        rule,
                    });
                    stack.push((result, false));
                }
            }
        }
        let result = match stack.pop().map(|(v, _)| v) {
            Some(Val::Bool(t)) => t,
            Some(v @ Val::Attr(_)) => truth(&v).unwrap_or(Tri::Unknown),
            _ => Tri::Unknown,
        };
        Evaluation { result, steps }
    }
}

fn fill_texts(c: &Condition, node: &Node, ctx: &DomainContext, texts: &mut [String]) {
    for child in &node.children {
        fill_texts(c, child, ctx, texts);
    }
    texts[node.token] = c.node_text(node, ctx);
}

fn values_text(v: &Values, ctx: &DomainContext) -> String {
    let parts: Vec<String> = v
        .vals
        .iter()
        .map(|x| match x {
            ClaimValue::Sid(s) => format!("SID({})", crate::sddl::sid_to_sddl(s, ctx)),
            other => other.to_string(),
        })
        .collect();
    if parts.len() == 1 {
        parts.join("")
    } else {
        format!("{{{}}}", parts.join(", "))
    }
}

fn lookup(ec: &EvalContext<'_>, scope: AttrScope, name: &str) -> Option<Values> {
    let find = |claims: &[Claim]| -> Option<Values> {
        claims
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .filter(|c| !c.values.is_empty())
            .map(|c| Values {
                vals: c.values.clone(),
                case_sensitive: c.case_sensitive(),
            })
    };
    match scope {
        AttrScope::User => find(&ec.token.user_claims),
        AttrScope::Device => find(&ec.token.device_claims),
        AttrScope::Resource => find(ec.resource),
        AttrScope::Local => find(&ec.token.local_claims),
    }
}

/// The truth of an operand of `!`, `&&`, `||`: results as they are; an
/// attribute is UNKNOWN when null, else TRUE when any value is non-zero
/// (integers, booleans) or non-empty (strings), FALSE when every value is
/// zero or empty, UNKNOWN for SIDs and octet strings; a literal is an error.
fn truth(v: &Val) -> Result<Tri, String> {
    match v {
        Val::Bool(t) => Ok(*t),
        Val::Error(e) => Err(e.clone()),
        Val::Lit(_) => Err("a logical operator cannot take a literal".into()),
        Val::Attr(None) => Ok(Tri::Unknown),
        Val::Attr(Some(vals)) => {
            let mut any_known = false;
            for x in &vals.vals {
                let t = match x {
                    ClaimValue::Int64(n) => Some(*n != 0),
                    ClaimValue::Uint64(n) => Some(*n != 0),
                    ClaimValue::Boolean(b) => Some(*b),
                    ClaimValue::String(s) => Some(!s.is_empty()),
                    _ => None,
                };
                match t {
                    Some(true) => return Ok(Tri::True),
                    Some(false) => any_known = true,
                    None => {}
                }
            }
            Ok(if any_known { Tri::False } else { Tri::Unknown })
        }
    }
}

/// A comparable scalar.
#[derive(Debug, Clone)]
enum Scalar {
    Int(i128),
    Bool(bool),
    Str(String),
    Sid(Sid),
    Octets(Vec<u8>),
}

fn scalar_of_claim(v: &ClaimValue) -> Scalar {
    match v {
        ClaimValue::Int64(n) => Scalar::Int(i128::from(*n)),
        ClaimValue::Uint64(n) => Scalar::Int(i128::from(*n)),
        ClaimValue::Boolean(b) => Scalar::Bool(*b),
        ClaimValue::String(s) => Scalar::Str(s.clone()),
        ClaimValue::Sid(s) => Scalar::Sid(s.clone()),
        ClaimValue::OctetString(b) => Scalar::Octets(b.clone()),
    }
}

fn scalar_of_literal(l: &Literal) -> Option<Scalar> {
    match l {
        Literal::Int { value, .. } => Some(Scalar::Int(i128::from(*value))),
        Literal::String { value } => Some(Scalar::Str(value.clone())),
        Literal::Sid { value } => Some(Scalar::Sid(value.clone())),
        Literal::Octets { value } => Some(Scalar::Octets(value.clone())),
        Literal::Composite { .. } => None,
    }
}

/// Compares two strings as Windows does: each UTF-16 code unit is
/// upper-cased on its own (a unit whose upper case is not one unit stays as
/// it is), then units are compared in order.
pub fn compare_strings(a: &str, b: &str) -> Ordering {
    let up = |s: &str| -> Vec<u16> {
        s.encode_utf16()
            .map(|u| {
                char::from_u32(u32::from(u))
                    .map(|c| {
                        let mut it = c.to_uppercase();
                        match (it.next(), it.next()) {
                            (Some(x), None) if u32::from(x) <= 0xFFFF => {
                                u16::try_from(u32::from(x)).unwrap_or(u)
                            }
                            _ => u,
                        }
                    })
                    .unwrap_or(u)
            })
            .collect()
    };
    up(a).cmp(&up(b))
}

/// Orders two scalars of compatible types; `None` when they cannot be
/// compared (different types) and `Some(None)` when they can only be
/// tested for equality.
fn cmp_scalars(a: &Scalar, b: &Scalar, case_sensitive: bool) -> Option<Option<Ordering>> {
    match (a, b) {
        (Scalar::Int(x), Scalar::Int(y)) => Some(Some(x.cmp(y))),
        (Scalar::Bool(x), Scalar::Bool(y)) => {
            Some(if x == y { Some(Ordering::Equal) } else { None })
        }
        (Scalar::Str(x), Scalar::Str(y)) => Some(Some(if case_sensitive {
            x.encode_utf16().cmp(y.encode_utf16())
        } else {
            compare_strings(x, y)
        })),
        (Scalar::Sid(x), Scalar::Sid(y)) => Some(if x == y { Some(Ordering::Equal) } else { None }),
        (Scalar::Octets(x), Scalar::Octets(y)) => {
            Some(if x == y { Some(Ordering::Equal) } else { None })
        }
        _ => None,
    }
}

/// An operand as scalars: (items, is a set, is a literal, case-sensitive).
type Operand = (Vec<Scalar>, bool, bool, bool);

/// An operand as a list of scalars and whether it is a set (a claim with
/// several values, or a composite literal).
fn operand_list(v: &Val) -> Result<Option<Operand>, String> {
    match v {
        Val::Attr(None) => Ok(None),
        Val::Attr(Some(vals)) => Ok(Some((
            vals.vals.iter().map(scalar_of_claim).collect(),
            vals.vals.len() > 1,
            false,
            vals.case_sensitive,
        ))),
        Val::Lit(Literal::Composite { items }) => {
            let mut out = Vec::new();
            for i in items {
                out.push(scalar_of_literal(i).ok_or("a composite inside a composite")?);
            }
            Ok(Some((out, true, true, false)))
        }
        Val::Lit(l) => Ok(Some((
            scalar_of_literal(l).into_iter().collect(),
            false,
            true,
            false,
        ))),
        Val::Bool(_) => Err("a comparison cannot take a logical result".into()),
        Val::Error(e) => Err(e.clone()),
    }
}

fn relational(op: Op, lhs: &Val, rhs: &Val) -> Val {
    if matches!(lhs, Val::Lit(_)) {
        return Val::Error(format!(
            "the left operand of `{}` must be an attribute",
            op.sddl()
        ));
    }
    let (l, r) = match (operand_list(lhs), operand_list(rhs)) {
        (Err(e), _) | (_, Err(e)) => return Val::Error(e),
        (Ok(l), Ok(r)) => (l, r),
    };
    // Contains / Not_Contains with an empty composite: decided before the
    // left operand is looked at.
    if matches!(op, Op::Contains | Op::NotContains) {
        if let Some((items, true, true, _)) = &r {
            if items.is_empty() {
                return Val::Bool(Tri::from_bool(op == Op::NotContains));
            }
        }
    }
    let (Some((litems, lset, _, lcs)), Some((ritems, rset, rlit, rcs))) = (l, r) else {
        return Val::Bool(Tri::Unknown);
    };
    let cs = lcs || rcs;
    // Every pair must be of comparable types.
    for a in &litems {
        for b in &ritems {
            if cmp_scalars(a, b, cs).is_none() {
                return Val::Bool(Tri::Unknown);
            }
        }
    }
    let eq = |a: &Scalar, b: &Scalar| cmp_scalars(a, b, cs) == Some(Some(Ordering::Equal));
    let contains_all =
        |hay: &[Scalar], needles: &[Scalar]| needles.iter().all(|n| hay.iter().any(|h| eq(h, n)));
    let t = match op {
        Op::Eq | Op::Ne => {
            let equal = if !lset && !rset {
                match (litems.first(), ritems.first()) {
                    (Some(a), Some(b)) => eq(a, b),
                    _ => false,
                }
            } else {
                litems.len() == ritems.len()
                    && contains_all(&litems, &ritems)
                    && contains_all(&ritems, &litems)
            };
            Tri::from_bool(equal == (op == Op::Eq))
        }
        Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            if lset || rset {
                return Val::Bool(Tri::Unknown);
            }
            match (litems.first(), ritems.first()) {
                (Some(a), Some(b)) => match cmp_scalars(a, b, cs) {
                    Some(Some(o)) => Tri::from_bool(match op {
                        Op::Lt => o == Ordering::Less,
                        Op::Le => o != Ordering::Greater,
                        Op::Gt => o == Ordering::Greater,
                        _ => o != Ordering::Less,
                    }),
                    _ => Tri::Unknown,
                },
                _ => Tri::Unknown,
            }
        }
        Op::Contains | Op::NotContains => {
            Tri::from_bool(contains_all(&litems, &ritems) == (op == Op::Contains))
        }
        Op::AnyOf | Op::NotAnyOf => {
            if rlit && !rset {
                return Val::Bool(Tri::Unknown);
            }
            let any = litems.iter().any(|a| ritems.iter().any(|b| eq(a, b)));
            Tri::from_bool(any == (op == Op::AnyOf))
        }
        _ => Tri::Unknown,
    };
    Val::Bool(t)
}

fn member(op: Op, v: &Val, ec: &EvalContext<'_>) -> Val {
    let sids: Vec<Sid> = match v {
        Val::Lit(Literal::Sid { value }) => vec![value.clone()],
        Val::Lit(Literal::Composite { items }) => {
            let mut out = Vec::new();
            for i in items {
                match i {
                    Literal::Sid { value } => out.push(value.clone()),
                    _ => return Val::Error(format!("`{}` takes SIDs only", op.sddl())),
                }
            }
            out
        }
        Val::Attr(None) => return Val::Bool(Tri::Unknown),
        Val::Attr(Some(vals)) => {
            let mut out = Vec::new();
            for x in &vals.vals {
                match x {
                    ClaimValue::Sid(s) => out.push(s.clone()),
                    _ => return Val::Error(format!("`{}` takes SIDs only", op.sddl())),
                }
            }
            out
        }
        _ => return Val::Error(format!("`{}` takes SIDs", op.sddl())),
    };
    let device = matches!(
        op,
        Op::DeviceMemberOf
            | Op::DeviceMemberOfAny
            | Op::NotDeviceMemberOf
            | Op::NotDeviceMemberOfAny
    );
    let any = matches!(
        op,
        Op::MemberOfAny | Op::DeviceMemberOfAny | Op::NotMemberOfAny | Op::NotDeviceMemberOfAny
    );
    let negate = matches!(
        op,
        Op::NotMemberOf | Op::NotDeviceMemberOf | Op::NotMemberOfAny | Op::NotDeviceMemberOfAny
    );
    let held = |sid: &Sid| -> bool {
        if device {
            ec.token
                .device_groups
                .iter()
                .any(|g| g.sid == *sid && (g.is_enabled() || (ec.for_deny && g.is_deny_only())))
        } else if ec.for_deny {
            ec.token.matches_for_deny(sid)
        } else {
            ec.token.matches_for_allow(sid)
        }
    };
    let r = if any {
        sids.iter().any(held)
    } else {
        sids.iter().all(held)
    };
    Val::Bool(Tri::from_bool(r != negate))
}

fn exists(op: Op, v: &Val, tokens: &[CondToken], at: usize) -> Val {
    // The operand is the token just before the operator.
    let scope = match at.checked_sub(1).and_then(|i| tokens.get(i)) {
        Some(CondToken::Attribute { scope, .. }) => *scope,
        _ => return Val::Error(format!("`{}` takes an attribute", op.sddl())),
    };
    if !matches!(scope, AttrScope::Local | AttrScope::Resource) {
        return Val::Error(format!(
            "`{}` takes a local or resource attribute",
            op.sddl()
        ));
    }
    let found = matches!(v, Val::Attr(Some(_)));
    Val::Bool(Tri::from_bool(found == (op == Op::Exists)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary::to_hex;
    use crate::claims::{ClaimType, ClaimValue};

    fn ctx() -> DomainContext {
        DomainContext::default()
    }

    fn bytes(text: &str) -> String {
        to_hex(&parse(text, &ctx()).unwrap().to_bytes())
    }

    #[test]
    fn windows_bytes_for_simple_expressions() {
        // Samba libcli/security/tests/windows/conditional_aces.txt.json (Windows output).
        assert_eq!(
            bytes("(@User.Title == \"PM\")"),
            "61727478f90a0000005400690074006c006500100400000050004d0080000000"
        );
        assert_eq!(
            bytes("(a == 1)"),
            "61727478f802000000610004010000000000000003028000"
        );
        assert_eq!(
            bytes("(!(! (Member_of{SID(AA)})))"),
            "61727478501500000051100000000102000000000005200000004302000089a2a2000000"
        );
    }

    #[test]
    fn canonical_text() {
        let c = parse(
            "(@User.Title==\"PM\" && (@User.Division==\"Finance\" || @User.Division ==\"Sales\"))",
            &ctx(),
        )
        .unwrap();
        assert_eq!(
            c.to_sddl(&ctx()),
            "((@USER.Title == \"PM\") && ((@USER.Division == \"Finance\") || (@USER.Division == \"Sales\")))"
        );
        let c = parse("(Member_of_Any{SID(S-1-1-0), SID(S-1-222-333)})", &ctx()).unwrap();
        assert_eq!(
            c.to_sddl(&ctx()),
            "(Member_of_any {SID(WD), SID(S-1-222-333)})"
        );
        let c = parse("(OctetStringType==##1#2#3##)", &ctx()).unwrap();
        assert_eq!(c.to_sddl(&ctx()), "(OctetStringType == #01020300)");
        let c = parse("(member_of((sid(s-1-1-0))))", &ctx()).unwrap();
        assert_eq!(c.to_sddl(&ctx()), "(Member_of SID(WD))");
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = format!("({}@User.a{})", "!(".repeat(5000), ")".repeat(5000));
        assert!(parse(&deep, &ctx()).is_err());
        let mut data = SIGNATURE.to_vec();
        data.extend([0xf9, 2, 0, 0, 0, b'a', 0]);
        data.extend(std::iter::repeat_n(0xa2, 5000));
        assert!(Condition::from_bytes(&data).is_err());
    }

    fn user(claims: Vec<Claim>) -> Token {
        let mut t = Token::new("S-1-5-21-1-2-3-1001".parse().unwrap());
        t.user_claims = claims;
        t
    }

    fn boolean(name: &str, v: bool) -> Claim {
        Claim {
            name: name.into(),
            value_type: ClaimType::Boolean,
            flags: 0,
            values: vec![ClaimValue::Boolean(v)],
        }
    }

    fn eval(expr: &str, t: &Token) -> Tri {
        let c = parse(expr, &ctx()).unwrap();
        c.evaluate(&EvalContext {
            token: t,
            for_deny: false,
            resource: &[],
            ctx: &ctx(),
        })
        .result
    }

    #[test]
    fn not_quirk_matches_windows() {
        // Samba python/samba/tests/krb5/conditional_ace_tests.py, run against Windows.
        let t = user(vec![boolean("a", true), boolean("b", false)]);
        assert_eq!(eval("(@User.a && !(@User.b))", &t), Tri::Unknown);
        assert_eq!(eval("(@User.a || !(@User.a))", &t), Tri::Unknown);
        assert_eq!(eval("(!(@User.a) || @User.a)", &t), Tri::True);
        assert_eq!(eval("(@User.a && !(@User.b || @User.b))", &t), Tri::True);
        assert_eq!(eval("(!(!(!(!(@User.b)))))", &t), Tri::False);
        assert_eq!(eval("(@User.missing == 1)", &t), Tri::Unknown);
        assert_eq!(eval("(@User.a == 42)", &t), Tri::Unknown);
    }
}
