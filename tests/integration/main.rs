//! The integration test binary: one binary, topical modules.

mod cli;
mod common;
mod compliance;
mod docs;
mod evaluation;
mod hostile;
mod living;
mod meta;
mod policies;
mod safety;
mod secrets;
mod snapshots;
mod user_policies;
