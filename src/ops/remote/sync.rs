//! The whole exchange with the remote: a round fetches what it has, takes what others did
//! (ticket files, notes, the epic branch) and pushes what this machine did in one atomic
//! push; a push that lost to another machine's means another round.

use std::collections::HashMap;
use std::path::Path;

use anyhow::anyhow;
use gix::ObjectId;

use super::meta::{self, Meta};
use super::wire::{push, remote_refs, Pushed, Update};
use super::{reconcile, remote_of, track, Offline, NOTES_REF};
use crate::infra::error::{usage, Result};
use crate::infra::gitx;
use crate::infra::gitx::transport::{fetch, BranchSync};
use crate::model::epic::Workspace;

/// What `sync` did.
#[derive(Debug, Default, serde::Serialize)]
pub struct SyncReport {
    pub remote: String,
    /// Why the remote could not be reached (nothing was exchanged), if it could not.
    pub offline: Option<String>,
    /// Where the epic branch stands against the remote's.
    pub epic: BranchSync,
    /// Tickets whose note came from the remote.
    pub notes_in: Vec<String>,
    /// Remote notes refused (bad or unsafe), with why.
    pub notes_refused: Vec<String>,
    /// Ticket files written here from the remote, and ones published from here.
    pub tickets_in: Vec<String>,
    pub tickets_out: Vec<String>,
    /// Ticket files changed both here and there: kept as they are here, not published.
    pub tickets_conflict: Vec<String>,
    /// Ticket branches pushed.
    pub branches_out: Vec<String>,
    /// Refs pushed.
    pub pushed: usize,
    /// The remote held only the notes ref older versions wrote (`refs/notes/epic`): this
    /// sync published this machine's notes to its own ref, the form every machine reads now.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub upgraded: bool,
    /// Pull requests looked at on the forge, and what was done about them.
    pub forge: Vec<crate::ops::forge::follow::Followed>,
    /// Tickets landed here and not on the remote's epic (as last fetched).
    pub local_only: Vec<String>,
    /// Tickets landed here while the remote could not be reached, put back to done by this
    /// sync because the remote's epic moved meanwhile: they land again on it.
    #[serde(skip)]
    pub relanding: Vec<String>,
    /// Tickets landed here while the remote could not be reached, whose epic moved
    /// meanwhile, and landed again on it by this sync; and those that could not be, why.
    pub relanded: Vec<String>,
    pub not_relanded: Vec<String>,
    /// What was written back to imported issues (`epic.trackerWriteBack`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tracker: Vec<crate::ops::import::writeback::TrackerWrite>,
}

/// Fetch the epic's shared state from its remote, merge it into the local one, and push
/// what this machine has that the remote does not.
pub fn sync(ws: &Workspace) -> Result<SyncReport> {
    let remote = remote_of(&ws.repo, &ws.epic.name).ok_or_else(|| {
        usage("No remote for this epic: set one with `git config epic.remote <remote>`.")
    })?;
    let mut report = SyncReport {
        remote: remote.clone(),
        ..Default::default()
    };
    let mut backoff = super::wire::Backoff::new();
    loop {
        let refs = match remote_refs(&ws.root, &remote, &ws.epic, &ws.epic.name)? {
            Ok(refs) => refs,
            Err(Offline(why)) => {
                report.offline = Some(why);
                return Ok(report);
            }
        };
        fetch_shared(ws, &remote, &refs)?;
        // Landings made here while the remote could not be reached, when its epic moved
        // meanwhile: back to done (to land again) before the notes that say merged go out.
        if refs.contains_key(&epic_ref(ws)) {
            report.relanding = reconcile::reconcile(ws)?.relanding;
        }
        let mut round = Round {
            ws,
            remote: &remote,
            repo: gix::open(&ws.root)?,
            refs,
            updates: Vec::new(),
        };
        if round.exchange(&mut report)? {
            return Ok(report);
        }
        // Someone pushed meanwhile: fetch what they did and go again, a little later.
        if !backoff.wait() {
            return Err(anyhow!(
                "{remote} answered, but kept changing while syncing ({} rounds); run `git epic sync` again",
                backoff.rounds()
            ));
        }
    }
}

fn epic_ref(ws: &Workspace) -> String {
    format!("refs/heads/{}", ws.epic.branch)
}

/// Fetch the epic's refs the remote has (epic, notes, definition, ticket branches) into
/// their tracking refs.
fn fetch_shared(ws: &Workspace, remote: &str, refs: &HashMap<String, ObjectId>) -> Result<()> {
    let name = &ws.epic.name;
    let epic_ref = epic_ref(ws);
    let meta_ref = meta::remote_ref(name);
    let mut specs = Vec::new();
    for (src, what) in [(epic_ref.as_str(), "epic"), (meta_ref.as_str(), "meta")] {
        if refs.contains_key(src) {
            specs.push(format!("+{src}:{}", track(remote, name, what)));
        }
    }
    // Every machine's notes and claims, and the notes of older versions.
    for (src, dst) in super::view::wants(remote, name) {
        specs.push(format!("+{src}:{dst}"));
    }
    if refs.keys().any(|r| r.starts_with("refs/heads/feat/")) {
        specs.push(format!(
            "+refs/heads/feat/*:{}",
            track(remote, name, "feat/*")
        ));
    }
    fetch(&ws.root, remote, &specs)
}

/// One round of a sync, on the refs the remote had when it started.
struct Round<'a> {
    ws: &'a Workspace,
    remote: &'a str,
    repo: gix::Repository,
    /// The remote's refs of the epic, by full name.
    refs: HashMap<String, ObjectId>,
    /// What the round's push sends, each with the remote's value as its lease.
    updates: Vec<Update>,
}

impl Round<'_> {
    /// Take what the remote has and push what this machine has: `false` when the remote
    /// moved meanwhile and the round is to be done again.
    fn exchange(&mut self, report: &mut SyncReport) -> Result<bool> {
        let meta_commit = self.definition(report)?;
        let ids = self.notes(report)?;
        let Some(epic) = self.epic_branch()? else {
            return Ok(false);
        };
        report.epic = epic;
        self.ticket_branches(&ids, report)?;
        match push(&self.ws.root, self.remote, &self.updates)? {
            Pushed::Done => {
                report.pushed = self.updates.len();
                let _ = self.repo.reference(
                    track(self.remote, &self.ws.epic.name, "meta-synced").as_str(),
                    meta_commit,
                    gix::refs::transaction::PreviousValue::Any,
                    "git-epic: synced",
                );
                Ok(true)
            }
            Pushed::Stale => Ok(false),
        }
    }

    /// The epic's definition: ticket files both ways. What the remote's definition is once
    /// the round's push is done.
    fn definition(&mut self, report: &mut SyncReport) -> Result<ObjectId> {
        let (ws, remote, repo) = (self.ws, self.remote, &self.repo);
        let name = &ws.epic.name;
        let meta_ref = meta::remote_ref(name);
        let local_meta = Meta::local(&ws.root, &ws.epic)?;
        let remote_meta = match self.refs.get(&meta_ref) {
            Some(id) => Some((
                *id,
                Meta::read(repo, *id)
                    .map_err(|e| anyhow!("the epic's definition on {remote} is refused: {e:#}"))?,
            )),
            None => None,
        };
        let synced_ref = track(remote, name, "meta-synced");
        let last = gitx::resolve_commit(repo, &synced_ref).and_then(|c| Meta::read(repo, c).ok());
        let publish = take_ticket_files(
            &ws.root.join(&ws.epic.tasks_dir),
            &local_meta,
            remote_meta.as_ref().map(|(_, m)| m),
            last.as_ref(),
            report,
        )?;
        let remote_meta_id = remote_meta.as_ref().map(|(id, _)| *id);
        let changed = remote_meta.as_ref().is_none_or(|(_, m)| *m != publish);
        report.tickets_out = publish
            .tickets
            .iter()
            .filter(|(f, t)| {
                remote_meta
                    .as_ref()
                    .is_none_or(|(_, m)| m.tickets.get(*f) != Some(t))
            })
            .map(|(f, _)| f.trim_end_matches(".md").to_owned())
            .collect();
        if changed {
            let c = publish.write(repo, name, remote_meta_id)?;
            self.updates.push((c, meta_ref, remote_meta_id));
            Ok(c)
        } else {
            Ok(remote_meta_id.expect("unchanged means it exists"))
        }
    }

    /// Notes: theirs merged into ours, then ours pushed. The epic's ticket ids.
    fn notes(&mut self, report: &mut SyncReport) -> Result<Vec<String>> {
        let ws = self.ws;
        let graph = crate::model::graph::Graph::new(crate::model::ticket::load_all(
            &ws.root,
            &ws.epic.tasks_dir,
        )?)?;
        let ids: Vec<String> = graph.tickets.iter().map(|t| t.id.clone()).collect();
        let merged = super::view::merge_all(&self.repo, self.remote, &ws.epic.name, &ids)?;
        report.notes_in = merged.updated;
        report.notes_refused = merged
            .refused
            .into_iter()
            .map(|(id, why)| format!("{id}: {why}"))
            .collect();
        // This machine's notes to its own ref, and its claims as its notes say.
        // A remote that only has the notes ref older versions wrote: the first sync of this
        // version publishes its notes to its own ref, the form every machine reads now,
        // and says so (once: after it, the remote has a machine's ref).
        let old_only = self.refs.contains_key(NOTES_REF)
            && !self.refs.keys().any(|r| r.contains("/machines/"));
        if let Some(own) =
            super::view::own_update(&self.repo, self.remote, &ws.epic.name, old_only)?
        {
            report.upgraded = old_only;
            self.updates.push(own);
        }
        self.updates.extend(super::claims::follow_notes(
            &self.repo,
            self.remote,
            &ws.epic.name,
        )?);
        Ok(ids)
    }

    /// The epic branch: fast-forward either way; diverged waits for a landing. `None` when
    /// it moved here meanwhile.
    fn epic_branch(&mut self) -> Result<Option<BranchSync>> {
        let (ws, repo) = (self.ws, &self.repo);
        let epic_ref = epic_ref(ws);
        let local_epic = gitx::branch_tip(repo, &ws.epic.branch)?;
        let remote_epic = self.refs.get(&epic_ref).copied();
        Ok(Some(match (local_epic, remote_epic) {
            (None, None) => BranchSync::Absent,
            (Some(l), None) => {
                self.updates.push((l, epic_ref, None));
                BranchSync::Pushed
            }
            (None, Some(r)) => {
                gitx::create_branch(repo, &ws.epic.branch, r, "git-epic: sync from the remote")?;
                BranchSync::FastForwarded
            }
            (Some(l), Some(r)) if l == r => BranchSync::UpToDate,
            (Some(l), Some(r)) => match repo.merge_base(l, r).ok().flatten().map(|b| b.detach()) {
                Some(b) if b == l => {
                    if let Some(at) = gitx::checked_out_at(repo, &ws.epic.branch)? {
                        return Err(usage(format!(
                            "The epic branch {} is checked out in {}; switch that worktree to another branch so sync can bring it up to date.",
                            ws.epic.branch,
                            at.display()
                        )));
                    }
                    if !gitx::move_branch(
                        repo,
                        &ws.epic.branch,
                        l,
                        r,
                        "git-epic: sync from the remote",
                    )? {
                        return Ok(None);
                    }
                    BranchSync::FastForwarded
                }
                Some(b) if b == r => {
                    self.updates.push((l, epic_ref, Some(r)));
                    BranchSync::Pushed
                }
                _ => BranchSync::Diverged,
            },
        }))
    }

    /// Ticket branches this machine ran, where the remote does not have them yet.
    fn ticket_branches(&mut self, ids: &[String], report: &mut SyncReport) -> Result<()> {
        let store = crate::model::state::Store::new(&self.repo, &self.ws.epic.name);
        let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        report.branches_out.clear();
        for (id, note) in store.get_many(&id_refs)? {
            let Ok(note) = note else { continue };
            let (Some(branch), true) = (note.branch.as_ref(), note.is_mine()) else {
                continue;
            };
            let Some(tip) = gitx::branch_tip(&self.repo, branch)? else {
                continue;
            };
            let dst = format!("refs/heads/{branch}");
            if !branch.starts_with("feat/") || self.updates.iter().any(|(_, d, _)| *d == dst) {
                continue;
            }
            let there = self.refs.get(&dst).copied();
            if there != Some(tip) {
                self.updates.push((tip, dst, there));
                report.branches_out.push(id);
            }
        }
        report.branches_out.sort();
        Ok(())
    }
}

/// The ticket files of the remote's definition (`theirs`) written into `dir` where this
/// machine did not change them since the last sync (`last`); one changed on both sides is
/// kept as it is here and reported. What to publish: ours, with theirs taken.
fn take_ticket_files(
    dir: &Path,
    local: &Meta,
    theirs: Option<&Meta>,
    last: Option<&Meta>,
    report: &mut SyncReport,
) -> Result<Meta> {
    let mut publish = local.clone();
    report.tickets_in.clear();
    report.tickets_conflict.clear();
    let Some(theirs) = theirs else {
        return Ok(publish);
    };
    for (file, text) in &theirs.tickets {
        let mine = local.tickets.get(file);
        let before = last.and_then(|m| m.tickets.get(file));
        if mine == Some(text) {
            continue;
        }
        let id = file.trim_end_matches(".md").to_owned();
        if mine.is_none() || mine == before {
            std::fs::create_dir_all(dir)?;
            std::fs::write(dir.join(file), text)?;
            publish.tickets.insert(file.clone(), text.clone());
            report.tickets_in.push(id);
        } else if before != Some(text) && before.is_some() {
            report.tickets_conflict.push(id);
            publish.tickets.insert(file.clone(), text.clone());
        }
    }
    Ok(publish)
}
