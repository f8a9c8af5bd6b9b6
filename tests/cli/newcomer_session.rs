//! A newcomer's first hour replayed (issue 26): a repository of a few hundred files, three
//! tickets in two waves run by a scripted agent, through plan, a premature merge, a typo,
//! the waves, status, review, merge, report and logs. Every human-readable output is an
//! insta snapshot (normalised as in `snapshots.rs`): what a newcomer reads stays as it is
//! unless a change means it to.

use crate::support::{normalize, Repo, Run};

fn snap(name: &str, what: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(what);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// `git epic <args>` as the newcomer saw it: stdout, stderr and the exit code, normalised.
#[track_caller]
fn step(r: &Repo, name: &str, args: &[&str], stdin: Option<&str>) -> Run {
    let out = match stdin {
        Some(text) => r.epic_stdin(args, text),
        None => r.epic_env(args, &[("COLUMNS", "120")]),
    };
    let mut text = out.stdout.clone();
    if !out.stderr.is_empty() {
        text.push_str("----- stderr -----\n");
        text.push_str(&out.stderr);
    }
    if out.code != 0 {
        text.push_str(&format!("----- exit {} -----\n", out.code));
    }
    snap(
        &format!("newcomer_{name}"),
        &format!("git epic {}", args.join(" ")),
        &normalize(&text, r),
    );
    out
}

#[test]
fn a_newcomers_first_hour_reads_the_same() {
    let r = Repo::new();
    // A real project's size: a few hundred files in a few directories.
    for dir in ["src/db", "src/ui", "src/api", "docs", "tests"] {
        for i in 0..60 {
            r.write(&format!("{dir}/f{i:02}.txt"), &format!("{dir} {i}\n"));
        }
    }
    r.git(&["add", "."]);
    r.git(&["commit", "-q", "-m", "a project"]);
    step(&r, "01_init", &["init", "kanban"], None).ok();
    r.git(&["config", "epic.agent", &crate::support::agent("commit.sh")]);
    r.git(&["config", "epic.stagger", "0"]);
    r.git(&["config", "epic.retryWait", "0"]);
    std::fs::create_dir_all(r.fake_dir()).unwrap();
    step(
        &r,
        "02_ticket_add",
        &[
            "ticket",
            "add",
            "db",
            "--title",
            "Database schema",
            "--scope",
            "src/db/**",
            "--scope",
            "db.txt",
        ],
        Some("## Goal\nThe board's tables.\n"),
    )
    .ok();
    r.epic_stdin(
        &[
            "ticket",
            "add",
            "ui",
            "--title",
            "Kanban board UI",
            "--deps",
            "db",
            "--scope",
            "src/ui/**",
            "--scope",
            "ui.txt",
        ],
        "## Goal\nThe board.\n",
    )
    .ok();
    r.epic_stdin(
        &[
            "ticket",
            "add",
            "docs",
            "--title",
            "Document the board",
            "--scope",
            "docs/**",
            "--scope",
            "docs.txt",
        ],
        "## Goal\nHow to use it.\n",
    )
    .ok();
    step(&r, "03_plan", &["plan"], None).ok();
    step(&r, "04_merge_too_early", &["merge", "--wave", "0"], None).code(1);
    step(&r, "05_typo", &["logs", "dbb"], None).code(2);
    step(&r, "06_wave_0", &["wave", "start", "-j", "1"], None).ok();
    step(&r, "07_status", &["status"], None).ok();
    step(&r, "08_logs", &["logs", "db"], None).ok();
    step(&r, "09_merge_wave_0", &["merge", "--wave", "0"], None).ok();
    step(&r, "10_wave_1", &["wave", "start", "-j", "1"], None).ok();
    step(&r, "11_merge_ui", &["merge", "ui"], None).ok();
    step(&r, "12_report", &["report"], None).ok();
    step(&r, "13_status_done", &["status"], None).ok();
}
