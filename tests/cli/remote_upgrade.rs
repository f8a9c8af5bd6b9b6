//! An epic whose shared state is only in `refs/notes/epic` on the remote, as git-epic wrote
//! it before issue 25, carries on with this version: its notes are read, the first sync
//! says it upgrades the epic, and machines go on from there through their own refs.

use std::path::Path;

use crate::support::Repo;

fn row(s: &serde_json::Value, id: &str) -> serde_json::Value {
    s["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap()
        .clone()
}

fn status_in(r: &Repo, dir: &Path) -> serde_json::Value {
    serde_json::from_str(&r.epic_in(dir, &["status", "--json"], None).stdout).unwrap()
}

/// Turn the remote into what an older git-epic left: the notes in `refs/notes/epic`, and
/// no per-machine or claim refs.
fn as_an_older_version_left_it(r: &Repo, remote: &Path) {
    r.git(&["push", "-q", "origin", "+refs/notes/epic:refs/notes/epic"]);
    let refs = r.git_in(
        remote,
        &["for-each-ref", "--format=%(refname)", "refs/epic/e/"],
    );
    for name in refs.lines().filter(|n| !n.ends_with("/meta")) {
        r.git_in(remote, &["update-ref", "-d", name]);
    }
}

#[test]
fn an_epic_shared_by_the_previous_version_is_read_upgraded_once_and_carried_on() {
    let r = Repo::new();
    let remote = r.published_as(Some("alpha"));
    r.epic(&["wave", "start", "--all", "--auto-merge"]).ok();
    r.epic(&["ticket", "add", "C", "--title", "C", "--deps", "B"])
        .ok();
    r.epic(&["sync"]).ok();
    as_an_older_version_left_it(&r, &remote);
    // beta joins with this version: alpha's states are read from refs/notes/epic, and the
    // epic is upgraded, said once.
    let beta = r.dir.path().join("beta");
    r.git_in(
        r.dir.path(),
        &["clone", "-q", remote.to_str().unwrap(), "beta"],
    );
    r.git_in(&beta, &["config", "epic.hostName", "beta"]);
    let out = r.epic_in(&beta, &["join", "e"], None);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("upgraded: origin held this epic's state in refs/notes/epic only"),
        "{}",
        out.stdout
    );
    let s = status_in(&r, &beta);
    assert_eq!(row(&s, "A")["state"], "merged");
    assert_eq!(row(&s, "B")["host"], "alpha");
    let out = r.epic_in(&beta, &["sync"], None);
    assert!(!out.stdout.contains("upgraded"), "{}", out.stdout);
    // beta carries on: C (after B, landed by the older version) runs and lands there, and
    // alpha sees it.
    r.git_in(
        &beta,
        &["config", "epic.agent", &crate::support::agent("commit.sh")],
    );
    r.git_in(&beta, &["config", "epic.stagger", "0"]);
    let out = r.epic_in(&beta, &["wave", "start", "--all", "--auto-merge"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    r.epic(&["sync"]).ok();
    let s = r.status();
    assert_eq!(row(&s, "C")["state"], "merged");
    assert_eq!(row(&s, "C")["host"], "beta");
    let machines = r.git_in(&remote, &["for-each-ref", "refs/epic/e/machines/"]);
    assert_eq!(machines.lines().count(), 2, "{machines}");
    assert!(r
        .git_in(&remote, &["for-each-ref", "refs/epic/e/claims/C"])
        .contains("claims/C"));
}
