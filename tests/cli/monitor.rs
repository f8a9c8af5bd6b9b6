//! `git epic monitor` with real tmux (on a private tmux server), when tmux is installed.

use std::time::{Duration, Instant};

use crate::support::Repo;

#[test]
fn monitor_tiles_the_running_logs_and_status() {
    if which::which("tmux").is_err() {
        eprintln!("skipped: tmux is not installed (.ci/run installs it)");
        return;
    }
    let r = Repo::with_agent("hang.sh");
    r.epic(&["ticket", "add", "A"]).ok();
    let tmux_dir = r.dir.path().join("tmux");
    std::fs::create_dir_all(&tmux_dir).unwrap();
    let tmux_env = [("TMUX_TMPDIR", tmux_dir.to_str().unwrap())];
    let mut run = r.spawn_epic(&["run", "A"], &[]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !r.fake_dir().join("pids.A").exists() {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = r.epic_env(&["monitor", "--detach"], &tmux_env).ok();
    let target = out.stdout.trim().to_owned();
    assert!(
        target.starts_with("epic-e-"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    let tmux = |args: &[&str]| {
        let o = std::process::Command::new("tmux")
            .args(args)
            .env("TMUX_TMPDIR", &tmux_dir)
            .env_remove("TMUX")
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let panes = tmux(&[
        "list-panes",
        "-t",
        &target,
        "-F",
        "#{pane_index} #{pane_title}",
    ]);
    assert_eq!(panes.lines().count(), 2, "{panes}");
    // The log pane follows the agent's output; the other shows status.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let all: String = (0..2)
            .map(|i| tmux(&["capture-pane", "-p", "-t", &format!("{target}.{i}")]))
            .collect();
        if all.contains("hanging") && all.contains("epic e") && all.contains("running") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "panes never showed the log and status:\n{all}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Again: the session is reused.
    let again = r.epic_env(&["monitor", "--detach"], &tmux_env).ok();
    assert!(again.stderr.contains("already there"), "{}", again.stderr);
    tmux(&["kill-server"]);
    unsafe { libc::kill(run.id() as i32, libc::SIGINT) };
    run.wait().unwrap();
}

#[test]
fn without_tmux_it_says_what_to_install() {
    let r = Repo::with_agent("commit.sh");
    let path = r.path_without("tmux", None);
    let out = r.epic_env(&["monitor"], &[("PATH", &path)]).code(2);
    assert!(
        out.stderr.starts_with("error: tmux is not installed"),
        "{}",
        out.stderr
    );
}
