use clap::Args;

use super::Ctx;
use crate::model::epic::Workspace;

#[derive(Debug, Args)]
pub struct JoinArgs {
    /// The epic's name on the remote
    pub name: String,
    /// The remote it is published on (default: git config epic.remote, else origin)
    #[arg(long, value_name = "REMOTE")]
    pub remote: Option<String>,
}

pub fn run(ctx: &Ctx, a: JoinArgs) -> anyhow::Result<i32> {
    let cwd = std::env::current_dir()?;
    let repo = crate::infra::gitx::discover(&cwd)?;
    let root = crate::infra::gitx::main_workdir(&repo)?;
    let remote = a
        .remote
        .or_else(|| crate::infra::config::remote_of(&repo, &a.name))
        .unwrap_or_else(|| "origin".into());
    let epic = crate::ops::remote::join(&root, &repo, &remote, &a.name)?;
    ctx.out.result(format!(
        "Joined epic `{}` from {remote}: branch {}, tickets in {}/.",
        epic.name,
        epic.branch,
        epic.tasks_dir.display()
    ));
    let ws = Workspace::open(&cwd, Some(&epic.name))?;
    let r = crate::ops::remote::sync(&ws)?;
    super::sync::render(ctx, &r, &ws.epic.branch);
    Ok(0)
}
