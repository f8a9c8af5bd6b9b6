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

fn porcelain(r: &Repo, dir: &std::path::Path) -> String {
    r.git_in(dir, &["status", "--porcelain", "--untracked-files=all"])
}

/// The table row of ticket `id`.
fn row<'a>(stdout: &'a str, id: &str) -> &'a str {
    let prefix = format!("{id} ");
    stdout
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no row for {id}:\n{stdout}"))
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
    // Sent back to its agent for a fix round, with the conflict as git sees it.
    let row = r.row("C");
    assert_eq!(row["state"], "pending");
    assert!(
        row["reason"]
            .as_str()
            .unwrap()
            .starts_with("fix round 1 of 2: conflicts with the epic in README.md"),
        "{row}"
    );
    let repo = gix::open(r.path()).unwrap();
    let note = git_epic::model::state::Store::new(&repo, "e")
        .get("C")
        .unwrap()
        .unwrap();
    assert_eq!(note.propagate_conflicts, 1);
    assert!(note.request.unwrap().text.contains("<<<<<<<"));
    assert_eq!(note.conflict_files, ["README.md"]);
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
    let status = porcelain(&r, &b);
    let out = r.epic(&["propagate"]).code(1);
    assert!(
        out.stdout.lines().any(|l| l.starts_with("B ")
            && l.contains("skipped")
            && l.contains("uncommitted changes")
            && l.contains("--autostash")),
        "{}",
        out.stdout
    );
    // Nothing touched: same commit, same status, same files, no stash.
    assert_eq!(r.git(&["rev-parse", "feat/B-b"]), old);
    assert_eq!(porcelain(&r, &b), status);
    assert_eq!(
        std::fs::read_to_string(b.join("B.txt")).unwrap(),
        "edited, not committed\n"
    );
    assert_eq!(r.git(&["stash", "list"]), "");
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
    // The commit is on the ticket branch, on top of the rebased work.
    let lint_commit = r.git(&["rev-parse", "feat/B-b"]);
    assert_eq!(
        r.git(&["log", "-1", "--format=%s", &lint_commit]),
        "epic: lint-fix after propagate"
    );
    assert_eq!(
        r.git(&["rev-parse", "feat/B-b~2"]),
        r.git(&["rev-parse", "epic/e"])
    );
    assert_eq!(
        porcelain(&r, &b),
        "",
        "the lint-fix left nothing uncommitted"
    );
    // An up-to-date worktree still gets lint-fix and test.
    let again = r.epic(&["propagate", "-j", "1", "--json"]).code(1).json();
    assert_eq!(again["tickets"][0]["id"], "B");
    assert_eq!(again["tickets"][0]["rebase"], "up_to_date");
    assert_eq!(again["tickets"][0]["lint"], "committed");
    assert_eq!(again["tickets"][0]["test"], "passed");
    assert_eq!(r.git(&["rev-parse", "feat/B-b~1"]), lint_commit);
    // Without lint and test: nothing to commit, nothing red; C still conflicts.
    let out = r
        .epic(&["propagate", "--no-lint", "--no-test", "--json"])
        .code(1)
        .json();
    assert_eq!(out["tickets"][0]["lint"], "none", "not asked for");
    assert_eq!(out["tickets"][0]["test"], "none");
    // A lint-fix that fails still has what it fixed committed, and is red.
    r.git(&["config", "epic.lintFix", "echo partly >> lint.txt; exit 1"]);
    let json = r.epic(&["propagate", "--no-test", "--json"]).code(1).json();
    assert_eq!(json["tickets"][0]["lint"], "failed");
    assert_eq!(json["tickets"][0]["result"], "red");
    assert!(json["tickets"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("epic.lintFix failed (exit 1) (what it changed is committed)"));
    assert_eq!(
        r.git_in(&b, &["log", "-1", "--format=%s"]),
        "epic: lint-fix after propagate"
    );
    assert_eq!(porcelain(&r, &b), "");
    // A red test alone makes exit 1, and the table says which and why.
    r.git(&["config", "epic.test", "echo 2 tests failed; exit 3"]);
    let out = r.epic(&["propagate", "--no-lint"]).code(1);
    let b_row = row(&out.stdout, "B");
    assert!(
        b_row.contains("failed")
            && b_row.contains("red")
            && b_row.contains("epic.test failed (exit 3): 2 tests failed"),
        "{}",
        out.stdout
    );
    let json = r.epic(&["propagate", "--no-lint", "--json"]).code(1).json();
    assert_eq!(json["tickets"][0]["result"], "red");
    assert_eq!(json["tickets"][0]["test"], "failed");
}

#[test]
fn a_red_test_alone_exits_1_and_green_ones_exit_0() {
    let r = setup();
    // Without C (the conflict), everything rebases cleanly.
    std::fs::remove_file(r.path().join("tasks/C.md")).unwrap();
    r.git(&["config", "epic.test", "test -f README.md"]);
    let out = r.epic(&["propagate"]).ok();
    assert!(row(&out.stdout, "B").contains("passed"), "{}", out.stdout);
    assert!(
        out.stderr.lines().any(|l| l.starts_with("B: ok")),
        "one progress line per ticket on stderr: {}",
        out.stderr
    );
    r.git(&["config", "epic.test", "sh ./check.sh"]);
    std::fs::write(wt(&r, "D").join("check.sh"), "echo D is red\nexit 1\n").unwrap();
    r.git_in(&wt(&r, "D"), &["add", "check.sh"]);
    r.git_in(&wt(&r, "D"), &["commit", "-qm", "a red check"]);
    std::fs::write(wt(&r, "B").join("check.sh"), "exit 0\n").unwrap();
    r.git_in(&wt(&r, "B"), &["add", "check.sh"]);
    r.git_in(&wt(&r, "B"), &["commit", "-qm", "a green check"]);
    let out = r.epic(&["propagate", "-q"]).code(1);
    assert_eq!(out.stderr, "", "-q: no progress");
    assert!(row(&out.stdout, "B").contains(" ok"), "{}", out.stdout);
    let d = row(&out.stdout, "D");
    assert!(
        d.contains("red") && d.contains("D is red"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_worktree_under_a_live_process_is_never_touched() {
    let r = setup();
    r.git(&["config", "epic.lintFix", "echo fixed >> lint.txt"]);
    let repo = gix::open(r.path()).unwrap();
    let me = std::process::id();
    let store = git_epic::model::state::Store::new(&repo, "e");
    // B: a live agent (this test process stands in for it); D: a live orchestrator.
    store
        .update("B", |n| {
            n.state = git_epic::model::state::State::Running;
            n.pid = Some(me);
            n.pid_start = git_epic::infra::process::start_time(me);
            Ok(())
        })
        .unwrap();
    store
        .update("D", |n| {
            n.state = git_epic::model::state::State::Running;
            n.owner_pid = Some(me);
            n.owner_start = git_epic::infra::process::start_time(me);
            Ok(())
        })
        .unwrap();
    // The agent is mid-edit: B has uncommitted work even with --autostash.
    std::fs::write(wt(&r, "B").join("B.txt"), "half written\n").unwrap();
    let before: Vec<_> = ["B", "D"]
        .iter()
        .map(|id| {
            (
                r.git(&["rev-parse", &format!("feat/{id}-{}", id.to_lowercase())]),
                porcelain(&r, &wt(&r, id)),
            )
        })
        .collect();
    let out = r.epic(&["propagate", "--autostash"]).code(1);
    for (id, (head, status)) in ["B", "D"].iter().zip(&before) {
        let line = row(&out.stdout, id);
        assert!(
            line.contains("skipped") && line.contains("never rebased under it"),
            "{}",
            out.stdout
        );
        let branch = format!("feat/{id}-{}", id.to_lowercase());
        assert_eq!(&r.git(&["rev-parse", &branch]), head);
        assert_eq!(&porcelain(&r, &wt(&r, id)), status);
        assert_eq!(r.row(id)["state"], "running");
    }
    assert!(
        !wt(&r, "D").join("lint.txt").exists(),
        "no lint-fix ran in D"
    );
    assert_eq!(r.git(&["stash", "list"]), "");
}

#[test]
fn a_conflict_cleared_by_a_later_propagate_goes_back_to_done() {
    let r = setup();
    // The conflict state itself, without the automatic fix rounds.
    r.git(&["config", "epic.maxFixRounds", "0"]);
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
    assert!(cmd.output().unwrap().status.success());
    let out = r.epic(&["propagate"]).ok();
    assert!(
        row(&out.stdout, "C").contains("conflict cleared, now done"),
        "{}",
        out.stdout
    );
    assert_eq!(r.row("C")["state"], "done");
    assert!(r.row("C")["reason"].is_null(), "{}", r.row("C"));
    // Once cleared, a later run writes nothing more.
    let json = r.epic(&["propagate", "--json"]).ok().json();
    assert!(json["tickets"][1]["state"].is_null(), "{json}");
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
    assert!(cmd.output().unwrap().status.success());
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

#[test]
fn a_stash_that_does_not_apply_again_is_kept_and_said_so() {
    let r = setup();
    r.git(&["config", "epicAgent.readme.command", "true"]);
    // B's commit does not touch README.md, so B rebases cleanly; but its uncommitted edit of
    // README.md clashes with the epic's new README.md when the stash comes back.
    let b = wt(&r, "B");
    std::fs::write(b.join("README.md"), "B's uncommitted readme\n").unwrap();
    std::fs::write(b.join("B-scratch.txt"), "untracked\n").unwrap();
    let out = r.epic(&["propagate", "--autostash"]).code(1);
    let line = row(&out.stdout, "B");
    assert!(
        line.contains("stash_kept")
            && line.contains("still in git stash list")
            && line.contains("README.md"),
        "{}",
        out.stdout
    );
    assert_eq!(
        r.git(&["rev-parse", "feat/B-b~1"]),
        r.git(&["rev-parse", "epic/e"])
    );
    // Never dropped: the entry is there with the user's work in it.
    assert!(
        r.git(&["stash", "list"])
            .contains("git-epic propagate autostash"),
        "{}",
        r.git(&["stash", "list"])
    );
    assert_eq!(
        r.git(&["show", "stash@{0}:README.md"]),
        "B's uncommitted readme"
    );
    assert_eq!(
        std::fs::read_to_string(b.join("B-scratch.txt")).unwrap(),
        "untracked\n"
    );
    let json = r.epic(&["propagate", "--json"]).code(1).json();
    assert_eq!(
        json["tickets"][0]["result"], "skipped",
        "now dirty: left alone"
    );
}

#[test]
fn zero_jobs_is_refused_and_nothing_changes() {
    let r = setup();
    let before = r.snapshot();
    let out = r.epic(&["propagate", "-j", "0"]).code(2);
    let first = out.stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("error:") && first.contains("--jobs"),
        "{}",
        out.stderr
    );
    assert_eq!(r.snapshot(), before);
}

#[test]
fn an_error_after_the_autostash_keeps_the_stash_and_says_so() {
    let r = setup();
    r.git(&["config", "epicAgent.readme.command", "true"]);
    // A pre-commit hook refuses the lint-fix commit.
    let hooks = r.dir.path().join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let hook = hooks.join("pre-commit");
    std::fs::write(&hook, "#!/bin/sh\necho no commits today >&2\nexit 1\n").unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    r.git(&["config", "core.hooksPath", hooks.to_str().unwrap()]);
    r.git(&["config", "epic.lintFix", "echo fixed >> lint.txt"]);
    let b = wt(&r, "B");
    std::fs::write(b.join("B.txt"), "edited, not committed\n").unwrap();
    let json = r
        .epic(&["propagate", "--autostash", "--json"])
        .code(1)
        .json();
    let t = &json["tickets"][0];
    assert_eq!(t["id"], "B");
    assert_eq!(t["result"], "error");
    assert!(
        t["reason"].as_str().unwrap().contains("no commits today"),
        "{t}"
    );
    assert!(
        t["stash"]
            .as_str()
            .unwrap()
            .contains("still in git stash list"),
        "{t}"
    );
    assert_eq!(
        r.git(&["show", "stash@{0}:B.txt"]),
        "edited, not committed",
        "the user's work is in the stash, not dropped"
    );
}

/// A propagate killed in the middle (its intent in the worktree's git dir, its process
/// gone): the next command undoes the rebase it had started and gives back its autostash,
/// where a rebase of the user's own would be left alone.
#[test]
fn a_propagate_killed_mid_rebase_is_undone_by_the_next_one() {
    let r = setup();
    let c = wt(&r, "C");
    let before = r.git_in(&c, &["rev-parse", "HEAD"]);
    // What the killed propagate had done: stashed the user's edit, started the rebase
    // (which stopped on C's conflict), and said so beforehand.
    std::fs::write(c.join("notes.txt"), "the user's own\n").unwrap();
    r.git_in(
        &c,
        &[
            "stash",
            "push",
            "--include-untracked",
            "--quiet",
            "-m",
            "git-epic propagate autostash",
        ],
    );
    let stash = r.git_in(&c, &["rev-parse", "refs/stash"]);
    let git_dir = r.git_in(&c, &["rev-parse", "--absolute-git-dir"]);
    let out = std::process::Command::new("git")
        .args(["rebase", "--quiet", "epic/e"])
        .current_dir(&c)
        .output()
        .unwrap();
    assert!(!out.status.success(), "C's rebase conflicts");
    // A pid that no longer runs: a child that has exited.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    std::fs::write(
        std::path::Path::new(&git_dir).join("epic-propagate.json"),
        format!(
            r#"{{"pid":{pid},"pid_start":1,"old_head":"{before}","stash":{{"pushed":"{stash}"}}}}"#
        ),
    )
    .unwrap();
    // C is given back as it was, the user's edit with it: so it is skipped this time.
    let out = r.epic(&["propagate", "--no-test"]).ok();
    assert!(
        row(&out.stdout, "C").contains("uncommitted changes"),
        "{}",
        out.stdout
    );
    assert!(!std::path::Path::new(&git_dir).join("rebase-merge").exists());
    assert!(!std::path::Path::new(&git_dir)
        .join("epic-propagate.json")
        .exists());
    assert_eq!(r.git_in(&c, &["rev-parse", "HEAD"]), before);
    assert_eq!(
        std::fs::read_to_string(c.join("notes.txt")).unwrap(),
        "the user's own\n"
    );
    assert_eq!(r.git(&["stash", "list"]), "");
    assert!(r
        .log("C")
        .contains("an interrupted propagate was recovered"));
}

/// A rebase cut off while it set itself up (its state incomplete, `git rebase --abort`
/// refuses): the next propagate goes back to the branch, which had not moved.
#[test]
fn a_rebase_cut_off_at_its_start_is_undone_too() {
    let r = setup();
    let b = wt(&r, "B");
    let before = r.git_in(&b, &["rev-parse", "HEAD"]);
    let branch = r.git_in(&b, &["symbolic-ref", "--short", "HEAD"]);
    let git_dir = std::path::PathBuf::from(r.git_in(&b, &["rev-parse", "--absolute-git-dir"]));
    // What git had done when it was killed: detached HEAD, a rebase dir with nothing in it.
    r.git_in(&b, &["checkout", "-q", "--detach", "epic/e"]);
    std::fs::create_dir_all(git_dir.join("rebase-merge")).unwrap();
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    std::fs::write(
        git_dir.join("epic-propagate.json"),
        format!(r#"{{"pid":{pid},"pid_start":1,"old_head":"{before}","branch":"{branch}","stash":"none"}}"#),
    )
    .unwrap();
    let out = r.epic(&["propagate", "--no-test"]);
    assert!(!git_dir.join("rebase-merge").exists(), "{}", out.stderr);
    assert_eq!(r.git_in(&b, &["symbolic-ref", "--short", "HEAD"]), branch);
    assert!(row(&out.stdout, "B").contains("ok"), "{}", out.stdout);
}
