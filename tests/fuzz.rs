//! The parsers fed what they were never meant to read (proptest, plus the corpus in
//! tests/fuzz/corpus.txt of inputs that once surprised someone): ticket front matter,
//! notes, durations, rate-limit text, the agents' JSON streams and their rendering. No
//! panic, ever; a ticket file that is refused says why in one sentence, and `git epic`
//! exits 2 on it.

use std::path::Path;

use git_epic::model::agents::{render, Adapter};
use proptest::prelude::*;

const CORPUS: &str = include_str!("fuzz/corpus.txt");

fn families() -> Vec<Adapter> {
    [
        "claude -p --output-format stream-json --verbose",
        "codex exec --json",
        "gemini --output-format stream-json --prompt",
        "claude -p",
        "my-agent",
    ]
    .iter()
    .map(|c| Adapter::detect(&shell_words::split(c).unwrap()))
    .collect()
}

/// Everything that reads text, fed `text`.
fn feed(text: &str) {
    if let Err(e) = git_epic::model::ticket::parse(Path::new("tasks/x.md"), text) {
        let msg = format!("{e}");
        assert!(!msg.trim().is_empty(), "an empty refusal for {text:?}");
    }
    let _ = toml::from_str::<git_epic::model::state::TicketNote>(text);
    for line in text.lines() {
        let _ = git_epic::infra::config::parse_duration(line);
        let _ = render::line(line);
    }
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for now in [0.0, 1.8e9, -1.0, f64::MAX] {
        let _ = git_epic::infra::ratelimit::reset_wait(&lines, now);
    }
    for a in families() {
        let mut r = a.reader();
        for line in text.lines() {
            r.line(line);
        }
        let o = r.into_observed();
        let _ = o.tokens();
    }
}

#[test]
fn the_corpus_breaks_nothing() {
    feed(CORPUS);
    for chunk in CORPUS.split("\n\n") {
        feed(chunk);
    }
    for line in CORPUS.lines() {
        feed(line);
    }
}

/// JSON lines shaped like the agents' events, with wrong types and odd values in them.
fn event() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "type",
        "subtype",
        "result",
        "is_error",
        "usage",
        "session_id",
        "total_cost_usd",
        "rate_limit_info",
        "status",
        "resetsAt",
        "error",
        "message",
        "item",
        "stats",
        "input_tokens",
        "output_tokens",
        "cached",
        "thread_id",
        "content",
        "role",
        "delta",
        "api_error_status",
        "num_turns",
        "error_status",
    ]);
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
        prop::sample::select(vec![
            "result",
            "system",
            "api_retry",
            "rate_limit_event",
            "rejected",
            "assistant",
            "turn.completed",
            "turn.failed",
            "thread.started",
            "error",
            "init",
            "message",
            "tool_use",
            "success",
            "authentication_failed",
            "Reconnecting... 1/5 (401 Unauthorized)",
            "You've hit your limit · resets 2pm (UTC)",
            "",
        ])
        .prop_map(serde_json::Value::from),
    ];
    let value = leaf.prop_recursive(3, 24, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(key.clone().prop_map(str::to_owned), inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    value.prop_map(|v| v.to_string())
}

/// Front matter from the real keys, with values of any shape.
fn front_matter() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "title", "deps", "scope", "forbid", "agent", "command", "x",
    ]);
    let value = prop::sample::select(vec![
        "\"t\"",
        "[]",
        "[\"a\", \"b\"]",
        "[\"**/*.rs\"]",
        "[\"[\"]",
        "1",
        "true",
        "\"\"",
        "[\"x\"",
        "{}",
        "\"a\\u0000b\"",
        "\"../../etc\"",
    ]);
    (
        prop::collection::vec((key, value), 0..6),
        ".*",
        prop::bool::ANY,
    )
        .prop_map(|(kv, body, close)| {
            let mut s = String::from("+++\n");
            for (k, v) in kv {
                s.push_str(&format!("{k} = {v}\n"));
            }
            if close {
                s.push_str("+++\n");
            }
            s + &body
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_text_breaks_nothing(text in ".{0,400}") {
        feed(&text);
    }

    #[test]
    fn odd_agent_events_break_nothing(lines in prop::collection::vec(event(), 1..8)) {
        feed(&lines.join("\n"));
    }

    #[test]
    fn odd_front_matter_breaks_nothing(text in front_matter()) {
        feed(&text);
    }

    #[test]
    fn limit_lines_break_nothing(
        n in any::<u64>(),
        f in any::<f64>(),
        unit in prop::sample::select(vec!["s", "m", "h", "ms", "d", "seconds", ""]),
        zone in prop::sample::select(vec!["UTC", "Europe/Paris", "Mars/Olympus", "GMT+99", ""]),
    ) {
        let lines = vec![
            format!("try again in {n}{unit}"),
            format!("Please retry in {f}{unit}."),
            format!("You've hit your limit · resets {}:{} pm ({zone})", n % 40, n % 90),
            format!("resets Nov {}, {}pm ({zone})", n % 40, n % 15),
            format!("usage limit reached|{n}"),
        ];
        let _ = git_epic::infra::ratelimit::reset_wait(&lines, 1.8e9);
    }
}

/// Odd ticket files through the real command: it ends with 0 or 2, never a crash, and a
/// refusal is one sentence on stderr.
#[test]
fn odd_ticket_files_are_refused_with_exit_2_and_one_sentence() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 24,
        ..ProptestConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("r");
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(&repo)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}");
    };
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(
        dir.path().join(".gitconfig"),
        "[user]\n\tname = t\n\temail = t@e\n",
    )
    .unwrap();
    git(&["init", "-q", "-b", "main"]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@e",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "init",
    ]);
    let bin = env!("CARGO_BIN_EXE_git-epic");
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(args)
            .current_dir(&repo)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let init = run(&["init", "e"]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    std::fs::create_dir_all(repo.join("tasks")).unwrap();
    runner
        .run(&front_matter(), |text| {
            std::fs::write(repo.join("tasks/x.md"), &text).unwrap();
            let out = run(&["ticket", "list"]);
            let code = out.status.code();
            prop_assert!(
                code == Some(0) || code == Some(2),
                "exit {code:?} for {text:?}"
            );
            if code == Some(2) {
                let err = String::from_utf8_lossy(&out.stderr);
                let first = err.lines().next().unwrap_or("");
                prop_assert!(first.starts_with("error: "), "{err}");
                prop_assert!(first.len() > "error: ".len() + 10, "{err}");
            }
            Ok(())
        })
        .unwrap();
}
