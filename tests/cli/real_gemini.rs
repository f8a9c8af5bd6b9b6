//! Conformance: the real Gemini CLI (pinned in tests/agents/real-clis.txt), driven by
//! git-epic through the `gemini` preset, against the scripted model server's
//! streamGenerateContent (`GOOGLE_GEMINI_BASE_URL`, with the API-key auth chosen in a
//! settings file of the test's own: `GEMINI_CLI_HOME`).

use std::time::{Duration, Instant};

use serde_json::json;

use crate::model_server::{self, LimitFirst, LimitWindow, ModelServer, Reply, Request};
use crate::real_cli::{epic_with_agent, note, real_cli};
use crate::support::Repo;

struct Gemini {
    r: Repo,
    home: tempfile::TempDir,
}

impl Gemini {
    /// What every run needs: the server, a key, the settings, and its own temp dir (the
    /// CLI writes an error report with the conversation there on every API error).
    fn env<'a>(&'a self, server: &'a ModelServer) -> Vec<(&'a str, String)> {
        vec![
            ("GOOGLE_GEMINI_BASE_URL", server.url.clone()),
            ("GEMINI_API_KEY", "test-key".into()),
            ("GEMINI_CLI_HOME", self.home.path().display().to_string()),
            ("TMPDIR", self.home.path().display().to_string()),
            // Under GEMINI_CLI_HOME the CLI's shell does not see the test's git identity.
            ("GIT_AUTHOR_NAME", "Test".into()),
            ("GIT_AUTHOR_EMAIL", "test@example.com".into()),
            ("GIT_COMMITTER_NAME", "Test".into()),
            ("GIT_COMMITTER_EMAIL", "test@example.com".into()),
        ]
    }

    fn run(&self, args: &[&str], server: &ModelServer) -> crate::support::Run {
        let env = self.env(server);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.r.epic_env(args, &env)
    }
}

/// An epic whose agent is the real gemini (`-m` added: no routing call to another model),
/// with tickets `ids`; the CLI gives up on a failed request at once (`maxAttempts: 1`).
fn setup(ids: &[&str]) -> Option<Gemini> {
    let cli = real_cli("gemini")?;
    let preset = git_epic::infra::presets::find("gemini").unwrap().command;
    let rest = preset
        .strip_prefix("gemini")
        .unwrap()
        .replace("--prompt", "-m gemini-2.5-pro --prompt");
    let command = format!("{}{rest}", shell_words::quote(&cli.to_string_lossy()));
    let r = epic_with_agent(&command, ids, &[]);
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".gemini")).unwrap();
    std::fs::write(
        home.path().join(".gemini/settings.json"),
        json!({"security": {"auth": {"selectedType": "gemini-api-key"}},
               "privacy": {"usageStatisticsEnabled": false},
               "general": {"maxAttempts": 1}})
        .to_string(),
    )
    .unwrap();
    Some(Gemini { r, home })
}

/// The model's side: one shell command that writes and commits `<id>.txt`, then an answer.
fn commit_the_file(req: &Request) -> Reply {
    if req.function_calls() > 0 {
        return Reply::Gemini(vec![json!({"text": "Committed."})]);
    }
    let dir = req.workdir().expect("the request names the workspace");
    let id = dir.rsplit("feat-").next().unwrap().to_owned();
    Reply::Gemini(vec![
        json!({"functionCall": {"name": "run_shell_command", "args": {
        "command": format!("echo made by gemini > {id}.txt && git add {id}.txt && git commit -q -m '{id}: by gemini'"),
        "description": "write and commit"}}}),
    ])
}

/// (a) In a fresh worktree (trusted by the preset) gemini runs its shell tool, which writes
/// and commits a file: the ticket is done, its session and tokens recorded.
#[test]
fn gemini_commits_in_a_fresh_worktree_and_the_ticket_is_done_with_its_tokens() {
    let Some(g) = setup(&["A"]) else { return };
    let server = ModelServer::start(commit_the_file);
    g.run(&["run", "A"], &server).ok();
    let wt = g.r.path().join("worktrees/feat-A");
    let raw = g.r.epic(&["logs", "A", "--raw"]).ok().stdout;
    assert_eq!(
        g.r.git_in(&wt, &["log", "-1", "--format=%s"]),
        "A: by gemini",
        "{raw}"
    );
    let t = &g.r.status()["tickets"][0];
    assert_eq!(t["state"], "done", "{t}");
    let (i, c) = (model_server::INPUT_TOKENS, model_server::CACHE_READ_TOKENS);
    assert_eq!(t["tokens"]["input"], 2 * (i - c), "{t}");
    assert_eq!(t["tokens"]["cache_read"], 2 * c, "{t}");
    assert_eq!(
        t["tokens"]["output"],
        2 * model_server::OUTPUT_TOKENS,
        "{t}"
    );
    let logs = g.r.epic(&["logs", "A"]).ok().stdout;
    assert!(logs.contains("→ run_shell_command: "), "{logs}");
    assert!(logs.contains("Committed."), "{logs}");
}

/// Google's quota error, with the delay it asks for.
fn quota(delay: &str) -> Reply {
    Reply::Error {
        status: 429,
        headers: vec![],
        body: json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
            "message": "You exceeded your current quota, please check your plan and billing details.",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}]}}),
    }
}

/// The requests gemini made to streamGenerateContent.
fn turns(server: &ModelServer) -> Vec<Request> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path.contains(":streamGenerateContent"))
        .collect()
}

/// (b) A per-minute quota with its retry delay: the ticket waits it out without using an
/// attempt, then is done. The quota hit the first request, of which the CLI keeps nothing
/// (it takes the prompt back out of the session): the next run starts afresh with the
/// ticket, not with a resume that could only fail.
#[test]
fn gemini_over_its_quota_waits_the_delay_then_is_done() {
    let Some(g) = setup(&["A"]) else { return };
    let limit = LimitWindow::new(3);
    let server = ModelServer::start(move |req| match limit.reset() {
        Some(_) => quota("3s"),
        None => commit_the_file(req),
    });
    let t0 = Instant::now();
    g.run(&["run", "A"], &server).ok();
    assert!(t0.elapsed() < Duration::from_secs(60), "{:?}", t0.elapsed());
    let t = &g.r.status()["tickets"][0];
    assert_eq!(t["state"], "done", "{t}");
    assert_eq!(t["attempts"], 1, "{t}");
    assert!(t["rate_limit_waits"].as_u64().unwrap() >= 1, "{t}");
    let n = note(&g.r, "A");
    let runs = n["runs"].as_array().unwrap();
    let (last, limited) = runs.split_last().unwrap();
    assert!(!limited.is_empty(), "{n:?}");
    for run in limited {
        assert_eq!(run["outcome"].as_str(), Some("rate_limited"), "{n:?}");
    }
    assert_eq!(last["outcome"].as_str(), Some("done"), "{n:?}");
    for run in runs {
        assert_eq!(run.get("resumed"), None, "{n:?}");
    }
    let asked = turns(&server);
    assert!(!asked.last().unwrap().text.contains("cut short"));
}

/// The model's side of a quota hit in the middle of the task: the file is written and
/// committed through the shell tool, then the request that brings the tool's result back
/// is refused (once), then the model answers.
fn quota_mid_task(delay: &'static str) -> ModelServer {
    let limit = LimitFirst::new(1);
    ModelServer::start(move |req| {
        if req.function_calls() > 0 && limit.hit() {
            return quota(delay);
        }
        commit_the_file(req)
    })
}

/// (b') The quota hit in the middle of the task: the next run continues the session
/// (`--resume=<session>`), which holds the ticket, the model's tool call and its result,
/// with a word of why it stopped; the ticket is done.
#[test]
fn gemini_over_its_quota_mid_task_resumes_its_session() {
    let Some(g) = setup(&["A"]) else { return };
    let server = quota_mid_task("3s");
    g.run(&["run", "A"], &server).ok();
    let t = &g.r.status()["tickets"][0];
    assert_eq!(t["state"], "done", "{t}");
    assert_eq!(
        (t["attempts"].as_u64(), t["rate_limit_waits"].as_u64()),
        (Some(1), Some(1)),
        "{t}"
    );
    let n = note(&g.r, "A");
    let runs = n["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{n:?}");
    assert_eq!(runs[0]["outcome"].as_str(), Some("rate_limited"));
    assert_eq!(runs[1]["outcome"].as_str(), Some("done"));
    assert_eq!(runs[1]["resumed"].as_bool(), Some(true), "{n:?}");
    let session = runs[0]["session_id"].as_str().unwrap();
    assert_eq!(runs[1]["session_id"].as_str(), Some(session), "{n:?}");
    let log = g.r.epic(&["logs", "A"]).ok().stdout;
    assert!(
        log.contains(&format!("(resuming session {session})")),
        "{log}"
    );
    // The first run: the tool call, then the refused request. The resumed run's request
    // holds them both, then why it stopped; the ticket is in it once.
    let asked = turns(&server);
    assert_eq!(asked.len(), 3, "{asked:?}");
    let resumed = &asked[2];
    assert_eq!(resumed.function_calls(), 1, "{}", resumed.text);
    assert!(
        resumed.text.contains("functionResponse"),
        "{}",
        resumed.text
    );
    crate::real_cli::continues_after(&resumed.text, "functionCall");
    let wt = g.r.path().join("worktrees/feat-A");
    assert_eq!(
        g.r.git_in(&wt, &["log", "-1", "--format=%s"]),
        "A: by gemini"
    );
    // Gemini counts the tokens of the run, not of the session: one answered request each.
    let (i, c) = (model_server::INPUT_TOKENS, model_server::CACHE_READ_TOKENS);
    for run in runs {
        assert_eq!(
            run["tokens"]["input"].as_integer(),
            Some((i - c) as i64),
            "{n:?}"
        );
    }
}

/// The session is gone when the next run would continue it (another machine, a cleaned
/// home): the CLI says so at once, and the attempt starts afresh with the ticket, without
/// using an attempt.
#[test]
fn gemini_whose_session_is_gone_starts_afresh() {
    let Some(g) = setup(&["A"]) else { return };
    let server = quota_mid_task("6s");
    let env = g.env(&server);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut child = g.r.spawn_epic(&["run", "A"], &env);
    let t0 = Instant::now();
    while g.r.status()["tickets"][0]["state"] != "rate_limited" {
        assert!(t0.elapsed() < Duration::from_secs(30), "never rate limited");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The CLI keeps its sessions per project under its home.
    for project in std::fs::read_dir(g.home.path().join(".gemini/tmp")).unwrap() {
        let chats = project.unwrap().path().join("chats");
        if chats.exists() {
            std::fs::remove_dir_all(chats).unwrap();
        }
    }
    assert!(child.wait().unwrap().success());
    let t = &g.r.status()["tickets"][0];
    assert_eq!(t["state"], "done", "{t}");
    assert_eq!(t["attempts"], 1, "{t}");
    let n = note(&g.r, "A");
    let runs = n["runs"].as_array().unwrap();
    let outcomes: Vec<_> = runs
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["rate_limited", "resume_failed", "done"], "{n:?}");
    assert_eq!(runs[1]["resumed"].as_bool(), Some(true), "{n:?}");
    assert_eq!(runs[2].get("resumed"), None, "{n:?}");
    assert_ne!(runs[0]["session_id"], runs[2]["session_id"], "{n:?}");
    let log = g.r.epic(&["logs", "A"]).ok().stdout;
    assert!(log.contains("Error resuming session"), "{log}");
    assert!(
        log.contains("could not resume its session; starting afresh"),
        "{log}"
    );
    let last = turns(&server).into_iter().next_back().unwrap();
    assert!(last.text.contains("Create A.txt."), "{}", last.text);
    assert!(!last.text.contains("cut short"), "{}", last.text);
}

/// (c) A key the API refuses: the run stops at the first ticket and says what to do.
#[test]
fn gemini_with_a_refused_key_stops_the_run() {
    let Some(g) = setup(&["A", "B"]) else {
        return;
    };
    g.r.git(&["config", "epic.stagger", "60s"]);
    let server = ModelServer::start(|_| Reply::Error {
        status: 400,
        headers: vec![],
        body: json!({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]}}),
    });
    let out = g.run(&["wave", "start", "0"], &server).code(1);
    let first = out
        .stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap();
    assert!(first.contains("API key not valid"), "{}", out.stderr);
    assert!(first.contains("GEMINI_API_KEY"), "{}", out.stderr);
    let s = g.r.status();
    for i in 0..2 {
        assert_eq!(s["tickets"][i]["attempts"], 0, "{s}");
    }
    assert_eq!(
        server.requests().len(),
        1,
        "the second ticket never started"
    );
}

/// (e) The stream is cut: a failed attempt with the CLI's reason.
#[test]
fn gemini_cut_off_mid_stream_is_a_failed_attempt_with_a_reason() {
    let Some(g) = setup(&["A"]) else { return };
    g.r.git(&["config", "epic.maxAttempts", "1"]);
    let server = ModelServer::start(|_| Reply::Cut);
    g.run(&["run", "A"], &server).code(1);
    let t = &g.r.status()["tickets"][0];
    assert_eq!(t["state"], "failed", "{t}");
    assert!(
        t["reason"].as_str().unwrap().contains("[API Error: "),
        "{t}"
    );
}
