//! Worktrees ready to work in: submodules from the main checkout, the ignored files
//! `.worktreeinclude` names carried over, and `epic.setup` run once, in ticket and queue
//! worktrees alike.

use std::path::{Path, PathBuf};

use crate::support::{agent, Repo};

/// A project shaped like most real ones, with an epic `e` run by the stand-in `agent_name`
/// and one ticket A: a submodule `vendor/lib` (s.txt) with a nested one `nested` (n.txt),
/// both from repositories that are gone by the time the epic runs (only the main checkout
/// has them, so nothing can be fetched); an ignored `.env` and an ignored
/// `node_modules/dep`, listed in `.worktreeinclude` with `config/`, where `config/app.json`
/// is tracked and changed in the main checkout without a commit; and `epic.setup` running
/// tests/agents/setup.sh.
fn ready_project(agent_name: &str) -> Repo {
    let r = Repo::new();
    let upstream = r.dir.path().join("upstream");
    let file_ok = ["-c", "protocol.file.allow=always"];
    for (name, file) in [("nested", "n.txt"), ("lib", "s.txt")] {
        let dir = upstream.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        r.git_in(&dir, &["init", "-q"]);
        std::fs::write(dir.join(file), format!("{name}\n")).unwrap();
        if name == "lib" {
            let nested = upstream.join("nested");
            let mut args = file_ok.to_vec();
            args.extend(["submodule", "add", "-q", nested.to_str().unwrap(), "nested"]);
            r.git_in(&dir, &args);
        }
        r.git_in(&dir, &["add", "."]);
        r.git_in(&dir, &["commit", "-q", "-m", name]);
    }
    let lib = upstream.join("lib");
    let mut args = file_ok.to_vec();
    args.extend([
        "submodule",
        "add",
        "-q",
        lib.to_str().unwrap(),
        "vendor/lib",
    ]);
    r.git(&args);
    let mut args = file_ok.to_vec();
    args.extend(["submodule", "update", "--init", "--recursive", "-q"]);
    r.git(&args);
    r.write(".gitignore", ".env\nnode_modules/\n.setup-ran\n");
    r.write(".worktreeinclude", ".env\nnode_modules/\nconfig/\n");
    r.write("config/app.json", "{\"committed\": true}\n");
    r.git(&["add", "."]);
    r.git(&["commit", "-q", "-m", "a project with a submodule"]);
    r.write(".env", "SECRET=1\n");
    r.write("node_modules/dep/index.js", "dep\n");
    r.write("config/app.json", "{\"uncommitted\": true}\n");
    std::fs::rename(&upstream, r.dir.path().join("upstream-gone")).unwrap();
    r.epic(&["init", "e"]).ok();
    r.git(&["config", "epic.agent", &agent(agent_name)]);
    r.git(&["config", "epic.stagger", "0"]);
    r.git(&["config", "epic.retryWait", "0"]);
    r.git(&["config", "epic.setup", &agent("setup.sh")]);
    std::fs::create_dir_all(r.fake_dir()).unwrap();
    r.epic_stdin(&["ticket", "add", "A", "--title", "A"], "Do A.\n")
        .ok();
    r
}

/// The lines of `$FAKE_DIR/<name>`.
fn fake_lines(r: &Repo, name: &str) -> Vec<String> {
    std::fs::read_to_string(r.fake_dir().join(name))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn worktree(r: &Repo) -> PathBuf {
    r.path().join("worktrees/feat-A")
}

/// The setup runs noted in `$FAKE_DIR/setups` that ran in `dir`.
fn setups_in(r: &Repo, dir: &Path) -> usize {
    let dir = std::fs::canonicalize(dir).unwrap();
    fake_lines(r, "setups")
        .iter()
        .filter(|l| std::fs::canonicalize(l).is_ok_and(|p| p == dir))
        .count()
}

#[test]
fn the_agent_finds_submodules_carried_files_and_setup_in_its_worktree() {
    let r = ready_project("ready.sh");
    r.epic_env(&["run", "A"], &[]).ok();
    let seen = fake_lines(&r, "seen.A");
    assert_eq!(
        seen,
        [
            "env=SECRET=1",
            "dep=dep",
            "lib=lib",
            "nested=nested",
            "setup=yes",
            // Tracked files come from the branch, never from the main checkout.
            "config={\"committed\": true}",
        ],
        "what the agent saw"
    );
    // The agent changed its copy: the user's is untouched.
    assert_eq!(r.read(".env"), "SECRET=1\n");
    assert_eq!(
        std::fs::read_to_string(worktree(&r).join(".env")).unwrap(),
        "CHANGED_BY_AGENT=1\n"
    );
    let meta = std::fs::symlink_metadata(worktree(&r).join("node_modules/dep/index.js")).unwrap();
    assert!(meta.file_type().is_file(), "a copy, not a link");
    let log = r.log("A");
    assert!(log.contains("2 submodule(s) checked out"), "{log}");
    assert!(log.contains("carried 2 ignored file(s)"), "{log}");
    assert!(log.contains("=== git-epic: setup `"), "{log}");
    assert!(log.contains("installing dependencies"), "{log}");
    // The submodule's clone points where the main checkout's does, not at its copy.
    let url = r.git_in(
        &worktree(&r).join("vendor/lib"),
        &["remote", "get-url", "origin"],
    );
    assert!(url.ends_with("upstream/lib"), "{url}");
}

#[test]
fn setup_runs_once_per_worktree_across_a_retry() {
    let r = ready_project("ready.sh");
    r.git(&["config", "epic.maxAttempts", "2"]);
    r.epic_env(&["run", "A"], &[("FAKE_FAIL_ONCE", "1")]).ok();
    assert_eq!(r.row("A")["state"], "done");
    assert_eq!(fake_lines(&r, "seen.A").len(), 12, "two attempts ran");
    assert_eq!(
        setups_in(&r, &worktree(&r)),
        1,
        "{:?}",
        fake_lines(&r, "setups")
    );
}

#[test]
fn a_red_setup_stops_the_ticket_without_spending_an_attempt_and_the_next_run_tries_again() {
    let r = ready_project("ready.sh");
    let out = r
        .epic_env(&["run", "A"], &[("FAKE_SETUP_EXIT", "3")])
        .code(1);
    let row = r.row("A");
    assert_eq!(row["state"], "pending", "{row}");
    assert_eq!(row["attempts"], 0, "{row}");
    let reason = row["reason"].as_str().unwrap();
    assert!(reason.contains("epic.setup failed"), "{reason}");
    assert!(reason.contains("exit code 3"), "{reason}");
    assert!(
        out.stdout.contains("epic.setup failed") || out.stderr.contains("epic.setup failed"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert!(
        fake_lines(&r, "seen.A").is_empty(),
        "the agent never started"
    );
    assert!(r.log("A").contains("error: the registry is unreachable"));
    r.epic_env(&["run", "A"], &[]).ok();
    assert_eq!(r.row("A")["state"], "done");
    assert_eq!(r.row("A")["attempts"], 1);
    assert_eq!(setups_in(&r, &worktree(&r)), 2);
}

#[test]
fn the_merged_result_test_that_needs_them_passes_in_the_queue_scratch_worktree() {
    let r = ready_project("ready.sh");
    r.git(&["config", "epic.maxFixRounds", "0"]);
    r.git(&[
        "config",
        "epic.test",
        "test -f .env && test -f node_modules/dep/index.js && test -f vendor/lib/nested/n.txt && test -f .setup-ran",
    ]);
    r.epic_env(&["wave", "start", "--all", "--auto-merge"], &[])
        .ok();
    assert_eq!(r.row("A")["state"], "merged", "{}", r.log("A"));
    let queue = r.path().join(".git/epic/queue/e");
    let scratch: Vec<PathBuf> = std::fs::read_dir(&queue)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    assert!(!scratch.is_empty());
    assert!(scratch.iter().all(|s| setups_in(&r, s) == 1));
    // What was carried goes with the worktrees.
    r.epic(&["cleanup"]).ok();
    assert!(!worktree(&r).exists());
    assert!(!queue.join("0").exists());
}

#[test]
fn a_submodule_that_cannot_be_had_is_named_before_any_agent_starts() {
    let r = ready_project("ready.sh");
    // The main checkout no longer has the submodule, and its URL is gone.
    r.git(&["submodule", "deinit", "-q", "--force", "vendor/lib"]);
    std::fs::remove_dir_all(r.path().join(".git/modules/vendor/lib")).unwrap();
    r.epic_env(&["run", "A"], &[]).code(1);
    let row = r.row("A");
    assert_eq!(row["state"], "pending", "{row}");
    let reason = row["reason"].as_str().unwrap();
    assert!(reason.contains("submodule vendor/lib"), "{reason}");
    assert!(
        fake_lines(&r, "seen.A").is_empty(),
        "the agent never started"
    );
}

#[test]
fn a_carry_cut_off_is_done_again_by_the_next_command() {
    let r = ready_project("ready.sh");
    r.epic_env(&["run", "A"], &[("FAKE_SETUP_EXIT", "1")])
        .code(1);
    // As a git epic killed in the middle of the copy leaves it: a file half written and
    // the worktree still marked as not ready.
    let wt = worktree(&r);
    std::fs::write(wt.join("node_modules/dep/index.js"), "de").unwrap();
    let git_dir = r.path().join(".git/worktrees/feat-A");
    std::fs::write(git_dir.join("epic-unready"), "").unwrap();
    r.epic_env(&["run", "A"], &[]).ok();
    assert!(fake_lines(&r, "seen.A").contains(&"dep=dep".to_owned()));
    assert!(!git_dir.join("epic-unready").exists());
}

#[test]
fn epic_include_stands_in_for_the_file_and_a_profile_has_its_own_setup() {
    let r = ready_project("ready.sh");
    std::fs::remove_file(r.path().join(".worktreeinclude")).unwrap();
    r.git(&["config", "epic.include", ".env"]);
    // The profile's setup stands in for epic.setup: nothing is installed.
    r.git(&["config", "epicAgent.quick.command", &agent("ready.sh")]);
    r.git(&["config", "epicAgent.quick.setup", "true"]);
    r.epic_stdin(
        &["ticket", "add", "B", "--title", "B", "--agent", "quick"],
        "Do B.\n",
    )
    .ok();
    r.epic_env(&["run", "B"], &[]).ok();
    let seen = fake_lines(&r, "seen.B");
    assert!(seen.contains(&"env=SECRET=1".to_owned()), "{seen:?}");
    assert!(seen.contains(&"dep=missing".to_owned()), "{seen:?}");
    assert!(seen.contains(&"setup=missing".to_owned()), "{seen:?}");
    assert!(fake_lines(&r, "setups").is_empty());
}

#[test]
fn a_setup_command_that_does_not_split_is_bad_input() {
    let r = ready_project("ready.sh");
    r.git(&["config", "epic.setup", "npm \"ci"]);
    let out = r.epic_env(&["run", "A"], &[]).code(2);
    assert!(
        out.stderr
            .contains("epic.setup is `npm \"ci`, which does not split into words"),
        "{}",
        out.stderr
    );
    assert!(!worktree(&r).exists());
}

#[test]
fn a_scratch_worktree_that_is_not_ready_is_no_verdict_on_the_ticket() {
    let r = ready_project("ready.sh");
    r.git(&["config", "epic.test", "test -f .setup-ran"]);
    let out = r
        .epic_env(
            &["wave", "start", "--all", "--auto-merge"],
            &[("FAKE_SETUP_FAIL_IN", "/epic/queue/")],
        )
        .code(1);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(all.contains("could not be tested"), "{all}");
    assert!(all.contains("epic.setup failed"), "{all}");
    // Not the ticket's failure: not sent back to its agent, still done, landed next time.
    assert_eq!(r.row("A")["state"], "done");
    assert_eq!(fake_lines(&r, "seen.A").len(), 6, "the agent ran once");
    r.epic(&["merge", "A"]).ok();
    assert_eq!(r.row("A")["state"], "merged");
}

#[test]
fn propagate_moves_a_submodule_the_epic_moved_and_the_agent_did_not() {
    let r = ready_project("ready.sh");
    r.epic_env(&["run", "A"], &[]).ok();
    // The epic moves vendor/lib to a commit only the main checkout's copy has.
    let lib = r.path().join("vendor/lib");
    std::fs::write(lib.join("s.txt"), "lib v2\n").unwrap();
    r.git_in(&lib, &["commit", "-q", "-am", "v2"]);
    let v2 = r.git_in(&lib, &["rev-parse", "HEAD"]);
    let tmp = r.dir.path().join("bump");
    r.git(&[
        "worktree",
        "add",
        "-q",
        "--detach",
        tmp.to_str().unwrap(),
        "epic/e",
    ]);
    r.git_in(
        &tmp,
        &[
            "update-index",
            "--cacheinfo",
            &format!("160000,{v2},vendor/lib"),
        ],
    );
    r.git_in(&tmp, &["commit", "-q", "-m", "bump vendor/lib"]);
    r.git_in(&tmp, &["push", "-q", ".", "HEAD:epic/e"]);
    r.epic(&["propagate"]).ok();
    let wt_lib = worktree(&r).join("vendor/lib");
    assert_eq!(r.git_in(&wt_lib, &["rev-parse", "HEAD"]), v2);
    assert_eq!(
        std::fs::read_to_string(wt_lib.join("s.txt")).unwrap(),
        "lib v2\n"
    );
    let status = r.git_in(
        &worktree(&r),
        &["status", "--porcelain", "--ignore-submodules=none"],
    );
    assert_eq!(status, "", "the worktree is clean");
}

#[test]
fn cleanup_keeps_a_worktree_whose_submodule_holds_a_commit_found_nowhere_else() {
    let r = ready_project("ready.sh");
    r.git(&["config", "epic.test", "true"]);
    r.epic_env(&["wave", "start", "--all", "--auto-merge"], &[])
        .ok();
    // After the landing, a commit made in the worktree's submodule, and nowhere else.
    let wt_lib = worktree(&r).join("vendor/lib");
    std::fs::write(wt_lib.join("s.txt"), "only here\n").unwrap();
    r.git_in(&wt_lib, &["commit", "-q", "-am", "only here"]);
    r.git_in(&worktree(&r), &["add", "vendor/lib"]);
    r.git_in(&worktree(&r), &["commit", "-q", "-m", "record it"]);
    let out = r.epic(&["cleanup"]);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        all.contains("submodule commits found nowhere else: vendor/lib"),
        "{all}"
    );
    assert!(worktree(&r).join("vendor/lib/s.txt").exists());
    // Once the main checkout's copy has it, the worktree goes, carried files and all.
    r.git_in(
        &r.path().join("vendor/lib"),
        &["fetch", "-q", wt_lib.to_str().unwrap(), "HEAD"],
    );
    r.epic(&["cleanup"]).ok();
    assert!(!worktree(&r).exists());
}
