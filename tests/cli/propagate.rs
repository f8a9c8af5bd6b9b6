//! `git epic propagate` on real worktrees.

use crate::support::Repo;

/// Tickets A, B, C, D done by the committing agent (C rewrites README.md), A merged, and the
/// epic changed README.md too: three open worktrees, B and D rebase cleanly, C conflicts.
fn setup() -> Repo {
    let r = Repo::with_agent("commit.sh");
    r.git(&["config", "epicAgent.readme.command", "sh -c 'echo \"$EPIC_TICKET was here\" > README.md && git commit -qam \"$EPIC_TICKET: readme\"'"]);
    r.epic(&["ticket", "add", "A"]).ok();
    r.epic(&["ticket", "add", "B"]).ok();
    r.epic(&["ticket", "add", "C", "--agent", "readme"]).ok();
    r.epic(&["ticket", "add", "D"]).ok();
    r.epic_env(&["wave", "start"], &[]).ok();
    r.epic(&["merge", "A"]).ok();
    // Someone changes README.md on the epic.
    r.git(&["worktree", "add", "-q", "--detach", "../epic-wt", "epic/e"]);
    let ewt = r.dir.path().join("epic-wt");
    std::fs::write(ewt.join("README.md"), "the epic's readme\n").unwrap();
    r.git_in(&ewt, &["commit", "-qam", "epic readme"]);
    r.git_in(&ewt, &["push", "-q", ".", "HEAD:epic/e"]);
    r
}

fn wt(r: &Repo, id: &str) -> std::path::PathBuf {
    r.path().join(format!("worktrees/feat-{id}"))
}

#[test]
fn a_conflict_in_one_worktree_leaves_it_byte_identical_and_the_others_rebased() {
    let r = setup();
    let (b_old, c_old) = (
        r.git(&["rev-parse", "feat/B-b"]),
        r.git(&["rev-parse", "feat/C-c"]),
    );
    let c_status = r.git_in(
        &wt(&r, "C"),
        &["status", "--porcelain", "--untracked-files=all"],
    );
    let out = r.epic(&["propagate"]).code(1);
    assert!(out.stdout.contains("TICKET"), "{}", out.stdout);
    // B and D now sit on the new epic, each with its own commit on top.
    let epic = r.git(&["rev-parse", "epic/e"]);
    assert_eq!(r.git(&["rev-parse", "feat/B-b~1"]), epic);
    assert_eq!(r.git(&["rev-parse", "feat/D-d~1"]), epic);
    assert_ne!(r.git(&["rev-parse", "feat/B-b"]), b_old);
    // C is exactly what it was.
    assert_eq!(r.git(&["rev-parse", "feat/C-c"]), c_old);
    assert_eq!(
        r.git_in(
            &wt(&r, "C"),
            &["status", "--porcelain", "--untracked-files=all"]
        ),
        c_status
    );
    assert!(!wt(&r, "C").join(".git").is_dir());
    let row = r.row("C");
    assert_eq!(row["state"], "conflict");
    assert!(
        row["reason"].as_str().unwrap().contains("README.md"),
        "{row}"
    );
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("C ") && l.contains("conflict") && l.contains("README.md")),
        "{}",
        out.stdout
    );
    // A is merged: not an open worktree any more.
    assert!(
        !out.stdout.lines().any(|l| l.starts_with("A ")),
        "{}",
        out.stdout
    );
    let json = r.epic(&["propagate", "--json"]).code(1).json();
    assert_eq!(json["tickets"].as_array().unwrap().len(), 3);
    assert_eq!(json["tickets"][0]["rebase"], "up_to_date");
    assert_eq!(json["tickets"][1]["result"], "conflict");
    assert_eq!(json["tickets"][1]["conflict_files"][0], "README.md");
    assert_eq!(json["tickets"][2]["rebase"], "up_to_date");
}

#[test]
fn a_dirty_worktree_is_skipped_or_stashed_and_restored() {
    let r = setup();
    r.git(&["config", "epicAgent.readme.command", "true"]);
    let b = wt(&r, "B");
    std::fs::write(b.join("B.txt"), "edited, not committed\n").unwrap();
    std::fs::write(b.join("scratch.txt"), "untracked\n").unwrap();
    let old = r.git(&["rev-parse", "feat/B-b"]);
    let out = r.epic(&["propagate"]).code(1);
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("B ") && l.contains("skipped") && l.contains("--autostash")),
        "{}",
        out.stdout
    );
    assert_eq!(r.git(&["rev-parse", "feat/B-b"]), old);
    let out = r.epic(&["propagate", "--autostash"]).code(1);
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("B ") && l.contains("ok") && l.contains("restored")),
        "{}",
        out.stdout
    );
    assert_eq!(
        r.git(&["rev-parse", "feat/B-b~1"]),
        r.git(&["rev-parse", "epic/e"])
    );
    assert_eq!(
        std::fs::read_to_string(b.join("B.txt")).unwrap(),
        "edited, not committed\n"
    );
    assert_eq!(
        std::fs::read_to_string(b.join("scratch.txt")).unwrap(),
        "untracked\n"
    );
    assert_eq!(
        r.git(&["stash", "list"]),
        "",
        "the stash entry is dropped once restored"
    );
}

#[test]
fn lint_fix_is_committed_and_a_red_test_fails() {
    let r = setup();
    r.git(&["config", "epic.lintFix", "echo fixed >> lint.txt"]);
    r.git(&["config", "epic.test", "test ! -f C.txt"]);
    let out = r.epic(&["propagate", "-j", "1"]).code(1);
    let b = wt(&r, "B");
    assert_eq!(
        r.git_in(&b, &["log", "-1", "--format=%s"]),
        "epic: lint-fix after propagate"
    );
    assert_eq!(
        std::fs::read_to_string(b.join("lint.txt")).unwrap(),
        "fixed\n"
    );
    assert!(
        out.stdout.lines().any(|l| l.starts_with("B ")
            && l.contains("committed")
            && l.contains("passed")
            && l.contains("ok")),
        "{}",
        out.stdout
    );
    assert!(r
        .log("B")
        .contains("=== git-epic: lint-fix `echo fixed >> lint.txt`"));
    // Without lint and test: nothing to commit, nothing red; C still conflicts.
    let out = r
        .epic(&["propagate", "--no-lint", "--no-test", "--json"])
        .code(1)
        .json();
    assert_eq!(out["tickets"][0]["lint"], "none", "not asked for");
    assert_eq!(out["tickets"][0]["test"], "none");
    // A red test alone makes exit 1.
    r.git(&["config", "epic.test", "false"]);
    let json = r.epic(&["propagate", "--no-lint", "--json"]).code(1).json();
    assert_eq!(json["tickets"][0]["result"], "red");
}

#[test]
fn a_worktree_under_a_live_process_is_never_touched() {
    let r = setup();
    let repo = gix::open(r.path()).unwrap();
    git_epic::state::Store::new(&repo, "e")
        .update("B", |n| {
            n.state = git_epic::state::State::Running;
            n.owner_pid = Some(std::process::id());
            n.owner_start = git_epic::process::start_time(std::process::id());
            Ok(())
        })
        .unwrap();
    let old = r.git(&["rev-parse", "feat/B-b"]);
    let out = r.epic(&["propagate"]).code(1);
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("B ") && l.contains("never rebased under it")),
        "{}",
        out.stdout
    );
    assert_eq!(r.git(&["rev-parse", "feat/B-b"]), old);
}

#[test]
fn a_conflict_cleared_by_a_later_propagate_goes_back_to_done() {
    let r = setup();
    r.epic(&["propagate"]).code(1);
    assert_eq!(r.row("C")["state"], "conflict");
    // The user resolves it in the worktree by rebasing by hand.
    let c = wt(&r, "C");
    let _ = std::process::Command::new("git")
        .args(["rebase", "epic/e"])
        .current_dir(&c)
        .output();
    std::fs::write(c.join("README.md"), "both\n").unwrap();
    r.git_in(&c, &["add", "README.md"]);
    let mut cmd = std::process::Command::new("git");
    cmd.args(["-c", "core.editor=true", "rebase", "--continue"])
        .current_dir(&c);
    r.env(&mut cmd);
    assert!(cmd.status().unwrap().success());
    r.epic(&["propagate"]).ok();
    assert_eq!(r.row("C")["state"], "done");
}

#[test]
fn an_aborted_rebase_gives_back_the_stashed_work_too() {
    let r = setup();
    let c = wt(&r, "C");
    std::fs::write(c.join("C-notes.txt"), "uncommitted idea\n").unwrap();
    std::fs::write(c.join("README.md"), "C was here, and more\n").unwrap();
    let head = r.git(&["rev-parse", "feat/C-c"]);
    let out = r.epic(&["propagate", "--autostash"]).code(1);
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("C ") && l.contains("conflict") && l.contains("restored")),
        "{}",
        out.stdout
    );
    assert_eq!(r.git(&["rev-parse", "feat/C-c"]), head);
    assert_eq!(
        std::fs::read_to_string(c.join("C-notes.txt")).unwrap(),
        "uncommitted idea\n"
    );
    assert_eq!(
        std::fs::read_to_string(c.join("README.md")).unwrap(),
        "C was here, and more\n"
    );
    assert_eq!(r.git(&["stash", "list"]), "");
}

#[test]
fn a_rebase_the_user_has_under_way_is_never_touched() {
    let r = setup();
    let b = wt(&r, "B");
    // The user stops an interactive rebase at an "edit" step, with a clean tree.
    let mut cmd = std::process::Command::new("git");
    cmd.args(["rebase", "-i", "HEAD~1"]).current_dir(&b);
    r.env(&mut cmd);
    cmd.env("GIT_SEQUENCE_EDITOR", "sed -i 's/^pick/edit/'");
    assert!(cmd.status().unwrap().success());
    let head = r.git_in(&b, &["rev-parse", "HEAD"]);
    let out = r.epic(&["propagate", "--autostash"]).code(1);
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("B ") && l.contains("a rebase is in progress")),
        "{}",
        out.stdout
    );
    assert_eq!(r.git_in(&b, &["rev-parse", "HEAD"]), head);
    let git_dir = r.git_in(&b, &["rev-parse", "--git-path", "rebase-merge"]);
    assert!(b.join(git_dir).exists(), "the user's rebase is still there");
}
