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
use crate::infra::gitx;

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
    // A supervisor killed while it moved HEAD left its lock: the next run must not fail on it.
    gitx::wait_out_own_lock(&repo, "HEAD.lock");
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
    // The locks a supervisor killed in the middle of this (or of `detach`) left behind.
    gitx::wait_out_own_lock(&repo, "HEAD.lock");
    gitx::wait_out_ref_lock(&repo, &branch);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = std::process::Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// A repository with branch feat/A-x checked out in worktree `wt`.
    fn repo() -> (tempfile::TempDir, PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let r = t.path().join("r");
        std::fs::create_dir(&r).unwrap();
        git(&r, &["init", "-q"]);
        git(&r, &["commit", "-q", "--allow-empty", "-m", "first"]);
        git(&r, &["worktree", "add", "-q", "-b", "feat/A-x", "wt"]);
        let wt = r.join("wt");
        (t, wt)
    }

    #[test]
    fn the_agents_commits_land_on_its_branch_and_head_goes_back_on_it() {
        let (_t, wt) = repo();
        assert_eq!(detach(&wt).unwrap().as_deref(), Some("refs/heads/feat/A-x"));
        assert_eq!(git(&wt, &["rev-parse", "--abbrev-ref", "HEAD"]), "HEAD");
        git(
            &wt,
            &["commit", "-q", "--allow-empty", "-m", "by the agent"],
        );
        let head = git(&wt, &["rev-parse", "HEAD"]);
        assert_eq!(
            reattach(&wt).unwrap(),
            Reattached::Moved {
                branch: "refs/heads/feat/A-x".into(),
                commits: true
            }
        );
        assert_eq!(git(&wt, &["symbolic-ref", "HEAD"]), "refs/heads/feat/A-x");
        assert_eq!(git(&wt, &["rev-parse", "feat/A-x"]), head);
        // Once done, there is nothing more to do (a later run, or git-epic, asks again).
        assert_eq!(reattach(&wt).unwrap(), Reattached::Nothing);
    }

    /// A supervisor killed with SIGKILL while it moved HEAD leaves `HEAD.lock` behind (found
    /// by a test that kills a run's process group: every later attempt failed on the lock).
    #[test]
    fn the_head_lock_a_killed_supervisor_left_is_no_obstacle_once_stale() {
        let (_t, wt) = repo();
        let git_dir = PathBuf::from(git(&wt, &["rev-parse", "--absolute-git-dir"]));
        let stale = |name: &str| {
            let f = std::fs::File::create(git_dir.join(name)).unwrap();
            let then = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
            f.set_modified(then).unwrap();
        };
        stale("HEAD.lock");
        assert_eq!(detach(&wt).unwrap().as_deref(), Some("refs/heads/feat/A-x"));
        git(
            &wt,
            &["commit", "-q", "--allow-empty", "-m", "by the agent"],
        );
        stale("HEAD.lock");
        assert!(matches!(
            reattach(&wt).unwrap(),
            Reattached::Moved { commits: true, .. }
        ));
        assert_eq!(git(&wt, &["symbolic-ref", "HEAD"]), "refs/heads/feat/A-x");
        assert!(!git_dir.join("HEAD.lock").exists());
    }

    #[test]
    fn a_branch_moved_meanwhile_is_left_alone_and_no_commit_is_lost() {
        let (_t, wt) = repo();
        detach(&wt).unwrap();
        git(
            &wt,
            &["commit", "-q", "--allow-empty", "-m", "by the agent"],
        );
        let head = git(&wt, &["rev-parse", "HEAD"]);
        let root = wt.parent().unwrap().to_owned();
        git(
            &root,
            &["commit", "-q", "--allow-empty", "-m", "main moves"],
        );
        git(&root, &["branch", "-f", "feat/A-x", "main"]);
        assert_eq!(
            reattach(&wt).unwrap(),
            Reattached::BranchMoved {
                branch: "refs/heads/feat/A-x".into()
            }
        );
        assert_eq!(git(&wt, &["rev-parse", "HEAD"]), head);
    }
}
