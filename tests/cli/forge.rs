//! Following the forge: `git epic pr` opens pull requests with `gh` or `glab`, and
//! `git epic sync` brings back what happened there. The forges are played by stand-in CLIs
//! (tests/forge/gh and tests/forge/glab) that answer with the real tools' JSON; a bare
//! repository is the remote, and a merge "on the forge" is a real merge pushed to it.

use std::path::{Path, PathBuf};

use crate::support::Repo;

struct Forge {
    /// The stand-ins' state: pull requests as JSON files, and every call.
    state: PathBuf,
    path: String,
    origin: PathBuf,
}

impl Forge {
    fn env(&self) -> Vec<(&str, &str)> {
        vec![
            ("PATH", self.path.as_str()),
            ("FAKE_FORGE", self.state.to_str().unwrap()),
        ]
    }

    fn write(&self, file: &str, json: &str) {
        std::fs::write(self.state.join(file), json).unwrap();
    }

    fn calls(&self) -> String {
        std::fs::read_to_string(self.state.join("calls")).unwrap_or_default()
    }
}

/// Stand-in `gh` and `glab` first on PATH, and a bare repository as `origin`.
fn forge(r: &Repo) -> Forge {
    let bin = r.dir.path().join("forgebin");
    let state = r.dir.path().join("forge");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&state).unwrap();
    let stand_ins = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/forge");
    for cli in ["gh", "glab"] {
        std::os::unix::fs::symlink(stand_ins.join(cli), bin.join(cli)).unwrap();
    }
    let origin = r.dir.path().join("origin.git");
    r.git(&["init", "-q", "--bare", origin.to_str().unwrap()]);
    r.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
    Forge {
        path: r.path_without("no-such-tool", Some(&bin)),
        state,
        origin,
    }
}

/// What the forge's merge button does: merge `branch` into the epic on the remote. Returns
/// the merge commit.
fn merge_on_forge(r: &Repo, f: &Forge, branch: &str) -> String {
    let play = r
        .dir
        .path()
        .join(format!("forge-merge-{}", branch.replace('/', "-")));
    r.git(&[
        "clone",
        "-q",
        "-b",
        "epic/e",
        f.origin.to_str().unwrap(),
        play.to_str().unwrap(),
    ]);
    r.git_in(
        &play,
        &[
            "merge",
            "-q",
            "--no-ff",
            &format!("origin/{branch}"),
            "-m",
            "Merge pull request",
        ],
    );
    r.git_in(&play, &["push", "-q", "origin", "epic/e"]);
    r.git_in(&play, &["rev-parse", "HEAD"])
}

fn add(r: &Repo, id: &str) {
    r.epic(&["ticket", "add", id, "--title", id]).ok();
}

#[test]
fn sync_marks_a_pull_request_merged_on_github_merged_and_sends_requested_changes_to_the_agent() {
    let r = Repo::with_agent("fixer.sh");
    add(&r, "A");
    add(&r, "B");
    let f = forge(&r);
    let env = f.env();
    r.epic_env(&["run", "A", "B"], &[]).ok();
    let out = r.epic_env(&["pr", "A", "B"], &env).ok().stdout;
    assert!(
        out.contains("A: https://github.com/acme/shop/pull/1 (pushed and opened)"),
        "{out}"
    );
    assert!(
        out.contains("B: https://github.com/acme/shop/pull/2"),
        "{out}"
    );

    // On GitHub: #1 is merged; #2 gets a review that requests changes, and a red check.
    let merge = merge_on_forge(&r, &f, "feat/A-a");
    f.write(
        "pr-1.json",
        &format!(
            r#"{{"mergeCommit":{{"oid":"{merge}"}},"reviewDecision":"APPROVED","reviews":[],"state":"MERGED","statusCheckRollup":[{{"__typename":"CheckRun","completedAt":"2026-11-27T01:00:00Z","conclusion":"SUCCESS","detailsUrl":"https://github.com/acme/shop/actions/runs/1","name":"test","startedAt":"2026-11-27T00:59:00Z","status":"COMPLETED","workflowName":"CI"}}]}}"#
        ),
    );
    let review = "Rename `port` to `adapter`, and keep $HOME as is.";
    f.write(
        "pr-2.json",
        &format!(
            r#"{{"mergeCommit":null,"reviewDecision":"CHANGES_REQUESTED","reviews":[{{"id":"PRR_kwDOA2","author":{{"login":"ben"}},"authorAssociation":"MEMBER","body":"{review}","submittedAt":"2026-11-27T01:10:00Z","includesCreatedEdit":false,"reactionGroups":[],"state":"CHANGES_REQUESTED","commit":{{"oid":"1111111111111111111111111111111111111111"}}}}],"state":"OPEN","statusCheckRollup":[{{"__typename":"CheckRun","completedAt":"2026-11-27T01:05:00Z","conclusion":"FAILURE","detailsUrl":"https://github.com/acme/shop/actions/runs/2","name":"test","startedAt":"2026-11-27T01:01:00Z","status":"COMPLETED","workflowName":"CI"}}]}}"#
        ),
    );
    let out = r.epic_env(&["sync"], &env).ok().stdout;
    for want in [
        "A: merged on GitHub (https://github.com/acme/shop/pull/1)",
        "B: changes requested on GitHub, sent back to its agent (review round 1), CI failing",
        "epic/e: fast-forwarded (origin)",
    ] {
        assert!(out.contains(want), "{want} in:\n{out}");
    }
    assert!(f
        .calls()
        .contains("gh pr view https://github.com/acme/shop/pull/2 --json state,"));
    // A is merged, and the local epic is what the forge merged.
    let a = r.row("A");
    assert_eq!(
        (a["state"].as_str(), a["pr_state"].as_str()),
        (Some("merged"), Some("merged"))
    );
    assert_eq!(r.git(&["rev-parse", "epic/e"]), merge);
    // B is sent back exactly as `review --request-changes` would, with its CI in status.
    let b = r.row("B");
    assert_eq!(b["state"], "pending");
    assert_eq!(b["reason"], "changes requested in review round 1");
    assert_eq!(b["review_rounds"], 1);
    assert_eq!(b["pr_ci"], "failing");
    let text = r.epic(&["status"]).ok().stdout;
    let row = text.lines().find(|l| l.starts_with("B ")).unwrap();
    assert!(row.contains("changes requested; CI failing"), "{text}");

    // The same review is not sent twice.
    let out = r.epic_env(&["sync"], &env).ok().stdout;
    assert!(out.contains("B: open on GitHub, CI failing"), "{out}");
    assert_eq!(r.row("B")["review_rounds"], 1);

    // The next run gets the review; `pr` pushes the new commits to the open pull request.
    r.epic_env(&["run", "B"], &[]).ok();
    let prompt = std::fs::read_to_string(r.fake_dir().join("prompt.B.2")).unwrap();
    assert!(
        prompt.contains(&format!(
            "## Changes requested in review (round 1)\n\n@ben on https://github.com/acme/shop/pull/2:\n\n{review}"
        )),
        "{prompt}"
    );
    let out = r.epic_env(&["pr", "B"], &env).ok().stdout;
    assert!(out.contains("(already open; new commits pushed)"), "{out}");
    assert_eq!(
        r.git_in(&f.origin, &["rev-parse", "feat/B-b"]),
        r.git(&["rev-parse", "feat/B-b"])
    );
}

#[test]
fn gitlab_through_glab_the_same_commands_on_an_epic_shared_through_the_remote() {
    let r = Repo::with_agent("fixer.sh");
    add(&r, "A");
    let f = forge(&r);
    let env = f.env();
    r.git(&["config", "epic.forge", "gitlab"]);
    // This epic is also shared through the remote: its sync follows the forge too.
    r.git(&["config", "epic.remote", "origin"]);
    r.epic_env(&["sync"], &env).ok();
    r.epic_env(&["run", "A"], &[]).ok();
    let out = r.epic_env(&["pr", "A"], &env).ok().stdout;
    let url = "https://gitlab.example.com/acme/shop/-/merge_requests/1";
    assert!(
        out.contains(&format!("A: {url} (pushed and opened)")),
        "{out}"
    );
    assert!(
        f.calls()
            .contains("glab mr create --target-branch epic/e --source-branch feat/A-a --title A"),
        "{}",
        f.calls()
    );

    // A reviewer requests changes in a thread; the pipeline fails.
    let mr = |state: &str, status: &str, extra: &str| {
        format!(
            r#"{{"id":901,"iid":1,"project_id":4,"title":"A","state":"{state}","source_branch":"feat/A-a","target_branch":"epic/e","detailed_merge_status":"{status}","has_conflicts":false,"head_pipeline":{{"id":55,"iid":3,"status":"failed"}},"web_url":"{url}"{extra}}}"#
        )
    };
    f.write(
        "mr-1.json",
        &mr("opened", "requested_changes", r#","merge_commit_sha":null"#),
    );
    f.write(
        "mr-1-comments.json",
        &mr(
            "opened",
            "requested_changes",
            r#","merge_commit_sha":null,"Discussions":[{"id":"d1","individual_note":false,"notes":[{"id":302,"type":"DiffNote","body":"Handle the empty cart.","author":{"username":"ana"},"system":false,"resolvable":true,"resolved":false}]}]"#,
        ),
    );
    let out = r.epic_env(&["sync"], &env).ok().stdout;
    assert!(
        out.contains(
            "A: changes requested on GitLab, sent back to its agent (review round 1), CI failing"
        ),
        "{out}"
    );
    assert!(f
        .calls()
        .contains("glab mr view 1 -R https://gitlab.example.com/acme/shop -F json --comments"));
    r.epic_env(&["run", "A"], &[]).ok();
    let prompt = std::fs::read_to_string(r.fake_dir().join("prompt.A.2")).unwrap();
    assert!(
        prompt.contains(&format!("@ana on {url}:\n\nHandle the empty cart.")),
        "{prompt}"
    );
    r.epic_env(&["pr", "A"], &env).ok();

    // Merged on GitLab.
    let merge = merge_on_forge(&r, &f, "feat/A-a");
    f.write(
        "mr-1.json",
        &mr(
            "merged",
            "not_open",
            &format!(r#","merge_commit_sha":"{merge}""#),
        ),
    );
    let out = r.epic_env(&["sync"], &env).ok().stdout;
    assert!(
        out.contains(&format!("A: merged on GitLab ({url})")),
        "{out}"
    );
    assert_eq!(r.row("A")["state"], "merged");
    assert_eq!(r.git(&["rev-parse", "epic/e"]), merge);
}

#[test]
fn a_forge_out_of_reach_or_a_hostile_url_changes_nothing() {
    let r = Repo::with_agent("fixer.sh");
    add(&r, "A");
    add(&r, "B");
    let f = forge(&r);
    let env = f.env();
    r.epic_env(&["run", "A", "B"], &[]).ok();
    // Without pull requests or epic.remote there is nothing to sync with.
    let out = r.epic_env(&["sync"], &env).code(2);
    assert!(
        out.stderr.contains("No remote for this epic"),
        "{}",
        out.stderr
    );
    r.epic_env(&["pr", "A"], &env).ok();
    // B's note names a pull request URL that would be an option of `gh`.
    let repo = gix::open(r.path()).unwrap();
    git_epic::model::state::Store::new(&repo, "e")
        .update("B", |n| {
            n.pr_url = Some("--repo=evil/x".into());
            Ok(())
        })
        .unwrap();
    std::fs::write(f.state.join("offline"), "").unwrap();
    let before = r.snapshot();
    let out = r.epic_env(&["sync"], &env).code(1);
    assert!(
        out.stderr
            .contains("A: `gh pr view` failed: error connecting to api.github.com"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("B: the pull request URL `--repo=evil/x` is refused"),
        "{}",
        out.stderr
    );
    assert!(!f.calls().contains("evil"), "{}", f.calls());
    assert_eq!(r.snapshot(), before);
    // Back online: A is followed; B stays refused.
    std::fs::remove_file(f.state.join("offline")).unwrap();
    let out = r.epic_env(&["sync"], &env).code(1);
    assert!(out.stdout.contains("A: open on GitHub"), "{}", out.stdout);
    assert_eq!(r.row("A")["pr_state"], "open");
    // Merged there, with a merge the epic here cannot come up to: not marked merged (its
    // dependents would start without that work).
    f.write(
        "pr-1.json",
        r#"{"mergeCommit":{"oid":"1111111111111111111111111111111111111111"},"reviewDecision":"","reviews":[],"state":"MERGED","statusCheckRollup":[]}"#,
    );
    let out = r.epic_env(&["sync"], &env).code(1);
    assert!(
        out.stderr
            .contains("A: merged on GitHub, but the epic branch here does not have that merge yet"),
        "{}",
        out.stderr
    );
    assert_eq!(r.row("A")["state"], "done");
}

#[test]
fn pr_for_gitlab_without_glab_says_what_to_install_and_changes_nothing() {
    let r = Repo::with_agent("commit.sh");
    add(&r, "A");
    r.epic_env(&["run", "A"], &[]).ok();
    let origin = r.dir.path().join("origin.git");
    r.git(&["init", "-q", "--bare", origin.to_str().unwrap()]);
    r.git(&[
        "remote",
        "add",
        "origin",
        "git@gitlab.example.com:acme/shop.git",
    ]);
    let before = r.snapshot();
    let out = r
        .epic_env(&["pr", "A"], &[("PATH", &r.path_without("glab", None))])
        .code(2);
    assert!(
        out.stderr
            .starts_with("error: The GitLab CLI `glab` is not installed"),
        "{}",
        out.stderr
    );
    assert_eq!(r.snapshot(), before);
}
