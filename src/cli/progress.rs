//! Rendering runner events: one live line per running ticket on a terminal, plain one-line
//! events otherwise (or with `-q`).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use console::style;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::output::{duration, local_time, truncate};
use crate::ops::runner::Event;

struct Live {
    bar: ProgressBar,
    log: PathBuf,
    started: Instant,
    attempt: u32,
    /// A queued ticket waiting on a rate limit: what for, and until when (Unix time); its
    /// line counts down instead of following a log.
    wait: Option<(String, f64)>,
}

pub struct Progress {
    multi: Option<MultiProgress>,
    live: Arc<Mutex<BTreeMap<String, Live>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    ticker: Option<std::thread::JoinHandle<()>>,
    rows: usize,
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        let term = console::Term::stderr();
        let fancy = !quiet
            && std::io::stderr().is_terminal()
            && term.features().is_attended()
            && std::env::var("TERM").map_or(true, |t| t != "dumb");
        let multi =
            fancy.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(4)));
        let live: Arc<Mutex<BTreeMap<String, Live>>> = Arc::default();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let ticker = multi.as_ref().map(|_| {
            let live = Arc::clone(&live);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let width = console::Term::stderr().size().1 as usize;
                    for (id, l) in live.lock().expect("progress lock").iter() {
                        if let Some((what, until)) = &l.wait {
                            let left = (until - crate::model::state::now()).max(0.0);
                            l.bar.set_message(format!(
                                "{}  {what} until {} ({} left)",
                                style(format!("{id}  waiting")).magenta(),
                                local_time(*until),
                                duration(left)
                            ));
                            l.bar.tick();
                            continue;
                        }
                        let last = crate::infra::log::tail_lines(&l.log, 1)
                            .pop()
                            .unwrap_or_default();
                        let head = format!(
                            "{id}  running  {:>6}  attempt {}  ",
                            duration(l.started.elapsed().as_secs_f64()),
                            l.attempt
                        );
                        let room = width.saturating_sub(head.chars().count() + 4).max(10);
                        l.bar.set_message(format!(
                            "{}  {}",
                            style(head).cyan(),
                            truncate(&last, room)
                        ));
                        l.bar.tick();
                    }
                    std::thread::sleep(Duration::from_millis(300));
                }
            })
        });
        let rows = (term.size().0 as usize).saturating_sub(2).max(3);
        Progress {
            multi,
            live,
            stop,
            ticker,
            rows,
        }
    }

    /// A line above the live area (or plain on stderr).
    fn line(&self, text: String) {
        match &self.multi {
            Some(m) => {
                let _ = m.println(text);
            }
            None => eprintln!("{text}"),
        }
    }

    pub fn event(&self, e: Event) {
        let now = clock();
        match e {
            Event::Started {
                id,
                attempt,
                round,
                pid,
                log,
            } => self.started(&now, id, attempt, round, pid, log),
            Event::RateLimited { id, wait, until } => {
                self.finish(&id);
                // The time it ends once the wait is long enough to step away from.
                let at = if wait >= Duration::from_secs(60) {
                    format!(", at {}", local_time(until))
                } else {
                    String::new()
                };
                self.line(format!(
                    "{now} {id}: {} retrying in {}{at}",
                    style("rate limited,").magenta(),
                    duration(wait.as_secs_f64())
                ));
                self.wait_line(&id, "its rate limit".to_owned(), until);
            }
            Event::Waiting {
                id,
                profile,
                own,
                until,
            } => {
                let what = if own {
                    format!("its rate limit (agent profile `{profile}`)")
                } else {
                    format!("the cooldown of agent profile `{profile}` (another ticket hit its rate limit)")
                };
                self.line(format!(
                    "{now} {id}: {} {what} until {} ({} left); `git epic agent reset {profile}` lifts it",
                    style("waiting for").magenta(),
                    local_time(until),
                    duration((until - crate::model::state::now()).max(0.0))
                ));
                self.wait_line(&id, what, until);
            }
            other => self.said(&now, other),
        }
    }

    /// A started attempt: on a terminal it gets a live bar (up to the rows there are).
    fn started(
        &self,
        now: &str,
        id: String,
        attempt: u32,
        round: Option<String>,
        pid: u32,
        log: std::path::PathBuf,
    ) {
        self.finish(&id);
        if let Some(m) = &self.multi {
            let mut live = self.live.lock().expect("progress lock");
            // More bars than rows garbles the screen: past the cap, a ticket only
            // gets its event lines.
            if live.len() < self.rows {
                let bar = m.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg}").expect("valid template"),
                );
                live.insert(
                    id.clone(),
                    Live {
                        bar,
                        log: log.clone(),
                        started: Instant::now(),
                        attempt,
                        wait: None,
                    },
                );
            }
        }
        let what = match &round {
            Some(round) => format!("{round}, attempt {attempt}"),
            None => format!("attempt {attempt}"),
        };
        self.line(format!(
            "{now} {id}: started {what} (pid {pid}), log {}",
            log.display()
        ));
    }

    /// The events that are one line each (and end a ticket's live bar where they end its run).
    fn said(&self, now: &str, e: Event) {
        match e {
            Event::Started { .. } | Event::RateLimited { .. } | Event::Waiting { .. } => {
                unreachable!("said by event() itself")
            }
            Event::Skipped { id, reason } => self.line(format!("{now} {id}: skipped, {reason}")),
            Event::WorktreeCreated { id, path, branch } => self.line(format!(
                "{now} {id}: worktree {} on branch {branch}",
                path.display()
            )),
            Event::Retrying {
                id,
                attempt,
                wait,
                reason,
            } => {
                self.finish(&id);
                self.line(format!(
                    "{now} {id}: attempt {attempt} {} ({reason}); retrying in {}",
                    style("failed").yellow(),
                    duration(wait.as_secs_f64())
                ));
            }
            Event::Done {
                id,
                commits,
                autocommitted,
            } => {
                self.finish(&id);
                let extra = if autocommitted {
                    ", including uncommitted work it left"
                } else {
                    ""
                };
                self.line(format!(
                    "{now} {id}: {} with {commits} commit(s){extra}",
                    style("done").green()
                ));
            }
            Event::Failed { id, reason } => {
                self.finish(&id);
                self.line(format!(
                    "{now} {id}: {} {reason}",
                    style("failed:").red().bold()
                ));
            }
            Event::Adopted { id, pid, log } => self.line(format!(
                "{now} {id}: its agent from an earlier run lives on (pid {pid}): following it, log {}",
                log.display()
            )),
            Event::Halted { id, reason } => {
                self.finish(&id);
                self.line(format!("{now} {id}: {} {reason}", style("stopped:").red()));
            }
            Event::Interrupted { id } => {
                self.finish(&id);
                self.line(format!("{now} {id}: interrupted"));
            }
            Event::Merged { id, commit } => self.line(format!(
                "{now} {id}: {} into the epic ({commit})",
                style("merged").green().bold()
            )),
            Event::AwaitsReview { id } => self.line(format!(
                "{now} {id}: {} `git epic review {id}`, then `git epic review {id} --approve` lands it",
                style("awaiting review:").cyan().bold()
            )),
            Event::NotMerged {
                id,
                reason,
                dependents,
            } => {
                let wait = match dependents.as_slice() {
                    [] => String::new(),
                    [one] => format!("; {one}, which depends on it, waits"),
                    many => format!("; {}, which depend on it, wait", many.join(", ")),
                };
                self.line(format!(
                    "{now} {id}: {} {reason}{wait}",
                    style("not merged:").red().bold()
                ))
            }
            Event::FixRound { id, round, reason } => self.line(format!(
                "{now} {id}: {} {reason}; sent back to an agent, fix round {round}",
                style("not merged:").yellow().bold()
            )),
            Event::Propagated { summary } => self.line(format!("{now} propagated: {summary}")),
            Event::AccountLimited { id, profile, wait } => self.line(format!(
                "{now} {id}: {} the account of agent profile `{profile}` (shared by the epic's machines) is limited; starting in {}",
                style("rate limited,").magenta(),
                duration(wait.as_secs_f64())
            )),
            Event::TakenOver { id } => self.line(format!(
                "{now} {id}: the machine that held it let its claim run out; running it here"
            )),
            Event::Relanding { id } => self.line(format!(
                "{now} {id}: landed here while the remote could not be reached, and its epic moved meanwhile; landing it again on it"
            )),
            Event::LandingTakenOver { id, host } => self.line(format!(
                "{now} {id}: done on {host}, which let its claim run out before landing it; landing it here from its branch"
            )),
            Event::Unconfined { why } => self.line(format!(
                "{now} {} agents run unconfined: {why} (epic.sandbox is auto; see docs/sandbox.md)",
                style("sandbox:").yellow().bold()
            )),
            Event::LocalOnly { remote, why } => self.line(format!(
                "{now} {} {remote} cannot be reached ({why}); claims and states stay on this machine until `git epic sync`",
                style("local-only:").yellow().bold()
            )),
        }
    }

    /// On a terminal, a live line for a ticket that waits, counting down to `until`.
    fn wait_line(&self, id: &str, what: String, until: f64) {
        let Some(m) = &self.multi else { return };
        let mut live = self.live.lock().expect("progress lock");
        if let Some(l) = live.get_mut(id) {
            l.wait = Some((what, until));
            return;
        }
        if live.len() >= self.rows {
            return;
        }
        let bar = m.add(ProgressBar::new_spinner());
        bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("valid template"));
        live.insert(
            id.to_owned(),
            Live {
                bar,
                log: PathBuf::new(),
                started: Instant::now(),
                attempt: 0,
                wait: Some((what, until)),
            },
        );
    }

    fn finish(&self, id: &str) {
        if let Some(l) = self.live.lock().expect("progress lock").remove(id) {
            l.bar.finish_and_clear();
            if let Some(m) = &self.multi {
                m.remove(&l.bar);
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        for (_, l) in std::mem::take(&mut *self.live.lock().expect("progress lock")) {
            l.bar.finish_and_clear();
        }
    }
}

/// `HH:MM:SS` local time for event lines.
fn clock() -> String {
    let t = gix::date::Time::now_local_or_utc();
    let secs = t.seconds + i64::from(t.offset);
    let day = secs.rem_euclid(86400);
    style(format!(
        "{:02}:{:02}:{:02}",
        day / 3600,
        (day % 3600) / 60,
        day % 60
    ))
    .dim()
    .to_string()
}
