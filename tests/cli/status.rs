//! `status` reads each ticket worktree the way `git status` and `git rev-list` would: the
//! same answer in every shape a worktree can be in, whether read through the shared
//! repository handle (linked worktrees) or opened on its own (anything unusual).

use std::path::Path;

use crate::support::Repo;

/// What git says about the worktree at `wt`: (dirty, ahead, behind, branch).
fn git_view(r: &Repo, wt: &Path) -> (bool, Option<u64>, Option<u64>, Option<String>) {
    let dirty = !r.git_in(wt, &["status", "--porcelain"]).is_empty();
    let counts = r
        .git_in(
            wt,
            &["rev-list", "--left-right", "--count", "HEAD...epic/e"],
        )
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect::<Vec<u64>>();
    let branch = r.git_in(wt, &["branch", "--show-current"]);
    (
        dirty,
        Some(counts[0]),
        Some(counts[1]),
        (!branch.is_empty()).then_some(branch),
    )
}

fn ours(row: &serde_json::Value) -> (bool, Option<u64>, Option<u64>) {
    (
        row["dirty"].as_bool().expect("a worktree was read"),
        row["ahead"].as_u64(),
        row["behind"].as_u64(),
    )
}

fn commit_in(r: &Repo, wt: &Path, file: &str) {
    std::fs::write(wt.join(file), file).unwrap();
    r.git_in(wt, &["add", file]);
    r.git_in(wt, &["commit", "-q", "-m", file]);
}

#[test]
fn status_agrees_with_git_in_every_kind_of_worktree() {
    let r = Repo::new();
    r.write("src/a.txt", "a\n");
    r.write("src/b.txt", "b\n");
    r.git(&["add", "."]);
    r.git(&["commit", "-q", "-m", "sources"]);
    r.epic(&["init", "e"]).ok();
    let ids = [
        "fresh",
        "edited",
        "staged",
        "untracked",
        "ignored",
        "deleted",
        "detached",
        "ownconf",
        "clone",
        "orphan",
    ];
    for id in ids {
        r.epic(&["ticket", "add", id]).ok();
    }
    let wt = |id: &str| r.path().join(format!("worktrees/feat-{id}"));
    let add = |id: &str, extra: &[&str]| {
        let path = wt(id);
        let path = path.to_str().unwrap();
        let mut args = vec!["worktree", "add", "-q"];
        args.extend_from_slice(extra);
        args.push(path);
        if !extra.contains(&"--orphan") {
            args.push("epic/e");
        }
        r.git(&args);
    };
    add("fresh", &["-b", "feat/fresh"]);
    add("edited", &["-b", "feat/edited"]);
    std::fs::write(wt("edited").join("src/a.txt"), "A\n").unwrap(); // same size
    add("staged", &["-b", "feat/staged"]);
    commit_in(&r, &wt("staged"), "s1.txt");
    std::fs::write(wt("staged").join("src/b.txt"), "staged\n").unwrap();
    r.git_in(&wt("staged"), &["add", "src/b.txt"]);
    add("untracked", &["-b", "feat/untracked"]);
    std::fs::create_dir_all(wt("untracked").join("new/deeper")).unwrap();
    std::fs::write(wt("untracked").join("new/deeper/x.txt"), "x").unwrap();
    add("ignored", &["-b", "feat/ignored"]);
    std::fs::write(wt("ignored").join(".gitignore"), "*.log\n").unwrap();
    r.git_in(&wt("ignored"), &["add", ".gitignore"]);
    r.git_in(&wt("ignored"), &["commit", "-q", "-m", "ignore logs"]);
    std::fs::write(wt("ignored").join("build.log"), "noise").unwrap();
    // worktrees/ itself is excluded through the common dir's info/exclude by init.
    add("deleted", &["-b", "feat/deleted"]);
    std::fs::remove_file(wt("deleted").join("src/b.txt")).unwrap();
    add("detached", &["--detach"]);
    commit_in(&r, &wt("detached"), "d1.txt");
    commit_in(&r, &wt("detached"), "d2.txt");
    // Per-worktree config: that worktree is opened on its own, with its own settings.
    add("ownconf", &["-b", "feat/ownconf"]);
    r.git(&["config", "extensions.worktreeConfig", "true"]);
    r.git_in(
        &wt("ownconf"),
        &["config", "--worktree", "core.fileMode", "false"],
    );
    std::fs::write(wt("ownconf").join("loose.txt"), "x").unwrap();
    // Not a worktree of this repository at all, just a clone where one would be.
    r.git(&[
        "clone",
        "-q",
        "--branch",
        "epic/e",
        ".",
        wt("clone").to_str().unwrap(),
    ]);
    r.git_in(&wt("clone"), &["checkout", "-q", "-b", "feat/clone"]);
    commit_in(&r, &wt("clone"), "c1.txt");
    r.git_in(&wt("clone"), &["fetch", "-q", "origin", "epic/e:epic/e"]);
    add("orphan", &["--orphan", "-b", "feat/orphan"]);
    // The epic moves on, so that every worktree is behind.
    r.git(&["worktree", "add", "-q", "--detach", "../epic-wt", "epic/e"]);
    let ewt = r.dir.path().join("epic-wt");
    commit_in(&r, &ewt, "e.txt");
    r.git_in(&ewt, &["push", "-q", ".", "HEAD:epic/e"]);
    r.git_in(&wt("clone"), &["fetch", "-q", "origin", "+epic/e:epic/e"]);

    // Ours first: `git status` refreshes the index it reads, which would hide the racily
    // clean entries of a fresh checkout that status must not report as changes.
    let s = r.epic(&["status", "--json"]).ok().json();
    let row = |id: &str| {
        s["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .unwrap()
            .clone()
    };
    for id in ids {
        let row = row(id);
        if id == "orphan" {
            // Nothing to count on an unborn branch; git has no answer either.
            assert_eq!(row["dirty"], false, "{row}");
            assert_eq!(row["branch"], "feat/orphan", "{row}");
            assert_eq!(row["ahead"], serde_json::Value::Null, "{row}");
            continue;
        }
        let (dirty, ahead, behind, branch) = git_view(&r, &wt(id));
        assert_eq!(ours(&row), (dirty, ahead, behind), "ticket {id}: {row}");
        // Detached, the row names the ticket's branch all the same (docs/status.md).
        if let Some(branch) = branch {
            assert_eq!(row["branch"], branch.as_str(), "ticket {id}");
        }
    }
    let dirty: Vec<&str> = ids
        .into_iter()
        .filter(|id| row(id)["dirty"] == true)
        .collect();
    assert_eq!(
        dirty,
        ["edited", "staged", "untracked", "deleted", "ownconf"]
    );
    assert_eq!(row("detached")["ahead"], 2);
    assert_eq!(row("clone")["ahead"], 1);
    assert_eq!(row("fresh")["behind"], 1);
}

/// Status never writes: the indexes of the worktrees are left as they were, racy entries
/// and all (git status would refresh them; that is git's business, not ours).
#[test]
fn status_leaves_worktree_indexes_alone() {
    let r = Repo::new();
    r.epic(&["init", "e"]).ok();
    r.epic(&["ticket", "add", "a"]).ok();
    r.add_worktree("worktrees/feat-a", "feat/a", "epic/e");
    let index = r.path().join(".git/worktrees/feat-a/index");
    let before = std::fs::read(&index).unwrap();
    let mtime = std::fs::metadata(&index).unwrap().modified().unwrap();
    for _ in 0..3 {
        let s = r.epic(&["status", "--json"]).ok().json();
        assert_eq!(s["tickets"][0]["dirty"], false);
    }
    assert_eq!(std::fs::read(&index).unwrap(), before);
    assert_eq!(
        std::fs::metadata(&index).unwrap().modified().unwrap(),
        mtime
    );
}

/// Histories of every shape the short cut and the full walk divide between them: chains
/// longer than the short cut looks, merges on either side, an ancestor, unrelated roots,
/// and every commit at the same second (which defeats walks ordered by date).
#[test]
fn ahead_behind_agrees_with_git_on_long_and_merged_histories() {
    let r = Repo::new();
    let mut stream = String::new();
    let mut mark = 0;
    let mut commit = |stream: &mut String,
                      branch: &str,
                      from: Option<usize>,
                      merge: Option<usize>| {
        mark += 1;
        stream.push_str(&format!(
            "commit refs/heads/{branch}\nmark :{mark}\ncommitter T <t@example.com> 1700000000 +0000\ndata 0\n"
        ));
        if let Some(from) = from {
            stream.push_str(&format!("from :{from}\n"));
        }
        if let Some(merge) = merge {
            stream.push_str(&format!("merge :{merge}\n"));
        }
        stream.push_str(&format!("M 644 inline f{mark}\ndata 1\nx\n\n"));
        mark
    };
    let main: Vec<usize> = (0..100)
        .map(|_| commit(&mut stream, "h/main", None, None))
        .collect();
    commit(&mut stream, "h/long", Some(main[9]), None);
    for _ in 0..69 {
        commit(&mut stream, "h/long", None, None);
    }
    let mut short = commit(&mut stream, "h/short", Some(main[94]), None);
    for _ in 0..2 {
        short = commit(&mut stream, "h/short", None, None);
    }
    commit(&mut stream, "h/merged", Some(main[89]), None);
    commit(&mut stream, "h/merged", None, None);
    commit(&mut stream, "h/merged", None, Some(short));
    commit(&mut stream, "h/merged", None, None);
    stream.push_str("reset refs/heads/h/root2\n");
    commit(&mut stream, "h/root2", None, None);
    commit(&mut stream, "h/root2", None, None);
    r.git_stdin(&["fast-import", "--quiet"], &stream);

    let repo = gix::open(r.path()).unwrap();
    let id = |rev: &str| gix::ObjectId::from_hex(r.git(&["rev-parse", rev]).as_bytes()).unwrap();
    let tips = [
        "h/main",
        "h/long",
        "h/short",
        "h/merged",
        "h/root2",
        "h/main~50",
        "h/long~68",
        "h/merged~1^2",
        "h/main~5",
    ];
    for a in tips {
        for b in tips {
            let git = r.git(&["rev-list", "--left-right", "--count", &format!("{a}...{b}")]);
            let ours = git_epic::infra::gitx::ahead_behind(&repo, id(a), id(b)).unwrap();
            assert_eq!(git, format!("{}\t{}", ours.0, ours.1), "{a}...{b}");
        }
    }
}

/// Where status is run from does not narrow what it sees: git status shows changes in the
/// whole worktree from any subdirectory, inside the worktree or out of it.
#[test]
fn status_sees_the_whole_worktree_from_any_directory() {
    let r = Repo::new();
    r.write("src/a.txt", "a\n");
    r.git(&["add", "."]);
    r.git(&["commit", "-q", "-m", "sources"]);
    r.epic(&["init", "e"]).ok();
    for id in ["staged", "edited", "untracked"] {
        r.epic(&["ticket", "add", id]).ok();
        let wt = format!("worktrees/feat-{id}");
        r.add_worktree(&wt, &format!("feat/{id}"), "epic/e");
    }
    let wt = |id: &str| r.path().join(format!("worktrees/feat-{id}"));
    // A `git add` leaves the index without a valid cache tree: the entry-by-entry path.
    std::fs::write(wt("staged").join("README.md"), "staged\n").unwrap();
    r.git_in(&wt("staged"), &["add", "README.md"]);
    std::fs::write(wt("edited").join("README.md"), "edited\n").unwrap();
    std::fs::write(wt("untracked").join("new.txt"), "new").unwrap();
    std::fs::create_dir_all(r.path().join("sub/dir")).unwrap();
    for dir in [
        r.path(),
        r.path().join("sub/dir"),
        wt("staged").join("src"),
        wt("edited").join("src"),
    ] {
        let s = r.epic_in(&dir, &["status", "--json"], None).ok().json();
        for t in s["tickets"].as_array().unwrap() {
            assert_eq!(t["dirty"], true, "from {}: {t}", dir.display());
        }
    }
}

/// Config that applies to some worktrees only (`includeIf onbranch:`/`gitdir:`) is read as
/// each worktree sees it.
#[test]
fn status_reads_each_worktree_with_its_conditional_config() {
    let r = Repo::new();
    r.write("src/a.txt", "a\n");
    r.git(&["add", "."]);
    r.git(&["commit", "-q", "-m", "sources"]);
    r.epic(&["init", "e"]).ok();
    for id in ["a", "b"] {
        r.epic(&["ticket", "add", id]).ok();
        let wt = format!("worktrees/feat-{id}");
        r.add_worktree(&wt, &format!("feat/{id}"), "epic/e");
        let file = r.path().join(format!("{wt}/src/a.txt"));
        let mut mode = std::fs::metadata(&file).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut mode, 0o755);
        std::fs::set_permissions(&file, mode).unwrap();
    }
    // Only on feat/a is the executable bit ignored.
    std::fs::write(
        r.path().join(".git/feat-a.inc"),
        "[core]\n\tfileMode = false\n",
    )
    .unwrap();
    r.git(&["config", "includeIf.onbranch:feat/a.path", "feat-a.inc"]);
    let s = r.epic(&["status", "--json"]).ok().json();
    let dirty = |i: usize| s["tickets"][i]["dirty"].clone();
    assert_eq!((dirty(0), dirty(1)), (false.into(), true.into()), "{s}");
    for (i, id) in ["a", "b"].iter().enumerate() {
        let git = r.git_in(
            &r.path().join(format!("worktrees/feat-{id}")),
            &["status", "--porcelain"],
        );
        assert_eq!(dirty(i), !git.is_empty(), "{id}: git says {git:?}");
    }
}

/// Racy git: a tracked file rewritten with other content of the same size right after the
/// commit that wrote the index (the same second, often the same clock tick, so its times may
/// equal what the index recorded) is dirty, every time, cold and warm.
#[test]
fn a_file_changed_in_the_second_the_index_was_written_is_dirty() {
    let r = Repo::new();
    r.write("src/a.txt", "v00\n");
    r.git(&["add", "."]);
    r.git(&["commit", "-q", "-m", "a"]);
    r.epic(&["init", "e"]).ok();
    r.epic(&["ticket", "add", "a"]).ok();
    r.add_worktree("worktrees/feat-a", "feat/a", "epic/e");
    let wt = r.path().join("worktrees/feat-a");
    let index = r.path().join(".git/worktrees/feat-a/index");
    let secs = |p: &Path| {
        std::fs::metadata(p)
            .unwrap()
            .modified()
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let mut same_second = 0;
    for i in 1..=10 {
        std::fs::write(wt.join("src/a.txt"), format!("v{i:02}\n")).unwrap();
        r.git_in(&wt, &["commit", "-q", "-a", "-m", &format!("v{i}")]);
        std::fs::write(wt.join("src/a.txt"), format!("x{i:02}\n")).unwrap();
        if secs(&wt.join("src/a.txt")) == secs(&index) {
            same_second += 1;
        }
        for _ in 0..2 {
            let s = r.epic(&["status", "--json"]).ok().json();
            assert_eq!(s["tickets"][0]["dirty"], true, "round {i}");
        }
        assert!(!r.git_in(&wt, &["status", "--porcelain"]).is_empty());
        std::fs::write(wt.join("src/a.txt"), format!("v{i:02}\n")).unwrap();
        let s = r.epic(&["status", "--json"]).ok().json();
        assert_eq!(s["tickets"][0]["dirty"], false, "round {i}, put back");
    }
    assert!(same_second > 0, "never in the second of the index");
}
