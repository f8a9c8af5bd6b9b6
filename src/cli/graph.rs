use clap::{Args, ValueEnum};

use super::Ctx;

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Mermaid,
    Dot,
    Json,
}

pub fn run(ctx: &Ctx, a: GraphArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let graph = ws.graph()?;
    match a.format {
        Format::Json => ctx.out.json(&graph.to_json())?,
        Format::Mermaid => super::output::stdout(&graph.to_mermaid()),
        Format::Dot => super::output::stdout(&graph.to_dot()),
        Format::Text => {
            if graph.is_empty() {
                ctx.out
                    .info("No tickets yet: add one with `git epic ticket add <id>`.");
            }
            for (w, tickets) in graph.by_wave().into_iter().enumerate() {
                ctx.out.result(format!("Wave {w}"));
                for t in tickets {
                    let after = if t.deps.is_empty() {
                        String::new()
                    } else {
                        format!("  (after {})", t.deps.join(", "))
                    };
                    ctx.out.result(format!("  {}  {}{after}", t.id, t.title));
                }
            }
        }
    }
    Ok(0)
}
