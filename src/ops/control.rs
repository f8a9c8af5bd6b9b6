//! The tech lead's actions that no other command had: stopping the run that holds a ticket.

use crate::infra::error::{usage, Result};
use crate::model::epic::Workspace;
use crate::model::state::Store;

/// What [`stop`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    /// The git epic holding the ticket (pid) was asked to stop, as Ctrl-C would: it stops its
    /// agents and records them `interrupted`; running the ticket again resumes it.
    Asked { pid: u32 },
    /// Another machine holds it (its label).
    Elsewhere(String),
    /// No git epic holds it.
    NotRunning,
}

/// Stop the agent of `id`: interrupt the git epic that runs it (its other agents stop too,
/// as with Ctrl-C in its terminal), so that every run ends recorded and nothing is lost.
pub fn stop(ws: &Workspace, id: &str) -> Result<Stopped> {
    let Some(note) = Store::new(&ws.repo, &ws.epic.name).get(id)? else {
        return Err(usage(format!(
            "Ticket `{id}` never ran: there is nothing to stop."
        )));
    };
    if let Some(machine) = note.claimed_elsewhere() {
        return Ok(Stopped::Elsewhere(machine));
    }
    match note.owner_pid {
        Some(pid) if note.owner_alive() => {
            // SAFETY: kill(2) with a pid checked alive (with its start time) just above.
            let rc = unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) };
            if rc != 0 {
                return Err(anyhow::anyhow!(
                    "could not signal git epic (pid {pid}): {}",
                    std::io::Error::last_os_error()
                ));
            }
            Ok(Stopped::Asked { pid })
        }
        _ => Ok(Stopped::NotRunning),
    }
}
