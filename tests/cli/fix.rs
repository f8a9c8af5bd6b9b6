//! Automatic fix rounds: a refused ticket goes back to an agent with only what matters.

use git_epic::model::state::{State, Store, TicketNote};

use crate::support::{agent, Repo};

fn note(r: &Repo, id: &str) -> TicketNote {
    let repo = gix::open(r.path()).unwrap();
    Store::new(&repo, "e").get(id).unwrap().unwrap()
}

/// A test that fails on a "broken" ticket file, among lines of noise.
fn noisy_test(r: &Repo) {
    r.git(&[
        "config",
        "epic.test",
        "echo 'Compiling the project'; echo 'warning: something unrelated'; for f in *.txt; do if grep -q broken \"$f\"; then echo \"error: $f is broken\"; echo 'note: it was fine yesterday'; exit 1; fi; done; echo 'all good'",
    ]);
}

#[test]
fn a_fix_round_turns_a_red_gate_green_and_lands_without_a_human() {
    let r = Repo::with_agent("fixer.sh");
    noisy_test(&r);
    r.epic(&["ticket", "add", "A", "--title", "A"]).ok();
    r.epic(&["ticket", "add", "B", "--title", "B", "--deps", "A"])
        .ok();
    let fake = r.fake_dir();
    let out = r
        .epic_env(&["wave", "start", "--all", "--auto-merge"], &[])
        .ok();
    assert!(
        out.stderr.contains("A: not merged:") && out.stderr.contains("fix round 1"),
        "{}",
        out.stderr
    );
    for id in ["A", "B"] {
        let n = note(&r, id);
        assert_eq!(n.state, State::Merged, "{id}");
        assert_eq!(n.fix_rounds, 1, "{id}");
        assert!(n.request.is_none(), "served");
    }
    assert_eq!(r.git(&["show", "epic/e:A.txt"]), "fixed");
    // The fix prompt: the ticket, then the failing line, without the noise around it.
    let prompt = std::fs::read_to_string(fake.join("prompt.A.2")).unwrap();
    assert!(prompt.starts_with(&std::fs::read_to_string(fake.join("prompt.A.1")).unwrap()));
    assert!(
        prompt.contains("## Fix requested by git-epic (round 1)"),
        "{prompt}"
    );
    assert!(prompt.contains("error: A.txt is broken"), "{prompt}");
    assert!(prompt.contains("git merge epic/e"), "{prompt}");
    let lines = prompt
        .split("The failing lines:\n\n```\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap_or_default();
    assert_eq!(lines, "error: A.txt is broken\n", "{prompt}");
    let row = r.row("A");
    assert_eq!(row["fix_rounds"], 1);
    let table = r.epic(&["status"]).ok().stdout;
    assert!(table.contains("  RL  FIX  AHEAD"), "{table}");
}

#[test]
fn fix_rounds_stop_at_max_fix_rounds_and_the_ticket_waits_for_a_human() {
    let r = Repo::with_agent("commit.sh");
    r.git(&["config", "epic.test", "echo 'error: never green'; false"]);
    r.git(&["config", "epic.maxFixRounds", "1"]);
    r.epic(&["ticket", "add", "A", "--title", "A"]).ok();
    r.epic_env(&["wave", "start", "--all", "--auto-merge"], &[])
        .code(1);
    let n = note(&r, "A");
    assert_eq!(n.state, State::Failed);
    assert_eq!(n.fix_rounds, 1);
    assert!(n.reason.unwrap().starts_with("merged result red"));
    assert_eq!(n.failed_lines, ["error: never green"]);
    assert_eq!(r.log("A").matches("ticket A attempt").count(), 2);
}

#[test]
fn a_fix_runs_on_the_fix_agent_and_merge_sends_back_for_the_next_run() {
    let r = Repo::with_agent("fixer.sh");
    noisy_test(&r);
    // The cheap model: a profile of its own, which writes a marker of its run.
    r.git(&["config", "epicAgent.cheap.command", &agent("fixer.sh")]);
    r.git(&["config", "epic.fixAgent", "cheap"]);
    r.epic(&["ticket", "add", "A", "--title", "A"]).ok();
    r.epic_env(&["run", "A"], &[]).ok();
    let out = r.epic(&["merge", "A"]).code(1);
    assert!(
        out.stderr
            .contains("A: sent back to its agent for fix round 1 of 2"),
        "{}",
        out.stderr
    );
    assert_eq!(r.row("A")["state"], "pending");
    assert!(r.row("A")["reason"]
        .as_str()
        .unwrap()
        .starts_with("fix round 1 of 2: rejected by the merged-result gate"));
    r.epic_env(&["run", "A"], &[]).ok();
    let log = r.log("A");
    let second = log.rsplit("ticket A attempt").next().unwrap();
    assert!(second.contains("fixer.sh"), "{second}");
    r.epic(&["merge", "A"]).ok();
    assert_eq!(r.row("A")["state"], "merged");
}

#[test]
fn an_unknown_fix_agent_is_refused() {
    let r = Repo::with_agent("commit.sh");
    r.git(&["config", "epic.fixAgent", "nope"]);
    r.epic(&["ticket", "add", "A"]).ok();
    let out = r.epic_env(&["wave", "start"], &[]).code(2);
    assert!(
        out.stderr.contains("epic.fixAgent is `nope`"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_conflict_goes_back_with_its_markers_and_the_epics_side_and_lands_resolved() {
    let r = Repo::with_agent("resolver.sh");
    r.epic(&["ticket", "add", "X", "--title", "X"]).ok();
    r.epic(&["ticket", "add", "Y", "--title", "Y"]).ok();
    let fake = r.fake_dir();
    r.epic_env(&["wave", "start", "--all", "--auto-merge", "-j", "2"], &[])
        .ok();
    assert_eq!(r.row("X")["state"], "merged");
    assert_eq!(r.row("Y")["state"], "merged");
    let readme = r.git(&["show", "epic/e:README.md"]);
    assert!(
        readme.contains("X was here") && readme.contains("Y was here"),
        "{readme}"
    );
    // The one that came second got the conflict: its markers and what the epic changed.
    let second = ["X", "Y"]
        .into_iter()
        .find(|id| fake.join(format!("prompt.{id}.2")).exists())
        .expect("one ticket was sent back");
    let first = if second == "X" { "Y" } else { "X" };
    let prompt = std::fs::read_to_string(fake.join(format!("prompt.{second}.2"))).unwrap();
    assert!(
        prompt.contains("conflicts with the epic (epic/e) in README.md"),
        "{prompt}"
    );
    assert!(prompt.contains("<<<<<<<"), "{prompt}");
    assert!(prompt.contains(&format!("+{first} was here")), "{prompt}");
    assert_eq!(note(&r, second).fix_rounds, 1);
}
