//! The landing lease: `refs/epic/<epic>/lander` on the remote names the one machine that
//! lands now (a commit like a claim's: machine, host, until). A machine's merge queue takes
//! it before it merges and lands its line; the others keep their agents running and, once
//! their own tickets are through their gates, hand them over: the note says at which tip,
//! and the lander lands every ticket handed over to it in line, in one push of the epic.
//! Without a merged-result test the lander holds the lease for as long as its run goes on
//! (it lands for the machines that hand over); with one, each machine tests and lands its
//! own line and gives the lease back when that is empty. A dead lander's lease runs out and
//! another machine takes it over; a machine whose ticket lands there learns it from the
//! remote's epic.
//!
//! The lease is advice, not the guard: every landing is still a push of the epic with a
//! lease on the value it merged on, so a lander whose lease ran out unseen lands nothing
//! twice; it only merges again.

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
    // A pattern: a remote without a lease yet is no failed fetch. The epic comes in the
    // same fetch: a machine that waits on the lander learns from it what landed.
    let (pattern, tracked) = (
        format!("{dst}*"),
        format!("{}*", track(&remote, name, "lander")),
    );
    let epic = format!("refs/heads/{}", ws.epic.branch);
    let wants = [
        (pattern.as_str(), tracked),
        (epic.as_str(), track(&remote, name, "epic")),
    ];
    let remote_epic = {
        let _one = super::one_at_a_time();
        match fetch_tips(&ws.root, &remote, &wants)? {
            Ok(tips) => tips[1],
            Err(Offline(_)) => return Ok(Lander::Held(None)),
        }
    };
    let repo = gix::open(&ws.root)?;
    super::direct::follow_epic(ws, &repo, remote_epic)?;
    let at = crate::infra::gitx::resolve_commit(&repo, &track(&remote, name, "lander"));
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

/// Hand done ticket `id` over to the machine that lands now: its note says the tip its
/// gates passed, and goes to the remote with the branch at that tip. False when the remote
/// cannot be reached (this machine then lands it, local-only, as before).
pub fn hand_over(ws: &Workspace, id: &str, branch: &str, tip: ObjectId) -> Result<bool> {
    let store = crate::model::state::Store::new(&ws.repo, &ws.epic.name);
    store.update(id, |n| {
        n.hand_over = Some(crate::model::state::HandOver {
            tip: tip.to_string(),
            attempt: n.attempts,
        });
        Ok(())
    })?;
    crate::infra::trace::trace(|| format!("hand over {id} at {tip}"));
    Ok(matches!(super::publish_done(ws, branch, tip)?, Some(Ok(_))))
}

/// Take back what was handed over of ticket `id` (a commit on its branch since its gates):
/// the note says it no longer, and goes to the remote.
pub fn take_back(ws: &Workspace, id: &str) -> Result<()> {
    let store = crate::model::state::Store::new(&ws.repo, &ws.epic.name);
    store.update(id, |n| {
        n.hand_over = None;
        Ok(())
    })?;
    crate::infra::trace::trace(|| format!("take back {id}"));
    super::exchange_notes(ws)?;
    Ok(())
}

/// A ticket another machine handed over, its branch fetched at the tip handed over.
pub struct HandedOver {
    pub id: String,
    pub branch: String,
    pub tip: ObjectId,
}

/// What other machines handed over to this one (the lander) and it has not landed, as
/// their notes on the remote say now: one fetch of every machine's notes ref and of the
/// ticket branches, read where they were fetched. Not through the exchange of the notes,
/// which waits its turn behind this run's claims (a second at a time under load: the
/// lander looked every few seconds instead of every 200 ms); not merged into the local notes
/// either: the machine that handed a ticket over records its landing. A branch no longer at
/// the tip handed over is left out (its machine hands it over again, or lands it itself).
pub fn handed_over(ws: &Workspace, ids: &[&str]) -> Result<Vec<HandedOver>> {
    let Some(remote) = remote_of(&ws.repo, &ws.epic.name) else {
        return Ok(Vec::new());
    };
    let name = &ws.epic.name;
    // Tracking refs of its own: the exchanges of this run fetch the same refs into theirs.
    let look = |what: &str| track(&remote, name, &format!("look/{what}"));
    let machines = format!("refs/epic/{name}/machines/*");
    let wants = [
        (machines.as_str(), look("machines/*")),
        ("refs/heads/feat/*", look("feat/*")),
    ];
    if let Err(Offline(_)) = fetch_tips(&ws.root, &remote, &wants)? {
        return Ok(Vec::new());
    }
    let repo = gix::open(&ws.root)?;
    let store = crate::model::state::Store::new(&repo, name);
    let here = store.get_many(ids)?;
    let me = crate::infra::host::this_machine();
    let prefix = format!("{}/", look("machines"));
    let mut found = Vec::new();
    for (machine, tip) in super::view::tracked_under(&repo, &prefix)? {
        if Some(machine.as_str()) == me {
            continue;
        }
        let notes = super::notes::entries(&repo, Some(tip))?;
        for id in ids {
            // Landed here already (this machine records what it lands).
            if matches!(here.get(*id), Some(Ok(n)) if n.state == crate::model::state::State::Merged)
            {
                continue;
            }
            let Some(note) = notes
                .get(&store.key(id))
                .and_then(|blob| repo.find_blob(*blob).ok())
                .and_then(|blob| crate::model::state::parse_note(&blob.data).ok())
            else {
                continue;
            };
            // Only the machine that ran it hands a ticket over; the name of the branch
            // comes from its note, and only a ticket branch is taken.
            let (Some(at), Some(branch)) = (note.handed_over(), note.branch.as_ref()) else {
                continue;
            };
            let ticket_branch =
                branch.starts_with("feat/") && crate::infra::gitx::is_valid_branch_name(branch);
            if note.machine.as_deref() != Some(machine.as_str()) || !ticket_branch {
                continue;
            }
            let Ok(at) = ObjectId::from_hex(at.as_bytes()) else {
                continue;
            };
            if crate::infra::gitx::resolve_commit(&repo, &look(branch)) == Some(at) {
                found.push(HandedOver {
                    id: id.to_string(),
                    branch: branch.clone(),
                    tip: at,
                });
            }
        }
    }
    Ok(found)
}
