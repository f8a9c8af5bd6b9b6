use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Duration;

use clap::Args;

use super::Ctx;

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The ticket
    pub id: String,
    /// Keep printing what the agent writes, until interrupted
    #[arg(short, long)]
    pub follow: bool,
    /// Only the last N lines
    #[arg(short = 'n', long = "lines", value_name = "N")]
    pub lines: Option<usize>,
    /// Print the log file's path and nothing else
    #[arg(long, conflicts_with_all = ["follow", "lines"])]
    pub path: bool,
}

pub fn run(ctx: &Ctx, a: LogsArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let graph = ws.graph()?;
    ws.ticket(&graph, &a.id)?;
    let path = ws.log_path(&a.id);
    if a.path {
        ctx.out.result(path.display());
        return Ok(0);
    }
    if !path.exists() && !a.follow {
        ctx.out.info(format!(
            "Ticket `{}` has not run yet (no log at {}).",
            a.id,
            path.display()
        ));
        return Ok(1);
    }
    let mut stdout = std::io::stdout().lock();
    let mut pos = 0u64;
    if let Some(n) = a.lines {
        for l in crate::log::tail_lines(&path, n) {
            writeln!(stdout, "{l}")?;
        }
        pos = std::fs::metadata(&path).map_or(0, |m| m.len());
    } else if let Ok(mut f) = std::fs::File::open(&path) {
        pos = std::io::copy(&mut f, &mut stdout)?;
    }
    if !a.follow {
        return Ok(0);
    }
    crate::interrupt::install();
    let mut buf = vec![0u8; 64 * 1024];
    while !crate::interrupt::requested() {
        if let Ok(mut f) = std::fs::File::open(&path) {
            let len = f.metadata().map_or(0, |m| m.len());
            if len < pos {
                pos = 0; // truncated or replaced
            }
            if len > pos {
                f.seek(SeekFrom::Start(pos))?;
                let mut rest = f.take(len - pos);
                loop {
                    let n = rest.read(&mut buf)?;
                    if n == 0 {
                        break;
                    }
                    stdout.write_all(&buf[..n])?;
                    pos += n as u64;
                }
                stdout.flush()?;
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(0)
}
