//! Palisade: a security and compliance scanner for infrastructure code.
//!
//! The pipeline: [`discover`] files, parse them ([`hcl`]), evaluate
//! ([`terraform`]) into [`subject`]s, run the [`policy`] set over them
//! ([`engine`]), and render the [`finding`]s ([`output`]).

pub mod baseline;
pub mod bench;
pub mod changed;
pub mod checks;
pub mod ci;
pub mod cli;
pub mod compliance;
pub mod config;
pub mod discover;
pub mod docker;
pub mod docs;
pub mod engine;
pub mod finding;
pub mod hcl;
pub mod limits;
pub mod notice;
pub mod output;
pub mod policy;
pub mod scan;
pub mod secrets;
pub mod source;
pub mod subject;
pub mod suppress;
pub mod syntax;
pub mod terraform;
pub mod value;
pub mod yaml;
