//! `man/` and `completions/` are generated from the clap definition: this test fails when
//! they are stale. `GIT_EPIC_BLESS=1 cargo test --test generated` writes them again.

use std::path::Path;

fn check(dir: &str, files: Vec<(String, Vec<u8>)>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let bless = std::env::var_os("GIT_EPIC_BLESS").is_some();
    if bless {
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
    }
    let mut stale = Vec::new();
    for (name, text) in &files {
        let path = root.join(name);
        if bless {
            std::fs::write(&path, text).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(text.as_slice()) {
            stale.push(name.clone());
        }
    }
    let on_disk: Vec<String> = std::fs::read_dir(&root)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    for extra in on_disk
        .iter()
        .filter(|f| !files.iter().any(|(n, _)| n == *f))
    {
        stale.push(format!("{extra} (no longer generated)"));
    }
    assert!(
        stale.is_empty(),
        "{dir}/ is stale: {}. Run `GIT_EPIC_BLESS=1 cargo test --test generated` and commit the result.",
        stale.join(", ")
    );
}

#[test]
fn man_pages_are_fresh() {
    let pages = git_epic::docgen::man_pages();
    let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "git-epic.1",
        "git-epic-init.1",
        "git-epic-ticket.1",
        "git-epic-wave.1",
        "git-epic-wave-start.1",
        "git-epic-ticket-add.1",
        "git-epic-status.1",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    assert!(
        !names.iter().any(|n| n.contains("simulate")),
        "hidden commands have no page"
    );
    let root = String::from_utf8_lossy(&pages[0].1);
    assert!(
        root.contains("EXIT STATUS") && root.contains("git\\-epic\\-status"),
        "{root}"
    );
    for (name, page) in &pages {
        let page = String::from_utf8_lossy(page);
        for section in [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "OPTIONS",
            "\"EXIT STATUS\"",
        ] {
            assert!(
                page.contains(&format!(".SH {section}\n")),
                "{name} has no {section}"
            );
        }
        // every page it names exists
        let plain = page
            .replace("\\fB", "")
            .replace("\\fR", "")
            .replace("\\fI", "")
            .replace("\\-", "-");
        for part in plain.split("git-epic").skip(1) {
            let rest: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            if part[rest.len()..].starts_with("(1)") {
                let target = format!("git-epic{rest}.1");
                assert!(names.contains(&target.as_str()), "{name} names {target}");
            }
        }
    }
    // the examples of a command's after-help, and of its subcommands on a group's page
    for name in [
        "git-epic.1",
        "git-epic-init.1",
        "git-epic-status.1",
        "git-epic-ticket.1",
        "git-epic-ticket-add.1",
        "git-epic-wave.1",
        "git-epic-wave-start.1",
        "git-epic-merge.1",
    ] {
        let page = &pages.iter().find(|(n, _)| n == name).unwrap().1;
        assert!(
            String::from_utf8_lossy(page).contains(".SH EXAMPLES\n.nf\ngit epic "),
            "{name} has no examples"
        );
    }
    check("man", pages);
}

#[test]
fn completions_are_fresh() {
    let files = git_epic::docgen::SHELLS
        .iter()
        .map(|(shell, name)| ((*name).to_owned(), git_epic::docgen::completion(*shell)))
        .collect();
    check("completions", files);
}

/// `git epic completions <shell>` prints what `completions/` holds.
#[test]
fn the_completions_command_prints_the_generated_script() {
    for (shell, file) in git_epic::docgen::SHELLS {
        let name = shell.to_string().to_lowercase();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_git-epic"))
            .args(["completions", &name])
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}");
        assert!(
            out.stdout == git_epic::docgen::completion(shell),
            "git epic completions {name} differs from completions/{file}"
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("propagate"), "{name}");
        assert!(
            !text.contains("simulate-agent"),
            "{name} offers a hidden command"
        );
    }
}

/// Completions come from a copy of the clap definition without its hidden parts: every
/// visible command in it must read exactly like the real one.
#[test]
fn the_completion_command_is_the_cli_without_hidden_parts() {
    fn walk(real: &mut clap::Command, copy: &mut clap::Command, path: &str) {
        assert_eq!(
            real.render_long_help().to_string(),
            copy.render_long_help().to_string(),
            "{path}"
        );
        let names: Vec<String> = real
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| s.get_name().to_owned())
            .collect();
        let copied: Vec<String> = copy
            .get_subcommands()
            .map(|s| s.get_name().to_owned())
            .collect();
        assert_eq!(names, copied, "{path}");
        for name in names {
            let mut r = real.find_subcommand(&name).unwrap().clone();
            let mut c = copy.find_subcommand(&name).unwrap().clone();
            walk(&mut r, &mut c, &format!("{path} {name}"));
        }
    }
    let mut real = git_epic::cli::command().bin_name("git-epic");
    real.build();
    let mut copy = git_epic::docgen::completion_command();
    copy.build();
    walk(&mut real, &mut copy, "git-epic");
}

/// git's own bash completion script, wherever this system keeps it.
fn gits_bash_completion() -> Option<std::path::PathBuf> {
    let mut candidates: Vec<std::path::PathBuf> = Vec::new();
    if let Some(p) = std::env::var_os("GIT_COMPLETION_BASH") {
        candidates.push(p.into());
    }
    // the prefix git was installed under: PREFIX/libexec/git-core
    let exec_path = std::process::Command::new("git")
        .arg("--exec-path")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let mut prefixes = vec!["/usr".to_owned(), "/usr/local".to_owned()];
    if let Some(prefix) = exec_path
        .as_deref()
        .and_then(|p| Path::new(p).parent()?.parent())
    {
        prefixes.insert(0, prefix.display().to_string());
    }
    for prefix in &prefixes {
        for rel in [
            "share/bash-completion/completions/git",
            "share/git-core/contrib/completion/git-completion.bash",
            "share/git/contrib/completion/git-completion.bash",
            "share/git/completion/git-completion.bash",
            "etc/bash_completion.d/git-completion.bash",
        ] {
            candidates.push(Path::new(prefix).join(rel));
        }
    }
    for p in [
        "/etc/bash_completion.d/git",
        "/etc/bash_completion.d/git-completion.bash",
        "/usr/share/doc/git/contrib/completion/git-completion.bash",
        "/opt/homebrew/etc/bash_completion.d/git-completion.bash",
    ] {
        candidates.push(p.into());
    }
    candidates.into_iter().find(|p| p.is_file())
}

/// Runs `lines` through git's completion (`git <TAB>` calls `__git_wrap__git_main`) after
/// `setup`, and returns COMPREPLY for each line, sorted.
fn complete_through_git(setup: &str, lines: &[&str]) -> Vec<String> {
    let mut script = format!(
        r#"{setup}
complete_line() {{
  COMP_LINE="$1"; COMP_POINT=${{#COMP_LINE}}
  read -ra COMP_WORDS <<< "$1"
  [[ "$1" == *" " ]] && COMP_WORDS+=("")
  COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
  COMPREPLY=()
  __git_wrap__git_main 2>/dev/null
  printf '%s\n' "${{COMPREPLY[*]}}"
}}
"#
    );
    for line in lines {
        script.push_str(&format!("complete_line '{line}'\n"));
    }
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{script}---\n{text}");
    let replies: Vec<String> = text
        .lines()
        .map(|l| {
            let mut words: Vec<&str> = l.split_whitespace().collect();
            words.sort();
            words.join(" ")
        })
        .collect();
    assert_eq!(
        replies.len(),
        lines.len(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    replies
}

fn assert_completes(replies: &[String], lines: &[&str]) {
    let expect = |i: usize, words: &[&str]| {
        for w in words {
            assert!(
                replies[i].split(' ').any(|r| r == *w),
                "`{}<TAB>` offers `{}`, not {w}",
                lines[i],
                replies[i]
            );
        }
    };
    expect(0, &["status"]);
    assert_eq!(replies[0], "status");
    expect(1, &["add"]);
    assert_eq!(replies[1], "add");
    expect(2, &["--json"]);
    assert_eq!(replies[2], "--json");
    expect(3, &["start"]);
    expect(4, &["--no-test", "--no-scope-check"]);
    expect(
        5,
        &[
            "init",
            "ticket",
            "status",
            "wave",
            "propagate",
            "completions",
        ],
    );
    assert!(!replies[5].contains("simulate"), "{}", replies[5]);
    assert_eq!(replies[6], "status");
    expect(7, &["always", "auto", "never"]);
}

const LINES: [&str; 8] = [
    "git epic st",
    "git epic ticket a",
    "git epic status --j",
    "git epic wave ",
    "git epic merge --no-",
    "git epic ",
    "git -C epic epic st",
    "git epic wave start --color ",
];

/// `git epic <TAB>` in bash goes through git's own completion, which calls `_git_epic`.
#[test]
fn bash_completes_through_gits_completion() {
    let Some(git_completion) = gits_bash_completion() else {
        eprintln!(
            "skipped: git's bash completion script is not installed here (set GIT_COMPLETION_BASH \
             to its path, or install git's bash completion)"
        );
        return;
    };
    let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/git-epic.bash");
    let setup = format!(
        "source '{}'\nsource '{}'",
        git_completion.display(),
        ours.display()
    );
    assert_completes(&complete_through_git(&setup, &LINES), &LINES);
}

/// Installed where bash-completion looks (`~/.local/share/bash-completion/completions/git-epic`,
/// as `git epic completions --help` says), the script is loaded on the first `git epic <TAB>`.
#[test]
fn bash_completion_loads_the_script_on_demand() {
    let main = Path::new("/usr/share/bash-completion/bash_completion");
    let Some(git_completion) = gits_bash_completion().filter(|_| main.is_file()) else {
        eprintln!("skipped: bash-completion or git's bash completion is not installed here");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("completions")).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/git-epic.bash"),
        dir.path().join("completions/git-epic"),
    )
    .unwrap();
    let setup = format!(
        "export BASH_COMPLETION_USER_DIR='{}'\nsource '{}'\n\
         declare -F _git_epic >/dev/null && echo 'git-epic.bash was loaded before it was needed'\n\
         __load_completion git || source '{}'",
        dir.path().display(),
        main.display(),
        git_completion.display()
    );
    assert_completes(&complete_through_git(&setup, &LINES), &LINES);
}

/// After `git epic install-man`, `git help epic` opens git-epic(1): man finds the pages
/// from PATH (PREFIX/bin -> PREFIX/share/man).
#[test]
fn git_help_epic_opens_the_man_page_after_install_man() {
    if std::process::Command::new("man")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: man is not installed here");
        return;
    }
    let prefix = tempfile::tempdir().unwrap();
    let bin = prefix.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_git-epic"), bin.join("git-epic")).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |program: &str, args: &[&str]| {
        let out = std::process::Command::new(program)
            .args(args)
            .env("PATH", &path)
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .env("MANWIDTH", "80")
            .env_remove("MANPATH")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (ok, out) = run(bin.join("git-epic").to_str().unwrap(), &["install-man"]);
    assert!(ok, "{out}");
    let (ok, where_) = run("man", &["-w", "git-epic"]);
    assert!(
        ok && where_.trim().ends_with("share/man/man1/git-epic.1"),
        "{where_}"
    );
    let (ok, page) = run("git", &["help", "epic"]);
    assert!(
        ok && page.contains("git-epic - Run many coding agents in parallel"),
        "{page}"
    );
    let (ok, page) = run("man", &["git-epic-wave-start"]);
    assert!(ok && page.contains("EXAMPLES"), "{page}");
}

/// `insta::assert_snapshot!` of `text` as `snapshots/<name>@<suffix>.snap`.
fn snap(name: &str, suffix: &str, what: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(what);
    settings.set_snapshot_suffix(suffix);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// Every man page, and the bash completion as `git epic completions bash` prints it, are
/// insta snapshots too (in `tests/snapshots/`): `cargo insta review` shows what a change of
/// the CLI changes in them. The files in `man/` and `completions/` are still written by
/// `GIT_EPIC_BLESS=1` (the tests above check them).
#[test]
fn man_pages_and_the_bash_completion_are_snapshots() {
    for (name, page) in git_epic::docgen::man_pages() {
        let page = String::from_utf8(page).expect("a man page is UTF-8");
        snap("man", &name, &format!("man/{name}"), &page);
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_git-epic"))
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let script = String::from_utf8(out.stdout).expect("the script is UTF-8");
    snap("completions", "bash", "git epic completions bash", &script);
}

/// docs/config.md is made from the table of config keys in src/infra/keys.rs.
#[test]
fn the_config_page_is_fresh() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/config.md");
    let text = git_epic::docgen::config_page();
    if std::env::var_os("GIT_EPIC_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    assert!(
        std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()),
        "docs/config.md is stale. Run `GIT_EPIC_BLESS=1 cargo test --test generated` and commit the result."
    );
    let root = String::from_utf8_lossy(&git_epic::docgen::man_pages()[0].1).into_owned();
    for needle in [
        ".SH CONFIGURATION",
        "epic.maxParallel",
        ".SH ENVIRONMENT",
        "EPIC_TICKET",
    ] {
        assert!(
            root.contains(&needle.replace('-', "\\-")),
            "{needle} in git-epic(1)"
        );
    }
}

/// Right after `cargo install` (the binary in `<prefix>/bin`, nothing else), the first git-epic
/// command puts the man pages beside it, where man finds them through PATH: then
/// `git epic --help`, which git turns into `man git-epic`, opens git-epic(1) with no
/// `install-man` step. A binary elsewhere (a build in `target/`) writes nothing.
#[test]
fn git_epic_help_works_after_install_and_any_first_command() {
    if std::process::Command::new("man")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: man is not installed here");
        return;
    }
    let prefix = tempfile::tempdir().unwrap();
    let bin = prefix.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_git-epic"), bin.join("git-epic")).unwrap();
    let home = prefix.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |program: &str, args: &[&str]| {
        let out = std::process::Command::new(program)
            .args(args)
            .current_dir(&home)
            .env("HOME", &home)
            .env("PATH", &path)
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .env("MANWIDTH", "80")
            .env_remove("MANPATH")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (ok, _) = run("git", &["epic", "--version"]);
    assert!(ok);
    let (ok, page) = run("git", &["epic", "--help"]);
    assert!(
        ok && page.contains("git-epic - Run many coding agents in parallel")
            && page.contains("CONFIGURATION"),
        "{page}"
    );
    // The build under test lives in target/, not in a bin directory: it wrote nothing.
    let built = std::path::Path::new(env!("CARGO_BIN_EXE_git-epic"));
    assert!(!built
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("share/man/man1/git-epic.1")
        .exists());
}
