use clap::Args;

use super::Ctx;
use crate::ops::forge::open;

#[derive(Debug, Args)]
pub struct PrArgs {
    /// Tickets to open pull requests for
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
    /// Open them as drafts
    #[arg(long)]
    pub draft: bool,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, a: PrArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let (remote, forge) = open::forge(&ws)?;
    let graph = ws.graph()?;
    for id in &a.ids {
        ws.ticket(&graph, id)?;
    }
    let mut opened = Vec::new();
    for id in &a.ids {
        let o = open::open(&ws, &graph, (&remote, forge), id, a.draft)?;
        if !a.json {
            let how = match (o.existing, o.pushed) {
                (true, true) => "already open; new commits pushed",
                (true, false) => "already open",
                (false, true) => "pushed and opened",
                (false, false) => "opened",
            };
            ctx.out.result(format!("{}: {} ({how})", o.id, o.url));
        }
        opened.push(o);
    }
    if a.json {
        ctx.out.json(&opened)?;
    }
    Ok(0)
}
