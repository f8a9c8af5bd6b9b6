//! The command line: argument parsing and rendering only; the work is in the library.

mod agent;
mod cleanup;
mod completions;
mod context;
mod dashboard;
mod demo;
pub mod docgen;
mod doctor;
mod finish;
mod graph;
mod import;
mod init;
mod install_man;
mod join;
mod logs;
mod merge;
mod monitor;
mod output;
mod plan;
mod pr;
mod progress;
mod propagate;
mod report;
mod review;
mod run;
mod split;
mod status;
mod sync;
mod ticket;
mod wait;
mod wave;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use output::Out;

const EXIT_CODES: &str = "\
Exit status:
  0  success
  1  the work ran but something failed (a ticket failed, a conflict, a red test)
  2  bad input or usage; nothing was changed

merge, with ids or --wave alike, exits 0 when every ticket it selected is on the epic
(merged now or before), and 1 when any is not (refused by a gate, a conflict, not run yet,
waiting for a dependency, its agent or its reviewer); each such ticket's line says why.";

/// Run many coding agents in parallel on one epic, safely.
#[derive(Debug, Parser)]
#[command(
    name = "git-epic",
    bin_name = "git epic",
    version,
    about = "Run many coding agents in parallel on one epic, safely",
    long_about = "git-epic turns the \"many coding agents in parallel\" method into one tool: an epic \
branch, tickets with a dependency graph grouped into waves, one worktree and branch per ticket, \
agents launched in every worktree, merge of finished tickets into the epic, and propagation \
across every open worktree.\n\nState lives in git: config (epic.*), ticket files (tasks/*.md) \
and notes (refs/notes/epic), so a killed command loses nothing.",
    after_help = EXIT_CODES,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The epic to act on (default: git config epic.current)
    #[arg(long, global = true, value_name = "NAME")]
    pub epic: Option<String>,
    /// Print only errors and results
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// When to use colours (NO_COLOR is honoured)
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create an epic branch and its config, and make it the current epic
    #[command(
        after_help = "Examples:\n  git epic init blocking\n  git epic init blocking --base main --tasks-dir tasks/blocking"
    )]
    Init(init::InitArgs),
    /// Add or list tickets
    #[command(subcommand)]
    Ticket(ticket::TicketCommand),
    /// Write ticket files from the method's tasks.md, or from GitHub or GitLab issues
    #[command(
        after_help = "Examples:\n  git epic import tasks.md --dry-run\n  git epic import tasks.md\n  git epic import github --label epic:blocking\n  git epic import gitlab --milestone 2.0 --dry-run\n\nImporting again updates the tickets whose source changed and keeps the ones edited here; a ticket changed on both sides is refused until --ours or --theirs says which to keep. The files are left uncommitted. The tasks.md format is in docs/tasks-md.md."
    )]
    Import(import::ImportArgs),
    /// An agent splits a spec into small tickets with dependencies and scopes; git-epic
    /// checks them and sends what it found back to the agent
    #[command(
        after_help = "Examples:\n  git epic split docs/blocking-spec.md --dry-run\n  git epic split docs/blocking-spec.md --agent claude\n\nThe agent reads the spec and the repository (CONTEXT.md when present) in a scratch worktree at the epic's tip. git-epic checks what it wrote with the strict ticket parser and the plan (unknown or cyclic dependencies, tickets too large, overlapping scopes in one wave) and sends the findings back to the same session, for at most epic.maxFixRounds rounds. The tickets go to the tasks dir uncommitted; nothing runs until you start it."
    )]
    Split(split::SplitArgs),
    /// Show the dependency graph, grouped by wave
    #[command(
        after_help = "Examples:\n  git epic graph\n  git epic graph --format mermaid > docs/dependency-graph.md\n  git epic graph --format dot | dot -Tsvg > graph.svg"
    )]
    Graph(graph::GraphArgs),
    /// Show the waves, the critical path and the likely conflicts of a wave
    #[command(after_help = "Examples:\n  git epic plan\n  git epic plan --json")]
    Plan(plan::PlanArgs),
    /// Show one row per ticket and the epic's totals
    #[command(
        after_help = "Examples:\n  git epic status\n  git epic status --json | jq '.tickets[] | select(.state == \"failed\")'\n  git epic status --watch"
    )]
    Status(status::StatusArgs),
    /// Start waves of tickets: a worktree, a branch and an agent for each ready ticket
    #[command(subcommand)]
    Wave(wave::WaveCommand),
    /// Run the agent of the named tickets (ready ones only)
    #[command(after_help = "Examples:\n  git epic run 177\n  git epic run 177 178 -j 2 --dry-run")]
    Run(run::RunArgs),
    /// Show a ticket's agent log
    #[command(
        after_help = "Examples:\n  git epic logs 177 -n 20\n  git epic logs 177 -f\n  less \"$(git epic logs 177 --path)\""
    )]
    Logs(logs::LogsArgs),
    /// Merge done tickets into the epic branch, behind the scope and test gates
    #[command(
        after_help = "The merge is computed with `git merge-tree` and the epic branch moves only if it \
did not change meanwhile: a conflict or a failed gate leaves it exactly as it was.\n\nExit status, with ids or --wave alike: 0 when every ticket selected is on the epic (merged now or before); 1 when any is not (each line says why); 2 on bad input.\n\nExamples:\n  git epic merge 177 178\n  git epic merge --wave 0 --cleanup\n  git epic merge 180 --no-test"
    )]
    Merge(merge::MergeArgs),
    /// Write CONTEXT.md (folders, patterns, files not to touch, naming) and commit it on the
    /// epic: every ticket's prompt carries it
    #[command(
        after_help = "Examples:\n  git epic context                  # epic.agent writes it\n  git epic context --agent claude\n  git epic context --no-agent       # folders and each ticket's scope, no agent\n\nIt is written in a scratch worktree of git-epic's at the epic's tip and committed on the epic \nonly when CONTEXT.md is all that changed."
    )]
    Context(context::ContextArgs),
    /// Fetch the epic's shared state from epic.remote, merge it, and push this machine's
    #[command(
        after_help = "The epic branch, the ticket branches this machine ran, the state notes and the \nticket files go through the remote; every push has a lease and is atomic, so a machine that \nwas second fetches and merges again. Without the remote, everything works locally and sync \ncatches up later.\n\nPull requests opened with git epic pr are followed on the forge (gh, glab): merged there \nmarks the ticket merged, a review requesting changes sends it back to its agent, and the \nCI status shows in git epic status.\n\nExamples:\n  git config epic.remote origin && git epic sync\n  git epic sync --json"
    )]
    Sync(sync::SyncArgs),
    /// Adopt an epic published on a remote by another machine
    #[command(
        after_help = "Examples:\n  git epic join blocking\n  git epic join blocking --remote upstream"
    )]
    Join(join::JoinArgs),
    /// Review done tickets: what each changed, its gates, fix rounds and log; approve, or
    /// send back with requested changes
    #[command(
        after_help = "Examples:\n  git epic review 177 -p\n  git epic review --wave 1\n  git epic review 177 --approve\n  git epic review 177 --request-changes -m \"Use the existing Clock port, not Date.now()\"\n  git epic review 177 --request-changes -F notes.md\n\nRequested changes are kept in the ticket's note and given, verbatim, with its prompt on its next run (continuing the agent's session where the CLI can). With epic.requireReview=true nothing lands before --approve."
    )]
    Review(review::ReviewArgs),
    /// Remove the worktrees (and with --branches the branches) of merged tickets
    #[command(after_help = "Examples:\n  git epic cleanup\n  git epic cleanup --branches")]
    Cleanup(cleanup::CleanupArgs),
    /// Merge the epic into its base branch
    #[command(after_help = "Examples:\n  git epic finish\n  git epic finish --into release/2.0")]
    Finish(finish::FinishArgs),
    /// The method's success metrics: wall time against sequential, conflicts, rate limits,
    /// retries, rejected merges, per wave
    #[command(after_help = "Examples:\n  git epic report\n  git epic report --json | jq .")]
    Report(report::ReportArgs),
    /// Rebase every open ticket worktree onto the epic, then lint-fix and test it, in parallel
    #[command(
        after_help = "A worktree under a running agent is never touched. A dirty one is skipped (or \
stashed and restored with --autostash). A conflicting rebase is aborted, so the branch and its files \
are exactly what they were, and the ticket is marked conflict with the files named.\n\nExamples:\n  git epic propagate\n  git epic propagate -j 8 --autostash\n  git epic propagate --no-test --json"
    )]
    Propagate(propagate::PropagateArgs),
    /// Push ticket branches and open pull requests against the epic branch (gh or glab)
    #[command(
        after_help = "Examples:\n  git epic pr 177\n  git epic pr 177 178 --draft\n\nThe URL is recorded in the ticket's note and shown by git epic status; git epic sync \nfollows it. The forge is epic.forge (github or gitlab), else what the remote's URL names."
    )]
    Pr(pr::PrArgs),
    /// Check git, the agents, gh, tmux, the epic's config and stale worktrees
    #[command(
        after_help = "Exits 1 when something needed is missing (git older than 2.38, an agent that tickets \
still to run use, a broken ticket file or config); gh and tmux are only advice.\n\nExamples:\n  git epic doctor\n  git epic doctor --json"
    )]
    Doctor(doctor::DoctorArgs),
    /// A tmux session with one pane per running ticket's log and one with status --watch
    #[command(
        after_help = "Inside tmux it opens a window instead of a session. Running it again attaches to the \
session it made.\n\nExamples:\n  git epic monitor\n  git epic monitor --detach    # make it, attach later with tmux attach -t <name>"
    )]
    Monitor(monitor::MonitorArgs),
    /// The full-screen live view over the epic, with the tech lead's actions on keys
    #[command(
        after_help = "It reads the notes, logs and supervisors' records, so it works from any clone or worktree, \nwhether or not this process runs the agents. Keys: a approve, c request changes ($EDITOR), m merge, \nr run or retry, s stop, p pull request, f flow mode, l/d/g log, diff or graph pane, R raw log, \n? help, q quit (the agents go on). The mouse selects; resizing redraws.\n\nExamples:\n  git epic dashboard\n  git epic dashboard --every 2"
    )]
    Dashboard(dashboard::DashboardArgs),
    /// Block until a ticket needs you, the agents are done, or named tickets end
    #[command(
        after_help = "Exit status: 0 on the event (printed, as JSON with --json), 1 when --timeout passes first, \n2 on bad input. What holds already counts: a ticket that needs you now answers at once.\n\nExamples:\n  git epic wait && say done\n  git epic wait --for needs-you --timeout 2h\n  git epic wait --for A B --json"
    )]
    Wait(wait::WaitArgs),
    /// Agent profiles: presets for claude, codex, aider, gemini
    #[command(subcommand)]
    Agent(agent::AgentSubcommand),
    /// Run the whole flow on a throw-away repository with a simulated agent, in seconds
    #[command(
        after_help = "Examples:\n  git epic demo\n  git epic demo --keep    # and look around: git epic status, git log --graph epic/shop"
    )]
    Demo(demo::DemoArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    #[command(
        after_help = "Examples:\n  git epic completions bash > ~/.local/share/bash-completion/completions/git-epic\n  git epic completions zsh > ~/.zfunc/_git-epic\n  git epic completions fish > ~/.config/fish/completions/git-epic.fish\n\nThe bash script also defines _git_epic, which git's own completion calls for `git epic <TAB>`."
    )]
    Completions(completions::CompletionsArgs),
    /// Install the man pages next to the binary, so `git help epic` opens git-epic(1)
    #[command(
        after_help = "Examples:\n  git epic install-man                 # after cargo install: ~/.cargo/share/man/man1\n  git epic install-man --prefix ~/.local"
    )]
    InstallMan(install_man::InstallManArgs),
    /// The supervisor of one agent run (started by `wave start` and `run`)
    #[command(name = "__supervise", hide = true)]
    Supervise {
        /// The ticket's log (the run's records go beside it)
        #[arg(long)]
        log: PathBuf,
        /// The orchestrator's id for this run
        #[arg(long)]
        run: String,
        /// Where the run's output starts in the log
        #[arg(long)]
        offset: u64,
        /// The sandbox policy of the run
        #[arg(long)]
        sandbox: Option<PathBuf>,
        /// The agent's command
        #[arg(last = true, required = true)]
        argv: Vec<String>,
    },
    /// The watcher of a repository's ticket worktrees (started by `status`, docs/status.md)
    #[command(name = "__watch", hide = true)]
    Watch {
        /// Where to listen
        #[arg(long)]
        socket: PathBuf,
        /// The repository's common git dir: the watcher leaves when it is gone
        #[arg(long)]
        common_dir: PathBuf,
        /// Seconds without a request before the watcher leaves
        #[arg(long, default_value_t = crate::infra::watch::IDLE_S)]
        idle: u64,
        /// The worktrees to watch from the start
        #[arg(last = true)]
        worktrees: Vec<PathBuf>,
    },
    /// The demo's simulated agent (used by `git epic demo`)
    #[command(name = "__simulate-agent", hide = true)]
    SimulateAgent {
        /// The prompt (unused: the simulation follows the ticket id)
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// Parse the process arguments, run the command and return the exit code.
pub fn main() -> i32 {
    install_man::ensure_installed();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let out = Out::new(cli.global.quiet, cli.global.color);
    match run(cli, &out) {
        Ok(code) => code,
        Err(e) => {
            out.error(&e);
            crate::infra::error::exit_code(&e)
        }
    }
}

fn run(cli: Cli, out: &Out) -> anyhow::Result<i32> {
    let cwd = std::env::current_dir()?;
    let ctx = Ctx {
        cwd,
        epic: cli.global.epic,
        out,
    };
    match cli.command {
        Command::Init(a) => init::run(&ctx, a),
        Command::Ticket(c) => ticket::run(&ctx, c),
        Command::Import(a) => import::run(&ctx, a),
        Command::Split(a) => split::run(&ctx, a),
        Command::Graph(a) => graph::run(&ctx, a),
        Command::Plan(a) => plan::run(&ctx, a),
        Command::Status(a) => status::run(&ctx, a),
        Command::Wave(c) => wave::run(&ctx, c),
        Command::Run(a) => run::run(&ctx, a),
        Command::Logs(a) => logs::run(&ctx, a),
        Command::Merge(a) => merge::run(&ctx, a),
        Command::Review(a) => review::run(&ctx, a),
        Command::Context(a) => context::run(&ctx, a),
        Command::Sync(a) => sync::run(&ctx, a),
        Command::Join(a) => join::run(&ctx, a),
        Command::Cleanup(a) => cleanup::run(&ctx, a),
        Command::Finish(a) => finish::run(&ctx, a),
        Command::Report(a) => report::run(&ctx, a),
        Command::Propagate(a) => propagate::run(&ctx, a),
        Command::Pr(a) => pr::run(&ctx, a),
        Command::Doctor(a) => doctor::run(&ctx, a),
        Command::Monitor(a) => monitor::run(&ctx, a),
        Command::Wait(a) => wait::run(&ctx, a),
        Command::Dashboard(a) => dashboard::run(&ctx, a),
        Command::Agent(c) => agent::run(&ctx, c),
        Command::Demo(a) => demo::run(&ctx, a),
        Command::Completions(a) => completions::run(&ctx, a),
        Command::InstallMan(a) => install_man::run(&ctx, a),
        Command::SimulateAgent { .. } => crate::ops::demo::simulate_agent(),
        Command::Watch {
            socket,
            common_dir,
            idle,
            worktrees,
        } => watch(&socket, &common_dir, worktrees, idle),
        Command::Supervise {
            log,
            run,
            offset,
            sandbox,
            argv,
        } => Ok(crate::infra::supervisor::main(
            &log,
            &run,
            offset,
            sandbox.as_deref(),
            &argv,
        )),
    }
}

/// What every command gets.
pub struct Ctx<'a> {
    pub cwd: PathBuf,
    pub epic: Option<String>,
    pub out: &'a Out,
}

impl Ctx<'_> {
    pub fn workspace(&self) -> anyhow::Result<crate::model::epic::Workspace> {
        crate::model::epic::Workspace::open(&self.cwd, self.epic.as_deref())
    }
}

/// The clap definition, for man pages and completions.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// `__watch`: serve until idle; where there are no inotify watches, there is nothing to do.
fn watch(
    socket: &std::path::Path,
    common_dir: &std::path::Path,
    worktrees: Vec<PathBuf>,
    idle: u64,
) -> anyhow::Result<i32> {
    #[cfg(target_os = "linux")]
    crate::infra::watch::serve(
        socket,
        common_dir,
        worktrees,
        std::time::Duration::from_secs(idle),
    )?;
    #[cfg(not(target_os = "linux"))]
    let _ = (socket, common_dir, worktrees, idle);
    Ok(0)
}
