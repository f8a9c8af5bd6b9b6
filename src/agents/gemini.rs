//! Google Gemini CLI (`gemini --prompt`).

/// What Gemini CLI prints for errors that retrying cannot fix.
pub const FATAL_PATTERN: &str = r"(?i)api key not valid|api_key_invalid|please set an auth method|unknown arguments?:|permission_denied";
