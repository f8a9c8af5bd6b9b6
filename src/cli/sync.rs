use clap::Args;
use console::style;

use super::Ctx;
use crate::infra::error::usage;
use crate::ops::forge::follow::{self, FollowEvent, Followed};
use crate::ops::remote::{self, SyncReport};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Print JSON: what came in and what went out
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, a: SyncArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let graph = ws.graph()?;
    let shared = crate::infra::config::remote_of(&ws.repo, &ws.epic.name);
    let prs = follow::tickets_with_prs(&ws, &graph)?;
    if shared.is_none() && prs.is_empty() {
        return Err(usage(
            "No remote for this epic: set one with `git config epic.remote <remote>`, or open pull requests with `git epic pr`.",
        ));
    }
    // The epic first, so that what the forge merged is here before its tickets are marked
    // merged; then the forge; then what that changed goes out.
    let mut r = if shared.is_some() {
        let mut r = remote::sync(&ws)?;
        if r.offline.is_none() {
            reland(&ws, &graph, &mut r)?;
        }
        r.local_only = remote::reconcile::local_only(&ws)?
            .into_iter()
            .map(|l| l.id)
            .collect();
        r
    } else {
        let remote = crate::ops::forge::open::forge(&ws)
            .map(|(r, _)| r)
            .unwrap_or_else(|_| "origin".into());
        let mut r = SyncReport {
            remote: remote.clone(),
            epic: crate::infra::gitx::transport::BranchSync::UpToDate,
            ..Default::default()
        };
        match follow::catch_up(&ws, &remote) {
            Ok(epic) => r.epic = epic,
            Err(e) => r.offline = Some(format!("{e:#}")),
        }
        r
    };
    let followed = follow::follow(&ws, &graph)?;
    let changed = followed.iter().any(|f| {
        matches!(
            f.event,
            Some(FollowEvent::Merged | FollowEvent::ChangesRequested)
        )
    });
    if shared.is_some() && changed && r.offline.is_none() {
        r.pushed += remote::sync(&ws)?.pushed;
    }
    let forge_failed = followed.iter().any(|f| f.event == Some(FollowEvent::Error));
    r.forge = followed;
    if a.json {
        ctx.out.json(&r)?;
    } else {
        render(ctx, &r, &ws.epic.branch);
    }
    Ok(
        if r.offline.is_some()
            || !r.notes_refused.is_empty()
            || !r.not_relanded.is_empty()
            || forge_failed
        {
            1
        } else {
            0
        },
    )
}

/// The epics here and on the remote diverged: landings made here while it could not be
/// reached land again on the remote's epic, through the merge queue, and go out.
fn reland(
    ws: &crate::model::epic::Workspace,
    graph: &crate::model::graph::Graph,
    r: &mut SyncReport,
) -> anyhow::Result<()> {
    // Put back by this sync, or by an earlier one whose landing did not go through.
    let store = crate::model::state::Store::new(&ws.repo, &ws.epic.name);
    let ids: Vec<&str> = graph.tickets.iter().map(|t| t.id.as_str()).collect();
    let relanding: Vec<String> = store
        .get_many(&ids)?
        .into_iter()
        .filter(|(_, n)| {
            n.as_ref().is_ok_and(|n| {
                n.reland && n.is_local() && n.state == crate::model::state::State::Done
            })
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
    let opts = crate::ops::merge::Options {
        test: true,
        scope_check: true,
        cleanup: false,
    };
    for (id, outcome) in crate::ops::merge::merge(ws, &settings, graph, &relanding, opts, &|_| {})?
    {
        match outcome {
            crate::ops::merge::Outcome::Merged { .. } => r.relanded.push(id),
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

fn outcome_reason(o: &crate::ops::merge::Outcome) -> String {
    use crate::ops::merge::Outcome;
    match o {
        Outcome::Merged { .. } => "merged".into(),
        Outcome::Rejected { gate, reason, .. } => format!("refused by the {gate} gate: {reason}"),
        Outcome::Conflict { files } => format!("conflicts in {}", files.join(", ")),
        Outcome::Skipped { reason } | Outcome::Error { reason } => reason.clone(),
    }
}

/// What a sync did, a line per kind of change.
pub fn render(ctx: &Ctx, r: &SyncReport, branch: &str) {
    let out = ctx.out;
    for f in &r.forge {
        render_followed(ctx, f);
    }
    if let Some(why) = &r.offline {
        out.warn(format!(
            "{} cannot be reached ({why}); the state is local-only for now, and `git epic sync` catches up later.",
            r.remote
        ));
        if !r.local_only.is_empty() {
            out.warn(format!(
                "landed here only, not on {} yet: {}",
                r.remote,
                r.local_only.join(", ")
            ));
        }
        return;
    }
    out.result(format!("{branch}: {} ({})", r.epic, r.remote));
    let list = |v: &[String]| v.join(", ");
    if !r.tickets_in.is_empty() {
        out.result(format!(
            "tickets from {}: {}",
            r.remote,
            list(&r.tickets_in)
        ));
    }
    if !r.tickets_out.is_empty() {
        out.result(format!("tickets published: {}", list(&r.tickets_out)));
    }
    if !r.tickets_conflict.is_empty() {
        out.warn(format!(
            "ticket files changed here and on {} since the last sync, kept as they are here and not published: {}",
            r.remote,
            list(&r.tickets_conflict)
        ));
    }
    if !r.notes_in.is_empty() {
        out.result(format!("states from {}: {}", r.remote, list(&r.notes_in)));
    }
    for bad in &r.notes_refused {
        out.warn(format!(
            "{} refused, left alone: {bad}",
            style("note").red()
        ));
    }
    if !r.branches_out.is_empty() {
        out.result(format!("branches pushed for: {}", list(&r.branches_out)));
    }
    if !r.relanded.is_empty() {
        out.result(format!(
            "landed again on {}'s epic (they landed here while it could not be reached): {}",
            r.remote,
            list(&r.relanded)
        ));
    }
    for why in &r.not_relanded {
        out.warn(format!("not landed again: {why}"));
    }
    if !r.local_only.is_empty() {
        out.warn(format!(
            "landed here only, not on {} yet: {}",
            r.remote,
            list(&r.local_only)
        ));
    }
    let acted = r.forge.iter().any(|f| f.event.is_some());
    if r.pushed == 0
        && r.tickets_in.is_empty()
        && r.notes_in.is_empty()
        && r.epic == crate::infra::gitx::transport::BranchSync::UpToDate
        && !acted
    {
        out.result("Everything was in sync already.");
    }
}

fn render_followed(ctx: &Ctx, f: &Followed) {
    let out = ctx.out;
    let forge = f.forge.map_or("the forge", |f| f.name());
    let ci =
        f.ci.map(|c| format!(", CI {}", c.as_str()))
            .unwrap_or_default();
    match f.event {
        Some(FollowEvent::Merged) => out.result(format!("{}: merged on {forge} ({})", f.id, f.url)),
        Some(FollowEvent::ChangesRequested) => out.result(format!(
            "{}: changes requested on {forge}, sent back to its agent (review round {}){ci}",
            f.id,
            f.round.unwrap_or_default()
        )),
        Some(FollowEvent::Closed) => out.warn(format!(
            "{}: the pull request was closed on {forge} without being merged ({})",
            f.id, f.url
        )),
        Some(FollowEvent::NotHere) => out.warn(format!(
            "{}: merged on {forge}, but the epic branch here does not have that merge yet; it is marked merged once it does",
            f.id
        )),
        Some(FollowEvent::Running) => out.result(format!(
            "{}: its agent is running; what {forge} says is taken at the next sync",
            f.id
        )),
        Some(FollowEvent::Elsewhere) => out.result(format!(
            "{}: followed by {}, which ran it",
            f.id,
            f.host.as_deref().unwrap_or("another machine")
        )),
        Some(FollowEvent::Error) => out.warn(format!(
            "{}: {}",
            f.id,
            f.error.as_deref().unwrap_or("the forge could not be asked")
        )),
        None => out.result(format!(
            "{}: {} on {forge}{ci}",
            f.id,
            f.state.map_or("unknown", |s| s.as_str())
        )),
    }
}
