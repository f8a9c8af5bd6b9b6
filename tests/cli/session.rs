//! A user's session from init to status.

use crate::support::Repo;

#[test]
fn init_creates_branch_and_config_without_switching() {
    let r = Repo::new();
    let main = r.git(&["rev-parse", "HEAD"]);
    let out = r.epic(&["init", "blocking"]).ok();
    assert!(
        out.stdout
            .contains("Created epic `blocking` on branch epic/blocking from main"),
        "{}",
        out.stdout
    );
    assert_eq!(r.git(&["rev-parse", "epic/blocking"]), main);
    assert_eq!(r.git(&["symbolic-ref", "--short", "HEAD"]), "main");
    assert_eq!(r.git(&["config", "epic.current"]), "blocking");
    assert_eq!(r.git(&["config", "epic.blocking.base"]), "main");
    assert_eq!(r.git(&["config", "epic.blocking.branch"]), "epic/blocking");
    assert_eq!(r.git(&["config", "epic.blocking.tasksDir"]), "tasks");
    assert_eq!(
        r.git(&["config", "epic.blocking.worktreesDir"]),
        "worktrees"
    );
    assert!(r
        .read(".git/info/exclude")
        .lines()
        .any(|l| l == "/worktrees/"));
    // The worktrees dir is out of `git status`.
    r.write("worktrees/x/file", "x");
    assert_eq!(r.git(&["status", "--porcelain"]), "");
}

#[test]
fn init_with_options_and_a_second_epic() {
    let r = Repo::new();
    r.git(&["branch", "develop"]);
    r.epic(&[
        "init",
        "one",
        "--base",
        "develop",
        "--tasks-dir",
        "plan/one",
        "--worktrees-dir",
        ".wt",
    ])
    .ok();
    assert_eq!(r.git(&["config", "epic.one.base"]), "develop");
    assert_eq!(r.git(&["config", "epic.one.tasksDir"]), "plan/one");
    assert!(r.read(".git/info/exclude").lines().any(|l| l == "/.wt/"));
    r.epic(&["init", "two"]).ok();
    assert_eq!(r.git(&["config", "epic.current"]), "two");
    // --epic picks the other one.
    r.epic(&["--epic", "one", "ticket", "add", "a", "--title", "A"])
        .ok();
    assert!(r.path().join("plan/one/a.md").exists());
    r.epic(&["ticket", "add", "b", "--epic", "two"]).ok();
    assert!(r.path().join("tasks/b.md").exists());
}

fn six_tickets(r: &Repo) {
    r.epic(&["init", "e"]).ok();
    r.epic(&[
        "ticket",
        "add",
        "A",
        "--title",
        "Port",
        "--scope",
        "core/ports/**",
    ])
    .ok();
    r.epic(&[
        "ticket",
        "add",
        "B",
        "--title",
        "Adapter",
        "--scope",
        "core/ports/siren.ts",
    ])
    .ok();
    r.epic(&[
        "ticket",
        "add",
        "C",
        "--title",
        "Selector",
        "--scope",
        "core/selectors/*.ts",
    ])
    .ok();
    r.epic(&["ticket", "add", "D", "--deps", "A,B", "--title", "Listener"])
        .ok();
    r.epic(&["ticket", "add", "E", "--deps", "C"]).ok();
    r.epic(&["ticket", "add", "F", "--deps", "D,E", "--title", "Wire up"])
        .ok();
}

#[test]
fn ticket_add_writes_a_file_that_reads_back() {
    let r = Repo::new();
    r.epic(&["init", "e"]).ok();
    r.epic(&[
        "ticket",
        "add",
        "177",
        "--title",
        "Create SirenTier",
        "--scope",
        "core/**",
        "--forbid",
        "ui/**",
        "--agent",
        "sonnet",
    ])
    .ok();
    let text = r.read("tasks/177.md");
    assert!(text.starts_with("+++\n"), "{text}");
    assert!(text.contains("title = \"Create SirenTier\""), "{text}");
    assert!(text.contains("## Expected tests"), "template body: {text}");
    r.epic_stdin(
        &["ticket", "add", "178", "--deps", "177"],
        "## Files to create\n- `x.ts`\n",
    )
    .ok();
    let text = r.read("tasks/178.md");
    assert!(
        text.ends_with("+++\n## Files to create\n- `x.ts`\n"),
        "{text}"
    );
    let list = r.epic(&["ticket", "list", "--json"]).ok().json();
    assert_eq!(list[0]["id"], "177");
    assert_eq!(list[0]["scope"][0], "core/**");
    assert_eq!(list[0]["agent"], "sonnet");
    assert_eq!(list[1]["id"], "178");
    assert_eq!(list[1]["title"], "Files to create");
    assert_eq!(list[1]["wave"], 1);
}

#[test]
fn graph_formats() {
    let r = Repo::new();
    six_tickets(&r);
    let text = r.epic(&["graph"]).ok().stdout;
    assert_eq!(
        text,
        "Wave 0\n  A  Port\n  B  Adapter\n  C  Selector\nWave 1\n  D  Listener  (after A, B)\n  E  E  (after C)\nWave 2\n  F  Wire up  (after D, E)\n"
    );
    let mermaid = r.epic(&["graph", "--format", "mermaid"]).ok().stdout;
    assert!(mermaid.starts_with("flowchart LR\n"));
    assert_eq!(mermaid.matches("subgraph").count(), 3);
    for edge in [
        "t_A --> t_D",
        "t_B --> t_D",
        "t_C --> t_E",
        "t_D --> t_F",
        "t_E --> t_F",
    ] {
        assert!(mermaid.contains(edge), "{edge} in {mermaid}");
    }
    let json = r.epic(&["graph", "--format", "json"]).ok().json();
    assert_eq!(
        json["waves"],
        serde_json::json!([["A", "B", "C"], ["D", "E"], ["F"]])
    );
    assert_eq!(json["edges"].as_array().unwrap().len(), 5);
    assert_eq!(json["nodes"][3]["id"], "D");
    let dot = r.epic(&["graph", "--format", "dot"]).ok().stdout;
    assert!(
        dot.starts_with("digraph epic {") && dot.contains("\"A\" -> \"D\";"),
        "{dot}"
    );
    if which::which("dot").is_ok() {
        let mut cmd = std::process::Command::new("dot");
        cmd.arg("-Tsvg")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(dot.as_bytes())
            .unwrap();
        let svg = child.wait_with_output().unwrap();
        assert!(svg.status.success());
        assert!(String::from_utf8_lossy(&svg.stdout).contains("<svg"));
    } else {
        eprintln!("skipped the dot -Tsvg check: graphviz is not installed (.ci/run installs it)");
    }
}

#[test]
fn plan_shows_critical_path_and_overlaps() {
    let r = Repo::new();
    six_tickets(&r);
    let plan = r.epic(&["plan", "--json"]).ok().json();
    assert_eq!(plan["critical_path"], serde_json::json!(["A", "D", "F"]));
    let overlaps = plan["overlaps"].as_array().unwrap();
    // A (core/ports/**) and B (core/ports/siren.ts) overlap; C (core/selectors/*.ts) is disjoint.
    assert_eq!(overlaps.len(), 1, "{plan}");
    assert_eq!(overlaps[0]["a"], "A");
    assert_eq!(overlaps[0]["b"], "B");
    assert_eq!(overlaps[0]["wave"], 0);
    // D and E share wave 1 with no scope: listed as unscoped, not paired.
    assert_eq!(plan["unscoped"], serde_json::json!(["D", "E"]));
    let text = r.epic(&["plan"]).ok().stdout;
    assert!(
        text.contains("Critical path (3 tickets): A -> D -> F"),
        "{text}"
    );
    assert!(
        text.contains("wave 0: A and B: `core/ports/**` ~ `core/ports/siren.ts`"),
        "{text}"
    );
}

#[test]
fn status_from_init_to_worktrees() {
    let r = Repo::new();
    six_tickets(&r);
    let s = r.epic(&["status", "--json"]).ok().json();
    assert_eq!(s["epic"], "e");
    let states: Vec<&str> = s["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        ["pending", "pending", "pending", "blocked", "blocked", "blocked"]
    );
    assert_eq!(s["totals"]["states"]["pending"], 3);
    assert_eq!(s["totals"]["states"]["blocked"], 3);
    assert_eq!(s["tickets"][0]["dirty"], serde_json::Value::Null);

    // A worktree made by hand, the way the method does it: status reads it.
    r.add_worktree("worktrees/feat-A", "feat/A-port", "epic/e");
    let wt = r.path().join("worktrees/feat-A");
    std::fs::write(wt.join("a.txt"), "a").unwrap();
    r.git_in(&wt, &["add", "a.txt"]);
    r.git_in(&wt, &["commit", "-q", "-m", "a"]);
    std::fs::write(wt.join("new.txt"), "untracked").unwrap();
    // The epic moves on by one commit.
    r.git(&["worktree", "add", "-q", "--detach", "../epic-wt", "epic/e"]);
    let ewt = r.dir.path().join("epic-wt");
    std::fs::write(ewt.join("e.txt"), "e").unwrap();
    r.git_in(&ewt, &["add", "e.txt"]);
    r.git_in(&ewt, &["commit", "-q", "-m", "e"]);
    r.git_in(&ewt, &["push", "-q", ".", "HEAD:epic/e"]);

    let s = r.epic(&["status", "--json"]).ok().json();
    let a = &s["tickets"][0];
    assert_eq!(a["id"], "A");
    assert_eq!(a["ahead"], 1);
    assert_eq!(a["behind"], 1);
    assert_eq!(a["dirty"], true, "an untracked file counts");
    assert_eq!(a["branch"], "feat/A-port");
    assert_eq!(s["totals"]["dirty"], 1);
    std::fs::remove_file(wt.join("new.txt")).unwrap();
    let s = r.epic(&["status", "--json"]).ok().json();
    assert_eq!(s["tickets"][0]["dirty"], false);

    // Works from a subdirectory and from inside a linked worktree.
    std::fs::create_dir_all(r.path().join("sub/dir")).unwrap();
    let from_sub = r
        .epic_in(&r.path().join("sub/dir"), &["status", "--json"], None)
        .ok()
        .json();
    assert_eq!(from_sub["tickets"][0]["ahead"], 1);
    let from_wt = r.epic_in(&wt, &["status", "--json"], None).ok().json();
    assert_eq!(from_wt["tickets"].as_array().unwrap().len(), 6);
    let text = r.epic_in(&wt, &["status"], None).ok().stdout;
    assert!(text.contains("6 tickets: 3 blocked, 3 pending"), "{text}");
}

#[test]
fn status_shows_recorded_state_and_interrupted_runs() {
    let r = Repo::new();
    six_tickets(&r);
    let key = |id: &str| {
        let blob = format!("git-epic ticket\nepic e\nticket {id}\n");
        let mut cmd = std::process::Command::new("git");
        cmd.args(["hash-object", "-w", "--stdin"])
            .current_dir(r.path());
        r.env(&mut cmd);
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(blob.as_bytes())
            .unwrap();
        String::from_utf8(child.wait_with_output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_owned()
    };
    let note = |id: &str, text: &str| {
        r.git(&["notes", "--ref=epic", "add", "-f", "-m", text, &key(id)]);
    };
    note("A", "state = \"merged\"\nattempts = 1\nrun_s = 12.0\n");
    note(
        "B",
        "state = \"merged\"\nattempts = 2\nrate_limit_waits = 1\nrun_s = 30.0\n",
    );
    // A run whose process is gone (pid 2^22+ is never a live pid here) is interrupted.
    note(
        "C",
        "state = \"running\"\nattempts = 1\npid = 4194000\npid_start = 1\nrun_started_at = 1.0\n",
    );
    let s = r.epic(&["status", "--json"]).ok().json();
    let state = |i: usize| s["tickets"][i]["state"].as_str().unwrap().to_owned();
    assert_eq!(
        [state(0), state(1), state(2)],
        ["merged", "merged", "interrupted"]
    );
    assert_eq!(state(3), "pending", "D's deps A and B are merged");
    assert_eq!(state(4), "blocked", "E waits for C");
    assert_eq!(s["totals"]["attempts"], 4);
    assert_eq!(s["totals"]["rate_limit_waits"], 1);
    assert_eq!(s["totals"]["agent_s"], 42.0);
    assert_eq!(s["tickets"][1]["elapsed_s"], 30.0);
}

#[test]
fn ahead_behind_agrees_with_git_across_merges() {
    let r = Repo::new();
    let commit = |msg: &str| {
        r.write(&format!("{msg}.txt"), msg);
        r.git(&["add", "."]);
        r.git(&["commit", "-q", "-m", msg]);
    };
    for i in 0..30 {
        commit(&format!("shared{i}"));
    }
    r.git(&["checkout", "-q", "-b", "side"]);
    commit("s1");
    commit("s2");
    r.git(&["checkout", "-q", "main"]);
    commit("m1");
    r.git(&["merge", "-q", "--no-edit", "side"]);
    commit("m2");
    r.git(&["checkout", "-q", "side"]);
    commit("s3");
    r.git(&["checkout", "-q", "-b", "other", "main~3"]);
    commit("o1");
    let repo = gix::open(r.path()).unwrap();
    let id = |rev: &str| gix::ObjectId::from_hex(r.git(&["rev-parse", rev]).as_bytes()).unwrap();
    for (a, b) in [
        ("main", "side"),
        ("side", "main"),
        ("other", "main"),
        ("main", "main"),
        ("side", "other"),
        ("main~5", "main"),
    ] {
        let git = r.git(&["rev-list", "--left-right", "--count", &format!("{a}...{b}")]);
        let ours = git_epic::infra::gitx::ahead_behind(&repo, id(a), id(b)).unwrap();
        assert_eq!(git, format!("{}\t{}", ours.0, ours.1), "{a}...{b}");
    }
}

#[test]
fn ahead_behind_with_equal_commit_times() {
    let r = Repo::new();
    let commit = |msg: &str| {
        r.write(&format!("{msg}.txt"), msg);
        r.git(&["add", "."]);
        let mut cmd = std::process::Command::new("git");
        cmd.args(["commit", "-q", "-m", msg]).current_dir(r.path());
        r.env(&mut cmd);
        cmd.env("GIT_COMMITTER_DATE", "1700000000 +0000")
            .env("GIT_AUTHOR_DATE", "1700000000 +0000");
        assert!(cmd.status().unwrap().success());
    };
    commit("a");
    r.git(&["checkout", "-q", "-b", "side"]);
    commit("s");
    r.git(&["checkout", "-q", "main"]);
    commit("b");
    r.git(&["merge", "-q", "--no-edit", "side"]);
    commit("c");
    r.git(&["checkout", "-q", "-b", "t", "main"]);
    commit("t");
    let repo = gix::open(r.path()).unwrap();
    let id = |rev: &str| gix::ObjectId::from_hex(r.git(&["rev-parse", rev]).as_bytes()).unwrap();
    for (a, b) in [
        ("t", "main"),
        ("main", "t"),
        ("side", "t"),
        ("t", "side"),
        ("main~1", "t"),
    ] {
        let git = r.git(&["rev-list", "--left-right", "--count", &format!("{a}...{b}")]);
        let ours = git_epic::infra::gitx::ahead_behind(&repo, id(a), id(b)).unwrap();
        assert_eq!(git, format!("{}\t{}", ours.0, ours.1), "{a}...{b}");
    }
}

#[test]
fn status_watch_redraws_until_interrupted() {
    let r = Repo::new();
    r.epic(&["init", "e"]).ok();
    r.epic(&["ticket", "add", "A"]).ok();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_git-epic"));
    cmd.args(["status", "--watch"]).current_dir(r.path());
    r.env(&mut cmd);
    cmd.stdout(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2500));
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.matches("epic e (epic/e from main)").count() >= 2,
        "{text}"
    );
}
