//! `bitsim merge`: combines the JSON reports of shards (`check --format
//! json`, `explore --format json`, `fuzz --format json`) into one report.
//!
//! Check reports add up exactly. Explore shards split the first-level
//! branches, and a state reachable from two branches is counted in both,
//! so merged state counts are an upper bound; transitions add up exactly;
//! a `sometimes` property is reached if any shard reached it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde::Deserialize;

use crate::command::explore::Summary;
use crate::{CliError, ExitCode};

/// Arguments of `bitsim merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shard reports (JSON).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Deserialize)]
struct CheckReport {
    passed: usize,
    failed: usize,
    runs: Vec<serde_json::Value>,
}

fn read(path: &PathBuf) -> Result<serde_json::Value, CliError> {
    let text = std::fs::read_to_string(path).map_err(|reason| CliError::ReadScenario {
        path: path.display().to_string(),
        reason,
    })?;
    serde_json::from_str(&text).map_err(|e| {
        CliError::InvalidArgument(format!("{}: not a JSON report: {e}", path.display()))
    })
}

/// Runs `bitsim merge`.
pub fn run(args: &MergeArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let values = args.files.iter().map(read).collect::<Result<Vec<_>, _>>()?;
    if values.iter().all(|v| v.get("runs").is_some()) {
        let mut passed = 0;
        let mut failed = 0;
        let mut runs = 0;
        for (v, path) in values.into_iter().zip(&args.files) {
            let r: CheckReport = serde_json::from_value(v).map_err(|e| {
                CliError::InvalidArgument(format!("{}: not a check report: {e}", path.display()))
            })?;
            passed += r.passed;
            failed += r.failed;
            runs += r.runs.len();
        }
        writeln!(out, "merged {} check shards: {runs} runs", args.files.len())?;
        writeln!(out, "{passed} passed, {failed} failed")?;
        return Ok(if failed == 0 {
            ExitCode::Ok
        } else {
            ExitCode::Failed
        });
    }
    let mut summaries = Vec::new();
    for (v, path) in values.into_iter().zip(&args.files) {
        let s: Summary = serde_json::from_value(v).map_err(|e| {
            CliError::InvalidArgument(format!(
                "{}: not a check, explore or fuzz report: {e}",
                path.display()
            ))
        })?;
        summaries.push(s);
    }
    let Some(first) = summaries.first().cloned() else {
        return Err(CliError::InvalidArgument("no reports to merge".into()));
    };
    for s in &summaries {
        if (&s.kind, &s.model, &s.profile, &s.mutant, s.bound)
            != (
                &first.kind,
                &first.model,
                &first.profile,
                &first.mutant,
                first.bound,
            )
        {
            return Err(CliError::InvalidArgument(format!(
                "reports of different runs cannot be merged: {} {} {} and {} {} {}",
                first.kind, first.model, first.profile, s.kind, s.model, s.profile
            )));
        }
    }
    let mut sometimes: BTreeMap<String, Option<usize>> = BTreeMap::new();
    let mut merged = first.clone();
    merged.shard = Some(format!("{} shards", summaries.len()));
    merged.states = 0;
    merged.transitions = 0;
    merged.depth_reached = 0;
    merged.violations = Vec::new();
    merged.counterexample_len = None;
    for s in &summaries {
        merged.states += s.states;
        merged.transitions += s.transitions;
        merged.depth_reached = merged.depth_reached.max(s.depth_reached);
        for (name, d) in &s.sometimes {
            let e = sometimes.entry(name.clone()).or_insert(None);
            *e = match (*e, *d) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        for v in &s.violations {
            if !merged.violations.contains(v) {
                merged.violations.push(v.clone());
            }
        }
        if let Some(n) = s.counterexample_len {
            merged.counterexample_len = Some(merged.counterexample_len.map_or(n, |m| m.min(n)));
        }
    }
    merged.sometimes = first
        .sometimes
        .iter()
        .map(|(n, _)| (n.clone(), sometimes.get(n).copied().flatten()))
        .collect();
    out.write_all(merged.text().as_bytes())?;
    if merged.kind == "explore" {
        writeln!(
            out,
            "  (states add up per shard: a state two shards reach is counted twice)"
        )?;
    }
    Ok(if merged.passed() {
        ExitCode::Ok
    } else {
        ExitCode::Failed
    })
}
