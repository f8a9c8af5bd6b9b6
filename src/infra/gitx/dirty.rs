//! Whether a worktree holds work that is not committed.

use std::sync::atomic::{AtomicBool, Ordering};

use gix::ObjectId;

use crate::infra::error::Result;

/// Whether the worktree has staged, unstaged or untracked (not ignored) changes, like a
/// non-empty `git status --porcelain`.
pub fn is_dirty(repo: &gix::Repository) -> Result<bool> {
    let head_tree = repo.head_tree_id_or_empty()?.detach();
    let index = repo.index_or_empty()?;
    dirty_against(repo, head_tree, &index)
}

/// [`is_dirty`] for the worktree at `repo.workdir()` with its `index` and the tree of its
/// HEAD given, so that one repository handle can look at several linked worktrees.
pub(super) fn dirty_against(
    repo: &gix::Repository,
    head_tree: ObjectId,
    index: &gix::index::State,
) -> Result<bool> {
    Ok(has_staged_changes(repo, head_tree, index)? || worktree_differs(repo, index)?)
}

/// Whether the index differs from HEAD's tree. The index's cache tree, when valid for the
/// whole index, names the tree the index would write: equal to HEAD's, nothing is staged.
/// Only without it are the two compared entry by entry (which reads every tree object).
fn has_staged_changes(
    repo: &gix::Repository,
    head_tree: ObjectId,
    index: &gix::index::State,
) -> Result<bool> {
    if let Some(cache) = index.tree() {
        if cache
            .num_entries
            .is_some_and(|n| n as usize == index.entries().len())
        {
            return Ok(cache.id != head_tree);
        }
    }
    // All paths, not just those under the current directory (what a missing pathspec means).
    let mut everything = repo.pathspec(
        false,
        std::iter::empty::<&gix::bstr::BStr>(),
        true,
        index,
        gix::worktree::stack::state::attributes::Source::IdMapping,
    )?;
    let mut changed = false;
    repo.tree_index_status(
        &head_tree,
        index,
        Some(&mut everything),
        gix::status::tree_index::TrackRenames::Disabled,
        |_, _, _| {
            changed = true;
            Ok(std::ops::ControlFlow::Break(()))
        },
    )?;
    Ok(changed)
}

/// The index against the files, and a walk for untracked files (which
/// `Repository::is_dirty` ignores, but a file an agent created and did not commit is
/// exactly the kind of work that must show). Stops at the first change.
fn worktree_differs(repo: &gix::Repository, index: &gix::index::State) -> Result<bool> {
    let stop = AtomicBool::new(false);
    let mut first = FirstChange {
        found: false,
        stop: &stop,
    };
    let options = gix::status::index_worktree::Options {
        sorting: None,
        dirwalk_options: Some(
            repo.dirwalk_options()?
                .emit_untracked(gix::dir::walk::EmissionMode::CollapseDirectory),
        ),
        rewrites: None,
        thread_limit: None,
    };
    let outcome = repo.index_worktree_status(
        index,
        std::iter::empty::<&gix::bstr::BStr>(),
        &mut first,
        gix::status::plumbing::index_as_worktree::traits::FastEq,
        IgnoreSubmodules,
        &mut gix::progress::Discard,
        &stop,
        options,
    );
    // Stopping at the first change may surface as an "interrupted" error: the change counts.
    match outcome {
        _ if first.found => Ok(true),
        Ok(_) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// A delegate that notes the first change (what `git status --porcelain` would print) and
/// asks the walk to stop.
struct FirstChange<'a> {
    found: bool,
    stop: &'a AtomicBool,
}

impl<'index> gix::status::plumbing::index_as_worktree_with_renames::VisitEntry<'index>
    for FirstChange<'_>
{
    type ContentChange = ();
    type SubmoduleStatus = ();

    fn visit_entry(
        &mut self,
        entry: gix::status::plumbing::index_as_worktree_with_renames::Entry<'index, (), ()>,
    ) {
        use gix::status::plumbing::index_as_worktree::EntryStatus;
        use gix::status::plumbing::index_as_worktree_with_renames::Entry;
        // Same content, only the index's stat data is stale (a racily clean entry): git
        // status refreshes the index and shows nothing.
        if let Entry::Modification {
            status: EntryStatus::NeedsUpdate(_),
            ..
        } = entry
        {
            return;
        }
        self.found = true;
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Submodules are not looked into, as before: a ticket worktree's own files are what count.
#[derive(Clone)]
struct IgnoreSubmodules;

impl gix::status::plumbing::index_as_worktree::traits::SubmoduleStatus for IgnoreSubmodules {
    type Output = ();

    fn status(
        &mut self,
        _entry: &gix::index::Entry,
        _rela_path: &gix::bstr::BStr,
    ) -> gix::Result<Option<()>> {
        Ok(None)
    }
}
