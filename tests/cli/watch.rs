//! The watcher `status` keeps over the ticket worktrees (docs/status.md): a worktree
//! without an event since it was last read is not read again, and yet after any change,
//! made however and however soon before the call, status says what git says.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::Repo;

const IDS: [&str; 3] = ["a", "b", "c"];

/// A repository with sources in nested directories and three ticket worktrees.
fn watched_repo() -> Repo {
    let r = Repo::new();
    r.write("src/deep/nested/a.txt", "a\n");
    r.write("src/b.txt", "b\n");
    r.write("run.sh", "echo\n");
    r.git(&["add", "."]);
    r.git(&["commit", "-q", "-m", "sources"]);
    r.epic(&["init", "e"]).ok();
    for id in IDS {
        r.epic(&["ticket", "add", id]).ok();
        r.add_worktree(
            &format!("worktrees/feat-{id}"),
            &format!("feat/{id}"),
            "epic/e",
        );
    }
    r
}

/// `status --json` with its trace: (dirty of each ticket, how many were remembered, how
/// many were read and told to the watcher, whether a watcher was asked).
fn traced_status(r: &Repo) -> (Vec<bool>, usize, usize, bool) {
    let run = r
        .epic_env(&["status", "--json"], &[("GIT_EPIC_TRACE", "1")])
        .ok();
    let json = run.json();
    let dirty = IDS
        .iter()
        .map(|id| {
            let row = json["tickets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["id"] == *id)
                .unwrap();
            row["dirty"].as_bool().expect("a worktree was read")
        })
        .collect();
    let line = run
        .stderr
        .lines()
        .find(|l| l.contains("status: 3 worktrees"))
        .unwrap_or_else(|| panic!("no status trace in:\n{}", run.stderr))
        .to_owned();
    let number = |after: &str| -> usize {
        let (before, _) = line.split_once(after).unwrap();
        before
            .rsplit(' ')
            .find(|w| !w.is_empty())
            .unwrap()
            .parse()
            .unwrap()
    };
    (
        dirty,
        number(" with a remembered answer"),
        number(" read and told"),
        line.contains("watcher asked"),
    )
}

/// What git says, without refreshing the index (which would change the index file and so
/// make status read the worktree again, hiding a watcher that missed an event).
fn git_dirty(r: &Repo) -> Vec<bool> {
    IDS.iter()
        .map(|id| {
            let wt = r.path().join(format!("worktrees/feat-{id}"));
            !r.git_in(&wt, &["--no-optional-locks", "status", "--porcelain"])
                .is_empty()
        })
        .collect()
}

/// Call status until the watcher remembers every worktree.
fn until_all_remembered(r: &Repo) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, remembered, _, _) = traced_status(r);
        if remembered == IDS.len() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the watcher never remembered them all"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The pids of the watchers of the repository at `repo`.
fn watchers_of(repo: &Path) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let common = repo.join(".git");
        if args.iter().any(|a| a == "__watch") && args.iter().any(|a| Path::new(a) == common) {
            pids.push(pid);
        }
    }
    pids
}

#[test]
fn after_every_kind_of_change_status_with_its_watcher_says_what_git_says() {
    let r = watched_repo();
    let wt = |id: &str| -> PathBuf { r.path().join(format!("worktrees/feat-{id}")) };
    until_all_remembered(&r);
    assert_eq!(
        watchers_of(&r.path()).len(),
        1,
        "one watcher for the repository"
    );

    // Each step changes something and at once asks status: the same answer as git, and
    // only the worktrees the step touched are read again.
    type Step<'a> = (&'a str, usize, Box<dyn Fn() + 'a>);
    let steps: Vec<Step> = vec![
        (
            "edit a tracked file in place, same size",
            1,
            Box::new(|| std::fs::write(wt("a").join("src/deep/nested/a.txt"), "A\n").unwrap()),
        ),
        (
            "put it back as it was",
            1,
            Box::new(|| std::fs::write(wt("a").join("src/deep/nested/a.txt"), "a\n").unwrap()),
        ),
        (
            "an untracked file in new nested directories",
            1,
            Box::new(|| {
                std::fs::create_dir_all(wt("b").join("x/y/z")).unwrap();
                std::fs::write(wt("b").join("x/y/z/new.txt"), "new\n").unwrap();
            }),
        ),
        (
            "remove it",
            1,
            Box::new(|| std::fs::remove_dir_all(wt("b").join("x")).unwrap()),
        ),
        (
            "an empty new directory (git shows nothing)",
            1,
            Box::new(|| std::fs::create_dir(wt("c").join("later")).unwrap()),
        ),
        (
            "a file in that directory, made after it was read",
            1,
            Box::new(|| std::fs::write(wt("c").join("later/file.txt"), "x\n").unwrap()),
        ),
        (
            "commit it (index and HEAD change)",
            1,
            Box::new(|| {
                r.git_in(&wt("c"), &["add", "."]);
                r.git_in(&wt("c"), &["commit", "-q", "-m", "later"]);
            }),
        ),
        (
            "an executable bit",
            1,
            Box::new(|| {
                use std::os::unix::fs::PermissionsExt;
                let f = wt("a").join("run.sh");
                std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755)).unwrap();
            }),
        ),
        (
            "back to 644",
            1,
            Box::new(|| {
                use std::os::unix::fs::PermissionsExt;
                let f = wt("a").join("run.sh");
                std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
            }),
        ),
        (
            "a log file, untracked",
            1,
            Box::new(|| std::fs::write(wt("b").join("debug.log"), "x\n").unwrap()),
        ),
        // Nothing in any worktree changes: the exclude file's stamp is in every key.
        (
            "ignore it in .git/info/exclude",
            3,
            Box::new(|| {
                std::fs::create_dir_all(r.path().join(".git/info")).unwrap();
                std::fs::write(r.path().join(".git/info/exclude"), "*.log\n").unwrap();
            }),
        ),
        (
            "a file renamed over a tracked one",
            1,
            Box::new(|| {
                std::fs::write(wt("a").join("tmp"), "b2\n").unwrap();
                std::fs::rename(wt("a").join("tmp"), wt("a").join("src/b.txt")).unwrap();
            }),
        ),
        ("nothing at all", 0, Box::new(|| {})),
    ];
    for (what, expect_read, change) in steps {
        change();
        let (dirty, remembered, read, asked) = traced_status(&r);
        assert!(asked, "{what}: the watcher was not asked");
        assert_eq!(dirty, git_dirty(&r), "{what}: status and git disagree");
        assert_eq!(
            (read, remembered),
            (expect_read, IDS.len() - expect_read),
            "{what}: worktrees read again, and remembered"
        );
    }
}

#[test]
fn a_change_right_before_each_call_is_never_missed() {
    // A race with the watcher's events would show as a stale answer now and then: many
    // rounds of write-then-ask, flipping one file.
    let r = watched_repo();
    let file = r.path().join("worktrees/feat-b/src/b.txt");
    until_all_remembered(&r);
    for round in 0..40 {
        let text = if round % 2 == 0 { "B\n" } else { "b\n" };
        std::fs::write(&file, text).unwrap();
        let (dirty, _, _, asked) = traced_status(&r);
        assert!(asked);
        assert_eq!(dirty[1], round % 2 == 0, "round {round}");
    }
}

#[test]
fn the_watcher_leaves_with_its_repository_and_none_starts_without_worktrees_or_with_epic_watch_false(
) {
    let r = watched_repo();
    until_all_remembered(&r);
    let pids = watchers_of(&r.path());
    assert_eq!(pids.len(), 1);
    let path = r.path();
    drop(r);
    let deadline = Instant::now() + Duration::from_secs(10);
    while crate::support::alive(pids[0]) {
        assert!(
            Instant::now() < deadline,
            "the watcher outlived its repository"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(watchers_of(&path).is_empty());

    // Without worktrees, nothing to watch.
    let r = Repo::new();
    r.epic(&["init", "e"]).ok();
    r.epic(&["ticket", "add", "a"]).ok();
    r.epic(&["status", "--json"]).ok();
    r.epic(&["status", "--json"]).ok();
    assert!(
        watchers_of(&r.path()).is_empty(),
        "a watcher of no worktree"
    );

    let r = watched_repo();
    r.git(&["config", "epic.watch", "false"]);
    for _ in 0..3 {
        let (dirty, remembered, read, asked) = traced_status(&r);
        assert_eq!(
            (dirty, remembered, read, asked),
            (vec![false; 3], 0, 0, false)
        );
    }
    assert!(
        watchers_of(&r.path()).is_empty(),
        "epic.watch=false started a watcher"
    );
    r.git(&["config", "epic.watch", "sometimes"]);
    let run = r.epic(&["status"]).code(2);
    assert!(run.stderr.contains("epic.watch"), "{}", run.stderr);
}

#[test]
fn an_idle_watcher_leaves_and_takes_its_socket_along() {
    let r = Repo::new();
    let sockets = tempfile::tempdir().unwrap();
    let socket = sockets.path().join("w.sock");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_git-epic"))
        .args(["__watch", "--idle", "1", "--socket"])
        .arg(&socket)
        .arg("--common-dir")
        .arg(r.path().join(".git"))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        assert!(Instant::now() < deadline, "an idle watcher stayed");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!socket.exists(), "its socket stayed behind");
}

/// The `--socket` of the watcher `pid`.
fn socket_of(pid: u32) -> PathBuf {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    let args: Vec<String> = cmdline
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let i = args.iter().position(|a| a == "--socket").unwrap();
    PathBuf::from(&args[i + 1])
}

#[test]
fn a_killed_or_silent_watcher_costs_one_slow_call_at_most_and_is_replaced() {
    let r = watched_repo();
    until_all_remembered(&r);
    let pid = watchers_of(&r.path())[0];
    let socket = socket_of(pid);
    // Killed: its socket stays behind, refusing connections. The next call reads
    // everything and starts a new watcher, which takes the socket over.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    while crate::support::alive(pid) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::write(r.path().join("worktrees/feat-a/new.txt"), "x\n").unwrap();
    let (dirty, _, _, asked) = traced_status(&r);
    assert_eq!((dirty, asked), (git_dirty(&r), false));
    until_all_remembered(&r);
    let pid = watchers_of(&r.path())[0];
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    while crate::support::alive(pid) {
        std::thread::sleep(Duration::from_millis(20));
    }

    // Silent: something listens on the socket and never answers. One call waits for it
    // (2 s at most), reads everything, and removes the socket; the next starts a watcher.
    let _ = std::fs::remove_file(&socket);
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let held = std::thread::spawn(move || {
        let mut conns = Vec::new();
        for c in listener.incoming().take(1) {
            conns.push(c);
        }
        std::thread::sleep(Duration::from_secs(5));
    });
    std::fs::remove_file(r.path().join("worktrees/feat-a/new.txt")).unwrap();
    let t = Instant::now();
    let (dirty, _, _, asked) = traced_status(&r);
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "took {:?}",
        t.elapsed()
    );
    assert_eq!((dirty, asked), (git_dirty(&r), false));
    assert!(!socket.exists(), "the silent watcher's socket was left");
    let (_, _, _, asked) = traced_status(&r);
    assert!(!asked, "no watcher yet: this call starts one");
    until_all_remembered(&r);
    assert_eq!(watchers_of(&r.path()).len(), 1);
    held.join().unwrap();
}

#[test]
fn the_watcher_started_keeps_no_descriptor_of_its_caller() {
    // `$(...)` waits until every writer of its pipe is gone: here the pipe is also the
    // status call's descriptor 3, which a watcher started by it must not keep open.
    let r = watched_repo();
    let mut sh = std::process::Command::new("bash");
    sh.current_dir(r.path()).args([
        "-c",
        "x=$(git epic status --json 3>&1 >/dev/null); echo returned",
    ]);
    r.env(&mut sh);
    let mut child = sh.stdout(std::process::Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            for pid in watchers_of(&r.path()) {
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            }
            panic!("the caller waited for the watcher's end");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "returned");
    assert_eq!(watchers_of(&r.path()).len(), 1, "a watcher was started");
}

#[test]
fn worktrees_made_again_where_watched_ones_were_are_watched_afresh() {
    // The worktrees' parent renamed and a copy put in its place: no event on the worktrees
    // themselves, and the old watches follow the directories moved away.
    let r = watched_repo();
    until_all_remembered(&r);
    let (old, new) = (r.path().join("worktrees"), r.path().join("moved"));
    std::fs::rename(&old, &new).unwrap();
    let cp = std::process::Command::new("cp")
        .arg("-a")
        .arg(&new)
        .arg(&old)
        .status()
        .unwrap();
    assert!(cp.success());
    let (dirty, _, _, _) = traced_status(&r);
    assert_eq!(dirty, git_dirty(&r));
    until_all_remembered(&r);
    std::fs::write(old.join("feat-c/src/b.txt"), "changed\n").unwrap();
    let (dirty, _, _, _) = traced_status(&r);
    assert_eq!(dirty, git_dirty(&r), "an edit in the copy went unseen");
    assert_eq!(dirty, vec![false, false, true]);
}
