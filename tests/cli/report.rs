//! `git epic report` against a run with known sleeps.

use crate::support::{agent, Repo};

#[test]
fn report_figures_match_a_run_with_known_sleeps() {
    let r = Repo::with_agent("commit.sh");
    // The refusal itself, without the automatic fix rounds.
    r.git(&["config", "epic.maxFixRounds", "0"]);
    r.git(&["config", "epicAgent.flaky.command", &agent("fail_once.sh")]);
    r.git(&[
        "config",
        "epicAgent.limited.command",
        &agent("ratelimit_once.sh"),
    ]);
    // E is rejected by the test gate once.
    r.git(&["config", "epic.test", "test ! -f E.txt"]);
    for (id, deps, profile) in [
        ("A", "", ""),
        ("B", "", ""),
        ("C", "", "flaky"),
        ("D", "", "limited"),
        ("E", "A", ""),
    ] {
        let mut args = vec!["ticket", "add", id];
        if !deps.is_empty() {
            args.extend(["--deps", deps]);
        }
        if !profile.is_empty() {
            args.extend(["--agent", profile]);
        }
        r.epic(&args).ok();
    }
    r.epic_env(
        &["wave", "start", "--all", "--auto-merge", "-j", "4"],
        &[("FAKE_SLEEP", "1")],
    )
    .code(1);
    let rep = r.epic(&["report", "--json"]).ok().json();
    let f = |v: &serde_json::Value| v.as_f64().unwrap();
    // Agent time: A, B, C's second run and E sleep 1 s each; the failed and limited runs are quick.
    // The floor is the sleeps alone. Seven runs each start a shell, commit and are watched: on a
    // loaded 2-core CI machine that cost half a second a run (7.55 s in all), so the ceiling
    // allows a second a run.
    let seq = f(&rep["sequential_s"]);
    assert!((4.0..11.0).contains(&seq), "sequential {seq}");
    // A, B, C, D side by side (D waits out its limit), then E after A is merged: two sleeps
    // end to end, plus the merges and the same per-run overhead.
    let wall = f(&rep["wall_s"]);
    assert!(
        (2.0..8.0).contains(&wall) && wall < seq,
        "wall {wall}, sequential {seq}"
    );
    // The speedup is over the time agents were at work (issue 26: not the time between
    // commands), which one run of the whole graph makes close to its wall time.
    let active = f(&rep["active_s"]);
    assert!(
        active > 1.0 && active <= wall + 0.01,
        "active {active}, wall {wall}"
    );
    assert!((f(&rep["speedup"]) - seq / active).abs() < 0.01);
    let w0 = &rep["waves"][0];
    assert_eq!(w0["tickets"], 4);
    assert_eq!(w0["retries"], 1, "C failed once");
    assert_eq!(w0["rate_limit_waits"], 1, "D hit a limit once");
    let waited = f(&w0["rate_limit_wait_s"]);
    assert!(waited > 0.5 && waited <= 2.0, "waited {waited}");
    assert_eq!(w0["rejected_merges"], 0);
    let w1 = &rep["waves"][1];
    assert_eq!(w1["rejected_merges"], 1, "E failed the test gate");
    assert_eq!(rep["totals"]["retries"], 1);
    assert_eq!(rep["states"]["merged"], 4);
    assert_eq!(rep["states"]["failed"], 1);
    // The text form says the same.
    let text = r.epic(&["report"]).ok().stdout;
    assert!(text.contains("faster in parallel"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("total ") && l.split_whitespace().nth(1) == Some("5")),
        "{text}"
    );
    assert!(text.contains("tickets: 1 failed, 4 merged"), "{text}");
}
