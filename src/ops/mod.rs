//! Operations: one stage or command of the work each (run, review, merge, propagate, share
//! with other machines, status, cleanup, finish). Imports the model and infrastructure, never
//! flow or cli (docs/architecture.md).

pub mod cleanup;
pub mod context;
pub mod control;
pub mod cooldown;
pub mod demo;
pub mod doctor;
pub mod finish;
pub mod foreground;
pub mod forge;
pub mod import;
pub mod merge;
pub mod monitor;
pub mod needs;
pub mod notify;
pub mod propagate;
pub mod remote;
pub mod report;
pub mod review;
pub mod runner;
pub mod split;
pub mod status;
pub mod sync;
pub mod watch;
pub mod worktree;
