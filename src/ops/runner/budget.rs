//! Stopping a run short: tickets left as they were, and `epic.maxCost`.

use std::collections::VecDeque;

use super::claim::Slot;
use super::{Event, Summary};
use crate::infra::config::Settings;
use crate::infra::error::Result;
use crate::model::epic::Workspace;
use crate::model::state::{self, Store};

/// Leave the queued tickets that `which` picks as they are (state, attempts), released
/// from this run with `reason`: the run stops starting them.
pub(super) fn halt(
    store: &Store<'_>,
    queue: &mut VecDeque<Slot>,
    summary: &mut Summary,
    report: &dyn Fn(Event),
    which: impl Fn(&Slot) -> bool,
    reason: &str,
) -> Result<()> {
    let (gone, kept): (Vec<Slot>, Vec<Slot>) = queue.drain(..).partition(|s| which(s));
    queue.extend(kept);
    for slot in gone {
        store.update(&slot.plan.id, |n| {
            n.owner_pid = None;
            n.owner_start = None;
            n.reason = Some(reason.to_owned());
            Ok(())
        })?;
        report(Event::Halted {
            id: slot.plan.id.clone(),
            reason: reason.to_owned(),
        });
        summary.halted.push((slot.plan.id, reason.to_owned()));
    }
    Ok(())
}

/// `epic.maxCost`: what the epic's agents have spent, read from the notes before a start
/// (another git epic process may be spending too).
pub(super) struct Budget {
    max: Option<f64>,
    ids: Vec<String>,
}

impl Budget {
    pub(super) fn new(ws: &Workspace, settings: &Settings) -> Result<Budget> {
        let ids = match settings.max_cost {
            Some(_) => ws.graph()?.tickets.iter().map(|t| t.id.clone()).collect(),
            None => Vec::new(),
        };
        Ok(Budget {
            max: settings.max_cost,
            ids,
        })
    }

    /// Why no attempt may start, once the budget is spent.
    pub(super) fn spent_sentence(&self, store: &Store<'_>) -> Result<Option<String>> {
        let Some(max) = self.max else {
            return Ok(None);
        };
        let ids: Vec<&str> = self.ids.iter().map(String::as_str).collect();
        let spent = state::total_cost(&store.get_many(&ids)?);
        Ok((spent >= max).then(|| {
            format!(
                "The epic's agents have spent ${spent:.2} of epic.maxCost ${max:.2}, so no new attempt starts; raise it with `git config epic.maxCost <amount>` to go on."
            )
        }))
    }
}
