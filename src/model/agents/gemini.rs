//! Google Gemini CLI (`gemini --output-format stream-json --prompt`).
//!
//! Its stream, as 0.61 prints it: `init` (the session id), `message` lines (the user's
//! prompt, then the answer in `delta` pieces), `tool_use` and `tool_result`, `error`, and a
//! final `result` whose `status` is `success` or `error` (with `error.message`) and whose
//! `stats` count tokens. It may exit 0 with a `result` of `status: error`; its retries of a
//! quota or a server error show only on stderr. It reports no cost.
//!
//! `--resume=<session id>` continues a session of the same project (the worktree): the same
//! `session_id` in `init`, `stats` of this run only. A session whose first request failed
//! keeps nothing (the CLI takes the prompt back out and deletes the session at its next
//! start), so only a session in which the model answered is resumed. A session it cannot
//! find ends it with exit code 42 and `Error resuming session: ...` on stderr.

use serde_json::Value;

use super::{as_str, as_u64, Launch, LimitSeen, Observed, ResultSeen, Tokens};

/// What Gemini CLI prints for errors that retrying cannot fix.
pub const FATAL_PATTERN: &str = r"(?i)api key not valid|api_key_invalid|unauthenticated|permission_denied|invalid auth method|must specify the GEMINI_API_KEY|please set an auth method|unknown arguments?:";

/// A result that failed on a quota or the model's capacity.
const LIMIT_PATTERN: &str = r"(?i)exceeded your current quota|exhausted your daily quota|resource has been exhausted|resource_exhausted|no capacity available";

super::static_regex!(limit_re, LIMIT_PATTERN);

/// What it prints (beside its stream) when the session to resume is not there.
pub(super) const RESUME_FAILED: &str = "Error resuming session:";

/// The session to continue, as one word so that it never takes the prompt's place.
pub(super) fn add_options(argv: &mut Vec<String>, launch: &Launch<'_>) {
    if let Some(session) = launch.resume {
        argv.push(format!("--resume={session}"));
    }
}

pub(super) fn read(v: &Value, seen: &mut Observed, now: f64) -> bool {
    match as_str(v, "type") {
        Some("init") => {
            seen.session_id = as_str(v, "session_id").map(str::to_owned);
            // Nothing worth resuming until the model has answered.
            seen.session_empty = true;
        }
        Some("message") if as_str(v, "role") == Some("assistant") => {
            seen.session_empty = false;
            let piece = as_str(v, "content").unwrap_or("");
            match &mut seen.last_text {
                Some(t) if v.get("delta").and_then(Value::as_bool) == Some(true) => {
                    t.push_str(piece)
                }
                t => *t = Some(piece.to_owned()),
            }
        }
        Some("tool_use") => {
            seen.session_empty = false;
            seen.last_text = None;
        }
        // Said before a `result` of status error that may carry no message of its own.
        Some("error") => seen.last_error = as_str(v, "message").map(str::to_owned),
        Some("result") => {
            let stats = v.get("stats").unwrap_or(&Value::Null);
            let cached = as_u64(stats, "cached");
            seen.tokens = Tokens {
                input: as_u64(stats, "input_tokens").saturating_sub(cached),
                output: as_u64(stats, "output_tokens"),
                cache_read: cached,
                cache_write: 0,
            };
            let is_error = as_str(v, "status") != Some("success");
            let message = if is_error {
                v.get("error")
                    .and_then(|e| as_str(e, "message"))
                    .map(str::to_owned)
                    .or_else(|| seen.last_error.clone())
                    .unwrap_or_else(|| "the agent reported an error".into())
            } else {
                seen.last_text.clone().unwrap_or_default()
            };
            if is_error && limit_re().is_match(&message) {
                seen.limit = Some(LimitSeen {
                    resets_at: crate::infra::ratelimit::reset_wait(
                        &message.lines().map(str::to_owned).collect::<Vec<_>>(),
                        now,
                    )
                    .map(|w| now + w.as_secs_f64()),
                    kind: Some("quota".into()),
                });
            }
            seen.result = Some(ResultSeen {
                is_error,
                message,
                api_status: None,
            });
        }
        _ => {}
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::Adapter;

    fn read(lines: &[&str]) -> super::super::Observed {
        let argv: Vec<String> = ["gemini", "--output-format", "stream-json", "--prompt"]
            .map(String::from)
            .to_vec();
        let mut r = Adapter::detect(&argv).reader();
        for l in lines {
            r.line(l);
        }
        r.into_observed()
    }

    // Lines as gemini 0.61.0 printed them against a scripted server.
    const INIT: &str = r#"{"type":"init","timestamp":"2026-11-26T14:05:34.431Z","session_id":"40c5227c-d053-4c81-9953-e47d85d1ed4c","model":"gemini-2.5-pro"}"#;
    const DONE_A: &str = r#"{"type":"message","timestamp":"2026-11-26T14:05:34.738Z","role":"assistant","content":"do","delta":true}"#;
    const DONE_B: &str = r#"{"type":"message","timestamp":"2026-11-26T14:05:34.748Z","role":"assistant","content":"ne","delta":true}"#;
    const OK: &str = r#"{"type":"result","timestamp":"2026-11-26T14:05:34.750Z","status":"success","stats":{"total_tokens":240,"input_tokens":200,"output_tokens":14,"cached":80,"input":120,"duration_ms":319,"tool_calls":1}}"#;
    const QUOTA: &str = r#"{"type":"result","timestamp":"2026-11-26T14:10:43.314Z","status":"error","error":{"type":"unknown","message":"[API Error: You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.\nSuggested retry after 23.5s.]\nPlease wait and try again later. To increase your limits, request a quota increase through AI Studio, or switch to another /auth method"},"stats":{"total_tokens":0,"input_tokens":0,"output_tokens":0,"cached":0,"input":0,"duration_ms":0,"tool_calls":0}}"#;
    const NO_FINISH: &str = r#"{"type":"result","timestamp":"2026-11-26T14:21:27.925Z","status":"error","stats":{"total_tokens":0,"input_tokens":0,"output_tokens":0,"cached":0,"input":0,"duration_ms":7117,"tool_calls":0}}"#;

    #[test]
    fn a_successful_run_gives_session_tokens_and_answer() {
        let o = read(&[INIT, DONE_A, DONE_B, OK]);
        assert_eq!(
            o.session_id.as_deref(),
            Some("40c5227c-d053-4c81-9953-e47d85d1ed4c")
        );
        let t = o.tokens;
        assert_eq!((t.input, t.cache_read, t.output), (120, 80, 14));
        let r = o.result.unwrap();
        assert!(!r.is_error);
        assert_eq!(r.message, "done");
    }

    #[test]
    fn a_quota_gives_its_retry_delay_rounded_up() {
        let o = read(&[INIT, QUOTA]);
        let at = o.limit.expect("a limit").resets_at.expect("a reset");
        let wait = at - crate::infra::clock::now();
        assert!((22.0..=24.5).contains(&wait), "{wait}");
    }

    #[test]
    fn a_session_is_resumed_by_its_id_before_the_prompt_flag() {
        let argv: Vec<String> = ["gemini", "--output-format", "stream-json", "--prompt"]
            .map(String::from)
            .to_vec();
        let adapter = Adapter::detect(&argv);
        assert!(adapter.can_resume());
        let out = adapter.launch_argv(
            &argv,
            &super::super::Launch {
                prompt_arg: Some("go on"),
                resume: Some("40c5227c-d053-4c81-9953-e47d85d1ed4c"),
                allowed_commands: &[],
                git_dirs: &[],
                confined: false,
            },
        );
        assert_eq!(
            out[3..],
            [
                "--resume=40c5227c-d053-4c81-9953-e47d85d1ed4c",
                "--prompt",
                "go on"
            ]
        );
        // In text mode there is no session id to resume.
        assert!(!Adapter::detect(&argv[..1]).can_resume());
    }

    #[test]
    fn only_a_session_the_model_answered_in_is_worth_resuming() {
        let id = Some("40c5227c-d053-4c81-9953-e47d85d1ed4c");
        // The quota on the first request: the CLI takes the prompt back out.
        let o = read(&[INIT, QUOTA]);
        assert_eq!(o.session_id.as_deref(), id);
        assert_eq!(o.resumable_session(None), None);
        // A session resumed before had the model's answers already.
        assert_eq!(o.resumable_session(id), id);
        let tool = r#"{"type":"tool_use","timestamp":"2026-12-03T12:45:52.120Z","tool_name":"run_shell_command","tool_id":"t1","parameters":{"command":"echo made > x.txt"}}"#;
        assert_eq!(read(&[INIT, tool, QUOTA]).resumable_session(None), id);
        assert_eq!(read(&[INIT, DONE_A, OK]).resumable_session(None), id);
    }

    #[test]
    fn a_session_it_cannot_find_is_a_failed_resume() {
        let o = read(&["Error resuming session: No previous sessions found for this project."]);
        assert!(o.resume_failed);
        // Its stats count this run only: nothing of an earlier run is taken off them.
        let o = read(&[INIT, OK]);
        assert_eq!(o.run_tokens([&o.tokens]), o.tokens);
    }

    #[test]
    fn an_error_result_takes_the_error_said_before_it() {
        let said = r#"{"type":"error","timestamp":"2026-11-26T14:21:27.925Z","severity":"error","message":"Model stream ended without a finish reason."}"#;
        let o = read(&[INIT, said, NO_FINISH]);
        let r = o.result.unwrap();
        assert!(r.is_error);
        assert_eq!(r.message, "Model stream ended without a finish reason.");
        assert!(o.limit.is_none());
    }
}
