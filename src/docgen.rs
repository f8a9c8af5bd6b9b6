//! Man pages and shell completions, generated from the clap definition. `man/` and
//! `completions/` hold the generated files; a test fails when they are stale
//! (`GIT_EPIC_BLESS=1 cargo test --test generated` writes them again).

use clap::Command;
use clap_complete::Shell;

/// Sections every page ends with.
const EXIT_STATUS: &str = ".SH \"EXIT STATUS\"\n.TP\n0\nsuccess\n.TP\n1\nthe work ran but something failed (a ticket failed, a conflict, a red test)\n.TP\n2\nbad input or usage: the message names what and where, and nothing was changed\n";

const SEE_ALSO: &str =
    ".SH \"SEE ALSO\"\n\\fBgit\\-epic\\fR(1), \\fBgit\\-worktree\\fR(1), \\fBgit\\-notes\\fR(1)\n";

fn roff_escape(s: &str) -> String {
    s.replace('\\', "\\e").replace('-', "\\-")
}

/// The `Examples:` part of a command's after-help, as a roff EXAMPLES section.
fn examples(cmd: &Command) -> String {
    let text = cmd
        .get_after_help()
        .map(|s| s.to_string())
        .unwrap_or_default();
    let mut out = String::new();
    let (notes, examples) = match text.split_once("Examples:\n") {
        Some((notes, ex)) => (notes.trim(), ex),
        None => (text.trim(), ""),
    };
    if !notes.is_empty() && !notes.starts_with("Exit status") {
        out.push_str(&format!(".SH NOTES\n{}\n", roff_escape(notes)));
    }
    if !examples.trim().is_empty() {
        out.push_str(".SH EXAMPLES\n.nf\n");
        for line in examples.lines() {
            out.push_str(&roff_escape(line.trim_start()));
            out.push('\n');
        }
        out.push_str(".fi\n");
    }
    out
}

fn render(cmd: Command, title: &str) -> Vec<u8> {
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
    buf.extend_from_slice(examples(&cmd).as_bytes());
    buf.extend_from_slice(EXIT_STATUS.as_bytes());
    buf.extend_from_slice(SEE_ALSO.as_bytes());
    man.render_version_section(&mut buf)
        .expect("writing to memory");
    buf
}

/// Every man page: `git-epic.1` and one per subcommand (`git-epic-wave-start.1`, ...).
pub fn man_pages() -> Vec<(String, Vec<u8>)> {
    let mut root = crate::cli::command();
    root.build();
    let mut pages = vec![(
        "git-epic.1".to_owned(),
        render(root.clone().name("git-epic"), "GIT-EPIC"),
    )];
    fn walk(cmd: &Command, prefix: &str, pages: &mut Vec<(String, Vec<u8>)>) {
        for sub in cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        {
            let name = format!("{prefix}-{}", sub.get_name());
            let display = name.replacen("git-epic", "git epic", 1).replace('-', " ");
            let page = sub.clone().name(name.clone()).bin_name(display);
            pages.push((format!("{name}.1"), render(page, &name.to_uppercase())));
            walk(sub, &name, pages);
        }
    }
    walk(&root, "git-epic", &mut pages);
    pages
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
# git's completion (git-completion.bash) calls _git_epic for `git epic <TAB>`.
_git_epic() {
    local i cword=$COMP_CWORD
    local -a words=("git-epic")
    for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
        if [[ ${COMP_WORDS[i]} == epic ]]; then
            words+=("${COMP_WORDS[@]:i+1}")
            cword=$((COMP_CWORD - i))
            break
        fi
    done
    COMP_WORDS=("${words[@]}")
    COMP_CWORD=$cword
    COMP_LINE="${COMP_WORDS[*]}"
    COMP_POINT=${#COMP_LINE}
    _git__epic git-epic "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
}
"#;

/// The completion script for `shell`.
pub fn completion(shell: Shell) -> Vec<u8> {
    let mut cmd = crate::cli::command().bin_name("git-epic");
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
