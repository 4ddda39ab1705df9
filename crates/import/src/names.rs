//! Turning an account name into a SID when a capture prints only the name
//! (icacls, bitsadmin's owner, Get-BitsTransfer's `OwnerAccount`).
//!
//! A name resolves, in this order: written as a SID (`S-1-5-18`, or
//! `*S-1-5-18` as icacls writes SIDs it cannot translate); through the
//! map the user gives (`--names FILE`: a YAML mapping from name to SID);
//! through the names of winsec's well-known table (`NT AUTHORITY\SYSTEM`,
//! `BUILTIN\Users`, `Everyone`, `CREATOR OWNER`, ...); through the few
//! fixed service and package SIDs listed in [`EXTRA`]; through the names
//! other languages give the same fixed SIDs, as published captures show
//! them ([`LOCALIZED`]). Names compare without regard to case. Two-letter
//! SDDL aliases are deliberately not accepted here: an account called
//! `LA` is a name, not an alias.

use std::collections::BTreeMap;

use winsec::well_known::WELL_KNOWN_SIDS;
use winsec::Sid;

use crate::error::ImportError;
use crate::text::quote;

/// Names Windows prints for fixed SIDs that winsec's well-known table
/// does not list: the TrustedInstaller service SID (`S-1-5-80-` followed
/// by the SHA-1 of the upper-cased service name, Microsoft Learn
/// "Service SIDs"), and the restricted application package group
/// (`S-1-15-2-2`, Microsoft Learn "Well-known SIDs",
/// `SECURITY_BUILTIN_PACKAGE_ANY_RESTRICTED_PACKAGE`).
pub const EXTRA: &[(&str, &str)] = &[
    (
        "NT SERVICE\\TrustedInstaller",
        "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464",
    ),
    (
        "APPLICATION PACKAGE AUTHORITY\\ALL RESTRICTED APPLICATION PACKAGES",
        "S-1-15-2-2",
    ),
];

/// Names a non-English Windows prints for SIDs that are the same on every
/// machine (well-known and `BUILTIN` SIDs, never a domain's or a
/// machine's own accounts), each as a published capture in
/// `crates/import/tests/fixtures/` shows it:
///
/// * French: `whoami/fr-tssr-groups.txt` and
///   `whoami/fr-krbrelay-system-groups.txt` print each name next to its
///   SID; `get-acl/fr-ilearned-psreflect.txt` lists `AUTORITE NT\Système`
///   in its `Access` property where its `Sddl` has `SY`, entry for entry.
/// * Spanish: `whoami/es-phantom-all.txt` and `whoami/es-bitup-iusr-all.txt`,
///   names next to their SIDs.
/// * Chinese (Simplified): `whoami/zh-xr0923-medium-all.txt` and
///   `whoami/zh-wsreset-filtered-groups.txt`, names next to their SIDs.
/// * German: `icacls/de-tasks.txt` shows the names without SIDs; the SID
///   of each is the one Microsoft Learn's German "Bekannte
///   Sicherheitsbezeichner in Windows-Betriebssystemen" (KB 243330) gives
///   for that name (Administratoren, Authentifizierte Benutzer,
///   Netzwerkdienst, Lokaler Dienst, Ersteller-Besitzer; `SYSTEM` is not
///   translated).
///
/// The labels (`Étiquette obligatoire\...`) resolve to their `S-1-16-x`
/// SID, so an icacls label entry in French is read as a label.
pub const LOCALIZED: &[(&str, &str)] = &[
    // French
    ("Tout le monde", "S-1-1-0"),
    ("OUVERTURE DE SESSION DE CONSOLE", "S-1-2-1"),
    ("AUTORITE NT\\INTERACTIF", "S-1-5-4"),
    ("AUTORITE NT\\Utilisateurs authentifiés", "S-1-5-11"),
    ("AUTORITE NT\\Cette organisation", "S-1-5-15"),
    ("AUTORITE NT\\Système", "S-1-5-18"),
    ("BUILTIN\\Administrateurs", "S-1-5-32-544"),
    ("BUILTIN\\Utilisateurs", "S-1-5-32-545"),
    (
        "Identité déclarée par une autorité d’authentification",
        "S-1-18-1",
    ),
    (
        "Étiquette obligatoire\\Niveau obligatoire moyen",
        "S-1-16-8192",
    ),
    (
        "Étiquette obligatoire\\Niveau obligatoire système",
        "S-1-16-16384",
    ),
    // Spanish
    ("Todos", "S-1-1-0"),
    ("INICIO DE SESIÓN EN LA CONSOLA", "S-1-2-1"),
    ("NT AUTHORITY\\SERVICIO", "S-1-5-6"),
    ("NT AUTHORITY\\Usuarios autentificados", "S-1-5-11"),
    ("NT AUTHORITY\\Esta compañía", "S-1-5-15"),
    (
        "Etiqueta obligatoria\\Nivel obligatorio alto",
        "S-1-16-12288",
    ),
    ("BUILTIN\\Usuarios", "S-1-5-32-545"),
    (
        "BUILTIN\\Acceso compatible con versiones anteriores de Windows 2000",
        "S-1-5-32-554",
    ),
    ("BUILTIN\\Acceso DCOM a Serv. de certif.", "S-1-5-32-574"),
    ("BUILTIN\\Usuarios de administración remota", "S-1-5-32-580"),
    // Chinese (Simplified)
    ("NT AUTHORITY\\本地帐户", "S-1-5-113"),
    ("NT AUTHORITY\\本地帐户和管理员组成员", "S-1-5-114"),
    // German
    ("ERSTELLER-BESITZER", "S-1-3-0"),
    ("NT-AUTORITÄT\\Authentifizierte Benutzer", "S-1-5-11"),
    ("NT-AUTORITÄT\\SYSTEM", "S-1-5-18"),
    ("NT-AUTORITÄT\\Lokaler Dienst", "S-1-5-19"),
    ("NT-AUTORITÄT\\Netzwerkdienst", "S-1-5-20"),
    ("VORDEFINIERT\\Administratoren", "S-1-5-32-544"),
];

/// The user's name-to-SID map, keyed by lower-cased name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    map: BTreeMap<String, Sid>,
}

impl Names {
    /// No names beyond the built-in ones.
    pub fn new() -> Names {
        Names::default()
    }

    /// Adds one name.
    pub fn insert(&mut self, name: &str, sid: Sid) {
        self.map.insert(name.to_lowercase(), sid);
    }

    /// Parses a names file: a YAML mapping from account name to SID
    /// string, such as `'CONTOSO\alice': S-1-5-21-1-2-3-1104`.
    pub fn parse(text: &str) -> Result<Names, ImportError> {
        let raw: BTreeMap<String, String> = match serde_yaml::from_str(text) {
            Ok(raw) => raw,
            Err(err) => {
                let offset = err.location().map_or(0, |l| l.index());
                return Err(ImportError::at(
                    text,
                    offset,
                    format!("not a names file: {}", strip_location(&err.to_string())),
                    "a YAML mapping from account name to SID, such as `'CONTOSO\\alice': S-1-5-21-1-2-3-1104`",
                ));
            }
        };
        let mut names = Names::new();
        for (name, sid_text) in raw {
            let sid = parse_sid(sid_text.trim()).ok_or_else(|| {
                let offset = text.find(&sid_text).unwrap_or(0);
                ImportError::span(
                    text,
                    offset,
                    sid_text.len(),
                    format!("{} is not a SID string", quote(&sid_text)),
                    "a SID string such as S-1-5-21-1-2-3-1104",
                )
            })?;
            names.insert(&name, sid);
        }
        Ok(names)
    }

    /// The SID `name` stands for, if any (see the module documentation).
    pub fn resolve(&self, name: &str) -> Option<Sid> {
        let name = name.trim();
        if let Some(sid) = parse_sid(name.strip_prefix('*').unwrap_or(name)) {
            return Some(sid);
        }
        if let Some(sid) = self.map.get(&name.to_lowercase()) {
            return Some(sid.clone());
        }
        if let Some(row) = WELL_KNOWN_SIDS
            .iter()
            .find(|w| w.name.eq_ignore_ascii_case(name))
        {
            return Some(row.sid());
        }
        if let Some(sid) = EXTRA
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, sid)| parse_sid(sid))
        {
            return Some(sid);
        }
        let lower = name.to_lowercase();
        LOCALIZED
            .iter()
            .find(|(n, _)| n.to_lowercase() == lower)
            .and_then(|(_, sid)| parse_sid(sid))
    }
}

/// A SID string (`S-1-...`, any case), never an alias.
pub fn parse_sid(text: &str) -> Option<Sid> {
    let head = text.get(..4)?;
    if !head.eq_ignore_ascii_case("S-1-") {
        return None;
    }
    text.parse::<Sid>().ok()
}

/// serde_yaml appends "at line X column Y"; the error carries the position itself.
fn strip_location(message: &str) -> &str {
    message.find(" at line ").map_or(message, |i| &message[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_by_sid_map_table_and_extras() {
        let names = Names::parse("'CONTOSO\\Alice': S-1-5-21-1-2-3-1104\n").unwrap();
        assert_eq!(
            names.resolve("contoso\\alice").unwrap().to_string(),
            "S-1-5-21-1-2-3-1104"
        );
        assert_eq!(names.resolve("*S-1-5-18").unwrap().to_string(), "S-1-5-18");
        assert_eq!(
            names.resolve("nt authority\\system").unwrap().to_string(),
            "S-1-5-18"
        );
        assert_eq!(
            names
                .resolve("NT SERVICE\\TrustedInstaller")
                .unwrap()
                .to_string(),
            "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"
        );
        // Aliases are not names.
        assert_eq!(names.resolve("LA"), None);
        assert_eq!(names.resolve("BA"), None);
        assert_eq!(names.resolve("CONTOSO\\bob"), None);
    }

    #[test]
    fn localized_names_resolve_and_never_contradict_another_table() {
        let names = Names::new();
        assert_eq!(
            names.resolve("autorite nt\\système").unwrap().to_string(),
            "S-1-5-18"
        );
        assert_eq!(
            names
                .resolve("VORDEFINIERT\\Administratoren")
                .unwrap()
                .to_string(),
            "S-1-5-32-544"
        );
        // Every table entry is a SID string, and no name means two SIDs.
        let mut all: Vec<(String, String)> = WELL_KNOWN_SIDS
            .iter()
            .map(|w| (w.name.to_lowercase(), w.sid().to_string()))
            .collect();
        for (name, sid) in EXTRA.iter().chain(LOCALIZED) {
            assert!(parse_sid(sid).is_some(), "{name}: {sid}");
            all.push((name.to_lowercase(), parse_sid(sid).unwrap().to_string()));
        }
        for (i, (name, sid)) in all.iter().enumerate() {
            for (other, other_sid) in &all[i + 1..] {
                assert!(
                    name != other || sid == other_sid,
                    "{name}: {sid} and {other_sid}"
                );
            }
        }
        // A localized name of a fixed SID is only ever that SID.
        for (name, sid) in LOCALIZED {
            assert_eq!(names.resolve(name).unwrap().to_string(), *sid, "{name}");
        }
    }

    #[test]
    fn a_bad_names_file_points_at_the_bad_sid() {
        let text = "alice: S-1-5-21-1\nbob: nope\n";
        let err = Names::parse(text).unwrap_err();
        assert_eq!((err.line, err.column), (2, 6));
        let err = Names::parse("- a\n- b\n").unwrap_err();
        assert!(err.message.contains("not a names file"), "{err}");
    }
}
