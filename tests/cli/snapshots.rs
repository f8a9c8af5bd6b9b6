//! What git-epic prints for people, pinned by `insta` snapshots (in `snapshots/`): tables,
//! reports, graphs, reviews, logs, the prompts agents get, every command's `-h` and the
//! errors of bad input. Paths, times, hashes, durations, pids and machine ids are replaced by
//! placeholders ([`normalize`]) so that a snapshot changes only when the output does.
//! After a deliberate change in output: `cargo insta review` (README, "Working on git-epic").

use std::path::Path;
use std::process::Command;

use crate::support::{agent, normalize, Repo, Run};

/// `insta::assert_snapshot!` of `text` as `snapshots/<name>.snap` (`<name>@<suffix>.snap`
/// with a suffix), described by `what` (the command that printed it) in the file's header.
fn snap(name: &str, suffix: Option<&str>, what: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(what);
    settings.set_snapshot_suffix(suffix.unwrap_or_default());
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// A command's output as a snapshot shows it: stdout, then stderr and the exit code when
/// there are any, normalised.
fn shown(out: &Run, r: &Repo) -> String {
    let mut text = out.stdout.clone();
    if !out.stderr.is_empty() {
        text.push_str("----- stderr -----\n");
        text.push_str(&out.stderr);
    }
    if out.code != 0 {
        text.push_str(&format!("----- exit {} -----\n", out.code));
    }
    normalize(&text, r)
}

/// `git epic <args>` with a fixed terminal width, snapshotted as `name` (stdout, stderr, exit).
#[track_caller]
fn snap_epic(r: &Repo, name: &str, args: &[&str]) -> Run {
    let out = r.epic_env(args, &[("COLUMNS", "120")]);
    snap(
        name,
        None,
        &format!("git epic {}", args.join(" ")),
        &shown(&out, r),
    );
    out
}

/// The same, stdout only (for commands whose progress lines on stderr come in any order).
#[track_caller]
fn snap_stdout(r: &Repo, name: &str, args: &[&str]) -> Run {
    let out = r.epic_env(args, &[("COLUMNS", "120")]);
    snap(
        name,
        None,
        &format!("git epic {} (stdout)", args.join(" ")),
        &normalize(&out.stdout, r),
    );
    out
}

#[test]
fn init_and_ticket_add() {
    let r = Repo::new();
    snap_epic(&r, "init", &["init", "e"]);
    snap_epic(
        &r,
        "ticket_add",
        &["ticket", "add", "A", "--title", "Create the port"],
    );
}

#[test]
fn graph_in_every_format() {
    let r = Repo::with_tickets("steady.sh");
    for format in ["text", "mermaid", "dot", "json"] {
        snap_epic(
            &r,
            &format!("graph_{format}"),
            &["graph", "--format", format],
        );
    }
}

#[test]
fn plan_and_ticket_list() {
    let r = Repo::with_tickets("steady.sh");
    snap_epic(&r, "plan", &["plan"]);
    snap_epic(&r, "ticket_list", &["ticket", "list"]);
}

#[test]
fn import_of_a_tasks_md_and_its_way_back() {
    let r = Repo::new();
    r.epic(&["init", "e"]).ok();
    r.write(
        "tasks.md",
        "# Epic\n\n## A: Create the port\nScope: `core/**`\n\n### Files to create\n- `core/port.ts`\n\n## B: Use it\nDepends on: A\nScope: `app/**`\n",
    );
    snap_epic(
        &r,
        "import_tasks_md_dry_run",
        &["import", "tasks.md", "--dry-run"],
    );
    snap_epic(&r, "import_tasks_md", &["import", "tasks.md"]);
    snap_epic(
        &r,
        "ticket_list_tasks_md",
        &["ticket", "list", "--format", "tasks-md"],
    );
}

#[test]
fn import_of_github_issues() {
    let r = Repo::new();
    r.epic(&["init", "e"]).ok();
    let bin = r.dir.path().join("forgebin");
    let state = r.dir.path().join("forge");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(state.join("issues")).unwrap();
    let stand_in = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/forge/gh");
    std::os::unix::fs::symlink(stand_in, bin.join("gh")).unwrap();
    for (n, title, body) in [
        (1, "Create the port", "Types only."),
        (2, "Use the port", "Depends on #1"),
        (3, "Document it", "Depends on #2\nBlocked by #40"),
    ] {
        let issue = serde_json::json!({"number": n, "title": title, "body": body, "labels": [{"id": "LA_1", "name": "epic", "description": "", "color": "ededed"}], "state": "OPEN", "url": format!("https://github.com/acme/shop/issues/{n}")});
        std::fs::write(state.join(format!("issues/{n}.json")), issue.to_string()).unwrap();
    }
    let path = r.path_without("no-such-tool", Some(&bin));
    for (name, args) in [
        (
            "import_github_dry_run",
            &["import", "github", "--label", "epic", "--dry-run"][..],
        ),
        (
            "import_github",
            &["import", "github", "--label", "epic"][..],
        ),
    ] {
        let out = r.epic_env(
            args,
            &[
                ("COLUMNS", "120"),
                ("PATH", &path),
                ("FAKE_FORGE", state.to_str().unwrap()),
            ],
        );
        snap(
            name,
            None,
            &format!("git epic {}", args.join(" ")),
            &shown(&out, &r),
        );
    }
}

#[test]
fn split_rounds_and_plan() {
    let r = Repo::with_agent("splitter.sh");
    r.write("spec.md", "# Blocking\n");
    snap_epic(&r, "split_dry_run", &["split", "spec.md", "--dry-run"]);
}

#[test]
fn status_of_an_epic_without_tickets_and_before_any_run() {
    let r = Repo::with_agent("steady.sh");
    snap_epic(&r, "status_no_tickets", &["status"]);
    let r = Repo::with_tickets("steady.sh");
    snap_epic(&r, "status_pending", &["status"]);
}

/// A merged, B done, C failed, D blocked, E pending: the status table and its totals, the
/// report, the logs and the review of what ran.
#[test]
fn status_report_logs_and_review_after_runs() {
    let r = Repo::with_tickets("steady.sh");
    r.git(&["config", "epic.maxAttempts", "1"]);
    r.epic(&["ticket", "add", "E", "--title", "Left for later"])
        .ok();
    snap_epic(&r, "run_progress", &["run", "A"]);
    snap_epic(&r, "merge", &["merge", "A"]);
    r.epic_env(&["run", "B"], &[]).ok();
    r.git(&["config", "epic.agent", &agent("fail.sh")]);
    snap_epic(&r, "run_failed", &["run", "C"]);
    snap_epic(&r, "status_after_runs", &["status"]);
    snap_epic(&r, "report", &["report"]);
    snap_epic(&r, "logs_plain", &["logs", "B"]);
    snap_epic(&r, "logs_failed", &["logs", "C", "-n", "2"]);
    snap_epic(&r, "review", &["review", "B"]);
    snap_epic(&r, "review_patch", &["review", "B", "-p"]);
}

/// A test gate that fails the same way for every ticket of a wave: one shared failure.
#[test]
fn review_of_a_wave_with_a_shared_failure() {
    let r = Repo::with_agent("steady.sh");
    r.git(&["config", "epic.maxFixRounds", "0"]);
    for id in ["A", "B"] {
        r.epic(&["ticket", "add", id, "--title", id]).ok();
    }
    r.epic_env(&["wave", "start", "0", "-j", "1"], &[]).ok();
    r.git(&[
        "config",
        "epic.test",
        "echo building; echo 'error: test cart::total failed at src/cart.rs:42'; exit 1",
    ]);
    snap_epic(&r, "merge_rejected", &["merge", "A"]);
    r.epic(&["merge", "B"]).code(1);
    snap_epic(&r, "review_wave", &["review", "--wave", "0"]);
}

/// Claude Code's JSON stream (a stand-in `claude`): its log reads as text and tool calls,
/// and status counts its tokens and cost.
#[test]
fn logs_and_status_of_a_claude_stream() {
    let r = Repo::with_agent("steady.sh");
    r.git(&["config", "epic.agent", &r.stand_in_claude()]);
    r.epic(&["ticket", "add", "A", "--title", "A"]).ok();
    r.epic_env(&["run", "A"], &[]).ok();
    snap_epic(&r, "logs_claude", &["logs", "A"]);
    snap_epic(&r, "status_claude", &["status"]);
}

/// A merged, then the epic changes README.md: B is dirty (skipped), C rewrote README.md
/// (conflict), D rebases; lint-fix and test run where the rebase went through.
#[test]
fn propagate_table() {
    let r = Repo::with_agent("steady.sh");
    r.git(&[
        "config",
        "epicAgent.readme.command",
        "sh -c 'echo \"$EPIC_TICKET was here\" > README.md && git commit -qam \"$EPIC_TICKET: readme\"'",
    ]);
    r.git(&["config", "epic.maxFixRounds", "0"]);
    for (id, profile) in [("A", None), ("B", None), ("C", Some("readme")), ("D", None)] {
        let mut args = vec!["ticket", "add", id, "--title", id];
        if let Some(p) = profile {
            args.extend(["--agent", p]);
        }
        r.epic(&args).ok();
    }
    r.epic_env(&["wave", "start", "-j", "1"], &[]).ok();
    r.epic(&["merge", "A"]).ok();
    r.git(&["worktree", "add", "-q", "--detach", "../epic-wt", "epic/e"]);
    let ewt = r.dir.path().join("epic-wt");
    std::fs::write(ewt.join("README.md"), "the epic's readme\n").unwrap();
    r.git_in(&ewt, &["commit", "-qam", "epic readme"]);
    r.git_in(&ewt, &["push", "-q", ".", "HEAD:epic/e"]);
    std::fs::write(r.path().join("worktrees/feat-B/B.txt"), "not committed\n").unwrap();
    r.git(&["config", "epic.lintFix", "true"]);
    r.git(&["config", "epic.test", "test -f D.txt"]);
    snap_stdout(&r, "propagate", &["propagate"]);
}

#[test]
fn doctor() {
    let r = Repo::with_agent("steady.sh");
    r.epic(&["ticket", "add", "A"]).ok();
    r.epic(&["ticket", "add", "B", "--agent", "ghost"]).ok();
    // Only git, sh and git-epic on PATH: gh, glab and tmux are missing on every machine;
    // and Landlock too (whether the kernel has it varies).
    let path = r.minimal_path();
    let no_landlock = ("GIT_EPIC_LANDLOCK", "off");
    let out = r.epic_env(&["doctor"], &[("PATH", &path), no_landlock]);
    snap("doctor", None, "git epic doctor", &shown(&out, &r));
    let r = Repo::new();
    let out = r.epic_env(&["doctor"], &[("PATH", &path)]);
    snap(
        "doctor_outside_an_epic",
        None,
        "git epic doctor (no epic)",
        &shown(&out, &r),
    );
}

#[test]
fn agent_add_and_list() {
    let r = Repo::with_agent("steady.sh");
    r.git(&["config", "epic.test", "cargo test"]);
    // No agent CLI on PATH, whatever this machine has installed.
    let path = r.minimal_path();
    let out = r.epic_env(&["agent", "add", "claude"], &[("PATH", &path)]);
    snap(
        "agent_add",
        None,
        "git epic agent add claude",
        &shown(&out, &r),
    );
    r.epic(&["agent", "add", "aider", "--name", "fast"]).ok();
    let out = r.epic_env(&["agent", "list"], &[("PATH", &path)]);
    snap("agent_list", None, "git epic agent list", &shown(&out, &r));
}

/// What `wave start --dry-run` would run, then `cleanup` and `finish` once all is merged.
#[test]
fn dry_run_cleanup_and_finish() {
    let r = Repo::with_tickets("steady.sh");
    snap_epic(&r, "wave_start_dry_run", &["wave", "start", "--dry-run"]);
    r.epic_env(&["wave", "start", "--all", "--auto-merge", "-j", "1"], &[])
        .ok();
    snap_epic(&r, "cleanup", &["cleanup", "--branches"]);
    snap_epic(&r, "finish", &["finish"]);
}

/// The prompt an agent gets: the ticket's body, its scope lock and CONTEXT.md.
#[test]
fn the_prompt_sent_to_an_agent() {
    let r = Repo::with_tickets("record.sh");
    r.git(&["worktree", "add", "-q", "../epic-wt", "epic/e"]);
    let ewt = r.dir.path().join("epic-wt");
    std::fs::write(
        ewt.join("CONTEXT.md"),
        "# Context\n\nPorts live in src/port/, adapters in src/app/.\n",
    )
    .unwrap();
    r.git_in(&ewt, &["add", "CONTEXT.md"]);
    r.git_in(&ewt, &["commit", "-qm", "context"]);
    r.git(&["worktree", "remove", "../epic-wt"]);
    r.epic_env(&["run", "A"], &[]).ok();
    r.epic(&["merge", "A"]).ok();
    r.epic_env(&["run", "B"], &[]).ok();
    let argv = std::fs::read(r.fake_dir().join("argv.B")).unwrap();
    let argv = String::from_utf8(argv).unwrap();
    let prompt = argv.trim_end_matches('\0').rsplit('\0').next().unwrap();
    snap(
        "prompt",
        None,
        "the prompt of ticket B (the agent's last argument)",
        &normalize(prompt, &r),
    );
}

/// A fix round's prompt: the ticket's, then the failing lines of the gate.
#[test]
fn the_fix_prompt_and_the_review_prompt() {
    let r = Repo::with_agent("fixer.sh");
    r.git(&[
        "config",
        "epic.test",
        "echo 'Compiling the project'; echo 'warning: something unrelated'; for f in *.txt; do if grep -q broken \"$f\"; then echo \"error: $f is broken\"; echo 'note: it was fine yesterday'; exit 1; fi; done; echo 'all good'",
    ]);
    r.epic(&["ticket", "add", "A", "--title", "A"]).ok();
    r.epic_env(&["run", "A"], &[]).ok();
    r.epic(&["merge", "A"]).code(1);
    r.epic_env(&["run", "A"], &[]).ok();
    let fake = r.fake_dir();
    let prompt = std::fs::read_to_string(fake.join("prompt.A.2")).unwrap();
    snap(
        "fix_prompt",
        None,
        "the prompt of ticket A's fix round",
        &normalize(&prompt, &r),
    );
    r.epic(&[
        "review",
        "A",
        "--request-changes",
        "-m",
        "Use the `Clock` port, not Date.now().",
    ])
    .ok();
    r.epic_env(&["run", "A"], &[]).ok();
    let prompt = std::fs::read_to_string(fake.join("prompt.A.3")).unwrap();
    snap(
        "review_prompt",
        None,
        "the prompt of ticket A after review --request-changes",
        &normalize(&prompt, &r),
    );
}

/// Two machines share the epic through a remote: what sync says, and status's HOST column.
#[test]
fn sync_and_status_across_machines() {
    let r = Repo::new();
    let remote = r.published_as(Some("alpha"));
    let beta = r.machine_as(&remote, "beta", Some("beta"));
    assert_eq!(r.epic_in(&beta, &["run", "A"], None).code, 0);
    assert_eq!(r.epic_in(&beta, &["merge", "A"], None).code, 0);
    snap_epic(&r, "sync", &["sync"]);
    snap_epic(&r, "status_hosts", &["status"]);
}

/// `git-epic <command> -h` for every command people can run, one snapshot each.
#[test]
fn help_of_every_command() {
    fn walk(cmd: &clap::Command, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(path.clone());
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            if sub.get_name() == "help" {
                continue;
            }
            path.push(sub.get_name().to_owned());
            walk(sub, path, out);
            path.pop();
        }
    }
    let mut paths = Vec::new();
    walk(&git_epic::cli::command(), &mut Vec::new(), &mut paths);
    assert!(paths.len() > 25, "{paths:?}");
    for path in paths {
        let out = Command::new(env!("CARGO_BIN_EXE_git-epic"))
            .args(&path)
            .arg("-h")
            .env("NO_COLOR", "1")
            .env("TERM", "dumb")
            .env("COLUMNS", "120")
            .output()
            .unwrap();
        assert!(out.status.success(), "{path:?}");
        let name = if path.is_empty() {
            "git-epic".to_owned()
        } else {
            path.join("-")
        };
        snap(
            "help",
            Some(&name),
            &format!("git-epic {} -h", path.join(" ")),
            &String::from_utf8(out.stdout).unwrap(),
        );
    }
}

/// A case's name as a file name: `epic name with ..` -> `epic-name-with-dotdot`.
fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        match c {
            c if c.is_ascii_alphanumeric() => s.push(c.to_ascii_lowercase()),
            ' ' => s.push('-'),
            '.' => s.push_str("dot"),
            '/' => s.push_str("slash"),
            '-' => s.push_str("dash"),
            _ => s.push('_'),
        }
    }
    s
}

/// The whole of what each refused input of `bad_input.rs` prints on stderr.
#[test]
fn errors_of_bad_input() {
    let mut seen = std::collections::HashSet::new();
    for case in crate::bad_input::CASES {
        let name = slug(case.name);
        assert!(seen.insert(name.clone()), "two cases are named {name}");
        let r = crate::bad_input::base();
        (case.setup)(&r);
        let out = r.epic(case.args);
        snap(
            "bad_input",
            Some(&name),
            &format!("{}: git epic {}", case.name, case.args.join(" ")),
            &shown(&out, &r),
        );
    }
}

/// The errors of a directory that is no repository, a bare one, one with no commits, a
/// detached HEAD, and a repository without an epic.
#[test]
fn errors_outside_a_usable_repository() {
    let r = Repo::new();
    let mut text = String::new();
    let mut show = |what: &str, dir: &Path, args: &[&str]| {
        let out = r.epic_in(dir, args, None);
        text.push_str(&format!("===== {what}: git epic {}\n", args.join(" ")));
        text.push_str(&shown(&out, &r));
    };
    show("no epic", &r.path(), &["status"]);
    let outside = r.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    show("not a repository", &outside, &["init", "x"]);
    let bare = r.dir.path().join("bare.git");
    r.git(&["clone", "-q", "--bare", ".", bare.to_str().unwrap()]);
    show("a bare repository", &bare, &["init", "x"]);
    let empty = r.dir.path().join("empty");
    r.git(&["init", "-q", empty.to_str().unwrap()]);
    show("no commits", &empty, &["init", "x"]);
    r.git(&["checkout", "-q", "--detach"]);
    show("detached HEAD", &r.path(), &["init", "x"]);
    snap(
        "errors_outside_a_usable_repository",
        None,
        "git epic in places it cannot work",
        &text,
    );
}
