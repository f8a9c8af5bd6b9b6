//! Talking to the remote: what refs it has, fetching them into tracking refs, and the
//! atomic push with a lease on every ref.

use std::collections::HashMap;
use std::path::Path;

use anyhow::anyhow;
use gix::ObjectId;

use super::{meta, Offline, NOTES_REF};
use crate::infra::error::Result;
use crate::infra::gitx;
use crate::infra::gitx::transport::{fetch, git_remote};
use crate::model::epic::Epic;

/// One ref to push: its new value here, the remote ref, and the value the remote must still
/// have (`None`: it must not exist).
pub(super) type Update = (ObjectId, String, Option<ObjectId>);

/// The refs of `epic` the remote has, by full name; `Err(Offline)` when it cannot be reached.
pub(super) fn remote_refs(
    root: &Path,
    remote: &str,
    epic: &Epic,
    name: &str,
) -> Result<std::result::Result<HashMap<String, ObjectId>, Offline>> {
    let branch = format!("refs/heads/{}", epic.branch);
    let meta = meta::remote_ref(name);
    let machines = format!("refs/epic/{name}/machines/*");
    ls_remote(
        root,
        remote,
        &[&branch, NOTES_REF, &meta, &machines, "refs/heads/feat/*"],
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

/// How a push ended.
pub(super) enum Pushed {
    Done,
    /// A ref moved on the remote since it was fetched.
    Stale,
}

/// One atomic push of `(local value, remote ref, expected remote value)`.
pub(super) fn push(root: &Path, remote: &str, updates: &[Update]) -> Result<Pushed> {
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
    // Counted by benches/machines.sh: pushes per ticket, and those a lease refused.
    if out.status.success() {
        crate::infra::trace::trace(|| format!("push accepted: {} refs", updates.len()));
        return Ok(Pushed::Done);
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Another machine's push came first (its new value, or its lock on the ref while it
    // pushed): the caller fetches and tries again after a [`Backoff`] wait.
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
        crate::infra::trace::trace(|| format!("push refused: {} refs", updates.len()));
        return Ok(Pushed::Stale);
    }
    Err(anyhow!("git push {remote} failed: {}", text.trim()))
}

/// Waits between rounds that lost to another machine's push: exponential, with jitter, for
/// as long as the remote answers, up to a generous overall bound. A busy remote is never
/// taken for an unreachable one: only a transport error means local-only.
pub(crate) struct Backoff {
    round: u32,
    until: std::time::Instant,
}

/// How long rounds that keep losing go on before the step is given up (not taken for
/// offline: the caller tries again later).
pub(crate) const CONTENTION_BOUND: std::time::Duration = std::time::Duration::from_secs(600);

impl Backoff {
    pub(crate) fn new() -> Backoff {
        Backoff {
            round: 0,
            until: std::time::Instant::now() + CONTENTION_BOUND,
        }
    }

    /// Sleep before the next round: 20 ms doubling to 2 s, each wait somewhere between a
    /// half and one and a half of that (machines that lost together do not come back
    /// together). False once the overall bound is past.
    pub(crate) fn wait(&mut self) -> bool {
        if std::time::Instant::now() >= self.until {
            return false;
        }
        let base = 20u64 << self.round.min(7);
        let base = base.min(2_000);
        self.round += 1;
        let ms = base / 2 + random_below(base + 1);
        std::thread::sleep(std::time::Duration::from_millis(ms));
        true
    }

    /// Rounds lost so far.
    pub(crate) fn rounds(&self) -> u32 {
        self.round
    }
}

/// A number in `0..n`, random enough to spread machines apart (std's hasher keys are
/// random per process and per call).
pub(crate) fn random_below(n: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish() % n.max(1)
}
