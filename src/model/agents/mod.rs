//! Agent adapters: what git-epic knows of each agent family's command line and output.
//!
//! The family is read from the command itself (program and flags), never from a profile
//! name, so a preset's line copied into `epic.agent` behaves exactly like the profile. A
//! family with a structured output (JSON lines) is read line by line as it streams: its
//! rate-limit state, session, tokens, cost and final result. Anything else is plain text,
//! judged at the end by patterns over its last lines.

use serde::{Deserialize, Serialize};

pub mod activity;
mod claude;
mod codex;
mod gemini;
pub mod probe;
pub mod render;

/// The agent families git-epic knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Claude,
    Codex,
    Gemini,
    /// Any other command: plain text output.
    Other,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::Claude => "claude",
            Family::Codex => "codex",
            Family::Gemini => "gemini",
            Family::Other => "other",
        }
    }
}

/// What git-epic makes of one agent command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adapter {
    pub family: Family,
    /// The command asks for the family's JSON-lines output, which git-epic then reads.
    pub structured: bool,
}

/// The program's name without its directory (`/usr/bin/claude` -> `claude`).
fn program_name(argv: &[String]) -> &str {
    argv.first()
        .map(|p| p.rsplit('/').next().unwrap_or(p))
        .unwrap_or("")
}

/// The value of option `name` in `argv`, as `--name value` or `--name=value`.
fn option_value<'a>(argv: &'a [String], name: &str) -> Option<&'a str> {
    let with_eq = format!("{name}=");
    argv.iter().enumerate().find_map(|(i, a)| {
        if a == name {
            argv.get(i + 1).map(String::as_str)
        } else {
            a.strip_prefix(&with_eq)
        }
    })
}

impl Adapter {
    /// Recognise the family and whether its structured output is on.
    pub fn detect(argv: &[String]) -> Adapter {
        let program = program_name(argv);
        let family = match program {
            "claude" | "claude.exe" => Family::Claude,
            "codex" | "codex.js" => Family::Codex,
            "gemini" | "gemini.js" => Family::Gemini,
            _ => Family::Other,
        };
        let structured = match family {
            Family::Claude => option_value(argv, "--output-format") == Some("stream-json"),
            Family::Codex => {
                argv.iter().any(|a| a == "exec" || a == "e") && argv.iter().any(|a| a == "--json")
            }
            Family::Gemini => {
                option_value(argv, "--output-format").or_else(|| option_value(argv, "-o"))
                    == Some("stream-json")
            }
            Family::Other => false,
        };
        Adapter { family, structured }
    }

    /// Errors that retrying cannot fix, as this family words them (matched against the
    /// last lines of a failed run, or the structured result's message).
    pub fn default_fatal_pattern(self) -> &'static str {
        match self.family {
            Family::Claude => claude::FATAL_PATTERN,
            Family::Codex => codex::FATAL_PATTERN,
            Family::Gemini => gemini::FATAL_PATTERN,
            Family::Other => GENERIC_FATAL_PATTERN,
        }
    }

    /// What to tell the user when a fatal error stops the run.
    pub fn fatal_advice(self) -> &'static str {
        match self.family {
            Family::Claude => "run `claude` once and log in with /login (or set ANTHROPIC_API_KEY), then run git epic again",
            Family::Codex => "run `codex login` (or set OPENAI_API_KEY), then run git epic again",
            Family::Gemini => "run `gemini` once to sign in (or set GEMINI_API_KEY), then run git epic again",
            Family::Other => "fix the agent command or its login, then run git epic again",
        }
    }

    /// Whether the next attempt can continue the agent's session instead of starting over:
    /// the families whose CLI resumes a session by id, when their stream gives the id.
    pub fn can_resume(self) -> bool {
        self.structured && self.family != Family::Other
    }

    /// The argv of one attempt: the configured command with what this family needs added
    /// (tool permissions, the session to resume), the prompt last when it goes as argument.
    pub fn launch_argv(self, base: &[String], launch: &Launch<'_>) -> Vec<String> {
        let mut extra = Vec::new();
        match self.family {
            Family::Claude => claude::add_options(&mut extra, launch),
            Family::Codex => codex::add_options(&mut extra, launch),
            Family::Gemini => gemini::add_options(&mut extra, launch),
            Family::Other => {}
        }
        // A command that ends with the option taking the prompt (`gemini --prompt`)
        // keeps it next to the prompt.
        let mut argv = base.to_vec();
        if self.family == Family::Codex {
            codex::step_aside(&mut argv, launch);
        }
        let at = match argv.last().map(String::as_str) {
            Some("-p" | "--prompt" | "-m" | "--message") if launch.prompt_arg.is_some() => {
                argv.len() - 1
            }
            _ => argv.len(),
        };
        argv.splice(at..at, extra);
        if let Some(p) = launch.prompt_arg {
            argv.push(p.to_owned());
        }
        argv
    }

    /// The permissions git-epic grants the agent beyond its command line, in words, for
    /// `agent add` and `doctor`; `None` where the family takes none.
    pub fn permissions(self, commands: &[String]) -> Option<String> {
        (self.family == Family::Claude).then(|| {
            format!(
                "git epic lets it edit files and run {} (--allowedTools); to allow more, add --allowedTools=\"Bash(<command>:*)\" to its command",
                claude::allowed_tools(commands).join(", ")
            )
        })
    }

    /// A reader for this family's output of one attempt.
    pub fn reader(self) -> Reader {
        Reader {
            adapter: self,
            seen: Observed::default(),
        }
    }
}

/// What one attempt's command line depends on.
pub struct Launch<'a> {
    /// The prompt, when it goes as the last argument.
    pub prompt_arg: Option<&'a str>,
    /// The session to continue.
    pub resume: Option<&'a str>,
    /// Shell commands of the epic the agent may run (`epic.test`, `epic.lintFix`).
    pub allowed_commands: &'a [String],
    /// The repository's git dir and the worktree's own, which a commit writes to.
    pub git_dirs: &'a [std::path::PathBuf],
    /// git-epic's sandbox confines the run (docs/sandbox.md): an agent's own sandbox that
    /// cannot run inside it steps aside.
    pub confined: bool,
}

/// Output of a failed run that retrying will not fix, for agents git-epic does not know.
pub const GENERIC_FATAL_PATTERN: &str = r"(?i)not logged in|please run /login|invalid api key|api key not valid|invalid x-api-key|authentication[_ ](failed|error)|unauthori[sz]ed|unknown option|unrecognized (option|argument)|unexpected argument";

/// Tokens an agent reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tokens {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
}

impl Tokens {
    pub fn total(&self) -> u64 {
        self.input + self.output + self.cache_read + self.cache_write
    }

    pub fn add(&mut self, o: &Tokens) {
        self.input += o.input;
        self.output += o.output;
        self.cache_read += o.cache_read;
        self.cache_write += o.cache_write;
    }

    pub fn is_zero(&self) -> bool {
        self.total() == 0
    }

    /// What is left once `o` is taken off, never below zero.
    pub fn minus(&self, o: &Tokens) -> Tokens {
        Tokens {
            input: self.input.saturating_sub(o.input),
            output: self.output.saturating_sub(o.output),
            cache_read: self.cache_read.saturating_sub(o.cache_read),
            cache_write: self.cache_write.saturating_sub(o.cache_write),
        }
    }
}

/// A rate limit the agent reported in its structured output.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitSeen {
    /// Unix seconds when the limit resets, when the agent said.
    pub resets_at: Option<f64>,
    /// The agent's name of the limit (`five_hour`, `seven_day`, ...).
    pub kind: Option<String>,
}

/// The agent's own account of how the attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultSeen {
    pub is_error: bool,
    /// Its final message (the answer, or the error's text).
    pub message: String,
    /// The HTTP status of the API error that ended it, if one did.
    pub api_status: Option<u16>,
}

/// Everything read from one attempt's structured output.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    pub session_id: Option<String>,
    pub tokens: Tokens,
    pub cost_usd: Option<f64>,
    pub limit: Option<LimitSeen>,
    pub result: Option<ResultSeen>,
    /// An error that retrying cannot fix, in the agent's words.
    pub fatal: Option<String>,
    /// The agent would only retry that error for minutes: stop it now.
    pub stop_now: bool,
    /// The session asked for could not be resumed: start afresh.
    pub resume_failed: bool,
    /// `tokens` count the whole session, earlier runs of it included (codex on resume).
    tokens_cover_session: bool,
    /// The CLI keeps nothing of the session worth resuming (gemini drops a prompt whose
    /// first request failed).
    session_empty: bool,
    /// Tokens of messages seen so far, for a run that ends without a result.
    partial_tokens: Tokens,
    /// The agent's last message, for families whose result does not repeat it.
    last_text: Option<String>,
    /// The last error it printed, for families whose failed result may not say it.
    last_error: Option<String>,
}

impl Observed {
    /// The session the next attempt may continue: the one this attempt ran in (`resumed`
    /// if it continued one), unless the CLI kept nothing of it.
    pub fn resumable_session(&self, resumed: Option<&str>) -> Option<&str> {
        let id = self.session_id.as_deref()?;
        // A session resumed had something in it already.
        (!self.session_empty || resumed == Some(id)).then_some(id)
    }

    /// Tokens of the attempt: the result's when it came, else what the messages showed.
    pub fn tokens(&self) -> Tokens {
        if self.result.is_some() || !self.tokens.is_zero() {
            self.tokens
        } else {
            self.partial_tokens
        }
    }

    /// Tokens of this attempt alone, given what the earlier runs of the session it continued
    /// recorded: taken off where the CLI counts the whole session (codex).
    pub fn run_tokens<'a>(&self, earlier: impl IntoIterator<Item = &'a Tokens>) -> Tokens {
        let mut t = self.tokens();
        if self.tokens_cover_session {
            for e in earlier {
                t = t.minus(e);
            }
        }
        t
    }
}

/// What one line of output told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heard {
    /// Stop the agent now: an error it would only retry for minutes.
    pub stop: bool,
    /// The agent is getting somewhere (a line that only says it is reconnecting is not).
    pub progress: bool,
}

/// Reads one attempt's output line by line.
pub struct Reader {
    adapter: Adapter,
    seen: Observed,
}

impl Reader {
    /// Take one line of output.
    pub fn line(&mut self, line: &str) -> Heard {
        let mut heard = Heard {
            stop: false,
            progress: true,
        };
        if !self.adapter.structured {
            return heard;
        }
        let line = crate::infra::log::unmarked(line.trim());
        if !line.starts_with('{') {
            // What the CLI writes beside its stream (stderr is in the same log).
            let lost = match self.adapter.family {
                Family::Claude => claude::RESUME_FAILED,
                Family::Codex => codex::RESUME_FAILED,
                Family::Gemini => gemini::RESUME_FAILED,
                Family::Other => "",
            };
            if !lost.is_empty() && line.starts_with(lost) {
                self.seen.resume_failed = true;
            }
            return heard;
        }
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            return heard;
        };
        heard.progress = match self.adapter.family {
            Family::Claude => claude::read(&v, &mut self.seen),
            Family::Codex => codex::read(&v, &mut self.seen, crate::infra::clock::now()),
            Family::Gemini => gemini::read(&v, &mut self.seen, crate::infra::clock::now()),
            Family::Other => true,
        };
        heard.stop = self.seen.stop_now;
        heard
    }

    /// Whether the output is worth reading as it comes (plain text is judged at the end).
    pub fn wants_lines(&self) -> bool {
        self.adapter.structured
    }

    pub fn observed(&self) -> &Observed {
        &self.seen
    }

    pub fn into_observed(self) -> Observed {
        self.seen
    }
}

/// A pattern compiled once, on first use: the adapters match theirs on every line of a
/// stream that may never end.
macro_rules! static_regex {
    ($name:ident, $pattern:expr) => {
        fn $name() -> &'static regex::Regex {
            static RE: std::sync::LazyLock<regex::Regex> =
                std::sync::LazyLock::new(|| regex::Regex::new($pattern).expect("valid pattern"));
            &RE
        }
    };
}
use static_regex;

fn as_u64(v: &serde_json::Value, key: &str) -> u64 {
    v.get(key).and_then(serde_json::Value::as_u64).unwrap_or(0)
}

fn as_str<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(serde_json::Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        shell_words::split(s).unwrap()
    }

    #[test]
    fn the_family_comes_from_the_command() {
        let a = Adapter::detect(&argv(
            "/opt/bin/claude --print --output-format stream-json --verbose",
        ));
        assert_eq!((a.family, a.structured), (Family::Claude, true));
        let a = Adapter::detect(&argv("claude --print"));
        assert_eq!((a.family, a.structured), (Family::Claude, false));
        let a = Adapter::detect(&argv("claude -p --output-format=stream-json"));
        assert!(a.structured);
        let a = Adapter::detect(&argv("codex exec --json --sandbox workspace-write"));
        assert_eq!((a.family, a.structured), (Family::Codex, true));
        let a = Adapter::detect(&argv("codex exec --sandbox workspace-write"));
        assert_eq!((a.family, a.structured), (Family::Codex, false));
        let a = Adapter::detect(&argv("gemini --output-format stream-json --prompt"));
        assert_eq!((a.family, a.structured), (Family::Gemini, true));
        let a = Adapter::detect(&argv("gemini -o stream-json -p"));
        assert!(a.structured);
        let a = Adapter::detect(&argv("./my-agent --output-format stream-json"));
        assert_eq!((a.family, a.structured), (Family::Other, false));
    }

    #[test]
    fn options_go_before_a_trailing_prompt_flag() {
        let base = argv("claude --output-format stream-json -p");
        let out = Adapter::detect(&base).launch_argv(
            &base,
            &Launch {
                prompt_arg: Some("the prompt"),
                resume: Some("s1"),
                allowed_commands: &[],
                git_dirs: &[],
                confined: false,
            },
        );
        assert_eq!(out[out.len() - 2..], ["-p", "the prompt"]);
        assert!(out.contains(&"--resume=s1".to_owned()));
    }

    #[test]
    fn text_agents_are_never_read_as_json() {
        let mut r = Adapter::detect(&argv("claude --print")).reader();
        assert!(
            !r.line(r#"{"type":"result","is_error":true,"result":"x"}"#)
                .stop
        );
        assert_eq!(r.observed(), &Observed::default());
    }
}
