//! Refused inputs: each exits 2 with one clear sentence on stderr and changes nothing.

use crate::support::{ticket, Repo};

/// A repo with an epic `e` and two valid tickets a <- b.
pub(crate) fn base() -> Repo {
    let r = Repo::new();
    r.epic(&["init", "e"]).ok();
    r.epic(&["ticket", "add", "a", "--title", "A"]).ok();
    r.epic(&["ticket", "add", "b", "--deps", "a"]).ok();
    r
}

pub(crate) struct Case {
    pub(crate) name: &'static str,
    pub(crate) setup: fn(&Repo),
    pub(crate) args: &'static [&'static str],
    /// A fragment of the first line of stderr.
    says: &'static str,
}

fn nothing(_: &Repo) {}

pub(crate) const CASES: &[Case] = &[
    Case {
        name: "epic name with ..",
        setup: nothing,
        args: &["init", "a..b"],
        says: "contains `..`",
    },
    Case {
        name: "epic name with /",
        setup: nothing,
        args: &["init", "a/b"],
        says: "contains `/`",
    },
    Case {
        name: "epic name with a space",
        setup: nothing,
        args: &["init", "a b"],
        says: "contains a space",
    },
    Case {
        name: "epic name with leading -",
        setup: nothing,
        args: &["init", "--", "-x"],
        says: "starts with `-`",
    },
    Case {
        name: "existing epic",
        setup: nothing,
        args: &["init", "e"],
        says: "already exists",
    },
    Case {
        name: "existing branch",
        setup: |r| {
            r.git(&["branch", "epic/other"]);
        },
        args: &["init", "other"],
        says: "branch `epic/other` already exists",
    },
    Case {
        name: "unknown base",
        setup: nothing,
        args: &["init", "x", "--base", "nope"],
        says: "`nope` does not name a commit",
    },
    Case {
        name: "tasks dir outside",
        setup: nothing,
        args: &["init", "x", "--tasks-dir", "../t"],
        says: "--tasks-dir `../t`",
    },
    Case {
        name: "absolute worktrees dir",
        setup: nothing,
        args: &["init", "x", "--worktrees-dir", "/tmp/w"],
        says: "--worktrees-dir",
    },
    Case {
        name: "ticket id with space",
        setup: nothing,
        args: &["ticket", "add", "a b"],
        says: "contains a space",
    },
    Case {
        name: "ticket id too long",
        setup: nothing,
        args: &[
            "ticket",
            "add",
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        ],
        says: "longer than 64",
    },
    Case {
        name: "ticket id with ..",
        setup: nothing,
        args: &["ticket", "add", "x..y"],
        says: "contains `..`",
    },
    Case {
        name: "ticket id with /",
        setup: nothing,
        args: &["ticket", "add", "x/y"],
        says: "contains `/`",
    },
    Case {
        name: "duplicate ticket",
        setup: nothing,
        args: &["ticket", "add", "a"],
        says: "Ticket `a` already exists",
    },
    Case {
        name: "ticket id differing only in case",
        setup: nothing,
        args: &["ticket", "add", "A"],
        says: "Ticket `A` differs only in case from `a`",
    },
    Case {
        name: "unknown dep",
        setup: nothing,
        args: &["ticket", "add", "c", "--deps", "a,zz"],
        says: "Unknown dependency `zz`",
    },
    Case {
        name: "self dep",
        setup: nothing,
        args: &["ticket", "add", "c", "--deps", "c"],
        says: "cannot depend on itself",
    },
    Case {
        name: "invalid scope glob",
        setup: nothing,
        args: &["ticket", "add", "c", "--scope", "src/[a"],
        says: "--scope glob `src/[a` is invalid",
    },
    Case {
        name: "invalid forbid glob",
        setup: nothing,
        args: &["ticket", "add", "c", "--forbid", "{a"],
        says: "--forbid glob `{a` is invalid",
    },
    Case {
        name: "agent is a command",
        setup: nothing,
        args: &["ticket", "add", "c", "--agent", "claude --yolo"],
        says: "not a command",
    },
    Case {
        name: "unknown key",
        setup: |r| {
            r.write(
                "tasks/c.md",
                &ticket("title = \"x\"\ncommand = \"rm -rf ~\"", "body"),
            )
        },
        args: &["status"],
        says: "tasks/c.md:3:1: unknown field `command`",
    },
    Case {
        name: "agent_command key",
        setup: |r| r.write("tasks/c.md", &ticket("agent_command = \"sh\"", "body")),
        args: &["graph"],
        says: "unknown field `agent_command`",
    },
    Case {
        name: "bad toml",
        setup: |r| {
            r.write(
                "tasks/c.md",
                &ticket("title = \"x\"\ndeps = [\"a\"", "body"),
            )
        },
        args: &["graph"],
        says: "tasks/c.md:3:",
    },
    Case {
        name: "unknown dep in file",
        setup: |r| r.write("tasks/c.md", &ticket("deps = [\"nope\"]", "body")),
        args: &["plan"],
        says: "tasks/c.md: unknown dependency `nope`",
    },
    Case {
        name: "self dep in file",
        setup: |r| r.write("tasks/c.md", &ticket("deps = [\"c\"]", "body")),
        args: &["ticket", "list"],
        says: "tasks/c.md: ticket `c` depends on itself",
    },
    Case {
        name: "cycle",
        setup: |r| {
            r.write("tasks/x.md", &ticket("deps = [\"y\"]", ""));
            r.write("tasks/y.md", &ticket("deps = [\"z\"]", ""));
            r.write("tasks/z.md", &ticket("deps = [\"x\"]", ""));
        },
        args: &["graph", "--format", "json"],
        says: "dependency cycle x -> y -> z -> x",
    },
    Case {
        name: "duplicate id in subfolders",
        setup: |r| r.write("tasks/wave0/a.md", &ticket("", "")),
        args: &["status"],
        says: "duplicate ticket id `a`",
    },
    Case {
        name: "ids differing only in case",
        setup: |r| r.write("tasks/wave0/A.md", &ticket("", "")),
        args: &["status"],
        says: "ticket id `A` differs only in case from `a`, also in tasks/a.md",
    },
    Case {
        name: "file name is not an id",
        setup: |r| r.write("tasks/my ticket.md", &ticket("", "")),
        args: &["status"],
        says: "the ticket id `my ticket` contains a space",
    },
    Case {
        name: "invalid glob in file",
        setup: |r| r.write("tasks/c.md", &ticket("forbid = [\"a/[\"]", "")),
        args: &["plan"],
        says: "the forbid glob `a/[` is invalid",
    },
    Case {
        name: "no front matter",
        setup: |r| r.write("tasks/c.md", "just text\n"),
        args: &["status"],
        says: "does not start with a `+++`",
    },
    Case {
        name: "broken file blocks ticket add",
        setup: |r| r.write("tasks/c.md", &ticket("scope = 3", "")),
        args: &["ticket", "add", "d"],
        says: "tasks/c.md:2:",
    },
    Case {
        name: "unknown epic",
        setup: nothing,
        args: &["--epic", "nope", "status"],
        says: "no epic named `nope` (known: e)",
    },
    Case {
        name: "unknown graph format",
        setup: nothing,
        args: &["graph", "--format", "svg"],
        says: "invalid value 'svg'",
    },
    Case {
        name: "unknown command",
        setup: nothing,
        args: &["frobnicate"],
        says: "unrecognized subcommand",
    },
    Case {
        name: "agent reset of an unknown profile",
        setup: |r| {
            r.git(&["config", "epicAgent.claude.command", "claude --print"]);
        },
        args: &["agent", "reset", "claud"],
        says:
            "There is no agent profile `claud` (profiles: claude, default). Did you mean `claude`?",
    },
];

#[test]
fn refused_inputs_exit_2_and_change_nothing() {
    assert!(CASES.len() >= 20);
    let mut failures = Vec::new();
    for case in CASES {
        let r = base();
        (case.setup)(&r);
        let before = r.snapshot();
        let out = r.epic(case.args);
        let first = out.stderr.lines().next().unwrap_or_default().to_owned();
        if out.code != 2 {
            failures.push(format!(
                "{}: exit {} (stderr: {})",
                case.name, out.code, out.stderr
            ));
        } else if !first.contains(case.says) {
            failures.push(format!(
                "{}: first line {first:?} does not say {:?}",
                case.name, case.says
            ));
        } else if !first.starts_with("error:") {
            failures.push(format!("{}: {first:?} is not an error line", case.name));
        } else if r.snapshot() != before {
            failures.push(format!("{}: the repository changed", case.name));
        } else if !out.stdout.is_empty() {
            failures.push(format!("{}: printed to stdout: {}", case.name, out.stdout));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_repo_no_epic_and_bare_repo() {
    let r = Repo::new();
    // No epic yet.
    let out = r.epic(&["status"]).code(2);
    assert!(
        out.stderr.starts_with("error: No current epic"),
        "{}",
        out.stderr
    );
    // Not a repository.
    let outside = tempfile::tempdir().unwrap();
    let out = r.epic_in(outside.path(), &["init", "x"], None).code(2);
    assert!(
        out.stderr.contains("is not inside a git repository"),
        "{}",
        out.stderr
    );
    assert!(!outside.path().join(".git").exists());
    // A bare repository.
    let bare = r.dir.path().join("bare.git");
    r.git(&["clone", "-q", "--bare", ".", bare.to_str().unwrap()]);
    let refs = r.git_in(&bare, &["for-each-ref"]);
    let out = r.epic_in(&bare, &["init", "x"], None).code(2);
    assert!(
        out.stderr.contains("is a bare repository"),
        "{}",
        out.stderr
    );
    assert_eq!(r.git_in(&bare, &["for-each-ref"]), refs);
    // A repository without commits.
    let empty = r.dir.path().join("empty");
    r.git(&["init", "-q", empty.to_str().unwrap()]);
    let out = r.epic_in(&empty, &["init", "x"], None).code(2);
    assert!(out.stderr.contains("has no commits yet"), "{}", out.stderr);
    assert_eq!(r.git_in(&empty, &["for-each-ref"]), "");
    // A detached HEAD without --base.
    r.git(&["checkout", "-q", "--detach"]);
    let out = r.epic(&["init", "x"]).code(2);
    assert!(out.stderr.contains("HEAD is detached"), "{}", out.stderr);
}
