use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use clap::{ArgGroup, Args};
use console::style;

use super::Ctx;
use crate::infra::error::usage;
use crate::ops::review::{self, Repeated, TicketReview};

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").args(["ids", "wave"]).required(true)))]
#[command(group(ArgGroup::new("verdict").args(["approve", "request_changes"])))]
#[command(group(ArgGroup::new("text").args(["message", "file"])))]
pub struct ReviewArgs {
    /// Tickets to review
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// Every ticket of wave N, with the failures they share grouped once
    #[arg(long, value_name = "N")]
    pub wave: Option<usize>,
    /// Show the diff too (through git's pager)
    #[arg(short = 'p', long)]
    pub patch: bool,
    /// Approve the ticket as its branch is now (with epic.requireReview, only approved
    /// tickets land)
    #[arg(long)]
    pub approve: bool,
    /// Send the ticket back to its agent with the text of -m or -F, verbatim
    #[arg(long, requires = "text")]
    pub request_changes: bool,
    /// The requested changes
    #[arg(short = 'm', long, value_name = "TEXT", requires = "request_changes")]
    pub message: Option<String>,
    /// The requested changes, from a file (- for standard input)
    #[arg(short = 'F', long, value_name = "FILE", requires = "request_changes")]
    pub file: Option<PathBuf>,
    /// Print JSON: the tickets and the failures they share
    #[arg(long)]
    pub json: bool,
}

#[derive(serde::Serialize)]
struct Json<'a> {
    tickets: &'a [TicketReview],
    repeated_failures: &'a [Repeated],
}

pub fn run(ctx: &Ctx, a: ReviewArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let graph = ws.graph()?;
    let ids = review::select(&ws, &graph, &a.ids, a.wave)?;
    if a.request_changes {
        let [id] = ids.as_slice() else {
            return Err(usage(
                "--request-changes sends one ticket back: name exactly one ticket.",
            ));
        };
        let text = match (&a.message, &a.file) {
            (Some(m), _) => m.clone(),
            (None, Some(f)) if f.as_os_str() == "-" => {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                s
            }
            (None, Some(f)) => std::fs::read_to_string(f).map_err(|e| {
                usage(format!(
                    "Could not read the requested changes from {}: {e}.",
                    f.display()
                ))
            })?,
            (None, None) => unreachable!("clap requires -m or -F"),
        };
        let round = review::request_changes(&ws, &graph, id, &text)?;
        ctx.out.result(format!(
            "{id}: {} (review round {round}); its next run (`git epic run {id}`, or flow mode) gets them with its prompt",
            style("changes requested").yellow().bold()
        ));
        return Ok(0);
    }
    if a.approve {
        for id in &ids {
            let tip = review::approve(&ws, &graph, id)?;
            ctx.out.result(format!(
                "{id}: {} at {}",
                style("approved").green().bold(),
                tip.to_hex_with_len(10)
            ));
        }
        return Ok(0);
    }
    let color = !a.json && console::colors_enabled();
    let (reviews, repeated) = review::gather(&ws, &graph, &ids, a.patch, color)?;
    if a.json {
        ctx.out.json(&Json {
            tickets: &reviews,
            repeated_failures: &repeated,
        })?;
        return Ok(0);
    }
    let text = render(&reviews, &repeated, &ws.epic.branch);
    page(&text, &ws.root);
    Ok(0)
}

fn render(reviews: &[TicketReview], repeated: &[Repeated], epic: &str) -> String {
    let mut t = String::new();
    if !repeated.is_empty() {
        t.push_str(&format!(
            "{}\n",
            style("Failures shared by several tickets (fix once):").bold()
        ));
        for r in repeated {
            t.push_str(&format!("  {}  ({})\n", r.line, r.tickets.join(", ")));
        }
        t.push('\n');
    }
    for r in reviews {
        let mut head = format!("{} {}  {}", style("==").dim(), style(&r.id).bold(), r.title);
        head.push_str(&format!("  [{}", super::output::state(r.state)));
        if r.approved {
            head.push_str(&format!(", {}", style("approved").green()));
        }
        if r.fix_rounds > 0 {
            head.push_str(&format!(", fix rounds {}", r.fix_rounds));
        }
        if r.review_rounds > 0 {
            head.push_str(&format!(", review rounds {}", r.review_rounds));
        }
        head.push(']');
        t.push_str(&head);
        t.push('\n');
        match &r.branch {
            None => t.push_str("no branch yet\n"),
            Some(b) => {
                t.push_str(&format!(
                    "{b}: {} commit(s) not in {epic}\n",
                    r.commits.len()
                ));
                for c in &r.commits {
                    t.push_str(&format!("  {c}\n"));
                }
                if !r.stat.is_empty() {
                    t.push_str(&r.stat);
                    t.push('\n');
                }
            }
        }
        let scope = match (r.outside_scope.is_empty(), r.forbidden.is_empty()) {
            (true, true) => style("scope: ok".to_owned()).green(),
            _ => {
                let mut parts = Vec::new();
                if !r.outside_scope.is_empty() {
                    parts.push(format!("outside its scope: {}", r.outside_scope.join(", ")));
                }
                if !r.forbidden.is_empty() {
                    parts.push(format!("forbidden: {}", r.forbidden.join(", ")));
                }
                style(format!("scope: {}", parts.join("; "))).red()
            }
        };
        t.push_str(&format!("{scope}\n"));
        if let Some(reason) = &r.reason {
            t.push_str(&format!("gates: {reason}\n"));
        }
        for l in &r.failed_lines {
            t.push_str(&format!("  {l}\n"));
        }
        if !r.sandbox_refused.is_empty() {
            t.push_str(&format!(
                "{}\n",
                style("sandbox refused its agent:").yellow()
            ));
            for l in &r.sandbox_refused {
                t.push_str(&format!("  {l}\n"));
            }
        }
        if let Some(req) = &r.request {
            t.push_str(&format!(
                "next run is asked ({} round {}):\n",
                req.kind, req.round
            ));
            for l in req.text.lines().take(6) {
                t.push_str(&format!("  {l}\n"));
            }
        }
        if !r.log_tail.is_empty() {
            t.push_str("log:\n");
            for l in &r.log_tail {
                t.push_str(&format!("  {}\n", super::output::truncate(l, 160)));
            }
        }
        if let Some(p) = &r.patch {
            t.push('\n');
            t.push_str(p);
            t.push('\n');
        }
        t.push('\n');
    }
    t
}

/// Show `text` through git's pager (`core.pager`, `GIT_PAGER`, `PAGER`) when standard output
/// is a terminal, as git does; printed as it is otherwise.
fn page(text: &str, root: &std::path::Path) {
    let pager = std::io::stdout()
        .is_terminal()
        .then(|| crate::infra::gitx::git(root, &["var", "GIT_PAGER"]).ok())
        .flatten()
        .filter(|p| !p.trim().is_empty() && p.trim() != "cat");
    if let Some(pager) = pager {
        let child = std::process::Command::new("sh")
            .args(["-c", &pager])
            .env(
                "LESS",
                std::env::var("LESS").unwrap_or_else(|_| "FRX".into()),
            )
            .env("LV", std::env::var("LV").unwrap_or_else(|_| "-c".into()))
            .stdin(std::process::Stdio::piped())
            .spawn();
        if let Ok(mut child) = child {
            if let Some(mut stdin) = child.stdin.take() {
                // A pager quit early closes its input: nothing more to show.
                let _ = stdin.write_all(text.as_bytes());
            }
            let _ = child.wait();
            return;
        }
    }
    super::output::stdout(text);
}
