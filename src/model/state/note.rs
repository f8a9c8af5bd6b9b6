//! The note of one ticket: its state, its runs, who holds it, what it cost. The schema of
//! the TOML kept under `refs/notes/epic` (see [`super::Store`] for how it is read and written).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::infra::clock::now;
use crate::model::agents::Tokens;

/// Ticket states, as the spec names them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum State {
    #[default]
    Pending,
    Blocked,
    Running,
    RateLimited,
    Done,
    Failed,
    Conflict,
    Merged,
    Interrupted,
}

impl State {
    pub const ALL: [State; 9] = [
        State::Pending,
        State::Blocked,
        State::Running,
        State::RateLimited,
        State::Done,
        State::Failed,
        State::Conflict,
        State::Merged,
        State::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Blocked => "blocked",
            State::Running => "running",
            State::RateLimited => "rate_limited",
            State::Done => "done",
            State::Failed => "failed",
            State::Conflict => "conflict",
            State::Merged => "merged",
            State::Interrupted => "interrupted",
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn is_zero_f64(n: &f64) -> bool {
    *n == 0.0
}

/// What is recorded about one ticket. Unknown fields are tolerated (a newer git-epic may
/// have written them); fields of the wrong type make the note unreadable, which is reported.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TicketNote {
    pub state: State,
    /// Agent runs that counted as attempts (rate-limited runs do not).
    pub attempts: u32,
    pub rate_limit_waits: u32,
    /// Rate-limited runs in a row whose output named no reset time: the next such wait is
    /// `epic.rateLimitWait` doubled this many times (capped). Back to 0 once a run gets past
    /// the limit.
    #[serde(skip_serializing_if = "is_zero")]
    pub rate_limit_streak: u32,
    /// Total seconds spent waiting on rate limits.
    pub rate_limit_wait_s: f64,
    /// Of those waits, the seconds that passed before the next run started (a wait lifted
    /// early, or cut short, counts as long as it lasted; never more than it was to last).
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub rate_limit_waited_s: f64,
    /// Unix time until which this ticket waits after a rate limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limited_until: Option<f64>,
    /// The agent profile whose limit the last rate-limited run hit (a fix round may run on
    /// another profile than the ticket's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit_profile: Option<String>,
    /// The agent's line that told that limit: the one that named its reset, else the one
    /// the rate-limit pattern matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit_said: Option<String>,
    /// That limit named no reset time: its wait is `epic.rateLimitWait`, backed off.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub rate_limit_no_reset: bool,
    /// In a shared account's note (`@account/<profile>`): when `git epic agent reset` lifted
    /// its cooldown. Limits hit before it no longer hold, on any machine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooldown_reset_at: Option<f64>,
    /// Unix time of the first start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<f64>,
    /// Unix time the last run ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<f64>,
    /// Unix time the current (or last) run started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_started_at: Option<f64>,
    /// Seconds spent in agent runs, summed over finished runs.
    pub run_s: f64,
    /// The ticket branch, once made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The agent process (group leader) while running, with its start time to tell a reused pid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid_start: Option<u64>,
    /// Where the running attempt's output starts in the ticket's log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_offset: Option<u64>,
    /// The orchestrator's id for the running attempt, which its supervisor records too: a
    /// later orchestrator finds the run through it and adopts it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// The agent session the running attempt continues, if it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_resumes: Option<String>,
    /// The `git epic` process that holds the ticket (running it, or waiting to retry it),
    /// with its start time: a second orchestrator never takes a ticket whose owner lives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_pid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_start: Option<u64>,
    /// Why the ticket failed, conflicted or was interrupted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflict_files: Vec<String>,
    /// The last lines of the gate that refused it (a red test), for the fix and review.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_lines: Vec<String>,
    /// Merges refused by a gate.
    pub rejected_merges: u32,
    /// Merges into the epic that conflicted.
    pub merge_conflicts: u32,
    /// Rebases by `propagate` that conflicted.
    pub propagate_conflicts: u32,
    /// Unix time of the merge into the epic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_at: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pr_url: Option<String>,
    /// What the forge said of the pull request at the last `git epic sync`: `open`,
    /// `merged` or `closed`, and its CI: `passing`, `failing` or `pending`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pr_state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pr_ci: Option<String>,
    /// The last review on the forge that was turned into requested changes (so that the
    /// next sync does not send it again).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pr_review: Option<String>,
    /// The agent's session of the last attempt (for agents that report one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The session the next attempt continues (set after a rate limit or an interruption).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume_session: Option<String>,
    /// Tokens and cost of every attempt, summed.
    #[serde(skip_serializing_if = "Tokens::is_zero")]
    pub tokens: Tokens,
    pub cost_usd: f64,
    /// One record per agent run, rate-limited and failed ones included.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<RunRecord>,
    /// What the next run must do besides the ticket: a fix or a reviewer's changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<Request>,
    /// Automatic fix rounds (red gate, conflict) the ticket was sent back for.
    pub fix_rounds: u32,
    /// Reviews that requested changes.
    pub review_rounds: u32,
    /// The branch tip a reviewer approved (`git epic review <id> --approve`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved: Option<String>,
    /// The label of the machine that ran (or runs) the ticket (`epic.hostName`, else its
    /// host name): for people, never for deciding who holds the ticket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The clone that ran (or runs) the ticket (`epic.machineId`): claims, leases and the
    /// note's one writer are this. Notes of older git-epic versions name only a host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub machine: Option<String>,
    /// Unix time until which the machine in `machine` (`host` in older notes) holds the ticket, unless it renews the
    /// claim (`epic.claimLease`); a machine that died loses it then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim_until: Option<f64>,
    /// Landed while the epic's remote could not be reached, then put back to `done` because
    /// the remote's epic moved meanwhile: it lands again on the remote's epic.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reland: bool,
    /// Through its gates on its machine and handed over to the machine that holds the
    /// landing lease, which lands it from the remote: at which tip, in which attempt (a
    /// later attempt's ticket is handed over again, or not at all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hand_over: Option<HandOver>,
    /// Updates of this note so far: of two notes changed on two machines, the one with
    /// more updates wins when they are merged (`git epic sync`).
    pub rev: u64,
}

/// A done ticket handed over for landing (see [`TicketNote::hand_over`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HandOver {
    /// The branch tip its gates passed: the one to land, and only while the branch is there.
    pub tip: String,
    /// The note's `attempts` when it was handed over.
    pub attempt: u32,
}

impl TicketNote {
    /// The tip another machine may land this done ticket at, if its machine handed it over
    /// in the attempt the note is at.
    pub fn handed_over(&self) -> Option<&str> {
        let h = self.hand_over.as_ref()?;
        (self.state == State::Done && h.attempt == self.attempts).then_some(h.tip.as_str())
    }
}

/// Why a ticket was sent back to an agent, and what to tell it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Request {
    /// `fix` (git-epic sent it back) or `review` (a reviewer did).
    pub kind: String,
    pub round: u32,
    /// Given to the agent with the ticket's prompt, verbatim.
    pub text: String,
}

/// One agent run: how it ended and what it cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunRecord {
    /// The attempt it counted as (rate-limited runs share the number of the next one).
    pub attempt: u32,
    /// `done`, `failed`, `rate_limited`, `interrupted`, `stopped`, `resume_failed`, `lost`.
    pub outcome: String,
    /// Unix time it ended.
    pub ended_at: f64,
    pub run_s: f64,
    #[serde(skip_serializing_if = "Tokens::is_zero")]
    pub tokens: Tokens,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// It continued the session of an earlier run.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub resumed: bool,
    /// The fix round (or review round) whose request it served; 0 for none.
    #[serde(skip_serializing_if = "is_zero")]
    pub fix_round: u32,
    #[serde(skip_serializing_if = "is_zero")]
    pub review_round: u32,
    /// What the sandbox refused the agent in this run, as its output told it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sandbox_refused: Vec<String>,
}

impl RunRecord {
    /// Whether the run used one of the ticket's attempts: all but those that hit a rate
    /// limit, were interrupted (Ctrl-C, a signal to git epic), were lost with their
    /// supervisor, were stopped by an agent error retrying cannot fix, or could not resume
    /// their session.
    pub fn counted(&self) -> bool {
        !matches!(
            self.outcome.as_str(),
            "rate_limited" | "interrupted" | "lost" | "stopped" | "resume_failed"
        )
    }
}

/// The (fix, review) round a run with `request` serves: (0, 0) for the ticket itself.
pub fn round_of(request: Option<&Request>) -> (u32, u32) {
    match request {
        Some(r) if r.kind == "fix" => (r.round, 0),
        Some(r) if r.kind == "review" => (0, r.round),
        _ => (0, 0),
    }
}

/// What a ticket's agent runs came to over its whole life (every round), the live run
/// included: what `status` and `report` show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Agent runs: every start.
    pub runs: u32,
    /// Runs that used an attempt (see [`RunRecord::counted`]).
    pub attempts: u32,
    /// Attempts beyond the first of their round: the first round is the ticket's own, then
    /// each fix or review round starts one.
    pub retries: u32,
}

impl TicketNote {
    /// The ticket's runs, attempts and retries over its whole life. `attempts` in the note is
    /// the current round's count (what `epic.maxAttempts` limits); this counts every round.
    pub fn counts(&self) -> Counts {
        // A ticket noted running has a run that started and is not concluded yet.
        let live = (self.state == State::Running).then(|| round_of(self.request.as_ref()));
        let mut c = Counts {
            runs: self.runs.len() as u32 + u32::from(live.is_some()),
            ..Counts::default()
        };
        let mut last = None;
        let rounds = self.runs.iter().filter(|r| r.counted());
        for round in rounds.map(|r| (r.fix_round, r.review_round)).chain(live) {
            c.attempts += 1;
            c.retries += u32::from(last == Some(round));
            last = Some(round);
        }
        if self.runs.is_empty() && self.attempts > c.attempts {
            // A note of a git-epic that kept no run records: what it counted.
            c.attempts = self.attempts;
            c.retries = self.attempts - 1;
            c.runs = self.attempts + self.rate_limit_waits;
        }
        c
    }

    /// How long the rate-limit wait the ticket is in (its last run hit a limit) has lasted
    /// at `now`: until `now` or the wait's end, whichever is first; 0 when it waits on none.
    pub fn waiting_so_far(&self, now: f64) -> f64 {
        match (self.runs.last(), self.state) {
            (Some(last), State::RateLimited) if last.outcome == "rate_limited" => {
                let end = self.rate_limited_until.map_or(now, |u| u.min(now));
                (end - last.ended_at).max(0.0)
            }
            _ => 0.0,
        }
    }

    /// Record one finished agent run.
    pub fn add_run(&mut self, run: RunRecord) {
        self.tokens.add(&run.tokens);
        self.cost_usd += run.cost_usd.unwrap_or(0.0);
        if run.session_id.is_some() {
            self.session_id.clone_from(&run.session_id);
        }
        self.runs.push(run);
    }
}

/// What the agents of these notes have spent, in the agents' currency (USD for claude).
pub fn total_cost<E>(notes: &HashMap<String, std::result::Result<TicketNote, E>>) -> f64 {
    notes
        .values()
        .filter_map(|n| n.as_ref().ok())
        .map(|n| n.cost_usd)
        .sum()
}

/// A note's text as a [`TicketNote`], or why it is not one.
pub fn parse_note(data: &[u8]) -> std::result::Result<TicketNote, String> {
    std::str::from_utf8(data)
        .map_err(|_| "it is not UTF-8".to_owned())
        .and_then(|text| {
            toml::from_str::<TicketNote>(text).map_err(|e| e.message().trim().to_owned())
        })
}

/// At most this many lines of a failure are kept in a note.
pub const MAX_FAILED_LINES: usize = 20;

/// The last [`MAX_FAILED_LINES`] of `lines`, each cut to 300 characters.
pub fn cap_lines(lines: &[String]) -> Vec<String> {
    lines[lines.len().saturating_sub(MAX_FAILED_LINES)..]
        .iter()
        .map(|l| l.chars().take(300).collect())
        .collect()
}

/// The note that holds a shared account's rate-limit reset (`epicAgent.<p>.sharedAccount`):
/// kept beside the tickets' notes, under a name no ticket id can have.
pub fn account_note(profile: &str) -> String {
    format!("@account/{profile}")
}

impl TicketNote {
    /// Whether the orchestrator that holds this ticket is still running.
    pub fn owner_alive(&self) -> bool {
        self.is_local()
            && self
                .owner_pid
                .is_some_and(|p| crate::infra::process::is_alive(p, self.owner_start))
    }

    /// Whether the recorded agent process is still running.
    pub fn agent_alive(&self) -> bool {
        self.is_local()
            && self
                .pid
                .is_some_and(|p| crate::infra::process::is_alive(p, self.pid_start))
    }

    /// Whether this clone wrote the note's pids: its machine id is the note's, or, in a note
    /// of an older git-epic that names only a host, that host is this one (no host counts as
    /// this one too).
    pub fn is_local(&self) -> bool {
        self.machine.is_none() && self.host.is_none() || self.is_mine()
    }

    /// Whether the note names this clone as its machine (see [`TicketNote::is_local`]).
    pub fn is_mine(&self) -> bool {
        match (&self.machine, &self.host) {
            (Some(m), _) => Some(m.as_str()) == crate::infra::host::this_machine(),
            (None, Some(h)) => h == crate::infra::host::this_host(),
            (None, None) => false,
        }
    }

    /// Record this clone as the machine that holds the ticket, under the label `host`.
    pub fn mark_mine(&mut self, host: &str) {
        self.host = Some(host.to_owned());
        self.machine = crate::infra::host::this_machine().map(str::to_owned);
    }

    /// The other machine that holds the ticket now (its claim not run out), if one does, as
    /// [`TicketNote::machine_label`] names it.
    pub fn claimed_elsewhere(&self) -> Option<String> {
        let held = self.owner_pid.is_some() || matches!(self.state, State::Running);
        (!self.is_local() && held && self.claim_until.is_some_and(|u| u > now()))
            .then(|| self.machine_label())
    }

    /// The machine of the note as people read it: its host label, with the start of its
    /// machine id (`laptop#3f2a`), for clones on one host share the label.
    pub fn machine_label(&self) -> String {
        let host = self.host.as_deref().unwrap_or("another machine");
        match &self.machine {
            Some(m) => format!("{host}#{}", m.chars().take(4).collect::<String>()),
            None => host.to_owned(),
        }
    }
}
