//! The method's `tasks.md`: one Markdown file listing the tickets with explicit dependencies
//! (format in docs/tasks-md.md). Pure text in, text out; writing the ticket files is
//! `ops::import`'s.
//!
//! A ticket is a level-2 heading `## <id>: <title>`, then lines such as `Depends on: 175, 176`,
//! then its prompt. The prompt's own headings sit one level deeper than in the ticket file,
//! so a ticket's `## Files to create` is `### Files to create` here and never reads as the
//! next ticket.

use crate::infra::error::{usage, Result};
use crate::model::ticket::{id_problem, is_valid_id, FrontMatter, Ticket};

/// One ticket as listed in a tasks.md.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    pub front: ListedFront,
    pub body: String,
    /// 1-based line of its heading, for messages.
    pub line: usize,
}

/// The front-matter fields a tasks.md can set (the same as a ticket file's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListedFront {
    pub title: String,
    pub deps: Vec<String>,
    pub scope: Vec<String>,
    pub forbid: Vec<String>,
    pub agent: Option<String>,
}

impl ListedFront {
    pub fn front_matter(&self) -> FrontMatter {
        FrontMatter {
            title: Some(self.title.clone()),
            deps: self.deps.clone(),
            scope: self.scope.clone(),
            forbid: self.forbid.clone(),
            agent: self.agent.clone(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Deps,
    Scope,
    Forbid,
    Agent,
}

/// `Depends on: 175, 176` and its kin, with or without a list bullet or bold key.
fn meta_line(line: &str) -> Option<(Key, &str)> {
    let l = line.trim();
    let l = l
        .strip_prefix("- ")
        .or_else(|| l.strip_prefix("* "))
        .unwrap_or(l);
    let (key, value) = l.split_once(':')?;
    let key = key.trim().trim_matches('*').trim().to_ascii_lowercase();
    let value = value.trim().trim_start_matches("**").trim();
    let key = match key.as_str() {
        "depends on" | "deps" | "blocked by" => Key::Deps,
        "scope" => Key::Scope,
        "forbid" | "do not touch" => Key::Forbid,
        "agent" => Key::Agent,
        _ => return None,
    };
    Some((key, value))
}

/// The items of a metadata value: backticked items when there are any (a glob may hold a
/// comma), else comma separated. `none` and dashes are the empty list.
fn items(value: &str) -> Vec<String> {
    let v = value.trim();
    if v.is_empty() || matches!(v.to_ascii_lowercase().as_str(), "none" | "-" | "—" | "–") {
        return Vec::new();
    }
    if v.contains('`') {
        return v
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .filter(|s| !s.trim().is_empty())
            .collect();
    }
    v.split(',')
        .map(|s| s.trim().trim_start_matches('#').trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A fence opener or closer: its marker character and length.
fn fence(line: &str) -> Option<(char, usize)> {
    let l = line.trim_start();
    let c = l.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = l.chars().take_while(|x| *x == c).count();
    (n >= 3).then_some((c, n))
}

/// Tracks whether a line is inside a fenced code block, where headings are not headings.
#[derive(Default)]
struct Fences(Option<(char, usize)>);

impl Fences {
    /// Whether `line` is prose (outside any fence), updating the state.
    fn prose(&mut self, line: &str) -> bool {
        match (self.0, fence(line)) {
            (None, Some(f)) => {
                self.0 = Some(f);
                false
            }
            (Some((c, n)), Some((c2, n2))) if c == c2 && n2 >= n && line.trim().len() == n2 => {
                self.0 = None;
                false
            }
            (Some(_), _) => false,
            (None, None) => true,
        }
    }
}

/// The level of an ATX heading line, or 0.
fn heading_level(line: &str) -> usize {
    let n = line.chars().take_while(|c| *c == '#').count();
    if (1..=6).contains(&n) && line[n..].starts_with([' ', '\t']) {
        n
    } else {
        0
    }
}

/// `## <id>: <title>` read as a ticket heading: `Some(Ok)` for a ticket, `Some(Err)` for a
/// ticket heading whose id is not valid, `None` for any other heading.
fn ticket_heading(line: &str) -> Option<std::result::Result<(String, String), String>> {
    let rest = line.strip_prefix("## ")?;
    let (id, title) = rest.split_once(':')?;
    let id = id.trim();
    if id.contains(char::is_whitespace) || id.is_empty() {
        return None;
    }
    let id = id.trim_start_matches('#');
    if !is_valid_id(id) {
        return Some(Err(format!("the ticket id `{id}` {}", id_problem(id))));
    }
    Some(Ok((id.to_owned(), title.trim().to_owned())))
}

/// Read a tasks.md. `name` is only used in messages.
pub fn parse(name: &str, text: &str) -> Result<Vec<Listed>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out: Vec<Listed> = Vec::new();
    let mut body: Vec<&str> = Vec::new();
    let mut in_meta = false;
    let mut fences = Fences::default();
    let err = |line: usize, what: String| usage(format!("{name}:{line}: {what}."));
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let prose = fences.prose(raw);
        if prose {
            if let Some(h) = ticket_heading(raw) {
                let (id, title) = h.map_err(|e| err(lineno, e))?;
                if let Some(last) = out.last_mut() {
                    last.body = promote(&body);
                }
                body.clear();
                if let Some(other) = out.iter().find(|o| o.id.eq_ignore_ascii_case(&id)) {
                    return Err(err(
                        lineno,
                        format!("ticket `{id}` is listed twice (also line {})", other.line),
                    ));
                }
                if title.is_empty() {
                    return Err(err(lineno, format!("ticket `{id}` has no title after `:`")));
                }
                out.push(Listed {
                    id,
                    front: ListedFront {
                        title,
                        ..Default::default()
                    },
                    body: String::new(),
                    line: lineno,
                });
                in_meta = true;
                continue;
            }
        }
        let Some(current) = out.last_mut() else {
            continue; // the preamble: an epic title, notes for people
        };
        if in_meta && prose {
            if raw.trim().is_empty() {
                continue;
            }
            if let Some((key, value)) = meta_line(raw) {
                let f = &mut current.front;
                match key {
                    Key::Deps => f.deps.extend(items(value)),
                    Key::Scope => f.scope.extend(items(value)),
                    Key::Forbid => f.forbid.extend(items(value)),
                    Key::Agent => {
                        let a = items(value);
                        if a.len() > 1 {
                            return Err(err(lineno, "`Agent:` names one profile".into()));
                        }
                        f.agent = a.into_iter().next();
                    }
                }
                continue;
            }
        }
        in_meta = false;
        body.push(raw);
    }
    if let Some(last) = out.last_mut() {
        last.body = promote(&body);
    }
    if out.is_empty() {
        return Err(usage(format!(
            "{name} lists no ticket: each starts with a heading `## <id>: <title>` (docs/tasks-md.md)."
        )));
    }
    Ok(out)
}

/// The body of a ticket file from its lines in tasks.md: headings one level up, trailing
/// blank lines dropped.
fn promote(lines: &[&str]) -> String {
    let mut fences = Fences::default();
    let mut out = String::new();
    let mut end = lines.len();
    while end > 0 && lines[end - 1].trim().is_empty() {
        end -= 1;
    }
    for line in &lines[..end] {
        if fences.prose(line) && heading_level(line) >= 2 {
            out.push_str(&line[1..]);
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// Write the tickets (in the order given) as one tasks.md, the inverse of [`parse`].
pub fn render(epic: &str, tickets: &[&Ticket]) -> Result<String> {
    let mut out = format!(
        "# Tasks: {epic}\n\n<!-- One ticket per `## <id>: <title>` heading; `git epic import <this file>` writes them as ticket files (docs/tasks-md.md). -->\n"
    );
    let quote = |v: &[String]| {
        v.iter()
            .map(|g| format!("`{g}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for t in tickets {
        if t.title.contains('\n') {
            return Err(usage(format!(
                "Ticket `{}` has a title on several lines, which a tasks.md heading cannot hold.",
                t.id
            )));
        }
        out.push_str(&format!("\n## {}: {}\n", t.id, t.title));
        if !t.deps.is_empty() {
            out.push_str(&format!("Depends on: {}\n", t.deps.join(", ")));
        }
        if !t.scope.is_empty() {
            out.push_str(&format!("Scope: {}\n", quote(&t.scope)));
        }
        if !t.forbid.is_empty() {
            out.push_str(&format!("Forbid: {}\n", quote(&t.forbid)));
        }
        if let Some(a) = &t.agent {
            out.push_str(&format!("Agent: {a}\n"));
        }
        let mut fences = Fences::default();
        let mut first = true;
        for line in t.body.lines() {
            if first {
                out.push('\n');
                first = false;
                // A prompt that starts like a metadata line would be read as one.
                if meta_line(line).is_some() {
                    return Err(usage(format!(
                        "Ticket `{}`'s prompt starts with `{}`, which a tasks.md would read as its metadata.",
                        t.id,
                        line.trim()
                    )));
                }
            }
            let prose = fences.prose(line);
            if prose && heading_level(line) >= 1 {
                let demoted = format!("#{line}");
                if ticket_heading(&demoted).is_some() {
                    return Err(usage(format!(
                        "Ticket `{}`'s prompt has the heading `{line}`, which a tasks.md would read as a ticket.",
                        t.id
                    )));
                }
                out.push_str(&demoted);
            } else {
                out.push_str(line);
            }
            out.push('\n');
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const METHOD: &str = "# Epic: blocking\n\nDraw the graph first.\n\n## 175: Create BlockingSchedule types\nScope: `core/**`\n\n### Files to create\n- `core/schedule.ts`\n\n## 177: Create SirenTier interface\n- **Depends on:** #175, #176\n- Scope: `core/_ports_/**`, `core/{a,b}/*.ts`\n- Forbid: `infra/**`\n- Agent: sonnet\n\n### Exact interface\n```ts\n## not: a ticket\n```\n\n## 176: Third\nDepends on: none\n";

    #[test]
    fn reads_the_method_shape() {
        let l = parse("tasks.md", METHOD).unwrap();
        let ids: Vec<&str> = l.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["175", "177", "176"]);
        assert_eq!(l[0].front.scope, ["core/**"]);
        assert_eq!(l[0].body, "## Files to create\n- `core/schedule.ts`\n");
        assert_eq!(l[1].front.deps, ["175", "176"]);
        assert_eq!(l[1].front.scope, ["core/_ports_/**", "core/{a,b}/*.ts"]);
        assert_eq!(l[1].front.forbid, ["infra/**"]);
        assert_eq!(l[1].front.agent.as_deref(), Some("sonnet"));
        assert_eq!(
            l[1].body,
            "## Exact interface\n```ts\n## not: a ticket\n```\n"
        );
        assert!(l[2].front.deps.is_empty());
        assert_eq!(l[2].line, 22);
    }

    #[test]
    fn refuses() {
        let e = |t: &str| parse("t.md", t).unwrap_err().to_string();
        assert!(e("# nothing\n").contains("lists no ticket"));
        assert!(e("## a: x\n## A: y\n").contains("t.md:2: ticket `A` is listed twice"));
        assert!(e("## a..b: x\n").contains("t.md:1: the ticket id `a..b` contains `..`"));
        assert!(e("## a:\n").contains("has no title"));
    }
}
