use std::collections::BTreeSet;

use clap::Args;

use super::Ctx;
use crate::infra::error::usage;
use crate::ops::watch::{self, EpicEvent};

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// What to wait for: `needs-you` (a ticket waits on a human), `done` (no agent runs or
    /// waits to run any more), or ticket ids (the ticket's run ends or it needs you);
    /// default: needs-you and done
    #[arg(long = "for", value_name = "WHAT", num_args = 1..)]
    pub what: Vec<String>,
    /// Give up after this long (90s, 30m, 2h): exit 1
    #[arg(long, value_name = "D")]
    pub timeout: Option<String>,
    /// Print the event as JSON (fields: docs/notify.md)
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, a: WaitArgs) -> anyhow::Result<i32> {
    let timeout = match &a.timeout {
        None => None,
        Some(t) => Some(crate::infra::config::parse_duration(t).ok_or_else(|| {
            usage(format!(
                "--timeout `{t}` is not a duration: say 90s, 30m or 2h."
            ))
        })?),
    };
    let ws = ctx.workspace()?;
    let graph = ws.graph()?;
    let (mut needs_you, mut done, mut ids) = (false, false, BTreeSet::new());
    for w in a.what.iter().flat_map(|w| w.split(',')) {
        match w.trim() {
            "needs-you" => needs_you = true,
            "done" => done = true,
            id if graph.get(id).is_some() => {
                ids.insert(id.to_owned());
            }
            other => {
                return Err(usage(format!(
                    "--for `{other}` is neither needs-you, done nor a ticket of epic {}.",
                    ws.epic.name
                )))
            }
        }
    }
    if a.what.is_empty() {
        (needs_you, done) = (true, true);
    }
    let wanted = |e: &EpicEvent| match e {
        EpicEvent::NeedsYou { id, .. } => needs_you || ids.contains(id),
        EpicEvent::Ticket { id, .. } => ids.contains(id),
        EpicEvent::Done { .. } => done,
        EpicEvent::Limit { .. } | EpicEvent::RunEnded { .. } => false,
    };
    match watch::wait(&ws, &wanted, timeout)? {
        Some(n) if a.json => ctx.out.json(&n)?,
        Some(n) => ctx.out.result(n.event.text()),
        None => {
            ctx.out.info(format!(
                "Nothing happened within {}.",
                a.timeout.as_deref().unwrap_or("the timeout")
            ));
            return Ok(1);
        }
    }
    Ok(0)
}
