//! The "needs you" model and what each agent is doing now, as `status` shows them.

use std::time::{Duration, Instant};

use crate::support::Repo;

fn add(r: &Repo, id: &str) {
    r.epic(&["ticket", "add", id, "--title", id]).ok();
}

#[test]
fn a_ticket_waiting_for_review_is_listed_first_with_the_command_that_resolves_it() {
    let r = Repo::with_agent("commit.sh");
    r.git(&["config", "epic.requireReview", "true"]);
    add(&r, "A");
    add(&r, "B");
    r.epic_env(&["run", "A"], &[]).ok();
    let row = r.row("A");
    assert_eq!(row["needs_you"]["reason"], "review", "{row}");
    assert_eq!(row["needs_you"]["command"], "git epic review A --approve");
    assert!(r.row("B")["needs_you"].is_null());
    assert_eq!(r.status()["totals"]["needs_you"], 1);
    let out = r.epic(&["status"]).ok().stdout;
    let needs = out.find("needs you:").expect(&out);
    assert!(needs < out.find("ID ").unwrap(), "listed first:\n{out}");
    assert!(
        out.contains("A  review: done, waiting for your review"),
        "{out}"
    );
    assert!(out.contains("→ git epic review A --approve"), "{out}");
    r.epic(&["review", "A", "--approve"]).ok();
    assert!(r.row("A")["needs_you"].is_null());
    assert!(!r.epic(&["status"]).ok().stdout.contains("needs you"));
}

#[test]
fn a_ticket_failed_after_its_attempts_or_refused_by_its_agent_needs_you() {
    let r = Repo::with_agent("fail.sh");
    r.git(&["config", "epic.maxAttempts", "1"]);
    add(&r, "B");
    r.epic_env(&["run", "B"], &[]).code(1);
    let row = r.row("B");
    assert_eq!(row["needs_you"]["reason"], "failed", "{row}");
    assert_eq!(row["needs_you"]["command"], "git epic run B");

    let r = Repo::with_agent("login_or_fail.sh");
    add(&r, "A");
    r.epic_env(&["run", "A"], &[]);
    let row = r.row("A");
    assert_eq!(row["needs_you"]["reason"], "login", "{row}");
    assert!(
        row["needs_you"]["why"]
            .as_str()
            .unwrap()
            .contains("Not logged in"),
        "{row}"
    );
}

#[test]
fn a_running_agent_shows_its_current_step_and_how_long_it_is_quiet() {
    let r = Repo::with_agent("commit.sh");
    add(&r, "A");
    let mut child = r.spawn_epic(&["run", "A"], &[("FAKE_SLEEP", "6")]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let row = loop {
        let row = r.row("A");
        if row["activity"] == "working on A" {
            break row;
        }
        assert!(Instant::now() < deadline, "no activity: {row}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(row["idle_s"].as_f64().unwrap() >= 0.0, "{row}");
    std::thread::sleep(Duration::from_millis(2500));
    let out = r.epic(&["status"]).ok().stdout;
    assert!(out.contains("ACTIVITY"), "{out}");
    assert!(out.contains("working on A · "), "idle time shown:\n{out}");
    assert!(child.wait().unwrap().success());
    let row = r.row("A");
    assert!(
        row["activity"].is_null() && row["idle_s"].is_null(),
        "{row}"
    );
}
