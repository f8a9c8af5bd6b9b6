//! Flow mode (`wave start --all --auto-merge`): the whole epic as one dependency graph, with
//! no barrier between waves. A done ticket goes through the merge gates into the epic at
//! once, and every ticket that this makes ready starts, critical path first. A conflict or a
//! red gate holds back only the tickets that depend on it.
//!
//! Off the scheduler thread: gate workers run the scope and test gates of done tickets side
//! by side (a gate looks only at its own ticket's branch and worktree), and one lander
//! merges the gated tickets into the epic one at a time, each against the epic as it is
//! then, and propagates the idle worktrees after each merge.

use std::collections::BTreeSet;
use std::sync::{mpsc, Arc, Mutex};

use crate::infra::config::Settings;
use crate::infra::error::{usage, Result};
use crate::model::epic::Workspace;
use crate::model::graph::Graph;
use crate::model::state::{NoteMap, State, Store};
use crate::ops::merge::queue::{self, Candidate, Msg, Queue};
use crate::ops::merge::{self, Outcome};
use crate::ops::propagate;
use crate::ops::runner::{self, Event, MergeNews, OnDone, Planned, Selection};
use crate::ops::worktree::hold::{self, Hold};

pub struct Flow<'g> {
    graph: &'g Graph,
    settings: Settings,
    opts: merge::Options,
    /// Tickets not started by this run yet: they start once their dependencies are merged.
    waiting: BTreeSet<String>,
    /// Gate workers (scope and test gates, side by side) feeding one lander (merges into
    /// the epic one after the other, then propagation). Started with the first merge.
    gates: Option<mpsc::Sender<MergeJob>>,
    /// Hears when the merge queue ended (its landing lease given back).
    queue_ended: Option<mpsc::Receiver<()>>,
    /// Tickets handed over and not landed yet: propagation leaves their worktrees alone, so
    /// that a test gate never runs on files a rebase is changing.
    in_flight: Arc<Mutex<BTreeSet<String>>>,
    /// Stranded tickets handed over, with their note's `rev` then: one whose landing ended
    /// without a change to its note is not tried again (it would be, every moment).
    tried: std::collections::HashMap<String, u64>,
    /// Done tickets left by earlier runs that wait for their reviewer.
    awaiting_review: Vec<String>,
}

type Notify = Box<dyn FnOnce(MergeNews) + Send>;

struct MergeJob {
    id: String,
    notify: Notify,
}

/// What every worker thread needs to make its own workspace (gix repositories are not
/// Sync; refs and notes are shared on disk, and every update is a compare-and-swap).
#[derive(Clone)]
struct Setup {
    root: std::path::PathBuf,
    epic: crate::model::epic::Epic,
    tickets: Vec<crate::model::ticket::Ticket>,
}

impl Setup {
    fn open(&self) -> std::result::Result<(Workspace, Graph), String> {
        let repo = gix::open(&self.root).map_err(|e| format!("{e:#}"))?;
        let graph = Graph::new(self.tickets.clone()).map_err(|e| format!("{e:#}"))?;
        let ws = Workspace {
            repo,
            root: self.root.clone(),
            epic: self.epic.clone(),
        };
        Ok((ws, graph))
    }
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
        if let Some(at) = crate::infra::gitx::checked_out_at(&ws.repo, &ws.epic.branch)? {
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
            gates: None,
            queue_ended: None,
            in_flight: Arc::default(),
            tried: Default::default(),
            awaiting_review: Vec::new(),
        };
        // Through a remote, its state first: landings made here while it could not be
        // reached, and that its epic (moved meanwhile) lacks, are put back to done and land
        // again below, before what depends on them is chosen.
        if crate::infra::config::remote_of(&ws.repo, &ws.epic.name).is_some() {
            if let Ok(Some(Err(crate::ops::remote::Offline(why)))) =
                crate::ops::remote::exchange_notes(ws)
            {
                crate::infra::trace::trace(|| format!("remote away at the start: {why}"));
            }
        }
        let mut notes = flow.notes(ws)?;
        for t in graph.topo_order() {
            if matches!(notes.get(&t.id), Some(Ok(n)) if n.state == State::Done)
                && flow.deps_merged(&notes, &t.id)
            {
                // A refusal is reported; its dependents simply never become ready.
                let outcome = merge::merge(
                    ws,
                    &flow.settings,
                    graph,
                    std::slice::from_ref(&t.id),
                    opts,
                    &|_| {},
                )
                .map(|mut r| r.remove(0).1);
                let news = after_landing(ws, &flow.settings, graph, &t.id, outcome, &[]);
                // Read again: the landing makes its dependents' dependencies merged.
                notes = flow.notes(ws)?;
                match news.result {
                    Ok((commit, propagated)) => {
                        report(Event::Merged {
                            id: t.id.clone(),
                            commit,
                        });
                        if let Some(summary) = propagated {
                            report(Event::Propagated { summary });
                        }
                    }
                    Err(_) if news.awaits_review => {
                        report(Event::AwaitsReview { id: t.id.clone() });
                        flow.awaiting_review.push(t.id.clone());
                    }
                    Err(reason) => report(Event::NotMerged {
                        id: t.id.clone(),
                        reason,
                        dependents: flow.dependents(&t.id),
                    }),
                }
            }
        }
        let selected = runner::select(ws, graph, &Selection::All);
        let notes = flow.notes(ws)?;
        let ready = selected.as_deref().unwrap_or_default();
        for t in &graph.tickets {
            let finished = matches!(notes.get(t.id.as_str()), Some(Ok(n)) if matches!(n.state, State::Merged | State::Done));
            if !finished && !ready.contains(&t.id) {
                flow.waiting.insert(t.id.clone());
            }
        }
        match selected {
            // Nothing ready here may still be work: what the waiting tickets need may be
            // another machine's to land, or this one's once that machine's claim runs out.
            Err(_) if !flow.awaiting_review.is_empty() || flow.waits_elsewhere(ws)? => {
                Ok((flow, Vec::new()))
            }
            selected => Ok((flow, selected?)),
        }
    }

    /// Whether, through the epic's remote, work on other machines may yet make tickets
    /// ready here: held there now, or done there and stranded (see [`OnDone::stranded`]).
    pub fn waits_elsewhere(&mut self, ws: &Workspace) -> Result<bool> {
        if crate::infra::config::remote_of(&ws.repo, &ws.epic.name).is_none() {
            return Ok(false);
        }
        Ok(!self.stranded(ws)?.is_empty() || self.waits_on_others(ws)?)
    }

    /// Every ticket's note, in one read of the store.
    fn notes(&self, ws: &Workspace) -> Result<NoteMap> {
        let ids: Vec<&str> = self.graph.tickets.iter().map(|t| t.id.as_str()).collect();
        Store::new(&ws.repo, &ws.epic.name).get_many(&ids)
    }

    fn deps_merged(&self, notes: &NoteMap, id: &str) -> bool {
        let t = self.graph.get(id).expect("ticket of the graph");
        t.deps
            .iter()
            .all(|d| matches!(notes.get(d), Some(Ok(n)) if n.state == State::Merged))
    }

    /// Tickets still waiting whose dependencies a merge has now all merged.
    fn take_ready(&mut self, ws: &Workspace) -> Result<Vec<String>> {
        let notes = self.notes(ws)?;
        let mut ready = Vec::new();
        for id in self.waiting.clone() {
            if self.deps_merged(&notes, &id) {
                self.waiting.remove(&id);
                ready.push(id);
            }
        }
        Ok(ready)
    }

    /// Start the gate workers and the merge queue; returns where to send merge jobs, and
    /// where the queue says it ended.
    fn start_workers(&self, ws: &Workspace) -> (mpsc::Sender<MergeJob>, mpsc::Receiver<()>) {
        let setup = Setup {
            root: ws.root.clone(),
            epic: ws.epic.clone(),
            tickets: self.graph.tickets.clone(),
        };
        let (settings, opts) = (self.settings.clone(), self.opts);
        // Gates mostly wait on git (and on the test, with epic.queue=false).
        let workers = self.settings.gate_jobs.max(2);
        let (line_tx, line_rx) = queue::channel::<Notify>();
        let (ended_tx, ended_rx) = mpsc::channel();
        {
            let (setup, settings) = (setup.clone(), settings.clone());
            let in_flight = Arc::clone(&self.in_flight);
            let line_tx = line_tx.clone();
            std::thread::spawn(move || match setup.open() {
                Ok((ws, graph)) => {
                    let line =
                        Queue::new(&ws, &settings, &graph, opts, (line_tx, line_rx), workers);
                    let _ = line.run(&|_| {}, &mut |id, outcome, notify| {
                        in_flight.lock().expect("in-flight set").remove(id);
                        let busy: Vec<String> = in_flight
                            .lock()
                            .expect("in-flight set")
                            .iter()
                            .cloned()
                            .collect();
                        notify(after_landing(&ws, &settings, &graph, id, outcome, &busy));
                    });
                    let _ = ended_tx.send(());
                }
                Err(reason) => {
                    drop(line_tx);
                    for msg in line_rx {
                        if let Msg::Add(c) = msg {
                            (c.payload)(MergeNews {
                                id: c.gated.id,
                                result: Err(reason.clone()),
                                fix_round: None,
                                awaits_review: false,
                            });
                        }
                    }
                }
            });
        }
        let (tx, rx) = mpsc::channel::<MergeJob>();
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..workers {
            let (setup, settings) = (setup.clone(), settings.clone());
            let (rx, line_tx) = (Arc::clone(&rx), line_tx.clone());
            let in_flight = Arc::clone(&self.in_flight);
            std::thread::spawn(move || {
                let opened = setup.open();
                loop {
                    let job = match rx.lock().expect("merge job queue").recv() {
                        Ok(job) => job,
                        Err(_) => break, // the flow is over
                    };
                    let gated = match &opened {
                        Ok((ws, graph)) => gate(ws, &settings, graph, &job.id, opts),
                        Err(reason) => Err(MergeNews {
                            id: job.id.clone(),
                            result: Err(reason.clone()),
                            fix_round: None,
                            awaits_review: false,
                        }),
                    };
                    match gated {
                        Ok((gated, hold)) => {
                            let c = Candidate {
                                gated,
                                hold,
                                payload: job.notify,
                            };
                            if let Err(mpsc::SendError(Msg::Add(c))) = line_tx.send(Msg::Add(c)) {
                                (c.payload)(MergeNews {
                                    id: job.id,
                                    result: Err("the merge queue stopped".into()),
                                    fix_round: None,
                                    awaits_review: false,
                                });
                            }
                        }
                        Err(news) => {
                            in_flight.lock().expect("in-flight set").remove(&job.id);
                            (job.notify)(news);
                        }
                    }
                }
                let _ = line_tx.send(Msg::Closed);
            });
        }
        (tx, ended_rx)
    }

    /// Done tickets of earlier runs found waiting for their reviewer as this one began.
    pub fn awaiting_review(&self) -> &[String] {
        &self.awaiting_review
    }

    /// Tickets that never started because something they depend on was not merged.
    pub fn held_back(&self) -> Vec<String> {
        self.waiting.iter().cloned().collect()
    }
}

/// The run is over: the gate workers stop, and the merge queue ends before the process
/// does, so that a landing lease it holds is given back (the other machines would wait for
/// it to run out). Not for ever: a queue that cannot end soon is left to the lease's end.
impl Drop for Flow<'_> {
    fn drop(&mut self) {
        self.gates.take();
        if let Some(ended) = self.queue_ended.take() {
            let _ = ended.recv_timeout(std::time::Duration::from_secs(10));
        }
    }
}

impl OnDone for Flow<'_> {
    fn begin(
        &mut self,
        ws: &Workspace,
        id: &str,
        notify: Box<dyn FnOnce(MergeNews) + Send>,
    ) -> Result<()> {
        if self.gates.is_none() {
            let (gates, ended) = self.start_workers(ws);
            self.gates = Some(gates);
            self.queue_ended = Some(ended);
        }
        self.in_flight
            .lock()
            .expect("in-flight set")
            .insert(id.to_owned());
        let job = MergeJob {
            id: id.to_owned(),
            notify,
        };
        self.gates
            .as_ref()
            .expect("made above")
            .send(job)
            .map_err(|_| anyhow::anyhow!("the merge workers stopped"))?;
        Ok(())
    }

    fn ready(&mut self, ws: &Workspace) -> Result<Vec<Planned>> {
        let ready = self.take_ready(ws)?;
        runner::prepare(ws, &self.settings, self.graph, &ready)
    }

    fn dependents(&self, id: &str) -> Vec<String> {
        self.graph
            .dependents(id)
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    fn again(&mut self, ws: &Workspace, id: &str) -> Result<Vec<Planned>> {
        runner::prepare(ws, &self.settings, self.graph, &[id.to_owned()])
    }

    fn stranded(&mut self, ws: &Workspace) -> Result<Vec<String>> {
        let notes = self.notes(ws)?;
        let now = crate::model::state::now();
        let in_flight = self.in_flight.lock().expect("in-flight set").clone();
        let mut out = Vec::new();
        for t in &self.graph.tickets {
            let id = t.id.as_str();
            let Some(Ok(n)) = notes.get(id) else { continue };
            let run_out = n.claim_until.is_none_or(|u| u <= now);
            let gone = !n.is_local() && run_out;
            // Landed here while the remote was away, put back to land again on its epic.
            let relanding = n.reland && n.is_local() && !in_flight.contains(id);
            let tried = self.tried.get(id) == Some(&n.rev);
            if n.state == State::Done
                && (gone || relanding)
                && !tried
                && self.deps_merged(&notes, id)
            {
                self.tried.insert(id.to_owned(), n.rev);
                out.push(id.to_owned());
            }
        }
        Ok(out)
    }

    fn waits_on_others(&mut self, ws: &Workspace) -> Result<bool> {
        let notes = self.notes(ws)?;
        // Waiting tickets another machine finished or merged need no more waiting here (one
        // it runs stays: if that machine dies, this one takes it over once it is ready).
        self.waiting.retain(|id| {
            !matches!(notes.get(id.as_str()), Some(Ok(n)) if !n.is_local() && matches!(n.state, State::Done | State::Merged))
        });
        let elsewhere = |id: &str| match notes.get(id) {
            Some(Ok(n)) => {
                n.state != State::Merged
                    && !n.is_local()
                    && n.claim_until
                        .is_some_and(|u| u > crate::model::state::now())
                    && !matches!(
                        n.state,
                        State::Failed | State::Conflict | State::Interrupted
                    )
            }
            _ => false,
        };
        // Through any chain of waiting tickets: one of them depends on held work.
        Ok(self.waiting.iter().any(|id| {
            self.graph.get(id).is_some_and(|t| {
                t.deps
                    .iter()
                    .any(|d| elsewhere(d) || self.waiting.contains(d))
            })
        }) && self.graph.tickets.iter().any(|t| elsewhere(&t.id)))
    }
}

/// Run a done ticket's gates, holding it (propagation leaves its branch alone from here
/// on); `Err` is the news of why it will not be merged.
fn gate(
    ws: &Workspace,
    settings: &Settings,
    graph: &Graph,
    id: &str,
    opts: merge::Options,
) -> std::result::Result<(merge::Gated, Hold), MergeNews> {
    let store = Store::new(&ws.repo, &ws.epic.name);
    let hold =
        hold::take(ws.repo.common_dir(), &ws.epic.name, id).map_err(|e| news_of(id, Err(e)))?;
    match merge::gate(ws, settings, graph, &store, id, opts, &[], &|_| {}) {
        Ok(merge::Gate::Passed(gated)) => Ok((gated, hold)),
        Ok(merge::Gate::Ended(outcome)) => {
            let fix_round = sent_back(ws, settings, id, &outcome);
            let mut news = news_of(id, Ok(outcome));
            news.fix_round = fix_round;
            Err(news)
        }
        Err(e) => Err(news_of(id, Err(e))),
    }
}

/// A refused ticket goes back to an agent while fix rounds are left: the round, if it does.
fn sent_back(ws: &Workspace, settings: &Settings, id: &str, outcome: &Outcome) -> Option<u32> {
    let why = outcome.refusal()?;
    crate::ops::review::fix::send_back(ws, settings, id, why).unwrap_or(None)
}

/// The news of a ticket that left the merge queue; after a landing, the idle open
/// worktrees (not running, not merged, not `busy` in a gate or in line) are brought onto
/// the new epic first.
fn after_landing(
    ws: &Workspace,
    settings: &Settings,
    graph: &Graph,
    id: &str,
    outcome: Result<Outcome>,
    busy: &[String],
) -> MergeNews {
    let fix_round = outcome
        .as_ref()
        .ok()
        .and_then(|o| sent_back(ws, settings, id, o));
    let mut news = news_of(id, outcome);
    if news.result.is_err() {
        news.fix_round = fix_round;
        return news;
    }
    let started = std::time::Instant::now();
    let propagated = match propagate::candidates(ws, graph, true) {
        Ok((mut open, _)) => {
            open.retain(|(other, _)| !busy.contains(other));
            (!open.is_empty()).then(|| {
                let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
                let opts = propagate::PropagateOptions {
                    jobs,
                    lint: true,
                    test: true,
                    autostash: false,
                };
                match propagate::propagate(ws, settings, &open, opts, &|_| {}) {
                    Ok(results) => results
                        .iter()
                        .map(|r| format!("{} {}", r.id, r.result))
                        .collect::<Vec<_>>()
                        .join(", "),
                    Err(e) => format!("failed: {e:#}"),
                }
            })
        }
        Err(_) => None,
    };
    crate::infra::trace::trace(|| {
        format!(
            "after landing {id}: {:.3}s ({})",
            started.elapsed().as_secs_f64(),
            propagated.as_deref().unwrap_or("nothing to propagate")
        )
    });
    MergeNews {
        id: id.to_owned(),
        result: news.result.map(|(commit, _)| (commit, propagated)),
        fix_round: None,
        awaits_review: false,
    }
}

/// The news of a merge's outcome: the merge commit (short), or why it was not merged.
fn news_of(id: &str, outcome: Result<Outcome>) -> MergeNews {
    let awaits_review = matches!(outcome, Ok(Outcome::AwaitsReview { .. }));
    let result = match outcome {
        Ok(Outcome::Merged { commit, .. }) => Ok((commit.to_hex_with_len(10).to_string(), None)),
        Ok(Outcome::Rejected { gate, reason, .. }) => {
            Err(format!("rejected by the {gate} gate: {reason}"))
        }
        Ok(Outcome::Conflict { files }) => {
            Err(format!("conflicts with the epic in {}", files.join(", ")))
        }
        Ok(
            Outcome::Skipped { reason }
            | Outcome::AwaitsReview { reason }
            | Outcome::Error { reason },
        ) => Err(reason),
        Err(e) => Err(format!("{e:#}")),
    };
    MergeNews {
        id: id.to_owned(),
        result,
        fix_round: None,
        awaits_review,
    }
}
