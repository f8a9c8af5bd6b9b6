use clap::{ArgGroup, Args};
use console::style;

use super::Ctx;
use crate::infra::config::Settings;
use crate::ops::context::{self, Writer, Written};

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("writer").args(["agent", "no_agent"])))]
pub struct ContextArgs {
    /// The agent profile that writes it (default: epic.agent)
    #[arg(long, value_name = "PROFILE")]
    pub agent: Option<String>,
    /// Write it without an agent: the tree's folders and each ticket's scope and forbid
    #[arg(long)]
    pub no_agent: bool,
}

pub fn run(ctx: &Ctx, a: ContextArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let settings = Settings::load(&ws.repo.config_snapshot(), &ws.epic.name)?;
    let graph = ws.graph()?;
    if let Some(p) = &a.agent {
        context::check_profile(&ws, p)?;
    }
    let writer = if a.no_agent {
        Writer::Mechanical
    } else {
        ctx.out
            .info("An agent is writing CONTEXT.md on the epic branch...");
        Writer::Agent(a.agent.clone())
    };
    match context::write(&ws, &settings, &graph, writer)? {
        Written::Committed { commit, log } => {
            ctx.out.result(format!(
                "CONTEXT.md {} on {} ({}); every ticket's prompt carries it",
                style("committed").green(),
                ws.epic.branch,
                commit.to_hex_with_len(10)
            ));
            if let Some(log) = log {
                ctx.out
                    .info(format!("the agent's output: {}", log.display()));
            }
        }
        Written::Unchanged => ctx.out.result(format!(
            "CONTEXT.md on {} is already what was written; nothing to commit",
            ws.epic.branch
        )),
    }
    Ok(0)
}
