//! The inotify watches over the worktrees' directory trees, and the generation each event
//! raises. One inotify descriptor serves them all and the cookie directory, so its events
//! come in one order.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use inotify::{EventMask, Inotify, WatchDescriptor, WatchMask, Watches};

use super::{Cached, Known, Posted};

/// What changes a directory's content or a file in it. Not opens and reads: status's own walk
/// would raise them, and so would every agent that reads.
fn mask() -> WatchMask {
    WatchMask::CREATE
        | WatchMask::DELETE
        | WatchMask::MODIFY
        | WatchMask::ATTRIB
        | WatchMask::CLOSE_WRITE
        | WatchMask::MOVED_FROM
        | WatchMask::MOVED_TO
        | WatchMask::DELETE_SELF
        | WatchMask::MOVE_SELF
        | WatchMask::ONLYDIR
        | WatchMask::DONT_FOLLOW
        | WatchMask::EXCL_UNLINK
}

/// One worktree.
struct Root {
    path: PathBuf,
    gen: u64,
    /// Every directory of it is watched: its generation can be trusted.
    ready: bool,
    /// Waiting for (or in) a walk that adds its watches.
    queued: bool,
    /// Its watches could not all be added (the user's inotify limit): never trusted.
    broken: bool,
    cached: Option<(u64, Cached)>,
    /// The directory watched (device, inode): a worktree removed and made again at the same
    /// path, or moved away with a parent, is another directory its watches do not see.
    identity: Option<(u64, u64)>,
}

struct State {
    roots: Vec<Root>,
    by_path: HashMap<PathBuf, usize>,
    dirs: HashMap<WatchDescriptor, (usize, PathBuf)>,
    cookie_wd: Option<WatchDescriptor>,
    cookie_seen: u64,
    /// At most this many watches (see [`budget`]).
    budget: usize,
    last_request: Instant,
    /// Raised by each overflow: a walk that saw one may have missed a new directory.
    overflows: u64,
}

pub(super) struct Tree {
    watches: Mutex<Watches>,
    state: Mutex<State>,
    cookie_seen: Condvar,
    /// Roots to walk, for the walker thread.
    walks: Mutex<std::sync::mpsc::Sender<usize>>,
}

impl Tree {
    /// The tree, the inotify descriptor whose events [`Tree::run_events`] reads, and the
    /// receiver of the walks [`Tree::run_walks`] makes.
    pub fn new(
        cookies: &Path,
    ) -> std::io::Result<(Tree, Inotify, std::sync::mpsc::Receiver<usize>)> {
        let inotify = Inotify::init()?;
        let mut watches = inotify.watches();
        let cookie_wd = watches.add(cookies, WatchMask::CREATE | WatchMask::ONLYDIR)?;
        let limit = std::fs::read_to_string("/proc/sys/fs/inotify/max_user_watches")
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .unwrap_or(8192);
        let (tx, rx) = std::sync::mpsc::channel();
        let tree = Tree {
            watches: Mutex::new(watches),
            state: Mutex::new(State {
                roots: Vec::new(),
                by_path: HashMap::new(),
                dirs: HashMap::new(),
                cookie_wd: Some(cookie_wd),
                cookie_seen: 0,
                budget: budget(limit).saturating_sub(watches_in_use()),
                last_request: Instant::now(),
                overflows: 0,
            }),
            cookie_seen: Condvar::new(),
            walks: Mutex::new(tx),
        };
        Ok((tree, inotify, rx))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn idle_for(&self) -> Duration {
        self.state().last_request.elapsed()
    }

    /// Note a request: the watcher leaves once none came for a while.
    pub fn asked(&self) {
        self.state().last_request = Instant::now();
    }

    /// Watch these worktrees from now on (a walk for each new one, and for each that is no
    /// longer the directory watched).
    pub fn want(&self, paths: &[PathBuf]) {
        // Looked at before the lock: a slow file system must not hold up the events.
        let found: Vec<Option<(u64, u64)>> = paths.iter().map(|p| identity(p)).collect();
        let mut st = self.state();
        for (p, found) in paths.iter().zip(found) {
            let r = match st.by_path.get(p) {
                Some(&r) => r,
                None => {
                    st.roots.push(Root {
                        path: p.clone(),
                        gen: 0,
                        ready: false,
                        queued: false,
                        broken: false,
                        cached: None,
                        identity: None,
                    });
                    let r = st.roots.len() - 1;
                    st.by_path.insert(p.clone(), r);
                    r
                }
            };
            let root = &mut st.roots[r];
            if root.ready && found != root.identity {
                root.ready = false;
                root.gen += 1;
            }
            if !root.ready && !root.queued && !root.broken && found.is_some() {
                root.queued = true;
                let _ = self.walks.lock().map(|tx| tx.send(r));
            }
        }
    }

    /// Wait until every event of changes made before now has been counted: `cookie` names
    /// a file made in the cookie directory after the request came.
    pub fn wait_for_cookie(&self, cookie: u64, timeout: Duration) -> bool {
        let st = self.state();
        let (st, _) = self
            .cookie_seen
            .wait_timeout_while(st, timeout, |st| st.cookie_seen < cookie)
            .unwrap_or_else(|p| p.into_inner());
        st.cookie_seen >= cookie
    }

    pub fn known(&self, paths: &[PathBuf]) -> Vec<Option<Known>> {
        let st = self.state();
        paths
            .iter()
            .map(|p| {
                let root = &st.roots[*st.by_path.get(p)?];
                (root.ready && !root.broken).then(|| Known {
                    gen: root.gen,
                    cached: root
                        .cached
                        .as_ref()
                        .filter(|(g, _)| *g == root.gen)
                        .map(|(_, c)| c.clone()),
                })
            })
            .collect()
    }

    /// Keep each result read at a generation that is still the worktree's.
    pub fn remember(&self, results: Vec<Posted>) {
        let mut st = self.state();
        for p in results {
            let Some(&r) = st.by_path.get(&p.path) else {
                continue;
            };
            let root = &mut st.roots[r];
            if root.ready && !root.broken && root.gen == p.gen {
                let cached = Cached {
                    key: p.key,
                    dirty: p.dirty,
                };
                root.cached = Some((p.gen, cached));
            }
        }
    }

    /// The walker thread: adds the watches of each root sent to it, then trusts it.
    pub fn run_walks(&self, rx: std::sync::mpsc::Receiver<usize>) {
        for r in rx {
            let (top, overflows) = {
                let st = self.state();
                (st.roots[r].path.clone(), st.overflows)
            };
            let before = identity(&top);
            let walked = self.watch_dirs(r, &top);
            // Removed or replaced during the walk: its watches are not the directory's.
            let same = before.is_some() && identity(&top) == before;
            let mut st = self.state();
            let seen_overflow = st.overflows != overflows;
            let root = &mut st.roots[r];
            root.queued = false;
            root.gen += 1;
            match walked {
                Walk::Done => {
                    root.ready = !seen_overflow && same;
                    root.identity = before;
                }
                // Gone before its walk: watched afresh when asked for again.
                Walk::Missing => root.ready = false,
                Walk::Refused => {
                    drop(st);
                    self.give_up(r);
                }
            }
        }
    }

    /// Add a watch on `top` and every directory under it (not into `.git` directories: a
    /// submodule's repository is not its files). The watch comes before the listing, so a
    /// directory made meanwhile is either listed or raises an event.
    fn watch_dirs(&self, r: usize, top: &Path) -> Walk {
        let mut stack = vec![top.to_path_buf()];
        while let Some(dir) = stack.pop() {
            {
                let st = self.state();
                if st.dirs.len() >= st.budget {
                    return Walk::Refused;
                }
            }
            let added = self
                .watches
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .add(&dir, mask());
            match added {
                Ok(wd) => {
                    self.state().dirs.insert(wd, (r, dir.clone()));
                }
                // Gone or replaced since it was listed: its parent's event tells.
                Err(e)
                    if e.kind() == std::io::ErrorKind::NotFound
                        || e.raw_os_error() == Some(libc::ENOTDIR) =>
                {
                    if dir == top {
                        return Walk::Missing;
                    }
                    continue;
                }
                Err(_) => return Walk::Refused,
            }
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                // A directory not listed may hide others: the walk is not complete.
                Err(_) => return Walk::Refused,
            };
            for e in entries {
                let Ok(e) = e else { return Walk::Refused };
                let Ok(t) = e.file_type() else {
                    return Walk::Refused;
                };
                if t.is_dir() && e.file_name() != ".git" {
                    stack.push(e.path());
                }
            }
        }
        Walk::Done
    }

    /// A root whose watches could not all be added: drop them, so that others fit.
    fn give_up(&self, r: usize) {
        let mut st = self.state();
        st.roots[r].broken = true;
        st.roots[r].ready = false;
        st.roots[r].cached = None;
        let wds: Vec<WatchDescriptor> = st
            .dirs
            .iter()
            .filter(|(_, (root, _))| *root == r)
            .map(|(wd, _)| wd.clone())
            .collect();
        for wd in &wds {
            st.dirs.remove(wd);
        }
        drop(st);
        let mut watches = self.watches.lock().unwrap_or_else(|p| p.into_inner());
        for wd in wds {
            let _ = watches.remove(wd);
        }
    }

    /// The event thread: counts each event against its worktree, watches new directories,
    /// and only then lets the cookies it saw through (a file written in a new directory
    /// after the reply would otherwise go unseen).
    pub fn run_events(&self, mut inotify: Inotify) {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let events = match inotify.read_events_blocking(&mut buffer) {
                Ok(events) => events,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            };
            let mut new_dirs: Vec<(usize, PathBuf)> = Vec::new();
            let mut cookie = None;
            let mut overflow = false;
            {
                let mut st = self.state();
                for ev in events {
                    if ev.mask.contains(EventMask::Q_OVERFLOW) {
                        overflow = true;
                        continue;
                    }
                    if Some(&ev.wd) == st.cookie_wd.as_ref() {
                        cookie = cookie.max(ev.name.and_then(cookie_number));
                        continue;
                    }
                    let Some((r, dir)) = st.dirs.get(&ev.wd).cloned() else {
                        continue;
                    };
                    st.roots[r].gen += 1;
                    if ev.mask.contains(EventMask::IGNORED) {
                        st.dirs.remove(&ev.wd);
                    }
                    if ev
                        .mask
                        .intersects(EventMask::DELETE_SELF | EventMask::MOVE_SELF)
                        && dir == st.roots[r].path
                    {
                        // The worktree itself went: watch it afresh if it comes back.
                        st.roots[r].ready = false;
                    }
                    let made_dir = ev.mask.contains(EventMask::ISDIR)
                        && ev.mask.intersects(EventMask::CREATE | EventMask::MOVED_TO);
                    if let (true, Some(name)) = (made_dir, ev.name) {
                        if name != ".git" {
                            new_dirs.push((r, dir.join(name)));
                        }
                    }
                }
                if overflow {
                    st.overflows += 1;
                    // Events were lost, new directories among them: nothing is trusted until
                    // every worktree is walked again.
                    for root in &mut st.roots {
                        root.gen += 1;
                        root.ready = false;
                    }
                }
            }
            for (r, dir) in new_dirs {
                if let Walk::Refused = self.watch_dirs(r, &dir) {
                    self.give_up(r);
                }
                // A reader given the generation of the directory's creation may have read
                // it before its watches were all there: what it tells back must not count.
                self.state().roots[r].gen += 1;
            }
            if overflow {
                let paths: Vec<PathBuf> =
                    self.state().roots.iter().map(|r| r.path.clone()).collect();
                let mut st = self.state();
                for root in &mut st.roots {
                    root.queued = false;
                }
                drop(st);
                self.want(&paths);
            }
            if let Some(n) = cookie {
                let mut st = self.state();
                st.cookie_seen = st.cookie_seen.max(n);
                self.cookie_seen.notify_all();
            }
        }
    }
}

/// The watches this watcher may take of the user's `limit`: all but a share left for the
/// editor's and the other tools' watchers, an eighth of the limit and at least 16,384 (as
/// many as the kernel's old default for everything), yet never more than half. 50 worktrees
/// of 20,000 files in 4,000 directories need 200,000: where they do not fit, the worktrees
/// left out are read on every call.
fn budget(limit: usize) -> usize {
    let reserve = (limit / 8).max(16_384.min(limit / 2));
    limit - reserve
}

/// The inotify watches this user's processes hold now (other watchers of git-epic among
/// them), counted in `/proc/<pid>/fdinfo`: the kernel's limit is per user, and the share
/// left to others must stay free whoever came first.
fn watches_in_use() -> usize {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut used = 0;
    for p in procs.flatten() {
        let Ok(fds) = std::fs::read_dir(p.path().join("fd")) else {
            continue; // not ours, or gone
        };
        for fd in fds.flatten() {
            let is_inotify =
                std::fs::read_link(fd.path()).is_ok_and(|t| t.as_os_str() == "anon_inode:inotify");
            if is_inotify {
                let info = p.path().join("fdinfo").join(fd.file_name());
                used += std::fs::read_to_string(info).map_or(0, |t| {
                    t.lines().filter(|l| l.starts_with("inotify wd:")).count()
                });
            }
        }
    }
    used
}

/// A directory's (device, inode), following no link; `None` when it is not a directory.
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::symlink_metadata(path).ok()?;
    m.is_dir().then(|| (m.dev(), m.ino()))
}

enum Walk {
    Done,
    /// The worktree itself is not there.
    Missing,
    /// The budget or the kernel refused a watch.
    Refused,
}

fn cookie_number(name: &OsStr) -> Option<u64> {
    name.to_str()?.strip_prefix('c')?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_budget_leaves_other_watchers_an_eighth_and_at_least_16384_or_half() {
        assert_eq!(super::budget(8_192), 4_096);
        assert_eq!(super::budget(65_536), 49_152);
        assert_eq!(super::budget(192_546), 192_546 - 24_068);
        assert_eq!(super::budget(1_048_576), 1_048_576 - 131_072);
    }

    #[test]
    fn the_watches_in_use_count_this_process_own() {
        let dir = tempfile::tempdir().unwrap();
        let inotify = inotify::Inotify::init().unwrap();
        for d in ["a", "b", "c"] {
            std::fs::create_dir(dir.path().join(d)).unwrap();
            inotify
                .watches()
                .add(dir.path().join(d), inotify::WatchMask::CREATE)
                .unwrap();
        }
        // Other processes may add or drop theirs meanwhile; ours are three.
        assert!(super::watches_in_use() >= 3);
        drop(inotify);
    }
}
