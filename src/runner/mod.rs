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

use crate::agent::{self, Exit};
use crate::agents::Observed;
use crate::config::{PromptVia, Settings};
use crate::epic::Workspace;
use crate::error::Result;
use crate::state::{self, State, Store, TicketNote};
use crate::{gitx, process};

mod conclude;
mod select;

use conclude::{after_clean_exit, conclude, AfterExit, Finished, Next};
pub use select::{prepare, select, Planned, Selection};

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
    /// A run an earlier git epic started (its agent outlived it) is taken over.
    Adopted {
        id: String,
        pid: u32,
        log: PathBuf,
    },
    /// The ticket was left as it was: the run stops (agent error, budget spent).
    Halted {
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

/// What a merge started by [`OnDone::begin`] came to.
pub struct MergeNews {
    pub id: String,
    /// The merge commit and a summary of the propagation that followed, or why the ticket
    /// was not merged.
    pub result: std::result::Result<(String, Option<String>), String>,
}

/// Flow mode (`wave start --all --auto-merge`): done tickets are merged off the scheduler
/// thread, so agents keep starting while a merge's test gate runs.
pub trait OnDone {
    /// Start merging `id`; `notify` is called once, from any thread, with the news.
    fn begin(
        &mut self,
        ws: &Workspace,
        id: &str,
        notify: Box<dyn FnOnce(MergeNews) + Send>,
    ) -> Result<()>;
    /// After a merge: the tickets that became ready, to start.
    fn ready(&mut self, ws: &Workspace) -> Result<Vec<Planned>>;
}

/// The end of a run.
#[derive(Debug, Default)]
pub struct Summary {
    pub done: Vec<String>,
    pub failed: Vec<(String, String)>,
    pub interrupted: Vec<String>,
    pub skipped: Vec<(String, String)>,
    /// Tickets left as they were because the run stopped (agent error, budget spent).
    pub halted: Vec<(String, String)>,
    /// Why the run stopped before its end, in one sentence that says what to do.
    pub fatal: Option<String>,
}

impl Summary {
    /// 0 when every started ticket is done, 1 when any failed or the run was stopped by
    /// an agent error or the budget, 130 when interrupted.
    pub fn exit_code(&self) -> i32 {
        if !self.interrupted.is_empty() {
            130
        } else if !self.failed.is_empty() || self.fatal.is_some() {
            1
        } else {
            0
        }
    }
}

/// Per ticket, where the scheduler is.
struct Slot {
    plan: Planned,
    not_before: Instant,
    /// A run an earlier orchestrator started, whose supervisor lives on (or has recorded
    /// its end): it is waited for and concluded, never started again.
    adopt: Option<Adopted>,
}

#[derive(Clone, Copy)]
struct Adopted {
    pid: u32,
    pid_start: Option<u64>,
    log_offset: u64,
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
        observed: Box<Observed>,
        resumed: Option<String>,
    },
    Merged(MergeNews),
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
                let adopt = adoptable(&note, &plan.log);
                slots.push(Slot {
                    plan,
                    not_before: Instant::now() + Duration::from_secs_f64(wait),
                    adopt,
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
    let budget = Budget::new(ws, settings)?;

    trace(|| "claimed".into());
    let (tx, rx) = mpsc::channel::<Msg>();
    prepare_worktrees(ws, &queue, &tx, interrupt);
    // Ticket -> whether its worktree was just created (reported when it starts).
    let mut prepared: HashMap<String, bool> = HashMap::new();
    let mut running: HashMap<String, Slot> = HashMap::new();
    let mut cooldown: HashMap<String, Instant> = HashMap::new();
    let mut last_start: Option<Instant> = None;
    // Flow mode: merges under way in the background, by the merged ticket's priority.
    let mut merging: HashMap<String, usize> = HashMap::new();

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
        // Runs an earlier orchestrator started are running already: take them over first.
        while let Some(pos) = queue.iter().position(|s| s.adopt.is_some()) {
            let slot = queue.remove(pos).expect("position is in range");
            prepared.insert(slot.plan.id.clone(), false);
            adopt(ws, settings, &slot, report, interrupt, &tx)?;
            running.insert(slot.plan.id.clone(), slot);
        }
        // Start what may start now.
        while !stopping && running.len() < jobs {
            let now = Instant::now();
            if last_start.is_some_and(|t| now < t + settings.stagger) {
                break;
            }
            // The startable ticket on the longest remaining chain (queue order breaks ties).
            // If its worktree is still being made, wait for it (milliseconds) rather than
            // start a less urgent ticket in its place. Likewise while a merge is under way
            // whose dependents outrank every queued ticket: they are about to become ready.
            let held_for = merging.values().max().map_or(0, |p| p.saturating_sub(1));
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
                .filter(|&i| {
                    prepared.contains_key(&queue[i].plan.id) && queue[i].plan.priority >= held_for
                })
            else {
                break;
            };
            if let Some(sentence) = budget.spent_sentence(&store)? {
                halt(
                    &store,
                    &mut queue,
                    &mut summary,
                    report,
                    |_| true,
                    "not started: epic.maxCost reached",
                )?;
                summary.fatal.get_or_insert(sentence);
                break;
            }
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
        if running.is_empty() && queue.is_empty() && merging.is_empty() {
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
                observed,
                resumed,
            }) => (id, exit, started, after, observed, resumed),
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
            Ok(Msg::Merged(news)) => {
                merging.remove(&news.id);
                let id = news.id;
                match news.result {
                    Ok((commit, propagated)) => {
                        report(Event::Merged {
                            id: id.clone(),
                            commit,
                        });
                        if let Some(summary) = propagated {
                            report(Event::Propagated { summary });
                        }
                        if let Some(hook) = on_done.as_deref_mut() {
                            if !interrupt.load(std::sync::atomic::Ordering::SeqCst) {
                                let ready = hook.ready(ws)?;
                                let slots =
                                    claim(&store, ready, rerun_failed, &mut summary, report)?;
                                let fresh: VecDeque<Slot> = slots.into();
                                prepare_worktrees(ws, &fresh, &tx, interrupt);
                                queue.extend(fresh);
                            }
                        }
                    }
                    Err(reason) => {
                        report(Event::NotMerged {
                            id: id.clone(),
                            reason: reason.clone(),
                        });
                        summary.done.retain(|d| d != &id);
                        summary.failed.push((id, format!("not merged: {reason}")));
                    }
                }
                continue;
            }
            Err(_) => continue,
        };
        let (id, exit, started, after, observed, resumed) = fin;
        trace(|| format!("finished {id}"));
        let fin = Finished {
            exit,
            after,
            observed: *observed,
            resumed,
        };
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
                // After Ctrl-C a done ticket stays done: the next run merges it.
                let stopping = interrupt.load(std::sync::atomic::Ordering::SeqCst);
                if let Some(hook) = on_done.as_deref_mut().filter(|_| !stopping) {
                    let tx = tx.clone();
                    hook.begin(
                        ws,
                        &id,
                        Box::new(move |news| {
                            let _ = tx.send(Msg::Merged(news));
                        }),
                    )?;
                    merging.insert(id.clone(), slot.plan.priority);
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
                    adopt: None,
                    ..slot
                });
            }
            Next::Fatal(message) => {
                let profile = slot.plan.agent.profile.clone();
                let sentence = format!(
                    "The agent of profile `{profile}` cannot work: {message}; {}.",
                    slot.plan.agent.adapter.fatal_advice()
                );
                report(Event::Halted {
                    id: id.clone(),
                    reason: sentence.clone(),
                });
                summary.halted.push((id, message.clone()));
                halt(
                    &store,
                    &mut queue,
                    &mut summary,
                    report,
                    |s| s.plan.agent.profile == profile,
                    &format!("not started: profile `{profile}` hit an agent error"),
                )?;
                summary.fatal.get_or_insert(sentence);
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
                    adopt: None,
                    ..slot
                });
            }
        }
    }
    trace(|| "end".into());
    Ok(summary)
}

/// A run of the ticket that an earlier orchestrator started and whose supervisor lives on
/// or has recorded its end: found through the supervisor's own record of the run's start.
fn adoptable(note: &TicketNote, log: &std::path::Path) -> Option<Adopted> {
    if note.state != State::Running {
        return None;
    }
    let run = crate::supervisor::read_run(log, note.run_id.as_deref()?)?;
    let live = process::is_alive(run.supervisor, run.supervisor_start);
    (live || crate::supervisor::read_record(log, run.supervisor).is_some()).then_some(Adopted {
        pid: run.supervisor,
        pid_start: run.supervisor_start,
        log_offset: run.offset,
    })
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
    // A live agent of a dead orchestrator is adopted, not refused.
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

/// What the next attempt says to an agent whose session it continues: the ticket is in
/// the session already, so only the reason it stopped.
fn continuation(reason: Option<&str>) -> String {
    format!(
        "Your previous run on this ticket was cut short ({}). Continue where you left off and \
         finish the ticket as instructed above.",
        reason.unwrap_or("interrupted")
    )
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
    let mut stopped_because = None;
    // Names this run in the note and in the supervisor's record of its start, so that a
    // successor finds it even if this process dies before noting the supervisor's pid.
    let run_id = format!("{}-{}", std::process::id(), state::now());
    let note = store.update(&plan.id, |n| {
        n.state = State::Running;
        n.run_id = Some(run_id.clone());
        n.pid = None;
        n.pid_start = None;
        n.attempts += 1;
        n.branch = Some(branch.clone());
        n.rate_limited_until = None;
        stopped_because = n.reason.take();
        let now = state::now();
        n.started_at.get_or_insert(now);
        n.run_started_at = Some(now);
        Ok(())
    })?;
    let resume = note
        .resume_session
        .clone()
        .filter(|_| settings.resume && plan.agent.adapter.can_resume());
    // Never start an agent in a worktree a killed propagate left half-done.
    if let Some(what) = crate::propagate::intent::recover(&plan.worktree)? {
        let _ = agent::log_line(
            &plan.log,
            &format!("=== git-epic: an interrupted propagate was recovered: {what} ==="),
        );
    }
    // The worktree exists now: its git dir is known for sure.
    let git_dirs = gitx::commit_dirs(&ws.repo, &plan.worktree);
    let prompt = match &resume {
        Some(_) => continuation(stopped_because.as_deref()),
        None => plan.prompt.clone(),
    };
    let argv = agent::full_argv(
        &plan.agent,
        &prompt,
        plan.prompt_via,
        settings,
        resume.as_deref(),
        &git_dirs,
    );
    let log = ws.log_path(&plan.id);
    let header = format!(
        "=== git-epic {}: ticket {} attempt {} at {} in {}: {}{} ===",
        ws.epic.name,
        plan.id,
        note.attempts,
        gix::date::Time::now_local_or_utc().format_or_unix(gix::date::time::format::ISO8601),
        plan.worktree.display(),
        plan.agent.argv.join(" "),
        resume
            .as_deref()
            .map_or(String::new(), |s| format!(" (resuming session {s})"))
    );
    let env = [
        ("EPIC_NAME", ws.epic.name.clone()),
        ("EPIC_TICKET", plan.id.clone()),
        ("EPIC_BASE", ws.epic.branch.clone()),
    ];
    let stdin = (plan.prompt_via == PromptVia::Stdin).then_some(prompt.as_str());
    let child = agent::spawn(&agent::Spawn {
        dir: &plan.worktree,
        argv: &argv,
        stdin,
        env: &env,
        log: &log,
        header: &header,
        run: &run_id,
    })?;
    let pid = child.pid;
    store.update(&plan.id, |n| {
        n.pid = Some(pid);
        n.pid_start = child.pid_start;
        n.log_offset = Some(child.start);
        n.run_resumes.clone_from(&resume);
        Ok(())
    })?;
    report(Event::Started {
        id: plan.id.clone(),
        attempt: note.attempts,
        pid,
        log,
    });
    watch(
        ws,
        settings,
        plan,
        child,
        resume,
        Instant::now(),
        interrupt,
        tx,
    );
    Ok(())
}

/// Take over a run that an earlier orchestrator started: follow its log from where the run
/// began, and conclude it when its supervisor records the end (at once if it has).
fn adopt(
    ws: &Workspace,
    settings: &Settings,
    slot: &Slot,
    report: &dyn Fn(Event),
    interrupt: &'static AtomicBool,
    tx: &mpsc::Sender<Msg>,
) -> Result<()> {
    let a = slot.adopt.expect("an adopted slot");
    let plan = &slot.plan;
    let store = Store::new(&ws.repo, &ws.epic.name);
    let note = store.get(&plan.id)?.unwrap_or_default();
    let log = ws.log_path(&plan.id);
    report(Event::Adopted {
        id: plan.id.clone(),
        pid: a.pid,
        log: log.clone(),
    });
    let child = agent::adopt(a.pid, a.pid_start, &log, a.log_offset);
    // Its time counts from its start, not from this adoption.
    let ran = note
        .run_started_at
        .map_or(0.0, |t| (state::now() - t).max(0.0));
    let since = Instant::now()
        .checked_sub(Duration::from_secs_f64(ran))
        .unwrap_or_else(Instant::now);
    watch(
        ws,
        settings,
        plan,
        child,
        note.run_resumes,
        since,
        interrupt,
        tx,
    );
    Ok(())
}

/// A thread that waits for the run (started at `started`) to end and sends what it came to.
#[allow(clippy::too_many_arguments)]
fn watch(
    ws: &Workspace,
    settings: &Settings,
    plan: &Planned,
    child: agent::Running,
    resume: Option<String>,
    started: Instant,
    interrupt: &'static AtomicBool,
    tx: &mpsc::Sender<Msg>,
) {
    let tx = tx.clone();
    let id = plan.id.clone();
    let silence = settings.timeout;
    let mut reader = plan.agent.adapter.reader();
    let structured = plan.agent.adapter.structured;
    let worktree = plan.worktree.clone();
    let epic_branch = ws.epic.branch.clone();
    let commit_message = settings.auto_commit.then(|| {
        format!(
            "epic({}): {} {}\n\nCommitted by git-epic: the agent left these changes uncommitted.",
            ws.epic.name, plan.id, plan.title
        )
    });
    std::thread::spawn(move || {
        let exit = child.wait(&agent::Watch { silence, interrupt }, &mut reader);
        let observed = Box::new(reader.into_observed());
        let clean = exit == Exit::Code(0)
            && match &observed.result {
                Some(r) => !r.is_error,
                None => !structured,
            };
        let after =
            clean.then(|| after_clean_exit(&worktree, &epic_branch, commit_message.as_deref()));
        let _ = tx.send(Msg::Finished {
            id,
            exit,
            started,
            after,
            observed,
            resumed: resume,
        });
    });
}

/// Leave the queued tickets that `which` picks as they are (state, attempts), released
/// from this run with `reason`: the run stops starting them.
fn halt(
    store: &Store<'_>,
    queue: &mut VecDeque<Slot>,
    summary: &mut Summary,
    report: &dyn Fn(Event),
    which: impl Fn(&Slot) -> bool,
    reason: &str,
) -> Result<()> {
    let (gone, kept): (Vec<Slot>, Vec<Slot>) = queue.drain(..).partition(|s| which(s));
    queue.extend(kept);
    for slot in gone {
        store.update(&slot.plan.id, |n| {
            n.owner_pid = None;
            n.owner_start = None;
            n.reason = Some(reason.to_owned());
            Ok(())
        })?;
        report(Event::Halted {
            id: slot.plan.id.clone(),
            reason: reason.to_owned(),
        });
        summary.halted.push((slot.plan.id, reason.to_owned()));
    }
    Ok(())
}

/// `epic.maxCost`: what the epic's agents have spent, read from the notes before a start
/// (another git epic process may be spending too).
struct Budget {
    max: Option<f64>,
    ids: Vec<String>,
}

impl Budget {
    fn new(ws: &Workspace, settings: &Settings) -> Result<Budget> {
        let ids = match settings.max_cost {
            Some(_) => ws.graph()?.tickets.iter().map(|t| t.id.clone()).collect(),
            None => Vec::new(),
        };
        Ok(Budget {
            max: settings.max_cost,
            ids,
        })
    }

    /// Why no attempt may start, once the budget is spent.
    fn spent_sentence(&self, store: &Store<'_>) -> Result<Option<String>> {
        let Some(max) = self.max else {
            return Ok(None);
        };
        let ids: Vec<&str> = self.ids.iter().map(String::as_str).collect();
        let spent = state::total_cost(&store.get_many(&ids)?);
        Ok((spent >= max).then(|| {
            format!(
                "The epic's agents have spent ${spent:.2} of epic.maxCost ${max:.2}, so no new attempt starts; raise it with `git config epic.maxCost <amount>` to go on."
            )
        }))
    }
}

fn open_branch(worktree: &std::path::Path) -> Option<String> {
    let repo = gix::open(worktree).ok()?;
    gitx::current_branch(&repo).ok().flatten()
}
