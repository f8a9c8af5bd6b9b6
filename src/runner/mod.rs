//! `wave start` and `run`: claim ready tickets, make their worktrees, run the agents in
//! parallel with stagger, retries, rate-limit cooldowns and timeouts, and record every step
//! in the notes so that a killed run resumes where it stopped.
//!
//! One thread (the caller's) owns the repository and every state change; each running
//! agent has a small thread that only waits for its process.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::agent::{self, Exit};
use crate::agents::Observed;
use crate::config::{PromptVia, Settings};
use crate::epic::Workspace;
use crate::error::Result;
use crate::gitx;
use crate::state::{self, State, Store, TicketNote};

mod budget;
mod claim;
mod conclude;
mod cooldown;
mod events;
mod launch;
mod order;
mod select;
mod shared;

use crate::remote::Claim;
use budget::{halt, Budget};
use claim::{claim, fail, prepare_worktrees, release, worktree_created, Slot};
use conclude::{after_clean_exit, conclude, AfterExit, Finished, Next};
pub use events::{Event, MergeNews, OnDone, Summary};
use launch::{adopt, start};
use order::{next_start, precedence};
pub use select::{prepare, select, Planned, Selection};

pub(crate) use crate::trace::trace;

/// What the scheduler thread hears about.
enum Msg {
    /// A worktree was made (or found) ahead of its ticket's start.
    Prepared {
        id: String,
        result: std::result::Result<bool, String>,
    },
    Finished {
        id: String,
        exit: Exit,
        started: Instant,
        after: Option<AfterExit>,
        observed: Box<Observed>,
        resumed: Option<String>,
    },
    Merged(MergeNews),
    /// A claim made ahead, in the background, came back.
    Reserved {
        id: String,
        result: std::result::Result<crate::remote::Claim, String>,
    },
    /// An exchange of notes made in the background ended; why the remote could not be
    /// reached, if it could not.
    Exchanged {
        offline: Option<String>,
    },
}

/// Run the planned tickets to the end. `interrupt` is set by the CLI's signal handler.
/// With `on_done` (flow mode), each done ticket is handed over and the tickets it makes
/// ready join the run.
#[allow(clippy::too_many_arguments)]
pub fn run(
    ws: &Workspace,
    settings: &Settings,
    planned: Vec<Planned>,
    jobs: usize,
    rerun_failed: bool,
    interrupt: &'static AtomicBool,
    report: &dyn Fn(Event),
    mut on_done: Option<&mut dyn OnDone>,
) -> Result<Summary> {
    let store = Store::new(&ws.repo, &ws.epic.name);
    let mut summary = Summary::default();
    let mut queue: VecDeque<Slot> = claim(ws, planned, rerun_failed, &mut summary, report)?.into();
    let budget = Budget::new(ws, settings)?;

    trace(|| "claimed".into());
    let (tx, rx) = mpsc::channel::<Msg>();
    // Through a remote, a worktree is made once its ticket is claimed: most tickets in the
    // queue go to other machines, and every worktree here is rebased at each landing.
    let shared = crate::config::remote_of(&ws.repo, &ws.epic.name).is_some();
    if !shared {
        prepare_worktrees(ws, queue.iter().map(|s| &s.plan), &tx, interrupt);
    }
    let admission = Admission {
        rerun_failed,
        shared,
        tx: &tx,
        interrupt,
        report,
    };
    // Ticket -> whether its worktree was just created (reported when it starts).
    let mut prepared: HashMap<String, bool> = HashMap::new();
    let mut running: HashMap<String, Slot> = HashMap::new();
    let mut cooldown: HashMap<String, Instant> = HashMap::new();
    // When the waits on rate limits were last read again from the notes (a reset lifts them).
    let mut resets_read = Instant::now();
    let mut last_start: Option<Instant> = None;
    // Flow mode: merges under way in the background, by the merged ticket's priority.
    let mut merging: HashMap<String, usize> = HashMap::new();

    // Profiles stopped by an agent error that retrying cannot fix.
    let mut halted: std::collections::HashSet<String> = Default::default();
    // Through a remote, claims are renewed while their tickets are held here.
    let renew_every = settings.claim_lease / 3;
    let mut renewed = Instant::now();
    // Ends of tickets not yet told to the remote.
    let mut unshared = false;
    // Through a remote: queued tickets claimed ahead of their start (up to `jobs`), their
    // worktrees made meanwhile, so that a free slot starts one at once.
    let mut reserved: std::collections::HashSet<String> = Default::default();
    // The claim ahead under way in the background, if one is.
    // Claims under way in the background, and whether an exchange is.
    let mut reserving: HashSet<String> = HashSet::new();
    let exchanging: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
    // Done tickets being shared with their branches: waited for before the run ends.
    let mut publishing = Vec::new();
    // When each running ticket started, and how long finished ones took: a ticket is claimed
    // ahead only when a slot is about to free up, not hoarded from the other machines.
    let mut spawned: HashMap<String, Instant> = HashMap::new();
    let mut took = shared::Durations::default();
    loop {
        if shared && renewed.elapsed() >= renew_every {
            renewed = Instant::now();
            let until = state::now() + settings.claim_lease.as_secs_f64();
            let held: Vec<&str> = running
                .keys()
                .chain(queue.iter().map(|s| &s.plan.id))
                .map(String::as_str)
                .collect();
            let landing: Vec<&str> = merging.keys().map(String::as_str).collect();
            shared::renew_claims(&store, &held, &landing, until)?;
            shared::exchange(ws, report);
        }
        if !halted.is_empty() {
            halt(
                &store,
                &mut queue,
                &mut summary,
                report,
                |s| s.adopt.is_none() && halted.contains(&s.plan.agent.profile),
                "not started: its agent profile hit an error that retrying cannot fix",
            )?;
        }
        let stopping = interrupt.load(std::sync::atomic::Ordering::SeqCst);
        if stopping {
            // Tickets not started yet are released untouched; running ones stop in their threads.
            for slot in queue.drain(..) {
                release(
                    &store,
                    &slot.plan.id,
                    State::Interrupted,
                    Some("stopped before it started"),
                )?;
                report(Event::Interrupted {
                    id: slot.plan.id.clone(),
                });
                summary.interrupted.push(slot.plan.id);
            }
        }
        // Runs an earlier orchestrator started are running already: take them over first.
        while let Some(pos) = queue.iter().position(|s| s.adopt.is_some()) {
            let slot = queue.remove(pos).expect("position is in range");
            prepared.insert(slot.plan.id.clone(), false);
            adopt(ws, settings, &slot, report, interrupt, &tx)?;
            running.insert(slot.plan.id.clone(), slot);
        }
        // Through a remote, slots free at once (a run's start) are claimed in one push.
        if shared && reserving.is_empty() && !stopping {
            let free = jobs.saturating_sub(running.len() + reserved.len());
            if free > 1 {
                shared::claim_together(
                    ws,
                    settings,
                    free,
                    &mut queue,
                    &reserved,
                    &mut reserving,
                    &cooldown,
                    &mut summary,
                    report,
                    &tx,
                )?;
            }
        }
        cooldown::follow_resets(&store, &mut queue, &mut cooldown, &mut resets_read);
        // Start what may start now.
        while !stopping && running.len() < jobs {
            let now = Instant::now();
            if last_start.is_some_and(|t| now < t + settings.stagger) {
                break;
            }
            // If the ticket's worktree is still being made, wait for it (milliseconds) rather
            // than start a less urgent ticket in its place.
            let Some(pos) = next_start(&queue, &reserved, &cooldown, &merging, now, shared) else {
                break;
            };
            // Through a remote, a ticket is claimed before it starts, in the background:
            // the loop goes on watching its agents meanwhile.
            let id = &queue[pos].plan.id;
            if shared && queue[pos].adopt.is_none() && !reserved.contains(id) {
                // As many claims under way as there are slots to fill, best first.
                let busy = running.len() + reserved.len() + reserving.len();
                let pick = shared::next_to_claim(&queue, &reserved, &reserving, &cooldown, now)
                    .filter(|_| busy < jobs);
                let Some(i) = pick else {
                    break;
                };
                shared::claim_next(
                    ws,
                    settings,
                    i,
                    &mut queue,
                    &mut reserving,
                    &mut summary,
                    report,
                    &tx,
                );
                continue;
            }
            if !prepared.contains_key(id) {
                break;
            }
            if let Some(sentence) = budget.spent_sentence(&store)? {
                halt(
                    &store,
                    &mut queue,
                    &mut summary,
                    report,
                    |_| true,
                    "not started: epic.maxCost reached",
                )?;
                summary.fatal.get_or_insert(sentence);
                break;
            }
            let slot = queue.remove(pos).expect("position is in range");
            let made = prepared.insert(slot.plan.id.clone(), false);
            if made == Some(true) {
                report(worktree_created(&slot.plan));
            }
            trace(|| format!("start {}", slot.plan.id));
            reserved.remove(&slot.plan.id);
            if shared && slot.adopt.is_none() {
                let profile = &slot.plan.agent.profile;
                if let Some(wait) = slot
                    .plan
                    .agent
                    .shared_account
                    .then(|| shared::account_cooldown(&store, profile))
                    .flatten()
                {
                    // Another machine hit the account's limit: no start here before it resets.
                    let until = Instant::now() + wait;
                    let c = cooldown.entry(profile.clone()).or_insert(until);
                    *c = (*c).max(until);
                    report(Event::AccountLimited {
                        id: slot.plan.id.clone(),
                        profile: profile.clone(),
                        wait,
                    });
                    // Held back by the profile's cooldown (which a reset lifts), not a wait
                    // of its own.
                    queue.push_front(slot);
                    continue;
                }
            }
            match start(ws, &store, settings, &slot.plan, report, interrupt, &tx) {
                Ok(()) => {
                    trace(|| format!("spawned {}", slot.plan.id));
                    spawned.insert(slot.plan.id.clone(), Instant::now());
                    last_start = Some(Instant::now());
                    running.insert(slot.plan.id.clone(), slot);
                }
                Err(e) => fail(&store, &mut summary, report, slot.plan.id, format!("{e:#}"))?,
            }
        }
        // Claims still under way are waited for: one won after the end would hold its
        // ticket from the other machines until its lease ran out.
        if running.is_empty() && queue.is_empty() && merging.is_empty() && reserving.is_empty() {
            // Through a remote, work another machine holds may land there (and make more
            // ready here) or be given up (a claim run out: taken over here). Look again
            // until nothing can change.
            let stopping = interrupt.load(std::sync::atomic::Ordering::SeqCst);
            let Some(hook) = on_done.as_deref_mut().filter(|_| shared && !stopping) else {
                break;
            };
            shared::exchange(ws, report);
            let (live, retake) = shared::held_elsewhere(&store, &mut summary)?;
            let mut planned = hook.ready(ws)?;
            for id in &retake {
                report(Event::TakenOver { id: id.clone() });
                planned.extend(hook.again(ws, id)?);
            }
            for id in hook.stranded(ws)? {
                match shared::take_landing(ws, settings, &store, &id, report)? {
                    shared::Takeover::Land => hand_over(hook, ws, &id, &tx, &mut merging, 0)?,
                    shared::Takeover::Rerun => planned.extend(hook.again(ws, &id)?),
                    shared::Takeover::No => {}
                }
            }
            let admitted = admit(ws, planned, &mut queue, &mut summary, &admission)?;
            if admitted == 0 && merging.is_empty() {
                if !live && !hook.waits_on_others(ws)? {
                    break;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            continue;
        }
        // Sleep until an agent ends or the next start may be due.
        let next_due = queue
            .iter()
            .map(|s| {
                let c = cooldown
                    .get(&s.plan.agent.profile)
                    .copied()
                    .unwrap_or(s.not_before);
                s.not_before.max(c)
            })
            .chain(last_start.map(|t| t + settings.stagger))
            .min();
        let wait = next_due.map_or(Duration::from_millis(200), |d| {
            d.saturating_duration_since(Instant::now())
        });
        let wait = wait.clamp(Duration::from_millis(5), Duration::from_millis(200));
        if unshared {
            unshared = !shared::exchange_in_background(ws, &tx, exchanging);
        }
        reserved.retain(|id| queue.iter().any(|s| &s.plan.id == id));
        if shared
            && !interrupt.load(std::sync::atomic::Ordering::SeqCst)
            && reserved.len() + reserving.len()
                < took.soon_free(spawned.values(), jobs.saturating_sub(running.len()))
        {
            // The ticket this machine would start next, claimed now, in the background: the
            // loop goes on watching its agents meanwhile (one claim ahead at a time).
            let next =
                shared::next_to_claim(&queue, &reserved, &reserving, &cooldown, Instant::now());
            if let Some(i) = next {
                if !shared::claim_next(
                    ws,
                    settings,
                    i,
                    &mut queue,
                    &mut reserving,
                    &mut summary,
                    report,
                    &tx,
                ) {
                    continue;
                }
            }
        }
        let fin = match rx.recv_timeout(wait) {
            Ok(Msg::Finished {
                id,
                exit,
                started,
                after,
                observed,
                resumed,
            }) => (id, exit, started, after, observed, resumed),
            Ok(Msg::Prepared {
                id,
                result: Ok(created),
            }) => {
                trace(|| format!("prepared {id}"));
                prepared.insert(id, created);
                continue;
            }
            Ok(Msg::Prepared {
                id,
                result: Err(reason),
            }) => {
                if let Some(pos) = queue.iter().position(|s| s.plan.id == id) {
                    queue.remove(pos);
                    fail(&store, &mut summary, report, id, reason)?;
                }
                continue;
            }
            Ok(Msg::Merged(news)) => {
                merging.remove(&news.id);
                let id = news.id;
                match news.result {
                    Ok((commit, propagated)) => {
                        report(Event::Merged {
                            id: id.clone(),
                            commit,
                        });
                        if let Some(summary) = propagated {
                            report(Event::Propagated { summary });
                        }
                        if let Some(hook) = on_done.as_deref_mut() {
                            if !interrupt.load(std::sync::atomic::Ordering::SeqCst) {
                                let ready = hook.ready(ws)?;
                                admit(ws, ready, &mut queue, &mut summary, &admission)?;
                            }
                        }
                    }
                    Err(reason) => {
                        summary.done.retain(|d| d != &id);
                        let stopping = interrupt.load(std::sync::atomic::Ordering::SeqCst);
                        match (news.fix_round, on_done.as_deref_mut()) {
                            (Some(round), Some(hook)) if !stopping => {
                                report(Event::FixRound {
                                    id: id.clone(),
                                    round,
                                    reason,
                                });
                                let again = hook.again(ws, &id)?;
                                admit(ws, again, &mut queue, &mut summary, &admission)?;
                            }
                            _ => {
                                report(Event::NotMerged {
                                    id: id.clone(),
                                    reason: reason.clone(),
                                });
                                summary.failed.push((id, format!("not merged: {reason}")));
                            }
                        }
                    }
                }
                continue;
            }
            Ok(Msg::Reserved { id, result }) => {
                reserving.remove(&id);
                let Some(i) = queue.iter().position(|s| s.plan.id == id) else {
                    // No longer to run here (the run is stopping): a claim won meanwhile
                    // is given back, not left for the other machines to wait out.
                    if let Ok(Claim::Won) = result {
                        store.update(&id, |n| {
                            if n.is_local() && n.owner_pid == Some(std::process::id()) {
                                n.claim_until = None;
                                n.owner_pid = None;
                                n.owner_start = None;
                            }
                            Ok(())
                        })?;
                        unshared = true;
                    }
                    continue;
                };
                match result {
                    Ok(Claim::Won) => {}
                    Ok(Claim::Offline(why)) => shared::local_only(ws, why, report),
                    Ok(Claim::Lost(other)) => {
                        queue.remove(i);
                        shared::lost(&store, &mut summary, report, &id, &other);
                        continue;
                    }
                    // Not a verdict on the ticket (the remote kept changing, a fetch kept
                    // failing): it is claimed again a little later.
                    Err(why) => {
                        trace(|| format!("claim of {id} failed: {why}"));
                        queue[i].not_before = Instant::now() + Duration::from_secs(2);
                        continue;
                    }
                }
                trace(|| format!("reserved {id}"));
                prepare_worktrees(ws, [&queue[i].plan], &tx, interrupt);
                reserved.insert(id);
                continue;
            }
            Ok(Msg::Exchanged { offline }) => {
                if let Some(why) = offline {
                    shared::local_only(ws, why, report);
                }
                continue;
            }
            Err(_) => continue,
        };
        let (id, exit, started, after, observed, resumed) = fin;
        trace(|| format!("finished {id}"));
        let fin = Finished {
            exit,
            after,
            observed: *observed,
            resumed,
        };
        let slot = running.remove(&id).expect("a running ticket finished");
        let ran = started.elapsed().as_secs_f64();
        if let Some(t) = spawned.remove(&id) {
            took.add(t.elapsed());
        }
        let next = conclude(ws, &store, settings, &slot.plan, fin, ran)?;
        // The other machines learn how it ended (and may take what it unblocks) once what
        // can start here has started: an exchange can take a while when every machine ends
        // a ticket at once. A done ticket goes out at once with its branch, so that another
        // machine can land it should this one go away before it does.
        if shared && matches!(next, Next::Done { .. }) {
            publishing.extend(shared::publish_done_in_background(ws, &store, &id, &tx)?);
        } else {
            unshared |= shared;
        }
        match next {
            Next::Done {
                commits,
                autocommitted,
            } => {
                report(Event::Done {
                    id: id.clone(),
                    commits,
                    autocommitted,
                });
                summary.done.push(id.clone());
                // After Ctrl-C a done ticket stays done: the next run merges it.
                let stopping = interrupt.load(std::sync::atomic::Ordering::SeqCst);
                if let Some(hook) = on_done.as_deref_mut().filter(|_| !stopping) {
                    hand_over(hook, ws, &id, &tx, &mut merging, slot.plan.priority)?;
                }
            }
            Next::Failed(reason) => {
                report(Event::Failed {
                    id: id.clone(),
                    reason: reason.clone(),
                });
                summary.failed.push((id, reason));
            }
            Next::Interrupted => {
                report(Event::Interrupted { id: id.clone() });
                summary.interrupted.push(id);
            }
            Next::RateLimited(wait) => {
                if shared && slot.plan.agent.shared_account {
                    shared::share_cooldown(
                        ws,
                        &store,
                        &slot.plan.id,
                        &slot.plan.agent.profile,
                        wait,
                        report,
                    )?;
                }
                let until = Instant::now() + wait;
                // Every ticket of this profile shares the quota: none starts before `until`.
                let c = cooldown
                    .entry(slot.plan.agent.profile.clone())
                    .or_insert(until);
                *c = (*c).max(until);
                report(Event::RateLimited {
                    id: id.clone(),
                    wait,
                });
                queue.push_front(Slot {
                    not_before: until,
                    adopt: None,
                    ..slot
                });
            }
            Next::Fatal(message) => {
                let profile = slot.plan.agent.profile.clone();
                let sentence = format!(
                    "The agent of profile `{profile}` cannot work: {message}; {}.",
                    slot.plan.agent.adapter.fatal_advice()
                );
                report(Event::Halted {
                    id: id.clone(),
                    reason: sentence.clone(),
                });
                summary.halted.push((id, message.clone()));
                summary.fatal.get_or_insert(sentence);
                // Queued, retried or newly ready: no ticket of this profile starts again.
                halted.insert(profile);
            }
            Next::Retry {
                attempt,
                wait,
                reason,
            } => {
                report(Event::Retrying {
                    id: id.clone(),
                    attempt,
                    wait,
                    reason,
                });
                queue.push_back(Slot {
                    not_before: Instant::now() + wait,
                    adopt: None,
                    ..slot
                });
            }
        }
    }
    trace(|| "end".into());
    for thread in publishing {
        let _ = thread.join();
    }
    if shared {
        shared::exchange(ws, report);
    }
    Ok(summary)
}

/// Hand done ticket `id` to flow mode's merge queue; how it went comes back as
/// [`Msg::Merged`].
fn hand_over(
    hook: &mut dyn OnDone,
    ws: &Workspace,
    id: &str,
    tx: &mpsc::Sender<Msg>,
    merging: &mut HashMap<String, usize>,
    priority: usize,
) -> Result<()> {
    let tx = tx.clone();
    hook.begin(
        ws,
        id,
        Box::new(move |news| {
            let _ = tx.send(Msg::Merged(news));
        }),
    )?;
    merging.insert(id.to_owned(), priority);
    Ok(())
}

/// What [`admit`] needs of the run.
struct Admission<'a> {
    rerun_failed: bool,
    shared: bool,
    tx: &'a mpsc::Sender<Msg>,
    interrupt: &'static AtomicBool,
    report: &'a dyn Fn(Event),
}

/// Claim `planned` and queue what this process got; their worktrees are made in the
/// background (through a remote, once each is claimed there). How many were queued.
fn admit(
    ws: &Workspace,
    planned: Vec<Planned>,
    queue: &mut VecDeque<Slot>,
    summary: &mut Summary,
    a: &Admission<'_>,
) -> Result<usize> {
    let fresh = claim(ws, planned, a.rerun_failed, summary, a.report)?;
    if !a.shared {
        prepare_worktrees(ws, fresh.iter().map(|s| &s.plan), a.tx, a.interrupt);
    }
    let n = fresh.len();
    queue.extend(fresh);
    Ok(n)
}
