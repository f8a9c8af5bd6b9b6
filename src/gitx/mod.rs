//! All git access. Reads go through gix in process; the `git` CLI (via duct) is used only for
//! what gix cannot do (worktree add, rebase, merge-tree, commits in agent worktrees).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use gix::bstr::ByteSlice;
use gix::refs::transaction::PreviousValue;
use gix::ObjectId;

use crate::error::{usage, Result};

mod dirty;
mod history;
mod snapshot;
pub mod transport;

pub use dirty::is_dirty;
pub use history::{ahead_behind, find_on_first_parents, is_ancestor};
pub use snapshot::{Snapshot, WorktreeReader};

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
pub fn ensure_worktree(root: &Path, path: &Path, branch: &str, start: &str) -> Result<bool> {
    let common = gix::open(root).map(|r| r.common_dir().to_owned())?;
    // Said before `git worktree add` and taken back after it: still there, the add was
    // cut off, and what it left (a partial checkout, a locked entry) is not to be used.
    let marker = common.join("epic/adding").join(
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    let usable =
        |p: &Path| p.join(".git").exists() && gix::open(p).is_ok_and(|r| r.head_id().is_ok());
    if !marker.exists() && usable(path) {
        return Ok(false);
    }
    // Under the worktree lock no other git-epic makes worktrees: whatever a `git worktree
    // add` left half-done is a killed one's.
    with_worktree_lock(root, || {
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
            return Ok(false);
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
        std::fs::write(&marker, p.as_bytes())?;
        if exists {
            git(root, &["worktree", "add", "--quiet", &p, branch])?;
        } else {
            git(
                root,
                &["worktree", "add", "--quiet", "-b", branch, &p, start],
            )?;
        }
        std::fs::remove_file(&marker)?;
        Ok(true)
    })
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
        to.push(format!(".broken-{}", crate::clock::now() as u64));
        std::fs::rename(path, &to)?;
    }
    Ok(())
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
    // A lock left on the branch by a killed process would refuse every landing.
    match update().or_else(|e| {
        if wait_out_ref_lock(repo, &name) {
            update()
        } else {
            Err(e)
        }
    }) {
        Ok(_) => Ok(true),
        Err(e) => match branch_tip(repo, branch)? {
            Some(now) if now != expected => Ok(false),
            _ => Err(anyhow!(e).context(format!("could not move {branch}"))),
        },
    }
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
    let Some(lock) = gix::open(dir).ok().map(|r| r.git_dir().join("index.lock")) else {
        return;
    };
    while let Ok(age) = std::fs::metadata(&lock).and_then(|m| m.modified()) {
        if age.elapsed().is_ok_and(|a| a >= STALE_LOCK) {
            let _ = std::fs::remove_file(&lock);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// A ref lock held this long was left by a killed process: git and git-epic hold one for
/// the milliseconds of an update.
pub const STALE_LOCK: std::time::Duration = std::time::Duration::from_secs(10);

/// Wait for the lock of ref `refname` (or packed-refs) to go, removing it once stale; true
/// if it is gone (so an update refused by it may be tried again). A live git holds one for
/// milliseconds; one a killed git left is removed after [`STALE_LOCK`].
pub fn wait_out_ref_lock(repo: &gix::Repository, refname: &str) -> bool {
    let locks = [
        repo.common_dir().join(format!("{refname}.lock")),
        repo.common_dir().join("packed-refs.lock"),
    ];
    let start = std::time::Instant::now();
    while locks.iter().any(|l| l.exists()) {
        if remove_stale_ref_lock(repo, refname) && !locks.iter().any(|l| l.exists()) {
            return true;
        }
        if start.elapsed() > STALE_LOCK + std::time::Duration::from_secs(2) {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    true
}

/// Remove the lock file of ref `refname` when it is stale (older than [`STALE_LOCK`]); true
/// if it did. git-epic processes take turns doing this (a file lock in the git dir), and the
/// age is checked again under that lock, so a fresh lock of someone else's is never removed.
pub fn remove_stale_ref_lock(repo: &gix::Repository, refname: &str) -> bool {
    // A ref update may need the packed-refs lock too.
    let packed = remove_stale_lock_file(repo, &repo.common_dir().join("packed-refs.lock"));
    remove_stale_lock_file(repo, &repo.common_dir().join(format!("{refname}.lock"))) || packed
}

fn remove_stale_lock_file(repo: &gix::Repository, lock: &Path) -> bool {
    let lock = lock.to_owned();
    let old = |p: &Path| {
        std::fs::metadata(p)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= STALE_LOCK)
    };
    if !old(&lock) {
        return false;
    }
    let _ = std::fs::create_dir_all(repo.common_dir().join("epic"));
    let Ok(turn) = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(repo.common_dir().join("epic/stale-locks.lock"))
    else {
        return false;
    };
    if turn.lock().is_err() {
        return false;
    }
    old(&lock) && std::fs::remove_file(&lock).is_ok()
}

/// A detached worktree at `path` on `commit` (for git-epic's own scratch checkouts), made
/// anew when what is there is not a usable worktree.
pub fn ensure_detached_worktree(root: &Path, path: &Path, commit: ObjectId) -> Result<()> {
    let usable = path.join(".git").exists() && gix::open(path).is_ok_and(|r| r.head_id().is_ok());
    if usable {
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
        git(root, &["worktree", "prune"])?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
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
        Ok(())
    })
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
