//! The watcher process: `git-epic __watch`. One per repository (a lock next to its socket),
//! a thread per connection, one request a connection. It leaves when idle, when its
//! repository or its socket is gone, and never touches the repository.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use super::tree::Tree;
use super::{Reply, Request};
use crate::infra::error::Result;

/// Serve the repository whose common git dir is `common_dir` on `socket`, watching `first`
/// from the start, until idle for `idle` or the repository goes. Returns at once when
/// another watcher serves it.
pub fn serve(socket: &Path, common_dir: &Path, first: Vec<PathBuf>, idle: Duration) -> Result<()> {
    let lock = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(socket.with_extension("lock"))
        .with_context(|| format!("could not open the lock of {}", socket.display()))?;
    if lock.try_lock().is_err() {
        return Ok(());
    }
    let _ = std::fs::remove_file(socket);
    let listener = UnixListener::bind(socket)
        .with_context(|| format!("could not listen on {}", socket.display()))?;
    let cookies = socket.with_extension("cookies");
    let _ = std::fs::remove_dir_all(&cookies);
    std::fs::create_dir(&cookies)?;
    let (tree, inotify, walks) = Tree::new(&cookies)?;
    let tree = Arc::new(tree);
    {
        // Without its events the watcher knows nothing: it leaves rather than answer late.
        let (tree, socket, cookies) = (Arc::clone(&tree), socket.to_owned(), cookies.clone());
        std::thread::spawn(move || {
            let _ =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tree.run_events(inotify)));
            leave(&socket, &cookies, true);
        });
    }
    {
        let tree = Arc::clone(&tree);
        std::thread::spawn(move || tree.run_walks(walks));
    }
    tree.want(&first);
    let inode = socket_inode(socket);
    {
        let (tree, socket, common, cookies) = (
            Arc::clone(&tree),
            socket.to_owned(),
            common_dir.to_owned(),
            cookies.clone(),
        );
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_secs(1));
            // Replaced or removed, the socket no longer reaches this watcher: a new one
            // serves the repository.
            let mine = socket_inode(&socket) == inode;
            if tree.idle_for() > idle || !common.is_dir() || !mine {
                leave(&socket, &cookies, mine);
            }
        });
    }
    let next_cookie = Arc::new(AtomicU64::new(0));
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let (tree, cookies, next_cookie) =
            (Arc::clone(&tree), cookies.clone(), Arc::clone(&next_cookie));
        std::thread::spawn(move || {
            let _ = answer(conn, &tree, &cookies, &next_cookie);
        });
    }
    drop(lock);
    Ok(())
}

fn leave(socket: &Path, cookies: &Path, socket_is_mine: bool) -> ! {
    if socket_is_mine {
        let _ = std::fs::remove_file(socket);
    }
    let _ = std::fs::remove_dir_all(cookies);
    std::process::exit(0)
}

fn socket_inode(socket: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(socket).ok().map(|m| m.ino())
}

fn answer(
    conn: UnixStream,
    tree: &Tree,
    cookies: &Path,
    next_cookie: &AtomicU64,
) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut line = String::new();
    BufReader::new(&conn).read_line(&mut line)?;
    let request: Request = serde_json::from_str(&line).map_err(std::io::Error::other)?;
    match request {
        Request::Query { worktrees } => {
            tree.asked();
            tree.want(&worktrees);
            let n = next_cookie.fetch_add(1, Ordering::SeqCst) + 1;
            let cookie = cookies.join(format!("c{n}"));
            std::fs::File::create(&cookie)?;
            let _ = std::fs::remove_file(&cookie);
            let known = if tree.wait_for_cookie(n, Duration::from_secs(1)) {
                tree.known(&worktrees)
            } else {
                worktrees.iter().map(|_| None).collect()
            };
            let mut out = serde_json::to_vec(&Reply { known }).map_err(std::io::Error::other)?;
            out.push(b'\n');
            (&conn).write_all(&out)?;
        }
        Request::Post { results } => tree.remember(results),
    }
    Ok(())
}
