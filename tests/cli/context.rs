//! `git epic context`: CONTEXT.md written once and committed on the epic.

use crate::support::Repo;

#[test]
fn a_mechanical_context_is_committed_on_the_epic_and_reaches_every_prompt() {
    let r = Repo::with_agent("record.sh");
    r.epic(&[
        "ticket", "add", "A", "--title", "Ports", "--scope", "src/**", "--forbid", "infra/**",
    ])
    .ok();
    r.epic(&["ticket", "add", "B", "--title", "Adapters", "--deps", "A"])
        .ok();
    let main = r.git(&["rev-parse", "HEAD"]);
    let epic = r.git(&["rev-parse", "epic/e"]);
    let out = r.epic(&["context", "--no-agent"]).ok();
    assert!(
        out.stdout.contains("CONTEXT.md committed on epic/e"),
        "{}",
        out.stdout
    );
    let text = r.git(&["show", "epic/e:CONTEXT.md"]);
    for want in [
        "## Folder structure",
        "- **A** Ports (wave 0)",
        "  - changes only: `src/**`",
        "  - must not touch: `infra/**`",
        "- **B** Adapters (wave 1), after A",
        "## Files not to touch",
    ] {
        assert!(text.contains(want), "{want} in:\n{text}");
    }
    assert_eq!(r.git(&["rev-parse", "epic/e~1"]), epic);
    assert_eq!(
        r.git(&["diff", "--name-only", "epic/e~1", "epic/e"]),
        "CONTEXT.md"
    );
    // The user's checkout did not move or change.
    assert_eq!(r.git(&["rev-parse", "HEAD"]), main);
    assert!(!r.path().join("CONTEXT.md").exists());
    // Again: the same text, nothing committed.
    let tip = r.git(&["rev-parse", "epic/e"]);
    let out = r.epic(&["context", "--no-agent"]).ok();
    assert!(out.stdout.contains("nothing to commit"), "{}", out.stdout);
    assert_eq!(r.git(&["rev-parse", "epic/e"]), tip);
    // The ticket's prompt carries it, and its worktree has it.
    r.epic_env(&["run", "A"], &[]).ok();
    let argv = String::from_utf8(std::fs::read(r.fake_dir().join("argv.A")).unwrap()).unwrap();
    assert!(argv.contains("## Context (CONTEXT.md)"), "{argv}");
    assert!(argv.contains("- **A** Ports (wave 0)"), "{argv}");
    assert!(r.path().join("worktrees/feat-A/CONTEXT.md").exists());
}

#[test]
fn an_agent_writes_the_context_and_may_change_nothing_else() {
    let r = Repo::with_agent("commit.sh");
    r.epic(&["ticket", "add", "A"]).ok();
    r.git(&[
        "config",
        "epicAgent.writer.command",
        "sh -c 'printf \"# Context\\nPatterns: ports in core/, adapters beside them\\n\" > CONTEXT.md'",
    ]);
    let out = r.epic(&["context", "--agent", "writer"]).ok();
    assert!(out.stdout.contains("committed"), "{}", out.stdout);
    assert_eq!(
        r.git(&["show", "epic/e:CONTEXT.md"]),
        "# Context\nPatterns: ports in core/, adapters beside them"
    );
    assert!(r.path().join(".git/epic/e/logs/CONTEXT.log").exists());
    // One that also edits README.md: refused, the epic as it was.
    r.git(&[
        "config",
        "epicAgent.messy.command",
        "sh -c 'echo new > CONTEXT.md; echo mine > README.md'",
    ]);
    let tip = r.git(&["rev-parse", "epic/e"]);
    let out = r.epic(&["context", "--agent", "messy"]).code(1);
    assert!(
        out.stderr
            .contains("changed more than CONTEXT.md (README.md)"),
        "{}",
        out.stderr
    );
    assert_eq!(r.git(&["rev-parse", "epic/e"]), tip);
    // The next writer starts from the epic, not from what the messy one left.
    r.epic(&["context", "--agent", "writer"]).ok();
    assert_eq!(r.git(&["rev-parse", "epic/e"]), tip, "same text: unchanged");
}

#[test]
fn an_unknown_context_agent_is_refused() {
    let r = Repo::with_agent("commit.sh");
    let out = r.epic(&["context", "--agent", "nope"]).code(2);
    assert!(
        out.stderr.contains("no agent profile `nope`"),
        "{}",
        out.stderr
    );
    let out = r.epic(&["context", "--agent", "x", "--no-agent"]).code(2);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
}
