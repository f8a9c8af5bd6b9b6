//! Carrying the ignored files a new worktree needs (`.worktreeinclude`, `epic.include`) from
//! the main checkout: each file cloned copy-on-write where the file system can (btrfs, XFS,
//! APFS), else copied; never linked, so that a change to a worktree's copy never reaches the
//! user's. Many threads, as a dependency tree is many small files.

use std::io::ErrorKind;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{anyhow, Context};

use crate::infra::error::Result;
use crate::infra::gitx;

/// The file at the top of the main checkout that lists what to carry (gitignore syntax).
pub const INCLUDE_FILE: &str = ".worktreeinclude";

/// What was carried.
#[derive(Debug, Clone, Default)]
pub struct Carried {
    pub files: usize,
    pub bytes: u64,
    /// Whether the files were cloned copy-on-write (else copied).
    pub cloned: bool,
    pub seconds: f64,
}

/// The files of `root` to carry into new worktrees, relative to `root`.
pub fn select(root: &Path, globs: &[String]) -> Result<Vec<String>> {
    let file = root.join(INCLUDE_FILE);
    let file = file.is_file().then_some(file.as_path());
    gitx::ignored_matching(root, file, globs)
}

/// Copy `files` (relative paths) from `root` into `wt`. A file already in `wt` is replaced:
/// it can only be one an earlier carry, cut off, left there.
pub fn carry(root: &Path, wt: &Path, files: &[String]) -> Result<Carried> {
    let t = Instant::now();
    let mut dirs: Vec<&str> = files
        .iter()
        .filter_map(|f| f.rsplit_once('/').map(|(d, _)| d))
        .collect();
    dirs.dedup();
    for d in dirs {
        let dir = wt.join(d);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
    }
    let next = AtomicUsize::new(0);
    let bytes = AtomicU64::new(0);
    // Tried on the first file; a file system that cannot clone is not asked again.
    let cow = AtomicBool::new(true);
    let cloned = AtomicBool::new(false);
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get() * 2)
        .clamp(2, 16)
        .min(files.len().max(1));
    const BATCH: usize = 64;
    let failed: Vec<anyhow::Error> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| -> Result<()> {
                    loop {
                        let start = next.fetch_add(BATCH, Ordering::Relaxed);
                        let Some(batch) = files.get(start..(start + BATCH).min(files.len())) else {
                            return Ok(());
                        };
                        for f in batch {
                            let n = copy_one(&root.join(f), &wt.join(f), &cow, &cloned)
                                .with_context(|| format!("could not carry {f}"))?;
                            bytes.fetch_add(n, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .filter_map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(anyhow!("a copy panicked")))
                    .err()
            })
            .collect()
    });
    if let Some(e) = failed.into_iter().next() {
        return Err(e);
    }
    Ok(Carried {
        files: files.len(),
        bytes: bytes.into_inner(),
        cloned: cloned.into_inner(),
        seconds: t.elapsed().as_secs_f64(),
    })
}

/// Copy one file (a symbolic link stays a link with the same target, as in the source);
/// its size.
fn copy_one(from: &Path, to: &Path, cow: &AtomicBool, cloned: &AtomicBool) -> Result<u64> {
    let meta = match std::fs::symlink_metadata(from) {
        Ok(m) => m,
        // Gone since it was listed (a build running in the main checkout): nothing to carry.
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e.into()),
    };
    for again in [false, true] {
        let made = if meta.file_type().is_symlink() {
            std::fs::read_link(from).and_then(|target| symlink(&target, to))
        } else if cow.load(Ordering::Relaxed) {
            match reflink_copy::reflink(from, to) {
                Ok(()) => {
                    cloned.store(true, Ordering::Relaxed);
                    Ok(())
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(e),
                Err(_) => {
                    cow.store(false, Ordering::Relaxed);
                    plain_copy(from, to, &meta)
                }
            }
        } else {
            plain_copy(from, to, &meta)
        };
        match made {
            Ok(()) => return Ok(meta.len()),
            // Left by a carry cut off: replaced.
            Err(e) if e.kind() == ErrorKind::AlreadyExists && !again => {
                std::fs::remove_file(to)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("the second try returns")
}

/// A new file with the content and mode (less the umask, as `cp` does) of `from`; the
/// kernel copies the bytes.
fn plain_copy(from: &Path, to: &Path, meta: &std::fs::Metadata) -> std::io::Result<()> {
    let mut src = std::fs::File::open(from)?;
    let mut new = std::fs::OpenOptions::new();
    new.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(
        &mut new,
        std::os::unix::fs::PermissionsExt::mode(&meta.permissions()),
    );
    #[cfg(not(unix))]
    let _ = meta;
    let mut dst = new.open(to)?;
    // Most carried files are small: one read and one write, without the kernel copy's own
    // look at both files (a dependency tree is tens of thousands of them).
    let len = meta.len();
    if len <= SMALL {
        let mut buf = vec![0; len as usize];
        if std::io::Read::read_exact(&mut src, &mut buf).is_ok() {
            return std::io::Write::write_all(&mut dst, &buf);
        }
        // Changed since it was listed: copied as it is now.
        std::io::Seek::rewind(&mut src)?;
        dst.set_len(0)?;
    }
    std::io::copy(&mut src, &mut dst)?;
    Ok(())
}

/// Files up to this size are read and written whole.
const SMALL: u64 = 256 * 1024;

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(_target: &Path, _link: &Path) -> std::io::Result<()> {
    Err(std::io::Error::new(
        ErrorKind::Unsupported,
        "symbolic links are carried on unix only",
    ))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn copies_keep_content_mode_and_links_and_a_second_carry_replaces_half_files() {
        let from = tempfile::tempdir().unwrap();
        let to = tempfile::tempdir().unwrap();
        let bin = from.path().join("node_modules/.bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(from.path().join("node_modules/tool")).unwrap();
        let tool = from.path().join("node_modules/tool/cli.js");
        std::fs::write(&tool, "#!/usr/bin/env node\n").unwrap();
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::symlink("../tool/cli.js", bin.join("tool")).unwrap();
        let files: Vec<String> = ["node_modules/.bin/tool", "node_modules/tool/cli.js"]
            .map(str::to_owned)
            .to_vec();
        let c = carry(from.path(), to.path(), &files).unwrap();
        assert_eq!(c.files, 2);
        let copied = to.path().join("node_modules/tool/cli.js");
        assert_eq!(
            std::fs::read_to_string(&copied).unwrap(),
            "#!/usr/bin/env node\n"
        );
        let mode = std::fs::metadata(&copied).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "still executable: {mode:o}");
        let link = to.path().join("node_modules/.bin/tool");
        assert_eq!(
            std::fs::read_link(&link).unwrap(),
            Path::new("../tool/cli.js")
        );
        // Not a link to the user's file: changing the copy leaves it alone.
        std::fs::write(&copied, "changed").unwrap();
        assert_eq!(
            std::fs::read_to_string(&tool).unwrap(),
            "#!/usr/bin/env node\n"
        );
        // A carry cut off left a half-written file: the next one replaces it.
        std::fs::write(&copied, "#!").unwrap();
        carry(from.path(), to.path(), &files).unwrap();
        assert_eq!(
            std::fs::read_to_string(&copied).unwrap(),
            "#!/usr/bin/env node\n"
        );
    }
}
