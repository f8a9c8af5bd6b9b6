//! After a ticket's agent is done and before it lands: automatic fixes of what the gates
//! refused, and the reviewer's round (`git epic review`): what a ticket changed, what its
//! gates said, approval, and changes requested back to its agent.

pub mod fix;

use std::collections::BTreeMap;

use anyhow::anyhow;
use serde::Serialize;

use crate::infra::error::{usage, Result};
use crate::model::epic::{Epic, Workspace};
use crate::model::graph::Graph;
use crate::model::state::{Request, State, Store, TicketNote};
use crate::{infra::gitx, infra::log, model::agents};

/// What a reviewer sees of one ticket. Field names are the `--json` contract.
#[derive(Debug, Clone, Serialize)]
pub struct TicketReview {
    pub id: String,
    pub title: String,
    pub state: State,
    pub branch: Option<String>,
    /// Commits on the branch not in the epic, newest first (`<short sha> <subject>`).
    pub commits: Vec<String>,
    /// `git diff --stat` against where the branch left the epic.
    pub stat: String,
    /// The diff itself, with `-p`.
    pub patch: Option<String>,
    /// Changed files outside `scope`, and inside `forbid`.
    pub outside_scope: Vec<String>,
    pub forbidden: Vec<String>,
    /// Why it is not merged (a gate's refusal, a conflict), and the failing lines.
    pub reason: Option<String>,
    pub failed_lines: Vec<String>,
    pub fix_rounds: u32,
    pub review_rounds: u32,
    pub approved: bool,
    /// What its next run will be asked, if anything.
    pub request: Option<Request>,
    /// The last lines of its log, as `git epic logs` renders them.
    pub log_tail: Vec<String>,
    /// What the sandbox refused its agent in its last run.
    pub sandbox_refused: Vec<String>,
}

/// A failing line that several reviewed tickets share: one problem to fix once.
#[derive(Debug, Clone, Serialize)]
pub struct Repeated {
    pub line: String,
    pub tickets: Vec<String>,
}

/// The tickets to review: the named ones, or those of wave `n`.
pub fn select(
    ws: &Workspace,
    graph: &Graph,
    ids: &[String],
    wave: Option<usize>,
) -> Result<Vec<String>> {
    match wave {
        Some(n) if n >= graph.wave_count() => Err(usage(format!(
            "There is no wave {n}: the epic has {} waves.",
            graph.wave_count()
        ))),
        Some(n) => Ok(graph.by_wave()[n].iter().map(|t| t.id.clone()).collect()),
        None => {
            for id in ids {
                ws.ticket(graph, id)?;
            }
            Ok(ids.to_vec())
        }
    }
}

/// Gather what a reviewer needs for `ids`, and the failures they share. `color` asks git
/// for a coloured stat and patch.
pub fn gather(
    ws: &Workspace,
    graph: &Graph,
    ids: &[String],
    patch: bool,
    color: bool,
) -> Result<(Vec<TicketReview>, Vec<Repeated>)> {
    let store = Store::new(&ws.repo, &ws.epic.name);
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let notes = store.get_many(&refs)?;
    let epic_tip = gitx::branch_tip(&ws.repo, &ws.epic.branch)?
        .ok_or_else(|| anyhow!("the epic branch {} is gone", ws.epic.branch))?;
    let color = if color {
        "--color=always"
    } else {
        "--color=never"
    };
    let mut out = Vec::new();
    for id in ids {
        let ticket = graph
            .get(id)
            .ok_or_else(|| anyhow!("unknown ticket {id}"))?;
        let empty = TicketNote::default();
        let note = match notes.get(id.as_str()) {
            Some(Ok(n)) => n,
            Some(Err(bad)) => return Err(anyhow!(bad.clone())),
            None => &empty,
        };
        let branch = note
            .branch
            .clone()
            .unwrap_or_else(|| Epic::ticket_branch(id, &ticket.title));
        let tip = gitx::branch_tip(&ws.repo, &branch)?;
        let mut r = TicketReview {
            id: id.clone(),
            title: ticket.title.clone(),
            state: note.state,
            branch: tip.is_some().then(|| branch.clone()),
            commits: Vec::new(),
            stat: String::new(),
            patch: None,
            outside_scope: Vec::new(),
            forbidden: Vec::new(),
            reason: note.reason.clone(),
            failed_lines: note.failed_lines.clone(),
            fix_rounds: note.fix_rounds,
            review_rounds: note.review_rounds,
            approved: note.approved.is_some() && note.approved == tip.map(|t| t.to_string()),
            request: note.request.clone(),
            log_tail: log_tail(&ws.log_path(id)),
            sandbox_refused: note
                .runs
                .last()
                .map_or_else(Vec::new, |r| r.sandbox_refused.clone()),
        };
        if let Some(tip) = tip {
            // The ticket's own change: against where it left the epic (or landed in it).
            let range = format!("{epic_tip}...{tip}");
            let log = gitx::git(
                &ws.root,
                &["log", "--format=%h %s", &format!("{epic_tip}..{tip}")],
            )?;
            r.commits = log.lines().map(str::to_owned).collect();
            r.stat = gitx::git(&ws.root, &["diff", "--stat", color, &range])?;
            if patch {
                r.patch = Some(gitx::git(&ws.root, &["diff", color, &range])?);
            }
            if let Ok(Some(base)) = ws
                .repo
                .merge_base(epic_tip, tip)
                .map(|b| b.map(|b| b.detach()))
            {
                let changed = gitx::changed_files(&ws.root, base, tip)?;
                let (outside, forbidden) =
                    crate::infra::scope::scope_violations(&ticket.scope, &ticket.forbid, &changed);
                r.outside_scope = outside;
                r.forbidden = forbidden;
            }
        }
        out.push(r);
    }
    let repeated = repeated(&out);
    Ok((out, repeated))
}

/// The agent's last words in a ticket's log, rendered (its JSON as its text); git-epic's own
/// lines (gates, propagation) are shown as the gates' results instead.
fn log_tail(path: &std::path::Path) -> Vec<String> {
    log::tail_lines(path, 60)
        .iter()
        .filter(|l| !l.starts_with("=== git-epic") && !l.starts_with("git-epic: confined by"))
        .flat_map(|l| agents::render::line(l))
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .take(8)
        .rev()
        .collect()
}

/// Failing lines that more than one ticket has, once each: the same failing test or lint
/// rule, told apart from its ticket (ids, numbers and paths of the ticket's own files are
/// not part of the comparison).
fn repeated(reviews: &[TicketReview]) -> Vec<Repeated> {
    let mut seen: BTreeMap<String, Repeated> = BTreeMap::new();
    for r in reviews {
        for line in &r.failed_lines {
            let key = normalize(line, &r.id);
            if key.trim().is_empty() {
                continue;
            }
            let e = seen.entry(key).or_insert_with(|| Repeated {
                line: line.clone(),
                tickets: Vec::new(),
            });
            if !e.tickets.contains(&r.id) {
                e.tickets.push(r.id.clone());
            }
        }
    }
    let mut out: Vec<Repeated> = seen.into_values().filter(|r| r.tickets.len() > 1).collect();
    out.sort_by(|a, b| {
        b.tickets
            .len()
            .cmp(&a.tickets.len())
            .then(a.line.cmp(&b.line))
    });
    out
}

fn normalize(line: &str, id: &str) -> String {
    static DIGITS: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let digits = DIGITS.get_or_init(|| regex::Regex::new(r"\d+").expect("a valid pattern"));
    let line = if id.is_empty() {
        line.to_owned()
    } else {
        line.replace(id, "<ticket>")
    };
    digits.replace_all(line.trim(), "N").into_owned()
}

/// A ticket a review may act on: not running, not merged, with commits beyond the epic.
fn reviewable(
    ws: &Workspace,
    graph: &Graph,
    id: &str,
) -> Result<(TicketNote, String, gix::ObjectId)> {
    let ticket = ws.ticket(graph, id)?;
    let note = Store::new(&ws.repo, &ws.epic.name)
        .get(id)?
        .unwrap_or_default();
    match note.state {
        State::Merged => {
            return Err(usage(format!(
                "Ticket `{id}` is merged already: there is nothing to review."
            )))
        }
        State::Running | State::RateLimited => {
            return Err(usage(format!(
                "Ticket `{id}` is {}: review it once its agent is done.",
                note.state
            )))
        }
        _ => {}
    }
    let branch = note
        .branch
        .clone()
        .unwrap_or_else(|| Epic::ticket_branch(id, &ticket.title));
    let tip = gitx::branch_tip(&ws.repo, &branch)?.ok_or_else(|| {
        usage(format!(
            "Ticket `{id}` has no branch ({branch}) yet: nothing to review."
        ))
    })?;
    Ok((note, branch, tip))
}

/// Approve `id` as its branch is now: with `epic.requireReview`, only approved tickets land,
/// and a branch that moves after the approval needs another.
pub fn approve(ws: &Workspace, graph: &Graph, id: &str) -> Result<gix::ObjectId> {
    let (_, _, tip) = reviewable(ws, graph, id)?;
    Store::new(&ws.repo, &ws.epic.name).update(id, |n| {
        n.approved = Some(tip.to_string());
        Ok(())
    })?;
    Ok(tip)
}

/// Send `id` back to its agent with `text`, verbatim: the ticket becomes `pending` (its
/// worktree and commits kept) and its next run gets its prompt plus the text, continuing
/// the agent's session where the CLI can. Returns the review round.
pub fn request_changes(ws: &Workspace, graph: &Graph, id: &str, text: &str) -> Result<u32> {
    if text.trim().is_empty() {
        return Err(usage(
            "The requested changes are empty: say what to change with -m TEXT or -F FILE.",
        ));
    }
    reviewable(ws, graph, id)?;
    let mut round = 0;
    Store::new(&ws.repo, &ws.epic.name).update(id, |n| {
        n.review_rounds += 1;
        round = n.review_rounds;
        n.state = State::Pending;
        n.reason = Some(format!("changes requested in review round {round}"));
        n.request = Some(Request {
            kind: "review".into(),
            round,
            text: text.to_owned(),
        });
        n.approved = None;
        n.attempts = 0;
        n.resume_session = n.session_id.clone();
        Ok(())
    })?;
    Ok(round)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(id: &str, lines: &[&str]) -> TicketReview {
        TicketReview {
            id: id.into(),
            title: id.into(),
            state: State::Failed,
            branch: None,
            commits: vec![],
            stat: String::new(),
            patch: None,
            outside_scope: vec![],
            forbidden: vec![],
            reason: None,
            failed_lines: lines.iter().map(|l| l.to_string()).collect(),
            fix_rounds: 0,
            review_rounds: 0,
            approved: false,
            request: None,
            log_tail: vec![],
            sandbox_refused: vec![],
        }
    }

    #[test]
    fn a_failure_shared_by_tickets_is_grouped_once() {
        let reviews = [
            review(
                "A",
                &["error: unused import `fmt` at src/a.rs:3", "A: only mine"],
            ),
            review("B", &["error: unused import `fmt` at src/a.rs:17"]),
            review("C", &["test shop::cart ... FAILED"]),
        ];
        let r = repeated(&reviews);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].tickets, ["A", "B"]);
        assert_eq!(r[0].line, "error: unused import `fmt` at src/a.rs:3");
    }
}
