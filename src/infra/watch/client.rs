//! What `status` asks the watcher and tells it back; the watcher is started on the first
//! ask that finds none.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Known, Posted, Reply, Request};

/// One exchange with the watcher: what it knew when asked, and where to tell it more.
pub struct Session {
    socket: PathBuf,
    /// One per worktree asked, in order; `None`: read it, and tell nothing.
    pub known: Vec<Option<Known>>,
}

/// Ask the watcher of the repository whose common git dir is `common_dir` about
/// `worktrees`. Without a watcher, start one (it watches them from now on) and return
/// `None`: this call reads everything itself. `None` too where there can be no watcher.
pub fn query(common_dir: &Path, worktrees: &[PathBuf]) -> Option<Session> {
    // The protocol is JSON: a path that is not UTF-8 could not be named in it.
    if worktrees.iter().any(|p| p.to_str().is_none()) {
        return None;
    }
    let socket = super::socket_path(common_dir)?;
    let request = Request::Query {
        worktrees: worktrees.to_vec(),
    };
    let Some(stream) = send(&socket, &request) else {
        start(&socket, common_dir, worktrees);
        return None;
    };
    let reply = answer(stream).filter(|r| r.known.len() == worktrees.len());
    if reply.is_none() {
        // A watcher that does not answer in time, or answers nonsense, would slow every
        // call: without its socket it leaves, and the next call starts a new one.
        let _ = std::fs::remove_file(&socket);
    }
    Some(Session {
        socket,
        known: reply?.known,
    })
}

impl Session {
    /// Tell the watcher what was read (best effort: a watcher gone meanwhile only means the
    /// next call reads again).
    pub fn post(&self, results: Vec<Posted>) {
        if !results.is_empty() {
            let _ = send(&self.socket, &Request::Post { results });
        }
    }
}

fn send(socket: &Path, request: &Request) -> Option<UnixStream> {
    let mut stream = UnixStream::connect(socket).ok()?;
    stream
        .set_write_timeout(Some(Duration::from_secs(2)))
        .ok()?;
    let mut line = serde_json::to_vec(request).ok()?;
    line.push(b'\n');
    stream.write_all(&line).ok()?;
    Some(stream)
}

fn answer(stream: UnixStream) -> Option<Reply> {
    // The watcher answers once its events have caught up with the request (a cookie):
    // milliseconds, and a second at most before it says it knows nothing.
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line).ok()?;
    serde_json::from_str(&line).ok()
}

/// Start `git-epic __watch` for the repository, detached: its own process group, no
/// terminal, no inherited output (a caller reading this process's output must not wait for
/// the watcher), the root as its directory.
fn start(socket: &Path, common_dir: &Path, worktrees: &[PathBuf]) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        use std::process::{Command, Stdio};
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let mut child = Command::new(exe);
        child
            .arg("__watch")
            .arg("--socket")
            .arg(socket)
            .arg("--common-dir")
            .arg(common_dir)
            .arg("--")
            .args(worktrees)
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        // Nor any other descriptor this process was given: a caller waiting for a pipe it
        // passed down to close would wait for the watcher to leave.
        // SAFETY: close_range is async-signal-safe; it allocates nothing.
        let child = unsafe {
            child.pre_exec(|| {
                libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
                Ok(())
            })
        }
        .spawn();
        // Reaped when it ends, should this process live that long (the dashboard does).
        if let Ok(mut child) = child {
            std::thread::spawn(move || child.wait());
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (socket, common_dir, worktrees);
}
