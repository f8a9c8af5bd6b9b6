//! `git epic pr` with a fake `gh` that records its argv, and a bare repository as origin.

use crate::support::Repo;

#[test]
fn pr_pushes_the_branch_and_opens_the_pull_request_against_the_epic() {
    let r = Repo::with_agent("commit.sh");
    r.epic_stdin(
        &["ticket", "add", "A", "--title", "Create the port"],
        "## Files\n- `port.ts`\n",
    )
    .ok();
    r.epic_env(&["run", "A"], &[]).ok();
    let origin = r.dir.path().join("origin.git");
    r.git(&["init", "-q", "--bare", origin.to_str().unwrap()]);
    r.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
    let bin = r.dir.path().join("fakebin");
    std::fs::create_dir_all(&bin).unwrap();
    let record = r.dir.path().join("gh-argv");
    std::fs::write(
        bin.join("gh"),
        format!("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done > {}\necho 'Creating pull request...'\necho https://github.com/acme/shop/pull/7\n", record.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(bin.join("gh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = r.path_without("gh", Some(&bin));
    let out = r.epic_env(&["pr", "A", "--draft"], &[("PATH", &path)]).ok();
    assert!(
        out.stdout
            .contains("A: https://github.com/acme/shop/pull/7 (pushed and opened)"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    let argv = std::fs::read_to_string(&record).unwrap();
    let argv: Vec<&str> = argv.trim_end_matches('\0').split('\0').collect();
    assert_eq!(
        &argv[..8],
        [
            "pr",
            "create",
            "--base",
            "epic/e",
            "--head",
            "feat/A-create-the-port",
            "--title",
            "Create the port"
        ]
    );
    assert_eq!(argv[8], "--body");
    assert!(argv[9].contains("- `port.ts`"));
    assert_eq!(argv[10], "--draft");
    // Both branches are on the remote, and the URL is in the note and in status.
    assert_eq!(
        r.git_in(&origin, &["rev-parse", "feat/A-create-the-port"]),
        r.git(&["rev-parse", "feat/A-create-the-port"])
    );
    r.git_in(&origin, &["rev-parse", "epic/e"]);
    assert_eq!(r.row("A")["pr_url"], "https://github.com/acme/shop/pull/7");
    let text = r.epic(&["status"]).ok().stdout;
    assert!(
        text.contains("https://github.com/acme/shop/pull/7"),
        "{text}"
    );
    // Again: nothing pushed, nothing opened.
    std::fs::remove_file(&record).unwrap();
    let out = r.epic_env(&["pr", "A"], &[("PATH", &path)]).ok();
    assert!(out.stdout.contains("(already open)"), "{}", out.stdout);
    assert!(!record.exists());
}

#[test]
fn without_gh_it_says_what_to_install_and_changes_nothing() {
    let r = Repo::with_agent("commit.sh");
    r.epic(&["ticket", "add", "A"]).ok();
    r.epic_env(&["run", "A"], &[]).ok();
    let empty = r.dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let before = r.snapshot();
    let out = r
        .epic_env(
            &["pr", "A"],
            &[("PATH", &r.path_without("gh", Some(&empty)))],
        )
        .code(2);
    assert!(
        out.stderr.starts_with(
            "error: The GitHub CLI `gh` is not installed: install it from https://cli.github.com"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(r.snapshot(), before);
}
