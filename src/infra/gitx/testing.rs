//! For this layer's unit tests: real git in a temporary repository, with a fixed identity
//! and none of the machine's system config.

use std::path::Path;

/// `git <args>` in `root`, asserted to succeed; its output, trimmed.
pub(super) fn git_in(root: &Path) -> impl Fn(&[&str]) -> String + '_ {
    move |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(root)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }
}
