//! A ticket's worktree and git-epic's own scratch checkouts, below every stage that uses
//! them: made ready to work in (ready: submodules, carried ignored files, setup), what a
//! killed propagate left (intent), the hold that keeps propagation off a ticket in the
//! merge queue, the queue's scratch worktrees, and removing a worktree.

use std::path::Path;

use anyhow::anyhow;

use crate::infra::error::Result;
use crate::infra::gitx;
use crate::model::epic::Workspace;

pub mod carry;
pub mod hold;
pub mod intent;
pub mod ready;
pub mod scratch;

/// Remove a clean ticket worktree (`git worktree remove`, which refuses a dirty one too).
pub fn remove_worktree(ws: &Workspace, path: &Path) -> Result<()> {
    // What a killed propagate left (a rebase, a stash) is put right before anything goes.
    intent::recover(path)?;
    if path.join(".gitmodules").is_file() {
        return remove_with_submodules(ws, path);
    }
    let repo = gix::open(path)?;
    if gitx::is_dirty(&repo)? {
        // A removal cut off half-way (a killed cleanup) leaves tracked files deleted and
        // nothing else: their content is in the branch's commits, so finish the removal.
        let status = gitx::git(path, &["status", "--porcelain", "--untracked-files=all"])?;
        let only_deletions = status
            .lines()
            .all(|l| l.starts_with(" D ") || l.starts_with("D  "));
        if !only_deletions {
            return Err(anyhow!(
                "{} has uncommitted changes; commit or stash them, then run cleanup again",
                path.display()
            ));
        }
        gitx::remove_worktree_force(&ws.root, path)?;
        return Ok(());
    }
    gitx::remove_worktree(&ws.root, path)?;
    Ok(())
}

/// `git worktree remove` refuses a worktree with submodules outright: git-epic checks what
/// it would check (and what is in the submodules) itself, then removes it by force, the
/// carried files and the submodules' clones with it.
fn remove_with_submodules(ws: &Workspace, path: &Path) -> Result<()> {
    let only_here = gitx::commits_only_in(&ws.root, path)?;
    if !only_here.is_empty() {
        return Err(anyhow!(
            "{} has submodule commits found nowhere else: {}; push them or fetch them into the main checkout's submodules, then run cleanup again",
            path.display(),
            only_here.join(", ")
        ));
    }
    let status = gitx::git(
        path,
        &[
            "status",
            "--porcelain",
            "--untracked-files=all",
            "--ignore-submodules=none",
        ],
    )?;
    // As above, only deleted tracked files are what a cut-off removal leaves.
    if !status
        .lines()
        .all(|l| l.starts_with(" D ") || l.starts_with("D  "))
    {
        return Err(anyhow!(
            "{} has uncommitted changes; commit or stash them, then run cleanup again",
            path.display()
        ));
    }
    gitx::remove_worktree_force(&ws.root, path)?;
    Ok(())
}
