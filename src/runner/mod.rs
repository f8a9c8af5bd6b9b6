//! `wave start` and `run`: claim ready tickets, make their worktrees, run the agents in
//! parallel with stagger, retries, rate-limit cooldowns and timeouts, and record every step
//! in the notes so that a killed run resumes where it stopped.
//!
//! One thread (the caller's) owns the repository and every state change; each running
//! agent has a small thread that only waits for its process.

use std::collections::VecDeque;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::agent::{self, Exit};
use crate::config::{PromptVia, Settings};
use crate::epic::Workspace;
use crate::error::Result;
use crate::gitx;
use crate::state::{self, State, Store, TicketNote};

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

use claim::{release, Slot};
use conclude::after_clean_exit;
pub use events::{Event, MergeNews, OnDone, Summary};
use order::precedence;
use scheduler::{Msg, Scheduler};
pub use select::{prepare, select, Planned, Selection};

pub(crate) use crate::trace::trace;

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
