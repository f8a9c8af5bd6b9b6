//! Merging the notes another machine pushed into ours. Each side's notes ref is a commit
//! chain; the merge is three-way per note, against their merge base: a note changed on one
//! side only takes that side; changed on both, the one with more updates (`rev`) wins, the
//! remote's on a tie. Notes of this epic's tickets from the remote are untrusted input: one
//! that does not parse, or names an unsafe branch or session, is reported and left out.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::anyhow;
use gix::note::plumbing as notes;
use gix::refs::transaction::PreviousValue;
use gix::ObjectId;

use crate::infra::error::Result;
use crate::model::state::{parse_note, Store, TicketNote, NOTES_REF};

/// What a merge took from the remote.
#[derive(Debug, Default)]
pub struct Merged {
    /// Tickets of this epic whose note now is the remote's.
    pub updated: Vec<String>,
    /// Tickets whose remote note was refused, with why.
    pub refused: Vec<(String, String)>,
}

/// Every note in a notes tree: annotated object -> note blob (fan-out directories walked).
pub(super) fn entries(
    repo: &gix::Repository,
    commit: Option<ObjectId>,
) -> Result<BTreeMap<ObjectId, ObjectId>> {
    let mut out = BTreeMap::new();
    let Some(commit) = commit else {
        return Ok(out);
    };
    let tree = repo.find_commit(commit)?.tree_id()?.detach();
    walk(repo, tree, String::new(), &mut out)?;
    Ok(out)
}

fn walk(
    repo: &gix::Repository,
    tree: ObjectId,
    prefix: String,
    out: &mut BTreeMap<ObjectId, ObjectId>,
) -> Result<()> {
    let tree = repo.find_tree(tree)?;
    for entry in tree.iter() {
        let entry = entry?;
        let name = format!("{prefix}{}", entry.filename());
        if entry.mode().is_tree() {
            walk(repo, entry.oid().to_owned(), name, out)?;
        } else if let Ok(key) = ObjectId::from_hex(name.as_bytes()) {
            out.insert(key, entry.oid().to_owned());
        }
    }
    Ok(())
}

/// Why a note from another machine must not be taken, if it must not.
fn unsafe_note(n: &TicketNote) -> Option<String> {
    // Times: a claim or a wait far in the future would hold a ticket (or a profile) on every
    // machine for as long; one that is not a number would stop a run.
    let horizon = crate::infra::clock::now() + 400.0 * 86_400.0;
    for (what, t) in [
        ("claim", n.claim_until),
        ("rate-limit wait", n.rate_limited_until),
        ("reset", n.cooldown_reset_at),
        ("start", n.started_at),
        ("end", n.finished_at),
        ("merge time", n.merged_at),
    ] {
        if let Some(t) = t.filter(|t| !t.is_finite() || *t < 0.0 || *t > horizon) {
            return Some(format!("its {what} time `{t}` is not a time"));
        }
    }
    let amounts = [
        n.rate_limit_wait_s,
        n.rate_limit_waited_s,
        n.run_s,
        n.cost_usd,
    ];
    if amounts.iter().any(|a| !a.is_finite() || *a < 0.0) {
        return Some("it holds an amount that is not a number".into());
    }
    if let Some(b) = &n.branch {
        if !crate::infra::gitx::is_valid_branch_name(b) || b.starts_with('-') {
            return Some(format!("its branch `{b}` is not a valid branch name"));
        }
    }
    if let Some(url) = &n.pr_url {
        if let Err(why) = crate::ops::forge::PrUrl::parse(url) {
            return Some(why);
        }
    }
    let token = |s: &str| {
        !s.is_empty()
            && s.len() <= 200
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
            && !s.starts_with('-')
    };
    for (what, v) in [
        ("session", &n.session_id),
        ("session", &n.resume_session),
        ("host", &n.host),
        ("machine", &n.machine),
    ] {
        if let Some(v) = v {
            if !token(v) {
                return Some(format!(
                    "its {what} `{v}` has characters a {what} never has"
                ));
            }
        }
    }
    None
}

/// Merge the notes commit `theirs` (fetched) into the local notes ref. Only this epic's
/// tickets (`ids`) are checked as notes; other notes merge as opaque blobs.
pub fn merge(
    repo: &gix::Repository,
    epic: &str,
    ids: &[String],
    theirs: ObjectId,
) -> Result<Merged> {
    merge_with(repo, epic, ids, theirs, &HashMap::new())
}

/// [`merge`], knowing who holds the claim ref of each ticket (by note key): the machine that
/// holds a ticket is its note's one writer.
pub(super) fn merge_with(
    repo: &gix::Repository,
    epic: &str,
    ids: &[String],
    theirs: ObjectId,
    holders: &HashMap<ObjectId, String>,
) -> Result<Merged> {
    let store = Store::new(repo, epic);
    let keys: HashMap<ObjectId, &String> = ids.iter().map(|id| (store.key(id), id)).collect();
    let mut report = Merged::default();
    for _ in 0..20 {
        let ours = match repo.try_find_reference(NOTES_REF)? {
            Some(mut r) => Some(r.peel_to_id()?.detach()),
            None => None,
        };
        if ours == Some(theirs) {
            return Ok(report);
        }
        let base = match ours {
            Some(o) => repo
                .merge_base(o, theirs)
                .ok()
                .flatten()
                .map(|b| b.detach()),
            None => None,
        };
        if base == Some(theirs) {
            return Ok(report); // theirs is in ours already
        }
        let (o, b, t) = (
            entries(repo, ours)?,
            entries(repo, base)?,
            entries(repo, Some(theirs))?,
        );
        let mut take: BTreeMap<ObjectId, Option<ObjectId>> = BTreeMap::new();
        // Whether a note of ours was kept over theirs (or theirs refused): the merge is then
        // not simply theirs.
        let mut kept = false;
        report = Merged::default();
        let all: BTreeSet<&ObjectId> = o.keys().chain(t.keys()).chain(b.keys()).collect();
        for key in all {
            let (ov, bv, tv) = (o.get(key), b.get(key), t.get(key));
            if tv == ov || tv == bv {
                continue; // nothing new from them
            }
            let id = keys.get(key);
            let note = |v: Option<&ObjectId>| {
                v.and_then(|blob| repo.find_blob(*blob).ok())
                    .and_then(|blob| parse_note(&blob.data).ok())
            };
            // Every note taken is checked, not only those of the tickets named: a ticket
            // whose file has not come here yet is named later, and its note used then. A
            // bad one is reported even where ours would stay anyway.
            let name = || id.map_or_else(|| format!("note {key}"), |id| (*id).clone());
            if let Some(blob) = tv {
                let data = repo.find_blob(*blob)?.detach().data;
                let why = match parse_note(&data) {
                    Err(problem) => Some(format!("it does not parse ({problem})")),
                    Ok(n) => unsafe_note(&n),
                };
                if let Some(why) = why {
                    report.refused.push((name(), why));
                    kept = true;
                    continue;
                }
            }
            let (mine, other) = (note(ov), note(tv));
            let holder = holders.get(key).map(String::as_str);
            if keep_ours(
                mine.as_ref(),
                other.as_ref(),
                ov != bv,
                id.is_some(),
                holder,
            ) {
                kept = true;
                continue;
            }
            if id.is_some() && tv.is_some() {
                report.updated.push(name());
            }
            take.insert(*key, tv.copied());
        }
        let expected = match ours {
            Some(o) => PreviousValue::MustExistAndMatch(gix::refs::Target::Object(o)),
            None => PreviousValue::MustNotExist,
        };
        // Nothing here that theirs lacks: theirs as it is. A merge commit made here instead
        // would be new to every other machine, which would merge it in turn and push, and
        // so on between idle machines, each round a push.
        if base == ours && !kept {
            let message = format!("git-epic: the notes of {epic} from the remote");
            if repo
                .reference(NOTES_REF, theirs, expected, message.as_str())
                .is_ok()
            {
                report.updated.sort();
                return Ok(report);
            }
            crate::infra::gitx::wait_out_ref_lock(repo, NOTES_REF);
            continue;
        }
        let (commit, message) = merge_commit(repo, epic, ours, theirs, &take)?;
        if repo
            .reference(NOTES_REF, commit, expected, message.as_str())
            .is_ok()
        {
            report.updated.sort();
            return Ok(report);
        }
        // A local update raced the merge, or holds the ref's lock: merge again on top of
        // it. A lock a killed git-epic left would hold it forever: it goes once stale.
        crate::infra::gitx::wait_out_ref_lock(repo, NOTES_REF);
    }
    Err(anyhow!(
        "could not merge the remote notes: {NOTES_REF} kept moving"
    ))
}

/// Whether our copy of a note stays over theirs, which is new since the merge base
/// (`ours_changed`: ours too). `ticket`: a note of this epic's tickets; `holder`: the
/// machine whose claim ref the ticket has, the one writer of its note.
fn keep_ours(
    mine: Option<&TicketNote>,
    other: Option<&TicketNote>,
    ours_changed: bool,
    ticket: bool,
    holder: Option<&str>,
) -> bool {
    if let (Some(mine), Some(other)) = (mine, other) {
        // A landing is final: the machine that landed a ticket (its own, or one whose
        // machine went away) has moved the remote's epic, so a copy that says otherwise is
        // older than the landing, whoever wrote it. The one way back, landing again what
        // was landed offline, says so (`reland`) and goes by the rules below.
        if ticket && !mine.reland && !other.reland {
            let merged = |n: &TicketNote| n.state == crate::model::state::State::Merged;
            match (merged(mine), merged(other)) {
                (true, false) => return true,
                (false, true) => return false,
                _ => {}
            }
        }
        // The claim ref decides who writes the note: a copy by another machine (a claim
        // made here only, or one that lost) never replaces the holder's.
        if let Some(h) = holder.filter(|_| ticket) {
            let by_holder = |n: &TicketNote| n.machine.as_deref() == Some(h);
            match (by_holder(mine), by_holder(other)) {
                (true, false) => return true,
                (false, true) => return false,
                _ => {}
            }
        }
        // This machine's own note come back from the remote: this machine is its one
        // writer, so its copy here is the newest, whatever the merge base says (one taken
        // wrongly would undo a start or a landing here).
        if ticket && mine.is_mine() && other.is_mine() && mine.rev >= other.rev {
            return true;
        }
        // Another machine's note passed on by a third one (each machine's ref holds the
        // notes it merged) with fewer updates than the copy here: an older copy. The merge
        // bases of many machines' refs cross, so the base cannot tell.
        if mine.machine.is_some()
            && (&mine.machine, &mine.host) == (&other.machine, &other.host)
            && mine.rev > other.rev
        {
            return true;
        }
    }
    if !ours_changed || !ticket {
        return false;
    }
    // Changed on both sides, without a claim ref to say. Theirs wins when another machine
    // wrote it; ours when it is this machine's own note come back; without a host, the
    // note with more updates (theirs on a tie).
    match other {
        Some(n) if n.machine.is_some() || n.host.is_some() => n.is_mine(),
        _ => mine.map_or(0, |n| n.rev) > other.map_or(0, |n| n.rev),
    }
}

/// The commit of `ours` (if any) with the notes of `take` from `theirs`, whose parents are
/// both: the next push of it is a fast-forward. With its message.
fn merge_commit(
    repo: &gix::Repository,
    epic: &str,
    ours: Option<ObjectId>,
    theirs: ObjectId,
    take: &BTreeMap<ObjectId, Option<ObjectId>>,
) -> Result<(ObjectId, String)> {
    // Even with nothing of theirs to take, their commit becomes a parent of ours, so
    // that the next push is a fast-forward.
    let tree = match ours {
        Some(c) => repo.find_commit(c)?.tree_id()?.detach(),
        None => ObjectId::empty_tree(repo.object_hash()),
    };
    let mut state = notes::State::new(tree, &repo.objects).map_err(|e| anyhow!("{e}"))?;
    // Staged, then written once: a replace per note wrote the whole notes tree each time,
    // and ten machines' first merge of sixty notes each stalled every clone for ~27 s.
    for (key, blob) in take {
        state
            .edit(*key, *blob, &repo.objects)
            .map_err(|e| anyhow!("{e}"))?;
    }
    let tree_id = state.write(&repo.objects).map_err(|e| anyhow!("{e}"))?;
    let parents: Vec<ObjectId> = ours.into_iter().chain(std::iter::once(theirs)).collect();
    let message = format!("git-epic: merge the notes of {epic} from the remote");
    let commit = crate::infra::gitx::bookkeeping_commit(repo, &message, tree_id, parents)?;
    Ok((commit, message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::state::State;

    /// A new empty repository, and its directory (removed when dropped).
    fn repo() -> (tempfile::TempDir, gix::Repository) {
        let dir = tempfile::tempdir().unwrap();
        let repo = gix::init(dir.path()).unwrap();
        (dir, repo)
    }

    #[test]
    fn this_machines_own_note_is_never_undone_by_an_older_copy_from_the_remote() {
        let (_dir, repo) = repo();
        let store = Store::new(&repo, "e");
        let me = crate::infra::host::this_host().to_owned();
        let at =
            |repo: &gix::Repository| crate::infra::gitx::resolve_commit(repo, NOTES_REF).unwrap();
        store
            .update("T", |n| {
                n.mark_mine(&me);
                n.state = State::Running;
                Ok(())
            })
            .unwrap();
        let running = store.note_at(at(&repo), "T").unwrap().unwrap().unwrap();
        store
            .update("T", |n| {
                n.state = State::Done;
                Ok(())
            })
            .unwrap();
        // The remote's notes: ours, then a commit that puts the running note back (a stale
        // copy some machine pushed). Only the remote changed it since the merge base.
        let theirs = store.commit_on(Some(at(&repo)), &[("T", running)]).unwrap();
        merge(&repo, "e", &["T".into()], theirs).unwrap();
        assert_eq!(store.get("T").unwrap().unwrap().state, State::Done);
    }

    #[test]
    fn notes_that_only_add_to_ours_are_taken_as_they_are_without_a_merge_commit() {
        let (_dir, repo) = repo();
        let store = Store::new(&repo, "e");
        let at =
            |repo: &gix::Repository| crate::infra::gitx::resolve_commit(repo, NOTES_REF).unwrap();
        store
            .update("T", |n| {
                n.state = State::Done;
                Ok(())
            })
            .unwrap();
        let ours = at(&repo);
        // The remote's notes: ours, then another machine's note for U.
        let u = TicketNote {
            state: State::Running,
            host: Some("elsewhere".into()),
            machine: Some("0123456789ab".into()),
            ..Default::default()
        };
        let theirs = store.commit_on(Some(ours), &[("U", u)]).unwrap();
        let merged = merge(&repo, "e", &["T".into(), "U".into()], theirs).unwrap();
        assert_eq!(merged.updated, ["U"]);
        assert_eq!(at(&repo), theirs, "a fast-forward, not a merge commit");
    }

    /// Found by the chaos across machines: a machine landed D after D's machine went away;
    /// that machine, back, still had D done (and held D's claim ref), and its copy undid
    /// the landing here: a dependent's gate then found D unmerged and the dependent never
    /// landed.
    #[test]
    fn a_landing_is_never_undone_by_a_copy_that_has_not_seen_it() {
        let by = |state: State, machine: &str, rev: u64| TicketNote {
            state,
            host: Some("vm".into()),
            machine: Some(machine.into()),
            rev,
            ..Default::default()
        };
        let landed = by(State::Merged, "aaaaaaaaaaaa", 3);
        let done = by(State::Done, "bbbbbbbbbbbb", 5);
        let holder = Some("bbbbbbbbbbbb");
        assert!(keep_ours(Some(&landed), Some(&done), true, true, holder));
        assert!(!keep_ours(Some(&done), Some(&landed), true, true, holder));
        // Landing again what was landed offline goes back to done, and that copy is taken.
        let relanding = TicketNote {
            reland: true,
            ..by(State::Done, "aaaaaaaaaaaa", 4)
        };
        assert!(!keep_ours(
            Some(&landed),
            Some(&relanding),
            true,
            true,
            Some("aaaaaaaaaaaa")
        ));
    }
}
