//! Contract 0.3: `swapstream:analytics@0.3.0`, a test contract (`guest/contract-next/wit/`):
//! 0.2.0 plus `aggregator.describe`, proving that one engine serves two contract versions.

/// Bindings generated from the 0.3 WIT. Private: the rest of the engine speaks the core's
/// types.
#[allow(missing_docs)]
mod generated {
    wasmtime::component::bindgen!({
        world: "analytics-module",
        path: "../guest/contract-next/wit",
    });
}

/// The version this module serves.
pub(super) const VERSION: &str = "0.3.0";

super::glue::contract_glue!(generated);

impl Exports {
    /// `describe()` in a fresh instance.
    pub(in crate::contract) fn describe(
        &self,
        store: &mut Store<HostState>,
    ) -> wasmtime::Result<Vec<(String, String)>> {
        let instance = self.0.instantiate(&mut *store)?;
        instance
            .swapstream_analytics_aggregator()
            .call_describe(store)
    }
}
