//! Contract 0.2: `swapstream:analytics@0.2.0` (`wit/`), the stateless `aggregate` world.

/// Bindings generated from `wit/`. Private: the rest of the engine speaks the core's types.
#[allow(missing_docs)]
mod generated {
    wasmtime::component::bindgen!({
        world: "analytics-module",
        path: "../wit",
    });
}

/// The version this module serves.
pub(super) const VERSION: &str = "0.2.0";

super::glue::contract_glue!(generated);

#[cfg(test)]
mod tests {
    use super::convert::*;
    use super::generated::swapstream::analytics::types as wit;
    use crate::contract::Failure;
    use swapstream_core::item::{Attribute, Item, Output, Rejection, Value};

    #[test]
    fn a_batch_crosses_and_comes_back_unchanged() {
        let mut builder = swapstream_core::batch::BatchBuilder::new();
        for (offset, value) in [(3, "a"), (4, "bc")] {
            let record = swapstream_core::batch::RecordRef {
                offset,
                timestamp_ms: 10,
                key: Some(b"k"),
                value: Some(value.as_bytes()),
            };
            assert!(builder.push("t", 1, record, [("h", &b"v"[..])]).is_ok());
        }
        let batch = builder.build();
        let wit = partitions_to_wit(batch.clone());
        assert_eq!(wit[0].offsets, vec![3, 4]);
        assert_eq!(wit[0].header_names, "hh");
        assert_eq!(partitions_from_wit(wit), batch);
    }

    #[test]
    fn outputs_and_errors_convert_value_for_value() {
        let output = wit::Output {
            items: vec![wit::Item {
                attributes: vec![
                    wit::Attribute {
                        name: "s".into(),
                        value: wit::Value::Ss(vec!["x".into()]),
                    },
                    wit::Attribute {
                        name: "n".into(),
                        value: wit::Value::Null,
                    },
                ],
            }],
            rejected: vec![wit::Rejection {
                topic: "t".into(),
                partition: 2,
                offset: 9,
                reason: "bad".into(),
            }],
        };
        let converted = result_from_wit(Ok(output));
        assert_eq!(
            converted,
            Ok(Output {
                items: vec![Item {
                    attributes: vec![
                        Attribute {
                            name: "s".into(),
                            value: Value::Ss(vec!["x".into()])
                        },
                        Attribute {
                            name: "n".into(),
                            value: Value::Null
                        },
                    ]
                }],
                rejected: vec![Rejection {
                    topic: "t".into(),
                    partition: 2,
                    offset: 9,
                    reason: "bad".into()
                }],
            })
        );
        assert_eq!(
            result_from_wit(Err(wit::Error::InvalidConfig("k".into()))),
            Err(Failure::InvalidConfig("k".into()))
        );
    }
}
