use clap::Args;

use super::progress::Progress;
use super::Ctx;
use crate::infra::config::{PromptVia, Settings};
use crate::ops::runner::{self, Selection};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Tickets to run (a failed ticket starts again with fresh attempts)
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub run: RunFlags,
}

#[derive(Debug, Args)]
pub struct RunFlags {
    /// Agents running at once (default: git config epic.maxParallel, 4)
    #[arg(short = 'j', long = "jobs", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    /// Print what would run, with the exact argv, and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print the outcome as JSON (done, failed, interrupted, skipped, held_back)
    #[arg(long, conflicts_with = "dry_run")]
    pub json: bool,
}

#[derive(serde::Serialize)]
struct Reasoned<'a> {
    id: &'a str,
    reason: &'a str,
}

fn pairs(v: &[(String, String)]) -> Vec<Reasoned<'_>> {
    v.iter()
        .map(|(id, reason)| Reasoned { id, reason })
        .collect()
}

pub fn run(ctx: &Ctx, a: RunArgs) -> anyhow::Result<i32> {
    execute(ctx, Selection::Ids(a.ids), &a.run, true, false)
}

/// Shared by `wave start` and `run`.
pub fn execute(
    ctx: &Ctx,
    sel: Selection,
    flags: &RunFlags,
    rerun_failed: bool,
    auto_merge: bool,
) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let settings = Settings::load(&ws.repo.config_snapshot(), &ws.epic.name)?;
    let graph = ws.graph()?;
    // Before anything changes, so that a notify command that cannot be read is refused.
    let notifier = notifier(&ws, flags.dry_run)?;
    if auto_merge {
        // Every agent of the graph must exist before anything starts.
        let all: Vec<String> = graph.tickets.iter().map(|t| t.id.clone()).collect();
        runner::prepare(&ws, &settings, &graph, &all)?;
    }
    let progress = Progress::new(ctx.out.quiet || flags.dry_run);
    let opts = crate::ops::merge::Options {
        test: true,
        scope_check: true,
        cleanup: false,
    };
    let (mut flow, ids) = if auto_merge && !flags.dry_run {
        let (flow, ids) =
            crate::flow::Flow::begin(&ws, &settings, &graph, opts, &|e| progress.event(e))?;
        (Some(flow), ids)
    } else {
        (None, runner::select(&ws, &graph, &sel)?)
    };
    let elsewhere = match flow.as_mut() {
        Some(f) if ids.is_empty() => f.waits_elsewhere(&ws)?,
        _ => false,
    };
    let awaiting: Vec<String> = flow
        .as_ref()
        .map(|f| f.awaiting_review().to_vec())
        .unwrap_or_default();
    if ids.is_empty() && !elsewhere {
        if awaiting.is_empty() {
            ctx.out
                .info("Nothing to start: every ticket selected is done or merged.");
        } else {
            ctx.out.info(format!(
                "Nothing to start: {} awaiting review (`git epic review <id>`, then `--approve` or `--request-changes`).",
                awaiting.join(", ")
            ));
        }
        if flags.json {
            ctx.out.json(&serde_json::json!({"done": [], "awaiting_review": awaiting, "failed": [], "interrupted": [], "skipped": [], "held_back": []}))?;
        }
        return Ok(0);
    }
    let planned = runner::prepare(&ws, &settings, &graph, &ids)?;
    warn_untouched_templates(ctx, &ws, &graph, &ids);
    let jobs = flags.jobs.map_or(settings.max_parallel, |j| j as usize);
    if flags.dry_run {
        print_dry_run(ctx, &ws, &planned, jobs);
        warn_overlaps(ctx, &graph, &ids);
        return Ok(0);
    }
    crate::infra::interrupt::install();
    let mut summary = runner::run(
        &ws,
        &settings,
        planned,
        jobs,
        rerun_failed,
        crate::infra::interrupt::flag(),
        &|e| progress.event(e),
        flow.as_mut().map(|f| f as &mut dyn runner::OnDone),
    )?;
    drop(progress);
    sort_by_ticket(&mut summary, awaiting);
    end_notifier(notifier, &summary);
    if let Some(sentence) = &summary.fatal {
        ctx.out.error(&anyhow::anyhow!("{sentence}"));
    }
    let held_back = flow.as_ref().map(|f| f.held_back()).unwrap_or_default();
    print_summary(ctx, &summary, &held_back, flags.json)?;
    Ok(exit_code(&summary, &held_back))
}

/// In ticket order, not in the order agents happened to finish: the same run reads the same
/// way every time.
fn sort_by_ticket(summary: &mut runner::Summary, awaiting: Vec<String>) {
    let by_id = |a: &String, b: &String| crate::model::ticket::natural_cmp(a, b);
    summary.done.sort_by(by_id);
    summary.awaiting_review.extend(awaiting);
    summary.awaiting_review.sort_by(by_id);
    summary.interrupted.sort_by(by_id);
    for list in [
        &mut summary.failed,
        &mut summary.skipped,
        &mut summary.elsewhere,
        &mut summary.halted,
    ] {
        list.sort_by(|a, b| by_id(&a.0, &b.0));
    }
}

/// The run's summary: JSON, or a line of counts and what needs a look.
fn print_summary(
    ctx: &Ctx,
    s: &runner::Summary,
    held_back: &[String],
    json: bool,
) -> anyhow::Result<()> {
    if json {
        #[derive(serde::Serialize)]
        struct Json<'a> {
            done: &'a [String],
            /// Flow mode: done, waiting for a reviewer before they land (not failed).
            awaiting_review: &'a [String],
            failed: Vec<Reasoned<'a>>,
            interrupted: &'a [String],
            skipped: Vec<Reasoned<'a>>,
            /// Held or run by another machine (through the epic's remote), with its name.
            elsewhere: Vec<Reasoned<'a>>,
            held_back: &'a [String],
            /// Left as they were: the run stopped (agent error, budget spent).
            halted: Vec<Reasoned<'a>>,
            stopped: Option<&'a str>,
        }
        ctx.out.json(&Json {
            done: &s.done,
            awaiting_review: &s.awaiting_review,
            failed: pairs(&s.failed),
            interrupted: &s.interrupted,
            skipped: pairs(&s.skipped),
            elsewhere: pairs(&s.elsewhere),
            held_back,
            halted: pairs(&s.halted),
            stopped: s.fatal.as_deref(),
        })?;
        return Ok(());
    }
    let mut parts = vec![format!("{} done", s.done.len())];
    if !s.awaiting_review.is_empty() {
        parts.push(format!("{} awaiting review", s.awaiting_review.len()));
    }
    if !s.failed.is_empty() {
        parts.push(format!("{} failed", s.failed.len()));
    }
    if !s.interrupted.is_empty() {
        parts.push(format!("{} interrupted", s.interrupted.len()));
    }
    if !s.skipped.is_empty() {
        parts.push(format!("{} skipped", s.skipped.len()));
    }
    if !s.elsewhere.is_empty() {
        parts.push(format!("{} on other machines", s.elsewhere.len()));
    }
    if !s.halted.is_empty() {
        parts.push(format!("{} left as they were", s.halted.len()));
    }
    ctx.out.result(parts.join(", ") + ".");
    for (id, reason) in &s.failed {
        ctx.out
            .result(format!("  {id} failed: {reason} (git epic logs {id})"));
    }
    if !s.awaiting_review.is_empty() {
        ctx.out.result(format!(
            "  awaiting review: {} (`git epic review <id>`, then `--approve` or `--request-changes`)",
            s.awaiting_review.join(", ")
        ));
    }
    if !held_back.is_empty() {
        ctx.out.result(format!(
            "  not started, a dependency was not merged: {}",
            held_back.join(", ")
        ));
    }
    if !s.interrupted.is_empty() {
        ctx.out.info("Run the same command again to resume.");
    }
    Ok(())
}

/// A run's exit code: tickets held back because a dependency was not merged make it 1,
/// unless what holds them is a review (waiting for a human is not a failure).
fn exit_code(summary: &runner::Summary, held_back: &[String]) -> i32 {
    if held_back.is_empty() || !summary.awaiting_review.is_empty() {
        summary.exit_code()
    } else {
        summary.exit_code().max(1)
    }
}

/// The `epic.notify` watcher of a run (none for a dry run, or without the key).
fn notifier(
    ws: &crate::model::epic::Workspace,
    dry_run: bool,
) -> anyhow::Result<Option<crate::ops::notify::Notifier>> {
    if dry_run {
        crate::ops::notify::target(ws)?;
        return Ok(None);
    }
    let warn = Box::new(|p: String| super::output::warn_line(&p));
    crate::ops::notify::Notifier::start(ws, warn)
}

/// Send the run's end to `epic.notify`, after what changed last.
fn end_notifier(notifier: Option<crate::ops::notify::Notifier>, s: &runner::Summary) {
    if let Some(n) = notifier {
        n.finish(run_ended(s));
    }
}

/// The `run_ended` event `epic.notify` gets.
fn run_ended(s: &runner::Summary) -> crate::ops::watch::EpicEvent {
    crate::ops::watch::EpicEvent::RunEnded {
        done: s.done.clone(),
        failed: s.failed.iter().map(|f| f.0.clone()).collect(),
        interrupted: s.interrupted.clone(),
        stopped: s.fatal.clone(),
    }
}

/// `--dry-run`: what would start, where, and with which command line.
fn print_dry_run(
    ctx: &Ctx,
    ws: &crate::model::epic::Workspace,
    planned: &[runner::Planned],
    jobs: usize,
) {
    ctx.out.result(format!(
        "Would start {} ticket(s), at most {jobs} at once:",
        planned.len()
    ));
    for p in planned {
        let exists = if p.worktree.join(".git").exists() {
            "existing"
        } else {
            "new"
        };
        let shown = p.worktree.strip_prefix(&ws.root).unwrap_or(&p.worktree);
        ctx.out.result(format!(
            "  {}  worktree {} ({exists}) on branch {}",
            p.id,
            shown.display(),
            p.branch
        ));
        ctx.out
            .result(format!("      argv: {}", shell_words::join(&p.argv)));
        if p.prompt_via == PromptVia::Stdin {
            ctx.out.result(format!(
                "      stdin: the prompt ({} bytes)",
                p.prompt.len()
            ));
        }
    }
}

/// A ticket still as `ticket add` wrote it (its template, unfilled) goes to its agent with
/// only its title to go on: say so before it starts.
fn warn_untouched_templates(
    ctx: &Ctx,
    ws: &crate::model::epic::Workspace,
    graph: &crate::model::graph::Graph,
    ids: &[String],
) {
    for t in ids.iter().filter_map(|id| graph.get(id)) {
        if crate::model::ticket::is_untouched_template(t) {
            ctx.out.warn(format!(
                "ticket `{}` is the unfilled template of `git epic ticket add` ({}): its agent gets only its title, \"{}\". Fill in its sections (or pipe a body to `ticket add`), or stop the run with Ctrl-C.",
                t.id,
                ws.epic.tasks_dir.join(format!("{}.md", t.id)).display(),
                t.title
            ));
        }
    }
}

/// `plan`'s warning, for the tickets a dry run would start side by side: two of one wave
/// whose scopes overlap are a likely merge conflict.
fn warn_overlaps(ctx: &Ctx, graph: &crate::model::graph::Graph, ids: &[String]) {
    let plan = crate::model::plan::plan(graph);
    for o in plan
        .overlaps
        .iter()
        .filter(|o| ids.iter().any(|i| i == o.a) && ids.iter().any(|i| i == o.b))
    {
        let globs: Vec<String> = o
            .globs
            .iter()
            .map(|(x, y)| format!("`{x}` ~ `{y}`"))
            .collect();
        ctx.out.warn(format!(
            "{} and {} (wave {}) have overlapping scopes, a likely merge conflict: {} (git epic plan)",
            o.a,
            o.b,
            o.wave,
            globs.join(", ")
        ));
    }
}
