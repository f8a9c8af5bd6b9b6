//! Errors and their exit codes.
//!
//! Everything flows as `anyhow::Error`; a [`UsageError`] anywhere in the chain marks the
//! failure as the user's input (exit 2), everything else is a failure of the work (exit 1).

use std::fmt;

/// Bad input or usage: the command refused before changing anything.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The work ran but something failed (a ticket, a gate, a conflict); the CLI has already
/// reported the details, this only carries the exit code.
#[derive(Debug)]
pub struct WorkFailed(pub String);

impl fmt::Display for WorkFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WorkFailed {}

pub type Result<T, E = anyhow::Error> = std::result::Result<T, E>;

/// Build a usage error (exit 2) from a message.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(msg.into()))
}

/// `bail!` for usage errors.
#[macro_export]
macro_rules! bail_usage {
    ($($arg:tt)*) => {
        return Err($crate::infra::error::usage(format!($($arg)*)))
    };
}

/// The process exit code for an error.
pub fn exit_code(err: &anyhow::Error) -> i32 {
    if err.chain().any(|e| e.is::<UsageError>()) {
        2
    } else {
        1
    }
}

/// The disk or the file system under the repository refused a write: said first, in plain
/// words, with what to do. Everything git-epic writes is written whole or not at all (notes
/// by compare-and-swap, records by rename), so running again once the cause is gone
/// continues where the command stopped.
pub fn storage_problem(err: &anyhow::Error) -> Option<&'static str> {
    err.chain().find_map(|e| {
        let io = e.downcast_ref::<std::io::Error>();
        let kind = io.map(std::io::Error::kind);
        let text = e.to_string();
        if kind == Some(std::io::ErrorKind::StorageFull) || text.contains("(os error 28)") {
            Some("The disk is full (no space left on device): free some space and run the command again; it continues where it stopped.")
        } else if kind == Some(std::io::ErrorKind::ReadOnlyFilesystem)
            || text.contains("(os error 30)")
        {
            Some("The repository is on a read-only file system: make it writable and run the command again; it continues where it stopped.")
        } else {
            None
        }
    })
}
