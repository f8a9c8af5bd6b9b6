//! The supervisor's side of the sandbox: read the run's policy, confine the agent's process
//! just before it starts, and after it ends put its commits on its branch and tell, in the
//! log, what the sandbox refused it.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::infra::error::Result;
use crate::infra::sandbox::{self, Confinement, Mode, Policy, Reattached, Support};

/// Files of the worktree's private git dir that tell git where the repository is: the agent
/// may write that dir (git keeps HEAD and the index there) but these must stay as they were,
/// or git-epic's own commands in the worktree would read another repository.
const KEPT: &[&str] = &["commondir", "gitdir", "config.worktree"];

/// Most refusals told per run (the log has them all).
const MAX_REFUSALS: usize = 20;

/// A run about to start under its policy.
pub(super) struct Prepared {
    policy: Policy,
    confinement: Option<Confinement>,
    tmp: Option<tempfile::TempDir>,
    kept: Vec<(PathBuf, Option<Vec<u8>>)>,
}

/// Read the policy in `path` and make the confinement it asks for.
pub(super) fn prepare(path: &Path) -> Result<Prepared> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read the sandbox policy {}", path.display()))?;
    let policy: Policy = serde_json::from_str(&text)
        .with_context(|| format!("the sandbox policy {} is not valid", path.display()))?;
    // A run killed with its supervisor left HEAD detached: that run's commits first.
    report_reattached(&policy.worktree, sandbox::reattach(&policy.worktree));
    let abi = match (sandbox::support(), policy.mode) {
        (Support::Landlock(abi), _) => abi,
        (Support::None(why), Mode::Landlock) => {
            anyhow::bail!("epic.sandbox is landlock, but {why}")
        }
        (Support::None(why), _) => {
            eprintln!("git-epic: this agent runs unconfined: {why}");
            return Ok(unconfined(policy));
        }
    };
    for dir in &policy.make {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("git-epic: could not make {}: {e}", dir.display());
        }
    }
    let tmp = super::agent_tmp::make()?;
    let confinement = Confinement::build(&policy, tmp.path(), abi)?;
    let git_dir = gix::open(&policy.worktree)
        .ok()
        .map(|r| r.git_dir().to_owned());
    let kept = git_dir
        .iter()
        .flat_map(|d| KEPT.iter().map(move |f| d.join(f)))
        .map(|p| {
            let was = std::fs::read(&p).ok();
            (p, was)
        })
        .collect();
    let branch = sandbox::detach(&policy.worktree)?;
    eprintln!(
        "git-epic: confined by Landlock ABI {abi}: writes only {}{}, the temporary dir {}; unreadable: {}; {} credential variables held back",
        policy
            .write
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        branch.map_or(String::new(), |b| format!(
            " (commits on a detached HEAD, moved onto {b} when the agent ends)"
        )),
        tmp.path().display(),
        policy
            .hide
            .iter()
            .filter(|p| p.exists())
            .map(|p| p.display().to_string())
            .reduce(|a, b| format!("{a}, {b}"))
            .unwrap_or_else(|| "none of the usual secrets exist here".to_owned()),
        policy.drop_env.iter().filter(|v| std::env::var_os(v).is_some()).count(),
    );
    Ok(Prepared {
        policy,
        confinement: Some(confinement),
        tmp: Some(tmp),
        kept,
    })
}

fn unconfined(policy: Policy) -> Prepared {
    Prepared {
        policy,
        confinement: None,
        tmp: None,
        kept: Vec::new(),
    }
}

fn report_reattached(worktree: &Path, r: Result<Reattached>) {
    match r {
        // The routine end says nothing: the agent's last line stays its last line (the run's
        // first line said where its commits go).
        Ok(Reattached::Nothing) | Ok(Reattached::Moved { .. }) => {}
        Ok(Reattached::AgentSwitched(b)) => {
            eprintln!("git-epic: the agent switched its worktree to {b}; left as it is")
        }
        Ok(Reattached::BranchMoved { branch }) => eprintln!(
            "git-epic: {branch} moved while the agent ran; the worktree {} is left on the agent's last commit (detached)",
            worktree.display()
        ),
        Err(e) => eprintln!(
            "git-epic: could not put {} back on its branch: {e:#}",
            worktree.display()
        ),
    }
}

/// Git's housekeeping after a commit, fetch or merge (`git maintenance run --auto`, and the
/// `gc --auto` it runs once loose objects or packs pile up) packs refs and expires reflogs:
/// files a confined agent may not write, so run by the agent's git it failed half-way. It
/// is off for the agent, through git's environment config (added to any the user set), and
/// runs where it can, in git-epic's and the user's own git commands.
fn without_auto_maintenance(cmd: &mut std::process::Command) {
    let count = std::env::var("GIT_CONFIG_COUNT")
        .ok()
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let entries = [("maintenance.auto", "false"), ("gc.auto", "0")];
    for (i, (key, value)) in entries.iter().enumerate() {
        cmd.env(format!("GIT_CONFIG_KEY_{}", count + i), key);
        cmd.env(format!("GIT_CONFIG_VALUE_{}", count + i), value);
    }
    cmd.env("GIT_CONFIG_COUNT", (count + entries.len()).to_string());
}

impl Prepared {
    /// Whether the agent runs under Landlock (not: the kernel cannot, and the policy is `auto`).
    pub(super) fn is_confined(&self) -> bool {
        self.confinement.is_some()
    }

    /// Set up `cmd` as the policy says: the environment, the temporary dir, the ruleset.
    pub(super) fn apply(&self, cmd: &mut std::process::Command) {
        for var in &self.policy.drop_env {
            cmd.env_remove(var);
        }
        if let (Some(c), Some(tmp)) = (&self.confinement, &self.tmp) {
            for var in ["TMPDIR", "TMP", "TEMP"] {
                cmd.env(var, tmp.path());
            }
            without_auto_maintenance(cmd);
            c.apply_to(cmd);
        }
    }

    /// After the agent: its commits onto its branch, what it changed that it must not put
    /// back, and what the sandbox refused it (told in the log, and returned).
    pub(super) fn finish(self, log: &Path, offset: u64) -> Vec<String> {
        if self.confinement.is_none() {
            return Vec::new();
        }
        report_reattached(
            &self.policy.worktree,
            sandbox::reattach(&self.policy.worktree),
        );
        let mut refused = Vec::new();
        for (path, was) in &self.kept {
            let now = std::fs::read(path).ok();
            if &now != was {
                let _ = match was {
                    Some(bytes) => std::fs::write(path, bytes),
                    None => std::fs::remove_file(path),
                };
                refused.push(format!(
                    "changed {}, which git-epic put back",
                    path.display()
                ));
            }
        }
        refused.extend(sandbox::refusals(&output_since(log, offset), MAX_REFUSALS));
        for r in &refused {
            eprintln!("git-epic: sandbox refused: {r}");
        }
        refused
    }
}

/// The run's output so far (at most its last 4 MB: refusals are told near where they happen,
/// and a run's end is what matters most).
fn output_since(log: &Path, offset: u64) -> String {
    use std::io::{Read, Seek, SeekFrom};
    const MAX: u64 = 4 << 20;
    let Ok(mut f) = std::fs::File::open(log) else {
        return String::new();
    };
    let len = f.metadata().map_or(0, |m| m.len());
    let from = offset.max(len.saturating_sub(MAX));
    let mut buf = Vec::new();
    if f.seek(SeekFrom::Start(from)).is_ok() {
        let _ = f.take(MAX).read_to_end(&mut buf);
    }
    String::from_utf8_lossy(&buf).into_owned()
}
