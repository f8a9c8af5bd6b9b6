//! `git epic demo`: a throw-away repository with a small project and an epic of six tickets
//! in three waves, and the simulated agent the demo runs (git-epic itself, in a hidden mode).

use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, Context};

use crate::infra::error::Result;
use crate::infra::gitx;

/// The demo's tickets: id, title, deps, scope, body.
pub const TICKETS: &[(&str, &str, &str, &str)] = &[
    ("api", "HTTP routes for the shop", "", "src/api/**"),
    ("db", "Storage for products and orders", "", "src/db/**"),
    ("ui", "Product list page", "", "src/ui/**"),
    ("auth", "Log in before ordering", "api,db", "src/auth/**"),
    ("cart", "Shopping cart", "db,ui", "src/cart/**"),
    (
        "checkout",
        "Pay for the cart",
        "auth,cart",
        "src/checkout/**",
    ),
];

/// The ticket whose simulated agent hits a rate limit once.
pub const RATE_LIMITED: &str = "db";

/// Write the small project and commit it (the repository gets a local identity: it is
/// throw-away, and the user's machine may have none).
pub fn scaffold(dir: &Path) -> Result<()> {
    gitx::git(dir, &["init", "--quiet", "--initial-branch=main"])?;
    gitx::git(dir, &["config", "user.name", "git-epic demo"])?;
    gitx::git(dir, &["config", "user.email", "demo@git-epic.invalid"])?;
    let files = [
        (
            "README.md",
            "# shop\n\nA tiny shop, built by six simulated agents in parallel.\n",
        ),
        (
            "CONTEXT.md",
            "- Code lives in src/<area>/.\n- Keep each ticket inside its own folder.\n",
        ),
        ("src/main.txt", "shop: entry point\n"),
        (".gitignore", "/lint.log\n"),
    ];
    for (rel, text) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("relative path has a parent"))?;
        std::fs::write(&p, text).with_context(|| format!("could not write {}", p.display()))?;
    }
    gitx::git(dir, &["add", "--all"])?;
    gitx::git(dir, &["commit", "--quiet", "-m", "A small project"])?;
    Ok(())
}

/// The simulated agent: prints what it does, edits files of its ticket, and commits; the
/// rate-limited ticket first fails once with Claude Code's usage-limit line.
pub fn simulate_agent() -> Result<i32> {
    let ticket = std::env::var("EPIC_TICKET")
        .map_err(|_| anyhow!("EPIC_TICKET is not set: this mode is for git epic demo"))?;
    let here = std::env::current_dir()?;
    if ticket == RATE_LIMITED {
        // In the worktree's own git dir: the sandbox lets the agent write there.
        let own = gitx::git(&here, &["rev-parse", "--git-dir"])?;
        let marker = here.join(own).join("epic-demo-rate-limited");
        if !marker.exists() {
            std::fs::write(&marker, "")?;
            let reset = crate::model::state::now() as u64 + 1;
            println!("Claude AI usage limit reached|{reset}");
            return Ok(1);
        }
    }
    let say = |s: &str| {
        println!("{s}");
        std::thread::sleep(Duration::from_millis(
            150 + (ticket.len() as u64 * 37) % 200,
        ));
    };
    let prompt = std::env::args().next_back().unwrap_or_default();
    if prompt.contains("Fix requested by git-epic") {
        // Sent back by the scope gate: put back what was outside the scope.
        say("reading the fix request: src/cart/cart.txt is outside my scope");
        let epic = std::env::var("EPIC_BASE").unwrap_or_else(|_| "epic/shop".into());
        gitx::git(&here, &["checkout", &epic, "--", "src/cart/cart.txt"])?;
        gitx::git(
            &here,
            &[
                "commit",
                "--quiet",
                "-m",
                &format!("{ticket}: keep to my scope"),
            ],
        )?;
        println!("committed the fix for {ticket}");
        return Ok(0);
    }
    say(&format!("reading the ticket and CONTEXT.md for {ticket}"));
    let dir = here.join("src").join(&ticket);
    std::fs::create_dir_all(&dir)?;
    say(&format!("writing src/{ticket}/{ticket}.txt"));
    std::fs::write(
        dir.join(format!("{ticket}.txt")),
        format!("{ticket}: done by a simulated agent\n"),
    )?;
    if ticket == "checkout" {
        // Steps outside its scope on purpose: the scope gate will refuse the merge.
        say("also touching src/cart/cart.txt (outside my scope)");
        std::fs::write(
            here.join("src/cart/cart.txt"),
            "cart: changed by checkout\n",
        )?;
    }
    say("running the tests: all green");
    gitx::git(&here, &["add", "--all"])?;
    gitx::git(
        &here,
        &[
            "commit",
            "--quiet",
            "-m",
            &format!("{ticket}: simulated work"),
        ],
    )?;
    println!("committed {ticket}");
    Ok(0)
}
