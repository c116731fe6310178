//! Host bindings generated from the `analytics-module` world in `wit/`.
// Generated code: its documentation is the WIT documentation in `wit/`.
#![allow(missing_docs)]

wasmtime::component::bindgen!({
    world: "analytics-module",
    path: "../wit",
});

pub use self::exports::swapstream::analytics::aggregator::ModuleInfo;
pub use self::swapstream::analytics::log::Level;
pub use self::swapstream::analytics::types::{
    Attribute, Error as ModuleFailure, Item, Output, PartitionBatch, Rejection, Value,
};
