//! A ticket's way to the merge queue: is it ready (state, where it landed, dependencies,
//! branch, worktree, review), then its gates (scope, and `epic.test` when there is no queue
//! to test the merged result).

use std::path::{Path, PathBuf};

use anyhow::anyhow;
use gix::ObjectId;

use super::{record, reject, scope_violations, MergeEvent, Options, Outcome};
use crate::infra::config::Settings;
use crate::infra::error::Result;
use crate::infra::gitx;
use crate::infra::usercmd;
use crate::model::epic::{Epic, Workspace};
use crate::model::graph::Graph;
use crate::model::state::{State, Store, TicketNote};
use crate::model::ticket::Ticket;

/// A ticket through its gates: what landing it in the epic needs.
#[derive(Debug, Clone)]
pub struct Gated {
    pub id: String,
    pub(super) title: String,
    pub(super) branch: String,
    /// The commit the gates passed: the one merged (the queue checks the branch is still
    /// there before it lands).
    pub(super) tip: ObjectId,
    pub(super) worktree: Option<PathBuf>,
}

/// Where the gates left a ticket.
pub enum Gate {
    Passed(Gated),
    Ended(Outcome),
}

fn skip(reason: String) -> Result<Gate> {
    Ok(Gate::Ended(Outcome::Skipped { reason }))
}

/// Check that `id` can be merged and run its gates (scope, then, with `epic.queue=false`,
/// `epic.test` in its worktree). Gates of different tickets are independent of each other
/// and of the epic's moves, so flow mode runs them side by side. Dependencies in `ahead`
/// (in line before it) count as merged. Call it holding the ticket's
/// [`hold`](crate::ops::worktree::hold).
#[allow(clippy::too_many_arguments)]
pub fn gate(
    ws: &Workspace,
    settings: &Settings,
    graph: &Graph,
    store: &Store<'_>,
    id: &str,
    opts: Options,
    ahead: &[String],
    report: &dyn Fn(MergeEvent),
) -> Result<Gate> {
    let ticket = graph
        .get(id)
        .ok_or_else(|| anyhow!("unknown ticket {id}"))?;
    let note = store.get(id)?.unwrap_or_default();
    if let Some(why) = not_ready(ws, settings, &note, id)? {
        return skip(why);
    }
    let waiting = waiting_for(store, ticket, ahead)?;
    if !waiting.is_empty() {
        return skip(format!("it waits for {} to be merged", waiting.join(", ")));
    }
    let worktree = ws.worktree_path(id);
    let has_worktree = worktree.join(".git").exists();
    // Never gate (nor land, then leave) a worktree a killed propagate left mid-rebase.
    if has_worktree {
        crate::ops::worktree::intent::recover_and_log(&worktree, &ws.log_path(id))?;
    }
    let branch = branch_of(&note, ticket, &worktree, has_worktree);
    let Some(tip) = gitx::branch_tip(&ws.repo, &branch)? else {
        if note.runs.is_empty() && !has_worktree {
            return skip(format!(
                "it has not run yet (`git epic run {id}`, or `git epic wave start`)"
            ));
        }
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
    if let Some(reason) = waits_for_review(settings, &note, tip, id) {
        return Ok(Gate::Ended(Outcome::AwaitsReview { reason }));
    }
    if opts.scope_check {
        if let Some(refused) = scope_gate(ws, store, ticket, (epic_tip, tip), report)? {
            return Ok(Gate::Ended(refused));
        }
    }
    // With the queue, the test runs on the merged result instead, in line.
    if opts.test && !settings.queue {
        if let Some(test) = &settings.test {
            let worktree = has_worktree.then_some(worktree.as_path());
            if let Some(ended) = test_gate(ws, store, id, test, worktree, report)? {
                return Ok(ended);
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

/// Why a ticket in this state is not merged now: running, failed for another reason than a
/// gate, not done, or landed by another machine.
fn not_ready(
    ws: &Workspace,
    settings: &Settings,
    note: &TicketNote,
    id: &str,
) -> Result<Option<String>> {
    let reason = note.reason.as_deref().unwrap_or_default();
    let why = match note.state {
        State::Merged => Some("already merged".into()),
        State::Running if crate::ops::status::ended_unwatched(note, &ws.log_path(id)).is_some() => {
            Some(format!(
                "its agent ended while no git epic watched; `git epic run {id}` concludes it first"
            ))
        }
        State::Running | State::RateLimited => Some(format!("it is {}", note.state)),
        // Refused by a gate before: the user may have fixed it.
        State::Failed
            if !reason.starts_with("merge rejected")
                && !reason.starts_with("merged result red") =>
        {
            Some(format!("it failed ({reason}); run it again first"))
        }
        State::Interrupted | State::Blocked => Some(format!("it is {}, not done", note.state)),
        // Sent back by its reviewer: what it waits for is its agent's next run, not a
        // review. (A fix round git epic asked for may still be merged by hand.)
        State::Pending if note.request.as_ref().is_some_and(|r| r.kind == "review") => {
            Some(format!(
                "its agent has yet to make the changes requested in review round {}: `git epic run {id}`",
                note.request.as_ref().map_or(0, |r| r.round)
            ))
        }
        State::Done | State::Pending | State::Failed | State::Conflict => None,
    };
    match why {
        Some(why) => Ok(Some(why)),
        None => record::landed_elsewhere(ws, settings, note, id),
    }
}

/// The dependencies of `ticket` not merged yet and not ahead of it in line.
fn waiting_for<'t>(
    store: &Store<'_>,
    ticket: &'t Ticket,
    ahead: &[String],
) -> Result<Vec<&'t str>> {
    let notes = store.get_many(&ticket.deps.iter().map(String::as_str).collect::<Vec<_>>())?;
    Ok(ticket
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
        .collect())
}

/// The ticket's branch: the one its note names, else the one its worktree has checked out,
/// else the name it would have been given.
fn branch_of(note: &TicketNote, ticket: &Ticket, worktree: &Path, has_worktree: bool) -> String {
    note.branch
        .clone()
        .or_else(|| {
            has_worktree
                .then(|| {
                    gix::open(worktree)
                        .ok()
                        .and_then(|r| gitx::current_branch(&r).ok().flatten())
                })
                .flatten()
        })
        .unwrap_or_else(|| Epic::ticket_branch(&ticket.id, &ticket.title))
}

/// With `epic.requireReview`, a ticket lands only with an approval of the commit it lands.
fn waits_for_review(
    settings: &Settings,
    note: &TicketNote,
    tip: ObjectId,
    id: &str,
) -> Option<String> {
    if !settings.require_review || note.approved == Some(tip.to_string()) {
        return None;
    }
    let again = if note.approved.is_some() {
        " again (its branch moved since it was approved)"
    } else {
        ""
    };
    Some(format!(
        "it waits for review: `git epic review {id}` then `git epic review {id} --approve`{again}"
    ))
}

/// The scope gate: files changed from the epic (`from`) to the ticket's tip (`to`) outside
/// its scope or forbidden to it refuse it.
fn scope_gate(
    ws: &Workspace,
    store: &Store<'_>,
    ticket: &Ticket,
    (from, to): (ObjectId, ObjectId),
    report: &dyn Fn(MergeEvent),
) -> Result<Option<Outcome>> {
    if ticket.scope.is_empty() && ticket.forbid.is_empty() {
        return Ok(None);
    }
    let id = ticket.id.as_str();
    report(MergeEvent::Gate {
        id: id.to_owned(),
        gate: "scope",
    });
    let changed = gitx::changed_files(&ws.root, from, to)?;
    let (outside, forbidden) = scope_violations(&ticket.scope, &ticket.forbid, &changed);
    if outside.is_empty() && forbidden.is_empty() {
        return Ok(None);
    }
    let mut parts = Vec::new();
    if !outside.is_empty() {
        parts.push(format!("outside its scope: {}", outside.join(", ")));
    }
    if !forbidden.is_empty() {
        parts.push(format!("forbidden: {}", forbidden.join(", ")));
    }
    reject(store, id, "scope", parts.join("; "), Vec::new()).map(Some)
}

/// The test gate without a queue: `epic.test` in the ticket's worktree.
fn test_gate(
    ws: &Workspace,
    store: &Store<'_>,
    id: &str,
    test: &str,
    worktree: Option<&Path>,
    report: &dyn Fn(MergeEvent),
) -> Result<Option<Gate>> {
    let Some(worktree) = worktree else {
        return skip(format!(
            "no worktree at {} to run epic.test in; pass --no-test to merge without it",
            ws.worktree_path(id).display()
        ))
        .map(Some);
    };
    report(MergeEvent::Gate {
        id: id.to_owned(),
        gate: "test",
    });
    let out = usercmd::run("test", test, worktree, &ws.log_path(id))?;
    if out.ok {
        return Ok(None);
    }
    let code = out
        .code
        .map_or("a signal".to_owned(), |c| format!("exit code {c}"));
    reject(
        store,
        id,
        "test",
        format!("epic.test failed ({code})"),
        out.errors,
    )
    .map(|o| Some(Gate::Ended(o)))
}
