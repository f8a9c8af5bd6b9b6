//! One epic, many machines: a bare repository as the remote, clones as the machines.

use std::path::{Path, PathBuf};

use crate::support::{agent, Repo};

/// Machine `alpha` (the test repo) with epic `e` published on a bare remote, two tickets
/// (B after A); returns the remote's path.
fn published(r: &Repo) -> PathBuf {
    published_as(r, Some("alpha"))
}

/// [`published`], the machine labelled `host` (`epic.hostName`), or by its host name.
fn published_as(r: &Repo, host: Option<&str>) -> PathBuf {
    r.published_as(host)
}

/// Write ticket `id`'s note in clone `dir` by hand (as another program could).
fn note_by_hand(r: &Repo, dir: &Path, id: &str, text: &str) {
    let blob = r.git_stdin_in(
        dir,
        &["hash-object", "-w", "--stdin"],
        &format!("git-epic ticket\nepic e\nticket {id}\n"),
    );
    let file = dir.join(format!("note-{id}"));
    std::fs::write(&file, text).unwrap();
    let file = file.to_str().unwrap();
    r.git_in(
        dir,
        &["notes", "--ref=epic", "add", "-f", "-F", file, &blob],
    );
}

/// A clone of the remote as machine `name`, joined to epic `e`.
fn machine(r: &Repo, remote: &Path, name: &str) -> PathBuf {
    machine_as(r, remote, name, Some(name))
}

/// [`machine`] in folder `name`, labelled `host` (`epic.hostName`), or by its host name.
fn machine_as(r: &Repo, remote: &Path, name: &str, host: Option<&str>) -> PathBuf {
    r.machine_as(remote, name, host)
}

fn status_in(r: &Repo, dir: &Path) -> serde_json::Value {
    let out = r.epic_in(dir, &["status", "--json"], None);
    serde_json::from_str(&out.stdout).unwrap()
}

fn row<'a>(s: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    s["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap()
}

#[test]
fn a_published_epic_is_joined_worked_and_seen_from_both_machines() {
    let r = Repo::new();
    let remote = published(&r);
    let beta = machine(&r, &remote, "beta");
    // The definition came along: config, ticket files, the epic branch.
    assert_eq!(r.git_in(&beta, &["config", "epic.e.branch"]), "epic/e");
    assert!(beta.join("tasks/A.md").exists() && beta.join("tasks/B.md").exists());
    assert_eq!(epic_tip(&r, &beta), epic_tip(&r, &r.path()));
    // beta runs and merges A: the landing moves the remote's epic too; sync shares the rest.
    assert_eq!(r.epic_in(&beta, &["run", "A"], None).code, 0);
    assert_eq!(r.epic_in(&beta, &["merge", "A"], None).code, 0);
    assert_eq!(epic_tip(&r, &remote), epic_tip(&r, &beta));
    let out = r.epic_in(&beta, &["sync", "--json"], None);
    let sync: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(sync["epic"], "up to date");
    // A's branch went out with its done note, before the landing.
    assert_eq!(sync["branches_out"], serde_json::json!([]));
    assert!(r
        .git_out_in(&remote, &["rev-parse", "--verify", "feat/A-a"])
        .is_some());
    // alpha sees it: the epic moved, A merged by beta, B ready.
    let out = r.epic(&["sync"]).ok();
    assert!(
        out.stdout.contains("epic/e: fast-forwarded"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("states from origin: A"),
        "{}",
        out.stdout
    );
    assert_eq!(epic_tip(&r, &r.path()), epic_tip(&r, &beta));
    let s = r.status();
    assert_eq!(row(&s, "A")["state"], "merged");
    assert_eq!(row(&s, "A")["host"], "beta");
    assert_eq!(s["host"], "alpha");
    let table = r.epic(&["status"]).ok().stdout;
    assert!(table.contains("HOST"), "{table}");
    // A ticket added on alpha reaches beta.
    r.epic(&["ticket", "add", "C", "--title", "C"]).ok();
    let out = r.epic(&["sync"]).ok();
    assert!(
        out.stdout.contains("tickets published: C"),
        "{}",
        out.stdout
    );
    let out = r.epic_in(&beta, &["sync"], None);
    assert!(
        out.stdout.contains("tickets from origin: C"),
        "{}",
        out.stdout
    );
    assert!(beta.join("tasks/C.md").exists());
    assert_eq!(row(&status_in(&r, &beta), "A")["host"], "beta");
}

#[test]
fn a_hostile_note_pushed_by_another_clone_is_refused_and_left_alone() {
    let r = Repo::new();
    let remote = published(&r);
    r.epic(&["run", "A"]).ok();
    r.epic(&["sync"]).ok();
    let before = r.status();
    let beta = machine(&r, &remote, "beta");
    // beta writes, by hand, a note for A that names a branch outside refs/heads, and a
    // note for B that is not TOML, then pushes them.
    for (id, text) in [
        (
            "A",
            "state = \"merged\"\nbranch = \"../../../etc/x\"\nrev = 99\n",
        ),
        ("B", "state = [broken\n"),
    ] {
        note_by_hand(&r, &beta, id, text);
    }
    r.git_in(&beta, &["push", "-q", "origin", "refs/notes/epic"]);
    let out = r.epic(&["sync"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("note refused, left alone: A: its branch"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("B: it does not parse"),
        "{}",
        out.stderr
    );
    let after = r.status();
    assert_eq!(
        row(&after, "A"),
        row(&before, "A"),
        "A's note is alpha's own"
    );
    assert_eq!(row(&after, "B")["state"], "blocked");
}

#[test]
fn without_the_remote_everything_works_locally_and_sync_catches_up() {
    let r = Repo::new();
    let remote = published(&r);
    let beta = machine(&r, &remote, "beta");
    let away = r.dir.path().join("remote-away.git");
    std::fs::rename(&remote, &away).unwrap();
    let out = r.epic(&["sync"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("cannot be reached"), "{}", out.stderr);
    assert!(out.stderr.contains("local-only"), "{}", out.stderr);
    // Work goes on without it.
    r.epic(&["run", "A"]).ok();
    r.epic(&["merge", "A"]).ok();
    std::fs::rename(&away, &remote).unwrap();
    let out = r.epic(&["sync"]).ok();
    assert!(out.stdout.contains("epic/e: pushed"), "{}", out.stdout);
    let out = r.epic_in(&beta, &["sync"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(row(&status_in(&r, &beta), "A")["state"], "merged");
    assert_eq!(epic_tip(&r, &beta), epic_tip(&r, &r.path()));
}

#[test]
fn join_refuses_a_definition_that_points_outside_the_repository() {
    let r = Repo::new();
    let remote = published(&r);
    // Someone rewrites the definition on the remote with a tasks dir outside.
    let meta = r.git(&["rev-parse", "refs/epic-sync/origin/e/meta"]);
    let toml = "branch = \"epic/e\"\nbase = \"main\"\ntasks_dir = \"../../outside\"\nworktrees_dir = \"worktrees\"\n";
    let blob = r.git_stdin_in(&r.path(), &["hash-object", "-w", "--stdin"], toml);
    let tree = r.git_stdin_in(
        &r.path(),
        &["mktree"],
        &format!("100644 blob {blob}\tepic.toml\n"),
    );
    let commit = r.git(&["commit-tree", &tree, "-p", &meta, "-m", "evil"]);
    r.git(&[
        "push",
        "-q",
        "-f",
        "origin",
        &format!("{commit}:refs/epic/e/meta"),
    ]);
    let dir = r.dir.path().join("gamma");
    r.git_in(
        r.dir.path(),
        &["clone", "-q", remote.to_str().unwrap(), "gamma"],
    );
    let out = r.epic_in(&dir, &["join", "e"], None);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("is not a relative path inside the repository"),
        "{}",
        out.stderr
    );
    // Nothing was configured: there is no epic here.
    assert_eq!(r.epic_in(&dir, &["status"], None).code, 2);
    assert!(!r.dir.path().join("outside").exists());
}

/// `git-epic <args>` started in `dir` (a machine), not waited for.
fn spawn_in(r: &Repo, dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> std::process::Child {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_git-epic"));
    r.env(&mut cmd);
    cmd.args(args)
        .current_dir(dir)
        .envs(envs.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    cmd.spawn().unwrap()
}

/// Wait for a run started with [`spawn_in`]: its exit code and what it said on stderr.
fn finish(mut child: std::process::Child) -> (Option<i32>, String) {
    let code = child.wait().unwrap().code();
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    (code, err)
}

/// Where the epic branch points in `dir` (a clone, or the bare remote).
fn epic_tip(r: &Repo, dir: &Path) -> String {
    r.git_in(dir, &["rev-parse", "epic/e"])
}

#[test]
fn three_machines_run_the_epic_at_once_and_each_ticket_runs_and_lands_once() {
    let r = Repo::new();
    let remote = published(&r);
    for (id, deps) in [("C", ""), ("D", ""), ("E", "C"), ("F", "D,E")] {
        let mut args = vec!["ticket", "add", id, "--title", id];
        if !deps.is_empty() {
            args.extend(["--deps", deps]);
        }
        r.epic(&args).ok();
    }
    r.epic(&["sync"]).ok();
    let machines = [
        r.path(),
        machine(&r, &remote, "beta"),
        machine(&r, &remote, "gamma"),
    ];
    let runs: Vec<_> = machines
        .iter()
        .map(|m| {
            spawn_in(
                &r,
                m,
                &["wave", "start", "--all", "--auto-merge", "-j", "2"],
                &[("FAKE_SLEEP", "1")],
            )
        })
        .collect();
    for child in runs {
        let (code, err) = finish(child);
        assert!(code.is_some_and(|c| c <= 1), "{err}");
    }
    for m in &machines {
        r.epic_in(m, &["sync"], None);
    }
    let ids = ["A", "B", "C", "D", "E", "F"];
    // Each ticket ran once, on one machine.
    for id in ids {
        let runs: usize = machines
            .iter()
            .map(|m| {
                std::fs::read_to_string(m.join(format!(".git/epic/e/logs/{id}.log")))
                    .unwrap_or_default()
                    .matches(&format!("ticket {id} attempt"))
                    .count()
            })
            .sum();
        let logs: Vec<String> = machines
            .iter()
            .map(|m| {
                std::fs::read_to_string(m.join(format!(".git/epic/e/logs/{id}.log")))
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(runs, 1, "{id} ran {runs} times: {logs:#?}");
    }
    // Each landed once on the remote's epic, and every machine agrees.
    let merges = r.git_in(&remote, &["log", "--first-parent", "--format=%s", "epic/e"]);
    for id in ids {
        let n = merges
            .lines()
            .filter(|l| l.starts_with(&format!("epic(e): merge {id} ")))
            .count();
        assert_eq!(n, 1, "{id} landed {n} times:\n{merges}");
    }
    // And each landing brought its ticket's own commit only: no branch was started from a
    // landing that the remote then refused.
    let landings = r.git_in(
        &remote,
        &["rev-list", "--first-parent", "--merges", "epic/e"],
    );
    for m in landings.lines() {
        let base = format!("{m}^2^");
        let on_epic = r.git_out_in(
            &remote,
            &["merge-base", "--is-ancestor", &base, &format!("{m}^1")],
        );
        assert!(
            on_epic.is_some(),
            "{m} brought more than its ticket's commit"
        );
    }
    let hosts: std::collections::BTreeSet<String> = ids
        .iter()
        .map(|id| row(&r.status(), id)["host"].as_str().unwrap().to_owned())
        .collect();
    for m in &machines {
        let s = status_in(&r, m);
        for id in ids {
            assert_eq!(row(&s, id)["state"], "merged", "{id} on {}", m.display());
        }
    }
    assert!(hosts.len() >= 2, "the work was shared: {hosts:?}");
}

/// Kill -9 every process whose working directory is under `dir` (agents a killed
/// orchestrator left running there).
fn kill_under(dir: &Path) {
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if std::fs::read_link(entry.path().join("cwd")).is_ok_and(|c| c.starts_with(dir)) {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
        }
    }
}

#[test]
fn a_machine_killed_mid_run_holds_its_claim_until_the_lease_runs_out_then_another_takes_over() {
    let r = Repo::new();
    let remote = published(&r);
    let beta = machine(&r, &remote, "beta");
    for dir in [r.path(), beta.clone()] {
        r.git_in(&dir, &["config", "epic.claimLease", "3s"]);
    }
    let mut run = spawn_in(
        &r,
        &beta,
        &["wave", "start", "--all", "--auto-merge"],
        &[("FAKE_SLEEP", "60")],
    );
    // beta's agent runs A: its claim is on the remote.
    let claimed = std::time::Instant::now();
    loop {
        assert!(claimed.elapsed().as_secs() < 30, "beta never claimed A");
        r.epic(&["sync"]);
        if row(&r.status(), "A")["host"] == "beta" && row(&r.status(), "A")["state"] == "running" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    run.kill().unwrap(); // SIGKILL: no clean-up, the claim stays on the remote
    run.wait().unwrap();
    kill_under(&beta);
    let killed = std::time::Instant::now();
    let run = spawn_in(
        &r,
        &r.path(),
        &["wave", "start", "--all", "--auto-merge"],
        &[("FAKE_SLEEP", "0.2")],
    );
    let (code, err) = finish(run);
    assert_eq!(code, Some(0), "{err}");
    // alpha waited for the lease (3 s, renewed by beta until it died), then ran A itself.
    assert!(
        killed.elapsed().as_secs_f64() >= 2.0,
        "alpha did not wait for beta's claim: {:?}",
        killed.elapsed()
    );
    assert!(
        err.contains("A: skipped, claimed by git epic on beta"),
        "{err}"
    );
    assert!(
        err.contains("A: the machine that held it let its claim run out; running it here"),
        "{err}"
    );
    let s = r.status();
    for id in ["A", "B"] {
        assert_eq!(row(&s, id)["state"], "merged", "{id}");
        assert_eq!(row(&s, id)["host"], "alpha", "{id}");
    }
    assert_eq!(epic_tip(&r, &remote), epic_tip(&r, &r.path()));
}

#[test]
fn a_run_goes_on_while_the_remote_is_away_and_shares_everything_when_it_is_back() {
    let r = Repo::new();
    let remote = published(&r);
    let beta = machine(&r, &remote, "beta");
    let away = r.dir.path().join("remote-away.git");
    let run = spawn_in(
        &r,
        &r.path(),
        &["wave", "start", "--all", "--auto-merge"],
        &[("FAKE_SLEEP", "1")],
    );
    // The remote goes away while A runs, and comes back while B runs.
    let log = |id: &str| r.path().join(format!(".git/epic/e/logs/{id}.log"));
    let started = std::time::Instant::now();
    while !log("A").exists() {
        assert!(started.elapsed().as_secs() < 30, "A never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::fs::rename(&remote, &away).unwrap();
    while !log("B").exists() {
        assert!(started.elapsed().as_secs() < 30, "B never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::fs::rename(&away, &remote).unwrap();
    let (code, err) = finish(run);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("local-only:"), "{err}");
    // Nothing was lost: what landed while it was away reached the remote, and beta.
    assert_eq!(epic_tip(&r, &remote), epic_tip(&r, &r.path()));
    let out = r.epic_in(&beta, &["sync"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = status_in(&r, &beta);
    for id in ["A", "B"] {
        assert_eq!(row(&s, id)["state"], "merged", "{id}");
    }
}

#[test]
fn a_limit_on_a_shared_account_holds_back_every_machine_and_an_unshared_one_only_its_own() {
    let r = Repo::new();
    let remote = published(&r);
    for id in ["C", "D"] {
        r.epic(&["ticket", "add", id, "--title", id]).ok();
    }
    r.epic(&["sync"]).ok();
    let beta = machine(&r, &remote, "beta");
    r.git(&["config", "epic.agent", &agent("ratelimit_once.sh")]);
    for dir in [r.path(), beta.clone()] {
        r.git_in(&dir, &["config", "epicAgent.default.sharedAccount", "true"]);
    }
    // The fake dir: open to the agents in the sandbox.
    let fake = r.fake_dir();
    let fake_dir = fake.to_str().unwrap();
    // alpha's agent hits the account's limit, which resets in 5 s.
    let mut alpha = spawn_in(
        &r,
        &r.path(),
        &["run", "A"],
        &[("FAKE_DIR", fake_dir), ("FAKE_RESET", "5")],
    );
    let key = r.git_stdin_in(
        &r.path(),
        &["hash-object", "--stdin"],
        "git-epic ticket\nepic e\nticket @account/default\n",
    );
    let t0 = std::time::Instant::now();
    // Each machine's notes go to its own ref on the remote (issue 25): the limit is there
    // once one of them holds a note for the account.
    let on_remote = || {
        let refs = r.git_in(
            &remote,
            &[
                "for-each-ref",
                "--format=%(refname)",
                "refs/epic/e/machines/",
            ],
        );
        refs.lines().any(|m| {
            r.git_in(&remote, &["ls-tree", "-r", "--name-only", m])
                .lines()
                .any(|p| p.replace('/', "") == key)
        })
    };
    while !on_remote() {
        assert!(
            t0.elapsed().as_secs() < 20,
            "the limit never reached the remote"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // beta shares the account: its ticket waits for the reset.
    let started = std::time::Instant::now();
    let out = r.epic_in(&beta, &["run", "C"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "C: rate limited, the account of agent profile `default` (shared by the epic's machines) is limited"
        ),
        "{}",
        out.stderr
    );
    assert!(
        started.elapsed().as_secs_f64() >= 2.0,
        "C did not wait: {:?}",
        started.elapsed()
    );
    // With its own account, beta does not wait for alpha's limit.
    r.git_in(
        &beta,
        &["config", "epicAgent.default.sharedAccount", "false"],
    );
    let out = r.epic_in(&beta, &["run", "D"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stderr.contains("is limited"), "{}", out.stderr);
    // Not a word of a wait, and none in its note (a time bound would depend on the load).
    let status = r.epic_in(&beta, &["status", "--json"], None).json();
    let d = status["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "D")
        .unwrap();
    assert_eq!(
        (d["state"].as_str(), d["rate_limit_waits"].as_u64()),
        (Some("done"), Some(0)),
        "{d}"
    );
    assert_eq!(alpha.wait().unwrap().code(), Some(0));
}

#[test]
fn tickets_merely_queued_on_one_machine_stay_free_for_another() {
    let r = Repo::new();
    let remote = published(&r);
    for id in ["C", "D", "E"] {
        r.epic(&["ticket", "add", id, "--title", id]).ok();
    }
    r.epic(&["sync"]).ok();
    let beta = machine(&r, &remote, "beta");
    for dir in [r.path(), beta.clone()] {
        r.git_in(&dir, &["config", "epic.claimLease", "3s"]);
    }
    // alpha runs one ticket at a time; its claims are renewed every second meanwhile.
    let alpha = spawn_in(
        &r,
        &r.path(),
        &["wave", "start", "--all", "--auto-merge", "-j", "1"],
        &[("FAKE_SLEEP", "2")],
    );
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let beta_run = spawn_in(
        &r,
        &beta,
        &["wave", "start", "--all", "--auto-merge", "-j", "1"],
        &[("FAKE_SLEEP", "2")],
    );
    let (code, err) = finish(beta_run);
    assert!(code.is_some_and(|c| c <= 1), "{err}");
    let (code, alpha_err) = finish(alpha);
    assert!(code.is_some_and(|c| c <= 1), "{alpha_err}");
    // beta found tickets alpha had only queued (C, D, E: ready from the start), and ran some.
    let ran_on_beta = ["C", "D", "E"]
        .iter()
        .filter(|id| beta.join(format!(".git/epic/e/logs/{id}.log")).exists())
        .count();
    assert!(
        ran_on_beta >= 1,
        "beta ran none of them:\n{err}\n{alpha_err}"
    );
}

#[test]
fn clones_that_share_a_host_name_each_have_their_own_identity_and_run_each_ticket_once() {
    let r = Repo::new();
    let remote = published_as(&r, None);
    for (id, deps) in [
        ("C", ""),
        ("D", ""),
        ("E", "C"),
        ("F", ""),
        ("G", "D"),
        ("H", ""),
        ("I", "F"),
        ("J", ""),
    ] {
        let mut args = vec!["ticket", "add", id, "--title", id];
        if !deps.is_empty() {
            args.extend(["--deps", deps]);
        }
        r.epic(&args).ok();
    }
    r.epic(&["sync"]).ok();
    let machines = [
        r.path(),
        machine_as(&r, &remote, "two", None),
        machine_as(&r, &remote, "three", None),
    ];
    // Each clone made its own machine id; none was copied.
    let ids: std::collections::BTreeSet<String> = machines
        .iter()
        .map(|m| r.git_in(m, &["config", "--local", "epic.machineId"]))
        .collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    let starts = r.fake_dir().join("starts");
    let runs: Vec<_> = machines
        .iter()
        .map(|m| {
            spawn_in(
                &r,
                m,
                &["wave", "start", "--all", "--auto-merge", "-j", "2"],
                &[
                    ("FAKE_SLEEP", "0.5"),
                    ("FAKE_STARTS", starts.to_str().unwrap()),
                ],
            )
        })
        .collect();
    for child in runs {
        let (code, err) = finish(child);
        assert_eq!(code, Some(0), "{err}");
    }
    for m in &machines {
        r.epic_in(m, &["sync"], None);
    }
    // Every ticket's agent started exactly once, across the three clones.
    let started = std::fs::read_to_string(&starts).unwrap();
    let mut counts = std::collections::BTreeMap::new();
    for id in started.lines() {
        *counts.entry(id.to_owned()).or_insert(0) += 1;
    }
    let all = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"];
    assert_eq!(counts.len(), all.len(), "{counts:?}");
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    // Every clone sees every ticket merged, and the machines that ran them apart: one host
    // name, the rows' machine ids differ.
    let merges = r.git_in(&remote, &["log", "--first-parent", "--format=%s", "epic/e"]);
    for id in all {
        let n = merges
            .lines()
            .filter(|l| l.starts_with(&format!("epic(e): merge {id} ")))
            .count();
        assert_eq!(n, 1, "{id} landed {n} times:\n{merges}");
    }
    let mut ran_on = std::collections::BTreeSet::new();
    for m in &machines {
        let s = status_in(&r, m);
        for id in all {
            assert_eq!(row(&s, id)["state"], "merged", "{id} on {}", m.display());
            ran_on.insert(row(&s, id)["machine"].as_str().unwrap().to_owned());
        }
        assert_eq!(s["host"], row(&s, "A")["host"], "one host name");
    }
    assert!(ran_on.len() >= 2, "the work was shared: {ran_on:?}");
    assert!(ran_on.is_subset(&ids), "{ran_on:?} {ids:?}");
    // The table tells the clones apart: host#<start of the machine id>.
    let table = r.epic(&["status"]).ok().stdout;
    let host = status_in(&r, &r.path())["host"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(table.contains(&format!("{host}#")), "{table}");
}

#[test]
fn a_claim_in_a_note_of_an_older_version_naming_only_a_host_is_honoured_until_its_lease_ends() {
    let r = Repo::new();
    let remote = published_as(&r, None);
    let beta = machine_as(&r, &remote, "beta", None);
    // An older git-epic on host `oldbox` holds A: its note names a host and no machine.
    let until = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        + 3.0;
    let text = format!(
        "state = \"running\"\nattempts = 1\nhost = \"oldbox\"\nowner_pid = 4242\nclaim_until = {until}\nrev = 5\n"
    );
    note_by_hand(&r, &beta, "A", &text);
    r.git_in(&beta, &["push", "-q", "origin", "refs/notes/epic"]);
    let started = std::time::Instant::now();
    let out = r.epic(&["wave", "start", "--all", "--auto-merge"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("A: skipped, claimed by git epic on oldbox"),
        "{}",
        out.stderr
    );
    assert!(
        started.elapsed().as_secs_f64() >= 2.0,
        "the old claim was not honoured: {:?}",
        started.elapsed()
    );
    let s = r.status();
    assert_eq!(row(&s, "A")["state"], "merged");
    assert_eq!(row(&s, "A")["machine"], s["machine"]);
}

#[test]
fn a_ticket_done_on_a_machine_that_went_away_is_landed_by_another_from_its_branch_not_run_again() {
    let r = Repo::new();
    // Clones on one host, no epic.hostName: told apart by their machine ids only.
    let remote = published_as(&r, None);
    let beta = machine_as(&r, &remote, "beta", None);
    let beta_id = r.git_in(&beta, &["config", "epic.machineId"]);
    for dir in [r.path(), beta.clone()] {
        r.git_in(&dir, &["config", "epic.claimLease", "3s"]);
    }
    // beta's merged-result test never ends: it dies in its gate, A done and not landed.
    r.git_in(&beta, &["config", "epic.test", "sleep 600"]);
    let starts = r.fake_dir().join("starts");
    let starts_env = ("FAKE_STARTS", starts.to_str().unwrap());
    let mut run = spawn_in(
        &r,
        &beta,
        &["wave", "start", "--all", "--auto-merge"],
        &[starts_env],
    );
    let began = std::time::Instant::now();
    loop {
        assert!(
            began.elapsed().as_secs() < 30,
            "A never reached the remote done"
        );
        r.epic(&["sync"]);
        let a = row(&r.status(), "A").clone();
        if a["state"] == "done" && a["machine"] == beta_id.as_str() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Its branch went with the note.
    let branch = row(&r.status(), "A")["branch"].as_str().unwrap().to_owned();
    assert!(r
        .git_out_in(&remote, &["rev-parse", "--verify", &branch])
        .is_some());
    run.kill().unwrap();
    run.wait().unwrap();
    kill_under(&beta);
    std::fs::create_dir_all(r.fake_dir()).unwrap();
    let out = r.epic_env(&["wave", "start", "--all", "--auto-merge"], &[starts_env]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let host = r.status()["host"].as_str().unwrap().to_owned();
    let said = format!(
        "A: done on {host}#{}, which let its claim run out before landing it; landing it here",
        &beta_id[..4]
    );
    assert!(out.stderr.contains(&said), "{}", out.stderr);
    // A's agent ran once (on beta), B's once (here).
    assert_eq!(std::fs::read_to_string(&starts).unwrap(), "A\nB\n");
    let s = r.status();
    for id in ["A", "B"] {
        assert_eq!(row(&s, id)["state"], "merged", "{id}");
    }
    assert_eq!(epic_tip(&r, &remote), epic_tip(&r, &r.path()));
    let merges = r.git_in(&remote, &["log", "--first-parent", "--format=%s", "epic/e"]);
    assert_eq!(merges.matches("epic(e): merge A ").count(), 1, "{merges}");
}

#[test]
fn landings_made_on_two_machines_while_the_remote_was_away_land_again_once_each_and_the_epics_agree(
) {
    let r = Repo::new();
    let remote = published_as(&r, None);
    r.epic(&["ticket", "add", "C", "--title", "C"]).ok();
    r.epic(&["sync"]).ok();
    let beta = machine_as(&r, &remote, "beta", None);
    let tested = r.dir.path().join("tested");
    for dir in [r.path(), beta.clone()] {
        let test = format!("echo run >> {}", tested.display());
        r.git_in(&dir, &["config", "epic.test", &test]);
    }
    // The remote goes away; alpha lands A and beta lands C, each on its own epic.
    let away = r.dir.path().join("remote-away.git");
    std::fs::rename(&remote, &away).unwrap();
    assert_eq!(r.epic(&["run", "A"]).code, 0);
    let out = r.epic(&["merge", "A"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(r.epic_in(&beta, &["run", "C"], None).code, 0);
    assert_eq!(r.epic_in(&beta, &["merge", "C"], None).code, 0);
    // Kept as local-only, and said so.
    assert_eq!(r.status()["local_only"], serde_json::json!(["A"]));
    assert_eq!(status_in(&r, &beta)["local_only"], serde_json::json!(["C"]));
    let table = r.epic(&["status"]).ok().stdout;
    assert!(
        table.contains("landed here only, not on origin yet: A"),
        "{table}"
    );
    let before = [epic_tip(&r, &r.path()), epic_tip(&r, &beta)];
    std::fs::rename(&away, &remote).unwrap();
    // Both sync at once: one fast-forwards the remote, the other lands again on it.
    let syncs: Vec<_> = [r.path(), beta.clone()]
        .iter()
        .map(|m| spawn_in(&r, m, &["sync"], &[]))
        .collect();
    for child in syncs {
        let (code, err) = finish(child);
        assert_eq!(code, Some(0), "{err}");
    }
    for m in [r.path(), beta.clone()] {
        let out = r.epic_in(&m, &["sync"], None);
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    }
    // The epics agree, every ticket landed once, and nothing was lost: the epic each had
    // is kept, under a ref, or is the remote's.
    let tip = epic_tip(&r, &remote);
    assert_eq!(epic_tip(&r, &r.path()), tip);
    assert_eq!(epic_tip(&r, &beta), tip);
    let merges = r.git_in(&remote, &["log", "--first-parent", "--format=%s", "epic/e"]);
    for id in ["A", "C"] {
        let n = merges
            .lines()
            .filter(|l| l.starts_with(&format!("epic(e): merge {id} ")))
            .count();
        assert_eq!(n, 1, "{id} landed {n} times:\n{merges}");
    }
    let kept = [
        r.git_in(
            &r.path(),
            &["for-each-ref", "--format=%(objectname)", "refs/epic-sync/"],
        ),
        r.git_in(
            &beta,
            &["for-each-ref", "--format=%(objectname)", "refs/epic-sync/"],
        ),
    ]
    .join("\n");
    for old in &before {
        assert!(
            kept.contains(old.as_str())
                || r.git_out_in(&remote, &["merge-base", "--is-ancestor", old, "epic/e"])
                    .is_some(),
            "{old} was lost"
        );
    }
    for m in [r.path(), beta.clone()] {
        let s = status_in(&r, &m);
        assert_eq!(s["local_only"], serde_json::json!([]));
        for id in ["A", "C"] {
            assert_eq!(row(&s, id)["state"], "merged", "{id} on {}", m.display());
        }
    }
    // The ticket landed again went through the merged-result test again: 2 + 1 runs.
    let runs = std::fs::read_to_string(&tested).unwrap().lines().count();
    assert_eq!(runs, 3, "merged-result tests");
}

#[test]
fn a_flow_run_lands_again_what_landed_here_while_the_remote_was_away_before_its_dependents_start() {
    let r = Repo::new();
    let remote = published_as(&r, None);
    r.epic(&["ticket", "add", "C", "--title", "C"]).ok();
    r.epic(&["sync"]).ok();
    let beta = machine_as(&r, &remote, "beta", None);
    // alpha cannot reach the remote: it lands A on its own epic; beta lands C on the remote.
    let url = remote.to_str().unwrap().to_owned();
    r.git(&["remote", "set-url", "origin", "/nowhere/remote.git"]);
    assert_eq!(r.epic(&["run", "A"]).code, 0);
    assert_eq!(r.epic(&["merge", "A"]).code, 0);
    assert_eq!(r.epic_in(&beta, &["run", "C"], None).code, 0);
    assert_eq!(r.epic_in(&beta, &["merge", "C"], None).code, 0);
    r.git(&["remote", "set-url", "origin", &url]);
    let out = r.epic(&["wave", "start", "--all", "--auto-merge"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let merges = r.git_in(&remote, &["log", "--first-parent", "--format=%s", "epic/e"]);
    for id in ["A", "B", "C"] {
        let n = merges
            .lines()
            .filter(|l| l.starts_with(&format!("epic(e): merge {id} ")))
            .count();
        assert_eq!(n, 1, "{id} landed {n} times:\n{merges}");
    }
    // B started from an epic that has A and C.
    let b = r.git_in(&remote, &["log", "--format=%s", "epic/e^2"]);
    assert!(
        b.contains("A: the work") && b.contains("C: the work"),
        "{b}"
    );
    assert_eq!(epic_tip(&r, &remote), epic_tip(&r, &r.path()));
    assert_eq!(r.status()["local_only"], serde_json::json!([]));
}

/// A shared account's cooldown, lifted on one machine, is lifted on every machine: both runs
/// waiting on it (the one whose agent hit the limit, and the other) go on at once.
#[test]
fn a_reset_of_a_shared_account_on_one_machine_starts_every_machine_s_waiting_tickets() {
    let r = Repo::new();
    let remote = published(&r);
    r.epic(&["ticket", "add", "C", "--title", "C"]).ok();
    r.epic(&["sync"]).ok();
    let beta = machine(&r, &remote, "beta");
    r.git(&["config", "epic.agent", &agent("ratelimit_once.sh")]);
    for dir in [r.path(), beta.clone()] {
        r.git_in(&dir, &["config", "epicAgent.default.sharedAccount", "true"]);
        // Claims renewed, and notes exchanged, every second.
        r.git_in(&dir, &["config", "epic.claimLease", "3s"]);
    }
    // The fake dir: open to the agents in the sandbox.
    let fake = r.fake_dir();
    let fake_dir = fake.to_str().unwrap();
    // alpha's agent hits the account's limit, which resets in an hour.
    let alpha = spawn_in(
        &r,
        &r.path(),
        &["run", "A"],
        &[("FAKE_DIR", fake_dir), ("FAKE_RESET", "3600")],
    );
    let t0 = std::time::Instant::now();
    let cooldowns = |dir: &Path| status_in(&r, dir)["cooldowns"].clone();
    while cooldowns(&r.path()).as_array().unwrap().is_empty() {
        assert!(t0.elapsed().as_secs() < 30, "alpha never hit the limit");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // beta learns of it through the remote, and its ticket waits for the reset.
    while {
        r.epic_in(&beta, &["sync"], None);
        cooldowns(&beta).as_array().unwrap().is_empty()
    } {
        assert!(t0.elapsed().as_secs() < 30, "the limit never reached beta");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let c = &cooldowns(&beta)[0];
    assert_eq!(c["profile"], "default");
    assert_eq!(c["source"], "limit of the shared account (hit on alpha)");
    assert_eq!(c["host"], "alpha");
    assert_eq!(c["ticket"], serde_json::Value::Null);
    assert!(
        c["said"].as_str().unwrap().contains("usage limit reached"),
        "{c}"
    );
    assert!(c["left_s"].as_f64().unwrap() > 3500.0, "{c}");
    let beta_run = spawn_in(&r, &beta, &["run", "C"], &[]);
    let log = beta.join(".git/epic/e/logs/C.log");
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(!log.exists(), "C started under the account's limit");

    // The reset on beta: the account's note is cleared and goes to the remote.
    let reset = std::time::Instant::now();
    let out = r.epic_in(&beta, &["agent", "reset", "default"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "The shared account's note is cleared and sent to origin: the other machines go on at their next exchange."
        ),
        "{}",
        out.stderr
    );
    let (code, err) = finish(beta_run);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("C: rate limited, the account"), "{err}");
    // alpha, whose own ticket hit the limit, goes on at its next exchange (every second).
    let (code, err) = finish(alpha);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        reset.elapsed().as_secs() < 15,
        "{:?} after the reset",
        reset.elapsed()
    );
    assert_eq!(row(&status_in(&r, &r.path()), "A")["state"], "done");
    assert_eq!(row(&status_in(&r, &beta), "C")["state"], "done");
    assert_eq!(cooldowns(&r.path()), serde_json::json!([]));
}
