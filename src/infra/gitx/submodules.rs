//! What a new worktree needs that `git worktree add` does not give it: its submodules,
//! checked out from the main checkout's copies (no network when they have the commit), and
//! the list of ignored files to carry over from the main checkout.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::anyhow;
use gix::ObjectId;

use super::git;
use crate::infra::error::Result;

/// Local clones and fetches are "file" transport, which git refuses in submodule commands
/// unless allowed (CVE-2022-39253); the sources here are the user's own checkouts.
const FILE_OK: &str = "protocol.file.allow=always";

/// Which submodules already checked out are put on the commit the tree records.
#[derive(Debug, Clone, Copy)]
pub enum Follow {
    /// Every one: a worktree git-epic has just made, or a scratch one of its own.
    All,
    /// None (only missing ones are made): what is there may be someone's work.
    Missing,
    /// Those still on the commit the worktree's tree recorded at this earlier commit (before
    /// a rebase): an agent did not move them.
    Unmoved(ObjectId),
}

/// Check out the submodules of worktree `wt` at the commits its index records, recursively,
/// from the same submodules of `source` (the main checkout) when those have the commits,
/// else from their URL; `follow` says which of those already there move. An error names
/// the submodule. How many submodules there are.
pub fn checkout_submodules(source: &Path, wt: &Path, follow: Follow) -> Result<usize> {
    if !wt.join(".gitmodules").is_file() {
        return Ok(0);
    }
    let links = gitlinks(wt)?;
    if links.is_empty() {
        return Ok(0);
    }
    let names = names_by_path(wt)?;
    let mut done = 0;
    for (path, commit) in links {
        let name = names.get(&path).ok_or_else(|| {
            anyhow!("submodule {path} is recorded in the tree but has no entry in .gitmodules")
        })?;
        let (src, dst) = (source.join(&path), wt.join(&path));
        let src = usable(&src).then_some(src.as_path());
        let inner = match head_of(&dst) {
            Some(head) if head == commit => follow_inside(follow),
            Some(head) if moves(follow, wt, &path, head) => {
                move_to(src, &dst, commit).map_err(|e| cannot(&path, commit, &format!("{e:#}")))?;
                Follow::All
            }
            Some(_) => Follow::Missing,
            None => {
                clone(src, wt, &path, name, commit)?;
                Follow::All
            }
        };
        done += 1 + checkout_submodules(&source.join(&path), &dst, inner)
            .map_err(|e| anyhow!("in submodule {path}: {e:#}"))?;
    }
    Ok(done)
}

/// How the submodules of a submodule left on its commit follow.
fn follow_inside(follow: Follow) -> Follow {
    match follow {
        Follow::All => Follow::All,
        // Its own tree did not change: nothing inside moved with the rebase.
        Follow::Missing | Follow::Unmoved(_) => Follow::Missing,
    }
}

/// Whether the submodule at `path` of `wt`, checked out at `head`, is to move.
fn moves(follow: Follow, wt: &Path, path: &str, head: ObjectId) -> bool {
    match follow {
        Follow::All => true,
        Follow::Missing => false,
        Follow::Unmoved(before) => recorded_at(wt, before, path) == Some(head),
    }
}

/// The commit recorded for submodule `path` in the tree of commit `at`.
fn recorded_at(wt: &Path, at: ObjectId, path: &str) -> Option<ObjectId> {
    let repo = gix::open(wt).ok()?;
    let tree = repo.find_commit(at).ok()?.tree().ok()?;
    let entry = tree.lookup_entry_by_path(path).ok()??;
    entry.mode().is_commit().then(|| entry.object_id())
}

fn cannot(path: &str, commit: ObjectId, why: &str) -> anyhow::Error {
    anyhow!(
        "submodule {path} could not be checked out at {}: {why}",
        commit.to_hex_with_len(8)
    )
}

/// A checkout whose HEAD resolves.
fn usable(dir: &Path) -> bool {
    head_of(dir).is_some()
}

fn head_of(dir: &Path) -> Option<ObjectId> {
    if !dir.join(".git").exists() {
        return None;
    }
    gix::open(dir).ok()?.head_id().ok().map(gix::Id::detach)
}

/// Clone submodule `path` of `wt`: from the main checkout's copy `src` when it has the
/// commit (the clone then points at the real URL, as a clone from it would), else from its
/// URL. What a killed clone left is removed first.
fn clone(src: Option<&Path>, wt: &Path, path: &str, name: &str, commit: ObjectId) -> Result<()> {
    let dst = wt.join(path);
    let module_dir = git(wt, &["rev-parse", "--git-path", &format!("modules/{name}")])?;
    let module_dir = wt.join(module_dir);
    if module_dir.exists() {
        std::fs::remove_dir_all(&module_dir)?;
    }
    if dst.exists() {
        std::fs::remove_dir_all(&dst)?;
    }
    let url_key = format!("submodule.{name}.url");
    let mut local_failed = None;
    if let Some(src) = src.filter(|s| has_commit(s, commit)) {
        let over = format!("{url_key}={}", src.display());
        let args = [
            "-c",
            FILE_OK,
            "-c",
            &over,
            "submodule",
            "update",
            "--init",
            "--quiet",
            "--",
            path,
        ];
        match git(wt, &args) {
            Ok(_) => {
                // Later fetches there go where the main checkout's go.
                let url = git(wt, &["config", "--get", &url_key])
                    .or_else(|_| git(src, &["remote", "get-url", "origin"]));
                if let Some(url) = url.ok().filter(|u| !u.trim().is_empty()) {
                    let _ = git(&dst, &["remote", "set-url", "origin", url.trim()]);
                }
                return Ok(());
            }
            Err(e) => local_failed = Some(format!("{e:#}")),
        }
    }
    let args = ["submodule", "update", "--init", "--quiet", "--", path];
    unattended(wt, &args).map(drop).map_err(|e| {
        let why = match (src, local_failed) {
            (_, Some(local)) => local,
            (None, None) => format!("the main checkout does not have it, and {e:#}"),
            (Some(_), None) => {
                format!("the main checkout's copy does not have that commit, and {e:#}")
            }
        };
        cannot(path, commit, &why)
    })
}

/// A git command that may reach the network, run where no one can answer a prompt (a
/// background thread): a credential prompt fails at once instead of waiting forever.
fn unattended(dir: &Path, args: &[&str]) -> Result<String> {
    let out = duct::cmd("git", args)
        .dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin_null()
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(anyhow!("git {} failed: {}", args.join(" "), stderr.trim()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
}

fn has_commit(repo: &Path, commit: ObjectId) -> bool {
    gix::open(repo).is_ok_and(|r| r.find_commit(commit).is_ok())
}

/// Put the existing submodule checkout `dst` on `commit`, fetching it from the main
/// checkout's copy when it lacks it, else from its own remote.
fn move_to(src: Option<&Path>, dst: &Path, commit: ObjectId) -> Result<()> {
    let hex = commit.to_string();
    if !has_commit(dst, commit) {
        let fetched = src
            .filter(|s| has_commit(s, commit))
            .map(|s| {
                git(
                    dst,
                    &[
                        "-c",
                        FILE_OK,
                        "fetch",
                        "--quiet",
                        &s.to_string_lossy(),
                        &hex,
                    ],
                )
            })
            .is_some_and(|r| r.is_ok());
        if !fetched {
            unattended(dst, &["fetch", "--quiet", "origin", &hex])?;
        }
    }
    git(dst, &["checkout", "--quiet", "--force", "--detach", &hex])?;
    Ok(())
}

/// The submodule entries of the index of `wt`: (path, commit).
fn gitlinks(wt: &Path) -> Result<Vec<(String, ObjectId)>> {
    let repo = gix::open(wt)?;
    let index = repo.index_or_empty()?;
    Ok(index
        .entries()
        .iter()
        .filter(|e| e.mode == gix::index::entry::Mode::COMMIT)
        .map(|e| (e.path(&index).to_string(), e.id))
        .collect())
}

/// Submodule names by path, from `.gitmodules`.
fn names_by_path(wt: &Path) -> Result<HashMap<String, String>> {
    let out = git(
        wt,
        &[
            "config",
            "--file",
            ".gitmodules",
            "--null",
            "--get-regexp",
            r"^submodule\..*\.path$",
        ],
    )
    .unwrap_or_default();
    Ok(out
        .split('\0')
        .filter_map(|entry| {
            let (key, path) = entry.split_once('\n')?;
            let name = key.strip_prefix("submodule.")?.strip_suffix(".path")?;
            Some((path.to_owned(), name.to_owned()))
        })
        .collect())
}

/// The populated submodules of worktree `wt` (recursively) whose checked-out commit exists
/// nowhere but there: not in the main checkout `source`'s copy, nor on a remote-tracking
/// branch of its own. Removing the worktree would lose them.
pub fn commits_only_in(source: &Path, wt: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    if !wt.join(".gitmodules").is_file() {
        return Ok(out);
    }
    for (path, _) in gitlinks(wt)? {
        let dst = wt.join(&path);
        let Some(head) = head_of(&dst) else { continue };
        let src = source.join(&path);
        let pushed = git(
            &dst,
            &["branch", "--remotes", "--contains", &head.to_string()],
        )
        .is_ok_and(|s| !s.trim().is_empty());
        if !has_commit(&src, head) && !pushed {
            out.push(format!("{path} ({})", head.to_hex_with_len(8)));
        }
        let nested = commits_only_in(&src, &dst)?;
        out.extend(nested.into_iter().map(|p| format!("{path}/{p}")));
    }
    Ok(out)
}

/// The ignored, untracked files of the checkout at `root` that match the gitignore-style
/// patterns of `include_file` (`.worktreeinclude`) or `globs` (`epic.include`): what a new
/// worktree is given. Tracked files never are; git itself decides what is ignored.
pub fn ignored_matching(
    root: &Path,
    include_file: Option<&Path>,
    globs: &[String],
) -> Result<Vec<String>> {
    if include_file.is_none() && globs.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = vec![
        "ls-files".to_owned(),
        "-z".into(),
        "--others".into(),
        "--ignored".into(),
    ];
    if let Some(f) = include_file {
        args.push(format!("--exclude-from={}", f.display()));
    }
    args.extend(globs.iter().map(|g| format!("--exclude={g}")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let matching = git(root, &args)?;
    // What .gitignore and the other standard sources ignore, whole directories in one line.
    let ignored = git(
        root,
        &[
            "ls-files",
            "-z",
            "--others",
            "--ignored",
            "--exclude-standard",
            "--directory",
        ],
    )?;
    let ignored: HashSet<&str> = ignored
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('/'))
        .collect();
    let is_ignored = |p: &str| {
        ignored.contains(p) || p.match_indices('/').any(|(i, _)| ignored.contains(&p[..i]))
    };
    Ok(matching
        .split('\0')
        .filter(|p| !p.is_empty() && is_ignored(p))
        .map(str::to_owned)
        .collect())
}
