use clap::Args;
use console::style;

use super::Ctx;
use crate::infra::config::Settings;
use crate::ops::propagate::{self, PropagateOptions, Propagated, TicketResult};

#[derive(Debug, Args)]
pub struct PropagateArgs {
    /// Worktrees handled at once (default: the number of cores)
    #[arg(short = 'j', long = "jobs", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    /// Do not run epic.lintFix
    #[arg(long)]
    pub no_lint: bool,
    /// Do not run epic.test
    #[arg(long)]
    pub no_test: bool,
    /// Stash uncommitted changes and restore them after, instead of skipping dirty worktrees
    #[arg(long)]
    pub autostash: bool,
    /// Print JSON (fields: docs/propagate.md)
    #[arg(long)]
    pub json: bool,
}

fn short(sha: &Option<String>) -> &str {
    sha.as_deref().map_or("-", |s| &s[..s.len().min(8)])
}

pub fn run(ctx: &Ctx, a: PropagateArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let settings = Settings::load(&ws.repo.config_snapshot(), &ws.epic.name)?;
    let graph = ws.graph()?;
    let jobs = a.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(2, |n| n.get()),
        |j| j as usize,
    );
    let opts = PropagateOptions {
        jobs,
        lint: !a.no_lint,
        test: !a.no_test,
        autostash: a.autostash,
    };
    let (open, mut results) = propagate::candidates(&ws, &graph, false)?;
    let out = ctx.out;
    // Progress goes to stderr, so it stays even with --json (stdout is the JSON alone).
    let quiet = out.quiet;
    let line = |r: &TicketResult| {
        if !quiet {
            eprintln!(
                "{}: {} ({}..{})",
                r.id,
                r.result,
                short(&r.old),
                short(&r.new)
            );
        }
    };
    results.extend(propagate::propagate(&ws, &settings, &open, opts, &line)?);
    results.sort_by(|x, y| crate::model::ticket::natural_cmp(&x.id, &y.id));
    if a.json {
        #[derive(serde::Serialize)]
        struct Json<'a> {
            epic: &'a str,
            branch: &'a str,
            tickets: &'a [TicketResult],
        }
        out.json(&Json {
            epic: &ws.epic.name,
            branch: &ws.epic.branch,
            tickets: &results,
        })?;
    } else if results.is_empty() {
        out.info("No open ticket worktree to propagate into.");
    } else {
        let w = results.iter().map(|r| r.id.len()).max().unwrap_or(6).max(6);
        out.result(format!(
            "{:<w$}  {:<18}  {:<9}  {:<7}  RESULT",
            "TICKET", "OLD..NEW", "LINT", "TEST"
        ));
        for r in &results {
            let range = format!("{}..{}", short(&r.old), short(&r.new));
            let result = match r.result {
                Propagated::Ok => style(r.result.as_str()).green(),
                Propagated::Skipped => style(r.result.as_str()).dim(),
                _ => style(r.result.as_str()).red().bold(),
            };
            let mut extra = r.reason.clone().unwrap_or_default();
            if let Some(stash) = &r.stash {
                extra = format!("{extra} stash {stash}").trim().to_owned();
            }
            if let Some(state) = r
                .state
                .filter(|s| *s != crate::model::state::State::Conflict)
            {
                extra = format!("{extra} conflict cleared, now {state}")
                    .trim()
                    .to_owned();
            }
            out.result(
                format!(
                    "{:<w$}  {range:<18}  {:<9}  {:<7}  {result} {extra}",
                    r.id, r.lint, r.test
                )
                .trim_end()
                .to_owned(),
            );
        }
    }
    Ok(if results.iter().any(TicketResult::failed) {
        1
    } else {
        0
    })
}
