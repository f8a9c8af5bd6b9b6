//! A run through the epic's remote: claims go out as tickets start, notes are exchanged
//! as they change, and tickets other machines hold are watched until they land there or
//! their claim runs out.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Instant;

use super::claim::{release, Slot};
use super::order::precedence;
use super::scheduler::Msg;
use super::{Event, Summary};
use crate::infra::config::Settings;
use crate::infra::error::Result;
use crate::model::epic::Workspace;
use crate::model::state::{self, State, Store};

/// The machine that holds `id`, as known since the last exchange: no need to ask the remote.
pub(super) fn known_elsewhere(store: &Store<'_>, id: &str) -> Option<String> {
    store
        .get(id)
        .ok()
        .flatten()
        .and_then(|n| n.claimed_elsewhere())
}

/// Claim `id` through the remote in a thread of its own; the outcome comes back to the run
/// loop as [`Msg::Reserved`].
pub(super) fn claim_ahead(ws: &Workspace, settings: &Settings, id: String, tx: &Sender<Msg>) {
    let (root, epic, tx) = (ws.root.clone(), ws.epic.clone(), tx.clone());
    let until = state::now() + settings.claim_lease.as_secs_f64();
    std::thread::spawn(move || {
        let result = gix::open(&root)
            .map_err(anyhow::Error::from)
            .and_then(|repo| crate::ops::remote::claim(&Workspace { repo, root, epic }, &id, until))
            .map_err(|e| format!("{e:#}"));
        let _ = tx.send(Msg::Reserved { id, result });
    });
}

/// Whether queued `s` may start now: its wait is over and its profile is not cooling down.
pub(super) fn startable(s: &Slot, cooldown: &HashMap<String, Instant>, now: Instant) -> bool {
    s.not_before <= now
        && cooldown
            .get(&s.plan.agent.profile)
            .is_none_or(|c| *c <= now)
}

/// Whether queued `s` is one to claim: startable, not an adopted run, and neither claimed
/// here already nor being claimed.
fn claimable(
    s: &Slot,
    reserved: &HashSet<String>,
    reserving: &HashSet<String>,
    cooldown: &HashMap<String, Instant>,
    now: Instant,
) -> bool {
    s.adopt.is_none()
        && !reserved.contains(&s.plan.id)
        && !reserving.contains(&s.plan.id)
        && startable(s, cooldown, now)
}

/// The position of the queued ticket to claim next, best first.
pub(super) fn next_to_claim(
    queue: &VecDeque<Slot>,
    reserved: &HashSet<String>,
    reserving: &HashSet<String>,
    cooldown: &HashMap<String, Instant>,
    now: Instant,
) -> Option<usize> {
    queue
        .iter()
        .enumerate()
        .filter(|(_, s)| claimable(s, reserved, reserving, cooldown, now))
        .max_by(|a, b| precedence(*a, *b, true))
        .map(|(i, _)| i)
}

/// Claim `queue[i]` in the background ([`claim_ahead`]); true if it went. One known to be
/// held by another machine is left to it instead, without asking the remote.
#[allow(clippy::too_many_arguments)]
pub(super) fn claim_next(
    ws: &Workspace,
    settings: &Settings,
    i: usize,
    queue: &mut VecDeque<Slot>,
    reserving: &mut HashSet<String>,
    summary: &mut Summary,
    report: &dyn Fn(Event),
    tx: &Sender<Msg>,
) -> bool {
    let id = queue[i].plan.id.clone();
    let store = Store::new(&ws.repo, &ws.epic.name);
    if let Some(other) = known_elsewhere(&store, &id) {
        queue.remove(i);
        lost(&store, summary, report, &id, &other);
        return false;
    }
    claim_ahead(ws, settings, id.clone(), tx);
    reserving.insert(id);
    true
}

/// Claim the next `free` tickets of the queue together, in one push (see
/// [`crate::ops::remote::claim_many`]), in the background; each comes back as [`Msg::Reserved`].
#[allow(clippy::too_many_arguments)]
pub(super) fn claim_together(
    ws: &Workspace,
    settings: &Settings,
    free: usize,
    queue: &mut VecDeque<Slot>,
    reserved: &HashSet<String>,
    reserving: &mut HashSet<String>,
    cooldown: &HashMap<String, Instant>,
    summary: &mut Summary,
    report: &dyn Fn(Event),
    tx: &Sender<Msg>,
) -> Result<()> {
    let now = Instant::now();
    let mut next: Vec<(usize, &Slot)> = queue
        .iter()
        .enumerate()
        .filter(|(_, s)| claimable(s, reserved, reserving, cooldown, now))
        .collect();
    if next.len() < 2 {
        return Ok(());
    }
    next.sort_by(|a, b| precedence(*b, *a, true));
    let ids: Vec<String> = next
        .iter()
        .take(free)
        .map(|(_, s)| s.plan.id.clone())
        .collect();
    let store = Store::new(&ws.repo, &ws.epic.name);
    let mut claim = Vec::new();
    for id in ids {
        match known_elsewhere(&store, &id) {
            Some(other) => {
                queue.retain(|s| s.plan.id != id);
                lost(&store, summary, report, &id, &other);
            }
            None => claim.push(id),
        }
    }
    reserving.extend(claim.iter().cloned());
    let (root, epic, tx) = (ws.root.clone(), ws.epic.clone(), tx.clone());
    let until = state::now() + settings.claim_lease.as_secs_f64();
    std::thread::spawn(move || {
        let refs: Vec<&str> = claim.iter().map(String::as_str).collect();
        let results = gix::open(&root)
            .map_err(anyhow::Error::from)
            .and_then(|repo| {
                crate::ops::remote::claim_many(&Workspace { repo, root, epic }, &refs, until)
            });
        match results {
            Ok(results) => {
                for (id, result) in results {
                    let _ = tx.send(Msg::Reserved {
                        id,
                        result: Ok(result),
                    });
                }
            }
            Err(e) => {
                for id in claim {
                    let result = Err(format!("{e:#}"));
                    let _ = tx.send(Msg::Reserved { id, result });
                }
            }
        }
    });
    Ok(())
}

/// Exchange notes with the remote in a thread of its own, unless one is under way already
/// (then false: ask again later). How it went comes back as [`Msg::Exchanged`].
pub(super) fn exchange_in_background(
    ws: &Workspace,
    tx: &Sender<Msg>,
    busy: &Arc<AtomicBool>,
) -> bool {
    if busy.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return false;
    }
    let busy = Arc::clone(busy);
    let _ = in_background(ws, tx, move |ws| {
        let shared = crate::ops::remote::exchange_notes(ws);
        busy.store(false, std::sync::atomic::Ordering::SeqCst);
        shared
    });
    true
}

/// Run `share` (an exchange with the remote) on a workspace of its own in a thread; how it
/// went comes back as [`Msg::Exchanged`].
fn in_background(
    ws: &Workspace,
    tx: &Sender<Msg>,
    share: impl FnOnce(
            &Workspace,
        ) -> Result<
            Option<
                std::result::Result<crate::ops::remote::notes::Merged, crate::ops::remote::Offline>,
            >,
        > + Send
        + 'static,
) -> std::thread::JoinHandle<()> {
    let (root, epic, tx) = (ws.root.clone(), ws.epic.clone(), tx.clone());
    std::thread::spawn(move || {
        let offline = match gix::open(&root)
            .map_err(anyhow::Error::from)
            .and_then(|repo| share(&Workspace { repo, root, epic }))
        {
            Ok(None) | Ok(Some(Ok(_))) => None,
            Ok(Some(Err(crate::ops::remote::Offline(why)))) => Some(why),
            // The remote answered (a busy one, or a step that failed here): not offline;
            // the next exchange tries again.
            Err(e) => {
                super::trace(|| format!("exchange failed: {e:#}"));
                None
            }
        };
        let _ = tx.send(Msg::Exchanged { offline });
    })
}

/// Share ticket `id`, done here, with its branch, in a thread of its own (see
/// [`crate::ops::remote::publish_done`]); how it went comes back as [`Msg::Exchanged`]. The run
/// waits for the thread before it ends: a done note that went out without its branch would
/// have the ticket run again should this machine not come back.
pub(super) fn publish_done_in_background(
    ws: &Workspace,
    store: &Store<'_>,
    id: &str,
    tx: &Sender<Msg>,
) -> Result<Option<std::thread::JoinHandle<()>>> {
    let Some(branch) = store.get(id)?.and_then(|n| n.branch) else {
        return Ok(None);
    };
    let Some(tip) = crate::infra::gitx::branch_tip(&ws.repo, &branch)? else {
        return Ok(None);
    };
    Ok(Some(in_background(ws, tx, move |ws| {
        crate::ops::remote::publish_done(ws, &branch, tip)
    })))
}

/// Exchange notes with the epic's remote, if it has one; when it cannot be reached, say so
/// (once per process).
pub(super) fn exchange(ws: &Workspace, report: &dyn Fn(Event)) {
    match crate::ops::remote::exchange_notes(ws) {
        Ok(None) | Ok(Some(Ok(_))) => {}
        Ok(Some(Err(crate::ops::remote::Offline(why)))) => local_only(ws, why, report),
        // Not unreachable (it answered): local-only would be a lie; the next exchange
        // tries again.
        Err(e) => super::trace(|| format!("exchange failed: {e:#}")),
    }
}

/// Say once per process that the remote cannot be reached.
pub(super) fn local_only(ws: &Workspace, why: String, report: &dyn Fn(Event)) {
    static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !SAID.swap(true, std::sync::atomic::Ordering::SeqCst) {
        report(Event::LocalOnly {
            remote: crate::infra::config::remote_of(&ws.repo, &ws.epic.name).unwrap_or_default(),
            why,
        });
    }
}

/// A claim lost to `host`: the ticket is left to it (and watched, see [`held_elsewhere`]).
pub(super) fn lost(
    store: &Store<'_>,
    summary: &mut Summary,
    report: &dyn Fn(Event),
    id: &str,
    host: &str,
) {
    release(store, id, State::Pending, None).ok();
    elsewhere(summary, report, id, host);
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
        // Landed there: nothing to wait for, whatever its claim still says.
        if n.claimed_elsewhere().is_some() && n.state != State::Merged {
            live = true;
            return true;
        }
        let settled = matches!(
            n.state,
            State::Done | State::Merged | State::Failed | State::Conflict
        );
        if !settled {
            super::trace(|| format!("retake {id}: {n:?}"));
            retake.push(id.clone());
        }
        settled
    });
    Ok((live, retake))
}

/// Tell the other machines that `profile`'s shared account is limited for `wait` (hit by
/// ticket `id`, whose note says how the agent put it).
pub(super) fn share_cooldown(
    ws: &Workspace,
    store: &Store<'_>,
    id: &str,
    profile: &str,
    wait: std::time::Duration,
    report: &dyn Fn(Event),
) -> Result<()> {
    let until = state::now() + wait.as_secs_f64();
    let hit = store.get(id).ok().flatten().unwrap_or_default();
    let host = store.host();
    store.update(&state::account_note(profile), |n| {
        if n.rate_limited_until.is_none_or(|u| u < until) {
            n.rate_limited_until = Some(until);
            n.rate_limit_said.clone_from(&hit.rate_limit_said);
            n.rate_limit_no_reset = hit.rate_limit_no_reset;
            n.mark_mine(&host);
        }
        Ok(())
    })?;
    exchange(ws, report);
    Ok(())
}

/// How long `profile`'s shared account is still limited, as the notes say (a limit hit on
/// any machine of the epic); a note that does not parse is no limit.
pub(super) fn account_cooldown(store: &Store<'_>, profile: &str) -> Option<std::time::Duration> {
    let note = store.get(&state::account_note(profile)).ok().flatten();
    let now = state::now();
    let until = crate::ops::cooldown::account_until(note.as_ref(), now)?;
    Some(std::time::Duration::from_secs_f64(until - now))
}

/// A ticket's place among equal ones on this machine: the same on every run here, and
/// different from machine to machine.
pub(super) fn spread(id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    (
        crate::infra::host::this_machine().unwrap_or(crate::infra::host::this_host()),
        id,
    )
        .hash(&mut h);
    h.finish()
}

/// How many machines the remote showed at the last fetch, counted again at most once a
/// second: the run loop asks at every turn.
#[derive(Default)]
pub(super) struct MachinesSeen(Option<(Instant, usize)>);

impl MachinesSeen {
    /// Whether tickets are plenty: at least two of the `left` to claim for every machine.
    pub(super) fn plenty(&mut self, ws: &Workspace, left: usize) -> bool {
        let machines = match self.0 {
            Some((at, n)) if at.elapsed() < std::time::Duration::from_secs(1) => n,
            _ => {
                let n = crate::ops::remote::machines_seen(ws).max(1);
                self.0 = Some((Instant::now(), n));
                n
            }
        };
        left >= 2 * machines
    }
}

/// How long this machine's tickets took so far, to tell when a slot is about to free up.
#[derive(Default)]
pub(super) struct Durations {
    sum: f64,
    n: u32,
}

impl Durations {
    pub(super) fn add(&mut self, d: std::time::Duration) {
        self.sum += d.as_secs_f64();
        self.n += 1;
    }

    /// The mean, if any ended yet.
    pub(super) fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / f64::from(self.n))
    }

    /// How many slots are free (`free`) or about to be: running tickets that have run
    /// three quarters of the usual time, or whose time left is within twice what a claim
    /// takes (`claims`: their durations so far; a claim under load takes a second, and a
    /// slot waiting for it stands idle). No more are claimed ahead: a ticket held here
    /// waiting for a slot is one another machine with a slot free now cannot take.
    ///
    /// Before the first ticket ends nothing tells when a slot frees up. Then, while tickets
    /// are `plenty` (at least two left for every machine seen), every running slot counts:
    /// one ticket each is claimed ahead, which no machine misses. Otherwise ten machines
    /// that started together all claimed their second ticket the moment their first ended,
    /// and under that load a claim took one to three seconds, with the slot idle.
    pub(super) fn soon_free<'a>(
        &self,
        started: impl IntoIterator<Item = &'a std::time::Instant>,
        free: usize,
        claims: &Durations,
        plenty: bool,
    ) -> usize {
        let Some(usual) = self.mean() else {
            return if plenty {
                free + started.into_iter().count()
            } else {
                free
            };
        };
        let lead = (0.25 * usual).max(2.0 * claims.mean().unwrap_or(0.0));
        free + started
            .into_iter()
            .filter(|t| t.elapsed().as_secs_f64() >= usual - lead)
            .count()
    }
}

/// What taking over a ticket done on a machine that went away came to.
pub(super) enum Takeover {
    /// Claimed, and its branch is here: land it.
    Land,
    /// Claimed, but its branch never reached the remote: run it again.
    Rerun,
    /// Another machine was first, or the remote cannot be reached now.
    No,
}

/// Take over the landing of `id`, done on a machine that went away: claim it through the
/// remote and bring its branch from there.
pub(super) fn take_landing(
    ws: &Workspace,
    settings: &Settings,
    store: &Store<'_>,
    id: &str,
    report: &dyn Fn(Event),
) -> Result<Takeover> {
    let Some(Ok(before)) = store.get_many(&[id])?.remove(id) else {
        return Ok(Takeover::No);
    };
    if before.reland && before.is_local() {
        report(Event::Relanding { id: id.to_owned() });
        return Ok(Takeover::Land);
    }
    let until = state::now() + settings.claim_lease.as_secs_f64();
    match crate::ops::remote::claim_landing(ws, id, until) {
        Ok(crate::ops::remote::Claim::Won) => {}
        Ok(_) => return Ok(Takeover::No),
        Err(e) => {
            super::trace(|| format!("landing claim of {id} failed: {e:#}"));
            return Ok(Takeover::No);
        }
    }
    let branch = store.get(id)?.and_then(|n| n.branch);
    let fetched = match &branch {
        Some(b) => match crate::ops::remote::fetch_branch(ws, b) {
            Ok(tip) => tip,
            Err(e) => {
                // Not landed from here; once the landing claim runs out, another machine
                // (or this one) tries again.
                report(Event::Skipped {
                    id: id.to_owned(),
                    reason: format!("done on another machine, but not landed here: {e:#}"),
                });
                return Ok(Takeover::No);
            }
        },
        None => None,
    };
    if fetched.is_none() {
        release(
            store,
            id,
            State::Pending,
            Some("its branch never reached the remote"),
        )?;
        report(Event::TakenOver { id: id.to_owned() });
        return Ok(Takeover::Rerun);
    }
    report(Event::LandingTakenOver {
        id: id.to_owned(),
        host: before.machine_label(),
    });
    Ok(Takeover::Land)
}

/// Renew this process's claims through the remote, in one notes commit: of the tickets it
/// runs or has queued (only claims it made through the remote: a ticket merely queued here
/// is not held from the other machines), and of its done tickets in the merge queue (a long
/// test must not let another machine take them over).
pub(super) fn renew_claims(
    store: &Store<'_>,
    held: &[&str],
    landing: &[&str],
    until: f64,
) -> Result<()> {
    let ids: Vec<&str> = held.iter().chain(landing).copied().collect();
    if ids.is_empty() {
        return Ok(());
    }
    store.update_many(&ids, |id, n| {
        let ours = if landing.contains(&id) {
            n.is_mine() && n.state == State::Done
        } else {
            n.is_local() && n.owner_pid == Some(std::process::id())
        };
        if ours && n.claim_until.is_some() {
            n.claim_until = Some(until);
        }
        Ok(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::Durations;

    /// A slot counts as about to free up a quarter of the usual time before its end, or
    /// twice a claim's time before it when claims are slower than that.
    #[test]
    fn a_slot_is_soon_free_a_claims_time_ahead_when_claims_are_slow() {
        let mut took = Durations::default();
        took.add(Duration::from_secs(4));
        let now = Instant::now();
        let started = [
            now - Duration::from_millis(2500),
            now - Duration::from_millis(3200),
        ];
        let none = Durations::default();
        // No claim timed yet: only the one past three quarters (3 s) of 4 s.
        assert_eq!(took.soon_free(&started, 0, &none, false), 1);
        // Claims of 0.8 s: within 1.6 s of the end (past 2.4 s), both.
        let mut slow = Durations::default();
        slow.add(Duration::from_millis(800));
        assert_eq!(took.soon_free(&started, 0, &slow, false), 2);
        // Once a ticket ended, how many tickets are left plays no part.
        assert_eq!(took.soon_free(&started, 0, &none, true), 1);
    }

    /// Before any ticket ended: only the free slots, unless tickets are plenty; then every
    /// running slot too (one claimed ahead each).
    #[test]
    fn before_the_first_end_slots_count_as_soon_free_only_while_tickets_are_plenty() {
        let now = Instant::now();
        let started = [now, now - Duration::from_millis(300)];
        let slow = {
            let mut d = Durations::default();
            d.add(Duration::from_millis(800));
            d
        };
        let nothing_ended = Durations::default();
        assert_eq!(nothing_ended.soon_free(&started, 1, &slow, false), 1);
        assert_eq!(nothing_ended.soon_free(&started, 1, &slow, true), 3);
    }
}
