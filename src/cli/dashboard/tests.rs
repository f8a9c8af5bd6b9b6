//! Every screen of the dashboard drawn on ratatui's test backend, as insta snapshots.

use std::collections::BTreeMap;

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::app::{App, DiffView, Pane};
use super::view;
use crate::model::agents::Tokens;
use crate::model::state::State;
use crate::ops::cooldown::Cooldown;
use crate::ops::needs::{Need, NeedsYou};
use crate::ops::status::{Row, StatusReport, Totals};

const NOW: f64 = 1_800_000_000.0;

fn row(id: &str, wave: usize, state: State) -> Row {
    Row {
        id: id.into(),
        title: format!("ticket {id}"),
        wave,
        state,
        attempts: u32::from(state != State::Pending && state != State::Blocked),
        runs: 1,
        retries: 0,
        rate_limit_waits: 0,
        rate_limit_left_s: None,
        ahead: None,
        behind: None,
        dirty: None,
        elapsed_s: (state != State::Pending && state != State::Blocked).then_some(95.0),
        last_line: None,
        deps: if wave > 0 { vec!["A".into()] } else { vec![] },
        branch: None,
        worktree: None,
        reason: None,
        pr_url: None,
        pr_state: None,
        pr_ci: None,
        tokens: Tokens {
            input: 12_000,
            output: 800,
            ..Tokens::default()
        },
        cost_usd: 0.42,
        fix_rounds: 0,
        review_rounds: 0,
        approved: false,
        review: None,
        host: Some("laptop".into()),
        machine: None,
        needs_you: None,
        held: state == State::Running,
        activity: None,
        idle_s: None,
    }
}

fn report() -> StatusReport {
    let mut a = row("A", 0, State::Done);
    a.review = Some(crate::ops::status::Review::Awaiting);
    a.needs_you = Some(NeedsYou {
        reason: Need::Review,
        why: "done, waiting for your review (epic.requireReview)".into(),
        command: "git epic review A --approve".into(),
    });
    let mut b = row("B", 0, State::Running);
    b.activity = Some("editing src/port/mod.rs".into());
    b.idle_s = Some(12.0);
    let mut c = row("C", 0, State::Failed);
    c.fix_rounds = 2;
    c.needs_you = Some(NeedsYou {
        reason: Need::Failed,
        why: "merge rejected by the test gate (after 2 fix rounds)".into(),
        command: "git epic run C".into(),
    });
    c.pr_url = Some("https://github.com/o/r/pull/12".into());
    c.pr_ci = Some("failing".into());
    let d = row("D", 1, State::Blocked);
    let tickets = vec![a, b, c, d];
    let mut states: BTreeMap<&'static str, usize> =
        State::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    for t in &tickets {
        *states.get_mut(t.state.as_str()).unwrap() += 1;
    }
    StatusReport {
        epic: "shop".into(),
        branch: "epic/shop".into(),
        base: "main".into(),
        remote: None,
        host: "laptop".into(),
        machine: None,
        totals: Totals {
            tickets: 4,
            states,
            attempts: 3,
            runs: 3,
            retries: 0,
            rate_limit_waits: 0,
            fix_rounds: 2,
            review_rounds: 0,
            agent_s: 285.0,
            dirty: 0,
            needs_you: 2,
            awaiting_review: 1,
            tokens: Tokens {
                input: 36_000,
                output: 2_400,
                ..Tokens::default()
            },
            cost_usd: 1.26,
            max_cost: Some(5.0),
            cost_left: Some(3.74),
            started_at: Some(NOW - 754.0),
        },
        tickets,
        local_only: vec![],
        cooldowns: vec![Cooldown {
            profile: "claude".into(),
            until: NOW + 1500.0,
            left_s: 1500.0,
            source: "rate limit of ticket B".into(),
            ticket: Some("B".into()),
            host: None,
            said: None,
            reset_named: true,
            shared_account: false,
            tickets: vec!["B".into()],
        }],
        problems: vec![],
    }
}

fn app() -> App {
    let mut app = App::new(report(), 4);
    app.now = NOW;
    app.log = vec![
        "[session s1 · claude-opus-5-5 · claude 2.1.332]".into(),
        "I will write the port.".into(),
        "→ Write: src/port/mod.rs".into(),
        "  ⎿ File created successfully".into(),
    ];
    app
}

fn screen(app: &mut App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| view::draw(f, app)).unwrap();
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_owned())
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn main_screen_needs_you_first_then_tickets_by_wave_and_the_log() {
    let mut app = app();
    let s = screen(&mut app, 130, 36);
    assert!(s.find("needs you (2)").unwrap() < s.find("┌ tickets").unwrap());
    insta::assert_snapshot!("dashboard_main", s);
}

#[test]
fn the_selection_follows_the_keys_and_the_first_ticket_that_needs_you() {
    let mut app = app();
    assert_eq!(app.selected_id().as_deref(), Some("A"));
    app.next_needing();
    assert_eq!(app.selected_id().as_deref(), Some("C"));
    app.move_by(1);
    assert_eq!(app.selected_id().as_deref(), Some("D"));
    app.move_by(5);
    assert_eq!(app.selected_id().as_deref(), Some("D"));
    // Table rows: wave 0 heading, A, B, C, wave 1 heading, D.
    screen(&mut app, 130, 36);
    assert_eq!(app.row_of, vec![1, 2, 3, 5]);
    assert_eq!(app.ticket_at_row(2), Some(1));
    assert_eq!(app.ticket_at_row(4), None);
}

#[test]
fn diff_screen_shows_the_change_and_its_scope_check() {
    let mut app = app();
    app.pane = Pane::Diff;
    app.diff = Some(DiffView {
        id: "A".into(),
        stat: " src/port/mod.rs | 2 ++\n README.md | 1 +\n 2 files changed, 3 insertions(+)".into(),
        patch: "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1 +1,2 @@\n # shop\n+the port".into(),
        outside_scope: vec!["README.md".into()],
        forbidden: vec![],
    });
    insta::assert_snapshot!("dashboard_diff", screen(&mut app, 110, 34));
}

#[test]
fn graph_screen_shows_waves_dependencies_and_states() {
    let mut app = app();
    app.pane = Pane::Graph;
    insta::assert_snapshot!("dashboard_graph", screen(&mut app, 110, 30));
}

#[test]
fn help_screen_lists_every_key() {
    let mut app = app();
    app.help = true;
    let s = screen(&mut app, 120, 34);
    for (k, ..) in view::KEYS {
        assert!(s.contains(k), "{k} in\n{s}");
    }
    insta::assert_snapshot!("dashboard_help", s);
}

#[test]
fn a_small_terminal_still_draws_and_a_raw_log_says_so() {
    let mut app = app();
    app.raw = true;
    app.message = Some("A approved at 1a2b3c4".into());
    insta::assert_snapshot!("dashboard_small_raw", screen(&mut app, 72, 24));
}
