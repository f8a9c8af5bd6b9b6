//! After a ticket's agent is done and before it lands: automatic fixes of what the gates
//! refused, and the reviewer's round (`git epic review`).

pub mod fix;
