//! How an agent run ended: classified (done, failed, rate limited, retry, interrupted) and
//! recorded in the ticket's note.

use std::time::Duration;

use anyhow::anyhow;

use crate::agent::{self, Exit};
use crate::config::Settings;
use crate::epic::Workspace;
use crate::error::Result;
use crate::state::{self, State, Store, TicketNote};
use crate::{gitx, log};

use super::Planned;

pub(super) struct Finished {
    pub exit: Exit,
    pub after: Option<AfterExit>,
}

/// What the agent left, looked at by its waiting thread after a clean exit so that these
/// git calls run in parallel and never hold up the next start.
pub(super) struct AfterExit {
    autocommit: std::result::Result<bool, String>,
    commits: usize,
}

pub(super) fn after_clean_exit(
    worktree: &std::path::Path,
    epic_branch: &str,
    commit_message: Option<&str>,
) -> AfterExit {
    let autocommit = match commit_message {
        Some(msg) => gitx::commit_all(worktree, msg)
            .map_err(|e| format!("could not commit what the agent left: {e:#}")),
        None => Ok(false),
    };
    let commits = (|| -> Result<usize> {
        let repo = gix::open(worktree)?;
        let epic = gitx::branch_tip(&repo, epic_branch)?
            .ok_or_else(|| anyhow!("the epic branch is gone"))?;
        let head = repo.head_id()?.detach();
        Ok(gitx::ahead_behind(&repo, head, epic)?.0)
    })()
    .unwrap_or(0);
    AfterExit {
        autocommit,
        commits,
    }
}

pub(super) enum Next {
    Done {
        commits: usize,
        autocommitted: bool,
    },
    Failed(String),
    Interrupted,
    RateLimited(Duration),
    Retry {
        attempt: u32,
        wait: Duration,
        reason: String,
    },
}

/// Classify an ended attempt and record it.
pub(super) fn conclude(
    ws: &Workspace,
    store: &Store<'_>,
    settings: &Settings,
    plan: &Planned,
    fin: Finished,
    ran: f64,
) -> Result<Next> {
    let exit = &fin.exit;
    let log = ws.log_path(&plan.id);
    let note = store.get(&plan.id)?.unwrap_or_default();
    let attempt = note.attempts;
    let finish = |n: &mut TicketNote| {
        n.run_s += ran;
        n.finished_at = Some(state::now());
        n.pid = None;
        n.pid_start = None;
    };
    let footer = |what: &str| {
        let _ = agent::log_line(
            &log,
            &format!(
                "=== git-epic: attempt {attempt} of {} {what} after {:.1}s ===",
                plan.id, ran
            ),
        );
    };
    match exit {
        Exit::Interrupted => {
            footer("was stopped (interrupted)");
            store.update(&plan.id, |n| {
                finish(n);
                n.state = State::Interrupted;
                n.reason = Some("stopped by a signal to git epic".into());
                n.owner_pid = None;
                n.owner_start = None;
                Ok(())
            })?;
            Ok(Next::Interrupted)
        }
        Exit::Code(0) => {
            let after = fin
                .after
                .unwrap_or_else(|| after_clean_exit(&plan.worktree, &ws.epic.branch, None));
            let (autocommitted, problem) = match after.autocommit {
                Ok(c) => (c, None),
                Err(p) => (false, Some(p)),
            };
            let commits = after.commits;
            footer(&format!(
                "exited 0 with {commits} commit(s) beyond the epic"
            ));
            let reason = match (problem, commits) {
                (Some(p), _) => Some(p),
                (None, 0) => Some("agent made no changes".to_owned()),
                (None, _) => None,
            };
            store.update(&plan.id, |n| {
                finish(n);
                n.owner_pid = None;
                n.owner_start = None;
                n.state = if reason.is_none() {
                    State::Done
                } else {
                    State::Failed
                };
                n.reason = reason.clone();
                Ok(())
            })?;
            Ok(match reason {
                None => Next::Done {
                    commits,
                    autocommitted,
                },
                Some(r) => Next::Failed(r),
            })
        }
        _ => {
            let what = match exit {
                Exit::Code(c) => format!("exit code {c}"),
                Exit::Signal(s) => format!("killed by signal {s}"),
                Exit::TimedOut => {
                    format!(
                        "timed out after {}",
                        settings.timeout.map_or(0, |t| t.as_secs())
                    ) + "s"
                }
                _ => unreachable!("handled above"),
            };
            let lines = attempt_tail(&log, 50);
            if *exit != Exit::TimedOut
                && lines.iter().any(|l| {
                    plan.agent
                        .rate_limit_pattern
                        .as_ref()
                        .unwrap_or(&settings.rate_limit_pattern)
                        .is_match(l)
                })
            {
                let wait = crate::ratelimit::reset_wait(&lines, state::now())
                    .unwrap_or(settings.rate_limit_wait);
                footer(&format!(
                    "hit a rate limit ({what}); waiting {}s",
                    wait.as_secs()
                ));
                store.update(&plan.id, |n| {
                    finish(n);
                    n.state = State::RateLimited;
                    // A rate limit is not the agent's failure: it does not use an attempt.
                    n.attempts = n.attempts.saturating_sub(1);
                    n.rate_limit_waits += 1;
                    n.rate_limit_wait_s += wait.as_secs_f64();
                    n.rate_limited_until = Some(state::now() + wait.as_secs_f64());
                    n.reason = Some(format!("rate limited ({what})"));
                    Ok(())
                })?;
                return Ok(Next::RateLimited(wait));
            }
            footer(&format!("failed ({what})"));
            if attempt < settings.max_attempts {
                let wait = settings.retry_wait * 2u32.saturating_pow(attempt.saturating_sub(1));
                store.update(&plan.id, |n| {
                    finish(n);
                    n.state = State::Pending;
                    n.reason = Some(format!("attempt {attempt} failed ({what}); retrying"));
                    Ok(())
                })?;
                Ok(Next::Retry {
                    attempt,
                    wait,
                    reason: what,
                })
            } else {
                let reason = format!("{what} on attempt {attempt} of {}", settings.max_attempts);
                store.update(&plan.id, |n| {
                    finish(n);
                    n.state = State::Failed;
                    n.reason = Some(reason.clone());
                    n.owner_pid = None;
                    n.owner_start = None;
                    Ok(())
                })?;
                Ok(Next::Failed(reason))
            }
        }
    }
}

/// The last `n` lines of the latest attempt (git-epic's own lines left out).
fn attempt_tail(log: &std::path::Path, n: usize) -> Vec<String> {
    let mut lines = log::tail_lines(log, n + 2);
    if let Some(i) = lines
        .iter()
        .rposition(|l| l.starts_with("=== git-epic ") && l.contains(" attempt "))
    {
        lines.drain(..=i);
    }
    lines.retain(|l| !l.starts_with("=== git-epic"));
    lines
}
