//! One epic, many machines, through a git remote (`epic.remote`): the epic branch, the
//! ticket branches, the notes and the epic's definition live there too. `sync` fetches,
//! merges what others did into the local state, and pushes what this machine did, every
//! ref with a lease (the value fetched) and in one atomic push: a rejected push means
//! someone else was first, and the whole round is done again on what they pushed.
//!
//! Without the remote (unreachable, or never set) everything works locally; `sync`
//! catches up later.
//!
//! `wire` talks to the remote (list, fetch, leased atomic push); `sync` is the whole
//! exchange; `share` the single steps a run takes (claims, landings, notes); `direct` the
//! steps that need no fetch first; `lander` the landing lease and the hand-over; `join`
//! adopts an epic published there; `reconcile` settles what was landed here while offline.

mod claims;
mod direct;
mod join;
pub mod lander;
pub mod meta;
pub mod notes;
pub mod reconcile;
mod share;
mod sync;
mod view;
mod wire;

pub use join::join;
pub use share::{
    claim, claim_landing, claim_many, exchange_notes, fetch_branch, publish_done, publish_landing,
    share_own_notes, Claim, Landing,
};
pub use sync::{sync, SyncReport};
pub use view::machines_seen;

pub(crate) use wire::random_below;
use wire::{fetch_tips, push, Pushed};

use crate::model::state::NOTES_REF;

pub use crate::infra::config::remote_of;

/// Where fetched refs of `epic` from `remote` are kept here.
pub(super) fn track(remote: &str, epic: &str, what: &str) -> String {
    format!("refs/epic-sync/{remote}/{epic}/{what}")
}

/// The remote could not be reached: the state is local-only for now.
#[derive(Debug)]
pub struct Offline(pub String);

/// Network steps on the epic's shared refs (notes, epic), one at a time in a process: the
/// threads of one run (claims ahead, landings, exchanges) would otherwise race each other
/// for the same remote ref and the same tracking refs, and lose to one another.
pub(super) fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}
