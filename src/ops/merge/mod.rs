//! `git epic merge`: done tickets into the epic branch, behind a scope gate and a test gate.
//!
//! The merge never touches a working tree: `git merge-tree --write-tree` computes it, the
//! commit is written in process, and the epic ref moves by compare-and-swap on the value it
//! was merged against. A conflict or a failed gate leaves the epic exactly as it was.

use anyhow::anyhow;
use gix::ObjectId;

use crate::infra::config::Settings;
use crate::infra::error::{usage, Result};
use crate::infra::gitx;
use crate::model::epic::Workspace;
use crate::model::graph::Graph;
use crate::model::state::{self, State, Store};
use crate::ops::worktree::hold;

pub use crate::infra::scope::scope_violations;

mod gates;
pub mod queue;
mod record;

pub use gates::{gate, Gate, Gated};

use queue::{Candidate, Msg, Queue, Step};

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub test: bool,
    pub scope_check: bool,
    pub cleanup: bool,
}

/// How one ticket's merge ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    Merged {
        commit: ObjectId,
        cleaned: Option<std::result::Result<(), String>>,
    },
    /// A gate refused it: recorded as a rejected merge, the ticket is `failed`.
    Rejected {
        gate: &'static str,
        reason: String,
        detail: Vec<String>,
    },
    /// The merge conflicts with the epic: the ticket is `conflict`.
    Conflict { files: Vec<String> },
    /// Not merged and nothing recorded (already merged, waits for a dependency, ...).
    Skipped { reason: String },
    /// Not merged: it waits for a reviewer (`epic.requireReview`), which is not a failure.
    AwaitsReview { reason: String },
    /// Not merged: git or the disk failed on the way.
    Error { reason: String },
}

impl Outcome {
    /// Why the ticket goes back to an agent for a fix round, if this outcome calls for one.
    pub fn refusal(&self) -> Option<crate::ops::review::fix::Refusal<'_>> {
        use crate::ops::review::fix::Refusal;
        match self {
            Outcome::Rejected { gate, reason, .. } => Some(Refusal::Gate { gate, reason }),
            Outcome::Conflict { files } => Some(Refusal::Conflict { files }),
            _ => None,
        }
    }

    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Outcome::Rejected { .. } | Outcome::Conflict { .. } | Outcome::Error { .. }
        )
    }
}

/// What the merge reports as it goes.
#[derive(Debug, Clone)]
pub enum MergeEvent {
    Gate {
        id: String,
        gate: &'static str,
    },
    /// `id` is tested merged on the epic after the tickets `after` (ahead of it in line).
    Testing {
        id: String,
        after: Vec<String>,
    },
    /// `id` was refused and is sent back to an agent for fix round `round` of `of` (the
    /// next run of the ticket does it).
    SentBack {
        id: String,
        round: u32,
        of: u32,
    },
    Finished {
        id: String,
        outcome: Outcome,
    },
}

/// The tickets of `--wave n`, or check the named ones. Named tickets must be `done`.
pub fn select(
    ws: &Workspace,
    graph: &Graph,
    ids: &[String],
    wave: Option<usize>,
) -> Result<Vec<String>> {
    let store = Store::new(&ws.repo, &ws.epic.name);
    let wanted: Vec<String> = match wave {
        Some(n) => {
            if n >= graph.wave_count() {
                return Err(usage(format!(
                    "There is no wave {n}: the epic has {} waves.",
                    graph.wave_count()
                )));
            }
            graph.by_wave()[n].iter().map(|t| t.id.clone()).collect()
        }
        None => ids.to_vec(),
    };
    let id_refs: Vec<&str> = wanted.iter().map(String::as_str).collect();
    let notes = store.get_many(&id_refs)?;
    for id in &wanted {
        ws.ticket(graph, id)?;
        if wave.is_none() {
            let state = match notes.get(id.as_str()) {
                Some(Ok(n)) => n.state,
                Some(Err(bad)) => return Err(anyhow!(bad.clone())),
                None => State::Pending,
            };
            let unwatched = match notes.get(id.as_str()) {
                Some(Ok(n)) => crate::ops::status::ended_unwatched(n, &ws.log_path(id)).is_some(),
                _ => false,
            };
            if unwatched {
                return Err(usage(format!(
                    "Ticket `{id}` is not concluded yet: its agent ended while no git epic watched. `git epic run {id}` concludes it (without running it again); then merge it."
                )));
            }
            if !mergeable(state) {
                return Err(usage(format!(
                    "Ticket `{id}` is {state}, not done: only done tickets are merged."
                )));
            }
        }
    }
    if let Some(at) = gitx::checked_out_at(&ws.repo, &ws.epic.branch)? {
        return Err(usage(format!(
            "The epic branch {} is checked out in {}; switch that worktree to another branch (e.g. `git switch --detach`) so merging does not leave its files behind.",
            ws.epic.branch,
            at.display()
        )));
    }
    let order: Vec<String> = graph
        .topo_order()
        .into_iter()
        .map(|t| t.id.clone())
        .filter(|id| wanted.contains(id))
        .collect();
    Ok(order)
}

/// Done, or refused by a gate earlier (the user may have fixed it), or merged already (skipped
/// later with a message). A ticket worked by hand has no recorded state: pending.
fn mergeable(s: State) -> bool {
    matches!(
        s,
        State::Done | State::Merged | State::Pending | State::Failed
    )
}

/// Merge `ids` (in dependency order) into the epic branch: each through its gates, then in
/// line through the merge queue. Outcomes come back in the order of `ids`.
pub fn merge(
    ws: &Workspace,
    settings: &Settings,
    graph: &Graph,
    ids: &[String],
    opts: Options,
    report: &dyn Fn(MergeEvent),
) -> Result<Vec<(String, Outcome)>> {
    let store = Store::new(&ws.repo, &ws.epic.name);
    let (tx, rx) = queue::channel();
    let line = Queue::new(ws, settings, graph, opts, (tx.clone(), rx), 1);
    let mut results: Vec<(String, Outcome)> = Vec::new();
    let mut ahead: Vec<String> = Vec::new();
    let mut finished = |id: &str, outcome: Outcome| {
        let sent = match outcome.refusal() {
            Some(why) => crate::ops::review::fix::send_back(ws, settings, id, why),
            None => Ok(None),
        };
        let (outcome, round) = match sent {
            Ok(round) => (outcome, round),
            Err(e) => {
                let reason = format!("not merged, and could not be sent back for a fix: {e:#}");
                (Outcome::Error { reason }, None)
            }
        };
        report(MergeEvent::Finished {
            id: id.to_owned(),
            outcome: outcome.clone(),
        });
        if let Some(round) = round {
            report(MergeEvent::SentBack {
                id: id.to_owned(),
                round,
                of: settings.max_fix_rounds,
            });
        }
        results.push((id.to_owned(), outcome));
    };
    for id in ids {
        let hold = hold::take(ws.repo.common_dir(), &ws.epic.name, id)?;
        match gate(ws, settings, graph, &store, id, opts, &ahead, report)? {
            Gate::Passed(gated) => {
                ahead.push(id.clone());
                let _ = tx.send(Msg::Add(Candidate {
                    gated,
                    hold,
                    payload: (),
                }));
            }
            Gate::Ended(outcome) => finished(id, outcome),
        }
    }
    let _ = tx.send(Msg::Closed);
    drop(tx);
    line.run(
        &|Step::Testing { id, after }| report(MergeEvent::Testing { id, after }),
        &mut |id, outcome, ()| {
            let outcome = outcome.unwrap_or_else(|e| Outcome::Error {
                reason: format!("{e:#}"),
            });
            finished(id, outcome);
        },
    )?;
    results.sort_by_key(|(id, _)| ids.iter().position(|i| i == id));
    Ok(results)
}

/// The message of a ticket's merge commit on the epic.
fn message(epic: &str, gated: &Gated) -> String {
    format!("epic({epic}): merge {} {}", gated.id, gated.title)
}

fn record_conflict(store: &Store<'_>, id: &str, files: Vec<String>) -> Result<Outcome> {
    store.update(id, |n| {
        n.state = State::Conflict;
        n.conflict_files = files.clone();
        n.merge_conflicts += 1;
        n.reason = Some(format!(
            "merge conflict with the epic in {}",
            files.join(", ")
        ));
        Ok(())
    })?;
    Ok(Outcome::Conflict { files })
}

/// A merged result the test found red: the ticket leaves the line, `failed`.
fn reject_merged_result(
    store: &Store<'_>,
    id: &str,
    reason: &str,
    lines: Vec<String>,
) -> Result<Outcome> {
    store.update(id, |n| {
        n.state = State::Failed;
        n.rejected_merges += 1;
        n.reason = Some(format!("merged result red: {reason}"));
        n.failed_lines = state::cap_lines(&lines);
        Ok(())
    })?;
    Ok(Outcome::Rejected {
        gate: "merged-result",
        reason: format!("merged result red: {reason}"),
        detail: lines,
    })
}

fn reject(
    store: &Store<'_>,
    id: &str,
    gate: &'static str,
    reason: String,
    detail: Vec<String>,
) -> Result<Outcome> {
    store.update(id, |n| {
        n.state = State::Failed;
        n.rejected_merges += 1;
        n.reason = Some(format!("merge rejected by the {gate} gate: {reason}"));
        n.failed_lines = state::cap_lines(&detail);
        Ok(())
    })?;
    Ok(Outcome::Rejected {
        gate,
        reason,
        detail,
    })
}

pub use crate::ops::finish::{finish, Finish};
