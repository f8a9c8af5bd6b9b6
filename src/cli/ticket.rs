use std::io::{IsTerminal, Read};

use clap::{Args, Subcommand};

use super::output::truncate;
use super::Ctx;
use crate::model::ticket::{self, NewTicket};

#[derive(Debug, Subcommand)]
pub enum TicketCommand {
    /// Write a ticket file (body from stdin when piped, else a template)
    #[command(
        after_help = "Examples:\n  git epic ticket add 177 --title \"Create SirenTier interface\" --scope 'core/_ports_/**'\n  git epic ticket add 180 --deps 177,178 < spec-180.md"
    )]
    Add(AddArgs),
    /// List the tickets with their wave and dependencies
    #[command(
        after_help = "Examples:\n  git epic ticket list\n  git epic ticket list --json\n  git epic ticket list --format tasks-md > tasks.md"
    )]
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The ticket id: letters, digits, `.`, `_`, `-`
    pub id: String,
    /// A one-line title (default: the body's first heading)
    #[arg(long)]
    pub title: Option<String>,
    /// Ids of tickets this one depends on, comma separated
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub deps: Vec<String>,
    /// A glob of files the ticket may change (repeatable)
    #[arg(long, value_name = "GLOB")]
    pub scope: Vec<String>,
    /// A glob of files the ticket must not change (repeatable)
    #[arg(long, value_name = "GLOB")]
    pub forbid: Vec<String>,
    /// An agent profile name (git config epicAgent.<profile>.command)
    #[arg(long, value_name = "PROFILE")]
    pub agent: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// `table`, or `tasks-md`: the method's tasks.md, which `git epic import` reads back
    #[arg(long, value_enum, default_value_t = ListFormat::Table, value_name = "FORMAT")]
    pub format: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Table,
    TasksMd,
}

pub fn run(ctx: &Ctx, c: TicketCommand) -> anyhow::Result<i32> {
    match c {
        TicketCommand::Add(a) => add(ctx, a),
        TicketCommand::List(a) => list(ctx, a),
    }
}

fn add(ctx: &Ctx, a: AddArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let stdin = std::io::stdin();
    let body = if stdin.is_terminal() {
        None
    } else {
        let mut text = String::new();
        stdin.lock().read_to_string(&mut text).map_err(|e| {
            crate::infra::error::usage(format!("The ticket body on stdin cannot be read: {e}."))
        })?;
        Some(text)
    };
    let deps = a
        .deps
        .into_iter()
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty())
        .collect();
    let path = ticket::add(
        &ws.root,
        &ws.epic.tasks_dir,
        NewTicket {
            id: a.id.clone(),
            title: a.title,
            deps,
            scope: a.scope,
            forbid: a.forbid,
            agent: a.agent,
            body,
        },
    )?;
    ctx.out.result(format!("Wrote {}.", path.display()));
    Ok(0)
}

fn list(ctx: &Ctx, a: ListArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let graph = ws.graph()?;
    if a.json {
        #[derive(serde::Serialize)]
        struct Item<'a> {
            #[serde(flatten)]
            ticket: &'a ticket::Ticket,
            wave: usize,
        }
        let items: Vec<Item> = graph
            .topo_order()
            .into_iter()
            .map(|t| Item {
                ticket: t,
                wave: graph.wave(&t.id),
            })
            .collect();
        ctx.out.json(&items)?;
        return Ok(0);
    }
    if a.format == ListFormat::TasksMd {
        let text = crate::model::tasks_md::render(&ws.epic.name, &graph.topo_order())?;
        super::output::stdout(&text);
        return Ok(0);
    }
    if graph.is_empty() {
        ctx.out.info(format!(
            "No tickets yet in {}: add one with `git epic ticket add <id>`.",
            ws.tasks_dir().display()
        ));
        return Ok(0);
    }
    let w = graph
        .tickets
        .iter()
        .map(|t| t.id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    ctx.out
        .result(format!("{:<w$}  WAVE  {:<40}  DEPS", "ID", "TITLE"));
    for t in graph.topo_order() {
        ctx.out.result(format!(
            "{:<w$}  {:>4}  {:<40}  {}",
            t.id,
            graph.wave(&t.id),
            truncate(&t.title, 40),
            t.deps.join(",")
        ));
    }
    Ok(0)
}
