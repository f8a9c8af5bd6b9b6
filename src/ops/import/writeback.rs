//! `epic.trackerWriteBack=true`: `git epic sync` keeps each imported issue current. A label
//! says where its ticket is (`git-epic:running`, `git-epic:needs-review`, `git-epic:merged`),
//! one comment says where its pull request is and where it landed (edited, never repeated),
//! and the issue is closed once the epic is finished (merged into its base).
//!
//! What was last written is kept in `<common dir>/epic/<name>/tracker.json`, so a sync writes
//! only what changed, and a tracker that does not answer is tried again by the next sync.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{read_record, IssueRef};
use crate::infra::error::Result;
use crate::model::epic::Workspace;
use crate::model::graph::Graph;
use crate::model::state::{State, Store};
use crate::ops::forge::{run_cli, Forge};

pub const RUNNING: &str = "git-epic:running";
pub const NEEDS_REVIEW: &str = "git-epic:needs-review";
pub const MERGED: &str = "git-epic:merged";

/// One thing written to a tracker, or why it could not be.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TrackerWrite {
    pub ticket: String,
    pub issue: u64,
    pub action: TrackerAction,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "detail")]
pub enum TrackerAction {
    Label(Option<String>),
    Commented,
    CommentEdited,
    Closed,
    Error(String),
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct SentState {
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    comment_id: Option<u64>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    closed: bool,
}

type Sent = BTreeMap<String, SentState>;

fn sent_path(ws: &Workspace) -> PathBuf {
    ws.repo
        .common_dir()
        .join("epic")
        .join(&ws.epic.name)
        .join("tracker.json")
}

/// Whether sync has issues to keep current: the setting is on and something was imported
/// from a tracker.
pub fn wanted(ws: &Workspace) -> Result<bool> {
    let settings = crate::infra::config::Settings::load(&ws.repo.config_snapshot(), &ws.epic.name)?;
    Ok(settings.tracker_write_back && read_record(ws)?.tickets.values().any(|e| e.issue.is_some()))
}

/// Bring every imported issue up to date with its ticket. Nothing at all without the setting.
pub fn write_back(ws: &Workspace, graph: &Graph) -> Result<Vec<TrackerWrite>> {
    if !wanted(ws)? {
        return Ok(Vec::new());
    }
    let record = read_record(ws)?;
    let path = sent_path(ws);
    let mut sent: Sent = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let store = Store::new(&ws.repo, &ws.epic.name);
    let ids: Vec<&str> = graph.tickets.iter().map(|t| t.id.as_str()).collect();
    let notes: BTreeMap<String, _> = store
        .get_many(&ids)?
        .into_iter()
        .filter_map(|(id, n)| n.ok().map(|n| (id, n)))
        .collect();
    let finished = !graph.is_empty()
        && graph
            .tickets
            .iter()
            .all(|t| notes.get(&t.id).is_some_and(|n| n.state == State::Merged))
        && epic_in_base(ws)?;
    let mut out = Vec::new();
    let mut labels_made = BTreeSet::new();
    for t in &graph.tickets {
        let Some(issue) = record.tickets.get(&t.id).and_then(|e| e.issue.clone()) else {
            continue;
        };
        let forge = match issue.forge.as_str() {
            "github" => Forge::GitHub,
            "gitlab" => Forge::GitLab,
            _ => continue,
        };
        let note = notes.get(&t.id);
        let state = note.map(|n| n.state).unwrap_or_default();
        let was = sent.entry(t.id.clone()).or_default();
        let mut push = |action| {
            out.push(TrackerWrite {
                ticket: t.id.clone(),
                issue: issue.number,
                action,
            })
        };
        let label = match state {
            State::Running | State::RateLimited => Some(RUNNING),
            State::Done => Some(NEEDS_REVIEW),
            State::Merged => Some(MERGED),
            _ => None,
        };
        if label != was.label.as_deref() {
            match set_label(
                ws,
                forge,
                &issue,
                label,
                was.label.as_deref(),
                &mut labels_made,
            ) {
                Ok(()) => {
                    was.label = label.map(str::to_owned);
                    push(TrackerAction::Label(was.label.clone()));
                }
                Err(e) => push(TrackerAction::Error(format!("{e:#}"))),
            }
        }
        let comment = note.and_then(|n| comment_for(ws, &t.id, n));
        if comment.is_some() && comment != was.comment {
            let body = comment.clone().unwrap_or_default();
            let done = match was.comment_id {
                Some(id) => {
                    edit_comment(ws, forge, &issue, id, &body).map(|_| TrackerAction::CommentEdited)
                }
                None => add_comment(ws, forge, &issue, &body).map(|id| {
                    was.comment_id = Some(id);
                    TrackerAction::Commented
                }),
            };
            match done {
                Ok(a) => {
                    was.comment = comment;
                    push(a);
                }
                Err(e) => push(TrackerAction::Error(format!("{e:#}"))),
            }
        }
        if finished && !was.closed {
            let n = issue.number.to_string();
            match run_cli(forge, &ws.root, &["issue", "close", &n]) {
                Ok(_) => {
                    was.closed = true;
                    push(TrackerAction::Closed);
                }
                Err(e) => push(TrackerAction::Error(format!("{e:#}"))),
            }
        }
    }
    crate::infra::supervisor::write_atomic(&path, &sent)
        .map_err(|e| anyhow::anyhow!("could not write {}: {e}", path.display()))?;
    Ok(out)
}

/// Whether the epic's tip is in its base branch: `git epic finish` merged it.
fn epic_in_base(ws: &Workspace) -> Result<bool> {
    let gitx = crate::infra::gitx::branch_tip;
    let (Some(epic), Some(base)) = (
        gitx(&ws.repo, &ws.epic.branch)?,
        gitx(&ws.repo, &ws.epic.base)?,
    ) else {
        return Ok(false);
    };
    crate::infra::gitx::is_ancestor(&ws.root, epic, base)
}

/// The one comment an issue gets: where its pull request is and where its ticket landed.
fn comment_for(ws: &Workspace, id: &str, n: &crate::model::state::TicketNote) -> Option<String> {
    let mut lines = Vec::new();
    if let Some(url) = &n.pr_url {
        lines.push(format!("Pull request: {url}"));
    }
    if n.state == State::Merged {
        let at = n
            .merged_commit
            .as_deref()
            .map(|c| format!(" at {}", &c[..c.len().min(12)]))
            .unwrap_or_default();
        lines.push(format!("Landed on `{}`{at}.", ws.epic.branch));
    }
    if lines.is_empty() {
        return None;
    }
    Some(format!(
        "git-epic: ticket `{id}` of epic `{}`.\n\n{}\n",
        ws.epic.name,
        lines.join("\n")
    ))
}

fn set_label(
    ws: &Workspace,
    forge: Forge,
    issue: &IssueRef,
    new: Option<&str>,
    old: Option<&str>,
    made: &mut BTreeSet<String>,
) -> Result<()> {
    let n = issue.number.to_string();
    match forge {
        Forge::GitHub => {
            let mut args = vec!["issue", "edit", n.as_str()];
            if let Some(l) = new {
                // gh refuses a label the repository does not have.
                if made.insert(l.to_owned()) {
                    run_cli(
                        forge,
                        &ws.root,
                        &[
                            "label",
                            "create",
                            l,
                            "--color",
                            "5319e7",
                            "--description",
                            "Set by git-epic",
                            "--force",
                        ],
                    )?;
                }
                args.extend(["--add-label", l]);
            }
            if let Some(l) = old {
                args.extend(["--remove-label", l]);
            }
            run_cli(forge, &ws.root, &args)?;
        }
        Forge::GitLab => {
            // GitLab makes a label the first time an issue gets it.
            let mut args = vec!["issue", "update", n.as_str()];
            if let Some(l) = new {
                args.extend(["--label", l]);
            }
            if let Some(l) = old {
                args.extend(["--unlabel", l]);
            }
            run_cli(forge, &ws.root, &args)?;
        }
    }
    Ok(())
}

/// Comment on the issue; the comment's id, from the URL the CLI prints.
fn add_comment(ws: &Workspace, forge: Forge, issue: &IssueRef, body: &str) -> Result<u64> {
    let n = issue.number.to_string();
    let (args, marker) = match forge {
        Forge::GitHub => (
            vec!["issue", "comment", n.as_str(), "--body", body],
            "#issuecomment-",
        ),
        Forge::GitLab => (vec!["issue", "note", n.as_str(), "-m", body], "#note_"),
    };
    let out = run_cli(forge, &ws.root, &args)?;
    out.lines()
        .find_map(|l| l.trim().rsplit_once(marker))
        .and_then(|(_, id)| id.parse().ok())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "`{} {} {}` printed no comment URL",
                forge.cli(),
                args[0],
                args[1]
            )
        })
}

fn edit_comment(ws: &Workspace, forge: Forge, issue: &IssueRef, id: u64, body: &str) -> Result<()> {
    let field = format!("body={body}");
    match forge {
        Forge::GitHub => {
            let path = format!("repos/{{owner}}/{{repo}}/issues/comments/{id}");
            run_cli(
                forge,
                &ws.root,
                &["api", "-X", "PATCH", &path, "-f", &field],
            )?;
        }
        Forge::GitLab => {
            let path = format!("projects/:id/issues/{}/notes/{id}", issue.number);
            run_cli(forge, &ws.root, &["api", "-X", "PUT", &path, "-f", &field])?;
        }
    }
    Ok(())
}
