//! What `doctor` can learn cheaply about an agent command: its version, and its login where
//! the CLI has a command that reports it (without calling the model).

use std::time::Duration;

use super::{Adapter, Family};

/// One finding: what was asked, whether it is fine, and what was seen.
pub struct Probe {
    pub what: &'static str,
    /// `None`: could not be checked (the detail says why).
    pub ok: Option<bool>,
    pub detail: String,
}

/// Run `argv` for at most `limit`; its exit status and output (stdout then stderr).
fn run(argv: &[&str], limit: Duration) -> Option<(bool, String)> {
    let handle = duct::cmd(argv[0], &argv[1..])
        .stdin_null()
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .start()
        .ok()?;
    match handle.wait_timeout(limit) {
        Ok(Some(out)) => {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            Some((out.status.success(), text.trim().to_owned()))
        }
        _ => {
            let _ = handle.kill();
            None
        }
    }
}

/// The version, and the login where the family can tell, of the program `program`.
pub fn probe(adapter: Adapter, program: &str) -> Vec<Probe> {
    let mut out = Vec::new();
    let limit = Duration::from_secs(15);
    if adapter.family == Family::Other {
        return out;
    }
    out.push(match run(&[program, "--version"], limit) {
        Some((true, v)) => Probe {
            what: "version",
            ok: Some(true),
            detail: v.lines().next().unwrap_or("").to_owned(),
        },
        Some((false, e)) => Probe {
            what: "version",
            ok: Some(false),
            detail: format!(
                "`{program} --version` failed: {}",
                e.lines().last().unwrap_or("")
            ),
        },
        None => Probe {
            what: "version",
            ok: None,
            detail: format!("`{program} --version` did not answer within 15s"),
        },
    });
    out.push(match adapter.family {
        Family::Claude => match run(&[program, "auth", "status"], limit) {
            Some((_, text)) => {
                let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                match v.get("loggedIn").and_then(serde_json::Value::as_bool) {
                    Some(true) => Probe {
                        what: "login",
                        ok: Some(true),
                        detail: format!(
                            "logged in ({})",
                            v.get("authMethod").and_then(|m| m.as_str()).unwrap_or("?")
                        ),
                    },
                    Some(false) => Probe {
                        what: "login",
                        ok: Some(false),
                        detail: "not logged in: run `claude` and /login, or set ANTHROPIC_API_KEY".into(),
                    },
                    None => Probe {
                        what: "login",
                        ok: None,
                        detail: "`claude auth status` gave no answer git epic understands".into(),
                    },
                }
            }
            None => Probe {
                what: "login",
                ok: None,
                detail: "`claude auth status` did not answer within 15s".into(),
            },
        },
        Family::Codex => match run(&[program, "login", "status"], limit) {
            Some((true, text)) => Probe {
                what: "login",
                ok: Some(true),
                detail: text.lines().next().unwrap_or("logged in").to_owned(),
            },
            // `codex exec` also takes a key from the environment, which `login status`
            // does not count.
            Some((false, _)) if std::env::var_os("CODEX_API_KEY").is_some() => Probe {
                what: "login",
                ok: Some(true),
                detail: "no saved login; CODEX_API_KEY is set".into(),
            },
            Some((false, _)) => Probe {
                what: "login",
                ok: Some(false),
                detail: "not logged in: run `codex login`, or set CODEX_API_KEY".into(),
            },
            None => Probe {
                what: "login",
                ok: None,
                detail: "`codex login status` did not answer within 15s".into(),
            },
        },
        Family::Gemini => Probe {
            what: "login",
            ok: None,
            detail: "not checked: gemini has no command that reports its login without calling the model".into(),
        },
        Family::Other => unreachable!("returned above"),
    });
    if !adapter.structured {
        out.push(Probe {
            what: "output",
            ok: None,
            detail: "plain text: git epic reads limits from its words and cannot count tokens or cost (`git epic agent add` gives the structured command line)".into(),
        });
    }
    out
}
