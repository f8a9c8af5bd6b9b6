//! Reading many linked worktrees of one repository quickly, for `status`.
//!
//! Opening each worktree as a repository of its own reads the configuration, the refs and
//! the object database afresh every time (over a hundred file system calls before any work)
//! and inflates the same commits again in each. A linked worktree shares all of that with
//! its repository; only HEAD and the index are its own. So one repository handle per thread
//! serves every worktree: HEAD and the index are read from the worktree's git dir, the
//! shared handle (with an object cache) reads refs and commits, and the status walk runs
//! with that handle pointed at the worktree's files. Anything unusual (a worktree of another
//! repository, per-worktree or conditional config, HEAD outside refs/heads) is opened the
//! ordinary way.

use std::path::{Path, PathBuf};

use gix::bstr::ByteSlice;
use gix::ObjectId;

use super::{ahead_behind, current_branch, dirty::dirty_against, is_dirty};

/// What one worktree shows: its branch, HEAD, how far HEAD is ahead of and behind a base
/// commit, and whether it holds uncommitted work. A field is `None` when it could not be
/// read (no HEAD commit yet, say).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub branch: Option<String>,
    pub head: Option<ObjectId>,
    pub ahead_behind: Option<(usize, usize)>,
    pub dirty: Option<bool>,
}

/// Reads worktrees through one repository handle; make one per thread.
pub struct WorktreeReader {
    repo: gix::Repository,
    common_dir: Option<PathBuf>,
    /// Worktrees may have config of their own (`extensions.worktreeConfig`, conditional
    /// includes): then each is opened on its own, so that it is read with its own settings.
    shared_config: bool,
}

impl WorktreeReader {
    /// A reader on the repository whose main worktree (or git dir) is `root`; `None` when
    /// it cannot be opened.
    pub fn open(root: &Path) -> Option<Self> {
        gix::open(root).ok().map(Self::new)
    }

    pub fn new(mut repo: gix::Repository) -> Self {
        // Enough for the commits and trees every worktree shares (epic tip, its ancestors).
        repo.object_cache_size_if_unset(4 * 1024 * 1024);
        nanosecond_stat(&mut repo);
        let common_dir = std::fs::canonicalize(repo.common_dir()).ok();
        let config = repo.config_snapshot();
        // Config that differs per worktree: `config.worktree` files, and includes whose
        // condition (`onbranch:`, `gitdir:`) each worktree answers for itself.
        let per_worktree = config.boolean("extensions.worktreeConfig").unwrap_or(false)
            || config
                .plumbing()
                .sections_by_name("includeIf")
                .is_some_and(|mut s| s.next().is_some());
        let shared_config = !per_worktree;
        WorktreeReader {
            repo,
            common_dir,
            shared_config,
        }
    }

    /// The worktree checked out at `path`, counted against `base`; `None` when there is no
    /// worktree there.
    pub fn read(&mut self, path: &Path, base: Option<ObjectId>) -> Option<Snapshot> {
        if !path.join(".git").exists() {
            return None;
        }
        if self.shared_config {
            if let Some(snapshot) = self.read_linked(path, base) {
                return Some(snapshot);
            }
        }
        // Its own objects too: a clone put where a worktree would be has commits of its own.
        let mut repo = gix::open(path).ok()?;
        nanosecond_stat(&mut repo);
        let head = repo.head_id().ok().map(|id| id.detach());
        Some(Snapshot {
            branch: current_branch(&repo).ok().flatten(),
            head,
            ahead_behind: count(&repo, head, base),
            dirty: is_dirty(&repo).ok(),
        })
    }

    /// The shared-handle path; `None` sends the caller to the ordinary one.
    fn read_linked(&mut self, path: &Path, base: Option<ObjectId>) -> Option<Snapshot> {
        let dot_git = path.join(".git");
        if !dot_git.is_file() {
            return None;
        }
        let git_dir = gix::discover::path::from_gitdir_file(&dot_git).ok()?;
        let common = std::fs::read_to_string(git_dir.join("commondir")).ok()?;
        let common = std::fs::canonicalize(git_dir.join(common.trim_end_matches(['\n', '\r'])));
        if common.ok() != self.common_dir {
            return None;
        }
        let hash = self.repo.object_hash();
        let head = std::fs::read(git_dir.join("HEAD")).ok()?;
        let head =
            gix::refs::file::loose::Reference::try_from_path("HEAD".try_into().ok()?, &head, hash)
                .ok()?;
        let (branch, head) = match head.target {
            gix::refs::Target::Object(id) => (None, Some(id)),
            gix::refs::Target::Symbolic(name) => {
                // Branches are shared by all worktrees; other refs a HEAD may name
                // (refs/worktree/..., refs/bisect/...) are private to the worktree.
                if !name.as_bstr().starts_with(b"refs/heads/") {
                    return None;
                }
                let id = match self.repo.try_find_reference(name.as_ref()).ok()? {
                    Some(mut r) => Some(r.peel_to_id().ok()?.detach()),
                    None => None, // unborn
                };
                (Some(name.shorten().to_str_lossy().into_owned()), id)
            }
        };
        let head_tree = match head {
            Some(id) => self.repo.find_commit(id).ok()?.tree_id().ok()?.detach(),
            None => ObjectId::empty_tree(hash),
        };
        // Git does not check the index checksum when it only reads (git fsck does).
        let index =
            gix::index::File::at_or_default(git_dir.join("index"), hash, true, Default::default())
                .ok()?;
        self.repo.set_workdir(Some(path.to_owned())).ok()?;
        Some(Snapshot {
            branch,
            head,
            ahead_behind: count(&self.repo, head, base),
            dirty: dirty_against(&self.repo, head_tree, &index).ok(),
        })
    }
}

/// Git records the nanoseconds of each file's times in the index; gix compares only the
/// seconds unless told (git's USE_NSEC), and then takes every file written in the second of
/// the index for racily clean and reads it whole, which on a worktree just made is every
/// file. A file changed after the index was written still has an mtime at or after the
/// index's, to the nanosecond, so it is still read (racy-git rules, finer grained).
fn nanosecond_stat(repo: &mut gix::Repository) {
    let _ = repo
        .config_snapshot_mut()
        .set_value(&gix::config::tree::gitoxide::Core::USE_NSEC, "true");
}

fn count(
    repo: &gix::Repository,
    head: Option<ObjectId>,
    base: Option<ObjectId>,
) -> Option<(usize, usize)> {
    ahead_behind(repo, head?, base?).ok()
}
