//! The time, as the notes and the logs record it.

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix time now, in seconds.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
