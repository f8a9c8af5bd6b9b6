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

/// With `epic.requireReview`, flow mode ends with its tickets awaiting review, not failed
/// (exit 0); `status` shows the review state (awaiting, approved, changes requested) in its
/// table and its JSON; `merge` of a ticket sent back by its reviewer says it waits for its
/// agent, not for a review.
#[test]
fn awaiting_review_is_a_state_of_its_own_never_a_failure() {
    let r = Repo::with_agent("commit.sh");
    r.git(&["config", "epic.requireReview", "true"]);
    r.epic_stdin(&["ticket", "add", "A", "--scope", "A.txt"], "Do A.\n")
        .ok();
    r.epic_stdin(&["ticket", "add", "B", "--scope", "B.txt"], "Do B.\n")
        .ok();
    r.epic_stdin(&["ticket", "add", "C", "--deps", "A"], "Do C.\n")
        .ok();
    let out = r
        .epic_env(&["wave", "start", "--all", "--auto-merge"], &[])
        .ok();
    assert!(
        out.stdout.contains("0 done, 2 awaiting review.") && !out.stdout.contains("failed"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("A: awaiting review:"), "{}", out.stderr);
    let again = r.epic_env(&["wave", "start", "--all", "--auto-merge", "--json"], &[]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    let json = again.json();
    assert_eq!(
        json["awaiting_review"],
        serde_json::json!(["A", "B"]),
        "{json}"
    );
    assert_eq!(json["failed"], serde_json::json!([]), "{json}");
    assert_eq!(r.row("A")["review"], "awaiting");
    assert_eq!(r.status()["totals"]["awaiting_review"], 2);
    r.epic(&["review", "A", "--approve"]).ok();
    assert_eq!(r.row("A")["review"], "approved");
    r.epic(&["review", "B", "--request-changes", "-m", "Name it b.txt"])
        .ok();
    assert_eq!(r.row("B")["review"], "changes_requested");
    let table = r.epic(&["status"]).ok().stdout;
    let line = |id: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("no {id} in\n{table}"))
            .to_owned()
    };
    assert!(line("A").contains("approved"), "{table}");
    assert!(line("B").contains("changes requested"), "{table}");
    let out = r.epic(&["merge", "B"]).code(1);
    assert!(
        out.stdout
            .contains("B: not merged, its agent has yet to make the changes requested in review round 1: `git epic run B`"),
        "{}",
        out.stdout
    );
}

/// `merge` of tickets that have not run says so, and exits alike with ids or `--wave`:
/// 1 when a selected ticket is not on the epic; the rule is in `git epic --help`.
#[test]
fn merge_before_anything_ran_says_so_and_exits_alike_in_both_forms() {
    let r = Repo::with_agent("commit.sh");
    r.epic_stdin(&["ticket", "add", "db"], "Do db.\n").ok();
    let by_wave = r.epic(&["merge", "--wave", "0"]).code(1);
    let by_id = r.epic(&["merge", "db"]).code(1);
    for out in [&by_wave, &by_id] {
        assert_eq!(
            out.stdout.trim(),
            "db: not merged, it has not run yet (`git epic run db`, or `git epic wave start`)",
            "{}",
            out.stdout
        );
    }
    let help = r.epic(&["-h"]).ok().stdout;
    assert!(
        help.contains("merge, with ids or --wave alike, exits 0 when every ticket"),
        "{help}"
    );
}

/// Reads `child`'s stderr until a line contains `needle` (or the deadline passes); returns
/// all it read.
fn stderr_until(child: &mut std::process::Child, needle: &str, secs: u64) -> String {
    use std::io::BufRead;
    let err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(err).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let mut seen = String::new();
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) => {
                seen.push_str(&line);
                seen.push('\n');
                if line.contains(needle) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    seen
}

/// A rate limit with a reset an hour away: the run says until when it waits, for the ticket
/// that hit it and for the other ticket of its profile; a run started again after Ctrl-C
/// says what it waits for at once instead of looking hung.
#[test]
fn a_wait_is_said_with_what_it_waits_for_and_until_when() {
    let r = Repo::with_agent("ratelimit_once.sh");
    r.epic_stdin(&["ticket", "add", "A"], "Do A.\n").ok();
    r.epic_stdin(&["ticket", "add", "B"], "Do B.\n").ok();
    let mut run = r.spawn_epic(&["wave", "start", "-j", "1"], &[("FAKE_RESET", "3600")]);
    let said = stderr_until(&mut run, "B: waiting for", 60);
    run.kill().unwrap();
    run.wait().unwrap();
    let limited = said
        .lines()
        .find(|l| l.contains("A: rate limited, retrying in"))
        .unwrap_or_else(|| panic!("{said}"));
    assert!(limited.contains(", at "), "{said}");
    assert!(
        said.contains("B: waiting for the cooldown of agent profile `default` (another ticket hit its rate limit) until ")
            && said.contains("`git epic agent reset default` lifts it"),
        "{said}"
    );
    // Run again: what A waits for is said at once.
    let mut again = r.spawn_epic(&["wave", "start", "-j", "1"], &[]);
    let said = stderr_until(&mut again, "A: waiting for", 30);
    again.kill().unwrap();
    again.wait().unwrap();
    assert!(
        said.contains("A: waiting for its rate limit (agent profile `default`) until "),
        "{said}"
    );
}

/// `logs -f` ends when the ticket's run ends, with what the agent wrote last.
#[test]
fn logs_follow_ends_when_the_run_ends() {
    use std::time::{Duration, Instant};
    let r = Repo::with_agent("commit.sh");
    r.epic_stdin(&["ticket", "add", "A"], "Do A.\n").ok();
    let mut run = r.spawn_epic(&["wave", "start"], &[("FAKE_SLEEP", "2")]);
    r.wait_supervised("A", Instant::now() + Duration::from_secs(60));
    let follow = r.spawn_epic(&["logs", "A", "-f"], &[]);
    let t = Instant::now();
    let out = follow.wait_with_output().unwrap();
    assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("The run of `A` has ended: done."), "{err}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("=== git-epic: attempt 1"), "{text}");
    assert_eq!(run.wait().unwrap().code(), Some(0));
}

/// An unknown ticket is said in one wording by every command, with the closest id; so are
/// an unknown epic, agent profile and config value.
#[test]
fn one_wording_for_an_unknown_ticket_and_suggestions_for_typos() {
    let r = Repo::with_agent("commit.sh");
    r.epic_stdin(&["ticket", "add", "db"], "Do db.\n").ok();
    let want = "error: There is no ticket `dbb` in epic `e` (tasks). Did you mean `db`?";
    for args in [
        &["logs", "dbb"][..],
        &["merge", "dbb"],
        &["review", "dbb"],
        &["run", "dbb"],
        &["review", "dbb", "--approve"],
    ] {
        let out = r.epic(args).code(2);
        assert_eq!(out.stderr.trim(), want, "{args:?}");
    }
    let out = r.epic(&["status", "--epic", "ee"]).code(2);
    assert!(
        out.stderr
            .contains("There is no epic named `ee` (known: e). Did you mean `e`?"),
        "{}",
        out.stderr
    );
    r.git(&["config", "epicAgent.claude.command", "claude -p"]);
    r.epic_stdin(&["ticket", "add", "ui", "--agent", "clade"], "Do ui.\n")
        .ok();
    let out = r.epic(&["run", "ui"]).code(2);
    assert!(
        out.stderr.contains("Did you mean `claude`?"),
        "{}",
        out.stderr
    );
    r.git(&["config", "epic.promptVia", "stdn"]);
    let out = r.epic(&["wave", "start"]).code(2);
    assert!(
        out.stderr.contains(
            "git config epic.promptVia is `stdn`, expected `arg` or `stdin`. Did you mean `stdin`?"
        ),
        "{}",
        out.stderr
    );
}

/// Configuration one can see: a mistyped key is named by `doctor` with the key it likely
/// means; a bad value is refused alike by every command that reads it, `status` included;
/// the keys and the agent's environment are in `git epic --help`'s page.
#[test]
fn mistyped_keys_are_warned_and_bad_values_refused_alike() {
    let r = Repo::with_agent("commit.sh");
    r.git(&["config", "epic.tset", "cargo test"]);
    r.git(&["config", "epicAgent.fast.comand", "claude -p"]);
    let out = r.epic(&["doctor"]);
    assert!(
        out.stdout.contains(
            "config keys        not read by git-epic: epic.tset (did you mean epic.test?), epicAgent.fast.comand (did you mean epicAgent.fast.command?)"
        ),
        "{}",
        out.stdout
    );
    r.git(&["config", "epic.maxCost", "twenty"]);
    let want = "git config epic.maxCost is `twenty`, expected an amount like 5 or 12.50.";
    for args in [&["status"][..], &["wave", "start"], &["status", "--json"]] {
        let out = r.epic(args).code(2);
        assert!(out.stderr.contains(want), "{args:?}: {}", out.stderr);
    }
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man/git-epic.1"),
    )
    .unwrap();
    for needle in ["epic.maxCost", "EPIC_TICKET", "EPIC_BASE", "EPIC_NAME"] {
        assert!(page.contains(&needle.replace('-', "\\-")), "{needle}");
    }
}

/// `git epic agent add <name> --command "<cmd>"` makes a profile of one's own, which a ticket
/// then runs; a mistyped preset is refused with the closest one and how to add one's own.
#[test]
fn agent_add_takes_a_command_of_ones_own() {
    let r = Repo::with_agent("commit.sh");
    let out = r
        .epic(&["agent", "add", "mine", "--command", &agent("commit.sh")])
        .ok();
    assert_eq!(
        out.stdout.trim(),
        format!("epicAgent.mine.command = {}", agent("commit.sh"))
    );
    assert_eq!(
        r.git(&["config", "epicAgent.mine.command"]).trim(),
        agent("commit.sh")
    );
    r.epic_stdin(&["ticket", "add", "A", "--agent", "mine"], "Do A.\n")
        .ok();
    r.epic_env(&["wave", "start"], &[]).ok();
    assert_eq!(r.row("A")["state"], "done");
    let out = r.epic(&["agent", "add", "cluade"]).code(2);
    assert!(
        out.stderr.contains("There is no preset `cluade` (presets: ")
            && out.stderr.contains("Did you mean `claude`? For an agent of your own: git epic agent add cluade --command \"<cmd>\"."),
        "{}",
        out.stderr
    );
    let out = r.epic(&["agent", "add", "x", "--command", "  "]).code(2);
    assert!(out.stderr.contains("--command is empty"), "{}", out.stderr);
}

/// `wave start` says plainly that a ticket is still the unfilled template of `ticket add`;
/// a filled one gets no such word.
#[test]
fn an_unfilled_template_is_said_before_it_goes_to_the_agent() {
    let r = Repo::with_agent("commit.sh");
    r.epic(&["ticket", "add", "A", "--title", "Add a kanban board"])
        .ok();
    r.epic_stdin(&["ticket", "add", "B"], "Do B.\n").ok();
    for args in [&["wave", "start", "--dry-run"][..], &["wave", "start"]] {
        let out = r.epic_env(args, &[]).ok();
        assert!(
            out.stderr.contains(
                "warning: ticket `A` is the unfilled template of `git epic ticket add` (tasks/A.md): its agent gets only its title, \"Add a kanban board\"."
            ),
            "{}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("ticket `B` is the unfilled"),
            "{}",
            out.stderr
        );
    }
}

/// The smaller ones: `--dry-run` repeats `plan`'s scope-overlap warning; a ticket not merged
/// in flow mode says which tickets wait on it, and nothing of the kind when none does.
#[test]
fn dry_run_warns_of_overlaps_and_not_merged_names_its_dependents() {
    let r = Repo::with_agent("commit.sh");
    r.epic_stdin(&["ticket", "add", "A", "--scope", "src/**"], "Do A.\n")
        .ok();
    r.epic_stdin(&["ticket", "add", "B", "--scope", "src/b/**"], "Do B.\n")
        .ok();
    r.epic_stdin(&["ticket", "add", "C", "--deps", "A"], "Do C.\n")
        .ok();
    let out = r.epic(&["wave", "start", "--dry-run"]).ok();
    assert!(
        out.stderr.contains(
            "warning: A and B (wave 0) have overlapping scopes, a likely merge conflict: `src/**` ~ `src/b/**` (git epic plan)"
        ),
        "{}",
        out.stderr
    );
    // The scope gate refuses both (commit.sh writes <id>.txt, outside their scopes).
    r.git(&["config", "epic.maxFixRounds", "0"]);
    let out = r.epic_env(&["wave", "start", "--all", "--auto-merge"], &[]);
    assert!(
        out.stderr.contains("; C, which depends on it, waits"),
        "{}",
        out.stderr
    );
    let b = out
        .stderr
        .lines()
        .find(|l| l.contains("B: not merged:"))
        .unwrap_or_else(|| panic!("{}", out.stderr));
    assert!(!b.contains("wait"), "{b}");
}

/// Ctrl-C during attempt 1 is not an attempt: the run that resumes it starts attempt 1
/// again; a fix round is shown as a round, with its own attempts.
#[test]
fn an_interruption_is_no_attempt_and_a_fix_round_is_shown_as_one() {
    use std::time::{Duration, Instant};
    let r = Repo::with_agent("commit.sh");
    r.epic_stdin(&["ticket", "add", "A"], "Do A.\n").ok();
    let mut run = r.spawn_epic(&["wave", "start"], &[("FAKE_SLEEP", "3")]);
    r.wait_supervised("A", Instant::now() + Duration::from_secs(60));
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(run.id() as i32, libc::SIGINT) };
    assert_eq!(run.wait().unwrap().code(), Some(130));
    let out = r.epic_env(&["wave", "start"], &[]).ok();
    assert!(
        out.stderr.contains("A: started attempt 1 ("),
        "{}",
        out.stderr
    );
    assert_eq!(r.row("A")["attempts"], 1, "{}", r.row("A"));

    let r = Repo::with_agent("fixer.sh");
    r.git(&["config", "epic.test", "! grep -q broken *.txt"]);
    r.epic_stdin(&["ticket", "add", "F"], "Do F.\n").ok();
    let out = r
        .epic_env(&["wave", "start", "--all", "--auto-merge"], &[])
        .ok();
    assert!(
        out.stderr.contains("F: started attempt 1 ("),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("F: started fix round 1, attempt 1 ("),
        "{}",
        out.stderr
    );
}

/// The report's time is the time agents were at work, not the minutes between two commands;
/// its WAITED is the wait that happened, not the one a limit called for.
#[test]
fn the_report_counts_agent_time_and_the_wait_that_happened() {
    use std::time::{Duration, Instant};
    let r = Repo::with_agent("ratelimit_once.sh");
    r.epic_stdin(&["ticket", "add", "A"], "Do A.\n").ok();
    r.epic_stdin(&["ticket", "add", "B", "--deps", "A"], "Do B.\n")
        .ok();
    // A hits a limit an hour away; the cooldown is lifted after a moment, A runs again.
    let mut run = r.spawn_epic(&["wave", "start"], &[("FAKE_RESET", "3600")]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while r.row("A")["state"] != "rate_limited" {
        assert!(Instant::now() < deadline, "A was never limited");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(1));
    r.epic(&["agent", "reset", "default"]).ok();
    assert_eq!(run.wait().unwrap().code(), Some(0));
    r.epic(&["merge", "A"]).ok();
    // A human's coffee between two commands.
    std::thread::sleep(Duration::from_secs(4));
    r.epic_env(&["wave", "start"], &[]).ok();
    let report = r.epic(&["report", "--json"]).ok().json();
    let f = |k: &str| {
        report[k]
            .as_f64()
            .unwrap_or_else(|| panic!("{k}: {report}"))
    };
    assert!(f("wall_s") >= 4.0, "{report}");
    assert!(f("active_s") < 3.5, "{report}");
    assert!(f("speedup") > 0.5, "{report}");
    let totals = &report["totals"];
    assert!(
        totals["rate_limit_wait_s"].as_f64().unwrap() >= 3500.0,
        "{totals}"
    );
    let waited = totals["rate_limit_waited_s"].as_f64().unwrap();
    assert!((0.5..60.0).contains(&waited), "{totals}");
    let text = r.epic(&["report"]).ok().stdout;
    assert!(text.contains(" with agents at work ("), "{text}");
    assert!(!text.contains("1h00m") && !text.contains("59m"), "{text}");
}

/// Ticket files are the epic's plan, in the checkout and never on the epic branch: `finish`
/// does not bring them into the base, and says that they stay and how to clear them.
#[test]
fn finish_says_the_ticket_files_stay_and_how_to_clear_them() {
    let r = Repo::with_agent("commit.sh");
    r.epic_stdin(&["ticket", "add", "A"], "Do A.\n").ok();
    r.epic_env(&["wave", "start"], &[]).ok();
    r.epic(&["merge", "A"]).ok();
    let out = r.epic(&["finish"]).ok();
    assert!(
        out.stderr.contains(
            "The ticket files stay in tasks/ as they were (finish merges the epic branch, which never holds them): commit them to keep the plan on main, or clear them with `rm -r tasks`."
        ),
        "{}",
        out.stderr
    );
    assert!(!r
        .git(&["ls-tree", "-r", "--name-only", "main"])
        .contains("tasks/"));
    assert!(r
        .git(&["status", "--porcelain"])
        .lines()
        .any(|l| l == "?? tasks/"));
}
