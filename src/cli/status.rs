use std::collections::{BTreeSet, HashMap};

use clap::Args;
use console::style;

use super::output::{duration, state, truncate};
use super::Ctx;
use crate::ops::status::{self, StatusReport};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON (fields: docs/status.md)
    #[arg(long, conflicts_with = "watch")]
    pub json: bool,
    /// Redraw every 2 seconds until interrupted
    #[arg(long)]
    pub watch: bool,
}

pub fn run(ctx: &Ctx, a: StatusArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    if a.watch {
        let term = console::Term::stdout();
        loop {
            let report = status::collect(&ws)?;
            let _ = term.clear_screen();
            print_table(ctx, &report);
            std::thread::sleep(std::time::Duration::from_secs(2));
        }
    }
    let report = status::collect(&ws)?;
    for p in &report.problems {
        ctx.out.warn(p);
    }
    if a.json {
        ctx.out.json(&report)?;
    } else {
        print_table(ctx, &report);
    }
    Ok(0)
}

/// Each row's machine as people read it: its host label, followed by the start of its
/// machine id where clones that share the label (one laptop, CI runners) must be told apart.
fn host_labels(r: &StatusReport) -> Vec<String> {
    let mut ids: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    let rows = r
        .tickets
        .iter()
        .map(|t| (t.host.as_deref(), t.machine.as_deref()));
    for (host, machine) in rows.chain([(Some(r.host.as_str()), r.machine.as_deref())]) {
        if let (Some(h), Some(m)) = (host, machine) {
            ids.entry(h).or_default().insert(m);
        }
    }
    r.tickets
        .iter()
        .map(|t| match (t.host.as_deref(), t.machine.as_deref()) {
            (None, _) => "-".to_owned(),
            (Some(h), Some(m)) if ids.get(h).is_some_and(|s| s.len() > 1) => {
                format!("{h}#{}", m.chars().take(4).collect::<String>())
            }
            (Some(h), _) => h.to_owned(),
        })
        .collect()
}

fn print_table(ctx: &Ctx, r: &StatusReport) {
    let out = ctx.out;
    out.result(format!(
        "epic {} ({} from {})",
        style(&r.epic).bold(),
        r.branch,
        r.base
    ));
    if r.tickets.is_empty() {
        out.result("No tickets yet: add one with `git epic ticket add <id>`.");
        return;
    }
    print_needs_you(ctx, r);
    let labels = host_labels(r);
    let cols = Columns::of(r, &labels);
    out.result(cols.header());
    let width = console::Term::stdout()
        .size_checked()
        .map_or(120, |(_, c)| c as usize);
    for (t, host) in r.tickets.iter().zip(&labels) {
        out.result(cols.row(t, host, width));
    }
    print_footer(ctx, r);
}

/// Which optional columns the table shows, and the widths of the variable ones.
struct Columns {
    id: usize,
    /// FIX (automatic fix rounds) once any ticket was sent back: until then its width goes
    /// to the last log line.
    fixes: bool,
    /// HOST when several machines share the epic.
    hosts: bool,
    host: usize,
    /// ACTIVITY while an agent runs: what it does now and how long it is silent.
    active: bool,
}

impl Columns {
    fn of(r: &StatusReport, labels: &[String]) -> Self {
        Columns {
            id: r
                .tickets
                .iter()
                .map(|t| t.id.len())
                .max()
                .unwrap_or(2)
                .max(2),
            fixes: r.tickets.iter().any(|t| t.fix_rounds > 0),
            hosts: r.remote.is_some()
                || r.tickets
                    .iter()
                    .any(|t| t.host.as_ref().is_some_and(|h| *h != r.host)),
            host: labels
                .iter()
                .map(|h| h.chars().count())
                .max()
                .unwrap_or(4)
                .clamp(4, 20),
            active: r.tickets.iter().any(|t| t.activity.is_some()),
        }
    }

    fn header(&self) -> String {
        let (w, hw) = (self.id, self.host);
        format!(
            "{:<w$}  WAVE  {:<12}{}  ATT  RL{}  AHEAD  BEHIND  DIRTY  ELAPSED  TOKENS     COST  {}LAST",
            "ID",
            "STATE",
            if self.hosts {
                format!("  {:<hw$}", "HOST")
            } else {
                String::new()
            },
            if self.fixes { "  FIX" } else { "" },
            activity_cell(self.active, "ACTIVITY")
        )
    }

    /// One ticket's row, its last column cut to what is left of `width`.
    fn row(&self, t: &status::Row, host: &str, width: usize) -> String {
        let (w, hw) = (self.id, self.host);
        let num = |v: Option<usize>| v.map_or("-".to_owned(), |n| n.to_string());
        let dirty = match t.dirty {
            Some(true) => "yes",
            Some(false) => "no",
            None => "-",
        };
        let line = format!(
            "{:<w$}  {:>4}  {:<12}{}  {:>3}  {:>2}{}  {:>5}  {:>6}  {:>5}  {:>7}  {:>6}  {:>7}  ",
            t.id,
            t.wave,
            t.state.as_str(),
            if self.hosts {
                let h: String = host.chars().take(hw).collect();
                format!("  {h:<hw$}")
            } else {
                String::new()
            },
            t.attempts,
            t.rate_limit_waits,
            if self.fixes {
                format!("  {:>3}", t.fix_rounds)
            } else {
                String::new()
            },
            num(t.ahead),
            num(t.behind),
            dirty,
            t.elapsed_s.map_or("-".to_owned(), duration),
            tokens(t.tokens.total()),
            cost(t.cost_usd),
        );
        let line = format!("{line}{}", activity_cell(self.active, &activity(t)));
        let room = width.saturating_sub(line.chars().count()).max(20);
        // Colour only the state word; padding is computed on the plain text above.
        let padded = format!("{:<12}", t.state.as_str());
        let line = line.replacen(
            &padded,
            &format!(
                "{}{}",
                state(t.state),
                " ".repeat(12 - t.state.as_str().len())
            ),
            1,
        );
        format!("{line}{}", truncate(&last_cell(t), room))
    }
}

/// The LAST column: the agent's last line (or why the ticket is where it is), after what
/// matters more (a wait's end, the review, the request's CI and URL).
fn last_cell(t: &status::Row) -> String {
    let mut last = t
        .last_line
        .clone()
        .or_else(|| t.reason.clone())
        .unwrap_or_default();
    if let Some(url) = &t.pr_url {
        // CI first: a long URL is what gets cut on a narrow terminal.
        let ci = t
            .pr_ci
            .as_ref()
            .map(|c| format!("CI {c}  "))
            .unwrap_or_default();
        last = format!("{ci}{url}  {last}");
    }
    if let Some(review) = t.review {
        last = format!("{}; {last}", review.as_str());
    }
    if let Some(left) = t.rate_limit_left_s {
        last = format!("retry in {}; {last}", duration(left));
    }
    last
}

/// The totals line, then what is not shared yet and the profiles cooling down.
fn print_footer(ctx: &Ctx, r: &StatusReport) {
    let out = ctx.out;
    let tot = &r.totals;
    let states: Vec<String> = tot
        .states
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| match (*s, tot.awaiting_review) {
            ("done", w) if w > 0 => format!("{n} {s} ({w} awaiting review)"),
            _ => format!("{n} {s}"),
        })
        .collect();
    out.result(format!(
        "{} tickets: {}; {} attempts, {} rate-limit waits, {} dirty, {} of agent time, {} tokens, {}{}",
        tot.tickets,
        states.join(", "),
        tot.attempts,
        tot.rate_limit_waits,
        tot.dirty,
        duration(tot.agent_s),
        tokens(tot.tokens.total()),
        cost(tot.cost_usd).trim_start(),
        match (tot.max_cost, tot.cost_left) {
            (Some(max), Some(left)) => format!(" of epic.maxCost ${max:.2} (${left:.2} left)"),
            _ => String::new(),
        }
    ));
    if !r.local_only.is_empty() {
        out.result(format!(
            "landed here only, not on {} yet: {} (the next landing or `git epic sync` shares them)",
            r.remote.as_deref().unwrap_or("the remote"),
            r.local_only.join(", ")
        ));
    }
    for c in &r.cooldowns {
        out.result(format!(
            "agent profile `{}` cooling down {}; `git epic agent reset {}` lifts it",
            c.profile,
            super::agent::cooldown_text(c),
            c.profile
        ));
    }
}

/// Width of the ACTIVITY column.
const ACTIVITY: usize = 28;

/// The ACTIVITY column's cell: `text`, when the column is shown.
fn activity_cell(shown: bool, text: &str) -> String {
    if shown {
        format!("{:<ACTIVITY$}  ", truncate(text, ACTIVITY))
    } else {
        String::new()
    }
}

/// A running agent's step and, once it has been quiet a while, for how long.
pub fn activity(t: &crate::ops::status::Row) -> String {
    let Some(a) = &t.activity else {
        return "-".into();
    };
    match t.idle_s {
        Some(idle) if idle >= 2.0 => format!("{a} · {}", duration(idle)),
        _ => a.clone(),
    }
}

/// The tickets that wait on a human, first: why, and the command that resolves it.
fn print_needs_you(ctx: &Ctx, r: &StatusReport) {
    let waiting: Vec<_> = r
        .tickets
        .iter()
        .filter_map(|t| t.needs_you.as_ref().map(|n| (t, n)))
        .collect();
    if waiting.is_empty() {
        return;
    }
    ctx.out
        .result(format!("{}:", style("needs you").bold().yellow()));
    for (t, n) in waiting {
        ctx.out.result(format!(
            "  {}  {}: {}  → {}",
            t.id,
            n.reason.as_str(),
            n.why,
            n.command
        ));
    }
}

/// `12.3k`, `4.5M`: token counts at a glance; `-` for none.
pub fn tokens(n: u64) -> String {
    match n {
        0 => "-".into(),
        n if n < 1000 => n.to_string(),
        n if n < 1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        n => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// `$0.42`; `-` for nothing spent.
pub fn cost(usd: f64) -> String {
    if usd <= 0.0 {
        "-".into()
    } else if usd < 0.01 {
        format!("${usd:.4}")
    } else {
        format!("${usd:.2}")
    }
}
