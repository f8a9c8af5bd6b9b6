//! `git epic pr`: push a ticket branch and open a pull request against the epic branch with
//! GitHub's `gh`, recording its URL in the ticket's note.

use anyhow::anyhow;

use crate::epic::{Epic, Workspace};
use crate::error::{usage, Result};
use crate::gitx;
use crate::graph::Graph;
use crate::state::Store;

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

/// Refuse early, before anything is pushed, when `gh` is missing.
pub fn require_gh() -> Result<std::path::PathBuf> {
    which::which("gh").map_err(|_| {
        usage("The GitHub CLI `gh` is not installed: install it from https://cli.github.com, run `gh auth login`, then try again.")
    })
}

pub fn open(ws: &Workspace, graph: &Graph, id: &str, draft: bool) -> Result<Opened> {
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
    if let Some(url) = note.pr_url.clone() {
        return Ok(Opened {
            id: id.to_owned(),
            branch,
            url,
            pushed: false,
            existing: true,
        });
    }
    let remote = gitx::git(
        &ws.root,
        &["config", "--get", &format!("branch.{branch}.remote")],
    )
    .unwrap_or_else(|_| "origin".into());
    if gitx::git(&ws.root, &["remote", "get-url", &remote]).is_err() {
        return Err(usage(format!("There is no remote `{remote}` to push {branch} to: add one with `git remote add {remote} <url>`.")));
    }
    // The base of the pull request must exist on the remote.
    let epic_ref = format!("refs/heads/{}", ws.epic.branch);
    if gitx::git(&ws.root, &["ls-remote", "--heads", &remote, &epic_ref])?.is_empty() {
        gitx::git(
            &ws.root,
            &[
                "push",
                "--quiet",
                &remote,
                &format!("{}:{epic_ref}", ws.epic.branch),
            ],
        )?;
    }
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
            &["push", "--quiet", "--set-upstream", &remote, &branch],
        )?;
    }
    let mut args = vec![
        "pr",
        "create",
        "--base",
        ws.epic.branch.as_str(),
        "--head",
        branch.as_str(),
        "--title",
        ticket.title.as_str(),
        "--body",
        ticket.body.as_str(),
    ];
    if draft {
        args.push("--draft");
    }
    let out = duct::cmd("gh", &args)
        .dir(&ws.root)
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()?;
    if !out.status.success() {
        return Err(anyhow!(
            "gh pr create failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let url = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with("http"))
        .map(|l| l.trim().to_owned())
        .ok_or_else(|| anyhow!("gh pr create printed no URL: {}", stdout.trim()))?;
    store.update(id, |n| {
        n.pr_url = Some(url.clone());
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
