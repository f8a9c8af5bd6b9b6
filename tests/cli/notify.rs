//! `epic.notify`: one JSON event on stdin per change (a ticket starts needing you, a limit
//! stops a profile, a run ends), never holding up the run.

use std::time::{Duration, Instant};

use crate::support::Repo;

fn add(r: &Repo, id: &str) {
    r.epic(&["ticket", "add", id, "--title", id]).ok();
}

/// `epic.notify` set to a script that appends each event it reads to `events.jsonl`.
fn recording(r: &Repo) -> std::path::PathBuf {
    let events = r.dir.path().join("events.jsonl");
    let script = r.dir.path().join("record-event.sh");
    std::fs::write(&script, format!("cat >> '{}'\n", events.display())).unwrap();
    r.git(&[
        "config",
        "epic.notify",
        &format!("sh '{}'", script.display()),
    ]);
    events
}

fn read(events: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(events)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn each_ticket_that_starts_needing_you_and_the_end_of_the_run_are_one_event_each() {
    let r = Repo::with_agent("commit.sh");
    r.git(&["config", "epic.requireReview", "true"]);
    add(&r, "A");
    add(&r, "B");
    let events = recording(&r);
    r.epic_env(&["run", "A", "B"], &[("FAKE_SLEEP", "1")]).ok();
    let got = read(&events);
    let kinds: Vec<&str> = got.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 3, "{got:#?}");
    assert_eq!(kinds.last(), Some(&"run_ended"), "{got:#?}");
    let mut needy: Vec<&str> = got
        .iter()
        .filter(|e| e["event"] == "needs_you")
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    needy.sort();
    assert_eq!(needy, ["A", "B"], "{got:#?}");
    let a = got.iter().find(|e| e["id"] == "A").unwrap();
    assert_eq!(a["epic"], "e");
    assert_eq!(a["reason"], "review");
    assert_eq!(a["title"], "A");
    assert_eq!(a["command"], "git epic review A --approve");
    assert!(a["why"].as_str().unwrap().contains("review"), "{a}");
    assert!(a["at"].as_f64().unwrap() > 1.7e9, "{a}");
    let end = got.last().unwrap();
    assert_eq!(end["done"], serde_json::json!(["A", "B"]), "{end}");
    assert_eq!(end["failed"], serde_json::json!([]));
}

#[test]
fn a_rate_limit_that_stops_a_profile_is_an_event() {
    let r = Repo::with_agent("ratelimit_once.sh");
    add(&r, "A");
    let events = recording(&r);
    r.epic_env(&["run", "A"], &[("FAKE_RESET", "3")]).ok();
    let got = read(&events);
    let limits: Vec<_> = got.iter().filter(|e| e["event"] == "limit").collect();
    assert_eq!(limits.len(), 1, "{got:#?}");
    assert_eq!(limits[0]["profile"], "default");
    assert!(limits[0]["until"].as_f64().unwrap() > 1.7e9);
    assert!(
        limits[0]["source"].as_str().unwrap().contains("ticket A"),
        "{got:#?}"
    );
    assert_eq!(got.last().unwrap()["event"], "run_ended");
}

#[test]
fn a_failing_or_slow_notify_command_is_reported_once_and_the_run_goes_on() {
    let r = Repo::with_agent("commit.sh");
    r.git(&["config", "epic.requireReview", "true"]);
    for id in ["A", "B"] {
        add(&r, id);
    }
    r.git(&["config", "epic.notify", "sh -c 'exit 3'"]);
    let out = r.epic_env(&["run", "A", "B"], &[]).ok();
    assert_eq!(
        out.stderr.matches("epic.notify could not deliver").count(),
        1,
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("exited with code 3"), "{}", out.stderr);
    assert_eq!(r.row("A")["state"], "done");

    let r = Repo::with_agent("commit.sh");
    add(&r, "A");
    r.git(&["config", "epic.notify", "sleep 60"]);
    let t0 = Instant::now();
    let out = r.epic_env(&["run", "A"], &[]).ok();
    assert!(t0.elapsed() < Duration::from_secs(20), "{:?}", t0.elapsed());
    assert!(
        out.stderr.contains("took longer than 5s and was stopped"),
        "{}",
        out.stderr
    );
    assert_eq!(r.row("A")["state"], "done");
}

#[test]
fn a_notify_command_whose_quotes_do_not_close_is_refused_before_anything_runs() {
    let r = Repo::with_agent("commit.sh");
    add(&r, "A");
    r.git(&["config", "epic.notify", "notify 'unclosed"]);
    let out = r.epic(&["run", "A"]).code(2);
    assert!(out.stderr.contains("epic.notify"), "{}", out.stderr);
    assert!(r.row("A")["runs"] == 0, "nothing ran");
}

#[test]
fn the_terminal_notify_rings_and_sends_the_desktop_notification_escapes_to_its_terminal() {
    let r = Repo::with_agent("commit.sh");
    r.git(&["config", "epic.requireReview", "true"]);
    add(&r, "A");
    r.git(&["config", "epic.notify", "terminal"]);
    let t = crate::dashboard::Term::start(r.pty_command(&["run", "A"]), 30, 120);
    let deadline = Instant::now() + Duration::from_secs(30);
    let raw = loop {
        let raw = String::from_utf8_lossy(&t.screen.lock().unwrap().1).into_owned();
        if raw.contains("run ended") {
            break raw;
        }
        assert!(
            Instant::now() < deadline,
            "no run_ended notification in {raw:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        raw.contains("\x07\x1b]9;git epic e: A needs you: done, waiting for your review"),
        "{raw:?}"
    );
    assert!(
        raw.contains("\x1b]777;notify;git epic;git epic e: A needs you"),
        "{raw:?}"
    );
    assert!(
        raw.contains("\x1b]9;git epic e: run ended: 1 done, 0 failed, 0 interrupted\x07"),
        "{raw:?}"
    );
}
