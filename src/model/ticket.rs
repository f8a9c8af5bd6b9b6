//! Ticket files: `<tasksDir>/<id>.md`, TOML front matter between `+++` lines, then the prompt.
//!
//! The parser is strict on purpose: ticket files are tracked and come from other people, so
//! anything unexpected (an unknown key, a key that looks like a command) is refused.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::infra::error::{usage, Result};

/// Whether `s` is a valid ticket id (and epic name): `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`,
/// with no `..` and not ending in `.lock` or `.` (both unsafe in a branch name).
pub fn is_valid_id(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && s.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !s.contains("..")
        && !s.ends_with(".lock")
        && !s.ends_with('.')
}

/// Why `s` is not a valid id, as the end of a sentence.
pub fn id_problem(s: &str) -> &'static str {
    if s.is_empty() {
        "is empty"
    } else if s.len() > 64 {
        "is longer than 64 characters"
    } else if s.starts_with('-') {
        "starts with `-`"
    } else if s.contains("..") {
        "contains `..`"
    } else if s.contains('/') {
        "contains `/`"
    } else if s.contains(char::is_whitespace) {
        "contains a space"
    } else {
        "must match [A-Za-z0-9][A-Za-z0-9._-]* and not end in `.` or `.lock`"
    }
}

/// One ticket, as read from its file.
#[derive(Debug, Clone, Serialize)]
pub struct Ticket {
    pub id: String,
    pub title: String,
    pub deps: Vec<String>,
    pub scope: Vec<String>,
    pub forbid: Vec<String>,
    pub agent: Option<String>,
    #[serde(skip)]
    pub body: String,
    pub path: PathBuf,
}

/// The front matter as written in the file; `deny_unknown_fields` is the strictness.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deps: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forbid: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
}

/// Whether `s` can be an agent profile name (and so never a command line).
pub fn is_valid_profile(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !s.starts_with(['-', '.'])
}

/// Check a glob the way scope and forbid are matched.
pub fn check_glob(glob: &str) -> std::result::Result<(), String> {
    if glob.trim().is_empty() {
        return Err("is empty".into());
    }
    globset::GlobBuilder::new(glob)
        .literal_separator(true)
        .build()
        .map(|_| ())
        .map_err(|e| e.kind().to_string())
}

fn file_error(path: &Path, what: impl std::fmt::Display) -> anyhow::Error {
    usage(format!("{}: {what}", path.display()))
}

/// Parse one ticket file's text. `path` is only used in messages and for the id.
pub fn parse(path: &Path, text: &str) -> Result<Ticket> {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if !is_valid_id(stem) {
        return Err(file_error(
            path,
            format!("the ticket id `{stem}` {}.", id_problem(stem)),
        ));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or_default();
    if first.trim_end() != "+++" {
        return Err(file_error(
            path,
            "the file does not start with a `+++` front matter line.",
        ));
    }
    let mut front = String::new();
    let mut closed = false;
    let mut consumed = first.len();
    for line in lines.by_ref() {
        consumed += line.len();
        if line.trim_end() == "+++" {
            closed = true;
            break;
        }
        front.push_str(line);
    }
    if !closed {
        return Err(file_error(
            path,
            "the front matter has no closing `+++` line.",
        ));
    }
    let body = text[consumed..].trim_start_matches(['\r', '\n']).to_owned();
    let fm: FrontMatter = toml::from_str(&front).map_err(|e| {
        let (line, col) = match e.span() {
            Some(span) => line_col(&front, span.start),
            None => (0, 0),
        };
        // +1 for the opening `+++` line.
        usage(format!(
            "{}:{}:{}: {}",
            path.display(),
            line + 2,
            col + 1,
            e.message().trim_end_matches('\n')
        ))
    })?;
    for dep in &fm.deps {
        if !is_valid_id(dep) {
            return Err(file_error(
                path,
                format!("the dependency `{dep}` {}.", id_problem(dep)),
            ));
        }
        if dep == stem {
            return Err(file_error(
                path,
                format!("ticket `{stem}` depends on itself."),
            ));
        }
    }
    for (key, globs) in [("scope", &fm.scope), ("forbid", &fm.forbid)] {
        for g in globs {
            check_glob(g).map_err(|why| {
                file_error(path, format!("the {key} glob `{g}` is invalid: {why}."))
            })?;
        }
    }
    if let Some(agent) = &fm.agent {
        if !is_valid_profile(agent) {
            return Err(file_error(
                path,
                format!("`agent = \"{agent}\"` must name an agent profile (letters, digits, `.`, `_`, `-`), never a command."),
            ));
        }
    }
    let mut deps = fm.deps;
    let mut seen = std::collections::HashSet::new();
    deps.retain(|d| seen.insert(d.clone()));
    let title = fm
        .title
        .filter(|t| !t.trim().is_empty())
        .or_else(|| first_heading(&body))
        .unwrap_or_else(|| stem.to_owned());
    Ok(Ticket {
        id: stem.to_owned(),
        title,
        deps,
        scope: fm.scope,
        forbid: fm.forbid,
        agent: fm.agent,
        body,
        path: path.to_owned(),
    })
}

fn first_heading(body: &str) -> Option<String> {
    body.lines()
        .find_map(|l| {
            l.strip_prefix('#')
                .map(|h| h.trim_start_matches('#').trim().to_owned())
        })
        .filter(|h| !h.is_empty())
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count();
    let col = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1);
    (line, col)
}

/// Every `*.md` file under `dir` (recursively, skipping hidden entries), sorted.
fn ticket_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).with_context(|| format!("could not read {}", d.display()))?;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Read and check every ticket of `<root>/<dir>`: each file parses, ids are unique, and
/// every dependency names a ticket. An absent dir is an epic with no tickets yet. Cycles are
/// checked by [`crate::model::graph::Graph::new`]. Ticket paths are relative to `root`, as git
/// shows paths, and so are the messages.
pub fn load_all(root: &Path, dir: &Path) -> Result<Vec<Ticket>> {
    let abs = root.join(dir);
    if !abs.exists() {
        return Ok(Vec::new());
    }
    let mut tickets: Vec<Ticket> = Vec::new();
    for abs_path in ticket_files(&abs)? {
        let path = abs_path.strip_prefix(root).unwrap_or(&abs_path).to_owned();
        let text = std::fs::read_to_string(&abs_path)
            .map_err(|e| file_error(&path, format!("cannot be read: {e}.")))?;
        let t = parse(&path, &text)?;
        if let Some(other) = tickets.iter().find(|o| o.id.eq_ignore_ascii_case(&t.id)) {
            let what = if other.id == t.id {
                format!("duplicate ticket id `{}`", t.id)
            } else {
                // Worktree dirs and branch refs named after both would be one file on a
                // case-insensitive file system (macOS, Windows).
                format!(
                    "ticket id `{}` differs only in case from `{}`",
                    t.id, other.id
                )
            };
            return Err(file_error(
                &t.path,
                format!("{what}, also in {}.", other.path.display()),
            ));
        }
        tickets.push(t);
    }
    tickets.sort_by(|a, b| natural_cmp(&a.id, &b.id));
    for t in &tickets {
        for d in &t.deps {
            if !tickets.iter().any(|o| &o.id == d) {
                let ids: Vec<&str> = tickets.iter().map(|o| o.id.as_str()).collect();
                return Err(file_error(
                    &t.path,
                    format!(
                        "unknown dependency `{d}`: there is no ticket with that id.{}",
                        crate::infra::suggest::did_you_mean(d, &ids)
                    ),
                ));
            }
        }
    }
    Ok(tickets)
}

/// Order ids so that `9` comes before `10`.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y).then_with(|| a.cmp(b)),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        _ => a.cmp(b),
    }
}

/// The text of a new ticket file.
pub fn render(fm: &FrontMatter, body: &str) -> Result<String> {
    let front = toml::to_string(fm).context("could not write the front matter")?;
    let mut body = body.to_owned();
    if !body.ends_with('\n') {
        body.push('\n');
    }
    Ok(format!("+++\n{front}+++\n{body}"))
}

/// The body of `ticket add` when none is piped in: the method's hyper-specified ticket shape.
pub fn template(title: &str) -> String {
    format!(
        "## Goal\n{title}\n\n## Files to create or change\n- \n\n## Expected tests\n- \n\n## DO NOT touch\n- \n"
    )
}

/// Whether `ticket`'s body is still the template `ticket add` wrote (nothing filled in): its
/// agent would get only the title to go on.
pub fn is_untouched_template(ticket: &Ticket) -> bool {
    ticket.body.trim() == template(&ticket.title).trim()
}

/// What `git epic ticket add` is asked to write.
#[derive(Debug, Default)]
pub struct NewTicket {
    pub id: String,
    pub title: Option<String>,
    pub deps: Vec<String>,
    pub scope: Vec<String>,
    pub forbid: Vec<String>,
    pub agent: Option<String>,
    /// `None` writes the template.
    pub body: Option<String>,
}

/// Write `<root>/<tasks_dir>/<id>.md` after checking it against the epic's other tickets;
/// returns its path relative to `root`.
pub fn add(root: &Path, tasks_rel: &Path, new: NewTicket) -> Result<PathBuf> {
    let id = new.id.as_str();
    if !is_valid_id(id) {
        return Err(usage(format!("The ticket id `{id}` {}.", id_problem(id))));
    }
    let existing = load_all(root, tasks_rel)?;
    let tasks_dir = &root.join(tasks_rel);
    if let Some(t) = existing.iter().find(|t| t.id.eq_ignore_ascii_case(id)) {
        return Err(usage(if t.id == id {
            format!("Ticket `{id}` already exists in {}.", t.path.display())
        } else {
            format!(
                "Ticket `{id}` differs only in case from `{}` in {}: their worktrees and branches would collide on a case-insensitive file system.",
                t.id,
                t.path.display()
            )
        }));
    }
    let path = tasks_dir.join(format!("{id}.md"));
    for dep in &new.deps {
        if dep == id {
            return Err(usage(format!("Ticket `{id}` cannot depend on itself.")));
        }
        if !existing.iter().any(|t| &t.id == dep) {
            let ids: Vec<&str> = existing.iter().map(|t| t.id.as_str()).collect();
            return Err(usage(format!(
                "Unknown dependency `{dep}`: there is no ticket with that id in {}.{}",
                tasks_rel.display(),
                crate::infra::suggest::did_you_mean(dep, &ids)
            )));
        }
    }
    for (flag, globs) in [("--scope", &new.scope), ("--forbid", &new.forbid)] {
        for g in globs {
            check_glob(g)
                .map_err(|why| usage(format!("The {flag} glob `{g}` is invalid: {why}.")))?;
        }
    }
    if let Some(a) = &new.agent {
        if !is_valid_profile(a) {
            return Err(usage(format!(
                "`--agent {a}` must name an agent profile (letters, digits, `.`, `_`, `-`), not a command."
            )));
        }
    }
    let mut title = new.title.clone().filter(|t| !t.trim().is_empty());
    let body = match new.body {
        Some(b) if !b.trim().is_empty() => b,
        _ => {
            // The template's headings are not a title.
            let t = title.get_or_insert_with(|| id.to_owned());
            template(t)
        }
    };
    let fm = FrontMatter {
        title,
        deps: new.deps,
        scope: new.scope,
        forbid: new.forbid,
        agent: new.agent,
    };
    let text = render(&fm, &body)?;
    // What we write must read back; catching it here keeps a broken file off the disk.
    parse(&tasks_rel.join(format!("{id}.md")), &text)?;
    std::fs::create_dir_all(tasks_dir)
        .with_context(|| format!("could not create {}", tasks_dir.display()))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .with_context(|| format!("could not create {}", path.display()))?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .with_context(|| format!("could not write {}", path.display()))?;
    Ok(path.strip_prefix(root).unwrap_or(&path).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str, text: &str) -> Result<Ticket> {
        parse(Path::new(name), text)
    }

    #[test]
    fn parses_the_spec_example() {
        let t = p(
            "tasks/177.md",
            "+++\ntitle = \"Create SirenTier interface\"\ndeps = [\"175\", \"176\"]\nscope = [\"core/**\"]\nforbid = [\"infra/**\"]\nagent = \"sonnet\"\n+++\n## Files to create\n",
        )
        .unwrap();
        assert_eq!(t.id, "177");
        assert_eq!(t.deps, ["175", "176"]);
        assert_eq!(t.agent.as_deref(), Some("sonnet"));
        assert_eq!(t.body, "## Files to create\n");
    }

    #[test]
    fn title_falls_back_to_heading_then_id() {
        assert_eq!(p("a.md", "+++\n+++\n# Do it\n").unwrap().title, "Do it");
        assert_eq!(p("a.md", "+++\n+++\nno heading\n").unwrap().title, "a");
    }

    #[test]
    fn refuses() {
        let err = |name: &str, text: &str| p(name, text).unwrap_err().to_string();
        assert!(
            err("a.md", "+++\ncommand = \"rm -rf /\"\n+++\n").contains("unknown field `command`")
        );
        assert!(err("a.md", "+++\ntitle = \"x\"\ndeps = [\n+++\n").starts_with("a.md:3:"));
        assert!(err("a.md", "+++\ndeps = [\"a\"]\n+++\n").contains("depends on itself"));
        assert!(err("a.md", "+++\nscope = [\"a/[b\"]\n+++\n").contains("scope glob"));
        assert!(err("a.md", "+++\nagent = \"claude --yolo\"\n+++\n").contains("never a command"));
        assert!(err("a.md", "title = 1\n").contains("does not start"));
        assert!(err("a.md", "+++\ntitle = \"x\"\n").contains("no closing"));
        assert!(err("a..b.md", "+++\n+++\n").contains("contains `..`"));
    }

    #[test]
    fn toml_error_position() {
        let e = p("t/x.md", "+++\ntitle = \"ok\"\ndeps = 3\n+++\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t/x.md:3:8:"), "{e}");
    }
}
