//! What a run shares while it runs through the epic's remote: claims (one machine per
//! ticket, decided by an atomic push of the notes), states, and landings on the epic.

use std::collections::HashMap;

use anyhow::{anyhow, Result};
use gix::ObjectId;

use super::{fetch_tips, notes, push, remote_of, track, Offline, Pushed, NOTES_REF};
use crate::infra::gitx;
use crate::model::epic::Workspace;

/// Exchange notes with the epic's remote: fetch theirs, merge them into ours, push ours with
/// a lease (again on a lost race). `Ok(None)` without a remote, `Err(Offline)` inside when
/// it cannot be reached.
pub fn exchange_notes(
    ws: &Workspace,
) -> Result<Option<std::result::Result<notes::Merged, Offline>>> {
    exchange(ws, &[], false)
}

/// What this machine's notes say of its own tickets (a ticket recorded merged once it
/// landed), shared: one push with a lease on the tracking refs as they are, as for a done
/// ticket, and the whole exchange only when a lease was stale. Other machines' notes come
/// in with the next claim or exchange: nothing here waits on them, and at ten clones the
/// fetch before this push was one of a ticket's five.
pub fn share_own_notes(
    ws: &Workspace,
) -> Result<Option<std::result::Result<notes::Merged, Offline>>> {
    exchange(ws, &[], true)
}

/// A ticket done here, shared: its branch goes to the remote in the same atomic push as the
/// note that says it is done. Should this machine go away before it lands the ticket,
/// another one lands it from there (see [`claim_landing`]) instead of running it again.
pub fn publish_done(
    ws: &Workspace,
    branch: &str,
    tip: ObjectId,
) -> Result<Option<std::result::Result<notes::Merged, Offline>>> {
    exchange(ws, &[(branch.to_owned(), tip)], true)
}

/// [`exchange_notes`], pushing `branches` (name, tip) along with the notes; `push_first`:
/// with no fetch first when the tracking refs allow it.
fn exchange(
    ws: &Workspace,
    branches: &[(String, ObjectId)],
    push_first: bool,
) -> Result<Option<std::result::Result<notes::Merged, Offline>>> {
    let Some(remote) = remote_of(&ws.repo, &ws.epic.name) else {
        return Ok(None);
    };
    let repo = gix::open(&ws.root)?;
    let graph_ids: Vec<String> = crate::model::ticket::load_all(&ws.root, &ws.epic.tasks_dir)?
        .into_iter()
        .map(|t| t.id)
        .collect();
    let _one = super::one_at_a_time();
    // A done ticket shared: most of the time the tracking refs are what the remote has, and
    // one push says it, with no fetch before it (two of a ticket's fetches, at ten clones).
    if push_first && super::direct::push_first(ws, &repo, &remote, branches).unwrap_or(false) {
        return Ok(Some(Ok(notes::Merged::default())));
    }
    let epic_ref = format!("refs/heads/{}", ws.epic.branch);
    let epic_track = track(&remote, &ws.epic.name, "epic");
    // The epic as well: tickets start from, and land on, what every machine has.
    let branch_refs: Vec<String> = branches
        .iter()
        .map(|(b, _)| format!("refs/heads/{b}"))
        .collect();
    // Every machine's notes and claims (patterns), then the epic and the branches.
    let shared = super::view::wants(&remote, &ws.epic.name);
    let mut wants: Vec<(&str, String)> = shared
        .iter()
        .map(|(src, dst)| (src.as_str(), dst.clone()))
        .collect();
    let fixed = wants.len();
    wants.push((epic_ref.as_str(), epic_track.clone()));
    // A ticket branch done here is new to the remote, as a rule: fetched by name, the
    // missing ref failed the fetch and cost a second one. As a pattern, its absence is
    // no error (and `--prune` takes away a tracking ref the remote no longer has).
    let branch_patterns: Vec<(String, String)> = branches
        .iter()
        .zip(&branch_refs)
        .map(|((b, _), src)| {
            (
                format!("{src}*"),
                format!("{}*", track(&remote, &ws.epic.name, b)),
            )
        })
        .collect();
    for (src, dst) in &branch_patterns {
        wants.push((src.as_str(), dst.clone()));
    }
    let mut backoff = super::wire::Backoff::new();
    loop {
        let remote_epic = match fetch_tips(&ws.root, &remote, &wants)? {
            Ok(tips) => tips[fixed],
            Err(offline) => return Ok(Some(Err(offline))),
        };
        let branch_tips: Vec<Option<ObjectId>> = branches
            .iter()
            .map(|(b, _)| gitx::resolve_commit(&repo, &track(&remote, &ws.epic.name, b)))
            .collect();
        // Landings made here while the remote could not be reached, on an epic it has not
        // moved since: they go out with the notes that say they landed, never after them.
        let mut epic_out = None;
        if let (Some(local), Some(remote_epic)) =
            (gitx::branch_tip(&repo, &ws.epic.branch)?, remote_epic)
        {
            let base = repo
                .merge_base(local, remote_epic)
                .ok()
                .flatten()
                .map(|b| b.detach());
            let behind = local != remote_epic && base == Some(local);
            if behind {
                super::direct::follow_epic(ws, &repo, Some(remote_epic))?;
            } else if local != remote_epic && base == Some(remote_epic) {
                epic_out = Some((local, epic_ref.clone(), Some(remote_epic)));
            } else if base != Some(local) && base != Some(remote_epic) {
                // Landings made here while the remote could not be reached, and landings
                // there meanwhile: ours go back to done before the notes say merged there.
                if let Err(e) = super::reconcile::reconcile(ws) {
                    crate::infra::trace::trace(|| format!("reconcile: {e:#}"));
                }
            }
        }
        let merged = super::view::merge_all(&repo, &remote, &ws.epic.name, &graph_ids)?;
        let mut updates: Vec<_> = epic_out.into_iter().collect();
        // This machine's notes, to its own ref: no other machine writes it, so this push
        // loses to none of theirs. Its claims follow its notes (renewed or given back).
        updates.extend(super::view::own_update(
            &repo,
            &remote,
            &ws.epic.name,
            false,
        )?);
        updates.extend(super::claims::follow_notes(&repo, &remote, &ws.epic.name)?);
        for (((_, tip), dst), there) in branches.iter().zip(&branch_refs).zip(branch_tips) {
            if there != Some(*tip) {
                updates.push((*tip, dst.clone(), there));
            }
        }
        if updates.is_empty() {
            return Ok(Some(Ok(merged)));
        }
        match push(&ws.root, &remote, &updates)? {
            Pushed::Done => {
                super::direct::remember_pushed(ws, &repo, &remote, &updates);
                return Ok(Some(Ok(merged)));
            }
            Pushed::Stale if backoff.wait() => continue,
            Pushed::Stale => return Err(busy(&remote, &backoff)),
        }
    }
}

/// A step given up after losing every round to other machines' pushes for the whole
/// [`super::wire::CONTENTION_BOUND`]: the remote answered all along, so this is not offline.
fn busy(remote: &str, backoff: &super::wire::Backoff) -> anyhow::Error {
    anyhow!(
        "{remote} answered, but other machines' pushes came first {} times in a row; tried again later",
        backoff.rounds()
    )
}

/// How a landing went through the remote.
pub enum Landing {
    /// The remote epic moved to the landed commit too (or there is no remote).
    Shared,
    /// The remote cannot be reached: landed here only, `sync` shares it later.
    LocalOnly,
    /// Another machine landed first: the local epic was put back and brought up to the
    /// remote's; merge again on it.
    EpicMoved,
}

/// Before the local epic moves from `from` to `to` (a landing), move the remote's the same
/// way, with a lease on what it has: the remote decides which machine lands first, and the
/// local epic never shows a landing the other machines refused (a worktree made from it
/// would carry it). When another machine was first, the local epic is brought up to the
/// remote's instead, to merge again on it.
pub fn publish_landing(ws: &Workspace, from: ObjectId, to: ObjectId) -> Result<Landing> {
    let Some(remote) = remote_of(&ws.repo, &ws.epic.name) else {
        return Ok(Landing::Shared);
    };
    let dst = format!("refs/heads/{}", ws.epic.branch);
    // Most landings are on what the remote has: one push says so. The tracking ref then
    // says it too, so that this machine's notes that say merged go out with one push.
    let pushed = |there: Option<ObjectId>| {
        super::direct::remember_pushed(ws, &ws.repo, &remote, &[(to, dst.clone(), there)]);
        Ok(Landing::Shared)
    };
    if let Ok(Pushed::Done) = push(&ws.root, &remote, &[(to, dst.clone(), Some(from))]) {
        return pushed(Some(from));
    }
    let tracked = track(&remote, &ws.epic.name, "epic");
    let _one = super::one_at_a_time();
    let mut backoff = super::wire::Backoff::new();
    loop {
        let Ok(tips) = fetch_tips(&ws.root, &remote, &[(dst.as_str(), tracked.clone())])? else {
            return Ok(Landing::LocalOnly);
        };
        let there = tips[0];
        if there == Some(to) {
            return Ok(Landing::Shared);
        }
        let ancestor = |a: ObjectId, b: ObjectId| gitx::is_ancestor(&ws.root, a, b);
        // Where this landing started, or behind it (landings made here while the remote
        // could not be reached): a fast-forward shares them all.
        let behind = match there {
            None => true,
            Some(t) => ancestor(t, from)?,
        };
        if behind {
            match push(&ws.root, &remote, &[(to, dst.clone(), there)])? {
                Pushed::Done => return pushed(there),
                Pushed::Stale if backoff.wait() => continue,
                Pushed::Stale => return Err(busy(&remote, &backoff)),
            }
        }
        let there = there.expect("none was handled above");
        // Landings made here while the remote could not be reached, and others there
        // meanwhile: ours go back to done, to land again on theirs, as this one does.
        if !ancestor(from, there)? {
            super::reconcile::reconcile(ws)?;
            return Ok(Landing::EpicMoved);
        }
        let repo = gix::open(&ws.root)?;
        // An exchange may have brought it in already.
        let _ = gitx::move_branch(
            &repo,
            &ws.epic.branch,
            from,
            there,
            "git-epic: sync from the remote",
        )?;
        return Ok(Landing::EpicMoved);
    }
}

/// How claiming a ticket through the remote went.
pub enum Claim {
    /// The remote's notes say this machine holds the ticket now (or there is no remote).
    Won,
    /// Another machine was first: it holds the ticket, or it ran it already.
    Lost(String),
    /// The remote cannot be reached: the claim holds on this machine only.
    Offline(String),
}

/// Bring ticket branch `branch` from the remote into the local branch of that name (a
/// machine that went away left it there with its done note): its tip, or `None` when the
/// remote has no such branch.
pub fn fetch_branch(ws: &Workspace, branch: &str) -> Result<Option<ObjectId>> {
    let Some(remote) = remote_of(&ws.repo, &ws.epic.name) else {
        return Ok(None);
    };
    // The name comes from another machine's note: only a ticket branch is ever written.
    if !branch.starts_with("feat/") || !gitx::is_valid_branch_name(branch) {
        return Err(anyhow!("`{branch}` is not a ticket branch"));
    }
    let src = format!("refs/heads/{branch}");
    let tracked = track(&remote, &ws.epic.name, branch);
    let fetched = {
        let _one = super::one_at_a_time();
        match fetch_tips(&ws.root, &remote, &[(src.as_str(), tracked)])? {
            Ok(tips) => tips[0],
            Err(Offline(why)) => return Err(anyhow!("{remote} cannot be reached: {why}")),
        }
    };
    let Some(tip) = fetched else { return Ok(None) };
    let repo = gix::open(&ws.root)?;
    match gitx::branch_tip(&repo, branch)? {
        None => gitx::create_branch(
            &repo,
            branch,
            tip,
            "git-epic: a ticket to land, from the remote",
        )?,
        Some(here) if here == tip => {}
        Some(here) => {
            if let Some(at) = gitx::checked_out_at(&repo, branch)? {
                return Err(anyhow!(
                    "{branch} is checked out in {}, with other commits than the remote's",
                    at.display()
                ));
            }
            // This machine's own commits on it (an older attempt) are kept under a ref.
            if !gitx::is_ancestor(&ws.root, here, tip)? {
                let kept = format!(
                    "refs/epic-sync/{remote}/{}/kept/{branch}/{here}",
                    ws.epic.name
                );
                repo.reference(
                    kept.as_str(),
                    here,
                    gix::refs::transaction::PreviousValue::Any,
                    "git-epic: this machine's commits, before the remote's branch was taken",
                )?;
            }
            if !gitx::move_branch(
                &repo,
                branch,
                here,
                tip,
                "git-epic: a ticket to land, from the remote",
            )? {
                return Err(anyhow!("{branch} moved while it was taken from the remote"));
            }
        }
    }
    Ok(Some(tip))
}

/// Claim ticket `id` through the remote (see [`claim_many`]).
pub fn claim(ws: &Workspace, id: &str, until: f64) -> Result<Claim> {
    let mut claims = claim_many(ws, &[id], until)?;
    Ok(claims.pop().expect("one claim per id").1)
}

/// Claim tickets `ids` through the remote, in one push of its notes: the remote's notes as
/// fetched, with these tickets' notes saying this machine holds them until `until`, pushed
/// with a lease on what was fetched. The remote decides: a push that lost the race is made
/// again on what won, without the tickets another machine took meanwhile. How it went for
/// each, in the order of `ids`.
pub fn claim_many(ws: &Workspace, ids: &[&str], until: f64) -> Result<Vec<(String, Claim)>> {
    claim_for(ws, ids, until, false)
}

/// Claim the landing of ticket `id`, done on another machine whose claim ran out (it went
/// away before it landed the ticket): won, this machine lands it from the branch that
/// machine pushed with its done note. Lost when the ticket is not done any more, or another
/// machine holds it (that one lands it).
pub fn claim_landing(ws: &Workspace, id: &str, until: f64) -> Result<Claim> {
    let mut claims = claim_for(ws, &[id], until, true)?;
    Ok(claims.pop().expect("one claim per id").1)
}

/// [`claim_many`] to run the tickets, or (`land`) to land them. One fetch (every machine's
/// notes and claims), then one atomic push: the claim refs of the tickets (created, or
/// updated with a lease where a claim ran out or is this machine's) and this machine's
/// notes ref with the notes that say so. It is refused only when another machine claimed
/// one of them meanwhile (or another process of this clone pushed its notes): then the
/// round is made again on what the remote has now.
fn claim_for(ws: &Workspace, ids: &[&str], until: f64, land: bool) -> Result<Vec<(String, Claim)>> {
    let Some(remote) = remote_of(&ws.repo, &ws.epic.name) else {
        return Ok(ids.iter().map(|id| (id.to_string(), Claim::Won)).collect());
    };
    let name = ws.epic.name.as_str();
    let store = crate::model::state::Store::new(&ws.repo, name);
    let host = store.host();
    let Some(me) = crate::infra::host::this_machine() else {
        return Err(anyhow!(
            "this clone has no machine id to claim tickets with"
        ));
    };
    // What the last fetch said already settles tickets another machine holds or finished:
    // no round trip for those. Ten machines going down one queue of sixty tickets
    // otherwise learnt of each ticket taken by the others with a fetch of its own (about
    // nine in ten of their fetches).
    if let Some(lost) = known_lost(ws, &store, &remote, ids, land) {
        return Ok(lost);
    }
    let graph_ids: Vec<String> = crate::model::ticket::load_all(&ws.root, &ws.epic.tasks_dir)?
        .into_iter()
        .map(|t| t.id)
        .collect();
    let shared = super::view::wants(&remote, name);
    let wants: Vec<(&str, String)> = shared
        .iter()
        .map(|(src, dst)| (src.as_str(), dst.clone()))
        .collect();
    let _one = super::one_at_a_time();
    let repo = gix::open(&ws.root)?;
    let mut lost: HashMap<String, String> = HashMap::new();
    let mut backoff = super::wire::Backoff::new();
    let started = std::time::Instant::now();
    loop {
        if let Err(Offline(why)) = fetch_tips(&ws.root, &remote, &wants)? {
            return Ok(ids
                .iter()
                .map(|id| (id.to_string(), Claim::Offline(why.clone())))
                .collect());
        }
        super::view::merge_all(&repo, &remote, name, &graph_ids)?;
        let mut notes = Vec::new();
        let mut updates = Vec::new();
        for id in ids {
            if lost.contains_key(*id) {
                continue;
            }
            let (at, mine) = match winnable(&repo, &store, &remote, name, id, land) {
                Ok(here) => here,
                Err(by) => {
                    lost.insert(id.to_string(), by);
                    continue;
                }
            };
            let mut note = mine.unwrap_or_default();
            note.mark_mine(&host);
            note.claim_until = Some(until);
            note.owner_pid = Some(std::process::id());
            note.owner_start = crate::infra::process::start_time(std::process::id());
            note.rev += 1;
            notes.push((*id, note));
            let claim = super::claims::write(&repo, id, at, &host, until)?;
            updates.push((claim, super::view::claim_ref(name, id), at));
        }
        let outcome = |lost: &HashMap<String, String>| {
            ids.iter()
                .map(|id| {
                    let c = lost.get(*id).map_or(Claim::Won, |h| Claim::Lost(h.clone()));
                    (id.to_string(), c)
                })
                .collect()
        };
        if notes.is_empty() {
            return Ok(outcome(&lost));
        }
        let base = gitx::resolve_commit(&repo, NOTES_REF);
        let commit = store.commit_on(base, &notes)?;
        let own = track(&remote, name, &format!("machines/{me}"));
        let own_there = gitx::resolve_commit(&repo, &own);
        updates.push((commit, super::view::machine_ref(name, me), own_there));
        match push(&ws.root, &remote, &updates)? {
            Pushed::Stale if backoff.wait() => continue,
            Pushed::Stale => return Err(busy(&remote, &backoff)),
            Pushed::Done => {
                super::direct::remember_pushed(ws, &repo, &remote, &updates);
                crate::infra::trace::trace(|| {
                    format!(
                        "claimed {} in {:.3}s",
                        notes.len(),
                        started.elapsed().as_secs_f64()
                    )
                });
                won_here(&repo, &store, name, base, commit, &notes)?;
                return Ok(outcome(&lost));
            }
        }
    }
}

/// Every one of `ids` lost, by what was last fetched: then the claim needs no round trip.
/// `None` when any of them may still be won. A claim ref or note fetched a moment ago can
/// only be older than the remote's, and a claim there does not go away before its lease
/// runs out or its machine gives it back, which a fetch just before would have missed too.
fn known_lost(
    ws: &Workspace,
    store: &crate::model::state::Store<'_>,
    remote: &str,
    ids: &[&str],
    land: bool,
) -> Option<Vec<(String, Claim)>> {
    ids.iter()
        .map(|id| {
            winnable(&ws.repo, store, remote, &ws.epic.name, id, land)
                .err()
                .map(|by| (id.to_string(), Claim::Lost(by)))
        })
        .collect()
}

/// Whether ticket `id` may be claimed here, by its claim ref and note as last fetched: the
/// claim ref's value (the lease of the claim's push) and this machine's note, or who holds
/// it (a live claim of another machine's, or its note: see [`taken`]; a note that cannot be
/// read holds it too).
fn winnable(
    repo: &gix::Repository,
    store: &crate::model::state::Store<'_>,
    remote: &str,
    epic: &str,
    id: &str,
    land: bool,
) -> std::result::Result<(Option<ObjectId>, Option<crate::model::state::TicketNote>), String> {
    let (at, held) = super::claims::fetched(repo, remote, epic, id);
    if let Some(h) = held.filter(|h| h.elsewhere()) {
        return Err(h.label());
    }
    let mine = store
        .get(id)
        .map_err(|e| format!("{remote} (its note: {e:#})"))?;
    if let Some(other) = mine.as_ref().and_then(|n| taken(n, land)) {
        return Err(other);
    }
    Ok((at, mine))
}

/// Who holds ticket note `n` (the merged view) so that this machine may not claim it: to
/// run it (`land` false), another machine's live claim (older versions' notes carry
/// claims too), or its done or merged ticket; to land it, another machine's ticket that is
/// not done, or whose claim still holds.
fn taken(n: &crate::model::state::TicketNote, land: bool) -> Option<String> {
    use crate::model::state::State;
    let other = || n.machine_label();
    if land {
        let held = n
            .claim_until
            .is_some_and(|u| u > crate::model::state::now());
        (!n.is_local() && (n.state != State::Done || held)).then(other)
    } else {
        n.claimed_elsewhere().or_else(|| {
            (!n.is_local() && matches!(n.state, State::Done | State::Merged)).then(other)
        })
    }
}

/// The claims pushed in notes commit `commit` (made on local notes `base`) hold here too:
/// the local notes move to it, or, when they moved meanwhile, take its claims.
fn won_here(
    repo: &gix::Repository,
    store: &crate::model::state::Store<'_>,
    epic: &str,
    base: Option<ObjectId>,
    commit: ObjectId,
    notes: &[(&str, crate::model::state::TicketNote)],
) -> Result<()> {
    use gix::refs::transaction::PreviousValue;
    let expected = match base {
        Some(b) => PreviousValue::MustExistAndMatch(gix::refs::Target::Object(b)),
        None => PreviousValue::MustNotExist,
    };
    if repo
        .reference(NOTES_REF, commit, expected, "git-epic: claimed")
        .is_ok()
    {
        return Ok(());
    }
    let won: Vec<&str> = notes.iter().map(|(id, _)| *id).collect();
    let by_id: HashMap<&str, &crate::model::state::TicketNote> =
        notes.iter().map(|(id, n)| (*id, n)).collect();
    store.update_many(&won, |id, n| {
        let note = by_id[id];
        n.host = note.host.clone();
        n.machine = note.machine.clone();
        n.claim_until = note.claim_until;
        n.owner_pid = note.owner_pid;
        n.owner_start = note.owner_start;
        Ok(())
    })?;
    let won: Vec<String> = won.iter().map(|id| id.to_string()).collect();
    notes::merge(repo, epic, &won, commit)?;
    Ok(())
}
