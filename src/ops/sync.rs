//! `git epic sync`: the epic's remote and its forge, in the order that keeps them true to
//! each other. The epic first, so that what the forge merged is here before its tickets are
//! marked merged; then the forge; then what that changed goes out.

use crate::infra::error::{usage, Result};
use crate::infra::gitx::transport::BranchSync;
use crate::model::epic::Workspace;
use crate::model::graph::Graph;
use crate::model::state::{State, Store};
use crate::ops::forge::follow::{self, FollowEvent};
use crate::ops::import::writeback;
use crate::ops::merge::{self, Outcome};
use crate::ops::remote::{self, SyncReport};

/// Sync the epic with its remote (`epic.remote`) and follow its pull requests on the forge.
/// Usage error when there is neither.
pub fn sync(ws: &Workspace) -> Result<SyncReport> {
    let graph = ws.graph()?;
    let shared = crate::infra::config::remote_of(&ws.repo, &ws.epic.name);
    let prs = follow::tickets_with_prs(ws, &graph)?;
    let write_back = writeback::wanted(ws)?;
    if shared.is_none() && prs.is_empty() && write_back {
        // Nothing to exchange but the imported issues to keep current.
        let mut r = SyncReport {
            remote: String::new(),
            epic: BranchSync::UpToDate,
            ..Default::default()
        };
        r.tracker = writeback::write_back(ws, &graph)?;
        return Ok(r);
    }
    if shared.is_none() && prs.is_empty() {
        return Err(usage(
            "No remote for this epic: set one with `git config epic.remote <remote>`, or open pull requests with `git epic pr`.",
        ));
    }
    let mut r = if shared.is_some() {
        with_remote(ws, &graph)?
    } else {
        forge_only(ws)
    };
    let followed = follow::follow(ws, &graph)?;
    let changed = followed.iter().any(|f| {
        matches!(
            f.event,
            Some(FollowEvent::Merged | FollowEvent::ChangesRequested)
        )
    });
    if shared.is_some() && changed && r.offline.is_none() {
        r.pushed += remote::sync(ws)?.pushed;
    }
    r.forge = followed;
    // Last, so that the issues say what the exchange and the forge made true; the graph is
    // read again because the remote may have brought ticket files.
    r.tracker = writeback::write_back(ws, &ws.graph()?)?;
    Ok(r)
}

/// Whether a sync leaves something undone that `git epic sync` reports by exiting 1: the
/// remote unreachable, a note refused, a landing not made again, the forge not answering.
pub fn failed(r: &SyncReport) -> bool {
    r.offline.is_some()
        || !r.notes_refused.is_empty()
        || !r.not_relanded.is_empty()
        || r.forge.iter().any(|f| f.event == Some(FollowEvent::Error))
        || r.tracker
            .iter()
            .any(|w| matches!(w.action, writeback::TrackerAction::Error(_)))
}

/// The exchange with the shared remote, the landings made here while it could not be
/// reached landed again, and what is still only here.
fn with_remote(ws: &Workspace, graph: &Graph) -> Result<SyncReport> {
    let mut r = remote::sync(ws)?;
    if r.offline.is_none() {
        reland(ws, graph, &mut r)?;
    }
    r.local_only = remote::reconcile::local_only(ws)?
        .into_iter()
        .map(|l| l.id)
        .collect();
    Ok(r)
}

/// No shared remote: only the epic branch is brought up to date from the forge's remote.
fn forge_only(ws: &Workspace) -> SyncReport {
    let remote = crate::ops::forge::open::forge(ws)
        .map(|(r, _)| r)
        .unwrap_or_else(|_| "origin".into());
    let mut r = SyncReport {
        remote: remote.clone(),
        epic: BranchSync::UpToDate,
        ..Default::default()
    };
    match follow::catch_up(ws, &remote) {
        Ok(epic) => r.epic = epic,
        Err(e) => r.offline = Some(format!("{e:#}")),
    }
    r
}

/// The epics here and on the remote diverged: landings made here while it could not be
/// reached land again on the remote's epic, through the merge queue, and go out.
fn reland(ws: &Workspace, graph: &Graph, r: &mut SyncReport) -> Result<()> {
    // Put back by this sync, or by an earlier one whose landing did not go through.
    let store = Store::new(&ws.repo, &ws.epic.name);
    let ids: Vec<&str> = graph.tickets.iter().map(|t| t.id.as_str()).collect();
    let relanding: Vec<String> = store
        .get_many(&ids)?
        .into_iter()
        .filter(|(_, n)| {
            n.as_ref()
                .is_ok_and(|n| n.reland && n.is_local() && n.state == State::Done)
        })
        .map(|(id, _)| id)
        .collect();
    let mut relanding: Vec<String> = graph
        .topo_order()
        .into_iter()
        .map(|t| t.id.clone())
        .filter(|id| relanding.contains(id))
        .collect();
    relanding.dedup();
    if relanding.is_empty() {
        return Ok(());
    }
    let settings = crate::infra::config::Settings::load(&ws.repo.config_snapshot(), &ws.epic.name)?;
    let opts = merge::Options {
        test: true,
        scope_check: true,
        cleanup: false,
    };
    for (id, outcome) in merge::merge(ws, &settings, graph, &relanding, opts, &|_| {})? {
        match outcome {
            Outcome::Merged { .. } => r.relanded.push(id),
            other => r
                .not_relanded
                .push(format!("{id}: {}", outcome_reason(&other))),
        }
    }
    let again = remote::sync(ws)?;
    r.epic = again.epic;
    r.pushed += again.pushed;
    Ok(())
}

fn outcome_reason(o: &Outcome) -> String {
    match o {
        Outcome::Merged { .. } => "merged".into(),
        Outcome::Rejected { gate, reason, .. } => format!("refused by the {gate} gate: {reason}"),
        Outcome::Conflict { files } => format!("conflicts in {}", files.join(", ")),
        Outcome::Skipped { reason }
        | Outcome::AwaitsReview { reason }
        | Outcome::Error { reason } => reason.clone(),
    }
}
