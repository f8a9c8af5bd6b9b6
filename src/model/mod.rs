//! The model: what an epic, a ticket, its graph and its note are, the agents' adapters and
//! the prompt. Imports only infrastructure (docs/architecture.md).

pub mod agent;
pub mod agents;
pub mod epic;
pub mod graph;
pub mod plan;
pub mod prompt;
pub mod state;
pub mod tasks_md;
pub mod ticket;
