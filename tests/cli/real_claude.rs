//! Conformance: the real Claude Code CLI (pinned in tests/agents/real-clis.txt), driven by
//! git-epic through the `claude` preset, against the scripted model server. Offline: the
//! CLI's only peer is the server on 127.0.0.1.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::model_server::{self, LimitWindow, ModelServer, Reply, Request};
use crate::real_cli::{epic_with_agent, note, real_cli};
use crate::support::{ticket, Repo};

/// The preset's command line with the installed CLI as its program.
fn preset_with(cli: &std::path::Path) -> String {
    let preset = git_epic::infra::presets::find("claude").unwrap().command;
    let rest = preset.strip_prefix("claude").unwrap();
    format!("{}{rest}", shell_words::quote(&cli.to_string_lossy()))
}

/// An epic `e` whose agent is the real claude, with tickets `ids` (no dependencies).
fn setup(ids: &[&str]) -> Option<Repo> {
    setup_with(ids, &[])
}

/// The same, with `files` committed before the epic is made (so the tickets have them).
fn setup_with(ids: &[&str], files: &[(&str, &str)]) -> Option<Repo> {
    let cli = real_cli("claude")?;
    Some(epic_with_agent(&preset_with(&cli), ids, files))
}

/// What every run of the CLI needs: the server, a credential, and no other traffic.
fn env<'a>(server: &'a ModelServer, credential: (&'a str, &'a str)) -> Vec<(&'a str, &'a str)> {
    let mut e = vec![
        ("ANTHROPIC_BASE_URL", server.url.as_str()),
        ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
        ("DISABLE_AUTOUPDATER", "1"),
    ];
    if !credential.0.is_empty() {
        e.push(credential);
    }
    e
}

const API_KEY: (&str, &str) = ("ANTHROPIC_API_KEY", "sk-ant-test");
const SUBSCRIBER: (&str, &str) = ("CLAUDE_CODE_OAUTH_TOKEN", "oauth-test-token");

/// The ticket an agent works on, from its working directory (`.../feat-<id>`).
fn ticket_of(req: &Request) -> String {
    let dir = req.workdir().unwrap_or_default();
    dir.rsplit("feat-").next().unwrap_or("x").to_owned()
}

/// The model's side of a ticket: write `<id>.txt` with the Write tool, then say done.
fn write_the_file(req: &Request) -> Reply {
    if !req.tool_results().is_empty() {
        return Reply::text("Done: the file is written.");
    }
    let dir = req
        .workdir()
        .expect("the system prompt names the working directory");
    let id = ticket_of(req);
    Reply::tool(
        "Write",
        json!({"file_path": format!("{dir}/{id}.txt"), "content": format!("made by claude for {id}\n")}),
    )
}

/// (a) The agent writes a file: the ticket is done, the file committed, tokens recorded.
#[test]
fn claude_writes_a_file_and_the_ticket_is_done_with_its_tokens() {
    let Some(r) = setup(&["A"]) else { return };
    let server = ModelServer::start(write_the_file);
    r.epic_env(&["run", "A"], &env(&server, API_KEY)).ok();
    let asked = server.messages();
    assert!(asked
        .iter()
        .all(|m| m.header("x-api-key") == Some(API_KEY.1)));
    let wt = r.path().join("worktrees/feat-A");
    assert_eq!(
        std::fs::read_to_string(wt.join("A.txt")).unwrap(),
        "made by claude for A\n"
    );
    assert_eq!(r.git_in(&wt, &["status", "--porcelain"]), "");
    assert!(r.git_in(&wt, &["log", "-1", "--stat"]).contains("A.txt"));
    let s = r.status();
    let t = &s["tickets"][0];
    assert_eq!(t["state"], "done", "{s}");
    // Two model turns (the tool call, then the answer), as the CLI summed them.
    assert_eq!(t["tokens"]["input"], 2 * model_server::INPUT_TOKENS, "{t}");
    assert_eq!(
        t["tokens"]["output"],
        2 * model_server::OUTPUT_TOKENS,
        "{t}"
    );
    assert_eq!(
        t["tokens"]["cache_read"],
        2 * model_server::CACHE_READ_TOKENS
    );
    assert_eq!(
        t["tokens"]["cache_write"],
        2 * model_server::CACHE_WRITE_TOKENS
    );
    assert!(t["cost_usd"].as_f64().unwrap() > 0.0, "{t}");
    let n = note(&r, "A");
    let runs = n["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["outcome"].as_str(), Some("done"));
    assert!(runs[0]["session_id"]
        .as_str()
        .is_some_and(|s| s.len() >= 32));
    // The log reads as text and tool calls; --raw is the CLI's JSON as it came.
    let logs = r.epic(&["logs", "A"]).ok().stdout;
    assert!(logs.contains("→ Write: "), "{logs}");
    assert!(logs.contains("Done: the file is written."), "{logs}");
    assert!(!logs.contains("\"type\":\"assistant\""), "{logs}");
    let raw = r.epic(&["logs", "A", "--raw"]).ok().stdout;
    assert!(raw.contains("\"type\":\"result\""), "{raw}");
}

/// (b) The subscription's limit is hit, with a reset 8 s ahead: the ticket waits about 8 s
/// without using an attempt, then continues its session and is done.
#[test]
fn claude_at_its_session_limit_waits_for_the_reset_then_resumes() {
    let Some(r) = setup(&["A"]) else { return };
    let limit = LimitWindow::new(8);
    let server = ModelServer::start(move |req| match limit.reset() {
        Some(reset) => model_server::session_limit(reset),
        None => write_the_file(req),
    });
    let env = env(&server, SUBSCRIBER);
    let mut child = r.spawn_epic(&["run", "A"], &env);
    let t0 = Instant::now();
    let mut seen = None;
    while t0.elapsed() < Duration::from_secs(6) {
        let s = r.status();
        if s["tickets"][0]["state"] == "rate_limited" {
            seen = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let s = seen.expect("the ticket shows rate_limited");
    let t = &s["tickets"][0];
    let left = t["rate_limit_left_s"].as_f64().unwrap();
    assert!((4.0..=9.0).contains(&left), "{t}");
    assert_eq!(t["attempts"], 0, "a limit uses no attempt: {t}");
    assert!(child.wait().unwrap().success());
    assert!(
        t0.elapsed() >= Duration::from_secs(5),
        "it waited for the reset"
    );
    let s = r.status();
    let t = &s["tickets"][0];
    assert_eq!(t["state"], "done", "{s}");
    assert_eq!(
        (t["attempts"].as_u64(), t["rate_limit_waits"].as_u64()),
        (Some(1), Some(1))
    );
    // The second run continued the first one's session instead of starting over.
    let n = note(&r, "A");
    let runs = n["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{n:?}");
    assert_eq!(runs[0]["outcome"].as_str(), Some("rate_limited"));
    assert_eq!(runs[1]["resumed"].as_bool(), Some(true));
    assert_eq!(runs[0]["session_id"], runs[1]["session_id"]);
    let last = server.messages().last().unwrap().text.clone();
    assert!(
        last.contains("Your previous run on this ticket was cut short"),
        "{last}"
    );
    assert!(
        last.contains("Create A.txt."),
        "the session still holds the ticket"
    );
}

/// (c) Not logged in: three tickets, the run stops at the first, says how to log in, and
/// leaves every ticket as it was.
#[test]
fn claude_not_logged_in_stops_the_run_at_once() {
    let Some(r) = setup(&["A", "B", "C"]) else {
        return;
    };
    // The first agent fails long before the second may start, even on a busy machine.
    r.git(&["config", "epic.stagger", "60s"]);
    let server = ModelServer::start(write_the_file);
    let t0 = Instant::now();
    let out = r
        .epic_env(&["wave", "start", "0"], &env(&server, ("", "")))
        .code(1);
    assert!(t0.elapsed() < Duration::from_secs(30), "{:?}", t0.elapsed());
    let first = out
        .stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap();
    assert!(first.contains("Not logged in"), "{}", out.stderr);
    assert!(first.contains("/login"), "{}", out.stderr);
    let s = r.status();
    let mut runs = 0;
    for (i, id) in ["A", "B", "C"].iter().enumerate() {
        let t = &s["tickets"][i];
        assert_eq!(t["attempts"], 0, "{t}");
        assert_ne!(t["state"], "failed", "{t}");
        runs += note(&r, id)
            .get("runs")
            .and_then(|v| v.as_array())
            .map_or(0, Vec::len);
    }
    assert_eq!(runs, 1, "only the first agent ran");
    assert!(server.messages().is_empty(), "no request without a login");
}

/// (c) A key the API refuses: the CLI would retry for minutes; git-epic stops it at once.
#[test]
fn claude_with_a_refused_key_is_stopped_at_its_first_retry() {
    let Some(r) = setup(&["A"]) else { return };
    let server = ModelServer::start(|_| model_server::bad_key());
    let t0 = Instant::now();
    let out = r.epic_env(&["run", "A"], &env(&server, API_KEY)).code(1);
    assert!(t0.elapsed() < Duration::from_secs(15), "{:?}", t0.elapsed());
    assert!(out.stderr.contains("credentials"), "{}", out.stderr);
    assert_eq!(r.status()["tickets"][0]["attempts"], 0);
}

/// (d) The agent runs the epic's test command and commits with git through its Bash tool,
/// and is allowed to (no approval prompt in print mode).
#[test]
fn claude_may_run_the_epic_test_and_commit() {
    let check = "echo \"tests passed in $(basename \"$PWD\")\"\n";
    let Some(r) = setup_with(&["A"], &[("check.sh", check)]) else {
        return;
    };
    r.git(&["config", "epic.test", "sh check.sh"]);
    let server = ModelServer::start(|req| match req.tool_calls() {
        0 => Reply::tool(
            "Bash",
            json!({"command": "echo work > A.txt && git add A.txt && git commit -q -m 'A: by the agent'", "description": "commit"}),
        ),
        1 => Reply::tool(
            "Bash",
            json!({"command": "sh check.sh", "description": "run the tests"}),
        ),
        _ => Reply::text("Committed and tested."),
    });
    r.epic_env(&["run", "A"], &env(&server, API_KEY)).ok();
    let results = server.messages().last().unwrap().all_tool_results();
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(
        results.iter().all(|r| !r.contains("requires approval")),
        "{results:?}"
    );
    assert!(
        results.iter().any(|r| r.contains("tests passed in feat-A")),
        "{results:?}"
    );
    let wt = r.path().join("worktrees/feat-A");
    assert_eq!(
        r.git_in(&wt, &["log", "-1", "--format=%s"]),
        "A: by the agent"
    );
}

/// (e) The stream is cut in the middle: a failed attempt with the CLI's own reason, not a
/// hang and not a rate limit (though the message says "try again").
#[test]
fn claude_cut_off_mid_stream_is_a_failed_attempt_with_a_reason() {
    let Some(r) = setup(&["A"]) else { return };
    r.git(&["config", "epic.maxAttempts", "1"]);
    let server = ModelServer::start(|_| Reply::Cut);
    let mut env = env(&server, API_KEY);
    // The CLI retries a lost connection itself; once is enough here.
    env.push(("CLAUDE_CODE_MAX_RETRIES", "1"));
    let t0 = Instant::now();
    let out = r.epic_env(&["run", "A"], &env).code(1);
    assert!(t0.elapsed() < Duration::from_secs(30), "{:?}", t0.elapsed());
    let t = &r.status()["tickets"][0];
    assert_eq!(t["state"], "failed", "{t}");
    let reason = t["reason"].as_str().unwrap();
    assert!(
        reason.contains("Connection to the API was lost"),
        "{reason}"
    );
    assert_eq!(t["rate_limit_waits"], 0, "{t}");
    assert!(
        out.stdout.contains("Connection to the API was lost"),
        "{}",
        out.stdout
    );
}

/// `epic.maxCost`: once the agents have spent it, no new attempt starts; status says what
/// is left and `report` what was spent, per wave and per merged ticket.
#[test]
fn claude_spending_stops_at_max_cost_and_the_report_shows_it() {
    let Some(r) = setup(&["A", "B", "C"]) else {
        return;
    };
    r.git(&["config", "epic.maxCost", "0.0001"]);
    let server = ModelServer::start(write_the_file);
    let out = r
        .epic_env(&["wave", "start", "0", "-j", "1"], &env(&server, API_KEY))
        .code(1);
    let first = out
        .stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap();
    assert!(first.contains("epic.maxCost"), "{}", out.stderr);
    let s = r.status();
    let states: Vec<&str> = (0..3)
        .map(|i| s["tickets"][i]["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["done", "pending", "pending"], "{s}");
    let spent = s["totals"]["cost_usd"].as_f64().unwrap();
    assert!(spent >= 0.0001, "{s}");
    assert_eq!(s["totals"]["cost_left"].as_f64(), Some(0.0));
    r.epic(&["merge", "A"]).ok();
    let rep = r.epic(&["report", "--json"]).ok().json();
    let total = &rep["totals"];
    assert_eq!(total["tokens"]["input"], 2 * model_server::INPUT_TOKENS);
    assert_eq!(total["merged"], 1);
    assert!((total["cost_usd"].as_f64().unwrap() - spent).abs() < 1e-9);
    assert!((total["cost_per_merged_usd"].as_f64().unwrap() - spent).abs() < 1e-9);
    assert_eq!(rep["waves"][0]["cost_usd"], total["cost_usd"]);
    let text = r.epic(&["report"]).ok().stdout;
    assert!(text.contains("PER MERGED"), "{text}");
}

/// `doctor` asks the installed CLI for its version and its login, without the model.
#[test]
fn doctor_checks_the_claude_version_and_login() {
    let Some(r) = setup(&["A"]) else { return };
    let server = ModelServer::start(write_the_file);
    let check = |json: &serde_json::Value, name: &str| {
        json.as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no check {name}: {json}"))
    };
    let out = r
        .epic_env(&["doctor", "--json"], &env(&server, ("", "")))
        .code(1);
    let j = out.json();
    let version = check(&j, "agent epic.agent version");
    assert!(
        version["detail"]
            .as_str()
            .unwrap()
            .contains(&crate::real_cli::pinned("claude").1),
        "{version}"
    );
    let login = check(&j, "agent epic.agent login");
    assert_eq!(login["ok"], false, "{login}");
    assert!(
        login["detail"].as_str().unwrap().contains("/login"),
        "{login}"
    );
    let j = r
        .epic_env(&["doctor", "--json"], &env(&server, API_KEY))
        .json();
    assert_eq!(check(&j, "agent epic.agent login")["ok"], true, "{j}");
    assert!(server.messages().is_empty(), "doctor never calls the model");
}

/// A 6-ticket epic in 3 waves, run in flow mode by the real CLI: every ticket merged, and
/// `report` gives what it took (printed: `cargo test real_claude::six -- --nocapture`).
#[test]
fn claude_runs_a_six_ticket_epic_in_flow_mode() {
    let Some(r) = setup(&["A", "B", "C"]) else {
        return;
    };
    for (id, deps) in [("D", "\"A\", \"B\""), ("E", "\"C\""), ("F", "\"D\", \"E\"")] {
        r.write(
            &format!("tasks/{id}.md"),
            &ticket(
                &format!("title = \"{id}\"\ndeps = [{deps}]"),
                &format!("Create {id}.txt."),
            ),
        );
    }
    r.git(&["add", "tasks"]);
    r.git(&["commit", "-q", "-m", "more tickets"]);
    let server = ModelServer::start(write_the_file);
    r.epic_env(
        &["wave", "start", "--all", "--auto-merge", "-j", "3"],
        &env(&server, API_KEY),
    )
    .ok();
    let epic_files = r.git(&["ls-tree", "--name-only", "epic/e"]);
    for id in ["A", "B", "C", "D", "E", "F"] {
        assert!(epic_files.contains(&format!("{id}.txt")), "{epic_files}");
    }
    let rep = r.epic(&["report", "--json"]).ok().json();
    assert_eq!(rep["totals"]["merged"], 6, "{rep}");
    assert_eq!(
        rep["totals"]["tokens"]["input"],
        12 * model_server::INPUT_TOKENS
    );
    assert_eq!(rep["waves"].as_array().unwrap().len(), 3);
    eprintln!("{}", r.epic(&["report"]).ok().stdout);
}

/// A limit hit in the middle of the task: the resumed session reports the cost of the whole
/// session, and git-epic charges each run only its own turns.
#[test]
fn claude_resumed_mid_task_is_not_charged_twice() {
    let Some(r) = setup(&["A"]) else { return };
    let limit = LimitWindow::new(4);
    let server =
        ModelServer::start(
            move |req| match limit.reset().filter(|_| req.tool_calls() == 1) {
                Some(reset) => model_server::session_limit(reset),
                None => write_the_file(req),
            },
        );
    r.epic_env(&["run", "A"], &env(&server, SUBSCRIBER)).ok();
    let n = note(&r, "A");
    let runs = n["runs"].as_array().unwrap();
    let cost = |i: usize| runs[i]["cost_usd"].as_float().unwrap();
    assert_eq!(runs[0]["outcome"].as_str(), Some("rate_limited"));
    assert!(cost(0) > 0.0, "the first run paid for a turn: {n:?}");
    // What the CLI said last is what the whole session cost.
    let raw = r.epic(&["logs", "A", "--raw"]).ok().stdout;
    let last_total = raw
        .lines()
        .filter(|l| l.contains("\"type\":\"result\""))
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["total_cost_usd"].as_f64())
        .next_back()
        .unwrap();
    let recorded: f64 = (0..runs.len()).map(cost).sum();
    assert!(
        (recorded - last_total).abs() < 1e-9,
        "{recorded} vs {last_total}"
    );
    assert!((n["cost_usd"].as_float().unwrap() - last_total).abs() < 1e-9);
}

/// The default `epic.agent`, `claude --print`, prints text only: its limit message is
/// recognised and waited out, and its login error stops the run.
#[test]
fn claude_in_text_mode_at_its_limit_waits_and_without_login_stops() {
    let Some(r) = setup(&["A", "B"]) else {
        return;
    };
    let cli = real_cli("claude").unwrap();
    r.git(&[
        "config",
        "epic.agent",
        &format!("{} --print --permission-mode acceptEdits", cli.display()),
    ]);
    let limit = LimitWindow::new(6);
    let server = ModelServer::start(move |req| match limit.reset() {
        Some(reset) => model_server::session_limit(reset),
        None => write_the_file(req),
    });
    let t0 = Instant::now();
    r.epic_env(&["run", "A"], &env(&server, SUBSCRIBER)).ok();
    assert!(t0.elapsed() < Duration::from_secs(75), "{:?}", t0.elapsed());
    let t = &r.status()["tickets"][0];
    assert_eq!(t["state"], "done", "{t}");
    assert_eq!(t["attempts"], 1, "{t}");
    assert!(t["rate_limit_waits"].as_u64().unwrap() >= 1, "{t}");
    let log = r.epic(&["logs", "A"]).ok().stdout;
    assert!(log.contains("You've hit your"), "{log}");
    let out = r.epic_env(&["run", "B"], &env(&server, ("", ""))).code(1);
    assert!(out.stderr.contains("/login"), "{}", out.stderr);
    assert_eq!(r.status()["tickets"][1]["attempts"], 0);
}

/// `epic.resume=false`: after a limit the next attempt starts afresh with the ticket.
#[test]
fn claude_with_resume_off_starts_afresh_after_a_limit() {
    let Some(r) = setup(&["A"]) else { return };
    r.git(&["config", "epic.resume", "false"]);
    let limit = LimitWindow::new(3);
    let server = ModelServer::start(move |req| match limit.reset() {
        Some(reset) => model_server::session_limit(reset),
        None => write_the_file(req),
    });
    r.epic_env(&["run", "A"], &env(&server, SUBSCRIBER)).ok();
    let n = note(&r, "A");
    let runs = n["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{n:?}");
    assert_eq!(runs[1].get("resumed"), None, "{n:?}");
    assert_ne!(runs[0]["session_id"], runs[1]["session_id"]);
    let asked = server.messages();
    assert!(asked.iter().all(|m| !m.text.contains("cut short")));
}

/// `git epic review --request-changes`: the next run continues the same claude session and
/// is told the requested changes, verbatim (the session holds the ticket already).
#[test]
fn claude_gets_the_requested_changes_in_the_same_session() {
    let Some(r) = setup(&["A"]) else { return };
    let server = ModelServer::start(|req| {
        if !req.text.contains("Changes requested in review") || !req.tool_results().is_empty() {
            return write_the_file(req);
        }
        let dir = req.workdir().expect("the working directory");
        Reply::tool(
            "Write",
            json!({"file_path": format!("{dir}/A-review.txt"), "content": "as the reviewer asked\n"}),
        )
    });
    let env = env(&server, API_KEY);
    r.epic_env(&["run", "A"], &env).ok();
    let text = "Name the file after the ticket's *port*, not its id — and keep `A.txt` as it is.\n";
    r.epic(&["review", "A", "--request-changes", "-m", text])
        .ok();
    r.epic_env(&["run", "A"], &env).ok();
    assert_eq!(r.row("A")["state"], "done");
    assert_eq!(
        r.git(&["show", "feat/A-a:A-review.txt"]),
        "as the reviewer asked"
    );
    let n = note(&r, "A");
    let runs = n["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{n:?}");
    assert_eq!(runs[1]["resumed"].as_bool(), Some(true));
    assert_eq!(runs[0]["session_id"], runs[1]["session_id"]);
    let asked = server
        .messages()
        .into_iter()
        .find(|m| m.text.contains("Changes requested in review"))
        .expect("the request reached the model");
    assert!(asked.text.contains(text.trim_end()), "{}", asked.text);
}

/// (m) Under the sandbox, with its own permission checks bypassed (as many users run it):
/// its Write tool outside the worktree is refused by the kernel, its Bash `git commit` and
/// `epic.test` inside work, and the refusal is in review. Unconfined, the same write lands.
#[test]
fn claude_confined_cannot_write_outside_its_worktree_but_commits_and_tests() {
    let check = "echo \"tests passed in $(basename \"$PWD\")\"\n";
    let Some(cli) = real_cli("claude") else {
        return;
    };
    for mode in ["landlock", "off"] {
        if mode == "landlock"
            && !matches!(
                git_epic::infra::sandbox::support(),
                git_epic::infra::sandbox::Support::Landlock(_)
            )
        {
            eprintln!("SKIPPED: this kernel has no Landlock");
            continue;
        }
        let command = preset_with(&cli).replace("acceptEdits", "bypassPermissions");
        let r = epic_with_agent(&command, &["A"], &[("check.sh", check)]);
        r.git(&["config", "epic.test", "sh check.sh"]);
        r.git(&["config", "epic.sandbox", mode]);
        let server = ModelServer::start(|req| {
            let dir = req.workdir().unwrap_or_default();
            let root = dir
                .strip_suffix("/worktrees/feat-A")
                .unwrap_or(&dir)
                .to_owned();
            match req.tool_calls() {
                0 => Reply::tool(
                    "Write",
                    json!({"file_path": format!("{root}/escaped.txt"), "content": "pwned\n"}),
                ),
                1 => Reply::tool(
                    "Bash",
                    json!({"command": "echo work > A.txt && git add A.txt && git commit -q -m 'A: by the agent'", "description": "commit"}),
                ),
                2 => Reply::tool(
                    "Bash",
                    json!({"command": "sh check.sh", "description": "run the tests"}),
                ),
                _ => Reply::text("Committed and tested."),
            }
        });
        // Claude Code runs without its permission checks as root only inside a sandbox.
        let mut e = env(&server, API_KEY);
        e.push(("IS_SANDBOX", "1"));
        r.epic_env(&["run", "A"], &e).ok();
        let results = server.messages().last().unwrap().all_tool_results();
        assert_eq!(results.len(), 3, "{results:?}");
        let escaped = r.path().join("escaped.txt");
        assert!(results[2].contains("tests passed in feat-A"), "{results:?}");
        let wt = r.path().join("worktrees/feat-A");
        assert_eq!(
            r.git_in(&wt, &["log", "-1", "--format=%s"]),
            "A: by the agent"
        );
        assert_eq!(r.status()["tickets"][0]["state"], "done");
        if mode == "off" {
            assert!(escaped.exists(), "{results:?}");
            continue;
        }
        assert!(!escaped.exists(), "{results:?}");
        assert!(
            results[0].to_lowercase().contains("permission denied")
                || results[0].contains("EACCES"),
            "{results:?}"
        );
        let review = r.epic(&["review", "A", "--json"]).ok().json();
        let refused = review["tickets"][0]["sandbox_refused"].to_string();
        assert!(refused.contains("escaped.txt"), "{refused}");
    }
}

/// The model's side of `git epic split`: first a plan whose two tickets depend on each
/// other, one Write a turn; told of the cycle, in the same session, it rewrites the first.
fn split_the_spec(req: &Request) -> Reply {
    let dir = req
        .workdir()
        .expect("the system prompt names the working directory");
    let write = |id: &str, deps: &str| {
        Reply::tool(
            "Write",
            json!({
                "file_path": format!("{dir}/.epic-split/{id}.md"),
                "content": format!(
                    "+++\ntitle = \"The {id}\"\ndeps = [{deps}]\nscope = [\"src/{id}/**\"]\n+++\nCreate src/{id}/mod.rs.\n"
                ),
            }),
        )
    };
    let told = req.text.contains("# Findings");
    match (told, req.tool_calls()) {
        (false, 0) => write("port", "\"use\""),
        (false, 1) => write("use", "\"port\""),
        (true, 2) => write("port", ""),
        _ => Reply::text("The tickets are written."),
    }
}

/// `git epic split` with the real CLI: its Write calls make the ticket files, git-epic finds
/// the cycle and sends it back to the same session (`--resume`: the second round's request
/// carries the first round's turns), and the fixed plan lands in the tasks dir, uncommitted.
#[test]
fn claude_splits_a_spec_and_fixes_the_cycle_it_is_told_of() {
    let Some(r) = setup(&[]) else { return };
    r.write("spec.md", "# Ports\n\nA port and its use.\n");
    let server = ModelServer::start(split_the_spec);
    let out = r
        .epic_env(&["split", "spec.md", "--json"], &env(&server, API_KEY))
        .ok();
    let report = out.json();
    assert_eq!(report["rounds"].as_array().unwrap().len(), 2, "{report}");
    assert_eq!(
        report["plan"]["waves"],
        json!([["port"], ["use"]]),
        "{report}"
    );
    assert!(report["tokens"]["input"].as_u64().unwrap() > 0, "{report}");
    // The second round continued the first one's conversation, findings included.
    let asked = server.messages();
    let told = asked
        .iter()
        .find(|m| m.text.contains("# Findings"))
        .expect("the findings went back to the agent");
    assert!(told.text.contains("cycle"), "{}", told.text);
    assert!(told.tool_calls() >= 2, "the same session: {}", told.text);
    assert!(r.read("tasks/use.md").contains("deps = [\"port\"]"));
    assert!(
        !r.read("tasks/port.md").contains("use"),
        "the cycle is gone"
    );
    let status = r.git(&["status", "--porcelain", "--untracked-files=all"]);
    assert!(status.contains("?? tasks/port.md"), "uncommitted: {status}");
}

/// What the agent is doing now, from its stream as it arrives: `running <its command>` while
/// its Bash tool runs, `thinking` while the model answers, with the time it has been quiet.
#[test]
fn claude_activity_follows_its_tool_calls_as_they_stream() {
    let Some(r) = setup_with(&["A"], &[("slow.sh", "sleep 5\necho slow done\n")]) else {
        return;
    };
    r.git(&["config", "epic.test", "sh slow.sh"]);
    let server = ModelServer::start(|req| match req.tool_calls() {
        0 => Reply::tool(
            "Bash",
            json!({"command": "sh slow.sh", "description": "run the tests"}),
        ),
        1 => {
            // The model takes its time: the agent is thinking.
            std::thread::sleep(Duration::from_secs(5));
            let dir = req.workdir().unwrap_or_default();
            Reply::tool(
                "Write",
                json!({"file_path": format!("{dir}/A.txt"), "content": "made by claude\n"}),
            )
        }
        _ => Reply::text("Done."),
    });
    let mut child = r.spawn_epic(&["run", "A"], &env(&server, API_KEY));
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        let row = r.row("A");
        if let Some(a) = row["activity"].as_str() {
            assert!(row["idle_s"].as_f64().is_some(), "{row}");
            if seen.last().map(String::as_str) != Some(a) {
                seen.push(a.to_owned());
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}\n{}\n{seen:?}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        r.log("A")
    );
    let at = |step: &str| seen.iter().position(|a| a == step);
    let order = [
        at("running sh slow.sh"),
        at("thinking"),
        at("editing A.txt").or(Some(usize::MAX)),
    ];
    assert!(
        order.iter().all(Option::is_some) && order.is_sorted(),
        "running, then thinking (then editing, if seen): {seen:?}"
    );
}
