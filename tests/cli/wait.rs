//! `git epic wait`: blocks until a ticket needs you, the agents are done, or named tickets
//! end; 0 on the event, 1 on timeout, 2 on bad input.

use std::time::{Duration, Instant};

use crate::support::Repo;

fn add(r: &Repo, id: &str) {
    r.epic(&["ticket", "add", id, "--title", id]).ok();
}

fn wait_for_running(r: &Repo, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while r.row(id)["state"] != "running" {
        assert!(Instant::now() < deadline, "{id} never ran");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn wait_refuses_what_it_cannot_wait_for_and_times_out_when_nothing_happens() {
    let r = Repo::with_agent("commit.sh");
    add(&r, "A");
    let out = r.epic(&["wait", "--for", "nope"]).code(2);
    assert!(out.stderr.contains("`nope` is neither"), "{}", out.stderr);
    let out = r.epic(&["wait", "--timeout", "soon"]).code(2);
    assert!(
        out.stderr.contains("`soon` is not a duration"),
        "{}",
        out.stderr
    );
    let t0 = Instant::now();
    let out = r
        .epic(&["wait", "--for", "needs-you", "--timeout", "1s"])
        .code(1);
    assert!(t0.elapsed() >= Duration::from_secs(1), "{:?}", t0.elapsed());
    assert!(
        out.stderr.contains("Nothing happened within 1s"),
        "{}",
        out.stderr
    );
}

#[test]
fn wait_returns_when_a_ticket_starts_needing_you_and_prints_the_event() {
    let r = Repo::with_agent("commit.sh");
    r.git(&["config", "epic.requireReview", "true"]);
    add(&r, "A");
    add(&r, "B");
    let run = r.spawn_epic(&["run", "A"], &[("FAKE_SLEEP", "2")]);
    wait_for_running(&r, "A");
    let out = r
        .epic(&["wait", "--for", "needs-you", "--timeout", "60s", "--json"])
        .ok()
        .json();
    assert_eq!(out["event"], "needs_you", "{out}");
    assert_eq!(out["epic"], "e");
    assert_eq!(out["id"], "A");
    assert_eq!(out["reason"], "review");
    assert_eq!(out["command"], "git epic review A --approve");
    assert!(out["at"].as_f64().unwrap() > 0.0);
    assert!(run.wait_with_output().unwrap().status.success());
    // What holds already answers at once, as text.
    let out = r.epic(&["wait", "--for", "A", "--timeout", "5s"]).ok();
    assert!(
        out.stdout
            .contains("A needs you: done, waiting for your review"),
        "{}",
        out.stdout
    );
}

#[test]
fn wait_for_done_returns_when_the_agents_stop() {
    let r = Repo::with_agent("commit.sh");
    add(&r, "A");
    add(&r, "B");
    let run = r.spawn_epic(&["run", "A", "B"], &[("FAKE_SLEEP", "2")]);
    wait_for_running(&r, "A");
    let out = r.epic(&["wait", "--timeout", "60s", "--json"]).ok().json();
    assert_eq!(out["event"], "done", "{out}");
    assert_eq!(out["states"]["done"], 2, "{out}");
    assert!(run.wait_with_output().unwrap().status.success());
    for id in ["A", "B"] {
        assert_eq!(r.row(id)["state"], "done");
    }
    // Every ticket done: done holds already.
    let out = r.epic(&["wait", "--for", "done", "--timeout", "5s"]).ok();
    assert!(
        out.stdout.contains("no agent runs any more: 2 done"),
        "{}",
        out.stdout
    );
}
