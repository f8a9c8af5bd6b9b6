//! What changed in an epic between two looks at it, as events: a ticket starts needing a
//! human, a ticket ends its run, a limit stops a profile, the agents all stopped. `git epic
//! wait` and the notifications (`epic.notify`) read these; both poll
//! [`crate::ops::status`] (notes, logs, supervisors' records), so they see runs of any
//! process and any machine the notes come from.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::infra::error::Result;
use crate::model::epic::Workspace;
use crate::model::state::State;
use crate::ops::needs::{Need, NeedsYou};
use crate::ops::status::{self, Depth, StatusReport};

/// One event. Serialized with its kind in `event` (docs/notify.md lists the fields).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EpicEvent {
    /// A ticket started waiting on a human.
    NeedsYou {
        id: String,
        title: String,
        reason: Need,
        why: String,
        command: String,
    },
    /// A ticket's run ended, or it waits on a human: `state` is where it stands.
    Ticket {
        id: String,
        title: String,
        state: State,
        reason: Option<String>,
    },
    /// A rate limit stops an agent profile until `until` (Unix time).
    Limit {
        profile: String,
        until: f64,
        left_s: f64,
        source: String,
        said: Option<String>,
    },
    /// No agent runs or waits to run any more: every ticket is finished or waits on a
    /// human (`needs_you`: which).
    Done {
        states: BTreeMap<&'static str, usize>,
        needs_you: Vec<String>,
    },
    /// A `wave start` or `run` ended (sent by the process that ran it).
    RunEnded {
        done: Vec<String>,
        failed: Vec<String>,
        interrupted: Vec<String>,
        /// Why it stopped short (an agent error, the budget), if it did.
        stopped: Option<String>,
    },
}

impl EpicEvent {
    pub fn kind(&self) -> &'static str {
        match self {
            EpicEvent::NeedsYou { .. } => "needs_you",
            EpicEvent::Ticket { .. } => "ticket",
            EpicEvent::Limit { .. } => "limit",
            EpicEvent::Done { .. } => "done",
            EpicEvent::RunEnded { .. } => "run_ended",
        }
    }

    /// One line for people (a desktop notification's text, `wait`'s output).
    pub fn text(&self) -> String {
        match self {
            EpicEvent::NeedsYou {
                id, why, command, ..
            } => format!("{id} needs you: {why}; {command}"),
            EpicEvent::Ticket {
                id, state, reason, ..
            } => match reason {
                Some(r) => format!("{id} is {state}: {r}"),
                None => format!("{id} is {state}"),
            },
            EpicEvent::Limit {
                profile, left_s, ..
            } => format!(
                "agent profile `{profile}` is rate limited for {} min",
                (left_s / 60.0).ceil()
            ),
            EpicEvent::Done { states, needs_you } => {
                let counts: Vec<String> = states
                    .iter()
                    .filter(|(_, n)| **n > 0)
                    .map(|(s, n)| format!("{n} {s}"))
                    .collect();
                let mut t = format!("no agent runs any more: {}", counts.join(", "));
                if !needs_you.is_empty() {
                    t.push_str(&format!("; {} need you", needs_you.join(", ")));
                }
                t
            }
            EpicEvent::RunEnded {
                done,
                failed,
                interrupted,
                stopped,
            } => {
                let mut t = format!(
                    "run ended: {} done, {} failed, {} interrupted",
                    done.len(),
                    failed.len(),
                    interrupted.len()
                );
                if let Some(s) = stopped {
                    t.push_str(&format!(" (stopped: {s})"));
                }
                t
            }
        }
    }
}

/// An event with what every event carries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    pub epic: String,
    /// Unix time it was seen.
    pub at: f64,
    #[serde(flatten)]
    pub event: EpicEvent,
}

/// One look at the epic: what the events are computed from.
#[derive(Debug, Clone, Default)]
pub struct EpicLook {
    tickets: BTreeMap<String, Look>,
    cooldowns: BTreeMap<String, (f64, f64, String, Option<String>)>,
    /// Some agent runs, waits out a limit, or a git epic holds a ticket to run it.
    pub active: bool,
    states: BTreeMap<&'static str, usize>,
}

#[derive(Debug, Clone)]
struct Look {
    title: String,
    state: State,
    reason: Option<String>,
    needs_you: Option<NeedsYou>,
}

/// A ticket whose run is over, for now: what `wait <id>` waits for.
fn ended(state: State) -> bool {
    matches!(
        state,
        State::Done | State::Merged | State::Failed | State::Conflict | State::Interrupted
    )
}

impl EpicLook {
    pub fn of(report: &StatusReport) -> EpicLook {
        let tickets = report
            .tickets
            .iter()
            .map(|t| {
                let look = Look {
                    title: t.title.clone(),
                    state: t.state,
                    reason: t.reason.clone(),
                    needs_you: t.needs_you.clone(),
                };
                (t.id.clone(), look)
            })
            .collect();
        let active = report
            .tickets
            .iter()
            .any(|t| matches!(t.state, State::Running | State::RateLimited) || t.held);
        EpicLook {
            tickets,
            cooldowns: report
                .cooldowns
                .iter()
                .map(|c| {
                    let v = (c.until, c.left_s, c.source.clone(), c.said.clone());
                    (c.profile.clone(), v)
                })
                .collect(),
            active,
            states: report.totals.states.clone(),
        }
    }

    pub fn has(&self, id: &str) -> bool {
        self.tickets.contains_key(id)
    }

    fn needs_you_event(id: &str, l: &Look) -> Option<EpicEvent> {
        let n = l.needs_you.as_ref()?;
        Some(EpicEvent::NeedsYou {
            id: id.to_owned(),
            title: l.title.clone(),
            reason: n.reason,
            why: n.why.clone(),
            command: n.command.clone(),
        })
    }

    fn ticket_event(id: &str, l: &Look) -> EpicEvent {
        EpicEvent::Ticket {
            id: id.to_owned(),
            title: l.title.clone(),
            state: l.state,
            reason: l.reason.clone(),
        }
    }

    fn done_event(&self) -> EpicEvent {
        EpicEvent::Done {
            states: self.states.clone(),
            needs_you: self
                .tickets
                .iter()
                .filter(|(_, l)| l.needs_you.is_some())
                .map(|(id, _)| id.clone())
                .collect(),
        }
    }

    /// What holds already, as events: the tickets that need a human, those whose run is
    /// over, and `done` when every ticket is done or merged. What `wait` answers at once.
    pub fn standing(&self) -> Vec<EpicEvent> {
        let mut out: Vec<EpicEvent> = self
            .tickets
            .iter()
            .filter_map(|(id, l)| Self::needs_you_event(id, l))
            .collect();
        out.extend(
            self.tickets
                .iter()
                .filter(|(_, l)| ended(l.state) || l.needs_you.is_some())
                .map(|(id, l)| Self::ticket_event(id, l)),
        );
        let finished = !self.tickets.is_empty()
            && self
                .tickets
                .values()
                .all(|l| matches!(l.state, State::Done | State::Merged));
        if finished && !self.active {
            out.push(self.done_event());
        }
        out
    }

    /// The events between `self` (the earlier look) and `now`, one per change.
    pub fn changes(&self, now: &EpicLook) -> Vec<EpicEvent> {
        let mut out = Vec::new();
        for (id, l) in &now.tickets {
            let before = self.tickets.get(id);
            let need = |l: Option<&Look>| l.and_then(|l| l.needs_you.as_ref().map(|n| n.reason));
            if l.needs_you.is_some() && need(before) != need(Some(l)) {
                out.extend(Self::needs_you_event(id, l));
            }
            let was_ended = before.is_some_and(|b| ended(b.state) && b.state == l.state);
            if (ended(l.state) || l.needs_you.is_some())
                && !was_ended
                && before.is_none_or(|b| b.state != l.state || b.needs_you.is_none())
            {
                out.push(Self::ticket_event(id, l));
            }
        }
        for (profile, (until, left, source, said)) in &now.cooldowns {
            // A limit moved later by a new hit is a new stop; the same one seen again is not.
            let new = self
                .cooldowns
                .get(profile)
                .is_none_or(|(u, ..)| *until > u + 60.0);
            if new {
                out.push(EpicEvent::Limit {
                    profile: profile.clone(),
                    until: *until,
                    left_s: *left,
                    source: source.clone(),
                    said: said.clone(),
                });
            }
        }
        if self.active && !now.active {
            out.push(now.done_event());
        }
        out
    }
}

/// How often watchers look again.
pub const POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// Look at the epic now (its notes, logs and supervisors' records, not its worktrees).
pub fn look(ws: &Workspace) -> Result<EpicLook> {
    Ok(EpicLook::of(&status::collect_with(ws, Depth::Notes)?))
}

/// Wait for the first event `wanted` accepts, what holds already included: `None` when
/// `timeout` passes first.
pub fn wait(
    ws: &Workspace,
    wanted: &dyn Fn(&EpicEvent) -> bool,
    timeout: Option<std::time::Duration>,
) -> Result<Option<Notice>> {
    let start = std::time::Instant::now();
    let notice = |event| Notice {
        epic: ws.epic.name.clone(),
        at: crate::infra::clock::now(),
        event,
    };
    let mut before = look(ws)?;
    if let Some(e) = before.standing().into_iter().find(|e| wanted(e)) {
        return Ok(Some(notice(e)));
    }
    loop {
        let left = timeout.map(|t| t.saturating_sub(start.elapsed()));
        if left.is_some_and(|l| l.is_zero()) {
            return Ok(None);
        }
        std::thread::sleep(left.map_or(POLL, |l| l.min(POLL)));
        let now = look(ws)?;
        if let Some(e) = before.changes(&now).into_iter().find(|e| wanted(e)) {
            return Ok(Some(notice(e)));
        }
        before = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn look(state: State, need: Option<Need>) -> Look {
        Look {
            title: "t".into(),
            state,
            reason: None,
            needs_you: need.map(|reason| NeedsYou {
                reason,
                why: "why".into(),
                command: "git epic review a --approve".into(),
            }),
        }
    }

    fn snap(tickets: &[(&str, Look)], active: bool) -> EpicLook {
        EpicLook {
            tickets: tickets
                .iter()
                .map(|(id, l)| ((*id).to_owned(), l.clone()))
                .collect(),
            active,
            ..EpicLook::default()
        }
    }

    #[test]
    fn each_change_is_one_event_and_an_unchanged_look_none() {
        let a = snap(&[("a", look(State::Running, None))], true);
        let b = snap(&[("a", look(State::Done, Some(Need::Review)))], false);
        let kinds: Vec<&str> = a.changes(&b).iter().map(EpicEvent::kind).collect();
        assert_eq!(kinds, ["needs_you", "ticket", "done"]);
        assert!(b.changes(&b).is_empty());
        let approved = snap(&[("a", look(State::Done, None))], false);
        assert!(b.changes(&approved).is_empty());
    }

    #[test]
    fn what_holds_already_is_standing() {
        let s = snap(
            &[
                ("a", look(State::Merged, None)),
                ("b", look(State::Done, None)),
            ],
            false,
        );
        let kinds: Vec<&str> = s.standing().iter().map(EpicEvent::kind).collect();
        assert_eq!(kinds, ["ticket", "ticket", "done"]);
        let s = snap(&[("a", look(State::Pending, None))], false);
        assert!(s.standing().is_empty());
    }
}
