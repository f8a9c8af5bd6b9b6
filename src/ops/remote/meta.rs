//! The epic's definition on the remote, for the machines that join it: a commit on
//! `refs/epic/<name>/meta` whose tree holds `epic.toml` (branch, base, directories) and the
//! ticket files under `tasks/`. Read from another machine, it is untrusted: names and paths
//! are checked like the ones typed on the command line.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use anyhow::anyhow;
use gix::ObjectId;
use serde::{Deserialize, Serialize};

use crate::infra::error::Result;
use crate::infra::gitx;
use crate::model::epic::{is_valid_id, Epic};

/// The ref of an epic's definition, on the remote and (fetched) here.
pub fn remote_ref(epic: &str) -> String {
    format!("refs/epic/{epic}/meta")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpicToml {
    pub branch: String,
    pub base: String,
    pub tasks_dir: String,
    pub worktrees_dir: String,
}

/// An epic's definition: its settings and its ticket files (file name -> text).
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    pub epic: EpicToml,
    pub tickets: BTreeMap<String, String>,
}

impl Meta {
    /// This machine's definition of `epic`: its config and the files in its tasks dir.
    pub fn local(root: &Path, epic: &Epic) -> Result<Meta> {
        let mut tickets = BTreeMap::new();
        let dir = root.join(&epic.tasks_dir);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if ticket_file_name(&name) {
                    tickets.insert(name, std::fs::read_to_string(e.path())?);
                }
            }
        }
        Ok(Meta {
            epic: EpicToml {
                branch: epic.branch.clone(),
                base: epic.base.clone(),
                tasks_dir: epic.tasks_dir.to_string_lossy().into_owned(),
                worktrees_dir: epic.worktrees_dir.to_string_lossy().into_owned(),
            },
            tickets,
        })
    }

    /// Read and check a definition commit.
    pub fn read(repo: &gix::Repository, commit: ObjectId) -> Result<Meta> {
        let tree = repo.find_commit(commit)?.tree()?;
        let blob = |path: &str| -> Result<Option<String>> {
            let Some(entry) = tree.lookup_entry_by_path(path)? else {
                return Ok(None);
            };
            let data = repo.find_blob(entry.object_id())?.detach().data;
            String::from_utf8(data)
                .map(Some)
                .map_err(|_| anyhow!("{path} is not UTF-8"))
        };
        let text = blob("epic.toml")?.ok_or_else(|| anyhow!("it has no epic.toml"))?;
        let epic: EpicToml =
            toml::from_str(&text).map_err(|e| anyhow!("epic.toml: {}", e.message().trim()))?;
        if !gitx::is_valid_branch_name(&epic.branch) || epic.branch.starts_with('-') {
            return Err(anyhow!(
                "its branch `{}` is not a valid branch name",
                epic.branch
            ));
        }
        for (what, dir) in [
            ("tasks_dir", &epic.tasks_dir),
            ("worktrees_dir", &epic.worktrees_dir),
        ] {
            if !inside(dir) {
                return Err(anyhow!(
                    "its {what} `{dir}` is not a relative path inside the repository"
                ));
            }
        }
        let mut tickets = BTreeMap::new();
        if let Some(entry) = tree.lookup_entry_by_path("tasks")? {
            let tasks = repo.find_tree(entry.object_id())?;
            for e in tasks.iter() {
                let e = e?;
                let name = e.filename().to_string();
                if !e.mode().is_blob() || !ticket_file_name(&name) {
                    return Err(anyhow!("tasks/{name} is not a ticket file name"));
                }
                let data = repo.find_blob(e.oid().to_owned())?.detach().data;
                let text =
                    String::from_utf8(data).map_err(|_| anyhow!("tasks/{name} is not UTF-8"))?;
                tickets.insert(name, text);
            }
        }
        Ok(Meta { epic, tickets })
    }

    /// Write this definition as a commit on `parent` (no ref moves).
    pub fn write(
        &self,
        repo: &gix::Repository,
        name: &str,
        parent: Option<ObjectId>,
    ) -> Result<ObjectId> {
        let mut editor = repo.edit_tree(ObjectId::empty_tree(repo.object_hash()))?;
        let toml = toml::to_string(&self.epic)?;
        let id = repo.write_blob(toml.as_bytes())?.detach();
        editor.upsert("epic.toml", gix::object::tree::EntryKind::Blob, id)?;
        for (file, text) in &self.tickets {
            let id = repo.write_blob(text.as_bytes())?.detach();
            editor.upsert(
                format!("tasks/{file}"),
                gix::object::tree::EntryKind::Blob,
                id,
            )?;
        }
        let tree = editor.write()?.detach();
        let message = format!("git-epic: the definition of the epic {name}");
        let parents: Vec<ObjectId> = parent.into_iter().collect();
        crate::infra::gitx::write_commit(repo, tree, &parents, &message)
    }
}

/// `<ticket id>.md`.
fn ticket_file_name(name: &str) -> bool {
    name.strip_suffix(".md").is_some_and(is_valid_id)
}

/// A relative path that stays inside the repository.
fn inside(dir: &str) -> bool {
    let p = Path::new(dir);
    !dir.is_empty()
        && p.components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_from_the_remote_stay_inside() {
        for ok in ["tasks", "./tasks", "a/b"] {
            assert!(inside(ok), "{ok}");
        }
        for bad in ["", "/etc", "../x", "a/../../b"] {
            assert!(!inside(bad), "{bad}");
        }
        assert!(ticket_file_name("177.md"));
        assert!(!ticket_file_name("../x.md"));
        assert!(!ticket_file_name("x.txt"));
    }
}
