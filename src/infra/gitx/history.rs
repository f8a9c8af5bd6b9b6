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

/// Whether commit `a` is `b` or an ancestor of it. The repository is opened afresh for
/// the question: right after a fetch by another process, its new objects are certain to be
/// seen (a handle kept from before might not look for new packs). In-process: a remote
/// landing asks this once or twice per try, and a `git merge-base` each cost a process.
pub fn is_ancestor(root: &Path, a: ObjectId, b: ObjectId) -> Result<bool> {
    if a == b {
        return Ok(true);
    }
    let repo = gix::open(root)?;
    // When `a` is reachable from `b`, every common ancestor is one of `a`'s: `a` is the
    // one best merge base.
    let base = repo
        .merge_base(a, b)
        .map_err(|e| anyhow::anyhow!("whether {a} is an ancestor of {b}: {e}"))?;
    Ok(base.is_some_and(|m| m.detach() == a))
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

#[cfg(test)]
mod tests {
    use gix::ObjectId;

    /// In-process answers agree with `git merge-base --is-ancestor` on a history with a
    /// merge, a side branch and an unrelated root.
    #[test]
    fn is_ancestor_answers_as_git_does() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let git = crate::infra::gitx::testing::git_in(root);
        let commit = |msg: &str| {
            git(&["commit", "-q", "--allow-empty", "-m", msg]);
            ObjectId::from_hex(git(&["rev-parse", "HEAD"]).as_bytes()).unwrap()
        };
        git(&["init", "-q", "-b", "main"]);
        let a = commit("a");
        let b = commit("b");
        git(&["checkout", "-q", "-b", "side", &a.to_string()]);
        let s = commit("s");
        git(&["checkout", "-q", "main"]);
        git(&["merge", "-q", "--no-edit", "side"]);
        let m = ObjectId::from_hex(git(&["rev-parse", "HEAD"]).as_bytes()).unwrap();
        git(&["checkout", "-q", "--orphan", "other"]);
        let u = commit("unrelated");
        let all = [a, b, s, m, u];
        for x in all {
            for y in all {
                let by_git = std::process::Command::new("git")
                    .args([
                        "merge-base",
                        "--is-ancestor",
                        &x.to_string(),
                        &y.to_string(),
                    ])
                    .current_dir(root)
                    .status()
                    .unwrap()
                    .success();
                assert_eq!(super::is_ancestor(root, x, y).unwrap(), by_git, "{x} {y}");
            }
        }
    }
}
