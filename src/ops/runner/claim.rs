//! Holding tickets: claimed for this process before they run, released when they end
//! short, and their worktrees made ahead of their start.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use super::launch::{adoptable, Adopted};
use super::scheduler::Msg;
use super::{shared, Event, Planned, Summary};
use crate::infra::error::Result;
use crate::model::epic::Workspace;
use crate::model::state::{self, State, Store, TicketNote};
use crate::ops::worktree::ready::{self, Readiness};
use crate::{infra::gitx, infra::process};

/// Per ticket, where the scheduler is.
pub(super) struct Slot {
    pub(super) plan: Planned,
    pub(super) not_before: Instant,
    /// `not_before` is a rate limit's wait (not a retry's after a failure).
    pub(super) limited: bool,
    /// A run an earlier orchestrator started, whose supervisor lives on (or has recorded
    /// its end): it is waited for and concluded, never started again.
    pub(super) adopt: Option<Adopted>,
}

/// Why a queued ticket's worktree could not be had.
pub(in crate::ops::runner) enum Unprepared {
    /// No worktree: the ticket fails.
    Worktree(String),
    /// The worktree is there but not ready (a submodule missing, setup red): the ticket is
    /// left as it was, no attempt spent, for the next run to try again.
    NotReady(String),
}

/// Worktrees made ready side by side at most (a setup command can take minutes).
const PREPARERS: usize = 4;

/// Make the worktrees of queued tickets in the background, in queue order, while earlier
/// agents run, and make them ready (submodules, carried files, setup): all of that then
/// costs nothing on the critical path.
pub(super) fn prepare_worktrees<'a>(
    ws: &Workspace,
    plans: impl IntoIterator<Item = &'a Planned>,
    tx: &mpsc::Sender<Msg>,
    interrupt: &'static AtomicBool,
) {
    let root = ws.root.clone();
    let start = ws.epic.branch.clone();
    let jobs: Vec<Job> = plans
        .into_iter()
        .map(|p| Job {
            id: p.id.clone(),
            path: p.worktree.clone(),
            branch: p.branch.clone(),
            log: p.log.clone(),
            ready: Readiness::load(&ws.repo, &ws.epic.name, Some(&p.agent.profile))
                .map_err(|e| format!("{e:#}")),
        })
        .collect();
    if jobs.is_empty() {
        return;
    }
    let tx = tx.clone();
    std::thread::spawn(move || {
        if jobs.iter().any(|j| !j.path.join(".git").exists()) {
            let _ = gitx::prune_worktrees(&root);
        }
        let workers = jobs.len().min(PREPARERS);
        let jobs = Arc::new(Mutex::new(VecDeque::from(jobs)));
        for _ in 0..workers {
            let (jobs, tx, root, start) = (jobs.clone(), tx.clone(), root.clone(), start.clone());
            std::thread::spawn(move || prepare_each(&jobs, &tx, &root, &start, interrupt));
        }
    });
}

/// Take queued jobs one by one until none is left.
fn prepare_each(
    jobs: &Mutex<VecDeque<Job>>,
    tx: &mpsc::Sender<Msg>,
    root: &std::path::Path,
    start: &str,
    interrupt: &'static AtomicBool,
) {
    loop {
        let job = jobs.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
        let Some(job) = job else { break };
        if interrupt.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        let result = gitx::ensure_worktree(root, &job.path, &job.branch, start)
            .map_err(|e| Unprepared::Worktree(format!("{e:#}")))
            .and_then(|created| {
                let readiness = job.ready.map_err(Unprepared::NotReady)?;
                ready::prepare(root, &job.path, &readiness, &job.log, false)
                    .map(|()| created)
                    .map_err(|e| Unprepared::NotReady(format!("not ready: {e}")))
            });
        if tx.send(Msg::Prepared { id: job.id, result }).is_err() {
            break;
        }
    }
}

struct Job {
    id: String,
    path: PathBuf,
    branch: String,
    log: PathBuf,
    /// Checked when the run was planned; read again here.
    ready: std::result::Result<Readiness, String>,
}

/// Claim `planned` for this process (compare-and-swap on each note), so a second
/// orchestrator never starts one of ours; refusals are reported and summed up.
pub(super) fn claim(
    ws: &Workspace,
    planned: Vec<Planned>,
    rerun_failed: bool,
    summary: &mut Summary,
    report: &dyn Fn(Event),
) -> Result<Vec<Slot>> {
    let store = &Store::new(&ws.repo, &ws.epic.name);
    if planned.is_empty() {
        return Ok(Vec::new());
    }
    // Through a remote, other machines' claims come in first (ours go out as each ticket
    // starts: see `shared::claim_ahead`).
    shared::exchange(ws, report);
    let me = std::process::id();
    let me_start = process::start_time(me);
    let host = store.host();
    // One notes commit for all of them: a run of many tickets starts at once.
    let ids: Vec<&str> = planned.iter().map(|p| p.id.as_str()).collect();
    let logs: HashMap<&str, &PathBuf> = planned.iter().map(|p| (p.id.as_str(), &p.log)).collect();
    let mut seen: HashMap<String, (Option<String>, Option<String>, bool)> = HashMap::new();
    let notes = store.update_many(&ids, |id, n| {
        let holder = n.claimed_elsewhere();
        let refusal = claim_refusal(n, me, rerun_failed).or_else(|| {
            // A live agent whose run cannot be adopted (noted by an older git-epic).
            (n.state == State::Running && n.agent_alive() && adoptable(n, logs[id]).is_none()).then(
                || {
                    format!(
                        "its agent from an earlier run is still running (pid {}); stop it or wait",
                        n.pid.unwrap_or(0)
                    )
                },
            )
        });
        seen.insert(id.to_owned(), (refusal.clone(), holder, n.is_local()));
        if refusal.is_none() {
            if n.state == State::Failed && rerun_failed {
                n.attempts = 0;
            }
            n.owner_pid = Some(me);
            n.owner_start = me_start;
            n.mark_mine(&host);
        }
        Ok(())
    })?;
    let mut slots = Vec::new();
    for (plan, note) in planned.into_iter().zip(notes) {
        let (refusal, holder, was_local) = seen.remove(&plan.id).expect("every note was seen");
        match refusal {
            Some(_) if holder.is_some() => {
                shared::elsewhere(summary, report, &plan.id, holder.as_deref().unwrap_or(""));
            }
            Some(reason) => {
                report(Event::Skipped {
                    id: plan.id.clone(),
                    reason: reason.clone(),
                });
                summary.skipped.push((plan.id, reason));
            }
            None => {
                // A rate-limit wait recorded by a killed run still holds (on this machine,
                // or on every machine when the account is shared).
                let wait = note
                    .rate_limited_until
                    .filter(|_| was_local || plan.agent.shared_account)
                    .map_or(0.0, |u| u - state::now())
                    .max(0.0);
                let adopt = adoptable(&note, &plan.log);
                slots.push(Slot {
                    plan,
                    not_before: Instant::now() + Duration::from_secs_f64(wait),
                    limited: wait > 0.0,
                    adopt,
                });
            }
        }
    }
    Ok(slots)
}

/// A ticket that could not start: failed, with why.
pub(super) fn fail(
    store: &Store<'_>,
    summary: &mut Summary,
    report: &dyn Fn(Event),
    id: String,
    reason: String,
) -> Result<()> {
    release(store, &id, State::Failed, Some(&reason))?;
    report(Event::Failed {
        id: id.clone(),
        reason: reason.clone(),
    });
    summary.failed.push((id, reason));
    Ok(())
}

pub(super) fn worktree_created(p: &Planned) -> Event {
    Event::WorktreeCreated {
        id: p.id.clone(),
        path: p.worktree.clone(),
        branch: open_branch(&p.worktree).unwrap_or_else(|| p.branch.clone()),
    }
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
    if let Some(host) = n.claimed_elsewhere() {
        return Some(format!("claimed by git epic on {host}"));
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
pub(super) fn release(store: &Store<'_>, id: &str, to: State, reason: Option<&str>) -> Result<()> {
    store.update(id, |n| {
        if !n.is_local() {
            // Another machine's claim came in (or its run ended there): the note is
            // theirs now, not ours to write.
            return Ok(());
        }
        n.claim_until = None;
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

pub(super) fn open_branch(worktree: &std::path::Path) -> Option<String> {
    let repo = gix::open(worktree).ok()?;
    gitx::current_branch(&repo).ok().flatten()
}
