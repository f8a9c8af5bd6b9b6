//! How an agent run ended: classified (done, failed, rate limited, retry, interrupted) and
//! recorded in the ticket's note.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::anyhow;

use crate::infra::config::Settings;
use crate::infra::error::Result;
use crate::model::agent::{self, Exit};
use crate::model::agents::{Observed, Tokens};
use crate::model::epic::Workspace;
use crate::model::state::{self, RunRecord, State, Store, TicketNote};
use crate::{infra::gitx, infra::log};

use super::Planned;

pub(super) struct Finished {
    pub exit: Exit,
    pub after: Option<AfterExit>,
    /// What the agent's structured output said.
    pub observed: Observed,
    /// The session this attempt continued, if it did.
    pub resumed: Option<String>,
}

/// What the agent left, looked at by its waiting thread after a clean exit so that these
/// git calls run in parallel and never hold up the next start.
#[derive(Clone)]
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

/// The wait on a reset time that is now or just past.
const MIN_RESET_WAIT: Duration = Duration::from_secs(5);

/// A limit that names no reset time waits `epic.rateLimitWait`, doubled for each such limit
/// hit in a row before it, up to this many times (8x).
const MAX_LIMIT_DOUBLINGS: u32 = 3;

/// The wait after a limit that named no reset time, the `streak`-th such limit in a row.
fn limit_backoff(base: Duration, streak: u32) -> Duration {
    base * 2u32.pow(streak.min(MAX_LIMIT_DOUBLINGS))
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
    /// An error retrying cannot fix (a refused login): no new attempt of this profile starts.
    Fatal(String),
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
    let seen = &fin.observed;
    let note = store.get(&plan.id)?.unwrap_or_default();
    let end = Ending::new(ws, store, plan, &fin, &note, ran);
    if *exit == Exit::Lost {
        return end.lost();
    }
    if *exit == Exit::Interrupted {
        return end.interrupted();
    }
    let result_error = seen.result.as_ref().filter(|r| r.is_error);
    // A structured agent always ends with its result: a clean exit without one was cut
    // short (gemini exits 0 on SIGTERM).
    let no_result = plan.agent.adapter.structured && seen.result.is_none();
    let failed = *exit != Exit::Code(0) || result_error.is_some() || no_result;
    if fin.resumed.is_some() && seen.resume_failed && failed {
        return end.resume_failed();
    }
    if !failed {
        let finish = |n: &mut TicketNote, outcome: &str| end.finish(n, outcome);
        return done(
            store,
            plan,
            &fin,
            &ws.epic.branch,
            &end.refused,
            finish,
            |w| end.footer(w),
        );
    }
    let what = match exit {
        Exit::Code(0) if seen.result.is_none() => "exit code 0 without a result".to_owned(),
        Exit::Code(c) => format!("exit code {c}"),
        Exit::Signal(s) => format!("killed by signal {s}"),
        Exit::TimedOut => format!(
            "no output for {}s (epic.timeout)",
            settings.timeout.map_or(0, |t| t.as_secs())
        ),
        Exit::Stopped => "stopped by git epic".to_owned(),
        Exit::Interrupted | Exit::Lost => unreachable!("handled above"),
    };
    // What the agent said: for a structured agent, its result and whatever it wrote
    // beside the stream (never the JSON, whose tool output may say anything).
    let mut said = attempt_tail(&end.log, 50);
    if plan.agent.adapter.structured {
        said.retain(|l| !l.trim_start().starts_with('{'));
        said.extend(seen.result.iter().map(|r| r.message.clone()));
    }
    let fatal = seen.fatal.clone().or_else(|| {
        said.iter()
            .find(|l| plan.agent.fatal_pattern.is_match(l))
            .map(|l| l.trim().to_owned())
    });
    if let Some(message) = fatal.filter(|_| *exit != Exit::TimedOut) {
        return end.stopped(message);
    }
    // A structured result says exactly whether a limit was hit; text is guessed from.
    let knows = plan.agent.adapter.structured && seen.result.is_some();
    let limited = seen.limit.is_some()
        || result_error.is_some_and(|r| r.api_status == Some(429))
        || (*exit != Exit::TimedOut
            && !knows
            && said.iter().any(|l| {
                plan.agent
                    .rate_limit_pattern
                    .as_ref()
                    .unwrap_or(&settings.rate_limit_pattern)
                    .is_match(l)
            }));
    if limited {
        return end.rate_limited(settings, &said, &what, note.rate_limit_streak);
    }
    // The agent's own words say more than an exit code: its error result, else the last
    // line it wrote to stderr.
    let said_on_stderr = said.iter().rev().find_map(|l| {
        l.strip_prefix(log::STDERR_MARK)
            .map(str::trim)
            .filter(|l| !l.is_empty())
    });
    let what = match (result_error, said_on_stderr) {
        (Some(r), _) if !r.message.trim().is_empty() => {
            format!("{what}: {}", r.message.lines().next().unwrap_or("").trim())
        }
        (_, Some(line)) => format!("{what}: {line}"),
        _ => what,
    };
    end.failed(settings, what)
}

/// An ended attempt being recorded: its run in the ticket's note, its footer in the log.
struct Ending<'a> {
    store: &'a Store<'a>,
    plan: &'a Planned,
    fin: &'a Finished,
    log: PathBuf,
    attempt: u32,
    ran: f64,
    cost_usd: Option<f64>,
    tokens: Tokens,
    fix_round: u32,
    review_round: u32,
    /// The session a next attempt continues, if the agent can resume one.
    resumable: Option<String>,
    /// What the sandbox refused the agent (its supervisor's record).
    refused: Vec<String>,
}

impl<'a> Ending<'a> {
    fn new(
        ws: &Workspace,
        store: &'a Store<'a>,
        plan: &'a Planned,
        fin: &'a Finished,
        note: &TicketNote,
        ran: f64,
    ) -> Ending<'a> {
        let seen = &fin.observed;
        let cost_usd = run_cost(seen.cost_usd, fin.resumed.as_deref(), &note.runs);
        let tokens = seen.run_tokens(
            note.runs
                .iter()
                .filter(|r| fin.resumed.is_some() && r.session_id == fin.resumed)
                .map(|r| &r.tokens),
        );
        // The request this run was given (still in the note until a done run clears it).
        let (fix_round, review_round) = state::round_of(note.request.as_ref());
        let resumable = plan
            .agent
            .adapter
            .can_resume()
            .then(|| seen.resumable_session(fin.resumed.as_deref()))
            .flatten()
            .map(str::to_owned);
        let log = ws.log_path(&plan.id);
        Ending {
            store,
            plan,
            fin,
            refused: crate::infra::supervisor::refused(&log),
            log,
            attempt: note.attempts,
            ran,
            cost_usd,
            tokens,
            fix_round,
            review_round,
            resumable,
        }
    }

    /// The attempt's run, recorded in note `n` with `outcome`.
    fn finish(&self, n: &mut TicketNote, outcome: &str) {
        n.run_s += self.ran;
        let now = state::now();
        n.finished_at = Some(now);
        n.pid = None;
        n.pid_start = None;
        n.add_run(RunRecord {
            attempt: self.attempt,
            outcome: outcome.to_owned(),
            ended_at: now,
            run_s: self.ran,
            tokens: self.tokens,
            cost_usd: self.cost_usd,
            session_id: self.fin.observed.session_id.clone(),
            resumed: self.fin.resumed.is_some(),
            fix_round: self.fix_round,
            review_round: self.review_round,
            sandbox_refused: self.refused.clone(),
        });
        // Only a run cut short by a limit or a signal is worth continuing.
        n.resume_session = None;
        // A run that got past the limit ends the streak of limits without a reset time.
        if !matches!(outcome, "rate_limited" | "interrupted" | "lost") {
            n.rate_limit_streak = 0;
        }
    }

    /// The log's last line about the attempt: it `what`.
    fn footer(&self, what: &str) {
        let _ = agent::log_line(
            &self.log,
            &format!(
                "=== git-epic: attempt {} of {} {what} after {:.1}s ===",
                self.attempt, self.plan.id, self.ran
            ),
        );
    }

    /// Killed with its supervisor (an OOM kill, a reboot): not the agent's failure. It
    /// runs again at once, continuing its session where it can.
    fn lost(&self) -> Result<Next> {
        self.footer("was lost (its supervisor was killed before the agent ended)");
        self.store.update(&self.plan.id, |n| {
            self.finish(n, "lost");
            n.attempts = n.attempts.saturating_sub(1);
            n.state = State::Pending;
            n.reason = Some("its agent was killed with its supervisor; running it again".into());
            n.resume_session.clone_from(&self.resumable);
            Ok(())
        })?;
        Ok(Next::Retry {
            attempt: self.attempt,
            wait: Duration::ZERO,
            reason: "its agent was killed with its supervisor".into(),
        })
    }

    fn interrupted(&self) -> Result<Next> {
        let why = "stopped by a signal to git epic";
        self.footer(&format!("was stopped ({why})"));
        self.store.update(&self.plan.id, |n| {
            self.finish(n, "interrupted");
            // Ctrl-C is not the agent's failure: the run that resumes it is the same attempt.
            n.attempts = n.attempts.saturating_sub(1);
            n.state = State::Interrupted;
            n.reason = Some(why.into());
            n.owner_pid = None;
            n.owner_start = None;
            n.resume_session.clone_from(&self.resumable);
            Ok(())
        })?;
        Ok(Next::Interrupted)
    }

    /// The CLI lost the session (cleaned up, another machine): start afresh at once.
    fn resume_failed(&self) -> Result<Next> {
        self.footer("could not resume its session; starting afresh");
        self.store.update(&self.plan.id, |n| {
            self.finish(n, "resume_failed");
            n.attempts = n.attempts.saturating_sub(1);
            n.state = State::Pending;
            n.reason = Some("its agent session could not be resumed; starting afresh".into());
            Ok(())
        })?;
        Ok(Next::Retry {
            attempt: self.attempt,
            wait: Duration::ZERO,
            reason: "agent session not found; starting afresh".into(),
        })
    }

    /// An agent error retrying cannot fix (`message`).
    fn stopped(&self, message: String) -> Result<Next> {
        self.footer(&format!("stopped: {message}"));
        self.store.update(&self.plan.id, |n| {
            self.finish(n, "stopped");
            // Not the ticket's failure: its state and attempts stay as they were.
            n.attempts = n.attempts.saturating_sub(1);
            n.state = State::Pending;
            n.reason = Some(format!("agent error: {message}"));
            n.owner_pid = None;
            n.owner_start = None;
            Ok(())
        })?;
        Ok(Next::Fatal(message))
    }

    /// A rate limit: wait for the reset time the agent named, or back off, doubling for
    /// each limit in a row (`streak` before this one) that named none.
    fn rate_limited(
        &self,
        settings: &Settings,
        said: &[String],
        what: &str,
        streak: u32,
    ) -> Result<Next> {
        let (plan, seen) = (self.plan, &self.fin.observed);
        let now = state::now();
        let told = limit_line(said, plan, settings, now);
        let named = seen
            .limit
            .as_ref()
            .and_then(|l| l.resets_at)
            .map(|at| Duration::from_secs_f64((at - now).max(0.0).ceil()))
            .or_else(|| crate::infra::ratelimit::reset_wait(said, now))
            // A reset that is now or just past (a time printed to the minute, a clock a
            // little ahead of the server's) may still hold for a few seconds: never retry
            // in a tight loop on it.
            .map(|w| {
                if w < Duration::from_secs(1) {
                    MIN_RESET_WAIT
                } else {
                    w
                }
            });
        // No reset time: wait and back off, doubling for each such limit in a row.
        let wait = named.unwrap_or_else(|| limit_backoff(settings.rate_limit_wait, streak));
        self.footer(&format!(
            "hit a rate limit ({what}); waiting {}s{}",
            wait.as_secs(),
            if named.is_some() {
                ""
            } else {
                " (no reset time named)"
            }
        ));
        self.store.update(&plan.id, |n| {
            self.finish(n, "rate_limited");
            n.state = State::RateLimited;
            if named.is_none() {
                n.rate_limit_streak = n.rate_limit_streak.saturating_add(1);
            }
            // A rate limit is not the agent's failure: it does not use an attempt.
            n.attempts = n.attempts.saturating_sub(1);
            n.rate_limit_waits += 1;
            n.rate_limit_wait_s += wait.as_secs_f64();
            n.rate_limited_until = Some(now + wait.as_secs_f64());
            n.rate_limit_profile = Some(plan.agent.profile.clone());
            n.rate_limit_said.clone_from(&told);
            n.rate_limit_no_reset = named.is_none();
            n.reason = Some(match seen.limit.as_ref().and_then(|l| l.kind.as_deref()) {
                Some(kind) => format!("rate limited ({kind} limit)"),
                None => format!("rate limited ({what})"),
            });
            n.resume_session.clone_from(&self.resumable);
            Ok(())
        })?;
        Ok(Next::RateLimited(wait))
    }

    /// A failure (`what`): retried after a wait that doubles with each attempt, or failed
    /// for good once `epic.maxAttempts` are used.
    fn failed(&self, settings: &Settings, what: String) -> Result<Next> {
        let attempt = self.attempt;
        self.footer(&format!("failed ({what})"));
        if attempt < settings.max_attempts {
            let wait = settings.retry_wait * 2u32.saturating_pow(attempt.saturating_sub(1));
            self.store.update(&self.plan.id, |n| {
                self.finish(n, "failed");
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
            self.store.update(&self.plan.id, |n| {
                self.finish(n, "failed");
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

/// The agent's line that told its limit (for `git epic agent list`): the last one that names
/// a reset time, else the last one the rate-limit pattern matches; cut to 300 characters.
fn limit_line(said: &[String], plan: &Planned, settings: &Settings, now: f64) -> Option<String> {
    let pattern = plan
        .agent
        .rate_limit_pattern
        .as_ref()
        .unwrap_or(&settings.rate_limit_pattern);
    said.iter()
        .rev()
        .find(|l| crate::infra::ratelimit::reset_wait(std::slice::from_ref(l), now).is_some())
        .or_else(|| said.iter().rev().find(|l| pattern.is_match(l)))
        .map(|l| l.trim().chars().take(300).collect())
}

/// A clean exit: done when the branch has commits beyond the epic.
fn done(
    store: &Store<'_>,
    plan: &Planned,
    fin: &Finished,
    epic_branch: &str,
    refused: &[String],
    finish: impl Fn(&mut TicketNote, &str),
    footer: impl Fn(&str),
) -> Result<Next> {
    let after = match &fin.after {
        Some(a) => a.clone(),
        None => after_clean_exit(&plan.worktree, epic_branch, None),
    };
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
        // Work the sandbox kept from happening is no work done, and says why.
        (None, 0) => Some(match refused.first() {
            Some(r) => format!("agent made no changes; the sandbox refused it: {r}"),
            None => "agent made no changes".to_owned(),
        }),
        (None, _) => None,
    };
    store.update(&plan.id, |n| {
        finish(n, if reason.is_none() { "done" } else { "failed" });
        n.owner_pid = None;
        n.owner_start = None;
        n.state = if reason.is_none() {
            State::Done
        } else {
            State::Failed
        };
        n.reason = reason.clone();
        if reason.is_none() {
            // Served: the request was in this run's prompt.
            n.request = None;
            n.approved = None;
        }
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
/// What this run cost. A resumed Claude Code session reports the cost of the whole session
/// (seen with 2.1.332: 0.0005 for a turn, then 0.001 after one more turn on resume), so the
/// runs of that session already recorded are taken off.
fn run_cost(reported: Option<f64>, resumed: Option<&str>, runs: &[RunRecord]) -> Option<f64> {
    let reported = reported?;
    let earlier: f64 = runs
        .iter()
        .filter(|r| resumed.is_some() && r.session_id.as_deref() == resumed)
        .filter_map(|r| r.cost_usd)
        .sum();
    Some((reported - earlier).max(0.0))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn run(session: &str, cost: f64) -> RunRecord {
        RunRecord {
            session_id: Some(session.into()),
            cost_usd: Some(cost),
            ..Default::default()
        }
    }

    #[test]
    fn limits_without_a_reset_time_back_off_up_to_8x() {
        let base = Duration::from_secs(300);
        let waits: Vec<u64> = (0..6).map(|s| limit_backoff(base, s).as_secs()).collect();
        assert_eq!(waits, [300, 600, 1200, 2400, 2400, 2400]);
        assert_eq!(limit_backoff(base, u32::MAX), base * 8);
    }

    #[test]
    fn a_resumed_session_is_charged_only_its_own_turns() {
        let runs = [run("s1", 0.5), run("other", 0.25), run("s1", 0.25)];
        assert_eq!(run_cost(Some(1.0), Some("s1"), &runs), Some(0.25));
        assert_eq!(run_cost(Some(1.0), None, &runs), Some(1.0));
        assert_eq!(run_cost(None, Some("s1"), &runs), None);
        // A session the CLI restarted from nothing never goes below zero.
        assert_eq!(run_cost(Some(0.1), Some("s1"), &runs), Some(0.0));
    }
}
