//! OpenAI Codex CLI (`codex exec`).

/// What Codex prints for errors that retrying cannot fix.
pub const FATAL_PATTERN: &str = r"(?i)not logged in|please run .?codex login|invalid api key|incorrect api key|401 unauthorized|unexpected argument|unrecognized subcommand";
