//! The scheduler: the one thread that owns a run's state and takes each step in turn
//! (renew claims, take over earlier runs, claim, start what is ready, hear what came back),
//! until nothing is left to run.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::budget::{halt, Budget};
use super::claim::{claim, fail, prepare_worktrees, release, worktree_created, Slot};
use super::launch::{adopt, start};
use super::order::next_start;
use super::{cooldown, shared, trace, Event, OnDone, Planned, Summary};
use crate::infra::config::Settings;
use crate::infra::error::Result;
use crate::model::epic::Workspace;
use crate::model::state::{self, State, Store};

mod messages;

pub(super) use messages::Msg;

/// A run under way: what it was asked, and where each of its tickets is.
pub(super) struct Scheduler<'a, 'h> {
    ws: &'a Workspace,
    settings: &'a Settings,
    store: Store<'a>,
    jobs: usize,
    rerun_failed: bool,
    interrupt: &'static AtomicBool,
    report: &'a dyn Fn(Event),
    on_done: Option<&'h mut dyn OnDone>,
    budget: Budget,
    /// Whether the epic has a remote: other machines claim and run its tickets too.
    shared: bool,
    tx: mpsc::Sender<Msg>,
    rx: mpsc::Receiver<Msg>,
    summary: Summary,
    queue: VecDeque<Slot>,
    /// Ticket -> whether its worktree was just created (reported when it starts).
    prepared: HashMap<String, bool>,
    running: HashMap<String, Slot>,
    cooldown: HashMap<String, Instant>,
    /// The wait last said for each queued ticket ([`cooldown::tell_waits`]).
    pub(super) told: HashMap<String, u64>,
    /// When the waits on rate limits were last read again from the notes (a reset lifts them).
    resets_read: Instant,
    last_start: Option<Instant>,
    /// Flow mode: merges under way in the background, by the merged ticket's priority.
    merging: HashMap<String, usize>,
    /// Profiles stopped by an agent error that retrying cannot fix.
    halted: HashSet<String>,
    /// Through a remote, claims are renewed while their tickets are held here.
    renew_every: Duration,
    renewed: Instant,
    /// Ends of tickets not yet told to the remote.
    unshared: bool,
    /// Through a remote: queued tickets claimed ahead of their start (up to `jobs`), their
    /// worktrees made meanwhile, so that a free slot starts one at once.
    reserved: HashSet<String>,
    /// Claims under way in the background.
    reserving: HashSet<String>,
    /// Whether an exchange of notes is under way in the background.
    exchanging: Arc<AtomicBool>,
    /// Done tickets being shared with their branches: waited for before the run ends.
    publishing: Vec<JoinHandle<()>>,
    /// When each running ticket started, and how long finished ones took: a ticket is claimed
    /// ahead only when a slot is about to free up, not hoarded from the other machines.
    spawned: HashMap<String, Instant>,
    took: shared::Durations,
    /// How long claims took, and when those under way began.
    claims: shared::Durations,
    /// Machines seen on the remote, to tell whether tickets are plenty.
    machines: shared::MachinesSeen,
    claiming_since: HashMap<String, Instant>,
}

impl<'a, 'h> Scheduler<'a, 'h> {
    /// Claim `planned` and, without a remote, start making their worktrees.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        ws: &'a Workspace,
        settings: &'a Settings,
        planned: Vec<Planned>,
        jobs: usize,
        rerun_failed: bool,
        interrupt: &'static AtomicBool,
        report: &'a dyn Fn(Event),
        on_done: Option<&'h mut dyn OnDone>,
    ) -> Result<Scheduler<'a, 'h>> {
        let store = Store::new(&ws.repo, &ws.epic.name);
        let mut summary = Summary::default();
        let queue: VecDeque<Slot> = claim(ws, planned, rerun_failed, &mut summary, report)?.into();
        let budget = Budget::new(ws, settings)?;

        trace(|| "claimed".into());
        let (tx, rx) = mpsc::channel::<Msg>();
        // Through a remote, a worktree is made once its ticket is claimed: most tickets in the
        // queue go to other machines, and every worktree here is rebased at each landing.
        let shared = crate::infra::config::remote_of(&ws.repo, &ws.epic.name).is_some();
        if !shared {
            prepare_worktrees(ws, queue.iter().map(|s| &s.plan), &tx, interrupt);
        }
        Ok(Scheduler {
            ws,
            settings,
            store,
            jobs,
            rerun_failed,
            interrupt,
            report,
            on_done,
            budget,
            shared,
            tx,
            rx,
            summary,
            queue,
            prepared: HashMap::new(),
            running: HashMap::new(),
            cooldown: HashMap::new(),
            told: HashMap::new(),
            resets_read: Instant::now(),
            last_start: None,
            merging: HashMap::new(),
            halted: HashSet::new(),
            renew_every: settings.claim_lease / 3,
            renewed: Instant::now(),
            unshared: false,
            reserved: HashSet::new(),
            reserving: HashSet::new(),
            exchanging: Arc::new(AtomicBool::new(false)),
            publishing: Vec::new(),
            spawned: HashMap::new(),
            took: shared::Durations::default(),
            claims: shared::Durations::default(),
            machines: shared::MachinesSeen::default(),
            claiming_since: HashMap::new(),
        })
    }

    /// Take the steps in turn until nothing is left to run or wait for.
    pub(super) fn run(mut self) -> Result<Summary> {
        loop {
            self.renew_claims()?;
            self.halt_profiles()?;
            let stopping = self.stopping();
            if stopping {
                self.release_queued()?;
            }
            self.adopt_waiting()?;
            if self.shared && self.reserving.is_empty() && !stopping {
                self.claim_free_slots()?;
            }
            cooldown::follow_resets(
                &self.store,
                &mut self.queue,
                &mut self.cooldown,
                &mut self.resets_read,
            );
            if !stopping {
                self.start_ready()?;
                cooldown::tell_waits(&self.queue, &self.cooldown, &mut self.told, self.report);
            }
            // Claims still under way are waited for: one won after the end would hold its
            // ticket from the other machines until its lease ran out.
            if self.running.is_empty()
                && self.queue.is_empty()
                && self.merging.is_empty()
                && self.reserving.is_empty()
            {
                if self.idle()? {
                    continue;
                }
                break;
            }
            let wait = self.next_wait();
            if self.unshared {
                self.unshared =
                    !shared::exchange_in_background(self.ws, &self.tx, &self.exchanging);
            }
            let queue = &self.queue;
            self.reserved
                .retain(|id| queue.iter().any(|s| &s.plan.id == id));
            if !self.claim_ahead() {
                continue;
            }
            if let Ok(msg) = self.rx.recv_timeout(wait) {
                self.on_message(msg)?;
            }
        }
        self.wind_down()
    }

    fn stopping(&self) -> bool {
        self.interrupt.load(Ordering::SeqCst)
    }

    /// Through a remote, renew the claims on the tickets held here (queued, running or
    /// landing) every third of a lease, and exchange notes.
    fn renew_claims(&mut self) -> Result<()> {
        if !self.shared || self.renewed.elapsed() < self.renew_every {
            return Ok(());
        }
        self.renewed = Instant::now();
        let until = state::now() + self.settings.claim_lease.as_secs_f64();
        let held: Vec<&str> = self
            .running
            .keys()
            .chain(self.queue.iter().map(|s| &s.plan.id))
            .map(String::as_str)
            .collect();
        let landing: Vec<&str> = self.merging.keys().map(String::as_str).collect();
        shared::renew_claims(&self.store, &held, &landing, until)?;
        shared::exchange(self.ws, self.report);
        Ok(())
    }

    /// Queued tickets of a profile stopped by an agent error are left as they are.
    fn halt_profiles(&mut self) -> Result<()> {
        if self.halted.is_empty() {
            return Ok(());
        }
        let halted = &self.halted;
        halt(
            &self.store,
            &mut self.queue,
            &mut self.summary,
            self.report,
            |s| s.adopt.is_none() && halted.contains(&s.plan.agent.profile),
            "not started: its agent profile hit an error that retrying cannot fix",
        )
    }

    /// Interrupted: tickets not started yet are released untouched; running ones stop in
    /// their threads.
    fn release_queued(&mut self) -> Result<()> {
        for slot in self.queue.drain(..) {
            release(
                &self.store,
                &slot.plan.id,
                State::Interrupted,
                Some("stopped before it started"),
            )?;
            (self.report)(Event::Interrupted {
                id: slot.plan.id.clone(),
            });
            self.summary.interrupted.push(slot.plan.id);
        }
        Ok(())
    }

    /// Runs an earlier orchestrator started are running already: take them over first.
    fn adopt_waiting(&mut self) -> Result<()> {
        while let Some(pos) = self.queue.iter().position(|s| s.adopt.is_some()) {
            let slot = self.queue.remove(pos).expect("position is in range");
            self.prepared.insert(slot.plan.id.clone(), false);
            adopt(
                self.ws,
                self.settings,
                &slot,
                self.report,
                self.interrupt,
                &self.tx,
            )?;
            self.running.insert(slot.plan.id.clone(), slot);
        }
        Ok(())
    }

    /// Through a remote, slots free at once (a run's start) are claimed in one push.
    fn claim_free_slots(&mut self) -> Result<()> {
        let free = self
            .jobs
            .saturating_sub(self.running.len() + self.reserved.len());
        if free > 1 {
            shared::claim_together(
                self.ws,
                self.settings,
                free,
                &mut self.queue,
                &self.reserved,
                &mut self.reserving,
                &self.cooldown,
                &mut self.summary,
                self.report,
                &self.tx,
            )?;
        }
        Ok(())
    }

    /// Start what may start now, best first, one stagger apart, while slots are free.
    fn start_ready(&mut self) -> Result<()> {
        while self.running.len() < self.jobs {
            let now = Instant::now();
            if self
                .last_start
                .is_some_and(|t| now < t + self.settings.stagger)
            {
                break;
            }
            // If the ticket's worktree is still being made, wait for it (milliseconds) rather
            // than start a less urgent ticket in its place.
            let Some(pos) = next_start(
                &self.queue,
                &self.reserved,
                &self.cooldown,
                &self.merging,
                now,
                self.shared,
            ) else {
                break;
            };
            // Through a remote, a ticket is claimed before it starts, in the background:
            // the loop goes on watching its agents meanwhile.
            let slot = &self.queue[pos];
            if self.shared && slot.adopt.is_none() && !self.reserved.contains(&slot.plan.id) {
                if self.claim_to_start(now) {
                    continue;
                }
                break;
            }
            if !self.prepared.contains_key(&slot.plan.id) {
                break;
            }
            if let Some(sentence) = self.budget.spent_sentence(&self.store)? {
                halt(
                    &self.store,
                    &mut self.queue,
                    &mut self.summary,
                    self.report,
                    |_| true,
                    "not started: epic.maxCost reached",
                )?;
                self.summary.fatal.get_or_insert(sentence);
                break;
            }
            let slot = self.queue.remove(pos).expect("position is in range");
            let made = self.prepared.insert(slot.plan.id.clone(), false);
            if made == Some(true) {
                (self.report)(worktree_created(&slot.plan));
            }
            trace(|| format!("start {}", slot.plan.id));
            self.reserved.remove(&slot.plan.id);
            if self.shared && slot.adopt.is_none() && self.account_limited(&slot) {
                // Held back by the profile's cooldown (which a reset lifts), not a wait
                // of its own.
                self.queue.push_front(slot);
                continue;
            }
            self.launch(slot)?;
        }
        Ok(())
    }

    /// Claim the best queued ticket to claim, if a slot waits for one (as many claims under
    /// way as there are slots to fill); false when none is.
    fn claim_to_start(&mut self, now: Instant) -> bool {
        let busy = self.running.len() + self.reserved.len() + self.reserving.len();
        let pick = shared::next_to_claim(
            &self.queue,
            &self.reserved,
            &self.reserving,
            &self.cooldown,
            now,
        )
        .filter(|_| busy < self.jobs);
        let Some(i) = pick else {
            return false;
        };
        self.claim_next(i);
        true
    }

    /// Whether `slot`'s account, shared by every machine, waits on a rate limit another
    /// machine hit: then its profile cools down here too, until the account resets.
    fn account_limited(&mut self, slot: &Slot) -> bool {
        let profile = &slot.plan.agent.profile;
        let Some(wait) = slot
            .plan
            .agent
            .shared_account
            .then(|| shared::account_cooldown(&self.store, profile))
            .flatten()
        else {
            return false;
        };
        // Another machine hit the account's limit: no start here before it resets.
        let until = Instant::now() + wait;
        let c = self.cooldown.entry(profile.clone()).or_insert(until);
        *c = (*c).max(until);
        (self.report)(Event::AccountLimited {
            id: slot.plan.id.clone(),
            profile: profile.clone(),
            wait,
        });
        true
    }

    /// Start `slot`'s agent; a ticket that cannot start fails.
    fn launch(&mut self, slot: Slot) -> Result<()> {
        let started = start(
            self.ws,
            &self.store,
            self.settings,
            &slot.plan,
            self.report,
            self.interrupt,
            &self.tx,
        );
        match started {
            Ok(()) => {
                trace(|| format!("spawned {}", slot.plan.id));
                self.spawned.insert(slot.plan.id.clone(), Instant::now());
                self.last_start = Some(Instant::now());
                self.running.insert(slot.plan.id.clone(), slot);
            }
            Err(e) => fail(
                &self.store,
                &mut self.summary,
                self.report,
                slot.plan.id,
                format!("{e:#}"),
            )?,
        }
        Ok(())
    }

    /// Nothing runs, waits or lands here. Through a remote, in flow mode, work another
    /// machine holds may land there (and make more ready here) or be given up (a claim run
    /// out: taken over here): look again until nothing can change. False when the run ends.
    fn idle(&mut self) -> Result<bool> {
        let stopping = self.stopping();
        let shared = self.shared;
        let Some(hook) = self.on_done.as_deref_mut().filter(|_| shared && !stopping) else {
            return Ok(false);
        };
        shared::exchange(self.ws, self.report);
        let (live, retake) = shared::held_elsewhere(&self.store, &mut self.summary)?;
        let mut planned = hook.ready(self.ws)?;
        for id in &retake {
            (self.report)(Event::TakenOver { id: id.clone() });
            planned.extend(hook.again(self.ws, id)?);
        }
        for id in hook.stranded(self.ws)? {
            match shared::take_landing(self.ws, self.settings, &self.store, &id, self.report)? {
                shared::Takeover::Land => {
                    hand_over(hook, self.ws, &id, &self.tx, &mut self.merging, 0)?
                }
                shared::Takeover::Rerun => planned.extend(hook.again(self.ws, &id)?),
                shared::Takeover::No => {}
            }
        }
        let admitted = self.admit(planned)?;
        if admitted == 0 && self.merging.is_empty() {
            let hook = self.on_done.as_deref_mut().expect("flow mode");
            if !live && !hook.waits_on_others(self.ws)? {
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(true)
    }

    /// How long to wait for news: until an agent ends or the next start may be due.
    fn next_wait(&self) -> Duration {
        let next_due = self
            .queue
            .iter()
            .map(|s| {
                let c = self
                    .cooldown
                    .get(&s.plan.agent.profile)
                    .copied()
                    .unwrap_or(s.not_before);
                s.not_before.max(c)
            })
            .chain(self.last_start.map(|t| t + self.settings.stagger))
            .min();
        let wait = next_due.map_or(Duration::from_millis(200), |d| {
            d.saturating_duration_since(Instant::now())
        });
        wait.clamp(Duration::from_millis(5), Duration::from_millis(200))
    }

    /// Through a remote, when a slot is about to free up, claim the ticket this machine
    /// would start next, in the background: the loop goes on watching its agents meanwhile
    /// (one claim ahead at a time). False when the queue changed: look again at once.
    fn claim_ahead(&mut self) -> bool {
        if !self.shared || self.stopping() {
            return true;
        }
        let free = self.jobs.saturating_sub(self.running.len());
        // Asked only until this run's first ticket ends (see `Durations::soon_free`).
        let left = self.queue.len().saturating_sub(self.reserved.len());
        let plenty = self.took.mean().is_none() && self.machines.plenty(self.ws, left);
        let ahead = self.reserved.len() + self.reserving.len()
            < self
                .took
                .soon_free(self.spawned.values(), free, &self.claims, plenty);
        if !ahead {
            return true;
        }
        let next = shared::next_to_claim(
            &self.queue,
            &self.reserved,
            &self.reserving,
            &self.cooldown,
            Instant::now(),
        );
        let Some(i) = next else {
            return true;
        };
        self.claim_next(i)
    }

    /// Claim `planned` and queue what this process got; their worktrees are made in the
    /// background (through a remote, once each is claimed there). How many were queued.
    fn admit(&mut self, planned: Vec<Planned>) -> Result<usize> {
        let fresh = claim(
            self.ws,
            planned,
            self.rerun_failed,
            &mut self.summary,
            self.report,
        )?;
        if !self.shared {
            prepare_worktrees(
                self.ws,
                fresh.iter().map(|s| &s.plan),
                &self.tx,
                self.interrupt,
            );
        }
        let n = fresh.len();
        self.queue.extend(fresh);
        Ok(n)
    }

    /// The end: done tickets still being shared are waited for, and the notes exchanged a
    /// last time.
    fn wind_down(self) -> Result<Summary> {
        trace(|| "end".into());
        for thread in self.publishing {
            let _ = thread.join();
        }
        if self.shared {
            shared::exchange(self.ws, self.report);
        }
        Ok(self.summary)
    }
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

impl Scheduler<'_, '_> {
    /// Claim queued ticket `i` through the remote in the background (see
    /// [`shared::claim_next`]); false when the loop should look again at once.
    fn claim_next(&mut self, i: usize) -> bool {
        self.claiming_since
            .insert(self.queue[i].plan.id.clone(), Instant::now());
        shared::claim_next(
            self.ws,
            self.settings,
            i,
            &mut self.queue,
            &mut self.reserving,
            &mut self.summary,
            self.report,
            &self.tx,
        )
    }
}
