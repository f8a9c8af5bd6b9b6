//! The epic model: which epic a command acts on, where its branch, tickets and worktrees are.

use std::path::{Path, PathBuf};

use gix::bstr::ByteSlice;

use crate::infra::error::{usage, Result};
use crate::infra::gitx;

/// One epic as configured in git config (`epic.<name>.*`).
#[derive(Debug, Clone)]
pub struct Epic {
    pub name: String,
    /// Short branch name, `epic/<name>` by default.
    pub branch: String,
    /// What the epic was made from and what `finish` merges into.
    pub base: String,
    /// Relative to the main worktree.
    pub tasks_dir: PathBuf,
    /// Relative to the main worktree.
    pub worktrees_dir: PathBuf,
}

/// The repository and the epic a command acts on.
pub struct Workspace {
    pub repo: gix::Repository,
    /// Working tree of the main worktree.
    pub root: PathBuf,
    pub epic: Epic,
}

pub use crate::model::ticket::{id_problem, is_valid_id};

impl Epic {
    /// The names of all configured epics.
    pub fn names(repo: &gix::Repository) -> Vec<String> {
        let config = repo.config_snapshot();
        crate::infra::config::subsections(&config, "epic")
            .into_iter()
            .filter(|n| {
                config
                    .plumbing()
                    .string_by("epic", Some(n.as_bytes().as_bstr()), "branch")
                    .is_some()
            })
            .collect()
    }

    /// Load epic `name` from config; `None` when it is not configured.
    pub fn load(repo: &gix::Repository, name: &str) -> Option<Epic> {
        let config = repo.config_snapshot();
        let get = |key: &str| {
            config
                .plumbing()
                .string_by("epic", Some(name.as_bytes().as_bstr()), key)
                .map(|v| v.to_str_lossy().into_owned())
        };
        let branch = get("branch")?;
        Some(Epic {
            name: name.to_owned(),
            base: get("base").unwrap_or_default(),
            tasks_dir: get("tasksDir").unwrap_or_else(|| "tasks".into()).into(),
            worktrees_dir: get("worktreesDir")
                .unwrap_or_else(|| "worktrees".into())
                .into(),
            branch,
        })
    }

    /// The ticket branch name: `feat/<id>-<slug>`.
    pub fn ticket_branch(id: &str, title: &str) -> String {
        let slug = slugify(title);
        if slug.is_empty() {
            format!("feat/{id}")
        } else {
            format!("feat/{id}-{slug}")
        }
    }
}

impl Workspace {
    /// Find the repository from `cwd` and the epic to act on (`--epic` or `epic.current`).
    pub fn open(cwd: &Path, epic_flag: Option<&str>) -> Result<Workspace> {
        let repo = gitx::discover(cwd)?;
        let root = gitx::main_workdir(&repo)?;
        let name = match epic_flag {
            Some(n) => n.to_owned(),
            None => repo
                .config_snapshot()
                .string("epic.current")
                .map(|v| v.to_str_lossy().into_owned())
                .ok_or_else(|| {
                    usage("No current epic: run `git epic init <name>` or pass `--epic <name>`.")
                })?,
        };
        let epic = Epic::load(&repo, &name).ok_or_else(|| {
            let known = Epic::names(&repo);
            if known.is_empty() {
                usage(format!(
                    "There is no epic named `{name}`: run `git epic init {name}` first."
                ))
            } else {
                usage(format!(
                    "There is no epic named `{name}` (known: {}).{}",
                    known.join(", "),
                    crate::infra::suggest::did_you_mean(&name, &known)
                ))
            }
        })?;
        // Notes name the machine that wrote their pids: this one, from now on. A clone that
        // shares the epic gets its machine id now, before it claims anything.
        let shared = crate::infra::config::remote_of(&repo, &epic.name).is_some();
        crate::infra::host::open(&repo, &epic.name, shared)?;
        Ok(Workspace { repo, root, epic })
    }

    pub fn tasks_dir(&self) -> PathBuf {
        self.root.join(&self.epic.tasks_dir)
    }

    /// Every ticket of the epic, checked (see [`crate::model::ticket::load_all`]).
    pub fn tickets(&self) -> Result<Vec<crate::model::ticket::Ticket>> {
        crate::model::ticket::load_all(&self.root, &self.epic.tasks_dir)
    }

    /// Ticket `id` of `graph`, or the usage error every command gives for an unknown id.
    pub fn ticket<'g>(
        &self,
        graph: &'g crate::model::graph::Graph,
        id: &str,
    ) -> Result<&'g crate::model::ticket::Ticket> {
        graph.get(id).ok_or_else(|| {
            let ids: Vec<&str> = graph.tickets.iter().map(|t| t.id.as_str()).collect();
            usage(format!(
                "There is no ticket `{id}` in epic `{}` ({}).{}",
                self.epic.name,
                self.epic.tasks_dir.display(),
                crate::infra::suggest::did_you_mean(id, &ids)
            ))
        })
    }

    /// The checked dependency graph of the epic's tickets.
    pub fn graph(&self) -> Result<crate::model::graph::Graph> {
        crate::model::graph::Graph::new(self.tickets()?)
    }

    pub fn worktrees_dir(&self) -> PathBuf {
        self.root.join(&self.epic.worktrees_dir)
    }

    /// `<worktreesDir>/feat-<id>`.
    pub fn worktree_path(&self, id: &str) -> PathBuf {
        self.worktrees_dir().join(format!("feat-{id}"))
    }

    /// Where the logs of this epic's agent runs go: under the common dir, outside any worktree.
    pub fn logs_dir(&self) -> PathBuf {
        self.repo
            .common_dir()
            .join("epic")
            .join(&self.epic.name)
            .join("logs")
    }

    pub fn log_path(&self, id: &str) -> PathBuf {
        self.logs_dir().join(format!("{id}.log"))
    }
}

/// Lowercase ASCII words joined by `-`, at most 40 characters.
pub fn slugify(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// What `git epic init` is asked to make.
pub struct InitOptions<'a> {
    pub name: &'a str,
    pub base: Option<&'a str>,
    pub tasks_dir: Option<&'a str>,
    pub worktrees_dir: Option<&'a str>,
}

/// A directory option must stay a plain relative path inside the repository.
fn check_dir(flag: &str, dir: &str) -> Result<()> {
    let p = Path::new(dir);
    let bad = dir.trim().is_empty()
        || p.is_absolute()
        || p.components().any(|c| {
            !matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
        || dir.contains('\n');
    if bad {
        return Err(usage(format!(
            "{flag} `{dir}` must be a relative path inside the repository (no `..`)."
        )));
    }
    Ok(())
}

/// Create the epic branch at the base and its config; set `epic.current`. Everything is
/// checked before the first change, so a refusal leaves the repository as it was.
pub fn init(cwd: &Path, opts: &InitOptions<'_>) -> Result<Epic> {
    let repo = gitx::discover(cwd)?;
    gitx::main_workdir(&repo)?; // refuses a bare repository
    let name = opts.name;
    if !is_valid_id(name) {
        return Err(usage(format!(
            "The epic name `{name}` {}.",
            id_problem(name)
        )));
    }
    if Epic::load(&repo, name).is_some() {
        return Err(usage(format!("An epic named `{name}` already exists (see `git config --get-regexp '^epic\\.{name}\\.'`).")));
    }
    let branch = format!("epic/{name}");
    if !gitx::is_valid_branch_name(&branch) {
        return Err(usage(format!("`{branch}` is not a valid branch name.")));
    }
    if gitx::branch_tip(&repo, &branch)?.is_some() {
        return Err(usage(format!(
            "The branch `{branch}` already exists; pick another epic name."
        )));
    }
    let tasks_dir = opts.tasks_dir.unwrap_or("tasks");
    let worktrees_dir = opts.worktrees_dir.unwrap_or("worktrees");
    check_dir("--tasks-dir", tasks_dir)?;
    check_dir("--worktrees-dir", worktrees_dir)?;
    let (base, base_id) = match opts.base {
        Some(rev) => {
            let id = gitx::resolve_commit(&repo, rev)
                .ok_or_else(|| usage(format!("The base `{rev}` does not name a commit.")))?;
            (rev.to_owned(), id)
        }
        None => {
            let Some(current) = gitx::current_branch(&repo)? else {
                return Err(usage(
                    "HEAD is detached: pass `--base <branch>` to say what the epic starts from.",
                ));
            };
            let id = gitx::resolve_commit(&repo, "HEAD").ok_or_else(|| {
                usage(format!(
                    "The current branch `{current}` has no commits yet; commit something first."
                ))
            })?;
            (current, id)
        }
    };

    gitx::create_branch(
        &repo,
        &branch,
        base_id,
        &format!("epic: init {name} from {base}"),
    )?;
    let sub = Some(name);
    let written = gitx::set_local_config(
        &repo,
        &[
            ("epic", sub, "base", base.clone()),
            ("epic", sub, "branch", branch.clone()),
            ("epic", sub, "tasksDir", tasks_dir.to_owned()),
            ("epic", sub, "worktreesDir", worktrees_dir.to_owned()),
            ("epic", None, "current", name.to_owned()),
        ],
    );
    if let Err(e) = written {
        // Do not leave a branch without its config behind.
        let _ = gitx::delete_branch(&repo, &branch, base_id);
        return Err(e);
    }
    let wt = worktrees_dir.trim_start_matches("./").trim_end_matches('/');
    gitx::ensure_excluded(&repo, &format!("/{wt}/"))?;
    Ok(Epic {
        name: name.to_owned(),
        branch,
        base,
        tasks_dir: tasks_dir.into(),
        worktrees_dir: worktrees_dir.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        for ok in ["177", "a", "A.b_c-d", &"x".repeat(64)] {
            assert!(is_valid_id(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a..b",
            "a/b",
            "a b",
            ".a",
            "_a",
            "a.lock",
            "a.",
            &"x".repeat(65),
        ] {
            assert!(!is_valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slugify("Create SirenTier interface"),
            "create-sirentier-interface"
        );
        assert_eq!(slugify("  --Ünïcode!! "), "n-code");
        assert_eq!(slugify(""), "");
    }
}
