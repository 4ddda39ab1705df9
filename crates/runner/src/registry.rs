//! The rule registry: one view over every table a decision, a check or a
//! mutant can cite. The access-check and descriptor rules (`winsec`), the
//! host's logon, impersonation, object and network rules (`simos`), the
//! web host's (`webhost`), the BITS rules every release follows (`bits`),
//! the BITS switches that differ between releases (`bits::profile`) and
//! the invariant catalog (`oracle`) each declare their entries once; this
//! module lists them as [`Entry`] values with one shape, so `bitsim rules`,
//! `bitsim coverage` and the trails look every id up in one place.
//!
//! Sources are written as bibliography tags (`[MS-DTYP] 2.5.3.2`,
//! `[HT] (Windows 10 1607 note)`) that `docs/sources.md` resolves to a
//! public title and address, or as `docs/decisions.md` entries (`D-NNN`).

use std::collections::BTreeMap;

use serde::Serialize;

/// What kind of entry an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A rule of the model that holds on every profile.
    Rule,
    /// A BITS switch whose value is set per profile (a release difference
    /// or a handle for policy mutants).
    Switch,
    /// An invariant of the oracle, checked after every step.
    Invariant,
}

impl Kind {
    /// The kind as `bitsim rules --kind` spells it.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Rule => "rule",
            Kind::Switch => "switch",
            Kind::Invariant => "invariant",
        }
    }

    /// Every kind.
    pub const ALL: [Kind; 3] = [Kind::Rule, Kind::Switch, Kind::Invariant];
}

/// One registered id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The id (`AC-OWNER-IMPLICIT`, `BITS-1607-NON-ADMIN-HELPER`, `INV-…`).
    pub id: &'static str,
    /// Rule, switch or invariant.
    pub kind: Kind,
    /// The table that declares it: `winsec`, `simos`, `webhost`, `bits`,
    /// `profile` (the BITS switches) or `oracle` (the invariants).
    pub table: &'static str,
    /// What it says, in one sentence.
    pub statement: &'static str,
    /// Where it comes from: bibliography tags and decision entries
    /// (`source` in JSON).
    #[serde(rename = "source")]
    pub sources: &'static str,
    /// A switch's value on each profile (`vista` … `win11`); a rule of
    /// `bits` is `in force` on every profile; empty for the rest.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<&'static str, String>,
    /// For an invariant, the rule and switch ids it re-derives and checks;
    /// for a rule or switch, the invariants that guard it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub guards: Vec<&'static str>,
    /// For a switch, the policy mutants that set it wrong.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mutants: Vec<&'static str>,
}

fn plain(
    kind: Kind,
    table: &'static str,
    r: &'static winsec::rules::Rule,
    values: BTreeMap<&'static str, String>,
) -> Entry {
    Entry {
        id: r.id,
        kind,
        table,
        statement: r.statement,
        sources: r.source,
        values,
        guards: Vec::new(),
        mutants: Vec::new(),
    }
}

/// Every entry of every table: the winsec, simos, webhost and bits rules,
/// the BITS switches, then the invariants, each table in its own order.
pub fn all() -> Vec<Entry> {
    let in_force: BTreeMap<&'static str, String> = bits::Profile::ALL
        .iter()
        .map(|p| (p.name(), "in force".to_string()))
        .collect();
    let values = |s: &bits::profile::Switch| -> BTreeMap<&'static str, String> {
        bits::Profile::ALL
            .iter()
            .map(|p| (p.name(), (s.value)(&p.rules())))
            .collect()
    };
    let mutants = |id: &str| -> Vec<&'static str> {
        bits::mutants::MUTANTS
            .iter()
            .chain(bits::mutants::PLANTED)
            .filter(|m| m.switch == id)
            .map(|m| m.name)
            .collect()
    };
    let mut out: Vec<Entry> = winsec::rules::ACCESS_RULES
        .iter()
        .map(|r| plain(Kind::Rule, "winsec", r, BTreeMap::new()))
        .chain(simos::rules::all().map(|r| plain(Kind::Rule, "simos", r, BTreeMap::new())))
        .chain(
            webhost::rules::RULES
                .iter()
                .map(|r| plain(Kind::Rule, "webhost", r, BTreeMap::new())),
        )
        .collect();
    // A BITS rule that a switch sets is one entry: the rule's text with
    // the switch's values and mutants.
    out.extend(
        bits::rules::RULES
            .iter()
            .map(|r| match bits::profile::switch(r.id) {
                Some(s) => Entry {
                    kind: Kind::Switch,
                    mutants: mutants(r.id),
                    ..plain(Kind::Switch, "bits", r, values(s))
                },
                None => plain(Kind::Rule, "bits", r, in_force.clone()),
            }),
    );
    out.extend(
        bits::profile::SWITCHES
            .iter()
            .filter(|s| s.rule().is_none())
            .map(|s| Entry {
                id: s.id,
                kind: Kind::Switch,
                table: "profile",
                statement: s.statement(),
                sources: s.source(),
                values: values(s),
                guards: Vec::new(),
                mutants: mutants(s.id),
            }),
    );
    out.extend(oracle::CATALOG.iter().map(|inv| Entry {
        id: inv.id,
        kind: Kind::Invariant,
        table: "oracle",
        statement: inv.statement,
        sources: inv.source,
        values: BTreeMap::new(),
        guards: inv.guards.to_vec(),
        mutants: Vec::new(),
    }));
    for e in out.iter_mut().filter(|e| e.kind != Kind::Invariant) {
        let id = e.id;
        e.guards = oracle::CATALOG
            .iter()
            .filter(|inv| inv.guards.contains(&id))
            .map(|inv| inv.id)
            .collect();
    }
    out
}

/// The entry with this id.
pub fn lookup(id: &str) -> Option<Entry> {
    all().into_iter().find(|e| e.id == id)
}

/// The bibliography tags a source cites: every `[TAG]`, in order, once.
pub fn source_tags(sources: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    let mut rest = sources;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else { break };
        let tag = &after[..close];
        if !tag.is_empty() && !out.contains(&tag) {
            out.push(tag);
        }
        rest = &after[close + 1..];
    }
    out
}

/// The decision entries a source cites: every `D-NNN`, in order, once.
pub fn decision_refs(sources: &str) -> Vec<String> {
    let bytes = sources.as_bytes();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i + 2 < bytes.len() {
        let starts_word = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if starts_word && bytes[i] == b'D' && bytes[i + 1] == b'-' && bytes[i + 2].is_ascii_digit()
        {
            let end = (i + 2..bytes.len())
                .find(|&j| !bytes[j].is_ascii_digit())
                .unwrap_or(bytes.len());
            let d = sources[i..end].to_string();
            if !out.contains(&d) {
                out.push(d);
            }
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_across_every_table() {
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for e in all() {
            if let Some(other) = seen.insert(e.id, e.table) {
                panic!("{} is declared by {other} and by {}", e.id, e.table);
            }
        }
    }

    #[test]
    fn every_entry_has_a_statement_and_a_citable_source() {
        for e in all() {
            assert!(!e.statement.is_empty(), "{} has no statement", e.id);
            assert!(
                !source_tags(e.sources).is_empty() || !decision_refs(e.sources).is_empty(),
                "{} cites neither a bibliography tag nor a decision: {}",
                e.id,
                e.sources
            );
        }
    }

    #[test]
    fn every_id_an_invariant_or_mutant_cites_resolves() {
        let ids: Vec<&str> = all().iter().map(|e| e.id).collect();
        for inv in oracle::CATALOG {
            for g in inv.guards {
                assert!(ids.contains(g), "{} guards unknown id {g}", inv.id);
            }
        }
        for m in bits::mutants::MUTANTS
            .iter()
            .chain(bits::mutants::PLANTED)
            .chain(bits::mutants::EQUIVALENT)
        {
            assert!(
                ids.contains(&m.switch),
                "{} sets unknown {}",
                m.name,
                m.switch
            );
        }
    }

    #[test]
    fn tags_and_decisions_are_found() {
        assert_eq!(
            source_tags("[HT] (note); [MS-DTYP] 2.5.3.2, [HT][LC]"),
            ["HT", "MS-DTYP", "LC"]
        );
        assert_eq!(
            decision_refs("docs/decisions.md D-62, D-75; AD-1"),
            ["D-62", "D-75"]
        );
    }
}
