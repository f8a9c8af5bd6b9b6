//! The supervisor of one agent run: a small `git-epic __supervise` process in a session of
//! its own, so that the agent outlives the orchestrator (a closed terminal, a `kill -9`, an
//! OOM kill). Its standard streams are the ticket's log (and the prompt file), which the agent
//! inherits; it waits for the agent and records how it ended, atomically, next to the log.
//! The orchestrator talks to it only through those files and the ticket's note, so a later
//! orchestrator can adopt a run that an earlier one started.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod agent_tmp;
mod confine;

/// How the agent of a supervised run ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExitRecord {
    /// The supervisor's pid, to tell this run's record from an older one.
    pub supervisor: u32,
    pub code: Option<i32>,
    pub signal: Option<i32>,
    /// Unix time the agent ended.
    pub ended_at: f64,
    /// What the agent said the sandbox refused it (see `sandbox::refusals`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<String>,
}

/// A supervised run as it started: written by the supervisor before the agent starts, so
/// that a run whose orchestrator died before noting it is still found and adopted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartRecord {
    /// The orchestrator's id for this run (in the ticket's note too).
    pub run: String,
    pub supervisor: u32,
    pub supervisor_start: Option<u64>,
    /// Where the run's output starts in the log.
    pub offset: u64,
}

fn beside(log: &Path, suffix: &str) -> PathBuf {
    let mut name = log.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    log.with_file_name(name)
}

/// Where the exit record of the run logged in `log` goes.
pub fn record_path(log: &Path) -> PathBuf {
    beside(log, ".exit")
}

/// Where the prompt of the run logged in `log` waits, when it goes on stdin.
pub fn prompt_path(log: &Path) -> PathBuf {
    beside(log, ".prompt")
}

/// Whether the supervisor of run `run` (logged in `log`) is alive.
pub fn run_alive(log: &Path, run: Option<&str>) -> bool {
    run.and_then(|r| read_run(log, r))
        .is_some_and(|r| crate::infra::process::is_alive(r.supervisor, r.supervisor_start))
}

/// Where the start of the run logged in `log` is recorded.
pub fn run_path(log: &Path) -> PathBuf {
    beside(log, ".run")
}

/// The run `run` logged in `log`, if its supervisor started.
pub fn read_run(log: &Path, run: &str) -> Option<StartRecord> {
    let text = std::fs::read_to_string(run_path(log)).ok()?;
    let r: StartRecord = serde_json::from_str(&text).ok()?;
    (r.run == run).then_some(r)
}

/// Write `value` to `path` through a temporary file and a rename: never half a file.
pub(crate) fn write_atomic(path: &Path, value: &impl Serialize) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let text = serde_json::to_string(value).expect("a record serializes");
    let f = std::fs::File::create(&tmp)?;
    std::io::Write::write_all(&mut &f, text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// What the sandbox refused the run logged in `log` (the last run there: each run's start
/// removes the records of the one before).
pub fn refused(log: &Path) -> Vec<String> {
    std::fs::read_to_string(record_path(log))
        .ok()
        .and_then(|t| serde_json::from_str::<ExitRecord>(&t).ok())
        .map_or_else(Vec::new, |r| r.refused)
}

/// The record of the run whose supervisor was `supervisor`, if it has ended.
pub fn read_record(log: &Path, supervisor: u32) -> Option<ExitRecord> {
    let text = std::fs::read_to_string(record_path(log)).ok()?;
    let r: ExitRecord = serde_json::from_str(&text).ok()?;
    (r.supervisor == supervisor).then_some(r)
}

extern "C" fn ignore(_: libc::c_int) {}

/// `git-epic __supervise --log L --run R --offset N [--sandbox P] -- <argv>`: record the
/// run's start, run the agent (confined by the policy in P), record its end. Returns 0 once
/// the end is recorded.
pub fn main(log: &Path, run: &str, offset: u64, sandbox: Option<&Path>, argv: &[String]) -> i32 {
    let record = &record_path(log);
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
    let me = std::process::id();
    let started = StartRecord {
        run: run.to_owned(),
        supervisor: me,
        supervisor_start: crate::infra::process::start_time(me),
        offset,
    };
    if let Err(e) = write_atomic(&run_path(log), &started) {
        // Without it a dead orchestrator's successor could not find this run: do not start.
        eprintln!(
            "git-epic: could not record the run in {}: {e}",
            run_path(log).display()
        );
        return write(record, Some(126), None, Vec::new());
    }
    let confined = match sandbox.map(confine::prepare).transpose() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("git-epic: the agent was not started: {e:#}");
            return write(record, Some(126), None, Vec::new());
        }
    };
    // Its stdout is the log as it is; its stderr comes through here, each line marked, so
    // that the reason it gives for failing reads as such wherever the log is shown.
    let mut cmd = std::process::Command::new(program);
    cmd.args(args).stderr(std::process::Stdio::piped());
    if let Some(c) = &confined {
        c.apply(&mut cmd);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            // The log is this process's stderr: the reason lands where the user looks.
            eprintln!("git-epic: could not start the agent {program}: {e}");
            if let Some(c) = confined {
                c.finish(log, offset);
            }
            return write(record, Some(127), None, Vec::new());
        }
    };
    let confined_here = confined.as_ref().is_some_and(|c| c.is_confined());
    let copied = child.stderr.take().map(|err| {
        let (tx, rx) = std::sync::mpsc::channel();
        let log = log.to_owned();
        std::thread::spawn(move || {
            copy_marked(err, &log, confined_here);
            let _ = tx.send(());
        });
        rx
    });
    let status = child.wait();
    // Whatever the agent left running may hold its stderr open: its last lines are waited
    // for a moment, not for ever.
    if let Some(rx) = copied {
        let _ = rx.recv_timeout(std::time::Duration::from_secs(2));
    }
    let refused = confined.map_or_else(Vec::new, |c| c.finish(log, offset));
    use std::os::unix::process::ExitStatusExt;
    match status {
        Ok(s) => write(record, s.code(), s.signal(), refused),
        Err(e) => {
            eprintln!("git-epic: could not wait for the agent {program}: {e}");
            write(record, None, None, refused)
        }
    }
}

/// Append each line read from `err` to the log, marked as the agent's stderr. A line is
/// written in one call on a file opened for appending, so it never splits the agent's
/// stdout lines. A confined agent's git complains of the sandbox after every commit (see
/// [`crate::infra::sandbox::is_auto_merge_complaint`]): that line is left out, or it would
/// stand as the agent's last word whenever it came through after the agent's last line.
fn copy_marked(err: impl std::io::Read, log: &Path, confined: bool) {
    use std::io::Write;
    let Ok(mut file) = std::fs::OpenOptions::new().append(true).open(log) else {
        return;
    };
    let mut lines = crate::infra::log::Lines::new(16 * 1024 * 1024);
    let mut write = |line: &str| {
        if confined && crate::infra::sandbox::is_auto_merge_complaint(line) {
            return Ok(());
        }
        let marked = format!("{}{line}\n", crate::infra::log::STDERR_MARK);
        file.write_all(marked.as_bytes())
    };
    let mut err = err;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match err.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if lines.push(&buf[..n], &mut write).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    if let Some(rest) = lines.rest() {
        let _ = write(&rest);
    }
}

fn write(record: &Path, code: Option<i32>, signal: Option<i32>, refused: Vec<String>) -> i32 {
    let r = ExitRecord {
        supervisor: std::process::id(),
        code,
        signal,
        ended_at: crate::infra::clock::now(),
        refused,
    };
    match write_atomic(record, &r) {
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
