//! `git epic propagate`'s in-process rebase (gitx::transplant): the same branch, files and
//! index as `git rebase` gives, and what a killed one leaves is put right.

use std::path::{Path, PathBuf};

use crate::support::Repo;

/// An epic `e` with files to change, ticket B's worktree (two commits: an edit, a new
/// executable script in a new directory, a removed file and the directory it leaves
/// empty), a twin of B's branch outside the epic's worktrees, and the epic moved on (an
/// edit of another file, a new file).
fn setup() -> (Repo, PathBuf, PathBuf) {
    let r = Repo::new();
    r.write("src/a.txt", "a\n");
    r.write("src/b.txt", "b\n");
    r.write("old/gone.txt", "gone\n");
    r.git(&["add", "."]);
    r.git(&["commit", "-qm", "files"]);
    r.epic(&["init", "e"]).ok();
    r.epic(&["ticket", "add", "B"]).ok();
    let b = r.path().join("worktrees/feat-B");
    r.add_worktree(b.to_str().unwrap(), "feat/B", "epic/e");
    std::fs::write(b.join("src/a.txt"), "a, changed by B\n").unwrap();
    r.git_in(&b, &["commit", "-qam", "B: a"]);
    std::fs::create_dir_all(b.join("bin")).unwrap();
    std::fs::write(b.join("bin/run.sh"), "#!/bin/sh\necho run\n").unwrap();
    r.git_in(&b, &["add", "bin/run.sh"]);
    r.git_in(&b, &["update-index", "--chmod=+x", "bin/run.sh"]);
    r.git_in(&b, &["rm", "-q", "old/gone.txt"]);
    r.git_in(&b, &["commit", "-qm", "B: script\n\nwith a body\n"]);
    r.git_in(&b, &["reset", "-q", "--hard"]);
    let twin = r.dir.path().join("twin");
    r.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "twin",
        twin.to_str().unwrap(),
        "feat/B",
    ]);
    let ewt = r.dir.path().join("epic-wt");
    r.git(&[
        "worktree",
        "add",
        "-q",
        "--detach",
        ewt.to_str().unwrap(),
        "epic/e",
    ]);
    std::fs::write(ewt.join("src/b.txt"), "b, changed on the epic\n").unwrap();
    std::fs::write(ewt.join("new.txt"), "new on the epic\n").unwrap();
    r.git_in(&ewt, &["add", "."]);
    r.git_in(&ewt, &["commit", "-qm", "epic moves"]);
    r.git_in(&ewt, &["push", "-q", ".", "HEAD:epic/e"]);
    (r, b, twin)
}

fn log(r: &Repo, dir: &Path, range: &str) -> String {
    r.git_in(dir, &["log", "--format=%an %ae %ad%n%B", range])
}

#[test]
fn the_in_process_rebase_gives_what_git_rebase_gives() {
    let (r, b, twin) = setup();
    r.git_in(&twin, &["rebase", "-q", "epic/e"]);
    let old = r.git_in(&b, &["rev-parse", "HEAD"]);
    let out = r.epic(&["propagate", "--json"]).ok();
    assert_eq!(
        out.json()["tickets"][0]["rebase"],
        "rebased",
        "{}",
        out.stdout
    );
    // Done in process: git rebase would have left its start in the worktree's HEAD log.
    let reflog = r.git_in(&b, &["reflog", "HEAD"]);
    assert!(!reflog.contains("rebase (start)"), "{reflog}");
    // The same commits as git's rebase: tree, parents, authors, dates and messages.
    assert_eq!(
        r.git(&["rev-parse", "feat/B^{tree}"]),
        r.git(&["rev-parse", "twin^{tree}"])
    );
    assert_eq!(
        r.git(&["rev-parse", "feat/B~2"]),
        r.git(&["rev-parse", "epic/e"])
    );
    assert_eq!(log(&r, &b, "epic/e..feat/B"), log(&r, &b, "epic/e..twin"));
    // The files and the index are on the new tip, as git's are in the twin.
    for dir in [&b, &twin] {
        assert_eq!(
            r.git_in(
                dir,
                &[
                    "status",
                    "--porcelain",
                    "--untracked-files=all",
                    "--ignored"
                ]
            ),
            ""
        );
    }
    assert_eq!(
        std::fs::read_to_string(b.join("src/b.txt")).unwrap(),
        "b, changed on the epic\n"
    );
    assert_eq!(
        std::fs::read_to_string(b.join("new.txt")).unwrap(),
        "new on the epic\n"
    );
    assert!(
        !b.join("old").exists(),
        "the emptied directory goes, as git does"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(b.join("bin/run.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o111, 0o111);
    assert_eq!(
        r.git_in(&b, &["ls-files", "--stage"]),
        r.git_in(&twin, &["ls-files", "--stage"])
    );
    // The old tip stays findable, as after git's rebase.
    assert_eq!(r.git_in(&b, &["rev-parse", "ORIG_HEAD"]), old);
    assert!(r.git(&["reflog", "feat/B"]).contains(&old[..7]));
    // In the worktree's HEAD log too, where `git reflog` there looks: one step back from
    // the new tip is the old one, as git's rebase leaves it in the twin.
    assert_eq!(r.git_in(&b, &["rev-parse", "HEAD@{1}"]), old);
    let twin_old = r.git_in(&twin, &["rev-parse", "ORIG_HEAD"]);
    assert!(r
        .git_in(&twin, &["reflog", "HEAD"])
        .contains(&twin_old[..7]));
    let top = r.git_in(&b, &["reflog", "-1", "--format=%gs", "HEAD"]);
    assert!(top.starts_with("rebase (finish): "), "{top}");
    // A file changed after the rebase shows: the index's stat data is right, not stale.
    std::fs::write(b.join("new.txt"), "the user's\n").unwrap();
    assert_eq!(r.git_in(&b, &["status", "--porcelain"]), " M new.txt");
}

#[test]
fn a_hook_leaves_the_rebase_to_git() {
    let (r, b, _) = setup();
    let hooks = r.path().join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let hook = hooks.join("post-rewrite");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho rewritten >> \"$(git rev-parse --git-dir)/rewritten\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    r.epic(&["propagate"]).ok();
    assert_eq!(
        r.git(&["rev-parse", "feat/B~2"]),
        r.git(&["rev-parse", "epic/e"])
    );
    let reflog = r.git_in(&b, &["reflog", "HEAD"]);
    assert!(reflog.contains("rebase (start)"), "{reflog}");
    let git_dir = r.git_in(&b, &["rev-parse", "--absolute-git-dir"]);
    assert!(Path::new(&git_dir).join("rewritten").exists());
}

/// Killed after the branch moved and before the files did: the worktree looks as if the
/// epic's changes had been undone in it. The next propagate puts the files on the branch,
/// and commits nothing of it (a lint-fix left behind would be committed).
/// Leaves in B's worktree what a propagate killed after the branch moved and before the
/// files did leaves (the intent of a process that is gone); the branch's new tip and the
/// worktree's git dir.
fn killed_midway(r: &Repo, b: &Path) -> (String, PathBuf) {
    let old = r.git_in(b, &["rev-parse", "HEAD"]);
    let twin = r.dir.path().join("twin");
    r.git_in(&twin, &["rebase", "-q", "epic/e"]);
    let new = r.git(&["rev-parse", "twin"]);
    r.git_in(b, &["update-ref", "refs/heads/feat/B", &new, &old]);
    assert_ne!(r.git_in(b, &["status", "--porcelain"]), "");
    let git_dir = PathBuf::from(r.git_in(b, &["rev-parse", "--absolute-git-dir"]));
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    std::fs::write(
        git_dir.join("epic-propagate.json"),
        format!(
            r#"{{"pid":{pid},"pid_start":1,"old_head":"{old}","branch":"feat/B","stash":"none","moving":true}}"#
        ),
    )
    .unwrap();
    (new, git_dir)
}

#[test]
fn an_in_process_rebase_killed_midway_is_put_right_by_the_next_propagate() {
    let (r, b, _) = setup();
    let (new, git_dir) = killed_midway(&r, &b);
    let out = r.epic(&["propagate", "--json"]).ok();
    assert_eq!(
        out.json()["tickets"][0]["rebase"],
        "up_to_date",
        "{}",
        out.stdout
    );
    // Nothing of it was committed as a lint-fix: the branch is where it was moved to.
    assert_eq!(r.git(&["rev-parse", "feat/B"]), new);
    assert_eq!(
        r.git_in(&b, &["status", "--porcelain", "--untracked-files=all"]),
        ""
    );
    assert!(!git_dir.join("epic-propagate.json").exists());
}

/// The epic renames a directory the ticket adds a file to: git calls that a conflict (where
/// the new file belongs), and so does propagate; no in-process shortcut puts it in the old
/// directory (the merge is git's wherever a rename may be).
#[test]
fn a_file_added_in_a_directory_the_epic_renamed_is_a_conflict_as_in_git() {
    let (r, b, twin) = setup();
    let ewt = r.dir.path().join("epic-wt");
    r.git_in(&ewt, &["mv", "src", "lib"]);
    r.git_in(&ewt, &["commit", "-qm", "src is lib now"]);
    r.git_in(&ewt, &["push", "-q", ".", "HEAD:epic/e"]);
    for dir in [&b, &twin] {
        std::fs::write(dir.join("src/c.txt"), "c\n").unwrap();
        r.git_in(dir, &["add", "src/c.txt"]);
        r.git_in(dir, &["commit", "-qm", "c"]);
    }
    assert!(r.git_out_in(&twin, &["rebase", "-q", "epic/e"]).is_none());
    let before = r.git(&["rev-parse", "feat/B"]);
    let out = r.epic(&["propagate", "--json"]).code(1);
    assert_eq!(
        out.json()["tickets"][0]["rebase"],
        "conflict",
        "{}",
        out.stdout
    );
    assert_eq!(r.git(&["rev-parse", "feat/B"]), before);
    assert_eq!(
        r.git_in(&b, &["status", "--porcelain", "--untracked-files=all"]),
        ""
    );
}

/// A person edits a file in the worktree a killed propagate left before any git-epic
/// command puts it right: putting it right resets the files, and the edit is kept in the
/// stash list, said in the log.
#[test]
fn a_persons_edit_after_a_killed_propagate_is_kept_in_the_stash() {
    let (r, b, _) = setup();
    let (new, _) = killed_midway(&r, &b);
    std::fs::write(b.join("src/a.txt"), "a, changed by B, and by hand\n").unwrap();
    r.epic(&["propagate", "--json"]).ok();
    assert_eq!(r.git(&["rev-parse", "feat/B"]), new);
    let list = r.git_in(&b, &["stash", "list", "--format=%gs"]);
    assert!(list.contains("a killed propagate left it"), "{list}");
    let kept = r.git_in(&b, &["stash", "show", "-p", "stash@{0}"]);
    assert!(kept.contains("+a, changed by B, and by hand"), "{kept}");
    let log = std::fs::read_to_string(r.path().join(".git/epic/e/logs/B.log")).unwrap_or_default();
    assert!(log.contains("git stash apply"), "{log}");
}
