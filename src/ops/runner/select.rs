//! Which tickets a run starts, and everything needed to start each one.

use std::path::PathBuf;

use anyhow::anyhow;

use crate::infra::config::{PromptVia, Settings};
use crate::infra::error::{usage, Result};
use crate::model::agent::{self, AgentCommand};
use crate::model::epic::{Epic, Workspace};
use crate::model::graph::Graph;
use crate::model::prompt;
use crate::model::state::{State, Store};
use crate::ops::worktree::ready::Readiness;

/// Which tickets to start.
#[derive(Debug, Clone)]
pub enum Selection {
    Wave(usize),
    Next,
    All,
    Ids(Vec<String>),
}

/// One ticket the runner would start: everything `--dry-run` shows.
#[derive(Debug, Clone)]
pub struct Planned {
    pub id: String,
    pub title: String,
    pub worktree: PathBuf,
    /// The ticket's agent log.
    pub log: PathBuf,
    pub branch: String,
    pub agent: AgentCommand,
    pub prompt: String,
    pub argv: Vec<String>,
    pub prompt_via: PromptVia,
    /// Tickets on the longest remaining dependency chain start first.
    pub priority: usize,
}

/// Choose the tickets of a selection that are ready (all dependencies merged) and not done,
/// most urgent first (longest remaining chain). Refuses what cannot start.
pub fn select(ws: &Workspace, graph: &Graph, sel: &Selection) -> Result<Vec<String>> {
    let ids: Vec<&str> = graph.tickets.iter().map(|t| t.id.as_str()).collect();
    let notes = Store::new(&ws.repo, &ws.epic.name).get_many(&ids)?;
    let state_of = |id: &str| match notes.get(id) {
        Some(Ok(n)) => n.state,
        _ => State::Pending,
    };
    let finished = |id: &str| matches!(state_of(id), State::Done | State::Merged);
    let unmerged = |id: &str| -> Vec<&str> {
        graph.get(id).map_or(vec![], |t| {
            t.deps
                .iter()
                .map(String::as_str)
                .filter(|d| state_of(d) != State::Merged)
                .collect()
        })
    };
    let candidates: Vec<&str> = match sel {
        Selection::Ids(wanted) => {
            for id in wanted {
                ws.ticket(graph, id)?;
                let waiting = unmerged(id);
                if !waiting.is_empty() {
                    return Err(usage(format!(
                        "Ticket `{id}` is not ready: {} not merged yet.",
                        waiting.join(", ") + if waiting.len() == 1 { " is" } else { " are" }
                    )));
                }
            }
            wanted.iter().map(String::as_str).collect()
        }
        Selection::Wave(n) => {
            if *n >= graph.wave_count() {
                return Err(usage(format!(
                    "There is no wave {n}: the epic has {} waves (0 to {}).",
                    graph.wave_count(),
                    graph.wave_count().saturating_sub(1)
                )));
            }
            graph.by_wave()[*n].iter().map(|t| t.id.as_str()).collect()
        }
        Selection::Next => {
            // The lowest wave with a ticket to start: a failed or conflicting ticket (left to
            // a human) holds back no pending ticket of a later wave, such as a fix round
            // `merge` or `propagate` left. With none, the lowest unfinished wave says why.
            let waves = graph.by_wave();
            let startable = |id: &str| {
                !finished(id)
                    && !matches!(state_of(id), State::Failed | State::Conflict)
                    && unmerged(id).is_empty()
            };
            waves
                .iter()
                .find(|w| w.iter().any(|t| startable(&t.id)))
                .or_else(|| waves.iter().find(|w| w.iter().any(|t| !finished(&t.id))))
                .map_or(vec![], |w| w.iter().map(|t| t.id.as_str()).collect())
        }
        Selection::All => ids.clone(),
    };
    let mut ready: Vec<&str> = candidates
        .iter()
        .copied()
        .filter(|id| unmerged(id).is_empty())
        .collect();
    if !matches!(sel, Selection::Ids(_)) {
        ready.retain(|id| !finished(id));
        let blocked: Vec<String> = candidates
            .iter()
            .filter(|id| !finished(id) && !unmerged(id).is_empty())
            .map(|id| format!("{id} waits for {}", unmerged(id).join(", ")))
            .collect();
        if ready.is_empty() && !blocked.is_empty() {
            return Err(usage(format!(
                "No ticket is ready to start: {}; merge those first.",
                blocked.join("; ")
            )));
        }
    }
    let chain = graph.chain_lengths();
    ready.sort_by(|a, b| {
        chain[b]
            .cmp(&chain[a])
            .then_with(|| graph.wave(a).cmp(&graph.wave(b)))
            .then_with(|| crate::model::ticket::natural_cmp(a, b))
    });
    ready.dedup();
    Ok(ready.into_iter().map(str::to_owned).collect())
}

/// Everything needed to start each selected ticket. Fails (exit 2) before anything is made
/// when an agent program is missing or a profile is unknown.
pub fn prepare(
    ws: &Workspace,
    settings: &Settings,
    graph: &Graph,
    ids: &[String],
) -> Result<Vec<Planned>> {
    let config = ws.repo.config_snapshot();
    let chain = graph.chain_lengths();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let notes = Store::new(&ws.repo, &ws.epic.name).get_many(&id_refs)?;
    let context = crate::ops::context::read(&ws.repo, &ws.epic.branch, &ws.root);
    ids.iter()
        .map(|id| {
            let t = graph
                .get(id)
                .ok_or_else(|| anyhow!("unknown ticket {id}"))?;
            // A fix round runs on epic.fixAgent (the cheap model) when there is one.
            let fixing = matches!(notes.get(id.as_str()), Some(Ok(n)) if n.request.as_ref().is_some_and(|r| r.kind == "fix"));
            let agent = match settings.fix_agent.as_ref().filter(|_| fixing) {
                Some(profile) => {
                    let mut fixer = t.clone();
                    fixer.agent = Some(profile.clone());
                    agent::resolve(&config, settings, &fixer, &ws.root)?
                }
                None => agent::resolve(&config, settings, t, &ws.root)?,
            };
            // Bad input stops the run before anything is made.
            Readiness::load(&ws.repo, &ws.epic.name, Some(&agent.profile))?;
            let prompt = prompt::build(t, context.as_deref());
            let worktree = ws.worktree_path(id);
            let git_dirs = crate::infra::gitx::commit_dirs(&ws.repo, &worktree);
            let argv = agent::full_argv(
                &agent,
                &prompt,
                settings.prompt_via,
                settings,
                None,
                &git_dirs,
                agent.sandbox.confines(),
            );
            Ok(Planned {
                id: id.clone(),
                title: t.title.clone(),
                worktree,
                log: ws.log_path(id),
                branch: Epic::ticket_branch(id, &t.title),
                agent,
                prompt,
                argv,
                prompt_via: settings.prompt_via,
                priority: chain.get(id.as_str()).copied().unwrap_or(1),
            })
        })
        .collect()
}
