//! Output conventions: every reporting command's --json parses; colour only when asked or
//! on a terminal, and NO_COLOR is honoured.

use crate::support::Repo;

#[test]
fn every_json_output_parses() {
    let r = Repo::with_agent("commit.sh");
    r.epic(&["ticket", "add", "A", "--scope", "src/**"]).ok();
    r.epic(&["ticket", "add", "B", "--deps", "A"]).ok();
    r.epic_env(&["run", "A"], &[]).ok();
    for args in [
        &["ticket", "list", "--json"][..],
        &["graph", "--format", "json"],
        &["plan", "--json"],
        &["status", "--json"],
        &["report", "--json"],
        &["propagate", "--json"],
        &["doctor", "--json"],
        &["agent", "list", "--json"],
    ] {
        let out = r.epic(args);
        assert!(out.code == 0 || out.code == 1, "{args:?}: {}", out.stderr);
        out.json();
    }
}

#[test]
fn the_json_of_commands_that_act_parses_too() {
    let r = Repo::with_agent("commit.sh");
    r.epic(&["ticket", "add", "A"]).ok();
    r.epic(&["ticket", "add", "B"]).ok();
    let run = r.epic_env(&["wave", "start", "--json"], &[]).ok().json();
    assert_eq!(run["done"], serde_json::json!(["A", "B"]));
    let again = r.epic_env(&["run", "A", "--json"], &[]).ok().json();
    assert_eq!(again["skipped"][0]["id"], "A");
    let merged = r.epic(&["merge", "A", "B", "--json"]).ok().json();
    assert_eq!(merged[0]["result"], "merged");
    assert!(merged[1]["commit"].as_str().unwrap().len() == 40);
    let cleaned = r.epic(&["cleanup", "--json"]).ok().json();
    assert_eq!(cleaned.as_array().unwrap().len(), 2);
    let finished = r.epic(&["finish", "--json"]).ok().json();
    assert_eq!(finished["result"], "merged");
    assert_eq!(finished["into"], "main");
}

#[test]
fn colour_only_when_asked_and_never_with_no_color() {
    let r = Repo::with_agent("commit.sh");
    r.epic(&["ticket", "add", "A"]).ok();
    let run = |args: &[&str], no_color: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_git-epic"));
        cmd.args(args).current_dir(r.path());
        r.env(&mut cmd);
        cmd.env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .env("TERM", "xterm-256color");
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        String::from_utf8(cmd.output().unwrap().stdout).unwrap()
    };
    let esc = "\u{1b}[";
    // Piped stdout: no colour by default.
    assert!(!run(&["status"], false).contains(esc));
    assert!(run(&["--color", "always", "status"], false).contains(esc));
    assert!(
        run(&["status", "--color=always"], false).contains(esc),
        "the flag works after the subcommand too"
    );
    assert!(!run(&["status"], true).contains(esc));
    assert!(!run(&["--color", "never", "status"], false).contains(esc));
    // An explicit --color always wins over NO_COLOR.
    assert!(run(&["--color", "always", "status"], true).contains(esc));
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let r = Repo::new();
    r.epic(&["init", "e"]).ok();
    // More output than a pipe holds (64 KiB), so the writer meets the closed pipe.
    for i in 0..200 {
        r.write(&format!("tasks/t{i}.md"), "+++\ntitle = \"a ticket with a title long enough to fill the pipe faster\"\n+++\nbody\n");
    }
    for _ in 0..3 {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_git-epic"));
        cmd.args(["status", "--json"]).current_dir(r.path());
        r.env(&mut cmd);
        cmd.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 10];
        std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
        drop(stdout); // like `| head -c 10`
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            matches!(out.status.code(), Some(0) | Some(141)),
            "{:?}",
            out.status
        );
    }
}
