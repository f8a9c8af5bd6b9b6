//! git-epic: run many coding agents in parallel on one epic, safely.
//!
//! The library does the work and never prints; `cli` parses arguments and renders results.

pub mod agent;
pub mod agents;
pub mod cleanup;
pub mod cli;
pub mod clock;
pub mod config;
pub mod context;
pub mod cooldown;
pub mod demo;
pub mod doctor;
pub mod epic;
pub mod error;
pub mod finish;
pub mod flow;
pub mod forge;
pub mod gitx;
pub mod graph;
pub mod host;
pub mod interrupt;
pub mod log;
pub mod merge;
pub mod monitor;
pub mod plan;
pub mod presets;
pub mod process;
pub mod prompt;
pub mod propagate;
pub mod ratelimit;
pub mod remote;
pub mod report;
pub mod review;
pub mod runner;
pub mod scope;
pub mod state;
pub mod status;
pub mod supervisor;
pub mod ticket;
pub mod trace;
pub mod usercmd;
pub mod worktree;

/// The man pages and completions, made from the command line's definition (it lives in
/// `cli`; tests and packagers reach it here).
pub use cli::docgen;
