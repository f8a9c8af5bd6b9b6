//! `git epic context`: CONTEXT.md, the pre-computed context every ticket's prompt carries
//! (folder structure, patterns to follow, files not to touch, naming conventions), written
//! once by an agent on the epic branch, or mechanically, and committed on the epic.
//!
//! It is written in a scratch worktree beside the ticket worktrees (detached at the epic's tip,
//! never a user's checkout); the epic moves to the new commit by compare-and-swap, and only
//! when CONTEXT.md is all that changed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::anyhow;

use crate::infra::config::Settings;
use crate::infra::error::{usage, Result};
use crate::infra::gitx;
use crate::model::agent;
use crate::model::epic::Workspace;
use crate::model::graph::Graph;
use crate::model::ticket::Ticket;
use crate::ops::foreground;
use crate::ops::worktree::scratch;

pub const FILE: &str = "CONTEXT.md";

/// Who writes it.
pub enum Writer {
    /// The agent of this profile (None: `epic.agent`).
    Agent(Option<String>),
    /// git-epic, from the tree and the tickets.
    Mechanical,
}

/// How it ended.
pub enum Written {
    /// Committed on the epic.
    Committed {
        commit: gix::ObjectId,
        log: Option<PathBuf>,
    },
    /// The epic already has this CONTEXT.md.
    Unchanged,
}

pub fn write(
    ws: &Workspace,
    settings: &Settings,
    graph: &Graph,
    writer: Writer,
) -> Result<Written> {
    let tip = gitx::branch_tip(&ws.repo, &ws.epic.branch)?
        .ok_or_else(|| anyhow!("the epic branch {} is gone", ws.epic.branch))?;
    // Checked before anything runs: an unknown profile or a missing program is exit 2.
    let agent = match &writer {
        Writer::Agent(profile) => {
            let t = Ticket {
                id: "CONTEXT".into(),
                title: "CONTEXT.md".into(),
                deps: vec![],
                scope: vec![FILE.into()],
                forbid: vec![],
                agent: profile.clone(),
                body: String::new(),
                path: PathBuf::new(),
            };
            Some(agent::resolve(
                &ws.repo.config_snapshot(),
                settings,
                &t,
                &ws.root,
            )?)
        }
        Writer::Mechanical => None,
    };
    let context_log = ws.logs_dir().join("CONTEXT.log");
    let slot = scratch::take_for_agent(
        &ws.root,
        &ws.worktrees_dir(),
        &ws.epic.name,
        tip,
        &context_log,
    )?;
    let mut log = None;
    match agent {
        None => {
            let text = mechanical(ws, graph, tip)?;
            std::fs::write(slot.dir.join(FILE), text)?;
        }
        Some(agent) => {
            run_agent(ws, settings, &agent, &slot.dir, &context_log)?;
            log = Some(context_log);
        }
    }
    if !slot.dir.join(FILE).is_file() {
        return Err(anyhow!(
            "the agent did not write {FILE}; see {}",
            log.as_deref()
                .map_or(String::new(), |l| l.display().to_string())
        ));
    }
    // Only CONTEXT.md may change: what else an agent did there is not the epic's.
    let status = gitx::git(
        &slot.dir,
        &["status", "--porcelain", "--untracked-files=all"],
    )?;
    let head = gitx::git(&slot.dir, &["rev-parse", "HEAD"])?;
    let committed_by_agent = gitx::git(
        &slot.dir,
        &["diff", "--name-only", &tip.to_string(), "HEAD"],
    )?;
    let others: Vec<&str> = status
        .lines()
        .map(|l| l.get(3..).unwrap_or_default())
        .chain(committed_by_agent.lines())
        .filter(|f| !f.is_empty() && *f != FILE)
        .collect();
    if !others.is_empty() {
        return Err(anyhow!(
            "the agent changed more than {FILE} ({}); nothing was committed",
            others.join(", ")
        ));
    }
    if gix::ObjectId::from_hex(head.as_bytes()).ok() != Some(tip) {
        // An agent that committed CONTEXT.md itself: squashed into one commit below.
        gitx::git(&slot.dir, &["reset", "--soft", &tip.to_string()])?;
    }
    gitx::git(&slot.dir, &["add", FILE])?;
    if gitx::git(&slot.dir, &["diff", "--cached", "--name-only"])?.is_empty() {
        return Ok(Written::Unchanged);
    }
    let message = format!("epic({}): context for the agents", ws.epic.name);
    gitx::git(&slot.dir, &["commit", "-q", "--no-verify", "-m", &message])?;
    let commit = gitx::resolve_commit(&gix::open(&slot.dir)?, "HEAD")
        .ok_or_else(|| anyhow!("the context commit is missing"))?;
    if !gitx::move_branch(&ws.repo, &ws.epic.branch, tip, commit, &message)? {
        return Err(anyhow!(
            "{} moved while CONTEXT.md was written; nothing was changed, run it again",
            ws.epic.branch
        ));
    }
    Ok(Written::Committed { commit, log })
}

const PROMPT: &str = "Write CONTEXT.md at the root of this repository: the context every coding \
agent working on this epic gets with its ticket. Read the code first. Keep it short and concrete, \
with these sections:

## Folder structure
What lives where (the directories that matter, one line each).

## Patterns to follow
How things are done here: architecture, error handling, tests, with a file to imitate for each.

## Files not to touch
Generated files, vendored code, anything shared that tickets must leave alone.

## Naming conventions
Files, types, functions, tests, branches and commits.

Change no other file, and do not commit: git-epic commits CONTEXT.md on the epic branch.";

fn run_agent(
    ws: &Workspace,
    settings: &Settings,
    agent: &agent::AgentCommand,
    dir: &Path,
    log: &Path,
) -> Result<()> {
    let mut prompt = PROMPT.to_owned();
    let graph = ws.graph()?;
    if !graph.tickets.is_empty() {
        prompt.push_str("\n\nThe epic's tickets, for what the context must cover:\n");
        for t in &graph.tickets {
            prompt.push_str(&format!("- {}: {}\n", t.id, t.title));
        }
    }
    foreground::run(
        ws,
        settings,
        agent,
        dir,
        log,
        foreground::Job {
            purpose: "context",
            prompt: &prompt,
            resume: None,
        },
    )?;
    Ok(())
}

/// The mechanical CONTEXT.md: the tree's top directories with their file counts, and each
/// ticket's scope and forbidden files.
fn mechanical(ws: &Workspace, graph: &Graph, tip: gix::ObjectId) -> Result<String> {
    let files = gitx::git(
        &ws.root,
        &["ls-tree", "-r", "--name-only", &tip.to_string()],
    )?;
    let mut dirs: BTreeMap<String, usize> = BTreeMap::new();
    let mut top_files = Vec::new();
    for f in files.lines().filter(|f| *f != FILE) {
        let parts: Vec<&str> = f.split('/').collect();
        match parts.len() {
            1 => top_files.push(f.to_owned()),
            2 => *dirs.entry(format!("{}/", parts[0])).or_default() += 1,
            _ => {
                *dirs.entry(format!("{}/", parts[0])).or_default() += 1;
                *dirs
                    .entry(format!("{}/{}/", parts[0], parts[1]))
                    .or_default() += 1;
            }
        }
    }
    // Nothing in it depends on the commit it is written on (not even itself in the
    // listing): written again on an unchanged tree and tickets, it is the same text.
    let mut t = format!(
        "# Context for the epic {}\n\nWritten by `git epic context --no-agent` from the tree of {} and the tickets.\n\n## Folder structure\n\n",
        ws.epic.name, ws.epic.branch,
    );
    for (d, n) in &dirs {
        let depth = d.matches('/').count() - 1;
        t.push_str(&format!("{}- `{d}` ({n} files)\n", "  ".repeat(depth)));
    }
    if !top_files.is_empty() {
        t.push_str(&format!(
            "- top level: {}\n",
            top_files
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    t.push_str("\n## Tickets and their scope\n\n");
    for wave in graph.by_wave() {
        for tk in wave {
            t.push_str(&format!(
                "- **{}** {} (wave {})",
                tk.id,
                tk.title,
                graph.wave(&tk.id)
            ));
            if !tk.deps.is_empty() {
                t.push_str(&format!(", after {}", tk.deps.join(", ")));
            }
            t.push('\n');
            if !tk.scope.is_empty() {
                t.push_str(&format!("  - changes only: {}\n", globs(&tk.scope)));
            }
            if !tk.forbid.is_empty() {
                t.push_str(&format!("  - must not touch: {}\n", globs(&tk.forbid)));
            }
        }
    }
    let mut forbidden: Vec<&String> = graph.tickets.iter().flat_map(|t| &t.forbid).collect();
    forbidden.sort();
    forbidden.dedup();
    if !forbidden.is_empty() {
        t.push_str("\n## Files not to touch\n\n");
        for f in forbidden {
            t.push_str(&format!("- `{f}`\n"));
        }
    }
    Ok(t)
}

fn globs(g: &[String]) -> String {
    g.iter()
        .map(|x| format!("`{x}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// CONTEXT.md as the epic has it (what every ticket's worktree starts from), else the main
/// worktree's file.
pub fn read(ws_repo: &gix::Repository, epic_branch: &str, root: &Path) -> Option<String> {
    let from_epic = (|| {
        let tip = gitx::branch_tip(ws_repo, epic_branch).ok()??;
        let commit = ws_repo.find_commit(tip).ok()?;
        let tree = commit.tree().ok()?;
        let entry = tree.find_entry(FILE)?;
        let blob = ws_repo.find_blob(entry.object_id()).ok()?;
        String::from_utf8(blob.data.clone()).ok()
    })();
    from_epic.or_else(|| std::fs::read_to_string(root.join(FILE)).ok())
}

/// Refuse `--agent P` for a profile that is not configured.
pub fn check_profile(ws: &Workspace, profile: &str) -> Result<()> {
    let config = ws.repo.config_snapshot();
    if crate::infra::config::agent_profile(&config, profile).is_none() {
        let known: Vec<String> = crate::infra::config::agent_profiles(&config)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        return Err(usage(format!(
            "There is no agent profile `{profile}`: git config epicAgent.{profile}.command is not set (see `git epic agent list`).{}",
            crate::infra::suggest::did_you_mean(profile, &known)
        )));
    }
    Ok(())
}
