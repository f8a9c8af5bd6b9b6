//! One epic on several clones of one host (no `epic.hostName`), when a machine went away or
//! could not reach the remote: what it left is landed once, from the right branch, and the
//! remote never says a ticket landed before its epic has it.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::Repo;

fn tip(r: &Repo, dir: &Path) -> String {
    r.git_in(dir, &["rev-parse", "epic/e"])
}

fn first_parent_merges(r: &Repo, dir: &Path) -> String {
    r.git_in(dir, &["log", "--first-parent", "--format=%s", "epic/e"])
}

fn state(r: &Repo, dir: &Path, id: &str) -> serde_json::Value {
    let out = r.epic_in(dir, &["status", "--json"], None);
    let s: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    s["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap()["state"]
        .clone()
}

/// `git epic <args>` in `dir`, ended after `limit` (then it failed the test).
fn epic_within(r: &Repo, dir: &Path, args: &[&str], limit: Duration) -> crate::support::Run {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_git-epic"));
    r.env(&mut cmd);
    cmd.args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "`git epic {}` did not end within {limit:?}:\n{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    crate::support::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_landing_made_offline_and_carried_onto_the_epic_by_another_ticket_is_recorded_once_and_the_run_ends(
) {
    let r = Repo::new();
    let remote = r.published_as(None);
    for id in ["C", "D", "Z"] {
        r.epic(&["ticket", "add", id, "--title", id]).ok();
    }
    r.epic(&["sync"]).ok();
    let beta = r.machine_as(&remote, "beta", None);
    // alpha cannot reach the remote: it lands Z on its own epic, then runs D from there.
    let url = remote.to_str().unwrap().to_owned();
    r.git(&["remote", "set-url", "origin", "/nowhere/remote.git"]);
    assert_eq!(r.epic(&["run", "Z"]).code, 0);
    assert_eq!(r.epic(&["merge", "Z"]).code, 0);
    assert_eq!(r.epic(&["run", "D"]).code, 0);
    // beta lands C on the remote meanwhile.
    assert_eq!(r.epic_in(&beta, &["run", "C"], None).code, 0);
    assert_eq!(r.epic_in(&beta, &["merge", "C"], None).code, 0);
    r.git(&["remote", "set-url", "origin", &url]);
    let out = epic_within(
        &r,
        &r.path(),
        &["wave", "start", "--all", "--auto-merge"],
        Duration::from_secs(60),
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    for id in ["A", "B", "C", "D", "Z"] {
        assert_eq!(state(&r, &r.path(), id), "merged", "{id}");
    }
    assert_eq!(tip(&r, &remote), tip(&r, &r.path()));
    // Z's work is on the remote's epic once.
    let z = r.git_in(&remote, &["show", "epic/e:Z.txt"]);
    assert_eq!(z.lines().count(), 1, "{z}");
}

#[test]
fn a_done_ticket_of_a_machine_that_went_away_lands_from_its_branch_not_from_a_local_one() {
    let r = Repo::new();
    let remote = r.published_as(None);
    r.epic(&["ticket", "add", "T", "--title", "T"]).ok();
    r.epic(&["sync"]).ok();
    let beta = r.machine_as(&remote, "beta", None);
    for dir in [r.path(), beta.clone()] {
        r.git_in(&dir, &["config", "epic.claimLease", "2s"]);
    }
    // An older attempt of alpha's left a branch of T's name with half the work.
    let wt = r.dir.path().join("half");
    r.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "feat/T-t",
        wt.to_str().unwrap(),
        "epic/e",
    ]);
    std::fs::write(wt.join("T.txt"), "half done by alpha\n").unwrap();
    r.git_in(&wt, &["add", "T.txt"]);
    r.git_in(&wt, &["commit", "-q", "-m", "T: half"]);
    r.git(&["worktree", "remove", wt.to_str().unwrap()]);
    let half = r.git(&["rev-parse", "feat/T-t"]);
    // beta runs T to done (its branch goes to the remote with its note), then goes away.
    assert_eq!(r.epic_in(&beta, &["run", "T"], None).code, 0);
    let done = r.git_in(&beta, &["show", "feat/T-t:T.txt"]);
    r.epic(&["sync"]);
    // Landing it by hand here would take alpha's own branch: refused.
    let out = r.epic(&["merge", "T"]);
    assert!(
        out.stdout.contains("T: not merged"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    assert!(r.git_out_in(&remote, &["show", "epic/e:T.txt"]).is_none());
    std::thread::sleep(Duration::from_millis(2500));
    let out = epic_within(
        &r,
        &r.path(),
        &["wave", "start", "--all", "--auto-merge"],
        Duration::from_secs(60),
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("T: done on"), "{}", out.stderr);
    // What landed is beta's work; alpha's half is kept under a ref.
    assert_eq!(r.git_in(&remote, &["show", "epic/e:T.txt"]), done);
    let kept = r.git(&["for-each-ref", "--format=%(objectname)", "refs/epic-sync/"]);
    assert!(kept.contains(&half), "{kept}");
}

#[test]
fn the_remote_never_says_a_ticket_landed_before_its_epic_has_the_landing() {
    let r = Repo::new();
    let remote = r.published_as(None);
    r.epic(&["ticket", "add", "C", "--title", "C"]).ok();
    r.epic(&["sync"]).ok();
    let beta = r.machine_as(&remote, "beta", None);
    // alpha lands A while the remote cannot be reached, on an epic nobody else moved.
    let url = remote.to_str().unwrap().to_owned();
    r.git(&["remote", "set-url", "origin", "/nowhere/remote.git"]);
    assert_eq!(r.epic(&["run", "A"]).code, 0);
    assert_eq!(r.epic(&["merge", "A"]).code, 0);
    r.git(&["remote", "set-url", "origin", &url]);
    // Back, alpha runs another ticket: its exchanges carry the notes out.
    assert_eq!(r.epic(&["run", "C"]).code, 0);
    // Whatever the remote's notes say, its epic has: beta sees A merged only with A.
    r.epic_in(&beta, &["sync"], None);
    if state(&r, &beta, "A") == "merged" {
        let merges = first_parent_merges(&r, &remote);
        assert!(merges.contains("epic(e): merge A "), "{merges}");
        assert!(r.git_out_in(&beta, &["show", "epic/e:A.txt"]).is_some());
    }
    assert_eq!(state(&r, &beta, "A"), "merged");
}
