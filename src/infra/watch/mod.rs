//! A watcher of the ticket worktrees, so that `status` does not read again what cannot have
//! changed.
//!
//! Reading whether a worktree is dirty means an `lstat` of every tracked file and a walk of
//! every directory: on this project's benchmark machine about 2 µs a file, 0.2 s for 50
//! worktrees of 2,000 files, whoever does it (git status does the same). Only events from
//! the kernel can tell that nothing changed without looking. So the first `status` starts a
//! watcher process (`git-epic __watch`, one per repository, gone after ten idle minutes or
//! with the repository) that holds inotify watches over the ticket worktrees and counts
//! their events; `status` asks it which worktrees saw none since it last read them, and
//! reads only the others, telling it what it found.
//!
//! - `client.rs`: what `status` asks and tells, and how it starts the watcher.
//! - `daemon.rs` (Linux): the watcher process: one socket, one request a connection.
//! - `tree.rs` (Linux): the watches over directory trees, and what an event means.
//!
//! Why a remembered answer can be trusted: each worktree has a generation, raised by every
//! event under it (and by a lost event, an overflow, for all). The watcher answers only
//! after it has seen a cookie file it made after the request came: events come in order on
//! one inotify descriptor, so every change made before the request is counted by then. A
//! result is kept with the generation the reader got before reading; a change during the
//! read raises it and the result is never served. What lives outside the worktree (its
//! index, HEAD, the config, the exclude files) is in the key the reader computes and checks
//! itself on every call.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod client;
#[cfg(target_os = "linux")]
mod daemon;
#[cfg(target_os = "linux")]
mod tree;

pub use client::{query, Session};
#[cfg(target_os = "linux")]
pub use daemon::serve;

/// Part of the socket's name: a watcher speaking another protocol is another watcher.
const PROTOCOL: u32 = 1;

/// How long a watcher lives without a request.
pub const IDLE_S: u64 = 600;

/// What the watcher knows of one worktree it watches.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Known {
    /// Raised by every event under the worktree.
    pub gen: u64,
    /// The last result told at this very generation, if any.
    pub cached: Option<Cached>,
}

/// A result a reader told the watcher: whether the worktree was dirty, and the key of what
/// outside the worktree it depended on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Cached {
    pub key: String,
    pub dirty: bool,
}

/// A result, told back after reading a worktree at generation `gen`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Posted {
    pub path: PathBuf,
    pub gen: u64,
    pub key: String,
    pub dirty: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Request {
    /// What is known of these worktrees (watch them from now on).
    Query { worktrees: Vec<PathBuf> },
    /// Results read since.
    Post { results: Vec<Posted> },
}

#[derive(Debug, Serialize, Deserialize)]
struct Reply {
    /// One per worktree asked, in order; `None`: not watched (yet), read it.
    known: Vec<Option<Known>>,
}

/// Where the watcher of the repository whose common git dir is `common_dir` listens: a
/// private directory of this user (`$XDG_RUNTIME_DIR/git-epic`, else `<tmp>/git-epic-<uid>`;
/// a socket path must stay short), named for the repository. `None` when that directory
/// cannot be made private.
pub fn socket_path(common_dir: &Path) -> Option<PathBuf> {
    let common = std::fs::canonicalize(common_dir).ok()?;
    let dir = private_dir()?;
    let hash = fnv1a(common.as_os_str().as_encoded_bytes());
    Some(dir.join(format!("{hash:016x}-{PROTOCOL}.sock")))
}

fn private_dir() -> Option<PathBuf> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let runtime = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute() && d.is_dir())
        .map(|d| d.join("git-epic"));
    // A runtime dir that is not this user's (run under sudo, say) falls back to /tmp.
    runtime
        .and_then(|d| made_private(d, uid))
        .or_else(|| made_private(std::env::temp_dir().join(format!("git-epic-{uid}")), uid))
}

/// `dir`, made if missing, when it is a directory of `uid` closed to others: anyone could
/// have made it first in a shared /tmp, and only a directory of ours may hold the socket
/// status trusts.
fn made_private(dir: PathBuf, uid: u32) -> Option<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
    let meta = std::fs::symlink_metadata(&dir).ok()?;
    (meta.is_dir() && meta.uid() == uid && meta.mode() & 0o077 == 0).then_some(dir)
}

/// FNV-1a: a name that stays the same from one build to the next (std's hasher may not).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn only_a_private_directory_of_ours_holds_sockets() {
        // SAFETY: geteuid has no preconditions.
        let uid = unsafe { libc::geteuid() };
        let tmp = tempfile::tempdir().unwrap();
        let made = super::made_private(tmp.path().join("git-epic"), uid).unwrap();
        let mode = std::fs::metadata(&made).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let open = tmp.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(super::made_private(open, uid), None, "open to others");
        assert_eq!(
            super::made_private(tmp.path().join("x"), uid + 1),
            None,
            "not ours"
        );
        let file = tmp.path().join("file");
        std::fs::write(&file, "").unwrap();
        assert_eq!(super::made_private(file, uid), None, "not a directory");
    }
}
