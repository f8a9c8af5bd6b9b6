//! Worktrees: made, repaired, removed and checked out, one git command at a time per
//! repository where git's own bookkeeping needs it.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use gix::ObjectId;

use super::git;
use crate::infra::error::Result;

/// Forget worktrees whose directories were deleted by hand, or git refuses to reuse their
/// branch. Only metadata of missing directories is removed.
pub fn prune_worktrees(root: &Path) -> Result<()> {
    worktree_admin(root, &["worktree", "prune"])?;
    Ok(())
}

/// `git worktree add`, `remove` and `prune` read and write `.git/worktrees/` without locking
/// against each other (a second `add` fails reading the first one's half-written entry), so
/// git-epic runs them one at a time: threads of this process and other git-epic processes
/// alike, by an exclusive lock on a file of the repository's git dir.
fn worktree_admin(root: &Path, args: &[&str]) -> Result<String> {
    with_worktree_lock(root, || git(root, args))
}

/// Run `f` holding git-epic's worktree lock (see [`worktree_admin`]).
fn with_worktree_lock<T>(root: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let git_dir = root.join(".git");
    let git_dir = if git_dir.is_file() {
        gix::discover::path::from_gitdir_file(&git_dir).unwrap_or(git_dir)
    } else {
        git_dir
    };
    // Without the lock file (a read-only git dir, say) git still runs: only the turn-taking
    // is lost, as with plain git.
    let _ = std::fs::create_dir_all(git_dir.join("epic"));
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(git_dir.join("epic/worktrees.lock"))
        .ok()
        .filter(|f| f.lock().is_ok());
    let out = f();
    drop(lock);
    out
}

/// Remove the linked worktree at `path` as `git worktree remove` does (which refuses one
/// with changes, untracked files or submodules).
pub fn remove_worktree(root: &Path, path: &Path) -> Result<()> {
    worktree_admin(root, &["worktree", "remove", &path.to_string_lossy()])?;
    Ok(())
}

/// The same, for a worktree whose only changes are deleted tracked files.
pub fn remove_worktree_force(root: &Path, path: &Path) -> Result<()> {
    worktree_admin(
        root,
        &["worktree", "remove", "--force", &path.to_string_lossy()],
    )?;
    Ok(())
}

/// Make sure the ticket worktree exists at `path` on `branch`, creating the branch from
/// `start` when it does not exist. Returns whether it was created. An existing directory
/// that is not a worktree is refused, never overwritten. Call [`prune_worktrees`] first.
///
/// Only git's bookkeeping (`git worktree add --no-checkout`) takes the worktree lock; the
/// files are checked out after it is released, as `git worktree add` itself does it (`git
/// reset --hard --no-recurse-submodules`, then the post-checkout hook), so that several
/// worktrees are checked out side by side.
pub fn ensure_worktree(root: &Path, path: &Path, branch: &str, start: &str) -> Result<bool> {
    let common = gix::open(root).map(|r| r.common_dir().to_owned())?;
    // Said before `git worktree add` and taken back once the files are there: still there,
    // the add or the checkout was cut off, and what it left (a partial checkout, a locked
    // entry) is not to be used. Its maker holds a lock on it until then.
    let marker = common.join("epic/adding").join(
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    if !marker.exists() && usable(path) {
        return Ok(false);
    }
    let Some(making) = register_worktree(root, &common, &marker, path, branch, start)? else {
        return Ok(false);
    };
    check_out(path)?;
    std::fs::remove_file(&marker)?;
    drop(making);
    Ok(true)
}

/// A worktree git-epic can work in: git knows it and its HEAD is a commit.
fn usable(p: &Path) -> bool {
    p.join(".git").exists() && gix::open(p).is_ok_and(|r| r.head_id().is_ok())
}

/// Under the worktree lock: clear what a killed add left, then `git worktree add
/// --no-checkout`. Returns the marker, open and locked, that says the files are yet to come
/// (`None`: the worktree is there already).
fn register_worktree(
    root: &Path,
    common: &Path,
    marker: &Path,
    path: &Path,
    branch: &str,
    start: &str,
) -> Result<Option<std::fs::File>> {
    // Under the worktree lock no other git-epic registers worktrees: whatever a `git
    // worktree add` left half-done is a killed one's, or one still checking out, which holds
    // its marker's lock until it is done.
    with_worktree_lock(root, || {
        if let Ok(other) = std::fs::File::open(marker) {
            let _ = other.lock();
        }
        if marker.exists() || (path.join(".git").exists() && !usable(path)) {
            if marker.exists() && path.exists() {
                // Nothing ran there: the add never finished. Only git's files are in it.
                std::fs::remove_dir_all(path)?;
            } else if path.exists() {
                set_aside(path)?;
            }
            // `git worktree add` locks the entry while it works ("initializing").
            let _ = git(root, &["worktree", "unlock", &path.to_string_lossy()]);
            git(root, &["worktree", "prune"])?;
            let _ = std::fs::remove_file(common.join(format!("refs/heads/{branch}.lock")));
        } else if usable(path) {
            return Ok(None);
        }
        if path.exists()
            && std::fs::read_dir(path)
                .map(|mut d| d.next().is_some())
                .unwrap_or(true)
        {
            return Err(anyhow!(
                "{} exists and is not a git worktree; move it away first",
                path.display()
            ));
        }
        let p = path.to_string_lossy();
        let exists = duct::cmd(
            "git",
            [
                "show-ref",
                "--verify",
                "--quiet",
                &format!("refs/heads/{branch}"),
            ],
        )
        .dir(root)
        .unchecked()
        .stdout_null()
        .stderr_null()
        .run()?
        .status
        .success();
        if let Some(dir) = marker.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let making = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(marker)?;
        making.lock()?;
        std::fs::write(marker, p.as_bytes())?;
        let add = ["worktree", "add", "--quiet", "--no-checkout"];
        if exists {
            git(root, &[&add[..], &[&p, branch]].concat())?;
        } else {
            git(root, &[&add[..], &["-b", branch, &p, start]].concat())?;
        }
        mark_unready(path)?;
        Ok(Some(making))
    })
}

/// The checkout `git worktree add` does after registering the worktree: the index and the
/// files of HEAD, then the post-checkout hook (a null old commit, HEAD, a branch checkout).
fn check_out(path: &Path) -> Result<()> {
    git(
        path,
        &["reset", "--hard", "--no-recurse-submodules", "--quiet"],
    )?;
    let head = gix::open(path)?.head_id()?.detach();
    let null = ObjectId::null(head.kind()).to_string();
    git(
        path,
        &[
            "hook",
            "run",
            "--ignore-missing",
            "post-checkout",
            "--",
            &null,
            &head.to_string(),
            "1",
        ],
    )?;
    Ok(())
}

/// A worktree that `git worktree add` left half-made: removed when it holds nothing but its
/// `.git` file, else moved aside (`<name>.broken-<time>`) so that nothing in it is lost.
fn set_aside(path: &Path) -> Result<()> {
    let only_git = std::fs::read_dir(path)?
        .flatten()
        .all(|e| e.file_name() == ".git");
    if only_git {
        std::fs::remove_dir_all(path)?;
    } else {
        let mut to = path.as_os_str().to_owned();
        to.push(format!(".broken-{}", crate::infra::clock::now() as u64));
        std::fs::rename(path, &to)?;
    }
    Ok(())
}

/// The git dirs a commit in worktree `worktree` writes to: the repository's own, and the
/// worktree's (from its `.git` file); the usual `worktrees/<name>` before it exists.
pub fn commit_dirs(repo: &gix::Repository, worktree: &Path) -> Vec<PathBuf> {
    let common =
        std::fs::canonicalize(repo.common_dir()).unwrap_or_else(|_| repo.common_dir().to_owned());
    let own = gix::open(worktree)
        .ok()
        .and_then(|r| std::fs::canonicalize(r.git_dir()).ok())
        .unwrap_or_else(|| {
            common
                .join("worktrees")
                .join(worktree.file_name().unwrap_or_default())
        });
    vec![common, own]
}

/// A worktree's `index.lock` left by a killed `git add` or `git commit` would make every
/// later commit there fail: wait for it to go, and remove it once it is stale.
pub fn wait_out_index_lock(dir: &Path) {
    if let Ok(repo) = gix::open(dir) {
        super::locks::wait_out_own_lock(&repo, "index.lock");
    }
}

/// A detached worktree at `path` on `commit` (for git-epic's own scratch checkouts), made
/// anew when what is there is not a usable worktree.
pub fn ensure_detached_worktree(root: &Path, path: &Path, commit: ObjectId) -> Result<()> {
    // Beside the checkout while it is made: still there, a killed add left it unmarked.
    let making = path.with_extension("making");
    let usable = path.join(".git").exists() && gix::open(path).is_ok_and(|r| r.head_id().is_ok());
    if usable && !making.exists() {
        return Ok(());
    }
    with_worktree_lock(root, || {
        if path.exists() {
            // A scratch checkout holds nothing of anyone's: made by git-epic, only read.
            let _ = git(
                root,
                &["worktree", "remove", "--force", &path.to_string_lossy()],
            );
            if path.exists() {
                std::fs::remove_dir_all(path)
                    .with_context(|| format!("could not remove {}", path.display()))?;
            }
        }
        // `git worktree add` locks the entry while it works ("initializing"): killed then,
        // it left a locked entry that prune keeps and the next add refuses.
        let _ = git(root, &["worktree", "unlock", &path.to_string_lossy()]);
        git(root, &["worktree", "prune"])?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&making, b"")?;
        git(
            root,
            &[
                "worktree",
                "add",
                "--detach",
                "--quiet",
                &path.to_string_lossy(),
                &commit.to_string(),
            ],
        )?;
        mark_unready(path)?;
        std::fs::remove_file(&making)?;
        Ok(())
    })
}

/// Said in a worktree's own git dir as soon as git-epic has made it, and taken back once
/// what the worktree needs besides its tracked files (submodules, carried files) is there:
/// a command killed in between leaves it, and the next one does that part again.
const UNREADY: &str = "epic-unready";

fn mark_unready(path: &Path) -> Result<()> {
    let dir = gix::open(path)?.git_dir().to_owned();
    std::fs::write(dir.join(UNREADY), b"")
        .with_context(|| format!("could not write in {}", dir.display()))
}

/// Whether the worktree at `path` was made by git-epic and is not ready yet.
pub fn is_unready(path: &Path) -> bool {
    gix::open(path).is_ok_and(|r| r.git_dir().join(UNREADY).exists())
}

/// The worktree at `path` has what it needs.
pub fn mark_ready(path: &Path) -> Result<()> {
    let dir = gix::open(path)?.git_dir().to_owned();
    match std::fs::remove_file(dir.join(UNREADY)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

/// Put the scratch worktree at `dir` on `commit`, exactly: tracked files as committed,
/// untracked files gone (ignored ones, such as build caches, are kept). The caller owns the
/// worktree: an `index.lock` there is a killed user's and is removed.
pub fn checkout_detached(dir: &Path, commit: ObjectId) -> Result<()> {
    if let Ok(repo) = gix::open(dir) {
        let _ = std::fs::remove_file(repo.git_dir().join("index.lock"));
    }
    git(
        dir,
        &[
            "checkout",
            "--quiet",
            "--force",
            "--detach",
            &commit.to_string(),
        ],
    )?;
    git(dir, &["clean", "-ffdq"])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use gix::ObjectId;

    /// A scratch worktree whose `git worktree add` was killed: its entry locked, its
    /// directory missing. The next one is made all the same.
    #[test]
    fn a_scratch_worktree_left_locked_and_missing_by_a_killed_add_is_made_again() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir(&root).unwrap();
        let git = crate::infra::gitx::testing::git_in(&root);
        git(&["init", "-q", "-b", "main"]);
        git(&["commit", "-q", "--allow-empty", "-m", "a"]);
        let head = ObjectId::from_hex(git(&["rev-parse", "HEAD"]).as_bytes()).unwrap();
        let scratch = root.join(".git/epic/queue/e/0");
        let p = scratch.to_string_lossy().into_owned();
        git(&["worktree", "add", "--detach", "--quiet", &p, "HEAD"]);
        git(&["worktree", "lock", "--reason", "initializing", &p]);
        std::fs::remove_dir_all(&scratch).unwrap();
        std::fs::write(scratch.with_extension("making"), b"").unwrap();
        super::ensure_detached_worktree(&root, &scratch, head).unwrap();
        assert!(scratch.join(".git").exists());
        assert!(!scratch.with_extension("making").exists());
    }
}
