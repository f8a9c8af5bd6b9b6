//! A user's session in a temporary repository: real git, the built `git-epic` on PATH, and
//! an environment that ignores the machine's own git config.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct Repo {
    pub dir: tempfile::TempDir,
    home: PathBuf,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }
}

fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_git-epic"))
        .parent()
        .unwrap()
        .to_owned()
}

fn path_with_bin() -> std::ffi::OsString {
    let mut paths = vec![bin_dir()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

impl Repo {
    /// A fresh repository on branch `main` with one commit.
    pub fn new() -> Repo {
        Repo::new_in(&std::env::temp_dir())
    }

    /// The same, in a temporary directory under `parent`.
    pub fn new_in(parent: &Path) -> Repo {
        let dir = tempfile::Builder::new()
            .prefix("git-epic-test")
            .tempdir_in(parent)
            .unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(
            home.join(".gitconfig"),
            "[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n",
        )
        .unwrap();
        // The fake agents keep their records in the fake dir (FAKE_DIR): open to them in
        // the sandbox, as a user's config opens a cache to theirs.
        let fake = dir.path().join("fake");
        std::fs::create_dir_all(&fake).unwrap();
        let mut config = std::fs::OpenOptions::new()
            .append(true)
            .open(home.join(".gitconfig"))
            .unwrap();
        std::io::Write::write_all(
            &mut config,
            format!("[epic]\n\tsandboxWrite = {}\n", fake.display()).as_bytes(),
        )
        .unwrap();
        let repo = Repo { dir, home };
        std::fs::create_dir_all(repo.path()).unwrap();
        repo.git(&["init", "-q"]);
        repo.write("README.md", "hello\n");
        repo.git(&["add", "."]);
        repo.git(&["commit", "-q", "-m", "initial"]);
        repo
    }

    /// The fake home directory the commands run with.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The working tree (a subdirectory of the temp dir, which also holds HOME).
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    pub fn env(&self, cmd: &mut Command) {
        cmd.env("PATH", path_with_bin())
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_CONFIG_GLOBAL")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env("NO_COLOR", "1")
            .env("TERM", "dumb");
        // Tests never reach a real model service, whatever the machine has set.
        for var in [
            "ANTHROPIC_API_KEY",
            "ANTHROPIC_AUTH_TOKEN",
            "ANTHROPIC_BASE_URL",
            "CLAUDE_CODE_OAUTH_TOKEN",
            "OPENAI_API_KEY",
            "OPENAI_BASE_URL",
            "CODEX_HOME",
            "GEMINI_API_KEY",
            "GOOGLE_API_KEY",
            "GOOGLE_GEMINI_BASE_URL",
        ] {
            cmd.env_remove(var);
        }
    }

    /// `git-epic <args>` as a pseudo-terminal runs it: the environment of [`Repo::env`],
    /// with a terminal that understands escapes.
    pub fn pty_command(&self, args: &[&str]) -> portable_pty::CommandBuilder {
        let mut cmd = portable_pty::CommandBuilder::new(env!("CARGO_BIN_EXE_git-epic"));
        cmd.args(args);
        cmd.cwd(self.path());
        cmd.env("PATH", path_with_bin());
        cmd.env("HOME", &self.home);
        cmd.env("XDG_CONFIG_HOME", self.home.join(".config"));
        cmd.env("GIT_CONFIG_NOSYSTEM", "1");
        cmd.env("TERM", "xterm-256color");
        cmd.env("FAKE_DIR", self.fake_dir());
        for var in ["GIT_CONFIG_GLOBAL", "GIT_DIR", "GIT_WORK_TREE", "NO_COLOR"] {
            cmd.env_remove(var);
        }
        cmd
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap()
    }

    /// Run `git <args>` in the repo; panics on failure; returns trimmed stdout.
    #[track_caller]
    pub fn git(&self, args: &[&str]) -> String {
        self.git_in(&self.path(), args)
    }

    #[track_caller]
    /// `git worktree add -q <dir> -b <branch> <from>`, as a person makes a ticket's worktree.
    pub fn add_worktree(&self, dir: &str, branch: &str, from: &str) {
        self.git(&["worktree", "add", "-q", dir, "-b", branch, from]);
    }

    pub fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.raw(dir, "git", args, None);
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
    }

    /// `git <args>` in `dir`: its trimmed stdout when it succeeds, `None` when it fails.
    pub fn git_out_in(&self, dir: &Path, args: &[&str]) -> Option<String> {
        let out = self.raw(dir, "git", args, None);
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
    }

    /// `git <args>` in the repo with `stdin` as its input; panics on failure.
    #[track_caller]
    pub fn git_stdin(&self, args: &[&str], stdin: &str) -> String {
        let out = self.raw(&self.path(), "git", args, Some(stdin));
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
    }

    /// `git <args>` in `dir` with `stdin` as its input; panics on failure.
    #[track_caller]
    pub fn git_stdin_in(&self, dir: &Path, args: &[&str], stdin: &str) -> String {
        let out = self.raw(dir, "git", args, Some(stdin));
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
    }

    fn raw(&self, dir: &Path, program: &str, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new(program);
        cmd.args(args).current_dir(dir);
        self.env(&mut cmd);
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        if let Some(text) = stdin {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        child.wait_with_output().unwrap()
    }

    /// `git epic <args>` in the repo, through git, as a user types it.
    pub fn epic(&self, args: &[&str]) -> Run {
        self.epic_in(&self.path(), args, None)
    }

    pub fn epic_stdin(&self, args: &[&str], stdin: &str) -> Run {
        self.epic_in(&self.path(), args, Some(stdin))
    }

    pub fn epic_in(&self, dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
        let mut full = vec!["epic"];
        full.extend_from_slice(args);
        let out = self.raw(dir, "git", &full, stdin);
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Everything a refused command must leave alone: refs, config, notes, files, exclude.
    pub fn snapshot(&self) -> String {
        let refs = self.git(&["for-each-ref", "--format=%(refname) %(objectname)"]);
        let config = std::fs::read_to_string(self.path().join(".git/config")).unwrap();
        let exclude =
            std::fs::read_to_string(self.path().join(".git/info/exclude")).unwrap_or_default();
        let status = self.git(&[
            "status",
            "--porcelain",
            "--untracked-files=all",
            "--ignored",
        ]);
        let mut files = Vec::new();
        for entry in walk(&self.path()) {
            let rel = entry
                .strip_prefix(self.path())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if rel.starts_with(".git/") {
                continue;
            }
            files.push(format!(
                "{rel}:{}",
                std::fs::read_to_string(&entry).unwrap_or_default().len()
            ));
        }
        files.sort();
        format!(
            "REFS\n{refs}\nCONFIG\n{config}\nEXCLUDE\n{exclude}\nSTATUS\n{status}\nFILES\n{}",
            files.join("\n")
        )
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// A ticket file's text.
pub fn ticket(front: &str, body: &str) -> String {
    format!("+++\n{front}\n+++\n{body}\n")
}

/// The path of a fake agent script in tests/agents.
pub fn agent(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/agents")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

impl Repo {
    /// An epic `e` whose agent is the fake `agent`, with no stagger and no retry wait.
    pub fn with_agent(agent_name: &str) -> Repo {
        let r = Repo::new();
        r.epic(&["init", "e"]).ok();
        r.git(&["config", "epic.agent", &agent(agent_name)]);
        r.git(&["config", "epic.stagger", "0"]);
        r.git(&["config", "epic.retryWait", "0"]);
        std::fs::create_dir_all(r.fake_dir()).unwrap();
        r
    }

    /// Where fake agents keep their records (`FAKE_DIR`).
    pub fn fake_dir(&self) -> PathBuf {
        self.dir.path().join("fake")
    }

    /// `git-epic <args>` run directly (not through git), for tests that signal it.
    pub fn spawn_epic(&self, args: &[&str], envs: &[(&str, &str)]) -> std::process::Child {
        self.spawn(Command::new(env!("CARGO_BIN_EXE_git-epic")), args, envs)
    }

    /// The same in a process group of its own, as a shell runs a command: killing the group
    /// kills git-epic and the git commands it runs at that moment (not its agents, which
    /// have sessions of their own).
    pub fn spawn_epic_group(&self, args: &[&str], envs: &[(&str, &str)]) -> std::process::Child {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_git-epic"));
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        self.spawn(cmd, args, envs)
    }

    fn spawn(&self, mut cmd: Command, args: &[&str], envs: &[(&str, &str)]) -> std::process::Child {
        cmd.args(args).current_dir(self.path());
        self.env(&mut cmd);
        cmd.env("FAKE_DIR", self.fake_dir());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().unwrap()
    }

    /// `git epic <args>` with extra environment for the fake agents.
    pub fn epic_env(&self, args: &[&str], envs: &[(&str, &str)]) -> Run {
        let mut git = Command::new("git");
        git.arg("epic");
        let child = self.spawn(git, args, envs);
        let out = child.wait_with_output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn status(&self) -> serde_json::Value {
        self.epic(&["status", "--json"]).ok().json()
    }

    /// The status row of ticket `id`.
    /// Wait until ticket `id` runs under a supervisor that has recorded the run's start:
    /// killed before that, git epic leaves no run for a successor to follow.
    pub fn wait_supervised(&self, id: &str, deadline: std::time::Instant) {
        let started = self.path().join(format!(".git/epic/e/logs/{id}.log.run"));
        while self.row(id)["state"] != "running" || !started.exists() {
            assert!(std::time::Instant::now() < deadline, "{id} never ran");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    pub fn row(&self, id: &str) -> serde_json::Value {
        let s = self.status();
        s["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .cloned()
            .unwrap()
    }

    pub fn log(&self, id: &str) -> String {
        std::fs::read_to_string(self.path().join(format!(".git/epic/e/logs/{id}.log")))
            .unwrap_or_default()
    }
}

/// Whether process `pid` exists (and is not a zombie).
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            !s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

impl Repo {
    /// A PATH where `tool` cannot be found but git, sh and git-epic still can (git is linked
    /// into a private directory in case it shares a directory with `tool`).
    pub fn path_without(&self, tool: &str, first: Option<&Path>) -> String {
        let links = self.dir.path().join(format!("path-without-{tool}"));
        std::fs::create_dir_all(&links).unwrap();
        for keep in ["git", "sh"] {
            if let Ok(real) = which::which(keep) {
                let _ = std::os::unix::fs::symlink(real, links.join(keep));
            }
        }
        let mut dirs: Vec<PathBuf> = first.map(Path::to_path_buf).into_iter().collect();
        dirs.push(links);
        dirs.push(bin_dir());
        dirs.extend(
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .filter(|d| !d.join(tool).exists()),
        );
        std::env::join_paths(dirs)
            .unwrap()
            .to_string_lossy()
            .into_owned()
    }
}

impl Repo {
    /// A repository with an epic `e` and four tickets in three waves, run by the stand-in
    /// `agent_name`: A "Create the port" (scope `src/port/**`) and C "Document the port"
    /// (scope `docs/**` and `src/port/README.md`, which overlaps A's) in wave 0, B "Use the
    /// port" after A in wave 1 (scope `src/app/**`, it may not change `src/port/**`), D "Wire
    /// it up" after B and C in wave 2, with no scope. The scopes of A, B and C also hold the
    /// `<id>.txt` the stand-in agents write. Each body says "Do what ticket <id> says.".
    pub fn with_tickets(agent_name: &str) -> Repo {
        let r = Repo::with_agent(agent_name);
        for args in [
            &[
                "A",
                "--title",
                "Create the port",
                "--scope",
                "A.txt",
                "--scope",
                "src/port/**",
            ][..],
            &[
                "C",
                "--title",
                "Document the port",
                "--scope",
                "C.txt",
                "--scope",
                "docs/**",
                "--scope",
                "src/port/README.md",
            ],
            &[
                "B",
                "--title",
                "Use the port",
                "--deps",
                "A",
                "--scope",
                "B.txt",
                "--scope",
                "src/app/**",
                "--forbid",
                "src/port/**",
            ],
            &["D", "--title", "Wire it up", "--deps", "B,C"],
        ] {
            let mut full = vec!["ticket", "add"];
            full.extend_from_slice(args);
            r.epic_stdin(&full, &format!("Do what ticket {} says.\n", args[0]))
                .ok();
        }
        r
    }

    /// An epic `e` published on the bare repository `remote.git` (its path is returned) by
    /// this machine, labelled `host` (`epic.hostName`, else the host name), with two tickets
    /// (B after A) run by the stand-in `commit.sh`.
    pub fn published_as(&self, host: Option<&str>) -> PathBuf {
        let remote = self.dir.path().join("remote.git");
        self.git_in(self.dir.path(), &["init", "-q", "--bare", "remote.git"]);
        self.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
        self.git(&["push", "-q", "origin", "main"]);
        self.git(&["config", "epic.remote", "origin"]);
        if let Some(host) = host {
            self.git(&["config", "epic.hostName", host]);
        }
        let out = self.epic(&["init", "e"]).ok();
        assert!(out.stderr.contains("git epic join e"), "{}", out.stderr);
        self.git(&["config", "epic.agent", &agent("commit.sh")]);
        self.git(&["config", "epic.stagger", "0"]);
        self.epic(&["ticket", "add", "A", "--title", "A"]).ok();
        self.epic(&["ticket", "add", "B", "--title", "B", "--deps", "A"])
            .ok();
        self.epic(&["sync"]).ok();
        remote
    }

    /// A clone of `remote` in folder `name`, labelled `host` (`epic.hostName`, else the host
    /// name), joined to epic `e`.
    pub fn machine_as(&self, remote: &Path, name: &str, host: Option<&str>) -> PathBuf {
        let dir = self.dir.path().join(name);
        self.git_in(
            self.dir.path(),
            &["clone", "-q", remote.to_str().unwrap(), name],
        );
        if let Some(host) = host {
            self.git_in(&dir, &["config", "epic.hostName", host]);
        }
        let out = self.epic_in(&dir, &["join", "e"], None);
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
        self.git_in(&dir, &["config", "epic.agent", &agent("commit.sh")]);
        self.git_in(&dir, &["config", "epic.stagger", "0"]);
        dir
    }

    /// A directory holding the stand-in Claude Code (`claude`, which prints a fixed
    /// stream-json session and commits `<ticket>.txt`), and the agent command that runs it
    /// through the `claude` adapter.
    pub fn stand_in_claude(&self) -> String {
        let bin = self.dir.path().join("claude-bin");
        std::fs::create_dir_all(&bin).unwrap();
        let link = bin.join("claude");
        if !link.exists() {
            std::os::unix::fs::symlink(agent("claude_stream.sh"), &link).unwrap();
        }
        format!(
            "{} --print --output-format stream-json --verbose",
            link.display()
        )
    }

    /// The machine ids of every clone in the temp dir (`epic.machineId`).
    fn machine_ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        let mut configs = vec![self.path().join(".git/config")];
        if let Ok(dir) = std::fs::read_dir(self.dir.path()) {
            configs.extend(dir.flatten().map(|e| e.path().join(".git/config")));
        }
        for config in configs {
            let text = std::fs::read_to_string(config).unwrap_or_default();
            for line in text.lines() {
                if let Some((key, value)) = line.split_once('=') {
                    if key.trim().eq_ignore_ascii_case("machineId") {
                        ids.push(value.trim().to_owned());
                    }
                }
            }
        }
        ids
    }
}

/// This machine's host name, as `hostname` prints it.
fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates what fits.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// `text` as a snapshot shows it: the same layout, with what changes from run to run or
/// from machine to machine replaced by a placeholder. ANSI colour is removed; the temp dir is
/// `[TMP]`, this source tree `[ROOT]`, the binary's directory `[BIN]`; machine ids
/// (`epic.machineId`, and the `host#abcd` label made from one) `[MACHINE]`, the host name
/// `[HOST]` (unless it is a plain word), git's version `[VERSION]`; dates `[DATE]`, clock
/// times `[TIME]`; 7 to 40 hex digits (commit and object names) `[HASH]`; durations (`0s`,
/// `1.2s`, `3m05s`, `1h02m`, `12ms`) `[DUR]`, right-aligned in the width the duration had so
/// that table columns stay aligned; process ids `[PID]`; speed-ups (`2.5x`) `[N]x`. The
/// sandbox's own lines in a log are left out.
pub fn normalize(text: &str, r: &Repo) -> String {
    use regex::{Captures, Regex};
    use std::sync::LazyLock;
    fn re(pattern: &str) -> Regex {
        Regex::new(pattern).unwrap()
    }
    static ANSI: LazyLock<Regex> = LazyLock::new(|| re(r"\x1b\[[0-9;?]*[A-Za-z]"));
    static GIT_VERSION: LazyLock<Regex> = LazyLock::new(|| re(r"\bgit version [^\s)]+"));
    static DATETIME: LazyLock<Regex> = LazyLock::new(|| {
        re(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?( ?(Z|[+-]\d{2}:?\d{2}\b))?")
    });
    static DATE: LazyLock<Regex> = LazyLock::new(|| re(r"\b\d{4}-\d{2}-\d{2}\b"));
    static TIME: LazyLock<Regex> = LazyLock::new(|| re(r"\b\d{2}:\d{2}:\d{2}(\.\d+)?\b"));
    static PID: LazyLock<Regex> = LazyLock::new(|| re(r"\b(pid|pids|process) \d+"));
    static HASH: LazyLock<Regex> = LazyLock::new(|| re(r"\b[0-9a-f]{7,40}\b"));
    static DUR: LazyLock<Regex> =
        LazyLock::new(|| re(r"( *)\b(\d+h\d{2}m|\d+m\d{2}s|\d+(?:\.\d+)?(?:ms|s|m|h))\b"));
    static RATIO: LazyLock<Regex> = LazyLock::new(|| re(r"\b\d+(\.\d+)?x\b"));

    let mut t = ANSI.replace_all(text, "").into_owned();
    // What the sandbox says in a log depends on the kernel (confined, or not, and how).
    let sandbox = |l: &str| {
        let l = l.trim_start();
        l.starts_with("git-epic: confined by Landlock")
            || l.starts_with("git-epic: this agent runs unconfined")
    };
    if t.lines().any(sandbox) {
        let ends = t.ends_with('\n');
        t = t
            .lines()
            .filter(|l| !sandbox(l))
            .collect::<Vec<_>>()
            .join("\n");
        if ends {
            t.push('\n');
        }
    }
    // Paths, the longest first: the temp dir may hold the source tree's copy, never the reverse.
    let mut paths: Vec<(String, &str)> = Vec::new();
    for (p, name) in [
        (bin_dir(), "[BIN]"),
        (r.dir.path().to_owned(), "[TMP]"),
        (PathBuf::from(env!("CARGO_MANIFEST_DIR")), "[ROOT]"),
    ] {
        if let Ok(real) = p.canonicalize() {
            paths.push((real.display().to_string(), name));
        }
        paths.push((p.display().to_string(), name));
    }
    paths.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    for (p, name) in &paths {
        t = t.replace(p.as_str(), name);
    }
    for id in r.machine_ids() {
        t = t.replace(&id, "[MACHINE]");
        t = t.replace(&format!("#{}", &id[..4.min(id.len())]), "#[MACHINE]");
    }
    // A host name made of letters only may be a word of the output too ("build", "runner"):
    // left alone, as the fixtures name their machines (`epic.hostName`) where it shows.
    let host = host_name();
    if host.len() >= 4 && !host.bytes().all(|b| b.is_ascii_lowercase()) {
        let host = Regex::new(&format!(r"\b{}\b", regex::escape(&host))).unwrap();
        t = host.replace_all(&t, "[HOST]").into_owned();
    }
    t = GIT_VERSION
        .replace_all(&t, "git version [VERSION]")
        .into_owned();
    t = DATETIME.replace_all(&t, "[DATE] [TIME]").into_owned();
    t = DATE.replace_all(&t, "[DATE]").into_owned();
    t = TIME.replace_all(&t, "[TIME]").into_owned();
    t = PID.replace_all(&t, "$1 [PID]").into_owned();
    t = HASH.replace_all(&t, "[HASH]").into_owned();
    // A duration padded on its left (a right-aligned column) keeps its width, whatever its
    // length: `     0s` and `   12ms` both read `  [DUR]`.
    t = DUR
        .replace_all(&t, |c: &Captures| {
            let (pad, width) = (c[1].len(), c[0].len());
            let pad = match pad {
                0 => 0,
                _ if width > 5 => width - 5,
                _ => 1,
            };
            format!("{}[DUR]", " ".repeat(pad))
        })
        .into_owned();
    RATIO.replace_all(&t, "[N]x").into_owned()
}

impl Repo {
    /// A PATH with only git, sh and git-epic on it, so that what a command finds installed
    /// (gh, glab, tmux, the agents' CLIs) is the same on every machine: nothing.
    pub fn minimal_path(&self) -> String {
        let links = self.dir.path().join("minimal-path");
        std::fs::create_dir_all(&links).unwrap();
        for keep in ["git", "sh"] {
            if let Ok(real) = which::which(keep) {
                let _ = std::os::unix::fs::symlink(real, links.join(keep));
            }
        }
        std::env::join_paths([links, bin_dir()])
            .unwrap()
            .to_string_lossy()
            .into_owned()
    }
}
