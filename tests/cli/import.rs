//! `git epic import <tasks.md>` and `git epic ticket list --format tasks-md`.

use crate::support::Repo;

const TASKS: &str = "# Epic: blocking

Wave 0 starts in parallel; D needs A and B.

## A: Create SirenTier interface
Scope: `core/_ports_/**`
Forbid: `infra/**`

### Files to create
- `core/_ports_/siren.tier.ts`

### Exact interface
```ts
## not: a ticket, inside a fence
interface SirenTier {}
```

## B: Create BlockingSchedule types
Scope: `core/schedule/**`

## C: Create selectBlockingSchedule selector
Scope: `core/selectors/**`
Agent: sonnet

## D: Implement AndroidSirenTier
Depends on: A, B
Scope: `infra/android/**`

## E: Create unified listener
Depends on: C

## F: Wire everything
Depends on: D, E
";

fn tickets_json(r: &Repo) -> serde_json::Value {
    let mut v = r.epic(&["ticket", "list", "--json"]).ok().json();
    for t in v.as_array_mut().unwrap() {
        t.as_object_mut().unwrap().remove("path");
    }
    v
}

#[test]
fn tasks_md_becomes_ticket_files_and_comes_back() {
    let r = Repo::new();
    r.epic(&["init", "e"]).ok();
    r.write("tasks.md", TASKS);

    let before = r.snapshot();
    let dry = r.epic(&["import", "tasks.md", "--dry-run"]).ok();
    assert_eq!(r.snapshot(), before, "a dry run writes nothing");
    assert!(dry.stdout.contains("would add"), "{}", dry.stdout);
    assert!(
        dry.stdout.contains("6 tickets in 3 waves"),
        "{}",
        dry.stdout
    );

    let run = r.epic(&["import", "tasks.md"]).ok();
    assert!(run.stdout.contains("  wave 0: A, B, C"), "{}", run.stdout);
    assert!(run.stdout.contains("  wave 2: F"), "{}", run.stdout);
    let a = r.read("tasks/A.md");
    assert!(
        a.contains("## Files to create"),
        "headings come back up a level: {a}"
    );
    assert!(a.contains("## not: a ticket, inside a fence"), "{a}");
    let d = r.read("tasks/D.md");
    assert!(d.contains("deps = [\"A\", \"B\"]"), "{d}");
    let plan = r.epic(&["plan", "--json"]).ok().json();
    assert_eq!(
        plan["waves"],
        serde_json::json!([["A", "B", "C"], ["D", "E"], ["F"]])
    );

    // Written back, then read into another epic: the same tickets.
    let md = r
        .epic(&["ticket", "list", "--format", "tasks-md"])
        .ok()
        .stdout;
    let other = Repo::new();
    other.epic(&["init", "e"]).ok();
    other.write("back.md", &md);
    other.epic(&["import", "back.md"]).ok();
    assert_eq!(tickets_json(&other), tickets_json(&r));
    assert_eq!(other.read("tasks/A.md"), r.read("tasks/A.md"));

    // The same file again changes nothing.
    let again = r.epic(&["import", "tasks.md"]).ok();
    assert_eq!(
        again.stdout.matches("unchanged").count(),
        6,
        "{}",
        again.stdout
    );
}

#[test]
fn reimport_takes_source_changes_and_refuses_both_sided_edits() {
    let r = Repo::new();
    r.epic(&["init", "e"]).ok();
    r.write("tasks.md", TASKS);
    r.epic(&["import", "tasks.md"]).ok();

    // Edited here only: kept. Changed in tasks.md only: updated.
    let b = r
        .read("tasks/B.md")
        .replace("Create BlockingSchedule types", "Edited here");
    r.write("tasks/B.md", &b);
    r.write(
        "tasks.md",
        &TASKS.replace("Create unified listener", "Unified listener v2"),
    );
    let out = r.epic(&["import", "tasks.md"]).ok().stdout;
    assert!(out.contains("B  kept (edited here)"), "{out}");
    assert!(out.contains("E  updated"), "{out}");
    assert!(r.read("tasks/E.md").contains("Unified listener v2"));
    assert!(r.read("tasks/B.md").contains("Edited here"));

    // Changed on both sides: refused, nothing written, and the message says how to choose.
    r.write(
        "tasks.md",
        &TASKS.replace("Create BlockingSchedule types", "Source v2"),
    );
    let before = r.snapshot();
    let err = r.epic(&["import", "tasks.md"]).code(2).stderr;
    assert!(
        err.contains("`B` (tasks/B.md was edited here and its source changed)"),
        "{err}"
    );
    assert!(err.contains("--theirs") && err.contains("--ours"), "{err}");
    assert_eq!(r.snapshot(), before);

    r.epic(&["import", "tasks.md", "--ours"]).ok();
    assert!(r.read("tasks/B.md").contains("Edited here"));
    r.epic(&["import", "tasks.md", "--theirs"]).ok();
    // --ours recorded the source's version as seen, so it is only the file that differs now.
    assert!(r.read("tasks/B.md").contains("Edited here"));
    r.write(
        "tasks.md",
        &TASKS.replace("Create BlockingSchedule types", "Source v3"),
    );
    r.epic(&["import", "tasks.md", "--theirs"]).ok();
    assert!(r.read("tasks/B.md").contains("Source v3"));
}

#[test]
fn bad_tasks_md_is_refused_whole() {
    let r = Repo::new();
    r.epic(&["init", "e"]).ok();
    let before = r.snapshot();
    for (text, says) in [
        (
            "## a: A\nDepends on: b\n## b: B\nDepends on: a\n",
            "dependency cycle",
        ),
        ("## a: A\nDepends on: zz\n", "unknown dependency `zz`"),
        ("## ../../etc/passwd: x\n", "tasks.md:1: the ticket id"),
        ("## a: A\nScope: `a/[b`\n", "scope glob `a/[b` is invalid"),
        ("## a: A\nAgent: claude --yolo\n", "agent profile"),
        ("no tickets\n", "lists no ticket"),
    ] {
        std::fs::write(r.dir.path().join("tasks.md"), text).unwrap();
        let err = r.epic(&["import", "../tasks.md"]).code(2).stderr;
        assert!(err.contains(says), "{text:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert_eq!(r.snapshot(), before, "{text:?}");
    }
    let err = r
        .epic(&["import", "../tasks.md", "--label", "x"])
        .code(2)
        .stderr;
    assert!(err.contains("--label"), "{err}");
}
