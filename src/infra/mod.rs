//! Infrastructure, the lowest layer: git access, processes, the clock, the host's identity,
//! config, logs and the pure text rules (scope globs, limit wordings). It imports nothing of
//! the layers above (docs/architecture.md).

pub mod clock;
pub mod config;
pub mod error;
pub mod gitx;
pub mod host;
pub mod interrupt;
pub mod keys;
pub mod log;
pub mod presets;
pub mod process;
pub mod ratelimit;
pub mod sandbox;
pub mod scope;
pub mod suggest;
pub mod supervisor;
pub mod trace;
pub mod usercmd;
pub mod watch;
