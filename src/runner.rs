//! `wave start` and `run`: claim ready tickets, make their worktrees, run the agents in
//! parallel with stagger, retries, rate-limit cooldowns and timeouts, and record every step
//! in the notes so that a killed run resumes where it stopped.
//!
//! One thread (the caller's) owns the repository and every state change; each running
//! agent has a small thread that only waits for its process.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::anyhow;

use crate::agent::{self, AgentCommand, Exit};
use crate::config::{PromptVia, Settings};
use crate::epic::{Epic, Workspace};
use crate::error::{usage, Result};
use crate::graph::Graph;
use crate::state::{self, State, Store, TicketNote};
use crate::{gitx, log, process, prompt};

/// `GIT_EPIC_TRACE=1` prints the scheduler's steps with millisecond times to stderr, like
/// `GIT_TRACE` does for git.
fn trace(what: impl FnOnce() -> String) {
    static ON: std::sync::OnceLock<Option<Instant>> = std::sync::OnceLock::new();
    if let Some(t0) = ON.get_or_init(|| {
        std::env::var_os("GIT_EPIC_TRACE")
            .filter(|v| v != "0")
            .map(|_| Instant::now())
    }) {
        eprintln!("trace {:>8.3}s {}", t0.elapsed().as_secs_f64(), what());
    }
}

/// Which tickets to start.
#[derive(Debug, Clone)]
pub enum Selection {
    Wave(usize),
    Next,
    All,
    Ids(Vec<String>),
}

/// One ticket the runner would start: everything `--dry-run` shows.
#[derive(Debug, Clone)]
pub struct Planned {
    pub id: String,
    pub title: String,
    pub worktree: PathBuf,
    pub branch: String,
    pub agent: AgentCommand,
    pub prompt: String,
    pub argv: Vec<String>,
    pub prompt_via: PromptVia,
    /// Tickets on the longest remaining dependency chain start first.
    pub priority: usize,
}

/// What the runner reports while it works; the CLI renders it.
#[derive(Debug, Clone)]
pub enum Event {
    Skipped {
        id: String,
        reason: String,
    },
    WorktreeCreated {
        id: String,
        path: PathBuf,
        branch: String,
    },
    Started {
        id: String,
        attempt: u32,
        pid: u32,
        log: PathBuf,
    },
    RateLimited {
        id: String,
        wait: Duration,
    },
    Retrying {
        id: String,
        attempt: u32,
        wait: Duration,
        reason: String,
    },
    Done {
        id: String,
        commits: usize,
        autocommitted: bool,
    },
    Failed {
        id: String,
        reason: String,
    },
    Interrupted {
        id: String,
    },
    /// Flow mode: a done ticket went through the gates into the epic.
    Merged {
        id: String,
        commit: String,
    },
    /// Flow mode: a done ticket was not merged; its dependents will not start.
    NotMerged {
        id: String,
        reason: String,
    },
    /// Flow mode: other open worktrees were brought onto the new epic.
    Propagated {
        summary: String,
    },
}

/// Called when a ticket is done, in flow mode (`wave start --all --auto-merge`): it merges
/// the ticket and returns the tickets that became ready, which the runner then starts.
pub trait OnDone {
    /// `Ok(Err(reason))` when the ticket was not merged (the run then counts it as failed).
    fn done(
        &mut self,
        ws: &Workspace,
        id: &str,
        report: &dyn Fn(Event),
    ) -> Result<std::result::Result<Vec<Planned>, String>>;
}

/// The end of a run.
#[derive(Debug, Default)]
pub struct Summary {
    pub done: Vec<String>,
    pub failed: Vec<(String, String)>,
    pub interrupted: Vec<String>,
    pub skipped: Vec<(String, String)>,
}

impl Summary {
    /// 0 when every started ticket is done, 1 when any failed, 130 when interrupted.
    pub fn exit_code(&self) -> i32 {
        if !self.interrupted.is_empty() {
            130
        } else if !self.failed.is_empty() {
            1
        } else {
            0
        }
    }
}

/// Choose the tickets of a selection that are ready (all dependencies merged) and not done,
/// most urgent first (longest remaining chain). Refuses what cannot start.
pub fn select(ws: &Workspace, graph: &Graph, sel: &Selection) -> Result<Vec<String>> {
    let ids: Vec<&str> = graph.tickets.iter().map(|t| t.id.as_str()).collect();
    let notes = Store::new(&ws.repo, &ws.epic.name).get_many(&ids)?;
    let state_of = |id: &str| match notes.get(id) {
        Some(Ok(n)) => n.state,
        _ => State::Pending,
    };
    let finished = |id: &str| matches!(state_of(id), State::Done | State::Merged);
    let unmerged = |id: &str| -> Vec<&str> {
        graph.get(id).map_or(vec![], |t| {
            t.deps
                .iter()
                .map(String::as_str)
                .filter(|d| state_of(d) != State::Merged)
                .collect()
        })
    };
    let candidates: Vec<&str> = match sel {
        Selection::Ids(wanted) => {
            for id in wanted {
                if graph.get(id).is_none() {
                    return Err(usage(format!(
                        "There is no ticket `{id}` in {}.",
                        ws.epic.tasks_dir.display()
                    )));
                }
                let waiting = unmerged(id);
                if !waiting.is_empty() {
                    return Err(usage(format!(
                        "Ticket `{id}` is not ready: {} not merged yet.",
                        waiting.join(", ") + if waiting.len() == 1 { " is" } else { " are" }
                    )));
                }
            }
            wanted.iter().map(String::as_str).collect()
        }
        Selection::Wave(n) => {
            if *n >= graph.wave_count() {
                return Err(usage(format!(
                    "There is no wave {n}: the epic has {} waves (0 to {}).",
                    graph.wave_count(),
                    graph.wave_count().saturating_sub(1)
                )));
            }
            graph.by_wave()[*n].iter().map(|t| t.id.as_str()).collect()
        }
        Selection::Next => match graph
            .by_wave()
            .into_iter()
            .find(|w| w.iter().any(|t| !finished(&t.id)))
        {
            Some(w) => w.into_iter().map(|t| t.id.as_str()).collect(),
            None => vec![],
        },
        Selection::All => ids.clone(),
    };
    let mut ready: Vec<&str> = candidates
        .iter()
        .copied()
        .filter(|id| unmerged(id).is_empty())
        .collect();
    if !matches!(sel, Selection::Ids(_)) {
        ready.retain(|id| !finished(id));
        let blocked: Vec<String> = candidates
            .iter()
            .filter(|id| !finished(id) && !unmerged(id).is_empty())
            .map(|id| format!("{id} waits for {}", unmerged(id).join(", ")))
            .collect();
        if ready.is_empty() && !blocked.is_empty() {
            return Err(usage(format!(
                "No ticket is ready to start: {}; merge those first.",
                blocked.join("; ")
            )));
        }
    }
    let chain = graph.chain_lengths();
    ready.sort_by(|a, b| {
        chain[b]
            .cmp(&chain[a])
            .then_with(|| graph.wave(a).cmp(&graph.wave(b)))
            .then_with(|| crate::ticket::natural_cmp(a, b))
    });
    ready.dedup();
    Ok(ready.into_iter().map(str::to_owned).collect())
}

/// Everything needed to start each selected ticket. Fails (exit 2) before anything is made
/// when an agent program is missing or a profile is unknown.
pub fn prepare(
    ws: &Workspace,
    settings: &Settings,
    graph: &Graph,
    ids: &[String],
) -> Result<Vec<Planned>> {
    let config = ws.repo.config_snapshot();
    let chain = graph.chain_lengths();
    ids.iter()
        .map(|id| {
            let t = graph
                .get(id)
                .ok_or_else(|| anyhow!("unknown ticket {id}"))?;
            let agent = agent::resolve(&config, settings, t, &ws.root)?;
            let prompt = prompt::build(t, &ws.root);
            let argv = agent::full_argv(&agent, &prompt, settings.prompt_via);
            Ok(Planned {
                id: id.clone(),
                title: t.title.clone(),
                worktree: ws.worktree_path(id),
                branch: Epic::ticket_branch(id, &t.title),
                agent,
                prompt,
                argv,
                prompt_via: settings.prompt_via,
                priority: chain.get(id.as_str()).copied().unwrap_or(1),
            })
        })
        .collect()
}

struct Finished {
    exit: Exit,
    after: Option<AfterExit>,
}

/// Per ticket, where the scheduler is.
struct Slot {
    plan: Planned,
    not_before: Instant,
}

/// What the scheduler thread hears about.
enum Msg {
    /// A worktree was made (or found) ahead of its ticket's start.
    Prepared {
        id: String,
        result: std::result::Result<bool, String>,
    },
    Finished {
        id: String,
        exit: Exit,
        started: Instant,
        after: Option<AfterExit>,
    },
}

/// What the agent left, looked at by its waiting thread after a clean exit so that these
/// git calls run in parallel and never hold up the next start.
struct AfterExit {
    autocommit: std::result::Result<bool, String>,
    commits: usize,
}

fn after_clean_exit(
    worktree: &std::path::Path,
    epic_branch: &str,
    commit_message: Option<&str>,
) -> AfterExit {
    let autocommit = match commit_message {
        Some(msg) => gitx::commit_all(worktree, msg)
            .map_err(|e| format!("could not commit what the agent left: {e:#}")),
        None => Ok(false),
    };
    let commits = (|| -> Result<usize> {
        let repo = gix::open(worktree)?;
        let epic = gitx::branch_tip(&repo, epic_branch)?
            .ok_or_else(|| anyhow!("the epic branch is gone"))?;
        let head = repo.head_id()?.detach();
        Ok(gitx::ahead_behind(&repo, head, epic)?.0)
    })()
    .unwrap_or(0);
    AfterExit {
        autocommit,
        commits,
    }
}

/// Make the worktrees of queued tickets in the background, in queue order, while earlier
/// agents run: worktree creation then costs nothing on the critical path.
fn prepare_worktrees(
    ws: &Workspace,
    queue: &VecDeque<Slot>,
    tx: &mpsc::Sender<Msg>,
    interrupt: &'static AtomicBool,
) {
    let root = ws.root.clone();
    let start = ws.epic.branch.clone();
    let jobs: Vec<(String, PathBuf, String)> = queue
        .iter()
        .map(|s| {
            (
                s.plan.id.clone(),
                s.plan.worktree.clone(),
                s.plan.branch.clone(),
            )
        })
        .collect();
    let tx = tx.clone();
    std::thread::spawn(move || {
        if jobs.iter().any(|(_, path, _)| !path.join(".git").exists()) {
            let _ = gitx::prune_worktrees(&root);
        }
        for (id, path, branch) in jobs {
            if interrupt.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
            let result =
                gitx::ensure_worktree(&root, &path, &branch, &start).map_err(|e| format!("{e:#}"));
            if tx.send(Msg::Prepared { id, result }).is_err() {
                break;
            }
        }
    });
}

/// Claim `planned` for this process (compare-and-swap on each note), so a second
/// orchestrator never starts one of ours; refusals are reported and summed up.
fn claim(
    store: &Store<'_>,
    planned: Vec<Planned>,
    rerun_failed: bool,
    summary: &mut Summary,
    report: &dyn Fn(Event),
) -> Result<Vec<Slot>> {
    let me = std::process::id();
    let me_start = process::start_time(me);
    let mut slots = Vec::new();
    for plan in planned {
        let mut refusal = None;
        let note = store.update(&plan.id, |n| {
            refusal = claim_refusal(n, me, rerun_failed);
            if refusal.is_none() {
                if n.state == State::Failed && rerun_failed {
                    n.attempts = 0;
                }
                n.owner_pid = Some(me);
                n.owner_start = me_start;
            }
            Ok(())
        })?;
        match refusal {
            Some(reason) => {
                report(Event::Skipped {
                    id: plan.id.clone(),
                    reason: reason.clone(),
                });
                summary.skipped.push((plan.id, reason));
            }
            None => {
                // A rate-limit wait recorded by a killed run still holds.
                let wait = note
                    .rate_limited_until
                    .map_or(0.0, |u| u - state::now())
                    .max(0.0);
                slots.push(Slot {
                    plan,
                    not_before: Instant::now() + Duration::from_secs_f64(wait),
                });
            }
        }
    }
    Ok(slots)
}

/// Run the planned tickets to the end. `interrupt` is set by the CLI's signal handler.
/// With `on_done` (flow mode), each done ticket is handed over and the tickets it makes
/// ready join the run.
#[allow(clippy::too_many_arguments)]
pub fn run(
    ws: &Workspace,
    settings: &Settings,
    planned: Vec<Planned>,
    jobs: usize,
    rerun_failed: bool,
    interrupt: &'static AtomicBool,
    report: &dyn Fn(Event),
    mut on_done: Option<&mut dyn OnDone>,
) -> Result<Summary> {
    let store = Store::new(&ws.repo, &ws.epic.name);
    let mut summary = Summary::default();
    let mut queue: VecDeque<Slot> =
        claim(&store, planned, rerun_failed, &mut summary, report)?.into();

    trace(|| "claimed".into());
    let (tx, rx) = mpsc::channel::<Msg>();
    prepare_worktrees(ws, &queue, &tx, interrupt);
    // Ticket -> whether its worktree was just created (reported when it starts).
    let mut prepared: HashMap<String, bool> = HashMap::new();
    let mut running: HashMap<String, Slot> = HashMap::new();
    let mut cooldown: HashMap<String, Instant> = HashMap::new();
    let mut last_start: Option<Instant> = None;

    loop {
        let stopping = interrupt.load(std::sync::atomic::Ordering::SeqCst);
        if stopping {
            // Tickets not started yet are released untouched; running ones stop in their threads.
            for slot in queue.drain(..) {
                release(
                    &store,
                    &slot.plan.id,
                    State::Interrupted,
                    Some("stopped before it started"),
                )?;
                report(Event::Interrupted {
                    id: slot.plan.id.clone(),
                });
                summary.interrupted.push(slot.plan.id);
            }
        }
        // Start what may start now.
        while !stopping && running.len() < jobs {
            let now = Instant::now();
            if last_start.is_some_and(|t| now < t + settings.stagger) {
                break;
            }
            // The startable ticket on the longest remaining chain (queue order breaks ties).
            // If its worktree is still being made, wait for it (milliseconds) rather than
            // start a less urgent ticket in its place.
            let Some(pos) = queue
                .iter()
                .enumerate()
                .filter(|(_, s)| {
                    s.not_before <= now
                        && cooldown
                            .get(&s.plan.agent.profile)
                            .is_none_or(|c| *c <= now)
                })
                .max_by(|(i, a), (j, b)| a.plan.priority.cmp(&b.plan.priority).then(j.cmp(i)))
                .map(|(i, _)| i)
                .filter(|&i| prepared.contains_key(&queue[i].plan.id))
            else {
                break;
            };
            let slot = queue.remove(pos).expect("position is in range");
            if prepared.insert(slot.plan.id.clone(), false) == Some(true) {
                report(Event::WorktreeCreated {
                    id: slot.plan.id.clone(),
                    path: slot.plan.worktree.clone(),
                    branch: open_branch(&slot.plan.worktree)
                        .unwrap_or_else(|| slot.plan.branch.clone()),
                });
            }
            trace(|| format!("start {}", slot.plan.id));
            match start(ws, &store, settings, &slot.plan, report, interrupt, &tx) {
                Ok(()) => {
                    last_start = Some(Instant::now());
                    running.insert(slot.plan.id.clone(), slot);
                }
                Err(e) => {
                    let reason = format!("{e:#}");
                    release(&store, &slot.plan.id, State::Failed, Some(&reason))?;
                    report(Event::Failed {
                        id: slot.plan.id.clone(),
                        reason: reason.clone(),
                    });
                    summary.failed.push((slot.plan.id, reason));
                }
            }
        }
        if running.is_empty() && queue.is_empty() {
            break;
        }
        // Sleep until an agent ends or the next start may be due.
        let next_due = queue
            .iter()
            .map(|s| {
                let c = cooldown
                    .get(&s.plan.agent.profile)
                    .copied()
                    .unwrap_or(s.not_before);
                s.not_before.max(c)
            })
            .chain(last_start.map(|t| t + settings.stagger))
            .min();
        let wait = next_due.map_or(Duration::from_millis(200), |d| {
            d.saturating_duration_since(Instant::now())
        });
        let wait = wait.clamp(Duration::from_millis(5), Duration::from_millis(200));
        let fin = match rx.recv_timeout(wait) {
            Ok(Msg::Finished {
                id,
                exit,
                started,
                after,
            }) => (id, exit, started, after),
            Ok(Msg::Prepared {
                id,
                result: Ok(created),
            }) => {
                trace(|| format!("prepared {id}"));
                prepared.insert(id, created);
                continue;
            }
            Ok(Msg::Prepared {
                id,
                result: Err(reason),
            }) => {
                if let Some(pos) = queue.iter().position(|s| s.plan.id == id) {
                    queue.remove(pos);
                    release(&store, &id, State::Failed, Some(&reason))?;
                    report(Event::Failed {
                        id: id.clone(),
                        reason: reason.clone(),
                    });
                    summary.failed.push((id, reason));
                }
                continue;
            }
            Err(_) => continue,
        };
        let (id, exit, started, after) = fin;
        trace(|| format!("finished {id}"));
        let fin = Finished { exit, after };
        let slot = running.remove(&id).expect("a running ticket finished");
        let ran = started.elapsed().as_secs_f64();
        match conclude(ws, &store, settings, &slot.plan, fin, ran)? {
            Next::Done {
                commits,
                autocommitted,
            } => {
                report(Event::Done {
                    id: id.clone(),
                    commits,
                    autocommitted,
                });
                summary.done.push(id.clone());
                if let Some(hook) = on_done.as_deref_mut() {
                    if !interrupt.load(std::sync::atomic::Ordering::SeqCst) {
                        match hook.done(ws, &id, report)? {
                            Ok(ready) => {
                                let slots =
                                    claim(&store, ready, rerun_failed, &mut summary, report)?;
                                let fresh: VecDeque<Slot> = slots.into();
                                prepare_worktrees(ws, &fresh, &tx, interrupt);
                                queue.extend(fresh);
                            }
                            Err(reason) => {
                                summary.done.retain(|d| d != &id);
                                summary
                                    .failed
                                    .push((id.clone(), format!("not merged: {reason}")));
                            }
                        }
                    }
                }
            }
            Next::Failed(reason) => {
                report(Event::Failed {
                    id: id.clone(),
                    reason: reason.clone(),
                });
                summary.failed.push((id, reason));
            }
            Next::Interrupted => {
                report(Event::Interrupted { id: id.clone() });
                summary.interrupted.push(id);
            }
            Next::RateLimited(wait) => {
                let until = Instant::now() + wait;
                // Every ticket of this profile shares the quota: none starts before `until`.
                let c = cooldown
                    .entry(slot.plan.agent.profile.clone())
                    .or_insert(until);
                *c = (*c).max(until);
                report(Event::RateLimited {
                    id: id.clone(),
                    wait,
                });
                queue.push_front(Slot {
                    not_before: until,
                    ..slot
                });
            }
            Next::Retry {
                attempt,
                wait,
                reason,
            } => {
                report(Event::Retrying {
                    id: id.clone(),
                    attempt,
                    wait,
                    reason,
                });
                queue.push_back(Slot {
                    not_before: Instant::now() + wait,
                    ..slot
                });
            }
        }
    }
    trace(|| "end".into());
    Ok(summary)
}

/// Why a ticket cannot be claimed by process `me`, if it cannot.
fn claim_refusal(n: &TicketNote, me: u32, rerun_failed: bool) -> Option<String> {
    match n.state {
        State::Done => return Some("already done".into()),
        State::Merged => return Some("already merged".into()),
        State::Conflict => return Some("has a propagation conflict; resolve it first".into()),
        State::Failed if !rerun_failed => {
            return Some(format!(
                "failed ({}); `git epic run <id>` tries it again",
                n.reason.as_deref().unwrap_or("attempts used up")
            ))
        }
        _ => {}
    }
    if n.owner_pid != Some(me) && n.owner_alive() {
        return Some(format!(
            "already being run by git epic (pid {})",
            n.owner_pid.unwrap_or(0)
        ));
    }
    if n.state == State::Running && n.agent_alive() {
        return Some(format!(
            "its agent from an earlier run is still running (pid {}); stop it or wait",
            n.pid.unwrap_or(0)
        ));
    }
    None
}

/// Record the end of our hold on a ticket.
fn release(store: &Store<'_>, id: &str, to: State, reason: Option<&str>) -> Result<()> {
    store.update(id, |n| {
        n.state = to;
        n.owner_pid = None;
        n.owner_start = None;
        n.pid = None;
        n.pid_start = None;
        n.reason = reason.map(str::to_owned);
        Ok(())
    })?;
    Ok(())
}

/// Spawn the agent in its (prepared) worktree, record it, and hand it to a waiting thread.
fn start(
    ws: &Workspace,
    store: &Store<'_>,
    settings: &Settings,
    plan: &Planned,
    report: &dyn Fn(Event),
    interrupt: &'static AtomicBool,
    tx: &mpsc::Sender<Msg>,
) -> Result<()> {
    let branch = open_branch(&plan.worktree).unwrap_or_else(|| plan.branch.clone());
    let note = store.update(&plan.id, |n| {
        n.state = State::Running;
        n.attempts += 1;
        n.branch = Some(branch.clone());
        n.rate_limited_until = None;
        n.reason = None;
        let now = state::now();
        n.started_at.get_or_insert(now);
        n.run_started_at = Some(now);
        Ok(())
    })?;
    let log = ws.log_path(&plan.id);
    let header = format!(
        "=== git-epic {}: ticket {} attempt {} at {} in {}: {} ===",
        ws.epic.name,
        plan.id,
        note.attempts,
        gix::date::Time::now_local_or_utc().format_or_unix(gix::date::time::format::ISO8601),
        plan.worktree.display(),
        plan.agent.argv.join(" ")
    );
    let env = [
        ("EPIC_NAME", ws.epic.name.clone()),
        ("EPIC_TICKET", plan.id.clone()),
        ("EPIC_BASE", ws.epic.branch.clone()),
    ];
    let stdin = (plan.prompt_via == PromptVia::Stdin).then_some(plan.prompt.as_str());
    let child = agent::spawn(&agent::Spawn {
        dir: &plan.worktree,
        argv: &plan.argv,
        stdin,
        env: &env,
        log: &log,
        header: &header,
    })?;
    let pid = child.pid;
    store.update(&plan.id, |n| {
        n.pid = Some(pid);
        n.pid_start = process::start_time(pid);
        Ok(())
    })?;
    report(Event::Started {
        id: plan.id.clone(),
        attempt: note.attempts,
        pid,
        log,
    });
    let tx = tx.clone();
    let id = plan.id.clone();
    let timeout = settings.timeout;
    let started = Instant::now();
    let worktree = plan.worktree.clone();
    let epic_branch = ws.epic.branch.clone();
    let commit_message = settings.auto_commit.then(|| {
        format!(
            "epic({}): {} {}\n\nCommitted by git-epic: the agent left these changes uncommitted.",
            ws.epic.name, plan.id, plan.title
        )
    });
    std::thread::spawn(move || {
        let exit = child.wait(timeout, interrupt);
        let after = (exit == Exit::Code(0))
            .then(|| after_clean_exit(&worktree, &epic_branch, commit_message.as_deref()));
        let _ = tx.send(Msg::Finished {
            id,
            exit,
            started,
            after,
        });
    });
    Ok(())
}

fn open_branch(worktree: &std::path::Path) -> Option<String> {
    let repo = gix::open(worktree).ok()?;
    gitx::current_branch(&repo).ok().flatten()
}

enum Next {
    Done {
        commits: usize,
        autocommitted: bool,
    },
    Failed(String),
    Interrupted,
    RateLimited(Duration),
    Retry {
        attempt: u32,
        wait: Duration,
        reason: String,
    },
}

/// Classify an ended attempt and record it.
fn conclude(
    ws: &Workspace,
    store: &Store<'_>,
    settings: &Settings,
    plan: &Planned,
    fin: Finished,
    ran: f64,
) -> Result<Next> {
    let exit = &fin.exit;
    let log = ws.log_path(&plan.id);
    let note = store.get(&plan.id)?.unwrap_or_default();
    let attempt = note.attempts;
    let finish = |n: &mut TicketNote| {
        n.run_s += ran;
        n.finished_at = Some(state::now());
        n.pid = None;
        n.pid_start = None;
    };
    let footer = |what: &str| {
        let _ = agent::log_line(
            &log,
            &format!(
                "=== git-epic: attempt {attempt} of {} {what} after {:.1}s ===",
                plan.id, ran
            ),
        );
    };
    match exit {
        Exit::Interrupted => {
            footer("was stopped (interrupted)");
            store.update(&plan.id, |n| {
                finish(n);
                n.state = State::Interrupted;
                n.reason = Some("stopped by a signal to git epic".into());
                n.owner_pid = None;
                n.owner_start = None;
                Ok(())
            })?;
            Ok(Next::Interrupted)
        }
        Exit::Code(0) => {
            let after = fin
                .after
                .unwrap_or_else(|| after_clean_exit(&plan.worktree, &ws.epic.branch, None));
            let (autocommitted, problem) = match after.autocommit {
                Ok(c) => (c, None),
                Err(p) => (false, Some(p)),
            };
            let commits = after.commits;
            footer(&format!(
                "exited 0 with {commits} commit(s) beyond the epic"
            ));
            let reason = match (problem, commits) {
                (Some(p), _) => Some(p),
                (None, 0) => Some("agent made no changes".to_owned()),
                (None, _) => None,
            };
            store.update(&plan.id, |n| {
                finish(n);
                n.owner_pid = None;
                n.owner_start = None;
                n.state = if reason.is_none() {
                    State::Done
                } else {
                    State::Failed
                };
                n.reason = reason.clone();
                Ok(())
            })?;
            Ok(match reason {
                None => Next::Done {
                    commits,
                    autocommitted,
                },
                Some(r) => Next::Failed(r),
            })
        }
        _ => {
            let what = match exit {
                Exit::Code(c) => format!("exit code {c}"),
                Exit::Signal(s) => format!("killed by signal {s}"),
                Exit::TimedOut => {
                    format!(
                        "timed out after {}",
                        settings.timeout.map_or(0, |t| t.as_secs())
                    ) + "s"
                }
                _ => unreachable!("handled above"),
            };
            let lines = attempt_tail(&log, 50);
            if *exit != Exit::TimedOut
                && lines.iter().any(|l| {
                    plan.agent
                        .rate_limit_pattern
                        .as_ref()
                        .unwrap_or(&settings.rate_limit_pattern)
                        .is_match(l)
                })
            {
                let wait = crate::ratelimit::reset_wait(&lines, state::now())
                    .unwrap_or(settings.rate_limit_wait);
                footer(&format!(
                    "hit a rate limit ({what}); waiting {}s",
                    wait.as_secs()
                ));
                store.update(&plan.id, |n| {
                    finish(n);
                    n.state = State::RateLimited;
                    // A rate limit is not the agent's failure: it does not use an attempt.
                    n.attempts = n.attempts.saturating_sub(1);
                    n.rate_limit_waits += 1;
                    n.rate_limit_wait_s += wait.as_secs_f64();
                    n.rate_limited_until = Some(state::now() + wait.as_secs_f64());
                    n.reason = Some(format!("rate limited ({what})"));
                    Ok(())
                })?;
                return Ok(Next::RateLimited(wait));
            }
            footer(&format!("failed ({what})"));
            if attempt < settings.max_attempts {
                let wait = settings.retry_wait * 2u32.saturating_pow(attempt.saturating_sub(1));
                store.update(&plan.id, |n| {
                    finish(n);
                    n.state = State::Pending;
                    n.reason = Some(format!("attempt {attempt} failed ({what}); retrying"));
                    Ok(())
                })?;
                Ok(Next::Retry {
                    attempt,
                    wait,
                    reason: what,
                })
            } else {
                let reason = format!("{what} on attempt {attempt} of {}", settings.max_attempts);
                store.update(&plan.id, |n| {
                    finish(n);
                    n.state = State::Failed;
                    n.reason = Some(reason.clone());
                    n.owner_pid = None;
                    n.owner_start = None;
                    Ok(())
                })?;
                Ok(Next::Failed(reason))
            }
        }
    }
}

/// The last `n` lines of the latest attempt (git-epic's own lines left out).
fn attempt_tail(log: &std::path::Path, n: usize) -> Vec<String> {
    let mut lines = log::tail_lines(log, n + 2);
    if let Some(i) = lines
        .iter()
        .rposition(|l| l.starts_with("=== git-epic ") && l.contains(" attempt "))
    {
        lines.drain(..=i);
    }
    lines.retain(|l| !l.starts_with("=== git-epic"));
    lines
}
