//! `git epic doctor`.

use crate::support::{agent, Repo};

#[test]
fn doctor_reports_what_is_needed_and_what_is_stale() {
    let r = Repo::with_agent("commit.sh");
    r.epic(&["ticket", "add", "A"]).ok();
    r.epic(&["ticket", "add", "B", "--agent", "ghost"]).ok();
    // B's profile is not configured: needed, so exit 1.
    let out = r.epic(&["doctor"]).code(1);
    assert!(
        out.stdout.lines().any(|l| l.starts_with("ok   git ")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("FAIL agent epicAgent.ghost.command"),
        "{}",
        out.stdout
    );
    r.git(&["config", "epicAgent.ghost.command", "no-such-agent-xyz"]);
    let json = r.epic(&["doctor", "--json"]).code(1).json();
    let ghost = json
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "agent epicAgent.ghost.command")
        .unwrap();
    assert_eq!(ghost["ok"], false);
    assert_eq!(ghost["needed"], true);
    r.git(&["config", "epicAgent.ghost.command", &agent("commit.sh")]);
    let out = r.epic(&["doctor"]).ok();
    assert!(
        out.stdout
            .contains("ok   tickets            2 tickets in 1 waves"),
        "{}",
        out.stdout
    );
    // A merged ticket whose worktree is left, and a worktree deleted by hand.
    r.epic_env(&["run", "A"], &[]).ok();
    r.epic(&["merge", "A"]).ok();
    r.git(&["worktree", "add", "-q", "../gone", "-b", "gone"]);
    std::fs::remove_dir_all(r.dir.path().join("gone")).unwrap();
    let out = r.epic(&["doctor"]).ok();
    assert!(
        out.stdout
            .contains("warn merged worktrees   A still have worktrees (git epic cleanup)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("warn stale worktrees")
            && out.stdout.contains("gone (git worktree prune)"),
        "{}",
        out.stdout
    );
    // Broken config is needed.
    r.git(&["config", "epic.maxParallel", "lots"]);
    let out = r.epic(&["doctor"]).code(1);
    assert!(out.stdout.contains("FAIL config"), "{}", out.stdout);
    assert_eq!(
        git_epic::ops::doctor::parse_git_version("git version 2.47.3"),
        Some((2, 47))
    );
    assert_eq!(
        git_epic::ops::doctor::parse_git_version("git version 2.37.1.windows.1"),
        Some((2, 37))
    );
}

#[test]
fn doctor_outside_an_epic_says_so() {
    let r = Repo::new();
    let out = r.epic(&["doctor"]).code(1);
    assert!(
        out.stdout.contains("FAIL epic") && out.stdout.contains("No current epic"),
        "{}",
        out.stdout
    );
}
