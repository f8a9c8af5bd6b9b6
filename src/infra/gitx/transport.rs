//! Talking to a remote: `git fetch` and the like, never prompting for credentials (a run must
//! not hang on a prompt), output captured, shown under `GIT_EPIC_TRACE`.

use std::path::Path;

use anyhow::anyhow;

use crate::infra::error::Result;

/// Run `git <args>` against a remote: never prompting for credentials (a run must not hang
/// on a prompt), output captured, shown under `GIT_EPIC_TRACE`.
pub fn git_remote(root: &Path, args: &[&str]) -> Result<std::process::Output> {
    crate::infra::trace::trace(|| format!("git {}", args.join(" ")));
    Ok(duct::cmd("git", args)
        .dir(root)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()?)
}

pub fn fetch(root: &Path, remote: &str, specs: &[String]) -> Result<()> {
    if specs.is_empty() {
        return Ok(());
    }
    // No `git maintenance run --auto` after each fetch: a run through a remote fetches a
    // few times per ticket, and each spawned one more git (a tenth of the processes of ten
    // clones sharing one epic). The user's own git commands still run it.
    let mut args = vec![
        "fetch",
        "--quiet",
        "--no-tags",
        "--no-write-fetch-head",
        "--no-auto-maintenance",
        remote,
    ];
    // Tracking refs of a pattern whose remote ref is gone go too: a lease taken from one
    // would expect a ref the remote no longer has, and be refused for ever.
    if specs.iter().any(|s| s.contains('*')) {
        args.push("--prune");
    }
    args.extend(specs.iter().map(String::as_str));
    let mut tries = 0;
    loop {
        let out = git_remote(root, &args)?;
        if out.status.success() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&out.stderr);
        tries += 1;
        // Two threads of one run (a claim and a landing) fetched into the same tracking
        // ref at once: the later one fetches again.
        if tries < 20 && text.contains("cannot lock ref") {
            std::thread::sleep(std::time::Duration::from_millis(10 + 7 * tries));
            continue;
        }
        return Err(anyhow!("git fetch {remote} failed: {}", text.trim()));
    }
}

/// Where a local branch stands against a remote's after a sync; serialised as the words
/// `sync --json` has always printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum BranchSync {
    /// Not known: the remote could not be reached.
    #[default]
    #[serde(rename = "")]
    Unknown,
    #[serde(rename = "pushed")]
    Pushed,
    #[serde(rename = "fast-forwarded")]
    FastForwarded,
    #[serde(rename = "up to date")]
    UpToDate,
    /// Both moved: left as it is.
    #[serde(rename = "diverged")]
    Diverged,
    /// Neither side has the branch.
    #[serde(rename = "absent")]
    Absent,
    /// Checked out in a worktree here: left as it is.
    #[serde(rename = "checked out")]
    CheckedOut,
}

impl BranchSync {
    pub fn as_str(self) -> &'static str {
        match self {
            BranchSync::Unknown => "",
            BranchSync::Pushed => "pushed",
            BranchSync::FastForwarded => "fast-forwarded",
            BranchSync::UpToDate => "up to date",
            BranchSync::Diverged => "diverged",
            BranchSync::Absent => "absent",
            BranchSync::CheckedOut => "checked out",
        }
    }
}

impl std::fmt::Display for BranchSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}
