//! Agent presets.

use crate::support::{agent, Repo};

#[test]
fn presets_write_profiles_and_a_tool_specific_rate_limit_pattern_applies() {
    let r = Repo::with_agent("commit.sh");
    r.git(&["config", "epic.test", "npm test"]);
    let out = r.epic(&["agent", "add", "claude"]).ok();
    let line = "claude --print --output-format stream-json --verbose --permission-mode acceptEdits";
    assert!(
        out.stdout
            .contains(&format!("epicAgent.claude.command = {line}")),
        "{}",
        out.stdout
    );
    assert_eq!(r.git(&["config", "epicAgent.claude.command"]), line);
    // What the agent may run, and how to allow more.
    assert!(out.stderr.contains("Bash(git commit:*)"), "{}", out.stderr);
    assert!(out.stderr.contains("Bash(npm test:*)"), "{}", out.stderr);
    assert!(out.stderr.contains("--allowedTools="), "{}", out.stderr);
    r.epic(&["agent", "add", "aider", "--name", "fast"]).ok();
    assert_eq!(
        r.git(&["config", "epicAgent.fast.command"]),
        "aider --yes-always --no-pretty --message"
    );
    r.epic(&["agent", "add", "gemini", "--name", "gem"]).ok();
    assert!(r
        .git(&["config", "epicAgent.gem.rateLimitPattern"])
        .contains("resource.?exhausted"));
    let out = r.epic(&["agent", "add", "nope"]).code(2);
    assert!(
        out.stderr.contains("There is no preset `nope` (presets: "),
        "{}",
        out.stderr
    );
    let list = r.epic(&["agent", "list", "--json"]).ok().json();
    let names: Vec<&str> = list["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["claude", "fast", "gem"]);
    assert_eq!(list["presets"].as_array().unwrap().len(), 4);

    // The gemini pattern makes its quota message a rate limit (the default would not).
    r.git(&["config", "epicAgent.gem.command", &agent("quota_once.sh")]);
    r.git(&["config", "epic.rateLimitWait", "1s"]);
    r.git(&["config", "epic.maxAttempts", "1"]);
    r.epic(&["ticket", "add", "A", "--agent", "gem"]).ok();
    let out = r.epic_env(&["run", "A"], &[]).ok();
    assert!(
        out.stderr.contains("A: rate limited, retrying in 1s"),
        "{}",
        out.stderr
    );
    assert_eq!(r.row("A")["rate_limit_waits"], 1);
}
