//! What a newcomer met in the first hour on a real repository (issue 26), one test per
//! point: the agent's own error in its log, review states, waits said out loud, exit codes
//! and messages that agree, configuration one can see.

use crate::support::*;

/// The agent's stderr is in its log, marked, between its stdout lines as it came; the
/// failure's reason, `status` and `logs` show it.
#[test]
fn the_agents_stderr_is_in_its_log_marked_and_in_order() {
    let r = Repo::with_agent("stderr_fail.sh");
    r.git(&["config", "epic.maxAttempts", "1"]);
    r.epic_stdin(&["ticket", "add", "A"], "Do A.\n").ok();
    r.epic(&["wave", "start", "0"]).code(1);
    let log = r.log("A");
    let at = |needle: &str| {
        log.find(needle)
            .unwrap_or_else(|| panic!("no {needle:?} in the log:\n{log}"))
    };
    assert!(at("looking at A") < at("[stderr] error: I could not figure out how to do migr"));
    assert!(at("[stderr] error: I could not") < at("giving up"));
    let row = r.row("A");
    assert_eq!(
        row["reason"].as_str().unwrap_or(""),
        "exit code 1: error: I could not figure out how to do migr on attempt 1 of 1",
        "{row}"
    );
    let logs = r.epic(&["logs", "A"]).ok().stdout;
    assert!(
        logs.contains("[stderr] error: I could not figure out"),
        "{logs}"
    );
    let tail = r.epic(&["logs", "A", "-n", "3"]).ok().stdout;
    assert!(
        tail.contains("[stderr] error: I could not figure out"),
        "{tail}"
    );
}

/// A supervised run whose git epic was killed: what the agent wrote to stderr afterwards is
/// in its log all the same, and the next `wave start` gives it as the reason.
#[test]
fn a_supervised_runs_stderr_reaches_its_log_after_git_epic_died() {
    use std::time::{Duration, Instant};
    let r = Repo::with_agent("stderr_fail.sh");
    r.git(&["config", "epic.maxAttempts", "1"]);
    r.epic_stdin(&["ticket", "add", "A"], "Do A.\n").ok();
    let mut child = r.spawn_epic(&["wave", "start"], &[]);
    let deadline = Instant::now() + Duration::from_secs(60);
    r.wait_supervised("A", deadline);
    child.kill().unwrap(); // SIGKILL: git epic alone, its agent lives on.
    child.wait().unwrap();
    let exit = r.path().join(".git/epic/e/logs/A.log.exit");
    while !exit.exists() {
        assert!(Instant::now() < deadline, "the supervisor recorded no end");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        r.log("A")
            .contains("[stderr] error: I could not figure out how to do migr\n"),
        "{}",
        r.log("A")
    );
    r.epic(&["wave", "start"]).code(1);
    let row = r.row("A");
    assert!(
        row["reason"]
            .as_str()
            .unwrap_or("")
            .contains("error: I could not figure out how to do migr"),
        "{row}"
    );
}
