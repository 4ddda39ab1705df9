//! `bitsim rules`: the access-check rule table that decision trails cite
//! (`winsec::rules::ACCESS_RULES`).
//!
//! Text: for each rule its id, then the statement and `source: ...`
//! indented by four spaces, rules separated by a blank line. `--json`: an
//! array of `{"id", "statement", "source"}` in the order the check applies
//! them.

use std::io::Write;

use clap::Args;
use winsec::rules::ACCESS_RULES;

use crate::command::write_json;
use crate::{CliError, ExitCode};

/// Arguments of `bitsim rules`.
#[derive(Debug, Clone, Args)]
pub struct RulesArgs {
    /// Print the table as a JSON array.
    #[arg(long)]
    pub json: bool,
}

/// Prints the rule table.
pub fn run(args: &RulesArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    if args.json {
        write_json(out, ACCESS_RULES)?;
        return Ok(ExitCode::Ok);
    }
    for (n, rule) in ACCESS_RULES.iter().enumerate() {
        if n > 0 {
            writeln!(out)?;
        }
        writeln!(out, "{}", rule.id)?;
        writeln!(out, "    {}", rule.statement)?;
        writeln!(out, "    source: {}", rule.source)?;
    }
    Ok(ExitCode::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lists_every_rule() {
        let mut out = Vec::new();
        run(&RulesArgs { json: false }, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        for rule in ACCESS_RULES {
            assert!(text.contains(&format!("{}\n    ", rule.id)));
        }
    }

    #[test]
    fn json_is_an_array_of_rules() {
        let mut out = Vec::new();
        run(&RulesArgs { json: true }, &mut out).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value.as_array().map(Vec::len), Some(ACCESS_RULES.len()));
        assert!(value[0]["id"].is_string());
    }
}
