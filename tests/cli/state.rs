//! The notes state store under concurrency and corruption.

use std::process::Command;

use git_epic::model::state::{State, Store};

use crate::support::Repo;

const CHILD_ENV: &str = "GIT_EPIC_TEST_HAMMER_REPO";

/// Processes and updates of each in `four_processes_lose_no_update`.
const PROCESSES: usize = 4;
const UPDATES: u32 = 500;

/// Not a test of its own: the body of each child process of
/// `four_processes_lose_no_update`, which runs this test binary filtered to this function.
#[test]
#[ignore = "the child process of four_processes_lose_no_update"]
fn hammer_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let repo = gix::open(dir).unwrap();
    let store = Store::new(&repo, "e");
    for _ in 0..UPDATES {
        store
            .update("shared", |n| {
                n.attempts += 1;
                Ok(())
            })
            .unwrap();
    }
}

#[test]
fn four_processes_lose_no_update() {
    let r = Repo::new();
    r.epic(&["init", "e"]).ok();
    let spawn = || {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "state::hammer_child",
            "--exact",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ]);
        r.env(&mut cmd);
        cmd.env(CHILD_ENV, r.path());
        cmd.spawn().unwrap()
    };
    let children: Vec<_> = (0..PROCESSES).map(|_| spawn()).collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let repo = gix::open(r.path()).unwrap();
    let note = Store::new(&repo, "e").get("shared").unwrap().unwrap();
    let total = PROCESSES as u32 * UPDATES;
    assert_eq!(note.attempts, total, "every update of every process landed");
    assert_eq!(
        r.git(&["rev-list", "--count", "refs/notes/epic"]),
        (total + 1).to_string(),
        "one commit per update, after the root"
    );
    // Plain git can read the note too.
    let key = Store::new(&repo, "e").key("shared").to_string();
    assert!(r
        .git(&["notes", "--ref=epic", "show", &key])
        .contains(&format!("attempts = {}", PROCESSES as u32 * UPDATES)));
}

#[test]
fn notes_survive_a_rebase_of_the_ticket_branch() {
    let r = Repo::new();
    r.epic(&["init", "e"]).ok();
    r.epic(&["ticket", "add", "a"]).ok();
    let repo = gix::open(r.path()).unwrap();
    Store::new(&repo, "e")
        .update("a", |n| {
            n.state = State::Done;
            Ok(())
        })
        .unwrap();
    r.add_worktree("worktrees/feat-a", "feat/a", "epic/e");
    let wt = r.path().join("worktrees/feat-a");
    std::fs::write(wt.join("x"), "x").unwrap();
    r.git_in(&wt, &["add", "x"]);
    r.git_in(&wt, &["commit", "-q", "-m", "x"]);
    r.git_in(&wt, &["commit", "-q", "--amend", "-m", "rewritten"]);
    let s = r.epic(&["status", "--json"]).ok().json();
    assert_eq!(s["tickets"][0]["state"], "done");
}

#[test]
fn a_broken_note_is_reported_and_never_overwritten() {
    let r = Repo::new();
    r.epic(&["init", "e"]).ok();
    r.epic(&["ticket", "add", "a"]).ok();
    let repo = gix::open(r.path()).unwrap();
    let key = Store::new(&repo, "e").key("a").to_string();
    Store::new(&repo, "e").update("a", |_| Ok(())).unwrap();
    r.git(&[
        "notes",
        "--ref=epic",
        "add",
        "-f",
        "-m",
        "state = [broken",
        &key,
    ]);
    let before = r.git(&["rev-parse", "refs/notes/epic"]);
    let out = r.epic(&["status", "--json"]).ok();
    assert!(
        out.stderr
            .contains("The state note of ticket `a` does not parse"),
        "{}",
        out.stderr
    );
    assert!(out.json()["problems"][0].as_str().unwrap().contains(&key));
    let err = Store::new(&repo, "e")
        .update("a", |n| {
            n.attempts = 9;
            Ok(())
        })
        .unwrap_err();
    assert!(err.to_string().contains("does not parse"), "{err}");
    assert_eq!(r.git(&["rev-parse", "refs/notes/epic"]), before);
    assert_eq!(
        r.git(&["notes", "--ref=epic", "show", &key]),
        "state = [broken"
    );
}

/// A lock on the notes ref left by a killed git-epic (or git) would refuse every update
/// forever: once it is stale it is removed; a fresh one is left to its owner.
#[test]
fn a_stale_notes_lock_of_a_dead_process_is_removed_and_a_fresh_one_kept() {
    let r = Repo::with_agent("commit.sh");
    r.epic(&["ticket", "add", "A"]).ok();
    r.epic(&["ticket", "add", "B"]).ok();
    r.epic_env(&["run", "A"], &[]).ok();
    let lock = r.path().join(".git/refs/notes/epic.lock");
    std::fs::write(&lock, "").unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&lock)
        .unwrap()
        .set_modified(old)
        .unwrap();
    r.epic_env(&["run", "B"], &[]).ok();
    assert!(!lock.exists());
    assert_eq!(r.row("B")["state"], "done");
    // A lock taken a moment ago belongs to someone at work: never removed by a reader.
    std::fs::write(&lock, "").unwrap();
    r.status();
    assert!(lock.exists());
    std::fs::remove_file(&lock).unwrap();
}
