//! Rate-limit cooldowns of agent profiles (`git epic agent list`, `status`), and lifting one
//! (`git epic agent reset <profile>`).
//!
//! A cooldown is kept nowhere of its own: it is read from the notes. A profile cools down
//! until the latest `rate_limited_until` of this machine's rate-limited tickets that ran on
//! it and, when every machine shares its account (`epicAgent.<p>.sharedAccount`), until the
//! account's note (`@account/<p>`) says. So any process sees the same, while a run waits on
//! it or not, and a run reads it again while it waits (see `runner::cooldown`): a reset
//! starts the waiting tickets at once.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::infra::error::{usage, Result};
use crate::model::agent::DEFAULT_PROFILE;
use crate::model::epic::Workspace;
use crate::model::state::{self, account_note, State, Store, TicketNote};

/// Longest wait a shared account's note may impose: a note is another machine's data.
pub const MAX_ACCOUNT_WAIT: f64 = 7.0 * 24.0 * 3600.0;

/// One profile's cooldown. Field names are the stable JSON contract (docs/status.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cooldown {
    pub profile: String,
    /// Unix time from which the profile's tickets may start again.
    pub until: f64,
    /// Seconds left until then.
    pub left_s: f64,
    /// Where it comes from, for people: `rate limit of ticket A`, or `limit of the shared
    /// account (hit on beta)`.
    pub source: String,
    /// The ticket of this machine whose limit it is; null when it is the shared account's.
    pub ticket: Option<String>,
    /// The label of the machine that hit the limit.
    pub host: Option<String>,
    /// The agent's line that told the limit, when one did.
    pub said: Option<String>,
    /// The agent named the reset time; false: the wait is `epic.rateLimitWait`, backed off.
    pub reset_named: bool,
    /// The profile's account is shared by every machine of the epic.
    pub shared_account: bool,
    /// This machine's tickets that wait on it.
    pub tickets: Vec<String>,
}

/// The profiles a cooldown may belong to: the configured ones and `default` (`epic.agent`).
pub fn known_profiles(config: &gix::config::Snapshot<'_>) -> Vec<String> {
    let mut names: BTreeSet<String> = crate::infra::config::agent_profiles(config)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    names.insert(DEFAULT_PROFILE.to_owned());
    names.into_iter().collect()
}

/// Until when a ticket's note holds it back after a rate limit (Unix time), if it does: its
/// `rate_limited_until` while it is `rate_limited`, unless `account` (the note of its
/// profile's shared account) was reset after the limit was hit.
pub fn ticket_until(note: &TicketNote, account: Option<&TicketNote>) -> Option<f64> {
    if note.state != State::RateLimited {
        return None;
    }
    let until = note.rate_limited_until?;
    let reset = account.and_then(|a| a.cooldown_reset_at);
    let lifted = reset.is_some_and(|r| note.finished_at.is_none_or(|hit| hit <= r));
    (!lifted).then_some(until)
}

/// Until when a shared account's note holds every machine back (Unix time), if it does; at
/// most [`MAX_ACCOUNT_WAIT`] from now.
pub fn account_until(account: Option<&TicketNote>, now: f64) -> Option<f64> {
    let until = account?.rate_limited_until?;
    (until > now).then(|| until.min(now + MAX_ACCOUNT_WAIT))
}

/// The profile a rate-limited ticket's note waits for: the one recorded with the limit, else
/// the ticket's `agent` (else `default`).
fn profile_of<'a>(note: &'a TicketNote, agent: Option<&'a str>) -> &'a str {
    note.rate_limit_profile
        .as_deref()
        .or(agent)
        .unwrap_or(DEFAULT_PROFILE)
}

/// Every profile's cooldown on this machine, by profile name.
pub fn list(ws: &Workspace) -> Result<Vec<Cooldown>> {
    let graph = ws.graph()?;
    let tickets: Vec<(&str, Option<&str>)> = graph
        .tickets
        .iter()
        .map(|t| (t.id.as_str(), t.agent.as_deref()))
        .collect();
    list_of(ws, &tickets)
}

/// [`list`] for the tickets `(id, agent)` already read.
pub fn list_of(ws: &Workspace, tickets: &[(&str, Option<&str>)]) -> Result<Vec<Cooldown>> {
    Ok(read(ws, tickets)?.cooldowns)
}

/// What the notes say of the cooldowns.
struct Read {
    cooldowns: Vec<Cooldown>,
    /// Profiles whose account every machine shares.
    shared: BTreeSet<String>,
}

fn read(ws: &Workspace, tickets: &[(&str, Option<&str>)]) -> Result<Read> {
    let config = ws.repo.config_snapshot();
    let mut profiles: BTreeSet<String> = known_profiles(&config).into_iter().collect();
    profiles.extend(tickets.iter().filter_map(|(_, a)| a.map(str::to_owned)));
    let shared: BTreeSet<String> = profiles
        .into_iter()
        .filter(|p| crate::model::agent::shared_account(&config, p).unwrap_or(false))
        .collect();
    let accounts: Vec<String> = shared.iter().map(|p| account_note(p)).collect();
    let ids: Vec<&str> = tickets
        .iter()
        .map(|(id, _)| *id)
        .chain(accounts.iter().map(String::as_str))
        .collect();
    let notes = Store::new(&ws.repo, &ws.epic.name).get_many(&ids)?;
    let note = |id: &str| notes.get(id).and_then(|n| n.as_ref().ok());
    let account = |p: &str| shared.contains(p).then(|| note(&account_note(p))).flatten();
    let now = state::now();
    let mut by_profile: BTreeMap<String, Cooldown> = BTreeMap::new();
    let mut waiting: HashMap<String, Vec<String>> = HashMap::new();
    for (id, agent) in tickets {
        let Some(n) = note(id).filter(|n| n.is_local()) else {
            continue;
        };
        let profile = profile_of(n, *agent);
        let Some(until) = ticket_until(n, account(profile)).filter(|u| *u > now) else {
            continue;
        };
        waiting
            .entry(profile.to_owned())
            .or_default()
            .push((*id).to_owned());
        let c = Cooldown {
            profile: profile.to_owned(),
            until,
            left_s: until - now,
            source: format!("rate limit of ticket {id}"),
            ticket: Some((*id).to_owned()),
            host: n.host.clone(),
            said: n.rate_limit_said.clone(),
            reset_named: !n.rate_limit_no_reset,
            shared_account: shared.contains(profile),
            tickets: Vec::new(),
        };
        keep_latest(&mut by_profile, c);
    }
    for p in &shared {
        let a = account(p);
        let Some(until) = account_until(a, now) else {
            continue;
        };
        let a = a.expect("a limit comes from a note");
        let host = a.host.clone();
        let c = Cooldown {
            profile: p.clone(),
            until,
            left_s: until - now,
            source: match &host {
                Some(h) => format!("limit of the shared account (hit on {h})"),
                None => "limit of the shared account".to_owned(),
            },
            ticket: None,
            host,
            said: a.rate_limit_said.clone(),
            reset_named: !a.rate_limit_no_reset,
            shared_account: true,
            tickets: Vec::new(),
        };
        // The limit hit here and told to the other machines is this ticket's: say so.
        match by_profile.get(p) {
            Some(mine) if mine.until >= until - 1.0 => {}
            _ => {
                by_profile.insert(p.clone(), c);
            }
        }
    }
    let cooldowns = by_profile
        .into_values()
        .map(|mut c| {
            c.tickets = waiting.remove(&c.profile).unwrap_or_default();
            c.tickets
                .sort_by(|a, b| crate::model::ticket::natural_cmp(a, b));
            c
        })
        .collect();
    Ok(Read { cooldowns, shared })
}

fn keep_latest(by_profile: &mut BTreeMap<String, Cooldown>, c: Cooldown) {
    match by_profile.get(&c.profile) {
        Some(old) if old.until >= c.until => {}
        _ => {
            by_profile.insert(c.profile.clone(), c);
        }
    }
}

/// What `git epic agent reset` did.
#[derive(Debug, Clone, Serialize)]
pub struct Lifted {
    pub profile: String,
    /// The cooldown lifted; null when the profile had none (nothing was changed).
    pub was: Option<Cooldown>,
    /// This machine's tickets that waited on it: ready now.
    pub tickets: Vec<LiftedTicket>,
    /// The shared account's note was cleared (every machine's limits before now lifted).
    pub account: bool,
    /// The epic's remote, when the reset went to it (or should have).
    pub remote: Option<String>,
    /// Why the remote could not be reached: the other machines learn of the reset at the
    /// next `git epic sync`.
    pub offline: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LiftedTicket {
    pub id: String,
    /// A running `git epic` holds it: it starts within a second or so.
    pub held: bool,
}

/// Lift `profile`'s cooldown: this machine's tickets that wait on it are due now, and a
/// shared account's note is cleared and sent through the epic's remote. An unknown profile
/// is a usage error, before anything is changed.
pub fn reset(ws: &Workspace, profile: &str) -> Result<Lifted> {
    let config = ws.repo.config_snapshot();
    let known = known_profiles(&config);
    if !known.iter().any(|k| k == profile) {
        let hint = crate::infra::suggest::did_you_mean(profile, &known);
        return Err(usage(format!(
            "There is no agent profile `{profile}` (profiles: {}).{hint}",
            known.join(", ")
        )));
    }
    let graph = ws.graph()?;
    let tickets: Vec<(&str, Option<&str>)> = graph
        .tickets
        .iter()
        .map(|t| (t.id.as_str(), t.agent.as_deref()))
        .collect();
    let before = read(ws, &tickets)?;
    let was = before.cooldowns.into_iter().find(|c| c.profile == profile);
    let shared = before.shared.contains(profile);
    let mut lifted = Lifted {
        profile: profile.to_owned(),
        was: None,
        tickets: Vec::new(),
        account: false,
        remote: None,
        offline: None,
    };
    let Some(was) = was else {
        return Ok(lifted);
    };
    let agents: HashMap<&str, Option<&str>> = tickets.iter().copied().collect();
    let store = Store::new(&ws.repo, &ws.epic.name);
    let host = store.host();
    let account_id = account_note(profile);
    let mut ids: Vec<&str> = was.tickets.iter().map(String::as_str).collect();
    if shared {
        ids.push(&account_id);
    }
    let now = state::now();
    let notes = store.update_many(&ids, |id, n| {
        if id == account_id {
            n.rate_limited_until = None;
            n.cooldown_reset_at = Some(now);
            n.mark_mine(&host);
        } else if n.is_local()
            && n.state == State::RateLimited
            && profile_of(n, agents.get(id).copied().flatten()) == profile
        {
            // Due now; the state stays `rate_limited` (a run that picks it up continues
            // the agent's session as after any limit).
            n.rate_limited_until = None;
            n.rate_limit_streak = 0;
        }
        Ok(())
    })?;
    for (id, n) in ids.iter().zip(&notes) {
        if *id != account_id {
            lifted.tickets.push(LiftedTicket {
                id: (*id).to_owned(),
                held: n.owner_alive(),
            });
        }
    }
    lifted.account = shared;
    lifted.was = Some(was);
    if shared {
        lifted.remote = crate::infra::config::remote_of(&ws.repo, &ws.epic.name);
        lifted.offline = match crate::ops::remote::exchange_notes(ws) {
            Ok(None) | Ok(Some(Ok(_))) => None,
            Ok(Some(Err(crate::ops::remote::Offline(why)))) => Some(why),
            Err(e) => Some(format!("{e:#}")),
        };
    }
    Ok(lifted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limited(until: f64, hit: f64) -> TicketNote {
        TicketNote {
            state: State::RateLimited,
            rate_limited_until: Some(until),
            finished_at: Some(hit),
            ..Default::default()
        }
    }

    #[test]
    fn a_ticket_waits_until_its_reset_unless_the_shared_account_was_reset_after_the_hit() {
        let n = limited(2000.0, 1000.0);
        assert_eq!(ticket_until(&n, None), Some(2000.0));
        let account = |reset: f64| TicketNote {
            cooldown_reset_at: Some(reset),
            ..Default::default()
        };
        assert_eq!(ticket_until(&n, Some(&account(1500.0))), None);
        assert_eq!(
            ticket_until(&n, Some(&account(900.0))),
            Some(2000.0),
            "a limit hit after the reset holds"
        );
        let pending = TicketNote {
            state: State::Pending,
            ..n.clone()
        };
        assert_eq!(ticket_until(&pending, None), None);
        let lifted = TicketNote {
            rate_limited_until: None,
            ..n
        };
        assert_eq!(ticket_until(&lifted, None), None);
    }

    #[test]
    fn an_account_note_holds_at_most_a_week() {
        let a = TicketNote {
            rate_limited_until: Some(1e12),
            ..Default::default()
        };
        assert_eq!(
            account_until(Some(&a), 100.0),
            Some(100.0 + MAX_ACCOUNT_WAIT)
        );
        assert_eq!(account_until(Some(&a), 2e12), None, "past");
        assert_eq!(account_until(None, 100.0), None);
    }
}
