//! `git epic doctor`: what git-epic needs, what it can use, and what looks stale.

use serde::Serialize;

use crate::infra::config::{self, Settings};
use crate::model::epic::Workspace;
use crate::model::state::{State, Store};

/// One line of the diagnosis.
#[derive(Debug, Serialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    /// A failed needed check makes `doctor` exit 1; the others are advice.
    pub needed: bool,
    pub detail: String,
}

fn check(
    out: &mut Vec<Check>,
    name: impl Into<String>,
    ok: bool,
    needed: bool,
    detail: impl Into<String>,
) {
    out.push(Check {
        name: name.into(),
        ok,
        needed,
        detail: detail.into(),
    });
}

/// `git version 2.47.3` -> (2, 47).
pub fn parse_git_version(s: &str) -> Option<(u32, u32)> {
    let v = s.split_whitespace().nth(2)?;
    let mut parts = v.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

pub fn diagnose(cwd: &std::path::Path, epic_flag: Option<&str>) -> Vec<Check> {
    let mut out = Vec::new();
    match crate::infra::gitx::git(cwd, &["--version"]) {
        Ok(v) => {
            let ok = parse_git_version(&v).is_some_and(|ver| ver >= (2, 38));
            check(
                &mut out,
                "git",
                ok,
                true,
                if ok {
                    v
                } else {
                    format!("{v}: git epic merge needs 2.38 or newer (git merge-tree --write-tree)")
                },
            );
        }
        Err(e) => check(&mut out, "git", false, true, format!("{e:#}")),
    }
    for (tool, why) in [
        ("gh", "needed by git epic pr on GitHub"),
        ("glab", "needed by git epic pr on GitLab"),
        ("tmux", "needed by git epic monitor"),
    ] {
        match which::which(tool) {
            Ok(p) => check(&mut out, tool, true, false, p.display().to_string()),
            Err(_) => check(
                &mut out,
                tool,
                false,
                false,
                format!("not installed ({why})"),
            ),
        }
    }
    let ws = match Workspace::open(cwd, epic_flag) {
        Ok(ws) => ws,
        Err(e) => {
            check(&mut out, "epic", false, true, e.to_string());
            return out;
        }
    };
    check(
        &mut out,
        "epic",
        true,
        true,
        format!("{} on {}", ws.epic.name, ws.epic.branch),
    );
    let epic_branch = crate::infra::gitx::branch_tip(&ws.repo, &ws.epic.branch)
        .ok()
        .flatten();
    check(
        &mut out,
        "epic branch",
        epic_branch.is_some(),
        true,
        if epic_branch.is_some() {
            ws.epic.branch.clone()
        } else {
            format!("{} does not exist", ws.epic.branch)
        },
    );
    let base = crate::infra::gitx::branch_tip(&ws.repo, &ws.epic.base)
        .ok()
        .flatten();
    check(
        &mut out,
        "base branch",
        base.is_some(),
        false,
        if base.is_some() {
            ws.epic.base.clone()
        } else {
            format!(
                "`{}` is not a local branch: finish needs --into",
                ws.epic.base
            )
        },
    );
    let settings = Settings::load(&ws.repo.config_snapshot(), &ws.epic.name);
    check(
        &mut out,
        "config",
        settings.is_ok(),
        true,
        match &settings {
            Ok(_) => "epic.* values parse".to_owned(),
            Err(e) => e.to_string(),
        },
    );
    let graph = match ws.graph() {
        Ok(g) => {
            check(
                &mut out,
                "tickets",
                true,
                true,
                format!("{} tickets in {} waves", g.len(), g.wave_count()),
            );
            g
        }
        Err(e) => {
            check(&mut out, "tickets", false, true, e.to_string());
            return out;
        }
    };
    let ids: Vec<&str> = graph.tickets.iter().map(|t| t.id.as_str()).collect();
    let notes = Store::new(&ws.repo, &ws.epic.name)
        .get_many(&ids)
        .unwrap_or_default();
    let state = |id: &str| match notes.get(id) {
        Some(Ok(n)) => n.state,
        _ => State::Pending,
    };
    // Agents: needed when a ticket that still has to run uses them.
    if let Ok(settings) = &settings {
        let snapshot = ws.repo.config_snapshot();
        let mut profiles: Vec<(String, String, bool)> =
            vec![("epic.agent".into(), settings.agent.clone(), false)];
        for (name, cmd) in config::agent_profiles(&snapshot) {
            profiles.push((format!("epicAgent.{name}.command"), cmd, false));
        }
        for t in &graph.tickets {
            if matches!(state(&t.id), State::Done | State::Merged) {
                continue;
            }
            let key = t.agent.as_ref().map_or("epic.agent".to_owned(), |p| {
                format!("epicAgent.{p}.command")
            });
            match profiles.iter_mut().find(|(k, _, _)| *k == key) {
                Some(p) => p.2 = true,
                None => check(
                    &mut out,
                    format!("agent {key}"),
                    false,
                    true,
                    format!("ticket {} asks for it, but it is not set", t.id),
                ),
            }
        }
        for (key, cmd, used) in profiles {
            let program = shell_words::split(&cmd)
                .ok()
                .and_then(|w| w.first().cloned())
                .unwrap_or_default();
            let found = !program.is_empty()
                && (which::which(&program).is_ok() || ws.root.join(&program).is_file());
            let detail = match (found, used) {
                (true, _) => cmd.clone(),
                (false, true) => format!("`{program}` not found; tickets still to run use it"),
                (false, false) => format!("`{program}` not found (no ticket still to run uses it)"),
            };
            check(&mut out, format!("agent {key}"), found, used, detail);
            if found && used {
                let argv = shell_words::split(&cmd).unwrap_or_default();
                let adapter = crate::model::agents::Adapter::detect(&argv);
                let path = which::which(&program).unwrap_or_else(|_| ws.root.join(&program));
                for p in crate::model::agents::probe::probe(adapter, &path.to_string_lossy()) {
                    // What could not be checked is said, and is no failure.
                    check(
                        &mut out,
                        format!("agent {key} {}", p.what),
                        p.ok.unwrap_or(true),
                        p.what == "login",
                        match p.ok {
                            None => format!(
                                "unchecked: {}",
                                p.detail.trim_start_matches("not checked: ")
                            ),
                            Some(_) => p.detail,
                        },
                    );
                }
            }
        }
    }
    // Stale worktrees: git's prunable ones, and worktrees of merged tickets.
    if let Ok(list) = crate::infra::gitx::git(&ws.root, &["worktree", "list", "--porcelain"]) {
        let prunable: Vec<&str> = list
            .split("\n\n")
            .filter(|e| e.lines().any(|l| l.starts_with("prunable")))
            .filter_map(|e| e.lines().next().and_then(|l| l.strip_prefix("worktree ")))
            .collect();
        check(
            &mut out,
            "stale worktrees",
            prunable.is_empty(),
            false,
            if prunable.is_empty() {
                "none".to_owned()
            } else {
                format!("{} (git worktree prune)", prunable.join(", "))
            },
        );
    }
    let merged_with_worktree: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| state(id) == State::Merged && ws.worktree_path(id).join(".git").exists())
        .collect();
    check(
        &mut out,
        "merged worktrees",
        merged_with_worktree.is_empty(),
        false,
        if merged_with_worktree.is_empty() {
            "none left".to_owned()
        } else {
            format!(
                "{} still have worktrees (git epic cleanup)",
                merged_with_worktree.join(", ")
            )
        },
    );
    out
}
