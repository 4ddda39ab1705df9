//! `bitsim run FILE --show-tokens`: the tokens of the world after a step,
//! each as `whoami /all` prints it, or as JSON.

use std::io::Write;

use runner::inspect::{self, TokenView, View};
use serde::Serialize;

use crate::command::run::RunFormat;
use crate::CliError;

/// One run's tokens as the JSON form shows them.
#[derive(Serialize)]
struct RunTokens<'a> {
    scenario: &'a str,
    profile: &'a str,
    step: usize,
    kind: &'a str,
    tokens: Vec<Shown<'a>>,
}

/// A token with who uses it.
#[derive(Serialize)]
struct Shown<'a> {
    #[serde(flatten)]
    token: &'a TokenView,
    used_by: Vec<String>,
}

/// The view after step `at` (1-based; default the last step that kept
/// one) of a run.
fn pick(run: &runner::Run, at: Option<usize>) -> Result<(usize, &View), CliError> {
    match at {
        Some(n) => run
            .views
            .get(n.wrapping_sub(1))
            .and_then(|v| v.world.as_ref())
            .map(|v| (n, v))
            .ok_or_else(|| {
                CliError::InvalidArgument(format!(
                    "--at {n}: the run of {} under {} carried out steps 1 to {}",
                    run.scenario,
                    run.profile,
                    run.steps.len()
                ))
            }),
        None => run
            .views
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, v)| v.world.as_ref().map(|w| (i + 1, w)))
            .ok_or_else(|| {
                CliError::InvalidArgument(format!(
                    "the run of {} under {} kept no view of the world",
                    run.scenario, run.profile
                ))
            }),
    }
}

/// The tokens of `view` that `names` ask for (all when empty).
fn chosen<'v>(view: &'v View, names: &[String]) -> Result<Vec<&'v TokenView>, CliError> {
    if names.is_empty() {
        return Ok(view.tokens.iter().collect());
    }
    names
        .iter()
        .map(|n| {
            view.token_named(n).ok_or_else(|| {
                let mut known: Vec<String> =
                    view.tokens.iter().flat_map(|t| t.names.clone()).collect();
                known.extend(view.threads.iter().map(|t| t.name.clone()));
                CliError::InvalidArgument(format!(
                    "--token {n}: no token or thread of that name at this step; known: {}",
                    known.join(", ")
                ))
            })
        })
        .collect()
}

/// Prints the tokens of every run at step `at`.
pub(crate) fn show(
    out: &mut dyn Write,
    runs: &[runner::Run],
    at: Option<usize>,
    names: &[String],
    format: RunFormat,
) -> Result<(), CliError> {
    let mut all = Vec::new();
    for run in runs {
        let (step, view) = pick(run, at)?;
        let kind = run.steps.get(step - 1).map_or("", |s| s.kind.as_str());
        let tokens = chosen(view, names)?
            .into_iter()
            .map(|t| Shown {
                used_by: view.uses(t.id),
                token: t,
            })
            .collect();
        all.push(RunTokens {
            scenario: &run.scenario,
            profile: run.profile,
            step,
            kind,
            tokens,
        });
    }
    if format == RunFormat::Json {
        return crate::command::write_json(out, &all);
    }
    for (i, r) in all.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(
            out,
            "== {} [{}]: the tokens after step {} ({})",
            r.scenario, r.profile, r.step, r.kind
        )?;
        for t in &r.tokens {
            writeln!(out)?;
            let mut title = format!("-- {}", t.token.label());
            if t.token.names.len() > 1 {
                title.push_str(&format!(" (also {})", t.token.names[1..].join(", ")));
            }
            if !t.used_by.is_empty() {
                title.push_str(&format!(": {}", t.used_by.join("; ")));
            }
            writeln!(out, "{title}\n")?;
            out.write_all(inspect::whoami(t.token).as_bytes())?;
        }
    }
    Ok(())
}
