//! The sandbox (`epic.sandbox`): a hostile agent tries every way out of its ticket. Under
//! Landlock each is refused, its own commit lands, and nothing outside its worktree and
//! branch changes; with the sandbox off the same agent gets everywhere.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{agent, Repo};

/// Whether this kernel confines at all (the hostile tests need it; they say so when not).
fn landlock_here() -> bool {
    let ok = matches!(
        git_epic::infra::sandbox::support(),
        git_epic::infra::sandbox::Support::Landlock(_)
    );
    if !ok {
        eprintln!("SKIPPED: this kernel has no Landlock");
    }
    ok
}

/// An epic with tickets A and B; B done by a well-behaved agent (its worktree and branch
/// are A's siblings), then the hostile agent set for A; secrets in the fake HOME.
fn setup() -> Repo {
    let r = Repo::with_agent("commit.sh");
    for id in ["A", "B"] {
        r.epic(&["ticket", "add", id, "--title", &format!("ticket {id}")])
            .ok();
    }
    r.git(&["add", "tasks"]);
    r.git(&["commit", "-q", "-m", "tickets"]);
    r.epic(&["run", "B"]).ok();
    let home = r.home();
    for (path, text) in [
        (
            ".ssh/id_ed25519",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n",
        ),
        (".ssh/authorized_keys", "ssh-ed25519 AAAA user@host\n"),
        (
            ".config/gh/hosts.yml",
            "github.com:\n    oauth_token: gho_fake\n",
        ),
    ] {
        std::fs::create_dir_all(home.join(path).parent().unwrap()).unwrap();
        std::fs::write(home.join(path), text).unwrap();
    }
    r.git(&["config", "epic.agent", &agent("hostile.sh")]);
    r
}

/// Run the hostile agent on A; its log.
fn attack(r: &Repo) -> String {
    attack_with(r, &[])
}

fn attack_with(r: &Repo, more: &[(&str, &str)]) -> String {
    let other = r.git(&["for-each-ref", "--format=%(refname)", "refs/heads/feat/B-*"]);
    assert!(other.starts_with("refs/heads/feat/B-"), "{other}");
    let root = r.path().to_string_lossy().into_owned();
    let sibling = r.path().join("worktrees/feat-B");
    let sibling = sibling.to_string_lossy();
    let mut env = vec![
        ("HOSTILE_ROOT", root.as_str()),
        ("HOSTILE_SIBLING", &sibling),
        ("HOSTILE_OTHER_REF", &other),
        ("GH_TOKEN", "ghp_secret"),
    ];
    env.extend_from_slice(more);
    r.epic_env(&["run", "A"], &env);
    r.log("A")
}

/// Every file of the repository and HOME with its content, but A's own: its worktree, its
/// private git dir, its branch and reflog, the object store (append-only to git), and what
/// git-epic itself writes (its notes, its logs, the main index git refreshes).
fn outside_a(r: &Repo) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let own = [
        "repo/worktrees/feat-A",
        "repo/.git/worktrees/feat-A",
        "repo/.git/objects",
        "repo/.git/epic",
        "repo/.git/refs/notes",
        "repo/.git/logs/refs/notes",
        "repo/.git/refs/heads/feat/A-",
        "repo/.git/logs/refs/heads/feat/A-",
        "repo/.git/index",
    ];
    let top = r.dir.path();
    let mut stack = vec![top.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(top).unwrap().to_string_lossy().into_owned();
            if rel == "fake" || own.iter().any(|o| rel.starts_with(o)) {
                continue;
            }
            if p.is_dir() && !p.is_symlink() {
                stack.push(p);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    out
}

fn attempts(log: &str, word: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| l.strip_prefix(word))
        .map(str::to_owned)
        .collect()
}

fn notes_added_by_hand(r: &Repo) -> bool {
    r.git(&["log", "--format=%s", "refs/notes/epic"])
        .contains("Notes added by 'git notes add'")
}

#[test]
fn a_confined_agent_is_refused_every_escape_and_its_commit_lands() {
    if !landlock_here() {
        return;
    }
    let r = setup();
    r.git(&["config", "epic.sandbox", "landlock"]);
    let before = outside_a(&r);
    let log = attack(&r);
    assert_eq!(
        attempts(&log, "WORKED: "),
        vec!["the temporary dir"],
        "only its temporary dir is open to it:\n{log}"
    );
    assert_eq!(attempts(&log, "REFUSED: ").len(), 12, "{log}");
    let after = outside_a(&r);
    let changed: Vec<&String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert!(changed.is_empty(), "changed outside A: {changed:?}\n{log}");
    assert!(!notes_added_by_hand(&r), "{log}");
    // Its own commit is on its branch, and its worktree is back on that branch.
    let wt = r.path().join("worktrees/feat-A");
    assert_eq!(r.row("A")["state"], "done", "{log}");
    let branch = r.git_in(&wt, &["symbolic-ref", "--short", "HEAD"]);
    assert!(branch.starts_with("feat/A-"), "{branch}");
    assert_eq!(r.git(&["log", "-1", "--format=%s", &branch]), "A: the work");
    assert_eq!(r.git_in(&wt, &["status", "--porcelain"]), "");
    // What was refused is in the log and in review, where a reviewer looks.
    let review = r.epic(&["review", "A", "--json"]).ok().json();
    let refused = review["tickets"][0]["sandbox_refused"].to_string();
    for what in [
        ".git/config",
        "hooks/post-checkout",
        ".ssh/id_ed25519",
        "pwned.txt",
    ] {
        assert!(refused.contains(what), "{what}: {refused}");
    }
    assert!(log.contains("git-epic: sandbox refused: "), "{log}");
    let text = r.epic(&["review", "A"]).ok().stdout;
    assert!(text.contains("sandbox refused its agent:"), "{text}");
}

#[test]
fn the_same_agent_unconfined_gets_everywhere() {
    let r = setup();
    r.git(&["config", "epic.sandbox", "off"]);
    let before = outside_a(&r);
    let log = attack(&r);
    assert_eq!(attempts(&log, "REFUSED: "), Vec::<String>::new(), "{log}");
    assert_eq!(attempts(&log, "WORKED: ").len(), 13, "{log}");
    assert_ne!(before, outside_a(&r));
    assert!(notes_added_by_hand(&r));
    assert!(Path::new(&r.path().join("pwned.txt")).exists());
}

#[test]
fn work_the_sandbox_refused_is_no_work_done() {
    if !landlock_here() {
        return;
    }
    let r = setup();
    r.git(&["config", "epic.sandbox", "landlock"]);
    r.git(&["config", "epic.maxAttempts", "1"]);
    let log = attack_with(&r, &[("HOSTILE_NO_WORK", "1")]);
    let row = r.row("A");
    assert_eq!(row["state"], "failed", "{log}");
    let reason = row["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("agent made no changes; the sandbox refused it: "),
        "{reason}"
    );
    assert!(!r.path().join("pwned.txt").exists());
}

#[test]
fn auto_on_a_kernel_without_landlock_says_once_that_agents_run_unconfined() {
    let r = Repo::with_agent("commit.sh");
    for id in ["A", "B"] {
        r.epic(&["ticket", "add", id, "--title", id]).ok();
    }
    r.git(&["add", "tasks"]);
    r.git(&["commit", "-q", "-m", "tickets"]);
    let no = [("GIT_EPIC_LANDLOCK", "off"), ("GH_TOKEN", "ghp_secret")];
    let out = r.epic_env(&["wave", "start", "0"], &no).ok();
    let said = "agents run unconfined: GIT_EPIC_LANDLOCK=off is set";
    assert_eq!(out.stderr.matches(said).count(), 1, "{}", out.stderr);
    assert_eq!(r.row("A")["state"], "done");
    // Unconfined, its credentials are still held back.
    assert!(
        r.log("A").contains("this agent runs unconfined"),
        "{}",
        r.log("A")
    );
    let doctor = r.epic_env(&["doctor"], &no).stdout;
    assert!(
        doctor.contains("agents run unconfined: GIT_EPIC_LANDLOCK=off is set"),
        "{doctor}"
    );
    // Asked for by name, it stops before anything is made.
    r.git(&["config", "epic.sandbox", "landlock"]);
    r.epic(&["ticket", "add", "C", "--title", "C"]).ok();
    r.git(&["add", "tasks"]);
    r.git(&["commit", "-q", "-m", "C"]);
    let before = r.snapshot();
    let out = r.epic_env(&["run", "C"], &no).code(2);
    assert!(
        out.stderr
            .contains("The sandbox is set to landlock, but GIT_EPIC_LANDLOCK=off is set"),
        "{}",
        out.stderr
    );
    assert_eq!(before, r.snapshot());
}

#[test]
fn credentials_are_held_back_unless_the_profile_passes_them() {
    let r = Repo::with_agent("env.sh");
    for id in ["A", "B"] {
        r.epic(&["ticket", "add", id, "--title", id]).ok();
    }
    r.git(&["add", "tasks"]);
    r.git(&["commit", "-q", "-m", "tickets"]);
    r.git(&["config", "epicAgent.default.passEnv", "GITLAB_TOKEN"]);
    let env = [
        ("GH_TOKEN", "ghp_secret"),
        ("GITLAB_TOKEN", "glpat_passed"),
        ("SSH_AUTH_SOCK", "/tmp/agent.sock"),
        ("ANTHROPIC_API_KEY", "sk-own-key"),
    ];
    r.epic_env(&["run", "A"], &env).ok();
    let log = r.log("A");
    assert!(log.contains("GH_TOKEN=<unset>"), "{log}");
    assert!(log.contains("SSH_AUTH_SOCK=<unset>"), "{log}");
    assert!(log.contains("GITLAB_TOKEN=glpat_passed"), "{log}");
    assert!(log.contains("ANTHROPIC_API_KEY=sk-own-key"), "{log}");
    // Off is as before: the whole environment.
    r.git(&["config", "epic.sandbox", "off"]);
    r.epic_env(&["run", "B"], &env).ok();
    assert!(r.log("B").contains("GH_TOKEN=ghp_secret"), "{}", r.log("B"));
}

#[test]
fn a_sandbox_setting_that_is_not_a_mode_is_refused_before_anything_changes() {
    let r = Repo::with_agent("commit.sh");
    r.epic(&["ticket", "add", "A", "--title", "A"]).ok();
    r.git(&["add", "tasks"]);
    r.git(&["commit", "-q", "-m", "tickets"]);
    for (key, value, said) in [
        (
            "epic.sandbox",
            "firejail",
            "git config epic.sandbox is `firejail`, expected auto, landlock or off.",
        ),
        (
            "epicAgent.default.sandbox",
            "on",
            "git config epicAgent.default.sandbox is `on`, expected auto, landlock or off.",
        ),
    ] {
        r.git(&["config", key, value]);
        let before = r.snapshot();
        let out = r.epic(&["run", "A"]).code(2);
        assert!(out.stderr.contains(said), "{}", out.stderr);
        assert_eq!(before, r.snapshot());
        r.git(&["config", "--unset", key]);
    }
}

/// A confined agent's git: its housekeeping (`git maintenance run --auto` after a commit) is
/// left to git outside the sandbox, where it can write refs; git's complaint of the sandbox
/// after each commit (the packed-refs lock, to delete AUTO_MERGE) stays out of the log, so
/// the agent's last line is its own; config passed to git through the environment still
/// reaches the agent.
#[test]
fn a_confined_agents_git_leaves_housekeeping_outside_and_its_last_line_is_its_own() {
    if !landlock_here() {
        return;
    }
    let r = Repo::with_agent("steady.sh");
    r.git(&["config", "epic.sandbox", "landlock"]);
    r.epic(&["ticket", "add", "A", "--title", "A"]).ok();
    let env = [
        ("GIT_CONFIG_COUNT", "1"),
        ("GIT_CONFIG_KEY_0", "user.name"),
        ("GIT_CONFIG_VALUE_0", "Set Through The Environment"),
        ("GIT_TRACE", "2"),
    ];
    r.epic_env(&["run", "A"], &env).ok();
    let log = r.log("A");
    assert!(log.contains("[stderr] "), "the agent's git traced: {log}");
    assert!(log.contains("built-in: git commit"), "{log}");
    assert!(!log.contains("maintenance"), "{log}");
    assert!(!log.contains("Unable to create"), "{log}");
    assert_eq!(r.row("A")["last_line"], "committed A", "{log}");
    let author = r.git(&["log", "-1", "--format=%an", "refs/heads/feat/A-a"]);
    assert_eq!(author.trim(), "Set Through The Environment");
}
