//! `git epic review`: what a ticket changed, approval, and changes requested back to its agent.

use crate::support::Repo;

fn add(r: &Repo, id: &str) {
    r.epic(&["ticket", "add", id, "--title", id]).ok();
}

#[test]
fn review_shows_what_a_ticket_changed_its_scope_and_its_log() {
    let r = Repo::with_agent("commit.sh");
    r.epic(&["ticket", "add", "A", "--title", "A", "--scope", "src/**"])
        .ok();
    r.epic_env(&["run", "A"], &[]).ok();
    let out = r.epic(&["review", "A"]).ok().stdout;
    for want in [
        "== A  A  [done]",
        "feat/A-a: 1 commit(s) not in epic/e",
        "A: the work",
        "A.txt | 1 +",
        "scope: outside its scope: A.txt",
        "committed A",
    ] {
        assert!(out.contains(want), "{want} in:\n{out}");
    }
    assert!(!out.contains("+A "), "no patch without -p:\n{out}");
    let out = r.epic(&["review", "A", "-p"]).ok().stdout;
    assert!(out.contains("+++ b/A.txt"), "{out}");
    let json = r.epic(&["review", "A", "--json"]).ok().json();
    assert_eq!(json["tickets"][0]["outside_scope"][0], "A.txt");
    assert_eq!(json["tickets"][0]["commits"].as_array().unwrap().len(), 1);
}

#[test]
fn requested_changes_reach_the_next_prompt_byte_for_byte() {
    let r = Repo::with_agent("fixer.sh");
    add(&r, "A");
    let fake = r.fake_dir();
    r.epic_env(&["run", "A"], &[]).ok();
    let text = "Use the `Clock` port, not Date.now();\n\t$HOME stays 'as is' and \"quoted\"\nünïcode — and a trailing line\n";
    let file = r.dir.path().join("changes.md");
    std::fs::write(&file, text).unwrap();
    let out = r
        .epic(&[
            "review",
            "A",
            "--request-changes",
            "-F",
            file.to_str().unwrap(),
        ])
        .ok();
    assert!(out.stdout.contains("changes requested"), "{}", out.stdout);
    let row = r.row("A");
    assert_eq!(row["state"], "pending");
    assert_eq!(row["reason"], "changes requested in review round 1");
    assert_eq!(row["review_rounds"], 1);
    r.epic_env(&["run", "A"], &[]).ok();
    let first = std::fs::read_to_string(fake.join("prompt.A.1")).unwrap();
    let second = std::fs::read_to_string(fake.join("prompt.A.2")).unwrap();
    assert_eq!(
        second,
        format!(
            "{}\n\n## Changes requested in review (round 1)\n\n{}",
            first.trim_end(),
            text
        )
    );
    assert_eq!(r.row("A")["state"], "done");
    // Served: a later run does not get it again; the round counts in report.
    let rep = r.epic(&["report", "--json"]).ok().json();
    assert_eq!(rep["totals"]["review_rounds"], 1);
    let repo = gix::open(r.path()).unwrap();
    let note = git_epic::model::state::Store::new(&repo, "e")
        .get("A")
        .unwrap()
        .unwrap();
    assert!(note.request.is_none());
}

#[test]
fn with_require_review_nothing_lands_before_approve() {
    let r = Repo::with_agent("commit.sh");
    r.git(&["config", "epic.requireReview", "true"]);
    add(&r, "A");
    // Waiting for a reviewer is not a failure (issue 26): flow mode exits 0.
    let out = r
        .epic_env(&["wave", "start", "--all", "--auto-merge"], &[])
        .ok();
    assert!(out.stderr.contains("A: awaiting review:"), "{}", out.stderr);
    assert_eq!(r.row("A")["state"], "done");
    r.epic(&["review", "A", "--approve"]).ok();
    assert_eq!(r.row("A")["approved"], true);
    // A commit after the approval voids it.
    let wt = r.path().join("worktrees/feat-A");
    std::fs::write(wt.join("late.txt"), "late\n").unwrap();
    r.git_in(&wt, &["add", "late.txt"]);
    r.git_in(&wt, &["commit", "-qm", "late"]);
    let out = r.epic(&["merge", "A"]).code(1);
    assert!(
        out.stdout.contains("--approve` again (its branch moved"),
        "{}",
        out.stdout
    );
    r.epic(&["review", "A", "--approve"]).ok();
    r.epic(&["merge", "A"]).ok();
    assert_eq!(r.row("A")["state"], "merged");
}

#[test]
fn a_wave_review_groups_a_failure_the_tickets_share_once() {
    let r = Repo::with_agent("commit.sh");
    r.git(&["config", "epic.maxFixRounds", "0"]);
    for id in ["A", "B", "C"] {
        add(&r, id);
    }
    r.epic_env(&["wave", "start", "0"], &[]).ok();
    r.git(&[
        "config",
        "epic.test",
        "echo building; if [ -f B.txt ] && [ ! -f A.txt ]; then echo 'error[E0425]: cannot find value `clock` in this scope'; fi; echo 'error: test cart::total failed at src/cart.rs:42'; exit 1",
    ]);
    r.epic(&["merge", "--wave", "0"]).code(1);
    let out = r.epic(&["review", "--wave", "0"]).ok().stdout;
    let shared = out
        .split("Failures shared by several tickets (fix once):\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{out}"));
    let shared: Vec<&str> = shared.lines().take_while(|l| !l.is_empty()).collect();
    assert_eq!(
        shared,
        ["  error: test cart::total failed at src/cart.rs:42  (A, B, C)"],
        "{out}"
    );
}

#[test]
fn review_refuses_bad_requests_and_changes_nothing() {
    let r = Repo::with_agent("commit.sh");
    add(&r, "A");
    add(&r, "B");
    r.epic_env(&["run", "A", "B"], &[]).ok();
    let notes = r.git(&["rev-parse", "refs/notes/epic"]);
    for (args, want) in [
        (vec!["review", "A", "--request-changes"], "required"),
        (vec!["review", "A", "-m", "x"], "--request-changes"),
        (
            vec!["review", "A", "B", "--request-changes", "-m", "x"],
            "name exactly one ticket",
        ),
        (vec!["review", "A", "--request-changes", "-m", " "], "empty"),
        (vec!["review", "Z"], "no ticket `Z`"),
        (
            vec!["review", "A", "--approve", "--request-changes", "-m", "x"],
            "cannot be used with",
        ),
    ] {
        let out = r.epic(&args).code(2);
        assert!(out.stderr.contains(want), "{args:?}: {}", out.stderr);
    }
    r.epic(&["merge", "A"]).ok();
    let out = r.epic(&["review", "A", "--approve"]).code(2);
    assert!(out.stderr.contains("merged already"), "{}", out.stderr);
    let notes_after = r.git(&["rev-parse", "refs/notes/epic"]);
    assert_ne!(notes, notes_after, "the merge wrote its note");
    let out = r
        .epic(&["review", "A", "--request-changes", "-m", "x"])
        .code(2);
    assert!(out.stderr.contains("merged already"), "{}", out.stderr);
    assert_eq!(r.git(&["rev-parse", "refs/notes/epic"]), notes_after);
}
