//! What the epic and the notes say of a landing: whether a ticket has landed, the note's
//! record of it, and whether this machine may still land a ticket whose claim ran out.

use gix::ObjectId;

use crate::infra::config::Settings;
use crate::infra::error::Result;
use crate::infra::gitx;
use crate::model::epic::Workspace;
use crate::model::state::{self, State, Store, TicketNote};

/// The merge commit of `id` on the epic's first-parent line, if the ticket has landed.
/// Only the epic's own commits are looked at (down to where it meets its base): an older
/// epic of the same name, merged into the base, has its own ticket merges.
pub(super) fn landed(ws: &Workspace, id: &str, epic_tip: ObjectId) -> Result<Option<ObjectId>> {
    let prefix = format!("epic({}): merge {} ", ws.epic.name, id);
    let stop = match gitx::branch_tip(&ws.repo, &ws.epic.base)? {
        Some(base) => ws
            .repo
            .merge_base(epic_tip, base)
            .ok()
            .flatten()
            .map(|m| m.detach()),
        None => None,
    };
    gitx::find_on_first_parents(&ws.repo, epic_tip, stop, &prefix, 100_000)
}

/// Why done ticket `id` is not this machine's to land, if it is not. Through a remote, a
/// ticket lands on the machine that ran it, while that machine's claim holds; after it, a
/// flow run elsewhere claims the landing and fetches the branch that machine pushed (a local
/// branch of the same name here may be an older attempt's). A machine whose own claim ran
/// out (it was away) lands only once the remote says the ticket is still its own.
pub(super) fn landed_elsewhere(
    ws: &Workspace,
    settings: &Settings,
    note: &TicketNote,
    id: &str,
) -> Result<Option<String>> {
    if !note.is_local() {
        return Ok(Some(format!(
            "it ran on {}, which lands it (or, once its claim runs out, a flow run on another machine: `git epic wave start --all --auto-merge`)",
            note.machine_label()
        )));
    }
    if !note.claim_until.is_some_and(|u| u <= state::now()) {
        return Ok(None);
    }
    let until = state::now() + settings.claim_lease.as_secs_f64();
    Ok(match crate::ops::remote::claim_landing(ws, id, until)? {
        crate::ops::remote::Claim::Lost(other) => Some(format!(
            "{other} took it over after this machine's claim ran out"
        )),
        _ => None,
    })
}

pub(super) fn record_merged(
    store: &Store<'_>,
    id: &str,
    commit: ObjectId,
    branch: &str,
) -> Result<()> {
    store.update(id, |n| {
        n.state = State::Merged;
        n.reland = false;
        n.merged_commit = Some(commit.to_string());
        n.merged_at.get_or_insert_with(state::now);
        n.branch = Some(branch.to_owned());
        n.conflict_files.clear();
        n.reason = None;
        Ok(())
    })?;
    Ok(())
}

/// A ticket whose branch has nothing beyond the epic, when its work is on the epic already:
/// a landing cut off after the epic moved but before the note said so, or a landing made
/// here while the remote was away and carried onto its epic since by a ticket built on it.
/// Recorded merged; the commit that holds it.
pub(super) fn on_the_epic(
    ws: &Workspace,
    store: &Store<'_>,
    id: &str,
    note: &TicketNote,
    epic_tip: ObjectId,
    branch: &str,
) -> Result<Option<ObjectId>> {
    let commit = match landed(ws, id, epic_tip)? {
        Some(c) => c,
        None if note.reland => epic_tip,
        None => return Ok(None),
    };
    record_merged(store, id, commit, branch)?;
    Ok(Some(commit))
}
