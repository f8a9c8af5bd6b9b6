use clap::Args;

use super::Ctx;
use crate::model::epic::{init, InitOptions};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The epic's name; its branch is epic/<name>
    pub name: String,
    /// What the epic starts from and what `finish` merges into (default: the current branch)
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Where ticket files go, relative to the repository (default: tasks)
    #[arg(long, value_name = "DIR")]
    pub tasks_dir: Option<String>,
    /// Where ticket worktrees go, relative to the repository (default: worktrees)
    #[arg(long, value_name = "DIR")]
    pub worktrees_dir: Option<String>,
}

pub fn run(ctx: &Ctx, a: InitArgs) -> anyhow::Result<i32> {
    let epic = init(
        &ctx.cwd,
        &InitOptions {
            name: &a.name,
            base: a.base.as_deref(),
            tasks_dir: a.tasks_dir.as_deref(),
            worktrees_dir: a.worktrees_dir.as_deref(),
        },
    )?;
    ctx.out.result(format!(
        "Created epic `{}` on branch {} from {}.",
        epic.name, epic.branch, epic.base
    ));
    ctx.out.info(format!(
        "Tickets go in {}/ (git epic ticket add <id>), worktrees in {}/; your checkout is unchanged.",
        epic.tasks_dir.display(),
        epic.worktrees_dir.display()
    ));
    // With epic.remote, the epic is published for the other machines at once.
    let ws = crate::model::epic::Workspace::open(&ctx.cwd, Some(&epic.name))?;
    if crate::infra::config::remote_of(&ws.repo, &epic.name).is_some() {
        let r = crate::ops::remote::sync(&ws)?;
        super::sync::render(ctx, &r, &epic.branch);
        if r.offline.is_none() {
            ctx.out.info(format!(
                "Published on {}: other machines join it with `git epic join {}`.",
                r.remote, epic.name
            ));
        }
    }
    Ok(0)
}
