//! `git epic propagate`: bring every open ticket worktree onto the new epic: rebase, then
//! `epic.lintFix` (committed), then `epic.test`, in parallel.
//!
//! Nothing is lost: a worktree under a live agent is never touched; a dirty one is skipped,
//! or stashed and restored; a conflicting rebase is aborted and the branch and files are
//! checked to be exactly what they were.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::anyhow;
use serde::Serialize;

use crate::config::Settings;
use crate::epic::Workspace;
use crate::error::Result;
use crate::graph::Graph;
use crate::state::{State, Store};
use crate::{gitx, usercmd};

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub jobs: usize,
    pub lint: bool,
    pub test: bool,
    pub autostash: bool,
}

/// What happened to one ticket worktree. Field names are the `--json` contract
/// (docs/propagate.md).
#[derive(Debug, Clone, Serialize)]
pub struct TicketResult {
    pub id: String,
    pub worktree: PathBuf,
    /// HEAD before and after.
    pub old: Option<String>,
    pub new: Option<String>,
    /// `up_to_date`, `rebased`, `conflict`, `skipped` or `error`.
    pub rebase: &'static str,
    /// `committed`, `clean`, `failed`, `skipped` (not reached) or `none` (no epic.lintFix,
    /// or --no-lint).
    pub lint: &'static str,
    /// `passed`, `failed`, `skipped` (not reached) or `none` (no epic.test, or --no-test).
    pub test: &'static str,
    /// `ok`, `conflict`, `red`, `skipped` or `error`.
    pub result: &'static str,
    pub reason: Option<String>,
    pub conflict_files: Vec<String>,
    /// With --autostash: `restored`, or why the stash was kept.
    pub stash: Option<String>,
}

impl TicketResult {
    fn new(id: &str, worktree: &Path) -> TicketResult {
        TicketResult {
            id: id.to_owned(),
            worktree: worktree.to_owned(),
            old: None,
            new: None,
            rebase: "skipped",
            lint: "skipped",
            test: "skipped",
            result: "skipped",
            reason: None,
            conflict_files: Vec::new(),
            stash: None,
        }
    }

    pub fn failed(&self) -> bool {
        matches!(self.result, "conflict" | "red" | "error")
    }
}

/// A ticket id and its worktree.
pub type Open = (String, PathBuf);

/// The open ticket worktrees: those that exist, of tickets not merged. Tickets held by a
/// live agent or orchestrator come back as skipped results.
pub fn candidates(ws: &Workspace, graph: &Graph) -> Result<(Vec<Open>, Vec<TicketResult>)> {
    let ids: Vec<&str> = graph.tickets.iter().map(|t| t.id.as_str()).collect();
    let notes = Store::new(&ws.repo, &ws.epic.name).get_many(&ids)?;
    let (mut open, mut skipped) = (Vec::new(), Vec::new());
    for id in ids {
        let path = ws.worktree_path(id);
        if !path.join(".git").exists() {
            continue;
        }
        let note = notes.get(id).and_then(|n| n.as_ref().ok());
        if note.is_some_and(|n| n.state == State::Merged) {
            continue;
        }
        if let Some(n) = note.filter(|n| n.agent_alive() || n.owner_alive()) {
            let mut r = TicketResult::new(id, &path);
            r.reason = Some(format!(
                "{} by a live git epic or agent; never rebased under it",
                n.state
            ));
            skipped.push(r);
            continue;
        }
        open.push((id.to_owned(), path));
    }
    Ok((open, skipped))
}

/// Propagate the epic into `worktrees`, `opts.jobs` at a time; `done` hears each result.
pub fn propagate(
    ws: &Workspace,
    settings: &Settings,
    worktrees: &[Open],
    opts: Options,
    done: &(dyn Fn(&TicketResult) + Sync),
) -> Result<Vec<TicketResult>> {
    let epic = ws.epic.branch.clone();
    let next = AtomicUsize::new(0);
    let lint = settings.lint_fix.as_deref().filter(|_| opts.lint);
    let test = settings.test.as_deref().filter(|_| opts.test);
    let logs: Vec<PathBuf> = worktrees.iter().map(|(id, _)| ws.log_path(id)).collect();
    let mut results: Vec<TicketResult> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..opts.jobs.max(1).min(worktrees.len().max(1)))
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((id, path)) = worktrees.get(i) else {
                            break out;
                        };
                        let r = one(
                            id,
                            &Job {
                                wt: path,
                                epic: &epic,
                                log: &logs[i],
                                lint,
                                test,
                                autostash: opts.autostash,
                            },
                        );
                        done(&r);
                        out.push(r);
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a propagate worker panicked"))
            .collect()
    });
    results.sort_by(|a, b| crate::ticket::natural_cmp(&a.id, &b.id));
    record(ws, &results)?;
    Ok(results)
}

/// Conflicts go into the notes; a ticket that rebased cleanly leaves `conflict`.
fn record(ws: &Workspace, results: &[TicketResult]) -> Result<()> {
    let store = Store::new(&ws.repo, &ws.epic.name);
    let epic_tip = gitx::branch_tip(&ws.repo, &ws.epic.branch)?;
    for r in results {
        if r.result == "conflict" {
            store.update(&r.id, |n| {
                n.state = State::Conflict;
                n.conflict_files = r.conflict_files.clone();
                n.propagate_conflicts += 1;
                n.reason = Some(format!(
                    "propagation conflict in {}",
                    r.conflict_files.join(", ")
                ));
                Ok(())
            })?;
        } else if matches!(r.rebase, "rebased" | "up_to_date") {
            let ahead = match (
                r.new
                    .as_deref()
                    .and_then(|h| gix::ObjectId::from_hex(h.as_bytes()).ok()),
                epic_tip,
            ) {
                (Some(head), Some(epic)) => gitx::ahead_behind(&ws.repo, head, epic)?.0,
                _ => 0,
            };
            store.update(&r.id, |n| {
                if n.state == State::Conflict {
                    n.state = if ahead > 0 {
                        State::Done
                    } else {
                        State::Pending
                    };
                    n.conflict_files.clear();
                    n.reason = None;
                }
                Ok(())
            })?;
        }
    }
    Ok(())
}

fn head(dir: &Path) -> Option<String> {
    gitx::git(dir, &["rev-parse", "HEAD"]).ok()
}

/// What one worktree's propagation needs.
struct Job<'a> {
    wt: &'a Path,
    epic: &'a str,
    log: &'a Path,
    lint: Option<&'a str>,
    test: Option<&'a str>,
    autostash: bool,
}

fn one(id: &str, job: &Job<'_>) -> TicketResult {
    let mut r = TicketResult::new(id, job.wt);
    if let Err(e) = run_one(&mut r, job) {
        r.result = "error";
        r.reason = Some(format!("{e:#}"));
    }
    r
}

fn run_one(r: &mut TicketResult, job: &Job<'_>) -> Result<()> {
    let Job {
        wt,
        epic,
        log,
        lint,
        test,
        autostash,
    } = *job;
    r.old = head(wt);
    // Never step into (or abort) an operation the user has under way in this worktree.
    if let Some(op) = operation_in_progress(wt) {
        r.reason = Some(format!(
            "a {op} is in progress there; finish or abort it first"
        ));
        return Ok(());
    }
    let repo = gix::open(wt)?;
    let mut stash: Option<String> = None;
    if gitx::is_dirty(&repo)? {
        if !autostash {
            r.reason = Some("uncommitted changes; commit them or pass --autostash".into());
            return Ok(());
        }
        stash = Some(stash_push(wt)?);
    }
    let status_before = gitx::git(wt, &["status", "--porcelain=v1", "--untracked-files=all"])?;
    let epic_tip =
        gitx::branch_tip(&repo, epic)?.ok_or_else(|| anyhow!("the epic branch {epic} is gone"))?;
    let head_id = repo.head_id()?.detach();
    if gitx::ahead_behind(&repo, head_id, epic_tip)?.1 == 0 {
        r.rebase = "up_to_date";
    } else {
        match gitx::git(wt, &["rebase", "--quiet", epic]) {
            Ok(_) => r.rebase = "rebased",
            Err(e) => {
                let files =
                    gitx::git(wt, &["diff", "--name-only", "--diff-filter=U"]).unwrap_or_default();
                r.conflict_files = files.lines().map(str::to_owned).collect();
                // Only the rebase started just above can be in progress (checked before it).
                if operation_in_progress(wt) == Some("rebase") {
                    gitx::git(wt, &["rebase", "--abort"])?;
                }
                // The branch and the files must be exactly what they were.
                let same_head = head(wt) == r.old;
                let same_status =
                    gitx::git(wt, &["status", "--porcelain=v1", "--untracked-files=all"])?
                        == status_before;
                if !same_head || !same_status {
                    return Err(anyhow!(
                        "the aborted rebase did not restore {}; its previous HEAD was {}",
                        wt.display(),
                        r.old.as_deref().unwrap_or("unknown")
                    ));
                }
                r.rebase = if r.conflict_files.is_empty() {
                    "error"
                } else {
                    "conflict"
                };
                r.result = r.rebase;
                r.reason = Some(if r.conflict_files.is_empty() {
                    format!("rebase failed: {e:#}")
                } else {
                    format!(
                        "conflict in {}; the rebase was aborted",
                        r.conflict_files.join(", ")
                    )
                });
                unstash(r, wt, stash.as_deref());
                r.new = head(wt);
                return Ok(());
            }
        }
    }
    let mut red = false;
    r.lint = "none";
    if let Some(cmd) = lint {
        let out = usercmd::run("lint-fix", cmd, wt, log)?;
        r.lint = if !out.ok {
            red = true;
            "failed"
        } else if gitx::commit_all(wt, "epic: lint-fix after propagate")? {
            "committed"
        } else {
            "clean"
        };
    }
    r.test = "none";
    if let Some(cmd) = test {
        let out = usercmd::run("test", cmd, wt, log)?;
        r.test = if out.ok { "passed" } else { "failed" };
        red |= !out.ok;
    }
    r.result = if red { "red" } else { "ok" };
    unstash(r, wt, stash.as_deref());
    r.new = head(wt);
    Ok(())
}

/// The git operation under way in a worktree, if any: `rebase`, `merge`, `cherry-pick`, `revert`.
fn operation_in_progress(wt: &Path) -> Option<&'static str> {
    let path = |name: &str| {
        gitx::git(wt, &["rev-parse", "--git-path", name])
            .ok()
            .map(|p| wt.join(p))
    };
    [
        ("rebase-merge", "rebase"),
        ("rebase-apply", "rebase"),
        ("MERGE_HEAD", "merge"),
        ("CHERRY_PICK_HEAD", "cherry-pick"),
        ("REVERT_HEAD", "revert"),
    ]
    .into_iter()
    .find(|(file, _)| path(file).is_some_and(|p| p.exists()))
    .map(|(_, op)| op)
}

/// `refs/stash` is one stack shared by every worktree, and propagate works on several at
/// once: pushing and finding our entry again happen under one lock, and each worktree gets
/// back exactly its own stash commit, never "the top of the stack".
static STASH: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Stash everything (untracked files too) and return the stash commit.
fn stash_push(wt: &Path) -> Result<String> {
    let _guard = STASH.lock().unwrap_or_else(|p| p.into_inner());
    gitx::git(
        wt,
        &[
            "stash",
            "push",
            "--include-untracked",
            "--quiet",
            "-m",
            "git-epic propagate autostash",
        ],
    )?;
    gitx::git(wt, &["rev-parse", "refs/stash"])
}

/// Put the stash back; if that conflicts, the stash entry stays (nothing is dropped).
fn unstash(r: &mut TicketResult, wt: &Path, stash: Option<&str>) {
    let Some(sha) = stash else { return };
    r.stash = Some(
        match gitx::git(wt, &["stash", "apply", "--index", "--quiet", sha]) {
            Ok(_) => {
                let _guard = STASH.lock().unwrap_or_else(|p| p.into_inner());
                let list = gitx::git(wt, &["stash", "list", "--format=%H"]).unwrap_or_default();
                if let Some(n) = list.lines().position(|l| l == sha) {
                    let _ = gitx::git(wt, &["stash", "drop", "--quiet", &format!("stash@{{{n}}}")]);
                }
                "restored".into()
            }
            Err(e) => {
                format!("kept as stash {sha} (git stash list) because applying it failed: {e:#}")
            }
        },
    );
}
