//! Every git config key git-epic reads, with its default and meaning, in one table: the man
//! page's CONFIGURATION section and docs/config.md are generated from it (a test fails when
//! they are stale), and `doctor` warns about a key under `epic.` or `epicAgent.` that is not
//! in it. A new key goes here first. Also the environment an agent runs with.

/// One key: its name as written (`<name>` and `<profile>` stand for a subsection), its
/// default as words, and what it does.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub name: &'static str,
    pub default: &'static str,
    pub meaning: &'static str,
}

const fn key(name: &'static str, default: &'static str, meaning: &'static str) -> Key {
    Key {
        name,
        default,
        meaning,
    }
}

/// The keys of `epic.<key>`; each is also read as `epic.<name>.<key>`, which wins for the
/// epic `<name>`.
pub const SETTINGS: &[Key] = &[
    key("agent", "claude --print", "the agent command of tickets that name no profile; the prompt is passed as one last argument (or on stdin, see promptVia)"),
    key("promptVia", "arg", "how the prompt reaches the agent: `arg` or `stdin`"),
    key("maxParallel", "4", "agents running at once"),
    key("stagger", "2s", "pause between two agent starts"),
    key("maxAttempts", "3", "tries per ticket for failures that are not rate limits"),
    key("retryWait", "30s", "first wait after a failure, doubled each time"),
    key("rateLimitPattern", "the wordings of Claude Code, Codex, Gemini CLI and Aider", "a regular expression matched against the last lines of a failed run: a rate limit"),
    key("rateLimitWait", "5m", "wait after a rate limit whose output names no reset time (doubled for each such limit in a row, up to 40m)"),
    key("timeout", "30m", "stop an agent silent for this long (`off`: never)"),
    key("maxCost", "none", "no new attempt starts once the epic's agents have spent this much (an amount like 5 or 12.50)"),
    key("resume", "true", "continue the agent's session on the next attempt where its CLI can"),
    key("lintFix", "none", "shell command run in a worktree after propagation, e.g. `npm run lint:fix`"),
    key("test", "none", "shell command that tells whether a worktree is green, e.g. `npm test`"),
    key("autoCommit", "true", "commit what an agent left uncommitted when it exits 0"),
    key("queue", "true", "test the merged result (epic + ticket) before the epic moves"),
    key("gateJobs", "2", "merged-result tests run side by side"),
    key("fixAgent", "the ticket's agent", "the agent profile that fixes red gates and conflicts"),
    key("maxFixRounds", "2", "automatic fix rounds per ticket (0: off)"),
    key("requireReview", "false", "nothing lands before `git epic review <id> --approve`"),
    key("watch", "true", "`status` keeps a watcher process over the ticket worktrees (inotify, Linux) and reads again only those with changes since its last call; `false`: it reads every worktree each time (docs/status.md)"),
    key("notify", "none", "command given one JSON event on stdin each time a ticket starts needing a human, a limit stops an agent profile, or a run ends, split into words like an agent command; `terminal` and `desktop` are built in (docs/notify.md)"),
    key("remote", "none", "the remote through which several machines share the epic"),
    key("forge", "from the remote's URL", "`github` or `gitlab`: where `git epic pr` opens pull requests"),
    key("trackerWriteBack", "false", "`sync` writes ticket state back to imported issues: a label, one comment, closed when the epic is finished"),
    key("claimLease", "10m", "how long a machine's claim on a ticket holds unless renewed"),
    key("hostName", "the host name", "this machine's name in `status`"),
    key("setup", "none", "command run once in each new worktree (ticket or queue scratch) before its agent or test, split into words like an agent command (`npm ci --offline`); `epicAgent.<profile>.setup` wins for that profile's tickets"),
    key("include", "none", "globs of gitignored files carried from the main checkout into each new worktree, beside `.worktreeinclude` (docs/worktrees.md)"),
    key("sandbox", "auto", "`auto`, `landlock` or `off`: confine each agent run to its ticket with Linux Landlock (`auto`: where the kernel can, else say once per run that agents run unconfined); `epicAgent.<profile>.sandbox` wins (docs/sandbox.md)"),
    key("sandboxWrite", "none", "more paths every agent may write in the sandbox (repeat the key or separate with commas; `~/` is the home dir); a profile's own add to them"),
    key("sandboxHide", "none", "more paths no agent may read in the sandbox, beside ~/.ssh, ~/.gnupg, ~/.aws, ~/.config/gh, ~/.netrc and the git credential stores"),
    key("passEnv", "none", "credential variables every agent gets though the sandbox holds them back (GH_TOKEN, AWS_*, SSH_AUTH_SOCK, ...)"),
];

/// Keys of `epic.<name>.<key>` that define an epic (set by `git epic init`), and the keys of
/// `epic.<key>` that are not settings.
pub const EPIC: &[Key] = &[
    key(
        "epic.current",
        "set by init",
        "the epic commands act on (`--epic` overrides it)",
    ),
    key(
        "epic.machineId",
        "made at first use, local config",
        "this clone's identity in claims and notes (the host name is a label)",
    ),
    key(
        "epic.<name>.base",
        "the branch at init",
        "what the epic was made from, and what `finish` merges into",
    ),
    key("epic.<name>.branch", "epic/<name>", "the epic branch"),
    key("epic.<name>.tasksDir", "tasks", "where ticket files are"),
    key(
        "epic.<name>.worktreesDir",
        "worktrees",
        "where ticket worktrees go (kept out of `git status`)",
    ),
];

/// The keys of an agent profile, `epicAgent.<profile>.<key>`.
pub const PROFILE: &[Key] = &[
    key(
        "command",
        "none",
        "the profile's agent command, chosen by a ticket's `agent` key (`git epic agent add`)",
    ),
    key(
        "rateLimitPattern",
        "epic.rateLimitPattern",
        "a rate limit, as this profile's agent words it",
    ),
    key(
        "fatalPattern",
        "per agent family",
        "output of a failed run that retrying cannot fix (not logged in, bad key): stop the run",
    ),
    key(
        "setup",
        "epic.setup",
        "the command that makes a new worktree of this profile's tickets ready",
    ),
    key(
        "sharedAccount",
        "false",
        "the profile's rate limit is shared by every machine of the epic",
    ),
    key(
        "sandbox",
        "epic.sandbox",
        "`auto`, `landlock` or `off` for this profile's runs",
    ),
    key(
        "sandboxWrite",
        "none",
        "more paths this profile's agent may write (a language server's cache, a package manager's store)",
    ),
    key(
        "sandboxHide",
        "none",
        "more paths this profile's agent may not read",
    ),
    key(
        "passEnv",
        "none",
        "credential variables this profile's agent gets though the sandbox holds them back",
    ),
];

/// The environment each agent runs with, in its ticket's worktree.
pub const AGENT_ENV: &[(&str, &str)] = &[
    ("EPIC_NAME", "the epic's name"),
    ("EPIC_TICKET", "the ticket's id"),
    (
        "EPIC_BASE",
        "the epic branch, which the ticket's branch starts from and merges into",
    ),
    (
        "TMPDIR",
        "in the sandbox: a temporary dir of the run's own (also `TMP` and `TEMP`); forge and cloud credentials are held back (docs/sandbox.md)",
    ),
];

/// Whether `epic.<rest>` is a key git-epic reads (`rest` as git config lists it, lower case).
fn known_epic_key(rest: &str, epics: &[String]) -> bool {
    let is_setting = |k: &str| SETTINGS.iter().any(|s| s.name.eq_ignore_ascii_case(k));
    if is_setting(rest) || ["current", "machineid"].contains(&rest) {
        return true;
    }
    // `epic.<name>.<key>`: an epic's definition or a per-epic setting. Names may hold dots.
    rest.rsplit_once('.').is_some_and(|(name, k)| {
        epics.iter().any(|e| e.eq_ignore_ascii_case(name))
            && (is_setting(k) || ["base", "branch", "tasksdir", "worktreesdir"].contains(&k))
    })
}

/// The keys under `epic.` and `epicAgent.` in `keys` (git config's names, as
/// `git config --list` prints them) that git-epic does not read, each with the known key it
/// is likely a typo of.
pub fn unknown(keys: &[String], epics: &[String]) -> Vec<(String, Option<String>)> {
    let settings: Vec<String> = SETTINGS
        .iter()
        .map(|k| format!("epic.{}", k.name))
        .collect();
    let profile: Vec<&str> = PROFILE.iter().map(|k| k.name).collect();
    let mut out = Vec::new();
    for full in keys {
        let lower = full.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("epic.") {
            if !known_epic_key(rest, epics) {
                let last = full.rsplit('.').next().unwrap_or(full);
                let hint = if rest.contains('.') {
                    // A per-epic key: the same epic with the closest setting.
                    let prefix = &full[..full.len() - last.len()];
                    let names: Vec<&str> = SETTINGS.iter().map(|k| k.name).collect();
                    crate::infra::suggest::closest(last, &names).map(|k| format!("{prefix}{k}"))
                } else {
                    crate::infra::suggest::closest(full, &settings).map(str::to_owned)
                };
                out.push((full.clone(), hint));
            }
        } else if lower.starts_with("epicagent.") {
            let last = full.rsplit('.').next().unwrap_or(full);
            let has_profile = full.matches('.').count() >= 2;
            if !has_profile || !profile.iter().any(|k| k.eq_ignore_ascii_case(last)) {
                let prefix = &full[..full.len() - last.len()];
                let hint = crate::infra::suggest::closest(last, &profile)
                    .filter(|_| has_profile)
                    .map(|k| format!("{prefix}{k}"));
                out.push((full.clone(), hint));
            }
        }
    }
    out
}

/// The keys as a Markdown page (docs/config.md).
pub fn markdown() -> String {
    let row = |k: &Key, name: String| format!("| `{name}` | {} | {} |\n", k.default, k.meaning);
    let mut s = String::from(
        "# Configuration\n\n\
<!-- Generated from src/infra/keys.rs by `GIT_EPIC_BLESS=1 cargo test --test generated`; edit the table there. -->\n\n\
git-epic reads git config (repo-local unless you choose `--global`). Each setting `epic.<key>` is\n\
also read as `epic.<name>.<key>`, which wins for the epic `<name>`. Durations read `90`, `90s`,\n\
`5m`, `1h`. A bad value is refused, with the key and what was expected, by every command that\n\
reads it; `git epic doctor` warns about a key under `epic.` or `epicAgent.` that git-epic does\n\
not read (a typo), with the key it likely meant.\n\n\
## Settings\n\n| key | default | meaning |\n|---|---|---|\n",
    );
    for k in SETTINGS {
        s.push_str(&row(k, format!("epic.{}", k.name)));
    }
    s.push_str("\n## The epic\n\n| key | default | meaning |\n|---|---|---|\n");
    for k in EPIC {
        s.push_str(&row(k, k.name.to_owned()));
    }
    s.push_str("\n## Agent profiles\n\n`git epic agent add <name> --preset <preset>` or `--command \"<cmd>\"` writes them.\n\n| key | default | meaning |\n|---|---|---|\n");
    for k in PROFILE {
        s.push_str(&row(k, format!("epicAgent.<profile>.{}", k.name)));
    }
    s.push_str("\n## The agent's environment\n\nEach agent runs in its ticket's worktree, with its prompt as its last argument (or on\nstdin), and these variables set:\n\n| variable | value |\n|---|---|\n");
    for (var, what) in AGENT_ENV {
        s.push_str(&format!("| `{var}` | {what} |\n"));
    }
    s
}

/// The keys as the man page's CONFIGURATION and ENVIRONMENT sections (roff).
pub fn roff() -> String {
    let esc = |s: &str| s.replace('\\', "\\e").replace('-', "\\-").replace('`', "");
    let item = |name: String, k: &Key| {
        format!(
            ".TP\n\\fB{}\\fR (default: {})\n{}\n",
            esc(&name),
            esc(k.default),
            esc(k.meaning)
        )
    };
    let mut s = String::from(".SH CONFIGURATION\nGit config keys (see also docs/config.md). Each setting epic.<key> is also read as epic.<name>.<key>, which wins for the epic <name>. Durations read 90, 90s, 5m, 1h.\n");
    for k in SETTINGS {
        s.push_str(&item(format!("epic.{}", k.name), k));
    }
    for k in EPIC {
        s.push_str(&item(k.name.to_owned(), k));
    }
    for k in PROFILE {
        s.push_str(&item(format!("epicAgent.<profile>.{}", k.name), k));
    }
    s.push_str(".SH ENVIRONMENT\nEach agent runs in its ticket's worktree with:\n");
    for (var, what) in AGENT_ENV {
        s.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", esc(var), esc(what)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key read in config.rs but missing here would be called unknown by `doctor` and be
    /// absent from the man page: the reads are found by the helpers they go through.
    #[test]
    fn every_key_config_reads_is_in_the_table() {
        let source = include_str!("config.rs");
        let reads = regex::Regex::new(
            r#"(?s)(?:\bget\(|lookup\([^;"]*?,\s*|agent_profile_key\([^;"]*?,\s*|strings_by\(\s*"epic",[^;"]*?,\s*)"([A-Za-z]+)""#,
        )
        .unwrap();
        let names: Vec<&str> = reads
            .captures_iter(source)
            .map(|c| c.get(1).unwrap().as_str())
            .collect();
        assert!(names.len() > 10, "the scan finds the reads: {names:?}");
        let known = |n: &str| {
            SETTINGS
                .iter()
                .chain(PROFILE)
                .any(|k| k.name.eq_ignore_ascii_case(n))
                || EPIC.iter().any(|k| k.name.rsplit('.').next() == Some(n))
        };
        let missing: Vec<&&str> = names.iter().filter(|n| !known(n)).collect();
        assert!(missing.is_empty(), "read but not in the table: {missing:?}");
    }

    #[test]
    fn unknown_keys_are_found_with_the_key_they_likely_mean() {
        let keys: Vec<String> = [
            "epic.tset",
            "epic.test",
            "epic.current",
            "epic.shop.base",
            "epic.shop.maxparallel",
            "epic.shop.maxparalel",
            "epicagent.claude.command",
            "epicagent.claude.comand",
            "epic.machineid",
        ]
        .map(String::from)
        .to_vec();
        let got = unknown(&keys, &["shop".to_owned()]);
        assert_eq!(
            got,
            [
                ("epic.tset".to_owned(), Some("epic.test".to_owned())),
                (
                    "epic.shop.maxparalel".to_owned(),
                    Some("epic.shop.maxParallel".to_owned())
                ),
                (
                    "epicagent.claude.comand".to_owned(),
                    Some("epicagent.claude.command".to_owned())
                ),
            ]
        );
    }
}
