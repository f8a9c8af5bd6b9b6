//! The Landlock ruleset of one run. Landlock only grants: a right on a directory holds for
//! everything beneath it, and nothing beneath can take it back. So "read everything but
//! ~/.ssh" becomes "read each entry of / but the ones on the way to ~/.ssh, and within those
//! each entry but ...", worked out when the run starts.

use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use landlock::{
    Access, AccessFs, CompatLevel, Compatible, PathBeneath, PathFd, Ruleset, RulesetAttr,
    RulesetCreatedAttr, ABI,
};

use super::Policy;
use crate::infra::error::Result;

/// Device files every program may write (the terminal, the bit bucket) and shared memory.
const DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/pts",
    "/dev/shm",
];

/// The paths to grant reading on so that everything is readable but `hide` (and what is
/// beneath it): `/`, split wherever a hidden path lies beneath. Symbolic links are left out
/// (their targets are reached through their own entries), lest one lead into a hidden dir.
pub fn read_roots(hide: &[PathBuf]) -> Vec<PathBuf> {
    let hide: Vec<&PathBuf> = hide
        .iter()
        .filter(|h| h.symlink_metadata().is_ok())
        .collect();
    let mut out = Vec::new();
    split(Path::new("/"), &hide, &mut out);
    out
}

fn split(dir: &Path, hide: &[&PathBuf], out: &mut Vec<PathBuf>) {
    if hide.iter().any(|h| h.as_path() == dir) {
        return;
    }
    if !hide.iter().any(|h| h.starts_with(dir)) {
        out.push(dir.to_owned());
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if e.file_type().is_ok_and(|t| t.is_symlink()) {
            continue;
        }
        split(&path, hide, out);
    }
}

/// A ruleset made in the supervisor, applied in the agent's process just before it starts
/// the agent's program.
pub struct Confinement {
    fd: OwnedFd,
}

fn rule(
    path: &Path,
    access: landlock::BitFlags<AccessFs>,
    abi: ABI,
) -> Option<PathBeneath<PathFd>> {
    let fd = PathFd::new(path).ok()?;
    let is_dir = path.metadata().is_ok_and(|m| m.is_dir());
    let access = if is_dir {
        access
    } else {
        access & AccessFs::from_file(abi)
    };
    Some(PathBeneath::new(fd, access))
}

impl Confinement {
    /// The ruleset of `policy` with `tmp` as the run's temporary dir, for Landlock `abi`.
    pub fn build(policy: &Policy, tmp: &Path, abi: i32) -> Result<Confinement> {
        let abi = ABI::from(abi);
        let all = AccessFs::from_all(abi);
        let read = AccessFs::from_read(abi);
        let mut created = Ruleset::default()
            .set_compatibility(CompatLevel::HardRequirement)
            .handle_access(all)
            .context("Landlock refused the access rights")?
            .create()
            .context("could not create the Landlock ruleset")?
            .set_compatibility(CompatLevel::BestEffort);
        let mut rules: Vec<PathBeneath<PathFd>> = Vec::new();
        rules.extend(
            read_roots(&policy.hide)
                .iter()
                .filter_map(|p| rule(p, read, abi)),
        );
        let writable = policy.write.iter().map(PathBuf::as_path).chain([tmp]);
        rules.extend(writable.filter_map(|p| rule(p, all, abi)));
        let device = read | AccessFs::WriteFile | AccessFs::Truncate | AccessFs::IoctlDev;
        rules.extend(DEVICES.iter().filter_map(|d| {
            let shm = *d == "/dev/shm";
            rule(Path::new(d), if shm { all } else { device }, abi)
        }));
        for r in rules {
            created = created
                .add_rule(r)
                .context("could not add a Landlock rule")?;
        }
        let fd: Option<OwnedFd> = created.into();
        Ok(Confinement {
            fd: fd.context("Landlock is not enforced by this kernel")?,
        })
    }

    /// Make `cmd` confine itself just before it runs its program. Only system calls run in
    /// the child (after fork, before exec): nothing there allocates or locks.
    pub fn apply_to(&self, cmd: &mut std::process::Command) {
        let fd = self.fd.as_raw_fd();
        // SAFETY: prctl and landlock_restrict_self are async-signal-safe system calls on a
        // descriptor that this process owns until the command has started.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::syscall(libc::SYS_landlock_restrict_self, fd, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_roots_leave_out_hidden_dirs_and_keep_their_siblings() {
        let t = tempfile::tempdir().unwrap();
        let home = std::fs::canonicalize(t.path()).unwrap();
        for d in [".ssh", ".config/gh", ".config/other", "code"] {
            std::fs::create_dir_all(home.join(d)).unwrap();
        }
        std::fs::write(home.join(".netrc"), "x").unwrap();
        std::os::unix::fs::symlink(home.join(".ssh"), home.join("link")).unwrap();
        let roots = read_roots(&[
            home.join(".ssh"),
            home.join(".config/gh"),
            home.join(".netrc"),
            home.join(".missing"),
        ]);
        for kept in [".config/other", "code"] {
            assert!(roots.contains(&home.join(kept)), "{kept}: {roots:?}");
        }
        for gone in [".ssh", ".config/gh", ".netrc", "link", ".config", ""] {
            assert!(!roots.contains(&home.join(gone)), "{gone}: {roots:?}");
        }
        assert!(!roots.iter().any(|r| home.join(".ssh").starts_with(r)));
        assert!(roots.contains(&PathBuf::from("/usr")));
    }
}
