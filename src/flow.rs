//! Flow mode (`wave start --all --auto-merge`): the whole epic as one dependency graph, with
//! no barrier between waves. A done ticket goes through the merge gates into the epic at
//! once, and every ticket that this makes ready starts, critical path first. A conflict or a
//! red gate holds back only the tickets that depend on it.

use std::collections::BTreeSet;
use std::sync::mpsc;

use crate::config::Settings;
use crate::epic::Workspace;
use crate::error::{usage, Result};
use crate::graph::Graph;
use crate::merge::{self, Outcome};
use crate::propagate;
use crate::runner::{self, Event, MergeNews, OnDone, Planned, Selection};
use crate::state::{State, Store};

pub struct Flow<'g> {
    graph: &'g Graph,
    settings: Settings,
    opts: merge::Options,
    /// Tickets not started by this run yet: they start once their dependencies are merged.
    waiting: BTreeSet<String>,
    /// The merge worker: one thread, so merges into the epic happen one after the other.
    worker: Option<mpsc::Sender<MergeJob>>,
}

struct MergeJob {
    id: String,
    notify: Box<dyn FnOnce(MergeNews) + Send>,
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
            worker: None,
        };
        let store = Store::new(&ws.repo, &ws.epic.name);
        for t in graph.topo_order() {
            if matches!(store.get(&t.id)?, Some(n) if n.state == State::Done)
                && flow.deps_merged(ws, &t.id)?
            {
                // A refusal is reported; its dependents simply never become ready.
                match merge_and_propagate(ws, &flow.settings, graph, &t.id, opts).result {
                    Ok((commit, propagated)) => {
                        report(Event::Merged {
                            id: t.id.clone(),
                            commit,
                        });
                        if let Some(summary) = propagated {
                            report(Event::Propagated { summary });
                        }
                    }
                    Err(reason) => report(Event::NotMerged {
                        id: t.id.clone(),
                        reason,
                    }),
                }
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

    /// Tickets that never started because something they depend on was not merged.
    pub fn held_back(&self) -> Vec<String> {
        self.waiting.iter().cloned().collect()
    }
}

impl OnDone for Flow<'_> {
    fn begin(
        &mut self,
        ws: &Workspace,
        id: &str,
        notify: Box<dyn FnOnce(MergeNews) + Send>,
    ) -> Result<()> {
        if self.worker.is_none() {
            let (tx, rx) = mpsc::channel::<MergeJob>();
            let (root, epic) = (ws.root.clone(), ws.epic.clone());
            let (settings, opts) = (self.settings.clone(), self.opts);
            let tickets = self.graph.tickets.clone();
            // Its own repository handle (gix repositories are not Sync); refs and notes are
            // shared on disk, and every update is a compare-and-swap.
            std::thread::spawn(move || {
                let setup = gix::open(&root)
                    .map_err(|e| format!("{e:#}"))
                    .and_then(|repo| {
                        Graph::new(tickets)
                            .map(|g| (repo, g))
                            .map_err(|e| format!("{e:#}"))
                    });
                let (repo, graph) = match setup {
                    Ok(x) => x,
                    Err(reason) => {
                        for job in rx {
                            (job.notify)(MergeNews {
                                id: job.id,
                                result: Err(reason.clone()),
                            });
                        }
                        return;
                    }
                };
                let ws = Workspace { repo, root, epic };
                for job in rx {
                    (job.notify)(merge_and_propagate(&ws, &settings, &graph, &job.id, opts));
                }
            });
            self.worker = Some(tx);
        }
        let job = MergeJob {
            id: id.to_owned(),
            notify,
        };
        self.worker
            .as_ref()
            .expect("made above")
            .send(job)
            .map_err(|_| anyhow::anyhow!("the merge worker stopped"))?;
        Ok(())
    }

    fn ready(&mut self, ws: &Workspace) -> Result<Vec<Planned>> {
        let ready = self.take_ready(ws)?;
        runner::prepare(ws, &self.settings, self.graph, &ready)
    }
}

/// Merge a done ticket through the gates, then bring the idle open worktrees (not running,
/// not merged) onto the new epic.
fn merge_and_propagate(
    ws: &Workspace,
    settings: &Settings,
    graph: &Graph,
    id: &str,
    opts: merge::Options,
) -> MergeNews {
    let news = |result| MergeNews {
        id: id.to_owned(),
        result,
    };
    let outcome = match merge::merge(ws, settings, graph, &[id.to_owned()], opts, &|_| {}) {
        Ok(results) => results.into_iter().next().map(|(_, o)| o),
        Err(e) => return news(Err(format!("{e:#}"))),
    };
    let commit = match outcome {
        Some(Outcome::Merged { commit, .. }) => commit.to_hex_with_len(10).to_string(),
        Some(Outcome::Rejected { gate, reason, .. }) => {
            return news(Err(format!("rejected by the {gate} gate: {reason}")))
        }
        Some(Outcome::Conflict { files }) => {
            return news(Err(format!(
                "conflicts with the epic in {}",
                files.join(", ")
            )))
        }
        Some(Outcome::Skipped { reason }) => return news(Err(reason)),
        None => return news(Err("the merge returned nothing".into())),
    };
    let propagated = match propagate::candidates(ws, graph) {
        Ok((open, _)) if !open.is_empty() => {
            let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
            let opts = propagate::Options {
                jobs,
                lint: true,
                test: true,
                autostash: false,
            };
            match propagate::propagate(ws, settings, &open, opts, &|_| {}) {
                Ok(results) => Some(
                    results
                        .iter()
                        .map(|r| format!("{} {}", r.id, r.result))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                Err(e) => Some(format!("failed: {e:#}")),
            }
        }
        _ => None,
    };
    news(Ok((commit, propagated)))
}
