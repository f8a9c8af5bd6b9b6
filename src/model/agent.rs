//! One agent process: which command, how the prompt reaches it, and running it in its own
//! process group with its output streamed straight to the ticket's log file.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::infra::config::{self, PromptVia, Settings};
use crate::infra::error::{usage, Result};
use crate::model::agents::{Adapter, Heard, Launch};
use crate::model::ticket::Ticket;
use crate::{infra::process, infra::sandbox, infra::supervisor};

/// The profile name of tickets that name none.
pub const DEFAULT_PROFILE: &str = "default";

/// The agent command of a ticket, split into argv (never run through a shell).
#[derive(Debug, Clone)]
pub struct AgentCommand {
    /// The profile the ticket names, or [`DEFAULT_PROFILE`]; tickets of one profile share a
    /// rate-limit quota.
    pub profile: String,
    pub argv: Vec<String>,
    /// `epicAgent.<profile>.rateLimitPattern`, for tools that word their limits their own way.
    pub rate_limit_pattern: Option<regex::Regex>,
    /// Output of a failed run that retrying cannot fix: `epicAgent.<profile>.fatalPattern`,
    /// else the agent family's own.
    pub fatal_pattern: regex::Regex,
    /// What git-epic knows of the command's family and output.
    pub adapter: Adapter,
    /// `epicAgent.<profile>.sharedAccount`: the profile's account is the same on every
    /// machine of the epic, so a rate limit hit on one holds them all back (through the
    /// notes). Otherwise a cooldown is this machine's alone.
    pub shared_account: bool,
    /// How the profile's runs are confined (`epic.sandbox`, `epicAgent.<profile>.sandbox*`,
    /// `.passEnv`).
    pub sandbox: sandbox::Profile,
}

/// Find the agent command of `ticket` and check its program exists, before anything is made.
pub fn resolve(
    config: &gix::config::Snapshot<'_>,
    settings: &Settings,
    ticket: &Ticket,
    root: &Path,
) -> Result<AgentCommand> {
    let (profile, line, source) = match &ticket.agent {
        Some(p) => {
            let line = config::agent_profile(config, p).ok_or_else(|| {
                let known: Vec<String> =
                    config::agent_profiles(config).into_iter().map(|(n, _)| n).collect();
                usage(format!(
                    "Ticket `{}` asks for agent profile `{p}`, but git config epicAgent.{p}.command is not set.{}",
                    ticket.id,
                    crate::infra::suggest::did_you_mean(p, &known)
                ))
            })?;
            (p.clone(), line, format!("epicAgent.{p}.command"))
        }
        None => (
            DEFAULT_PROFILE.to_owned(),
            settings.agent.clone(),
            "epic.agent".to_owned(),
        ),
    };
    let mut argv = shell_words::split(&line).map_err(|e| {
        usage(format!(
            "git config {source} `{line}` cannot be split into words: {e}."
        ))
    })?;
    let Some(program) = argv.first().cloned() else {
        return Err(usage(format!("git config {source} is empty.")));
    };
    let found = if program.contains('/') {
        // A relative path is taken from the top of the repository, not from each worktree.
        let p = root.join(&program);
        is_executable(&p).then_some(p)
    } else {
        which::which(&program).ok()
    };
    match found {
        Some(p) => argv[0] = p.to_string_lossy().into_owned(),
        None => {
            return Err(usage(format!(
                "The agent program `{program}` (git config {source}) was not found{}; install it or set `git config {source} \"<command>\"`.",
                if program.contains('/') { "" } else { " on PATH" }
            )))
        }
    }
    let pattern = |key: &str| -> Result<Option<regex::Regex>> {
        match config::agent_profile_key(config, &profile, key) {
            Some(pat) => Ok(Some(regex::Regex::new(&pat).map_err(|_| {
                usage(format!("git config epicAgent.{profile}.{key} `{pat}` is not a valid regular expression."))
            })?)),
            None => Ok(None),
        }
    };
    let adapter = Adapter::detect(&argv);
    let rate_limit_pattern = pattern("rateLimitPattern")?;
    let fatal_pattern = match pattern("fatalPattern")? {
        Some(p) => p,
        None => regex::Regex::new(adapter.default_fatal_pattern())
            .expect("the built-in fatal patterns are valid"),
    };
    let shared_account = shared_account(config, &profile)?;
    let sandbox = sandbox_profile(config, settings, &profile)?;
    Ok(AgentCommand {
        profile,
        argv,
        rate_limit_pattern,
        fatal_pattern,
        adapter,
        shared_account,
        sandbox,
    })
}

/// The sandbox settings of `profile`: its own `sandbox` wins over `epic.sandbox`. A
/// confinement asked for by name that this kernel cannot give stops before anything starts.
pub fn sandbox_profile(
    config: &gix::config::Snapshot<'_>,
    settings: &Settings,
    profile: &str,
) -> Result<sandbox::Profile> {
    let mode = match config::agent_profile_key(config, profile, "sandbox") {
        Some(v) => sandbox::Mode::parse(&v, &format!("epicAgent.{profile}.sandbox"))?,
        None => settings.sandbox,
    };
    if mode == sandbox::Mode::Landlock {
        if let sandbox::Support::None(why) = sandbox::support() {
            return Err(usage(format!(
                "The sandbox is set to landlock, but {why}; set `git config epic.sandbox auto` to run agents unconfined here."
            )));
        }
    }
    // What `epic.<key>` gives every profile, and what this profile adds.
    let list = |every: &[String], key: &str| {
        let mut all = every.to_vec();
        all.extend(config::list(config, "epicAgent", Some(profile), key));
        all
    };
    Ok(sandbox::Profile {
        mode,
        write: list(&settings.sandbox_write, "sandboxWrite"),
        hide: list(&settings.sandbox_hide, "sandboxHide"),
        pass_env: list(&settings.pass_env, "passEnv"),
    })
}

/// `epicAgent.<profile>.sharedAccount`: whether every machine of the epic shares the
/// profile's account (and so its rate limits).
pub fn shared_account(config: &gix::config::Snapshot<'_>, profile: &str) -> Result<bool> {
    match config::agent_profile_key(config, profile, "sharedAccount")
        .map(|v| v.trim().to_ascii_lowercase())
    {
        None => Ok(false),
        Some(v) if ["true", "yes", "on", "1"].contains(&v.as_str()) => Ok(true),
        Some(v) if ["false", "no", "off", "0"].contains(&v.as_str()) => Ok(false),
        Some(v) => Err(usage(format!(
            "git config epicAgent.{profile}.sharedAccount is `{v}`; expected true or false."
        ))),
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The full argv of one attempt: the family's additions (tool permissions, the session to
/// resume), then the prompt as one last argument when it goes that way.
pub fn full_argv(
    cmd: &AgentCommand,
    prompt: &str,
    via: PromptVia,
    settings: &Settings,
    resume: Option<&str>,
    git_dirs: &[PathBuf],
    confined: bool,
) -> Vec<String> {
    let allowed: Vec<String> = settings
        .test
        .iter()
        .chain(settings.lint_fix.iter())
        .cloned()
        .collect();
    cmd.adapter.launch_argv(
        &cmd.argv,
        &Launch {
            prompt_arg: (via == PromptVia::Arg).then_some(prompt),
            resume,
            allowed_commands: &allowed,
            git_dirs,
            confined,
        },
    )
}

/// What one attempt needs.
pub struct Spawn<'a> {
    pub dir: &'a Path,
    pub argv: &'a [String],
    pub stdin: Option<&'a str>,
    pub env: &'a [(&'static str, String)],
    pub log: &'a Path,
    pub header: &'a str,
    /// The orchestrator's id for this run, recorded by the supervisor.
    pub run: &'a str,
    /// The confinement the supervisor sets up, `None` for none.
    pub sandbox: Option<&'a sandbox::Policy>,
}

/// A running agent under its supervisor, the leader of its own session and process group.
pub struct Running {
    /// The supervisor as this process's child; `None` for a run adopted from an earlier
    /// orchestrator (then it is watched through /proc and its exit record).
    handle: Option<duct::Handle>,
    /// The supervisor's pid (the group's id) and start time.
    pub pid: u32,
    pub pid_start: Option<u64>,
    pub log: PathBuf,
    /// Where this attempt's output starts in the log.
    pub start: u64,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
    /// Silent for longer than `epic.timeout`.
    TimedOut,
    Interrupted,
    /// Stopped by git-epic on an error the agent would only retry (a refused login).
    Stopped,
    /// Its supervisor ended without recording the agent's end (killed with it).
    Lost,
}

/// What the waiting thread watches for besides the agent's end.
pub struct Watch<'a> {
    /// Stop the agent after this long without output.
    pub silence: Option<Duration>,
    pub interrupt: &'a AtomicBool,
}

pub use crate::infra::log::log_line;

pub fn spawn(s: &Spawn<'_>) -> Result<Running> {
    if let Some(dir) = s.log.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
    }
    // An earlier run's records must not be taken for this one's.
    let policy = sandbox::policy_path(s.log);
    for old in [
        supervisor::record_path(s.log),
        supervisor::run_path(s.log),
        policy.clone(),
    ] {
        match std::fs::remove_file(&old) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("could not remove {}", old.display())),
        }
    }
    log_line(s.log, s.header)?;
    let file = std::fs::OpenOptions::new().append(true).open(s.log)?;
    let start = file.metadata()?.len();
    // This very program, even if a newer git-epic replaced its file meanwhile.
    let me = match std::path::Path::new("/proc/self/exe") {
        p if p.exists() => p.to_owned(),
        _ => std::env::current_exe().context("could not find the git-epic program")?,
    };
    let mut args: Vec<std::ffi::OsString> = vec![
        "__supervise".into(),
        "--log".into(),
        s.log.as_os_str().to_owned(),
        "--run".into(),
        s.run.into(),
        "--offset".into(),
        start.to_string().into(),
    ];
    if let Some(p) = s.sandbox {
        supervisor::write_atomic(&policy, p)
            .with_context(|| format!("could not write {}", policy.display()))?;
        args.extend(["--sandbox".into(), policy.into_os_string()]);
    }
    args.push("--".into());
    args.extend(s.argv.iter().map(Into::into));
    let mut e = duct::cmd(me, args)
        .dir(s.dir)
        // duct applies the outer redirection first: stdout goes to the log, then stderr
        // joins it there (the other order sent stderr to git-epic's own stdout).
        .stderr_to_stdout()
        .stdout_file(file)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .unchecked();
    for (k, v) in s.env {
        e = e.env(k, v);
    }
    // The prompt goes through a file, which the agent reads even if the orchestrator dies.
    e = match s.stdin {
        Some(text) => {
            let path = supervisor::prompt_path(s.log);
            std::fs::write(&path, text)
                .with_context(|| format!("could not write {}", path.display()))?;
            e.stdin_path(path)
        }
        None => e.stdin_null(),
    };
    // A session of its own: no terminal's hangup or Ctrl-C reaches it, and stopping its
    // group stops everything the agent started.
    let e = e.before_spawn(|c| {
        // SAFETY: setsid is async-signal-safe and touches no memory of ours.
        unsafe {
            c.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        Ok(())
    });
    let handle = e
        .start()
        .with_context(|| format!("could not start {}", s.argv[0]))?;
    let pid = handle.pids().first().copied().unwrap_or(0);
    Ok(Running {
        handle: Some(handle),
        pid,
        pid_start: process::start_time(pid),
        log: s.log.to_owned(),
        start,
    })
}

/// A run an earlier orchestrator started, from what its note recorded.
pub fn adopt(pid: u32, pid_start: Option<u64>, log: &Path, start: u64) -> Running {
    Running {
        handle: None,
        pid,
        pid_start,
        log: log.to_owned(),
        start,
    }
}

/// Reads what an agent appends to its log, line by line, as it comes.
struct Follower {
    file: Option<std::fs::File>,
    at: u64,
    lines: crate::infra::log::Lines,
    /// Bytes of output seen, to tell silence from progress.
    size: u64,
}

/// A line longer than this is not read (the log keeps it whole).
const MAX_LINE: usize = 64 * 1024 * 1024;

impl Follower {
    fn new(log: &Path, at: u64) -> Follower {
        Follower {
            file: std::fs::File::open(log).ok(),
            at,
            lines: crate::infra::log::Lines::new(MAX_LINE),
            size: at,
        }
    }

    /// Hand each new complete line to `each`, and sum up what they told. With `content`
    /// false only the size is watched: any growth is progress (plain-text agents need no
    /// reading as they run).
    fn poll(&mut self, content: bool, each: &mut dyn FnMut(&str) -> Heard) -> Heard {
        use std::io::{Read, Seek, SeekFrom};
        let mut heard = Heard {
            stop: false,
            progress: false,
        };
        let Some(file) = self.file.as_mut() else {
            return heard;
        };
        let len = file.metadata().map_or(self.size, |m| m.len());
        if !content {
            heard.progress = len != self.size;
            self.size = len;
            return heard;
        }
        while self.at < len {
            let mut buf = vec![0u8; (len - self.at).min(1 << 20) as usize];
            if file.seek(SeekFrom::Start(self.at)).is_err() {
                break;
            }
            let n = file.read(&mut buf).unwrap_or(0);
            if n == 0 {
                break;
            }
            self.at += n as u64;
            self.size = self.at;
            let _ = self.lines.push(&buf[..n], |line| {
                let h = each(line);
                heard.stop |= h.stop;
                heard.progress |= h.progress;
                Ok::<(), ()>(())
            });
        }
        heard
    }
}

impl Running {
    /// Wait for the agent, reading its output into `reader` as it comes, and stopping its
    /// group when it falls silent too long, when git epic is interrupted, or when the
    /// reader asks to (an error the agent would only retry).
    pub fn wait(&self, watch: &Watch<'_>, reader: &mut crate::model::agents::Reader) -> Exit {
        let content = reader.wants_lines();
        let mut follow = Follower::new(&self.log, self.start);
        let mut last_progress = Instant::now();
        let mut feed = |follow: &mut Follower| follow.poll(content, &mut |l| reader.line(l));
        loop {
            let heard = feed(&mut follow);
            if heard.stop {
                self.stop();
                feed(&mut follow);
                return Exit::Stopped;
            }
            if heard.progress {
                last_progress = Instant::now();
            }
            if self.ended() {
                feed(&mut follow);
                // Whatever it left running in the background goes too; only a group of our
                // own child, just reaped: an adopted run's pid may belong to anyone by now.
                if self.handle.is_some() {
                    kill_group(self.pid, libc::SIGTERM);
                }
                return self.recorded();
            }
            if watch.interrupt.load(Ordering::SeqCst) {
                self.stop();
                feed(&mut follow);
                return Exit::Interrupted;
            }
            if watch.silence.is_some_and(|s| last_progress.elapsed() >= s) {
                self.stop();
                return Exit::TimedOut;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether the supervisor has ended (reaped, when it is our child).
    fn ended(&self) -> bool {
        match &self.handle {
            Some(h) => !matches!(h.try_wait(), Ok(None)),
            None => !process::is_alive(self.pid, self.pid_start),
        }
    }

    /// How the agent ended, as its supervisor recorded it.
    fn recorded(&self) -> Exit {
        match supervisor::read_record(&self.log, self.pid) {
            Some(r) => match (r.code, r.signal) {
                (Some(c), _) => Exit::Code(c),
                (None, Some(s)) => Exit::Signal(s),
                _ => Exit::Code(-1),
            },
            None => Exit::Lost,
        }
    }

    /// SIGTERM to the whole group, SIGKILL after a grace period.
    pub fn stop(&self) {
        // An adopted run whose supervisor is gone: its pid may be someone else's now.
        if self.handle.is_none() && self.ended() {
            return;
        }
        kill_group(self.pid, libc::SIGTERM);
        let grace = Instant::now() + Duration::from_secs(3);
        while Instant::now() < grace {
            if self.ended() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if self.handle.is_some() || !self.ended() {
            kill_group(self.pid, libc::SIGKILL);
        }
        if let Some(h) = &self.handle {
            let _ = h.wait();
        }
    }
}

/// Signal every process of group `pgid` (a group that no longer exists is fine).
pub fn kill_group(pgid: u32, signal: i32) {
    if pgid > 1 {
        // SAFETY: killpg has no memory effects; a stale group only yields ESRCH.
        unsafe {
            libc::killpg(pgid as libc::pid_t, signal);
        }
    }
}
