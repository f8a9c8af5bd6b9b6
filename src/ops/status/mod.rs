//! `git epic status`: everything rebuilt from config, ticket files, notes and worktrees.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::infra::error::Result;
use crate::infra::supervisor::{self, ExitRecord};
use crate::model::agents::{self, Tokens};
use crate::model::epic::{Epic, Workspace};
use crate::model::state::{self, BadNote, State, Store, TicketNote};
use crate::ops::needs::{self, NeedsPolicy, NeedsYou};
use crate::{infra::gitx, infra::log, model::ticket};

mod worktrees;
use worktrees::read_worktrees;

/// One row of `git epic status`. Field names are the stable JSON contract (docs/status.md).
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub id: String,
    pub title: String,
    pub wave: usize,
    pub state: State,
    /// Agent runs that used an attempt, over every round (rate-limited runs do not).
    pub attempts: u32,
    /// Agent runs, every start: the first, retries, runs after a rate limit, fix and review
    /// rounds.
    pub runs: u32,
    /// Attempts beyond the first of their round (the ticket's own, or a fix or review round).
    pub retries: u32,
    pub rate_limit_waits: u32,
    /// Seconds left before a rate-limited ticket retries.
    pub rate_limit_left_s: Option<f64>,
    pub ahead: Option<usize>,
    pub behind: Option<usize>,
    pub dirty: Option<bool>,
    pub elapsed_s: Option<f64>,
    pub last_line: Option<String>,
    pub deps: Vec<String>,
    pub branch: Option<String>,
    pub worktree: Option<PathBuf>,
    pub reason: Option<String>,
    pub pr_url: Option<String>,
    /// The pull request as the forge last said (`git epic sync`): `open`, `merged` or
    /// `closed`, and its CI: `passing`, `failing` or `pending`.
    pub pr_state: Option<String>,
    pub pr_ci: Option<String>,
    /// Tokens the agent reported, summed over attempts.
    pub tokens: Tokens,
    /// What the attempts cost, in the agent's currency (USD for claude).
    pub cost_usd: f64,
    /// Automatic fix rounds it was sent back for.
    pub fix_rounds: u32,
    /// Reviews that requested changes.
    pub review_rounds: u32,
    /// A reviewer approved it (and it has not changed since).
    pub approved: bool,
    /// Where it stands with its reviewer: `awaiting` (done, `epic.requireReview` holds it
    /// until approved), `approved` (its tip as it is now), `changes_requested` (sent back
    /// to its agent by a reviewer, not run since); none otherwise.
    pub review: Option<Review>,
    /// The machine that ran it: its label (`epic.hostName`, else its host name) and its
    /// id (`epic.machineId`), which tells two clones on one host apart.
    pub host: Option<String>,
    pub machine: Option<String>,
    /// Whether it waits on a human, why, and the command that resolves it (null: it does
    /// not); see [`crate::ops::needs`].
    pub needs_you: Option<NeedsYou>,
    /// A git epic (here or on another machine) holds it: runs it, or waits to retry it.
    pub held: bool,
    /// What its agent is doing now, in a few words, while it runs ("editing src/x.rs").
    pub activity: Option<String>,
    /// Seconds since its agent last wrote anything, while it runs.
    pub idle_s: Option<f64>,
}

/// Where a ticket stands with its reviewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Review {
    Awaiting,
    Approved,
    ChangesRequested,
}

impl Review {
    pub fn as_str(self) -> &'static str {
        match self {
            Review::Awaiting => "awaiting review",
            Review::Approved => "approved",
            Review::ChangesRequested => "changes requested",
        }
    }
}

/// The review state of a ticket in `state` whose branch is at `tip`.
fn review_of(
    note: Option<&TicketNote>,
    state: State,
    tip: Option<gix::ObjectId>,
    required: bool,
) -> Option<Review> {
    let n = note?;
    if state == State::Done {
        let approved = n.approved.is_some() && n.approved == tip.map(|t| t.to_string());
        return match (approved, required) {
            (true, _) => Some(Review::Approved),
            (false, true) => Some(Review::Awaiting),
            (false, false) => None,
        };
    }
    let sent_back = n.request.as_ref().is_some_and(|r| r.kind == "review");
    (sent_back && state != State::Merged).then_some(Review::ChangesRequested)
}

#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub tickets: usize,
    /// Count of tickets in each state (every state is present, zero or not).
    pub states: BTreeMap<&'static str, usize>,
    pub attempts: u32,
    pub runs: u32,
    pub retries: u32,
    pub rate_limit_waits: u32,
    pub fix_rounds: u32,
    pub review_rounds: u32,
    /// Done tickets that wait for a reviewer before they land (counted `done` in `states`).
    pub awaiting_review: usize,
    /// Seconds of agent runs, summed over tickets: what running them one by one would take.
    pub agent_s: f64,
    pub dirty: usize,
    /// Tickets that wait on a human (`needs_you` set).
    pub needs_you: usize,
    pub tokens: Tokens,
    pub cost_usd: f64,
    /// `epic.maxCost`, and what is left of it.
    pub max_cost: Option<f64>,
    pub cost_left: Option<f64>,
    /// Unix time the epic's first agent run started (its wall time runs from there).
    pub started_at: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub epic: String,
    pub branch: String,
    pub base: String,
    /// `epic.remote`, when the epic is shared through one.
    pub remote: Option<String>,
    /// This machine's label, and its id when it shares an epic.
    pub host: String,
    pub machine: Option<String>,
    pub tickets: Vec<Row>,
    pub totals: Totals,
    /// Tickets landed on the epic here and not on the remote's (as last fetched): made while
    /// it could not be reached; the next landing or `git epic sync` shares them.
    pub local_only: Vec<String>,
    /// The agent profiles cooling down after a rate limit, by profile (see
    /// [`crate::ops::cooldown`]); `git epic agent reset <profile>` lifts one.
    pub cooldowns: Vec<crate::ops::cooldown::Cooldown>,
    /// Notes that could not be read (never overwritten); the rows fall back to derivation.
    pub problems: Vec<String>,
}

/// The effective state: what the note says, plus what can only be derived.
pub fn effective_state(note: Option<&TicketNote>, deps_merged: bool) -> State {
    match note.map(|n| n.state) {
        None | Some(State::Pending) | Some(State::Blocked) => {
            if deps_merged {
                State::Pending
            } else {
                State::Blocked
            }
        }
        Some(State::Running) => {
            let n = note.expect("matched Some");
            if n.agent_alive() || n.owner_alive() || n.claimed_elsewhere().is_some() {
                State::Running
            } else {
                State::Interrupted
            }
        }
        Some(s) => s,
    }
}

/// How the agent of a run noted `running` ended while no git epic watched: its supervisor
/// recorded the end, and the git epic that started it was gone before it concluded the run.
/// The next `wave start` or `run` adopts and concludes it.
pub fn ended_unwatched(note: &TicketNote, log: &Path) -> Option<ExitRecord> {
    if note.state != State::Running || note.owner_alive() || !note.is_local() {
        return None;
    }
    let run = supervisor::read_run(log, note.run_id.as_deref()?)?;
    supervisor::read_record(log, run.supervisor)
}

/// The state a ticket shows (logged in `log`), with the reason when it is derived here:
/// [`effective_state`], except that a run whose supervisor lives on is `running`, and a run
/// that ended while no git epic watched shows how it ended (`done` after a clean exit, else
/// `pending`: the next run concludes it, retrying, waiting out a limit or failing it) rather
/// than `interrupted`.
pub fn shown_state(
    note: Option<&TicketNote>,
    deps_merged: bool,
    log: &Path,
) -> (State, Option<String>) {
    let state = effective_state(note, deps_merged);
    let Some(n) = note.filter(|n| state == State::Interrupted && n.state == State::Running) else {
        return (state, None);
    };
    // A supervisor that started before its orchestrator could note its pid.
    if supervisor::run_alive(log, n.run_id.as_deref()) {
        return (State::Running, None);
    }
    let Some(end) = ended_unwatched(n, log) else {
        return (state, None);
    };
    let how = match (end.code, end.signal) {
        (Some(c), _) => format!("exit code {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        (None, None) => "no exit status".to_owned(),
    };
    let shown = if end.code == Some(0) {
        State::Done
    } else {
        State::Pending
    };
    let reason = format!(
        "its agent ended ({how}) while no git epic watched; the next `git epic wave start` or `git epic run` concludes it"
    );
    (shown, Some(reason))
}

/// Build the status report of the workspace's epic.
pub fn collect(ws: &Workspace) -> Result<StatusReport> {
    collect_with(ws, Depth::Full)
}

/// How much of the status a caller reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Everything `git epic status` shows.
    Full,
    /// The notes, logs and supervisors' records, not the worktrees (`ahead`, `behind`,
    /// `dirty` stay null): what watchers that poll (`wait`, notifications, the dashboard
    /// between its full refreshes) need, at a fraction of the cost.
    Notes,
}

/// [`collect`] at a depth.
pub fn collect_with(ws: &Workspace, depth: Depth) -> Result<StatusReport> {
    // The keys status reads, each refused when bad as by every command that reads it (and
    // only those: status must work whatever the other keys say).
    let require_review = crate::infra::config::require_review_of(&ws.repo, &ws.epic.name)?;
    let max_cost = crate::infra::config::max_cost_of(&ws.repo, &ws.epic.name)?;
    let graph = ws.graph()?;
    let epic_tip = gitx::branch_tip(&ws.repo, &ws.epic.branch)?;
    let ids: Vec<&str> = graph.tickets.iter().map(|t| t.id.as_str()).collect();
    let notes = Store::new(&ws.repo, &ws.epic.name).get_many(&ids)?;
    let mut problems = Vec::new();
    let note_of = |id: &str| -> Option<&TicketNote> { notes.get(id).and_then(|n| n.as_ref().ok()) };
    for n in notes.values() {
        if let Err(bad) = n {
            problems.push(BadNote::to_string(bad));
        }
    }
    problems.sort();

    let paths: Vec<PathBuf> = ids.iter().map(|id| ws.worktree_path(id)).collect();
    let watcher =
        crate::infra::config::watch_of(&ws.repo, &ws.epic.name)?.then(|| ws.repo.common_dir());
    let infos = read_worktrees(&ws.root, &paths, epic_tip, depth, watcher);
    let now = state::now();
    let merged = |id: &str| note_of(id).is_some_and(|n| n.state == State::Merged);
    let policy = NeedsPolicy {
        max_fix_rounds: crate::infra::config::max_fix_rounds_of(&ws.repo, &ws.epic.name)?,
    };

    let mut rows = Vec::new();
    for (t, (info, path)) in graph.tickets.iter().zip(infos.into_iter().zip(paths)) {
        let note = note_of(&t.id);
        let (state, derived_reason) =
            shown_state(note, t.deps.iter().all(|d| merged(d)), &ws.log_path(&t.id));
        let counts = note.map(TicketNote::counts).unwrap_or_default();
        let mut info = info;
        let branch = info
            .branch
            .take()
            .or_else(|| note.and_then(|n| n.branch.clone()))
            .or_else(|| Some(Epic::ticket_branch(&t.id, &t.title)));
        if info.ahead.is_none() && depth == Depth::Full {
            // No worktree (cleaned up, or worked on elsewhere): the branch still tells.
            if let Some((a, bh)) = branch_ahead_behind(ws, branch.as_deref(), epic_tip) {
                info.ahead = Some(a);
                info.behind = Some(bh);
            }
        }
        let tip = match (&branch, state) {
            (Some(b), State::Done) => gitx::branch_tip(&ws.repo, b).ok().flatten(),
            _ => None,
        };
        let elapsed_s = note
            .and_then(|n| elapsed(n, state, derived_reason.is_some(), &ws.log_path(&t.id), now));
        let rate_limit_left_s = note
            .and_then(|n| n.rate_limited_until)
            .map(|u| u - now)
            .filter(|left| *left > 0.0 && state == State::RateLimited);
        let (last_line, activity, idle_s) = log_facts(&ws.log_path(&t.id), state, &path, now);
        let held = note.is_some_and(|n| n.owner_alive() || n.claimed_elsewhere().is_some());
        let review = review_of(note, state, tip, require_review);
        let needs_you = needs::needs_you(
            &t.id,
            state,
            note,
            needs::Facts {
                awaiting_review: review == Some(Review::Awaiting),
                limit_left_s: rate_limit_left_s,
                held,
            },
            policy,
        );
        rows.push(Row {
            id: t.id.clone(),
            title: t.title.clone(),
            wave: graph.wave(&t.id),
            state,
            attempts: counts.attempts,
            runs: counts.runs,
            retries: counts.retries,
            rate_limit_waits: note.map_or(0, |n| n.rate_limit_waits),
            rate_limit_left_s,
            ahead: info.ahead,
            behind: info.behind,
            dirty: info.dirty,
            elapsed_s,
            last_line,
            deps: t.deps.clone(),
            branch: if info.dirty.is_some() || note.is_some_and(|n| n.branch.is_some()) {
                branch
            } else {
                None
            },
            worktree: info.dirty.is_some().then_some(path),
            reason: derived_reason.or_else(|| note.and_then(|n| n.reason.clone())),
            pr_url: note.and_then(|n| n.pr_url.clone()),
            pr_state: note.and_then(|n| n.pr_state.clone()),
            pr_ci: note.and_then(|n| n.pr_ci.clone()),
            tokens: note.map_or_else(Tokens::default, |n| n.tokens),
            cost_usd: note.map_or(0.0, |n| n.cost_usd),
            fix_rounds: note.map_or(0, |n| n.fix_rounds),
            review_rounds: note.map_or(0, |n| n.review_rounds),
            approved: note.is_some_and(|n| n.approved.is_some()),
            review,
            host: note.and_then(|n| n.host.clone()),
            machine: note.and_then(|n| n.machine.clone()),
            needs_you,
            held,
            activity,
            idle_s,
        });
    }
    rows.sort_by(|a, b| {
        a.wave
            .cmp(&b.wave)
            .then_with(|| ticket::natural_cmp(&a.id, &b.id))
    });
    let mut totals = totals(&rows, |id| note_of(id).map_or(0.0, |n| n.run_s));
    totals.max_cost = max_cost;
    totals.cost_left = totals.max_cost.map(|m| (m - totals.cost_usd).max(0.0));
    totals.started_at = ids
        .iter()
        .filter_map(|id| note_of(id)?.started_at)
        .min_by(f64::total_cmp);
    let agents: Vec<(&str, Option<&str>)> = graph
        .tickets
        .iter()
        .map(|t| (t.id.as_str(), t.agent.as_deref()))
        .collect();
    let cooldowns = crate::ops::cooldown::list_of(ws, &agents)?;
    Ok(StatusReport {
        epic: ws.epic.name.clone(),
        branch: ws.epic.branch.clone(),
        base: ws.epic.base.clone(),
        remote: crate::infra::config::remote_of(&ws.repo, &ws.epic.name),
        host: crate::infra::host::this_host().to_owned(),
        machine: crate::infra::host::this_machine().map(str::to_owned),
        tickets: rows,
        totals,
        local_only: local_only(ws, depth)?,
        cooldowns,
        problems,
    })
}

/// Ahead and behind of a ticket's branch against the epic, read from the branch itself.
fn branch_ahead_behind(
    ws: &Workspace,
    branch: Option<&str>,
    epic_tip: Option<gix::ObjectId>,
) -> Option<(usize, usize)> {
    let tip = gitx::branch_tip(&ws.repo, branch?).ok()??;
    gitx::ahead_behind(&ws.repo, tip, epic_tip?).ok()
}

/// The agent time of a ticket's runs: the finished ones, and the one going on (or, when it
/// ended while no git epic watched, its time until its end).
fn elapsed(
    n: &TicketNote,
    state: State,
    ended_unwatched_run: bool,
    log: &Path,
    now: f64,
) -> Option<f64> {
    let live = match (state, n.run_started_at) {
        (State::Running, Some(s)) => (now - s).max(0.0),
        (_, Some(s)) if ended_unwatched_run => {
            ended_unwatched(n, log).map_or(0.0, |end| (end.ended_at - s).max(0.0))
        }
        _ => 0.0,
    };
    (n.run_started_at.is_some() || n.run_s > 0.0).then_some(n.run_s + live)
}

/// The tickets landed here and not on the remote's epic (not read at [`Depth::Notes`]).
fn local_only(ws: &Workspace, depth: Depth) -> Result<Vec<String>> {
    if depth == Depth::Notes {
        return Ok(Vec::new());
    }
    Ok(crate::ops::remote::reconcile::local_only(ws)?
        .into_iter()
        .map(|l| l.id)
        .collect())
}

/// What a ticket's log tells: the agent's own last words (its text, not its JSON, not
/// git-epic's lines) and, while it runs, what it does now and how long it has been quiet.
fn log_facts(
    log_path: &Path,
    state: State,
    worktree: &Path,
    now: f64,
) -> (Option<String>, Option<String>, Option<f64>) {
    let tail = log::tail_lines(log_path, 12);
    let last_line = tail
        .iter()
        .filter(|l| !l.starts_with("=== git-epic"))
        .flat_map(|l| agents::render::line(l))
        .rfind(|l| !l.trim().is_empty());
    let (activity, idle_s) = if state == State::Running {
        activity_of(&tail, log_path, worktree, now)
    } else {
        (None, None)
    };
    (last_line, activity, idle_s)
}

/// What a running agent does now (from the last lines of its log) and for how long it has
/// been silent (since its log last changed).
fn activity_of(
    tail: &[String],
    log: &Path,
    worktree: &Path,
    now: f64,
) -> (Option<String>, Option<f64>) {
    let root = worktree.to_str();
    let activity = agents::activity::current(tail, root).or_else(|| Some("starting".into()));
    let idle = std::fs::metadata(log)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|t| (now - t.as_secs_f64()).max(0.0));
    (activity, idle)
}

fn totals(rows: &[Row], run_s: impl Fn(&str) -> f64) -> Totals {
    let mut states: BTreeMap<&'static str, usize> =
        State::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    for r in rows {
        *states.entry(r.state.as_str()).or_default() += 1;
    }
    Totals {
        tickets: rows.len(),
        states,
        attempts: rows.iter().map(|r| r.attempts).sum(),
        runs: rows.iter().map(|r| r.runs).sum(),
        retries: rows.iter().map(|r| r.retries).sum(),
        rate_limit_waits: rows.iter().map(|r| r.rate_limit_waits).sum(),
        fix_rounds: rows.iter().map(|r| r.fix_rounds).sum(),
        review_rounds: rows.iter().map(|r| r.review_rounds).sum(),
        awaiting_review: rows
            .iter()
            .filter(|r| r.review == Some(Review::Awaiting))
            .count(),
        agent_s: rows.iter().map(|r| run_s(&r.id)).sum(),
        dirty: rows.iter().filter(|r| r.dirty == Some(true)).count(),
        needs_you: rows.iter().filter(|r| r.needs_you.is_some()).count(),
        tokens: rows.iter().fold(Tokens::default(), |mut t, r| {
            t.add(&r.tokens);
            t
        }),
        cost_usd: rows.iter().map(|r| r.cost_usd).sum(),
        max_cost: None,
        cost_left: None,
        started_at: None,
    }
}
