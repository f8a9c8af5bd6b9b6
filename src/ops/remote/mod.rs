//! One epic, many machines, through a git remote (`epic.remote`): the epic branch, the
//! ticket branches, the notes and the epic's definition live there too. `sync` fetches,
//! merges what others did into the local state, and pushes what this machine did, every
//! ref with a lease (the value fetched) and in one atomic push: a rejected push means
//! someone else was first, and the whole round is done again on what they pushed.
//!
//! Without the remote (unreachable, or never set) everything works locally; `sync`
//! catches up later.

pub mod meta;
pub mod notes;
pub mod reconcile;
mod share;

pub use share::{
    claim, claim_landing, claim_many, exchange_notes, fetch_branch, publish_done, publish_landing,
    Claim, Landing,
};

use std::collections::HashMap;
use std::path::Path;

use anyhow::anyhow;
use gix::ObjectId;

use crate::infra::error::{usage, Result};
use crate::infra::gitx;
use crate::infra::gitx::transport::{fetch, git_remote, BranchSync};
use crate::model::epic::{Epic, Workspace};
use crate::model::state::NOTES_REF;

use meta::Meta;

pub use crate::infra::config::remote_of;

/// Where fetched refs of `epic` from `remote` are kept here.
pub(super) fn track(remote: &str, epic: &str, what: &str) -> String {
    format!("refs/epic-sync/{remote}/{epic}/{what}")
}

/// The remote could not be reached: the state is local-only for now.
#[derive(Debug)]
pub struct Offline(pub String);

/// The refs of `epic` the remote has, by full name; `Err(Offline)` when it cannot be reached.
fn remote_refs(
    root: &Path,
    remote: &str,
    epic: &Epic,
    name: &str,
) -> Result<std::result::Result<HashMap<String, ObjectId>, Offline>> {
    let branch = format!("refs/heads/{}", epic.branch);
    let meta = meta::remote_ref(name);
    ls_remote(
        root,
        remote,
        &[&branch, NOTES_REF, &meta, "refs/heads/feat/*"],
    )
}

/// `git ls-remote --refs <remote> <patterns>`: the refs it has, by full name;
/// `Err(Offline)` when it cannot be reached.
pub(super) fn ls_remote(
    root: &Path,
    remote: &str,
    patterns: &[&str],
) -> Result<std::result::Result<HashMap<String, ObjectId>, Offline>> {
    let mut args = vec!["ls-remote", "--refs", remote];
    args.extend_from_slice(patterns);
    let out = git_remote(root, &args)?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        return Ok(Err(Offline(
            why.lines()
                .next()
                .unwrap_or("git ls-remote failed")
                .to_owned(),
        )));
    }
    let mut refs = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some((id, name)) = line.split_once('\t') {
            if let Ok(id) = ObjectId::from_hex(id.as_bytes()) {
                refs.insert(name.to_owned(), id);
            }
        }
    }
    Ok(Ok(refs))
}

/// Fetch each `(remote ref, tracking ref)` of `wants` (in one `git fetch`) and say what
/// each tracking ref holds after it: what the remote had, or `None` where it has no such
/// ref. One round trip where `ls-remote` then `fetch` took two. `Err(Offline)` when the
/// remote cannot be reached.
pub(super) fn fetch_tips(
    root: &Path,
    remote: &str,
    wants: &[(&str, String)],
) -> Result<std::result::Result<Vec<Option<ObjectId>>, Offline>> {
    let mut missing = vec![false; wants.len()];
    let mut failures = 0;
    loop {
        let specs: Vec<String> = wants
            .iter()
            .zip(&missing)
            .filter(|(_, m)| !**m)
            .map(|((src, dst), _)| format!("+{src}:{dst}"))
            .collect();
        match fetch(root, remote, &specs) {
            Ok(()) => break,
            Err(e) => {
                let text = format!("{e:#}");
                // `fatal: couldn't find remote ref refs/notes/epic`
                let gone = wants
                    .iter()
                    .position(|(src, _)| text.contains(&format!("couldn't find remote ref {src}")));
                crate::infra::trace::trace(|| format!("fetch failed: {text}"));
                match gone {
                    Some(i) if !missing[i] => missing[i] = true,
                    _ => {
                        // Offline only when the remote cannot be listed either: a fetch can
                        // fail for a moment while another machine pushes, and a landing
                        // taken for local-only then would leave the epics diverged.
                        if let Err(offline) = ls_remote(root, remote, &[NOTES_REF])? {
                            return Ok(Err(offline));
                        }
                        failures += 1;
                        if failures >= 5 {
                            return Err(e);
                        }
                        std::thread::sleep(std::time::Duration::from_millis(20 * failures));
                    }
                }
            }
        }
    }
    let repo = gix::open(root)?;
    Ok(Ok(wants
        .iter()
        .zip(missing)
        .map(|((_, dst), m)| {
            if m {
                None
            } else {
                gitx::resolve_commit(&repo, dst)
            }
        })
        .collect()))
}

/// Network steps on the epic's shared refs (notes, epic), one at a time in a process: the
/// threads of one run (claims ahead, landings, exchanges) would otherwise race each other
/// for the same remote ref and the same tracking refs, and lose to one another.
pub(super) fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// How a push ended.
pub(super) enum Pushed {
    Done,
    /// A ref moved on the remote since it was fetched.
    Stale,
}

/// One atomic push of `(local value, remote ref, expected remote value)`.
pub(super) fn push(
    root: &Path,
    remote: &str,
    updates: &[(ObjectId, String, Option<ObjectId>)],
) -> Result<Pushed> {
    if updates.is_empty() {
        return Ok(Pushed::Done);
    }
    let mut args: Vec<String> = vec![
        "push".into(),
        "--atomic".into(),
        "--porcelain".into(),
        "--quiet".into(),
    ];
    for (_, dst, expected) in updates {
        let zero = ObjectId::null(gix::hash::Kind::Sha1);
        args.push(format!(
            "--force-with-lease={dst}:{}",
            expected.unwrap_or(zero)
        ));
    }
    args.push(remote.into());
    // No `+` on the refspecs: a forced refspec ignores the lease (git 2.47 pushes it over
    // any value and says nothing), and the lease alone allows a rewrite.
    for (id, dst, _) in updates {
        args.push(format!("{id}:{dst}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = git_remote(root, &args)?;
    if out.status.success() {
        return Ok(Pushed::Done);
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Another machine's push came first (its new value, or its lock on the ref while it
    // pushed): fetch and try again, a little later than the others.
    let lost = [
        "stale info",
        "fetch first",
        "non-fast-forward",
        "atomic push failed",
        "atomic transaction failed",
        "cannot lock ref",
        "reference already exists",
    ];
    if lost.iter().any(|l| text.contains(l)) {
        let jitter = u64::from(std::process::id() % 7) * 5 + 5;
        std::thread::sleep(std::time::Duration::from_millis(jitter));
        return Ok(Pushed::Stale);
    }
    Err(anyhow!("git push {remote} failed: {}", text.trim()))
}

/// What `sync` did.
#[derive(Debug, Default, serde::Serialize)]
pub struct SyncReport {
    pub remote: String,
    /// Why the remote could not be reached (nothing was exchanged), if it could not.
    pub offline: Option<String>,
    /// Where the epic branch stands against the remote's.
    pub epic: BranchSync,
    /// Tickets whose note came from the remote.
    pub notes_in: Vec<String>,
    /// Remote notes refused (bad or unsafe), with why.
    pub notes_refused: Vec<String>,
    /// Ticket files written here from the remote, and ones published from here.
    pub tickets_in: Vec<String>,
    pub tickets_out: Vec<String>,
    /// Ticket files changed both here and there: kept as they are here, not published.
    pub tickets_conflict: Vec<String>,
    /// Ticket branches pushed.
    pub branches_out: Vec<String>,
    /// Refs pushed.
    pub pushed: usize,
    /// Pull requests looked at on the forge, and what was done about them.
    pub forge: Vec<crate::ops::forge::follow::Followed>,
    /// Tickets landed here and not on the remote's epic (as last fetched).
    pub local_only: Vec<String>,
    /// Tickets landed here while the remote could not be reached, put back to done by this
    /// sync because the remote's epic moved meanwhile: they land again on it.
    #[serde(skip)]
    pub relanding: Vec<String>,
    /// Tickets landed here while the remote could not be reached, whose epic moved
    /// meanwhile, and landed again on it by this sync; and those that could not be, why.
    pub relanded: Vec<String>,
    pub not_relanded: Vec<String>,
}

/// Fetch the epic's shared state from its remote, merge it into the local one, and push
/// what this machine has that the remote does not.
pub fn sync(ws: &Workspace) -> Result<SyncReport> {
    let remote = remote_of(&ws.repo, &ws.epic.name).ok_or_else(|| {
        usage("No remote for this epic: set one with `git config epic.remote <remote>`.")
    })?;
    let name = ws.epic.name.clone();
    let mut report = SyncReport {
        remote: remote.clone(),
        ..Default::default()
    };
    for _ in 0..8 {
        let refs = match remote_refs(&ws.root, &remote, &ws.epic, &name)? {
            Ok(refs) => refs,
            Err(Offline(why)) => {
                report.offline = Some(why);
                return Ok(report);
            }
        };
        let branch_ref = format!("refs/heads/{}", ws.epic.branch);
        let meta_ref = meta::remote_ref(&name);
        let mut specs = Vec::new();
        for (src, what) in [
            (&branch_ref, "epic"),
            (&NOTES_REF.to_owned(), "notes"),
            (&meta_ref, "meta"),
        ] {
            if refs.contains_key(src.as_str()) {
                specs.push(format!("+{src}:{}", track(&remote, &name, what)));
            }
        }
        if refs.keys().any(|r| r.starts_with("refs/heads/feat/")) {
            specs.push(format!(
                "+refs/heads/feat/*:{}",
                track(&remote, &name, "feat/*")
            ));
        }
        fetch(&ws.root, &remote, &specs)?;
        // Landings made here while the remote could not be reached, when its epic moved
        // meanwhile: back to done (to land again) before the notes that say merged go out.
        if refs.contains_key(&branch_ref) {
            report.relanding = reconcile::reconcile(ws)?.relanding;
        }
        let repo = gix::open(&ws.root)?;
        let mut updates: Vec<(ObjectId, String, Option<ObjectId>)> = Vec::new();

        // The epic's definition: ticket files both ways.
        let local_meta = Meta::local(&ws.root, &ws.epic)?;
        let remote_meta = match refs.get(&meta_ref) {
            Some(id) => Some((
                *id,
                Meta::read(&repo, *id)
                    .map_err(|e| anyhow!("the epic's definition on {remote} is refused: {e:#}"))?,
            )),
            None => None,
        };
        let synced_ref = track(&remote, &name, "meta-synced");
        let last = gitx::resolve_commit(&repo, &synced_ref).and_then(|c| Meta::read(&repo, c).ok());
        let publish = take_ticket_files(
            &ws.root.join(&ws.epic.tasks_dir),
            &local_meta,
            remote_meta.as_ref().map(|(_, m)| m),
            last.as_ref(),
            &mut report,
        )?;
        let remote_meta_id = remote_meta.as_ref().map(|(id, _)| *id);
        let changed = remote_meta.as_ref().is_none_or(|(_, m)| *m != publish);
        report.tickets_out = publish
            .tickets
            .iter()
            .filter(|(f, t)| {
                remote_meta
                    .as_ref()
                    .is_none_or(|(_, m)| m.tickets.get(*f) != Some(t))
            })
            .map(|(f, _)| f.trim_end_matches(".md").to_owned())
            .collect();
        let meta_commit = if changed {
            let c = publish.write(&repo, &name, remote_meta_id)?;
            updates.push((c, meta_ref.clone(), remote_meta_id));
            c
        } else {
            remote_meta_id.expect("unchanged means it exists")
        };

        // Notes: theirs merged into ours, then ours pushed.
        let graph = crate::model::graph::Graph::new(crate::model::ticket::load_all(
            &ws.root,
            &ws.epic.tasks_dir,
        )?)?;
        let ids: Vec<String> = graph.tickets.iter().map(|t| t.id.clone()).collect();
        let remote_notes = refs.get(NOTES_REF).copied();
        if let Some(theirs) = remote_notes {
            let merged = notes::merge(&repo, &name, &ids, theirs)?;
            report.notes_in = merged.updated;
            report.notes_refused = merged
                .refused
                .into_iter()
                .map(|(id, why)| format!("{id}: {why}"))
                .collect();
        }
        if let Some(ours) = gitx::resolve_commit(&repo, NOTES_REF) {
            if Some(ours) != remote_notes {
                updates.push((ours, NOTES_REF.to_owned(), remote_notes));
            }
        }

        // The epic branch: fast-forward either way; diverged waits for a landing.
        let local_epic = gitx::branch_tip(&repo, &ws.epic.branch)?;
        let remote_epic = refs.get(&branch_ref).copied();
        report.epic = match (local_epic, remote_epic) {
            (None, None) => BranchSync::Absent,
            (Some(l), None) => {
                updates.push((l, branch_ref.clone(), None));
                BranchSync::Pushed
            }
            (None, Some(r)) => {
                gitx::create_branch(&repo, &ws.epic.branch, r, "git-epic: sync from the remote")?;
                BranchSync::FastForwarded
            }
            (Some(l), Some(r)) if l == r => BranchSync::UpToDate,
            (Some(l), Some(r)) => match repo.merge_base(l, r).ok().flatten().map(|b| b.detach()) {
                Some(b) if b == l => {
                    if let Some(at) = gitx::checked_out_at(&repo, &ws.epic.branch)? {
                        return Err(usage(format!(
                            "The epic branch {} is checked out in {}; switch that worktree to another branch so sync can bring it up to date.",
                            ws.epic.branch,
                            at.display()
                        )));
                    }
                    if !gitx::move_branch(
                        &repo,
                        &ws.epic.branch,
                        l,
                        r,
                        "git-epic: sync from the remote",
                    )? {
                        continue;
                    }
                    BranchSync::FastForwarded
                }
                Some(b) if b == r => {
                    updates.push((l, branch_ref.clone(), Some(r)));
                    BranchSync::Pushed
                }
                _ => BranchSync::Diverged,
            },
        };

        // Ticket branches this machine ran, where the remote does not have them yet.
        let store = crate::model::state::Store::new(&repo, &name);
        let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        report.branches_out.clear();
        for (id, note) in store.get_many(&id_refs)? {
            let Ok(note) = note else { continue };
            let (Some(branch), true) = (note.branch.as_ref(), note.is_mine()) else {
                continue;
            };
            let Some(tip) = gitx::branch_tip(&repo, branch)? else {
                continue;
            };
            let dst = format!("refs/heads/{branch}");
            if !branch.starts_with("feat/") || updates.iter().any(|(_, d, _)| *d == dst) {
                continue;
            }
            let there = refs.get(&dst).copied();
            if there != Some(tip) {
                updates.push((tip, dst, there));
                report.branches_out.push(id);
            }
        }
        report.branches_out.sort();

        match push(&ws.root, &remote, &updates)? {
            Pushed::Done => {
                report.pushed = updates.len();
                let _ = repo.reference(
                    synced_ref.as_str(),
                    meta_commit,
                    gix::refs::transaction::PreviousValue::Any,
                    "git-epic: synced",
                );
                return Ok(report);
            }
            // Someone pushed meanwhile: fetch what they did and go again.
            Pushed::Stale => continue,
        }
    }
    Err(anyhow!(
        "{remote} kept changing while syncing; run `git epic sync` again"
    ))
}

/// The ticket files of the remote's definition (`theirs`) written into `dir` where this
/// machine did not change them since the last sync (`last`); one changed on both sides is
/// kept as it is here and reported. What to publish: ours, with theirs taken.
fn take_ticket_files(
    dir: &Path,
    local: &Meta,
    theirs: Option<&Meta>,
    last: Option<&Meta>,
    report: &mut SyncReport,
) -> Result<Meta> {
    let mut publish = local.clone();
    report.tickets_in.clear();
    report.tickets_conflict.clear();
    let Some(theirs) = theirs else {
        return Ok(publish);
    };
    for (file, text) in &theirs.tickets {
        let mine = local.tickets.get(file);
        let before = last.and_then(|m| m.tickets.get(file));
        if mine == Some(text) {
            continue;
        }
        let id = file.trim_end_matches(".md").to_owned();
        if mine.is_none() || mine == before {
            std::fs::create_dir_all(dir)?;
            std::fs::write(dir.join(file), text)?;
            publish.tickets.insert(file.clone(), text.clone());
            report.tickets_in.push(id);
        } else if before != Some(text) && before.is_some() {
            report.tickets_conflict.push(id);
            publish.tickets.insert(file.clone(), text.clone());
        }
    }
    Ok(publish)
}

/// Adopt epic `name` published on `remote`: its config, ticket files, branch and notes.
pub fn join(root: &Path, repo: &gix::Repository, remote: &str, name: &str) -> Result<Epic> {
    if !crate::model::epic::is_valid_id(name) {
        return Err(usage(format!(
            "The epic name `{name}` {}.",
            crate::model::epic::id_problem(name)
        )));
    }
    if Epic::load(repo, name).is_some() {
        return Err(usage(format!("An epic named `{name}` is configured here already; `git epic sync --epic {name}` brings it up to date.")));
    }
    let meta_ref = meta::remote_ref(name);
    let tracked = track(remote, name, "meta");
    let out = duct::cmd(
        "git",
        [
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            remote,
            &format!("+{meta_ref}:{tracked}"),
        ],
    )
    .dir(root)
    .env("GIT_TERMINAL_PROMPT", "0")
    .stderr_capture()
    .stdout_null()
    .unchecked()
    .run()?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        if why.contains("couldn't find remote ref") {
            return Err(usage(format!("{remote} has no epic `{name}` (no {meta_ref}); publish it with `git epic sync` from the machine that made it.")));
        }
        return Err(anyhow!("could not fetch from {remote}: {}", why.trim()));
    }
    let repo = gix::open(root)?;
    let commit =
        gitx::resolve_commit(&repo, &tracked).ok_or_else(|| anyhow!("{tracked} is missing"))?;
    let m = Meta::read(&repo, commit)
        .map_err(|e| anyhow!("the epic's definition on {remote} is refused: {e:#}"))?;
    if gitx::branch_tip(&repo, &m.epic.branch)?.is_some() {
        return Err(usage(format!(
            "A branch {} exists here already; remove or rename it to join the epic.",
            m.epic.branch
        )));
    }
    let dir = root.join(&m.epic.tasks_dir);
    for (file, text) in &m.tickets {
        if let Ok(mine) = std::fs::read_to_string(dir.join(file)) {
            if &mine != text {
                return Err(usage(format!(
                    "{} exists here with other content; move it away to join the epic.",
                    dir.join(file).display()
                )));
            }
        }
    }
    let sub = Some(name);
    gitx::set_local_config(
        &repo,
        &[
            ("epic", sub, "base", m.epic.base.clone()),
            ("epic", sub, "branch", m.epic.branch.clone()),
            ("epic", sub, "tasksDir", m.epic.tasks_dir.clone()),
            ("epic", sub, "worktreesDir", m.epic.worktrees_dir.clone()),
            ("epic", sub, "remote", remote.to_owned()),
            ("epic", None, "current", name.to_owned()),
        ],
    )?;
    std::fs::create_dir_all(&dir)?;
    for (file, text) in &m.tickets {
        std::fs::write(dir.join(file), text)?;
    }
    let wt = m
        .epic
        .worktrees_dir
        .trim_start_matches("./")
        .trim_end_matches('/');
    gitx::ensure_excluded(&repo, &format!("/{wt}/"))?;
    let _ = repo.reference(
        track(remote, name, "meta-synced").as_str(),
        commit,
        gix::refs::transaction::PreviousValue::Any,
        "git-epic: joined",
    );
    // Read again: the config just written is not in the first handle's snapshot.
    Epic::load(&gix::open(root)?, name).ok_or_else(|| anyhow!("the epic's config was not written"))
}
