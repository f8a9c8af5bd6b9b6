use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::Ctx;

#[derive(Debug, Args)]
pub struct InstallManArgs {
    /// Install into PREFIX/share/man/man1 (default: the directory above the one holding this
    /// git-epic binary, e.g. ~/.cargo, where man finds pages of programs on PATH)
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Option<PathBuf>,
}

/// Where man finds the pages of a program on PATH: `<prefix>/share/man/man1`, `<prefix>`
/// being the directory above the binary's `bin` (man derives its search path from PATH).
fn beside_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?.canonicalize().ok()?;
    let bin = exe.parent()?;
    (bin.file_name()? == "bin").then(|| bin.parent().map(|p| p.join("share/man/man1")))?
}

/// Put the man pages beside an installed git-epic (`~/.cargo/bin/git-epic`: in
/// `~/.cargo/share/man/man1`) when they are missing or of another version, so that
/// `git epic --help` (which git turns into `man git-epic`) works after `cargo install` and any
/// first git-epic command, with no step of its own. Silent: a directory that cannot be
/// written leaves `git epic install-man --prefix` to the user. A binary outside a `bin`
/// directory (a build in `target/`) installs nothing.
pub fn ensure_installed() {
    let Some(dir) = beside_binary() else { return };
    let root = dir.join("git-epic.1");
    let version = format!("\n.SH VERSION\nv{}\n", env!("CARGO_PKG_VERSION"));
    if std::fs::read_to_string(&root).is_ok_and(|t| t.contains(&version)) {
        return;
    }
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let pages = super::docgen::man_pages();
    // The root page last: it is what says the pages are in place.
    for (name, text) in pages.iter().rev() {
        if std::fs::write(dir.join(name), text).is_err() {
            return;
        }
    }
}

pub fn run(ctx: &Ctx, a: InstallManArgs) -> anyhow::Result<i32> {
    let prefix = match a.prefix {
        Some(p) => p,
        None => {
            let exe = std::env::current_exe()?.canonicalize()?;
            exe.parent()
                .and_then(|bin| bin.parent())
                .map(|p| p.to_owned())
                .context("cannot tell where git-epic is installed; pass --prefix")?
        }
    };
    let dir = prefix.join("share/man/man1");
    std::fs::create_dir_all(&dir).with_context(|| format!("could not create {}", dir.display()))?;
    let pages = super::docgen::man_pages();
    for (name, text) in &pages {
        let path = dir.join(name);
        std::fs::write(&path, text)
            .with_context(|| format!("could not write {}", path.display()))?;
    }
    ctx.out.result(format!(
        "Installed {} man pages in {}.",
        pages.len(),
        dir.display()
    ));
    ctx.out
        .info("`git help epic` and `man git-epic` find them when git-epic's directory is on PATH.");
    Ok(0)
}
