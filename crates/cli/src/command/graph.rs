//! `bitsim graph`: the BITS job state machine as the engine's transitions
//! make it (all nine states, from method calls and from the environment),
//! or the explored state graph of a small model, as DOT or Mermaid.

use std::io::Write;

use clap::{Args, ValueEnum};

use crate::command::model_args::ModelArgs;
use crate::{CliError, ExitCode};

/// Arguments of `bitsim graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Which graph.
    #[arg(value_enum, default_value_t = GraphKind::JobStates)]
    pub kind: GraphKind,
    /// The model.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Operations after the setup to walk (default: 4; for the job state
    /// machine, enough to reach every state).
    #[arg(long)]
    pub depth: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
}

/// The graphs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphKind {
    /// Job states and the operations that move a job between them: the
    /// engine's whole state machine (or, with `--from`, what a scenario's
    /// model exercises).
    JobStates,
    /// Every explored state and transition (keep `--depth` small).
    States,
}

/// Graph formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// Mermaid.
    Mermaid,
}

/// Runs `bitsim graph`.
pub fn run(args: &GraphArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let (g, title) = match (args.kind, &args.model.from) {
        // The engine's whole state machine, unless a scenario seeds the
        // model.
        (GraphKind::JobStates, None) => {
            let machine = explore::graph::job_machine(args.model.profile, args.model.mutant)
                .map_err(|e| CliError::InvalidArgument(e.0))?;
            let depth = args.depth.unwrap_or(explore::graph::JOB_MACHINE_DEPTH);
            (
                explore::graph::job_states(&machine, depth),
                format!("job states {}", machine.profile()),
            )
        }
        (kind, _) => {
            let model = args.model.build()?;
            let depth = args.depth.unwrap_or(4);
            let g = match kind {
                GraphKind::JobStates => explore::graph::job_states(&model, depth),
                GraphKind::States => explore::graph::states(&model, depth),
            };
            (
                g,
                format!("{} {}", explore::Model::name(&model), model.profile()),
            )
        }
    };
    match args.format {
        GraphFormat::Dot => out.write_all(g.dot(&title).as_bytes())?,
        GraphFormat::Mermaid => out.write_all(g.mermaid().as_bytes())?,
    }
    Ok(ExitCode::Ok)
}
