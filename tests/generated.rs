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

/// `git epic <TAB>` in bash goes through git's own completion, which calls `_git_epic`.
#[test]
fn bash_completes_through_gits_completion() {
    let git_completion = [
        "/usr/share/bash-completion/completions/git",
        "/etc/bash_completion.d/git",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists());
    let Some(git_completion) = git_completion else {
        eprintln!("skipped: git's bash completion script is not installed here");
        return;
    };
    let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/git-epic.bash");
    let script = format!(
        r#"source {git_completion}
source {ours}
complete_line() {{
  COMP_LINE="$1"; COMP_POINT=${{#COMP_LINE}}
  read -ra COMP_WORDS <<< "$1"
  [[ "$1" == *" " ]] && COMP_WORDS+=("")
  COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
  COMPREPLY=()
  __git_wrap__git_main 2>/dev/null
  echo "${{COMPREPLY[*]}}"
}}
complete_line "git epic st"
complete_line "git epic ticket a"
complete_line "git epic status --j"
complete_line "git epic wave "
complete_line "git epic merge --no-"
"#,
        ours = ours.display()
    );
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        5,
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines[0], "status");
    assert_eq!(lines[1], "add");
    assert_eq!(lines[2], "--json");
    assert!(lines[3].split(' ').any(|w| w == "start"), "{}", lines[3]);
    assert!(
        lines[4].contains("--no-test") && lines[4].contains("--no-scope-check"),
        "{}",
        lines[4]
    );
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
