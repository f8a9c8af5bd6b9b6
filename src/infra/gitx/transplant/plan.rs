//! What an in-process rebase changes in the worktree, and whether it may: the files to
//! write and remove, nothing in the way, nothing edited since the worktree was checked.

use std::path::Path;

use gix::bstr::{BStr, BString, ByteSlice};
use gix::object::tree::EntryKind;
use gix::ObjectId;

use super::Change;

/// What changes in the worktree: the entries to write, the paths to remove.
pub(super) struct Plan {
    pub(super) write: Vec<(BString, gix::index::entry::Mode, ObjectId)>,
    pub(super) remove: Vec<BString>,
}

/// Whether every file the plan writes or removes is as the index recorded it (same size
/// and modification time), and nothing has appeared where it creates one.
pub(super) fn untouched(workdir: &Path, index: &gix::index::File, plan: &Plan) -> bool {
    use std::os::unix::fs::MetadataExt;
    let paths = plan.write.iter().map(|(p, _, _)| p).chain(&plan.remove);
    paths.into_iter().all(|path| {
        let on_disk = std::fs::symlink_metadata(workdir.join(path.to_path_lossy()));
        match (index.entry_by_path(path.as_bstr()), on_disk) {
            (None, Err(_)) => true,
            (None, Ok(_)) => false,
            (Some(_), Err(_)) => false,
            (Some(e), Ok(m)) => {
                let t = e.stat.mtime;
                m.size() as u32 == e.stat.size
                    && m.mtime() as u32 == t.secs
                    && (t.nsecs == 0 || m.mtime_nsec() as u32 == t.nsecs)
            }
        }
    })
}

/// Whether something is where a rebase would create `path`: the path itself, or a file or a
/// symlink where one of its parent directories must go (checking out would replace it, where
/// git rebase refuses).
fn in_the_way(workdir: &Path, path: &Path) -> bool {
    let mut at = workdir.to_path_buf();
    let parts: Vec<_> = path.components().collect();
    for (i, part) in parts.iter().enumerate() {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Err(_) => return false,
            Ok(m) if i + 1 == parts.len() || !m.is_dir() => return true,
            Ok(_) => {}
        }
    }
    false
}

/// Sort the changes from the old tip to the new into files to write and to remove;
/// declined when a file is in the way or a kind of change is better left to git.
pub(super) fn plan(changes: &[Change], workdir: &Path) -> std::result::Result<Plan, &'static str> {
    use gix::index::entry::Mode;
    let (mut write, mut remove) = (Vec::new(), Vec::new());
    for c in changes {
        let odd = |p: &BStr| p.ends_with(b".gitattributes") || p.ends_with(b".gitmodules");
        if odd(c.path.as_bstr()) {
            return Err("a changed .gitattributes or .gitmodules");
        }
        let mode = |k: EntryKind| match k {
            EntryKind::Blob => Ok(Mode::FILE),
            EntryKind::BlobExecutable => Ok(Mode::FILE_EXECUTABLE),
            EntryKind::Link => Ok(Mode::SYMLINK),
            EntryKind::Commit | EntryKind::Tree => Err("a submodule"),
        };
        if let Some((k, _)) = c.old {
            mode(k)?;
        }
        match c.new {
            Some((k, id)) => {
                // Created by the rebase: nothing may be there yet (not even an ignored file).
                if c.old.is_none() && in_the_way(workdir, &c.path.to_path_lossy()) {
                    return Err("an untracked file is in the way");
                }
                write.push((c.path.clone(), mode(k)?, id));
            }
            None => remove.push(c.path.clone()),
        }
    }
    // A file that becomes a directory or the other way round.
    let under =
        |dir: &BStr, p: &BStr| p.len() > dir.len() && p.starts_with(dir) && p[dir.len()] == b'/';
    if remove.iter().any(|r| {
        write
            .iter()
            .any(|(w, _, _)| under(r.as_bstr(), w.as_bstr()) || under(w.as_bstr(), r.as_bstr()))
    }) {
        return Err("a file that becomes a directory");
    }
    write.sort();
    Ok(Plan { write, remove })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn a_file_or_symlink_where_a_parent_directory_goes_is_in_the_way() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("file"), "x").unwrap();
        std::fs::create_dir(root.join("dir")).unwrap();
        std::os::unix::fs::symlink("/tmp", root.join("link")).unwrap();
        std::fs::write(root.join("dir/there"), "x").unwrap();
        let way = |p: &str| super::in_the_way(root, Path::new(p));
        assert!(way("file/new.txt"));
        assert!(way("link/new.txt"));
        assert!(way("dir/there"));
        assert!(!way("dir/new.txt"));
        assert!(!way("none/deeper/new.txt"));
    }

    #[test]
    fn a_file_edited_since_the_index_was_written_is_not_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let git = |args: &[&str]| {
            let ok = std::process::Command::new("git")
                .args(args)
                .current_dir(root)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .status()
                .unwrap()
                .success();
            assert!(ok, "git {args:?}");
        };
        git(&["init", "-q"]);
        std::fs::write(root.join("a.txt"), "a\n").unwrap();
        git(&["add", "a.txt"]);
        let repo = gix::open(root).unwrap();
        let index = repo.open_index().unwrap();
        let id = gix::ObjectId::null(gix::hash::Kind::Sha1);
        let mode = gix::index::entry::Mode::FILE;
        let plan = |write: &[&str], remove: &[&str]| super::Plan {
            write: write.iter().map(|p| ((*p).into(), mode, id)).collect(),
            remove: remove.iter().map(|p| (*p).into()).collect(),
        };
        assert!(super::untouched(
            root,
            &index,
            &plan(&["a.txt", "new.txt"], &[])
        ));
        std::fs::write(root.join("new.txt"), "appeared\n").unwrap();
        assert!(!super::untouched(root, &index, &plan(&["new.txt"], &[])));
        std::fs::write(root.join("a.txt"), "a, edited\n").unwrap();
        assert!(!super::untouched(root, &index, &plan(&[], &["a.txt"])));
        assert!(!super::untouched(root, &index, &plan(&["a.txt"], &[])));
    }
}
