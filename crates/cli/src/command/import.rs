//! `bitsim import KIND FILE`: reads what Windows printed on a real
//! machine (`whoami /all`, `icacls`, `Get-Acl | Format-List`,
//! `bitsadmin /list /allusers /verbose`, `Get-BitsTransfer -AllUsers`) and
//! prints the equivalent bitsim YAML: a token file, `objects: [{path,
//! sddl}]` or `jobs: [...]` (formats in `docs/import.md`).
//!
//! This module owns only the file side: reading at most
//! `import::MAX_INPUT_BYTES + 1` bytes of FILE or standard input (`-`),
//! decoding it (UTF-8, or UTF-16 when it starts with a byte-order mark, as
//! PowerShell's `>` writes; bytes that are not UTF-8 become U+FFFD), and
//! reading `--names`. Everything else is the `import` crate's.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use crate::{CliError, ExitCode};

/// What kind of capture FILE holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// `whoami /all` (table, `/fo list` or `/fo csv`): prints a token file.
    Whoami,
    /// `icacls PATH`: prints `objects: [{path, sddl}]`.
    Icacls,
    /// `Get-Acl PATH | Format-List`: prints `objects: [{path, sddl}]`.
    GetAcl,
    /// `bitsadmin /list /allusers /verbose`: prints `jobs: [...]`.
    Bitsadmin,
    /// `Get-BitsTransfer -AllUsers | ConvertTo-Json -Depth 3` (or `| Format-List *`): prints `jobs: [...]`.
    Bitstransfer,
}

impl KindArg {
    fn kind(self) -> ::import::Kind {
        match self {
            KindArg::Whoami => ::import::Kind::Whoami,
            KindArg::Icacls => ::import::Kind::Icacls,
            KindArg::GetAcl => ::import::Kind::GetAcl,
            KindArg::Bitsadmin => ::import::Kind::Bitsadmin,
            KindArg::Bitstransfer => ::import::Kind::Bitstransfer,
        }
    }
}

/// Arguments of `bitsim import`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// What FILE holds.
    #[arg(value_enum)]
    pub kind: KindArg,

    /// The captured text; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// A YAML mapping from account name to SID, for names the capture
    /// shows without a SID (icacls entries, BITS job owners), such as
    /// `'CONTOSO\alice': S-1-5-21-1-2-3-1104`.
    #[arg(long, value_name = "FILE")]
    pub names: Option<PathBuf>,
}

/// Reads the capture and prints its YAML.
pub fn run(args: &ImportArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let names = match &args.names {
        Some(path) => {
            let text = read_text(path)?;
            ::import::Names::parse(&text).map_err(|e| located(path, &e))?
        }
        None => ::import::Names::new(),
    };
    let text = read_text(&args.file)?;
    let yaml =
        ::import::import(args.kind.kind(), &text, &names).map_err(|e| located(&args.file, &e))?;
    out.write_all(yaml.as_bytes())?;
    Ok(ExitCode::Ok)
}

/// `path:line:column: message; expected ...`.
fn located(path: &Path, err: &::import::ImportError) -> CliError {
    CliError::InvalidArgument(format!(
        "{}:{}:{}: {}; expected {}",
        shown(path),
        err.line,
        err.column,
        err.message,
        err.expected
    ))
}

fn shown(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// Reads at most the import limit plus one byte, so that a longer input
/// is refused without being read whole.
fn read_text(path: &Path) -> Result<String, CliError> {
    let limit = ::import::MAX_INPUT_BYTES as u64 + 1;
    let mut bytes = Vec::new();
    let result = if path == Path::new("-") {
        std::io::stdin().lock().take(limit).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(limit).read_to_end(&mut bytes))
    };
    result.map_err(|reason| {
        CliError::InvalidArgument(format!("cannot read `{}`: {reason}", shown(path)))
    })?;
    if bytes.len() > ::import::MAX_INPUT_BYTES {
        return Err(CliError::InvalidArgument(format!(
            "{}: longer than {} bytes; expected a single capture",
            shown(path),
            ::import::MAX_INPUT_BYTES
        )));
    }
    Ok(decode(&bytes))
}

/// UTF-16 with a byte-order mark (what PowerShell's `>` writes), else
/// UTF-8, with bytes that are not UTF-8 replaced by U+FFFD.
fn decode(bytes: &[u8]) -> String {
    let utf16 = |units: Vec<u16>| String::from_utf16_lossy(&units);
    match bytes {
        [0xff, 0xfe, rest @ ..] => utf16(
            rest.chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect(),
        ),
        [0xfe, 0xff, rest @ ..] => utf16(
            rest.chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect(),
        ),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_follows_the_byte_order_mark() {
        assert_eq!(decode(b"ab"), "ab");
        assert_eq!(decode(&[0xff, 0xfe, b'a', 0, b'b', 0]), "ab");
        assert_eq!(decode(&[0xfe, 0xff, 0, b'a', 0, b'b']), "ab");
        assert_eq!(decode(&[b'a', 0x82, b'b']), "a\u{fffd}b");
    }
}
