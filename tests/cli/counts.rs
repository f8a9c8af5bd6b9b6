//! Counts that add up: every agent start is in the ticket's note, and `status` and `report`
//! count attempts, retries, rate-limit waits and fix rounds as they happened. A run that ended
//! while no git epic watched shows how it ended, and fix rounds that `merge` or `propagate`
//! left pending run at the next `wave start` or `run`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use git_epic::model::state::{Store, TicketNote};

use crate::support::{agent, Repo};

fn note(r: &Repo, id: &str) -> TicketNote {
    let repo = gix::open(r.path()).unwrap();
    Store::new(&repo, "e").get(id).unwrap().unwrap()
}

/// What the stand-in agents (tests/agents/counted.sh) recorded: per ticket, the step each
/// start played (`fail`, `limit`, `-` for the real work).
fn starts(r: &Repo) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(r.fake_dir().join("starts")).unwrap_or_default();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines() {
        let (id, step) = line.split_once(' ').unwrap();
        out.entry(id.to_owned()).or_default().push(step.to_owned());
    }
    out
}

/// Ticket `id` run by `counted.sh <steps> <agent_name>`, through a profile of its own.
fn counted_ticket(r: &Repo, id: &str, deps: &str, steps: &str, agent_name: &str) {
    let profile = format!("p{}", id.to_lowercase());
    r.git(&[
        "config",
        &format!("epicAgent.{profile}.command"),
        &format!("{} {steps} {}", agent("counted.sh"), agent(agent_name)),
    ]);
    let mut args = vec!["ticket", "add", id, "--title", id, "--agent", &profile];
    if !deps.is_empty() {
        args.extend(["--deps", deps]);
    }
    r.epic(&args).ok();
}

/// Red while any `*.txt` says "broken" (what fixer.sh writes until it is asked for a fix).
fn red_while_broken(r: &Repo) {
    r.git(&[
        "config",
        "epic.test",
        "if grep -q broken *.txt 2>/dev/null; then echo 'error: something is broken'; exit 1; fi",
    ]);
}

fn count(steps: &[String], what: &str) -> u64 {
    steps.iter().filter(|s| *s == what).count() as u64
}

/// A flow run with a failure then a retry, rate limits and fix rounds, one ticket with all
/// three: the starts the agents recorded are the runs in the notes, and `status` and `report`
/// say what the starts say.
#[test]
fn attempts_retries_limit_waits_and_fix_rounds_add_up_to_the_agent_starts() {
    let r = Repo::with_agent("commit.sh");
    red_while_broken(&r);
    // A: red once, fixed in a fix round. B: fails once. C: hits a limit once. D: fails,
    // hits a limit, then is red once and fixed. E waits for A.
    counted_ticket(&r, "A", "", "-", "fixer.sh");
    counted_ticket(&r, "B", "", "fail", "commit.sh");
    counted_ticket(&r, "C", "", "limit", "commit.sh");
    counted_ticket(&r, "D", "", "fail,limit", "fixer.sh");
    counted_ticket(&r, "E", "A", "-", "commit.sh");
    r.epic_env(
        &["wave", "start", "--all", "--auto-merge", "-j", "4"],
        &[("FAKE_RESET", "1")],
    )
    .ok();
    let starts = starts(&r);
    let status = r.status();
    let report = r.epic(&["report", "--json"]).ok().json();
    let total: u64 = starts.values().map(|s| s.len() as u64).sum();
    assert_eq!(total, 11, "{starts:?}");
    let mut sums = BTreeMap::<&str, u64>::new();
    for row in status["tickets"].as_array().unwrap() {
        let id = row["id"].as_str().unwrap();
        assert_eq!(row["state"], "merged", "{row}");
        let steps = &starts[id];
        let runs = steps.len() as u64;
        let limits = count(steps, "limit");
        let expected = [
            // Every start but the limited ones used an attempt.
            ("attempts", runs - limits),
            ("rate_limit_waits", limits),
            // The real work ran once, then once per fix round.
            ("fix_rounds", count(steps, "-") - 1),
            // Each failure was followed by another attempt.
            ("retries", count(steps, "fail")),
            ("runs", runs),
        ];
        for (field, want) in expected {
            assert_eq!(row[field].as_u64(), Some(want), "{id} {field}: {row}");
            *sums.entry(field).or_default() += want;
        }
        assert_eq!(
            note(&r, id).runs.len() as u64,
            runs,
            "{id}: a run record per start"
        );
    }
    assert_eq!(sums["runs"], total);
    // Every start is the ticket's first, a retry, a run after a limit, or a fix round's.
    assert_eq!(
        total,
        5 + sums["retries"] + sums["rate_limit_waits"] + sums["fix_rounds"]
    );
    for (field, want) in &sums {
        assert_eq!(
            status["totals"][field].as_u64(),
            Some(*want),
            "status {field}"
        );
        assert_eq!(
            report["totals"][field].as_u64(),
            Some(*want),
            "report {field}"
        );
    }
    // Per wave: A to D in wave 0, E in wave 1.
    let w0 = &report["waves"][0];
    assert_eq!(
        (w0["runs"].as_u64(), w0["retries"].as_u64()),
        (Some(total - 1), Some(2)),
        "{w0}"
    );
    assert_eq!(report["waves"][1]["runs"], 1);
}

/// A supervised run that ended while no git epic watched (git epic was killed before it
/// concluded the run) shows how it ended, not `interrupted`; the next `wave start` concludes
/// it without starting the agent again.
#[test]
fn a_run_that_ended_unwatched_shows_its_end_and_is_concluded_by_the_next_wave_start() {
    let r = Repo::with_agent("commit.sh");
    counted_ticket(&r, "A", "", "-", "commit.sh");
    let mut child = r.spawn_epic(&["wave", "start"], &[("FAKE_SLEEP", "2")]);
    let deadline = Instant::now() + Duration::from_secs(60);
    r.wait_supervised("A", deadline);
    child.kill().unwrap(); // SIGKILL: git epic alone, its agent lives on.
    child.wait().unwrap();
    let exit = r.path().join(".git/epic/e/logs/A.log.exit");
    while !exit.exists() {
        assert!(Instant::now() < deadline, "the supervisor recorded no end");
        std::thread::sleep(Duration::from_millis(50));
    }
    let row = r.row("A");
    assert_eq!(row["state"], "done", "{row}");
    let reason = row["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("exit code 0") && reason.contains("the next `git epic wave start`"),
        "{row}"
    );
    assert_eq!(
        (row["runs"].as_u64(), row["attempts"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(
        row["elapsed_s"].as_f64().unwrap() >= 2.0,
        "its time to its end: {row}"
    );
    let report = r.epic(&["report", "--json"]).ok().json();
    assert_eq!(report["states"]["interrupted"], 0, "{report}");
    assert_eq!(report["states"]["done"], 1, "{report}");
    let table = r.epic(&["status"]).ok().stdout;
    assert!(!table.contains("interrupted"), "{table}");
    // A merge says what to do rather than that it runs.
    let out = r.epic(&["merge", "A"]).code(2);
    assert!(out.stderr.contains("git epic run A"), "{}", out.stderr);

    let out = r.epic_env(&["wave", "start"], &[]).ok();
    assert!(!out.stderr.contains("A: started"), "{}", out.stderr);
    assert_eq!(starts(&r)["A"].len(), 1, "the agent ran once");
    let row = r.row("A");
    assert_eq!(row["state"], "done", "{row}");
    assert!(row["reason"].is_null(), "{row}");
    assert_eq!(note(&r, "A").runs.len(), 1);
    assert!(row["elapsed_s"].as_f64().unwrap() >= 2.0, "{row}");
}

/// A fix round that `git epic merge` leaves pending runs at the next `wave start` (and one
/// that `propagate` leaves, at the next `wave start --all`): with the request in its prompt,
/// counted as a fix round, not as a retry.
#[test]
fn fix_rounds_left_by_merge_run_at_the_next_wave_start() {
    let r = Repo::with_agent("fixer.sh");
    red_while_broken(&r);
    counted_ticket(&r, "A", "", "-", "fixer.sh");
    counted_ticket(&r, "B", "A", "-", "commit.sh");
    r.epic_env(&["wave", "start"], &[]).ok();
    assert_eq!(r.row("A")["state"], "done");
    let out = r.epic(&["merge", "A"]).code(1);
    assert!(out.stderr.contains("fix round 1 of 2"), "{}", out.stderr);
    assert_eq!(note(&r, "A").request.unwrap().kind, "fix");
    let out = r.epic_env(&["wave", "start"], &[]).ok();
    assert!(out.stderr.contains("A: started"), "{}", out.stderr);
    let fake = r.fake_dir();
    let prompt = std::fs::read_to_string(fake.join("prompt.A.2")).unwrap();
    assert!(
        prompt.contains("## Fix requested by git-epic (round 1)"),
        "{prompt}"
    );
    let row = r.row("A");
    assert_eq!(row["state"], "done", "{row}");
    assert_eq!(
        (
            row["runs"].as_u64(),
            row["attempts"].as_u64(),
            row["retries"].as_u64(),
            row["fix_rounds"].as_u64()
        ),
        (Some(2), Some(2), Some(0), Some(1)),
        "{row}"
    );
    assert!(note(&r, "A").request.is_none(), "served");
    r.epic(&["merge", "A"]).ok();
    assert_eq!(r.row("A")["state"], "merged");
    assert_eq!(starts(&r)["A"].len(), 2);
}

#[test]
fn a_fix_round_left_by_propagate_runs_at_the_next_wave_start_all() {
    let r = Repo::with_agent("resolver.sh");
    counted_ticket(&r, "X", "", "-", "resolver.sh");
    counted_ticket(&r, "Y", "", "-", "resolver.sh");
    r.epic_env(&["wave", "start"], &[]).ok();
    r.epic(&["merge", "X"]).ok();
    let out = r.epic(&["propagate"]).code(1);
    assert!(out.stdout.contains("conflict"), "{}", out.stdout);
    let n = note(&r, "Y");
    assert_eq!(
        n.request.as_ref().map(|q| q.kind.as_str()),
        Some("fix"),
        "{n:?}"
    );
    assert_eq!(r.row("Y")["state"], "pending");
    let out = r.epic_env(&["wave", "start", "--all"], &[]).ok();
    assert!(out.stderr.contains("Y: started"), "{}", out.stderr);
    let prompt = std::fs::read_to_string(r.fake_dir().join("prompt.Y.2")).unwrap();
    assert!(prompt.contains("conflicts with the epic"), "{prompt}");
    let row = r.row("Y");
    assert_eq!(
        (
            row["state"].as_str(),
            row["runs"].as_u64(),
            row["retries"].as_u64(),
            row["fix_rounds"].as_u64()
        ),
        (Some("done"), Some(2), Some(0), Some(1)),
        "{row}"
    );
    r.epic(&["merge", "Y"]).ok();
    let readme = r.git(&["show", "epic/e:README.md"]);
    assert!(
        readme.contains("X was here") && readme.contains("Y was here"),
        "{readme}"
    );
}

/// A failed ticket in an earlier wave (which `wave start` leaves to a human) does not hold
/// back a fix round pending in a later wave.
#[test]
fn a_failed_ticket_of_an_earlier_wave_does_not_hold_back_a_pending_fix_round() {
    let r = Repo::with_agent("commit.sh");
    red_while_broken(&r);
    r.git(&["config", "epicAgent.broken.command", &agent("fail.sh")]);
    r.epic(&["ticket", "add", "W", "--title", "W", "--agent", "broken"])
        .ok();
    r.epic(&["ticket", "add", "V", "--title", "V"]).ok();
    counted_ticket(&r, "X", "V", "-", "fixer.sh");
    r.epic_env(&["wave", "start"], &[]).code(1);
    assert_eq!(r.row("W")["state"], "failed");
    r.epic(&["merge", "V"]).ok();
    r.epic_env(&["run", "X"], &[]).ok();
    r.epic(&["merge", "X"]).code(1);
    assert_eq!(r.row("X")["state"], "pending");
    let out = r.epic_env(&["wave", "start"], &[]).ok();
    assert!(out.stderr.contains("X: started"), "{}", out.stderr);
    assert!(!out.stderr.contains("W: started"), "{}", out.stderr);
    let row = r.row("X");
    assert_eq!(
        (row["state"].as_str(), row["fix_rounds"].as_u64()),
        (Some("done"), Some(1)),
        "{row}"
    );
    assert_eq!(starts(&r)["X"].len(), 2);
    // With nothing else to start, `wave start` says why the failed ticket does not run.
    r.epic(&["merge", "X"]).ok();
    let out = r.epic_env(&["wave", "start"], &[]).ok();
    assert!(out.stderr.contains("W: skipped, failed"), "{}", out.stderr);
}
