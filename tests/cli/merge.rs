//! `merge`, `cleanup` and `finish` on real repositories.

use crate::support::{agent, Repo};

/// Tickets run by the committing fake agent: `specs` are (id, deps, extra ticket add flags).
fn done(r: &Repo, specs: &[(&str, &str)]) {
    for (id, deps) in specs {
        let mut args = vec!["ticket", "add", id, "--title", id];
        if !deps.is_empty() {
            args.extend(["--deps", deps]);
        }
        r.epic(&args).ok();
    }
}

fn tip(r: &Repo, rev: &str) -> String {
    r.git(&["rev-parse", rev])
}

/// An agent profile that overwrites README.md, so two tickets conflict.
fn readme_writer(r: &Repo) {
    r.git(&["config", "epicAgent.readme.command", "sh -c 'echo \"$EPIC_TICKET was here\" > README.md && git commit -qam \"$EPIC_TICKET: readme\"'"]);
}

#[test]
fn a_clean_merge_moves_the_epic_and_unblocks_dependents() {
    let r = Repo::with_agent("commit.sh");
    done(&r, &[("A", ""), ("B", "A")]);
    r.epic_env(&["run", "A"], &[]).ok();
    let before = tip(&r, "epic/e");
    let a_tip = tip(&r, "feat/A-a");
    let out = r.epic(&["merge", "A"]).ok();
    assert!(
        out.stdout.contains("A: merged into epic/e"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("Now ready: B"), "{}", out.stderr);
    assert_eq!(
        r.git(&["log", "-1", "--format=%s", "epic/e"]),
        "epic(e): merge A A"
    );
    assert_eq!(
        r.git(&["log", "-1", "--format=%P", "epic/e"]),
        format!("{before} {a_tip}")
    );
    assert_eq!(r.row("A")["state"], "merged");
    assert_eq!(r.row("B")["state"], "pending");
    // The user's checkout did not move.
    assert_eq!(r.git(&["symbolic-ref", "--short", "HEAD"]), "main");
    assert_eq!(
        r.git(&["status", "--porcelain", "--untracked-files=no"]),
        ""
    );
    // Merging it again says so and changes nothing.
    let epic = tip(&r, "epic/e");
    let out = r.epic(&["merge", "A"]).ok();
    assert!(
        out.stdout.contains("A: not merged, already merged"),
        "{}",
        out.stdout
    );
    assert_eq!(tip(&r, "epic/e"), epic);
    // B runs from the new epic and merges on top.
    r.epic_env(&["wave", "start"], &[]).ok();
    r.epic(&["merge", "B"]).ok();
    assert_eq!(
        r.git(&["show", "epic/e:A.txt"]).split_whitespace().next(),
        Some("A")
    );
    assert_eq!(
        r.git(&["show", "epic/e:B.txt"]).split_whitespace().next(),
        Some("B")
    );
}

#[test]
fn scope_and_forbid_violations_are_rejected_with_the_files_named() {
    let r = Repo::with_agent("commit.sh");
    // The refusal itself, without the automatic fix rounds.
    r.git(&["config", "epic.maxFixRounds", "0"]);
    r.epic(&["ticket", "add", "A", "--scope", "src/**"]).ok();
    r.epic(&["ticket", "add", "B", "--forbid", "*.txt"]).ok();
    r.epic_env(&["wave", "start"], &[]).ok();
    let epic = tip(&r, "epic/e");
    let out = r.epic(&["merge", "A", "B"]).code(1);
    assert!(
        out.stdout
            .contains("A: rejected by the scope gate: outside its scope: A.txt"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("B: rejected by the scope gate: forbidden: B.txt"),
        "{}",
        out.stdout
    );
    assert_eq!(tip(&r, "epic/e"), epic, "the epic is untouched");
    let row = r.row("A");
    assert_eq!(row["state"], "failed");
    assert!(row["reason"]
        .as_str()
        .unwrap()
        .contains("merge rejected by the scope gate"));
    // --no-scope-check merges it anyway; the rejection stays counted in the note.
    r.epic(&["merge", "A", "--no-scope-check"]).ok();
    assert_eq!(r.row("A")["state"], "merged");
    let repo = gix::open(r.path()).unwrap();
    let note = git_epic::model::state::Store::new(&repo, "e")
        .get("A")
        .unwrap()
        .unwrap();
    assert_eq!(note.rejected_merges, 1);
}

#[test]
fn a_red_test_gate_rejects_and_shows_the_tail() {
    let r = Repo::with_agent("commit.sh");
    done(&r, &[("A", "")]);
    r.epic_env(&["run", "A"], &[]).ok();
    r.git(&[
        "config",
        "epic.test",
        "echo 'expected 3 got 4'; test -f nothing-here",
    ]);
    let epic = tip(&r, "epic/e");
    let out = r.epic(&["merge", "A"]).code(1);
    assert!(
        out.stdout
            .contains("A: rejected by the merged-result gate: merged result red: epic.test failed (exit code 1)"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("expected 3 got 4"), "{}", out.stderr);
    assert!(
        r.log("A")
            .contains("=== git-epic: merged-result test failed"),
        "{}",
        r.log("A")
    );
    assert_eq!(tip(&r, "epic/e"), epic);
    // Green test: merged.
    r.git(&["config", "epic.test", "test -f A.txt"]);
    r.epic(&["merge", "A"]).ok();
    assert_eq!(r.row("A")["state"], "merged");
}

#[test]
fn a_conflict_leaves_the_epic_exactly_as_it_was() {
    let r = Repo::with_agent("commit.sh");
    // The refusal itself, without the automatic fix rounds.
    r.git(&["config", "epic.maxFixRounds", "0"]);
    readme_writer(&r);
    r.epic(&["ticket", "add", "A", "--agent", "readme"]).ok();
    r.epic(&["ticket", "add", "B", "--agent", "readme"]).ok();
    r.epic_env(&["wave", "start"], &[]).ok();
    r.epic(&["merge", "A"]).ok();
    let epic = tip(&r, "epic/e");
    let b = tip(&r, "feat/B-b");
    let out = r.epic(&["merge", "B"]).code(1);
    assert!(
        out.stdout
            .contains("B: conflict with epic/e in README.md; the epic is unchanged"),
        "{}",
        out.stdout
    );
    assert_eq!(tip(&r, "epic/e"), epic);
    assert_eq!(tip(&r, "feat/B-b"), b);
    let row = r.row("B");
    assert_eq!(row["state"], "conflict");
    assert!(row["reason"].as_str().unwrap().contains("README.md"));
    // No stray merge state anywhere.
    assert_eq!(
        r.git(&["status", "--porcelain", "--untracked-files=no"]),
        ""
    );
    assert_eq!(
        r.git_in(
            &r.path().join("worktrees/feat-B"),
            &["status", "--porcelain"]
        ),
        ""
    );
}

#[test]
fn a_wave_merges_in_dependency_order() {
    let r = Repo::with_agent("commit.sh");
    done(&r, &[("A", ""), ("B", ""), ("C", "A")]);
    r.epic_env(&["wave", "start"], &[]).ok();
    let out = r.epic(&["merge", "--wave", "0"]).ok();
    let a = out.stdout.find("A: merged").unwrap();
    let b = out.stdout.find("B: merged").unwrap();
    assert!(a < b);
    let subjects = r.git(&["log", "--first-parent", "--format=%s", "-2", "epic/e"]);
    assert_eq!(subjects, "epic(e): merge B B\nepic(e): merge A A");
    // C has not run, so a wave merge of wave 1 merges nothing, says why, and exits 1 as
    // `merge C` would (one rule for both forms).
    let out = r.epic(&["merge", "--wave", "1"]).code(1);
    assert!(
        out.stdout.contains(
            "C: not merged, it has not run yet (`git epic run C`, or `git epic wave start`)"
        ),
        "{}",
        out.stdout
    );
    // A named ticket that cannot be merged is a failure.
    let out = r.epic(&["merge", "C"]).code(1);
    assert!(
        out.stdout.contains(
            "C: not merged, it has not run yet (`git epic run C`, or `git epic wave start`)"
        ),
        "{}",
        out.stdout
    );
    // A running or rate-limited ticket cannot be named.
    let repo = gix::open(r.path()).unwrap();
    git_epic::model::state::Store::new(&repo, "e")
        .update("C", |n| {
            n.state = git_epic::model::state::State::Running;
            Ok(())
        })
        .unwrap();
    let out = r.epic(&["merge", "C"]).code(2);
    assert!(
        out.stderr.contains("Ticket `C` is running, not done"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_epic_checked_out_somewhere_is_refused() {
    let r = Repo::with_agent("commit.sh");
    done(&r, &[("A", "")]);
    r.epic_env(&["run", "A"], &[]).ok();
    r.git(&["checkout", "-q", "epic/e"]);
    let before = r.snapshot();
    let out = r.epic(&["merge", "A"]).code(2);
    assert!(
        out.stderr
            .contains("The epic branch epic/e is checked out in"),
        "{}",
        out.stderr
    );
    assert_eq!(r.snapshot(), before);
}

#[test]
fn cleanup_removes_only_what_holds_no_work() {
    let r = Repo::with_agent("commit.sh");
    done(&r, &[("A", ""), ("B", ""), ("C", "")]);
    r.epic_env(&["wave", "start"], &[]).ok();
    r.epic(&["merge", "A", "B", "C", "--no-test"]).ok();
    // B: uncommitted work in its worktree. C: a commit made after the merge.
    let wt_b = r.path().join("worktrees/feat-B");
    std::fs::write(wt_b.join("notes.txt"), "keep me").unwrap();
    let wt_c = r.path().join("worktrees/feat-C");
    std::fs::write(wt_c.join("later.txt"), "later").unwrap();
    r.git_in(&wt_c, &["add", "later.txt"]);
    r.git_in(&wt_c, &["commit", "-q", "-m", "later"]);
    let c_tip = tip(&r, "feat/C-c");
    let out = r.epic(&["cleanup", "--branches"]).code(1);
    assert!(out.stdout.contains("A: removed worktree"), "{}", out.stdout);
    assert!(
        out.stdout.contains("A: deleted branch feat/A-a"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("B: ") && out.stderr.contains("has uncommitted changes"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("C: feat/C-c has 1 commit(s) that are not in epic/e; kept"),
        "{}",
        out.stderr
    );
    assert!(!r.path().join("worktrees/feat-A").exists());
    assert_eq!(
        std::fs::read_to_string(wt_b.join("notes.txt")).unwrap(),
        "keep me"
    );
    assert_eq!(tip(&r, "feat/C-c"), c_tip);
    assert!(r
        .git(&["branch", "--list", "feat/B-b"])
        .contains("feat/B-b"));
}

#[test]
fn merge_cleanup_flag_removes_the_worktree() {
    let r = Repo::with_agent("commit.sh");
    done(&r, &[("A", "")]);
    r.epic_env(&["run", "A"], &[]).ok();
    r.epic(&["merge", "A", "--cleanup"]).ok();
    assert!(!r.path().join("worktrees/feat-A").exists());
    assert!(
        r.git(&["branch", "--list", "feat/A-a"])
            .contains("feat/A-a"),
        "the branch stays without --branches"
    );
}

#[test]
fn finish_merges_the_epic_into_its_base() {
    let r = Repo::with_agent("commit.sh");
    done(&r, &[("A", ""), ("B", "")]);
    r.epic_env(&["wave", "start"], &[]).ok();
    r.epic(&["merge", "A"]).ok();
    let main = tip(&r, "main");
    let out = r.epic(&["finish"]).code(2);
    assert!(
        out.stderr.contains("1 ticket(s) are not merged yet (B)"),
        "{}",
        out.stderr
    );
    assert_eq!(tip(&r, "main"), main);
    // main is checked out here: a dirty checkout is refused.
    r.write("README.md", "local edit\n");
    let out = r.epic(&["finish", "--force"]).code(2);
    assert!(
        out.stderr.contains("main is checked out in") && out.stderr.contains("uncommitted changes"),
        "{}",
        out.stderr
    );
    assert_eq!(r.read("README.md"), "local edit\n");
    r.git(&["checkout", "--", "README.md"]);
    r.epic(&["merge", "B"]).ok();
    let out = r.epic(&["finish"]).ok();
    assert!(
        out.stdout.contains("Merged epic/e into main"),
        "{}",
        out.stdout
    );
    assert!(
        r.path().join("A.txt").exists() && r.path().join("B.txt").exists(),
        "the checkout followed"
    );
    assert_eq!(
        r.git(&["log", "-1", "--format=%s", "main"]),
        "Merge epic e (epic/e)"
    );
    let out = r.epic(&["finish"]).ok();
    assert!(
        out.stdout.contains("main already has everything in epic/e"),
        "{}",
        out.stdout
    );
}

#[test]
fn finish_into_a_branch_not_checked_out_and_a_conflict_changes_nothing() {
    let r = Repo::with_agent("commit.sh");
    readme_writer(&r);
    r.epic(&["ticket", "add", "A", "--agent", "readme"]).ok();
    r.epic_env(&["run", "A"], &[]).ok();
    r.epic(&["merge", "A"]).ok();
    r.git(&["branch", "release", "main"]);
    r.epic(&["finish", "--into", "release"]).ok();
    assert_eq!(r.git(&["show", "release:README.md"]), "A was here");
    assert_eq!(r.read("README.md"), "hello\n", "main's checkout untouched");
    // main moved on in a way that conflicts with the epic.
    r.write("README.md", "main changed it\n");
    r.git(&["commit", "-qam", "main change"]);
    let main = tip(&r, "main");
    let out = r.epic(&["finish"]).code(1);
    assert!(
        out.stdout
            .contains("conflicts in README.md; nothing was changed"),
        "{}",
        out.stdout
    );
    assert_eq!(tip(&r, "main"), main);
    assert_eq!(
        r.git(&["status", "--porcelain", "--untracked-files=no"]),
        ""
    );
    let _ = agent;
}

/// A landing cut off after the epic moved but before the note said so (a `kill -9`
/// there): the next merge finishes it, with no second merge commit.
#[test]
fn a_landing_cut_off_after_the_ref_moved_is_finished_not_repeated() {
    let r = Repo::with_agent("commit.sh");
    done(&r, &[("A", "")]);
    r.epic_env(&["run", "A"], &[]).ok();
    // What the cut-off landing had done: the merge commit, the epic moved, no note.
    let branch = r.git(&["rev-parse", "feat/A-a"]);
    let epic = tip(&r, "epic/e");
    let tree = r.git(&["rev-parse", "feat/A-a^{tree}"]);
    let commit = r.git(&[
        "commit-tree",
        &tree,
        "-p",
        &epic,
        "-p",
        &branch,
        "-m",
        "epic(e): merge A A",
    ]);
    r.git(&["update-ref", "refs/heads/epic/e", &commit, &epic]);
    assert_eq!(r.row("A")["state"], "done");
    r.epic(&["merge", "A"]).ok();
    assert_eq!(r.row("A")["state"], "merged");
    assert_eq!(tip(&r, "epic/e"), commit, "no second merge commit");
}

/// A finish killed in the middle of its `git merge` in the base's checkout (HEAD not moved
/// yet, some files already the epic's): the next finish rolls that back and merges.
#[test]
fn a_finish_cut_off_mid_merge_is_rolled_back_and_done_by_the_next() {
    let r = Repo::with_agent("commit.sh");
    done(&r, &[("A", "")]);
    r.epic_env(&["run", "A"], &[]).ok();
    r.epic(&["merge", "A"]).ok();
    let head = tip(&r, "main");
    // What the killed merge had done: A.txt checked out as the epic has it, staged.
    let text = r.git(&["show", "epic/e:A.txt"]);
    r.write("A.txt", &format!("{text}\n"));
    r.git(&["add", "A.txt"]);
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    std::fs::write(
        r.path().join(".git/epic-finish.json"),
        format!(r#"{{"pid":{pid},"pid_start":1,"old_head":"{head}"}}"#),
    )
    .unwrap();
    r.epic(&["finish"]).ok();
    assert!(!r.path().join(".git/epic-finish.json").exists());
    assert_eq!(r.git(&["rev-parse", "main^1"]), head);
    assert_eq!(
        r.git(&["status", "--porcelain", "--untracked-files=no"]),
        ""
    );
    // A change of the user's own, made after the cut-off finish, is never rolled back.
    let r2 = Repo::with_agent("commit.sh");
    done(&r2, &[("A", "")]);
    r2.epic_env(&["run", "A"], &[]).ok();
    r2.epic(&["merge", "A"]).ok();
    let head = tip(&r2, "main");
    r2.write("README.md", "the user's own words\n");
    std::fs::write(
        r2.path().join(".git/epic-finish.json"),
        format!(r#"{{"pid":{pid},"pid_start":1,"old_head":"{head}"}}"#),
    )
    .unwrap();
    let out = r2.epic(&["finish"]).code(2);
    assert!(out.stderr.contains("git reset --merge"), "{}", out.stderr);
    assert_eq!(r2.read("README.md"), "the user's own words\n");
}

/// A ticket branch locked by a git killed a moment ago (a commit or rebase cut off, found by
/// the chaos suite): cleanup waits until the lock is stale, removes it, and deletes the branch.
#[test]
fn cleanup_waits_out_a_branch_lock_a_killed_git_left() {
    let r = Repo::with_agent("commit.sh");
    done(&r, &[("A", "")]);
    r.epic_env(&["run", "A"], &[]).ok();
    r.epic(&["merge", "A"]).ok();
    let lock = r.path().join(".git/refs/heads/feat/A-a.lock");
    std::fs::write(&lock, "").unwrap();
    // Left 8 s ago: stale 2 s from now.
    let when = std::time::SystemTime::now() - std::time::Duration::from_secs(8);
    std::fs::File::options()
        .write(true)
        .open(&lock)
        .unwrap()
        .set_modified(when)
        .unwrap();
    let t = std::time::Instant::now();
    let out = r.epic(&["cleanup", "--branches"]).ok();
    assert!(
        t.elapsed() >= std::time::Duration::from_millis(1500),
        "waited"
    );
    assert!(!lock.exists());
    assert!(out.stdout.contains("feat/A-a"), "{}", out.stdout);
    assert_eq!(r.git(&["branch", "--list", "feat/A-a"]), "");
}

#[test]
fn each_landing_of_a_run_carries_the_time_it_was_made() {
    // gix keeps a repository handle's first signature time; a long run must not stamp
    // every landing with it.
    let r = Repo::with_agent("commit.sh");
    for id in ["A", "B"] {
        r.epic(&["ticket", "add", id]).ok();
    }
    r.epic_env(
        &["wave", "start", "--all", "--auto-merge", "-j", "1"],
        &[("FAKE_SLEEP", "1.5")],
    )
    .ok();
    let times = r.git(&[
        "log",
        "--first-parent",
        "--merges",
        "--format=%ct",
        "epic/e",
    ]);
    let times: Vec<u64> = times.lines().map(|t| t.parse().unwrap()).collect();
    assert_eq!(times.len(), 2, "{times:?}");
    assert!(
        times[0] > times[1],
        "landings a run apart share a time: {times:?}"
    );
}
