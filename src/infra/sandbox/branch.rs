//! A confined agent commits on a detached HEAD; its supervisor moves the branch after it.
//!
//! Why: git updates `refs/heads/feat/<id>-<slug>` through `feat/<id>-<slug>.lock` created in
//! `refs/heads/feat/`, and Landlock can only allow that creation for the whole directory,
//! which holds every other ticket's branch too. A detached HEAD lives in the worktree's
//! private git dir (`.git/worktrees/<name>/HEAD`), which the agent may write; nothing in
//! `refs/` needs to be. The branch name and its tip at the start are kept in a marker in that
//! dir, so that a supervisor killed before it reattached is made good by the next one (or by
//! git-epic before it touches the worktree).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};
use gix::refs::Target;

use crate::infra::error::Result;

const MARKER: &str = "epic-sandbox-branch";

fn marker(repo: &gix::Repository) -> PathBuf {
    repo.git_dir().join(MARKER)
}

fn update(name: &str, expected: PreviousValue, new: Target, message: &str) -> Result<RefEdit> {
    Ok(RefEdit {
        change: Change::Update {
            log: LogChange {
                mode: RefLog::AndReference,
                force_create_reflog: false,
                message: message.into(),
            },
            expected,
            new,
        },
        name: name.try_into().context("a valid ref name")?,
        deref: false,
    })
}

/// Detach the HEAD of `worktree` from its branch, remembering both. Returns the branch, or
/// `None` when HEAD was not on a branch (then there is nothing to move after the run).
pub fn detach(worktree: &Path) -> Result<Option<String>> {
    let repo = gix::open(worktree).context("could not open the worktree")?;
    let Some(name) = repo.head_name()? else {
        return Ok(None);
    };
    let Ok(tip) = repo.head_id() else {
        return Ok(None);
    };
    let tip = tip.detach();
    let name = name.as_bstr().to_string();
    std::fs::write(marker(&repo), format!("{name}\n{tip}\n"))
        .context("could not write the sandbox marker")?;
    repo.edit_reference(update(
        "HEAD",
        PreviousValue::MustExistAndMatch(Target::Symbolic(name.as_str().try_into()?)),
        Target::Object(tip),
        "git-epic: HEAD detached for a confined agent",
    )?)?;
    Ok(Some(name))
}

/// What [`reattach`] did.
#[derive(Debug, PartialEq)]
pub enum Reattached {
    /// No run of ours had detached this worktree.
    Nothing,
    /// The branch now has the agent's commits (or none were made) and HEAD is on it again.
    Moved { branch: String, commits: bool },
    /// The agent put HEAD on a branch itself: left as it is.
    AgentSwitched(String),
    /// The branch moved while the agent ran: HEAD is left detached at the agent's commit.
    BranchMoved { branch: String },
}

/// Put the branch that [`detach`] remembered on the agent's last commit and HEAD back on
/// the branch. Never loses a commit: a branch that moved meanwhile is left alone.
pub fn reattach(worktree: &Path) -> Result<Reattached> {
    let Ok(repo) = gix::open(worktree) else {
        return Ok(Reattached::Nothing);
    };
    let path = marker(&repo);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(Reattached::Nothing);
    };
    let mut lines = text.lines();
    let (Some(branch), Some(start)) = (lines.next(), lines.next()) else {
        let _ = std::fs::remove_file(&path);
        return Ok(Reattached::Nothing);
    };
    let branch = branch.to_owned();
    let start = gix::ObjectId::from_hex(start.as_bytes()).map_err(|e| anyhow!("{e}"))?;
    if let Some(now) = repo.head_name()? {
        std::fs::remove_file(&path)?;
        let now = now.as_bstr().to_string();
        return Ok(if now == branch {
            Reattached::Moved {
                branch,
                commits: false,
            }
        } else {
            Reattached::AgentSwitched(now)
        });
    }
    let head = repo.head_id().context("the worktree's HEAD")?.detach();
    let tip = repo
        .find_reference(branch.as_str())
        .ok()
        .and_then(|mut r| r.peel_to_id().ok())
        .map(|id| id.detach());
    if tip != Some(start) {
        std::fs::remove_file(&path)?;
        return Ok(Reattached::BranchMoved { branch });
    }
    let commits = head != start;
    let mut edits = Vec::new();
    if commits {
        edits.push(update(
            &branch,
            PreviousValue::MustExistAndMatch(Target::Object(start)),
            Target::Object(head),
            "git-epic: the confined agent's commits",
        )?);
    }
    edits.push(update(
        "HEAD",
        PreviousValue::MustExistAndMatch(Target::Object(head)),
        Target::Symbolic(branch.as_str().try_into()?),
        "git-epic: HEAD back on the ticket's branch",
    )?);
    repo.edit_references(edits)?;
    std::fs::remove_file(&path)?;
    Ok(Reattached::Moved { branch, commits })
}
