//! Chaos across machines: three clones of one bare remote, on one host and with no
//! `epic.hostName` (they are told apart only by their machine ids), run the whole epic in
//! flow mode at once. One of them is killed with `kill -9` at a random moment (claiming,
//! running agents, in its merge queue's gate, pushing a landing), git-epic alone or with
//! the git commands it runs; then it comes back, or stays dead with its agents. After each
//! trial: every ticket landed exactly once; no ticket's agent ran on two machines except one
//! takeover of the dead one's ticket; no work lost; the remote and every clone agree.
//! `GIT_EPIC_CHAOS_MACHINES=N` runs N trials (`bash benches/chaos.sh --machines N`); CI runs
//! one. `GIT_EPIC_CHAOS_SEED` replays one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::chaos::{Rng, EPIC_TEST, TICKETS};
use crate::support::{agent, Repo};

const FLOW: [&str; 6] = ["wave", "start", "--all", "--auto-merge", "-j", "2"];

/// The same configuration on every clone (config is not shared through the remote).
fn configure(r: &Repo, dir: &Path) {
    for (k, v) in [
        ("epic.agent", agent("commit.sh")),
        ("epic.stagger", "0".into()),
        ("epic.test", EPIC_TEST.into()),
        ("epic.claimLease", "4s".into()),
    ] {
        r.git_in(dir, &["config", k, &v]);
    }
}

/// alpha (the test repo) with the epic published on a bare remote, and two clones joined.
fn machines(r: &Repo) -> (PathBuf, Vec<PathBuf>) {
    let remote = r.dir.path().join("remote.git");
    r.git_in(r.dir.path(), &["init", "-q", "--bare", "remote.git"]);
    r.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    r.git(&["push", "-q", "origin", "main"]);
    r.git(&["config", "epic.remote", "origin"]);
    r.epic(&["init", "e"]).ok();
    for (id, deps) in TICKETS {
        let mut args = vec!["ticket", "add", id];
        if !deps.is_empty() {
            args.extend(["--deps", deps]);
        }
        r.epic(&args).ok();
    }
    r.epic(&["sync"]).ok();
    configure(r, &r.path());
    let mut all = vec![r.path()];
    for name in ["two", "three"] {
        r.git_in(
            r.dir.path(),
            &["clone", "-q", remote.to_str().unwrap(), name],
        );
        let dir = r.dir.path().join(name);
        let out = r.epic_in(&dir, &["join", "e"], None);
        assert_eq!(out.code, 0, "{}", out.stderr);
        configure(r, &dir);
        all.push(dir);
    }
    (remote, all)
}

/// A flow run on machine `dir`, in a process group of its own; its agents record their
/// starts in `starts`.
fn spawn(r: &Repo, dir: &Path, starts: &Path, sleep: &str) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_git-epic"));
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    r.env(&mut cmd);
    cmd.args(FLOW)
        .current_dir(dir)
        .env("FAKE_SLEEP", sleep)
        .env("FAKE_STARTS", starts)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd.spawn().unwrap()
}

/// Kill -9 every process whose working directory is under `dir`.
fn kill_under(dir: &Path) {
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if std::fs::read_link(entry.path().join("cwd")).is_ok_and(|c| c.starts_with(dir)) {
            // SAFETY: kill only sends a signal.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// Wait for `child` at most until `deadline`: its stderr, or why not.
fn wait(mut child: Child, deadline: Instant) -> Result<String, String> {
    loop {
        if child.try_wait().unwrap().is_some() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            return Ok(err);
        }
        if Instant::now() > deadline {
            // SAFETY: killpg only sends a signal.
            unsafe { libc::killpg(child.id() as i32, libc::SIGKILL) };
            let _ = child.wait();
            let mut err = String::new();
            let _ = std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err);
            return Err(format!("a run did not end in time: {err}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn trial(seed: u64) -> Result<(), String> {
    let r = Repo::new();
    let (remote, all) = machines(&r);
    let mut rng = Rng(seed | 1);
    let sleep = format!("0.{}", 3 + rng.below(6));
    let starts = |m: usize| r.fake_dir().join(format!("starts-{m}"));
    let mut runs: Vec<Option<Child>> = all
        .iter()
        .enumerate()
        .map(|(m, dir)| Some(spawn(&r, dir, &starts(m), &sleep)))
        .collect();
    let victim = rng.below(3) as usize;
    std::thread::sleep(Duration::from_millis(100 + rng.below(3000)));
    let mut child = runs[victim].take().expect("started above");
    let group = rng.below(2) == 0;
    if group {
        // SAFETY: killpg only sends a signal.
        unsafe { libc::killpg(child.id() as i32, libc::SIGKILL) };
    } else {
        let _ = child.kill();
    }
    let _ = child.wait();
    let comes_back = rng.below(2) == 0;
    if comes_back {
        std::thread::sleep(Duration::from_millis(rng.below(3000)));
        runs[victim] = Some(spawn(&r, &all[victim], &starts(victim), &sleep));
    } else {
        kill_under(&all[victim]); // the machine is gone, agents and all
    }
    let how = format!(
        "machine {victim} killed{} and {}",
        if group { " with its group" } else { "" },
        if comes_back { "back" } else { "dead" }
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut said = String::new();
    for (m, run) in runs.into_iter().enumerate() {
        if let Some(run) = run {
            let err = wait(run, deadline).map_err(|e| format!("{how}: {e}"))?;
            said.push_str(&format!("--- machine {m}:\n{err}\n"));
        }
    }
    // The dead machine's agents are gone; what it left is looked at by the final syncs.
    kill_under(r.dir.path());
    for (m, dir) in all.iter().enumerate() {
        let out = r.epic_in(dir, &["sync"], None);
        if out.code != 0 {
            said.push_str(&format!(
                "--- sync on machine {m}: {}\n{}\n",
                out.stdout, out.stderr
            ));
        }
    }
    let result = check(&r, &remote, &all, victim, &starts);
    result.map_err(|e| format!("{how}: {e}\n{said}"))
}

fn check(
    r: &Repo,
    remote: &Path,
    all: &[PathBuf],
    victim: usize,
    starts: &dyn Fn(usize) -> PathBuf,
) -> Result<(), String> {
    // Every ticket landed exactly once, with its work, and the epic is green.
    let log = r.git_in(remote, &["log", "--first-parent", "--format=%s", "epic/e"]);
    for (id, _) in TICKETS {
        let n = log
            .lines()
            .filter(|l| l.starts_with(&format!("epic(e): merge {id} ")))
            .count();
        if n != 1 {
            return Err(format!("{id} landed {n} times:\n{log}"));
        }
        let text = r
            .git_out_in(remote, &["show", &format!("epic/e:{id}.txt")])
            .unwrap_or_default();
        if text.lines().count() != 1 {
            return Err(format!("{id}'s work in the epic: {text:?}"));
        }
    }
    // Agent starts: once per ticket, or twice when the dead machine's was taken over.
    let mut by_ticket: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for m in 0..all.len() {
        for id in std::fs::read_to_string(starts(m))
            .unwrap_or_default()
            .lines()
        {
            by_ticket.entry(id.to_owned()).or_default().push(m);
        }
    }
    for (id, _) in TICKETS {
        let on = by_ticket.get(*id).cloned().unwrap_or_default();
        let ok = match on.as_slice() {
            [_] => true,
            [a, b] => a != b && (*a == victim || *b == victim),
            _ => false,
        };
        if !ok {
            let key = r.git_stdin(
                &["hash-object", "--stdin"],
                &format!("git-epic ticket\nepic e\nticket {id}\n"),
            );
            let note = r
                .git_out_in(&all[victim], &["notes", "--ref=epic", "show", &key])
                .unwrap_or_default();
            let log =
                std::fs::read_to_string(all[victim].join(format!(".git/epic/e/logs/{id}.log")))
                    .unwrap_or_default();
            return Err(format!("{id}'s agent started on machines {on:?}; the note on the victim: {note}; its log: {log}"));
        }
    }
    // The remote and every clone agree, and see every ticket merged.
    let tip = r.git_in(remote, &["rev-parse", "epic/e"]);
    for dir in all {
        let here = r.git_in(dir, &["rev-parse", "epic/e"]);
        if here != tip {
            return Err(format!(
                "{} is at {here}, the remote at {tip}",
                dir.display()
            ));
        }
        let out = r.epic_in(dir, &["status", "--json"], None);
        let s: serde_json::Value = serde_json::from_str(&out.stdout).map_err(|e| e.to_string())?;
        let merged = s["totals"]["states"]["merged"].as_u64().unwrap_or(0);
        if merged != TICKETS.len() as u64 {
            return Err(format!("{} sees {merged} merged: {s}", dir.display()));
        }
    }
    Ok(())
}

#[test]
fn three_clones_on_one_host_with_one_killed_at_random_land_every_ticket_once() {
    crate::chaos::trials("GIT_EPIC_CHAOS_MACHINES", 1, "chaos across machines", trial);
}
