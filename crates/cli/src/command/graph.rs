//! `bitsim graph`: the BITS job state machine as a bounded model's
//! transitions exercise it, or the explored state graph of a small model,
//! as DOT or Mermaid.

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
    /// Operations after the setup to walk.
    #[arg(long, default_value_t = 4)]
    pub depth: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
}

/// The graphs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphKind {
    /// Job states and the operations that move a job between them.
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
    let model = args.model.build()?;
    let g = match args.kind {
        GraphKind::JobStates => explore::graph::job_states(&model, args.depth),
        GraphKind::States => explore::graph::states(&model, args.depth),
    };
    let title = format!("{} {}", explore::Model::name(&model), model.profile());
    match args.format {
        GraphFormat::Dot => out.write_all(g.dot(&title).as_bytes())?,
        GraphFormat::Mermaid => out.write_all(g.mermaid().as_bytes())?,
    }
    Ok(ExitCode::Ok)
}
