//! Runtime state of tickets: one TOML note per ticket under `refs/notes/epic`.
//!
//! A note is attached to a blob that names the epic and the ticket (not to a commit of the
//! ticket branch), so it survives any rebase of that branch. Every update is a
//! read-modify-write that only lands if the notes ref still points where it was read
//! (compare-and-swap); a lost race is retried, so concurrent `git epic` processes never lose
//! each other's updates.

mod note;

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Context};
use gix::note::plumbing as notes;
use gix::refs::transaction::PreviousValue;
use gix::ObjectId;

use crate::infra::error::Result;

pub use note::*;

pub const NOTES_REF: &str = "refs/notes/epic";

pub use crate::infra::clock::now;

/// A note that exists but cannot be read: never overwritten, always reported.
#[derive(Debug, Clone)]
pub struct BadNote {
    pub ticket: String,
    pub key: ObjectId,
    pub problem: String,
}

impl std::fmt::Display for BadNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "The state note of ticket `{}` does not parse ({}); see it with `git notes --ref=epic show {}`.",
            self.ticket, self.problem, self.key
        )
    }
}

impl std::error::Error for BadNote {}

/// Reads and writes the notes of one epic.
pub struct Store<'r> {
    repo: &'r gix::Repository,
    epic: String,
}

/// The notes ref as read: its commit (if any) and the tree.
struct Snapshot {
    commit: Option<ObjectId>,
    tree: notes::State,
}

/// Tickets' notes by id, as [`Store::get_many`] reads them: a note that does not parse is
/// there as its [`BadNote`].
pub type NoteMap = HashMap<String, std::result::Result<TicketNote, BadNote>>;

impl<'r> Store<'r> {
    pub fn new(repo: &'r gix::Repository, epic: &str) -> Store<'r> {
        Store {
            repo,
            epic: epic.to_owned(),
        }
    }

    /// This machine's label, as notes record it (`epic.hostName`, else the host name).
    pub fn host(&self) -> String {
        crate::infra::host::host_name(self.repo, &self.epic)
    }

    fn key_blob(&self, id: &str) -> String {
        format!("git-epic ticket\nepic {}\nticket {id}\n", self.epic)
    }

    /// The object a ticket's note is attached to: a blob naming epic and ticket.
    pub fn key(&self, id: &str) -> ObjectId {
        gix::objs::compute_hash(
            self.repo.object_hash(),
            gix::objs::Kind::Blob,
            self.key_blob(id).as_bytes(),
        )
        .expect("hashing a small buffer cannot fail")
    }

    fn snapshot(&self) -> Result<Snapshot> {
        let commit = match self.repo.try_find_reference(NOTES_REF)? {
            Some(mut r) => Some(r.peel_to_id()?.detach()),
            None => None,
        };
        self.snapshot_at(commit)
    }

    /// The notes as of `commit` (none: no notes yet).
    fn snapshot_at(&self, commit: Option<ObjectId>) -> Result<Snapshot> {
        let tree_id = match commit {
            Some(c) => self.repo.find_commit(c)?.tree_id()?.detach(),
            None => ObjectId::empty_tree(self.repo.object_hash()),
        };
        let tree = notes::State::new(tree_id, &self.repo.objects)
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| format!("could not read {NOTES_REF}"))?;
        Ok(Snapshot { commit, tree })
    }

    fn read(
        &self,
        snap: &mut Snapshot,
        id: &str,
    ) -> Result<Option<std::result::Result<TicketNote, BadNote>>> {
        let key = self.key(id);
        let Some(blob) = snap
            .tree
            .get(&key, &self.repo.objects)
            .map_err(|e| anyhow!("{e}"))?
        else {
            return Ok(None);
        };
        let data = self.repo.find_blob(blob)?.detach().data;
        let parsed = parse_note(&data);
        Ok(Some(parsed.map_err(|problem| BadNote {
            ticket: id.to_owned(),
            key,
            problem,
        })))
    }

    /// The note of one ticket; `Ok(None)` when it has none, an error when it does not parse.
    pub fn get(&self, id: &str) -> Result<Option<TicketNote>> {
        let mut snap = self.snapshot()?;
        match self.read(&mut snap, id)? {
            None => Ok(None),
            Some(Ok(n)) => Ok(Some(n)),
            Some(Err(bad)) => Err(bad.into()),
        }
    }

    /// The notes of many tickets from one read of the notes ref.
    pub fn get_many(&self, ids: &[&str]) -> Result<NoteMap> {
        let mut snap = self.snapshot()?;
        let mut out = HashMap::new();
        for id in ids {
            if let Some(n) = self.read(&mut snap, id)? {
                out.insert((*id).to_owned(), n);
            }
        }
        Ok(out)
    }

    /// Read-modify-write a ticket's note with compare-and-swap on the notes ref. `change`
    /// may run several times (once per lost race) and may refuse by returning an error,
    /// which is passed through without writing anything.
    pub fn update<F>(&self, id: &str, mut change: F) -> Result<TicketNote>
    where
        F: FnMut(&mut TicketNote) -> Result<()>,
    {
        let mut notes = self.update_many(&[id], |_, n| change(n))?;
        Ok(notes.pop().expect("one note per id"))
    }

    /// [`Store::update`] for several tickets at once: one notes commit, one compare-and-swap
    /// (a run claims all of its tickets so). The notes come back in the order of `ids`.
    pub fn update_many<F>(&self, ids: &[&str], mut change: F) -> Result<Vec<TicketNote>>
    where
        F: FnMut(&str, &mut TicketNote) -> Result<()>,
    {
        // Make sure `git notes --ref=epic show <key>` and `git notes prune` see the keys.
        for id in ids {
            self.repo.write_blob(self.key_blob(id).as_bytes())?;
        }
        let mut delay = Duration::from_micros(200);
        let mut last_err = None;
        // Enough tries for heavy contention, and enough time for a lock left by a killed
        // process to turn stale and be removed.
        let give_up = std::time::Instant::now() + crate::infra::gitx::STALE_LOCK * 2;
        let mut tries = 0;
        while tries < 500 || std::time::Instant::now() < give_up {
            tries += 1;
            let mut snap = self.snapshot()?;
            let Some(parent) = snap.commit else {
                // Start the ref with an empty root commit first. Creation cannot be a real
                // compare-and-swap: git accepts "must not exist" when the ref already holds the
                // same commit, and two racing writers can compute the very same first commit.
                // Every later update names its parent, and that check has no such hole.
                let root =
                    self.write_commit("git-epic: state notes", snap.tree.root_tree_id(), None)?;
                if let Err(e) = self.repo.reference(
                    NOTES_REF,
                    root,
                    PreviousValue::MustNotExist,
                    "git-epic: state notes",
                ) {
                    // A lock left by a process killed while it made the ref holds every
                    // later try, as in an update.
                    crate::infra::gitx::remove_stale_ref_lock(self.repo, NOTES_REF);
                    last_err = Some(e);
                    std::thread::sleep(delay + jitter(delay));
                    delay = (delay * 2).min(Duration::from_millis(20));
                }
                continue;
            };
            let mut notes = Vec::with_capacity(ids.len());
            let mut changed = Vec::new();
            for id in ids {
                let mut note = match self.read(&mut snap, id)? {
                    None => TicketNote::default(),
                    Some(Ok(n)) => n,
                    Some(Err(bad)) => return Err(bad.into()),
                };
                let before = note.clone();
                change(id, &mut note)?;
                if note != before {
                    note.rev = before.rev + 1;
                    changed.push((*id, notes.len()));
                }
                notes.push(note);
            }
            let message = match changed.as_slice() {
                [] => return Ok(notes),
                [(id, i)] => format!("git-epic: {} {} {}", self.epic, id, notes[*i].state),
                many => format!("git-epic: {} {} tickets", self.epic, many.len()),
            };
            let written: Vec<(&str, &TicketNote)> =
                changed.iter().map(|(id, i)| (*id, &notes[*i])).collect();
            let tree = self.write_notes(&mut snap, &written)?;
            let commit = self.write_commit(&message, tree, Some(parent))?;
            let expected = PreviousValue::MustExistAndMatch(gix::refs::Target::Object(parent));
            match self
                .repo
                .reference(NOTES_REF, commit, expected, message.as_str())
            {
                Ok(_) => return Ok(notes),
                Err(e) => {
                    // Lost the race (ref moved, or another process holds its lock): read
                    // again. A lock left by a killed process would hold it forever.
                    crate::infra::gitx::remove_stale_ref_lock(self.repo, NOTES_REF);
                    last_err = Some(e);
                    std::thread::sleep(delay + jitter(delay));
                    delay = (delay * 2).min(Duration::from_millis(20));
                }
            }
        }
        Err(anyhow!(last_err.expect("the loop ran")).context(format!(
            "could not update {NOTES_REF} for {} after {tries} tries",
            ids.join(", ")
        )))
    }

    /// The note of `id` in the notes commit `commit` (another machine's, fetched).
    pub fn note_at(
        &self,
        commit: ObjectId,
        id: &str,
    ) -> Result<Option<std::result::Result<TicketNote, BadNote>>> {
        self.read(&mut self.snapshot_at(Some(commit))?, id)
    }

    /// A notes commit on top of `parent` (or a first one) in which each `(id, note)` of
    /// `notes` is that ticket's note; no ref moves: it is pushed as is, a compare-and-swap
    /// on the remote's notes.
    pub fn commit_on(
        &self,
        parent: Option<ObjectId>,
        notes: &[(&str, TicketNote)],
    ) -> Result<ObjectId> {
        let mut snap = self.snapshot_at(parent)?;
        for (id, _) in notes {
            self.repo.write_blob(self.key_blob(id).as_bytes())?;
        }
        let written: Vec<(&str, &TicketNote)> = notes.iter().map(|(id, n)| (*id, n)).collect();
        let tree = self.write_notes(&mut snap, &written)?;
        let ids: Vec<&str> = notes.iter().map(|(id, _)| *id).collect();
        let message = format!("git-epic: {} {} claimed", self.epic, ids.join(" "));
        self.write_commit(&message, tree, parent)
    }

    /// The notes tree of `snap` with each `(id, note)` of `notes` written in.
    fn write_notes(&self, snap: &mut Snapshot, notes: &[(&str, &TicketNote)]) -> Result<ObjectId> {
        for (id, note) in notes {
            let text = toml::to_string(note).context("could not serialize a ticket note")?;
            let blob = self.repo.write_blob(text.as_bytes())?.detach();
            snap.tree
                .edit(self.key(id), Some(blob), &self.repo.objects)
                .map_err(|e| anyhow!("{e}"))?;
        }
        snap.tree
            .write(&self.repo.objects)
            .map_err(|e| anyhow!("{e}"))
    }

    fn write_commit(
        &self,
        message: &str,
        tree: ObjectId,
        parent: Option<ObjectId>,
    ) -> Result<ObjectId> {
        crate::infra::gitx::bookkeeping_commit(self.repo, message, tree, parent)
    }
}

/// A small pseudo-random extra delay so that racing processes do not retry in lockstep.
fn jitter(max: Duration) -> Duration {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let seed = nanos ^ std::process::id().wrapping_mul(2654435761);
    max.mul_f64(f64::from(seed % 1000) / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(outcome: &str, fix_round: u32, review_round: u32) -> RunRecord {
        RunRecord {
            outcome: outcome.into(),
            fix_round,
            review_round,
            ..Default::default()
        }
    }

    fn counts(runs: Vec<RunRecord>, state: State, request: Option<(&str, u32)>) -> Counts {
        TicketNote {
            runs,
            state,
            request: request.map(|(kind, round)| Request {
                kind: kind.into(),
                round,
                text: String::new(),
            }),
            ..Default::default()
        }
        .counts()
    }

    #[test]
    fn retries_are_attempts_beyond_the_first_of_each_round() {
        let runs = vec![
            run("failed", 0, 0),
            run("rate_limited", 0, 0),
            run("done", 0, 0),
            // Fix round 1: its first run is no retry, the one after its failure is.
            run("failed", 1, 0),
            run("lost", 1, 0),
            run("done", 1, 0),
            run("done", 0, 1),
        ];
        let c = counts(runs.clone(), State::Done, None);
        assert_eq!(
            c,
            Counts {
                runs: 7,
                attempts: 5,
                retries: 2
            }
        );
        // A live run of the same round is one more attempt, and a retry.
        let c = counts(runs, State::Running, Some(("review", 1)));
        assert_eq!((c.runs, c.attempts, c.retries), (8, 6, 3));
        // A limited run does not start a round: the run after it is the round's first.
        let c = counts(
            vec![run("rate_limited", 2, 0)],
            State::Running,
            Some(("fix", 2)),
        );
        assert_eq!((c.runs, c.attempts, c.retries), (2, 1, 0));
    }

    #[test]
    fn notes_without_run_records_keep_their_counts() {
        let note = TicketNote {
            state: State::Merged,
            attempts: 2,
            rate_limit_waits: 1,
            ..Default::default()
        };
        assert_eq!(
            note.counts(),
            Counts {
                runs: 3,
                attempts: 2,
                retries: 1
            }
        );
        assert_eq!(TicketNote::default().counts(), Counts::default());
    }
}
