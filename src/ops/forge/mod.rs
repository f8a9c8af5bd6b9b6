//! The forge that hosts a ticket's pull request: GitHub through `gh`, GitLab through `glab`.
//! `open` opens one (`git epic pr`); `follow` reads back what happened there (`git epic sync`).
//!
//! Both CLIs are driven with the same few commands and their JSON output; a pull request is
//! known by the URL the forge printed when it was opened, kept in the ticket's note.

mod github;
mod gitlab;

pub mod follow;
pub mod open;

use std::path::{Path, PathBuf};

use anyhow::anyhow;

use crate::infra::error::{usage, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Forge {
    GitHub,
    GitLab,
}

impl Forge {
    /// The CLI that speaks to it.
    pub fn cli(self) -> &'static str {
        match self {
            Forge::GitHub => "gh",
            Forge::GitLab => "glab",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Forge::GitHub => "GitHub",
            Forge::GitLab => "GitLab",
        }
    }

    /// The forge of the remote `url`: `epic.forge` (`github` or `gitlab`) when set, for
    /// self-hosted forges; else what the URL's host says; else the one CLI installed, GitHub
    /// when both or neither are.
    pub fn detect(setting: Option<&str>, url: &str) -> Result<Forge> {
        match setting.map(str::to_ascii_lowercase).as_deref() {
            Some("github") => return Ok(Forge::GitHub),
            Some("gitlab") => return Ok(Forge::GitLab),
            Some(other) => {
                return Err(usage(format!(
                    "epic.forge is `{other}`: it must be `github` or `gitlab`."
                )))
            }
            None => {}
        }
        let url = url.to_ascii_lowercase();
        if url.contains("gitlab") {
            return Ok(Forge::GitLab);
        }
        if url.contains("github") {
            return Ok(Forge::GitHub);
        }
        let has = |cli| which::which(cli).is_ok();
        Ok(if has("glab") && !has("gh") {
            Forge::GitLab
        } else {
            Forge::GitHub
        })
    }

    /// The CLI's path; refused with what to install when it is missing.
    pub fn require(self) -> Result<PathBuf> {
        which::which(self.cli()).map_err(|_| {
            usage(match self {
                Forge::GitHub => "The GitHub CLI `gh` is not installed: install it from https://cli.github.com, run `gh auth login`, then try again.",
                Forge::GitLab => "The GitLab CLI `glab` is not installed: install it from https://gitlab.com/gitlab-org/cli, run `glab auth login`, then try again.",
            })
        })
    }

    /// The arguments that open a pull (merge) request of `head` into `base`.
    fn create_args(
        self,
        base: &str,
        head: &str,
        title: &str,
        body: &str,
        draft: bool,
    ) -> Vec<String> {
        match self {
            Forge::GitHub => github::create_args(base, head, title, body, draft),
            Forge::GitLab => gitlab::create_args(base, head, title, body, draft),
        }
    }
}

/// A pull request's URL, checked: notes come from other machines, and the URL becomes an
/// argument of `gh` or `glab`. Only `https://<host>/<path>/pull/<n>` (GitHub) and
/// `https://<host>/<path>/-/merge_requests/<n>` (GitLab) are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrUrl {
    pub forge: Forge,
    pub url: String,
    /// The forge's host name, lowercase.
    pub host: String,
    /// The project's URL (what precedes `/pull/` or `/-/merge_requests/`).
    pub project: String,
    pub number: u64,
}

impl PrUrl {
    pub fn parse(url: &str) -> std::result::Result<PrUrl, String> {
        let bad = |why: &str| format!("the pull request URL `{url}` is refused: {why}");
        // https only: gh and glab send their token to the host in it.
        let (scheme, rest) = ["https://"]
            .iter()
            .find_map(|s| url.strip_prefix(s).map(|r| (*s, r)))
            .ok_or_else(|| bad("not an https URL"))?;
        let fine = |c: char| c.is_ascii_alphanumeric() || "-._~/:%@+".contains(c);
        if url.len() > 400 || !rest.chars().all(fine) || rest.contains("..") {
            return Err(bad("unexpected characters"));
        }
        let (forge, project, number) = if let Some((p, n)) = rest.rsplit_once("/-/merge_requests/")
        {
            (Forge::GitLab, p, n)
        } else if let Some((p, n)) = rest.rsplit_once("/pull/") {
            (Forge::GitHub, p, n)
        } else {
            return Err(bad(
                "neither a GitHub pull request nor a GitLab merge request",
            ));
        };
        let number: u64 = n_digits(number).ok_or_else(|| bad("no number at its end"))?;
        let (host, path) = project
            .split_once('/')
            .ok_or_else(|| bad("no project path"))?;
        if host.is_empty() || path.is_empty() || path.starts_with('/') || path.ends_with('/') {
            return Err(bad("no project path"));
        }
        // A bare host name: no user, password or port (`https://github.com@evil.example/`).
        if !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            return Err(bad("its host is not a plain host name"));
        }
        Ok(PrUrl {
            forge,
            url: url.to_owned(),
            host: host.to_ascii_lowercase(),
            project: format!("{scheme}{project}"),
            number,
        })
    }
}

/// The host of a git remote's URL (`https://host/...`, `ssh://user@host:22/...`,
/// `user@host:path`); none for a path on this machine.
pub fn remote_host(url: &str) -> Option<String> {
    let url = url.trim();
    let host = if let Some((scheme, rest)) = url.split_once("://") {
        if scheme == "file" {
            return None;
        }
        let authority = rest.split('/').next()?;
        let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        authority.split(':').next()?
    } else {
        let (before, _) = url.split_once(':')?;
        if before.contains('/') {
            return None;
        }
        before.rsplit_once('@').map_or(before, |(_, h)| h)
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

fn n_digits(s: &str) -> Option<u64> {
    let s = s.trim_end_matches('/');
    (!s.is_empty() && s.len() < 12 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// What the forge says of a pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrView {
    pub state: PrState,
    pub ci: Option<Ci>,
    /// The commit the forge merged it with, when it says.
    pub merge_commit: Option<String>,
    /// Changes a reviewer requested, when the forge says changes are requested now.
    pub changes: Option<Changes>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PrState {
    Open,
    Merged,
    Closed,
}

impl PrState {
    pub fn as_str(self) -> &'static str {
        match self {
            PrState::Open => "open",
            PrState::Merged => "merged",
            PrState::Closed => "closed",
        }
    }
}

/// The pull request's CI, all checks together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ci {
    Passing,
    Failing,
    Pending,
}

impl Ci {
    pub fn as_str(self) -> &'static str {
        match self {
            Ci::Passing => "passing",
            Ci::Failing => "failing",
            Ci::Pending => "pending",
        }
    }
}

/// A review that requested changes: `mark` names it (the next sync knows it was sent),
/// `text` is what the agent gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    pub mark: String,
    pub text: String,
}

impl PrUrl {
    /// Ask the forge about the pull request. `since` is the mark of the last review turned
    /// into requested changes: only newer ones come back.
    pub fn view(&self, dir: &Path, since: Option<&str>) -> Result<PrView> {
        match self.forge {
            Forge::GitHub => github::view(dir, self, since),
            Forge::GitLab => gitlab::view(dir, self, since),
        }
    }
}

/// Run the forge's CLI in `dir`; its stdout, or an error with what it said.
pub(crate) fn run_cli(forge: Forge, dir: &Path, args: &[&str]) -> Result<String> {
    let out = duct::cmd(forge.cli(), args)
        .dir(dir)
        .env("GH_PROMPT_DISABLED", "1")
        .env("NO_PROMPT", "1")
        .stdin_null()
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => anyhow!("`{}` is not installed", forge.cli()),
            _ => anyhow!("could not run `{}`: {e}", forge.cli()),
        })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        return Err(anyhow!(
            "`{} {}` failed: {}",
            forge.cli(),
            args.iter().take(2).copied().collect::<Vec<_>>().join(" "),
            first.trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_request_urls_are_parsed_strictly() {
        let gh = PrUrl::parse("https://github.com/acme/shop/pull/7").unwrap();
        assert_eq!(gh.forge, Forge::GitHub);
        assert_eq!(gh.project, "https://github.com/acme/shop");
        assert_eq!(gh.number, 7);
        let gl =
            PrUrl::parse("https://gitlab.example.com/group/sub/shop/-/merge_requests/12").unwrap();
        assert_eq!(gl.forge, Forge::GitLab);
        assert_eq!(gl.project, "https://gitlab.example.com/group/sub/shop");
        assert_eq!(gl.number, 12);
        for bad in [
            "--repo=evil/x",
            "https://github.com/acme/shop/pull/7;rm -rf ~",
            "https://github.com/acme/shop/pull/x",
            "https://github.com/acme/shop/issues/7",
            "file:///etc/pull/1",
            "https://github.com/pull/7",
            "https://github.com/a/../b/pull/7",
            "https://github.com/acme/shop/pull/7 --web",
            "http://github.com/acme/shop/pull/7",
            "https://github.com@evil.example/acme/shop/pull/7",
            "https://github.com:8443/acme/shop/pull/7",
        ] {
            assert!(PrUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_remote_names_its_host_unless_it_is_a_path() {
        for (url, host) in [
            ("https://github.com/acme/shop.git", Some("github.com")),
            (
                "git@GitLab.example.com:acme/shop.git",
                Some("gitlab.example.com"),
            ),
            ("ssh://git@github.com:22/acme/shop", Some("github.com")),
            ("/srv/git/shop.git", None),
            ("../shop.git", None),
            ("file:///srv/git/shop.git", None),
        ] {
            assert_eq!(remote_host(url).as_deref(), host, "{url}");
        }
    }

    #[test]
    fn the_forge_comes_from_the_setting_then_the_url() {
        assert_eq!(
            Forge::detect(Some("GitLab"), "git@github.com:a/b").unwrap(),
            Forge::GitLab
        );
        assert_eq!(
            Forge::detect(None, "git@gitlab.com:a/b.git").unwrap(),
            Forge::GitLab
        );
        assert_eq!(
            Forge::detect(None, "https://github.com/a/b").unwrap(),
            Forge::GitHub
        );
        assert!(Forge::detect(Some("gitea"), "x").is_err());
    }
}
