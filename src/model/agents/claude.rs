//! Claude Code (`claude --print --output-format stream-json --verbose`).
//!
//! Its stream, as the 2.1 CLI prints it: a `system`/`init` line with the session id;
//! `assistant` and `user` lines (text, tool calls, tool results); `system`/`api_retry`
//! while it retries a failed request itself; a `rate_limit_event` whose `rate_limit_info`
//! says `rejected` with `resetsAt` (Unix seconds) when a subscription limit is hit; and a
//! final `result` with `is_error`, `result` (the last text), `api_error_status`, `usage`,
//! `total_cost_usd` and `session_id`.

use serde_json::Value;

use super::{as_str, as_u64, Launch, LimitSeen, Observed, ResultSeen, Tokens};

/// What Claude Code prints for errors that retrying cannot fix.
pub const FATAL_PATTERN: &str = r"(?i)not logged in|please run /login|invalid api key|invalid x-api-key|authentication_error|authentication_failed|oauth token (has expired|revoked)|credit balance is too low|unknown option|error: unknown|does not have access to|organization has been disabled";

/// What it prints (beside its stream) when the session to resume is not there.
pub(super) const RESUME_FAILED: &str = "No conversation found with session ID";

/// git commands the agent needs to commit its own work; read-only ones keep it oriented.
const GIT_TOOLS: &[&str] = &[
    "Bash(git add:*)",
    "Bash(git commit:*)",
    "Bash(git status:*)",
    "Bash(git diff:*)",
    "Bash(git log:*)",
];

/// Tool permissions and the session to resume, as `--opt=value` so that no variadic
/// option of the CLI swallows the prompt that follows.
pub(super) fn add_options(argv: &mut Vec<String>, launch: &Launch<'_>) {
    let mut allowed: Vec<String> = GIT_TOOLS.iter().map(|s| (*s).to_owned()).collect();
    for c in launch.allowed_commands {
        let c = c.trim();
        if !c.is_empty() {
            // The command as configured, and with arguments after it (`npm test -- -t x`).
            allowed.push(format!("Bash({c})"));
            allowed.push(format!("Bash({c}:*)"));
        }
    }
    for tool in allowed {
        argv.push(format!("--allowedTools={tool}"));
    }
    if let Some(session) = launch.resume {
        argv.push(format!("--resume={session}"));
    }
}

/// The tools `add_options` allows, for `agent add` and `doctor` to show.
pub fn allowed_tools(commands: &[String]) -> Vec<String> {
    let mut argv = Vec::new();
    add_options(
        &mut argv,
        &Launch {
            prompt_arg: None,
            resume: None,
            allowed_commands: commands,
            git_dirs: &[],
            confined: false,
        },
    );
    argv.into_iter()
        .filter_map(|a| a.strip_prefix("--allowedTools=").map(str::to_owned))
        .collect()
}

fn tokens(usage: &Value) -> Tokens {
    Tokens {
        input: as_u64(usage, "input_tokens"),
        output: as_u64(usage, "output_tokens"),
        cache_read: as_u64(usage, "cache_read_input_tokens"),
        cache_write: as_u64(usage, "cache_creation_input_tokens"),
    }
}

/// Take one JSON line; false when it shows no progress (the CLI retrying a request).
pub(super) fn read(v: &Value, seen: &mut Observed) -> bool {
    if let Some(id) = as_str(v, "session_id") {
        if seen.session_id.as_deref() != Some(id) {
            seen.session_id = Some(id.to_owned());
        }
    }
    match as_str(v, "type") {
        Some("system") if as_str(v, "subtype") == Some("api_retry") => {
            // It retries a refused login for minutes, ten times over: stop it at once.
            let error = as_str(v, "error").unwrap_or("");
            let status = as_u64(v, "error_status");
            if error == "authentication_failed" || status == 401 || status == 403 {
                seen.fatal = Some(format!(
                    "the API refused the agent's credentials ({} {error})",
                    if status > 0 {
                        status.to_string()
                    } else {
                        "HTTP".into()
                    }
                ));
                seen.stop_now = true;
            }
            return false;
        }
        Some("rate_limit_event") => {
            let info = v.get("rate_limit_info").unwrap_or(&Value::Null);
            if as_str(info, "status") == Some("rejected") {
                seen.limit = Some(LimitSeen {
                    resets_at: info.get("resetsAt").and_then(Value::as_f64),
                    kind: as_str(info, "rateLimitType").map(str::to_owned),
                });
            }
        }
        Some("assistant") => {
            let msg = v.get("message").unwrap_or(&Value::Null);
            if let Some(u) = msg.get("usage") {
                seen.partial_tokens.add(&tokens(u));
            }
            if matches!(
                as_str(v, "error"),
                Some("authentication_failed" | "billing_error")
            ) {
                seen.fatal = Some(message_text(msg));
            }
        }
        Some("result") => {
            let message = as_str(v, "result")
                .map(str::to_owned)
                .or_else(|| {
                    v.get("errors").and_then(Value::as_array).map(|e| {
                        e.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                })
                .unwrap_or_default();
            if let Some(u) = v.get("usage") {
                seen.tokens = tokens(u);
            }
            seen.cost_usd = v.get("total_cost_usd").and_then(Value::as_f64);
            let is_error = v.get("is_error").and_then(Value::as_bool).unwrap_or(false);
            if is_error
                && as_str(v, "subtype") == Some("error_during_execution")
                && as_u64(v, "num_turns") == 0
            {
                seen.resume_failed = true;
            }
            seen.result = Some(ResultSeen {
                is_error,
                message,
                api_status: v
                    .get("api_error_status")
                    .and_then(Value::as_u64)
                    .and_then(|s| u16::try_from(s).ok()),
            });
        }
        _ => {}
    }
    true
}

/// The text blocks of a message, joined.
fn message_text(msg: &Value) -> String {
    msg.get("content")
        .and_then(Value::as_array)
        .map(|blocks| {
            blocks
                .iter()
                .filter(|b| as_str(b, "type") == Some("text"))
                .filter_map(|b| as_str(b, "text"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::{Adapter, Observed};

    fn read(lines: &[&str]) -> (Observed, bool) {
        let argv: Vec<String> = ["claude", "-p", "--output-format", "stream-json"]
            .map(String::from)
            .to_vec();
        let mut r = Adapter::detect(&argv).reader();
        let mut stop = false;
        for l in lines {
            stop |= r.line(l).stop;
        }
        (r.into_observed(), stop)
    }

    // Lines as Claude Code 2.1.332 printed them against the scripted server (trimmed).
    const INIT: &str = r#"{"type":"system","subtype":"init","cwd":"/w","session_id":"834c4387-3f7d-4d30-8b4b-4b9433aea9fe","tools":["Bash"],"model":"claude-opus-5-5","permissionMode":"default","apiKeySource":"ANTHROPIC_API_KEY","claude_code_version":"2.1.332"}"#;
    const LIMIT: &str = r#"{"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":1795701629,"rateLimitType":"five_hour","isUsingOverage":false},"uuid":"u","session_id":"84982872-ef24-4762-a6d2-f7d9dd36b50e"}"#;
    const LIMIT_RESULT: &str = r#"{"type":"result","subtype":"success","is_error":true,"num_turns":1,"api_error_status":429,"api_error_type":"rate_limit_error","api_error":"usage_limit_reached","result":"You've hit your 5-hour limit · resets 2pm (UTC)","session_id":"84982872-ef24-4762-a6d2-f7d9dd36b50e","total_cost_usd":0,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}}"#;
    const OK_RESULT: &str = r#"{"type":"result","subtype":"success","is_error":false,"num_turns":1,"api_error_status":null,"result":"Hello.","session_id":"834c4387-3f7d-4d30-8b4b-4b9433aea9fe","total_cost_usd":0.000676,"usage":{"input_tokens":100,"cache_creation_input_tokens":7,"cache_read_input_tokens":5,"output_tokens":12}}"#;
    const AUTH_RETRY: &str = r#"{"type":"system","subtype":"api_retry","attempt":1,"max_retries":10,"retry_delay_ms":546,"error_status":401,"error":"authentication_failed","session_id":"b3"}"#;
    const NET_RETRY: &str = r#"{"type":"system","subtype":"api_retry","attempt":1,"max_retries":10,"retry_delay_ms":573,"error_status":null,"error":"unknown","session_id":"44"}"#;

    #[test]
    fn a_successful_run_gives_session_tokens_and_cost() {
        let (o, stop) = read(&[INIT, "not json", OK_RESULT]);
        assert!(!stop);
        assert_eq!(
            o.session_id.as_deref(),
            Some("834c4387-3f7d-4d30-8b4b-4b9433aea9fe")
        );
        assert_eq!(
            (
                o.tokens.input,
                o.tokens.output,
                o.tokens.cache_read,
                o.tokens.cache_write
            ),
            (100, 12, 5, 7)
        );
        assert_eq!(o.cost_usd, Some(0.000676));
        assert!(!o.result.unwrap().is_error);
    }

    #[test]
    fn a_rejected_limit_gives_its_reset() {
        let (o, stop) = read(&[INIT, LIMIT, LIMIT_RESULT]);
        assert!(!stop);
        let l = o.limit.unwrap();
        assert_eq!(l.resets_at, Some(1795701629.0));
        assert_eq!(l.kind.as_deref(), Some("five_hour"));
        assert_eq!(o.result.unwrap().api_status, Some(429));
    }

    #[test]
    fn a_refused_login_stops_the_agent_but_a_network_retry_does_not() {
        assert!(read(&[INIT, AUTH_RETRY]).1);
        assert!(!read(&[INIT, NET_RETRY]).1);
        assert!(read(&[INIT, NET_RETRY]).0.fatal.is_none());
    }

    #[test]
    fn allowed_tools_name_the_epic_commands() {
        let tools = super::allowed_tools(&["npm test".into(), " ".into()]);
        assert!(tools.contains(&"Bash(git commit:*)".to_owned()));
        assert!(tools.contains(&"Bash(npm test)".to_owned()));
        assert!(tools.contains(&"Bash(npm test:*)".to_owned()));
        assert_eq!(tools.len(), super::GIT_TOOLS.len() + 2);
    }
}
