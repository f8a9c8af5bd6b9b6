//! `git epic cleanup`: remove the worktrees (and branches) of merged tickets, refusing any
//! that still hold work: uncommitted changes, or commits the epic does not have.

use anyhow::anyhow;

use crate::infra::error::Result;
use crate::infra::gitx;
use crate::model::epic::Workspace;
use crate::model::graph::Graph;
use crate::model::state::{State, Store};

/// What cleanup did for one merged ticket.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Cleaned {
    pub id: String,
    /// The worktree was removed now.
    pub worktree_removed: bool,
    /// The branch was deleted now.
    pub branch_deleted: Option<String>,
    /// Why something was kept.
    pub refused: Vec<String>,
}

pub use crate::ops::worktree::remove_worktree;

pub fn cleanup(ws: &Workspace, graph: &Graph, branches: bool) -> Result<Vec<Cleaned>> {
    let store = Store::new(&ws.repo, &ws.epic.name);
    let ids: Vec<&str> = graph.tickets.iter().map(|t| t.id.as_str()).collect();
    let notes = store.get_many(&ids)?;
    let epic_tip = gitx::branch_tip(&ws.repo, &ws.epic.branch)?
        .ok_or_else(|| anyhow!("the epic branch {} is gone", ws.epic.branch))?;
    // Worktrees whose directory a cut-off removal already deleted.
    gitx::prune_worktrees(&ws.root)?;
    let mut out = Vec::new();
    for id in ids {
        let Some(Ok(note)) = notes.get(id) else {
            continue;
        };
        if note.state != State::Merged {
            continue;
        }
        let mut c = Cleaned {
            id: id.to_owned(),
            worktree_removed: false,
            branch_deleted: None,
            refused: Vec::new(),
        };
        let path = ws.worktree_path(id);
        let mut worktree_kept = false;
        if path.join(".git").exists() {
            match remove_worktree(ws, &path) {
                Ok(()) => c.worktree_removed = true,
                Err(e) => {
                    worktree_kept = true;
                    c.refused.push(format!("{e:#}"));
                }
            }
        }
        if branches && !worktree_kept {
            if let Some(branch) = &note.branch {
                if let Some(tip) = gitx::branch_tip(&ws.repo, branch)? {
                    let (ahead, _) = gitx::ahead_behind(&ws.repo, tip, epic_tip)?;
                    if ahead > 0 {
                        c.refused.push(format!(
                            "{branch} has {ahead} commit(s) that are not in {}; kept",
                            ws.epic.branch
                        ));
                    } else {
                        gitx::delete_branch(&ws.repo, branch, tip)?;
                        c.branch_deleted = Some(branch.clone());
                    }
                }
            }
        }
        if c.worktree_removed || c.branch_deleted.is_some() || !c.refused.is_empty() {
            out.push(c);
        }
    }
    // The merge queue's scratch worktrees are only caches: they go once nothing is left
    // to merge.
    let all_merged = notes
        .values()
        .all(|n| matches!(n, Ok(n) if n.state == State::Merged))
        && notes.len() == graph.tickets.len();
    if all_merged {
        crate::ops::worktree::scratch::remove_all(
            &ws.root,
            ws.repo.common_dir(),
            &ws.worktrees_dir(),
            &ws.epic.name,
        )?;
    }
    Ok(out)
}
