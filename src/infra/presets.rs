//! Agent presets: the non-interactive command lines of the common coding agents, as their
//! own documentation gives them. The prompt is appended as the last argument.

/// A preset: name, command (prompt appended), its own rate-limit pattern if it needs one,
/// and a note.
pub struct Preset {
    pub name: &'static str,
    pub command: &'static str,
    pub rate_limit_pattern: Option<&'static str>,
    pub note: &'static str,
}

pub const PRESETS: &[Preset] = &[
    Preset {
        name: "claude",
        // Print mode runs once and exits; stream-json lets git epic read its limits, session,
        // tokens and cost as they come; acceptEdits lets it write files without asking.
        // git epic adds --allowedTools for git add/commit and the epic's test and lintFix.
        command: "claude --print --output-format stream-json --verbose --permission-mode acceptEdits",
        rate_limit_pattern: None,
        note: "Claude Code in print mode with its JSON stream: exact limit resets, tokens, cost, resume",
    },
    Preset {
        name: "codex",
        // --json lets git epic read its thread, limits and tokens; git epic opens the
        // repository's git dirs to the sandbox (--add-dir) so that it can commit.
        command: "codex exec --json --sandbox workspace-write",
        rate_limit_pattern: None,
        note: "Codex CLI's exec mode with its JSON stream, allowed to edit and commit in the worktree",
    },
    Preset {
        name: "aider",
        // --message takes the prompt (the last argument), applies the edits and exits.
        command: "aider --yes-always --no-pretty --message",
        rate_limit_pattern: None,
        note: "aider scripted with --message; it commits its own edits",
    },
    Preset {
        name: "gemini",
        // --prompt takes the prompt (the last argument); yolo lets it edit and run commands
        // headless, --skip-trust lets it do so in a fresh worktree; stream-json lets git epic
        // read its session, quota errors and tokens.
        command: "gemini --output-format stream-json --approval-mode=yolo --skip-trust --prompt",
        rate_limit_pattern: Some(r"(?i)quota exceeded|exceeded your current quota|exhausted your daily quota|resource.?exhausted|rate.?limit|\b429\b"),
        note: "Gemini CLI headless with its JSON stream; it reports limits as quota / RESOURCE_EXHAUSTED",
    },
];

pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}
