//! The "needs you" model: whether a ticket waits on a human, why, and the command that
//! resolves it. `status`, the dashboard, `wait` and the notifications all read this one
//! derivation, so they never disagree on what is the human's turn.

use serde::Serialize;

use crate::model::state::{State, TicketNote};

/// Why a ticket waits on a human. Serialized snake_case: the `needs_you.reason` of
/// `status --json` (docs/status.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// Done, and `epic.requireReview` holds it until someone approves it.
    Review,
    /// A reviewer (or a pull request's review) asked for changes and nothing runs them.
    ChangesRequested,
    /// Its agent was stopped by an error retrying cannot fix (not logged in, a bad key).
    Login,
    /// The scope gate refused it after its fix rounds.
    Scope,
    /// It conflicts with the epic after its fix rounds.
    Conflict,
    /// Failed after its attempts and fix rounds.
    Failed,
    /// A rate limit holds it for more than an hour.
    Limit,
}

impl Need {
    pub fn as_str(self) -> &'static str {
        match self {
            Need::Review => "review",
            Need::ChangesRequested => "changes_requested",
            Need::Login => "login",
            Need::Scope => "scope",
            Need::Conflict => "conflict",
            Need::Failed => "failed",
            Need::Limit => "limit",
        }
    }
}

/// A ticket's wait on a human.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NeedsYou {
    pub reason: Need,
    /// The situation in a sentence, for people.
    pub why: String,
    /// The `git epic` command that resolves it.
    pub command: String,
}

/// The config the derivation depends on.
#[derive(Debug, Clone, Copy, Default)]
pub struct NeedsPolicy {
    /// `epic.maxFixRounds`.
    pub max_fix_rounds: u32,
}

/// What `status` derived of a ticket besides its note.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts {
    /// Its review state is `awaiting` (done, `epic.requireReview`, its tip not approved).
    pub awaiting_review: bool,
    /// Seconds before its rate limit lifts.
    pub limit_left_s: Option<f64>,
    /// A git epic (here or on another machine) holds it and will run what it has to.
    pub held: bool,
}

/// A rate limit that holds longer than this waits on a human (switch profile, reset it).
pub const LONG_LIMIT_S: f64 = 3600.0;

/// What a ticket shown in `state` (with its note) waits for from a human, if anything.
pub fn needs_you(
    id: &str,
    state: State,
    note: Option<&TicketNote>,
    facts: Facts,
    policy: NeedsPolicy,
) -> Option<NeedsYou> {
    let n = note?;
    let Facts {
        awaiting_review,
        limit_left_s,
        held,
    } = facts;
    let reason = n.reason.as_deref().unwrap_or("");
    // A refusal that a fix round will still take up is git-epic's turn, not the human's.
    let rounds_left = n.fix_rounds < policy.max_fix_rounds;
    let gate_refusal = reason.starts_with("merge rejected") || reason.starts_with("merged result");
    let need = |reason, why: String, command: String| {
        Some(NeedsYou {
            reason,
            why,
            command,
        })
    };
    match state {
        State::Done if awaiting_review => need(
            Need::Review,
            "done, waiting for your review (epic.requireReview)".into(),
            format!("git epic review {id} --approve"),
        ),
        State::Pending if !held && reason.starts_with("agent error:") => need(
            Need::Login,
            format!("{reason}; fix the agent, then run it again"),
            format!("git epic run {id}"),
        ),
        State::Pending if !held && n.request.as_ref().is_some_and(|r| r.kind == "review") => {
            let on_forge = n.pr_review.is_some();
            need(
                Need::ChangesRequested,
                format!(
                    "changes requested{}, nothing runs them",
                    if on_forge { " on its pull request" } else { "" }
                ),
                format!("git epic run {id}"),
            )
        }
        State::Failed if reason.contains("by the scope gate") && !rounds_left => need(
            Need::Scope,
            format!("{reason} (after {} fix rounds)", n.fix_rounds),
            format!("git epic review {id}"),
        ),
        State::Failed if !(gate_refusal && rounds_left) => need(
            Need::Failed,
            if n.fix_rounds > 0 {
                format!("{reason} (after {} fix rounds)", n.fix_rounds)
            } else {
                reason.to_owned()
            },
            format!("git epic run {id}"),
        ),
        State::Conflict if !rounds_left => need(
            Need::Conflict,
            if n.conflict_files.is_empty() {
                reason.to_owned()
            } else {
                format!("conflicts with the epic in {}", n.conflict_files.join(", "))
            },
            format!("git epic review {id}"),
        ),
        State::RateLimited if limit_left_s.is_some_and(|l| l > LONG_LIMIT_S) => {
            let profile = n.rate_limit_profile.as_deref().unwrap_or("default");
            need(
                Need::Limit,
                format!(
                    "rate limit of profile `{profile}` for another {} min",
                    (limit_left_s.unwrap_or(0.0) / 60.0).round()
                ),
                format!("git epic agent reset {profile}"),
            )
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::state::Request;

    fn policy() -> NeedsPolicy {
        NeedsPolicy { max_fix_rounds: 2 }
    }

    fn facts(left: Option<f64>, held: bool) -> Facts {
        Facts {
            awaiting_review: true,
            limit_left_s: left,
            held,
        }
    }

    fn note(state: State, reason: &str) -> TicketNote {
        TicketNote {
            state,
            reason: (!reason.is_empty()).then(|| reason.to_owned()),
            ..TicketNote::default()
        }
    }

    fn reason_of(state: State, n: &TicketNote, left: Option<f64>, held: bool) -> Option<Need> {
        needs_you("a", state, Some(n), facts(left, held), policy()).map(|x| x.reason)
    }

    #[test]
    fn each_wait_on_a_human_has_its_reason_and_command() {
        let done = note(State::Done, "");
        let got = needs_you("a", State::Done, Some(&done), facts(None, false), policy()).unwrap();
        assert_eq!(got.reason, Need::Review);
        assert_eq!(got.command, "git epic review a --approve");
        let reviewed = Facts {
            awaiting_review: false,
            ..facts(None, false)
        };
        assert!(needs_you("a", State::Done, Some(&done), reviewed, policy()).is_none());

        let failed = note(State::Failed, "exit code 1 on attempt 3 of 3");
        assert_eq!(
            reason_of(State::Failed, &failed, None, false),
            Some(Need::Failed)
        );
        let login = note(State::Pending, "agent error: Invalid API key");
        assert_eq!(
            reason_of(State::Pending, &login, None, false),
            Some(Need::Login)
        );
        assert_eq!(reason_of(State::Pending, &login, None, true), None);
        let limit = TicketNote {
            rate_limit_profile: Some("claude".into()),
            ..note(State::RateLimited, "rate limited")
        };
        assert_eq!(
            reason_of(State::RateLimited, &limit, Some(7200.0), true),
            Some(Need::Limit)
        );
        assert_eq!(
            reason_of(State::RateLimited, &limit, Some(600.0), true),
            None
        );
        let asked = TicketNote {
            request: Some(Request {
                kind: "review".into(),
                round: 1,
                text: "x".into(),
            }),
            pr_review: Some("r1".into()),
            ..note(State::Pending, "changes requested in review round 1")
        };
        let got = needs_you(
            "a",
            State::Pending,
            Some(&asked),
            facts(None, false),
            policy(),
        )
        .unwrap();
        assert_eq!(got.reason, Need::ChangesRequested);
        assert!(got.why.contains("pull request"), "{}", got.why);
    }

    #[test]
    fn a_refusal_a_fix_round_will_take_up_is_not_the_humans_turn() {
        let scope = note(State::Failed, "merge rejected by the scope gate: x.rs");
        assert_eq!(reason_of(State::Failed, &scope, None, false), None);
        let after = TicketNote {
            fix_rounds: 2,
            ..scope
        };
        assert_eq!(
            reason_of(State::Failed, &after, None, false),
            Some(Need::Scope)
        );
        let conflict = note(State::Conflict, "merge conflict with the epic in a.txt");
        assert_eq!(reason_of(State::Conflict, &conflict, None, false), None);
        let after = TicketNote {
            fix_rounds: 2,
            conflict_files: vec!["a.txt".into()],
            ..conflict
        };
        let got = needs_you(
            "a",
            State::Conflict,
            Some(&after),
            facts(None, false),
            policy(),
        )
        .unwrap();
        assert_eq!(got.reason, Need::Conflict);
        assert!(got.why.contains("a.txt"));
    }
}
