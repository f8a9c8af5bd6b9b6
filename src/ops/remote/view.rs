//! The epic's shared notes without a hot ref: each machine pushes its notes to a ref that
//! only it writes (`refs/epic/<epic>/machines/<machine id>`), and every reader merges all of
//! them (and `refs/notes/epic`, which older git-epic versions wrote) into its local notes,
//! which stay the one view every command reads. See docs/remote.md, "No hot ref".

use std::collections::BTreeMap;

use gix::ObjectId;

use super::wire::Update;
use super::{notes, remote_of, track, NOTES_REF};
use crate::infra::error::Result;
use crate::infra::gitx;
use crate::model::state::parse_note;

/// The ref on the remote that holds machine `machine`'s notes of `epic`.
pub(super) fn machine_ref(epic: &str, machine: &str) -> String {
    format!("refs/epic/{epic}/machines/{machine}")
}

/// The ref on the remote whose creation claims ticket `id` of `epic`.
pub(super) fn claim_ref(epic: &str, id: &str) -> String {
    format!("refs/epic/{epic}/claims/{id}")
}

/// What every look at the shared state fetches, as `(remote pattern, tracking pattern)`:
/// every machine's notes, every claim, and the notes ref of older versions. Patterns all:
/// a remote without one of them is no error, and one fetch brings them all.
pub(super) fn wants(remote: &str, epic: &str) -> Vec<(String, String)> {
    vec![
        // `refs/notes/epic*` matches the one ref older versions wrote; a pattern, so that
        // an upgraded remote without it costs no second fetch.
        (format!("{NOTES_REF}*"), track(remote, epic, "notes*")),
        (
            format!("refs/epic/{epic}/machines/*"),
            track(remote, epic, "machines/*"),
        ),
        (
            format!("refs/epic/{epic}/claims/*"),
            track(remote, epic, "claims/*"),
        ),
    ]
}

/// How many machines the last fetch saw sharing the epic (each has its notes ref there).
pub fn machines_seen(ws: &crate::model::epic::Workspace) -> usize {
    let Some(remote) = remote_of(&ws.repo, &ws.epic.name) else {
        return 1;
    };
    let prefix = format!("{}/", track(&remote, &ws.epic.name, "machines"));
    tracked_under(&ws.repo, &prefix).map_or(1, |m| m.len())
}

/// The tracking refs under `prefix` (a folder, ending in `/`), by the rest of their name.
/// Read in-process: every look at the shared state lists them, a `git for-each-ref` each.
pub(super) fn tracked_under(
    repo: &gix::Repository,
    prefix: &str,
) -> Result<BTreeMap<String, ObjectId>> {
    let mut refs = BTreeMap::new();
    let platform = repo.references()?;
    for r in platform.prefixed(prefix)? {
        let Ok(mut r) = r else { continue };
        let name = r.name().as_bstr().to_string();
        let (Some(rest), Ok(id)) = (name.strip_prefix(prefix), r.peel_to_id()) else {
            continue;
        };
        refs.insert(rest.to_owned(), id.detach());
    }
    Ok(refs)
}

/// Merge what was fetched (every other machine's notes, and the notes older versions
/// wrote) into the local notes, with the rules of [`notes::merge`]. What was taken.
pub(super) fn merge_all(
    repo: &gix::Repository,
    remote: &str,
    epic: &str,
    ids: &[String],
) -> Result<notes::Merged> {
    // Each source's merge reads our notes' commits and trees again: cached, they are read
    // once per call (at ten clones this merge was a third of git-epic's own CPU).
    let mut repo = repo.clone();
    repo.object_cache_size_if_unset(4 * 1024 * 1024);
    let repo = &repo;
    let me = crate::infra::host::this_machine();
    let mut sources = Vec::new();
    if let Some(old) = gitx::resolve_commit(repo, &track(remote, epic, "notes")) {
        sources.push(("notes".to_owned(), old));
    }
    let prefix = format!("{}/", track(remote, epic, "machines"));
    for (machine, tip) in tracked_under(repo, &prefix)? {
        if Some(machine.as_str()) != me {
            sources.push((format!("machines/{machine}"), tip));
        }
    }
    // What was merged already, by source: a machine whose ref has not moved since costs
    // nothing (with ten machines, most have not).
    let done = |what: &str| track(remote, epic, &format!("merged/{what}"));
    sources.retain(|(what, tip)| gitx::resolve_commit(repo, &done(what)) != Some(*tip));
    // Who holds each ticket, as its claim ref says: that machine writes its note.
    let store = crate::model::state::Store::new(repo, epic);
    let claims = format!("{}/", track(remote, epic, "claims"));
    let holders: std::collections::HashMap<ObjectId, String> = tracked_under(repo, &claims)?
        .into_iter()
        .filter_map(|(id, at)| {
            super::claims::read(repo, at).map(|held| (store.key(&id), held.machine))
        })
        .collect();
    let mut all = notes::Merged::default();
    for (what, theirs) in sources {
        let merged = notes::merge_with(repo, epic, ids, theirs, &holders)?;
        repo.reference(
            done(&what).as_str(),
            theirs,
            gix::refs::transaction::PreviousValue::Any,
            "git-epic: merged",
        )?;
        for id in merged.updated {
            if !all.updated.contains(&id) {
                all.updated.push(id);
            }
        }
        for (id, why) in merged.refused {
            if !all.refused.iter().any(|(i, _)| *i == id) {
                all.refused.push((id, why));
            }
        }
    }
    all.updated.sort();
    Ok(all)
}

/// The push of this machine's notes ref, when the local notes hold a change of this
/// machine's that the remote does not have yet (or `always`, when it has none). Other
/// machines' notes merged in here are no reason to push: each machine would then push
/// again every change of every other one.
pub(super) fn own_update(
    repo: &gix::Repository,
    remote: &str,
    epic: &str,
    always: bool,
) -> Result<Option<Update>> {
    let Some(me) = crate::infra::host::this_machine() else {
        return Ok(None);
    };
    let Some(ours) = gitx::resolve_commit(repo, NOTES_REF) else {
        return Ok(None);
    };
    let there = gitx::resolve_commit(repo, &track(remote, epic, &format!("machines/{me}")));
    if Some(ours) == there || !(always && there.is_none() || changed_here(repo, ours, there)?) {
        return Ok(None);
    }
    Ok(Some((ours, machine_ref(epic, me), there)))
}

/// Whether notes commit `ours` has a note written here that `there` lacks: one this machine
/// holds (or one naming no machine, as local notes of older versions do), or one removed.
fn changed_here(repo: &gix::Repository, ours: ObjectId, there: Option<ObjectId>) -> Result<bool> {
    let (o, t) = (
        notes::entries(repo, Some(ours))?,
        notes::entries(repo, there)?,
    );
    if t.keys().any(|k| !o.contains_key(k)) {
        return Ok(true);
    }
    for (key, blob) in &o {
        if t.get(key) == Some(blob) {
            continue;
        }
        let written_here = repo
            .find_blob(*blob)
            .ok()
            .and_then(|b| parse_note(&b.data).ok())
            .is_none_or(|n| n.is_local());
        if written_here {
            return Ok(true);
        }
    }
    Ok(false)
}
