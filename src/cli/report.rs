use clap::Args;

use super::output::duration;
use super::status::{cost, tokens};
use super::Ctx;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, a: ReportArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let r = crate::ops::report::build(&ws)?;
    if a.json {
        ctx.out.json(&r)?;
        return Ok(0);
    }
    let out = ctx.out;
    out.result(format!("epic {}", r.epic));
    match r.speedup {
        Some(x) => out.result(format!(
            "time: {} with agents at work ({} from the first start to the last landing), {} of agent runs one after another: {x:.1}x faster in parallel",
            duration(r.active_s),
            duration(r.wall_s),
            duration(r.sequential_s)
        )),
        None => out.result("time: no agent run recorded yet"),
    }
    out.result(format!(
        "{:<6} {:>7} {:>5} {:>9} {:>11} {:>9} {:>7} {:>8} {:>5} {:>7} {:>7} {:>8} {:>10}",
        "WAVE",
        "TICKETS",
        "RUNS",
        "CONFLICTS",
        "RATE LIMITS",
        "WAITED",
        "RETRIES",
        "REJECTED",
        "FIXES",
        "REVIEWS",
        "TOKENS",
        "COST",
        "PER MERGED"
    ));
    for w in r.waves.iter().chain(std::iter::once(&r.totals)) {
        let name = w.wave.map_or("total".to_owned(), |n| n.to_string());
        out.result(format!(
            "{name:<6} {:>7} {:>5} {:>9} {:>11} {:>9} {:>7} {:>8} {:>5} {:>7} {:>7} {:>8} {:>10}",
            w.tickets,
            w.runs,
            w.merge_conflicts,
            w.rate_limit_waits,
            duration(w.rate_limit_waited_s),
            w.retries,
            w.rejected_merges,
            w.fix_rounds,
            w.review_rounds,
            tokens(w.tokens.total()),
            cost(w.cost_usd),
            w.cost_per_merged_usd.map_or("-".into(), cost)
        ));
    }
    let t = &r.totals;
    if t.failed_runs_cost_usd > 0.0 || t.rejected_cost_usd > 0.0 {
        out.result(format!(
            "spent on failed runs: {}; on tickets a gate rejected: {}",
            cost(t.failed_runs_cost_usd),
            cost(t.rejected_cost_usd)
        ));
    }
    let states: Vec<String> = r
        .states
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    out.result(format!("tickets: {}", states.join(", ")));
    // The method's targets, said plainly.
    let waves_over = r.waves.iter().filter(|w| w.merge_conflicts >= 1).count();
    if waves_over > 0 {
        out.info(format!("{waves_over} wave(s) had a merge conflict (target: under 1 per wave): split tickets by file."));
    }
    if r.totals.review_rounds > 0 {
        out.info(format!(
            "Reviews requested changes {} time(s) (the method's \"PRs rejected\"): if they are many, the ticket specs need more precision.",
            r.totals.review_rounds
        ));
    }
    if r.totals.rejected_merges > 0 {
        out.info("Rejected merges: if they are many, the ticket specs need more precision.");
    }
    Ok(0)
}
