//! A full disk and a read-only `.git` while running: a clear error, nothing half-done that
//! the next run cannot pick up. The repository lives on a small tmpfs of the test's own
//! (mounting needs root, as in CI; elsewhere the test says why it skips).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{agent, Repo};

struct Mount(PathBuf);

impl Mount {
    fn new(dir: &Path, size: &str) -> Option<Mount> {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .ok()?;
        if !out.status.success() {
            eprintln!(
                "SKIPPED: cannot mount a tmpfs here ({}): the full-disk test needs root",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            return None;
        }
        Some(Mount(dir.to_owned()))
    }

    fn remount(&self, how: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,{how}")])
            .arg(&self.0)
            .status()
            .unwrap()
            .success();
        assert!(ok, "remount {how}");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fill the file system under `dir` to the last byte.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 64 * 1024];
    while std::io::Write::write_all(&mut f, &block).is_ok() {}
    let small = [0u8; 512];
    while std::io::Write::write_all(&mut f, &small).is_ok() {}
    path
}

fn first_error(stderr: &str) -> &str {
    stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or("")
}

#[test]
fn a_full_disk_or_a_read_only_git_dir_ends_clearly_and_the_next_run_recovers() {
    let outer = tempfile::tempdir().unwrap();
    let Some(mount) = Mount::new(&outer.path().join("mnt"), "24m") else {
        return;
    };
    let r = Repo::new_in(&mount.0);
    r.epic(&["init", "e"]).ok();
    r.git(&["config", "epic.agent", &agent("commit.sh")]);
    r.git(&["config", "epic.stagger", "0"]);
    r.git(&["config", "epic.retryWait", "0"]);
    std::fs::create_dir_all(r.fake_dir()).unwrap();
    for id in ["A", "B"] {
        r.epic(&["ticket", "add", id]).ok();
    }
    r.git(&["add", "tasks"]);
    r.git(&["commit", "-q", "-m", "tickets"]);

    // Full disk.
    let filler = fill(&mount.0);
    let out = r.epic_env(&["run", "A"], &[]);
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let err = first_error(&out.stderr);
    assert!(
        err.contains("No space left") || err.contains("space"),
        "{}",
        out.stderr
    );
    std::fs::remove_file(filler).unwrap();
    r.epic_env(&["run", "A"], &[]).ok();
    assert_eq!(r.row("A")["state"], "done");
    assert!(r.status()["problems"].as_array().unwrap().is_empty());

    // The disk fills while B's agent works: the run ends with the same sentence, and the
    // next one concludes or reruns B.
    let child = r.spawn_epic(&["run", "B"], &[("FAKE_SLEEP", "1")]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while r.row("B")["state"] != "running" {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let filler = fill(&mount.0);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    std::fs::remove_file(filler).unwrap();
    r.epic_env(&["run", "B"], &[]).ok();
    assert_eq!(r.row("B")["state"], "done", "{stderr}");
    r.epic(&["ticket", "add", "C"]).ok();
    r.git(&["add", "tasks"]);
    r.git(&["commit", "-q", "-m", "C"]);

    // A read-only file system under .git.
    mount.remount("ro");
    let out = r.epic_env(&["run", "C"], &[]);
    mount.remount("rw");
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(
        first_error(&out.stderr).contains("read-only file system"),
        "{}",
        out.stderr
    );
    r.epic_env(&["run", "C"], &[]).ok();
    assert_eq!(r.row("C")["state"], "done");
    let s = r.status();
    assert!(s["problems"].as_array().unwrap().is_empty(), "{s}");
}
