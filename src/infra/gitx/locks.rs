//! Ref locks that a killed git or git-epic left behind: waited out while fresh, removed once
//! stale.

use std::path::Path;

/// A ref lock held this long was left by a killed process: git and git-epic hold one for
/// the milliseconds of an update.
pub const STALE_LOCK: std::time::Duration = std::time::Duration::from_secs(10);

/// Wait for the lock of ref `refname` (or packed-refs) to go, removing it once stale; true
/// if it is gone (so an update refused by it may be tried again). A live git holds one for
/// milliseconds; one a killed git left is removed after [`STALE_LOCK`].
pub fn wait_out_ref_lock(repo: &gix::Repository, refname: &str) -> bool {
    wait_out_locks(
        repo,
        &[
            repo.common_dir().join(format!("{refname}.lock")),
            repo.common_dir().join("packed-refs.lock"),
        ],
    )
}

/// [`wait_out_ref_lock`] for a file of `repo`'s own git dir (a worktree's `index.lock` or
/// `HEAD.lock`): a killed `git add`, or a supervisor killed while it moved HEAD, left it, and
/// every later update of that file would fail on it.
pub fn wait_out_own_lock(repo: &gix::Repository, file: &str) -> bool {
    wait_out_locks(repo, &[repo.git_dir().join(file)])
}

/// Wait for the lock files `locks` to go, removing each once stale; true if they are gone.
fn wait_out_locks(repo: &gix::Repository, locks: &[std::path::PathBuf]) -> bool {
    let start = std::time::Instant::now();
    while locks.iter().any(|l| l.exists()) {
        let mut removed = false;
        for l in locks {
            removed |= remove_stale_lock_file(repo, l);
        }
        if removed && !locks.iter().any(|l| l.exists()) {
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
