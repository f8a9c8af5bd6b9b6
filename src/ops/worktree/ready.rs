//! A worktree made ready to work in, before any agent or test runs there: its submodules
//! checked out (from the main checkout's copies), the ignored files it needs carried over
//! (`.worktreeinclude`, `epic.include`), then `epic.setup` run once. Each step is marked in
//! the worktree's own git dir when done, so that a command killed half-way leaves the next
//! one to finish it, and a retried ticket does not set up again.

use std::path::Path;

use super::carry;
use crate::infra::config;
use crate::infra::error::Result;
use crate::infra::gitx;
use crate::infra::log::log_line;
use crate::infra::usercmd;

/// What new worktrees of an epic get, from config.
#[derive(Debug, Clone, Default)]
pub struct Readiness {
    /// `epicAgent.<profile>.setup`, else `epic.setup`: split into words, run without a shell.
    pub setup: Option<String>,
    /// `epic.include`: globs (gitignore syntax) carried besides `.worktreeinclude`.
    pub include: Vec<String>,
}

impl Readiness {
    /// The readiness of `epic`'s worktrees whose agent is of `profile` (None: the queue's
    /// and git-epic's own worktrees). A setup command that does not split into words is
    /// bad input.
    pub fn load(repo: &gix::Repository, epic: &str, profile: Option<&str>) -> Result<Readiness> {
        Ok(Readiness {
            setup: config::setup_of(repo, epic, profile)?,
            include: config::include_of(repo, epic),
        })
    }
}

/// Why a worktree is not ready: said to the user as the ticket's reason.
#[derive(Debug)]
pub enum NotReady {
    /// A submodule could not be checked out.
    Submodules(String),
    /// The ignored files could not be carried.
    Carry(String),
    /// `epic.setup` failed: its exit and last lines.
    Setup(String),
}

impl std::fmt::Display for NotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotReady::Submodules(why) => write!(f, "{why}"),
            NotReady::Carry(why) => write!(f, "the ignored files could not be carried: {why}"),
            NotReady::Setup(why) => write!(f, "epic.setup failed: {why}"),
        }
    }
}

/// The setup command that last ran green in a worktree, in its git dir.
const SETUP_DONE: &str = "epic-setup";

/// Make the worktree `wt` of the checkout at `root` ready (what it already has is not done
/// again), saying what was done in `log`. `ours`: a scratch worktree of git-epic's own,
/// whose submodules are always put on the commits its tree records.
pub fn prepare(
    root: &Path,
    wt: &Path,
    r: &Readiness,
    log: &Path,
    ours: bool,
) -> std::result::Result<(), NotReady> {
    let fresh = gitx::is_unready(wt);
    let say = |line: &str| {
        if let Some(dir) = log.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = log_line(log, &format!("=== git-epic: {line} ==="));
    };
    // A worktree made before this git-epic, or that an agent has worked in, is only given
    // the submodules it lacks: what is there may be someone's work.
    let follow = if fresh || ours {
        gitx::Follow::All
    } else {
        gitx::Follow::Missing
    };
    let n = gitx::checkout_submodules(root, wt, follow)
        .map_err(|e| NotReady::Submodules(format!("{e:#}")))?;
    if n > 0 && fresh {
        say(&format!("{n} submodule(s) checked out in {}", wt.display()));
    }
    if fresh {
        let files =
            carry::select(root, &r.include).map_err(|e| NotReady::Carry(format!("{e:#}")))?;
        if !files.is_empty() {
            let c =
                carry::carry(root, wt, &files).map_err(|e| NotReady::Carry(format!("{e:#}")))?;
            say(&format!(
                "carried {} ignored file(s), {} KiB, from {} by {} in {:.2}s",
                c.files,
                c.bytes / 1024,
                root.display(),
                if c.cloned {
                    "copy-on-write clone"
                } else {
                    "copy"
                },
                c.seconds
            ));
        }
        gitx::mark_ready(wt).map_err(|e| NotReady::Carry(format!("{e:#}")))?;
    }
    if let Some(setup) = &r.setup {
        setup_once(wt, setup, log)?;
    }
    Ok(())
}

/// Run `setup` in `wt` unless it already ran green there.
fn setup_once(wt: &Path, setup: &str, log: &Path) -> std::result::Result<(), NotReady> {
    let marker = gix::open(wt)
        .map(|r| r.git_dir().join(SETUP_DONE))
        .map_err(|e| NotReady::Setup(e.to_string()))?;
    if std::fs::read_to_string(&marker).is_ok_and(|done| done == setup) {
        return Ok(());
    }
    let ran = usercmd::run_words("setup", setup, wt, log)
        .map_err(|e| NotReady::Setup(format!("{e:#}")))?;
    if !ran.ok {
        let code = ran.code.map_or("killed by a signal".to_owned(), |c| {
            format!("exit code {c}")
        });
        let last = ran.errors.last().or(ran.tail.last());
        return Err(NotReady::Setup(match last {
            Some(line) => format!("`{setup}` ({code}): {}", line.trim()),
            None => format!("`{setup}` ({code})"),
        }));
    }
    std::fs::write(&marker, setup).map_err(|e| NotReady::Setup(e.to_string()))?;
    Ok(())
}
