//! One agent run that git-epic waits on in the foreground, for work that is not a ticket
//! (writing CONTEXT.md, splitting a spec): in a scratch worktree git-epic made and throws away,
//! unsupervised (the sandbox confines supervised ticket runs), its output appended to a log.

use std::path::Path;

use anyhow::{anyhow, Context as _};

use crate::infra::config::{PromptVia, Settings};
use crate::infra::error::Result;
use crate::infra::gitx;
use crate::infra::log::log_line;
use crate::model::agent::{self, AgentCommand};
use crate::model::agents::Observed;
use crate::model::epic::Workspace;

/// What the run is for, as its log header says it (`context`, `split`).
pub struct Job<'a> {
    pub purpose: &'a str,
    pub prompt: &'a str,
    /// The session to carry on, for a second round.
    pub resume: Option<&'a str>,
}

/// Runs `agent` in `dir` once; what its output said, or an error naming the log when it
/// failed.
pub fn run(
    ws: &Workspace,
    settings: &Settings,
    agent: &AgentCommand,
    dir: &Path,
    log: &Path,
    job: Job<'_>,
) -> Result<Observed> {
    let git_dirs = gitx::commit_dirs(&ws.repo, dir);
    let argv = agent::full_argv(
        agent,
        job.prompt,
        settings.prompt_via,
        settings,
        job.resume,
        &git_dirs,
        false,
    );
    if let Some(parent) = log.parent() {
        std::fs::create_dir_all(parent)?;
    }
    log_line(
        log,
        &format!(
            "=== git-epic {}: {} by {} in {} ===",
            ws.epic.name,
            job.purpose,
            agent.argv.join(" "),
            dir.display()
        ),
    )?;
    let start = std::fs::metadata(log).map(|m| m.len()).unwrap_or(0);
    let file = std::fs::OpenOptions::new().append(true).open(log)?;
    let mut cmd = duct::cmd(&argv[0], &argv[1..])
        .dir(dir)
        .stdout_file(file)
        .stderr_to_stdout()
        .env("EPIC_NAME", &ws.epic.name)
        .env("EPIC_BASE", &ws.epic.branch)
        // The scratch worktree is the agent's repository, whatever git-epic was run from.
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .unchecked();
    cmd = match settings.prompt_via {
        PromptVia::Stdin => cmd.stdin_bytes(job.prompt.as_bytes().to_vec()),
        PromptVia::Arg => cmd.stdin_null(),
    };
    let out = cmd
        .run()
        .with_context(|| format!("could not run {}", argv[0]))?;
    if !out.status.success() {
        return Err(anyhow!(
            "the agent failed ({}); see {}",
            out.status
                .code()
                .map_or("killed by a signal".to_owned(), |c| format!(
                    "exit code {c}"
                )),
            log.display()
        ));
    }
    let text = std::fs::read(log)?;
    let mut reader = agent.adapter.reader();
    for line in String::from_utf8_lossy(&text[start as usize..]).lines() {
        reader.line(line);
    }
    Ok(reader.into_observed())
}
