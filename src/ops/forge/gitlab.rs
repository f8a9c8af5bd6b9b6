//! GitLab through `glab`: `glab mr create`, and `glab mr view <iid> -R <project> -F json`,
//! which prints GitLab's REST object for the merge request (`state` is `opened`, `merged`,
//! `closed` or `locked`); with `--comments` it adds the discussions.

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use super::{run_cli, Changes, Ci, Forge, PrState, PrUrl, PrView};
use crate::infra::error::Result;

pub fn create_args(base: &str, head: &str, title: &str, body: &str, draft: bool) -> Vec<String> {
    let mut args: Vec<String> = [
        "mr",
        "create",
        "--target-branch",
        base,
        "--source-branch",
        head,
        "--title",
        title,
        "--description",
        body,
        "--yes",
    ]
    .map(str::to_owned)
    .to_vec();
    if draft {
        args.push("--draft".into());
    }
    args
}

pub fn view(dir: &Path, pr: &PrUrl, since: Option<&str>) -> Result<PrView> {
    let iid = pr.number.to_string();
    let base = [
        "mr",
        "view",
        iid.as_str(),
        "-R",
        pr.project.as_str(),
        "-F",
        "json",
    ];
    let what = || format!("`glab mr view {iid} -R {}` answered", pr.project);
    let out = run_cli(Forge::GitLab, dir, &base)?;
    let mr: Mr = serde_json::from_str(&out).with_context(what)?;
    let mut view = mr.view().with_context(what)?;
    // Which notes asked for the changes is only in the discussions: a second call, made
    // only while changes are requested.
    if mr.detailed_merge_status.as_deref() == Some("requested_changes") {
        let mut args = base.to_vec();
        args.push("--comments");
        let out = run_cli(Forge::GitLab, dir, &args)?;
        let with: Mr = serde_json::from_str(&out).with_context(what)?;
        view.changes = with.changes(&pr.url, since);
    }
    Ok(view)
}

#[derive(Deserialize)]
struct Mr {
    state: String,
    #[serde(default)]
    detailed_merge_status: Option<String>,
    #[serde(default)]
    merge_commit_sha: Option<String>,
    #[serde(default)]
    squash_commit_sha: Option<String>,
    #[serde(default)]
    head_pipeline: Option<Pipeline>,
    #[serde(default)]
    pipeline: Option<Pipeline>,
    /// glab's `--comments`: discussions (recent glab) or a flat list of notes (older).
    #[serde(default, rename = "Discussions")]
    discussions: Option<Vec<Discussion>>,
    #[serde(default, rename = "Notes")]
    notes: Option<Vec<Note>>,
}

#[derive(Deserialize)]
struct Pipeline {
    status: String,
}

#[derive(Deserialize)]
struct Discussion {
    #[serde(default)]
    notes: Vec<Note>,
}

#[derive(Deserialize)]
struct Note {
    id: u64,
    #[serde(default)]
    body: String,
    #[serde(default)]
    author: Option<Author>,
    #[serde(default)]
    system: bool,
    #[serde(default)]
    resolved: Option<bool>,
}

#[derive(Deserialize)]
struct Author {
    username: String,
}

impl Mr {
    fn view(&self) -> Result<PrView> {
        let state = match self.state.as_str() {
            "merged" => PrState::Merged,
            "closed" => PrState::Closed,
            "opened" | "locked" => PrState::Open,
            other => anyhow::bail!("an unknown merge request state `{other}`"),
        };
        let ci = self
            .head_pipeline
            .as_ref()
            .or(self.pipeline.as_ref())
            .map(|p| match p.status.as_str() {
                "success" | "skipped" => Ci::Passing,
                "failed" | "canceled" => Ci::Failing,
                _ => Ci::Pending,
            });
        Ok(PrView {
            state,
            ci,
            merge_commit: self
                .merge_commit_sha
                .clone()
                .or_else(|| self.squash_commit_sha.clone()),
            changes: None,
        })
    }

    /// The unresolved comments newer than `since`, as one request.
    fn changes(&self, url: &str, since: Option<&str>) -> Option<Changes> {
        let since: u64 = since
            .and_then(|s| s.strip_prefix("gitlab:"))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let from_discussions = self.discussions.iter().flatten().flat_map(|d| &d.notes);
        let mut notes: Vec<&Note> = from_discussions
            .chain(self.notes.iter().flatten())
            .filter(|n| !n.system && n.resolved != Some(true) && n.id > since)
            .filter(|n| !n.body.trim().is_empty())
            .collect();
        notes.sort_by_key(|n| n.id);
        notes.dedup_by_key(|n| n.id);
        let mark = notes.last()?.id;
        let text = notes
            .iter()
            .map(|n| {
                let who = n
                    .author
                    .as_ref()
                    .map_or("a reviewer", |a| a.username.as_str());
                format!("@{who} on {url}:\n\n{}", n.body.trim())
            })
            .collect::<Vec<_>>()
            .join("\n\n");
        Some(Changes {
            mark: format!("gitlab:{mark}"),
            text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // GitLab's merge request object as `glab mr view -F json --comments` prints it (trimmed
    // to the fields that matter, plus a few neighbours).
    const REQUESTED: &str = r#"{
      "id": 901, "iid": 12, "project_id": 4, "title": "Create the port",
      "state": "opened", "draft": false, "source_branch": "feat/A-create-the-port",
      "target_branch": "epic/e", "sha": "3333333333333333333333333333333333333333",
      "merge_commit_sha": null, "squash_commit_sha": null,
      "detailed_merge_status": "requested_changes", "has_conflicts": false,
      "head_pipeline": {"id": 55, "iid": 3, "status": "failed", "ref": "feat/A-create-the-port"},
      "web_url": "https://gitlab.example.com/acme/shop/-/merge_requests/12",
      "Discussions": [
        {"id": "d1", "individual_note": true, "notes": [
          {"id": 301, "type": null, "body": "requested changes", "author": {"username": "ana"},
           "system": true, "resolvable": false, "resolved": false}]},
        {"id": "d2", "individual_note": false, "notes": [
          {"id": 302, "type": "DiffNote", "body": "Handle the empty cart.",
           "author": {"username": "ana"}, "system": false, "resolvable": true, "resolved": false},
          {"id": 303, "type": "DiffNote", "body": "Done elsewhere.",
           "author": {"username": "ana"}, "system": false, "resolvable": true, "resolved": true}]}
      ]
    }"#;

    #[test]
    fn requested_changes_are_the_unresolved_comments() {
        let url = "https://gitlab.example.com/acme/shop/-/merge_requests/12";
        let mr: Mr = serde_json::from_str(REQUESTED).unwrap();
        let v = mr.view().unwrap();
        assert_eq!((v.state, v.ci), (PrState::Open, Some(Ci::Failing)));
        let c = mr.changes(url, None).unwrap();
        assert_eq!(c.mark, "gitlab:302");
        assert_eq!(c.text, format!("@ana on {url}:\n\nHandle the empty cart."));
        assert_eq!(mr.changes(url, Some("gitlab:302")), None);
    }

    #[test]
    fn a_merged_request_names_its_commit() {
        let mr: Mr = serde_json::from_str(
            r#"{"iid": 3, "state": "merged", "merge_commit_sha": "4444",
                "head_pipeline": {"status": "running"}}"#,
        )
        .unwrap();
        let v = mr.view().unwrap();
        assert_eq!(v.state, PrState::Merged);
        assert_eq!(v.ci, Some(Ci::Pending));
        assert_eq!(v.merge_commit.as_deref(), Some("4444"));
    }
}
