//! `git epic dashboard`: the full-screen live view over the current epic, with the tech
//! lead's actions on keys. It reads what every command reads (notes, logs, supervisors'
//! records), so it works from any clone or worktree, whether or not it runs the agents.

mod app;
#[cfg(test)]
mod tests;
mod view;

use std::time::{Duration, Instant};

use clap::Args;
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyCode, KeyEventKind, MouseEventKind,
};
use ratatui::crossterm::execute;
use ratatui::DefaultTerminal;

use super::Ctx;
use crate::model::epic::Workspace;
pub use app::{App, Pane};

#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// Seconds between two looks at the epic
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0)]
    pub every: f64,
    /// With epic.remote set: run `git epic sync` beside it every this many seconds (0: never)
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub sync: f64,
    /// Draw one frame as text on stdout and exit (no terminal needed)
    #[arg(long)]
    pub print: bool,
    /// The frame's size with --print
    #[arg(
        long,
        value_name = "COLSxROWS",
        default_value = "120x40",
        requires = "print"
    )]
    pub size: String,
}

pub fn run(ctx: &Ctx, a: DashboardArgs) -> anyhow::Result<i32> {
    if !(0.1..=60.0).contains(&a.every) {
        return Err(crate::infra::error::usage(
            "--every must be between 0.1 and 60 seconds.",
        ));
    }
    let size = a
        .size
        .split_once('x')
        .and_then(|(c, r)| Some((c.parse::<u16>().ok()?, r.parse::<u16>().ok()?)))
        .filter(|(c, r)| (20..=1000).contains(c) && (10..=1000).contains(r))
        .ok_or_else(|| {
            crate::infra::error::usage(format!(
                "--size `{}` is not COLSxROWS (like 120x40, at least 20x10).",
                a.size
            ))
        })?;
    let ws = ctx.workspace()?;
    if a.print {
        print!("{}", frame(&ws, size)?);
        return Ok(0);
    }
    if !console::Term::stdout().is_term() {
        return Err(crate::infra::error::usage(
            "git epic dashboard needs a terminal; use --print, `git epic status --watch` or `git epic wait` in scripts.",
        ));
    }
    let report = crate::ops::status::collect_with(&ws, crate::ops::status::Depth::Notes)?;
    let mut app = App::new(report, slots(&ws));
    app.read_pane(&ws);
    let mut term = enter()?;
    let mut syncer = Syncer::new(&ws, a.sync);
    let every = Duration::from_secs_f64(a.every);
    let result = event_loop(&mut term, &ws, &mut app, every, &mut syncer);
    leave();
    result.map(|()| 0)
}

/// One refresh drawn on a buffer of `(cols, rows)`, as text.
pub fn frame(ws: &Workspace, (cols, rows): (u16, u16)) -> anyhow::Result<String> {
    let report = crate::ops::status::collect_with(ws, crate::ops::status::Depth::Notes)?;
    let mut app = App::new(report, slots(ws));
    app.read_pane(ws);
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(cols, rows))?;
    term.draw(|f| view::draw(f, &mut app))?;
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..rows {
        let line: String = (0..cols).map(|x| buf[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    Ok(out)
}

fn slots(ws: &Workspace) -> usize {
    crate::infra::config::lookup(&ws.repo.config_snapshot(), &ws.epic.name, "maxParallel")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(4)
}

/// Raw mode, the alternate screen, the mouse; a panic restores the terminal first.
fn enter() -> anyhow::Result<DefaultTerminal> {
    let term = ratatui::try_init()?;
    execute!(std::io::stdout(), EnableMouseCapture)?;
    Ok(term)
}

/// The terminal exactly as it was: mouse off, main screen, cursor shown, raw mode off.
fn leave() {
    let _ = execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
}

fn event_loop(
    term: &mut DefaultTerminal,
    ws: &Workspace,
    app: &mut App,
    every: Duration,
    syncer: &mut Syncer,
) -> anyhow::Result<()> {
    let mut next = Instant::now() + every;
    let mut dirty = true;
    let mut last = String::new();
    loop {
        if dirty {
            term.draw(|f| view::draw(f, app))?;
            dirty = false;
        }
        let wait = next.saturating_duration_since(Instant::now());
        if event::poll(wait)? {
            match event::read()? {
                Event::Key(k) if k.kind != KeyEventKind::Release => {
                    if app.help {
                        app.help = false;
                    } else if !on_key(term, ws, app, k.code)? {
                        return Ok(());
                    }
                    dirty = true;
                }
                Event::Mouse(m) => {
                    dirty |= on_mouse(ws, app, m.kind, m.row);
                }
                Event::Resize(..) => {
                    term.autoresize()?;
                    dirty = true;
                }
                _ => {}
            }
        }
        if Instant::now() >= next {
            next = Instant::now() + every;
            syncer.tick(ws);
            app.refresh(ws)?;
            // Redraw only when something shown changed, or a clock on screen moves.
            let seen = serde_json::to_string(&(&app.report.tickets, &app.log))?;
            let ticking = app.report.tickets.iter().any(|t| t.activity.is_some())
                || !app.report.cooldowns.is_empty();
            if seen != last || ticking {
                dirty = true;
                last = seen;
            }
        }
    }
}

fn on_mouse(ws: &Workspace, app: &mut App, kind: MouseEventKind, y: u16) -> bool {
    match kind {
        MouseEventKind::ScrollDown => app.move_by(1),
        MouseEventKind::ScrollUp => app.move_by(-1),
        MouseEventKind::Down(_) => {
            let area = app.table_area;
            // The border and the header row come before the first row.
            if y < area.y + 2 || y >= area.y + area.height.saturating_sub(1) {
                return false;
            }
            let row = (y - area.y - 2) as usize + app.table.offset();
            match app.ticket_at_row(row) {
                Some(i) => app.select(i),
                None => return false,
            }
        }
        _ => return false,
    }
    app.read_pane(ws);
    true
}

/// Act on a key; false to quit.
fn on_key(
    term: &mut DefaultTerminal,
    ws: &Workspace,
    app: &mut App,
    key: KeyCode,
) -> anyhow::Result<bool> {
    app.message = None;
    let id = app.selected_id();
    match key {
        KeyCode::Char('q') | KeyCode::Esc => return Ok(false),
        KeyCode::Down | KeyCode::Char('j') => app.move_by(1),
        KeyCode::Up | KeyCode::Char('k') => app.move_by(-1),
        KeyCode::Char('n') => app.next_needing(),
        KeyCode::Char('?') => app.help = true,
        KeyCode::Char('l') => app.pane = Pane::Log,
        KeyCode::Char('d') => app.pane = Pane::Diff,
        KeyCode::Char('g') => app.pane = Pane::Graph,
        KeyCode::Char('R') => app.raw = !app.raw,
        KeyCode::Char(c) if id.is_some() || c == 'f' => {
            let id = id.unwrap_or_default();
            app.message = Some(match act(term, ws, c, &id) {
                Ok(Some(m)) => m,
                Ok(None) => return Ok(true),
                Err(e) => format!("{id}: {e:#}"),
            });
            app.refresh(ws)?;
        }
        _ => return Ok(true),
    }
    app.read_pane(ws);
    Ok(true)
}

/// The action of key `c` on ticket `id`: what it did, for the footer.
fn act(
    term: &mut DefaultTerminal,
    ws: &Workspace,
    c: char,
    id: &str,
) -> anyhow::Result<Option<String>> {
    Ok(Some(match c {
        'a' => {
            let tip = crate::ops::review::approve(ws, &ws.graph()?, id)?;
            format!("{id} approved at {}", &tip.to_string()[..7])
        }
        'c' => {
            let text = edit(term)?;
            if text.trim().is_empty() {
                return Ok(Some(format!(
                    "{id}: no changes requested (the text was empty)"
                )));
            }
            let round = crate::ops::review::request_changes(ws, &ws.graph()?, id, &text)?;
            format!("{id}: changes requested (review round {round}); its next run gets them")
        }
        'm' => background(ws, &["merge", id])?,
        'r' => background(ws, &["run", id])?,
        'p' => background(ws, &["pr", id])?,
        'f' => background(ws, &["wave", "start", "--all", "--auto-merge"])?,
        's' => match crate::ops::control::stop(ws, id)? {
            crate::ops::control::Stopped::Asked { pid } => {
                format!("{id}: asked the git epic that runs it (pid {pid}) to stop; r resumes")
            }
            crate::ops::control::Stopped::Elsewhere(m) => {
                format!("{id} runs on {m}: stop it there")
            }
            crate::ops::control::Stopped::NotRunning => format!("{id}: no git epic runs it"),
        },
        _ => return Ok(None),
    }))
}

/// The requested changes, written in `$VISUAL` or `$EDITOR` (else vi) with the dashboard
/// put away meanwhile; the text as written.
fn edit(term: &mut DefaultTerminal) -> anyhow::Result<String> {
    let file = tempfile::Builder::new()
        .prefix("git-epic-changes-")
        .suffix(".md")
        .tempfile()?;
    let editor = std::env::var("VISUAL")
        .ok()
        .or_else(|| std::env::var("EDITOR").ok())
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".into());
    let mut argv = shell_words::split(&editor).map_err(|_| {
        crate::infra::error::usage(format!("$EDITOR `{editor}` cannot be split into words."))
    })?;
    argv.push(file.path().to_string_lossy().into_owned());
    leave();
    let status = std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .status();
    // Back on the same terminal object, cleared by hand: a new one, or `clear`, asks the
    // terminal where its cursor is, which not every terminal answers.
    ratatui::crossterm::terminal::enable_raw_mode()?;
    execute!(
        std::io::stdout(),
        ratatui::crossterm::terminal::EnterAlternateScreen,
        ratatui::crossterm::terminal::Clear(ratatui::crossterm::terminal::ClearType::All),
        ratatui::crossterm::cursor::Hide,
        EnableMouseCapture
    )?;
    // An empty frame: what ratatui believes is on screen is then blank too, and the next
    // draw paints everything.
    term.draw(|_| {})?;
    match status {
        Ok(s) if s.success() => Ok(std::fs::read_to_string(file.path())?),
        Ok(s) => Err(anyhow::anyhow!(
            "the editor exited with {s}; nothing was requested"
        )),
        Err(e) => Err(anyhow::anyhow!(
            "the editor `{}` could not start: {e}",
            argv[0]
        )),
    }
}

/// `git epic sync` now and then, beside the dashboard, when the epic is shared through a
/// remote: what other machines did shows here without anyone syncing by hand.
pub struct Syncer {
    every: Option<Duration>,
    next: Instant,
    running: Option<std::process::Child>,
}

impl Syncer {
    fn new(ws: &Workspace, every_s: f64) -> Syncer {
        let remote = crate::infra::config::remote_of(&ws.repo, &ws.epic.name).is_some();
        Syncer {
            every: (remote && every_s > 0.0).then(|| Duration::from_secs_f64(every_s)),
            next: Instant::now(),
            running: None,
        }
    }

    /// Start a sync when one is due and the last one ended.
    fn tick(&mut self, ws: &Workspace) {
        let Some(every) = self.every else { return };
        let busy = self
            .running
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)));
        if busy || Instant::now() < self.next {
            return;
        }
        self.next = Instant::now() + every;
        self.running = spawn(ws, &["sync", "-q"]).ok();
    }
}

/// Run `git epic <args>` on its own, beside the dashboard (it may run agents or tests for
/// long): its output goes to `dashboard.log` in the epic's logs.
fn background(ws: &Workspace, args: &[&str]) -> anyhow::Result<String> {
    let mut child = spawn(ws, args)?;
    let pid = child.id();
    // Reaped when it ends, so that no zombie stays behind while the dashboard runs.
    std::thread::spawn(move || child.wait());
    Ok(format!(
        "started `git epic {}` (pid {pid}); its output: {}",
        args.join(" "),
        ws.logs_dir().join("dashboard.log").display()
    ))
}

fn spawn(ws: &Workspace, args: &[&str]) -> anyhow::Result<std::process::Child> {
    let exe = std::env::current_exe()?;
    let out_path = ws.logs_dir().join("dashboard.log");
    std::fs::create_dir_all(ws.logs_dir())?;
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&out_path)?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("--epic")
        .arg(&ws.epic.name)
        .args(args)
        .current_dir(&ws.root)
        .stdin(std::process::Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out);
    // Its own process group: keys typed here never reach it, and it outlives `q`.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    Ok(cmd.spawn()?)
}
