//! A ticket's hold: while it is queued or landing, its branch must stay what was tested.
//! The merge queue holds it from the gate to the landing; `propagate` takes it before it
//! rebases a ticket, and leaves alone one it cannot take. A file lock in the git dir, so it
//! works across git-epic processes and goes with a killed one.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::infra::error::Result;

pub struct Hold {
    _file: File,
}

fn path(common_dir: &Path, epic: &str, id: &str) -> PathBuf {
    common_dir
        .join("epic/holds")
        .join(epic)
        .join(format!("{id}.lock"))
}

fn open(common_dir: &Path, epic: &str, id: &str) -> Result<File> {
    let p = path(common_dir, epic, id);
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&p)
        .with_context(|| format!("could not open {}", p.display()))
}

/// Take the hold of ticket `id`, waiting for a propagate that has it.
pub fn take(common_dir: &Path, epic: &str, id: &str) -> Result<Hold> {
    let file = open(common_dir, epic, id)?;
    file.lock()
        .with_context(|| format!("could not lock the hold of {id}"))?;
    Ok(Hold { _file: file })
}

/// Take the hold of ticket `id` if no one has it.
pub fn try_take(common_dir: &Path, epic: &str, id: &str) -> Result<Option<Hold>> {
    let file = open(common_dir, epic, id)?;
    Ok(file.try_lock().is_ok().then_some(Hold { _file: file }))
}
