//! Analytics modules as the pipeline sees them: something with an identity that turns a batch
//! into an [`Output`], or fails the batch with a typed [`ModuleError`]. The engine implements
//! [`Module`] for sandboxed WebAssembly components; tests implement it natively.

use std::fmt;
use std::time::Duration;

use crate::batch::Batch;
use crate::item::Output;
use crate::retry::{Classify, Recovery};

/// A module version, ready to run batches. Shared behind an `Arc` by every batch that runs it.
pub trait Module: Send + Sync + 'static {
    /// Name, version and content hash.
    fn label(&self) -> &ModuleLabel;

    /// Runs the module over one batch with its configuration (already scoped to this module:
    /// see [`config_for`]).
    ///
    /// The batch is handed over and handed back in the [`Ran`]: an engine can move the columns
    /// into the module's call and out again instead of copying them.
    fn aggregate(&self, batch: Batch, config: &[(String, String)]) -> Ran;
}

/// A batch handed back by [`Module::aggregate`], with what the module made of it.
#[derive(Debug)]
pub struct Ran {
    /// The batch, unchanged.
    pub batch: Batch,
    /// The module's output, or why it failed the batch.
    pub output: Result<Output, ModuleError>,
}

/// A module's identity: name and version from the module itself, and its content hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModuleLabel {
    /// Name the module gives itself, e.g. `average`.
    pub name: String,
    /// Version the module gives itself, e.g. `1.2.0`.
    pub version: String,
    /// Hex sha256 of the module's bytes.
    pub sha256: String,
}

impl ModuleLabel {
    /// `name@version`.
    pub fn name_version(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// The first 12 hex digits of the sha256.
    pub fn short_hash(&self) -> &str {
        self.sha256.get(..12).unwrap_or(&self.sha256)
    }

    /// `name@version#shorthash`, the lineage value written with items.
    pub fn lineage(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for ModuleLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}#{}", self.name, self.version, self.short_hash())
    }
}

/// The part of the module configuration meant for the module named `name`: every unscoped
/// `key`, and every `name/key` with its prefix removed; keys scoped to other modules are left
/// out. Scoping lets one configuration serve every version a host may swap between — e.g.
/// `misbehave/mode=trap` reaches `misbehave` while `average`, which refuses any key, gets none.
pub fn config_for(config: &[(String, String)], name: &str) -> Vec<(String, String)> {
    config
        .iter()
        .filter_map(|(key, value)| match key.split_once('/') {
            None => Some((key.clone(), value.clone())),
            Some((scope, key)) if scope == name => Some((key.to_owned(), value.clone())),
            Some(_) => None,
        })
        .collect()
}

/// Why a module failed one batch. The host keeps running; the next batch gets a fresh instance.
#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    /// The batch took longer than the time budget.
    #[error("module {module} ran out of time (budget {budget:?} per batch)")]
    Timeout {
        /// The module.
        module: ModuleLabel,
        /// The budget it exceeded.
        budget: Duration,
    },
    /// The module tried to grow its memory past the limit.
    #[error(
        "module {module} exceeded its memory limit: asked for {requested} bytes, limit {limit} bytes"
    )]
    MemoryLimit {
        /// The module.
        module: ModuleLabel,
        /// Total linear memory it asked for.
        requested: usize,
        /// The limit.
        limit: usize,
    },
    /// The module recursed deeper than the stack limit.
    #[error("module {module} exhausted its call stack (limit {limit} bytes)")]
    StackOverflow {
        /// The module.
        module: ModuleLabel,
        /// The stack limit.
        limit: usize,
    },
    /// The module trapped (a panic, `unreachable`, an out-of-bounds access…).
    #[error("module {module} trapped: {message}")]
    Trap {
        /// The module.
        module: ModuleLabel,
        /// The trap, and what the module wrote to stderr (e.g. its panic message).
        message: String,
    },
    /// The host could not give the module what a run needs (e.g. every slot of the instance
    /// pool was taken): nothing about the module or the batch.
    #[error("module {module} could not be run: host resources exhausted: {message}")]
    Resources {
        /// The module.
        module: ModuleLabel,
        /// What ran out.
        message: String,
    },
    /// The output (or one log line) is larger than the host accepts: the host stopped
    /// copying it at the limit.
    #[error("module {module} produced more than {limit} bytes of output")]
    OutputTooLarge {
        /// The module.
        module: ModuleLabel,
        /// The limit, in bytes the host would hold once the output is copied out.
        limit: u64,
    },
    /// The module refused its configuration map.
    #[error("module {module} refused its configuration: {message}")]
    InvalidConfig {
        /// The module.
        module: ModuleLabel,
        /// The module's reason.
        message: String,
    },
    /// The module reported that it could not process the batch.
    #[error("module {module} failed the batch: {message}")]
    Failed {
        /// The module.
        module: ModuleLabel,
        /// The module's reason.
        message: String,
    },
}

impl ModuleError {
    /// The module that failed.
    pub fn module(&self) -> &ModuleLabel {
        match self {
            ModuleError::Timeout { module, .. }
            | ModuleError::MemoryLimit { module, .. }
            | ModuleError::StackOverflow { module, .. }
            | ModuleError::Trap { module, .. }
            | ModuleError::Resources { module, .. }
            | ModuleError::OutputTooLarge { module, .. }
            | ModuleError::InvalidConfig { module, .. }
            | ModuleError::Failed { module, .. } => module,
        }
    }
}

impl Classify for ModuleError {
    /// Modules are deterministic, so only a time-out (which depends on the machine's load) and
    /// exhausted host resources can come out differently on the same batch.
    fn recovery(&self) -> Recovery {
        match self {
            ModuleError::Timeout { .. } | ModuleError::Resources { .. } => Recovery::Transient,
            _ => Recovery::Permanent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_module_config_reaches_only_its_module() {
        let config = vec![
            ("shared".to_owned(), "1".to_owned()),
            ("misbehave/mode".to_owned(), "trap".to_owned()),
            ("stats/precision".to_owned(), "2".to_owned()),
        ];
        assert_eq!(
            config_for(&config, "misbehave"),
            vec![
                ("shared".to_owned(), "1".to_owned()),
                ("mode".to_owned(), "trap".to_owned())
            ]
        );
        assert_eq!(
            config_for(&config, "average"),
            vec![("shared".to_owned(), "1".to_owned())]
        );
    }

    #[test]
    fn a_label_shows_name_version_and_short_hash() {
        let label = ModuleLabel {
            name: "average".into(),
            version: "1.0.0".into(),
            sha256: "0123456789abcdef".repeat(4),
        };
        assert_eq!(label.to_string(), "average@1.0.0#0123456789ab");
        assert_eq!(label.lineage(), "average@1.0.0#0123456789ab");
        assert_eq!(label.name_version(), "average@1.0.0");
    }
}
