//! `import`: reads what Windows prints about a real machine and turns it
//! into bitsim's own formats.
//!
//! | kind | Windows command | output |
//! |---|---|---|
//! | [`Kind::Whoami`] | `whoami /all` (table, `/fo list`, `/fo csv`) | a token file (`docs/token-file.md`) |
//! | [`Kind::Icacls`] | `icacls PATH` | `objects: [{path, sddl}]` |
//! | [`Kind::GetAcl`] | `Get-Acl PATH \| Format-List` | `objects: [{path, sddl}]` |
//! | [`Kind::Bitsadmin`] | `bitsadmin /list /allusers /verbose` | `jobs: [...]` |
//! | [`Kind::Bitstransfer`] | `Get-BitsTransfer -AllUsers` as `ConvertTo-Json` or `Format-List *` | `jobs: [...]` |
//!
//! The format of every output is documented in `docs/import.md`.
//!
//! Architecture invariant: this crate is pure. Text comes in, typed
//! records and YAML text go out; it never reads a file, the clock or the
//! environment, and the same input always gives byte-identical output.
//! Every parser finds its way by the shape of the output (rule rows,
//! SIDs, `Key : value` records), never by the English titles Windows
//! translates, and identifies accounts by SID wherever the capture shows
//! one. Names without a SID resolve through [`Names`]. Every rejection is
//! an [`ImportError`] with the line and column of the problem; no input
//! makes a parser panic, and every parser runs in time linear in its input.

pub mod acl;
pub mod bits;
pub mod error;
pub mod names;
pub mod text;
pub mod whoami;
mod yaml;

pub use error::ImportError;
pub use names::Names;

/// The most input any parser accepts, in bytes. Callers reading a file
/// should read at most one byte more and reject a longer input.
pub const MAX_INPUT_BYTES: usize = 8 * 1024 * 1024;

/// What kind of capture a text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `whoami /all` in table, list or CSV form.
    Whoami,
    /// `icacls PATH`.
    Icacls,
    /// `Get-Acl PATH | Format-List`.
    GetAcl,
    /// `bitsadmin /list /allusers /verbose`.
    Bitsadmin,
    /// `Get-BitsTransfer -AllUsers | ConvertTo-Json` or `| Format-List *`.
    Bitstransfer,
}

impl Kind {
    /// Every kind, in the order the documentation lists them.
    pub const ALL: [Kind; 5] = [
        Kind::Whoami,
        Kind::Icacls,
        Kind::GetAcl,
        Kind::Bitsadmin,
        Kind::Bitstransfer,
    ];

    /// The name used on the command line (`whoami`, `get-acl`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Whoami => "whoami",
            Kind::Icacls => "icacls",
            Kind::GetAcl => "get-acl",
            Kind::Bitsadmin => "bitsadmin",
            Kind::Bitstransfer => "bitstransfer",
        }
    }

    /// The command whose output this kind reads, for messages.
    pub const fn command(self) -> &'static str {
        match self {
            Kind::Whoami => "whoami /all",
            Kind::Icacls => "icacls PATH",
            Kind::GetAcl => "Get-Acl PATH | Format-List",
            Kind::Bitsadmin => "bitsadmin /list /allusers /verbose",
            Kind::Bitstransfer => {
                "Get-BitsTransfer -AllUsers | ConvertTo-Json (or | Format-List *)"
            }
        }
    }
}

/// Reads `text`, a capture of `kind`, and returns the equivalent bitsim
/// YAML. Account names without a SID resolve through `names`.
pub fn import(kind: Kind, text: &str, names: &Names) -> Result<String, ImportError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(ImportError::at(
            text,
            MAX_INPUT_BYTES,
            format!("the input is longer than {MAX_INPUT_BYTES} bytes"),
            "a single capture, not a whole log",
        ));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match kind {
        Kind::Whoami => whoami::parse(text)
            .and_then(|c| c.to_token(text))
            .map(|t| t.to_yaml()),
        Kind::Icacls => acl::parse_icacls(text, names).map(|o| acl::objects_yaml(&o)),
        Kind::GetAcl => acl::parse_get_acl(text).map(|o| acl::objects_yaml(&o)),
        Kind::Bitsadmin => bits::parse_bitsadmin(text, names).map(|j| bits::jobs_yaml(&j)),
        Kind::Bitstransfer => bits::parse_bitstransfer(text, names).map(|j| bits::jobs_yaml(&j)),
    }
}
