//! The commands, each with its own typed arguments: `lambda` and `run` (the two hosts),
//! `replay` (offline), `produce` (load generator) and `module check|diff|push`.

pub mod lambda;
pub mod module;
pub mod produce;
pub mod replay;
pub mod run;
