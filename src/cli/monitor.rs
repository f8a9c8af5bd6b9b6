use clap::Args;

use super::Ctx;

#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// Make the session but do not attach to it
    #[arg(long)]
    pub detach: bool,
}

pub fn run(ctx: &Ctx, a: MonitorArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let exe = std::env::current_exe()?;
    let m = crate::ops::monitor::open(&ws, &exe)?;
    if m.existed {
        ctx.out.info(format!(
            "The monitor session {} is already there.",
            m.session
        ));
    } else if m.logs.is_empty() {
        ctx.out.info(format!(
            "tmux session {}: status only, no ticket is running.",
            m.session
        ));
    } else {
        ctx.out.info(format!(
            "tmux {} {}: status and the logs of {}.",
            if m.inside_tmux { "window" } else { "session" },
            m.target,
            m.logs.join(", ")
        ));
    }
    if !m.left_out.is_empty() {
        ctx.out.warn(format!(
            "no room for {}: follow them with `git epic logs <id> -f`",
            m.left_out.join(", ")
        ));
    }
    if m.inside_tmux || a.detach {
        ctx.out.result(m.target);
        return Ok(0);
    }
    let status = std::process::Command::new("tmux")
        .args(["attach-session", "-t", &m.session])
        .status()?;
    Ok(if status.success() { 0 } else { 1 })
}
