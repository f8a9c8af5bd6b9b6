//! The merge queue: what lands in the epic is the tree that was tested.
//!
//! Gated tickets line up in the order they arrive. Each gets a speculative merge commit on
//! top of the one before it (the first on the epic's tip), and `epic.test` runs on those
//! commits in scratch worktrees, up to `epic.gateJobs` at once. The head of the line lands
//! when its commit is green: the epic ref moves to exactly that commit, by compare-and-swap.
//! A red or conflicting ticket is judged only at the head (with everything before it
//! landed), so it is never blamed for a ticket that leaves the line; those after it are
//! merged again without it and tested again. A result is kept by tree: the same tree is
//! never tested twice.
//!
//! Without a test to run (no `epic.test`, `--no-test`, or `epic.queue=false` with the test
//! run on the branch by the gate), every commit is green at once and the queue lands the
//! tickets one after the other, as the plain merge did.

use std::collections::HashSet;
use std::sync::mpsc::{Receiver, Sender};

use anyhow::anyhow;
use gix::ObjectId;

mod land;
mod lease;

use super::{Gated, Options, Outcome};
use crate::infra::config::Settings;
use crate::infra::error::Result;
use crate::infra::gitx::{self, TreeMerge};
use crate::infra::usercmd;
use crate::model::epic::Workspace;
use crate::model::graph::Graph;
use crate::model::state::{State, Store};
use crate::ops::worktree::hold::Hold;
use crate::ops::worktree::scratch::{self, Tested};
use lease::Lease;

/// A gated ticket waiting in line, its hold kept until it leaves, and what its caller wants
/// back with the outcome.
pub struct Candidate<N> {
    pub gated: Gated,
    pub hold: Hold,
    pub payload: N,
}

/// What the queue hears: a new candidate, a finished test, or a producer with no more.
pub enum Msg<N> {
    Add(Candidate<N>),
    Tested {
        id: String,
        tree: ObjectId,
        result: std::result::Result<usercmd::Ran, String>,
    },
    Closed,
}

/// What the queue reports as it goes.
pub enum Step {
    /// `id` is tested merged on the epic after `after`.
    Testing { id: String, after: Vec<String> },
}

enum Test {
    Waiting,
    Running,
    Green,
    Red {
        reason: String,
        lines: Vec<String>,
    },
    /// The test could not run at all (its scratch worktree not ready, say): no verdict on
    /// the ticket, which is not sent back for a fix; the next merge tries again.
    Untestable {
        reason: String,
    },
}

/// A candidate's speculative merge: `commit` (tree `tree`) on top of `parent`.
struct Spec {
    parent: ObjectId,
    commit: ObjectId,
    tree: ObjectId,
    test: Test,
}

struct Entry<N> {
    gated: Gated,
    /// This machine's ticket: its hold (kept until it leaves the line) and what its caller
    /// wants back. `None`: another machine's, handed over to land here (judged there).
    own: Option<(Hold, N)>,
    /// The tip this machine handed over to the machine that lands now, if it did.
    handed: Option<ObjectId>,
    spec: Option<Spec>,
}

pub struct Queue<'w, N> {
    ws: &'w Workspace,
    settings: &'w Settings,
    graph: &'w Graph,
    opts: Options,
    /// The command tested on merged results; None lands without testing.
    test: Option<String>,
    tested: Option<Tested>,
    line: Vec<Entry<N>>,
    /// Tests running (stale ones included: they hold a scratch worktree until they end).
    running: usize,
    /// Tickets with a test running: one at a time each, so their logs do not interleave.
    busy: HashSet<String>,
    /// Trees under test: another entry with the same tree waits for that result.
    trees: HashSet<ObjectId>,
    tx: Sender<Msg<N>>,
    rx: Receiver<Msg<N>>,
    producers: usize,
    /// Through a remote, the landing lease (see [`crate::ops::remote::lander`]).
    lander: Lease,
    /// Tickets handed over by other machines that this one will not land (a conflict, a
    /// dependency not merged): their machines judge them. By id and tip.
    declined: HashSet<(String, ObjectId)>,
}

/// The queue's channel: make it first so that producers can send before the queue runs.
pub fn channel<N>() -> (Sender<Msg<N>>, Receiver<Msg<N>>) {
    std::sync::mpsc::channel()
}

impl<'w, N: Send + 'static> Queue<'w, N> {
    /// A queue fed through `channel` by `producers` senders, each ending with
    /// [`Msg::Closed`].
    pub fn new(
        ws: &'w Workspace,
        settings: &'w Settings,
        graph: &'w Graph,
        opts: Options,
        (tx, rx): (Sender<Msg<N>>, Receiver<Msg<N>>),
        producers: usize,
    ) -> Queue<'w, N> {
        let test = (opts.test && settings.queue)
            .then(|| settings.test.clone())
            .flatten();
        let tested = test
            .as_deref()
            .map(|cmd| Tested::open(ws.repo.common_dir(), &ws.epic.name, cmd));
        Queue {
            ws,
            settings,
            graph,
            opts,
            test,
            tested,
            line: Vec::new(),
            running: 0,
            busy: HashSet::new(),
            trees: HashSet::new(),
            tx,
            rx,
            producers,
            lander: Lease::default(),
            declined: HashSet::new(),
        }
    }

    /// Run until every producer closed and every candidate left the line; `done` hears each
    /// ticket's outcome, `step` what is tested.
    pub fn run(
        mut self,
        step: &dyn Fn(Step),
        done: &mut dyn FnMut(&str, Result<Outcome>, N),
    ) -> Result<()> {
        loop {
            let outcome = if self.lease() {
                // A look that failed (the remote busy a moment) is made again at the next:
                // this machine's own line goes on meanwhile.
                if let Err(e) = self.adopt() {
                    crate::infra::trace::trace(|| format!("look for hand-overs: {e:#}"));
                }
                self.settle(step, done)
            } else {
                // Another machine lands now: the agents here go on, and the line goes to
                // it (without a merged-result test) or waits for the lease. A step that
                // failed is tried again at the next poll, the line kept.
                if let Err(e) = self.follow_lander(done) {
                    crate::infra::trace::trace(|| format!("follow the lander: {e:#}"));
                }
                Ok(())
            };
            if let Err(e) = outcome {
                // Never a silent stop: what is in line hears why, and the queue goes on
                // with what comes next.
                let reason = format!("{e:#}");
                for e in std::mem::take(&mut self.line) {
                    self.leave(e, Err(anyhow!("{reason}")), done);
                }
            }
            if self.line.is_empty() {
                // Given back at once when it need not be kept: another machine's line need
                // not wait for it.
                self.lease();
            }
            if self.producers == 0 && self.line.is_empty() && self.running == 0 {
                return Ok(());
            }
            let msg = match self.wake() {
                Some(at) => {
                    let wait = at.saturating_duration_since(std::time::Instant::now());
                    match self.rx.recv_timeout(wait) {
                        Ok(msg) => msg,
                        Err(_) => continue,
                    }
                }
                None => self.rx.recv().expect("the queue holds a sender itself"),
            };
            self.hear(msg);
            // Take in whatever else arrived before settling again.
            while let Ok(msg) = self.rx.try_recv() {
                self.hear(msg);
            }
        }
    }

    fn hear(&mut self, msg: Msg<N>) {
        match msg {
            Msg::Add(c) => {
                // This run's tickets keep coming: a lander keeps its lease for them.
                self.lander_busy_here();
                self.line.push(Entry {
                    gated: c.gated,
                    own: Some((c.hold, c.payload)),
                    handed: None,
                    spec: None,
                })
            }
            Msg::Closed => self.producers = self.producers.saturating_sub(1),
            Msg::Tested { id, tree, result } => {
                self.running -= 1;
                self.busy.remove(&id);
                self.trees.remove(&tree);
                let verdict = match result {
                    Ok(out) if out.ok => Ok(()),
                    Ok(out) => Err(red_of(&out)),
                    Err(e) => {
                        let reason = format!("the merged result could not be tested: {e}");
                        for e in &mut self.line {
                            if let Some(spec) = e.spec.as_mut().filter(|s| s.tree == tree) {
                                spec.test = Test::Untestable {
                                    reason: reason.clone(),
                                };
                            }
                        }
                        return;
                    }
                };
                if let Some(tested) = &mut self.tested {
                    tested.record(tree, verdict.clone().map_err(|(_, lines)| lines));
                }
                for e in &mut self.line {
                    if let Some(spec) = e.spec.as_mut().filter(|s| s.tree == tree) {
                        spec.test = match &verdict {
                            Ok(()) => Test::Green,
                            Err((reason, lines)) => Test::Red {
                                reason: reason.clone(),
                                lines: lines.clone(),
                            },
                        };
                    }
                }
            }
        }
    }

    /// Merge the line again where the epic or an entry before changed, land the green
    /// head, judge a red or conflicting head, and start what can be tested.
    fn settle(
        &mut self,
        step: &dyn Fn(Step),
        done: &mut dyn FnMut(&str, Result<Outcome>, N),
    ) -> Result<()> {
        loop {
            self.plan(done)?;
            if !self.land_head(done)? {
                break;
            }
        }
        self.start_tests(step);
        Ok(())
    }

    fn epic_tip(&self) -> Result<ObjectId> {
        gitx::branch_tip(&self.ws.repo, &self.ws.epic.branch)?
            .ok_or_else(|| anyhow!("the epic branch {} is gone", self.ws.epic.branch))
    }

    /// Give every entry a speculative merge on the one before it, keeping those still on
    /// the right parent. An entry that conflicts waits without one until it is the head.
    fn plan(&mut self, done: &mut dyn FnMut(&str, Result<Outcome>, N)) -> Result<()> {
        let tip = self.epic_tip()?;
        let store = Store::new(&self.ws.repo, &self.ws.epic.name);
        let mut on = tip;
        let mut i = 0;
        while i < self.line.len() {
            if let Some(dep) = self.missing_dep(&store, i)? {
                let e = self.line.remove(i);
                // Another machine's ticket is taken in again at a later look, when the
                // notes here may say that its dependency landed: not declined.
                if e.own.is_some() {
                    let reason = format!("it waits for {dep} to be merged");
                    self.leave(e, Ok(Outcome::Skipped { reason }), done);
                }
                continue;
            }
            let e = &mut self.line[i];
            if let Some(spec) = e.spec.as_ref().filter(|s| s.parent == on) {
                on = spec.commit;
                i += 1;
                continue;
            }
            e.spec = None;
            match gitx::merge_tree(&self.ws.root, on, e.gated.tip) {
                Ok(TreeMerge::Clean(tree)) => {
                    let message = super::message(&self.ws.epic.name, &e.gated);
                    let commit =
                        gitx::write_commit(&self.ws.repo, tree, &[on, e.gated.tip], &message)?;
                    let test = match (&self.test, self.tested.as_ref().and_then(|t| t.get(tree))) {
                        (None, _) | (_, Some(Ok(()))) => Test::Green,
                        (_, Some(Err(lines))) => Test::Red {
                            reason: "epic.test failed".into(),
                            lines,
                        },
                        (Some(_), None) => Test::Waiting,
                    };
                    e.spec = Some(Spec {
                        parent: on,
                        commit,
                        tree,
                        test,
                    });
                    on = commit;
                    i += 1;
                }
                Ok(TreeMerge::Conflicts(files)) if on == tip => {
                    let e = self.line.remove(i);
                    // Another machine's ticket is judged there: it goes back to it.
                    let outcome = match e.own {
                        Some(_) => super::record_conflict(&store, &e.gated.id, files),
                        None => Ok(Outcome::Conflict { files }),
                    };
                    self.leave(e, outcome, done);
                }
                // On a speculative base: perhaps only with an entry that will leave.
                Ok(TreeMerge::Conflicts(_)) => i += 1,
                Err(err) => {
                    let e = self.line.remove(i);
                    self.leave(e, Err(err), done);
                }
            }
        }
        Ok(())
    }

    /// A dependency of entry `i` that is neither merged nor ahead of it in line.
    fn missing_dep(&self, store: &Store<'_>, i: usize) -> Result<Option<String>> {
        let id = &self.line[i].gated.id;
        let Some(ticket) = self.graph.get(id) else {
            return Ok(None);
        };
        for dep in &ticket.deps {
            if self.line[..i].iter().any(|e| &e.gated.id == dep) {
                continue;
            }
            if !matches!(store.get(dep)?, Some(n) if n.state == State::Merged) {
                return Ok(Some(dep.clone()));
            }
        }
        Ok(None)
    }

    /// Land or judge the head of the line; true if it left the line.
    fn land_head(&mut self, done: &mut dyn FnMut(&str, Result<Outcome>, N)) -> Result<bool> {
        let Some(head) = self.line.first() else {
            return Ok(false);
        };
        let Some(spec) = &head.spec else {
            return Ok(false);
        };
        let store = Store::new(&self.ws.repo, &self.ws.epic.name);
        let id = head.gated.id.clone();
        match &spec.test {
            Test::Waiting | Test::Running => Ok(false),
            Test::Red { reason, lines } => {
                let outcome = match head.own {
                    Some(_) => super::reject_merged_result(&store, &id, reason, lines.clone()),
                    None => Err(anyhow!("{reason}")),
                };
                let e = self.line.remove(0);
                self.leave(e, outcome, done);
                Ok(true)
            }
            Test::Untestable { reason } => {
                let reason = reason.clone();
                let e = self.line.remove(0);
                self.leave(e, Err(anyhow::anyhow!(reason)), done);
                Ok(true)
            }
            Test::Green => self.land(done),
        }
    }

    fn regate(&mut self, done: &mut dyn FnMut(&str, Result<Outcome>, N)) -> Result<bool> {
        let store = Store::new(&self.ws.repo, &self.ws.epic.name);
        let id = self.line[0].gated.id.clone();
        let opts = Options {
            test: self.opts.test && !self.settings.queue,
            ..self.opts
        };
        match super::gate(
            self.ws,
            self.settings,
            self.graph,
            &store,
            &id,
            opts,
            &[],
            &|_| {},
        ) {
            Ok(super::Gate::Passed(gated)) => {
                self.line[0].gated = gated;
                self.line[0].spec = None;
            }
            other => {
                let e = self.line.remove(0);
                let outcome = match other {
                    Ok(super::Gate::Ended(outcome)) => Ok(outcome),
                    Err(err) => Err(err),
                    Ok(super::Gate::Passed(_)) => unreachable!(),
                };
                self.leave(e, outcome, done);
            }
        }
        Ok(true)
    }

    /// Start tests on the first untested merges, while fewer than `epic.gateJobs` run.
    fn start_tests(&mut self, step: &dyn Fn(Step)) {
        let Some(test) = self.test.clone() else {
            return;
        };
        let jobs = self.settings.gate_jobs.max(1);
        let mut after: Vec<String> = Vec::new();
        for e in &mut self.line {
            let id = e.gated.id.clone();
            if self.running >= jobs {
                break;
            }
            let Some(spec) = e.spec.as_mut() else {
                // Waits (a conflict on a speculative base): what comes after it does not
                // sit on it.
                continue;
            };
            if matches!(spec.test, Test::Waiting) && self.trees.contains(&spec.tree) {
                spec.test = Test::Running;
            }
            if matches!(spec.test, Test::Waiting) && !self.busy.contains(&id) {
                spec.test = Test::Running;
                self.running += 1;
                self.busy.insert(id.clone());
                self.trees.insert(spec.tree);
                step(Step::Testing {
                    id: id.clone(),
                    after: after.clone(),
                });
                let tx = self.tx.clone();
                let (root, common) = (self.ws.root.clone(), self.ws.repo.common_dir().to_owned());
                let (epic, log) = (self.ws.epic.name.clone(), self.ws.log_path(&id));
                let (commit, tree, test) = (spec.commit, spec.tree, test.clone());
                std::thread::spawn(move || {
                    let result = scratch::take(&root, &common, &epic, commit, &log)
                        .and_then(|slot| usercmd::run("merged-result test", &test, &slot.dir, &log))
                        .map_err(|e| format!("{e:#}"));
                    let _ = tx.send(Msg::Tested { id, tree, result });
                });
            }
            after.push(e.gated.id.clone());
        }
    }
}

/// The reason and the failing lines (what failed, not the noise) of a red merged result.
fn red_of(out: &usercmd::Ran) -> (String, Vec<String>) {
    let code = out
        .code
        .map_or("a signal".to_owned(), |c| format!("exit code {c}"));
    (format!("epic.test failed ({code})"), out.errors.clone())
}
