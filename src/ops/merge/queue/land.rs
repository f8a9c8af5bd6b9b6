//! Landing the green head of the line, with the green entries after it, in one push of the
//! epic; and how an entry leaves the line.

use anyhow::Result;
use gix::ObjectId;

use super::{Entry, Queue, Test};
use crate::infra::gitx;
use crate::model::state::Store;
use crate::ops::merge::record::{landed, record_merged};
use crate::ops::merge::Outcome;

impl<N: Send + 'static> Queue<'_, N> {
    /// Land the green head of the line and the green entries after it, each merged on the
    /// one before (others' tickets handed over included): one push of the epic for them
    /// all. True if the head left the line (landed, or gone back to its gates or to
    /// `plan`).
    pub(super) fn land(&mut self, done: &mut dyn FnMut(&str, Result<Outcome>, N)) -> Result<bool> {
        let store = Store::new(&self.ws.repo, &self.ws.epic.name);
        let tip = self.epic_tip()?;
        let head = &self.line[0];
        let (id, parent) = (
            head.gated.id.clone(),
            head.spec.as_ref().expect("green").parent,
        );
        // Landed by another git epic meanwhile: finish, never merge twice.
        if let Some(merged) = landed(self.ws, &id, tip)? {
            record_merged(&store, &id, merged, &head.gated.branch)?;
            let e = self.line.remove(0);
            self.merged(e, merged, done);
            return Ok(true);
        }
        // What lands is the branch as it is: one that moved since its gate (a commit by
        // hand) goes through the gates again, keeping its place.
        if head.own.is_some() && !self.still_at_tip(head)? {
            return self.regate(done);
        }
        // The epic moved under the line: merged again on the new tip by plan().
        if tip != parent {
            self.line[0].spec = None;
            return Ok(true);
        }
        let mut n = 1;
        while let Some(e) = self.line.get(n) {
            let on = self.line[n - 1].spec.as_ref().map(|s| s.commit);
            let green = e
                .spec
                .as_ref()
                .is_some_and(|s| matches!(s.test, Test::Green) && Some(s.parent) == on);
            // Each of the others is checked as the head is, when it is the head.
            if !green
                || (e.own.is_some() && !self.still_at_tip(e)?)
                || landed(self.ws, &e.gated.id, tip)?.is_some()
            {
                break;
            }
            n += 1;
        }
        let commit = |e: &Entry<N>| e.spec.as_ref().expect("green").commit;
        let to = commit(&self.line[n - 1]);
        // Shared through a remote, the remote's epic moves first; another machine
        // landed first: the line is merged again on theirs.
        if let crate::ops::remote::Landing::EpicMoved =
            crate::ops::remote::publish_landing(self.ws, parent, to)?
        {
            self.line[0].spec = None;
            return Ok(true);
        }
        let what = match n {
            1 => crate::ops::merge::message(&self.ws.epic.name, &self.line[0].gated),
            _ => format!(
                "epic({}): merge {}",
                self.ws.epic.name,
                self.line[..n]
                    .iter()
                    .map(|e| e.gated.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        if !gitx::move_branch(&self.ws.repo, &self.ws.epic.branch, parent, to, &what)? {
            // Only an exchange moves the epic meanwhile, to the remote's, which holds this
            // landing now.
            let tip = gitx::branch_tip(&self.ws.repo, &self.ws.epic.branch)?;
            if !tip.is_some_and(|t| gitx::is_ancestor(&self.ws.root, to, t).unwrap_or(false)) {
                self.line[0].spec = None;
                return Ok(true);
            }
        }
        for e in &self.line[..n] {
            record_merged(&store, &e.gated.id, commit(e), &e.gated.branch)?;
        }
        crate::infra::trace::trace(|| format!("landed {n} in one push"));
        // This machine's notes say what of its own landed. Others' tickets are recorded by
        // their machines, which learn it from the epic.
        if self.line[..n].iter().any(|e| e.own.is_some()) {
            let _ = crate::ops::remote::share_own_notes(self.ws);
        }
        for e in self.line.drain(..n).collect::<Vec<_>>() {
            let landed = commit(&e);
            self.merged(e, landed, done);
        }
        Ok(true)
    }

    /// Whether entry `e`'s branch is still at the tip its gates passed.
    pub(super) fn still_at_tip(&self, e: &Entry<N>) -> Result<bool> {
        Ok(gitx::branch_tip(&self.ws.repo, &e.gated.branch)? == Some(e.gated.tip))
    }

    /// Entry `e` landed as `commit`: its worktree goes (`--cleanup`) and its caller hears.
    pub(super) fn merged(
        &mut self,
        e: Entry<N>,
        commit: ObjectId,
        done: &mut dyn FnMut(&str, Result<Outcome>, N),
    ) {
        let cleaned = e
            .gated
            .worktree
            .as_ref()
            .filter(|_| self.opts.cleanup && e.own.is_some())
            .map(|wt| {
                crate::ops::worktree::remove_worktree(self.ws, wt).map_err(|e| format!("{e:#}"))
            });
        self.leave(e, Ok(Outcome::Merged { commit, cleaned }), done);
    }

    /// Entry `e` left the line with `outcome`: its caller hears. Another machine's ticket
    /// that did not land is declined (its machine judges it, and lands it once it may).
    pub(super) fn leave(
        &mut self,
        e: Entry<N>,
        outcome: Result<Outcome>,
        done: &mut dyn FnMut(&str, Result<Outcome>, N),
    ) {
        match e.own {
            Some((_hold, payload)) => done(&e.gated.id, outcome, payload),
            // Declined only for a verdict on it (its machine judges it the same way);
            // after an error it is taken in again at the next look.
            None => {
                if matches!(
                    outcome,
                    Ok(Outcome::Conflict { .. } | Outcome::Rejected { .. })
                ) {
                    crate::infra::trace::trace(|| format!("declined {}", e.gated.id));
                    self.declined.insert((e.gated.id, e.gated.tip));
                }
            }
        }
    }
}
