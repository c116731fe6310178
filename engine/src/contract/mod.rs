//! The contract versions this engine serves, each through its own private bindings
//! ([`v0_2`], [`v0_3`]), converted to and from the core's types at the boundary
//! ([`convert`]). A component is matched to its version by the name of its `aggregator`
//! export; every version is linked into the same linker, so modules of different versions run
//! side by side and can replace each other in a hot swap.

mod convert;
mod glue;
mod v0_2;
mod v0_3;

use swapstream_core::batch::Batch;
use swapstream_core::item::Output;
use wasmtime::Store;
use wasmtime::component::{Component, Linker};

use crate::error::LoadError;
use crate::sandbox::HostState;

/// The WIT package every module speaks.
pub const PACKAGE: &str = "swapstream:analytics";

/// The contract versions this engine accepts, oldest first. A module built for a compatible
/// version (the same minor while the major is 0, as Cargo's rule goes) runs on its bindings.
pub const SUPPORTED: &[&str] = &[v0_2::VERSION, v0_3::VERSION];

const AGGREGATOR_EXPORT: &str = "swapstream:analytics/aggregator@";

/// Adds what every contract version imports to `linker`: the WASI interfaces a
/// `wasm32-wasip2` standard library imports (granting nothing: see [`crate::wasi`]) and each
/// version's host log.
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    crate::wasi::add_to_linker(linker)?;
    v0_2::add_to_linker(linker)?;
    v0_3::add_to_linker(linker)
}

/// A component's exports, through the bindings of the contract version it was built for.
pub(crate) enum Exports {
    /// Contract 0.2.
    V0_2(v0_2::Exports),
    /// Contract 0.3.
    V0_3(v0_3::Exports),
}

impl Exports {
    /// Finds which contract version `component` was built for and links it. Incompatible
    /// versions are refused with a message that says so, instead of the linker's "no matching
    /// implementation" for the first import that differs.
    pub(crate) fn link(
        component: &Component,
        engine: &wasmtime::Engine,
        linker: &Linker<HostState>,
        origin: &str,
    ) -> Result<(Self, String), LoadError> {
        let version = contract_version(component, engine, origin)?;
        let wrong_world = |e: wasmtime::Error| LoadError::WrongWorld {
            origin: origin.to_owned(),
            contract: format!("{PACKAGE}@{version}"),
            reason: format!("{e:#}"),
        };
        let pre = linker.instantiate_pre(component).map_err(wrong_world)?;
        let exports = if semver_compatible(&version, v0_2::VERSION) {
            Exports::V0_2(v0_2::Exports::new(pre).map_err(wrong_world)?)
        } else if semver_compatible(&version, v0_3::VERSION) {
            Exports::V0_3(v0_3::Exports::new(pre).map_err(wrong_world)?)
        } else {
            return Err(LoadError::ContractVersion {
                origin: origin.to_owned(),
                found: version,
                supported: supported(),
            });
        };
        Ok((exports, format!("{PACKAGE}@{version}")))
    }

    /// `info()` in a fresh instance.
    pub(crate) fn info(&self, store: &mut Store<HostState>) -> wasmtime::Result<Identity> {
        match self {
            Exports::V0_2(e) => e.info(store),
            Exports::V0_3(e) => e.info(store),
        }
    }

    /// `describe()` in a fresh instance (contract 0.3); nothing for 0.2 modules.
    pub(crate) fn describe(
        &self,
        store: &mut Store<HostState>,
    ) -> wasmtime::Result<Vec<(String, String)>> {
        match self {
            Exports::V0_2(_) => Ok(Vec::new()),
            Exports::V0_3(e) => e.describe(store),
        }
    }

    /// `aggregate(batch, config)` in a fresh instance; the batch comes back whatever happens.
    pub(crate) fn aggregate(
        &self,
        store: &mut Store<HostState>,
        batch: Batch,
        config: &[(String, String)],
    ) -> (Batch, wasmtime::Result<Result<Output, Failure>>) {
        match self {
            Exports::V0_2(e) => e.aggregate(store, batch, config),
            Exports::V0_3(e) => e.aggregate(store, batch, config),
        }
    }
}

/// A module's name and version, as its `info()` gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    /// Name.
    pub(crate) name: String,
    /// Version.
    pub(crate) version: String,
}

/// How a module said it failed a batch (the contract's `error` variant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The configuration map is unusable.
    InvalidConfig(String),
    /// The module could not process the batch.
    Failed(String),
}

/// `swapstream:analytics@0.2.0 or 0.3.0`, for messages.
pub(crate) fn supported() -> String {
    format!("{PACKAGE}@{}", SUPPORTED.join(" or "))
}

/// The contract version a component exports its `aggregator` for.
fn contract_version(
    component: &Component,
    engine: &wasmtime::Engine,
    origin: &str,
) -> Result<String, LoadError> {
    let ty = component.component_type();
    let found = ty
        .exports(engine)
        .find_map(|(name, _)| name.strip_prefix(AGGREGATOR_EXPORT))
        .map(str::to_owned);
    let Some(version) = found else {
        let exports: Vec<&str> = ty.exports(engine).map(|(name, _)| name).collect();
        return Err(LoadError::WrongWorld {
            origin: origin.to_owned(),
            contract: supported(),
            reason: if exports.is_empty() {
                "it exports nothing".to_owned()
            } else {
                format!(
                    "it does not export `{PACKAGE}/aggregator` (exports: {})",
                    exports.join(", ")
                )
            },
        });
    };
    if !SUPPORTED.iter().any(|v| semver_compatible(&version, v)) {
        return Err(LoadError::ContractVersion {
            origin: origin.to_owned(),
            found: version,
            supported: supported(),
        });
    }
    Ok(version)
}

/// Whether a module built for contract `found` can run on bindings for `supported`: the same
/// major version, or for 0.x the same minor (Cargo's and the component model's rule).
fn semver_compatible(found: &str, supported: &str) -> bool {
    fn parts(v: &str) -> Option<(u64, u64)> {
        let core = v.split(['-', '+']).next()?;
        let mut numbers = core.split('.').map(str::parse::<u64>);
        Some((numbers.next()?.ok()?, numbers.next()?.ok()?))
    }
    match (parts(found), parts(supported)) {
        (Some((0, a)), Some((0, b))) => a == b,
        (Some((a, _)), Some((b, _))) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::semver_compatible;

    #[test]
    fn contract_versions_are_compatible_within_a_major_or_a_0_x_minor() {
        assert!(semver_compatible("0.2.0", "0.2.0"));
        assert!(semver_compatible("0.2.3", "0.2.0"));
        assert!(!semver_compatible("0.1.0", "0.2.0"));
        assert!(!semver_compatible("0.3.0", "0.2.0"));
        assert!(semver_compatible("0.3.1", "0.3.0"));
        assert!(!semver_compatible("1.0.0", "0.2.0"));
        assert!(semver_compatible("1.4.0", "1.0.0"));
        assert!(!semver_compatible("2.0.0", "1.0.0"));
        assert!(!semver_compatible("x", "0.2.0"));
    }
}
