//! Which module runs, how it is pinned and configured, and how hot swap checks for new
//! versions.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use swapstream_core::store::{ModuleLocation, Sha256Hex};

use super::{parse_duration, parse_key_value};

/// Parses a module location, refusing a `builtin:` name the host does not have.
pub fn parse_location(s: &str) -> Result<ModuleLocation, String> {
    let location: ModuleLocation = s.parse()?;
    if let ModuleLocation::Builtin(name) = &location
        && crate::builtin::bytes(name).is_none()
    {
        return Err(format!(
            "no built-in module `{name}` (built-in: {})",
            crate::builtin::names().join(", ")
        ));
    }
    Ok(location)
}

/// Which module runs and how its output is labelled.
#[derive(Debug, Clone, Args)]
pub struct ModuleArgs {
    /// Module to run: `builtin:average` (default), `builtin:stats`, `file:///path.wasm` (or a
    /// plain path), or `s3://bucket/key`.
    #[arg(
        long,
        env = "SWAPSTREAM_MODULE",
        default_value = "builtin:average",
        value_parser = parse_location,
        value_name = "LOCATION"
    )]
    pub module: ModuleLocation,

    /// Refuse any module whose sha256 differs from this (hex).
    #[arg(long, env = "SWAPSTREAM_MODULE_SHA256", value_name = "HEX")]
    pub module_sha256: Option<Sha256Hex>,

    /// Configuration passed to the module, as key=value pairs (comma-separated in the
    /// environment variable).
    #[arg(long = "module-config", env = "SWAPSTREAM_MODULE_CONFIG", value_name = "KEY=VALUE", value_parser = parse_key_value, value_delimiter = ',')]
    pub module_config: Vec<(String, String)>,

    /// Attribute that records which module version wrote each item (`name@version#hash`);
    /// empty to leave it out.
    #[arg(
        long,
        env = "SWAPSTREAM_LINEAGE_ATTRIBUTE",
        default_value = "module",
        value_name = "NAME"
    )]
    pub lineage_attribute: String,
}

impl ModuleArgs {
    /// The lineage attribute name, or `None` when turned off.
    pub fn lineage(&self) -> Option<String> {
        let name = self.lineage_attribute.trim();
        (!name.is_empty()).then(|| name.to_owned())
    }
}

/// Hot swap: how often the module location is checked for a new version, and the canary batch
/// a new version must process before it goes live.
#[derive(Debug, Clone, Args)]
pub struct HotSwapArgs {
    /// How often to check the module location for a new version; `0s` turns checking off. In
    /// Lambda the check runs at the start of an invocation, at most this often.
    #[arg(long, env = "SWAPSTREAM_MODULE_POLL_INTERVAL", default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    pub module_poll_interval: Duration,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub canary: CanaryArgs,
}

impl HotSwapArgs {
    /// The poll interval, or `None` when checking is off.
    pub fn poll_interval(&self) -> Option<Duration> {
        (!self.module_poll_interval.is_zero()).then_some(self.module_poll_interval)
    }
}

/// The canary batch.
#[derive(Debug, Clone, Default, Args)]
pub struct CanaryArgs {
    /// Kafka event file (Lambda format) that every new module version must process within its
    /// limits before it goes live [default: the built-in reference fixture].
    #[arg(long, env = "SWAPSTREAM_MODULE_CANARY", value_name = "FILE")]
    pub module_canary: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_builtin_module_the_host_does_not_have() {
        assert_eq!(
            parse_location("builtin:nope"),
            Err("no built-in module `nope` (built-in: average, stats)".to_owned())
        );
        assert_eq!(
            parse_location("builtin:stats"),
            Ok(ModuleLocation::Builtin("stats".into()))
        );
    }
}
