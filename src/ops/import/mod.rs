//! `git epic import`: tickets that come from somewhere else (the method's tasks.md, GitHub or
//! GitLab issues) written as ticket files, checked by the strict parser and the graph first.
//!
//! Importing again is a three-way merge per ticket between what was imported last time (the
//! record, `<common dir>/epic/<name>/imported.json`), the file as it is now and what the
//! source says now: only the source changed → the file is updated; only the file changed →
//! it is kept; both → refused, naming the ticket, unless `--ours` or `--theirs` says which.

pub mod tracker;
pub mod writeback;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::infra::error::{usage, Result};
use crate::model::epic::Workspace;
use crate::model::graph::Graph;
use crate::model::ticket::{self, FrontMatter, Ticket};

/// One ticket as a source gives it.
#[derive(Debug)]
pub struct Incoming {
    pub id: String,
    pub front: FrontMatter,
    pub body: String,
    /// Where it came from, for the record and messages: `tasks.md:12`, `github acme/shop#12`.
    pub origin: String,
    /// The issue it mirrors, when it came from a tracker (write-back uses it).
    pub issue: Option<IssueRef>,
}

/// An issue on a tracker.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IssueRef {
    pub forge: String,
    pub number: u64,
    pub url: String,
}

/// What was imported, per ticket id.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Record {
    pub tickets: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub origin: String,
    /// The file's text as import wrote it.
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<IssueRef>,
}

pub fn record_path(ws: &Workspace) -> PathBuf {
    ws.repo
        .common_dir()
        .join("epic")
        .join(&ws.epic.name)
        .join("imported.json")
}

pub fn read_record(ws: &Workspace) -> Result<Record> {
    let path = record_path(ws);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{} is not a record of imports: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Record::default()),
        Err(e) => Err(anyhow::anyhow!("could not read {}: {e}", path.display())),
    }
}

/// Which side wins when a ticket changed both here and at its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Ask,
    Ours,
    Theirs,
}

/// What importing does to one ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// No file yet: written.
    New,
    /// The source changed, the file did not: rewritten.
    Updated,
    /// Nothing to do.
    Unchanged,
    /// The file was edited here and the source did not change: left alone.
    KeptLocal,
    /// Both changed; `--ours` kept the file.
    KeptOurs,
    /// Both changed; `--theirs` took the source's.
    TookTheirs,
}

#[derive(Debug, Serialize)]
pub struct ImportPlan {
    pub id: String,
    pub title: String,
    pub path: PathBuf,
    pub change: Change,
    pub origin: String,
    #[serde(skip)]
    text: String,
    #[serde(skip)]
    issue: Option<IssueRef>,
}

/// An import checked and ready to write: every ticket file it would leave parses, and the
/// whole epic's graph (with the tickets it does not touch) is acyclic with known deps.
pub struct Prepared {
    pub tickets: Vec<ImportPlan>,
    /// The epic's graph as it will be after the import.
    pub graph: Graph,
}

/// Check `incoming` against the epic's tickets and the record; nothing is written.
pub fn prepare(ws: &Workspace, incoming: Vec<Incoming>, side: Side) -> Result<Prepared> {
    let tasks_rel = &ws.epic.tasks_dir;
    let existing = ws.tickets()?;
    let record = read_record(ws)?;
    let mut planned: Vec<ImportPlan> = Vec::new();
    let mut conflicts = Vec::new();
    for inc in incoming {
        if !ticket::is_valid_id(&inc.id) {
            return Err(usage(format!(
                "{}: the ticket id `{}` {}.",
                inc.origin,
                inc.id,
                ticket::id_problem(&inc.id)
            )));
        }
        if let Some(p) = planned.iter().find(|p| p.id.eq_ignore_ascii_case(&inc.id)) {
            return Err(usage(format!(
                "{}: ticket `{}` is also imported from {}.",
                inc.origin, inc.id, p.origin
            )));
        }
        let current = existing.iter().find(|t| t.id.eq_ignore_ascii_case(&inc.id));
        let rel = current.map_or_else(
            || tasks_rel.join(format!("{}.md", inc.id)),
            |t| t.path.clone(),
        );
        let text = ticket::render(&inc.front, &inc.body)?;
        // What we write must read back under the strict parser, whoever wrote the source.
        ticket::parse(&rel, &text).map_err(|e| usage(format!("{}: {e}", inc.origin)))?;
        let on_disk = match current {
            Some(_) => Some(std::fs::read_to_string(ws.root.join(&rel))?),
            None => None,
        };
        let last = record.tickets.get(&inc.id).map(|e| e.text.as_str());
        let change = match on_disk.as_deref() {
            None => Change::New,
            Some(now) if now == text => Change::Unchanged,
            Some(now) if Some(now) == last => Change::Updated,
            Some(_) if last == Some(text.as_str()) => Change::KeptLocal,
            Some(_) => match side {
                Side::Ours => Change::KeptOurs,
                Side::Theirs => Change::TookTheirs,
                Side::Ask => {
                    conflicts.push((inc.id.clone(), rel.clone(), last.is_some()));
                    Change::KeptOurs
                }
            },
        };
        planned.push(ImportPlan {
            id: inc.id,
            title: inc.front.title.clone().unwrap_or_default(),
            path: rel,
            change,
            origin: inc.origin,
            text,
            issue: inc.issue,
        });
    }
    if !conflicts.is_empty() {
        let list: Vec<String> = conflicts
            .iter()
            .map(|(id, path, ours)| {
                if *ours {
                    format!(
                        "`{id}` ({} was edited here and its source changed)",
                        path.display()
                    )
                } else {
                    format!("`{id}` ({} exists and was not imported)", path.display())
                }
            })
            .collect();
        return Err(usage(format!(
            "Refusing to overwrite tickets changed here: {}. Run again with `--theirs` to take the source's version or `--ours` to keep yours; nothing was written.",
            list.join(", ")
        )));
    }
    let graph = graph_after(&existing, &planned)?;
    Ok(Prepared {
        tickets: planned,
        graph,
    })
}

/// The epic's graph with the planned files in place of (or next to) the current ones.
fn graph_after(existing: &[Ticket], planned: &[ImportPlan]) -> Result<Graph> {
    let mut tickets: Vec<Ticket> = existing
        .iter()
        .filter(|t| !planned.iter().any(|p| p.id == t.id && writes(p.change)))
        .cloned()
        .collect();
    for p in planned.iter().filter(|p| writes(p.change)) {
        tickets.push(ticket::parse(&p.path, &p.text)?);
    }
    tickets.sort_by(|a, b| ticket::natural_cmp(&a.id, &b.id));
    for t in &tickets {
        for d in &t.deps {
            if !tickets.iter().any(|o| &o.id == d) {
                return Err(usage(format!(
                    "{}: unknown dependency `{d}`: there is no ticket with that id, here or in the import.",
                    t.path.display()
                )));
            }
        }
    }
    Graph::new(tickets)
}

fn writes(c: Change) -> bool {
    matches!(c, Change::New | Change::Updated | Change::TookTheirs)
}

/// Write the prepared files and the record. Files are written whole (temp file and rename).
pub fn apply(ws: &Workspace, prepared: &Prepared) -> Result<()> {
    let mut record = read_record(ws)?;
    for p in &prepared.tickets {
        if writes(p.change) {
            write_file(&ws.root.join(&p.path), p.text.as_bytes())?;
        }
        // The record is what the source said, so the next import sees only its changes.
        record.tickets.insert(
            p.id.clone(),
            Entry {
                origin: p.origin.clone(),
                text: p.text.clone(),
                issue: p.issue.clone(),
            },
        );
    }
    let path = record_path(ws);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::infra::supervisor::write_atomic(&path, &record)
        .map_err(|e| anyhow::anyhow!("could not write {}: {e}", path.display()))?;
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().expect("a ticket file is in the tasks dir");
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("could not create {}: {e}", dir.display()))?;
    let tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::fs::write(tmp.path(), bytes)?;
    tmp.persist(path)
        .map_err(|e| anyhow::anyhow!("could not write {}: {}", path.display(), e.error))?;
    Ok(())
}

/// The tickets of a tasks.md, as import takes them.
pub fn from_tasks_md(name: &str, text: &str) -> Result<Vec<Incoming>> {
    Ok(crate::model::tasks_md::parse(name, text)?
        .into_iter()
        .map(|l| Incoming {
            id: l.id,
            front: l.front.front_matter(),
            body: l.body,
            origin: format!("{name}:{}", l.line),
            issue: None,
        })
        .collect())
}
