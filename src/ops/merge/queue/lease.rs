//! The queue and the landing lease (see [`crate::ops::remote::lander`]): taking, keeping and
//! giving it back; as the lander, taking in what other machines handed over; waiting on
//! another lander, handing this machine's tickets over and learning what landed.

use std::time::{Duration, Instant};

use gix::ObjectId;

use super::{Entry, Queue};
use crate::infra::error::Result;
use crate::model::state::Store;
use crate::ops::merge::record::{landed, record_merged};
use crate::ops::merge::{Gated, Outcome};
use crate::ops::remote::lander::{self, Lander};

/// This queue's hold on the landing lease.
#[derive(Default)]
pub(super) struct Lease {
    /// The remote's lease value while held here (`Some(None)`: held without a remote).
    held: Option<Option<ObjectId>>,
    /// When to renew it, or (not held) to ask for it again.
    next: Option<Instant>,
    /// Tries in a row that found another machine landing.
    busy: u32,
    /// As the lander, when to look again for tickets handed over.
    look: Option<Instant>,
    /// Looks in a row that found nothing new.
    quiet: u32,
}

impl<N: Send + 'static> Queue<'_, N> {
    /// Whether the lander lands what other machines hand over: without a merged-result test.
    /// With one, each machine tests and lands its own line under the lease, so that a red
    /// result is judged by the machine whose ticket it is.
    fn adopts(&self) -> bool {
        self.test.is_none()
    }

    fn held_through_remote(&self) -> bool {
        matches!(self.lander.held, Some(Some(_)))
    }

    /// When the queue wakes without news: to renew or ask for the lease, or to look for
    /// tickets handed over.
    pub(super) fn wake(&self) -> Option<Instant> {
        match (self.lander.next, self.lander.look) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Hold the landing lease while the line has tickets (and, as the lander without a
    /// merged-result test, while the run goes on and others hand tickets over), and give it
    /// back once it need not be held: true when this queue may merge and land now.
    pub(super) fn lease(&mut self) -> bool {
        let now = Instant::now();
        // Kept through a few quiet looks (3 s): between one's own tickets, so that a run
        // does not take it again for each; not longer, so that a machine that cannot hand
        // over (with `epic.test` set there, or an older git-epic) is not kept waiting for
        // the whole of this run.
        let keep = self.adopts()
            && self.producers > 0
            && self.held_through_remote()
            && self.lander.quiet < 4;
        if self.line.is_empty() && !keep {
            self.give_back();
            return true;
        }
        if self.lander.held.is_some() && self.lander.next.is_some_and(|t| t > now) {
            return true;
        }
        if self.lander.held.is_none() && self.lander.next.is_some_and(|t| t > now) {
            return false;
        }
        let lease = self.settings.claim_lease;
        let until = crate::model::state::now() + lease.as_secs_f64();
        // A remote that failed to answer the lease is asked again, as a busy one: the
        // queue never stops on it (its line would never hear back).
        let taken = lander::take(self.ws, until).unwrap_or_else(|e| {
            crate::infra::trace::trace(|| format!("lander: {e:#}"));
            Lander::Busy(format!("the remote ({e:#})"))
        });
        match taken {
            Lander::Held(value) => {
                self.lander.held = Some(value);
                self.lander.next = value.map(|_| now + lease / 3);
                self.lander.busy = 0;
                true
            }
            Lander::Busy(other) => {
                crate::infra::trace::trace(|| format!("lander busy: {other}"));
                self.lander.held = None;
                self.lander.look = None;
                self.lander.busy += 1;
                // With jitter: handed over, 200 ms doubling to 800 ms (the lander lands it
                // at its next look, and this machine learns it from the remote's epic);
                // else 100 ms doubling to 1.6 s (the lander gives the lease back as soon
                // as its line is empty).
                let ms = if self.adopts() {
                    200u64 << self.lander.busy.min(2)
                } else {
                    100u64 << self.lander.busy.min(4)
                };
                let jitter = crate::ops::remote::random_below(ms);
                self.lander.next = Some(now + Duration::from_millis(ms / 2 + jitter));
                false
            }
        }
    }

    /// A ticket of this run joined the line: a lander keeps the lease for it.
    pub(super) fn lander_busy_here(&mut self) {
        self.lander.quiet = 0;
    }

    fn give_back(&mut self) {
        if let Some(Some(held)) = self.lander.held.take() {
            if let Err(e) = lander::give_back(self.ws, held) {
                crate::infra::trace::trace(|| format!("lander give-back: {e:#}"));
            }
        }
        self.lander = Lease::default();
    }

    /// As the lander, take into the line what other machines handed over, when a look is
    /// due: every 200 ms while they hand over, less often (to 1.6 s) while none does.
    pub(super) fn adopt(&mut self) -> Result<()> {
        let now = Instant::now();
        // Not once the run is over: what it took in now might keep it from ending (and
        // its lease from being given back).
        if !self.adopts()
            || !self.held_through_remote()
            || self.producers == 0
            || self.lander.look.is_some_and(|t| t > now)
        {
            return Ok(());
        }
        let ids: Vec<&str> = self.graph.tickets.iter().map(|t| t.id.as_str()).collect();
        let found = lander::handed_over(self.ws, &ids)?;
        // Taken back since (a commit after its gates, a new attempt): no longer landed here.
        self.line.retain(|e| {
            e.own.is_some()
                || found
                    .iter()
                    .any(|h| h.id == e.gated.id && h.tip == e.gated.tip)
        });
        let mut new = 0;
        for h in found {
            let known = self.line.iter().any(|e| e.gated.id == h.id)
                || self.declined.contains(&(h.id.clone(), h.tip));
            if known {
                continue;
            }
            let title = self
                .graph
                .get(&h.id)
                .map(|t| t.title.clone())
                .unwrap_or_default();
            self.line.push(Entry {
                gated: Gated {
                    id: h.id,
                    title,
                    branch: h.branch,
                    tip: h.tip,
                    worktree: None,
                },
                own: None,
                handed: None,
                spec: None,
            });
            new += 1;
        }
        crate::infra::trace::trace(|| {
            format!("handed over: {new} new, {} in line", self.line.len())
        });
        self.lander.quiet = if new > 0 { 0 } else { self.lander.quiet + 1 };
        let ms = 200u64 << self.lander.quiet.min(3);
        self.lander.look = Some(now + Duration::from_millis(ms));
        Ok(())
    }

    /// Another machine holds the lease. Without a merged-result test, this machine's
    /// tickets in line are handed over to it, those it landed leave the line as merged (the
    /// lease's fetch brought the remote's epic), and a conflict with the epic as it is now
    /// is judged here, as it would be at the head of the line.
    pub(super) fn follow_lander(
        &mut self,
        done: &mut dyn FnMut(&str, Result<Outcome>, N),
    ) -> Result<()> {
        if !self.adopts() {
            return Ok(());
        }
        // Tickets handed over here while this machine held the lease: the new lander
        // takes them in from the remote.
        self.line.retain(|e| e.own.is_some());
        let store = Store::new(&self.ws.repo, &self.ws.epic.name);
        let tip = self.epic_tip()?;
        let mut news = false;
        let mut i = 0;
        while i < self.line.len() {
            let e = &self.line[i];
            if let Some(merged) = landed(self.ws, &e.gated.id, tip)? {
                record_merged(&store, &e.gated.id, merged, &e.gated.branch)?;
                let e = self.line.remove(i);
                self.merged(e, merged, done);
                news = true;
                continue;
            }
            let id = e.gated.id.clone();
            if !self.still_at_tip(e)? {
                // A commit since its gates: what was handed over is taken back, and the
                // ticket goes through its gates again, as at the head of the line.
                if e.handed.is_some() {
                    lander::take_back(self.ws, &id)?;
                }
                let e = self.line.remove(i);
                self.line.insert(0, e);
                self.regate(done)?;
                return Ok(());
            }
            // Only a done ticket of this machine's is landed elsewhere (one merged by hand
            // from another state, or worked without a run, waits for the lease).
            let ours = store.get(&id)?.is_some_and(|n| {
                n.state == crate::model::state::State::Done && n.machine.is_some() && n.is_mine()
            });
            if ours && e.handed != Some(e.gated.tip) {
                let (branch, at) = (e.gated.branch.clone(), e.gated.tip);
                if lander::hand_over(self.ws, &id, &branch, at)? {
                    self.line[i].handed = Some(at);
                }
            }
            i += 1;
        }
        if news {
            let _ = crate::ops::remote::share_own_notes(self.ws);
        }
        self.plan(done)
    }
}
