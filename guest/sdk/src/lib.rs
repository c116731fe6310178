//! SDK for swapstream analytics modules.
//!
//! A module is a WebAssembly component (`wasm32-wasip2`) that exports the
//! `swapstream:analytics/aggregator` interface (see `wit/`). This crate gives module authors:
//!
//! * [`bindings`]: the generated types of the contract and the [`export_module!`] macro;
//! * [`records`]: one borrowed [`Record`] at a time over a columnar [`PartitionBatch`], so the
//!   columnar layout costs the author nothing;
//! * [`ItemBuilder`] and [`value`] helpers to build DynamoDB-shaped items;
//! * [`log`]: the host's log import (a no-op when the module's code runs natively in tests).
//!
//! A module's own logic stays a plain function over `&[PartitionBatch]`, testable with
//! `cargo test` natively; its `lib.rs` only glues that function to the exports:
//!
//! ```ignore
//! struct Module;
//! impl swapstream_guest::Guest for Module {
//!     fn info() -> swapstream_guest::ModuleInfo { swapstream_guest::ModuleInfo { name: "mine".into(), version: "0.1.0".into() } }
//!     fn aggregate(batch: Vec<PartitionBatch>, config: Vec<(String, String)>) -> Result<Output, Error> {
//!         Ok(my_logic(&batch))
//!     }
//! }
//! #[cfg(target_arch = "wasm32")]
//! swapstream_guest::export_module!(Module);
//! ```

mod builder;
mod record;

pub use builder::{ItemBuilder, value};
pub use record::{Header, Record, records};

/// Bindings generated from the `analytics-module` world of `wit/`.
#[allow(missing_docs, unsafe_code, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "analytics-module",
        path: "../../wit",
        pub_export_macro: true,
        export_macro_name: "export_module",
        default_bindings_module: "swapstream_guest::bindings",
        additional_derives: [PartialEq, Eq],
    });
}

/// Exports a type implementing [`Guest`] as the module's component exports (wasm builds only).
pub use bindings::export_module;
pub use bindings::exports::swapstream::analytics::aggregator::{Guest, ModuleInfo};
pub use bindings::swapstream::analytics::types::{
    Attribute, Error, Item, Output, PartitionBatch, Rejection, Value,
};

/// Logging through the host. Lines are tagged by the host with the module's name@version.
///
/// When a module's code runs natively (its unit tests, native benchmarks) there is no host,
/// so these calls do nothing.
pub mod log {
    #[cfg(target_arch = "wasm32")]
    use crate::bindings::swapstream::analytics::log as host;

    macro_rules! level_fn {
        ($name:ident, $level:ident) => {
            #[doc = concat!("Logs `message` at level `", stringify!($name), "`.")]
            pub fn $name(message: &str) {
                #[cfg(target_arch = "wasm32")]
                host::log(host::Level::$level, message);
                #[cfg(not(target_arch = "wasm32"))]
                let _ = message;
            }
        };
    }
    level_fn!(trace, Trace);
    level_fn!(debug, Debug);
    level_fn!(info, Info);
    level_fn!(warn, Warn);
    level_fn!(error, Error);
}
