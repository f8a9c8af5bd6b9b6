//! `git epic split <spec.md>`: an agent turns a spec into ticket files by the method's rules,
//! and git-epic checks them (the strict parser, the graph, the plan) and sends what it found
//! back to the same agent session, for at most `epic.maxFixRounds` rounds.
//!
//! The agent works in one of the epic's scratch worktrees at the epic's tip (it reads the
//! code, never a user's checkout) and writes the tickets into `.epic-split/` there; what
//! comes out goes to the tasks dir through `import`, uncommitted, so nothing runs until the
//! user says so.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context as _};
use serde::Serialize;

use crate::infra::config::Settings;
use crate::infra::error::{usage, Result};
use crate::infra::gitx;
use crate::model::agent;
use crate::model::agents::Tokens;
use crate::model::epic::Workspace;
use crate::model::graph::Graph;
use crate::model::ticket::{self, Ticket};
use crate::ops::foreground;
use crate::ops::import::{self, Incoming, Side};
use crate::ops::worktree::scratch;

/// Where the agent writes the tickets, inside its worktree.
pub const OUT_DIR: &str = ".epic-split";

/// A prompt longer than this is more than one small ticket.
const MAX_PROMPT_LINES: usize = 120;

/// One round of the agent and what git-epic found in what it wrote.
#[derive(Debug, Serialize)]
pub struct Round {
    pub round: u32,
    pub tickets: usize,
    pub findings: Vec<String>,
    pub tokens: Tokens,
    pub cost_usd: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct SplitReport {
    pub rounds: Vec<Round>,
    pub tokens: Tokens,
    pub cost_usd: f64,
    pub log: PathBuf,
    /// Whether the tickets went to the tasks dir (not on a dry run, nor when the last round
    /// still had errors).
    pub written: bool,
}

pub struct Split {
    pub report: SplitReport,
    /// The checked tickets and their graph, when the last round's files were usable.
    pub prepared: Option<import::Prepared>,
    /// The tickets as the agent wrote them, for a dry run to show.
    pub texts: Vec<(String, String)>,
}

pub fn split(
    ws: &Workspace,
    settings: &Settings,
    spec: &Path,
    profile: Option<String>,
    dry_run: bool,
) -> Result<Split> {
    let spec_text = std::fs::read_to_string(spec)
        .map_err(|e| usage(format!("{} cannot be read: {e}.", spec.display())))?;
    let pseudo = Ticket {
        id: "SPLIT".into(),
        title: "split".into(),
        deps: vec![],
        scope: vec![],
        forbid: vec![],
        agent: profile,
        body: String::new(),
        path: PathBuf::new(),
    };
    let agent = agent::resolve(&ws.repo.config_snapshot(), settings, &pseudo, &ws.root)?;
    let tip = gitx::branch_tip(&ws.repo, &ws.epic.branch)?
        .ok_or_else(|| anyhow!("the epic branch {} is gone", ws.epic.branch))?;
    let log = ws.logs_dir().join("SPLIT.log");
    std::fs::create_dir_all(ws.logs_dir())?;
    let slot = scratch::take_for_agent(&ws.root, &ws.worktrees_dir(), &ws.epic.name, tip, &log)?;
    let out = slot.dir.join(OUT_DIR);
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out)?;

    let mut prompt = first_prompt(ws, &spec_text, &slot.dir);
    let mut session: Option<String> = None;
    let mut rounds = Vec::new();
    let mut total = Tokens::default();
    let mut cost = 0.0;
    let mut last: (Vec<Ticket>, Vec<String>) = (Vec::new(), Vec::new());
    for round in 0..=settings.max_fix_rounds {
        let seen = foreground::run(
            ws,
            settings,
            &agent,
            &slot.dir,
            &log,
            foreground::Job {
                purpose: "split",
                prompt: &prompt,
                resume: session.as_deref(),
            },
        )?;
        if let Some(s) = seen.resumable_session(session.as_deref()) {
            session = Some(s.to_owned());
        }
        total.add(&seen.tokens());
        cost += seen.cost_usd.unwrap_or(0.0);
        let (tickets, findings) = check(&slot.dir, &out)?;
        rounds.push(Round {
            round,
            tickets: tickets.len(),
            findings: findings.clone(),
            tokens: seen.tokens(),
            cost_usd: seen.cost_usd,
        });
        last = (tickets, findings);
        if last.1.is_empty() || round == settings.max_fix_rounds {
            break;
        }
        prompt = fix_prompt(&last.1, session.is_some(), &spec_text);
    }
    let texts = read_texts(&out)?;
    let (tickets, findings) = last;
    // Errors that leave no graph (a file that does not parse, a cycle) keep everything out of
    // the tasks dir; the others (overlaps, size, no scope) are for the user to judge.
    let broken = findings.iter().any(|f| f.starts_with("error:"));
    let mut prepared = None;
    let mut written = false;
    if !broken && !tickets.is_empty() {
        let incoming: Vec<Incoming> = tickets
            .into_iter()
            .map(|t| Incoming {
                origin: format!("split of {}", spec.display()),
                front: ticket::FrontMatter {
                    title: Some(t.title.clone()),
                    deps: t.deps,
                    scope: t.scope,
                    forbid: t.forbid,
                    agent: None,
                },
                id: t.id,
                body: t.body,
                issue: None,
            })
            .collect();
        let p = import::prepare(ws, incoming, Side::Ask)?;
        if !dry_run {
            import::apply(ws, &p)?;
            written = true;
        }
        prepared = Some(p);
    }
    slot.discard(&ws.root)?;
    let report = SplitReport {
        rounds,
        tokens: total,
        cost_usd: cost,
        log,
        written,
    };
    // The agent's spending is the epic's, like a ticket's run: kept beside its logs.
    let record = ws.logs_dir().with_file_name("split.json");
    crate::infra::supervisor::write_atomic(&record, &report)
        .map_err(|e| anyhow!("could not write {}: {e}", record.display()))?;
    Ok(Split {
        report,
        prepared,
        texts,
    })
}

fn first_prompt(ws: &Workspace, spec: &str, dir: &Path) -> String {
    let context = std::fs::read_to_string(dir.join(crate::ops::context::FILE)).ok();
    let mut p = format!(
        "Split the spec below into tickets for coding agents working in parallel, each on its \
own branch. Read the repository first{}.\n\n\
Rules:\n\
- Small tickets: at most 3 story points each, one focused change an agent can finish alone. \
Judge size by the files touched and the tests needed; a prompt over {MAX_PROMPT_LINES} lines is \
too large.\n\
- Explicit dependencies: a ticket depends on the tickets whose work it needs. No cycles.\n\
- Tickets that can run at the same time (no dependency between them) must not change the same \
files: give each a `scope` (globs of the files it may change) that does not overlap the others' \
in its wave, and a `forbid` for what it must leave alone.\n\
- A prompt an agent can act on alone: files to create or change, the exact interface, the \
expected tests, what not to touch.\n\n\
Write one file per ticket in `{OUT_DIR}/<id>.md` (id: letters, digits, `.`, `_`, `-`), in this \
exact shape and with no other keys:\n\n\
+++\ntitle = \"Create SirenTier interface\"\ndeps = [\"175\"]\nscope = [\"core/_ports_/**\"]\n\
forbid = [\"infra/**\"]\n+++\n## Files to create\n...\n\n\
Change nothing else in the repository and do not commit.\n\n# The spec\n\n{spec}",
        if context.is_some() {
            ", CONTEXT.md included"
        } else {
            ""
        }
    );
    let existing = ws.tickets().unwrap_or_default();
    if !existing.is_empty() {
        p.push_str("\n\n# Tickets the epic already has (you may depend on them; do not reuse their ids)\n\n");
        for t in &existing {
            p.push_str(&format!("- {}: {}\n", t.id, t.title));
        }
    }
    p
}

fn fix_prompt(findings: &[String], same_session: bool, spec: &str) -> String {
    let mut p = String::from(
        "git-epic checked the ticket files you wrote and found the problems below. Fix them by \
changing the files in `.epic-split/` (rename, merge, split or re-scope tickets as needed); \
change nothing else and do not commit.\n\n# Findings\n\n",
    );
    for f in findings {
        p.push_str(&format!("- {f}\n"));
    }
    if !same_session {
        // A CLI that cannot continue its session gets the spec again.
        p.push_str(&format!("\n# The spec\n\n{spec}"));
    }
    p
}

/// The tickets in `out` and what is wrong with them: `error:` for what leaves no usable
/// graph, `warning:` for what the user should judge.
fn check(dir: &Path, out: &Path) -> Result<(Vec<Ticket>, Vec<String>)> {
    let mut findings = Vec::new();
    let mut tickets: Vec<Ticket> = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(out)
        .with_context(|| format!("could not read {}", out.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    for f in &files {
        let rel = f.strip_prefix(dir).unwrap_or(f);
        let text = std::fs::read_to_string(f).unwrap_or_default();
        match ticket::parse(rel, &text) {
            Ok(t) => tickets.push(t),
            Err(e) => findings.push(format!("error: {e}")),
        }
    }
    if files.is_empty() {
        findings.push(format!("error: no ticket file was written in {OUT_DIR}/."));
    }
    for t in &tickets {
        if t.agent.is_some() {
            findings.push(format!(
                "error: {}: `agent` is not yours to choose; remove it.",
                t.path.display()
            ));
        }
        for d in &t.deps {
            if !tickets.iter().any(|o| &o.id == d) {
                findings.push(format!(
                    "error: {}: unknown dependency `{d}`: there is no ticket with that id.",
                    t.path.display()
                ));
            }
        }
        let lines = t.body.lines().count();
        if lines > MAX_PROMPT_LINES {
            findings.push(format!(
                "warning: ticket `{}` is too large ({lines} lines of prompt): split it.",
                t.id
            ));
        }
        if t.scope.is_empty() {
            findings.push(format!(
                "warning: ticket `{}` has no scope: give it the globs of the files it may change.",
                t.id
            ));
        }
    }
    if findings.iter().any(|f| f.starts_with("error:")) {
        return Ok((tickets, findings));
    }
    match Graph::new(tickets.clone()) {
        Err(e) => findings.push(format!("error: {e}")),
        Ok(graph) => {
            for o in crate::model::plan::plan(&graph).overlaps {
                let globs: Vec<String> = o
                    .globs
                    .iter()
                    .map(|(x, y)| format!("`{x}` ~ `{y}`"))
                    .collect();
                findings.push(format!(
                    "warning: tickets `{}` and `{}` are in the same wave ({}) and their scopes overlap ({}): they would conflict; make one depend on the other or split the files.",
                    o.a,
                    o.b,
                    o.wave,
                    globs.join(", ")
                ));
            }
        }
    }
    Ok((tickets, findings))
}

fn read_texts(out: &Path) -> Result<Vec<(String, String)>> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(out)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            Some((name, std::fs::read_to_string(&p).ok()?))
        })
        .collect();
    v.sort();
    Ok(v)
}
