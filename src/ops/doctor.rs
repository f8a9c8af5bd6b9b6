//! `git epic doctor`: what git-epic needs, what it can use, and what looks stale.
//!
//! `diagnose` runs one function per concern, in the order doctor prints them; a check that
//! the later ones stand on (the epic, its tickets) ends the diagnosis when it fails.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::infra::config::{self, Settings};
use crate::model::epic::Workspace;
use crate::model::graph::Graph;
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

/// The lines found so far.
#[derive(Default)]
struct Diagnosis(Vec<Check>);

impl Diagnosis {
    fn check(
        &mut self,
        name: impl Into<String>,
        ok: bool,
        needed: bool,
        detail: impl Into<String>,
    ) {
        self.0.push(Check {
            name: name.into(),
            ok,
            needed,
            detail: detail.into(),
        });
    }
}

/// `git version 2.47.3` -> (2, 47).
pub fn parse_git_version(s: &str) -> Option<(u32, u32)> {
    let v = s.split_whitespace().nth(2)?;
    let mut parts = v.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

pub fn diagnose(cwd: &Path, epic_flag: Option<&str>) -> Vec<Check> {
    let mut d = Diagnosis::default();
    git_version(&mut d, cwd);
    tools(&mut d);
    let Some(ws) = epic(&mut d, cwd, epic_flag) else {
        return d.0;
    };
    branches(&mut d, &ws);
    let settings = config_parses(&mut d, &ws);
    config_keys(&mut d, &ws);
    if let Some(s) = &settings {
        let (ok, needed, detail) = crate::infra::sandbox::diagnose(s.sandbox);
        d.check("sandbox", ok, needed, detail);
    }
    let Some(graph) = tickets(&mut d, &ws) else {
        return d.0;
    };
    let states = ticket_states(&ws, &graph);
    if let Some(settings) = &settings {
        agents(&mut d, &ws, settings, &graph, &states);
    }
    stale_worktrees(&mut d, &ws);
    merged_worktrees(&mut d, &ws, &graph, &states);
    d.0
}

fn git_version(d: &mut Diagnosis, cwd: &Path) {
    match crate::infra::gitx::git(cwd, &["--version"]) {
        Ok(v) => {
            let ok = parse_git_version(&v).is_some_and(|ver| ver >= (2, 38));
            d.check(
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
        Err(e) => d.check("git", false, true, format!("{e:#}")),
    }
}

/// Optional programs: their absence is advice, never a failure.
fn tools(d: &mut Diagnosis) {
    for (tool, why) in [
        ("gh", "needed by git epic pr on GitHub"),
        ("glab", "needed by git epic pr on GitLab"),
        ("tmux", "needed by git epic monitor"),
    ] {
        match which::which(tool) {
            Ok(p) => d.check(tool, true, false, p.display().to_string()),
            Err(_) => d.check(tool, false, false, format!("not installed ({why})")),
        }
    }
}

fn epic(d: &mut Diagnosis, cwd: &Path, epic_flag: Option<&str>) -> Option<Workspace> {
    match Workspace::open(cwd, epic_flag) {
        Ok(ws) => {
            d.check(
                "epic",
                true,
                true,
                format!("{} on {}", ws.epic.name, ws.epic.branch),
            );
            Some(ws)
        }
        Err(e) => {
            d.check("epic", false, true, e.to_string());
            None
        }
    }
}

/// The epic branch is needed; the base only by `finish` without `--into`.
fn branches(d: &mut Diagnosis, ws: &Workspace) {
    let exists = |branch: &str| {
        crate::infra::gitx::branch_tip(&ws.repo, branch)
            .ok()
            .flatten()
            .is_some()
    };
    let epic_branch = exists(&ws.epic.branch);
    d.check(
        "epic branch",
        epic_branch,
        true,
        if epic_branch {
            ws.epic.branch.clone()
        } else {
            format!("{} does not exist", ws.epic.branch)
        },
    );
    let base = exists(&ws.epic.base);
    d.check(
        "base branch",
        base,
        false,
        if base {
            ws.epic.base.clone()
        } else {
            format!(
                "`{}` is not a local branch: finish needs --into",
                ws.epic.base
            )
        },
    );
}

fn config_parses(d: &mut Diagnosis, ws: &Workspace) -> Option<Settings> {
    match Settings::load(&ws.repo.config_snapshot(), &ws.epic.name) {
        Ok(settings) => {
            d.check("config", true, true, "epic.* values parse");
            Some(settings)
        }
        Err(e) => {
            d.check("config", false, true, e.to_string());
            None
        }
    }
}

/// Keys under `epic.` and `epicAgent.` that git-epic does not read: a typo is otherwise
/// ignored without a word. A warning (git-epic works without them), with the likely key.
fn config_keys(d: &mut Diagnosis, ws: &Workspace) {
    let config = ws.repo.config_snapshot();
    let keys = crate::infra::config::epic_keys(&config);
    let unknown = crate::infra::keys::unknown(&keys, &crate::model::epic::Epic::names(&ws.repo));
    // Said only when there is one: a line on every run would say nothing.
    if unknown.is_empty() {
        return;
    }
    let said: Vec<String> = unknown
        .iter()
        .map(|(key, hint)| match hint {
            Some(h) => format!("{key} (did you mean {h}?)"),
            None => key.clone(),
        })
        .collect();
    d.check(
        "config keys",
        false,
        false,
        format!(
            "not read by git-epic: {}; see docs/config.md or `man git-epic`",
            said.join(", ")
        ),
    );
}

fn tickets(d: &mut Diagnosis, ws: &Workspace) -> Option<Graph> {
    match ws.graph() {
        Ok(g) => {
            d.check(
                "tickets",
                true,
                true,
                format!("{} tickets in {} waves", g.len(), g.wave_count()),
            );
            Some(g)
        }
        Err(e) => {
            d.check("tickets", false, true, e.to_string());
            None
        }
    }
}

/// Each ticket's recorded state; an unreadable or missing note counts as pending.
fn ticket_states(ws: &Workspace, graph: &Graph) -> HashMap<String, State> {
    let ids: Vec<&str> = graph.tickets.iter().map(|t| t.id.as_str()).collect();
    let notes = Store::new(&ws.repo, &ws.epic.name)
        .get_many(&ids)
        .unwrap_or_default();
    ids.iter()
        .map(|id| {
            let state = match notes.get(*id) {
                Some(Ok(n)) => n.state,
                _ => State::Pending,
            };
            ((*id).to_owned(), state)
        })
        .collect()
}

fn state_of(states: &HashMap<String, State>, id: &str) -> State {
    states.get(id).copied().unwrap_or(State::Pending)
}

/// An agent command: its config key, the command line, and whether a ticket still to run uses it.
struct Profile {
    key: String,
    command: String,
    used: bool,
}

/// Agents: needed when a ticket that still has to run uses them.
fn agents(
    d: &mut Diagnosis,
    ws: &Workspace,
    settings: &Settings,
    graph: &Graph,
    states: &HashMap<String, State>,
) {
    let profiles = agent_profiles(d, ws, settings, graph, states);
    for profile in profiles {
        agent_program(d, ws, &profile);
    }
}

/// The configured agents, each marked used when a ticket still to run asks for it; a ticket
/// asking for an agent that is not configured is a failed check.
fn agent_profiles(
    d: &mut Diagnosis,
    ws: &Workspace,
    settings: &Settings,
    graph: &Graph,
    states: &HashMap<String, State>,
) -> Vec<Profile> {
    let snapshot = ws.repo.config_snapshot();
    let mut profiles = vec![Profile {
        key: "epic.agent".into(),
        command: settings.agent.clone(),
        used: false,
    }];
    for (name, command) in config::agent_profiles(&snapshot) {
        profiles.push(Profile {
            key: format!("epicAgent.{name}.command"),
            command,
            used: false,
        });
    }
    for t in &graph.tickets {
        if matches!(state_of(states, &t.id), State::Done | State::Merged) {
            continue;
        }
        let key = t.agent.as_ref().map_or("epic.agent".to_owned(), |p| {
            format!("epicAgent.{p}.command")
        });
        match profiles.iter_mut().find(|p| p.key == key) {
            Some(p) => p.used = true,
            None => d.check(
                format!("agent {key}"),
                false,
                true,
                format!("ticket {} asks for it, but it is not set", t.id),
            ),
        }
    }
    profiles
}

/// Whether the agent's program is found; for a used one, also what its adapter can probe.
fn agent_program(d: &mut Diagnosis, ws: &Workspace, profile: &Profile) {
    let Profile { key, command, used } = profile;
    let used = *used;
    let program = shell_words::split(command)
        .ok()
        .and_then(|w| w.first().cloned())
        .unwrap_or_default();
    let found =
        !program.is_empty() && (which::which(&program).is_ok() || ws.root.join(&program).is_file());
    let detail = match (found, used) {
        (true, _) => command.clone(),
        (false, true) => format!("`{program}` not found; tickets still to run use it"),
        (false, false) => format!("`{program}` not found (no ticket still to run uses it)"),
    };
    d.check(format!("agent {key}"), found, used, detail);
    if found && used {
        let argv = shell_words::split(command).unwrap_or_default();
        let adapter = crate::model::agents::Adapter::detect(&argv);
        let path = which::which(&program).unwrap_or_else(|_| ws.root.join(&program));
        for p in crate::model::agents::probe::probe(adapter, &path.to_string_lossy()) {
            // What could not be checked is said, and is no failure.
            d.check(
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

/// Worktrees git itself calls prunable.
fn stale_worktrees(d: &mut Diagnosis, ws: &Workspace) {
    let Ok(list) = crate::infra::gitx::git(&ws.root, &["worktree", "list", "--porcelain"]) else {
        return;
    };
    let prunable: Vec<&str> = list
        .split("\n\n")
        .filter(|e| e.lines().any(|l| l.starts_with("prunable")))
        .filter_map(|e| e.lines().next().and_then(|l| l.strip_prefix("worktree ")))
        .collect();
    d.check(
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

/// Merged tickets whose worktree is still on disk.
fn merged_worktrees(
    d: &mut Diagnosis,
    ws: &Workspace,
    graph: &Graph,
    states: &HashMap<String, State>,
) {
    let merged_with_worktree: Vec<&str> = graph
        .tickets
        .iter()
        .map(|t| t.id.as_str())
        .filter(|id| {
            state_of(states, id) == State::Merged && ws.worktree_path(id).join(".git").exists()
        })
        .collect();
    d.check(
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
}
