//! Claims without a hot ref: a ticket is claimed by creating its own ref on the remote
//! (`refs/epic/<epic>/claims/<id>`, pushed with a lease that expects no such ref: of two
//! machines, one creates it, the other's push is refused). The ref holds a commit whose
//! message names the machine, its label and when the claim runs out; renewing, giving back
//! or taking over a claim that ran out is an update of that one ref with a lease on the
//! value read. See docs/remote.md, "No hot ref".

use gix::ObjectId;

use super::track;
use super::view::claim_ref;
use super::wire::Update;
use crate::infra::error::Result;
use crate::infra::gitx;
use crate::model::state::Store;

/// A claim as its ref on the remote says.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Held {
    pub machine: String,
    pub host: String,
    /// Unix time the claim runs out; 0 once given back.
    pub until: f64,
}

impl Held {
    /// Whether another machine than this one holds it now.
    pub(super) fn elsewhere(&self) -> bool {
        Some(self.machine.as_str()) != crate::infra::host::this_machine()
            && self.until > crate::model::state::now()
    }

    /// The machine as people read it (`host#abcd`), as notes name it.
    pub(super) fn label(&self) -> String {
        format!(
            "{}#{}",
            self.host,
            self.machine.chars().take(4).collect::<String>()
        )
    }
}

/// The claim in commit `commit` (fetched from the remote, so untrusted): `None` when it is
/// not one, which counts as no claim (any machine may take it over, with a lease).
pub(super) fn read(repo: &gix::Repository, commit: ObjectId) -> Option<Held> {
    let commit = repo.find_commit(commit).ok()?;
    let message = commit.message_raw_sloppy().to_string();
    let field = |name: &str| {
        message
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .map(str::trim)
    };
    let machine = field("machine")?;
    let host = field("host")?;
    let until: f64 = field("until")?.parse().ok()?;
    let token = |s: &str| {
        !s.is_empty()
            && s.len() <= 200
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
    };
    let horizon = crate::model::state::now() + 400.0 * 86_400.0;
    (crate::infra::host::is_valid_machine_id(machine)
        && token(host)
        && until.is_finite()
        && (0.0..horizon).contains(&until))
    .then(|| Held {
        machine: machine.to_owned(),
        host: host.to_owned(),
        until,
    })
}

/// A claim commit: this machine (`host`) holds ticket `id` until `until` (0: given back),
/// after `parent` (the claim it replaces, so the ref's history tells who held it when).
pub(super) fn write(
    repo: &gix::Repository,
    id: &str,
    parent: Option<ObjectId>,
    host: &str,
    until: f64,
) -> Result<ObjectId> {
    let machine = crate::infra::host::this_machine().unwrap_or("000000000000");
    let tree = repo.write_object(gix::objs::Tree::empty())?.detach();
    let what = if until > 0.0 { "claim" } else { "give back" };
    let message =
        format!("git-epic: {what} {id}\n\nmachine {machine}\nhost {host}\nuntil {until:.3}\n");
    crate::infra::gitx::bookkeeping_commit(repo, &message, tree, parent)
}

/// The claim of ticket `id` as last fetched: its commit, and what it says.
pub(super) fn fetched(
    repo: &gix::Repository,
    remote: &str,
    epic: &str,
    id: &str,
) -> (Option<ObjectId>, Option<Held>) {
    let at = gitx::resolve_commit(repo, &track(remote, epic, &format!("claims/{id}")));
    (at, at.and_then(|c| read(repo, c)))
}

/// The claim refs this machine holds (as last fetched) that its notes have moved past:
/// renewed (the note's claim runs out later) or given back (the note holds no claim, or is
/// another machine's now). They go out with the next exchange.
pub(super) fn follow_notes(
    repo: &gix::Repository,
    remote: &str,
    epic: &str,
) -> Result<Vec<Update>> {
    let Some(me) = crate::infra::host::this_machine() else {
        return Ok(Vec::new());
    };
    let store = Store::new(repo, epic);
    let host = store.host();
    let now = crate::model::state::now();
    let prefix = format!("{}/", track(remote, epic, "claims"));
    let mut updates = Vec::new();
    for (id, at) in super::view::tracked_under(repo, &prefix)? {
        let Some(held) = read(repo, at) else { continue };
        if held.machine != me || held.until <= now {
            continue;
        }
        let Ok(note) = store.get(&id) else { continue };
        let want = match note {
            Some(n) if n.is_mine() => n.claim_until.unwrap_or(0.0),
            _ => 0.0,
        };
        // Renewals come every third of a lease: a second's difference is no renewal.
        if want == 0.0 || want > held.until + 1.0 {
            let c = write(repo, &id, Some(at), &host, want)?;
            updates.push((c, claim_ref(epic, &id), Some(at)));
        }
    }
    Ok(updates)
}
