//! The temporary dir of a confined agent: made per run, removed when the run ends. A
//! supervisor killed with its agents (SIGKILL) cannot remove its own, so each new one first
//! removes those whose supervisor and agents are all gone.
//!
//! The supervisor leads the process group of its agents, and its pid is in the dir's name:
//! while any process of that group lives (an agent that outlived its supervisor, say), the
//! dir stays.

use std::path::Path;

use anyhow::Context;

use crate::infra::error::Result;

const PREFIX: &str = "git-epic-agent-";

/// A fresh temporary dir for this supervisor's agent, after removing stale ones.
pub(super) fn make() -> Result<tempfile::TempDir> {
    let base = std::env::temp_dir();
    sweep(&base);
    tempfile::Builder::new()
        .prefix(&format!("{PREFIX}{}-", std::process::id()))
        .tempdir_in(&base)
        .context("could not make the agent's temporary dir")
}

/// Remove the agents' temporary dirs in `base` that are this user's and whose process group
/// is gone. Anything else (another user's, a name not of this form, a link) is left alone.
fn sweep(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    // SAFETY: geteuid only reads the process's credentials.
    let me = unsafe { libc::geteuid() };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<i32>().ok())
        else {
            continue;
        };
        use std::os::unix::fs::MetadataExt;
        // Not followed: a link planted under such a name is never a way to remove elsewhere.
        let Ok(meta) = entry.path().symlink_metadata() else {
            continue;
        };
        if !meta.is_dir() || meta.uid() != me || pid <= 1 || group_alive(pid) {
            continue;
        }
        let _ = std::fs::remove_dir_all(entry.path());
    }
}

/// Whether any process of process group `pgid` is alive (or exists but is not ours to
/// signal: then it is alive too).
fn group_alive(pgid: i32) -> bool {
    // SAFETY: signal 0 only checks that the group exists.
    let r = unsafe { libc::kill(-pgid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;

    #[test]
    fn a_dead_runs_dir_goes_and_a_live_groups_dir_stays() {
        let base = tempfile::tempdir().unwrap();
        // A process group that ended: its leader ran and was waited for.
        let mut done = std::process::Command::new("true")
            .process_group(0)
            .spawn()
            .unwrap();
        let dead = done.id();
        done.wait().unwrap();
        // A live one: a leader still running.
        let mut live = std::process::Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .unwrap();
        let dir = |pid: u32| base.path().join(format!("{PREFIX}{pid}-x1"));
        std::fs::create_dir(dir(dead)).unwrap();
        std::fs::write(dir(dead).join("left.txt"), "by a killed agent").unwrap();
        std::fs::create_dir(dir(live.id())).unwrap();
        // Not of this form: left alone whatever it holds.
        std::fs::create_dir(base.path().join(format!("{PREFIX}x1"))).unwrap();
        std::fs::create_dir(base.path().join("other-1-x")).unwrap();
        sweep(base.path());
        let _ = live.kill();
        let _ = live.wait();
        assert!(!dir(dead).exists());
        assert!(dir(live.id()).exists());
        assert!(base.path().join(format!("{PREFIX}x1")).exists());
        assert!(base.path().join("other-1-x").exists());
    }
}
