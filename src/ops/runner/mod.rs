//! `wave start` and `run`: claim ready tickets, make their worktrees, run the agents in
//! parallel with stagger, retries, rate-limit cooldowns and timeouts, and record every step
//! in the notes so that a killed run resumes where it stopped.
//!
//! One thread (the caller's) owns the repository and every state change; each running
//! agent has a small thread that only waits for its process.
//!
//! Where to look:
//! - `select.rs`: which tickets a command runs, and their plans.
//! - `claim.rs`: holding them (claimed before they run, released when they end short), and
//!   their worktrees made ahead.
//! - `scheduler.rs`: the run itself, one step per method; `scheduler/messages.rs`: what it
//!   does on each message from the threads it started.
//! - `order.rs`: which queued ticket starts first.
//! - `launch.rs`: an agent started or adopted, and the thread that waits for it.
//! - `conclude.rs`: how an attempt ended, recorded in the note.
//! - `shared.rs`: the same run through the epic's remote (claims, exchanges, takeovers).
//! - `cooldown.rs`, `budget.rs`: rate-limit waits lifted early; stopping short (`epic.maxCost`).
//! - `events.rs`: what the run tells its caller.

use std::sync::atomic::AtomicBool;

use crate::infra::config::Settings;
use crate::infra::error::Result;
use crate::model::epic::Workspace;

mod budget;
mod claim;
mod conclude;
mod cooldown;
mod events;
mod launch;
mod order;
mod scheduler;
mod select;
mod shared;

pub use events::{Event, MergeNews, OnDone, Summary};
use scheduler::Scheduler;
pub use select::{prepare, select, Planned, Selection};

pub(crate) use crate::infra::trace::trace;

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
    on_done: Option<&mut dyn OnDone>,
) -> Result<Summary> {
    let auto = planned
        .iter()
        .any(|p| p.agent.sandbox.mode == crate::infra::sandbox::Mode::Auto);
    if let (true, crate::infra::sandbox::Support::None(why)) =
        (auto, crate::infra::sandbox::support())
    {
        report(Event::Unconfined { why });
    }
    Scheduler::new(
        ws,
        settings,
        planned,
        jobs,
        rerun_failed,
        interrupt,
        report,
        on_done,
    )?
    .run()
}
