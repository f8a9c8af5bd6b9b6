//! What a run tells its caller: the events as it works, the flow-mode hook it hands done
//! tickets to, and the summary at its end.

use std::path::PathBuf;
use std::time::Duration;

use super::Planned;
use crate::infra::error::Result;
use crate::model::epic::Workspace;

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
        /// The fix or review round the run serves (`fix round 1`), if any: its attempts
        /// count from 1 again.
        round: Option<String>,
        pid: u32,
        log: PathBuf,
    },
    RateLimited {
        id: String,
        wait: Duration,
        /// When the wait ends (Unix time).
        until: f64,
    },
    /// A queued ticket waits for a rate limit: its own (`own`), or its agent profile's
    /// cooldown after another ticket of the profile hit it. Said at the start of a run, when
    /// the wait begins and when it changes.
    Waiting {
        id: String,
        profile: String,
        own: bool,
        /// When the wait ends (Unix time).
        until: f64,
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
    /// Flow mode: a done ticket waits for a reviewer (`epic.requireReview`) before it lands.
    AwaitsReview {
        id: String,
    },
    /// Flow mode: a done ticket was not merged; its dependents (if any) will not start.
    NotMerged {
        id: String,
        reason: String,
        dependents: Vec<String>,
    },
    /// Flow mode: a done ticket was not merged and goes back to an agent for a fix round.
    FixRound {
        id: String,
        round: u32,
        reason: String,
    },
    /// Flow mode: other open worktrees were brought onto the new epic.
    Propagated {
        summary: String,
    },
    /// The agent profile's account, shared by every machine of the epic, is rate limited
    /// (hit on another machine): the ticket waits for the reset.
    AccountLimited {
        id: String,
        profile: String,
        wait: Duration,
    },
    /// Another machine's claim on a ticket ran out (it died, or gave the ticket up): this
    /// one runs it.
    TakenOver {
        id: String,
    },
    /// A ticket done on another machine that went away before landing it (its claim ran
    /// out): this one lands it from the branch that machine pushed, without running it again.
    LandingTakenOver {
        id: String,
        host: String,
    },
    /// A ticket landed here while the remote could not be reached, whose landing the remote's
    /// epic (moved meanwhile) does not have: it lands again on it.
    Relanding {
        id: String,
    },
    /// `epic.sandbox` is auto and this machine cannot confine agents: they run unconfined.
    Unconfined {
        why: String,
    },
    /// The epic's remote cannot be reached: claims and states stay on this machine until
    /// `git epic sync`.
    LocalOnly {
        remote: String,
        why: String,
    },
}

/// What a merge started by [`OnDone::begin`] came to.
pub struct MergeNews {
    pub id: String,
    /// The merge commit and a summary of the propagation that followed, or why the ticket
    /// was not merged.
    pub result: std::result::Result<(String, Option<String>), String>,
    /// Not merged, and sent back to an agent for this fix round: run it again.
    pub fix_round: Option<u32>,
    /// Not merged because it waits for a reviewer (`epic.requireReview`): not a failure.
    pub awaits_review: bool,
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
    /// A ticket sent back for a fix round, to start again.
    fn again(&mut self, ws: &Workspace, id: &str) -> Result<Vec<Planned>>;
    /// The tickets that depend on `id` directly.
    fn dependents(&self, id: &str) -> Vec<String>;
    /// Whether a ticket still waiting depends on work another machine holds now.
    fn waits_on_others(&mut self, ws: &Workspace) -> Result<bool>;
    /// Tickets done on other machines whose claims ran out before they landed them, with
    /// their dependencies merged: to land here.
    fn stranded(&mut self, ws: &Workspace) -> Result<Vec<String>>;
}

/// The end of a run.
#[derive(Debug, Default)]
pub struct Summary {
    pub done: Vec<String>,
    /// Flow mode: done, and waiting for a reviewer before it lands (never a failure).
    pub awaiting_review: Vec<String>,
    pub failed: Vec<(String, String)>,
    pub interrupted: Vec<String>,
    pub skipped: Vec<(String, String)>,
    /// Tickets another machine holds or ran, with its name (through the epic's remote).
    pub elsewhere: Vec<(String, String)>,
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
        } else if !self.failed.is_empty() || !self.halted.is_empty() || self.fatal.is_some() {
            1
        } else {
            0
        }
    }
}
