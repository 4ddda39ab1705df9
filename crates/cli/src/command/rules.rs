//! `bitsim rules [ID]`: every id a decision, an invariant or a mutant can
//! cite, from the one registry (`runner::registry`): the rules of winsec,
//! simos, webhost and bits, the BITS switches and the invariants.
//!
//! Without an id: for each entry its id, then the statement and
//! `source: ...` indented by four spaces, entries separated by a blank
//! line; `--kind` and `--prefix` narrow the list. `--format json` (or
//! `--json`): an array of entries, each with `id`, `kind`, `table`,
//! `statement`, `source` and, where they apply, `values` (per profile),
//! `guards` and `mutants`.
//!
//! With an id: that entry, its value on each profile, the invariants that
//! guard it, the mutants that break it, and the scenarios of the library
//! (`--scenarios`, default `scenarios`) and the rows of the spec matrix
//! (`--spec`, default `docs/spec-matrix.md`) that exercise it. An id no
//! table declares is bad input (exit 2).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use runner::registry::{self, Entry, Kind};
use serde::Serialize;

use crate::command::access::OutputFormat;
use crate::command::{scenario_files, write_json};
use crate::{CliError, ExitCode};

/// A kind as `--kind` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Rules that hold on every profile.
    Rule,
    /// BITS switches whose value is set per profile.
    Switch,
    /// Invariants of the oracle.
    Invariant,
}

impl KindArg {
    fn kind(self) -> Kind {
        match self {
            KindArg::Rule => Kind::Rule,
            KindArg::Switch => Kind::Switch,
            KindArg::Invariant => Kind::Invariant,
        }
    }
}

/// Arguments of `bitsim rules`.
#[derive(Debug, Clone, Args)]
pub struct RulesArgs {
    /// Show this id in full: statement, sources, value per profile,
    /// guards, mutants, and the scenarios and spec rows that exercise it.
    pub id: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// The same as `--format json`.
    #[arg(long)]
    pub json: bool,
    /// List only entries of this kind.
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// List only ids that start with this text (`BITS-1607`, `AC-`).
    #[arg(long)]
    pub prefix: Option<String>,
    /// Scenario files or directories searched for steps that cite the id.
    #[arg(long = "scenarios", default_value = "scenarios")]
    pub scenarios: Vec<PathBuf>,
    /// The spec matrix whose rows are searched for the id.
    #[arg(long, default_value = "docs/spec-matrix.md")]
    pub spec: PathBuf,
}

impl RulesArgs {
    /// The listing of every entry, as text.
    pub fn list() -> RulesArgs {
        RulesArgs {
            id: None,
            format: OutputFormat::Text,
            json: false,
            kind: None,
            prefix: None,
            scenarios: vec![PathBuf::from("scenarios")],
            spec: PathBuf::from("docs/spec-matrix.md"),
        }
    }

    fn json(&self) -> bool {
        self.json || self.format == OutputFormat::Json
    }
}

/// One entry shown in full.
#[derive(Debug, Serialize)]
struct Detail {
    #[serde(flatten)]
    entry: Entry,
    /// Scenario file → how many steps cite the id.
    scenarios: BTreeMap<String, usize>,
    /// Spec-matrix rows whose rule column names the id.
    spec_rows: Vec<String>,
}

/// Prints the registry, or one entry of it.
pub fn run(args: &RulesArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    match &args.id {
        None => list(args, out),
        Some(id) => show(args, id, out),
    }
}

fn list(args: &RulesArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let entries: Vec<Entry> = registry::all()
        .into_iter()
        .filter(|e| args.kind.is_none_or(|k| e.kind == k.kind()))
        .filter(|e| args.prefix.as_deref().is_none_or(|p| e.id.starts_with(p)))
        .collect();
    if args.json() {
        write_json(out, &entries)?;
        return Ok(ExitCode::Ok);
    }
    for (n, e) in entries.iter().enumerate() {
        if n > 0 {
            writeln!(out)?;
        }
        writeln!(out, "{}", e.id)?;
        writeln!(out, "    {}", e.statement)?;
        writeln!(out, "    source: {}", e.sources)?;
    }
    Ok(ExitCode::Ok)
}

fn show(args: &RulesArgs, id: &str, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let Some(entry) = registry::lookup(id) else {
        return Err(CliError::InvalidArgument(format!(
            "no rule, switch or invariant has the id `{id}`; `bitsim rules` lists them"
        )));
    };
    let detail = Detail {
        scenarios: exercising_scenarios(&args.scenarios, entry.id)?,
        spec_rows: spec_rows(&args.spec, entry.id)?,
        entry,
    };
    if args.json() {
        write_json(out, &detail)?;
        return Ok(ExitCode::Ok);
    }
    let e = &detail.entry;
    writeln!(out, "{} ({}, {})", e.id, e.kind.name(), e.table)?;
    writeln!(out, "    {}", e.statement)?;
    writeln!(out, "    source: {}", e.sources)?;
    if !e.values.is_empty() {
        let values: Vec<String> = bits::Profile::ALL
            .iter()
            .filter_map(|p| e.values.get(p.name()).map(|v| format!("{p} {v}")))
            .collect();
        writeln!(out, "    values: {}", values.join(", "))?;
    }
    let heading = if e.kind == Kind::Invariant {
        "checks"
    } else {
        "guarded by"
    };
    list_line(out, heading, &e.guards)?;
    list_line(out, "mutants", &e.mutants)?;
    if e.kind == Kind::Invariant {
        writeln!(out, "    scenarios: checked after every step of every run")?;
    } else if detail.scenarios.is_empty() {
        writeln!(out, "    scenarios: none cite it")?;
    } else {
        writeln!(out, "    scenarios:")?;
        for (file, steps) in &detail.scenarios {
            let s = if *steps == 1 { "" } else { "s" };
            writeln!(
                out,
                "      {file} (cited by {steps} step{s} over its profiles)"
            )?;
        }
    }
    list_line(out, "spec rows", &detail.spec_rows)?;
    Ok(ExitCode::Ok)
}

fn list_line<T: AsRef<str>>(out: &mut dyn Write, what: &str, items: &[T]) -> Result<(), CliError> {
    if !items.is_empty() {
        let items: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
        writeln!(out, "    {what}: {}", items.join(", "))?;
    }
    Ok(())
}

/// The scenario files under `paths` whose runs cite `id` (in a step's
/// decision, its access-check trail or the host setup), with the number
/// of steps that do. Paths that do not exist give nothing.
fn exercising_scenarios(paths: &[PathBuf], id: &str) -> Result<BTreeMap<String, usize>, CliError> {
    let existing: Vec<PathBuf> = paths.iter().filter(|p| p.exists()).cloned().collect();
    let mut found = BTreeMap::new();
    for path in scenario_files::collect(&existing)? {
        let file = scenario_files::read(&path)?;
        let s = scenario_files::load(&file)?;
        let runs = runner::run(&s, &file.name, &file.text, None)
            .map_err(|e| scenario_files::invalid(&file, e))?;
        let mut steps = 0;
        for r in &runs {
            steps += r.setup.iter().filter(|(_, rule)| *rule == id).count();
            steps += r
                .steps
                .iter()
                .filter(|st| st.rules.contains(&id) || st.trail_rules.contains(&id))
                .count();
        }
        if steps > 0 {
            found.insert(file.name.clone(), steps);
        }
    }
    Ok(found)
}

/// The spec-matrix rows that name `id`; none when the file is absent.
fn spec_rows(spec: &PathBuf, id: &str) -> Result<Vec<String>, CliError> {
    let Ok(text) = std::fs::read_to_string(spec) else {
        return Ok(Vec::new());
    };
    let rows = runner::spec::parse(&text)
        .map_err(|e| CliError::InvalidArgument(format!("{}: {e}", spec.display())))?;
    Ok(rows
        .into_iter()
        .filter(|r| r.rules.iter().any(|rule| rule == id))
        .map(|r| r.id)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lists_every_entry() {
        let mut out = Vec::new();
        run(&RulesArgs::list(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        for e in registry::all() {
            assert!(text.contains(&format!("{}\n    ", e.id)), "{}", e.id);
        }
    }

    #[test]
    fn json_is_an_array_of_every_entry() {
        let mut out = Vec::new();
        let args = RulesArgs {
            json: true,
            ..RulesArgs::list()
        };
        run(&args, &mut out).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value.as_array().map(Vec::len), Some(registry::all().len()));
        assert!(value[0]["id"].is_string());
    }

    #[test]
    fn kind_and_prefix_narrow_the_list() {
        let mut out = Vec::new();
        let args = RulesArgs {
            format: OutputFormat::Json,
            kind: Some(KindArg::Switch),
            prefix: Some("BITS-1607".to_string()),
            ..RulesArgs::list()
        };
        run(&args, &mut out).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let ids: Vec<&str> = value
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&"BITS-1607-NON-ADMIN-HELPER"), "{ids:?}");
        for e in value.as_array().unwrap() {
            assert_eq!(e["kind"], "switch");
            assert!(e["id"].as_str().unwrap().starts_with("BITS-1607"));
        }
    }

    #[test]
    fn an_unknown_id_is_bad_input() {
        let mut out = Vec::new();
        let args = RulesArgs {
            id: Some("NO-SUCH-RULE".to_string()),
            ..RulesArgs::list()
        };
        assert!(matches!(
            run(&args, &mut out),
            Err(CliError::InvalidArgument(m)) if m.contains("NO-SUCH-RULE")
        ));
    }
}
