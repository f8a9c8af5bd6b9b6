//! `git epic split <spec.md>`: a stand-in agent (tests/agents/splitter.sh) first writes a
//! plan with a dependency cycle, then, told of it, one whose wave-0 scopes overlap, then,
//! told of that, a good one; git-epic checks each round and sends the findings back.

use crate::support::Repo;

const SPEC: &str = "# Blocking\n\nA port, its use, and its docs.\n";

fn repo() -> Repo {
    let r = Repo::with_agent("splitter.sh");
    r.write("spec.md", SPEC);
    r
}

#[test]
fn split_sends_findings_back_until_the_plan_is_clean() {
    let r = repo();
    let before = r.snapshot();
    let dry = r.epic_env(&["split", "spec.md", "--dry-run"], &[]).ok();
    assert_eq!(r.snapshot(), before, "a dry run writes nothing");
    let err = &dry.stderr;
    assert!(err.contains("round 1: 3 tickets, 1 finding"), "{err}");
    assert!(err.contains("dependency cycle"), "{err}");
    assert!(err.contains("round 2: 3 tickets, 1 finding"), "{err}");
    assert!(
        err.contains("tickets `docs` and `port` are in the same wave (0) and their scopes overlap"),
        "{err}"
    );
    assert!(err.contains("round 3: 3 tickets, nothing to fix"), "{err}");
    assert!(
        dry.stdout
            .contains("--- docs.md\n+++\ntitle = \"Document the port\"\ndeps = [\"port\"]"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.contains("  wave 0: port\n  wave 1: docs, use"),
        "{}",
        dry.stdout
    );

    // The findings went back to the agent, in its next prompt.
    let second = std::fs::read_to_string(r.fake_dir().join("split-prompt.1")).unwrap();
    assert!(
        second.contains("# Findings") && second.contains("dependency cycle"),
        "{second}"
    );
    let first = std::fs::read_to_string(r.fake_dir().join("split-prompt.0")).unwrap();
    assert!(first.contains("# The spec") && first.contains("A port, its use, and its docs."));

    let out = r.epic_env(&["split", "spec.md"], &[]).ok();
    assert!(
        out.stdout.contains("3 tickets in 2 waves"),
        "{}",
        out.stdout
    );
    assert!(r.read("tasks/docs.md").contains("deps = [\"port\"]"));
    let status = r.git(&["status", "--porcelain", "--untracked-files=all"]);
    assert!(status.contains("?? tasks/docs.md"), "uncommitted: {status}");
    assert_eq!(
        r.epic(&["plan", "--json"]).ok().json()["waves"],
        serde_json::json!([["port"], ["docs", "use"]])
    );
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(r.path().join(".git/epic/e/split.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["rounds"].as_array().unwrap().len(), 3);
    assert!(
        record["tokens"].is_object() && record["cost_usd"].is_number(),
        "{record}"
    );
}

#[test]
fn split_that_stays_broken_writes_nothing() {
    let r = repo();
    r.git(&["config", "epic.maxFixRounds", "0"]);
    let before = r.snapshot();
    let out = r.epic_env(&["split", "spec.md"], &[]).code(1);
    assert!(out.stderr.contains("dependency cycle"), "{}", out.stderr);
    assert!(out.stderr.contains("nothing was written"), "{}", out.stderr);
    assert_eq!(r.snapshot(), before);
    let bad = r.epic(&["split", "no-such.md"]).code(2);
    assert!(
        bad.stderr.contains("no-such.md cannot be read"),
        "{}",
        bad.stderr
    );
}

/// An agent that keeps its session (Claude Code's stream-json): the findings go back to the
/// same session with `--resume`, without the spec again, and its tokens and cost add up.
#[test]
fn split_resumes_the_agents_session_and_counts_its_tokens() {
    let r = Repo::with_agent("splitter.sh");
    r.write("spec.md", SPEC);
    let bin = r.dir.path().join("claude-bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(crate::support::agent("splitter.sh"), bin.join("claude")).unwrap();
    let cmd = format!(
        "{} --print --output-format stream-json --verbose",
        bin.join("claude").display()
    );
    r.git(&["config", "epicAgent.splitter.command", &cmd]);
    let out = r
        .epic_env(&["split", "spec.md", "--agent", "splitter", "--json"], &[])
        .ok()
        .json();
    assert_eq!(out["rounds"].as_array().unwrap().len(), 3, "{out}");
    assert_eq!(out["tokens"]["input"], 300);
    assert_eq!(out["tokens"]["output"], 60);
    assert!(
        (out["cost_usd"].as_f64().unwrap() - 0.03).abs() < 1e-9,
        "{out}"
    );
    let first = std::fs::read_to_string(r.fake_dir().join("split-argv.0")).unwrap();
    assert!(!first.contains("--resume"), "{first:?}");
    for n in [1, 2] {
        let argv = std::fs::read_to_string(r.fake_dir().join(format!("split-argv.{n}"))).unwrap();
        assert!(argv.contains("\0--resume=split-session\0"), "{argv:?}");
        let prompt =
            std::fs::read_to_string(r.fake_dir().join(format!("split-prompt.{n}"))).unwrap();
        assert!(
            prompt.contains("# Findings") && !prompt.contains("# The spec"),
            "{prompt}"
        );
    }
    assert_eq!(
        out["plan"]["waves"],
        serde_json::json!([["port"], ["docs", "use"]])
    );
}
