use clap::Args;

use super::Ctx;
use crate::ops::merge::{self, Finish};

#[derive(Debug, Args)]
pub struct FinishArgs {
    /// The branch to merge the epic into (default: git config epic.<name>.base)
    #[arg(long, value_name = "BRANCH")]
    pub into: Option<String>,
    /// Finish even though some tickets are not merged
    #[arg(long)]
    pub force: bool,
    /// Print JSON (result: merged, already_in or conflict; into; commit; files)
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, a: FinishArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let graph = ws.graph()?;
    let outcome = merge::finish(&ws, &graph, a.into.as_deref(), a.force)?;
    if a.json {
        let (result, into, commit, files, code) = match &outcome {
            Finish::Merged { commit, into, .. } => {
                ("merged", into, commit.map(|c| c.to_string()), vec![], 0)
            }
            Finish::AlreadyIn { into } => ("already_in", into, None, vec![], 0),
            Finish::Conflict { into, files } => ("conflict", into, None, files.clone(), 1),
        };
        ctx.out.json(
            &serde_json::json!({"result": result, "into": into, "commit": commit, "files": files}),
        )?;
        return Ok(code);
    }
    match outcome {
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
            say_what_stays(ctx, &ws, &into);
            Ok(0)
        }
        Finish::AlreadyIn { into } => {
            ctx.out.result(format!(
                "{into} already has everything in {}.",
                ws.epic.branch
            ));
            say_what_stays(ctx, &ws, &into);
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

/// The ticket files are the epic's plan, never on its branch: finish leaves them in the
/// checkout as they were. Say so, and how to keep or clear them.
fn say_what_stays(ctx: &Ctx, ws: &crate::model::epic::Workspace, into: &str) {
    let dir = ws.tasks_dir();
    let has_tickets = std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some());
    if has_tickets {
        let shown = ws.epic.tasks_dir.display();
        ctx.out.info(format!(
            "The ticket files stay in {shown}/ as they were (finish merges the epic branch, which never holds them): commit them to keep the plan on {into}, or clear them with `rm -r {shown}`. `git epic cleanup --branches` removes the worktrees and branches."
        ));
    }
}
