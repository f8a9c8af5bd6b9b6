//! `git epic propagate`: bring every open ticket worktree onto the new epic: rebase, then
//! `epic.lintFix` (committed), then `epic.test`, in parallel.
//!
//! Nothing is lost: a worktree under a live agent is never touched; a dirty one is skipped,
//! or stashed and restored; a conflicting rebase is aborted and the branch and files are
//! checked to be exactly what they were.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::anyhow;
use serde::Serialize;

mod outcome;

pub use outcome::{Lint, Propagated, Rebase, Test};

use crate::infra::config::Settings;
use crate::infra::error::Result;
use crate::model::epic::Workspace;
use crate::model::graph::Graph;
use crate::model::state::{State, Store, TicketNote};
use crate::ops::worktree::intent;
use crate::{infra::gitx, infra::usercmd};

#[derive(Debug, Clone, Copy)]
pub struct PropagateOptions {
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
    pub rebase: Rebase,
    pub lint: Lint,
    pub test: Test,
    pub result: Propagated,
    pub reason: Option<String>,
    pub conflict_files: Vec<String>,
    /// With --autostash: `restored`, or why the stash was kept.
    pub stash: Option<String>,
    /// The state this run wrote in the ticket's note: `conflict`, or `done` / `pending` when
    /// an earlier conflict cleared. None when the note was left as it was.
    pub state: Option<State>,
}

impl TicketResult {
    fn new(id: &str, worktree: &Path) -> TicketResult {
        TicketResult {
            id: id.to_owned(),
            worktree: worktree.to_owned(),
            old: None,
            new: None,
            rebase: Rebase::Skipped,
            lint: Lint::Skipped,
            test: Test::Skipped,
            result: Propagated::Skipped,
            reason: None,
            conflict_files: Vec::new(),
            stash: None,
            state: None,
        }
    }

    /// Whether this ticket makes the command exit 1: a conflict, a red lint-fix or test, an
    /// error, or a stash that could not be put back.
    pub fn failed(&self) -> bool {
        matches!(
            self.result,
            Propagated::Conflict | Propagated::Red | Propagated::Error | Propagated::StashKept
        ) || self.stash.as_deref().is_some_and(|s| s != "restored")
    }
}

/// A ticket id and its worktree.
pub type Open = (String, PathBuf);

/// The open ticket worktrees: those that exist, of tickets not merged. Tickets held by a
/// live agent or orchestrator come back as skipped results. With `keep_done`, done tickets
/// are left out too: in flow mode they wait to land, and what lands must be their branch
/// as it was gated, never a rebased copy.
pub fn candidates(
    ws: &Workspace,
    graph: &Graph,
    keep_done: bool,
) -> Result<(Vec<Open>, Vec<TicketResult>)> {
    let ids: Vec<&str> = graph.tickets.iter().map(|t| t.id.as_str()).collect();
    let notes = Store::new(&ws.repo, &ws.epic.name).get_many(&ids)?;
    let (mut open, mut skipped) = (Vec::new(), Vec::new());
    for id in ids {
        let path = ws.worktree_path(id);
        if !path.join(".git").exists() {
            continue;
        }
        let note = notes.get(id).and_then(|n| n.as_ref().ok());
        if note.is_some_and(|n| n.state == State::Merged || (keep_done && n.state == State::Done)) {
            continue;
        }
        if let Some(why) = note.and_then(|n| held(n, &ws.log_path(id))) {
            let mut r = TicketResult::new(id, &path);
            r.reason = Some(why);
            skipped.push(r);
            continue;
        }
        open.push((id.to_owned(), path));
    }
    Ok((open, skipped))
}

/// Why a ticket must not be touched: a live agent or `git epic` process holds it (a
/// supervisor that started before its orchestrator could note its pid counts too).
fn held(n: &TicketNote, log: &Path) -> Option<String> {
    let supervised =
        n.state == State::Running && crate::infra::supervisor::run_alive(log, n.run_id.as_deref());
    (n.agent_alive() || n.owner_alive() || supervised).then(|| {
        format!(
            "{} by a live git epic or agent; never rebased under it",
            n.state
        )
    })
}

/// Propagate the epic into `worktrees`, `opts.jobs` at a time; `done` hears each result.
pub fn propagate(
    ws: &Workspace,
    settings: &Settings,
    worktrees: &[Open],
    opts: PropagateOptions,
    done: &(dyn Fn(&TicketResult) + Sync),
) -> Result<Vec<TicketResult>> {
    // The workspace's repository is not Sync: workers get owned names and open their own.
    let (epic, epic_name) = (ws.epic.branch.clone(), ws.epic.name.clone());
    let root = ws.root.as_path();
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
                                root,
                                wt: path,
                                epic_name: &epic_name,
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
    results.sort_by(|a, b| crate::model::ticket::natural_cmp(&a.id, &b.id));
    record(ws, settings, &mut results)?;
    Ok(results)
}

/// Conflicts go into the notes; a ticket that rebased cleanly leaves `conflict` (for `done`
/// when its branch has commits beyond the epic). Each result says what was written. One
/// read of the notes, and one notes commit for the conflicts and one for the cleared ones,
/// however many worktrees there were.
fn record(ws: &Workspace, settings: &Settings, results: &mut [TicketResult]) -> Result<()> {
    let store = Store::new(&ws.repo, &ws.epic.name);
    let epic_tip = gitx::branch_tip(&ws.repo, &ws.epic.branch)?;
    let conflicts: HashMap<String, Vec<String>> = results
        .iter()
        .filter(|r| r.result == Propagated::Conflict)
        .map(|r| (r.id.clone(), r.conflict_files.clone()))
        .collect();
    let clean: Vec<&str> = results
        .iter()
        .filter(|r| r.result != Propagated::Conflict)
        .filter(|r| matches!(r.rebase, Rebase::Rebased | Rebase::UpToDate))
        .map(|r| r.id.as_str())
        .collect();
    // Read first: most tickets were not in conflict, and need no note commit.
    let notes = store.get_many(&clean)?;
    let mut cleared: HashMap<String, bool> = HashMap::new();
    for r in results.iter() {
        let was_conflict = notes
            .get(&r.id)
            .and_then(|n| n.as_ref().ok())
            .is_some_and(|n| n.state == State::Conflict);
        if !clean.contains(&r.id.as_str()) || !was_conflict {
            continue;
        }
        let head = r
            .new
            .as_deref()
            .and_then(|h| gix::ObjectId::from_hex(h.as_bytes()).ok());
        let ahead = match (head, epic_tip) {
            (Some(head), Some(epic)) => gitx::ahead_behind(&ws.repo, head, epic)?.0,
            _ => 0,
        };
        cleared.insert(r.id.clone(), ahead > 0);
    }
    let mut set: HashMap<String, State> = HashMap::new();
    if !conflicts.is_empty() {
        let ids: Vec<&str> = conflicts.keys().map(String::as_str).collect();
        store.update_many(&ids, |id, n| {
            set.remove(id);
            // An agent started there since: its state is the runner's to write.
            if held(n, &ws.log_path(id)).is_some() {
                return Ok(());
            }
            let files = &conflicts[id];
            set.insert(id.to_owned(), State::Conflict);
            n.state = State::Conflict;
            n.conflict_files = files.clone();
            n.propagate_conflicts += 1;
            n.reason = Some(format!("propagation conflict in {}", files.join(", ")));
            Ok(())
        })?;
    }
    if !cleared.is_empty() {
        let ids: Vec<&str> = cleared.keys().map(String::as_str).collect();
        store.update_many(&ids, |id, n| {
            set.remove(id);
            if n.state == State::Conflict && held(n, &ws.log_path(id)).is_none() {
                n.state = if cleared[id] {
                    State::Done
                } else {
                    State::Pending
                };
                n.conflict_files.clear();
                n.reason = None;
                set.insert(id.to_owned(), n.state);
            }
            Ok(())
        })?;
    }
    for r in results.iter_mut() {
        r.state = set.get(&r.id).copied();
        if r.state == Some(State::Conflict) {
            // Back to an agent with the markers, while fix rounds are left.
            let conflict = crate::ops::review::fix::Refusal::Conflict {
                files: &r.conflict_files,
            };
            if crate::ops::review::fix::send_back(ws, settings, &r.id, conflict)?.is_some() {
                r.state = Some(State::Pending);
            }
        }
    }
    Ok(())
}

/// HEAD's commit, read in process (from the files each time: a rebase or lint-fix commit
/// may have just moved it).
fn head(repo: &gix::Repository) -> Option<String> {
    Some(repo.head_id().ok()?.to_string())
}

/// What one worktree's propagation needs.
struct Job<'a> {
    /// The main checkout, whose submodules a rebase that moves them is followed from.
    root: &'a Path,
    wt: &'a Path,
    /// The epic's name (its notes) and branch.
    epic_name: &'a str,
    epic: &'a str,
    log: &'a Path,
    lint: Option<&'a str>,
    test: Option<&'a str>,
    autostash: bool,
}

fn one(id: &str, job: &Job<'_>) -> TicketResult {
    let mut r = TicketResult::new(id, job.wt);
    if let Err(e) = run_one(&mut r, job) {
        r.result = Propagated::Error;
        r.reason = Some(format!("{e:#}"));
    }
    r
}

fn run_one(r: &mut TicketResult, job: &Job<'_>) -> Result<()> {
    let Job {
        wt,
        epic_name,
        autostash,
        ..
    } = *job;
    let mut repo = gix::open(wt)?;
    // A propagate killed here earlier left its intent: finish or undo what it did first.
    if intent::pending(repo.git_dir()) {
        intent::recover_and_log(wt, job.log)?;
        repo = gix::open(wt)?;
    }
    r.old = repo.head_id().ok().map(|id| id.to_string());
    let git_dir = repo.git_dir().to_owned();
    // Never step into (or abort) an operation the user has under way in this worktree.
    if let Some(op) = operation_in_progress(repo.git_dir()) {
        r.reason = Some(format!(
            "a {op} is in progress there; finish or abort it first"
        ));
        return Ok(());
    }
    // A ticket in the merge queue lands as it was tested: never rebased under it. Held from
    // here to the end, so it cannot enter the queue mid-rebase either.
    let Some(_hold) = crate::ops::worktree::hold::try_take(repo.common_dir(), epic_name, &r.id)?
    else {
        r.reason = Some("queued to land in the epic; never rebased under it".into());
        return Ok(());
    };
    // Asked again now: an agent may have started here since the run began, or it landed.
    let note = Store::new(&repo, epic_name).get(&r.id).ok().flatten();
    if let Some(why) = note.as_ref().and_then(|n| held(n, job.log)) {
        r.reason = Some(why);
        return Ok(());
    }
    if note.as_ref().is_some_and(|n| n.state == State::Merged) {
        r.reason = Some("merged meanwhile".into());
        return Ok(());
    }
    let mut stash: Option<String> = None;
    if gitx::is_dirty(&repo)? {
        if !autostash {
            r.reason = Some("uncommitted changes; commit them or pass --autostash".into());
            return Ok(());
        }
        intent::write(&git_dir, r.old.clone(), intent::Stash::Pushing, false)?;
        let sha = stash_push(wt)?;
        intent::write(
            &git_dir,
            r.old.clone(),
            intent::Stash::Pushed(sha.clone()),
            true,
        )?;
        stash = Some(sha);
    } else {
        intent::write(&git_dir, r.old.clone(), intent::Stash::None, true)?;
    }
    drop(repo);
    let outcome = rebase_lint_test(r, job, stash.as_deref());
    // Done, one way or the other: what is left (a kept stash) is said in the result.
    intent::clear(&git_dir);
    if let (Err(_), Some(sha), None) = (&outcome, &stash, &r.stash) {
        // Stopped by an error before the stash came back: it stays where it is, said so.
        r.stash = Some(format!(
            "kept: {} is still in git stash list (not restored after the error)",
            &sha[..sha.len().min(8)]
        ));
    }
    outcome
}

/// Rebase, lint-fix, test, then give back `stash` (a clean worktree from here on).
fn rebase_lint_test(r: &mut TicketResult, job: &Job<'_>, stash: Option<&str>) -> Result<()> {
    let Job {
        wt,
        epic,
        log,
        lint,
        test,
        ..
    } = *job;
    let repo = gix::open(wt)?;
    // Clean here (checked, or stashed), but for submodules, which that check does not look
    // into: what an aborted rebase must give back is asked of git only where there are any.
    let status_before = if wt.join(".gitmodules").exists() {
        gitx::git(wt, &["status", "--porcelain=v1", "--untracked-files=all"])?
    } else {
        String::new()
    };
    let epic_tip =
        gitx::branch_tip(&repo, epic)?.ok_or_else(|| anyhow!("the epic branch {epic} is gone"))?;
    let head_id = repo.head_id()?.detach();
    if gitx::ahead_behind(&repo, head_id, epic_tip)?.1 == 0 {
        r.rebase = Rebase::UpToDate;
    } else if let gitx::Transplant::Done(_) = gitx::transplant(&repo, epic_tip)? {
        r.rebase = Rebase::Rebased;
    } else {
        match gitx::git(wt, &["rebase", "--quiet", epic]) {
            Ok(_) => {
                r.rebase = Rebase::Rebased;
                // The epic may have moved a submodule: it follows where the agent did not.
                gitx::checkout_submodules(job.root, wt, gitx::Follow::Unmoved(head_id))?;
            }
            Err(e) => {
                let files =
                    gitx::git(wt, &["diff", "--name-only", "--diff-filter=U"]).unwrap_or_default();
                r.conflict_files = files.lines().map(str::to_owned).collect();
                // Only the rebase started just above can be in progress (checked before it).
                if operation_in_progress(repo.git_dir()) == Some("rebase") {
                    gitx::git(wt, &["rebase", "--abort"])?;
                }
                // The branch and the files must be exactly what they were.
                let same_head = head(&repo) == r.old;
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
                (r.rebase, r.result) = if r.conflict_files.is_empty() {
                    (Rebase::Error, Propagated::Error)
                } else {
                    (Rebase::Conflict, Propagated::Conflict)
                };
                r.reason = Some(if r.conflict_files.is_empty() {
                    format!("rebase failed: {e:#}")
                } else {
                    format!(
                        "conflict in {}; the rebase was aborted",
                        r.conflict_files.join(", ")
                    )
                });
                unstash(r, wt, stash);
                r.new = head(&repo);
                return Ok(());
            }
        }
    }
    let mut red = Vec::new();
    r.lint = Lint::None;
    if stash.is_some() || lint.is_some() {
        // The rebase is over: from here the files are the person's work given back, or what
        // lint-fix changed, which a killed run keeps (no reset of the worktree).
        let stashed = stash.map_or(intent::Stash::None, |s| intent::Stash::Pushed(s.to_owned()));
        intent::write(repo.git_dir(), r.old.clone(), stashed, false)?;
    }
    if let Some(cmd) = lint {
        let out = usercmd::run("lint-fix", cmd, wt, log)?;
        // What it fixed is committed even when it exits non-zero (a linter that fixes what it
        // can and fails on the rest): the worktree is left clean, and nothing is lost.
        let committed = gitx::commit_all(wt, "epic: lint-fix after propagate")?;
        r.lint = match (out.ok, committed) {
            (true, true) => Lint::Committed,
            (true, false) => Lint::Clean,
            (false, _) => Lint::Failed,
        };
        if !out.ok {
            red.push(failure("epic.lintFix", &out, committed));
        }
    }
    r.test = Test::None;
    if let Some(cmd) = test {
        let out = usercmd::run("test", cmd, wt, log)?;
        r.test = if out.ok { Test::Passed } else { Test::Failed };
        if !out.ok {
            red.push(failure("epic.test", &out, false));
        }
    }
    if !red.is_empty() {
        r.reason = Some(format!("{}; see git epic logs {}", red.join("; "), r.id));
    }
    r.result = if red.is_empty() {
        Propagated::Ok
    } else {
        Propagated::Red
    };
    unstash(r, wt, stash);
    if r.result == Propagated::Ok && r.stash.as_deref().is_some_and(|s| s != "restored") {
        r.result = Propagated::StashKept;
    }
    r.new = head(&repo);
    Ok(())
}

/// `epic.test failed (exit 1): <its last line>`.
fn failure(key: &str, out: &usercmd::Ran, committed: bool) -> String {
    let code = out
        .code
        .map_or_else(|| "killed by a signal".to_owned(), |c| format!("exit {c}"));
    let last = out
        .tail
        .iter()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| {
            let l = l.trim();
            match l.char_indices().nth(80) {
                Some((i, _)) => format!(": {}…", &l[..i]),
                None => format!(": {l}"),
            }
        })
        .unwrap_or_default();
    let kept = if committed {
        " (what it changed is committed)"
    } else {
        ""
    };
    format!("{key} failed ({code}){last}{kept}")
}

/// The git operation under way in a worktree, if any: `rebase`, `merge`, `cherry-pick`, `revert`.
fn operation_in_progress(git_dir: &Path) -> Option<&'static str> {
    // These files live in the worktree's own git dir (not the common dir).
    [
        ("rebase-merge", "rebase"),
        ("rebase-apply", "rebase"),
        ("MERGE_HEAD", "merge"),
        ("CHERRY_PICK_HEAD", "cherry-pick"),
        ("REVERT_HEAD", "revert"),
    ]
    .into_iter()
    .find(|(file, _)| git_dir.join(file).exists())
    .map(|(_, op)| op)
}

use intent::STASH;

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
            intent::STASH_MESSAGE,
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
                let conflicted = gitx::git(wt, &["diff", "--name-only", "--diff-filter=U"])
                    .unwrap_or_default()
                    .lines()
                    .collect::<Vec<_>>()
                    .join(", ");
                let why = if conflicted.is_empty() {
                    let e = format!("{e:#}");
                    e.lines().last().unwrap_or_default().trim().to_owned()
                } else {
                    format!("restoring it conflicted in {conflicted}")
                };
                format!(
                    "kept: {} is still in git stash list ({why}); resolve, then git stash drop it",
                    &sha[..sha.len().min(8)]
                )
            }
        },
    );
}
