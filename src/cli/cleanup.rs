use clap::Args;

use super::Ctx;

#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Delete the branches of merged tickets too (only when the epic has all their commits)
    #[arg(long)]
    pub branches: bool,
    /// Print JSON: one entry per merged ticket touched (id, worktree_removed, branch_deleted, refused)
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, a: CleanupArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let graph = ws.graph()?;
    let done = crate::ops::cleanup::cleanup(&ws, &graph, a.branches)?;
    if a.json {
        ctx.out.json(&done)?;
        return Ok(if done.iter().any(|c| !c.refused.is_empty()) {
            1
        } else {
            0
        });
    }
    if done.is_empty() {
        ctx.out
            .info("Nothing to clean up: no merged ticket has a worktree or branch left.");
    }
    let mut refused = false;
    for c in &done {
        if c.worktree_removed {
            ctx.out.result(format!(
                "{}: removed worktree {}",
                c.id,
                ws.worktree_path(&c.id).display()
            ));
        }
        if let Some(b) = &c.branch_deleted {
            ctx.out.result(format!("{}: deleted branch {b}", c.id));
        }
        for why in &c.refused {
            refused = true;
            ctx.out.warn(format!("{}: {why}", c.id));
        }
    }
    Ok(if refused { 1 } else { 0 })
}
