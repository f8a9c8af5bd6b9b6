//! `git epic join`: adopt an epic another machine published on the remote.

use std::path::Path;

use anyhow::anyhow;

use super::meta::{self, Meta};
use super::track;
use crate::infra::error::{usage, Result};
use crate::infra::gitx;
use crate::infra::gitx::transport::git_remote;
use crate::model::epic::Epic;

/// Adopt epic `name` published on `remote`: its config, ticket files, branch and notes.
pub fn join(root: &Path, repo: &gix::Repository, remote: &str, name: &str) -> Result<Epic> {
    if !crate::model::epic::is_valid_id(name) {
        return Err(usage(format!(
            "The epic name `{name}` {}.",
            crate::model::epic::id_problem(name)
        )));
    }
    if Epic::load(repo, name).is_some() {
        return Err(usage(format!("An epic named `{name}` is configured here already; `git epic sync --epic {name}` brings it up to date.")));
    }
    let meta_ref = meta::remote_ref(name);
    let tracked = track(remote, name, "meta");
    let spec = format!("+{meta_ref}:{tracked}");
    let out = git_remote(
        root,
        &[
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            remote,
            &spec,
        ],
    )?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        if why.contains("couldn't find remote ref") {
            return Err(usage(format!("{remote} has no epic `{name}` (no {meta_ref}); publish it with `git epic sync` from the machine that made it.")));
        }
        return Err(anyhow!("could not fetch from {remote}: {}", why.trim()));
    }
    let repo = gix::open(root)?;
    let commit =
        gitx::resolve_commit(&repo, &tracked).ok_or_else(|| anyhow!("{tracked} is missing"))?;
    let m = Meta::read(&repo, commit)
        .map_err(|e| anyhow!("the epic's definition on {remote} is refused: {e:#}"))?;
    if gitx::branch_tip(&repo, &m.epic.branch)?.is_some() {
        return Err(usage(format!(
            "A branch {} exists here already; remove or rename it to join the epic.",
            m.epic.branch
        )));
    }
    let dir = root.join(&m.epic.tasks_dir);
    for (file, text) in &m.tickets {
        if let Ok(mine) = std::fs::read_to_string(dir.join(file)) {
            if &mine != text {
                return Err(usage(format!(
                    "{} exists here with other content; move it away to join the epic.",
                    dir.join(file).display()
                )));
            }
        }
    }
    let sub = Some(name);
    gitx::set_local_config(
        &repo,
        &[
            ("epic", sub, "base", m.epic.base.clone()),
            ("epic", sub, "branch", m.epic.branch.clone()),
            ("epic", sub, "tasksDir", m.epic.tasks_dir.clone()),
            ("epic", sub, "worktreesDir", m.epic.worktrees_dir.clone()),
            ("epic", sub, "remote", remote.to_owned()),
            ("epic", None, "current", name.to_owned()),
        ],
    )?;
    std::fs::create_dir_all(&dir)?;
    for (file, text) in &m.tickets {
        std::fs::write(dir.join(file), text)?;
    }
    let wt = m
        .epic
        .worktrees_dir
        .trim_start_matches("./")
        .trim_end_matches('/');
    gitx::ensure_excluded(&repo, &format!("/{wt}/"))?;
    let _ = repo.reference(
        track(remote, name, "meta-synced").as_str(),
        commit,
        gix::refs::transaction::PreviousValue::Any,
        "git-epic: joined",
    );
    // Read again: the config just written is not in the first handle's snapshot.
    Epic::load(&gix::open(root)?, name).ok_or_else(|| anyhow!("the epic's config was not written"))
}
