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
    let other = r.git(&["for-each-ref", "--format=%(refname)", "refs/heads/feat/B-*"]);
    assert!(other.starts_with("refs/heads/feat/B-"), "{other}");
    let root = r.path().to_string_lossy().into_owned();
    let sibling = r.path().join("worktrees/feat-B");
    r.epic_env(
        &["run", "A"],
        &[
            ("HOSTILE_ROOT", root.as_str()),
            ("HOSTILE_SIBLING", &sibling.to_string_lossy()),
            ("HOSTILE_OTHER_REF", &other),
            ("GH_TOKEN", "ghp_secret"),
        ],
    )
    .ok();
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
