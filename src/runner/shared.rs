//! A run through the epic's remote: claims go out as tickets start, notes are exchanged
//! as they change, and tickets other machines hold are watched until they land there or
//! their claim runs out.

use super::{Event, Settings, Summary};
use crate::epic::Workspace;
use crate::error::Result;
use crate::state::{self, State, Store};

/// Claim ticket `id` through the remote just before it starts; the machine that was first
/// instead, if another one was. Unreachable, the claim holds here (said once).
pub(super) fn claim_remote(
    ws: &Workspace,
    settings: &Settings,
    id: &str,
    report: &dyn Fn(Event),
) -> Result<Option<String>> {
    let until = state::now() + settings.claim_lease.as_secs_f64();
    let got = crate::remote::claim(ws, id, until)?;
    match got {
        crate::remote::Claim::Won => Ok(None),
        crate::remote::Claim::Lost(other) => Ok(Some(other)),
        crate::remote::Claim::Offline(why) => {
            local_only(ws, why, report);
            Ok(None)
        }
    }
}

/// Exchange notes with the epic's remote, if it has one; false when it has none or cannot
/// be reached (said once per process).
pub(super) fn exchange(ws: &Workspace, report: &dyn Fn(Event)) -> bool {
    match crate::remote::exchange_notes(ws) {
        Ok(None) => false,
        Ok(Some(Ok(_))) => true,
        Ok(Some(Err(crate::remote::Offline(why)))) => {
            local_only(ws, why, report);
            false
        }
        Err(e) => {
            local_only(ws, format!("{e:#}"), report);
            false
        }
    }
}

/// Say once per process that the remote cannot be reached.
fn local_only(ws: &Workspace, why: String, report: &dyn Fn(Event)) {
    static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !SAID.swap(true, std::sync::atomic::Ordering::SeqCst) {
        report(Event::LocalOnly {
            remote: crate::remote::remote_of(&ws.repo, &ws.epic.name).unwrap_or_default(),
            why,
        });
    }
}

/// Note that `id` is another machine's (`host`), once per ticket.
pub(super) fn elsewhere(summary: &mut Summary, report: &dyn Fn(Event), id: &str, host: &str) {
    if summary.elsewhere.iter().any(|(i, _)| i == id) {
        return;
    }
    report(Event::Skipped {
        id: id.to_owned(),
        reason: format!("claimed by git epic on {host}"),
    });
    summary.elsewhere.push((id.to_owned(), host.to_owned()));
}

/// Of the tickets other machines hold: whether any claim is still live, and the tickets
/// whose claim ran out before they were done there (taken off the list, to run here).
pub(super) fn held_elsewhere(
    store: &Store<'_>,
    summary: &mut Summary,
) -> Result<(bool, Vec<String>)> {
    let ids: Vec<&str> = summary.elsewhere.iter().map(|(i, _)| i.as_str()).collect();
    let notes = store.get_many(&ids)?;
    let (mut live, mut retake) = (false, Vec::new());
    summary.elsewhere.retain(|(id, _)| {
        let Some(Ok(n)) = notes.get(id) else {
            return true;
        };
        if n.claimed_elsewhere().is_some() {
            live = true;
            return true;
        }
        let settled = matches!(
            n.state,
            State::Done | State::Merged | State::Failed | State::Conflict
        );
        if !settled {
            retake.push(id.clone());
        }
        settled
    });
    Ok((live, retake))
}
