//! OpenAI Codex CLI (`codex exec --json`).
//!
//! Its stream, as 0.171 prints it: `thread.started` (the thread id, its session),
//! `turn.started`, `item.started`/`item.completed` (agent messages, commands with their
//! output, file changes, notices of type `error`), `error` lines while it reconnects, and
//! `turn.completed` with `usage` (cumulative over the thread, the earlier runs of a resumed
//! thread included) or `turn.failed` with the error. It reports no cost.
//!
//! `codex exec [OPTIONS] resume <THREAD_ID> [PROMPT]` continues a thread: the options of
//! `exec` (`--json`, `--sandbox`, `--add-dir`, `-c`) go before `resume`, which takes fewer
//! of its own; it prints the same stream with the same `thread_id`. A thread it cannot find
//! ends it at once, with `Error: thread/resume: thread/resume failed: no rollout found for
//! thread id ...` on stderr and no stream.

use serde_json::Value;

use super::{as_str, as_u64, Launch, LimitSeen, Observed, ResultSeen, Tokens};

/// What Codex prints for errors that retrying cannot fix.
pub const FATAL_PATTERN: &str = r"(?i)not logged in|please run .?codex login|invalid api key|incorrect api key|invalid_api_key|401 unauthorized|403 forbidden|unexpected argument|unrecognized subcommand";

/// A turn that failed on the account's limit (`usage_limit_reached`, or a 429 it gave up on).
const LIMIT_PATTERN: &str =
    r"(?i)hit your usage limit|usage_limit_reached|last status: 429|429 too many requests";

/// What it prints (beside its stream) when the thread to resume cannot be had.
pub(super) const RESUME_FAILED: &str = "Error: thread/resume";

/// The sandbox keeps `.git` read-only; a worktree's commits write to the repository's git
/// dir and to the worktree's own, so both are opened to it. The thread to continue comes
/// last, as the `resume` subcommand after every option of `exec`, before the prompt.
pub(super) fn add_options(argv: &mut Vec<String>, launch: &Launch<'_>) {
    if !launch.confined {
        for dir in launch.git_dirs {
            argv.push(format!("--add-dir={}", dir.display()));
        }
    }
    if let Some(thread) = launch.resume {
        argv.push("resume".into());
        argv.push(thread.into());
    }
}

/// Codex's own sandbox is bubblewrap, which needs user namespaces and mounts that Landlock
/// refuses to a confined process ("bwrap: setting up uid map: Permission denied"). Under
/// git-epic's sandbox (which also keeps it out of the repository's config and hooks, which
/// --add-dir would open), codex runs without its own: its `--sandbox` becomes
/// `danger-full-access` in the command line `argv`.
pub(super) fn step_aside(argv: &mut [String], launch: &Launch<'_>) {
    if !launch.confined {
        return;
    }
    let mut i = 0;
    while i < argv.len() {
        if argv[i] == "--sandbox" || argv[i] == "-s" {
            if let Some(v) = argv.get_mut(i + 1) {
                *v = "danger-full-access".into();
            }
            i += 1;
        } else if argv[i].starts_with("--sandbox=") {
            argv[i] = "--sandbox=danger-full-access".into();
        }
        i += 1;
    }
}

super::static_regex!(fatal_re, FATAL_PATTERN);

super::static_regex!(limit_re, LIMIT_PATTERN);

pub(super) fn read(v: &Value, seen: &mut Observed, now: f64) -> bool {
    match as_str(v, "type") {
        Some("thread.started") => {
            seen.session_id = as_str(v, "thread_id").map(str::to_owned);
        }
        Some("item.completed") => {
            let item = v.get("item").unwrap_or(&Value::Null);
            if as_str(item, "type") == Some("agent_message") {
                seen.last_text = as_str(item, "text").map(str::to_owned);
            }
        }
        Some("error") => {
            let msg = as_str(v, "message").unwrap_or("");
            // It retries a refused key five times, then fails: stop it at the first.
            if msg.starts_with("Reconnecting...") && fatal_re().is_match(msg) {
                seen.fatal = Some(msg.to_owned());
                seen.stop_now = true;
            }
            // Reconnecting is no progress: "waiting for network" goes on forever.
            return !msg.starts_with("Reconnecting...");
        }
        Some("turn.completed") => {
            let u = v.get("usage").unwrap_or(&Value::Null);
            let cached = as_u64(u, "cached_input_tokens");
            seen.tokens = Tokens {
                // Its input count includes the cached part; ours does not.
                input: as_u64(u, "input_tokens").saturating_sub(cached),
                output: as_u64(u, "output_tokens"),
                cache_read: cached,
                cache_write: as_u64(u, "cache_write_input_tokens"),
            };
            seen.tokens_cover_session = true;
            seen.result = Some(ResultSeen {
                is_error: false,
                message: seen.last_text.clone().unwrap_or_default(),
                api_status: None,
            });
        }
        Some("turn.failed") => {
            let msg = v
                .get("error")
                .and_then(|e| as_str(e, "message"))
                .unwrap_or("")
                .to_owned();
            if limit_re().is_match(&msg) {
                seen.limit = Some(LimitSeen {
                    resets_at: crate::infra::ratelimit::reset_wait(std::slice::from_ref(&msg), now)
                        .map(|w| now + w.as_secs_f64()),
                    kind: Some("usage".into()),
                });
            }
            seen.result = Some(ResultSeen {
                is_error: true,
                message: msg,
                api_status: None,
            });
        }
        _ => {}
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::{Adapter, Launch};

    fn reader() -> super::super::Reader {
        let argv: Vec<String> = ["codex", "exec", "--json", "--sandbox", "workspace-write"]
            .map(String::from)
            .to_vec();
        Adapter::detect(&argv).reader()
    }

    // Lines as codex 0.171.0 printed them against a scripted server.
    const STARTED: &str =
        r#"{"type":"thread.started","thread_id":"01a21839-956a-7791-bee6-06300638b29e"}"#;
    const MESSAGE: &str = r#"{"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"Hello from fake server."}}"#;
    const DONE: &str = r#"{"type":"turn.completed","usage":{"input_tokens":1000,"cached_input_tokens":600,"cache_write_input_tokens":300,"output_tokens":50,"reasoning_output_tokens":20}}"#;
    const LIMIT: &str = r#"{"type":"turn.failed","error":{"message":"You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits or try again at May 18th, 2033 3:33 AM."}}"#;
    const BAD_KEY: &str = r#"{"type":"error","message":"Reconnecting... 1/5 (unexpected status 401 Unauthorized: Incorrect API key provided, url: http://127.0.0.1:18090/v1/responses)"}"#;
    const NO_NET: &str = r#"{"type":"error","message":"Reconnecting... waiting for network (Connection failed: error sending request)"}"#;

    #[test]
    fn a_completed_turn_gives_thread_tokens_and_answer() {
        let mut r = reader();
        for l in [STARTED, MESSAGE, DONE] {
            assert!(r.line(l).progress);
        }
        let o = r.into_observed();
        assert_eq!(
            o.session_id.as_deref(),
            Some("01a21839-956a-7791-bee6-06300638b29e")
        );
        let t = o.tokens;
        assert_eq!(
            (t.input, t.cache_read, t.cache_write, t.output),
            (400, 600, 300, 50)
        );
        assert_eq!(o.result.unwrap().message, "Hello from fake server.");
    }

    #[test]
    fn the_usage_limit_gives_its_reset() {
        let mut r = reader();
        r.line(STARTED);
        r.line(LIMIT);
        let o = r.into_observed();
        let l = o.limit.expect("a limit");
        // May 18th, 2033 3:33 AM local time: years ahead.
        assert!(l.resets_at.unwrap() > 1.9e9, "{l:?}");
        assert!(o.result.unwrap().is_error);
    }

    #[test]
    fn a_refused_key_stops_and_waiting_for_network_is_no_progress() {
        let mut r = reader();
        assert!(r.line(BAD_KEY).stop);
        let mut r = reader();
        let heard = r.line(NO_NET);
        assert!(!heard.stop && !heard.progress);
    }

    #[test]
    fn a_thread_is_resumed_after_every_option_of_exec() {
        let argv: Vec<String> = ["codex", "exec", "--json", "--sandbox", "workspace-write"]
            .map(String::from)
            .to_vec();
        let dirs = [std::path::PathBuf::from("/r/.git")];
        let adapter = Adapter::detect(&argv);
        assert!(adapter.can_resume());
        let out = adapter.launch_argv(
            &argv,
            &Launch {
                prompt_arg: Some("go on"),
                resume: Some("01a21839-956a-7791-bee6-06300638b29e"),
                allowed_commands: &[],
                git_dirs: &dirs,
                confined: false,
            },
        );
        assert_eq!(
            out[5..],
            [
                "--add-dir=/r/.git",
                "resume",
                "01a21839-956a-7791-bee6-06300638b29e",
                "go on"
            ]
        );
        // The prompt on stdin: nothing after the thread.
        let out = adapter.launch_argv(
            &argv,
            &Launch {
                prompt_arg: None,
                resume: Some("t1"),
                allowed_commands: &[],
                git_dirs: &[],
                confined: false,
            },
        );
        assert_eq!(out[5..], ["resume", "t1"]);
        // Without its JSON stream there is no thread id to resume.
        assert!(!Adapter::detect(&argv[..2]).can_resume());
    }

    #[test]
    fn a_thread_it_cannot_find_is_a_failed_resume() {
        let mut r = reader();
        r.line("Error: thread/resume: thread/resume failed: no rollout found for thread id 01a23bee-0000-7d40-a7de-a935909b4db2 (code -32600)");
        assert!(r.observed().resume_failed);
        let mut r = reader();
        r.line("No conversation found with session ID: x");
        assert!(!r.observed().resume_failed, "claude's words, not codex's");
    }

    #[test]
    fn a_resumed_thread_counts_the_tokens_of_its_earlier_runs_too() {
        // As 0.171.0 printed it on the second resume of a thread whose first run used 1000
        // input tokens (200 cached) and 50 output: the whole thread.
        let again = r#"{"type":"turn.completed","usage":{"input_tokens":2000,"cached_input_tokens":400,"cache_write_input_tokens":0,"output_tokens":100,"reasoning_output_tokens":0}}"#;
        let mut r = reader();
        r.line(STARTED);
        r.line(again);
        let o = r.into_observed();
        let earlier = super::super::Tokens {
            input: 800,
            output: 50,
            cache_read: 200,
            cache_write: 0,
        };
        assert_eq!(o.run_tokens([&earlier]), earlier);
        assert_eq!(o.run_tokens([]).input, 1600);
        assert_eq!(
            o.resumable_session(None),
            Some("01a21839-956a-7791-bee6-06300638b29e")
        );
    }

    #[test]
    fn under_git_epics_sandbox_its_own_steps_aside() {
        let argv: Vec<String> = ["codex", "exec", "--json", "--sandbox", "workspace-write"]
            .map(String::from)
            .to_vec();
        let dirs = [std::path::PathBuf::from("/r/.git")];
        let out = Adapter::detect(&argv).launch_argv(
            &argv,
            &Launch {
                prompt_arg: Some("do it"),
                resume: None,
                allowed_commands: &[],
                git_dirs: &dirs,
                confined: true,
            },
        );
        assert_eq!(
            out[2..],
            ["--json", "--sandbox", "danger-full-access", "do it"]
        );
    }

    #[test]
    fn the_git_dirs_are_opened_to_the_sandbox() {
        let argv: Vec<String> = ["codex", "exec", "--json"].map(String::from).to_vec();
        let dirs = [
            std::path::PathBuf::from("/r/.git"),
            "/r/.git/worktrees/feat-A".into(),
        ];
        let out = Adapter::detect(&argv).launch_argv(
            &argv,
            &Launch {
                prompt_arg: Some("do it"),
                resume: None,
                allowed_commands: &[],
                git_dirs: &dirs,
                confined: false,
            },
        );
        assert_eq!(
            out[3..],
            [
                "--add-dir=/r/.git",
                "--add-dir=/r/.git/worktrees/feat-A",
                "do it"
            ]
        );
    }
}
