use clap::{ArgGroup, Args};
use console::style;

use super::Ctx;
use crate::infra::config::Settings;
use crate::ops::merge::{self, MergeEvent, Options, Outcome};

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").args(["ids", "wave"]).required(true)))]
pub struct MergeArgs {
    /// Done tickets to merge (merged in dependency order)
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// Every done ticket of wave N
    #[arg(long, value_name = "N")]
    pub wave: Option<usize>,
    /// Skip the test (epic.test on the merged result; on the branch with epic.queue=false)
    #[arg(long)]
    pub no_test: bool,
    /// Skip the scope gate (changed files inside `scope`, none in `forbid`)
    #[arg(long)]
    pub no_scope_check: bool,
    /// Remove the worktree of each merged ticket
    #[arg(long)]
    pub cleanup: bool,
    /// Print JSON: one entry per ticket (id, result, commit, gate, reason, files)
    #[arg(long)]
    pub json: bool,
}

/// One ticket's merge, as `--json` prints it.
#[derive(serde::Serialize)]
struct Json<'a> {
    id: &'a str,
    /// `merged`, `rejected`, `conflict`, `skipped` or `error`.
    result: &'static str,
    commit: Option<String>,
    gate: Option<&'static str>,
    reason: Option<&'a str>,
    files: &'a [String],
}

fn json_of<'a>(id: &'a str, o: &'a Outcome) -> Json<'a> {
    let none: &[String] = &[];
    match o {
        Outcome::Merged { commit, .. } => Json {
            id,
            result: "merged",
            commit: Some(commit.to_string()),
            gate: None,
            reason: None,
            files: none,
        },
        Outcome::Rejected { gate, reason, .. } => Json {
            id,
            result: "rejected",
            commit: None,
            gate: Some(gate),
            reason: Some(reason),
            files: none,
        },
        Outcome::Conflict { files } => Json {
            id,
            result: "conflict",
            commit: None,
            gate: None,
            reason: None,
            files,
        },
        Outcome::Error { reason } => Json {
            id,
            result: "error",
            commit: None,
            gate: None,
            reason: Some(reason),
            files: none,
        },
        Outcome::Skipped { reason } | Outcome::AwaitsReview { reason } => Json {
            id,
            result: "skipped",
            commit: None,
            gate: None,
            reason: Some(reason),
            files: none,
        },
    }
}

pub fn run(ctx: &Ctx, a: MergeArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let settings = Settings::load(&ws.repo.config_snapshot(), &ws.epic.name)?;
    let graph = ws.graph()?;
    let ids = merge::select(&ws, &graph, &a.ids, a.wave)?;
    let opts = Options {
        test: !a.no_test,
        scope_check: !a.no_scope_check,
        cleanup: a.cleanup,
    };
    let out = ctx.out;
    let json = a.json;
    let results = merge::merge(&ws, &settings, &graph, &ids, opts, &|e| {
        match e {
        _ if json => {}
        MergeEvent::Gate { id, gate } => out.info(format!("{id}: {gate} gate...")),
        MergeEvent::SentBack { id, round, of } => out.info(format!(
            "{id}: sent back to its agent for fix round {round} of {of} (`git epic run {id}`, or flow mode, runs it)"
        )),
        MergeEvent::Testing { id, after } => {
            let on = std::iter::once(ws.epic.branch.as_str())
                .chain(after.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" + ");
            out.info(format!("{id}: testing the merged result ({on} + {id})..."));
        }
        MergeEvent::Finished { id, outcome } => match outcome {
            Outcome::Merged { commit, cleaned } => {
                let short = commit.to_hex_with_len(10).to_string();
                out.result(format!(
                    "{id}: {} into {} ({short})",
                    style("merged").green(),
                    ws.epic.branch
                ));
                match cleaned {
                    Some(Ok(())) => out.info(format!("{id}: worktree removed")),
                    Some(Err(why)) => out.warn(format!("{id}: worktree kept: {why}")),
                    None => {}
                }
            }
            Outcome::Rejected {
                gate,
                reason,
                detail,
            } => {
                out.result(format!(
                    "{id}: {} by the {gate} gate: {reason}",
                    style("rejected").red().bold()
                ));
                for line in detail {
                    eprintln!("    {line}");
                }
            }
            Outcome::Conflict { files } => out.result(format!(
                "{id}: {} with {} in {}; the epic is unchanged",
                style("conflict").red().bold(),
                ws.epic.branch,
                files.join(", ")
            )),
            Outcome::Skipped { reason } | Outcome::AwaitsReview { reason } => {
                out.result(format!("{id}: not merged, {reason}"))
            }
            Outcome::Error { reason } => out.result(format!(
                "{id}: {}, {reason}",
                style("not merged").red().bold()
            )),
        },
    }
    })?;
    let merged: Vec<&str> = results
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Merged { .. }))
        .map(|(id, _)| id.as_str())
        .collect();
    if !merged.is_empty() {
        // What the merges unblocked.
        let store = crate::model::state::Store::new(&ws.repo, &ws.epic.name);
        let all: Vec<&str> = graph.tickets.iter().map(|t| t.id.as_str()).collect();
        let notes = store.get_many(&all)?;
        let is_merged = |id: &str| matches!(notes.get(id), Some(Ok(n)) if n.state == crate::model::state::State::Merged);
        let ready: Vec<&str> = graph
            .tickets
            .iter()
            .filter(|t| {
                let not_started = match notes.get(t.id.as_str()) {
                    None => true,
                    Some(Ok(n)) => n.state == crate::model::state::State::Pending,
                    Some(Err(_)) => false,
                };
                not_started
                    && t.deps.iter().any(|d| merged.contains(&d.as_str()))
                    && t.deps.iter().all(|d| is_merged(d))
            })
            .map(|t| t.id.as_str())
            .collect();
        if !ready.is_empty() {
            out.info(format!(
                "Now ready: {} (git epic wave start)",
                ready.join(", ")
            ));
        }
    }
    // One rule for both forms (in `git epic --help`): a ticket selected and not on the epic
    // is a failure, whatever it waits for.
    let missed = results.iter().any(|(_, o)| match o {
        Outcome::Skipped { reason } => reason != "already merged",
        Outcome::AwaitsReview { .. } => true,
        _ => false,
    });
    if a.json {
        let items: Vec<Json> = results.iter().map(|(id, o)| json_of(id, o)).collect();
        out.json(&items)?;
    }
    Ok(if missed || results.iter().any(|(_, o)| o.is_failure()) {
        1
    } else {
        0
    })
}
