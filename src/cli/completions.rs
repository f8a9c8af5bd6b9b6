use std::io::Write;

use clap::{Args, ValueEnum};

use super::Ctx;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: ShellName,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ShellName {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

pub fn run(_ctx: &Ctx, a: CompletionsArgs) -> anyhow::Result<i32> {
    use clap_complete::Shell;
    let shell = match a.shell {
        ShellName::Bash => Shell::Bash,
        ShellName::Zsh => Shell::Zsh,
        ShellName::Fish => Shell::Fish,
        ShellName::Powershell => Shell::PowerShell,
        ShellName::Elvish => Shell::Elvish,
    };
    std::io::stdout().write_all(&super::docgen::completion(shell))?;
    Ok(0)
}
