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
