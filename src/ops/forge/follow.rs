//! What happened on the forge, brought back by `git epic sync`: a pull request merged there
//! marks its ticket `merged`; a review that requests changes sends the ticket back to its
//! agent the way `git epic review --request-changes` does; the CI status is kept for
//! `status`.

use serde::Serialize;

use super::{Ci, Forge, PrState, PrUrl};
use crate::infra::error::Result;
use crate::infra::gitx::transport::BranchSync;
use crate::model::epic::Workspace;
use crate::model::graph::Graph;
use crate::model::state::{self, State, Store};
use crate::{infra::gitx, ops::review};

/// One pull request looked at.
#[derive(Debug, Clone, Serialize)]
pub struct Followed {
    pub id: String,
    pub url: String,
    pub forge: Option<Forge>,
    pub state: Option<PrState>,
    pub ci: Option<Ci>,
    /// What sync did about it, if anything.
    pub event: Option<FollowEvent>,
    pub round: Option<u32>,
    pub host: Option<String>,
    pub error: Option<String>,
}

/// What `sync` did about a pull request (`event` in `sync --json`, in snake_case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowEvent {
    /// Merged on the forge: the ticket is merged.
    Merged,
    /// A review requested changes: sent back to the agent (review round `round`).
    ChangesRequested,
    /// Closed without being merged.
    Closed,
    /// Merged there, but the epic here does not have that merge yet: marked merged at a
    /// later sync.
    NotHere,
    /// Changes or a merge wait until the agent is done.
    Running,
    /// The machine in `host` ran the ticket and follows its pull request.
    Elsewhere,
    /// The forge could not be asked (see `error`).
    Error,
}

/// The tickets that have a pull request, in graph order.
pub fn tickets_with_prs(ws: &Workspace, graph: &Graph) -> Result<Vec<String>> {
    let store = Store::new(&ws.repo, &ws.epic.name);
    let ids: Vec<&str> = graph.tickets.iter().map(|t| t.id.as_str()).collect();
    let notes = store.get_many(&ids)?;
    Ok(ids
        .iter()
        .filter(|id| {
            notes
                .get(**id)
                .and_then(|n| n.as_ref().ok())
                .is_some_and(|n| n.pr_url.is_some())
        })
        .map(|id| id.to_string())
        .collect())
}

/// Ask the forge about every open pull request of the epic, and act on the answers.
pub fn follow(ws: &Workspace, graph: &Graph) -> Result<Vec<Followed>> {
    let store = Store::new(&ws.repo, &ws.epic.name);
    // A request URL comes from a note, which another machine may have written: the forge it
    // names must be the remote's (its token goes there).
    let remote =
        crate::infra::config::remote_of(&ws.repo, &ws.epic.name).unwrap_or_else(|| "origin".into());
    let remote_host = gitx::git(&ws.root, &["remote", "get-url", &remote])
        .ok()
        .and_then(|u| super::remote_host(&u));
    let mut all = Vec::new();
    for id in tickets_with_prs(ws, graph)? {
        let Some(note) = store.get(&id)? else {
            continue;
        };
        if note.state == State::Merged {
            continue;
        }
        let url = note.pr_url.clone().unwrap_or_default();
        let mut f = Followed {
            id: id.clone(),
            url: url.clone(),
            forge: None,
            state: None,
            ci: None,
            event: None,
            round: None,
            host: None,
            error: None,
        };
        let pr = match PrUrl::parse(&url).and_then(|pr| match &remote_host {
            Some(h) if *h != pr.host => Err(format!(
                "the pull request URL `{url}` is refused: it is on {}, and {remote} on {h}",
                pr.host
            )),
            _ => Ok(pr),
        }) {
            Ok(pr) => pr,
            Err(why) => {
                f.event = Some(FollowEvent::Error);
                f.error = Some(why);
                all.push(f);
                continue;
            }
        };
        f.forge = Some(pr.forge);
        // One writer per note: the machine that ran the ticket follows its pull request.
        if !note.is_local() {
            f.event = Some(FollowEvent::Elsewhere);
            f.host = note.host.clone();
            all.push(f);
            continue;
        }
        let view = match pr.view(&ws.root, note.pr_review.as_deref()) {
            Ok(v) => v,
            Err(e) => {
                f.event = Some(FollowEvent::Error);
                f.error = Some(format!("{e:#}"));
                all.push(f);
                continue;
            }
        };
        f.state = Some(view.state);
        f.ci = view.ci;
        let running = note.state == State::Running && note.owner_alive();
        let acts = view.state == PrState::Merged || view.changes.is_some();
        if running && acts {
            f.event = Some(FollowEvent::Running);
        } else if view.state == PrState::Merged && !merged_here(ws, view.merge_commit.as_deref()) {
            // Dependents would start on an epic without that work.
            f.event = Some(FollowEvent::NotHere);
        } else if view.state == PrState::Merged {
            // Only a commit id is kept from the forge's answer.
            let commit = view.merge_commit.filter(|c| {
                (7..=64).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_hexdigit())
            });
            store.update(&id, |n| {
                n.state = State::Merged;
                n.merged_at.get_or_insert_with(state::now);
                n.merged_commit = commit.clone().or(n.merged_commit.take());
                n.reason = Some(format!("merged on {}", pr.forge.name()));
                n.request = None;
                n.pr_state = Some(PrState::Merged.as_str().into());
                n.pr_ci = view.ci.map(|c| c.as_str().into());
                Ok(())
            })?;
            f.event = Some(FollowEvent::Merged);
        } else if let Some(changes) = view.changes {
            match review::request_changes(ws, graph, &id, &changes.text) {
                Ok(round) => {
                    store.update(&id, |n| {
                        n.pr_review = Some(changes.mark.clone());
                        Ok(())
                    })?;
                    f.event = Some(FollowEvent::ChangesRequested);
                    f.round = Some(round);
                }
                Err(e) => {
                    f.event = Some(FollowEvent::Error);
                    f.error = Some(format!("{e:#}"));
                }
            }
        }
        let was_closed = note.pr_state.as_deref() == Some("closed");
        if view.state == PrState::Closed && !was_closed {
            f.event = Some(FollowEvent::Closed);
        }
        if view.state != PrState::Merged {
            store.update(&id, |n| {
                n.pr_state = Some(view.state.as_str().into());
                n.pr_ci = view.ci.map(|c| c.as_str().into());
                Ok(())
            })?;
        }
        all.push(f);
    }
    Ok(all)
}

/// Whether the commit the forge merged a request with is in the local epic (true when the
/// forge named none: then its word is taken).
fn merged_here(ws: &Workspace, commit: Option<&str>) -> bool {
    let Some(commit) = commit else {
        return true;
    };
    let Ok(commit) = gix::ObjectId::from_hex(commit.as_bytes()) else {
        return false;
    };
    let Ok(repo) = gix::open(&ws.root) else {
        return false;
    };
    match gitx::branch_tip(&repo, &ws.epic.branch) {
        Ok(Some(tip)) => gitx::is_ancestor(&ws.root, commit, tip).unwrap_or(false),
        _ => false,
    }
}

/// Bring the local epic branch up to what the forge merged into it on `remote` (for an
/// epic not shared through `epic.remote`, whose sync does this itself): `fast-forwarded`,
/// `up to date`, `diverged` (landings here the forge has not seen: left as they are), or
/// `checked out` (the branch is checked out in a worktree: left as it is).
pub fn catch_up(ws: &Workspace, remote: &str) -> Result<BranchSync> {
    let branch = &ws.epic.branch;
    let tracking = format!("refs/remotes/{remote}/{branch}");
    gitx::transport::fetch(
        &ws.root,
        remote,
        &[format!("+refs/heads/{branch}:{tracking}")],
    )?;
    let repo = gix::open(&ws.root)?;
    let (Some(theirs), Some(ours)) = (
        gitx::resolve_commit(&repo, &tracking),
        gitx::branch_tip(&repo, branch)?,
    ) else {
        return Ok(BranchSync::UpToDate);
    };
    if theirs == ours || gitx::is_ancestor(&ws.root, theirs, ours)? {
        return Ok(BranchSync::UpToDate);
    }
    if !gitx::is_ancestor(&ws.root, ours, theirs)? {
        return Ok(BranchSync::Diverged);
    }
    if gitx::checked_out_at(&repo, branch)?.is_some() {
        return Ok(BranchSync::CheckedOut);
    }
    Ok(
        if gitx::move_branch(&repo, branch, ours, theirs, "git-epic: sync from the forge")? {
            BranchSync::FastForwarded
        } else {
            BranchSync::Diverged
        },
    )
}
