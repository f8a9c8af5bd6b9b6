use clap::Args;
use console::style;

use super::Ctx;

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, a: DoctorArgs) -> anyhow::Result<i32> {
    let checks = crate::ops::doctor::diagnose(&ctx.cwd, ctx.epic.as_deref());
    if a.json {
        ctx.out.json(&checks)?;
    } else {
        for c in &checks {
            let mark = match (c.ok, c.needed) {
                (true, _) => style("ok  ").green(),
                (false, true) => style("FAIL").red().bold(),
                (false, false) => style("warn").yellow(),
            };
            ctx.out
                .result(format!("{mark} {:<18} {}", c.name, c.detail));
        }
    }
    Ok(if checks.iter().any(|c| c.needed && !c.ok) {
        1
    } else {
        0
    })
}
