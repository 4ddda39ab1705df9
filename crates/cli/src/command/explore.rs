//! `bitsim explore`: breadth-first exhaustive search of a bounded model to
//! a depth, checking every invariant on every transition and that every
//! `sometimes` property is reached; a violation is printed as the
//! shortest counterexample and written as a scenario (`--out`).
//!
//! The report on standard output is deterministic (two runs print the
//! same bytes); timing and the progress bar go to standard error.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};
use explore::search::{Config, Level, Report, Shard};
use explore::{Model, WorldModel};
use serde::{Deserialize, Serialize};

use crate::command::model_args::{mutant_flag, report_counterexample, ModelArgs};
use crate::command::write_json;
use crate::{CliError, ExitCode};

/// Arguments of `bitsim explore`.
#[derive(Debug, Args)]
pub struct ExploreArgs {
    /// The model.
    #[command(flatten)]
    pub model: ModelArgs,
    /// The deepest level: operations after the setup.
    #[arg(long, default_value_t = 6)]
    pub depth: usize,
    /// Worker threads.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Explore only shard k of n of the first-level branches (`2/4`).
    #[arg(long, value_parser = Shard::parse)]
    pub shard: Option<Shard>,
    /// Write a counterexample here as a runnable scenario.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub format: SummaryFormat,
    /// No progress (a bar on a terminal, a plain line per level otherwise)
    /// or timing on standard error.
    #[arg(long)]
    pub quiet: bool,
    /// Count every state, ignoring the universe's `symmetric` users.
    #[arg(long, conflicts_with = "compare_symmetry")]
    pub no_symmetry: bool,
    /// Explore twice, with and without the universe's `symmetric` users,
    /// and report both state counts and the reduction.
    #[arg(long)]
    pub compare_symmetry: bool,
}

/// How a summary is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    /// For people.
    Text,
    /// JSON, which `bitsim merge` reads.
    Json,
}

/// The deterministic summary of a run (explore or fuzz), as printed and
/// as `bitsim merge` reads it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// `explore` or `fuzz`.
    pub kind: String,
    /// The model.
    pub model: String,
    /// The profile.
    pub profile: String,
    /// The mutant, if any.
    pub mutant: Option<String>,
    /// The shard, if any (`k/n`).
    pub shard: Option<String>,
    /// explore: the depth bound; fuzz: the most steps per case.
    pub bound: usize,
    /// explore: unique states; fuzz: cases.
    pub states: u64,
    /// explore: transitions; fuzz: operations applied.
    pub transitions: u64,
    /// explore: the deepest level with a new state.
    pub depth_reached: usize,
    /// The `sometimes` properties: name and the depth first reached.
    pub sometimes: Vec<(String, Option<usize>)>,
    /// The broken invariants of the counterexample, if any.
    pub violations: Vec<String>,
    /// The counterexample's length.
    pub counterexample_len: Option<usize>,
    /// The setup's `eventually` properties, which a search does not judge
    /// (`run` and `check` do).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unchecked: Vec<String>,
    /// The counterexample as a JSON trace (every step, its result and
    /// events, and the observable state after it), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<serde_json::Value>,
    /// fuzz `--swarm N`: the number of members reported together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swarm: Option<u64>,
    /// explore: the interchangeable users the fingerprint was canonical
    /// over (`alice, bob, carol`; groups joined with `; `), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symmetry: Option<String>,
    /// explore with `--compare-symmetry`: unique states without symmetry
    /// reduction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub states_without_symmetry: Option<u64>,
    /// explore with `--compare-symmetry`: unique states with ids counted
    /// by owner and order of creation but no users exchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub states_users_fixed: Option<u64>,
}

impl Summary {
    /// No invariant broke and every `sometimes` property was reached.
    pub fn passed(&self) -> bool {
        self.violations.is_empty() && self.sometimes.iter().all(|(_, d)| d.is_some())
    }

    /// The exit code: 1 when an invariant broke, 3 when none broke but a
    /// `sometimes` property was never reached within the bound, else 0.
    pub fn exit_code(&self) -> ExitCode {
        if !self.violations.is_empty() {
            ExitCode::Failed
        } else if self.sometimes.iter().any(|(_, d)| d.is_none()) {
            ExitCode::Unreached
        } else {
            ExitCode::Ok
        }
    }

    /// The closing `verdict: …` line, agreeing with [`Summary::exit_code`].
    pub fn verdict(&self) -> String {
        match self.exit_code() {
            ExitCode::Failed => format!(
                "verdict: FAILED (exit 1): invariant {} broken\n",
                self.violations.join(", ")
            ),
            ExitCode::Unreached => format!(
                "verdict: UNREACHED (exit 3): no invariant broke, but sometimes {} never reached within the bound\n",
                self.sometimes
                    .iter()
                    .filter(|(_, d)| d.is_none())
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => "verdict: held (exit 0)\n".to_string(),
        }
    }

    /// The text form.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let mutant = self
            .mutant
            .as_deref()
            .map(|m| format!(", mutant {m}"))
            .unwrap_or_default();
        let shard = self
            .shard
            .as_deref()
            .map(|k| format!(", shard {k}"))
            .unwrap_or_default();
        if self.kind == "explore" {
            s.push_str(&format!(
                "explore {} under {}{mutant}{shard}, depth {}\n",
                self.model, self.profile, self.bound
            ));
            s.push_str(&format!("  unique states   {}\n", self.states));
            s.push_str(&format!("  transitions     {}\n", self.transitions));
            s.push_str(&format!("  depth reached   {}\n", self.depth_reached));
            if let Some(users) = &self.symmetry {
                s.push_str(&format!("  symmetric users {users}\n"));
            }
            if let Some(all) = self.states_without_symmetry {
                s.push_str(&format!(
                    "  without symmetry {all} unique states ({:.2}x as many)\n",
                    all as f64 / self.states.max(1) as f64
                ));
            }
            if let Some(fixed) = self.states_users_fixed {
                s.push_str(&format!(
                    "  users held fixed {fixed} unique states ({:.2}x as many; ids by owner and order only)\n",
                    fixed as f64 / self.states.max(1) as f64
                ));
            }
        } else {
            let swarm = self
                .swarm
                .map(|n| format!(", a swarm of {n} members"))
                .unwrap_or_default();
            s.push_str(&format!(
                "fuzz {} under {}{mutant}{shard}{swarm}, up to {} steps per case\n",
                self.model, self.profile, self.bound
            ));
            s.push_str(&format!("  cases           {}\n", self.states));
            s.push_str(&format!("  operations      {}\n", self.transitions));
        }
        for (name, depth) in &self.sometimes {
            match depth {
                Some(d) => s.push_str(&format!("  sometimes {name}: reached at depth {d}\n")),
                None => s.push_str(&format!("  sometimes {name}: NEVER REACHED\n")),
            }
        }
        for id in &self.unchecked {
            s.push_str(&format!(
                "  not checked     {id} (eventually: needs one path, `bitsim run` judges it)\n"
            ));
        }
        if self.violations.is_empty() {
            s.push_str("  violations      0\n");
        } else {
            s.push_str(&format!(
                "  VIOLATION       {} after {} operation(s)\n",
                self.violations.join(", "),
                self.counterexample_len.unwrap_or(0)
            ));
        }
        s
    }
}

fn summary(model: &WorldModel, report: &Report, args: &ExploreArgs) -> Summary {
    Summary {
        kind: "explore".into(),
        model: model.name().to_string(),
        profile: model.profile().name().to_string(),
        mutant: model.mutant().map(|m| m.name.to_string()),
        shard: args.shard.map(|s| s.to_string()),
        bound: args.depth,
        states: report.states,
        transitions: report.transitions,
        depth_reached: report.depth_reached,
        sometimes: report
            .sometimes
            .iter()
            .map(|r| (r.name.clone(), r.depth))
            .collect(),
        violations: report
            .counterexample
            .as_ref()
            .map(|c| {
                c.violations
                    .iter()
                    .map(|v| v.invariant.to_string())
                    .collect()
            })
            .unwrap_or_default(),
        counterexample_len: report.counterexample.as_ref().map(|c| c.ops.len()),
        unchecked: model.unchecked_properties().to_vec(),
        counterexample: report
            .counterexample
            .as_ref()
            .map(|c| explore::render::counterexample_json(model, c)),
        swarm: None,
        symmetry: model.symmetry().map(|s| {
            s.groups()
                .iter()
                .map(|g| g.join(", "))
                .collect::<Vec<_>>()
                .join("; ")
        }),
        states_without_symmetry: None,
        states_users_fixed: None,
    }
}

/// Whether to draw progress on standard error.
pub(crate) fn show_progress(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

/// Runs `bitsim explore`.
pub fn run(args: &ExploreArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let mut model = args.model.build()?;
    if args.no_symmetry {
        model = model.without_symmetry();
    }
    if let (Some(_), [first, ..]) = (model.symmetry(), model.searched_properties().as_slice()) {
        // A property names particular users' objects; merging the states
        // that differ only in which user is which could hide its violation.
        return Err(CliError::InvalidArgument(format!(
            "{}: property {first} names particular users' objects, and `symmetric` merges states that differ only in which user is which; explore with --no-symmetry, or state the property in a file without `symmetric`",
            model.name()
        )));
    }
    let config = Config {
        depth: args.depth,
        threads: args.threads.max(1),
        shard: args.shard,
    };
    let bar = show_progress(args.quiet).then(|| {
        let bar = indicatif::ProgressBar::new(args.depth as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} level {pos}/{len} {msg} {elapsed_precise}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    // Without a terminal (a CI log, a pipe) a bar would be noise: each
    // finished level is one plain line instead.
    let plain = !args.quiet && bar.is_none();
    let start = Instant::now();
    let progress = |l: Level| {
        if let Some(b) = &bar {
            b.set_position(l.depth as u64);
            b.set_message(format!(
                "{} states, {} transitions",
                l.states, l.transitions
            ));
        } else if plain {
            eprintln!(
                "level {}/{}: {} states, {} transitions, {:.1}s",
                l.depth,
                args.depth,
                l.states,
                l.transitions,
                start.elapsed().as_secs_f64()
            );
        }
    };
    let report = explore::explore(&model, &config, &progress);
    let elapsed = start.elapsed();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut s = summary(&model, &report, args);
    if args.compare_symmetry && model.symmetry().is_some() {
        // The same search without the exchange of users, then without any
        // canonical form; each count is reported beside the symmetric one.
        let counted = |what: &str, other: WorldModel| {
            let start = Instant::now();
            let r = explore::explore(&other, &config, &|_| {});
            if !args.quiet {
                eprintln!(
                    "{what}: {} states, {} transitions, {:.2}s",
                    r.states,
                    r.transitions,
                    start.elapsed().as_secs_f64()
                );
            }
            r.states
        };
        s.states_without_symmetry = Some(counted(
            "without symmetry",
            model.clone().without_symmetry(),
        ));
        s.states_users_fixed = Some(counted(
            "users held fixed",
            model.clone().with_users_fixed(),
        ));
    }
    match args.format {
        SummaryFormat::Text => out.write_all(s.text().as_bytes())?,
        SummaryFormat::Json => write_json(out, &s)?,
    }
    if let Some(ce) = &report.counterexample {
        let header = vec![format!(
            "Found by: bitsim explore {} --profile {}{} --depth {}",
            args.model.source(&model),
            model.profile(),
            mutant_flag(&model),
            args.depth
        )];
        report_counterexample(
            out,
            &model,
            ce,
            header,
            "counterexample",
            args.format == SummaryFormat::Text,
            args.out.as_ref(),
        )?;
    }
    if !args.quiet {
        let secs = elapsed.as_secs_f64().max(1e-9);
        eprintln!(
            "{:.2}s, {:.0} transitions/s, {:.0} states/s, visited set {} bytes ({:.1} bytes/state)",
            secs,
            report.transitions as f64 / secs,
            report.states as f64 / secs,
            report.visited_bytes,
            report.visited_bytes as f64 / report.states.max(1) as f64
        );
    }
    if args.format == SummaryFormat::Text {
        out.write_all(s.verdict().as_bytes())?;
    }
    Ok(s.exit_code())
}
