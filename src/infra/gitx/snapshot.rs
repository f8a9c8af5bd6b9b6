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
    /// What a worktree's `dirty` depends on outside the worktree and its index, as a key
    /// part: the config and the exclude and attribute files (made on first use).
    settings_key: Option<String>,
}

/// What [`WorktreeReader::read_keyed`] found.
pub struct Keyed {
    pub snapshot: Snapshot,
    /// The key to remember this read by; `None` when it was not read (`remembered` held)
    /// or cannot be keyed.
    pub key: Option<String>,
    /// `dirty` is the remembered one.
    pub remembered: bool,
}

/// A `dirty` read earlier, with the key of what it depended on outside the worktree's files
/// (see [`WorktreeReader::read_keyed`]).
pub struct Remembered<'a> {
    pub key: &'a str,
    pub dirty: bool,
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
            settings_key: None,
        }
    }

    /// The worktree checked out at `path`, counted against `base`; `None` when there is no
    /// worktree there.
    pub fn read(&mut self, path: &Path, base: Option<ObjectId>) -> Option<Snapshot> {
        self.read_keyed(path, base, None, false).map(|k| k.snapshot)
    }

    /// [`WorktreeReader::read`], for a caller that knows the worktree's files did not change
    /// since `remembered` was read (a file-system watcher said so): when the key of
    /// everything else `dirty` depends on (HEAD, the index file, the config, the exclude and
    /// attribute files) is still `remembered.key`, its `dirty` is taken without reading the
    /// index or a file. With `want_key`, also the key of this read, to remember it by
    /// (`None`: a worktree read the ordinary way, which is never remembered).
    pub fn read_keyed(
        &mut self,
        path: &Path,
        base: Option<ObjectId>,
        remembered: Option<Remembered<'_>>,
        want_key: bool,
    ) -> Option<Keyed> {
        if !path.join(".git").exists() {
            return None;
        }
        if self.shared_config {
            if let Some(read) = self.read_linked(path, base, remembered, want_key) {
                return Some(read);
            }
        }
        // Its own objects too: a clone put where a worktree would be has commits of its own.
        let mut repo = gix::open(path).ok()?;
        nanosecond_stat(&mut repo);
        let head = repo.head_id().ok().map(|id| id.detach());
        let snapshot = Snapshot {
            branch: current_branch(&repo).ok().flatten(),
            head,
            ahead_behind: count(&repo, head, base),
            dirty: is_dirty(&repo).ok(),
        };
        Some(Keyed {
            snapshot,
            key: None,
            remembered: false,
        })
    }

    /// The shared-handle path; `None` sends the caller to the ordinary one.
    fn read_linked(
        &mut self,
        path: &Path,
        base: Option<ObjectId>,
        remembered: Option<Remembered<'_>>,
        want_key: bool,
    ) -> Option<Keyed> {
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
        let key = (want_key || remembered.is_some())
            .then(|| self.key(&git_dir, head))
            .flatten();
        let held = remembered.filter(|r| key.as_deref() == Some(r.key));
        let (dirty, key) = match &held {
            // Nothing it depends on changed: no index or file is read.
            Some(r) => (Some(r.dirty), None),
            None => {
                let head_tree = match head {
                    Some(id) => self.repo.find_commit(id).ok()?.tree_id().ok()?.detach(),
                    None => ObjectId::empty_tree(hash),
                };
                // Git does not check the index checksum when it only reads (git fsck does).
                let index = gix::index::File::at_or_default(
                    git_dir.join("index"),
                    hash,
                    true,
                    Default::default(),
                )
                .ok()?;
                self.repo.set_workdir(Some(path.to_owned())).ok()?;
                let dirty = dirty_against(&self.repo, head_tree, &index).ok();
                // The index outside the watched tree may have been replaced meanwhile: a key
                // not the same after the read as before does not name what was read.
                let key = key
                    .filter(|k| self.key(&git_dir, head).as_ref() == Some(k))
                    .filter(|_| dirty.is_some());
                (dirty, key)
            }
        };
        let snapshot = Snapshot {
            branch,
            head,
            ahead_behind: count(&self.repo, head, base),
            dirty,
        };
        Some(Keyed {
            snapshot,
            key,
            remembered: held.is_some(),
        })
    }

    /// What a linked worktree's `dirty` depends on besides its files: HEAD's commit, the
    /// index's content (the checksum git ends it with; under `index.skipHash`, which
    /// leaves it zero, the file's inode, size and times: git replaces it whole, and a copy
    /// put back over it still changes its ctime), and the settings. `None` without an index.
    fn key(&mut self, git_dir: &Path, head: Option<ObjectId>) -> Option<String> {
        let index = index_checksum(&git_dir.join("index"))?;
        let settings = self.settings_key.get_or_insert_with(|| {
            let config = self.repo.config_snapshot();
            let mut files: Vec<PathBuf> = ["info/exclude", "info/attributes"]
                .iter()
                .map(|f| self.repo.common_dir().join(f))
                .collect();
            for key in ["core.excludesFile", "core.attributesFile"] {
                if let Ok(Some(p)) = config.trusted_path(key) {
                    files.push(p);
                }
            }
            // git's defaults for them when unset.
            let xdg = std::env::var_os("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")));
            if let Some(xdg) = xdg {
                files.push(xdg.join("git/ignore"));
                files.push(xdg.join("git/attributes"));
            }
            let text = config.plumbing().to_bstring();
            let stamps: Vec<String> = files
                .iter()
                .map(|f| stamp(f).unwrap_or_else(|| "-".into()))
                .collect();
            format!(
                "{:016x}/{}",
                crate::infra::watch::fnv1a(&text),
                stamps.join("/")
            )
        });
        let head = head.map_or_else(|| "unborn".to_owned(), |h| h.to_string());
        Some(format!("{head}:{index}:{settings}"))
    }
}

/// The checksum that ends an index file (its content's hash), else its [`stamp`].
fn index_checksum(path: &Path) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    let mut trailer = [0u8; 20];
    file.seek(SeekFrom::End(-20)).ok()?;
    file.read_exact(&mut trailer).ok()?;
    if trailer.iter().all(|b| *b == 0) {
        return stamp(path);
    }
    Some(trailer.iter().map(|b| format!("{b:02x}")).collect())
}

/// A file as it is on disk, to tell whether it was replaced or written since: device,
/// inode, size, and modification and change times to the nanosecond. Of the file a link
/// points to (an excludes file kept in a dotfiles repository is edited there).
fn stamp(path: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some(format!(
        "{}.{}.{}.{}.{}.{}.{}",
        m.dev(),
        m.ino(),
        m.size(),
        m.mtime(),
        m.mtime_nsec(),
        m.ctime(),
        m.ctime_nsec()
    ))
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
