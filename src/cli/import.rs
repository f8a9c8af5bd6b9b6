use clap::Args;

use super::Ctx;
use crate::infra::error::usage;
use crate::ops::import::{self, Change, Side};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// `github`, `gitlab`, or the path of a tasks.md (docs/tasks-md.md)
    #[arg(value_name = "SOURCE")]
    pub source: String,
    /// Only the issues with this label (github, gitlab)
    #[arg(long, value_name = "LABEL", conflicts_with_all = ["milestone", "issue"])]
    pub label: Option<String>,
    /// Only the issues of this milestone (github, gitlab)
    #[arg(long, value_name = "MILESTONE", conflicts_with = "issue")]
    pub milestone: Option<String>,
    /// Only this issue (github, gitlab; repeatable)
    #[arg(long, value_name = "N")]
    pub issue: Vec<u64>,
    /// Show the tickets and the graph without writing anything
    #[arg(long)]
    pub dry_run: bool,
    /// For tickets changed both here and at the source: keep the file as it is here
    #[arg(long, conflicts_with = "theirs")]
    pub ours: bool,
    /// For tickets changed both here and at the source: take the source's version
    #[arg(long)]
    pub theirs: bool,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, a: ImportArgs) -> anyhow::Result<i32> {
    let ws = ctx.workspace()?;
    let side = match (a.ours, a.theirs) {
        (true, _) => Side::Ours,
        (_, true) => Side::Theirs,
        _ => Side::Ask,
    };
    let tracker = matches!(a.source.as_str(), "github" | "gitlab");
    let mut outside = Vec::new();
    let incoming = if tracker {
        let filter = import::tracker::Filter {
            label: a.label.clone(),
            milestone: a.milestone.clone(),
            issues: a.issue.clone(),
        };
        let got = import::tracker::fetch(&ws, &a.source, &filter)?;
        outside = got.outside;
        got.incoming
    } else {
        if a.label.is_some() || a.milestone.is_some() || !a.issue.is_empty() {
            return Err(usage(
                "--label, --milestone and --issue select issues: use them with `import github` or `import gitlab`.",
            ));
        }
        let text = std::fs::read_to_string(&a.source).map_err(|e| {
            usage(format!(
                "{} cannot be read ({e}); the source is `github`, `gitlab` or a tasks.md file.",
                a.source
            ))
        })?;
        import::from_tasks_md(&a.source, &text)?
    };
    let prepared = import::prepare(&ws, incoming, side)?;
    if !a.dry_run {
        import::apply(&ws, &prepared)?;
    }
    if a.json {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            dry_run: bool,
            tickets: &'a [import::ImportPlan],
            outside: &'a [import::tracker::Outside],
            plan: crate::model::plan::Plan<'a>,
        }
        ctx.out.json(&Out {
            dry_run: a.dry_run,
            tickets: &prepared.tickets,
            outside: &outside,
            plan: crate::model::plan::plan(&prepared.graph),
        })?;
        return Ok(0);
    }
    let out = ctx.out;
    let w = prepared
        .tickets
        .iter()
        .map(|t| t.id.len())
        .max()
        .unwrap_or(2);
    for t in &prepared.tickets {
        let what = match (t.change, a.dry_run) {
            (Change::New, false) => "new",
            (Change::New, true) => "would add",
            (Change::Updated | Change::TookTheirs, false) => "updated",
            (Change::Updated | Change::TookTheirs, true) => "would update",
            (Change::Unchanged, _) => "unchanged",
            (Change::KeptLocal, _) => "kept (edited here)",
            (Change::KeptOurs, _) => "kept (--ours)",
        };
        out.result(format!(
            "{:<w$}  {:<18}  {}  {}",
            t.id,
            what,
            t.path.display(),
            super::output::truncate(&t.title, 50)
        ));
    }
    for o in &outside {
        out.warn(format!(
            "#{} is not in this import but {} depend{} on it: left out of their dependencies, so check it is done before they run.",
            o.number,
            o.needed_by
                .iter()
                .map(|n| format!("#{n}"))
                .collect::<Vec<_>>()
                .join(", "),
            if o.needed_by.len() == 1 { "s" } else { "" }
        ));
    }
    let p = crate::model::plan::plan(&prepared.graph);
    super::plan::render(out, &prepared.graph, &p);
    if a.dry_run {
        out.info("Dry run: nothing was written.");
    } else {
        out.info(format!(
            "The ticket files are in {}, not committed: look, edit, commit.",
            ws.epic.tasks_dir.display()
        ));
    }
    Ok(0)
}
