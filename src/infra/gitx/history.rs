//! Counting commits between two tips.

use std::collections::HashMap;
use std::path::Path;

use gix::ObjectId;

use crate::infra::error::Result;

/// Commits in `tip` not in `base` and in `base` not in `tip`: (ahead, behind), like
/// `git rev-list --left-right --count tip...base`.
///
/// Two gix walks with the other tip hidden, unless both sides are short single-parent chains.
/// (A hand-written paint-down walk that stops early on commit dates was tried and miscounted
/// when commits share a timestamp; correctness first.)
pub fn ahead_behind(
    repo: &gix::Repository,
    tip: ObjectId,
    base: ObjectId,
) -> Result<(usize, usize)> {
    if tip == base {
        return Ok((0, 0));
    }
    if let Some(counts) = linear_ahead_behind(repo, tip, base)? {
        return Ok(counts);
    }
    let count = |from: ObjectId, hide: ObjectId| -> Result<usize> {
        let mut n = 0;
        for info in repo.rev_walk([from]).with_hidden([hide]).all()? {
            info?;
            n += 1;
        }
        Ok(n)
    };
    Ok((count(tip, base)?, count(base, tip)?))
}

/// The common case of a ticket branch, answered by reading a few commits: both sides are
/// chains of single-parent commits (up to 64) down to a commit they share. Then the commits
/// above the meeting point are exactly the ahead and behind ones. `None` when the history
/// is anything else (a merge on the way, a longer divergence): the caller walks it fully.
///
/// The two chains are walked a step at a time each, so the cost is the distance to the
/// meeting point, not the length of the history. The first commit found on both chains is
/// the meeting point: each side reaches it before anything below it, so whichever side
/// arrives second there arrives there before either could arrive second anywhere lower.
fn linear_ahead_behind(
    repo: &gix::Repository,
    tip: ObjectId,
    base: ObjectId,
) -> Result<Option<(usize, usize)>> {
    const LIMIT: usize = 64;
    // Per side: each commit passed with its distance from that side's tip, and the next one.
    // A side stops at a commit without exactly one parent; that commit may still be the
    // meeting point, since everything above it on the side had a single parent.
    let mut seen: [HashMap<ObjectId, usize>; 2] = Default::default();
    let mut next = [Some(tip), Some(base)];
    for distance in 0..=LIMIT {
        if next.iter().all(Option::is_none) {
            return Ok(None);
        }
        for side in 0..2 {
            let Some(id) = next[side] else { continue };
            if let Some(&other) = seen[1 - side].get(&id) {
                return Ok(Some(if side == 0 {
                    (distance, other)
                } else {
                    (other, distance)
                }));
            }
            seen[side].insert(id, distance);
            let commit = repo.find_commit(id)?;
            let mut parents = commit.parent_ids();
            next[side] = match (parents.next(), parents.next()) {
                (Some(p), None) => Some(p.detach()),
                _ => None,
            };
        }
    }
    Ok(None)
}

/// The newest commit on `tip`'s first-parent line whose subject starts with `prefix`,
/// looking down to `stop` (not included) and at most `limit` commits.
pub fn find_on_first_parents(
    repo: &gix::Repository,
    tip: ObjectId,
    stop: Option<ObjectId>,
    prefix: &str,
    limit: usize,
) -> Result<Option<ObjectId>> {
    let mut at = Some(tip);
    for _ in 0..limit {
        let Some(id) = at.filter(|id| Some(*id) != stop) else {
            break;
        };
        let commit = repo.find_commit(id)?;
        if commit.message_raw()?.starts_with(prefix.as_bytes()) {
            return Ok(Some(id));
        }
        at = commit.parent_ids().next().map(|p| p.detach());
    }
    Ok(None)
}

/// Whether commit `a` is `b` or an ancestor of it, asked of git itself: right after a
/// fetch by another process, its objects are certain to be seen.
pub fn is_ancestor(root: &Path, a: ObjectId, b: ObjectId) -> Result<bool> {
    if a == b {
        return Ok(true);
    }
    let out = duct::cmd(
        "git",
        [
            "merge-base",
            "--is-ancestor",
            &a.to_string(),
            &b.to_string(),
        ],
    )
    .dir(root)
    .stdout_null()
    .stderr_capture()
    .unchecked()
    .run()?;
    match out.status.code() {
        Some(0) => Ok(true),
        Some(1) => Ok(false),
        _ => Err(anyhow::anyhow!(
            "git merge-base --is-ancestor {a} {b} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

/// A commit of git-epic's own bookkeeping (notes, claims), made by git-epic rather than by
/// the user's identity, which a machine need not have configured.
pub fn bookkeeping_commit(
    repo: &gix::Repository,
    message: &str,
    tree: gix::ObjectId,
    parents: impl IntoIterator<Item = gix::ObjectId>,
) -> crate::infra::error::Result<gix::ObjectId> {
    let sig = gix::actor::Signature {
        name: "git-epic".into(),
        email: "git-epic@localhost".into(),
        time: gix::date::Time::now_local_or_utc(),
    };
    let mut buf = gix::date::parse::TimeBuf::default();
    let sig = sig.to_ref(&mut buf);
    Ok(repo.new_commit_as(sig, sig, message, tree, parents)?.id)
}
