//! Steps on the tracking refs as they are, without a fetch first: the push that shares a
//! done ticket when the tracking refs already say what the remote has, what a push that went
//! through leaves in them (as git's own remote-tracking refs), and the local epic brought up
//! to the remote's as just fetched.

use anyhow::Result;
use gix::ObjectId;

use super::{push, track, Pushed};
use crate::infra::gitx;
use crate::model::epic::Workspace;

/// The push of the notes exchange alone (`share::exchange`), with a lease on the tracking refs as they are (what was last
/// fetched or pushed): this machine's notes ref, the claims that follow them, and
/// `branches`. False when a lease was stale (another process of this clone pushed, or a
/// branch is there at another tip): the whole exchange then.
pub(super) fn push_first(
    ws: &Workspace,
    repo: &gix::Repository,
    remote: &str,
    branches: &[(String, ObjectId)],
) -> Result<bool> {
    let name = &ws.epic.name;
    // Landings made here while the remote could not be reached go out with the epic, in
    // the whole exchange: never notes that say merged before the remote's epic has it.
    let epic_there = gitx::resolve_commit(repo, &track(remote, name, "epic"));
    if gitx::branch_tip(repo, &ws.epic.branch)? != epic_there {
        return Ok(false);
    }
    let mut updates: Vec<_> = super::view::own_update(repo, remote, name, false)?
        .into_iter()
        .collect();
    updates.extend(super::claims::follow_notes(repo, remote, name)?);
    for (b, tip) in branches {
        let there = gitx::resolve_commit(repo, &track(remote, name, b));
        if there != Some(*tip) {
            updates.push((*tip, format!("refs/heads/{b}"), there));
        }
    }
    // Everything there already (another exchange of this run pushed it a moment ago).
    if updates.is_empty() {
        return Ok(true);
    }
    if !matches!(push(&ws.root, remote, &updates)?, Pushed::Done) {
        return Ok(false);
    }
    remember_pushed(ws, repo, remote, &updates);
    Ok(true)
}

/// After a push went through, the tracking refs of what it pushed say what the remote has
/// now, as a fetch would: the next push's lease is on them.
pub(super) fn remember_pushed(
    ws: &Workspace,
    repo: &gix::Repository,
    remote: &str,
    updates: &[super::wire::Update],
) {
    let name = &ws.epic.name;
    let epic_ref = format!("refs/heads/{}", ws.epic.branch);
    for (id, dst, _) in updates {
        let tracking = if dst == &epic_ref {
            track(remote, name, "epic")
        } else if let Some(rest) = dst.strip_prefix(&format!("refs/epic/{name}/")) {
            track(remote, name, rest)
        } else if let Some(branch) = dst.strip_prefix("refs/heads/") {
            track(remote, name, branch)
        } else {
            continue;
        };
        let _ = repo.reference(
            tracking.as_str(),
            *id,
            gix::refs::transaction::PreviousValue::Any,
            "git-epic: pushed",
        );
    }
}

/// The local epic brought up to the remote's, `remote_epic` as just fetched, when it is
/// behind it (landings made elsewhere) and not checked out: anything else is left to an
/// exchange of the notes, which settles it.
pub(super) fn follow_epic(
    ws: &Workspace,
    repo: &gix::Repository,
    remote_epic: Option<ObjectId>,
) -> Result<()> {
    let (Some(local), Some(there)) = (gitx::branch_tip(repo, &ws.epic.branch)?, remote_epic) else {
        return Ok(());
    };
    let base = repo
        .merge_base(local, there)
        .ok()
        .flatten()
        .map(|b| b.detach());
    if local != there
        && base == Some(local)
        && gitx::checked_out_at(repo, &ws.epic.branch)?.is_none()
    {
        let _ = gitx::move_branch(
            repo,
            &ws.epic.branch,
            local,
            there,
            "git-epic: sync from the remote",
        );
    }
    Ok(())
}
