//! What the dashboard shows, apart from how: the epic's status, the selected ticket, the
//! pane below the table and the line of news. Read from the library each refresh.

use ratatui::widgets::TableState;

use crate::model::epic::Workspace;
use crate::ops::status::{self, Depth, Row, StatusReport};

/// The pane below the tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Log,
    Diff,
    Graph,
}

/// The selected ticket's change against the epic, with the scope check.
#[derive(Debug, Clone, Default)]
pub struct DiffView {
    pub id: String,
    pub stat: String,
    pub patch: String,
    pub outside_scope: Vec<String>,
    pub forbidden: Vec<String>,
}

pub struct App {
    pub report: StatusReport,
    /// The time the view is drawn for.
    pub now: f64,
    /// `epic.maxParallel`.
    pub slots: usize,
    /// Index into `report.tickets`.
    pub selected: usize,
    pub pane: Pane,
    /// The log as the agent wrote it, not rendered.
    pub raw: bool,
    pub help: bool,
    /// The selected ticket's log, last lines.
    pub log: Vec<String>,
    pub diff: Option<DiffView>,
    /// What the last action did, or why it could not.
    pub message: Option<String>,
    pub table: TableState,
    /// Where the table was drawn (for the mouse).
    pub table_area: ratatui::layout::Rect,
    /// Table row of each ticket (wave headings take rows too).
    pub row_of: Vec<usize>,
}

/// Lines of a log the pane keeps.
const LOG_LINES: usize = 400;

impl App {
    pub fn new(report: StatusReport, slots: usize) -> App {
        let mut app = App {
            report,
            now: crate::infra::clock::now(),
            slots,
            selected: 0,
            pane: Pane::Log,
            raw: false,
            help: false,
            log: Vec::new(),
            diff: None,
            message: None,
            table: TableState::default(),
            table_area: ratatui::layout::Rect::default(),
            row_of: Vec::new(),
        };
        // Start on the first ticket that needs you.
        if let Some(i) = app
            .report
            .tickets
            .iter()
            .position(|t| t.needs_you.is_some())
        {
            app.selected = i;
        }
        app
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.report.tickets.get(self.selected)
    }

    pub fn selected_id(&self) -> Option<String> {
        self.selected_row().map(|r| r.id.clone())
    }

    /// Read the epic again (its notes and logs), keeping the selection on the same ticket.
    pub fn refresh(&mut self, ws: &Workspace) -> crate::infra::error::Result<()> {
        let keep = self.selected_id();
        self.report = status::collect_with(ws, Depth::Notes)?;
        self.now = crate::infra::clock::now();
        self.selected = keep
            .and_then(|id| self.report.tickets.iter().position(|t| t.id == id))
            .unwrap_or(0)
            .min(self.report.tickets.len().saturating_sub(1));
        self.read_pane(ws);
        Ok(())
    }

    /// Fill the pane for the selected ticket: its log, or its diff once per ticket.
    pub fn read_pane(&mut self, ws: &Workspace) {
        let Some(id) = self.selected_id() else {
            return;
        };
        let lines = crate::infra::log::tail_lines(&ws.log_path(&id), LOG_LINES);
        self.log = if self.raw {
            lines
        } else {
            lines
                .iter()
                .flat_map(|l| crate::model::agents::render::line(l))
                .map(|l| crate::infra::log::strip_ansi(&l))
                .collect()
        };
        if self.pane == Pane::Diff && self.diff.as_ref().is_none_or(|d| d.id != id) {
            self.diff = Some(read_diff(ws, &id));
        }
    }

    pub fn select(&mut self, i: usize) {
        if i < self.report.tickets.len() && i != self.selected {
            self.selected = i;
            self.diff = None;
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        let n = self.report.tickets.len() as isize;
        if n > 0 {
            self.select((self.selected as isize + delta).clamp(0, n - 1) as usize);
        }
    }

    /// The next ticket that needs you, after the selected one.
    pub fn next_needing(&mut self) {
        let n = self.report.tickets.len();
        let next = (1..=n)
            .map(|k| (self.selected + k) % n.max(1))
            .find(|&i| self.report.tickets[i].needs_you.is_some());
        if let Some(i) = next {
            self.select(i);
        }
    }

    /// The ticket at table row `row` (a click), if a ticket is there.
    pub fn ticket_at_row(&self, row: usize) -> Option<usize> {
        self.row_of.iter().position(|r| *r == row)
    }
}

fn read_diff(ws: &Workspace, id: &str) -> DiffView {
    let got = ws
        .graph()
        .and_then(|g| crate::ops::review::gather(ws, &g, &[id.to_owned()], true, false));
    match got {
        Ok((mut reviews, _)) if !reviews.is_empty() => {
            let r = reviews.remove(0);
            DiffView {
                id: id.to_owned(),
                stat: r.stat,
                patch: r.patch.unwrap_or_default(),
                outside_scope: r.outside_scope,
                forbidden: r.forbidden,
            }
        }
        Ok(_) => DiffView {
            id: id.to_owned(),
            ..DiffView::default()
        },
        Err(e) => DiffView {
            id: id.to_owned(),
            stat: format!("{e:#}"),
            ..DiffView::default()
        },
    }
}
