//! Rebase in process, for the common case of a ticket branch: a short chain of
//! single-parent commits on a clean worktree, each of which applies cleanly on the new base.
//!
//! `git rebase` refreshes the whole index, checks the base out and writes every file's stat
//! data again (about three lstat()s per tracked file, 30 ms a worktree at 2,000 files); here
//! each commit is merged without a working tree (`git merge-tree`, as `git replay` does), and
//! only the files that differ between the old and the new tip are written. Anything else is
//! declined before a thing is changed, and left to `git rebase`: a conflict, a commit that
//! is or becomes empty or was already cherry-picked onto the base, merges, submodules, hooks,
//! signing, sparse checkouts, an untracked file in the way, a changed `.gitattributes`.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use anyhow::{anyhow, Context};
use gix::bstr::{BStr, BString, ByteSlice};
use gix::object::tree::EntryKind;
use gix::ObjectId;

use crate::infra::error::Result;

mod plan;
use plan::{plan, untouched, Plan};

/// What [`transplant`] did.
#[derive(Debug)]
pub enum Transplant {
    /// The branch, the index and the files are on this commit.
    Done(ObjectId),
    /// A case left to `git rebase`, and why; nothing was changed.
    Declined(&'static str),
}

use Transplant::Declined;

/// Commits a ticket branch may have beyond the base for this path; a longer one is rebased
/// by git.
const MAX_PICKS: usize = 64;
/// Commits of the base walked to find one of ours cherry-picked there.
const MAX_BASE_WALK: usize = 1000;

/// Rebase the branch checked out in the (clean) worktree of `repo` onto `onto`. An error
/// after the branch moved resets the worktree to it (`git reset --hard`: it was clean, so
/// that only undoes what this wrote); so does the next propagate after a kill (the caller
/// notes its intent before).
pub fn transplant(repo: &gix::Repository, onto: ObjectId) -> Result<Transplant> {
    let Some(workdir) = repo.workdir().map(Path::to_owned) else {
        return Ok(Declined("no working tree"));
    };
    let Some(branch) = repo.head_name()? else {
        return Ok(Declined("HEAD is not on a branch"));
    };
    let head = repo.head_id()?.detach();
    if let Some(why) = unusual(repo, &workdir) {
        return Ok(Declined(why));
    }
    let picks = match picks(repo, head, onto)? {
        Ok(picks) => picks,
        Err(why) => return Ok(Declined(why)),
    };
    let (tip, tip_tree) = match replay(repo, &workdir, &picks, onto)? {
        Ok(done) => done,
        Err(why) => return Ok(Declined(why)),
    };
    // The index is ours from here to the end, read under its lock: no git in this worktree
    // writes it meanwhile.
    let lock = gix::lock::File::acquire_to_update_resource(
        repo.index_path(),
        gix::lock::acquire::Fail::Immediately,
        None,
        0,
    )
    .map_err(|e| anyhow!("{e}"))
    .with_context(|| format!("the index of {} is locked", workdir.display()))?;
    let old = repo.open_index()?;
    if let Some(why) = unusual_index(&old) {
        return Ok(Declined(why));
    }
    let changes = diff(repo, tree_of(repo, head)?, tip_tree)?;
    let plan = match plan(&changes, &workdir) {
        Ok(plan) => plan,
        Err(why) => return Ok(Declined(why)),
    };
    // Checked clean before propagate came here, but someone may have edited since: a file
    // to be written or removed must still be what the index says (git rebase refuses too).
    if !untouched(&workdir, &old, &plan) {
        return Ok(Declined("a file changed since the worktree was checked"));
    }
    let message = format!(
        "rebase (finish): {} onto {onto}",
        branch.as_bstr().to_str_lossy()
    );
    if !super::move_checked_out_branch(repo, &branch, head, tip, &message)? {
        return Err(anyhow!(
            "{} moved while it was rebased; nothing was changed",
            short(&branch)
        ));
    }
    let written = write_files(repo, &workdir, &plan, &old).and_then(|new| {
        use std::io::Write;
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, lock);
        new.write_to(&mut out, gix::index::write::Options::default())
            .map_err(|e| anyhow!("{e}"))?;
        out.flush()?;
        let lock = out.into_inner().map_err(|e| anyhow!("{e}"))?;
        lock.commit().map_err(|e| anyhow!("{e}"))?;
        Ok(())
    });
    if let Err(e) = written {
        let reset = super::git(&workdir, &["reset", "--hard", "--quiet"]);
        return Err(e.context(match reset {
            Ok(_) => format!("{} was reset to its rebased branch", workdir.display()),
            Err(r) => format!("and resetting {} failed too: {r:#}", workdir.display()),
        }));
    }
    let _ = std::fs::write(repo.git_dir().join("ORIG_HEAD"), format!("{head}\n"));
    Ok(Transplant::Done(tip))
}

fn short(branch: &gix::refs::FullName) -> String {
    branch.shorten().to_str_lossy().into_owned()
}

/// What only `git rebase` does right: hooks it would run, signatures it would make,
/// submodules it would leave to `checkout_submodules`, sparse checkouts, other refs it
/// would move.
fn unusual(repo: &gix::Repository, workdir: &Path) -> Option<&'static str> {
    if workdir.join(".gitmodules").exists() {
        return Some("submodules");
    }
    let config = repo.config_snapshot();
    for key in [
        "commit.gpgSign",
        "rebase.updateRefs",
        "core.sparseCheckout",
        "index.sparse",
    ] {
        if config.boolean(key) == Some(true) {
            return Some("signing, sparse checkout or update-refs");
        }
    }
    if config.string("core.hooksPath").is_some()
        || config
            .string("rebase.backend")
            .is_some_and(|b| b.as_bstr() != "merge")
    {
        return Some("hooks or another rebase backend");
    }
    let hooks = std::fs::read_dir(repo.common_dir().join("hooks"));
    if hooks
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| !e.file_name().to_string_lossy().ends_with(".sample"))
    {
        return Some("hooks");
    }
    None
}

fn unusual_index(index: &gix::index::File) -> Option<&'static str> {
    use gix::index::entry::{Flags, Stage};
    if index.link().is_some() || index.is_sparse() {
        return Some("a split or sparse index");
    }
    let odd = Flags::ASSUME_VALID | Flags::INTENT_TO_ADD | Flags::SKIP_WORKTREE;
    index
        .entries()
        .iter()
        .any(|e| e.stage() != Stage::Unconflicted || e.flags.intersects(odd))
        .then_some("index entries with special flags")
}

/// The commits of `head` not in `onto`, oldest first, when they are a chain of
/// single-parent commits none of which the base already has as a cherry-pick.
fn picks(
    repo: &gix::Repository,
    head: ObjectId,
    onto: ObjectId,
) -> Result<std::result::Result<Vec<ObjectId>, &'static str>> {
    let mut ours = Vec::new();
    for info in repo.rev_walk([head]).with_hidden([onto]).all()? {
        ours.push(info?.id);
        if ours.len() > MAX_PICKS {
            return Ok(Err("a long branch"));
        }
    }
    // A chain: each one's only parent is the next one walked, the last one's is in the base.
    let mut chain = Vec::new();
    let mut at = head;
    let mut authors = std::collections::HashSet::new();
    while ours.contains(&at) {
        let commit = repo.find_commit(at)?;
        let mut parents = commit.parent_ids();
        let (Some(parent), None) = (parents.next(), parents.next()) else {
            return Ok(Err("a merge commit"));
        };
        authors.insert(author_key(&commit)?);
        chain.push(at);
        at = parent.detach();
    }
    if chain.len() != ours.len() || chain.is_empty() {
        return Ok(Err("not a chain of commits on the base"));
    }
    // `git rebase` skips a commit the base got as a cherry-pick (same patch); a cherry-pick
    // keeps the author, date and message, which is what is looked for here.
    for (n, info) in repo.rev_walk([onto]).with_hidden([head]).all()?.enumerate() {
        if n >= MAX_BASE_WALK {
            return Ok(Err("a base far ahead"));
        }
        if authors.contains(&author_key(&repo.find_commit(info?.id)?)?) {
            return Ok(Err("a commit of the branch may be on the base already"));
        }
    }
    chain.reverse();
    Ok(Ok(chain))
}

fn author_key(commit: &gix::Commit<'_>) -> Result<(BString, BString, BString, BString)> {
    let a = commit.author()?;
    let summary = commit
        .message_raw()?
        .lines()
        .next()
        .unwrap_or_default()
        .into();
    Ok((a.name.into(), a.email.into(), a.time.into(), summary))
}

/// Each of `picks` merged onto the new base in turn: the new tip and its tree.
fn replay(
    repo: &gix::Repository,
    workdir: &Path,
    picks: &[ObjectId],
    onto: ObjectId,
) -> Result<std::result::Result<(ObjectId, ObjectId), &'static str>> {
    let (mut tip, mut tip_tree) = (onto, tree_of(repo, onto)?);
    let committer = repo
        .committer()
        .ok_or_else(|| anyhow!("could not make a commit (are user.name and user.email set?)"))?
        .map_err(|e| anyhow!("{e}"))?;
    let committer = gix::actor::Signature {
        name: committer.name.to_owned(),
        email: committer.email.to_owned(),
        time: gix::date::Time::now_local_or_utc(),
    };
    for &pick in picks {
        let commit = repo.find_commit(pick)?;
        let parent = commit
            .parent_ids()
            .next()
            .ok_or_else(|| anyhow!("{pick} has no parent"))?
            .detach();
        let tree = commit.tree_id()?.detach();
        let parent_tree = tree_of(repo, parent)?;
        if tree == parent_tree {
            return Ok(Err("a commit that was empty"));
        }
        let merged = match apart(repo, parent_tree, tree, tip_tree)? {
            Some(merged) => merged,
            None => match merge(workdir, parent, tip, pick)? {
                Some(merged) => merged,
                None => return Ok(Err("a conflict")),
            },
        };
        if merged == tip_tree {
            return Ok(Err("a commit that becomes empty"));
        }
        let decoded = commit.decode()?;
        let new = gix::objs::Commit {
            tree: merged,
            parents: [tip].into_iter().collect(),
            author: decoded.author()?.into(),
            committer: committer.clone(),
            encoding: decoded.encoding.map(ToOwned::to_owned),
            message: decoded.message.to_owned(),
            extra_headers: Vec::new(),
        };
        tip = repo.write_object(&new)?.detach();
        tip_tree = merged;
    }
    Ok(Ok((tip, tip_tree)))
}

fn tree_of(repo: &gix::Repository, commit: ObjectId) -> Result<ObjectId> {
    Ok(repo.find_commit(commit)?.tree_id()?.detach())
}

/// `pick` (whose parent is `base`) merged onto `tip`, without a working tree: the tree, or
/// None on a conflict.
fn merge(dir: &Path, base: ObjectId, tip: ObjectId, pick: ObjectId) -> Result<Option<ObjectId>> {
    let out = duct::cmd(
        "git",
        [
            "merge-tree".to_owned(),
            "--write-tree".to_owned(),
            "--no-messages".to_owned(),
            format!("--merge-base={base}"),
            tip.to_string(),
            pick.to_string(),
        ],
    )
    .dir(dir)
    .stdout_capture()
    .stderr_capture()
    .unchecked()
    .run()
    .context("could not run git merge-tree")?;
    match out.status.code() {
        Some(0) => {
            let text = String::from_utf8_lossy(&out.stdout);
            let line = text.lines().next().unwrap_or_default();
            Ok(Some(ObjectId::from_hex(line.trim().as_bytes())?))
        }
        Some(1) => Ok(None),
        _ => Err(anyhow!(
            "git merge-tree failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

/// A path whose entry differs between two trees: before and after (None: absent).
struct Change {
    path: BString,
    old: Option<(EntryKind, ObjectId)>,
    new: Option<(EntryKind, ObjectId)>,
}

/// The blobs (files, links, submodules) that differ from tree `a` to tree `b`, reading only
/// the subtrees whose ids differ.
fn diff(repo: &gix::Repository, a: ObjectId, b: ObjectId) -> Result<Vec<Change>> {
    let mut out = Vec::new();
    diff_into(repo, Some(a), Some(b), &mut BString::default(), &mut out)?;
    Ok(out)
}

fn diff_into(
    repo: &gix::Repository,
    a: Option<ObjectId>,
    b: Option<ObjectId>,
    prefix: &mut BString,
    out: &mut Vec<Change>,
) -> Result<()> {
    let entries = |id: Option<ObjectId>| -> Result<Vec<(BString, EntryKind, ObjectId)>> {
        let Some(id) = id else { return Ok(Vec::new()) };
        let tree = repo.find_tree(id)?;
        let decoded = tree.decode()?;
        Ok(decoded
            .entries
            .iter()
            .map(|e| (e.filename.to_owned(), e.mode.kind(), e.oid.to_owned()))
            .collect())
    };
    let (left, right) = (entries(a)?, entries(b)?);
    let find = |side: &[(BString, EntryKind, ObjectId)], name: &BStr, tree: bool| {
        side.iter()
            .find(|(n, k, _)| n.as_bstr() == name && (*k == EntryKind::Tree) == tree)
            .map(|(_, k, id)| (*k, *id))
    };
    let mut visit = |name: &BString,
                     old: Option<(EntryKind, ObjectId)>,
                     new: Option<(EntryKind, ObjectId)>|
     -> Result<()> {
        if old == new {
            return Ok(());
        }
        let len = prefix.len();
        if len > 0 {
            prefix.push(b'/');
        }
        prefix.extend_from_slice(name);
        let subtree = |e: Option<(EntryKind, ObjectId)>| e.map(|(_, id)| id);
        if old.or(new).is_some_and(|(k, _)| k == EntryKind::Tree) {
            diff_into(repo, subtree(old), subtree(new), prefix, out)?;
        } else {
            out.push(Change {
                path: prefix.clone(),
                old,
                new,
            });
        }
        prefix.truncate(len);
        Ok(())
    };
    for (name, kind, id) in &left {
        let tree = *kind == EntryKind::Tree;
        visit(name, Some((*kind, *id)), find(&right, name.as_bstr(), tree))?;
    }
    for (name, kind, id) in &right {
        let tree = *kind == EntryKind::Tree;
        if find(&left, name.as_bstr(), tree).is_none() {
            visit(name, None, Some((*kind, *id)))?;
        }
    }
    Ok(())
}

/// `pick` (tree `theirs`, its parent's `base`) onto `ours` when the two sides touch paths
/// apart, the one case where the merge is plain: `ours` with the pick's changes. None where
/// `git merge-tree` must say (a path or a directory both touch; the pick removes a file; one
/// side removes files and the other adds some, where git may see a rename).
fn apart(
    repo: &gix::Repository,
    base: ObjectId,
    theirs: ObjectId,
    ours: ObjectId,
) -> Result<Option<ObjectId>> {
    let (pick, side) = (diff(repo, base, theirs)?, diff(repo, base, ours)?);
    let removes = |c: &[Change]| c.iter().any(|c| c.new.is_none());
    let adds = |c: &[Change]| c.iter().any(|c| c.old.is_none());
    if removes(&pick) || (removes(&side) && adds(&pick)) {
        return Ok(None);
    }
    let meets = |a: &BStr, b: &BStr| {
        let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
        long.starts_with(short) && (long.len() == short.len() || long[short.len()] == b'/')
    };
    if pick.iter().any(|p| {
        side.iter()
            .any(|s| meets(p.path.as_bstr(), s.path.as_bstr()))
    }) {
        return Ok(None);
    }
    let mut editor = repo.edit_tree(ours)?;
    for change in &pick {
        if let Some((kind, id)) = change.new {
            if kind == EntryKind::Commit {
                return Ok(None);
            }
            editor.upsert(&change.path, kind, id)?;
        }
    }
    Ok(Some(editor.write()?.detach()))
}

/// Remove what the new tip no longer has, check out what it changed, and give back the
/// index of the new tip: `old`'s entries where nothing changed (their stat data too), the
/// written files' with their new stat data.
fn write_files(
    repo: &gix::Repository,
    workdir: &Path,
    plan: &Plan,
    old: &gix::index::File,
) -> Result<gix::index::File> {
    for path in &plan.remove {
        let file = workdir.join(path.to_path_lossy());
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(anyhow!(e).context(format!("could not remove {}", file.display())))
            }
            _ => {}
        }
        // Directories left empty go too, as git does.
        let mut dir = file.parent();
        while let Some(d) = dir.filter(|d| *d != workdir) {
            if std::fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
    }
    let mut some = gix::index::State::new(repo.object_hash());
    for (path, mode, id) in &plan.write {
        let flags = gix::index::entry::Flags::empty();
        some.dangerously_push_entry(Default::default(), *id, flags, *mode, path.as_bstr());
    }
    if !plan.write.is_empty() {
        let mut options = repo.checkout_options(
            gix::worktree::stack::state::attributes::Source::WorktreeThenIdMapping,
        )?;
        options.overwrite_existing = true;
        options.destination_is_initially_empty = false;
        options.thread_limit = Some(1);
        let outcome = gix::worktree::state::checkout(
            &mut some,
            workdir,
            repo.objects.clone().into_arc()?,
            &gix::progress::Discard,
            &gix::progress::Discard,
            &AtomicBool::new(false),
            options,
        )
        .map_err(|e| anyhow!("{e}"))?;
        if let Some(e) = outcome.errors.first() {
            return Err(anyhow!("could not write {}: {}", e.path, e.error));
        }
        if !outcome.collisions.is_empty() {
            return Err(anyhow!("paths that differ only in case collided"));
        }
    }
    let changed: std::collections::HashSet<&BStr> = plan
        .remove
        .iter()
        .map(|p| p.as_bstr())
        .chain(plan.write.iter().map(|(p, _, _)| p.as_bstr()))
        .collect();
    let mut new = gix::index::State::new(repo.object_hash());
    for e in old.entries() {
        let path = e.path(old);
        if !changed.contains(path) {
            new.dangerously_push_entry(e.stat, e.id, e.flags, e.mode, path);
        }
    }
    for e in some.entries() {
        new.dangerously_push_entry(e.stat, e.id, e.flags, e.mode, e.path(&some));
    }
    new.sort_entries();
    Ok(gix::index::File::from_state(new, repo.index_path()))
}
