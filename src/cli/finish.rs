use clap::Args;

use super::Ctx;
use crate::merge::{self, Finish};

#[derive(Debug, Args)]
pub struct FinishArgs {
    /// The branch to merge the epic into (default: git config epic.<name>.base)
    #[arg(long, value_name = "BRANCH")]
    pub into: Option<String>,
    /// Finish even though some tickets are not merged
    #[arg(long)]
    pub force: bool,
}

pub fn run(ctx: &Ctx, a: FinishArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let graph = ws.graph()?;
    match merge::finish(&ws, &graph, a.into.as_deref(), a.force)? {
        Finish::Merged {
            commit,
            into,
            checkout,
        } => {
            let short = commit
                .map(|c| c.to_hex_with_len(10).to_string())
                .unwrap_or_default();
            ctx.out
                .result(format!("Merged {} into {into} ({short}).", ws.epic.branch));
            if let Some(wt) = checkout {
                ctx.out
                    .info(format!("The checkout at {} was updated.", wt.display()));
            }
            Ok(0)
        }
        Finish::AlreadyIn { into } => {
            ctx.out.result(format!(
                "{into} already has everything in {}.",
                ws.epic.branch
            ));
            Ok(0)
        }
        Finish::Conflict { into, files } => {
            ctx.out.result(format!(
                "Merging {} into {into} conflicts in {}; nothing was changed. Merge {into} into the epic and resolve there first.",
                ws.epic.branch,
                files.join(", ")
            ));
            Ok(1)
        }
    }
}
