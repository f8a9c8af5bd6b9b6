use clap::{ArgGroup, Args, Subcommand};

use super::Ctx;
use crate::ops::runner::Selection;

#[derive(Debug, Subcommand)]
pub enum WaveCommand {
    /// Start the ready tickets of a wave: worktree, branch, agent
    #[command(
        group(ArgGroup::new("which").args(["wave", "next", "all"])),
        after_help = "A ticket is ready when all its dependencies are merged. Done tickets are never run \
again, so running the same command after Ctrl-C or a crash resumes.\n\nExamples:\n  git epic wave start            # the next wave with a ticket ready to start\n  git epic wave start 1 -j 8\n  git epic wave start --all --dry-run\n  git epic wave start --all --auto-merge -j 6   # the whole graph, critical path first"
    )]
    Start(StartArgs),
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// The wave to start (default: the lowest wave with a ticket ready to start)
    #[arg(value_name = "N")]
    pub wave: Option<usize>,
    /// The lowest wave with a ticket ready to start (the default)
    #[arg(long)]
    pub next: bool,
    /// Every ready ticket, whatever its wave
    #[arg(long)]
    pub all: bool,
    /// With --all: merge each done ticket (through the gates) and start what it unblocks,
    /// with no barrier between waves
    #[arg(long, requires = "all")]
    pub auto_merge: bool,
    #[command(flatten)]
    pub run: super::run::RunFlags,
}

pub fn run(ctx: &Ctx, c: WaveCommand) -> anyhow::Result<i32> {
    match c {
        WaveCommand::Start(a) => {
            let sel = match (a.wave, a.all) {
                (Some(n), _) => Selection::Wave(n),
                (None, true) => Selection::All,
                _ => Selection::Next,
            };
            super::run::execute(ctx, sel, &a.run, false, a.auto_merge)
        }
    }
}
