//! One epic, many machines: a bare repository as the remote, clones as the machines.

use std::path::{Path, PathBuf};

use crate::support::{agent, Repo};

/// Machine `alpha` (the test repo) with epic `e` published on a bare remote, two tickets
/// (B after A); returns the remote's path.
fn published(r: &Repo) -> PathBuf {
    let remote = r.dir.path().join("remote.git");
    r.git_in(r.dir.path(), &["init", "-q", "--bare", "remote.git"]);
    r.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    r.git(&["push", "-q", "origin", "main"]);
    r.git(&["config", "epic.remote", "origin"]);
    r.git(&["config", "epic.hostName", "alpha"]);
    let out = r.epic(&["init", "e"]).ok();
    assert!(out.stderr.contains("git epic join e"), "{}", out.stderr);
    r.git(&["config", "epic.agent", &agent("commit.sh")]);
    r.git(&["config", "epic.stagger", "0"]);
    r.epic(&["ticket", "add", "A", "--title", "A"]).ok();
    r.epic(&["ticket", "add", "B", "--title", "B", "--deps", "A"])
        .ok();
    r.epic(&["sync"]).ok();
    remote
}

/// A clone of the remote as machine `name`, joined to epic `e`.
fn machine(r: &Repo, remote: &Path, name: &str) -> PathBuf {
    let dir = r.dir.path().join(name);
    r.git_in(
        r.dir.path(),
        &["clone", "-q", remote.to_str().unwrap(), name],
    );
    r.git_in(&dir, &["config", "epic.hostName", name]);
    let out = r.epic_in(&dir, &["join", "e"], None);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    r.git_in(&dir, &["config", "epic.agent", &agent("commit.sh")]);
    r.git_in(&dir, &["config", "epic.stagger", "0"]);
    dir
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
    assert_eq!(
        r.git_in(&beta, &["rev-parse", "epic/e"]),
        r.git(&["rev-parse", "epic/e"])
    );
    // beta runs and merges A, then shares it.
    assert_eq!(r.epic_in(&beta, &["run", "A"], None).code, 0);
    assert_eq!(r.epic_in(&beta, &["merge", "A"], None).code, 0);
    let out = r.epic_in(&beta, &["sync", "--json"], None);
    let sync: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(sync["epic"], "pushed");
    assert_eq!(sync["branches_out"], serde_json::json!(["A"]));
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
    assert_eq!(
        r.git(&["rev-parse", "epic/e"]),
        r.git_in(&beta, &["rev-parse", "epic/e"])
    );
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
        let blob = r.git_stdin_in(
            &beta,
            &["hash-object", "-w", "--stdin"],
            &format!("git-epic ticket\nepic e\nticket {id}\n"),
        );
        let file = beta.join(format!("note-{id}"));
        std::fs::write(&file, text).unwrap();
        r.git_in(
            &beta,
            &[
                "notes",
                "--ref=epic",
                "add",
                "-f",
                "-F",
                file.to_str().unwrap(),
                &blob,
            ],
        );
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
    assert_eq!(
        r.git_in(&beta, &["rev-parse", "epic/e"]),
        r.git(&["rev-parse", "epic/e"])
    );
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
