use clap::Args;
use console::style;

use super::Ctx;
use crate::ops::forge::follow::{FollowEvent, Followed};
use crate::ops::remote::SyncReport;

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Print JSON: what came in and what went out
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, a: SyncArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let r = crate::ops::sync::sync(&ws)?;
    if a.json {
        ctx.out.json(&r)?;
    } else {
        render(ctx, &r, &ws.epic.branch);
    }
    Ok(if crate::ops::sync::failed(&r) { 1 } else { 0 })
}

/// What a sync did, a line per kind of change.
pub fn render(ctx: &Ctx, r: &SyncReport, branch: &str) {
    let out = ctx.out;
    for f in &r.forge {
        render_followed(ctx, f);
    }
    for w in &r.tracker {
        use crate::ops::import::writeback::TrackerAction;
        let what = match &w.action {
            TrackerAction::Label(Some(l)) => format!("labelled `{l}`"),
            TrackerAction::Label(None) => "label removed".into(),
            TrackerAction::Commented => "commented".into(),
            TrackerAction::CommentEdited => "comment brought up to date".into(),
            TrackerAction::Closed => "closed".into(),
            TrackerAction::Error(e) => {
                out.warn(format!("issue #{} (ticket {}): {e}", w.issue, w.ticket));
                continue;
            }
        };
        out.result(format!("issue #{} (ticket {}): {what}", w.issue, w.ticket));
    }
    if r.remote.is_empty() {
        return;
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
    if r.upgraded {
        out.result(format!(
            "upgraded: {} held this epic's state in refs/notes/epic only (an older git-epic); this machine's notes now go to its own ref there and claims to one ref per ticket (refs/epic/<epic>/machines/, refs/epic/<epic>/claims/); refs/notes/epic is still read, no longer written",
            r.remote
        ));
    }
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
