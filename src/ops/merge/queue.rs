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

use super::record::{landed, record_merged};
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
    c: Candidate<N>,
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
}

/// This queue's hold on the landing lease.
#[derive(Default)]
struct Lease {
    /// The remote's lease value while held here (`Some(None)`: held without a remote).
    held: Option<Option<ObjectId>>,
    /// When to renew it, or (not held) to ask for it again.
    next: Option<std::time::Instant>,
    /// Tries in a row that found another machine landing.
    busy: u32,
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
            if !self.lease()? {
                // Another machine lands now: the line waits (the agents here go on) and
                // asks again a little later.
            } else if let Err(e) = self.settle(step, done) {
                // Never a silent stop: what is in line hears why, and the queue goes on
                // with what comes next.
                let reason = format!("{e:#}");
                for e in std::mem::take(&mut self.line) {
                    done(&e.c.gated.id, Err(anyhow!("{reason}")), e.c.payload);
                }
            }
            if self.line.is_empty() {
                // Given back at once: another machine's line need not wait for it.
                self.lease()?;
            }
            if self.producers == 0 && self.line.is_empty() && self.running == 0 {
                return Ok(());
            }
            let msg = match self.lander.next {
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

    /// Through a remote and with a merged-result test to run, hold the landing lease while
    /// the line has tickets, and give it back once the line is empty: true when this queue
    /// may merge and land now.
    fn lease(&mut self) -> Result<bool> {
        use crate::ops::remote::lander::{self, Lander};
        // Without a merged-result test a landing is a merge and a push: one lost to another
        // machine costs a merge again, less than the lease's own pushes.
        if self.test.is_none() {
            return Ok(true);
        }
        let now = std::time::Instant::now();
        if self.line.is_empty() {
            if let Some(Some(held)) = self.lander.held.take() {
                if let Err(e) = lander::give_back(self.ws, held) {
                    crate::infra::trace::trace(|| format!("lander give-back: {e:#}"));
                }
            }
            self.lander = Lease::default();
            return Ok(true);
        }
        if self.lander.held.is_some() && self.lander.next.is_some_and(|t| t > now) {
            return Ok(true);
        }
        if self.lander.held.is_none() && self.lander.next.is_some_and(|t| t > now) {
            return Ok(false);
        }
        let lease = self.settings.claim_lease;
        let until = crate::model::state::now() + lease.as_secs_f64();
        match lander::take(self.ws, until)? {
            Lander::Held(value) => {
                self.lander.held = Some(value);
                self.lander.next = value.map(|_| now + lease / 3);
                self.lander.busy = 0;
                Ok(true)
            }
            Lander::Busy(other) => {
                crate::infra::trace::trace(|| format!("lander busy: {other}"));
                self.lander.held = None;
                self.lander.busy += 1;
                // 100 ms doubling to 1.6 s, with jitter: the lander gives it back as soon
                // as its line is empty.
                let ms = 100u64 << self.lander.busy.min(4);
                let jitter = crate::ops::remote::random_below(ms);
                self.lander.next = Some(now + std::time::Duration::from_millis(ms / 2 + jitter));
                Ok(false)
            }
        }
    }

    fn hear(&mut self, msg: Msg<N>) {
        match msg {
            Msg::Add(c) => self.line.push(Entry { c, spec: None }),
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
                let reason = format!("it waits for {dep} to be merged");
                done(&e.c.gated.id, Ok(Outcome::Skipped { reason }), e.c.payload);
                continue;
            }
            let e = &mut self.line[i];
            if let Some(spec) = e.spec.as_ref().filter(|s| s.parent == on) {
                on = spec.commit;
                i += 1;
                continue;
            }
            e.spec = None;
            match gitx::merge_tree(&self.ws.root, on, e.c.gated.tip) {
                Ok(TreeMerge::Clean(tree)) => {
                    let message = super::message(&self.ws.epic.name, &e.c.gated);
                    let commit =
                        gitx::write_commit(&self.ws.repo, tree, &[on, e.c.gated.tip], &message)?;
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
                    let outcome = super::record_conflict(&store, &e.c.gated.id, files);
                    done(&e.c.gated.id, outcome, e.c.payload);
                }
                // On a speculative base: perhaps only with an entry that will leave.
                Ok(TreeMerge::Conflicts(_)) => i += 1,
                Err(err) => {
                    let e = self.line.remove(i);
                    done(&e.c.gated.id, Err(err), e.c.payload);
                }
            }
        }
        Ok(())
    }

    /// A dependency of entry `i` that is neither merged nor ahead of it in line.
    fn missing_dep(&self, store: &Store<'_>, i: usize) -> Result<Option<String>> {
        let id = &self.line[i].c.gated.id;
        let Some(ticket) = self.graph.get(id) else {
            return Ok(None);
        };
        for dep in &ticket.deps {
            if self.line[..i].iter().any(|e| &e.c.gated.id == dep) {
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
        let id = head.c.gated.id.clone();
        match &spec.test {
            Test::Waiting | Test::Running => Ok(false),
            Test::Red { reason, lines } => {
                let outcome = super::reject_merged_result(&store, &id, reason, lines.clone());
                let e = self.line.remove(0);
                done(&id, outcome, e.c.payload);
                Ok(true)
            }
            Test::Untestable { reason } => {
                let reason = reason.clone();
                let e = self.line.remove(0);
                done(&id, Err(anyhow::anyhow!(reason)), e.c.payload);
                Ok(true)
            }
            Test::Green => {
                let (parent, commit) = (spec.parent, spec.commit);
                let gated = &head.c.gated;
                // Landed by another git epic meanwhile: finish, never merge twice.
                if let Some(merged) = landed(self.ws, &id, self.epic_tip()?)? {
                    record_merged(&store, &id, merged, &gated.branch)?;
                    let e = self.line.remove(0);
                    let outcome = Outcome::Merged {
                        commit: merged,
                        cleaned: None,
                    };
                    done(&id, Ok(outcome), e.c.payload);
                    return Ok(true);
                }
                // What lands is the branch as it is: one that moved since its gate (a commit
                // by hand) goes through the gates again, keeping its place.
                if gitx::branch_tip(&self.ws.repo, &gated.branch)? != Some(gated.tip) {
                    return self.regate(done);
                }
                // The epic moved under the line: merged again on the new tip by plan().
                if gitx::branch_tip(&self.ws.repo, &self.ws.epic.branch)? != Some(parent) {
                    self.line[0].spec = None;
                    return Ok(true);
                }
                // Shared through a remote, the remote's epic moves first; another machine
                // landed first: the line is merged again on theirs.
                if let crate::ops::remote::Landing::EpicMoved =
                    crate::ops::remote::publish_landing(self.ws, parent, commit)?
                {
                    self.line[0].spec = None;
                    return Ok(true);
                }
                if !gitx::move_branch(
                    &self.ws.repo,
                    &self.ws.epic.branch,
                    parent,
                    commit,
                    &super::message(&self.ws.epic.name, gated),
                )? {
                    // Only an exchange moves the epic meanwhile, to the remote's, which
                    // holds this landing now.
                    let tip = gitx::branch_tip(&self.ws.repo, &self.ws.epic.branch)?;
                    if !tip.is_some_and(|t| {
                        gitx::is_ancestor(&self.ws.root, commit, t).unwrap_or(false)
                    }) {
                        self.line[0].spec = None;
                        return Ok(true);
                    }
                }
                record_merged(&store, &id, commit, &gated.branch)?;
                let _ = crate::ops::remote::exchange_notes(self.ws);
                let e = self.line.remove(0);
                let cleaned =
                    e.c.gated
                        .worktree
                        .as_ref()
                        .filter(|_| self.opts.cleanup)
                        .map(|wt| {
                            crate::ops::worktree::remove_worktree(self.ws, wt)
                                .map_err(|e| format!("{e:#}"))
                        });
                done(&id, Ok(Outcome::Merged { commit, cleaned }), e.c.payload);
                Ok(true)
            }
        }
    }

    fn regate(&mut self, done: &mut dyn FnMut(&str, Result<Outcome>, N)) -> Result<bool> {
        let store = Store::new(&self.ws.repo, &self.ws.epic.name);
        let id = self.line[0].c.gated.id.clone();
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
                self.line[0].c.gated = gated;
                self.line[0].spec = None;
            }
            other => {
                let e = self.line.remove(0);
                let outcome = match other {
                    Ok(super::Gate::Ended(outcome)) => Ok(outcome),
                    Err(err) => Err(err),
                    Ok(super::Gate::Passed(_)) => unreachable!(),
                };
                done(&id, outcome, e.c.payload);
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
            let id = e.c.gated.id.clone();
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
            after.push(e.c.gated.id.clone());
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
