//! `bitsim profiles`: the BITS rule table by OS profile
//! (`bits::profile::SWITCHES` resolved for every `bits::Profile`).
//!
//! Text: one row per rule id (each id printed once), one column per
//! profile, then the source; a closing line points at `bitsim rules ID`
//! for a rule's statement. The switches that differ between releases come
//! first, then the rules every release follows. `--json`: an array of
//! `{"id", "statement", "source", "values": {profile: value}}`.

use std::collections::BTreeMap;
use std::io::Write;

use bits::profile::SWITCHES;
use bits::Profile;
use clap::Args;
use serde::Serialize;

use crate::command::write_json;
use crate::{CliError, ExitCode};

/// Arguments of `bitsim profiles`.
#[derive(Debug, Clone, Args)]
pub struct ProfilesArgs {
    /// Print the table as a JSON array.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Row {
    id: &'static str,
    statement: &'static str,
    source: &'static str,
    values: BTreeMap<&'static str, String>,
}

/// The switches that differ between releases, then the rules in force on
/// every release (`in force` in each column).
fn rows() -> Vec<Row> {
    let switches = SWITCHES.iter().map(|s| Row {
        id: s.id,
        statement: s.statement(),
        source: s.source(),
        values: Profile::ALL
            .iter()
            .map(|p| (p.name(), (s.value)(&p.rules())))
            .collect(),
    });
    let fixed = bits::rules::RULES
        .iter()
        .filter(|r| bits::profile::switch(r.id).is_none())
        .map(|r| Row {
            id: r.id,
            statement: r.statement,
            source: r.source,
            values: Profile::ALL
                .iter()
                .map(|p| (p.name(), "in force".to_string()))
                .collect(),
        });
    switches.chain(fixed).collect()
}

/// Prints the profile table.
pub fn run(args: &ProfilesArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let rows = rows();
    if args.json {
        write_json(out, &rows)?;
        return Ok(ExitCode::Ok);
    }
    let id_width = rows.iter().map(|r| r.id.len()).max().unwrap_or(4).max(4);
    let widths: Vec<usize> = Profile::ALL
        .iter()
        .map(|p| {
            rows.iter()
                .map(|r| r.values.get(p.name()).map_or(0, String::len))
                .max()
                .unwrap_or(0)
                .max(p.name().len())
        })
        .collect();
    write!(out, "{:id_width$}", "RULE")?;
    for (p, w) in Profile::ALL.iter().zip(&widths) {
        write!(out, "  {:w$}", p.name())?;
    }
    writeln!(out, "  SOURCE")?;
    for r in &rows {
        write!(out, "{:id_width$}", r.id)?;
        for (p, w) in Profile::ALL.iter().zip(&widths) {
            let v = r.values.get(p.name()).map_or("", String::as_str);
            write!(out, "  {v:w$}")?;
        }
        writeln!(out, "  {}", r.source)?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "A rule's statement, sources, guarding invariants and scenarios: bitsim rules ID"
    )?;
    Ok(ExitCode::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_rule_one_column_per_profile() {
        let mut out = Vec::new();
        run(&ProfilesArgs { json: false }, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let header = text.lines().next().unwrap();
        for p in Profile::ALL {
            assert!(header.contains(p.name()), "{header}");
        }
        for s in SWITCHES {
            let row = text.lines().find(|l| l.starts_with(s.id)).unwrap();
            assert!(row.ends_with(s.source()), "{row}");
        }
        let helper = text
            .lines()
            .find(|l| l.starts_with("BITS-1607-NON-ADMIN-HELPER"))
            .unwrap();
        let cells: Vec<&str> = helper.split_whitespace().collect();
        assert_eq!(&cells[1..6], ["no", "no", "no", "yes", "yes"]);
        for r in rows() {
            let as_word = text
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .filter(|w| *w == r.id)
                .count();
            assert_eq!(as_word, 1, "{} is printed once", r.id);
        }
    }

    #[test]
    fn json_has_a_value_per_profile() {
        let mut out = Vec::new();
        run(&ProfilesArgs { json: true }, &mut out).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let rows = value.as_array().unwrap();
        let mut ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n, "an id printed twice");
        let switched = bits::rules::RULES
            .iter()
            .filter(|r| bits::profile::switch(r.id).is_some())
            .count();
        assert_eq!(
            rows.len(),
            SWITCHES.len() + bits::rules::RULES.len() - switched
        );
        let check = rows
            .iter()
            .find(|r| r["id"] == "BITS-ACCESS-CHECK-AT")
            .unwrap();
        assert_eq!(check["values"]["vista"], "every call");
        assert_eq!(check["values"]["win7"], "QueryInterface");
    }
}
