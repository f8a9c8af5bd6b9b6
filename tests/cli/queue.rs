//! The merge queue: what lands is the merged result that was tested.

use std::time::{Duration, Instant};

use crate::support::Repo;

fn add(r: &Repo, id: &str, deps: &str) {
    let mut args = vec!["ticket", "add", id, "--title", id];
    if !deps.is_empty() {
        args.extend(["--deps", deps]);
    }
    r.epic(&args).ok();
}

/// Files of the epic's tree.
fn epic_files(r: &Repo) -> Vec<String> {
    r.git(&["ls-tree", "--name-only", "epic/e"])
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Each ticket fine alone, red together: X and Y each write their file; the test fails when
/// both exist, among lines of noise.
fn semantic_pair(r: &Repo) {
    // The queue's own refusal, without the automatic fix rounds.
    r.git(&["config", "epic.maxFixRounds", "0"]);
    r.git(&[
        "config",
        "epic.test",
        "echo compiling; echo 'warning: unused thing'; if [ -f X.txt ] && [ -f Y.txt ]; then echo 'error: X and Y cannot both exist'; echo 'note: see the docs'; exit 1; fi",
    ]);
    add(r, "X", "");
    add(r, "Y", "");
}

fn assert_one_kept_out(r: &Repo, stderr_or_out: &str) {
    let states: Vec<String> = ["X", "Y"]
        .iter()
        .map(|id| r.row(id)["state"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        states.contains(&"merged".to_owned()) && states.contains(&"failed".to_owned()),
        "one lands, one is kept out: {states:?}"
    );
    let out = if states[0] == "failed" { "X" } else { "Y" };
    let reason = r.row(out)["reason"].as_str().unwrap().to_owned();
    assert!(reason.starts_with("merged result red"), "{reason}");
    assert!(
        stderr_or_out.contains("error: X and Y cannot both exist"),
        "the failing line is reported:\n{stderr_or_out}"
    );
    // The epic is green: never both files.
    let files = epic_files(r);
    assert!(
        !(files.contains(&"X.txt".into()) && files.contains(&"Y.txt".into())),
        "{files:?}"
    );
}

#[test]
fn a_semantic_conflict_never_leaves_the_epic_red_in_flow_mode() {
    let r = Repo::with_agent("commit.sh");
    semantic_pair(&r);
    let out = r
        .epic_env(&["wave", "start", "--all", "--auto-merge", "-j", "2"], &[])
        .code(1);
    let repo = gix::open(r.path()).unwrap();
    let store = git_epic::model::state::Store::new(&repo, "e");
    let lines: Vec<String> = ["X", "Y"]
        .iter()
        .flat_map(|id| store.get(id).unwrap().unwrap().failed_lines)
        .collect();
    assert!(
        !lines.iter().any(|l| l.contains("compiling")) || lines.len() <= 20,
        "{lines:?}"
    );
    assert_one_kept_out(&r, &format!("{}\n{}", out.stderr, lines.join("\n")));
}

#[test]
fn a_semantic_conflict_never_leaves_the_epic_red_with_merge_wave() {
    let r = Repo::with_agent("commit.sh");
    semantic_pair(&r);
    r.epic_env(&["wave", "start", "0"], &[]).ok();
    let out = r.epic(&["merge", "--wave", "0"]).code(1);
    assert!(
        out.stdout
            .contains("rejected by the merged-result gate: merged result red"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("testing the merged result (epic/e + X + Y)"),
        "Y is tested on top of X:\n{}",
        out.stderr
    );
    assert_one_kept_out(&r, &out.stderr);
}

#[test]
fn a_red_candidate_leaves_the_line_and_those_after_it_are_tested_again_without_it() {
    let r = Repo::with_agent("commit.sh");
    let seen = r.dir.path().join("tested.log");
    // Each test run notes the ticket files it saw; C breaks the merged result.
    r.git(&[
        "config",
        "epic.test",
        &format!(
            "echo $(ls *.txt) >> '{}'; sleep 0.5; ! test -f C.txt",
            seen.display()
        ),
    ]);
    r.git(&["config", "epic.gateJobs", "4"]);
    for id in ["A", "B", "C", "D"] {
        add(&r, id, "");
    }
    r.epic_env(&["wave", "start", "0"], &[]).ok();
    let out = r.epic(&["merge", "--wave", "0", "--json"]).code(1);
    let results = out.json();
    let result = |id: &str| {
        results
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .unwrap()["result"]
            .clone()
    };
    assert_eq!(result("A"), "merged");
    assert_eq!(result("B"), "merged");
    assert_eq!(result("C"), "rejected");
    assert_eq!(result("D"), "merged");
    let tested = std::fs::read_to_string(&seen).unwrap();
    let runs: Vec<&str> = tested.lines().collect();
    // A, B, C and D at once (D on top of C), then D again without C.
    assert_eq!(runs.len(), 5, "{tested}");
    assert!(runs.contains(&"A.txt B.txt C.txt D.txt"), "{tested}");
    assert_eq!(runs.last(), Some(&"A.txt B.txt D.txt"), "{tested}");
    assert_eq!(
        r.git(&["log", "--first-parent", "--format=%s", "epic/e"])
            .lines()
            .take(3)
            .collect::<Vec<_>>(),
        [
            "epic(e): merge D D",
            "epic(e): merge B B",
            "epic(e): merge A A"
        ]
    );
    // What landed is exactly what was tested: D's merge commit has the tree tested last.
    assert!(!epic_files(&r).contains(&"C.txt".to_owned()));
}

#[test]
fn the_same_merged_tree_is_tested_once() {
    let r = Repo::with_agent("commit.sh");
    let seen = r.dir.path().join("tested.log");
    r.git(&[
        "config",
        "epic.test",
        &format!("echo run >> '{}'", seen.display()),
    ]);
    // Two agents that make the same change: the second merged result is the first's tree.
    r.git(&[
        "config",
        "epicAgent.same.command",
        "sh -c 'echo same > same.txt && git add same.txt && git commit -qm \"$EPIC_TICKET: same\"'",
    ]);
    r.epic(&["ticket", "add", "A", "--agent", "same"]).ok();
    r.epic(&["ticket", "add", "B", "--agent", "same"]).ok();
    r.epic_env(&["wave", "start", "0"], &[]).ok();
    r.epic(&["merge", "--wave", "0"]).ok();
    assert_eq!(r.row("A")["state"], "merged");
    assert_eq!(r.row("B")["state"], "merged");
    let runs = std::fs::read_to_string(&seen).unwrap();
    assert_eq!(runs.lines().count(), 1, "{runs}");
}

#[test]
fn a_branch_that_moves_after_its_gate_is_gated_again_and_lands_as_it_is() {
    let r = Repo::with_agent("commit.sh");
    add(&r, "A", "");
    r.epic_env(&["run", "A"], &[]).ok();
    r.git(&["config", "epic.test", "sleep 2"]);
    let mut merge = r.spawn_epic(&["merge", "A"], &[]);
    let wt = r.path().join("worktrees/feat-A");
    let t = Instant::now();
    while !r.log("A").contains("merged-result test `sleep 2`") {
        assert!(t.elapsed() < Duration::from_secs(20), "no test started");
        std::thread::sleep(Duration::from_millis(50));
    }
    // A commit by hand while the merged result is tested.
    std::fs::write(wt.join("late.txt"), "late\n").unwrap();
    r.git_in(&wt, &["add", "late.txt"]);
    r.git_in(&wt, &["commit", "-qm", "A: a late fix"]);
    let status = merge.wait().unwrap();
    assert!(status.success());
    assert_eq!(r.row("A")["state"], "merged");
    assert!(epic_files(&r).contains(&"late.txt".to_owned()));
    assert_eq!(
        r.git(&["rev-list", "--count", "epic/e..feat/A-a"]),
        "0",
        "the branch is in the epic"
    );
    assert_eq!(
        r.log("A")
            .matches("=== git-epic: merged-result test passed")
            .count(),
        2
    );
}

#[test]
fn propagation_racing_the_queue_never_leaves_a_merged_branch_ahead_of_the_epic() {
    let rounds: usize = std::env::var("GIT_EPIC_RACE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    for round in 0..rounds {
        let r = Repo::with_agent("commit.sh");
        // Lint-fix commits on every propagate: a rebase a landing missed would show.
        r.git(&[
            "config",
            "epic.lintFix",
            "date +%s%N > lint.$(basename $PWD)",
        ]);
        r.git(&["config", "epic.test", "sleep 0.3"]);
        for id in ["A", "B", "C", "D", "E"] {
            add(&r, id, "");
        }
        add(&r, "F", "A");
        let mut flow = r.spawn_epic(
            &["wave", "start", "--all", "--auto-merge", "-j", "3"],
            &[("FAKE_SLEEP", "0.3")],
        );
        let mut propagates = 0;
        while flow.try_wait().unwrap().is_none() {
            r.epic(&["propagate", "--no-test"]);
            propagates += 1;
        }
        for id in ["A", "B", "C", "D", "E", "F"] {
            assert_eq!(r.row(id)["state"], "merged", "round {round}: {id}");
            let branch = r.row(id)["branch"].as_str().unwrap().to_owned();
            assert_eq!(
                r.git(&["rev-list", "--count", &format!("epic/e..{branch}")]),
                "0",
                "round {round}: {id}'s branch is ahead of the epic ({propagates} propagates)"
            );
        }
    }
}
