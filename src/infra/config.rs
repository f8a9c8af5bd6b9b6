//! The `epic.*` git config keys, with per-epic overrides (`epic.<name>.<key>` wins over
//! `epic.<key>`): every key a command reads is named and parsed here. [`Settings::load`]
//! reads and validates the run-time settings once per command, and a bad value refuses the
//! command. A few keys are read on their own, each by its function here ([`remote_of`],
//! [`forge_of`], [`max_cost_of`], [`require_review_of`], [`setup_of`], [`include_of`],
//! [`lookup`] for `epic.hostName`): where a command must not fail on another key's bad value
//! (`status`, `doctor`, `pr`), before the settings are loaded (opening the workspace), or
//! where a worktree is made, per agent profile (`epic.setup`, `epic.include`); a bad value of
//! the key itself is refused alike. Every key, with its default and meaning, is in
//! [`crate::infra::keys`]. The epic's own definition (`epic.<name>.branch`, `base`,
//! `tasksDir`, `worktreesDir`, `epic.current`) is read by `model::epic`.

use std::time::Duration;

use gix::bstr::ByteSlice;

use crate::infra::error::{usage, Result};

pub const DEFAULT_AGENT: &str = "claude --print";
/// The spec's alternatives (`try again` narrowed to `try again in|at|later`: a bare "try again"
/// ends network and auth errors too), then what Claude Code, Codex, Gemini CLI and Aider print
/// when a limit is hit, in their versions since Claude Code 1.0 (see
/// tests/agents/limit-messages.tsv).
pub const DEFAULT_RATE_LIMIT_PATTERN: &str = concat!(
    r"(?i)rate.?limit|usage limit|capacity|try again (?:in|at|later)\b|overloaded|\b429\b",
    r"|hit your .{0,40}(?:limit|budget)|out of usage|usage is paused",
    r"|(?:hour|weekly|session) limit reached|quota limit",
    r"|quota.?exceeded|exceeded your current quota|exhausted your \w+ quota|resource.?exhausted",
    r"|experiencing high (?:load|demand)",
);

/// `epic.timeout` when unset: an agent silent this long is taken to hang.
pub const DEFAULT_SILENCE: &str = "30m";

/// How the prompt reaches the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptVia {
    Arg,
    Stdin,
}

/// The run-time settings of one epic.
#[derive(Debug, Clone)]
pub struct Settings {
    pub agent: String,
    pub prompt_via: PromptVia,
    pub max_parallel: usize,
    pub stagger: Duration,
    pub max_attempts: u32,
    pub retry_wait: Duration,
    pub rate_limit_pattern: regex::Regex,
    pub rate_limit_wait: Duration,
    /// Stop an agent after this long without output (`epic.timeout`; `0` or `off`: never).
    pub timeout: Option<Duration>,
    /// No new attempt starts once the epic's agents have spent this much (`epic.maxCost`).
    pub max_cost: Option<f64>,
    /// Continue the agent's session on the next attempt where the CLI can (`epic.resume`).
    pub resume: bool,
    pub lint_fix: Option<String>,
    pub test: Option<String>,
    pub auto_commit: bool,
    /// Test the merged result (epic + ticket) before the epic moves (`epic.queue`).
    pub queue: bool,
    /// Merged-result tests run side by side (`epic.gateJobs`).
    pub gate_jobs: usize,
    /// The agent profile that fixes red gates and conflicts (`epic.fixAgent`); None: the
    /// ticket's own agent.
    pub fix_agent: Option<String>,
    /// Automatic fix rounds per ticket (`epic.maxFixRounds`; 0: off).
    pub max_fix_rounds: u32,
    /// Nothing lands before `git epic review <id> --approve` (`epic.requireReview`).
    pub require_review: bool,
    /// `git epic sync` writes ticket state back to imported issues (`epic.trackerWriteBack`).
    pub tracker_write_back: bool,
    /// How long a machine's claim on a ticket holds unless renewed (`epic.claimLease`).
    pub claim_lease: Duration,
    /// Confine each agent run (`epic.sandbox`; a profile's own setting wins).
    pub sandbox: crate::infra::sandbox::Mode,
    /// What every profile may also write, may not read, and gets of the credentials
    /// (`epic.sandboxWrite`, `epic.sandboxHide`, `epic.passEnv`, and their per-epic keys).
    pub sandbox_write: Vec<String>,
    pub sandbox_hide: Vec<String>,
    pub pass_env: Vec<String>,
}

/// Read a config value as a string; `epic.<epic>.<key>` first, then `epic.<key>`.
pub fn lookup(config: &gix::config::Snapshot<'_>, epic: &str, key: &str) -> Option<String> {
    let file = config.plumbing();
    let get = |sub: Option<&str>| {
        file.string_by("epic", sub.map(|s| s.as_bytes().as_bstr()), key)
            .map(|v| v.to_str_lossy().into_owned())
    };
    get(Some(epic)).or_else(|| get(None))
}

/// The command of agent profile `profile` (`epicAgent.<profile>.command`).
pub fn agent_profile(config: &gix::config::Snapshot<'_>, profile: &str) -> Option<String> {
    agent_profile_key(config, profile, "command")
}

/// `epicAgent.<profile>.<key>`.
pub fn agent_profile_key(
    config: &gix::config::Snapshot<'_>,
    profile: &str,
    key: &str,
) -> Option<String> {
    config
        .plumbing()
        .string_by("epicAgent", Some(profile.as_bytes().as_bstr()), key)
        .map(|v| v.to_str_lossy().into_owned())
}

/// Every value of `<section>[.<sub>].<key>` (the key may be repeated), each split at commas:
/// `epic.sandboxWrite` for every profile, `epicAgent.<profile>.sandboxWrite` for one.
pub fn list(
    config: &gix::config::Snapshot<'_>,
    section: &str,
    sub: Option<&str>,
    key: &str,
) -> Vec<String> {
    config
        .plumbing()
        .strings_by(section, sub.map(|s| s.as_bytes().as_bstr()), key)
        .unwrap_or_default()
        .iter()
        .flat_map(|v| {
            v.to_str_lossy()
                .split(',')
                .map(|s| s.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// Every configured agent profile: (name, command).
pub fn agent_profiles(config: &gix::config::Snapshot<'_>) -> Vec<(String, String)> {
    subsections(config, "epicAgent")
        .into_iter()
        .filter_map(|name| agent_profile(config, &name).map(|cmd| (name, cmd)))
        .collect()
}

/// Every key set under `epic.` and `epicAgent.`, as `section[.subsection].name` (the names
/// as written), from every config file git reads.
pub fn epic_keys(config: &gix::config::Snapshot<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for section in config.plumbing().sections() {
        let header = section.header();
        let name = header.name().to_str_lossy();
        if !name.eq_ignore_ascii_case("epic") && !name.eq_ignore_ascii_case("epicAgent") {
            continue;
        }
        let prefix = match header.subsection_name() {
            Some(sub) => format!("{name}.{}", sub.to_str_lossy()),
            None => name.into_owned(),
        };
        for key in section.value_names() {
            out.push(format!("{prefix}.{key}"));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The distinct subsection names of `section` (`[epic "blocking"]` -> `blocking`), sorted.
pub fn subsections(config: &gix::config::Snapshot<'_>, section: &str) -> Vec<String> {
    let mut out: Vec<String> = config
        .plumbing()
        .sections_by_name(section)
        .into_iter()
        .flatten()
        .filter_map(|s| {
            s.header()
                .subsection_name()
                .map(|n| n.to_str_lossy().into_owned())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

impl Settings {
    pub fn load(config: &gix::config::Snapshot<'_>, epic: &str) -> Result<Settings> {
        let get = |key: &str| lookup(config, epic, key);
        let dur = |key: &str, default: &str| -> Result<Duration> {
            let v = get(key).unwrap_or_else(|| default.to_owned());
            parse_duration(&v).ok_or_else(|| bad(key, &v, "a duration like 90, 90s, 5m or 1h"))
        };
        let num = |key: &str, default: u64, min: u64| -> Result<u64> {
            match get(key) {
                None => Ok(default),
                Some(v) => match v.trim().parse::<u64>() {
                    Ok(n) if n >= min => Ok(n),
                    _ => Err(bad(key, &v, &format!("a whole number of at least {min}"))),
                },
            }
        };
        let prompt_via = match get("promptVia").as_deref().map(str::trim) {
            None | Some("arg") => PromptVia::Arg,
            Some("stdin") => PromptVia::Stdin,
            Some(other) => {
                return Err(bad(
                    "promptVia",
                    other,
                    &format!(
                        "`arg` or `stdin`.{}",
                        crate::infra::suggest::did_you_mean(other, &["arg", "stdin"])
                    ),
                ))
            }
        };
        let pattern =
            get("rateLimitPattern").unwrap_or_else(|| DEFAULT_RATE_LIMIT_PATTERN.to_owned());
        let rate_limit_pattern = regex::Regex::new(&pattern)
            .map_err(|_| bad("rateLimitPattern", &pattern, "a valid regular expression"))?;
        let timeout = match get("timeout").as_deref().map(str::trim) {
            Some("off" | "none" | "never" | "0") => None,
            Some(v) => Some(
                parse_duration(v)
                    .filter(|d| !d.is_zero())
                    .ok_or_else(|| bad("timeout", v, "a duration like 90s, 30m or 1h, or off"))?,
            ),
            None => parse_duration(DEFAULT_SILENCE),
        };
        let flag = |key: &str, default: bool| parse_flag(key, get(key), default);
        let auto_commit = flag("autoCommit", true)?;
        let resume = flag("resume", true)?;
        let queue = flag("queue", true)?;
        let require_review = flag("requireReview", false)?;
        let tracker_write_back = flag("trackerWriteBack", false)?;
        let fix_agent = get("fixAgent").filter(|p| !p.trim().is_empty());
        if let Some(p) = &fix_agent {
            if agent_profile(config, p).is_none() {
                return Err(usage(format!(
                    "git config epic.fixAgent is `{p}`, but git config epicAgent.{p}.command is not set."
                )));
            }
        }
        let max_cost = match get("maxCost") {
            None => None,
            Some(v) => Some(
                parse_cost(&v).ok_or_else(|| bad("maxCost", &v, "an amount like 5 or 12.50"))?,
            ),
        };
        let non_empty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let lists = |key: &str| {
            let mut all = list(config, "epic", None, key);
            all.extend(list(config, "epic", Some(epic), key));
            all
        };
        Ok(Settings {
            agent: get("agent").unwrap_or_else(|| DEFAULT_AGENT.to_owned()),
            prompt_via,
            max_parallel: num("maxParallel", 4, 1)? as usize,
            stagger: dur("stagger", "2s")?,
            max_attempts: num("maxAttempts", 3, 1)? as u32,
            retry_wait: dur("retryWait", "30s")?,
            rate_limit_pattern,
            rate_limit_wait: dur("rateLimitWait", "5m")?,
            timeout,
            max_cost,
            resume,
            lint_fix: non_empty(get("lintFix")),
            test: non_empty(get("test")),
            auto_commit,
            queue,
            gate_jobs: num("gateJobs", 2, 1)? as usize,
            fix_agent,
            max_fix_rounds: num("maxFixRounds", 2, 0)? as u32,
            require_review,
            tracker_write_back,
            claim_lease: dur("claimLease", "10m")?,
            sandbox: crate::infra::sandbox::Mode::parse(
                &get("sandbox").unwrap_or_default(),
                "epic.sandbox",
            )?,
            sandbox_write: lists("sandboxWrite"),
            sandbox_hide: lists("sandboxHide"),
            pass_env: lists("passEnv"),
        })
    }
}

/// A true-or-false key's value; unset is `default`.
fn parse_flag(key: &str, value: Option<String>, default: bool) -> Result<bool> {
    match value.as_deref().map(|s| s.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if ["true", "yes", "on", "1"].contains(&v.as_str()) => Ok(true),
        Some(v) if ["false", "no", "off", "0"].contains(&v.as_str()) => Ok(false),
        Some(v) => Err(bad(
            key,
            &v,
            &format!(
                "true or false.{}",
                crate::infra::suggest::did_you_mean(&v, &["true", "false"])
            ),
        )),
    }
}

fn bad(key: &str, value: &str, expected: &str) -> anyhow::Error {
    // An expectation that ends its own sentence (with a suggestion) keeps its stop.
    let stop = if expected.ends_with(['.', '?']) {
        ""
    } else {
        "."
    };
    usage(format!(
        "git config epic.{key} is `{value}`, expected {expected}{stop}"
    ))
}

/// Parse an amount: `5`, `12.50`, `$12.50`; never negative, NaN or infinite.
pub fn parse_cost(s: &str) -> Option<f64> {
    s.trim()
        .trim_start_matches('$')
        .parse::<f64>()
        .ok()
        .filter(|c| c.is_finite() && *c >= 0.0)
}

/// Parse `90`, `90s`, `5m`, `1h` (also `500ms` and `1d`).
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "ms" => return Some(Duration::from_millis(n)),
        "m" | "min" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86400)?,
        _ => return None,
    };
    Some(Duration::from_secs(secs))
}

/// `epic.<name>.remote`, else `epic.remote`.
pub fn remote_of(repo: &gix::Repository, epic: &str) -> Option<String> {
    lookup(&repo.config_snapshot(), epic, "remote").filter(|r| !r.trim().is_empty())
}

/// `epic.forge` as written (the forge module says what it means).
pub fn forge_of(repo: &gix::Repository, epic: &str) -> Option<String> {
    lookup(&repo.config_snapshot(), epic, "forge")
}

/// `epic.maxCost`, where it parses: what status shows needs no valid settings.
pub fn max_cost_of(repo: &gix::Repository, epic: &str) -> Result<Option<f64>> {
    match lookup(&repo.config_snapshot(), epic, "maxCost") {
        None => Ok(None),
        Some(v) => parse_cost(&v)
            .map(Some)
            .ok_or_else(|| bad("maxCost", &v, "an amount like 5 or 12.50")),
    }
}

/// `epic.maxFixRounds`, for `status` (whether a refusal is still git-epic's to fix); a bad
/// value is refused as by the settings.
pub fn max_fix_rounds_of(repo: &gix::Repository, epic: &str) -> Result<u32> {
    match lookup(&repo.config_snapshot(), epic, "maxFixRounds") {
        None => Ok(2),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| bad("maxFixRounds", &v, "a whole number (0: off)")),
    }
}

/// `epic.requireReview`, for `status`; a bad value is refused as by the settings.
pub fn require_review_of(repo: &gix::Repository, epic: &str) -> Result<bool> {
    parse_flag(
        "requireReview",
        lookup(&repo.config_snapshot(), epic, "requireReview"),
        false,
    )
}

/// `epic.watch`: whether `status` keeps a watcher over the ticket worktrees
/// (docs/status.md).
pub fn watch_of(repo: &gix::Repository, epic: &str) -> Result<bool> {
    parse_flag(
        "watch",
        lookup(&repo.config_snapshot(), epic, "watch"),
        true,
    )
}

/// The setup command of new worktrees whose agent is of `profile`:
/// `epicAgent.<profile>.setup`, else `epic.setup` (None: the queue's and git-epic's own
/// worktrees). Read where a worktree is made, per profile, which `Settings` are not. A
/// command that does not split into words is bad input.
pub fn setup_of(
    repo: &gix::Repository,
    epic: &str,
    profile: Option<&str>,
) -> Result<Option<String>> {
    let config = repo.config_snapshot();
    let own = profile.and_then(|p| {
        agent_profile_key(&config, p, "setup").map(|s| (format!("epicAgent.{p}"), s))
    });
    let setup = own
        .or_else(|| lookup(&config, epic, "setup").map(|s| ("epic".to_owned(), s)))
        .filter(|(_, s)| !s.trim().is_empty());
    if let Some((section, s)) = &setup {
        shell_words::split(s).map_err(|e| {
            usage(format!(
                "git config {section}.setup is `{s}`, which does not split into words ({e})."
            ))
        })?;
    }
    Ok(setup.map(|(_, s)| s))
}

/// `epic.include`: the globs (gitignore syntax) of ignored files carried into new
/// worktrees besides `.worktreeinclude`; several in one value separated by spaces, or the
/// key given several times (`epic.<name>.include` in place of them all).
pub fn include_of(repo: &gix::Repository, epic: &str) -> Vec<String> {
    let config = repo.config_snapshot();
    let file = config.plumbing();
    let all = |sub: Option<&str>| -> Vec<String> {
        file.strings_by("epic", sub.map(|s| s.as_bytes().as_bstr()), "include")
            .unwrap_or_default()
            .iter()
            .flat_map(|v| {
                v.to_str_lossy()
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let own = all(Some(epic));
    if own.is_empty() {
        all(None)
    } else {
        own
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration(""), None);
    }
}
