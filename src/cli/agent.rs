use clap::{Args, Subcommand};

use super::Ctx;
use crate::error::usage;
use crate::presets::{self, PRESETS};

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Configure an agent profile from a preset (claude, codex, aider, gemini)
    #[command(
        after_help = "Examples:\n  git epic agent add claude\n  git epic agent add claude --name haiku   # then edit: git config epicAgent.haiku.command\n  git epic agent add gemini --global\n\nTickets choose a profile with `agent = \"<name>\"`; set epic.agent to use one for every ticket."
    )]
    Add(AddArgs),
    /// List the configured agent profiles and the presets
    #[command(after_help = "Examples:\n  git epic agent list\n  git epic agent list --json")]
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The preset
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(PRESETS.iter().map(|p| p.name)))]
    pub preset: String,
    /// The profile name (default: the preset's name)
    #[arg(long, value_name = "PROFILE")]
    pub name: Option<String>,
    /// Write to your global git config instead of this repository's
    #[arg(long)]
    pub global: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, c: AgentCommand) -> anyhow::Result<i32> {
    match c {
        AgentCommand::Add(a) => add(ctx, a),
        AgentCommand::List(a) => list(ctx, a),
    }
}

fn add(ctx: &Ctx, a: AddArgs) -> anyhow::Result<i32> {
    let preset = presets::find(&a.preset).expect("clap checked the name");
    let name = a.name.unwrap_or_else(|| preset.name.to_owned());
    if !crate::ticket::is_valid_profile(&name) {
        return Err(usage(format!(
            "The profile name `{name}` must be letters, digits, `.`, `_` or `-`."
        )));
    }
    let mut keys = vec![(
        format!("epicAgent.{name}.command"),
        preset.command.to_owned(),
    )];
    if let Some(p) = preset.rate_limit_pattern {
        keys.push((format!("epicAgent.{name}.rateLimitPattern"), p.to_owned()));
    }
    let scope = if a.global { "--global" } else { "--local" };
    if !a.global {
        // Refuse outside a repository before writing anything.
        crate::gitx::discover(&ctx.cwd)?;
    }
    for (key, value) in &keys {
        crate::gitx::git(&ctx.cwd, &["config", scope, key, value])?;
    }
    ctx.out
        .result(format!("epicAgent.{name}.command = {}", preset.command));
    let program = preset.command.split_whitespace().next().unwrap_or_default();
    if which::which(program).is_err() {
        ctx.out.warn(format!(
            "`{program}` is not on PATH yet: install it before running tickets with this profile."
        ));
    }
    let adapter = crate::agents::Adapter::detect(
        &shell_words::split(preset.command).expect("presets split into words"),
    );
    // The epic's own commands, when run inside an epic.
    let commands: Vec<String> = ctx
        .workspace()
        .ok()
        .and_then(|ws| {
            crate::config::Settings::load(&ws.repo.config_snapshot(), &ws.epic.name).ok()
        })
        .map(|s| s.test.into_iter().chain(s.lint_fix).collect())
        .unwrap_or_else(|| vec!["<epic.test>".into(), "<epic.lintFix>".into()]);
    if let Some(p) = adapter.permissions(&commands) {
        ctx.out
            .info(format!("{}.", p[..1].to_uppercase() + &p[1..]));
    }
    ctx.out.info(format!("Use it with `agent = \"{name}\"` in a ticket, or for every ticket: git config epic.agent \"{}\"", preset.command));
    Ok(0)
}

fn list(ctx: &Ctx, a: ListArgs) -> anyhow::Result<i32> {
    let repo = crate::gitx::discover(&ctx.cwd).ok();
    let config = repo.as_ref().map(|r| r.config_snapshot());
    let profiles = config
        .as_ref()
        .map(crate::config::agent_profiles)
        .unwrap_or_default();
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
        }
        let out = Out {
            profiles: profiles
                .iter()
                .map(|(n, c)| Profile {
                    name: n,
                    command: c,
                    installed: found(c),
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
        }
    }
    ctx.out.result("Presets:");
    for p in PRESETS {
        ctx.out
            .result(format!("  {:<10} {}  ({})", p.name, p.command, p.note));
    }
    Ok(0)
}
