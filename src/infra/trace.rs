//! `GIT_EPIC_TRACE=1` prints the steps of the scheduler and of the exchanges with the
//! remote, with times, to stderr, like `GIT_TRACE` does for git. The one place the library
//! writes to a terminal: for a developer chasing a race, never for a user.

use std::time::Instant;

/// Print `what()` when tracing is on (it is not computed otherwise).
pub fn trace(what: impl FnOnce() -> String) {
    static ON: std::sync::OnceLock<Option<Instant>> = std::sync::OnceLock::new();
    if let Some(t0) = ON.get_or_init(|| {
        std::env::var_os("GIT_EPIC_TRACE")
            .filter(|v| v != "0")
            .map(|_| Instant::now())
    }) {
        eprintln!(
            "trace {:>8.3}s @{:.3} {}",
            t0.elapsed().as_secs_f64(),
            crate::infra::clock::now() % 1000.0,
            what()
        );
    }
}
