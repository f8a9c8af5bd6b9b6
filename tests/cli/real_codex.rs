//! Conformance: the real Codex CLI (pinned in tests/agents/real-clis.txt), driven by git-epic
//! through the `codex` preset, against the scripted model server's Responses API. Codex 0.171
//! ignores OPENAI_BASE_URL; a custom model provider on the command line points it here.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::model_server::{self, LimitWindow, ModelServer, Reply, Request};
use crate::real_cli::{epic_with_agent, real_cli};
use crate::support::Repo;

/// The preset's line with the installed CLI, pointed at `server` (retries off: the tests
/// look at one try).
fn command(cli: &std::path::Path, server: &ModelServer) -> String {
    let preset = git_epic::presets::find("codex").unwrap().command;
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
    let cmd = format!(
        "echo made by codex > {id}.txt && git add {id}.txt && git commit -q -m '{id}: by codex'"
    );
    Reply::Responses(vec![
        json!({"type": "custom_tool_call", "call_id": "call_1", "name": "exec",
        "input": format!("const r = await tools.exec_command({{cmd: {}}});\ntext(r.output);", json!(cmd))}),
    ])
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

/// (b) The account's usage limit, with a reset a few seconds ahead: the ticket waits
/// without using an attempt, then is done.
#[test]
fn codex_at_its_usage_limit_waits_then_is_done() {
    let limit = LimitWindow::new(6);
    let server = ModelServer::start(move |req| match limit.reset() {
        Some(reset) => Reply::Error {
            status: 429,
            headers: vec![],
            body: json!({"error": {"type": "usage_limit_reached", "message": "limit",
                "plan_type": "plus", "resets_at": reset}}),
        },
        None => commit_the_file(req),
    });
    let Some(r) = setup(&["A"], &server) else {
        return;
    };
    let t0 = Instant::now();
    r.epic_env(&["run", "A"], &[KEY]).ok();
    assert!(t0.elapsed() < Duration::from_secs(75), "{:?}", t0.elapsed());
    let t = &r.status()["tickets"][0];
    assert_eq!(t["state"], "done", "{t}");
    assert_eq!(t["attempts"], 1, "{t}");
    assert!(t["rate_limit_waits"].as_u64().unwrap() >= 1, "{t}");
    let log = r.epic(&["logs", "A"]).ok().stdout;
    assert!(log.contains("hit your usage limit"), "{log}");
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
    r.git(&["config", "epic.stagger", "10s"]);
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
