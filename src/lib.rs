//! git-epic: run many coding agents in parallel on one epic, safely.
//!
//! The library does the work and never prints; `cli` parses arguments and renders results.

pub mod cli;
pub mod flow;
pub mod infra;
pub mod model;
pub mod ops;

/// The man pages and completions, made from the command line's definition (it lives in
/// `cli`; tests and packagers reach it here).
pub use cli::docgen;
