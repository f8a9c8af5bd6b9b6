//! What the scheduler hears back from the threads it started (agents, worktrees, claims,
//! merges, exchanges), and what it does on each.

use std::time::{Duration, Instant};

use super::{hand_over, Scheduler};
use crate::infra::error::Result;
use crate::model::agent::Exit;
use crate::model::agents::Observed;
use crate::model::state;
use crate::ops::remote::Claim;
use crate::ops::runner::budget::halt;
use crate::ops::runner::claim::{fail, prepare_worktrees, Slot, Unprepared};
use crate::ops::runner::conclude::{conclude, AfterExit, Finished, Next};
use crate::ops::runner::cooldown::told_key;
use crate::ops::runner::{shared, trace, Event, MergeNews};

/// What the scheduler thread hears about.
pub(in crate::ops::runner) enum Msg {
    /// A worktree was made (or found) ahead of its ticket's start.
    Prepared {
        id: String,
        result: std::result::Result<bool, Unprepared>,
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
        result: std::result::Result<crate::ops::remote::Claim, String>,
    },
    /// An exchange of notes made in the background ended; why the remote could not be
    /// reached, if it could not.
    Exchanged {
        offline: Option<String>,
    },
}

impl Scheduler<'_, '_> {
    pub(super) fn on_message(&mut self, msg: Msg) -> Result<()> {
        match msg {
            Msg::Finished {
                id,
                exit,
                started,
                after,
                observed,
                resumed,
            } => {
                trace(|| format!("finished {id}"));
                let fin = Finished {
                    exit,
                    after,
                    observed: *observed,
                    resumed,
                };
                self.on_finished(id, fin, started)
            }
            Msg::Prepared {
                id,
                result: Ok(created),
            } => {
                trace(|| format!("prepared {id}"));
                self.prepared.insert(id, created);
                Ok(())
            }
            Msg::Prepared {
                id,
                result: Err(why),
            } => {
                let Some(pos) = self.queue.iter().position(|s| s.plan.id == id) else {
                    return Ok(());
                };
                match why {
                    Unprepared::Worktree(reason) => {
                        self.queue.remove(pos);
                        fail(&self.store, &mut self.summary, self.report, id, reason)?;
                    }
                    Unprepared::NotReady(reason) => {
                        // No attempt was spent: the next run tries it again.
                        halt(
                            &self.store,
                            &mut self.queue,
                            &mut self.summary,
                            self.report,
                            |s| s.plan.id == id,
                            &reason,
                        )?;
                    }
                }
                Ok(())
            }
            Msg::Merged(news) => self.on_merged(news),
            Msg::Reserved { id, result } => self.on_reserved(id, result),
            Msg::Exchanged { offline } => {
                if let Some(why) = offline {
                    shared::local_only(self.ws, why, self.report);
                }
                Ok(())
            }
        }
    }

    /// An agent ended: conclude its attempt, and take the step that follows (done, failed,
    /// interrupted, cooling down, halted or tried again).
    fn on_finished(&mut self, id: String, fin: Finished, started: Instant) -> Result<()> {
        let slot = self.running.remove(&id).expect("a running ticket finished");
        let ran = started.elapsed().as_secs_f64();
        if let Some(t) = self.spawned.remove(&id) {
            self.took.add(t.elapsed());
        }
        let next = conclude(self.ws, &self.store, self.settings, &slot.plan, fin, ran)?;
        // The other machines learn how it ended (and may take what it unblocks) once what
        // can start here has started: an exchange can take a while when every machine ends
        // a ticket at once. A done ticket goes out at once with its branch, so that another
        // machine can land it should this one go away before it does.
        if self.shared && matches!(next, Next::Done { .. }) {
            let publishing =
                shared::publish_done_in_background(self.ws, &self.store, &id, &self.tx)?;
            self.publishing.extend(publishing);
        } else {
            self.unshared |= self.shared;
        }
        match next {
            Next::Done {
                commits,
                autocommitted,
            } => {
                (self.report)(Event::Done {
                    id: id.clone(),
                    commits,
                    autocommitted,
                });
                self.summary.done.push(id.clone());
                // After Ctrl-C a done ticket stays done: the next run merges it.
                let stopping = self.stopping();
                if let Some(hook) = self.on_done.as_deref_mut().filter(|_| !stopping) {
                    hand_over(
                        hook,
                        self.ws,
                        &id,
                        &self.tx,
                        &mut self.merging,
                        slot.plan.priority,
                    )?;
                }
            }
            Next::Failed(reason) => {
                (self.report)(Event::Failed {
                    id: id.clone(),
                    reason: reason.clone(),
                });
                self.summary.failed.push((id, reason));
            }
            Next::Interrupted => {
                (self.report)(Event::Interrupted { id: id.clone() });
                self.summary.interrupted.push(id);
            }
            Next::RateLimited(wait) => self.cool_down(id, slot, wait)?,
            Next::Fatal(message) => self.halt_profile(id, &slot, message),
            Next::Retry {
                attempt,
                wait,
                reason,
            } => {
                (self.report)(Event::Retrying {
                    id: id.clone(),
                    attempt,
                    wait,
                    reason,
                });
                self.queue.push_back(Slot {
                    not_before: Instant::now() + wait,
                    limited: false,
                    adopt: None,
                    ..slot
                });
            }
        }
        Ok(())
    }

    /// A rate limit: every ticket of the profile waits `wait` (through a remote, on every
    /// machine when the account is shared), this one first in the queue.
    fn cool_down(&mut self, id: String, slot: Slot, wait: Duration) -> Result<()> {
        if self.shared && slot.plan.agent.shared_account {
            shared::share_cooldown(
                self.ws,
                &self.store,
                &slot.plan.id,
                &slot.plan.agent.profile,
                wait,
                self.report,
            )?;
        }
        let until = Instant::now() + wait;
        // Every ticket of this profile shares the quota: none starts before `until`.
        let c = self
            .cooldown
            .entry(slot.plan.agent.profile.clone())
            .or_insert(until);
        *c = (*c).max(until);
        // Said here, with the time it ends: no second line for the same wait.
        self.told
            .insert(id.clone(), told_key(state::now() + wait.as_secs_f64()));
        (self.report)(Event::RateLimited {
            id,
            wait,
            until: state::now() + wait.as_secs_f64(),
        });
        self.queue.push_front(Slot {
            not_before: until,
            limited: true,
            adopt: None,
            ..slot
        });
        Ok(())
    }

    /// An agent error that retrying cannot fix: the run stops with it, and no ticket of its
    /// profile starts again.
    fn halt_profile(&mut self, id: String, slot: &Slot, message: String) {
        let profile = slot.plan.agent.profile.clone();
        let sentence = format!(
            "The agent of profile `{profile}` cannot work: {message}; {}.",
            slot.plan.agent.adapter.fatal_advice()
        );
        (self.report)(Event::Halted {
            id: id.clone(),
            reason: sentence.clone(),
        });
        self.summary.halted.push((id, message.clone()));
        self.summary.fatal.get_or_insert(sentence);
        // Queued, retried or newly ready: no ticket of this profile starts again.
        self.halted.insert(profile);
    }

    /// Flow mode: a merge ended. Merged, what it made ready joins the run; not merged, the
    /// ticket goes back for a fix round or fails.
    fn on_merged(&mut self, news: MergeNews) -> Result<()> {
        self.merging.remove(&news.id);
        let id = news.id;
        match news.result {
            Ok((commit, propagated)) => {
                (self.report)(Event::Merged {
                    id: id.clone(),
                    commit,
                });
                if let Some(summary) = propagated {
                    (self.report)(Event::Propagated { summary });
                }
                if let Some(hook) = self.on_done.as_deref_mut() {
                    if !self.interrupt.load(std::sync::atomic::Ordering::SeqCst) {
                        let ready = hook.ready(self.ws)?;
                        self.admit(ready)?;
                    }
                }
            }
            Err(_) if news.awaits_review => {
                self.summary.done.retain(|d| d != &id);
                (self.report)(Event::AwaitsReview { id: id.clone() });
                self.summary.awaiting_review.push(id);
            }
            Err(reason) => {
                self.summary.done.retain(|d| d != &id);
                let stopping = self.stopping();
                match (news.fix_round, self.on_done.as_deref_mut()) {
                    (Some(round), Some(hook)) if !stopping => {
                        (self.report)(Event::FixRound {
                            id: id.clone(),
                            round,
                            reason,
                        });
                        let again = hook.again(self.ws, &id)?;
                        self.admit(again)?;
                    }
                    (_, hook) => {
                        let dependents = hook.map(|h| h.dependents(&id)).unwrap_or_default();
                        (self.report)(Event::NotMerged {
                            id: id.clone(),
                            reason: reason.clone(),
                            dependents,
                        });
                        self.summary
                            .failed
                            .push((id, format!("not merged: {reason}")));
                    }
                }
            }
        }
        Ok(())
    }

    /// A claim made ahead came back: won, the ticket's worktree is made and it starts at
    /// the next free slot; lost, it is left to the machine that won it.
    fn on_reserved(
        &mut self,
        id: String,
        result: std::result::Result<Claim, String>,
    ) -> Result<()> {
        self.reserving.remove(&id);
        if let Some(since) = self.claiming_since.remove(&id) {
            self.claims.add(since.elapsed());
        }
        let Some(i) = self.queue.iter().position(|s| s.plan.id == id) else {
            // No longer to run here (the run is stopping): a claim won meanwhile
            // is given back, not left for the other machines to wait out.
            if let Ok(Claim::Won) = result {
                self.store.update(&id, |n| {
                    if n.is_local() && n.owner_pid == Some(std::process::id()) {
                        n.claim_until = None;
                        n.owner_pid = None;
                        n.owner_start = None;
                    }
                    Ok(())
                })?;
                self.unshared = true;
            }
            return Ok(());
        };
        match result {
            Ok(Claim::Won) => {}
            Ok(Claim::Offline(why)) => shared::local_only(self.ws, why, self.report),
            Ok(Claim::Lost(other)) => {
                self.queue.remove(i);
                shared::lost(&self.store, &mut self.summary, self.report, &id, &other);
                return Ok(());
            }
            // Not a verdict on the ticket (the remote kept changing, a fetch kept
            // failing): it is claimed again a little later.
            Err(why) => {
                trace(|| format!("claim of {id} failed: {why}"));
                self.queue[i].not_before = Instant::now() + Duration::from_secs(2);
                return Ok(());
            }
        }
        trace(|| format!("reserved {id}"));
        prepare_worktrees(self.ws, [&self.queue[i].plan], &self.tx, self.interrupt);
        self.reserved.insert(id);
        Ok(())
    }
}
