//! `git epic report`: the method's success metrics, from what the runner and merge recorded
//! in the notes, so it works after the fact and after a crash.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::infra::error::Result;
use crate::model::agents::Tokens;
use crate::model::epic::Workspace;
use crate::model::state::{State, Store, TicketNote};

#[derive(Debug, Serialize)]
pub struct Metrics {
    pub epic: String,
    /// From the first agent start to the last merge (or the last run's end), the time
    /// between commands included.
    pub wall_s: f64,
    /// The time at least one agent ran: what the epic took the agents, without the hours
    /// nothing ran (a human reviewing, away, or no command running).
    pub active_s: f64,
    /// The sum of every agent run: the time running the tickets one by one would take.
    pub sequential_s: f64,
    /// `sequential_s / active_s`.
    pub speedup: Option<f64>,
    pub waves: Vec<WaveReport>,
    pub totals: WaveReport,
    /// Tickets by final state; every state present.
    pub states: BTreeMap<&'static str, usize>,
}

#[derive(Debug, Default, Serialize)]
pub struct WaveReport {
    pub wave: Option<usize>,
    pub tickets: usize,
    /// Merges into the epic that conflicted, plus propagations that conflicted.
    pub merge_conflicts: u32,
    pub rate_limit_waits: u32,
    /// The waits the limits called for (a reset time, or `epic.rateLimitWait`).
    pub rate_limit_wait_s: f64,
    /// The waits as they happened: until the next run started, or now for a wait under
    /// way (never past a wait's end).
    pub rate_limit_waited_s: f64,
    /// Agent runs: every start (the first, retries, runs after a limit, fix and review
    /// rounds).
    pub runs: u32,
    /// Agent runs that used an attempt (rate-limited runs do not).
    pub attempts: u32,
    /// Attempts beyond the first of their round (the ticket's own, a fix or review round).
    pub retries: u32,
    /// Merges refused by a gate.
    pub rejected_merges: u32,
    /// Automatic fix rounds (red gates, conflicts sent back to an agent).
    pub fix_rounds: u32,
    /// Reviews that requested changes: the method's "PRs rejected".
    pub review_rounds: u32,
    pub run_s: f64,
    /// Tokens and cost the agents reported (cost in their currency: USD for claude).
    pub tokens: Tokens,
    pub cost_usd: f64,
    pub merged: usize,
    /// `cost_usd / merged`: what one landed ticket cost, failures included.
    pub cost_per_merged_usd: Option<f64>,
    /// What runs that failed (or hit an agent error) cost: paid for nothing.
    pub failed_runs_cost_usd: f64,
    /// What the tickets whose merge a gate refused cost.
    pub rejected_cost_usd: f64,
}

impl WaveReport {
    fn add(&mut self, n: &TicketNote, now: f64) {
        self.tickets += 1;
        self.merge_conflicts += n.merge_conflicts + n.propagate_conflicts;
        self.rate_limit_waits += n.rate_limit_waits;
        self.rate_limit_wait_s += n.rate_limit_wait_s;
        self.rate_limit_waited_s += n.rate_limit_waited_s + n.waiting_so_far(now);
        let counts = n.counts();
        self.runs += counts.runs;
        self.attempts += counts.attempts;
        self.retries += counts.retries;
        self.rejected_merges += n.rejected_merges;
        self.fix_rounds += n.fix_rounds;
        self.review_rounds += n.review_rounds;
        self.run_s += n.run_s;
        self.tokens.add(&n.tokens);
        self.cost_usd += n.cost_usd;
        self.merged += usize::from(n.state == State::Merged);
        self.cost_per_merged_usd = (self.merged > 0).then(|| self.cost_usd / self.merged as f64);
        self.failed_runs_cost_usd += n
            .runs
            .iter()
            .filter(|r| matches!(r.outcome.as_str(), "failed" | "stopped" | "resume_failed"))
            .filter_map(|r| r.cost_usd)
            .sum::<f64>();
        if n.rejected_merges > 0 {
            self.rejected_cost_usd += n.cost_usd;
        }
    }
}

pub fn build(ws: &Workspace) -> Result<Metrics> {
    let graph = ws.graph()?;
    let ids: Vec<&str> = graph.tickets.iter().map(|t| t.id.as_str()).collect();
    let notes = Store::new(&ws.repo, &ws.epic.name).get_many(&ids)?;
    let empty = TicketNote::default();
    let note = |id: &str| match notes.get(id) {
        Some(Ok(n)) => n,
        _ => &empty,
    };
    let mut waves: Vec<WaveReport> = (0..graph.wave_count())
        .map(|w| WaveReport {
            wave: Some(w),
            ..Default::default()
        })
        .collect();
    let mut totals = WaveReport::default();
    let mut states: BTreeMap<&'static str, usize> =
        State::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    let (mut first, mut last) = (f64::INFINITY, 0.0f64);
    let now = crate::model::state::now();
    let mut spans = Vec::new();
    for t in &graph.tickets {
        let n = note(&t.id);
        waves[graph.wave(&t.id)].add(n, now);
        totals.add(n, now);
        spans.extend(n.runs.iter().map(|r| (r.ended_at - r.run_s, r.ended_at)));
        if let (State::Running, Some(s)) = (n.state, n.run_started_at) {
            spans.push((s, now));
        }
        let deps_merged = t.deps.iter().all(|d| note(d).state == State::Merged);
        let (state, _) = crate::ops::status::shown_state(
            notes.get(t.id.as_str()).and_then(|n| n.as_ref().ok()),
            deps_merged,
            &ws.log_path(&t.id),
        );
        *states.entry(state.as_str()).or_default() += 1;
        if let Some(s) = n.started_at {
            first = first.min(s);
        }
        for end in [n.finished_at, n.merged_at].into_iter().flatten() {
            last = last.max(end);
        }
    }
    let wall_s = if first.is_finite() && last > first {
        last - first
    } else {
        0.0
    };
    let active_s = union_length(spans);
    Ok(Metrics {
        epic: ws.epic.name.clone(),
        wall_s,
        active_s,
        sequential_s: totals.run_s,
        speedup: (active_s > 0.0).then(|| totals.run_s / active_s),
        waves,
        totals,
        states,
    })
}

/// The time covered by at least one of `spans` (start, end).
fn union_length(mut spans: Vec<(f64, f64)>) -> f64 {
    spans.retain(|(a, b)| a.is_finite() && b.is_finite() && b > a);
    spans.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut total = 0.0;
    let mut current: Option<(f64, f64)> = None;
    for (a, b) in spans {
        current = match current {
            Some((s, e)) if a <= e => Some((s, e.max(b))),
            Some((s, e)) => {
                total += e - s;
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    total + current.map_or(0.0, |(s, e)| e - s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_active_time_counts_overlapping_runs_once_and_gaps_not_at_all() {
        let spans = vec![(0.0, 10.0), (5.0, 12.0), (100.0, 103.0), (101.0, 102.0)];
        assert_eq!(super::union_length(spans), 15.0);
        assert_eq!(super::union_length(vec![]), 0.0);
    }
}
