//! Conformance: the real Codex CLI (pinned in tests/agents/real-clis.txt), driven by git-epic
//! through the `codex` preset, against the scripted model server's Responses API. Codex 0.171
//! ignores OPENAI_BASE_URL; a custom model provider on the command line points it here.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::model_server::{self, LimitFirst, ModelServer, Reply, Request};
use crate::real_cli::{epic_with_agent, note, real_cli};
use crate::support::Repo;

/// The preset's line with the installed CLI, pointed at `server` (retries off: the tests
/// look at one try).
fn command(cli: &std::path::Path, server: &ModelServer) -> String {
    let preset = git_epic::infra::presets::find("codex").unwrap().command;
    let rest = preset.strip_prefix("codex").unwrap();
    format!(
        "{}{rest} -c model_provider=fake -c model_providers.fake.name=fake -c {} -c model_providers.fake.env_key=FAKE_KEY -c model_providers.fake.request_max_retries=0 -c model_providers.fake.stream_max_retries=0",
        shell_words::quote(&cli.to_string_lossy()),
        shell_words::quote(&format!("model_providers.fake.base_url=\"{}/v1\"", server.url)),
    )
}

fn setup(ids: &[&str], server: &ModelServer) -> Option<Repo> {
    let cli = real_cli("codex")?;
    Some(epic_with_agent(&command(&cli, server), ids, &[]))
}

const KEY: (&str, &str) = ("FAKE_KEY", "sk-test");

/// The model's side: one command that writes and commits `<id>.txt`, then an answer.
fn commit_the_file(req: &Request) -> Reply {
    if req.call_outputs() > 0 {
        return Reply::Responses(vec![json!({"type": "message", "role": "assistant",
            "content": [{"type": "output_text", "text": "Committed."}]})]);
    }
    let dir = req
        .workdir()
        .expect("the request names the working directory");
    let id = dir.rsplit("feat-").next().unwrap().to_owned();
    exec(&format!(
        "echo made by codex > {id}.txt && git add {id}.txt && git commit -q -m '{id}: by codex'"
    ))
}

/// The model runs shell command `cmd` through codex's exec tool.
fn exec(cmd: &str) -> Reply {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Reply::Responses(vec![
        json!({"type": "custom_tool_call", "call_id": format!("call_{n}"), "name": "exec",
        "input": format!("const r = await tools.exec_command({{cmd: {}}});\ntext(r.output);", json!(cmd))}),
    ])
}

/// The requests codex made to the Responses API.
fn turns(server: &ModelServer) -> Vec<Request> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/v1/responses"))
        .collect()
}

/// The usage limit (resetting in 3 s) on the first request, then `then`.
fn limited_then(then: fn(&Request) -> Reply) -> ModelServer {
    let limit = LimitFirst::new(1);
    ModelServer::start(move |req| {
        if limit.hit() {
            return Reply::Error {
                status: 429,
                headers: vec![],
                body: json!({"error": {"type": "usage_limit_reached", "message": "limit",
                    "plan_type": "plus", "resets_at": crate::real_cli::unix_now() + 3}}),
            };
        }
        then(req)
    })
}

/// (a) Codex runs a command in its sandbox that writes and commits a file: the worktree's
/// git dirs are opened to it, the ticket is done, its thread and tokens recorded.
#[test]
fn codex_commits_in_its_sandbox_and_the_ticket_is_done_with_its_tokens() {
    let server = ModelServer::start(commit_the_file);
    let Some(r) = setup(&["A"], &server) else {
        return;
    };
    r.epic_env(&["run", "A"], &[KEY]).ok();
    let wt = r.path().join("worktrees/feat-A");
    assert_eq!(r.git_in(&wt, &["log", "-1", "--format=%s"]), "A: by codex");
    let t = &r.status()["tickets"][0];
    assert_eq!(t["state"], "done", "{t}");
    // Two requests in one turn; codex counts cached input inside input, git-epic apart.
    let (i, c) = (model_server::INPUT_TOKENS, model_server::CACHE_READ_TOKENS);
    assert_eq!(t["tokens"]["input"], 2 * (i - c), "{t}");
    assert_eq!(t["tokens"]["cache_read"], 2 * c, "{t}");
    assert_eq!(
        t["tokens"]["output"],
        2 * model_server::OUTPUT_TOKENS,
        "{t}"
    );
    let logs = r.epic(&["logs", "A"]).ok().stdout;
    assert!(logs.contains("→ exec: "), "{logs}");
    assert!(logs.contains("Committed."), "{logs}");
}

/// (b) The account's usage limit on the first request, with a reset a few seconds ahead:
/// the ticket waits without using an attempt, then continues its thread (`codex exec
/// resume`), which still holds the ticket, in the same sandbox, and is done.
#[test]
fn codex_at_its_usage_limit_waits_then_resumes_its_thread() {
    let server = limited_then(commit_the_file);
    let Some(r) = setup(&["A"], &server) else {
        return;
    };
    let t0 = Instant::now();
    r.epic_env(&["run", "A"], &[KEY]).ok();
    assert!(t0.elapsed() < Duration::from_secs(75), "{:?}", t0.elapsed());
    let t = &r.status()["tickets"][0];
    assert_eq!(t["state"], "done", "{t}");
    assert_eq!(t["attempts"], 1, "{t}");
    assert_eq!(t["rate_limit_waits"], 1, "{t}");
    let log = r.epic(&["logs", "A"]).ok().stdout;
    assert!(log.contains("hit your usage limit"), "{log}");
    // The second run continued the first one's thread instead of starting over.
    let n = note(&r, "A");
    let runs = n["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{n:?}");
    assert_eq!(runs[0]["outcome"].as_str(), Some("rate_limited"));
    assert_eq!(runs[0].get("resumed"), None, "{n:?}");
    assert_eq!(runs[1]["outcome"].as_str(), Some("done"));
    assert_eq!(runs[1]["resumed"].as_bool(), Some(true), "{n:?}");
    let thread = runs[0]["session_id"].as_str().unwrap();
    assert_eq!(runs[1]["session_id"].as_str(), Some(thread), "{n:?}");
    assert!(
        log.contains(&format!("(resuming session {thread})")),
        "{log}"
    );
    // Every request was of that one thread; the resumed one holds the ticket from the
    // first run, once, and then why it stopped.
    let asked = turns(&server);
    assert_eq!(asked.len(), 3, "the limit, then two requests of one turn");
    for q in &asked {
        assert_eq!(q.body["prompt_cache_key"], thread, "{}", q.text);
    }
    let resumed = &asked[1];
    crate::real_cli::continues_after(&resumed.text, "Create A.txt.");
    // The resumed run committed inside its sandbox: the git dirs were opened to it again.
    let wt = r.path().join("worktrees/feat-A");
    assert_eq!(r.git_in(&wt, &["log", "-1", "--format=%s"]), "A: by codex");
    // The limited run used nothing; the resumed one is charged its own two requests.
    let (i, c) = (model_server::INPUT_TOKENS, model_server::CACHE_READ_TOKENS);
    assert_eq!(t["tokens"]["input"], 2 * (i - c), "{t}");
}

/// `git epic review --request-changes`: the next run continues the same thread (it holds
/// the first run's command and its output) and is told the changes. Codex counts the
/// tokens of the whole thread; each run is charged only its own.
#[test]
fn codex_gets_the_requested_changes_in_the_same_thread_each_run_charged_its_own_tokens() {
    let server = ModelServer::start(|req| {
        if req.text.contains("Changes requested in review") && req.call_outputs() == 1 {
            return exec(
                "echo as the reviewer asked > A-review.txt && git add A-review.txt && git commit -q -m 'A: review'",
            );
        }
        commit_the_file(req)
    });
    let Some(r) = setup(&["A"], &server) else {
        return;
    };
    r.epic_env(&["run", "A"], &[KEY]).ok();
    r.epic(&[
        "review",
        "A",
        "--request-changes",
        "-m",
        "Add A-review.txt.",
    ])
    .ok();
    r.epic_env(&["run", "A"], &[KEY]).ok();
    assert_eq!(r.row("A")["state"], "done");
    assert_eq!(
        r.git(&["show", "feat/A-a:A-review.txt"]),
        "as the reviewer asked"
    );
    let n = note(&r, "A");
    let runs = n["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{n:?}");
    assert_eq!(runs[1]["resumed"].as_bool(), Some(true), "{n:?}");
    assert_eq!(runs[0]["session_id"], runs[1]["session_id"], "{n:?}");
    // Two requests per run. The second run's `turn.completed` said four.
    let (i, c) = (model_server::INPUT_TOKENS, model_server::CACHE_READ_TOKENS);
    let raw = r.epic(&["logs", "A", "--raw"]).ok().stdout;
    let said = raw
        .lines()
        .filter(|l| l.contains("\"turn.completed\""))
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| v["usage"]["input_tokens"].as_u64().unwrap())
        .collect::<Vec<_>>();
    assert_eq!(said, [2 * i, 4 * i], "{raw}");
    for run in runs {
        assert_eq!(
            run["tokens"]["input"].as_integer(),
            Some(2 * (i - c) as i64),
            "{n:?}"
        );
    }
    assert_eq!(r.status()["tickets"][0]["tokens"]["input"], 4 * (i - c));
}

/// The thread is gone when the next attempt would continue it (another machine, a cleaned
/// `~/.codex`): codex says so at once, and the attempt starts afresh with the ticket,
/// without using an attempt.
#[test]
fn codex_whose_thread_is_gone_starts_afresh() {
    let server = limited_then(commit_the_file);
    let Some(r) = setup(&["A"], &server) else {
        return;
    };
    let mut child = r.spawn_epic(&["run", "A"], &[KEY]);
    let t0 = Instant::now();
    while r.status()["tickets"][0]["state"] != "rate_limited" {
        assert!(t0.elapsed() < Duration::from_secs(30), "never rate limited");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The test's HOME holds codex's threads.
    let home = r.path().parent().unwrap().join("home");
    std::fs::remove_dir_all(home.join(".codex/sessions")).unwrap();
    assert!(child.wait().unwrap().success());
    let t = &r.status()["tickets"][0];
    assert_eq!(t["state"], "done", "{t}");
    assert_eq!(t["attempts"], 1, "{t}");
    let n = note(&r, "A");
    let runs = n["runs"].as_array().unwrap();
    let outcomes: Vec<_> = runs
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["rate_limited", "resume_failed", "done"], "{n:?}");
    assert_eq!(runs[1]["resumed"].as_bool(), Some(true), "{n:?}");
    assert_eq!(runs[2].get("resumed"), None, "{n:?}");
    assert_ne!(runs[0]["session_id"], runs[2]["session_id"], "{n:?}");
    let log = r.epic(&["logs", "A"]).ok().stdout;
    assert!(log.contains("no rollout found for thread id"), "{log}");
    assert!(
        log.contains("could not resume its session; starting afresh"),
        "{log}"
    );
    // The fresh thread was sent the ticket, not the word that it was cut short.
    let asked = turns(&server);
    let last = asked.last().unwrap();
    assert!(last.text.contains("Create A.txt."), "{}", last.text);
    assert!(!last.text.contains("cut short"), "{}", last.text);
}

/// (c) A refused key: codex would reconnect five times; git-epic stops it at the first and
/// says what to do, leaving the tickets as they were.
#[test]
fn codex_with_a_refused_key_stops_the_run() {
    let server = ModelServer::start(|_| Reply::Error {
        status: 401,
        headers: vec![],
        body: json!({"error": {"type": "invalid_request_error", "code": "invalid_api_key",
            "message": "Incorrect API key provided"}}),
    });
    let Some(r) = setup(&["A", "B"], &server) else {
        return;
    };
    r.git(&["config", "epic.stagger", "60s"]);
    let t0 = Instant::now();
    let out = r.epic_env(&["wave", "start", "0"], &[KEY]).code(1);
    assert!(t0.elapsed() < Duration::from_secs(15), "{:?}", t0.elapsed());
    let first = out
        .stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap();
    assert!(first.contains("codex login"), "{}", out.stderr);
    let s = r.status();
    for i in 0..2 {
        assert_eq!(s["tickets"][i]["attempts"], 0, "{s}");
    }
}

/// (e) The stream ends before `response.completed`: a failed attempt with codex's reason.
#[test]
fn codex_cut_off_mid_stream_is_a_failed_attempt_with_a_reason() {
    let server = ModelServer::start(|_| Reply::Cut);
    let Some(r) = setup(&["A"], &server) else {
        return;
    };
    r.git(&["config", "epic.maxAttempts", "1"]);
    let t0 = Instant::now();
    r.epic_env(&["run", "A"], &[KEY]).code(1);
    assert!(t0.elapsed() < Duration::from_secs(30), "{:?}", t0.elapsed());
    let t = &r.status()["tickets"][0];
    assert_eq!(t["state"], "failed", "{t}");
    assert!(
        t["reason"]
            .as_str()
            .unwrap()
            .contains("stream disconnected"),
        "{t}"
    );
    assert_eq!(t["rate_limit_waits"], 0);
}

/// No network: codex reconnects forever, printing a line now and then. Those lines are no
/// progress, so the silence limit (`epic.timeout`) ends it.
#[test]
fn codex_without_network_is_ended_by_the_silence_limit() {
    // A server that is not there: bind a port, then close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = ModelServer::start(commit_the_file);
    let Some(r) = setup(&["A"], &server) else {
        return;
    };
    let cmd = r
        .git(&["config", "epic.agent"])
        .replace(&server.url, &format!("http://127.0.0.1:{port}"));
    r.git(&["config", "epic.agent", &cmd]);
    // Codex 0.171 says "Reconnecting... waiting for network" at once, then 5 s, 15 s,
    // 35 s later: a timer that any line reset would fire only after the 15 s one.
    r.git(&["config", "epic.timeout", "7s"]);
    r.git(&["config", "epic.maxAttempts", "1"]);
    let t0 = Instant::now();
    r.epic_env(&["run", "A"], &[KEY]).code(1);
    assert!(t0.elapsed() < Duration::from_secs(11), "{:?}", t0.elapsed());
    let t = &r.status()["tickets"][0];
    assert!(
        t["reason"].as_str().unwrap().contains("no output for 7s"),
        "{t}"
    );
    let log = r.epic(&["logs", "A"]).ok().stdout;
    assert!(log.contains("Reconnecting"), "{log}");
}
