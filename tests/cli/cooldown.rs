//! Cooldowns after a rate limit: seen in `agent list` and `status`, lifted by
//! `git epic agent reset <profile>` while a run waits on one.

use std::time::{Duration, Instant};

use crate::support::Repo;

/// Wait (at most 30 s) until `what` holds.
#[track_caller]
fn until(what: &str, mut done: impl FnMut() -> bool) {
    let t = Instant::now();
    while !done() {
        assert!(t.elapsed() < Duration::from_secs(30), "never: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_cooldown_an_hour_long_is_shown_with_its_source_and_lifted_by_agent_reset() {
    let r = Repo::with_agent("ratelimit_once.sh");
    r.epic(&["ticket", "add", "A", "--title", "A"]).ok();
    let started = Instant::now();
    // The agent's limit names a reset an hour away.
    let run = r.spawn_epic(&["run", "A"], &[("FAKE_RESET", "3600")]);
    until("A is rate limited", || {
        r.row("A")["state"] == "rate_limited"
    });

    let list = r.epic(&["agent", "list", "--json"]).ok().json();
    let cools = list["cooldowns"].as_array().unwrap();
    assert_eq!(cools.len(), 1, "{list}");
    let c = &cools[0];
    assert_eq!(c["profile"], "default");
    assert_eq!(c["ticket"], "A");
    assert_eq!(c["source"], "rate limit of ticket A");
    assert_eq!(c["tickets"], serde_json::json!(["A"]));
    assert_eq!(c["reset_named"], true);
    assert_eq!(c["shared_account"], false);
    assert!(
        c["said"]
            .as_str()
            .unwrap()
            .starts_with("Claude AI usage limit reached|"),
        "{c}"
    );
    let left = c["left_s"].as_f64().unwrap();
    assert!(left > 3500.0 && left <= 3600.0, "{left}");
    assert!(c["until"].as_f64().unwrap() > 1.7e9);
    let text = r.epic(&["agent", "list"]).ok().stdout;
    assert!(
        text.contains("default    cooling down until ")
            && text.contains("after the rate limit of ticket A: \"Claude AI usage limit reached|"),
        "{text}"
    );

    // status --json says the same (but for the seconds left, read a moment later).
    let mut s = r.status()["cooldowns"].clone();
    let mut l = list["cooldowns"].clone();
    for c in [&mut s[0], &mut l[0]] {
        c.as_object_mut().unwrap().remove("left_s");
    }
    assert_eq!(s, l);
    let text = r.epic(&["status"]).ok().stdout;
    assert!(
        text.contains("agent profile `default` cooling down until ")
            && text.contains("`git epic agent reset default` lifts it"),
        "{text}"
    );

    // A profile that does not exist: refused, nothing changed, the closest name suggested.
    let before = r.snapshot();
    let out = r.epic(&["agent", "reset", "defualt"]).code(2);
    assert!(
        out.stderr.contains(
            "There is no agent profile `defualt` (profiles: default). Did you mean `default`?"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(r.snapshot(), before);
    assert_eq!(r.row("A")["state"], "rate_limited");

    // The reset: the waiting run starts A at once.
    let reset = Instant::now();
    let out = r.epic(&["agent", "reset", "default"]).ok();
    assert!(
        out.stdout
            .starts_with("Lifted the cooldown of profile `default`: it held until "),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("A: due now; the running git epic starts it."),
        "{}",
        out.stderr
    );
    let out = run.wait_with_output().unwrap();
    let lifted = reset.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // An hour, give or take what a loaded machine takes to read it.
    assert!(
        err.contains("A: rate limited, retrying in 1h00m")
            || err.contains("A: rate limited, retrying in 59m"),
        "{err}"
    );
    assert!(
        lifted < Duration::from_secs(8),
        "{lifted:?} after the reset"
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    let row = r.row("A");
    assert_eq!(row["state"], "done");
    assert_eq!(row["rate_limit_waits"], 1);
    assert_eq!(row["attempts"], 1);

    // Nothing left to lift.
    let out = r.epic(&["agent", "reset", "default"]).ok();
    assert_eq!(
        out.stdout.trim(),
        "Profile `default` has no cooldown: nothing to lift."
    );
    assert_eq!(r.status()["cooldowns"], serde_json::json!([]));
    assert!(
        r.epic(&["agent", "list", "--json"]).ok().json()["cooldowns"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}
