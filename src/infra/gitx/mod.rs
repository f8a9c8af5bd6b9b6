//! All git access: nothing outside this folder starts `git`. Refs, objects, config and
//! commits are read and written through gix in process; the `git` CLI (via duct, through
//! [`git`], [`merge_tree`] and [`transport`]) runs for what gix cannot do (worktree add,
//! rebase, stash, merge-tree, fetch and push, commits in agent worktrees) and for text made
//! for people (the diffs, logs and stats review shows, `git remote get-url`).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use gix::bstr::ByteSlice;
use gix::refs::transaction::PreviousValue;
use gix::ObjectId;

use crate::infra::error::{usage, Result};

mod dirty;
mod history;
mod locks;
mod snapshot;
mod submodules;
#[cfg(test)]
mod testing;
mod transplant;
pub mod transport;
mod worktrees;

pub use dirty::is_dirty;
pub use history::{ahead_behind, bookkeeping_commit, find_on_first_parents, is_ancestor};
pub use locks::{remove_stale_ref_lock, wait_out_own_lock, wait_out_ref_lock, STALE_LOCK};
pub use snapshot::{Keyed, Remembered, Snapshot, WorktreeReader};
pub use submodules::{checkout_submodules, commits_only_in, ignored_matching, Follow};
pub use transplant::{transplant, Transplant};
pub use worktrees::{
    checkout_detached, commit_dirs, ensure_detached_worktree, ensure_worktree, is_unready,
    mark_ready, prune_worktrees, remove_worktree, remove_worktree_force, wait_out_index_lock,
};

/// Open the repository that contains `dir`, from any subdirectory or linked worktree.
pub fn discover(dir: &Path) -> Result<gix::Repository> {
    gix::discover(dir).map_err(|e| {
        usage(format!(
            "{} is not inside a git repository ({e}).",
            dir.display()
        ))
    })
}

/// The working tree of the main worktree (where tasks and the worktrees dir live), found
/// through the common dir so that it is the same from every linked worktree.
pub fn main_workdir(repo: &gix::Repository) -> Result<PathBuf> {
    let main = if repo.kind() == gix::repository::Kind::LinkedWorkTree {
        repo.main_repo()
            .context("could not open the main worktree")?
    } else {
        repo.clone()
    };
    match main.workdir() {
        Some(dir) => Ok(std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned())),
        None => Err(usage(format!(
            "{} is a bare repository; git epic needs a working tree.",
            repo.common_dir().display()
        ))),
    }
}

/// Resolve a revision to a commit id, `None` when it names nothing.
pub fn resolve_commit(repo: &gix::Repository, rev: &str) -> Option<ObjectId> {
    let id = repo.rev_parse_single(rev).ok()?;
    let obj = id.object().ok()?;
    let commit = obj.peel_to_commit().ok()?;
    Some(commit.id)
}

/// The commit a local branch points to, `None` when there is no such branch.
pub fn branch_tip(repo: &gix::Repository, branch: &str) -> Result<Option<ObjectId>> {
    let name = format!("refs/heads/{branch}");
    match repo.try_find_reference(name.as_str())? {
        Some(mut r) => Ok(Some(r.peel_to_id()?.detach())),
        None => Ok(None),
    }
}

/// Create `refs/heads/<branch>` at `target`; fails if it exists.
pub fn create_branch(
    repo: &gix::Repository,
    branch: &str,
    target: ObjectId,
    log: &str,
) -> Result<()> {
    let name = format!("refs/heads/{branch}");
    repo.reference(name.as_str(), target, PreviousValue::MustNotExist, log)
        .with_context(|| format!("could not create branch {branch}"))?;
    Ok(())
}

/// The short name of the branch HEAD is on, `None` when detached or unborn.
pub fn current_branch(repo: &gix::Repository) -> Result<Option<String>> {
    Ok(repo
        .head_name()?
        .map(|n| n.shorten().to_str_lossy().into_owned()))
}

/// Whether `name` is a valid branch name by git's rules.
pub fn is_valid_branch_name(name: &str) -> bool {
    gix::refs::FullName::try_from(format!("refs/heads/{name}")).is_ok()
}

/// Write keys to the repository's local config file in one locked transaction.
pub fn set_local_config(
    repo: &gix::Repository,
    entries: &[(&str, Option<&str>, &str, String)],
) -> Result<()> {
    let path = repo.common_dir().join("config");
    let mut tx = repo
        .config_file_mut(path.clone())
        .with_context(|| format!("could not lock {}", path.display()))?;
    for (section, subsection, key, value) in entries {
        let sub = subsection.map(|s| s.as_bytes().as_bstr());
        tx.set_raw_value_by(*section, sub, *key, value.as_str())
            .with_context(|| format!("could not set {section}.{key} in {}", path.display()))?;
    }
    tx.commit()
        .with_context(|| format!("could not write {}", path.display()))?;
    Ok(())
}

/// Make sure `pattern` is a line of `<common dir>/info/exclude`.
pub fn ensure_excluded(repo: &gix::Repository, pattern: &str) -> Result<()> {
    let info = repo.common_dir().join("info");
    let path = info.join("exclude");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current.lines().any(|l| l.trim() == pattern) {
        return Ok(());
    }
    std::fs::create_dir_all(&info)
        .with_context(|| format!("could not create {}", info.display()))?;
    let mut text = current;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(pattern);
    text.push('\n');
    std::fs::write(&path, text).with_context(|| format!("could not write {}", path.display()))?;
    Ok(())
}

/// Run `git` with `args` in `dir`, returning trimmed stdout; an error carries git's stderr.
pub fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = duct::cmd("git", args)
        .dir(dir)
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .context("could not run git")?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(anyhow!("git {} failed: {}", args.join(" "), stderr.trim()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
}

/// Delete `refs/heads/<branch>` only if it still points at `expected`.
pub fn delete_branch(repo: &gix::Repository, branch: &str, expected: ObjectId) -> Result<()> {
    use gix::refs::transaction::{Change, RefEdit, RefLog};
    let name = format!("refs/heads/{branch}");
    let delete = || -> Result<()> {
        repo.edit_reference(RefEdit {
            change: Change::Delete {
                expected: PreviousValue::MustExistAndMatch(gix::refs::Target::Object(expected)),
                log: RefLog::AndReference,
            },
            name: name.as_str().try_into()?,
            deref: false,
        })?;
        Ok(())
    };
    // A lock a killed git left on the branch (a commit or rebase cut off) would refuse it.
    match delete() {
        Err(_) if wait_out_ref_lock(repo, &name) => delete(),
        done => done,
    }
}

/// Commit everything in the worktree at `dir` (tracked, new, deleted) with `message`.
/// Returns false when there was nothing to commit.
pub fn commit_all(dir: &Path, message: &str) -> Result<bool> {
    wait_out_index_lock(dir);
    git(dir, &["add", "--all"])?;
    let staged = duct::cmd("git", ["diff", "--cached", "--quiet"])
        .dir(dir)
        .unchecked()
        .run()?
        .status
        .code();
    if staged == Some(0) {
        return Ok(false);
    }
    git(dir, &["commit", "--quiet", "-m", message])?;
    Ok(true)
}

/// The worktree (main or linked) that has `refs/heads/<branch>` checked out, if any.
pub fn checked_out_at(repo: &gix::Repository, branch: &str) -> Result<Option<PathBuf>> {
    let want = format!("ref: refs/heads/{branch}");
    let head_is = |git_dir: &Path| {
        std::fs::read_to_string(git_dir.join("HEAD")).is_ok_and(|h| h.trim() == want)
    };
    if head_is(repo.common_dir()) {
        return Ok(Some(
            main_workdir(repo).unwrap_or_else(|_| repo.common_dir().to_owned()),
        ));
    }
    for wt in repo.worktrees()? {
        if head_is(wt.git_dir()) {
            return Ok(Some(wt.base()?));
        }
    }
    Ok(None)
}

/// Files changed on `tip` since it forked from `base` (`git diff --name-only base...tip`).
pub fn changed_files(root: &Path, base: ObjectId, tip: ObjectId) -> Result<Vec<String>> {
    let out = git(
        root,
        &[
            "diff",
            "--name-only",
            "-z",
            "--no-renames",
            &format!("{base}...{tip}"),
        ],
    )?;
    Ok(out
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

/// The result of merging two commits without touching any working tree.
pub enum TreeMerge {
    Clean(ObjectId),
    Conflicts(Vec<String>),
}

/// `git merge-tree --write-tree ours theirs`: the merged tree, or the conflicting files.
pub fn merge_tree(root: &Path, ours: ObjectId, theirs: ObjectId) -> Result<TreeMerge> {
    let out = duct::cmd(
        "git",
        [
            "merge-tree",
            "--write-tree",
            "--name-only",
            "-z",
            "--no-messages",
            &ours.to_string(),
            &theirs.to_string(),
        ],
    )
    .dir(root)
    .stdout_capture()
    .stderr_capture()
    .unchecked()
    .run()
    .context("could not run git merge-tree")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut parts = stdout.split('\0').filter(|s| !s.is_empty());
    match out.status.code() {
        Some(0) => {
            let tree = parts
                .next()
                .ok_or_else(|| anyhow!("git merge-tree printed no tree"))?;
            Ok(TreeMerge::Clean(ObjectId::from_hex(
                tree.trim().as_bytes(),
            )?))
        }
        Some(1) => {
            parts.next();
            let mut files: Vec<String> = parts.map(str::to_owned).collect();
            files.dedup();
            Ok(TreeMerge::Conflicts(files))
        }
        _ => Err(anyhow!(
            "git merge-tree failed (git 2.38 or newer is needed): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

/// The tree `git merge-tree` writes for a conflicted merge of `ours` and `theirs` (it exits
/// 1), conflict markers in its files; `None` when it cannot be had.
pub fn conflicted_tree(root: &Path, ours: ObjectId, theirs: ObjectId) -> Option<String> {
    let out = duct::cmd(
        "git",
        [
            "merge-tree",
            "--write-tree",
            "--no-messages",
            &ours.to_string(),
            &theirs.to_string(),
        ],
    )
    .dir(root)
    .stdout_capture()
    .stderr_null()
    .unchecked()
    .run()
    .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().next().map(str::to_owned)
}

/// Make a merge commit of `tree` with `parents` and move `refs/heads/<branch>` to it only if
/// it still points at `expected` (compare-and-swap), so a concurrent change is never lost.
pub fn commit_and_move(
    repo: &gix::Repository,
    branch: &str,
    expected: ObjectId,
    tree: ObjectId,
    parents: &[ObjectId],
    message: &str,
) -> Result<ObjectId> {
    let commit = write_commit(repo, tree, parents, message)?;
    if !move_branch(repo, branch, expected, commit, message)? {
        return Err(anyhow!(
            "{branch} moved while merging; nothing was changed, run the command again"
        ));
    }
    Ok(commit)
}

/// Write a commit of `tree` with `parents`; no ref moves.
pub fn write_commit(
    repo: &gix::Repository,
    tree: ObjectId,
    parents: &[ObjectId],
    message: &str,
) -> Result<ObjectId> {
    let no_identity = || anyhow!("could not make a commit (are user.name and user.email set?)");
    // gix keeps the time of a repository handle's first signature: a run's landings would
    // all carry the time of its first one. Each commit gets the time it is made.
    let now = gix::date::Time::now_local_or_utc();
    let persona = |who: Option<std::result::Result<gix::actor::SignatureRef<'_>, _>>| {
        let who = who
            .ok_or_else(no_identity)?
            .map_err(|e| no_identity().context(e))?;
        Ok::<_, anyhow::Error>(gix::actor::Signature {
            name: who.name.to_owned(),
            email: who.email.to_owned(),
            time: now,
        })
    };
    let committer = persona(repo.committer())?;
    let author = persona(repo.author())?;
    let (mut b1, mut b2) = (
        gix::date::parse::TimeBuf::default(),
        gix::date::parse::TimeBuf::default(),
    );
    let commit = repo
        .new_commit_as(
            committer.to_ref(&mut b1),
            author.to_ref(&mut b2),
            message,
            tree,
            parents.iter().copied(),
        )
        .map_err(|e| anyhow!("{e}").context("could not make a commit"))?;
    Ok(commit.id)
}

/// Move the branch checked out in the worktree of `repo` from `expected` to `to` through its
/// HEAD, as `git rebase` does when it finishes: the branch's reflog and the worktree's HEAD
/// reflog both get the entry, so that `git reflog` there shows where it was. False when the
/// branch is not at `expected` (or HEAD is on another branch) any more.
pub fn move_checked_out_branch(
    repo: &gix::Repository,
    branch: &gix::refs::FullName,
    expected: ObjectId,
    to: ObjectId,
    message: &str,
) -> Result<bool> {
    use gix::refs::transaction::{Change, LogChange, RefEdit, RefLog};
    if repo.head_name()?.as_ref() != Some(branch) {
        return Ok(false);
    }
    let edit = || {
        repo.edit_reference(RefEdit {
            change: Change::Update {
                log: LogChange {
                    mode: RefLog::AndReference,
                    force_create_reflog: false,
                    message: message.lines().next().unwrap_or_default().into(),
                },
                expected: PreviousValue::MustExistAndMatch(gix::refs::Target::Object(expected)),
                new: gix::refs::Target::Object(to),
            },
            name: "HEAD".try_into().expect("a valid ref name"),
            deref: true,
        })
    };
    let name = branch.as_bstr().to_str_lossy().into_owned();
    compare_and_swap(repo, &name, expected, edit)
}

/// Move `refs/heads/<branch>` from `expected` to `to` (compare-and-swap). False when the
/// branch no longer points at `expected`: nothing was changed.
pub fn move_branch(
    repo: &gix::Repository,
    branch: &str,
    expected: ObjectId,
    to: ObjectId,
    message: &str,
) -> Result<bool> {
    let name = format!("refs/heads/{branch}");
    let first_line = message.lines().next().unwrap_or_default();
    let update = || {
        repo.reference(
            name.as_str(),
            to,
            PreviousValue::MustExistAndMatch(gix::refs::Target::Object(expected)),
            first_line,
        )
    };
    compare_and_swap(repo, &name, expected, update)
}

/// Run `update`, a move of ref `name` from `expected`: again once a lock left on it by a
/// killed process is gone (it would refuse every landing), and false when the ref is no
/// longer at `expected` (nothing was changed).
fn compare_and_swap<T, E: std::error::Error + Send + Sync + 'static>(
    repo: &gix::Repository,
    name: &str,
    expected: ObjectId,
    update: impl Fn() -> std::result::Result<T, E>,
) -> Result<bool> {
    match update().or_else(|e| {
        if wait_out_ref_lock(repo, name) {
            update()
        } else {
            Err(e)
        }
    }) {
        Ok(_) => Ok(true),
        Err(e) => match resolve_commit(repo, name) {
            Some(now) if now != expected => Ok(false),
            _ => {
                let short = name.strip_prefix("refs/heads/").unwrap_or(name);
                Err(anyhow!(e).context(format!("could not move {short}")))
            }
        },
    }
}
