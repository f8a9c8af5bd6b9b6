//! Commands the user put in git config (`epic.test`, `epic.lintFix`): the only things
//! git-epic runs through a shell, in a ticket's worktree, with output to the ticket's log;
//! and `epic.setup`, split into words like an agent command and run without one.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;

use crate::infra::error::Result;
use crate::infra::log::log_line;

/// How a user command ended.
#[derive(Debug, Clone)]
pub struct Ran {
    pub ok: bool,
    pub code: Option<i32>,
    pub seconds: f64,
    /// The last lines of its output, to show on failure.
    pub tail: Vec<String>,
    /// The lines that say what failed (errors, failed assertions), capped; the last lines
    /// when none does.
    pub errors: Vec<String>,
}

/// Run `sh -c <command>` in `dir`, appending its output to `log` between header lines.
/// `what` names it in the log (`test`, `lint-fix`).
pub fn run(what: &str, command: &str, dir: &Path, log: &Path) -> Result<Ran> {
    run_expr(what, command, duct::cmd("sh", ["-c", command]), dir, log)
        .with_context(|| format!("could not run sh -c {command}"))
}

/// Run a command the user gave as words (`epic.setup`): split like an agent command, run
/// without a shell, logged like [`run`].
pub fn run_words(what: &str, command: &str, dir: &Path, log: &Path) -> Result<Ran> {
    let argv = shell_words::split(command).map_err(|e| {
        anyhow::anyhow!("{what} command `{command}` does not split into words: {e}")
    })?;
    let Some((program, args)) = argv.split_first() else {
        return Err(anyhow::anyhow!("{what} command is empty"));
    };
    run_expr(what, command, duct::cmd(program, args), dir, log)
        .with_context(|| format!("could not run {what} command `{command}`"))
}

fn run_expr(
    what: &str,
    command: &str,
    expr: duct::Expression,
    dir: &Path,
    log: &Path,
) -> Result<Ran> {
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
    let out = expr
        .dir(dir)
        .stdin_null()
        .stdout_file(file)
        .stderr_to_stdout()
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .unchecked()
        .run()?;
    let seconds = t.elapsed().as_secs_f64();
    let mut lines = crate::infra::log::tail_lines(log, 2000);
    if let Some(i) = lines
        .iter()
        .rposition(|l| l.starts_with("=== git-epic: ") && l.contains(command))
    {
        lines.drain(..=i);
    }
    let tail = lines[lines.len().saturating_sub(20)..].to_vec();
    let errors = error_lines(&lines);
    let ok = out.status.success();
    log_line(
        log,
        &format!(
            "=== git-epic: {what} {} after {seconds:.1}s ===",
            if ok { "passed" } else { "failed" }
        ),
    )?;
    Ok(Ran {
        ok,
        code: out.status.code(),
        seconds,
        tail,
        errors,
    })
}

/// At most this many error lines go into a note and a fix prompt.
pub const MAX_ERROR_LINES: usize = 20;

/// The lines of a failed command's output that say what failed, the way the method greps
/// `error | head -20`: lines naming an error, a failure, a panic or a failed assertion (and
/// the expected/found lines around assertions), the first [`MAX_ERROR_LINES`] of them; the
/// last lines when none does. Each is cut to 300 characters.
pub fn error_lines(lines: &[String]) -> Vec<String> {
    static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = PATTERN.get_or_init(|| {
        regex::Regex::new(
            r"(?i)\berror\b|\berrors?\[|\bfail(ed|ure|s)?\b|\bpanic(ked)?\b|\bassert|\bexpected\b|\bexception\b|traceback|^\s*not ok\b|^E\s|✗|✘",
        )
        .expect("a valid pattern")
    });
    let cut = |l: &String| l.chars().take(300).collect::<String>();
    let hits: Vec<String> = lines
        .iter()
        .filter(|l| re.is_match(l))
        .take(MAX_ERROR_LINES)
        .map(cut)
        .collect();
    if hits.is_empty() {
        lines[lines.len().saturating_sub(MAX_ERROR_LINES)..]
            .iter()
            .map(cut)
            .collect()
    } else {
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_lines_keep_what_failed_and_drop_the_noise() {
        let out: Vec<String> = [
            "   Compiling foo v0.1.0",
            "warning: unused variable `x`",
            "running 3 tests",
            "test a ... ok",
            "test b ... FAILED",
            "thread 'b' panicked at src/lib.rs:3:5:",
            "assertion `left == right` failed",
            "  left: 3",
            "test result: FAILED. 2 passed; 1 failed",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let errors = error_lines(&out);
        assert_eq!(
            errors,
            [
                "test b ... FAILED",
                "thread 'b' panicked at src/lib.rs:3:5:",
                "assertion `left == right` failed",
                "test result: FAILED. 2 passed; 1 failed",
            ]
        );
        let quiet: Vec<String> = (0..30).map(|i| format!("line {i}")).collect();
        assert_eq!(error_lines(&quiet).len(), MAX_ERROR_LINES);
        assert_eq!(error_lines(&quiet)[0], "line 10");
    }
}
