//! `epic.notify`: a command given one JSON event on stdin each time a ticket starts needing
//! a human, a limit stops an agent profile, or a run ends (docs/notify.md). It runs on a
//! thread of its own beside the run, which it never holds up: a command that fails or takes
//! too long is reported once, and the run goes on.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::infra::error::{usage, Result};
use crate::model::epic::Workspace;
use crate::ops::watch::{self, EpicEvent, Notice};

/// A notify command that takes longer than this is stopped (and reported).
pub const DEADLINE: Duration = Duration::from_secs(5);

/// Where events go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The user's command, split into words like an agent's (no shell).
    Command(Vec<String>),
    /// A bell and the terminal's desktop-notification escapes (OSC 9 and OSC 777), on the
    /// terminal git epic runs in, when it has one.
    Terminal,
    /// `notify-send`, else `osascript`, where one is installed.
    Desktop,
}

/// The epic's `epic.notify`, if set; a value that does not split into words is refused.
pub fn target(ws: &Workspace) -> Result<Option<Target>> {
    let config = ws.repo.config_snapshot();
    let Some(v) = crate::infra::config::lookup(&config, &ws.epic.name, "notify") else {
        return Ok(None);
    };
    Ok(match v.trim() {
        "" => None,
        "terminal" => Some(Target::Terminal),
        "desktop" => Some(Target::Desktop),
        cmd => {
            let words = shell_words::split(cmd).map_err(|_| {
                usage(format!(
                    "git config epic.notify is `{cmd}`, whose quotes do not close."
                ))
            })?;
            Some(Target::Command(words))
        }
    })
}

/// Deliver one notice to `target`: `Err` says why it did not arrive.
pub fn deliver(target: &Target, notice: &Notice) -> std::result::Result<(), String> {
    match target {
        Target::Command(argv) => {
            let json = serde_json::to_string(notice).map_err(|e| e.to_string())?;
            run_with_stdin(argv, &format!("{json}\n"))
        }
        Target::Terminal => {
            let text = format!("git epic {}: {}", notice.epic, notice.event.text());
            let clean: String = text.chars().filter(|c| !c.is_control()).collect();
            // Not attached to a terminal: nothing to ring.
            let Ok(mut tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty") else {
                return Ok(());
            };
            write!(
                tty,
                "\x07\x1b]9;{clean}\x07\x1b]777;notify;git epic;{clean}\x07"
            )
            .map_err(|e| e.to_string())
        }
        Target::Desktop => {
            let title = format!("git epic {}", notice.epic);
            let body = notice.event.text();
            if which::which("notify-send").is_ok() {
                run_with_stdin(&["notify-send".into(), title, body], "")
            } else if which::which("osascript").is_ok() {
                let quote = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
                let script = format!(
                    "display notification \"{}\" with title \"{}\"",
                    quote(&body),
                    quote(&title)
                );
                run_with_stdin(&["osascript".into(), "-e".into(), script], "")
            } else {
                Err("neither notify-send nor osascript is installed".into())
            }
        }
    }
}

/// Run `argv` with `input` on its stdin, stopping it after [`DEADLINE`].
fn run_with_stdin(argv: &[String], input: &str) -> std::result::Result<(), String> {
    let (program, args) = argv.split_first().ok_or("it is empty")?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("it could not start: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its stdin is not a failure.
        let _ = stdin.write_all(input.as_bytes());
    }
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                return Err(match status.code() {
                    Some(c) => format!("it exited with code {c}"),
                    None => "it was killed by a signal".into(),
                })
            }
            Ok(None) if start.elapsed() > DEADLINE => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "it took longer than {}s and was stopped",
                    DEADLINE.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

enum Msg {
    End(Box<EpicEvent>),
    Stop,
}

/// The watcher beside a run: looks at the epic every couple of seconds and sends each new
/// "needs you" and limit to the target; [`Notifier::finish`] sends the run's end.
pub struct Notifier {
    tx: mpsc::Sender<Msg>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// How often the notifier looks at the epic.
const EVERY: Duration = Duration::from_secs(1);

impl Notifier {
    /// Start watching `ws`'s epic, when `epic.notify` is set. `problem` hears, once, why
    /// events could not be delivered.
    pub fn start(ws: &Workspace, problem: Box<dyn Fn(String) + Send>) -> Result<Option<Notifier>> {
        let Some(target) = target(ws)? else {
            return Ok(None);
        };
        let (root, epic) = (ws.root.clone(), ws.epic.name.clone());
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let Ok(ws) = Workspace::open(&root, Some(&epic)) else {
                return;
            };
            watch_loop(&ws, &target, &rx, problem.as_ref());
        });
        Ok(Some(Notifier {
            tx,
            thread: Some(thread),
        }))
    }

    /// Send the run's end (after what changed last), and give its delivery a moment.
    pub fn finish(mut self, ended: EpicEvent) {
        let _ = self.tx.send(Msg::End(Box::new(ended)));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::Stop);
    }
}

fn watch_loop(ws: &Workspace, target: &Target, rx: &mpsc::Receiver<Msg>, problem: &dyn Fn(String)) {
    let mut reported = false;
    let mut send = |event: EpicEvent| {
        let notice = Notice {
            epic: ws.epic.name.clone(),
            at: crate::infra::clock::now(),
            event,
        };
        if let Err(why) = deliver(target, &notice) {
            if !reported {
                reported = true;
                problem(format!(
                    "epic.notify could not deliver a `{}` event: {why}; the run goes on (further problems are not reported)",
                    notice.event.kind()
                ));
            }
        }
    };
    let Ok(mut before) = watch::look(ws) else {
        return;
    };
    loop {
        let msg = rx.recv_timeout(EVERY);
        if let Ok(now) = watch::look(ws) {
            for e in before.changes(&now) {
                if matches!(e, EpicEvent::NeedsYou { .. } | EpicEvent::Limit { .. }) {
                    send(e);
                }
            }
            before = now;
        }
        match msg {
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Ok(Msg::End(e)) => return send(*e),
            Ok(Msg::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}
