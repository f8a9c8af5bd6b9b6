use clap::Args;

use super::Ctx;
use crate::model::plan;

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, a: PlanArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let graph = ws.graph()?;
    let p = plan::plan(&graph);
    if a.json {
        ctx.out.json(&p)?;
        return Ok(0);
    }
    render(ctx.out, &graph, &p);
    Ok(0)
}

/// The plan as `plan` shows it (import and split show theirs the same way).
pub fn render(out: &super::Out, graph: &crate::model::graph::Graph, p: &plan::Plan) {
    out.result(format!(
        "{} tickets in {} waves",
        graph.len(),
        p.waves.len()
    ));
    for (w, ids) in p.waves.iter().enumerate() {
        out.result(format!("  wave {w}: {}", ids.join(", ")));
    }
    if !p.critical_path.is_empty() {
        out.result(format!(
            "Critical path ({} tickets): {}",
            p.critical_path.len(),
            p.critical_path.join(" -> ")
        ));
    }
    if p.overlaps.is_empty() {
        out.result("No two tickets of a wave have overlapping scopes.");
    } else {
        out.result("Same-wave tickets whose scopes overlap (likely merge conflicts):");
        for o in &p.overlaps {
            let globs: Vec<String> = o
                .globs
                .iter()
                .map(|(x, y)| format!("`{x}` ~ `{y}`"))
                .collect();
            out.result(format!(
                "  wave {}: {} and {}: {}",
                o.wave,
                o.a,
                o.b,
                globs.join(", ")
            ));
        }
    }
    if !p.unscoped.is_empty() {
        out.result(format!(
            "Without a scope (may change anything, so may conflict with their wave): {}",
            p.unscoped.join(", ")
        ));
    }
}
