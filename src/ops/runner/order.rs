//! Which queued ticket goes first.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;

use super::claim::Slot;
use super::shared;

/// The queued ticket to start next, if one may start now: the startable one on the longest
/// remaining chain (queue order breaks ties), unless a merge under way has dependents that
/// outrank it (they are about to become ready). Through a remote, a ticket claimed here
/// already goes first: it holds a claim the other machines respect, and claims are made
/// one per slot.
pub(super) fn next_start(
    queue: &VecDeque<Slot>,
    reserved: &HashSet<String>,
    cooldown: &HashMap<String, Instant>,
    merging: &HashMap<String, usize>,
    now: Instant,
    shared: bool,
) -> Option<usize> {
    let held_for = merging.values().max().map_or(0, |p| p.saturating_sub(1));
    let best = |claimed_only: bool| {
        queue
            .iter()
            .enumerate()
            .filter(|(_, s)| !claimed_only || reserved.contains(&s.plan.id))
            .filter(|(_, s)| shared::startable(s, cooldown, now))
            .max_by(|a, b| precedence(*a, *b, shared))
            .map(|(i, _)| i)
    };
    let pos = best(false).filter(|&i| queue[i].plan.priority >= held_for)?;
    if shared && !reserved.contains(&queue[pos].plan.id) {
        return Some(best(true).unwrap_or(pos));
    }
    Some(pos)
}

/// Which of two queued tickets (with their queue positions) starts first: the one on the
/// longer remaining chain; on a tie the earlier in the queue, or through a remote an order
/// of this machine's own, so that machines do not all claim the same ticket first.
pub(super) fn precedence(a: (usize, &Slot), b: (usize, &Slot), shared: bool) -> std::cmp::Ordering {
    let ((i, a), (j, b)) = (a, b);
    let tie = if shared {
        shared::spread(&a.plan.id).cmp(&shared::spread(&b.plan.id))
    } else {
        j.cmp(&i)
    };
    a.plan.priority.cmp(&b.plan.priority).then(tie)
}
