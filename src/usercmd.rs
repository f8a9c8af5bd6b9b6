//! Commands the user put in git config (`epic.test`, `epic.lintFix`): the only things
//! git-epic runs through a shell, in a ticket's worktree, with output to the ticket's log.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;

use crate::agent::log_line;
use crate::error::Result;

/// How a user command ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub ok: bool,
    pub code: Option<i32>,
    pub seconds: f64,
    /// The last lines of its output, to show on failure.
    pub tail: Vec<String>,
}

/// Run `sh -c <command>` in `dir`, appending its output to `log` between header lines.
/// `what` names it in the log (`test`, `lint-fix`).
pub fn run(what: &str, command: &str, dir: &Path, log: &Path) -> Result<Outcome> {
    if let Some(parent) = log.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("could not create {}", parent.display()))?;
    }
    log_line(
        log,
        &format!("=== git-epic: {what} `{command}` in {} ===", dir.display()),
    )?;
    let file = std::fs::OpenOptions::new().append(true).open(log)?;
    let t = Instant::now();
    let out = duct::cmd("sh", ["-c", command])
        .dir(dir)
        .stdin_null()
        .stdout_file(file)
        .stderr_to_stdout()
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .unchecked()
        .run()
        .with_context(|| format!("could not run sh -c {command}"))?;
    let seconds = t.elapsed().as_secs_f64();
    let mut tail = crate::log::tail_lines(log, 21);
    if let Some(i) = tail
        .iter()
        .rposition(|l| l.starts_with("=== git-epic: ") && l.contains(command))
    {
        tail.drain(..=i);
    }
    let ok = out.status.success();
    log_line(
        log,
        &format!(
            "=== git-epic: {what} {} after {seconds:.1}s ===",
            if ok { "passed" } else { "failed" }
        ),
    )?;
    Ok(Outcome {
        ok,
        code: out.status.code(),
        seconds,
        tail,
    })
}
