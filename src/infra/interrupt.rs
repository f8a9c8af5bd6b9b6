//! The process-wide stop flag, set on SIGINT, SIGTERM or SIGHUP.
//!
//! Agents run in their own process groups, so the terminal's Ctrl-C does not reach them:
//! the runner sees this flag and stops every group it started.

use std::sync::atomic::{AtomicBool, Ordering};

static FLAG: AtomicBool = AtomicBool::new(false);

pub fn flag() -> &'static AtomicBool {
    &FLAG
}

/// Install the handler once; later calls do nothing.
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| FLAG.store(true, Ordering::SeqCst));
    });
}

pub fn requested() -> bool {
    FLAG.load(Ordering::SeqCst)
}
