//! Issues from GitHub (`gh`) and GitLab (`glab`) as tickets.
//!
//! Everything an issue carries is written by whoever can open one, so it is only ever data:
//! the ticket id is the issue's number (digits, always a valid id), the file is
//! `<tasksDir>/<number>.md`, the title and body go through the TOML writer and the strict
//! parser, and nothing in an issue can set the agent. Dependencies come from the tracker's
//! links, from `Depends on #12` / `Blocked by #12` lines and from labels such as
//! `depends-on:12`; scope and forbid from a fenced ```` ```epic ```` block holding only
//! `scope` and `forbid`, or from `scope:<glob>` / `forbid:<glob>` labels.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::{Incoming, IssueRef};
use crate::infra::error::{usage, Result};
use crate::model::epic::Workspace;
use crate::model::ticket::{check_glob, FrontMatter};
use crate::ops::forge::{run_cli, Forge};

/// Which issues to import.
#[derive(Debug, Default)]
pub struct Filter {
    pub label: Option<String>,
    pub milestone: Option<String>,
    pub issues: Vec<u64>,
}

/// An issue outside the import that imported ones depend on.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Outside {
    pub number: u64,
    pub needed_by: Vec<u64>,
}

pub struct Fetched {
    pub incoming: Vec<Incoming>,
    pub outside: Vec<Outside>,
}

/// One issue as both trackers give it, before it is a ticket.
#[derive(Debug, Default)]
pub struct Issue {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
    pub url: String,
    /// Numbers of the issues this one waits for, from the tracker's own links.
    pub linked_deps: Vec<u64>,
}

/// Read the issues `filter` selects from `source` (`github` or `gitlab`).
pub fn fetch(ws: &Workspace, source: &str, filter: &Filter) -> Result<Fetched> {
    let forge = match source {
        "github" => Forge::GitHub,
        "gitlab" => Forge::GitLab,
        other => return Err(usage(format!("Unknown tracker `{other}`."))),
    };
    forge.require()?;
    let mut issues = match forge {
        Forge::GitHub => github(ws, filter)?,
        Forge::GitLab => gitlab(ws, filter)?,
    };
    // The trackers list newest first; tickets read better in the order they were filed.
    issues.sort_by_key(|i| i.number);
    Ok(to_tickets(forge, issues, &ws.tickets()?))
}

/// The tickets of `issues`, their dependencies kept to what exists (the import and the
/// tickets already in the tasks dir) and the rest reported.
pub fn to_tickets(
    forge: Forge,
    issues: Vec<Issue>,
    existing: &[crate::model::ticket::Ticket],
) -> Fetched {
    let numbers: BTreeSet<u64> = issues.iter().map(|i| i.number).collect();
    let mut outside: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    let mut incoming = Vec::new();
    for issue in issues {
        let mut deps: BTreeSet<u64> = issue.linked_deps.iter().copied().collect();
        deps.extend(deps_in_body(&issue.body));
        deps.extend(issue.labels.iter().filter_map(|l| dep_label(l)));
        deps.remove(&issue.number);
        let mut kept = Vec::new();
        for d in deps {
            let id = d.to_string();
            if numbers.contains(&d) || existing.iter().any(|t| t.id == id) {
                kept.push(id);
            } else {
                outside.entry(d).or_default().push(issue.number);
            }
        }
        let (scope, forbid) = scope_of(&issue);
        // A title is one line in the front matter and in tasks.md headings.
        let title = issue.title.split_whitespace().collect::<Vec<_>>().join(" ");
        incoming.push(Incoming {
            id: issue.number.to_string(),
            front: FrontMatter {
                title: Some(title),
                deps: kept,
                scope,
                forbid,
                agent: None,
            },
            body: issue.body.replace("\r\n", "\n"),
            origin: format!("{} #{}", forge.name(), issue.number),
            issue: Some(IssueRef {
                forge: forge.name().to_ascii_lowercase(),
                number: issue.number,
                url: issue.url,
            }),
        });
    }
    Fetched {
        incoming,
        outside: outside
            .into_iter()
            .map(|(number, needed_by)| Outside { number, needed_by })
            .collect(),
    }
}

/// `Depends on #12, #13` and `Blocked by #12` lines (a list item or bold key is fine).
pub fn deps_in_body(body: &str) -> Vec<u64> {
    let line_re = regex::Regex::new(
        r"(?im)^[ \t>*-]*(?:\*\*)?(?:depends on|blocked by)(?:\*\*)?:?(?:\*\*)?[ \t]+(.*)$",
    )
    .expect("a valid regex");
    let num_re = regex::Regex::new(r"(?:^|[\s,(])#(\d{1,9})\b").expect("a valid regex");
    let mut out = Vec::new();
    for cap in line_re.captures_iter(body) {
        for n in num_re.captures_iter(&cap[1]) {
            if let Ok(n) = n[1].parse() {
                out.push(n);
            }
        }
    }
    out
}

/// `depends-on:12`, `blocked-by:#12`, `depends on #12`.
fn dep_label(label: &str) -> Option<u64> {
    let l = label.trim().to_ascii_lowercase();
    let rest = ["depends-on", "depends on", "blocked-by", "blocked by"]
        .iter()
        .find_map(|p| l.strip_prefix(p))?;
    rest.trim_start_matches([':', ' ', '/'])
        .trim_start_matches('#')
        .parse()
        .ok()
}

/// What a ```` ```epic ```` block may say: only scope and forbid.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Block {
    #[serde(default)]
    scope: Vec<String>,
    #[serde(default)]
    forbid: Vec<String>,
}

/// Scope and forbid from the body's ```` ```epic ```` block and from labels; an invalid glob is
/// left out (an issue cannot break the import of the others) and the prompt still has it.
fn scope_of(issue: &Issue) -> (Vec<String>, Vec<String>) {
    let mut block = Block::default();
    let mut lines = issue.body.lines();
    while let Some(l) = lines.next() {
        if l.trim() == "```epic" {
            let text: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
            if let Ok(b) = toml::from_str::<Block>(&text.join("\n")) {
                block = b;
            }
            break;
        }
    }
    for label in &issue.labels {
        if let Some(g) = label.strip_prefix("scope:") {
            block.scope.push(g.trim().to_owned());
        } else if let Some(g) = label.strip_prefix("forbid:") {
            block.forbid.push(g.trim().to_owned());
        }
    }
    let good = |v: Vec<String>| -> Vec<String> {
        let mut seen = BTreeSet::new();
        v.into_iter()
            .filter(|g| check_glob(g).is_ok() && seen.insert(g.clone()))
            .collect()
    };
    (good(block.scope), good(block.forbid))
}

// --- GitHub: `gh issue list/view --json`, GitHub's GraphQL names; the dependency and
// sub-issue links through `gh api`, GitHub's REST issue objects.

const GH_FIELDS: &str = "number,title,body,labels,state,url";

#[derive(Deserialize)]
struct GhIssue {
    number: u64,
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    labels: Vec<GhLabel>,
    #[serde(default)]
    url: String,
}

#[derive(Deserialize)]
struct GhLabel {
    name: String,
}

/// A REST issue, as `blocked_by` and `sub_issues` list them.
#[derive(Deserialize)]
struct RestIssue {
    number: u64,
}

fn github(ws: &Workspace, f: &Filter) -> Result<Vec<Issue>> {
    let dir = &ws.root;
    let mut raw: Vec<GhIssue> = Vec::new();
    if f.issues.is_empty() {
        let mut args = vec!["issue", "list", "--json", GH_FIELDS, "--limit", "1000"];
        if let Some(l) = &f.label {
            args.extend(["--label", l]);
        }
        if let Some(m) = &f.milestone {
            args.extend(["--milestone", m]);
        }
        let out = run_cli(Forge::GitHub, dir, &args)?;
        raw = serde_json::from_str(&out).context("`gh issue list` answered")?;
    } else {
        for n in &f.issues {
            let n = n.to_string();
            let out = run_cli(
                Forge::GitHub,
                dir,
                &["issue", "view", &n, "--json", GH_FIELDS],
            )?;
            raw.push(serde_json::from_str(&out).context("`gh issue view` answered")?);
        }
    }
    let mut issues = Vec::new();
    for i in raw {
        let mut linked = Vec::new();
        for what in ["dependencies/blocked_by", "sub_issues"] {
            let path = format!("repos/{{owner}}/{{repo}}/issues/{}/{what}", i.number);
            let out = run_cli(Forge::GitHub, dir, &["api", &path])?;
            let list: Vec<RestIssue> =
                serde_json::from_str(&out).with_context(|| format!("`gh api {path}` answered"))?;
            // A parent issue is done when its sub-issues are: it waits for them.
            linked.extend(list.into_iter().map(|r| r.number));
        }
        issues.push(Issue {
            number: i.number,
            title: i.title,
            body: i.body,
            labels: i.labels.into_iter().map(|l| l.name).collect(),
            url: i.url,
            linked_deps: linked,
        });
    }
    Ok(issues)
}

// --- GitLab: `glab issue list/view -F json`, GitLab's REST issue objects; the blocking
// links through `glab api projects/:id/issues/<iid>/links`.

#[derive(Deserialize)]
struct GlIssue {
    iid: u64,
    title: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    web_url: String,
}

#[derive(Deserialize)]
struct GlLink {
    iid: u64,
    #[serde(default)]
    link_type: String,
}

fn gitlab(ws: &Workspace, f: &Filter) -> Result<Vec<Issue>> {
    let dir = &ws.root;
    let mut raw: Vec<GlIssue> = Vec::new();
    if f.issues.is_empty() {
        let mut args = vec!["issue", "list", "-F", "json", "--per-page", "100"];
        if let Some(l) = &f.label {
            args.extend(["--label", l]);
        }
        if let Some(m) = &f.milestone {
            args.extend(["--milestone", m]);
        }
        let out = run_cli(Forge::GitLab, dir, &args)?;
        raw = serde_json::from_str(&out).context("`glab issue list` answered")?;
    } else {
        for n in &f.issues {
            let n = n.to_string();
            let out = run_cli(Forge::GitLab, dir, &["issue", "view", &n, "-F", "json"])?;
            raw.push(serde_json::from_str(&out).context("`glab issue view` answered")?);
        }
    }
    let mut blocks: Vec<(u64, u64)> = Vec::new(); // (blocked, blocker)
    for i in &raw {
        let path = format!("projects/:id/issues/{}/links", i.iid);
        let out = run_cli(Forge::GitLab, dir, &["api", &path])?;
        let links: Vec<GlLink> =
            serde_json::from_str(&out).with_context(|| format!("`glab api {path}` answered"))?;
        for l in links {
            match l.link_type.as_str() {
                "is_blocked_by" => blocks.push((i.iid, l.iid)),
                "blocks" => blocks.push((l.iid, i.iid)),
                _ => {}
            }
        }
    }
    Ok(raw
        .into_iter()
        .map(|i| Issue {
            number: i.iid,
            linked_deps: blocks
                .iter()
                .filter(|(b, _)| *b == i.iid)
                .map(|(_, by)| *by)
                .collect(),
            title: i.title,
            body: i.description.unwrap_or_default(),
            labels: i.labels,
            url: i.web_url,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_in_bodies_and_labels() {
        let body = "Intro mentions #99 in passing.\n\nDepends on #12, #13\n- **Blocked by:** #14 (and #15)\nblocked by: nothing\n";
        assert_eq!(deps_in_body(body), [12, 13, 14, 15]);
        assert_eq!(dep_label("depends-on:12"), Some(12));
        assert_eq!(dep_label("Blocked by #7"), Some(7));
        assert_eq!(dep_label("bug"), None);
    }

    #[test]
    fn scope_from_block_and_labels_never_anything_else() {
        let issue = Issue {
            body: "```epic\nscope = [\"core/**\"]\nforbid = [\"infra/**\"]\n```\n".into(),
            labels: vec!["scope:app/**".into(), "scope:a/[b".into()],
            ..Default::default()
        };
        assert_eq!(
            scope_of(&issue),
            (
                vec!["core/**".into(), "app/**".into()],
                vec!["infra/**".into()]
            )
        );
        let hostile = Issue {
            body: "```epic\nscope = [\"x/**\"]\nagent = \"sh -c 'rm -rf /'\"\n```\n".into(),
            ..Default::default()
        };
        assert_eq!(scope_of(&hostile), (vec![], vec![]));
    }
}
