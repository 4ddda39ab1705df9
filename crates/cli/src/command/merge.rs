//! `bitsim merge`: combines the JSON reports of shards (`check --format
//! json`, `explore --format json`, `fuzz --format json`, each with
//! `--shard k/n`) into one report, as text, JSON or (for check reports)
//! JUnit.
//!
//! The shards must be exactly `1/n` to `n/n` of one run: a report without
//! a shard (unless it is the only one), a shard named twice, a missing
//! shard or shards of different sizes are refused (exit 2), as are
//! counts that do not add up or would overflow.
//!
//! Check reports add up exactly. Explore shards split the first-level
//! branches, and a state reachable from two branches is counted in both,
//! so merged state counts are an upper bound; transitions add up exactly;
//! a `sometimes` property is reached if any shard reached it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use explore::search::Shard;

use crate::command::check::{self, Summary as CheckSummary};
use crate::command::explore::Summary;
use crate::{CliError, ExitCode};

/// Arguments of `bitsim merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shard reports (JSON).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Output format (`junit` for check reports only).
    #[arg(long, value_enum, default_value_t = MergeFormat::Text)]
    pub format: MergeFormat,
}

/// How `merge` writes the merged report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MergeFormat {
    /// For people: the counts and a verdict.
    Text,
    /// The merged report, in the shards' own JSON format.
    Json,
    /// JUnit XML (check reports): a test case per run, an error case per
    /// file that did not load. Shard reports carry no times, so neither
    /// does this.
    Junit,
}

fn bad(message: String) -> CliError {
    CliError::InvalidArgument(message)
}

fn read(path: &PathBuf) -> Result<serde_json::Value, CliError> {
    let text = std::fs::read_to_string(path).map_err(|reason| CliError::ReadScenario {
        path: path.display().to_string(),
        reason,
    })?;
    serde_json::from_str(&text)
        .map_err(|e| bad(format!("{}: not a JSON report: {e}", path.display())))
}

/// Checks that the reports' shards are exactly `1/n` … `n/n` once each,
/// or a single report without a shard.
fn check_shards(shards: &[(Option<&str>, &Path)]) -> Result<(), CliError> {
    if let [(None, _)] = shards {
        return Ok(());
    }
    let mut seen: BTreeMap<usize, &Path> = BTreeMap::new();
    let mut count = None;
    for (shard, path) in shards {
        let Some(text) = shard else {
            return Err(bad(format!(
                "{}: the report has no shard; only the reports of `--shard k/n` runs can be merged",
                path.display()
            )));
        };
        let s = Shard::parse(text).map_err(|e| bad(format!("{}: {e}", path.display())))?;
        match count {
            None => count = Some((s.count, *path)),
            Some((n, first)) if n != s.count => {
                return Err(bad(format!(
                    "shards of different splits: {} is of {n}, {} of {}",
                    first.display(),
                    path.display(),
                    s.count
                )))
            }
            Some(_) => {}
        }
        if let Some(other) = seen.insert(s.index, path) {
            return Err(bad(format!(
                "shard {s} is given twice: {} and {}",
                other.display(),
                path.display()
            )));
        }
    }
    if let Some((n, _)) = count {
        let missing: Vec<String> = (1..=n)
            .filter(|k| !seen.contains_key(k))
            .map(|k| format!("{k}/{n}"))
            .collect();
        if !missing.is_empty() {
            return Err(bad(format!(
                "shard{} {} missing: a merged report must cover every shard",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", ")
            )));
        }
    }
    Ok(())
}

fn add<T: num::CheckedAdd>(a: T, b: T, what: &str) -> Result<T, CliError> {
    a.checked_add(b).ok_or_else(|| {
        bad(format!(
            "the shards' {what} add up past what can be counted"
        ))
    })
}

/// Checked addition, for the counts a report carries.
mod num {
    /// A count that adds with an overflow check.
    pub trait CheckedAdd: Sized {
        /// `self + other`, or `None` on overflow.
        fn checked_add(self, other: Self) -> Option<Self>;
    }
    impl CheckedAdd for usize {
        fn checked_add(self, other: usize) -> Option<usize> {
            usize::checked_add(self, other)
        }
    }
    impl CheckedAdd for u64 {
        fn checked_add(self, other: u64) -> Option<u64> {
            u64::checked_add(self, other)
        }
    }
}

/// Checks that a check report's counts agree with its lists.
fn consistent(r: &CheckSummary, path: &Path) -> Result<(), CliError> {
    let runs_passed = r.runs.iter().filter(|x| x.passed).count();
    let ok = r.passed == runs_passed
        && r.failed == r.runs.len() - runs_passed
        && r.errors == r.load_errors.len()
        && Some(r.tests)
            == r.passed
                .checked_add(r.failed)
                .and_then(|n| n.checked_add(r.errors))
        && r.files <= r.files_total;
    if ok {
        Ok(())
    } else {
        Err(bad(format!(
            "{}: the report's counts do not agree with its runs and load errors",
            path.display()
        )))
    }
}

fn merge_checks(
    values: Vec<serde_json::Value>,
    args: &MergeArgs,
    out: &mut dyn Write,
) -> Result<ExitCode, CliError> {
    let mut reports = Vec::new();
    for (v, path) in values.into_iter().zip(&args.files) {
        let r: CheckSummary = serde_json::from_value(v)
            .map_err(|e| bad(format!("{}: not a check report: {e}", path.display())))?;
        consistent(&r, path)?;
        reports.push(r);
    }
    let shards: Vec<(Option<&str>, &Path)> = reports
        .iter()
        .zip(&args.files)
        .map(|(r, p)| (r.shard.as_deref(), p.as_path()))
        .collect();
    check_shards(&shards)?;
    let files_total = reports.first().map_or(0, |r| r.files_total);
    let mut merged = CheckSummary {
        shard: None,
        files_total,
        files: 0,
        tests: 0,
        passed: 0,
        failed: 0,
        errors: 0,
        runs: Vec::new(),
        load_errors: Vec::new(),
    };
    for (r, path) in reports.into_iter().zip(&args.files) {
        if r.files_total != files_total {
            return Err(bad(format!(
                "{}: the shards were cut from different sets of files ({} and {files_total} files)",
                path.display(),
                r.files_total
            )));
        }
        merged.files = add(merged.files, r.files, "file counts")?;
        merged.tests = add(merged.tests, r.tests, "test counts")?;
        merged.passed = add(merged.passed, r.passed, "passed counts")?;
        merged.failed = add(merged.failed, r.failed, "failed counts")?;
        merged.errors = add(merged.errors, r.errors, "error counts")?;
        merged.runs.extend(r.runs);
        merged.load_errors.extend(r.load_errors);
    }
    if merged.files != files_total {
        return Err(bad(format!(
            "the shards cover {} of the {files_total} files",
            merged.files
        )));
    }
    match args.format {
        MergeFormat::Text => {
            writeln!(
                out,
                "merged {} check shard{}: {} runs",
                args.files.len(),
                if args.files.len() == 1 { "" } else { "s" },
                merged.runs.len()
            )?;
            out.write_all(merged.closing_lines().as_bytes())?;
        }
        MergeFormat::Json => crate::command::write_json(out, &merged)?,
        MergeFormat::Junit => {
            out.write_all(runner::report::junit(&check::cases_of_summary(&merged)).as_bytes())?
        }
    }
    Ok(merged.exit_code())
}

/// Runs `bitsim merge`.
pub fn run(args: &MergeArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let values = args.files.iter().map(read).collect::<Result<Vec<_>, _>>()?;
    if values.iter().all(|v| v.get("runs").is_some()) {
        return merge_checks(values, args, out);
    }
    if args.format == MergeFormat::Junit {
        return Err(bad(
            "`--format junit` merges check reports; explore and fuzz reports merge as text or JSON"
                .into(),
        ));
    }
    let mut summaries = Vec::new();
    for (v, path) in values.into_iter().zip(&args.files) {
        let s: Summary = serde_json::from_value(v).map_err(|e| {
            bad(format!(
                "{}: not a check, explore or fuzz report: {e}",
                path.display()
            ))
        })?;
        summaries.push(s);
    }
    let Some(first) = summaries.first().cloned() else {
        return Err(bad("no reports to merge".into()));
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
            return Err(bad(format!(
                "reports of different runs cannot be merged: {} {} {} and {} {} {}",
                first.kind, first.model, first.profile, s.kind, s.model, s.profile
            )));
        }
    }
    let shards: Vec<(Option<&str>, &Path)> = summaries
        .iter()
        .zip(&args.files)
        .map(|(s, p)| (s.shard.as_deref(), p.as_path()))
        .collect();
    check_shards(&shards)?;
    let mut sometimes: BTreeMap<String, Option<usize>> = BTreeMap::new();
    let mut merged = first.clone();
    merged.shard = None;
    merged.states = 0;
    merged.transitions = 0;
    merged.depth_reached = 0;
    merged.violations = Vec::new();
    merged.counterexample_len = None;
    for s in &summaries {
        merged.states = add(merged.states, s.states, "state counts")?;
        merged.transitions = add(merged.transitions, s.transitions, "transition counts")?;
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
    match args.format {
        MergeFormat::Json => crate::command::write_json(out, &merged)?,
        _ => {
            writeln!(
                out,
                "merged {} {} shard{}",
                summaries.len(),
                merged.kind,
                if summaries.len() == 1 { "" } else { "s" }
            )?;
            out.write_all(merged.text().as_bytes())?;
            if merged.kind == "explore" {
                writeln!(
                    out,
                    "  (states add up per shard: a state two shards reach is counted twice)"
                )?;
            }
            out.write_all(merged.verdict().as_bytes())?;
        }
    }
    Ok(merged.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shards<'a>(list: &'a [(Option<&'a str>, &'a str)]) -> Vec<(Option<&'a str>, &'a Path)> {
        list.iter().map(|(s, p)| (*s, Path::new(*p))).collect()
    }

    #[test]
    fn shards_must_be_one_to_n_once_each() {
        assert!(check_shards(&shards(&[(Some("1/2"), "a"), (Some("2/2"), "b")])).is_ok());
        assert!(check_shards(&shards(&[(None, "a")])).is_ok());
        assert!(check_shards(&shards(&[(Some("1/1"), "a")])).is_ok());
        let dup = check_shards(&shards(&[(Some("1/2"), "a"), (Some("1/2"), "b")]))
            .unwrap_err()
            .to_string();
        assert!(dup.contains("shard 1/2 is given twice: a and b"), "{dup}");
        let gap = check_shards(&shards(&[(Some("1/3"), "a"), (Some("3/3"), "b")]))
            .unwrap_err()
            .to_string();
        assert!(gap.contains("shard 2/3 missing"), "{gap}");
        let mixed = check_shards(&shards(&[(Some("1/2"), "a"), (Some("2/3"), "b")]))
            .unwrap_err()
            .to_string();
        assert!(mixed.contains("different splits"), "{mixed}");
        let whole = check_shards(&shards(&[(None, "a"), (None, "b")]))
            .unwrap_err()
            .to_string();
        assert!(whole.contains("a: the report has no shard"), "{whole}");
    }

    #[test]
    fn counts_that_overflow_are_refused() {
        assert_eq!(add(1usize, 2, "x").ok(), Some(3));
        let e = add(u64::MAX, 1, "state counts").unwrap_err().to_string();
        assert!(e.contains("state counts add up past"), "{e}");
    }
}
