//! How the dashboard looks: header, needs you, tickets by wave, the pane (log, diff, graph),
//! the keys; `?` lays the help over it. Pure: the same [`App`] draws the same screen.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Cell, Clear, Paragraph, Row as TableRow, Table, Wrap};
use ratatui::Frame;

use super::app::{App, Pane};
use crate::cli::output::duration;
use crate::cli::status::{activity, cost, tokens};
use crate::model::state::State;
use crate::ops::needs::Need;

/// The keys, as `?` lists them: (key, what it does, the command it is).
pub const KEYS: &[(&str, &str, &str)] = &[
    ("↑ ↓ j k", "select a ticket (or click it)", ""),
    ("n", "next ticket that needs you", ""),
    (
        "a",
        "approve the selected ticket",
        "git epic review <id> --approve",
    ),
    (
        "c",
        "request changes ($EDITOR; sent verbatim)",
        "git epic review <id> --request-changes",
    ),
    ("m", "merge it", "git epic merge <id>"),
    ("r", "run or retry it", "git epic run <id>"),
    (
        "s",
        "stop the git epic that runs it",
        "Ctrl-C to its git epic",
    ),
    ("p", "open or update its pull request", "git epic pr <id>"),
    (
        "f",
        "start the rest of the epic in flow mode",
        "git epic wave start --all --auto-merge",
    ),
    ("l d g", "pane: its log, its diff and scope, the graph", ""),
    (
        "R",
        "log as the agent wrote it (raw) or rendered",
        "git epic logs <id> [--raw]",
    ),
    ("?", "this help", ""),
    ("q", "quit (the agents go on)", ""),
];

fn state_style(s: State) -> Style {
    let c = match s {
        State::Running => Color::Cyan,
        State::Done | State::Merged => Color::Green,
        State::Failed | State::Conflict => Color::Red,
        State::RateLimited | State::Interrupted => Color::Yellow,
        State::Pending | State::Blocked => Color::Gray,
    };
    Style::default().fg(c)
}

/// The key that resolves a wait on a human.
pub fn resolving_key(n: Need) -> &'static str {
    match n {
        Need::Review => "a approve · c changes",
        Need::ChangesRequested | Need::Login | Need::Failed => "r run",
        Need::Scope | Need::Conflict => "d diff · c changes",
        Need::Limit => "(agent reset)",
    }
}

pub fn draw(f: &mut Frame, app: &mut App) {
    let needing = app
        .report
        .tickets
        .iter()
        .filter(|t| t.needs_you.is_some())
        .count();
    let needs_h = if needing == 0 {
        0
    } else {
        needing.min(6) as u16 + 2
    };
    let [head, needs, table, pane, foot] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(needs_h),
        Constraint::Min(6),
        Constraint::Percentage(40),
        Constraint::Length(1),
    ])
    .areas(f.area());
    header(f, app, head);
    if needing > 0 {
        needs_you(f, app, needs);
    }
    tickets(f, app, table);
    match app.pane {
        Pane::Log => log_pane(f, app, pane),
        Pane::Diff => diff_pane(f, app, pane),
        Pane::Graph => graph_pane(f, app, pane),
    }
    footer(f, app, foot);
    if app.help {
        help(f);
    }
}

fn header(f: &mut Frame, app: &App, area: Rect) {
    let r = &app.report;
    let t = &r.totals;
    let running = t.states.get("running").copied().unwrap_or(0);
    let wall = r
        .totals
        .started_at
        .map_or("-".to_owned(), |s| duration(app.now - s));
    let money = match t.max_cost {
        Some(max) => format!("{} of ${max:.2}", cost(t.cost_usd)),
        None => cost(t.cost_usd),
    };
    let first = Line::from(vec![
        Span::styled(
            format!("epic {}", r.epic),
            Style::default().add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!(
            " ({} from {})  wall {wall}  agents {running}/{}  tokens {}  cost {money}  {} tickets, {} merged",
            r.branch,
            r.base,
            app.slots,
            tokens(t.tokens.total()),
            t.tickets,
            t.states.get("merged").copied().unwrap_or(0),
        )),
    ]);
    let cooldowns: Vec<String> = r
        .cooldowns
        .iter()
        .map(|c| {
            format!(
                "{} cooling down {} more",
                c.profile,
                duration((c.until - app.now).max(0.0))
            )
        })
        .collect();
    let second = if cooldowns.is_empty() {
        Line::from(Span::styled(
            "no agent profile cooling down",
            Style::default().fg(Color::DarkGray),
        ))
    } else {
        Line::from(Span::styled(
            cooldowns.join(" · "),
            Style::default().fg(Color::Yellow),
        ))
    };
    f.render_widget(Paragraph::new(vec![first, second]), area);
}

fn needs_you(f: &mut Frame, app: &App, area: Rect) {
    let lines: Vec<Line> = app
        .report
        .tickets
        .iter()
        .filter_map(|t| t.needs_you.as_ref().map(|n| (t, n)))
        .map(|(t, n)| {
            Line::from(vec![
                Span::styled(
                    format!(" {:<8}", t.id),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
                Span::styled(
                    format!("{:<18}", n.reason.as_str()),
                    Style::default().fg(Color::Yellow),
                ),
                Span::styled(
                    format!("[{}]  ", resolving_key(n.reason)),
                    Style::default().fg(Color::Cyan),
                ),
                Span::raw(format!("{}  → {}", n.why, n.command)),
            ])
        })
        .collect();
    let title = format!(" needs you ({}) ", lines.len());
    let block = Block::bordered()
        .title(title)
        .border_style(Style::default().fg(Color::Yellow));
    f.render_widget(Paragraph::new(lines).block(block), area);
}

fn tickets(f: &mut Frame, app: &mut App, area: Rect) {
    let header = TableRow::new([
        "ID", "STATE", "ACTIVITY", "ATT", "FIX", "ELAPSED", "TOKENS", "COST", "HOST", "PR / CI",
    ])
    .style(Style::default().add_modifier(Modifier::BOLD));
    let mut rows = Vec::new();
    let mut row_of = Vec::new();
    let mut wave = None;
    for t in &app.report.tickets {
        if wave != Some(t.wave) {
            wave = Some(t.wave);
            rows.push(
                TableRow::new([Cell::from(format!("wave {}", t.wave))])
                    .style(Style::default().fg(Color::DarkGray)),
            );
        }
        row_of.push(rows.len());
        let pr = match (&t.pr_url, &t.pr_ci) {
            (Some(u), Some(ci)) => format!("{} CI {ci}", short_pr(u)),
            (Some(u), None) => short_pr(u),
            _ => "-".into(),
        };
        let mark = if t.needs_you.is_some() { "!" } else { " " };
        rows.push(TableRow::new([
            Cell::from(format!("{mark}{}", t.id)),
            Cell::from(t.state.as_str()).style(state_style(t.state)),
            Cell::from(activity(t)),
            Cell::from(t.attempts.to_string()),
            Cell::from(t.fix_rounds.to_string()),
            Cell::from(t.elapsed_s.map_or("-".to_owned(), duration)),
            Cell::from(tokens(t.tokens.total())),
            Cell::from(cost(t.cost_usd)),
            Cell::from(t.host.clone().unwrap_or_else(|| "-".into())),
            Cell::from(pr),
        ]));
    }
    let widths = [
        Constraint::Length(10),
        Constraint::Length(12),
        Constraint::Min(20),
        Constraint::Length(3),
        Constraint::Length(3),
        Constraint::Length(7),
        Constraint::Length(6),
        Constraint::Length(7),
        Constraint::Length(10),
        Constraint::Length(18),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .block(Block::bordered().title(" tickets "))
        .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    app.table.select(row_of.get(app.selected).copied());
    app.row_of = row_of;
    app.table_area = area;
    f.render_stateful_widget(table, area, &mut app.table);
}

/// `…/pull/12` of a pull request's URL.
fn short_pr(url: &str) -> String {
    url.rsplit('/')
        .next()
        .map_or(url.to_owned(), |n| format!("#{n}"))
}

fn log_pane(f: &mut Frame, app: &App, area: Rect) {
    let id = app.selected_id().unwrap_or_default();
    let title = format!(
        " log of {id}{} · l log · d diff · g graph · R {} ",
        if app.raw { " (raw)" } else { "" },
        if app.raw { "rendered" } else { "raw" }
    );
    // Follow the end, as `logs -f` does.
    let room = area.height.saturating_sub(2) as usize;
    let start = app.log.len().saturating_sub(room);
    let text: Vec<Line> = app.log[start..]
        .iter()
        .map(|l| Line::raw(l.clone()))
        .collect();
    f.render_widget(
        Paragraph::new(text).block(Block::bordered().title(title)),
        area,
    );
}

fn diff_pane(f: &mut Frame, app: &App, area: Rect) {
    let id = app.selected_id().unwrap_or_default();
    let mut lines: Vec<Line> = Vec::new();
    match app.diff.as_ref().filter(|d| d.id == id) {
        None => lines.push(Line::raw("reading the diff…")),
        Some(d) => {
            let scope = if d.outside_scope.is_empty() && d.forbidden.is_empty() {
                Line::styled(
                    "scope: every change inside its scope",
                    Style::default().fg(Color::Green),
                )
            } else {
                let mut parts = Vec::new();
                if !d.outside_scope.is_empty() {
                    parts.push(format!("outside its scope: {}", d.outside_scope.join(", ")));
                }
                if !d.forbidden.is_empty() {
                    parts.push(format!("forbidden: {}", d.forbidden.join(", ")));
                }
                Line::styled(
                    format!("scope: {}", parts.join("; ")),
                    Style::default().fg(Color::Red),
                )
            };
            lines.push(scope);
            lines.extend(d.stat.lines().map(|l| Line::raw(l.to_owned())));
            for l in d.patch.lines() {
                let style = match l.chars().next() {
                    Some('+') if !l.starts_with("+++") => Style::default().fg(Color::Green),
                    Some('-') if !l.starts_with("---") => Style::default().fg(Color::Red),
                    Some('@') => Style::default().fg(Color::Cyan),
                    _ => Style::default(),
                };
                lines.push(Line::styled(l.to_owned(), style));
            }
        }
    }
    let title = format!(" diff of {id} against the epic, and its scope · l log · g graph ");
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(title)),
        area,
    );
}

fn graph_pane(f: &mut Frame, app: &App, area: Rect) {
    let mut lines: Vec<Line> = Vec::new();
    let waves = app
        .report
        .tickets
        .iter()
        .map(|t| t.wave)
        .max()
        .map_or(0, |w| w + 1);
    for w in 0..waves {
        let mut spans = vec![Span::styled(
            format!("wave {w}  "),
            Style::default().add_modifier(Modifier::BOLD),
        )];
        for t in app.report.tickets.iter().filter(|t| t.wave == w) {
            spans.push(Span::styled(
                format!("[{} {}]", t.id, t.state.as_str()),
                state_style(t.state),
            ));
            if !t.deps.is_empty() {
                spans.push(Span::styled(
                    format!(" ← {}", t.deps.join(", ")),
                    Style::default().fg(Color::DarkGray),
                ));
            }
            spans.push(Span::raw("   "));
        }
        lines.push(Line::from(spans));
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" graph: waves and dependencies · l log · d diff ")),
        area,
    );
}

fn footer(f: &mut Frame, app: &App, area: Rect) {
    let line = match &app.message {
        Some(m) => Line::styled(m.clone(), Style::default().fg(Color::Yellow)),
        None => Line::styled(
            "a approve  c changes  m merge  r run  s stop  p PR  f flow  n next  l/d/g pane  R raw  ? help  q quit",
            Style::default().fg(Color::DarkGray),
        ),
    };
    f.render_widget(Paragraph::new(line), area);
}

fn help(f: &mut Frame) {
    let area = f.area();
    let w = area.width.min(100);
    let h = (KEYS.len() as u16 + 4).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what, cmd)| {
            Line::from(vec![
                Span::styled(format!(" {k:<8}"), Style::default().fg(Color::Cyan)),
                Span::raw(format!("{what:<46}")),
                Span::styled(cmd.to_string(), Style::default().fg(Color::DarkGray)),
            ])
        })
        .collect();
    f.render_widget(Clear, popup);
    f.render_widget(
        Paragraph::new(Text::from(lines)).block(Block::bordered().title(" keys · any key closes ")),
        popup,
    );
}
