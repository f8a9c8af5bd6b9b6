use clap::{Args, Subcommand};

use super::Ctx;
use crate::infra::error::usage;
use crate::infra::presets::{self, PRESETS};

#[derive(Debug, Subcommand)]
pub enum AgentSubcommand {
    /// Configure an agent profile from a preset (claude, codex, aider, gemini) or a command
    #[command(
        after_help = "Examples:\n  git epic agent add claude\n  git epic agent add claude --name haiku   # then edit: git config epicAgent.haiku.command\n  git epic agent add gemini --global\n  git epic agent add mine --command \"./scripts/agent.sh --fast\"\n\nA custom agent runs in its ticket's worktree with its prompt as its last argument (epic.promptVia=stdin: on stdin) and EPIC_NAME, EPIC_TICKET and EPIC_BASE set (see git-epic(1), ENVIRONMENT).\n\nTickets choose a profile with `agent = \"<name>\"`; set epic.agent to use one for every ticket."
    )]
    Add(AgentAddArgs),
    /// List the configured agent profiles and the presets
    #[command(after_help = "Examples:\n  git epic agent list\n  git epic agent list --json")]
    List(AgentListArgs),
    /// Lift a profile's rate-limit cooldown: its waiting tickets start at once
    #[command(
        after_help = "Examples:\n  git epic agent reset claude\n  git epic agent reset default   # the profile of tickets that name none (epic.agent)\n\nAfter a rate limit every ticket of the profile waits for the reset the agent named (see \n`git epic agent list`). When you know better (plan upgraded, account switched, a reset read \nwrong), this lifts it: this machine's waiting tickets are due now, and a running \n`git epic wave start` or `run` starts them within a second or so. For a profile with \nepicAgent.<profile>.sharedAccount, the account's note is cleared too and sent through \nepic.remote: every machine's tickets of the profile go on."
    )]
    Reset(ResetArgs),
}

#[derive(Debug, Args)]
pub struct ResetArgs {
    /// The agent profile (`default`: tickets that name none)
    pub profile: String,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AgentAddArgs {
    /// The preset (claude, codex, aider, gemini); with --command, the profile's name
    #[arg(value_name = "PRESET|NAME")]
    pub preset: String,
    /// The profile name (default: the preset's name)
    #[arg(long, value_name = "PROFILE", conflicts_with = "command")]
    pub name: Option<String>,
    /// The agent command of a profile of your own (its program and arguments; the prompt
    /// is added as its last argument)
    #[arg(long, value_name = "CMD")]
    pub command: Option<String>,
    /// Write to your global git config instead of this repository's
    #[arg(long)]
    pub global: bool,
}

#[derive(Debug, Args)]
pub struct AgentListArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, c: AgentSubcommand) -> anyhow::Result<i32> {
    match c {
        AgentSubcommand::Add(a) => add(ctx, a),
        AgentSubcommand::List(a) => list(ctx, a),
        AgentSubcommand::Reset(a) => reset(ctx, a),
    }
}

fn reset(ctx: &Ctx, a: ResetArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let lifted = crate::ops::cooldown::reset(&ws, &a.profile)?;
    if a.json {
        ctx.out.json(&lifted)?;
        return Ok(0);
    }
    let Some(was) = &lifted.was else {
        ctx.out.result(format!(
            "Profile `{}` has no cooldown: nothing to lift.",
            lifted.profile
        ));
        return Ok(0);
    };
    ctx.out.result(format!(
        "Lifted the cooldown of profile `{}`: it held {}.",
        lifted.profile,
        cooldown_text(was)
    ));
    for t in &lifted.tickets {
        ctx.out.info(if t.held {
            format!("{}: due now; the running git epic starts it.", t.id)
        } else {
            format!(
                "{}: due now; `git epic run {}` (or wave start) starts it.",
                t.id, t.id
            )
        });
    }
    if lifted.account {
        match (&lifted.remote, &lifted.offline) {
            (Some(remote), None) => ctx.out.info(format!(
                "The shared account's note is cleared and sent to {remote}: the other machines go on at their next exchange."
            )),
            (Some(remote), Some(why)) => ctx.out.warn(format!(
                "{remote} cannot be reached ({why}): the other machines learn of the reset at the next `git epic sync`."
            )),
            (None, _) => ctx
                .out
                .info("The shared account's note is cleared (epic.remote is not set: this machine only)."),
        }
    }
    Ok(0)
}

/// `until 15:04:00 (59m59s left), after the rate limit of ticket A: "<the agent's line>"`.
pub(super) fn cooldown_text(c: &crate::ops::cooldown::Cooldown) -> String {
    let said = match (&c.said, c.reset_named) {
        (Some(line), _) => format!(": \"{line}\""),
        (None, false) => " (no reset time named: epic.rateLimitWait)".to_owned(),
        (None, true) => String::new(),
    };
    format!(
        "until {} ({} left), after the {}{said}",
        super::output::local_time(c.until),
        super::output::duration(c.left_s),
        c.source
    )
}

/// What `agent add` configures: a preset's command (and limit wording), or the user's own.
fn profile_of(a: &AgentAddArgs) -> anyhow::Result<(String, String, Option<&'static str>)> {
    if let Some(command) = &a.command {
        let words = shell_words::split(command).map_err(|e| {
            usage(format!(
                "--command `{command}` cannot be split into words: {e}."
            ))
        })?;
        if words.is_empty() {
            return Err(usage(
                "--command is empty: give the agent's program and its arguments.",
            ));
        }
        return Ok((a.preset.clone(), command.clone(), None));
    }
    let Some(preset) = presets::find(&a.preset) else {
        let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
        return Err(usage(format!(
            "There is no preset `{}` (presets: {}).{} For an agent of your own: git epic agent add {} --command \"<cmd>\".",
            a.preset,
            names.join(", "),
            crate::infra::suggest::did_you_mean(&a.preset, &names),
            a.preset
        )));
    };
    let name = a.name.clone().unwrap_or_else(|| preset.name.to_owned());
    Ok((name, preset.command.to_owned(), preset.rate_limit_pattern))
}

fn add(ctx: &Ctx, a: AgentAddArgs) -> anyhow::Result<i32> {
    let (name, command, rate_limit_pattern) = profile_of(&a)?;
    if !crate::model::ticket::is_valid_profile(&name) {
        return Err(usage(format!(
            "The profile name `{name}` must be letters, digits, `.`, `_` or `-`."
        )));
    }
    let mut keys = vec![(format!("epicAgent.{name}.command"), command.clone())];
    if let Some(p) = rate_limit_pattern {
        keys.push((format!("epicAgent.{name}.rateLimitPattern"), p.to_owned()));
    }
    let scope = if a.global { "--global" } else { "--local" };
    if !a.global {
        // Refuse outside a repository before writing anything.
        crate::infra::gitx::discover(&ctx.cwd)?;
    }
    for (key, value) in &keys {
        crate::infra::gitx::git(&ctx.cwd, &["config", scope, key, value])?;
    }
    ctx.out
        .result(format!("epicAgent.{name}.command = {command}"));
    let argv = shell_words::split(&command).expect("checked above, or a preset's");
    let program = argv.first().map(String::as_str).unwrap_or_default();
    if which::which(program).is_err() {
        ctx.out.warn(format!(
            "`{program}` is not on PATH yet: install it before running tickets with this profile."
        ));
    }
    let adapter = crate::model::agents::Adapter::detect(&argv);
    // The epic's own commands, when run inside an epic.
    let commands: Vec<String> = ctx
        .workspace()
        .ok()
        .and_then(|ws| {
            crate::infra::config::Settings::load(&ws.repo.config_snapshot(), &ws.epic.name).ok()
        })
        .map(|s| s.test.into_iter().chain(s.lint_fix).collect())
        .unwrap_or_else(|| vec!["<epic.test>".into(), "<epic.lintFix>".into()]);
    if let Some(p) = adapter.permissions(&commands) {
        ctx.out
            .info(format!("{}.", p[..1].to_uppercase() + &p[1..]));
    }
    ctx.out.info(format!("Use it with `agent = \"{name}\"` in a ticket, or for every ticket: git config epic.agent \"{command}\""));
    Ok(0)
}

fn list(ctx: &Ctx, a: AgentListArgs) -> anyhow::Result<i32> {
    let repo = crate::infra::gitx::discover(&ctx.cwd).ok();
    let config = repo.as_ref().map(|r| r.config_snapshot());
    let profiles = config
        .as_ref()
        .map(crate::infra::config::agent_profiles)
        .unwrap_or_default();
    // Inside an epic, each profile's cooldown (unreadable ticket files: none shown, said).
    let cooldowns = match ctx.workspace() {
        Ok(ws) => crate::ops::cooldown::list(&ws).unwrap_or_else(|e| {
            ctx.out
                .warn(format!("The cooldowns could not be read: {e:#}"));
            Vec::new()
        }),
        Err(_) => Vec::new(),
    };
    let cooldown_of = |name: &str| cooldowns.iter().find(|c| c.profile == name);
    let found = |cmd: &str| {
        shell_words::split(cmd)
            .ok()
            .and_then(|w| w.first().cloned())
            .is_some_and(|p| which::which(p).is_ok())
    };
    if a.json {
        #[derive(serde::Serialize)]
        struct Profile<'a> {
            name: &'a str,
            command: &'a str,
            installed: bool,
            cooldown: Option<&'a crate::ops::cooldown::Cooldown>,
        }
        #[derive(serde::Serialize)]
        struct Preset<'a> {
            name: &'a str,
            command: &'a str,
            rate_limit_pattern: Option<&'a str>,
            note: &'a str,
        }
        #[derive(serde::Serialize)]
        struct Out<'a> {
            profiles: Vec<Profile<'a>>,
            presets: Vec<Preset<'a>>,
            cooldowns: &'a [crate::ops::cooldown::Cooldown],
        }
        let out = Out {
            profiles: profiles
                .iter()
                .map(|(n, c)| Profile {
                    name: n,
                    command: c,
                    installed: found(c),
                    cooldown: cooldown_of(n),
                })
                .collect(),
            presets: PRESETS
                .iter()
                .map(|p| Preset {
                    name: p.name,
                    command: p.command,
                    rate_limit_pattern: p.rate_limit_pattern,
                    note: p.note,
                })
                .collect(),
            cooldowns: &cooldowns,
        };
        ctx.out.json(&out)?;
        return Ok(0);
    }
    if profiles.is_empty() {
        ctx.out
            .result("No agent profile configured (git epic agent add <preset>).");
    } else {
        ctx.out.result("Profiles:");
        for (n, c) in &profiles {
            let mark = if found(c) { "" } else { "  (not installed)" };
            ctx.out.result(format!("  {n:<10} {c}{mark}"));
            if let Some(cool) = cooldown_of(n) {
                ctx.out
                    .result(format!("  {:<10} cooling down {}", "", cooldown_text(cool)));
            }
        }
    }
    // Cooldowns of profiles not configured as such: `default`, the one of epic.agent.
    for cool in cooldowns
        .iter()
        .filter(|c| !profiles.iter().any(|(n, _)| *n == c.profile))
    {
        ctx.out.result(format!(
            "  {:<10} cooling down {}",
            cool.profile,
            cooldown_text(cool)
        ));
    }
    if !cooldowns.is_empty() {
        ctx.out
            .info("`git epic agent reset <profile>` lifts a cooldown.");
    }
    ctx.out.result("Presets:");
    for p in PRESETS {
        ctx.out
            .result(format!("  {:<10} {}  ({})", p.name, p.command, p.note));
    }
    Ok(0)
}
