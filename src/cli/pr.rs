use clap::Args;

use super::Ctx;

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
    crate::pr::require_gh()?;
    let ws = ctx.workspace()?;
    let graph = ws.graph()?;
    for id in &a.ids {
        ws.ticket(&graph, id)?;
    }
    let mut opened = Vec::new();
    for id in &a.ids {
        let o = crate::pr::open(&ws, &graph, id, a.draft)?;
        if !a.json {
            let how = if o.existing {
                "already open"
            } else if o.pushed {
                "pushed and opened"
            } else {
                "opened"
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
