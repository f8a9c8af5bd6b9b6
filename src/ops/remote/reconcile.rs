//! Landings made while the remote could not be reached. They stay on the local epic
//! (local-only) until the remote is back. If the remote's epic has not moved meanwhile, the
//! next landing or `sync` fast-forwards it. If it has (another machine landed too), the two
//! epics have diverged: the local-only landings are put back to `done`, the local epic goes
//! to the remote's, and they land again on it through the merge queue (its merged-result
//! test again). The local epic as it was is kept under a ref, so nothing is lost; a landing
//! is made again only when it is not on the remote's epic, so none lands twice.

use anyhow::anyhow;
use gix::ObjectId;

use super::{remote_of, track};
use crate::infra::error::{usage, Result};
use crate::infra::gitx;
use crate::model::epic::Workspace;
use crate::model::state::{State, Store};

/// A ticket landed here and not on the remote's epic.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LocalLanding {
    pub id: String,
    /// The landing commit on the local epic.
    pub commit: String,
}

/// The landings on the local epic that the remote's (as last fetched) does not have, oldest
/// first. Empty without a remote or before the first fetch.
pub fn local_only(ws: &Workspace) -> Result<Vec<LocalLanding>> {
    let Some(remote) = remote_of(&ws.repo, &ws.epic.name) else {
        return Ok(Vec::new());
    };
    let there = gitx::resolve_commit(&ws.repo, &track(&remote, &ws.epic.name, "epic"));
    let here = gitx::branch_tip(&ws.repo, &ws.epic.branch)?;
    let (Some(here), Some(there)) = (here, there) else {
        return Ok(Vec::new());
    };
    Ok(landings_between(ws, here, there)?.unwrap_or_default())
}

/// The first-parent commits of `here` that `there` lacks, oldest first, as the tickets they
/// landed; `None` when one of them is not a ticket's landing (a commit made by hand).
fn landings_between(
    ws: &Workspace,
    here: ObjectId,
    there: ObjectId,
) -> Result<Option<Vec<LocalLanding>>> {
    let repo = &ws.repo;
    let base = repo
        .merge_base(here, there)
        .ok()
        .flatten()
        .map(|b| b.detach());
    let prefix = format!("epic({}): merge ", ws.epic.name);
    let mut out = Vec::new();
    let mut at = here;
    while Some(at) != base {
        if repo
            .merge_base(at, there)
            .ok()
            .flatten()
            .map(|b| b.detach())
            == Some(at)
        {
            break; // on the remote's epic, by another path
        }
        let commit = repo.find_commit(at)?;
        let parents: Vec<ObjectId> = commit.parent_ids().map(|p| p.detach()).collect();
        let message = commit.message_raw_sloppy().to_string();
        let id = message
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split_whitespace().next())
            .filter(|_| parents.len() == 2);
        let (Some(id), Some(first)) = (id, parents.first()) else {
            return Ok(None);
        };
        out.push(LocalLanding {
            id: id.to_owned(),
            commit: at.to_string(),
        });
        at = *first;
        if out.len() > 10_000 {
            return Err(anyhow!(
                "{} has too many local-only commits",
                ws.epic.branch
            ));
        }
    }
    out.reverse();
    Ok(Some(out))
}

/// What [`reconcile`] did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Reconciled {
    /// Tickets put back to `done`, to land again on the remote's epic, oldest first.
    pub relanding: Vec<String>,
    /// The ref that keeps the local epic as it was.
    pub kept_at: Option<String>,
}

/// When the local epic and the remote's (its tracking ref, just fetched) have diverged and
/// every commit the remote lacks is a ticket's landing: keep the local epic under a ref, put
/// those tickets back to `done` (to land again), and move the local epic to the remote's.
/// Nothing to do (empty) when they have not diverged; an error naming the commit when one
/// is not a landing (that is for a person to merge).
pub fn reconcile(ws: &Workspace) -> Result<Reconciled> {
    let Some(remote) = remote_of(&ws.repo, &ws.epic.name) else {
        return Ok(Reconciled::default());
    };
    let repo = gix::open(&ws.root)?;
    let there = gitx::resolve_commit(&repo, &track(&remote, &ws.epic.name, "epic"));
    let here = gitx::branch_tip(&repo, &ws.epic.branch)?;
    let (Some(here), Some(there)) = (here, there) else {
        return Ok(Reconciled::default());
    };
    let base = repo
        .merge_base(here, there)
        .ok()
        .flatten()
        .map(|b| b.detach());
    if base == Some(here) || base == Some(there) {
        return Ok(Reconciled::default());
    }
    let ws = &Workspace {
        repo,
        root: ws.root.clone(),
        epic: ws.epic.clone(),
    };
    let Some(landings) = landings_between(ws, here, there)? else {
        return Err(anyhow!(
            "{} here and on {remote} have diverged, and not only by landings; merge {remote}/{} into it by hand",
            ws.epic.branch,
            ws.epic.branch
        ));
    };
    if let Some(at) = gitx::checked_out_at(&ws.repo, &ws.epic.branch)? {
        return Err(usage(format!(
            "The epic branch {} is checked out in {}; switch that worktree to another branch so its local-only landings can land again.",
            ws.epic.branch,
            at.display()
        )));
    }
    // Kept first: whatever happens next, the local epic as it was can be had again.
    let kept_at = format!("refs/epic-sync/{remote}/{}/local-only/{here}", ws.epic.name);
    ws.repo.reference(
        kept_at.as_str(),
        here,
        gix::refs::transaction::PreviousValue::Any,
        "git-epic: the epic before its local-only landings land again",
    )?;
    let store = Store::new(&ws.repo, &ws.epic.name);
    let ids: Vec<&str> = landings.iter().map(|l| l.id.as_str()).collect();
    let lease = crate::infra::config::Settings::load(&ws.repo.config_snapshot(), &ws.epic.name)?
        .claim_lease
        .as_secs_f64();
    // The remote's own landing of a ticket (another machine took it over and landed it).
    let prefix = |id: &str| format!("epic({}): merge {id} ", ws.epic.name);
    let mut there_landed = std::collections::HashMap::new();
    for id in &ids {
        if let Some(c) = gitx::find_on_first_parents(&ws.repo, there, base, &prefix(id), 100_000)? {
            there_landed.insert(id.to_string(), c);
        }
    }
    let mut branches = Vec::new();
    let mut relanding = Vec::new();
    store.update_many(&ids, |id, n| {
        let landing = landings.iter().find(|l| l.id == id).expect("named above");
        if let Some(c) = there_landed.get(id) {
            // Landed there too: that landing is the one; ours is kept under the ref only.
            n.state = State::Merged;
            n.reland = false;
            n.merged_commit = Some(c.to_string());
            return Ok(());
        }
        if !n.is_local() {
            return Ok(()); // another machine's now: it lands it
        }
        relanding.push(id.to_owned());
        // Held again while it lands again: another machine taking it over would run its
        // agent a second time.
        n.claim_until = n.claim_until.map(|_| crate::infra::clock::now() + lease);
        n.state = State::Done;
        n.reland = true;
        n.merged_at = None;
        n.merged_commit = None;
        n.reason = Some(format!(
            "landed while {remote} could not be reached, and its epic moved meanwhile: landing again on it"
        ));
        branches.push((n.branch.clone(), landing.commit.clone()));
        Ok(())
    })?;
    // A ticket's branch is what its landing merged, at least.
    for (branch, commit) in branches {
        let (Some(branch), Ok(commit)) = (branch, ObjectId::from_hex(commit.as_bytes())) else {
            continue;
        };
        if gitx::branch_tip(&ws.repo, &branch)?.is_none() {
            let merged = ws.repo.find_commit(commit)?.parent_ids().nth(1);
            if let Some(merged) = merged {
                gitx::create_branch(
                    &ws.repo,
                    &branch,
                    merged.detach(),
                    "git-epic: to land again",
                )?;
            }
        }
    }
    if !gitx::move_branch(
        &ws.repo,
        &ws.epic.branch,
        here,
        there,
        "git-epic: local-only landings to land again on the remote's epic",
    )? {
        return Err(anyhow!(
            "{} moved while its local-only landings were put back; run `git epic sync` again",
            ws.epic.branch
        ));
    }
    let relanding = landings
        .into_iter()
        .map(|l| l.id)
        .filter(|id| relanding.contains(id))
        .collect();
    Ok(Reconciled {
        relanding,
        kept_at: Some(kept_at),
    })
}
