//! The landing lease: `refs/epic/<epic>/lander` on the remote names the one machine that
//! lands now (a commit like a claim's: machine, host, until). A machine's merge queue takes
//! it before it merges and tests its line, renews it while it lands, and gives it back when
//! its line is empty; the others keep their done tickets in line (and their agents running)
//! until it is free, instead of each merging and testing on a tip that another machine's
//! landing is about to move. A dead lander's lease runs out and another takes it over.
//!
//! The lease is advice, not the guard: every landing is still a push of the epic with a
//! lease on the value it merged on, so a lander whose lease ran out unseen lands nothing
//! twice; it only merges and tests again.

use gix::ObjectId;

use super::wire::{fetch_tips, push, Pushed};
use super::{claims, remote_of, track, Offline};
use crate::infra::error::Result;
use crate::model::epic::Workspace;

/// Where a machine stands with the landing lease.
pub enum Lander {
    /// This machine holds it, as the remote's ref value given (to renew or give it back
    /// with a lease on it). `None`: there is no remote, or it cannot be reached (landings
    /// are then local-only, as before).
    Held(Option<ObjectId>),
    /// Another machine lands now, or took the lease a moment before this one.
    Busy(String),
}

fn lander_ref(epic: &str) -> String {
    format!("refs/epic/{epic}/lander")
}

/// Take the landing lease until `until`, or renew the one this machine holds.
pub fn take(ws: &Workspace, until: f64) -> Result<Lander> {
    let Some(remote) = remote_of(&ws.repo, &ws.epic.name) else {
        return Ok(Lander::Held(None));
    };
    let name = &ws.epic.name;
    let dst = lander_ref(name);
    let tracked = track(&remote, name, "lander");
    let at = match fetch_tips(&ws.root, &remote, &[(dst.as_str(), tracked)])? {
        Ok(tips) => tips[0],
        Err(Offline(_)) => return Ok(Lander::Held(None)),
    };
    let repo = gix::open(&ws.root)?;
    if let Some(other) = at
        .and_then(|c| claims::read(&repo, c))
        .filter(|h| h.elsewhere())
    {
        return Ok(Lander::Busy(other.label()));
    }
    // Renewing what this machine holds, or taking a lease that is free or ran out: either
    // way a lease on the value just read, so of two machines one wins.
    let host = crate::model::state::Store::new(&repo, name).host();
    let commit = claims::write(&repo, "the landing", at, &host, until)?;
    Ok(match push(&ws.root, &remote, &[(commit, dst, at)])? {
        Pushed::Done => {
            crate::infra::trace::trace(|| format!("lander until {until:.0}"));
            Lander::Held(Some(commit))
        }
        Pushed::Stale => Lander::Busy("another machine".into()),
    })
}

/// Give the landing lease back (its line is empty): the next machine need not wait for it
/// to run out. A lease that moved meanwhile is left as it is.
pub fn give_back(ws: &Workspace, held: ObjectId) -> Result<()> {
    let Some(remote) = remote_of(&ws.repo, &ws.epic.name) else {
        return Ok(());
    };
    let repo = gix::open(&ws.root)?;
    let host = crate::model::state::Store::new(&repo, &ws.epic.name).host();
    let commit = claims::write(&repo, "the landing", Some(held), &host, 0.0)?;
    let _ = push(
        &ws.root,
        &remote,
        &[(commit, lander_ref(&ws.epic.name), Some(held))],
    )?;
    Ok(())
}
