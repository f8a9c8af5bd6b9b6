//! Many machines at once through one bare remote (issue 25): ten clones with no-op agents
//! finish an epic, each ticket claimed, run and landed once, and none goes local-only
//! because the remote was busy. Kept under two minutes on two cores for CI.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::support::Repo;

/// `n` tickets with no dependencies, published from the test repo; the remote's path.
fn published_with(r: &Repo, n: usize) -> PathBuf {
    let remote = r.published_as(Some("m0"));
    for i in 0..n {
        r.epic(&["ticket", "add", &format!("T{i:02}"), "--title", "t"])
            .ok();
    }
    r.epic(&["sync"]).ok();
    remote
}

fn spawn(r: &Repo, dir: &Path, args: &[&str]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_git-epic"));
    r.env(&mut cmd);
    cmd.args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd.spawn().unwrap()
}

fn finish(mut child: Child) -> (Option<i32>, String) {
    let code = child.wait().unwrap().code();
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    (code, err)
}

/// How many times each ticket's agent ran, over every machine's logs.
fn runs(machines: &[PathBuf], id: &str) -> usize {
    machines
        .iter()
        .map(|m| {
            std::fs::read_to_string(m.join(format!(".git/epic/e/logs/{id}.log")))
                .unwrap_or_default()
                .matches(&format!("ticket {id} attempt"))
                .count()
        })
        .sum()
}

#[test]
fn ten_clones_finish_forty_tickets_each_claimed_run_and_landed_once_and_none_goes_local_only() {
    let r = Repo::new();
    let remote = published_with(&r, 38);
    let mut machines = vec![r.path()];
    for i in 1..10 {
        machines.push(r.machine_as(&remote, &format!("m{i}"), Some(&format!("m{i}"))));
    }
    let t0 = std::time::Instant::now();
    let flow = ["wave", "start", "--all", "--auto-merge", "-j", "1", "-q"];
    let children: Vec<Child> = machines.iter().map(|m| spawn(&r, m, &flow)).collect();
    for (m, child) in machines.iter().zip(children) {
        let (code, err) = finish(child);
        assert_eq!(code, Some(0), "{}: {err}", m.display());
        assert!(!err.contains("local-only"), "{}: {err}", m.display());
    }
    let took = t0.elapsed();
    let ids: Vec<String> = (0..38)
        .map(|i| format!("T{i:02}"))
        .chain(["A".into(), "B".into()])
        .collect();
    let merges = r.git_in(&remote, &["log", "--first-parent", "--format=%s", "epic/e"]);
    for id in &ids {
        assert_eq!(runs(&machines, id), 1, "{id} did not run once");
        let landed = merges
            .lines()
            .filter(|l| l.starts_with(&format!("epic(e): merge {id} ")))
            .count();
        assert_eq!(landed, 1, "{id} landed {landed} times:\n{merges}");
        // Claimed once: its claim ref was made by one machine and never taken over.
        let claims = r.git_in(
            &remote,
            &["log", "--format=%B", &format!("refs/epic/e/claims/{id}")],
        );
        let holders: std::collections::BTreeSet<&str> = claims
            .lines()
            .filter(|l| l.starts_with("machine "))
            .collect();
        assert_eq!(holders.len(), 1, "{id} was claimed by {holders:?}");
    }
    eprintln!("10 clones, 40 tickets: {took:?}");
}

#[test]
fn a_lander_killed_mid_landing_holds_the_landing_lease_until_it_runs_out_then_another_lands() {
    let r = Repo::new();
    let remote = r.published_as(Some("alpha"));
    r.epic(&["ticket", "add", "C", "--title", "C"]).ok();
    r.epic(&["sync"]).ok();
    let beta = r.machine_as(&remote, "beta", Some("beta"));
    for dir in [r.path(), beta.clone()] {
        r.git_in(&dir, &["config", "epic.claimLease", "8s"]);
    }
    // The lease is for landings through a merged-result test: beta has a quick one.
    r.git_in(&beta, &["config", "epic.test", "true"]);
    // beta's ticket is done first, to land as soon as alpha is killed.
    r.epic_in(&beta, &["run", "C"], None).ok();
    // alpha lands A through a merged-result test that takes long: it holds the lease.
    r.git(&["config", "epic.test", "sleep 60"]);
    r.epic(&["run", "A"]).ok();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_git-epic"));
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    r.env(&mut cmd);
    let mut lander = cmd
        .args(["merge", "A"])
        .current_dir(r.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    let lease = || {
        r.git_out_in(&remote, &["log", "-1", "--format=%B", "refs/epic/e/lander"])
            .unwrap_or_default()
    };
    while !lease().contains("host alpha") {
        assert!(
            t0.elapsed().as_secs() < 30,
            "alpha never took the landing lease"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    // kill -9, mid-landing: its merged-result test runs, its lease stays on the remote.
    unsafe { libc::kill(-(lander.id() as i32), libc::SIGKILL) };
    let _ = lander.wait();
    let killed = std::time::Instant::now();
    // beta's landing waits for the lease to run out (it is not renewed), then lands.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_git-epic"));
    r.env(&mut cmd);
    let out = cmd
        .args(["merge", "C"])
        .current_dir(&beta)
        .env("GIT_EPIC_TRACE", "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("lander busy: alpha#"),
        "beta never waited: {err}"
    );
    assert!(
        killed.elapsed().as_secs_f64() >= 1.0,
        "beta landed while alpha's lease held: {:?}",
        killed.elapsed()
    );
    let merges = r.git_in(&remote, &["log", "--first-parent", "--format=%s", "epic/e"]);
    assert!(merges.contains("epic(e): merge C "), "{merges}");
    assert!(!merges.contains("epic(e): merge A "), "{merges}");
    let history = r.git_in(&remote, &["log", "--format=%B", "refs/epic/e/lander"]);
    assert!(history.contains("host beta"), "{history}");
    assert!(history.contains("host alpha"), "{history}");
}

/// A done ticket's machine, finding another machine holding the landing lease, hands the
/// ticket over instead of racing it for the epic: the lander lands it from the remote, and
/// the ticket's machine learns it from the remote's epic and records it merged.
#[test]
fn a_ticket_handed_over_to_the_lander_is_landed_there_once_and_recorded_merged_here() {
    let r = Repo::new();
    let remote = r.published_as(Some("alpha"));
    r.epic(&["ticket", "add", "C", "--title", "C"]).ok();
    r.epic(&["sync"]).ok();
    let beta = r.machine_as(&remote, "beta", Some("beta"));
    // C is done on beta, and not landed.
    r.epic_in(&beta, &["run", "C"], None).ok();
    // alpha's flow lands A (taking the lease), then runs B for a while: it keeps the lease
    // while its run goes on, and lands what is handed over to it.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_git-epic"));
    r.env(&mut cmd);
    let alpha = cmd
        .args(["wave", "start", "--all", "--auto-merge", "-j", "1", "-q"])
        .current_dir(r.path())
        .env("FAKE_SLEEP", "4")
        .env("GIT_EPIC_TRACE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    let lease = || {
        r.git_out_in(&remote, &["log", "-1", "--format=%B", "refs/epic/e/lander"])
            .unwrap_or_default()
    };
    while !lease().contains("host alpha") {
        assert!(
            t0.elapsed().as_secs() < 60,
            "alpha never took the landing lease"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_git-epic"));
    r.env(&mut cmd);
    let out = cmd
        .args(["merge", "C"])
        .current_dir(&beta)
        .env("GIT_EPIC_TRACE", "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("lander busy: alpha#"),
        "beta did not wait: {err}"
    );
    assert!(
        err.contains("hand over C at"),
        "beta did not hand C over: {err}"
    );
    let (code, alpha_err) = finish(alpha);
    assert_eq!(code, Some(0), "{alpha_err}");
    assert!(
        alpha_err.contains("handed over: 1 new"),
        "alpha did not take C in: {alpha_err}"
    );
    let merges = r.git_in(&remote, &["log", "--first-parent", "--format=%s", "epic/e"]);
    for id in ["A", "B", "C"] {
        let landed = merges
            .lines()
            .filter(|l| l.starts_with(&format!("epic(e): merge {id} ")))
            .count();
        assert_eq!(landed, 1, "{id} landed {landed} times:\n{merges}");
    }
    // beta's note says C merged, at the merge commit the lander made.
    let status = r.epic_in(&beta, &["status", "--json"], None).ok();
    let v: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let c = v["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "C")
        .unwrap();
    assert_eq!(c["state"], "merged", "{c}");
}

/// Without a merged-result test too, a lander killed with kill -9 holds the lease until it
/// runs out: what was handed over to it meanwhile is not lost, its machine takes the lease
/// then and lands it itself.
#[test]
fn a_ticket_handed_over_to_a_lander_killed_lands_from_its_own_machine_once_the_lease_runs_out() {
    let r = Repo::new();
    let remote = r.published_as(Some("alpha"));
    r.epic(&["ticket", "add", "C", "--title", "C"]).ok();
    r.epic(&["sync"]).ok();
    let beta = r.machine_as(&remote, "beta", Some("beta"));
    for dir in [r.path(), beta.clone()] {
        r.git_in(&dir, &["config", "epic.claimLease", "8s"]);
    }
    r.epic_in(&beta, &["run", "C"], None).ok();
    // alpha's flow lands A (taking the lease) and runs B: it is killed once it holds the
    // lease, before beta hands anything over.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_git-epic"));
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    r.env(&mut cmd);
    let mut alpha = cmd
        .args(["wave", "start", "--all", "--auto-merge", "-j", "1", "-q"])
        .current_dir(r.path())
        .env("FAKE_SLEEP", "3")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    let lease = || {
        r.git_out_in(&remote, &["log", "-1", "--format=%B", "refs/epic/e/lander"])
            .unwrap_or_default()
    };
    while !lease().contains("host alpha") {
        assert!(
            t0.elapsed().as_secs() < 60,
            "alpha never took the landing lease"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    unsafe { libc::kill(-(alpha.id() as i32), libc::SIGKILL) };
    let _ = alpha.wait();
    let killed = std::time::Instant::now();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_git-epic"));
    r.env(&mut cmd);
    let out = cmd
        .args(["merge", "C"])
        .current_dir(&beta)
        .env("GIT_EPIC_TRACE", "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("lander busy: alpha#"),
        "beta did not wait: {err}"
    );
    assert!(
        err.contains("hand over C at"),
        "beta did not hand C over: {err}"
    );
    assert!(
        err.contains("lander until"),
        "beta never took the lease: {err}"
    );
    assert!(
        killed.elapsed().as_secs_f64() >= 1.0,
        "beta landed while alpha's lease held: {:?}",
        killed.elapsed()
    );
    let merges = r.git_in(&remote, &["log", "--first-parent", "--format=%s", "epic/e"]);
    // (A may or may not have landed before the kill: alpha takes the lease first.)
    let landed = merges
        .lines()
        .filter(|l| l.starts_with("epic(e): merge C "))
        .count();
    assert_eq!(landed, 1, "C landed {landed} times:\n{merges}");
    let history = r.git_in(&remote, &["log", "--format=%B", "refs/epic/e/lander"]);
    assert!(history.contains("host beta"), "{history}");
}

/// A machine that cannot hand its ticket over (its clone sets `epic.test`: it tests and lands
/// its own line) is not kept waiting for the whole of the lander's run: a lander with nothing
/// in line gives the lease back after a few quiet looks.
#[test]
fn a_lander_with_nothing_to_land_gives_the_lease_back_to_a_machine_that_cannot_hand_over() {
    let r = Repo::new();
    let remote = r.published_as(Some("alpha"));
    r.epic(&["ticket", "add", "C", "--title", "C"]).ok();
    r.epic(&["sync"]).ok();
    let beta = r.machine_as(&remote, "beta", Some("beta"));
    r.git_in(&beta, &["config", "epic.test", "true"]);
    r.epic_in(&beta, &["run", "C"], None).ok();
    // alpha lands A (taking the lease), then runs B for 12 s.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_git-epic"));
    r.env(&mut cmd);
    let mut alpha = cmd
        .args(["wave", "start", "--all", "--auto-merge", "-j", "1", "-q"])
        .current_dir(r.path())
        .env("FAKE_SLEEP", "12")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    let lease = || {
        r.git_out_in(&remote, &["log", "-1", "--format=%B", "refs/epic/e/lander"])
            .unwrap_or_default()
    };
    while !lease().contains("host alpha") {
        assert!(
            t0.elapsed().as_secs() < 60,
            "alpha never took the landing lease"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_git-epic"));
    r.env(&mut cmd);
    let out = cmd
        .args(["merge", "C"])
        .current_dir(&beta)
        .env("GIT_EPIC_TRACE", "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("lander busy: alpha#"),
        "beta did not wait: {err}"
    );
    assert!(
        alpha.try_wait().unwrap().is_none(),
        "beta waited for alpha's whole run: {err}"
    );
    let (code, alpha_err) = finish(alpha);
    assert_eq!(code, Some(0), "{alpha_err}");
    let merges = r.git_in(&remote, &["log", "--first-parent", "--format=%s", "epic/e"]);
    for id in ["A", "B", "C"] {
        let landed = merges
            .lines()
            .filter(|l| l.starts_with(&format!("epic(e): merge {id} ")))
            .count();
        assert_eq!(landed, 1, "{id} landed {landed} times:\n{merges}");
    }
}
