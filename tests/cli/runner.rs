//! `wave start` and `run` with scripted fake agents (tests/agents/*.sh).

use std::time::{Duration, Instant};

use crate::support::{agent, alive, Repo};

fn tickets(r: &Repo, specs: &[(&str, &str)]) {
    for (id, deps) in specs {
        let mut args = vec!["ticket", "add", id, "--title", id];
        if !deps.is_empty() {
            args.extend(["--deps", deps]);
        }
        r.epic(&args).ok();
    }
}

#[test]
fn wave_start_runs_the_ready_wave_and_never_reruns_done_tickets() {
    let r = Repo::with_agent("commit.sh");
    tickets(&r, &[("A", ""), ("B", ""), ("C", "A")]);
    let out = r.epic_env(&["wave", "start"], &[]).ok();
    assert!(out.stdout.contains("2 done."), "{}", out.stdout);
    assert!(
        out.stderr.contains("A: done with 1 commit(s)"),
        "{}",
        out.stderr
    );
    for id in ["A", "B"] {
        let row = r.row(id);
        assert_eq!(row["state"], "done");
        assert_eq!(row["attempts"], 1);
        assert_eq!(row["ahead"], 1);
        assert_eq!(row["branch"], format!("feat/{id}-{}", id.to_lowercase()));
        assert!(r
            .path()
            .join(format!("worktrees/feat-{id}/{id}.txt"))
            .exists());
        let log = r.log(id);
        assert!(
            log.starts_with(&format!("=== git-epic e: ticket {id} attempt 1 at")),
            "{log}"
        );
        assert!(log.contains(&format!("committed {id}")), "{log}");
    }
    assert_eq!(r.row("C")["state"], "blocked");
    // The checkout and the epic branch are untouched.
    assert_eq!(r.git(&["symbolic-ref", "--short", "HEAD"]), "main");
    assert_eq!(
        r.git(&["rev-parse", "epic/e"]),
        r.git(&["rev-parse", "main"])
    );
    // Again: wave 0 is done, wave 1 waits for a merge.
    let out = r.epic_env(&["wave", "start"], &[]).code(2);
    assert!(
        out.stderr
            .contains("No ticket is ready to start: C waits for A"),
        "{}",
        out.stderr
    );
    let out = r.epic_env(&["run", "A"], &[]).ok();
    assert!(
        out.stderr.contains("A: skipped, already done"),
        "{}",
        out.stderr
    );
    assert_eq!(r.log("A").matches("attempt 1 at").count(), 1);
    assert_eq!(
        r.log("A").matches(" attempt ").count(),
        2,
        "one header and one footer: {}",
        r.log("A")
    );
}

#[test]
fn a_failing_agent_is_retried_then_failed() {
    let r = Repo::with_agent("fail.sh");
    tickets(&r, &[("A", "")]);
    let out = r.epic_env(&["wave", "start", "0"], &[]).code(1);
    assert!(
        out.stdout
            .contains("A failed: exit code 3 on attempt 3 of 3"),
        "{}",
        out.stdout
    );
    let row = r.row("A");
    assert_eq!(row["state"], "failed");
    assert_eq!(row["attempts"], 3);
    assert_eq!(r.log("A").matches("something broke").count(), 3);
    // wave start leaves a failed ticket alone; run tries it again with fresh attempts.
    let out = r.epic_env(&["wave", "start"], &[]).ok();
    assert!(out.stderr.contains("A: skipped, failed"), "{}", out.stderr);
    r.git(&["config", "epic.agent", &agent("commit.sh")]);
    r.epic_env(&["run", "A"], &[]).ok();
    let row = r.row("A");
    assert_eq!(row["state"], "done");
    // Status counts every attempt, the three that failed included: three retries.
    assert_eq!(
        (row["attempts"].as_u64(), row["retries"].as_u64()),
        (Some(4), Some(3))
    );
}

#[test]
fn retry_waits_double() {
    let r = Repo::with_agent("fail.sh");
    r.git(&["config", "epic.retryWait", "1"]);
    tickets(&r, &[("A", "")]);
    let t = Instant::now();
    r.epic_env(&["run", "A"], &[]).code(1);
    let took = t.elapsed();
    // 1 s then 2 s of backoff between the three attempts.
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(8),
        "{took:?}"
    );
}

#[test]
fn a_rate_limit_waits_without_using_an_attempt() {
    let r = Repo::with_agent("ratelimit_once.sh");
    r.git(&["config", "epic.maxAttempts", "1"]);
    tickets(&r, &[("A", "")]);
    let t = Instant::now();
    let out = r.epic_env(&["wave", "start"], &[]).ok();
    assert!(
        out.stderr.contains("A: rate limited, retrying in"),
        "{}",
        out.stderr
    );
    assert!(
        t.elapsed() >= Duration::from_secs(1),
        "waited for the reset the output named"
    );
    let row = r.row("A");
    assert_eq!(row["state"], "done");
    assert_eq!(
        row["attempts"], 1,
        "maxAttempts = 1 and the limited run did not count"
    );
    assert_eq!(row["rate_limit_waits"], 1);
}

/// A limit that names no reset time waits `epic.rateLimitWait`, doubled for each such limit in
/// a row; a run that gets past the limit (here a plain failure) starts the doubling over. No
/// limited run counts as an attempt.
#[test]
fn limits_without_a_reset_time_back_off_and_use_no_attempt() {
    let r = Repo::with_agent("limit_no_time.sh");
    r.git(&["config", "epic.rateLimitWait", "1s"]);
    r.git(&["config", "epic.maxAttempts", "2"]);
    tickets(&r, &[("A", "")]);
    let t = Instant::now();
    let out = r.epic_env(&["run", "A"], &[]).ok();
    let waits: Vec<&str> = out
        .stderr
        .lines()
        .filter_map(|l| {
            l.split_once("A: rate limited, retrying in ")
                .map(|(_, w)| w)
        })
        .collect();
    assert_eq!(waits, ["1s", "2s", "1s"], "{}", out.stderr);
    assert!(out.stderr.contains("A: attempt 1 failed"), "{}", out.stderr);
    assert!(t.elapsed() >= Duration::from_secs(4), "{:?}", t.elapsed());
    let row = r.row("A");
    assert_eq!(row["state"], "done");
    assert_eq!(
        row["attempts"], 2,
        "the failure and the last run, not the limits"
    );
    assert_eq!(row["rate_limit_waits"], 3);
    assert!(r.log("A").contains("no reset time named"));
}

#[test]
fn a_hanging_agent_times_out_and_leaves_no_process() {
    let r = Repo::with_agent("hang.sh");
    r.git(&["config", "epic.timeout", "1"]);
    r.git(&["config", "epic.maxAttempts", "1"]);
    tickets(&r, &[("A", "")]);
    let out = r.epic_env(&["run", "A"], &[]).code(1);
    assert!(
        out.stdout.contains("no output for 1s (epic.timeout)"),
        "{}",
        out.stdout
    );
    let pids = std::fs::read_to_string(r.fake_dir().join("pids.A")).unwrap();
    for pid in pids.split_whitespace() {
        assert!(
            !alive(pid.parse().unwrap()),
            "process {pid} of the agent's group survived"
        );
    }
}

/// `epic.timeout` is a silence limit: an agent that keeps talking runs as long as it needs.
#[test]
fn an_agent_that_keeps_printing_outlives_the_silence_limit() {
    let r = Repo::with_agent("chatty.sh");
    r.git(&["config", "epic.timeout", "1"]);
    r.git(&["config", "epic.maxAttempts", "1"]);
    tickets(&r, &[("A", "")]);
    let t = std::time::Instant::now();
    r.epic_env(&["run", "A"], &[("FAKE_SLEEP", "3")]).ok();
    assert!(t.elapsed().as_secs() >= 3);
    assert_eq!(r.status()["tickets"][0]["state"], "done");
}

#[test]
fn uncommitted_work_is_committed_or_the_ticket_fails() {
    let r = Repo::with_agent("uncommitted.sh");
    tickets(&r, &[("A", ""), ("B", "")]);
    r.epic_env(&["run", "A"], &[]).ok();
    let wt = r.path().join("worktrees/feat-A");
    assert_eq!(r.git_in(&wt, &["status", "--porcelain"]), "");
    let msg = r.git_in(&wt, &["log", "-1", "--format=%s"]);
    assert_eq!(msg, "epic(e): A A");
    assert!(r
        .git_in(&wt, &["show", "--stat", "HEAD"])
        .contains("new-A.txt"));
    r.git(&["config", "epic.autoCommit", "false"]);
    r.git(&["config", "epic.maxAttempts", "1"]);
    let out = r.epic_env(&["run", "B"], &[]).code(1);
    assert!(
        out.stdout.contains("agent made no changes"),
        "{}",
        out.stdout
    );
    // Nothing was lost: the changes are still in the worktree.
    let wt = r.path().join("worktrees/feat-B");
    assert!(r
        .git_in(&wt, &["status", "--porcelain"])
        .contains("new-B.txt"));
}

const NASTY: &str = "Do it: $(touch /tmp/pwned) `id` \"quoted\" 'single' \\ back\nsecond line\n\ttab; rm -rf ~ && echo $HOME\n";

#[test]
fn the_prompt_reaches_the_agent_byte_for_byte() {
    for via in ["arg", "stdin"] {
        let r = Repo::with_agent("record.sh");
        r.git(&["config", "epic.promptVia", via]);
        r.write("CONTEXT.md", "Use tabs.\n");
        r.epic_stdin(
            &[
                "ticket", "add", "A", "--scope", "src/**", "--forbid", "infra/**",
            ],
            NASTY,
        )
        .ok();
        r.epic_env(&["run", "A"], &[]).ok();
        let repo = gix::open(r.path()).unwrap();
        let _ = repo;
        let t = git_epic::model::ticket::load_all(&r.path(), std::path::Path::new("tasks"))
            .unwrap()
            .remove(0);
        let expected = git_epic::model::prompt::build(&t, Some("Use tabs.\n"));
        assert!(expected.starts_with(NASTY.trim_end()));
        assert!(
            expected.contains("- `src/**`")
                && expected.contains("- `infra/**`")
                && expected.ends_with("Use tabs.\n")
        );
        assert!(expected.contains("Commit your work with a clear message when done."));
        let argv = std::fs::read(r.fake_dir().join("argv.A")).unwrap();
        let stdin = std::fs::read(r.fake_dir().join("stdin.A")).unwrap();
        if via == "arg" {
            assert_eq!(argv, format!("{expected}\0").into_bytes());
            assert!(stdin.is_empty());
        } else {
            assert!(argv.is_empty());
            assert_eq!(stdin, expected.into_bytes());
        }
        assert!(!std::path::Path::new("/tmp/pwned").exists());
        let env = std::fs::read_to_string(r.fake_dir().join("env.A")).unwrap();
        assert!(
            env.contains("EPIC_NAME=e\nEPIC_TICKET=A\nEPIC_BASE=epic/e\n"),
            "{env}"
        );
        let wt = std::fs::canonicalize(r.path().join("worktrees/feat-A")).unwrap();
        assert!(env.contains(&format!("PWD={}", wt.display())), "{env}");
    }
}

#[test]
fn agent_command_is_split_into_words_with_a_profile() {
    let r = Repo::with_agent("record.sh");
    r.git(&[
        "config",
        "epicAgent.fast.command",
        &format!("{} --model 'haiku 4' -p", agent("record.sh")),
    ]);
    r.epic(&["ticket", "add", "A", "--agent", "fast"]).ok();
    r.epic_env(&["run", "A"], &[]).ok();
    let argv = std::fs::read_to_string(r.fake_dir().join("argv.A")).unwrap();
    let parts: Vec<&str> = argv.split('\0').collect();
    assert_eq!(&parts[..3], ["--model", "haiku 4", "-p"]);
}

#[test]
fn a_missing_agent_is_refused_before_any_worktree() {
    let r = Repo::with_agent("commit.sh");
    r.git(&["config", "epic.agent", "no-such-agent-xyz --print"]);
    tickets(&r, &[("A", "")]);
    let before = r.snapshot();
    let out = r.epic_env(&["wave", "start"], &[]).code(2);
    assert!(out.stderr.starts_with("error: The agent program `no-such-agent-xyz` (git config epic.agent) was not found on PATH"), "{}", out.stderr);
    assert_eq!(r.snapshot(), before);
    assert!(!r.path().join("worktrees").exists());
    // An unknown profile too.
    r.git(&["config", "--unset", "epic.agent"]);
    r.write("tasks/B.md", "+++\nagent = \"nope\"\n+++\nbody\n");
    let out = r.epic_env(&["run", "B"], &[]).code(2);
    assert!(
        out.stderr.contains("epicAgent.nope.command is not set"),
        "{}",
        out.stderr
    );
}

#[test]
fn dry_run_prints_the_exact_argv_and_changes_nothing() {
    let r = Repo::with_agent("commit.sh");
    tickets(&r, &[("A", ""), ("B", "A")]);
    let before = r.snapshot();
    let out = r
        .epic_env(&["wave", "start", "--all", "--dry-run"], &[])
        .ok();
    assert!(
        out.stdout
            .contains("Would start 1 ticket(s), at most 4 at once:"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("A  worktree worktrees/feat-A (new) on branch feat/A-a"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(&format!("argv: {} '", agent("commit.sh"))),
        "{}",
        out.stdout
    );
    assert_eq!(r.snapshot(), before);
}

#[test]
fn at_most_j_agents_run_at_once() {
    let r = Repo::with_agent("commit.sh");
    tickets(&r, &[("A", ""), ("B", ""), ("C", ""), ("D", ""), ("E", "")]);
    let t = Instant::now();
    r.epic_env(&["wave", "start", "-j", "2"], &[("FAKE_SLEEP", "0.5")])
        .ok();
    let max = std::fs::read_to_string(r.fake_dir().join("concurrency"))
        .unwrap()
        .lines()
        .map(|l| l.trim().parse::<u32>().unwrap())
        .max()
        .unwrap();
    assert_eq!(max, 2, "two at once, never more");
    // Three rounds of 0.5 s.
    assert!(
        t.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn stagger_spaces_the_starts() {
    let r = Repo::with_agent("commit.sh");
    r.git(&["config", "epic.stagger", "400ms"]);
    tickets(&r, &[("A", ""), ("B", ""), ("C", "")]);
    let t = Instant::now();
    r.epic_env(&["wave", "start"], &[]).ok();
    assert!(
        t.elapsed() >= Duration::from_millis(800),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn ctrl_c_stops_every_agent_group_and_records_interrupted() {
    let r = Repo::with_agent("hang.sh");
    tickets(&r, &[("A", ""), ("B", "")]);
    let child = r.spawn_epic(&["wave", "start"], &[]);
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !(r.fake_dir().join("pids.A").exists() && r.fake_dir().join("pids.B").exists()) {
        assert!(Instant::now() < deadline, "agents did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    unsafe { libc::kill(pid as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for id in ["A", "B"] {
        for p in std::fs::read_to_string(r.fake_dir().join(format!("pids.{id}")))
            .unwrap()
            .split_whitespace()
        {
            assert!(
                !alive(p.parse().unwrap()),
                "agent process {p} of {id} is still alive"
            );
        }
        assert_eq!(r.row(id)["state"], "interrupted");
    }
    // Resuming runs them again in their existing worktrees.
    r.git(&["config", "epic.agent", &agent("commit.sh")]);
    let out = r.epic_env(&["wave", "start"], &[]).ok();
    assert!(
        !out.stderr.contains("worktree "),
        "worktrees are reused: {}",
        out.stderr
    );
    assert_eq!(r.row("A")["state"], "done");
    // An interruption is not an attempt: the resumed run is still attempt 1.
    assert_eq!(r.row("A")["attempts"], 1);
}

#[test]
fn after_kill_9_the_next_run_resumes_without_running_anything_twice() {
    let r = Repo::with_agent("commit.sh");
    tickets(&r, &[("A", ""), ("B", "")]);
    // A is quick; B's agent takes 3 s.
    r.git(&[
        "config",
        "epicAgent.slow.command",
        &format!("sh -c 'sleep 3; exec {}'", agent("commit.sh")),
    ]);
    r.write(
        "tasks/B.md",
        "+++\ntitle = \"B\"\nagent = \"slow\"\n+++\nslow one\n",
    );
    let mut child = r.spawn_epic(&["wave", "start"], &[]);
    let deadline = Instant::now() + Duration::from_secs(60);
    r.wait_supervised("B", deadline);
    while r.row("A")["state"] != "done" {
        assert!(Instant::now() < deadline, "A never ended");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // B's agent lives on under its supervisor: the next run follows it to its end and
    // concludes it, and never starts it (nor A) again.
    let out = r.epic_env(&["wave", "start"], &[]).ok();
    assert!(
        out.stderr
            .contains("B: its agent from an earlier run lives on"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("A: started"), "{}", out.stderr);
    assert!(!out.stderr.contains("B: started"), "{}", out.stderr);
    assert_eq!(r.row("B")["state"], "done");
    for id in ["A", "B"] {
        assert_eq!(
            r.log(id)
                .matches(&format!("=== git-epic e: ticket {id} attempt"))
                .count(),
            1,
            "{id}"
        );
        assert_eq!(r.row(id)["attempts"], 1);
    }
    // The agent's own commit, made after its orchestrator died.
    let wt = r.path().join("worktrees/feat-B");
    assert_eq!(r.git_in(&wt, &["log", "-1", "--format=%s"]), "B: the work");
}

/// An agent that finishes while no orchestrator runs is concluded by the next one as if
/// it had been watched: done, with its time, never run again.
#[test]
fn an_agent_that_ends_while_no_orchestrator_runs_is_concluded_not_rerun() {
    let r = Repo::with_agent("commit.sh");
    tickets(&r, &[("A", "")]);
    let mut child = r.spawn_epic(&["run", "A"], &[("FAKE_SLEEP", "2")]);
    let deadline = Instant::now() + Duration::from_secs(60);
    r.wait_supervised("A", deadline);
    child.kill().unwrap();
    child.wait().unwrap();
    // The agent ends on its own meanwhile.
    let log = r.path().join(".git/epic/e/logs/A.log.exit");
    while !log.exists() {
        assert!(Instant::now() < deadline, "the supervisor recorded no end");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = r.epic_env(&["run", "A"], &[]).ok();
    assert!(!out.stderr.contains("A: started"), "{}", out.stderr);
    let row = r.row("A");
    assert_eq!(
        (row["state"].as_str(), row["attempts"].as_u64()),
        (Some("done"), Some(1))
    );
    assert!(row["elapsed_s"].as_f64().unwrap() >= 2.0, "{row}");
    assert_eq!(
        r.log("A")
            .matches("=== git-epic e: ticket A attempt")
            .count(),
        1
    );
}

#[test]
fn two_orchestrators_never_run_a_ticket_twice() {
    let r = Repo::with_agent("commit.sh");
    tickets(&r, &[("A", ""), ("B", ""), ("C", ""), ("D", "")]);
    let a = r.spawn_epic(&["wave", "start", "-j", "4"], &[("FAKE_SLEEP", "1")]);
    let b = r.spawn_epic(&["wave", "start", "-j", "4"], &[("FAKE_SLEEP", "1")]);
    let (oa, ob) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let both = format!(
        "{}{}",
        String::from_utf8_lossy(&oa.stderr),
        String::from_utf8_lossy(&ob.stderr)
    );
    for id in ["A", "B", "C", "D"] {
        assert_eq!(
            r.log(id).matches(&format!("ticket {id} attempt")).count(),
            1,
            "{id} ran once: {both}"
        );
        assert_eq!(r.row(id)["state"], "done");
    }
}

#[test]
fn a_flood_of_output_keeps_the_orchestrator_small() {
    // 1 GB when the disk has room for it (benches/runner.sh always measures 1 GB); CI
    // machines have been seen with a few hundred MB free.
    let free_mb = String::from_utf8(
        std::process::Command::new("df")
            .args(["-Pm", std::env::temp_dir().to_str().unwrap()])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .lines()
    .nth(1)
    .and_then(|l| {
        l.split_whitespace()
            .nth(3)
            .and_then(|v| v.parse::<u64>().ok())
    })
    .unwrap_or(0);
    let bytes: u64 = if free_mb > 4000 {
        1_000_000_000
    } else {
        (free_mb * 1_000_000 / 4).min(100_000_000)
    };
    let r = Repo::with_agent("spew.sh");
    tickets(&r, &[("A", "")]);
    let child = r.spawn_epic(&["run", "A"], &[("FAKE_BYTES", &bytes.to_string())]);
    let pid = child.id();
    let mut max_kb = 0u64;
    let mut child = child;
    loop {
        if let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if let Some(l) = s.lines().find(|l| l.starts_with("VmHWM:")) {
                max_kb = max_kb.max(l.split_whitespace().nth(1).unwrap().parse().unwrap());
            }
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(child.wait().unwrap().success());
    let log = r.path().join(".git/epic/e/logs/A.log");
    assert!(std::fs::metadata(&log).unwrap().len() >= bytes);
    assert!(max_kb > 0 && max_kb < 50 * 1024, "peak RSS {max_kb} kB");
    eprintln!("{bytes} bytes of output: orchestrator peak RSS {max_kb} kB");
    assert_eq!(r.row("A")["last_line"], "spew done");
}

#[test]
fn logs_prints_tails_paths_and_follows() {
    let r = Repo::with_agent("commit.sh");
    tickets(&r, &[("A", ""), ("B", "")]);
    let out = r.epic(&["logs", "A"]).code(1);
    assert!(
        out.stderr.contains("Ticket `A` has not run yet"),
        "{}",
        out.stderr
    );
    let out = r.epic(&["logs", "nope"]).code(2);
    assert!(
        out.stderr.contains("There is no ticket `nope`"),
        "{}",
        out.stderr
    );
    r.epic_env(&["run", "A"], &[]).ok();
    let path = r.epic(&["logs", "A", "--path"]).ok().stdout;
    assert!(path.trim().ends_with(".git/epic/e/logs/A.log"), "{path}");
    let all = r.epic(&["logs", "A"]).ok().stdout;
    assert!(
        all.starts_with("=== git-epic e: ticket A attempt 1") && all.contains("committed A"),
        "{all}"
    );
    let tail = r.epic(&["logs", "A", "-n", "2"]).ok().stdout;
    assert_eq!(tail.lines().count(), 2, "{tail}");
    assert!(tail.contains("committed A"));
    // -f keeps printing what the agent writes, and ends by itself when the run ends.
    let mut run = r.spawn_epic(&["run", "B"], &[("FAKE_SLEEP", "2")]);
    r.wait_supervised("B", Instant::now() + Duration::from_secs(60));
    let mut follow = r.spawn_epic(&["logs", "B", "-f", "-n", "1"], &[]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while follow.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            follow.kill().unwrap();
            panic!("logs -f went on after the run ended");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = follow.wait_with_output().unwrap();
    run.wait().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("committed B"), "{text}");
    assert!(said.contains("The run of `B` has ended: done."), "{said}");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn status_shows_a_rate_limited_ticket_and_its_time_left() {
    let r = Repo::with_agent("ratelimit_once.sh");
    tickets(&r, &[("A", "")]);
    let mut run = r.spawn_epic(&["run", "A"], &[]);
    let deadline = Instant::now() + Duration::from_secs(20);
    let row = loop {
        let row = r.row("A");
        if row["state"] == "rate_limited" {
            break row;
        }
        assert!(Instant::now() < deadline, "never rate limited: {row}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let left = row["rate_limit_left_s"].as_f64().unwrap();
    assert!(left > 0.0 && left <= 2.0, "{left}");
    let text = r.epic(&["status"]).ok().stdout;
    assert!(
        text.contains("rate_limited") && text.contains("retry in"),
        "{text}"
    );
    assert!(run.wait().unwrap().success());
    assert_eq!(r.row("A")["state"], "done");
}

#[test]
fn on_a_terminal_each_running_ticket_gets_a_live_line() {
    if which::which("script").is_err() {
        eprintln!("skipped: `script` (util-linux) is not installed to give the run a terminal");
        return;
    }
    let r = Repo::with_agent("commit.sh");
    tickets(&r, &[("A", ""), ("B", "")]);
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", "git epic run A B", "/dev/null"])
        .current_dir(r.path());
    r.env(&mut cmd);
    cmd.env("FAKE_DIR", r.fake_dir())
        .env("FAKE_SLEEP", "1.2")
        .env("TERM", "xterm")
        .env("COLUMNS", "120");
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    // indicatif redraws "<id>  running  <elapsed>  attempt 1  <last log line>" per ticket.
    for id in ["A", "B"] {
        assert!(text.contains(&format!("{id}  running")), "{text}");
        assert!(text.contains(&format!("working on {id}")), "{text}");
    }
    // Without a terminal (this test's own pipes) the same run prints plain event lines.
    r.epic(&["ticket", "add", "C"]).ok();
    let plain = r.epic_env(&["run", "C"], &[]).ok();
    assert!(!plain.stderr.contains("C  running"), "{}", plain.stderr);
    assert!(
        plain.stderr.contains("C: started attempt 1"),
        "{}",
        plain.stderr
    );
}

/// Worktrees made from several threads at once (flow mode prepares the tickets each merge
/// makes ready while earlier ones are still being made): git's own `worktree add` races on
/// `.git/worktrees/`, so git-epic takes turns (a lock file, so other git-epic processes
/// wait too); every one of them must come out whole.
#[test]
fn worktrees_made_from_many_threads_at_once_all_come_out() {
    let r = Repo::new();
    let root = r.path();
    std::thread::scope(|s| {
        for i in 0..24 {
            let root = &root;
            s.spawn(move || {
                let path = root.join(format!("worktrees/feat-t{i}"));
                git_epic::infra::gitx::ensure_worktree(root, &path, &format!("feat/t{i}"), "main")
                    .unwrap();
            });
        }
    });
    let list = r.git(&["worktree", "list", "--porcelain"]);
    for i in 0..24 {
        let branch = format!("branch refs/heads/feat/t{i}");
        assert!(list.lines().any(|l| l == branch), "{list}");
        assert!(root.join(format!("worktrees/feat-t{i}/README.md")).exists());
    }
}

/// Limit warnings on a successful run change nothing: no wait, no retry.
#[test]
fn limit_warnings_on_a_successful_run_change_nothing() {
    let r = Repo::with_agent("warn_ok.sh");
    tickets(&r, &[("A", "")]);
    let t = std::time::Instant::now();
    r.epic_env(&["run", "A"], &[]).ok();
    assert!(t.elapsed().as_secs() < 5);
    let s = r.status();
    let a = &s["tickets"][0];
    assert_eq!(
        (
            a["state"].as_str(),
            a["attempts"].as_u64(),
            a["rate_limit_waits"].as_u64()
        ),
        (Some("done"), Some(1), Some(0)),
        "{a}"
    );
}

/// After an error retrying cannot fix, no ticket of that profile starts again in this run:
/// not even one that was running then and fails the ordinary way afterwards.
#[test]
fn a_profile_stopped_by_a_fatal_error_retries_nothing() {
    let r = Repo::with_agent("login_or_fail.sh");
    r.git(&["config", "epic.maxAttempts", "3"]);
    tickets(&r, &[("A", ""), ("B", "")]);
    let out = r.epic_env(&["wave", "start", "-j", "2"], &[]).code(1);
    assert!(out.stderr.contains("Not logged in"), "{}", out.stderr);
    // B started (its worktree was ready before A's error, almost always) and was not
    // retried after its ordinary failure; or it never started at all.
    assert!(
        r.log("B")
            .matches("=== git-epic e: ticket B attempt")
            .count()
            <= 1,
        "{}",
        out.stderr
    );
    assert_eq!(r.row("A")["attempts"], 0);
}

/// An agent killed together with its supervisor while no orchestrator ran: the next run
/// finds the run, concludes it as lost, and runs the ticket again.
#[test]
fn a_run_lost_with_its_supervisor_is_concluded_and_run_again() {
    let r = Repo::with_agent("commit.sh");
    tickets(&r, &[("A", "")]);
    let mut child = r.spawn_epic(&["run", "A"], &[("FAKE_SLEEP", "30")]);
    let run = r.path().join(".git/epic/e/logs/A.log.run");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !run.exists() {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&run).unwrap()).unwrap();
    let pgid = record["supervisor"].as_u64().unwrap() as i32;
    // SAFETY: killpg only sends a signal.
    unsafe { libc::killpg(pgid, libc::SIGKILL) };
    while alive(pgid as u32) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let again = r.epic_env(&["run", "A"], &[]);
    assert_eq!(again.code, 0, "{}\n{}", again.stderr, r.log("A"));
    let row = r.row("A");
    assert_eq!(
        (row["state"].as_str(), row["attempts"].as_u64()),
        (Some("done"), Some(1))
    );
    let log = r.log("A");
    assert!(log.contains("was lost"), "{log}");
    assert_eq!(log.matches("=== git-epic e: ticket A attempt").count(), 2);
}

/// What a killed git left in a ticket's worktree does not fail the ticket: a half-made
/// worktree (`git worktree add` cut off) is set aside and made again, and a stale
/// `index.lock` (a `git add` cut off) is removed before the auto-commit.
#[test]
fn leftovers_of_a_killed_git_in_a_worktree_are_repaired() {
    let r = Repo::with_agent("uncommitted.sh");
    tickets(&r, &[("A", ""), ("B", ""), ("C", "")]);
    // C: a `git worktree add` cut off in its checkout (git-epic's marker says so).
    std::fs::create_dir_all(r.path().join(".git/epic/adding")).unwrap();
    std::fs::write(r.path().join(".git/epic/adding/feat-C"), "").unwrap();
    std::fs::create_dir_all(r.path().join("worktrees/feat-C")).unwrap();
    std::fs::write(r.path().join("worktrees/feat-C/README.md"), "hel").unwrap();
    r.epic_env(&["run", "C"], &[]).ok();
    assert_eq!(r.row("C")["state"], "done");
    assert!(!r.path().join(".git/epic/adding/feat-C").exists());
    // A: its worktree directory holds only a `.git` file pointing nowhere.
    let wt = r.path().join("worktrees/feat-A");
    std::fs::create_dir_all(&wt).unwrap();
    std::fs::write(wt.join(".git"), "gitdir: /nonexistent/worktrees/feat-A\n").unwrap();
    r.epic_env(&["run", "A"], &[]).ok();
    assert_eq!(r.row("A")["state"], "done");
    // B: an index.lock from long ago in its worktree's git dir.
    r.add_worktree("worktrees/feat-B", "feat/B-b", "epic/e");
    let git_dir = r.git_in(
        &r.path().join("worktrees/feat-B"),
        &["rev-parse", "--absolute-git-dir"],
    );
    let lock = std::path::Path::new(&git_dir).join("index.lock");
    std::fs::write(&lock, "").unwrap();
    let old = std::time::SystemTime::now() - Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&lock)
        .unwrap()
        .set_modified(old)
        .unwrap();
    r.epic_env(&["run", "B"], &[]).ok();
    assert_eq!(r.row("B")["state"], "done");
}

/// A worktree made in two steps (git's bookkeeping under the worktree lock, then the files
/// beside the other worktrees'), cut off between them: registered with a HEAD, no index, no
/// files. The next run checks it out anew and the agent finds every file.
#[test]
fn a_worktree_registered_but_never_checked_out_is_made_again() {
    let r = Repo::with_agent("uncommitted.sh");
    tickets(&r, &[("D", "")]);
    r.git(&[
        "worktree",
        "add",
        "-q",
        "--no-checkout",
        "worktrees/feat-D",
        "-b",
        "feat/D-d",
        "epic/e",
    ]);
    std::fs::create_dir_all(r.path().join(".git/epic/adding")).unwrap();
    std::fs::write(r.path().join(".git/epic/adding/feat-D"), "").unwrap();
    r.epic_env(&["run", "D"], &[]).ok();
    assert_eq!(r.row("D")["state"], "done");
    assert!(!r.path().join(".git/epic/adding/feat-D").exists());
    let wt = r.path().join("worktrees/feat-D");
    assert!(wt.join("README.md").exists());
    assert!(r.git_in(&wt, &["status", "--porcelain"]).is_empty());
}

/// Twelve tickets of one wave get their worktrees side by side: every one checked out in
/// full, on its own branch from the epic, and no marker of a worktree in the making is left.
#[test]
fn a_wave_of_worktrees_made_side_by_side_is_whole() {
    let r = Repo::with_agent("uncommitted.sh");
    for i in 0..40 {
        r.write(&format!("src/d{}/f{i}.txt", i % 5), &format!("{i}\n"));
    }
    r.git(&["add", "."]);
    r.git(&["commit", "-q", "-m", "files"]);
    r.git(&["branch", "-f", "epic/e", "HEAD"]);
    let ids: Vec<String> = (1..=12).map(|i| format!("T{i}")).collect();
    let specs: Vec<(&str, &str)> = ids.iter().map(|i| (i.as_str(), "")).collect();
    tickets(&r, &specs);
    r.git(&["config", "epic.stagger", "0"]);
    r.epic_env(&["wave", "start", "-j", "12"], &[]).ok();
    for id in &ids {
        assert_eq!(r.row(id)["state"], "done", "{id}");
        let wt = r.path().join(format!("worktrees/feat-{id}"));
        for i in 0..40 {
            assert!(
                wt.join(format!("src/d{}/f{i}.txt", i % 5)).exists(),
                "{id} {i}"
            );
        }
        let head = r.git_in(&wt, &["rev-parse", "HEAD~1"]);
        assert_eq!(head, r.git(&["rev-parse", "epic/e"]), "{id}");
    }
    assert!(!r
        .path()
        .join(".git/epic/adding")
        .read_dir()
        .unwrap()
        .any(|_| true));
}
