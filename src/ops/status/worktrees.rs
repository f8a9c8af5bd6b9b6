//! Reading the ticket worktrees for `status`: several at a time, each through the shared
//! repository handle where it can, and not at all where the watcher (`infra::watch`) says
//! nothing changed since it was last read.

use std::path::PathBuf;

use super::Depth;
use crate::infra::{gitx, watch};

/// What is read from a ticket's worktree.
#[derive(Default)]
pub(super) struct WorktreeInfo {
    pub branch: Option<String>,
    pub ahead: Option<usize>,
    pub behind: Option<usize>,
    pub dirty: Option<bool>,
}

/// The worktrees at `paths`, in order; `watcher`: the common git dir whose watcher to ask.
/// Read in parallel: gix repositories are not `Sync`, so each thread opens its own handle on
/// the repository (at `root`), shared by the worktrees it reads.
pub(super) fn read_worktrees(
    root: &std::path::Path,
    paths: &[PathBuf],
    epic_tip: Option<gix::ObjectId>,
    depth: Depth,
    watcher: Option<&std::path::Path>,
) -> Vec<WorktreeInfo> {
    if depth == Depth::Notes {
        return paths.iter().map(|_| WorktreeInfo::default()).collect();
    }
    // What the watcher knows (`epic.watch`, docs/status.md): a worktree without an event
    // since it was last read is not read again.
    // No worktree, no watcher to start (a new epic, or one whose worktrees were cleaned up).
    let session = watcher
        .filter(|_| paths.iter().any(|p| p.is_dir()))
        .and_then(|common| watch::query(common, paths));
    let known = |i: usize| session.as_ref().and_then(|s| s.known[i].as_ref());
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(paths.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    type Read = (usize, WorktreeInfo, Option<watch::Posted>, bool);
    let done: Vec<Read> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut reader = gitx::WorktreeReader::open(root);
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(path) = paths.get(i) else { break out };
                        let (info, posted, remembered) =
                            read_worktree(&mut reader, path, epic_tip, known(i));
                        out.push((i, info, posted, remembered));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a status worker panicked"))
            .collect()
    });
    let mut results: Vec<WorktreeInfo> = paths.iter().map(|_| WorktreeInfo::default()).collect();
    let mut posted = Vec::new();
    let mut remembered = 0;
    for (i, info, p, r) in done {
        results[i] = info;
        posted.extend(p);
        remembered += usize::from(r);
    }
    crate::infra::trace::trace(|| {
        format!(
            "status: {} worktrees, watcher {}, {} with a remembered answer, {} read and told",
            paths.len(),
            if session.is_some() { "asked" } else { "none" },
            remembered,
            posted.len()
        )
    });
    if let Some(session) = &session {
        session.post(posted);
    }
    results
}

/// One worktree: read, or taken from what the watcher remembered (`known`). Also what to
/// tell the watcher when it was read at a generation the watcher gave, and whether its
/// `dirty` is the remembered one.
fn read_worktree(
    reader: &mut Option<gitx::WorktreeReader>,
    path: &std::path::Path,
    epic_tip: Option<gix::ObjectId>,
    known: Option<&watch::Known>,
) -> (WorktreeInfo, Option<watch::Posted>, bool) {
    let remembered = known
        .and_then(|k| k.cached.as_ref())
        .map(|c| gitx::Remembered {
            key: &c.key,
            dirty: c.dirty,
        });
    let Some(gitx::Keyed {
        snapshot,
        key,
        remembered,
    }) = reader
        .as_mut()
        .and_then(|r| r.read_keyed(path, epic_tip, remembered, known.is_some()))
    else {
        return (WorktreeInfo::default(), None, false);
    };
    let posted = match (known, key, snapshot.dirty) {
        (Some(k), Some(key), Some(dirty)) => Some(watch::Posted {
            path: path.to_owned(),
            gen: k.gen,
            key,
            dirty,
        }),
        _ => None,
    };
    let info = WorktreeInfo {
        branch: snapshot.branch,
        ahead: snapshot.ahead_behind.map(|c| c.0),
        behind: snapshot.ahead_behind.map(|c| c.1),
        dirty: snapshot.dirty,
    };
    (info, posted, remembered)
}
