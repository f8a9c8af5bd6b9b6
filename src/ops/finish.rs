//! `git epic finish`: the epic merged into its base (or `--into`). Where the target is
//! checked out, `git merge` runs there so that its files follow; that merge writes its
//! intent first (the target's HEAD before it) in the checkout's git dir, so a finish killed
//! in the middle is rolled back by the next one, and never leaves a half-updated checkout.

use anyhow::anyhow;
use gix::ObjectId;
use serde::{Deserialize, Serialize};

use crate::infra::error::{usage, Result};
use crate::infra::gitx::{self, TreeMerge};
use crate::infra::process;
use crate::model::epic::Workspace;
use crate::model::graph::Graph;
use crate::model::state::{State, Store};

/// How `finish` ended.
#[derive(Debug)]
pub enum Finish {
    Merged {
        commit: Option<ObjectId>,
        into: String,
        checkout: Option<std::path::PathBuf>,
    },
    AlreadyIn {
        into: String,
    },
    Conflict {
        into: String,
        files: Vec<String>,
    },
}

/// Merge the epic into its base (or `into`). Refuses while tickets are unmerged (unless
/// `force`) and when the target's checkout has uncommitted changes; a conflict changes nothing.
pub fn finish(ws: &Workspace, graph: &Graph, into: Option<&str>, force: bool) -> Result<Finish> {
    let target = into
        .map(str::to_owned)
        .unwrap_or_else(|| ws.epic.base.clone());
    let Some(target_tip) = gitx::branch_tip(&ws.repo, &target)? else {
        return Err(usage(format!(
            "`{target}` is not a local branch; pass --into <branch>."
        )));
    };
    if target == ws.epic.branch {
        return Err(usage("An epic cannot be finished into its own branch."));
    }
    let store = Store::new(&ws.repo, &ws.epic.name);
    let ids: Vec<&str> = graph.tickets.iter().map(|t| t.id.as_str()).collect();
    let notes = store.get_many(&ids)?;
    let unmerged: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| !matches!(notes.get(*id), Some(Ok(n)) if n.state == State::Merged))
        .collect();
    if !unmerged.is_empty() && !force {
        return Err(usage(format!(
            "{} ticket(s) are not merged yet ({}); merge them or pass --force.",
            unmerged.len(),
            unmerged.join(", ")
        )));
    }
    let epic_tip = gitx::branch_tip(&ws.repo, &ws.epic.branch)?
        .ok_or_else(|| anyhow!("the epic branch {} is gone", ws.epic.branch))?;
    if gitx::ahead_behind(&ws.repo, epic_tip, target_tip)?.0 == 0 {
        return Ok(Finish::AlreadyIn { into: target });
    }
    let checkout = gitx::checked_out_at(&ws.repo, &target)?;
    if let Some(wt) = &checkout {
        recover(wt, epic_tip)?;
        let repo = gix::open(wt)?;
        // Untracked files do not block (git merge itself refuses to overwrite one).
        if repo.is_dirty()? {
            return Err(usage(format!(
                "{target} is checked out in {} with uncommitted changes; commit or stash them first.",
                wt.display()
            )));
        }
    }
    let message = format!("Merge epic {} ({})", ws.epic.name, ws.epic.branch);
    let tree = match gitx::merge_tree(&ws.root, target_tip, epic_tip)? {
        TreeMerge::Conflicts(files) => {
            return Ok(Finish::Conflict {
                into: target,
                files,
            })
        }
        TreeMerge::Clean(tree) => tree,
    };
    match &checkout {
        // Merge where it is checked out, so that its files follow; merge-tree said it is clean.
        Some(wt) => {
            let git_dir = gix::open(wt)?.git_dir().to_owned();
            write_intent(&git_dir, target_tip)?;
            gitx::git(
                wt,
                &[
                    "merge",
                    "--no-ff",
                    "--quiet",
                    "-m",
                    &message,
                    &ws.epic.branch,
                ],
            )?;
            let _ = std::fs::remove_file(intent_path(&git_dir));
            Ok(Finish::Merged {
                commit: gitx::branch_tip(&ws.repo, &target)?,
                into: target,
                checkout,
            })
        }
        None => {
            let commit = gitx::commit_and_move(
                &ws.repo,
                &target,
                target_tip,
                tree,
                &[target_tip, epic_tip],
                &message,
            )?;
            Ok(Finish::Merged {
                commit: Some(commit),
                into: target,
                checkout,
            })
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Intent {
    pid: u32,
    pid_start: Option<u64>,
    /// The target's HEAD before the merge.
    old_head: String,
}

fn intent_path(git_dir: &std::path::Path) -> std::path::PathBuf {
    git_dir.join("epic-finish.json")
}

fn write_intent(git_dir: &std::path::Path, old_head: ObjectId) -> Result<()> {
    let me = std::process::id();
    let intent = Intent {
        pid: me,
        pid_start: process::start_time(me),
        old_head: old_head.to_string(),
    };
    crate::infra::supervisor::write_atomic(&intent_path(git_dir), &intent)
        .map_err(|e| anyhow!("could not write {}: {e}", intent_path(git_dir).display()))
}

/// Roll back what a finish killed in the middle of its `git merge` left in checkout `wt`.
/// Only changes that are the merge's own (each changed file as the epic has it) are
/// undone; anything else is the user's, and the finish stops and says so.
fn recover(wt: &std::path::Path, epic_tip: ObjectId) -> Result<()> {
    let repo = gix::open(wt)?;
    let git_dir = repo.git_dir().to_owned();
    let Ok(text) = std::fs::read_to_string(intent_path(&git_dir)) else {
        return Ok(());
    };
    let Ok(intent) = serde_json::from_str::<Intent>(&text) else {
        let _ = std::fs::remove_file(intent_path(&git_dir));
        return Ok(());
    };
    if process::is_alive(intent.pid, intent.pid_start) {
        return Err(usage(format!(
            "Another git epic finish (pid {}) is merging in {}; wait for it.",
            intent.pid,
            wt.display()
        )));
    }
    let head = repo.head_id().map(|h| h.detach().to_string()).ok();
    drop(repo);
    gitx::wait_out_index_lock(wt);
    if head.as_deref() == Some(intent.old_head.as_str()) {
        if git_dir.join("MERGE_HEAD").exists() {
            gitx::git(wt, &["merge", "--abort"])?;
        } else {
            let status = gitx::git(wt, &["status", "--porcelain", "--untracked-files=no"])?;
            let epic = epic_tip.to_string();
            let merges_own = status.lines().all(|l| {
                let path = l.get(3..).unwrap_or("");
                let at_epic = gitx::git(wt, &["rev-parse", &format!("{epic}:{path}")]).ok();
                let on_disk = gitx::git(wt, &["hash-object", "--", path]).ok();
                at_epic.is_some() && at_epic == on_disk
            });
            if !merges_own {
                return Err(usage(format!(
                    "A finish was cut off in {} and files there changed since; `git reset --merge` there restores its HEAD {}.",
                    wt.display(),
                    &intent.old_head[..intent.old_head.len().min(10)]
                )));
            }
            if !status.is_empty() {
                gitx::git(wt, &["reset", "--hard", "--quiet", &intent.old_head])?;
            }
        }
    }
    let _ = std::fs::remove_file(intent_path(&git_dir));
    Ok(())
}
