//! What the merge queue tests in: scratch worktrees git-epic owns (never a user's checkout),
//! and the record of merged trees already tested.
//!
//! The worktrees live in the git dir (`<common dir>/epic/queue/<epic>/<n>`), detached, and
//! are reused from one test to the next so that ignored build caches survive. Each is held
//! by a file lock while a test runs in it: two git-epic processes never share one, and a
//! killed one's lock goes with it.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use gix::ObjectId;

use crate::infra::error::Result;
use crate::infra::gitx;
use crate::ops::worktree::ready;

/// A scratch worktree, held until dropped.
pub struct Slot {
    pub dir: PathBuf,
    _lock: File,
}

/// Where an epic's scratch worktrees live. From a linked worktree git's common dir reads
/// `.git/worktrees/<name>/../..`: the `..` are taken off, so that logs show a clean path
/// (`<name>` is a directory git made, never a link, so this names the same place).
pub fn slots_dir(common_dir: &Path, epic: &str) -> PathBuf {
    use std::path::Component;
    let mut clean = PathBuf::new();
    for c in common_dir.components() {
        match c {
            Component::ParentDir
                if matches!(clean.components().next_back(), Some(Component::Normal(_))) =>
            {
                clean.pop();
            }
            Component::CurDir => {}
            c => clean.push(c),
        }
    }
    clean.join("epic/queue").join(epic)
}

impl Slot {
    /// Remove this scratch worktree (and its lock) rather than keep it for the next use: for
    /// a command that leaves nothing behind, such as `split`.
    pub fn discard(self, root: &Path) -> Result<()> {
        let _ = gitx::git(
            root,
            &["worktree", "remove", "--force", &self.dir.to_string_lossy()],
        );
        if self.dir.exists() {
            std::fs::remove_dir_all(&self.dir)?;
        }
        // Unlinked while held: a process waiting on it finds the slot free and remakes it.
        std::fs::remove_file(self.dir.with_extension("lock")).ok();
        gitx::prune_worktrees(root)
    }
}

/// Where the scratch worktrees an agent works in live (`context`, `split`): beside the
/// ticket worktrees, not in the git dir, where agents refuse to write (Claude Code calls any
/// path under `.git/` a sensitive file).
pub fn agent_slots_dir(worktrees_dir: &Path, epic: &str) -> PathBuf {
    worktrees_dir.join(format!(".scratch-{epic}"))
}

/// Take a free scratch worktree of `epic` (making it when needed), checked out at `commit`
/// and ready to test in (its submodules on the commit's, the ignored files carried in and
/// `epic.setup` run once when it was made); what that did is said in `log`.
pub fn take(
    root: &Path,
    common_dir: &Path,
    epic: &str,
    commit: ObjectId,
    log: &Path,
) -> Result<Slot> {
    take_in(&slots_dir(common_dir, epic), root, epic, commit, log)
}

/// [`take`], for an agent to work in: in [`agent_slots_dir`].
pub fn take_for_agent(
    root: &Path,
    worktrees_dir: &Path,
    epic: &str,
    commit: ObjectId,
    log: &Path,
) -> Result<Slot> {
    take_in(
        &agent_slots_dir(worktrees_dir, epic),
        root,
        epic,
        commit,
        log,
    )
}

fn take_in(dir: &Path, root: &Path, epic: &str, commit: ObjectId, log: &Path) -> Result<Slot> {
    std::fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    let mut n = 0;
    loop {
        let lock_path = dir.join(format!("{n}.lock"));
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("could not open {}", dir.display()))?;
        if lock.try_lock().is_err() {
            n += 1;
            continue;
        }
        if !same_file(&lock, &lock_path) {
            // A discarded slot's lock, unlinked after we opened it: take the new one.
            continue;
        }
        let path = dir.join(n.to_string());
        gitx::ensure_detached_worktree(root, &path, commit)?;
        if gitx::checkout_detached(&path, commit).is_err() {
            // Whatever a killed test or checkout left there, a fresh one replaces it.
            std::fs::remove_dir_all(&path).ok();
            gitx::ensure_detached_worktree(root, &path, commit)?;
            gitx::checkout_detached(&path, commit)?;
        }
        let readiness = ready::Readiness::load(&gix::open(root)?, epic, None)?;
        ready::prepare(root, &path, &readiness, log, true)
            .map_err(|e| anyhow::anyhow!("the queue's scratch worktree is not ready: {e}"))?;
        return Ok(Slot {
            dir: path,
            _lock: lock,
        });
    }
}

/// Whether `file` is still what `path` names.
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Remove the scratch worktrees of `epic` that no one holds, the queue's and the agents'.
pub fn remove_all(
    root: &Path,
    common_dir: &Path,
    worktrees_dir: &Path,
    epic: &str,
) -> Result<usize> {
    let mut removed = 0;
    for dir in [
        slots_dir(common_dir, epic),
        agent_slots_dir(worktrees_dir, epic),
    ] {
        removed += remove_in(root, &dir)?;
    }
    gitx::prune_worktrees(root)?;
    Ok(removed)
}

fn remove_in(root: &Path, dir: &Path) -> Result<usize> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path.with_extension("lock"))?;
        if lock.try_lock().is_err() {
            continue;
        }
        let _ = gitx::git(
            root,
            &["worktree", "remove", "--force", &path.to_string_lossy()],
        );
        if path.exists() {
            std::fs::remove_dir_all(&path)?;
        }
        removed += 1;
    }
    Ok(removed)
}

/// Merged trees already tested green by a test command, kept in the git dir across runs: the
/// same tree is never tested twice. Red results are kept for this run only, as a later
/// command may be run because the cause (a flaky test, the environment) was fixed.
pub struct Tested {
    path: PathBuf,
    command: ObjectId,
    green: HashMap<ObjectId, ()>,
    red: HashMap<ObjectId, Vec<String>>,
}

impl Tested {
    /// The record of `epic`, for results of `command`.
    pub fn open(common_dir: &Path, epic: &str, command: &str) -> Tested {
        let path = slots_dir(common_dir, epic).join("green");
        // The command is part of the key: another `epic.test` must test again.
        let command = gix::objs::compute_hash(
            gix::hash::Kind::Sha1,
            gix::objs::Kind::Blob,
            command.as_bytes(),
        )
        .unwrap_or_else(|_| ObjectId::null(gix::hash::Kind::Sha1));
        let mut green = HashMap::new();
        if let Ok(text) = std::fs::read_to_string(&path) {
            for line in text.lines() {
                let mut parts = line.split(' ');
                let (Some(tree), Some(cmd)) = (parts.next(), parts.next()) else {
                    continue;
                };
                let parse = |s: &str| ObjectId::from_hex(s.as_bytes()).ok();
                if let (Some(tree), Some(cmd)) = (parse(tree), parse(cmd)) {
                    if cmd == command {
                        green.insert(tree, ());
                    }
                }
            }
        }
        Tested {
            path,
            command,
            green,
            red: HashMap::new(),
        }
    }

    /// `Some(Ok(()))` green before, `Some(Err(lines))` red before in this run, None untested.
    pub fn get(&self, tree: ObjectId) -> Option<std::result::Result<(), Vec<String>>> {
        if self.green.contains_key(&tree) {
            return Some(Ok(()));
        }
        self.red.get(&tree).map(|lines| Err(lines.clone()))
    }

    pub fn record(&mut self, tree: ObjectId, result: std::result::Result<(), Vec<String>>) {
        match result {
            Ok(()) => {
                self.green.insert(tree, ());
                // One line appended per green tree; a line cut off by a kill is skipped
                // when read.
                if let Some(parent) = self.path.parent() {
                    let _ = std::fs::create_dir_all(parent);
                }
                if let Ok(mut f) = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.path)
                {
                    let _ = writeln!(f, "{tree} {}", self.command);
                }
            }
            Err(lines) => {
                self.red.insert(tree, lines);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_slots_dir_of_a_linked_worktree_reads_clean() {
        assert_eq!(
            super::slots_dir(
                std::path::Path::new("/r/.git/worktrees/feat-ui/../.."),
                "kanban"
            ),
            std::path::Path::new("/r/.git/epic/queue/kanban")
        );
    }
}
