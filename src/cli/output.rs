//! How results and errors reach the terminal: colour choice, quiet mode, JSON.

use console::{style, StyledObject};
use serde::Serialize;

use super::ColorWhen;
use crate::model::state::State;

pub struct Out {
    pub quiet: bool,
}

impl Out {
    pub fn new(quiet: bool, color: ColorWhen) -> Out {
        // console already turns colour off for non-terminals, NO_COLOR and CLICOLOR=0.
        match color {
            ColorWhen::Always => {
                console::set_colors_enabled(true);
                console::set_colors_enabled_stderr(true);
            }
            ColorWhen::Never => {
                console::set_colors_enabled(false);
                console::set_colors_enabled_stderr(false);
            }
            ColorWhen::Auto => {
                if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                    console::set_colors_enabled(false);
                    console::set_colors_enabled_stderr(false);
                }
            }
        }
        Out { quiet }
    }

    /// A result line on stdout (printed even with `-q`).
    pub fn result(&self, line: impl std::fmt::Display) {
        stdout(&format!("{line}\n"));
    }

    /// A line that explains what happened, on stderr; silent with `-q`.
    pub fn info(&self, line: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }

    pub fn warn(&self, line: impl std::fmt::Display) {
        warn_line(line);
    }

    /// One clear sentence first, then the causes as detail.
    pub fn error(&self, err: &anyhow::Error) {
        let label = style("error:").for_stderr().red().bold();
        match crate::infra::error::storage_problem(err) {
            // The plain cause first; git's or gix's own words follow as detail.
            Some(plain) => {
                eprintln!("{label} {plain}");
                for cause in err.chain() {
                    eprintln!("  {cause}");
                }
            }
            None => {
                eprintln!("{label} {err}");
                for cause in err.chain().skip(1) {
                    eprintln!("  {cause}");
                }
            }
        }
    }

    pub fn json<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(value)?;
        stdout(&format!("{text}\n"));
        Ok(())
    }
}

/// Write to stdout. When the reader has gone (`git epic status | head`), stop quietly the way
/// git does (exit 141, as if by SIGPIPE) instead of panicking. SIGPIPE itself stays ignored:
/// the runner writes prompts into agents' stdin, and an agent that exits without reading
/// must not take git-epic down with it.
pub fn stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        eprintln!("error: could not write to stdout: {e}");
        std::process::exit(1);
    }
}

/// A state word in its colour.
pub fn state(s: State) -> StyledObject<&'static str> {
    let st = style(s.as_str());
    match s {
        State::Merged => st.green().bold(),
        State::Done => st.green(),
        State::Running => st.cyan(),
        State::RateLimited => st.magenta(),
        State::Failed | State::Conflict => st.red().bold(),
        State::Interrupted => st.yellow(),
        State::Blocked => st.dim(),
        State::Pending => st,
    }
}

/// `90` → `1m30s`.
pub fn duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// Cut `s` to `width` characters, with an ellipsis.
pub fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A Unix time as a local time of day, with the day when it is not within a day.
pub fn local_time(unix: f64) -> String {
    let Ok(t) = jiff::Timestamp::from_second(unix.ceil() as i64) else {
        return format!("{unix:.0}");
    };
    let zoned = t.to_zoned(jiff::tz::TimeZone::system());
    if unix - crate::model::state::now() < 20.0 * 3600.0 {
        zoned.strftime("%H:%M:%S").to_string()
    } else {
        zoned.strftime("%b %-d %H:%M").to_string()
    }
}

/// A warning on stderr, from any thread (what [`Out::warn`] prints).
pub fn warn_line(line: impl std::fmt::Display) {
    eprintln!("{} {line}", style("warning:").for_stderr().yellow().bold());
}
