//! Who this machine is, for the notes: a **machine id**, this clone's identity in claims,
//! leases, note ownership and cooldowns, and a **host name**, the label people read.
//!
//! A host name is not an identity: clones on one laptop, containers, VMs and CI runners
//! repeat them, and clones that trusted it took each other's claims for their own. The
//! machine id is random, made the first time a repository takes part in a shared epic, and
//! kept in its local config (`epic.machineId` in the common git dir, which `git clone` never
//! copies), so every clone has its own and the linked worktrees of one clone share it. Two
//! orchestrators in one clone share it too: they coordinate through the local locks and pids.

use std::sync::OnceLock;

use crate::infra::error::Result;

static THIS_HOST: OnceLock<String> = OnceLock::new();
static THIS_MACHINE: OnceLock<Option<String>> = OnceLock::new();

/// The config key of the machine id (local config only).
pub const MACHINE_ID_KEY: &str = "epic.machineId";

/// This machine's label, as [`open`] found it for the epic this process works on (the
/// system's host name until a workspace is opened).
pub fn this_host() -> &'static str {
    // Not frozen before `open`, which must be able to set `epic.hostName`'s.
    match THIS_HOST.get() {
        Some(h) => h,
        None => {
            static SYSTEM: OnceLock<String> = OnceLock::new();
            SYSTEM.get_or_init(system_host_name)
        }
    }
}

/// This clone's machine id, once [`open`] has read or made it; `None` for a repository that
/// never took part in a shared epic (its notes then name only the host, as before).
pub fn this_machine() -> Option<&'static str> {
    THIS_MACHINE.get().and_then(|m| m.as_deref())
}

/// Read who this process is for `epic` of `repo`: the label, and the machine id (made now
/// when `shared` and there is none yet). The first call of a process decides.
pub fn open(repo: &gix::Repository, epic: &str, shared: bool) -> Result<()> {
    let _ = THIS_HOST.set(host_name(repo, epic));
    if THIS_MACHINE.get().is_none() {
        let id = match machine_id(repo) {
            Some(id) => Some(id),
            None if shared => Some(make_machine_id(repo)?),
            None => None,
        };
        let _ = THIS_MACHINE.set(id);
    }
    Ok(())
}

/// This machine's label in the notes: `epic.hostName`, else the host name.
pub fn host_name(repo: &gix::Repository, epic: &str) -> String {
    crate::infra::config::lookup(&repo.config_snapshot(), epic, "hostName")
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(system_host_name)
}

/// The machine id in the repository's own config, if it has one. Only the local file counts:
/// an id in the global config would be shared by every clone of the user.
pub fn machine_id(repo: &gix::Repository) -> Option<String> {
    let file = gix::config::File::from_path_no_includes(
        repo.common_dir().join("config"),
        gix::config::Source::Local,
    )
    .ok()?;
    file.string(MACHINE_ID_KEY)
        .map(|v| v.to_string().trim().to_owned())
        .filter(|v| is_valid_machine_id(v))
}

/// A machine id is what [`make_machine_id`] makes: 12 to 64 lowercase hex digits.
pub fn is_valid_machine_id(id: &str) -> bool {
    (12..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Make this clone's machine id, once: two processes that start at once agree on one (the
/// second finds the first's under the lock).
fn make_machine_id(repo: &gix::Repository) -> Result<String> {
    let lock_path = repo.common_dir().join("epic-machine-id.lock");
    let lock = std::fs::File::create(&lock_path)?;
    lock.lock()?;
    if let Some(id) = machine_id(repo) {
        return Ok(id);
    }
    let id = random_hex(6);
    crate::infra::gitx::set_local_config(repo, &[("epic", None, "machineId", id.clone())])?;
    Ok(id)
}

/// `bytes` random bytes from the kernel, in hex.
fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    let mut filled = 0;
    while filled < bytes {
        // SAFETY: the pointer and length describe the unfilled rest of `buf`.
        let n = unsafe { libc::getrandom(buf[filled..].as_mut_ptr().cast(), bytes - filled, 0) };
        if n <= 0 {
            // No getrandom: the time and the pid still tell two clones apart.
            let t = crate::infra::clock::now().to_bits() ^ u64::from(std::process::id()) << 40;
            return format!("{t:016x}")[..bytes * 2].to_owned();
        }
        filled += n as usize;
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

fn system_host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let name = if ok {
        let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        String::new()
    };
    if name.is_empty() {
        "localhost".into()
    } else {
        name
    }
}
