use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Duration;

use clap::Args;

use super::Ctx;

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The ticket
    pub id: String,
    /// Keep printing what the agent writes, until its run ends (done, failed, ...) or Ctrl-C
    #[arg(short, long)]
    pub follow: bool,
    /// Only the last N lines
    #[arg(short = 'n', long = "lines", value_name = "N")]
    pub lines: Option<usize>,
    /// Print the log file's path and nothing else
    #[arg(long, conflicts_with_all = ["follow", "lines", "raw"])]
    pub path: bool,
    /// The agent's output as it came: its JSON lines, not their text and tool calls
    #[arg(long)]
    pub raw: bool,
}

/// Writes log bytes out: as they are with `--raw`, else line by line, rendered.
struct Sink<W: Write> {
    raw: bool,
    lines: crate::infra::log::Lines,
    out: W,
}

impl<W: Write> Sink<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if self.raw {
            return self.out.write_all(bytes);
        }
        let out = &mut self.out;
        self.lines.push(bytes, |raw| render(out, raw))
    }

    /// The last line, when the log does not end with a newline (yet).
    fn finish(&mut self) -> std::io::Result<()> {
        if let Some(rest) = self.lines.rest() {
            render(&mut self.out, &rest)?;
        }
        self.out.flush()
    }
}

fn render(out: &mut impl Write, raw: &str) -> std::io::Result<()> {
    for l in crate::model::agents::render::line(raw) {
        writeln!(out, "{l}")?;
    }
    Ok(())
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
    let mut out = Sink {
        raw: a.raw,
        // Rendering keeps every line whole, however long.
        lines: crate::infra::log::Lines::new(usize::MAX),
        out: std::io::stdout().lock(),
    };
    let mut pos = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    if let Some(n) = a.lines {
        for l in crate::infra::log::tail_lines(&path, n) {
            out.write(l.as_bytes())?;
            out.write(b"\n")?;
        }
        pos = std::fs::metadata(&path).map_or(0, |m| m.len());
    } else if let Ok(mut f) = std::fs::File::open(&path) {
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            out.write(&buf[..n])?;
            pos += n as u64;
        }
    }
    if !a.follow {
        out.finish()?;
        return Ok(0);
    }
    crate::infra::interrupt::install();
    let store = crate::model::state::Store::new(&ws.repo, &ws.epic.name);
    let mut ended = None;
    while !crate::infra::interrupt::requested() {
        // Read after the state: what the agent wrote before its run ended is all printed.
        ended = ended.or(run_ended(&store, &a.id, &path));
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
                    out.write(&buf[..n])?;
                    pos += n as u64;
                }
                out.out.flush()?;
            }
        }
        if let Some(state) = ended {
            out.finish()?;
            ctx.out
                .info(format!("The run of `{}` has ended: {state}.", a.id));
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(0)
}

/// The state ticket `id` ended in, once its run is over (nothing runs or waits to run again:
/// no agent, no retry, no rate-limit wait, no fix round ahead); `None` while it goes on.
fn run_ended(
    store: &crate::model::state::Store<'_>,
    id: &str,
    log: &std::path::Path,
) -> Option<crate::model::state::State> {
    use crate::model::state::State;
    let note = store.get(id).ok().flatten()?;
    let (state, _) = crate::ops::status::shown_state(Some(&note), true, log);
    match state {
        State::Running | State::RateLimited | State::Pending | State::Blocked => None,
        ended => Some(ended),
    }
}
