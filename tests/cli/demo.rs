//! `git epic demo` runs the whole flow with no agent installed.

use std::time::{Duration, Instant};

use crate::support::Repo;

#[test]
fn the_demo_runs_the_whole_flow_and_keeps_the_repo_on_request() {
    // Any directory will do; the demo makes its own repository.
    let r = Repo::new();
    let t = Instant::now();
    let out = r.epic(&["demo", "--keep"]).ok();
    assert!(
        t.elapsed() < Duration::from_secs(30),
        "took {:?}",
        t.elapsed()
    );
    for said in [
        "$ git epic init shop",
        "$ git epic wave start --all --auto-merge -j 3",
        "db: rate limited, retrying in",
        "checkout: not merged: rejected by the scope gate",
        "sent back to an agent, fix round 1",
        "$ git epic propagate",
        "search: testing the merged result (epic/shop + search)",
        "search: merged into epic/shop",
        "$ git epic report",
        "The repository is kept: cd ",
    ] {
        assert!(
            out.stderr.contains(said) || out.stdout.contains(said),
            "missing {said:?}\n{}\n{}",
            out.stdout,
            out.stderr
        );
    }
    assert!(out.stdout.contains("tickets: 7 merged"), "{}", out.stdout);
    let kept = out
        .stderr
        .split("The repository is kept: cd ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_owned();
    let kept = std::path::PathBuf::from(kept);
    let merges = r.git_in(
        &kept,
        &["log", "--first-parent", "--format=%s", "epic/shop"],
    );
    assert_eq!(
        merges
            .lines()
            .filter(|l| l.starts_with("epic(shop): merge"))
            .count(),
        7
    );
    let log = std::fs::read_to_string(kept.join(".git/epic/shop/logs/checkout.log")).unwrap();
    assert!(log.contains("committed the fix for checkout"), "{log}");
    std::fs::remove_dir_all(kept.parent().unwrap()).unwrap();
}
