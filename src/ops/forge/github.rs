//! GitHub through `gh`: `gh pr create`, and `gh pr view <url> --json ...`, whose fields are
//! GitHub's GraphQL names (`state` is `OPEN`, `MERGED` or `CLOSED`).

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use super::{run_cli, Changes, Ci, Forge, PrState, PrUrl, PrView};
use crate::infra::error::Result;

pub fn create_args(base: &str, head: &str, title: &str, body: &str, draft: bool) -> Vec<String> {
    let mut args: Vec<String> = [
        "pr", "create", "--base", base, "--head", head, "--title", title, "--body", body,
    ]
    .map(str::to_owned)
    .to_vec();
    if draft {
        args.push("--draft".into());
    }
    args
}

const FIELDS: &str = "state,reviewDecision,reviews,statusCheckRollup,mergeCommit";

pub fn view(dir: &Path, pr: &PrUrl, since: Option<&str>) -> Result<PrView> {
    let out = run_cli(
        Forge::GitHub,
        dir,
        &["pr", "view", &pr.url, "--json", FIELDS],
    )?;
    parse(&out, &pr.url, since).with_context(|| format!("`gh pr view {}` answered", pr.url))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct View {
    state: String,
    #[serde(default)]
    review_decision: Option<String>,
    #[serde(default)]
    reviews: Vec<Review>,
    #[serde(default)]
    status_check_rollup: Option<Vec<Check>>,
    #[serde(default)]
    merge_commit: Option<Oid>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Review {
    #[serde(default)]
    author: Option<Author>,
    #[serde(default)]
    body: String,
    #[serde(default)]
    submitted_at: Option<String>,
    state: String,
}

#[derive(Deserialize)]
struct Author {
    login: String,
}

#[derive(Deserialize)]
struct Oid {
    oid: String,
}

/// A check run (`status`, `conclusion`) or a commit status (`state`).
#[derive(Deserialize)]
struct Check {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    conclusion: Option<String>,
    #[serde(default)]
    state: Option<String>,
}

fn parse(json: &str, url: &str, since: Option<&str>) -> Result<PrView> {
    let v: View = serde_json::from_str(json)?;
    let state = match v.state.as_str() {
        "MERGED" => PrState::Merged,
        "CLOSED" => PrState::Closed,
        "OPEN" => PrState::Open,
        other => anyhow::bail!("an unknown pull request state `{other}`"),
    };
    let ci = ci(v.status_check_rollup.as_deref().unwrap_or_default());
    let changes = (v.review_decision.as_deref() == Some("CHANGES_REQUESTED"))
        .then(|| changes(&v.reviews, url, since))
        .flatten();
    Ok(PrView {
        state,
        ci,
        merge_commit: v.merge_commit.map(|c| c.oid),
        changes,
    })
}

fn ci(checks: &[Check]) -> Option<Ci> {
    if checks.is_empty() {
        return None;
    }
    let mut pending = false;
    for c in checks {
        let verdict = match (&c.status, &c.conclusion, &c.state) {
            (Some(s), _, _) if s != "COMPLETED" => None,
            (_, Some(c), _) => Some(c.as_str()),
            (_, _, Some(s)) => Some(s.as_str()),
            _ => None,
        };
        match verdict {
            Some("SUCCESS" | "NEUTRAL" | "SKIPPED") => {}
            Some("PENDING" | "EXPECTED") | None | Some("") => pending = true,
            Some(_) => return Some(Ci::Failing),
        }
    }
    Some(if pending { Ci::Pending } else { Ci::Passing })
}

/// The reviews that requested changes since `since`, newest mark first in `mark`.
fn changes(reviews: &[Review], url: &str, since: Option<&str>) -> Option<Changes> {
    let since = since.and_then(|s| s.strip_prefix("github:"));
    let new: Vec<&Review> = reviews
        .iter()
        .filter(|r| r.state == "CHANGES_REQUESTED")
        .filter(|r| match (&r.submitted_at, since) {
            (Some(at), Some(s)) => at.as_str() > s,
            (None, _) => false,
            (Some(_), None) => true,
        })
        .collect();
    let mark = new.iter().filter_map(|r| r.submitted_at.clone()).max()?;
    let text = new
        .iter()
        .map(|r| {
            let who = r.author.as_ref().map_or("a reviewer", |a| a.login.as_str());
            let body = r.body.trim();
            if body.is_empty() {
                format!("@{who} requested changes on {url}; read the review's comments there.")
            } else {
                format!("@{who} on {url}:\n\n{body}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n\n");
    Some(Changes {
        mark: format!("github:{mark}"),
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The shape `gh pr view --json state,reviewDecision,reviews,statusCheckRollup,mergeCommit`
    // prints (gh 2.x; GraphQL field names, check runs and commit statuses mixed).
    const OPEN: &str = r#"{
      "mergeCommit": null,
      "reviewDecision": "CHANGES_REQUESTED",
      "reviews": [
        {"id": "PRR_kwDOA1", "author": {"login": "ana"}, "authorAssociation": "MEMBER",
         "body": "Looks fine", "submittedAt": "2026-11-26T10:00:00Z",
         "includesCreatedEdit": false, "reactionGroups": [], "state": "COMMENTED",
         "commit": {"oid": "1111111111111111111111111111111111111111"}},
        {"id": "PRR_kwDOA2", "author": {"login": "ben"}, "authorAssociation": "MEMBER",
         "body": "Rename `port` to `adapter`.", "submittedAt": "2026-11-26T11:00:00Z",
         "includesCreatedEdit": false, "reactionGroups": [], "state": "CHANGES_REQUESTED",
         "commit": {"oid": "1111111111111111111111111111111111111111"}}
      ],
      "state": "OPEN",
      "statusCheckRollup": [
        {"__typename": "CheckRun", "completedAt": "2026-11-26T10:05:00Z", "conclusion": "FAILURE",
         "detailsUrl": "https://github.com/acme/shop/actions/runs/1", "name": "test",
         "startedAt": "2026-11-26T10:01:00Z", "status": "COMPLETED", "workflowName": "CI"},
        {"__typename": "StatusContext", "context": "ci/lint", "startedAt": "2026-11-26T10:01:00Z",
         "state": "SUCCESS", "targetUrl": "https://ci.example.com/1"}
      ]
    }"#;

    #[test]
    fn an_open_pull_request_with_changes_requested_and_a_failing_check() {
        let url = "https://github.com/acme/shop/pull/7";
        let v = parse(OPEN, url, None).unwrap();
        assert_eq!(v.state, PrState::Open);
        assert_eq!(v.ci, Some(Ci::Failing));
        let c = v.changes.unwrap();
        assert_eq!(c.mark, "github:2026-11-26T11:00:00Z");
        assert_eq!(
            c.text,
            format!("@ben on {url}:\n\nRename `port` to `adapter`.")
        );
        // Already sent: nothing new.
        let again = parse(OPEN, url, Some(&c.mark)).unwrap();
        assert_eq!(again.changes, None);
    }

    #[test]
    fn checks_still_running_are_pending_and_none_is_none() {
        let running = r#"{"state":"OPEN","reviewDecision":"","reviews":[],"mergeCommit":null,
          "statusCheckRollup":[{"__typename":"CheckRun","conclusion":"","name":"t",
          "status":"IN_PROGRESS"},{"__typename":"CheckRun","conclusion":"SUCCESS","name":"u",
          "status":"COMPLETED"}]}"#;
        let v = parse(running, "u", None).unwrap();
        assert_eq!((v.ci, v.changes), (Some(Ci::Pending), None));
        let merged = r#"{"state":"MERGED","reviewDecision":"APPROVED","reviews":[],
          "mergeCommit":{"oid":"2222222222222222222222222222222222222222"},
          "statusCheckRollup":[]}"#;
        let v = parse(merged, "u", None).unwrap();
        assert_eq!(v.state, PrState::Merged);
        assert_eq!(v.ci, None);
        assert_eq!(
            v.merge_commit.as_deref(),
            Some("2222222222222222222222222222222222222222")
        );
    }
}
