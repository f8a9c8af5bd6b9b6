//! Agent logs made readable: the JSON lines of a structured agent become its text, its tool
//! calls and their results; any other line is kept as it is. `git epic logs --raw` skips this.

use serde_json::Value;

use super::{as_str, as_u64};

/// The longest a tool call's or result's line gets before it is cut.
const WIDTH: usize = 160;

/// How one line of a log reads; empty for lines that carry nothing for a reader.
pub fn line(raw: &str) -> Vec<String> {
    let t = raw.trim();
    if !t.starts_with('{') {
        return vec![raw.to_owned()];
    }
    let Ok(v) = serde_json::from_str::<Value>(t) else {
        return vec![raw.to_owned()];
    };
    claude(&v)
        .or_else(|| codex(&v))
        .or_else(|| gemini(&v))
        .unwrap_or_else(|| vec![raw.to_owned()])
}

fn cut(s: &str) -> String {
    let one = s.lines().next().unwrap_or("");
    let more = s.lines().nth(1).is_some();
    if one.chars().count() > WIDTH {
        format!("{}…", one.chars().take(WIDTH).collect::<String>())
    } else if more {
        format!("{one} …")
    } else {
        one.to_owned()
    }
}

/// Claude Code's stream-json; `None` for a line of another shape.
fn claude(v: &Value) -> Option<Vec<String>> {
    let out = match as_str(v, "type")? {
        "system" => match as_str(v, "subtype") {
            Some("init") => vec![format!(
                "[session {} · {} · claude {}]",
                as_str(v, "session_id").unwrap_or("?"),
                as_str(v, "model").unwrap_or("?"),
                as_str(v, "claude_code_version").unwrap_or("?")
            )],
            Some("api_retry") => vec![format!(
                "[API request failed ({}), retry {} of {}]",
                as_str(v, "error").unwrap_or("error"),
                as_u64(v, "attempt"),
                as_u64(v, "max_retries")
            )],
            _ => Vec::new(),
        },
        "assistant" | "user" => {
            let blocks = v.get("message")?.get("content")?;
            let mut out = Vec::new();
            if let Some(text) = blocks.as_str() {
                out.push(text.to_owned());
            }
            for b in blocks.as_array().into_iter().flatten() {
                match as_str(b, "type") {
                    Some("text") => {
                        out.extend(as_str(b, "text").unwrap_or("").lines().map(str::to_owned))
                    }
                    Some("tool_use") => out.push(tool_call(b)),
                    Some("tool_result") => out.push(format!("  ⎿ {}", cut(&result_text(b)))),
                    _ => {}
                }
            }
            out
        }
        "rate_limit_event" => {
            let info = v.get("rate_limit_info")?;
            match as_str(info, "status") {
                Some("rejected") => vec![format!(
                    "[rate limit {} reached; resets at Unix time {}]",
                    as_str(info, "rateLimitType").unwrap_or(""),
                    info.get("resetsAt").map_or("?".into(), |r| r.to_string())
                )],
                _ => Vec::new(),
            }
        }
        "result" if v.get("subtype").is_some() || v.get("usage").is_some() => {
            let usage = v.get("usage").unwrap_or(&Value::Null);
            let is_error = v.get("is_error").and_then(Value::as_bool).unwrap_or(false);
            vec![format!(
                "[{}: {} · {} turns · tokens in {} out {} cache read {} write {} · ${:.4}]",
                if is_error { "error" } else { "result" },
                cut(as_str(v, "result").unwrap_or("")),
                as_u64(v, "num_turns"),
                as_u64(usage, "input_tokens"),
                as_u64(usage, "output_tokens"),
                as_u64(usage, "cache_read_input_tokens"),
                as_u64(usage, "cache_creation_input_tokens"),
                v.get("total_cost_usd")
                    .and_then(Value::as_f64)
                    .unwrap_or(0.0)
            )]
        }
        _ => return None,
    };
    Some(out)
}

/// Codex's `exec --json` events; `None` for a line of another shape.
fn codex(v: &Value) -> Option<Vec<String>> {
    let item = v.get("item").unwrap_or(&Value::Null);
    let out = match as_str(v, "type")? {
        "thread.started" => vec![format!(
            "[thread {}]",
            as_str(v, "thread_id").unwrap_or("?")
        )],
        "turn.started" => Vec::new(),
        "item.started" => match as_str(item, "type") {
            Some("command_execution") => vec![format!(
                "→ exec: {}",
                cut(as_str(item, "command").unwrap_or(""))
            )],
            _ => Vec::new(),
        },
        "item.updated" => Vec::new(),
        "item.completed" => match as_str(item, "type") {
            Some("agent_message") => as_str(item, "text")
                .unwrap_or("")
                .lines()
                .map(str::to_owned)
                .collect(),
            Some("reasoning") => vec![format!(
                "(thinking) {}",
                cut(as_str(item, "text").unwrap_or(""))
            )],
            Some("command_execution") => vec![format!(
                "  ⎿ exit {}: {}",
                item.get("exit_code").map_or("?".into(), |c| c.to_string()),
                cut(as_str(item, "aggregated_output").unwrap_or(""))
            )],
            Some("file_change") => item
                .get("changes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|c| {
                    format!(
                        "→ {}: {}",
                        as_str(c, "kind").unwrap_or("change"),
                        as_str(c, "path").unwrap_or("?")
                    )
                })
                .collect(),
            Some("error") => vec![format!(
                "[notice: {}]",
                cut(as_str(item, "message").unwrap_or(""))
            )],
            _ => Vec::new(),
        },
        "error" => vec![format!(
            "[{}]",
            cut(as_str(v, "message").unwrap_or("error"))
        )],
        "turn.completed" => {
            let u = v.get("usage").unwrap_or(&Value::Null);
            vec![format!(
                "[result: tokens in {} (cached {}) out {}]",
                as_u64(u, "input_tokens"),
                as_u64(u, "cached_input_tokens"),
                as_u64(u, "output_tokens")
            )]
        }
        "turn.failed" => vec![format!(
            "[error: {}]",
            cut(v
                .get("error")
                .and_then(|e| as_str(e, "message"))
                .unwrap_or(""))
        )],
        _ => return None,
    };
    Some(out)
}

/// Gemini CLI's stream-json; `None` for a line of another shape. Its answer comes in
/// pieces (`delta`), each shown on its own line.
fn gemini(v: &Value) -> Option<Vec<String>> {
    let out = match as_str(v, "type")? {
        "init" => vec![format!(
            "[session {} · {}]",
            as_str(v, "session_id").unwrap_or("?"),
            as_str(v, "model").unwrap_or("?")
        )],
        "message" if as_str(v, "role") == Some("user") => Vec::new(),
        "message" => vec![as_str(v, "content").unwrap_or("").to_owned()],
        "tool_use" => {
            let p = v.get("parameters").unwrap_or(&Value::Null);
            let what = ["command", "file_path", "path", "pattern"]
                .iter()
                .find_map(|k| as_str(p, k))
                .map_or_else(|| p.to_string(), str::to_owned);
            vec![format!(
                "→ {}: {}",
                as_str(v, "tool_name").unwrap_or("tool"),
                cut(&what)
            )]
        }
        "tool_result" => vec![format!(
            "  ⎿ {}: {}",
            as_str(v, "status").unwrap_or("?"),
            cut(as_str(v, "output").unwrap_or(""))
        )],
        "error" => vec![format!(
            "[{}]",
            cut(as_str(v, "message").unwrap_or("error"))
        )],
        "result" if v.get("stats").is_some() => {
            let st = &v["stats"];
            vec![format!(
                "[{}: {}tokens in {} (cached {}) out {} · {} tool calls]",
                as_str(v, "status").unwrap_or("?"),
                v.get("error")
                    .and_then(|e| as_str(e, "message"))
                    .map_or(String::new(), |m| format!("{} · ", cut(m))),
                as_u64(st, "input_tokens"),
                as_u64(st, "cached"),
                as_u64(st, "output_tokens"),
                as_u64(st, "tool_calls")
            )]
        }
        _ => return None,
    };
    Some(out)
}

fn tool_call(b: &Value) -> String {
    let name = as_str(b, "name").unwrap_or("tool");
    let input = b.get("input").unwrap_or(&Value::Null);
    let what = [
        "command",
        "file_path",
        "path",
        "pattern",
        "url",
        "description",
    ]
    .iter()
    .find_map(|k| as_str(input, k))
    .map(str::to_owned)
    .unwrap_or_else(|| input.to_string());
    format!("→ {name}: {}", cut(&what))
}

fn result_text(b: &Value) -> String {
    match b.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| as_str(p, "text"))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_claude_session_reads_as_text_and_tool_calls() {
        let log = [
            "=== git-epic e: ticket a attempt 1 ===",
            r#"{"type":"system","subtype":"init","session_id":"s1","model":"claude-opus-5-5","claude_code_version":"2.1.332"}"#,
            r#"{"type":"assistant","message":{"content":[{"type":"text","text":"I will write it."},{"type":"tool_use","id":"t","name":"Write","input":{"file_path":"/w/hello.txt","content":"hi"}}]},"session_id":"s1"}"#,
            r#"{"type":"user","message":{"role":"user","content":[{"tool_use_id":"t","type":"tool_result","content":"File created successfully at: /w/hello.txt"}]},"session_id":"s1"}"#,
            r#"{"type":"assistant","message":{"content":[{"type":"tool_use","id":"u","name":"Bash","input":{"command":"npm test","description":"run tests"}}]}}"#,
            r#"{"type":"result","subtype":"success","is_error":false,"num_turns":3,"result":"Done.","total_cost_usd":0.0013,"usage":{"input_tokens":200,"output_tokens":25,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}}"#,
            r#"{"unrelated":true}"#,
        ];
        let out: Vec<String> = log.iter().flat_map(|l| super::line(l)).collect();
        insta::assert_snapshot!(out.join("\n"));
    }

    #[test]
    fn a_gemini_session_reads_as_text_and_tool_calls() {
        let log = [
            r#"{"type":"init","timestamp":"2026-11-26T14:05:34.431Z","session_id":"40c5227c-d053-4c81-9953-e47d85d1ed4c","model":"gemini-2.5-pro"}"#,
            r#"{"type":"message","timestamp":"2026-11-26T14:05:34.432Z","role":"user","content":"commit a file"}"#,
            r#"{"type":"tool_use","timestamp":"2026-11-26T14:05:34.516Z","tool_name":"run_shell_command","tool_id":"t0","parameters":{"command":"git commit -q -m 'gemini commit'","description":"commit"}}"#,
            r#"{"type":"tool_result","timestamp":"2026-11-26T14:05:34.717Z","tool_id":"t0","status":"success","output":"83ad88c gemini commit\nTEST_PASSED"}"#,
            r#"{"type":"message","timestamp":"2026-11-26T14:05:34.738Z","role":"assistant","content":"done","delta":true}"#,
            r#"{"type":"result","timestamp":"2026-11-26T14:05:34.750Z","status":"success","stats":{"total_tokens":240,"input_tokens":200,"output_tokens":14,"cached":80,"input":120,"duration_ms":319,"tool_calls":1}}"#,
        ];
        let out: Vec<String> = log.iter().flat_map(|l| super::line(l)).collect();
        insta::assert_snapshot!(out.join("\n"));
    }

    #[test]
    fn a_codex_thread_reads_as_text_and_commands() {
        let log = [
            r#"{"type":"thread.started","thread_id":"01a21839-98d9-7d50-9570-f9432ae27816"}"#,
            r#"{"type":"turn.started"}"#,
            r#"{"type":"item.started","item":{"id":"item_0","type":"command_execution","command":"/bin/bash -lc 'echo hi > made_by_codex.txt && git status --short'","aggregated_output":"","exit_code":null,"status":"in_progress"}}"#,
            r#"{"type":"item.completed","item":{"id":"item_0","type":"command_execution","command":"/bin/bash -lc 'echo hi > made_by_codex.txt && git status --short'","aggregated_output":"?? made_by_codex.txt\n","exit_code":0,"status":"completed"}}"#,
            r#"{"type":"item.completed","item":{"id":"item_1","type":"file_change","changes":[{"path":"/r/patched.txt","kind":"add"}],"status":"completed"}}"#,
            r#"{"type":"error","message":"Reconnecting... 1/5 (stream disconnected before completion: stream closed before response.completed)"}"#,
            r#"{"type":"item.completed","item":{"id":"item_2","type":"agent_message","text":"Hello from fake server."}}"#,
            r#"{"type":"turn.completed","usage":{"input_tokens":200,"cached_input_tokens":80,"cache_write_input_tokens":0,"output_tokens":20,"reasoning_output_tokens":0}}"#,
        ];
        let out: Vec<String> = log.iter().flat_map(|l| super::line(l)).collect();
        insta::assert_snapshot!(out.join("\n"));
    }
}
