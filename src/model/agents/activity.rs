//! What an agent is doing now, in a few words ("editing src/x.rs", "running cargo test",
//! "thinking"), read from the last lines of its log as they arrive: Claude Code's tool
//! calls, Codex's and Gemini's events, the last line of a text agent.

use serde_json::Value;

use super::as_str;

/// The longest step text.
const WIDTH: usize = 48;

/// The agent's current step, from the last lines of its log (oldest first): the step of the
/// last line that tells one. `root`: the worktree, taken off the paths the agent names.
pub fn current(lines: &[String], root: Option<&str>) -> Option<String> {
    lines.iter().rev().find_map(|l| step(l, root))
}

/// The step one line of a log tells, if any.
pub fn step(raw: &str, root: Option<&str>) -> Option<String> {
    let t = raw.trim();
    if t.is_empty() {
        return None;
    }
    if let Some(rest) = t.strip_prefix("=== git-epic") {
        // git-epic's header of an attempt, or its footer once the agent ended.
        return Some(if rest.starts_with(':') {
            "ended".into()
        } else {
            "starting".into()
        });
    }
    if !t.starts_with('{') {
        return Some(cut(t));
    }
    let Ok(v) = serde_json::from_str::<Value>(t) else {
        return Some(cut(t));
    };
    let s = claude(&v, root)
        .or_else(|| codex(&v, root))
        .or_else(|| gemini(&v, root))?;
    (!s.is_empty()).then_some(s)
}

fn cut(s: &str) -> String {
    let one = s.lines().next().unwrap_or("").trim();
    if one.chars().count() > WIDTH {
        format!("{}…", one.chars().take(WIDTH - 1).collect::<String>())
    } else {
        one.to_owned()
    }
}

/// A path as the user reads it: relative to the worktree when inside it.
fn short_path(p: &str, root: Option<&str>) -> String {
    root.and_then(|r| p.strip_prefix(r.trim_end_matches('/')))
        .map(|rest| rest.trim_start_matches('/'))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(p)
        .to_owned()
}

/// A tool call of any family as a step: its kind (edit, read, run, search) and object.
fn tool(name: &str, input: &Value, root: Option<&str>) -> String {
    let lower = name.to_ascii_lowercase();
    let file = ["file_path", "path", "notebook_path", "absolute_path"]
        .iter()
        .find_map(|k| as_str(input, k))
        .map(|p| short_path(p, root));
    let command = as_str(input, "command");
    let pattern = as_str(input, "pattern");
    let text = if let Some(c) = command {
        format!("running {}", c.trim())
    } else if lower.contains("edit") || lower.contains("write") || lower.contains("replace") {
        format!("editing {}", file.unwrap_or_default())
    } else if lower.contains("read") || lower == "view" {
        format!("reading {}", file.unwrap_or_default())
    } else if let Some(p) = pattern {
        format!("searching {p}")
    } else if lower.contains("todo") {
        "planning".into()
    } else if lower.contains("fetch") || lower.contains("search") {
        format!(
            "searching the web{}",
            as_str(input, "url").map_or(String::new(), |u| format!(" {u}"))
        )
    } else {
        match file {
            Some(f) => format!("{name} {f}"),
            None => format!("calling {name}"),
        }
    };
    cut(text.trim())
}

fn claude(v: &Value, root: Option<&str>) -> Option<String> {
    Some(match as_str(v, "type")? {
        "system" => match as_str(v, "subtype") {
            Some("init") => "starting".into(),
            Some("api_retry") => "retrying the API".into(),
            _ => String::new(),
        },
        "assistant" => {
            let blocks = v.get("message")?.get("content")?.as_array()?;
            // The last block is what it does now: a tool call, else it is still thinking.
            match blocks.last() {
                Some(b) if as_str(b, "type") == Some("tool_use") => tool(
                    as_str(b, "name").unwrap_or("tool"),
                    b.get("input").unwrap_or(&Value::Null),
                    root,
                ),
                _ => "thinking".into(),
            }
        }
        // A tool's result went back: the model's turn.
        "user" => "thinking".into(),
        "rate_limit_event" => {
            let info = v.get("rate_limit_info")?;
            match as_str(info, "status") {
                Some("rejected") => "rate limited".into(),
                _ => String::new(),
            }
        }
        "result" if v.get("subtype").is_some() || v.get("usage").is_some() => "finished".into(),
        _ => return None,
    })
}

fn codex(v: &Value, root: Option<&str>) -> Option<String> {
    let item = v.get("item").unwrap_or(&Value::Null);
    Some(match as_str(v, "type")? {
        "thread.started" | "turn.started" => "starting".into(),
        "item.started" | "item.updated" => match as_str(item, "type") {
            Some("command_execution") => cut(&format!(
                "running {}",
                unwrap_shell(as_str(item, "command").unwrap_or(""))
            )),
            Some("file_change") => "editing".into(),
            _ => "thinking".into(),
        },
        "item.completed" => match as_str(item, "type") {
            Some("file_change") => {
                let path = item
                    .get("changes")
                    .and_then(Value::as_array)
                    .and_then(|c| c.last())
                    .and_then(|c| as_str(c, "path"))
                    .unwrap_or("");
                cut(&format!("editing {}", short_path(path, root)))
            }
            _ => "thinking".into(),
        },
        "error" => String::new(),
        "turn.completed" => "finished".into(),
        "turn.failed" => "failed".into(),
        _ => return None,
    })
}

/// Codex runs commands as `/bin/bash -lc '<command>'`: the command is what it does.
fn unwrap_shell(c: &str) -> &str {
    c.split_once(" -lc ")
        .map(|(_, rest)| rest.trim().trim_matches(|q| q == '\'' || q == '"'))
        .unwrap_or(c)
}

fn gemini(v: &Value, root: Option<&str>) -> Option<String> {
    Some(match as_str(v, "type")? {
        "init" => "starting".into(),
        "message" if as_str(v, "role") == Some("user") => "starting".into(),
        "message" => "thinking".into(),
        "tool_use" => tool(
            as_str(v, "tool_name").unwrap_or("tool"),
            v.get("parameters").unwrap_or(&Value::Null),
            root,
        ),
        "tool_result" => "thinking".into(),
        "error" => String::new(),
        "result" if v.get("stats").is_some() => "finished".into(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::{current, step};

    fn of(line: &str) -> Option<String> {
        step(line, Some("/w/feat-a"))
    }

    #[test]
    fn claude_tool_calls_read_as_steps() {
        assert_eq!(
            of(r#"{"type":"assistant","message":{"content":[{"type":"text","text":"ok"},{"type":"tool_use","name":"Edit","input":{"file_path":"/w/feat-a/src/x.rs"}}]}}"#).as_deref(),
            Some("editing src/x.rs")
        );
        assert_eq!(
            of(r#"{"type":"assistant","message":{"content":[{"type":"tool_use","name":"Bash","input":{"command":"cargo test","description":"run tests"}}]}}"#).as_deref(),
            Some("running cargo test")
        );
        assert_eq!(
            of(r#"{"type":"user","message":{"content":[{"type":"tool_result","content":"ok"}]}}"#)
                .as_deref(),
            Some("thinking")
        );
        assert_eq!(
            of(r#"{"type":"result","subtype":"success","usage":{}}"#).as_deref(),
            Some("finished")
        );
        assert_eq!(of(r#"{"type":"system","subtype":"hook"}"#), None);
    }

    #[test]
    fn codex_and_gemini_events_read_as_steps() {
        assert_eq!(
            of(r#"{"type":"item.started","item":{"type":"command_execution","command":"/bin/bash -lc 'npm test'"}}"#).as_deref(),
            Some("running npm test")
        );
        assert_eq!(
            of(r#"{"type":"item.completed","item":{"type":"file_change","changes":[{"path":"/w/feat-a/a.txt","kind":"add"}]}}"#).as_deref(),
            Some("editing a.txt")
        );
        assert_eq!(
            of(r#"{"type":"tool_use","tool_name":"read_file","parameters":{"absolute_path":"/w/feat-a/README.md"}}"#).as_deref(),
            Some("reading README.md")
        );
        assert_eq!(
            of(r#"{"type":"tool_use","tool_name":"run_shell_command","parameters":{"command":"make"}}"#).as_deref(),
            Some("running make")
        );
    }

    #[test]
    fn a_text_agent_is_doing_what_its_last_line_says() {
        let lines = vec![
            "=== git-epic e: ticket a attempt 1 ===".to_owned(),
            "compiling".to_owned(),
            r#"{"type":"system","subtype":"hook"}"#.to_owned(),
            "".to_owned(),
        ];
        assert_eq!(current(&lines, None).as_deref(), Some("compiling"));
        let long = "x".repeat(100);
        assert_eq!(step(&long, None).unwrap().chars().count(), 48);
    }
}
