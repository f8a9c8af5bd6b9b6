//! What propagate is about to do in a worktree, written in the worktree's git dir before it
//! acts, so that a git epic killed in the middle leaves nothing half-done: the next command
//! that touches the worktree undoes the rebase it started, commits what its lint-fix left,
//! and gives back the stash it took.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::infra::error::Result;
use crate::{infra::gitx, infra::process};

/// `refs/stash` is one stack shared by every worktree, and propagate works on several at
/// once: pushing and finding our entry again happen under one lock, and each worktree gets
/// back exactly its own stash commit, never "the top of the stack".
pub static STASH: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The message of the stash propagate takes with `--autostash`.
pub const STASH_MESSAGE: &str = "git-epic propagate autostash";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Intent {
    /// The propagating git epic: a live one owns the worktree, a dead one left it to us.
    pub pid: u32,
    pub pid_start: Option<u64>,
    /// HEAD before the rebase.
    pub old_head: Option<String>,
    /// The branch checked out there, to go back to when a rebase cut off at its start
    /// cannot be aborted.
    #[serde(default)]
    pub branch: Option<String>,
    /// The autostash: being pushed (its commit not known yet), or pushed.
    pub stash: Stash,
    /// Set from when the worktree is clean (checked, or stashed) until its lint-fix starts:
    /// an in-process rebase (`gitx::transplant`) may have the branch and its files half
    /// moved, and nothing but propagate changed the files.
    #[serde(default)]
    pub moving: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stash {
    None,
    Pushing,
    Pushed(String),
}

fn path(git_dir: &Path) -> PathBuf {
    git_dir.join("epic-propagate.json")
}

/// Say what is about to happen in the worktree whose git dir is `git_dir`.
pub fn write(git_dir: &Path, old_head: Option<String>, stash: Stash, moving: bool) -> Result<()> {
    let me = std::process::id();
    let branch = std::fs::read_to_string(git_dir.join("HEAD"))
        .ok()
        .and_then(|h| h.trim().strip_prefix("ref: refs/heads/").map(str::to_owned));
    let intent = Intent {
        pid: me,
        pid_start: process::start_time(me),
        old_head,
        branch,
        stash,
        moving,
    };
    crate::infra::supervisor::write_atomic(&path(git_dir), &intent)
        .with_context(|| format!("could not write {}", path(git_dir).display()))
}

/// The propagation of this worktree is over (whatever came of it).
pub fn clear(git_dir: &Path) {
    let _ = std::fs::remove_file(path(git_dir));
}

/// Whether a propagate left its intent in the worktree whose git dir is `git_dir` (a
/// killed one, or one still running there).
pub fn pending(git_dir: &Path) -> bool {
    path(git_dir).exists()
}

/// Finish or undo what a killed propagate left in worktree `wt`; what was done, if
/// anything. A propagate still running there is left alone.
pub fn recover(wt: &Path) -> Result<Option<String>> {
    let repo = gix::open(wt)?;
    let git_dir = repo.git_dir().to_owned();
    let Ok(text) = std::fs::read_to_string(path(&git_dir)) else {
        return Ok(None);
    };
    let Ok(intent) = serde_json::from_str::<Intent>(&text) else {
        clear(&git_dir);
        return Ok(None);
    };
    if process::is_alive(intent.pid, intent.pid_start) {
        return Ok(None);
    }
    let mut done = Vec::new();
    if git_dir.join("rebase-merge").exists() || git_dir.join("rebase-apply").exists() {
        if gitx::git(wt, &["rebase", "--abort"]).is_err() {
            // Cut off while it was setting itself up: its state is incomplete. The branch
            // itself moves only when a rebase ends, so going back to it is the abort.
            gitx::git(wt, &["rebase", "--quit"])?;
            if let Some(branch) = &intent.branch {
                gitx::git(wt, &["checkout", "--force", "--quiet", branch])?;
            }
        }
        done.push("aborted the rebase it had started".to_owned());
    }
    if intent.moving {
        // The worktree was clean (or its work stashed) when this was written: what differs
        // from the branch is what an in-process rebase wrote, before or after the branch
        // moved. Putting the files back on the branch finishes or undoes it. Killed
        // with the index locked, it left the lock: it goes once stale.
        gitx::wait_out_index_lock(wt);
        // What differs may also be a person's edits made since: kept in the stash list
        // before the reset, so that the reset can never be what loses them.
        let kept = {
            let _turn = STASH.lock().unwrap_or_else(|p| p.into_inner());
            let sha = gitx::git(wt, &["stash", "create"])?;
            if !sha.is_empty() {
                let message = "git-epic: the worktree as a killed propagate left it";
                gitx::git(wt, &["stash", "store", "-m", message, &sha])?;
            }
            sha
        };
        gitx::git(wt, &["reset", "--hard", "--quiet"])?;
        done.push("put the files back on the branch its rebase left".to_owned());
        if !kept.is_empty() {
            done.push(format!(
                "kept the files it found in the stash (`git stash apply {}` brings them back)",
                &kept[..kept.len().min(12)]
            ));
        }
    }
    drop(repo);
    let dirty = gix::open(wt).map(|r| gitx::is_dirty(&r).unwrap_or(false))?;
    if dirty && intent.stash == Stash::None {
        // Clean before (propagate skips a dirty worktree without --autostash): what is
        // there now is what its lint-fix changed, which propagate commits.
        if gitx::commit_all(wt, "epic: lint-fix after propagate")? {
            done.push("committed what its lint-fix left".to_owned());
        }
    }
    let stash = match &intent.stash {
        Stash::None => None,
        Stash::Pushed(sha) => Some(sha.clone()),
        // Killed while stashing: the entry, if it was made, is ours by message and parent.
        Stash::Pushing => find_stash(wt, intent.old_head.as_deref())?,
    };
    if let Some(sha) = stash {
        // The stash stack is shared by every worktree: find our entry and drop it while no
        // other worker pushes or drops.
        let _turn = STASH.lock().unwrap_or_else(|p| p.into_inner());
        let listed = gitx::git(wt, &["stash", "list", "--format=%H"]).unwrap_or_default();
        if let Some(n) = listed.lines().position(|l| l == sha) {
            match gitx::git(wt, &["stash", "apply", "--index", "--quiet", &sha]) {
                Ok(_) => {
                    let _ = gitx::git(wt, &["stash", "drop", "--quiet", &format!("stash@{{{n}}}")]);
                    done.push("restored its autostash".to_owned());
                }
                Err(_) => done.push(format!(
                    "kept its autostash {} (it does not apply cleanly; git stash apply it by hand)",
                    &sha[..sha.len().min(8)]
                )),
            }
        }
    }
    clear(&git_dir);
    Ok(Some(if done.is_empty() {
        "nothing was left half-done".to_owned()
    } else {
        done.join("; ")
    }))
}

/// The stash entry propagate pushed in a worktree whose HEAD was `head`.
fn find_stash(wt: &Path, head: Option<&str>) -> Result<Option<String>> {
    let Some(head) = head else { return Ok(None) };
    let list = gitx::git(wt, &["stash", "list", "--format=%H %P %gs"]).unwrap_or_default();
    Ok(list.lines().find_map(|l| {
        let mut w = l.splitn(3, ' ');
        let (sha, first_parent) = (w.next()?, w.next()?);
        (first_parent == head && l.ends_with(STASH_MESSAGE)).then(|| sha.to_owned())
    }))
}
/// [`recover`] what a killed propagate left in worktree `wt`, and say so in the ticket's
/// log (a line of its own: a reader of the log sees why its branch or stash moved).
pub fn recover_and_log(wt: &Path, log: &Path) -> Result<()> {
    if let Some(what) = recover(wt)? {
        let _ = crate::infra::log::log_line(
            log,
            &format!("=== git-epic: an interrupted propagate was recovered: {what} ==="),
        );
    }
    Ok(())
}
