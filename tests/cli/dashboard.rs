//! `git epic dashboard` in a real pseudo-terminal, its screen read by a terminal emulator
//! (vt100), during a flow run of stand-in agents.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, MasterPty, PtySize};

use crate::support::Repo;

/// A program in a pseudo-terminal, with the screen it draws.
pub struct Term {
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    pub screen: Arc<Mutex<(vt100::Parser, Vec<u8>)>>,
}

fn nz(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n).unwrap()
}

fn size(rows: u16, cols: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

impl Term {
    pub fn start(cmd: portable_pty::CommandBuilder, rows: u16, cols: u16) -> Term {
        let pair = native_pty_system().openpty(size(rows, cols)).unwrap();
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let screen = Arc::new(Mutex::new((
            vt100::Parser::new(nz(rows), nz(cols), 0),
            Vec::new(),
        )));
        let s = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut g = s.lock().unwrap();
                g.0.process(&buf[..n]);
                g.1.extend_from_slice(&buf[..n]);
            }
        });
        Term {
            master: pair.master,
            writer,
            child,
            screen,
        }
    }

    pub fn text(&self) -> String {
        self.screen.lock().unwrap().0.screen().contents()
    }

    pub fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let t = self.text();
            if ok(&t) {
                return t;
            }
            assert!(Instant::now() < deadline, "never saw {what} on:\n{t}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn key(&mut self, k: &str) {
        self.writer.write_all(k.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    fn resize(&self, rows: u16, cols: u16) {
        self.screen
            .lock()
            .unwrap()
            .0
            .screen_mut()
            .set_size(nz(rows), nz(cols));
        self.master.resize(size(rows, cols)).unwrap();
    }
}

fn eventually(t: &Term, what: &str, ok: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ok() {
        assert!(
            Instant::now() < deadline,
            "never: {what}, on:\n{}",
            t.text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_dashboard_follows_a_flow_run_its_keys_change_the_notes_and_q_restores_the_terminal() {
    let r = Repo::with_agent("commit.sh");
    r.git(&["config", "epic.requireReview", "true"]);
    for id in ["A", "B"] {
        r.epic(&["ticket", "add", id, "--title", id]).ok();
    }
    r.epic(&["ticket", "add", "C", "--title", "C", "--deps", "A"])
        .ok();
    let editor = r.dir.path().join("editor.sh");
    std::fs::write(&editor, "printf 'Use the Clock port.\\n' > \"$1\"\n").unwrap();
    let mut cmd = r.pty_command(&["dashboard", "--every", "0.3"]);
    cmd.env("EDITOR", format!("sh {}", editor.display()));
    let mut t = Term::start(cmd, 36, 140);
    t.wait_for("the tickets", |s| {
        s.contains("tickets") && s.contains("blocked")
    });
    let flow = r.spawn_epic(
        &["wave", "start", "--all", "--auto-merge"],
        &[("FAKE_SLEEP", "2")],
    );
    // Rows change as the agents work, then finish and wait for review.
    t.wait_for("agents running", |s| {
        s.contains("running") && s.contains("working on")
    });
    let s = t.wait_for("needs you filled", |s| s.contains("needs you (2)"));
    assert!(s.contains("[a approve · c changes]"), "{s}");
    // A is selected (the first row): approve it, as `git epic review A --approve` would.
    t.key("a");
    eventually(&t, "A approved", || r.row("A")["approved"] == true);
    t.wait_for("the approval said", |s| s.contains("A approved at"));
    // B: request changes in $EDITOR.
    t.key("j");
    t.key("c");
    eventually(&t, "changes requested of B", || {
        r.row("B")["review_rounds"] == 1
    });
    t.wait_for("the request said", |s| {
        s.contains("B: changes requested (review round 1)")
    });
    // Merge the approved A (as `git epic merge A`): its row changes, C is ready.
    t.key("k");
    t.key("m");
    t.wait_for("A merged", |s| {
        s.lines().any(|l| l.contains(" A ") && l.contains("merged"))
            && s.lines()
                .any(|l| l.contains(" C ") && l.contains("pending"))
    });
    // A resize redraws to the new width.
    t.resize(30, 100);
    t.wait_for("a redraw at 100 columns", |s| {
        s.lines()
            .any(|l| l.chars().count() == 100 && l.ends_with('┐'))
    });
    t.key("?");
    t.wait_for("the help", |s| s.contains("keys · any key closes"));
    t.key("x");
    t.key("q");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(st) = t.child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "q did not quit");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    std::thread::sleep(Duration::from_millis(200));
    let g = t.screen.lock().unwrap();
    assert!(!g.0.screen().alternate_screen(), "alternate screen left");
    assert!(!g.0.screen().hide_cursor(), "cursor shown");
    let raw = String::from_utf8_lossy(&g.1);
    assert!(
        raw.ends_with("\x1b[?25h") || raw.contains("\x1b[?1049l"),
        "{raw:?}"
    );
    // Raw mode off: the terminal is canonical and echoes again.
    let fd = t.master.as_raw_fd().unwrap();
    let mut tio: libc::termios = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::tcgetattr(fd, &mut tio) }, 0);
    assert!(
        tio.c_lflag & libc::ICANON != 0 && tio.c_lflag & libc::ECHO != 0,
        "raw mode off"
    );
    drop(g);
    flow.wait_with_output().unwrap();
}

#[test]
fn the_dashboard_prints_one_frame_without_a_terminal_and_refuses_bad_input() {
    let r = Repo::with_agent("commit.sh");
    r.git(&["config", "epic.requireReview", "true"]);
    r.epic(&["ticket", "add", "A", "--title", "A"]).ok();
    r.epic_env(&["run", "A"], &[]).ok();
    let out = r
        .epic(&["dashboard", "--print", "--size", "100x30"])
        .ok()
        .stdout;
    assert_eq!(out.lines().count(), 30, "{out}");
    assert!(
        out.contains("needs you (1)") && out.contains("[a approve · c changes]"),
        "{out}"
    );
    assert!(
        out.contains("committed A"),
        "the log pane follows A:\n{out}"
    );
    let bad = r.epic(&["dashboard", "--print", "--size", "wide"]).code(2);
    assert!(
        bad.stderr.contains("--size `wide` is not COLSxROWS"),
        "{}",
        bad.stderr
    );
    let bad = r.epic(&["dashboard"]).code(2);
    assert!(bad.stderr.contains("needs a terminal"), "{}", bad.stderr);
}

/// With a remote, the dashboard syncs beside itself: what another machine ran shows up.
#[test]
fn the_dashboard_of_a_shared_epic_shows_what_another_machine_ran() {
    let r = Repo::new();
    let remote = r.published_as(Some("alpha"));
    let beta = r.machine_as(&remote, "beta", Some("beta"));
    std::fs::create_dir_all(r.fake_dir()).unwrap();
    let mut cmd = r.pty_command(&["dashboard", "--every", "0.3", "--sync", "1"]);
    cmd.cwd(&beta);
    let mut t = Term::start(cmd, 30, 120);
    t.wait_for("A pending on beta", |s| {
        s.lines()
            .any(|l| l.contains(" A ") && l.contains("pending"))
    });
    r.epic_env(&["run", "A"], &[]).ok();
    r.epic(&["sync"]).ok();
    t.wait_for("A done on alpha, seen from beta", |s| {
        s.lines()
            .any(|l| l.contains(" A ") && l.contains("done") && l.contains("alpha"))
    });
    t.key("q");
    let deadline = Instant::now() + Duration::from_secs(10);
    while t.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "q did not quit");
        std::thread::sleep(Duration::from_millis(50));
    }
}
