//! Flow mode (`wave start --all --auto-merge`): the whole epic as one dependency graph, with
//! no barrier between waves. A done ticket goes through the merge gates into the epic at
//! once, and every ticket that this makes ready starts, critical path first. A conflict or a
//! red gate holds back only the tickets that depend on it.

use std::collections::BTreeSet;

use crate::config::Settings;
use crate::epic::Workspace;
use crate::error::{usage, Result};
use crate::graph::Graph;
use crate::merge::{self, Outcome};
use crate::propagate;
use crate::runner::{self, Event, OnDone, Planned, Selection};
use crate::state::{State, Store};

pub struct Flow<'g> {
    graph: &'g Graph,
    settings: Settings,
    opts: merge::Options,
    /// Tickets not started by this run yet: they start once their dependencies are merged.
    waiting: BTreeSet<String>,
}

impl<'g> Flow<'g> {
    /// Merge what earlier runs left done (resume), then return the flow and the tickets ready
    /// now. Refuses when the epic branch is checked out: merges would leave it behind.
    pub fn begin(
        ws: &Workspace,
        settings: &Settings,
        graph: &'g Graph,
        opts: merge::Options,
        report: &dyn Fn(Event),
    ) -> Result<(Flow<'g>, Vec<String>)> {
        if let Some(at) = crate::gitx::checked_out_at(&ws.repo, &ws.epic.branch)? {
            return Err(usage(format!(
                "The epic branch {} is checked out in {}; --auto-merge would leave it behind. Switch that worktree to another branch first.",
                ws.epic.branch,
                at.display()
            )));
        }
        let mut flow = Flow {
            graph,
            settings: settings.clone(),
            opts,
            waiting: BTreeSet::new(),
        };
        let store = Store::new(&ws.repo, &ws.epic.name);
        for t in graph.topo_order() {
            if matches!(store.get(&t.id)?, Some(n) if n.state == State::Done)
                && flow.deps_merged(ws, &t.id)?
            {
                // A refusal is reported; its dependents simply never become ready.
                let _ = flow.merge(ws, &t.id, report)?;
            }
        }
        let ready = runner::select(ws, graph, &Selection::All)?;
        let notes = store.get_many(
            &graph
                .tickets
                .iter()
                .map(|t| t.id.as_str())
                .collect::<Vec<_>>(),
        )?;
        for t in &graph.tickets {
            let finished = matches!(notes.get(t.id.as_str()), Some(Ok(n)) if matches!(n.state, State::Merged | State::Done));
            if !finished && !ready.contains(&t.id) {
                flow.waiting.insert(t.id.clone());
            }
        }
        Ok((flow, ready))
    }

    fn deps_merged(&self, ws: &Workspace, id: &str) -> Result<bool> {
        let store = Store::new(&ws.repo, &ws.epic.name);
        let t = self.graph.get(id).expect("ticket of the graph");
        let deps: Vec<&str> = t.deps.iter().map(String::as_str).collect();
        let notes = store.get_many(&deps)?;
        Ok(deps
            .iter()
            .all(|d| matches!(notes.get(*d), Some(Ok(n)) if n.state == State::Merged)))
    }

    /// Merge a done ticket; `Err(reason)` when it was not merged.
    fn merge(
        &mut self,
        ws: &Workspace,
        id: &str,
        report: &dyn Fn(Event),
    ) -> Result<std::result::Result<(), String>> {
        let results = merge::merge(
            ws,
            &self.settings,
            self.graph,
            &[id.to_owned()],
            self.opts,
            &|_| {},
        )?;
        let (_, outcome) = results
            .into_iter()
            .next()
            .expect("one ticket in, one result out");
        let reason = match outcome {
            Outcome::Merged { commit, .. } => {
                report(Event::Merged {
                    id: id.to_owned(),
                    commit: commit.to_hex_with_len(10).to_string(),
                });
                return Ok(Ok(()));
            }
            Outcome::Rejected { gate, reason, .. } => {
                format!("rejected by the {gate} gate: {reason}")
            }
            Outcome::Conflict { files } => {
                format!("conflicts with the epic in {}", files.join(", "))
            }
            Outcome::Skipped { reason } => reason,
        };
        report(Event::NotMerged {
            id: id.to_owned(),
            reason: reason.clone(),
        });
        Ok(Err(reason))
    }

    /// Tickets still waiting whose dependencies a merge has now all merged.
    fn take_ready(&mut self, ws: &Workspace) -> Result<Vec<String>> {
        let mut ready = Vec::new();
        for id in self.waiting.clone() {
            if self.deps_merged(ws, &id)? {
                self.waiting.remove(&id);
                ready.push(id);
            }
        }
        Ok(ready)
    }

    /// Bring the idle open worktrees (not running, not merged) onto the new epic.
    fn propagate_idle(&self, ws: &Workspace, report: &dyn Fn(Event)) -> Result<()> {
        let (open, _) = propagate::candidates(ws, self.graph)?;
        if open.is_empty() {
            return Ok(());
        }
        let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
        let opts = propagate::Options {
            jobs,
            lint: true,
            test: true,
            autostash: false,
        };
        let results = propagate::propagate(ws, &self.settings, &open, opts, &|_| {})?;
        let summary: Vec<String> = results
            .iter()
            .map(|r| format!("{} {}", r.id, r.result))
            .collect();
        report(Event::Propagated {
            summary: summary.join(", "),
        });
        Ok(())
    }

    /// Tickets that never started because something they depend on was not merged.
    pub fn held_back(&self) -> Vec<String> {
        self.waiting.iter().cloned().collect()
    }
}

impl OnDone for Flow<'_> {
    fn done(
        &mut self,
        ws: &Workspace,
        id: &str,
        report: &dyn Fn(Event),
    ) -> Result<std::result::Result<Vec<Planned>, String>> {
        if let Err(reason) = self.merge(ws, id, report)? {
            return Ok(Err(reason));
        }
        self.propagate_idle(ws, report)?;
        let ready = self.take_ready(ws)?;
        Ok(Ok(runner::prepare(ws, &self.settings, self.graph, &ready)?))
    }
}
