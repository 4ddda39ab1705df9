//! `bitsim fuzz`: proptest-driven random walks over a bounded model,
//! every invariant checked after every operation; a failure is shrunk to a
//! minimal sequence, printed, and written as a scenario (`--out`) whose
//! header names the seed.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use explore::fuzz::{fuzz, swarm, FuzzConfig, FuzzReport};
use explore::search::Shard;
use explore::Model;

use crate::command::explore::{Summary, SummaryFormat};
use crate::command::model_args::{mutant_flag, report_counterexample, ModelArgs};
use crate::command::write_json;
use crate::{CliError, ExitCode};

/// Arguments of `bitsim fuzz`.
#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// The model.
    #[command(flatten)]
    pub model: ModelArgs,
    /// The seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Random cases.
    #[arg(long, default_value_t = 256)]
    pub cases: u32,
    /// The most operations per case.
    #[arg(long, default_value_t = 24)]
    pub steps: usize,
    /// Run only shard k of n (a disjoint seed range).
    #[arg(long, value_parser = Shard::parse, conflicts_with = "swarm")]
    pub shard: Option<Shard>,
    /// Run a swarm of N independent members, member k being shard k/N
    /// (its own seed range), and report them together; a failure names
    /// the member's shard, which replays it alone.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub swarm: Option<u64>,
    /// Threads for the swarm's members (the report does not depend on it).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Write a failure here as a runnable scenario.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub format: SummaryFormat,
    /// No timing on standard error.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs `bitsim fuzz`.
pub fn run(args: &FuzzArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let model = args.model.build()?;
    let config = FuzzConfig {
        seed: args.seed,
        cases: args.cases,
        steps: args.steps,
        shard: args.shard,
    };
    let start = Instant::now();
    let (report, shard, cases, ops) = match args.swarm {
        Some(n) => {
            let members = usize::try_from(n).unwrap_or(1);
            let sw = swarm(&model, &config, members, args.threads);
            let (cases, ops) = (sw.cases(), sw.ops());
            match sw.first_failure() {
                Some((shard, r)) => (r.clone(), Some(shard), cases, ops),
                None => (
                    FuzzReport {
                        seed: args.seed,
                        cases: 0,
                        ops: 0,
                        failure: None,
                        unshrunk_len: 0,
                    },
                    None,
                    cases,
                    ops,
                ),
            }
        }
        None => {
            let r = fuzz(&model, &config);
            let (cases, ops) = (u64::from(r.cases), r.ops);
            (r, args.shard, cases, ops)
        }
    };
    let elapsed = start.elapsed();
    let s = Summary {
        kind: "fuzz".into(),
        model: model.name().to_string(),
        profile: model.profile().name().to_string(),
        mutant: model.mutant().map(|m| m.name.to_string()),
        shard: args.shard.map(|s| s.to_string()),
        bound: args.steps,
        states: cases,
        transitions: ops,
        depth_reached: 0,
        sometimes: Vec::new(),
        violations: report
            .failure
            .as_ref()
            .map(|c| {
                c.violations
                    .iter()
                    .map(|v| v.invariant.to_string())
                    .collect()
            })
            .unwrap_or_default(),
        counterexample_len: report.failure.as_ref().map(|c| c.ops.len()),
        unchecked: model.unchecked_properties().to_vec(),
        counterexample: report
            .failure
            .as_ref()
            .map(|c| explore::render::counterexample_json(&model, c)),
        swarm: args.swarm,
        symmetry: None,
        states_without_symmetry: None,
        states_users_fixed: None,
    };
    match args.format {
        SummaryFormat::Text => {
            out.write_all(s.text().as_bytes())?;
            writeln!(out, "  seed            {}", report.seed)?;
        }
        SummaryFormat::Json => write_json(out, &s)?,
    }
    if let Some(ce) = &report.failure {
        let header = vec![
            format!(
                "Found by: bitsim fuzz {} --profile {}{} --seed {} --cases {} --steps {}{}",
                args.model.source(&model),
                model.profile(),
                mutant_flag(&model),
                args.seed,
                args.cases,
                args.steps,
                shard.map(|s| format!(" --shard {s}")).unwrap_or_default()
            ),
            format!(
                "Seed {}: a case of {} operation(s) shrunk to {}",
                report.seed,
                report.unshrunk_len,
                ce.ops.len()
            ),
        ];
        report_counterexample(
            out,
            &model,
            ce,
            header,
            "shrunk failure",
            args.format == SummaryFormat::Text,
            args.out.as_ref(),
        )?;
    }
    if !args.quiet {
        let secs = elapsed.as_secs_f64().max(1e-9);
        eprintln!(
            "{secs:.2}s, {:.0} ops/s with every invariant",
            ops as f64 / secs
        );
    }
    if args.format == SummaryFormat::Text {
        out.write_all(s.verdict().as_bytes())?;
    }
    Ok(s.exit_code())
}
