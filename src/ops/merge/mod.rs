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
use crate::infra::usercmd;
use crate::model::epic::{Epic, Workspace};
use crate::model::graph::Graph;
use crate::model::state::{self, State, Store, TicketNote};
use crate::ops::worktree::hold;

pub use crate::infra::scope::scope_violations;

pub mod queue;
mod record;

use record::landed_elsewhere;

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
pub enum Event {
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
    report: &dyn Fn(Event),
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
        report(Event::Finished {
            id: id.to_owned(),
            outcome: outcome.clone(),
        });
        if let Some(round) = round {
            report(Event::SentBack {
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
        &|Step::Testing { id, after }| report(Event::Testing { id, after }),
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

/// A ticket through its gates: what landing it in the epic needs.
#[derive(Debug, Clone)]
pub struct Gated {
    pub id: String,
    title: String,
    branch: String,
    /// The commit the gates passed: the one merged (the queue checks the branch is still
    /// there before it lands).
    tip: ObjectId,
    worktree: Option<std::path::PathBuf>,
}

/// Where the gates left a ticket.
pub enum Gate {
    Passed(Gated),
    Ended(Outcome),
}

/// Check that `id` can be merged and run its gates (scope, then, with `epic.queue=false`,
/// `epic.test` in its worktree). Gates of different tickets are independent of each other
/// and of the epic's moves, so flow mode runs them side by side. Dependencies in `ahead`
/// (in line before it) count as merged. Call it holding the ticket's [`hold`].
#[allow(clippy::too_many_arguments)]
pub fn gate(
    ws: &Workspace,
    settings: &Settings,
    graph: &Graph,
    store: &Store<'_>,
    id: &str,
    opts: Options,
    ahead: &[String],
    report: &dyn Fn(Event),
) -> Result<Gate> {
    let ticket = graph
        .get(id)
        .ok_or_else(|| anyhow!("unknown ticket {id}"))?;
    let note = store.get(id)?.unwrap_or_default();
    let skip = |reason: String| Ok(Gate::Ended(Outcome::Skipped { reason }));
    match note.state {
        State::Merged => return skip("already merged".into()),
        State::Running
            if crate::ops::status::ended_unwatched(&note, &ws.log_path(id)).is_some() =>
        {
            return skip(format!(
                "its agent ended while no git epic watched; `git epic run {id}` concludes it first"
            ))
        }
        State::Running | State::RateLimited => return skip(format!("it is {}", note.state)),
        State::Failed
            if !note
                .reason
                .as_deref()
                .unwrap_or_default()
                .starts_with("merge rejected")
                && !note
                    .reason
                    .as_deref()
                    .unwrap_or_default()
                    .starts_with("merged result red") =>
        {
            return skip(format!(
                "it failed ({}); run it again first",
                note.reason.unwrap_or_default()
            ))
        }
        State::Done
        | State::Pending
        | State::Failed
        | State::Conflict
        | State::Blocked
        | State::Interrupted => {}
    }
    if matches!(note.state, State::Interrupted | State::Blocked) {
        return skip(format!("it is {}, not done", note.state));
    }
    if let Some(why) = landed_elsewhere(ws, settings, &note, id)? {
        return skip(why);
    }
    let notes = store.get_many(&ticket.deps.iter().map(String::as_str).collect::<Vec<_>>())?;
    let waiting: Vec<&str> = ticket
        .deps
        .iter()
        .filter(|d| !ahead.contains(d))
        .filter(|d| {
            !matches!(
                notes.get(d.as_str()),
                Some(Ok(TicketNote {
                    state: State::Merged,
                    ..
                }))
            )
        })
        .map(String::as_str)
        .collect();
    if !waiting.is_empty() {
        return skip(format!("it waits for {} to be merged", waiting.join(", ")));
    }
    let worktree = ws.worktree_path(id);
    let has_worktree = worktree.join(".git").exists();
    // Never gate (nor land, then leave) a worktree a killed propagate left mid-rebase.
    if has_worktree {
        crate::ops::worktree::intent::recover_and_log(&worktree, &ws.log_path(id))?;
    }
    let branch = note
        .branch
        .clone()
        .or_else(|| {
            has_worktree
                .then(|| {
                    gix::open(&worktree)
                        .ok()
                        .and_then(|r| gitx::current_branch(&r).ok().flatten())
                })
                .flatten()
        })
        .unwrap_or_else(|| Epic::ticket_branch(id, &ticket.title));
    let Some(tip) = gitx::branch_tip(&ws.repo, &branch)? else {
        return skip(format!("its branch {branch} does not exist"));
    };
    let epic_tip = gitx::branch_tip(&ws.repo, &ws.epic.branch)?
        .ok_or_else(|| anyhow!("the epic branch {} is gone", ws.epic.branch))?;
    let (ahead, _) = gitx::ahead_behind(&ws.repo, tip, epic_tip)?;
    if ahead == 0 {
        return match record::on_the_epic(ws, store, id, &note, epic_tip, &branch)? {
            Some(commit) => Ok(Gate::Ended(Outcome::Merged {
                commit,
                cleaned: None,
            })),
            None => skip(format!("{branch} has no commits beyond the epic")),
        };
    }
    if has_worktree
        && gix::open(&worktree)
            .ok()
            .is_some_and(|r| gitx::is_dirty(&r).unwrap_or(false))
    {
        return skip(format!(
            "{} has uncommitted changes that would not be merged; commit or stash them",
            worktree.display()
        ));
    }

    if settings.require_review && note.approved != Some(tip.to_string()) {
        let again = if note.approved.is_some() {
            " again (its branch moved since it was approved)"
        } else {
            ""
        };
        return skip(format!(
            "it waits for review: `git epic review {id}` then `git epic review {id} --approve`{again}"
        ));
    }
    if opts.scope_check && (!ticket.scope.is_empty() || !ticket.forbid.is_empty()) {
        report(Event::Gate {
            id: id.to_owned(),
            gate: "scope",
        });
        let changed = gitx::changed_files(&ws.root, epic_tip, tip)?;
        let (outside, forbidden) = scope_violations(&ticket.scope, &ticket.forbid, &changed);
        if !outside.is_empty() || !forbidden.is_empty() {
            let mut parts = Vec::new();
            if !outside.is_empty() {
                parts.push(format!("outside its scope: {}", outside.join(", ")));
            }
            if !forbidden.is_empty() {
                parts.push(format!("forbidden: {}", forbidden.join(", ")));
            }
            return reject(store, id, "scope", parts.join("; "), Vec::new()).map(Gate::Ended);
        }
    }
    // With the queue, the test runs on the merged result instead, in line.
    if opts.test && !settings.queue {
        if let Some(test) = &settings.test {
            if !has_worktree {
                return skip(format!(
                    "no worktree at {} to run epic.test in; pass --no-test to merge without it",
                    worktree.display()
                ));
            }
            report(Event::Gate {
                id: id.to_owned(),
                gate: "test",
            });
            let out = usercmd::run("test", test, &worktree, &ws.log_path(id))?;
            if !out.ok {
                let code = out
                    .code
                    .map_or("a signal".to_owned(), |c| format!("exit code {c}"));
                return reject(
                    store,
                    id,
                    "test",
                    format!("epic.test failed ({code})"),
                    out.errors,
                )
                .map(Gate::Ended);
            }
        }
    }

    Ok(Gate::Passed(Gated {
        id: id.to_owned(),
        title: ticket.title.clone(),
        branch,
        tip,
        worktree: has_worktree.then_some(worktree),
    }))
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
