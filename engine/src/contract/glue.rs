//! What every contract version's bindings need around them, written once: linking the host's
//! log, instantiating and calling `info` and `aggregate`, and converting at the boundary.

/// Writes, in a version's module, around its private bindings module `$generated`:
/// `add_to_linker`, `Exports` (`new`, `info`, `aggregate`), the host log, and the `convert`
/// module of [`conversions!`](super::convert::conversions).
macro_rules! contract_glue {
    ($generated:ident) => {
        use swapstream_core::batch::Batch;
        use wasmtime::Store;
        use wasmtime::component::{HasSelf, InstancePre, Linker};

        use $crate::contract::{Failure, Identity};
        use $crate::sandbox::{HostState, LogLevel};

        $crate::contract::convert::conversions!(super::$generated::swapstream::analytics::types);

        /// Adds the contract's imports (the host's log) to `linker`.
        pub(in crate::contract) fn add_to_linker(
            linker: &mut Linker<HostState>,
        ) -> wasmtime::Result<()> {
            $generated::AnalyticsModule::add_to_linker::<_, HasSelf<_>>(linker, |s| s)
        }

        /// A component of this contract, linked and ready to instantiate.
        pub(crate) struct Exports($generated::AnalyticsModulePre<HostState>);

        impl Exports {
            /// Checks that the component exports this contract's world.
            pub(in crate::contract) fn new(pre: InstancePre<HostState>) -> wasmtime::Result<Self> {
                $generated::AnalyticsModulePre::new(pre).map(Self)
            }

            /// `info()` in a fresh instance.
            pub(in crate::contract) fn info(
                &self,
                store: &mut Store<HostState>,
            ) -> wasmtime::Result<Identity> {
                let instance = self.0.instantiate(&mut *store)?;
                let info = instance
                    .swapstream_analytics_aggregator()
                    .call_info(store)?;
                Ok(Identity {
                    name: info.name,
                    version: info.version,
                })
            }

            /// `aggregate(batch, config)` in a fresh instance; the batch comes back whatever
            /// happens.
            pub(in crate::contract) fn aggregate(
                &self,
                store: &mut Store<HostState>,
                batch: Batch,
                config: &[(String, String)],
            ) -> (
                Batch,
                wasmtime::Result<Result<swapstream_core::item::Output, Failure>>,
            ) {
                let partitions = convert::partitions_to_wit(batch);
                let result = self.0.instantiate(&mut *store).and_then(|instance| {
                    instance.swapstream_analytics_aggregator().call_aggregate(
                        store,
                        &partitions,
                        config,
                    )
                });
                let batch = convert::partitions_from_wit(partitions);
                (batch, result.map(convert::result_from_wit))
            }
        }

        impl $generated::swapstream::analytics::types::Host for HostState {}

        impl $generated::swapstream::analytics::log::Host for HostState {
            fn log(
                &mut self,
                level: $generated::swapstream::analytics::log::Level,
                message: String,
            ) {
                use $generated::swapstream::analytics::log::Level;
                let level = match level {
                    Level::Trace => LogLevel::Trace,
                    Level::Debug => LogLevel::Debug,
                    Level::Info => LogLevel::Info,
                    Level::Warn => LogLevel::Warn,
                    Level::Error => LogLevel::Error,
                };
                self.module_log(level, &message);
            }
        }
    };
}

pub(crate) use contract_glue;
