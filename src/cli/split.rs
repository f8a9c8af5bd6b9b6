use std::path::PathBuf;

use clap::Args;

use super::Ctx;
use crate::infra::config::Settings;

#[derive(Debug, Args)]
pub struct SplitArgs {
    /// The spec to split into tickets (Markdown)
    #[arg(value_name = "SPEC")]
    pub spec: PathBuf,
    /// The agent profile that splits it (default: epic.agent)
    #[arg(long, value_name = "PROFILE")]
    pub agent: Option<String>,
    /// Print the tickets and the plan without writing them
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, a: SplitArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let settings = Settings::load(&ws.repo.config_snapshot(), &ws.epic.name)?;
    let s = crate::ops::split::split(&ws, &settings, &a.spec, a.agent, a.dry_run)?;
    let r = &s.report;
    let last_errors = r
        .rounds
        .last()
        .is_some_and(|l| l.findings.iter().any(|f| f.starts_with("error:")));
    if a.json {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            #[serde(flatten)]
            report: &'a crate::ops::split::SplitReport,
            plan: Option<crate::model::plan::Plan<'a>>,
        }
        ctx.out.json(&Out {
            report: r,
            plan: s
                .prepared
                .as_ref()
                .map(|p| crate::model::plan::plan(&p.graph)),
        })?;
        return Ok(if last_errors { 1 } else { 0 });
    }
    let out = ctx.out;
    for round in &r.rounds {
        out.info(format!(
            "round {}: {} tickets, {}",
            round.round + 1,
            round.tickets,
            match round.findings.len() {
                0 => "nothing to fix".to_owned(),
                1 => "1 finding".to_owned(),
                n => format!("{n} findings"),
            }
        ));
        for f in &round.findings {
            out.info(format!("  {f}"));
        }
    }
    if a.dry_run {
        for (name, text) in &s.texts {
            out.result(format!("--- {name}"));
            out.result(text.trim_end());
        }
    }
    if let Some(p) = &s.prepared {
        let plan = crate::model::plan::plan(&p.graph);
        super::plan::render(out, &p.graph, &plan);
    }
    out.info(format!(
        "{} tokens, ${:.2}; the agent's log: {}",
        r.tokens.total(),
        r.cost_usd,
        r.log.display()
    ));
    if last_errors {
        out.warn(format!(
            "the tickets still have errors after {} rounds; nothing was written.",
            r.rounds.len()
        ));
        return Ok(1);
    }
    if r.written {
        out.info(format!(
            "The tickets are in {}, not committed: edit them, then `git epic plan` and commit; nothing runs until you start it.",
            ws.epic.tasks_dir.display()
        ));
    } else if a.dry_run {
        out.info("Dry run: nothing was written.");
    }
    Ok(0)
}
