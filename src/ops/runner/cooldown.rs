//! Cooldowns lifted while the run waits on them (`git epic agent reset`, from another
//! process, or for a shared account from another machine through the notes): the waiting
//! tickets start at once, not at the reset first read.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::claim::Slot;
use crate::model::state::{self, account_note, State, Store};
use crate::ops::cooldown::{account_until, ticket_until};

/// How often the notes are read again while a ticket waits on a rate limit.
const EVERY: Duration = Duration::from_secs(1);

/// A wait is lifted when the notes end it this much earlier than the run thought (the
/// run's own clock and the note's differ by the moment each was taken).
const SLACK: Duration = Duration::from_secs(1);

/// Every [`EVERY`] while a queued ticket waits on a rate limit, read the waits again from the
/// notes (see [`crate::ops::cooldown`]) and shorten those that were lifted: each rate-limited
/// ticket's own wait, and its profile's cooldown. Waits are never made longer here; a note
/// that cannot be read changes nothing.
pub(super) fn follow_resets(
    store: &Store<'_>,
    queue: &mut VecDeque<Slot>,
    cooldown: &mut HashMap<String, Instant>,
    read_at: &mut Instant,
) {
    let now = Instant::now();
    if now < *read_at + EVERY {
        return;
    }
    let cooling = |p: &str| cooldown.get(p).is_some_and(|u| *u > now);
    let waiting: Vec<usize> = (0..queue.len())
        .filter(|&i| queue[i].not_before > now || cooling(&queue[i].plan.agent.profile))
        .collect();
    if waiting.is_empty() {
        return;
    }
    *read_at = now;
    let mut ids: Vec<String> = Vec::new();
    for &i in &waiting {
        let agent = &queue[i].plan.agent;
        ids.push(queue[i].plan.id.clone());
        if agent.shared_account {
            ids.push(account_note(&agent.profile));
        }
    }
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let Ok(notes) = store.get_many(&refs) else {
        return;
    };
    let note = |id: &str| notes.get(id).and_then(|n| n.as_ref().ok());
    let wall = state::now();
    let at =
        |until: Option<f64>| now + Duration::from_secs_f64((until.unwrap_or(wall) - wall).max(0.0));
    // Per profile, the latest wait the notes still hold.
    let mut held: HashMap<String, Instant> = HashMap::new();
    for &i in &waiting {
        let slot = &mut queue[i];
        let agent = &slot.plan.agent;
        let account = agent
            .shared_account
            .then(|| note(&account_note(&agent.profile)))
            .flatten();
        let mine = note(&slot.plan.id);
        let until = mine.and_then(|n| ticket_until(n, account));
        let latest = until
            .into_iter()
            .chain(account_until(account, wall))
            .reduce(f64::max);
        let entry = held.entry(agent.profile.clone()).or_insert(now);
        *entry = (*entry).max(at(latest));
        // Only a rate limit's wait: a retry's wait after a failure is no cooldown.
        if mine.is_some_and(|n| n.state == State::RateLimited)
            && at(until) + SLACK < slot.not_before
        {
            super::trace(|| format!("{}: its rate-limit wait was lifted", slot.plan.id));
            slot.not_before = at(until);
        }
    }
    for (profile, until) in cooldown.iter_mut() {
        let Some(h) = held.get(profile) else {
            continue;
        };
        if *until > now && *h + SLACK < *until {
            super::trace(|| format!("the cooldown of profile {profile} was lifted"));
            *until = *h;
        }
    }
}

/// What a wait said to the user is keyed by: its end, to the half minute (the notes and the
/// run's clock differ by moments).
pub(super) fn told_key(until: f64) -> u64 {
    (until / 30.0).round() as u64
}

/// Say, once per wait, what each queued ticket waits for and until when: its own rate limit
/// (a run started again after one) or its profile's cooldown (another ticket of the profile
/// hit the limit). A wait that changes (lifted, or longer) is said again.
pub(super) fn tell_waits(
    queue: &VecDeque<Slot>,
    cooldown: &HashMap<String, Instant>,
    told: &mut HashMap<String, u64>,
    report: &dyn Fn(super::Event),
) {
    let now = Instant::now();
    let wall = state::now();
    let ahead = |at: Instant| (at > now + SLACK).then(|| wall + (at - now).as_secs_f64());
    for slot in queue.iter().filter(|s| s.adopt.is_none()) {
        let profile = &slot.plan.agent.profile;
        let own = slot.limited.then(|| ahead(slot.not_before)).flatten();
        let cooling = cooldown.get(profile).and_then(|c| ahead(*c));
        let (own, until) = match (own, cooling) {
            (Some(o), Some(c)) if c > o => (false, c),
            (Some(o), _) => (true, o),
            (None, Some(c)) => (false, c),
            (None, None) => {
                told.remove(&slot.plan.id);
                continue;
            }
        };
        let key = told_key(until);
        if told.insert(slot.plan.id.clone(), key) != Some(key) {
            report(super::Event::Waiting {
                id: slot.plan.id.clone(),
                profile: profile.clone(),
                own,
                until,
            });
        }
    }
}
