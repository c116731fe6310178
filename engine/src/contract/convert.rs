//! Conversions between the core's domain types and a contract version's generated types.
//! A minor version never changes a type, so every version's `types` interface has the same
//! shape and [`conversions!`] writes the same conversions for each version's bindings.
//!
//! Batches cross by moving their columns, never by copying them: a 10,000-record batch is
//! about a megabyte.

/// Conversions to and from the generated types at `$wit` (a version's `types` module), as
/// functions in a `convert` module at the call site.
macro_rules! conversions {
    ($wit:path) => {
        /// Conversions between the core's types and this version's generated types.
        pub(super) mod convert {
            use swapstream_core::batch::{Batch, PartitionBatch};
            use swapstream_core::item::{Attribute, Item, Output, Rejection, Value};

            use $crate::contract::Failure;
            use $wit as wit;

            /// The batch's partitions as the contract's records, columns moved.
            pub(in crate::contract) fn partitions_to_wit(batch: Batch) -> Vec<wit::PartitionBatch> {
                batch
                    .into_partitions()
                    .into_iter()
                    .map(|p| wit::PartitionBatch {
                        topic: p.topic,
                        partition: p.partition,
                        offsets: p.offsets,
                        timestamps_ms: p.timestamps_ms,
                        values: p.values,
                        value_ends: p.value_ends,
                        keys: p.keys,
                        key_ends: p.key_ends,
                        has_key: p.has_key,
                        header_records: p.header_records,
                        header_names: p.header_names,
                        header_name_ends: p.header_name_ends,
                        header_values: p.header_values,
                        header_value_ends: p.header_value_ends,
                    })
                    .collect()
            }

            /// The batch back from the contract's records, columns moved.
            pub(in crate::contract) fn partitions_from_wit(
                partitions: Vec<wit::PartitionBatch>,
            ) -> Batch {
                Batch::from_partitions(
                    partitions
                        .into_iter()
                        .map(|p| PartitionBatch {
                            topic: p.topic,
                            partition: p.partition,
                            offsets: p.offsets,
                            timestamps_ms: p.timestamps_ms,
                            values: p.values,
                            value_ends: p.value_ends,
                            keys: p.keys,
                            key_ends: p.key_ends,
                            has_key: p.has_key,
                            header_records: p.header_records,
                            header_names: p.header_names,
                            header_name_ends: p.header_name_ends,
                            header_values: p.header_values,
                            header_value_ends: p.header_value_ends,
                        })
                        .collect(),
                )
            }

            /// A module's answer in the core's terms.
            pub(in crate::contract) fn result_from_wit(
                result: Result<wit::Output, wit::Error>,
            ) -> Result<Output, Failure> {
                match result {
                    Ok(output) => Ok(Output {
                        items: output.items.into_iter().map(item_from_wit).collect(),
                        rejected: output
                            .rejected
                            .into_iter()
                            .map(|r| Rejection {
                                topic: r.topic,
                                partition: r.partition,
                                offset: r.offset,
                                reason: r.reason,
                            })
                            .collect(),
                    }),
                    Err(wit::Error::InvalidConfig(message)) => Err(Failure::InvalidConfig(message)),
                    Err(wit::Error::Failed(message)) => Err(Failure::Failed(message)),
                }
            }

            pub(in crate::contract) fn item_from_wit(item: wit::Item) -> Item {
                Item {
                    attributes: item
                        .attributes
                        .into_iter()
                        .map(|a| Attribute {
                            name: a.name,
                            value: value_from_wit(a.value),
                        })
                        .collect(),
                }
            }

            pub(in crate::contract) fn value_from_wit(value: wit::Value) -> Value {
                match value {
                    wit::Value::S(s) => Value::S(s),
                    wit::Value::N(n) => Value::N(n),
                    wit::Value::B(b) => Value::B(b),
                    wit::Value::Boolean(b) => Value::Boolean(b),
                    wit::Value::Null => Value::Null,
                    wit::Value::Ss(l) => Value::Ss(l),
                    wit::Value::Ns(l) => Value::Ns(l),
                }
            }
        }
    };
}

pub(crate) use conversions;
