use std::path::Path;
use std::process::Command;

use clap::Args;
use console::style;

use super::Ctx;
use crate::ops::demo::{self, TICKETS};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the demo repository and print where it is
    #[arg(long)]
    pub keep: bool,
}

/// Run `git epic <args>` in the demo repository as a child process, showing the command.
fn step(dir: &Path, args: &[&str], expect: i32) -> anyhow::Result<()> {
    eprintln!("{} {}", style("$ git epic").bold(), shell_words::join(args));
    let status = Command::new(std::env::current_exe()?)
        .args(args)
        .current_dir(dir)
        .env("GIT_EPIC_DEMO", "1")
        .status()?;
    let code = status.code().unwrap_or(-1);
    if code != expect {
        anyhow::bail!(
            "`git epic {}` exited {code}, the demo expected {expect}",
            args.join(" ")
        );
    }
    eprintln!();
    Ok(())
}

fn say(text: &str) {
    eprintln!("{}", style(text).cyan());
}

pub fn run(ctx: &Ctx, a: DemoArgs) -> anyhow::Result<i32> {
    let _ = ctx;
    let tmp = tempfile::Builder::new()
        .prefix("git-epic-demo-")
        .tempdir()?;
    let dir = tmp.path().join("shop");
    std::fs::create_dir_all(&dir)?;
    let started = std::time::Instant::now();
    say(&format!("git epic demo: a throw-away repository in {}, with an agent simulated by git-epic itself.\n", dir.display()));

    say("1. A small project, and an epic branch made from it (your checkout stays where it is).");
    demo::scaffold(&dir)?;
    step(&dir, &["init", "shop"], 0)?;
    let agent = format!(
        "{} __simulate-agent",
        shell_words::quote(&std::env::current_exe()?.to_string_lossy())
    );
    for (key, value) in [
        ("epic.agent", agent.as_str()),
        ("epic.stagger", "0"),
        ("epic.retryWait", "0"),
        ("epic.rateLimitWait", "2s"),
        ("epic.lintFix", "echo checked >> lint.log"),
        ("epic.test", "test -f README.md"),
    ] {
        crate::infra::gitx::git(&dir, &["config", key, value])?;
    }

    say("2. Six tickets in three waves; each may only change its own folder (scope).");
    for (id, title, deps, scope) in TICKETS {
        let mut args = vec!["ticket", "add", id, "--title", title, "--scope", scope];
        if !deps.is_empty() {
            args.extend(["--deps", deps]);
        }
        step(&dir, &args, 0)?;
    }
    step(&dir, &["graph"], 0)?;

    say("3. The plan: the waves, the critical path, and the same-wave tickets that may collide.");
    step(&dir, &["plan"], 0)?;

    say("4. Run the whole graph with no wave barrier: each ticket gets a worktree and an agent, is merged");
    say("   through the scope and test gates as soon as it is done, and unblocks its dependents at once.");
    say(&format!("   The `{}` agent hits a usage limit once; `checkout` strays outside its scope, is refused,", demo::RATE_LIMITED));
    say("   and goes back to its agent with the files named (a fix round): it puts them back and lands.");
    step(
        &dir,
        &["wave", "start", "--all", "--auto-merge", "-j", "3"],
        0,
    )?;

    say("5. A late ticket runs on its own. Meanwhile the tech lead tightens a rule on the epic;");
    say("   propagate rebases the open worktree onto it, runs the lint-fix and the tests there.");
    step(
        &dir,
        &[
            "ticket",
            "add",
            "search",
            "--title",
            "Search the products",
            "--scope",
            "src/search/**",
            "--deps",
            "db",
        ],
        0,
    )?;
    step(&dir, &["run", "search"], 0)?;
    let lead = tmp.path().join("lead");
    crate::infra::gitx::git(
        &dir,
        &[
            "worktree",
            "add",
            "--quiet",
            "--detach",
            &lead.to_string_lossy(),
            "epic/shop",
        ],
    )?;
    std::fs::write(lead.join("RULES.md"), "- Every module has a test.\n")?;
    crate::infra::gitx::git(&lead, &["add", "RULES.md"])?;
    crate::infra::gitx::git(&lead, &["commit", "--quiet", "-m", "Tighten the rules"])?;
    crate::infra::gitx::git(&lead, &["push", "--quiet", ".", "HEAD:epic/shop"])?;
    crate::infra::gitx::git(&dir, &["worktree", "remove", &lead.to_string_lossy()])?;
    step(&dir, &["propagate"], 0)?;

    say("6. Review what it changed, then merge it: the test runs on the merged result (the epic");
    say("   with the ticket) before the epic moves.");
    step(&dir, &["review", "search"], 0)?;
    step(&dir, &["merge", "search"], 0)?;

    say("7. Where everything stands, and the method's metrics.");
    step(&dir, &["status"], 0)?;
    step(&dir, &["report"], 0)?;

    say(&format!("Done in {:.1}s.", started.elapsed().as_secs_f64()));
    if a.keep {
        let kept = tmp.keep();
        say(&format!(
            "The repository is kept: cd {} and try `git epic status`, `git epic logs db`, `git log --graph epic/shop`.",
            kept.join("shop").display()
        ));
    } else {
        say("The repository is removed; run `git epic demo --keep` to look around in it.");
    }
    Ok(0)
}
