//! `git epic pr`: push a ticket branch and open a pull (merge) request against the epic
//! branch with `gh` or `glab`, recording its URL in the ticket's note.

use anyhow::anyhow;

use super::Forge;
use crate::infra::error::{usage, Result};
use crate::infra::gitx;
use crate::model::epic::{Epic, Workspace};
use crate::model::graph::Graph;
use crate::model::state::Store;

/// What `pr` did for one ticket.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Opened {
    pub id: String,
    pub branch: String,
    pub url: String,
    /// Whether the branch was pushed now.
    pub pushed: bool,
    /// The pull request existed already (its URL was recorded).
    pub existing: bool,
}

/// The remote pull requests are opened on, and its forge; refused early, before anything is
/// pushed, when the remote or the forge's CLI is missing.
pub fn forge(ws: &Workspace) -> Result<(String, Forge)> {
    let remote =
        crate::infra::config::remote_of(&ws.repo, &ws.epic.name).unwrap_or_else(|| "origin".into());
    let url = gitx::git(&ws.root, &["remote", "get-url", &remote]).ok();
    let setting = crate::infra::config::forge_of(&ws.repo, &ws.epic.name);
    let forge = Forge::detect(setting.as_deref(), url.as_deref().unwrap_or_default())?;
    forge.require()?;
    if url.is_none() {
        return Err(usage(format!(
            "There is no remote `{remote}` to push to: add one with `git remote add {remote} <url>`."
        )));
    }
    Ok((remote, forge))
}

pub fn open(
    ws: &Workspace,
    graph: &Graph,
    (remote, forge): (&str, Forge),
    id: &str,
    draft: bool,
) -> Result<Opened> {
    let ticket = ws.ticket(graph, id)?;
    let store = Store::new(&ws.repo, &ws.epic.name);
    let note = store.get(id)?.unwrap_or_default();
    let worktree = ws.worktree_path(id);
    let branch = note
        .branch
        .clone()
        .or_else(|| {
            gix::open(&worktree)
                .ok()
                .and_then(|r| gitx::current_branch(&r).ok().flatten())
        })
        .unwrap_or_else(|| Epic::ticket_branch(id, &ticket.title));
    let tip = gitx::branch_tip(&ws.repo, &branch)?.ok_or_else(|| {
        usage(format!(
            "Ticket `{id}` has no branch {branch} yet: run it first."
        ))
    })?;
    let epic_tip = gitx::branch_tip(&ws.repo, &ws.epic.branch)?
        .ok_or_else(|| anyhow!("the epic branch {} is gone", ws.epic.branch))?;
    if gitx::ahead_behind(&ws.repo, tip, epic_tip)?.0 == 0 {
        return Err(usage(format!(
            "{branch} has no commits beyond {}: nothing to review.",
            ws.epic.branch
        )));
    }
    // The base of the pull request must exist on the remote.
    let epic_ref = format!("refs/heads/{}", ws.epic.branch);
    if note.pr_url.is_none()
        && gitx::git(&ws.root, &["ls-remote", "--heads", remote, &epic_ref])?.is_empty()
    {
        gitx::git(
            &ws.root,
            &[
                "push",
                "--quiet",
                remote,
                &format!("{}:{epic_ref}", ws.epic.branch),
            ],
        )?;
    }
    // An open pull request follows its branch: new commits (after requested changes) go up.
    let upstream = gitx::git(
        &ws.root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{branch}@{{upstream}}"),
        ],
    )
    .ok();
    let pushed = upstream.as_deref() != Some(tip.to_string().as_str());
    if pushed {
        gitx::git(
            &ws.root,
            &["push", "--quiet", "--set-upstream", remote, &branch],
        )?;
    }
    if let Some(url) = note.pr_url.clone() {
        return Ok(Opened {
            id: id.to_owned(),
            branch,
            url,
            pushed,
            existing: true,
        });
    }
    let args = forge.create_args(&ws.epic.branch, &branch, &ticket.title, &ticket.body, draft);
    let stdout = super::run_cli(
        forge,
        &ws.root,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    )?;
    let url = stdout
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with("http"))
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("{} printed no URL: {}", forge.cli(), stdout.trim()))?;
    store.update(id, |n| {
        n.pr_url = Some(url.clone());
        n.pr_state = Some("open".into());
        n.branch.get_or_insert_with(|| branch.clone());
        Ok(())
    })?;
    Ok(Opened {
        id: id.to_owned(),
        branch,
        url,
        pushed,
        existing: false,
    })
}
