use clap::Args;
use console::style;

use super::Ctx;
use crate::remote::{self, SyncReport};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Print JSON: what came in and what went out
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, a: SyncArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let r = remote::sync(&ws)?;
    if a.json {
        ctx.out.json(&r)?;
    } else {
        render(ctx, &r, &ws.epic.branch);
    }
    Ok(if r.offline.is_some() || !r.notes_refused.is_empty() {
        1
    } else {
        0
    })
}

/// What a sync did, a line per kind of change.
pub fn render(ctx: &Ctx, r: &SyncReport, branch: &str) {
    let out = ctx.out;
    if let Some(why) = &r.offline {
        out.warn(format!(
            "{} cannot be reached ({why}); the state is local-only for now, and `git epic sync` catches up later.",
            r.remote
        ));
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
    if r.pushed == 0 && r.tickets_in.is_empty() && r.notes_in.is_empty() && r.epic == "up to date" {
        out.result("Everything was in sync already.");
    }
}
