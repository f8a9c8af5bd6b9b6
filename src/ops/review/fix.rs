//! Automatic fixes: a ticket that a gate refused (red test, scope) or that conflicts with the
//! epic goes back to an agent by itself, with only what matters: the failing command's error
//! lines, or the conflicting files with their markers and the epic's side of the change. At
//! most `epic.maxFixRounds` rounds; then it waits for a human with the reason.

use gix::ObjectId;

use crate::infra::config::Settings;
use crate::infra::error::Result;
use crate::infra::gitx;
use crate::model::epic::Workspace;
use crate::model::state::{Request, State, Store, TicketNote};

/// At most this many lines of the epic's side of a conflict go into a fix prompt, and of
/// each conflicting file's markers.
const MAX_DIFF_LINES: usize = 80;
const MAX_MARKER_LINES: usize = 60;
const MAX_CONFLICT_FILES: usize = 5;

/// Why a ticket goes back to an agent.
#[derive(Debug, Clone, Copy)]
pub enum Refusal<'a> {
    /// A gate refused it (`test`, `scope`, `merged result`), for `reason`.
    Gate { gate: &'a str, reason: &'a str },
    /// It conflicts with the epic in these files.
    Conflict { files: &'a [String] },
}

/// Send ticket `id` back for a fix round after `refusal`, if rounds are left: the ticket
/// becomes `pending` with the fix request in its note (the next run gives it to the agent).
/// Returns the round.
pub fn send_back(
    ws: &Workspace,
    settings: &Settings,
    id: &str,
    refusal: Refusal<'_>,
) -> Result<Option<u32>> {
    if settings.max_fix_rounds == 0 {
        return Ok(None);
    }
    let store = Store::new(&ws.repo, &ws.epic.name);
    let Some(note) = store.get(id)? else {
        return Ok(None);
    };
    if note.fix_rounds >= settings.max_fix_rounds {
        return Ok(None);
    }
    let (what, text) = match refusal {
        Refusal::Gate { gate, reason } => (
            format!("rejected by the {gate} gate: {reason}"),
            red_gate_text(ws, settings, gate, reason, &note),
        ),
        Refusal::Conflict { files } => (
            format!("conflicts with the epic in {}", files.join(", ")),
            conflict_text(ws, &note, files)?,
        ),
    };
    let mut round = None;
    store.update(id, |n| {
        round = None;
        // Only what the gate or the merge left: anything else changed meanwhile wins.
        if !matches!(n.state, State::Failed | State::Conflict)
            || n.fix_rounds >= settings.max_fix_rounds
        {
            return Ok(());
        }
        n.fix_rounds += 1;
        let r = n.fix_rounds;
        n.state = State::Pending;
        n.reason = Some(format!(
            "fix round {r} of {}: {what}",
            settings.max_fix_rounds
        ));
        n.request = Some(Request {
            kind: "fix".into(),
            round: r,
            text: text.clone(),
        });
        // A fresh set of attempts for the round; the same session where the same agent
        // goes on (a fix agent of another profile starts its own).
        n.attempts = 0;
        n.resume_session = if settings.fix_agent.is_none() {
            n.session_id.clone()
        } else {
            None
        };
        round = Some(r);
        Ok(())
    })?;
    Ok(round)
}

fn red_gate_text(
    ws: &Workspace,
    settings: &Settings,
    gate: &str,
    reason: &str,
    note: &TicketNote,
) -> String {
    let mut t = String::new();
    let epic = &ws.epic.branch;
    match gate {
        "scope" => {
            t.push_str(&format!(
                "git-epic refused to merge this ticket: {reason}.\n\nUndo the changes to those files (for example `git checkout {epic} -- <file>` for a file the epic has, `git rm` for a new one), keep the ticket's own work, and commit.\n"
            ));
        }
        _ => {
            let test = settings.test.as_deref().unwrap_or("epic.test");
            if gate == "merged-result" {
                t.push_str(&format!(
                    "git-epic merged this ticket's branch with the epic ({epic}) and `{test}` failed on the result ({reason}). The epic has moved since the branch started: run `git merge {epic}` here first, so that you test what will land.\n"
                ));
            } else {
                t.push_str(&format!("`{test}` failed on this branch ({reason}).\n"));
            }
            if !note.failed_lines.is_empty() {
                t.push_str("\nThe failing lines:\n\n```\n");
                for l in &note.failed_lines {
                    t.push_str(l);
                    t.push('\n');
                }
                t.push_str("```\n");
            }
            t.push_str(
                "\nFix the cause (not the test, unless the test is wrong), run the test again to check, and commit.\n",
            );
        }
    }
    t
}

fn conflict_text(ws: &Workspace, note: &TicketNote, files: &[String]) -> Result<String> {
    let epic = &ws.epic.branch;
    let mut t = format!(
        "This ticket's branch conflicts with the epic ({epic}) in {}. Run `git merge {epic}` here, resolve the conflicts keeping both the epic's change and this ticket's, run the tests, and commit the merge.\n",
        files.join(", ")
    );
    let tips = (
        gitx::branch_tip(&ws.repo, epic)?,
        note.branch
            .as_deref()
            .map(|b| gitx::branch_tip(&ws.repo, b))
            .transpose()?
            .flatten(),
    );
    let (Some(epic_tip), Some(tip)) = tips else {
        return Ok(t);
    };
    let shown: Vec<String> = files.iter().take(MAX_CONFLICT_FILES).cloned().collect();
    if let Ok(Some(base)) = ws
        .repo
        .merge_base(epic_tip, tip)
        .map(|b| b.map(|b| b.detach()))
    {
        let mut args = vec![
            "diff".to_owned(),
            "--no-color".to_owned(),
            base.to_string(),
            epic_tip.to_string(),
            "--".to_owned(),
        ];
        args.extend(shown.iter().cloned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        if let Ok(diff) = gitx::git(&ws.root, &args) {
            t.push_str(&format!(
                "\nWhat the epic changed in those files since this branch started:\n\n```diff\n{}```\n",
                capped(&diff, MAX_DIFF_LINES)
            ));
        }
    }
    for (file, lines) in markers(ws, epic_tip, tip, &shown) {
        t.push_str(&format!(
            "\nThe conflict in {file} as git sees it:\n\n```\n{}```\n",
            capped(&lines, MAX_MARKER_LINES)
        ));
    }
    Ok(t)
}

/// The conflicting parts (with a few lines around) of each file, as `git merge` would write
/// them, from the tree `git merge-tree` makes with the markers in it.
fn markers(
    ws: &Workspace,
    ours: ObjectId,
    theirs: ObjectId,
    files: &[String],
) -> Vec<(String, String)> {
    crate::infra::gitx::conflicted_tree(&ws.root, ours, theirs)
        .map(|tree| excerpts(ws, tree, files))
        .unwrap_or_default()
}

fn excerpts(ws: &Workspace, tree: String, files: &[String]) -> Vec<(String, String)> {
    files
        .iter()
        .filter_map(|f| {
            let text = gitx::git(&ws.root, &["show", &format!("{tree}:{f}")]).ok()?;
            let lines: Vec<&str> = text.lines().collect();
            let mut keep = vec![false; lines.len()];
            let mut inside = false;
            for (i, l) in lines.iter().enumerate() {
                if l.starts_with("<<<<<<< ") {
                    inside = true;
                }
                if inside {
                    let end = (i + 4).min(lines.len());
                    keep[i.saturating_sub(3)..end].fill(true);
                }
                if l.starts_with(">>>>>>> ") {
                    inside = false;
                }
            }
            let mut out = String::new();
            let mut gap = false;
            for (i, l) in lines.iter().enumerate() {
                if keep[i] {
                    out.push_str(l);
                    out.push('\n');
                    gap = false;
                } else if !gap {
                    out.push_str("...\n");
                    gap = true;
                }
            }
            (!out.trim().is_empty()).then(|| (f.clone(), out))
        })
        .collect()
}

/// `text` cut to its first `n` lines, saying how many were left out; ends with a newline.
fn capped(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = lines.iter().take(n).fold(String::new(), |mut s, l| {
        s.push_str(l);
        s.push('\n');
        s
    });
    if lines.len() > n {
        out.push_str(&format!("... ({} more lines)\n", lines.len() - n));
    }
    out
}
