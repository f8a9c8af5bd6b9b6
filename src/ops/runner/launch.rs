//! Starting an agent run under its supervisor, or adopting one an earlier orchestrator
//! started, and the thread that waits for it to end.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::claim::{open_branch, Slot};
use super::conclude::after_clean_exit;
use super::scheduler::Msg;
use super::{Event, Planned};
use crate::infra::config::{PromptVia, Settings};
use crate::infra::error::Result;
use crate::infra::{gitx, sandbox};
use crate::model::agent::{self, Exit};
use crate::model::epic::Workspace;
use crate::model::state::{self, State, Store, TicketNote};

/// A run an earlier orchestrator started, found through its supervisor's record.
#[derive(Clone, Copy)]
pub(super) struct Adopted {
    pid: u32,
    pid_start: Option<u64>,
    log_offset: u64,
}

/// A run of the ticket that an earlier orchestrator started: found through the supervisor's
/// own record of the run's start.
pub(super) fn adoptable(note: &TicketNote, log: &std::path::Path) -> Option<Adopted> {
    if note.state != State::Running {
        return None;
    }
    // Alive, ended with its record, or gone without one (then concluded as lost): the run
    // happened, so it is concluded, never silently started again.
    let run = crate::infra::supervisor::read_run(log, note.run_id.as_deref()?)?;
    Some(Adopted {
        pid: run.supervisor,
        pid_start: run.supervisor_start,
        log_offset: run.offset,
    })
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
pub(super) fn start(
    ws: &Workspace,
    store: &Store<'_>,
    settings: &Settings,
    plan: &Planned,
    report: &dyn Fn(Event),
    interrupt: &'static AtomicBool,
    tx: &mpsc::Sender<Msg>,
) -> Result<()> {
    // A confined run whose supervisor was killed left the worktree on a detached HEAD with
    // its commits: onto the branch first (its next supervisor would, but the note names the
    // branch now).
    let _ = sandbox::reattach(&plan.worktree);
    let branch = open_branch(&plan.worktree).unwrap_or_else(|| plan.branch.clone());
    let mut stopped_because = None;
    // Names this run in the note and in the supervisor's record of its start, so that a
    // successor finds it even if this process dies before noting the supervisor's pid.
    let run_id = format!("{}-{}", std::process::id(), state::now());
    let note = store.update(&plan.id, |n| {
        // The wait it comes out of, as it happened (`report`'s WAITED).
        n.rate_limit_waited_s += n.waiting_so_far(state::now());
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
    // Never start an agent in a worktree a killed git left locked, or a killed propagate
    // left half-done.
    gitx::wait_out_index_lock(&plan.worktree);
    crate::ops::worktree::intent::recover_and_log(&plan.worktree, &plan.log)?;
    // The worktree exists now: its git dir is known for sure.
    let git_dirs = gitx::commit_dirs(&ws.repo, &plan.worktree);
    let prompt = match (&note.request, &resume) {
        (Some(req), _) => crate::model::prompt::with_request(&plan.prompt, req, resume.is_some()),
        (None, Some(_)) => continuation(stopped_because.as_deref()),
        (None, None) => plan.prompt.clone(),
    };
    let home = std::env::var_os("HOME").map_or_else(|| "/nonexistent".into(), PathBuf::from);
    let policy = sandbox::policy(
        &plan.agent.sandbox,
        &sandbox::Run {
            home: &home,
            root: &ws.root,
            worktree: &plan.worktree,
            common_dir: &git_dirs[0],
            git_dir: &git_dirs[1],
            program: &plan.agent.argv[0],
        },
    );
    let argv = agent::full_argv(
        &plan.agent,
        &prompt,
        plan.prompt_via,
        settings,
        resume.as_deref(),
        &git_dirs,
        policy.is_some() && plan.agent.sandbox.confines(),
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
        sandbox: policy.as_ref(),
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
        round: note
            .request
            .as_ref()
            .map(|r| format!("{} round {}", r.kind, r.round)),
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
pub(super) fn adopt(
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
