//! Flow mode: `wave start --all --auto-merge` runs the whole graph with no wave barrier.

use git_epic::model::state::{Store, TicketNote};

use crate::support::Repo;

fn add(r: &Repo, id: &str, deps: &str, extra: &[&str]) {
    let mut args = vec!["ticket", "add", id, "--title", id];
    if !deps.is_empty() {
        args.extend(["--deps", deps]);
    }
    args.extend_from_slice(extra);
    r.epic(&args).ok();
}

fn note(r: &Repo, id: &str) -> TicketNote {
    let repo = gix::open(r.path()).unwrap();
    Store::new(&repo, "e").get(id).unwrap().unwrap()
}

#[test]
fn a_diamond_runs_to_the_end_and_each_ticket_starts_after_its_deps_merge() {
    let r = Repo::with_agent("commit.sh");
    add(&r, "A", "", &[]);
    add(&r, "B", "A", &[]);
    add(&r, "C", "A", &[]);
    add(&r, "D", "B,C", &[]);
    let out = r
        .epic_env(
            &["wave", "start", "--all", "--auto-merge"],
            &[("FAKE_SLEEP", "0.2")],
        )
        .ok();
    assert!(
        out.stdout.contains("4 done."),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    for id in ["A", "B", "C", "D"] {
        assert_eq!(r.row(id)["state"], "merged", "{id}");
    }
    let (a, b, c, d) = (note(&r, "A"), note(&r, "B"), note(&r, "C"), note(&r, "D"));
    for (dep, t) in [(&a, &b), (&a, &c), (&b, &d), (&c, &d)] {
        assert!(
            dep.merged_at.unwrap() <= t.started_at.unwrap(),
            "a ticket started before its dependency merged"
        );
    }
    // B and C ran side by side.
    assert!(
        b.started_at.unwrap() < c.finished_at.unwrap()
            && c.started_at.unwrap() < b.finished_at.unwrap()
    );
    // The epic has every ticket's work, each merged with its own commit.
    let subjects = r.git(&["log", "--first-parent", "--format=%s", "epic/e"]);
    assert_eq!(
        subjects
            .lines()
            .filter(|l| l.starts_with("epic(e): merge"))
            .count(),
        4
    );
    for id in ["A", "B", "C", "D"] {
        r.git(&["cat-file", "-e", &format!("epic/e:{id}.txt")]);
    }
}

#[test]
fn the_critical_path_starts_first() {
    let r = Repo::with_agent("commit.sh");
    // A long chain L1 -> L2 -> L3 and three loose tickets; one agent at a time.
    add(&r, "S1", "", &[]);
    add(&r, "S2", "", &[]);
    add(&r, "L1", "", &[]);
    add(&r, "L2", "L1", &[]);
    add(&r, "L3", "L2", &[]);
    add(&r, "S3", "", &[]);
    r.epic_env(&["wave", "start", "--all", "--auto-merge", "-j", "1"], &[])
        .ok();
    let mut starts: Vec<(f64, &str)> = ["S1", "S2", "S3", "L1", "L2", "L3"]
        .iter()
        .map(|id| (note(&r, id).started_at.unwrap(), *id))
        .collect();
    starts.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
    let order: Vec<&str> = starts.iter().map(|(_, id)| *id).collect();
    // L1 heads the longest chain (3); once it is merged, L2 (chain 2) outranks the loose
    // tickets (chain 1); then L3 ties with them.
    assert_eq!(&order[..2], ["L1", "L2"], "{order:?}");
}

#[test]
fn a_conflict_holds_back_only_its_dependents() {
    let r = Repo::with_agent("commit.sh");
    // The refusal itself, without the automatic fix rounds.
    r.git(&["config", "epic.maxFixRounds", "0"]);
    r.git(&[
        "config",
        "epicAgent.readme.command",
        "sh -c 'echo \"$EPIC_TICKET\" > README.md && git commit -qam \"$EPIC_TICKET\"'",
    ]);
    r.git(&[
        "config",
        "epicAgent.slow.command",
        "sh -c 'sleep 0.5; echo \"$EPIC_TICKET\" > README.md && git commit -qam \"$EPIC_TICKET\"'",
    ]);
    add(&r, "X", "", &["--agent", "readme"]);
    add(&r, "Y", "", &["--agent", "slow"]);
    add(&r, "Z", "Y", &[]);
    add(&r, "W", "", &[]);
    add(&r, "V", "W", &[]);
    let out = r
        .epic_env(&["wave", "start", "--all", "--auto-merge"], &[])
        .code(1);
    assert!(
        out.stderr
            .contains("Y: not merged: conflicts with the epic in README.md"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout
            .contains("not started, a dependency was not merged: Z"),
        "{}",
        out.stdout
    );
    assert_eq!(r.row("X")["state"], "merged");
    assert_eq!(r.row("Y")["state"], "conflict");
    assert_eq!(r.row("Z")["state"], "blocked");
    assert_eq!(r.row("W")["state"], "merged");
    assert_eq!(
        r.row("V")["state"],
        "merged",
        "the rest of the graph went on"
    );
}

#[test]
fn a_red_gate_stops_dependents_and_a_rerun_resumes() {
    let r = Repo::with_agent("commit.sh");
    // The refusal itself, without the automatic fix rounds.
    r.git(&["config", "epic.maxFixRounds", "0"]);
    r.git(&["config", "epic.test", "test ! -f B.txt"]);
    add(&r, "A", "", &[]);
    add(&r, "B", "A", &[]);
    add(&r, "C", "B", &[]);
    let out = r
        .epic_env(&["wave", "start", "--all", "--auto-merge"], &[])
        .code(1);
    assert!(
        out.stderr
            .contains("B: not merged: rejected by the merged-result gate: merged result red"),
        "{}",
        out.stderr
    );
    assert_eq!(r.row("A")["state"], "merged");
    assert_eq!(r.row("B")["state"], "failed");
    assert_eq!(r.row("C")["state"], "blocked");
    // The user fixes the gate and resumes: B is merged without running again, then C runs.
    r.git(&["config", "epic.test", "true"]);
    r.epic(&["merge", "B"]).ok();
    r.epic_env(&["wave", "start", "--all", "--auto-merge"], &[])
        .ok();
    assert_eq!(r.row("C")["state"], "merged");
    assert_eq!(r.log("B").matches("ticket B attempt").count(), 1);
}

#[test]
fn auto_merge_needs_all() {
    let r = Repo::with_agent("commit.sh");
    add(&r, "A", "", &[]);
    let out = r.epic_env(&["wave", "start", "--auto-merge"], &[]).code(2);
    assert!(out.stderr.contains("--all"), "{}", out.stderr);
}

#[test]
fn a_slow_test_gate_does_not_hold_up_other_agents() {
    let r = Repo::with_agent("commit.sh");
    r.git(&["config", "epic.test", "sleep 2"]);
    add(&r, "A", "", &[]);
    add(&r, "B", "", &[]);
    add(&r, "C", "", &[]);
    r.epic_env(&["wave", "start", "--all", "--auto-merge", "-j", "2"], &[])
        .ok();
    let (a, c) = (note(&r, "A"), note(&r, "C"));
    let first_merge = ["A", "B"]
        .iter()
        .map(|id| note(&r, id).merged_at.unwrap())
        .fold(f64::INFINITY, f64::min);
    // C took the slot A or B freed while their 2 s test gates were still running.
    assert!(
        c.started_at.unwrap() < first_merge,
        "C waited for a merge: started {:?}, first merge {first_merge}",
        c.started_at
    );
    assert_eq!(a.state, git_epic::model::state::State::Merged);
    assert_eq!(note(&r, "C").state, git_epic::model::state::State::Merged);
}

#[test]
fn test_gates_of_tickets_done_together_run_side_by_side() {
    let r = Repo::with_agent("commit.sh");
    // The per-branch gate (without the merge queue) runs in each ticket's worktree.
    r.git(&["config", "epic.queue", "false"]);
    let log = r.dir.path().join("gates.log");
    // Each run of epic.test notes its worktree, start and end; a gate takes 2 s.
    r.git(&[
        "config",
        "epic.test",
        &format!(
            "w=$(basename \"$PWD\"); echo \"$w start $(date +%s.%N)\" >> '{0}'; sleep 2; echo \"$w end $(date +%s.%N)\" >> '{0}'",
            log.display()
        ),
    ]);
    add(&r, "A", "", &[]);
    add(&r, "B", "", &[]);
    r.epic_env(&["wave", "start", "--all", "--auto-merge", "-j", "2"], &[])
        .ok();
    assert_eq!(note(&r, "A").state, git_epic::model::state::State::Merged);
    assert_eq!(note(&r, "B").state, git_epic::model::state::State::Merged);
    let text = std::fs::read_to_string(&log).unwrap();
    let time = |wt: &str, what: &str| -> f64 {
        let hits: Vec<f64> = text
            .lines()
            .filter_map(|l| l.strip_prefix(&format!("{wt} {what} ")))
            .map(|t| t.parse().unwrap())
            .collect();
        assert_eq!(
            hits.len(),
            1,
            "one gate run in {wt}, and no propagation test in it:\n{text}"
        );
        hits[0]
    };
    let (a0, a1) = (time("feat-A", "start"), time("feat-A", "end"));
    let (b0, b1) = (time("feat-B", "start"), time("feat-B", "end"));
    assert!(
        a0 < b1 && b0 < a1,
        "the two gates ran one after the other:\n{text}"
    );
}
