//! Man pages and shell completions, generated from the clap definition. `man/` and
//! `completions/` hold the generated files; a test fails when they are stale
//! (`GIT_EPIC_BLESS=1 cargo test --test generated` writes them again).

use clap::Command;
use clap_complete::Shell;

/// Sections every page ends with.
const EXIT_STATUS: &str = ".SH \"EXIT STATUS\"\n.TP\n0\nsuccess\n.TP\n1\nthe work ran but something failed (a ticket failed, a conflict, a red test)\n.TP\n2\nbad input or usage: the message names what and where, and nothing was changed\n";

const SEE_ALSO: &str =
    ".SH \"SEE ALSO\"\n\\fBgit\\-epic\\fR(1), \\fBgit\\-worktree\\fR(1), \\fBgit\\-notes\\fR(1)\n";

/// The root page's examples: one pass through the method.
const ROOT_EXAMPLES: &str = "\
git epic demo                      # the whole flow on a throw-away repository
git epic init shop --base main
git epic ticket add 177 --title \"Create SirenTier interface\" < 177.md
git epic ticket add 178 --deps 177 < 178.md
git epic graph --format mermaid
git epic wave start                # the next wave: a worktree, a branch and an agent per ticket
git epic status --watch
git epic merge --wave 0 --cleanup
git epic propagate                 # rebase the open tickets onto the epic, lint-fix, test
git epic wave start --all --auto-merge -j 6    # or the rest of the graph in one go
git epic finish";

/// One line of text for roff: escaped, and never read as a request.
fn roff_line(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with(['.', '\'']) {
        format!("\\&{s}")
    } else {
        s
    }
}

/// A command's after-help, split in paragraphs: the lines of its `Examples:` paragraphs,
/// and the other paragraphs (the exit-status paragraph has its own section).
fn after_help(cmd: &Command) -> (Vec<String>, Vec<String>) {
    let text = cmd
        .get_after_help()
        .map(|s| s.to_string())
        .unwrap_or_default();
    let (mut examples, mut notes) = (Vec::new(), Vec::new());
    for para in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        if let Some(ex) = para.strip_prefix("Examples:") {
            examples.extend(
                ex.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned),
            );
        } else if !para.starts_with("Exit status") {
            notes.push(para.to_owned());
        }
    }
    (examples, notes)
}

/// The NOTES and EXAMPLES sections. A command with no examples of its own (`git epic wave`)
/// shows its subcommands' ones.
fn notes_and_examples(cmd: &Command, root: bool) -> String {
    let (mut examples, notes) = after_help(cmd);
    if root {
        examples = ROOT_EXAMPLES.lines().map(str::to_owned).collect();
    } else if examples.is_empty() {
        examples = cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .flat_map(|s| after_help(s).0)
            .collect();
    }
    let mut out = String::new();
    if !notes.is_empty() {
        out.push_str(".SH NOTES\n");
        let paras: Vec<String> = notes
            .iter()
            .map(|p| p.lines().map(roff_line).collect::<Vec<_>>().join("\n"))
            .collect();
        out.push_str(&paras.join("\n.PP\n"));
        out.push('\n');
    }
    if !examples.is_empty() {
        out.push_str(".SH EXAMPLES\n.nf\n");
        for line in &examples {
            out.push_str(&roff_line(line));
            out.push('\n');
        }
        out.push_str(".fi\n");
    }
    out
}

fn render(cmd: Command, title: &str, root: bool) -> Vec<u8> {
    let mut buf = Vec::new();
    let man = clap_mangen::Man::new(cmd.clone())
        .title(title)
        .section("1")
        .manual("Git Manual")
        .source("git-epic");
    man.render_title(&mut buf).expect("writing to memory");
    man.render_name_section(&mut buf)
        .expect("writing to memory");
    man.render_synopsis_section(&mut buf)
        .expect("writing to memory");
    man.render_description_section(&mut buf)
        .expect("writing to memory");
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut buf)
            .expect("writing to memory");
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(&mut buf)
            .expect("writing to memory");
    }
    buf.extend_from_slice(notes_and_examples(&cmd, root).as_bytes());
    if root {
        // Every config key and the agent's environment, from their one table.
        buf.extend_from_slice(crate::infra::keys::roff().as_bytes());
    }
    buf.extend_from_slice(EXIT_STATUS.as_bytes());
    buf.extend_from_slice(SEE_ALSO.as_bytes());
    man.render_version_section(&mut buf)
        .expect("writing to memory");
    buf
}

/// Every man page: `git-epic.1` and one per subcommand (`git-epic-wave-start.1`, ...).
pub fn man_pages() -> Vec<(String, Vec<u8>)> {
    // No page for `help` and hidden commands, so no page names one.
    let mut root = visible_only(&crate::cli::command()).disable_help_subcommand(true);
    root.build();
    let mut pages = vec![(
        "git-epic.1".to_owned(),
        render(root.clone().name("git-epic"), "GIT-EPIC", true),
    )];
    fn walk(cmd: &Command, prefix: &str, pages: &mut Vec<(String, Vec<u8>)>) {
        for sub in cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        {
            let name = format!("{prefix}-{}", sub.get_name());
            let display = name.replacen("git-epic", "git epic", 1).replace('-', " ");
            let page = sub.clone().name(name.clone()).bin_name(display);
            pages.push((
                format!("{name}.1"),
                render(page, &name.to_uppercase(), false),
            ));
            walk(sub, &name, pages);
        }
    }
    walk(&root, "git-epic", &mut pages);
    pages
}

/// docs/config.md: every config key and the agent's environment, from their one table.
pub fn config_page() -> String {
    crate::infra::keys::markdown()
}

/// The completion shells, with the file name each script gets in `completions/`.
pub const SHELLS: [(Shell, &str); 5] = [
    (Shell::Bash, "git-epic.bash"),
    (Shell::Zsh, "_git-epic"),
    (Shell::Fish, "git-epic.fish"),
    (Shell::PowerShell, "_git-epic.ps1"),
    (Shell::Elvish, "git-epic.elv"),
];

/// Git's own bash completion calls `_git_epic` for `git epic <TAB>`: hand it to clap's
/// function as if `git-epic` had been typed.
const BASH_SHIM: &str = r#"
# git's completion (git-completion.bash) calls _git_epic for `git epic <TAB>`: complete the
# words after `epic` as if `git-epic` had been typed.
_git_epic() {
    local -a _git_epic_words
    local _git_epic_cword _git_epic_i
    if [[ -n ${__git_cmd_idx-} && ${words[__git_cmd_idx]-} == epic ]]; then
        # git's own parse: skips `git -C <dir>`, `-c <key=value>` and the like
        _git_epic_words=("${words[@]:__git_cmd_idx+1}")
        _git_epic_cword=$((cword - __git_cmd_idx))
    else
        for ((_git_epic_i = 0; _git_epic_i < COMP_CWORD; _git_epic_i++)); do
            [[ ${COMP_WORDS[_git_epic_i]} == epic ]] && break
        done
        _git_epic_words=("${COMP_WORDS[@]:_git_epic_i+1}")
        _git_epic_cword=$((COMP_CWORD - _git_epic_i))
    fi
    local -a COMP_WORDS=(git-epic "${_git_epic_words[@]}")
    local COMP_CWORD=$_git_epic_cword
    # git registers its completion with -o nospace; ours wants the usual space after a word
    compopt +o nospace 2>/dev/null
    _git__epic git-epic "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
}
"#;

/// A copy of `cmd` without its hidden subcommands and arguments: clap_complete offers
/// them (e.g. `__simulate-agent` after `git epic <TAB>`). Built from the unbuilt definition,
/// so that clap adds help, version and the global arguments as usual.
fn visible_only(cmd: &Command) -> Command {
    let mut out = Command::new(cmd.get_name().to_owned())
        .args(cmd.get_arguments().filter(|a| !a.is_hide_set()).cloned())
        .groups(cmd.get_groups().cloned())
        .visible_aliases(
            cmd.get_visible_aliases()
                .map(str::to_owned)
                .collect::<Vec<_>>(),
        )
        .subcommands(
            cmd.get_subcommands()
                .filter(|s| !s.is_hide_set())
                .map(visible_only),
        );
    macro_rules! copy {
        ($($get:ident => $set:ident),* $(,)?) => {$(
            if let Some(v) = cmd.$get() {
                out = out.$set(v.to_owned());
            }
        )*};
    }
    copy!(
        get_bin_name => bin_name,
        get_display_name => display_name,
        get_version => version,
        get_long_version => long_version,
        get_about => about,
        get_long_about => long_about,
        get_before_help => before_help,
        get_before_long_help => before_long_help,
        get_after_help => after_help,
        get_after_long_help => after_long_help,
        get_overridden_usage => override_usage,
        get_subcommand_value_name => subcommand_value_name,
        get_subcommand_help_heading => subcommand_help_heading,
    );
    macro_rules! flag {
        ($($is:ident => $set:ident),* $(,)?) => {$(
            if cmd.$is() {
                out = out.$set(true);
            }
        )*};
    }
    flag!(
        is_propagate_version_set => propagate_version,
        is_disable_help_flag_set => disable_help_flag,
        is_disable_help_subcommand_set => disable_help_subcommand,
        is_subcommand_required_set => subcommand_required,
        is_arg_required_else_help_set => arg_required_else_help,
        is_allow_external_subcommands_set => allow_external_subcommands,
        is_args_conflicts_with_subcommands_set => args_conflicts_with_subcommands,
        is_subcommand_precedence_over_arg_set => subcommand_precedence_over_arg,
        is_subcommand_negates_reqs_set => subcommand_negates_reqs,
        is_allow_negative_numbers_set => allow_negative_numbers,
        is_trailing_var_arg_set => trailing_var_arg,
        is_allow_missing_positional_set => allow_missing_positional,
        is_multicall_set => multicall,
    );
    // Also true when the command has no version of its own (it may get one propagated).
    if cmd.is_disable_version_flag_set() && cmd.get_version().is_some() {
        out = out.disable_version_flag(true);
    }
    out
}

/// The command the completion scripts are generated from: the clap definition without its
/// hidden parts, named `git-epic` (the name shells complete; git's completion hands
/// `git epic ...` over to it).
pub fn completion_command() -> Command {
    visible_only(&crate::cli::command()).bin_name("git-epic")
}

/// The completion script for `shell`.
pub fn completion(shell: Shell) -> Vec<u8> {
    let mut cmd = completion_command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "git-epic", &mut buf);
    if shell == Shell::Bash {
        // clap names dispatch states after the bin name with `-` turned into `__subcmd__`
        // in some places and `__` in others; make them agree (clap issues 6421, 6386, 6529).
        let text = String::from_utf8(buf)
            .expect("clap writes UTF-8")
            .replace("git__subcmd__epic", "git__epic");
        let mut text = text;
        text.push_str(BASH_SHIM);
        buf = text.into_bytes();
    }
    buf
}
