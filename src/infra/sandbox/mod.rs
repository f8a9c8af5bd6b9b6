//! The confinement of one agent run (`epic.sandbox`): Linux Landlock, set up by the
//! supervisor before it starts the agent, so that the agent and every process it starts may
//! write only its ticket's worktree and what git needs to commit there, and may not read the
//! user's secrets. The agent also gets the environment without the credentials it does not
//! need. What it grants and what it cannot do is in docs/sandbox.md.
//!
//! The orchestrator decides the policy (from config) and writes it beside the ticket's log;
//! the supervisor reads it, so that the policy of a run is fixed when the run starts.

mod branch;
mod rules;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::infra::error::{usage, Result};

pub use branch::{detach, reattach, Reattached};
pub use rules::{read_roots, Confinement};

/// `epic.sandbox` (or `epicAgent.<profile>.sandbox`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Confine where the kernel can; otherwise run unconfined and say so once per run.
    Auto,
    /// Confine, or do not start the agent.
    Landlock,
    /// As before the sandbox existed: no confinement, the whole environment.
    Off,
}

impl Mode {
    /// Parse the value of config key `key`.
    pub fn parse(value: &str, key: &str) -> Result<Mode> {
        match value.trim().to_ascii_lowercase().as_str() {
            "auto" | "" => Ok(Mode::Auto),
            "landlock" => Ok(Mode::Landlock),
            "off" | "false" | "no" | "none" => Ok(Mode::Off),
            _ => Err(usage(format!(
                "git config {key} is `{}`, expected auto, landlock or off.",
                value.trim()
            ))),
        }
    }
}

/// What this kernel can enforce: the Landlock ABI version, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Support {
    Landlock(i32),
    None(String),
}

/// The Landlock ABI below which git-epic does not confine: 3 is the first that handles
/// truncation, without which a confined agent could still empty any file it may read.
const MIN_ABI: i32 = 3;

/// Ask the kernel which Landlock ABI it has (a system call that changes nothing).
/// `GIT_EPIC_LANDLOCK=off` in the environment makes git-epic act as on a kernel without it.
pub fn support() -> Support {
    if std::env::var_os("GIT_EPIC_LANDLOCK").is_some_and(|v| v == "off") {
        return Support::None("GIT_EPIC_LANDLOCK=off is set".to_owned());
    }
    #[cfg(target_os = "linux")]
    {
        const VERSION: libc::c_uint = 1;
        // SAFETY: with a null attribute and the VERSION flag the call only returns a number.
        let abi = unsafe {
            libc::syscall(
                libc::SYS_landlock_create_ruleset,
                std::ptr::null::<libc::c_void>(),
                0usize,
                VERSION,
            )
        };
        if abi < 0 {
            let e = std::io::Error::last_os_error();
            return Support::None(match e.raw_os_error() {
                Some(libc::ENOSYS) => {
                    "this Linux kernel was built without Landlock (it needs 5.13 or later with CONFIG_SECURITY_LANDLOCK)".to_owned()
                }
                Some(libc::EOPNOTSUPP) => {
                    "Landlock is turned off in this kernel (add `landlock` to the lsm= boot parameter)".to_owned()
                }
                _ => format!("the kernel refused to say whether it has Landlock ({e})"),
            });
        }
        let abi = abi as i32;
        if abi < MIN_ABI {
            return Support::None(format!(
                "this kernel's Landlock is ABI {abi}; git-epic needs ABI {MIN_ABI} (Linux 6.2) or later"
            ));
        }
        Support::Landlock(abi)
    }
    #[cfg(not(target_os = "linux"))]
    {
        Support::None(format!(
            "Landlock is Linux only; {} has no equivalent git-epic uses",
            std::env::consts::OS
        ))
    }
}

/// Environment variables that carry credentials an agent does not need for its ticket:
/// forge tokens, cloud credentials, the SSH and GPG agents, registry tokens. The agent's own
/// API keys and login state are not among them.
pub const CREDENTIAL_VARS: &[&str] = &[
    "GH_TOKEN",
    "GITHUB_TOKEN",
    "GH_ENTERPRISE_TOKEN",
    "GITHUB_ENTERPRISE_TOKEN",
    "GITLAB_TOKEN",
    "GL_TOKEN",
    "GITLAB_PRIVATE_TOKEN",
    "CI_JOB_TOKEN",
    "BITBUCKET_TOKEN",
    "GITEA_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_PASSWORD",
    "ARM_CLIENT_SECRET",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "CLOUDSDK_AUTH_ACCESS_TOKEN",
    "DIGITALOCEAN_TOKEN",
    "DIGITALOCEAN_ACCESS_TOKEN",
    "HEROKU_API_KEY",
    "VAULT_TOKEN",
    "SSH_AUTH_SOCK",
    "SSH_AGENT_PID",
    "GPG_AGENT_INFO",
    "NPM_TOKEN",
    "NODE_AUTH_TOKEN",
    "CARGO_REGISTRY_TOKEN",
    "PYPI_TOKEN",
    "TWINE_PASSWORD",
    "DOCKER_AUTH_CONFIG",
    "KUBECONFIG",
];

/// The secrets under the home directory no agent reads (relative to HOME).
pub const HIDDEN_IN_HOME: &[&str] = &[
    ".ssh",
    ".gnupg",
    ".aws",
    ".azure",
    ".config/gcloud",
    ".config/gh",
    ".config/git/credentials",
    ".config/glab-cli",
    ".git-credentials",
    ".netrc",
    ".docker/config.json",
    ".kube",
];

/// The state and cache an agent family keeps, which it must write to work at all (its
/// login, its sessions), by the program's name: in HOME, or where the family's own variable
/// moves it (`CLAUDE_CONFIG_DIR`, `CODEX_HOME`, `GEMINI_CLI_HOME`). Directories end in `/`
/// (made before the run if missing: a rule needs something to name); files are granted
/// only when they exist.
pub fn state_paths(program: &str, home: &Path) -> Vec<String> {
    let moved = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(|v| PathBuf::from(v).display().to_string())
    };
    let at = |dir: PathBuf, names: &[&str]| -> Vec<String> {
        names
            .iter()
            .map(|n| dir.join(n).display().to_string() + if n.ends_with('/') { "/" } else { "" })
            .collect()
    };
    match program {
        "claude" => match moved("CLAUDE_CONFIG_DIR") {
            Some(d) => vec![d + "/"],
            None => at(
                home.to_owned(),
                &[".claude/", ".claude.json", ".claude.json.backup"],
            ),
        },
        "codex" => vec![
            moved("CODEX_HOME").unwrap_or_else(|| home.join(".codex").display().to_string()) + "/",
        ],
        "gemini" => {
            let base = moved("GEMINI_CLI_HOME").map_or_else(|| home.to_owned(), PathBuf::from);
            at(base, &[".gemini/"])
        }
        "aider" => at(
            home.to_owned(),
            &[".aider/", ".aider.chat.history.md", ".aider.input.history"],
        ),
        _ => Vec::new(),
    }
}

/// What one confined run may do: decided by the orchestrator, read by the supervisor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub mode: Mode,
    /// The ticket's worktree, where the agent runs.
    pub worktree: PathBuf,
    /// Directories and files the agent may write (beneath them too): the worktree, its
    /// private git dir, the object store, the agent's state, `sandboxWrite`.
    pub write: Vec<PathBuf>,
    /// The agent's state directories, made before the run when missing.
    #[serde(default)]
    pub make: Vec<PathBuf>,
    /// What it may not read: the secrets in HOME and `sandboxHide`.
    pub hide: Vec<PathBuf>,
    /// Environment variables taken out of the agent's environment.
    pub drop_env: Vec<String>,
}

/// Where the policy of the run logged in `log` is kept.
pub fn policy_path(log: &Path) -> PathBuf {
    let mut name = log.file_name().unwrap_or_default().to_os_string();
    name.push(".sandbox");
    log.with_file_name(name)
}

/// What config says for one profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub mode: Mode,
    pub write: Vec<String>,
    pub hide: Vec<String>,
    pub pass_env: Vec<String>,
}

impl Profile {
    /// Whether its runs are confined on this machine.
    pub fn confines(&self) -> bool {
        self.mode != Mode::Off && matches!(support(), Support::Landlock(_))
    }
}

impl Default for Profile {
    fn default() -> Profile {
        Profile {
            mode: Mode::Auto,
            write: Vec::new(),
            hide: Vec::new(),
            pass_env: Vec::new(),
        }
    }
}

/// `~/x` and `$HOME/x` against `home`; other relative paths against the repository's top.
fn expand(path: &str, home: &Path, root: &Path) -> PathBuf {
    let p = path.trim();
    if let Some(rest) = p.strip_prefix("~/").or_else(|| p.strip_prefix("$HOME/")) {
        home.join(rest)
    } else if p == "~" {
        home.to_owned()
    } else {
        root.join(p)
    }
}

/// The same path with its symbolic links resolved when it exists, so that a rule names the
/// directory the kernel will check.
fn real(p: PathBuf) -> PathBuf {
    std::fs::canonicalize(&p).unwrap_or(p)
}

/// Everything that makes up one run's policy besides the profile's config.
pub struct Run<'a> {
    pub home: &'a Path,
    /// The top of the main checkout (relative config paths are taken from it).
    pub root: &'a Path,
    pub worktree: &'a Path,
    /// The repository's common git dir and the worktree's own git dir.
    pub common_dir: &'a Path,
    pub git_dir: &'a Path,
    /// The agent's program (its file name names its family's state).
    pub program: &'a str,
}

/// The policy of a run under `profile`, `None` when the sandbox is off.
pub fn policy(profile: &Profile, run: &Run<'_>) -> Option<Policy> {
    if profile.mode == Mode::Off {
        return None;
    }
    let family = Path::new(run.program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut write = vec![
        real(run.worktree.to_owned()),
        real(run.git_dir.to_owned()),
        real(run.common_dir.join("objects")),
    ];
    let mut make = Vec::new();
    for p in state_paths(&family, run.home) {
        let path = PathBuf::from(p.trim_end_matches('/'));
        if p.ends_with('/') {
            make.push(path.clone());
        }
        write.push(real(path));
    }
    write.extend(
        profile
            .write
            .iter()
            .map(|p| real(expand(p, run.home, run.root))),
    );
    let mut hide: Vec<PathBuf> = HIDDEN_IN_HOME
        .iter()
        .map(|p| real(run.home.join(p)))
        .collect();
    hide.extend(
        profile
            .hide
            .iter()
            .map(|p| real(expand(p, run.home, run.root))),
    );
    let drop_env = CREDENTIAL_VARS
        .iter()
        .filter(|v| !profile.pass_env.iter().any(|p| p == *v))
        .map(|v| (*v).to_owned())
        .collect();
    Some(Policy {
        mode: profile.mode,
        worktree: real(run.worktree.to_owned()),
        write,
        make,
        hide,
        drop_env,
    })
}

/// Git's line after every commit (and rebase) of a confined agent: since 2.45 git deletes the
/// worktree's `AUTO_MERGE` through the ref store, which takes the repository's packed-refs
/// lock even when there is nothing to delete, and the sandbox may not create it. The commit
/// is made by then and nothing is lost; a deletion that matters (a branch) says more.
pub fn is_auto_merge_complaint(line: &str) -> bool {
    let line = line.trim();
    line.starts_with("error: Unable to create '")
        && line.ends_with("packed-refs.lock': Permission denied")
}

/// Lines of a run's output that tell of something the sandbox refused: the kernel answers a
/// refused open, create or rename with EACCES (or EPERM), and the tool that tried says so.
pub fn refusals(output: &str, limit: usize) -> Vec<String> {
    let re =
        regex::Regex::new(r"(?i)permission denied|\beacces\b|operation not permitted|\beperm\b")
            .expect("a valid pattern");
    let mut out: Vec<String> = Vec::new();
    for line in output.lines() {
        let Some(m) = re.find(line) else { continue };
        // The complaint of every commit (see `is_auto_merge_complaint`), also where a JSON
        // stream quotes a tool's output.
        if line.contains("packed-refs.lock") {
            continue;
        }
        // A JSON stream puts a tool's error inside a string: keep that string only.
        let start = line[..m.start()].rfind('"').map_or(0, |i| i + 1);
        let end = line[m.end()..]
            .find('"')
            .map_or(line.len(), |i| m.end() + i);
        let mut said = line[start..end]
            .replace("\\n", " ")
            .replace("\\\"", "'")
            .trim()
            .to_owned();
        if said.len() > 240 {
            let mut cut = 240;
            while !said.is_char_boundary(cut) {
                cut -= 1;
            }
            said.truncate(cut);
            said.push('…');
        }
        if !said.is_empty() && !out.contains(&said) {
            out.push(said);
            if out.len() == limit {
                break;
            }
        }
    }
    out
}

/// What the sandbox enforces here under `mode`, for `doctor`: whether that is what the
/// setting asks for, whether it must be, and a sentence.
pub fn diagnose(mode: Mode) -> (bool, bool, String) {
    match (mode, support()) {
        (Mode::Off, _) => (
            true,
            false,
            "off (epic.sandbox): agents run unconfined, with the whole environment".to_owned(),
        ),
        (_, Support::Landlock(abi)) => (
            true,
            false,
            format!(
                "Landlock ABI {abi}: each agent writes only its worktree, its own git dir, the object store, a temporary dir and its own state; ~/.ssh, ~/.gnupg, ~/.aws, ~/.config/gh, ~/.netrc and the git credential stores are unreadable; forge and cloud credentials are held back; network and reads elsewhere are not confined (docs/sandbox.md)"
            ),
        ),
        (Mode::Auto, Support::None(why)) => (
            false,
            false,
            format!("agents run unconfined: {why} (credentials are still held back)"),
        ),
        (Mode::Landlock, Support::None(why)) => (
            false,
            true,
            format!("epic.sandbox is landlock, but {why}: no agent can start"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_bad_values_are_named() {
        assert_eq!(Mode::parse("auto", "epic.sandbox").unwrap(), Mode::Auto);
        assert_eq!(
            Mode::parse(" Landlock ", "epic.sandbox").unwrap(),
            Mode::Landlock
        );
        assert_eq!(Mode::parse("off", "epic.sandbox").unwrap(), Mode::Off);
        let e = Mode::parse("firejail", "epic.sandbox").unwrap_err();
        assert!(e.to_string().contains("epic.sandbox is `firejail`"), "{e}");
    }

    #[test]
    fn refusals_are_found_in_text_and_in_json_strings() {
        let out = "ok\nsh: 1: cannot create /x/y: Permission denied\n{\"content\":\"EACCES: permission denied, open '/a/b'\",\"x\":1}\nsh: 1: cannot create /x/y: Permission denied\n";
        assert_eq!(
            refusals(out, 10),
            vec![
                "sh: 1: cannot create /x/y: Permission denied",
                "EACCES: permission denied, open '/a/b'"
            ]
        );
        assert_eq!(refusals(out, 1).len(), 1);
        assert!(refusals("all good\n", 10).is_empty());
    }

    #[test]
    fn the_policy_keeps_secrets_hidden_and_passes_what_the_profile_lists() {
        let t = tempfile::tempdir().unwrap();
        let home = t.path().join("home");
        let profile = Profile {
            pass_env: vec!["GH_TOKEN".into()],
            write: vec!["~/.cache/x".into()],
            ..Profile::default()
        };
        let p = policy(
            &profile,
            &Run {
                home: &home,
                root: t.path(),
                worktree: &t.path().join("wt"),
                common_dir: &t.path().join(".git"),
                git_dir: &t.path().join(".git/worktrees/wt"),
                program: "/usr/bin/claude",
            },
        )
        .unwrap();
        assert!(p.write.contains(&home.join(".claude")));
        assert_eq!(p.make, vec![home.join(".claude")]);
        assert!(p.write.contains(&home.join(".cache/x")));
        assert!(p.hide.contains(&home.join(".ssh")));
        assert!(!p.drop_env.contains(&"GH_TOKEN".to_owned()));
        assert!(p.drop_env.contains(&"GITHUB_TOKEN".to_owned()));
        let off = Profile {
            mode: Mode::Off,
            ..Profile::default()
        };
        assert!(policy(
            &off,
            &Run {
                home: &home,
                root: t.path(),
                worktree: t.path(),
                common_dir: t.path(),
                git_dir: t.path(),
                program: "x",
            }
        )
        .is_none());
    }
}
