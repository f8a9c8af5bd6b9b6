//! `git epic monitor`: a tmux session (or a window, inside tmux) with one tiled pane per
//! running ticket following its log, and one pane with `git epic status --watch`.

use std::path::Path;

use anyhow::{anyhow, Context};

use crate::infra::error::{usage, Result};
use crate::model::epic::Workspace;
use crate::model::state::State;

/// Where the monitor is.
pub struct MonitorSession {
    /// `session` or `session:window` to attach to or look at.
    pub target: String,
    pub session: String,
    pub logs: Vec<String>,
    /// Tickets that got no pane (the terminal had no room).
    pub left_out: Vec<String>,
    pub existed: bool,
    pub inside_tmux: bool,
}

fn tmux(args: &[&str]) -> Result<String> {
    let out = duct::cmd("tmux", args)
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .context("could not run tmux")?;
    if !out.status.success() {
        return Err(anyhow!(
            "tmux {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// One session per repository and epic: `epic-<name>-<6 hex of the repository path>`.
pub fn session_name(ws: &Workspace) -> String {
    let hash = ws
        .root
        .to_string_lossy()
        .bytes()
        .fold(0xcbf29ce484222325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
        });
    format!(
        "epic-{}-{:06x}",
        ws.epic.name.replace('.', "_"),
        hash & 0xff_ffff
    )
}

pub fn open(ws: &Workspace, exe: &Path) -> Result<MonitorSession> {
    which::which("tmux").map_err(|_| {
        usage("tmux is not installed: install it (apt install tmux, brew install tmux), or follow one agent with `git epic logs <id> -f`.")
    })?;
    let report = crate::ops::status::collect(ws)?;
    let running: Vec<String> = report
        .tickets
        .iter()
        .filter(|t| t.state == State::Running)
        .map(|t| t.id.clone())
        .collect();
    let session = session_name(ws);
    let inside_tmux = std::env::var_os("TMUX").is_some();
    let root = ws.root.to_string_lossy().into_owned();
    let q = |s: &str| shell_words::quote(s).into_owned();
    let status_cmd = format!(
        "{} --epic {} status --watch",
        q(&exe.to_string_lossy()),
        q(&ws.epic.name)
    );
    if !inside_tmux && tmux(&["has-session", "-t", &format!("={session}")]).is_ok() {
        return Ok(MonitorSession {
            target: session.clone(),
            session,
            logs: running,
            left_out: Vec::new(),
            existed: true,
            inside_tmux,
        });
    }
    let target = if inside_tmux {
        tmux(&[
            "new-window",
            "-P",
            "-F",
            "#{session_name}:#{window_index}",
            "-n",
            &session,
            "-c",
            &root,
            &status_cmd,
        ])?
    } else {
        tmux(&[
            "new-session",
            "-d",
            "-s",
            &session,
            "-x",
            "200",
            "-y",
            "60",
            "-c",
            &root,
            &status_cmd,
        ])?;
        session.clone()
    };
    let _ = tmux(&["select-pane", "-t", &target, "-T", "status"]);
    let mut logs = Vec::new();
    let mut left_out = Vec::new();
    for id in running {
        let log = ws.log_path(&id);
        let cmd = format!("tail -n 200 -F {}", q(&log.to_string_lossy()));
        match tmux(&["split-window", "-t", &target, "-c", &root, &cmd]) {
            Ok(_) => {
                let _ = tmux(&["select-pane", "-t", &target, "-T", &id]);
                let _ = tmux(&["select-layout", "-t", &target, "tiled"]);
                logs.push(id);
            }
            // No room for another pane: the rest are named instead.
            Err(_) => left_out.push(id),
        }
    }
    let _ = tmux(&["select-layout", "-t", &target, "tiled"]);
    Ok(MonitorSession {
        target,
        session,
        logs,
        left_out,
        existed: false,
        inside_tmux,
    })
}
