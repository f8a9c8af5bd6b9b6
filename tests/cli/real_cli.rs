//! The real agent CLIs, installed from npm at the versions pinned in
//! `tests/agents/real-clis.txt`, into a cache directory (never globally), once per machine.
//!
//! A test that needs one and cannot have it skips with the reason printed: npm missing, the
//! registry unreachable, or the disk too full. `GIT_EPIC_AGENT_CACHE` moves the cache.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Room one CLI needs in the cache, with margin (claude-code is ~400 MB unpacked).
const ROOM: u64 = 1024 * 1024 * 1024;

fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("GIT_EPIC_AGENT_CACHE") {
        return PathBuf::from(d);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("git-epic-test-agents")
}

/// `(package, version)` of CLI `name`.
pub fn pinned(name: &str) -> (String, String) {
    let list = include_str!("../agents/real-clis.txt");
    list.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|w| w.len() == 3 && w[0] == name)
        .map(|w| (w[1].to_owned(), w[2].to_owned()))
        .unwrap_or_else(|| panic!("{name} is not in tests/agents/real-clis.txt"))
}

fn free_bytes(dir: &Path) -> Option<u64> {
    let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: statvfs fills the struct we pass and reads only the C string.
    unsafe {
        let mut s: libc::statvfs = std::mem::zeroed();
        (libc::statvfs(c.as_ptr(), &mut s) == 0).then(|| s.f_bavail as u64 * s.f_frsize as u64)
    }
}

/// The path of CLI `name`'s executable, installing it first if needed; `None` (with the
/// reason printed) when it cannot be had here.
pub fn real_cli(name: &str) -> Option<PathBuf> {
    let (package, version) = pinned(name);
    let root = cache_dir();
    let prefix = root.join(format!("{name}-{version}"));
    let bin = prefix.join("node_modules/.bin").join(name);
    let skip = |why: String| {
        eprintln!("SKIPPED: the real {name} CLI ({package}@{version}) is not available: {why}");
        None
    };
    if std::fs::create_dir_all(&root).is_err() {
        return skip(format!("cannot create the cache {}", root.display()));
    }
    // One installer at a time, across test threads and processes.
    let lock = std::fs::File::create(root.join(".lock")).unwrap();
    lock.lock().unwrap();
    if bin.exists() {
        return Some(bin);
    }
    if Command::new("npm").arg("--version").output().is_err() {
        return skip("npm is not installed".into());
    }
    match free_bytes(&root) {
        Some(free) if free < ROOM => {
            return skip(format!(
                "the disk lacks room ({} MB free in {}, {} MB needed)",
                free >> 20,
                root.display(),
                ROOM >> 20
            ))
        }
        _ => {}
    }
    let out = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
        ])
        .arg(&prefix)
        .arg(format!("{package}@{version}"))
        .output();
    match out {
        Ok(o) if o.status.success() && bin.exists() => Some(bin),
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            let last = err
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            let _ = std::fs::remove_dir_all(&prefix);
            skip(format!(
                "npm could not install it (is the registry reachable?): {last}"
            ))
        }
        Err(e) => skip(format!("npm could not run: {e}")),
    }
}

/// Unix time now, in whole seconds.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A repository with `files` committed, an epic `e` whose agent is `command` (no stagger,
/// no retry wait), and tickets `ids` without dependencies, each asking for `<id>.txt`.
pub fn epic_with_agent(
    command: &str,
    ids: &[&str],
    files: &[(&str, &str)],
) -> crate::support::Repo {
    let r = crate::support::Repo::new();
    for (path, text) in files {
        r.write(path, text);
        r.git(&["add", path]);
    }
    if !files.is_empty() {
        r.git(&["commit", "-q", "-m", "files"]);
    }
    r.epic(&["init", "e"]).ok();
    r.git(&["config", "epic.agent", command]);
    r.git(&["config", "epic.stagger", "0"]);
    r.git(&["config", "epic.retryWait", "0"]);
    for id in ids {
        r.write(
            &format!("tasks/{id}.md"),
            &crate::support::ticket(&format!("title = \"{id}\""), &format!("Create {id}.txt.")),
        );
    }
    if !ids.is_empty() {
        r.git(&["add", "tasks"]);
        r.git(&["commit", "-q", "-m", "tickets"]);
    }
    r
}

/// The note of ticket `id` of epic `e`, as it is stored (its `runs` included).
pub fn note(r: &crate::support::Repo, id: &str) -> toml::Table {
    let key = r.git_stdin(
        &["hash-object", "--stdin"],
        &format!("git-epic ticket\nepic e\nticket {id}\n"),
    );
    toml::from_str(&r.git(&["notes", "--ref=epic", "show", &key])).unwrap()
}

/// A resumed run's request: the ticket in it once (from the first run), and after `first`
/// (what the first run did), why that run stopped.
pub fn continues_after(text: &str, first: &str) {
    assert_eq!(text.matches("Create A.txt.").count(), 1, "{text}");
    let why = "Your previous run on this ticket was cut short";
    let (at, then) = (text.find(first), text.find(why));
    assert!(at.is_some() && then.is_some() && at < then, "{text}");
}
