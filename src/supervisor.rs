//! The supervisor of one agent run: a small `git-epic __supervise` process in a session of
//! its own, so that the agent outlives the orchestrator (a closed terminal, a `kill -9`, an
//! OOM kill). Its standard streams are the ticket's log (and the prompt file), which the agent
//! inherits; it waits for the agent and records how it ended, atomically, next to the log.
//! The orchestrator talks to it only through those files and the ticket's note, so a later
//! orchestrator can adopt a run that an earlier one started.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// How the agent of a supervised run ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExitRecord {
    /// The supervisor's pid, to tell this run's record from an older one.
    pub supervisor: u32,
    pub code: Option<i32>,
    pub signal: Option<i32>,
    /// Unix time the agent ended.
    pub ended_at: f64,
}

/// Where the exit record of the run logged in `log` goes.
pub fn record_path(log: &Path) -> PathBuf {
    let mut name = log.file_name().unwrap_or_default().to_os_string();
    name.push(".exit");
    log.with_file_name(name)
}

/// The record of the run whose supervisor was `supervisor`, if it has ended.
pub fn read_record(log: &Path, supervisor: u32) -> Option<ExitRecord> {
    let text = std::fs::read_to_string(record_path(log)).ok()?;
    let r: ExitRecord = serde_json::from_str(&text).ok()?;
    (r.supervisor == supervisor).then_some(r)
}

extern "C" fn ignore(_: libc::c_int) {}

/// `git-epic __supervise <record> -- <argv>`: run the agent and record its end. Returns the
/// supervisor's exit code (0 once the record is written).
pub fn main(record: &Path, argv: &[String]) -> i32 {
    // A signal to the group reaches the agent and this process alike: this one stays to
    // write the record. A handler (not SIG_IGN) is reset by exec, so the agent keeps the
    // default actions.
    // SAFETY: installing a handler that does nothing is async-signal-safe.
    unsafe {
        for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
            libc::signal(sig, ignore as *const () as libc::sighandler_t);
        }
    }
    let Some((program, args)) = argv.split_first() else {
        eprintln!("git-epic __supervise: no agent command");
        return 2;
    };
    let status = match std::process::Command::new(program).args(args).status() {
        Ok(s) => s,
        Err(e) => {
            // The log is this process's stderr: the reason lands where the user looks.
            eprintln!("git-epic: could not start the agent {program}: {e}");
            return write(record, Some(127), None);
        }
    };
    use std::os::unix::process::ExitStatusExt;
    write(record, status.code(), status.signal())
}

fn write(record: &Path, code: Option<i32>, signal: Option<i32>) -> i32 {
    let r = ExitRecord {
        supervisor: std::process::id(),
        code,
        signal,
        ended_at: crate::state::now(),
    };
    let tmp = record.with_extension("exit.tmp");
    let done = (|| -> std::io::Result<()> {
        let text = serde_json::to_string(&r).expect("a record serializes");
        let f = std::fs::File::create(&tmp)?;
        std::io::Write::write_all(&mut &f, text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, record)
    })();
    match done {
        Ok(()) => 0,
        Err(e) => {
            eprintln!(
                "git-epic: could not record the agent's end in {}: {e}",
                record.display()
            );
            1
        }
    }
}
